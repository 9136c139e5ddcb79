//! The export formats read back by other programs: xlsx by calamine, CSV by the csv
//! crate, PDF by poppler's pdftotext and pdftoppm (poppler-utils, installed by
//! .ci/install.sh), as a person's spreadsheet or PDF viewer would read them.

use std::path::Path;
use std::process::Command;

use calamine::{Data, DataType, Reader, Xlsx};
use chrono::NaiveDate;
use shared::export::{Cell, CjkFont, ReportPdf, Section, Table, csv, report_pdf, xlsx};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn register() -> Table {
    let mut table = Table::new(
        "活动登记簿",
        "海淀区人大代表联络站 代表活动情况登记簿（2022 年）",
        [
            "日期",
            "活动",
            "代表人数",
            "接待选民",
            "意见建议",
            "办结率",
            "备注",
        ],
    );
    table.rows.push(vec![
        date(2022, 1, 15).into(),
        "进站见选民".into(),
        330.into(),
        4655.into(),
        78.into(),
        Cell::Percent(0.625),
        "部分采用\"云见面\"方式，线上线下结合".into(),
    ]);
    table.rows.push(vec![
        date(2022, 9, 15).into(),
        "回家站听意见".into(),
        363.into(),
        Cell::Empty,
        Cell::Number(12.5),
        Cell::Percent(1.0),
        "停车难、就医难\n文化活动空间不足".into(),
    ]);
    table.rows.push(vec![
        date(2022, 10, 20).into(),
        "征求立法意见：《北京市接诉即办条例（草案）》".into(),
    ]);
    table
}

#[test]
fn xlsx_reads_back_as_typed_cells() {
    let summary = Table {
        sheet: "统计/汇总?".into(),
        title: "统计表".into(),
        columns: vec!["街道".into(), "联络站".into()],
        rows: vec![vec!["学院路街道".into(), 5.into()]],
    };
    let empty = Table::new("空表", "没有记录的表", ["日期", "活动"]);
    let bytes = xlsx(&[register(), summary, empty]).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip file");

    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["活动登记簿", "统计_汇总_", "空表"]);

    let sheet = book.worksheet_range("活动登记簿").unwrap();
    // Title, header, three rows; the widest row decides the width.
    assert_eq!(sheet.height(), 5);
    assert_eq!(sheet.width(), 7);
    assert_eq!(
        sheet.get((0, 0)),
        Some(&Data::String(
            "海淀区人大代表联络站 代表活动情况登记簿（2022 年）".into()
        ))
    );
    let header: Vec<String> = sheet
        .rows()
        .nth(1)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        header,
        [
            "日期",
            "活动",
            "代表人数",
            "接待选民",
            "意见建议",
            "办结率",
            "备注"
        ]
    );
    // A real date, not text.
    let cell = sheet.get((2, 0)).unwrap();
    assert!(matches!(cell, Data::DateTime(_)), "{cell:?}");
    assert_eq!(cell.as_date(), Some(date(2022, 1, 15)));
    // Numbers as numbers, percents as fractions.
    assert_eq!(sheet.get((2, 3)), Some(&Data::Float(4655.0)));
    assert_eq!(sheet.get((3, 4)), Some(&Data::Float(12.5)));
    assert_eq!(sheet.get((2, 5)), Some(&Data::Float(0.625)));
    // Chinese text intact, quotes and line breaks too.
    assert_eq!(
        sheet.get((2, 6)),
        Some(&Data::String("部分采用\"云见面\"方式，线上线下结合".into()))
    );
    assert_eq!(
        sheet.get((3, 6)),
        Some(&Data::String("停车难、就医难\n文化活动空间不足".into()))
    );
    assert_eq!(sheet.get((3, 3)), Some(&Data::Empty));
    assert_eq!(
        sheet.get((4, 1)),
        Some(&Data::String(
            "征求立法意见：《北京市接诉即办条例（草案）》".into()
        ))
    );

    let summary = book.worksheet_range("统计_汇总_").unwrap();
    assert_eq!(
        summary.get((2, 0)),
        Some(&Data::String("学院路街道".into()))
    );
    assert_eq!(summary.get((2, 1)), Some(&Data::Float(5.0)));

    // A table without rows: still its title and header.
    let empty = book.worksheet_range("空表").unwrap();
    assert_eq!(empty.height(), 2);
    assert_eq!(empty.get((1, 1)), Some(&Data::String("活动".into())));

    // No tables at all is still a workbook Excel opens.
    let book = Xlsx::new(std::io::Cursor::new(xlsx(&[]).unwrap())).unwrap();
    assert_eq!(book.sheet_names().len(), 1);
}

#[test]
fn xlsx_freezes_and_filters_the_header() {
    let bytes = xlsx(&[register()]).unwrap();
    let mut zip = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    zip.retain(|c| c != '\n');
    assert!(
        zip.contains(r#"<pane ySplit="2" topLeftCell="A3""#),
        "{zip}"
    );
    assert!(zip.contains(r#"<autoFilter ref="A2:G5"/>"#), "{zip}");
    assert!(zip.contains(r#"<mergeCell ref="A1:G1"/>"#), "{zip}");
    // Printed on A4, one page wide, title and header repeated on each page.
    assert!(zip.contains(r#"paperSize="9""#), "{zip}");
    assert!(zip.contains(r#"<pageSetUpPr fitToPage="1"/>"#), "{zip}");
    let book = zip_entry(&bytes, "xl/workbook.xml");
    assert!(book.contains("_xlnm.Print_Titles"), "{book}");
}

/// One file of an xlsx (a zip), as text.
fn zip_entry(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    std::io::read_to_string(zip.by_name(name).unwrap()).unwrap()
}

#[test]
fn csv_has_a_bom_and_quotes_what_needs_quoting() {
    let bytes = csv(&register());
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with("日期,活动,代表人数"), "{text}");
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    // The quote doubled inside a quoted field.
    assert!(
        text.contains(r#""部分采用""云见面""方式，线上线下结合""#),
        "{text}"
    );

    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&bytes[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header.len(), 7);
    let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().all(|r| r.len() == 7),
        "short rows are filled out"
    );
    assert_eq!(&rows[0][0], "2022-01-15");
    assert_eq!(&rows[0][3], "4655");
    assert_eq!(&rows[0][5], "62.5%");
    assert_eq!(&rows[0][6], "部分采用\"云见面\"方式，线上线下结合");
    assert_eq!(&rows[1][3], "");
    assert_eq!(&rows[1][4], "12.5");
    assert_eq!(&rows[1][6], "停车难、就医难\n文化活动空间不足");
    assert_eq!(&rows[2][1], "征求立法意见：《北京市接诉即办条例（草案）》");
    assert_eq!(&rows[2][6], "");
}

#[test]
fn csv_text_is_never_a_formula() {
    let mut table = Table::new("t", "t", ["意见"]);
    for text in [
        "=HYPERLINK(\"http://x\")",
        "+1",
        "-2",
        "@SUM(A1)",
        "一般意见",
    ] {
        table.rows.push(vec![text.into()]);
    }
    table.rows.push(vec![Cell::Int(-3)]);
    let bytes = csv(&table);
    let mut reader = ::csv::Reader::from_reader(&bytes[3..]);
    let fields: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    assert_eq!(
        fields,
        [
            "'=HYPERLINK(\"http://x\")",
            "'+1",
            "'-2",
            "'@SUM(A1)",
            "一般意见",
            "-3"
        ]
    );
}

/// A duty report long enough for several pages.
fn duty_report(sections: usize) -> ReportPdf {
    let paragraphs = [
        "2022年1月，海淀区开展“进站见选民”活动，330名代表进站，接待选民4,655人次，部分活动采用“云见面”方式进行。代表们认真倾听群众呼声，对收集到的意见建议逐条登记、分类交办、跟踪落实。",
        "围绕小区周边停车难、老年人就医不便、缺少文化活动场所、便民商业网点和早餐点不足等问题，代表们深入社区、村庄和企业走访调研，提出了具有针对性的意见建议（共78件），其中12件转化为代表建议，5件列入民生实事项目线索。",
        "按照“月进站、季回家、年述职”的工作要求，本人全年进站11次，参加“回家站听意见”专题活动3次，参加委办局走进代表家站活动2次，参加《北京市接诉即办条例（草案）》立法意见征集，提出修改意见6条。",
        "在履职过程中，本人坚持问题有途径、反馈民意有回音。对已答复的意见建议，及时向选民反馈办理结果，群众满意率达到92.5%。对尚未解决的问题，持续跟踪督办，推动相关部门研究解决方案。",
        "下一步，本人将继续加强学习，提高履职能力；密切联系群众，做到“民有所呼、我有所应”；积极参加代表小组活动，认真履行代表职责，为海淀区经济社会发展贡献力量。",
    ];
    ReportPdf {
        title: "2022年度人大代表履职报告".into(),
        subtitle: "代表：张建国　海淀区学院路街道人大代表联络站　2022年".into(),
        station: "学院路街道人大代表联络站".into(),
        page_label: "第 {n} 页 共 {count} 页".into(),
        sections: (0..sections)
            .map(|i| Section {
                heading: Some(format!(
                    "{}、履职情况（第{}部分）",
                    "一二三四五六七八九十".chars().nth(i % 10).unwrap(),
                    i + 1
                )),
                paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            })
            .collect(),
    }
}

fn run(program: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (poppler-utils) must be installed: {e}"));
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn pdftotext(pdf: &Path) -> String {
    run(
        "pdftotext",
        &["-layout".as_ref(), pdf.as_os_str(), "-".as_ref()],
    )
}

#[test]
fn a_report_pdf_is_real_text_on_numbered_pages() {
    let font = CjkFont::find().expect("a Chinese font (Debian: fonts-noto-cjk)");
    assert_eq!(font.family(), "Noto Sans CJK SC");
    let mut report = duty_report(5);
    // Made to put a "，" and a "。" at the start of a line: the first line holds 35 of
    // these characters after its indent, full lines 37.
    let forced = format!(
        "{}，{}。{}",
        "代".repeat(35),
        "表".repeat(37),
        "站".repeat(20)
    );
    report.sections[0].paragraphs.insert(0, forced.clone());
    let pdf = report_pdf(&report, &font).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &pdf).unwrap();

    let text = pdftotext(&path);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    let count = pages.len();
    assert!(count >= 3, "{count} pages:\n{text}");
    assert!(
        pages[0].contains("2022年度人大代表履职报告"),
        "{}",
        pages[0]
    );
    assert!(pages[0].contains("张建国"));
    // Numbers are never split; a phrase may be, so it is looked for in the lines joined.
    assert!(text.contains("4,655"), "{text}");
    assert!(text.contains("92.5%"), "{text}");
    let joined: String = text.lines().map(str::trim).collect();
    assert!(joined.contains("接待选民4,655人次"), "{joined}");
    assert!(
        joined.contains("《北京市接诉即办条例（草案）》"),
        "{joined}"
    );
    for (i, page) in pages.iter().enumerate() {
        assert!(page.contains("学院路街道人大代表联络站"), "page {}", i + 1);
        let footer = format!("第 {} 页 共 {count} 页", i + 1);
        assert!(
            page.contains(&footer),
            "page {} has no «{footer}»:\n{page}",
            i + 1
        );
    }
    // 禁则: no line starts with closing punctuation.
    for line in text.lines() {
        let line = line.trim_start();
        assert!(
            !line.starts_with([
                '，', '。', '、', '；', '：', '？', '！', '）', '」', '》', '”'
            ]),
            "a line starts with punctuation: {line}"
        );
        assert!(
            !line.trim_end().ends_with(['（', '「', '《', '“']),
            "a line ends with opening punctuation: {line}"
        );
    }
    // The forced paragraph: the character before each mark went down with it.
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("代代代"))
        .expect("the forced paragraph");
    assert_eq!(lines[first], "代".repeat(34));
    assert_eq!(lines[first + 1], format!("代，{}", "表".repeat(35)));
    assert_eq!(lines[first + 2], format!("表表。{}", "站".repeat(20)));

    // One picture per page, each with something drawn on it.
    let prefix = dir.path().join("page");
    run(
        "pdftoppm",
        &[
            "-r".as_ref(),
            "50".as_ref(),
            "-png".as_ref(),
            path.as_os_str(),
            prefix.as_os_str(),
        ],
    );
    let mut pngs: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pngs.sort();
    assert_eq!(pngs.len(), count, "{pngs:?}");
    for png in &pngs {
        let bytes = std::fs::read(png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // A blank A4 page at 50 dpi is about 1 KB.
        assert!(
            bytes.len() > 8_000,
            "{} is {} bytes",
            png.display(),
            bytes.len()
        );
    }
}

#[test]
fn a_report_survives_characters_the_font_lacks_and_has_its_title() {
    let font = CjkFont::find().unwrap();
    let report = ReportPdf {
        title: "意见建议办理情况".into(),
        subtitle: String::new(),
        station: "站".into(),
        page_label: String::new(),
        sections: vec![Section {
            heading: None,
            // U+1F44D has no glyph in Noto Sans CJK: drawn as a box, and the rest kept.
            paragraphs: vec!["群众点赞👍表示满意。".into()],
        }],
    };
    let pdf = report_pdf(&report, &font).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = pdftotext(&path);
    assert!(
        text.contains("群众点赞") && text.contains("表示满意。"),
        "{text}"
    );
    assert!(
        text.contains("1 / 1"),
        "without a page label, the plain one: {text}"
    );
    let info = run("pdfinfo", &[path.as_os_str()]);
    assert!(
        info.contains("Title:") && info.contains("意见建议办理情况"),
        "{info}"
    );
    assert!(
        info.lines()
            .any(|l| l.starts_with("Pages:") && l.split_whitespace().nth(1) == Some("1")),
        "{info}"
    );
    assert!(info.contains("A4"), "{info}");
    let fonts = run("pdffonts", &[path.as_os_str()]);
    // Embedded and subsetted (a subset's name has a six-letter tag: ABCDEF+Name).
    assert!(fonts.contains('+') && fonts.contains("yes yes"), "{fonts}");
}

#[test]
fn fonts_that_are_not_chinese_are_refused() {
    let dejavu = Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    if dejavu.exists() {
        let e = CjkFont::from_file(dejavu, 0).unwrap_err();
        assert!(e.to_string().contains("no Chinese"), "{e}");
    }
    assert!(CjkFont::from_bytes(b"not a font".to_vec(), 0).is_err());
    let noto = Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
    assert!(CjkFont::from_file(noto, 99).is_err());
    assert!(CjkFont::from_file("/nonexistent.ttc", 0).is_err());
}

#[test]
fn a_font_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<CjkFont>();
}
