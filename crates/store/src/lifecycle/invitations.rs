//! Invitations (邀请函) and the graduate's answer: send (one or many), withdraw, edit, resend,
//! accept with re-authentication, reject, cancel before attestation, and expiry.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use wangqian_domain::lifecycle::letter::{self, InvitationLetter};
use wangqian_domain::lifecycle::{
    self as lc, AgreementAction as A, AgreementKind, AgreementState, Facts, Party, Refusal,
};
use wangqian_domain::role::Actor;
use wangqian_domain::settings::SigningSettings;
use wangqian_domain::terms::AgreementTerms;

use super::find::{employer_of, require_on_send_list};
use super::{
    actor_name, apply, idempotency, load_agreement, load_facts, messages, prepare, refused,
    remark_action, run_action, terms_errors, trail, ActionRequest, Applied, Changes, FactsOf,
    IdemKey, Step,
};
use crate::error::is_unique_violation;
#[allow(unused_imports)]
use crate::{AgreementId, BlobId, EmployerId, GraduateId, Millis, SchoolId};
use crate::{FieldError, ServiceError, ServiceResult, Store};

const PENDING_EXISTS: &str = lc::PENDING_INVITATION;
const MAX_BATCH: usize = 200;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInvitations {
    /// The graduates ticked; ignored when `all_on_send_list` is set.
    #[serde(default)]
    pub graduate_ids: Vec<GraduateId>,
    /// Every graduate on the employer's send list (签约发送列表), not only the page shown.
    #[serde(default)]
    pub all_on_send_list: bool,
    pub terms: AgreementTerms,
    /// 反馈有效期 in days (1–30); the school's default when absent.
    #[schema(maximum = 255)]
    pub validity_days: Option<u8>,
}

/// The outcome for one graduate of a batch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SendResult {
    pub graduate_id: GraduateId,
    pub ok: bool,
    pub agreement_id: Option<AgreementId>,
    pub deadline_at: Option<Millis>,
    pub message: String,
}

fn checked_terms(terms: AgreementTerms) -> ServiceResult<AgreementTerms> {
    let terms = terms.normalised();
    terms.validate().map_err(|e| terms_errors(e, "terms."))?;
    Ok(terms)
}

/// Every problem of a batch at once (the terms, the list, the validity), so that a form shows
/// them together instead of one per submission.
fn checked_batch(input: &SendInvitations) -> ServiceResult<AgreementTerms> {
    let mut errors = Vec::new();
    let terms = match checked_terms(input.terms.clone()) {
        Ok(t) => Some(t),
        Err(ServiceError::Validation(fields)) => {
            errors.extend(fields);
            None
        }
        Err(e) => return Err(e),
    };
    if input.graduate_ids.is_empty() {
        errors.push(FieldError::new(
            "graduate_ids",
            if input.all_on_send_list {
                "签约发送列表中还没有毕业生"
            } else {
                "请至少选择一名毕业生"
            },
        ));
    }
    if input.graduate_ids.len() > MAX_BATCH {
        errors.push(FieldError::new(
            "graduate_ids",
            "一次最多向 200 名毕业生发送",
        ));
    }
    if let Some(d) = input.validity_days {
        if let Err(ServiceError::Validation(fields)) = validity(Some(d), 5) {
            errors.extend(fields);
        }
    }
    match terms {
        Some(terms) if errors.is_empty() => Ok(terms),
        _ => Err(ServiceError::Validation(errors)),
    }
}

fn validity(days: Option<u8>, default: u8) -> ServiceResult<u8> {
    let d = days.unwrap_or(default);
    if !(1..=30).contains(&d) {
        return Err(ServiceError::field(
            "validity_days",
            "反馈有效期应为 1 至 30 天",
        ));
    }
    Ok(d)
}

/// Sends the same offer to each graduate on the list. Each graduate succeeds or fails on its
/// own, in its own transaction; a retried batch (same key) replays each graduate's first answer.
pub async fn send_invitations(
    store: &Store,
    actor: &Actor,
    input: SendInvitations,
    idem: Option<&IdemKey>,
) -> ServiceResult<Vec<SendResult>> {
    let employer_id = employer_of(actor)?;
    let mut input = input;
    if input.all_on_send_list {
        input.graduate_ids = super::find::send_list_ids(store, &employer_id).await?;
    }
    let terms = checked_batch(&input)?;
    let mut seen = std::collections::HashSet::new();
    let mut results = Vec::new();
    for gid in input.graduate_ids {
        if !seen.insert(gid.clone()) {
            continue;
        }
        let item_key = idem.map(|k| k.item(&gid));
        let r = send_one(
            store,
            actor,
            &employer_id,
            &gid,
            &terms,
            input.validity_days,
            item_key.as_ref(),
        )
        .await;
        results.push(match r {
            Ok(sent) => sent,
            Err(e @ (ServiceError::Internal(_) | ServiceError::Forbidden)) => return Err(e),
            Err(e) => SendResult {
                graduate_id: gid,
                ok: false,
                agreement_id: None,
                deadline_at: None,
                message: e.to_string(),
            },
        });
    }
    Ok(results)
}

async fn send_one(
    store: &Store,
    actor: &Actor,
    employer_id: &EmployerId,
    graduate_id: &GraduateId,
    terms: &AgreementTerms,
    validity_days: Option<u8>,
    idem: Option<&IdemKey>,
) -> ServiceResult<SendResult> {
    let mut tx = store.writer().begin().await?;
    if let Some(done) = idempotency::claim::<SendResult>(
        &mut tx,
        actor,
        idem,
        "send_invitation",
        graduate_id,
        store.now(),
    )
    .await?
    {
        return Ok(done);
    }
    let now = store.now();
    // A pending invitation of this pair whose deadline has passed is expired first, in this
    // transaction, so that the one-pending rule sees the truth without waiting for a sweep.
    expire_pair(&mut tx, &store.pii, employer_id, graduate_id, now).await?;
    let InviteDecision {
        facts,
        settings: s,
        graduate: g,
        effects,
    } = decide_invite(&mut tx, employer_id, graduate_id, now).await?;
    let days = validity(validity_days, s.invitation_validity_days)?;
    let deadline = lc::invitation_deadline(now, days);
    let (employer_name, credit_code): (String, String) =
        sqlx::query_as("SELECT name, credit_code FROM employers WHERE id = $1")
            .bind(employer_id.to_string())
            .fetch_one(&mut *tx)
            .await?;
    let id: AgreementId = crate::fresh();
    let terms_json = serde_json::to_string(terms).map_err(anyhow::Error::from)?;
    let name = actor_name(&mut tx, actor).await?;
    let remark = format!("反馈有效期 {days} 天");
    // The new record and its first version, as the event pins them.
    let terms_hash = trail::terms_digest(
        &terms_json,
        &[(1, "in_force".to_string(), terms_json.clone())],
    );
    let event = trail::NewEvent {
        record_kind: "agreement",
        record_id: &id,
        school_id: &g.school_id,
        at: now,
        actor_account_id: Some(&actor.account_id),
        actor_name: &name,
        party: Party::Employer.as_str(),
        action: A::Invite.as_str(),
        from_state: None,
        to_state: effects.to.as_str(),
        remark: &remark,
        terms_hash: Some(&terms_hash),
    };
    let (seq, hash) = trail::next_head(&store.pii, 0, trail::GENESIS, &event);
    let inserted = sqlx::query(
        "INSERT INTO agreements (id, kind, school_id, department_id, graduate_id, graduation_year, employer_id, employer_name, \
         employer_credit_code, state, awaiting, version, terms_version, terms, binding_moment, deadline_at, trail_seq, trail_hash, \
         sent_at, created_by, created_at, updated_at) \
         VALUES ($1, 'online', $2, $3, $4, $5, $6, $7, $8, $16, $17, 1, 1, $9, $10, $11, $12, $13, $14, $15, $14, $14)",
    )
    .bind(id.clone())
    .bind(g.school_id.clone())
    .bind(g.department_id.clone())
    .bind(graduate_id.to_string())
    .bind(g.graduation_year)
    .bind(employer_id.to_string())
    .bind(employer_name.clone())
    .bind(credit_code)
    .bind(terms_json.clone())
    .bind(s.binding_moment.as_str())
    .bind(deadline)
    .bind(seq)
    .bind(hash.clone())
    .bind(now)
    .bind(actor.account_id.clone())
    .bind(effects.to.as_str())
    .bind(effects.awaiting.map(Party::as_str))
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(ServiceError::Conflict(PENDING_EXISTS.into()))
        }
        Err(e) => return Err(e.into()),
    }
    insert_version(
        &mut tx,
        &id,
        &g.school_id,
        1,
        &terms_json,
        "in_force",
        actor,
        now,
    )
    .await?;
    trail::insert(&mut tx, &event, seq, trail::GENESIS, &hash).await?;
    messages::send(
        &mut tx,
        messages::Recipient::Graduate(graduate_id),
        &messages::NewMessage {
            at: now,
            school_id: &g.school_id,
            record_kind: "agreement",
            record_id: &id,
            title: format!("收到{employer_name}的签约邀请"),
            body: format!(
                "{employer_name}邀请你签订就业协议（拟聘职位：{}），请在有效期内处理；过期不反馈视为主动放弃。本校规定：{}",
                terms.position,
                s.binding_moment.label()
            ),
        },
    )
    .await?;
    let result = SendResult {
        graduate_id: graduate_id.clone(),
        ok: true,
        agreement_id: Some(id),
        deadline_at: Some(deadline),
        message: sent_message("已发送", &facts),
    };
    // Sent: the graduate leaves the send list (a later offer starts from a new search).
    sqlx::query("DELETE FROM send_list WHERE employer_id = $1 AND graduate_id = $2")
        .bind(employer_id.to_string())
        .bind(graduate_id.to_string())
        .execute(&mut *tx)
        .await?;
    idempotency::remember(&mut tx, actor, idem, &result).await?;
    tx.commit().await?;
    Ok(result)
}

/// The employer's scope for inviting is its send list; outside it the answer says so (and
/// tells nothing about the graduate), instead of "不存在或无权访问".
pub const NOT_ON_SEND_LIST: &str = "该毕业生不在贵单位的签约发送列表中：请先按毕业学校、毕业年度、姓名和手机号或身份证号查询，查询结果会说明能否邀约";

/// An invitation the domain allows, with the facts it was decided on.
struct InviteDecision {
    facts: Facts,
    settings: SigningSettings,
    graduate: super::GraduateFacts,
    effects: lc::Effects,
}

/// The one decision path of an invitation, for the send and its preview: the send list (the
/// employer's scope), the facts, [`lc::decide`]; a refusal names every reason at once, as the
/// search shows them.
async fn decide_invite(
    conn: &mut AnyConnection,
    employer_id: &EmployerId,
    graduate_id: &GraduateId,
    now: Millis,
) -> ServiceResult<InviteDecision> {
    require_on_send_list(conn, employer_id, graduate_id)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => ServiceError::Conflict(NOT_ON_SEND_LIST.into()),
            other => other,
        })?;
    let subject = FactsOf::New {
        kind: AgreementKind::Online,
        graduate_id,
        employer_id: Some(employer_id),
    };
    let (facts, settings, graduate) = load_facts(conn, subject, A::Invite, now).await?;
    let effects = lc::decide(None, A::Invite, Party::Employer, &facts).map_err(|r| match r {
        Refusal::Rule(_) => ServiceError::Conflict(lc::invite_obstacles(&facts).join("；")),
        other => refused(other, AgreementState::Invited, A::Invite),
    })?;
    Ok(InviteDecision {
        facts,
        settings,
        graduate,
        effects,
    })
}

/// "已发送", with what the employer should know about the graduate's answer (a held outcome).
fn sent_message(done: &str, facts: &Facts) -> String {
    let notes = lc::invite_notes(facts);
    if notes.is_empty() {
        done.to_string()
    } else {
        format!("{done}。{}", notes.join("；"))
    }
}

/// One graduate of a preview: whether the offer would be sent, and why not.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewLine {
    pub graduate_id: GraduateId,
    /// The graduate's name, for graduates on the employer's send list.
    pub name: Option<String>,
    pub ok: bool,
    /// Where the graduate's answer would end (24:00 China time of the last day).
    pub deadline_at: Option<Millis>,
    pub message: String,
}

/// What `preview_invitation` answers: the letter as the graduate will read it, and the send's
/// answer for every graduate, nothing written.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvitationPreview {
    /// The letter as the first graduate who can be invited reads it (the others differ only in
    /// the greeting, and in the deadline where their school's default validity differs).
    pub letter: InvitationLetter,
    /// The same letter as plain text.
    pub letter_text: String,
    /// Graduates the offer would reach.
    pub invitable: usize,
    pub graduates: Vec<PreviewLine>,
}

/// Previews a send: validates exactly as [`send_invitations`] does (the same terms check and
/// the same decision per graduate) and writes nothing. Refused for every graduate, the answer
/// is the refusal with each reason.
pub async fn preview_invitations(
    store: &Store,
    actor: &Actor,
    input: SendInvitations,
) -> ServiceResult<InvitationPreview> {
    let employer_id = employer_of(actor)?;
    let mut input = input;
    if input.all_on_send_list {
        input.graduate_ids = super::find::send_list_ids(store, &employer_id).await?;
    }
    let terms = checked_batch(&input)?;
    let now = store.now();
    let mut conn = store.reader().acquire().await?;
    let (employer_name,): (String,) = sqlx::query_as("SELECT name FROM employers WHERE id = $1")
        .bind(employer_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
    let mut seen = std::collections::HashSet::new();
    let mut lines = Vec::new();
    let mut letter = None;
    for gid in input.graduate_ids {
        if !seen.insert(gid.clone()) {
            continue;
        }
        let line = match decide_invite(&mut conn, &employer_id, &gid, now).await {
            Ok(d) => {
                let days = validity(input.validity_days, d.settings.invitation_validity_days)?;
                let deadline = lc::invitation_deadline(now, days);
                let name = graduate_name(&mut conn, &gid).await?;
                if letter.is_none() {
                    letter = Some(letter::invitation_letter(
                        &name,
                        &employer_name,
                        &terms,
                        now,
                        deadline,
                    ));
                }
                PreviewLine {
                    graduate_id: gid,
                    name: Some(name),
                    ok: true,
                    deadline_at: Some(deadline),
                    message: sent_message("可以发送", &d.facts),
                }
            }
            Err(e @ (ServiceError::Internal(_) | ServiceError::Forbidden)) => return Err(e),
            Err(e) => {
                let on_list = !matches!(&e, ServiceError::Conflict(m) if m == NOT_ON_SEND_LIST);
                PreviewLine {
                    name: if on_list {
                        Some(graduate_name(&mut conn, &gid).await?)
                    } else {
                        None
                    },
                    graduate_id: gid,
                    ok: false,
                    deadline_at: None,
                    message: e.to_string(),
                }
            }
        };
        lines.push(line);
    }
    let Some(letter) = letter else {
        // Nobody could be invited: the refusal itself, naming each graduate's reasons.
        let why = match lines.as_slice() {
            [one] => one.message.clone(),
            many => many
                .iter()
                .map(|l| {
                    format!(
                        "{}：{}",
                        l.name.as_deref().unwrap_or("发送列表外的毕业生"),
                        l.message
                    )
                })
                .collect::<Vec<_>>()
                .join("；"),
        };
        return Err(ServiceError::Conflict(why));
    };
    Ok(InvitationPreview {
        letter_text: letter.text(),
        letter,
        invitable: lines.iter().filter(|l| l.ok).count(),
        graduates: lines,
    })
}

async fn graduate_name(conn: &mut AnyConnection, id: &GraduateId) -> ServiceResult<String> {
    let (name,): (String,) = sqlx::query_as("SELECT name FROM graduates WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(conn)
        .await?;
    Ok(name)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_version(
    conn: &mut AnyConnection,
    agreement_id: &AgreementId,
    school_id: &SchoolId,
    version_no: i64,
    terms_json: &str,
    status: &str,
    actor: &Actor,
    now: Millis,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO agreement_versions (agreement_id, version_no, school_id, terms, status, proposed_by, proposed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(agreement_id.to_string())
    .bind(version_no)
    .bind(school_id.to_string())
    .bind(terms_json.to_string())
    .bind(status.to_string())
    .bind(actor.account_id.clone())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Expires the pair's pending invitation if its deadline has passed.
async fn expire_pair(
    conn: &mut AnyConnection,
    pii: &crate::Pii,
    employer_id: &EmployerId,
    graduate_id: &GraduateId,
    now: Millis,
) -> ServiceResult<()> {
    let due: Option<(AgreementId,)> = sqlx::query_as(
        "SELECT id FROM agreements WHERE employer_id = $1 AND graduate_id = $2 AND state = 'invited' AND deadline_at <= $3",
    )
    .bind(employer_id.to_string())
    .bind(graduate_id.to_string())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((id,)) = due {
        expire_in(conn, pii, &id, now).await?;
    }
    Ok(())
}

async fn expire_in(
    conn: &mut AnyConnection,
    pii: &crate::Pii,
    id: &AgreementId,
    now: Millis,
) -> ServiceResult<bool> {
    let Some(row) = load_agreement(conn, id).await? else {
        return Ok(false);
    };
    let facts = Facts {
        deadline_passed: row.deadline_at.is_some_and(|d| lc::deadline_passed(d, now)),
        ..Facts::open(AgreementKind::Online)
    };
    let Ok(effects) = lc::decide(Some(row.stored_state()?), A::Expire, Party::System, &facts)
    else {
        return Ok(false);
    };
    apply(
        conn,
        pii,
        &row,
        None,
        Step {
            at: now,
            action: A::Expire,
            party: Party::System,
            effects,
            remark: "过期不反馈视为主动放弃",
            changes: Changes::default(),
            expected_version: row.version,
        },
    )
    .await?;
    Ok(true)
}

/// Writes the expiry of invitations whose deadline has passed (the worker's sweep). Reads are
/// right without it; it keeps lists and the one-pending index tidy.
pub async fn expire_due(store: &Store, limit: i64) -> ServiceResult<usize> {
    let ids: Vec<(AgreementId,)> = sqlx::query_as(
        "SELECT id FROM agreements WHERE state = 'invited' AND deadline_at <= $1 ORDER BY deadline_at LIMIT $2",
    )
    .bind(store.now())
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    let mut n = 0;
    for (id,) in ids {
        let mut tx = store.writer().begin().await?;
        match expire_in(&mut tx, &store.pii, &id, store.now()).await {
            Ok(true) => {
                tx.commit().await?;
                n += 1;
            }
            Ok(false) => {}
            // Someone answered or withdrew it meanwhile.
            Err(ServiceError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// How long before its deadline a graduate is reminded of an unanswered invitation.
pub const REMIND_BEFORE_MS: i64 = 24 * 60 * 60 * 1000;

/// Reminds graduates of invitations that expire within a day (the worker's sweep): one message
/// per deadline, claimed by a guarded update so that several nodes never send it twice.
pub async fn remind_due(store: &Store, limit: i64) -> ServiceResult<usize> {
    let now = store.now();
    let due: Vec<(String, String, String, String, Millis)> = sqlx::query_as(
        "SELECT a.id, a.school_id, a.graduate_id, e.name, a.deadline_at FROM agreements a \
         JOIN employers e ON e.id = a.employer_id \
         WHERE a.state = 'invited' AND a.reminded_at IS NULL AND a.deadline_at > $1 AND a.deadline_at <= $2 \
         ORDER BY a.deadline_at LIMIT $3",
    )
    .bind(now)
    .bind(now + REMIND_BEFORE_MS)
    .bind(limit)
    .fetch_all(store.reader())
    .await?;
    let mut sent = 0;
    for (id, school_id, graduate_id, employer_name, deadline) in due {
        let mut tx = store.writer().begin().await?;
        let claimed = sqlx::query(
            "UPDATE agreements SET reminded_at = $1 WHERE id = $2 AND state = 'invited' AND reminded_at IS NULL",
        )
        .bind(now)
        .bind(id.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            continue;
        }
        let at = lc::deadline_label(deadline);
        messages::send(
            &mut tx,
            messages::Recipient::Graduate(&graduate_id),
            &messages::NewMessage {
                at: now,
                school_id: &school_id,
                record_kind: "agreement",
                record_id: &id,
                title: format!("邀约即将过期：{employer_name}"),
                body: format!(
                    "{employer_name}的签约邀请将于 {at} 过期，过期不反馈视为主动放弃。请尽快接受或拒绝。"
                ),
            },
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Remark {
    pub reason: Option<String>,
    pub version: Option<i64>,
}

pub async fn withdraw_invitation(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: Remark,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    remark_action(store, actor, id, A::Withdraw, input, idem).await
}

pub async fn reject_invitation(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: Remark,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    remark_action(store, actor, id, A::Reject, input, idem).await
}

/// Cancels a signing before the school's attestation, where the school binds on attestation.
pub async fn cancel_signing(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: Remark,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    remark_action(store, actor, id, A::CancelSigning, input, idem).await
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The graduate's password again: nobody signs on a graduate's behalf.
    pub password: String,
    /// The tick-box "我同意并遵守以上规定".
    pub agree: bool,
    pub version: Option<i64>,
}

/// Accepts an invitation: the second confirmation plus a fresh password check, then the
/// graduate's one outcome is taken (the database refuses a second).
pub async fn accept_invitation(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: AcceptInvitation,
    policy: &crate::accounts::SessionPolicy,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    // An answer the domain refuses (the graduate holds an outcome elsewhere, the deadline
    // passed) is told before the password is asked for: no attempt is spent on it.
    // A retry (a double click) skips it: its transaction replays the first answer.
    if !idempotency::seen(store, actor, idem).await? {
        super::check_allowed(store, actor, id, A::Accept).await?;
    }
    // The tick-box and the password are reported together; the password is checked before the
    // transaction: hashing takes ~0.1 s and must not hold the write lock.
    let mut errors = Vec::new();
    if !input.agree {
        errors.push(FieldError::new(
            "agree",
            "请阅读并勾选“我同意并遵守以上规定”",
        ));
    }
    match crate::accounts::reauthenticate(store, actor, &input.password, policy).await {
        Ok(()) => {}
        Err(ServiceError::Validation(fields)) => errors.extend(fields),
        Err(e) => return Err(e),
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    run_action(
        ActionRequest {
            store,
            actor,
            agreement_id: id,
            action: A::Accept,
            version: input.version,
            idem,
            remark: "已阅读签约须知并确认（已验证密码）",
        },
        |_| {
            Ok(Changes {
                signed: true,
                ..Changes::default()
            })
        },
    )
    .await
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditInvitation {
    pub terms: AgreementTerms,
    #[schema(maximum = 255)]
    pub validity_days: Option<u8>,
    pub version: Option<i64>,
}

/// Edits a pending invitation (new terms version, new deadline) or resends a withdrawn,
/// rejected or expired one with new terms.
pub async fn edit_or_resend(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: EditInvitation,
    resend: bool,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    let terms = checked_terms(input.terms)?;
    let terms_json = serde_json::to_string(&terms).map_err(anyhow::Error::from)?;
    let action = if resend { A::Resend } else { A::EditInvitation };
    let req = ActionRequest {
        store,
        actor,
        agreement_id: id,
        action,
        version: input.version,
        idem,
        remark: "",
    };
    let mut tx = store.writer().begin().await?;
    if let Some(done) =
        idempotency::claim::<Applied>(&mut tx, actor, idem, req.operation(), id, store.now())
            .await?
    {
        return Ok(done);
    }
    let p = prepare(&mut tx, &req).await?;
    let days = validity(input.validity_days, p.settings.invitation_validity_days)?;
    let now = p.now;
    let next_version = next_version_no(&mut tx, id).await?;
    sqlx::query("UPDATE agreement_versions SET status = 'superseded', decided_at = $1 WHERE agreement_id = $2 AND status = 'in_force'")
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    insert_version(
        &mut tx,
        id,
        &p.row.school_id,
        next_version,
        &terms_json,
        "in_force",
        actor,
        now,
    )
    .await?;
    let remark = format!("反馈有效期 {days} 天");
    let changes = Changes {
        terms: Some((terms_json, next_version)),
        deadline_at: Some(lc::invitation_deadline(now, days)),
        ..Changes::default()
    };
    let applied = apply_checked(
        &mut tx,
        &store.pii,
        &p.row,
        actor,
        p.step(action, &remark, changes),
    )
    .await?;
    idempotency::remember(&mut tx, actor, idem, &applied).await?;
    tx.commit().await?;
    Ok(applied)
}

/// [`apply`] where moving back to "invited" may meet the one-pending index.
async fn apply_checked(
    conn: &mut AnyConnection,
    pii: &crate::Pii,
    row: &super::AgreementRow,
    actor: &Actor,
    step: Step<'_>,
) -> ServiceResult<Applied> {
    let r = apply(conn, pii, row, Some(actor), step).await;
    match r {
        Err(ServiceError::Internal(e))
            if e.downcast_ref::<sqlx::Error>()
                .is_some_and(is_unique_violation) =>
        {
            Err(ServiceError::Conflict(PENDING_EXISTS.into()))
        }
        other => other,
    }
}

pub(crate) async fn next_version_no(
    conn: &mut AnyConnection,
    agreement_id: &AgreementId,
) -> ServiceResult<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(version_no), 0) + 1 FROM agreement_versions WHERE agreement_id = $1",
    )
    .bind(agreement_id.to_string())
    .fetch_one(conn)
    .await?;
    Ok(n)
}
