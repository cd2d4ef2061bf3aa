//! Login, logout, the current account, school search and graduate binding.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wangqian_store::accounts::{self, BindGraduate, LoginOutcome};
use wangqian_store::orgs;
use wangqian_store::{AccountId, DepartmentId, EmployerId, GraduateId, SchoolId};

use super::ApiJson;
use crate::auth::{clear_cookie, session_cookie, ApiAuth, SessionToken};
use crate::error::{ApiError, ApiResult};
use crate::openapi::{BadRequest, Locked, NotFound, Public, Session, TooMany, Unprocessable};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name, or the national ID number for graduates.
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub account_id: AccountId,
    pub role: String,
    pub role_label: String,
    pub display_name: String,
    pub school_id: Option<SchoolId>,
    pub department_id: Option<DepartmentId>,
    pub employer_id: Option<EmployerId>,
    pub employer_role: Option<String>,
    pub graduate_id: Option<GraduateId>,
    /// Send back as `X-CSRF-Token` on every state-changing request.
    pub csrf_token: String,
    /// The account logged in with a one-time password: only `change_password` (and logging
    /// out) is allowed until it is changed.
    pub must_change_password: bool,
}

impl From<&accounts::SessionInfo> for SessionResponse {
    fn from(s: &accounts::SessionInfo) -> Self {
        SessionResponse {
            account_id: s.actor.account_id.clone(),
            role: s.actor.role.as_str().into(),
            role_label: s.actor.role.label().into(),
            display_name: s.display_name.clone(),
            school_id: s.actor.school_id.clone(),
            department_id: s.actor.department_id.clone(),
            employer_id: s.actor.employer_id.clone(),
            employer_role: s.actor.employer_role.map(|r| r.as_str().to_string()),
            graduate_id: s.actor.graduate_id.clone(),
            csrf_token: s.csrf_token.clone(),
            must_change_password: s.must_change_password,
        }
    }
}

pub fn client_key(addr: &SocketAddr) -> String {
    format!("ip:{}", addr.ip())
}

pub(crate) fn session_response(
    state: &AppState,
    outcome: &LoginOutcome,
    status: StatusCode,
) -> Response {
    (
        status,
        [(SET_COOKIE, session_cookie(state, &outcome.session_token))],
        Json(SessionResponse::from(&outcome.session)),
    )
        .into_response()
}

/// Logs in; the answer sets the session cookie and carries the CSRF token.
#[utoipa::path(post, path = "/api/session", operation_id = "login", tag = "accounts",
    request_body = LoginRequest,
    responses((status = 200, body = SessionResponse, description = "已登录；应答设置会话 Cookie"),
              Public, BadRequest, Unprocessable, Locked, TooMany,
              (status = 401, body = crate::error::ErrorBody, description = "账号或密码不正确")))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let outcome = accounts::login(
        &state.store,
        &body.login,
        &body.password,
        &client_key(&addr),
        &state.session_policy,
    )
    .await?;
    Ok(session_response(&state, &outcome, StatusCode::OK))
}

#[utoipa::path(delete, path = "/api/session", operation_id = "logout", tag = "accounts",
    security((), ("session" = [])),
    responses((status = 204, description = "已退出"), Public))]
pub async fn logout(
    State(state): State<AppState>,
    token: Option<Extension<SessionToken>>,
) -> ApiResult<Response> {
    if let Some(Extension(SessionToken(t))) = token {
        accounts::logout(&state.store, &t).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, clear_cookie())]).into_response())
}

#[utoipa::path(get, path = "/api/me", operation_id = "get_current_account", tag = "accounts",
    security(("session" = [])),
    responses((status = 200, body = SessionResponse), Session))]
pub async fn get_current_account(ApiAuth(s): ApiAuth) -> Json<SessionResponse> {
    Json(SessionResponse::from(&s))
}

/// Changes the logged-in account's own password with the current one; ends the one-time password
/// requirement and every other session of the account (this one stays signed in).
#[utoipa::path(post, path = "/api/me/password", operation_id = "change_password", tag = "accounts",
    request_body = accounts::ChangePassword,
    security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "密码已修改"), Session, BadRequest, Locked,
              (status = 409, body = crate::error::ErrorBody, description = "密码已被另一次修改改变"),
              (status = 422, body = crate::error::ErrorBody, description = "各字段的问题（当前密码不正确、新密码太弱、两次不一致）")))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Extension(SessionToken(token)): Extension<SessionToken>,
    ApiJson(body): ApiJson<accounts::ChangePassword>,
) -> ApiResult<StatusCode> {
    accounts::change_password(&state.store, &s.actor, body, &state.session_policy, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 解除绑定并重新登录 (003 §1): a graduate who bound the wrong record releases it with their
/// password and a reason, and may then bind the right one; the school's administrators get a
/// message. Refused (409) while anything the graduate did on the record is in progress.
#[utoipa::path(post, path = "/api/me/unbind", operation_id = "release_own_binding", tag = "accounts",
    request_body = accounts::ReleaseOwnBinding,
    security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已解除绑定；本账号的会话全部结束，可重新绑定"), Session, BadRequest, Locked,
              (status = 409, body = crate::error::ErrorBody, description = "记录上有正在办理的协议或去向、已生效的签约，或绑定已变化"),
              (status = 422, body = crate::error::ErrorBody, description = "各字段的问题（密码不正确、缺少原因）")))]
pub async fn release_own_binding(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiJson(body): ApiJson<accounts::ReleaseOwnBinding>,
) -> ApiResult<Response> {
    accounts::release_own_binding(&state.store, &s.actor, body, &state.session_policy).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, crate::auth::clear_cookie())],
    )
        .into_response())
}

/// 重置密码: an administrator gives another account a one-time password, shown in this answer
/// only; the account must change it at its next login, and all its sessions end. The province
/// resets employers' accounts and school administrators, a school administrator the school's
/// reviewers, administrators and graduates.
#[utoipa::path(post, path = "/api/accounts/{id}/password-reset", operation_id = "reset_account_password", tag = "accounts",
    params(("id" = String, Path, description = "账号 id")),
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = accounts::PasswordReset, description = "已重置；一次性密码只显示这一次"),
              Session, NotFound))]
pub async fn reset_account_password(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let reset = accounts::reset_account_password(&state.store, &s.actor, &id).await?;
    // The password is in this answer alone: no cache keeps a copy.
    Ok(([(CACHE_CONTROL, "no-store")], Json(reset)).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SchoolSearch {
    /// Part of the school name, or its 5-digit code.
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/api/schools", operation_id = "search_schools", tag = "organisations",
    params(SchoolSearch), responses((status = 200, body = super::Items<orgs::SchoolRow>), Public, BadRequest))]
pub async fn search_schools(
    State(state): State<AppState>,
    Query(q): Query<SchoolSearch>,
) -> ApiResult<Json<super::Items<orgs::SchoolRow>>> {
    let items = orgs::search_schools(&state.store, q.q.as_deref().unwrap_or("")).await?;
    Ok(Json(super::Items { items }))
}

#[utoipa::path(get, path = "/api/schools/{school_id}/departments", operation_id = "list_departments", tag = "organisations",
    params(("school_id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = super::Items<orgs::DepartmentRow>), Session))]
pub async fn list_departments(
    State(state): State<AppState>,
    ApiAuth(_s): ApiAuth,
    Path(school_id): Path<String>,
) -> ApiResult<Json<super::Items<orgs::DepartmentRow>>> {
    let items = orgs::departments(&state.store, &school_id).await?;
    Ok(Json(super::Items { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindRequest {
    pub school_id: String,
    pub name: String,
    pub student_no: String,
    pub id_number: String,
    pub password: String,
    pub password_confirm: String,
}

/// Binds a graduate to their roster record (school + name + student number + ID number must
/// match exactly one record) and logs them in.
#[utoipa::path(post, path = "/api/graduates/bind", operation_id = "bind_graduate", tag = "accounts",
    request_body = BindRequest,
    responses((status = 201, body = SessionResponse, description = "已绑定并登录；应答设置会话 Cookie"),
              Public, Unprocessable,
              (status = 400, description = "请求格式不正确，或信息不匹配、没有注册", body = crate::error::ErrorBody),
              (status = 409, description = "信息重复 / 已绑定", body = crate::error::ErrorBody)))]
pub async fn bind_graduate(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<BindRequest>,
) -> ApiResult<Response> {
    let outcome = accounts::bind_graduate(
        &state.store,
        BindGraduate {
            school_id: b.school_id,
            name: b.name,
            student_no: b.student_no,
            id_number: b.id_number,
            password: b.password,
            password_confirm: b.password_confirm,
        },
        &state.session_policy,
    )
    .await?;
    Ok(session_response(&state, &outcome, StatusCode::CREATED))
}

/// Turns an unparseable JSON body into the API's envelope.
pub fn json_rejection(e: axum::extract::rejection::JsonRejection) -> ApiError {
    ApiError::bad_request(format!("请求内容不是有效的 JSON：{}", e.body_text()))
}

/// The graduate's own contact details (masked) and whether they confirmed them.
#[utoipa::path(get, path = "/api/me/contact", operation_id = "get_graduate_contact", tag = "accounts",
    security(("session" = [])),
    responses((status = 200, body = wangqian_store::graduates::GraduateContact), Session, NotFound))]
pub async fn get_graduate_contact(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
) -> ApiResult<Json<wangqian_store::graduates::GraduateContact>> {
    Ok(Json(
        wangqian_store::graduates::graduate_contact(&state.store, &s.actor).await?,
    ))
}

/// 首次登录确认联系方式: the graduate confirms phone, e-mail and mailing address (every problem
/// at once); stored encrypted, shown masked.
#[utoipa::path(put, path = "/api/me/contact", operation_id = "confirm_graduate_contact", tag = "accounts",
    request_body = wangqian_store::graduates::ConfirmContact, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = wangqian_store::graduates::GraduateContact), Session, BadRequest, NotFound, Unprocessable))]
pub async fn confirm_graduate_contact(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiJson(b): ApiJson<wangqian_store::graduates::ConfirmContact>,
) -> ApiResult<Json<wangqian_store::graduates::GraduateContact>> {
    Ok(Json(
        wangqian_store::graduates::confirm_contact(&state.store, &s.actor, b).await?,
    ))
}
