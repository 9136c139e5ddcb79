//! A hostile account, and a stranger with no account, against the real server on
//! 127.0.0.1 (port 0) over real HTTP: every finding of the outside probe (issue 15) has
//! its test here. Each checks what the server answers and that nothing of a refused
//! request is stored.

use std::io::Write as _;
use std::num::NonZeroU32;
use std::time::Duration;

use automerge::transaction::Transactable as _;
use automerge::{ActorId, AutoCommit, ROOT, ReadDoc as _};
use chrono::NaiveDate;
use shared::doc::write_record;
use shared::model::{Answer, AnswerStatus, OpinionCategory, Referral};
use shared::protocol::{
    BLOBS_PATH, HEADS_PATH, HeadsRequest, HeadsResponse, REPAIR_PATH, RepairRequest, SIGN_IN_PATH,
    SYNC_PATH, WireChange, content_hash,
};
use sync_server::wire::write_leb128;
use sync_server::{Config, Quotas, SignInLimits};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

mod support;

use support::*;

/// Finding 1: a repair message whose Bloom filter Automerge would never write (ten
/// million probes, or no bits per entry, which panicked inside Automerge) is refused
/// with 400 before any work, and the server serves on.
#[tokio::test]
async fn a_repair_message_with_a_bloom_filter_automerge_never_writes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let station = Client::new(&server, "station", "phone-1").await;
    assert_eq!(station.push_new(&station_doc()).await, 200);
    // A sync message: version, no heads, no needs, one "have" with the filter, no changes.
    let message = |bits: u32, probes: u32| {
        let mut bloom = vec![];
        for n in [1, bits, probes] {
            write_leb128(&mut bloom, n.into());
        }
        bloom.extend([0xff; 2]);
        let mut m = vec![0x42, 0, 0, 1, 0];
        write_leb128(&mut m, bloom.len() as u64);
        m.extend(bloom);
        m.push(0);
        m
    };
    for (bits, probes) in [(10, 10_000_000), (0, 7), (10, u32::MAX), (1, 7)] {
        let response = station
            .post_json(
                REPAIR_PATH,
                &RepairRequest {
                    doc_id: station_doc(),
                    message: message(bits, probes),
                },
            )
            .await;
        let (status, body) = error_of(response).await;
        assert_eq!(status, 400, "{bits} bits, {probes} probes: {body:?}");
        assert!(body.message.contains("Bloom filter"), "{body:?}");
    }
    // Automerge's own parameters are a message like any other.
    let ok = station
        .post_json(
            REPAIR_PATH,
            &RepairRequest {
                doc_id: station_doc(),
                message: message(10, 7),
            },
        )
        .await;
    assert_eq!(ok.status(), 200);
    server.shutdown().await.unwrap();
}

/// Finding 2: a deflated change chunk that inflates to 64 MiB (about 64 KB sent) is
/// refused (413) while it is inflated, and nothing is stored. A body over 16 MiB once
/// decompressed gets 413.
#[tokio::test]
async fn a_change_that_inflates_past_its_limit_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let station = Client::new(&server, "station", "phone-1").await;
    let before = server.storage.change_count().unwrap();
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let mut deflated = flate2::write::DeflateEncoder::new(vec![], flate2::Compression::best());
    deflated.write_all(&zeros).unwrap();
    let deflated = deflated.finish().unwrap();
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    write_leb128(&mut chunk, deflated.len() as u64);
    chunk.extend(deflated);
    assert!(chunk.len() < 100 * 1024);
    let valid = change_by(&station_doc(), &ActorId::random());
    let (status, body) = error_of(
        station
            .sync(0, vec![valid, wire(&station_doc(), chunk)])
            .await,
    )
    .await;
    assert_eq!(status, 413, "{body:?}");
    assert!(body.message.contains("a change is over"), "{body:?}");
    assert_eq!(server.storage.change_count().unwrap(), before);

    // 17 MiB of JSON, gzipped to a few KB: refused once 16 MiB are inflated.
    let mut json = br#"{"device_id":"phone-1","cursor":0,"changes":[],"pad":""#.to_vec();
    json.extend(std::iter::repeat_n(b' ', 17 * 1024 * 1024));
    json.extend(br#""}"#);
    let mut gz = flate2::write::GzEncoder::new(vec![], flate2::Compression::best());
    gz.write_all(&json).unwrap();
    let response = station
        .http
        .post(format!("{}{SYNC_PATH}", station.url))
        .bearer_auth(&station.token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    server.shutdown().await.unwrap();
}

/// Finding 3: without a valid token, no body is read: a gzip bomb or plain garbage gets
/// the same 401 as an empty body, on every route that takes a body.
#[tokio::test]
async fn a_strangers_body_is_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let http = reqwest::Client::new();
    let mut gz = flate2::write::GzEncoder::new(vec![], flate2::Compression::best());
    gz.write_all(&vec![b'['; 32 * 1024 * 1024]).unwrap();
    let bomb = gz.finish().unwrap();
    for path in [SYNC_PATH, HEADS_PATH, REPAIR_PATH] {
        for token in [None, Some("not-a-token")] {
            for (body, gzip) in [(bomb.clone(), true), (b"{{{{".to_vec(), false)] {
                let mut request = http
                    .post(format!("{}{path}", server.url()))
                    .header("content-type", "application/json")
                    .body(body);
                if gzip {
                    request = request.header("content-encoding", "gzip");
                }
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 401, "{path}");
            }
        }
    }
    let upload = http
        .put(format!(
            "{}{BLOBS_PATH}/{}/upload?doc_id=x&size=1&offset=0",
            server.url(),
            "a".repeat(64)
        ))
        .body(vec![0u8; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 401);
    server.shutdown().await.unwrap();
}

/// Finding 4: a heads request that lists one document many times builds it once and
/// answers it once.
#[tokio::test]
async fn heads_answers_each_document_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let station = Client::new(&server, "station", "phone-1").await;
    assert_eq!(station.push_new(&station_doc()).await, 200);
    let response = station
        .post_json(
            HEADS_PATH,
            &HeadsRequest {
                doc_ids: vec![station_doc(); 100],
            },
        )
        .await;
    assert_eq!(response.status(), 200);
    let heads: HeadsResponse = response.json().await.unwrap();
    assert_eq!(heads.heads.len(), 1);
    assert_eq!(heads.heads[0].heads.len(), 1);
    let too_many = station
        .post_json(
            HEADS_PATH,
            &HeadsRequest {
                doc_ids: vec![station_doc(); 101],
            },
        )
        .await;
    assert_eq!(too_many.status(), 400);
    server.shutdown().await.unwrap();
}

/// Findings 5 and 7: an actor belongs to the device that first pushed it. Another
/// device (here a station's, writing as a coordinator's actor) is refused with 403 and
/// cannot take the actor's sequence numbers in another document, so the owner's own
/// change there goes through. A change whose checksum is wrong is refused with 400.
#[tokio::test]
async fn a_device_cannot_write_as_another_devices_actor_or_with_a_wrong_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let coordinator = Client::new(&server, "coordinator", "coordinator-laptop").await;
    let station = Client::new(&server, "station", "station-phone").await;
    let theirs = ActorId::random();
    let first = format!("station/{STATION}/2026-10");
    assert_eq!(
        coordinator
            .sync(0, vec![change_by(&first, &theirs)])
            .await
            .status(),
        200
    );
    let before = server.storage.change_count().unwrap();
    for doc in [first.clone(), station_doc()] {
        let (status, body) = error_of(station.sync(0, vec![change_by(&doc, &theirs)]).await).await;
        assert_eq!(status, 403, "{body:?}");
        assert_eq!(body.error, "foreign_actor");
        assert_eq!(body.doc_id.as_deref(), Some(doc.as_str()));
    }
    assert_eq!(server.storage.change_count().unwrap(), before);
    // The coordinator's own first change in the second document is its own.
    assert_eq!(
        coordinator
            .sync(0, vec![change_by(&station_doc(), &theirs)])
            .await
            .status(),
        200
    );
    // The station's own actor is its own from its first push on.
    let own = ActorId::random();
    assert_eq!(
        station
            .sync(0, vec![change_by(&first, &own)])
            .await
            .status(),
        200
    );

    let mut corrupt = change_by(&station_doc(), &own);
    corrupt.bytes[4] ^= 0xff;
    let (status, body) = error_of(station.sync(0, vec![corrupt]).await).await;
    assert_eq!(status, 400, "{body:?}");
    assert!(body.message.contains("checksum"), "{body:?}");
    server.shutdown().await.unwrap();
}

/// Findings 6 and 11: a device id belongs to one account, and `server` (the server's
/// own) to none.
#[tokio::test]
async fn a_device_id_belongs_to_one_account_and_server_is_reserved() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let _first = Client::new(&server, "station", "shared-id").await;
    let (status, body) = error_of(sign_in_as(&server, "coordinator", "shared-id").await).await;
    assert_eq!(status, 409, "{body:?}");
    assert_eq!(body.error, "device_taken");
    // The owner signs in on it again as often as it likes.
    assert_eq!(
        sign_in_as(&server, "station", "shared-id").await.status(),
        200
    );
    let (status, _) = error_of(sign_in_as(&server, "station", "server").await).await;
    assert_eq!(status, 400);
    server.shutdown().await.unwrap();
}

/// Finding 8: uploads are limited per device and per account, in number and bytes, and
/// a file links only to a document that exists and the caller writes.
#[tokio::test]
async fn uploads_have_quotas_and_link_only_to_documents_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let station = Client::new(&server, "station", "phone-1").await;
    assert_eq!(station.push_new(&station_doc()).await, 200);
    // A document that does not exist (a month far ahead) is not found.
    let nowhere = format!("station/{STATION}/2099-12");
    let status = station
        .put_first_chunk(&nowhere, &content_hash(b"x"), 1, b"x".to_vec())
        .await;
    assert_eq!(status, 404);
    // Four 10 MiB uploads begun: the fifth is over the device's quota.
    const TEN_MIB: u64 = 10 * 1024 * 1024;
    for i in 0..5u8 {
        let status = station
            .put_first_chunk(
                &station_doc(),
                &content_hash(&[i; 8]),
                TEN_MIB,
                vec![i; 1024],
            )
            .await;
        let expected = if i < 4 { 200 } else { 507 };
        assert_eq!(status, expected, "upload {i}");
    }
    // Another device of the same account may begin more, but not past the account's
    // 64 MiB of unfinished uploads.
    let tablet = Client::new(&server, "station", "tablet-1").await;
    let mut statuses = vec![];
    for i in 10..14u8 {
        let hash = content_hash(&[i; 8]);
        statuses.push(
            tablet
                .put_first_chunk(&station_doc(), &hash, TEN_MIB, vec![i; 1024])
                .await,
        );
    }
    assert_eq!(statuses, [200, 200, 507, 507]);
    server.shutdown().await.unwrap();

    // Stored files count too: 2000 bytes fit a device's 3000, the next 2000 do not.
    let dir = tempfile::tempdir().unwrap();
    let small = self::server(dir.path(), |c: &mut Config| {
        c.quotas = Quotas {
            stored_bytes_per_device: 3000,
            ..Quotas::default()
        };
    })
    .await;
    let station = Client::new(&small, "station", "phone-1").await;
    assert_eq!(station.push_new(&station_doc()).await, 200);
    let mut statuses = vec![];
    for fill in [7u8, 8] {
        let file = vec![fill; 2000];
        let hash = content_hash(&file);
        statuses.push(
            station
                .put_first_chunk(&station_doc(), &hash, 2000, file)
                .await,
        );
    }
    assert_eq!(statuses, [200, 507]);
    small.shutdown().await.unwrap();
}

/// Finding 9: a stranger guessing from other networks never uses up the owner's
/// attempts; IPv6 addresses count by /64; past the account's failures of the hour, only
/// a device that signed in to it before may try.
#[tokio::test]
async fn sign_in_limits_cannot_be_turned_against_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |c| {
        c.sign_in_limits = SignInLimits {
            account_failures_per_hour: NonZeroU32::new(6).unwrap(),
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            ..sign_in_limits(3, 100)
        };
    })
    .await;
    let attempt = |from: &'static str, password: &'static str, device: &'static str| {
        let url = server.url();
        async move { sign_in_from(&url, from, "station", password, device).await }
    };
    // The owner's phone signed in once, from home.
    assert_eq!(attempt("192.0.2.1", PASSWORD, "owners-phone").await, 200);
    // A stranger uses up its own network's attempts (two addresses of one /64)...
    assert_eq!(attempt("2001:db8::1", "guess", "x").await, 401);
    assert_eq!(attempt("2001:db8::2", "guess", "x").await, 401);
    assert_eq!(attempt("2001:db8::3", "guess", "x").await, 401);
    assert_eq!(attempt("2001:db8::4", PASSWORD, "x").await, 429);
    // ... while the owner, elsewhere, signs in.
    assert_eq!(attempt("192.0.2.1", PASSWORD, "owners-phone").await, 200);
    // Guesses from many networks reach the account's limit for the hour (6 failures):
    for net in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        assert_eq!(attempt(net, "guess", "x").await, 401);
    }
    // a new device now waits, with the right password too; the owner's phone does not.
    assert_eq!(attempt("203.0.113.5", PASSWORD, "new-tablet").await, 429);
    assert_eq!(attempt("203.0.113.6", PASSWORD, "owners-phone").await, 200);
    server.shutdown().await.unwrap();
}

/// Finding 10: a department's cursor moves only with what it reads: writes of stations
/// it cannot see leave it where it was.
#[tokio::test]
async fn a_cursor_does_not_reveal_writes_the_caller_cannot_see() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let department = Client::new(&server, "department", "dept-pc").await;
    let station = Client::new(&server, "station", "phone-1").await;
    let other = Client::new(&server, "other-station", "phone-2").await;
    let (cursor, _) = department.pull(0).await;
    for _ in 0..5 {
        let doc = format!("station/{OTHER_STATION}/2026-11");
        assert_eq!(
            other
                .sync(0, vec![change_by(&doc, &ActorId::random())])
                .await
                .status(),
            200
        );
    }
    let (unchanged, seen) = department.pull(cursor).await;
    assert_eq!(unchanged, cursor, "nothing it reads was written");
    assert!(seen.is_empty());
    let referrals = format!("referrals/{DEPARTMENT}/{STATION}/2026");
    let referral = referral_change(&referrals, "r-1", "o-1", None);
    assert_eq!(station.sync(0, referral).await.status(), 200);
    let (moved, seen) = department.pull(cursor).await;
    assert!(moved > cursor);
    assert_eq!(seen, [referrals]);
    server.shutdown().await.unwrap();
}

/// The changes of a referral record written as the app writes it, and then `extra`
/// put in it.
fn referral_change(
    doc_id: &str,
    id: &str,
    opinion: &str,
    extra: Option<(&str, &str)>,
) -> Vec<WireChange> {
    let mut doc = AutoCommit::new();
    let referral = Referral {
        id: id.into(),
        opinion_id: opinion.into(),
        station_id: STATION.into(),
        department_id: DEPARTMENT.into(),
        referred_on: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        deadline: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        categories: vec![OpinionCategory::Traffic],
        content: "路口红绿灯时间太短".into(),
        note: String::new(),
    };
    write_record(&mut doc, &referral).unwrap();
    if let Some((key, value)) = extra {
        let (_, obj) = doc
            .get(ROOT, format!("referral:{id}").as_str())
            .unwrap()
            .unwrap();
        doc.put(&obj, key, value).unwrap();
        doc.commit();
    }
    changes(doc_id, &mut doc)
}

/// Finding 13: a referral that carries a voter's name or phone is refused with 422
/// naming the document and the record, and nothing is stored; an answer must answer a
/// referral of its station to its department, about the same opinion.
#[tokio::test]
async fn referrals_carry_no_personal_data_and_answers_answer_real_referrals() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let station = Client::new(&server, "station", "phone-1").await;
    let department = Client::new(&server, "department", "dept-pc").await;
    let referrals = format!("referrals/{DEPARTMENT}/{STATION}/2026");
    let answers = format!("answers/{DEPARTMENT}/{STATION}/2026");
    let before = server.storage.change_count().unwrap();
    for extra in [("voter_name", "张三"), ("voter_phone", "13800000000")] {
        let changes = referral_change(&referrals, "r-1", "o-1", Some(extra));
        let (status, body) = error_of(station.sync(0, changes).await).await;
        assert_eq!(status, 422, "{body:?}");
        assert_eq!(body.error, "invalid_record");
        assert_eq!(body.doc_id.as_deref(), Some(referrals.as_str()));
        assert!(body.message.contains("referral:r-1"), "{body:?}");
        assert!(body.message.contains(extra.0), "{body:?}");
    }
    assert_eq!(server.storage.change_count().unwrap(), before);

    let answer = |referral: &str, opinion: &str| {
        let mut doc = AutoCommit::new();
        let changes = write_record(
            &mut doc,
            &Answer {
                id: format!("a-{referral}-{opinion}"),
                referral_id: referral.into(),
                opinion_id: opinion.into(),
                station_id: STATION.into(),
                department_id: DEPARTMENT.into(),
                status: AnswerStatus::Answered,
                date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                text: "已调整信号配时".into(),
            },
        )
        .unwrap();
        wire(&answers, changes[0].raw_bytes().to_vec())
    };
    // No such referral yet.
    let (status, body) = error_of(department.sync(0, vec![answer("r-1", "o-1")]).await).await;
    assert_eq!(status, 422, "{body:?}");
    assert_eq!(body.doc_id.as_deref(), Some(answers.as_str()));
    // The station refers; the department answers it, but not another opinion.
    let referral = referral_change(&referrals, "r-1", "o-1", None);
    assert_eq!(station.sync(0, referral).await.status(), 200);
    let (status, _) = error_of(department.sync(0, vec![answer("r-1", "o-2")]).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        department
            .sync(0, vec![answer("r-1", "o-1")])
            .await
            .status(),
        200
    );
    server.shutdown().await.unwrap();
}

/// Finding 12: a client that sends its headers slowly, or leaves a connection idle, is
/// cut off after the header timeout.
#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |c| {
        c.header_timeout = Duration::from_millis(500)
    })
    .await;
    for first in [&b"POST /v1/sync HTTP/1.1\r\nHost: x\r\n"[..], b""] {
        let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(first).await.unwrap();
        let mut buf = vec![0u8; 1024];
        let read = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("the server closes the connection: {first:?}"));
        // Closed (0 bytes), reset, or a 408 before closing.
        if let Ok(n) = read {
            let text = String::from_utf8_lossy(&buf[..n]);
            assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
        }
    }
    server.shutdown().await.unwrap();
}

/// Text from the network holding a NUL or another control character (which PostgreSQL's
/// text cannot store) names nothing on either backend: every route answers as it does
/// for any unknown name, never a server error, and the server serves on.
#[tokio::test]
async fn names_holding_control_characters_name_nothing_on_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let station = Client::new(&server, "station", "phone-1").await;
    assert_eq!(station.push_new(&station_doc()).await, 200);
    let http = reqwest::Client::new();
    let url = server.url();
    for bad in ["\0", "\u{1}", "\u{7f}", "\n"] {
        // Sign-in: a username is unknown, a device id or name is refused.
        let sign_in = |username: String, device_id: String, device_name: String| {
            http.post(format!("{url}{SIGN_IN_PATH}"))
                .json(&sign_in_body(username, PASSWORD, device_id, device_name))
                .send()
        };
        let r = sign_in(format!("sta{bad}tion"), "phone-9".into(), "手机".into())
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "username {bad:?}");
        let r = sign_in("station".into(), format!("phone{bad}"), "手机".into())
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "device id {bad:?}");
        let r = sign_in("station".into(), "phone-9".into(), format!("手机{bad}"))
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "device name {bad:?}");

        // Sync: a device id that is not the session's, a document id that does not parse.
        let mut request = station.request(0, vec![], None);
        request.device_id = format!("phone-1{bad}");
        let r = station.post_json(SYNC_PATH, &request).await;
        assert_eq!(r.status(), 400, "sync device id {bad:?}");
        let doc = format!("{}{bad}", station_doc());
        let (status, _) = error_of(
            station
                .sync(0, vec![change_by(&doc, &ActorId::random())])
                .await,
        )
        .await;
        assert_eq!(status, 400, "sync document {bad:?}");
        let r = station
            .post_json(
                HEADS_PATH,
                &HeadsRequest {
                    doc_ids: vec![doc.clone()],
                },
            )
            .await;
        assert_eq!(r.status(), 400, "heads {bad:?}");

        // Photos: a hash or a document that names nothing.
        let escaped: String = url::form_urlencoded::byte_serialize(bad.as_bytes()).collect();
        let hash = content_hash(b"x");
        for path in [
            format!("{BLOBS_PATH}/{hash}{escaped}?doc_id={}", station_doc()),
            format!("{BLOBS_PATH}/{hash}?doc_id={}{escaped}", station_doc()),
            format!(
                "{BLOBS_PATH}/{hash}{escaped}/upload?doc_id={}",
                station_doc()
            ),
        ] {
            let r = http
                .get(format!("{url}{path}"))
                .bearer_auth(&station.token)
                .send()
                .await
                .unwrap();
            assert!(
                [400, 404].contains(&r.status().as_u16()),
                "{path}: {}",
                r.status()
            );
        }
        let escaped_doc = format!("{}{escaped}", station_doc());
        let r = station
            .put_chunk(&escaped_doc, &hash, 1, 0, b"x".to_vec())
            .await;
        assert!(
            [400, 404].contains(&r.status().as_u16()),
            "upload {bad:?}: {}",
            r.status()
        );
    }
    // Nothing was stored and the server serves on.
    let (_, seen) = station.pull(0).await;
    let months: Vec<_> = seen.iter().filter(|d| d.starts_with("station/")).collect();
    assert_eq!(months, [&station_doc()]);
    server.shutdown().await.unwrap();
}
