//! Database-backed jobs: any node may claim one; a guarded update decides which.

use crate::Millis;
use crate::{new_id, Store};

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub school_id: Option<String>,
    pub payload: String,
    pub status: String,
    pub phase: String,
    pub progress_done: i64,
    pub progress_total: i64,
    pub result: Option<String>,
    pub attempts: i64,
    pub created_by: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const JOB_COLUMNS: &str = "id, kind, school_id, payload, status, phase, progress_done, progress_total, result, attempts, created_by, created_at, updated_at";

pub async fn enqueue(
    conn: &mut sqlx::AnyConnection,
    kind: &str,
    school_id: Option<&str>,
    payload: &serde_json::Value,
    created_by: Option<&str>,
    now: Millis,
) -> Result<String, sqlx::Error> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO jobs (id, kind, school_id, payload, status, phase, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'queued', '排队中', $5, $6, $6)",
    )
    .bind(id.clone())
    .bind(kind.to_string())
    .bind(school_id.map(str::to_string))
    .bind(payload.to_string())
    .bind(created_by.map(str::to_string))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Claims a job just queued in the caller's transaction, for a caller that runs it itself
/// (CLI, demo seed): committed already claimed, no worker on any node can take it too.
pub async fn claim_in(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    runner: &str,
    now: Millis,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET status = 'running', locked_by = $1, locked_at = $2, attempts = attempts + 1, updated_at = $2 \
         WHERE id = $3 AND status = 'queued'",
    )
    .bind(runner.to_string())
    .bind(now)
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims the oldest queued job; `None` when there is nothing to do or another node won.
pub async fn claim_next(store: &Store, worker: &str) -> Result<Option<JobRow>, sqlx::Error> {
    let now = store.now();
    let claimed = sqlx::query_as::<_, (String,)>(
        "UPDATE jobs SET status = 'running', locked_by = $1, locked_at = $2, attempts = attempts + 1, updated_at = $2 \
         WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at LIMIT 1) AND status = 'queued' \
         RETURNING id",
    )
    .bind(worker.to_string())
    .bind(now)
    .fetch_optional(store.writer())
    .await?;
    match claimed {
        Some((id,)) => get(store, &id).await,
        None => Ok(None),
    }
}

/// Jobs whose node died mid-run go back to the queue.
pub async fn requeue_stale(store: &Store, older_than_ms: i64) -> Result<u64, sqlx::Error> {
    let now = store.now();
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', locked_by = NULL, locked_at = NULL, updated_at = $1 \
         WHERE status = 'running' AND locked_at < $2 AND attempts < 3",
    )
    .bind(now)
    .bind(now - older_than_ms)
    .execute(store.writer())
    .await?;
    Ok(done.rows_affected())
}

pub async fn set_progress(
    store: &Store,
    id: &str,
    phase: &str,
    done: i64,
    total: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET phase = $1, progress_done = $2, progress_total = $3, locked_at = $4, updated_at = $4 WHERE id = $5",
    )
    .bind(phase.to_string())
    .bind(done)
    .bind(total)
    .bind(store.now())
    .bind(id.to_string())
    .execute(store.writer())
    .await?;
    Ok(())
}

pub async fn finish(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    succeeded: bool,
    phase: &str,
    result: &serde_json::Value,
    now: Millis,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET status = $1, phase = $2, result = $3, locked_by = NULL, updated_at = $4 WHERE id = $5",
    )
    .bind(if succeeded { "succeeded" } else { "failed" })
    .bind(phase.to_string())
    .bind(result.to_string())
    .bind(now)
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(store: &Store, id: &str) -> Result<Option<JobRow>, sqlx::Error> {
    sqlx::query_as::<_, JobRow>(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(store.reader())
        .await
}

pub async fn list_for_school(
    store: &Store,
    school_id: &str,
    kind: &str,
    limit: i64,
) -> Result<Vec<JobRow>, sqlx::Error> {
    sqlx::query_as::<_, JobRow>(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE school_id = $1 AND kind = $2 ORDER BY created_at DESC LIMIT $3"
    ))
    .bind(school_id.to_string())
    .bind(kind.to_string())
    .bind(limit.clamp(1, 100))
    .fetch_all(store.reader())
    .await
}
