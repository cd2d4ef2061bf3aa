//! The invitation letter (邀请函) as the graduate reads it (002 §2.1.1–2.1.2): the greeting, the
//! offer with its 24:00 deadline, the terms, the employer and the day, and the 签约须知. One
//! function writes it, so the employer's 预览 and the graduate's page say the same words.

use serde::Serialize;
use time::Date;

use super::china_date;
use crate::ids::Millis;
use crate::terms::AgreementTerms;

/// The 签约须知 printed under every letter (002 §2.1.2). 002's third case also names 劳动教养,
/// abolished in 2013, so it is left out (as the agreement no longer names the 就业报到证).
pub const SIGNING_NOTICE: [&str; 3] = [
    "一、符合下列情况之一，经书面告知对方后，本协议解除：1、甲方被撤销或依法宣告破产；2、乙方报到时未取得毕业资格；3、乙方被判处拘役以上刑罚；4、甲乙双方订立劳动合同（聘用合同）后，本协议自动终止；5、国家法律、法规、政策规定的其它情况。",
    "二、本协议是甲乙双方在规定的期限内建立劳动人事就业关系的依据。",
    "三、未尽事宜，由甲乙双方依照有关法律法规和政策规定另行约定。",
];

/// 签约前必读, the second confirmation before 现在签约 (002 §2.1.2).
pub const BEFORE_SIGNING: &str = "签约成功后不能再与其他单位签约！请确保已充分了解用人单位及工作岗位信息，并与用人单位充分沟通，达成一致就业意愿。";

/// One line of the letter's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LetterLine {
    pub label: String,
    pub value: String,
}

/// The letter's text, part by part, for a page to lay out and the API to answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InvitationLetter {
    /// 林晓同学，你好！
    pub greeting: String,
    /// 我单位拟录用（聘用）你为 … 岗位员工，请于…24时之前反馈，办理网签手续。过期不反馈视为主动放弃。
    pub offer: String,
    pub lines: Vec<LetterLine>,
    pub employer_name: String,
    /// The day it is sent, e.g. 2026年12月8日.
    pub dated: String,
    /// 签约须知, paragraph by paragraph.
    pub notice: Vec<String>,
}

impl InvitationLetter {
    /// The whole letter as plain text, paragraphs on their own lines.
    pub fn text(&self) -> String {
        let mut out = vec![self.greeting.clone(), self.offer.clone()];
        out.extend(
            self.lines
                .iter()
                .map(|l| format!("{}：{}", l.label, l.value)),
        );
        out.push(format!("{} {}", self.employer_name, self.dated));
        out.push("签约须知：".to_string());
        out.extend(self.notice.iter().cloned());
        out.join("\n")
    }
}

/// A China calendar day as the letter writes it.
pub fn day_label(day: Date) -> String {
    format!("{}年{}月{}日", day.year(), u8::from(day.month()), day.day())
}

/// The letter an invitation sent at `sent_at` with answer `deadline` reads as. The deadline is
/// the end of its last day, written as that day's 24时 (never 0时 of the next).
pub fn invitation_letter(
    graduate_name: &str,
    employer_name: &str,
    terms: &AgreementTerms,
    sent_at: Millis,
    deadline: Millis,
) -> InvitationLetter {
    let last_day = china_date(deadline.plus_ms(-1));
    let mut lines = Vec::new();
    let mut line = |label: &str, value: String| {
        if !value.trim().is_empty() {
            lines.push(LetterLine {
                label: label.to_string(),
                value,
            });
        }
    };
    line("工作职位类别", terms.position_category.clone());
    line(
        "试用期",
        match terms.probation_months {
            0 => "无".to_string(),
            m => format!("{m}（个月）"),
        },
    );
    if terms.probation_months > 0 {
        line(
            "试用起薪",
            format!("{}（元/月）", terms.probation_salary_yuan),
        );
    }
    line(
        "转正起薪",
        format!("{}（元/月）", terms.regular_salary_yuan),
    );
    line("违约金", format!("{}（元）", terms.breach_penalty_yuan));
    line("报到地点", terms.report_place.clone());
    line("报到期限", terms.report_deadline.clone());
    line("实际工作地点", terms.work_location.clone());
    line("签约联系人", terms.contact_name.clone());
    line("联系电话", terms.contact_phone.clone());
    line("档案接收", terms.archive_receiver.clone());
    line("户口接收", terms.household_receiver.clone());
    line("约定条款", terms.agreed_terms.clone());
    InvitationLetter {
        greeting: format!("{graduate_name}同学，你好！"),
        offer: format!(
            "我单位拟录用（聘用）你为 {} 岗位员工，请于{}24时之前反馈，办理网签手续。过期不反馈视为主动放弃。",
            terms.position.trim(),
            day_label(last_day)
        ),
        lines,
        employer_name: employer_name.to_string(),
        dated: day_label(china_date(sent_at)),
        notice: SIGNING_NOTICE.iter().map(|p| p.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::invitation_deadline;

    #[test]
    fn the_letter_names_the_position_and_the_last_day_at_24() {
        // 2026-12-08 10:00 China time; five days to answer: until 13 December 24:00.
        let sent = Millis(1_796_695_200_000);
        let terms = AgreementTerms {
            position: " 市场助理 ".into(),
            probation_months: 3,
            probation_salary_yuan: 3000,
            regular_salary_yuan: 4000,
            ..AgreementTerms::default()
        };
        let l = invitation_letter(
            "黄河水",
            "星光集团",
            &terms,
            sent,
            invitation_deadline(sent, 5),
        );
        assert_eq!(l.greeting, "黄河水同学，你好！");
        assert_eq!(
            l.offer,
            "我单位拟录用（聘用）你为 市场助理 岗位员工，请于2026年12月13日24时之前反馈，办理网签手续。过期不反馈视为主动放弃。"
        );
        assert_eq!(l.dated, "2026年12月8日");
        assert!(l.lines.contains(&LetterLine {
            label: "试用起薪".into(),
            value: "3000（元/月）".into()
        }));
        assert!(l.text().contains("签约须知：\n一、符合下列情况之一"));
        assert!(!l.text().contains("劳动教养"));
    }
}
