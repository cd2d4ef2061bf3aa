//! Offline check of the last signature in a PDF.

use std::collections::HashSet;
use std::ops::Range;

use super::document::Document;
use super::object::{Dict, Object};
use super::sign::{signed_digest, STANDARD_KEYS};
use super::text::{decode_date, decode_text};
use crate::keys::p256_key;
use crate::{cms, PdfSignatureReport, SealError, SealPublic};

/// Checks a signed PDF offline: finds the last signature dictionary (the one whose /ByteRange
/// reaches furthest), checks that /ByteRange starts at 0 and leaves out exactly its /Contents
/// string, recomputes SHA-256 over the ranges, checks the CMS messageDigest attribute and the
/// ECDSA signature over the signed attributes with the signer certificate embedded in the CMS,
/// and checks that this certificate's public key is `trusted`'s.
///
/// Bytes appended after the signed ranges do not make this fail: they show as
/// `covers_whole_file == false`, which callers must treat as a changed document.
pub fn verify_pdf(pdf: &[u8], trusted: &SealPublic) -> Result<PdfSignatureReport, SealError> {
    let doc = Document::parse(pdf)?;
    let (sig, sig_span) = last_signature(&doc)?;
    let range = byte_range(&sig).ok_or_else(|| SealError::ByteRange("格式错误".into()))?;
    let contents = sig
        .entry(b"Contents")
        .ok_or_else(|| SealError::ByteRange("签名字典缺少 /Contents".into()))?;
    let Object::String(blob) = &contents.value else {
        return Err(SealError::ByteRange("/Contents 不是字符串".into()));
    };
    let hole = contents.value_span.clone();
    if range[0] != 0 || range[1] != hole.start || range[2] != hole.end {
        return Err(SealError::ByteRange(
            "签名范围没有从文件开头开始、恰好只留出 /Contents".into(),
        ));
    }
    let end = range[2]
        .checked_add(range[3])
        .filter(|e| *e <= pdf.len())
        .ok_or_else(|| SealError::ByteRange("签名范围超出文件".into()))?;
    // Everything the report reads from the signature dictionary must itself be signed.
    if sig_span.end > end {
        return Err(SealError::ByteRange("签名字典不在签名范围之内".into()));
    }
    let digest = signed_digest(&pdf[..end], &hole);
    let verified = cms::verify_detached(blob, &digest)?;
    let key = p256_key(&verified.signer).map_err(|_| SealError::UntrustedSigner)?;
    if !trusted.same_key(&key) {
        return Err(SealError::UntrustedSigner);
    }

    let text = |key: &[u8]| match sig.get(key) {
        Some(Object::String(s)) => Some(decode_text(s)),
        _ => None,
    };
    let extra = sig
        .entries
        .iter()
        .filter(|e| {
            !STANDARD_KEYS
                .iter()
                .any(|k| k.as_bytes() == e.key.as_slice())
        })
        .filter_map(|e| match &e.value {
            Object::String(s) => {
                Some((String::from_utf8_lossy(&e.key).into_owned(), decode_text(s)))
            }
            _ => None,
        })
        .collect();
    Ok(PdfSignatureReport {
        signer_subject: verified.signer.tbs_certificate.subject.to_string(),
        signing_time_unix: verified
            .signing_time_unix
            .or_else(|| text(b"M").and_then(|m| decode_date(&m))),
        covers_whole_file: end == pdf.len(),
        signer_name: text(b"Name"),
        reason: text(b"Reason"),
        location: text(b"Location"),
        extra,
    })
}

fn byte_range(sig: &Dict) -> Option<[usize; 4]> {
    match sig.get(b"ByteRange") {
        Some(Object::Array(a)) if a.len() == 4 => {
            let mut out = [0usize; 4];
            for (o, v) in out.iter_mut().zip(a) {
                *o = usize::try_from(v.as_int()?).ok()?;
            }
            Some(out)
        }
        _ => None,
    }
}

/// Walks the form's field tree (/FT is inheritable) for signature fields with a value, and
/// returns the signature dictionary reaching furthest into the file, with its span.
fn last_signature(doc: &Document<'_>) -> Result<(Dict, Range<usize>), SealError> {
    let root = doc.get(doc.trailer_ref(b"Root")?)?;
    let Object::Dict(root) = root.value else {
        return Err(SealError::PdfSyntax("/Root 不是字典".into()));
    };
    let form = match root.get(b"AcroForm") {
        Some(f) => doc.resolve(f)?,
        None => return Err(SealError::NoSignature),
    };
    let Object::Dict(form) = form else {
        return Err(SealError::NoSignature);
    };
    let Some(Object::Array(fields)) = form.get(b"Fields").map(|f| doc.resolve(f)).transpose()?
    else {
        return Err(SealError::NoSignature);
    };
    let mut stack: Vec<(Object, bool, usize)> = fields.into_iter().map(|f| (f, false, 0)).collect();
    let mut seen = HashSet::new();
    let mut best: Option<(usize, Dict, Range<usize>)> = None;
    while let Some((field, inherited_sig, depth)) = stack.pop() {
        let Object::Ref(r) = field else { continue };
        if depth > 32 || !seen.insert(r) || seen.len() > 100_000 {
            continue;
        }
        let Object::Dict(d) = doc.get(r)?.value else {
            continue;
        };
        let is_sig = match d.get(b"FT") {
            Some(Object::Name(n)) => n == b"Sig",
            _ => inherited_sig,
        };
        if is_sig {
            let candidate = match d.entry(b"V") {
                Some(e) => match &e.value {
                    Object::Ref(v) => {
                        let obj = doc.get(*v)?;
                        match obj.value {
                            Object::Dict(sd) => Some((sd, obj.value_span)),
                            _ => None,
                        }
                    }
                    Object::Dict(sd) => Some((sd.clone(), e.value_span.clone())),
                    _ => None,
                },
                None => None,
            };
            if let Some((sd, span)) = candidate {
                let reach = byte_range(&sd).map_or(0, |b| b[2].saturating_add(b[3]));
                if best.as_ref().is_none_or(|(r, _, _)| reach > *r) {
                    best = Some((reach, sd, span));
                }
            }
        }
        if let Some(kids) = d.get(b"Kids") {
            if let Object::Array(kids) = doc.resolve(kids)? {
                stack.extend(kids.into_iter().map(|k| (k, is_sig, depth + 1)));
            }
        }
    }
    best.map(|(_, d, s)| (d, s)).ok_or(SealError::NoSignature)
}
