//! Store benchmark: prints a table. Run with `cargo bench -p shared --bench store`.
//!
//! - local save: `create_activity` (validate, write into the month's document, append,
//!   outbox, projection), each an fsynced transaction;
//! - apply + project: records arriving by sync, applied in 1,000-change batches as the
//!   protocol delivers them. The records are laid out as a district produces them: 103
//!   stations, each month's records (one activity to four opinions) written by that
//!   station's device, months in order, so about 8 records share a document;
//! - cold start: a fresh process opens a store of 100,000 records and reads the first
//!   screen of the register (50 rows); its peak RSS is read from /proc.
//!
//! - compaction rule: loading a month's document stored as a save plus N appended changes,
//!   against the cost of one compact save, to choose when to compact.
//!
//! Set `JIAZHAN_BENCH_RECORDS` to change the 100,000.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use automerge::{ActorId, AutoCommit};
use chrono::NaiveDate;
use shared::doc::{self, DocId, Record};
use shared::protocol::{MAX_DOCUMENTS_PER_RESPONSE, SyncResponse, WireChange, WireDocument};
use shared::{Activity, ActivityInput, ActivityKind, Opinion, OpinionCategory, Store, StoreKey};

/// Stations in the district (103 liaison stations in the source report).
const STATIONS: usize = 103;

const FIRST_SCREEN: usize = 50;
const BATCH: usize = 1000;

fn key() -> StoreKey {
    StoreKey::from_bytes([0x42; 32])
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn store_with_directory(path: &Path) -> Store {
    let mut store = Store::open(path, &key()).unwrap();
    store.receive_directory(&shared::demo::directory()).unwrap();
    store
}

fn apply(store: &mut Store, changes: Vec<WireChange>, documents: Vec<WireDocument>) {
    store
        .apply_sync_response(&SyncResponse {
            cursor: 1,
            changes,
            documents,
            ..Default::default()
        })
        .unwrap();
}

fn cpu_row(cpu: f64, wall: f64) {
    println!(
        "| {:<38} | {:>8} | {:>9.2} s | {:>12.1} x  | {:<14} |",
        "  of which CPU (all threads)",
        "",
        cpu,
        cpu / wall,
        "2 cores"
    );
}

fn activity(i: usize, station: &str, date: NaiveDate) -> Activity {
    Activity {
        id: format!("act-{i:08}"),
        kind: ActivityKind::ALL[i % ActivityKind::ALL.len()],
        station_id: station.into(),
        date,
        deputy_ids: vec!["dep-006".into(), "dep-007".into()],
        guests: String::new(),
        voters_received: (i % 80) as u32,
        online: i.is_multiple_of(7),
        location: "社区活动室".into(),
        summary: format!("第{i}次接待：居民反映老旧小区加装电梯、停车难和早餐点不足等问题"),
        photos: vec![],
        campaign_id: None,
        draft_id: None,
    }
}

fn opinion(i: usize, station: &str, date: NaiveDate) -> Opinion {
    Opinion {
        id: format!("op-{i:08}"),
        station_id: station.into(),
        date,
        categories: vec![OpinionCategory::ALL[i % OpinionCategory::ALL.len()]],
        content: format!("第{i}条：小区周边停车难，建议增设夜间停车位"),
        voter_name: String::new(),
        voter_phone: String::new(),
        consent: false,
        contact: None,
        channel: None,
        received_by: Some("dep-006".into()),
        activity_id: None,
        draft_id: None,
        article_id: None,
        feedback_date: None,
        feedback: String::new(),
        satisfaction: None,
    }
}

fn wire<R: Record>(doc: &mut AutoCommit, id: &DocId, r: &R) -> Vec<WireChange> {
    doc::write_record(doc, r)
        .unwrap()
        .into_iter()
        .map(|c| WireChange {
            doc_id: id.to_string(),
            kind: id.family().as_str().into(),
            bytes: c.raw_bytes().to_vec(),
        })
        .collect()
}

/// The district's records as its devices wrote them: `n` records, month by month, each
/// station's month written by that station's device, in the order a server receives
/// them.
fn remote_documents(n: usize) -> Vec<(DocId, AutoCommit)> {
    let months = n.div_ceil(STATIONS * 8).max(1);
    let per_bucket = n.div_ceil(STATIONS * months);
    let mut out = Vec::new();
    let mut i = 0;
    'all: for m in 0..months {
        let first = today() - chrono::Months::new((months - m) as u32);
        for s in 0..STATIONS {
            if i == n {
                break 'all;
            }
            let station = format!("st-bench-{s:03}");
            let id = DocId::station(&station, first);
            let mut d = AutoCommit::new().with_actor(ActorId::random());
            for k in 0..per_bucket.min(n - i) {
                let date = first + chrono::Days::new((k % 28) as u64);
                if k.is_multiple_of(5) {
                    wire(&mut d, &id, &activity(i, &station, date));
                } else {
                    wire(&mut d, &id, &opinion(i, &station, date));
                }
                i += 1;
            }
            out.push((id, d));
        }
    }
    out
}

/// What the server sends a device that has synced before: every change, in order.
fn remote_changes(docs: &mut [(DocId, AutoCommit)]) -> Vec<WireChange> {
    docs.iter_mut()
        .flat_map(|(id, d)| {
            d.get_changes(&[])
                .into_iter()
                .map(|c| WireChange {
                    doc_id: id.to_string(),
                    kind: id.family().as_str().into(),
                    bytes: c.raw_bytes().to_vec(),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn local_input(i: usize) -> ActivityInput {
    ActivityInput::from(&activity(
        i,
        "st-xueyuanlu-shiyou",
        today() - chrono::Days::new((i % 700) as u64),
    ))
}

/// CPU time (user + system) of this process so far, from /proc.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, r)| r.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The cold-start child: open, read the first screen, report time and peak memory.
fn cold_start(path: &Path) {
    let start = Instant::now();
    let store = Store::open(path, &key()).unwrap();
    let first = store
        .list_activities(&shared::ActivityFilter {
            limit: Some(FIRST_SCREEN as u32),
            ..Default::default()
        })
        .unwrap();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(first.len(), FIRST_SCREEN);
    println!("{ms:.1} {:.1}", peak_rss_mb());
}

fn row(what: &str, n: usize, secs: f64, goal: &str) {
    println!(
        "| {what:<38} | {n:>8} | {:>9.2} s | {:>12.0} /s | {goal:<14} |",
        secs,
        n as f64 / secs
    );
}

/// Loads of a month document (8 records, then edits) stored as a save plus `tail`
/// appended changes, against one compact save.
fn compaction_table() {
    const EDITS: usize = 160;
    const REPS: u32 = 200;
    let station = "st-bench-000";
    let id = DocId::station(station, today());
    let mut d = AutoCommit::new().with_actor(ActorId::random());
    let mut history: Vec<Vec<u8>> = Vec::new();
    let mut saves: Vec<Vec<u8>> = Vec::new();
    for i in 0..8 {
        saves.push(d.save());
        for c in wire(&mut d, &id, &opinion(i, station, today())) {
            history.push(c.bytes);
        }
    }
    for e in 0..EDITS {
        let mut o = opinion(e % 8, station, today());
        o.content = format!("第{e}次修改：补充了选民的具体诉求");
        saves.push(d.save());
        for c in wire(&mut d, &id, &o) {
            history.push(c.bytes);
        }
    }
    let total = history.len();
    println!();
    println!(
        "| {:<44} | {:>10} | {:>8} |",
        "month document (8 records, 160 edits)", "load", "bytes"
    );
    println!("|{:-<46}|{:-<12}|{:-<10}|", "", "", "");
    for tail in [0usize, 8, 32, 64, 128] {
        // The save taken `tail` changes ago, then those changes appended.
        let mut bytes = if tail == 0 {
            d.save()
        } else {
            saves[total - tail].clone()
        };
        history[total - tail..]
            .iter()
            .for_each(|c| bytes.extend_from_slice(c));
        let start = Instant::now();
        for _ in 0..REPS {
            std::hint::black_box(AutoCommit::load(&bytes).unwrap());
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(REPS);
        println!(
            "| {:<44} | {:>7.0} µs | {:>8} |",
            format!("saved + {tail} appended changes"),
            us,
            bytes.len()
        );
    }
    let start = Instant::now();
    for _ in 0..REPS {
        std::hint::black_box(d.save());
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(REPS);
    println!(
        "| {:<44} | {:>7.0} µs | {:>8} |",
        "one compact save()", us, ""
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--cold-start") {
        cold_start(Path::new(&args[i + 1]));
        return;
    }
    let records: usize = std::env::var("JIAZHAN_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();

    println!(
        "| {:<38} | {:>8} | {:>11} | {:>15} | {:<14} |",
        "operation", "records", "time", "rate", "goal"
    );
    println!(
        "|{:-<40}|{:-<10}|{:-<13}|{:-<17}|{:-<16}|",
        "", "", "", "", ""
    );

    // Local saves.
    let n = 5_000;
    let mut store = store_with_directory(&dir.path().join("local.db"));
    let start = Instant::now();
    for i in 0..n {
        store.create_activity(&local_input(i), today()).unwrap();
    }
    row(
        "local save (create_activity)",
        n,
        start.elapsed().as_secs_f64(),
        "",
    );
    drop(store);

    // Apply + project, in protocol-sized batches: changes (a device that has synced
    // before), then whole documents (a new device's bootstrap).
    let mut docs = remote_documents(records);
    let changes = remote_changes(&mut docs);
    let path = dir.path().join("synced.db");
    let mut store = store_with_directory(&path);
    let cpu0 = cpu_secs();
    let start = Instant::now();
    let mut it = changes.into_iter().peekable();
    while it.peek().is_some() {
        apply(&mut store, it.by_ref().take(BATCH).collect(), vec![]);
    }
    let wall = start.elapsed().as_secs_f64();
    row("apply + project (changes)", records, wall, ">= 20,000 /s");
    cpu_row(cpu_secs() - cpu0, wall);
    assert_eq!(
        store
            .list_activities(&shared::ActivityFilter {
                limit: Some(FIRST_SCREEN as u32),
                ..Default::default()
            })
            .unwrap()
            .len(),
        FIRST_SCREEN
    );
    let activities = store
        .list_activities(&shared::ActivityFilter::default())
        .unwrap()
        .len();
    drop(store);

    let documents: Vec<WireDocument> = docs
        .iter_mut()
        .map(|(id, d)| WireDocument {
            doc_id: id.to_string(),
            kind: id.family().as_str().into(),
            bytes: d.save(),
        })
        .collect();
    let mut boot = store_with_directory(&dir.path().join("bootstrapped.db"));
    let cpu0 = cpu_secs();
    let start = Instant::now();
    let mut it = documents.into_iter().peekable();
    while it.peek().is_some() {
        apply(
            &mut boot,
            vec![],
            it.by_ref().take(MAX_DOCUMENTS_PER_RESPONSE).collect(),
        );
    }
    let wall = start.elapsed().as_secs_f64();
    row(
        "apply + project (bootstrap documents)",
        records,
        wall,
        ">= 20,000 /s",
    );
    cpu_row(cpu_secs() - cpu0, wall);
    assert_eq!(
        boot.list_activities(&shared::ActivityFilter::default())
            .unwrap()
            .len(),
        activities
    );
    drop(boot);

    // Cold start in a fresh process, three times; the best is the warm-cache figure.
    let size_mb = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    let mut runs = vec![];
    for _ in 0..3 {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--cold-start", path.to_str().unwrap()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.split_whitespace().map(|v| v.parse::<f64>().unwrap());
        runs.push((parts.next().unwrap(), parts.next().unwrap()));
    }
    let (ms, rss) = runs
        .iter()
        .fold((f64::MAX, 0.0f64), |(m, r), (a, b)| (m.min(*a), r.max(*b)));
    println!();
    println!(
        "| {:<44} | {:>10} | {:<12} |",
        "cold start (fresh process)", "measured", "goal"
    );
    println!("|{:-<46}|{:-<12}|{:-<14}|", "", "", "");
    println!(
        "| {:<44} | {:>7.1} ms | {:<12} |",
        format!("open + first {FIRST_SCREEN} rows of {records} records"),
        ms,
        "< 300 ms"
    );
    println!(
        "| {:<44} | {:>7.1} MB | {:<12} |",
        "peak RSS of that process", rss, "< 150 MB"
    );
    println!(
        "| {:<44} | {:>7.1} MB | {:<12} |",
        "database file", size_mb, ""
    );
    compaction_table();
}
