//! The frame of the OpenAPI document: its title, the security schemes, the error envelope and
//! the error answers operations share. The paths themselves are collected from the handlers'
//! annotations by the router in [`crate::api::router`], so routes and documentation are one list.

use std::collections::BTreeMap;

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use wangqian_domain::lifecycle::{AgreementState, DestinationState};

/// The security scheme of the session cookie (`wq_session`, set by `login`).
pub const SESSION: &str = "session";
/// The security scheme of the `X-CSRF-Token` header every state-changing request carries.
pub const CSRF: &str = "csrf";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wangqian 网签 API",
        description = "毕业生就业协议书网上签约系统。登录（login）后，每个修改状态的请求须带 `X-CSRF-Token` 头（值为登录应答中的 csrf_token）。错误统一为 `{\"error\": {\"code\", \"message\", \"fields\"}}`。"
    ),
    modifiers(&SecuritySchemes),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        crate::error::FieldErrorBody,
        // The `data` part of a destination registration is a JSON string: listed so that its
        // fields (place_region among them) are described.
        wangqian_store::lifecycle::destinations::RegisterDestination,
    ))
)]
struct Frame;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "登录（login）或绑定（bind_graduate）应答设置的会话 Cookie（HttpOnly）",
            ))),
        );
        components.add_security_scheme(
            CSRF,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "登录应答中的 csrf_token；已登录时每个 POST、PUT、DELETE 请求都须带上",
            ))),
        );
    }
}

/// The document's frame, before the router adds the paths.
pub fn frame() -> utoipa::openapi::OpenApi {
    Frame::openapi()
}

fn describe(status: u16) -> &'static str {
    match status {
        400 => "请求格式不正确：JSON 无法解析或有未知字段、查询或路径参数不正确、Idempotency-Key 不合规、Content-Type 不对",
        401 => "未登录、会话已过期或账号密码不正确",
        403 => "角色无权操作、CSRF 校验失败，或须先修改一次性初始密码（password_change_required）",
        404 => "记录不存在或不在可见范围内",
        409 => "当前状态不允许、版本已过期，或 Idempotency-Key 已用于另一操作",
        413 => "上传内容过大",
        422 => "字段校验未通过（fields 列出每个问题）",
        423 => "账号已临时锁定（连续输错密码）",
        429 => "请求过于频繁",
        503 => "系统繁忙或数据库不可用，请稍后再试",
        _ => "错误",
    }
}

fn error_response(status: u16) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(describe(status))
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// Declares a set of error answers (each the `ErrorBody` envelope) for `responses(...)`.
macro_rules! error_set {
    ($($(#[$doc:meta])* $name:ident = [$($status:literal),+];)+) => {$(
        $(#[$doc])*
        pub struct $name;
        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                [$($status),+]
                    .into_iter()
                    .map(|s: u16| (s.to_string(), error_response(s)))
                    .collect()
            }
        }
    )+};
}

error_set! {
    /// Any request: a logged-in account with a one-time password is refused (403) everywhere
    /// but a few paths, and the session lookup needs the database (503).
    Public = [403, 503];
    /// Every operation that needs a session.
    Session = [401, 403, 503];
    /// A JSON or multipart body, a query or path parameter, or the `Idempotency-Key` header
    /// that does not parse.
    BadRequest = [400];
    NotFound = [404];
    Conflict = [409];
    Unprocessable = [422];
    TooLarge = [413];
    Locked = [423];
    TooMany = [429];
}

fn code_schema(values: Vec<&'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .into()
}

/// Declares a string schema limited to a set of codes, for a query parameter or form part
/// (`#[param(value_type = Option<Code>, inline)]`).
macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $values:expr;)+) => {$(
        $(#[$doc])*
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                code_schema($values)
            }
        }
        impl utoipa::ToSchema for $name {}
    )+};
}

codes! {
    /// An agreement state, e.g. `signed`, `effective`, `expired`.
    AgreementStateCode = AgreementState::ALL.iter().map(|s| s.as_str()).collect();
    AgreementKindCode = vec!["online", "paper"];
    DestinationStateCode = DestinationState::ALL.iter().map(|s| s.as_str()).collect();
    VerificationStatusCode = vec!["pending", "verified", "rejected"];
    SheetFormat = vec!["xlsx", "csv"];
    TemplateKindCode = vec!["online", "paper", "termination"];
    SignatureKindCode = vec!["graduate_signature", "employer_signature", "employer_seal"];
}
