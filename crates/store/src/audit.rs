//! Append-only audit trail for administrative acts outside the agreement flow.

use sqlx::AnyConnection;

use crate::new_id;
use crate::Millis;

pub struct AuditEntry<'a> {
    /// When it happened, from the acting request's clock.
    pub at: Millis,
    pub actor_account_id: Option<&'a str>,
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: &'a str,
    pub school_id: Option<&'a str>,
    pub detail: serde_json::Value,
}

/// Written inside the caller's transaction, so the act and its record commit together.
pub async fn record(conn: &mut AnyConnection, e: AuditEntry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_account_id, action, target_kind, target_id, school_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(e.at)
    .bind(e.actor_account_id.map(str::to_string))
    .bind(e.action.to_string())
    .bind(e.target_kind.to_string())
    .bind(e.target_id.to_string())
    .bind(e.school_id.map(str::to_string))
    .bind(e.detail.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub at: Millis,
    pub actor_account_id: Option<String>,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub detail: String,
}

pub async fn for_target(
    store: &crate::Store,
    target_kind: &str,
    target_id: &str,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as::<_, AuditRow>(
        "SELECT at, actor_account_id, action, target_kind, target_id, detail FROM audit_log \
         WHERE target_kind = $1 AND target_id = $2 ORDER BY at, id",
    )
    .bind(target_kind.to_string())
    .bind(target_id.to_string())
    .fetch_all(store.reader())
    .await
}
