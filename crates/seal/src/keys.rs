//! The platform's key pair and certificate, its public half, and signed tokens.

use anyhow::{anyhow, bail, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use der::asn1::{PrintableStringRef, SetOfVec, Utf8StringRef};
use der::{Any, DateTime, Decode, DecodePem, Encode, EncodePem};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use spki::{DecodePublicKey, EncodePublicKey, SubjectPublicKeyInfoOwned};
use std::time::Duration;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use crate::{sign_pdf_with, PdfSignOptions, SealError, SealSigner};

/// Tokens sign this prefix and the payload part, so that a token signature can never be
/// passed off as a signature over some other message of the platform (or the reverse).
const TOKEN_DOMAIN: &[u8] = b"wangqian-token-v1.";

/// The platform's signing key pair and certificate (the 平台电子印章). Self-signed by default;
/// a CA-issued certificate (with its chain) can be loaded instead with [`PlatformSeal::from_pem`].
#[derive(Clone)]
pub struct PlatformSeal {
    key: SigningKey,
    public: SealPublic,
}

/// The public half, for offline checks (`wangqian verify`).
#[derive(Clone)]
pub struct SealPublic {
    /// Leaf first, then any chain certificates, as DER.
    certs: Vec<Vec<u8>>,
    key: VerifyingKey,
    subject: String,
}

impl std::fmt::Debug for PlatformSeal {
    // Never prints the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformSeal")
            .field("subject", &self.public.subject)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SealPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealPublic")
            .field("subject", &self.subject)
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

/// The certificate's public key, which must be P-256 (the only curve this crate signs with).
pub(crate) fn p256_key(cert: &Certificate) -> Result<VerifyingKey, String> {
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| e.to_string())?;
    VerifyingKey::from_public_key_der(&spki)
        .map_err(|_| "证书的公钥不是 ECDSA P-256 密钥".to_string())
}

/// Splits PEM text into its CERTIFICATE blocks, ignoring anything around them
/// (comments, "Bag Attributes" lines that openssl writes, other block types).
fn parse_cert_chain(pem: &str) -> anyhow::Result<Vec<Certificate>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut certs = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let end = rest[start..]
            .find(END)
            .map(|e| start + e + END.len())
            .ok_or_else(|| anyhow!("证书 PEM 不完整：缺少 {END}"))?;
        let cert = Certificate::from_pem(&rest.as_bytes()[start..end])
            .with_context(|| format!("第 {} 张证书无法解析", certs.len() + 1))?;
        certs.push(cert);
        rest = &rest[end..];
    }
    if certs.is_empty() {
        bail!("没有找到证书（应为 PEM 格式，以 {BEGIN} 开头）");
    }
    Ok(certs)
}

fn add_years(t: DateTime, years: u16) -> anyhow::Result<DateTime> {
    // 29 February has no counterpart in most years; 28 February keeps the span within bounds.
    let leap = |y: u16| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let year = t.year() + years;
    let day = if t.month() == 2 && t.day() == 29 && !leap(year) {
        28
    } else {
        t.day()
    };
    Ok(DateTime::new(
        year,
        t.month(),
        day,
        t.hour(),
        t.minutes(),
        t.seconds(),
    )?)
}

fn name(common_name: &str, organisation: &str) -> anyhow::Result<Name> {
    // Built attribute by attribute rather than parsed from "CN=…,O=…" text, so commas or
    // other RFC 4514 specials in the platform's name need no escaping.
    let rdn = |oid: &str, value: Any| -> anyhow::Result<RelativeDistinguishedName> {
        Ok(RelativeDistinguishedName(SetOfVec::try_from(vec![
            AttributeTypeAndValue {
                oid: oid.parse()?,
                value,
            },
        ])?))
    };
    // DER order is most general first; displayed (RFC 4514) order is the reverse.
    Ok(RdnSequence(vec![
        rdn(
            "2.5.4.6",
            Any::encode_from(&PrintableStringRef::new("CN")?)?,
        )?,
        rdn(
            "2.5.4.10",
            Any::encode_from(&Utf8StringRef::new(organisation)?)?,
        )?,
        rdn(
            "2.5.4.3",
            Any::encode_from(&Utf8StringRef::new(common_name)?)?,
        )?,
    ]))
}

impl PlatformSeal {
    /// New P-256 key and a self-signed X.509 v3 certificate whose subject is
    /// CN=`common_name`, O=`organisation`, C=CN, with a random 16-byte positive serial,
    /// valid from `now_unix` for 20 years, keyUsage digitalSignature + nonRepudiation and
    /// basicConstraints CA:false (an end-entity certificate that is its own issuer).
    pub fn generate(
        common_name: &str,
        organisation: &str,
        now_unix: i64,
    ) -> anyhow::Result<PlatformSeal> {
        if common_name.trim().is_empty() || organisation.trim().is_empty() {
            bail!("印章证书的名称和机构不能为空");
        }
        let key = SigningKey::random(&mut OsRng);
        let subject = name(common_name, organisation)?;
        let mut serial = [0u8; 16];
        OsRng.fill_bytes(&mut serial);
        // Top bit clear keeps the INTEGER positive; 0x40 keeps all 16 bytes significant.
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let start = DateTime::from_unix_duration(Duration::from_secs(
            u64::try_from(now_unix).map_err(|_| anyhow!("时间无效：{now_unix}"))?,
        ))?;
        let validity = Validity {
            not_before: Time::GeneralTime(start.into()),
            not_after: Time::GeneralTime(add_years(start, 20)?.into()),
        };
        let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())?;
        let builder = CertificateBuilder::new(
            Profile::Leaf {
                issuer: subject.clone(),
                enable_key_agreement: false,
                enable_key_encipherment: false,
            },
            SerialNumber::new(&serial)?,
            validity,
            subject,
            spki,
            &key,
        )
        .map_err(|e| anyhow!("生成证书失败：{e}"))?;
        let cert = builder
            .build::<DerSignature>()
            .map_err(|e| anyhow!("生成证书失败：{e}"))?;
        let public = SealPublic::from_certs(vec![cert])?;
        Ok(PlatformSeal { key, public })
    }

    /// Loads a PKCS#8 PEM private key (an OpenSSL "EC PRIVATE KEY" is accepted too) and a
    /// PEM certificate, optionally followed by its chain certificates in the same text.
    /// Fails when the key does not match the certificate's public key.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> anyhow::Result<PlatformSeal> {
        let key = if key_pem.contains("-----BEGIN EC PRIVATE KEY-----") {
            p256::SecretKey::from_sec1_pem(key_pem)
                .map(SigningKey::from)
                .map_err(|_| anyhow!("私钥无法解析（应为 P-256 EC 私钥）"))?
        } else {
            SigningKey::from_pkcs8_pem(key_pem)
                .map_err(|_| anyhow!("私钥无法解析（应为 PKCS#8 PEM 格式的 P-256 私钥）"))?
        };
        let public = SealPublic::from_certs(parse_cert_chain(cert_pem)?)?;
        if key.verifying_key() != &public.key {
            bail!(
                "私钥与证书不匹配：证书 {} 的公钥不是这把私钥的公钥（the private key does not match the certificate）",
                public.subject
            );
        }
        Ok(PlatformSeal { key, public })
    }

    /// The private key as PKCS#8 PEM (the caller writes it with mode 600).
    pub fn key_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .expect("a P-256 key always encodes as PKCS#8")
    }

    /// The leaf certificate followed by any chain certificates, as PEM.
    pub fn cert_pem(&self) -> String {
        self.public.cert_pem()
    }

    pub fn public(&self) -> SealPublic {
        self.public.clone()
    }

    /// The certificate subject, e.g. "CN=…,O=…,C=CN".
    pub fn subject(&self) -> String {
        self.public.subject.clone()
    }

    /// ECDSA P-256 / SHA-256 over `message` as a DER signature: what
    /// `openssl dgst -sha256 -verify pub.pem -signature sig msg` checks.
    pub fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        let sig: DerSignature = self.key.sign(message);
        sig.as_bytes().to_vec()
    }

    /// A compact signed token for QR codes: base64url(payload) + "." + base64url(r‖s), no
    /// padding. The signature covers `wangqian-token-v1.` followed by the payload part as
    /// written in the token.
    pub fn issue_token(&self, payload: &[u8]) -> String {
        let body = URL_SAFE_NO_PAD.encode(payload);
        let sig: Signature = self.key.sign(&token_message(&body));
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// Signs a PDF: the original bytes untouched plus one incremental update that adds an
    /// invisible signature field and a detached CMS signature (see [`sign_pdf_with`]).
    pub fn sign_pdf(&self, pdf: &[u8], options: &PdfSignOptions<'_>) -> Result<Vec<u8>, SealError> {
        sign_pdf_with(self, pdf, options)
    }
}

impl SealSigner for PlatformSeal {
    fn certificate_chain_der(&self) -> Vec<Vec<u8>> {
        self.public.certs.clone()
    }

    fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        PlatformSeal::sign_der(self, message)
    }
}

fn token_message(body: &str) -> Vec<u8> {
    [TOKEN_DOMAIN, body.as_bytes()].concat()
}

impl SealPublic {
    fn from_certs(certs: Vec<Certificate>) -> anyhow::Result<SealPublic> {
        let leaf = certs.first().ok_or_else(|| anyhow!("没有证书"))?;
        let key = p256_key(leaf).map_err(|e| anyhow!(e))?;
        let subject = leaf.tbs_certificate.subject.to_string();
        let certs = certs
            .iter()
            .map(|c| c.to_der())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SealPublic {
            certs,
            key,
            subject,
        })
    }

    /// Reads a PEM certificate (leaf first; any chain certificates after it are kept).
    pub fn from_cert_pem(cert_pem: &str) -> anyhow::Result<SealPublic> {
        SealPublic::from_certs(parse_cert_chain(cert_pem)?)
    }

    /// The leaf certificate followed by any chain certificates, as PEM.
    pub fn cert_pem(&self) -> String {
        self.certs
            .iter()
            .map(|der| {
                Certificate::from_der(der)
                    .and_then(|c| c.to_pem(LineEnding::LF))
                    .expect("certificates were decoded when loaded")
            })
            .collect()
    }

    /// The SubjectPublicKeyInfo as PEM, usable with `openssl dgst -verify`.
    pub fn public_key_pem(&self) -> String {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .expect("a P-256 public key always encodes")
    }

    /// SHA-256 of the leaf certificate's DER, in lower-case hex.
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(&self.certs[0]))
    }

    /// The certificate subject, e.g. "CN=…,O=…,C=CN".
    pub fn subject(&self) -> String {
        self.subject.clone()
    }

    /// Whether the same key pair: how a PDF's signer certificate is matched to this one.
    pub(crate) fn same_key(&self, other: &VerifyingKey) -> bool {
        &self.key == other
    }

    /// Checks an ECDSA P-256 / SHA-256 DER signature over `message`.
    pub fn verify_der(&self, message: &[u8], signature_der: &[u8]) -> bool {
        DerSignature::from_bytes(signature_der)
            .map(|sig| self.key.verify(message, &sig).is_ok())
            .unwrap_or(false)
    }

    /// Checks a token's signature and returns its payload.
    pub fn open_token(&self, token: &str) -> Result<Vec<u8>, SealError> {
        let (body, sig) = token.split_once('.').ok_or(SealError::TokenFormat)?;
        // The strict decoder rejects non-zero trailing bits, so each token has one spelling.
        let payload = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SealError::TokenFormat)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| SealError::TokenFormat)?;
        let sig = Signature::from_slice(&sig).map_err(|_| SealError::TokenFormat)?;
        self.key
            .verify(&token_message(body), &sig)
            .map_err(|_| SealError::TokenSignature)?;
        Ok(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_751_270_950;

    fn seal() -> PlatformSeal {
        PlatformSeal::generate("网签平台电子印章", "网签平台, 测试", NOW).unwrap()
    }

    #[test]
    fn handles_are_shareable() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<PlatformSeal>();
        shareable::<SealPublic>();
    }

    #[test]
    fn certificate_fields() {
        let s = seal();
        assert_eq!(s.subject(), "CN=网签平台电子印章,O=网签平台\\, 测试,C=CN");
        let cert = Certificate::from_der(&s.public.certs[0]).unwrap();
        let tbs = &cert.tbs_certificate;
        assert_eq!(tbs.issuer, tbs.subject);
        assert_eq!(tbs.serial_number.as_bytes().len(), 16);
        assert_eq!(
            tbs.validity.not_before.to_unix_duration().as_secs() as i64,
            NOW
        );
        assert_eq!(
            tbs.validity.not_after.to_date_time().year(),
            tbs.validity.not_before.to_date_time().year() + 20
        );
        let ext_ids: Vec<String> = tbs
            .extensions
            .iter()
            .flatten()
            .map(|e| e.extn_id.to_string())
            .collect();
        assert!(ext_ids.contains(&"2.5.29.15".to_string()), "keyUsage");
        assert!(
            ext_ids.contains(&"2.5.29.19".to_string()),
            "basicConstraints"
        );
    }

    #[test]
    fn leap_day_plus_twenty_years() {
        let t = DateTime::new(2024, 2, 29, 1, 2, 3).unwrap();
        assert_eq!(
            add_years(t, 20).unwrap(),
            DateTime::new(2044, 2, 29, 1, 2, 3).unwrap()
        );
        assert_eq!(
            add_years(t, 21).unwrap(),
            DateTime::new(2045, 2, 28, 1, 2, 3).unwrap()
        );
    }

    #[test]
    fn token_round_trip_and_tampering() {
        let s = seal();
        let payload = b"WQ1|2025-0001|abcdef0123456789";
        let token = s.issue_token(payload);
        assert!(!token.contains('='));
        let public = s.public();
        assert_eq!(public.open_token(&token).unwrap(), payload);

        // A single-character change anywhere in either part must fail.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for i in 0..token.len() {
            let original = token.as_bytes()[i];
            if original == b'.' {
                continue;
            }
            // The next letter of the alphabet: a change of one bit-group at this position.
            let at = alphabet.iter().position(|c| *c == original).unwrap();
            let mut changed = token.clone().into_bytes();
            changed[i] = alphabet[(at + 1) % alphabet.len()];
            let changed = String::from_utf8(changed).unwrap();
            assert!(public.open_token(&changed).is_err(), "accepted {changed}");
        }
        assert!(matches!(
            public.open_token("no-dot"),
            Err(SealError::TokenFormat)
        ));
        assert!(public.open_token("").is_err());
        assert!(public.open_token(&format!("{token}x")).is_err());

        // A token from another key fails, with a signature (not format) error.
        let other = seal().issue_token(payload);
        assert!(matches!(
            public.open_token(&other),
            Err(SealError::TokenSignature)
        ));
    }

    #[test]
    fn der_signatures_and_openssl() {
        let s = seal();
        let msg = b"abc  platform-seal.pem\n";
        let sig = s.sign_der(msg);
        let public = s.public();
        assert!(public.verify_der(msg, &sig));
        assert!(!public.verify_der(b"other", &sig));
        assert!(!public.verify_der(msg, &sig[1..]));
        assert!(!seal().public().verify_der(msg, &sig));

        if std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_err()
        {
            eprintln!("notice: openssl not found; skipping the openssl dgst check");
            return;
        }
        let dir = std::env::temp_dir().join(format!("wq-seal-openssl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pub.pem"), public.public_key_pem()).unwrap();
        std::fs::write(dir.join("msg"), msg).unwrap();
        std::fs::write(dir.join("sig"), &sig).unwrap();
        let out = std::process::Command::new("openssl")
            .args([
                "dgst",
                "-sha256",
                "-verify",
                "pub.pem",
                "-signature",
                "sig",
                "msg",
            ])
            .current_dir(&dir)
            .output()
            .unwrap();
        std::fs::write(dir.join("cert.pem"), s.cert_pem()).unwrap();
        let x509 = std::process::Command::new("openssl")
            .args(["x509", "-in", "cert.pem", "-noout", "-text"])
            .current_dir(&dir)
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK"),
            "openssl: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&x509.stdout);
        assert!(
            text.contains("Digital Signature, Non Repudiation"),
            "{text}"
        );
        assert!(text.contains("CA:FALSE"), "{text}");
    }

    #[test]
    fn pem_round_trip() {
        let s = seal();
        let loaded = PlatformSeal::from_pem(&s.key_pem(), &s.cert_pem()).unwrap();
        assert_eq!(loaded.subject(), s.subject());
        assert_eq!(loaded.cert_pem(), s.cert_pem());
        assert_eq!(loaded.public().fingerprint(), s.public().fingerprint());
        assert!(s.public().verify_der(b"m", &loaded.sign_der(b"m")));
        assert!(s.key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(s
            .public()
            .public_key_pem()
            .starts_with("-----BEGIN PUBLIC KEY-----"));

        let from_cert = SealPublic::from_cert_pem(&s.cert_pem()).unwrap();
        assert_eq!(from_cert.fingerprint(), s.public().fingerprint());
        assert_eq!(from_cert.fingerprint().len(), 64);

        // A chain after the leaf is kept, text around the blocks is ignored.
        let chain = format!(
            "subject=leaf\n{}\n# chain\n{}",
            s.cert_pem(),
            seal().cert_pem()
        );
        let with_chain = PlatformSeal::from_pem(&s.key_pem(), &chain).unwrap();
        assert_eq!(with_chain.certificate_chain_der().len(), 2);
        assert_eq!(with_chain.public().fingerprint(), s.public().fingerprint());
    }

    #[test]
    fn from_pem_rejects_a_foreign_key_and_garbage() {
        let s = seal();
        let err = PlatformSeal::from_pem(&seal().key_pem(), &s.cert_pem()).unwrap_err();
        assert!(err.to_string().contains("私钥与证书不匹配"), "{err}");
        assert!(PlatformSeal::from_pem("junk", &s.cert_pem()).is_err());
        assert!(PlatformSeal::from_pem(&s.key_pem(), "").is_err());
        assert!(SealPublic::from_cert_pem("-----BEGIN CERTIFICATE-----\nAAAA\n").is_err());
    }
}
