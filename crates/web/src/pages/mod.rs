//! Server-rendered Chinese pages over the same services as the API.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;
use wangqian_domain::codes::{self, CodeEntry};
use wangqian_domain::role::{EmployerRole, Role};
use wangqian_domain::settings::{
    BindingMoment, EmployerVerification, ReviewLevels, SigningSettings,
};
use wangqian_store::accounts::{self, BindGraduate, SessionInfo};
use wangqian_store::employers::{
    self, EmployerDetail, EmployerRow, MemberRow, VerificationFilter, VerifyEmployer,
};
use wangqian_store::graduates::{self, GraduateFilter, GraduateRecord, GraduateSummary};
use wangqian_store::orgs::{self, DepartmentRow, SchoolRow};
use wangqian_store::roster_import::{self, RowError};
use wangqian_store::{demo, jobs, settings, Page, ServiceError};

use crate::api::client_key;
use crate::auth::{clear_cookie, session_cookie, MaybeAuth, PageAuth, SessionToken};
use crate::error::ApiError;
use crate::AppState;

mod agreements;
mod destinations;
mod documents;
mod messages;
mod signing;
pub mod static_files;
mod terms_form;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(static_files::routes())
        .route("/", get(home))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/bind", get(bind_form).post(bind_submit))
        .route(
            "/account/password",
            get(password_form).post(password_submit),
        )
        .route("/register", get(register_form).post(register_submit))
        .route("/school/graduates", get(graduate_list))
        .route("/school/graduates/{id}/unbind", post(unbind))
        .route("/school/imports", get(imports).post(import_submit))
        .route("/school/imports/{id}", get(import_progress))
        .route("/school/staff", get(staff).post(staff_create))
        .route("/school/staff/{id}/active", post(staff_active))
        .route("/school/settings", get(settings_form).post(settings_submit))
        .route("/verify", get(verify_list))
        .route("/verify/{id}", post(verify_submit))
        .route("/employer/members/{id}/decision", post(member_decision))
        .route("/employer/signing", get(signing::show))
        .route("/employer/signing/find", post(signing::find_submit))
        .route("/employer/signing/remove", post(signing::remove))
        .route("/employer/signing/import", post(signing::import_submit))
        .route("/employer/signing/send", post(signing::send_submit))
        .route("/agreements", get(agreements::list))
        .route("/agreements/{id}", get(agreements::detail))
        .route("/agreements/{id}/accept", post(agreements::accept))
        .route("/agreements/{id}/act", post(agreements::act))
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

/// Shows a service error as a Chinese message page with the right status.
fn error_page(user: Option<UserBar>, e: impl Into<ApiError>) -> Response {
    let e: ApiError = e.into();
    let page = MessagePage {
        user,
        heading: "操作未完成".into(),
        text: e.message.clone(),
        link: "/".into(),
        link_text: "返回首页".into(),
    };
    let mut r = render(&page);
    *r.status_mut() = e.status;
    r
}

fn messages(e: ServiceError) -> Vec<String> {
    match e {
        ServiceError::Validation(fields) => fields.into_iter().map(|f| f.message).collect(),
        other => vec![ApiError::from(other).message],
    }
}

/// The one-time key of a multipart page form, which rides in the query beside `_csrf`.
#[derive(serde::Deserialize)]
struct UploadQuery {
    #[serde(rename = "_idem")]
    idem: Option<String>,
}

/// An error page whose text is the field messages ("请上传…"), which say more than the
/// envelope's general one.
fn field_error_page(s: &SessionInfo, mut e: ApiError) -> Response {
    if !e.fields.is_empty() {
        e.message = e
            .fields
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("；");
    }
    error_page(bar(s), e)
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
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match <Form<T> as axum::extract::FromRequest<S>>::from_request(req, state).await {
            Ok(Form(v)) => Ok(PageForm(v)),
            Err(e) => Err(error_page(
                None,
                ApiError::bad_request(format!(
                    "表单内容不完整或格式不正确，请返回检查后重新提交（{}）",
                    e.body_text()
                )),
            )),
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

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    user: Option<UserBar>,
    error: String,
    login: String,
}

async fn login_form(MaybeAuth(s): MaybeAuth) -> Response {
    if s.is_some() {
        return Redirect::to("/").into_response();
    }
    render(&LoginPage {
        user: None,
        error: String::new(),
        login: String::new(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    PageForm(f): PageForm<LoginForm>,
) -> Response {
    match accounts::login(
        &state.store,
        &f.login,
        &f.password,
        &client_key(&addr),
        &state.session_policy,
    )
    .await
    {
        Ok(outcome) => (
            [(SET_COOKIE, session_cookie(&state, &outcome.session_token))],
            Redirect::to("/"),
        )
            .into_response(),
        Err(e) => {
            let status = ApiError::from(ServiceError::BadRequest(String::new())).status;
            let message = messages(e).join("；");
            let mut r = render(&LoginPage {
                user: None,
                error: message,
                login: f.login,
            });
            *r.status_mut() = if status == StatusCode::BAD_REQUEST {
                StatusCode::UNAUTHORIZED
            } else {
                status
            };
            r
        }
    }
}

async fn logout(State(state): State<AppState>, token: Option<Extension<SessionToken>>) -> Response {
    if let Some(Extension(SessionToken(t))) = token {
        if let Err(e) = accounts::logout(&state.store, &t).await {
            return error_page(None, e);
        }
    }
    ([(SET_COOKIE, clear_cookie())], Redirect::to("/login")).into_response()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    user: Option<UserBar>,
    notice: String,
    heading: String,
    role: &'static str,
    csrf: String,
    graduate: Option<GraduateRecord>,
    employer: Option<EmployerDetail>,
    members: Vec<MemberRow>,
    is_manager: bool,
    cohort: u16,
    graduates_total: i64,
    graduates_bound: i64,
    pending_employers: i64,
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
        Some("decided") => "已处理。".into(),
        _ => String::new(),
    }
}

async fn home(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let a = &s.actor;
    let cohort = demo::current_cohort(wangqian_store::now_ms());
    let mut page = HomePage {
        user: bar(&s),
        notice: notice_text(q.notice.as_deref()),
        heading: format!("{}首页", a.role.label()),
        role: a.role.as_str(),
        csrf: s.csrf_token.clone(),
        graduate: None,
        employer: None,
        members: Vec::new(),
        is_manager: a.employer_role == Some(EmployerRole::Manager),
        cohort,
        graduates_total: 0,
        graduates_bound: 0,
        pending_employers: 0,
    };
    let result: Result<(), ServiceError> = async {
        match a.role {
            Role::Graduate => {
                if let Some(g) = &a.graduate_id {
                    page.graduate = Some(graduates::get_graduate(&state.store, a, g).await?);
                }
            }
            Role::EmployerMember => {
                if let Some(e) = &a.employer_id {
                    page.employer = Some(employers::get_employer(&state.store, a, e).await?);
                    page.members = employers::list_members(&state.store, a, e).await?;
                }
            }
            Role::SchoolAdmin | Role::DepartmentReviewer => {
                let school = a.school_id.clone().unwrap_or_default();
                let base = GraduateFilter {
                    graduation_year: Some(i64::from(cohort)),
                    per_page: Some(1),
                    ..GraduateFilter::default()
                };
                page.graduates_total =
                    graduates::count_graduates(&state.store, a, &school, &base).await?;
                page.graduates_bound = graduates::count_graduates(
                    &state.store,
                    a,
                    &school,
                    &GraduateFilter {
                        bound: Some(true),
                        ..base
                    },
                )
                .await?;
                if a.role == Role::SchoolAdmin {
                    page.pending_employers = employers::list_for_verification(
                        &state.store,
                        a,
                        &VerificationFilter {
                            per_page: Some(1),
                            ..VerificationFilter::default()
                        },
                    )
                    .await?
                    .total;
                }
            }
            Role::ProvincialAdmin => {
                page.pending_employers = employers::list_for_verification(
                    &state.store,
                    a,
                    &VerificationFilter {
                        per_page: Some(1),
                        ..VerificationFilter::default()
                    },
                )
                .await?
                .total;
            }
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => render(&page),
        Err(e) => error_page(bar(&s), e),
    }
}

#[derive(Template)]
#[template(path = "bind.html")]
struct BindPage {
    user: Option<UserBar>,
    errors: Vec<String>,
    schools: Vec<SchoolRow>,
    form: BindForm,
}

#[derive(Deserialize, Default)]
struct BindForm {
    school_id: String,
    name: String,
    student_no: String,
    id_number: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn bind_form(State(state): State<AppState>) -> Response {
    match orgs::search_schools(&state.store, "").await {
        Ok(schools) => render(&BindPage {
            user: None,
            errors: vec![],
            schools,
            form: BindForm::default(),
        }),
        Err(e) => error_page(None, e),
    }
}

async fn bind_submit(State(state): State<AppState>, PageForm(f): PageForm<BindForm>) -> Response {
    let input = BindGraduate {
        school_id: f.school_id.clone(),
        name: f.name.clone(),
        student_no: f.student_no.clone(),
        id_number: f.id_number.clone(),
        password: f.password.clone(),
        password_confirm: f.password_confirm.clone(),
    };
    match accounts::bind_graduate(&state.store, input, &state.session_policy).await {
        Ok(outcome) => (
            [(SET_COOKIE, session_cookie(&state, &outcome.session_token))],
            Redirect::to("/?notice=bound"),
        )
            .into_response(),
        Err(e) => {
            let status = ApiError::from(ServiceError::BadRequest(String::new())).status;
            let errors = messages(e);
            let schools = orgs::search_schools(&state.store, "")
                .await
                .unwrap_or_default();
            let mut r = render(&BindPage {
                user: None,
                errors,
                schools,
                form: BindForm {
                    password: String::new(),
                    password_confirm: String::new(),
                    ..f
                },
            });
            *r.status_mut() = status;
            r
        }
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    user: Option<UserBar>,
    errors: Vec<String>,
    schools: Vec<SchoolRow>,
    natures: &'static [CodeEntry],
    industries: &'static [CodeEntry],
    sizes: &'static [CodeEntry],
    capitals: &'static [CodeEntry],
}

async fn register_page(state: &AppState, errors: Vec<String>) -> Response {
    let schools = orgs::search_schools(&state.store, "")
        .await
        .unwrap_or_default();
    render(&RegisterPage {
        user: None,
        errors,
        schools,
        natures: codes::UNIT_NATURE.entries,
        industries: codes::INDUSTRY.entries,
        sizes: codes::UNIT_SIZE.entries,
        capitals: codes::REGISTERED_CAPITAL.entries,
    })
}

async fn register_form(State(state): State<AppState>) -> Response {
    register_page(&state, vec![]).await
}

async fn register_submit(State(state): State<AppState>, mp: Multipart) -> Response {
    match crate::api::register(&state, mp).await {
        Ok(r) => render(&MessagePage {
            user: None,
            heading: "注册成功".into(),
            text: format!(
                "注册信息已提交，请等待平台和学校管理员审核，审核通过后即可进行网上签约。{}",
                r.credit_code_warning
                    .map(|w| format!("注意：{w}，审核时将人工核对。"))
                    .unwrap_or_default()
            ),
            link: "/login".into(),
            link_text: "去登录".into(),
        }),
        Err(e) => {
            let status = e.status;
            let mut errors: Vec<String> = e.fields.iter().map(|f| f.message.clone()).collect();
            if errors.is_empty() {
                errors.push(e.message);
            }
            let mut r = register_page(&state, errors).await;
            *r.status_mut() = status;
            r
        }
    }
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
}

#[derive(Deserialize, Default)]
struct GraduateListQuery {
    graduation_year: Option<String>,
    department_id: Option<String>,
    keyword: Option<String>,
    page: Option<i64>,
    notice: Option<String>,
}

async fn graduate_list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<GraduateListQuery>,
) -> Response {
    let a = &s.actor;
    let school = a.school_id.clone().unwrap_or_default();
    let year = q
        .graduation_year
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_string();
    let filter = GraduateFilter {
        graduation_year: year.parse().ok(),
        department_id: q.department_id.clone(),
        keyword: q.keyword.clone(),
        bound: None,
        page: q.page,
        per_page: Some(30),
        after: None,
    };
    let page = match graduates::list_graduates(&state.store, a, &school, &filter).await {
        Ok(p) => p,
        Err(e) => return error_page(bar(&s), e),
    };
    let departments = orgs::departments(&state.store, &school)
        .await
        .unwrap_or_default();
    render(&GraduatesPage {
        user: bar(&s),
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
    })
}

async fn unbind(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
) -> Response {
    match accounts::unbind_graduate(&state.store, &s.actor, &id).await {
        Ok(()) => Redirect::to("/school/graduates?notice=unbound").into_response(),
        Err(e) => error_page(bar(&s), e),
    }
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

fn china_time(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000 + 8 * 3600)
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

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    user: Option<UserBar>,
    csrf: String,
    error: String,
    jobs: Vec<JobLine>,
}

async fn imports_page(state: &AppState, s: &SessionInfo, error: String) -> Response {
    if s.actor.role != Role::SchoolAdmin {
        return error_page(bar(s), ServiceError::Forbidden);
    }
    let school = s.actor.school_id.clone().unwrap_or_default();
    let rows = jobs::list_for_school(&state.store, &school, roster_import::JOB_KIND, 20)
        .await
        .unwrap_or_default();
    render(&ImportsPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        error,
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
    })
}

async fn imports(State(state): State<AppState>, PageAuth(s): PageAuth) -> Response {
    imports_page(&state, &s, String::new()).await
}

async fn import_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    mp: Multipart,
) -> Response {
    match crate::api::start(&state, &s, mp).await {
        Ok(job_id) => Redirect::to(&format!("/school/imports/{job_id}")).into_response(),
        Err(e) => {
            let status = e.status;
            let message = e
                .fields
                .first()
                .map(|f| f.message.clone())
                .unwrap_or(e.message);
            let mut r = imports_page(&state, &s, message).await;
            *r.status_mut() = status;
            r
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

async fn import_progress(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
) -> Response {
    let job = match roster_import::get_import(&state.store, &s.actor, &id).await {
        Ok(j) => j,
        Err(e) => return error_page(bar(&s), e),
    };
    let report: roster_import::ImportReport = job
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    render(&ImportPage {
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
    })
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: Vec<String>,
    staff: Vec<accounts::StaffRow>,
    departments: Vec<DepartmentRow>,
}

async fn staff_page(
    state: &AppState,
    s: &SessionInfo,
    notice: String,
    errors: Vec<String>,
) -> Response {
    let staff = match accounts::list_staff(&state.store, &s.actor).await {
        Ok(v) => v,
        Err(e) => return error_page(bar(s), e),
    };
    let departments = orgs::departments(&state.store, s.actor.school_id.as_deref().unwrap_or(""))
        .await
        .unwrap_or_default();
    render(&StaffPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice,
        errors,
        staff,
        departments,
    })
}

async fn staff(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> Response {
    staff_page(&state, &s, notice_text(q.notice.as_deref()), vec![]).await
}

#[derive(Deserialize)]
struct StaffForm {
    department_id: String,
    login_name: String,
    display_name: String,
    password: String,
}

async fn staff_create(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<StaffForm>,
) -> Response {
    let input = accounts::NewReviewer {
        department_id: f.department_id,
        login_name: f.login_name,
        display_name: f.display_name,
        password: f.password,
    };
    match accounts::create_reviewer(&state.store, &s.actor, input).await {
        Ok(_) => Redirect::to("/school/staff?notice=saved").into_response(),
        Err(e) => {
            let status = ApiError::from(ServiceError::Validation(vec![])).status;
            let mut r = staff_page(&state, &s, String::new(), messages(e)).await;
            *r.status_mut() = status;
            r
        }
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    active: String,
}

async fn staff_active(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<ActiveForm>,
) -> Response {
    match accounts::set_reviewer_active(&state.store, &s.actor, &id, f.active == "true").await {
        Ok(()) => Redirect::to("/school/staff?notice=saved").into_response(),
        Err(e) => error_page(bar(&s), e),
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: Vec<String>,
    s: SigningSettings,
}

async fn settings_form(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let year = demo::current_cohort(wangqian_store::now_ms());
    let school = s.actor.school_id.clone().unwrap_or_default();
    if s.actor.role != Role::SchoolAdmin {
        return error_page(bar(&s), ServiceError::Forbidden);
    }
    match settings::get_settings(&state.store, &s.actor, &school, year).await {
        Ok(st) => render(&SettingsPage {
            user: bar(&s),
            csrf: s.csrf_token.clone(),
            notice: notice_text(q.notice.as_deref()),
            errors: vec![],
            s: st,
        }),
        Err(e) => error_page(bar(&s), e),
    }
}

#[derive(Deserialize)]
struct SettingsForm {
    graduation_year: u16,
    signing_opens_on: String,
    signing_closes_on: String,
    review_levels: String,
    binding_moment: String,
    employer_may_request_termination: String,
    termination_not_before: String,
    max_terminations: u8,
    invitation_validity_days: u8,
    employer_verification: String,
    agreement_copies: Option<u8>,
}

fn parse_form_date(field: &str, v: &str, errors: &mut Vec<String>) -> time::Date {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(v.trim(), &fmt).unwrap_or_else(|_| {
        errors.push(format!("{field}不是有效日期（YYYY-MM-DD）"));
        time::macros::date!(2000 - 01 - 01)
    })
}

async fn settings_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<SettingsForm>,
) -> Response {
    let mut errors = Vec::new();
    let st = SigningSettings {
        graduation_year: f.graduation_year,
        signing_opens_on: parse_form_date("网签开放日期", &f.signing_opens_on, &mut errors),
        signing_closes_on: parse_form_date("网签截止日期", &f.signing_closes_on, &mut errors),
        review_levels: ReviewLevels::parse(&f.review_levels).unwrap_or(ReviewLevels::Two),
        binding_moment: BindingMoment::parse(&f.binding_moment)
            .unwrap_or(BindingMoment::OnAttestation),
        employer_may_request_termination: f.employer_may_request_termination == "true",
        termination_not_before: parse_form_date(
            "解约起始日期",
            &f.termination_not_before,
            &mut errors,
        ),
        max_terminations: f.max_terminations,
        invitation_validity_days: f.invitation_validity_days,
        employer_verification: EmployerVerification::parse(&f.employer_verification)
            .unwrap_or(EmployerVerification::PlatformSufficient),
        agreement_copies: f.agreement_copies.unwrap_or(3),
    };
    let school = s.actor.school_id.clone().unwrap_or_default();
    let result = if errors.is_empty() {
        settings::update_settings(&state.store, &s.actor, &school, st.clone())
            .await
            .map_err(messages)
    } else {
        Err(errors)
    };
    match result {
        Ok(_) => Redirect::to("/school/settings?notice=saved").into_response(),
        Err(errors) => {
            let mut r = render(&SettingsPage {
                user: bar(&s),
                csrf: s.csrf_token.clone(),
                notice: String::new(),
                errors,
                s: st,
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    error: String,
    is_school: bool,
    page: Page<EmployerRow>,
}

async fn verify_page(state: &AppState, s: &SessionInfo, notice: String, error: String) -> Response {
    match employers::list_for_verification(
        &state.store,
        &s.actor,
        &VerificationFilter {
            per_page: Some(50),
            ..VerificationFilter::default()
        },
    )
    .await
    {
        Ok(page) => render(&VerifyPage {
            user: bar(s),
            csrf: s.csrf_token.clone(),
            notice,
            error,
            is_school: s.actor.role == Role::SchoolAdmin,
            page,
        }),
        Err(e) => error_page(bar(s), e),
    }
}

async fn verify_list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> Response {
    verify_page(&state, &s, notice_text(q.notice.as_deref()), String::new()).await
}

#[derive(Deserialize)]
struct VerifyForm {
    approve: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    override_credit_code_warning: Option<String>,
}

async fn verify_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<VerifyForm>,
) -> Response {
    let input = VerifyEmployer {
        approve: f.approve == "true",
        reason: Some(f.reason),
        override_credit_code_warning: f.override_credit_code_warning.as_deref() == Some("true"),
    };
    match employers::verify_employer(&state.store, &s.actor, &id, input).await {
        Ok(()) => Redirect::to("/verify?notice=decided").into_response(),
        Err(e) => {
            let status = ApiError::from(ServiceError::Conflict(String::new())).status;
            let mut r = verify_page(&state, &s, String::new(), messages(e).join("；")).await;
            *r.status_mut() = status;
            r
        }
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    approve: String,
}

async fn member_decision(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<DecisionForm>,
) -> Response {
    let employer = s.actor.employer_id.clone().unwrap_or_default();
    match employers::decide_member(&state.store, &s.actor, &employer, &id, f.approve == "true")
        .await
    {
        Ok(()) => Redirect::to("/?notice=decided").into_response(),
        Err(e) => error_page(bar(&s), e),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    user: Option<UserBar>,
    csrf: String,
    required: bool,
    done: bool,
    general: String,
    current_error: String,
    new_error: String,
    confirm_error: String,
}

impl PasswordPage {
    fn new(s: &SessionInfo) -> PasswordPage {
        PasswordPage {
            user: bar(s),
            csrf: s.csrf_token.clone(),
            required: s.must_change_password,
            done: false,
            general: String::new(),
            current_error: String::new(),
            new_error: String::new(),
            confirm_error: String::new(),
        }
    }
}

#[derive(Deserialize)]
struct PasswordQuery {
    done: Option<String>,
}

async fn password_form(PageAuth(s): PageAuth, Query(q): Query<PasswordQuery>) -> Response {
    render(&PasswordPage {
        done: q.done.is_some(),
        ..PasswordPage::new(&s)
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password_confirm: String,
}

async fn password_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<PasswordForm>,
) -> Response {
    let input = accounts::ChangePassword {
        current_password: f.current_password,
        new_password: f.new_password,
        new_password_confirm: f.new_password_confirm,
    };
    match accounts::change_password(&state.store, &s.actor, input, &state.session_policy).await {
        Ok(()) => Redirect::to("/account/password?done=1").into_response(),
        Err(e) => {
            let mut page = PasswordPage::new(&s);
            let status = match e {
                ServiceError::Validation(fields) => {
                    for f in fields {
                        let slot = match f.field.as_str() {
                            "current_password" => &mut page.current_error,
                            "new_password" => &mut page.new_error,
                            "new_password_confirm" => &mut page.confirm_error,
                            _ => &mut page.general,
                        };
                        *slot = f.message;
                    }
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                other => {
                    let api = ApiError::from(other);
                    page.general = api.message;
                    api.status
                }
            };
            let mut r = render(&page);
            *r.status_mut() = status;
            r
        }
    }
}
