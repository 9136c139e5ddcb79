//! What checking pushed records costs a push into months of every size, on loopback
//! against the real server: prints a table. Run with
//! `cargo bench -p sync-server --bench records` (on PostgreSQL: with
//! `JIAZHAN_TEST_BACKEND=postgres`, in a throwaway cluster).
//!
//! A month is filled with `n` activities (each its own change, as devices write them);
//! then a device that is up to date pushes one new record at a time, 15 times. Printed:
//! the median time of such a request, and, in-process, the steps a check would take
//! without the server's copy in memory: build the stored document from its changes,
//! apply the change, find the records it touched by a full diff or from Automerge's
//! diff cursor, check them.
//!
//! Goal: a push into a month of 1,000 records costs no more than a few milliseconds
//! more than into an empty one.

use std::time::{Duration, Instant};

use automerge::AutoCommit;
use chrono::NaiveDate;
use shared::doc::{DocId, write_record};
use shared::model::{Activity, ActivityKind};
use shared::protocol::{SYNC_PATH, SyncRequest, SyncResponse, WireChange};
use sync_server::{Config, Database};

mod common;
use common::*;

const STATION: &str = "st-zizhuyuan-home";

fn activity(id: &str, month: u32) -> Activity {
    Activity {
        id: id.into(),
        kind: ActivityKind::VoterMeeting,
        station_id: STATION.into(),
        date: NaiveDate::from_ymd_opt(2025, month, 10).unwrap(),
        deputy_ids: vec!["dep-001".into()],
        guests: String::new(),
        voters_received: 12,
        online: false,
        location: "社区活动室".into(),
        summary: "小区门口停车难".into(),
        photos: vec![],
        campaign_id: None,
        draft_id: None,
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::for_tests(dir.path().join("server.db"));
    println!("# Checking pushed records: {}", database_kind(&database));
    let server = sync_server::start(Config {
        demo: true,
        ..bench_config(database)
    })
    .await
    .unwrap();
    let device = "phone-1";
    let token = session(&server, "station", STATION, device);
    let http = reqwest::Client::new();
    let url = server.url();
    // Pushes as an up-to-date device makes them, from its cursor (never 0, which would
    // bring a bootstrap page too).
    let mut cursor = 1;
    let mut push = async |changes: Vec<WireChange>| {
        let response = http
            .post(format!("{url}{SYNC_PATH}"))
            .bearer_auth(&token)
            .json(&SyncRequest {
                device_id: device.into(),
                cursor,
                changes,
                bootstrap: None,
                key_cursor: 0,
                keys: Vec::new(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let r: SyncResponse = response.json().await.unwrap();
        assert!(!r.more);
        cursor = r.cursor;
    };
    println!();
    println!(
        "| records in the month | push one record (median of 15) | build from changes \
         | apply | touched, full diff | touched, from the diff cursor | check |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (month, n) in [(1, 8), (2, 100), (3, 1_000), (4, 5_000)] {
        let doc_id = DocId::Station {
            station: STATION.into(),
            year: 2025,
            month,
        }
        .to_string();
        let mut doc = AutoCommit::new();
        let mut stored = vec![];
        for i in 0..n {
            stored.extend(
                write_record(&mut doc, &activity(&format!("a-{month}-{i}"), month)).unwrap(),
            );
        }
        for chunk in stored.chunks(500) {
            let changes = chunk
                .iter()
                .map(|c| wire(&doc_id, c.raw_bytes().to_vec()))
                .collect();
            push(changes).await;
        }
        let mut times = vec![];
        for k in 0..15 {
            let change = write_record(&mut doc, &activity(&format!("new-{month}-{k}"), month))
                .unwrap()
                .remove(0);
            let start = Instant::now();
            push(vec![wire(&doc_id, change.raw_bytes().to_vec())]).await;
            times.push(start.elapsed());
        }
        times.sort();

        // The steps, in-process, for the last push against the document before it.
        let all = doc.get_changes(&[]);
        let (before, new) = all.split_at(all.len() - 1);
        let start = Instant::now();
        let mut built = AutoCommit::new();
        built
            .apply_changes(
                before
                    .iter()
                    .map(|c| automerge::Change::from_bytes(c.raw_bytes().to_vec()).unwrap()),
            )
            .unwrap();
        let build = start.elapsed();
        let heads = built.get_heads();
        let mut indexed = built.clone();
        let start = Instant::now();
        built.apply_changes(new.iter().cloned()).unwrap();
        let apply = start.elapsed();
        let start = Instant::now();
        let keys = shared::validate::touched_keys(&mut built, &heads);
        let full = start.elapsed();
        indexed.update_diff_cursor();
        indexed.apply_changes(new.iter().cloned()).unwrap();
        let start = Instant::now();
        assert_eq!(shared::validate::touched_keys(&mut indexed, &heads), keys);
        let from_cursor = start.elapsed();
        let id = DocId::parse(&doc_id).unwrap();
        let start = Instant::now();
        shared::validate::check_records(&id, &built, &keys, &mut |_| None).unwrap();
        let check = start.elapsed();
        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            n + 15,
            ms(times[7]),
            ms(build),
            ms(apply),
            ms(full),
            ms(from_cursor),
            ms(check),
        );
    }
    server.shutdown().await.unwrap();
}

fn database_kind(database: &Database) -> &'static str {
    match database {
        Database::Sqlite(_) => "SQLite",
        Database::Postgres { .. } => "PostgreSQL",
    }
}
