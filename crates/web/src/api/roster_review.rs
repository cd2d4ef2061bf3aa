//! 生源审核 over JSON: approving or returning imported source records, in bulk.

use axum::extract::State;
use axum::Json;
use wangqian_store::roster_review::{self, RosterReviewOutcome, RosterReviewRequest};

use super::ApiJson;
use crate::auth::ApiAuth;
use crate::error::ApiResult;
use crate::openapi::{BadRequest, Conflict, NotFound, Session, Unprocessable};
use crate::AppState;

/// 审核通过 / 退回 source records (生源审核), by ids or by the graduate list's filter (every
/// page). The department reviewer reviews their department, the school administrator the
/// school; an id outside that answers 404 and changes nothing, other roles get 403. A return
/// needs a reason (422). Records the decision does not apply to are listed in `skipped`.
#[utoipa::path(post, path = "/api/graduates/review", operation_id = "review_roster_records", tag = "graduates",
    request_body = RosterReviewRequest, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = RosterReviewOutcome), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn review_roster_records(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiJson(body): ApiJson<RosterReviewRequest>,
) -> ApiResult<Json<RosterReviewOutcome>> {
    Ok(Json(
        roster_review::review_roster_records(&state.store, &s.actor, body).await?,
    ))
}
