//! Reading graduates' source records, scoped by the access policy, and the school's lock on a
//! graduate's online signing.

use wangqian_domain::codes;
use wangqian_domain::contact::{Email, MobileNumber};
use wangqian_domain::policy::{self, GraduateScope};
use wangqian_domain::role::{Actor, Role};
use wangqian_domain::roster_review::RosterReview;

use crate::audit::{self, AuditEntry};
use crate::error::allow;
use crate::pii::PiiField;
use crate::query::{contains_pattern, decode_cursor, encode_cursor, Arg, Counted, Filter};
use crate::{
    DepartmentId, FieldError, GraduateId, Millis, Page, Paging, SchoolId, ServiceError,
    ServiceResult, Store,
};

/// One row of a graduate list: personal data masked.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct GraduateSummary {
    pub id: GraduateId,
    pub school_id: SchoolId,
    pub student_no: String,
    pub name: String,
    pub gender: String,
    pub graduation_year: i64,
    pub department_id: DepartmentId,
    pub department: String,
    pub major: String,
    pub class_name: Option<String>,
    pub education_level_code: String,
    pub training_mode_code: String,
    pub id_number_masked: String,
    pub mobile_masked: Option<String>,
    pub bound: i64,
    pub signing_locked: i64,
    /// Why the school suspended the graduate's online signing (while locked).
    pub signing_lock_reason: Option<String>,
    /// 生源审核: employers find only approved records.
    #[schema(value_type = wangqian_domain::roster_review::RosterReview)]
    pub review_state: String,
    /// Why the reviewer returned the record (while returned).
    pub review_return_reason: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct GraduateFilter {
    pub graduation_year: Option<i64>,
    pub department_id: Option<String>,
    pub keyword: Option<String>,
    pub bound: Option<bool>,
    /// Only records in this review state (生源审核).
    pub review_state: Option<RosterReview>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// The `next` cursor of the previous page (keyset paging; `page` is then ignored).
    pub after: Option<String>,
}

/// Names of the small tables come from scalar subqueries, not joins: PostgreSQL then plans one
/// table instead of ordering four (planning a four-way join cost more than running it).
const SUMMARY_COLUMNS: &str = "SELECT g.id, g.school_id, g.student_no, g.name, g.gender, g.graduation_year, g.department_id, \
    (SELECT d.name FROM departments d WHERE d.id = g.department_id) AS department, \
    (SELECT m.name FROM majors m WHERE m.id = g.major_id) AS major, \
    (SELECT c.name FROM classes c WHERE c.id = g.class_id) AS class_name, g.education_level_code, g.training_mode_code, \
    g.id_number_masked, g.mobile_masked, CASE WHEN g.account_id IS NULL THEN 0 ELSE 1 END AS bound, g.signing_locked, \
    g.signing_lock_reason, g.review_state, g.review_return_reason";

/// The conditions of a graduate list, after the access check.
pub(crate) fn graduate_conditions(
    actor: &Actor,
    school_id: &str,
    filter: &GraduateFilter,
) -> ServiceResult<Filter> {
    allow(
        policy::list_school_graduates(actor, &SchoolId::from(school_id)),
        "学校",
    )?;
    // Reviewers see their own department only, whatever the filter says.
    let department = if actor.role == Role::DepartmentReviewer {
        actor.department_id.clone()
    } else {
        filter
            .department_id
            .clone()
            .filter(|d| !d.is_empty())
            .map(DepartmentId::from)
    };
    let keyword = filter
        .keyword
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let mut q = Filter::new();
    q.and_eq("g.school_id", school_id);
    if let Some(year) = filter.graduation_year {
        q.and_eq("g.graduation_year", year);
    }
    if let Some(d) = department {
        q.and_eq("g.department_id", d);
    }
    if let Some(k) = keyword {
        q.and_with(
            "(g.name LIKE ? ESCAPE '\\' OR g.student_no = ?)",
            [Arg::Text(contains_pattern(k)), Arg::Text(k.to_string())],
        );
    }
    if let Some(state) = filter.review_state {
        q.and_eq("g.review_state", state.as_str());
    }
    match filter.bound {
        Some(true) => q.and("g.account_id IS NOT NULL"),
        Some(false) => q.and("g.account_id IS NULL"),
        None => &mut q,
    };
    Ok(q)
}

/// The exact number of graduates a filter finds (a school's figures; lists count up to
/// [`crate::query::COUNT_CAP`]).
pub async fn count_graduates(
    store: &Store,
    actor: &Actor,
    school_id: &str,
    filter: &GraduateFilter,
) -> ServiceResult<i64> {
    let q = graduate_conditions(actor, school_id, filter)?;
    let sql = format!("SELECT COUNT(*) FROM graduates g {}", q.where_sql());
    let (n,): (i64,) = q
        .bind(sqlx::query_as(&sql))
        .fetch_one(store.reader())
        .await?;
    Ok(n)
}

pub async fn list_graduates(
    store: &Store,
    actor: &Actor,
    school_id: &str,
    filter: &GraduateFilter,
) -> ServiceResult<Page<GraduateSummary>> {
    let paging = Paging::new(filter.page, filter.per_page);
    let mut q = graduate_conditions(actor, school_id, filter)?;
    let mut conn = store.reader().acquire().await?;
    let counting = q.clone();
    let count = q.count_column("FROM graduates g", None);
    // Student numbers are unique within a school, so the number alone is the position.
    let mut offset = paging.offset();
    let after = filter.after.as_deref().filter(|s| !s.is_empty());
    if let Some(after) = after {
        let last = decode_cursor(after, 1)?.remove(0);
        q.and_with("g.student_no > ?", [Arg::Text(last)]);
        offset = 0;
    }
    let limit = q.arg(paging.per_page + 1);
    let offset = q.arg(offset);
    // The page's ids come from the (school, student number) index; only they are joined.
    let list_sql = format!(
        "{SUMMARY_COLUMNS}, {count} FROM graduates g \
         WHERE g.id IN (SELECT g.id FROM graduates g {} ORDER BY g.student_no LIMIT {limit} OFFSET {offset}) \
         ORDER BY g.student_no",
        q.where_sql()
    );
    let rows = q
        .bind(sqlx::query_as::<_, Counted<GraduateSummary>>(&list_sql))
        .fetch_all(&mut *conn)
        .await?;
    let (rows, total) = Counted::split(
        rows,
        after.is_none() && paging.offset() == 0,
        counting.count_capped(&mut *conn, "FROM graduates g", None),
    )
    .await?;
    Ok(Page::from_rows(rows, paging, total, |g| {
        encode_cursor(&[&g.student_no])
    }))
}

/// The full record as the graduate or school staff see it (ID masked; mobile shown to the
/// graduate themself only).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GraduateRecord {
    #[serde(flatten)]
    pub summary: GraduateSummary,
    pub ethnicity: Option<String>,
    pub political_status: Option<String>,
    pub education_level: Option<String>,
    pub training_mode: Option<String>,
    pub years_of_schooling: i64,
    pub origin_location: String,
    pub email: Option<String>,
    pub home_address: Option<String>,
    /// The record's files the viewer may open (the handwritten signature, for the graduate).
    pub uploads: Vec<crate::record_uploads::RecordUpload>,
}

/// The columns of the full record that the summary does not carry.
#[derive(sqlx::FromRow)]
struct RecordExtras {
    ethnicity_code: Option<String>,
    political_status_code: Option<String>,
    years_of_schooling: i64,
    origin_location: String,
    email_masked: Option<String>,
    home_address_enc: Option<String>,
    signature_upload_id: Option<String>,
}

pub async fn get_graduate(store: &Store, actor: &Actor, id: &str) -> ServiceResult<GraduateRecord> {
    let summary = sqlx::query_as::<_, GraduateSummary>(&format!(
        "{SUMMARY_COLUMNS} FROM graduates g WHERE g.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(store.reader())
    .await?
    .ok_or(ServiceError::NotFound("毕业生"))?;
    allow(
        policy::view_graduate(
            actor,
            GraduateScope {
                graduate_id: &summary.id,
                school_id: &summary.school_id,
                department_id: &summary.department_id,
            },
        ),
        "毕业生",
    )?;
    let RecordExtras {
        ethnicity_code: eth,
        political_status_code: pol,
        years_of_schooling: years,
        origin_location: origin,
        email_masked: email,
        home_address_enc: addr_enc,
        signature_upload_id: signature,
    } = sqlx::query_as(
        "SELECT ethnicity_code, political_status_code, years_of_schooling, origin_location, email_masked, home_address_enc, signature_upload_id FROM graduates WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_one(store.reader())
    .await?;
    let home_address = match addr_enc {
        Some(enc) => Some(store.pii.decrypt(PiiField::HomeAddress, &enc)?),
        None => None,
    };
    // Only files the viewer may open are listed, so a page never links to a refusal.
    let signature_owner = policy::UploadOwner::GraduateSignature {
        graduate_id: summary.id.clone(),
    };
    let file_ids: Vec<String> = signature
        .into_iter()
        .filter(|_| policy::download_upload(actor, Some(&signature_owner)).is_allowed())
        .collect();
    let uploads =
        crate::record_uploads::files(&mut *store.reader().acquire().await?, &file_ids).await?;
    Ok(GraduateRecord {
        uploads,
        ethnicity: eth
            .as_deref()
            .and_then(|c| codes::ETHNICITY.name_of(c))
            .map(str::to_string),
        political_status: pol
            .as_deref()
            .and_then(|c| codes::POLITICAL_STATUS.name_of(c))
            .map(str::to_string),
        education_level: codes::EDUCATION_LEVEL
            .name_of(&summary.education_level_code)
            .map(str::to_string),
        training_mode: codes::TRAINING_MODE
            .name_of(&summary.training_mode_code)
            .map(str::to_string),
        years_of_schooling: years,
        origin_location: origin,
        email,
        home_address,
        summary,
    })
}

/// Encrypts e-mail addresses stored in plaintext before they were personal data at rest (a
/// one-time upgrade at start; later rows are written encrypted). Values already encrypted
/// start with the ciphertext version tag.
pub async fn encrypt_plain_emails(store: &Store) -> ServiceResult<u64> {
    let mut done = 0;
    loop {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, email FROM graduates WHERE email IS NOT NULL AND email NOT LIKE 'v1:%' LIMIT 500",
        )
        .fetch_all(store.reader())
        .await?;
        if rows.is_empty() {
            return Ok(done);
        }
        let mut tx = store.writer().begin().await?;
        for (id, email) in rows {
            sqlx::query("UPDATE graduates SET email = $1, email_masked = $2 WHERE id = $3")
                .bind(store.pii.encrypt(PiiField::Email, &email))
                .bind(wangqian_domain::contact::mask_email(&email))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            done += 1;
        }
        tx.commit().await?;
    }
}

/// A school administrator's change of a graduate's signing lock (暂停/恢复网签).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningLockChange {
    /// True suspends the graduate's online signing: no employer can invite them meanwhile.
    pub locked: bool,
    /// Required when locking (2–200 characters): employers see it when they find or invite the
    /// graduate, and the graduate on the home page. Optional when unlocking (kept in the audit).
    #[serde(default)]
    pub reason: String,
}

/// The graduate's signing lock after a change.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SigningLock {
    pub graduate_id: GraduateId,
    pub locked: bool,
    pub reason: Option<String>,
}

/// Locks or unlocks a graduate's online signing. Only the administrator of the graduate's
/// school; the invitation rule itself (and its words) is the domain's, from the stored facts.
pub async fn set_signing_lock(
    store: &Store,
    actor: &Actor,
    graduate_id: &str,
    change: SigningLockChange,
) -> ServiceResult<SigningLock> {
    let school_id: Option<(SchoolId,)> =
        sqlx::query_as("SELECT school_id FROM graduates WHERE id = $1")
            .bind(graduate_id.to_string())
            .fetch_optional(store.reader())
            .await?;
    let Some((school_id,)) = school_id else {
        return Err(ServiceError::NotFound("毕业生"));
    };
    allow(policy::administer_school(actor, &school_id), "毕业生")?;
    let reason = match (change.locked, change.reason.trim()) {
        (false, "") => None,
        (_, text) => Some(
            wangqian_domain::lifecycle::check_signing_lock_reason(text)
                .map_err(|m| ServiceError::field("reason", m))?,
        ),
    };
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let (was_locked, was_reason): (i64, Option<String>) =
        sqlx::query_as("SELECT signing_locked, signing_lock_reason FROM graduates WHERE id = $1")
            .bind(graduate_id.to_string())
            .fetch_one(&mut *tx)
            .await?;
    // The reason is kept only while locked: an unlock's reason belongs to the audit alone.
    let stored_reason = reason.clone().filter(|_| change.locked);
    sqlx::query(
        "UPDATE graduates SET signing_locked = $1, signing_lock_reason = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(i64::from(change.locked))
    .bind(stored_reason.clone())
    .bind(now)
    .bind(graduate_id.to_string())
    .execute(&mut *tx)
    .await?;
    if (was_locked != 0) != change.locked || was_reason != stored_reason {
        audit::record(
            &mut tx,
            AuditEntry {
                at: now,
                actor_account_id: Some(&actor.account_id),
                action: if change.locked {
                    "lock_signing"
                } else {
                    "unlock_signing"
                },
                target_kind: "graduate",
                target_id: graduate_id,
                school_id: Some(&school_id),
                detail: serde_json::json!({ "reason": reason, "previous_reason": was_reason }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(SigningLock {
        graduate_id: graduate_id.into(),
        locked: change.locked,
        reason: stored_reason,
    })
}

// ---------------------------------------------------------------------------------------------
// 首次登录确认联系方式: the graduate confirms phone, e-mail and mailing address once.

/// The graduate's contact details as they confirm them (masked: the page shows what is on file
/// without echoing it whole).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GraduateContact {
    pub mobile_masked: Option<String>,
    pub email_masked: Option<String>,
    /// Whether a mailing address is on file (it is never shown back whole).
    pub has_mailing_address: bool,
    /// When the graduate last confirmed them; none until the first confirmation.
    pub confirmed_at: Option<Millis>,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmContact {
    pub mobile: String,
    pub email: String,
    /// Where paper documents reach the graduate (通讯地址).
    pub mailing_address: String,
}

fn own_graduate(actor: &Actor) -> ServiceResult<&GraduateId> {
    match (actor.role, &actor.graduate_id) {
        (Role::Graduate, Some(id)) => Ok(id),
        _ => Err(ServiceError::Forbidden),
    }
}

pub async fn graduate_contact(store: &Store, actor: &Actor) -> ServiceResult<GraduateContact> {
    let id = own_graduate(actor)?;
    let (mobile_masked, email_masked, address, confirmed_at): (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<Millis>,
    ) = sqlx::query_as(
        "SELECT mobile_masked, email_masked, mailing_address_enc, contact_confirmed_at FROM graduates WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.reader())
    .await?
    .ok_or(ServiceError::NotFound("毕业生"))?;
    Ok(GraduateContact {
        mobile_masked,
        email_masked,
        has_mailing_address: address.is_some(),
        confirmed_at,
    })
}

/// Checks and stores the graduate's own contact details (ciphertext, with a masked copy for
/// lists), every problem at once; the change is audited without the values.
pub async fn confirm_contact(
    store: &Store,
    actor: &Actor,
    input: ConfirmContact,
) -> ServiceResult<GraduateContact> {
    let id = own_graduate(actor)?.clone();
    let mut errors = Vec::new();
    let mobile = MobileNumber::parse(&input.mobile)
        .map_err(|e| errors.push(FieldError::new("mobile", e.to_string())))
        .ok();
    let email = Email::parse(&input.email)
        .map_err(|e| errors.push(FieldError::new("email", e.to_string())))
        .ok();
    let address = input.mailing_address.trim().to_string();
    if !(5..=100).contains(&address.chars().count()) {
        errors.push(FieldError::new(
            "mailing_address",
            "请填写通讯地址（5–100 字，写到门牌号）",
        ));
    }
    let (Some(mobile), Some(email), true) = (mobile, email, errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let pii = &store.pii;
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "UPDATE graduates SET mobile_enc = $1, mobile_hash = $2, mobile_masked = $3, email = $4, email_masked = $5, \
         mailing_address_enc = $6, contact_confirmed_at = $7, updated_at = $7 WHERE id = $8",
    )
    .bind(pii.encrypt(PiiField::Mobile, mobile.as_str()))
    .bind(pii.search_hash(PiiField::Mobile, mobile.as_str()))
    .bind(mobile.masked())
    .bind(pii.encrypt(PiiField::Email, email.as_str()))
    .bind(email.masked())
    .bind(pii.encrypt(PiiField::MailingAddress, &address))
    .bind(now)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    crate::audit::record(
        &mut tx,
        crate::audit::AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "confirm_graduate_contact",
            target_kind: "graduate",
            target_id: &id,
            school_id: actor.school_id.as_deref(),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    graduate_contact(store, actor).await
}
