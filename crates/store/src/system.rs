//! Facts about the installation (the key it was written under, whether it is the demo) and the
//! sweeps of what would otherwise grow forever.

use std::path::Path;

use crate::Millis;
use crate::{Pii, ServiceResult, Store};

const FACT_KEY_FINGERPRINT: &str = "pii_key_fingerprint";
const FACT_DEMO: &str = "demo_province";

/// How the configured key compares with the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// The database was written under this key.
    Matches,
    /// The database had no fingerprint yet (new, or from before fingerprints): now it has.
    Recorded,
    /// The database was written under another key.
    Mismatch { stored: String },
}

impl Store {
    /// The same database under another key: used at start, once the key is decided.
    pub fn with_pii(&self, pii: Pii) -> Store {
        Store {
            pii,
            ..self.clone()
        }
    }

    /// True when any organisation, account or record exists, or a key was ever recorded: a
    /// database that a new key must never be generated for.
    pub async fn holds_data(&self) -> ServiceResult<bool> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM schools) + (SELECT COUNT(*) FROM accounts) \
             + (SELECT COUNT(*) FROM employers) + (SELECT COUNT(*) FROM graduates) \
             + (SELECT COUNT(*) FROM system_facts WHERE name = 'pii_key_fingerprint')",
        )
        .fetch_one(self.reader())
        .await?;
        Ok(n > 0)
    }

    pub async fn fact(&self, name: &str) -> ServiceResult<Option<String>> {
        Ok(
            sqlx::query_as::<_, (String,)>("SELECT value FROM system_facts WHERE name = $1")
                .bind(name.to_string())
                .fetch_optional(self.reader())
                .await?
                .map(|r| r.0),
        )
    }

    async fn record_fact_once(&self, name: &str, value: &str) -> ServiceResult<()> {
        sqlx::query(
            "INSERT INTO system_facts (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_string())
        .bind(value.to_string())
        .bind(self.now())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Compares the key's fingerprint with the one stored, recording it the first time.
    pub async fn check_key(&self) -> ServiceResult<KeyCheck> {
        let mine = self.pii.fingerprint().to_string();
        match self.fact(FACT_KEY_FINGERPRINT).await? {
            Some(stored) if stored == mine => Ok(KeyCheck::Matches),
            Some(stored) => Ok(KeyCheck::Mismatch { stored }),
            None => {
                self.record_fact_once(FACT_KEY_FINGERPRINT, &mine).await?;
                // A racing node may have recorded another key first.
                match self.fact(FACT_KEY_FINGERPRINT).await? {
                    Some(stored) if stored != mine => Ok(KeyCheck::Mismatch { stored }),
                    _ => Ok(KeyCheck::Recorded),
                }
            }
        }
    }

    /// Marks the database as the demo province (only the demo seed does this).
    pub async fn mark_demo(&self) -> ServiceResult<()> {
        self.record_fact_once(FACT_DEMO, "1").await
    }

    pub async fn is_demo(&self) -> ServiceResult<bool> {
        Ok(self.fact(FACT_DEMO).await?.is_some())
    }
}

/// What one sweep removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub sessions: u64,
    pub idempotency_keys: u64,
    pub throttle_rows: u64,
    pub print_codes: u64,
    pub orphan_files: u64,
}

/// How long a retried request still gets its first answer.
pub const IDEMPOTENCY_RETENTION_MS: i64 = 7 * 24 * 3_600_000;
/// Failed-login counters older than this no longer throttle anyone.
pub const THROTTLE_RETENTION_MS: i64 = 24 * 3_600_000;
/// An upload file younger than this may belong to a request still in flight.
pub const ORPHAN_GRACE_MS: i64 = 3_600_000;

/// Removes expired sessions, idempotency keys past retention, stale throttle rows, expired
/// print codes and upload files that no row refers to (their request failed after the file was
/// written). `uploads_root` is the local upload folder, when there is one.
pub async fn sweep(
    store: &Store,
    uploads_root: Option<&Path>,
    now: Millis,
) -> ServiceResult<SweepReport> {
    let w = store.writer();
    let mut report = SweepReport {
        sessions: sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(w)
            .await?
            .rows_affected(),
        idempotency_keys: sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(now - IDEMPOTENCY_RETENTION_MS)
            .execute(w)
            .await?
            .rows_affected(),
        throttle_rows: sqlx::query("DELETE FROM login_throttle WHERE window_start < $1")
            .bind(now - THROTTLE_RETENTION_MS)
            .execute(w)
            .await?
            .rows_affected(),
        // A code nobody used is gone a day after it expired.
        print_codes: sqlx::query("DELETE FROM print_codes WHERE expires_at < $1")
            .bind(now - 24 * 3_600_000)
            .execute(w)
            .await?
            .rows_affected(),
        orphan_files: 0,
    };
    if let Some(root) = uploads_root {
        report.orphan_files = sweep_orphan_files(store, root).await?;
    }
    Ok(report)
}

/// Upload files are stored as `<kind>/<2 chars>/<upload id>`: a file whose id has no row and
/// that is older than the grace period is an orphan.
async fn sweep_orphan_files(store: &Store, root: &Path) -> ServiceResult<u64> {
    let mut removed = 0;
    let files = {
        let root = root.to_path_buf();
        tokio::task::spawn_blocking(move || list_files(&root))
            .await
            .map_err(anyhow::Error::from)?
    };
    for (path, age_ms) in files {
        if age_ms < ORPHAN_GRACE_MS {
            continue;
        }
        let Some(id) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let id = id.strip_suffix(".partial").unwrap_or(id).to_string();
        let known: Option<(String,)> = sqlx::query_as("SELECT id FROM uploads WHERE id = $1")
            .bind(id)
            .fetch_optional(store.reader())
            .await?;
        if known.is_none() && tokio::fs::remove_file(&path).await.is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Every file under `root` with its age (milliseconds since it was last written).
fn list_files(root: &Path) -> Vec<(std::path::PathBuf, i64)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else if meta.is_file() {
                // An unreadable time stamp counts as new: never removed on a guess.
                let age = meta.modified().map_or(0, crate::Clock::file_age_ms);
                out.push((e.path(), age));
            }
        }
    }
    out
}
