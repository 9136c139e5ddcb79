//! What the server benchmarks share: accounts and sessions made without Argon2,
//! changes on the wire, ordinary devices syncing about once a second, percentiles and
//! peak memory.
#![allow(dead_code)]

pub mod town;

use std::time::{Duration, Instant};

use automerge::transaction::Transactable as _;
use automerge::{ActorId, AutoCommit, ROOT};
use shared::model::Role;
use shared::protocol::{SYNC_PATH, SyncRequest, WireChange};
use sync_server::storage::NewSession;
use sync_server::{NewAccount, RunningServer};

/// A server's configuration for a benchmark on `database`, on a free loopback port:
/// its clients stand for devices on many networks, but all connect from 127.0.0.1, so
/// the cap on one network's connections is lifted.
pub fn bench_config(database: impl Into<sync_server::Database>) -> sync_server::Config {
    sync_server::Config {
        connections_per_network: usize::MAX,
        ..sync_server::Config::new(database, "127.0.0.1:0".parse().unwrap())
    }
}

/// The same for the server binary: a configuration file (TOML) to pass with
/// `--config`.
pub const BENCH_CONFIG_TOML: &str = "connections_per_network = 4000000000\n";

/// A session for a new account `name` (opened as a sign-in does, without Argon2 for
/// each of a hundred accounts).
pub fn session(server: &RunningServer, name: &str, station: &str, device: &str) -> String {
    server
        .storage
        .create_account(
            &NewAccount {
                username: name.into(),
                display_name: name.into(),
                role: Role::StationStaff,
                scope_id: Some(station.into()),
                deputy_id: None,
            },
            "bench password 1",
        )
        .unwrap();
    device_session(server, name, device)
}

/// A session of account `name` for `device`, opened as a sign-in does (without Argon2);
/// its token.
pub fn device_session(server: &RunningServer, name: &str, device: &str) -> String {
    let account_id = server
        .storage
        .credentials(name, device)
        .unwrap()
        .unwrap()
        .account_id;
    let (token, token_hash) = sync_server::auth::new_token().unwrap();
    let now = chrono::Utc::now().timestamp();
    server
        .storage
        .open_session(&NewSession {
            account_id,
            token_hash,
            device_id: device.into(),
            device_name: "bench".into(),
            now,
            expires_at: now + 3600,
        })
        .unwrap();
    token
}

/// Idle syncs (nothing to push, at `cursor`) of one device, back to back until
/// `deadline`; each one's time.
pub async fn idle_syncs(
    http: reqwest::Client,
    url: String,
    token: String,
    device: String,
    cursor: u64,
    deadline: Instant,
) -> Vec<Duration> {
    let request = SyncRequest {
        device_id: device,
        cursor,
        ..SyncRequest::default()
    };
    let mut times = Vec::new();
    while Instant::now() < deadline {
        let t = Instant::now();
        let r = http
            .post(format!("{url}{SYNC_PATH}"))
            .bearer_auth(&token)
            .json(&request)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        r.bytes().await.unwrap();
        times.push(t.elapsed());
    }
    times
}

pub fn wire(doc_id: &str, bytes: Vec<u8>) -> WireChange {
    WireChange {
        doc_id: doc_id.into(),
        kind: doc_id.split('/').next().unwrap_or_default().into(),
        bytes,
    }
}

/// Random-looking text of `len` bytes (so no layer compresses it away).
pub fn noise(len: usize, seed: u64) -> String {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn percentile(sorted: &[Duration], p: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// 100 ordinary devices for `secs` seconds; their sorted latencies.
pub async fn ordinary(url: &str, devices: &[(String, String, String)], secs: u64) -> Vec<Duration> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let http = reqwest::Client::new();
    let tasks: Vec<_> = devices
        .iter()
        .enumerate()
        .map(|(i, (device, token, doc))| {
            let (http, url, device, token, doc) = (
                http.clone(),
                url.to_owned(),
                device.clone(),
                token.clone(),
                doc.clone(),
            );
            tokio::spawn(async move {
                let actor = ActorId::random();
                let mut am = AutoCommit::new().with_actor(actor);
                let mut cursor = 0u64;
                let mut mine = vec![];
                // Spread the starts over the first second.
                tokio::time::sleep(Duration::from_millis((i as u64 * 10) % 1000)).await;
                while Instant::now() < deadline {
                    am.put(ROOT, format!("note{}", mine.len()), noise(300, i as u64))
                        .unwrap();
                    am.commit();
                    let change = am.get_last_local_change().unwrap().raw_bytes().to_vec();
                    let t = Instant::now();
                    let r = http
                        .post(format!("{url}{SYNC_PATH}"))
                        .bearer_auth(&token)
                        .json(&SyncRequest {
                            device_id: device.clone(),
                            cursor,
                            changes: vec![wire(&doc, change)],
                            bootstrap: None,
                            key_cursor: 0,
                            keys: Vec::new(),
                        })
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success(), "{}", r.status());
                    let body: shared::protocol::SyncResponse = r.json().await.unwrap();
                    mine.push(t.elapsed());
                    if !body.more {
                        cursor = body.cursor;
                    }
                    tokio::time::sleep(Duration::from_millis(1000)).await;
                }
                mine
            })
        })
        .collect();
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    all
}

/// Bytes and HTTP requests through a [`counting_proxy`].
#[derive(Default)]
pub struct Counter {
    pub up: std::sync::atomic::AtomicU64,
    pub down: std::sync::atomic::AtomicU64,
    pub requests: std::sync::atomic::AtomicU64,
}

impl Counter {
    /// (bytes up, bytes down, requests) since the last take.
    pub fn take(&self) -> (u64, u64, u64) {
        use std::sync::atomic::Ordering::SeqCst;
        (
            self.up.swap(0, SeqCst),
            self.down.swap(0, SeqCst),
            self.requests.swap(0, SeqCst),
        )
    }
}

/// A TCP proxy on 127.0.0.1 that counts what passes each way (HTTP headers and bodies,
/// WebSocket frames: whatever the connection carries) and the HTTP requests started;
/// returns its address.
pub async fn counting_proxy(
    to: std::net::SocketAddr,
    counter: std::sync::Arc<Counter>,
) -> std::net::SocketAddr {
    use std::sync::atomic::Ordering::SeqCst;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(to).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = {
                    let counter = counter.clone();
                    async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n) = cr.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                            counter.up.fetch_add(n as u64, SeqCst);
                            let posts = buf[..n].windows(5).filter(|w| w == b"POST ").count();
                            counter.requests.fetch_add(posts as u64, SeqCst);
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = sw.shutdown().await;
                    }
                };
                let down = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = sr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        counter.down.fetch_add(n as u64, SeqCst);
                        if cw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = cw.shutdown().await;
                };
                tokio::join!(up, down);
            });
        }
    });
    addr
}

/// A session of account `name` for `device` in `storage` (a server's database, opened
/// while no server runs on it), opened as a sign-in does (without Argon2); its token.
pub fn storage_session(storage: &sync_server::SqliteStorage, name: &str, device: &str) -> String {
    let account_id = storage
        .credentials(name, device)
        .unwrap()
        .unwrap()
        .account_id;
    let (token, token_hash) = sync_server::auth::new_token().unwrap();
    let now = chrono::Utc::now().timestamp();
    storage
        .open_session(&NewSession {
            account_id,
            token_hash,
            device_id: device.into(),
            device_name: "bench".into(),
            now,
            expires_at: now + 24 * 3600,
        })
        .unwrap();
    token
}

/// CPU time (user and system, seconds) process `pid` has used, from /proc.
pub fn process_cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (in parentheses, which may hold spaces):
    // utime and stime are the 12th and 13th, in clock ticks (USER_HZ, 100 on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// A `Vm…` line of /proc/<pid>/status, in MiB.
fn process_status_mib(pid: u32, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resident memory of process `pid` now, MiB.
pub fn process_rss_mib(pid: u32) -> f64 {
    process_status_mib(pid, "VmRSS:")
}

/// The most resident memory process `pid` has had since it started or since
/// [`reset_peak_rss`], MiB.
pub fn process_peak_rss_mib(pid: u32) -> f64 {
    process_status_mib(pid, "VmHWM:")
}

/// Starts counting process `pid`'s peak resident memory again from now (Linux resets it
/// on writing 5 to clear_refs; our own children only). Whether it could.
pub fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}
