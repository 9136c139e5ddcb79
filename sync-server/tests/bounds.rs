//! The server holds against a signed-in abuser and slow strangers, round two (issue
//! 23): every request's work is bounded before it is done, values nest only so deep, a
//! body arrives whole within its deadline, a network holds only so many connections, a
//! voter's own code always answers, and an upload holds no more than it reserved. Real
//! server on 127.0.0.1 (port 0), real HTTP.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable as _;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc as _};
use shared::protocol::{MAX_CHANGES_PER_REQUEST, REPAIR_PATH, RepairRequest};
use sync_server::wire::{MAX_DEPTH, MAX_REQUEST_BYTES};
use sync_server::{Quotas, public::PublicLimits};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

mod support;

use support::*;

/// Finding 1: a small request of changes that inflate to 4 MiB each is refused before
/// any is inflated when it writes where it may not (sync and repair), and the moment
/// its inflated total passes 32 MiB where it may.
#[tokio::test]
async fn a_request_is_refused_before_its_changes_are_inflated_or_once_they_pass_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let station = Client::new(&server, "station", "phone-1").await;
    let before = server.storage.change_count().unwrap();
    let other = format!("station/{OTHER_STATION}/2026-11");
    let one = big_change(&other);
    // 150 copies: 600 MiB once inflated, about 600 KB sent.
    let started = Instant::now();
    let (status, body) = error_of(station.sync(0, vec![one.clone(); 150]).await).await;
    assert_eq!(status, 404, "{body:?}");
    assert_eq!(body.doc_id.as_deref(), Some(other.as_str()));
    // Nothing was inflated: an answer at once (the probe waited up to 22.6 s).
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // The same through a repair of the other station's document: 404 before inflating.
    let chunks = vec![one.bytes.clone(); 40];
    let started = Instant::now();
    let (status, body) = error_of(
        station
            .post_json(
                REPAIR_PATH,
                &RepairRequest {
                    doc_id: other.clone(),
                    message: message_with(&chunks),
                },
            )
            .await,
    )
    .await;
    assert_eq!(status, 404, "{body:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Into its own station's document: nine distinct ones pass 32 MiB: 413, naming
    // the request's limit, and nothing is stored.
    let own: Vec<_> = (0..9).map(|_| big_change(&station_doc())).collect();
    let (status, body) = error_of(station.sync(0, own.clone()).await).await;
    assert_eq!(status, 413, "{body:?}");
    assert_eq!(body.error, "payload_too_large");
    assert!(
        body.message
            .contains(&format!("a request's changes is over {MAX_REQUEST_BYTES}")),
        "{body:?}"
    );
    // A repair of its own document the same.
    let chunks: Vec<Vec<u8>> = own.iter().map(|c| c.bytes.clone()).collect();
    let (status, _) = error_of(
        station
            .post_json(
                REPAIR_PATH,
                &RepairRequest {
                    doc_id: station_doc(),
                    message: message_with(&chunks),
                },
            )
            .await,
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(server.storage.change_count().unwrap(), before);
    // Seven of them fit, and are stored.
    assert_eq!(station.sync(0, own[..7].to_vec()).await.status(), 200);
    assert_eq!(server.storage.change_count().unwrap(), before + 7);
    server.shutdown().await.unwrap();
}

/// Another device's actor is refused from the change's header, before the change is
/// inflated; a change of one's own already stored is still a retry.
#[tokio::test]
async fn another_devices_actor_is_refused_from_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let phone = Client::new(&server, "station", "phone-1").await;
    let tablet = Client::new(&server, "station", "tablet-1").await;
    let change = big_change(&station_doc());
    assert_eq!(phone.sync(0, vec![change.clone()]).await.status(), 200);
    // The same change again from the phone: a retry.
    assert_eq!(phone.sync(0, vec![change.clone()]).await.status(), 200);
    // A new change of the phone's actor, pushed by the tablet: 403.
    let mut doc = AutoCommit::new();
    let stored = automerge::Change::from_bytes(change.bytes.clone()).unwrap();
    doc.apply_changes([stored.clone()]).unwrap();
    doc.set_actor(stored.actor_id().clone());
    doc.put(ROOT, "note", "b".repeat(4_000_000)).unwrap();
    let next = doc
        .get_last_local_change()
        .unwrap()
        .clone()
        .bytes()
        .to_vec();
    let (status, body) = error_of(tablet.sync(0, vec![wire(&station_doc(), next)]).await).await;
    assert_eq!(status, 403, "{body:?}");
    assert_eq!(body.error, "foreign_actor");
    server.shutdown().await.unwrap();
}

/// Finding 2: values nest at most `MAX_DEPTH` deep; deeper is refused with 422 naming
/// the record, before Automerge builds it, within one change or across several.
#[tokio::test]
async fn values_nested_past_the_limit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let station = Client::new(&server, "station", "phone-1").await;
    let doc = station_doc();
    // The record is depth 1, `extra` 2: ten more maps reach the limit.
    let at_limit = nested_activity(&doc, "a-deep-ok", MAX_DEPTH - 2);
    assert_eq!(station.sync(0, at_limit.clone()).await.status(), 200);
    let before = server.storage.change_count().unwrap();
    for levels in [MAX_DEPTH - 1, 4000] {
        let (status, body) = error_of(
            station
                .sync(0, nested_activity(&doc, "a-deep", levels))
                .await,
        )
        .await;
        assert_eq!(status, 422, "{levels}: {body:?}");
        assert_eq!(body.error, "invalid_record");
        assert!(body.message.contains("activity:a-deep"), "{body:?}");
        assert!(body.message.contains("deeper than"), "{body:?}");
    }
    // One level more under the stored record at the limit, in a change of its own.
    let mut d = AutoCommit::new();
    for c in &at_limit {
        d.apply_changes([automerge::Change::from_bytes(c.bytes.clone()).unwrap()])
            .unwrap();
    }
    let mut obj = d.get(ROOT, "activity:a-deep-ok").unwrap().unwrap().1;
    obj = d.get(&obj, "extra").unwrap().unwrap().1;
    while let Some((_, next)) = d.get(&obj, "x").unwrap() {
        obj = next;
    }
    d.put_object(&obj, "x", ObjType::Map).unwrap();
    let deeper = d.get_last_local_change().unwrap().raw_bytes().to_vec();
    let (status, body) = error_of(station.sync(0, vec![wire(&doc, deeper)]).await).await;
    assert_eq!(status, 422, "{body:?}");
    assert!(body.message.contains("activity:a-deep-ok"), "{body:?}");
    // Nesting one level a change, the changes sent deepest first: refused all the same.
    let mut d = AutoCommit::new();
    let (_, record) = {
        for c in &at_limit {
            d.apply_changes([automerge::Change::from_bytes(c.bytes.clone()).unwrap()])
                .unwrap();
        }
        d.get(ROOT, "activity:a-deep-ok").unwrap().unwrap()
    };
    let heads = d.get_heads();
    let mut obj = d.put_object(&record, "chain", ObjType::Map).unwrap();
    d.commit();
    for _ in 0..MAX_DEPTH {
        obj = d.put_object(&obj, "x", ObjType::Map).unwrap();
        d.commit();
    }
    let mut reversed: Vec<_> = d
        .get_changes(&heads)
        .iter()
        .map(|c| wire(&doc, c.raw_bytes().to_vec()))
        .collect();
    reversed.reverse();
    let (status, body) = error_of(station.sync(0, reversed).await).await;
    assert_eq!(status, 422, "{body:?}");
    assert!(body.message.contains("activity:a-deep-ok"), "{body:?}");
    // An actor id longer than Automerge makes (it is copied into every operation that
    // names it when a change is read): 400.
    let mut long = AutoCommit::new().with_actor(ActorId::from(vec![7u8; 64]));
    long.put(ROOT, "note", "x").unwrap();
    let bytes = long.get_last_local_change().unwrap().raw_bytes().to_vec();
    let (status, body) = error_of(station.sync(0, vec![wire(&doc, bytes)]).await).await;
    assert_eq!(status, 400, "{body:?}");
    assert!(body.message.contains("at most 32 bytes"), "{body:?}");
    assert_eq!(server.storage.change_count().unwrap(), before);
    server.shutdown().await.unwrap();
}

/// Sends `head` and then the body's bytes one every `every`, up to `bytes`; what the
/// server answered (its status line) and when.
async fn trickle(
    addr: std::net::SocketAddr,
    head: String,
    bytes: usize,
    every: Duration,
) -> (String, Duration) {
    let started = Instant::now();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    for _ in 0..bytes {
        tokio::select! {
            read = tcp.read(&mut answer) => {
                let n = read.unwrap_or(0);
                let text = String::from_utf8_lossy(&answer[..n]).lines().next().unwrap_or("").to_owned();
                return (text, started.elapsed());
            }
            () = tokio::time::sleep(every) => {
                if tcp.write_all(b"a").await.is_err() {
                    break;
                }
            }
        }
    }
    let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut answer))
        .await
        .map_or(0, |r| r.unwrap_or(0));
    let text = String::from_utf8_lossy(&answer[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    (text, started.elapsed())
}

/// Finding 3: a body that trickles in a byte at a time is cut off once its whole
/// deadline passes, on the voters' form and on a signed-in sync alike (408).
#[tokio::test]
async fn a_trickled_body_is_cut_off_at_its_deadline_on_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let deadline = Duration::from_secs(2);
    let server = server(dir.path(), |c| c.body_timeout = deadline).await;
    let station = Client::new(&server, "station", "phone-1").await;
    let form = format!(
        "POST /s/{STATION} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 16000\r\n\r\n"
    );
    let sync = format!(
        "POST /v1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 16000\r\n\r\n",
        station.token
    );
    for head in [form, sync] {
        // A byte every 300 ms: never a gap a per-byte timeout would see.
        let (status, took) = trickle(
            server.addr,
            head.clone(),
            16_000,
            Duration::from_millis(300),
        )
        .await;
        assert!(
            status.starts_with("HTTP/1.1 408"),
            "{status:?} after {took:?}"
        );
        assert!(took >= deadline && took < deadline * 4, "{took:?}");
    }
    // A body that arrives in time is served.
    let ok = station.sync(0, vec![]).await;
    assert_eq!(ok.status(), 200);
    server.shutdown().await.unwrap();
}

/// Finding 3: one network holds at most `connections_per_network` connections; a new
/// one past it is closed at once, and a slot frees when a connection closes. Another
/// network is not held.
#[tokio::test]
async fn a_network_holds_only_so_many_connections() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |c| c.connections_per_network = 4).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 256];
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        held.push(tcp); // kept alive
    }
    let closed_at_once = || async {
        let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let _ = tcp
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        let mut buf = [0u8; 256];
        let read = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
            .await
            .expect("closed, not left hanging");
        // Closed (0 bytes) or reset: no answer.
        read.map_or(true, |n| n == 0)
    };
    assert!(closed_at_once().await, "the fifth connection is closed");
    drop(held.pop());
    // The slot comes back once the server sees the close.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if reqwest::get(format!("{}/healthz", server.url()))
            .await
            .is_ok()
        {
            break;
        }
        assert!(Instant::now() < deadline, "a slot came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // IPv6 loopback is another network (when the machine has it).
    drop(held);
    server.shutdown().await.unwrap();
}

/// Finding 4: many networks guessing codes, each within its own limit and far past
/// the old shared one, never hold a voter's own code: a fresh network looks it up and
/// withdraws consent. A network past its own limit waits; a made-up code looked up
/// again and again is answered without the database.
#[tokio::test]
async fn a_voters_own_code_always_answers_however_many_networks_guess() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |c| {
        c.sign_in_limits.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.public.limits = PublicLimits {
            // Enough page views for the guessers.
            pages_per_network_per_minute: std::num::NonZeroU32::new(1000).unwrap(),
            ..PublicLimits::default()
        };
    })
    .await;
    let url = server.url();
    let web = web();
    let submitted = web
        .post(format!("{url}/s/{STATION}"))
        .header("x-forwarded-for", "198.51.100.7")
        .form(&[
            ("content", "小区门口路灯坏了"),
            ("category", "traffic"),
            ("name", "张三"),
            ("phone", "13800000000"),
            ("consent", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 303);
    let location = submitted.headers()["location"].to_str().unwrap().to_owned();
    let status_path = location.split('?').next().unwrap().to_owned();
    // 80 networks (IPv4 and IPv6 /64s), ten wrong codes each: 800 a minute.
    let mut guessers = Vec::new();
    for n in 0..80u32 {
        let from: IpAddr = if n % 2 == 0 {
            format!("203.0.{}.{}", n / 200, n % 200 + 1)
                .parse()
                .unwrap()
        } else {
            format!("2001:db8:{n:x}::1").parse().unwrap()
        };
        let web = web.clone();
        let url = url.clone();
        guessers.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for i in 0..10u64 {
                let digits = format!("{:015}", u64::from(n) * 1000 + i);
                let code = sync_server::public::code::with_check_digit(&digits).unwrap();
                let r = web
                    .get(format!("{url}/t/{code}"))
                    .header("x-forwarded-for", from.to_string())
                    .send()
                    .await
                    .unwrap();
                statuses.push(r.status().as_u16());
            }
            statuses
        }));
    }
    for g in guessers {
        assert!(g.await.unwrap().iter().all(|s| *s == 404));
    }
    // A guesser past its own limit waits.
    let held = web
        .get(format!("{url}{status_path}"))
        .header("x-forwarded-for", "203.0.0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(held.status(), 429);
    // The voter, from a network of their own, looks up and withdraws.
    let mine = web
        .get(format!("{url}{status_path}"))
        .header("x-forwarded-for", "192.0.2.50")
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200);
    let withdrawn = web
        .post(format!("{url}{status_path}/withdraw"))
        .header("x-forwarded-for", "192.0.2.50")
        .form(&[("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), 200);
    assert!(withdrawn.text().await.unwrap().contains("已删除"));
    server.shutdown().await.unwrap();
}

/// Finding 5: an upload's size is what its first chunk said, so what the quota
/// reserved bounds what it holds: changing the size mid-upload is refused (409), and
/// uploads cannot hold more than the account's quota.
#[tokio::test]
async fn an_upload_keeps_its_first_size_and_holds_no_more_than_its_quota() {
    let dir = tempfile::tempdir().unwrap();
    let quota = 1024 * 1024;
    let server = server(dir.path(), |c| {
        c.quotas = Quotas {
            reserved_bytes_per_account: quota,
            ..Quotas::default()
        }
    })
    .await;
    let station = Client::new(&server, "station", "phone-1").await;
    assert_eq!(station.push_new(&station_doc()).await, 200);
    let chunk = 256 * 1024;
    let doc = station_doc();
    let put = |hash: String, size: u64, offset: u64| {
        let (station, doc) = (&station, &doc);
        async move {
            station
                .put_chunk(doc, &hash, size, offset, vec![7u8; chunk])
                .await
        }
    };
    let hash = |i: u8| shared::protocol::content_hash(&[i]);
    // Declared 262,145 bytes, then continued as 10 MiB: refused.
    assert_eq!(put(hash(1), 262_145, 0).await.status(), 200);
    let changed = put(hash(1), 10 * 1024 * 1024, chunk as u64).await;
    assert_eq!(changed.status(), 409);
    // Uploads of 10 MiB each: chunks go on until the held bytes reach the quota.
    let mut held = chunk as u64; // the first upload's chunk
    let mut refused = false;
    'uploads: for i in 2..6u8 {
        for n in 0..40u64 {
            let r = put(hash(i), 10 * 1024 * 1024, n * chunk as u64).await;
            if r.status() == 507 {
                refused = true;
                break 'uploads;
            }
            assert_eq!(r.status(), 200);
            held += chunk as u64;
        }
    }
    assert!(refused, "the quota stopped the uploads");
    assert!(held <= quota, "{held} bytes held against {quota}");
    server.shutdown().await.unwrap();
}

/// Finding 6: 1,001 changes are refused (the docs and clients say 1,000); a
/// department the directory does not have has no documents; a chunk over 256 KiB gets
/// 413 naming 256 KiB.
#[tokio::test]
async fn the_smaller_findings() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let station = Client::new(&server, "station", "phone-1").await;
    let changes: Vec<_> = (0..=MAX_CHANGES_PER_REQUEST)
        .map(|_| change_by(&station_doc(), &ActorId::random()))
        .collect();
    let (status, body) = error_of(station.sync(0, changes.clone()).await).await;
    assert_eq!(status, 400, "{body:?}");
    assert!(body.message.contains("at most 1000 changes"), "{body:?}");
    assert_eq!(
        station
            .sync(0, changes[..MAX_CHANGES_PER_REQUEST].to_vec())
            .await
            .status(),
        200
    );

    let nowhere = format!("referrals/dept-nowhere/{STATION}/2026");
    let (status, body) = error_of(
        station
            .sync(0, vec![change_by(&nowhere, &ActorId::random())])
            .await,
    )
    .await;
    assert_eq!(status, 404, "{body:?}");
    // A department that exists: past the scope, to the record check (a root key that
    // names no record is refused where a department reads).
    let real = format!("referrals/{DEPARTMENT}/{STATION}/2026");
    assert_eq!(station.push_new(&real).await, 422);

    let hash = shared::protocol::content_hash(b"x");
    let over = station
        .put_chunk(&station_doc(), &hash, 300_000, 0, vec![0u8; 256 * 1024 + 1])
        .await;
    let (status, body) = error_of(over).await;
    assert_eq!(status, 413);
    assert!(body.message.contains("over 262144 bytes"), "{body:?}");
    server.shutdown().await.unwrap();
}
