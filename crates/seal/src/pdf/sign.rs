//! Adds an invisible signature field and a detached CMS signature to a PDF as one incremental
//! update, leaving the original bytes untouched (ISO 32000-1 §7.5.6 and §12.8).

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::DerSignature;
use sha2::{Digest, Sha256};
use std::ops::Range;
use x509_cert::der::Decode;
use x509_cert::Certificate;

use super::document::Document;
use super::object::{Dict, Object, Ref};
use super::text::{encode_date, encode_text};
use crate::keys::p256_key;
use crate::{cms, PdfSignOptions, SealError, SealSigner};

/// Width of the `/ByteRange [ … ]` placeholder: room for three 10-digit numbers.
const BYTE_RANGE_WIDTH: usize = 48;
/// Bytes reserved for the CMS blob (16,384 hex digits); more when a long chain is embedded.
const MIN_CONTENTS_BYTES: usize = 8192;

/// Signature-dictionary keys with a meaning of their own; `extra` entries must not use them.
pub(crate) const STANDARD_KEYS: &[&str] = &[
    "Type",
    "Filter",
    "SubFilter",
    "ByteRange",
    "Contents",
    "Cert",
    "Reference",
    "Changes",
    "Name",
    "M",
    "Location",
    "Reason",
    "ContactInfo",
    "R",
    "V",
    "Prop_Build",
    "Prop_AuthTime",
    "Prop_AuthType",
];

fn check_extra(extra: &[(&str, &str)]) -> Result<(), SealError> {
    for (i, (key, _)) in extra.iter().enumerate() {
        let plain = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !plain {
            return Err(SealError::InvalidOption(format!(
                "附加条目的键“{key}”只能由字母、数字、_ - . 组成"
            )));
        }
        if STANDARD_KEYS.contains(key) {
            return Err(SealError::InvalidOption(format!(
                "附加条目的键“{key}”是签名字典的保留键"
            )));
        }
        if extra[..i].iter().any(|(k, _)| k == key) {
            return Err(SealError::InvalidOption(format!("附加条目的键“{key}”重复")));
        }
    }
    Ok(())
}

/// Signs `pdf` with any [`SealSigner`] and returns the original bytes plus one incremental
/// update: the catalog with an /AcroForm holding the new field, the first page with the field's
/// widget in /Annots, the invisible widget/field, the /Sig dictionary, a cross-reference section
/// and a trailer chained to the original by /Prev.
pub fn sign_pdf_with<S: SealSigner + ?Sized>(
    signer: &S,
    pdf: &[u8],
    options: &PdfSignOptions<'_>,
) -> Result<Vec<u8>, SealError> {
    check_extra(options.extra)?;
    let date = encode_date(options.signing_time_unix)?;
    let chain_der = signer.certificate_chain_der();
    let chain = chain_der
        .iter()
        .map(|der| Certificate::from_der(der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SealError::Signing(format!("签名证书无法解析：{e}")))?;
    let leaf_key = p256_key(
        chain
            .first()
            .ok_or_else(|| SealError::Signing("签名者没有提供证书".into()))?,
    )
    .map_err(SealError::Signing)?;

    let doc = Document::parse(pdf)?;
    if doc.trailer.get(b"Encrypt").is_some() {
        return Err(SealError::Unsupported("加密的 PDF".into()));
    }
    let root = doc.trailer_ref(b"Root")?;
    let size = doc
        .trailer
        .get(b"Size")
        .and_then(Object::as_int)
        .and_then(|s| u32::try_from(s).ok())
        .filter(|s| (1..u32::MAX - 2).contains(s))
        .ok_or_else(|| SealError::PdfSyntax("trailer 的 /Size 无效".into()))?;
    let catalog = doc.get(root)?;
    let Object::Dict(catalog_dict) = &catalog.value else {
        return Err(SealError::PdfSyntax("/Root 不是字典".into()));
    };
    let (page_ref, page_dict) = first_page(&doc, catalog_dict)?;
    let widget = Ref { num: size, gen: 0 };
    let sig = Ref {
        num: size + 1,
        gen: 0,
    };

    let (acroform, had_fields) = acroform(&doc, catalog_dict, widget)?;
    let catalog_text = rewrite(pdf, catalog_dict, b"AcroForm", &acroform);
    let annots = annots(&doc, &page_dict, widget)?;
    let page_text = rewrite(pdf, &page_dict, b"Annots", &annots);
    // Field names must be unique within the form.
    let field_name = if had_fields {
        format!("platform-seal-{}", widget.num)
    } else {
        "platform-seal".to_string()
    };
    let widget_text = format!(
        "<< /Type /Annot /Subtype /Widget /FT /Sig /F 132 /Rect [0 0 0 0] /T {} /V {} 0 R /P {} {} R >>",
        encode_text(&field_name),
        sig.num,
        page_ref.num,
        page_ref.gen
    );

    let mut out = Vec::with_capacity(pdf.len() + 24 * 1024);
    out.extend_from_slice(pdf);
    if !matches!(out.last(), Some(b'\n' | b'\r')) {
        out.push(b'\n');
    }
    let mut offsets: Vec<(Ref, usize)> = Vec::new();
    for (id, body) in [
        (root, catalog_text),
        (page_ref, page_text),
        (widget, widget_text.into_bytes()),
    ] {
        offsets.push((id, out.len()));
        out.extend_from_slice(format!("{} {} obj\n", id.num, id.gen).as_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(b"\nendobj\n");
    }

    offsets.push((sig, out.len()));
    out.extend_from_slice(
        format!(
            "{} 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange ",
            sig.num
        )
        .as_bytes(),
    );
    let byte_range_at = out.len();
    out.extend_from_slice(
        format!("{:<width$}]", "[0 0 0 0", width = BYTE_RANGE_WIDTH - 1).as_bytes(),
    );
    out.extend_from_slice(b" /Contents ");
    let capacity = chain_der
        .iter()
        .map(Vec::len)
        .sum::<usize>()
        .saturating_add(2048)
        .max(MIN_CONTENTS_BYTES);
    let contents = out.len()..out.len() + 2 * capacity + 2;
    out.push(b'<');
    out.resize(contents.end - 1, b'0');
    out.push(b'>');
    out.extend_from_slice(format!(" /M ({date})").as_bytes());
    for (key, value) in [
        ("Name", options.signer_name),
        ("Reason", options.reason),
        ("Location", options.location),
    ]
    .into_iter()
    .chain(options.extra.iter().copied())
    {
        if !value.is_empty() || !STANDARD_KEYS.contains(&key) {
            out.extend_from_slice(format!(" /{key} {}", encode_text(value)).as_bytes());
        }
    }
    out.extend_from_slice(b" >>\nendobj\n");

    let xref_at = out.len();
    write_xref(&mut out, &mut offsets);
    let mut trailer = format!(
        "trailer\n<< /Size {} /Root {} {} R",
        size + 2,
        root.num,
        root.gen
    )
    .into_bytes();
    for key in [&b"Info"[..], b"ID"] {
        if let Some(e) = doc.trailer.entry(key) {
            trailer.push(b' ');
            trailer.extend_from_slice(&pdf[e.key_span.clone()]);
            trailer.push(b' ');
            trailer.extend_from_slice(&pdf[e.value_span.clone()]);
        }
    }
    trailer.extend_from_slice(
        format!(" /Prev {} >>\nstartxref\n{xref_at}\n%%EOF\n", doc.startxref).as_bytes(),
    );
    out.extend_from_slice(&trailer);

    let byte_range = format!(
        "{:<width$}]",
        format!(
            "[0 {} {} {}",
            contents.start,
            contents.end,
            out.len() - contents.end
        ),
        width = BYTE_RANGE_WIDTH - 1
    );
    out[byte_range_at..byte_range_at + BYTE_RANGE_WIDTH].copy_from_slice(byte_range.as_bytes());
    let digest: [u8; 32] = signed_digest(&out, &contents);

    // An HSM or CA seam returns whatever it returns: check it against the leaf certificate
    // rather than hand out a PDF that no reader will accept.
    let mut signature_ok = false;
    let blob = cms::build_detached(&chain, &digest, options.signing_time_unix, |attrs| {
        let sig = signer.sign_der(attrs);
        signature_ok = DerSignature::from_bytes(&sig)
            .map(|s| leaf_key.verify(attrs, &s).is_ok())
            .unwrap_or(false);
        sig
    })?;
    if !signature_ok {
        return Err(SealError::Signing(
            "签名者返回的签名值与证书公钥不符".into(),
        ));
    }
    let hex = hex::encode_upper(&blob);
    if hex.len() > 2 * capacity {
        return Err(SealError::Signing(format!(
            "签名数据 {} 字节，超出预留的 {capacity} 字节",
            blob.len()
        )));
    }
    out[contents.start + 1..contents.start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

/// SHA-256 over the file except `hole` (the /Contents string with its angle brackets).
pub(crate) fn signed_digest(file: &[u8], hole: &Range<usize>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(&file[..hole.start]);
    h.update(&file[hole.end..]);
    h.finalize().into()
}

/// Follows /Pages → /Kids[0] down to the first leaf page.
fn first_page(doc: &Document<'_>, catalog: &Dict) -> Result<(Ref, Dict), SealError> {
    let mut node = catalog
        .get(b"Pages")
        .and_then(Object::as_ref)
        .ok_or_else(|| SealError::PdfSyntax("目录中缺少 /Pages".into()))?;
    for _ in 0..64 {
        let Object::Dict(d) = doc.get(node)?.value else {
            return Err(SealError::PdfSyntax(format!(
                "页面树节点 {} 不是字典",
                node.num
            )));
        };
        let kids = match d.get(b"Kids") {
            Some(k) if !d.name_is(b"Type", b"Page") => doc.resolve(k)?,
            _ => return Ok((node, d)),
        };
        node = match kids {
            Object::Array(items) => items
                .first()
                .and_then(Object::as_ref)
                .ok_or_else(|| SealError::PdfSyntax("PDF 没有页面".into()))?,
            _ => return Err(SealError::PdfSyntax("/Kids 不是数组".into())),
        };
    }
    Err(SealError::PdfSyntax("页面树过深".into()))
}

/// The text between the brackets of an array given inline or by reference; empty if absent.
fn array_items(
    doc: &Document<'_>,
    value: &Object,
    span: &Range<usize>,
) -> Result<Vec<u8>, SealError> {
    let span = match value {
        Object::Null => return Ok(Vec::new()),
        Object::Array(_) => span.clone(),
        Object::Ref(r) => match doc.get(*r)? {
            obj if matches!(obj.value, Object::Array(_)) => obj.value_span,
            _ => return Err(SealError::PdfSyntax(format!("对象 {} 应为数组", r.num))),
        },
        _ => return Err(SealError::PdfSyntax("应为数组".into())),
    };
    Ok(doc.buf[span.start + 1..span.end - 1].to_vec())
}

/// The page's /Annots with the widget appended (an indirect array is inlined).
fn annots(doc: &Document<'_>, page: &Dict, widget: Ref) -> Result<Vec<u8>, SealError> {
    let mut items = match page.entry(b"Annots") {
        Some(e) => array_items(doc, &e.value, &e.value_span)?,
        None => Vec::new(),
    };
    items.extend_from_slice(format!(" {} 0 R", widget.num).as_bytes());
    Ok([b"[", items.trim_ascii_start(), b"]"].concat())
}

/// The catalog's /AcroForm with the field added and /SigFlags 3 (signatures exist, append
/// only); other entries of an existing form are kept. Also says whether it had fields.
fn acroform(doc: &Document<'_>, catalog: &Dict, widget: Ref) -> Result<(Vec<u8>, bool), SealError> {
    let existing = match catalog.get(b"AcroForm") {
        None | Some(Object::Null) => None,
        Some(Object::Dict(d)) => Some(d.clone()),
        Some(Object::Ref(r)) => match doc.get(*r)?.value {
            Object::Dict(d) => Some(d),
            _ => return Err(SealError::PdfSyntax("/AcroForm 不是字典".into())),
        },
        Some(_) => return Err(SealError::PdfSyntax("/AcroForm 不是字典".into())),
    };
    let mut out = b"<<".to_vec();
    let mut fields = Vec::new();
    for e in existing.iter().flat_map(|d| d.entries.iter()) {
        match e.key.as_slice() {
            b"Fields" => fields = array_items(doc, &e.value, &e.value_span)?,
            b"SigFlags" => {}
            _ => {
                out.push(b' ');
                out.extend_from_slice(&doc.buf[e.key_span.clone()]);
                out.push(b' ');
                out.extend_from_slice(&doc.buf[e.value_span.clone()]);
            }
        }
    }
    let had_fields = !fields.trim_ascii().is_empty();
    out.extend_from_slice(b" /Fields [");
    out.extend_from_slice(fields.trim_ascii());
    if had_fields {
        out.push(b' ');
    }
    out.extend_from_slice(format!("{} 0 R] /SigFlags 3 >>", widget.num).as_bytes());
    Ok((out, had_fields))
}

/// `dict` re-emitted from its original text with `key` set to `value`.
fn rewrite(pdf: &[u8], dict: &Dict, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = b"<<".to_vec();
    for e in dict.entries.iter().filter(|e| e.key != key) {
        out.push(b' ');
        out.extend_from_slice(&pdf[e.key_span.clone()]);
        out.push(b' ');
        out.extend_from_slice(&pdf[e.value_span.clone()]);
    }
    out.push(b' ');
    out.push(b'/');
    out.extend_from_slice(key);
    out.push(b' ');
    out.extend_from_slice(value);
    out.extend_from_slice(b" >>");
    out
}

/// A classic cross-reference section with one subsection per run of consecutive numbers.
fn write_xref(out: &mut Vec<u8>, offsets: &mut [(Ref, usize)]) {
    offsets.sort_by_key(|(r, _)| r.num);
    out.extend_from_slice(b"xref\n");
    let mut i = 0;
    while i < offsets.len() {
        let mut j = i + 1;
        while j < offsets.len() && offsets[j].0.num == offsets[j - 1].0.num + 1 {
            j += 1;
        }
        out.extend_from_slice(format!("{} {}\n", offsets[i].0.num, j - i).as_bytes());
        for (r, offset) in &offsets[i..j] {
            // Exactly 20 bytes per entry, as the format requires.
            out.extend_from_slice(format!("{offset:010} {:05} n\r\n", r.gen).as_bytes());
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_keys_are_checked() {
        assert!(check_extra(&[("WQToken", "x"), ("Other_1", "y")]).is_ok());
        assert!(check_extra(&[("Contents", "x")]).is_err());
        assert!(check_extra(&[("A B", "x")]).is_err());
        assert!(check_extra(&[("", "x")]).is_err());
        assert!(check_extra(&[("K", "x"), ("K", "y")]).is_err());
    }

    #[test]
    fn xref_subsections() {
        let r = |num| Ref { num, gen: 0 };
        let mut out = Vec::new();
        write_xref(
            &mut out,
            &mut [(r(7), 700), (r(1), 100), (r(8), 800), (r(3), 300)],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "xref\n1 1\n0000000100 00000 n\r\n3 1\n0000000300 00000 n\r\n7 2\n0000000700 00000 n\r\n0000000800 00000 n\r\n"
        );
    }

    #[test]
    fn rewrite_keeps_other_entries_verbatim() {
        let text = b"<< /Type /Page /Annots [1 0 R] /MediaBox [0 0 595.28 841.89] /A#42 (x\\)) >>";
        let d = match super::super::object::Parser::new(text, 0).object().unwrap() {
            Object::Dict(d) => d,
            _ => unreachable!(),
        };
        let out = rewrite(text, &d, b"Annots", b"[1 0 R 9 0 R]");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<< /Type /Page /MediaBox [0 0 595.28 841.89] /A#42 (x\\)) /Annots [1 0 R 9 0 R] >>"
        );
    }
}
