//! School review (鉴证) and revocation, amendments, termination (解约) and forced termination.

use serde::Deserialize;
use wangqian_domain::lifecycle::AgreementAction as A;
use wangqian_domain::role::Actor;
use wangqian_domain::terms::AgreementTerms;

use super::invitations::{insert_version, next_version_no, Remark};
use super::{
    apply, idempotency, prepare, reason_for, remark_action, run_action, terms_errors,
    ActionRequest, Applied, Changes, IdemKey,
};
use crate::blobs::{save_upload, BlobStore, NewUpload};
use crate::employers::UploadedFile;
#[allow(unused_imports)]
use crate::{AgreementId, BlobId, EmployerId, GraduateId, Millis, SchoolId};
use crate::{ServiceError, ServiceResult, Store};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecision {
    pub approve: bool,
    /// Required when rejecting (≤ 200 characters): evidence of fraud, false signing or wrong data.
    pub reason: Option<String>,
    pub version: Option<i64>,
}

/// Department or school review of a signing, an amendment, or a paper agreement's content or
/// signed scan: which step it is follows from the state.
pub async fn review_agreement(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    d: ReviewDecision,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    let action = if d.approve {
        A::ApproveSigning
    } else {
        A::RejectSigning
    };
    let remark = reason_for(action, d.reason.as_deref())?;
    run_action(
        ActionRequest {
            store,
            actor,
            agreement_id: id,
            action,
            version: d.version,
            idem,
            remark: &remark,
        },
        |_| Ok(Changes::default()),
    )
    .await
}

/// The school administrator takes a review back to decide again (撤回审核).
pub async fn revoke_review(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: Remark,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    remark_action(store, actor, id, A::RevokeReview, input, idem).await
}

/// Forced termination by the school administrator (强制解约), announced to both parties.
pub async fn force_terminate(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: Remark,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    remark_action(store, actor, id, A::ForceTerminate, input, idem).await
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeAmendment {
    pub terms: AgreementTerms,
    /// What changed and why (shown to the graduate).
    pub reason: Option<String>,
    pub version: Option<i64>,
}

/// The employer proposes new terms; they take effect when the graduate confirms (and, for an
/// effective agreement, when the school approves). Every version is kept.
pub async fn propose_amendment(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: ProposeAmendment,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    let terms = input.terms.normalised();
    terms.validate().map_err(|e| terms_errors(e, "terms."))?;
    let remark = reason_for(A::ProposeAmendment, input.reason.as_deref())?;
    let terms_json = serde_json::to_string(&terms).map_err(anyhow::Error::from)?;
    let req = ActionRequest {
        store,
        actor,
        agreement_id: id,
        action: A::ProposeAmendment,
        version: input.version,
        idem,
        remark: &remark,
    };
    let mut tx = store.writer().begin().await?;
    if let Some(done) =
        idempotency::claim::<Applied>(&mut tx, actor, idem, req.operation(), id, store.now())
            .await?
    {
        return Ok(done);
    }
    let p = prepare(&mut tx, &req).await?;
    if terms_json == p.row.terms {
        return Err(ServiceError::BadRequest(
            "修改后的条款与现行条款相同".into(),
        ));
    }
    let no = next_version_no(&mut tx, id).await?;
    insert_version(
        &mut tx,
        id,
        &p.row.school_id,
        no,
        &terms_json,
        "proposed",
        actor,
        store.now(),
    )
    .await?;
    let applied = apply(
        &mut tx,
        &store.pii,
        &p.row,
        Some(actor),
        p.step(A::ProposeAmendment, &remark, Changes::default()),
    )
    .await?;
    idempotency::remember(&mut tx, actor, idem, &applied).await?;
    tx.commit().await?;
    Ok(applied)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendmentAnswer {
    /// true: confirm the new terms; false: keep the old ones.
    pub confirm: bool,
    pub reason: Option<String>,
    pub version: Option<i64>,
}

pub async fn confirm_amendment(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: AmendmentAnswer,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    let action = if input.confirm {
        A::ConfirmAmendment
    } else {
        A::DeclineAmendment
    };
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

pub async fn withdraw_amendment(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: Remark,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    remark_action(store, actor, id, A::WithdrawAmendment, input, idem).await
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminationRequest {
    /// ≤ 200 characters.
    pub reason: String,
    /// The party has read the notice: termination may carry breach liability and needs the
    /// other party's consent and the school's attestation.
    pub acknowledged: bool,
    pub version: Option<i64>,
}

/// Either party asks to terminate an effective agreement (paper: the graduate only). The
/// graduate must upload the employer's stamped termination letter.
pub async fn request_termination(
    store: &Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    id: &AgreementId,
    input: TerminationRequest,
    proof: Option<UploadedFile>,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    if !input.acknowledged {
        return Err(ServiceError::field(
            "acknowledged",
            "请先阅读并确认解约须知（解约可能承担违约责任，须经对方同意和学校审核）",
        ));
    }
    let remark = reason_for(A::RequestTermination, Some(&input.reason))?;
    let req = ActionRequest {
        store,
        actor,
        agreement_id: id,
        action: A::RequestTermination,
        version: input.version,
        idem,
        remark: &remark,
    };
    let mut tx = store.writer().begin().await?;
    if let Some(done) =
        idempotency::claim::<Applied>(&mut tx, actor, idem, req.operation(), id, store.now())
            .await?
    {
        return Ok(done);
    }
    let p = prepare(&mut tx, &req).await?;
    let proof_id = match proof {
        Some(f) => Some(
            save_upload(
                blobs,
                &mut tx,
                NewUpload {
                    at: store.now(),
                    kind: "termination_proof",
                    content_type: f.content_type,
                    original_name: f.original_name,
                    bytes: f.bytes,
                    uploaded_by: Some(actor.account_id.to_string()),
                    school_id: Some(p.row.school_id.to_string()),
                },
            )
            .await?,
        ),
        None if A::RequestTermination.spec().proof.required_of(p.party) => {
            return Err(ServiceError::field(
                "proof",
                "请上传用人单位盖章的解约函（图片或 PDF）",
            ));
        }
        None => None,
    };
    let changes = Changes {
        termination_reason: Some(remark.clone()),
        termination_proof_id: proof_id,
        ..Changes::default()
    };
    let applied = apply(
        &mut tx,
        &store.pii,
        &p.row,
        Some(actor),
        p.step(A::RequestTermination, &remark, changes),
    )
    .await?;
    idempotency::remember(&mut tx, actor, idem, &applied).await?;
    tx.commit().await?;
    Ok(applied)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminationAnswer {
    /// true: agree to terminate (it goes to the school). Leaving it pending (暂不处理) needs no
    /// request at all.
    pub agree: bool,
    pub reason: Option<String>,
    pub version: Option<i64>,
}

/// The other party agrees to the termination; it then waits for the school.
pub async fn answer_termination(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: TerminationAnswer,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    if !input.agree {
        return Err(ServiceError::field(
            "agree",
            "暂不处理无需提交；同意解约请确认后提交",
        ));
    }
    let remark = reason_for(A::AgreeTermination, input.reason.as_deref())?;
    run_action(
        ActionRequest {
            store,
            actor,
            agreement_id: id,
            action: A::AgreeTermination,
            version: input.version,
            idem,
            remark: &remark,
        },
        |_| Ok(Changes::default()),
    )
    .await
}

/// The requester takes the termination request back; the agreement stays effective.
pub async fn cancel_termination(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    input: Remark,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    remark_action(store, actor, id, A::CancelTermination, input, idem).await
}

/// Department or school review of a termination. A rejection keeps the agreement effective and
/// lets a new request be made.
pub async fn review_termination(
    store: &Store,
    actor: &Actor,
    id: &AgreementId,
    d: ReviewDecision,
    idem: Option<&IdemKey>,
) -> ServiceResult<Applied> {
    let action = if d.approve {
        A::ApproveTermination
    } else {
        A::RejectTermination
    };
    let remark = reason_for(action, d.reason.as_deref())?;
    run_action(
        ActionRequest {
            store,
            actor,
            agreement_id: id,
            action,
            version: d.version,
            idem,
            remark: &remark,
        },
        |_| Ok(Changes::default()),
    )
    .await
}
