//! The fonts documents are typeset with.
//!
//! The build script embeds Noto Sans Hans Regular and Bold (SIL Open Font License 1.1, from the
//! npm package `@embedpdf/fonts-sc`); folders given at run time add more, and well-known system
//! CJK fonts stand in when nothing else covers Chinese.
//!
//! Templates reach the CJK font through the fixed family name [`Fonts::FAMILY`]
//! (`"Wangqian CJK"`): the first family found that covers Chinese is registered a second time
//! under that name, with all its weights, so `#set text(font: "Wangqian CJK")` works whichever
//! font the machine supplied. Its real name ([`Fonts::cjk_family`], e.g. `"Noto Sans S Chinese"`
//! for the embedded Noto Sans Hans)
//! works too.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use typst::foundations::Bytes;
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_fonts.rs"));
}

/// Characters a font must have to count as a Chinese font.
const PROBE: [char; 6] = ['协', '议', '书', '甲', '乙', '签'];

/// Families preferred as the CJK family, in this order, when several cover Chinese.
const PREFERRED: [&str; 8] = [
    "Noto Sans S Chinese",
    "Noto Sans Hans",
    "Noto Sans SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
];

/// Well-known system font files, read only when nothing else covers Chinese.
const SYSTEM_FONTS: [&str; 8] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
];

/// The font set a [`crate::Renderer`] typesets with. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct Fonts(Arc<Inner>);

struct Inner {
    /// Index `i` of the book is `fonts[i]`; the CJK faces appear twice, once under their own
    /// family and once under [`Fonts::FAMILY`] (the same `Font`, so the PDF embeds it once).
    fonts: Vec<Font>,
    book: LazyHash<FontBook>,
    cjk_family: String,
    /// Where the fonts came from, for the log.
    sources: Vec<String>,
}

/// No font covers Chinese, or a font folder cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error(
        "未找到中文字体：请安装 fonts-noto-cjk 或 fonts-wqy-microhei，或设置 WANGQIAN_FONT_DIR \
         指向含中文字体（.otf/.ttf/.ttc）的文件夹；已查找：{searched}（no CJK font found: install \
         fonts-noto-cjk or fonts-wqy-microhei, or set WANGQIAN_FONT_DIR to a folder with CJK \
         fonts; searched: {searched}）"
    )]
    NoCjkFont { searched: String },
    #[error("无法读取字体文件夹 {}：{source}（cannot read the font folder）", path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Fonts {
    /// The family name templates use for Chinese text: `#set text(font: "Wangqian CJK")`.
    pub const FAMILY: &'static str = "Wangqian CJK";

    /// The embedded fonts (if the build obtained them), the fonts in `extra_dirs` and in the
    /// folder named by the environment variable `WANGQIAN_FONT_DIR` (if set), and, only when
    /// none of these covers Chinese, the well-known system CJK fonts (Noto Sans CJK SC,
    /// WenQuanYi). Fails when still no font covers Chinese: a document without one would print
    /// empty boxes.
    pub fn load(extra_dirs: &[PathBuf]) -> Result<Fonts, FontError> {
        let mut collector = Collector::default();
        for (i, face) in embedded::EMBEDDED_FACES.iter().enumerate() {
            collector.add_bytes(Bytes::new(*face), &format!("embedded face {i}"), None);
        }
        if embedded::EMBEDDED_FACES.is_empty() {
            collector
                .searched
                .push("embedded (none: the build was offline)".into());
        }
        let mut dirs = extra_dirs.to_vec();
        if let Some(dir) = std::env::var_os("WANGQIAN_FONT_DIR").filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(dir);
            // The build script accepts the variable too; a stale value must not break serving.
            if dir.is_dir() && !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        for dir in &dirs {
            collector.add_dir(dir)?;
        }
        if collector.cjk_family().is_none() {
            for path in SYSTEM_FONTS {
                collector.add_file(Path::new(path), true);
            }
        }
        collector.finish()
    }

    /// Only the fonts in `dirs` (searched recursively for .otf, .ttf, .ttc and .otc files).
    pub fn from_dirs(dirs: &[PathBuf]) -> Result<Fonts, FontError> {
        let mut collector = Collector::default();
        for dir in dirs {
            collector.add_dir(dir)?;
        }
        collector.finish()
    }

    /// The CJK family name templates should use: always [`Fonts::FAMILY`].
    pub fn family(&self) -> &str {
        Self::FAMILY
    }

    /// The real name of the family behind [`Fonts::FAMILY`], e.g. `Noto Sans Hans`.
    pub fn cjk_family(&self) -> &str {
        &self.0.cjk_family
    }

    /// Every family name a template may use, sorted.
    pub fn families(&self) -> Vec<String> {
        self.0
            .book
            .families()
            .map(|(family, _)| family.to_string())
            .collect()
    }

    /// The font files (or embedded faces) the set was built from.
    pub fn sources(&self) -> &[String] {
        &self.0.sources
    }

    /// Whether the build embedded its own CJK fonts.
    pub fn has_embedded() -> bool {
        !embedded::EMBEDDED_FACES.is_empty()
    }

    /// The licence of the embedded fonts (SIL Open Font License 1.1), for the product's
    /// notices; `None` when the build embedded no fonts or got them without a licence file.
    pub fn license_text() -> Option<&'static str> {
        embedded::EMBEDDED_LICENSE
    }

    pub(crate) fn book(&self) -> &LazyHash<FontBook> {
        &self.0.book
    }

    pub(crate) fn font(&self, index: usize) -> Option<Font> {
        self.0.fonts.get(index).cloned()
    }
}

impl fmt::Debug for Fonts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fonts")
            .field("cjk_family", &self.0.cjk_family)
            .field("faces", &self.0.fonts.len())
            .field("sources", &self.0.sources)
            .finish()
    }
}

#[derive(Default)]
struct Collector {
    fonts: Vec<Font>,
    sources: Vec<String>,
    searched: Vec<String>,
}

impl Collector {
    fn add_dir(&mut self, dir: &Path) -> Result<(), FontError> {
        self.searched.push(dir.display().to_string());
        let mut files = Vec::new();
        walk(dir, 0, &mut files).map_err(|source| FontError::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
        files.sort();
        for file in files {
            self.add_file(&file, false);
        }
        Ok(())
    }

    /// Adds the faces of a font file; unreadable or invalid files are skipped.
    fn add_file(&mut self, path: &Path, system: bool) {
        if system {
            self.searched.push(path.display().to_string());
        }
        let Ok(data) = std::fs::read(path) else {
            return;
        };
        // Of the Noto Sans CJK collections only the Simplified Chinese face is wanted (index 2
        // in Debian's files; found by name to be safe).
        let only = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| n.starts_with("NotoSansCJK") || n.starts_with("NotoSerifCJK"))
            .map(|_| " SC");
        self.add_bytes(Bytes::new(data), &path.display().to_string(), only);
    }

    fn add_bytes(&mut self, data: Bytes, source: &str, family_suffix: Option<&str>) {
        let before = self.fonts.len();
        for font in Font::iter(data) {
            if family_suffix.is_some_and(|s| !font.info().family.ends_with(s)) {
                continue;
            }
            self.fonts.push(font);
        }
        if self.fonts.len() > before {
            self.sources.push(source.to_string());
        }
    }

    /// The family to register as [`Fonts::FAMILY`]: a preferred one if present, else the first
    /// that covers the probe characters.
    fn cjk_family(&self) -> Option<String> {
        let covers = |info: &FontInfo| PROBE.iter().all(|&c| info.coverage.contains(c as u32));
        let candidates: Vec<&str> = self
            .fonts
            .iter()
            .map(|f| f.info())
            .filter(|info| covers(info))
            .map(|info| info.family.as_str())
            .collect();
        PREFERRED
            .iter()
            .find(|p| candidates.iter().any(|c| c.eq_ignore_ascii_case(p)))
            .map(|p| {
                candidates
                    .iter()
                    .find(|c| c.eq_ignore_ascii_case(p))
                    .unwrap_or(p)
                    .to_string()
            })
            .or_else(|| candidates.first().map(|c| c.to_string()))
    }

    fn finish(self) -> Result<Fonts, FontError> {
        let Some(cjk_family) = self.cjk_family() else {
            let searched = if self.searched.is_empty() {
                "（无 none）".to_string()
            } else {
                self.searched.join(", ")
            };
            return Err(FontError::NoCjkFont { searched });
        };
        let mut book = FontBook::new();
        let mut fonts = Vec::with_capacity(self.fonts.len() * 2);
        for font in &self.fonts {
            book.push(font.info().clone());
            fonts.push(font.clone());
        }
        for font in &self.fonts {
            if font.info().family == cjk_family {
                let mut alias = font.info().clone();
                alias.family = Fonts::FAMILY.to_string();
                book.push(alias);
                fonts.push(font.clone());
            }
        }
        Ok(Fonts(Arc::new(Inner {
            fonts,
            book: LazyHash::new(book),
            cjk_family,
            sources: self.sources,
        })))
    }
}

/// Font files under `dir`, a few levels deep.
fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let file_type = entry.file_type()?;
        if file_type.is_dir() || (file_type.is_symlink() && path.is_dir()) {
            if depth < 4 {
                // Subfolders that cannot be read are skipped, the folder itself must be readable.
                let _ = walk(&path, depth + 1, out);
            }
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "otf" | "ttf" | "ttc" | "otc"
            )
        }) {
            out.push(path);
        }
    }
    Ok(())
}
