//! 生源信息确认 (seed 003 §2): the graduate's record with the locked fields grey and the
//! unlocked ones editable, the 纠错 form for locked fields and the record's 更正记录; and the
//! reviewers' list of correction requests (/school/corrections). Same services as the API.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use wangqian_domain::codes::{self, CodeEntry};
use wangqian_domain::record_correction::{CorrectionDecision, CorrectionState, LockedField};
use wangqian_store::accounts::SessionInfo;
use wangqian_store::graduates::{self, GraduateRecord};
use wangqian_store::record_corrections::{
    self, ConfirmSourceRecord, CorrectionFilter, RecordCorrection, RecordCorrectionReview,
    TrailEntry,
};
use wangqian_store::Page;

use super::error::{form_page, FormErrors, PageError, PageResult};
use super::terms_form::RegionForm;
use super::{bar, china_time, PageForm, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

/// One locked field of the 纠错 form: its key, label, the value on file as read, and either a
/// code table (a select) or free text.
pub struct LockedInput {
    pub key: &'static str,
    pub label: &'static str,
    pub current: String,
    pub options: &'static [CodeEntry],
    pub typed: String,
}

#[derive(Template)]
#[template(path = "source_record.html")]
struct RecordPage {
    user: Option<UserBar>,
    csrf: String,
    notice: &'static str,
    g: GraduateRecord,
    confirmed_at: String,
    confirm: ConfirmForm,
    origin: RegionForm,
    confirm_errors: FormErrors,
    locked: Vec<LockedInput>,
    reason: String,
    correction_errors: FormErrors,
    open_request: bool,
    requests: Vec<RecordCorrection>,
    trail: Vec<TrailEntry>,
}

impl RecordPage {
    fn time(&self, at: &wangqian_store::Millis) -> String {
        china_time(*at)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct ConfirmForm {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    home_address: String,
    #[serde(default)]
    origin_province: String,
    #[serde(default)]
    origin_city: String,
    #[serde(default)]
    origin_county: String,
}

impl ConfirmForm {
    fn region(&self) -> RegionForm {
        RegionForm {
            province: self.origin_province.clone(),
            city: self.origin_city.clone(),
            county: self.origin_county.clone(),
            street: String::new(),
        }
    }
}

/// The form's field for a service field (the origin code sits on the county select).
fn confirm_field(field: &str) -> Option<String> {
    Some(match field {
        "origin_county_code" => "origin_county".to_string(),
        other => other.to_string(),
    })
}

fn correction_field(field: &str) -> Option<String> {
    match field {
        "reason" => Some("correction_reason".into()),
        "changes" => Some("changes".into()),
        "proof" => Some("proof".into()),
        other => other
            .strip_prefix("changes.")
            .map(|k| format!("change_{k}")),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct RecordQuery {
    notice: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn record_page(
    state: &AppState,
    s: &SessionInfo,
    notice: &'static str,
    confirm: Option<ConfirmForm>,
    confirm_errors: FormErrors,
    typed: HashMap<String, String>,
    correction_errors: FormErrors,
) -> PageResult {
    let a = &s.actor;
    let gid = a.graduate_id.clone().ok_or_else(PageError::forbidden)?;
    let g = graduates::get_graduate(&state.store, a, &gid).await?;
    let st = record_corrections::source_record_state(&state.store, a).await?;
    let confirm = confirm.unwrap_or_else(|| {
        let chain =
            wangqian_domain::regions::path(st.origin_location_code.as_deref().unwrap_or(""));
        let at = |i: usize| chain.get(i).map(|r| r.code.to_string()).unwrap_or_default();
        ConfirmForm {
            home_address: g.home_address.clone().unwrap_or_default(),
            origin_province: at(0),
            origin_city: at(1),
            origin_county: at(2),
            ..ConfirmForm::default()
        }
    });
    let requests = record_corrections::list_record_corrections(
        &state.store,
        a,
        &CorrectionFilter {
            per_page: Some(50),
            ..CorrectionFilter::default()
        },
    )
    .await?
    .items;
    let trail = record_corrections::correction_trail(&state.store, a, &gid).await?;
    let current = |f: LockedField| -> String {
        match f {
            LockedField::Name => g.summary.name.clone(),
            LockedField::Gender => f.display(&g.summary.gender),
            LockedField::Ethnicity => g.ethnicity.clone().unwrap_or_default(),
            LockedField::PoliticalStatus => g.political_status.clone().unwrap_or_default(),
            LockedField::EducationLevel => g.education_level.clone().unwrap_or_default(),
            LockedField::Major => g.summary.major.clone(),
            LockedField::TrainingMode => g.training_mode.clone().unwrap_or_default(),
            LockedField::YearsOfSchooling => format!("{}年", g.years_of_schooling),
        }
    };
    let options = |f: LockedField| -> &'static [CodeEntry] {
        match f {
            LockedField::Gender => codes::GENDER.entries,
            LockedField::Ethnicity => codes::ETHNICITY.entries,
            LockedField::PoliticalStatus => codes::POLITICAL_STATUS.entries,
            LockedField::EducationLevel => codes::EDUCATION_LEVEL.entries,
            LockedField::TrainingMode => codes::TRAINING_MODE.entries,
            LockedField::Name | LockedField::Major | LockedField::YearsOfSchooling => &[],
        }
    };
    let locked = LockedField::ALL
        .iter()
        .map(|f| LockedInput {
            key: f.key(),
            label: f.label(),
            current: current(*f),
            options: options(*f),
            typed: typed.get(f.key()).cloned().unwrap_or_default(),
        })
        .collect();
    let view = RecordPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice,
        confirmed_at: st.confirmed_at.map(china_time).unwrap_or_default(),
        origin: confirm.region(),
        confirm,
        confirm_errors,
        locked,
        reason: typed.get("reason").cloned().unwrap_or_default(),
        correction_errors,
        open_request: requests
            .iter()
            .any(|r| r.state == CorrectionState::Pending.as_str()),
        requests,
        trail,
        g,
    };
    // The status follows whichever form came back with problems.
    let shown = if !view.confirm_errors.is_empty() {
        &view.confirm_errors
    } else {
        &view.correction_errors
    };
    Ok(form_page(&view, shown))
}

pub(super) async fn show(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<RecordQuery>,
) -> PageResult {
    let notice = match q.notice.as_deref() {
        Some("confirmed") => "生源信息已确认，谢谢。",
        Some("requested") => "纠错申请已提交，请等待学院审核（一般 2–3 个工作日）。",
        _ => "",
    };
    record_page(
        &state,
        &s,
        notice,
        None,
        FormErrors::default(),
        HashMap::new(),
        FormErrors::default(),
    )
    .await
}

pub(super) async fn confirm_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<ConfirmForm>,
) -> PageResult {
    let county = f.region().read().map(|r| r.county_code).unwrap_or_default();
    let input = ConfirmSourceRecord {
        mobile: f.mobile.clone(),
        email: f.email.clone(),
        home_address: f.home_address.clone(),
        origin_county_code: county,
    };
    match record_corrections::confirm_source_record(&state.store, &s.actor, input).await {
        Ok(_) => Ok(Redirect::to("/account/record?notice=confirmed").into_response()),
        Err(e) => {
            let errors = FormErrors::from_service(e, confirm_field)?;
            record_page(
                &state,
                &s,
                "",
                Some(f),
                errors,
                HashMap::new(),
                FormErrors::default(),
            )
            .await
        }
    }
}

/// The 纠错 form (multipart: `change_<key>`, `reason`, an optional `proof`).
pub(super) async fn correction_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    req: axum::extract::Request,
) -> PageResult {
    let (form, mp) = super::kept_multipart(req, state.config.max_upload_mib).await?;
    let typed: HashMap<String, String> = form
        .fields
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("change_").unwrap_or(k.as_str());
            Some((key.to_string(), v.first()?.clone()))
        })
        .collect();
    match crate::api::correction_from_form(&state, &s.actor, mp).await {
        Ok(_) => Ok(Redirect::to("/account/record?notice=requested").into_response()),
        Err(e) => {
            let errors = FormErrors::from_api(e, correction_field)?;
            record_page(&state, &s, "", None, FormErrors::default(), typed, errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The reviewers' list

#[derive(Template)]
#[template(path = "corrections.html")]
struct CorrectionsPage {
    user: Option<UserBar>,
    csrf: String,
    notice: &'static str,
    page: Page<RecordCorrection>,
    f_state: String,
    /// One graduate's requests and 更正记录 (from a request's "该生更正记录" link).
    f_graduate: String,
    trail: Vec<TrailEntry>,
    /// The request whose form came back, what was typed and what is wrong.
    error_row: String,
    typed_reason: String,
    errors: FormErrors,
}

impl CorrectionsPage {
    fn time(&self, at: &wangqian_store::Millis) -> String {
        china_time(*at)
    }

    fn decided(&self, at: &Option<wangqian_store::Millis>) -> String {
        at.map(|at| format!("，{}", china_time(at)))
            .unwrap_or_default()
    }

    fn states(&self) -> Vec<(&'static str, &'static str)> {
        CorrectionState::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect()
    }
}

#[derive(Deserialize, Default)]
pub(super) struct CorrectionsQuery {
    state: Option<String>,
    graduate_id: Option<String>,
    page: Option<i64>,
    notice: Option<String>,
}

async fn corrections_page(
    state: &AppState,
    s: &SessionInfo,
    q: CorrectionsQuery,
    error_row: String,
    typed_reason: String,
    errors: FormErrors,
) -> PageResult {
    let filter = CorrectionFilter {
        state: q.state.as_deref().and_then(CorrectionState::parse),
        graduate_id: q.graduate_id.clone().filter(|g| !g.is_empty()),
        page: q.page,
        per_page: Some(20),
    };
    let page = record_corrections::list_record_corrections(&state.store, &s.actor, &filter).await?;
    let trail = match &filter.graduate_id {
        Some(g) => record_corrections::correction_trail(&state.store, &s.actor, g).await?,
        None => Vec::new(),
    };
    let view = CorrectionsPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice: match q.notice.as_deref() {
            Some("approved") => "已同意更正，生源信息已修改。",
            Some("rejected") => "已退回该纠错申请。",
            _ => "",
        },
        page,
        f_state: q.state.unwrap_or_default(),
        f_graduate: filter.graduate_id.unwrap_or_default(),
        trail,
        error_row,
        typed_reason,
        errors,
    };
    Ok(form_page(&view, &view.errors))
}

pub(super) async fn corrections(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<CorrectionsQuery>,
) -> PageResult {
    if s.actor.role == wangqian_domain::role::Role::Graduate {
        return Ok(Redirect::to("/account/record").into_response());
    }
    corrections_page(
        &state,
        &s,
        q,
        String::new(),
        String::new(),
        FormErrors::default(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct ReviewForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn review_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<ReviewForm>,
) -> PageResult {
    let decision = match f.decision.as_str() {
        "approve" => CorrectionDecision::Approve,
        "reject" => CorrectionDecision::Reject,
        _ => return Err(PageError::bad_request("请选择同意或不同意")),
    };
    let review = RecordCorrectionReview {
        decision,
        reason: f.reason.clone(),
    };
    match record_corrections::review_record_correction(&state.store, &s.actor, &id, review).await {
        Ok(c) => {
            Ok(Redirect::to(&format!("/school/corrections?notice={}", c.state)).into_response())
        }
        Err(e) => {
            let errors = FormErrors::from_service(e, |f| {
                (f == "reason").then(|| "review_reason".to_string())
            })?;
            corrections_page(
                &state,
                &s,
                CorrectionsQuery::default(),
                id,
                f.reason,
                errors,
            )
            .await
        }
    }
}
