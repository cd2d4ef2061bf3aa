//! Roster import (生源信息) and its template.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use wangqian_domain::roster::ROSTER_COLUMNS;
use wangqian_store::roster_import;

use super::ApiMultipart;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult};
use crate::openapi::{BadRequest, NotFound, Public, Session, TooLarge, Unprocessable};
use crate::uploads::read_form;
use crate::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportStatus {
    pub id: String,
    /// queued, running, succeeded, failed
    pub status: String,
    /// 排队中 / 校验 / 写入 / 合并 / 完成 / 失败
    pub phase: String,
    pub progress_done: i64,
    pub progress_total: i64,
    /// The report: rows, inserted, updated, error_count, errors[{row, column, reason}], message.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
}

impl From<wangqian_store::jobs::JobRow> for ImportStatus {
    fn from(j: wangqian_store::jobs::JobRow) -> Self {
        ImportStatus {
            id: j.id,
            status: j.status,
            phase: j.phase,
            progress_done: j.progress_done,
            progress_total: j.progress_total,
            result: j.result.and_then(|r| serde_json::from_str(&r).ok()),
        }
    }
}

/// Uploads a roster file (CSV or XLSX, field `file`) and queues its import. Nothing is imported
/// if any row is wrong; the job's report lists row, column and reason.
#[utoipa::path(post, path = "/api/roster-imports", operation_id = "import_roster", tag = "roster",
    request_body(content_type = "multipart/form-data", content = FileUpload),
    security(("session" = [], "csrf" = [])),
    responses((status = 202, body = ImportStatus), Session, BadRequest, TooLarge, Unprocessable))]
pub async fn import_roster(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    ApiMultipart(mp): ApiMultipart,
) -> ApiResult<(StatusCode, Json<ImportStatus>)> {
    let job_id = start(&state, &s, mp).await?;
    let job = roster_import::get_import(&state.store, &s.actor, &job_id).await?;
    Ok((StatusCode::ACCEPTED, Json(job.into())))
}

/// Shared by the API and the page: reads the upload and queues the job.
pub async fn start(
    state: &AppState,
    s: &wangqian_store::accounts::SessionInfo,
    mp: Multipart,
) -> ApiResult<String> {
    let mut form = read_form(mp, state.config.max_upload_mib).await?;
    let (name, bytes) = form.files.remove("file").ok_or_else(|| {
        ApiError::bad_request("请选择要导入的文件").with_field("file", "请选择文件")
    })?;
    let school_id = s
        .actor
        .school_id
        .clone()
        .ok_or_else(|| ApiError::forbidden("只有学校管理员可以导入生源信息"))?;
    let job_id = roster_import::start_import(
        &state.store,
        state.blobs.as_ref(),
        &s.actor,
        &school_id,
        &name,
        bytes,
    )
    .await?;
    state.jobs_wakeup.notify_one();
    Ok(job_id)
}

#[utoipa::path(get, path = "/api/roster-imports/{id}", operation_id = "get_roster_import", tag = "roster",
    params(("id" = String, Path)), security(("session" = [])),
    responses((status = 200, body = ImportStatus), Session, NotFound))]
pub async fn get_roster_import(
    State(state): State<AppState>,
    ApiAuth(s): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ImportStatus>> {
    Ok(Json(
        roster_import::get_import(&state.store, &s.actor, &id)
            .await?
            .into(),
    ))
}

/// A table to import (multipart).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FileUpload {
    /// The XLSX or CSV file, filled in from the template.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// xlsx (default) or csv
    #[param(value_type = Option<crate::openapi::SheetFormat>, inline)]
    pub format: Option<String>,
}

/// The import template with one example row.
#[utoipa::path(get, path = "/api/roster-template", operation_id = "download_roster_template", tag = "roster",
    params(TemplateQuery),
    responses((status = 200, description = "XLSX 或 CSV 文件",
               content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
              Public, BadRequest))]
pub async fn download_roster_template(Query(q): Query<TemplateQuery>) -> ApiResult<Response> {
    let headers: Vec<&str> = ROSTER_COLUMNS.iter().map(|c| c.header).collect();
    let example: Vec<String> = ROSTER_COLUMNS
        .iter()
        .map(|c| c.example.to_string())
        .collect();
    template_file(
        "生源信息",
        "roster-template",
        "生源信息导入模板",
        &headers,
        example,
        q.format.as_deref() == Some("csv"),
    )
}

/// A one-sheet template to download: XLSX, or CSV on request, with one example row.
pub(crate) fn template_file(
    sheet: &str,
    ascii_stem: &str,
    chinese_stem: &str,
    headers: &[&str],
    example: Vec<String>,
    csv: bool,
) -> ApiResult<Response> {
    let bytes = if csv {
        wangqian_sheets::write_csv(headers, vec![example])
    } else {
        wangqian_sheets::write_xlsx(sheet, headers, vec![example])
    }
    .map_err(|e| anyhow::anyhow!("template: {e}"))?;
    let (ct, ext) = if csv {
        ("text/csv; charset=utf-8", "csv")
    } else {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    };
    // RFC 6266: an ASCII name for old clients, the Chinese one percent-encoded for the rest.
    let encoded: String = chinese_stem.bytes().map(|b| format!("%{b:02X}")).collect();
    Ok((
        [
            (CONTENT_TYPE, ct.to_string()),
            (
                CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii_stem}.{ext}\"; filename*=UTF-8''{encoded}.{ext}"
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
