//! 生源审核 (004 §4.2 note, 002 FAQ 5): the department reviewer or the school administrator
//! approves or returns imported source records, one by one or in bulk (by ids, or by the
//! list's filter over all its pages). Who may is the policy's, what a decision does the
//! domain's ([`wangqian_domain::roster_review`]); every change is audited per record.

use std::collections::{BTreeMap, HashSet};

use wangqian_domain::policy::{self, GraduateScope};
use wangqian_domain::role::{Actor, Role};
use wangqian_domain::roster_review::{self as rr, RecordFacts, RosterDecision, RosterReview, Skip};

use crate::error::allow;
use crate::graduates::{graduate_conditions, GraduateFilter};
use crate::{
    new_id, DepartmentId, FieldError, GraduateId, Millis, SchoolId, ServiceError, ServiceResult,
    Store,
};

/// At most this many ids in one request (a larger set goes by filter).
pub const MAX_IDS: usize = 1000;
/// Skipped records listed in an answer; `skipped_total` counts all of them.
const MAX_LISTED_SKIPS: usize = 500;
/// Ids per UPDATE and audit rows per INSERT (placeholders stay far below both drivers' limits).
const CHUNK: usize = 200;

/// The list filters of `list_graduates`, for a review of every record they find.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterReviewFilter {
    /// Defaults to the actor's school.
    pub school_id: Option<String>,
    pub graduation_year: Option<i64>,
    /// Ignored for a department reviewer (always their own department).
    pub department_id: Option<String>,
    /// Name fragment or exact student number.
    pub keyword: Option<String>,
    pub bound: Option<bool>,
    pub review_state: Option<RosterReview>,
}

/// 审核通过 / 退回 of source records: by `ids`, or by `filter` (every page of the list), one of
/// the two.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterReviewRequest {
    pub decision: RosterDecision,
    /// Required to return (2–200 characters; the school reads it when correcting the record).
    #[serde(default)]
    pub reason: Option<String>,
    /// At most 1000 graduate ids.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    #[serde(default)]
    pub filter: Option<RosterReviewFilter>,
}

/// A record the decision left as it was, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SkippedRecord {
    pub id: GraduateId,
    pub reason: String,
}

/// What a review changed: `approved` (审核通过) or `returned` (退回), and the records left as
/// they were. By filter, records already in the decision's state are simply not counted.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RosterReviewOutcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned: Option<i64>,
    /// At most 500 are listed.
    pub skipped: Vec<SkippedRecord>,
    pub skipped_total: i64,
}

impl RosterReviewOutcome {
    /// How many records changed.
    pub fn changed(&self) -> i64 {
        self.approved.or(self.returned).unwrap_or(0)
    }
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: GraduateId,
    school_id: SchoolId,
    department_id: DepartmentId,
    review_state: String,
    outcome_held: i64,
}

const CANDIDATE_COLUMNS: &str = "SELECT g.id, g.school_id, g.department_id, g.review_state, \
    CASE WHEN EXISTS (SELECT 1 FROM graduate_outcomes o WHERE o.graduate_id = g.id) THEN 1 ELSE 0 END AS outcome_held \
    FROM graduates g";

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Approves or returns source records; see [`RosterReviewRequest`]. An id outside the actor's
/// scope refuses the whole request (nothing changes), as the policy answers it.
pub async fn review_roster_records(
    store: &Store,
    actor: &Actor,
    request: RosterReviewRequest,
) -> ServiceResult<RosterReviewOutcome> {
    // A role that never reviews is told so before anything about the input.
    if matches!(
        actor.role,
        Role::Graduate | Role::EmployerMember | Role::ProvincialAdmin
    ) {
        return Err(ServiceError::Forbidden);
    }
    let mut errors = Vec::new();
    let reason = match (request.decision, request.reason.as_deref().map(str::trim)) {
        (RosterDecision::Return, r) => rr::check_return_reason(r.unwrap_or(""))
            .map_err(|m| errors.push(FieldError::new("reason", m)))
            .ok(),
        (RosterDecision::Approve, Some(r)) if !r.is_empty() => Some(r.chars().take(200).collect()),
        (RosterDecision::Approve, _) => None,
    };
    let by_filter = match (&request.ids, &request.filter) {
        (Some(ids), None) if ids.is_empty() => {
            errors.push(FieldError::new("ids", "请勾选要审核的毕业生"));
            false
        }
        (Some(ids), None) if ids.len() > MAX_IDS => {
            errors.push(FieldError::new(
                "ids",
                format!("一次最多勾选 {MAX_IDS} 名毕业生，更多请按筛选条件审核"),
            ));
            false
        }
        (Some(_), None) => false,
        (None, Some(_)) => true,
        _ => {
            errors.push(FieldError::new(
                "ids",
                "请勾选要审核的毕业生（ids），或按筛选条件（filter）审核，二者选一",
            ));
            false
        }
    };
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let candidates = match (&request.ids, &request.filter) {
        (Some(ids), _) if !by_filter => candidates_by_id(store, ids).await?,
        (_, Some(filter)) => candidates_by_filter(store, actor, filter).await?,
        _ => Vec::new(),
    };
    for c in &candidates {
        allow(
            policy::review_roster(
                actor,
                GraduateScope {
                    graduate_id: &c.id,
                    school_id: &c.school_id,
                    department_id: &c.department_id,
                },
            ),
            "毕业生",
        )?;
    }
    // The domain decides each record; the changes are grouped by the state they leave.
    let mut moves: BTreeMap<&'static str, Vec<&Candidate>> = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut skipped_total = 0i64;
    for c in &candidates {
        let current = RosterReview::parse(&c.review_state)
            .ok_or_else(|| anyhow::anyhow!("unknown review_state {}", c.review_state))?;
        let facts = RecordFacts {
            outcome_held: c.outcome_held != 0,
        };
        match rr::decide(current, request.decision, facts) {
            Ok(_) => moves.entry(current.as_str()).or_default().push(c),
            Err(Skip::AlreadyThere(_)) if by_filter => {}
            Err(skip) => {
                skipped_total += 1;
                if skipped.len() < MAX_LISTED_SKIPS {
                    skipped.push(SkippedRecord {
                        id: c.id.clone(),
                        reason: skip.message().into_owned(),
                    });
                }
            }
        }
    }
    let target = request.decision.target();
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let mut changed = 0i64;
    for (from, group) in &moves {
        for chunk in group.chunks(CHUNK) {
            let sql = format!(
                "UPDATE graduates SET review_state = $1, reviewed_by = $2, reviewed_at = $3, review_return_reason = $4, \
                 updated_at = $3 WHERE review_state = $5 AND id IN ({})",
                placeholders(6, chunk.len())
            );
            let mut q = sqlx::query(&sql)
                .bind(target.as_str())
                .bind(actor.account_id.to_string())
                .bind(now)
                .bind(reason.clone().filter(|_| target == RosterReview::Returned))
                .bind(from.to_string());
            for c in chunk {
                q = q.bind(c.id.to_string());
            }
            let n = q.execute(&mut *tx).await?.rows_affected();
            if n != chunk.len() as u64 {
                // Someone else decided some of them meanwhile: nothing of this request stays.
                return Err(ServiceError::Conflict(
                    "部分记录刚被他人审核或重新导入，请刷新后重试".into(),
                ));
            }
            audit_changes(
                &mut tx,
                now,
                &actor.account_id,
                match request.decision {
                    RosterDecision::Approve => "approve_roster_record",
                    RosterDecision::Return => "return_roster_record",
                },
                chunk.iter().map(|c| (&c.id, &c.school_id)),
                &serde_json::json!({ "from": from, "to": target.as_str(), "reason": reason, "by_filter": by_filter }),
            )
            .await?;
            changed += n as i64;
        }
    }
    tx.commit().await?;
    let (approved, returned) = match request.decision {
        RosterDecision::Approve => (Some(changed), None),
        RosterDecision::Return => (None, Some(changed)),
    };
    Ok(RosterReviewOutcome {
        approved,
        returned,
        skipped,
        skipped_total,
    })
}

async fn candidates_by_id(store: &Store, ids: &[String]) -> ServiceResult<Vec<Candidate>> {
    let mut seen = HashSet::new();
    let ids: Vec<&String> = ids.iter().filter(|id| seen.insert(id.as_str())).collect();
    let mut conn = store.reader().acquire().await?;
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "{CANDIDATE_COLUMNS} WHERE g.id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, Candidate>(&sql);
        for id in chunk {
            q = q.bind(id.to_string());
        }
        found.extend(q.fetch_all(&mut *conn).await?);
    }
    if found.len() != ids.len() {
        return Err(ServiceError::NotFound("毕业生"));
    }
    // In the order the ids were given, so that the skipped list reads like the selection.
    let order: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    found.sort_by_key(|c| order.get(c.id.as_str()).copied().unwrap_or(usize::MAX));
    Ok(found)
}

async fn candidates_by_filter(
    store: &Store,
    actor: &Actor,
    filter: &RosterReviewFilter,
) -> ServiceResult<Vec<Candidate>> {
    let school_id = filter
        .school_id
        .clone()
        .filter(|s| !s.is_empty())
        .or_else(|| actor.school_id.as_ref().map(ToString::to_string))
        .ok_or_else(|| ServiceError::BadRequest("请指定学校（school_id）".into()))?;
    allow(
        policy::review_school_roster(actor, &SchoolId::from(school_id.as_str())),
        "学校",
    )?;
    let q = graduate_conditions(
        actor,
        &school_id,
        &GraduateFilter {
            graduation_year: filter.graduation_year,
            department_id: filter.department_id.clone(),
            keyword: filter.keyword.clone(),
            bound: filter.bound,
            review_state: filter.review_state,
            ..GraduateFilter::default()
        },
    )?;
    let sql = format!(
        "{CANDIDATE_COLUMNS} {} ORDER BY g.student_no",
        q.where_sql()
    );
    Ok(q.bind(sqlx::query_as::<_, Candidate>(&sql))
        .fetch_all(store.reader())
        .await?)
}

/// One audit row per record, inserted in chunks (a bulk review of a whole school stays a few
/// statements), in the caller's transaction.
pub(crate) async fn audit_changes<'a>(
    conn: &mut sqlx::AnyConnection,
    at: Millis,
    actor_account_id: &str,
    action: &str,
    records: impl Iterator<Item = (&'a GraduateId, &'a SchoolId)>,
    detail: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    audit_rows(conn, at, Some(actor_account_id), action, records, detail).await
}

async fn audit_rows<'a>(
    conn: &mut sqlx::AnyConnection,
    at: Millis,
    actor_account_id: Option<&str>,
    action: &str,
    records: impl Iterator<Item = (&'a GraduateId, &'a SchoolId)>,
    detail: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    let records: Vec<_> = records.collect();
    let detail = detail.to_string();
    for chunk in records.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 4;
                format!(
                    "(${}, $1, $2, $3, 'graduate', ${}, ${}, ${})",
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (id, at, actor_account_id, action, target_kind, target_id, school_id, detail) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(at)
            .bind(actor_account_id.map(str::to_string))
            .bind(action.to_string());
        for (id, school) in chunk {
            q = q
                .bind(new_id())
                .bind(id.to_string())
                .bind(school.to_string())
                .bind(detail.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records waiting for the actor's review (待审核 生源): a reviewer's department, an
/// administrator's school. For the home page's to-do counts.
pub async fn count_pending_roster(store: &Store, actor: &Actor) -> ServiceResult<i64> {
    let school = actor.school_id.clone().ok_or(ServiceError::Forbidden)?;
    allow(policy::review_school_roster(actor, &school), "学校")?;
    let department = match actor.role {
        Role::DepartmentReviewer => {
            Some(actor.department_id.clone().ok_or(ServiceError::Forbidden)?)
        }
        _ => None,
    };
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM graduates WHERE school_id = $1 AND review_state = $2 \
         AND ($3 = '' OR department_id = $3)",
    )
    .bind(school.to_string())
    .bind(RosterReview::Pending.as_str())
    .bind(department.map(|d| d.to_string()).unwrap_or_default())
    .fetch_one(store.reader())
    .await?;
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// What an import does to review states, as SQL generated from the domain's rule.

/// The roster columns a review vouches for ([`rr::after_import`]): a re-import that changes
/// any of them reopens the review. Nullable ones are compared through COALESCE.
const REVIEWED_COLUMNS: [(&str, bool); 13] = [
    ("department_id", false),
    ("major_id", false),
    ("class_id", true),
    ("graduation_year", false),
    ("name", false),
    ("gender", false),
    ("ethnicity_code", true),
    ("political_status_code", true),
    ("id_number_hash", false),
    ("education_level_code", false),
    ("training_mode_code", false),
    ("years_of_schooling", false),
    ("origin_location", false),
];

/// True (in SQL) when the row `new` differs from `old` in a reviewed column.
pub(crate) fn data_changed_sql(old: &str, new: &str) -> String {
    let parts: Vec<String> = REVIEWED_COLUMNS
        .iter()
        .map(|(c, nullable)| {
            if *nullable {
                format!("COALESCE({old}.{c}, '') <> COALESCE({new}.{c}, '')")
            } else {
                format!("{old}.{c} <> {new}.{c}")
            }
        })
        .collect();
    format!("({})", parts.join(" OR "))
}

/// Whether the school reviews the cohort's roster (1/0), for a row with `school_id` and
/// `graduation_year` columns under `row`; without a settings row, the default (on).
pub(crate) fn review_on_sql(row: &str) -> String {
    format!(
        "COALESCE((SELECT ss.roster_review FROM signing_settings ss WHERE ss.school_id = {row}.school_id \
         AND ss.graduation_year = {row}.graduation_year), {})",
        // The domain's default for a cohort the school never configured.
        i64::from(wangqian_domain::settings::SigningSettings::defaults_for(2026).roster_review)
    )
}

/// [`rr::after_import`] as a CASE over every input: `current` is the stored state's column,
/// `changed` and `on` SQL conditions. Only the domain's fixed state names go into the text.
pub(crate) fn after_import_sql(current: &str, changed: &str, on: &str) -> String {
    let mut sql = String::from("CASE");
    for cur in RosterReview::ALL {
        for data_changed in [true, false] {
            for review_on in [true, false] {
                let state = rr::after_import(Some(*cur), data_changed, review_on);
                sql.push_str(&format!(
                    " WHEN {current} = '{}' AND {}{changed} AND {on} = {} THEN '{}'",
                    cur.as_str(),
                    if data_changed { "" } else { "NOT " },
                    i64::from(review_on),
                    state.as_str()
                ));
            }
        }
    }
    sql.push_str(&format!(" ELSE {current} END"));
    sql
}

/// The state of a new record ([`rr::after_import`] without a stored one), by `on`.
pub(crate) fn new_record_state_sql(on: &str) -> String {
    format!(
        "CASE WHEN {on} = 1 THEN '{}' ELSE '{}' END",
        rr::after_import(None, true, true).as_str(),
        rr::after_import(None, true, false).as_str()
    )
}

/// The record ids whose review state this import changes (before the merge), with the state
/// they leave and the one they get: audited per record with the import.
pub(crate) async fn import_reopenings(
    conn: &mut sqlx::AnyConnection,
    job_id: &str,
) -> Result<Vec<(GraduateId, SchoolId, String, String)>, sqlx::Error> {
    let next = after_import_sql(
        "g.review_state",
        &data_changed_sql("g", "n"),
        &review_on_sql("n"),
    );
    // Only the rows whose state changes leave the database (a re-import of a whole school
    // changes few).
    let sql = format!(
        "SELECT x.id, x.school_id, x.review_state, x.next_state FROM (\
         SELECT g.id, g.school_id, g.review_state, {next} AS next_state FROM \
           (SELECT s.school_id, s.student_no, d.id AS department_id, m.id AS major_id, c.id AS class_id, s.graduation_year, \
              s.name, s.gender, s.ethnicity_code, s.political_status_code, s.id_number_hash, s.education_level_code, \
              s.training_mode_code, s.years_of_schooling, s.origin_location \
            FROM roster_staging s \
            JOIN departments d ON d.school_id = s.school_id AND d.name = s.department \
            JOIN majors m ON m.department_id = d.id AND m.name = s.major \
            LEFT JOIN classes c ON c.major_id = m.id AND c.name = s.class_name \
            WHERE s.job_id = $1) n \
         JOIN graduates g ON g.school_id = n.school_id AND g.student_no = n.student_no) x \
         WHERE x.review_state <> x.next_state"
    );
    let rows: Vec<(GraduateId, SchoolId, String, String)> = sqlx::query_as(&sql)
        .bind(job_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows)
}

/// Audits the review states an import changed (no actor: the import job's own audit row names
/// the job).
pub(crate) async fn audit_import_reopenings(
    conn: &mut sqlx::AnyConnection,
    at: Millis,
    job_id: &str,
    changes: &[(GraduateId, SchoolId, String, String)],
) -> Result<(), sqlx::Error> {
    // Grouped by (from, to) so that each audit row's detail says what happened to it.
    let mut groups: BTreeMap<(&str, &str), Vec<(&GraduateId, &SchoolId)>> = BTreeMap::new();
    for (id, school, from, to) in changes {
        groups
            .entry((from.as_str(), to.as_str()))
            .or_default()
            .push((id, school));
    }
    for ((from, to), records) in groups {
        audit_rows(
            conn,
            at,
            None,
            "reimport_roster_review",
            records.into_iter(),
            &serde_json::json!({ "job_id": job_id, "from": from, "to": to }),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_case_covers_every_input_of_the_domain_rule() {
        let sql = after_import_sql("g.review_state", "(x)", "on");
        // One branch per (current, changed, on), and only the domain's names as literals.
        assert_eq!(sql.matches(" WHEN ").count(), 3 * 2 * 2);
        assert_eq!(
            new_record_state_sql("on"),
            "CASE WHEN on = 1 THEN 'pending' ELSE 'approved' END"
        );
        assert!(
            sql.contains("WHEN g.review_state = 'approved' AND NOT (x) AND on = 1 THEN 'approved'")
        );
        assert!(sql.contains("WHEN g.review_state = 'approved' AND (x) AND on = 1 THEN 'pending'"));
        assert!(sql.contains("WHEN g.review_state = 'returned' AND (x) AND on = 0 THEN 'approved'"));
    }

    #[test]
    fn data_changes_compare_every_reviewed_column_null_safely() {
        let sql = data_changed_sql("old", "new");
        assert!(sql.contains("COALESCE(old.class_id, '') <> COALESCE(new.class_id, '')"));
        assert!(sql.contains("old.id_number_hash <> new.id_number_hash"));
        assert!(!sql.contains("mobile"));
    }
}
