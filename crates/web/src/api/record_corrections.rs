//! 生源信息确认 and 纠错 over JSON: the graduate confirms the unlocked fields and asks for
//! corrections of locked ones; the department reviewer or the school administrator decides.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use wangqian_store::record_corrections::{
    self, ConfirmSourceRecord, CorrectionFilter, RecordCorrection, RecordCorrectionInput,
    RecordCorrectionReview, SourceRecordConfirmed,
};

use super::{ApiJson, ApiMultipart, ListPage};
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult};
use crate::openapi::{BadRequest, Conflict, NotFound, Session, TooLarge, Unprocessable};
use crate::uploads::{certificate, read_form};
use crate::AppState;

/// 生源信息确认: the graduate edits and confirms the unlocked fields (phone, e-mail, home
/// address, 生源所在地 to county by region code); every problem at once (422). Locked fields
/// change only through `request_record_correction`.
#[utoipa::path(put, path = "/api/me/source-record", operation_id = "confirm_source_record", tag = "accounts",
    request_body = ConfirmSourceRecord, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = SourceRecordConfirmed), Session, BadRequest, NotFound, Unprocessable))]
pub async fn confirm_source_record(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiJson(b): ApiJson<ConfirmSourceRecord>,
) -> ApiResult<Json<SourceRecordConfirmed>> {
    Ok(Json(
        record_corrections::confirm_source_record(&state.store, &s.actor, b).await?,
    ))
}

/// The multipart body of a correction request.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CorrectionForm {
    /// JSON: `{"changes": {"name": "林小", "gender": "男", …}, "reason": "…"}`
    /// ([`RecordCorrectionInput`]).
    #[schema(value_type = RecordCorrectionInput)]
    pub data: String,
    /// Optional proof: JPG, PNG or PDF ≤ 5 MB, judged by its bytes.
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub proof: Option<Vec<u8>>,
}

/// 纠错: the graduate asks to correct locked fields (姓名, 性别, 民族, 政治面貌, 学历, 专业, 培养方式,
/// 学制) with a reason and an optional proof. Not the ID number: a record with another person's
/// ID number is unbound (解除绑定), not corrected (422 on `changes.id_number`). One open request
/// per graduate (409).
#[utoipa::path(post, path = "/api/record-corrections", operation_id = "request_record_correction", tag = "graduates",
    request_body(content_type = "multipart/form-data", content = CorrectionForm),
    security(("session" = [], "csrf" = [])),
    responses((status = 201, body = RecordCorrection), Session, BadRequest, Conflict, TooLarge, Unprocessable))]
pub async fn request_record_correction(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<(StatusCode, Json<RecordCorrection>)> {
    let c = correction_from_form(&state, &s.actor, mp).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// The multipart request (a `data` JSON field, or the page's plain fields `change_<key>` and
/// `reason`), shared with the page.
pub(crate) async fn correction_from_form(
    state: &AppState,
    actor: &wangqian_domain::role::Actor,
    mp: Multipart,
) -> ApiResult<RecordCorrection> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let input: RecordCorrectionInput = match form
        .fields
        .get("data")
        .and_then(|v| v.first())
        .filter(|d| !d.trim().is_empty())
    {
        Some(d) => serde_json::from_str(d)
            .map_err(|e| ApiError::bad_request(format!("data 字段不是有效的纠错申请：{e}")))?,
        None => RecordCorrectionInput {
            changes: form
                .fields
                .iter()
                .filter_map(|(k, v)| {
                    Some((k.strip_prefix("change_")?.to_string(), v.first()?.clone()))
                })
                .collect(),
            reason: form.text("reason"),
        },
    };
    let proof = certificate(&mut form, "proof", "证明材料")?;
    Ok(record_corrections::request_record_correction(
        &state.store,
        state.blobs.as_ref(),
        actor,
        input,
        proof,
    )
    .await?)
}

/// Correction requests, pending first: a graduate sees their own, a department reviewer their
/// department's, the school administrator the school's. Employers and the province: 403.
#[utoipa::path(get, path = "/api/record-corrections", operation_id = "list_record_corrections", tag = "graduates",
    params(CorrectionFilter), security(("session" = [])),
    responses((status = 200, body = ListPage<RecordCorrection>), Session, BadRequest))]
pub async fn list_record_corrections(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Query(q): Query<CorrectionFilter>,
) -> ApiResult<Json<ListPage<RecordCorrection>>> {
    Ok(Json(
        record_corrections::list_record_corrections(&state.store, &s.actor, &q)
            .await?
            .into(),
    ))
}

/// One correction request (its graduate, the department reviewer, the school administrator;
/// 404 for anyone else).
#[utoipa::path(get, path = "/api/record-corrections/{id}", operation_id = "get_record_correction", tag = "graduates",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = RecordCorrection), Session, NotFound))]
pub async fn get_record_correction(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<RecordCorrection>> {
    Ok(Json(
        record_corrections::get_record_correction(&state.store, &s.actor, &id).await?,
    ))
}

/// 同意更正 / 不同意: the department reviewer of the record or the school administrator decides a
/// pending request (a rejection needs a reason, 422). Approving writes the change into the
/// record in the same transaction; a request already decided answers 409 and changes nothing.
#[utoipa::path(post, path = "/api/record-corrections/{id}/review", operation_id = "review_record_correction", tag = "graduates",
    params(("id" = String, Path)), request_body = RecordCorrectionReview, security(("session" = [], "csrf" = [])),
    responses((status = 200, body = RecordCorrection), Session, BadRequest, NotFound, Conflict, Unprocessable))]
pub async fn review_record_correction(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RecordCorrectionReview>,
) -> ApiResult<Json<RecordCorrection>> {
    Ok(Json(
        record_corrections::review_record_correction(&state.store, &s.actor, &id, b).await?,
    ))
}
