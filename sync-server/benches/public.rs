//! The voters' pages under load, on loopback against the real server: prints a table.
//! Run with `cargo bench -p sync-server --bench public`.
//!
//! - 100 ordinary devices (each its own account) push one small change and pull, about
//!   once a second each, for 10 s alone;
//! - then the same devices for 30 s while voters send 200 opinions a second (open
//!   loop: a new submission every 5 ms whatever the answers, each from its own address
//!   through a trusted proxy's `X-Forwarded-For`, so the per-network limit does not
//!   apply; the per-station limit is raised: six demo stations take 1,000 each), a
//!   third of them with a name and phone, and 20 status pages a second of codes
//!   already given.
//!
//! Goals: submissions p99 < 200 ms at 200/s; the devices keep their p99.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sync_server::public::{PublicConfig, PublicLimits};

mod common;
use common::*;

const STATIONS: &[&str] = &[
    "st-zizhuyuan-home",
    "st-xibeiwang-yongfeng",
    "st-xibeiwang-hanjiachuan",
    "st-shangdi-park",
    "st-xueyuanlu-shiyou",
    "st-sujiatuo-xinmu",
];

const PER_SECOND: u64 = 200;
const SECONDS: u64 = 30;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = bench_config(dir.path().join("server.db"));
    config.demo = true;
    config.sign_in_limits.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    config.public = PublicConfig {
        url: Some("https://jzt.example.cn".into()),
        limits: PublicLimits {
            submissions_per_station_per_minute: std::num::NonZeroU32::new(100_000).unwrap(),
            pages_per_network_per_minute: std::num::NonZeroU32::new(100_000).unwrap(),
            ..PublicLimits::default()
        },
    };
    let server = sync_server::start(config).await.unwrap();
    let url = server.url();

    let devices: Vec<(String, String, String)> = (0..100)
        .map(|i| {
            let station = STATIONS[i % STATIONS.len()];
            let device = format!("{:032x}", 0xbe00 + i);
            let token = session(&server, &format!("ordinary-{i}"), station, &device);
            let doc = format!("station/{station}/2026-11");
            (device, token, doc)
        })
        .collect();
    let alone = ordinary(&url, &devices, 10).await;

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let submitted: Arc<Mutex<Vec<(Duration, u16)>>> = Arc::default();
    let viewed: Arc<Mutex<Vec<(Duration, u16)>>> = Arc::default();
    let codes: Arc<Mutex<Vec<String>>> = Arc::default();
    // `JIAZHAN_BENCH_READS_ONLY=1`: station pages instead of submissions, to tell the
    // cost of the voters' writes from that of their requests.
    let reads_only = std::env::var_os("JIAZHAN_BENCH_READS_ONLY").is_some();
    let load = {
        let (http, url) = (http.clone(), url.clone());
        let (submitted, viewed, codes) = (submitted.clone(), viewed.clone(), codes.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / PER_SECOND));
            let mut tasks = Vec::new();
            for n in 0..PER_SECOND * SECONDS {
                tick.tick().await;
                let (http, url) = (http.clone(), url.clone());
                let (submitted, viewed, codes) = (submitted.clone(), viewed.clone(), codes.clone());
                tasks.push(tokio::spawn(async move {
                    // Each voter from an address of their own (10.x.y.z).
                    let from = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
                    // A page view: its time and status.
                    let view = |path: String| {
                        let (http, from) = (http.clone(), from.clone());
                        async move {
                            let t = Instant::now();
                            let r = http
                                .get(path)
                                .header("x-forwarded-for", &from)
                                .send()
                                .await
                                .unwrap();
                            let status = r.status().as_u16();
                            let _ = r.bytes().await;
                            (t.elapsed(), status)
                        }
                    };
                    if n % 10 == 0 {
                        let code = codes.lock().unwrap().last().cloned();
                        if let Some(code) = code {
                            let seen = view(format!("{url}/t/{code}")).await;
                            viewed.lock().unwrap().push(seen);
                        }
                    }
                    let station = STATIONS[n as usize % STATIONS.len()];
                    if reads_only {
                        // The same rate of requests, none of them writing.
                        let seen = view(format!("{url}/s/{station}")).await;
                        submitted.lock().unwrap().push(seen);
                        return;
                    }
                    let content = format!(
                        "第{n}条：小区{}号楼前的路灯坏了一个多月，晚上出行不便，希望尽快修复。{}",
                        n % 40,
                        noise(60, n)
                    );
                    let mut form = vec![
                        ("content", content),
                        ("category", "traffic".to_owned()),
                        ("category", "housing".to_owned()),
                        ("website", String::new()),
                    ];
                    if n % 3 == 0 {
                        form.push(("name", format!("居民{n}")));
                        form.push(("phone", format!("139{:08}", n)));
                        form.push(("consent", "1".to_owned()));
                    }
                    let t = Instant::now();
                    let r = http
                        .post(format!("{url}/s/{station}"))
                        .header("x-forwarded-for", &from)
                        .form(&form)
                        .send()
                        .await
                        .unwrap();
                    let status = r.status().as_u16();
                    if status == 303 {
                        let location = r.headers()["location"].to_str().unwrap_or_default();
                        if let Some(code) = location
                            .strip_prefix("/t/")
                            .and_then(|l| l.strip_suffix("?new=1"))
                        {
                            codes.lock().unwrap().push(code.to_owned());
                        }
                    }
                    submitted.lock().unwrap().push((t.elapsed(), status));
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
        })
    };
    let beside = ordinary(&url, &devices, SECONDS).await;
    load.await.unwrap();

    let stats = |v: &[(Duration, u16)], ok: u16| {
        let mut times: Vec<Duration> = v.iter().map(|(d, _)| *d).collect();
        times.sort();
        let good = v.iter().filter(|(_, s)| *s == ok).count();
        (
            v.len(),
            good,
            percentile(&times, 50),
            percentile(&times, 99),
        )
    };
    println!(
        "\n## The voters' pages, {PER_SECOND}/s for {SECONDS} s, beside 100 syncing devices\n"
    );
    println!("| | requests | answered as expected | p50 | p99 |");
    println!("|---|---|---|---|---|");
    for (what, v, ok) in [
        if reads_only {
            (
                "station pages instead (200)",
                submitted.lock().unwrap().clone(),
                200,
            )
        } else {
            (
                "opinions sent (303 with a code)",
                submitted.lock().unwrap().clone(),
                303,
            )
        },
        ("status pages (200)", viewed.lock().unwrap().clone(), 200),
    ] {
        let (n, good, p50, p99) = stats(&v, ok);
        println!("| {what} | {n} | {good} | {p50:.1} ms | {p99:.1} ms |");
    }
    println!("\n| 100 ordinary devices | syncs | p50 | p99 |");
    println!("|---|---|---|---|");
    for (what, l) in [("alone", &alone), ("beside the voters", &beside)] {
        println!(
            "| {what} | {} | {:.1} ms | {:.1} ms |",
            l.len(),
            percentile(l, 50),
            percentile(l, 99)
        );
    }
    let stored: i64 = rusqlite::Connection::open(dir.path().join("server.db"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM public_opinions", [], |r| r.get(0))
        .unwrap();
    println!(
        "\nopinions stored: {stored}; peak RSS of the process: {:.0} MiB",
        peak_rss_mib()
    );
    server.shutdown().await.unwrap();
}
