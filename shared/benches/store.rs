//! Store benchmark: prints a table. Run with `cargo bench -p shared --bench store`.
//!
//! - local save: `create_meeting` (validate, new document, save, outbox, projection);
//! - apply + project: records arriving by sync, applied in 1,000-change batches as the
//!   protocol delivers them;
//! - cold start: a fresh process opens a store of 100,000 records and reads the first
//!   screen of the register (50 rows); its peak RSS is read from /proc.
//!
//! Set `JIAZHAN_BENCH_RECORDS` to change the 100,000.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use automerge::AutoCommit;
use chrono::NaiveDate;
use shared::doc::{self, DocKind};
use shared::protocol::{SyncResponse, WireChange};
use shared::{Store, StoreKey, VoterMeeting, VoterMeetingInput};

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

fn apply(store: &mut Store, changes: Vec<WireChange>) {
    store
        .apply_sync_response(&SyncResponse {
            acknowledged: vec![],
            cursor: 1,
            changes,
            more: false,
        })
        .unwrap();
}

fn meeting(i: usize) -> VoterMeeting {
    VoterMeeting {
        station_id: "st-xueyuanlu-shiyou".into(),
        date: today() - chrono::Days::new((i % 700) as u64),
        deputy_ids: vec!["dep-006".into(), "dep-007".into()],
        voters_received: (i % 80) as u32,
        summary: format!("第{i}次接待：居民反映老旧小区加装电梯、停车难和早餐点不足等问题"),
    }
}

/// What another device would send: the changes of `n` new meeting documents.
fn remote_changes(n: usize) -> Vec<WireChange> {
    (0..n)
        .flat_map(|i| {
            let mut d = AutoCommit::new();
            let id = format!("remote-{i:08}");
            doc::write_meeting(&mut d, &meeting(i))
                .unwrap()
                .into_iter()
                .map(move |c| WireChange {
                    doc_id: id.clone(),
                    kind: DocKind::VoterMeeting.as_str().into(),
                    bytes: c.raw_bytes().to_vec(),
                })
        })
        .collect()
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
    let first = store.recent_meetings(FIRST_SCREEN).unwrap();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(first.len(), FIRST_SCREEN);
    println!("{ms:.1} {:.1}", peak_rss_mb());
}

fn row(what: &str, n: usize, secs: f64, goal: &str) {
    println!(
        "| {what:<34} | {n:>8} | {:>9.2} s | {:>12.0} /s | {goal:<14} |",
        secs,
        n as f64 / secs
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
        "| {:<34} | {:>8} | {:>11} | {:>15} | {:<14} |",
        "operation", "records", "time", "rate", "goal"
    );
    println!(
        "|{:-<36}|{:-<10}|{:-<13}|{:-<17}|{:-<16}|",
        "", "", "", "", ""
    );

    // Local saves.
    let n = 5_000;
    let mut store = store_with_directory(&dir.path().join("local.db"));
    let input = |i: usize| VoterMeetingInput::from(&meeting(i));
    let start = Instant::now();
    for i in 0..n {
        store.create_meeting(&input(i), today()).unwrap();
    }
    row(
        "local save (create_meeting)",
        n,
        start.elapsed().as_secs_f64(),
        "",
    );
    drop(store);

    // Apply + project, in protocol-sized batches.
    let changes = remote_changes(records);
    let path = dir.path().join("synced.db");
    let mut store = store_with_directory(&path);
    let start = Instant::now();
    let mut it = changes.into_iter().peekable();
    while it.peek().is_some() {
        apply(&mut store, it.by_ref().take(BATCH).collect());
    }
    row(
        "apply + project (sync receive)",
        records,
        start.elapsed().as_secs_f64(),
        ">= 20,000 /s",
    );
    assert_eq!(
        store.recent_meetings(FIRST_SCREEN).unwrap().len(),
        FIRST_SCREEN
    );
    drop(store);

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
}
