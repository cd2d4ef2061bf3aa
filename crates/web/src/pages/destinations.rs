//! Other destinations (毕业去向登记): the graduate registers one with up to four proof images,
//! withdraws it or asks for its release; the school reviews. Same services as the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

use wangqian_domain::codes::DESTINATION;
use wangqian_domain::destination_form::{category, CategoryForm, CATEGORIES, UNIT_NAME};
use wangqian_domain::lifecycle::spec::{Confirm, Control, Need};
use wangqian_domain::lifecycle::{
    DestinationAction, DestinationState, Party, PLACE_CODE_LABEL, PLACE_LABEL,
};
use wangqian_domain::role::Role;
use wangqian_store::accounts::SessionInfo;
use wangqian_store::lifecycle::destinations::{
    self, DestinationDecision, DestinationDetail, DestinationFilter, DestinationRow,
    RegisterDestination, SaveDestinationDraft,
};
use wangqian_store::{DestinationId, GraduateId};
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
    /// The graduate's draft's category, when one is saved.
    draft: Option<String>,
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
    let draft = match (s.actor.role, &s.actor.graduate_id) {
        (Role::Graduate, Some(g)) => {
            destinations::find_destination_draft(&state.store, &s.actor, g)
                .await?
                .map(|d| {
                    DESTINATION
                        .name_of(&d.draft.category_code)
                        .unwrap_or("未选择类别")
                        .to_string()
                })
        }
        _ => None,
    };
    Ok(render(&ListPage {
        user: bar(&s),
        draft,
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
    notice: String,
    /// 1: choose the category; 2: its sub-category; 3: the category's fields.
    step: u8,
    /// (code, name) of every category a graduate registers here.
    categories: Vec<(&'static str, &'static str)>,
    /// The chosen category's form (steps 2 and 3).
    form: Option<&'static CategoryForm>,
    /// The chosen category's fields, as typed (step 3).
    fields: Vec<FieldView>,
    /// The graduate has a saved draft (暂存).
    has_draft: bool,
    draft_version: i64,
    errors: FormErrors,
    f: NewTyped,
}

/// One field of the category's form with what was typed in it.
struct FieldView {
    name: &'static str,
    label: &'static str,
    required: bool,
    hint: &'static str,
    value: String,
    max: usize,
}

/// The registration as typed, shown again when it is refused or reopened as a draft (the
/// images must be chosen again).
#[derive(Default)]
struct NewTyped {
    category_code: String,
    subcategory: String,
    /// The category's fields by form name (`unit_name`, `detail_major` …).
    values: HashMap<String, String>,
    detail_place: String,
    /// 所在地 by region (nothing chosen: the free `detail_place`).
    place: RegionForm,
}

impl NewTyped {
    /// What the page's form sent.
    fn from_form(form: &crate::uploads::Form) -> NewTyped {
        let code = form.text("category_code");
        let values = category(&code)
            .map(|c| {
                c.fields
                    .iter()
                    .map(|f| (f.name.to_string(), form.text(f.name)))
                    .collect()
            })
            .unwrap_or_default();
        NewTyped {
            category_code: code,
            subcategory: form.text("subcategory"),
            values,
            detail_place: form.text("detail_place"),
            place: RegionForm {
                province: form.text("place_province"),
                city: form.text("place_city"),
                county: form.text("place_county"),
                street: form.text("place_street"),
            },
        }
    }

    /// A saved draft, its details put back under the category's field names.
    fn from_draft(d: &RegisterDestination) -> NewTyped {
        let form = category(&d.category_code);
        let mut values = HashMap::new();
        values.insert(UNIT_NAME.to_string(), d.unit_name.clone());
        for (label, v) in &d.details {
            if let Some(f) = form.and_then(|c| c.fields.iter().find(|f| f.label == *label)) {
                values.insert(f.name.to_string(), v.clone());
            }
        }
        NewTyped {
            category_code: d.category_code.clone(),
            subcategory: d.subcategory.clone(),
            values,
            detail_place: if d.place_region.is_none() {
                d.details.get(PLACE_LABEL).cloned().unwrap_or_default()
            } else {
                String::new()
            },
            place: d
                .place_region
                .as_ref()
                .map(RegionForm::from_domain)
                .unwrap_or_default(),
        }
    }
}

/// Which step the typed form is at: a category unknown → 1, a sub-category missing → 2, else 3.
fn step_of(f: &NewTyped) -> (u8, Option<&'static CategoryForm>) {
    match category(&f.category_code) {
        None => (1, None),
        Some(c) if !c.subcategories.is_empty() && f.subcategory.trim().is_empty() => (2, Some(c)),
        Some(c) => (3, Some(c)),
    }
}

fn new_page(
    s: &SessionInfo,
    f: NewTyped,
    step: (u8, Option<&'static CategoryForm>),
    draft: Option<i64>,
    notice: String,
    errors: FormErrors,
) -> Response {
    let (step, form) = step;
    let fields = form
        .map(|c| {
            c.fields
                .iter()
                .map(|x| FieldView {
                    name: x.name,
                    label: x.label,
                    required: x.required,
                    hint: x.hint,
                    value: f.values.get(x.name).cloned().unwrap_or_default(),
                    max: if x.name == UNIT_NAME { 100 } else { 200 },
                })
                .collect()
        })
        .unwrap_or_default();
    let page = NewPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        idem: wangqian_store::new_id(),
        notice,
        step,
        categories: CATEGORIES.iter().map(|c| (c.code, c.name())).collect(),
        form,
        fields,
        has_draft: draft.is_some(),
        draft_version: draft.unwrap_or_default(),
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

#[derive(Deserialize, Default)]
pub(super) struct NewQuery {
    category: Option<String>,
    subcategory: Option<String>,
    /// Choose the category again even though a draft is open.
    choose: Option<String>,
    /// The category the choice form was shown with: when the category changed since, the
    /// sub-category sent beside it belongs to the old one and is dropped.
    from: Option<String>,
    notice: Option<String>,
}

fn graduate_of(s: &SessionInfo) -> Result<GraduateId, PageError> {
    match (s.actor.role, s.actor.graduate_id.clone()) {
        (Role::Graduate, Some(g)) => Ok(g),
        _ => Err(PageError::forbidden()),
    }
}

/// The two-step choice (category, then sub-category: plain GET forms, so they work without
/// scripts), then the category's own fields. A saved draft opens where it was left.
pub(super) async fn new_form(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NewQuery>,
) -> PageResult {
    let graduate = graduate_of(&s)?;
    let draft = destinations::find_destination_draft(&state.store, &s.actor, &graduate).await?;
    let notice = match q.notice.as_deref() {
        Some("draft") => "已暂存。证明材料图片不随草稿保存，保存并送审时请选择。".to_string(),
        _ => String::new(),
    };
    let mut errors = FormErrors::default();
    let typed = match (&q.category, &draft) {
        // Nothing chosen: the draft, if any and not asked to choose again.
        (None, Some(d)) if q.choose.is_none() => NewTyped::from_draft(&d.draft),
        (None, _) => NewTyped::default(),
        (Some(code), d) => {
            let sub = match &q.from {
                Some(from) if from != code => String::new(),
                _ => q.subcategory.clone().unwrap_or_default(),
            };
            // The draft's fields stay when its category is chosen again.
            let mut t = match d {
                Some(d) if d.draft.category_code == *code => NewTyped::from_draft(&d.draft),
                _ => NewTyped::default(),
            };
            t.category_code = code.clone();
            t.subcategory = sub;
            t
        }
    };
    let step = step_of(&typed);
    match (step, q.category.as_deref()) {
        ((1, _), Some(c)) if !c.is_empty() || q.subcategory.is_some() => {
            errors.add("category_code", "请选择毕业去向类别");
        }
        ((_, Some(c)), _)
            if !typed.subcategory.trim().is_empty()
                && !c.subcategories.contains(&typed.subcategory.trim()) =>
        {
            errors.add("subcategory", "请从列表中选择具体类型");
        }
        _ => {}
    }
    Ok(new_page(
        &s,
        typed,
        step,
        draft.map(|d| d.version),
        notice,
        errors,
    ))
}

/// 暂存 saves the form as a draft (no outcome taken); 保存并送审 registers it.
pub(super) async fn new_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<UploadQuery>,
    req: axum::extract::Request,
) -> PageResult {
    let graduate = graduate_of(&s)?;
    let (form, mp) = super::kept_multipart(req, state.config.max_upload_mib).await?;
    let typed = NewTyped::from_form(&form);
    let step = step_of(&typed);
    let draft_version = || form.text("draft_version").trim().parse::<i64>().ok();
    if form.text("intent") == "draft" {
        let input = SaveDestinationDraft {
            draft: crate::api::destination_input(&form),
            version: draft_version(),
        };
        return match destinations::save_destination_draft(&state.store, &s.actor, &graduate, input)
            .await
        {
            Ok(_) => Ok(Redirect::to("/destinations/new?notice=draft").into_response()),
            Err(e) => {
                let errors = FormErrors::from_service(e, new_field)?;
                Ok(new_page(
                    &s,
                    typed,
                    step,
                    draft_version(),
                    String::new(),
                    errors,
                ))
            }
        };
    }
    let key = page_idem(q.idem.as_deref(), "register_destination")?;
    match crate::api::destination_from_form(&state, &s.actor, key.as_ref(), mp).await {
        Ok(d) => {
            Ok(Redirect::to(&format!("/destinations/{}?notice={}", d.id, d.state)).into_response())
        }
        Err(e) => {
            let errors = FormErrors::from_api(e, new_field)?;
            Ok(new_page(
                &s,
                typed,
                step,
                draft_version(),
                String::new(),
                errors,
            ))
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
    /// What the category calls its unit (录取学校, 公司名称 …).
    unit_label: &'static str,
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
    let mut stored =
        serde_json::from_str::<std::collections::BTreeMap<String, String>>(&d.record.details)
            .map_err(unreadable)?;
    // The code is for statistics; the readable 所在地 line says the same.
    stored.remove(PLACE_CODE_LABEL);
    // The category's fields first, in its form's order and with its labels, then the rest
    // (所在地, and what older records kept).
    let form = category(&d.record.category_code);
    let mut details: Vec<(String, String)> = form
        .map(|c| {
            c.fields
                .iter()
                .filter_map(|f| stored.remove_entry(f.label))
                .collect()
        })
        .unwrap_or_default();
    details.extend(stored);
    let unit_label = form
        .and_then(|c| c.unit())
        .map_or("单位 / 学校 / 项目", |u| u.label);
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
        unit_label,
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
