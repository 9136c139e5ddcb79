//! Operations through the real server on 127.0.0.1 (port 0), over real HTTP: Prometheus
//! metrics on their own listener move with signs-in, syncs and refusals, by route
//! template and error kind; the main listener does not serve them; the real binary
//! writes JSON log lines with `--log-format json`.

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shared::model::Role;
use shared::protocol::{SIGN_IN_PATH, SYNC_PATH, SyncRequest, SyncResponse};
use sync_server::Config;

mod support;

use support::{Client, bare_server_on, create_account_shown_as, schema_change, text_at};

/// One sample of the text format: its name and labels, and its value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the OpenMetrics text format (what this server writes of it: no escaped quotes
/// in label values, no timestamps or exemplars).
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect(line);
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().expect(line),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect(line);
                let mut labels = BTreeMap::new();
                let mut rest = body;
                while !rest.is_empty() {
                    let (key, after) = rest.split_once("=\"").expect(line);
                    let (value, after) = after.split_once('"').expect(line);
                    labels.insert(key.to_owned(), value.to_owned());
                    rest = after.strip_prefix(',').unwrap_or(after);
                }
                (name.to_owned(), labels)
            }
        };
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    samples
}

/// The value of the one sample named `name` whose labels include `labels`; 0 when none
/// has moved yet.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?}: {found:?}");
    found.first().map_or(0.0, |s| s.value)
}

#[tokio::test]
async fn metrics_move_with_requests_by_route_template_and_only_on_their_own_listener() {
    let dir = tempfile::tempdir().unwrap();
    let server = bare_server_on(dir.path().join("server.db"), |c| {
        c.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let metrics_addr = server.metrics_addr.expect("a metrics listener");
    assert_ne!(metrics_addr.port(), 0);
    assert_ne!(metrics_addr, server.addr);
    create_account_shown_as(
        &server,
        "wang-fang",
        "王芳",
        Role::StationStaff,
        Some("st-zizhuyuan-home"),
    );
    let http = reqwest::Client::new();
    let url = server.url();
    let phone = Client::new(&server, "wang-fang", "phone-1").await;
    let sync = |request: SyncRequest, token: Option<&str>| {
        let mut builder = http.post(format!("{url}{SYNC_PATH}")).json(&request);
        if let Some(token) = token {
            builder = builder.bearer_auth(token);
        }
        builder.send()
    };
    let token = phone.token.as_str();
    // A bootstrap page with one pushed change, then the rest of the pages.
    let mut syncs = 0.0;
    let mut pulled_documents = 0;
    let own = schema_change("station/st-zizhuyuan-home/2026-11");
    let first = sync(phone.request(0, vec![own], None), Some(token))
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    syncs += 1.0;
    let mut page: SyncResponse = first.json().await.unwrap();
    pulled_documents += page.documents.len();
    while page.more {
        let next = phone.request(page.cursor, vec![], page.bootstrap.clone());
        page = sync(next, Some(token)).await.unwrap().json().await.unwrap();
        syncs += 1.0;
        pulled_documents += page.documents.len();
    }
    assert!(pulled_documents > 0);
    // A 401 (no token) and a 404 (a station outside the account's scope).
    let unauthorized = sync(phone.request(0, vec![], None), None).await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    let elsewhere = schema_change("station/st-xibeiwang-yongfeng/2026-11");
    let refused = sync(
        phone.request(page.cursor, vec![elsewhere], None),
        Some(token),
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 404);
    // A voter's status page with a tracking code in its path, and a path no route has.
    let code = "8461203957314462";
    assert!(
        http.get(format!("{url}/t/{code}"))
            .send()
            .await
            .unwrap()
            .status()
            .is_client_error()
    );
    let nowhere = http
        .get(format!("{url}/wp-admin/{code}"))
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status(), 404);
    // The main listener has no /metrics.
    let main = http.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(main.status(), 404);

    let scraped = http
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = scraped.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let samples = parse(&text);
    let requests = |method, route, status| {
        value(
            &samples,
            "jiazhan_http_requests_total",
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("POST", SIGN_IN_PATH, "200"), 1.0, "{text}");
    assert_eq!(requests("POST", SYNC_PATH, "200"), syncs, "{text}");
    assert_eq!(requests("POST", SYNC_PATH, "401"), 1.0, "{text}");
    assert_eq!(requests("POST", SYNC_PATH, "404"), 1.0, "{text}");
    assert_eq!(requests("GET", "/t/{code}", "404"), 1.0, "{text}");
    assert_eq!(requests("GET", "unmatched", "404"), 2.0, "{text}");
    // Latency: one observation per request, by status class.
    let latency = |route, class, series: &str| {
        value(
            &samples,
            &format!("jiazhan_http_request_duration_seconds_{series}"),
            &[("method", "POST"), ("route", route), ("status", class)],
        )
    };
    assert_eq!(latency(SYNC_PATH, "2xx", "count"), syncs);
    assert_eq!(latency(SYNC_PATH, "4xx", "count"), 2.0);
    assert!(latency(SYNC_PATH, "2xx", "sum") > 0.0);
    let all_under_16s = samples
        .iter()
        .find(|s| {
            s.name == "jiazhan_http_request_duration_seconds_bucket"
                && s.labels.get("route").map(String::as_str) == Some(SYNC_PATH)
                && s.labels.get("status").map(String::as_str) == Some("2xx")
                && s.labels.get("le").map(String::as_str) == Some("16.384")
        })
        .expect("a 16 s bucket");
    assert_eq!(all_under_16s.value, syncs);
    // No label anywhere holds a raw path: the tracking code is nowhere.
    for s in &samples {
        for v in s.labels.values() {
            assert!(!v.contains(code), "{s:?}");
            assert!(!v.contains("wp-admin"), "{s:?}");
        }
    }
    // Errors by kind, counted where they become statuses.
    let errors = |kind| value(&samples, "jiazhan_errors_total", &[("kind", kind)]);
    assert_eq!(errors("unauthorized"), 1.0, "{text}");
    assert_eq!(errors("refused_not_found"), 1.0, "{text}");
    assert_eq!(errors("bad_request"), 0.0, "{text}");
    // Sync sizes: only the syncs that were answered.
    let sync_metric = |name: &str| value(&samples, &format!("jiazhan_sync_{name}"), &[]);
    assert_eq!(sync_metric("changes_pushed_count"), syncs);
    assert_eq!(sync_metric("changes_pushed_sum"), 1.0);
    assert_eq!(sync_metric("changes_pulled_count"), syncs);
    assert_eq!(sync_metric("request_bytes_count"), syncs);
    assert!(sync_metric("request_bytes_sum") > 100.0);
    assert_eq!(sync_metric("response_bytes_count"), syncs);
    assert!(sync_metric("response_bytes_sum") > sync_metric("request_bytes_sum"));
    assert_eq!(
        sync_metric("bootstrap_documents_sum"),
        pulled_documents as f64
    );
    assert!(sync_metric("bootstrap_documents_count") >= 1.0);
    // The blocking-work slots: sized, and idle between requests.
    for pool in ["storage_slots", "sign_in_slots"] {
        assert!(
            value(&samples, "jiazhan_pool_size", &[("pool", pool)]) >= 2.0,
            "{text}"
        );
        assert_eq!(
            value(&samples, "jiazhan_pool_in_use", &[("pool", pool)]),
            0.0
        );
    }
    // Scraping is not itself counted: the main listener's figures stand still.
    let again = parse(&text_at(&http, &format!("http://{metrics_addr}/metrics")).await);
    assert_eq!(
        value(
            &again,
            "jiazhan_http_requests_total",
            &[("route", SYNC_PATH), ("status", "200")]
        ),
        syncs
    );
    server.shutdown().await.unwrap();
    // Shut down with the server.
    assert!(
        tokio::net::TcpStream::connect(metrics_addr).await.is_err(),
        "the metrics listener outlived its server"
    );
}

#[tokio::test]
async fn without_metrics_bind_there_is_no_metrics_listener() {
    let dir = tempfile::tempdir().unwrap();
    let server = sync_server::start(Config::new(
        dir.path().join("server.db"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    assert_eq!(server.metrics_addr, None);
    server.shutdown().await.unwrap();
}

/// Reads a child's stream line by line on a thread of its own.
fn lines_of(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

#[tokio::test]
async fn the_binary_writes_json_log_lines_with_log_format_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_jiazhan-sync-server"))
        .args(["--db", db.to_str().unwrap()])
        .args(["--bind", "127.0.0.1:0", "--metrics-bind", "127.0.0.1:0"])
        .args(["--log-format", "json"])
        .env("RUST_LOG", "info")
        .env_remove("JIAZHAN_SERVER_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines_of(child.stderr.take().unwrap());
    let stdout = lines_of(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut addr = None;
    let mut metrics_addr = None;
    let deadline = Instant::now() + Duration::from_secs(30);
    while addr.is_none() || metrics_addr.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = stderr
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no listening events in {lines:?}"));
        let event: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        match event["message"].as_str() {
            Some("sync server listening") => addr = event["addr"].as_str().map(str::to_owned),
            Some("metrics listening") => {
                metrics_addr = event["addr"].as_str().map(str::to_owned);
            }
            _ => {}
        }
        lines.push(line);
    }
    let (addr, metrics_addr) = (addr.unwrap(), metrics_addr.unwrap());
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The flag reached the server: its metrics listener counted the request.
    let text = text_at(&http, &format!("http://{metrics_addr}/metrics")).await;
    assert_eq!(
        value(
            &parse(&text),
            "jiazhan_http_requests_total",
            &[("route", "/healthz")]
        ),
        1.0
    );
    // SIGTERM: the server logs its shutdown and exits.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    lines.extend(stderr.iter());
    let printed: Vec<String> = stdout.iter().collect();
    assert!(
        lines.iter().any(|l| l.contains("shutting down")),
        "{lines:?}"
    );
    for line in lines.iter().chain(&printed) {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for field in ["level", "message", "timestamp"] {
            assert!(event[field].is_string(), "no {field}: {line}");
        }
    }
}
