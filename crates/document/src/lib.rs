//! The agreement document (SPEC §9): typst templates rendered as a library into A4 PDFs with
//! CJK fonts, the anti-counterfeit QR code on every page, and the content hash that the QR's
//! token carries. Knows nothing of HTTP or SQL: the store gathers [`DocumentData`], the web layer
//! renders it off the async threads and seals the bytes with `wangqian-seal`.

mod fonts;
mod render;

pub use fonts::{FontError, Fonts};
pub use render::{content_hash, qr_svg, Diagnostic, RenderError, Renderer};

use serde::{Deserialize, Serialize};

/// Which document a template renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    /// The online agreement (网上签约就业协议书), printed once effective.
    Online,
    /// The paper agreement the graduate prints at 待反馈 to have it signed and stamped, and its
    /// effective form once the school approves the scan.
    Paper,
    /// The standard termination proof (解除协议证明) for paper agreements, 002 §2.4.1.
    Termination,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 3] = [
        TemplateKind::Online,
        TemplateKind::Paper,
        TemplateKind::Termination,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Online => "online",
            TemplateKind::Paper => "paper",
            TemplateKind::Termination => "termination",
        }
    }

    pub fn parse(s: &str) -> Option<TemplateKind> {
        TemplateKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            TemplateKind::Online => "网上签约就业协议书",
            TemplateKind::Paper => "纸质就业协议书",
            TemplateKind::Termination => "解除就业协议证明",
        }
    }

    /// The built-in template (typst markup), used when neither the school nor the province has
    /// uploaded its own. It reads its data from `/data.json` like every uploaded template.
    pub fn default_source(self) -> &'static str {
        match self {
            TemplateKind::Online => include_str!("../templates/online.typ"),
            TemplateKind::Paper => include_str!("../templates/paper.typ"),
            TemplateKind::Termination => include_str!("../templates/termination.typ"),
        }
    }
}

/// Everything a template prints, already in Chinese words (code tables resolved, dates as
/// `YYYY年M月D日`). Templates read it as `json("/data.json")`; the field names are the
/// template language's contract with schools that write their own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentData {
    /// `<school> <year>届毕业生就业协议书`
    pub title: String,
    pub school_name: String,
    pub graduation_year: String,
    /// 协议书编号; empty before the agreement is numbered (a paper agreement at 待反馈).
    pub number: String,
    /// 网上签约 / 纸质签约
    pub kind_label: String,
    /// The state word at rendering, e.g. 签约审核通过（已生效）.
    pub state_label: String,
    /// One label per copy; the document repeats itself once per label (甲方/乙方/学校).
    pub copies: Vec<String>,
    pub graduate: GraduateData,
    pub school_contact: SchoolContact,
    pub employer: EmployerData,
    pub terms: TermsData,
    /// The school's rule, printed as a sentence: when this agreement binds the parties.
    pub binding_sentence: String,
    pub signatures: SignatureData,
    /// Extra lines for a particular document (the paper agreement's signing instructions, the
    /// termination proof's request); templates may ignore them.
    pub notes: Vec<String>,
    /// Where the QR code points, printed under it too.
    pub verify_url: String,
    /// The date of rendering.
    pub rendered_on: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraduateData {
    pub name: String,
    pub gender: String,
    pub ethnicity: String,
    pub political_status: String,
    pub student_no: String,
    /// In full: the agreement identifies its party.
    pub id_number: String,
    pub education_level: String,
    pub training_mode: String,
    pub department: String,
    pub major: String,
    pub years_of_schooling: String,
    pub phone: String,
    pub email: String,
    pub home_address: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolContact {
    pub department: String,
    pub person: String,
    pub address: String,
    pub phone: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployerData {
    pub name: String,
    pub credit_code: String,
    pub contact: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub postcode: String,
    pub nature: String,
    pub industry: String,
    pub location: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsData {
    /// 第 N 版
    pub version: String,
    /// The date this version came into force.
    pub version_date: String,
    pub position_category: String,
    pub position: String,
    pub probation_months: String,
    pub probation_salary: String,
    pub regular_salary: String,
    pub breach_penalty: String,
    pub report_place: String,
    pub report_deadline: String,
    pub work_location: String,
    pub archive_receiver: String,
    pub household_receiver: String,
    pub agreed_terms: String,
}

/// Dates of each party's act; the images themselves come as [`Images`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureData {
    pub graduate_date: String,
    /// The employer's handling person (经办人).
    pub employer_agent: String,
    pub employer_date: String,
    /// 院系意见 (empty with one-level review).
    pub department_name: String,
    pub department_date: String,
    /// 学校鉴证
    pub school_date: String,
    pub has_graduate_signature: bool,
    pub has_employer_signature: bool,
    pub has_employer_seal: bool,
}

/// PNG or JPEG bytes, checked by the web layer; templates see them as
/// `/images/graduate-signature`, `/images/employer-signature` and `/images/employer-seal`.
/// The renderer sets `signatures.has_*` in `/data.json` to whether each image is present, so a
/// template that tests the flag never asks for a missing file.
#[derive(Debug, Clone, Default)]
pub struct Images {
    pub graduate_signature: Option<Vec<u8>>,
    pub employer_signature: Option<Vec<u8>>,
    pub employer_seal: Option<Vec<u8>>,
}

/// Synthetic data for checking a template before it is accepted (an upload must render this).
pub fn sample_data(kind: TemplateKind) -> DocumentData {
    let copies = vec![
        "甲方（毕业生）存".to_string(),
        "乙方（用人单位）存".to_string(),
        "学校存".to_string(),
    ];
    DocumentData {
        title: "示例大学 2027届毕业生就业协议书".into(),
        school_name: "示例大学".into(),
        graduation_year: "2027".into(),
        number: "1202710001000001".into(),
        kind_label: match kind {
            TemplateKind::Paper => "纸质签约".into(),
            _ => "网上签约".into(),
        },
        state_label: "签约审核通过（已生效）".into(),
        copies,
        graduate: GraduateData {
            name: "林晓".into(),
            gender: "女".into(),
            ethnicity: "汉族".into(),
            political_status: "共青团员".into(),
            student_no: "2023010101".into(),
            id_number: "11010519491231002X".into(),
            education_level: "本科生毕业".into(),
            training_mode: "非定向".into(),
            department: "计算机学院".into(),
            major: "软件工程".into(),
            years_of_schooling: "4".into(),
            phone: "13305515660".into(),
            email: "linxiao@example.com".into(),
            home_address: "安徽省合肥市蜀山区长江西路 100 号".into(),
        },
        school_contact: SchoolContact {
            department: "毕业生就业指导中心".into(),
            person: "李老师".into(),
            address: "安徽省合肥市蜀山区某某路 1 号".into(),
            phone: "0551-62900000".into(),
        },
        employer: EmployerData {
            name: "示例科技有限公司".into(),
            credit_code: "91350200776049653A".into(),
            contact: "王经理".into(),
            phone: "0551-65551234".into(),
            email: "hr@example.com".into(),
            address: "安徽省合肥市高新区创新大道 1 号".into(),
            postcode: "230088".into(),
            nature: "其他企业".into(),
            industry: "信息传输、软件和信息技术服务业".into(),
            location: "安徽省合肥市".into(),
        },
        terms: TermsData {
            version: "第 1 版".into(),
            version_date: "2027年3月1日".into(),
            position_category: "工程技术人员".into(),
            position: "后端工程师".into(),
            probation_months: "3".into(),
            probation_salary: "8000".into(),
            regular_salary: "10000".into(),
            breach_penalty: "5000".into(),
            report_place: "合肥市高新区创新大道 1 号".into(),
            report_deadline: "2027年7月15日".into(),
            work_location: "安徽省合肥市蜀山区".into(),
            archive_receiver: "合肥市人才服务中心".into(),
            household_receiver: "合肥市集体户口".into(),
            agreed_terms: "签订三年劳动合同。".into(),
        },
        binding_sentence: "本校规定：本协议经学校鉴证后生效。".into(),
        signatures: SignatureData {
            graduate_date: "2027年3月2日".into(),
            employer_agent: "王经理".into(),
            employer_date: "2027年3月1日".into(),
            department_name: "计算机学院".into(),
            department_date: "2027年3月3日".into(),
            school_date: "2027年3月4日".into(),
            has_graduate_signature: false,
            has_employer_signature: false,
            has_employer_seal: false,
        },
        notes: match kind {
            TemplateKind::Termination => vec!["解约原因：双方协商一致解除协议。".into()],
            _ => Vec::new(),
        },
        verify_url: "https://wangqian.example/v/sample".into(),
        rendered_on: "2027年3月4日".into(),
    }
}
