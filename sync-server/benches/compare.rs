//! The sync benchmark's scenarios (benches/sync.rs) through our server and through
//! automerge-repo, with the same documents, printed as one markdown table. Run it with
//! `bash sync-server/benches/automerge-repo/run.sh`, which installs the pinned npm packages
//! into that folder first (never CI); without them only our side runs, and it says so.
//!
//! - Our side: the real server binary (`jiazhan-sync-server`, built with this bench) as a
//!   child process on a fresh database, and devices of the app (`Store` + `SyncClient`),
//!   as in sync.rs: the same records, the same counts.
//! - automerge-repo's side: its sync server as automerge-repo-sync-server builds it
//!   (benches/automerge-repo/server.mjs: a Repo with NodeFS storage and the WebSocket
//!   server adapter, sharePolicy false) and devices (client.mjs: a Repo with NodeFS
//!   storage and the WebSocket client adapter), driven over stdin.
//! - The same documents: what our server holds is exported (each document saved whole by
//!   Automerge, through the protocol's own bootstrap) and the changes a device made (its
//!   outbox) are exported as they are; the Node peers load them, our ids mapped one to one
//!   to theirs (benches/automerge-repo/ids.mjs). A Node server starts from its storage
//!   seeded with what ours held at that point, as after a restart.
//!
//! Measured the same way on both sides:
//! - bytes each way on the wire: a counting TCP proxy in front of each server (HTTP headers
//!   and bodies; WebSocket frames and the upgrade);
//! - round trips: our HTTP requests (one message each way); automerge-repo's WebSocket
//!   messages each way, counted in its client adapter;
//! - time: until the device is in sync (our `sync()` returns; for automerge-repo, every
//!   document's sync state says the server's heads are ours, after a message from the
//!   server about it), as the device sees it;
//! - the server process's CPU time (user + system) and peak resident memory, from /proc
//!   (the peak reset before each scenario).
//!
//! Every automerge-repo step is bounded (COMPARE_TIMEOUT_SECS, 300 s by default); one that
//! runs out is reported as stopped. A Node server that exits is reported, and the next
//! scenario starts a new one.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use shared::model::Role;
use shared::protocol::{CBOR, SYNC_PATH, SyncRequest, SyncResponse, WireChange};
use sync_server::{NewAccount, SqliteStorage};

mod common;
use common::town::{Device, PASSWORD, TOWN, directory, input, today};
use common::{
    BENCH_CONFIG_TOML, Counter, counting_proxy, process_cpu_secs, process_peak_rss_mib,
    reset_peak_rss, storage_session, wire,
};

/// The clients of the many-clients scenario, each a station's staff in a town of their own.
const SWARM: usize = 500;
const SWARM_TOWN: &str = "sd-bench-swarm";

fn swarm_station(k: usize) -> (String, String) {
    (format!("st-swarm-{k:03}"), format!("dep-swarm-{k:03}"))
}

/// The directory with the swarm's town added (loaded before the many-clients scenario
/// only, so the documents of the other scenarios are sync.rs's).
fn swarm_directory() -> shared::Directory {
    let mut dir = directory();
    dir.subdistricts.push(shared::Subdistrict {
        id: SWARM_TOWN.into(),
        name: "基准测试镇".into(),
        kind: shared::SubdistrictKind::Town,
    });
    for k in 0..SWARM {
        let (id, deputy) = swarm_station(k);
        dir.stations.push(shared::Station {
            id: id.clone(),
            name: format!("基准测试镇第{k}代表联络站"),
            kind: shared::StationKind::LiaisonPoint,
            subdistrict_id: SWARM_TOWN.into(),
        });
        dir.deputies.push(shared::Deputy {
            id: deputy,
            name: format!("测试代表{k}"),
            levels: vec![shared::DeputyLevel::Town],
            station_id: id,
        });
    }
    dir
}

/// Swarm client `k`'s one new record (a ~1 KB record, as in the first scenario) in a new
/// document of its station, written as the app writes it, with an actor of its own: the
/// document's id and its one change.
fn swarm_record(k: usize) -> (String, automerge::AutoCommit) {
    let (station, deputy) = swarm_station(k);
    let mut record = input(k, 330);
    record.station_id = station;
    record.deputy_ids = vec![deputy];
    record.date = today().to_string();
    let mut activity = record.validate(today()).unwrap();
    activity.id = uuid::Uuid::new_v4().to_string();
    let doc_id = shared::doc::DocId::station(&activity.station_id, activity.date).to_string();
    let mut doc = automerge::AutoCommit::new().with_actor(automerge::ActorId::random());
    shared::doc::write_record(&mut doc, &activity).unwrap();
    (doc_id, doc)
}

// ---------------------------------------------------------------------------------------
// Results and the table.

/// What one side measured in one scenario.
#[derive(Clone, Debug, Default)]
struct Run {
    up: u64,
    down: u64,
    messages_up: u64,
    messages_down: u64,
    secs: f64,
    cpu: f64,
    peak_mib: f64,
    /// Records a second, for a bootstrap.
    records_per_sec: Option<f64>,
    /// The 99th percentile of clients' times, for many clients.
    p99_secs: Option<f64>,
}

#[derive(Clone, Debug)]
enum Outcome {
    Done(Run),
    /// Stopped at the time limit; what had passed by then.
    Stopped(Run),
    Failed(String),
    Skipped(String),
}

impl Outcome {
    fn run(&self) -> Option<&Run> {
        match self {
            Outcome::Done(r) | Outcome::Stopped(r) => Some(r),
            _ => None,
        }
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bytes(n: u64) -> String {
    match n {
        0..10_000 => format!("{} B", thousands(n)),
        10_000..10_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.2} MB", n as f64 / 1e6),
    }
}

fn secs(s: f64) -> String {
    if s < 0.01 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{s:.1} s")
    }
}

/// A measure: how to show it, and its value in a run (None: not measured there).
struct Measure {
    name: &'static str,
    show: fn(&Run) -> Option<(String, f64)>,
}

fn measures() -> Vec<Measure> {
    vec![
        Measure {
            name: "bytes, device → server",
            show: |r| Some((bytes(r.up), r.up as f64)),
        },
        Measure {
            name: "bytes, server → device",
            show: |r| Some((bytes(r.down), r.down as f64)),
        },
        Measure {
            name: "round trips / messages each way",
            show: |r| {
                Some((
                    format!(
                        "{} / {}",
                        thousands(r.messages_up),
                        thousands(r.messages_down)
                    ),
                    (r.messages_up + r.messages_down) as f64,
                ))
            },
        },
        Measure {
            name: "time",
            show: |r| Some((secs(r.secs), r.secs)),
        },
        Measure {
            name: "  records a second",
            show: |r| r.records_per_sec.map(|v| (thousands(v.round() as u64), v)),
        },
        Measure {
            name: "  p99 of a client's time",
            show: |r| r.p99_secs.map(|v| (secs(v), v)),
        },
        Measure {
            name: "server CPU (user + system)",
            show: |r| Some((format!("{:.2} s", r.cpu), r.cpu)),
        },
        Measure {
            name: "server peak memory (RSS)",
            show: |r| Some((format!("{:.0} MiB", r.peak_mib), r.peak_mib)),
        },
    ]
}

struct Scenario {
    name: String,
    ours: Outcome,
    theirs: Outcome,
}

fn cell(outcome: &Outcome, m: &Measure, first: bool, limit: Duration) -> (String, Option<f64>) {
    match outcome {
        Outcome::Done(r) => match (m.show)(r) {
            Some((text, v)) => (text, Some(v)),
            None => (String::new(), None),
        },
        Outcome::Stopped(r) => {
            if m.name == "time" {
                (format!("> {} s (stopped)", limit.as_secs()), None)
            } else {
                match (m.show)(r) {
                    Some((text, _))
                        if m.name.starts_with("bytes") || m.name.starts_with("round") =>
                    {
                        (format!("≥ {text} (by then)"), None)
                    }
                    Some((text, _)) if m.name.starts_with("server") => {
                        (format!("{text} (by then)"), None)
                    }
                    _ => (String::new(), None),
                }
            }
        }
        Outcome::Failed(why) | Outcome::Skipped(why) => {
            if first {
                (why.clone(), None)
            } else {
                ("—".into(), None)
            }
        }
    }
}

fn print_table(scenarios: &[Scenario], limit: Duration) {
    let mut rows: Vec<[String; 5]> = vec![[
        "scenario".into(),
        "measure".into(),
        "Jiazhan".into(),
        "automerge-repo".into(),
        "ratio (automerge-repo ÷ Jiazhan)".into(),
    ]];
    for s in scenarios {
        let mut first = true;
        for m in measures() {
            let shown = [&s.ours, &s.theirs]
                .iter()
                .any(|o| o.run().is_some_and(|r| (m.show)(r).is_some()));
            if !shown {
                continue;
            }
            let (ours, a) = cell(&s.ours, &m, first, limit);
            let (theirs, b) = cell(&s.theirs, &m, first, limit);
            let ratio = match (a, b) {
                (Some(a), Some(b)) if a > 0.0 => format!("{:.1}×", b / a),
                _ => String::new(),
            };
            rows.push([
                if first { s.name.clone() } else { String::new() },
                m.name.into(),
                ours,
                theirs,
                ratio,
            ]);
            first = false;
        }
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, text)| {
                let pad = widths[c] - text.chars().count();
                if c >= 2 && i > 0 {
                    format!("{}{text}", " ".repeat(pad))
                } else {
                    format!("{text}{}", " ".repeat(pad))
                }
            })
            .collect();
        println!("| {} |", cells.join(" | "));
        if i == 0 {
            let rule: Vec<String> = widths
                .iter()
                .enumerate()
                .map(|(c, w)| {
                    if c >= 2 {
                        format!("{}:", "-".repeat(w + 1))
                    } else {
                        "-".repeat(w + 2)
                    }
                })
                .collect();
            println!("|{}|", rule.join("|"));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Our server, as a child process.

struct OurServer {
    child: Child,
    pid: u32,
    addr: SocketAddr,
}

impl OurServer {
    fn start(db: &Path, log: &Path) -> OurServer {
        let config = db.with_extension("toml");
        std::fs::write(&config, BENCH_CONFIG_TOML).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_jiazhan-sync-server"))
            .arg("--config")
            .arg(&config)
            .arg("--db")
            .arg(db)
            .args(["--bind", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(append(log))
            .spawn()
            .expect("start jiazhan-sync-server");
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("server said {line:?}; see {}", log.display()))
            .parse()
            .unwrap();
        // Keep reading (and dropping) what it prints, so it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let pid = child.id();
        OurServer { child, pid, addr }
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn append(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

/// The server's CPU and peak memory over a stretch of work.
struct ServerWatch {
    pid: u32,
    cpu: f64,
}

impl ServerWatch {
    fn start(pid: u32) -> ServerWatch {
        reset_peak_rss(pid);
        ServerWatch {
            pid,
            cpu: process_cpu_secs(pid),
        }
    }

    /// (CPU seconds, peak RSS MiB) since `start`.
    fn stop(&self) -> (f64, f64) {
        (
            process_cpu_secs(self.pid) - self.cpu,
            process_peak_rss_mib(self.pid),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Our devices.

impl Device {
    /// The changes waiting in the outbox (all of them: fewer than one request's worth).
    fn outbox(&self) -> Vec<WireChange> {
        let store = self.store.lock().unwrap();
        let request = store.sync_request().unwrap();
        assert_eq!(store.outbox_len().unwrap(), request.changes.len());
        request.changes
    }
}

/// Our sync over HTTP as the app sends it (CBOR, gzipped over 1 KiB).
async fn post_sync(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    req: &SyncRequest,
) -> SyncResponse {
    let body = shared::protocol::to_cbor(req);
    let post = http
        .post(format!("{url}{SYNC_PATH}"))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, CBOR)
        .header(reqwest::header::ACCEPT, CBOR);
    let post = if body.len() > 1024 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&body).unwrap();
        post.header(reqwest::header::CONTENT_ENCODING, "gzip")
            .body(gz.finish().unwrap())
    } else {
        post.body(body)
    };
    let response = post.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    shared::protocol::from_cbor(&response.bytes().await.unwrap()).unwrap()
}

/// Exports what our server holds: a client of its own, reading as the town's coordinator.
struct Recorder {
    http: reqwest::Client,
    url: String,
    token: String,
    device: String,
}

impl Recorder {
    /// Every document the town's devices read, each saved whole (the protocol's
    /// bootstrap), and the cursor after them.
    async fn snapshot(&self) -> (Vec<(String, Vec<u8>)>, u64) {
        let mut docs = Vec::new();
        let mut request = SyncRequest {
            device_id: self.device.clone(),
            ..SyncRequest::default()
        };
        loop {
            let response = post_sync(&self.http, &self.url, &self.token, &request).await;
            docs.extend(response.documents.into_iter().map(|d| (d.doc_id, d.bytes)));
            match response.bootstrap {
                Some(b) => request.bootstrap = Some(b),
                None => return (docs, response.cursor),
            }
        }
    }
}

/// A bundle for the Node peers: {"docs": [{"id", "bytes" (base64)}]}.
fn write_bundle(path: &Path, docs: &[(String, Vec<u8>)]) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let docs: Vec<Value> = docs
        .iter()
        .map(|(id, bytes)| json!({"id": id, "bytes": b64.encode(bytes)}))
        .collect();
    std::fs::write(path, serde_json::to_vec(&json!({ "docs": docs })).unwrap()).unwrap();
}

/// Changes as a bundle: each document's changes, in order, one after another (Automerge
/// loads such a concatenation).
fn changes_bundle(changes: &[WireChange]) -> Vec<(String, Vec<u8>)> {
    let mut docs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for c in changes {
        docs.entry(c.doc_id.clone())
            .or_default()
            .extend_from_slice(&c.bytes);
    }
    docs.into_iter().collect()
}

// ---------------------------------------------------------------------------------------
// automerge-repo's peers.

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/automerge-repo")
}

fn peer_installed() -> bool {
    peer_dir()
        .join("node_modules/@automerge/automerge-repo/package.json")
        .exists()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Lines a child prints, read on a thread of their own.
fn lines_of(stdout: std::process::ChildStdout) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

fn last_lines(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// automerge-repo's sync server (server.mjs).
struct PeerServer {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    log: PathBuf,
}

impl PeerServer {
    /// Writes `bundle` into the storage at `dir` (a server run that exits once it is there).
    fn seed(dir: &Path, bundle: &Path, log: &Path) -> Result<(), String> {
        let status = Command::new("node")
            .current_dir(peer_dir())
            .arg("server.mjs")
            .arg("--dir")
            .arg(dir)
            .arg("--seed")
            .arg(bundle)
            .arg("--seed-only")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(append(log))
            .status()
            .map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("seeding failed ({status}): {}", last_lines(log, 3)))
        }
    }

    fn start(dir: &Path, log: &Path) -> Result<PeerServer, String> {
        let mut child = Command::new("node")
            .current_dir(peer_dir())
            .arg("server.mjs")
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(append(log))
            .spawn()
            .map_err(|e| e.to_string())?;
        let lines = lines_of(child.stdout.take().unwrap());
        let ready: Value = lines
            .recv_timeout(Duration::from_secs(60))
            .ok()
            .and_then(|l| serde_json::from_str(&l).ok())
            .ok_or_else(|| format!("server did not start: {}", last_lines(log, 3)))?;
        let port = ready["port"].as_u64().unwrap() as u16;
        Ok(PeerServer {
            pid: child.id(),
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log: log.to_owned(),
        })
    }

    /// Why it is no longer running, if it is not.
    fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!(
                "the automerge-repo server exited ({status}): {}",
                last_lines(&self.log, 4)
            )),
            _ => None,
        }
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An automerge-repo device (client.mjs).
struct PeerClient {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl PeerClient {
    fn start(storage: Option<&Path>, log: &Path) -> Result<PeerClient, String> {
        let mut command = Command::new("node");
        command.current_dir(peer_dir()).arg("client.mjs");
        if let Some(dir) = storage {
            command.arg("--dir").arg(dir);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(append(log))
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdin = child.stdin.take().unwrap();
        let lines = lines_of(child.stdout.take().unwrap());
        Ok(PeerClient {
            child,
            stdin,
            lines,
        })
    }

    /// Sends a command and waits at most `limit` for its answer.
    fn send(&mut self, command: Value, limit: Duration) -> Result<Value, String> {
        writeln!(self.stdin, "{command}").map_err(|e| format!("client gone: {e}"))?;
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    // Anything else a library printed is not an answer.
                    let Ok(answer) = serde_json::from_str::<Value>(&line) else {
                        continue;
                    };
                    if answer["ok"] == true {
                        return Ok(answer);
                    }
                    return Err(format!("client: {}", answer["error"]));
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "no answer to {} in {} s",
                        command["op"],
                        limit.as_secs()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("client exited during {}", command["op"]));
                }
            }
        }
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long loading documents into a Node peer may take (not measured).
const LOAD_LIMIT: Duration = Duration::from_secs(900);

/// A run of automerge-repo from a client's `sync` answer and what the proxy and /proc saw.
fn peer_run(answer: &Value, counter: &Counter, watch: &ServerWatch) -> Run {
    let (up, down, _) = counter.take();
    let (cpu, peak_mib) = watch.stop();
    Run {
        up,
        down,
        messages_up: answer["up_messages"].as_u64().unwrap_or(0),
        messages_down: answer["down_messages"].as_u64().unwrap_or(0),
        secs: answer["ms"].as_f64().unwrap_or(0.0) / 1e3,
        cpu,
        peak_mib,
        records_per_sec: None,
        p99_secs: None,
    }
}

/// The automerge-repo side of the benchmark: files, the time limit, the notes it leaves.
struct Peer {
    work: PathBuf,
    limit: Duration,
    notes: Vec<String>,
    runs: usize,
    /// Storage seeded with a bundle, to copy for each server that starts from it.
    seeded: BTreeMap<PathBuf, PathBuf>,
}

/// A Node server on a fresh storage seeded with `bundle`, and a proxy counting in front.
struct Stage {
    server: PeerServer,
    counter: Arc<Counter>,
    url: String,
}

impl Peer {
    fn path(&self, name: &str) -> PathBuf {
        self.work.join(name)
    }

    async fn stage(&mut self, seed: Option<&Path>) -> Result<Stage, String> {
        self.runs += 1;
        let dir = self.path(&format!("server-{}", self.runs));
        let log = self.path(&format!("server-{}.log", self.runs));
        if let Some(bundle) = seed {
            let template = match self.seeded.get(bundle) {
                Some(t) => t.clone(),
                None => {
                    let t = self.path(&format!("seeded-{}", self.seeded.len() + 1));
                    PeerServer::seed(&t, bundle, &log)?;
                    self.seeded.insert(bundle.to_owned(), t.clone());
                    t
                }
            };
            let copied = Command::new("cp")
                .arg("-a")
                .arg(&template)
                .arg(&dir)
                .status()
                .map_err(|e| e.to_string())?;
            if !copied.success() {
                return Err(format!("copying {} failed", template.display()));
            }
        }
        let server = PeerServer::start(&dir, &log)?;
        let counter = Arc::new(Counter::default());
        let proxy = counting_proxy(server.addr, counter.clone()).await;
        Ok(Stage {
            server,
            counter,
            url: format!("ws://{proxy}"),
        })
    }

    fn client(&mut self, name: &str, stored: bool) -> Result<PeerClient, String> {
        let dir = self.path(&format!("client-{name}-{}", self.runs));
        let log = self.path(&format!("client-{name}-{}.log", self.runs));
        PeerClient::start(stored.then_some(dir.as_path()), &log)
    }

    /// The sync command, bounded by the time limit.
    fn sync(&self, client: &mut PeerClient, extra: Value) -> Result<Value, String> {
        let mut command = json!({"op": "sync", "timeout_ms": self.limit.as_millis() as u64});
        if let (Value::Object(c), Value::Object(e)) = (&mut command, extra) {
            c.extend(e);
        }
        client.send(command, self.limit + Duration::from_secs(60))
    }

    /// A `sync` answer as an outcome; notes a server that exited.
    fn outcome(
        &mut self,
        stage: &mut Stage,
        what: &str,
        answer: Result<Value, String>,
        watch: &ServerWatch,
    ) -> Outcome {
        let exited = stage.server.exited();
        if let Some(why) = &exited {
            self.notes.push(format!("{what}: {why}"));
        }
        if let Some(sockets) = answer.as_ref().ok().and_then(|a| a["sockets"].as_u64())
            && sockets > 1
        {
            self.notes.push(format!(
                "{what}: the connection was dropped and reopened {} time(s) (see the client's log)",
                sockets - 1
            ));
        }
        match answer {
            Ok(a) if a["timed_out"] == true => {
                self.notes.push(format!(
                    "{what}: stopped after {} s with {} of {} documents in sync ({} held)",
                    self.limit.as_secs(),
                    a["in_sync"],
                    a["of"],
                    a["ready"]
                ));
                Outcome::Stopped(peer_run(&a, &stage.counter, watch))
            }
            Ok(a) => Outcome::Done(peer_run(&a, &stage.counter, watch)),
            Err(e) => {
                let why = exited.map_or(e.clone(), |x| format!("{e}; {x}"));
                self.notes.push(format!("{what}: {why}"));
                Outcome::Failed(if why.contains("exited") {
                    "server exited".into()
                } else {
                    "failed (see notes)".into()
                })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The scenarios.

/// What our side leaves for automerge-repo's: bundle files and counts to check against.
#[derive(Default)]
struct Exports {
    /// What every device holds after its first sync: the reference documents.
    reference: PathBuf,
    /// The one new record's change.
    one: PathBuf,
    /// Everything after the 5,000 records (what the idle and offline devices hold).
    held: PathBuf,
    held_docs: usize,
    held_records: usize,
    /// The documents the 300 records made elsewhere went to, as they were before.
    week_base: PathBuf,
    /// The 300 records made elsewhere, and the 50 made offline (changes).
    week_in: PathBuf,
    week_out: PathBuf,
    week_records: usize,
    /// Everything after the 30,000 records.
    full: PathBuf,
    full_docs: usize,
    full_records: usize,
    /// The swarm's documents, one new record each.
    swarm: PathBuf,
}

struct Ours {
    dir: tempfile::TempDir,
    db: PathBuf,
    log: PathBuf,
    server: Option<OurServer>,
    counter: Arc<Counter>,
    url: String,
}

impl Ours {
    fn pid(&self) -> u32 {
        self.server.as_ref().unwrap().pid
    }

    async fn start(&mut self) {
        let server = OurServer::start(&self.db, &self.log);
        self.counter = Arc::new(Counter::default());
        let proxy = counting_proxy(server.addr, self.counter.clone()).await;
        self.url = format!("http://{proxy}");
        self.server = Some(server);
    }

    fn direct_url(&self) -> String {
        format!("http://{}", self.server.as_ref().unwrap().addr)
    }

    fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }

    /// Times `work` (a device's sync) and takes what the proxy and /proc saw.
    async fn measure<F: std::future::Future<Output = ()>>(&self, work: F) -> Run {
        self.counter.take();
        let watch = ServerWatch::start(self.pid());
        let start = Instant::now();
        work.await;
        let secs = start.elapsed().as_secs_f64();
        let (up, down, requests) = self.counter.take();
        let (cpu, peak_mib) = watch.stop();
        Run {
            up,
            down,
            messages_up: requests,
            messages_down: requests,
            secs,
            cpu,
            peak_mib,
            records_per_sec: None,
            p99_secs: None,
        }
    }
}

fn create_account(storage: &SqliteStorage, username: &str, role: Role, scope: &str) {
    storage
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let limit = Duration::from_secs(
        std::env::var("COMPARE_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(300),
    );
    let installed = peer_installed();
    if !installed {
        shout_not_installed();
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().to_owned();
    let keep = std::env::var_os("COMPARE_KEEP").is_some();

    // Our server's database: the town's directory, the devices' accounts, the recorder's
    // session; made before the server starts (no server runs on it meanwhile).
    let db = work.join("server.db");
    let recorder_token = {
        let storage = SqliteStorage::open(&db).unwrap();
        storage.load_directory_if_missing(&directory()).unwrap();
        for name in ["a", "b", "offline", "fresh", "recorder"] {
            create_account(
                &storage,
                &format!("bench-{name}"),
                Role::SubdistrictCoordinator,
                TOWN,
            );
        }
        storage_session(&storage, "bench-recorder", "recorder")
    };
    let mut ours = Ours {
        dir: tempfile::tempdir_in(&work).unwrap(),
        db,
        log: work.join("jiazhan-server.log"),
        server: None,
        counter: Arc::default(),
        url: String::new(),
    };
    ours.start().await;
    let mut recorder = Recorder {
        http: reqwest::Client::new(),
        url: ours.direct_url(),
        token: recorder_token,
        device: "recorder".into(),
    };
    let mut ex = Exports {
        reference: work.join("reference.json"),
        one: work.join("one.json"),
        held: work.join("held.json"),
        week_base: work.join("week-base.json"),
        week_in: work.join("week-in.json"),
        week_out: work.join("week-out.json"),
        full: work.join("full.json"),
        swarm: work.join("swarm.json"),
        ..Exports::default()
    };
    let mut scenarios = Vec::new();
    let devices = ours.dir.path().to_owned();
    eprintln!("[compare] our side: one new record");

    // 1. One new ~1 KB record from an up-to-date device.
    let a = Device::new(&devices, "a", &ours.url).await;
    a.sync().await;
    write_bundle(&ex.reference, &recorder.snapshot().await.0);
    a.create(&input(0, 330));
    write_bundle(&ex.one, &changes_bundle(&a.outbox()));
    let one = ours
        .measure(async {
            a.sync().await;
        })
        .await;
    scenarios.push(Scenario {
        name: "one new ~1 KB record".into(),
        ours: Outcome::Done(one),
        theirs: Outcome::Skipped("not run".into()),
    });

    // 2. An idle sync of a device holding 5,000 documents.
    eprintln!("[compare] our side: idle sync");
    for i in 1..5_000 {
        a.create(&input(i * 7, 60));
    }
    a.sync().await;
    let b = Device::new(&devices, "b", &ours.url).await;
    b.sync().await;
    let held = b.store.lock().unwrap().document_count().unwrap();
    let (held_docs, _) = recorder.snapshot().await;
    ex.held_docs = held_docs.len();
    ex.held_records = b.count();
    write_bundle(&ex.held, &held_docs);
    let idle = ours
        .measure(async {
            b.sync().await;
        })
        .await;
    scenarios.push(Scenario {
        name: format!("idle sync, {} documents held", thousands(held as u64)),
        ours: Outcome::Done(idle),
        theirs: Outcome::Skipped("not run".into()),
    });

    // 3. A week offline: 300 records made elsewhere come in, 50 made here go out.
    eprintln!("[compare] our side: a week offline");
    let offline = Device::new(&devices, "offline", &ours.url).await;
    offline.sync().await;
    for i in 0..300 {
        a.create(&input(100_000 + i, 200));
    }
    let week_in = a.outbox();
    let touched: BTreeSet<&str> = week_in.iter().map(|c| c.doc_id.as_str()).collect();
    let base: Vec<(String, Vec<u8>)> = held_docs
        .iter()
        .filter(|(id, _)| touched.contains(id.as_str()))
        .cloned()
        .collect();
    write_bundle(&ex.week_base, &base);
    write_bundle(&ex.week_in, &changes_bundle(&week_in));
    a.sync().await;
    for i in 0..50 {
        offline.create(&input(200_000 + i, 200));
    }
    write_bundle(&ex.week_out, &changes_bundle(&offline.outbox()));
    let week = ours
        .measure(async {
            offline.sync().await;
        })
        .await;
    ex.week_records = offline.count();
    scenarios.push(Scenario {
        name: "a week offline (300 in, 50 out)".into(),
        ours: Outcome::Done(week),
        theirs: Outcome::Skipped("not run".into()),
    });
    drop(held_docs);

    // 4. A new device bootstrapping 30,000 records.
    eprintln!("[compare] our side: a new device's bootstrap");
    let have = a.count();
    for i in have..30_000 {
        a.create(&input(300_000 + i, 120));
    }
    a.sync().await;
    let (full_docs, cursor) = recorder.snapshot().await;
    ex.full_docs = full_docs.len();
    write_bundle(&ex.full, &full_docs);
    drop(full_docs);
    let fresh = Device::new(&devices, "fresh", &ours.url).await;
    let mut boot = ours
        .measure(async {
            fresh.sync().await;
        })
        .await;
    ex.full_records = fresh.count();
    boot.records_per_sec = Some(ex.full_records as f64 / boot.secs);
    scenarios.push(Scenario {
        name: format!(
            "a new device's bootstrap, {} records",
            thousands(ex.full_records as u64)
        ),
        ours: Outcome::Done(boot),
        theirs: Outcome::Skipped("not run".into()),
    });
    drop((a, b, offline, fresh));

    // 5. Many clients at once: each a station's staff, each saving one new record (in a
    // new document of its station) at the same moment, all already online.
    eprintln!("[compare] our side: {SWARM} clients at once");
    ours.stop();
    let swarm_tokens: Vec<(String, String)> = {
        let storage = SqliteStorage::open(&ours.db).unwrap();
        storage.load_directory(&swarm_directory()).unwrap();
        // Argon2 for each account: on both cores.
        let names: Vec<usize> = (0..SWARM).collect();
        std::thread::scope(|s| {
            for half in names.chunks(SWARM / 2 + 1) {
                let storage = storage.clone();
                s.spawn(move || {
                    for &k in half {
                        create_account(
                            &storage,
                            &format!("bench-swarm-{k:03}"),
                            Role::StationStaff,
                            &swarm_station(k).0,
                        );
                    }
                });
            }
        });
        (0..SWARM)
            .map(|k| {
                let device = format!("swarm-{k:03}");
                let token = storage_session(&storage, &format!("bench-swarm-{k:03}"), &device);
                (device, token)
            })
            .collect()
    };
    ours.start().await;
    recorder.url = ours.direct_url();
    // The swarm's town came in after the recorder's last snapshot: its cursor now.
    let cursor = {
        let response = post_sync(
            &recorder.http,
            &recorder.url,
            &recorder.token,
            &SyncRequest {
                device_id: recorder.device.clone(),
                cursor,
                ..SyncRequest::default()
            },
        )
        .await;
        response.cursor
    };
    let records: Vec<(String, automerge::AutoCommit)> = (0..SWARM).map(swarm_record).collect();
    write_bundle(
        &ex.swarm,
        &records
            .iter()
            .map(|(id, doc)| (id.clone(), doc.clone().save()))
            .collect::<Vec<_>>(),
    );
    let swarm = ours_swarm(&ours, swarm_tokens.clone(), records, cursor).await;
    scenarios.push(Scenario {
        name: format!("{SWARM} clients at once, one new record each"),
        ours: Outcome::Done(swarm),
        theirs: Outcome::Skipped("not run".into()),
    });
    let our_pid = ours.pid();
    let our_peak_total = process_peak_rss_mib(our_pid);
    eprintln!(
        "[compare] our side done in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // automerge-repo's side, with the same documents.
    let mut peer = Peer {
        work: work.clone(),
        limit,
        notes: Vec::new(),
        runs: 0,
        seeded: BTreeMap::new(),
    };
    let mut survives = (String::new(), String::new());
    let mut preparation = Vec::new();
    if installed {
        let t = Instant::now();
        peer_side(&mut peer, &ex, &mut scenarios, &mut preparation).await;
        eprintln!(
            "[compare] automerge-repo's side done in {:.0} s",
            t.elapsed().as_secs_f64()
        );
        survives = leaving_mid_sync(&mut peer, &ours, &ex, &swarm_tokens[0], cursor).await;
    }
    ours.stop();

    // The table.
    println!();
    println!(
        "Sync comparison, {} (automerge-repo's steps stopped after {} s):",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        limit.as_secs()
    );
    println!();
    let mut all = scenarios;
    all.extend(preparation);
    print_table(&all, limit);
    if installed {
        println!();
        println!(
            "| a client leaves right after its first sync of a new document began: server still serving 75 s later | Jiazhan: {} | automerge-repo: {} |",
            survives.0, survives.1
        );
    }
    println!();
    println!("Notes:");
    println!(
        "- documents: {} held after the 5,000 records (our device b: {} records), {} after the 30,000 ({} records on the new device); a week offline left {} records on the offline device",
        thousands(ex.held_docs as u64),
        thousands(ex.held_records as u64),
        thousands(ex.full_docs as u64),
        thousands(ex.full_records as u64),
        thousands(ex.week_records as u64),
    );
    println!(
        "- our server: the release binary as a child process; its peak memory over the whole run {our_peak_total:.0} MiB"
    );
    if installed {
        for note in &peer.notes {
            println!("- automerge-repo: {note}");
        }
        println!("- versions: {}", peer_versions());
    } else {
        shout_not_installed();
    }
    println!(
        "- the whole run took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if keep {
        let kept = dir.keep();
        println!("- files kept in {}", kept.display());
    }
}

fn shout_not_installed() {
    let banner = "!".repeat(88);
    for line in [
        banner.as_str(),
        "!! automerge-repo is NOT installed: ONLY OUR SIDE RUNS, the comparison column stays empty.",
        "!! Install it (into sync-server/benches/automerge-repo/node_modules, nothing system-wide)",
        "!! and run the whole comparison with:",
        "!!     bash sync-server/benches/automerge-repo/run.sh",
        "!! (needs node and npm on PATH).",
        banner.as_str(),
    ] {
        eprintln!("{line}");
        println!("{line}");
    }
}

fn peer_versions() -> String {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut versions = vec![format!("node {node}")];
    for package in [
        "@automerge/automerge-repo",
        "@automerge/automerge-repo-network-websocket",
        "@automerge/automerge-repo-storage-nodefs",
        "@automerge/automerge",
        "ws",
    ] {
        let manifest = peer_dir()
            .join("node_modules")
            .join(package)
            .join("package.json");
        let version = std::fs::read_to_string(manifest)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["version"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "?".into());
        versions.push(format!("{package} {version}"));
    }
    versions.join(", ")
}

/// Our side of many clients at once: each client its own connection, warmed by an idle
/// sync; then all push their record at the same moment.
async fn ours_swarm(
    ours: &Ours,
    tokens: Vec<(String, String)>,
    records: Vec<(String, automerge::AutoCommit)>,
    cursor: u64,
) -> Run {
    let ready = Arc::new(tokio::sync::Barrier::new(SWARM + 1));
    let go = Arc::new(tokio::sync::Barrier::new(SWARM + 1));
    let tasks: Vec<_> = tokens
        .into_iter()
        .zip(records)
        .map(|((device, token), (doc_id, mut doc))| {
            let (url, ready, go) = (ours.url.clone(), ready.clone(), go.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let warm = post_sync(
                    &http,
                    &url,
                    &token,
                    &SyncRequest {
                        device_id: device.clone(),
                        cursor,
                        ..SyncRequest::default()
                    },
                )
                .await;
                let change = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
                ready.wait().await;
                go.wait().await;
                let t = Instant::now();
                let response = post_sync(
                    &http,
                    &url,
                    &token,
                    &SyncRequest {
                        device_id: device,
                        cursor: warm.cursor,
                        changes: vec![wire(&doc_id, change)],
                        ..SyncRequest::default()
                    },
                )
                .await;
                assert_eq!(response.acknowledged.len(), 1);
                t.elapsed()
            })
        })
        .collect();
    ready.wait().await;
    ours.counter.take();
    let watch = ServerWatch::start(ours.pid());
    let start = Instant::now();
    go.wait().await;
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    let (up, down, requests) = ours.counter.take();
    let (cpu, peak_mib) = watch.stop();
    times.sort();
    Run {
        up,
        down,
        messages_up: requests,
        messages_down: requests,
        secs,
        cpu,
        peak_mib,
        records_per_sec: None,
        p99_secs: Some(common::percentile(&times, 99) / 1e3),
    }
}

/// The scenarios through automerge-repo.
async fn peer_side(
    peer: &mut Peer,
    ex: &Exports,
    scenarios: &mut [Scenario],
    preparation: &mut Vec<Scenario>,
) {
    let load = |client: &mut PeerClient, bundle: &Path| {
        client.send(json!({"op": "load", "bundle": bundle}), LOAD_LIMIT)
    };

    // 1. One new record: a device holding the reference documents, in sync.
    eprintln!("[compare] automerge-repo: one new record");
    scenarios[0].theirs = match async {
        let mut stage = peer.stage(Some(&ex.reference)).await?;
        let mut a = peer.client("a", true)?;
        load(&mut a, &ex.reference)?;
        a.send(
            json!({"op": "connect", "url": stage.url}),
            Duration::from_secs(60),
        )?;
        let first = peer.sync(&mut a, json!({}))?;
        if first["timed_out"] == true {
            return Err("preparation: its first sync did not finish".into());
        }
        a.send(json!({"op": "mark"}), Duration::from_secs(10))?;
        stage.counter.take();
        let watch = ServerWatch::start(stage.server.pid);
        load(&mut a, &ex.one)?;
        let answer = peer.sync(&mut a, json!({"touched": true}));
        let outcome = peer.outcome(&mut stage, "one new record", answer, &watch);
        a.kill();
        stage.server.stop();
        Ok::<_, String>(outcome)
    }
    .await
    {
        Ok(o) => o,
        Err(e) => {
            peer.notes.push(format!("one new record: {e}"));
            Outcome::Failed("failed (see notes)".into())
        }
    };

    // 2. and 3. The idle sync, then a week offline, of one device (b) holding what our
    // devices b and offline held; it is in sync (a first sync) before either.
    eprintln!("[compare] automerge-repo: idle reconnect");
    let (idle, week, first) = peer_idle_and_week(peer, ex).await;
    scenarios[1].theirs = idle;
    scenarios[2].theirs = week;
    preparation.push(Scenario {
        name: format!(
            "(preparation) first sync of {} documents both sides hold",
            thousands(ex.held_docs as u64)
        ),
        ours: Outcome::Skipped("— (never needed: a cursor)".into()),
        theirs: first,
    });

    // 4. A new device fetching every document (it has to know their ids: we give them):
    // asking for all at once, as `find` invites, and 200 at a time.
    eprintln!("[compare] automerge-repo: a new device's bootstrap (all at once)");
    scenarios[3].theirs = peer_bootstrap(peer, ex, None).await;
    eprintln!("[compare] automerge-repo: a new device's bootstrap (200 at a time)");
    preparation.insert(
        0,
        Scenario {
            name: format!(
                "a new device's bootstrap, {} records; automerge-repo asking for 200 documents at a time",
                thousands(ex.full_records as u64)
            ),
            ours: Outcome::Skipped("(as above)".into()),
            theirs: peer_bootstrap(peer, ex, Some(200)).await,
        },
    );

    // 5. Many clients at once, each with its own document (in memory), on a server
    // holding everything (from its storage).
    eprintln!("[compare] automerge-repo: {SWARM} clients at once");
    scenarios[4].theirs = match async {
        let mut stage = peer.stage(Some(&ex.full)).await?;
        let mut swarm = peer.client("swarm", false)?;
        let limit = peer.limit;
        swarm.send(
            json!({"op": "swarm_connect", "n": SWARM, "url": stage.url, "bundle": ex.swarm}),
            Duration::from_secs(300),
        )?;
        stage.counter.take();
        let watch = ServerWatch::start(stage.server.pid);
        let answer = swarm.send(
            json!({"op": "swarm_go", "timeout_ms": limit.as_millis() as u64}),
            limit + Duration::from_secs(60),
        );
        let outcome = match answer {
            Ok(a) => {
                let mut run = peer_run(&a, &stage.counter, &watch);
                run.p99_secs = a["p99_ms"].as_f64().map(|v| v / 1e3);
                if a["timed_out"] == true {
                    peer.notes.push(format!(
                        "{SWARM} clients: stopped after {} s with {} clients in sync",
                        limit.as_secs(),
                        a["in_sync"]
                    ));
                    Outcome::Stopped(run)
                } else {
                    Outcome::Done(run)
                }
            }
            Err(e) => {
                peer.notes.push(format!("{SWARM} clients: {e}"));
                Outcome::Failed("failed (see notes)".into())
            }
        };
        if let Some(why) = stage.server.exited() {
            peer.notes.push(format!("{SWARM} clients: {why}"));
        }
        swarm.kill();
        stage.server.stop();
        Ok::<_, String>(outcome)
    }
    .await
    {
        Ok(o) => o,
        Err(e) => {
            peer.notes.push(format!("{SWARM} clients: {e}"));
            Outcome::Failed("failed (see notes)".into())
        }
    };
}

/// automerge-repo: a new device fetching every document, all at once or `batch` at a time.
async fn peer_bootstrap(peer: &mut Peer, ex: &Exports, batch: Option<usize>) -> Outcome {
    let what = match batch {
        None => "bootstrap (all at once)".to_owned(),
        Some(n) => format!("bootstrap ({n} at a time)"),
    };
    let result = async {
        let mut stage = peer.stage(Some(&ex.full)).await?;
        let mut fresh = peer.client("fresh", true)?;
        fresh.send(json!({"op": "mark"}), Duration::from_secs(10))?;
        stage.counter.take();
        let watch = ServerWatch::start(stage.server.pid);
        fresh.send(
            json!({"op": "connect", "url": stage.url}),
            Duration::from_secs(60),
        )?;
        let answer = peer.sync(&mut fresh, json!({"find": ex.full, "batch": batch}));
        let mut outcome = peer.outcome(&mut stage, &what, answer, &watch);
        if let Outcome::Done(_) | Outcome::Stopped(_) = outcome {
            let count = fresh.send(json!({"op": "count"}), LOAD_LIMIT)?;
            let got = count["activities"].as_u64().unwrap_or(0);
            match &mut outcome {
                Outcome::Done(run) => {
                    run.records_per_sec = Some(got as f64 / run.secs);
                    if got as usize != ex.full_records {
                        peer.notes.push(format!(
                            "{what}: the new device holds {got} records, ours {}",
                            ex.full_records
                        ));
                    }
                }
                _ => peer.notes.push(format!(
                    "{what}: by then the new device held {} of {} records",
                    thousands(got),
                    thousands(ex.full_records as u64)
                )),
            }
        }
        fresh.kill();
        stage.server.stop();
        Ok::<_, String>(outcome)
    }
    .await;
    result.unwrap_or_else(|e| {
        peer.notes.push(format!("{what}: {e}"));
        Outcome::Failed("failed (see notes)".into())
    })
}

/// automerge-repo: the idle reconnect of a device holding the 5,000 documents, then a
/// week offline of the same device; and the first sync that puts it in sync before.
async fn peer_idle_and_week(peer: &mut Peer, ex: &Exports) -> (Outcome, Outcome, Outcome) {
    let failed = |peer: &mut Peer, what: &str, e: String| {
        peer.notes.push(format!("{what}: {e}"));
        Outcome::Failed("failed (see notes)".into())
    };
    let mut stage = match peer.stage(Some(&ex.held)).await {
        Ok(s) => s,
        Err(e) => {
            let f = failed(peer, "idle reconnect", e);
            return (f.clone(), f.clone(), f);
        }
    };
    let mut b = match peer.client("b", true) {
        Ok(c) => c,
        Err(e) => {
            let f = failed(peer, "idle reconnect", e);
            return (f.clone(), f.clone(), f);
        }
    };
    let result = async {
        b.send(json!({"op": "load", "bundle": ex.held}), LOAD_LIMIT)?;
        // The first sync (preparation): both hold the documents, neither has a sync state.
        b.send(json!({"op": "mark"}), Duration::from_secs(10))?;
        stage.counter.take();
        let watch = ServerWatch::start(stage.server.pid);
        b.send(
            json!({"op": "connect", "url": stage.url}),
            Duration::from_secs(60),
        )?;
        let answer = peer.sync(&mut b, json!({}));
        let first = peer.outcome(
            &mut stage,
            "first sync of the held documents",
            answer,
            &watch,
        );
        if !matches!(first, Outcome::Done(_)) {
            let not = Outcome::Failed("not run: the first sync before it did not finish".into());
            return Ok((not.clone(), not, first));
        }

        // The idle reconnect.
        eprintln!("[compare] automerge-repo: idle reconnect (measured)");
        b.send(json!({"op": "disconnect"}), Duration::from_secs(30))?;
        b.send(json!({"op": "mark"}), Duration::from_secs(10))?;
        stage.counter.take();
        let watch = ServerWatch::start(stage.server.pid);
        b.send(
            json!({"op": "connect", "url": stage.url}),
            Duration::from_secs(60),
        )?;
        let answer = peer.sync(&mut b, json!({}));
        let idle = peer.outcome(&mut stage, "idle reconnect", answer, &watch);
        if !matches!(idle, Outcome::Done(_)) {
            let not =
                Outcome::Failed("not run: the idle reconnect before it did not finish".into());
            return Ok((idle, not, first));
        }

        // A week offline: b leaves; device a, holding the documents the 300 records go
        // to, gets in sync, makes them and syncs; b makes its 50 and comes back.
        eprintln!("[compare] automerge-repo: a week offline");
        b.send(json!({"op": "disconnect"}), Duration::from_secs(30))?;
        let mut a = peer.client("a", true)?;
        a.send(json!({"op": "load", "bundle": ex.week_base}), LOAD_LIMIT)?;
        a.send(json!({"op": "mark"}), Duration::from_secs(10))?;
        a.send(
            json!({"op": "connect", "url": stage.url}),
            Duration::from_secs(60),
        )?;
        let before = peer.sync(&mut a, json!({}))?;
        a.send(json!({"op": "mark"}), Duration::from_secs(10))?;
        a.send(json!({"op": "load", "bundle": ex.week_in}), LOAD_LIMIT)?;
        let pushed = peer.sync(&mut a, json!({"touched": true}))?;
        a.send(json!({"op": "disconnect"}), Duration::from_secs(30))?;
        a.kill();
        if before["timed_out"] == true || pushed["timed_out"] == true {
            peer.notes.push(format!(
                "a week offline: device a, before: {before}; pushing its 300 records: {pushed}"
            ));
            return Ok((
                idle,
                Outcome::Failed("not run: device a did not get its records to the server".into()),
                first,
            ));
        }
        b.send(json!({"op": "load", "bundle": ex.week_out}), LOAD_LIMIT)?;
        b.send(json!({"op": "mark"}), Duration::from_secs(10))?;
        stage.counter.take();
        let watch = ServerWatch::start(stage.server.pid);
        b.send(
            json!({"op": "connect", "url": stage.url}),
            Duration::from_secs(60),
        )?;
        let answer = peer.sync(&mut b, json!({"find": ex.week_in}));
        let week = peer.outcome(&mut stage, "a week offline", answer, &watch);
        if matches!(week, Outcome::Done(_)) {
            let count = b.send(json!({"op": "count"}), LOAD_LIMIT)?;
            let got = count["activities"].as_u64().unwrap_or(0) as usize;
            if got != ex.week_records {
                peer.notes.push(format!(
                    "a week offline: the device holds {got} records afterwards, ours {}",
                    ex.week_records
                ));
            }
        }
        Ok::<_, String>((idle, week, first))
    }
    .await;
    b.kill();
    let result = result.unwrap_or_else(|e| {
        let f = failed(peer, "idle reconnect / a week offline", e);
        (f.clone(), f.clone(), f)
    });
    stage.server.stop();
    result
}

/// Whether each server still serves 75 s after a client left right after its first sync
/// of a new document began (automerge-repo's waits 60 s for a document to become ready).
/// Ours: a sync request pushing the new record, cut off halfway through its body.
async fn leaving_mid_sync(
    peer: &mut Peer,
    ours: &Ours,
    ex: &Exports,
    swarm: &(String, String),
    cursor: u64,
) -> (String, String) {
    eprintln!("[compare] a client leaving in the middle of a first sync (75 s)");
    // Ours.
    let (device, token) = swarm;
    let (doc_id, mut doc) = swarm_record(0);
    let change = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
    let body = shared::protocol::to_cbor(&SyncRequest {
        device_id: device.clone(),
        cursor,
        changes: vec![wire(&doc_id, change)],
        ..SyncRequest::default()
    });
    let addr = ours.server.as_ref().unwrap().addr;
    {
        use tokio::io::AsyncWriteExt as _;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST {SYNC_PATH} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: {CBOR}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body[..body.len() / 2]).await.unwrap();
        s.flush().await.unwrap();
    }
    // Theirs.
    let theirs = async {
        let stage = peer.stage(None).await?;
        let mut c = peer.client("leaving", true)?;
        c.send(
            json!({"op": "connect", "url": stage.url}),
            Duration::from_secs(60),
        )?;
        c.send(
            json!({"op": "leave", "bundle": ex.one}),
            Duration::from_secs(60),
        )?;
        c.kill();
        Ok::<_, String>(stage)
    }
    .await;
    tokio::time::sleep(Duration::from_secs(75)).await;
    let ours_ok = {
        let http = reqwest::Client::new();
        let alive = std::fs::metadata(format!("/proc/{}", ours.pid())).is_ok();
        let served = http
            .post(format!("http://{addr}{SYNC_PATH}"))
            .bearer_auth(token)
            .json(&SyncRequest {
                device_id: device.clone(),
                cursor,
                ..SyncRequest::default()
            })
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if alive && served {
            "yes".into()
        } else {
            "no".into()
        }
    };
    let theirs_ok = match theirs {
        Ok(mut stage) => {
            let answer = match stage.server.exited() {
                Some(why) => {
                    peer.notes.push(format!("a client leaving mid-sync: {why}"));
                    "no: it exited (see notes)".into()
                }
                None => "yes".into(),
            };
            stage.server.stop();
            answer
        }
        Err(e) => {
            peer.notes.push(format!("a client leaving mid-sync: {e}"));
            "not run (see notes)".into()
        }
    };
    (ours_ok, theirs_ok)
}
