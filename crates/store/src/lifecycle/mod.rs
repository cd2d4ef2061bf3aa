//! The agreement lifecycle services (SPEC §5–§8). The domain's state machine decides every
//! action; this module carries the decision out in one transaction: a guarded update of the
//! record (optimistic version), the graduate's outcome slot, the agreement number, the trail
//! event, in-app messages and the idempotency answer.

pub mod destinations;
pub mod find;
pub mod idempotency;
pub mod invitations;
pub mod messages;
pub mod paper;
pub mod review;
pub mod trail;
pub mod views;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use wangqian_domain::lifecycle::{
    self as lc, china_date, AgreementAction, AgreementKind, AgreementState, Context, OutcomeSlot,
    Party, Refusal, Transition,
};
use wangqian_domain::policy::Access;
use wangqian_domain::role::{Actor, Role};
use wangqian_domain::settings::{BindingMoment, SigningSettings};
use wangqian_domain::terms::TermsError;

use crate::error::{allow, is_unique_violation};
use crate::{now_ms, settings, FieldError, ServiceError, ServiceResult, Store};

pub use idempotency::IdemKey;
use messages::{NewMessage, Recipient};

pub(crate) const AGREEMENT: &str = "协议";
pub(crate) const STALE: &str = "记录已被他人更新，请刷新后重试";
pub(crate) const OUTCOME_TAKEN: &str =
    "该毕业生已有有效的就业协议或毕业去向登记（同一时间只能有一个），请先解约或解除";

pub(crate) const AGREEMENT_COLUMNS: &str = "a.id, a.kind, a.school_id, a.department_id, a.graduate_id, a.graduation_year, \
    a.employer_id, a.employer_name, a.employer_credit_code, a.paper_employer, a.state, a.awaiting, a.version, a.terms_version, \
    a.terms, a.amendment_from, a.binding_moment, a.deadline_at, a.termination_requested_by, a.termination_reason, \
    a.termination_proof_id, a.signed_scan_id, a.number, a.trail_seq, a.trail_hash, a.sent_at, a.signed_at, \
    a.effective_at, a.created_at, a.updated_at, g.name AS graduate_name";

/// An agreement as stored, with the graduate's name for messages.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgreementRow {
    pub id: String,
    pub kind: String,
    pub school_id: String,
    pub department_id: String,
    pub graduate_id: String,
    pub graduation_year: i64,
    pub employer_id: Option<String>,
    pub employer_name: String,
    pub employer_credit_code: String,
    pub paper_employer: Option<String>,
    pub state: String,
    pub awaiting: Option<String>,
    pub version: i64,
    pub terms_version: i64,
    pub terms: String,
    pub amendment_from: Option<String>,
    pub binding_moment: String,
    pub deadline_at: Option<i64>,
    pub termination_requested_by: Option<String>,
    pub termination_reason: Option<String>,
    pub termination_proof_id: Option<String>,
    pub signed_scan_id: Option<String>,
    pub number: Option<String>,
    pub trail_seq: i64,
    pub trail_hash: String,
    pub sent_at: Option<i64>,
    pub signed_at: Option<i64>,
    pub effective_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub graduate_name: String,
}

impl AgreementRow {
    pub fn kind(&self) -> AgreementKind {
        AgreementKind::parse(&self.kind).unwrap_or(AgreementKind::Online)
    }

    pub fn stored_state(&self) -> ServiceResult<AgreementState> {
        AgreementState::parse(&self.state)
            .ok_or_else(|| anyhow::anyhow!("unknown agreement state {}", self.state).into())
    }

    /// The state as of `now`: an invitation past its deadline reads as expired.
    pub fn state_at(&self, now: i64) -> ServiceResult<AgreementState> {
        Ok(lc::state_at(self.stored_state()?, self.deadline_at, now))
    }

    pub fn year(&self) -> u16 {
        u16::try_from(self.graduation_year).unwrap_or(0)
    }
}

/// Whether an actor may see an agreement: its graduate, its employer, the school's staff
/// (reviewers for their department) and the province.
pub fn scope(actor: &Actor, row: &AgreementRow) -> Access {
    let same = |a: &Option<String>, b: &str| a.as_deref() == Some(b);
    let ok = match actor.role {
        Role::Graduate => same(&actor.graduate_id, &row.graduate_id),
        Role::EmployerMember => row
            .employer_id
            .as_deref()
            .is_some_and(|e| same(&actor.employer_id, e)),
        Role::DepartmentReviewer => {
            same(&actor.school_id, &row.school_id) && same(&actor.department_id, &row.department_id)
        }
        Role::SchoolAdmin => same(&actor.school_id, &row.school_id),
        Role::ProvincialAdmin => true,
    };
    if ok {
        Access::Allowed
    } else {
        Access::NotFound
    }
}

pub(crate) async fn load_agreement(
    conn: &mut AnyConnection,
    id: &str,
) -> ServiceResult<Option<AgreementRow>> {
    Ok(sqlx::query_as::<_, AgreementRow>(&format!(
        "SELECT {AGREEMENT_COLUMNS} FROM agreements a JOIN graduates g ON g.id = a.graduate_id WHERE a.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?)
}

/// Loads an agreement the actor may see, or 404.
pub(crate) async fn load_visible(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
) -> ServiceResult<AgreementRow> {
    let row = load_agreement(conn, id)
        .await?
        .ok_or(ServiceError::NotFound(AGREEMENT))?;
    allow(scope(actor, &row), AGREEMENT)?;
    Ok(row)
}

/// The party an actor acts as; the province only reads.
pub(crate) fn party_of(actor: &Actor) -> ServiceResult<Party> {
    Party::of(actor.role).ok_or(ServiceError::Forbidden)
}

/// The decision context for a record under its school's settings, today.
pub(crate) async fn context_for(
    conn: &mut AnyConnection,
    row: &AgreementRow,
    now: i64,
) -> ServiceResult<(Context, SigningSettings)> {
    let s = settings::effective_in(conn, &row.school_id, row.year()).await?;
    let used: (i64,) = sqlx::query_as("SELECT terminations_used FROM graduates WHERE id = $1")
        .bind(row.graduate_id.clone())
        .fetch_one(&mut *conn)
        .await?;
    let today = china_date(now);
    let ctx = Context {
        kind: row.kind(),
        review_levels: s.review_levels,
        binding_moment: BindingMoment::parse(&row.binding_moment).unwrap_or(s.binding_moment),
        employer_may_request_termination: s.employer_may_request_termination,
        signing_open: s.signing_opens_on <= today && today <= s.signing_closes_on,
        termination_open: today >= s.termination_not_before,
        terminations_used: u8::try_from(used.0).unwrap_or(u8::MAX),
        max_terminations: s.max_terminations,
        deadline_passed: row.deadline_at.is_some_and(|d| lc::deadline_passed(d, now)),
        termination_requested_by: row
            .termination_requested_by
            .as_deref()
            .and_then(Party::parse),
        amendment_from: row
            .amendment_from
            .as_deref()
            .and_then(AgreementState::parse),
    };
    Ok((ctx, s))
}

/// Maps a refusal to the service error: 403 for the wrong role, 409 otherwise.
pub(crate) fn refused(r: Refusal, state: AgreementState, action: AgreementAction) -> ServiceError {
    match r {
        Refusal::Role => ServiceError::Forbidden,
        other => ServiceError::Conflict(other.message(state, action)),
    }
}

pub(crate) fn terms_errors(errors: Vec<TermsError>, prefix: &str) -> ServiceError {
    ServiceError::Validation(
        errors
            .into_iter()
            .map(|e| {
                FieldError::new(
                    format!("{prefix}{}", e.field),
                    format!("{}：{}", field_label(e.field), e.reason),
                )
            })
            .collect(),
    )
}

fn field_label(field: &str) -> &'static str {
    match field {
        "position_category" => "工作职位类别",
        "position" => "拟聘用职位",
        "probation_months" => "试用期",
        "probation_salary_yuan" => "试用起薪",
        "regular_salary_yuan" => "转正起薪",
        "breach_penalty_yuan" => "违约金",
        "report_place" => "报到地点",
        "report_deadline" => "报到期限",
        "work_location" => "实际工作地点",
        "contact_name" => "签约联系人",
        "contact_phone" => "联系电话",
        "archive_receiver" => "档案接收",
        "household_receiver" => "户口接收",
        "agreed_terms" => "约定条款",
        "name" => "单位名称",
        "credit_code" => "统一社会信用代码",
        "unit_nature_code" => "单位性质",
        "industry_code" => "单位行业",
        "location" => "单位所在地",
        "address" => "单位地址",
        "postcode" => "邮政编码",
        _ => "字段",
    }
}

/// A column value set by a transition besides the state.
pub(crate) enum Val {
    Text(Option<String>),
    Int(Option<i64>),
}

/// One transition to carry out.
pub(crate) struct Step<'a> {
    pub action: AgreementAction,
    pub party: Party,
    pub transition: Transition,
    pub remark: &'a str,
    /// Extra columns to set with the state (terms, reasons, proof ids…).
    pub sets: Vec<(&'static str, Val)>,
    /// The awaiting party after the step (computed by the caller from the domain).
    pub awaiting: Option<Party>,
    /// The version the client saw; `None` uses the loaded one.
    pub expected_version: i64,
}

/// What every state-changing agreement action answers (and what a retry replays).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Applied {
    pub id: String,
    pub state: String,
    pub state_label: String,
    pub version: i64,
    pub number: Option<String>,
}

/// Display name of the acting account, kept in the trail as it was at the time.
pub(crate) async fn actor_name(conn: &mut AnyConnection, actor: &Actor) -> ServiceResult<String> {
    let row: Option<(String,)> = sqlx::query_as("SELECT display_name FROM accounts WHERE id = $1")
        .bind(actor.account_id.clone())
        .fetch_optional(conn)
        .await?;
    Ok(row.map_or_else(|| actor.role.label().to_string(), |r| r.0))
}

/// Carries out an allowed transition on a loaded agreement inside `conn`'s transaction.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    pii: &crate::Pii,
    row: &AgreementRow,
    actor: Option<&Actor>,
    step: Step<'_>,
) -> ServiceResult<Applied> {
    let now = now_ms();
    let from = row.stored_state()?;
    let t = step.transition;
    let name = match actor {
        Some(a) => actor_name(conn, a).await?,
        None => Party::System.label().to_string(),
    };
    let event = trail::NewEvent {
        record_kind: "agreement",
        record_id: &row.id,
        school_id: &row.school_id,
        at: now,
        actor_account_id: actor.map(|a| a.account_id.as_str()),
        actor_name: &name,
        party: step.party.as_str(),
        action: step.action.as_str(),
        from_state: Some(from.as_str()),
        to_state: t.to.as_str(),
        remark: step.remark,
        terms_hash: None,
    };

    let mut sets = step.sets;
    if t.adopt_amendment || t.drop_amendment {
        sets.push(("amendment_from", Val::Text(None)));
    }
    let mut number = row.number.clone();
    if t.assign_number && number.is_none() {
        let n = next_number(conn, row).await?;
        sets.push(("number", Val::Text(Some(n.clone()))));
        sets.push(("effective_at", Val::Int(Some(now))));
        number = Some(n);
    } else if t.to == AgreementState::Effective && t.assign_number {
        sets.push(("effective_at", Val::Int(Some(now))));
    }

    // The guarded update: the version the actor saw must still be the stored one. The trail
    // head is written at the end, once the terms the event pins are final.
    let mut sql = String::from(
        "UPDATE agreements SET state = $1, awaiting = $2, version = version + 1, updated_at = $3",
    );
    let mut n = 3;
    for (col, _) in &sets {
        n += 1;
        sql.push_str(&format!(", {col} = ${n}"));
    }
    sql.push_str(&format!(" WHERE id = ${} AND version = ${}", n + 1, n + 2));
    let mut q = sqlx::query(&sql)
        .bind(t.to.as_str())
        .bind(step.awaiting.map(|p| p.as_str()))
        .bind(now);
    for (_, v) in sets {
        q = match v {
            Val::Text(s) => q.bind(s),
            Val::Int(i) => q.bind(i),
        };
    }
    let updated = q
        .bind(row.id.clone())
        .bind(step.expected_version)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if updated == 0 {
        return Err(ServiceError::Conflict(STALE.into()));
    }

    match t.slot {
        OutcomeSlot::Take => {
            take_outcome(
                conn,
                &row.graduate_id,
                &row.school_id,
                "agreement",
                &row.id,
                now,
            )
            .await?
        }
        OutcomeSlot::Release => release_outcome(conn, &row.id).await?,
        OutcomeSlot::Keep => {}
    }
    if t.counts_termination {
        sqlx::query("UPDATE graduates SET terminations_used = terminations_used + 1 WHERE id = $1")
            .bind(row.graduate_id.clone())
            .execute(&mut *conn)
            .await?;
    }
    if t.adopt_amendment {
        adopt_amendment(conn, &row.id, now).await?;
    }
    if t.drop_amendment {
        let status = match step.action {
            AgreementAction::WithdrawAmendment => "withdrawn",
            AgreementAction::RejectSigning => "rejected",
            _ => "declined",
        };
        sqlx::query(
            "UPDATE agreement_versions SET status = $1, decided_at = $2 WHERE agreement_id = $3 AND status = 'proposed'",
        )
        .bind(status)
        .bind(now)
        .bind(row.id.clone())
        .execute(&mut *conn)
        .await?;
    }
    let terms_hash = trail::terms_digest_of(conn, &row.id).await?;
    let event = trail::NewEvent {
        terms_hash: Some(&terms_hash),
        ..event
    };
    let (seq, hash) = trail::next_head(pii, row.trail_seq, &row.trail_hash, &event);
    sqlx::query("UPDATE agreements SET trail_seq = $1, trail_hash = $2 WHERE id = $3")
        .bind(seq)
        .bind(hash.clone())
        .bind(row.id.clone())
        .execute(&mut *conn)
        .await?;
    trail::insert(conn, &event, seq, &row.trail_hash, &hash).await?;
    notify(
        conn,
        row,
        step.action,
        step.party,
        t.to,
        step.awaiting,
        step.remark,
    )
    .await?;
    Ok(Applied {
        id: row.id.clone(),
        state: t.to.as_str().to_string(),
        state_label: t.to.label().to_string(),
        version: step.expected_version + 1,
        number,
    })
}

/// Takes the graduate's one outcome slot for a record; the primary key refuses a second.
pub(crate) async fn take_outcome(
    conn: &mut AnyConnection,
    graduate_id: &str,
    school_id: &str,
    record_kind: &str,
    record_id: &str,
    now: i64,
) -> ServiceResult<()> {
    let r = sqlx::query(
        "INSERT INTO graduate_outcomes (graduate_id, school_id, record_kind, record_id, since) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(graduate_id.to_string())
    .bind(school_id.to_string())
    .bind(record_kind.to_string())
    .bind(record_id.to_string())
    .bind(now)
    .execute(conn)
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(ServiceError::Conflict(OUTCOME_TAKEN.into())),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn release_outcome(
    conn: &mut AnyConnection,
    record_id: &str,
) -> ServiceResult<()> {
    sqlx::query("DELETE FROM graduate_outcomes WHERE record_id = $1")
        .bind(record_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// The next agreement number of the record's kind, school and cohort. The counter row is
/// incremented in the transaction, so two approvals never get the same number; the UNIQUE
/// column would refuse one anyway.
async fn next_number(conn: &mut AnyConnection, row: &AgreementRow) -> ServiceResult<String> {
    let (seq,): (i64,) = sqlx::query_as(
        "INSERT INTO agreement_number_sequences (kind, school_id, graduation_year, last_value) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (kind, school_id, graduation_year) DO UPDATE SET last_value = agreement_number_sequences.last_value + 1 \
         RETURNING last_value",
    )
    .bind(row.kind.clone())
    .bind(row.school_id.clone())
    .bind(row.graduation_year)
    .fetch_one(&mut *conn)
    .await?;
    let (code,): (String,) = sqlx::query_as("SELECT code FROM schools WHERE id = $1")
        .bind(row.school_id.clone())
        .fetch_one(&mut *conn)
        .await?;
    let seq = u32::try_from(seq).map_err(|_| anyhow::anyhow!("agreement sequence overflow"))?;
    Ok(lc::agreement_number(row.kind(), row.year(), &code, seq))
}

/// The proposed terms come into force; the previous ones are kept as superseded.
async fn adopt_amendment(
    conn: &mut AnyConnection,
    agreement_id: &str,
    now: i64,
) -> ServiceResult<()> {
    let proposed: Option<(i64, String)> = sqlx::query_as(
        "SELECT version_no, terms FROM agreement_versions WHERE agreement_id = $1 AND status = 'proposed'",
    )
    .bind(agreement_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((version_no, terms)) = proposed else {
        return Err(anyhow::anyhow!("no proposed amendment on {agreement_id}").into());
    };
    sqlx::query(
        "UPDATE agreement_versions SET status = 'superseded', decided_at = $1 WHERE agreement_id = $2 AND status = 'in_force'",
    )
    .bind(now)
    .bind(agreement_id.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE agreement_versions SET status = 'in_force', decided_at = $1 WHERE agreement_id = $2 AND version_no = $3",
    )
    .bind(now)
    .bind(agreement_id.to_string())
    .bind(version_no)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE agreements SET terms = $1, terms_version = $2 WHERE id = $3")
        .bind(terms)
        .bind(version_no)
        .bind(agreement_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Tells the other side what happened: the graduate and the employer (unless they acted), and
/// the reviewers whose move it now is.
async fn notify(
    conn: &mut AnyConnection,
    row: &AgreementRow,
    action: AgreementAction,
    by: Party,
    to: AgreementState,
    awaiting: Option<Party>,
    remark: &str,
) -> ServiceResult<()> {
    let title = format!("{}：{}", action.label(), to.label());
    let mut body = format!(
        "{}与{}的就业协议，当前状态：{}",
        row.graduate_name,
        row.employer_name,
        to.label()
    );
    if !remark.is_empty() {
        body.push_str(&format!("。说明：{remark}"));
    }
    let m = NewMessage {
        school_id: &row.school_id,
        record_kind: "agreement",
        record_id: &row.id,
        title,
        body,
    };
    if by != Party::Graduate {
        messages::send(conn, Recipient::Graduate(&row.graduate_id), &m).await?;
    }
    if let (Some(e), true) = (&row.employer_id, by != Party::Employer) {
        messages::send(conn, Recipient::Employer(e), &m).await?;
    }
    match awaiting {
        Some(Party::DepartmentReviewer) if by != Party::DepartmentReviewer => {
            messages::send(conn, Recipient::Department(&row.department_id), &m).await?;
        }
        Some(Party::SchoolAdmin) if by != Party::SchoolAdmin => {
            messages::send(conn, Recipient::School(&row.school_id), &m).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Runs one action of the online or paper flow end to end: load in scope, decide, check the
/// client's version, carry out, remember the answer under the idempotency key.
pub(crate) struct ActionRequest<'a> {
    pub store: &'a Store,
    pub actor: &'a Actor,
    pub agreement_id: &'a str,
    pub action: AgreementAction,
    pub operation: &'static str,
    pub version: Option<i64>,
    pub idem: Option<&'a IdemKey>,
    pub remark: &'a str,
}

/// The prepared parts of an action, for callers that add columns before applying.
pub(crate) struct Prepared {
    pub row: AgreementRow,
    pub party: Party,
    pub transition: Transition,
    pub ctx: Context,
    pub settings: SigningSettings,
}

/// Takes the record's row lock before anything is read, so that racing actions on one record
/// queue here: child rows (a new terms version) are numbered from what the winner committed, and
/// the loser meets the usual version conflict instead of a duplicate key. SQLite already
/// serialises writers; on PostgreSQL this no-op update is the row lock.
pub(crate) async fn lock_record(
    conn: &mut AnyConnection,
    table: &'static str,
    id: &str,
) -> ServiceResult<()> {
    sqlx::query(&format!(
        "UPDATE {table} SET version = version WHERE id = $1"
    ))
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn prepare(
    conn: &mut AnyConnection,
    req: &ActionRequest<'_>,
) -> ServiceResult<Prepared> {
    let party = party_of(req.actor)?;
    lock_record(conn, "agreements", req.agreement_id).await?;
    let row = load_visible(conn, req.actor, req.agreement_id).await?;
    if let Some(v) = req.version {
        if v != row.version {
            return Err(ServiceError::Conflict(STALE.into()));
        }
    }
    let now = now_ms();
    let (ctx, settings) = context_for(conn, &row, now).await?;
    let state = row.stored_state()?;
    let transition = lc::decide(state, req.action, party, &ctx).map_err(|r| {
        // A party that could take this action in another state lost a race or acts too late or
        // too early: that is a conflict with the record's state, not a missing right.
        let r = match r {
            Refusal::Role if lc::party_may_ever(req.action, party, ctx.kind) => Refusal::State,
            other => other,
        };
        refused(r, state, req.action)
    })?;
    Ok(Prepared {
        row,
        party,
        transition,
        ctx,
        settings,
    })
}

/// The whole of a simple action (no extra columns beyond `sets`).
pub(crate) async fn run_action(
    req: ActionRequest<'_>,
    sets: impl FnOnce(&Prepared) -> ServiceResult<Vec<(&'static str, Val)>>,
) -> ServiceResult<Applied> {
    let mut tx = req.store.writer().begin().await?;
    if let Some(done) = idempotency::claim::<Applied>(
        &mut tx,
        req.actor,
        req.idem,
        req.operation,
        req.agreement_id,
    )
    .await?
    {
        return Ok(done);
    }
    let p = prepare(&mut tx, &req).await?;
    let extra = sets(&p)?;
    let awaiting = awaiting_after(
        &p,
        extra.iter().find_map(|(c, v)| match (c, v) {
            (&"termination_requested_by", Val::Text(Some(s))) => Party::parse(s),
            _ => None,
        }),
    );
    let applied = apply(
        &mut tx,
        &req.store.pii,
        &p.row,
        Some(req.actor),
        Step {
            action: req.action,
            party: p.party,
            transition: p.transition,
            remark: req.remark,
            sets: extra,
            awaiting,
            expected_version: p.row.version,
        },
    )
    .await?;
    idempotency::remember(&mut tx, req.actor, req.idem, &applied).await?;
    tx.commit().await?;
    Ok(applied)
}

/// Whose move it is after a prepared transition.
pub(crate) fn awaiting_after(p: &Prepared, requested_by: Option<Party>) -> Option<Party> {
    let mut ctx = p.ctx;
    if requested_by.is_some() {
        ctx.termination_requested_by = requested_by;
    }
    lc::awaiting(p.transition.to, &ctx)
}

/// An action whose only input is a reason (required or not): withdraw, reject, cancel, revoke,
/// force-terminate and the like.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn remark_action(
    store: &Store,
    actor: &Actor,
    id: &str,
    action: AgreementAction,
    operation: &'static str,
    input: invitations::Remark,
    reason_required: bool,
    sets: Vec<(&'static str, Val)>,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    let remark = lc::check_reason(input.reason.as_deref(), reason_required)
        .map_err(|m| ServiceError::field("reason", m))?;
    run_action(
        ActionRequest {
            store,
            actor,
            agreement_id: id,
            action,
            operation,
            version: input.version,
            idem,
            remark: &remark,
        },
        |_| Ok(sets),
    )
    .await
}
