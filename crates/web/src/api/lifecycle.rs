//! The agreement lifecycle over JSON: finding graduates and the send list, invitations,
//! answers, reviews, amendments, termination, paper agreements, other destinations, lists,
//! the flow trail, to-do counts and messages.
//!
//! Every state-changing operation accepts an `Idempotency-Key` header (a retry with the same
//! key answers the first result and changes nothing more) and an optional `version` in its body
//! (a stale version answers 409).

use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use wangqian_domain::attestation::AttestationFields;
use wangqian_store::employers::UploadedFile;
use wangqian_store::lifecycle::attestation::{self, AttestationView};
use wangqian_store::lifecycle::destinations::{
    self, DestinationApplied, DestinationDecision, DestinationDetail, DestinationDraft,
    DestinationFilter, RegisterDestination, SaveDestinationDraft,
};
use wangqian_store::lifecycle::find::{self, FindGraduates, FoundGraduate, ImportLine};
use wangqian_store::lifecycle::invitations::{
    self, AcceptInvitation, EditInvitation, InvitationPreview, Remark, SendInvitations, SendResult,
};
use wangqian_store::lifecycle::paper::{self, PaperAgreementInput, SubmitPaper};
use wangqian_store::lifecycle::review::{
    self, AmendmentAnswer, ProposeAmendment, ReviewDecision, TerminationAnswer, TerminationRequest,
};
use wangqian_store::lifecycle::views::{
    self, AgreementDetail, AgreementFilter, TodoCounts, TrailView,
};
use wangqian_store::lifecycle::{messages, Applied, IdemKey};
use wangqian_store::Paging;
use wangqian_store::{AgreementId, DestinationId, GraduateId};

use super::{ApiJson, ApiMultipart, IdempotencyHeader, ListPage};
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult};
use crate::openapi::{BadRequest, Conflict, Locked, NotFound, Session, TooLarge, Unprocessable};
use crate::uploads::{certificate, proof_image, read_form, Form};
use crate::AppState;

/// The optional `Idempotency-Key` header.
pub struct Idem(pub Option<IdemKey>);

impl<S: Send + Sync> FromRequestParts<S> for Idem {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(Idem(None)),
            Some(v) => {
                let raw = v
                    .to_str()
                    .map_err(|_| ApiError::bad_request("Idempotency-Key 含有非法字符"))?;
                Ok(Idem(Some(IdemKey::parse(raw)?)))
            }
        }
    }
}

impl Idem {
    fn key(&self) -> Option<&IdemKey> {
        self.0.as_ref()
    }
}

// ---------------------------------------------------------------------------------------------
// Finding graduates and the send list

/// Finds one graduate: school (code or name) + graduation year + name + phone or ID number must
/// all match. The answer says why the graduate cannot be invited (定向/委培, locked, already
/// signed, window closed, employer not verified, invitation pending). Invitable graduates go
/// onto the send list.
#[utoipa::path(post, path = "/api/graduate-search", operation_id = "find_graduates", tag = "signing",
    request_body = FindGraduates, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = FoundGraduate), Session, BadRequest, Unprocessable,
              (status = 404, description = "没有找到", body = crate::error::ErrorBody),
              (status = 429, description = "一小时内查无此人次数过多", body = crate::error::ErrorBody)))]
pub async fn find_graduates(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiJson(input): ApiJson<FindGraduates>,
) -> ApiResult<Json<FoundGraduate>> {
    Ok(Json(
        find::find_graduates(&state.store, &s.actor, &input).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The employer's send list (签约发送列表), with each graduate's current invitability.
#[utoipa::path(get, path = "/api/send-list", operation_id = "list_send_list", tag = "signing",
    params(PageQuery), security(("session" = [])),
    responses((status = 200, body = ListPage<FoundGraduate>), Session, BadRequest))]
pub async fn list_send_list(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<ListPage<FoundGraduate>>> {
    let page =
        find::list_send_list(&state.store, &s.actor, Paging::new(q.page, q.per_page)).await?;
    Ok(Json(page.into()))
}

#[utoipa::path(delete, path = "/api/send-list/{graduate_id}", operation_id = "remove_from_send_list", tag = "signing",
    params(("graduate_id" = String, Path)), security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已移出"), Session, NotFound))]
pub async fn remove_from_send_list(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(graduate_id): Path<GraduateId>,
) -> ApiResult<StatusCode> {
    find::remove_from_send_list(&state.store, &s.actor, &graduate_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The send-list template (毕业学校, 毕业年度, 学生姓名, 学生身份证号) with one example row.
#[utoipa::path(get, path = "/api/send-list/template", operation_id = "download_send_list_template", tag = "signing",
    params(super::roster::TemplateQuery),
    responses((status = 200, description = "XLSX 或 CSV 文件",
               content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
              crate::openapi::Public, BadRequest))]
pub async fn download_send_list_template(
    Query(q): Query<super::roster::TemplateQuery>,
) -> ApiResult<axum::response::Response> {
    let example = ["江淮大学", "2027", "林晓", "11010519491231002X"]
        .map(str::to_string)
        .to_vec();
    super::roster::template_file(
        "签约发送列表",
        "send-list-template",
        "签约发送列表导入模板",
        &find::SEND_LIST_COLUMNS,
        example,
        q.format.as_deref() == Some("csv"),
    )
}

/// Imports a send list from the XLSX/CSV template (毕业学校, 毕业年度, 学生姓名, 学生身份证号);
/// multipart field `file`. The answer reports each row.
#[utoipa::path(post, path = "/api/send-list/import", operation_id = "import_send_list", tag = "signing",
    request_body(content_type = "multipart/form-data", content = super::roster::FileUpload),
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = SendListImported), Session, BadRequest, TooLarge, Unprocessable))]
pub async fn import_send_list(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<Json<SendListImported>> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let (name, bytes) = form.files.remove("file").ok_or_else(|| {
        ApiError::bad_request("请选择要导入的表格文件").with_field("file", "必填")
    })?;
    let lines: Vec<ImportLine> =
        find::import_send_list(&state.store, &s.actor, &name, bytes).await?;
    let added = lines.iter().filter(|l| l.added).count();
    Ok(Json(SendListImported { added, rows: lines }))
}

/// What a send-list import did, row by row.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SendListImported {
    /// Graduates put on the send list.
    pub added: usize,
    pub rows: Vec<ImportLine>,
}

// ---------------------------------------------------------------------------------------------
// Invitations

/// Sends the same invitation (邀请函) to each graduate given (all must be on the send list).
/// Each graduate succeeds or fails on its own; the answer lists every one.
#[utoipa::path(post, path = "/api/invitations", operation_id = "send_invitations", tag = "signing",
    request_body = SendInvitations, params(IdempotencyHeader), security(("session" = [], "csrf" = [])),
    responses((status = 200, body = InvitationsSent), Session, BadRequest, Conflict, Unprocessable))]
pub async fn send_invitations(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: Idem,
    ApiJson(input): ApiJson<SendInvitations>,
) -> ApiResult<Json<InvitationsSent>> {
    let results: Vec<SendResult> =
        invitations::send_invitations(&state.store, &s.actor, input, idem.key()).await?;
    let sent = results.iter().filter(|r| r.ok).count();
    Ok(Json(InvitationsSent {
        sent,
        failed: results.len() - sent,
        results,
    }))
}

/// Previews an invitation (预览): the same body as `send_invitations`, validated exactly as the
/// send validates it, and nothing written. The answer is the letter as the graduate will read
/// it (我单位拟录用（聘用）你为…，请于…24时之前反馈… and the 签约须知) and the send's answer for
/// each graduate; when none could be invited, 409 names each reason.
#[utoipa::path(post, path = "/api/invitations/preview", operation_id = "preview_invitation", tag = "signing",
    request_body = SendInvitations, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = InvitationPreview), Session, BadRequest, Conflict, Unprocessable))]
pub async fn preview_invitation(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiJson(input): ApiJson<SendInvitations>,
) -> ApiResult<Json<InvitationPreview>> {
    Ok(Json(
        invitations::preview_invitations(&state.store, &s.actor, input).await?,
    ))
}

/// The outcome of a batch of invitations, graduate by graduate.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InvitationsSent {
    pub sent: usize,
    pub failed: usize,
    pub results: Vec<SendResult>,
}

/// An agreement action: its path, its body type and the service it calls. Its documentation
/// names the body type, and every error the action can answer (`[Locked]` and the like add the
/// action's own).
macro_rules! action {
    ($(#[$doc:meta])* $name:ident, $path:literal, $body:ty, $([$($extra:path),+],)? |$st:ident, $a:ident, $id:ident, $b:ident, $k:ident| $call:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, operation_id = stringify!($name), tag = "signing",
            params(("id" = String, Path), IdempotencyHeader),
            request_body = $body,
            security(("session" = [], "csrf" = [])),
            responses((status = 200, body = Applied), Session, BadRequest, NotFound, Unprocessable,
                      $($($extra,)+)?
                      (status = 409, description = "状态不允许、版本已过期，或 Idempotency-Key 已用于另一操作", body = crate::error::ErrorBody)))]
        pub async fn $name(
            State($st): State<AppState>,
            ApiAuth(session): ApiAuth,
            idem: Idem,
            Path($id): Path<AgreementId>,
            ApiJson($b): ApiJson<$body>,
        ) -> ApiResult<Json<Applied>> {
            let $a = &session.actor;
            let $k = idem.key();
            let $id = &$id;
            Ok(Json($call.await?))
        }
    };
}

action!(
    /// The employer withdraws an unanswered invitation (撤回).
    withdraw_invitation, "/api/agreements/{id}/withdraw", Remark,
    |st, a, id, b, k| invitations::withdraw_invitation(&st.store, a, id, b, k)
);
action!(
    /// The employer changes an unanswered invitation; the deadline starts again.
    edit_invitation, "/api/agreements/{id}/invitation", EditInvitation,
    |st, a, id, b, k| invitations::edit_or_resend(&st.store, a, id, b, false, k)
);
action!(
    /// The employer sends a withdrawn, rejected or expired invitation again, with new terms.
    resend_invitation, "/api/agreements/{id}/resend", EditInvitation,
    |st, a, id, b, k| invitations::edit_or_resend(&st.store, a, id, b, true, k)
);
action!(
    /// The graduate accepts: `agree` is the tick-box "我同意并遵守以上规定" and `password` the
    /// graduate's password again, so that nobody signs on a graduate's behalf.
    accept_invitation, "/api/agreements/{id}/accept", AcceptInvitation, [Locked],
    |st, a, id, b, k| invitations::accept_invitation(&st.store, a, id, b, &st.session_policy, k)
);
action!(
    /// The graduate rejects an invitation (拒绝).
    reject_invitation, "/api/agreements/{id}/reject", Remark,
    |st, a, id, b, k| invitations::reject_invitation(&st.store, a, id, b, k)
);
action!(
    /// Either party cancels a signing before attestation, where the school binds on attestation.
    cancel_signing, "/api/agreements/{id}/cancel", Remark,
    |st, a, id, b, k| invitations::cancel_signing(&st.store, a, id, b, k)
);
action!(
    /// Department (初审) or school (终审) review of a signing, an amendment or a paper agreement.
    /// A rejection needs a reason.
    review_agreement, "/api/agreements/{id}/review", ReviewDecision,
    |st, a, id, b, k| review::review_agreement(&st.store, a, id, b, k)
);
action!(
    /// The school administrator revokes a review (撤回审核) to decide again.
    revoke_review, "/api/agreements/{id}/revoke-review", Remark,
    |st, a, id, b, k| review::revoke_review(&st.store, a, id, b, k)
);
action!(
    /// The employer proposes new terms (a new version); the graduate confirms them.
    propose_amendment, "/api/agreements/{id}/amendments", ProposeAmendment,
    |st, a, id, b, k| review::propose_amendment(&st.store, a, id, b, k)
);
action!(
    /// The graduate confirms (`confirm: true`) or declines the proposed terms.
    confirm_amendment, "/api/agreements/{id}/amendments/answer", AmendmentAnswer,
    |st, a, id, b, k| review::confirm_amendment(&st.store, a, id, b, k)
);
action!(
    /// The employer takes its proposed amendment back.
    withdraw_amendment, "/api/agreements/{id}/amendments/withdraw", Remark,
    |st, a, id, b, k| review::withdraw_amendment(&st.store, a, id, b, k)
);
action!(
    /// The other party agrees to the termination (同意); it then goes to the school.
    answer_termination, "/api/agreements/{id}/termination/answer", TerminationAnswer,
    |st, a, id, b, k| review::answer_termination(&st.store, a, id, b, k)
);
action!(
    /// The requester withdraws a termination request.
    cancel_termination, "/api/agreements/{id}/termination/cancel", Remark,
    |st, a, id, b, k| review::cancel_termination(&st.store, a, id, b, k)
);
action!(
    /// Department or school review of a termination.
    review_termination, "/api/agreements/{id}/termination/review", ReviewDecision,
    |st, a, id, b, k| review::review_termination(&st.store, a, id, b, k)
);
action!(
    /// The school administrator terminates an agreement (强制解约) with a reason; both parties
    /// are told.
    force_terminate, "/api/agreements/{id}/force-termination", Remark,
    |st, a, id, b, k| review::force_terminate(&st.store, a, id, b, k)
);
action!(
    /// Generates the paper agreement from the draft (final, `confirm: true`) and submits it.
    submit_paper_agreement, "/api/agreements/{id}/submit", SubmitPaper,
    |st, a, id, b, k| paper::submit_paper_agreement(&st.store, a, id, b, k)
);

fn version_field(form: &Form) -> ApiResult<Option<i64>> {
    let v = form.text("version");
    if v.trim().is_empty() {
        return Ok(None);
    }
    v.trim()
        .parse()
        .map(Some)
        .map_err(|_| ApiError::bad_request("version 应为整数").with_field("version", "应为整数"))
}

/// The multipart termination request.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TerminationForm {
    /// ≤ 200 characters.
    pub reason: String,
    /// `true` (or `1`, `on`) once the notice is read.
    #[schema(nullable = false)]
    pub acknowledged: Option<String>,
    #[schema(nullable = false)]
    pub version: Option<i64>,
    /// The employer's stamped termination letter (JPG, PNG or PDF ≤ 5 MB): required from the
    /// graduate.
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub proof: Option<Vec<u8>>,
}

/// Asks to terminate an effective agreement. Multipart: `reason` (≤ 200 characters),
/// `acknowledged` ("true" after reading the notice), optional `version`, and file `proof`
/// (the employer's stamped termination letter: required from the graduate).
#[utoipa::path(post, path = "/api/agreements/{id}/termination", operation_id = "request_termination", tag = "signing",
    params(("id" = String, Path), IdempotencyHeader),
    request_body(content_type = "multipart/form-data", content = TerminationForm),
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = Applied), Session, BadRequest, NotFound, Conflict, TooLarge, Unprocessable))]
pub async fn request_termination(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: Idem,
    Path(id): Path<AgreementId>,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<Json<Applied>> {
    Ok(Json(
        termination_from_form(&state, &s.actor, &id, idem.key(), mp).await?,
    ))
}

/// The multipart termination request, shared with the page form.
pub(crate) async fn termination_from_form(
    state: &AppState,
    actor: &wangqian_domain::role::Actor,
    id: &AgreementId,
    key: Option<&IdemKey>,
    mp: Multipart,
) -> ApiResult<Applied> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let proof = certificate(&mut form, "proof", "解约证明")?;
    let input = TerminationRequest {
        reason: form.text("reason"),
        acknowledged: matches!(form.text("acknowledged").as_str(), "true" | "1" | "on"),
        version: version_field(&form)?,
    };
    Ok(review::request_termination(
        &state.store,
        state.blobs.as_ref(),
        actor,
        id,
        input,
        proof,
        key,
    )
    .await?)
}

/// The graduate saves a paper agreement as a draft (the employer and terms from the paper).
#[utoipa::path(post, path = "/api/paper-agreements", operation_id = "create_paper_agreement", tag = "signing",
    request_body = PaperAgreementInput, params(IdempotencyHeader), security(("session" = [], "csrf" = [])),
    responses((status = 201, body = Applied), Session, BadRequest, Conflict, Unprocessable))]
pub async fn create_paper_agreement(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: Idem,
    ApiJson(input): ApiJson<PaperAgreementInput>,
) -> ApiResult<(StatusCode, Json<Applied>)> {
    let applied = paper::create_paper_agreement(&state.store, &s.actor, input, idem.key()).await?;
    Ok((StatusCode::CREATED, Json(applied)))
}

/// Edits a paper agreement draft (also after the school sent it back).
#[utoipa::path(put, path = "/api/paper-agreements/{id}", operation_id = "update_paper_agreement", tag = "signing",
    params(("id" = String, Path)), request_body = PaperAgreementInput, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = Applied), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn update_paper_agreement(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<AgreementId>,
    ApiJson(input): ApiJson<PaperAgreementInput>,
) -> ApiResult<Json<Applied>> {
    Ok(Json(
        paper::update_paper_agreement(&state.store, &s.actor, &id, input).await?,
    ))
}

/// The multipart upload of the signed paper.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SignedScanForm {
    /// JPG, PNG or PDF ≤ 5 MB.
    #[schema(value_type = String, format = Binary)]
    pub scan: Vec<u8>,
    #[schema(nullable = false)]
    pub version: Option<i64>,
}

/// The graduate uploads the scan of the signed and stamped paper. Multipart: file `scan`
/// (JPG/PNG/PDF ≤ 5 MB), optional `version`.
#[utoipa::path(post, path = "/api/agreements/{id}/signed-scan", operation_id = "upload_signed_agreement", tag = "signing",
    params(("id" = String, Path), IdempotencyHeader),
    request_body(content_type = "multipart/form-data", content = SignedScanForm),
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = Applied), Session, BadRequest, NotFound, Conflict, TooLarge, Unprocessable))]
pub async fn upload_signed_agreement(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: Idem,
    Path(id): Path<AgreementId>,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<Json<Applied>> {
    Ok(Json(
        signed_scan_from_form(&state, &s.actor, &id, idem.key(), mp).await?,
    ))
}

/// The multipart scan upload, shared with the page form.
pub(crate) async fn signed_scan_from_form(
    state: &AppState,
    actor: &wangqian_domain::role::Actor,
    id: &AgreementId,
    key: Option<&IdemKey>,
    mp: Multipart,
) -> ApiResult<Applied> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let scan = certificate(&mut form, "scan", "协议书扫描件")?.ok_or_else(|| {
        ApiError::bad_request("请上传签字盖章后的协议书扫描件").with_field("scan", "必填")
    })?;
    let version = version_field(&form)?;
    Ok(paper::upload_signed_agreement(
        &state.store,
        state.blobs.as_ref(),
        actor,
        id,
        scan,
        version,
        key,
    )
    .await?)
}

// ---------------------------------------------------------------------------------------------
// Reading

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    /// A state code, e.g. `signed`, `effective`, `expired`.
    #[param(value_type = Option<crate::openapi::AgreementStateCode>, inline)]
    pub state: Option<String>,
    /// online / paper
    #[param(value_type = Option<crate::openapi::AgreementKindCode>, inline)]
    pub kind: Option<String>,
    pub graduation_year: Option<i64>,
    pub department_id: Option<String>,
    /// Graduate name, student number, employer name or agreement number.
    pub keyword: Option<String>,
    /// Only records whose next move is the viewer's.
    pub awaiting_me: Option<bool>,
    /// One of the viewer's to-do lists, exactly as `todo_counts` counts it.
    #[param(value_type = Option<views::AgreementTodo>, inline)]
    pub todo: Option<views::AgreementTodo>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// `meta.next` of the previous page: keyset paging for deep lists (`page` is then ignored).
    pub after: Option<String>,
}

/// Agreements the viewer may see, newest first, filtered and paged.
#[utoipa::path(get, path = "/api/agreements", operation_id = "list_agreements", tag = "signing",
    params(AgreementQuery), security(("session" = [])),
    responses((status = 200, body = ListPage<views::AgreementListRow>), Session, BadRequest, Unprocessable))]
pub async fn list_agreements(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Query(q): Query<AgreementQuery>,
) -> ApiResult<Json<ListPage<views::AgreementListRow>>> {
    let filter = AgreementFilter {
        state: q.state,
        kind: q.kind,
        graduation_year: q.graduation_year,
        department_id: q.department_id,
        keyword: q.keyword,
        awaiting_me: q.awaiting_me.unwrap_or(false),
        todo: q.todo,
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    let page = views::list_agreements(&state.store, &s.actor, &filter).await?;
    Ok(Json(page.into()))
}

/// One agreement: parties (personal data masked), terms in force, every terms version, the
/// school's binding rule, and the actions the viewer may take now.
#[utoipa::path(get, path = "/api/agreements/{id}", operation_id = "get_agreement", tag = "signing",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = AgreementDetail), Session, NotFound))]
pub async fn get_agreement(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<AgreementId>,
) -> ApiResult<Json<AgreementDetail>> {
    Ok(Json(
        views::get_agreement(&state.store, &s.actor, &id).await?,
    ))
}

/// The 鉴证 view for the staff who review the agreement (and the province): the graduate's
/// record, the company's verified data with its licence and letter, and the normalised fields
/// (as saved, or proposed from the company's registration).
#[utoipa::path(get, path = "/api/agreements/{id}/attestation", operation_id = "get_attestation", tag = "signing",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = AttestationView), Session, NotFound))]
pub async fn get_attestation(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<AgreementId>,
) -> ApiResult<Json<AttestationView>> {
    Ok(Json(
        attestation::get_attestation(&state.store, &s.actor, &id).await?,
    ))
}

/// The reviewer fills in 单位性质, 单位行业, 单位所在地 (county code) and 单位地址 for statistics
/// and the destination export. Only while the agreement holds the graduate's outcome (409
/// otherwise); every field's problem at once (422).
#[utoipa::path(put, path = "/api/agreements/{id}/attestation", operation_id = "update_attestation_fields", tag = "signing",
    params(("id" = String, Path)), request_body = AttestationFields, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = AttestationView), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn update_attestation_fields(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<AgreementId>,
    ApiJson(input): ApiJson<AttestationFields>,
) -> ApiResult<Json<AttestationView>> {
    Ok(Json(
        attestation::update_attestation_fields(&state.store, &s.actor, &id, input).await?,
    ))
}

/// The flow trail (流程追踪): who, when, what, remark, before and after, and whether the hash
/// chain is intact.
#[utoipa::path(get, path = "/api/agreements/{id}/trail", operation_id = "get_agreement_trail", tag = "signing",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = TrailView), Session, NotFound))]
pub async fn get_agreement_trail(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<AgreementId>,
) -> ApiResult<Json<TrailView>> {
    Ok(Json(
        views::get_agreement_trail(&state.store, &s.actor, &id).await?,
    ))
}

/// The viewer's to-do counts: 签约待办 (signing), 解约待办 (termination), 待审核 (review), and
/// unread messages.
#[utoipa::path(get, path = "/api/todo-counts", operation_id = "todo_counts", tag = "signing",
    security(("session" = [])), responses((status = 200, body = TodoCounts), Session))]
pub async fn todo_counts(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
) -> ApiResult<Json<TodoCounts>> {
    Ok(Json(views::todo_counts(&state.store, &s.actor).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    pub unread: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// In-app messages for the viewer (their own, their company's, department's or school's).
#[utoipa::path(get, path = "/api/messages", operation_id = "list_messages", tag = "signing",
    params(MessageQuery), security(("session" = [])),
    responses((status = 200, body = ListPage<messages::MessageRow>), Session, BadRequest))]
pub async fn list_messages(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Query(q): Query<MessageQuery>,
) -> ApiResult<Json<ListPage<messages::MessageRow>>> {
    let page = messages::list(
        &state.store,
        &s.actor,
        q.unread.unwrap_or(false),
        Paging::new(q.page, q.per_page),
    )
    .await?;
    Ok(Json(page.into()))
}

#[utoipa::path(post, path = "/api/messages/{id}/read", operation_id = "mark_message_read", tag = "signing",
    params(("id" = String, Path)), security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已读"), Session, NotFound))]
pub async fn mark_message_read(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    messages::mark_read(&state.store, &s.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// Other destinations

/// The multipart registration of an other destination.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DestinationForm {
    /// JSON of `RegisterDestination` (category_code, subcategory, unit_name, details,
    /// place_region); then the plain fields are ignored (an empty part counts as none).
    #[schema(value_type = Option<String>, nullable = false)]
    pub data: Option<RegisterDestination>,
    /// 毕业去向代码 (not 10).
    #[schema(nullable = false)]
    pub category_code: Option<String>,
    #[schema(nullable = false)]
    pub subcategory: Option<String>,
    #[schema(nullable = false)]
    pub unit_name: Option<String>,
    /// 所在地 as free text: used only while no `place_*` region is chosen.
    #[schema(nullable = false)]
    pub detail_place: Option<String>,
    /// 所在地 by region: the province, city and county codes (the innermost chosen one is the
    /// `place_region.county_code`; it must be county level) and the street. In `data` JSON,
    /// use `place_region: {county_code, street}` instead.
    #[schema(nullable = false, example = "340000")]
    pub place_province: Option<String>,
    #[schema(nullable = false, example = "340100")]
    pub place_city: Option<String>,
    #[schema(nullable = false, example = "340104")]
    pub place_county: Option<String>,
    #[schema(nullable = false, max_length = 200)]
    pub place_street: Option<String>,
    /// 补充说明
    #[schema(nullable = false)]
    pub detail_note: Option<String>,
    /// Proof images, JPG or PNG ≤ 2 MB each.
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub proof_1: Option<Vec<u8>>,
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub proof_2: Option<Vec<u8>>,
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub proof_3: Option<Vec<u8>>,
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub proof_4: Option<Vec<u8>>,
}

/// Registers an other destination (保存并送审). Multipart: `data` (JSON: category_code,
/// subcategory, unit_name, details, place_region) — or the same as plain fields, with the
/// category's `detail_<name>` fields (`detail_major`, `detail_country`, `detail_credit_code` …),
/// `detail_place`, `detail_note` and `place_province` … `place_street` for the region — and up
/// to four images `proof_1` … `proof_4` (JPG/PNG ≤ 2 MB). Each category requires its own fields
/// (升学: unit_name = 录取学校 and 录取专业; 出国出境: 国家（地区） and unit_name = 院校/单位;
/// 自主创业: unit_name = 公司名称 and a valid 统一社会信用代码; 基层项目: unit_name = 项目名称 …):
/// a 422 names every missing or wrong field at once (`unit_name`, `subcategory`,
/// `detail_major` …). The graduate's draft is deleted with the registration.
#[utoipa::path(post, path = "/api/destinations", operation_id = "register_destination", tag = "destinations",
    params(IdempotencyHeader),
    request_body(content_type = "multipart/form-data", content = DestinationForm),
    security(("session" = [], "csrf" = [])),
    responses((status = 201, body = DestinationApplied), Session, BadRequest, Conflict, TooLarge, Unprocessable))]
pub async fn register_destination(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: Idem,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<(StatusCode, Json<DestinationApplied>)> {
    let applied = destination_from_form(&state, &s.actor, idem.key(), mp).await?;
    Ok((StatusCode::CREATED, Json(applied)))
}

/// The multipart registration (a `data` JSON field, or plain fields), shared with the page.
pub(crate) async fn destination_from_form(
    state: &AppState,
    actor: &wangqian_domain::role::Actor,
    key: Option<&IdemKey>,
    mp: Multipart,
) -> ApiResult<DestinationApplied> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let input: RegisterDestination = match form
        .fields
        .get("data")
        .and_then(|v| v.first())
        .filter(|d| !d.trim().is_empty())
    {
        Some(d) => serde_json::from_str(d)
            .map_err(|e| ApiError::bad_request(format!("data 字段不是有效的登记信息：{e}")))?,
        None => destination_input(&form),
    };
    let extra = form
        .files
        .keys()
        .filter(|k| k.starts_with("proof_"))
        .count();
    if extra > destinations::MAX_PROOFS {
        return Err(
            ApiError::bad_request("证明材料最多上传 4 张").with_field("proofs", "最多 4 张")
        );
    }
    let mut proofs: Vec<UploadedFile> = Vec::new();
    for i in 1..=destinations::MAX_PROOFS {
        if let Some(f) = proof_image(&mut form, &format!("proof_{i}"), "证明材料")? {
            proofs.push(f);
        }
    }
    Ok(destinations::register_destination(
        &state.store,
        state.blobs.as_ref(),
        actor,
        input,
        proofs,
        key,
    )
    .await?)
}

/// A registration from plain form fields (the page's form, or a multipart client without
/// `data`): the category's fields by their form names, the region by its selects.
pub(crate) fn destination_input(form: &Form) -> RegisterDestination {
    let category = form.text("category_code");
    RegisterDestination {
        category_code: category.clone(),
        subcategory: form.text("subcategory"),
        unit_name: form.text("unit_name"),
        details: form
            .fields
            .iter()
            .filter_map(|(k, v)| {
                // The page's fields have ASCII names (clients encode others unevenly): the
                // category's own fields by their form name, then 所在地 and 补充说明.
                let label = match wangqian_domain::destination_form::label_of(&category, k) {
                    Some(label) => label,
                    None => match k.strip_prefix("detail_")? {
                        "place" => "所在地",
                        "note" => "补充说明",
                        other => other,
                    },
                };
                let value = v.first()?.trim();
                (!value.is_empty()).then(|| (label.to_string(), value.to_string()))
            })
            .collect(),
        // The page's selects: the innermost chosen level is the code, and nothing chosen
        // leaves the free `detail_place`.
        place_region: crate::pages::terms_form::RegionForm {
            province: form.text("place_province"),
            city: form.text("place_city"),
            county: form.text("place_county"),
            street: form.text("place_street"),
        }
        .read(),
    }
}

#[utoipa::path(post, path = "/api/destinations/{id}/withdraw", operation_id = "withdraw_destination", tag = "destinations",
    params(("id" = String, Path), IdempotencyHeader), request_body = DestinationDecision,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = DestinationApplied), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn withdraw_destination(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: Idem,
    Path(id): Path<DestinationId>,
    ApiJson(body): ApiJson<DestinationDecision>,
) -> ApiResult<Json<DestinationApplied>> {
    Ok(Json(
        destinations::withdraw_destination(&state.store, &s.actor, &id, body, idem.key()).await?,
    ))
}

/// Review of a registration or of a release request (whichever is pending); a rejection
/// needs a reason.
#[utoipa::path(post, path = "/api/destinations/{id}/review", operation_id = "review_destination", tag = "destinations",
    params(("id" = String, Path), IdempotencyHeader), request_body = DestinationDecision,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = DestinationApplied), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn review_destination(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: Idem,
    Path(id): Path<DestinationId>,
    ApiJson(body): ApiJson<DestinationDecision>,
) -> ApiResult<Json<DestinationApplied>> {
    Ok(Json(
        destinations::review_destination(&state.store, &s.actor, &id, body, idem.key()).await?,
    ))
}

/// The school administrator unlocks an approved destination (管理员后台解锁): the graduate is
/// 待就业 again and is told the reason, which is required.
#[utoipa::path(post, path = "/api/destinations/{id}/unlock", operation_id = "unlock_destination", tag = "destinations",
    params(("id" = String, Path), IdempotencyHeader), request_body = DestinationDecision,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = DestinationApplied), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn unlock_destination(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: Idem,
    Path(id): Path<DestinationId>,
    ApiJson(body): ApiJson<DestinationDecision>,
) -> ApiResult<Json<DestinationApplied>> {
    Ok(Json(
        destinations::unlock_destination(&state.store, &s.actor, &id, body, idem.key()).await?,
    ))
}

/// The multipart release request.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ReleaseForm {
    pub reason: String,
    #[schema(nullable = false)]
    pub version: Option<i64>,
    /// JPG, PNG or PDF ≤ 5 MB.
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub proof: Option<Vec<u8>>,
}

/// The graduate asks to release (解除) an approved destination. Multipart: `reason`, optional
/// `version`, file `proof`.
#[utoipa::path(post, path = "/api/destinations/{id}/release", operation_id = "request_destination_release", tag = "destinations",
    params(("id" = String, Path), IdempotencyHeader),
    request_body(content_type = "multipart/form-data", content = ReleaseForm),
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = DestinationApplied), Session, BadRequest, NotFound, Conflict, TooLarge, Unprocessable))]
pub async fn request_destination_release(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: Idem,
    Path(id): Path<DestinationId>,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<Json<DestinationApplied>> {
    Ok(Json(
        release_from_form(&state, &s.actor, &id, idem.key(), mp).await?,
    ))
}

/// The multipart release request (reason, optional proof), shared with the page form.
pub(crate) async fn release_from_form(
    state: &AppState,
    actor: &wangqian_domain::role::Actor,
    id: &DestinationId,
    key: Option<&IdemKey>,
    mp: Multipart,
) -> ApiResult<DestinationApplied> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let proof = certificate(&mut form, "proof", "解除证明")?;
    let input = DestinationDecision {
        approve: false,
        reason: Some(form.text("reason")),
        version: version_field(&form)?,
    };
    Ok(destinations::request_destination_release(
        &state.store,
        state.blobs.as_ref(),
        actor,
        id,
        input,
        proof,
        key,
    )
    .await?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DestinationQuery {
    #[param(value_type = Option<crate::openapi::DestinationStateCode>, inline)]
    pub state: Option<String>,
    pub graduation_year: Option<i64>,
    pub department_id: Option<String>,
    pub keyword: Option<String>,
    /// Only what waits for the school's review, as `todo_counts.destinations` counts it.
    pub awaiting_review: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// `meta.next` of the previous page: keyset paging (`page` is then ignored).
    pub after: Option<String>,
}

#[utoipa::path(get, path = "/api/destinations", operation_id = "list_destinations", tag = "destinations",
    params(DestinationQuery), security(("session" = [])),
    responses((status = 200, body = ListPage<destinations::DestinationRow>), Session, BadRequest, Unprocessable))]
pub async fn list_destinations(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Query(q): Query<DestinationQuery>,
) -> ApiResult<Json<ListPage<destinations::DestinationRow>>> {
    let f = DestinationFilter {
        awaiting_review: q.awaiting_review.unwrap_or(false),
        state: q.state,
        graduation_year: q.graduation_year,
        department_id: q.department_id,
        keyword: q.keyword,
        page: q.page,
        per_page: q.per_page,
        after: q.after,
    };
    let page = destinations::list_destinations(&state.store, &s.actor, &f).await?;
    Ok(Json(page.into()))
}

/// One registration with its flow trail and the viewer's possible actions.
#[utoipa::path(get, path = "/api/destinations/{id}", operation_id = "get_destination", tag = "destinations",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = DestinationDetail), Session, NotFound))]
pub async fn get_destination(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<DestinationId>,
) -> ApiResult<Json<DestinationDetail>> {
    Ok(Json(
        destinations::get_destination(&state.store, &s.actor, &id).await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// Destination drafts (暂存)

/// The graduate's saved draft of an other-destination registration. Only the graduate
/// themselves: another graduate gets 404, staff and employers 403.
#[utoipa::path(get, path = "/api/graduates/{id}/destination-draft", operation_id = "get_destination_draft", tag = "destinations",
    params(("id" = String, Path, description = "the graduate's id")), security(("session" = [])),
    responses((status = 200, body = DestinationDraft), Session, NotFound))]
pub async fn get_destination_draft(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<GraduateId>,
) -> ApiResult<Json<DestinationDraft>> {
    Ok(Json(
        destinations::get_destination_draft(&state.store, &s.actor, &id).await?,
    ))
}

/// Saves (暂存) the graduate's draft: it may be incomplete, but what it holds must fit the
/// category's form (422 names every field). A draft takes no outcome: the graduate may still
/// sign an agreement. A stale `version` answers 409. Submit with `register_destination`.
#[utoipa::path(put, path = "/api/graduates/{id}/destination-draft", operation_id = "save_destination_draft", tag = "destinations",
    params(("id" = String, Path, description = "the graduate's id")), request_body = SaveDestinationDraft,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = DestinationDraft), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn save_destination_draft(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<GraduateId>,
    ApiJson(body): ApiJson<SaveDestinationDraft>,
) -> ApiResult<Json<DestinationDraft>> {
    Ok(Json(
        destinations::save_destination_draft(&state.store, &s.actor, &id, body).await?,
    ))
}

/// Discards the graduate's draft.
#[utoipa::path(delete, path = "/api/graduates/{id}/destination-draft", operation_id = "delete_destination_draft", tag = "destinations",
    params(("id" = String, Path, description = "the graduate's id")), security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已删除"), Session, NotFound))]
pub async fn delete_destination_draft(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<GraduateId>,
) -> ApiResult<StatusCode> {
    destinations::delete_destination_draft(&state.store, &s.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
