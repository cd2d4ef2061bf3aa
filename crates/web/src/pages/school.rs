//! The school's own tools: the graduate roster (生源信息) and its imports, department reviewers
//! (院系审核员) and the signing settings (网签开放设置).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wangqian_domain::policy;
use wangqian_domain::role::Role;
use wangqian_domain::roster_review::{RosterDecision, RosterReview};
use wangqian_domain::settings::{
    BindingMoment, EmployerVerification, ReviewLevels, SigningSettings,
};
use wangqian_store::accounts::{self, SessionInfo};
use wangqian_store::graduates::{self, GraduateFilter, GraduateSummary};
use wangqian_store::orgs::{self, DepartmentRow};
use wangqian_store::roster_import::{self, RowError};
use wangqian_store::roster_review::{RosterReviewFilter, RosterReviewRequest};
use wangqian_store::{demo, jobs, settings, Page, SchoolId, ServiceError};

use super::error::{form_page, same_name, FormErrors, PageError, PageResult};
use super::{bar, china_time, notice_text, render, NoticeQuery, PageForm, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

/// The school of a staff account; other accounts have none and may not use these pages.
fn school_of(s: &SessionInfo) -> Result<String, PageError> {
    s.actor
        .school_id
        .as_ref()
        .map(ToString::to_string)
        .ok_or_else(PageError::forbidden)
}

#[derive(Template)]
#[template(path = "graduates.html")]
struct GraduatesPage {
    user: Option<UserBar>,
    notice: String,
    csrf: String,
    page: Page<GraduateSummary>,
    pages: i64,
    departments: Vec<DepartmentRow>,
    can_pick_department: bool,
    is_admin: bool,
    f_year: String,
    f_department: String,
    f_keyword: String,
    /// A lock form that came back: its row, what was typed and what is wrong.
    errors: FormErrors,
    error_row: String,
    typed_reason: String,
    /// 生源审核: the viewer reviews this list (reviewer or administrator of the school).
    can_review: bool,
    f_review_state: String,
    review: ReviewForm,
}

/// The bulk review form as it came back (ticks and reason kept) and what it did.
#[derive(Default)]
struct ReviewForm {
    ticked: Vec<String>,
    reason: String,
    outcome: Option<wangqian_store::roster_review::RosterReviewOutcome>,
    decision: &'static str,
}

impl GraduatesPage {
    fn review_label(&self, state: &str) -> &'static str {
        RosterReview::parse(state).map_or("", RosterReview::label)
    }

    fn ticked(&self, id: &str) -> bool {
        self.review.ticked.iter().any(|t| t == id)
    }

    /// The review states of the filter, as (value, label).
    fn review_states(&self) -> Vec<(&'static str, &'static str)> {
        RosterReview::ALL
            .iter()
            .map(|r| (r.as_str(), r.label()))
            .collect()
    }
}

#[derive(Deserialize, Default)]
pub(super) struct GraduateListQuery {
    graduation_year: Option<String>,
    department_id: Option<String>,
    keyword: Option<String>,
    review_state: Option<String>,
    page: Option<i64>,
    notice: Option<String>,
}

pub(super) async fn graduate_list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<GraduateListQuery>,
) -> PageResult {
    graduates_page(
        &state,
        &s,
        q,
        FormErrors::default(),
        String::new(),
        String::new(),
        ReviewForm::default(),
    )
    .await
}

async fn graduates_page(
    state: &AppState,
    s: &SessionInfo,
    q: GraduateListQuery,
    errors: FormErrors,
    error_row: String,
    typed_reason: String,
    review: ReviewForm,
) -> PageResult {
    let a = &s.actor;
    let school = school_of(s)?;
    let year = q
        .graduation_year
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_string();
    let filter = GraduateFilter {
        // A year that is not a number filters nothing; the box shows what was typed.
        graduation_year: year.parse().ok(),
        department_id: q.department_id.clone(),
        keyword: q.keyword.clone(),
        bound: None,
        review_state: q.review_state.as_deref().and_then(RosterReview::parse),
        page: q.page,
        per_page: Some(30),
        after: None,
    };
    let page = graduates::list_graduates(&state.store, a, &school, &filter).await?;
    let departments = orgs::departments(&state.store, &school).await?;
    let page = GraduatesPage {
        user: bar(s),
        notice: notice_text(q.notice.as_deref()),
        csrf: s.csrf_token.clone(),
        pages: page.pages().max(1),
        page,
        departments,
        can_pick_department: a.role == Role::SchoolAdmin,
        is_admin: a.role == Role::SchoolAdmin,
        f_year: year,
        f_department: q.department_id.unwrap_or_default(),
        f_keyword: q.keyword.unwrap_or_default(),
        errors,
        error_row,
        typed_reason,
        can_review: policy::review_school_roster(a, &SchoolId::from(school.as_str())).is_allowed(),
        f_review_state: q.review_state.unwrap_or_default(),
        review,
    };
    Ok(form_page(&page, &page.errors))
}

/// 生源审核 from the list: 审核通过 / 退回 of the ticked graduates (`g_<id>` boxes), or
/// 按当前筛选全部审核通过 over the list's filter (every page). The page comes back with what
/// was done and, for a refused form, the ticks and the reason as typed.
pub(super) async fn roster_review(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let field = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    let q = GraduateListQuery {
        graduation_year: field("graduation_year"),
        department_id: field("department_id"),
        keyword: field("keyword"),
        review_state: field("review_state"),
        page: None,
        notice: None,
    };
    let mut ticked: Vec<String> = f
        .keys()
        .filter_map(|k| k.strip_prefix("g_"))
        .map(str::to_string)
        .collect();
    ticked.sort();
    let reason = f.get("reason").cloned().unwrap_or_default();
    let (decision, by_filter) = match f.get("decision").map(String::as_str) {
        Some("approve") => (RosterDecision::Approve, false),
        Some("return") => (RosterDecision::Return, false),
        Some("approve_filter") => (RosterDecision::Approve, true),
        _ => return Err(PageError::bad_request("请选择审核通过或退回")),
    };
    let request = RosterReviewRequest {
        decision,
        reason: Some(reason.clone()),
        ids: (!by_filter).then(|| ticked.clone()),
        filter: by_filter.then(|| RosterReviewFilter {
            school_id: None,
            graduation_year: q
                .graduation_year
                .as_deref()
                .and_then(|y| y.trim().parse().ok()),
            department_id: q.department_id.clone(),
            keyword: q.keyword.clone(),
            bound: None,
            review_state: q.review_state.as_deref().and_then(RosterReview::parse),
        }),
    };
    let label = match decision {
        RosterDecision::Approve => "审核通过",
        RosterDecision::Return => "退回",
    };
    match wangqian_store::roster_review::review_roster_records(&state.store, &s.actor, request)
        .await
    {
        Ok(outcome) => {
            let review = ReviewForm {
                outcome: Some(outcome),
                decision: label,
                ..ReviewForm::default()
            };
            graduates_page(
                &state,
                &s,
                q,
                FormErrors::default(),
                String::new(),
                String::new(),
                review,
            )
            .await
        }
        Err(e) => {
            // The form's own names: the list's lock forms have a `reason` of their own.
            let errors = FormErrors::from_service(e, |f| match f {
                "reason" => Some("review_reason".into()),
                "ids" => Some("review_ids".into()),
                _ => None,
            })?;
            let review = ReviewForm {
                ticked,
                reason,
                ..ReviewForm::default()
            };
            graduates_page(&state, &s, q, errors, String::new(), String::new(), review).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct LockForm {
    locked: String,
    #[serde(default)]
    reason: String,
}

/// 暂停/恢复网签 from the graduate list; a missing reason comes back next to the row's field.
pub(super) async fn signing_lock(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<LockForm>,
) -> PageResult {
    let locked = f.locked == "true";
    let change = graduates::SigningLockChange {
        locked,
        reason: f.reason.clone(),
    };
    match graduates::set_signing_lock(&state.store, &s.actor, &id, change).await {
        Ok(_) => Ok(Redirect::to(if locked {
            "/school/graduates?notice=locked"
        } else {
            "/school/graduates?notice=unlocked"
        })
        .into_response()),
        Err(e) => {
            let errors = FormErrors::from_service(e, same_name)?;
            graduates_page(
                &state,
                &s,
                GraduateListQuery::default(),
                errors,
                id,
                f.reason,
                ReviewForm::default(),
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct PasswordResetPage {
    user: Option<UserBar>,
    reset: accounts::PasswordReset,
    back: &'static str,
}

/// The one-time password, shown once in the answer to the confirmed form (never in a link, and
/// not kept by the browser's cache).
pub(super) fn reset_shown(
    s: &SessionInfo,
    reset: accounts::PasswordReset,
    back: &'static str,
) -> Response {
    let mut r = render(&PasswordResetPage {
        user: bar(s),
        reset,
        back,
    });
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// 重置密码 of a staff account, from the staff list.
pub(super) async fn staff_password_reset(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
) -> PageResult {
    let reset = accounts::reset_account_password(&state.store, &s.actor, &id).await?;
    Ok(reset_shown(&s, reset, "/school/staff"))
}

/// 重置密码 of a graduate's account, from the graduate list (which names graduates, not accounts).
pub(super) async fn graduate_password_reset(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
) -> PageResult {
    let account = accounts::account_of_graduate(&state.store, &s.actor, &id).await?;
    let reset = accounts::reset_account_password(&state.store, &s.actor, &account).await?;
    Ok(reset_shown(&s, reset, "/school/graduates"))
}

pub(super) async fn unbind(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
) -> PageResult {
    accounts::unbind_graduate(&state.store, &s.actor, &id).await?;
    Ok(Redirect::to("/school/graduates?notice=unbound").into_response())
}

struct JobLine {
    id: String,
    created: String,
    label: &'static str,
    done: i64,
    total: i64,
}

fn job_label(status: &str) -> &'static str {
    match status {
        "queued" => "排队中",
        "running" => "导入中",
        "succeeded" => "导入成功",
        _ => "导入失败",
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    user: Option<UserBar>,
    csrf: String,
    errors: FormErrors,
    jobs: Vec<JobLine>,
}

async fn imports_page(state: &AppState, s: &SessionInfo, errors: FormErrors) -> PageResult {
    if s.actor.role != Role::SchoolAdmin {
        return Err(PageError::forbidden());
    }
    let school = school_of(s)?;
    let rows = jobs::list_for_school(&state.store, &school, roster_import::JOB_KIND, 20)
        .await
        .map_err(ServiceError::from)?;
    let page = ImportsPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        errors,
        jobs: rows
            .into_iter()
            .map(|j| JobLine {
                created: china_time(j.created_at),
                label: job_label(&j.status),
                done: j.progress_done,
                total: j.progress_total,
                id: j.id,
            })
            .collect(),
    };
    Ok(form_page(&page, &page.errors))
}

pub(super) async fn imports(State(state): State<AppState>, PageAuth(s): PageAuth) -> PageResult {
    imports_page(&state, &s, FormErrors::default()).await
}

pub(super) async fn import_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    mp: Multipart,
) -> PageResult {
    match crate::api::start(&state, &s, mp).await {
        Ok(job_id) => Ok(Redirect::to(&format!("/school/imports/{job_id}")).into_response()),
        Err(e) => {
            let errors = FormErrors::from_api(e, same_name)?;
            imports_page(&state, &s, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    user: Option<UserBar>,
    running: bool,
    failed: bool,
    label: &'static str,
    phase: String,
    done: i64,
    total: i64,
    message: String,
    errors: Vec<RowError>,
    error_count: usize,
}

pub(super) async fn import_progress(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
) -> PageResult {
    let job = roster_import::get_import(&state.store, &s.actor, &id).await?;
    // A job still waiting or running has no report yet; a finished one always has one.
    let report: roster_import::ImportReport = match job.result.as_deref() {
        None => roster_import::ImportReport::default(),
        Some(r) => serde_json::from_str(r)
            .map_err(|e| ServiceError::Internal(anyhow::Error::from(e).context("import report")))?,
    };
    Ok(render(&ImportPage {
        user: bar(&s),
        running: matches!(job.status.as_str(), "queued" | "running"),
        failed: job.status == "failed",
        label: job_label(&job.status),
        phase: job.phase,
        done: job.progress_done,
        total: job.progress_total.max(job.progress_done),
        message: report.message,
        error_count: report.error_count,
        errors: report.errors,
    }))
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: FormErrors,
    form: StaffForm,
    staff: Vec<accounts::StaffRow>,
    departments: Vec<DepartmentRow>,
    /// The viewer's own account: its password is changed, never reset, so it has no button.
    me: String,
}

async fn staff_page(
    state: &AppState,
    s: &SessionInfo,
    notice: String,
    form: StaffForm,
    errors: FormErrors,
) -> PageResult {
    let staff = accounts::list_staff(&state.store, &s.actor).await?;
    let departments = orgs::departments(&state.store, &school_of(s)?).await?;
    let page = StaffPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice,
        errors,
        form,
        staff,
        departments,
        me: s.actor.account_id.to_string(),
    };
    Ok(form_page(&page, &page.errors))
}

pub(super) async fn staff(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let notice = notice_text(q.notice.as_deref());
    staff_page(
        &state,
        &s,
        notice,
        StaffForm::default(),
        FormErrors::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
pub(super) struct StaffForm {
    department_id: String,
    login_name: String,
    display_name: String,
    password: String,
}

pub(super) async fn staff_create(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<StaffForm>,
) -> PageResult {
    let input = accounts::NewReviewer {
        department_id: f.department_id.clone(),
        login_name: f.login_name.clone(),
        display_name: f.display_name.clone(),
        password: f.password.clone(),
    };
    match accounts::create_reviewer(&state.store, &s.actor, input).await {
        Ok(_) => Ok(Redirect::to("/school/staff?notice=saved").into_response()),
        Err(e) => {
            let mut errors = FormErrors::from_service(e, same_name)?;
            // The initial password is never written back into the page.
            if !errors.has("password") {
                errors.add("password", "为安全起见，请重新输入初始密码");
            }
            let form = StaffForm {
                password: String::new(),
                ..f
            };
            staff_page(&state, &s, String::new(), form, errors).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ActiveForm {
    active: String,
}

pub(super) async fn staff_active(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<ActiveForm>,
) -> PageResult {
    accounts::set_reviewer_active(&state.store, &s.actor, &id, f.active == "true").await?;
    Ok(Redirect::to("/school/staff?notice=saved").into_response())
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: FormErrors,
    s: SettingsForm,
}

/// The settings as the form shows them: text, so that a wrong value comes back as typed.
#[derive(Deserialize)]
pub(super) struct SettingsForm {
    graduation_year: String,
    signing_opens_on: String,
    signing_closes_on: String,
    review_levels: String,
    binding_moment: String,
    employer_may_request_termination: String,
    termination_not_before: String,
    max_terminations: String,
    invitation_validity_days: String,
    employer_verification: String,
    #[serde(default)]
    agreement_copies: String,
    /// "true" / "false"; a form without it (an older page) keeps the default, on.
    #[serde(default)]
    roster_review: String,
}

impl SettingsForm {
    fn of(st: &SigningSettings) -> SettingsForm {
        SettingsForm {
            graduation_year: st.graduation_year.to_string(),
            signing_opens_on: st.signing_opens_on.to_string(),
            signing_closes_on: st.signing_closes_on.to_string(),
            review_levels: st.review_levels.as_str().into(),
            binding_moment: st.binding_moment.as_str().into(),
            employer_may_request_termination: st.employer_may_request_termination.to_string(),
            termination_not_before: st.termination_not_before.to_string(),
            max_terminations: st.max_terminations.to_string(),
            invitation_validity_days: st.invitation_validity_days.to_string(),
            employer_verification: st.employer_verification.as_str().into(),
            agreement_copies: st.agreement_copies.to_string(),
            roster_review: st.roster_review.to_string(),
        }
    }

    /// The typed settings, or every value that is not a date, a number or a choice.
    fn read(&self) -> Result<SigningSettings, FormErrors> {
        let mut errors = FormErrors::default();
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let mut date = |field: &str, label: &str, v: &str| {
            time::Date::parse(v.trim(), &fmt).unwrap_or_else(|_| {
                errors.add(field, format!("{label}不是有效日期（如 2027-07-15）"));
                time::Date::MIN
            })
        };
        let opens = date("signing_opens_on", "网签开放日期", &self.signing_opens_on);
        let closes = date("signing_closes_on", "网签截止日期", &self.signing_closes_on);
        let not_before = date(
            "termination_not_before",
            "解约起始日期",
            &self.termination_not_before,
        );
        let mut number = |field: &str, label: &str, v: &str| -> u16 {
            v.trim().parse().unwrap_or_else(|_| {
                errors.add(field, format!("{label}应填写整数"));
                0
            })
        };
        let year = number("graduation_year", "毕业年度", &self.graduation_year);
        let max_terminations = number("max_terminations", "解约次数", &self.max_terminations);
        let validity = number(
            "invitation_validity_days",
            "反馈有效期",
            &self.invitation_validity_days,
        );
        let copies = match self.agreement_copies.trim() {
            "" => 3,
            v => number("agreement_copies", "打印份数", v),
        };
        let mut choice = |field: &str, ok: bool| {
            if !ok {
                errors.add(field, "请从列表中选择");
            }
        };
        let review_levels = ReviewLevels::parse(&self.review_levels);
        choice("review_levels", review_levels.is_some());
        let binding_moment = BindingMoment::parse(&self.binding_moment);
        choice("binding_moment", binding_moment.is_some());
        let verification = EmployerVerification::parse(&self.employer_verification);
        choice("employer_verification", verification.is_some());
        let may_terminate = self.employer_may_request_termination == "true";
        choice(
            "employer_may_request_termination",
            matches!(
                self.employer_may_request_termination.as_str(),
                "true" | "false"
            ),
        );
        choice(
            "roster_review",
            matches!(self.roster_review.as_str(), "" | "true" | "false"),
        );
        let narrow = |n: u16| u8::try_from(n).unwrap_or(u8::MAX);
        let st = SigningSettings {
            graduation_year: year,
            signing_opens_on: opens,
            signing_closes_on: closes,
            review_levels: review_levels.unwrap_or(ReviewLevels::Two),
            binding_moment: binding_moment.unwrap_or(BindingMoment::OnAttestation),
            employer_may_request_termination: may_terminate,
            termination_not_before: not_before,
            max_terminations: narrow(max_terminations),
            invitation_validity_days: narrow(validity),
            employer_verification: verification.unwrap_or(EmployerVerification::PlatformSufficient),
            agreement_copies: narrow(copies),
            roster_review: self.roster_review != "false",
        };
        if errors.is_empty() {
            return Ok(st);
        }
        // The rules the service applies, for the values that could be read, so that every
        // problem shows at once; date rules wait until the dates themselves are right.
        let dates_read = ![
            "signing_opens_on",
            "signing_closes_on",
            "termination_not_before",
        ]
        .iter()
        .any(|f| errors.has(f));
        for e in st.validate().err().unwrap_or_default() {
            let relational = matches!(e.field, "signing_closes_on" | "termination_not_before");
            if !errors.has(e.field) && (dates_read || !relational) {
                errors.add(e.field, e.reason);
            }
        }
        Err(errors)
    }
}

pub(super) async fn settings_form(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    if s.actor.role != Role::SchoolAdmin {
        return Err(PageError::forbidden());
    }
    let year = demo::current_cohort(state.store.now());
    let st = settings::get_settings(&state.store, &s.actor, &school_of(&s)?, year).await?;
    Ok(render(&SettingsPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        notice: notice_text(q.notice.as_deref()),
        errors: FormErrors::default(),
        s: SettingsForm::of(&st),
    }))
}

pub(super) async fn settings_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<SettingsForm>,
) -> PageResult {
    let school = school_of(&s)?;
    let errors = match f.read() {
        Err(errors) => errors,
        Ok(st) => match settings::update_settings(&state.store, &s.actor, &school, st).await {
            Ok(_) => return Ok(Redirect::to("/school/settings?notice=saved").into_response()),
            Err(e) => FormErrors::from_service(e, same_name)?,
        },
    };
    let page = SettingsPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        notice: String::new(),
        errors,
        s: f,
    };
    Ok(form_page(&page, &page.errors))
}
