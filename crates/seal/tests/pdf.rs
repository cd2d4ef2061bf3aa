//! Signs small hand-written PDFs, checks them with `verify_pdf` and, where installed, with
//! poppler's `pdfsig`. Set WANGQIAN_REQUIRE_PDF_TOOLS=1 to make a missing `pdfsig` a failure.

use std::path::PathBuf;
use std::process::Command;

use wangqian_seal::{verify_pdf, PdfSignOptions, PlatformSeal, SealError};

const NOW: i64 = 1_751_270_950; // 2025-06-30 08:09:10 UTC
const CONTENT: &str = "BT /F1 24 Tf 72 720 Td (Hello, seal) Tj ET";

fn stream(content: &str) -> String {
    format!(
        "<< /Length {} >>\nstream\n{content}\nendstream",
        content.len()
    )
}

/// Objects 1..=n in order: 1 catalog, 2 pages, 3 page, 4 content, 5 font, 6 info, then any more.
fn objects(page_extra: &str, catalog_extra: &str, more: &[&str]) -> Vec<String> {
    // Multi-line, indented dictionaries, as pdf-writer (typst-pdf) writes them.
    let mut objs = vec![
        format!("<<\n  /Type /Catalog\n  /Pages 2 0 R{catalog_extra}\n>>"),
        "<<\n  /Type /Pages\n  /Count 1\n  /Kids [3 0 R]\n>>".to_string(),
        format!(
            "<<\n  /Type /Page\n  /Parent 2 0 R\n  /MediaBox [0 0 595.28 841.89]\n  /Resources << /Font << /F1 5 0 R >> >>\n  /Contents 4 0 R{page_extra}\n>>"
        ),
        stream(CONTENT),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        "<< /Producer (test writer) /Title <FEFF534F8BAE> >>".to_string(),
    ];
    objs.extend(more.iter().map(|s| s.to_string()));
    objs
}

const ID: &str = "[<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>]";

/// A PDF with a classic cross-reference table.
fn classic_pdf(objs: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f\r\n", objs.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<<\n  /Size {}\n  /Root 1 0 R\n  /Info 6 0 R\n  /ID {ID}\n>>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The same objects with a compressed cross-reference stream (PNG Up predictor), PDF 1.5 style.
fn xref_stream_pdf(objs: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref_num = objs.len() + 1;
    let xref_at = out.len();
    offsets.push(xref_at);
    // Rows of W [1 4 2]: type, offset, generation.
    let mut rows = vec![[0u8, 0, 0, 0, 0, 0xff, 0xff]];
    for o in &offsets {
        let o = u32::try_from(*o).unwrap().to_be_bytes();
        rows.push([1, o[0], o[1], o[2], o[3], 0, 0]);
    }
    let mut predicted = Vec::new();
    let mut prev = [0u8; 7];
    for row in &rows {
        predicted.push(2);
        predicted.extend(row.iter().zip(prev).map(|(b, p)| b.wrapping_sub(p)));
        prev = *row;
    }
    let data = miniz_oxide::deflate::compress_to_vec_zlib(&predicted, 6);
    out.extend_from_slice(
        format!(
            "{xref_num} 0 obj\n<< /Type /XRef /Size {} /W [1 4 2] /Root 1 0 R /Info 6 0 R /ID {ID} /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> /Length {} >>\nstream\n",
            xref_num + 1,
            data.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&data);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

fn seal() -> PlatformSeal {
    PlatformSeal::generate("网签平台电子印章", "网签平台", NOW - 86_400).unwrap()
}

fn sign(seal: &PlatformSeal, pdf: &[u8]) -> Vec<u8> {
    seal.sign_pdf(
        pdf,
        &PdfSignOptions {
            signing_time_unix: NOW,
            reason: "网签平台签发就业协议书",
            location: "中国",
            signer_name: "网签平台电子印章",
            extra: &[
                ("WQToken", "eyJhIjoxfQ.c2lnbmF0dXJl"),
                ("WQNote", "a (b) \\ c"),
            ],
        },
    )
    .unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{} not found", String::from_utf8_lossy(needle)))
}

fn flipped(pdf: &[u8], at: usize) -> Vec<u8> {
    let mut out = pdf.to_vec();
    out[at] ^= 0x01;
    out
}

fn tmp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("wq-seal-{}-{name}", std::process::id()))
}

/// `pdfsig`'s output, or None (with a notice) when it is not installed.
fn pdfsig(name: &str, pdf: &[u8]) -> Option<String> {
    let path = tmp_path(name);
    std::fs::write(&path, pdf).unwrap();
    let run = Command::new("pdfsig").arg(&path).output();
    std::fs::remove_file(&path).ok();
    match run {
        Ok(out) => Some(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(_) => {
            if std::env::var("WANGQIAN_REQUIRE_PDF_TOOLS").as_deref() == Ok("1") {
                panic!("pdfsig is required (WANGQIAN_REQUIRE_PDF_TOOLS=1) but not on PATH");
            }
            eprintln!("notice: pdfsig not found; skipping the poppler check for {name}");
            None
        }
    }
}

fn assert_pdfsig_valid(name: &str, pdf: &[u8]) {
    if let Some(out) = pdfsig(name, pdf) {
        println!("pdfsig {name}:\n{out}");
        assert!(out.contains("Signature is Valid."), "pdfsig {name}:\n{out}");
        assert!(
            out.contains("Total document signed"),
            "pdfsig {name}:\n{out}"
        );
    }
}

fn assert_pdfsig_invalid(name: &str, pdf: &[u8]) {
    if let Some(out) = pdfsig(name, pdf) {
        assert!(
            !out.contains("Signature is Valid."),
            "pdfsig {name}:\n{out}"
        );
    }
}

/// Signs, verifies, and checks that flipping a byte in either signed range breaks both checks.
fn sign_and_check(name: &str, pdf: &[u8]) -> Vec<u8> {
    sign_and_check_at(name, pdf, find(pdf, b"Hello, seal") + 3)
}

/// As [`sign_and_check`], flipping the byte at `in_first_range` of the original.
fn sign_and_check_at(name: &str, pdf: &[u8], in_first_range: usize) -> Vec<u8> {
    let seal = seal();
    let signed = sign(&seal, pdf);
    assert_eq!(
        &signed[..pdf.len()],
        pdf,
        "the original bytes stay untouched"
    );

    let report = verify_pdf(&signed, &seal.public()).unwrap();
    assert!(report.covers_whole_file);
    assert_eq!(report.signer_subject, seal.subject());
    assert_eq!(report.signing_time_unix, Some(NOW));
    assert_eq!(report.reason.as_deref(), Some("网签平台签发就业协议书"));
    assert_eq!(report.location.as_deref(), Some("中国"));
    assert_eq!(report.signer_name.as_deref(), Some("网签平台电子印章"));
    assert_eq!(
        report.extra,
        vec![
            ("WQToken".to_string(), "eyJhIjoxfQ.c2lnbmF0dXJl".to_string()),
            ("WQNote".to_string(), "a (b) \\ c".to_string())
        ]
    );
    assert_pdfsig_valid(name, &signed);

    // First range: inside the original file (e.g. the page's content stream).
    let bad = flipped(&signed, in_first_range);
    assert!(matches!(
        verify_pdf(&bad, &seal.public()),
        Err(SealError::DigestMismatch)
    ));
    assert_pdfsig_invalid(&format!("content-flip-{name}"), &bad);

    // Second range: inside the token written after /Contents.
    let in_token = find(&signed, b"eyJhIjoxfQ") + 2;
    assert!(in_token > find(&signed, b"/Contents <"));
    let bad = flipped(&signed, in_token);
    assert!(matches!(
        verify_pdf(&bad, &seal.public()),
        Err(SealError::DigestMismatch)
    ));
    assert_pdfsig_invalid(&format!("token-flip-{name}"), &bad);

    // Every byte of the update outside the /Contents string: any flip must fail.
    let contents = find(&signed[pdf.len()..], b"/Contents <") + pdf.len() + b"/Contents ".len();
    let contents_end = contents + find(&signed[contents..], b">") + 1;
    for at in (pdf.len()..signed.len()).filter(|at| !(contents..contents_end).contains(at)) {
        assert!(
            verify_pdf(&flipped(&signed, at), &seal.public()).is_err(),
            "flip at {at} ({:?}) accepted",
            signed[at] as char
        );
    }
    signed
}

#[test]
fn classic_table_without_annots() {
    let pdf = classic_pdf(&objects("", "", &[]));
    let signed = sign_and_check("classic.pdf", &pdf);
    let text = String::from_utf8_lossy(&signed[pdf.len()..]);
    assert!(text.contains("/Annots [7 0 R]"), "{text}");
    assert!(
        text.contains("/AcroForm << /Fields [7 0 R] /SigFlags 3 >>"),
        "{text}"
    );
    assert!(text.contains("/Reason <FEFF"), "{text}");
    assert!(text.contains("/M (D:20250630080910+00'00')"), "{text}");
    assert!(
        text.contains(&format!("/Prev {}", find(&pdf, b"xref\n0 7"))),
        "{text}"
    );
    assert!(text.contains(&format!("/ID {ID}")), "{text}");
    assert!(text.contains("/Size 9 "), "{text}");
    assert!(text.contains("/T (platform-seal)"), "{text}");
}

/// A real typst-pdf 0.15 file (`typst-0.15.typ` compiled by typst 0.15.0): compact syntax,
/// a tagged structure tree, link annotations, compressed content streams.
#[test]
fn typst_output() {
    let pdf = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/typst-0.15.pdf"
    ))
    .unwrap();
    // Inside the first page's (compressed) content stream.
    let content = find(&pdf, b"stream") + 40;
    let signed = sign_and_check_at("typst.pdf", &pdf, content);
    let text = String::from_utf8_lossy(&signed[pdf.len()..]);
    assert!(text.contains("/Annots [14 0 R 40 0 R]"), "{text}");
    assert!(text.contains("/StructTreeRoot 4 0 R"), "{text}");
}

#[test]
fn existing_inline_annots_are_kept() {
    let link = "<< /Type /Annot /Subtype /Link /Rect [72 700 200 730] /Border [0 0 0] /A << /S /URI /URI (https://example.invalid/) >> >>";
    let pdf = classic_pdf(&objects("\n  /Annots [7 0 R]", "", &[link]));
    let signed = sign_and_check("annots.pdf", &pdf);
    let text = String::from_utf8_lossy(&signed[pdf.len()..]);
    assert!(text.contains("/Annots [7 0 R 8 0 R]"), "{text}");
}

#[test]
fn indirect_annots_and_existing_form_are_merged() {
    let link = "<< /Type /Annot /Subtype /Link /Rect [72 700 200 730] /Border [0 0 0] >>";
    let field = "<< /FT /Tx /T (name) /Rect [0 0 0 0] /P 3 0 R >>";
    let pdf = classic_pdf(&objects(
        "\n  /Annots 8 0 R",
        "\n  /AcroForm << /Fields [9 0 R] /DA (/Helv 0 Tf 0 g) /SigFlags 0 >>",
        &[link, "[7 0 R 9 0 R]", field],
    ));
    let signed = sign_and_check("form.pdf", &pdf);
    let text = String::from_utf8_lossy(&signed[pdf.len()..]);
    assert!(text.contains("/Annots [7 0 R 9 0 R 10 0 R]"), "{text}");
    assert!(
        text.contains("/AcroForm << /DA (/Helv 0 Tf 0 g) /Fields [9 0 R 10 0 R] /SigFlags 3 >>"),
        "{text}"
    );
    assert!(text.contains("/T (platform-seal-10)"), "{text}");
}

#[test]
fn compressed_xref_stream_input() {
    let pdf = xref_stream_pdf(&objects("", "", &[]));
    let signed = sign_and_check("xref-stream.pdf", &pdf);
    let text = String::from_utf8_lossy(&signed[pdf.len()..]);
    // The stream itself is object 7, so the new objects are 8 and 9.
    assert!(text.contains("/Annots [8 0 R]"), "{text}");
    assert!(text.contains("/Size 10 "), "{text}");
}

#[test]
fn appended_bytes_and_foreign_keys_and_resigning() {
    let seal = seal();
    let pdf = classic_pdf(&objects("", "", &[]));
    let signed = sign(&seal, &pdf);

    let mut appended = signed.clone();
    appended.extend_from_slice(b"% appended later\n");
    let report = verify_pdf(&appended, &seal.public()).unwrap();
    assert!(!report.covers_whole_file);

    let stranger = PlatformSeal::generate("别的印章", "别的机构", NOW).unwrap();
    assert!(matches!(
        verify_pdf(&signed, &stranger.public()),
        Err(SealError::UntrustedSigner)
    ));
    assert!(matches!(
        verify_pdf(&pdf, &seal.public()),
        Err(SealError::NoSignature)
    ));

    // A non-zero digit in the /Contents padding is outside the ranges but still rejected.
    let padding = find(&signed, b"0000000000>") + 2;
    assert!(verify_pdf(&flipped(&signed, padding), &seal.public()).is_err());
    // So is a change inside the CMS blob.
    let blob = find(&signed, b"/Contents <") + 60;
    assert!(verify_pdf(&flipped(&signed, blob), &seal.public()).is_err());

    // Signing a signed file again adds a second update; the check reads the newest one.
    let twice = sign(&stranger, &signed);
    assert_eq!(&twice[..signed.len()], &signed[..]);
    let report = verify_pdf(&twice, &stranger.public()).unwrap();
    assert!(report.covers_whole_file);
    assert_eq!(report.signer_subject, stranger.subject());
    let text = String::from_utf8_lossy(&twice[signed.len()..]);
    assert!(text.contains("/Fields [7 0 R 9 0 R]"), "{text}");
    assert!(text.contains("/Annots [7 0 R 9 0 R]"), "{text}");
    if let Some(out) = pdfsig("twice.pdf", &twice) {
        assert_eq!(out.matches("Signature is Valid.").count(), 2, "{out}");
    }
}

#[test]
fn unsupported_inputs_fail_clearly() {
    let seal = seal();
    let options = PdfSignOptions {
        signing_time_unix: NOW,
        reason: "",
        location: "",
        signer_name: "",
        extra: &[],
    };
    assert!(matches!(
        seal.sign_pdf(b"not a pdf", &options),
        Err(SealError::PdfSyntax(_))
    ));
    let err = seal
        .sign_pdf(
            &classic_pdf(&objects("", "", &[])),
            &PdfSignOptions {
                extra: &[("ByteRange", "x")],
                ..options
            },
        )
        .unwrap_err();
    assert!(matches!(err, SealError::InvalidOption(_)), "{err}");

    // Catalog inside an object stream: a clear error, not a guess.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let xref_at = pdf.len();
    let rows = [0u8, 0, 0, 2, 5, 0];
    pdf.extend_from_slice(
        b"6 0 obj\n<< /Type /XRef /Size 2 /W [1 1 1] /Root 1 0 R /Length 6 >>\nstream\n",
    );
    pdf.extend_from_slice(&rows);
    pdf.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    let err = seal.sign_pdf(&pdf, &options).unwrap_err();
    assert!(matches!(err, SealError::Unsupported(_)), "{err}");
    assert!(err.to_string().contains("对象流"), "{err}");

    // Empty reason, location and name are left out.
    let signed = seal
        .sign_pdf(&classic_pdf(&objects("", "", &[])), &options)
        .unwrap();
    let report = verify_pdf(&signed, &seal.public()).unwrap();
    assert_eq!(report.reason, None);
    assert!(report.extra.is_empty());
}
