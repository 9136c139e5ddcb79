//! Crash safety: a child process saving and editing records is killed with SIGKILL at a
//! random moment, 200 times. After each kill the store opens, is consistent (SQLite
//! integrity, every projection row equal to its document, an outbox entry for every
//! unsynced record), and holds every save that had returned OK. The child also types
//! opinions into the opinion form (a kept draft) and saves them from it: a saved opinion
//! never comes back as a draft.
//!
//! The child is this same test binary, re-run with `JIAZHAN_CRASH_CHILD` set; so the file
//! has its own `main` (`harness = false` in Cargo.toml) instead of libtest.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use shared::{ActivityInput, OpinionFilter, OpinionInput, Store, StoreKey};

const ROUNDS: u64 = 200;
const CHILD_ENV: &str = "JIAZHAN_CRASH_CHILD";

fn key() -> StoreKey {
    StoreKey::from_bytes([0x5a; 32])
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

const BASE_ENV: &str = "JIAZHAN_CRASH_BASE";

/// Save number `n` (increasing across all rounds) is readable back from the summary.
fn input(n: u64) -> ActivityInput {
    ActivityInput {
        station_id: "st-sujiatuo-xinmu".into(),
        // Spread over a year of month documents, as a station's records are.
        date: format!("2026-{:02}-21", n % 11 + 1),
        deputy_ids: vec!["dep-012".into(), "dep-013".into()],
        voters_received: (n % 10_000).to_string(),
        summary: format!("企业职工反映通勤班车不足 #{n:012}"),
        ..ActivityInput::default()
    }
}

/// Opinion number `n`, as typed into the opinion form.
fn opinion(n: u64) -> OpinionInput {
    OpinionInput {
        station_id: "st-sujiatuo-xinmu".into(),
        date: format!("2026-{:02}-21", n % 11 + 1),
        content: format!("村口路灯不亮 #{n:012}"),
        ..OpinionInput::default()
    }
}

fn save_number(summary: &str) -> u64 {
    summary.rsplit_once('#').unwrap().1.parse().unwrap()
}

/// A small deterministic generator, so a failing round can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn main() {
    match std::env::var_os(CHILD_ENV) {
        Some(path) => child(Path::new(&path)),
        None => {
            killed_mid_save_loses_nothing_acknowledged();
            println!("test killed_mid_save_loses_nothing_acknowledged ... ok");
            println!("1 passed, 0 failed");
        }
    }
}

/// The child: saves new records and edits old ones as fast as it can, printing
/// `<id> <save number>` after each save returns OK, until it is killed.
fn child(path: &Path) {
    let mut store = Store::open(path, &key()).unwrap();
    let mut ids: Vec<String> = store
        .list_activities(&shared::ActivityFilter::default())
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    let base: u64 = std::env::var(BASE_ENV).unwrap().parse().unwrap();
    let mut rng = Rng(std::process::id() as u64 | 1);
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    for n in base.. {
        if rng.next().is_multiple_of(4) {
            // Typed into the opinion form (kept as a draft), then saved from it.
            let typed = opinion(n);
            store
                .save_form_draft("opinion", &serde_json::to_string(&typed).unwrap())
                .unwrap();
            let id = store
                .saving_form(Some("opinion"), |s| s.create_opinion(&typed, today()))
                .unwrap();
            writeln!(out, "{id} {n}").unwrap();
        } else if ids.is_empty() || rng.next().is_multiple_of(3) {
            let id = store.create_activity(&input(n), today()).unwrap();
            ids.push(id.clone());
            writeln!(out, "{id} {n}").unwrap();
        } else {
            let id = &ids[(rng.next() % ids.len() as u64) as usize];
            store.update_activity(id, &input(n), today()).unwrap();
            writeln!(out, "{id} {n}").unwrap();
        }
        out.flush().unwrap();
    }
}

fn killed_mid_save_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    {
        let mut store = Store::open(&path, &key()).unwrap();
        store.receive_directory(&shared::demo::directory()).unwrap();
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // The last acknowledged save number of every record.
    let mut acked: HashMap<String, u64> = HashMap::new();
    let mut total_saves = 0u64;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(CHILD_ENV, &path)
            .env(BASE_ENV, ((round + 1) * 1_000_000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait until the child has opened the store, then let it run 0–80 ms.
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("round {round}: the child never got ready: {e}"));
            if line == "ready" {
                break;
            }
        }
        let run_for = Duration::from_micros(rng.next() % 80_000);
        let start = Instant::now();
        while start.elapsed() < run_for {
            std::thread::yield_now();
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            let (id, number) = line.split_once(' ').unwrap();
            let n: u64 = number.parse().unwrap();
            acked.insert(id.to_owned(), n);
            total_saves += 1;
        }

        let store = Store::open(&path, &key())
            .unwrap_or_else(|e| panic!("round {round}: the store did not open: {e}"));
        store
            .verify()
            .unwrap_or_else(|e| panic!("round {round}: inconsistent store: {e}"));
        let mut stored: HashMap<String, u64> = store
            .list_activities(&shared::ActivityFilter::default())
            .unwrap()
            .into_iter()
            .map(|m| (m.id, save_number(&m.summary)))
            .collect();
        let opinions: HashMap<String, u64> = store
            .list_opinions(&OpinionFilter::default(), today())
            .unwrap()
            .into_iter()
            .map(|o| (o.id, save_number(&o.content)))
            .collect();
        if let Some(draft) = store.form_draft("opinion").unwrap() {
            let typed: OpinionInput = serde_json::from_str(&draft).unwrap();
            let n = save_number(&typed.content);
            assert!(
                !opinions.values().any(|&saved| saved == n),
                "round {round}: saved opinion {n} came back as a draft"
            );
        }
        stored.extend(opinions);
        for (id, n) in &acked {
            let got = stored
                .get(id)
                .unwrap_or_else(|| panic!("round {round}: acknowledged record {id} is lost"));
            // A save may have committed after its line was cut off: later, never earlier.
            assert!(
                got >= n,
                "round {round}: {id} went back from save {n} to {got}"
            );
        }
        assert_eq!(
            store.pending_records().unwrap() as usize,
            stored.len(),
            "round {round}: every unsynced record has its changes in the outbox"
        );
    }
    assert!(
        total_saves > ROUNDS,
        "the child saved too little to test anything: {total_saves}"
    );
    eprintln!(
        "{ROUNDS} kills, {total_saves} acknowledged saves, {} records",
        acked.len()
    );
}
