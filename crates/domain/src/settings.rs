//! Per-school, per-cohort signing settings (网签开放设置, SPEC §10 and §6).
//!
//! The manuals disagree on several behaviours (when an agreement binds, how many terminations a
//! graduate gets, who verifies employers); each school decides here, for each graduation year.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, Month};

/// Number of review levels for signings, terminations and other registrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewLevels {
    /// The school reviews alone.
    One,
    /// The department reviews first, the school decides.
    Two,
}

impl ReviewLevels {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewLevels::One => "one",
            ReviewLevels::Two => "two",
        }
    }

    /// Accepts the stored form ("one" / "two") or the digits "1" / "2".
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "one" | "1" => Some(ReviewLevels::One),
            "two" | "2" => Some(ReviewLevels::Two),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewLevels::One => "一级审核（学校审核）",
            ReviewLevels::Two => "两级审核（院系初审、学校终审）",
        }
    }

    /// How many approvals an item needs.
    pub fn count(self) -> u8 {
        match self {
            ReviewLevels::One => 1,
            ReviewLevels::Two => 2,
        }
    }
}

/// When an online agreement becomes binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BindingMoment {
    /// When the graduate accepts (Anhui, seed 003); the review checks data only.
    OnAcceptance,
    /// When the school attests it (Hubei, seed 002).
    OnAttestation,
}

impl BindingMoment {
    pub fn as_str(self) -> &'static str {
        match self {
            BindingMoment::OnAcceptance => "on_acceptance",
            BindingMoment::OnAttestation => "on_attestation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "on_acceptance" => Some(BindingMoment::OnAcceptance),
            "on_attestation" => Some(BindingMoment::OnAttestation),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BindingMoment::OnAcceptance => "学生确认签约即生效",
            BindingMoment::OnAttestation => "学校鉴证后生效",
        }
    }
}

/// Whose verification an employer needs before it may sign with this school's graduates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmployerVerification {
    /// The platform's verification is enough.
    PlatformSufficient,
    /// The school must verify the employer itself.
    SchoolRequired,
}

impl EmployerVerification {
    pub fn as_str(self) -> &'static str {
        match self {
            EmployerVerification::PlatformSufficient => "platform_sufficient",
            EmployerVerification::SchoolRequired => "school_required",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "platform_sufficient" => Some(EmployerVerification::PlatformSufficient),
            "school_required" => Some(EmployerVerification::SchoolRequired),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EmployerVerification::PlatformSufficient => "平台审核通过即可",
            EmployerVerification::SchoolRequired => "须经本校审核",
        }
    }
}

/// The signing settings of one school for one graduation year.
///
/// Dates serialise as "YYYY-MM-DD".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SigningSettings {
    #[schema(maximum = 65535)]
    pub graduation_year: u16,
    /// First day on which invitations may be sent and accepted.
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub signing_opens_on: Date,
    /// Last day of the signing window (inclusive).
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub signing_closes_on: Date,
    pub review_levels: ReviewLevels,
    pub binding_moment: BindingMoment,
    pub employer_may_request_termination: bool,
    /// Terminations are refused before this day.
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub termination_not_before: Date,
    /// Approved terminations allowed per graduate; 0 means none.
    #[schema(maximum = 255)]
    pub max_terminations: u8,
    /// Default response validity of an invitation (反馈有效期), in days.
    #[schema(maximum = 255)]
    pub invitation_validity_days: u8,
    pub employer_verification: EmployerVerification,
    /// Copies in each printed agreement (seed 001: 3 — employer, graduate, school).
    #[serde(default = "three_copies")]
    #[schema(maximum = 255)]
    pub agreement_copies: u8,
    /// 生源审核: imported records wait for the department's or the school's review before
    /// employers can find them (default on); off, imported records are approved at once.
    #[serde(default = "on")]
    pub roster_review: bool,
}

fn three_copies() -> u8 {
    3
}

fn on() -> bool {
    true
}

/// One invalid setting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{reason}")]
pub struct SettingsError {
    /// snake_case field name, as in [`SigningSettings`].
    pub field: &'static str,
    /// Chinese explanation for the form.
    pub reason: String,
}

impl SigningSettings {
    /// The settings a school starts from for a cohort:
    /// - signing opens on 1 September of the year before graduation (seed 003's default
    ///   opening, e.g. 2025-09-01 for the 2026 cohort);
    /// - signing closes on 31 December of the graduation year (graduates may still sign after
    ///   leaving school; the school shortens it if it wishes);
    /// - two review levels, department then school (seed 002; seed 003 "学院或系部初审，学校终审");
    /// - binding on attestation (seed 002, the safer reading of the two platforms);
    /// - employers may request termination (seed 004 allows it where the school does);
    /// - termination not before 1 September of the year before graduation (seed 003);
    /// - at most 3 terminations per graduate (seed 003; seed 002 allows one);
    /// - invitations valid 5 days (seed 002's 反馈有效期 default);
    /// - platform verification of employers is enough (seeds 002 / 004);
    /// - the printed agreement carries 3 copies (seed 001);
    /// - imported records are reviewed before employers find them (004 §4.2 note).
    pub fn defaults_for(graduation_year: u16) -> SigningSettings {
        let year = i32::from(graduation_year);
        let sept_first_before = date_or_max(year - 1, Month::September, 1);
        SigningSettings {
            graduation_year,
            signing_opens_on: sept_first_before,
            signing_closes_on: date_or_max(year, Month::December, 31),
            review_levels: ReviewLevels::Two,
            binding_moment: BindingMoment::OnAttestation,
            employer_may_request_termination: true,
            termination_not_before: sept_first_before,
            max_terminations: 3,
            invitation_validity_days: 5,
            employer_verification: EmployerVerification::PlatformSufficient,
            agreement_copies: three_copies(),
            roster_review: true,
        }
    }

    /// Checks the settings and returns every problem found.
    pub fn validate(&self) -> Result<(), Vec<SettingsError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &'static str, reason: &str| {
            errors.push(SettingsError {
                field,
                reason: reason.to_owned(),
            });
        };
        if !(2000..=2100).contains(&self.graduation_year) {
            fail("graduation_year", "毕业年度应在2000至2100之间");
        }
        if self.signing_closes_on <= self.signing_opens_on {
            fail("signing_closes_on", "网签关闭日期应晚于开放日期");
        }
        if !(1..=30).contains(&self.invitation_validity_days) {
            fail("invitation_validity_days", "邀请反馈有效期应为1至30天");
        }
        if !(1..=3).contains(&self.agreement_copies) {
            fail("agreement_copies", "协议书打印份数应为1至3份");
        }
        if self.max_terminations > 10 {
            fail("max_terminations", "每人解约次数上限应为0至10次");
        }
        let earliest = one_year_before(self.signing_opens_on);
        if self.termination_not_before < earliest
            || self.termination_not_before > self.signing_closes_on
        {
            fail(
                "termination_not_before",
                "解约起始日期应在网签开放日期前一年至网签关闭日期之间",
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Builds a date; years outside `time`'s range (only reachable with absurd graduation years,
/// which `validate` rejects) fall back to the latest date instead of panicking.
fn date_or_max(year: i32, month: Month, day: u8) -> Date {
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
}

/// The same day one year earlier; 29 February becomes 28 February.
fn one_year_before(d: Date) -> Date {
    let year = d.year() - 1;
    d.replace_year(year)
        .or_else(|_| Date::from_calendar_date(year, d.month(), 28))
        .unwrap_or(Date::MIN)
}

/// Serde for `time::Date` as "YYYY-MM-DD" without needing `time`'s serde feature.
mod iso_date {
    use serde::{de, Deserialize, Deserializer, Serializer};
    use time::format_description::FormatItem;
    use time::macros::format_description;
    use time::Date;

    const FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        let text = date.format(FORMAT).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text, FORMAT).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn defaults_for_2026() {
        let s = SigningSettings::defaults_for(2026);
        assert_eq!(s.graduation_year, 2026);
        assert_eq!(s.signing_opens_on, date!(2025 - 09 - 01));
        assert_eq!(s.signing_closes_on, date!(2026 - 12 - 31));
        assert_eq!(s.termination_not_before, date!(2025 - 09 - 01));
        assert_eq!(s.review_levels, ReviewLevels::Two);
        assert_eq!(s.binding_moment, BindingMoment::OnAttestation);
        assert!(s.employer_may_request_termination);
        assert_eq!(s.max_terminations, 3);
        assert_eq!(s.invitation_validity_days, 5);
        assert_eq!(
            s.employer_verification,
            EmployerVerification::PlatformSufficient
        );
        assert!(s.roster_review);
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn defaults_for_absurd_year_do_not_panic_and_fail_validation() {
        let s = SigningSettings::defaults_for(u16::MAX);
        let errors = s.validate().expect_err("invalid");
        assert!(errors.iter().any(|e| e.field == "graduation_year"));
    }

    #[test]
    fn validate_reports_every_problem() {
        let mut s = SigningSettings::defaults_for(2026);
        s.graduation_year = 1999;
        s.signing_closes_on = s.signing_opens_on;
        s.invitation_validity_days = 0;
        s.max_terminations = 11;
        s.termination_not_before = date!(2027 - 01 - 01);
        let errors = s.validate().expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "graduation_year",
                "signing_closes_on",
                "invitation_validity_days",
                "max_terminations",
                "termination_not_before",
            ]
        );
        assert!(errors.iter().all(|e| !e.reason.is_empty()));
        assert_eq!(errors[1].to_string(), "网签关闭日期应晚于开放日期");
    }

    #[test]
    fn validate_bounds() {
        let mut s = SigningSettings::defaults_for(2026);
        s.invitation_validity_days = 30;
        s.max_terminations = 0;
        s.termination_not_before = date!(2024 - 09 - 01);
        assert_eq!(s.validate(), Ok(()));
        s.invitation_validity_days = 31;
        s.termination_not_before = date!(2024 - 08 - 31);
        let fields: Vec<_> = s
            .validate()
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["invitation_validity_days", "termination_not_before"]
        );
        s.invitation_validity_days = 1;
        s.termination_not_before = s.signing_closes_on;
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn one_year_before_handles_leap_day() {
        assert_eq!(
            one_year_before(date!(2024 - 02 - 29)),
            date!(2023 - 02 - 28)
        );
        assert_eq!(
            one_year_before(date!(2025 - 09 - 01)),
            date!(2024 - 09 - 01)
        );
    }

    #[test]
    fn enums_round_trip_through_storage_strings() {
        for v in [ReviewLevels::One, ReviewLevels::Two] {
            assert_eq!(ReviewLevels::parse(v.as_str()), Some(v));
            assert!(!v.label().is_empty());
        }
        for v in [BindingMoment::OnAcceptance, BindingMoment::OnAttestation] {
            assert_eq!(BindingMoment::parse(v.as_str()), Some(v));
            assert!(!v.label().is_empty());
        }
        for v in [
            EmployerVerification::PlatformSufficient,
            EmployerVerification::SchoolRequired,
        ] {
            assert_eq!(EmployerVerification::parse(v.as_str()), Some(v));
            assert!(!v.label().is_empty());
        }
        assert_eq!(ReviewLevels::parse("2"), Some(ReviewLevels::Two));
        assert_eq!(ReviewLevels::Two.count(), 2);
        assert_eq!(BindingMoment::parse("nope"), None);
        assert_eq!(BindingMoment::OnAcceptance.label(), "学生确认签约即生效");
    }

    #[test]
    fn serde_names_and_date_format() {
        use serde::de::value::{Error, StrDeserializer};
        let de = |s: &'static str| StrDeserializer::<Error>::new(s);
        assert_eq!(ReviewLevels::deserialize(de("two")), Ok(ReviewLevels::Two));
        assert_eq!(
            BindingMoment::deserialize(de("on_acceptance")),
            Ok(BindingMoment::OnAcceptance)
        );
        assert_eq!(
            EmployerVerification::deserialize(de("school_required")),
            Ok(EmployerVerification::SchoolRequired)
        );
        assert_eq!(
            iso_date::deserialize(de("2025-09-01")),
            Ok(date!(2025 - 09 - 01))
        );
        assert!(iso_date::deserialize(de("2025-02-30")).is_err());
        assert!(iso_date::deserialize(de("01/09/2025")).is_err());
    }
}
