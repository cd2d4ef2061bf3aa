//! Typst as a library: a small [`World`] holding one template and its data, compiled into an
//! A4 PDF.
//!
//! The template sees these files and no others:
//! - `/data.json`: the [`DocumentData`] (the `signatures.has_*` flags say whether the matching
//!   image below is present);
//! - `/qr.svg`: the QR code of `verify_url` (error correction M, with its quiet zone);
//! - `/images/graduate-signature`, `/images/employer-signature`, `/images/employer-seal`, when
//!   given, also under the same name with `.png` or `.jpg` according to their bytes.
//!
//! `datetime.today()` is the date in `rendered_on` (never the clock), and the PDF carries no
//! creation time, so equal inputs give equal bytes.

use std::fmt;
use std::sync::LazyLock;

use sha2::{Digest, Sha256};
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::layout::{Frame, FrameItem};
use typst::syntax::{FileId, RootedPath, Source, Span, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;

use crate::{DocumentData, Fonts, Images};

/// The standard library, built once per process.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// How many compilations' worth of memoised results typst keeps between renders.
const CACHE_GENERATIONS: usize = 10;

struct Ids {
    main: FileId,
    data: FileId,
    qr: FileId,
}

static IDS: LazyLock<Ids> = LazyLock::new(|| Ids {
    main: file_id("/main.typ"),
    data: file_id("/data.json"),
    qr: file_id("/qr.svg"),
});

fn file_id(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("a valid virtual path"),
    )
    .intern()
}

/// Renders templates into PDFs. Build it once and share it: it is `Send + Sync`, and renders on
/// several threads at once.
#[derive(Debug, Clone)]
pub struct Renderer {
    fonts: Fonts,
}

/// One problem the typst engine reported, located in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line in the template, when the problem has a place in it.
    pub line: Option<usize>,
    /// 1-based column (in characters).
    pub column: Option<usize>,
    /// The engine's message (English).
    pub message: String,
    /// The engine's hints.
    pub hints: Vec<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "第 {line} 行第 {column} 列：")?,
            (Some(line), None) => write!(f, "第 {line} 行：")?,
            _ => {}
        }
        f.write_str(&self.message)?;
        for hint in &self.hints {
            write!(f, "（hint: {hint}）")?;
        }
        Ok(())
    }
}

/// Why a template did not render.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    /// The template does not compile (syntax, unknown names, wrong types, missing files).
    #[error("模板有误，无法生成文档（the template does not compile）：{}", list(.0))]
    Template(Vec<Diagnostic>),
    /// The template asks for a font family that is not installed; it would print empty boxes.
    #[error(
        "模板使用了未安装的字体，文档会出现方框（the template uses a font that is not \
         available）：{}；可用字体（available）：{available}",
        list(.diagnostics)
    )]
    UnknownFont {
        diagnostics: Vec<Diagnostic>,
        available: String,
    },
    /// Some characters are in no available font; they would print as empty boxes.
    #[error(
        "以下字符没有可用字体，文档会出现方框（no available font has these characters）：{chars}{}",
        .line.map(|l| format!("（第 {l} 行起 / from line {l}）")).unwrap_or_default()
    )]
    MissingGlyphs { chars: String, line: Option<usize> },
    /// The QR code could not be made (the verification address is too long).
    #[error("无法生成防伪二维码（cannot encode the QR code）：{0}")]
    Qr(String),
    /// The PDF export failed.
    #[error("PDF 导出失败（PDF export failed）：{}", list(.0))]
    Pdf(Vec<Diagnostic>),
}

impl RenderError {
    /// The engine's diagnostics, if the error came from it.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            RenderError::Template(d) | RenderError::Pdf(d) => d,
            RenderError::UnknownFont { diagnostics, .. } => diagnostics,
            RenderError::MissingGlyphs { .. } | RenderError::Qr(_) => &[],
        }
    }
}

/// The first few diagnostics, joined.
fn list(diagnostics: &[Diagnostic]) -> String {
    const SHOWN: usize = 3;
    let mut out = diagnostics
        .iter()
        .take(SHOWN)
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("；");
    if diagnostics.len() > SHOWN {
        out.push_str(&format!(
            "；另有 {} 处（and {} more）",
            diagnostics.len() - SHOWN,
            diagnostics.len() - SHOWN
        ));
    }
    out
}

impl Renderer {
    pub fn new(fonts: Fonts) -> Renderer {
        Renderer { fonts }
    }

    pub fn fonts(&self) -> &Fonts {
        &self.fonts
    }

    /// Renders `source` (typst markup) with `data` and `images` into PDF bytes.
    pub fn render(
        &self,
        source: &str,
        data: &DocumentData,
        images: &Images,
    ) -> Result<Vec<u8>, RenderError> {
        let world = DocWorld::new(&self.fonts, source, data, images)?;
        let result = render_world(&world);
        typst::comemo::evict(CACHE_GENERATIONS);
        result
    }
}

fn render_world(world: &DocWorld<'_>) -> Result<Vec<u8>, RenderError> {
    let warned = typst::compile::<PagedDocument>(world);
    let document = warned
        .output
        .map_err(|errors| RenderError::Template(world.diagnostics(&errors)))?;

    let unknown_fonts: Vec<SourceDiagnostic> = warned
        .warnings
        .iter()
        .filter(|w| w.severity == Severity::Warning && w.message.starts_with("unknown font family"))
        .cloned()
        .collect();
    if !unknown_fonts.is_empty() {
        return Err(RenderError::UnknownFont {
            diagnostics: world.diagnostics(&unknown_fonts),
            available: world.fonts.families().join(", "),
        });
    }

    let mut missing = MissingGlyphs::default();
    for page in document.pages() {
        missing.scan(&page.frame);
    }
    if !missing.chars.is_empty() {
        let line = missing
            .first_span
            .and_then(|span| world.line_column(span))
            .map(|(l, _)| l);
        return Err(RenderError::MissingGlyphs {
            chars: missing.chars.iter().collect(),
            line,
        });
    }

    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|errors| RenderError::Pdf(world.diagnostics(&errors)))
}

/// Characters shaped to the `.notdef` glyph: what would print as an empty box.
#[derive(Default)]
struct MissingGlyphs {
    chars: Vec<char>,
    first_span: Option<Span>,
}

impl MissingGlyphs {
    fn scan(&mut self, frame: &Frame) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => self.scan(&group.frame),
                FrameItem::Text(text) => {
                    for glyph in text.glyphs.iter().filter(|g| g.id == 0) {
                        let snippet = text.text.get(glyph.range()).unwrap_or_default();
                        for c in snippet.chars().filter(|c| !c.is_whitespace()) {
                            if !self.chars.contains(&c) {
                                self.chars.push(c);
                            }
                        }
                        if self.first_span.is_none() && !glyph.span.0.is_detached() {
                            self.first_span = Some(glyph.span.0);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// The world of one rendering: the template, its data, and the shared library and fonts.
struct DocWorld<'a> {
    fonts: &'a Fonts,
    main: Source,
    data: Bytes,
    qr: Bytes,
    images: Vec<(FileId, Bytes)>,
    today: Option<Datetime>,
}

impl<'a> DocWorld<'a> {
    fn new(
        fonts: &'a Fonts,
        source: &str,
        data: &DocumentData,
        images: &Images,
    ) -> Result<DocWorld<'a>, RenderError> {
        let mut json = serde_json::to_value(data).expect("DocumentData serialises");
        // What the template can print is what was given.
        if let Some(signatures) = json.get_mut("signatures") {
            signatures["has_graduate_signature"] = images.graduate_signature.is_some().into();
            signatures["has_employer_signature"] = images.employer_signature.is_some().into();
            signatures["has_employer_seal"] = images.employer_seal.is_some().into();
        }
        let data_bytes = serde_json::to_vec(&json).expect("JSON serialises");

        let qr = try_qr_svg(&data.verify_url).map_err(RenderError::Qr)?;

        let mut files = Vec::new();
        for (name, bytes) in [
            ("graduate-signature", &images.graduate_signature),
            ("employer-signature", &images.employer_signature),
            ("employer-seal", &images.employer_seal),
        ] {
            let Some(bytes) = bytes else { continue };
            let bytes = Bytes::new(bytes.clone());
            files.push((file_id(&format!("/images/{name}")), bytes.clone()));
            if let Some(ext) = image_extension(&bytes) {
                files.push((file_id(&format!("/images/{name}.{ext}")), bytes));
            }
        }

        Ok(DocWorld {
            fonts,
            main: Source::new(IDS.main, source.to_string()),
            data: Bytes::new(data_bytes),
            qr: Bytes::new(qr.into_bytes()),
            images: files,
            today: parse_chinese_date(&data.rendered_on),
        })
    }

    /// The 1-based line and column of a span in the template.
    fn line_column(&self, span: Span) -> Option<(usize, usize)> {
        self.place(span.into())
    }

    fn diagnostics(&self, list: &[SourceDiagnostic]) -> Vec<Diagnostic> {
        list.iter()
            .map(|diag| {
                // Point into the template: the problem itself, or the call in the template that
                // led to it.
                let place = self.place(diag.span).or_else(|| {
                    diag.trace
                        .iter()
                        .rev()
                        .find_map(|t| self.place(t.span.into()))
                });
                Diagnostic {
                    line: place.map(|(l, _)| l),
                    column: place.map(|(_, c)| c),
                    message: diag.message.to_string(),
                    hints: diag.hints.iter().map(|h| h.v.to_string()).collect(),
                }
            })
            .collect()
    }

    fn place(&self, span: typst::syntax::DiagSpan) -> Option<(usize, usize)> {
        if span.id() != Some(IDS.main) {
            return None;
        }
        let range = self.range(span)?;
        let (line, column) = self.main.lines().byte_to_line_column(range.start)?;
        Some((line + 1, column + 1))
    }
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }

    fn main(&self) -> FileId {
        IDS.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == IDS.main {
            Ok(self.main.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == IDS.data {
            return Ok(self.data.clone());
        }
        if id == IDS.qr {
            return Ok(self.qr.clone());
        }
        if id == IDS.main {
            return Ok(Bytes::from_string(self.main.text().to_string()));
        }
        self.images
            .iter()
            .find(|(file, _)| *file == id)
            .map(|(_, bytes)| bytes.clone())
            .ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        self.today
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}

fn image_extension(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else {
        None
    }
}

/// `2027年3月4日` → the date.
fn parse_chinese_date(text: &str) -> Option<Datetime> {
    let (year, rest) = text.trim().split_once('年')?;
    let (month, rest) = rest.split_once('月')?;
    let day = rest.strip_suffix('日')?;
    Datetime::from_ymd(
        year.trim().parse().ok()?,
        month.trim().parse().ok()?,
        day.trim().parse().ok()?,
    )
}

/// The QR code of `text` as an SVG document (error correction M, with the quiet zone), as it
/// appears in the PDFs; for web pages too. Empty when `text` is too long for a QR code.
pub fn qr_svg(text: &str) -> String {
    try_qr_svg(text).unwrap_or_default()
}

fn try_qr_svg(text: &str) -> Result<String, String> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|err| err.to_string())?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(200, 200)
        .build())
}

/// Hex SHA-256 over the template, the data and the images, each length-prefixed in a fixed
/// order: what the QR token certifies. Independent of the PDF bytes (which contain the QR).
pub fn content_hash(source: &str, data: &DocumentData, images: &Images) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"wangqian-document-content/v1\0");
    let mut part = |tag: &[u8], bytes: Option<&[u8]>| {
        hasher.update(tag);
        match bytes {
            Some(bytes) => {
                hasher.update([1u8]);
                hasher.update((bytes.len() as u64).to_be_bytes());
                hasher.update(bytes);
            }
            None => hasher.update([0u8]),
        }
    };
    let json = serde_json::to_vec(data).expect("DocumentData serialises");
    part(b"template", Some(source.as_bytes()));
    part(b"data", Some(&json));
    part(b"graduate-signature", images.graduate_signature.as_deref());
    part(b"employer-signature", images.employer_signature.as_deref());
    part(b"employer-seal", images.employer_seal.as_deref());
    hex::encode(hasher.finalize())
}
