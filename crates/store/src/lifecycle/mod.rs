//! The agreement lifecycle services (SPEC §5–§8). The domain's state machine decides every
//! action; this module carries the decision out in one transaction: a guarded update of the
//! record (optimistic version), the graduate's outcome slot, the agreement number, the trail
//! event, in-app messages and the idempotency answer.

pub mod attestation;
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
use wangqian_domain::codes;
use wangqian_domain::lifecycle::{
    self as lc, china_date, AgreementAction, AgreementKind, AgreementState, Effects, Facts, Holder,
    OutcomeSlot, Party, Refusal, TerminationChange,
};
use wangqian_domain::policy::{self, Access};
use wangqian_domain::role::Actor;
use wangqian_domain::settings::{BindingMoment, SigningSettings};
use wangqian_domain::terms::TermsError;

use crate::error::{allow, is_unique_violation};
use crate::typed::Coded;
use crate::{
    settings, AgreementId, BlobId, DepartmentId, EmployerId, FieldError, GraduateId, Millis,
    SchoolId, ServiceError, ServiceResult, Store,
};

pub use idempotency::IdemKey;
use messages::{NewMessage, Recipient};

pub(crate) const AGREEMENT: &str = "协议";
pub(crate) const STALE: &str = "记录已被他人更新，请刷新后重试";
pub(crate) const OUTCOME_TAKEN: &str = lc::OUTCOME_TAKEN;

pub(crate) const AGREEMENT_COLUMNS: &str = "a.id, a.kind, a.school_id, a.department_id, a.graduate_id, a.graduation_year, \
    a.employer_id, a.employer_name, a.employer_credit_code, a.paper_employer, a.state, a.awaiting, a.version, a.terms_version, \
    a.terms, a.amendment_from, a.binding_moment, a.deadline_at, a.termination_requested_by, a.termination_reason, \
    a.termination_proof_id, a.signed_scan_id, a.number, a.trail_seq, a.trail_hash, a.sent_at, a.signed_at, \
    a.effective_at, a.created_at, a.updated_at, g.name AS graduate_name";

/// An agreement as stored, with the graduate's name for messages.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgreementRow {
    pub id: AgreementId,
    pub kind: Coded<AgreementKind>,
    pub school_id: SchoolId,
    pub department_id: DepartmentId,
    pub graduate_id: GraduateId,
    pub graduation_year: i64,
    pub employer_id: Option<EmployerId>,
    pub employer_name: String,
    pub employer_credit_code: String,
    pub paper_employer: Option<String>,
    pub state: Coded<AgreementState>,
    pub awaiting: Option<Coded<Party>>,
    pub version: i64,
    pub terms_version: i64,
    pub terms: String,
    pub amendment_from: Option<Coded<AgreementState>>,
    pub binding_moment: Coded<BindingMoment>,
    pub deadline_at: Option<Millis>,
    pub termination_requested_by: Option<Coded<Party>>,
    pub termination_reason: Option<String>,
    pub termination_proof_id: Option<BlobId>,
    pub signed_scan_id: Option<BlobId>,
    pub number: Option<String>,
    pub trail_seq: i64,
    pub trail_hash: String,
    pub sent_at: Option<Millis>,
    pub signed_at: Option<Millis>,
    pub effective_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub graduate_name: String,
}

impl AgreementRow {
    pub fn kind(&self) -> AgreementKind {
        self.kind.0
    }

    pub fn stored_state(&self) -> ServiceResult<AgreementState> {
        Ok(self.state.0)
    }

    /// The state as of `now`: an invitation past its deadline reads as expired.
    pub fn state_at(&self, now: Millis) -> ServiceResult<AgreementState> {
        Ok(lc::state_at(self.stored_state()?, self.deadline_at, now))
    }

    pub fn year(&self) -> u16 {
        u16::try_from(self.graduation_year).unwrap_or(0)
    }
}

/// Whether an actor may see an agreement: its graduate, its employer, the school's staff
/// (reviewers for their department) and the province.
pub fn scope(actor: &Actor, row: &AgreementRow) -> Access {
    policy::view_agreement(
        actor,
        policy::RecordScope {
            graduate_id: &row.graduate_id,
            school_id: &row.school_id,
            department_id: &row.department_id,
            employer_id: row.employer_id.as_ref(),
        },
    )
}

pub(crate) async fn load_agreement(
    conn: &mut AnyConnection,
    id: &AgreementId,
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
    id: &AgreementId,
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

/// What the graduate's record says for a decision, read with one query.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct GraduateFacts {
    pub school_id: SchoolId,
    pub department_id: DepartmentId,
    pub graduation_year: i64,
    pub training_mode_code: String,
    pub signing_locked: i64,
    pub signing_lock_reason: Option<String>,
    /// The department's and the major's closure of signing, with their names.
    pub department_closed: Option<String>,
    pub department_name: String,
    pub major_closed: Option<String>,
    pub major_name: String,
    pub terminations_used: i64,
    /// The kind of record holding the graduate's outcome, when it is another record.
    pub held_by: Option<String>,
    /// 生源审核 state of the record.
    pub review_state: String,
}

impl GraduateFacts {
    pub fn year(&self) -> u16 {
        u16::try_from(self.graduation_year).unwrap_or(0)
    }
}

/// The graduate's facts, with the outcome held by any record but `except_record`.
pub(crate) async fn graduate_facts(
    conn: &mut AnyConnection,
    graduate_id: &GraduateId,
    except_record: Option<&AgreementId>,
) -> ServiceResult<GraduateFacts> {
    sqlx::query_as::<_, GraduateFacts>(
        "SELECT g.school_id, g.department_id, g.graduation_year, g.training_mode_code, g.signing_locked, g.signing_lock_reason, g.terminations_used, g.review_state, \
         (SELECT o.record_kind FROM graduate_outcomes o WHERE o.graduate_id = g.id AND o.record_id <> $2) AS held_by, \
         d.signing_closed_reason AS department_closed, d.name AS department_name, \
         m.signing_closed_reason AS major_closed, m.name AS major_name \
         FROM graduates g JOIN departments d ON d.id = g.department_id JOIN majors m ON m.id = g.major_id \
         WHERE g.id = $1",
    )
    .bind(graduate_id.to_string())
    .bind(except_record.map(AgreementId::as_str).unwrap_or_default())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ServiceError::NotFound("毕业生"))
}

impl GraduateFacts {
    /// The closure that covers the graduate: the department's first, then the major's.
    fn closure(&self) -> Option<lc::SigningClosure> {
        let department = self.department_closed.as_ref().map(|r| lc::SigningClosure {
            unit: lc::ClosedUnit::Department,
            name: self.department_name.clone(),
            reason: r.clone(),
        });
        department.or_else(|| {
            self.major_closed.as_ref().map(|r| lc::SigningClosure {
                unit: lc::ClosedUnit::Major,
                name: self.major_name.clone(),
                reason: r.clone(),
            })
        })
    }
}

pub(crate) fn holder(kind: Option<&str>) -> Option<Holder> {
    match kind {
        Some("destination") => Some(Holder::Destination),
        Some(_) => Some(Holder::Agreement),
        None => None,
    }
}

/// The facts of a decision: the graduate's record, the school's settings for the cohort, the
/// clock, and for an invitation (new or resent) the employer's side. Every rule in
/// [`lc::decide`] reads them from here.
pub(crate) async fn load_facts(
    conn: &mut AnyConnection,
    subject: FactsOf<'_>,
    action: AgreementAction,
    now: Millis,
) -> ServiceResult<(Facts, SigningSettings, GraduateFacts)> {
    let (graduate_id, record) = match subject {
        FactsOf::Record(row) => (&row.graduate_id, Some(row)),
        FactsOf::New { graduate_id, .. } => (graduate_id, None),
    };
    let g = graduate_facts(conn, graduate_id, record.map(|r| &r.id)).await?;
    let s = settings::effective_in(conn, &g.school_id, g.year()).await?;
    let today = china_date(now);
    let kind = match subject {
        FactsOf::Record(row) => row.kind(),
        FactsOf::New { kind, .. } => kind,
    };
    let mut f = Facts {
        kind,
        review_levels: s.review_levels,
        binding_moment: record.map_or(s.binding_moment, |r| r.binding_moment.0),
        employer_may_request_termination: s.employer_may_request_termination,
        signing_open: s.signing_opens_on <= today && today <= s.signing_closes_on,
        termination_open: today >= s.termination_not_before,
        terminations_used: u8::try_from(g.terminations_used).unwrap_or(u8::MAX),
        max_terminations: s.max_terminations,
        deadline_passed: record
            .and_then(|r| r.deadline_at)
            .is_some_and(|d| lc::deadline_passed(d, now)),
        termination_requested_by: record.and_then(|r| r.termination_requested_by.map(|p| p.0)),
        amendment_from: record.and_then(|r| r.amendment_from.map(|s| s.0)),
        training_mode_may_sign: codes::training_mode_may_sign(&g.training_mode_code),
        signing_locked: g.signing_locked != 0,
        signing_lock_reason: g.signing_lock_reason.clone(),
        signing_closed: g.closure(),
        // Employers invite what they may find: an approved record.
        roster_approved: wangqian_domain::roster_review::RosterReview::parse(&g.review_state)
            .is_some_and(|r| wangqian_domain::roster_review::findable(r).is_ok()),
        outcome_held: holder(g.held_by.as_deref()),
        pending_invitation: false,
        employer_may_sign: true,
        employer_verification: s.employer_verification,
    };
    let employer = match subject {
        FactsOf::Record(row) => row.employer_id.as_ref(),
        FactsOf::New { employer_id, .. } => employer_id,
    };
    if let (Some(employer_id), AgreementAction::Invite | AgreementAction::Resend) =
        (employer, action)
    {
        f.employer_may_sign =
            crate::employers::may_sign_on(conn, employer_id, &g.school_id, s.employer_verification)
                .await?;
        let pending: Option<(Millis,)> = sqlx::query_as(
            "SELECT deadline_at FROM agreements WHERE employer_id = $1 AND graduate_id = $2 AND state = 'invited' AND id <> $3",
        )
        .bind(employer_id)
        .bind(graduate_id)
        .bind(record.map(|r| r.id.as_str()).unwrap_or_default())
        .fetch_optional(&mut *conn)
        .await?;
        f.pending_invitation = pending.is_some_and(|(d,)| !lc::deadline_passed(d, now));
    }
    Ok((f, s, g))
}

/// Whom the facts are about: an existing record, or a record about to be created.
#[derive(Clone, Copy)]
pub(crate) enum FactsOf<'a> {
    Record(&'a AgreementRow),
    New {
        kind: AgreementKind,
        graduate_id: &'a GraduateId,
        employer_id: Option<&'a EmployerId>,
    },
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
        "report_region.county_code" => "报到地点（省市区县）",
        "report_region.street" => "报到地点（街道地址）",
        "work_region.county_code" => "实际工作地点（省市区县）",
        "work_region.street" => "实际工作地点（街道地址）",
        "contact_name" => "签约联系人",
        "contact_phone" => "联系电话",
        "archive_receiver" => "档案接收",
        "household_receiver" => "户口接收",
        "archive_mode" => "档案接收",
        "archive_unit_name" => "档案转寄单位名称",
        "archive_address" => "档案转递地址",
        "archive_postcode" => "档案转递邮编",
        "archive_contact_name" => "档案转递联系人",
        "archive_contact_phone" => "档案转递联系电话",
        "household_kind" => "户口接收类型",
        "place.county_code" => "单位所在地",
        "place.street" => "单位地址",
        "household_address" => "户口接收地址",
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

/// What an action writes besides what its [`Effects`] say: the inputs it carries. Each field
/// is one typed column (or group); the update statement is fixed.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// New current terms (JSON) and their version number.
    pub terms: Option<(String, i64)>,
    /// A new answer deadline: the invitation is (re)sent now and earns a new reminder.
    pub deadline_at: Option<Millis>,
    /// The moment the graduate signed (acceptance, generation of a paper agreement).
    pub signed: bool,
    /// A termination request's reason and proof (with [`TerminationChange::Open`]).
    pub termination_reason: Option<String>,
    pub termination_proof_id: Option<String>,
    pub signed_scan_id: Option<String>,
}

/// One transition to carry out.
pub(crate) struct Step<'a> {
    pub action: AgreementAction,
    pub party: Party,
    pub effects: Effects,
    pub remark: &'a str,
    pub changes: Changes,
    /// The version the client saw.
    pub expected_version: i64,
    /// The request's time.
    pub at: Millis,
}

/// What every state-changing agreement action answers (and what a retry replays).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Applied {
    pub id: AgreementId,
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
    let now = step.at;
    let from = row.stored_state()?;
    let t = step.effects;
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

    let mut number = row.number.clone();
    let mut new_number = None;
    if t.assign_number && number.is_none() {
        let n = next_number(conn, row).await?;
        new_number = Some(n.clone());
        number = Some(n);
    }
    let c = step.changes;
    let termination = match t.termination {
        TerminationChange::Keep => "keep",
        TerminationChange::Open => "open",
        TerminationChange::Clear => "clear",
    };
    let amendment = if t.open_amendment {
        "open"
    } else if t.adopt_amendment || t.drop_amendment {
        "close"
    } else {
        "keep"
    };
    let (terms, terms_version) = c.terms.map_or((None, None), |(j, v)| (Some(j), Some(v)));
    // The guarded update: the version the actor saw must still be the stored one. One fixed
    // statement with typed parameters; the trail head is written at the end, once the terms
    // the event pins are final.
    let updated = sqlx::query(
        "UPDATE agreements SET state = $1, awaiting = $2, version = version + 1, updated_at = $3, \
         terms = COALESCE($4, terms), terms_version = COALESCE($5, terms_version), \
         deadline_at = COALESCE($6, deadline_at), \
         sent_at = CASE WHEN $7 = 1 THEN $3 ELSE sent_at END, \
         reminded_at = CASE WHEN $7 = 1 THEN NULL ELSE reminded_at END, \
         signed_at = CASE WHEN $8 = 1 THEN $3 ELSE signed_at END, \
         termination_requested_by = CASE $9 WHEN 'open' THEN $10 WHEN 'clear' THEN NULL ELSE termination_requested_by END, \
         termination_reason = CASE $9 WHEN 'open' THEN $11 WHEN 'clear' THEN NULL ELSE termination_reason END, \
         termination_proof_id = CASE $9 WHEN 'open' THEN $12 WHEN 'clear' THEN NULL ELSE termination_proof_id END, \
         signed_scan_id = COALESCE($13, signed_scan_id), \
         amendment_from = CASE $14 WHEN 'open' THEN $15 WHEN 'close' THEN NULL ELSE amendment_from END, \
         number = COALESCE($16, number), \
         effective_at = CASE WHEN $17 = 1 THEN $3 ELSE effective_at END \
         WHERE id = $18 AND version = $19",
    )
    .bind(t.to.as_str())
    .bind(t.awaiting.map(|p| p.as_str()))
    .bind(now)
    .bind(terms)
    .bind(terms_version)
    .bind(c.deadline_at)
    .bind(i64::from(c.deadline_at.is_some()))
    .bind(i64::from(c.signed))
    .bind(termination)
    .bind(step.party.as_str())
    .bind(c.termination_reason)
    .bind(c.termination_proof_id)
    .bind(c.signed_scan_id)
    .bind(amendment)
    .bind(from.as_str())
    .bind(new_number)
    .bind(i64::from(t.assign_number))
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
    notify(conn, row, step.action, &t, step.remark, now).await?;
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
    graduate_id: &GraduateId,
    school_id: &SchoolId,
    record_kind: &str,
    record_id: &str,
    now: Millis,
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
    .bind(row.kind)
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
    agreement_id: &AgreementId,
    now: Millis,
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

/// Tells whom the decision names: the graduate, the employer's company, and the reviewers whose
/// move it now is.
async fn notify(
    conn: &mut AnyConnection,
    row: &AgreementRow,
    action: AgreementAction,
    e: &Effects,
    remark: &str,
    now: Millis,
) -> ServiceResult<()> {
    let to = e.to;
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
        at: now,
    };
    if e.notify.graduate {
        messages::send(conn, Recipient::Graduate(&row.graduate_id), &m).await?;
    }
    if let (Some(employer), true) = (&row.employer_id, e.notify.employer) {
        messages::send(conn, Recipient::Employer(employer), &m).await?;
    }
    match e.notify.reviewer {
        Some(Party::DepartmentReviewer) => {
            messages::send(conn, Recipient::Department(&row.department_id), &m).await?;
        }
        Some(Party::SchoolAdmin) => {
            messages::send(conn, Recipient::School(&row.school_id), &m).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Runs one action of the online or paper flow end to end: load in scope, decide, check the
/// client's version, carry out, remember the answer under the idempotency key. The operation
/// (for idempotency) and the reason rule come from the action's spec row.
pub(crate) struct ActionRequest<'a> {
    pub store: &'a Store,
    pub actor: &'a Actor,
    pub agreement_id: &'a AgreementId,
    pub action: AgreementAction,
    pub version: Option<i64>,
    pub idem: Option<&'a IdemKey>,
    pub remark: &'a str,
}

impl ActionRequest<'_> {
    pub fn operation(&self) -> &'static str {
        operation_of(self.action)
    }
}

/// The operation id of an action (its idempotency scope).
pub(crate) fn operation_of(action: AgreementAction) -> &'static str {
    action.spec().operation_id.unwrap_or("system")
}

/// Checks a reason against the action's spec row.
pub(crate) fn reason_for(action: AgreementAction, text: Option<&str>) -> ServiceResult<String> {
    reason_by(action.spec(), text)
}

/// Checks a reason against a spec row (agreement or destination action).
pub(crate) fn reason_by(
    spec: wangqian_domain::lifecycle::spec::ActionSpec,
    text: Option<&str>,
) -> ServiceResult<String> {
    use wangqian_domain::lifecycle::spec::Need;
    lc::check_reason(text, spec.reason == Need::Required)
        .map_err(|m| ServiceError::field("reason", m))
}

/// The prepared parts of an action, for callers that write more before applying.
pub(crate) struct Prepared {
    pub row: AgreementRow,
    pub party: Party,
    pub effects: Effects,
    pub settings: SigningSettings,
    /// The request's time, read once.
    pub now: Millis,
}

impl Prepared {
    pub fn step<'a>(&self, action: AgreementAction, remark: &'a str, changes: Changes) -> Step<'a> {
        Step {
            action,
            party: self.party,
            effects: self.effects,
            remark,
            changes,
            expected_version: self.row.version,
            at: self.now,
        }
    }
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

/// The refusal of a decision as the service answers it.
fn refusal_answer(
    r: Refusal,
    action: AgreementAction,
    party: Party,
    kind: AgreementKind,
    state: AgreementState,
) -> ServiceError {
    // A party that could take this action in another state lost a race or acts too late or
    // too early: that is a conflict with the record's state, not a missing right.
    let r = match r {
        Refusal::Role if lc::party_may_ever(action, party, kind) => Refusal::State,
        other => other,
    };
    refused(r, state, action)
}

/// Whether the actor may take the action on the record now, read outside any transaction: for
/// an action that asks for something costly first (the password of an acceptance). The action
/// itself decides again in its transaction.
pub(crate) async fn check_allowed(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    action: AgreementAction,
) -> ServiceResult<()> {
    let party = party_of(actor)?;
    let mut conn = store.reader().acquire().await?;
    let row = load_visible(&mut conn, actor, id).await?;
    let (facts, _, _) = load_facts(&mut conn, FactsOf::Record(&row), action, store.now()).await?;
    let state = row.stored_state()?;
    lc::decide(Some(state), action, party, &facts)
        .map(|_| ())
        .map_err(|r| refusal_answer(r, action, party, facts.kind, state))
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
    let now = req.store.now();
    let (facts, settings, _) = load_facts(conn, FactsOf::Record(&row), req.action, now).await?;
    let state = row.stored_state()?;
    let effects = lc::decide(Some(state), req.action, party, &facts)
        .map_err(|r| refusal_answer(r, req.action, party, facts.kind, state))?;
    Ok(Prepared {
        row,
        party,
        effects,
        settings,
        now,
    })
}

/// The whole of a simple action: its inputs are `changes` and the reason.
pub(crate) async fn run_action(
    req: ActionRequest<'_>,
    changes: impl FnOnce(&Prepared) -> ServiceResult<Changes>,
) -> ServiceResult<Applied> {
    let mut tx = req.store.writer().begin().await?;
    if let Some(done) = idempotency::claim::<Applied>(
        &mut tx,
        req.actor,
        req.idem,
        req.operation(),
        req.agreement_id,
        req.store.now(),
    )
    .await?
    {
        return Ok(done);
    }
    let p = prepare(&mut tx, &req).await?;
    let changes = changes(&p)?;
    let applied = apply(
        &mut tx,
        &req.store.pii,
        &p.row,
        Some(req.actor),
        p.step(req.action, req.remark, changes),
    )
    .await?;
    idempotency::remember(&mut tx, req.actor, req.idem, &applied).await?;
    tx.commit().await?;
    Ok(applied)
}

/// An action whose only input is a reason, required or not as its spec row says: withdraw,
/// reject, cancel, revoke, force-terminate and the like.
pub(crate) async fn remark_action(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    action: AgreementAction,
    input: invitations::Remark,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    let remark = reason_for(action, input.reason.as_deref())?;
    run_action(
        ActionRequest {
            store,
            actor,
            agreement_id: id,
            action,
            version: input.version,
            idem,
            remark: &remark,
        },
        |_| Ok(Changes::default()),
    )
    .await
}
