//! Rules of the agreement document (SPEC §9): which states can be printed and as what, the
//! copies, the binding sentence, what the anti-counterfeit check says, and the self-service
//! print code.

use crate::lifecycle::{AgreementKind, AgreementState};
use crate::settings::BindingMoment;

/// What a PDF of an agreement is, in its current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printable {
    /// The numbered agreement in force (effective, or still in force while an amendment or a
    /// termination is being decided).
    Agreement,
    /// The paper agreement the school has approved in content, printed to be signed and stamped
    /// (待反馈, and again while the scan is reviewed).
    PaperForSigning,
}

/// Whether an agreement in `state` can be printed. `numbered` tells whether it was ever
/// effective: an amendment proposed before the school's review has nothing in force to print.
/// The refusal says why, in the words of the state.
pub fn printable(
    kind: AgreementKind,
    state: AgreementState,
    numbered: bool,
) -> Result<Printable, String> {
    use AgreementState::*;
    if !state.belongs_to(kind) {
        return Err(format!("{}没有“{}”状态", kind.label(), state.label()));
    }
    match (kind, state) {
        (_, Effective | TerminationRequested | TerminationReview | TerminationDeptApproved)
            if numbered =>
        {
            Ok(Printable::Agreement)
        }
        (AgreementKind::Online, AmendmentPending | AmendmentReview) if numbered => {
            Ok(Printable::Agreement)
        }
        (AgreementKind::Paper, AwaitingFeedback | FeedbackReview) => Ok(Printable::PaperForSigning),
        (_, Terminated) => Err("协议已解约，不能再打印协议书；存档请下载证据包".to_string()),
        (_, Withdrawn | Rejected | Expired | Cancelled | ReviewRejected) => Err(format!(
            "协议书当前状态为“{}”，没有可打印的协议书",
            state.label()
        )),
        (AgreementKind::Paper, Draft | ContentReview) => Err(format!(
            "协议书当前状态为“{}”，学校审核协议内容通过后才能打印",
            state.label()
        )),
        _ => Err(format!(
            "协议书当前状态为“{}”，学校审核通过（已生效）后才能打印",
            state.label()
        )),
    }
}

/// Whether an evidence package can be made: whenever the agreement can be printed, and also
/// after a numbered agreement was terminated (it is evidence then most of all).
pub fn evidence_available(
    kind: AgreementKind,
    state: AgreementState,
    numbered: bool,
) -> Result<(), String> {
    if state == AgreementState::Terminated && numbered {
        return Ok(());
    }
    printable(kind, state, numbered).map(|_| ())
}

/// Whether the standard termination proof (解除协议证明) can be downloaded: for a paper
/// agreement in force, whose graduate must bring it to the employer to be stamped (002 §2.4.1).
pub fn termination_form_available(
    kind: AgreementKind,
    state: AgreementState,
) -> Result<(), String> {
    match (kind, state) {
        (AgreementKind::Paper, AgreementState::Effective | AgreementState::TerminationReview) => {
            Ok(())
        }
        (AgreementKind::Online, _) => {
            Err("网上签约的协议由双方在线申请解约，无须下载解约证明".to_string())
        }
        _ => Err(format!(
            "协议书当前状态为“{}”，生效的纸质协议才能下载解约证明",
            state.label()
        )),
    }
}

/// The copy labels of a printed agreement: 3 by default (employer, graduate, school, seed 001).
pub fn copy_labels(copies: u8) -> Vec<String> {
    ["甲方（毕业生）存", "乙方（用人单位）存", "学校存"]
        .into_iter()
        .take(usize::from(copies.clamp(1, 3)))
        .map(str::to_string)
        .collect()
}

/// The sentence printed on the agreement about when it binds (SPEC §5 end).
pub fn binding_sentence(moment: BindingMoment) -> &'static str {
    match moment {
        BindingMoment::OnAcceptance => {
            "本协议自毕业生确认签约之时起对甲乙双方具有约束力；学校鉴证仅核查信息是否真实准确。"
        }
        BindingMoment::OnAttestation => {
            "本协议经学校鉴证（审核通过）后生效，对甲乙双方具有约束力。"
        }
    }
}

/// What the public check of a QR token concludes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Issued by the platform for the terms in force, and the agreement is in force.
    Genuine,
    /// Issued by the platform, but the agreement has been terminated since.
    Terminated,
    /// Issued by the platform for terms that a later amendment replaced.
    Superseded { current_version: i64 },
    /// Issued by the platform, but the agreement is not (or no longer) in force for another
    /// reason (a revoked review, a paper agreement still being signed).
    NotInForce,
    /// Not issued by the platform: a bad signature, an unknown record or content.
    Forged,
}

impl Verdict {
    /// Judges a token whose signature is valid against the record it names.
    pub fn judge(
        state: AgreementState,
        token_terms_version: i64,
        current_terms_version: i64,
        content_known: bool,
    ) -> Verdict {
        if !content_known {
            return Verdict::Forged;
        }
        if state == AgreementState::Terminated {
            return Verdict::Terminated;
        }
        if token_terms_version != current_terms_version {
            return Verdict::Superseded {
                current_version: current_terms_version,
            };
        }
        use AgreementState::*;
        match state {
            Effective
            | AmendmentPending
            | AmendmentReview
            | TerminationRequested
            | TerminationReview
            | TerminationDeptApproved => Verdict::Genuine,
            _ => Verdict::NotInForce,
        }
    }

    /// The issuing platform made this document (whatever became of the agreement since).
    pub fn issued_by_platform(&self) -> bool {
        !matches!(self, Verdict::Forged)
    }

    /// Whether a reader should be warned (shown in red).
    pub fn is_warning(&self) -> bool {
        !matches!(self, Verdict::Genuine)
    }

    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Genuine => "genuine",
            Verdict::Terminated => "terminated",
            Verdict::Superseded { .. } => "superseded",
            Verdict::NotInForce => "not_in_force",
            Verdict::Forged => "forged",
        }
    }

    pub fn headline(&self) -> String {
        match self {
            Verdict::Genuine => "真实有效：本协议书由网签平台签发，当前有效".into(),
            Verdict::Terminated => "协议已解约：本协议书由网签平台签发，但协议已经解除".into(),
            Verdict::Superseded { current_version } => format!(
                "版本已被取代：本协议书由网签平台签发，但协议条款已修改为第 {current_version} 版，此版本不再有效"
            ),
            Verdict::NotInForce => "当前未生效：本协议书由网签平台签发，但协议目前不在有效状态".into(),
            Verdict::Forged => "无法核验：二维码不是网签平台签发的，或内容已被改动".into(),
        }
    }
}

/// What a QR token asserts, signed by the platform: this agreement, numbered so, with these
/// terms, rendered with this content. Text `1.<number or ->.<id hex>.<terms version>.<hash>`,
/// kept short so that the QR stays scannable on paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub agreement_id: String,
    pub number: Option<String>,
    pub terms_version: i64,
    /// The first 32 hex digits (128 bits) of the content hash.
    pub content_hash_prefix: String,
}

/// Hex digits of the content hash a token carries.
pub const TOKEN_HASH_DIGITS: usize = 32;

impl TokenClaims {
    pub fn new(
        agreement_id: &str,
        number: Option<&str>,
        terms_version: i64,
        content_hash: &str,
    ) -> TokenClaims {
        TokenClaims {
            agreement_id: agreement_id.to_string(),
            number: number.map(str::to_string),
            terms_version,
            content_hash_prefix: content_hash.chars().take(TOKEN_HASH_DIGITS).collect(),
        }
    }

    pub fn to_payload(&self) -> String {
        format!(
            "1.{}.{}.{}.{}",
            self.number.as_deref().unwrap_or("-"),
            self.agreement_id.replace('-', ""),
            self.terms_version,
            self.content_hash_prefix
        )
    }

    /// Reads a payload whose signature has been checked already.
    pub fn parse(payload: &str) -> Option<TokenClaims> {
        let mut parts = payload.split('.');
        if parts.next()? != "1" {
            return None;
        }
        let number = parts.next()?;
        let id = parts.next()?;
        let version = parts.next()?.parse().ok()?;
        let hash = parts.next()?;
        if parts.next().is_some()
            || id.len() != 32
            || !id.bytes().all(|b| b.is_ascii_hexdigit())
            || hash.len() != TOKEN_HASH_DIGITS
            || !hash.bytes().all(|b| b.is_ascii_hexdigit())
            || !(number == "-" || number.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let agreement_id = format!(
            "{}-{}-{}-{}-{}",
            &id[0..8],
            &id[8..12],
            &id[12..16],
            &id[16..20],
            &id[20..32]
        );
        Some(TokenClaims {
            agreement_id,
            number: (number != "-").then(|| number.to_string()),
            terms_version: version,
            content_hash_prefix: hash.to_string(),
        })
    }
}

/// A name for the public check page: the family name and a mask (林*, 欧阳**).
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_string(),
        n => {
            let keep = if n >= 4 { 2 } else { 1 };
            chars[..keep].iter().collect::<String>() + &"*".repeat(n - keep)
        }
    }
}

/// Self-service print codes (003): shown on a PC, confirmed on the graduate's phone.
pub mod print_code {
    use crate::ids::Millis;

    /// Minutes a code stays usable.
    pub const VALID_MINUTES: i64 = 5;
    /// Letters and digits a person reads off a screen without confusing them (no 0/O, 1/I/L).
    pub const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    pub const LENGTH: usize = 8;

    /// A code typed on a phone: case and spaces do not matter.
    pub fn normalise(input: &str) -> Option<String> {
        let code: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
    }

    /// Why a code cannot be used now, if it cannot.
    pub fn refusal(
        expires_at: Millis,
        confirmed: bool,
        used: bool,
        now: Millis,
    ) -> Option<&'static str> {
        if used {
            Some("该打印码已使用，请在电脑上重新获取")
        } else if now >= expires_at {
            Some("该打印码已过期（有效期 5 分钟），请在电脑上重新获取")
        } else if confirmed {
            Some("该打印码已确认过，请在电脑上打印")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Millis;
    use crate::lifecycle::AgreementState as S;

    #[test]
    fn only_agreements_in_force_print_and_every_refusal_names_the_state() {
        for &s in S::ALL {
            for kind in [AgreementKind::Online, AgreementKind::Paper] {
                for numbered in [false, true] {
                    match printable(kind, s, numbered) {
                        Ok(Printable::Agreement) => {
                            assert!(numbered, "{s:?}");
                            assert!(s.holds_outcome(kind), "{s:?} {kind:?}");
                        }
                        Ok(Printable::PaperForSigning) => {
                            assert_eq!(kind, AgreementKind::Paper);
                            assert!(matches!(s, S::AwaitingFeedback | S::FeedbackReview));
                        }
                        Err(m) => assert!(!m.is_empty()),
                    }
                }
            }
        }
        assert_eq!(
            printable(AgreementKind::Online, S::Effective, true),
            Ok(Printable::Agreement)
        );
        let signed = printable(AgreementKind::Online, S::Signed, false).unwrap_err();
        assert!(signed.contains("签约成功，待学校审核"), "{signed}");
        assert!(printable(AgreementKind::Online, S::Terminated, true)
            .unwrap_err()
            .contains("已解约"));
        assert_eq!(
            printable(AgreementKind::Paper, S::AwaitingFeedback, false),
            Ok(Printable::PaperForSigning)
        );
        // An amendment to a signed agreement that the school never approved prints nothing.
        assert!(printable(AgreementKind::Online, S::AmendmentPending, false).is_err());
    }

    #[test]
    fn evidence_outlives_printing_once_terminated() {
        assert!(evidence_available(AgreementKind::Online, S::Terminated, true).is_ok());
        assert!(evidence_available(AgreementKind::Online, S::Effective, true).is_ok());
        assert!(evidence_available(AgreementKind::Online, S::Signed, false).is_err());
    }

    #[test]
    fn the_termination_form_is_for_paper_agreements_in_force() {
        assert!(termination_form_available(AgreementKind::Paper, S::Effective).is_ok());
        assert!(termination_form_available(AgreementKind::Online, S::Effective).is_err());
        assert!(termination_form_available(AgreementKind::Paper, S::Draft).is_err());
    }

    #[test]
    fn copies_default_to_three_and_stay_within_one_to_three() {
        assert_eq!(copy_labels(3).len(), 3);
        assert_eq!(copy_labels(0).len(), 1);
        assert_eq!(copy_labels(9).len(), 3);
        assert_eq!(copy_labels(1), vec!["甲方（毕业生）存".to_string()]);
    }

    #[test]
    fn the_verdict_follows_the_record_not_the_paper() {
        assert_eq!(Verdict::judge(S::Effective, 1, 1, true), Verdict::Genuine);
        assert_eq!(
            Verdict::judge(S::Terminated, 1, 1, true),
            Verdict::Terminated
        );
        assert_eq!(
            Verdict::judge(S::Effective, 1, 2, true),
            Verdict::Superseded { current_version: 2 }
        );
        assert_eq!(Verdict::judge(S::Effective, 1, 1, false), Verdict::Forged);
        assert_eq!(Verdict::judge(S::Signed, 1, 1, true), Verdict::NotInForce);
        assert!(Verdict::Terminated.is_warning());
        assert!(Verdict::Terminated.issued_by_platform());
        assert!(!Verdict::Forged.issued_by_platform());
        assert!(Verdict::Terminated.headline().contains("解约"));
    }

    #[test]
    fn print_codes_are_normalised_and_refused_once_used_or_late() {
        assert_eq!(
            print_code::normalise(" abcd-2345 ").as_deref(),
            Some("ABCD2345")
        );
        assert_eq!(
            print_code::normalise("ABCD0345"),
            None,
            "0 is not in the alphabet"
        );
        assert_eq!(print_code::normalise("ABC"), None);
        assert!(print_code::refusal(Millis(1000), false, false, Millis(999)).is_none());
        assert!(print_code::refusal(Millis(1000), false, false, Millis(1000)).is_some());
        assert!(print_code::refusal(Millis(1000), false, true, Millis(10)).is_some());
        assert!(print_code::refusal(Millis(1000), true, false, Millis(10)).is_some());
    }

    #[test]
    fn token_claims_round_trip_and_refuse_anything_else() {
        let c = TokenClaims::new(
            "0b9c6d2e-4f1a-4c8e-9d3b-7a6f5e4d3c2b",
            Some("1202719101000001"),
            2,
            &"ab".repeat(32),
        );
        let p = c.to_payload();
        assert_eq!(TokenClaims::parse(&p), Some(c.clone()));
        let paper = TokenClaims::new(
            "0b9c6d2e-4f1a-4c8e-9d3b-7a6f5e4d3c2b",
            None,
            1,
            &"cd".repeat(32),
        );
        assert_eq!(TokenClaims::parse(&paper.to_payload()), Some(paper));
        assert_eq!(TokenClaims::parse(&p.replacen("1.", "2.", 1)), None);
        assert_eq!(TokenClaims::parse(&format!("{p}.x")), None);
        assert_eq!(TokenClaims::parse("1.-.zz.1.ab"), None);
    }

    #[test]
    fn names_are_masked_after_the_family_name() {
        assert_eq!(mask_name("林晓"), "林*");
        assert_eq!(mask_name("王小明"), "王**");
        assert_eq!(mask_name("欧阳娜娜"), "欧阳**");
        assert_eq!(mask_name("林"), "*");
    }

    #[test]
    fn the_binding_sentence_differs_by_setting() {
        assert_ne!(
            binding_sentence(BindingMoment::OnAcceptance),
            binding_sentence(BindingMoment::OnAttestation)
        );
    }
}
