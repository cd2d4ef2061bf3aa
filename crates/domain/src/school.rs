//! A school's record as the province keeps it (院校管理): its code, name, province and the
//! contact block printed on every agreement (联系部门, 联系人, 通讯地址, 电话, 邮编).

use crate::contact::Postcode;
use crate::school_code::SchoolCode;

/// The provincial-level divisions of mainland China, in the national order.
pub const PROVINCES: &[&str] = &[
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "广西壮族自治区",
    "海南省",
    "重庆市",
    "四川省",
    "贵州省",
    "云南省",
    "西藏自治区",
    "陕西省",
    "甘肃省",
    "青海省",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
];

/// What a form or request says about a school, before checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchoolProfile {
    pub code: String,
    pub name: String,
    pub province: String,
    pub contact_department: String,
    pub contact_person: String,
    pub address: String,
    pub phone: String,
    pub postcode: String,
}

impl SchoolProfile {
    /// The same profile with every field trimmed, as it is stored.
    pub fn trimmed(&self) -> SchoolProfile {
        SchoolProfile {
            code: self.code.trim().to_string(),
            name: self.name.trim().to_string(),
            province: self.province.trim().to_string(),
            contact_department: self.contact_department.trim().to_string(),
            contact_person: self.contact_person.trim().to_string(),
            address: self.address.trim().to_string(),
            phone: self.phone.trim().to_string(),
            postcode: self.postcode.trim().to_string(),
        }
    }

    /// Every problem at once, as (field, message); empty when the profile may be stored.
    /// The contact block may stay empty until the school fills it in, but what is typed must
    /// be well-formed.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let p = self.trimmed();
        let mut out = Vec::new();
        if let Err(e) = SchoolCode::parse(&p.code) {
            out.push(("code", e.to_string()));
        }
        let name_len = p.name.chars().count();
        if !(2..=60).contains(&name_len) {
            out.push(("name", "请输入院校名称（2–60 字）".to_string()));
        }
        if !PROVINCES.contains(&p.province.as_str()) {
            out.push(("province", "请选择院校所在省份".to_string()));
        }
        for (field, value, max, label) in [
            ("contact_department", &p.contact_department, 40, "联系部门"),
            ("contact_person", &p.contact_person, 20, "联系人"),
            ("address", &p.address, 100, "通讯地址"),
        ] {
            if value.chars().count() > max {
                out.push((field, format!("{label}不超过 {max} 字")));
            }
        }
        if !p.phone.is_empty() && !is_phone_line(&p.phone) {
            out.push((
                "phone",
                "电话应为数字，可含区号和分机（如 0551-63600000）".to_string(),
            ));
        }
        if !p.postcode.is_empty() {
            if let Err(e) = Postcode::parse(&p.postcode) {
                out.push(("postcode", e.to_string()));
            }
        }
        out
    }
}

/// A landline or mobile number as offices write it: digits with '-' or spaces between groups
/// and an optional "转" extension, 7–24 characters.
fn is_phone_line(s: &str) -> bool {
    let n = s.chars().count();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (7..=24).contains(&n)
        && digits >= 7
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '转' | '(' | ')'))
        && s.starts_with(|c: char| c.is_ascii_digit() || c == '(')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> SchoolProfile {
        SchoolProfile {
            code: " 10357 ".into(),
            name: "安徽大学".into(),
            province: "安徽省".into(),
            contact_department: "就业指导中心".into(),
            contact_person: "王老师".into(),
            address: "合肥市九龙路111号".into(),
            phone: "0551-63861234".into(),
            postcode: "230601".into(),
        }
    }

    #[test]
    fn a_complete_profile_passes_and_is_stored_trimmed() {
        assert!(good().problems().is_empty());
        assert_eq!(good().trimmed().code, "10357");
        let bare = SchoolProfile {
            contact_department: String::new(),
            contact_person: String::new(),
            address: String::new(),
            phone: String::new(),
            postcode: String::new(),
            ..good()
        };
        assert!(bare.problems().is_empty(), "the contact block may wait");
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let bad = SchoolProfile {
            code: "1035".into(),
            name: "安".into(),
            province: "安徽".into(),
            phone: "电话".into(),
            postcode: "2306".into(),
            address: "路".repeat(101),
            ..good()
        };
        let fields: Vec<&str> = bad.problems().iter().map(|p| p.0).collect();
        assert_eq!(
            fields,
            ["code", "name", "province", "address", "phone", "postcode"]
        );
        assert!(bad.problems()[0].1.contains("5位"));
    }

    #[test]
    fn phone_lines_as_offices_write_them() {
        for ok in [
            "0551-63861234",
            "13800138000",
            "(0551) 6386 1234",
            "0551-63861234转8001",
        ] {
            assert!(is_phone_line(ok), "{ok}");
        }
        for bad in [
            "123",
            "abc-1234567",
            "-0551638612",
            "0551-6386123456789012345678",
        ] {
            assert!(!is_phone_line(bad), "{bad}");
        }
    }

    #[test]
    fn there_are_31_provinces() {
        assert_eq!(PROVINCES.len(), 31);
        assert!(PROVINCES.contains(&"安徽省"));
    }
}
