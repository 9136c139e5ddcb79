//! The Chinese font a PDF report is set in.
//!
//! # The font: the system's, not bundled
//!
//! Chinese needs a CJK font, and we use the one the device already has:
//! - **Which.** Noto Sans CJK SC (思源黑体, the same design Adobe ships as Source Han
//!   Sans SC): a complete simplified-Chinese sans face, free (SIL OFL, embedding
//!   allowed), and the system font of Android and of most Linux desktops. Fallbacks, in
//!   order: Source Han Sans SC, WenQuanYi Micro Hei, Droid Sans Fallback, PingFang SC,
//!   Hiragino Sans GB, Microsoft YaHei.
//! - **How it is found** ([`CjkFont::find`]). First the known files, in that order:
//!   desktop Linux `/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc` (Debian and
//!   Ubuntu `fonts-noto-cjk`; Fedora's and Arch's folders too), Android
//!   `/system/fonts/NotoSansCJK-Regular.ttc`, macOS `/System/Library/Fonts/PingFang.ttc`
//!   and `Hiragino Sans GB.ttc`, iOS `/System/Library/Fonts/Core/PingFang.ttc`, Windows
//!   `msyh.ttc`. In a collection (`.ttc`) the face whose family is the one wanted is
//!   taken (Noto's collection holds JP, KR, SC, TC and HK faces; SC has the mainland
//!   glyph forms), the regular weight where there are several. Then, if none of those
//!   is there, the system's font folders (on Linux the XDG data folders' `fonts`, where
//!   fontconfig's default configuration looks; the user's fonts too), by the same
//!   families, then any face that has Chinese. None: [`Error::NoCjkFont`], which says what to install.
//! - **Why not bundled.** The font file is big and every target we ship to already has
//!   one. Measured here: Debian's `NotoSansCJK-Regular.ttc` (all five regional faces)
//!   is 19,484,784 bytes; the SC face alone (upstream's `NotoSansCJKsc-Regular.otf`)
//!   is about 16 MB; even cut down to the 6,763 characters of GB 2312 it is about
//!   1.5 MB compressed (a PDF of exactly those characters, made by this module: 1,565,794
//!   bytes), and a cut-down font drops the rarer characters of people's and places'
//!   names. Against that, the desktop binary is ~10 MB. What a PDF carries is only the
//!   glyphs it uses: krilla subsets the font, so a six-page duty report is 53,045 bytes
//!   (`cargo bench -p shared --bench export --features export`). Should a target turn
//!   up without a Chinese font, [`CjkFont::from_file`] / [`CjkFont::from_bytes`] take one
//!   the app brings itself.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

use crate::Error;
use crate::fonts::{CJK_FAMILIES, TEST_CHAR};

/// A font with Chinese characters: the file's bytes (shared, cheap to clone) and which
/// face of it to use. See the module's notes for how one is found.
#[derive(Clone)]
pub struct CjkFont {
    data: Arc<Vec<u8>>,
    index: u32,
    family: String,
    pub(super) font: krilla::text::Font,
}

impl fmt::Debug for CjkFont {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CjkFont")
            .field("family", &self.family)
            .field("index", &self.index)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// Known font files and the family to take from each, preferred first.
const KNOWN_FILES: &[(&str, &str)] = &[
    // Debian and Ubuntu (fonts-noto-cjk), Fedora, Arch; the single-face files too.
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "Noto Sans CJK SC",
    ),
    (
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "Noto Sans CJK SC",
    ),
    (
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "Noto Sans CJK SC",
    ),
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
        "Noto Sans CJK SC",
    ),
    (
        "/usr/share/fonts/noto-cjk/NotoSansCJKsc-Regular.otf",
        "Noto Sans CJK SC",
    ),
    // Android 7 and later.
    ("/system/fonts/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    (
        "/usr/share/fonts/adobe-source-han-sans/SourceHanSans-Regular.ttc",
        "Source Han Sans SC",
    ),
    (
        "/usr/share/fonts/adobe-source-han-sans/SourceHanSansCN-Regular.otf",
        "Source Han Sans CN",
    ),
    (
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "WenQuanYi Micro Hei",
    ),
    (
        "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
        "WenQuanYi Micro Hei",
    ),
    (
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        "Droid Sans Fallback",
    ),
    // Android before 7.
    ("/system/fonts/DroidSansFallback.ttf", "Droid Sans Fallback"),
    // macOS; iOS (newer, then older folder).
    ("/System/Library/Fonts/PingFang.ttc", "PingFang SC"),
    ("/System/Library/Fonts/Core/PingFang.ttc", "PingFang SC"),
    (
        "/System/Library/Fonts/LanguageSupport/PingFang.ttc",
        "PingFang SC",
    ),
    (
        "/System/Library/Fonts/Hiragino Sans GB.ttc",
        "Hiragino Sans GB",
    ),
    ("C:\\Windows\\Fonts\\msyh.ttc", "Microsoft YaHei"),
];

impl CjkFont {
    /// The system's Chinese font (see the module's notes for the order). Reads the whole
    /// font file into memory (19 MB for Noto's collection, ~15 ms): keep the result while
    /// reports are being made, drop it after.
    pub fn find() -> Result<CjkFont, Error> {
        for (path, family) in KNOWN_FILES {
            let path = Path::new(path);
            if !path.is_file() {
                continue;
            }
            let Ok(data) = std::fs::read(path) else {
                continue;
            };
            if let Some(index) = face_of_family(&data, family)
                && let Ok(font) = CjkFont::from_bytes(data, index)
            {
                return Ok(font);
            }
        }
        scan_system_fonts().ok_or(Error::NoCjkFont)
    }

    /// The font in the file at `path`; `index` picks the face in a collection (`.ttc`),
    /// 0 for a single font.
    pub fn from_file(path: impl AsRef<Path>, index: u32) -> Result<CjkFont, Error> {
        CjkFont::from_bytes(std::fs::read(path)?, index)
    }

    /// The font in `data` (a TrueType or OpenType font or collection); `index` picks the
    /// face. Fails when it is no font, has no such face, or has no Chinese.
    pub fn from_bytes(data: Vec<u8>, index: u32) -> Result<CjkFont, Error> {
        let data = Arc::new(data);
        let face = FontRef::from_index(&data, index)
            .map_err(|e| Error::Export(format!("not a font with a face {index}: {e}")))?;
        let family = [StringId::TYPOGRAPHIC_FAMILY_NAME, StringId::FAMILY_NAME]
            .into_iter()
            .find_map(|id| face.localized_strings(id).english_or_first())
            .map_or_else(|| "unnamed font".to_owned(), |s| s.chars().collect());
        if face.charmap().map(TEST_CHAR).is_none() {
            return Err(Error::Export(format!(
                "the font {family} has no Chinese characters"
            )));
        }
        let font = krilla::text::Font::new(krilla::Data::from(data.clone()), index)
            .ok_or_else(|| Error::Export(format!("the font {family} cannot be embedded")))?;
        Ok(CjkFont {
            data,
            index,
            family,
            font,
        })
    }

    /// The font's family name, e.g. "Noto Sans CJK SC".
    pub fn family(&self) -> &str {
        &self.family
    }

    pub(super) fn face(&self) -> FontRef<'_> {
        FontRef::from_index(&self.data, self.index).expect("checked when made")
    }
}

/// The face of the font file `data` whose family is `family`, the weight nearest
/// regular where several are.
fn face_of_family(data: &[u8], family: &str) -> Option<u32> {
    let faces: Vec<(u32, FontRef<'_>)> = match FileRef::new(data).ok()? {
        FileRef::Font(face) => vec![(0, face)],
        FileRef::Collection(c) => (0..c.len())
            .filter_map(|i| c.get(i).ok().map(|f| (i, f)))
            .collect(),
    };
    faces
        .into_iter()
        .filter(|(_, face)| family_names(face).iter().any(|name| name == family))
        .min_by_key(|(_, face)| (face.attributes().weight.value() - 400.0).abs() as u32)
        .map(|(i, _)| i)
}

/// The face's family names, typographic first, in every language the font gives.
fn family_names(face: &FontRef<'_>) -> Vec<String> {
    [StringId::TYPOGRAPHIC_FAMILY_NAME, StringId::FAMILY_NAME]
        .into_iter()
        .flat_map(|id| face.localized_strings(id))
        .map(|s| s.chars().collect())
        .collect()
}

/// Looks through the system's font folders ([`font_dirs`]): the known families, then
/// any face with Chinese.
fn scan_system_fonts() -> Option<CjkFont> {
    scan_fonts(&font_dirs())
}

/// The folders where this system keeps fonts, the user's own too (on Linux, the XDG
/// data folders' `fonts`, which is where fontconfig's default configuration looks).
fn font_dirs() -> Vec<PathBuf> {
    let env = |name| std::env::var_os(name).map(PathBuf::from);
    let home = env("HOME");
    if cfg!(target_os = "windows") {
        let windows = env("WINDIR").map(|w| w.join("Fonts"));
        let user = env("LOCALAPPDATA").map(|l| l.join("Microsoft").join("Windows").join("Fonts"));
        return windows.into_iter().chain(user).collect();
    }
    if cfg!(target_os = "android") {
        return vec![PathBuf::from("/system/fonts")];
    }
    if cfg!(any(target_os = "macos", target_os = "ios")) {
        let mut dirs: Vec<PathBuf> = ["/System/Library/Fonts", "/Library/Fonts"]
            .map(PathBuf::from)
            .into();
        dirs.extend(home.map(|h| h.join("Library").join("Fonts")));
        return dirs;
    }
    let data_home = env("XDG_DATA_HOME").or_else(|| home.as_ref().map(|h| h.join(".local/share")));
    let data_dirs = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".to_owned());
    data_home
        .into_iter()
        .chain(
            data_dirs
                .split(':')
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
        )
        .map(|d| d.join("fonts"))
        .chain(home.map(|h| h.join(".fonts")))
        .collect()
}

/// The font files under `dirs` (and their folders, a few levels down).
fn font_files(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo: Vec<(PathBuf, u8)> = dirs.iter().map(|d| (d.clone(), 0)).collect();
    while let Some((dir, depth)) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if depth < 6 {
                    todo.push((path, depth + 1));
                }
            } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                ["ttf", "otf", "ttc", "otc"].contains(&e.to_ascii_lowercase().as_str())
            }) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The best face with Chinese in the font files under `dirs`: the first of
/// [`CJK_FAMILIES`] found, at the weight nearest regular, else the first face with
/// Chinese. Each file is read whole, one at a time, and kept only while it holds the
/// best face so far.
fn scan_fonts(dirs: &[PathBuf]) -> Option<CjkFont> {
    // ((rank in CJK_FAMILIES or its length, distance from the regular weight), data, face)
    let mut best: Option<((usize, u32), Vec<u8>, u32)> = None;
    for path in font_files(dirs) {
        let Ok(data) = std::fs::read(&path) else {
            continue;
        };
        let faces: Vec<(u32, FontRef<'_>)> = match FileRef::new(&data) {
            Ok(FileRef::Font(face)) => vec![(0, face)],
            Ok(FileRef::Collection(c)) => (0..c.len())
                .filter_map(|i| c.get(i).ok().map(|f| (i, f)))
                .collect(),
            Err(_) => continue,
        };
        let found = faces
            .iter()
            .filter(|(_, face)| face.charmap().map(TEST_CHAR).is_some())
            .map(|(i, face)| {
                let names = family_names(face);
                let rank = CJK_FAMILIES
                    .iter()
                    .position(|f| names.iter().any(|n| n == f))
                    .unwrap_or(CJK_FAMILIES.len());
                let off_regular = (face.attributes().weight.value() - 400.0).abs() as u32;
                ((rank, off_regular), *i)
            })
            .min_by_key(|(key, _)| *key);
        drop(faces);
        if let Some((key, index)) = found
            && best.as_ref().is_none_or(|(b, ..)| key < *b)
        {
            best = Some((key, data, index));
            if key == (0, 0) {
                break;
            }
        }
    }
    let (_, data, index) = best?;
    CjkFont::from_bytes(data, index).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Font folders as a system has them (fonts-noto-cjk is installed wherever the tests
    /// run): the scan takes the preferred family's Simplified Chinese face at the regular
    /// weight, over the bold and serif collections beside it and over a Latin font.
    #[test]
    fn the_font_folders_give_the_preferred_chinese_face() {
        let noto = Path::new("/usr/share/fonts/opentype/noto");
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("opentype").join("noto");
        std::fs::create_dir_all(&nested).unwrap();
        for file in [
            "NotoSerifCJK-Regular.ttc",
            "NotoSansCJK-Bold.ttc",
            "NotoSansCJK-Regular.ttc",
        ] {
            std::os::unix::fs::symlink(noto.join(file), nested.join(file)).unwrap();
        }
        let latin = dir.path().join("latin");
        std::fs::create_dir(&latin).unwrap();
        std::os::unix::fs::symlink(
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            latin.join("DejaVuSans.ttf"),
        )
        .unwrap();
        let font = scan_fonts(&[dir.path().to_path_buf()]).expect("a Chinese face");
        assert_eq!(font.family(), "Noto Sans CJK SC");
        assert_eq!(font.face().attributes().weight.value(), 400.0);

        // Only the serif: the last of the families, still found.
        let serif = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(
            noto.join("NotoSerifCJK-Regular.ttc"),
            serif.path().join("serif.ttc"),
        )
        .unwrap();
        let font = scan_fonts(&[serif.path().to_path_buf()]).expect("the serif");
        assert_eq!(font.family(), "Noto Serif CJK SC");

        // No Chinese anywhere, or no folder at all: none.
        assert!(scan_fonts(&[latin]).is_none());
        assert!(scan_fonts(&[dir.path().join("missing")]).is_none());
    }
}
