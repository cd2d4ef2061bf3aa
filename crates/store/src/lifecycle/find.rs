//! Finding graduates (SPEC §5, 002/004): school + graduation year + name + phone or ID number
//! must all match. Found graduates go onto the employer's send list (签约发送列表); the answer
//! says why a graduate cannot be invited, in the words employers complain they never get.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use wangqian_domain::codes;
use wangqian_domain::contact::MobileNumber;
use wangqian_domain::id_number::IdNumber;
use wangqian_domain::lifecycle::{self as lc, AgreementAction, AgreementKind};
use wangqian_domain::role::{Actor, Role};
use wangqian_sheets::{RowReader, SheetKind};

use super::{load_facts, FactsOf};
use crate::accounts::{note_throttle, throttled};
use crate::pii::PiiField;
use crate::query::Filter;
use crate::roster_import::tempfile_guard::TempFile;
#[allow(unused_imports)]
use crate::{AgreementId, BlobId, EmployerId, GraduateId, Millis, SchoolId};
use crate::{FieldError, Page, Paging, ServiceError, ServiceResult, Store};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindGraduates {
    /// The school's 5-digit code, or its full name.
    pub school: String,
    #[schema(maximum = 65535)]
    pub graduation_year: u16,
    pub name: String,
    /// The graduate's mobile number or national ID number.
    pub phone_or_id_number: String,
    /// Put the graduate on the send list when they can be invited (default true).
    #[serde(default = "yes")]
    pub add_to_send_list: bool,
}

fn yes() -> bool {
    true
}

/// A found graduate, personal data masked.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FoundGraduate {
    pub graduate_id: GraduateId,
    pub school_id: SchoolId,
    pub school_name: String,
    pub graduation_year: i64,
    pub name: String,
    pub gender: String,
    pub department: String,
    pub major: String,
    pub education_level: String,
    pub id_number_masked: String,
    pub mobile_masked: Option<String>,
    /// False when the reasons below stop an invitation now.
    pub invitable: bool,
    pub reasons: Vec<String>,
    pub on_send_list: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Candidate {
    id: GraduateId,
    school_id: SchoolId,
    school_name: String,
    graduation_year: i64,
    name: String,
    gender: String,
    department: String,
    major: String,
    education_level_code: String,
    id_number_masked: String,
    mobile_masked: Option<String>,
    review_state: String,
}

const CANDIDATE_SELECT: &str =
    "SELECT g.id, g.school_id, s.name AS school_name, g.graduation_year, g.name, g.gender, \
    d.name AS department, m.name AS major, g.education_level_code, \
    g.id_number_masked, g.mobile_masked, g.review_state FROM graduates g JOIN schools s ON s.id = g.school_id \
    JOIN departments d ON d.id = g.department_id JOIN majors m ON m.id = g.major_id";

pub(crate) fn employer_of(actor: &Actor) -> ServiceResult<EmployerId> {
    match (actor.role, &actor.employer_id) {
        (Role::EmployerMember, Some(id)) => Ok(id.clone()),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Why this employer cannot invite this graduate now (empty when it can): every reason the
/// domain's invitation rule gives, from the same facts the invitation itself is decided on.
pub(crate) async fn obstacles(
    conn: &mut AnyConnection,
    employer_id: &EmployerId,
    graduate_id: &GraduateId,
    now: Millis,
) -> ServiceResult<Vec<String>> {
    let subject = FactsOf::New {
        kind: AgreementKind::Online,
        graduate_id,
        employer_id: Some(employer_id),
    };
    let (facts, _, _) = load_facts(conn, subject, AgreementAction::Invite, now).await?;
    Ok(lc::invite_obstacles(&facts)
        .into_iter()
        .map(std::borrow::Cow::into_owned)
        .collect())
}

/// Finds one graduate by the four facts, and puts them on the send list when invitable.
/// Searches that may find nobody, per employer and hour, before searching waits.
pub const FIND_MISS_LIMIT: i64 = 50;
const FIND_MISS_WINDOW_MS: i64 = 60 * 60 * 1000;

pub async fn find_graduates(
    store: &Store,
    actor: &Actor,
    input: &FindGraduates,
) -> ServiceResult<FoundGraduate> {
    let employer_id = employer_of(actor)?;
    let mut errors = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        errors.push(FieldError::new("name", "请填写学生姓名"));
    }
    if !(2000..=2100).contains(&input.graduation_year) {
        errors.push(FieldError::new("graduation_year", "请填写毕业年度"));
    }
    let key = input.phone_or_id_number.trim();
    let hashes = if let Ok(m) = MobileNumber::parse(key) {
        Some((
            "mobile_hash",
            store.pii.search_hash(PiiField::Mobile, m.as_str()),
        ))
    } else if let Ok(id) = IdNumber::parse(key) {
        Some((
            "id_number_hash",
            store.pii.search_hash(PiiField::IdNumber, id.as_str()),
        ))
    } else {
        errors.push(FieldError::new(
            "phone_or_id_number",
            "请填写正确的手机号或身份证号",
        ));
        None
    };
    if input.school.trim().is_empty() {
        errors.push(FieldError::new("school", "请选择毕业学校"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let Some((column, hash)) = hashes else {
        return Err(ServiceError::Validation(errors));
    };
    // Searches that find nobody are counted per employer: the search must not become a way to
    // try phone or ID numbers until one matches.
    let miss_key = format!("find-miss:{employer_id}");
    let now = store.now();
    if throttled(store, &miss_key, now, FIND_MISS_WINDOW_MS, FIND_MISS_LIMIT).await? {
        return Err(ServiceError::RateLimited);
    }
    let mut tx = store.writer().begin().await?;
    let found = match find_one(
        &mut tx,
        input.school.trim(),
        input.graduation_year,
        name,
        column,
        &hash,
    )
    .await
    {
        Ok(found) => found,
        Err(e) => {
            drop(tx);
            if matches!(e, ServiceError::Missing(_)) {
                note_throttle(store, &miss_key, now, FIND_MISS_WINDOW_MS).await?;
            }
            return Err(e);
        }
    };
    let reasons = obstacles(&mut tx, &employer_id, &found.id, now).await?;
    let invitable = reasons.is_empty();
    if invitable && input.add_to_send_list {
        add_to_send_list(
            &mut tx,
            &employer_id,
            &found.id,
            &found.school_id,
            actor,
            now,
        )
        .await?;
    }
    let on_list = on_send_list(&mut tx, &employer_id, &found.id).await?;
    tx.commit().await?;
    Ok(found_view(found, invitable, reasons, on_list))
}

fn found_view(
    c: Candidate,
    invitable: bool,
    reasons: Vec<String>,
    on_send_list: bool,
) -> FoundGraduate {
    FoundGraduate {
        graduate_id: c.id,
        school_id: c.school_id,
        school_name: c.school_name,
        graduation_year: c.graduation_year,
        name: c.name,
        gender: codes::GENDER.name_of(&c.gender).unwrap_or("").to_string(),
        department: c.department,
        major: c.major,
        education_level: codes::EDUCATION_LEVEL
            .name_of(&c.education_level_code)
            .unwrap_or("")
            .to_string(),
        id_number_masked: c.id_number_masked,
        mobile_masked: c.mobile_masked,
        invitable,
        reasons,
        on_send_list,
    }
}

async fn find_one(
    conn: &mut AnyConnection,
    school: &str,
    year: u16,
    name: &str,
    column: &str,
    hash: &str,
) -> ServiceResult<Candidate> {
    let rows = sqlx::query_as::<_, Candidate>(&format!(
        "{CANDIDATE_SELECT} WHERE (s.code = $1 OR s.name = $1) AND g.graduation_year = $2 AND g.name = $3 AND g.{column} = $4 LIMIT 2"
    ))
    .bind(school.to_string())
    .bind(i64::from(year))
    .bind(name.to_string())
    .bind(hash.to_string())
    .fetch_all(conn)
    .await?;
    match rows.len() {
        0 => Err(ServiceError::Missing(
            "没有找到该毕业生：请核对毕业学校、毕业年度、姓名和手机号/身份证号。学校尚未导入或审核生源信息的毕业生也无法查到，请联系毕业生所在学校".into(),
        )),
        1 => {
            let found = rows.into_iter().next().expect("one row");
            // 生源审核: a record the school has not approved is not found, and the answer
            // says so (the domain's words) instead of "check what you typed".
            let state = wangqian_domain::roster_review::RosterReview::parse(&found.review_state)
                .ok_or_else(|| anyhow::anyhow!("unknown review_state {}", found.review_state))?;
            wangqian_domain::roster_review::findable(state)
                .map_err(|why| ServiceError::Missing(why.into()))?;
            Ok(found)
        }
        _ => Err(ServiceError::Conflict(
            "信息重复：有两条生源记录与之相符，请联系学校核实".into(),
        )),
    }
}

async fn add_to_send_list(
    conn: &mut AnyConnection,
    employer_id: &EmployerId,
    graduate_id: &GraduateId,
    school_id: &SchoolId,
    actor: &Actor,
    now: Millis,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO send_list (employer_id, graduate_id, school_id, added_by, added_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (employer_id, graduate_id) DO NOTHING",
    )
    .bind(employer_id.to_string())
    .bind(graduate_id.to_string())
    .bind(school_id.to_string())
    .bind(actor.account_id.clone())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

async fn on_send_list(
    conn: &mut AnyConnection,
    employer_id: &EmployerId,
    graduate_id: &GraduateId,
) -> ServiceResult<bool> {
    let r: Option<(i64,)> = sqlx::query_as(
        "SELECT added_at FROM send_list WHERE employer_id = $1 AND graduate_id = $2",
    )
    .bind(employer_id.to_string())
    .bind(graduate_id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(r.is_some())
}

/// The employer's send list, with why each graduate can or cannot be invited now.
pub async fn list_send_list(
    store: &Store,
    actor: &Actor,
    paging: Paging,
) -> ServiceResult<Page<FoundGraduate>> {
    let employer_id = employer_of(actor)?;
    let mut conn = store.reader().acquire().await?;
    let mut q = Filter::new();
    q.and_eq("l.employer_id", employer_id.clone());
    let total = q.count_capped(&mut *conn, "FROM send_list l", None).await?;
    let limit = q.arg(paging.per_page);
    let offset = q.arg(paging.offset());
    let sql = format!(
        "{CANDIDATE_SELECT} JOIN (SELECT l.graduate_id, l.added_at FROM send_list l {} \
         ORDER BY l.added_at DESC, l.graduate_id DESC LIMIT {limit} OFFSET {offset}) p ON p.graduate_id = g.id \
         ORDER BY p.added_at DESC, g.id DESC",
        q.where_sql()
    );
    let rows = q
        .bind(sqlx::query_as::<_, Candidate>(&sql))
        .fetch_all(&mut *conn)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for c in rows {
        let reasons = obstacles(&mut conn, &employer_id, &c.id, store.now()).await?;
        let invitable = reasons.is_empty();
        items.push(found_view(c, invitable, reasons, true));
    }
    Ok(Page {
        items,
        total: total.0,
        page: paging.page,
        per_page: paging.per_page,
        total_capped: total.1,
        next: None,
    })
}

/// Every graduate on the employer's send list, oldest first (a batch covers the whole list).
pub(crate) async fn send_list_ids(
    store: &Store,
    employer_id: &EmployerId,
) -> ServiceResult<Vec<GraduateId>> {
    let rows: Vec<(GraduateId,)> = sqlx::query_as(
        "SELECT graduate_id FROM send_list WHERE employer_id = $1 ORDER BY added_at, graduate_id",
    )
    .bind(employer_id.to_string())
    .fetch_all(store.reader())
    .await?;
    Ok(rows.into_iter().map(|(g,)| g).collect())
}

/// Names of the graduates on the employer's send list, by graduate id: one query, for reports
/// that need no invitability checks.
pub async fn send_list_names(
    store: &Store,
    actor: &Actor,
) -> ServiceResult<std::collections::HashMap<String, String>> {
    let employer_id = employer_of(actor)?;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT g.id, g.name FROM send_list l JOIN graduates g ON g.id = l.graduate_id WHERE l.employer_id = $1",
    )
    .bind(employer_id)
    .fetch_all(store.reader())
    .await?;
    Ok(rows.into_iter().collect())
}

pub async fn remove_from_send_list(
    store: &Store,
    actor: &Actor,
    graduate_id: &GraduateId,
) -> ServiceResult<()> {
    let employer_id = employer_of(actor)?;
    let n = sqlx::query("DELETE FROM send_list WHERE employer_id = $1 AND graduate_id = $2")
        .bind(employer_id)
        .bind(graduate_id.to_string())
        .execute(store.writer())
        .await?
        .rows_affected();
    if n == 0 {
        return Err(ServiceError::NotFound("发送列表中的毕业生"));
    }
    Ok(())
}

/// The columns of the send-list template (004): 毕业学校, 毕业年度, 学生姓名, 学生身份证号.
pub const SEND_LIST_COLUMNS: [&str; 4] = ["毕业学校", "毕业年度", "学生姓名", "学生身份证号"];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportLine {
    pub row: usize,
    pub name: String,
    pub added: bool,
    pub message: String,
}

/// Imports a send list from a sheet: each row is looked up like [`find_graduates`] and added
/// when invitable; the report says, row by row, what happened.
pub async fn import_send_list(
    store: &Store,
    actor: &Actor,
    file_name: &str,
    bytes: Vec<u8>,
) -> ServiceResult<Vec<ImportLine>> {
    employer_of(actor)?;
    let kind = SheetKind::detect(file_name, &bytes)
        .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
    let tmp = TempFile::write(bytes).await.map_err(anyhow::Error::from)?;
    let path = tmp.path.clone();
    // Read the (small) sheet on a blocking thread, then look rows up one by one.
    let rows = tokio::task::spawn_blocking(move || -> Result<Vec<wangqian_sheets::Row>, String> {
        let reader = RowReader::open(&path, kind).map_err(|e| e.to_string())?;
        let mut rows = Vec::new();
        for r in reader {
            rows.push(r.map_err(|e| e.to_string())?);
            if rows.len() > 501 {
                return Err("一次最多导入 500 名毕业生".to_string());
            }
        }
        Ok(rows)
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(ServiceError::BadRequest)?;
    drop(tmp);
    let mut rows = rows.into_iter();
    let header = rows
        .next()
        .ok_or_else(|| ServiceError::BadRequest("表格是空的".into()))?;
    for (i, col) in SEND_LIST_COLUMNS.iter().enumerate() {
        if header.cell(i) != *col {
            return Err(ServiceError::BadRequest(format!(
                "表头应为：{}（第 {} 列应为“{col}”），请使用下载的模板",
                SEND_LIST_COLUMNS.join("、"),
                i + 1
            )));
        }
    }
    let mut report = Vec::new();
    let mut stopped = false;
    for r in rows {
        let name = r.cell(2).to_string();
        let input = FindGraduates {
            school: r.cell(0).to_string(),
            graduation_year: r.cell(1).trim_end_matches('届').parse().unwrap_or(0),
            name: name.clone(),
            phone_or_id_number: r.cell(3).to_string(),
            add_to_send_list: true,
        };
        let line = match find_graduates(store, actor, &input).await {
            Ok(f) if f.invitable => ImportLine {
                row: r.number,
                name,
                added: true,
                message: "已加入发送列表".into(),
            },
            Ok(f) => ImportLine {
                row: r.number,
                name,
                added: false,
                message: f.reasons.join("；"),
            },
            Err(ServiceError::Validation(fields)) => ImportLine {
                row: r.number,
                name,
                added: false,
                message: fields
                    .into_iter()
                    .map(|f| f.message)
                    .collect::<Vec<_>>()
                    .join("；"),
            },
            Err(e @ (ServiceError::Missing(_) | ServiceError::Conflict(_))) => ImportLine {
                row: r.number,
                name,
                added: false,
                message: e.to_string(),
            },
            Err(ServiceError::RateLimited) => {
                // The rows before stay added; the rest are reported, not silently dropped.
                stopped = true;
                ImportLine {
                    row: r.number,
                    name,
                    added: false,
                    message: "未查到的次数过多，本行及以后各行未处理，请一小时后再导入".into(),
                }
            }
            Err(e) => return Err(e),
        };
        report.push(line);
        if stopped {
            break;
        }
    }
    Ok(report)
}

/// Whether a graduate is on the employer's send list (the employer's scope for inviting).
pub(crate) async fn require_on_send_list(
    conn: &mut AnyConnection,
    employer_id: &EmployerId,
    graduate_id: &GraduateId,
) -> ServiceResult<()> {
    if on_send_list(conn, employer_id, graduate_id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("发送列表中的毕业生"))
    }
}
