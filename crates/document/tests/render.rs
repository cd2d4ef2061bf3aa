//! The documents rendered for real: the default templates with the sample data, the font and
//! template errors, and — when poppler-utils and zbar-tools are installed — what the PDFs
//! contain, how many pages they have, their fonts, and the QR code read back from page 1.
//!
//! Set `WANGQIAN_REQUIRE_PDF_TOOLS=1` to fail instead of skipping when a tool is missing.
//! The benchmark: `cargo test -p wangqian-document --release -- --ignored --nocapture bench`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use wangqian_document::{
    content_hash, qr_svg, sample_data, DocumentData, FontError, Fonts, Images, RenderError,
    Renderer, TemplateKind,
};

fn renderer() -> &'static Renderer {
    static RENDERER: OnceLock<Renderer> = OnceLock::new();
    RENDERER.get_or_init(|| Renderer::new(Fonts::load(&[]).expect("a CJK font")))
}

fn render(kind: TemplateKind, data: &DocumentData, images: &Images) -> Vec<u8> {
    renderer()
        .render(kind.default_source(), data, images)
        .unwrap_or_else(|err| panic!("{} does not render: {err}", kind.as_str()))
}

fn assert_pdf(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let tail = String::from_utf8_lossy(&pdf[pdf.len().saturating_sub(32)..]).into_owned();
    assert!(
        tail.trim_end().ends_with("%%EOF"),
        "no %%EOF at the end: {tail:?}"
    );
}

/// Where files for a person to look at go: `<target>/document-test-output/`.
fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target dir")
        .join("document-test-output");
    std::fs::create_dir_all(&dir).expect("create the output dir");
    dir
}

// ---------------------------------------------------------------------------------------------
// Test images: a small PNG encoder (RGBA, no filtering) so the tests need no image crate.

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(((width * 4 + 1) * height) as usize);
    for y in 0..height {
        raw.push(0);
        for x in 0..width {
            raw.extend_from_slice(&pixel(x, y));
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).unwrap();
    let idat = z.finish().unwrap();

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &idat);
    chunk(b"IEND", &[]);
    out
}

/// A dark-blue scribble on transparent ground.
fn signature_png() -> Vec<u8> {
    png(300, 100, |x, y| {
        let (fx, fy) = (x as f64, y as f64);
        let curve = 50.0 + 28.0 * (fx / 23.0).sin() * (1.0 - fx / 400.0);
        if (fy - curve).abs() < 3.5 && x > 15 && x < 285 {
            [20, 30, 110, 255]
        } else {
            [0, 0, 0, 0]
        }
    })
}

/// A red ring with a star: roughly what a company seal looks like.
fn seal_png() -> Vec<u8> {
    png(240, 240, |x, y| {
        let (dx, dy) = (x as f64 - 119.5, y as f64 - 119.5);
        let r = (dx * dx + dy * dy).sqrt();
        let angle = dy.atan2(dx);
        let star = 28.0 * (1.0 + 0.55 * (5.0 * angle + std::f64::consts::FRAC_PI_2).cos());
        if (104.0..114.0).contains(&r) || r < star * 0.9 {
            [200, 20, 30, 210]
        } else {
            [0, 0, 0, 0]
        }
    })
}

fn signed_images() -> Images {
    Images {
        graduate_signature: Some(signature_png()),
        employer_signature: Some(signature_png()),
        employer_seal: Some(seal_png()),
    }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn every_default_template_renders_its_sample() {
    for kind in TemplateKind::ALL {
        let pdf = render(kind, &sample_data(kind), &Images::default());
        assert_pdf(&pdf);
    }
}

#[test]
fn signatures_and_seal_render() {
    let mut data = sample_data(TemplateKind::Online);
    data.copies.truncate(1);
    let pdf = render(TemplateKind::Online, &data, &signed_images());
    assert_pdf(&pdf);
    std::fs::write(output_dir().join("online-signed.pdf"), &pdf).unwrap();
    // The flags follow the images, whatever the data says: no image, nothing to print.
    data.signatures.has_employer_seal = true;
    let pdf = render(TemplateKind::Online, &data, &Images::default());
    assert_pdf(&pdf);
}

#[test]
fn rendering_is_deterministic() {
    let data = sample_data(TemplateKind::Online);
    let a = render(TemplateKind::Online, &data, &signed_images());
    let b = render(TemplateKind::Online, &data, &signed_images());
    assert_eq!(a, b, "equal inputs must give equal PDF bytes");
}

#[test]
fn renders_on_several_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Renderer>();
    assert_send_sync::<Fonts>();
    let renderer = renderer();
    std::thread::scope(|s| {
        let handles: Vec<_> = TemplateKind::ALL
            .into_iter()
            .map(|kind| {
                s.spawn(move || {
                    let mut data = sample_data(kind);
                    data.graduate.name = format!("线程{}", kind.as_str().len());
                    renderer.render(kind.default_source(), &data, &Images::default())
                })
            })
            .collect();
        for handle in handles {
            assert_pdf(&handle.join().unwrap().unwrap());
        }
    });
}

#[test]
fn content_hash_is_stable_and_sensitive() {
    let source = TemplateKind::Online.default_source();
    let data = sample_data(TemplateKind::Online);
    let images = signed_images();
    let hash = content_hash(source, &data, &images);
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(hash, content_hash(source, &data.clone(), &images.clone()));

    let mut changed = data.clone();
    changed.terms.regular_salary = "10001".into();
    assert_ne!(hash, content_hash(source, &changed, &images));

    let mut changed_image = images.clone();
    let seal = changed_image.employer_seal.as_mut().unwrap();
    let last = seal.len() - 1;
    seal[last] ^= 1;
    assert_ne!(hash, content_hash(source, &data, &changed_image));

    // An image moved to another slot is another document.
    let as_signature = Images {
        employer_signature: images.employer_seal.clone(),
        ..Images::default()
    };
    let as_seal = Images {
        employer_seal: images.employer_seal.clone(),
        ..Images::default()
    };
    assert_ne!(
        content_hash(source, &data, &as_signature),
        content_hash(source, &data, &as_seal)
    );
    assert_ne!(hash, content_hash(&format!("{source} "), &data, &images));
}

#[test]
fn no_cjk_font_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("wangqian-empty-fonts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let err =
        Fonts::from_dirs(std::slice::from_ref(&dir)).expect_err("an empty folder has no CJK font");
    std::fs::remove_dir_all(&dir).ok();
    assert!(matches!(err, FontError::NoCjkFont { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("中文字体"), "{message}");
    assert!(message.contains("no CJK font"), "{message}");

    let missing = Path::new("/nonexistent/wangqian-fonts").to_path_buf();
    let err = Fonts::from_dirs(&[missing]).expect_err("a missing folder");
    assert!(matches!(err, FontError::Folder { .. }), "{err:?}");
}

#[test]
fn fonts_expose_the_family_and_licence() {
    let fonts = renderer().fonts();
    assert_eq!(fonts.family(), Fonts::FAMILY);
    assert!(fonts.families().iter().any(|f| f == Fonts::FAMILY));
    assert!(fonts.families().iter().any(|f| f == fonts.cjk_family()));
    if Fonts::has_embedded() {
        // From the registry the licence comes along; a WANGQIAN_FONT_DIR may lack it.
        match Fonts::license_text() {
            Some(licence) => assert!(licence.contains("SIL Open Font License"), "{licence}"),
            None => assert!(
                option_env!("WANGQIAN_FONT_DIR").is_some(),
                "no licence embedded"
            ),
        }
    } else {
        println!("notice: this build embedded no fonts; rendering with {fonts:?}");
    }
}

#[test]
fn broken_templates_say_where_and_why() {
    let data = sample_data(TemplateKind::Online);
    let images = Images::default();
    let r = renderer();

    let err = r
        .render(
            "#let d = json(\"/data.json\")\n\n第二行\n#foo()\n",
            &data,
            &images,
        )
        .expect_err("unknown function");
    let message = err.to_string();
    assert!(matches!(err, RenderError::Template(_)), "{err:?}");
    assert!(message.contains("第 4 行第 2 列"), "{message}");
    assert!(message.contains("unknown variable: foo"), "{message}");
    assert!(message.contains("template does not compile"), "{message}");
    assert_eq!(err.diagnostics()[0].line, Some(4));

    let err = r
        .render("#set text(size: 10pt)\n#let x = ", &data, &images)
        .expect_err("incomplete let");
    let message = err.to_string();
    assert!(message.contains("第 2 行"), "{message}");
    assert!(message.contains("expected expression"), "{message}");

    // An error inside a function points at the template, not into the library.
    let err = r
        .render("#image(\"/images/employer-seal\")", &data, &images)
        .expect_err("no seal was given");
    let message = err.to_string();
    assert!(message.contains("第 1 行"), "{message}");
    assert!(message.contains("not found"), "{message}");
}

#[test]
fn an_unknown_font_is_refused() {
    let err = renderer()
        .render(
            "#set text(font: \"SimSun\")\n协议书",
            &sample_data(TemplateKind::Online),
            &Images::default(),
        )
        .expect_err("SimSun is not installed");
    let message = err.to_string();
    assert!(matches!(err, RenderError::UnknownFont { .. }), "{err:?}");
    assert!(
        message.contains("simsun") || message.contains("SimSun"),
        "{message}"
    );
    assert!(message.contains("第 1 行"), "{message}");
    assert!(
        message.contains(Fonts::FAMILY),
        "lists the available fonts: {message}"
    );
}

#[test]
fn characters_without_a_font_are_refused() {
    let mut data = sample_data(TemplateKind::Online);
    data.graduate.name = "林\u{E000}".into(); // a private-use character no font has
    let err = renderer()
        .render(
            TemplateKind::Online.default_source(),
            &data,
            &Images::default(),
        )
        .expect_err("a box would be printed");
    assert!(matches!(err, RenderError::MissingGlyphs { .. }), "{err:?}");
    assert!(err.to_string().contains('\u{E000}'), "{err}");
}

#[test]
fn the_date_is_the_rendering_date() {
    let pdf = renderer()
        .render(
            "#set text(font: \"Wangqian CJK\")\n#datetime.today().display(\"[year]-[month]-[day]\")",
            &sample_data(TemplateKind::Online),
            &Images::default(),
        )
        .expect("today() is rendered_on");
    assert_pdf(&pdf);
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("2027-03-04"), "{text}");
    }
}

#[test]
fn qr_svg_is_an_svg() {
    let svg = qr_svg("https://wangqian.example/v/sample");
    assert!(svg.contains("<svg"), "{svg}");
    assert!(qr_svg(&"x".repeat(5000)).is_empty());
}

// ---------------------------------------------------------------------------------------------
// With poppler-utils and zbar-tools.

fn tool(name: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false);
    if !found {
        if std::env::var("WANGQIAN_REQUIRE_PDF_TOOLS").as_deref() == Ok("1") {
            panic!("{name} is not on PATH and WANGQIAN_REQUIRE_PDF_TOOLS=1");
        }
        println!("notice: {name} is not on PATH; skipping the checks that need it");
    }
    found
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("document-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run the tool");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The PDF's text without any whitespace (line breaks fall anywhere in CJK text).
fn pdf_text(pdf: &[u8]) -> Option<String> {
    if !tool("pdftotext") {
        return None;
    }
    let path = temp_file("text.pdf", pdf);
    let text = run(Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-"));
    std::fs::remove_file(&path).ok();
    Some(squeeze(&text))
}

fn pages(pdf: &[u8]) -> Option<usize> {
    if !tool("pdfinfo") {
        return None;
    }
    let path = temp_file("info.pdf", pdf);
    let info = run(Command::new("pdfinfo").arg(&path));
    std::fs::remove_file(&path).ok();
    let line = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .expect("a Pages: line");
    Some(line["Pages:".len()..].trim().parse().unwrap())
}

/// Without whitespace and the zero-width spaces that let long URLs wrap.
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{200b}')
        .collect()
}

#[test]
fn the_text_is_there_and_no_obsolete_words() {
    for kind in TemplateKind::ALL {
        for word in ["报到证", "派遣"] {
            assert!(
                !kind.default_source().contains(word),
                "{} mentions {word}",
                kind.as_str()
            );
        }
    }
    let data = sample_data(TemplateKind::Online);
    let pdf = render(TemplateKind::Online, &data, &signed_images());
    let Some(text) = pdf_text(&pdf) else { return };
    for needle in [
        &data.title,
        &data.graduate.name,
        &data.graduate.id_number,
        &data.employer.name,
        &data.employer.credit_code,
        &data.number,
        &data.terms.position,
        &data.terms.regular_salary,
        &data.terms.probation_salary,
        &data.binding_sentence,
        &data.copies[0],
        &data.copies[2],
        &data.verify_url,
        &"防伪二维码".to_string(),
        &"第一条".to_string(),
        &"第七条".to_string(),
        &"一式三份".to_string(),
    ] {
        assert!(
            text.contains(&squeeze(needle)),
            "the PDF lacks {needle:?}:\n{text}"
        );
    }
    assert!(!text.contains("报到证"));
    assert!(!text.contains("派遣"));

    let data = sample_data(TemplateKind::Termination);
    let text = pdf_text(&render(
        TemplateKind::Termination,
        &data,
        &Images::default(),
    ))
    .unwrap();
    for needle in [
        "解除就业协议证明",
        &data.graduate.name,
        &data.number,
        "双方协商一致解除协议",
    ] {
        assert!(
            text.contains(&squeeze(needle)),
            "the proof lacks {needle:?}:\n{text}"
        );
    }
}

#[test]
fn a_paper_agreement_before_numbering() {
    let mut data = sample_data(TemplateKind::Paper);
    data.number.clear();
    data.state_label = "待反馈".into();
    data.notes = vec!["请打印本协议，本人签名并由用人单位盖章后，上传扫描件。".into()];
    let pdf = render(TemplateKind::Paper, &data, &Images::default());
    assert_pdf(&pdf);
    std::fs::write(output_dir().join("paper-unnumbered.pdf"), &pdf).unwrap();
    let Some(text) = pdf_text(&pdf) else { return };
    assert!(text.contains("（学校审核通过后生成）"), "{text}");
    assert!(text.contains(&squeeze(&data.notes[0])), "{text}");
    assert!(text.contains("纸质签约"), "{text}");
}

#[test]
fn copies_make_pages() {
    let mut data = sample_data(TemplateKind::Online);
    let three = render(TemplateKind::Online, &data, &Images::default());
    data.copies.truncate(1);
    let one = render(TemplateKind::Online, &data, &Images::default());
    if let (Some(three), Some(one)) = (pages(&three), pages(&one)) {
        assert_eq!(three, 3, "three copies, one page each");
        assert_eq!(one, 1, "one copy, one page");
    }
    let termination = render(
        TemplateKind::Termination,
        &sample_data(TemplateKind::Termination),
        &Images::default(),
    );
    if let Some(n) = pages(&termination) {
        assert_eq!(n, 1);
    }
    // A long agreed term flows on to a second page of the same copy.
    let mut data = sample_data(TemplateKind::Online);
    data.terms.agreed_terms = "乙方为甲方缴纳五险一金，提供住房补贴。".repeat(60);
    let long = render(TemplateKind::Online, &data, &Images::default());
    std::fs::write(output_dir().join("online-long-terms.pdf"), &long).unwrap();
    if let (Some(n), Some(text)) = (pages(&long), pdf_text(&long)) {
        assert!(n > 3 && n <= 6, "{n} pages");
        assert!(
            text.contains("第2页/共2页"),
            "per-copy page numbers: {text}"
        );
    }
}

#[test]
fn the_fonts_are_embedded_subsets() {
    if !tool("pdffonts") {
        return;
    }
    let pdf = render(
        TemplateKind::Online,
        &sample_data(TemplateKind::Online),
        &Images::default(),
    );
    let path = temp_file("fonts.pdf", &pdf);
    let fonts = run(Command::new("pdffonts").arg(&path));
    std::fs::remove_file(&path).ok();
    let subset = fonts.lines().skip(2).any(|line| {
        let name = line.split_whitespace().next().unwrap_or_default();
        name.contains('+') && line.contains(" yes yes ")
    });
    assert!(subset, "no embedded subset font:\n{fonts}");
}

#[test]
fn the_qr_code_reads_back_from_page_one() {
    if !tool("pdftoppm") {
        return;
    }
    let data = sample_data(TemplateKind::Online);
    let pdf = render(TemplateKind::Online, &data, &signed_images());
    let pdf_path = temp_file("qr.pdf", &pdf);
    let out = output_dir();
    std::fs::write(out.join("online.pdf"), &pdf).unwrap();
    let prefix = out.join("online-page");
    run(Command::new("pdftoppm")
        .args(["-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf_path)
        .arg(&prefix));
    std::fs::remove_file(&pdf_path).ok();
    let png = out.join("online-page.png");
    let page1 = out.join("online-page1.png");
    std::fs::rename(&png, &page1).unwrap();
    println!("page 1: {}", page1.display());

    if !tool("zbarimg") {
        return;
    }
    let decoded = run(Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&page1));
    assert_eq!(decoded.trim(), data.verify_url, "the QR code on page 1");

    for kind in [TemplateKind::Paper, TemplateKind::Termination] {
        let pdf = render(kind, &sample_data(kind), &Images::default());
        let pdf_path = temp_file("qr2.pdf", &pdf);
        let prefix = out.join(kind.as_str());
        run(Command::new("pdftoppm")
            .args(["-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile"])
            .arg(&pdf_path)
            .arg(&prefix));
        std::fs::remove_file(&pdf_path).ok();
        let png = out.join(format!("{}.png", kind.as_str()));
        let decoded = run(Command::new("zbarimg").args(["--quiet", "--raw"]).arg(&png));
        assert_eq!(
            decoded.trim(),
            data.verify_url,
            "the QR code of {}",
            kind.as_str()
        );
    }
}

// ---------------------------------------------------------------------------------------------

fn mean(samples: &[Duration]) -> Duration {
    samples.iter().sum::<Duration>() / samples.len() as u32
}

#[test]
#[ignore = "a benchmark: cargo test -p wangqian-document --release -- --ignored --nocapture bench"]
fn bench_render() {
    let source = TemplateKind::Online.default_source();
    let three = sample_data(TemplateKind::Online);
    let mut one = three.clone();
    one.copies.truncate(1);
    let images = Images::default();

    let start = Instant::now();
    let fonts = Fonts::load(&[]).expect("a CJK font");
    let loaded = start.elapsed();
    let renderer = Renderer::new(fonts);
    let first = renderer.render(source, &three, &images).expect("renders");
    let cold = start.elapsed();
    println!(
        "cold: {:.1} ms (fonts loaded in {:.1} ms), 3 copies, {} KB",
        cold.as_secs_f64() * 1e3,
        loaded.as_secs_f64() * 1e3,
        first.len() / 1024
    );

    for (label, data) in [("3 copies", &three), ("1 copy", &one)] {
        let mut same = Vec::new();
        let mut size = 0;
        for _ in 0..20 {
            let t = Instant::now();
            size = renderer.render(source, data, &images).unwrap().len();
            same.push(t.elapsed());
        }
        // Each rendering of a new agreement differs in its data: no memoised layout to reuse.
        let mut varied = Vec::new();
        for i in 0..20 {
            let mut data = data.clone();
            data.number = format!("12027100010{i:05}");
            data.graduate.name = format!("林晓{i}");
            let t = Instant::now();
            renderer.render(source, &data, &images).unwrap();
            varied.push(t.elapsed());
        }
        println!(
            "warm, {label}: {:.1} ms mean of 20 (same data), {:.1} ms (new data each time), {} KB",
            mean(&same).as_secs_f64() * 1e3,
            mean(&varied).as_secs_f64() * 1e3,
            size / 1024
        );
    }
    let signed = renderer.render(source, &one, &signed_images()).unwrap();
    println!(
        "1 copy with signatures and seal: {} KB",
        signed.len() / 1024
    );
}
