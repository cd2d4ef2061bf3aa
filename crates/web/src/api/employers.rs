//! Employer registration, joining, members and verification.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use wangqian_store::employers::{
    self, JoinEmployer, JoinKind, RegisterEmployer, VerificationFilter, VerifyEmployer,
};

use super::{ApiJson, ApiMultipart};
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult};
use crate::headers::{content_disposition, may_show_inline};
use crate::openapi::{BadRequest, Conflict, NotFound, Public, Session, TooLarge, Unprocessable};
use crate::uploads::{certificate, read_form, Form};
use crate::AppState;
use wangqian_domain::policy;

/// Reads the registration fields from a multipart form: either one non-empty `data` part
/// holding JSON, or one part per field (HTML forms).
fn registration_from(form: &Form) -> Result<RegisterEmployer, ApiError> {
    if let Some(data) = form
        .fields
        .get("data")
        .and_then(|v| v.first())
        .filter(|d| !d.trim().is_empty())
    {
        return serde_json::from_str(data)
            .map_err(|e| ApiError::bad_request(format!("data 字段不是有效的注册信息：{e}")));
    }
    Ok(RegisterEmployer {
        company_name: form.text("company_name"),
        credit_code: form.text("credit_code"),
        login_name: form.text("login_name"),
        manager_name: form.text("manager_name"),
        phone: form.text("phone"),
        password: form.text("password"),
        password_confirm: form.text("password_confirm"),
        province: form.text("province"),
        city: form.text("city"),
        address: form.text("address"),
        company_phone: form.text("company_phone"),
        email: form.text("email"),
        hr_email: form.text("hr_email"),
        postcode: form.text("postcode"),
        unit_nature_code: form.text("unit_nature_code"),
        industry_code: form.text("industry_code"),
        size_code: form.text("size_code"),
        registered_capital_code: form.text("registered_capital_code"),
        tags: form.text("tags"),
        school_ids: form.all("school_ids"),
    })
}

/// The multipart registration: a `data` part with the JSON of [`RegisterEmployer`], or one part
/// per field, plus the two certificates.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EmployerRegistrationForm {
    /// JSON of all the fields below at once (then the single fields are ignored; an empty
    /// part counts as none).
    #[schema(value_type = Option<String>, nullable = false)]
    pub data: Option<RegisterEmployer>,
    #[schema(nullable = false)]
    pub company_name: Option<String>,
    /// 统一社会信用代码 (18 characters)
    #[schema(nullable = false)]
    pub credit_code: Option<String>,
    #[schema(nullable = false)]
    pub login_name: Option<String>,
    #[schema(nullable = false)]
    pub manager_name: Option<String>,
    #[schema(nullable = false)]
    pub phone: Option<String>,
    #[schema(nullable = false)]
    pub password: Option<String>,
    #[schema(nullable = false)]
    pub password_confirm: Option<String>,
    #[schema(nullable = false)]
    pub province: Option<String>,
    #[schema(nullable = false)]
    pub city: Option<String>,
    #[schema(nullable = false)]
    pub address: Option<String>,
    #[schema(nullable = false)]
    pub company_phone: Option<String>,
    #[schema(nullable = false)]
    pub email: Option<String>,
    #[schema(nullable = false)]
    pub hr_email: Option<String>,
    #[schema(nullable = false)]
    pub postcode: Option<String>,
    #[schema(nullable = false)]
    pub unit_nature_code: Option<String>,
    #[schema(nullable = false)]
    pub industry_code: Option<String>,
    #[schema(nullable = false)]
    pub size_code: Option<String>,
    #[schema(nullable = false)]
    pub registered_capital_code: Option<String>,
    #[schema(nullable = false)]
    pub tags: Option<String>,
    /// Repeat the part once per school.
    #[schema(nullable = false)]
    pub school_ids: Option<Vec<String>>,
    /// 授权书: JPG, PNG or PDF ≤ 5 MB (type judged from the bytes).
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub authorisation_letter: Option<Vec<u8>>,
    /// 营业执照: JPG, PNG or PDF ≤ 5 MB.
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub licence: Option<Vec<u8>>,
}

/// The multipart join request: a `data` part with the JSON of [`JoinEmployer`], or one part per
/// field, plus the stamped letter for `become_manager`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct JoinEmployerForm {
    #[schema(value_type = Option<String>, nullable = false)]
    pub data: Option<JoinEmployer>,
    #[schema(nullable = false)]
    pub credit_code: Option<String>,
    #[schema(nullable = false)]
    pub kind: Option<JoinKind>,
    #[schema(nullable = false)]
    pub login_name: Option<String>,
    #[schema(nullable = false)]
    pub manager_name: Option<String>,
    #[schema(nullable = false)]
    pub phone: Option<String>,
    #[schema(nullable = false)]
    pub password: Option<String>,
    #[schema(nullable = false)]
    pub password_confirm: Option<String>,
    /// 授权书 (needed to become the manager): JPG, PNG or PDF ≤ 5 MB.
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub authorisation_letter: Option<Vec<u8>>,
}

/// Registers a company and its manager account (steps 1–4). Multipart: `data` (JSON of the
/// fields) or one part per field, plus files `authorisation_letter` and `licence` (JPG/PNG/PDF
/// ≤ 5 MB, type judged from the bytes). The employer then waits for verification.
#[utoipa::path(post, path = "/api/employers", operation_id = "register_employer", tag = "employers",
    request_body(content_type = "multipart/form-data", content = EmployerRegistrationForm),
    responses((status = 201, body = employers::Registered), Public, BadRequest, TooLarge, Unprocessable,
              (status = 409, description = "单位已注册", body = crate::error::ErrorBody)))]
pub async fn register_employer(
    State(state): State<AppState>,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<(StatusCode, Json<employers::Registered>)> {
    let registered = register(&state, mp).await?;
    Ok((StatusCode::CREATED, Json(registered)))
}

pub async fn register(state: &AppState, mp: Multipart) -> ApiResult<employers::Registered> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let input = registration_from(&form)?;
    let letter = certificate(&mut form, "authorisation_letter", "授权书")?;
    let licence = certificate(&mut form, "licence", "营业执照")?;
    Ok(
        employers::register_employer(&state.store, state.blobs.as_ref(), input, letter, licence)
            .await?,
    )
}

/// Asks to join an already registered company (its manager approves) or to become its new
/// manager (the platform approves; needs the stamped letter).
#[utoipa::path(post, path = "/api/employers/join", operation_id = "join_employer", tag = "employers",
    request_body(content_type = "multipart/form-data", content = JoinEmployerForm),
    responses((status = 201, body = employers::Registered), Public, BadRequest, NotFound, Conflict, TooLarge, Unprocessable))]
pub async fn join_employer(
    State(state): State<AppState>,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<(StatusCode, Json<employers::Registered>)> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let input: JoinEmployer = if let Some(d) = form
        .fields
        .get("data")
        .and_then(|v| v.first())
        .filter(|d| !d.trim().is_empty())
    {
        serde_json::from_str(d)
            .map_err(|e| ApiError::bad_request(format!("data 字段不是有效的申请信息：{e}")))?
    } else {
        JoinEmployer {
            credit_code: form.text("credit_code"),
            kind: match form.text("kind").as_str() {
                "become_manager" => JoinKind::BecomeManager,
                _ => JoinKind::Join,
            },
            login_name: form.text("login_name"),
            manager_name: form.text("manager_name"),
            phone: form.text("phone"),
            password: form.text("password"),
            password_confirm: form.text("password_confirm"),
        }
    };
    let letter = certificate(&mut form, "authorisation_letter", "授权书")?;
    let r = employers::join_employer(&state.store, state.blobs.as_ref(), input, letter).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(get, path = "/api/employers/{id}", operation_id = "get_employer", tag = "employers",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = employers::EmployerDetail), Session, NotFound))]
pub async fn get_employer(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<employers::EmployerDetail>> {
    Ok(Json(
        employers::get_employer(&state.store, &s.actor, &id).await?,
    ))
}

#[utoipa::path(get, path = "/api/employers/{id}/members", operation_id = "list_employer_members", tag = "employers",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = super::Items<employers::MemberRow>), Session, NotFound))]
pub async fn list_employer_members(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<super::Items<employers::MemberRow>>> {
    let items = employers::list_members(&state.store, &s.actor, &id).await?;
    Ok(Json(super::Items { items }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub approve: bool,
}

/// The manager decides a join request; the platform decides a "become manager" request.
#[utoipa::path(post, path = "/api/employers/{id}/members/{account_id}/decision", operation_id = "decide_employer_member", tag = "employers",
    params(("id" = String, Path), ("account_id" = String, Path)), request_body = DecisionRequest,
    security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已处理"), Session, BadRequest, NotFound, Conflict))]
pub async fn decide_employer_member(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path((id, account_id)): Path<(String, String)>,
    ApiJson(b): ApiJson<DecisionRequest>,
) -> ApiResult<StatusCode> {
    employers::decide_member(&state.store, &s.actor, &id, &account_id, b.approve).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerificationQuery {
    /// pending (default), verified, rejected
    #[param(value_type = Option<crate::openapi::VerificationStatusCode>, inline)]
    pub status: Option<String>,
    pub keyword: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The verification queue (province: all employers; school: those applying to it).
#[utoipa::path(get, path = "/api/employer-verifications", operation_id = "list_employer_verifications", tag = "employers",
    params(VerificationQuery), security(("session" = [])),
    responses((status = 200, body = super::ListPage<employers::EmployerRow>), Session, BadRequest, Unprocessable))]
pub async fn list_employer_verifications(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Query(q): Query<VerificationQuery>,
) -> ApiResult<Json<super::ListPage<employers::EmployerRow>>> {
    let page = employers::list_for_verification(
        &state.store,
        &s.actor,
        &VerificationFilter {
            status: q.status,
            keyword: q.keyword,
            page: q.page,
            per_page: q.per_page,
        },
    )
    .await?;
    Ok(Json(page.into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub approve: bool,
    /// Required when rejecting (≤ 200 characters).
    pub reason: Option<String>,
    /// Confirms a credit code that fails its check character; the override is logged.
    #[serde(default)]
    pub override_credit_code_warning: bool,
}

#[utoipa::path(post, path = "/api/employers/{id}/verification", operation_id = "verify_employer", tag = "employers",
    params(("id" = String, Path)), request_body = VerifyRequest, security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已审核"), Session, BadRequest, NotFound, Unprocessable,
              (status = 409, description = "信用代码校验警告需确认，或已审核", body = crate::error::ErrorBody)))]
pub async fn verify_employer(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VerifyRequest>,
) -> ApiResult<StatusCode> {
    employers::verify_employer(
        &state.store,
        &s.actor,
        &id,
        VerifyEmployer {
            approve: b.approve,
            reason: b.reason,
            override_credit_code_warning: b.override_credit_code_warning,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An uploaded file (termination letter, signed scan, destination proof, licence, authorisation
/// letter, signature image), for everyone who may see the record it belongs to; 404 for anyone
/// else, so that an id reveals nothing.
#[utoipa::path(get, path = "/api/uploads/{id}", operation_id = "download_upload", tag = "documents",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, description = "文件（按其保存的类型）",
               content((String = "image/png"), (String = "image/jpeg"), (String = "application/pdf"))),
              Session, NotFound))]
pub async fn download_upload(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let not_found = || ApiError::from(wangqian_store::ServiceError::NotFound("文件"));
    let upload = wangqian_store::blobs::find_upload(&state.store, &id)
        .await
        .map_err(|e| ApiError::from(wangqian_store::ServiceError::from(e)))?
        .ok_or_else(not_found)?;
    // Decided by the record the file belongs to: whoever may see that record sees its files.
    let owner =
        wangqian_store::record_uploads::owner_of_upload(&state.store, &s.actor, &upload).await?;
    if !policy::download_upload(&s.actor, owner.as_ref()).is_allowed() {
        return Err(not_found());
    }
    let bytes = state
        .blobs
        .get(&upload.storage_key)
        .await
        .map_err(|e| ApiError::from(anyhow::Error::from(e)))?;
    // Only images and PDFs open in the tab; anything else is saved, never rendered as a page
    // of ours. nosniff stops a browser from guessing another type from the bytes.
    let inline = may_show_inline(&upload.content_type);
    Ok((
        [
            (
                CONTENT_DISPOSITION,
                content_disposition(inline, &upload.original_name),
            ),
            (CONTENT_TYPE, upload.content_type),
            (X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            // Certificates and signatures are personal: not for shared caches.
            (CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The manager removes a colleague: the account is disabled and its sessions end at once.
#[utoipa::path(post, path = "/api/employers/{id}/members/{account_id}/removal", operation_id = "remove_employer_member", tag = "employers",
    params(("id" = String, Path), ("account_id" = String, Path), super::IdempotencyHeader),
    security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已移除"), Session, BadRequest, NotFound,
              (status = 409, description = "管理员本人，或不是正常状态的成员，或 Idempotency-Key 已用于另一操作", body = crate::error::ErrorBody)))]
pub async fn remove_employer_member(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: super::Idem,
    Path((id, account_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    employers::remove_member(&state.store, &s.actor, &id, &account_id, idem.0.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferManagerRequest {
    /// The active member who becomes the manager; the current one becomes 经办人.
    pub account_id: String,
}

/// The manager hands the role over to another active member of the company.
#[utoipa::path(post, path = "/api/employers/{id}/manager", operation_id = "transfer_employer_manager", tag = "employers",
    params(("id" = String, Path), super::IdempotencyHeader), request_body = TransferManagerRequest,
    security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已移交"), Session, BadRequest, NotFound, Unprocessable,
              (status = 409, description = "管理员已变更，或 Idempotency-Key 已用于另一操作", body = crate::error::ErrorBody)))]
pub async fn transfer_employer_manager(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    idem: super::Idem,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TransferManagerRequest>,
) -> ApiResult<StatusCode> {
    employers::transfer_manager(&state.store, &s.actor, &id, &b.account_id, idem.0.as_ref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 基本资料: the manager's edits take effect at once (certification data are not part of it).
#[utoipa::path(put, path = "/api/employers/{id}/profile", operation_id = "update_employer_profile", tag = "employers",
    params(("id" = String, Path)), request_body = employers::UpdateEmployerProfile,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = employers::EmployerDetail), Session, BadRequest, NotFound, Unprocessable))]
pub async fn update_employer_profile(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<employers::UpdateEmployerProfile>,
) -> ApiResult<Json<employers::EmployerDetail>> {
    employers::update_profile(&state.store, &s.actor, &id, b).await?;
    Ok(Json(
        employers::get_employer(&state.store, &s.actor, &id).await?,
    ))
}

/// The multipart 认证信息 change: the new values, and optionally the new licence.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CertificationChangeForm {
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// 统一社会信用代码 (18 characters, check character verified)
    #[schema(nullable = false)]
    pub credit_code: Option<String>,
    #[schema(nullable = false)]
    pub unit_nature_code: Option<String>,
    /// 营业执照: JPG, PNG or PDF ≤ 5 MB.
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub licence: Option<Vec<u8>>,
}

/// Reads the change and its licence; shared with the page.
pub async fn certification_change(
    state: &AppState,
    actor: &wangqian_domain::role::Actor,
    employer_id: &str,
    mp: Multipart,
) -> ApiResult<employers::CertificationChangeRow> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let input = employers::RequestCertificationChange {
        name: form.text("name"),
        credit_code: form.text("credit_code"),
        unit_nature_code: form.text("unit_nature_code"),
    };
    let licence = certificate(&mut form, "licence", "营业执照")?;
    Ok(employers::request_certification_change(
        &state.store,
        state.blobs.as_ref(),
        actor,
        employer_id,
        input,
        licence,
    )
    .await?)
}

/// 认证信息 (name, credit code, nature, licence) go back to the platform's verification; the
/// company keeps signing under its verified data until the change is approved.
#[utoipa::path(post, path = "/api/employers/{id}/certification-changes", operation_id = "request_certification_change", tag = "employers",
    params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = CertificationChangeForm),
    security(("session" = [], "csrf" = [])),
    responses((status = 201, body = employers::CertificationChangeRow), Session, BadRequest, NotFound, TooLarge, Unprocessable,
              (status = 409, description = "已有待审核的修改", body = crate::error::ErrorBody)))]
pub async fn request_certification_change(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<(StatusCode, Json<employers::CertificationChangeRow>)> {
    let row = certification_change(&state, &s.actor, &id, mp).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationChangeDecision {
    pub approve: bool,
    /// Required when rejecting (≤ 200 characters).
    pub reason: Option<String>,
}

/// The platform approves (the verified data change at once) or rejects a 认证信息 change.
#[utoipa::path(post, path = "/api/employers/{id}/certification-changes/{change_id}/decision", operation_id = "decide_certification_change", tag = "employers",
    params(("id" = String, Path), ("change_id" = String, Path)), request_body = CertificationChangeDecision,
    security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已审核"), Session, BadRequest, NotFound, Unprocessable,
              (status = 409, description = "已处理，或信用代码已被占用", body = crate::error::ErrorBody)))]
pub async fn decide_certification_change(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path((id, change_id)): Path<(String, String)>,
    ApiJson(b): ApiJson<CertificationChangeDecision>,
) -> ApiResult<StatusCode> {
    employers::decide_certification_change(
        &state.store,
        &s.actor,
        &id,
        &change_id,
        b.approve,
        b.reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 招聘学校: the schools the company recruits at, each with that school's verification.
#[utoipa::path(get, path = "/api/employers/{id}/schools", operation_id = "list_my_schools", tag = "employers",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = super::Items<employers::MySchoolRow>), Session, NotFound))]
pub async fn list_my_schools(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<super::Items<employers::MySchoolRow>>> {
    let items = employers::list_my_schools(&state.store, &s.actor, &id).await?;
    Ok(Json(super::Items { items }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyToSchoolsRequest {
    /// The schools to recruit at (1–50, active schools only).
    pub school_ids: Vec<String>,
}

/// 申请招聘业务: the manager asks more schools to let the company recruit there. Each school's
/// answer says what happened: newly applied, applied again after a refusal, or already pending
/// or approved (then nothing changes). Unknown or disabled schools refuse the whole request.
#[utoipa::path(post, path = "/api/employers/{id}/schools", operation_id = "apply_to_schools", tag = "employers",
    params(("id" = String, Path)), request_body = ApplyToSchoolsRequest,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = super::Items<employers::SchoolApplicationResult>), Session, BadRequest, NotFound, Unprocessable,
              (status = 409, description = "同一申请正在处理中", body = crate::error::ErrorBody)))]
pub async fn apply_to_schools(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ApplyToSchoolsRequest>,
) -> ApiResult<Json<super::Items<employers::SchoolApplicationResult>>> {
    let items = employers::apply_to_schools(&state.store, &s.actor, &id, &b.school_ids).await?;
    Ok(Json(super::Items { items }))
}

/// The multipart logo upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EmployerLogoForm {
    /// 单位标志: JPG or PNG ≤ 2 MB (type judged from the bytes).
    #[schema(value_type = String, format = Binary)]
    pub logo: Vec<u8>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LogoUploaded {
    pub logo_upload_id: String,
}

/// Reads the logo part and stores it; shared with the profile page.
pub async fn employer_logo(
    state: &AppState,
    actor: &wangqian_domain::role::Actor,
    employer_id: &str,
    mp: Multipart,
) -> ApiResult<String> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let logo = crate::uploads::proof_image(&mut form, "logo", "单位标志")?.ok_or_else(|| {
        ApiError::from(wangqian_store::ServiceError::field(
            "logo",
            "请选择单位标志图片（JPG 或 PNG，不超过 2 MB）",
        ))
    })?;
    Ok(employers::set_logo(&state.store, state.blobs.as_ref(), actor, employer_id, logo).await?)
}

/// 单位标志 in 单位信息维护: the manager replaces the logo, at once.
#[utoipa::path(put, path = "/api/employers/{id}/logo", operation_id = "upload_employer_logo", tag = "employers",
    params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = EmployerLogoForm),
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = LogoUploaded), Session, BadRequest, NotFound, TooLarge, Unprocessable))]
pub async fn upload_employer_logo(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<Json<LogoUploaded>> {
    let logo_upload_id = employer_logo(&state, &s.actor, &id, mp).await?;
    Ok(Json(LogoUploaded { logo_upload_id }))
}

/// The logo, for whoever may see the company's profile (its members, the schools it recruits
/// at, the province); 404 for others and when there is none.
#[utoipa::path(get, path = "/api/employers/{id}/logo", operation_id = "get_employer_logo", tag = "employers",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, description = "单位标志图片",
               content((String = "image/png"), (String = "image/jpeg"))),
              Session, NotFound))]
pub async fn get_employer_logo(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let upload = employers::logo_of(&state.store, &s.actor, &id).await?;
    let bytes = state
        .blobs
        .get(&upload.storage_key)
        .await
        .map_err(|e| ApiError::from(anyhow::Error::from(e)))?;
    Ok((
        [
            (CONTENT_TYPE, upload.content_type),
            (X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            // Seen only by some accounts: kept out of shared caches.
            (CACHE_CONTROL, "private, no-cache".to_string()),
        ],
        bytes,
    )
        .into_response())
}
