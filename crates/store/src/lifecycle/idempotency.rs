//! Idempotency keys (invariant 5): a retried or double-clicked request with the same key applies
//! once and answers what the first one answered.
//!
//! The key is claimed inside the action's own transaction and its answer stored there too, so
//! that either both commit or neither does. On PostgreSQL a second request with the same key
//! waits on the first's uncommitted row and then reads its answer; on SQLite writes are serial.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::AnyConnection;
use wangqian_domain::role::Actor;

use crate::Millis;
use crate::{ServiceError, ServiceResult};

/// A client-chosen key with the operation and target it was used for.
#[derive(Debug, Clone)]
pub struct IdemKey {
    pub key: String,
}

impl IdemKey {
    /// Checks a key from the `Idempotency-Key` header: 1–100 visible ASCII characters.
    pub fn parse(raw: &str) -> ServiceResult<IdemKey> {
        let k = raw.trim();
        if k.is_empty()
            || k.len() > 100
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
        {
            return Err(ServiceError::BadRequest(
                "Idempotency-Key 应为 1–100 个字母、数字或 - _ : . 字符".into(),
            ));
        }
        Ok(IdemKey { key: k.to_string() })
    }

    /// A key for one item of a batch, derived from the batch's key.
    pub fn item(&self, item: &str) -> IdemKey {
        IdemKey {
            key: format!("{}#{item}", self.key),
        }
    }
}

/// Claims the key, or returns the stored answer of the request that claimed it first.
pub async fn claim<T: DeserializeOwned>(
    conn: &mut AnyConnection,
    actor: &Actor,
    key: Option<&IdemKey>,
    operation: &str,
    target: &str,
    now: Millis,
) -> ServiceResult<Option<T>> {
    let Some(key) = key else { return Ok(None) };
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (account_id, idem_key, operation, target, response, created_at) \
         VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (account_id, idem_key) DO NOTHING",
    )
    .bind(actor.account_id.clone())
    .bind(key.key.clone())
    .bind(operation.to_string())
    .bind(target.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    let (op, tgt, response) = sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT operation, target, response FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2",
    )
    .bind(actor.account_id.clone())
    .bind(key.key.clone())
    .fetch_one(&mut *conn)
    .await?;
    if op != operation || tgt != target {
        return Err(ServiceError::Conflict(
            "该 Idempotency-Key 已用于另一个请求，请换一个".into(),
        ));
    }
    let Some(response) = response else {
        return Err(ServiceError::Conflict("相同的请求正在处理中".into()));
    };
    let value = serde_json::from_str(&response).map_err(anyhow::Error::from)?;
    Ok(Some(value))
}

/// Whether the key was already claimed by the actor: a retry, whose answer (or conflict) the
/// action's own transaction gives, so that checks made before it must not answer instead.
pub async fn seen(
    store: &crate::Store,
    actor: &Actor,
    key: Option<&IdemKey>,
) -> ServiceResult<bool> {
    let Some(key) = key else { return Ok(false) };
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2")
            .bind(actor.account_id.clone())
            .bind(key.key.clone())
            .fetch_optional(store.reader())
            .await?;
    Ok(row.is_some())
}

/// Stores the answer with the claimed key, in the same transaction as the change.
pub async fn remember<T: Serialize>(
    conn: &mut AnyConnection,
    actor: &Actor,
    key: Option<&IdemKey>,
    answer: &T,
) -> ServiceResult<()> {
    let Some(key) = key else { return Ok(()) };
    let json = serde_json::to_string(answer).map_err(anyhow::Error::from)?;
    sqlx::query(
        "UPDATE idempotency_keys SET response = $1 WHERE account_id = $2 AND idem_key = $3",
    )
    .bind(json)
    .bind(actor.account_id.clone())
    .bind(key.key.clone())
    .execute(conn)
    .await?;
    Ok(())
}
