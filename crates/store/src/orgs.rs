//! The organisation tree: schools, departments, majors, classes.

use wangqian_domain::policy::{self, Access};
use wangqian_domain::role::Actor;
use wangqian_domain::school::SchoolProfile;

use crate::audit::{self, AuditEntry};
use crate::error::{allow, is_unique_violation};
use crate::query::Filter;
use crate::{
    password, AccountId, FieldError, Millis, Page, Paging, SchoolId, ServiceError, ServiceResult,
    Store,
};

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SchoolRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub province: String,
}

/// Public school search for binding (by name fragment or school code).
pub async fn search_schools(store: &Store, keyword: &str) -> ServiceResult<Vec<SchoolRow>> {
    let k = keyword.trim();
    let pattern = format!("%{}%", k.replace(['%', '_'], ""));
    Ok(sqlx::query_as::<_, SchoolRow>(
        "SELECT id, code, name, province FROM schools WHERE (name LIKE $1 OR code = $2) AND disabled_at IS NULL ORDER BY code LIMIT 50",
    )
    .bind(pattern)
    .bind(k.to_string())
    .fetch_all(store.reader())
    .await?)
}

pub async fn get_school(store: &Store, id: &str) -> ServiceResult<Option<SchoolRow>> {
    Ok(
        sqlx::query_as::<_, SchoolRow>(
            "SELECT id, code, name, province FROM schools WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(store.reader())
        .await?,
    )
}

pub async fn school_by_code(store: &Store, code: &str) -> ServiceResult<Option<SchoolRow>> {
    Ok(sqlx::query_as::<_, SchoolRow>(
        "SELECT id, code, name, province FROM schools WHERE code = $1",
    )
    .bind(code.to_string())
    .fetch_optional(store.reader())
    .await?)
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DepartmentRow {
    pub id: String,
    pub school_id: String,
    pub name: String,
}

pub async fn departments(store: &Store, school_id: &str) -> ServiceResult<Vec<DepartmentRow>> {
    Ok(sqlx::query_as::<_, DepartmentRow>(
        "SELECT id, school_id, name FROM departments WHERE school_id = $1 ORDER BY name",
    )
    .bind(school_id.to_string())
    .fetch_all(store.reader())
    .await?)
}

/// Creates a school (provincial setup and demo data).
pub async fn insert_school(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    code: &str,
    name: &str,
    province: &str,
    now: Millis,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO schools (id, code, name, province, contact_department, created_at, updated_at) VALUES ($1, $2, $3, $4, '就业指导中心', $5, $5)",
    )
    .bind(id.to_string())
    .bind(code.to_string())
    .bind(name.to_string())
    .bind(province.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 院校管理: the province keeps its schools and their administrator accounts.

/// A school as 院校管理 shows it, with its contact block and how many administrators it has.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SchoolDetail {
    pub id: SchoolId,
    pub code: String,
    pub name: String,
    pub province: String,
    pub contact_department: String,
    pub contact_person: String,
    pub address: String,
    pub contact_phone: String,
    pub postcode: String,
    /// When the school was disabled; a disabled school is not offered for binding.
    pub disabled_at: Option<Millis>,
    /// Active school administrator accounts.
    pub admin_count: i64,
    pub created_at: Millis,
}

const SCHOOL_DETAIL: &str = "SELECT s.id, s.code, s.name, s.province, s.contact_department, s.contact_person, \
    s.address, s.contact_phone, s.postcode, s.disabled_at, \
    (SELECT COUNT(*) FROM accounts a WHERE a.school_id = s.id AND a.role = 'school_admin' AND a.status = 'active') AS admin_count, \
    s.created_at FROM schools s";

/// A school's fields as a form or request sends them.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolInput {
    /// 院校代码, five digits.
    pub code: String,
    pub name: String,
    /// One of the provincial-level divisions (e.g. 安徽省).
    pub province: String,
    #[serde(default)]
    pub contact_department: String,
    #[serde(default)]
    pub contact_person: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub postcode: String,
    /// Disable (true) or re-enable (false) the school; unchanged when absent.
    #[serde(default)]
    pub disabled: Option<bool>,
}

impl SchoolInput {
    fn profile(&self) -> SchoolProfile {
        SchoolProfile {
            code: self.code.clone(),
            name: self.name.clone(),
            province: self.province.clone(),
            contact_department: self.contact_department.clone(),
            contact_person: self.contact_person.clone(),
            address: self.address.clone(),
            phone: self.contact_phone.clone(),
            postcode: self.postcode.clone(),
        }
    }
}

fn checked(input: &SchoolInput) -> ServiceResult<SchoolProfile> {
    let profile = input.profile();
    let problems = profile.problems();
    if problems.is_empty() {
        Ok(profile.trimmed())
    } else {
        Err(ServiceError::Validation(
            problems
                .into_iter()
                .map(|(f, m)| FieldError::new(if f == "phone" { "contact_phone" } else { f }, m))
                .collect(),
        ))
    }
}

fn code_taken(e: sqlx::Error) -> ServiceError {
    if is_unique_violation(&e) {
        ServiceError::field("code", "该院校代码已登记")
    } else {
        e.into()
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SchoolFilter {
    /// A fragment of the name or the exact code.
    pub keyword: Option<String>,
    pub province: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The province's school list, by code.
pub async fn list_schools(
    store: &Store,
    actor: &Actor,
    f: &SchoolFilter,
) -> ServiceResult<Page<SchoolDetail>> {
    allow(policy::manage_schools(actor), "院校")?;
    let paging = Paging::new(f.page, f.per_page);
    let mut q = Filter::new();
    if let Some(k) = f
        .keyword
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        q.and_contains(&["s.name", "s.code"], k);
    }
    if let Some(p) = f
        .province
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        q.and_eq("s.province", p.to_string());
    }
    let mut conn = store.reader().acquire().await?;
    let total = q.count_capped(&mut *conn, "FROM schools s", None).await?;
    let limit = q.arg(paging.per_page + 1);
    let offset = q.arg(paging.offset());
    let sql = format!(
        "{SCHOOL_DETAIL} {} ORDER BY s.code LIMIT {limit} OFFSET {offset}",
        q.where_sql()
    );
    let rows = q
        .bind(sqlx::query_as::<_, SchoolDetail>(&sql))
        .fetch_all(&mut *conn)
        .await?;
    Ok(Page::from_rows(rows, paging, total, |_| String::new()).without_cursor())
}

/// One school: the province any, a school administrator their own.
pub async fn school_detail(
    store: &Store,
    actor: &Actor,
    id: &SchoolId,
) -> ServiceResult<SchoolDetail> {
    allow(policy::edit_school_contact(actor, id), "院校")?;
    sqlx::query_as::<_, SchoolDetail>(&format!("{SCHOOL_DETAIL} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(store.reader())
        .await?
        .ok_or(ServiceError::NotFound("院校"))
}

/// The province registers a school.
pub async fn create_school(
    store: &Store,
    actor: &Actor,
    input: SchoolInput,
) -> ServiceResult<SchoolDetail> {
    allow(policy::manage_schools(actor), "院校")?;
    let p = checked(&input)?;
    let id: SchoolId = crate::fresh();
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "INSERT INTO schools (id, code, name, province, contact_department, contact_person, address, contact_phone, \
         postcode, disabled_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(&id)
    .bind(p.code.clone())
    .bind(p.name.clone())
    .bind(p.province.clone())
    .bind(p.contact_department)
    .bind(p.contact_person)
    .bind(p.address)
    .bind(p.phone)
    .bind(p.postcode)
    .bind(input.disabled.unwrap_or(false).then_some(now))
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(code_taken)?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "create_school",
            target_kind: "school",
            target_id: &id,
            school_id: Some(id.as_str()),
            detail: serde_json::json!({ "code": p.code, "name": p.name }),
        },
    )
    .await?;
    tx.commit().await?;
    school_detail(store, actor, &id).await
}

/// Edits a school. The province changes everything; a school administrator only the contact
/// block of their own school (a changed code, name or province is refused by field).
pub async fn update_school(
    store: &Store,
    actor: &Actor,
    id: &SchoolId,
    input: SchoolInput,
) -> ServiceResult<SchoolDetail> {
    let current = school_detail(store, actor, id).await?;
    let p = checked(&input)?;
    if policy::manage_schools(actor) != Access::Allowed {
        let mut errors = Vec::new();
        for (field, now, was) in [
            ("code", &p.code, &current.code),
            ("name", &p.name, &current.name),
            ("province", &p.province, &current.province),
        ] {
            if now != was {
                errors.push(FieldError::new(
                    field,
                    "院校代码、名称和所在省份由省级管理员维护",
                ));
            }
        }
        if input
            .disabled
            .is_some_and(|d| d != current.disabled_at.is_some())
        {
            errors.push(FieldError::new("disabled", "院校的停用由省级管理员办理"));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
    }
    let now = store.now();
    let disabled_at = match input.disabled {
        None => current.disabled_at,
        Some(false) => None,
        Some(true) => current.disabled_at.or(Some(now)),
    };
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "UPDATE schools SET code = $1, name = $2, province = $3, contact_department = $4, contact_person = $5, \
         address = $6, contact_phone = $7, postcode = $8, disabled_at = $9, updated_at = $10 WHERE id = $11",
    )
    .bind(p.code.clone())
    .bind(p.name.clone())
    .bind(p.province)
    .bind(p.contact_department)
    .bind(p.contact_person)
    .bind(p.address)
    .bind(p.phone)
    .bind(p.postcode)
    .bind(disabled_at)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(code_taken)?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "update_school",
            target_kind: "school",
            target_id: id,
            school_id: Some(id.as_str()),
            detail: serde_json::json!({
                "code": p.code,
                "name": p.name,
                "disabled": disabled_at.is_some(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    school_detail(store, actor, id).await
}

/// A school administrator account as the province lists it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SchoolAdminRow {
    pub id: AccountId,
    pub login_name: String,
    pub display_name: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Still holds the initial password the province gave.
    pub must_change_password: bool,
    pub last_login_at: Option<Millis>,
}

pub async fn list_school_admins(
    store: &Store,
    actor: &Actor,
    school_id: &SchoolId,
) -> ServiceResult<Vec<SchoolAdminRow>> {
    allow(policy::manage_schools(actor), "院校")?;
    school_detail(store, actor, school_id).await?;
    let rows: Vec<(AccountId, String, String, String, i64, Option<Millis>)> = sqlx::query_as(
        "SELECT id, login_name, display_name, status, must_change_password, last_login_at FROM accounts \
         WHERE school_id = $1 AND role = 'school_admin' ORDER BY login_name",
    )
    .bind(school_id)
    .fetch_all(store.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, login_name, display_name, status, must, last)| SchoolAdminRow {
                id,
                login_name,
                display_name,
                status,
                must_change_password: must != 0,
                last_login_at: last,
            },
        )
        .collect())
}

/// A new school administrator: the province chooses the initial password, which must be
/// changed at the first login.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSchoolAdmin {
    pub login_name: String,
    pub display_name: String,
    /// The initial (one-time) password, told to the administrator out of band.
    pub password: String,
}

pub async fn create_school_admin(
    store: &Store,
    actor: &Actor,
    school_id: &SchoolId,
    input: NewSchoolAdmin,
) -> ServiceResult<SchoolAdminRow> {
    allow(policy::manage_schools(actor), "院校")?;
    let school = school_detail(store, actor, school_id).await?;
    let (login_name, display_name, mut errors) =
        crate::accounts::check_new_staff(&input.login_name, &input.display_name, &input.password);
    if school.disabled_at.is_some() {
        errors.insert(0, FieldError::new("school", "该院校已停用，不能新增管理员"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let hash = password::hash(input.password).await?;
    let id: AccountId = crate::fresh();
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "INSERT INTO accounts (id, login_name, password_hash, role, display_name, school_id, status, \
         must_change_password, created_at, updated_at) VALUES ($1, $2, $3, 'school_admin', $4, $5, 'active', 1, $6, $6)",
    )
    .bind(&id)
    .bind(login_name.clone())
    .bind(hash)
    .bind(display_name)
    .bind(school_id)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(crate::accounts::login_taken)?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "create_school_admin",
            target_kind: "account",
            target_id: &id,
            school_id: Some(school_id.as_str()),
            detail: serde_json::json!({ "login_name": login_name }),
        },
    )
    .await?;
    tx.commit().await?;
    list_school_admins(store, actor, school_id)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(ServiceError::NotFound("账号"))
}

/// Disables (ending its sessions at once) or re-enables a school administrator account.
pub async fn set_school_admin_active(
    store: &Store,
    actor: &Actor,
    school_id: &SchoolId,
    account_id: &AccountId,
    active: bool,
) -> ServiceResult<SchoolAdminRow> {
    allow(policy::manage_schools(actor), "院校")?;
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let done = sqlx::query(
        "UPDATE accounts SET status = $1, updated_at = $2 WHERE id = $3 AND school_id = $4 AND role = 'school_admin'",
    )
    .bind(if active { "active" } else { "disabled" })
    .bind(now)
    .bind(account_id)
    .bind(school_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::NotFound("学校管理员账号"));
    }
    if !active {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: if active {
                "enable_school_admin"
            } else {
                "disable_school_admin"
            },
            target_kind: "account",
            target_id: account_id,
            school_id: Some(school_id.as_str()),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    list_school_admins(store, actor, school_id)
        .await?
        .into_iter()
        .find(|a| &a.id == account_id)
        .ok_or(ServiceError::NotFound("账号"))
}

// ---------------------------------------------------------------------------------------------
// 院系、专业、班级: a school administrator keeps them (roster imports create them too).

/// Which level of the organisation tree a unit is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OrgUnitKind {
    Department,
    Major,
    Class,
}

impl OrgUnitKind {
    fn table(self) -> &'static str {
        match self {
            OrgUnitKind::Department => "departments",
            OrgUnitKind::Major => "majors",
            OrgUnitKind::Class => "classes",
        }
    }

    /// The parent's table and this table's column naming it.
    fn parent(self) -> Option<(&'static str, &'static str)> {
        match self {
            OrgUnitKind::Department => None,
            OrgUnitKind::Major => Some(("departments", "department_id")),
            OrgUnitKind::Class => Some(("majors", "major_id")),
        }
    }

    fn label(self) -> &'static str {
        match self {
            OrgUnitKind::Department => "院系",
            OrgUnitKind::Major => "专业",
            OrgUnitKind::Class => "班级",
        }
    }
}

/// One unit of the tree with its parent and how many graduates it holds.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OrgUnit {
    pub id: String,
    /// `department`, `major` or `class`.
    pub kind: String,
    /// The department of a major, the major of a class.
    pub parent_id: Option<String>,
    pub name: String,
    pub graduates: i64,
    /// Why the school closed online signing here (departments and majors); none when open.
    pub signing_closed_reason: Option<String>,
}

/// The school's departments, majors and classes, each level by name.
pub async fn org_units(
    store: &Store,
    actor: &Actor,
    school_id: &SchoolId,
) -> ServiceResult<Vec<OrgUnit>> {
    allow(policy::administer_school(actor, school_id), "学校")?;
    Ok(sqlx::query_as::<_, OrgUnit>(
        "SELECT id, 'department' AS kind, CAST(NULL AS TEXT) AS parent_id, name, \
         (SELECT COUNT(*) FROM graduates g WHERE g.department_id = d.id) AS graduates, signing_closed_reason \
         FROM departments d WHERE school_id = $1 \
         UNION ALL SELECT id, 'major' AS kind, department_id AS parent_id, name, \
         (SELECT COUNT(*) FROM graduates g WHERE g.major_id = m.id) AS graduates, signing_closed_reason \
         FROM majors m WHERE school_id = $1 \
         UNION ALL SELECT id, 'class' AS kind, major_id AS parent_id, name, \
         (SELECT COUNT(*) FROM graduates g WHERE g.class_id = c.id) AS graduates, CAST(NULL AS TEXT) AS signing_closed_reason \
         FROM classes c WHERE school_id = $1 \
         ORDER BY kind, name",
    )
    .bind(school_id)
    .fetch_all(store.reader())
    .await?)
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrgUnit {
    pub kind: OrgUnitKind,
    /// The department (for a major) or the major (for a class), of the same school.
    #[serde(default)]
    pub parent_id: Option<String>,
    pub name: String,
}

/// The audit row of a change to the organisation tree.
#[allow(clippy::too_many_arguments)]
async fn audit_unit(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    action: &str,
    kind: OrgUnitKind,
    unit_id: &str,
    school_id: &SchoolId,
    at: Millis,
    detail: serde_json::Value,
) -> ServiceResult<()> {
    audit::record(
        conn,
        AuditEntry {
            at,
            actor_account_id: Some(&actor.account_id),
            action,
            target_kind: kind.table(),
            target_id: unit_id,
            school_id: Some(school_id.as_str()),
            detail,
        },
    )
    .await?;
    Ok(())
}

fn unit_name(kind: OrgUnitKind, name: &str) -> ServiceResult<String> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 40 {
        return Err(ServiceError::field(
            "name",
            format!("请输入{}名称（不超过 40 字）", kind.label()),
        ));
    }
    Ok(name.to_string())
}

fn name_taken(kind: OrgUnitKind) -> impl Fn(sqlx::Error) -> ServiceError {
    move |e| {
        if is_unique_violation(&e) {
            ServiceError::field("name", format!("同一级下已有同名{}", kind.label()))
        } else {
            e.into()
        }
    }
}

async fn unit_of(
    conn: &mut sqlx::AnyConnection,
    kind: OrgUnitKind,
    school_id: &SchoolId,
    id: &str,
) -> ServiceResult<OrgUnit> {
    let parent = kind.parent().map_or("CAST(NULL AS TEXT)", |p| p.1);
    let closed = match kind {
        OrgUnitKind::Class => "CAST(NULL AS TEXT)",
        OrgUnitKind::Department | OrgUnitKind::Major => "signing_closed_reason",
    };
    sqlx::query_as::<_, OrgUnit>(&format!(
        "SELECT id, CAST($3 AS TEXT) AS kind, {parent} AS parent_id, name, CAST(0 AS BIGINT) AS graduates, \
         {closed} AS signing_closed_reason FROM {} WHERE id = $1 AND school_id = $2",
        kind.table()
    ))
    .bind(id.to_string())
    .bind(school_id)
    .bind(match kind {
        OrgUnitKind::Department => "department",
        OrgUnitKind::Major => "major",
        OrgUnitKind::Class => "class",
    })
    .fetch_optional(conn)
    .await?
    .ok_or(ServiceError::NotFound(kind.label()))
}

/// Adds a department, a major under a department or a class under a major.
pub async fn create_org_unit(
    store: &Store,
    actor: &Actor,
    school_id: &SchoolId,
    input: NewOrgUnit,
) -> ServiceResult<OrgUnit> {
    allow(policy::administer_school(actor, school_id), "学校")?;
    let name = unit_name(input.kind, &input.name)?;
    let now = store.now();
    let id = crate::new_id();
    let mut tx = store.writer().begin().await?;
    match input.kind.parent() {
        None => {
            sqlx::query(
                "INSERT INTO departments (id, school_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(id.clone())
            .bind(school_id)
            .bind(name.clone())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(name_taken(input.kind))?;
        }
        Some((parent_table, column)) => {
            let parent_id = input.parent_id.clone().unwrap_or_default();
            // The parent must be this school's: another school's id is a field error, not a
            // way into its tree.
            let found: Option<(String,)> = sqlx::query_as(&format!(
                "SELECT id FROM {parent_table} WHERE id = $1 AND school_id = $2"
            ))
            .bind(parent_id.clone())
            .bind(school_id)
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                let parent_label = if input.kind == OrgUnitKind::Major {
                    "院系"
                } else {
                    "专业"
                };
                return Err(ServiceError::field(
                    "parent_id",
                    format!("请选择本校的{parent_label}"),
                ));
            }
            sqlx::query(&format!(
                "INSERT INTO {} (id, school_id, {column}, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                input.kind.table()
            ))
            .bind(id.clone())
            .bind(school_id)
            .bind(parent_id)
            .bind(name.clone())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(name_taken(input.kind))?;
        }
    }
    audit_unit(
        &mut tx,
        actor,
        "create_org_unit",
        input.kind,
        &id,
        school_id,
        now,
        serde_json::json!({ "name": name }),
    )
    .await?;
    let unit = unit_of(&mut tx, input.kind, school_id, &id).await?;
    tx.commit().await?;
    Ok(unit)
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameOrgUnit {
    pub kind: OrgUnitKind,
    pub name: String,
}

/// Renames a unit of the school (graduates keep their place; the new name shows everywhere).
pub async fn rename_org_unit(
    store: &Store,
    actor: &Actor,
    school_id: &SchoolId,
    id: &str,
    input: RenameOrgUnit,
) -> ServiceResult<OrgUnit> {
    allow(policy::administer_school(actor, school_id), "学校")?;
    let name = unit_name(input.kind, &input.name)?;
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let before = unit_of(&mut tx, input.kind, school_id, id).await?;
    sqlx::query(&format!(
        "UPDATE {} SET name = $1, updated_at = $2 WHERE id = $3 AND school_id = $4",
        input.kind.table()
    ))
    .bind(name.clone())
    .bind(now)
    .bind(id.to_string())
    .bind(school_id)
    .execute(&mut *tx)
    .await
    .map_err(name_taken(input.kind))?;
    audit_unit(
        &mut tx,
        actor,
        "rename_org_unit",
        input.kind,
        id,
        school_id,
        now,
        serde_json::json!({ "from": before.name, "to": name }),
    )
    .await?;
    let unit = unit_of(&mut tx, input.kind, school_id, id).await?;
    tx.commit().await?;
    Ok(unit)
}

/// Opening or closing online signing for a department or a major (签约开放列表).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitSigning {
    /// `department` or `major`.
    pub kind: OrgUnitKind,
    pub open: bool,
    /// Required to close (2–200 characters): what employers are told.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Closes (with a reason) or reopens online signing for one of the school's departments or
/// majors: new invitations to its graduates are refused with the reason, as for a graduate's
/// own lock; agreements already under way go on.
pub async fn set_unit_signing(
    store: &Store,
    actor: &Actor,
    school_id: &SchoolId,
    unit_id: &str,
    input: UnitSigning,
) -> ServiceResult<OrgUnit> {
    allow(policy::administer_school(actor, school_id), "学校")?;
    if input.kind == OrgUnitKind::Class {
        return Err(ServiceError::field("kind", "网签可按院系或专业开放、关闭"));
    }
    let reason = if input.open {
        None
    } else {
        Some(
            wangqian_domain::lifecycle::check_signing_lock_reason(
                input.reason.as_deref().unwrap_or_default(),
            )
            .map_err(|m| ServiceError::field("reason", m))?,
        )
    };
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    unit_of(&mut tx, input.kind, school_id, unit_id).await?;
    sqlx::query(&format!(
        "UPDATE {} SET signing_closed_reason = $1, updated_at = $2 WHERE id = $3 AND school_id = $4",
        input.kind.table()
    ))
    .bind(reason.clone())
    .bind(now)
    .bind(unit_id.to_string())
    .bind(school_id)
    .execute(&mut *tx)
    .await?;
    audit_unit(
        &mut tx,
        actor,
        if input.open {
            "open_unit_signing"
        } else {
            "close_unit_signing"
        },
        input.kind,
        unit_id,
        school_id,
        now,
        serde_json::json!({ "reason": reason }),
    )
    .await?;
    let unit = unit_of(&mut tx, input.kind, school_id, unit_id).await?;
    tx.commit().await?;
    Ok(unit)
}
