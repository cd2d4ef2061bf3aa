//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wangqian 网签 API",
        description = "毕业生就业协议书网上签约系统。登录（login）后，每个修改状态的请求须带 `X-CSRF-Token` 头（值为登录应答中的 csrf_token）。错误统一为 `{\"error\": {\"code\", \"message\", \"fields\"}}`。"
    ),
    paths(
        api::healthz,
        api::login,
        api::logout,
        api::get_current_account,
        api::search_schools,
        api::list_departments,
        api::bind_graduate,
        api::list_graduates,
        api::get_graduate,
        api::unbind_graduate,
        api::import_roster,
        api::get_roster_import,
        api::download_roster_template,
        api::list_staff,
        api::create_reviewer,
        api::set_reviewer_active,
        api::get_signing_settings,
        api::update_signing_settings,
        api::list_code_tables,
        api::register_employer,
        api::join_employer,
        api::get_employer,
        api::list_employer_members,
        api::decide_employer_member,
        api::list_employer_verifications,
        api::verify_employer,
        api::download_upload,
        api::find_graduates,
        api::list_send_list,
        api::remove_from_send_list,
        api::import_send_list,
        api::download_send_list_template,
        api::send_invitations,
        api::withdraw_invitation,
        api::edit_invitation,
        api::resend_invitation,
        api::accept_invitation,
        api::reject_invitation,
        api::cancel_signing,
        api::review_agreement,
        api::revoke_review,
        api::propose_amendment,
        api::confirm_amendment,
        api::withdraw_amendment,
        api::request_termination,
        api::answer_termination,
        api::cancel_termination,
        api::review_termination,
        api::force_terminate,
        api::create_paper_agreement,
        api::update_paper_agreement,
        api::submit_paper_agreement,
        api::upload_signed_agreement,
        api::list_agreements,
        api::get_agreement,
        api::get_agreement_trail,
        api::todo_counts,
        api::list_messages,
        api::mark_message_read,
        api::register_destination,
        api::withdraw_destination,
        api::review_destination,
        api::request_destination_release,
        api::list_destinations,
        api::get_destination,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        crate::error::FieldErrorBody,
        api::LoginRequest,
        api::SessionResponse,
        api::BindRequest,
        api::CreateReviewerRequest,
        api::ActiveRequest,
        api::DecisionRequest,
        api::VerifyRequest,
        api::ImportStatus,
    ))
)]
pub struct ApiDoc;

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
