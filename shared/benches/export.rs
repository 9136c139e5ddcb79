//! The export formats at a year's scale: a register of 5,000 activities × 12 columns as
//! xlsx and CSV, and a six-page duty report as PDF. Prints a table; not a timed test.
//! Targets: the register as xlsx in under 2 s, the report as PDF in under 1 s.
//!
//! `cargo bench -p shared --bench export --features export`; with `EXPORT_OUT=<dir>` the
//! files are also written there to look at.

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use shared::export::{Cell, CjkFont, ReportPdf, Section, Table, csv, report_pdf, xlsx};

const ROWS: usize = 5_000;
const RUNS: usize = 5;

/// A small deterministic generator: the same register every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const STREETS: &[&str] = &[
    "万寿路街道",
    "永定路街道",
    "羊坊店街道",
    "甘家口街道",
    "八里庄街道",
    "紫竹院街道",
    "北下关街道",
    "北太平庄街道",
    "学院路街道",
    "中关村街道",
    "海淀街道",
    "青龙桥街道",
    "清华园街道",
    "燕园街道",
    "香山街道",
    "清河街道",
    "花园路街道",
    "西三旗街道",
    "马连洼街道",
    "田村路街道",
    "上地街道",
    "曙光街道",
    "四季青镇",
    "海淀镇",
    "西北旺镇",
    "苏家坨镇",
    "上庄镇",
    "温泉镇",
];
const KINDS: &[&str] = &[
    "进站见选民",
    "回家站听意见",
    "选民接待日",
    "委办局进站",
    "检察官进站",
    "征求立法意见",
    "学习培训",
    "视察调研",
    "年度述职",
];
const TOPICS: &[&str] = &[
    "小区周边停车难问题座谈",
    "老年人就医不便情况调研",
    "社区文化活动空间不足问题听取意见",
    "便民商业网点和早餐点布局",
    "农村灌溉用水保障",
    "学校建设投入与学位供给",
    "节假日交通拥堵治理",
    "煤改气工程推进情况视察",
    "《北京市接诉即办条例（草案）》立法意见征集",
    "垃圾分类与物业管理",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "志强", "丽华", "海燕", "国平", "晓东", "红梅", "文博", "静怡",
];
const NOTES: &[&str] = &[
    "部分选民通过\"云见面\"方式参加，线上线下结合。",
    "意见已交办区交通委，承办单位已答复，待向选民反馈。",
    "现场答复3件，其余转交街道工委跟踪办理，选民表示满意。",
    "",
    "列入民生实事项目线索，由区人大常委会督办。",
    "选民反映问题较集中，建议形成代表建议，提交区人代会。",
];

fn register() -> Table {
    let mut rng = Lcg(2022);
    let start = NaiveDate::from_ymd_opt(2022, 1, 1).unwrap();
    let mut table = Table::new(
        "2022年活动登记簿",
        "海淀区人大代表家站 代表活动情况登记簿（2022 年）",
        [
            "日期",
            "街道/镇",
            "家站",
            "活动类型",
            "活动主题",
            "参加代表",
            "代表人数",
            "接待选民（人次）",
            "意见建议（件）",
            "已办结（件）",
            "办结率",
            "备注",
        ],
    );
    for _ in 0..ROWS {
        let street = rng.pick(STREETS);
        let deputies = 1 + rng.below(12);
        let names: Vec<String> = (0..deputies.min(4))
            .map(|_| format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN)))
            .collect();
        let voters = rng.below(400) as i64;
        let opinions = rng.below(30) as i64;
        let done = if opinions == 0 {
            0
        } else {
            rng.below(opinions as usize + 1) as i64
        };
        table.rows.push(vec![
            Cell::Date(start + Days::new(rng.below(365) as u64)),
            street.into(),
            format!("{}第{}联络站", street, 1 + rng.below(6)).into(),
            rng.pick(KINDS).into(),
            rng.pick(TOPICS).into(),
            format!(
                "{}{}",
                names.join("、"),
                if deputies > 4 { "等" } else { "" }
            )
            .into(),
            Cell::Int(deputies as i64),
            Cell::Int(voters),
            Cell::Int(opinions),
            Cell::Int(done),
            if opinions == 0 {
                Cell::Empty
            } else {
                Cell::Percent(done as f64 / opinions as f64)
            },
            rng.pick(NOTES).into(),
        ]);
    }
    table
}

fn report() -> ReportPdf {
    let headings = [
        "一、基本情况",
        "二、联系选民情况",
        "三、意见建议办理情况",
        "四、参加立法意见征集情况",
        "五、存在的不足",
        "六、下一步打算",
    ];
    let paragraphs = [
        "2022年1月，海淀区开展“进站见选民”活动，330名代表进站，接待选民4,655人次，部分活动采用“云见面”方式进行。代表们认真倾听群众呼声，对收集到的意见建议逐条登记、分类交办、跟踪落实。",
        "围绕小区周边停车难、老年人就医不便、缺少文化活动场所、便民商业网点和早餐点不足等问题，本人深入社区、村庄和企业走访调研，提出具有针对性的意见建议（共78件），其中12件转化为代表建议，5件列入民生实事项目线索。",
        "按照“月进站、季回家、年述职”的工作要求，本人全年进站11次，参加“回家站听意见”专题活动3次，参加委办局走进代表家站活动2次，参加《北京市接诉即办条例（草案）》立法意见征集，提出修改意见6条。",
        "在履职过程中，本人坚持问题有途径、反馈民意有回音。对已答复的意见建议，及时向选民反馈办理结果，群众满意率达到92.5%。对尚未解决的问题，持续跟踪督办，推动相关部门研究解决方案。",
    ];
    ReportPdf {
        title: "2022年度人大代表履职报告".into(),
        subtitle: "代表：张建国　海淀区学院路街道人大代表联络站　2022年".into(),
        station: "学院路街道人大代表联络站".into(),
        page_label: "第 {n} 页 共 {count} 页".into(),
        sections: headings
            .iter()
            .map(|h| Section {
                heading: Some(h.to_string()),
                // Each section twice as long: six pages in all.
                paragraphs: paragraphs
                    .iter()
                    .chain(&paragraphs)
                    .map(|p| p.to_string())
                    .collect(),
            })
            .collect(),
    }
}

/// The fastest of `RUNS` runs and the output of the last.
fn time<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        out = Some(std::hint::black_box(f()));
        best = best.min(t.elapsed());
    }
    (best, out.unwrap())
}

fn main() {
    let table = register();
    let t = Instant::now();
    let font = CjkFont::find().expect("a Chinese font (Debian: fonts-noto-cjk)");
    let find = t.elapsed();
    let report = report();

    let (xlsx_time, xlsx_bytes) = time(|| xlsx(std::slice::from_ref(&table)).unwrap());
    let (csv_time, csv_bytes) = time(|| csv(&table));
    let (pdf_time, pdf_bytes) = time(|| report_pdf(&report, &font).unwrap());
    let pages = page_count(&pdf_bytes);

    if let Some(dir) = std::env::var_os("EXPORT_OUT") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("register.xlsx"), &xlsx_bytes).unwrap();
        std::fs::write(dir.join("register.csv"), &csv_bytes).unwrap();
        std::fs::write(dir.join("report.pdf"), &pdf_bytes).unwrap();
    }

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("export formats (best of {RUNS} runs)");
    println!("| output | what | time | size | target |");
    println!("|---|---|---:|---:|---|");
    println!(
        "| xlsx | register, {ROWS} rows × {} columns | {:.0} ms | {} bytes | < 2 s |",
        table.columns.len(),
        ms(xlsx_time),
        xlsx_bytes.len()
    );
    println!(
        "| csv | the same register | {:.0} ms | {} bytes | |",
        ms(csv_time),
        csv_bytes.len()
    );
    println!(
        "| pdf | duty report, {pages} pages | {:.0} ms | {} bytes | < 1 s |",
        ms(pdf_time),
        pdf_bytes.len()
    );
    println!(
        "| font | CjkFont::find ({}, {} bytes read) | {:.0} ms | | once per process |",
        font.family(),
        font_size(),
        ms(find)
    );
}

fn font_size() -> u64 {
    std::fs::metadata("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
        .map_or(0, |m| m.len())
}

/// Page objects in the PDF: `/Type /Page` not followed by `s` (the page tree).
fn page_count(pdf: &[u8]) -> usize {
    (0..pdf.len())
        .filter_map(|i| pdf[i..].strip_prefix(b"/Type"))
        .filter_map(|after| after.trim_ascii_start().strip_prefix(b"/Page"))
        .filter(|after| !after.first().is_some_and(u8::is_ascii_alphanumeric))
        .count()
}
