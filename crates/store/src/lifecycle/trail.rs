//! The flow trail (流程追踪): one event per transition, written in the transition's own
//! transaction, append-only (database triggers refuse UPDATE and DELETE) and hash-chained per
//! record with a keyed hash (HMAC-SHA256 under a key derived from the personal-data key, which
//! lives outside the database) so that an edit, a deletion or a reordering is found by
//! [`check`], even by someone able to rewrite the database.

use serde::Serialize;
use sqlx::AnyConnection;
use wangqian_domain::lifecycle::{replay, terms_bound_by_trail, TrailStep};

use crate::Millis;
use crate::{Pii, ServiceResult, Store};

/// The `prev_hash` of a record's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub struct NewEvent<'a> {
    pub record_kind: &'static str,
    pub record_id: &'a str,
    pub school_id: &'a str,
    pub at: Millis,
    pub actor_account_id: Option<&'a str>,
    pub actor_name: &'a str,
    pub party: &'a str,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub remark: &'a str,
    /// [`terms_digest`] of the record after this event (agreements only).
    pub terms_hash: Option<&'a str>,
}

/// The fields of one event that its hash covers: every stored field a reader relies on.
struct Hashed<'a> {
    record_id: &'a str,
    seq: i64,
    at: Millis,
    actor_account_id: Option<&'a str>,
    actor_name: &'a str,
    party: &'a str,
    action: &'a str,
    from_state: Option<&'a str>,
    to_state: &'a str,
    remark: &'a str,
    terms_hash: Option<&'a str>,
    prev_hash: &'a str,
}

/// The keyed hash of an event over a JSON array of its fields and the previous hash, so that no
/// field can change without the chain noticing.
fn event_hash(pii: &Pii, e: &Hashed<'_>) -> String {
    let mut fields = vec![
        serde_json::json!(e.record_id),
        serde_json::json!(e.seq),
        serde_json::json!(e.at),
        serde_json::json!(e.actor_account_id),
        serde_json::json!(e.actor_name),
        serde_json::json!(e.party),
        serde_json::json!(e.action),
        serde_json::json!(e.from_state),
        serde_json::json!(e.to_state),
        serde_json::json!(e.remark),
        serde_json::json!(e.prev_hash),
    ];
    // Events written before terms were covered keep their original form.
    if let Some(t) = e.terms_hash {
        fields.push(serde_json::json!(t));
    }
    pii.trail_mac(serde_json::Value::Array(fields).to_string().as_bytes())
}

/// SHA-256 over an agreement's terms in force and every version (number, status, terms): what
/// each event's hash pins, so that a changed salary or a rewritten version is found.
pub fn terms_digest(current_terms: &str, versions: &[(i64, String, String)]) -> String {
    use sha2::Digest;
    let canonical = serde_json::json!([current_terms, versions]);
    hex::encode(sha2::Sha256::digest(canonical.to_string().as_bytes()))
}

/// [`terms_digest`] of an agreement as stored now.
pub async fn terms_digest_of(
    conn: &mut AnyConnection,
    agreement_id: &str,
) -> Result<String, sqlx::Error> {
    let (current,): (String,) = sqlx::query_as("SELECT terms FROM agreements WHERE id = $1")
        .bind(agreement_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
    let versions: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT version_no, status, terms FROM agreement_versions WHERE agreement_id = $1 ORDER BY version_no",
    )
    .bind(agreement_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(terms_digest(&current, &versions))
}

/// The next head of a record's chain after `e`, given the current head.
pub fn next_head(pii: &Pii, head_seq: i64, head_hash: &str, e: &NewEvent<'_>) -> (i64, String) {
    let seq = head_seq + 1;
    let hash = event_hash(
        pii,
        &Hashed {
            record_id: e.record_id,
            seq,
            at: e.at,
            actor_account_id: e.actor_account_id,
            actor_name: e.actor_name,
            party: e.party,
            action: e.action,
            from_state: e.from_state,
            to_state: e.to_state,
            remark: e.remark,
            terms_hash: e.terms_hash,
            prev_hash: head_hash,
        },
    );
    (seq, hash)
}

/// Inserts the event at `seq` with `hash` (from [`next_head`]). The primary key (record, seq)
/// refuses a second event at the same place.
pub async fn insert(
    conn: &mut AnyConnection,
    e: &NewEvent<'_>,
    seq: i64,
    prev_hash: &str,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO flow_events (record_id, seq, record_kind, school_id, at, actor_account_id, actor_name, party, \
         action, from_state, to_state, remark, prev_hash, hash, terms_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(e.record_id.to_string())
    .bind(seq)
    .bind(e.record_kind)
    .bind(e.school_id.to_string())
    .bind(e.at)
    .bind(e.actor_account_id.map(str::to_string))
    .bind(e.actor_name.to_string())
    .bind(e.party.to_string())
    .bind(e.action.to_string())
    .bind(e.from_state.map(str::to_string))
    .bind(e.to_state.to_string())
    .bind(e.remark.to_string())
    .bind(prev_hash.to_string())
    .bind(hash.to_string())
    .bind(e.terms_hash.map(str::to_string))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TrailEvent {
    pub seq: i64,
    pub at: Millis,
    pub actor_account_id: Option<String>,
    pub actor_name: String,
    pub party: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub remark: String,
    pub prev_hash: String,
    pub hash: String,
    pub terms_hash: Option<String>,
}

pub async fn events(store: &Store, record_id: &str) -> ServiceResult<Vec<TrailEvent>> {
    Ok(sqlx::query_as::<_, TrailEvent>(
        "SELECT seq, at, actor_account_id, actor_name, party, action, from_state, to_state, remark, prev_hash, hash, terms_hash \
         FROM flow_events WHERE record_id = $1 ORDER BY seq",
    )
    .bind(record_id.to_string())
    .fetch_all(store.reader())
    .await?)
}

/// What is wrong with one record's trail, or `None` when it is intact: sequence numbers run
/// 1, 2, 3…, each event links to the previous hash and hashes to its own, each starts in the
/// state where the previous one ended, and the record's state and stored head match the end.
pub fn verify_chain(
    pii: &Pii,
    record_id: &str,
    events: &[TrailEvent],
    record_state: &str,
    head_seq: i64,
    head_hash: &str,
    terms_now: Option<&str>,
) -> Option<String> {
    let mut prev = GENESIS.to_string();
    for (i, e) in events.iter().enumerate() {
        let want_seq = i64::try_from(i).unwrap_or(i64::MAX) + 1;
        if e.seq != want_seq {
            return Some(format!("第 {want_seq} 条记录缺失或顺序被改动"));
        }
        if e.prev_hash != prev {
            return Some(format!("第 {} 条记录与前一条不衔接", e.seq));
        }
        let h = event_hash(
            pii,
            &Hashed {
                record_id,
                seq: e.seq,
                at: e.at,
                actor_account_id: e.actor_account_id.as_deref(),
                actor_name: &e.actor_name,
                party: &e.party,
                action: &e.action,
                from_state: e.from_state.as_deref(),
                to_state: &e.to_state,
                remark: &e.remark,
                terms_hash: e.terms_hash.as_deref(),
                prev_hash: &e.prev_hash,
            },
        );
        if h != e.hash {
            return Some(format!("第 {} 条记录的内容被改动", e.seq));
        }
        prev = e.hash.clone();
    }
    let steps: Vec<TrailStep> = events
        .iter()
        .map(|e| TrailStep {
            from: e.from_state.clone(),
            to: e.to_state.clone(),
        })
        .collect();
    match replay(&steps) {
        Err(i) => return Some(format!("第 {} 条记录的起始状态与前一条的结果不符", i + 1)),
        Ok(end) if end != Some(record_state) => {
            return Some(format!(
                "记录状态为 {record_state}，流程追踪的结果为 {}",
                end.unwrap_or("（无）")
            ))
        }
        Ok(_) => {}
    }
    let last_seq = events.last().map_or(0, |e| e.seq);
    if last_seq != head_seq || prev != head_hash {
        return Some("流程追踪的末尾与记录保存的链头不符（末尾记录被删除或替换）".to_string());
    }
    let pinned = events.last().and_then(|e| e.terms_hash.as_deref());
    if let (Some(pinned), Some(now)) = (pinned, terms_now) {
        if pinned != now {
            return Some(
                "协议条款（含薪酬或任一版本）与流程追踪记录的不符：条款在流程之外被改动"
                    .to_string(),
            );
        }
    }
    None
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub records: u64,
    pub events: u64,
    /// (record kind, record id, problem)
    pub problems: Vec<(String, String, String)>,
}

/// Checks every record's trail (the `check-trail` command). Reads in pages of records so that
/// memory stays flat on a large database.
pub async fn check(store: &Store) -> ServiceResult<CheckReport> {
    let mut report = CheckReport {
        records: 0,
        events: 0,
        problems: Vec::new(),
    };
    for (kind, table) in [("agreement", "agreements"), ("destination", "destinations")] {
        let mut after = String::new();
        loop {
            let rows = sqlx::query_as::<_, (String, String, i64, String)>(&format!(
                "SELECT id, state, trail_seq, trail_hash FROM {table} WHERE id > $1 ORDER BY id LIMIT 500"
            ))
            .bind(after.clone())
            .fetch_all(store.reader())
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.0.clone();
            for (id, state, seq, hash) in rows {
                let evs = events(store, &id).await?;
                report.records += 1;
                report.events += evs.len() as u64;
                let terms_now = if kind == "agreement" && terms_bound_by_trail(&state) {
                    let mut conn = store.reader().acquire().await?;
                    Some(terms_digest_of(&mut conn, &id).await?)
                } else {
                    None
                };
                if let Some(p) = verify_chain(
                    &store.pii,
                    &id,
                    &evs,
                    &state,
                    seq,
                    &hash,
                    terms_now.as_deref(),
                ) {
                    report.problems.push((kind.to_string(), id, p));
                }
            }
        }
    }
    // Events whose record is gone.
    let orphans = sqlx::query_as::<_, (String, String)>(
        "SELECT DISTINCT f.record_kind, f.record_id FROM flow_events f \
         LEFT JOIN agreements a ON a.id = f.record_id LEFT JOIN destinations d ON d.id = f.record_id \
         WHERE a.id IS NULL AND d.id IS NULL",
    )
    .fetch_all(store.reader())
    .await?;
    for (kind, id) in orphans {
        report
            .problems
            .push((kind, id, "流程追踪所属的记录不存在".to_string()));
    }
    Ok(report)
}
