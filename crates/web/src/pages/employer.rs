//! The employer's own pages: registration (用人单位注册, steps 1–4), joining a registered
//! company (加入已注册单位), the manager's members page (单位成员) and 单位信息维护.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use wangqian_domain::codes::{self, CodeEntry};
use wangqian_domain::role::EmployerRole;
use wangqian_store::accounts::SessionInfo;
use wangqian_store::employers::{
    self, EmployerDetail, JoinEmployer, JoinKind, MemberRow, RegisterEmployer,
    UpdateEmployerProfile,
};
use wangqian_store::orgs::{self, SchoolRow};

use super::error::{form_page, same_name, FormErrors, PageError, PageResult};
use super::{bar, notice_text, page_idem, render, MessagePage, NoticeQuery, PageForm, UserBar};
use crate::auth::PageAuth;
use crate::uploads::{certificate, read_form, Form};
use crate::AppState;

/// What the registration form holds, kept as typed so that one mistake costs one correction.
#[derive(Default)]
struct RegisterForm {
    company_name: String,
    credit_code: String,
    login_name: String,
    manager_name: String,
    phone: String,
    province: String,
    city: String,
    address: String,
    company_phone: String,
    email: String,
    postcode: String,
    unit_nature_code: String,
    industry_code: String,
    size_code: String,
    registered_capital_code: String,
    school_ids: Vec<String>,
}

impl RegisterForm {
    fn read(form: &Form) -> RegisterForm {
        RegisterForm {
            company_name: form.text("company_name"),
            credit_code: form.text("credit_code"),
            login_name: form.text("login_name"),
            manager_name: form.text("manager_name"),
            phone: form.text("phone"),
            province: form.text("province"),
            city: form.text("city"),
            address: form.text("address"),
            company_phone: form.text("company_phone"),
            email: form.text("email"),
            postcode: form.text("postcode"),
            unit_nature_code: form.text("unit_nature_code"),
            industry_code: form.text("industry_code"),
            size_code: form.text("size_code"),
            registered_capital_code: form.text("registered_capital_code"),
            school_ids: form.all("school_ids"),
        }
    }

    fn input(&self, form: &Form) -> RegisterEmployer {
        RegisterEmployer {
            company_name: self.company_name.clone(),
            credit_code: self.credit_code.clone(),
            login_name: self.login_name.clone(),
            manager_name: self.manager_name.clone(),
            phone: self.phone.clone(),
            password: form.text("password"),
            password_confirm: form.text("password_confirm"),
            province: self.province.clone(),
            city: self.city.clone(),
            address: self.address.clone(),
            company_phone: self.company_phone.clone(),
            email: self.email.clone(),
            hr_email: form.text("hr_email"),
            postcode: self.postcode.clone(),
            unit_nature_code: self.unit_nature_code.clone(),
            industry_code: self.industry_code.clone(),
            size_code: self.size_code.clone(),
            registered_capital_code: self.registered_capital_code.clone(),
            tags: form.text("tags"),
            school_ids: self.school_ids.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    user: Option<UserBar>,
    errors: FormErrors,
    f: RegisterForm,
    schools: Vec<SchoolRow>,
    natures: &'static [CodeEntry],
    industries: &'static [CodeEntry],
    sizes: &'static [CodeEntry],
    capitals: &'static [CodeEntry],
    /// Set when the typed credit code is already registered: the way to join it.
    join_link: Option<String>,
}

async fn register_page(state: &AppState, f: RegisterForm, errors: FormErrors) -> PageResult {
    let join_link = if employers::employer_exists(&state.store, &f.credit_code).await? {
        Some(format!(
            "/register/join?credit_code={}",
            urlencoding_lite(f.credit_code.trim())
        ))
    } else {
        None
    };
    let page = RegisterPage {
        user: None,
        join_link,
        errors,
        f,
        schools: orgs::search_schools(&state.store, "").await?,
        natures: codes::UNIT_NATURE.entries,
        industries: codes::INDUSTRY.entries,
        sizes: codes::UNIT_SIZE.entries,
        capitals: codes::REGISTERED_CAPITAL.entries,
    };
    Ok(form_page(&page, &page.errors))
}

pub(super) async fn register_form(State(state): State<AppState>) -> PageResult {
    register_page(&state, RegisterForm::default(), FormErrors::default()).await
}

pub(super) async fn register_submit(State(state): State<AppState>, mp: Multipart) -> PageResult {
    let mut form = match read_form(mp, state.config.max_upload_mib).await {
        Ok(form) => form,
        // Too large or unreadable: nothing of the form arrived to be shown again.
        Err(e) => {
            let errors = FormErrors::from_api(e, |_| None)?;
            return register_page(&state, RegisterForm::default(), errors).await;
        }
    };
    let f = RegisterForm::read(&form);
    let input = f.input(&form);
    // A file of the wrong kind is reported on its field with everything else the service finds.
    let mut errors = FormErrors::default();
    let mut file = |form: &mut Form, name: &str, label: &str| match certificate(form, name, label) {
        Ok(file) => Ok(file),
        Err(e) => {
            errors.extend(FormErrors::from_api(e, same_name)?);
            Ok::<_, PageError>(None)
        }
    };
    let letter = file(&mut form, "authorisation_letter", "授权书")?;
    let licence = file(&mut form, "licence", "营业执照")?;
    let result =
        employers::register_employer(&state.store, state.blobs.as_ref(), input, letter, licence)
            .await;
    // A refused file reaches the service as missing, so nothing is registered without both.
    let e = match result {
        Ok(r) => {
            return Ok(render(&MessagePage {
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
            }))
        }
        Err(e) => e,
    };
    let service = FormErrors::from_service(e, same_name)?;
    if errors.is_empty() {
        errors.status = service.status;
    }
    for field in service.fields() {
        // The refusal of a file's kind says more than "please upload it".
        if !errors.has(&field.field) {
            errors.add(&field.field, field.message.clone());
        }
    }
    for m in service.general() {
        errors.add_general(m.clone());
    }
    // Neither passwords nor files come back into a page.
    if !errors.has("password") {
        errors.add("password", "为安全起见，请重新输入密码");
    }
    register_page(&state, f, errors).await
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    approve: String,
}

pub(super) async fn member_decision(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<DecisionForm>,
) -> PageResult {
    let employer = s
        .actor
        .employer_id
        .clone()
        .ok_or_else(PageError::forbidden)?;
    employers::decide_member(&state.store, &s.actor, &employer, &id, f.approve == "true").await?;
    Ok(Redirect::to("/employer/members?notice=decided").into_response())
}

/// A credit code is letters and digits only; anything else typed is dropped from the link
/// rather than escaped (the join page validates the code again).
fn urlencoding_lite(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// What the join form holds (all but the password and the file).
#[derive(Default)]
struct JoinForm {
    credit_code: String,
    kind: String,
    login_name: String,
    manager_name: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "register_join.html")]
struct JoinPage {
    user: Option<UserBar>,
    errors: FormErrors,
    f: JoinForm,
    /// The registered company's name, when the code is known.
    company: Option<String>,
}

async fn join_page(state: &AppState, f: JoinForm, errors: FormErrors) -> PageResult {
    let company = employers::employer_name_by_code(&state.store, &f.credit_code).await?;
    let page = JoinPage {
        user: None,
        errors,
        f,
        company,
    };
    Ok(form_page(&page, &page.errors))
}

#[derive(Deserialize, Default)]
pub(super) struct JoinQuery {
    credit_code: Option<String>,
}

pub(super) async fn join_form(
    State(state): State<AppState>,
    Query(q): Query<JoinQuery>,
) -> PageResult {
    let f = JoinForm {
        credit_code: q.credit_code.unwrap_or_default(),
        kind: "join".into(),
        ..JoinForm::default()
    };
    join_page(&state, f, FormErrors::default()).await
}

pub(super) async fn join_submit(State(state): State<AppState>, mp: Multipart) -> PageResult {
    let mut form = match read_form(mp, state.config.max_upload_mib).await {
        Ok(form) => form,
        Err(e) => {
            let errors = FormErrors::from_api(e, |_| None)?;
            return join_page(&state, JoinForm::default(), errors).await;
        }
    };
    let f = JoinForm {
        credit_code: form.text("credit_code"),
        kind: form.text("kind"),
        login_name: form.text("login_name"),
        manager_name: form.text("manager_name"),
        phone: form.text("phone"),
    };
    let kind = if f.kind == "become_manager" {
        JoinKind::BecomeManager
    } else {
        JoinKind::Join
    };
    let mut errors = FormErrors::default();
    let letter = match certificate(&mut form, "authorisation_letter", "授权书") {
        Ok(file) => file,
        Err(e) => {
            errors.extend(FormErrors::from_api(e, same_name)?);
            None
        }
    };
    let input = JoinEmployer {
        credit_code: f.credit_code.clone(),
        kind,
        login_name: f.login_name.clone(),
        manager_name: f.manager_name.clone(),
        phone: f.phone.clone(),
        password: form.text("password"),
        password_confirm: form.text("password_confirm"),
    };
    match employers::join_employer(&state.store, state.blobs.as_ref(), input, letter).await {
        Ok(_) if errors.is_empty() => {
            return Ok(render(&MessagePage {
                user: None,
                heading: "申请已提交".into(),
                text: match kind {
                    JoinKind::Join => "加入申请已提交，请等待公司管理员审核，审核通过后即可登录。",
                    JoinKind::BecomeManager => {
                        "成为管理员的申请已提交，请等待平台审核，审核通过后原管理员将成为经办人。"
                    }
                }
                .into(),
                link: "/login".into(),
                link_text: "去登录".into(),
            }))
        }
        // A refused file of a join (which needs none) still shows its refusal.
        Ok(_) => {}
        Err(e) => {
            let service = FormErrors::from_service(e, same_name)?;
            for field in service.fields() {
                if !errors.has(&field.field) {
                    errors.add(&field.field, field.message.clone());
                }
            }
            for m in service.general() {
                errors.add_general(m.clone());
            }
            if errors.count() == service.count() {
                errors.status = service.status;
            }
        }
    }
    if !errors.has("password") {
        errors.add("password", "为安全起见，请重新输入密码");
    }
    join_page(&state, f, errors).await
}

/// The company of the viewer, or 403 for accounts of no company.
fn own_employer(s: &SessionInfo) -> Result<String, PageError> {
    s.actor
        .employer_id
        .as_ref()
        .map(|e| e.to_string())
        .ok_or_else(PageError::forbidden)
}

#[derive(Template)]
#[template(path = "employer_members.html")]
struct MembersPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    members: Vec<MemberRow>,
    is_manager: bool,
    me: String,
    /// One key per rendering: a double click on any button of it acts once.
    idem: String,
}

/// 单位成员: every member with its status; the manager approves, removes and hands over.
pub(super) async fn members(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let employer = own_employer(&s)?;
    let members = employers::list_members(&state.store, &s.actor, &employer).await?;
    Ok(render(&MembersPage {
        user: bar(&s),
        csrf: s.csrf_token.clone(),
        notice: notice_text(q.notice.as_deref()),
        members,
        is_manager: s.actor.employer_role == Some(EmployerRole::Manager),
        me: s.actor.account_id.to_string(),
        idem: wangqian_store::new_id(),
    }))
}

/// The one-time key a members-page form carries.
#[derive(Deserialize)]
pub(super) struct IdemForm {
    #[serde(rename = "_idem")]
    idem: Option<String>,
}

pub(super) async fn member_remove(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<IdemForm>,
) -> PageResult {
    let employer = own_employer(&s)?;
    // The member is part of the key: one rendering's key serves every row of the page.
    let key = page_idem(f.idem.as_deref(), &format!("remove_employer_member.{id}"))?;
    employers::remove_member(&state.store, &s.actor, &employer, &id, key.as_ref()).await?;
    Ok(Redirect::to("/employer/members?notice=member_removed").into_response())
}

pub(super) async fn member_make_manager(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    PageForm(f): PageForm<IdemForm>,
) -> PageResult {
    let employer = own_employer(&s)?;
    let key = page_idem(
        f.idem.as_deref(),
        &format!("transfer_employer_manager.{id}"),
    )?;
    employers::transfer_manager(&state.store, &s.actor, &employer, &id, key.as_ref()).await?;
    Ok(Redirect::to("/employer/members?notice=manager_transferred").into_response())
}

#[derive(Deserialize, Default)]
pub(super) struct ProfileForm {
    contact_name: String,
    phone: String,
    email: String,
    #[serde(default)]
    hr_email: String,
    address: String,
    postcode: String,
    #[serde(default)]
    introduction: String,
    industry_code: String,
    size_code: String,
    #[serde(default)]
    registered_capital_code: String,
}

impl ProfileForm {
    fn of(e: &EmployerDetail) -> ProfileForm {
        let e = &e.employer;
        ProfileForm {
            contact_name: e.contact_name.clone(),
            phone: e.phone.clone(),
            email: e.email.clone(),
            hr_email: e.hr_email.clone(),
            address: e.address.clone(),
            postcode: e.postcode.clone(),
            introduction: e.introduction.clone(),
            industry_code: e.industry_code.clone(),
            size_code: e.size_code.clone(),
            registered_capital_code: e.registered_capital_code.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "employer_profile.html")]
struct ProfilePage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: FormErrors,
    e: EmployerDetail,
    f: ProfileForm,
    /// The 认证信息 change form, with its own problems.
    change_errors: FormErrors,
    /// The logo form's problems, beside its field.
    logo_errors: FormErrors,
    c: ChangeForm,
    natures: &'static [CodeEntry],
    is_manager: bool,
    industries: &'static [CodeEntry],
    sizes: &'static [CodeEntry],
    capitals: &'static [CodeEntry],
}

/// What the 认证信息 change form holds (all but the licence file).
struct ChangeForm {
    name: String,
    credit_code: String,
    unit_nature_code: String,
}

async fn profile_page(
    state: &AppState,
    s: &SessionInfo,
    notice: String,
    f: Option<ProfileForm>,
    errors: FormErrors,
    change: Option<(ChangeForm, FormErrors)>,
    logo_errors: FormErrors,
) -> PageResult {
    let employer = own_employer(s)?;
    let e = employers::get_employer(&state.store, &s.actor, &employer).await?;
    let (c, change_errors) = change.unwrap_or_else(|| {
        (
            ChangeForm {
                name: e.employer.name.clone(),
                credit_code: e.employer.credit_code.clone(),
                unit_nature_code: e.employer.unit_nature_code.clone(),
            },
            FormErrors::default(),
        )
    });
    let page = ProfilePage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice,
        errors,
        f: f.unwrap_or_else(|| ProfileForm::of(&e)),
        change_errors,
        logo_errors,
        c,
        natures: codes::UNIT_NATURE.entries,
        e,
        is_manager: s.actor.employer_role == Some(EmployerRole::Manager),
        industries: codes::INDUSTRY.entries,
        sizes: codes::UNIT_SIZE.entries,
        capitals: codes::REGISTERED_CAPITAL.entries,
    };
    Ok(form_page(&page, &page.errors))
}

/// 单位信息维护: 基本资料 to edit, 认证信息 shown as verified.
pub(super) async fn profile(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    profile_page(
        &state,
        &s,
        notice_text(q.notice.as_deref()),
        None,
        FormErrors::default(),
        None,
        FormErrors::default(),
    )
    .await
}

pub(super) async fn profile_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<ProfileForm>,
) -> PageResult {
    let employer = own_employer(&s)?;
    let input = UpdateEmployerProfile {
        contact_name: f.contact_name.clone(),
        phone: f.phone.clone(),
        email: f.email.clone(),
        hr_email: f.hr_email.clone(),
        address: f.address.clone(),
        postcode: f.postcode.clone(),
        introduction: f.introduction.clone(),
        industry_code: f.industry_code.clone(),
        size_code: f.size_code.clone(),
        registered_capital_code: f.registered_capital_code.clone(),
    };
    match employers::update_profile(&state.store, &s.actor, &employer, input).await {
        Ok(()) => Ok(Redirect::to("/employer/profile?notice=saved").into_response()),
        Err(e) => {
            let errors = FormErrors::from_service(e, same_name)?;
            profile_page(
                &state,
                &s,
                String::new(),
                Some(f),
                errors,
                None,
                FormErrors::default(),
            )
            .await
        }
    }
}

/// 申请修改认证信息 from 单位信息维护: stored beside the verified data until the platform decides.
pub(super) async fn certification_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    req: axum::extract::Request,
) -> PageResult {
    let employer = own_employer(&s)?;
    let (form, mp) = super::kept_multipart(req, state.config.max_upload_mib).await?;
    match crate::api::certification_change(&state, &s.actor, &employer, mp).await {
        Ok(_) => {
            Ok(Redirect::to("/employer/profile?notice=certification_requested").into_response())
        }
        Err(e) => {
            let typed = ChangeForm {
                name: form.text("name"),
                credit_code: form.text("credit_code"),
                unit_nature_code: form.text("unit_nature_code"),
            };
            let errors = FormErrors::from_api(e, same_name)?;
            let status = errors.status;
            let mut r = profile_page(
                &state,
                &s,
                String::new(),
                None,
                FormErrors::default(),
                Some((typed, errors)),
                FormErrors::default(),
            )
            .await?;
            // The page's main form is fine: the status is the change form's.
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

#[derive(Deserialize, Default)]
pub(super) struct SchoolsQuery {
    #[serde(default)]
    keyword: String,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "employer_schools.html")]
struct SchoolsPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: FormErrors,
    is_manager: bool,
    mine: Vec<employers::MySchoolRow>,
    keyword: String,
    /// Active schools matching the search that the company has not applied to yet.
    candidates: Vec<SchoolRow>,
    /// The ticked schools, kept when the form comes back.
    picked: Vec<String>,
    /// What each school of the last application came to.
    results: Vec<employers::SchoolApplicationResult>,
}

async fn schools_page(
    state: &AppState,
    s: &SessionInfo,
    keyword: String,
    notice: String,
    picked: Vec<String>,
    errors: FormErrors,
    results: Vec<employers::SchoolApplicationResult>,
) -> PageResult {
    let employer = own_employer(s)?;
    let mine = employers::list_my_schools(&state.store, &s.actor, &employer).await?;
    let mut candidates = orgs::search_schools(&state.store, &keyword).await?;
    candidates.retain(|c| !mine.iter().any(|m| m.school_id == c.id));
    let page = SchoolsPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice,
        errors,
        is_manager: s.actor.employer_role == Some(EmployerRole::Manager),
        mine,
        keyword,
        candidates,
        picked,
        results,
    };
    Ok(form_page(&page, &page.errors))
}

/// 招聘学校: where the company recruits and each school's verification; the manager applies to
/// more schools here (申请招聘业务).
pub(super) async fn schools(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<SchoolsQuery>,
) -> PageResult {
    schools_page(
        &state,
        &s,
        q.keyword,
        notice_text(q.notice.as_deref()),
        Vec::new(),
        FormErrors::default(),
        Vec::new(),
    )
    .await
}

pub(super) async fn schools_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    mp: Multipart,
) -> PageResult {
    let employer = own_employer(&s)?;
    // Multipart like the registration's step 4: one `school_ids` part per ticked school.
    let form = read_form(mp, state.config.max_upload_mib).await?;
    let picked = form.all("school_ids");
    let keyword = form.text("keyword");
    match employers::apply_to_schools(&state.store, &s.actor, &employer, &picked).await {
        Ok(results) => {
            schools_page(
                &state,
                &s,
                String::new(),
                "申请已提交，请等待学校审核。".into(),
                Vec::new(),
                FormErrors::default(),
                results,
            )
            .await
        }
        Err(e) => {
            let errors = FormErrors::from_service(e, same_name)?;
            schools_page(
                &state,
                &s,
                keyword,
                String::new(),
                picked,
                errors,
                Vec::new(),
            )
            .await
        }
    }
}

/// 单位标志 from 单位信息维护 (multipart; `_csrf` rides in the query like the other uploads).
pub(super) async fn logo_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    mp: Multipart,
) -> PageResult {
    let employer = own_employer(&s)?;
    match crate::api::employer_logo(&state, &s.actor, &employer, mp).await {
        Ok(_) => Ok(Redirect::to("/employer/profile?notice=logo_saved").into_response()),
        Err(e) => {
            let errors = FormErrors::from_api(e, same_name)?;
            let status = errors.status;
            let mut r = profile_page(
                &state,
                &s,
                String::new(),
                None,
                FormErrors::default(),
                None,
                errors,
            )
            .await?;
            // The page's main form is fine: the status is the logo form's.
            *r.status_mut() = status;
            Ok(r)
        }
    }
}
