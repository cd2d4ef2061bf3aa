//! HTTP mapping of service errors, done once. The API answers one JSON envelope; pages show
//! the same message in Chinese.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use wangqian_store::{FieldError, ServiceError};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`.
    pub code: &'static str,
    /// Chinese message for the user.
    pub message: String,
    /// Per-field problems for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorBody>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub message: String,
}

/// An error answered by the JSON API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn unauthenticated() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录")
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn payload_too_large(max_mib: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("上传内容过大（不能超过 {max_mib} MB）"),
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let message = e.to_string();
        match e {
            ServiceError::Validation(fields) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "validation_failed",
                message: fields.first().map(|f| f.message.clone()).unwrap_or(message),
                fields,
            },
            ServiceError::BadRequest(m) => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", m),
            ServiceError::NotFound(_) | ServiceError::Missing(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            ServiceError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            ServiceError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            ServiceError::Unauthenticated(m) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", m)
            }
            ServiceError::Locked { .. } => {
                ApiError::new(StatusCode::LOCKED, "account_locked", message)
            }
            ServiceError::RateLimited => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            }
            ServiceError::Unavailable(m) => {
                tracing::error!(reason = %m, "service unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
            ServiceError::Internal(cause)
                if wangqian_store::error::is_database_unavailable(&cause) =>
            {
                tracing::warn!(error = %cause, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    wangqian_store::password::BUSY,
                )
            }
            ServiceError::Internal(cause) => {
                // Logged once here with its chain; the client gets an opaque message.
                tracing::error!(error = ?cause, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，请稍后重试",
                )
            }
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ServiceError::Internal(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                fields: self
                    .fields
                    .into_iter()
                    .map(|f| FieldErrorBody {
                        field: f.field,
                        message: f.message,
                    })
                    .collect(),
            },
        };
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn with_field(mut self, field: &str, message: impl Into<String>) -> ApiError {
        self.fields.push(FieldError::new(field, message));
        self
    }
}

/// Wraps axum's own plain-text rejections under `/api` (a query or path parameter that does
/// not parse, a method the path does not answer) in the JSON envelope, so that every error an
/// API client sees has the documented shape.
pub async fn json_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    // Rejection texts are short; a longer body is cut rather than buffered whole.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "该接口不支持此请求方法".to_string())
        }
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "请求内容过大".to_string()),
        s if s.is_server_error() => ("internal", "服务器内部错误，请稍后重试".to_string()),
        _ if text.is_empty() => ("bad_request", "请求不正确".to_string()),
        _ => ("bad_request", format!("请求参数不正确：{text}")),
    };
    let mut out = ApiError::new(status, code, message).into_response();
    // Keep headers such as `Allow` on a 405.
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}
