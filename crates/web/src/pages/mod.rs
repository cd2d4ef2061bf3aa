//! Server-rendered Chinese pages over the same services as the API, one module per feature;
//! this one holds the router and what every page shares.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use wangqian_store::accounts::SessionInfo;
use wangqian_store::ServiceError;

use crate::AppState;

mod account;
mod agreements;
mod attestation;
mod auth;
mod destinations;
mod documents;
mod employer;
pub mod error;
mod home;
mod messages;
mod province;
mod record;
mod school;
mod signing;
mod signing_defaults;
pub mod static_files;
pub(crate) mod terms_form;
mod verify;

pub use error::{FormErrors, PageError, PageResult};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(static_files::routes())
        .route("/", get(home::home))
        .route("/login", get(auth::login_form).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/bind", get(auth::bind_form).post(auth::bind_submit))
        .route(
            "/account/password",
            get(auth::password_form).post(auth::password_submit),
        )
        .route(
            "/register",
            get(employer::register_form).post(employer::register_submit),
        )
        .route("/school/graduates", get(school::graduate_list))
        .route("/school/graduates/{id}/unbind", post(school::unbind))
        .route("/school/graduates/review", post(school::roster_review))
        .route(
            "/school/imports",
            get(school::imports).post(school::import_submit),
        )
        .route("/school/imports/{id}", get(school::import_progress))
        .route(
            "/school/staff",
            get(school::staff).post(school::staff_create),
        )
        .route("/school/staff/{id}/active", post(school::staff_active))
        .route(
            "/school/settings",
            get(school::settings_form).post(school::settings_submit),
        )
        .route("/verify", get(verify::verify_list))
        .route("/verify/{id}", post(verify::verify_submit))
        .route(
            "/employer/members/{id}/decision",
            post(employer::member_decision),
        )
        .route("/employer/signing", get(signing::show))
        .route("/employer/signing/find", post(signing::find_submit))
        .route("/employer/signing/remove", post(signing::remove))
        .route("/employer/signing/import", post(signing::import_submit))
        .route("/employer/signing/send", post(signing::send_submit))
        .route("/employer/signing/preview", post(signing::preview_submit))
        .route("/employer/signing/back", post(signing::back_submit))
        .route("/agreements", get(agreements::list))
        .route("/agreements/{id}", get(agreements::detail))
        .route("/agreements/{id}/accept", post(agreements::accept))
        .route("/agreements/{id}/act", post(agreements::act))
        .route("/agreements/{id}/attestation", post(attestation::submit))
        .route(
            "/agreements/{id}/terms",
            get(agreements::terms_form).post(agreements::terms_submit),
        )
        .route(
            "/agreements/{id}/termination",
            post(agreements::termination_submit),
        )
        .route(
            "/agreements/{id}/signed-scan",
            post(agreements::scan_submit),
        )
        .route(
            "/paper/new",
            get(agreements::paper_new).post(agreements::paper_submit),
        )
        .route("/paper/{id}/edit", get(agreements::paper_edit))
        .route("/agreements/{id}/pdf", get(documents::pdf))
        .route(
            "/agreements/{id}/termination-form",
            get(documents::termination_form),
        )
        .route("/agreements/{id}/evidence", get(documents::evidence))
        .route("/v/{token}", get(documents::check))
        .route(
            "/account/signature",
            get(documents::signature).post(documents::signature_submit),
        )
        .route(
            "/school/templates",
            get(documents::templates).post(documents::templates_submit),
        )
        .route("/school/prints", get(documents::prints))
        .route(
            "/print",
            get(documents::print_pc).post(documents::print_pc_new),
        )
        .route("/print/pdf", get(documents::print_pc_pdf))
        .route(
            "/print/confirm",
            get(documents::print_confirm).post(documents::print_confirm_submit),
        )
        .route("/messages", get(messages::list))
        .route("/messages/{id}/open", post(messages::open))
        .route("/destinations", get(destinations::list))
        .route(
            "/destinations/new",
            get(destinations::new_form).post(destinations::new_submit),
        )
        .route("/destinations/{id}", get(destinations::detail))
        .route("/destinations/{id}/act", post(destinations::act))
        .route(
            "/destinations/{id}/release",
            post(destinations::release_submit),
        )
        .route(
            "/province/schools",
            get(province::schools).post(province::schools_submit),
        )
        .route(
            "/province/schools/{id}",
            get(province::school).post(province::school_submit),
        )
        .route(
            "/province/schools/{id}/admins",
            post(province::admin_submit),
        )
        .route(
            "/province/schools/{id}/admins/{account_id}/active",
            post(province::admin_active),
        )
        .route(
            "/province/schools/{id}/admins/{account_id}/password-reset",
            post(province::admin_password_reset),
        )
        .route("/school/profile", get(province::own_school))
        .route("/school/org-units", post(province::unit_submit))
        .route(
            "/account/unbind",
            get(account::unbind).post(account::unbind_submit),
        )
        .route(
            "/account/record",
            get(record::show).post(record::confirm_submit),
        )
        .route(
            "/account/record/correction",
            post(record::correction_submit),
        )
        .route("/school/corrections", get(record::corrections))
        .route(
            "/school/corrections/{id}/review",
            post(record::review_submit),
        )
        .route(
            "/account/contact",
            get(province::contact).post(province::contact_submit),
        )
        .route("/school/org-units/{id}", post(province::unit_rename))
        .route(
            "/school/org-units/{id}/signing",
            post(province::unit_signing),
        )
        .route(
            "/school/staff/{id}/password-reset",
            post(school::staff_password_reset),
        )
        .route(
            "/school/graduates/{id}/password-reset",
            post(school::graduate_password_reset),
        )
        .route(
            "/school/graduates/{id}/signing-lock",
            post(school::signing_lock),
        )
        .route(
            "/employer/signing-defaults",
            get(signing_defaults::show).post(signing_defaults::submit),
        )
        .route(
            "/register/join",
            get(employer::join_form).post(employer::join_submit),
        )
        .route("/employer/members", get(employer::members))
        .route(
            "/employer/members/{id}/remove",
            post(employer::member_remove),
        )
        .route(
            "/employer/members/{id}/manager",
            post(employer::member_make_manager),
        )
        .route(
            "/employer/profile",
            get(employer::profile).post(employer::profile_submit),
        )
        .route(
            "/employer/profile/certification",
            post(employer::certification_submit),
        )
        .route(
            "/employer/schools",
            get(employer::schools).post(employer::schools_submit),
        )
        .route("/employer/profile/logo", post(employer::logo_submit))
        .route("/province/employers", get(province::employers_list))
        .route("/province/employers/{id}", get(province::employer))
        .route(
            "/province/employers/{id}/members/{account_id}/password-reset",
            post(province::employer_password_reset),
        )
        .route(
            "/province/employers/{id}/certification-changes/{change_id}/decision",
            post(province::certification_decision),
        )
        // Inside the session layer: error pages show who is logged in.
        .layer(axum::middleware::from_fn(error::with_user_bar))
}

pub struct UserBar {
    pub role: &'static str,
    pub role_label: &'static str,
    pub display_name: String,
    pub csrf: String,
}

fn bar(s: &SessionInfo) -> Option<UserBar> {
    Some(UserBar {
        role: s.actor.role.as_str(),
        role_label: s.actor.role.label(),
        display_name: s.display_name.clone(),
        csrf: s.csrf_token.clone(),
    })
}

/// Renders a page; a template error becomes a logged 500, never a panic.
fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "template render failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<p>页面出错，请稍后重试。</p>".to_string()),
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    user: Option<UserBar>,
    heading: String,
    text: String,
    link: String,
    link_text: String,
}

/// The one-time key of a multipart page form, which rides in the query beside `_csrf`.
#[derive(serde::Deserialize)]
struct UploadQuery {
    #[serde(rename = "_idem")]
    idem: Option<String>,
}

/// The key rendered into a form, for one action of it: a double click or a refresh acts once,
/// and two different buttons of one page never share a key.
fn page_idem(
    raw: Option<&str>,
    action: &str,
) -> Result<Option<wangqian_store::lifecycle::IdemKey>, ServiceError> {
    match raw.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => {
            wangqian_store::lifecycle::IdemKey::parse(&format!("page.{k}.{action}")).map(Some)
        }
    }
}

/// `Form<T>` whose rejections (a missing or malformed field) show a Chinese page, not axum's text.
struct PageForm<T>(T);

impl<S, T> axum::extract::FromRequest<S> for PageForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match <Form<T> as axum::extract::FromRequest<S>>::from_request(req, state).await {
            Ok(Form(v)) => Ok(PageForm(v)),
            Err(e) => Err(PageError::bad_request(format!(
                "表单内容不完整或格式不正确，请返回检查后重新提交（{}）",
                e.body_text()
            ))),
        }
    }
}

/// A multipart page form read for what was typed, while the same body goes on to the service
/// that handles it: a refused form then comes back filled in (all but its files).
async fn kept_multipart(
    req: axum::extract::Request,
    max_mib: usize,
) -> Result<(crate::uploads::Form, axum::extract::Multipart), PageError> {
    use axum::extract::FromRequest;
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, max_mib * 1024 * 1024 + 64 * 1024)
        .await
        .map_err(|_| crate::error::ApiError::payload_too_large(max_mib))?;
    let copy = |parts: &axum::http::request::Parts| {
        let mut r = axum::extract::Request::new(axum::body::Body::from(bytes.clone()));
        *r.headers_mut() = parts.headers.clone();
        // Carries the configured upload limit (DefaultBodyLimit) to the copies.
        *r.extensions_mut() = parts.extensions.clone();
        r
    };
    let unreadable = |e: axum::extract::multipart::MultipartRejection| {
        PageError::bad_request(format!("上传内容无法解析：{}", e.body_text()))
    };
    let typed = axum::extract::Multipart::from_request(copy(&parts), &())
        .await
        .map_err(unreadable)?;
    let typed = crate::uploads::read_form(typed, max_mib).await?;
    let service = axum::extract::Multipart::from_request(copy(&parts), &())
        .await
        .map_err(unreadable)?;
    Ok((typed, service))
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

fn notice_text(key: Option<&str>) -> String {
    match key {
        Some("bound") => "绑定成功，欢迎使用网签系统。".into(),
        Some("registered") => {
            "注册成功：请等待平台和学校管理员审核，审核通过后即可进行网上签约。".into()
        }
        Some("saved") => "已保存。".into(),
        Some("unbound") => "已解除绑定。".into(),
        Some("released") => "已解除绑定，学校已收到通知。请用正确的学校、学号重新绑定。".into(),
        Some("locked") => "已暂停该毕业生的网签，用人单位将看到填写的原因。".into(),
        Some("unlocked") => "已恢复该毕业生的网签。".into(),
        Some("decided") => "已处理。".into(),
        Some("member_removed") => "已移除该成员，其登录已全部退出。".into(),
        Some("manager_transferred") => "管理员已移交，您现在是经办人。".into(),
        Some("logo_saved") => "单位标志已更新。".into(),
        Some("certification_requested") => {
            "认证信息修改已提交，平台审核通过前仍按原认证信息签约。".into()
        }
        _ => String::new(),
    }
}

pub(crate) fn china_time(at: wangqian_store::Millis) -> String {
    time::OffsetDateTime::from_unix_timestamp(at.get() / 1000 + 8 * 3600)
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}
