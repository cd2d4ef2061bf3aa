//! Reading graduates' source records, scoped by the access policy.

use wangqian_domain::codes;
use wangqian_domain::policy::{self, GraduateScope};
use wangqian_domain::role::{Actor, Role};

use crate::error::allow;
use crate::pii::PiiField;
use crate::{Page, Paging, ServiceError, ServiceResult, Store};

/// One row of a graduate list: personal data masked.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct GraduateSummary {
    pub id: String,
    pub school_id: String,
    pub student_no: String,
    pub name: String,
    pub gender: String,
    pub graduation_year: i64,
    pub department_id: String,
    pub department: String,
    pub major: String,
    pub class_name: Option<String>,
    pub education_level_code: String,
    pub training_mode_code: String,
    pub id_number_masked: String,
    pub mobile_masked: Option<String>,
    pub bound: i64,
    pub signing_locked: i64,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct GraduateFilter {
    pub graduation_year: Option<i64>,
    pub department_id: Option<String>,
    pub keyword: Option<String>,
    pub bound: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

const SUMMARY_SELECT: &str = "SELECT g.id, g.school_id, g.student_no, g.name, g.gender, g.graduation_year, g.department_id, \
    d.name AS department, m.name AS major, c.name AS class_name, g.education_level_code, g.training_mode_code, \
    g.id_number_masked, g.mobile_masked, CASE WHEN g.account_id IS NULL THEN 0 ELSE 1 END AS bound, g.signing_locked \
    FROM graduates g JOIN departments d ON d.id = g.department_id JOIN majors m ON m.id = g.major_id \
    LEFT JOIN classes c ON c.id = g.class_id";

pub async fn list_graduates(
    store: &Store,
    actor: &Actor,
    school_id: &str,
    filter: &GraduateFilter,
) -> ServiceResult<Page<GraduateSummary>> {
    allow(policy::list_school_graduates(actor, school_id), "学校")?;
    let paging = Paging::new(filter.page, filter.per_page);
    // Reviewers see their own department only, whatever the filter says.
    let department = if actor.role == Role::DepartmentReviewer {
        actor.department_id.clone()
    } else {
        filter.department_id.clone().filter(|d| !d.is_empty())
    };
    let keyword = filter
        .keyword
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| k.replace(['%', '_'], ""));
    let mut conditions = vec!["g.school_id = $1".to_string()];
    let mut args: Vec<String> = vec![school_id.to_string()];
    if let Some(year) = filter.graduation_year {
        args.push(year.to_string());
        // Compared as integer on both backends.
        conditions.push(format!(
            "g.graduation_year = CAST(${} AS BIGINT)",
            args.len()
        ));
    }
    if let Some(d) = department {
        args.push(d);
        conditions.push(format!("g.department_id = ${}", args.len()));
    }
    if let Some(k) = keyword {
        args.push(format!("%{k}%"));
        let n = args.len();
        args.push(k);
        conditions.push(format!(
            "(g.name LIKE ${n} OR g.student_no = ${})",
            args.len()
        ));
    }
    match filter.bound {
        Some(true) => conditions.push("g.account_id IS NOT NULL".into()),
        Some(false) => conditions.push("g.account_id IS NULL".into()),
        None => {}
    }
    let where_sql = conditions.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM graduates g WHERE {where_sql}");
    let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
    for a in &args {
        count = count.bind(a.clone());
    }
    let (total,) = count.fetch_one(store.reader()).await?;
    let list_sql = format!(
        "{SUMMARY_SELECT} WHERE {where_sql} ORDER BY g.student_no LIMIT {} OFFSET {}",
        paging.per_page,
        paging.offset()
    );
    let mut q = sqlx::query_as::<_, GraduateSummary>(&list_sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    let items = q.fetch_all(store.reader()).await?;
    Ok(Page {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
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
}

pub async fn get_graduate(store: &Store, actor: &Actor, id: &str) -> ServiceResult<GraduateRecord> {
    let summary =
        sqlx::query_as::<_, GraduateSummary>(&format!("{SUMMARY_SELECT} WHERE g.id = $1"))
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
    let (eth, pol, years, origin, email, addr_enc): (
        Option<String>,
        Option<String>,
        i64,
        String,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT ethnicity_code, political_status_code, years_of_schooling, origin_location, email_masked, home_address_enc FROM graduates WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_one(store.reader())
    .await?;
    let home_address = match addr_enc {
        Some(enc) => Some(store.pii.decrypt(PiiField::HomeAddress, &enc)?),
        None => None,
    };
    Ok(GraduateRecord {
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
