//! Roster import (生源信息, SPEC §4): validate every row first (streaming, nothing written),
//! then stage the rows in chunks with visible progress, then merge them into `graduates` in
//! one transaction. Any error anywhere leaves the graduates untouched.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use wangqian_domain::policy::{self, Access};
use wangqian_domain::role::Actor;
use wangqian_domain::roster::{self, RosterHeader, RosterRecord};
use wangqian_sheets::{RowReader, SheetKind};

use crate::audit::{self, AuditEntry};
use crate::blobs::{save_upload, BlobStore, NewUpload};
use crate::error::allow;
use crate::jobs::{self, JobRow};
use crate::pii::PiiField;
use crate::Millis;
use crate::{new_id, SchoolId, ServiceError, ServiceResult, Store};

pub const JOB_KIND: &str = "roster_import";
/// At most this many row errors are kept in the report; the count covers all of them.
const MAX_REPORTED_ERRORS: usize = 1000;
const STAGING_CHUNK: usize = 400;
const PROGRESS_EVERY: usize = 2000;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ImportPayload {
    pub upload_id: String,
    pub school_id: String,
    pub file_kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ImportReport {
    pub rows: usize,
    pub inserted: i64,
    pub updated: i64,
    /// Existing records whose changed data sent them back to 待审核 (生源审核).
    #[serde(default)]
    pub review_reopened: i64,
    pub error_count: usize,
    pub errors: Vec<RowError>,
    pub message: String,
}

/// Accepts the uploaded file and queues the import; the answer is the job to watch.
pub async fn start_import(
    store: &Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    school_id: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> ServiceResult<String> {
    allow(
        policy::administer_school(actor, &SchoolId::from(school_id)),
        "学校",
    )?;
    if bytes.is_empty() {
        return Err(ServiceError::field("file", "文件为空"));
    }
    let kind = SheetKind::detect(file_name, &bytes[..bytes.len().min(8192)])
        .map_err(|e| ServiceError::field("file", e.to_string()))?;
    let mut tx = store.writer().begin().await?;
    let (job_id, _) = queue_import(
        &mut tx,
        blobs,
        school_id,
        file_name,
        kind,
        bytes,
        Some(&actor.account_id),
        store.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(job_id)
}

/// Stores a roster file and queues its import job, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn queue_import(
    conn: &mut sqlx::AnyConnection,
    blobs: &dyn BlobStore,
    school_id: &str,
    file_name: &str,
    kind: SheetKind,
    bytes: Vec<u8>,
    uploaded_by: Option<&str>,
    now: Millis,
) -> anyhow::Result<(String, ImportPayload)> {
    let (content_type, kind_name) = match kind {
        SheetKind::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        SheetKind::Csv => ("text/csv", "csv"),
    };
    let upload_id = save_upload(
        blobs,
        &mut *conn,
        NewUpload {
            kind: "roster",
            content_type: content_type.into(),
            original_name: file_name.chars().take(200).collect(),
            bytes,
            uploaded_by: uploaded_by.map(str::to_string),
            at: now,
            school_id: Some(school_id.to_string()),
        },
    )
    .await?;
    let payload = ImportPayload {
        upload_id,
        school_id: school_id.to_string(),
        file_kind: kind_name.into(),
    };
    let job_id = jobs::enqueue(
        conn,
        JOB_KIND,
        Some(school_id),
        &serde_json::to_value(&payload)?,
        uploaded_by,
        now,
    )
    .await?;
    Ok((job_id, payload))
}

/// The import job as its owner sees it.
pub async fn get_import(store: &Store, actor: &Actor, job_id: &str) -> ServiceResult<JobRow> {
    let job = jobs::get(store, job_id)
        .await?
        .filter(|j| j.kind == JOB_KIND)
        .ok_or(ServiceError::NotFound("导入任务"))?;
    match policy::administer_school(
        actor,
        &SchoolId::from(job.school_id.as_deref().unwrap_or("")),
    ) {
        Access::Allowed => Ok(job),
        Access::Forbidden => Err(ServiceError::Forbidden),
        Access::NotFound => Err(ServiceError::NotFound("导入任务")),
    }
}

/// Runs a claimed import job to its end and records the outcome on the job.
pub async fn run_job(store: &Store, blobs: &dyn BlobStore, job: &JobRow) -> anyhow::Result<()> {
    let payload: ImportPayload = serde_json::from_str(&job.payload)?;
    let outcome = import_file(store, blobs, &job.id, &payload).await;
    let (ok, report) = match outcome {
        Ok(report) => (report.error_count == 0, report),
        Err(e) => {
            tracing::error!(job.id = %job.id, error = ?e, "roster import failed");
            (
                false,
                ImportReport {
                    message: "导入失败：服务器内部错误，请稍后重试".into(),
                    ..ImportReport::default()
                },
            )
        }
    };
    if !ok {
        // Nothing of a failed import may stay behind.
        sqlx::query("DELETE FROM roster_staging WHERE job_id = $1")
            .bind(job.id.clone())
            .execute(store.writer())
            .await?;
        let mut conn = store.writer().acquire().await?;
        jobs::finish(
            &mut conn,
            &job.id,
            false,
            "失败",
            &serde_json::to_value(&report)?,
            store.now(),
        )
        .await?;
    }
    Ok(())
}

async fn local_file(
    blobs: &dyn BlobStore,
    store: &Store,
    upload_id: &str,
) -> anyhow::Result<(PathBuf, Option<tempfile_guard::TempFile>)> {
    let upload = crate::blobs::find_upload(store, upload_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("upload {upload_id} missing"))?;
    if let Some(p) = blobs.local_path(&upload.storage_key) {
        return Ok((p, None));
    }
    let bytes = blobs.get(&upload.storage_key).await?;
    let tmp = tempfile_guard::TempFile::write(bytes).await?;
    Ok((tmp.path.clone(), Some(tmp)))
}

pub(crate) mod tempfile_guard {
    /// A copy of a remote blob on local disk, removed when dropped.
    pub struct TempFile {
        pub path: std::path::PathBuf,
    }

    impl TempFile {
        pub async fn write(bytes: Vec<u8>) -> std::io::Result<TempFile> {
            let path = std::env::temp_dir().join(format!("wangqian-{}", crate::new_id()));
            tokio::fs::write(&path, bytes).await?;
            Ok(TempFile { path })
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn open_reader(path: &std::path::Path, kind: &str) -> Result<RowReader, ImportReport> {
    let kind = if kind == "xlsx" {
        SheetKind::Xlsx
    } else {
        SheetKind::Csv
    };
    RowReader::open(path, kind).map_err(|e| file_error(e.to_string()))
}

fn file_error(message: String) -> ImportReport {
    ImportReport {
        error_count: 1,
        errors: vec![RowError {
            row: 0,
            column: String::new(),
            reason: message.clone(),
        }],
        message,
        ..ImportReport::default()
    }
}

/// Imports one file: the report lists every problem; graduates change only when there is none.
/// The uploaded file holds personal data in clear, so it is deleted once read, whatever the
/// outcome (the upload row stays as the record of who imported what).
pub async fn import_file(
    store: &Store,
    blobs: &dyn BlobStore,
    job_id: &str,
    payload: &ImportPayload,
) -> anyhow::Result<ImportReport> {
    let outcome = import_file_inner(store, blobs, job_id, payload).await;
    if let Some(upload) = crate::blobs::find_upload(store, &payload.upload_id).await? {
        blobs.delete(&upload.storage_key).await?;
    }
    outcome
}

async fn import_file_inner(
    store: &Store,
    blobs: &dyn BlobStore,
    job_id: &str,
    payload: &ImportPayload,
) -> anyhow::Result<ImportReport> {
    let (path, _guard) = local_file(blobs, store, &payload.upload_id).await?;

    // Pass 1: validate everything, keeping only keys for duplicate checks.
    let report = match validate(store, job_id, &path, &payload.file_kind).await? {
        Ok(rows) => rows,
        Err(report) => return Ok(report),
    };
    let total_rows = report;

    // Pass 2: stage validated rows in chunks (progress visible), then merge in one transaction.
    let mut reader = match open_reader(&path, &payload.file_kind) {
        Ok(r) => r,
        Err(report) => return Ok(report),
    };
    let header = match reader.next() {
        Some(Ok(row)) => RosterHeader::parse(&row.cells)
            .map_err(|missing| anyhow::anyhow!("header changed between passes: {missing:?}"))?,
        _ => anyhow::bail!("file changed between passes"),
    };
    let mut departments: BTreeSet<String> = BTreeSet::new();
    let mut majors: BTreeSet<(String, String)> = BTreeSet::new();
    let mut classes: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut chunk: Vec<(usize, RosterRecord)> = Vec::with_capacity(STAGING_CHUNK);
    let mut staged = 0usize;
    for row in reader {
        let row = row.map_err(|e| anyhow::anyhow!("file unreadable in pass 2: {e}"))?;
        let record = header
            .record(&row.cells)
            .map_err(|_| anyhow::anyhow!("row {} changed between passes", row.number))?;
        departments.insert(record.department.clone());
        majors.insert((record.department.clone(), record.major.clone()));
        if let Some(c) = &record.class_name {
            classes.insert((record.department.clone(), record.major.clone(), c.clone()));
        }
        chunk.push((row.number, record));
        if chunk.len() == STAGING_CHUNK {
            stage_chunk(store, job_id, &payload.school_id, &chunk).await?;
            staged += chunk.len();
            chunk.clear();
            if staged % PROGRESS_EVERY < STAGING_CHUNK {
                jobs::set_progress(store, job_id, "写入", staged as i64, total_rows as i64).await?;
            }
        }
    }
    if !chunk.is_empty() {
        stage_chunk(store, job_id, &payload.school_id, &chunk).await?;
        staged += chunk.len();
    }
    jobs::set_progress(store, job_id, "合并", staged as i64, total_rows as i64).await?;
    merge(
        store,
        job_id,
        payload,
        staged,
        &departments,
        &majors,
        &classes,
    )
    .await
}

/// Returns the number of data rows, or the report of everything wrong.
async fn validate(
    store: &Store,
    job_id: &str,
    path: &std::path::Path,
    kind: &str,
) -> anyhow::Result<Result<usize, ImportReport>> {
    let mut reader = match open_reader(path, kind) {
        Ok(r) => r,
        Err(report) => return Ok(Err(report)),
    };
    let estimated = reader.estimated_rows().unwrap_or(0) as i64;
    let header = match reader.next() {
        None => return Ok(Err(file_error("文件中没有数据".into()))),
        Some(Err(e)) => return Ok(Err(file_error(e.to_string()))),
        Some(Ok(row)) => match RosterHeader::parse(&row.cells) {
            Ok(h) => h,
            Err(missing) => {
                return Ok(Err(ImportReport {
                    error_count: missing.len(),
                    errors: missing
                        .iter()
                        .map(|m| RowError {
                            row: row.number,
                            column: m.clone(),
                            reason: "缺少必需的列（请使用导入模板）".into(),
                        })
                        .collect(),
                    message: "表头不完整，未导入任何数据".into(),
                    ..ImportReport::default()
                }))
            }
        },
    };
    let mut errors: Vec<RowError> = Vec::new();
    let mut error_count = 0usize;
    let mut push = |errors: &mut Vec<RowError>, e: RowError| {
        error_count += 1;
        if errors.len() < MAX_REPORTED_ERRORS {
            errors.push(e);
        }
    };
    let mut student_nos: HashMap<String, usize> = HashMap::new();
    let mut id_numbers: HashMap<String, usize> = HashMap::new();
    let mut rows = 0usize;
    for row in reader {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                push(
                    &mut errors,
                    RowError {
                        row: rows + 2,
                        column: String::new(),
                        reason: e.to_string(),
                    },
                );
                break;
            }
        };
        rows += 1;
        match header.record(&row.cells) {
            Ok(record) => {
                if let Some(first) = student_nos.insert(record.student_no.clone(), row.number) {
                    push(
                        &mut errors,
                        RowError {
                            row: row.number,
                            column: "学号".into(),
                            reason: format!("与第 {first} 行学号重复"),
                        },
                    );
                }
                if let Some(first) =
                    id_numbers.insert(record.id_number.as_str().to_string(), row.number)
                {
                    push(
                        &mut errors,
                        RowError {
                            row: row.number,
                            column: "身份证号".into(),
                            reason: format!("与第 {first} 行身份证号重复"),
                        },
                    );
                }
            }
            Err(field_errors) => {
                for fe in field_errors {
                    push(
                        &mut errors,
                        RowError {
                            row: row.number,
                            column: fe.column.to_string(),
                            reason: fe.reason,
                        },
                    );
                }
            }
        }
        if rows.is_multiple_of(PROGRESS_EVERY) {
            jobs::set_progress(
                store,
                job_id,
                "校验",
                rows as i64,
                estimated.max(rows as i64),
            )
            .await?;
        }
    }
    if rows == 0 && error_count == 0 {
        return Ok(Err(file_error("文件中没有数据行".into())));
    }
    if error_count > 0 {
        return Ok(Err(ImportReport {
            rows,
            error_count,
            errors,
            message: format!("发现 {error_count} 处错误，未导入任何数据；请修改后重新上传"),
            ..ImportReport::default()
        }));
    }
    Ok(Ok(rows))
}

const STAGING_COLUMNS: [&str; 26] = [
    "job_id",
    "row_no",
    "new_id",
    "school_id",
    "department",
    "major",
    "class_name",
    "graduation_year",
    "student_no",
    "name",
    "gender",
    "ethnicity_code",
    "political_status_code",
    "id_number_enc",
    "id_number_hash",
    "id_number_masked",
    "mobile_enc",
    "mobile_hash",
    "mobile_masked",
    "email",
    "email_masked",
    "home_address_enc",
    "education_level_code",
    "training_mode_code",
    "years_of_schooling",
    "origin_location",
];

async fn stage_chunk(
    store: &Store,
    job_id: &str,
    school_id: &str,
    chunk: &[(usize, RosterRecord)],
) -> anyhow::Result<()> {
    let width = STAGING_COLUMNS.len();
    let mut sql = format!(
        "INSERT INTO roster_staging ({}) VALUES ",
        STAGING_COLUMNS.join(", ")
    );
    for i in 0..chunk.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", i * width + c + 1));
        }
        sql.push(')');
    }
    let pii = &store.pii;
    let mut q = sqlx::query(&sql);
    for (row_no, r) in chunk {
        let id = r.id_number.as_str();
        let mobile = r.mobile.as_ref();
        q = q
            .bind(job_id.to_string())
            .bind(*row_no as i64)
            .bind(new_id())
            .bind(school_id.to_string())
            .bind(r.department.clone())
            .bind(r.major.clone())
            .bind(r.class_name.clone())
            .bind(i64::from(r.graduation_year))
            .bind(r.student_no.clone())
            .bind(r.name.clone())
            .bind(r.gender.code().to_string())
            .bind(r.ethnicity_code.clone())
            .bind(r.political_status_code.clone())
            .bind(pii.encrypt(PiiField::IdNumber, id))
            .bind(pii.search_hash(PiiField::IdNumber, id))
            .bind(r.id_number.masked())
            .bind(mobile.map(|m| pii.encrypt(PiiField::Mobile, m.as_str())))
            .bind(mobile.map(|m| pii.search_hash(PiiField::Mobile, m.as_str())))
            .bind(mobile.map(|m| m.masked()))
            .bind(
                r.email
                    .as_ref()
                    .map(|e| pii.encrypt(PiiField::Email, e.as_str())),
            )
            .bind(
                r.email
                    .as_ref()
                    .map(|e| wangqian_domain::contact::mask_email(e.as_str())),
            )
            .bind(
                r.home_address
                    .as_deref()
                    .map(|a| pii.encrypt(PiiField::HomeAddress, a)),
            )
            .bind(r.education_level_code.clone())
            .bind(r.training_mode_code.clone())
            .bind(i64::from(r.years_of_schooling))
            .bind(r.origin_location.clone());
    }
    q.execute(store.writer()).await?;
    Ok(())
}

async fn merge(
    store: &Store,
    job_id: &str,
    payload: &ImportPayload,
    staged: usize,
    departments: &BTreeSet<String>,
    majors: &BTreeSet<(String, String)>,
    classes: &BTreeSet<(String, String, String)>,
) -> anyhow::Result<ImportReport> {
    let school_id = payload.school_id.as_str();
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    for d in departments {
        sqlx::query(
            "INSERT INTO departments (id, school_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (school_id, name) DO NOTHING",
        )
        .bind(new_id())
        .bind(school_id.to_string())
        .bind(d.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let dept_ids: HashMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT name, id FROM departments WHERE school_id = $1",
    )
    .bind(school_id.to_string())
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    for (d, m) in majors {
        let dept = dept_ids
            .get(d)
            .ok_or_else(|| anyhow::anyhow!("department {d} missing after insert"))?;
        sqlx::query(
            "INSERT INTO majors (id, school_id, department_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (department_id, name) DO NOTHING",
        )
        .bind(new_id())
        .bind(school_id.to_string())
        .bind(dept.clone())
        .bind(m.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let major_ids: HashMap<(String, String), String> = sqlx::query_as::<_, (String, String, String)>(
        "SELECT d.name, m.name, m.id FROM majors m JOIN departments d ON d.id = m.department_id WHERE m.school_id = $1",
    )
    .bind(school_id.to_string())
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(d, m, id)| ((d, m), id))
    .collect();
    for (d, m, c) in classes {
        let major = major_ids
            .get(&(d.clone(), m.clone()))
            .ok_or_else(|| anyhow::anyhow!("major {m} missing after insert"))?;
        sqlx::query(
            "INSERT INTO classes (id, school_id, major_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (major_id, name) DO NOTHING",
        )
        .bind(new_id())
        .bind(school_id.to_string())
        .bind(major.clone())
        .bind(c.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(report) = bound_identity_changes(&mut tx, job_id, staged).await? {
        // Nothing is written: the transaction rolls back and the job's staging rows go.
        return Ok(report);
    }
    let (updated,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM roster_staging s JOIN graduates g ON g.school_id = s.school_id AND g.student_no = s.student_no \
         WHERE s.job_id = $1",
    )
    .bind(job_id.to_string())
    .fetch_one(&mut *tx)
    .await?;
    // Review states the import changes (a reviewed record whose data changed goes back to
    // 待审核), read before the merge overwrites the old data, audited per record below.
    let reopened = crate::roster_review::import_reopenings(&mut tx, job_id).await?;
    // One set-based statement: the import lands whole or not at all. Existing records keep
    // their id, binding and locks; everything from the roster is refreshed. The review state
    // follows the domain's rule (generated CASE): new records start pending when the school
    // reviews its roster, changed ones reopen, unchanged ones keep theirs. The graduate's
    // county code of 生源所在地 stays only while the roster's origin is the one it names.
    let new_state =
        crate::roster_review::new_record_state_sql(&crate::roster_review::review_on_sql("s"));
    let next_state = crate::roster_review::after_import_sql(
        "graduates.review_state",
        &crate::roster_review::data_changed_sql("graduates", "excluded"),
        &crate::roster_review::review_on_sql("excluded"),
    );
    sqlx::query(&format!(
        "INSERT INTO graduates (id, school_id, department_id, major_id, class_id, graduation_year, student_no, name, gender, \
           ethnicity_code, political_status_code, id_number_enc, id_number_hash, id_number_masked, mobile_enc, mobile_hash, \
           mobile_masked, email, email_masked, home_address_enc, education_level_code, training_mode_code, years_of_schooling, \
           origin_location, import_job_id, created_at, updated_at, review_state) \
         SELECT s.new_id, s.school_id, d.id, m.id, c.id, s.graduation_year, s.student_no, s.name, s.gender, s.ethnicity_code, \
           s.political_status_code, s.id_number_enc, s.id_number_hash, s.id_number_masked, s.mobile_enc, s.mobile_hash, \
           s.mobile_masked, s.email, s.email_masked, s.home_address_enc, s.education_level_code, s.training_mode_code, s.years_of_schooling, \
           s.origin_location, s.job_id, $2, $2, {new_state} \
         FROM roster_staging s \
         JOIN departments d ON d.school_id = s.school_id AND d.name = s.department \
         JOIN majors m ON m.department_id = d.id AND m.name = s.major \
         LEFT JOIN classes c ON c.major_id = m.id AND c.name = s.class_name \
         WHERE s.job_id = $1 \
         ON CONFLICT (school_id, student_no) DO UPDATE SET review_state = {next_state}, \
           review_return_reason = CASE WHEN ({next_state}) = 'returned' THEN graduates.review_return_reason ELSE NULL END, \
           department_id = excluded.department_id, major_id = excluded.major_id, \
           class_id = excluded.class_id, graduation_year = excluded.graduation_year, name = excluded.name, gender = excluded.gender, \
           ethnicity_code = excluded.ethnicity_code, political_status_code = excluded.political_status_code, \
           id_number_enc = excluded.id_number_enc, id_number_hash = excluded.id_number_hash, id_number_masked = excluded.id_number_masked, \
           mobile_enc = excluded.mobile_enc, mobile_hash = excluded.mobile_hash, mobile_masked = excluded.mobile_masked, \
           email = excluded.email, email_masked = excluded.email_masked, home_address_enc = excluded.home_address_enc, education_level_code = excluded.education_level_code, \
           training_mode_code = excluded.training_mode_code, years_of_schooling = excluded.years_of_schooling, \
           origin_location_code = CASE WHEN graduates.origin_location = excluded.origin_location THEN graduates.origin_location_code ELSE NULL END, \
           origin_location = excluded.origin_location, import_job_id = excluded.import_job_id, updated_at = excluded.updated_at",
    ))
    .bind(job_id.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    crate::roster_review::audit_import_reopenings(&mut tx, now, job_id, &reopened).await?;
    // Bound graduates moved to another department keep a matching account scope.
    sqlx::query(
        "UPDATE accounts SET department_id = (SELECT g.department_id FROM graduates g WHERE g.id = accounts.graduate_id) \
         WHERE role = 'graduate' AND school_id = $1 AND graduate_id IN (SELECT g.id FROM graduates g WHERE g.import_job_id = $2)",
    )
    .bind(school_id.to_string())
    .bind(job_id.to_string())
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM roster_staging WHERE job_id = $1")
        .bind(job_id.to_string())
        .execute(&mut *tx)
        .await?;
    let inserted = staged as i64 - updated;
    let review_reopened = reopened
        .iter()
        .filter(|r| r.3 == wangqian_domain::roster_review::RosterReview::Pending.as_str())
        .count() as i64;
    let mut message = format!("导入成功：共 {staged} 行，新增 {inserted} 人，更新 {updated} 人");
    if review_reopened > 0 {
        message.push_str(&format!(
            "；其中 {review_reopened} 名已审核或已退回的毕业生信息有变化，已转为待审核"
        ));
    }
    let report = ImportReport {
        rows: staged,
        inserted,
        updated,
        review_reopened,
        error_count: 0,
        errors: Vec::new(),
        message,
    };
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: None,
            action: "import_roster",
            target_kind: "job",
            target_id: job_id,
            school_id: Some(school_id),
            detail: serde_json::json!({ "rows": staged, "inserted": inserted, "updated": updated, "review_reopened": review_reopened }),
        },
    )
    .await?;
    sqlx::query("UPDATE jobs SET progress_done = $1, progress_total = $1 WHERE id = $2")
        .bind(staged as i64)
        .bind(job_id.to_string())
        .execute(&mut *tx)
        .await?;
    jobs::finish(
        &mut tx,
        job_id,
        true,
        "完成",
        &serde_json::to_value(&report)?,
        now,
    )
    .await?;
    tx.commit().await?;
    // A bulk merge changes the tables' shape more than the planner's statistics know; with
    // stale ones PostgreSQL chose plans that took seconds for a graduate page.
    store
        .analyze(&["graduates", "departments", "majors", "classes"])
        .await;
    Ok(report)
}

/// The rows that would give a bound graduate's record another name or ID number (a re-import
/// keyed by student number), as a refusal of the whole import that lists each of them
/// ([`roster::bound_identity_change`]).
async fn bound_identity_changes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    job_id: &str,
    staged: usize,
) -> anyhow::Result<Option<ImportReport>> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT s.row_no, CASE WHEN g.name <> s.name THEN 1 ELSE 0 END, \
           CASE WHEN g.id_number_hash <> s.id_number_hash THEN 1 ELSE 0 END \
         FROM roster_staging s JOIN graduates g ON g.school_id = s.school_id AND g.student_no = s.student_no \
         WHERE s.job_id = $1 AND g.account_id IS NOT NULL \
           AND (g.name <> s.name OR g.id_number_hash <> s.id_number_hash) \
         ORDER BY s.row_no",
    )
    .bind(job_id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let errors: Vec<RowError> = rows
        .iter()
        .filter_map(|(row, name, id)| {
            roster::bound_identity_change(true, *name == 1, *id == 1).map(|(column, after)| {
                RowError {
                    row: usize::try_from(*row).unwrap_or(0),
                    column: column.into(),
                    reason: format!(
                        "该学号的毕业生已绑定账号，导入的{column}与已绑定的记录不同：{after}"
                    ),
                }
            })
        })
        .collect();
    if errors.is_empty() {
        return Ok(None);
    }
    let error_count = errors.len();
    Ok(Some(ImportReport {
        rows: staged,
        error_count,
        errors: errors.into_iter().take(MAX_REPORTED_ERRORS).collect(),
        message: format!(
            "{error_count} 名已绑定账号的毕业生的姓名或身份证号与导入文件不同，未导入任何数据"
        ),
        ..ImportReport::default()
    }))
}

/// The command-line import: same pipeline as the web job, run in this process.
pub async fn import_local_file(
    store: &Store,
    blobs: &dyn BlobStore,
    school_code: &str,
    path: &std::path::Path,
) -> anyhow::Result<ImportReport> {
    let school = crate::orgs::school_by_code(store, school_code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("院校代码 {school_code} 不存在"))?;
    let bytes = tokio::fs::read(path).await?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let kind = match SheetKind::detect(&name, &bytes[..bytes.len().min(8192)]) {
        Ok(k) => k,
        Err(e) => return Ok(file_error(e.to_string())),
    };
    let mut tx = store.writer().begin().await?;
    let (job_id, _) = queue_import(
        &mut tx,
        blobs,
        &school.id,
        &name,
        kind,
        bytes,
        None,
        store.now(),
    )
    .await?;
    // Claimed before commit, so that a server's worker sharing the database never sees it queued.
    jobs::claim_in(&mut tx, &job_id, "cli", store.now()).await?;
    tx.commit().await?;
    let job = jobs::get(store, &job_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("job vanished"))?;
    run_job(store, blobs, &job).await?;
    let job = jobs::get(store, &job_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("job vanished"))?;
    Ok(job
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default())
}
