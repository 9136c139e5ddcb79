//! The server at city scale, on SQLite and on PostgreSQL side by side: prints one table.
//! Run with `cargo bench -p sync-server --bench scale`. PostgreSQL is the cluster
//! `JIAZHAN_TEST_PG` names (start a durable one with
//! `JIAZHAN_PG_DURABLE=1 bash .ci/pg.sh start DIR`), else a throwaway one.
//!
//! On each backend, on a fresh database holding the town of `common::town` (24 stations):
//! - 30,000 records (about 5 per document, as the sync benchmark spreads them) pushed by
//!   a coordinator's device, 500 changes a request: changes stored per second;
//! - a new device of the app (`Store` + `SyncClient`) bootstrapping them all: records per
//!   second, from its first request to every record in its store;
//! - S7: 500 clients doing idle syncs back to back for 5 s, as devices of 100 accounts
//!   (5 each: how a city's phones are spread) and as devices of one account (whose
//!   requests take turns, one at a time per instance), on one instance and, on
//!   PostgreSQL, on two instances sharing the database (clients alternate);
//! - the CPU those idle syncs cost: this process (server and clients) and, on
//!   PostgreSQL, the database's processes, per request.
//!
//! Goals (issue 14): S7 on PostgreSQL, one instance then two, >= 2,000 requests/s with
//! p99 < 100 ms; a bootstrap of 30,000 records from PostgreSQL >= 10,000 records/s.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use shared::doc::{DocId, write_record};
use shared::model::Role;
use shared::protocol::{SYNC_PATH, SyncRequest, SyncResponse, WireChange};
use shared::{ActivityFilter, Store, StoreKey, SyncClient};
use sync_server::{Database, NewAccount, RunningServer};

mod common;
use common::town::{STATIONS, TOWN, directory, input, station, today};
use common::{bench_config, device_session, idle_syncs, process_cpu_secs, wire};

const RECORDS: usize = 30_000;
const CLIENTS: usize = 500;
const PASSWORD: &str = "bench password 1";

/// What one backend measured, by row.
type Column = BTreeMap<&'static str, String>;

const ROWS: [(&str, &str); 9] = [
    ("30,000 records pushed, 500 changes a request", ""),
    (
        "new device bootstrapping 30,000 records",
        ">= 10,000 records/s",
    ),
    ("  documents it received whole", ""),
    (
        "S7: 500 clients of 100 accounts, 1 instance",
        ">= 2,000 req/s, p99 < 100 ms",
    ),
    (
        "S7: 500 clients of 100 accounts, 2 instances",
        ">= 2,000 req/s, p99 < 100 ms",
    ),
    ("S7: 500 clients of one account, 1 instance", ""),
    ("S7: 500 clients of one account, 2 instances", ""),
    ("  CPU per idle sync, 100 accounts, 1 instance", ""),
    ("  of which the database's processes", ""),
];

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = sync_server::pg_cluster::PgCluster::start().expect("a PostgreSQL cluster");
    let backends = [
        ("SQLite", Database::Sqlite(dir.path().join("server.db"))),
        (
            "PostgreSQL",
            Database::Postgres {
                url: cluster.fresh_database().unwrap(),
                pool: Database::DEFAULT_POOL,
            },
        ),
    ];
    // JIAZHAN_SCALE_ONLY=sqlite|postgresql runs one backend.
    let only = std::env::var("JIAZHAN_SCALE_ONLY").unwrap_or_default();
    let mut columns = Vec::new();
    for (name, database) in backends {
        if !only.is_empty() && !name.eq_ignore_ascii_case(&only) {
            continue;
        }
        eprintln!("[scale] {name}");
        columns.push((name, measure(dir.path(), &database).await));
    }
    println!("# The server at city scale ({} cores)\n", cores());
    print!("| measure |");
    for (name, _) in &columns {
        print!(" {name} |");
    }
    println!(" goal |");
    println!("|---|{}---|", "---|".repeat(columns.len()));
    for (row, goal) in ROWS {
        print!("| {row} |");
        for (_, column) in &columns {
            print!(" {} |", column.get(row).map_or("–", String::as_str));
        }
        println!(" {goal} |");
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

async fn start(database: &Database) -> RunningServer {
    sync_server::start(bench_config(database.clone()))
        .await
        .unwrap()
}

fn account(server: &RunningServer, username: &str, role: Role, scope: &str) {
    server
        .storage
        .create_account(
            &NewAccount {
                username: username.into(),
                display_name: username.into(),
                role,
                scope_id: Some(scope.into()),
                deputy_id: None,
            },
            PASSWORD,
        )
        .unwrap();
}

async fn measure(dir: &std::path::Path, database: &Database) -> Column {
    let mut column = Column::new();
    let server = start(database).await;
    server
        .storage
        .load_directory_if_missing(&directory())
        .unwrap();
    let http = reqwest::Client::new();

    // The records, each its own change as devices write them, in their documents.
    let mut docs: BTreeMap<String, AutoCommit> = BTreeMap::new();
    let mut changes: Vec<WireChange> = Vec::with_capacity(RECORDS);
    for i in 0..RECORDS {
        let mut activity = input(i, 120).validate(today()).unwrap();
        activity.id = format!("bench-{i}");
        let doc_id = DocId::station(&activity.station_id, activity.date).to_string();
        let doc = docs.entry(doc_id.clone()).or_default();
        for change in write_record(doc, &activity).unwrap() {
            changes.push(wire(&doc_id, change.raw_bytes().to_vec()));
        }
    }
    account(&server, "bench-seeder", Role::SubdistrictCoordinator, TOWN);
    let token = device_session(&server, "bench-seeder", "seeder");
    let start_push = Instant::now();
    let mut cursor = 1;
    for batch in changes.chunks(500) {
        let response = http
            .post(format!("{}{SYNC_PATH}", server.url()))
            .bearer_auth(&token)
            .json(&SyncRequest {
                device_id: "seeder".into(),
                cursor,
                changes: batch.to_vec(),
                ..SyncRequest::default()
            })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let r: SyncResponse = response.json().await.unwrap();
        assert_eq!(r.acknowledged.len(), batch.len());
        cursor = r.cursor;
    }
    let secs = start_push.elapsed().as_secs_f64();
    eprintln!("[scale] pushed in {secs:.1} s");
    column.insert(
        ROWS[0].0,
        format!(
            "{:.0} changes/s ({} documents)",
            changes.len() as f64 / secs,
            docs.len()
        ),
    );

    // A new device of the town's coordinator bootstraps them.
    account(&server, "bench-fresh", Role::SubdistrictCoordinator, TOWN);
    let store = Mutex::new(
        Store::open(
            &dir.join(format!("fresh-{}.db", uuid::Uuid::new_v4())),
            &StoreKey::generate().unwrap(),
        )
        .unwrap(),
    );
    let client = SyncClient::new(false).unwrap();
    client
        .sign_in(&store, &server.url(), "bench-fresh", PASSWORD, "fresh")
        .await
        .unwrap();
    let start_bootstrap = Instant::now();
    let report = client.sync(&store).await.unwrap();
    let secs = start_bootstrap.elapsed().as_secs_f64();
    let got = store
        .lock()
        .unwrap()
        .list_activities(&ActivityFilter::default())
        .unwrap()
        .len();
    assert_eq!(got, RECORDS, "the new device holds every record");
    eprintln!("[scale] bootstrapped in {secs:.1} s");
    column.insert(
        ROWS[1].0,
        format!("{:.0} records/s ({secs:.1} s)", got as f64 / secs),
    );
    column.insert(ROWS[2].0, format!("{}", report.received_documents));
    let cursor = store.lock().unwrap().sync_request().unwrap().cursor;

    // S7. Devices of 100 accounts (each a station's staff), five each.
    for k in 0..100 {
        account(
            &server,
            &format!("bench-s7-{k}"),
            Role::StationStaff,
            &station(k % STATIONS).0,
        );
    }
    let two = matches!(database, Database::Postgres { .. });
    let mut instances = vec![server];
    for round in 1..=if two { 2 } else { 1 } {
        if round == 2 {
            instances.push(start(database).await);
        }
        let many = |i: usize| format!("bench-s7-{}", i % 100);
        let pg_before = postgres_cpu_secs();
        let cpu_before = process_cpu_secs(std::process::id());
        let (rate, p99, requests) = idle_throughput(&instances, cursor, many).await;
        eprintln!("[scale] S7, {round} instance(s): {rate:.0} req/s");
        let cpu = process_cpu_secs(std::process::id()) - cpu_before;
        let pg = postgres_cpu_secs() - pg_before;
        column.insert(
            ROWS[2 + round].0,
            format!("{rate:.0} req/s, p99 {p99:.0} ms"),
        );
        if round == 1 {
            let per = |secs: f64| secs * 1e3 / requests as f64;
            column.insert(ROWS[7].0, format!("{:.2} ms", per(cpu + pg)));
            if two {
                column.insert(ROWS[8].0, format!("{:.2} ms", per(pg)));
            }
        }
        let one = |_| "bench-fresh".to_owned();
        let (rate, p99, _) = idle_throughput(&instances, cursor, one).await;
        column.insert(
            ROWS[4 + round].0,
            format!("{rate:.0} req/s, p99 {p99:.0} ms"),
        );
    }
    for server in instances {
        server.shutdown().await.unwrap();
    }
    column
}

/// `CLIENTS` clients (each a device with its own session of account `account_of(i)`,
/// opened as a sign-in does, without Argon2) doing idle syncs at `cursor` for 5 s,
/// spread over `instances`: requests per second, the 99th percentile (ms), requests.
async fn idle_throughput(
    instances: &[RunningServer],
    cursor: u64,
    account_of: impl Fn(usize) -> String,
) -> (f64, f64, usize) {
    let http = reqwest::Client::new();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let server = &instances[i % instances.len()];
            let device_id = uuid::Uuid::new_v4().simple().to_string();
            let token = device_session(server, &account_of(i), &device_id);
            (server.url(), token, device_id)
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(url, token, device_id)| {
            tokio::spawn(idle_syncs(
                http.clone(),
                url,
                token,
                device_id,
                cursor,
                deadline,
            ))
        })
        .collect();
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    times.sort();
    let p99 = times[times.len() * 99 / 100];
    (
        times.len() as f64 / secs,
        p99.as_secs_f64() * 1e3,
        times.len(),
    )
}

/// CPU time (user + system) of every process named `postgres` on this machine.
fn postgres_cpu_secs() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(process_cpu_secs)
        .sum()
}
