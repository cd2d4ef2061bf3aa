//! The agreement document's records (SPEC §9): gathering what a PDF prints, the templates per
//! school and cohort, the content hashes QR tokens carry, print records and counts, the public
//! check of a token, signature and seal images, and self-service print codes.
//!
//! Rendering and sealing happen in `wangqian-document` / `wangqian-seal`, called by the web
//! layer; this module decides nothing itself: printability, copies, the binding sentence and
//! the verdict come from `wangqian_domain::document`.

use serde::Serialize;
use sqlx::AnyConnection;
use wangqian_document::{
    DocumentData, EmployerData, GraduateData, Images, SchoolContact, SignatureData, TemplateKind,
    TermsData,
};
use wangqian_domain::codes;
use wangqian_domain::document::{self as doc, Printable, TokenClaims, Verdict};
use wangqian_domain::lifecycle::{AgreementAction, AgreementKind, AgreementState, Party};
use wangqian_domain::policy;
use wangqian_domain::role::{Actor, Role};
use wangqian_domain::terms::{AgreementTerms, PaperEmployer};

use crate::blobs::{self, BlobStore, NewUpload};
use crate::employers::UploadedFile;
use crate::error::allow;
use crate::lifecycle::{load_visible, AgreementRow};
use crate::pii::PiiField;
use crate::query::{Counted, Filter};
use crate::{new_id, settings, Page, Paging, ServiceError, ServiceResult, Store};
use crate::{AgreementId, Millis, SchoolId};

/// A date as printed: 2027年3月4日 (China time).
pub fn china_day(at: Millis) -> String {
    let d = wangqian_domain::lifecycle::china_date(at);
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

/// Everything needed to render one document of one agreement.
pub struct DocumentJob {
    pub agreement_id: AgreementId,
    pub school_id: SchoolId,
    pub number: Option<String>,
    pub terms_version: i64,
    pub template_kind: TemplateKind,
    pub template_source: String,
    /// Where the template came from: 学校模板 / 全省模板 / 系统默认模板.
    pub template_origin: &'static str,
    /// `verify_url` is left empty: it needs the content hash, computed from the rest.
    pub data: DocumentData,
    pub images: Images,
    /// The viewer's side, for the print record.
    pub party: String,
    pub file_name: String,
}

impl DocumentJob {
    pub fn claims(&self, content_hash: &str) -> TokenClaims {
        TokenClaims::new(
            &self.agreement_id,
            self.number.as_deref(),
            self.terms_version,
            content_hash,
        )
    }
}

/// Which document of an agreement is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// The agreement as it can be printed now (refused with the reason otherwise).
    Agreement,
    /// The agreement for the evidence package: also after termination, as it was last in force.
    Evidence,
    /// The standard termination proof of a paper agreement.
    TerminationForm,
}

/// Loads and checks everything a document prints. 404 outside the viewer's scope, 409 with the
/// reason when the state has nothing to print.
pub async fn prepare(
    store: &Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    agreement_id: &AgreementId,
    want: Want,
) -> ServiceResult<DocumentJob> {
    let mut conn = store.reader().acquire().await?;
    let row = load_visible(&mut conn, actor, agreement_id).await?;
    let party = Party::of(actor.role).map_or("province", Party::as_str);
    let kind = row.kind();
    let state = row.state_at(store.now())?;
    let numbered = row.number.is_some();
    let template_kind = match want {
        Want::Agreement => match doc::printable(kind, state, numbered) {
            Ok(Printable::Agreement) if kind == AgreementKind::Online => TemplateKind::Online,
            Ok(_) => TemplateKind::Paper,
            Err(reason) => return Err(ServiceError::Conflict(reason)),
        },
        Want::Evidence => {
            doc::evidence_available(kind, state, numbered).map_err(ServiceError::Conflict)?;
            template_of(kind)
        }
        Want::TerminationForm => {
            doc::termination_form_available(kind, state).map_err(ServiceError::Conflict)?;
            TemplateKind::Termination
        }
    };
    let (template_source, template_origin) = template_for(
        &mut conn,
        &row.school_id,
        row.graduation_year,
        template_kind,
    )
    .await?;
    let settings = settings::effective_in(&mut conn, &row.school_id, row.year()).await?;
    let graduate = graduate_data(&mut conn, store, &row).await?;
    let school = school_contact(&mut conn, &row.school_id).await?;
    let (employer, employer_images) = employer_data(&mut conn, &row).await?;
    let terms: AgreementTerms = serde_json::from_str(&row.terms).unwrap_or_default();
    let version_date = version_date(&mut conn, &row).await?;
    let signatures = signature_data(&mut conn, &row, &terms).await?;
    let graduate_signature: Option<(String,)> =
        sqlx::query_as("SELECT signature_upload_id FROM graduates WHERE id = $1 AND signature_upload_id IS NOT NULL")
            .bind(row.graduate_id.clone())
            .fetch_optional(&mut *conn)
            .await?;
    let binding = row.binding_moment.0;
    let copies = match template_kind {
        TemplateKind::Termination => doc::copy_labels(1),
        _ => doc::copy_labels(settings.agreement_copies),
    };
    drop(conn);
    let images = Images {
        graduate_signature: load_image(store, blobs, graduate_signature.map(|r| r.0)).await?,
        employer_signature: load_image(store, blobs, employer_images.0).await?,
        employer_seal: load_image(store, blobs, employer_images.1).await?,
    };
    let mut notes = Vec::new();
    if template_kind == TemplateKind::Paper && row.number.is_none() {
        notes.push(
            "请用 A4 纸打印本协议书，毕业生本人签字、用人单位盖章后，拍照或扫描上传至网签平台，学校审核通过后生效。"
                .to_string(),
        );
    }
    if template_kind == TemplateKind::Termination {
        notes.push("解约原因：".to_string());
    }
    let year = row.graduation_year.to_string();
    let data = DocumentData {
        title: format!("{} {}届毕业生就业协议书", school.0, year),
        school_name: school.0.clone(),
        graduation_year: year,
        number: row.number.clone().unwrap_or_default(),
        kind_label: kind.label().to_string(),
        state_label: state.label().to_string(),
        copies,
        graduate,
        school_contact: school.1,
        employer,
        terms: terms_data(&terms, row.terms_version, &version_date),
        binding_sentence: doc::binding_sentence(binding).to_string(),
        signatures: SignatureData {
            has_graduate_signature: images.graduate_signature.is_some(),
            has_employer_signature: images.employer_signature.is_some(),
            has_employer_seal: images.employer_seal.is_some(),
            ..signatures
        },
        notes,
        verify_url: String::new(),
        rendered_on: china_day(store.now()),
    };
    let stem = row.number.clone().unwrap_or_else(|| row.id.to_string());
    let file_name = match template_kind {
        TemplateKind::Termination => format!("jieyue-{stem}.pdf"),
        _ => format!("xieyi-{stem}.pdf"),
    };
    Ok(DocumentJob {
        agreement_id: row.id.clone(),
        school_id: row.school_id.clone(),
        number: row.number.clone(),
        terms_version: row.terms_version,
        template_kind,
        template_source,
        template_origin,
        data,
        images,
        party: party.to_string(),
        file_name,
    })
}

fn template_of(kind: AgreementKind) -> TemplateKind {
    match kind {
        AgreementKind::Online => TemplateKind::Online,
        AgreementKind::Paper => TemplateKind::Paper,
    }
}

/// The template in force for a school's cohort: the school's own, else the province's, else
/// the built-in one.
pub(crate) async fn template_for(
    conn: &mut AnyConnection,
    school_id: &str,
    year: i64,
    kind: TemplateKind,
) -> ServiceResult<(String, &'static str)> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT scope, source FROM document_templates WHERE scope IN ($1, 'province') AND graduation_year = $2 AND kind = $3",
    )
    .bind(school_id.to_string())
    .bind(year)
    .bind(kind.as_str())
    .fetch_all(conn)
    .await?;
    if let Some((_, s)) = rows.iter().find(|(scope, _)| scope == school_id) {
        return Ok((s.clone(), "学校模板"));
    }
    if let Some((_, s)) = rows.into_iter().next() {
        return Ok((s, "全省模板"));
    }
    Ok((kind.default_source().to_string(), "系统默认模板"))
}

async fn load_image(
    store: &Store,
    blobs: &dyn BlobStore,
    upload_id: Option<String>,
) -> ServiceResult<Option<Vec<u8>>> {
    let Some(id) = upload_id else {
        return Ok(None);
    };
    let Some(u) = blobs::find_upload(store, &id).await? else {
        return Ok(None);
    };
    let bytes = blobs
        .get(&u.storage_key)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(Some(bytes))
}

#[derive(sqlx::FromRow)]
struct GraduateRow {
    name: String,
    gender: String,
    ethnicity_code: Option<String>,
    political_status_code: Option<String>,
    student_no: String,
    id_number_enc: String,
    education_level_code: String,
    training_mode_code: String,
    department: String,
    major: String,
    years_of_schooling: i64,
    mobile_enc: Option<String>,
    email: Option<String>,
    home_address_enc: Option<String>,
}

/// The graduate as the agreement names them: in full, since the agreement identifies its party.
async fn graduate_data(
    conn: &mut AnyConnection,
    store: &Store,
    row: &AgreementRow,
) -> ServiceResult<GraduateData> {
    let g: GraduateRow = sqlx::query_as(
        "SELECT g.name, g.gender, g.ethnicity_code, g.political_status_code, g.student_no, g.id_number_enc, \
         g.education_level_code, g.training_mode_code, d.name AS department, m.name AS major, g.years_of_schooling, \
         g.mobile_enc, g.email, g.home_address_enc FROM graduates g JOIN departments d ON d.id = g.department_id \
         JOIN majors m ON m.id = g.major_id WHERE g.id = $1",
    )
    .bind(row.graduate_id.clone())
    .fetch_one(conn)
    .await?;
    let decrypt = |field, v: &Option<String>| -> ServiceResult<String> {
        match v {
            Some(c) => Ok(store.pii.decrypt(field, c)?),
            None => Ok(String::new()),
        }
    };
    let code = |table: &codes::CodeTable, c: &Option<String>| {
        c.as_deref()
            .and_then(|c| table.name_of(c))
            .unwrap_or("")
            .to_string()
    };
    Ok(GraduateData {
        gender: codes::GENDER
            .name_of(&g.gender)
            .unwrap_or(&g.gender)
            .to_string(),
        ethnicity: code(&codes::ETHNICITY, &g.ethnicity_code),
        political_status: code(&codes::POLITICAL_STATUS, &g.political_status_code),
        id_number: store.pii.decrypt(PiiField::IdNumber, &g.id_number_enc)?,
        education_level: codes::EDUCATION_LEVEL
            .name_of(&g.education_level_code)
            .unwrap_or("")
            .to_string(),
        training_mode: codes::TRAINING_MODE
            .name_of(&g.training_mode_code)
            .unwrap_or("")
            .to_string(),
        years_of_schooling: g.years_of_schooling.to_string(),
        phone: decrypt(PiiField::Mobile, &g.mobile_enc)?,
        email: decrypt(PiiField::Email, &g.email)?,
        home_address: decrypt(PiiField::HomeAddress, &g.home_address_enc)?,
        name: g.name,
        student_no: g.student_no,
        department: g.department,
        major: g.major,
    })
}

/// The school's name and its contact block.
async fn school_contact(
    conn: &mut AnyConnection,
    school_id: &str,
) -> ServiceResult<(String, SchoolContact)> {
    let (name, department, person, address, phone): (String, String, String, String, String) =
        sqlx::query_as(
            "SELECT name, contact_department, contact_person, address, contact_phone FROM schools WHERE id = $1",
        )
        .bind(school_id.to_string())
        .fetch_one(conn)
        .await?;
    Ok((
        name,
        SchoolContact {
            department,
            person,
            address,
            phone,
        },
    ))
}

type EmployerImages = (Option<String>, Option<String>);

#[derive(sqlx::FromRow)]
struct EmployerRowForDocument {
    email: String,
    hr_email: String,
    address: String,
    postcode: String,
    phone: String,
    province: String,
    city: String,
    unit_nature_code: String,
    industry_code: String,
    signature_upload_id: Option<String>,
    seal_upload_id: Option<String>,
}

/// Party B: the registered employer (online), or what the graduate copied from the paper.
async fn employer_data(
    conn: &mut AnyConnection,
    row: &AgreementRow,
) -> ServiceResult<(EmployerData, EmployerImages)> {
    let terms: AgreementTerms = serde_json::from_str(&row.terms).unwrap_or_default();
    let nature = |c: &str| codes::UNIT_NATURE.name_of(c).unwrap_or("").to_string();
    let industry = |c: &str| codes::INDUSTRY.name_of(c).unwrap_or("").to_string();
    if let Some(employer_id) = &row.employer_id {
        let e: EmployerRowForDocument = sqlx::query_as(
            "SELECT email, hr_email, address, postcode, phone, province, city, unit_nature_code, \
             industry_code, signature_upload_id, seal_upload_id FROM employers WHERE id = $1",
        )
        .bind(employer_id.clone())
        .fetch_one(conn)
        .await?;
        let email = if e.hr_email.is_empty() {
            e.email
        } else {
            e.hr_email
        };
        return Ok((
            EmployerData {
                name: row.employer_name.clone(),
                credit_code: row.employer_credit_code.clone(),
                contact: terms.contact_name.clone(),
                phone: if terms.contact_phone.is_empty() {
                    e.phone
                } else {
                    terms.contact_phone.clone()
                },
                email,
                address: e.address,
                postcode: e.postcode,
                nature: nature(&e.unit_nature_code),
                industry: industry(&e.industry_code),
                location: format!("{}{}", e.province, e.city),
            },
            (e.signature_upload_id, e.seal_upload_id),
        ));
    }
    let p: PaperEmployer = row
        .paper_employer
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    Ok((
        EmployerData {
            name: p.name,
            credit_code: p.credit_code,
            contact: terms.contact_name.clone(),
            phone: terms.contact_phone.clone(),
            email: String::new(),
            address: p.address,
            postcode: p.postcode,
            nature: nature(&p.unit_nature_code),
            industry: industry(&p.industry_code),
            location: p.location,
        },
        (None, None),
    ))
}

/// When the terms in force came into force (or were proposed, for the first version).
async fn version_date(conn: &mut AnyConnection, row: &AgreementRow) -> ServiceResult<String> {
    let v: Option<(Millis, Option<Millis>)> = sqlx::query_as(
        "SELECT proposed_at, decided_at FROM agreement_versions WHERE agreement_id = $1 AND version_no = $2",
    )
    .bind(row.id.clone())
    .bind(row.terms_version)
    .fetch_optional(conn)
    .await?;
    Ok(v.map(|(p, d)| china_day(d.unwrap_or(p)))
        .unwrap_or_else(|| china_day(row.created_at)))
}

fn money(yuan: u32) -> String {
    if yuan == 0 {
        "—".into()
    } else {
        yuan.to_string()
    }
}

fn terms_data(t: &AgreementTerms, version: i64, date: &str) -> TermsData {
    let report_deadline = time::Date::parse(
        &t.report_deadline,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map(|d| format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day()))
    .unwrap_or_else(|_| t.report_deadline.clone());
    TermsData {
        version: format!("第 {version} 版"),
        version_date: date.to_string(),
        position_category: t.position_category.clone(),
        position: t.position.clone(),
        probation_months: t.probation_months.to_string(),
        probation_salary: money(t.probation_salary_yuan),
        regular_salary: money(t.regular_salary_yuan),
        breach_penalty: money(t.breach_penalty_yuan),
        report_place: t.report_place.clone(),
        report_deadline,
        work_location: t.work_location.clone(),
        archive_receiver: t.archive_receiver.clone(),
        household_receiver: t.household_receiver.clone(),
        agreed_terms: t.agreed_terms.clone(),
    }
}

/// The dates of each party's act, read from the flow trail (the last time each happened).
async fn signature_data(
    conn: &mut AnyConnection,
    row: &AgreementRow,
    terms: &AgreementTerms,
) -> ServiceResult<SignatureData> {
    let events: Vec<(String, String, String, Millis)> = sqlx::query_as(
        "SELECT party, action, to_state, at FROM flow_events WHERE record_id = $1 ORDER BY seq",
    )
    .bind(row.id.clone())
    .fetch_all(&mut *conn)
    .await?;
    let mut s = SignatureData {
        employer_agent: terms.contact_name.clone(),
        ..SignatureData::default()
    };
    let accept = AgreementAction::Accept.as_str();
    let approve = AgreementAction::ApproveSigning.as_str();
    for (party, action, to_state, at) in &events {
        let day = china_day(*at);
        match (party.as_str(), action.as_str()) {
            ("graduate", a) if a == accept => s.graduate_date = day,
            ("graduate", "submit_paper" | "upload_signed_scan") => s.graduate_date = day,
            ("employer", "invite" | "resend" | "edit_invitation") => s.employer_date = day,
            ("department_reviewer", a) if a == approve => s.department_date = day,
            ("school_admin", a) if a == approve && to_state == "effective" => s.school_date = day,
            _ => {}
        }
    }
    if !s.department_date.is_empty() {
        let (name,): (String,) = sqlx::query_as("SELECT name FROM departments WHERE id = $1")
            .bind(row.department_id.clone())
            .fetch_one(&mut *conn)
            .await?;
        s.department_name = name;
    }
    if s.school_date.is_empty() {
        if let Some(at) = row.effective_at {
            s.school_date = china_day(at);
        }
    }
    Ok(s)
}

/// How a rendered document left the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Downloaded (下载/打印) by a party or the school: counted as a print.
    Download,
    /// Fetched by a PC after the graduate confirmed a print code: counted as a print.
    SelfService,
    /// Part of an evidence package or a termination form: not a print of the agreement.
    NotCounted,
}

/// Records a rendered document: its content hash (so that its QR reads genuine) and, for a
/// print, the print record and the agreement's count, in one transaction.
pub async fn record_rendered(
    store: &Store,
    job: &DocumentJob,
    content_hash: &str,
    account_id: Option<&str>,
    delivery: Delivery,
) -> ServiceResult<()> {
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "INSERT INTO agreement_documents (agreement_id, content_hash, school_id, terms_version, template_kind, first_rendered_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agreement_id, content_hash) DO NOTHING",
    )
    .bind(job.agreement_id.clone())
    .bind(content_hash.to_string())
    .bind(job.school_id.clone())
    .bind(job.terms_version)
    .bind(job.template_kind.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let via = match delivery {
        Delivery::Download => Some("download"),
        Delivery::SelfService => Some("self_service"),
        Delivery::NotCounted => None,
    };
    if let Some(via) = via {
        sqlx::query(
            "INSERT INTO print_records (id, agreement_id, school_id, account_id, party, via, content_hash, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(job.agreement_id.clone())
        .bind(job.school_id.clone())
        .bind(account_id.map(str::to_string))
        .bind(job.party.clone())
        .bind(via)
        .bind(content_hash.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO agreement_print_stats (agreement_id, school_id, print_count, last_printed_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (agreement_id) DO UPDATE SET print_count = agreement_print_stats.print_count + 1, last_printed_at = $3",
        )
        .bind(job.agreement_id.clone())
        .bind(job.school_id.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The public check of a QR token

/// What the public page shows: masked, current.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyView {
    /// genuine / terminated / superseded / not_in_force / forged
    pub verdict: &'static str,
    pub headline: String,
    /// Issued by the platform (whatever became of the agreement since).
    pub authentic: bool,
    /// Shown in red: terminated, superseded, not in force or forged.
    pub warning: bool,
    pub number: Option<String>,
    pub state: Option<String>,
    pub state_label: Option<String>,
    /// When the current state began (the termination date for a terminated agreement).
    pub state_since: Option<String>,
    pub school_name: Option<String>,
    pub graduation_year: Option<i64>,
    pub employer_name: Option<String>,
    pub graduate_name_masked: Option<String>,
    pub graduate_id_masked: Option<String>,
    pub token_terms_version: Option<i64>,
    pub current_terms_version: Option<i64>,
}

impl VerifyView {
    pub fn forged() -> VerifyView {
        VerifyView {
            verdict: Verdict::Forged.code(),
            headline: Verdict::Forged.headline(),
            authentic: false,
            warning: true,
            number: None,
            state: None,
            state_label: None,
            state_since: None,
            school_name: None,
            graduation_year: None,
            employer_name: None,
            graduate_name_masked: None,
            graduate_id_masked: None,
            token_terms_version: None,
            current_terms_version: None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct VerifyRow {
    state: String,
    number: Option<String>,
    terms_version: i64,
    graduation_year: i64,
    employer_name: String,
    updated_at: Millis,
    deadline_at: Option<Millis>,
    school_name: String,
    graduate_name: String,
    id_number_masked: String,
}

/// Judges claims whose signature the caller has checked with the platform's public key.
pub async fn verify_claims(store: &Store, claims: &TokenClaims) -> ServiceResult<VerifyView> {
    let row: Option<VerifyRow> = sqlx::query_as(
        "SELECT a.state, a.number, a.terms_version, a.graduation_year, a.employer_name, a.updated_at, a.deadline_at, \
         s.name AS school_name, g.name AS graduate_name, g.id_number_masked FROM agreements a \
         JOIN schools s ON s.id = a.school_id JOIN graduates g ON g.id = a.graduate_id WHERE a.id = $1",
    )
    .bind(claims.agreement_id.clone())
    .fetch_optional(store.reader())
    .await?;
    let Some(row) = row else {
        return Ok(VerifyView::forged());
    };
    if row.number != claims.number {
        return Ok(VerifyView::forged());
    }
    let known: Option<(i64,)> = sqlx::query_as(
        "SELECT terms_version FROM agreement_documents WHERE agreement_id = $1 AND SUBSTR(content_hash, 1, 32) = $2",
    )
    .bind(claims.agreement_id.clone())
    .bind(claims.content_hash_prefix.to_ascii_lowercase())
    .fetch_optional(store.reader())
    .await?;
    let content_known = known.is_some_and(|(v,)| v == claims.terms_version);
    let stored = AgreementState::parse(&row.state)
        .ok_or_else(|| anyhow::anyhow!("unknown agreement state {}", row.state))?;
    let state = wangqian_domain::lifecycle::state_at(stored, row.deadline_at, store.now());
    let verdict = Verdict::judge(
        state,
        claims.terms_version,
        row.terms_version,
        content_known,
    );
    if verdict == Verdict::Forged {
        return Ok(VerifyView::forged());
    }
    // The state began with the record's last change (the trail's last event).
    let since: Option<(Millis,)> =
        sqlx::query_as("SELECT at FROM flow_events WHERE record_id = $1 ORDER BY seq DESC LIMIT 1")
            .bind(claims.agreement_id.clone())
            .fetch_optional(store.reader())
            .await?;
    Ok(VerifyView {
        verdict: verdict.code(),
        headline: verdict.headline(),
        authentic: verdict.issued_by_platform(),
        warning: verdict.is_warning(),
        number: row.number,
        state: Some(state.as_str().to_string()),
        state_label: Some(state.label().to_string()),
        state_since: Some(china_day(since.map_or(row.updated_at, |s| s.0))),
        school_name: Some(row.school_name),
        graduation_year: Some(row.graduation_year),
        employer_name: Some(row.employer_name),
        graduate_name_masked: Some(doc::mask_name(&row.graduate_name)),
        graduate_id_masked: Some(row.id_number_masked),
        token_terms_version: Some(claims.terms_version),
        current_terms_version: Some(row.terms_version),
    })
}

/// Counts one public request (a QR check, a print code) under `key`; true once `max` were made
/// in the window.
pub async fn note_public_request(
    store: &Store,
    key: &str,
    window_ms: i64,
    max: i64,
) -> ServiceResult<bool> {
    let now = store.now();
    if crate::accounts::throttled(store, key, now, window_ms, max).await? {
        return Ok(true);
    }
    crate::accounts::note_throttle(store, key, now, window_ms).await?;
    Ok(false)
}

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TemplateRow {
    /// A school id, or `province`.
    pub scope: String,
    pub graduation_year: i64,
    pub kind: String,
    pub sha256: String,
    pub uploaded_by: Option<String>,
    pub updated_at: Millis,
    #[sqlx(skip)]
    pub kind_label: String,
}

/// Where a template applies: the actor's school, or the whole province.
fn template_scope(actor: &Actor) -> ServiceResult<Option<SchoolId>> {
    match actor.role {
        Role::SchoolAdmin => Ok(actor.school_id.clone()),
        Role::ProvincialAdmin => Ok(None),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Checks the actor may upload templates (before the costly sample render).
pub fn may_manage_templates(actor: &Actor) -> ServiceResult<()> {
    let scope = template_scope(actor)?;
    allow(policy::manage_templates(actor, scope.as_ref()), "学校")
}

/// Stores a template that has already rendered the sample agreement (the caller renders it,
/// off the async threads). Replaces the scope's template for that cohort and kind.
pub async fn put_template(
    store: &Store,
    actor: &Actor,
    year: i64,
    kind: TemplateKind,
    source: &str,
) -> ServiceResult<TemplateRow> {
    let scope = template_scope(actor)?;
    allow(policy::manage_templates(actor, scope.as_ref()), "学校")?;
    if !(2000..=2100).contains(&year) {
        return Err(ServiceError::field(
            "graduation_year",
            "毕业年度应在2000至2100之间",
        ));
    }
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(source.as_bytes()));
    let scope = scope.map_or_else(|| "province".to_string(), SchoolId::into_string);
    let now = store.now();
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "INSERT INTO document_templates (scope, graduation_year, kind, source, sha256, uploaded_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (scope, graduation_year, kind) DO UPDATE SET \
         source = $4, sha256 = $5, uploaded_by = $6, updated_at = $7",
    )
    .bind(scope.clone())
    .bind(year)
    .bind(kind.as_str())
    .bind(source.to_string())
    .bind(sha.clone())
    .bind(actor.account_id.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    crate::audit::record(
        &mut tx,
        crate::audit::AuditEntry {
            at: now,
            actor_account_id: Some(&actor.account_id),
            action: "upload_agreement_template",
            target_kind: "document_template",
            target_id: &format!("{scope}/{year}/{}", kind.as_str()),
            school_id: (scope != "province").then_some(scope.as_str()),
            detail: serde_json::json!({ "sha256": sha }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(TemplateRow {
        scope,
        graduation_year: year,
        kind: kind.as_str().to_string(),
        sha256: sha,
        uploaded_by: Some(actor.account_id.to_string()),
        updated_at: now,
        kind_label: kind.label().to_string(),
    })
}

/// The templates that apply to the actor's school (its own and the province's).
pub async fn list_templates(store: &Store, actor: &Actor) -> ServiceResult<Vec<TemplateRow>> {
    let scope = template_scope(actor)?;
    allow(policy::manage_templates(actor, scope.as_ref()), "学校")?;
    let mut rows: Vec<TemplateRow> = sqlx::query_as(
        "SELECT scope, graduation_year, kind, sha256, uploaded_by, updated_at FROM document_templates \
         WHERE scope IN ($1, 'province') ORDER BY graduation_year DESC, kind, scope",
    )
    .bind(scope.unwrap_or_else(|| "province".into()))
    .fetch_all(store.reader())
    .await?;
    for r in &mut rows {
        r.kind_label = TemplateKind::parse(&r.kind)
            .map(|k| k.label().to_string())
            .unwrap_or_default();
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Print management (打印管理)

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PrintFilter {
    pub state: Option<String>,
    pub graduation_year: Option<i64>,
    pub department_id: Option<String>,
    /// Graduate name, student number, employer name or agreement number.
    pub keyword: Option<String>,
    /// Only agreements never printed.
    #[serde(default)]
    pub unprinted: bool,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PrintRow {
    pub agreement_id: String,
    pub number: Option<String>,
    pub kind: String,
    pub state: String,
    pub graduate_name: String,
    pub student_no: String,
    pub department: String,
    pub major: String,
    pub employer_name: String,
    pub employer_credit_code: String,
    pub unit_nature_code: Option<String>,
    pub print_count: i64,
    /// Unix milliseconds.
    pub last_printed_at: Option<Millis>,
    #[sqlx(skip)]
    pub state_label: String,
    #[sqlx(skip)]
    pub unit_nature: String,
}

/// Agreements that have been numbered, with how often and when they were last printed. The
/// school's staff see their school (a reviewer their department); the province sees all.
pub async fn list_print_records(
    store: &Store,
    actor: &Actor,
    f: &PrintFilter,
) -> ServiceResult<Page<PrintRow>> {
    allow(policy::view_print_records(actor), "学校")?;
    let paging = Paging::new(f.page, f.per_page);
    let mut q = Filter::new();
    q.and("a.number IS NOT NULL");
    match actor.role {
        Role::SchoolAdmin => {
            q.and_eq("a.school_id", actor.school_id.clone().unwrap_or_default());
        }
        Role::DepartmentReviewer => {
            q.and_eq("a.school_id", actor.school_id.clone().unwrap_or_default())
                .and_eq(
                    "a.department_id",
                    actor.department_id.clone().unwrap_or_default(),
                );
        }
        _ => {}
    }
    if let Some(s) = f.state.as_deref().filter(|s| !s.is_empty()) {
        let state = AgreementState::parse(s)
            .ok_or_else(|| ServiceError::field("state", "未知的协议状态"))?;
        q.and_eq("a.state", state.as_str());
    }
    if let Some(d) = f.department_id.as_deref().filter(|s| !s.is_empty()) {
        q.and_eq("a.department_id", d);
    }
    let keyword = f
        .keyword
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(k) = keyword {
        q.and_contains(
            &["g.name", "g.student_no", "a.employer_name", "a.number"],
            k,
        );
    }
    if let Some(y) = f.graduation_year {
        q.and_eq("a.graduation_year", y);
    }
    if f.unprinted {
        q.and("NOT EXISTS (SELECT 1 FROM agreement_print_stats s WHERE s.agreement_id = a.id)");
    }
    // The page's rows are chosen from agreements alone (the graduate only for a keyword);
    // the other tables are read for the rows shown, by scalar subqueries where they only name
    // something (planning a six-way join took 1.7 ms on PostgreSQL, running it 0.3 ms).
    let from = if keyword.is_some() {
        "FROM agreements a JOIN graduates g ON g.id = a.graduate_id"
    } else {
        "FROM agreements a"
    };
    // The numbered-agreements index holds the scope and the order: only the unfiltered list
    // counts along it.
    let covered = keyword.is_none()
        && !f.unprinted
        && f.graduation_year.is_none()
        && f.state.as_deref().is_none_or(str::is_empty)
        && f.department_id.as_deref().is_none_or(str::is_empty);
    let along = covered.then_some("a.effective_at DESC, a.id DESC");
    let mut conn = store.reader().acquire().await?;
    let counting = q.clone();
    let count = q.count_column(from, along);
    let limit = q.arg(paging.per_page + 1);
    let offset = q.arg(paging.offset());
    let list_sql = format!(
        "SELECT {count}, a.id AS agreement_id, a.number, a.kind, a.state, g.name AS graduate_name, g.student_no, \
         (SELECT d.name FROM departments d WHERE d.id = a.department_id) AS department, \
         (SELECT m.name FROM majors m WHERE m.id = g.major_id) AS major, a.employer_name, a.employer_credit_code, \
         (SELECT e.unit_nature_code FROM employers e WHERE e.id = a.employer_id) AS unit_nature_code, \
         COALESCE(ps.print_count, 0) AS print_count, ps.last_printed_at \
         FROM agreements a JOIN graduates g ON g.id = a.graduate_id \
         LEFT JOIN agreement_print_stats ps ON ps.agreement_id = a.id \
         WHERE a.id IN (SELECT a.id {from} {} ORDER BY a.effective_at DESC, a.id DESC LIMIT {limit} OFFSET {offset}) \
         ORDER BY a.effective_at DESC, a.id DESC",
        q.where_sql()
    );
    let rows = q
        .bind(sqlx::query_as::<_, Counted<PrintRow>>(&list_sql))
        .fetch_all(&mut *conn)
        .await?;
    let (rows, total) = Counted::split(
        rows,
        paging.offset() == 0,
        counting.count_capped(&mut *conn, from, along),
    )
    .await?;
    let mut page = Page::from_rows(rows, paging, total, |_| String::new()).without_cursor();
    for r in &mut page.items {
        r.state_label = AgreementState::parse(&r.state)
            .map(|s| s.label().to_string())
            .unwrap_or_default();
        r.unit_nature = r
            .unit_nature_code
            .as_deref()
            .and_then(|c| codes::UNIT_NATURE.name_of(c))
            .unwrap_or("")
            .to_string();
    }
    Ok(page)
}

// ---------------------------------------------------------------------------------------------
// Signature and seal images

/// Which image an account keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureImage {
    /// The graduate's handwritten signature.
    Graduate,
    /// The employer's signature (经办人签字).
    EmployerSignature,
    /// The company seal (公章).
    EmployerSeal,
}

impl SignatureImage {
    pub fn parse(s: &str) -> Option<SignatureImage> {
        match s.trim() {
            "graduate_signature" => Some(SignatureImage::Graduate),
            "employer_signature" => Some(SignatureImage::EmployerSignature),
            "employer_seal" => Some(SignatureImage::EmployerSeal),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SignatureImage::Graduate => "graduate_signature",
            SignatureImage::EmployerSignature => "employer_signature",
            SignatureImage::EmployerSeal => "employer_seal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SignatureImage::Graduate => "毕业生签名",
            SignatureImage::EmployerSignature => "单位经办人签名",
            SignatureImage::EmployerSeal => "单位公章",
        }
    }

    fn for_employer(self) -> bool {
        self != SignatureImage::Graduate
    }
}

/// Keeps the actor's image (replacing the old one); every document rendered afterwards
/// carries it.
pub async fn set_signature_image(
    store: &Store,
    blobs: &dyn BlobStore,
    actor: &Actor,
    which: SignatureImage,
    file: UploadedFile,
) -> ServiceResult<String> {
    allow(
        policy::keep_signature_image(actor, which.for_employer()),
        "账号",
    )?;
    let (table, column, owner) = match which {
        SignatureImage::Graduate => (
            "graduates",
            "signature_upload_id",
            actor
                .graduate_id
                .as_deref()
                .ok_or(ServiceError::Forbidden)?,
        ),
        SignatureImage::EmployerSignature => (
            "employers",
            "signature_upload_id",
            actor
                .employer_id
                .as_deref()
                .ok_or(ServiceError::Forbidden)?,
        ),
        SignatureImage::EmployerSeal => (
            "employers",
            "seal_upload_id",
            actor
                .employer_id
                .as_deref()
                .ok_or(ServiceError::Forbidden)?,
        ),
    };
    let school: Option<(String,)> = match which {
        SignatureImage::Graduate => {
            sqlx::query_as("SELECT school_id FROM graduates WHERE id = $1")
                .bind(owner)
                .fetch_optional(store.reader())
                .await?
        }
        _ => None,
    };
    let mut tx = store.writer().begin().await?;
    let id = blobs::save_upload(
        blobs,
        &mut tx,
        NewUpload {
            at: store.now(),
            kind: which.as_str(),
            content_type: file.content_type,
            original_name: file.original_name,
            bytes: file.bytes,
            uploaded_by: Some(actor.account_id.to_string()),
            school_id: school.map(|s| s.0),
        },
    )
    .await?;
    sqlx::query(&format!(
        "UPDATE {table} SET {column} = $1, updated_at = $2 WHERE id = $3"
    ))
    .bind(id.clone())
    .bind(store.now())
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    crate::audit::record(
        &mut tx,
        crate::audit::AuditEntry {
            at: store.now(),
            actor_account_id: Some(&actor.account_id),
            action: "upload_signature_image",
            target_kind: table,
            target_id: owner,
            school_id: None,
            detail: serde_json::json!({ "image": which.as_str(), "upload_id": id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The images the actor keeps now: (which, upload id).
pub async fn signature_images(
    store: &Store,
    actor: &Actor,
) -> ServiceResult<Vec<(SignatureImage, Option<String>)>> {
    match actor.role {
        Role::Graduate => {
            let row: Option<(Option<String>,)> =
                sqlx::query_as("SELECT signature_upload_id FROM graduates WHERE id = $1")
                    .bind(actor.graduate_id.clone().unwrap_or_default())
                    .fetch_optional(store.reader())
                    .await?;
            Ok(vec![(SignatureImage::Graduate, row.and_then(|r| r.0))])
        }
        Role::EmployerMember => {
            let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT signature_upload_id, seal_upload_id FROM employers WHERE id = $1",
            )
            .bind(actor.employer_id.clone().unwrap_or_default())
            .fetch_optional(store.reader())
            .await?;
            let (sig, seal) = row.unwrap_or((None, None));
            Ok(vec![
                (SignatureImage::EmployerSignature, sig),
                (SignatureImage::EmployerSeal, seal),
            ])
        }
        _ => Err(ServiceError::Forbidden),
    }
}

// ---------------------------------------------------------------------------------------------
// Self-service printing

#[derive(Debug, Clone, Serialize)]
pub struct NewPrintCode {
    /// Shown on the PC and typed (or scanned) on the phone.
    pub code: String,
    /// Kept by the PC only; fetches the PDF once the graduate confirms.
    pub secret: String,
    pub expires_at: Millis,
}

fn random_code() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..doc::print_code::LENGTH)
        .map(|_| {
            let i = rng.gen_range(0..doc::print_code::ALPHABET.len());
            char::from(doc::print_code::ALPHABET[i])
        })
        .collect()
}

fn secret_hash(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// A new code for a PC (no login): valid 5 minutes, usable once.
pub async fn create_print_code(store: &Store) -> ServiceResult<NewPrintCode> {
    let now = store.now();
    let expires_at = now + doc::print_code::VALID_MINUTES * 60_000;
    let secret = {
        use rand::RngCore;
        let mut b = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut b);
        hex::encode(b)
    };
    // A collision with an earlier code is refused by the UNIQUE index; try another.
    for _ in 0..5 {
        let code = random_code();
        let r = sqlx::query(
            "INSERT INTO print_codes (id, code, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(code.clone())
        .bind(secret_hash(&secret))
        .bind(now)
        .bind(expires_at)
        .execute(store.writer())
        .await;
        match r {
            Ok(_) => {
                return Ok(NewPrintCode {
                    code,
                    secret,
                    expires_at,
                })
            }
            Err(e) if crate::error::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(anyhow::anyhow!("no free print code").into())
}

#[derive(sqlx::FromRow)]
struct PrintCodeRow {
    id: String,
    code: String,
    expires_at: Millis,
    agreement_id: Option<String>,
    confirmed_at: Option<Millis>,
    confirmed_by: Option<String>,
    used_at: Option<Millis>,
}

/// The graduate confirms a code on the phone for one of their printable agreements.
pub async fn confirm_print_code(
    store: &Store,
    actor: &Actor,
    code: &str,
    agreement_id: &AgreementId,
) -> ServiceResult<()> {
    if actor.role != Role::Graduate {
        return Err(ServiceError::Forbidden);
    }
    let code = doc::print_code::normalise(code)
        .ok_or_else(|| ServiceError::field("code", "打印码应为电脑上显示的 8 位字母和数字"))?;
    let mut conn = store.reader().acquire().await?;
    let row = load_visible(&mut conn, actor, agreement_id).await?;
    let state = row.state_at(store.now())?;
    doc::printable(row.kind(), state, row.number.is_some()).map_err(ServiceError::Conflict)?;
    drop(conn);
    let pc: Option<PrintCodeRow> = sqlx::query_as(
        "SELECT id, code, expires_at, agreement_id, confirmed_at, confirmed_by, used_at FROM print_codes WHERE code = $1",
    )
    .bind(code.clone())
    .fetch_optional(store.reader())
    .await?;
    let pc =
        pc.ok_or_else(|| ServiceError::field("code", "没有这个打印码，请核对电脑上显示的打印码"))?;
    let now = store.now();
    if let Some(m) = doc::print_code::refusal(
        pc.expires_at,
        pc.confirmed_at.is_some(),
        pc.used_at.is_some(),
        now,
    ) {
        return Err(ServiceError::Conflict(m.into()));
    }
    // Guarded: two phones confirming one code at once, only one wins.
    let n = sqlx::query(
        "UPDATE print_codes SET agreement_id = $1, school_id = $2, confirmed_by = $3, confirmed_at = $4 \
         WHERE id = $5 AND confirmed_at IS NULL AND used_at IS NULL AND expires_at > $4",
    )
    .bind(row.id.clone())
    .bind(row.school_id.clone())
    .bind(actor.account_id.clone())
    .bind(now)
    .bind(pc.id)
    .execute(store.writer())
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ServiceError::Conflict(
            "该打印码已确认过，请在电脑上打印".into(),
        ));
    }
    Ok(())
}

/// What the PC sees while it waits.
#[derive(Debug, Clone, Serialize)]
pub struct PrintCodeStatus {
    /// waiting / confirmed / used / expired
    pub status: &'static str,
    pub code: String,
    pub expires_at: Millis,
}

async fn code_by_secret(store: &Store, secret: &str) -> ServiceResult<PrintCodeRow> {
    let r: Option<PrintCodeRow> = sqlx::query_as(
        "SELECT id, code, expires_at, agreement_id, confirmed_at, confirmed_by, used_at FROM print_codes WHERE secret_hash = $1",
    )
    .bind(secret_hash(secret.trim()))
    .fetch_optional(store.reader())
    .await?;
    r.ok_or(ServiceError::NotFound("打印码"))
}

pub async fn print_code_status(store: &Store, secret: &str) -> ServiceResult<PrintCodeStatus> {
    let pc = code_by_secret(store, secret).await?;
    let now = store.now();
    let status = if pc.used_at.is_some() {
        "used"
    } else if now >= pc.expires_at {
        "expired"
    } else if pc.confirmed_at.is_some() {
        "confirmed"
    } else {
        "waiting"
    };
    Ok(PrintCodeStatus {
        status,
        code: pc.code,
        expires_at: pc.expires_at,
    })
}

/// Takes a confirmed code for its one PDF: the graduate's view of their agreement. A second
/// fetch, a late one or an unconfirmed one is refused.
pub async fn claim_print_code(store: &Store, secret: &str) -> ServiceResult<(Actor, AgreementId)> {
    let pc = code_by_secret(store, secret).await?;
    let now = store.now();
    if pc.used_at.is_some() {
        return Err(ServiceError::Conflict("该打印码已使用，请重新获取".into()));
    }
    if now >= pc.expires_at {
        return Err(ServiceError::Conflict("该打印码已过期，请重新获取".into()));
    }
    let (Some(agreement_id), Some(account_id)) = (pc.agreement_id, pc.confirmed_by) else {
        return Err(ServiceError::Conflict("请先在手机上确认打印码".into()));
    };
    let n = sqlx::query("UPDATE print_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(pc.id)
        .execute(store.writer())
        .await?
        .rows_affected();
    if n == 0 {
        return Err(ServiceError::Conflict("该打印码已使用，请重新获取".into()));
    }
    let actor = crate::accounts::actor_of_account(store, &account_id).await?;
    Ok((actor, agreement_id.into()))
}

/// The agreements a graduate may print now, for the phone's confirmation page.
pub async fn printable_agreements(
    store: &Store,
    actor: &Actor,
) -> ServiceResult<Vec<(String, String, String)>> {
    if actor.role != Role::Graduate {
        return Err(ServiceError::Forbidden);
    }
    let rows: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, kind, state, number, employer_name FROM agreements WHERE graduate_id = $1 ORDER BY updated_at DESC LIMIT 20",
    )
    .bind(actor.graduate_id.clone().unwrap_or_default())
    .fetch_all(store.reader())
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, kind, state, number, _)| {
            match (AgreementKind::parse(kind), AgreementState::parse(state)) {
                (Some(k), Some(s)) => doc::printable(k, s, number.is_some()).is_ok(),
                _ => false,
            }
        })
        .map(|(id, _, _, number, employer)| (id, number.unwrap_or_default(), employer))
        .collect())
}

/// The hashes of uploaded files a record refers to, for its evidence package: (role, upload id).
pub async fn upload_hashes(
    store: &Store,
    ids: &[(&str, String)],
) -> ServiceResult<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for (role, id) in ids {
        let row: Option<(String, String, i64, String, i64)> = sqlx::query_as(
            "SELECT kind, content_type, byte_size, sha256, created_at FROM uploads WHERE id = $1",
        )
        .bind(id.clone())
        .fetch_optional(store.reader())
        .await?;
        if let Some((kind, content_type, size, sha, at)) = row {
            out.push(serde_json::json!({
                "role": role, "upload_id": id, "kind": kind, "content_type": content_type,
                "byte_size": size, "sha256": sha, "uploaded_at": at,
            }));
        }
    }
    Ok(out)
}
