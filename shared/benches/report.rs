//! What the district office asks of a device, on the generated Haidian year (prints a
//! table; not a timed test). Run with
//! `cargo bench -p shared --bench report --features export`.
//!
//! The device holds the whole district (as the district administrator's does): the
//! generated directory and year arrive the way a new device's bootstrap brings them
//! (whole documents), then:
//! - every statistics figure of the screen (`Store::statistics`) for the year, each
//!   campaign, the consultation, a street and a station, computed from the projection
//!   tables (median of 7 runs; goal < 100 ms);
//! - a deputy's duty record and the report's draft;
//! - the busiest department's inbox, and the opinions list searched for a word (goal
//!   < 100 ms);
//! - the year's activity register and opinions ledger to xlsx (goal < 2 s), and the
//!   statistics workbook;
//! - the yearly report to PDF (goal < 1 s).
//!
//! It also prints the campaign figures the screen shows, which must be the report's.

use std::time::Instant;

use chrono::NaiveDate;
use shared::demo::{documents, haidian};
use shared::protocol::{MAX_DOCUMENTS_PER_RESPONSE, SyncResponse, WireDocument};
use shared::{ActivityFilter, DeputyLevel, OpinionFilter, StatsQuery, Store, StoreKey};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// The median wall time of `runs` calls of `f`, in ms, and its last result.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], last.expect("ran"))
}

fn row(what: &str, ms: f64, goal: &str, note: &str) {
    println!("| {what:<52} | {ms:>9.1} ms | {goal:<8} | {note:<40} |");
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (gen_ms, (directory, year)) = time(1, || {
        let d = haidian::directory();
        let y = haidian::year(&d, haidian::DEMO_SEED);
        (d, y)
    });
    let docs = documents::year_documents(&year).unwrap();
    let mut store = Store::open(
        &dir.path().join("device.db"),
        &StoreKey::from_bytes([9; 32]),
    )
    .unwrap();
    let (load_ms, ()) = time(1, || {
        store.receive_directory(&directory).unwrap();
        let wire: Vec<WireDocument> = docs
            .documents
            .iter()
            .map(|(id, d)| WireDocument {
                doc_id: id.to_string(),
                kind: id.family().as_str().to_owned(),
                bytes: d.clone().save(),
            })
            .collect();
        for chunk in wire.chunks(MAX_DOCUMENTS_PER_RESPONSE) {
            store
                .apply_sync_response(&SyncResponse {
                    cursor: 1,
                    documents: chunk.to_vec(),
                    ..Default::default()
                })
                .unwrap();
        }
    });
    println!(
        "Generated Haidian 2022: {} stations, {} deputies, {} records in {} documents.\n",
        directory.stations.len(),
        directory.deputies.len(),
        year.count(),
        docs.documents.len()
    );
    println!(
        "| {:<52} | {:>12} | {:<8} | {:<40} |",
        "what", "time", "goal", "figures"
    );
    println!("|{:-<54}|{:->14}|{:-<10}|{:-<42}|", "", "", "", "");
    row("generate the district and its year", gen_ms, "", "");
    row(
        "a device receives it (bootstrap documents)",
        load_ms,
        "",
        "",
    );

    let campaign = |kind: shared::ActivityKind| {
        directory
            .campaigns
            .iter()
            .find(|c| c.activity_kind == kind)
            .expect("the generated campaigns")
    };
    let draft = &directory.drafts[0];
    let jan = campaign(shared::ActivityKind::VoterMeeting);
    let autumn = campaign(shared::ActivityKind::HomeListening);
    let queries = [
        (
            "statistics: the year 2022, whole district",
            StatsQuery::year(2022),
        ),
        (
            "statistics: 进站见选民 (January campaign)",
            StatsQuery {
                campaign_id: Some(jan.id.clone()),
                from: Some(jan.starts),
                to: Some(jan.ends),
                ..StatsQuery::default()
            },
        ),
        (
            "statistics: 回家站听意见 (autumn campaign)",
            StatsQuery {
                campaign_id: Some(autumn.id.clone()),
                from: Some(autumn.starts),
                to: Some(autumn.ends),
                ..StatsQuery::default()
            },
        ),
        (
            "statistics: the legislative consultation",
            StatsQuery {
                draft_id: Some(draft.id.clone()),
                ..StatsQuery::default()
            },
        ),
        (
            "statistics: one street (紫竹院), the year",
            StatsQuery {
                subdistrict_id: Some("sd-zizhuyuan".into()),
                ..StatsQuery::year(2022)
            },
        ),
        (
            "statistics: one station (紫竹院 home), the year",
            StatsQuery {
                station_id: Some("st-zizhuyuan-home".into()),
                ..StatsQuery::year(2022)
            },
        ),
    ];
    let mut year_stats = None;
    for (what, query) in &queries {
        let (ms, stats) = time(7, || store.statistics(query, today()).unwrap());
        let t = &stats.totals;
        let level = |l: DeputyLevel| {
            stats
                .attendances_by_level
                .iter()
                .find(|(x, _)| *x == l)
                .map_or(0, |x| x.1)
        };
        let note = format!(
            "{} act, {} dep, {} voters, {} op; 市{}/区{}/镇{}",
            t.activities,
            t.deputies,
            t.voters(),
            t.opinions,
            level(DeputyLevel::City),
            level(DeputyLevel::District),
            level(DeputyLevel::Town)
        );
        row(what, ms, "< 100 ms", &note);
        if year_stats.is_none() {
            year_stats = Some(stats);
        }
    }
    let deputy = &directory.deputies[0].id;
    let (ms, record) = time(7, || store.duty_record(deputy, 2022).unwrap());
    row(
        "a deputy's duty record (履职档案)",
        ms,
        "",
        &format!("{} activities", record.activities.len()),
    );
    let (ms, _) = time(7, || store.year_report(deputy, 2022).unwrap());
    row("the yearly report's draft", ms, "", "");

    // The department with the most referrals: its inbox as the screen loads it (whole;
    // the screen's search then filters it in memory), and the opinions list searched
    // for a word of the busiest category's first opinion (its first page and its count).
    let year = year_stats.as_ref().expect("the year's statistics");
    let busiest = year
        .referrals_by_department
        .iter()
        .max_by_key(|d| d.referred)
        .expect("referrals in the year");
    let (ms, inbox) = time(7, || store.department_inbox(&busiest.id, today()).unwrap());
    row(
        "a department's inbox, its whole year",
        ms,
        "< 100 ms",
        &format!("{} referrals", inbox.len()),
    );
    let word: String = inbox
        .first()
        .map(|r| r.content.chars().take(2).collect())
        .unwrap_or_default();
    let search = OpinionFilter {
        words: word.clone(),
        limit: Some(51),
        ..OpinionFilter::default()
    };
    let (ms, (shown, found)) = time(7, || {
        let page = store.list_opinions(&search, today()).unwrap().len();
        let totals = store.opinion_totals(&search, today()).unwrap();
        (page, totals.records)
    });
    row(
        "the opinions list searched for a word, a page and its count",
        ms,
        "< 100 ms",
        &format!("\"{word}\": {found} found, {shown} shown"),
    );

    let whole_year = ActivityFilter {
        from: NaiveDate::from_ymd_opt(2022, 1, 1),
        to: NaiveDate::from_ymd_opt(2022, 12, 31),
        ..ActivityFilter::default()
    };
    let (ms, bytes) = time(3, || {
        let table = store.register_table(&whole_year).unwrap();
        (table.rows.len(), shared::export::xlsx(&[table]).unwrap())
    });
    row(
        "the year's register to xlsx",
        ms,
        "< 2 s",
        &format!("{} rows, {} KB", bytes.0, bytes.1.len() / 1024),
    );
    let (ms, bytes) = time(3, || {
        let table = store
            .ledger_table(&OpinionFilter::default(), today())
            .unwrap();
        (table.rows.len(), shared::export::xlsx(&[table]).unwrap())
    });
    row(
        "the year's opinions ledger to xlsx",
        ms,
        "",
        &format!("{} rows, {} KB", bytes.0, bytes.1.len() / 1024),
    );
    let stats = year_stats.expect("the year's statistics");
    let (ms, bytes) = time(3, || {
        shared::export::xlsx(&shared::store::statistics_tables(&stats, "2022年")).unwrap()
    });
    row(
        "the statistics workbook",
        ms,
        "",
        &format!("{} KB", bytes.len() / 1024),
    );
    match shared::export::CjkFont::find() {
        Ok(font) => {
            let (ms, bytes) = time(3, || {
                let report = store.report_document(deputy, 2022).unwrap();
                shared::export::report_pdf(&report, &font).unwrap()
            });
            row(
                "the yearly report to PDF (with its data)",
                ms,
                "< 1 s",
                &format!("{} KB", bytes.len() / 1024),
            );
        }
        Err(e) => println!("(no PDF: {e})"),
    }
}
