//! automerge-repo's side of each scenario, and the many-clients scenario on ours.

use super::*;

pub fn shout_not_installed() {
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

pub fn peer_versions() -> String {
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
pub async fn ours_swarm(
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
pub async fn peer_side(
    peer: &mut Peer,
    ex: &Exports,
    only: &Only,
    scenarios: &mut [Scenario],
    preparation: &mut Vec<Scenario>,
) {
    // 1. One new record: a device holding the reference documents, in sync.
    if only.has("one") {
        eprintln!("[compare] automerge-repo: one new record");
        scenarios[0].theirs = peer_one(peer, ex).await;
    }

    // 2. and 3. The idle sync, then a week offline, of one device (b) holding what our
    // devices b and offline held; it is in sync (a first sync) before either.
    if only.has("idle") || only.has("week") {
        eprintln!("[compare] automerge-repo: first sync of the held documents");
        let (idle, week, first) = peer_idle_and_week(peer, ex, only).await;
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
    }

    // 4. A new device fetching every document (it has to know their ids: we give them),
    // 200 at a time: each batch in sync before the next is asked for. Asking for all
    // of them at once, as `find` invites, does not finish (see BENCHMARKS.md): only
    // when COMPARE_ONLY names `bootstrap-all`.
    if only.has("bootstrap") {
        eprintln!(
            "[compare] automerge-repo: a new device's bootstrap ({BOOTSTRAP_BATCH} at a time)"
        );
        scenarios[3].name = format!(
            "{}; automerge-repo asking for {BOOTSTRAP_BATCH} documents at a time",
            scenarios[3].name
        );
        scenarios[3].theirs = peer_bootstrap(peer, ex, Some(BOOTSTRAP_BATCH)).await;
    }
    if only.has("bootstrap-all") {
        eprintln!("[compare] automerge-repo: a new device's bootstrap (all at once)");
        preparation.insert(
            0,
            Scenario {
                name: format!(
                    "a new device's bootstrap, {} records; automerge-repo asking for every document at once",
                    thousands(ex.full_records as u64)
                ),
                ours: Outcome::Skipped("(as above)".into()),
                theirs: peer_bootstrap(peer, ex, None).await,
            },
        );
    }

    // 5. Many clients at once, each with its own document (in memory), on a server
    // holding everything (from its storage).
    if only.has("swarm") {
        eprintln!("[compare] automerge-repo: {SWARM} clients at once");
        scenarios[4].theirs = peer_swarm(peer, ex).await;
    }
}

/// How many documents automerge-repo's new device asks for at a time in the bootstrap.
pub const BOOTSTRAP_BATCH: usize = 200;

/// automerge-repo: one new record from a device holding the reference documents, in sync.
pub async fn peer_one(peer: &mut Peer, ex: &Exports) -> Outcome {
    let load = |client: &mut PeerClient, bundle: &Path| {
        client.send(json!({"op": "load", "bundle": bundle}), LOAD_LIMIT)
    };
    match async {
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
    }
}

/// automerge-repo: many clients at once, each with its own document (in memory), on a
/// server holding everything (from its storage).
pub async fn peer_swarm(peer: &mut Peer, ex: &Exports) -> Outcome {
    match async {
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
    }
}

/// automerge-repo: a new device fetching every document, all at once or `batch` at a time.
pub async fn peer_bootstrap(peer: &mut Peer, ex: &Exports, batch: Option<usize>) -> Outcome {
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
                // Done without every record is not done: no time, no rate, no ratio.
                Outcome::Done(_) if got as usize != ex.full_records => {
                    peer.notes.push(format!(
                        "{what}: the new device holds {got} records, ours {}",
                        ex.full_records
                    ));
                    outcome = Outcome::Failed(format!(
                        "did not finish: {} of {} records arrived",
                        thousands(got),
                        thousands(ex.full_records as u64)
                    ));
                }
                Outcome::Done(run) => run.records_per_sec = Some(got as f64 / run.secs),
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
pub async fn peer_idle_and_week(
    peer: &mut Peer,
    ex: &Exports,
    only: &Only,
) -> (Outcome, Outcome, Outcome) {
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
        let idle = if only.has("idle") {
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
            idle
        } else {
            not_chosen()
        };
        if !only.has("week") {
            return Ok((idle, not_chosen(), first));
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
pub async fn leaving_mid_sync(
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
