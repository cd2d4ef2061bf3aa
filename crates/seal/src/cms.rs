//! The detached CMS SignedData (RFC 5652) inside a PDF signature, built and checked by hand
//! with the `cms` types (its builder would pull in RSA).

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Any, Decode, Encode, Reader, SliceReader};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::DerSignature;
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::{Attribute, Attributes};
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::keys::p256_key;
use crate::pdf::text::date_time;
use crate::SealError;

pub(crate) const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// Some producers put the key's algorithm here instead of the signature algorithm.
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

fn cms_err(e: der::Error) -> SealError {
    SealError::BadCms(e.to_string())
}

fn algorithm(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    // Parameters absent, as RFC 5754 and RFC 5758 ask for SHA-256 and ECDSA.
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, SealError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(cms_err)?,
    })
}

/// CMS signing time: UTCTime through 2049 as RFC 5652 §11.3 requires, GeneralizedTime after.
fn signing_time(unix: i64) -> Result<Time, SealError> {
    let dt = date_time(unix)?;
    Ok(if dt.year() < 2050 {
        Time::UtcTime(UtcTime::from_date_time(dt).map_err(cms_err)?)
    } else {
        Time::GeneralTime(der::asn1::GeneralizedTime::from_date_time(dt))
    })
}

/// Builds the DER ContentInfo for a detached signature over content whose SHA-256 is `digest`.
/// `sign` receives the DER `SET OF` signed attributes and returns an ECDSA DER signature.
pub(crate) fn build_detached(
    chain: &[Certificate],
    digest: &[u8; 32],
    signing_time_unix: i64,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Result<Vec<u8>, SealError> {
    let leaf = chain
        .first()
        .ok_or_else(|| SealError::Signing("签名者没有提供证书".into()))?;
    let attrs: Attributes = SetOfVec::try_from(vec![
        attribute(
            ID_CONTENT_TYPE,
            Any::encode_from(&ID_DATA).map_err(cms_err)?,
        )?,
        attribute(
            ID_SIGNING_TIME,
            Any::encode_from(&signing_time(signing_time_unix)?).map_err(cms_err)?,
        )?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.to_vec()).map_err(cms_err)?)
                .map_err(cms_err)?,
        )?,
    ])
    .map_err(cms_err)?;
    // The signature covers the attributes as a universal SET OF (tag 0x31), not in the
    // [0] IMPLICIT form they take inside SignerInfo (RFC 5652 §5.4).
    let signature = sign(&attrs.to_der().map_err(cms_err)?);
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: leaf.tbs_certificate.issuer.clone(),
            serial_number: leaf.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: algorithm(ID_SHA256),
        signed_attrs: Some(attrs),
        signature_algorithm: algorithm(ECDSA_WITH_SHA256),
        signature: OctetString::new(signature).map_err(cms_err)?,
        unsigned_attrs: None,
    };
    let mut certs = Vec::new();
    for c in chain {
        if !certs.contains(c) {
            certs.push(c.clone());
        }
    }
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![algorithm(ID_SHA256)]).map_err(cms_err)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(
            CertificateSet::try_from(
                certs
                    .into_iter()
                    .map(CertificateChoices::Certificate)
                    .collect::<Vec<_>>(),
            )
            .map_err(cms_err)?,
        ),
        crls: None,
        signer_infos: SignerInfos::try_from(vec![signer]).map_err(cms_err)?,
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed).map_err(cms_err)?,
    }
    .to_der()
    .map_err(cms_err)
}

/// What a valid detached signature says about itself.
pub(crate) struct Verified {
    pub signer: Certificate,
    pub signing_time_unix: Option<i64>,
}

/// Checks a detached CMS signature (possibly followed by zero padding) against `digest`.
pub(crate) fn verify_detached(bytes: &[u8], digest: &[u8; 32]) -> Result<Verified, SealError> {
    let mut reader = SliceReader::new(bytes).map_err(cms_err)?;
    let info = ContentInfo::decode(&mut reader).map_err(cms_err)?;
    let used = usize::try_from(reader.position()).map_err(cms_err)?;
    if bytes[used..].iter().any(|b| *b != 0) {
        return Err(SealError::BadCms("签名数据之后还有多余内容".into()));
    }
    if info.content_type != ID_SIGNED_DATA {
        return Err(SealError::BadCms("不是 SignedData".into()));
    }
    let signed: SignedData = info.content.decode_as().map_err(cms_err)?;
    if signed.encap_content_info.econtent_type != ID_DATA
        || signed.encap_content_info.econtent.is_some()
    {
        return Err(SealError::BadCms(
            "应为不含内容的分离式签名（id-data）".into(),
        ));
    }
    let mut signers = signed.signer_infos.0.iter();
    let (Some(si), None) = (signers.next(), signers.next()) else {
        return Err(SealError::BadCms("应恰有一个签名者".into()));
    };
    if si.digest_alg.oid != ID_SHA256 {
        return Err(SealError::Unsupported("签名摘要算法不是 SHA-256".into()));
    }
    if si.signature_algorithm.oid != ECDSA_WITH_SHA256
        && si.signature_algorithm.oid != ID_EC_PUBLIC_KEY
    {
        return Err(SealError::Unsupported("签名算法不是 ECDSA/SHA-256".into()));
    }
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| SealError::BadCms("缺少签名属性".into()))?;
    let only_value = |oid: ObjectIdentifier| -> Option<&Any> {
        let mut found = attrs.iter().filter(|a| a.oid == oid);
        match (found.next(), found.next()) {
            (Some(a), None) if a.values.len() == 1 => a.values.iter().next(),
            _ => None,
        }
    };
    let content_type: ObjectIdentifier = only_value(ID_CONTENT_TYPE)
        .and_then(|v| v.decode_as().ok())
        .ok_or_else(|| SealError::BadCms("缺少 contentType 属性".into()))?;
    if content_type != ID_DATA {
        return Err(SealError::BadCms("contentType 属性不是 id-data".into()));
    }
    let message_digest: OctetString = only_value(ID_MESSAGE_DIGEST)
        .and_then(|v| v.decode_as().ok())
        .ok_or_else(|| SealError::BadCms("缺少 messageDigest 属性".into()))?;
    if message_digest.as_bytes() != digest {
        return Err(SealError::DigestMismatch);
    }
    let signing_time_unix = only_value(ID_SIGNING_TIME)
        .and_then(|v| v.to_der().ok())
        .and_then(|der| Time::from_der(&der).ok())
        .and_then(|t| i64::try_from(t.to_unix_duration().as_secs()).ok());

    let SignerIdentifier::IssuerAndSerialNumber(sid) = &si.sid else {
        return Err(SealError::Unsupported(
            "签名者以密钥标识符指明，暂不支持".into(),
        ));
    };
    let signer = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|c| match c {
            CertificateChoices::Certificate(c)
                if c.tbs_certificate.issuer == sid.issuer
                    && c.tbs_certificate.serial_number == sid.serial_number =>
            {
                Some(c.clone())
            }
            _ => None,
        })
        .ok_or_else(|| SealError::BadCms("签名数据中没有签名者的证书".into()))?;
    let key = p256_key(&signer).map_err(SealError::Unsupported)?;
    let sig =
        DerSignature::from_bytes(si.signature.as_bytes()).map_err(|_| SealError::BadSignature)?;
    key.verify(&attrs.to_der().map_err(cms_err)?, &sig)
        .map_err(|_| SealError::BadSignature)?;
    Ok(Verified {
        signer,
        signing_time_unix,
    })
}
