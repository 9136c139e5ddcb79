//! The sync benchmark's scenarios (benches/sync.rs) through our server and through
//! automerge-repo, with the same documents, printed as one markdown table. Run it with
//! `bash sync-server/benches/automerge-repo/run.sh`, which installs the pinned npm packages
//! into that folder first (never CI); without them only our side runs, and it says so.
//!
//! - Our side: the real server binary (`jiazhan-sync-server`, built with this bench) as a
//!   child process on a fresh database, and devices of the app (`Store` + `SyncClient`),
//!   as in sync.rs: the same records, the same counts. The records made elsewhere before
//!   a scenario (4,999 before the idle sync, the rest of the 30,000 before the bootstrap)
//!   are written as the app writes them and pushed as the app pushes them by a device of
//!   the recorder's (`Recorder::push_records`), not saved one encrypted-store transaction
//!   at a time first (20 minutes that measured nothing); the measured devices make
//!   theirs through the store.
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
//!   document's server heads as automerge-repo records them (`DocHandle::getSyncInfo`) are
//!   its heads, those with news after a message from the server about them, and then
//!   until the last message before the connection goes quiet), as the device sees it;
//! - the server process's CPU time (user + system) and peak resident memory, from /proc
//!   (the peak reset before each scenario).
//!
//! Every automerge-repo step is bounded (COMPARE_TIMEOUT_SECS, 300 s by default); one that
//! runs out is reported as stopped. A Node server that exits is reported, and the next
//! scenario starts a new one. `COMPARE_ONLY=week,bootstrap` runs chosen scenarios (see
//! run.sh).

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
use shared::ActivityInput;
use shared::model::Role;
use shared::protocol::{CBOR, SYNC_PATH, SyncRequest, SyncResponse, WireChange};
use sync_server::{NewAccount, SqliteStorage};

#[path = "../common/mod.rs"]
mod common;
mod ours;
mod peer;
mod peer_side;
mod table;
use common::town::{Device, PASSWORD, TOWN, directory, input, today};
use common::{
    BENCH_CONFIG_TOML, Counter, counting_proxy, process_cpu_secs, process_peak_rss_mib,
    reset_peak_rss, storage_session, wire,
};

/// The scenarios, in the order they run, as `COMPARE_ONLY` names them; `bootstrap-all`
/// (automerge-repo's new device asking for every document at once) runs only when named.
pub const SCENARIOS: [&str; 6] = ["one", "idle", "week", "bootstrap", "swarm", "leave"];
pub const OPT_IN: [&str; 1] = ["bootstrap-all"];

/// The scenarios a run measures: `COMPARE_ONLY=week,bootstrap` (comma-separated names of
/// [`SCENARIOS`] and [`OPT_IN`]); every one of [`SCENARIOS`] without it. Our side still
/// makes what a chosen scenario starts from (the records of the scenarios before it).
pub struct Only(BTreeSet<String>);

impl Only {
    fn from_env() -> Only {
        let Ok(list) = std::env::var("COMPARE_ONLY") else {
            return Only(SCENARIOS.iter().map(|s| s.to_string()).collect());
        };
        let chosen: BTreeSet<String> = list
            .split(',')
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        for name in &chosen {
            assert!(
                SCENARIOS.contains(&name.as_str()) || OPT_IN.contains(&name.as_str()),
                "COMPARE_ONLY: no scenario {name:?}; the scenarios are {}",
                [&SCENARIOS[..], &OPT_IN[..]].concat().join(", ")
            );
        }
        Only(chosen)
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// Whether `name` or a scenario after it runs: what it starts from has to be made.
    pub fn from(&self, name: &str) -> bool {
        let at = |n: &str| match n {
            "bootstrap-all" => 3,
            n => SCENARIOS.iter().position(|s| *s == n).unwrap(),
        };
        self.0.iter().any(|n| at(n) >= at(name))
    }

    pub fn all(&self) -> bool {
        SCENARIOS.iter().all(|s| self.has(s))
    }
}

/// A scenario not chosen by `COMPARE_ONLY`.
pub fn not_chosen() -> Outcome {
    Outcome::Skipped("not chosen (COMPARE_ONLY)".into())
}

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

use ours::*;
use peer::*;
use peer_side::*;
use table::*;

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
    let only = Only::from_env();
    if !only.all() {
        eprintln!(
            "[compare] COMPARE_ONLY: {}",
            only.0.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let scenario = |name: &str| Scenario {
        name: name.into(),
        ours: not_chosen(),
        theirs: not_chosen(),
    };
    let mut scenarios = vec![
        scenario("one new ~1 KB record"),
        scenario("idle sync"),
        scenario("a week offline (300 in, 50 out)"),
        scenario("a new device's bootstrap"),
        scenario(&format!("{SWARM} clients at once, one new record each")),
    ];
    // What the swarm's and the leaving client's scenarios start from.
    let mut swarm_tokens: Vec<(String, String)> = Vec::new();
    let mut cursor = 0;
    let devices = ours.dir.path().to_owned();
    // Our side, as far as the chosen scenarios need.
    'ours: {
        // 1. One new ~1 KB record from an up-to-date device.
        eprintln!("[compare] our side: one new record");
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
        if only.has("one") {
            scenarios[0].ours = Outcome::Done(one);
        }
        if !only.from("idle") {
            break 'ours;
        }

        // 2. An idle sync of a device holding 5,000 documents: 4,999 records more, made
        // elsewhere (pushed by the recorder as a device makes them: see
        // `Recorder::push_records`), which device a then receives.
        eprintln!("[compare] our side: idle sync");
        let t = Instant::now();
        recorder
            .push_records((1..5_000).map(|i| input(i * 7, 60)))
            .await;
        a.sync().await;
        eprintln!(
            "[compare] our side: 4,999 records made and synced in {:.0} s",
            t.elapsed().as_secs_f64()
        );
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
        scenarios[1].name = format!("idle sync, {} documents held", thousands(held as u64));
        if only.has("idle") {
            scenarios[1].ours = Outcome::Done(idle);
        }
        if !only.from("week") {
            break 'ours;
        }

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
        if only.has("week") {
            scenarios[2].ours = Outcome::Done(week);
        }
        drop(held_docs);
        if !only.from("bootstrap") {
            break 'ours;
        }

        // 4. A new device bootstrapping 30,000 records: the rest of them made elsewhere
        // (pushed by the recorder, as above).
        eprintln!("[compare] our side: a new device's bootstrap");
        let have = a.count();
        let t = Instant::now();
        let made = recorder
            .push_records((have..30_000).map(|i| input(300_000 + i, 120)))
            .await;
        eprintln!(
            "[compare] our side: {} records made in {:.0} s",
            thousands(made as u64),
            t.elapsed().as_secs_f64()
        );
        let (full_docs, full_cursor) = recorder.snapshot().await;
        cursor = full_cursor;
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
        scenarios[3].name = format!(
            "a new device's bootstrap, {} records",
            thousands(ex.full_records as u64)
        );
        if only.has("bootstrap") || only.has("bootstrap-all") {
            scenarios[3].ours = Outcome::Done(boot);
        }
        drop((a, b, offline, fresh));
        if !only.from("swarm") {
            break 'ours;
        }

        // 5. Many clients at once: each a station's staff, each saving one new record (in
        // a new document of its station) at the same moment, all already online.
        eprintln!("[compare] our side: {SWARM} clients at once");
        ours.stop();
        swarm_tokens = {
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
        cursor = {
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
        if only.has("swarm") {
            let swarm = ours_swarm(&ours, swarm_tokens.clone(), records, cursor).await;
            scenarios[4].ours = Outcome::Done(swarm);
        }
    }
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
        peer_side(&mut peer, &ex, &only, &mut scenarios, &mut preparation).await;
        eprintln!(
            "[compare] automerge-repo's side done in {:.0} s",
            t.elapsed().as_secs_f64()
        );
        if only.has("leave") {
            survives = leaving_mid_sync(&mut peer, &ours, &ex, &swarm_tokens[0], cursor).await;
        }
    }
    ours.stop();

    // The table.
    println!();
    println!(
        "Sync comparison, {} (automerge-repo's steps stopped after {} s):",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        limit.as_secs()
    );
    if !only.all() {
        println!();
        println!(
            "Only these scenarios (COMPARE_ONLY): {}.",
            only.0.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    println!();
    let mut all = scenarios;
    all.extend(preparation);
    print_table(&all, limit);
    if installed && only.has("leave") {
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
