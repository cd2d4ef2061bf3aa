//! The JSON API. Every operation has a snake_case operationId in SPEC's English words and is
//! listed in the OpenAPI document served at `/api/openapi.json`.

mod accounts;
mod documents;
mod employers;
mod lifecycle;
mod province;
mod record_corrections;
mod roster;
mod roster_review;
mod school;
mod signing_defaults;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::delete;
use axum::{Json, Router};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::openapi::Public;
use crate::AppState;

pub use accounts::*;
pub use documents::*;
pub use employers::*;
pub use lifecycle::*;
pub use province::*;
pub use record_corrections::*;
pub use roster::*;
pub use roster_review::*;
pub use school::*;
pub use signing_defaults::*;

/// Every API route with its documentation: a handler is routed only through `routes!`, which
/// takes its path and method from its `#[utoipa::path]`, so no route goes undocumented.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::frame())
        .routes(routes!(healthz))
        .routes(routes!(get_openapi_document))
        .routes(routes!(accounts::login, accounts::logout))
        .routes(routes!(accounts::get_current_account))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::release_own_binding))
        .routes(routes!(
            accounts::get_graduate_contact,
            accounts::confirm_graduate_contact
        ))
        .routes(routes!(accounts::search_schools))
        .routes(routes!(accounts::list_departments))
        .routes(routes!(accounts::bind_graduate))
        .routes(routes!(school::list_graduates))
        .routes(routes!(school::get_graduate))
        .routes(routes!(school::unbind_graduate))
        .routes(routes!(roster_review::review_roster_records))
        .routes(routes!(record_corrections::confirm_source_record))
        .routes(routes!(
            record_corrections::list_record_corrections,
            record_corrections::request_record_correction
        ))
        .routes(routes!(record_corrections::get_record_correction))
        .routes(routes!(record_corrections::review_record_correction))
        .routes(routes!(roster::import_roster))
        .routes(routes!(roster::get_roster_import))
        .routes(routes!(roster::download_roster_template))
        .routes(routes!(school::list_staff))
        .routes(routes!(school::create_reviewer))
        .routes(routes!(school::set_reviewer_active))
        .routes(routes!(
            school::get_signing_settings,
            school::update_signing_settings
        ))
        .routes(routes!(school::list_code_tables))
        .routes(routes!(province::list_schools, province::create_school))
        .routes(routes!(province::get_school, province::update_school))
        .routes(routes!(
            province::list_school_admins,
            province::create_school_admin
        ))
        .routes(routes!(province::set_school_admin_active))
        .routes(routes!(province::list_org_units, province::create_org_unit))
        .routes(routes!(province::rename_org_unit))
        .routes(routes!(province::set_unit_signing))
        .routes(routes!(employers::register_employer))
        .routes(routes!(employers::join_employer))
        .routes(routes!(employers::get_employer))
        .routes(routes!(employers::list_employer_members))
        .routes(routes!(employers::decide_employer_member))
        .routes(routes!(employers::verify_employer))
        .routes(routes!(employers::list_employer_verifications))
        .routes(routes!(employers::download_upload))
        .routes(routes!(lifecycle::find_graduates))
        .routes(routes!(lifecycle::list_send_list))
        .routes(routes!(lifecycle::import_send_list))
        .routes(routes!(lifecycle::download_send_list_template))
        .routes(routes!(lifecycle::remove_from_send_list))
        .routes(routes!(lifecycle::send_invitations))
        .routes(routes!(lifecycle::preview_invitation))
        .routes(routes!(lifecycle::list_agreements))
        .routes(routes!(lifecycle::get_agreement))
        .routes(routes!(lifecycle::get_agreement_trail))
        .routes(routes!(
            lifecycle::get_attestation,
            lifecycle::update_attestation_fields
        ))
        .routes(routes!(lifecycle::withdraw_invitation))
        .routes(routes!(lifecycle::edit_invitation))
        .routes(routes!(lifecycle::resend_invitation))
        .routes(routes!(lifecycle::accept_invitation))
        .routes(routes!(lifecycle::reject_invitation))
        .routes(routes!(lifecycle::cancel_signing))
        .routes(routes!(lifecycle::review_agreement))
        .routes(routes!(lifecycle::revoke_review))
        .routes(routes!(lifecycle::propose_amendment))
        .routes(routes!(lifecycle::confirm_amendment))
        .routes(routes!(lifecycle::withdraw_amendment))
        .routes(routes!(lifecycle::request_termination))
        .routes(routes!(lifecycle::answer_termination))
        .routes(routes!(lifecycle::cancel_termination))
        .routes(routes!(lifecycle::review_termination))
        .routes(routes!(lifecycle::force_terminate))
        .routes(routes!(lifecycle::submit_paper_agreement))
        .routes(routes!(lifecycle::upload_signed_agreement))
        .routes(routes!(lifecycle::create_paper_agreement))
        .routes(routes!(lifecycle::update_paper_agreement))
        .routes(routes!(lifecycle::todo_counts))
        .routes(routes!(lifecycle::list_messages))
        .routes(routes!(lifecycle::mark_message_read))
        .routes(routes!(
            lifecycle::list_destinations,
            lifecycle::register_destination
        ))
        .routes(routes!(lifecycle::get_destination))
        .routes(routes!(lifecycle::withdraw_destination))
        .routes(routes!(lifecycle::review_destination))
        .routes(routes!(lifecycle::unlock_destination))
        .routes(routes!(lifecycle::request_destination_release))
        .routes(routes!(
            lifecycle::get_destination_draft,
            lifecycle::save_destination_draft,
            lifecycle::delete_destination_draft
        ))
        .routes(routes!(documents::download_agreement_pdf))
        .routes(routes!(documents::download_termination_form))
        .routes(routes!(documents::download_evidence_package))
        .routes(routes!(documents::verify_agreement))
        .routes(routes!(documents::get_platform_seal))
        .routes(routes!(documents::upload_signature_image))
        .routes(routes!(documents::upload_agreement_template))
        .routes(routes!(documents::download_default_template))
        .routes(routes!(documents::list_print_records))
        .routes(routes!(documents::create_print_code))
        .routes(routes!(documents::confirm_print_code))
        .routes(routes!(documents::get_print_code_status))
        .routes(routes!(documents::fetch_print_code_pdf))
        .routes(routes!(accounts::reset_account_password))
        .routes(routes!(school::set_signing_lock))
        .routes(routes!(
            signing_defaults::get_signing_defaults,
            signing_defaults::update_signing_defaults
        ))
        .routes(routes!(employers::remove_employer_member))
        .routes(routes!(employers::transfer_employer_manager))
        .routes(routes!(employers::update_employer_profile))
        .routes(routes!(employers::request_certification_change))
        .routes(routes!(employers::decide_certification_change))
        .routes(routes!(
            employers::list_my_schools,
            employers::apply_to_schools
        ))
        .routes(routes!(
            employers::upload_employer_logo,
            employers::get_employer_logo
        ))
}

/// The OpenAPI document, built once from [`router`].
pub fn openapi_document() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| router().into_openapi())
}

/// The documented routes, plus the envelope for unknown `/api` paths and for axum's own
/// rejections (a query or path parameter that does not parse, a method not allowed).
pub fn routes() -> Router<AppState> {
    let (documented, _) = router().split_for_parts();
    documented
        .route(
            "/api/{*rest}",
            delete(not_found)
                .get(not_found)
                .post(not_found)
                .put(not_found),
        )
        .layer(axum::middleware::from_fn(crate::error::json_rejections))
}

async fn not_found() -> crate::error::ApiError {
    crate::error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "接口不存在")
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", operation_id = "get_openapi_document", tag = "system",
    responses((status = 200, description = "OpenAPI 3.1 文档", body = Object), Public))]
pub async fn get_openapi_document() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(openapi_document())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `database unavailable`.
    pub status: &'static str,
}

/// 200 when the database answers.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "system",
    responses((status = 200, description = "数据库可用", body = Health),
              (status = 503, description = "数据库不可用", body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.store.ping().await {
        (StatusCode::OK, Json(Health { status: "ok" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "database unavailable",
            }),
        )
    }
}

/// One page of a list: `{"items": [...], "meta": {total, page, per_page, pages}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub meta: PageMeta,
}

impl<T> From<wangqian_store::Page<T>> for ListPage<T> {
    fn from(p: wangqian_store::Page<T>) -> Self {
        let pages = p.pages();
        ListPage {
            meta: PageMeta {
                total: p.total,
                total_capped: p.total_capped,
                page: p.page,
                per_page: p.per_page,
                pages,
                next: p.next,
            },
            items: p.items,
        }
    }
}

/// A short list answered whole: `{"items": [...]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// The optional `Idempotency-Key` header of state-changing lifecycle operations.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// A retry with the same key answers the first result and changes nothing more.
    #[param(
        rename = "Idempotency-Key",
        pattern = r"^[A-Za-z0-9_:.\-]{1,100}$",
        nullable = false
    )]
    pub idempotency_key: Option<String>,
}

/// `Json<T>` whose rejections (bad syntax, unknown fields, wrong types) use the API envelope.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = crate::error::ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match <Json<T> as axum::extract::FromRequest<S>>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(accounts::json_rejection(e)),
        }
    }
}

/// `Multipart` whose rejections (no multipart `Content-Type`, no or a bad boundary) use the API
/// envelope instead of axum's plain text. Errors inside the body are mapped by
/// [`crate::uploads::read_form`].
pub struct ApiMultipart(pub axum::extract::Multipart);

impl axum::extract::FromRequest<AppState> for ApiMultipart {
    type Rejection = crate::error::ApiError;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Multipart::from_request(req, state).await {
            Ok(mp) => Ok(ApiMultipart(mp)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(
                crate::error::ApiError::payload_too_large(state.config.max_upload_mib),
            ),
            Err(e) => Err(crate::error::ApiError::bad_request(format!(
                "请求须为带 boundary 的 multipart/form-data 表单上传（{}）",
                e.body_text()
            ))),
        }
    }
}
