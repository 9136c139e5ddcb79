//! The worst requests the limits allow, each measured by the server's peak memory: the
//! process's high-water mark (`VmHWM` in /proc/self/status, reset before each request
//! through /proc/self/clear_refs) above what it held before; and the documents the
//! server keeps in memory between requests, within their budget. One test in its own
//! binary, so nothing else runs in the process while it measures.

use std::time::Duration;

use automerge::transaction::Transactable as _;
use automerge::{ActorId, AutoCommit, ObjType, ROOT};
use shared::protocol::{REPAIR_PATH, RepairRequest, WireChange};
use sync_server::storage::CACHED_BYTES;
use sync_server::wire::{MAX_CHANGE_OPS, MAX_DEPTH, MAX_REQUEST_BYTES, MAX_REQUEST_OPS};

mod support;

use support::*;

/// What one request may add to the server's peak memory, at most: the request's
/// bodies (16 MiB), its changes inflated (32 MiB) and what Automerge builds of them
/// (400,000 operations), in a debug build (before the limits: 1,146 MiB for the
/// probe's request, 1,579 MiB for a record nested 4,000 deep).
const MAX_PEAK_MIB: u64 = 256;

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The peak memory `f` adds to the process, in MiB.
async fn peak_mib<T>(f: impl std::future::Future<Output = T>) -> (T, u64) {
    // Settle, then reset the high-water mark to what is held now.
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_kib("VmRSS:");
    let out = f.await;
    let peak = status_kib("VmHWM:");
    (out, peak.saturating_sub(before) / 1024)
}

/// A change by a new actor of `MAX_CHANGE_OPS` operations: keys of a map under a root
/// key no record has (left alone in a station's own document).
fn many_ops_change(doc_id: &str) -> WireChange {
    let mut doc = AutoCommit::new().with_actor(ActorId::random());
    let map = doc.put_object(ROOT, "bulk", ObjType::Map).unwrap();
    for i in 0..MAX_CHANGE_OPS - 1 {
        doc.put(&map, format!("k{i}"), i).unwrap();
    }
    wire(
        doc_id,
        doc.get_last_local_change()
            .unwrap()
            .clone()
            .bytes()
            .to_vec(),
    )
}

#[tokio::test]
async fn the_worst_requests_the_limits_allow_and_the_documents_kept_stay_within_their_memory() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let station = Client::new(&server, "station", "phone-1").await;
    let own = station_doc();
    let other = format!("station/{OTHER_STATION}/2026-11");
    assert_eq!(station.push_new(&own).await, 200);
    let mut table = vec![];

    // The probe's request: 150 changes of 4 MiB each into another station's document
    // (it grew the server by 1,146 MiB).
    let copies = vec![big_change(&other); 150];
    let (status, mib) = peak_mib(async { station.sync(0, copies).await.status() }).await;
    assert_eq!(status, 404);
    table.push(("150 × 4 MiB changes, another station", status, mib));

    // Each case into a month of its own, so what is measured is the request's cost,
    // not a copy of what the cases before it stored.
    let month = |m: u32| format!("station/{STATION}/2026-{m:02}");
    // As much as the bytes allow: seven distinct 4 MB changes (28 MB) into its own.
    let seven: Vec<_> = (0..7).map(|_| big_change(&month(1))).collect();
    let (status, mib) = peak_mib(async { station.sync(0, seven).await.status() }).await;
    assert_eq!(status, 200);
    table.push(("7 × 4 MB changes, its own station", status, mib));

    // As many operations as allowed: four changes of 100,000.
    let n = usize::try_from(MAX_REQUEST_OPS / MAX_CHANGE_OPS).unwrap();
    let many: Vec<_> = (0..n).map(|_| many_ops_change(&month(2))).collect();
    let (status, mib) = peak_mib(async { station.sync(0, many).await.status() }).await;
    assert_eq!(status, 200);
    table.push(("4 × 100,000 operations, its own station", status, mib));

    // Nesting: at the limit, and 4,000 deep (it grew the server by 1,579 MiB).
    let (status, mib) = peak_mib(async {
        station
            .sync(0, nested_activity(&month(3), "a-deep", MAX_DEPTH - 2))
            .await
            .status()
    })
    .await;
    assert_eq!(status, 200);
    table.push(("a record nested to the limit", status, mib));
    let (status, mib) = peak_mib(async {
        station
            .sync(0, nested_activity(&month(4), "a-deep", 4000))
            .await
            .status()
    })
    .await;
    assert_eq!(status, 422);
    table.push(("a record nested 4,000 deep", status, mib));

    // A repair carrying nine 4 MB changes into its own document: refused at 32 MiB.
    let chunks: Vec<Vec<u8>> = (0..9).map(|_| big_change(&month(5)).bytes).collect();
    let (status, mib) = peak_mib(async {
        station
            .post_json(
                REPAIR_PATH,
                &RepairRequest {
                    doc_id: month(5),
                    message: message_with(&chunks),
                },
            )
            .await
            .status()
    })
    .await;
    assert_eq!(status, 413);
    table.push(("repair: 9 × 4 MB changes, its own station", status, mib));

    println!("request | answer | peak above before (MiB)");
    for (what, status, mib) in &table {
        println!("{what} | {status} | {mib}");
    }
    for (what, _, mib) in table {
        assert!(mib <= MAX_PEAK_MIB, "{what}: {mib} MiB");
    }

    // The documents the server keeps in memory between requests hold at most 128 MiB
    // of changes together (and the one a request is reading), however many large
    // documents an account fills: 28 MB (about the most one request allows) into each
    // of seven months, 196 MB in all.
    // The same seven changes into each month (a change's bytes name no document).
    let seven: Vec<_> = (0..7).map(|_| big_change(&station_doc())).collect();
    for month in 1..=7 {
        let doc = format!("station/{STATION}/2025-{month:02}");
        let changes = seven.iter().map(|c| wire(&doc, c.bytes.clone())).collect();
        assert_eq!(station.sync(0, changes).await.status(), 200);
        // The next push reads the month as stored, 28 MB, into memory.
        assert_eq!(station.push_new(&doc).await, 200);
        let held = server.storage.cached_doc_bytes();
        assert!(
            held <= CACHED_BYTES + MAX_REQUEST_BYTES,
            "{held} bytes after month {month}"
        );
    }
    server.shutdown().await.unwrap();
}
