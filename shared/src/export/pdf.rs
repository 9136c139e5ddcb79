//! Reports as PDF (a deputy's yearly duty report, 年度履职报告): A4 pages laid out here
//! and written by krilla, the text real text in a subsetted font.
//!
//! The font is the system's, found by [`CjkFont::find`] (`cjk_font.rs`).
//!
//! # Layout
//!
//! A4 portrait, 2.5 cm margins. Page one opens with the title and subtitle; then each
//! section's heading (kept with the lines after it) and paragraphs, first lines indented
//! two characters, lines filled to the right edge. Lines break between any two Chinese
//! characters and at spaces, never inside a run of Latin letters or digits ("4,655"),
//! and by the basic rules (禁则): no line starts with closing punctuation (，。、；：？！
//! ）」》” …) and none ends with opening punctuation (（「《“ …); a dash (——) or
//! ellipsis (……) is never split. Widths are the font's glyph advances (a space is set
//! half a character wide). A paragraph leaves no single line alone at the foot or head
//! of a page. Title and headings are bold by outlining the regular face (one font file
//! is enough). Every page has a footer with the station's name and 「第 N 页 共 M 页」. A character the font lacks (an
//! emoji, say) is drawn as the font's empty box and is missing from the text layer: the
//! report is still made, and the box shows where to look.

use std::collections::HashMap;
use std::ops::Range;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use super::cjk_font::CjkFont;
use super::table::is_wide;
use crate::Error;

/// A report: a title page head, then sections of paragraphs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportPdf {
    /// Also the PDF's document title.
    pub title: String,
    /// Under the title, e.g. the deputy, the station and the year.
    pub subtitle: String,
    /// In every page's footer.
    pub station: String,
    /// The page number in the footer, with `{n}` and `{count}` (e.g. 「第 {n} 页 共
    /// {count} 页」, from the locale file); `{n} / {count}` when empty.
    pub page_label: String,
    pub sections: Vec<Section>,
}

/// A part of a report. A line break in a paragraph starts a new paragraph.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    pub heading: Option<String>,
    pub paragraphs: Vec<String>,
}

// Page geometry, in points (1/72 in).
const PAGE_W: f32 = 595.276;
const PAGE_H: f32 = 841.89;
/// 2.5 cm.
const MARGIN: f32 = 70.866;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;
const BODY_TOP: f32 = MARGIN;
const BODY_BOTTOM: f32 = PAGE_H - MARGIN;
/// The footer's rule and its text's baseline, in the bottom margin.
const FOOTER_RULE: f32 = BODY_BOTTOM + 12.0;
const FOOTER_BASELINE: f32 = BODY_BOTTOM + 28.0;

/// Where the baseline sits in a character's square (CJK fonts share this em box).
const ASCENT: f32 = 0.88;

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Title,
    Subtitle,
    Heading,
    Body,
    Footer,
}

impl Style {
    /// Font size and line height.
    fn size(self) -> (f32, f32) {
        match self {
            Style::Title => (22.0, 34.0),
            Style::Subtitle => (12.0, 20.0),
            Style::Heading => (14.0, 24.0),
            Style::Body => (12.0, 21.0),
            Style::Footer => (9.0, 12.0),
        }
    }

    fn bold(self) -> bool {
        matches!(self, Style::Title | Style::Heading)
    }

    fn grey(self) -> u8 {
        match self {
            Style::Subtitle => 0x55,
            Style::Footer => 0x66,
            _ => 0x1A,
        }
    }
}

/// One character with its glyph: id and advance in em.
#[derive(Clone, Copy)]
struct Item {
    c: char,
    glyph: u32,
    advance: f32,
}

/// Maps characters to glyphs and advances, remembering what it looked up.
struct Shaper<'a> {
    charmap: skrifa::charmap::Charmap<'a>,
    metrics: skrifa::metrics::GlyphMetrics<'a>,
    cache: HashMap<char, (u32, f32)>,
}

impl<'a> Shaper<'a> {
    fn new(face: FontRef<'a>) -> Shaper<'a> {
        let metrics = face.glyph_metrics(Size::new(1.0), LocationRef::default());
        Shaper {
            charmap: face.charmap(),
            metrics,
            cache: HashMap::new(),
        }
    }

    /// The characters of `text` to draw: control characters and invisible joiners and
    /// selectors are left out, a tab is a space. Characters without a glyph get the
    /// font's .notdef (glyph 0): an empty box on paper, and nothing in the text layer.
    fn items(&mut self, text: &str) -> Vec<Item> {
        text.chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .filter(|&c| {
                !c.is_control()
                    && !matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}' | '\u{FE00}'..='\u{FE0F}')
            })
            .map(|c| {
                let (glyph, advance) = *self.cache.entry(c).or_insert_with(|| {
                    let id = self.charmap.map(c).unwrap_or_default();
                    let advance = self.metrics.advance_width(id).unwrap_or(1.0);
                    // A space is half a character, as in the half-width forms Chinese
                    // documents are typed in (CJK fonts' own is under a quarter, which
                    // reads as no space at all beside Chinese, to eyes and to pdftotext).
                    let advance = if c == ' ' { advance.max(0.5) } else { advance };
                    (id.to_u32(), advance)
                });
                Item { c, glyph, advance }
            })
            .collect()
    }
}

/// No line starts with these (行首禁则): closing and pausing punctuation.
const NO_START: &str = "，。、；：？！）」』》〉】〕〗〙〛｝］”’·・～％‰℃,.;:?!)]}%";
/// No line ends with these (行尾禁则): opening punctuation.
const NO_END: &str = "（「『《〈【〔〖〘〚｛［“‘([{";

/// Set like Chinese: a line may break before or after it.
fn chinese_like(c: char) -> bool {
    is_wide(c) || matches!(c, '“' | '”' | '‘' | '’' | '…' | '—' | '·')
}

/// Whether a line may end between `prev` and `next`.
fn may_break(prev: char, next: char) -> bool {
    if NO_START.contains(next) || NO_END.contains(prev) {
        return false;
    }
    // —— and …… are one mark each, two characters wide.
    if prev == next && matches!(prev, '—' | '…') {
        return false;
    }
    if prev.is_whitespace() {
        return true;
    }
    // Spaces stay at the end of the line, where they are dropped.
    if next.is_whitespace() {
        return false;
    }
    // Between Chinese characters, or a Chinese character and a word; never inside a word
    // or number.
    chinese_like(prev) || chinese_like(next)
}

/// Lines of `items` (ranges into it, spaces at either end left out): greedy, each as
/// full as the rules let it be. The first line is `first` wide, the others `rest` (in
/// points at font size `size`).
fn wrap(items: &[Item], size: f32, first: f32, rest: f32) -> Vec<Range<usize>> {
    let skip_spaces = |mut i: usize| {
        while i < items.len() && items[i].c.is_whitespace() {
            i += 1;
        }
        i
    };
    let mut lines = Vec::new();
    let mut start = skip_spaces(0);
    while start < items.len() {
        let avail = if lines.is_empty() { first } else { rest };
        let mut width = 0.0;
        let mut last_break = None;
        let mut end = items.len();
        for i in start..items.len() {
            if i > start && may_break(items[i - 1].c, items[i].c) {
                last_break = Some(i);
            }
            let w = items[i].advance * size;
            if i > start && !items[i].c.is_whitespace() && width + w > avail + 0.01 {
                // Back to the last place a line may end; with none (a word wider than
                // the line), here.
                end = last_break.unwrap_or(i);
                break;
            }
            width += w;
        }
        let mut trimmed = end;
        while trimmed > start && items[trimmed - 1].c.is_whitespace() {
            trimmed -= 1;
        }
        lines.push(start..trimmed);
        start = skip_spaces(end);
    }
    lines
}

/// A line set and ready to draw: its text, glyphs (advances in em, justification
/// included) and where it starts.
struct Line {
    style: Style,
    x: f32,
    text: String,
    glyphs: Vec<KrillaGlyph>,
}

impl Line {
    /// `items` from `x`; when `justify_to` is given, the space left up to that width is
    /// shared among the places the line could break (if that is no more than half a
    /// character each).
    fn new(style: Style, x: f32, items: &[Item], justify_to: Option<f32>) -> Line {
        let (size, _) = style.size();
        let natural: f32 = items.iter().map(|it| it.advance).sum::<f32>() * size;
        let gaps = (1..items.len())
            .filter(|&i| may_break(items[i - 1].c, items[i].c))
            .count();
        let extra = match justify_to {
            Some(width) if gaps > 0 && width > natural => {
                let each = (width - natural) / gaps as f32 / size;
                if each <= 0.5 { each } else { 0.0 }
            }
            _ => 0.0,
        };
        let mut text = String::new();
        let mut glyphs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let start = text.len();
            text.push(item.c);
            let gap = items
                .get(i + 1)
                .is_some_and(|next| may_break(item.c, next.c));
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(item.glyph),
                item.advance + if gap { extra } else { 0.0 },
                0.0,
                0.0,
                0.0,
                start..text.len(),
                None,
            ));
        }
        Line {
            style,
            x,
            text,
            glyphs,
        }
    }

    fn width(&self) -> f32 {
        self.glyphs.iter().map(|g| g.x_advance).sum::<f32>() * self.style.size().0
    }
}

/// Lines that stay in order on pages, with space above them unless at a page's top.
struct Block {
    lines: Vec<Line>,
    space_before: f32,
    /// Headings: moved to the next page unless two lines of what follows fit below.
    keep_with_next: bool,
}

fn centered(shaper: &mut Shaper<'_>, style: Style, text: &str) -> Vec<Line> {
    let (size, _) = style.size();
    let items = shaper.items(text);
    wrap(&items, size, TEXT_W, TEXT_W)
        .into_iter()
        .map(|range| {
            let mut line = Line::new(style, 0.0, &items[range], None);
            line.x = MARGIN + (TEXT_W - line.width()) / 2.0;
            line
        })
        .collect()
}

fn heading(shaper: &mut Shaper<'_>, text: &str) -> Vec<Line> {
    let (size, _) = Style::Heading.size();
    let items = shaper.items(text);
    wrap(&items, size, TEXT_W, TEXT_W)
        .into_iter()
        .map(|range| Line::new(Style::Heading, MARGIN, &items[range], None))
        .collect()
}

/// A paragraph: first line indented two characters, every line but the last
/// justified.
fn paragraph(shaper: &mut Shaper<'_>, text: &str) -> Vec<Line> {
    let (size, _) = Style::Body.size();
    let indent = 2.0 * size;
    // An indent typed into the text (spaces, full-width spaces) would be a second one.
    let items = shaper.items(text.trim_start());
    let ranges = wrap(&items, size, TEXT_W - indent, TEXT_W);
    let count = ranges.len();
    ranges
        .into_iter()
        .enumerate()
        .map(|(i, range)| {
            let (x, width) = if i == 0 {
                (MARGIN + indent, TEXT_W - indent)
            } else {
                (MARGIN, TEXT_W)
            };
            let justify = (i + 1 < count).then_some(width);
            Line::new(Style::Body, x, &items[range], justify)
        })
        .collect()
}

fn blocks(report: &ReportPdf, shaper: &mut Shaper<'_>) -> Vec<Block> {
    let mut blocks = vec![Block {
        lines: centered(shaper, Style::Title, &report.title),
        space_before: 0.0,
        keep_with_next: true,
    }];
    if !report.subtitle.trim().is_empty() {
        blocks.push(Block {
            lines: centered(shaper, Style::Subtitle, &report.subtitle),
            space_before: 4.0,
            keep_with_next: true,
        });
    }
    let mut first = true;
    for section in &report.sections {
        if let Some(text) = section.heading.as_deref().filter(|h| !h.trim().is_empty()) {
            blocks.push(Block {
                lines: heading(shaper, text),
                space_before: if first { 24.0 } else { 14.0 },
                keep_with_next: true,
            });
        } else if first {
            blocks.push(Block {
                lines: Vec::new(),
                space_before: 24.0,
                keep_with_next: false,
            });
        }
        first = false;
        for text in section.paragraphs.iter().flat_map(|p| p.lines()) {
            let lines = paragraph(shaper, text);
            if !lines.is_empty() {
                blocks.push(Block {
                    lines,
                    space_before: 2.0,
                    keep_with_next: false,
                });
            }
        }
    }
    blocks
}

/// A line placed on a page: the top of its line box.
struct Placed {
    line: Line,
    top: f32,
}

/// Flows the blocks onto pages. A paragraph leaves no single line at the foot of a page
/// nor at the head of the next (orphans and widows): such a line takes one more with it.
fn paginate(blocks: Vec<Block>) -> Vec<Vec<Placed>> {
    let height = |lines: &[Line]| lines.iter().map(|l| l.style.size().1).sum::<f32>();
    let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
    let mut y = BODY_TOP;
    let mut blocks = blocks.into_iter().peekable();
    while let Some(block) = blocks.next() {
        if y > BODY_TOP {
            y += block.space_before;
        }
        if block.keep_with_next && y > BODY_TOP {
            let next: f32 = blocks
                .peek()
                .map(|b| b.space_before + height(&b.lines[..b.lines.len().min(2)]))
                .unwrap_or(0.0);
            if y + height(&block.lines) + next > BODY_BOTTOM {
                pages.push(Vec::new());
                y = BODY_TOP;
            }
        }
        let mut lines = block.lines;
        while !lines.is_empty() {
            // How many of the lines fit here.
            let mut fit = 0;
            let mut bottom = y;
            for line in &lines {
                bottom += line.style.size().1;
                if bottom > BODY_BOTTOM {
                    break;
                }
                fit += 1;
            }
            let mut take = fit;
            if take < lines.len() && !block.keep_with_next {
                if lines.len() - take == 1 && take >= 2 {
                    take -= 1;
                }
                if take == 1 && lines.len() >= 2 {
                    take = 0;
                }
            }
            if take == 0 && y == BODY_TOP {
                // Not even one line fits on an empty page: place it anyway.
                take = 1;
            }
            for line in lines.drain(..take) {
                let h = line.style.size().1;
                pages
                    .last_mut()
                    .expect("one page at least")
                    .push(Placed { line, top: y });
                y += h;
            }
            if !lines.is_empty() {
                pages.push(Vec::new());
                y = BODY_TOP;
            }
        }
    }
    pages
}

/// The footer of page `n` of `count`: the station at the left, the page at the right.
fn footer(shaper: &mut Shaper<'_>, report: &ReportPdf, n: usize, count: usize) -> Vec<Line> {
    let label = match report.page_label.trim() {
        "" => "{n} / {count}",
        label => label,
    };
    let label = label
        .replace("{n}", &n.to_string())
        .replace("{count}", &count.to_string());
    let page = Line::new(Style::Footer, 0.0, &shaper.items(&label), None);
    let station = &report.station;
    let mut page = page;
    page.x = MARGIN + TEXT_W - page.width();
    let room = TEXT_W - page.width() - 2.0 * Style::Footer.size().0;
    let mut items = shaper.items(station.trim());
    let (size, _) = Style::Footer.size();
    if items.iter().map(|i| i.advance).sum::<f32>() * size > room {
        let ellipsis = shaper.items("…");
        let mut width = ellipsis[0].advance * size;
        let keep = items
            .iter()
            .take_while(|i| {
                width += i.advance * size;
                width <= room
            })
            .count();
        items.truncate(keep);
        items.extend(ellipsis);
    }
    vec![Line::new(Style::Footer, MARGIN, &items, None), page]
}

fn draw_line(surface: &mut Surface<'_>, font: &krilla::text::Font, line: &Line, top: f32) {
    let (size, height) = line.style.size();
    let grey = line.style.grey();
    let color = rgb::Color::new(grey, grey, grey);
    surface.set_fill(Some(Fill {
        paint: color.into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }));
    // Bold drawn by outlining the regular glyphs as well as filling them.
    surface.set_stroke(line.style.bold().then(|| Stroke {
        paint: color.into(),
        width: size * 0.035,
        ..Default::default()
    }));
    let baseline = top + (height - size) / 2.0 + ASCENT * size;
    surface.draw_glyphs(
        Point::from_xy(line.x, baseline),
        &line.glyphs,
        font.clone(),
        &line.text,
        size,
        false,
    );
}

/// The report as a PDF in `font`. Fails only if krilla cannot write it.
pub fn report_pdf(report: &ReportPdf, font: &CjkFont) -> Result<Vec<u8>, Error> {
    let mut shaper = Shaper::new(font.face());
    let pages = paginate(blocks(report, &mut shaper));
    let count = pages.len();

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(report.title.clone())
            .language("zh-CN".to_owned())
            .creator("Jiazhan".to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a size");
    let rule = {
        let mut path = PathBuilder::new();
        path.move_to(MARGIN, FOOTER_RULE);
        path.line_to(MARGIN + TEXT_W, FOOTER_RULE);
        path.finish().expect("a line is a path")
    };
    for (i, placed) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for p in placed {
            draw_line(&mut surface, &font.font, &p.line, p.top);
        }
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(0xAA, 0xAA, 0xAA).into(),
            width: 0.5,
            ..Default::default()
        }));
        surface.draw_path(&rule);
        let (size, height) = Style::Footer.size();
        let top = FOOTER_BASELINE - ASCENT * size - (height - size) / 2.0;
        for line in footer(&mut shaper, report, i + 1, count) {
            draw_line(&mut surface, &font.font, &line, top);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| Error::Export(format!("PDF: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_items(text: &str) -> Vec<Item> {
        text.chars()
            .map(|c| Item {
                c,
                glyph: 1,
                advance: if chinese_like(c) { 1.0 } else { 0.5 },
            })
            .collect()
    }

    fn lines(text: &str, chars_per_line: f32) -> Vec<String> {
        let items = fake_items(text);
        wrap(&items, 10.0, chars_per_line * 10.0, chars_per_line * 10.0)
            .into_iter()
            .map(|r| items[r].iter().map(|i| i.c).collect())
            .collect()
    }

    #[test]
    fn chinese_breaks_anywhere_but_before_closing_or_after_opening_punctuation() {
        assert_eq!(lines("代表进站见选民", 3.0), ["代表进", "站见选", "民"]);
        // "，" may not start a line: "站" goes down with it.
        assert_eq!(lines("代表进站，见选民", 4.0), ["代表进", "站，见选", "民"]);
        // "「" may not end a line.
        assert_eq!(lines("代表进「站」", 4.0), ["代表进", "「站」"]);
        // "——" is not split.
        assert_eq!(lines("代表进——站", 4.0), ["代表进", "——站"]);
    }

    #[test]
    fn words_and_numbers_are_not_split() {
        // 4,655 is 2.5 em wide.
        assert_eq!(lines("接待选民4,655人次", 6.0), ["接待选民", "4,655人次"]);
        assert_eq!(lines("see the voters", 3.0), ["see", "the", "voters"]);
        // Wider than a line: cut where it must be.
        assert_eq!(lines("abcdefghij", 3.0), ["abcdef", "ghij"]);
    }

    fn body(lines: usize) -> Block {
        Block {
            lines: (0..lines)
                .map(|_| Line::new(Style::Body, 0.0, &fake_items("代"), None))
                .collect(),
            space_before: 0.0,
            keep_with_next: false,
        }
    }

    #[test]
    fn no_paragraph_leaves_a_single_line_alone_on_a_page() {
        let per_page = ((BODY_BOTTOM - BODY_TOP) / Style::Body.size().1) as usize;
        assert_eq!(per_page, 33);
        let counts = |blocks| -> Vec<usize> { paginate(blocks).iter().map(Vec::len).collect() };
        assert_eq!(counts(vec![body(per_page)]), [per_page]);
        // One line over: two go to the next page, not one.
        assert_eq!(counts(vec![body(per_page + 1)]), [per_page - 1, 2]);
        // A paragraph with room for one line left moves to the next page whole.
        assert_eq!(counts(vec![body(per_page - 1), body(3)]), [per_page - 1, 3]);
        // Two lines fit: they stay, the rest (two or more) go on.
        assert_eq!(counts(vec![body(per_page - 2), body(4)]), [per_page, 2]);
        // A heading moves with the start of its paragraph.
        let heading = Block {
            lines: vec![Line::new(Style::Heading, 0.0, &fake_items("一"), None)],
            space_before: 0.0,
            keep_with_next: true,
        };
        assert_eq!(
            counts(vec![body(per_page - 2), heading, body(4)]),
            [per_page - 2, 5]
        );
    }

    #[test]
    fn justified_lines_fill_the_width_and_last_lines_do_not() {
        let items = fake_items("代表，见选民");
        let line = Line::new(Style::Body, 0.0, &items, Some(7.0 * 12.0));
        assert!((line.width() - 84.0).abs() < 0.01, "{}", line.width());
        let line = Line::new(Style::Body, 0.0, &items, None);
        assert!((line.width() - 72.0).abs() < 0.01);
        // No more than half a character per gap: a line with one gap stays as it is.
        let items = fake_items("代表");
        let line = Line::new(Style::Body, 0.0, &items, Some(10.0 * 12.0));
        assert!((line.width() - 24.0).abs() < 0.01);
    }
}
