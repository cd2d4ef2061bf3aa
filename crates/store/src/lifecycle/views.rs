//! Reading agreements: lists that filter and page, the detail with the viewer's possible
//! actions and every terms version, the flow trail, and each role's to-do counts.

use serde::{Deserialize, Serialize};
use wangqian_domain::codes;
use wangqian_domain::lifecycle::{self as lc, AgreementState, Party};
use wangqian_domain::role::{Actor, Role};

use super::{load_facts, load_visible, trail, AgreementRow, FactsOf};
use crate::query::{encode_cursor, time_id_cursor, Arg, Counted, Filter};
#[allow(unused_imports)]
use crate::{AgreementId, BlobId, EmployerId, GraduateId, Millis, SchoolId};
use crate::{Page, Paging, ServiceError, ServiceResult, Store};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AgreementFilter {
    /// A state code (e.g. `signed`); `expired` also finds invitations past their deadline.
    pub state: Option<String>,
    /// online / paper
    pub kind: Option<String>,
    pub graduation_year: Option<i64>,
    pub department_id: Option<String>,
    /// Graduate name, student number, employer name or agreement number.
    pub keyword: Option<String>,
    /// Only what waits for the viewer's side.
    #[serde(default)]
    pub awaiting_me: bool,
    /// One of the viewer's to-do lists: exactly the records the home page counts.
    pub todo: Option<AgreementTodo>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// The `next` cursor of the previous page (keyset paging; `page` is then ignored).
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AgreementListRow {
    pub id: AgreementId,
    pub kind: String,
    pub number: Option<String>,
    pub state: String,
    pub awaiting: Option<String>,
    pub version: i64,
    pub graduate_id: GraduateId,
    pub graduate_name: String,
    pub student_no: String,
    pub department: String,
    pub major: String,
    pub graduation_year: i64,
    pub employer_name: String,
    pub deadline_at: Option<Millis>,
    pub updated_at: Millis,
    #[sqlx(skip)]
    pub state_label: String,
    #[sqlx(skip)]
    pub kind_label: String,
    /// For the graduate: why this invitation may only be looked at (只能查看), e.g. they signed
    /// elsewhere; `None` when they may answer it.
    #[sqlx(skip)]
    pub view_only: Option<String>,
}

/// The awaiting values that mean "the viewer's move".
fn my_awaiting(actor: &Actor) -> Option<&'static str> {
    Party::of(actor.role).map(Party::as_str)
}

pub async fn list_agreements(
    store: &Store,
    actor: &Actor,
    f: &AgreementFilter,
) -> ServiceResult<Page<AgreementListRow>> {
    let paging = Paging::new(f.page, f.per_page);
    let now = store.now();
    let mut q = agreement_scope(actor);
    // Staff and employers do not see a graduate's unsubmitted paper drafts.
    if actor.role != Role::Graduate {
        q.and("a.state <> 'draft'");
    }
    if let Some(s) = f.state.as_deref().filter(|s| !s.is_empty()) {
        let state = AgreementState::parse(s)
            .ok_or_else(|| ServiceError::field("state", "未知的协议状态"))?;
        match state {
            // Past-deadline invitations read as expired even before the sweep writes it.
            AgreementState::Expired => q.and_with(
                "(a.state = 'expired' OR (a.state = 'invited' AND a.deadline_at <= ?))",
                [Arg::from(now)],
            ),
            AgreementState::Invited => q.and_with(
                "a.state = 'invited' AND a.deadline_at > ?",
                [Arg::from(now)],
            ),
            _ => q.and_eq("a.state", state.as_str()),
        };
    }
    if let Some(k) = f.kind.as_deref().filter(|s| !s.is_empty()) {
        q.and_eq("a.kind", k);
    }
    if let Some(d) = f.department_id.as_deref().filter(|s| !s.is_empty()) {
        q.and_eq("a.department_id", d);
    }
    let keyword = f
        .keyword
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(k) = keyword {
        q.and_contains(
            &["g.name", "g.student_no", "a.employer_name", "a.number"],
            k,
        );
    }
    if f.awaiting_me {
        match my_awaiting(actor) {
            Some(p) => q.and_eq("a.awaiting", p),
            None => q.and("1 = 0"),
        };
    }
    if let Some(y) = f.graduation_year {
        q.and_eq("a.graduation_year", y);
    }
    if let Some(t) = f.todo {
        todo_condition(&mut q, actor, t, now);
    }
    // Only a keyword needs the graduate while choosing rows; otherwise the index on the
    // scope and `updated_at` gives the page in order and the joins touch its rows only.
    // `id IN (page)` rather than a joined derived table: SQLite then never plans the
    // joins before the page (a derived table with a bound LIMIT sometimes took 40 ms).
    // Department and major names are scalar subqueries: PostgreSQL spent more time planning
    // the four-way join than running it.
    let from = if keyword.is_some() {
        "FROM agreements a JOIN graduates g ON g.id = a.graduate_id"
    } else {
        "FROM agreements a"
    };
    // The list indexes hold the scope, the order and the state: only a list filtered by no
    // more than those counts along them.
    let covered = keyword.is_none()
        && !f.awaiting_me
        && f.todo.is_none()
        && f.graduation_year.is_none()
        && f.kind.as_deref().is_none_or(str::is_empty)
        && f.department_id.as_deref().is_none_or(str::is_empty);
    let along = covered.then_some("a.updated_at DESC, a.id DESC");
    let mut conn = store.reader().acquire().await?;
    let counting = q.clone();
    let count = q.count_column(from, along);
    let mut offset = paging.offset();
    let after = f.after.as_deref().filter(|s| !s.is_empty());
    if let Some(after) = after {
        let (at, id) = time_id_cursor(after)?;
        q.and_with(
            "a.updated_at <= ? AND (a.updated_at < ? OR a.id < ?)",
            [Arg::Int(at), Arg::Int(at), Arg::Text(id)],
        );
        offset = 0;
    }
    let limit = q.arg(paging.per_page + 1);
    let offset = q.arg(offset);
    let list_sql = format!(
        "SELECT a.id, a.kind, a.number, a.state, a.awaiting, a.version, a.graduate_id, g.name AS graduate_name, g.student_no, \
         (SELECT d.name FROM departments d WHERE d.id = a.department_id) AS department, \
         (SELECT m.name FROM majors m WHERE m.id = g.major_id) AS major, \
         a.graduation_year, a.employer_name, a.deadline_at, a.updated_at, {count} \
         FROM agreements a JOIN graduates g ON g.id = a.graduate_id \
         WHERE a.id IN (SELECT a.id {from} {} ORDER BY a.updated_at DESC, a.id DESC LIMIT {limit} OFFSET {offset}) \
         ORDER BY a.updated_at DESC, a.id DESC",
        q.where_sql()
    );
    let rows = q
        .bind(sqlx::query_as::<_, Counted<AgreementListRow>>(&list_sql))
        .fetch_all(&mut *conn)
        .await?;
    let first_page = after.is_none() && paging.offset() == 0;
    let (rows, total) = Counted::split(
        rows,
        first_page,
        counting.count_capped(&mut *conn, from, along),
    )
    .await?;
    let mut page = Page::from_rows(rows, paging, total, |r| {
        encode_cursor(&[&r.updated_at.to_string(), &r.id])
    });
    for r in &mut page.items {
        let state = AgreementState::parse(&r.state).unwrap_or(AgreementState::Invited);
        let state = lc::state_at(state, r.deadline_at, now);
        r.state = state.as_str().to_string();
        if state == AgreementState::Expired {
            r.awaiting = None;
        }
        r.state_label = state.label().to_string();
        r.kind_label = lc::AgreementKind::parse(&r.kind)
            .map(|k| k.label().to_string())
            .unwrap_or_default();
    }
    mark_view_only(&mut conn, actor, &mut page.items, now).await?;
    Ok(page)
}

/// Marks the graduate's invitations that may only be looked at, with the domain's reason. The
/// graduate's facts are the same for every invitation of theirs (an invitation never holds the
/// outcome), so they are read once, and only when the page shows an invitation.
async fn mark_view_only(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    rows: &mut [AgreementListRow],
    now: Millis,
) -> ServiceResult<()> {
    let (Role::Graduate, Some(graduate_id)) = (actor.role, &actor.graduate_id) else {
        return Ok(());
    };
    if !rows
        .iter()
        .any(|r| r.state == AgreementState::Invited.as_str())
    {
        return Ok(());
    }
    let subject = FactsOf::New {
        kind: lc::AgreementKind::Online,
        graduate_id,
        employer_id: None,
    };
    let (mut facts, _, _) = load_facts(conn, subject, lc::AgreementAction::Accept, now).await?;
    for r in rows
        .iter_mut()
        .filter(|r| r.state == AgreementState::Invited.as_str())
    {
        facts.deadline_passed = r.deadline_at.is_some_and(|d| lc::deadline_passed(d, now));
        r.view_only = lc::view_only_reason(AgreementState::Invited, Party::Graduate, &facts)
            .map(std::borrow::Cow::into_owned);
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActionView {
    pub action: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct VersionView {
    pub version_no: i64,
    pub status: String,
    #[sqlx(skip)]
    pub terms: serde_json::Value,
    #[serde(skip)]
    pub terms_json: String,
    pub proposed_at: Millis,
    pub decided_at: Option<Millis>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct GraduateView {
    pub id: String,
    pub name: String,
    pub student_no: String,
    pub gender: String,
    pub department: String,
    pub major: String,
    pub education_level_code: String,
    pub training_mode_code: String,
    pub id_number_masked: String,
    pub mobile_masked: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgreementDetail {
    pub id: AgreementId,
    pub kind: String,
    pub kind_label: &'static str,
    pub number: Option<String>,
    pub state: String,
    pub state_label: &'static str,
    pub awaiting: Option<String>,
    pub version: i64,
    pub graduation_year: i64,
    pub school_id: SchoolId,
    pub school_name: String,
    pub graduate: GraduateView,
    pub employer_id: Option<EmployerId>,
    pub employer_name: String,
    pub employer_credit_code: String,
    pub paper_employer: Option<serde_json::Value>,
    pub terms_version: i64,
    pub terms: serde_json::Value,
    /// Proposed terms waiting for the graduate or the school.
    pub pending_amendment: Option<serde_json::Value>,
    pub versions: Vec<VersionView>,
    /// The school's rule, shown to both parties before they act.
    pub binding_moment: String,
    pub binding_moment_label: &'static str,
    pub deadline_at: Option<Millis>,
    pub termination_requested_by: Option<String>,
    pub termination_reason: Option<String>,
    /// Terminations the graduate has used and the school's maximum, told before answering one.
    pub terminations_used: u8,
    pub max_terminations: u8,
    pub termination_proof_id: Option<BlobId>,
    pub signed_scan_id: Option<BlobId>,
    pub sent_at: Option<Millis>,
    pub signed_at: Option<Millis>,
    pub effective_at: Option<Millis>,
    pub updated_at: Millis,
    /// What the viewer may do now.
    pub actions: Vec<ActionView>,
    /// Why the viewer may only look at this invitation (只能查看) though it waits for them,
    /// e.g. "你已签约，解约后才能处理其他邀请".
    pub view_only: Option<String>,
    /// The invitation letter as the graduate reads it, while it waits for an answer.
    pub letter: Option<wangqian_domain::lifecycle::letter::InvitationLetter>,
    /// The record's files (termination letter, signed scan), downloadable by every viewer.
    pub uploads: Vec<crate::record_uploads::RecordUpload>,
}

pub async fn get_agreement(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
) -> ServiceResult<AgreementDetail> {
    let mut conn = store.reader().acquire().await?;
    let row: AgreementRow = load_visible(&mut conn, actor, id).await?;
    let now = store.now();
    let state = row.state_at(now)?;
    // The employer's side of the facts matters only where a resend is possible.
    let probe = if matches!(
        row.stored_state()?,
        AgreementState::Withdrawn | AgreementState::Rejected | AgreementState::Expired
    ) {
        lc::AgreementAction::Resend
    } else {
        lc::AgreementAction::Accept
    };
    let (ctx, _, _) = load_facts(&mut conn, FactsOf::Record(&row), probe, now).await?;
    let actions = match Party::of(actor.role) {
        Some(p) => lc::available_actions(row.stored_state()?, p, &ctx)
            .into_iter()
            .map(|a| ActionView {
                action: a.as_str(),
                label: a.label(),
            })
            .collect(),
        None => Vec::new(),
    };
    let view_only = Party::of(actor.role)
        .and_then(|p| lc::view_only_reason(state, p, &ctx))
        .map(std::borrow::Cow::into_owned);
    let letter = match (state, row.sent_at, row.deadline_at) {
        (AgreementState::Invited, Some(sent), Some(deadline)) => {
            serde_json::from_str::<wangqian_domain::terms::AgreementTerms>(&row.terms)
                .ok()
                .map(|t| {
                    wangqian_domain::lifecycle::letter::invitation_letter(
                        &row.graduate_name,
                        &row.employer_name,
                        &t,
                        sent,
                        deadline,
                    )
                })
        }
        _ => None,
    };
    let graduate = sqlx::query_as::<_, GraduateView>(
        "SELECT g.id, g.name, g.student_no, g.gender, d.name AS department, m.name AS major, g.education_level_code, \
         g.training_mode_code, g.id_number_masked, g.mobile_masked, g.email_masked AS email FROM graduates g \
         JOIN departments d ON d.id = g.department_id JOIN majors m ON m.id = g.major_id WHERE g.id = $1",
    )
    .bind(row.graduate_id.clone())
    .fetch_one(&mut *conn)
    .await?;
    let (school_name,): (String,) = sqlx::query_as("SELECT name FROM schools WHERE id = $1")
        .bind(row.school_id.clone())
        .fetch_one(&mut *conn)
        .await?;
    let mut versions = sqlx::query_as::<_, (i64, String, String, Millis, Option<Millis>)>(
        "SELECT version_no, status, terms, proposed_at, decided_at FROM agreement_versions WHERE agreement_id = $1 ORDER BY version_no",
    )
    .bind(row.id.clone())
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(version_no, status, terms_json, proposed_at, decided_at)| VersionView {
        version_no,
        status,
        terms: serde_json::from_str(&terms_json).unwrap_or(serde_json::Value::Null),
        terms_json,
        proposed_at,
        decided_at,
    })
    .collect::<Vec<_>>();
    versions.sort_by_key(|v| v.version_no);
    let file_ids: Vec<String> = [&row.termination_proof_id, &row.signed_scan_id]
        .into_iter()
        .flatten()
        .map(|id| id.to_string())
        .collect();
    let uploads = crate::record_uploads::files(&mut conn, &file_ids).await?;
    let pending_amendment = versions
        .iter()
        .find(|v| v.status == "proposed")
        .map(|v| v.terms.clone());
    let binding = row.binding_moment.0;
    let awaiting = if state == AgreementState::Expired {
        None
    } else {
        row.awaiting.map(|p| p.as_str().to_string())
    };
    Ok(AgreementDetail {
        kind_label: row.kind().label(),
        state: state.as_str().to_string(),
        state_label: state.label(),
        awaiting,
        terms: serde_json::from_str(&row.terms).unwrap_or(serde_json::Value::Null),
        paper_employer: row
            .paper_employer
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok()),
        binding_moment_label: binding.label(),
        id: row.id,
        kind: row.kind.as_str().to_string(),
        number: row.number,
        version: row.version,
        graduation_year: row.graduation_year,
        school_id: row.school_id,
        school_name,
        graduate,
        employer_id: row.employer_id,
        employer_name: row.employer_name,
        employer_credit_code: row.employer_credit_code,
        terms_version: row.terms_version,
        pending_amendment,
        versions,
        binding_moment: row.binding_moment.as_str().to_string(),
        deadline_at: row.deadline_at,
        termination_requested_by: row.termination_requested_by.map(|p| p.as_str().to_string()),
        termination_reason: row.termination_reason,
        terminations_used: ctx.terminations_used,
        max_terminations: ctx.max_terminations,
        termination_proof_id: row.termination_proof_id,
        signed_scan_id: row.signed_scan_id,
        sent_at: row.sent_at,
        signed_at: row.signed_at,
        effective_at: row.effective_at,
        updated_at: row.updated_at,
        actions,
        view_only,
        letter,
        uploads,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrailView {
    pub record_id: AgreementId,
    /// False when the chain check finds the trail altered.
    pub intact: bool,
    pub problem: Option<String>,
    pub events: Vec<TrailEventView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrailEventView {
    #[serde(flatten)]
    pub event: trail::TrailEvent,
    pub party_label: &'static str,
    pub action_label: &'static str,
    pub to_state_label: &'static str,
}

pub async fn get_agreement_trail(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
) -> ServiceResult<TrailView> {
    let mut conn = store.reader().acquire().await?;
    let row = load_visible(&mut conn, actor, id).await?;
    let terms_now = if wangqian_domain::lifecycle::terms_bound_by_trail(row.state.as_str()) {
        Some(trail::terms_digest_of(&mut conn, &row.id).await?)
    } else {
        None
    };
    drop(conn);
    let events = trail::events(store, &row.id).await?;
    let problem = trail::verify_chain(
        &store.pii,
        &row.id,
        &events,
        row.state.as_str(),
        row.trail_seq,
        &row.trail_hash,
        terms_now.as_deref(),
    );
    Ok(TrailView {
        record_id: row.id,
        intact: problem.is_none(),
        problem,
        events: events
            .into_iter()
            .map(|e| TrailEventView {
                party_label: Party::parse(&e.party).map_or("", Party::label),
                action_label: lc::AgreementAction::parse(&e.action).map_or("", |a| a.label()),
                to_state_label: AgreementState::parse(&e.to_state).map_or("", |s| s.label()),
                event: e,
            })
            .collect(),
    })
}

/// Each role's to-do counts (SPEC §11): 签约待办, 解约待办, 待审核, plus unread messages. Each
/// count is the total of the list its home-page link opens (`todo=` on the agreement and
/// destination lists), because both are built from the same condition.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq, utoipa::ToSchema)]
pub struct TodoCounts {
    pub signing: i64,
    pub termination: i64,
    /// Other destinations waiting for the school (registration or release).
    pub destinations: i64,
    /// Imported roster records waiting for 生源审核 (the reviewer's department, the school).
    pub roster: i64,
    /// Everything the staff member reviews: signing + termination + destinations + roster.
    pub review: i64,
    pub unread_messages: i64,
}

/// A to-do list of agreements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgreementTodo {
    /// 签约待办: invitations to answer (graduate), unanswered offers to follow up (employer),
    /// signing and amendment reviews (staff).
    Signing,
    /// 解约待办: termination requests to answer or review.
    Termination,
}

impl AgreementTodo {
    pub fn parse(s: &str) -> Option<AgreementTodo> {
        match s {
            "signing" => Some(AgreementTodo::Signing),
            "termination" => Some(AgreementTodo::Termination),
            _ => None,
        }
    }
}

/// The rows of one to-do list, inside the actor's scope (which the caller has added).
fn todo_condition(q: &mut Filter, actor: &Actor, todo: AgreementTodo, now: Millis) {
    use AgreementTodo as T;
    match (actor.role, todo) {
        // An invitation the graduate may only look at (they hold an outcome: 只能查看) is no
        // to-do until a termination or release frees them.
        (Role::Graduate, T::Signing) => {
            q.and("a.awaiting = 'graduate'")
                .and("a.state <> 'termination_requested'")
                .and_with(
                    "(a.state <> 'invited' OR a.deadline_at > ?)",
                    [Arg::from(now)],
                )
                .and(
                    "(a.state <> 'invited' OR NOT EXISTS \
                     (SELECT 1 FROM graduate_outcomes o WHERE o.graduate_id = a.graduate_id))",
                );
        }
        (Role::Graduate, T::Termination) => {
            q.and("a.awaiting = 'graduate'")
                .and("a.state = 'termination_requested'");
        }
        // The employer follows up its offers still unanswered.
        (Role::EmployerMember, T::Signing) => {
            q.and("a.state = 'invited'")
                .and_with("a.deadline_at > ?", [Arg::from(now)]);
        }
        (Role::EmployerMember, T::Termination) => {
            q.and("a.awaiting = 'employer'")
                .and("a.state = 'termination_requested'");
        }
        (Role::DepartmentReviewer | Role::SchoolAdmin, t) => {
            q.and_eq("a.awaiting", my_awaiting(actor).unwrap_or_default());
            q.and(match t {
                T::Signing => "a.state IN ('signed', 'dept_approved', 'amendment_review', 'content_review', 'feedback_review')",
                T::Termination => "a.state IN ('termination_review', 'termination_dept_approved')",
            });
        }
        (Role::ProvincialAdmin, _) => {
            q.and("1 = 0");
        }
    }
}

/// The actor's scope over agreements, as the list applies it.
fn agreement_scope(actor: &Actor) -> Filter {
    let mut q = Filter::new();
    match actor.role {
        Role::Graduate => {
            q.and_eq(
                "a.graduate_id",
                actor.graduate_id.clone().unwrap_or_default(),
            );
        }
        Role::EmployerMember => {
            q.and_eq(
                "a.employer_id",
                actor.employer_id.clone().unwrap_or_default(),
            );
        }
        Role::DepartmentReviewer => {
            q.and_eq("a.school_id", actor.school_id.clone().unwrap_or_default())
                .and_eq(
                    "a.department_id",
                    actor.department_id.clone().unwrap_or_default(),
                );
        }
        Role::SchoolAdmin => {
            q.and_eq("a.school_id", actor.school_id.clone().unwrap_or_default());
        }
        Role::ProvincialAdmin => {}
    }
    q
}

pub async fn todo_counts(store: &Store, actor: &Actor) -> ServiceResult<TodoCounts> {
    let now = store.now();
    let agreements = |todo: AgreementTodo| async move {
        let mut q = agreement_scope(actor);
        todo_condition(&mut q, actor, todo, now);
        let sql = format!("SELECT COUNT(*) FROM agreements a {}", q.where_sql());
        let r: Result<(i64,), sqlx::Error> =
            q.bind(sqlx::query_as(&sql)).fetch_one(store.reader()).await;
        r.map(|r| r.0)
    };
    let mut c = TodoCounts::default();
    if actor.role != Role::ProvincialAdmin {
        c.signing = agreements(AgreementTodo::Signing).await?;
        c.termination = agreements(AgreementTodo::Termination).await?;
    }
    if matches!(actor.role, Role::DepartmentReviewer | Role::SchoolAdmin) {
        c.destinations = super::destinations::count_awaiting_review(store, actor).await?;
        c.roster = crate::roster_review::count_pending_roster(store, actor).await?;
        c.review = c.signing + c.termination + c.destinations + c.roster;
    }
    c.unread_messages = super::messages::unread_count(store, actor).await?;
    Ok(c)
}

/// The code-table names used by pages.
pub fn education_level_name(code: &str) -> &'static str {
    codes::EDUCATION_LEVEL.name_of(code).unwrap_or("")
}
