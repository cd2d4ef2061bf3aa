//! The agreement document over HTTP: the sealed PDF, the termination proof form, the public QR
//! check, the evidence package, signature and seal images, school templates, print management
//! and self-service print codes.

use std::io::Write;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use wangqian_document::TemplateKind;
use wangqian_domain::document::TokenClaims;
use wangqian_domain::role::Actor;
use wangqian_store::documents::{
    self, Delivery, PrintFilter, PrintRow, SignatureImage, VerifyView, Want,
};
use wangqian_store::lifecycle::views;
use wangqian_store::{AgreementId, Millis};
use wangqian_store::{ServiceError, Store};

use super::{ApiJson, ApiMultipart};
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult};
use crate::headers::content_disposition;
use crate::openapi::{
    BadRequest, Conflict, NotFound, Public, Session, TooLarge, TooMany, Unprocessable,
};
use crate::uploads::read_form;
use crate::AppState;

/// Public checks per address and minute before 429.
pub const VERIFY_PER_MINUTE: i64 = 30;

fn pdf_response(bytes: Vec<u8>, file_name: &str, inline: bool) -> Response {
    (
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (CONTENT_DISPOSITION, content_disposition(inline, file_name)),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// Renders, seals and records one document of an agreement for `actor`.
pub(crate) async fn sealed_document(
    state: &AppState,
    actor: &Actor,
    agreement_id: &AgreementId,
    want: Want,
    delivery: Delivery,
) -> ApiResult<(crate::documents::SealedPdf, String)> {
    let job = documents::prepare(
        &state.store,
        state.blobs.as_ref(),
        actor,
        agreement_id,
        want,
    )
    .await?;
    let sealed = state
        .documents
        .render(&job, state.store.now().get() / 1000)
        .await?;
    documents::record_rendered(
        &state.store,
        &job,
        &sealed.content_hash,
        Some(&actor.account_id),
        delivery,
    )
    .await?;
    Ok((sealed, job.file_name))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PdfQuery {
    /// `1` to open in the browser (打印) instead of downloading (下载).
    pub inline: Option<String>,
}

/// The agreement as a sealed A4 PDF (three copies by default, the anti-counterfeit QR code on
/// every page, the platform's digital signature). Each download counts as a print. Refused with
/// the reason (409) before the agreement is effective; a paper agreement prints at 待反馈 to be
/// signed and stamped.
#[utoipa::path(get, path = "/api/agreements/{id}/pdf", operation_id = "download_agreement_pdf", tag = "documents",
    params(("id" = String, Path), PdfQuery), security(("session" = [])),
    responses((status = 200, description = "协议书 PDF", content_type = "application/pdf", body = [u8]),
              Session, BadRequest, NotFound,
              (status = 409, description = "当前状态不能打印", body = crate::error::ErrorBody),
              (status = 503, description = "服务器缺少中文字体或系统繁忙", body = crate::error::ErrorBody)))]
pub async fn download_agreement_pdf(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<AgreementId>,
    Query(q): Query<PdfQuery>,
) -> ApiResult<Response> {
    let (pdf, name) =
        sealed_document(&state, &s.actor, &id, Want::Agreement, Delivery::Download).await?;
    Ok(pdf_response(
        pdf.bytes,
        &name,
        q.inline.as_deref() == Some("1"),
    ))
}

/// The standard termination proof (解除协议证明) of a paper agreement, filled in with both
/// parties, for the employer to stamp (002 §2.4.1).
#[utoipa::path(get, path = "/api/agreements/{id}/termination-form", operation_id = "download_termination_form", tag = "documents",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, description = "解除协议证明 PDF", content_type = "application/pdf", body = [u8]),
              Session, NotFound, Conflict))]
pub async fn download_termination_form(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<AgreementId>,
) -> ApiResult<Response> {
    let (pdf, name) = sealed_document(
        &state,
        &s.actor,
        &id,
        Want::TerminationForm,
        Delivery::NotCounted,
    )
    .await?;
    Ok(pdf_response(pdf.bytes, &name, false))
}

// ---------------------------------------------------------------------------------------------
// The public check

/// Checks a QR token: its signature with the platform's key, then the record it names as it is
/// now. Rate-limited per address.
pub(crate) async fn check_token(
    state: &AppState,
    addr: &SocketAddr,
    token: &str,
) -> Result<VerifyView, ServiceError> {
    let key = format!("verify:{}", super::client_key(addr));
    if documents::note_public_request(&state.store, &key, 60_000, VERIFY_PER_MINUTE).await? {
        return Err(ServiceError::RateLimited);
    }
    let claims = state
        .documents
        .public()
        .open_token(token.trim())
        .ok()
        .and_then(|p| String::from_utf8(p).ok())
        .and_then(|p| TokenClaims::parse(&p));
    match claims {
        Some(c) => documents::verify_claims(&state.store, &c).await,
        None => Ok(VerifyView::forged()),
    }
}

/// The public check of an agreement's anti-counterfeit QR code (no login). A forged or altered
/// token, or one for a superseded version, says so.
#[utoipa::path(get, path = "/api/verify/{token}", operation_id = "verify_agreement", tag = "documents",
    params(("token" = String, Path, description = "二维码中的令牌")),
    responses((status = 200, body = VerifyView), Public, TooMany))]
pub async fn verify_agreement(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
) -> ApiResult<Json<VerifyView>> {
    Ok(Json(check_token(&state, &addr, &token).await?))
}

/// The platform seal's certificate (PEM), to check PDFs and evidence packages offline.
#[utoipa::path(get, path = "/api/platform-seal", operation_id = "get_platform_seal", tag = "documents",
    responses((status = 200, description = "PEM 证书", content_type = "application/x-pem-file", body = String), Public))]
pub async fn get_platform_seal(State(state): State<AppState>) -> Response {
    (
        [
            (CONTENT_TYPE, "application/x-pem-file".to_string()),
            (
                CONTENT_DISPOSITION,
                content_disposition(false, "platform-seal.pem"),
            ),
        ],
        state.documents.public().cert_pem(),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// The evidence package

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

const EVIDENCE_README: &str = include_str!("evidence_readme.txt");

/// Builds the evidence package of one agreement.
pub(crate) async fn evidence_package(
    state: &AppState,
    actor: &Actor,
    id: &AgreementId,
) -> ApiResult<(Vec<u8>, String)> {
    let detail = views::get_agreement(&state.store, actor, id).await?;
    let trail = views::get_agreement_trail(&state.store, actor, id).await?;
    let (pdf, _) = sealed_document(state, actor, id, Want::Evidence, Delivery::NotCounted).await?;
    let uploads = evidence_uploads(&state.store, &detail).await?;
    let stem = detail
        .number
        .clone()
        .unwrap_or_else(|| detail.id.to_string());
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push(("agreement.pdf".into(), pdf.bytes));
    let trail_json = serde_json::json!({
        "record_id": trail.record_id,
        "intact_when_exported": trail.intact,
        "problem": trail.problem,
        "chain": "每条记录的 hash = HMAC-SHA256(平台密钥, prev_hash 与本条内容)；prev_hash 等于上一条的 hash，第一条的 prev_hash 为空串链起点。",
        "events": trail.events,
    });
    files.push((
        "trail.json".into(),
        serde_json::to_vec_pretty(&trail_json).map_err(anyhow::Error::from)?,
    ));
    for v in &detail.versions {
        let body = serde_json::json!({
            "version_no": v.version_no,
            "status": v.status,
            "proposed_at": v.proposed_at,
            "decided_at": v.decided_at,
            "terms": v.terms,
        });
        files.push((
            format!("terms/v{}.json", v.version_no),
            serde_json::to_vec_pretty(&body).map_err(anyhow::Error::from)?,
        ));
    }
    files.push((
        "uploads.json".into(),
        serde_json::to_vec_pretty(&uploads).map_err(anyhow::Error::from)?,
    ));
    let verify = serde_json::json!({
        "agreement_number": detail.number,
        "terms_version": detail.terms_version,
        "content_hash": pdf.content_hash,
        "qr_token": pdf.token,
        "verify_url": pdf.verify_url,
        "state_when_exported": detail.state_label,
    });
    files.push((
        "verification.json".into(),
        serde_json::to_vec_pretty(&verify).map_err(anyhow::Error::from)?,
    ));
    files.push((
        "platform-seal.pem".into(),
        state.documents.public().cert_pem().into_bytes(),
    ));
    files.push((
        "platform-seal-public-key.pem".into(),
        state.documents.public().public_key_pem().into_bytes(),
    ));
    let sums: String = files
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes)))
        .collect();
    let sums_sig = state.documents.seal().sign_der(sums.as_bytes());
    files.push(("SHA256SUMS".into(), sums.into_bytes()));
    files.push(("SHA256SUMS.sig".into(), sums_sig));
    files.push(("README.txt".into(), EVIDENCE_README.as_bytes().to_vec()));

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in &files {
        zip.start_file(format!("{stem}/{name}"), options)
            .map_err(anyhow::Error::from)?;
        zip.write_all(bytes).map_err(anyhow::Error::from)?;
    }
    let bytes = zip.finish().map_err(anyhow::Error::from)?.into_inner();
    Ok((bytes, format!("evidence-{stem}.zip")))
}

/// The hashes of the files the record refers to (the files themselves stay in the system).
async fn evidence_uploads(
    store: &Store,
    detail: &views::AgreementDetail,
) -> ApiResult<Vec<serde_json::Value>> {
    let mut ids: Vec<(&str, String)> = Vec::new();
    if let Some(p) = &detail.termination_proof_id {
        ids.push(("termination_proof", p.to_string()));
    }
    if let Some(p) = &detail.signed_scan_id {
        ids.push(("signed_agreement", p.to_string()));
    }
    Ok(documents::upload_hashes(store, &ids).await?)
}

/// The evidence package (ZIP): the sealed PDF, the flow trail with its hash chain, every terms
/// version, the uploaded files' hashes, the platform certificate, SHA256SUMS signed by the
/// platform and a README.txt in Chinese on checking each part offline. For the school and the
/// two parties of the agreement.
#[utoipa::path(get, path = "/api/agreements/{id}/evidence", operation_id = "download_evidence_package", tag = "documents",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, description = "证据包 ZIP", content_type = "application/zip", body = [u8]),
              Session, NotFound, Conflict))]
pub async fn download_evidence_package(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<AgreementId>,
) -> ApiResult<Response> {
    let (bytes, name) = evidence_package(&state, &s.actor, &id).await?;
    Ok((
        [
            (CONTENT_TYPE, "application/zip".to_string()),
            (CONTENT_DISPOSITION, content_disposition(false, &name)),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// Signature and seal images

/// Largest signature or seal image.
pub const MAX_SIGNATURE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignatureImageSaved {
    /// graduate_signature / employer_signature / employer_seal
    pub kind: String,
    pub upload_id: String,
}

/// Reads the image of a signature form: a file `image`, or a drawing `drawn` sent by the page's
/// canvas as a `data:image/png;base64,…` URL. Judged by its bytes.
pub(crate) fn signature_from_form(
    form: &mut crate::uploads::Form,
) -> Result<wangqian_store::employers::UploadedFile, ApiError> {
    let (name, bytes) = match form.files.remove("image") {
        Some(f) => f,
        None => {
            let drawn = form.text("drawn");
            let b64 = drawn
                .trim()
                .strip_prefix("data:image/png;base64,")
                .ok_or_else(|| {
                    ApiError::bad_request("请上传签名图片或在签名板上签名")
                        .with_field("image", "必填")
                })?;
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| {
                    ApiError::bad_request("签名图片无法读取")
                        .with_field("image", "签名图片无法读取")
                })?;
            ("drawn.png".to_string(), bytes)
        }
    };
    if bytes.len() > MAX_SIGNATURE_BYTES {
        return Err(ApiError::payload_too_large(1).with_field("image", "图片不能超过 1 MB"));
    }
    let content_type = match infer::get(&bytes).map(|k| k.mime_type()) {
        Some(m @ ("image/png" | "image/jpeg")) => m.to_string(),
        _ => {
            return Err(
                ApiError::bad_request("签名或印章须为 PNG 或 JPG 图片（按文件内容判断）")
                    .with_field("image", "文件类型不正确"),
            )
        }
    };
    Ok(wangqian_store::employers::UploadedFile {
        content_type,
        original_name: name.chars().take(200).collect(),
        bytes,
    })
}

/// The multipart signature form: a file `image` or a drawing `drawn`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SignatureForm {
    /// graduate_signature / employer_signature / employer_seal
    #[schema(value_type = crate::openapi::SignatureKindCode, inline)]
    pub kind: String,
    /// PNG or JPG ≤ 1 MB.
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub image: Option<Vec<u8>>,
    /// Instead of `image`: a `data:image/png;base64,…` URL from the signature pad.
    #[schema(nullable = false)]
    pub drawn: Option<String>,
}

/// Keeps the account's signature image: a graduate's handwritten signature
/// (`kind=graduate_signature`), or an employer's signature (`employer_signature`) and company
/// seal (`employer_seal`). Multipart: `kind`, file `image` (PNG/JPG ≤ 1 MB) or `drawn` (a PNG
/// data URL from the signature pad). Every agreement rendered afterwards carries the new image.
#[utoipa::path(post, path = "/api/signature-images", operation_id = "upload_signature_image", tag = "documents",
    request_body(content_type = "multipart/form-data", content = SignatureForm),
    security(("session" = [], "csrf" = [])),
    responses((status = 201, body = SignatureImageSaved), Session, BadRequest, TooLarge, Unprocessable))]
pub async fn upload_signature_image(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<(StatusCode, Json<SignatureImageSaved>)> {
    let saved = signature_image_from_form(&state, &s.actor, mp).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

pub(crate) async fn signature_image_from_form(
    state: &AppState,
    actor: &Actor,
    mp: Multipart,
) -> ApiResult<SignatureImageSaved> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let which = SignatureImage::parse(&form.text("kind")).ok_or_else(|| {
        ApiError::from(ServiceError::field(
            "kind",
            "kind 应为 graduate_signature、employer_signature 或 employer_seal",
        ))
    })?;
    let file = signature_from_form(&mut form)?;
    let id = documents::set_signature_image(&state.store, state.blobs.as_ref(), actor, which, file)
        .await?;
    Ok(SignatureImageSaved {
        kind: which.as_str().to_string(),
        upload_id: id,
    })
}

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateSaved {
    /// The school's id, or `province`.
    pub scope: String,
    pub graduation_year: i64,
    /// online / paper / termination
    pub kind: String,
    pub sha256: String,
    /// Bytes of the sample agreement the template rendered before it was accepted.
    pub sample_pdf_bytes: usize,
}

/// Largest template source.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;

/// Checks and stores an uploaded template; the engine's message comes back on failure.
pub(crate) async fn template_from_form(
    state: &AppState,
    actor: &Actor,
    form: &mut crate::uploads::Form,
) -> ApiResult<TemplateSaved> {
    documents::may_manage_templates(actor)?;
    let kind = TemplateKind::parse(&form.text("kind")).ok_or_else(|| {
        ApiError::from(ServiceError::field(
            "kind",
            "模板类型应为 online（网上签约）、paper（纸质协议）或 termination（解除协议证明）",
        ))
    })?;
    let year: i64 = form.text("graduation_year").trim().parse().map_err(|_| {
        ApiError::from(ServiceError::field(
            "graduation_year",
            "请填写毕业年度，如 2027",
        ))
    })?;
    let (_, bytes) = form.files.remove("template").ok_or_else(|| {
        ApiError::bad_request("请选择模板文件（.typ）").with_field("template", "必填")
    })?;
    if bytes.len() > MAX_TEMPLATE_BYTES {
        return Err(ApiError::payload_too_large(1).with_field("template", "模板不能超过 256 KB"));
    }
    let source = String::from_utf8(bytes).map_err(|_| {
        ApiError::bad_request("模板须为 UTF-8 编码的文本文件").with_field("template", "编码不正确")
    })?;
    // Accepted only once it renders the sample agreement.
    let sample = state
        .documents
        .render_raw(
            source.clone(),
            wangqian_document::sample_data(kind),
            wangqian_document::Images::default(),
        )
        .await
        .map_err(|e| match e {
            ServiceError::BadRequest(m) => ServiceError::field("template", m),
            other => other,
        })?;
    let row = documents::put_template(&state.store, actor, year, kind, &source).await?;
    Ok(TemplateSaved {
        scope: row.scope,
        graduation_year: row.graduation_year,
        kind: row.kind,
        sha256: row.sha256,
        sample_pdf_bytes: sample.len(),
    })
}

/// The multipart template upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TemplateForm {
    /// online / paper / termination
    #[schema(value_type = crate::openapi::TemplateKindCode, inline)]
    pub kind: String,
    pub graduation_year: i64,
    /// typst markup reading `json("/data.json")`, ≤ 256 KB.
    #[schema(value_type = String, format = Binary)]
    pub template: Vec<u8>,
}

/// Uploads the school's own agreement template for a cohort (a school administrator), or the
/// province's for all its schools (the provincial administrator). Multipart: `kind` (online /
/// paper / termination), `graduation_year`, file `template` (typst markup reading
/// `json("/data.json")`, ≤ 256 KB). Accepted only after it renders a sample agreement; the
/// engine's error comes back (422) otherwise.
#[utoipa::path(post, path = "/api/agreement-templates", operation_id = "upload_agreement_template", tag = "documents",
    request_body(content_type = "multipart/form-data", content = TemplateForm),
    security(("session" = [], "csrf" = [])),
    responses((status = 201, body = TemplateSaved), Session, BadRequest, TooLarge,
              (status = 422, description = "模板无法生成示例协议书（引擎的错误信息）", body = crate::error::ErrorBody)))]
pub async fn upload_agreement_template(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<(StatusCode, Json<TemplateSaved>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            template_from_form(
                &state,
                &s.actor,
                &mut read_form(mp, state.config.max_upload_mib).await?,
            )
            .await?,
        ),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DefaultTemplateQuery {
    /// online / paper / termination
    #[param(value_type = crate::openapi::TemplateKindCode, inline)]
    pub kind: String,
}

/// The built-in template's source, to start a school's own from.
#[utoipa::path(get, path = "/api/agreement-templates/default", operation_id = "download_default_template", tag = "documents",
    params(DefaultTemplateQuery),
    responses((status = 200, description = "typst 模板", content_type = "text/plain", body = String),
              Public, BadRequest, Unprocessable))]
pub async fn download_default_template(
    Query(q): Query<DefaultTemplateQuery>,
) -> ApiResult<Response> {
    let kind = TemplateKind::parse(&q.kind).ok_or_else(|| {
        ApiError::from(ServiceError::field(
            "kind",
            "模板类型应为 online、paper 或 termination",
        ))
    })?;
    Ok((
        [
            (CONTENT_TYPE, "text/plain; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                content_disposition(false, &format!("{}.typ", kind.as_str())),
            ),
        ],
        kind.default_source(),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// Print management

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrintQuery {
    /// A state code, e.g. `effective`.
    #[param(value_type = Option<crate::openapi::AgreementStateCode>, inline)]
    pub state: Option<String>,
    pub graduation_year: Option<i64>,
    pub department_id: Option<String>,
    /// Graduate name, student number, employer name or agreement number.
    pub keyword: Option<String>,
    /// `true`: only agreements never printed.
    pub unprinted: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PageMeta {
    /// Counted up to 10,000; `total_capped` means there are more ("10000+").
    pub total: i64,
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
    pub pages: i64,
    /// Pass back as `?after=` for the next page (keyset paging); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrintRecordPage {
    pub items: Vec<PrintRow>,
    pub meta: PageMeta,
}

pub(crate) fn print_filter(q: PrintQuery) -> PrintFilter {
    PrintFilter {
        state: q.state,
        graduation_year: q.graduation_year,
        department_id: q.department_id,
        keyword: q.keyword,
        unprinted: q.unprinted.unwrap_or(false),
        page: q.page,
        per_page: q.per_page,
    }
}

/// The school's print management list (打印管理): numbered agreements with their print count
/// and last print time, filtered and paged like the agreement list.
#[utoipa::path(get, path = "/api/print-records", operation_id = "list_print_records", tag = "documents",
    params(PrintQuery), security(("session" = [])),
    responses((status = 200, body = PrintRecordPage), Session, BadRequest, Unprocessable))]
pub async fn list_print_records(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Query(q): Query<PrintQuery>,
) -> ApiResult<Json<PrintRecordPage>> {
    let page = documents::list_print_records(&state.store, &s.actor, &print_filter(q)).await?;
    let pages = page.pages();
    Ok(Json(PrintRecordPage {
        meta: PageMeta {
            total: page.total,
            total_capped: page.total_capped,
            page: page.page,
            per_page: page.per_page,
            pages,
            next: page.next,
        },
        items: page.items,
    }))
}

// ---------------------------------------------------------------------------------------------
// Self-service printing

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrintCodeCreated {
    /// Shown on the PC; the graduate types or scans it on the phone.
    pub code: String,
    /// Kept by the PC: it fetches the PDF with it once the graduate confirms.
    pub secret: String,
    /// Unix milliseconds (5 minutes from now).
    pub expires_at: Millis,
    /// The page the phone opens (the QR on the PC encodes it).
    pub confirm_url: String,
}

/// Codes a single address may ask for in ten minutes.
const PRINT_CODES_PER_TEN_MINUTES: i64 = 20;

/// A PC asks for a one-time print code (no login). Valid 5 minutes, works once.
#[utoipa::path(post, path = "/api/print-codes", operation_id = "create_print_code", tag = "documents",
    responses((status = 201, body = PrintCodeCreated), Public, TooMany))]
pub async fn create_print_code(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
) -> ApiResult<(StatusCode, Json<PrintCodeCreated>)> {
    Ok((
        StatusCode::CREATED,
        Json(new_print_code(&state, &addr).await?),
    ))
}

pub(crate) async fn new_print_code(
    state: &AppState,
    addr: &SocketAddr,
) -> Result<PrintCodeCreated, ServiceError> {
    let key = format!("print-code:{}", super::client_key(addr));
    if documents::note_public_request(&state.store, &key, 600_000, PRINT_CODES_PER_TEN_MINUTES)
        .await?
    {
        return Err(ServiceError::RateLimited);
    }
    let c = documents::create_print_code(&state.store).await?;
    Ok(PrintCodeCreated {
        confirm_url: format!(
            "{}/print/confirm?code={}",
            state.documents.public_url(),
            c.code
        ),
        code: c.code,
        secret: c.secret,
        expires_at: c.expires_at,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPrintCode {
    /// The code shown on the PC.
    pub code: String,
    /// Which of the graduate's agreements to print.
    pub agreement_id: AgreementId,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrintCodeConfirmed {
    pub code: String,
    pub agreement_id: AgreementId,
}

/// The graduate, logged in on the phone, confirms a code for one of their printable agreements;
/// the PC then receives the PDF. A used, expired or already confirmed code is refused (409).
#[utoipa::path(post, path = "/api/print-codes/confirm", operation_id = "confirm_print_code", tag = "documents",
    request_body = ConfirmPrintCode, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = PrintCodeConfirmed), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn confirm_print_code(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiJson(input): ApiJson<ConfirmPrintCode>,
) -> ApiResult<Json<PrintCodeConfirmed>> {
    documents::confirm_print_code(&state.store, &s.actor, &input.code, &input.agreement_id).await?;
    Ok(Json(PrintCodeConfirmed {
        code: input.code.trim().to_ascii_uppercase(),
        agreement_id: input.agreement_id,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SecretQuery {
    /// The secret `create_print_code` gave the PC.
    pub secret: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrintCodeState {
    /// waiting / confirmed / used / expired
    pub status: String,
    pub code: String,
    pub expires_at: Millis,
}

/// The PC polls its code: waiting, confirmed (fetch the PDF now), used or expired.
#[utoipa::path(get, path = "/api/print-codes/status", operation_id = "get_print_code_status", tag = "documents",
    params(SecretQuery),
    responses((status = 200, body = PrintCodeState), Public, BadRequest, NotFound))]
pub async fn get_print_code_status(
    State(state): State<AppState>,
    Query(q): Query<SecretQuery>,
) -> ApiResult<Json<PrintCodeState>> {
    let s = documents::print_code_status(&state.store, &q.secret).await?;
    Ok(Json(PrintCodeState {
        status: s.status.to_string(),
        code: s.code,
        expires_at: s.expires_at,
    }))
}

/// The PC fetches the PDF the graduate confirmed; works once, counts as a print.
pub(crate) async fn print_code_pdf(state: &AppState, secret: &str) -> ApiResult<Response> {
    let (actor, agreement_id) = documents::claim_print_code(&state.store, secret).await?;
    let (pdf, name) = sealed_document(
        state,
        &actor,
        &agreement_id,
        Want::Agreement,
        Delivery::SelfService,
    )
    .await?;
    Ok(pdf_response(pdf.bytes, &name, true))
}

/// The PDF of a confirmed print code, once.
#[utoipa::path(get, path = "/api/print-codes/pdf", operation_id = "fetch_print_code_pdf", tag = "documents",
    params(SecretQuery),
    responses((status = 200, description = "协议书 PDF", content_type = "application/pdf", body = [u8]),
              Public, BadRequest, NotFound,
              (status = 409, description = "未确认、已使用或已过期", body = crate::error::ErrorBody)))]
pub async fn fetch_print_code_pdf(
    State(state): State<AppState>,
    Query(q): Query<SecretQuery>,
) -> ApiResult<Response> {
    print_code_pdf(&state, &q.secret).await
}
