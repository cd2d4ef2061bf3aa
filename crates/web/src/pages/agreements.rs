//! Agreement pages: the list with to-do counts and filters, and one agreement with its terms,
//! versions, flow trail and the buttons the viewer may press (the same services as the API).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wangqian_domain::lifecycle::spec::{Confirm, Control, Need};
use wangqian_domain::lifecycle::{AgreementAction, AgreementState};
use wangqian_domain::role::Role;
use wangqian_domain::terms::PaperEmployer;
use wangqian_store::lifecycle::invitations::{self, AcceptInvitation, EditInvitation, Remark};
use wangqian_store::lifecycle::paper::{self, PaperAgreementInput, SubmitPaper};
use wangqian_store::lifecycle::review::{
    self, AmendmentAnswer, ProposeAmendment, ReviewDecision, TerminationAnswer,
};
use wangqian_store::lifecycle::views::{
    self, AgreementDetail, AgreementFilter, AgreementListRow, TodoCounts, TrailView,
};
use wangqian_store::{Page, ServiceError};

use super::terms_form::{TermsForm, POSITION_CATEGORIES};
use super::{
    bar, error_page, field_error_page, messages, page_idem, render, PageForm, UploadQuery, UserBar,
};
use crate::auth::PageAuth;
use crate::AppState;

#[derive(Template)]
#[template(path = "agreements.html")]
struct ListPage {
    user: Option<UserBar>,
    todo: TodoCounts,
    page: Page<AgreementListRow>,
    pages: i64,
    states: Vec<(&'static str, &'static str)>,
    f_state: String,
    f_keyword: String,
    f_mine: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    state: Option<String>,
    keyword: Option<String>,
    mine: Option<String>,
    page: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<ListQuery>,
) -> Response {
    let mine = q.mine.as_deref() == Some("1");
    let filter = AgreementFilter {
        state: q.state.clone(),
        keyword: q.keyword.clone(),
        awaiting_me: mine,
        page: q.page,
        per_page: Some(20),
        ..AgreementFilter::default()
    };
    let page = match views::list_agreements(&state.store, &s.actor, &filter).await {
        Ok(p) => p,
        Err(e) => return error_page(bar(&s), e),
    };
    let todo = views::todo_counts(&state.store, &s.actor)
        .await
        .unwrap_or_default();
    render(&ListPage {
        user: bar(&s),
        todo,
        pages: page.pages().max(1),
        page,
        states: AgreementState::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        f_state: q.state.unwrap_or_default(),
        f_keyword: q.keyword.unwrap_or_default(),
        f_mine: mine,
    })
}

struct TermRow {
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct DetailPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    a: AgreementDetail,
    terms: Vec<TermRow>,
    amendment: Vec<TermRow>,
    trail: TrailView,
    can_accept: bool,
    can_request_termination: bool,
    /// The viewer must attach the employer's stamped letter (a graduate's online request).
    termination_proof_required: bool,
    can_upload_scan: bool,
    can_edit_paper: bool,
    is_staff: bool,
    /// Actions that open the terms form: (action, link label).
    terms_links: Vec<(&'static str, &'static str)>,
    /// A fresh key per rendering: a double-clicked button acts once.
    idem: String,
    /// (action, button label, needs a reason, is the primary button)
    buttons: Vec<(&'static str, &'static str, bool, bool, String)>,
    deadline: String,
    docs: super::documents::DocumentLinks,
}

const TERM_LABELS: [(&str, &str); 14] = [
    ("position_category", "工作职位类别"),
    ("position", "拟聘用职位"),
    ("probation_months", "试用期（月）"),
    ("probation_salary_yuan", "试用起薪（元/月）"),
    ("regular_salary_yuan", "转正起薪（元/月）"),
    ("breach_penalty_yuan", "违约金（元）"),
    ("report_place", "报到地点"),
    ("report_deadline", "报到期限"),
    ("work_location", "实际工作地点"),
    ("contact_name", "签约联系人"),
    ("contact_phone", "联系电话"),
    ("archive_receiver", "档案接收"),
    ("household_receiver", "户口接收"),
    ("agreed_terms", "约定条款"),
];

fn term_rows(v: &serde_json::Value) -> Vec<TermRow> {
    if !v.is_object() {
        return Vec::new();
    }
    TERM_LABELS
        .iter()
        .map(|(k, label)| TermRow {
            label,
            value: match &v[*k] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            },
        })
        .collect()
}

/// The button of an action the record's page offers (its spec row says so): (action, label,
/// needs a reason, primary, the confirmation question of a dangerous one).
fn button(action: &str) -> Option<(&'static str, &'static str, bool, bool, String)> {
    let a = AgreementAction::parse(action)?;
    let spec = a.spec();
    let Control::Button { primary } = spec.control else {
        return None;
    };
    let question = if spec.confirm == Confirm::Dialog {
        format!("确定要{}吗？此操作会通知双方并记入流转记录。", spec.button)
    } else {
        String::new()
    };
    Some((
        a.as_str(),
        spec.button,
        spec.reason == Need::Required,
        primary,
        question,
    ))
}

#[derive(Deserialize, Default)]
pub(super) struct DetailQuery {
    notice: Option<String>,
}

pub(super) async fn detail(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let a = match views::get_agreement(&state.store, &s.actor, &id).await {
        Ok(a) => a,
        Err(e) => return error_page(bar(&s), e),
    };
    let trail = match views::get_agreement_trail(&state.store, &s.actor, &id).await {
        Ok(t) => t,
        Err(e) => return error_page(bar(&s), e),
    };
    let can = |action: &str| a.actions.iter().any(|x| x.action == action);
    let can_accept = can("accept");
    let can_request_termination = can("request_termination");
    let can_upload_scan = can("upload_signed_scan");
    let can_edit_paper = a.kind == "paper" && a.state == "draft" && s.actor.role == Role::Graduate;
    let terms_links = a
        .actions
        .iter()
        .filter_map(|x| terms_action(x.action).map(|(_, label)| (x.action, label)))
        .collect();
    let buttons = a.actions.iter().filter_map(|x| button(x.action)).collect();
    render(&DetailPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        // Only a known state code is shown, so that a crafted link cannot put words on the page.
        notice: q
            .notice
            .as_deref()
            .and_then(AgreementState::parse)
            .map(|st| format!("操作成功，当前状态：{}", st.label()))
            .unwrap_or_default(),
        termination_proof_required: s.actor.role == Role::Graduate,
        idem: wangqian_store::new_id(),
        can_request_termination,
        can_upload_scan,
        can_edit_paper,
        is_staff: matches!(s.actor.role, Role::SchoolAdmin | Role::DepartmentReviewer),
        terms_links,
        terms: term_rows(&a.terms),
        amendment: a
            .pending_amendment
            .as_ref()
            .map(term_rows)
            .unwrap_or_default(),
        deadline: a
            .deadline_at
            .map(wangqian_domain::lifecycle::deadline_label)
            .unwrap_or_default(),
        trail,
        can_accept,
        buttons,
        docs: super::documents::links_for(&a),
        a,
    })
}

#[derive(Deserialize)]
pub(super) struct AcceptForm {
    password: String,
    #[serde(rename = "_idem")]
    idem: Option<String>,
    agree: Option<String>,
    version: Option<i64>,
}

pub(super) async fn accept(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<AcceptForm>,
) -> Response {
    let input = AcceptInvitation {
        password: f.password,
        agree: f.agree.is_some(),
        version: f.version,
    };
    let key = match page_idem(f.idem.as_deref(), "accept") {
        Ok(k) => k,
        Err(e) => return error_page(bar(&s), e),
    };
    done(
        &s,
        &id,
        invitations::accept_invitation(
            &state.store,
            &s.actor,
            &id,
            input,
            &state.session_policy,
            key.as_ref(),
        )
        .await,
    )
}

#[derive(Deserialize)]
pub(super) struct ActForm {
    action: String,
    /// The second confirmation of 生成并提交 (paper agreements).
    confirm: Option<String>,
    #[serde(rename = "_idem")]
    idem: Option<String>,
    reason: Option<String>,
    version: Option<i64>,
}

pub(super) async fn act(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<ActForm>,
) -> Response {
    let key = match page_idem(f.idem.as_deref(), &f.action) {
        Ok(k) => k,
        Err(e) => return error_page(bar(&s), e),
    };
    let (st, a, version, k) = (&state.store, &s.actor, f.version, key.as_ref());
    let reason = f.reason.filter(|r| !r.trim().is_empty());
    let remark = || Remark {
        reason: reason.clone(),
        version,
    };
    let decision = |approve| ReviewDecision {
        approve,
        reason: reason.clone(),
        version,
    };
    let Some(action) = AgreementAction::parse(&f.action) else {
        return error_page(bar(&s), ServiceError::BadRequest("未知的操作".into()));
    };
    // Every action is named here, so that a new one does not compile until the page decides
    // how it is offered; the spec's `Control::Button` rows are the ones handled on this form.
    use AgreementAction as A;
    let result = match action {
        A::Reject => invitations::reject_invitation(st, a, &id, remark(), k).await,
        A::Withdraw => invitations::withdraw_invitation(st, a, &id, remark(), k).await,
        A::CancelSigning => invitations::cancel_signing(st, a, &id, remark(), k).await,
        A::ApproveSigning => review::review_agreement(st, a, &id, decision(true), k).await,
        A::RejectSigning => review::review_agreement(st, a, &id, decision(false), k).await,
        A::RevokeReview => review::revoke_review(st, a, &id, remark(), k).await,
        A::ConfirmAmendment | A::DeclineAmendment => {
            let answer = AmendmentAnswer {
                confirm: action == A::ConfirmAmendment,
                reason: reason.clone(),
                version,
            };
            review::confirm_amendment(st, a, &id, answer, k).await
        }
        A::WithdrawAmendment => review::withdraw_amendment(st, a, &id, remark(), k).await,
        A::AgreeTermination => {
            let answer = TerminationAnswer {
                agree: true,
                reason: reason.clone(),
                version,
            };
            review::answer_termination(st, a, &id, answer, k).await
        }
        A::CancelTermination => review::cancel_termination(st, a, &id, remark(), k).await,
        A::ApproveTermination => review::review_termination(st, a, &id, decision(true), k).await,
        A::RejectTermination => review::review_termination(st, a, &id, decision(false), k).await,
        A::ForceTerminate => review::force_terminate(st, a, &id, remark(), k).await,
        A::SubmitPaper => {
            let submit = SubmitPaper {
                confirm: f.confirm.is_some(),
                version,
            };
            paper::submit_paper_agreement(st, a, &id, submit, k).await
        }
        A::Invite
        | A::EditInvitation
        | A::Resend
        | A::Accept
        | A::Expire
        | A::ProposeAmendment
        | A::RequestTermination
        | A::CreateDraft
        | A::EditDraft
        | A::UploadSignedScan => Err(ServiceError::BadRequest(format!(
            "“{}”不在此处办理",
            action.label()
        ))),
    };
    done(&s, &id, result)
}

/// Post/redirect/get to the record with its new state: a refresh does not act again.
fn to_record(id: &str, state: &str) -> Response {
    Redirect::to(&format!("/agreements/{id}?notice={state}")).into_response()
}

fn done(
    s: &wangqian_store::accounts::SessionInfo,
    id: &str,
    r: Result<wangqian_store::lifecycle::Applied, ServiceError>,
) -> Response {
    match r {
        // Post/redirect/get: a refresh does not send the action again.
        Ok(applied) => to_record(id, &applied.state),
        Err(e) => error_page(bar(s), e),
    }
}

/// The actions whose form is the terms of the offer (spec `Control::TermsForm`): (what the
/// page is called, link label).
fn terms_action(action: &str) -> Option<(&'static str, &'static str)> {
    let spec = AgreementAction::parse(action)?.spec();
    (spec.control == Control::TermsForm).then_some((spec.words, spec.button))
}

#[derive(Template)]
#[template(path = "agreement_terms.html")]
struct TermsPage {
    user: Option<UserBar>,
    csrf: String,
    idem: String,
    errors: Vec<String>,
    id: String,
    version: i64,
    action: String,
    heading: &'static str,
    heading_for: String,
    tf: TermsForm,
    position_categories: [&'static str; 12],
    reason: String,
}

#[derive(Deserialize)]
pub(super) struct TermsQuery {
    action: String,
}

pub(super) async fn terms_form(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    Query(q): Query<TermsQuery>,
) -> Response {
    let a = match views::get_agreement(&state.store, &s.actor, &id).await {
        Ok(a) => a,
        Err(e) => return error_page(bar(&s), e),
    };
    let Some((heading, _)) = terms_action(&q.action) else {
        return error_page(bar(&s), ServiceError::BadRequest("未知的操作".into()));
    };
    if !a.actions.iter().any(|x| x.action == q.action) {
        return error_page(
            bar(&s),
            ServiceError::Conflict(format!(
                "协议书当前状态为“{}”，不能{heading}",
                a.state_label
            )),
        );
    }
    render(&TermsPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        idem: wangqian_store::new_id(),
        errors: Vec::new(),
        heading_for: format!("{} · {}", a.graduate.name, a.employer_name),
        id: a.id,
        version: a.version,
        action: q.action,
        heading,
        tf: TermsForm::from_terms(&a.terms),
        position_categories: POSITION_CATEGORIES,
        reason: String::new(),
    })
}

pub(super) async fn terms_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Response {
    let action = f.get("action").cloned().unwrap_or_default();
    let Some((heading, _)) = terms_action(&action) else {
        return error_page(bar(&s), ServiceError::BadRequest("未知的操作".into()));
    };
    let tf = TermsForm::from_form(&f);
    let version = f.get("version").and_then(|v| v.trim().parse().ok());
    let reason = f.get("reason").cloned().unwrap_or_default();
    let key = match page_idem(f.get("_idem").map(String::as_str), &action) {
        Ok(k) => k,
        Err(e) => return error_page(bar(&s), e),
    };
    let mut errors = Vec::new();
    let terms = tf.terms().map_err(|e| errors.extend(e)).ok();
    let validity_days = tf
        .validity_days()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let result = match terms {
        None => None,
        Some(terms) => Some(match action.as_str() {
            "propose_amendment" => {
                let input = ProposeAmendment {
                    terms,
                    reason: Some(reason.clone()).filter(|r| !r.trim().is_empty()),
                    version,
                };
                review::propose_amendment(&state.store, &s.actor, &id, input, key.as_ref()).await
            }
            _ => {
                let input = EditInvitation {
                    terms,
                    validity_days,
                    version,
                };
                let resend = action == "resend";
                invitations::edit_or_resend(
                    &state.store,
                    &s.actor,
                    &id,
                    input,
                    resend,
                    key.as_ref(),
                )
                .await
            }
        }),
    };
    match result {
        Some(Ok(applied)) => to_record(&id, &applied.state),
        other => {
            if let Some(Err(e)) = other {
                errors.extend(messages(e));
            }
            let mut r = render(&TermsPage {
                user: bar(&s),
                csrf: s.csrf_token.clone(),
                idem: wangqian_store::new_id(),
                errors,
                heading_for: String::new(),
                id,
                version: version.unwrap_or_default(),
                action,
                heading,
                tf,
                position_categories: POSITION_CATEGORIES,
                reason,
            });
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

/// 申请解约 with the reason, the acknowledgement and the stamped letter (multipart).
pub(super) async fn termination_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    mp: Multipart,
) -> Response {
    let key = match page_idem(q.idem.as_deref(), "request_termination") {
        Ok(k) => k,
        Err(e) => return error_page(bar(&s), e),
    };
    let r = crate::api::termination_from_form(&state, &s.actor, &id, key.as_ref(), mp).await;
    uploaded(&s, &id, r)
}

/// The scan of the signed and stamped paper agreement (multipart).
pub(super) async fn scan_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    mp: Multipart,
) -> Response {
    let key = match page_idem(q.idem.as_deref(), "upload_signed_scan") {
        Ok(k) => k,
        Err(e) => return error_page(bar(&s), e),
    };
    let r = crate::api::signed_scan_from_form(&state, &s.actor, &id, key.as_ref(), mp).await;
    uploaded(&s, &id, r)
}

fn uploaded(
    s: &wangqian_store::accounts::SessionInfo,
    id: &str,
    r: Result<wangqian_store::lifecycle::Applied, crate::error::ApiError>,
) -> Response {
    match r {
        Ok(applied) => to_record(id, &applied.state),
        Err(e) => field_error_page(s, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Paper agreements (登记纸质协议): the graduate copies the employer and the terms from the paper.

#[derive(Template)]
#[template(path = "paper_form.html")]
struct PaperPage {
    user: Option<UserBar>,
    csrf: String,
    idem: String,
    errors: Vec<String>,
    /// Editing this draft; a new draft when empty.
    id: String,
    version: i64,
    employer: HashMap<String, String>,
    tf: TermsForm,
    position_categories: [&'static str; 12],
    natures: &'static [wangqian_domain::codes::CodeEntry],
    industries: &'static [wangqian_domain::codes::CodeEntry],
}

const PAPER_EMPLOYER_FIELDS: [&str; 7] = [
    "name",
    "credit_code",
    "unit_nature_code",
    "industry_code",
    "location",
    "address",
    "postcode",
];

fn paper_page(
    s: &wangqian_store::accounts::SessionInfo,
    id: String,
    version: i64,
    employer: HashMap<String, String>,
    tf: TermsForm,
    errors: Vec<String>,
) -> Response {
    let failed = !errors.is_empty();
    let mut r = render(&PaperPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        idem: wangqian_store::new_id(),
        errors,
        id,
        version,
        employer,
        tf,
        position_categories: POSITION_CATEGORIES,
        natures: wangqian_domain::codes::UNIT_NATURE.entries,
        industries: wangqian_domain::codes::INDUSTRY.entries,
    });
    if failed {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub(super) async fn paper_new(PageAuth(s): PageAuth) -> Response {
    if s.actor.role != Role::Graduate {
        return error_page(bar(&s), ServiceError::Forbidden);
    }
    paper_page(
        &s,
        String::new(),
        0,
        HashMap::new(),
        TermsForm::default(),
        vec![],
    )
}

pub(super) async fn paper_edit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
) -> Response {
    let a = match views::get_agreement(&state.store, &s.actor, &id).await {
        Ok(a) => a,
        Err(e) => return error_page(bar(&s), e),
    };
    if a.kind != "paper" || a.state != "draft" || s.actor.role != Role::Graduate {
        return error_page(
            bar(&s),
            ServiceError::Conflict("只有毕业生本人可以修改草稿状态的纸质协议书".into()),
        );
    }
    let employer = a
        .paper_employer
        .as_ref()
        .and_then(|v| v.as_object())
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    paper_page(
        &s,
        a.id,
        a.version,
        employer,
        TermsForm::from_terms(&a.terms),
        vec![],
    )
}

pub(super) async fn paper_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<HashMap<String, String>>,
) -> Response {
    let id = f.get("id").cloned().unwrap_or_default();
    let version = f.get("version").and_then(|v| v.trim().parse().ok());
    let employer: HashMap<String, String> = PAPER_EMPLOYER_FIELDS
        .iter()
        .map(|k| {
            let v = f.get(&format!("employer_{k}")).cloned().unwrap_or_default();
            (k.to_string(), v)
        })
        .collect();
    let tf = TermsForm::from_form(&f);
    let paper_employer = PaperEmployer {
        name: employer["name"].clone(),
        credit_code: employer["credit_code"].clone(),
        unit_nature_code: employer["unit_nature_code"].clone(),
        industry_code: employer["industry_code"].clone(),
        location: employer["location"].clone(),
        address: employer["address"].clone(),
        postcode: employer["postcode"].clone(),
    };
    let result = match tf.terms() {
        Err(errors) => Err(errors),
        Ok(terms) => {
            let input = PaperAgreementInput {
                employer: paper_employer,
                terms,
                version,
            };
            let r = if id.is_empty() {
                let key = match page_idem(f.get("_idem").map(String::as_str), "create_paper") {
                    Ok(k) => k,
                    Err(e) => return error_page(bar(&s), e),
                };
                paper::create_paper_agreement(&state.store, &s.actor, input, key.as_ref()).await
            } else {
                paper::update_paper_agreement(&state.store, &s.actor, &id, input).await
            };
            r.map_err(messages)
        }
    };
    match result {
        // The draft is shown as the preview, with 生成并提交 among its buttons.
        Ok(applied) => {
            Redirect::to(&format!("/agreements/{}?notice=draft", applied.id)).into_response()
        }
        Err(errors) => paper_page(&s, id, version.unwrap_or_default(), employer, tf, errors),
    }
}
