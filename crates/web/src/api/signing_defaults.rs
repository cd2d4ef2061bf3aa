//! 签约信息确认: the employer's signing defaults (002 §2.1.1).

use axum::extract::State;
use axum::Json;
use wangqian_domain::terms::SigningDefaults;
use wangqian_store::signing_defaults::{self, SavedSigningDefaults};

use super::ApiJson;
use crate::auth::ApiAuth;
use crate::error::ApiResult;
use crate::openapi::{BadRequest, Session, Unprocessable};
use crate::AppState;

/// The company's defaults, or `null` while nobody has confirmed them yet.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SigningDefaultsAnswer {
    pub defaults: Option<SavedSigningDefaults>,
}

/// 签约信息确认（读取）: any member of the employer reads the company's signing defaults.
#[utoipa::path(get, path = "/api/employer/signing-defaults", operation_id = "get_signing_defaults", tag = "employers",
    security(("session" = [])),
    responses((status = 200, body = SigningDefaultsAnswer), Session))]
pub async fn get_signing_defaults(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
) -> ApiResult<Json<SigningDefaultsAnswer>> {
    let defaults = signing_defaults::get_signing_defaults(&state.store, &s.actor).await?;
    Ok(Json(SigningDefaultsAnswer { defaults }))
}

/// 签约信息确认（保存）: any member of the employer saves the company's signing defaults
/// (单位性质, 单位所在地, 档案接收, 户口接收); every invalid field is reported at once.
#[utoipa::path(put, path = "/api/employer/signing-defaults", operation_id = "update_signing_defaults", tag = "employers",
    request_body = SigningDefaults, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = SavedSigningDefaults), Session, BadRequest, Unprocessable))]
pub async fn update_signing_defaults(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiJson(b): ApiJson<SigningDefaults>,
) -> ApiResult<Json<SavedSigningDefaults>> {
    Ok(Json(
        signing_defaults::update_signing_defaults(&state.store, &s.actor, b).await?,
    ))
}
