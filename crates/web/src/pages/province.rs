//! 院校管理 pages: the province's school list, one school with its administrators, and the
//! school administrator's own contact block (学校信息). Same services as the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use wangqian_domain::role::Role;
use wangqian_domain::school::PROVINCES;
use wangqian_store::accounts::SessionInfo;
use wangqian_store::employers;
use wangqian_store::orgs::{
    self, NewOrgUnit, NewSchoolAdmin, OrgUnit, OrgUnitKind, RenameOrgUnit, SchoolAdminRow,
    SchoolDetail, SchoolFilter, UnitSigning,
};
use wangqian_store::{AccountId, Page, SchoolId};

use super::error::{form_page, same_name, FormErrors, PageResult};
use super::{bar, notice_text, NoticeQuery, PageForm, UserBar};
use crate::auth::PageAuth;
use crate::AppState;

/// A school's fields as typed, so that a mistake comes back with everything kept.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct SchoolForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    contact_department: String,
    #[serde(default)]
    contact_person: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    postcode: String,
}

impl SchoolForm {
    fn of(s: &SchoolDetail) -> SchoolForm {
        SchoolForm {
            code: s.code.clone(),
            name: s.name.clone(),
            province: s.province.clone(),
            contact_department: s.contact_department.clone(),
            contact_person: s.contact_person.clone(),
            address: s.address.clone(),
            contact_phone: s.contact_phone.clone(),
            postcode: s.postcode.clone(),
        }
    }

    fn input(&self, disabled: Option<bool>) -> orgs::SchoolInput {
        orgs::SchoolInput {
            code: self.code.clone(),
            name: self.name.clone(),
            province: self.province.clone(),
            contact_department: self.contact_department.clone(),
            contact_person: self.contact_person.clone(),
            address: self.address.clone(),
            contact_phone: self.contact_phone.clone(),
            postcode: self.postcode.clone(),
            disabled,
        }
    }
}

#[derive(Template)]
#[template(path = "schools.html")]
struct SchoolsPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    keyword: String,
    page: Page<SchoolDetail>,
    pages: i64,
    provinces: &'static [&'static str],
    form: SchoolForm,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub(super) struct SchoolsQuery {
    #[serde(default)]
    keyword: String,
    page: Option<i64>,
    #[serde(default)]
    notice: String,
}

async fn schools_page(
    state: &AppState,
    s: &SessionInfo,
    q: &SchoolsQuery,
    form: SchoolForm,
    errors: FormErrors,
) -> PageResult {
    let page = orgs::list_schools(
        &state.store,
        &s.actor,
        &SchoolFilter {
            keyword: Some(q.keyword.clone()),
            province: None,
            page: q.page,
            per_page: Some(20),
        },
    )
    .await?;
    let per_page = page.per_page.max(1);
    let pages = ((page.total + per_page - 1) / per_page).max(1);
    let view = SchoolsPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice: notice_text(Some(q.notice.as_str())),
        keyword: q.keyword.clone(),
        page,
        pages,
        provinces: PROVINCES,
        form,
        errors,
    };
    Ok(form_page(&view, &view.errors))
}

pub(super) async fn schools(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<SchoolsQuery>,
) -> PageResult {
    schools_page(&state, &s, &q, SchoolForm::default(), FormErrors::default()).await
}

pub(super) async fn schools_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<SchoolForm>,
) -> PageResult {
    match orgs::create_school(&state.store, &s.actor, f.input(None)).await {
        Ok(school) => Ok(
            Redirect::to(&format!("/province/schools/{}?notice=saved", school.id)).into_response(),
        ),
        Err(e) => {
            let errors = FormErrors::from_service(e, same_name)?;
            let q = SchoolsQuery {
                keyword: String::new(),
                page: None,
                notice: String::new(),
            };
            schools_page(&state, &s, &q, f, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "school.html")]
struct SchoolPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    school: SchoolDetail,
    /// The province edits everything; a school administrator the contact block only.
    province: bool,
    provinces: &'static [&'static str],
    form: SchoolForm,
    errors: FormErrors,
    admins: Vec<SchoolAdminRow>,
    admin_form: AdminForm,
    admin_errors: FormErrors,
    /// The school administrator's departments, majors and classes.
    units: Vec<OrgUnit>,
    unit_form: UnitForm,
    unit_errors: FormErrors,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct UnitForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    name: String,
}

impl SchoolPage {
    /// Units of one level, for the tables and the parent choices.
    fn units_of(&self, kind: &str) -> Vec<&OrgUnit> {
        self.units.iter().filter(|u| u.kind == kind).collect()
    }

    fn name_of(&self, id: &Option<String>) -> String {
        id.as_deref()
            .and_then(|id| self.units.iter().find(|u| u.id == id))
            .map(|u| u.name.clone())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct AdminForm {
    #[serde(default)]
    login_name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
}

struct Shown {
    form: Option<SchoolForm>,
    errors: FormErrors,
    admin_form: AdminForm,
    admin_errors: FormErrors,
    unit_form: UnitForm,
    unit_errors: FormErrors,
    notice: String,
}

async fn school_page(state: &AppState, s: &SessionInfo, id: &SchoolId, shown: Shown) -> PageResult {
    let school = orgs::school_detail(&state.store, &s.actor, id).await?;
    let province = s.actor.role == Role::ProvincialAdmin;
    let (admins, units) = if province {
        (
            orgs::list_school_admins(&state.store, &s.actor, id).await?,
            Vec::new(),
        )
    } else {
        (
            Vec::new(),
            orgs::org_units(&state.store, &s.actor, id).await?,
        )
    };
    let view = SchoolPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice: notice_text(Some(shown.notice.as_str())),
        form: shown.form.unwrap_or_else(|| SchoolForm::of(&school)),
        school,
        province,
        provinces: PROVINCES,
        errors: shown.errors,
        admins,
        admin_form: shown.admin_form,
        admin_errors: shown.admin_errors,
        units,
        unit_form: shown.unit_form,
        unit_errors: shown.unit_errors,
    };
    // The status (422) follows whichever form came back with problems.
    let shown_errors = [&view.errors, &view.admin_errors, &view.unit_errors]
        .into_iter()
        .find(|e| !e.is_empty())
        .unwrap_or(&view.errors);
    Ok(form_page(&view, shown_errors))
}

fn nothing_shown(notice: String) -> Shown {
    Shown {
        form: None,
        errors: FormErrors::default(),
        admin_form: AdminForm::default(),
        admin_errors: FormErrors::default(),
        unit_form: UnitForm::default(),
        unit_errors: FormErrors::default(),
        notice,
    }
}

pub(super) async fn school(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<SchoolId>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    school_page(&state, &s, &id, nothing_shown(q.notice.unwrap_or_default())).await
}

/// The school of the acting staff account; other accounts have none and may not use these pages.
fn own_school_id(s: &SessionInfo) -> Result<SchoolId, super::error::PageError> {
    s.actor
        .school_id
        .clone()
        .ok_or_else(super::error::PageError::forbidden)
}

/// The school administrator's way in: their own school's page.
pub(super) async fn own_school(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let id = own_school_id(&s)?;
    school_page(&state, &s, &id, nothing_shown(q.notice.unwrap_or_default())).await
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct SchoolEditForm {
    #[serde(flatten)]
    school: SchoolForm,
    /// "true" / "false" from the province's 停用 / 启用 buttons; absent on the edit form.
    #[serde(default)]
    disabled: Option<String>,
}

pub(super) async fn school_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<SchoolId>,
    PageForm(f): PageForm<SchoolEditForm>,
) -> PageResult {
    let disabled = f.disabled.as_deref().map(|d| d == "true");
    let mut form = f.school;
    if disabled.is_some() {
        // The 停用 / 启用 buttons send no fields: keep the stored ones.
        form = SchoolForm::of(&orgs::school_detail(&state.store, &s.actor, &id).await?);
    }
    match orgs::update_school(&state.store, &s.actor, &id, form.input(disabled)).await {
        Ok(_) => Ok(Redirect::to(&format!("/province/schools/{id}?notice=saved")).into_response()),
        Err(e) => {
            let errors = FormErrors::from_service(e, same_name)?;
            let shown = Shown {
                form: Some(form),
                errors,
                ..nothing_shown(String::new())
            };
            school_page(&state, &s, &id, shown).await
        }
    }
}

pub(super) async fn admin_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<SchoolId>,
    PageForm(f): PageForm<AdminForm>,
) -> PageResult {
    let input = NewSchoolAdmin {
        login_name: f.login_name.clone(),
        display_name: f.display_name.clone(),
        password: f.password.clone(),
    };
    match orgs::create_school_admin(&state.store, &s.actor, &id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/province/schools/{id}?notice=saved")).into_response()),
        Err(e) => {
            let mut admin_errors = FormErrors::from_service(e, same_name)?;
            // The initial password is never written back into the page.
            if !admin_errors.has("password") {
                admin_errors.add("password", "为安全起见，请重新输入初始密码");
            }
            let shown = Shown {
                admin_form: AdminForm {
                    password: String::new(),
                    ..f
                },
                admin_errors,
                ..nothing_shown(String::new())
            };
            school_page(&state, &s, &id, shown).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ActiveForm {
    active: String,
}

pub(super) async fn admin_active(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path((id, account_id)): Path<(SchoolId, AccountId)>,
    PageForm(f): PageForm<ActiveForm>,
) -> PageResult {
    orgs::set_school_admin_active(&state.store, &s.actor, &id, &account_id, f.active == "true")
        .await?;
    Ok(Redirect::to(&format!("/province/schools/{id}?notice=saved")).into_response())
}

/// The unit form's fields: its name field is `unit_name` beside the school form's `name`.
fn unit_field(field: &str) -> Option<String> {
    Some(if field == "name" { "unit_name" } else { field }.to_string())
}

fn unit_kind(kind: &str) -> Option<OrgUnitKind> {
    match kind {
        "department" => Some(OrgUnitKind::Department),
        "major" => Some(OrgUnitKind::Major),
        "class" => Some(OrgUnitKind::Class),
        _ => None,
    }
}

/// 新增院系 / 专业 / 班级 on the school's own page.
pub(super) async fn unit_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<UnitForm>,
) -> PageResult {
    let id = own_school_id(&s)?;
    let result = match unit_kind(&f.kind) {
        None => Err(wangqian_store::ServiceError::field(
            "kind",
            "请选择要新增的层级",
        )),
        Some(kind) => {
            let input = NewOrgUnit {
                kind,
                parent_id: Some(f.parent_id.clone()).filter(|p| !p.is_empty()),
                name: f.name.clone(),
            };
            orgs::create_org_unit(&state.store, &s.actor, &id, input).await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to("/school/profile?notice=saved").into_response()),
        Err(e) => {
            let shown = Shown {
                unit_errors: FormErrors::from_service(e, unit_field)?,
                unit_form: f,
                ..nothing_shown(String::new())
            };
            school_page(&state, &s, &id, shown).await
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RenameForm {
    kind: String,
    name: String,
}

pub(super) async fn unit_rename(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(unit_id): Path<String>,
    PageForm(f): PageForm<RenameForm>,
) -> PageResult {
    let id = own_school_id(&s)?;
    let kind =
        unit_kind(&f.kind).ok_or_else(|| super::error::PageError::bad_request("未知的层级"))?;
    let input = RenameOrgUnit {
        kind,
        name: f.name.clone(),
    };
    match orgs::rename_org_unit(&state.store, &s.actor, &id, &unit_id, input).await {
        Ok(_) => Ok(Redirect::to("/school/profile?notice=saved").into_response()),
        Err(e) => {
            let shown = Shown {
                unit_errors: FormErrors::from_service(e, |_| None)?,
                ..nothing_shown(String::new())
            };
            school_page(&state, &s, &id, shown).await
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct UnitSigningForm {
    kind: String,
    open: String,
    #[serde(default)]
    reason: String,
}

/// 签约开放列表 on the school's page: close a department's or major's signing with a reason,
/// or open it again.
pub(super) async fn unit_signing(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(unit_id): Path<String>,
    PageForm(f): PageForm<UnitSigningForm>,
) -> PageResult {
    let id = own_school_id(&s)?;
    let kind =
        unit_kind(&f.kind).ok_or_else(|| super::error::PageError::bad_request("未知的层级"))?;
    let input = UnitSigning {
        kind,
        open: f.open == "true",
        reason: Some(f.reason.clone()),
    };
    match orgs::set_unit_signing(&state.store, &s.actor, &id, &unit_id, input).await {
        Ok(_) => Ok(Redirect::to("/school/profile?notice=saved").into_response()),
        Err(e) => {
            let shown = Shown {
                unit_errors: FormErrors::from_service(e, |_| None)?,
                ..nothing_shown(String::new())
            };
            school_page(&state, &s, &id, shown).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 首次登录确认联系方式 (a graduate's own page; here beside the other first-use forms of issue 10).

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    user: Option<UserBar>,
    csrf: String,
    done: bool,
    current: wangqian_store::graduates::GraduateContact,
    form: ContactForm,
    errors: FormErrors,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct ContactForm {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    mailing_address: String,
}

#[derive(Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn contact_page(
    state: &AppState,
    s: &SessionInfo,
    done: bool,
    form: ContactForm,
    errors: FormErrors,
) -> PageResult {
    let current = wangqian_store::graduates::graduate_contact(&state.store, &s.actor).await?;
    let view = ContactPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        done,
        current,
        form,
        errors,
    };
    Ok(form_page(&view, &view.errors))
}

pub(super) async fn contact(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    contact_page(
        &state,
        &s,
        q.done.is_some(),
        ContactForm::default(),
        FormErrors::default(),
    )
    .await
}

pub(super) async fn contact_submit(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    PageForm(f): PageForm<ContactForm>,
) -> PageResult {
    let input = wangqian_store::graduates::ConfirmContact {
        mobile: f.mobile.clone(),
        email: f.email.clone(),
        mailing_address: f.mailing_address.clone(),
    };
    match wangqian_store::graduates::confirm_contact(&state.store, &s.actor, input).await {
        Ok(_) => Ok(Redirect::to("/account/contact?done=1").into_response()),
        Err(e) => {
            let errors = FormErrors::from_service(e, same_name)?;
            contact_page(&state, &s, false, f, errors).await
        }
    }
}

/// 重置密码 of one of the school's administrators (the province's page). The account must be
/// this school's administrator: an id from elsewhere is not found here.
pub(super) async fn admin_password_reset(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path((id, account_id)): Path<(SchoolId, AccountId)>,
) -> PageResult {
    let admins = orgs::list_school_admins(&state.store, &s.actor, &id).await?;
    if !admins.iter().any(|a| a.id == account_id) {
        return Err(wangqian_store::ServiceError::NotFound("学校管理员账号").into());
    }
    let reset =
        wangqian_store::accounts::reset_account_password(&state.store, &s.actor, &account_id)
            .await?;
    Ok(super::school::reset_shown(&s, reset, "/province/schools"))
}

// ---------------------------------------------------------------------------------------------
// 单位管理: the province's employer list and one employer (accounts, 认证信息 changes).

/// The province's employer pages; a school administrator (who has its own queue) is refused.
fn platform_only(s: &SessionInfo) -> Result<(), super::error::PageError> {
    if wangqian_domain::policy::verify_employer_for_platform(&s.actor).is_allowed() {
        Ok(())
    } else {
        Err(super::error::PageError::forbidden())
    }
}

#[derive(Deserialize, Default)]
pub(super) struct EmployersQuery {
    #[serde(default)]
    keyword: String,
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "province_employers.html")]
struct EmployersPage {
    user: Option<UserBar>,
    keyword: String,
    status: String,
    page: Page<employers::EmployerRow>,
}

/// 单位管理: every registered employer by verification status, searchable by name.
pub(super) async fn employers_list(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Query(q): Query<EmployersQuery>,
) -> PageResult {
    platform_only(&s)?;
    let status = q.status.unwrap_or_else(|| "verified".into());
    let page = employers::list_for_verification(
        &state.store,
        &s.actor,
        &employers::VerificationFilter {
            status: Some(status.clone()),
            keyword: Some(q.keyword.clone()),
            page: q.page,
            per_page: Some(50),
        },
    )
    .await?;
    Ok(super::render(&EmployersPage {
        user: bar(&s),
        keyword: q.keyword,
        status,
        page,
    }))
}

#[derive(Template)]
#[template(path = "province_employer.html")]
struct EmployerPage {
    user: Option<UserBar>,
    csrf: String,
    notice: String,
    errors: FormErrors,
    e: employers::EmployerDetail,
    members: Vec<employers::MemberRow>,
    /// The reason typed for a refused decision, kept.
    reason: String,
}

async fn employer_page(
    state: &AppState,
    s: &SessionInfo,
    id: &str,
    notice: String,
    errors: FormErrors,
    reason: String,
) -> PageResult {
    platform_only(s)?;
    let e = employers::get_employer(&state.store, &s.actor, id).await?;
    let members = employers::list_members(&state.store, &s.actor, id).await?;
    let page = EmployerPage {
        user: bar(s),
        csrf: s.csrf_token.clone(),
        notice,
        errors,
        e,
        members,
        reason,
    };
    Ok(form_page(&page, &page.errors))
}

pub(super) async fn employer(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    employer_page(
        &state,
        &s,
        &id,
        notice_text(q.notice.as_deref()),
        FormErrors::default(),
        String::new(),
    )
    .await
}

/// 重置密码 of one of the employer's accounts. The account must be this employer's member: an
/// id from elsewhere is not found here.
pub(super) async fn employer_password_reset(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path((id, account_id)): Path<(String, String)>,
) -> PageResult {
    platform_only(&s)?;
    let members = employers::list_members(&state.store, &s.actor, &id).await?;
    if !members.iter().any(|m| m.id == account_id) {
        return Err(wangqian_store::ServiceError::NotFound("单位账号").into());
    }
    let reset =
        wangqian_store::accounts::reset_account_password(&state.store, &s.actor, &account_id)
            .await?;
    Ok(super::school::reset_shown(&s, reset, "/province/employers"))
}

#[derive(Deserialize)]
pub(super) struct ChangeDecisionForm {
    approve: String,
    #[serde(default)]
    reason: String,
}

/// 认证信息修改审核: approve (the verified data change at once) or reject with a reason.
pub(super) async fn certification_decision(
    State(state): State<AppState>,
    PageAuth(s): PageAuth,
    Path((id, change_id)): Path<(String, String)>,
    PageForm(f): PageForm<ChangeDecisionForm>,
) -> PageResult {
    platform_only(&s)?;
    let approve = f.approve == "true";
    match employers::decide_certification_change(
        &state.store,
        &s.actor,
        &id,
        &change_id,
        approve,
        Some(f.reason.clone()),
    )
    .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/province/employers/{id}?notice=decided")).into_response())
        }
        Err(e) => {
            let errors = FormErrors::from_service(e, same_name)?;
            employer_page(&state, &s, &id, String::new(), errors, f.reason).await
        }
    }
}
