//! The JSON API. Every operation has a snake_case operationId in SPEC's English words and is
//! listed in the OpenAPI document served at `/api/openapi.json`.

mod accounts;
mod documents;
mod employers;
mod lifecycle;
mod roster;
mod school;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};

use crate::AppState;

pub use accounts::*;
pub use documents::*;
pub use employers::*;
pub use lifecycle::*;
pub use roster::*;
pub use school::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(crate::openapi::serve))
        .route(
            "/api/session",
            post(accounts::login).delete(accounts::logout),
        )
        .route("/api/me", get(accounts::get_current_account))
        .route("/api/me/password", post(accounts::change_password))
        .route("/api/schools", get(accounts::search_schools))
        .route(
            "/api/schools/{school_id}/departments",
            get(accounts::list_departments),
        )
        .route("/api/graduates/bind", post(accounts::bind_graduate))
        .route("/api/graduates", get(school::list_graduates))
        .route("/api/graduates/{id}", get(school::get_graduate))
        .route("/api/graduates/{id}/unbind", post(school::unbind_graduate))
        .route("/api/roster-imports", post(roster::import_roster))
        .route("/api/roster-imports/{id}", get(roster::get_roster_import))
        .route(
            "/api/roster-template",
            get(roster::download_roster_template),
        )
        .route("/api/staff", get(school::list_staff))
        .route("/api/staff/reviewers", post(school::create_reviewer))
        .route(
            "/api/staff/reviewers/{id}/active",
            put(school::set_reviewer_active),
        )
        .route(
            "/api/settings/{year}",
            get(school::get_signing_settings).put(school::update_signing_settings),
        )
        .route("/api/code-tables", get(school::list_code_tables))
        .route("/api/employers", post(employers::register_employer))
        .route("/api/employers/join", post(employers::join_employer))
        .route("/api/employers/{id}", get(employers::get_employer))
        .route(
            "/api/employers/{id}/members",
            get(employers::list_employer_members),
        )
        .route(
            "/api/employers/{id}/members/{account_id}/decision",
            post(employers::decide_employer_member),
        )
        .route(
            "/api/employers/{id}/verification",
            post(employers::verify_employer),
        )
        .route(
            "/api/employer-verifications",
            get(employers::list_employer_verifications),
        )
        .route("/api/uploads/{id}", get(employers::download_upload))
        .route("/api/graduate-search", post(lifecycle::find_graduates))
        .route("/api/send-list", get(lifecycle::list_send_list))
        .route("/api/send-list/import", post(lifecycle::import_send_list))
        .route(
            "/api/send-list/template",
            get(lifecycle::download_send_list_template),
        )
        .route(
            "/api/send-list/{graduate_id}",
            delete(lifecycle::remove_from_send_list),
        )
        .route("/api/invitations", post(lifecycle::send_invitations))
        .route("/api/agreements", get(lifecycle::list_agreements))
        .route("/api/agreements/{id}", get(lifecycle::get_agreement))
        .route(
            "/api/agreements/{id}/trail",
            get(lifecycle::get_agreement_trail),
        )
        .route(
            "/api/agreements/{id}/withdraw",
            post(lifecycle::withdraw_invitation),
        )
        .route(
            "/api/agreements/{id}/invitation",
            post(lifecycle::edit_invitation),
        )
        .route(
            "/api/agreements/{id}/resend",
            post(lifecycle::resend_invitation),
        )
        .route(
            "/api/agreements/{id}/accept",
            post(lifecycle::accept_invitation),
        )
        .route(
            "/api/agreements/{id}/reject",
            post(lifecycle::reject_invitation),
        )
        .route(
            "/api/agreements/{id}/cancel",
            post(lifecycle::cancel_signing),
        )
        .route(
            "/api/agreements/{id}/review",
            post(lifecycle::review_agreement),
        )
        .route(
            "/api/agreements/{id}/revoke-review",
            post(lifecycle::revoke_review),
        )
        .route(
            "/api/agreements/{id}/amendments",
            post(lifecycle::propose_amendment),
        )
        .route(
            "/api/agreements/{id}/amendments/answer",
            post(lifecycle::confirm_amendment),
        )
        .route(
            "/api/agreements/{id}/amendments/withdraw",
            post(lifecycle::withdraw_amendment),
        )
        .route(
            "/api/agreements/{id}/termination",
            post(lifecycle::request_termination),
        )
        .route(
            "/api/agreements/{id}/termination/answer",
            post(lifecycle::answer_termination),
        )
        .route(
            "/api/agreements/{id}/termination/cancel",
            post(lifecycle::cancel_termination),
        )
        .route(
            "/api/agreements/{id}/termination/review",
            post(lifecycle::review_termination),
        )
        .route(
            "/api/agreements/{id}/force-termination",
            post(lifecycle::force_terminate),
        )
        .route(
            "/api/agreements/{id}/submit",
            post(lifecycle::submit_paper_agreement),
        )
        .route(
            "/api/agreements/{id}/signed-scan",
            post(lifecycle::upload_signed_agreement),
        )
        .route(
            "/api/paper-agreements",
            post(lifecycle::create_paper_agreement),
        )
        .route(
            "/api/paper-agreements/{id}",
            put(lifecycle::update_paper_agreement),
        )
        .route("/api/todo-counts", get(lifecycle::todo_counts))
        .route("/api/messages", get(lifecycle::list_messages))
        .route(
            "/api/messages/{id}/read",
            post(lifecycle::mark_message_read),
        )
        .route(
            "/api/destinations",
            get(lifecycle::list_destinations).post(lifecycle::register_destination),
        )
        .route("/api/destinations/{id}", get(lifecycle::get_destination))
        .route(
            "/api/destinations/{id}/withdraw",
            post(lifecycle::withdraw_destination),
        )
        .route(
            "/api/destinations/{id}/review",
            post(lifecycle::review_destination),
        )
        .route(
            "/api/destinations/{id}/release",
            post(lifecycle::request_destination_release),
        )
        .route(
            "/api/destinations/{id}/unlock",
            post(lifecycle::unlock_destination),
        )
        .route(
            "/api/agreements/{id}/pdf",
            get(documents::download_agreement_pdf),
        )
        .route(
            "/api/agreements/{id}/termination-form",
            get(documents::download_termination_form),
        )
        .route(
            "/api/agreements/{id}/evidence",
            get(documents::download_evidence_package),
        )
        .route("/api/verify/{token}", get(documents::verify_agreement))
        .route("/api/platform-seal", get(documents::get_platform_seal))
        .route(
            "/api/signature-images",
            post(documents::upload_signature_image),
        )
        .route(
            "/api/agreement-templates",
            post(documents::upload_agreement_template),
        )
        .route(
            "/api/agreement-templates/default",
            get(documents::download_default_template),
        )
        .route("/api/print-records", get(documents::list_print_records))
        .route("/api/print-codes", post(documents::create_print_code))
        .route(
            "/api/print-codes/confirm",
            post(documents::confirm_print_code),
        )
        .route(
            "/api/print-codes/status",
            get(documents::get_print_code_status),
        )
        .route("/api/print-codes/pdf", get(documents::fetch_print_code_pdf))
        .route(
            "/api/{*rest}",
            delete(not_found)
                .get(not_found)
                .post(not_found)
                .put(not_found),
        )
}

async fn not_found() -> crate::error::ApiError {
    crate::error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "接口不存在")
}

/// 200 when the database answers.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "system",
    responses((status = 200, description = "数据库可用"), (status = 503, description = "数据库不可用")))]
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.store.ping().await {
        (StatusCode::OK, Json(serde_json::json!({ "status": "ok" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "database unavailable" })),
        )
    }
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
