//! A printable A4 poster for a station: its name, its subdistrict, a large QR code of the
//! station's URL, one line of instructions and the URL in small print (to type it).
//!
//! The poster is laid out by hand as an SVG (units are millimetres), parsed once by usvg
//! with the system fonts, then rendered to PNG (resvg, 150 dpi) and to PDF (svg2pdf, text
//! embedded as real text in subsetted fonts, so it prints sharply and can be searched).
//! Chinese needs a CJK font on the server (Debian: `fonts-noto-cjk`); without one, or when
//! a character has no glyph in any installed font, [`poster`] fails instead of printing
//! boxes ("tofu").
//!
//! Drawing is CPU-bound (~70 ms in a release build, ~0.8 s in a debug one; the first
//! poster also loads the list of system fonts): call it from `spawn_blocking`.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};
use shared::fonts::{CJK_FAMILIES, TEST_CHAR};

/// The words on a poster; they may come from data and are escaped here.
#[derive(Clone, Debug)]
pub struct PosterText {
    pub station_name: String,
    pub subdistrict_name: String,
    pub instructions: String,
}

/// One poster in three forms: the SVG it was drawn from, a PNG and a one-page PDF.
#[derive(Clone, Debug)]
pub struct Poster {
    pub svg: String,
    pub png: Vec<u8>,
    pub pdf: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum PosterError {
    #[error(
        "no Chinese font is installed: install one with Simplified Chinese \
         (Debian: apt-get install fonts-noto-cjk)"
    )]
    NoCjkFont,
    #[error("no installed font has these characters: {0}")]
    MissingGlyphs(String),
    #[error("the poster needs a URL")]
    EmptyUrl,
    #[error("QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    #[error("poster SVG: {0}")]
    Svg(#[from] usvg::Error),
    #[error("PNG: {0}")]
    Png(String),
    #[error("PDF: {0}")]
    Pdf(String),
}

/// Page size (A4 portrait) and the margin text keeps from its sides, in mm.
const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const TEXT_W: f32 = PAGE_W - 2.0 * 15.0;
/// The QR code's square, quiet zone included, and where it starts: it is sized for the
/// code to be read from a few metres away.
const QR_SIZE: f32 = 160.0;
const QR_TOP: f32 = 82.0;
/// The PNG's resolution. usvg reads millimetres at 96 px per inch.
const PNG_DPI: f32 = 150.0;
const SVG_DPI: f32 = 96.0;

/// The system fonts, and the CJK family found among them.
struct Fonts {
    db: Arc<fontdb::Database>,
    cjk_family: Option<String>,
}

/// Loads the system fonts once per process: scanning them takes a while, and the font
/// files themselves are memory-mapped, not read, so keeping the database costs little.
fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        let cjk_family = cjk_family(&db);
        if let Some(family) = &cjk_family {
            // usvg falls back to these generic families; make them the CJK font too.
            db.set_sans_serif_family(family.clone());
            db.set_serif_family(family.clone());
        }
        tracing::debug!(faces = db.len(), ?cjk_family, "poster fonts loaded");
        Fonts {
            db: Arc::new(db),
            cjk_family,
        }
    })
}

/// The first known Chinese family installed ([`CJK_FAMILIES`]), else any family that
/// has Chinese ([`TEST_CHAR`]).
fn cjk_family(db: &fontdb::Database) -> Option<String> {
    let has_chinese = |id| {
        db.with_face_data(id, |data, index| {
            ttf_parser::Face::parse(data, index).is_ok_and(|f| f.glyph_index(TEST_CHAR).is_some())
        }) == Some(true)
    };
    let known = CJK_FAMILIES.iter().find(|name| {
        let query = fontdb::Query {
            families: &[fontdb::Family::Name(name)],
            ..Default::default()
        };
        db.query(&query).is_some_and(has_chinese)
    });
    if let Some(name) = known {
        return Some(name.to_string());
    }
    db.faces()
        .find(|face| has_chinese(face.id))
        .and_then(|face| face.families.first())
        .map(|(name, _)| name.clone())
}

/// Draws the poster for a station whose page is at `url`.
pub fn poster(text: &PosterText, url: &str) -> Result<Poster, PosterError> {
    if url.trim().is_empty() {
        return Err(PosterError::EmptyUrl);
    }
    let fonts = fonts();
    let family = fonts.cjk_family.as_ref().ok_or(PosterError::NoCjkFont)?;
    let svg = poster_svg(text, url, family)?;

    let options = usvg::Options {
        fontdb: fonts.db.clone(),
        font_family: family.clone(),
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(&svg, &options)?;
    check_glyphs(tree.root())?;

    // PNG: white background (PNG viewers show transparency as they like), at 150 dpi.
    let scale = PNG_DPI / SVG_DPI;
    let (width, height) = (tree.size().width() * scale, tree.size().height() * scale);
    let mut pixmap = tiny_skia::Pixmap::new(width.round() as u32, height.round() as u32)
        .ok_or_else(|| PosterError::Png("page size out of range".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap
        .encode_png()
        .map_err(|e| PosterError::Png(e.to_string()))?;

    // PDF: the page is the SVG's size in mm when read at usvg's 96 px per inch.
    let page = svg2pdf::PageOptions { dpi: SVG_DPI };
    let pdf = svg2pdf::to_pdf(&tree, svg2pdf::ConversionOptions::default(), page)
        .map_err(|e| PosterError::Pdf(e.to_string()))?;

    Ok(Poster { svg, png, pdf })
}

/// Fails if usvg laid out any glyph as .notdef (id 0): no font had that character, and
/// it would print as an empty box.
fn check_glyphs(group: &usvg::Group) -> Result<(), PosterError> {
    let mut missing = String::new();
    for node in group.children() {
        match node {
            usvg::Node::Group(group) => check_glyphs(group)?,
            usvg::Node::Text(text) => {
                let glyphs = text.layouted().iter().flat_map(|s| &s.positioned_glyphs);
                for glyph in glyphs.filter(|g| g.id.0 == 0) {
                    missing.push_str(&glyph.text);
                }
            }
            _ => {}
        }
    }
    match missing.is_empty() {
        true => Ok(()),
        false => Err(PosterError::MissingGlyphs(missing)),
    }
}

/// The poster as SVG, in millimetres.
fn poster_svg(text: &PosterText, url: &str, family: &str) -> Result<String, PosterError> {
    let family = escape(&family.replace(['\'', '"'], ""));
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}mm" height="{PAGE_H}mm" viewBox="0 0 {PAGE_W} {PAGE_H}" font-family="'{family}', sans-serif" fill="#1a1a1a" text-anchor="middle">
<rect width="{PAGE_W}" height="{PAGE_H}" fill="#fff"/>
"##
    );

    // The header (station name, one or two lines, then the subdistrict) is centred
    // vertically in the space above the QR code. CJK glyphs sit ~0.88 em above the
    // baseline.
    let (lines, name_size) = wrap_title(text.station_name.trim(), 18.0);
    let sub_size = fit(text.subdistrict_name.trim(), 9.0);
    let gap = 5.0;
    let header_h = lines.len() as f32 * name_size * 1.25 - 0.25 * name_size + gap + sub_size;
    let mut y = 12.0 + (QR_TOP - 14.0 - header_h) / 2.0;
    for line in &lines {
        text_line(&mut svg, y + 0.88 * name_size, name_size, "700", line);
        y += 1.25 * name_size;
    }
    let y = y + gap - 0.25 * name_size + 0.88 * sub_size;
    text_line(&mut svg, y, sub_size, "400", &text.subdistrict_name);

    svg.push_str(&qr_path(url)?);

    let size = fit(text.instructions.trim(), 8.0);
    let y = QR_TOP + QR_SIZE + 6.0 + 0.88 * size;
    text_line(&mut svg, y, size, "400", &text.instructions);
    let size = fit(url, 4.5);
    text_line(&mut svg, PAGE_H - 15.0, size, "400", url);

    svg.push_str("</svg>\n");
    Ok(svg)
}

/// One centred line of text with its baseline at `y`.
fn text_line(svg: &mut String, y: f32, size: f32, weight: &str, text: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{y:.2}" font-size="{size:.2}" font-weight="{weight}">{}</text>"#,
        PAGE_W / 2.0,
        escape(text.trim())
    );
}

/// The QR code as one path of dark modules in a white square of [`QR_SIZE`] at
/// [`QR_TOP`], with the standard quiet zone of 4 modules. Level Q: a quarter of the code
/// may be dirty or torn and it still reads.
fn qr_path(url: &str) -> Result<String, PosterError> {
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::Q)?;
    let width = code.width();
    let colors = code.to_colors();
    let module = QR_SIZE / (width + 8) as f32;
    let mut d = String::new();
    // One rectangle per horizontal run of dark modules, in module units.
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == qrcode::Color::Dark {
                let run = row[x..]
                    .iter()
                    .take_while(|&&c| c == qrcode::Color::Dark)
                    .count();
                let _ = write!(d, "M{} {}h{run}v1h-{run}z", x + 4, y + 4);
                x += run;
            } else {
                x += 1;
            }
        }
    }
    let left = (PAGE_W - QR_SIZE) / 2.0;
    Ok(format!(
        r##"<rect x="{left}" y="{QR_TOP}" width="{QR_SIZE}" height="{QR_SIZE}" fill="#fff"/>
<path transform="translate({left} {QR_TOP}) scale({module})" fill="#000" shape-rendering="crispEdges" d="{d}"/>
"##
    ))
}

/// A rough width in em: CJK characters are square, Latin ones about 0.6 em (no font
/// metrics needed: sizes are chosen with room to spare).
fn em_width(text: &str) -> f32 {
    text.chars()
        .map(|c| if c as u32 >= 0x2E80 { 1.0 } else { 0.6 })
        .sum()
}

/// The font size, at most `size`, at which `text` fits on one line.
fn fit(text: &str, size: f32) -> f32 {
    size.min(TEXT_W / em_width(text).max(1.0))
}

/// The station name on one line at `size`, or else on two lines of about equal width
/// (split near the middle, at a space if there is one close), smaller if still too wide.
fn wrap_title(name: &str, size: f32) -> (Vec<String>, f32) {
    if em_width(name) * size <= TEXT_W {
        return (vec![name.to_string()], size);
    }
    // How far a break before byte `i` is from the middle; a space is a better place to
    // break, unless the lines would be very unequal.
    let total = em_width(name);
    let cost = |i: usize| {
        let bonus = if name[i..].starts_with(' ') {
            total / 5.0
        } else {
            0.0
        };
        (em_width(&name[..i]) - total / 2.0).abs() - bonus
    };
    let splits = name.char_indices().skip(1).map(|(i, _)| i);
    let at = splits
        .min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
        .unwrap_or(name.len());
    let lines = vec![name[..at].trim().to_string(), name[at..].trim().to_string()];
    let widest = lines.iter().map(|l| em_width(l)).fold(1.0, f32::max);
    (lines, size.min(TEXT_W / widest))
}

/// Escapes text for SVG content and attributes. Control characters (not allowed in XML,
/// or line breaks we do not want) become spaces.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://jzt.example.cn/s/zzy-home";

    fn text(station_name: &str) -> PosterText {
        PosterText {
            station_name: station_name.into(),
            subdistrict_name: "紫竹院街道".into(),
            instructions: "扫码给人大代表留言，并查看办理结果".into(),
        }
    }

    /// The PDF's text as pdftotext (poppler-utils) extracts it, without whitespace.
    fn pdf_text(pdf: &[u8]) -> String {
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("poster.pdf");
        std::fs::write(&path, pdf).unwrap();
        let out = std::process::Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext not found: install poppler-utils (apt-get install poppler-utils)");
        assert!(
            out.status.success(),
            "pdftotext: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        text.split_whitespace().collect()
    }

    /// The contents of the QR codes found in a PNG.
    fn qr_codes(png: &[u8]) -> Vec<String> {
        let pixmap = tiny_skia::Pixmap::decode_png(png).unwrap();
        let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
        let pixels = pixmap.pixels();
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            let p = pixels[y * w + x].demultiply();
            ((299 * p.red() as u32 + 587 * p.green() as u32 + 114 * p.blue() as u32) / 1000) as u8
        });
        let grids = image.detect_grids();
        grids.iter().map(|grid| grid.decode().unwrap().1).collect()
    }

    #[test]
    fn png_is_a4_at_150_dpi_and_its_qr_code_reads_back_the_url() {
        let poster = poster(&text("紫竹院街道代表之家"), URL).unwrap();
        let pixmap = tiny_skia::Pixmap::decode_png(&poster.png).unwrap();
        assert_eq!((pixmap.width(), pixmap.height()), (1240, 1754));
        assert_eq!(qr_codes(&poster.png), vec![URL.to_string()]);
    }

    #[test]
    fn pdf_has_the_names_and_instructions_as_text() {
        let poster = poster(&text("紫竹院街道代表之家"), URL).unwrap();
        let pdf = pdf_text(&poster.pdf);
        for expected in [
            "紫竹院街道代表之家",
            "紫竹院街道",
            "扫码给人大代表留言，并查看办理结果",
            URL,
        ] {
            assert!(
                pdf.contains(expected),
                "{expected:?} not in the PDF's text {pdf:?}"
            );
        }
    }

    #[test]
    fn markup_in_names_is_escaped() {
        let name = "站<script>&\"'";
        let poster = poster(&text(name), "https://jzt.example.cn/s/a?b=1&c=2").unwrap();
        assert!(poster.svg.contains("站&lt;script&gt;&amp;&quot;&apos;"));
        assert!(!poster.svg.contains("<script>"));
        let pdf = pdf_text(&poster.pdf);
        assert!(pdf.contains(name), "{name:?} not in the PDF's text {pdf:?}");
        assert!(
            pdf.contains("https://jzt.example.cn/s/a?b=1&c=2"),
            "{pdf:?}"
        );
    }

    #[test]
    fn long_station_names_wrap_to_two_lines() {
        let name = "海淀区紫竹院街道人大代表联络站第一代表之家";
        let poster = poster(&text(name), URL).unwrap();
        assert_eq!(poster.svg.matches(r#"font-weight="700""#).count(), 2);
        assert!(pdf_text(&poster.pdf).contains(name));
        let (lines, size) = wrap_title(name, 18.0);
        assert_eq!(lines.concat(), name);
        assert!(lines.iter().all(|l| em_width(l) * size <= TEXT_W));
    }

    #[test]
    fn characters_no_font_has_are_refused() {
        // U+0378 is unassigned: no font draws it.
        let err = poster(&text("代表之家\u{378}"), URL).unwrap_err();
        assert!(
            matches!(&err, PosterError::MissingGlyphs(c) if c == "\u{378}"),
            "{err}"
        );
    }

    #[test]
    fn without_fonts_there_is_no_cjk_family() {
        assert_eq!(cjk_family(&fontdb::Database::new()), None);
        assert!(cjk_family(&fonts().db).is_some());
    }
}
