//! Obtains the CJK fonts the documents are typeset with and embeds them in the crate.
//!
//! The fonts come from a package registry so that a fresh machine with only the Rust toolchain
//! can build and test the product: the npm package `@embedpdf/fonts-sc` 1.0.0 carries Noto Sans
//! Hans (Regular and Bold, SIL Open Font License 1.1). Order of sources:
//!
//! 1. `WANGQIAN_FONT_DIR`: a folder holding `NotoSansHans-Regular.otf` and
//!    `NotoSansHans-Bold.otf` (and optionally `LICENSE`);
//! 2. the cache `$XDG_CACHE_HOME/wangqian/fonts` or `$HOME/.cache/wangqian/fonts`;
//! 3. the registry tarball (36 MB, checked against its SHA-256), of which only the two faces and
//!    the licence are kept in the cache (about 17 MB). Set `WANGQIAN_NO_FONT_DOWNLOAD=1` to skip.
//!
//! When none works (offline), the build warns and embeds no fonts; `Fonts::load` then looks for
//! system CJK fonts and refuses to render when there are none.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

const TARBALL_URL: &str = "https://registry.npmjs.org/@embedpdf/fonts-sc/-/fonts-sc-1.0.0.tgz";
const TARBALL_SHA256: &str = "589e6a5f2168430b4ae5a46bfdc4606f1798f5c06be5a2369ab89f75b804a0ad";
const REGULAR: &str = "NotoSansHans-Regular.otf";
const BOLD: &str = "NotoSansHans-Bold.otf";
const LICENSE: &str = "LICENSE";
/// The members of the tarball that are kept, their names in the cache and their SHA-256 (the
/// cache is checked against it before it is trusted).
const MEMBERS: [(&str, &str, &str); 3] = [
    (
        "package/fonts/NotoSansHans-Regular.otf",
        REGULAR,
        "7db3c634bbd0301b3082a80ffcac2f422e8ef9ce0730f8b279c3e8f756598f68",
    ),
    (
        "package/fonts/NotoSansHans-Bold.otf",
        BOLD,
        "9e7729ef993ca4c647882f798644f4bbf6da69bd822eac593fc68717dd6c8e2a",
    ),
    (
        "package/LICENSE",
        LICENSE,
        "cea028c0b5185b804ae79f1eab96ca5ee469d61d44925972a2379430890bbec1",
    ),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=WANGQIAN_FONT_DIR");
    println!("cargo:rerun-if-env-changed=WANGQIAN_NO_FONT_DOWNLOAD");
    println!("cargo:rerun-if-env-changed=XDG_CACHE_HOME");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let generated = out_dir.join("embedded_fonts.rs");
    let code = match find_fonts(&out_dir) {
        Ok(source) => embed(&source, &out_dir).unwrap_or_else(|err| {
            warn(&format!("could not copy the fonts into OUT_DIR: {err}"));
            empty_set()
        }),
        Err(err) => {
            warn(&format!(
                "未能获取中文字体（could not obtain the CJK fonts）: {err}. The crate is built \
                 without embedded fonts; rendering uses system CJK fonts (fonts-noto-cjk, \
                 fonts-wqy-microhei) or WANGQIAN_FONT_DIR, and refuses to render without any."
            ));
            empty_set()
        }
    };
    fs::write(&generated, code).expect("write embedded_fonts.rs");
}

fn warn(message: &str) {
    for line in message.lines() {
        println!("cargo:warning={line}");
    }
}

/// A folder holding the two faces (and maybe the licence).
fn find_fonts(out_dir: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("WANGQIAN_FONT_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if has_faces(&dir) {
            return Ok(dir);
        }
        warn(&format!(
            "WANGQIAN_FONT_DIR={} does not hold {REGULAR} and {BOLD}; trying the cache",
            dir.display()
        ));
    }

    let cache = cache_dir();
    if let Some(cache) = &cache {
        // Watch the cache so that a build without fonts retries once they are there; a missing
        // file counts as changed, so an offline build retries on every build.
        for name in [REGULAR, BOLD, LICENSE] {
            println!("cargo:rerun-if-changed={}", cache.join(name).display());
        }
        if cache_is_valid(cache) {
            return Ok(cache.clone());
        }
    }

    if std::env::var_os("WANGQIAN_NO_FONT_DOWNLOAD").is_some_and(|v| !v.is_empty() && v != "0") {
        return Err("WANGQIAN_NO_FONT_DOWNLOAD is set and no cached fonts were found".into());
    }

    let tarball = download()?;
    // Keep the fonts in the cache when it can be written, else only for this build.
    let target = match &cache {
        Some(cache) if fs::create_dir_all(cache).is_ok() => cache.clone(),
        _ => out_dir.join("fonts"),
    };
    match extract(&tarball, &target) {
        Ok(()) => Ok(target),
        Err(err) if target.starts_with(out_dir) => Err(err),
        Err(err) => {
            warn(&format!(
                "could not write the font cache {}: {err}; keeping the fonts in OUT_DIR",
                target.display()
            ));
            let fallback = out_dir.join("fonts");
            extract(&tarball, &fallback)?;
            Ok(fallback)
        }
    }
}

/// Whether the cache holds the three files with their expected contents.
fn cache_is_valid(dir: &Path) -> bool {
    MEMBERS.iter().all(|(_, name, sha256)| {
        fs::read(dir.join(name)).is_ok_and(|bytes| hex::encode(Sha256::digest(&bytes)) == *sha256)
    })
}

fn has_faces(dir: &Path) -> bool {
    dir.join(REGULAR).is_file() && dir.join(BOLD).is_file()
}

fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|d| !d.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("wangqian").join("fonts"))
}

fn download() -> Result<Vec<u8>, String> {
    // Proxies come from HTTPS_PROXY/ALL_PROXY (feature `proxy-from-env`); the system's root
    // certificates are trusted (feature `native-certs`).
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(15))
        .timeout_read(Duration::from_secs(60))
        .user_agent(concat!(
            "wangqian-document-build/",
            env!("CARGO_PKG_VERSION")
        ))
        .build();
    let response = agent
        .get(TARBALL_URL)
        .call()
        .map_err(|err| format!("download of {TARBALL_URL} failed: {err}"))?;
    let mut body = Vec::with_capacity(40 << 20);
    response
        .into_reader()
        .take(200 << 20)
        .read_to_end(&mut body)
        .map_err(|err| format!("download of {TARBALL_URL} failed: {err}"))?;
    let digest = hex::encode(Sha256::digest(&body));
    if digest != TARBALL_SHA256 {
        return Err(format!(
            "{TARBALL_URL}: SHA-256 {digest} does not match the expected {TARBALL_SHA256}"
        ));
    }
    Ok(body)
}

/// Writes the kept members into `dir`, each through a temporary file renamed into place so that
/// a concurrent build never sees half a font. The licence comes last: it marks a complete cache.
fn extract(tarball: &[u8], dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let mut found: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tarball));
    let entries = archive
        .entries()
        .map_err(|err| format!("unreadable tarball: {err}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|err| format!("unreadable tarball: {err}"))?;
        let path = entry
            .path()
            .map_err(|err| format!("unreadable tarball: {err}"))?
            .to_string_lossy()
            .into_owned();
        if let Some((_, name, _)) = MEMBERS.iter().find(|(member, _, _)| *member == path) {
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .map_err(|err| format!("unreadable tarball member {path}: {err}"))?;
            found.push((name, bytes));
        }
    }
    for (member, name, _) in MEMBERS {
        if !found.iter().any(|(n, _)| *n == name) {
            return Err(format!("the tarball lacks {member}"));
        }
    }
    found.sort_by_key(|(name, _)| *name == LICENSE);
    for (name, bytes) in found {
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, dir.join(name))
        };
        write().map_err(|err| {
            let _ = fs::remove_file(&tmp);
            format!("{}: {err}", dir.join(name).display())
        })?;
    }
    Ok(())
}

/// Copies the faces (and licence) into OUT_DIR and generates the code embedding them.
fn embed(source: &Path, out_dir: &Path) -> std::io::Result<String> {
    let target = out_dir.join("embedded-fonts");
    fs::create_dir_all(&target)?;
    let mut faces = Vec::new();
    for name in [REGULAR, BOLD] {
        copy_if_changed(&source.join(name), &target.join(name))?;
        faces.push(format!(
            "    include_bytes!({:?}),\n",
            target.join(name).display().to_string()
        ));
    }
    let license = if source.join(LICENSE).is_file() {
        copy_if_changed(&source.join(LICENSE), &target.join(LICENSE))?;
        format!(
            "Some(include_str!({:?}))",
            target.join(LICENSE).display().to_string()
        )
    } else {
        "None".to_string()
    };
    Ok(format!(
        "/// The embedded font faces (OpenType), regular first.\n\
         pub(crate) static EMBEDDED_FACES: &[&[u8]] = &[\n{}];\n\
         /// The licence of the embedded faces.\n\
         pub(crate) static EMBEDDED_LICENSE: Option<&str> = {license};\n",
        faces.concat()
    ))
}

fn copy_if_changed(from: &Path, to: &Path) -> std::io::Result<()> {
    let same = match (fs::metadata(from), fs::metadata(to)) {
        (Ok(a), Ok(b)) => a.len() == b.len() && fs::read(from)? == fs::read(to)?,
        _ => false,
    };
    if !same {
        fs::copy(from, to)?;
    }
    Ok(())
}

fn empty_set() -> String {
    "pub(crate) static EMBEDDED_FACES: &[&[u8]] = &[];\n\
     pub(crate) static EMBEDDED_LICENSE: Option<&str> = None;\n"
        .to_string()
}
