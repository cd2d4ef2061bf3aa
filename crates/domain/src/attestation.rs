//! The normalised fields a reviewer fills in while attesting an agreement (鉴证, seed 002
//! §2.1.3 "请填写信息"): 单位性质, 单位行业, 单位所在地 by region code and 单位地址. They feed
//! statistics and the destination export, so they are codes from the national tables, not the
//! company's free text.

use serde::{Deserialize, Serialize};

use crate::codes;
use crate::lifecycle::{AgreementKind, AgreementState};
use crate::terms::{RegionAddress, TermsError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestationFields {
    /// 单位性质 code (GB/T, e.g. `39` 其他企业).
    #[schema(example = "39")]
    pub unit_nature_code: String,
    /// 单位行业 code (GB/T 4754 section, e.g. `34`).
    #[schema(example = "34")]
    pub industry_code: String,
    /// 单位所在地 to county level, and 单位地址 as its street.
    pub place: RegionAddress,
}

/// The error field names, as the API and the page's form name them.
pub const UNIT_NATURE_FIELD: &str = "unit_nature_code";
pub const INDUSTRY_FIELD: &str = "industry_code";
pub const PLACE_FIELDS: (&str, &str) = ("place.county_code", "place.street");

impl AttestationFields {
    /// Trimmed, and every problem at once.
    pub fn validate(self) -> Result<AttestationFields, Vec<TermsError>> {
        let f = AttestationFields {
            unit_nature_code: self.unit_nature_code.trim().to_string(),
            industry_code: self.industry_code.trim().to_string(),
            place: self.place.normalised(),
        };
        let mut e = Vec::new();
        if codes::UNIT_NATURE.name_of(&f.unit_nature_code).is_none() {
            e.push(TermsError {
                field: UNIT_NATURE_FIELD,
                reason: "请选择单位性质",
            });
        }
        if codes::INDUSTRY.name_of(&f.industry_code).is_none() {
            e.push(TermsError {
                field: INDUSTRY_FIELD,
                reason: "请选择单位行业",
            });
        }
        f.place.check(&mut e, PLACE_FIELDS, true);
        if e.is_empty() {
            Ok(f)
        } else {
            Err(e)
        }
    }
}

/// Why the fields cannot be filled in for a record in this state, if they cannot: only an
/// agreement that holds the graduate's outcome (under review, effective, being terminated) is
/// counted in statistics, so only it is normalised.
pub fn may_fill(kind: AgreementKind, state: AgreementState) -> Result<(), &'static str> {
    if state.holds_outcome(kind) {
        Ok(())
    } else {
        Err("只有已签约（待审核、已生效或解约办理中）的协议书需要填写鉴证信息")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(nature: &str, industry: &str, county: &str, street: &str) -> AttestationFields {
        AttestationFields {
            unit_nature_code: nature.into(),
            industry_code: industry.into(),
            place: RegionAddress {
                county_code: county.into(),
                street: street.into(),
            },
        }
    }

    #[test]
    fn codes_from_the_tables_pass_trimmed() {
        let ok = fields(" 39 ", "34", "340104", " 长江西路 1 号 ")
            .validate()
            .unwrap();
        assert_eq!(ok.unit_nature_code, "39");
        assert_eq!(ok.place.street, "长江西路 1 号");
    }

    #[test]
    fn every_wrong_field_is_named_at_once() {
        let e = fields("99x", "", "3401", "").validate().unwrap_err();
        let named: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(
            named,
            [
                UNIT_NATURE_FIELD,
                INDUSTRY_FIELD,
                "place.county_code",
                "place.street"
            ]
        );
    }

    #[test]
    fn only_a_record_holding_the_outcome_is_normalised() {
        use AgreementState as S;
        assert!(may_fill(AgreementKind::Online, S::Signed).is_ok());
        assert!(may_fill(AgreementKind::Online, S::Effective).is_ok());
        assert!(may_fill(AgreementKind::Online, S::Invited).is_err());
        assert!(may_fill(AgreementKind::Online, S::Terminated).is_err());
    }
}
