//! Session cookie → actor, once per request, and CSRF protection for every state-changing
//! request: a session-bound token in the `X-CSRF-Token` header (API), the `_csrf` form field
//! (pages) or the `_csrf` query parameter (multipart forms). Requests without a session must
//! come from this site (Origin check).

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use wangqian_store::accounts::{self, SessionInfo};

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "wq_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The cookie value of this request's session, if any.
#[derive(Clone)]
pub struct SessionToken(pub String);

pub fn cookie_value(parts: &axum::http::HeaderMap, name: &str) -> Option<String> {
    parts
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn session_cookie(state: &AppState, token: &str) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{}",
        if state.config.cookie_secure {
            "; Secure"
        } else {
            ""
        }
    )
}

pub fn clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same_origin(headers: &axum::http::HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        // Non-browser clients send no Origin; browsers always do on cross-site POSTs.
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .map(|(_, rest)| rest == host)
        .unwrap_or(false)
}

fn csrf_rejection(path: &str) -> Response {
    if path.starts_with("/api/") {
        ApiError::forbidden("CSRF 校验失败：请求缺少有效的令牌，请刷新页面后重试").into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            axum::response::Html(
                "<!doctype html><meta charset=utf-8><p>页面已过期或请求来源不正确，请<a href=\"/\">返回</a>刷新后重试。</p>",
            ),
        )
            .into_response()
    }
}

/// Loads the session and enforces CSRF before any handler runs.
pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let token = cookie_value(req.headers(), SESSION_COOKIE);
    let session = match &token {
        Some(t) => match accounts::load_session(&state.store, t, &state.session_policy).await {
            Ok(s) => s,
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    let path = req.uri().path().to_string();
    if !is_safe(req.method()) {
        if !same_origin(req.headers()) {
            return csrf_rejection(&path);
        }
        if let Some(s) = &session {
            let header_token = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let query_token = req.uri().query().and_then(|q| {
                q.split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| *k == "_csrf")
                    .map(|(_, v)| v.to_string())
            });
            let mut presented = header_token.or(query_token);
            let is_form = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
            if presented.is_none() && is_form {
                let (parts, body) = req.into_parts();
                let Ok(bytes) = to_bytes(body, 1024 * 1024).await else {
                    return ApiError::bad_request("表单内容过大").into_response();
                };
                presented = form_urlencoded_value(&bytes, "_csrf");
                req = Request::from_parts(parts, Body::from(bytes));
            }
            // Logging in and out carry no token; the Origin check above covers them.
            let exempt = matches!(path.as_str(), "/login" | "/logout" | "/api/session");
            if !exempt && presented.as_deref() != Some(s.csrf_token.as_str()) {
                return csrf_rejection(&path);
            }
        }
    }
    if session.as_ref().is_some_and(|s| s.must_change_password) && !allowed_before_change(&path) {
        return if path.starts_with("/api/") {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "请先修改一次性初始密码（POST /api/me/password）",
            )
            .into_response()
        } else {
            Redirect::to("/account/password").into_response()
        };
    }
    if let Some(t) = token {
        req.extensions_mut().insert(SessionToken(t));
    }
    if let Some(s) = session {
        req.extensions_mut().insert(s);
    }
    next.run(req).await
}

/// What an account with a one-time password may reach: changing it, logging out, and the
/// files the password page needs.
fn allowed_before_change(path: &str) -> bool {
    matches!(
        path,
        "/api/me"
            | "/api/me/password"
            | "/api/session"
            | "/account/password"
            | "/logout"
            | "/healthz"
    ) || path.starts_with("/static/")
}

fn form_urlencoded_value(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

/// The logged-in account, for API handlers (401 otherwise).
pub struct ApiAuth(pub SessionInfo);

impl<S: Send + Sync> FromRequestParts<S> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SessionInfo>()
            .cloned()
            .map(ApiAuth)
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// The logged-in account, for pages (redirect to the login page otherwise).
pub struct PageAuth(pub SessionInfo);

impl<S: Send + Sync> FromRequestParts<S> for PageAuth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SessionInfo>()
            .cloned()
            .map(PageAuth)
            .ok_or_else(|| Redirect::to("/login").into_response())
    }
}

/// Optional session, for pages that serve both states.
pub struct MaybeAuth(pub Option<SessionInfo>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuth {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuth(parts.extensions.get::<SessionInfo>().cloned()))
    }
}
