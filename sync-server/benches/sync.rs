//! Sync benchmark: prints a table. Run with `cargo bench -p sync-server --bench sync`.
//!
//! Bytes are counted on the wire (HTTP headers and bodies, both ways) by a counting proxy
//! between the real client (`SyncClient`) and the real server, both on loopback:
//! - one new ~1 KB record, from a device that is otherwise up to date;
//! - an idle sync of a device holding 5,000 documents (a town with 24 stations, 20 years);
//! - a week offline: 300 records made elsewhere come in, 50 made here go out;
//! - a new device bootstrapping 30,000 records;
//! - server throughput: 500 simulated clients doing idle syncs for 5 seconds.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::ActivityFilter;
use shared::model::Role;
use sync_server::NewAccount;

mod common;
use common::town::{Device, PASSWORD, TOWN, directory, input};
use common::{Counter, bench_config, counting_proxy, device_session, idle_syncs};

/// A device signed in to a new coordinator account of the town.
async fn coordinator(
    dir: &Path,
    name: &str,
    url: &str,
    server: &sync_server::RunningServer,
) -> Device {
    server
        .storage
        .create_account(
            &NewAccount {
                username: format!("bench-{name}"),
                display_name: name.into(),
                role: Role::SubdistrictCoordinator,
                scope_id: Some(TOWN.into()),
                deputy_id: None,
            },
            PASSWORD,
        )
        .unwrap();
    Device::new(dir, name, url).await
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap().len()
}

fn line(what: &str, value: String, goal: &str) {
    println!("| {what:<52} | {value:>26} | {goal:<28} |");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    // SQLite, or with JIAZHAN_TEST_BACKEND=postgres a throwaway PostgreSQL database (then
    // the throughput case also runs on two instances sharing it).
    let database = sync_server::Database::for_tests(dir.path().join("server.db"));
    println!("database: {}\n", database.describe());
    let server = sync_server::start(bench_config(database.clone()))
        .await
        .unwrap();
    server
        .storage
        .load_directory_if_missing(&directory())
        .unwrap();
    let counter = Arc::new(Counter::default());
    let url = format!(
        "http://{}",
        counting_proxy(server.addr, counter.clone()).await
    );
    println!(
        "| {:<52} | {:>26} | {:<28} |",
        "measure", "measured", "goal"
    );
    println!("|{:-<54}|{:-<28}|{:-<30}|", "", "", "");

    // One new ~1 KB record from an up-to-date device.
    let a = coordinator(dir.path(), "a", &url, &server).await;
    a.sync().await;
    counter.take();
    let one = input(0, 330);
    a.create(&one);
    let record = a
        .store
        .lock()
        .unwrap()
        .list_activities(&ActivityFilter::default())
        .unwrap()[0]
        .id
        .clone();
    let json = serde_json::to_vec(&a.store.lock().unwrap().activity_record(&record).unwrap())
        .unwrap()
        .len();
    a.sync().await;
    let (up, down, requests) = counter.take();
    line(
        &format!("one new record ({json} B as JSON): bytes, round trips"),
        format!(
            "{} B ({:.2}x), {requests}",
            up + down,
            (up + down) as f64 / json as f64
        ),
        "<= 1.25x JSON + 300 B, 1",
    );

    // Idle sync with 5,000 documents held.
    for i in 1..5_000 {
        a.create(&input(i * 7, 60));
    }
    a.sync().await;
    let docs_held = coordinator(dir.path(), "b", &url, &server).await;
    docs_held.sync().await;
    let documents = docs_held.store.lock().unwrap().document_count().unwrap();
    counter.take();
    docs_held.sync().await;
    let (up, down, requests) = counter.take();
    line(
        &format!("idle sync, {documents} documents held: bytes, round trips"),
        format!("{} B, {requests}", up + down),
        "<= 2 KB",
    );

    // A week offline: 300 records come in, 50 go out.
    let offline = coordinator(dir.path(), "offline", &url, &server).await;
    offline.sync().await;
    let mut payload = Vec::new();
    for i in 0..300 {
        let r = input(100_000 + i, 200);
        payload.extend(serde_json::to_vec(&r).unwrap());
        a.create(&r);
    }
    a.sync().await;
    for i in 0..50 {
        let r = input(200_000 + i, 200);
        payload.extend(serde_json::to_vec(&r).unwrap());
        offline.create(&r);
    }
    counter.take();
    offline.sync().await;
    let (up, down, requests) = counter.take();
    let gz = gzip_len(&payload);
    line(
        "a week offline (300 in, 50 out): bytes, round trips",
        format!(
            "{} B ({:.2}x gzip), {requests}",
            up + down,
            (up + down) as f64 / gz as f64
        ),
        "<= 1.15x gzip of JSON, <= 2",
    );

    // A new device bootstrapping 30,000 records.
    let have = a.count();
    for i in have..30_000 {
        a.create(&input(300_000 + i, 120));
    }
    a.sync().await;
    let fresh = coordinator(dir.path(), "fresh", &url, &server).await;
    counter.take();
    let start = Instant::now();
    fresh.sync().await;
    let secs = start.elapsed().as_secs_f64();
    let (up, down, requests) = counter.take();
    let got = fresh.count();
    line(
        &format!("new device bootstrapping {got} records"),
        format!("{:.0} records/s", got as f64 / secs),
        ">= 10,000 records/s",
    );
    line(
        "  its bytes, round trips",
        format!("{:.1} MB, {requests}", (up + down) as f64 / 1e6),
        "",
    );

    // Server throughput: 500 clients doing idle syncs, on one instance and, on
    // PostgreSQL, on two instances sharing the database (clients alternate).
    let cursor = fresh.store.lock().unwrap().sync_request().unwrap().cursor;
    let mut instances = vec![server];
    let rounds = if matches!(database, sync_server::Database::Postgres { .. }) {
        2
    } else {
        1
    };
    for round in 1..=rounds {
        if round == 2 {
            instances.push(
                sync_server::start(bench_config(database.clone()))
                    .await
                    .unwrap(),
            );
        }
        let (rate, p99) = idle_throughput(&instances, cursor).await;
        line(
            &format!(
                "server: 500 clients, idle syncs, {} instance{}",
                instances.len(),
                if instances.len() > 1 { "s" } else { "" }
            ),
            format!("{rate:.0} req/s, p99 {p99:.0} ms"),
            ">= 2,000 req/s, p99 < 100 ms",
        );
    }
    for server in instances {
        server.shutdown().await.unwrap();
    }
}

/// 500 clients (each a device with its own session, opened as a sign-in does, without
/// 500 Argon2 hashes) doing idle syncs at `cursor` for 5 s, spread over `instances`:
/// requests per second and the 99th percentile (ms).
async fn idle_throughput(instances: &[sync_server::RunningServer], cursor: u64) -> (f64, f64) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let start = Instant::now();
    let tasks: Vec<_> = (0..500)
        .map(|i| {
            let server = &instances[i % instances.len()];
            let device_id = uuid::Uuid::new_v4().simple().to_string();
            let token = device_session(server, "bench-fresh", &device_id);
            tokio::spawn(idle_syncs(
                http.clone(),
                server.url(),
                token,
                device_id,
                cursor,
                deadline,
            ))
        })
        .collect();
    let mut l = Vec::new();
    for t in tasks {
        l.extend(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    l.sort();
    let p99 = l[l.len() * 99 / 100];
    (l.len() as f64 / secs, p99.as_secs_f64() * 1e3)
}
