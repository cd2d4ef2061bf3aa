//! Other destinations (其他去向登记, SPEC §8): registration by category with up to four proof
//! images, withdrawal during review, one-step review, release (解除) on request.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use wangqian_domain::codes;
use wangqian_domain::destination_form;
use wangqian_domain::lifecycle::spec::ProofNeed;
use wangqian_domain::lifecycle::{
    decide_destination, DestinationAction as A, DestinationFacts, DestinationState as S,
    OutcomeSlot, Party, Refusal,
};
use wangqian_domain::policy::{self, Access};
use wangqian_domain::role::{Actor, Role};
use wangqian_domain::terms::RegionAddress;

use super::messages::{self, NewMessage, Recipient};
use super::{
    actor_name, graduate_facts, holder, idempotency, party_of, release_outcome, take_outcome,
    trail, IdemKey, STALE,
};
use crate::blobs::{save_upload, BlobStore, NewUpload};
use crate::employers::UploadedFile;
use crate::error::allow;
use crate::query::{encode_cursor, time_id_cursor, Arg, Counted, Filter};
use crate::typed::Coded;
use crate::{
    BlobId, DepartmentId, DestinationId, FieldError, GraduateId, Millis, Page, Paging, SchoolId,
    ServiceError, ServiceResult, Store,
};

const DESTINATION: &str = "去向登记";
pub const MAX_PROOFS: usize = destination_form::MAX_PROOFS;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterDestination {
    /// 毕业去向代码 (not 10: agreement employment comes from an agreement).
    #[serde(default)]
    pub category_code: String,
    /// One of the category's sub-categories (e.g. 全日制 for 升学, 求职中 for 待就业), or
    /// empty where it has none.
    #[serde(default)]
    pub subcategory: String,
    /// The category's unit: 录取学校 (升学), 院校/单位 (出国出境), 公司名称 (自主创业),
    /// 项目名称 (基层项目), 工作内容/单位 (自由职业) …; errors name it `unit_name`.
    #[serde(default)]
    pub unit_name: String,
    /// The category's other fields, as label → value (录取专业, 国家（地区）, 统一社会信用代码 …);
    /// an error names the field's form name (`detail_major`, `detail_country`,
    /// `detail_credit_code` …).
    #[serde(default)]
    pub details: std::collections::BTreeMap<String, String>,
    /// 所在地（到区县） chosen from the region table. When present it is kept as the readable
    /// line "安徽省合肥市蜀山区长江西路1号" under `details["所在地"]` (replacing any free text
    /// there) and its code under `details["所在地代码"]`; absent, a free-text `details["所在地"]`
    /// stands.
    #[serde(default)]
    pub place_region: Option<RegionAddress>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DestinationApplied {
    pub id: DestinationId,
    pub state: String,
    pub state_label: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DestinationRow {
    pub id: DestinationId,
    pub school_id: SchoolId,
    pub department_id: DepartmentId,
    pub graduate_id: GraduateId,
    pub graduation_year: i64,
    pub category_code: String,
    pub subcategory: String,
    pub unit_name: String,
    pub details: String,
    pub proof_ids: String,
    /// The state code (`submitted`, `approved`, …).
    #[schema(value_type = String)]
    pub state: Coded<S>,
    /// Whose move it is (a party code), if anyone's.
    #[schema(value_type = Option<String>)]
    pub awaiting: Option<Coded<Party>>,
    pub version: i64,
    pub review_reason: Option<String>,
    pub release_reason: Option<String>,
    pub release_proof_id: Option<BlobId>,
    #[serde(skip)]
    pub trail_seq: i64,
    #[serde(skip)]
    pub trail_hash: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub graduate_name: String,
    pub student_no: String,
}

const DESTINATION_COLUMNS: &str = "d.id, d.school_id, d.department_id, d.graduate_id, d.graduation_year, d.category_code, \
    d.subcategory, d.unit_name, d.details, d.proof_ids, d.state, d.awaiting, d.version, d.review_reason, d.release_reason, \
    d.release_proof_id, d.trail_seq, d.trail_hash, d.created_at, d.updated_at, g.name AS graduate_name, g.student_no";

fn scope(actor: &Actor, d: &DestinationRow) -> Access {
    policy::view_destination(
        actor,
        policy::RecordScope {
            graduate_id: &d.graduate_id,
            school_id: &d.school_id,
            department_id: &d.department_id,
            employer_id: None,
        },
    )
}

async fn load(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &DestinationId,
) -> ServiceResult<DestinationRow> {
    let row = sqlx::query_as::<_, DestinationRow>(&format!(
        "SELECT {DESTINATION_COLUMNS} FROM destinations d JOIN graduates g ON g.id = d.graduate_id WHERE d.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?
    .ok_or(ServiceError::NotFound(DESTINATION))?;
    allow(scope(actor, &row), DESTINATION)?;
    Ok(row)
}

impl RegisterDestination {
    /// The form as the domain checks it.
    fn entry(&self, proofs: usize) -> destination_form::DestinationEntry {
        destination_form::DestinationEntry {
            category_code: self.category_code.clone(),
            subcategory: self.subcategory.clone(),
            unit_name: self.unit_name.clone(),
            details: self.details.clone(),
            place_region: self.place_region.clone(),
            proofs,
        }
    }
}

fn field_errors(p: Vec<destination_form::FieldProblem>) -> ServiceError {
    ServiceError::Validation(
        p.into_iter()
            .map(|p| FieldError::new(p.field, p.message))
            .collect(),
    )
}

fn state_of(row: &DestinationRow) -> ServiceResult<S> {
    Ok(row.state.0)
}

fn uploads(
    blobs_kind: &'static str,
    actor: &Actor,
    school_id: &SchoolId,
    f: UploadedFile,
    now: Millis,
) -> NewUpload {
    NewUpload {
        kind: blobs_kind,
        content_type: f.content_type,
        original_name: f.original_name,
        bytes: f.bytes,
        uploaded_by: Some(actor.account_id.to_string()),
        school_id: Some(school_id.to_string()),
        at: now,
    }
}

/// Registers an other destination; the graduate's one outcome is taken at once. The category's
/// form is checked by the decision (every field's problem at once); the graduate's draft, if
/// any, is deleted with the registration.
pub async fn register_destination(
    store: &Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    input: RegisterDestination,
    proofs: Vec<UploadedFile>,
    idem: Option<&IdemKey>,
) -> ServiceResult<DestinationApplied> {
    let (Role::Graduate, Some(graduate_id)) = (actor.role, actor.graduate_id.clone()) else {
        return Err(ServiceError::Forbidden);
    };
    let mut tx = store.writer().begin().await?;
    if let Some(done) = idempotency::claim::<DestinationApplied>(
        &mut tx,
        actor,
        idem,
        "register_destination",
        &graduate_id,
        store.now(),
    )
    .await?
    {
        return Ok(done);
    }
    let g = graduate_facts(&mut tx, &graduate_id, None).await?;
    let facts = DestinationFacts {
        outcome_held: holder(g.held_by.as_deref()),
        entry: Some(input.entry(proofs.len())),
    };
    let effects = decide_destination(None, A::Register, Party::Graduate, &facts)
        .map_err(|r| refused_destination(r, S::Submitted, A::Register))?;
    let entry = effects
        .entry
        .clone()
        .ok_or_else(|| anyhow::anyhow!("a registration is decided with its checked form"))?;
    let code = entry.category_code;
    let (school_id, department_id, year) = (g.school_id, g.department_id, g.graduation_year);
    let now = store.now();
    let id: DestinationId = crate::fresh();
    let mut proof_ids = Vec::new();
    for f in proofs {
        proof_ids.push(
            save_upload(
                blobs,
                &mut tx,
                uploads("destination_proof", actor, &school_id, f, now),
            )
            .await?,
        );
    }
    let name = actor_name(&mut tx, actor).await?;
    let event = trail::NewEvent {
        record_kind: "destination",
        record_id: &id,
        school_id: &school_id,
        at: now,
        actor_account_id: Some(&actor.account_id),
        actor_name: &name,
        party: Party::Graduate.as_str(),
        action: A::Register.as_str(),
        from_state: None,
        to_state: effects.to.as_str(),
        remark: codes::DESTINATION.name_of(code).unwrap_or(""),
        terms_hash: None,
    };
    let (seq, hash) = trail::next_head(&store.pii, 0, trail::GENESIS, &event);
    sqlx::query(
        "INSERT INTO destinations (id, school_id, department_id, graduate_id, graduation_year, category_code, subcategory, \
         unit_name, details, proof_ids, state, awaiting, version, trail_seq, trail_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $14, $15, 1, $11, $12, $13, $13)",
    )
    .bind(id.clone())
    .bind(school_id.clone())
    .bind(department_id.clone())
    .bind(graduate_id.clone())
    .bind(year)
    .bind(code.to_string())
    .bind(entry.subcategory.clone())
    .bind(entry.unit_name.clone())
    .bind(serde_json::to_string(&entry.details).map_err(anyhow::Error::from)?)
    .bind(serde_json::to_string(&proof_ids).map_err(anyhow::Error::from)?)
    .bind(seq)
    .bind(hash.clone())
    .bind(now)
    .bind(effects.to.as_str())
    .bind(effects.awaiting.map(Party::as_str))
    .execute(&mut *tx)
    .await?;
    take_outcome(&mut tx, &graduate_id, &school_id, "destination", &id, now).await?;
    trail::insert(&mut tx, &event, seq, trail::GENESIS, &hash).await?;
    sqlx::query("DELETE FROM destination_drafts WHERE graduate_id = $1")
        .bind(graduate_id.clone())
        .execute(&mut *tx)
        .await?;
    messages::send(
        &mut tx,
        Recipient::Department(&department_id),
        &NewMessage {
            at: now,
            school_id: &school_id,
            record_kind: "destination",
            record_id: &id,
            title: "新的毕业去向登记待审核".into(),
            body: format!(
                "{}登记了毕业去向：{}",
                name,
                codes::DESTINATION.name_of(code).unwrap_or(code)
            ),
        },
    )
    .await?;
    let applied = DestinationApplied {
        id,
        state: S::Submitted.as_str().into(),
        state_label: S::Submitted.label().into(),
        version: 1,
    };
    idempotency::remember(&mut tx, actor, idem, &applied).await?;
    tx.commit().await?;
    Ok(applied)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationDecision {
    /// For reviews: approve or reject. Ignored by withdraw and release requests.
    #[serde(default)]
    pub approve: bool,
    pub reason: Option<String>,
    pub version: Option<i64>,
}

/// One action on a destination; `file` is the release proof.
#[allow(clippy::too_many_arguments)]
async fn act(
    store: &Store,
    blobs: Option<&dyn BlobStore>,
    actor: &Actor,
    id: &DestinationId,
    pick: impl FnOnce(S) -> A,
    operation: &'static str,
    input: DestinationDecision,
    file: Option<UploadedFile>,
    idem: Option<&IdemKey>,
) -> ServiceResult<DestinationApplied> {
    let party = party_of(actor)?;
    let mut tx = store.writer().begin().await?;
    if let Some(done) =
        idempotency::claim::<DestinationApplied>(&mut tx, actor, idem, operation, id, store.now())
            .await?
    {
        return Ok(done);
    }
    super::lock_record(&mut tx, "destinations", id.as_str()).await?;
    let row = load(&mut tx, actor, id).await?;
    if input.version.is_some_and(|v| v != row.version) {
        return Err(ServiceError::Conflict(STALE.into()));
    }
    let state = state_of(&row)?;
    let action = pick(state);
    debug_assert_eq!(action.spec().operation_id, Some(operation));
    let effects = decide_destination(Some(state), action, party, &DestinationFacts::default())
        .map_err(|r| refused_destination(r, state, action))?;
    let (to, slot) = (effects.to, effects.slot);
    let spec = action.spec();
    let remark = super::reason_by(spec, input.reason.as_deref())?;
    let now = store.now();
    let mut release_proof = row.release_proof_id.clone();
    if spec.proof != ProofNeed::No {
        let Some(f) = file else {
            return Err(ServiceError::field("proof", "请上传解除的证明材料"));
        };
        let blobs = blobs.ok_or_else(|| anyhow::anyhow!("no blob store for a release proof"))?;
        release_proof = Some(
            save_upload(
                blobs,
                &mut tx,
                uploads("release_proof", actor, &row.school_id, f, now),
            )
            .await?
            .into(),
        );
    }
    let name = actor_name(&mut tx, actor).await?;
    let event = trail::NewEvent {
        record_kind: "destination",
        record_id: &row.id,
        school_id: &row.school_id,
        at: now,
        actor_account_id: Some(&actor.account_id),
        actor_name: &name,
        party: party.as_str(),
        action: action.as_str(),
        from_state: Some(state.as_str()),
        to_state: to.as_str(),
        remark: &remark,
        terms_hash: None,
    };
    let (seq, hash) = trail::next_head(&store.pii, row.trail_seq, &row.trail_hash, &event);
    // A reviewer's (or the unlocking administrator's) words are the record's review reason.
    let review_reason = if party == Party::Graduate {
        row.review_reason.clone()
    } else {
        Some(remark.clone())
    };
    let release_reason = if action == A::RequestRelease {
        Some(remark.clone())
    } else {
        row.release_reason.clone()
    };
    let n = sqlx::query(
        "UPDATE destinations SET state = $1, awaiting = $2, version = version + 1, trail_seq = $3, trail_hash = $4, \
         review_reason = $5, release_reason = $6, release_proof_id = $7, updated_at = $8 WHERE id = $9 AND version = $10",
    )
    .bind(to.as_str())
    .bind(effects.awaiting.map(|p| p.as_str()))
    .bind(seq)
    .bind(hash.clone())
    .bind(review_reason)
    .bind(release_reason)
    .bind(release_proof)
    .bind(now)
    .bind(row.id.clone())
    .bind(row.version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ServiceError::Conflict(STALE.into()));
    }
    match slot {
        OutcomeSlot::Release => release_outcome(&mut tx, &row.id).await?,
        OutcomeSlot::Take => {
            take_outcome(
                &mut tx,
                &row.graduate_id,
                &row.school_id,
                "destination",
                &row.id,
                now,
            )
            .await?
        }
        OutcomeSlot::Keep => {}
    }
    trail::insert(&mut tx, &event, seq, &row.trail_hash, &hash).await?;
    let m = NewMessage {
        at: now,
        school_id: &row.school_id,
        record_kind: "destination",
        record_id: &row.id,
        title: format!("毕业去向登记：{}", to.label()),
        body: format!(
            "{}的毕业去向登记（{}）{}{}",
            row.graduate_name,
            codes::DESTINATION.name_of(&row.category_code).unwrap_or(""),
            action.label(),
            if remark.is_empty() {
                String::new()
            } else {
                format!("。说明：{remark}")
            }
        ),
    };
    if effects.notify_department {
        messages::send(&mut tx, Recipient::Department(&row.department_id), &m).await?;
    }
    if effects.notify_graduate {
        messages::send(&mut tx, Recipient::Graduate(&row.graduate_id), &m).await?;
    }
    let applied = DestinationApplied {
        id: row.id.clone(),
        state: to.as_str().into(),
        state_label: to.label().into(),
        version: row.version + 1,
    };
    idempotency::remember(&mut tx, actor, idem, &applied).await?;
    tx.commit().await?;
    Ok(applied)
}

pub async fn withdraw_destination(
    store: &Store,
    actor: &Actor,
    id: &DestinationId,
    input: DestinationDecision,
    idem: Option<&IdemKey>,
) -> ServiceResult<DestinationApplied> {
    act(
        store,
        None,
        actor,
        id,
        |_| A::WithdrawRegistration,
        "withdraw_destination",
        input,
        None,
        idem,
    )
    .await
}

/// Review of a registration or of a release request, whichever is pending.
pub async fn review_destination(
    store: &Store,
    actor: &Actor,
    id: &DestinationId,
    input: DestinationDecision,
    idem: Option<&IdemKey>,
) -> ServiceResult<DestinationApplied> {
    let approve = input.approve;
    let pick = move |s: S| match (s, approve) {
        (S::ReleaseRequested, true) => A::ApproveRelease,
        (S::ReleaseRequested, false) => A::RejectRelease,
        (_, true) => A::Approve,
        (_, false) => A::RejectRegistration,
    };
    act(
        store,
        None,
        actor,
        id,
        pick,
        "review_destination",
        input,
        None,
        idem,
    )
    .await
}

/// The school administrator unlocks an approved destination (管理员后台解锁): the graduate is
/// 待就业 again and may sign or register anew; the reason is told to the graduate and kept in
/// the record's trail.
pub async fn unlock_destination(
    store: &Store,
    actor: &Actor,
    id: &DestinationId,
    input: DestinationDecision,
    idem: Option<&IdemKey>,
) -> ServiceResult<DestinationApplied> {
    act(
        store,
        None,
        actor,
        id,
        |_| A::Unlock,
        "unlock_destination",
        input,
        None,
        idem,
    )
    .await
}

fn refused_destination(r: Refusal, state: S, action: A) -> ServiceError {
    match r {
        Refusal::Role => ServiceError::Forbidden,
        Refusal::Fields(p) => field_errors(p),
        Refusal::Rule(m) => ServiceError::Conflict(m.to_string()),
        Refusal::State => ServiceError::Conflict(format!(
            "当前状态为“{}”，不能执行“{}”",
            state.label(),
            action.label()
        )),
    }
}

pub async fn request_destination_release(
    store: &Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    id: &DestinationId,
    input: DestinationDecision,
    proof: Option<UploadedFile>,
    idem: Option<&IdemKey>,
) -> ServiceResult<DestinationApplied> {
    act(
        store,
        Some(blobs),
        actor,
        id,
        |_| A::RequestRelease,
        "request_destination_release",
        input,
        proof,
        idem,
    )
    .await
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DestinationDetail {
    #[serde(flatten)]
    pub record: DestinationRow,
    pub category: String,
    pub state_label: String,
    pub actions: Vec<&'static str>,
    pub trail: Vec<trail::TrailEvent>,
    /// The proofs of registration, then the proof of release.
    pub uploads: Vec<crate::record_uploads::RecordUpload>,
}

pub async fn get_destination(
    store: &Store,
    actor: &Actor,
    id: &DestinationId,
) -> ServiceResult<DestinationDetail> {
    let mut conn = store.reader().acquire().await?;
    let row = load(&mut conn, actor, id).await?;
    let mut file_ids: Vec<String> = serde_json::from_str(&row.proof_ids).unwrap_or_default();
    file_ids.extend(row.release_proof_id.iter().map(|p| p.to_string()));
    let uploads = crate::record_uploads::files(&mut conn, &file_ids).await?;
    drop(conn);
    let state = state_of(&row)?;
    let actions = match Party::of(actor.role) {
        Some(p) => A::ALL
            .iter()
            .filter(|a| {
                decide_destination(Some(state), **a, p, &DestinationFacts::default()).is_ok()
            })
            .map(|a| a.as_str())
            .collect(),
        None => Vec::new(),
    };
    Ok(DestinationDetail {
        category: codes::DESTINATION
            .name_of(&row.category_code)
            .unwrap_or("")
            .to_string(),
        state_label: state.label().to_string(),
        trail: trail::events(store, &row.id).await?,
        actions,
        uploads,
        record: row,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DestinationFilter {
    pub state: Option<String>,
    /// Only what waits for the school's review (the home page's 待审核 count).
    #[serde(default)]
    pub awaiting_review: bool,
    pub graduation_year: Option<i64>,
    pub department_id: Option<String>,
    pub keyword: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// The `next` cursor of the previous page (keyset paging; `page` is then ignored).
    pub after: Option<String>,
}

/// Registrations and releases waiting for the school: one step, by either review level.
const AWAITING_REVIEW: &str = "d.state IN ('submitted', 'release_requested')";

/// The actor's scope over other destinations; companies never see them.
fn destination_scope(actor: &Actor) -> ServiceResult<Filter> {
    let mut q = Filter::new();
    match actor.role {
        Role::Graduate => {
            q.and_eq(
                "d.graduate_id",
                actor.graduate_id.clone().unwrap_or_default(),
            );
        }
        Role::DepartmentReviewer => {
            q.and_eq("d.school_id", actor.school_id.clone().unwrap_or_default())
                .and_eq(
                    "d.department_id",
                    actor.department_id.clone().unwrap_or_default(),
                );
        }
        Role::SchoolAdmin => {
            q.and_eq("d.school_id", actor.school_id.clone().unwrap_or_default());
        }
        Role::ProvincialAdmin => {}
        Role::EmployerMember => return Err(ServiceError::Forbidden),
    }
    Ok(q)
}

/// The staff member's 待审核 destinations: the total of `list_destinations` with
/// `awaiting_review`.
pub async fn count_awaiting_review(store: &Store, actor: &Actor) -> ServiceResult<i64> {
    let mut q = destination_scope(actor)?;
    q.and(AWAITING_REVIEW);
    let sql = format!("SELECT COUNT(*) FROM destinations d {}", q.where_sql());
    let (n,): (i64,) = q
        .bind(sqlx::query_as(&sql))
        .fetch_one(store.reader())
        .await?;
    Ok(n)
}

pub async fn list_destinations(
    store: &Store,
    actor: &Actor,
    f: &DestinationFilter,
) -> ServiceResult<Page<DestinationRow>> {
    let paging = Paging::new(f.page, f.per_page);
    let mut q = destination_scope(actor)?;
    if f.awaiting_review {
        q.and(AWAITING_REVIEW);
    }
    if let Some(s) = f.state.as_deref().filter(|s| !s.is_empty()) {
        q.and_eq("d.state", s);
    }
    if let Some(d) = f.department_id.as_deref().filter(|s| !s.is_empty()) {
        q.and_eq("d.department_id", d);
    }
    let keyword = f
        .keyword
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(k) = keyword {
        q.and_contains(&["g.name", "g.student_no"], k);
    }
    if let Some(y) = f.graduation_year {
        q.and_eq("d.graduation_year", y);
    }
    // Only a keyword needs the graduate while choosing the page's rows.
    let from = if keyword.is_some() {
        "FROM destinations d JOIN graduates g ON g.id = d.graduate_id"
    } else {
        "FROM destinations d"
    };
    let mut conn = store.reader().acquire().await?;
    let counting = q.clone();
    let count = q.count_column(from, None);
    let mut offset = paging.offset();
    let after = f.after.as_deref().filter(|s| !s.is_empty());
    if let Some(after) = after {
        let (at, id) = time_id_cursor(after)?;
        q.and_with(
            "d.updated_at <= ? AND (d.updated_at < ? OR d.id < ?)",
            [Arg::Int(at), Arg::Int(at), Arg::Text(id)],
        );
        offset = 0;
    }
    let limit = q.arg(paging.per_page + 1);
    let offset = q.arg(offset);
    let list_sql = format!(
        "SELECT {DESTINATION_COLUMNS}, {count} FROM destinations d JOIN graduates g ON g.id = d.graduate_id \
         WHERE d.id IN (SELECT d.id {from} {} ORDER BY d.updated_at DESC, d.id DESC LIMIT {limit} OFFSET {offset}) \
         ORDER BY d.updated_at DESC, d.id DESC",
        q.where_sql()
    );
    let rows = q
        .bind(sqlx::query_as::<_, Counted<DestinationRow>>(&list_sql))
        .fetch_all(&mut *conn)
        .await?;
    let (rows, total) = Counted::split(
        rows,
        after.is_none() && paging.offset() == 0,
        counting.count_capped(&mut *conn, from, None),
    )
    .await?;
    Ok(Page::from_rows(rows, paging, total, |d| {
        encode_cursor(&[&d.updated_at.to_string(), &d.id])
    }))
}

// ---------------------------------------------------------------------------------------------
// Drafts (暂存): the graduate's unfinished form, which takes no outcome and nobody reviews.

const DRAFT: &str = "去向登记草稿";

/// A graduate's saved draft.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DestinationDraft {
    pub graduate_id: GraduateId,
    /// The form as typed (it may be incomplete; 保存并送审 checks it).
    pub draft: RegisterDestination,
    pub version: i64,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveDestinationDraft {
    pub draft: RegisterDestination,
    /// The version read: a stale one answers 409. Absent: the draft is written whatever it was.
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct DraftRow {
    content: String,
    version: i64,
    updated_at: Millis,
}

/// The graduate's draft written by this account, if any.
async fn draft_row(
    conn: &mut AnyConnection,
    actor: &Actor,
    graduate_id: &GraduateId,
) -> ServiceResult<Option<DraftRow>> {
    Ok(sqlx::query_as::<_, DraftRow>(
        "SELECT content, version, updated_at FROM destination_drafts WHERE graduate_id = $1 AND account_id = $2",
    )
    .bind(graduate_id.to_string())
    .bind(actor.account_id.to_string())
    .fetch_optional(conn)
    .await?)
}

fn draft_of(graduate_id: &GraduateId, row: DraftRow) -> ServiceResult<DestinationDraft> {
    Ok(DestinationDraft {
        graduate_id: graduate_id.clone(),
        draft: serde_json::from_str(&row.content)
            .map_err(|e| anyhow::Error::from(e).context("destination draft"))?,
        version: row.version,
        updated_at: row.updated_at,
    })
}

/// Saves (暂存) the graduate's draft: incomplete is fine, but what it holds must fit the
/// category's form (every problem at once). It takes no outcome: an invitation can still be
/// accepted, and the draft waits.
pub async fn save_destination_draft(
    store: &Store,
    actor: &Actor,
    graduate_id: &GraduateId,
    input: SaveDestinationDraft,
) -> ServiceResult<DestinationDraft> {
    allow(policy::keep_destination_draft(actor, graduate_id), DRAFT)?;
    destination_form::check_draft(&input.draft.entry(0)).map_err(field_errors)?;
    let content = serde_json::to_string(&input.draft).map_err(anyhow::Error::from)?;
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    let current: Option<(i64, String)> =
        sqlx::query_as("SELECT version, account_id FROM destination_drafts WHERE graduate_id = $1")
            .bind(graduate_id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
    let version = match current {
        // Another account's draft (a binding released since) is replaced, never shown.
        Some((v, account)) => {
            let mine = account == actor.account_id.as_str();
            if mine && input.version.is_some_and(|expected| expected != v) {
                return Err(ServiceError::Conflict(STALE.into()));
            }
            let n = sqlx::query(
                "UPDATE destination_drafts SET content = $1, account_id = $2, version = version + 1, updated_at = $3 \
                 WHERE graduate_id = $4 AND version = $5",
            )
            .bind(content)
            .bind(actor.account_id.to_string())
            .bind(now)
            .bind(graduate_id.to_string())
            .bind(v)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(ServiceError::Conflict(STALE.into()));
            }
            v + 1
        }
        None => {
            sqlx::query(
                "INSERT INTO destination_drafts (graduate_id, school_id, account_id, content, version, created_at, updated_at) \
                 SELECT g.id, g.school_id, $2, $3, 1, $4, $4 FROM graduates g WHERE g.id = $1",
            )
            .bind(graduate_id.to_string())
            .bind(actor.account_id.to_string())
            .bind(content)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            1
        }
    };
    tx.commit().await?;
    Ok(DestinationDraft {
        graduate_id: graduate_id.clone(),
        draft: input.draft,
        version,
        updated_at: now,
    })
}

/// The graduate's draft (404 when there is none).
pub async fn get_destination_draft(
    store: &Store,
    actor: &Actor,
    graduate_id: &GraduateId,
) -> ServiceResult<DestinationDraft> {
    allow(policy::keep_destination_draft(actor, graduate_id), DRAFT)?;
    let mut conn = store.reader().acquire().await?;
    let row = draft_row(&mut conn, actor, graduate_id)
        .await?
        .ok_or(ServiceError::NotFound(DRAFT))?;
    draft_of(graduate_id, row)
}

/// The graduate's draft, or none: for the form, which opens the draft when there is one.
pub async fn find_destination_draft(
    store: &Store,
    actor: &Actor,
    graduate_id: &GraduateId,
) -> ServiceResult<Option<DestinationDraft>> {
    match get_destination_draft(store, actor, graduate_id).await {
        Ok(d) => Ok(Some(d)),
        Err(ServiceError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Discards the graduate's draft (404 when there is none).
pub async fn delete_destination_draft(
    store: &Store,
    actor: &Actor,
    graduate_id: &GraduateId,
) -> ServiceResult<()> {
    allow(policy::keep_destination_draft(actor, graduate_id), DRAFT)?;
    let n =
        sqlx::query("DELETE FROM destination_drafts WHERE graduate_id = $1 AND account_id = $2")
            .bind(graduate_id.to_string())
            .bind(actor.account_id.to_string())
            .execute(store.writer())
            .await?
            .rows_affected();
    if n == 0 {
        return Err(ServiceError::NotFound(DRAFT));
    }
    Ok(())
}
