//! Other destinations (毕业去向登记): the graduate registers one with up to four proof images,
//! withdraws it or asks for its release; the school reviews. Same services as the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wangqian_domain::codes::{CodeEntry, DESTINATION};
use wangqian_domain::lifecycle::spec::{Confirm, Control, Need};
use wangqian_domain::lifecycle::{DestinationAction, DestinationState, Party, PLACE_CODE_LABEL};
use wangqian_domain::role::Role;
use wangqian_store::accounts::SessionInfo;
use wangqian_store::lifecycle::destinations::{
    self, DestinationDecision, DestinationDetail, DestinationFilter, DestinationRow,
};
use wangqian_store::DestinationId;
use wangqian_store::{Page, ServiceError};

use super::error::{form_page, FormErrors, PageError, PageResult};
use super::terms_form::RegionForm;
use super::{bar, china_time, page_idem, render, PageForm, UploadQuery, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

#[derive(Template)]
#[template(path = "destinations.html")]
struct ListPage {
    user: Option<UserBar>,
    is_graduate: bool,
    /// Opened from the home page's 其他去向审核 count.
    f_review: bool,
    page: Page<DestinationRow>,
    pages: i64,
    states: Vec<(&'static str, &'static str)>,
    f_state: String,
    f_keyword: String,
}

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    state: Option<String>,
    keyword: Option<String>,
    todo: Option<String>,
    page: Option<i64>,
}

fn category_name(code: &str) -> &'static str {
    DESTINATION.name_of(code).unwrap_or("")
}

fn state_label(code: &str) -> &'static str {
    DestinationState::parse(code).map_or("", |s| s.label())
}

pub(super) async fn list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let f_review = q.todo.as_deref() == Some("review");
    let filter = DestinationFilter {
        awaiting_review: f_review,
        state: q.state.clone(),
        keyword: q.keyword.clone(),
        page: q.page,
        per_page: Some(20),
        ..DestinationFilter::default()
    };
    let page = destinations::list_destinations(&state.store, &s.actor, &filter).await?;
    Ok(render(&ListPage {
        user: bar(&s),
        is_graduate: s.actor.role == Role::Graduate,
        f_review,
        pages: page.pages().max(1),
        page,
        states: DestinationState::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        f_state: q.state.unwrap_or_default(),
        f_keyword: q.keyword.unwrap_or_default(),
    }))
}

#[derive(Template)]
#[template(path = "destination_new.html")]
struct NewPage {
    user: Option<UserBar>,
    csrf: String,
    idem: String,
    categories: Vec<&'static CodeEntry>,
    errors: FormErrors,
    f: NewTyped,
}

/// The registration as typed, shown again when it is refused (the images must be chosen again).
#[derive(Default)]
struct NewTyped {
    category_code: String,
    subcategory: String,
    unit_name: String,
    detail_place: String,
    detail_note: String,
    /// 所在地 by region (nothing chosen: the free `detail_place`).
    place: RegionForm,
}

fn new_page(s: &SessionInfo, f: NewTyped, errors: FormErrors) -> Response {
    let page = NewPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        idem: wangqian_store::new_id(),
        // 签就业协议形式就业 comes from an agreement, never from this form.
        categories: DESTINATION
            .entries
            .iter()
            .filter(|e| e.code != "10")
            .collect(),
        errors,
        f,
    };
    form_page(&page, &page.errors)
}

/// Where the registration's field errors go: the ids of the form's fields.
fn new_field(field: &str) -> Option<String> {
    Some(match field {
        "details" => "detail-place".to_string(),
        "place_region.county_code" => "place_county".to_string(),
        "place_region.street" => "place_street".to_string(),
        f if f.starts_with("proof") => "proofs".to_string(),
        f => f.to_string(),
    })
}

pub(super) async fn new_form(PageAuth(s): PageAuth) -> PageResult {
    if s.actor.role != Role::Graduate {
        return Err(PageError::forbidden());
    }
    Ok(new_page(&s, NewTyped::default(), FormErrors::default()))
}

pub(super) async fn new_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<UploadQuery>,
    req: axum::extract::Request,
) -> PageResult {
    let key = page_idem(q.idem.as_deref(), "register_destination")?;
    let (form, mp) = super::kept_multipart(req, state.config.max_upload_mib).await?;
    match crate::api::destination_from_form(&state, &s.actor, key.as_ref(), mp).await {
        Ok(d) => {
            Ok(Redirect::to(&format!("/destinations/{}?notice={}", d.id, d.state)).into_response())
        }
        Err(e) => {
            let typed = NewTyped {
                category_code: form.text("category_code"),
                subcategory: form.text("subcategory"),
                unit_name: form.text("unit_name"),
                detail_place: form.text("detail_place"),
                detail_note: form.text("detail_note"),
                place: RegionForm {
                    province: form.text("place_province"),
                    city: form.text("place_city"),
                    county: form.text("place_county"),
                    street: form.text("place_street"),
                },
            };
            Ok(new_page(&s, typed, FormErrors::from_api(e, new_field)?))
        }
    }
}

struct TrailLine {
    at: String,
    who: String,
    action: &'static str,
    to_state: &'static str,
    remark: String,
}

#[derive(Template)]
#[template(path = "destination.html")]
struct DetailPage {
    user: Option<UserBar>,
    csrf: String,
    idem: String,
    notice: String,
    errors: FormErrors,
    r_reason: String,
    d: DestinationDetail,
    details: Vec<(String, String)>,
    trail: Vec<TrailLine>,
    /// (action, label, needs a reason, primary, confirmation question)
    buttons: Vec<(&'static str, &'static str, bool, bool, String)>,
    can_request_release: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct DetailQuery {
    notice: Option<String>,
}

/// The button of an action the page offers, from its spec row.
fn button(action: &str) -> Option<(&'static str, &'static str, bool, bool, String)> {
    let a = DestinationAction::parse(action)?;
    let spec = a.spec();
    let Control::Button { primary } = spec.control else {
        return None;
    };
    let question = if spec.confirm == Confirm::Dialog {
        format!(
            "确定要{}吗？该毕业生将恢复为待就业，并会收到通知。",
            spec.button
        )
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

pub(super) async fn detail(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<DestinationId>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    let notice = q
        .notice
        .as_deref()
        .and_then(DestinationState::parse)
        .map(|st| format!("操作成功，当前状态：{}", st.label()))
        .unwrap_or_default();
    detail_page(
        &state,
        &s,
        &id,
        notice,
        FormErrors::default(),
        String::new(),
    )
    .await
}

/// The record with, after a refused release request, its problems under the fields and the
/// reason typed.
async fn detail_page(
    state: &AppState,
    s: &SessionInfo,
    id: &DestinationId,
    notice: String,
    errors: FormErrors,
    r_reason: String,
) -> PageResult {
    let d = destinations::get_destination(&state.store, &s.actor, id).await?;
    // The store always writes both as JSON: one that does not read is a fault, not "none".
    let unreadable = |e: serde_json::Error| {
        ServiceError::Internal(anyhow::Error::from(e).context("destination record"))
    };
    let details: Vec<(String, String)> =
        serde_json::from_str::<std::collections::BTreeMap<String, String>>(&d.record.details)
            .map_err(unreadable)?
            .into_iter()
            // The code is for statistics; the readable 所在地 line above it says the same.
            .filter(|(k, _)| k != PLACE_CODE_LABEL)
            .collect();
    let trail = d
        .trail
        .iter()
        .map(|e| TrailLine {
            at: china_time(e.at),
            who: format!(
                "{} {}",
                Party::parse(&e.party).map_or("", Party::label),
                e.actor_name
            ),
            action: DestinationAction::parse(&e.action).map_or("", |a| a.label()),
            to_state: state_label(&e.to_state),
            remark: e.remark.clone(),
        })
        .collect();
    let page = DetailPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        idem: wangqian_store::new_id(),
        notice,
        errors,
        r_reason,
        buttons: d.actions.iter().filter_map(|a| button(a)).collect(),
        can_request_release: d.actions.contains(&"request_release"),
        details,
        trail,
        d,
    };
    Ok(form_page(&page, &page.errors))
}

#[derive(Deserialize)]
pub(super) struct ActForm {
    action: String,
    reason: Option<String>,
    version: Option<i64>,
    #[serde(rename = "_idem")]
    idem: Option<String>,
}

pub(super) async fn act(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<DestinationId>,
    PageForm(f): PageForm<ActForm>,
) -> PageResult {
    let key = page_idem(f.idem.as_deref(), &f.action)?;
    // "approve" and "reject" name the review of whichever step is pending.
    let action = match f.action.as_str() {
        "approve" => Some(DestinationAction::Approve),
        "reject" => Some(DestinationAction::RejectRegistration),
        "withdraw" => Some(DestinationAction::WithdrawRegistration),
        other => DestinationAction::parse(other),
    };
    let Some(action) = action else {
        return Err(ServiceError::BadRequest("未知的操作".into()).into());
    };
    use DestinationAction as A;
    let input = DestinationDecision {
        approve: matches!(action, A::Approve | A::ApproveRelease),
        reason: f.reason.filter(|r| !r.trim().is_empty()),
        version: f.version,
    };
    let (st, a, k) = (&state.store, &s.actor, key.as_ref());
    // Every action is named, so that a new one does not compile until the page decides.
    let r = match action {
        A::WithdrawRegistration => destinations::withdraw_destination(st, a, &id, input, k).await,
        A::Approve | A::RejectRegistration | A::ApproveRelease | A::RejectRelease => {
            destinations::review_destination(st, a, &id, input, k).await
        }
        A::Unlock => destinations::unlock_destination(st, a, &id, input, k).await,
        A::Register | A::RequestRelease => Err(ServiceError::BadRequest(format!(
            "“{}”不在此处办理",
            action.label()
        ))),
    };
    Ok(Redirect::to(&format!("/destinations/{id}?notice={}", r?.state)).into_response())
}

pub(super) async fn release_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<DestinationId>,
    Query(q): Query<UploadQuery>,
    req: axum::extract::Request,
) -> PageResult {
    let key = page_idem(q.idem.as_deref(), "request_release")?;
    let (form, mp) = super::kept_multipart(req, state.config.max_upload_mib).await?;
    match crate::api::release_from_form(&state, &s.actor, &id, key.as_ref(), mp).await {
        Ok(d) => {
            Ok(Redirect::to(&format!("/destinations/{id}?notice={}", d.state)).into_response())
        }
        Err(e) => {
            let errors = FormErrors::from_api(e, |field| match field {
                "reason" => Some("r-reason".into()),
                "proof" => Some("r-proof".into()),
                _ => None,
            })?;
            detail_page(&state, &s, &id, String::new(), errors, form.text("reason")).await
        }
    }
}
