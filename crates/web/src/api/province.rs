//! 院校管理: the province registers schools and their administrator accounts; a school
//! administrator keeps the contact block of their own school.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use wangqian_store::orgs::{
    self, NewOrgUnit, NewSchoolAdmin, OrgUnit, RenameOrgUnit, SchoolAdminRow, SchoolDetail,
    SchoolFilter, SchoolInput, UnitSigning,
};
use wangqian_store::{AccountId, SchoolId};

use super::school::ActiveRequest;
use super::{ApiJson, Items, ListPage};
use crate::auth::ApiAuth;
use crate::error::ApiResult;
use crate::openapi::{BadRequest, Conflict, NotFound, Session, Unprocessable};
use crate::AppState;

/// Every school with its contact block and number of active administrators, by code.
#[utoipa::path(get, path = "/api/admin/schools", operation_id = "list_schools", tag = "organisations",
    params(SchoolFilter), security(("session" = [])),
    responses((status = 200, body = ListPage<SchoolDetail>), Session, BadRequest, Unprocessable))]
pub async fn list_schools(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Query(f): Query<SchoolFilter>,
) -> ApiResult<Json<ListPage<SchoolDetail>>> {
    Ok(Json(
        orgs::list_schools(&state.store, &s.actor, &f).await?.into(),
    ))
}

/// Registers a school (province only). A code already registered is a field error.
#[utoipa::path(post, path = "/api/admin/schools", operation_id = "create_school", tag = "organisations",
    request_body = SchoolInput, security(("session" = [], "csrf" = [])),
    responses((status = 201, body = SchoolDetail), Session, BadRequest, Conflict, Unprocessable))]
pub async fn create_school(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiJson(b): ApiJson<SchoolInput>,
) -> ApiResult<(StatusCode, Json<SchoolDetail>)> {
    let school = orgs::create_school(&state.store, &s.actor, b).await?;
    Ok((StatusCode::CREATED, Json(school)))
}

/// One school: the province any, a school administrator their own.
#[utoipa::path(get, path = "/api/admin/schools/{id}", operation_id = "get_school", tag = "organisations",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = SchoolDetail), Session, NotFound))]
pub async fn get_school(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<SchoolId>,
) -> ApiResult<Json<SchoolDetail>> {
    Ok(Json(
        orgs::school_detail(&state.store, &s.actor, &id).await?,
    ))
}

/// Edits a school: the province everything (and `disabled`), a school administrator only the
/// contact block of their own school.
#[utoipa::path(put, path = "/api/admin/schools/{id}", operation_id = "update_school", tag = "organisations",
    params(("id" = String, Path)), request_body = SchoolInput, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = SchoolDetail), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn update_school(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<SchoolId>,
    ApiJson(b): ApiJson<SchoolInput>,
) -> ApiResult<Json<SchoolDetail>> {
    Ok(Json(
        orgs::update_school(&state.store, &s.actor, &id, b).await?,
    ))
}

/// The school's administrator accounts (province only).
#[utoipa::path(get, path = "/api/admin/schools/{id}/admins", operation_id = "list_school_admins", tag = "organisations",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = Items<SchoolAdminRow>), Session, NotFound))]
pub async fn list_school_admins(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<SchoolId>,
) -> ApiResult<Json<Items<SchoolAdminRow>>> {
    let items = orgs::list_school_admins(&state.store, &s.actor, &id).await?;
    Ok(Json(Items { items }))
}

/// Creates a school administrator with an initial password that must be changed at the first
/// login (until then every other request answers 403 `password_change_required`).
#[utoipa::path(post, path = "/api/admin/schools/{id}/admins", operation_id = "create_school_admin", tag = "organisations",
    params(("id" = String, Path)), request_body = NewSchoolAdmin, security(("session" = [], "csrf" = [])),
    responses((status = 201, body = SchoolAdminRow), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn create_school_admin(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<SchoolId>,
    ApiJson(b): ApiJson<NewSchoolAdmin>,
) -> ApiResult<(StatusCode, Json<SchoolAdminRow>)> {
    let row = orgs::create_school_admin(&state.store, &s.actor, &id, b).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Disables (ending its sessions) or re-enables a school administrator account.
#[utoipa::path(put, path = "/api/admin/schools/{id}/admins/{account_id}/active", operation_id = "set_school_admin_active", tag = "organisations",
    params(("id" = String, Path), ("account_id" = String, Path)), request_body = ActiveRequest,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = SchoolAdminRow), Session, BadRequest, NotFound, Unprocessable))]
pub async fn set_school_admin_active(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path((id, account_id)): Path<(SchoolId, AccountId)>,
    ApiJson(b): ApiJson<ActiveRequest>,
) -> ApiResult<Json<SchoolAdminRow>> {
    Ok(Json(
        orgs::set_school_admin_active(&state.store, &s.actor, &id, &account_id, b.active).await?,
    ))
}

/// The school's departments, majors and classes with their graduate counts (its administrator).
#[utoipa::path(get, path = "/api/admin/schools/{id}/org-units", operation_id = "list_org_units", tag = "organisations",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = Items<OrgUnit>), Session, NotFound))]
pub async fn list_org_units(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<SchoolId>,
) -> ApiResult<Json<Items<OrgUnit>>> {
    let items = orgs::org_units(&state.store, &s.actor, &id).await?;
    Ok(Json(Items { items }))
}

/// Adds a department, a major under one of the school's departments, or a class under one of
/// its majors. A duplicate name at the same level is a field error.
#[utoipa::path(post, path = "/api/admin/schools/{id}/org-units", operation_id = "create_org_unit", tag = "organisations",
    params(("id" = String, Path)), request_body = NewOrgUnit, security(("session" = [], "csrf" = [])),
    responses((status = 201, body = OrgUnit), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn create_org_unit(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<SchoolId>,
    ApiJson(b): ApiJson<NewOrgUnit>,
) -> ApiResult<(StatusCode, Json<OrgUnit>)> {
    let unit = orgs::create_org_unit(&state.store, &s.actor, &id, b).await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

/// Renames one of the school's departments, majors or classes.
#[utoipa::path(put, path = "/api/admin/schools/{id}/org-units/{unit_id}", operation_id = "rename_org_unit", tag = "organisations",
    params(("id" = String, Path), ("unit_id" = String, Path)), request_body = RenameOrgUnit,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = OrgUnit), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn rename_org_unit(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path((id, unit_id)): Path<(SchoolId, String)>,
    ApiJson(b): ApiJson<RenameOrgUnit>,
) -> ApiResult<Json<OrgUnit>> {
    Ok(Json(
        orgs::rename_org_unit(&state.store, &s.actor, &id, &unit_id, b).await?,
    ))
}

/// 签约开放列表: closes (with the reason employers are told) or reopens online signing for one
/// of the school's departments or majors.
#[utoipa::path(put, path = "/api/admin/schools/{id}/org-units/{unit_id}/signing", operation_id = "set_unit_signing", tag = "organisations",
    params(("id" = String, Path), ("unit_id" = String, Path)), request_body = UnitSigning,
    security(("session" = [], "csrf" = [])),
    responses((status = 200, body = OrgUnit), Session, BadRequest, NotFound, Unprocessable))]
pub async fn set_unit_signing(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path((id, unit_id)): Path<(SchoolId, String)>,
    ApiJson(b): ApiJson<UnitSigning>,
) -> ApiResult<Json<OrgUnit>> {
    Ok(Json(
        orgs::set_unit_signing(&state.store, &s.actor, &id, &unit_id, b).await?,
    ))
}
