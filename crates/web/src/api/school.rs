//! School-side operations: graduates, staff, settings, code tables.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use wangqian_domain::codes;
use wangqian_domain::role::Role;
use wangqian_domain::settings::SigningSettings;
use wangqian_store::accounts::{self, NewReviewer};
use wangqian_store::graduates::{self, GraduateFilter};
use wangqian_store::settings;

use super::ApiJson;
use super::{Items, ListPage};
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult};
use crate::openapi::{BadRequest, Conflict, NotFound, Public, Session, Unprocessable};
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GraduateQuery {
    /// Defaults to the actor's school; required for the provincial administrator.
    pub school_id: Option<String>,
    pub graduation_year: Option<i64>,
    pub department_id: Option<String>,
    /// Name fragment or exact student number.
    pub keyword: Option<String>,
    pub bound: Option<bool>,
    /// 生源审核 state: `pending` (待审核), `approved` (已审核), `returned` (已退回).
    #[param(inline)]
    pub review_state: Option<wangqian_domain::roster_review::RosterReview>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// `meta.next` of the previous page: keyset paging for deep lists (`page` is then ignored).
    pub after: Option<String>,
}

#[utoipa::path(get, path = "/api/graduates", operation_id = "list_graduates", tag = "graduates",
    params(GraduateQuery), security(("session" = [])),
    responses((status = 200, body = ListPage<graduates::GraduateSummary>), Session, BadRequest, NotFound, Unprocessable))]
pub async fn list_graduates(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Query(q): Query<GraduateQuery>,
) -> ApiResult<Json<ListPage<graduates::GraduateSummary>>> {
    let school_id = q
        .school_id
        .clone()
        .or_else(|| s.actor.school_id.as_ref().map(ToString::to_string))
        .ok_or_else(|| ApiError::bad_request("请指定学校（school_id）"))?;
    let page = graduates::list_graduates(
        &state.store,
        &s.actor,
        &school_id,
        &GraduateFilter {
            graduation_year: q.graduation_year,
            department_id: q.department_id,
            keyword: q.keyword,
            bound: q.bound,
            review_state: q.review_state,
            page: q.page,
            per_page: q.per_page,
            after: q.after,
        },
    )
    .await?;
    Ok(Json(page.into()))
}

#[utoipa::path(get, path = "/api/graduates/{id}", operation_id = "get_graduate", tag = "graduates",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = graduates::GraduateRecord), Session, NotFound))]
pub async fn get_graduate(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<graduates::GraduateRecord>> {
    Ok(Json(
        graduates::get_graduate(&state.store, &s.actor, &id).await?,
    ))
}

/// 解除绑定: a school administrator frees a graduate's record from its account.
#[utoipa::path(post, path = "/api/graduates/{id}/unbind", operation_id = "unbind_graduate", tag = "graduates",
    params(("id" = String, Path)), security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已解除绑定"), Session, NotFound, Conflict))]
pub async fn unbind_graduate(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    accounts::unbind_graduate(&state.store, &s.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 暂停/恢复网签: the graduate's school administrator locks or unlocks their online signing.
/// While locked no employer can invite the graduate; employers are told the reason.
#[utoipa::path(put, path = "/api/graduates/{id}/signing-lock", operation_id = "set_signing_lock", tag = "graduates",
    params(("id" = String, Path)), request_body = graduates::SigningLockChange,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = graduates::SigningLock), Session, BadRequest, NotFound, Unprocessable))]
pub async fn set_signing_lock(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<graduates::SigningLockChange>,
) -> ApiResult<Json<graduates::SigningLock>> {
    Ok(Json(
        graduates::set_signing_lock(&state.store, &s.actor, &id, b).await?,
    ))
}

#[utoipa::path(get, path = "/api/staff", operation_id = "list_staff", tag = "staff",
    security(("session" = [])),
    responses((status = 200, body = Items<accounts::StaffRow>), Session))]
pub async fn list_staff(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
) -> ApiResult<Json<Items<accounts::StaffRow>>> {
    let items = accounts::list_staff(&state.store, &s.actor).await?;
    Ok(Json(Items { items }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReviewerRequest {
    pub department_id: String,
    pub login_name: String,
    pub display_name: String,
    pub password: String,
}

#[utoipa::path(post, path = "/api/staff/reviewers", operation_id = "create_reviewer", tag = "staff",
    request_body = CreateReviewerRequest, security(("session" = [], "csrf" = [])),
    responses((status = 201, body = accounts::StaffRow), Session, BadRequest, Conflict, Unprocessable))]
pub async fn create_reviewer(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiJson(b): ApiJson<CreateReviewerRequest>,
) -> ApiResult<(StatusCode, Json<accounts::StaffRow>)> {
    let row = accounts::create_reviewer(
        &state.store,
        &s.actor,
        NewReviewer {
            department_id: b.department_id,
            login_name: b.login_name,
            display_name: b.display_name,
            password: b.password,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveRequest {
    pub active: bool,
}

#[utoipa::path(put, path = "/api/staff/reviewers/{id}/active", operation_id = "set_reviewer_active", tag = "staff",
    params(("id" = String, Path)), request_body = ActiveRequest, security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "已修改"), Session, BadRequest, NotFound))]
pub async fn set_reviewer_active(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ActiveRequest>,
) -> ApiResult<StatusCode> {
    accounts::set_reviewer_active(&state.store, &s.actor, &id, b.active).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn year(y: i64) -> Result<u16, ApiError> {
    u16::try_from(y)
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| ApiError::bad_request("毕业年度应在 2000–2100 之间"))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SettingsQuery {
    pub school_id: Option<String>,
}

/// The signing settings of a school's cohort (defaults until changed).
#[utoipa::path(get, path = "/api/settings/{year}", operation_id = "get_signing_settings", tag = "settings",
    params(("year" = i64, Path, minimum = 2000, maximum = 2100, description = "毕业年度（2000–2100）"), SettingsQuery), security(("session" = [])),
    responses((status = 200, body = SigningSettings), Session, BadRequest, NotFound))]
pub async fn get_signing_settings(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(y): Path<i64>,
    Query(q): Query<SettingsQuery>,
) -> ApiResult<Json<SigningSettings>> {
    let school_id = q
        .school_id
        .or_else(|| s.actor.school_id.as_ref().map(ToString::to_string))
        .ok_or_else(|| ApiError::bad_request("请指定学校（school_id）"))?;
    Ok(Json(
        settings::get_settings(&state.store, &s.actor, &school_id, year(y)?).await?,
    ))
}

#[utoipa::path(put, path = "/api/settings/{year}", operation_id = "update_signing_settings", tag = "settings",
    params(("year" = i64, Path, minimum = 2000, maximum = 2100, description = "毕业年度（2000–2100），与内容中的 graduation_year 相同")),
    request_body = SigningSettings, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = SigningSettings), Session, BadRequest, Conflict, Unprocessable))]
pub async fn update_signing_settings(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(y): Path<i64>,
    ApiJson(body): ApiJson<SigningSettings>,
) -> ApiResult<Json<SigningSettings>> {
    if s.actor.role != Role::SchoolAdmin {
        return Err(wangqian_store::ServiceError::Forbidden.into());
    }
    if i64::from(body.graduation_year) != y {
        return Err(ApiError::bad_request("路径中的毕业年度与内容不一致"));
    }
    let school_id = s.actor.school_id.clone().unwrap_or_default();
    Ok(Json(
        settings::update_settings(&state.store, &s.actor, &school_id, body).await?,
    ))
}

#[utoipa::path(get, path = "/api/code-tables", operation_id = "list_code_tables", tag = "reference",
    responses((status = 200, body = Items<CodeTableView>), Public))]
pub async fn list_code_tables() -> Json<Items<CodeTableView>> {
    let items = codes::all_tables()
        .iter()
        .map(|t| CodeTableView {
            key: t.key,
            title: t.title,
            entries: t.entries,
        })
        .collect();
    Json(Items { items })
}

/// One code table (代码表).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CodeTableView {
    /// snake_case identifier, e.g. `education_level`.
    pub key: &'static str,
    /// Chinese title, e.g. 学历.
    pub title: &'static str,
    pub entries: &'static [codes::CodeEntry],
}
