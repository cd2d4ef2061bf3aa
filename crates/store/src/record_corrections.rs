//! 生源信息确认 and 纠错 (seed 003 §2, SPEC §4): the graduate confirms the unlocked fields of the
//! source record and asks for corrections of the locked ones; the department reviewer or the
//! school administrator decides. Who may is the policy's, what is valid and what a decision
//! does the domain's ([`wangqian_domain::record_correction`]). Requests and decisions are
//! audited against the graduate, which makes them part of the record's trail (更正记录).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wangqian_domain::policy::{self, GraduateScope};
use wangqian_domain::record_correction::{
    self as rc, CorrectionDecision, CorrectionState, FieldProblem, LockedField,
};
use wangqian_domain::role::{Actor, Role};

use crate::audit::{self, AuditEntry};
use crate::blobs::{save_upload, BlobStore, NewUpload};
use crate::employers::UploadedFile;
use crate::error::{allow, is_unique_violation};
use crate::pii::PiiField;
use crate::record_uploads::RecordUpload;
use crate::{
    new_id, DepartmentId, FieldError, GraduateId, Millis, Page, Paging, SchoolId, ServiceError,
    ServiceResult, Store,
};

fn field_errors(problems: Vec<FieldProblem>) -> ServiceError {
    ServiceError::Validation(
        problems
            .into_iter()
            .map(|p| FieldError::new(p.field, p.message))
            .collect(),
    )
}

fn own_graduate(actor: &Actor, access: policy::Access) -> ServiceResult<GraduateId> {
    allow(access, "毕业生")?;
    actor.graduate_id.clone().ok_or(ServiceError::Forbidden)
}

// ---------------------------------------------------------------------------------------------
// 生源信息确认

/// The unlocked fields as the graduate confirms them.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmSourceRecord {
    pub mobile: String,
    pub email: String,
    /// 家庭住址 (5–100 characters).
    pub home_address: String,
    /// 生源所在地: a county-level region code (GB/T 2260), e.g. `340104`.
    pub origin_county_code: String,
}

/// The record's unlocked fields after a confirmation (contact details masked).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceRecordConfirmed {
    pub graduate_id: GraduateId,
    pub mobile_masked: String,
    pub email_masked: String,
    /// The readable name, e.g. 安徽省合肥市蜀山区.
    pub origin_location: String,
    pub origin_location_code: String,
    pub confirmed_at: Millis,
}

/// Checks and stores the unlocked fields, every problem at once; builds on the contact
/// confirmation (it counts as one) and is audited without the values.
pub async fn confirm_source_record(
    store: &Store,
    actor: &Actor,
    input: ConfirmSourceRecord,
) -> ServiceResult<SourceRecordConfirmed> {
    let id = own_graduate(actor, policy::confirm_source_record(actor))?;
    let ok = rc::check_source_confirmation(&rc::SourceConfirmationInput {
        mobile: &input.mobile,
        email: &input.email,
        home_address: &input.home_address,
        origin_county_code: &input.origin_county_code,
    })
    .map_err(field_errors)?;
    let pii = &store.pii;
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let n = sqlx::query(
        "UPDATE graduates SET mobile_enc = $1, mobile_hash = $2, mobile_masked = $3, email = $4, email_masked = $5, \
         home_address_enc = $6, origin_location = $7, origin_location_code = $8, source_confirmed_at = $9, \
         contact_confirmed_at = COALESCE(contact_confirmed_at, $9), updated_at = $9 WHERE id = $10",
    )
    .bind(pii.encrypt(PiiField::Mobile, ok.mobile.as_str()))
    .bind(pii.search_hash(PiiField::Mobile, ok.mobile.as_str()))
    .bind(ok.mobile.masked())
    .bind(pii.encrypt(PiiField::Email, ok.email.as_str()))
    .bind(ok.email.masked())
    .bind(pii.encrypt(PiiField::HomeAddress, &ok.home_address))
    .bind(ok.origin_name.clone())
    .bind(ok.origin_code.clone())
    .bind(now)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ServiceError::NotFound("毕业生"));
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "confirm_source_record",
            target_kind: "graduate",
            target_id: &id,
            school_id: actor.school_id.as_deref(),
            detail: serde_json::json!({ "origin_location_code": ok.origin_code }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SourceRecordConfirmed {
        graduate_id: id,
        mobile_masked: ok.mobile.masked(),
        email_masked: ok.email.masked(),
        origin_location: ok.origin_name,
        origin_location_code: ok.origin_code,
        confirmed_at: now,
    })
}

/// What the confirmation page shows of the unlocked fields besides the record itself.
#[derive(Debug, Clone, Default)]
pub struct SourceRecordState {
    pub origin_location_code: Option<String>,
    pub confirmed_at: Option<Millis>,
}

pub async fn source_record_state(store: &Store, actor: &Actor) -> ServiceResult<SourceRecordState> {
    let id = own_graduate(actor, policy::confirm_source_record(actor))?;
    let (code, at): (Option<String>, Option<Millis>) = sqlx::query_as(
        "SELECT origin_location_code, source_confirmed_at FROM graduates WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(store.reader())
    .await?
    .ok_or(ServiceError::NotFound("毕业生"))?;
    Ok(SourceRecordState {
        origin_location_code: code,
        confirmed_at: at,
    })
}

// ---------------------------------------------------------------------------------------------
// 纠错: the request

/// A correction request: locked field → the value it should have, and why.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCorrectionInput {
    /// Keys: `name` (姓名), `gender` (性别, code or 男/女), `ethnicity_code` (民族),
    /// `political_status_code` (政治面貌), `education_level_code` (学历), `major` (专业 name),
    /// `training_mode_code` (培养方式), `years_of_schooling` (学制). Not `id_number`: a record
    /// with another person's ID number is unbound, not corrected. Empty values are ignored.
    #[serde(default)]
    pub changes: BTreeMap<String, String>,
    /// Required, 2–500 characters.
    #[serde(default)]
    pub reason: String,
}

/// One asked change, as stored and as read.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CorrectionChange {
    pub field: String,
    #[serde(default)]
    pub label: String,
    /// The stored values (codes for code-table fields).
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub from_label: String,
    #[serde(default)]
    pub to_label: String,
}

/// A correction request as its readers see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordCorrection {
    pub id: String,
    pub graduate_id: GraduateId,
    pub graduate_name: String,
    pub student_no: String,
    pub department: String,
    #[schema(value_type = CorrectionState)]
    pub state: String,
    pub state_label: &'static str,
    pub changes: Vec<CorrectionChange>,
    pub reason: String,
    /// The proof (纠错证明材料), when one was sent and the viewer may open it.
    pub uploads: Vec<RecordUpload>,
    pub requested_at: Millis,
    pub decided_at: Option<Millis>,
    pub decided_by: Option<String>,
    /// Why it was rejected (or the approval's remark).
    pub decision_reason: Option<String>,
}

/// The locked fields of a record, as stored.
#[derive(sqlx::FromRow)]
struct LockedRow {
    school_id: SchoolId,
    department_id: DepartmentId,
    name: String,
    gender: String,
    ethnicity_code: Option<String>,
    political_status_code: Option<String>,
    education_level_code: String,
    major: String,
    training_mode_code: String,
    years_of_schooling: i64,
}

impl LockedRow {
    fn value(&self, f: LockedField) -> String {
        match f {
            LockedField::Name => self.name.clone(),
            LockedField::Gender => self.gender.clone(),
            LockedField::Ethnicity => self.ethnicity_code.clone().unwrap_or_default(),
            LockedField::PoliticalStatus => self.political_status_code.clone().unwrap_or_default(),
            LockedField::EducationLevel => self.education_level_code.clone(),
            LockedField::Major => self.major.clone(),
            LockedField::TrainingMode => self.training_mode_code.clone(),
            LockedField::YearsOfSchooling => self.years_of_schooling.to_string(),
        }
    }
}

const LOCKED_COLUMNS: &str = "SELECT g.school_id, g.department_id, g.name, g.gender, g.ethnicity_code, \
    g.political_status_code, g.education_level_code, (SELECT m.name FROM majors m WHERE m.id = g.major_id) AS major, \
    g.training_mode_code, g.years_of_schooling FROM graduates g WHERE g.id = $1";

async fn locked_row(conn: &mut sqlx::AnyConnection, id: &str) -> ServiceResult<LockedRow> {
    sqlx::query_as::<_, LockedRow>(LOCKED_COLUMNS)
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(ServiceError::NotFound("毕业生"))
}

/// Asks for a correction of locked fields, with an optional proof (image or PDF, already
/// checked by its bytes). One open request per graduate: a second one answers 409, and the
/// database's partial unique index holds it against racing requests too.
pub async fn request_record_correction(
    store: &Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    input: RecordCorrectionInput,
    proof: Option<UploadedFile>,
) -> ServiceResult<RecordCorrection> {
    let graduate_id = own_graduate(actor, policy::request_record_correction(actor))?;
    let row = locked_row(&mut *store.reader().acquire().await?, &graduate_id).await?;
    let (changes, reason) = rc::check_correction_request(
        input.changes.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &input.reason,
        |f| row.value(f),
    )
    .map_err(field_errors)?;
    let stored: Vec<CorrectionChange> = changes
        .iter()
        .map(|c| CorrectionChange {
            field: c.field.key().to_string(),
            label: String::new(),
            from: row.value(c.field),
            to: c.value.clone(),
            from_label: String::new(),
            to_label: String::new(),
        })
        .collect();
    let open: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM record_corrections WHERE graduate_id = $1 AND state = 'pending'",
    )
    .bind(graduate_id.to_string())
    .fetch_optional(store.reader())
    .await?;
    if open.is_some() {
        return Err(ServiceError::Conflict(rc::ONE_OPEN_REQUEST.into()));
    }
    let now = store.now();
    let id = new_id();
    let mut tx = store.writer().begin().await?;
    let proof_id = match proof {
        Some(f) => Some(
            save_upload(
                blobs,
                &mut tx,
                NewUpload {
                    kind: "correction_proof",
                    content_type: f.content_type,
                    original_name: f.original_name,
                    bytes: f.bytes,
                    uploaded_by: Some(actor.account_id.to_string()),
                    school_id: Some(row.school_id.to_string()),
                    at: now,
                },
            )
            .await?,
        ),
        None => None,
    };
    let changes_json = serde_json::to_string(
        &stored
            .iter()
            .map(|c| serde_json::json!({ "field": c.field, "from": c.from, "to": c.to }))
            .collect::<Vec<_>>(),
    )
    .map_err(anyhow::Error::from)?;
    let inserted = sqlx::query(
        "INSERT INTO record_corrections (id, graduate_id, school_id, changes, reason, proof_upload_id, state, requested_by, requested_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8)",
    )
    .bind(id.clone())
    .bind(graduate_id.to_string())
    .bind(row.school_id.to_string())
    .bind(changes_json.clone())
    .bind(reason.clone())
    .bind(proof_id.clone())
    .bind(actor.account_id.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(ServiceError::Conflict(rc::ONE_OPEN_REQUEST.into()))
        }
        other => other?,
    };
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "request_record_correction",
            target_kind: "graduate",
            target_id: &graduate_id,
            school_id: Some(&row.school_id),
            detail: serde_json::json!({
                "correction_id": id,
                "changes": serde_json::from_str::<serde_json::Value>(&changes_json).unwrap_or_default(),
                "reason": reason,
                "proof": proof_id.is_some(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    get_record_correction(store, actor, &id).await
}

// ---------------------------------------------------------------------------------------------
// Reading

#[derive(sqlx::FromRow)]
struct CorrectionRow {
    id: String,
    graduate_id: GraduateId,
    school_id: SchoolId,
    department_id: DepartmentId,
    graduate_name: String,
    student_no: String,
    department: String,
    state: String,
    changes: String,
    reason: String,
    proof_upload_id: Option<String>,
    requested_at: Millis,
    decided_at: Option<Millis>,
    decided_by: Option<String>,
    decision_reason: Option<String>,
}

const CORRECTION_COLUMNS: &str = "SELECT c.id, c.graduate_id, c.school_id, g.department_id, g.name AS graduate_name, \
    g.student_no, (SELECT d.name FROM departments d WHERE d.id = g.department_id) AS department, c.state, c.changes, \
    c.reason, c.proof_upload_id, c.requested_at, c.decided_at, \
    (SELECT a.display_name FROM accounts a WHERE a.id = c.decided_by) AS decided_by, c.decision_reason \
    FROM record_corrections c JOIN graduates g ON g.id = c.graduate_id";

impl CorrectionRow {
    fn scope(&self) -> GraduateScope<'_> {
        GraduateScope {
            graduate_id: &self.graduate_id,
            school_id: &self.school_id,
            department_id: &self.department_id,
        }
    }
}

fn readable_changes(json: &str) -> Vec<CorrectionChange> {
    let mut changes: Vec<CorrectionChange> = serde_json::from_str(json).unwrap_or_default();
    for c in &mut changes {
        if let Some(f) = LockedField::parse(&c.field) {
            c.label = f.label().to_string();
            c.from_label = f.display(&c.from);
            c.to_label = f.display(&c.to);
        }
    }
    changes
}

async fn view_rows(
    store: &Store,
    actor: &Actor,
    rows: Vec<CorrectionRow>,
) -> ServiceResult<Vec<RecordCorrection>> {
    let proofs: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            // The list shows a proof only to who may open it, so no link ends in a refusal.
            let owner = policy::UploadOwner::CorrectionProof {
                graduate_id: r.graduate_id.clone(),
                school_id: r.school_id.clone(),
                department_id: r.department_id.clone(),
            };
            r.proof_upload_id
                .iter()
                .filter(|_| policy::download_upload(actor, Some(&owner)).is_allowed())
                .cloned()
                .collect()
        })
        .collect();
    let files = crate::record_uploads::files_of_each(store, &proofs).await?;
    Ok(rows
        .into_iter()
        .zip(files)
        .map(|(r, uploads)| {
            let state = CorrectionState::parse(&r.state).unwrap_or(CorrectionState::Pending);
            RecordCorrection {
                changes: readable_changes(&r.changes),
                id: r.id,
                graduate_id: r.graduate_id,
                graduate_name: r.graduate_name,
                student_no: r.student_no,
                department: r.department,
                state: state.as_str().to_string(),
                state_label: state.label(),
                reason: r.reason,
                uploads,
                requested_at: r.requested_at,
                decided_at: r.decided_at,
                decided_by: r.decided_by,
                decision_reason: r.decision_reason,
            }
        })
        .collect())
}

async fn correction_row(store: &Store, id: &str) -> ServiceResult<CorrectionRow> {
    sqlx::query_as::<_, CorrectionRow>(&format!("{CORRECTION_COLUMNS} WHERE c.id = $1"))
        .bind(id.to_string())
        .fetch_optional(store.reader())
        .await?
        .ok_or(ServiceError::NotFound("纠错申请"))
}

/// One request: the graduate's own, or one in the staff member's scope.
pub async fn get_record_correction(
    store: &Store,
    actor: &Actor,
    id: &str,
) -> ServiceResult<RecordCorrection> {
    let row = correction_row(store, id).await?;
    allow(
        policy::view_record_correction(actor, row.scope()),
        "纠错申请",
    )?;
    Ok(view_rows(store, actor, vec![row]).await?.remove(0))
}

/// The filter of the correction list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CorrectionFilter {
    /// Only requests in this state.
    pub state: Option<CorrectionState>,
    /// Only this graduate's requests (the graduate's 更正记录).
    pub graduate_id: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The requests the actor may see, pending first (oldest first, as they wait), then the decided
/// ones, newest first: a graduate their own, a reviewer their department, the administrator
/// the school.
pub async fn list_record_corrections(
    store: &Store,
    actor: &Actor,
    filter: &CorrectionFilter,
) -> ServiceResult<Page<RecordCorrection>> {
    allow(policy::list_record_corrections(actor), "纠错申请")?;
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut push = |cond: &str, v: String, args: &mut Vec<String>| {
        args.push(v);
        conds.push(cond.replace('?', &format!("${}", args.len())));
    };
    match actor.role {
        Role::Graduate => {
            let g = actor.graduate_id.clone().ok_or(ServiceError::Forbidden)?;
            push("c.graduate_id = ?", g.to_string(), &mut args);
        }
        Role::DepartmentReviewer => {
            let (s, d) = actor
                .school_id
                .clone()
                .zip(actor.department_id.clone())
                .ok_or(ServiceError::Forbidden)?;
            push("c.school_id = ?", s.to_string(), &mut args);
            push("g.department_id = ?", d.to_string(), &mut args);
        }
        Role::SchoolAdmin => {
            let s = actor.school_id.clone().ok_or(ServiceError::Forbidden)?;
            push("c.school_id = ?", s.to_string(), &mut args);
        }
        Role::EmployerMember | Role::ProvincialAdmin => return Err(ServiceError::Forbidden),
    }
    if let Some(state) = filter.state {
        push("c.state = ?", state.as_str().to_string(), &mut args);
    }
    if let Some(g) = filter.graduate_id.as_deref().filter(|g| !g.is_empty()) {
        push("c.graduate_id = ?", g.to_string(), &mut args);
    }
    let where_sql = format!("WHERE {}", conds.join(" AND "));
    let paging = Paging::new(filter.page, filter.per_page);
    let count_sql = format!(
        "SELECT COUNT(*) FROM record_corrections c JOIN graduates g ON g.id = c.graduate_id {where_sql}"
    );
    let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
    for a in &args {
        count = count.bind(a.clone());
    }
    let (total,) = count.fetch_one(store.reader()).await?;
    let list_sql = format!(
        "{CORRECTION_COLUMNS} {where_sql} ORDER BY CASE WHEN c.state = 'pending' THEN 0 ELSE 1 END, \
         CASE WHEN c.state = 'pending' THEN c.requested_at ELSE -c.requested_at END, c.id \
         LIMIT {} OFFSET {}",
        paging.per_page + 1,
        paging.offset()
    );
    let mut list = sqlx::query_as::<_, CorrectionRow>(&list_sql);
    for a in &args {
        list = list.bind(a.clone());
    }
    let rows = list.fetch_all(store.reader()).await?;
    let items = view_rows(store, actor, rows).await?;
    Ok(Page::from_rows(items, paging, (total, false), |_| String::new()).without_cursor())
}

// ---------------------------------------------------------------------------------------------
// The decision

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCorrectionReview {
    pub decision: CorrectionDecision,
    /// Required to reject (2–200 characters; the graduate reads it).
    #[serde(default)]
    pub reason: String,
}

/// Approves or rejects a pending request. Approving writes the asked values into the record
/// in the same transaction; the request's state guards the update, so a second click finds it
/// decided (409) and applies nothing twice.
pub async fn review_record_correction(
    store: &Store,
    actor: &Actor,
    id: &str,
    review: RecordCorrectionReview,
) -> ServiceResult<RecordCorrection> {
    let row = correction_row(store, id).await?;
    allow(
        policy::review_record_correction(actor, row.scope()),
        "纠错申请",
    )?;
    let current = CorrectionState::parse(&row.state)
        .ok_or_else(|| anyhow::anyhow!("unknown correction state {}", row.state))?;
    let outcome = rc::decide_correction(current, review.decision, &review.reason).map_err(|p| {
        if p.field == "state" {
            ServiceError::Conflict(p.message)
        } else {
            ServiceError::field(&p.field, p.message)
        }
    })?;
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let n = sqlx::query(
        "UPDATE record_corrections SET state = $1, decided_by = $2, decided_at = $3, decision_reason = $4 \
         WHERE id = $5 AND state = 'pending'",
    )
    .bind(outcome.state.as_str())
    .bind(actor.account_id.to_string())
    .bind(now)
    .bind(outcome.reason.clone())
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(ServiceError::Conflict(
            "该纠错申请刚被他人审核，请刷新后查看".into(),
        ));
    }
    let changes = readable_changes(&row.changes);
    if outcome.apply_changes {
        apply_changes(&mut tx, &row, &changes, now).await?;
    }
    audit::record(
        &mut tx,
        AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: match outcome.state {
                CorrectionState::Approved => "approve_record_correction",
                CorrectionState::Rejected | CorrectionState::Pending => "reject_record_correction",
            },
            target_kind: "graduate",
            target_id: &row.graduate_id,
            school_id: Some(&row.school_id),
            detail: serde_json::json!({
                "correction_id": id,
                "changes": changes.iter().map(|c| serde_json::json!({ "field": c.field, "from": c.from, "to": c.to })).collect::<Vec<_>>(),
                "reason": outcome.reason,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    get_record_correction(store, actor, id).await
}

/// Writes the asked values into the graduate's row with one fixed statement: the locked
/// columns are read inside the transaction and each asked field replaces its own. A new
/// major is added to the graduate's department, as an import would.
async fn apply_changes(
    tx: &mut sqlx::AnyConnection,
    row: &CorrectionRow,
    changes: &[CorrectionChange],
    now: Millis,
) -> ServiceResult<()> {
    let locked = locked_row(&mut *tx, &row.graduate_id).await?;
    let mut values: BTreeMap<LockedField, String> = LockedField::ALL
        .iter()
        .map(|f| (*f, locked.value(*f)))
        .collect();
    for c in changes {
        if let Some(f) = LockedField::parse(&c.field) {
            values.insert(f, c.to.clone());
        }
    }
    let value = |f: LockedField| values.get(&f).cloned().unwrap_or_default();
    let major = value(LockedField::Major);
    let found: Option<(String,)> =
        sqlx::query_as("SELECT id FROM majors WHERE department_id = $1 AND name = $2")
            .bind(locked.department_id.to_string())
            .bind(major.clone())
            .fetch_optional(&mut *tx)
            .await?;
    let major_id = match found {
        Some((id,)) => id,
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO majors (id, school_id, department_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(id.clone())
            .bind(locked.school_id.to_string())
            .bind(locked.department_id.to_string())
            .bind(major)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    let optional = |f: LockedField| Some(value(f)).filter(|v| !v.is_empty());
    let years: i64 = value(LockedField::YearsOfSchooling)
        .parse()
        .map_err(|_| anyhow::anyhow!("years_of_schooling not a number"))?;
    sqlx::query(
        "UPDATE graduates SET name = $1, gender = $2, ethnicity_code = $3, political_status_code = $4, \
         education_level_code = $5, major_id = $6, training_mode_code = $7, years_of_schooling = $8, updated_at = $9 \
         WHERE id = $10",
    )
    .bind(value(LockedField::Name))
    .bind(value(LockedField::Gender))
    .bind(optional(LockedField::Ethnicity))
    .bind(optional(LockedField::PoliticalStatus))
    .bind(value(LockedField::EducationLevel))
    .bind(major_id)
    .bind(value(LockedField::TrainingMode))
    .bind(years)
    .bind(now)
    .bind(row.graduate_id.to_string())
    .execute(&mut *tx)
    .await?;
    // The account's name follows the record's, so the header and messages use the new one.
    if changes.iter().any(|c| c.field == LockedField::Name.key()) {
        sqlx::query(
            "UPDATE accounts SET display_name = $1 WHERE id = (SELECT account_id FROM graduates WHERE id = $2)",
        )
        .bind(value(LockedField::Name))
        .bind(row.graduate_id.to_string())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 更正记录: the record's trail of confirmations, requests and decisions

/// One entry of the record's trail.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrailEntry {
    pub at: Millis,
    pub action: String,
    pub action_label: &'static str,
    pub actor_name: Option<String>,
    /// What changed or why, as a clerk reads it.
    pub text: String,
}

const TRAIL_ACTIONS: &[(&str, &str)] = &[
    ("confirm_source_record", "确认生源信息"),
    ("request_record_correction", "提交纠错申请"),
    ("approve_record_correction", "同意更正"),
    ("reject_record_correction", "不同意更正"),
];

/// The record's 更正记录 (from the audit rows against the graduate), oldest first.
pub async fn correction_trail(
    store: &Store,
    actor: &Actor,
    graduate_id: &str,
) -> ServiceResult<Vec<TrailEntry>> {
    let scope: Option<(SchoolId, DepartmentId)> =
        sqlx::query_as("SELECT school_id, department_id FROM graduates WHERE id = $1")
            .bind(graduate_id.to_string())
            .fetch_optional(store.reader())
            .await?;
    let (school_id, department_id) = scope.ok_or(ServiceError::NotFound("毕业生"))?;
    let gid = GraduateId::from(graduate_id);
    allow(
        policy::view_record_correction(
            actor,
            GraduateScope {
                graduate_id: &gid,
                school_id: &school_id,
                department_id: &department_id,
            },
        ),
        "毕业生",
    )?;
    let marks: Vec<String> = (0..TRAIL_ACTIONS.len())
        .map(|i| format!("${}", i + 2))
        .collect();
    let sql = format!(
        "SELECT l.at, l.action, (SELECT a.display_name FROM accounts a WHERE a.id = l.actor_account_id), l.detail \
         FROM audit_log l WHERE l.target_kind = 'graduate' AND l.target_id = $1 AND l.action IN ({}) ORDER BY l.at, l.id",
        marks.join(", ")
    );
    let mut q = sqlx::query_as::<_, (Millis, String, Option<String>, String)>(&sql)
        .bind(graduate_id.to_string());
    for (a, _) in TRAIL_ACTIONS {
        q = q.bind(a.to_string());
    }
    let rows = q.fetch_all(store.reader()).await?;
    Ok(rows
        .into_iter()
        .map(|(at, action, actor_name, detail)| {
            let detail: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
            TrailEntry {
                at,
                action_label: TRAIL_ACTIONS
                    .iter()
                    .find(|(a, _)| *a == action)
                    .map_or("", |(_, l)| l),
                text: trail_text(&action, &detail),
                action,
                actor_name,
            }
        })
        .collect())
}

fn trail_text(action: &str, detail: &serde_json::Value) -> String {
    let changes: Vec<String> = detail["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let f = LockedField::parse(c["field"].as_str()?)?;
            Some(format!(
                "{}：{} → {}",
                f.label(),
                f.display(c["from"].as_str().unwrap_or("")),
                f.display(c["to"].as_str().unwrap_or(""))
            ))
        })
        .collect();
    let reason = detail["reason"].as_str().unwrap_or("");
    let mut text = match action {
        "confirm_source_record" => detail["origin_location_code"]
            .as_str()
            .map(|c| format!("生源所在地 {}", wangqian_domain::regions::full_name(c)))
            .unwrap_or_default(),
        _ => changes.join("；"),
    };
    if !reason.is_empty() {
        if !text.is_empty() {
            text.push('。');
        }
        text.push_str(&format!("原因：{reason}"));
    }
    text
}
