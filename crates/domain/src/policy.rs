//! The single access policy: every "may this actor see or change that record" question is
//! answered here, so that handlers cannot each invent their own rule.
//!
//! Two outcomes are distinguished on purpose: `Forbidden` when the role may never do this kind
//! of thing (answered 403), `NotFound` when the role may, but the record is outside the actor's
//! scope (answered 404, so that ids of other schools' records reveal nothing).

use crate::ids::{AccountId, DepartmentId, EmployerId, GraduateId, SchoolId};
use crate::role::{Actor, EmployerRole, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Access {
    Allowed,
    Forbidden,
    NotFound,
}

impl Access {
    pub fn is_allowed(self) -> bool {
        self == Access::Allowed
    }
}

/// Where a graduate record sits in the organisation tree.
#[derive(Debug, Clone, Copy)]
pub struct GraduateScope<'a> {
    pub graduate_id: &'a GraduateId,
    pub school_id: &'a SchoolId,
    pub department_id: &'a DepartmentId,
}

fn same<T: PartialEq>(a: &Option<T>, b: &T) -> bool {
    a.as_ref() == Some(b)
}

fn scoped(ok: bool) -> Access {
    if ok {
        Access::Allowed
    } else {
        Access::NotFound
    }
}

/// Reading a graduate's source record. Employers get access through invitations (a later
/// capability), not through this rule.
pub fn view_graduate(actor: &Actor, g: GraduateScope<'_>) -> Access {
    match actor.role {
        Role::Graduate => scoped(same(&actor.graduate_id, g.graduate_id)),
        Role::DepartmentReviewer => scoped(
            same(&actor.school_id, g.school_id) && same(&actor.department_id, g.department_id),
        ),
        Role::SchoolAdmin => scoped(same(&actor.school_id, g.school_id)),
        Role::ProvincialAdmin => Access::Allowed,
        Role::EmployerMember => Access::Forbidden,
    }
}

/// Listing graduates of a school (filters narrow it further for reviewers).
pub fn list_school_graduates(actor: &Actor, school_id: &SchoolId) -> Access {
    match actor.role {
        Role::SchoolAdmin | Role::DepartmentReviewer => scoped(same(&actor.school_id, school_id)),
        Role::ProvincialAdmin => Access::Allowed,
        Role::Graduate | Role::EmployerMember => Access::Forbidden,
    }
}

/// 生源审核 of one record: the department reviewer of the record's department and the school
/// administrator of its school. The province reads rosters but does not review them: the
/// school answers for its own graduates' data.
pub fn review_roster(actor: &Actor, g: GraduateScope<'_>) -> Access {
    match actor.role {
        Role::DepartmentReviewer => scoped(
            same(&actor.school_id, g.school_id) && same(&actor.department_id, g.department_id),
        ),
        Role::SchoolAdmin => scoped(same(&actor.school_id, g.school_id)),
        Role::Graduate | Role::EmployerMember | Role::ProvincialAdmin => Access::Forbidden,
    }
}

/// 生源审核 over a school's list (bulk by filter, the list's review buttons): its reviewers
/// (whose lists hold their department only) and its administrator.
pub fn review_school_roster(actor: &Actor, school_id: &SchoolId) -> Access {
    match actor.role {
        Role::DepartmentReviewer | Role::SchoolAdmin => scoped(same(&actor.school_id, school_id)),
        Role::Graduate | Role::EmployerMember | Role::ProvincialAdmin => Access::Forbidden,
    }
}

/// Confirming the source record's unlocked fields (生源信息确认): the graduate, their own.
pub fn confirm_source_record(actor: &Actor) -> Access {
    match (actor.role, &actor.graduate_id) {
        (Role::Graduate, Some(_)) => Access::Allowed,
        _ => Access::Forbidden,
    }
}

/// Asking to correct a locked field of the source record (纠错): the graduate, for their own.
pub fn request_record_correction(actor: &Actor) -> Access {
    confirm_source_record(actor)
}

/// Reading a correction request and its proof: whoever reads the graduate's record, except the
/// province, which does not take part in correcting a school's roster.
pub fn view_record_correction(actor: &Actor, g: GraduateScope<'_>) -> Access {
    match actor.role {
        Role::ProvincialAdmin => Access::Forbidden,
        _ => view_graduate(actor, g),
    }
}

/// Deciding a correction request: those who review the record's roster (the department
/// reviewer, the school administrator), since approving it rewrites what they attested.
pub fn review_record_correction(actor: &Actor, g: GraduateScope<'_>) -> Access {
    review_roster(actor, g)
}

/// The list of correction requests: a graduate their own, staff their school (a reviewer's
/// list holds their department only).
pub fn list_record_corrections(actor: &Actor) -> Access {
    match actor.role {
        Role::Graduate | Role::DepartmentReviewer | Role::SchoolAdmin => Access::Allowed,
        Role::EmployerMember | Role::ProvincialAdmin => Access::Forbidden,
    }
}

/// Roster import, unbinding, reviewer accounts, settings: the school administrator's own school.
pub fn administer_school(actor: &Actor, school_id: &SchoolId) -> Access {
    match actor.role {
        Role::SchoolAdmin => scoped(same(&actor.school_id, school_id)),
        Role::Graduate
        | Role::EmployerMember
        | Role::DepartmentReviewer
        | Role::ProvincialAdmin => Access::Forbidden,
    }
}

/// Reading a school's settings: its staff and the province.
pub fn view_school_settings(actor: &Actor, school_id: &SchoolId) -> Access {
    match actor.role {
        Role::SchoolAdmin | Role::DepartmentReviewer => scoped(same(&actor.school_id, school_id)),
        Role::ProvincialAdmin => Access::Allowed,
        Role::Graduate | Role::EmployerMember => Access::Forbidden,
    }
}

/// Platform-level employer verification.
pub fn verify_employer_for_platform(actor: &Actor) -> Access {
    match actor.role {
        Role::ProvincialAdmin => Access::Allowed,
        Role::Graduate | Role::EmployerMember | Role::DepartmentReviewer | Role::SchoolAdmin => {
            Access::Forbidden
        }
    }
}

/// School-level employer verification: only for employers that applied to recruit there.
pub fn verify_employer_for_school(
    actor: &Actor,
    school_id: &SchoolId,
    employer_recruits_at_school: bool,
) -> Access {
    match actor.role {
        Role::SchoolAdmin => {
            scoped(same(&actor.school_id, school_id) && employer_recruits_at_school)
        }
        Role::Graduate
        | Role::EmployerMember
        | Role::DepartmentReviewer
        | Role::ProvincialAdmin => Access::Forbidden,
    }
}

/// Reading an employer's registration and certification data.
pub fn view_employer(
    actor: &Actor,
    employer_id: &EmployerId,
    recruits_at_actor_school: bool,
) -> Access {
    match actor.role {
        Role::EmployerMember => scoped(same(&actor.employer_id, employer_id)),
        Role::ProvincialAdmin => Access::Allowed,
        Role::SchoolAdmin => scoped(recruits_at_actor_school),
        Role::Graduate | Role::DepartmentReviewer => Access::Forbidden,
    }
}

/// 签约信息确认 (the company's signing defaults): read and written by any active member of the
/// company. Not only the manager writes: the HR staff who send the invitations are the ones who
/// know where files and households go, and the manual asks whoever logs in first; every change
/// is audited under the member's account.
pub fn signing_defaults(actor: &Actor) -> Access {
    match actor.role {
        Role::EmployerMember if actor.employer_id.is_some() => Access::Allowed,
        Role::EmployerMember
        | Role::Graduate
        | Role::DepartmentReviewer
        | Role::SchoolAdmin
        | Role::ProvincialAdmin => Access::Forbidden,
    }
}

/// Uploading an agreement template: a school administrator for the school's cohorts, the
/// provincial administrator for every school (`school_id` = None).
pub fn manage_templates(actor: &Actor, school_id: Option<&SchoolId>) -> Access {
    match (actor.role, school_id) {
        (Role::SchoolAdmin, Some(s)) => scoped(same(&actor.school_id, s)),
        (Role::ProvincialAdmin, None) => Access::Allowed,
        (Role::SchoolAdmin, None) | (Role::ProvincialAdmin, Some(_)) => Access::Forbidden,
        (Role::Graduate | Role::EmployerMember | Role::DepartmentReviewer, _) => Access::Forbidden,
    }
}

/// Keeping the list of schools and their administrator accounts (院校管理): the province.
pub fn manage_schools(actor: &Actor) -> Access {
    match actor.role {
        Role::ProvincialAdmin => Access::Allowed,
        Role::Graduate | Role::EmployerMember | Role::DepartmentReviewer | Role::SchoolAdmin => {
            Access::Forbidden
        }
    }
}

/// Editing a school's contact block (printed on agreements): the province for every school,
/// a school administrator for their own. Code, name and province stay the province's.
pub fn edit_school_contact(actor: &Actor, school_id: &SchoolId) -> Access {
    match actor.role {
        Role::ProvincialAdmin => Access::Allowed,
        Role::SchoolAdmin => scoped(same(&actor.school_id, school_id)),
        Role::Graduate | Role::EmployerMember | Role::DepartmentReviewer => Access::Forbidden,
    }
}

/// The school's print management list (打印管理): its staff (reviewers see their department
/// through the list's own filter) and the province.
pub fn view_print_records(actor: &Actor) -> Access {
    match actor.role {
        Role::SchoolAdmin | Role::DepartmentReviewer | Role::ProvincialAdmin => Access::Allowed,
        Role::Graduate | Role::EmployerMember => Access::Forbidden,
    }
}

/// The account whose password is to be reset, as the rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct AccountScope<'a> {
    pub account_id: &'a AccountId,
    pub role: Role,
    pub school_id: Option<&'a SchoolId>,
}

/// Resetting another account's password to a one-time one (重置密码): the province for
/// employers' accounts and school administrators, a school administrator for the own school's
/// staff and graduates. One's own password is changed with the current one, never reset, so that
/// a stolen session cannot take the account over.
pub fn reset_account_password(actor: &Actor, target: AccountScope<'_>) -> Access {
    if actor.account_id == *target.account_id {
        return Access::Forbidden;
    }
    match actor.role {
        Role::ProvincialAdmin => scoped(matches!(
            target.role,
            Role::EmployerMember | Role::SchoolAdmin
        )),
        Role::SchoolAdmin => scoped(
            matches!(
                target.role,
                Role::DepartmentReviewer | Role::SchoolAdmin | Role::Graduate
            ) && target.school_id.is_some_and(|s| same(&actor.school_id, s)),
        ),
        Role::Graduate | Role::EmployerMember | Role::DepartmentReviewer => Access::Forbidden,
    }
}

/// Keeping a signature image: a graduate their handwritten signature, an employer's member the
/// company's signature and seal.
pub fn keep_signature_image(actor: &Actor, for_employer: bool) -> Access {
    match (actor.role, for_employer) {
        (Role::Graduate, false) | (Role::EmployerMember, true) => Access::Allowed,
        _ => Access::Forbidden,
    }
}

/// Approving colleagues who ask to join the company: its manager.
pub fn manage_employer_members(actor: &Actor, employer_id: &EmployerId) -> Access {
    match actor.role {
        Role::EmployerMember => {
            if !same(&actor.employer_id, employer_id) {
                Access::NotFound
            } else if actor.employer_role == Some(EmployerRole::Manager) {
                Access::Allowed
            } else {
                Access::Forbidden
            }
        }
        Role::Graduate | Role::DepartmentReviewer | Role::SchoolAdmin | Role::ProvincialAdmin => {
            Access::Forbidden
        }
    }
}

/// Removing a colleague (their sessions end) and handing the manager role to another active
/// member: the company's manager only, like approving them. An HR member may not, or any HR
/// account could take the company over.
pub fn remove_or_promote_employer_member(actor: &Actor, employer_id: &EmployerId) -> Access {
    manage_employer_members(actor, employer_id)
}

/// Editing the company's 基本资料 (contact, address, introduction): its manager. HR members see
/// it but do not change it: what is printed on every agreement is answered for by the person the
/// stamped authorisation letter names, and the platform has no per-field approval to catch a
/// mistaken edit by a colleague.
pub fn edit_employer_profile(actor: &Actor, employer_id: &EmployerId) -> Access {
    manage_employer_members(actor, employer_id)
}

/// Asking to change the 认证信息 (name, credit code, nature, licence): the manager, who answers
/// for the company's registration; the platform decides ([`verify_employer_for_platform`]).
pub fn request_certification_change(actor: &Actor, employer_id: &EmployerId) -> Access {
    manage_employer_members(actor, employer_id)
}

/// Decisions on "become the new manager" requests are the platform's (SPEC §3).
pub fn decide_manager_request(actor: &Actor) -> Access {
    verify_employer_for_platform(actor)
}

/// Releasing one's own binding (003 §1): only a graduate, and only their own; the school
/// administrator's 解除绑定 is [`administer_school`].
pub fn release_own_binding(actor: &Actor) -> Access {
    match (actor.role, &actor.graduate_id) {
        (Role::Graduate, Some(_)) => Access::Allowed,
        _ => Access::Forbidden,
    }
}

/// Applying to recruit at more schools (申请招聘业务, seed 004 §2 step 4): the manager, who
/// answers for where the company recruits; each school then verifies it itself.
pub fn apply_to_schools(actor: &Actor, employer_id: &EmployerId) -> Access {
    manage_employer_members(actor, employer_id)
}

/// The company's logo belongs to its 基本资料: its manager changes it.
pub fn change_employer_logo(actor: &Actor, employer_id: &EmployerId) -> Access {
    edit_employer_profile(actor, employer_id)
}

/// Where an agreement or an other-destination record sits: its graduate, school and
/// department, and for an agreement the employer party (none for a paper draft's unregistered
/// company).
#[derive(Debug, Clone, Copy)]
pub struct RecordScope<'a> {
    pub graduate_id: &'a GraduateId,
    pub school_id: &'a SchoolId,
    pub department_id: &'a DepartmentId,
    pub employer_id: Option<&'a EmployerId>,
}

/// Reading an agreement: its two parties, the reviewers of its department, its school and the
/// province.
pub fn view_agreement(actor: &Actor, r: RecordScope<'_>) -> Access {
    match actor.role {
        Role::Graduate => scoped(same(&actor.graduate_id, r.graduate_id)),
        Role::EmployerMember => scoped(r.employer_id.is_some_and(|e| same(&actor.employer_id, e))),
        Role::DepartmentReviewer => scoped(
            same(&actor.school_id, r.school_id) && same(&actor.department_id, r.department_id),
        ),
        Role::SchoolAdmin => scoped(same(&actor.school_id, r.school_id)),
        Role::ProvincialAdmin => Access::Allowed,
    }
}

/// Reading an other destination (升学, 出国, 创业 …): like an agreement, without an employer
/// party; companies never see them.
pub fn view_destination(actor: &Actor, r: RecordScope<'_>) -> Access {
    match actor.role {
        Role::EmployerMember => Access::Forbidden,
        _ => view_agreement(
            actor,
            RecordScope {
                employer_id: None,
                ..r
            },
        ),
    }
}

/// The 鉴证 view of an agreement (graduate record, the company's verified data and
/// certificates, the normalised fields): the staff who review it, and the province.
pub fn view_attestation(actor: &Actor, r: RecordScope<'_>) -> Access {
    match actor.role {
        Role::DepartmentReviewer | Role::SchoolAdmin | Role::ProvincialAdmin => {
            view_agreement(actor, r)
        }
        Role::Graduate | Role::EmployerMember => Access::Forbidden,
    }
}

/// Filling in the normalised fields: the staff who review the agreement; the province reads.
pub fn fill_attestation(actor: &Actor, r: RecordScope<'_>) -> Access {
    match actor.role {
        Role::DepartmentReviewer | Role::SchoolAdmin => view_agreement(actor, r),
        Role::Graduate | Role::EmployerMember | Role::ProvincialAdmin => Access::Forbidden,
    }
}

/// A graduate's destination draft (暂存): their own unfinished form, which nobody reviews, so
/// only the graduate reads or writes it; staff see a registration once it is submitted.
pub fn keep_destination_draft(actor: &Actor, graduate_id: &GraduateId) -> Access {
    match actor.role {
        Role::Graduate => scoped(same(&actor.graduate_id, graduate_id)),
        Role::EmployerMember
        | Role::DepartmentReviewer
        | Role::SchoolAdmin
        | Role::ProvincialAdmin => Access::Forbidden,
    }
}

/// The record an uploaded file belongs to, as the store found it. A file is shown to whoever may
/// see that record, so a reviewer sees the evidence of everything they attest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadOwner {
    /// A termination letter or signed scan of an agreement.
    Agreement {
        graduate_id: GraduateId,
        school_id: SchoolId,
        department_id: DepartmentId,
        employer_id: Option<EmployerId>,
    },
    /// A proof of an other destination, or of its release.
    Destination {
        graduate_id: GraduateId,
        school_id: SchoolId,
        department_id: DepartmentId,
    },
    /// The employer's licence or authorisation letter (also one sent with a pending change).
    EmployerCertificate {
        employer_id: EmployerId,
        recruits_at_actor_school: bool,
        /// The employer is a party of an agreement the actor reviews (their school, their
        /// department for a reviewer): the 鉴证 page shows its certificates.
        party_to_reviewed_agreement: bool,
    },
    /// A handwritten signature kept by a graduate for their own documents.
    GraduateSignature { graduate_id: GraduateId },
    /// The company's signature or seal image, kept by its members.
    EmployerSignature { employer_id: EmployerId },
    /// The proof sent with a graduate's correction request (纠错): the graduate record's.
    CorrectionProof {
        graduate_id: GraduateId,
        school_id: SchoolId,
        department_id: DepartmentId,
    },
}

/// Downloading an uploaded file: decided by the record it belongs to. A file that belongs to no
/// record (an orphan, or a roster file of an import) is nobody's to download.
pub fn download_upload(actor: &Actor, owner: Option<&UploadOwner>) -> Access {
    let record = |graduate_id, school_id, department_id, employer_id| RecordScope {
        graduate_id,
        school_id,
        department_id,
        employer_id,
    };
    match owner {
        None => Access::NotFound,
        Some(UploadOwner::Agreement {
            graduate_id,
            school_id,
            department_id,
            employer_id,
        }) => view_agreement(
            actor,
            record(graduate_id, school_id, department_id, employer_id.as_ref()),
        ),
        Some(UploadOwner::Destination {
            graduate_id,
            school_id,
            department_id,
        }) => view_destination(actor, record(graduate_id, school_id, department_id, None)),
        Some(UploadOwner::EmployerCertificate {
            employer_id,
            recruits_at_actor_school,
            party_to_reviewed_agreement,
        }) => match actor.role {
            Role::DepartmentReviewer | Role::SchoolAdmin if *party_to_reviewed_agreement => {
                Access::Allowed
            }
            _ => view_employer(actor, employer_id, *recruits_at_actor_school),
        },
        // Signatures are a person's own: not even the school opens them as files.
        Some(UploadOwner::GraduateSignature { graduate_id }) => match actor.role {
            Role::Graduate => scoped(same(&actor.graduate_id, graduate_id)),
            _ => Access::NotFound,
        },
        Some(UploadOwner::EmployerSignature { employer_id }) => match actor.role {
            Role::EmployerMember => scoped(same(&actor.employer_id, employer_id)),
            _ => Access::NotFound,
        },
        Some(UploadOwner::CorrectionProof {
            graduate_id,
            school_id,
            department_id,
        }) => view_record_correction(
            actor,
            GraduateScope {
                graduate_id,
                school_id,
                department_id,
            },
        ),
    }
    // Whatever the role, a refused file answers as absent: its id reveals nothing.
    .not_found_if_refused()
}

impl Access {
    fn not_found_if_refused(self) -> Access {
        match self {
            Access::Allowed => Access::Allowed,
            Access::Forbidden | Access::NotFound => Access::NotFound,
        }
    }
}

/// The Chinese name of an upload's kind, as shown beside the file.
pub fn upload_kind_label(kind: &str) -> &'static str {
    match kind {
        "licence" => "营业执照",
        "authorisation_letter" => "网络签约授权书",
        "termination_proof" => "解约证明",
        "signed_agreement" => "协议书签字盖章扫描件",
        "destination_proof" => "证明材料",
        "release_proof" => "解除证明",
        "graduate_signature" => "本人签名",
        "employer_signature" => "单位签字",
        "employer_seal" => "单位印章",
        "employer_logo" => "单位标志",
        "correction_proof" => "纠错证明材料",
        "roster" => "生源名单",
        _ => "附件",
    }
}

/// What an application to recruit at one school does, given the school's current record of the
/// company (`None`: never applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchoolApplication {
    /// A first application: the school's queue gets it as 待审核.
    New,
    /// The school refused earlier: asking again puts it back into the queue.
    Again,
    /// Already waiting or already approved: nothing changes.
    AlreadyPending,
    AlreadyVerified,
}

pub fn school_application(current: Option<&str>) -> SchoolApplication {
    match current {
        None => SchoolApplication::New,
        Some("rejected") => SchoolApplication::Again,
        Some("verified") => SchoolApplication::AlreadyVerified,
        Some(_) => SchoolApplication::AlreadyPending,
    }
}

/// The Chinese name of a school's verification status of a company.
pub fn employer_school_status_label(status: &str) -> &'static str {
    match status {
        "verified" => "已通过",
        "rejected" => "未通过",
        _ => "待审核",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            account_id: "a1".into(),
            role,
            school_id: None,
            department_id: None,
            employer_id: None,
            employer_role: None,
            graduate_id: None,
        }
    }

    fn school_admin(school: &str) -> Actor {
        Actor {
            school_id: Some(school.into()),
            ..actor(Role::SchoolAdmin)
        }
    }

    fn reviewer(school: &str, dept: &str) -> Actor {
        Actor {
            school_id: Some(school.into()),
            department_id: Some(dept.into()),
            ..actor(Role::DepartmentReviewer)
        }
    }

    fn graduate(id: &str, school: &str) -> Actor {
        Actor {
            graduate_id: Some(id.into()),
            school_id: Some(school.into()),
            ..actor(Role::Graduate)
        }
    }

    fn employer(id: &str, role: EmployerRole) -> Actor {
        Actor {
            employer_id: Some(id.into()),
            employer_role: Some(role),
            ..actor(Role::EmployerMember)
        }
    }

    fn g() -> GraduateScope<'static> {
        GraduateScope {
            graduate_id: Box::leak(Box::new("g1".into())),
            school_id: Box::leak(Box::new("s1".into())),
            department_id: Box::leak(Box::new("d1".into())),
        }
    }

    #[test]
    fn graduate_records_are_visible_only_inside_the_actors_scope() {
        assert_eq!(view_graduate(&graduate("g1", "s1"), g()), Access::Allowed);
        assert_eq!(view_graduate(&graduate("g2", "s1"), g()), Access::NotFound);
        assert_eq!(view_graduate(&reviewer("s1", "d1"), g()), Access::Allowed);
        assert_eq!(view_graduate(&reviewer("s1", "d2"), g()), Access::NotFound);
        assert_eq!(view_graduate(&reviewer("s2", "d1"), g()), Access::NotFound);
        assert_eq!(view_graduate(&school_admin("s1"), g()), Access::Allowed);
        assert_eq!(view_graduate(&school_admin("s2"), g()), Access::NotFound);
        assert_eq!(
            view_graduate(&actor(Role::ProvincialAdmin), g()),
            Access::Allowed
        );
        assert_eq!(
            view_graduate(&employer("e1", EmployerRole::Manager), g()),
            Access::Forbidden
        );
    }

    #[test]
    fn a_record_is_reviewed_by_its_departments_reviewer_and_its_schools_administrator() {
        assert_eq!(review_roster(&reviewer("s1", "d1"), g()), Access::Allowed);
        assert_eq!(review_roster(&reviewer("s1", "d2"), g()), Access::NotFound);
        assert_eq!(review_roster(&reviewer("s2", "d1"), g()), Access::NotFound);
        assert_eq!(review_roster(&school_admin("s1"), g()), Access::Allowed);
        assert_eq!(review_roster(&school_admin("s2"), g()), Access::NotFound);
        for a in [
            graduate("g1", "s1"),
            employer("e1", EmployerRole::Manager),
            actor(Role::ProvincialAdmin),
        ] {
            assert_eq!(review_roster(&a, g()), Access::Forbidden, "{a:?}");
            assert_eq!(
                review_school_roster(&a, &"s1".into()),
                Access::Forbidden,
                "{a:?}"
            );
        }
        assert_eq!(
            review_school_roster(&reviewer("s1", "d2"), &"s1".into()),
            Access::Allowed
        );
        assert_eq!(
            review_school_roster(&school_admin("s2"), &"s1".into()),
            Access::NotFound
        );
    }

    #[test]
    fn the_province_keeps_the_schools_and_a_school_its_contact_block() {
        let p = actor(Role::ProvincialAdmin);
        assert_eq!(manage_schools(&p), Access::Allowed);
        assert_eq!(edit_school_contact(&p, &"s1".into()), Access::Allowed);
        assert_eq!(
            edit_school_contact(&school_admin("s1"), &"s1".into()),
            Access::Allowed
        );
        assert_eq!(
            edit_school_contact(&school_admin("s2"), &"s1".into()),
            Access::NotFound
        );
        for a in [
            school_admin("s1"),
            reviewer("s1", "d1"),
            graduate("g1", "s1"),
            employer("e1", EmployerRole::Manager),
        ] {
            assert_eq!(manage_schools(&a), Access::Forbidden, "{a:?}");
        }
        for a in [
            reviewer("s1", "d1"),
            graduate("g1", "s1"),
            employer("e1", EmployerRole::Manager),
        ] {
            assert_eq!(
                edit_school_contact(&a, &"s1".into()),
                Access::Forbidden,
                "{a:?}"
            );
        }
    }

    #[test]
    fn only_the_schools_own_administrator_administers_it() {
        assert_eq!(
            administer_school(&school_admin("s1"), &"s1".into()),
            Access::Allowed
        );
        assert_eq!(
            administer_school(&school_admin("s2"), &"s1".into()),
            Access::NotFound
        );
        for a in [
            reviewer("s1", "d1"),
            graduate("g1", "s1"),
            actor(Role::ProvincialAdmin),
            employer("e1", EmployerRole::Manager),
        ] {
            assert_eq!(
                administer_school(&a, &"s1".into()),
                Access::Forbidden,
                "{a:?}"
            );
        }
    }

    #[test]
    fn only_the_own_manager_edits_the_profile_and_removes_or_promotes_members() {
        let m = employer("e1", EmployerRole::Manager);
        let hr = employer("e1", EmployerRole::Hr);
        for rule in [
            edit_employer_profile,
            remove_or_promote_employer_member,
            request_certification_change,
        ] {
            assert_eq!(rule(&m, &"e1".into()), Access::Allowed);
            assert_eq!(rule(&m, &"e2".into()), Access::NotFound);
            assert_eq!(rule(&hr, &"e1".into()), Access::Forbidden);
            assert_eq!(rule(&school_admin("s1"), &"e1".into()), Access::Forbidden);
            assert_eq!(
                rule(&actor(Role::ProvincialAdmin), &"e1".into()),
                Access::Forbidden
            );
            assert_eq!(
                rule(&actor(Role::Graduate), &"e1".into()),
                Access::Forbidden
            );
        }
    }

    #[test]
    fn employer_members_are_managed_by_their_own_manager_only() {
        let m = employer("e1", EmployerRole::Manager);
        assert_eq!(manage_employer_members(&m, &"e1".into()), Access::Allowed);
        assert_eq!(manage_employer_members(&m, &"e2".into()), Access::NotFound);
        let hr = employer("e1", EmployerRole::Hr);
        assert_eq!(
            manage_employer_members(&hr, &"e1".into()),
            Access::Forbidden
        );
        assert_eq!(
            manage_employer_members(&school_admin("s1"), &"e1".into()),
            Access::Forbidden
        );
    }

    #[test]
    fn employer_verification_belongs_to_the_province_or_the_applied_school() {
        assert!(verify_employer_for_platform(&actor(Role::ProvincialAdmin)).is_allowed());
        assert_eq!(
            verify_employer_for_platform(&school_admin("s1")),
            Access::Forbidden
        );
        assert_eq!(
            verify_employer_for_school(&school_admin("s1"), &"s1".into(), true),
            Access::Allowed
        );
        assert_eq!(
            verify_employer_for_school(&school_admin("s1"), &"s1".into(), false),
            Access::NotFound
        );
        assert_eq!(
            verify_employer_for_school(&school_admin("s2"), &"s1".into(), true),
            Access::NotFound
        );
    }

    #[test]
    fn employers_see_only_their_own_company() {
        let m = employer("e1", EmployerRole::Hr);
        assert_eq!(view_employer(&m, &"e1".into(), false), Access::Allowed);
        assert_eq!(view_employer(&m, &"e2".into(), false), Access::NotFound);
        assert_eq!(
            view_employer(&school_admin("s1"), &"e1".into(), true),
            Access::Allowed
        );
        assert_eq!(
            view_employer(&school_admin("s1"), &"e1".into(), false),
            Access::NotFound
        );
        assert_eq!(
            view_employer(&graduate("g", "s"), &"e1".into(), true),
            Access::Forbidden
        );
    }

    #[test]
    fn passwords_are_reset_by_the_province_or_the_accounts_own_school_administrator() {
        let s1: SchoolId = "s1".into();
        let s2: SchoolId = "s2".into();
        let target =
            |id: &'static str, role: Role, school: Option<&'static SchoolId>| AccountScope {
                account_id: Box::leak(Box::new(AccountId::from(id))),
                role,
                school_id: school,
            };
        let s1: &'static SchoolId = Box::leak(Box::new(s1));
        let s2: &'static SchoolId = Box::leak(Box::new(s2));
        let province = actor(Role::ProvincialAdmin);
        let admin = Actor {
            account_id: "me".into(),
            ..school_admin("s1")
        };
        for (who, t, want) in [
            (
                "province → employer",
                target("e", Role::EmployerMember, None),
                Access::Allowed,
            ),
            (
                "province → school admin",
                target("sa", Role::SchoolAdmin, Some(s1)),
                Access::Allowed,
            ),
            (
                "province → reviewer",
                target("r", Role::DepartmentReviewer, Some(s1)),
                Access::NotFound,
            ),
            (
                "province → graduate",
                target("g", Role::Graduate, Some(s1)),
                Access::NotFound,
            ),
            (
                "province → province",
                target("p", Role::ProvincialAdmin, None),
                Access::NotFound,
            ),
        ] {
            assert_eq!(reset_account_password(&province, t), want, "{who}");
        }
        for (who, t, want) in [
            (
                "own reviewer",
                target("r", Role::DepartmentReviewer, Some(s1)),
                Access::Allowed,
            ),
            (
                "own graduate",
                target("g", Role::Graduate, Some(s1)),
                Access::Allowed,
            ),
            (
                "fellow admin",
                target("sa", Role::SchoolAdmin, Some(s1)),
                Access::Allowed,
            ),
            (
                "other school's reviewer",
                target("r", Role::DepartmentReviewer, Some(s2)),
                Access::NotFound,
            ),
            (
                "other school's graduate",
                target("g", Role::Graduate, Some(s2)),
                Access::NotFound,
            ),
            (
                "employer",
                target("e", Role::EmployerMember, None),
                Access::NotFound,
            ),
            (
                "province",
                target("p", Role::ProvincialAdmin, None),
                Access::NotFound,
            ),
            (
                "itself",
                target("me", Role::SchoolAdmin, Some(s1)),
                Access::Forbidden,
            ),
        ] {
            assert_eq!(reset_account_password(&admin, t), want, "{who}");
        }
        let any = target("g", Role::Graduate, Some(s1));
        for a in [
            reviewer("s1", "d1"),
            graduate("g2", "s1"),
            employer("e1", EmployerRole::Manager),
        ] {
            assert_eq!(reset_account_password(&a, any), Access::Forbidden, "{a:?}");
        }
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn only_a_bound_graduate_releases_their_own_binding() {
        let bound = Actor {
            graduate_id: Some("g1".into()),
            school_id: Some("19101".into()),
            ..actor(Role::Graduate)
        };
        assert_eq!(release_own_binding(&bound), Access::Allowed);
        assert_eq!(
            release_own_binding(&actor(Role::Graduate)),
            Access::Forbidden
        );
        for r in [
            Role::SchoolAdmin,
            Role::DepartmentReviewer,
            Role::ProvincialAdmin,
            Role::EmployerMember,
        ] {
            assert_eq!(release_own_binding(&actor(r)), Access::Forbidden, "{r:?}");
        }
    }

    #[test]
    fn a_refused_school_may_be_asked_again_but_others_not_twice() {
        assert_eq!(school_application(None), SchoolApplication::New);
        assert_eq!(
            school_application(Some("rejected")),
            SchoolApplication::Again
        );
        assert_eq!(
            school_application(Some("pending")),
            SchoolApplication::AlreadyPending
        );
        assert_eq!(
            school_application(Some("verified")),
            SchoolApplication::AlreadyVerified
        );
        assert_eq!(employer_school_status_label("pending"), "待审核");
        assert_eq!(employer_school_status_label("verified"), "已通过");
        assert_eq!(employer_school_status_label("rejected"), "未通过");
    }

    fn agreement_file() -> UploadOwner {
        UploadOwner::Agreement {
            graduate_id: "g1".into(),
            school_id: "s1".into(),
            department_id: "d1".into(),
            employer_id: Some("e1".into()),
        }
    }

    #[test]
    fn an_agreements_files_are_open_to_its_parties_and_reviewers_only() {
        let f = agreement_file();
        let may = |a: &Actor| download_upload(a, Some(&f));
        assert_eq!(may(&graduate("g1", "s1")), Access::Allowed);
        assert_eq!(may(&employer("e1", EmployerRole::Hr)), Access::Allowed);
        assert_eq!(may(&reviewer("s1", "d1")), Access::Allowed);
        assert_eq!(may(&school_admin("s1")), Access::Allowed);
        assert_eq!(may(&actor(Role::ProvincialAdmin)), Access::Allowed);
        assert_eq!(may(&graduate("g2", "s1")), Access::NotFound);
        assert_eq!(
            may(&employer("e2", EmployerRole::Manager)),
            Access::NotFound
        );
        assert_eq!(may(&reviewer("s1", "d2")), Access::NotFound);
        assert_eq!(may(&school_admin("s2")), Access::NotFound);
    }

    #[test]
    fn a_correction_is_the_graduate_records() {
        let (gid, sid, did) = (
            GraduateId::from("g1"),
            SchoolId::from("s1"),
            DepartmentId::from("d1"),
        );
        let g = GraduateScope {
            graduate_id: &gid,
            school_id: &sid,
            department_id: &did,
        };
        assert_eq!(
            review_record_correction(&reviewer("s1", "d1"), g),
            Access::Allowed
        );
        assert_eq!(
            review_record_correction(&school_admin("s1"), g),
            Access::Allowed
        );
        assert_eq!(
            review_record_correction(&reviewer("s1", "d2"), g),
            Access::NotFound
        );
        assert_eq!(
            review_record_correction(&school_admin("s2"), g),
            Access::NotFound
        );
        assert_eq!(
            review_record_correction(&graduate("g1", "s1"), g),
            Access::Forbidden
        );
        assert_eq!(
            view_record_correction(&graduate("g1", "s1"), g),
            Access::Allowed
        );
        assert_eq!(
            view_record_correction(&graduate("g2", "s1"), g),
            Access::NotFound
        );
        assert_eq!(
            view_record_correction(&actor(Role::ProvincialAdmin), g),
            Access::Forbidden
        );
        let proof = UploadOwner::CorrectionProof {
            graduate_id: "g1".into(),
            school_id: "s1".into(),
            department_id: "d1".into(),
        };
        let may = |a: &Actor| download_upload(a, Some(&proof));
        assert_eq!(may(&reviewer("s1", "d1")), Access::Allowed);
        assert_eq!(may(&school_admin("s1")), Access::Allowed);
        assert_eq!(may(&graduate("g1", "s1")), Access::Allowed);
        assert_eq!(
            may(&employer("e1", EmployerRole::Manager)),
            Access::NotFound
        );
        assert_eq!(may(&school_admin("s2")), Access::NotFound);
        assert_eq!(may(&reviewer("s1", "d2")), Access::NotFound);
        assert_eq!(
            request_record_correction(&graduate("g1", "s1")),
            Access::Allowed
        );
        assert_eq!(
            request_record_correction(&school_admin("s1")),
            Access::Forbidden
        );
    }

    #[test]
    fn destination_proofs_are_never_a_companys() {
        let f = UploadOwner::Destination {
            graduate_id: "g1".into(),
            school_id: "s1".into(),
            department_id: "d1".into(),
        };
        assert_eq!(
            download_upload(&reviewer("s1", "d1"), Some(&f)),
            Access::Allowed
        );
        assert_eq!(
            download_upload(&graduate("g1", "s1"), Some(&f)),
            Access::Allowed
        );
        // Refusals answer as absent, so an employer learns nothing from an id.
        assert_eq!(
            download_upload(&employer("e1", EmployerRole::Manager), Some(&f)),
            Access::NotFound
        );
        assert_eq!(
            download_upload(&school_admin("s2"), Some(&f)),
            Access::NotFound
        );
    }

    #[test]
    fn certificates_follow_the_employer_view_and_signatures_stay_their_keepers() {
        let cert = |at| UploadOwner::EmployerCertificate {
            employer_id: "e1".into(),
            recruits_at_actor_school: at,
            party_to_reviewed_agreement: false,
        };
        let signed_here = UploadOwner::EmployerCertificate {
            employer_id: "e1".into(),
            recruits_at_actor_school: false,
            party_to_reviewed_agreement: true,
        };
        assert_eq!(
            download_upload(&reviewer("s1", "d1"), Some(&signed_here)),
            Access::Allowed
        );
        assert_eq!(
            download_upload(&graduate("g1", "s1"), Some(&signed_here)),
            Access::NotFound
        );
        assert_eq!(
            download_upload(&school_admin("s1"), Some(&cert(true))),
            Access::Allowed
        );
        assert_eq!(
            download_upload(&school_admin("s1"), Some(&cert(false))),
            Access::NotFound
        );
        assert_eq!(
            download_upload(&reviewer("s1", "d1"), Some(&cert(true))),
            Access::NotFound
        );
        assert_eq!(
            download_upload(&employer("e1", EmployerRole::Hr), Some(&cert(false))),
            Access::Allowed
        );
        let sig = UploadOwner::GraduateSignature {
            graduate_id: "g1".into(),
        };
        assert_eq!(
            download_upload(&graduate("g1", "s1"), Some(&sig)),
            Access::Allowed
        );
        assert_eq!(
            download_upload(&school_admin("s1"), Some(&sig)),
            Access::NotFound
        );
        let seal = UploadOwner::EmployerSignature {
            employer_id: "e1".into(),
        };
        assert_eq!(
            download_upload(&employer("e1", EmployerRole::Hr), Some(&seal)),
            Access::Allowed
        );
        assert_eq!(
            download_upload(&actor(Role::ProvincialAdmin), Some(&seal)),
            Access::NotFound
        );
        assert_eq!(
            download_upload(&actor(Role::ProvincialAdmin), None),
            Access::NotFound
        );
    }
}
