//! Operator commands over a whole database: online backups, checking a restored copy, and trail
//! checkpoints kept outside the database.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::{Backend, Store};

/// Tables whose row counts a backup records and a restore check compares.
pub const COUNTED_TABLES: &[&str] = &[
    "schools",
    "departments",
    "employers",
    "graduates",
    "accounts",
    "agreements",
    "agreement_versions",
    "destinations",
    "flow_events",
    "uploads",
    "print_records",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub created_at: Millis,
    pub backend: String,
    pub key_fingerprint: String,
    pub row_counts: BTreeMap<String, i64>,
    /// SHA-256 over every record's trail head, in id order.
    pub trail_heads_digest: String,
    pub upload_files: i64,
}

pub async fn row_counts(store: &Store) -> anyhow::Result<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for t in COUNTED_TABLES {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {t}"))
            .fetch_one(store.reader())
            .await?;
        out.insert((*t).to_string(), n);
    }
    Ok(out)
}

/// Every record's (kind, id, head seq, head hash), in a stable order.
pub async fn trail_heads(store: &Store) -> anyhow::Result<Vec<(String, String, i64, String)>> {
    let mut out = Vec::new();
    for (kind, table) in [("agreement", "agreements"), ("destination", "destinations")] {
        let rows: Vec<(String, i64, String)> = sqlx::query_as(&format!(
            "SELECT id, trail_seq, trail_hash FROM {table} ORDER BY id"
        ))
        .fetch_all(store.reader())
        .await?;
        out.extend(
            rows.into_iter()
                .map(|(id, seq, hash)| (kind.to_string(), id, seq, hash)),
        );
    }
    Ok(out)
}

fn digest_heads(heads: &[(String, String, i64, String)]) -> String {
    use sha2::Digest;
    let text = serde_json::to_string(heads).unwrap_or_default();
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// A consistent online copy into `dest` (a new or empty folder): the database (SQLite
/// `VACUUM INTO`, which reads one snapshot while the server keeps writing; PostgreSQL through
/// `pg_dump`), the upload files (still encrypted) and `manifest.json`. The keys are not copied:
/// they are kept apart from the data, and the manifest names the key by its fingerprint.
pub async fn backup(
    store: &Store,
    database_url: &str,
    uploads_root: &Path,
    dest: &Path,
) -> anyhow::Result<Manifest> {
    if dest.exists() && std::fs::read_dir(dest)?.next().is_some() {
        anyhow::bail!(
            "备份目录 {} 不是空的 / backup folder is not empty",
            dest.display()
        );
    }
    std::fs::create_dir_all(dest)?;
    let dest = std::fs::canonicalize(dest)?;
    let (counts, heads) = match store.backend() {
        Backend::Sqlite => {
            let file = dest.join("wangqian.db");
            let target = file.to_string_lossy().replace('\'', "''");
            sqlx::query(&format!("VACUUM INTO '{target}'"))
                .execute(store.reader())
                .await?;
            // Counts and heads from the copy itself, so that they describe exactly what it holds.
            let copy =
                Store::connect(&format!("sqlite://{}", file.display()), store.pii.clone()).await?;
            let r = (row_counts(&copy).await?, trail_heads(&copy).await?);
            copy.close().await;
            r
        }
        Backend::Postgres => {
            let out = dest.join("database.pgdump");
            let status = std::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--no-owner")
                .arg(format!("--file={}", out.display()))
                .arg(database_url)
                .status()
                .map_err(|e| {
                    anyhow::anyhow!(
                        "无法运行 pg_dump（{e}）：请安装 PostgreSQL 客户端，或用 pg_dump --format=custom 自行备份 / pg_dump not available"
                    )
                })?;
            if !status.success() {
                anyhow::bail!("pg_dump 失败：{status}");
            }
            // pg_dump reads one snapshot; counts taken now may include rows written since.
            (row_counts(store).await?, trail_heads(store).await?)
        }
    };
    let copied = copy_tree(uploads_root, &dest.join("uploads"))?;
    let manifest = Manifest {
        format: "wangqian-backup-1".into(),
        created_at: store.now(),
        backend: format!("{:?}", store.backend()).to_lowercase(),
        key_fingerprint: store.pii.fingerprint().to_string(),
        row_counts: counts,
        trail_heads_digest: digest_heads(&heads),
        upload_files: copied,
    };
    std::fs::write(
        dest.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    Ok(manifest)
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<i64> {
    let mut n = 0;
    if !from.exists() {
        return Ok(0);
    }
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            n += copy_tree(&e.path(), &target)?;
        } else if e.path().extension().is_none_or(|x| x != "partial") {
            std::fs::copy(e.path(), &target)?;
            n += 1;
        }
    }
    Ok(n)
}

/// What `restore-check` found.
#[derive(Debug, Default)]
pub struct RestoreReport {
    pub problems: Vec<String>,
    pub records: u64,
    pub events: u64,
    pub uploads: u64,
}

/// Checks a restored copy (opened as `store`, its files under `uploads_root`) against its
/// manifest: the key, the row counts, every trail chain and every upload's hash.
pub async fn restore_check(
    store: &Store,
    uploads: &dyn crate::blobs::BlobStore,
    manifest: &Manifest,
) -> anyhow::Result<RestoreReport> {
    let mut report = RestoreReport::default();
    if manifest.key_fingerprint != store.pii.fingerprint() {
        report.problems.push(format!(
            "密钥指纹不符：备份为 {}，当前密钥为 {}",
            manifest.key_fingerprint,
            store.pii.fingerprint()
        ));
        return Ok(report);
    }
    let counts = row_counts(store).await?;
    for (table, want) in &manifest.row_counts {
        let have = counts.get(table).copied().unwrap_or(-1);
        if have != *want {
            report
                .problems
                .push(format!("表 {table}：备份记录 {want} 行，实际 {have} 行"));
        }
    }
    if digest_heads(&trail_heads(store).await?) != manifest.trail_heads_digest {
        report
            .problems
            .push("流程追踪链头与备份清单不符".to_string());
    }
    let trail = crate::lifecycle::trail::check(store).await?;
    report.records = trail.records;
    report.events = trail.events;
    for (kind, id, p) in trail.problems {
        report.problems.push(format!("{kind} {id}: {p}"));
    }
    let rows: Vec<(String, String, String)> =
        // Roster files are deleted once imported (they hold a whole cohort's personal data).
        sqlx::query_as("SELECT id, storage_key, sha256 FROM uploads WHERE kind <> 'roster' ORDER BY id")
            .fetch_all(store.reader())
            .await?;
    for (id, key, sha) in rows {
        use sha2::Digest;
        match uploads.get(&key).await {
            Ok(bytes) if hex::encode(sha2::Sha256::digest(&bytes)) == sha => report.uploads += 1,
            Ok(_) => report
                .problems
                .push(format!("上传文件 {id} 的内容与记录的摘要不符")),
            Err(e) => report.problems.push(format!("上传文件 {id} 无法读取：{e}")),
        }
    }
    Ok(report)
}

/// Every record's trail head at one moment, signed with the trail key: kept outside the
/// database, it reveals a record deleted with all its events, or a last event rolled back
/// together with the record's head.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: String,
    pub created_at: Millis,
    pub key_fingerprint: String,
    pub heads: Vec<(String, String, i64, String)>,
    pub signature: String,
}

fn checkpoint_signature(
    store: &Store,
    created_at: Millis,
    heads: &[(String, String, i64, String)],
) -> String {
    let body = serde_json::json!(["wangqian-checkpoint-1", created_at, heads]);
    store.pii.trail_mac(body.to_string().as_bytes())
}

pub async fn trail_checkpoint(store: &Store) -> anyhow::Result<Checkpoint> {
    let heads = trail_heads(store).await?;
    let created_at = store.now();
    Ok(Checkpoint {
        format: "wangqian-checkpoint-1".into(),
        created_at,
        key_fingerprint: store.pii.fingerprint().to_string(),
        signature: checkpoint_signature(store, created_at, &heads),
        heads,
    })
}

/// Problems of the database against a checkpoint: every record it lists must still exist, at
/// its head or further along the same chain.
pub async fn check_against(store: &Store, cp: &Checkpoint) -> anyhow::Result<Vec<String>> {
    if cp.signature != checkpoint_signature(store, cp.created_at, &cp.heads) {
        anyhow::bail!("检查点文件的签名无效（文件被改动，或不是用当前密钥生成的）");
    }
    let mut problems = Vec::new();
    for (kind, id, seq, hash) in &cp.heads {
        let table = if kind == "agreement" {
            "agreements"
        } else {
            "destinations"
        };
        let now: Option<(i64,)> =
            sqlx::query_as(&format!("SELECT trail_seq FROM {table} WHERE id = $1"))
                .bind(id.clone())
                .fetch_optional(store.reader())
                .await?;
        let Some((now_seq,)) = now else {
            problems.push(format!("{kind} {id}: 检查点之后记录被删除"));
            continue;
        };
        if now_seq < *seq {
            problems.push(format!(
                "{kind} {id}: 流程追踪被回退（检查点时第 {seq} 条，现在第 {now_seq} 条）"
            ));
            continue;
        }
        let at: Option<(String,)> =
            sqlx::query_as("SELECT hash FROM flow_events WHERE record_id = $1 AND seq = $2")
                .bind(id.clone())
                .bind(*seq)
                .fetch_optional(store.reader())
                .await?;
        if at.map(|r| r.0).as_deref() != Some(hash.as_str()) {
            problems.push(format!(
                "{kind} {id}: 第 {seq} 条流程追踪与检查点时不同（被替换）"
            ));
        }
    }
    Ok(problems)
}
