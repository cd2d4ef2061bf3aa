//! Pages of the agreement document: download and print, the public QR check (/v/{token}),
//! signature and seal images, the school's templates and print management, and self-service
//! printing (a PC shows a code, the graduate confirms it on the phone).

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wangqian_document::TemplateKind;
use wangqian_store::documents::{
    self, Delivery, PrintRow, SignatureImage, TemplateRow, VerifyView, Want,
};
use wangqian_store::lifecycle::views;
use wangqian_store::{Page, ServiceError};

use super::{bar, error_page, field_error_page, render, PageForm, UserBar};
use crate::api::{self, PrintQuery};
use crate::auth::{cookie_value, MaybeAuth, PageAuth};
use crate::headers::content_disposition;
use crate::AppState;

/// 下载 / 打印 from the agreement page (the API's document, errors as a page).
pub(super) async fn pdf(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    Query(q): Query<api::PdfQuery>,
) -> Response {
    match api::sealed_document(&state, &s.actor, &id, Want::Agreement, Delivery::Download).await {
        Ok((pdf, name)) => pdf_page_response(pdf.bytes, &name, q.inline.as_deref() == Some("1")),
        Err(e) => error_page(bar(&s), e),
    }
}

fn pdf_page_response(bytes: Vec<u8>, name: &str, inline: bool) -> Response {
    (
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (CONTENT_DISPOSITION, content_disposition(inline, name)),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

pub(super) async fn termination_form(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
) -> Response {
    match api::sealed_document(
        &state,
        &s.actor,
        &id,
        Want::TerminationForm,
        Delivery::NotCounted,
    )
    .await
    {
        Ok((pdf, name)) => pdf_page_response(pdf.bytes, &name, false),
        Err(e) => error_page(bar(&s), e),
    }
}

pub(super) async fn evidence(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
) -> Response {
    match api::evidence_package(&state, &s.actor, &id).await {
        Ok((bytes, name)) => (
            [
                (CONTENT_TYPE, "application/zip".to_string()),
                (CONTENT_DISPOSITION, content_disposition(false, &name)),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(bar(&s), e),
    }
}

// ---------------------------------------------------------------------------------------------
// The public check

#[derive(Template)]
#[template(path = "check.html")]
struct CheckPage {
    user: Option<UserBar>,
    v: VerifyView,
    fingerprint: String,
}

pub(super) async fn check(
    State(state): State<AppState>,
    MaybeAuth(s): MaybeAuth,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
) -> Response {
    let user = s.as_ref().and_then(bar);
    match api::check_token(&state, &addr, &token).await {
        Ok(v) => render(&CheckPage {
            user,
            v,
            fingerprint: state.documents.public().fingerprint(),
        }),
        Err(e) => error_page(user, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Signature and seal images

#[derive(Template)]
#[template(path = "signature.html")]
struct SignaturePage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    /// (kind, label, current upload id)
    images: Vec<(&'static str, &'static str, String)>,
}

#[derive(Deserialize, Default)]
pub(super) struct NoticeQuery {
    saved: Option<String>,
}

pub(super) async fn signature(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let images = match documents::signature_images(&state.store, &s.actor).await {
        Ok(i) => i,
        Err(e) => return error_page(bar(&s), e),
    };
    render(&SignaturePage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        notice: q
            .saved
            .as_deref()
            .and_then(SignatureImage::parse)
            .map(|w| format!("{}已保存，之后生成的协议书都将使用新的图片。", w.label()))
            .unwrap_or_default(),
        images: images
            .into_iter()
            .map(|(w, id)| (w.as_str(), w.label(), id.unwrap_or_default()))
            .collect(),
    })
}

pub(super) async fn signature_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    mp: Multipart,
) -> Response {
    match api::signature_image_from_form(&state, &s.actor, mp).await {
        Ok(saved) => {
            Redirect::to(&format!("/account/signature?saved={}", saved.kind)).into_response()
        }
        Err(e) => field_error_page(&s, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Template)]
#[template(path = "templates.html")]
struct TemplatesPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: Vec<String>,
    rows: Vec<TemplateRow>,
    kinds: Vec<(&'static str, &'static str)>,
    f_kind: String,
    f_year: String,
    is_province: bool,
}

fn templates_page(
    s: &wangqian_store::accounts::SessionInfo,
    rows: Vec<TemplateRow>,
    notice: String,
    errors: Vec<String>,
    f_kind: String,
    f_year: String,
) -> Response {
    let failed = !errors.is_empty();
    let mut r = render(&TemplatesPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice,
        errors,
        rows,
        kinds: TemplateKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        f_kind,
        f_year,
        is_province: s.actor.role == wangqian_domain::role::Role::ProvincialAdmin,
    });
    if failed {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub(super) async fn templates(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let rows = match documents::list_templates(&state.store, &s.actor).await {
        Ok(r) => r,
        Err(e) => return error_page(bar(&s), e),
    };
    let notice = q
        .saved
        .as_deref()
        .and_then(TemplateKind::parse)
        .map(|k| format!("{}模板已通过示例渲染并启用。", k.label()))
        .unwrap_or_default();
    templates_page(&s, rows, notice, Vec::new(), "online".into(), "2027".into())
}

pub(super) async fn templates_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    mp: Multipart,
) -> Response {
    let mut form = match crate::uploads::read_form(mp, state.config.max_upload_mib).await {
        Ok(f) => f,
        Err(e) => return field_error_page(&s, e),
    };
    // What was chosen comes back with the errors; the file itself must be chosen again.
    let (f_kind, f_year) = (form.text("kind"), form.text("graduation_year"));
    match api::template_from_form(&state, &s.actor, &mut form).await {
        Ok(saved) => {
            Redirect::to(&format!("/school/templates?saved={}", saved.kind)).into_response()
        }
        Err(e) => {
            if e.status == axum::http::StatusCode::FORBIDDEN {
                return error_page(bar(&s), e);
            }
            let rows = documents::list_templates(&state.store, &s.actor)
                .await
                .unwrap_or_default();
            let errors = if e.fields.is_empty() {
                vec![e.message]
            } else {
                e.fields.into_iter().map(|f| f.message).collect()
            };
            templates_page(&s, rows, String::new(), errors, f_kind, f_year)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Print management

#[derive(Template)]
#[template(path = "prints.html")]
struct PrintsPage {
    user: Option<UserBar>,
    page: Page<PrintRow>,
    pages: i64,
    states: Vec<(&'static str, &'static str)>,
    f_state: String,
    f_keyword: String,
    f_unprinted: bool,
    query: String,
}

#[derive(Deserialize, Default)]
pub(super) struct PrintsQuery {
    state: Option<String>,
    keyword: Option<String>,
    unprinted: Option<String>,
    page: Option<i64>,
}

pub(super) async fn prints(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<PrintsQuery>,
) -> Response {
    let unprinted = q.unprinted.as_deref() == Some("1");
    let filter = api::print_filter(PrintQuery {
        state: q.state.clone(),
        graduation_year: None,
        department_id: None,
        keyword: q.keyword.clone(),
        unprinted: Some(unprinted),
        page: q.page,
        per_page: Some(20),
    });
    let page = match documents::list_print_records(&state.store, &s.actor, &filter).await {
        Ok(p) => p,
        Err(e) => return error_page(bar(&s), e),
    };
    use wangqian_domain::lifecycle::AgreementState as S;
    let enc = |v: &str| {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let f_state = q.state.unwrap_or_default();
    let f_keyword = q.keyword.unwrap_or_default();
    render(&PrintsPage {
        user: bar(&s),
        pages: page.pages().max(1),
        page,
        states: [
            S::Effective,
            S::AmendmentPending,
            S::AmendmentReview,
            S::TerminationRequested,
            S::TerminationReview,
            S::Terminated,
        ]
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect(),
        query: format!(
            "state={}&keyword={}&unprinted={}",
            enc(&f_state),
            enc(&f_keyword),
            if unprinted { "1" } else { "" }
        ),
        f_state,
        f_keyword,
        f_unprinted: unprinted,
    })
}

// ---------------------------------------------------------------------------------------------
// Self-service printing

/// The PC's claim on its code, kept in a cookie scoped to /print for the code's 5 minutes.
const PRINT_COOKIE: &str = "wq_print";

#[derive(Template)]
#[template(path = "print_pc.html")]
struct PrintPcPage {
    user: Option<UserBar>,
    /// waiting / confirmed / used / expired, or empty before a code exists.
    status: String,
    code: String,
    qr_svg: String,
    confirm_url: String,
    expires: String,
}

/// The PC page before it holds a code: the button that asks for one.
fn no_code_yet(user: Option<UserBar>) -> Response {
    render(&PrintPcPage {
        user,
        status: String::new(),
        code: String::new(),
        qr_svg: String::new(),
        confirm_url: String::new(),
        expires: String::new(),
    })
}

/// The PC page: a button that asks for a code, then the code and its QR while waiting (the page
/// refreshes itself), then the 打印 link once the graduate confirms.
pub(super) async fn print_pc(
    State(state): State<AppState>,
    MaybeAuth(s): MaybeAuth,
    headers: axum::http::HeaderMap,
) -> Response {
    let user = s.as_ref().and_then(bar);
    let Some(secret) = cookie_value(&headers, PRINT_COOKIE).filter(|v| !v.is_empty()) else {
        return no_code_yet(user);
    };
    let status = match documents::print_code_status(&state.store, &secret).await {
        Ok(st) => st,
        Err(ServiceError::NotFound(_)) => return no_code_yet(user),
        Err(e) => return error_page(user, e),
    };
    let confirm_url = format!(
        "{}/print/confirm?code={}",
        state.documents.public_url(),
        status.code
    );
    render(&PrintPcPage {
        user,
        qr_svg: wangqian_document::qr_svg(&confirm_url),
        expires: super::china_time(status.expires_at),
        status: status.status.to_string(),
        code: status.code,
        confirm_url,
    })
}

pub(super) async fn print_pc_new(
    State(state): State<AppState>,
    MaybeAuth(s): MaybeAuth,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
) -> Response {
    match api::new_print_code(&state, &addr).await {
        Ok(c) => (
            [(
                SET_COOKIE,
                format!(
                    "{PRINT_COOKIE}={}; Path=/print; HttpOnly; SameSite=Strict; Max-Age=300",
                    c.secret
                ),
            )],
            Redirect::to("/print"),
        )
            .into_response(),
        Err(e) => error_page(s.as_ref().and_then(bar), e),
    }
}

pub(super) async fn print_pc_pdf(
    State(state): State<AppState>,
    MaybeAuth(s): MaybeAuth,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(secret) = cookie_value(&headers, PRINT_COOKIE) else {
        return Redirect::to("/print").into_response();
    };
    match api::print_code_pdf(&state, &secret).await {
        Ok(mut r) => {
            // The code is spent: the next visit starts afresh.
            if let Ok(v) = format!("{PRINT_COOKIE}=; Path=/print; Max-Age=0").parse() {
                r.headers_mut().append(SET_COOKIE, v);
            }
            r
        }
        Err(e) => error_page(s.as_ref().and_then(bar), e),
    }
}

#[derive(Template)]
#[template(path = "print_confirm.html")]
struct PrintConfirmPage {
    user: Option<UserBar>,
    csrf: String,
    code: String,
    errors: Vec<String>,
    done: bool,
    /// (agreement id, number, employer)
    agreements: Vec<(String, String, String)>,
}

#[derive(Deserialize, Default)]
pub(super) struct ConfirmQuery {
    code: Option<String>,
}

pub(super) async fn print_confirm(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<ConfirmQuery>,
) -> Response {
    let agreements = match documents::printable_agreements(&state.store, &s.actor).await {
        Ok(a) => a,
        Err(e) => return error_page(bar(&s), e),
    };
    let errors = if agreements.is_empty() {
        vec!["你目前没有可以打印的协议书：协议经学校审核通过（已生效）后才能自助打印。".to_string()]
    } else {
        Vec::new()
    };
    render(&PrintConfirmPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        code: q.code.unwrap_or_default(),
        errors,
        done: false,
        agreements,
    })
}

#[derive(Deserialize)]
pub(super) struct ConfirmForm {
    code: String,
    agreement_id: Option<String>,
}

pub(super) async fn print_confirm_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<ConfirmForm>,
) -> Response {
    let agreements = documents::printable_agreements(&state.store, &s.actor)
        .await
        .unwrap_or_default();
    let agreement_id = f
        .agreement_id
        .filter(|a| !a.is_empty())
        .or_else(|| agreements.first().map(|a| a.0.clone()))
        .unwrap_or_default();
    let r = documents::confirm_print_code(&state.store, &s.actor, &f.code, &agreement_id).await;
    let (done, errors) = match r {
        Ok(()) => (true, Vec::new()),
        Err(e) => (false, super::messages(e)),
    };
    let failed = !done;
    let mut resp = render(&PrintConfirmPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        code: f.code,
        errors,
        done,
        agreements,
    });
    if failed {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

/// Whether the agreement page offers 下载/打印, the termination form and the evidence package.
pub(super) struct DocumentLinks {
    pub can_print: bool,
    pub print_refusal: String,
    pub can_termination_form: bool,
    pub can_evidence: bool,
}

pub(super) fn links_for(a: &views::AgreementDetail) -> DocumentLinks {
    use wangqian_domain::document as doc;
    use wangqian_domain::lifecycle::{AgreementKind, AgreementState};
    let kind = AgreementKind::parse(&a.kind).unwrap_or(AgreementKind::Online);
    let state = AgreementState::parse(&a.state).unwrap_or(AgreementState::Invited);
    let printable = doc::printable(kind, state, a.number.is_some());
    DocumentLinks {
        can_print: printable.is_ok(),
        print_refusal: printable.err().unwrap_or_default(),
        can_termination_form: doc::termination_form_available(kind, state).is_ok(),
        can_evidence: doc::evidence_available(kind, state, a.number.is_some()).is_ok(),
    }
}
