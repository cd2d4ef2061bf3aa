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
use wangqian_store::AgreementId;
use wangqian_store::{Page, ServiceError};

use super::error::{form_page, same_name, FormErrors, PageResult};
use super::{bar, render, PageForm, UserBar};
use crate::api::{self, PrintQuery};
use crate::auth::{cookie_value, MaybeAuth, PageAuth};
use crate::headers::content_disposition;
use crate::AppState;

/// 下载 / 打印 from the agreement page (the API's document, errors as a page).
pub(super) async fn pdf(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
    Query(q): Query<api::PdfQuery>,
) -> PageResult {
    let (pdf, name) =
        api::sealed_document(&state, &s.actor, &id, Want::Agreement, Delivery::Download).await?;
    Ok(pdf_page_response(
        pdf.bytes,
        &name,
        q.inline.as_deref() == Some("1"),
    ))
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
    Path(id): Path<AgreementId>,
) -> PageResult {
    let (pdf, name) = api::sealed_document(
        &state,
        &s.actor,
        &id,
        Want::TerminationForm,
        Delivery::NotCounted,
    )
    .await?;
    Ok(pdf_page_response(pdf.bytes, &name, false))
}

pub(super) async fn evidence(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<AgreementId>,
) -> PageResult {
    let (bytes, name) = api::evidence_package(&state, &s.actor, &id).await?;
    Ok((
        [
            (CONTENT_TYPE, "application/zip".to_string()),
            (CONTENT_DISPOSITION, content_disposition(false, &name)),
        ],
        bytes,
    )
        .into_response())
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
) -> PageResult {
    let v = api::check_token(&state, &addr, &token).await?;
    Ok(render(&CheckPage {
        user: s.as_ref().and_then(bar),
        v,
        fingerprint: state.documents.public().fingerprint(),
    }))
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
) -> PageResult {
    let images = documents::signature_images(&state.store, &s.actor).await?;
    Ok(render(&SignaturePage {
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
    }))
}

pub(super) async fn signature_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    mp: Multipart,
) -> PageResult {
    let saved = api::signature_image_from_form(&state, &s.actor, mp).await?;
    Ok(Redirect::to(&format!("/account/signature?saved={}", saved.kind)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Template)]
#[template(path = "templates.html")]
struct TemplatesPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: FormErrors,
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
    errors: FormErrors,
    f_kind: String,
    f_year: String,
) -> Response {
    let page = TemplatesPage {
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
    };
    form_page(&page, &page.errors)
}

pub(super) async fn templates(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let rows = documents::list_templates(&state.store, &s.actor).await?;
    let notice = q
        .saved
        .as_deref()
        .and_then(TemplateKind::parse)
        .map(|k| format!("{}模板已通过示例渲染并启用。", k.label()))
        .unwrap_or_default();
    Ok(templates_page(
        &s,
        rows,
        notice,
        FormErrors::default(),
        "online".into(),
        "2027".into(),
    ))
}

pub(super) async fn templates_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    mp: Multipart,
) -> PageResult {
    let mut form = crate::uploads::read_form(mp, state.config.max_upload_mib).await?;
    // What was chosen comes back with the errors; the file itself must be chosen again.
    let (f_kind, f_year) = (form.text("kind"), form.text("graduation_year"));
    match api::template_from_form(&state, &s.actor, &mut form).await {
        Ok(saved) => {
            Ok(Redirect::to(&format!("/school/templates?saved={}", saved.kind)).into_response())
        }
        Err(e) => {
            let errors = FormErrors::from_api(e, same_name)?;
            let rows = documents::list_templates(&state.store, &s.actor).await?;
            Ok(templates_page(
                &s,
                rows,
                String::new(),
                errors,
                f_kind,
                f_year,
            ))
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
) -> PageResult {
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
    let page = documents::list_print_records(&state.store, &s.actor, &filter).await?;
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
    Ok(render(&PrintsPage {
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
    }))
}

// ---------------------------------------------------------------------------------------------
// Self-service printing

/// The PC's claim on its code, kept in a cookie scoped to /print for the code's 5 minutes.
const PRINT_COOKIE: &str = "wq_print";
const PRINT_COOKIE_SPENT: &str = "wq_print=; Path=/print; Max-Age=0";

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
) -> PageResult {
    let user = s.as_ref().and_then(bar);
    let Some(secret) = cookie_value(&headers, PRINT_COOKIE).filter(|v| !v.is_empty()) else {
        return Ok(no_code_yet(user));
    };
    let status = match documents::print_code_status(&state.store, &secret).await {
        Ok(st) => st,
        // An expired or spent code: the PC starts afresh.
        Err(ServiceError::NotFound(_)) => return Ok(no_code_yet(user)),
        Err(e) => return Err(e.into()),
    };
    let confirm_url = format!(
        "{}/print/confirm?code={}",
        state.documents.public_url(),
        status.code
    );
    Ok(render(&PrintPcPage {
        user,
        qr_svg: wangqian_document::qr_svg(&confirm_url),
        expires: super::china_time(status.expires_at),
        status: status.status.to_string(),
        code: status.code,
        confirm_url,
    }))
}

pub(super) async fn print_pc_new(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
) -> PageResult {
    let c = api::new_print_code(&state, &addr).await?;
    Ok((
        [(
            SET_COOKIE,
            format!(
                "{PRINT_COOKIE}={}; Path=/print; HttpOnly; SameSite=Strict; Max-Age=300",
                c.secret
            ),
        )],
        Redirect::to("/print"),
    )
        .into_response())
}

pub(super) async fn print_pc_pdf(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    let Some(secret) = cookie_value(&headers, PRINT_COOKIE) else {
        return Ok(Redirect::to("/print").into_response());
    };
    let mut r = api::print_code_pdf(&state, &secret).await?;
    // The code is spent: the next visit starts afresh.
    r.headers_mut().append(
        SET_COOKIE,
        axum::http::HeaderValue::from_static(PRINT_COOKIE_SPENT),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "print_confirm.html")]
struct PrintConfirmPage {
    user: Option<UserBar>,
    csrf: String,
    code: String,
    errors: FormErrors,
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
) -> PageResult {
    let agreements = documents::printable_agreements(&state.store, &s.actor).await?;
    let mut errors = FormErrors::default();
    if agreements.is_empty() {
        errors.add_general(
            "你目前没有可以打印的协议书：协议经学校审核通过（已生效）后才能自助打印。",
        );
    }
    Ok(render(&PrintConfirmPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        code: q.code.unwrap_or_default(),
        errors,
        done: false,
        agreements,
    }))
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
) -> PageResult {
    let agreements = documents::printable_agreements(&state.store, &s.actor).await?;
    let agreement_id = f
        .agreement_id
        .filter(|a| !a.is_empty())
        .or_else(|| agreements.first().map(|a| a.0.clone()))
        .unwrap_or_default();
    let r = documents::confirm_print_code(
        &state.store,
        &s.actor,
        &f.code,
        &agreement_id.as_str().into(),
    )
    .await;
    let (done, errors) = match r {
        Ok(()) => (true, FormErrors::default()),
        Err(e) => (false, FormErrors::from_service(e, same_name)?),
    };
    let page = PrintConfirmPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        code: f.code,
        errors,
        done,
        agreements,
    };
    Ok(form_page(&page, &page.errors))
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
