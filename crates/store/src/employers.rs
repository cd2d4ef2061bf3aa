//! Employer registration (SPEC §3, seeds 000/004), joining an existing company, and the
//! verification queues of the province and the schools.

use wangqian_domain::codes;
use wangqian_domain::contact::{Email, MobileNumber, Postcode};
use wangqian_domain::credit_code::{CreditCode, CreditCodeError};
use wangqian_domain::policy::{self, Access};
use wangqian_domain::role::{Actor, Role};
use wangqian_domain::settings::EmployerVerification;

use crate::accounts::check_login_name;
use crate::audit::{self, AuditEntry};
use crate::blobs::{save_upload, BlobStore, NewUpload};
use crate::error::allow;
use crate::error::{is_unique_violation, FieldError};
use crate::lifecycle::{idempotency, IdemKey};
use crate::pii::PiiField;
use crate::query::Filter;
use crate::Millis;
use crate::{new_id, password, EmployerId, Page, Paging, ServiceError, ServiceResult, Store};

/// The four registration steps in one submission (the page walks through them).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RegisterEmployer {
    // Step 1: the company.
    pub company_name: String,
    pub credit_code: String,
    // Step 2: the account of the manager.
    pub login_name: String,
    pub manager_name: String,
    pub phone: String,
    pub password: String,
    pub password_confirm: String,
    // Step 3: certification data.
    pub province: String,
    pub city: String,
    pub address: String,
    pub company_phone: String,
    pub email: String,
    #[serde(default)]
    pub hr_email: String,
    pub postcode: String,
    pub unit_nature_code: String,
    pub industry_code: String,
    pub size_code: String,
    #[serde(default)]
    pub registered_capital_code: String,
    #[serde(default)]
    pub tags: String,
    // Step 4: where it recruits.
    #[serde(default)]
    pub school_ids: Vec<String>,
}

/// An uploaded image already type-checked by the caller.
pub struct UploadedFile {
    pub content_type: String,
    pub original_name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Registered {
    pub employer_id: String,
    pub account_id: String,
    pub status: String,
    /// Set when the credit code fails its check character: an administrator must confirm it.
    pub credit_code_warning: Option<String>,
}

fn required(errors: &mut Vec<FieldError>, field: &str, value: &str, label: &str, max: usize) {
    let n = value.trim().chars().count();
    if n == 0 {
        errors.push(FieldError::new(field, format!("请填写{label}")));
    } else if n > max {
        errors.push(FieldError::new(field, format!("{label}不能超过 {max} 字")));
    }
}

fn code_in(errors: &mut Vec<FieldError>, field: &str, value: &str, table: &codes::CodeTable) {
    if table.by_code(value.trim()).is_none() {
        errors.push(FieldError::new(field, format!("请选择{}", table.title)));
    }
}

struct AccountFields {
    login_name: String,
    manager_name: String,
    phone: MobileNumber,
}

fn check_account_fields(
    errors: &mut Vec<FieldError>,
    login_name: &str,
    name: &str,
    phone: &str,
    pw: &str,
    pw2: &str,
) -> Option<AccountFields> {
    if let Err(m) = check_login_name(login_name.trim()) {
        errors.push(FieldError::new("login_name", m));
    }
    required(errors, "manager_name", name, "经办人姓名", 50);
    let phone = match MobileNumber::parse(phone) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(FieldError::new("phone", e.to_string()));
            None
        }
    };
    if let Err(m) = password::check_strength(pw) {
        errors.push(FieldError::new("password", m));
    } else if pw != pw2 {
        errors.push(FieldError::new("password_confirm", "两次输入的密码不一致"));
    }
    Some(AccountFields {
        login_name: login_name.trim().to_string(),
        manager_name: name.trim().to_string(),
        phone: phone?,
    })
}

pub async fn register_employer(
    store: &Store,
    blobs: &dyn BlobStore,
    input: RegisterEmployer,
    authorisation_letter: Option<UploadedFile>,
    licence: Option<UploadedFile>,
) -> ServiceResult<Registered> {
    let mut errors = Vec::new();
    required(
        &mut errors,
        "company_name",
        &input.company_name,
        "单位名称",
        100,
    );
    let (credit_code, warning) = match CreditCode::parse_allowing_bad_check(&input.credit_code) {
        Ok((c, w)) => (Some(c), w),
        Err(e) => {
            errors.push(FieldError::new("credit_code", e.to_string()));
            (None, None)
        }
    };
    let account = check_account_fields(
        &mut errors,
        &input.login_name,
        &input.manager_name,
        &input.phone,
        &input.password,
        &input.password_confirm,
    );
    required(&mut errors, "province", &input.province, "所在省份", 20);
    required(&mut errors, "city", &input.city, "所在城市", 30);
    required(&mut errors, "address", &input.address, "单位地址", 200);
    required(
        &mut errors,
        "company_phone",
        &input.company_phone,
        "单位电话",
        30,
    );
    if let Err(e) = Email::parse(&input.email) {
        errors.push(FieldError::new("email", e.to_string()));
    }
    if !input.hr_email.trim().is_empty() {
        if let Err(e) = Email::parse(&input.hr_email) {
            errors.push(FieldError::new("hr_email", e.to_string()));
        }
    }
    if let Err(e) = Postcode::parse(&input.postcode) {
        errors.push(FieldError::new("postcode", e.to_string()));
    }
    code_in(
        &mut errors,
        "unit_nature_code",
        &input.unit_nature_code,
        &codes::UNIT_NATURE,
    );
    code_in(
        &mut errors,
        "industry_code",
        &input.industry_code,
        &codes::INDUSTRY,
    );
    code_in(
        &mut errors,
        "size_code",
        &input.size_code,
        &codes::UNIT_SIZE,
    );
    if !input.registered_capital_code.trim().is_empty() {
        code_in(
            &mut errors,
            "registered_capital_code",
            &input.registered_capital_code,
            &codes::REGISTERED_CAPITAL,
        );
    }
    if input.tags.chars().count() > 100 {
        errors.push(FieldError::new("tags", "标签不能超过 100 字"));
    }
    if authorisation_letter.is_none() {
        errors.push(FieldError::new(
            "authorisation_letter",
            "请上传加盖公章的网络签约授权书",
        ));
    }
    if licence.is_none() {
        errors.push(FieldError::new(
            "licence",
            "请上传营业执照（或法人证书）图片",
        ));
    }
    let mut school_ids = input.school_ids.clone();
    school_ids.retain(|s| !s.trim().is_empty());
    school_ids.sort();
    school_ids.dedup();
    for s in &school_ids {
        if crate::orgs::get_school(store, s).await?.is_none() {
            errors.push(FieldError::new("school_ids", "所选学校不存在"));
            break;
        }
    }
    let (Some(credit_code), Some(account)) = (credit_code, account) else {
        return Err(ServiceError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let exists = sqlx::query_as::<_, (String,)>("SELECT id FROM employers WHERE credit_code = $1")
        .bind(credit_code.as_str().to_string())
        .fetch_optional(store.reader())
        .await?;
    if exists.is_some() {
        return Err(ServiceError::Conflict(
            "该单位已注册：可申请加入公司（由公司管理员审核），或申请成为新的管理员（由平台审核）"
                .into(),
        ));
    }
    let password_hash = password::hash(input.password.clone()).await?;
    let now = store.now();
    let employer_id = new_id();
    let account_id = new_id();
    let warning_text = warning.as_ref().map(CreditCodeError::to_string);
    let mut tx = store.writer().begin().await?;
    let auth_id = save_certificate(
        blobs,
        &mut tx,
        "authorisation_letter",
        authorisation_letter,
        &account_id,
        now,
    )
    .await?;
    let licence_id = save_certificate(blobs, &mut tx, "licence", licence, &account_id, now).await?;
    sqlx::query(
        "INSERT INTO employers (id, name, credit_code, credit_code_warning, province, city, address, phone, email, hr_email, postcode, \
           unit_nature_code, industry_code, size_code, registered_capital_code, tags, authorisation_upload_id, licence_upload_id, \
           status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'pending', $19, $19)",
    )
    .bind(employer_id.clone())
    .bind(input.company_name.trim().to_string())
    .bind(credit_code.as_str().to_string())
    .bind(warning_text.clone())
    .bind(input.province.trim().to_string())
    .bind(input.city.trim().to_string())
    .bind(input.address.trim().to_string())
    .bind(input.company_phone.trim().to_string())
    .bind(input.email.trim().to_string())
    .bind(input.hr_email.trim().to_string())
    .bind(input.postcode.trim().to_string())
    .bind(input.unit_nature_code.trim().to_string())
    .bind(input.industry_code.trim().to_string())
    .bind(input.size_code.trim().to_string())
    .bind(input.registered_capital_code.trim().to_string())
    .bind(input.tags.trim().to_string())
    .bind(auth_id)
    .bind(licence_id)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ServiceError::Conflict("该单位已注册：可申请加入公司或成为新的管理员".into())
        } else {
            e.into()
        }
    })?;
    insert_employer_account(
        &mut tx,
        &store.pii,
        &account_id,
        &account,
        &password_hash,
        &employer_id,
        "manager",
        "active",
        now,
    )
    .await?;
    for s in &school_ids {
        sqlx::query(
            "INSERT INTO employer_schools (employer_id, school_id, status, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $3)",
        )
        .bind(employer_id.clone())
        .bind(s.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&account_id),
            action: "register_employer",
            target_kind: "employer",
            target_id: &employer_id,
            school_id: None,
            detail: serde_json::json!({ "credit_code_warning": warning_text }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Registered {
        employer_id,
        account_id,
        status: "pending".into(),
        credit_code_warning: warning_text,
    })
}

/// Stores an employer's certificate, if given, in the caller's transaction.
async fn save_certificate(
    blobs: &dyn BlobStore,
    conn: &mut sqlx::AnyConnection,
    kind: &'static str,
    file: Option<UploadedFile>,
    uploaded_by: &str,
    now: Millis,
) -> anyhow::Result<Option<String>> {
    let Some(f) = file else {
        return Ok(None);
    };
    let id = save_upload(
        blobs,
        conn,
        NewUpload {
            kind,
            content_type: f.content_type,
            original_name: f.original_name,
            bytes: f.bytes,
            uploaded_by: Some(uploaded_by.to_string()),
            at: now,
            school_id: None,
        },
    )
    .await?;
    Ok(Some(id))
}

#[expect(clippy::too_many_arguments, reason = "one row's worth of columns")]
async fn insert_employer_account(
    conn: &mut sqlx::AnyConnection,
    pii: &crate::Pii,
    account_id: &str,
    a: &AccountFields,
    password_hash: &str,
    employer_id: &str,
    employer_role: &str,
    status: &str,
    now: Millis,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO accounts (id, login_name, password_hash, role, display_name, employer_id, employer_role, status, \
           phone_enc, phone_hash, phone_masked, created_at, updated_at) \
         VALUES ($1, $2, $3, 'employer_member', $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(account_id.to_string())
    .bind(a.login_name.clone())
    .bind(password_hash.to_string())
    .bind(a.manager_name.clone())
    .bind(employer_id.to_string())
    .bind(employer_role.to_string())
    .bind(status.to_string())
    .bind(pii.encrypt(PiiField::AccountPhone, a.phone.as_str()))
    .bind(pii.search_hash(PiiField::AccountPhone, a.phone.as_str()))
    .bind(a.phone.masked())
    .bind(now)
    .execute(conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ServiceError::field("login_name", "该账号已被使用")
        } else {
            e.into()
        }
    })?;
    Ok(())
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum JoinKind {
    /// 申请加入公司: the company's manager decides.
    Join,
    /// 申请成为新的管理员: the platform decides (e.g. the former HR has left).
    BecomeManager,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct JoinEmployer {
    pub credit_code: String,
    pub kind: JoinKind,
    pub login_name: String,
    pub manager_name: String,
    pub phone: String,
    pub password: String,
    pub password_confirm: String,
}

pub async fn join_employer(
    store: &Store,
    blobs: &dyn BlobStore,
    input: JoinEmployer,
    authorisation_letter: Option<UploadedFile>,
) -> ServiceResult<Registered> {
    let mut errors = Vec::new();
    let code = CreditCode::parse_allowing_bad_check(&input.credit_code)
        .map_err(|e| errors.push(FieldError::new("credit_code", e.to_string())))
        .ok();
    let account = check_account_fields(
        &mut errors,
        &input.login_name,
        &input.manager_name,
        &input.phone,
        &input.password,
        &input.password_confirm,
    );
    if input.kind == JoinKind::BecomeManager && authorisation_letter.is_none() {
        errors.push(FieldError::new(
            "authorisation_letter",
            "申请成为管理员须上传加盖公章的授权书",
        ));
    }
    let (Some((code, _)), Some(account)) = (code, account) else {
        return Err(ServiceError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let employer =
        sqlx::query_as::<_, (String,)>("SELECT id FROM employers WHERE credit_code = $1")
            .bind(code.as_str().to_string())
            .fetch_optional(store.reader())
            .await?;
    let Some((employer_id,)) = employer else {
        return Err(ServiceError::field(
            "credit_code",
            "该统一社会信用代码的单位尚未注册，请先注册单位",
        ));
    };
    let password_hash = password::hash(input.password.clone()).await?;
    let account_id = new_id();
    let now = store.now();
    let (role, status) = match input.kind {
        JoinKind::Join => ("hr", "pending_join"),
        JoinKind::BecomeManager => ("manager", "pending_manager"),
    };
    let mut tx = store.writer().begin().await?;
    save_certificate(
        blobs,
        &mut tx,
        "authorisation_letter",
        authorisation_letter,
        &account_id,
        now,
    )
    .await?;
    insert_employer_account(
        &mut tx,
        &store.pii,
        &account_id,
        &account,
        &password_hash,
        &employer_id,
        role,
        status,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&account_id),
            action: match input.kind {
                JoinKind::Join => "request_join_employer",
                JoinKind::BecomeManager => "request_become_manager",
            },
            target_kind: "employer",
            target_id: &employer_id,
            school_id: None,
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Registered {
        employer_id,
        account_id,
        status: status.into(),
        credit_code_warning: None,
    })
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MemberRow {
    pub id: String,
    pub login_name: String,
    pub display_name: String,
    pub employer_role: Option<String>,
    pub status: String,
    pub phone_masked: Option<String>,
    pub created_at: Millis,
}

pub async fn list_members(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
) -> ServiceResult<Vec<MemberRow>> {
    allow(
        policy::view_employer(actor, &EmployerId::from(employer_id), false),
        "单位",
    )?;
    Ok(sqlx::query_as::<_, MemberRow>(
        "SELECT id, login_name, display_name, employer_role, status, phone_masked, created_at FROM accounts \
         WHERE employer_id = $1 AND role = 'employer_member' ORDER BY created_at",
    )
    .bind(employer_id.to_string())
    .fetch_all(store.reader())
    .await?)
}

/// The manager approves or rejects a colleague's join request; the platform decides requests
/// to become the new manager (the old manager then becomes an ordinary HR account).
pub async fn decide_member(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
    account_id: &str,
    approve: bool,
) -> ServiceResult<()> {
    let row = sqlx::query_as::<_, (String,)>(
        "SELECT status FROM accounts WHERE id = $1 AND employer_id = $2 AND role = 'employer_member'",
    )
    .bind(account_id.to_string())
    .bind(employer_id.to_string())
    .fetch_optional(store.reader())
    .await?;
    let Some((status,)) = row else {
        return Err(ServiceError::NotFound("申请"));
    };
    let access = match status.as_str() {
        "pending_join" => policy::manage_employer_members(actor, &EmployerId::from(employer_id)),
        "pending_manager" => policy::decide_manager_request(actor),
        _ => return Err(ServiceError::Conflict("该申请已处理".into())),
    };
    match access {
        Access::Allowed => {}
        Access::Forbidden => return Err(ServiceError::Forbidden),
        Access::NotFound => return Err(ServiceError::NotFound("申请")),
    }
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    if approve && status == "pending_manager" {
        sqlx::query(
            "UPDATE accounts SET employer_role = 'hr', updated_at = $1 WHERE employer_id = $2 AND employer_role = 'manager' AND status = 'active'",
        )
        .bind(now)
        .bind(employer_id.to_string())
        .execute(&mut *tx)
        .await?;
    }
    let done = sqlx::query(
        "UPDATE accounts SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
    )
    .bind(if approve { "active" } else { "rejected" })
    .bind(now)
    .bind(account_id.to_string())
    .bind(status.clone())
    .execute(&mut *tx)
    .await
    // A hand-over that raced this approval left another active manager: the index refuses.
    .map_err(|e| {
        if is_unique_violation(&e) {
            ServiceError::Conflict("管理员已变更，请刷新后重试".into())
        } else {
            e.into()
        }
    })?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::Conflict("该申请已处理".into()));
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: if approve {
                "approve_member"
            } else {
                "reject_member"
            },
            target_kind: "account",
            target_id: account_id,
            school_id: None,
            detail: serde_json::json!({ "employer_id": employer_id, "request": status }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct EmployerRow {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub credit_code_warning: Option<String>,
    pub credit_code_override_by: Option<String>,
    pub province: String,
    pub city: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub postcode: String,
    pub unit_nature_code: String,
    pub industry_code: String,
    pub size_code: String,
    pub registered_capital_code: String,
    pub tags: String,
    pub hr_email: String,
    pub contact_name: String,
    pub introduction: String,
    pub authorisation_upload_id: Option<String>,
    pub licence_upload_id: Option<String>,
    /// The company's logo (served by `get_employer_logo`), if one was sent.
    pub logo_upload_id: Option<String>,
    pub status: String,
    pub decision_reason: Option<String>,
    pub created_at: Millis,
}

const EMPLOYER_COLUMNS: &str = "e.id, e.name, e.credit_code, e.credit_code_warning, e.credit_code_override_by, e.province, e.city, \
    e.address, e.phone, e.email, e.postcode, e.unit_nature_code, e.industry_code, e.size_code, e.registered_capital_code, e.tags, \
    e.hr_email, e.contact_name, e.introduction, e.authorisation_upload_id, e.licence_upload_id, e.logo_upload_id, e.status, e.decision_reason, e.created_at";

pub(crate) async fn recruits_at(
    store: &Store,
    employer_id: &str,
    school_id: Option<&str>,
) -> ServiceResult<bool> {
    let Some(school_id) = school_id else {
        return Ok(false);
    };
    let row = sqlx::query_as::<_, (String,)>(
        "SELECT status FROM employer_schools WHERE employer_id = $1 AND school_id = $2",
    )
    .bind(employer_id.to_string())
    .bind(school_id.to_string())
    .fetch_optional(store.reader())
    .await?;
    Ok(row.is_some())
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct EmployerSchoolRow {
    pub school_id: String,
    pub school_name: String,
    pub status: String,
    pub decision_reason: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EmployerDetail {
    #[serde(flatten)]
    pub employer: EmployerRow,
    pub unit_nature: Option<String>,
    pub industry: Option<String>,
    pub schools: Vec<EmployerSchoolRow>,
    /// A 认证信息 change waiting for the platform; the fields above stay the verified ones.
    pub pending_certification_change: Option<CertificationChangeRow>,
    /// The authorisation letter and licence (and a licence sent with a pending change).
    pub uploads: Vec<crate::record_uploads::RecordUpload>,
}

pub async fn get_employer(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
) -> ServiceResult<EmployerDetail> {
    let employer = sqlx::query_as::<_, EmployerRow>(&format!(
        "SELECT {EMPLOYER_COLUMNS} FROM employers e WHERE e.id = $1"
    ))
    .bind(employer_id.to_string())
    .fetch_optional(store.reader())
    .await?
    .ok_or(ServiceError::NotFound("单位"))?;
    let at_school = recruits_at(store, employer_id, actor.school_id.as_deref()).await?;
    allow(
        policy::view_employer(actor, &EmployerId::from(employer_id), at_school),
        "单位",
    )?;
    let schools = sqlx::query_as::<_, EmployerSchoolRow>(
        "SELECT es.school_id, s.name AS school_name, es.status, es.decision_reason FROM employer_schools es \
         JOIN schools s ON s.id = es.school_id WHERE es.employer_id = $1 ORDER BY s.code",
    )
    .bind(employer_id.to_string())
    .fetch_all(store.reader())
    .await?;
    let pending_certification_change = pending_certification_change(store, employer_id).await?;
    let file_ids: Vec<String> = [
        &employer.authorisation_upload_id,
        &employer.licence_upload_id,
        &pending_certification_change
            .as_ref()
            .and_then(|c| c.licence_upload_id.clone()),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    let uploads =
        crate::record_uploads::files(&mut *store.reader().acquire().await?, &file_ids).await?;
    Ok(EmployerDetail {
        uploads,
        pending_certification_change,
        unit_nature: codes::UNIT_NATURE
            .name_of(&employer.unit_nature_code)
            .map(str::to_string),
        industry: codes::INDUSTRY
            .name_of(&employer.industry_code)
            .map(str::to_string),
        employer,
        schools,
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct VerificationFilter {
    /// pending (default), verified, rejected
    pub status: Option<String>,
    pub keyword: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The verification queue: all employers for the province, applicants to its own school for a
/// school administrator (with the school-level status).
pub async fn list_for_verification(
    store: &Store,
    actor: &Actor,
    filter: &VerificationFilter,
) -> ServiceResult<Page<EmployerRow>> {
    let status = filter.status.clone().unwrap_or_else(|| "pending".into());
    if !matches!(status.as_str(), "pending" | "verified" | "rejected") {
        return Err(ServiceError::field(
            "status",
            "状态只能是 pending、verified 或 rejected",
        ));
    }
    let paging = Paging::new(filter.page, filter.per_page);
    let mut q = Filter::new();
    let from = match actor.role {
        Role::ProvincialAdmin => {
            q.and_eq("e.status", status);
            "FROM employers e"
        }
        Role::SchoolAdmin => {
            q.and_eq("es.status", status)
                .and_eq("es.school_id", actor.school_id.clone().unwrap_or_default());
            "FROM employers e JOIN employer_schools es ON es.employer_id = e.id"
        }
        Role::Graduate | Role::EmployerMember | Role::DepartmentReviewer => {
            return Err(ServiceError::Forbidden)
        }
    };
    if let Some(k) = filter
        .keyword
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        q.and_contains(&["e.name"], k);
    }
    let mut conn = store.reader().acquire().await?;
    let total = q.count_capped(&mut *conn, from, None).await?;
    let limit = q.arg(paging.per_page + 1);
    let offset = q.arg(paging.offset());
    let sql = format!(
        "SELECT {EMPLOYER_COLUMNS} {from} {} ORDER BY e.created_at, e.id LIMIT {limit} OFFSET {offset}",
        q.where_sql()
    );
    let rows = q
        .bind(sqlx::query_as::<_, EmployerRow>(&sql))
        .fetch_all(&mut *conn)
        .await?;
    Ok(Page::from_rows(rows, paging, total, |_| String::new()).without_cursor())
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct VerifyEmployer {
    pub approve: bool,
    #[serde(default)]
    pub reason: Option<String>,
    /// Confirms a credit code that fails its check character (logged).
    #[serde(default)]
    pub override_credit_code_warning: bool,
}

/// Platform verification (province) or school verification (school administrator).
pub async fn verify_employer(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
    input: VerifyEmployer,
) -> ServiceResult<()> {
    let row = sqlx::query_as::<_, (String, Option<String>, Option<String>)>(
        "SELECT status, credit_code_warning, credit_code_override_by FROM employers WHERE id = $1",
    )
    .bind(employer_id.to_string())
    .fetch_optional(store.reader())
    .await?;
    let Some((_status, warning, overridden)) = row else {
        return Err(ServiceError::NotFound("单位"));
    };
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if !input.approve && reason.is_empty() {
        return Err(ServiceError::field("reason", "审核不通过须填写原因"));
    }
    if reason.chars().count() > 200 {
        return Err(ServiceError::field("reason", "原因不能超过 200 字"));
    }
    let needs_override = input.approve && warning.is_some() && overridden.is_none();
    if needs_override && !input.override_credit_code_warning {
        return Err(ServiceError::Conflict(format!(
            "{}：请核对营业执照后确认忽略校验警告再审核通过",
            warning.unwrap_or_default()
        )));
    }
    let now = store.now();
    let new_status = if input.approve {
        "verified"
    } else {
        "rejected"
    };
    let mut tx = store.writer().begin().await?;
    let school_id = match actor.role {
        Role::ProvincialAdmin => {
            sqlx::query(
                "UPDATE employers SET status = $1, decision_reason = $2, decided_by = $3, decided_at = $4, updated_at = $4 WHERE id = $5",
            )
            .bind(new_status)
            .bind(reason.clone())
            .bind(actor.account_id.clone())
            .bind(now)
            .bind(employer_id.to_string())
            .execute(&mut *tx)
            .await?;
            None
        }
        Role::SchoolAdmin => {
            let school_id = actor.school_id.clone().unwrap_or_default();
            let applied = recruits_at(store, employer_id, Some(&school_id)).await?;
            allow(
                policy::verify_employer_for_school(actor, &school_id, applied),
                "单位",
            )?;
            sqlx::query(
                "UPDATE employer_schools SET status = $1, decision_reason = $2, decided_by = $3, decided_at = $4, updated_at = $4 \
                 WHERE employer_id = $5 AND school_id = $6",
            )
            .bind(new_status)
            .bind(reason.clone())
            .bind(actor.account_id.clone())
            .bind(now)
            .bind(employer_id.to_string())
            .bind(school_id.clone())
            .execute(&mut *tx)
            .await?;
            Some(school_id)
        }
        Role::Graduate | Role::EmployerMember | Role::DepartmentReviewer => {
            return Err(ServiceError::Forbidden)
        }
    };
    if needs_override {
        sqlx::query("UPDATE employers SET credit_code_override_by = $1 WHERE id = $2")
            .bind(actor.account_id.clone())
            .bind(employer_id.to_string())
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            AuditEntry {
                at: now,
                actor_account_id: Some(&actor.account_id),
                action: "override_credit_code_warning",
                target_kind: "employer",
                target_id: employer_id,
                school_id: school_id.as_deref(),
                detail: serde_json::json!({}),
            },
        )
        .await?;
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: if input.approve { "verify_employer" } else { "reject_employer" },
            target_kind: "employer",
            target_id: employer_id,
            school_id: school_id.as_deref(),
            detail: serde_json::json!({ "reason": reason, "level": if school_id.is_some() { "school" } else { "platform" } }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether an employer may sign with graduates of a school under that school's settings.
/// The lifecycle enforces this before any invitation.
pub async fn may_sign_at(
    store: &Store,
    employer_id: &str,
    school_id: &str,
    rule: EmployerVerification,
) -> ServiceResult<bool> {
    let mut conn = store.reader().acquire().await?;
    may_sign_on(&mut conn, employer_id, school_id, rule).await
}

/// [`may_sign_at`] on a connection the caller holds (inside its transaction).
pub async fn may_sign_on(
    conn: &mut sqlx::AnyConnection,
    employer_id: &str,
    school_id: &str,
    rule: EmployerVerification,
) -> ServiceResult<bool> {
    let row = sqlx::query_as::<_, (String, Option<String>)>(
        "SELECT e.status, es.status FROM employers e LEFT JOIN employer_schools es ON es.employer_id = e.id AND es.school_id = $2 WHERE e.id = $1",
    )
    .bind(employer_id.to_string())
    .bind(school_id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        None => false,
        Some((platform, school)) => match rule {
            EmployerVerification::PlatformSufficient => {
                platform == "verified" || school.as_deref() == Some("verified")
            }
            EmployerVerification::SchoolRequired => school.as_deref() == Some("verified"),
        },
    })
}

/// The employer whose certificate (authorisation letter or licence) an upload is.
pub async fn employer_of_upload(store: &Store, upload_id: &str) -> ServiceResult<Option<String>> {
    let row = sqlx::query_as::<_, (String,)>(
        // A licence sent with a pending 认证信息 change is the province's to look at, too.
        "SELECT id FROM employers WHERE authorisation_upload_id = $1 OR licence_upload_id = $1 \
         UNION SELECT employer_id FROM employer_certification_changes WHERE licence_upload_id = $1",
    )
    .bind(upload_id.to_string())
    .fetch_optional(store.reader())
    .await?;
    Ok(row.map(|r| r.0))
}

/// Whether a company with this credit code is registered: the registration page then leads to
/// the join page instead of a second registration.
pub async fn employer_exists(store: &Store, credit_code: &str) -> ServiceResult<bool> {
    Ok(employer_name_by_code(store, credit_code).await?.is_some())
}

/// The member of `employer_id` an act of its manager is about, or 404 (also for members of
/// other companies, so that ids reveal nothing).
async fn member_of(
    store: &Store,
    employer_id: &str,
    account_id: &str,
) -> ServiceResult<(Option<String>, String)> {
    sqlx::query_as::<_, (Option<String>, String)>(
        "SELECT employer_role, status FROM accounts WHERE id = $1 AND employer_id = $2 AND role = 'employer_member'",
    )
    .bind(account_id.to_string())
    .bind(employer_id.to_string())
    .fetch_optional(store.reader())
    .await?
    .ok_or(ServiceError::NotFound("成员"))
}

/// The manager removes a colleague (移除成员): the account is disabled, not deleted, so that the
/// agreements it handled keep pointing at someone, and every session of it ends at once.
pub async fn remove_member(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
    account_id: &str,
    idem: Option<&IdemKey>,
) -> ServiceResult<()> {
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    // The key is claimed before the checks: a double click finds the member already removed,
    // and must answer as the first click did, not "not an active member".
    if idempotency::claim::<()>(
        &mut tx,
        actor,
        idem,
        "remove_employer_member",
        account_id,
        now,
    )
    .await?
    .is_some()
    {
        return Ok(());
    }
    allow(
        policy::remove_or_promote_employer_member(actor, &EmployerId::from(employer_id)),
        "成员",
    )?;
    let (role, status) = member_of(store, employer_id, account_id).await?;
    if *actor.account_id == *account_id
        || (role.as_deref() == Some("manager") && status == "active")
    {
        return Err(ServiceError::Conflict(
            "不能移除管理员：请先将管理员移交给其他成员".into(),
        ));
    }
    if status != "active" {
        return Err(ServiceError::Conflict(
            "该成员不是正常状态：待审核的申请请用同意或拒绝处理".into(),
        ));
    }
    let done = sqlx::query(
        "UPDATE accounts SET status = 'disabled', updated_at = $1 WHERE id = $2 AND employer_id = $3 AND status = 'active' AND employer_role = 'hr'",
    )
    .bind(now)
    .bind(account_id.to_string())
    .bind(employer_id.to_string())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::Conflict(
            "该成员已被移除或已成为管理员".into(),
        ));
    }
    let ended = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "remove_employer_member",
            target_kind: "account",
            target_id: account_id,
            school_id: None,
            detail: serde_json::json!({ "employer_id": employer_id, "sessions_ended": ended }),
        },
    )
    .await?;
    idempotency::remember(&mut tx, actor, idem, &()).await?;
    tx.commit().await?;
    Ok(())
}

/// The manager hands the role over to another active member (移交管理员); the old manager stays
/// as 经办人. Both changes are guarded updates in one transaction, and the partial unique index
/// `accounts_one_employer_manager` refuses a second manager whatever races with it.
pub async fn transfer_manager(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
    to_account_id: &str,
    idem: Option<&IdemKey>,
) -> ServiceResult<()> {
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    // Claimed first, as for a removal: the second click finds the actor no longer the manager,
    // and must still answer as the first did.
    if idempotency::claim::<()>(
        &mut tx,
        actor,
        idem,
        "transfer_employer_manager",
        to_account_id,
        now,
    )
    .await?
    .is_some()
    {
        return Ok(());
    }
    allow(
        policy::remove_or_promote_employer_member(actor, &EmployerId::from(employer_id)),
        "成员",
    )?;
    let (_, status) = member_of(store, employer_id, to_account_id).await?;
    if *actor.account_id == *to_account_id {
        return Err(ServiceError::field("account_id", "您已经是管理员"));
    }
    if status != "active" {
        return Err(ServiceError::field(
            "account_id",
            "只能移交给状态正常的成员",
        ));
    }
    let conflict = || ServiceError::Conflict("管理员已变更，请刷新后重试".into());
    // The old manager first: a racing hand-over then finds no manager to demote and stops.
    let demoted = sqlx::query(
        "UPDATE accounts SET employer_role = 'hr', updated_at = $1 \
         WHERE id = $2 AND employer_id = $3 AND employer_role = 'manager' AND status = 'active'",
    )
    .bind(now)
    .bind(actor.account_id.to_string())
    .bind(employer_id.to_string())
    .execute(&mut *tx)
    .await?;
    if demoted.rows_affected() != 1 {
        return Err(conflict());
    }
    let promoted = sqlx::query(
        "UPDATE accounts SET employer_role = 'manager', updated_at = $1 \
         WHERE id = $2 AND employer_id = $3 AND employer_role = 'hr' AND status = 'active'",
    )
    .bind(now)
    .bind(to_account_id.to_string())
    .bind(employer_id.to_string())
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            conflict()
        } else {
            e.into()
        }
    })?;
    if promoted.rows_affected() != 1 {
        return Err(conflict());
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "transfer_employer_manager",
            target_kind: "account",
            target_id: to_account_id,
            school_id: None,
            detail: serde_json::json!({ "employer_id": employer_id, "from": actor.account_id.to_string() }),
        },
    )
    .await?;
    idempotency::remember(&mut tx, actor, idem, &()).await?;
    tx.commit().await.map_err(|e| {
        if is_unique_violation(&e) {
            conflict()
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// 基本资料: what the company changes itself, at once (seed 004 §3). Name, credit code, nature
/// and licence are 认证信息 and go back to verification instead.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEmployerProfile {
    /// 联系人
    pub contact_name: String,
    /// 联系电话 (a landline such as 0551-62345678, or a mobile)
    pub phone: String,
    /// 电子邮箱
    pub email: String,
    /// 接收简历邮箱 (optional)
    #[serde(default)]
    pub hr_email: String,
    /// 通讯地址
    pub address: String,
    /// 邮政编码
    pub postcode: String,
    /// 单位简介 (≤ 2000 characters)
    #[serde(default)]
    pub introduction: String,
    pub industry_code: String,
    pub size_code: String,
    #[serde(default)]
    pub registered_capital_code: String,
}

fn check_phone(errors: &mut Vec<FieldError>, phone: &str) {
    let p = phone.trim();
    if p.is_empty() {
        errors.push(FieldError::new("phone", "请填写联系电话"));
    } else if p.starts_with('1') && p.len() == 11 {
        if let Err(e) = MobileNumber::parse(p) {
            errors.push(FieldError::new("phone", e.to_string()));
        }
    } else if p.len() > 30
        || p.chars().filter(char::is_ascii_digit).count() < 7
        || !p.chars().all(|c| c.is_ascii_digit() || "-+ ()".contains(c))
    {
        errors.push(FieldError::new(
            "phone",
            "联系电话格式不正确，例如 0551-62345678 或手机号码",
        ));
    }
}

pub async fn update_profile(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
    input: UpdateEmployerProfile,
) -> ServiceResult<()> {
    allow(
        policy::edit_employer_profile(actor, &EmployerId::from(employer_id)),
        "单位",
    )?;
    let mut errors = Vec::new();
    required(
        &mut errors,
        "contact_name",
        &input.contact_name,
        "联系人",
        50,
    );
    check_phone(&mut errors, &input.phone);
    if let Err(e) = Email::parse(&input.email) {
        errors.push(FieldError::new("email", e.to_string()));
    }
    if !input.hr_email.trim().is_empty() {
        if let Err(e) = Email::parse(&input.hr_email) {
            errors.push(FieldError::new("hr_email", e.to_string()));
        }
    }
    required(&mut errors, "address", &input.address, "通讯地址", 200);
    if let Err(e) = Postcode::parse(&input.postcode) {
        errors.push(FieldError::new("postcode", e.to_string()));
    }
    if input.introduction.chars().count() > 2000 {
        errors.push(FieldError::new("introduction", "单位简介不能超过 2000 字"));
    }
    code_in(
        &mut errors,
        "industry_code",
        &input.industry_code,
        &codes::INDUSTRY,
    );
    code_in(
        &mut errors,
        "size_code",
        &input.size_code,
        &codes::UNIT_SIZE,
    );
    if !input.registered_capital_code.trim().is_empty() {
        code_in(
            &mut errors,
            "registered_capital_code",
            &input.registered_capital_code,
            &codes::REGISTERED_CAPITAL,
        );
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let done = sqlx::query(
        "UPDATE employers SET contact_name = $1, phone = $2, email = $3, hr_email = $4, address = $5, postcode = $6, \
           introduction = $7, industry_code = $8, size_code = $9, registered_capital_code = $10, updated_at = $11 WHERE id = $12",
    )
    .bind(input.contact_name.trim().to_string())
    .bind(input.phone.trim().to_string())
    .bind(input.email.trim().to_string())
    .bind(input.hr_email.trim().to_string())
    .bind(input.address.trim().to_string())
    .bind(input.postcode.trim().to_string())
    .bind(input.introduction.trim().to_string())
    .bind(input.industry_code.trim().to_string())
    .bind(input.size_code.trim().to_string())
    .bind(input.registered_capital_code.trim().to_string())
    .bind(now)
    .bind(employer_id.to_string())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::NotFound("单位"));
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "update_employer_profile",
            target_kind: "employer",
            target_id: employer_id,
            school_id: None,
            // The row holds the new values; contacts are not copied into the trail.
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The registered company's name for a credit code, shown on the join page.
pub async fn employer_name_by_code(
    store: &Store,
    credit_code: &str,
) -> ServiceResult<Option<String>> {
    let Ok((code, _)) = CreditCode::parse_allowing_bad_check(credit_code) else {
        return Ok(None);
    };
    let row = sqlx::query_as::<_, (String,)>("SELECT name FROM employers WHERE credit_code = $1")
        .bind(code.as_str().to_string())
        .fetch_optional(store.reader())
        .await?;
    Ok(row.map(|r| r.0))
}

/// 认证信息 to be verified again (seed 004 §3: "认证信息部分，如需修改需要重新发起认证").
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RequestCertificationChange {
    pub name: String,
    pub credit_code: String,
    pub unit_nature_code: String,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CertificationChangeRow {
    pub id: String,
    pub employer_id: String,
    pub name: String,
    pub credit_code: String,
    pub unit_nature_code: String,
    pub licence_upload_id: Option<String>,
    /// pending, approved, rejected
    pub status: String,
    pub decision_reason: Option<String>,
    pub created_at: Millis,
}

const CHANGE_COLUMNS: &str = "id, employer_id, name, credit_code, unit_nature_code, licence_upload_id, status, decision_reason, created_at";

/// The change waiting for the platform, if any.
pub async fn pending_certification_change(
    store: &Store,
    employer_id: &str,
) -> ServiceResult<Option<CertificationChangeRow>> {
    Ok(sqlx::query_as::<_, CertificationChangeRow>(&format!(
        "SELECT {CHANGE_COLUMNS} FROM employer_certification_changes WHERE employer_id = $1 AND status = 'pending'"
    ))
    .bind(employer_id.to_string())
    .fetch_optional(store.reader())
    .await?)
}

/// Stores the change beside the verified data; nothing the company signs with changes until the
/// platform approves it ([`decide_certification_change`]).
pub async fn request_certification_change(
    store: &Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    employer_id: &str,
    input: RequestCertificationChange,
    licence: Option<UploadedFile>,
) -> ServiceResult<CertificationChangeRow> {
    allow(
        policy::request_certification_change(actor, &EmployerId::from(employer_id)),
        "单位",
    )?;
    let mut errors = Vec::new();
    required(&mut errors, "name", &input.name, "单位名称", 100);
    // A change is checked strictly: the override of a bad check character is for registration.
    let code = match CreditCode::parse(&input.credit_code) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(FieldError::new("credit_code", e.to_string()));
            None
        }
    };
    code_in(
        &mut errors,
        "unit_nature_code",
        &input.unit_nature_code,
        &codes::UNIT_NATURE,
    );
    let current = sqlx::query_as::<_, (String, String, String)>(
        "SELECT name, credit_code, unit_nature_code FROM employers WHERE id = $1",
    )
    .bind(employer_id.to_string())
    .fetch_optional(store.reader())
    .await?
    .ok_or(ServiceError::NotFound("单位"))?;
    let Some(code) = code else {
        return Err(ServiceError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let name = input.name.trim().to_string();
    let nature = input.unit_nature_code.trim().to_string();
    if (name.as_str(), code.as_str(), nature.as_str())
        == (current.0.as_str(), current.1.as_str(), current.2.as_str())
        && licence.is_none()
    {
        return Err(ServiceError::field("name", "认证信息没有变化"));
    }
    if code.as_str() != current.1 {
        let taken =
            sqlx::query_as::<_, (String,)>("SELECT id FROM employers WHERE credit_code = $1")
                .bind(code.as_str().to_string())
                .fetch_optional(store.reader())
                .await?;
        if taken.is_some() {
            return Err(ServiceError::field(
                "credit_code",
                "该统一社会信用代码已被其他单位注册",
            ));
        }
    }
    let now = store.now();
    let id = new_id();
    let mut tx = store.writer().begin().await?;
    let licence_id =
        save_certificate(blobs, &mut tx, "licence", licence, &actor.account_id, now).await?;
    sqlx::query(
        "INSERT INTO employer_certification_changes (id, employer_id, name, credit_code, unit_nature_code, licence_upload_id, \
           status, requested_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8)",
    )
    .bind(id.clone())
    .bind(employer_id.to_string())
    .bind(name)
    .bind(code.as_str().to_string())
    .bind(nature)
    .bind(licence_id)
    .bind(actor.account_id.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ServiceError::Conflict("已有一项认证信息修改在等待平台审核".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "request_certification_change",
            target_kind: "employer",
            target_id: employer_id,
            school_id: None,
            detail: serde_json::json!({ "change_id": id }),
        },
    )
    .await?;
    tx.commit().await?;
    pending_certification_change(store, employer_id)
        .await?
        .ok_or(ServiceError::NotFound("认证信息修改"))
}

/// The platform approves (the verified columns take the new values, in the same transaction) or
/// rejects (with a reason) a pending 认证信息 change.
pub async fn decide_certification_change(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
    change_id: &str,
    approve: bool,
    reason: Option<String>,
) -> ServiceResult<()> {
    allow(policy::verify_employer_for_platform(actor), "认证信息修改")?;
    let reason = reason.as_deref().map(str::trim).unwrap_or("").to_string();
    if !approve && reason.is_empty() {
        return Err(ServiceError::field("reason", "审核不通过须填写原因"));
    }
    if reason.chars().count() > 200 {
        return Err(ServiceError::field("reason", "原因不能超过 200 字"));
    }
    let change = sqlx::query_as::<_, CertificationChangeRow>(&format!(
        "SELECT {CHANGE_COLUMNS} FROM employer_certification_changes WHERE id = $1 AND employer_id = $2"
    ))
    .bind(change_id.to_string())
    .bind(employer_id.to_string())
    .fetch_optional(store.reader())
    .await?
    .ok_or(ServiceError::NotFound("认证信息修改"))?;
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let done = sqlx::query(
        "UPDATE employer_certification_changes SET status = $1, decision_reason = $2, decided_by = $3, decided_at = $4, updated_at = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(if approve { "approved" } else { "rejected" })
    .bind(reason.clone())
    .bind(actor.account_id.to_string())
    .bind(now)
    .bind(change_id.to_string())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::Conflict("该申请已处理".into()));
    }
    if approve {
        sqlx::query(
            "UPDATE employers SET name = $1, credit_code = $2, unit_nature_code = $3, \
               licence_upload_id = COALESCE($4, licence_upload_id), credit_code_warning = NULL, updated_at = $5 WHERE id = $6",
        )
        .bind(change.name.clone())
        .bind(change.credit_code.clone())
        .bind(change.unit_nature_code.clone())
        .bind(change.licence_upload_id.clone())
        .bind(now)
        .bind(employer_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ServiceError::Conflict("该统一社会信用代码已被其他单位注册".into())
            } else {
                e.into()
            }
        })?;
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: if approve {
                "approve_certification_change"
            } else {
                "reject_certification_change"
            },
            target_kind: "employer",
            target_id: employer_id,
            school_id: None,
            detail: serde_json::json!({ "change_id": change_id, "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One school the company recruits at, as the company sees it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MySchoolRow {
    pub school_id: String,
    pub school_code: String,
    pub school_name: String,
    /// pending, verified, rejected (the school's own verification)
    pub status: String,
    /// 待审核, 已通过 or 未通过
    #[sqlx(skip)]
    pub status_label: String,
    pub decision_reason: Option<String>,
    pub applied_at: Millis,
}

/// 招聘学校: where the company recruits, with each school's verification.
pub async fn list_my_schools(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
) -> ServiceResult<Vec<MySchoolRow>> {
    let at_school = recruits_at(store, employer_id, actor.school_id.as_deref()).await?;
    allow(
        policy::view_employer(actor, &EmployerId::from(employer_id), at_school),
        "单位",
    )?;
    let mut rows = sqlx::query_as::<_, MySchoolRow>(
        "SELECT es.school_id, s.code AS school_code, s.name AS school_name, es.status, es.decision_reason, \
           es.created_at AS applied_at FROM employer_schools es JOIN schools s ON s.id = es.school_id \
         WHERE es.employer_id = $1 ORDER BY s.code",
    )
    .bind(employer_id.to_string())
    .fetch_all(store.reader())
    .await?;
    for r in &mut rows {
        r.status_label = policy::employer_school_status_label(&r.status).to_string();
    }
    Ok(rows)
}

/// What one school of an application came to.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SchoolApplicationResult {
    pub school_id: String,
    pub school_name: String,
    /// applied (new), applied_again (after a refusal), already_pending, already_verified
    pub outcome: String,
    /// 已提交申请, 已重新提交申请, 已在审核中 or 已通过审核
    pub message: String,
    /// The school's verification status after the request.
    pub status: String,
    pub status_label: String,
}

/// The most schools one application may name: a page's worth, not a bulk import.
const MAX_SCHOOLS_PER_APPLICATION: usize = 50;

/// 申请招聘业务 (seed 004 §2 step 4, later): adds schools to the company's recruiting list; each
/// new one lands in that school's verification queue as 待审核. Schools already asked answer
/// their present state and are left alone; a school that refused is asked again.
pub async fn apply_to_schools(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
    school_ids: &[String],
) -> ServiceResult<Vec<SchoolApplicationResult>> {
    allow(
        policy::apply_to_schools(actor, &EmployerId::from(employer_id)),
        "单位",
    )?;
    let mut ids: Vec<String> = school_ids
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(ServiceError::field("school_ids", "请选择要申请的学校"));
    }
    if ids.len() > MAX_SCHOOLS_PER_APPLICATION {
        return Err(ServiceError::field(
            "school_ids",
            format!("一次最多申请 {MAX_SCHOOLS_PER_APPLICATION} 所学校"),
        ));
    }
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let mut schools = Vec::new();
    let mut unknown = Vec::new();
    for id in &ids {
        let row = sqlx::query_as::<_, (String, Option<Millis>)>(
            "SELECT name, disabled_at FROM schools WHERE id = $1",
        )
        .bind(id.clone())
        .fetch_optional(&mut *tx)
        .await?;
        match row {
            Some((name, None)) => schools.push((id.clone(), name)),
            Some((name, Some(_))) => unknown.push(format!("{name}已停用")),
            None => unknown.push(format!("学校 {id} 不存在")),
        }
    }
    if !unknown.is_empty() {
        return Err(ServiceError::field(
            "school_ids",
            format!("以下学校不能申请：{}", unknown.join("；")),
        ));
    }
    let mut results = Vec::new();
    for (school_id, school_name) in schools {
        let current = sqlx::query_as::<_, (String,)>(
            "SELECT status FROM employer_schools WHERE employer_id = $1 AND school_id = $2",
        )
        .bind(employer_id.to_string())
        .bind(school_id.clone())
        .fetch_optional(&mut *tx)
        .await?;
        let decision = policy::school_application(current.as_ref().map(|c| c.0.as_str()));
        let (outcome, message, status) = match decision {
            policy::SchoolApplication::New => {
                sqlx::query(
                    "INSERT INTO employer_schools (employer_id, school_id, status, created_at, updated_at) \
                     VALUES ($1, $2, 'pending', $3, $3)",
                )
                .bind(employer_id.to_string())
                .bind(school_id.clone())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        ServiceError::Conflict("申请正在处理中，请刷新后查看".into())
                    } else {
                        e.into()
                    }
                })?;
                ("applied", "已提交申请", "pending")
            }
            policy::SchoolApplication::Again => {
                sqlx::query(
                    "UPDATE employer_schools SET status = 'pending', decision_reason = NULL, decided_by = NULL, \
                       decided_at = NULL, updated_at = $1 WHERE employer_id = $2 AND school_id = $3 AND status = 'rejected'",
                )
                .bind(now)
                .bind(employer_id.to_string())
                .bind(school_id.clone())
                .execute(&mut *tx)
                .await?;
                ("applied_again", "已重新提交申请", "pending")
            }
            policy::SchoolApplication::AlreadyPending => {
                ("already_pending", "已在审核中", "pending")
            }
            policy::SchoolApplication::AlreadyVerified => {
                ("already_verified", "已通过审核", "verified")
            }
        };
        if matches!(
            decision,
            policy::SchoolApplication::New | policy::SchoolApplication::Again
        ) {
            audit::record(
                &mut tx,
                AuditEntry {
                    at: now,
                    actor_account_id: Some(&actor.account_id),
                    action: "apply_to_school",
                    target_kind: "employer",
                    target_id: employer_id,
                    school_id: Some(&school_id),
                    detail: serde_json::json!({ "outcome": outcome }),
                },
            )
            .await?;
        }
        results.push(SchoolApplicationResult {
            school_id,
            school_name,
            outcome: outcome.into(),
            message: message.into(),
            status: status.into(),
            status_label: policy::employer_school_status_label(status).into(),
        });
    }
    tx.commit().await?;
    Ok(results)
}

/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 2 * 1024 * 1024;

/// Replaces the company's logo (基本资料: at once). The file's type was judged by the caller from
/// its bytes; the old upload row stays, as every upload does, for the trail.
pub async fn set_logo(
    store: &Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    employer_id: &str,
    logo: UploadedFile,
) -> ServiceResult<String> {
    allow(
        policy::change_employer_logo(actor, &EmployerId::from(employer_id)),
        "单位",
    )?;
    if logo.bytes.len() > MAX_LOGO_BYTES {
        return Err(ServiceError::field("logo", "单位标志不能超过 2 MB"));
    }
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let id = save_upload(
        blobs,
        &mut tx,
        NewUpload {
            kind: "employer_logo",
            content_type: logo.content_type,
            original_name: logo.original_name,
            bytes: logo.bytes,
            uploaded_by: Some(actor.account_id.to_string()),
            at: now,
            school_id: None,
        },
    )
    .await?;
    let done =
        sqlx::query("UPDATE employers SET logo_upload_id = $1, updated_at = $2 WHERE id = $3")
            .bind(id.clone())
            .bind(now)
            .bind(employer_id.to_string())
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::NotFound("单位"));
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "update_employer_logo",
            target_kind: "employer",
            target_id: employer_id,
            school_id: None,
            detail: serde_json::json!({ "upload_id": id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The company's logo for whoever may see its profile ([`get_employer`]'s rule); 404 otherwise,
/// and when there is none.
pub async fn logo_of(
    store: &Store,
    actor: &Actor,
    employer_id: &str,
) -> ServiceResult<crate::blobs::UploadRow> {
    // Whoever may not see the profile learns nothing, not even that a logo exists.
    let detail = match get_employer(store, actor, employer_id).await {
        Err(ServiceError::Forbidden) => return Err(ServiceError::NotFound("单位标志")),
        other => other?,
    };
    let id = detail
        .employer
        .logo_upload_id
        .ok_or(ServiceError::NotFound("单位标志"))?;
    crate::blobs::find_upload(store, &id)
        .await?
        .ok_or(ServiceError::NotFound("单位标志"))
}
