//! Sync through the real server on 127.0.0.1 port 0, with real reqwest clients and real
//! SQLite files on both sides (the server's database is PostgreSQL instead with
//! `JIAZHAN_TEST_BACKEND=postgres`).

use std::sync::Mutex;

use chrono::NaiveDate;
use shared::model::Role;
use shared::protocol::{ErrorBody, SYNC_PATH, SyncRequest, WireChange};
use shared::{
    ActivityInput, AnswerInput, AnswerStatus, FeedbackInput, OpinionCategory, OpinionFilter,
    OpinionInput, OpinionStatus, ReferralInput, Satisfaction, Store, StoreKey, SyncClient,
};
use sync_server::{Config, Database, RunningServer};

#[path = "support/files.rs"]
mod files;
use files::{every_stored_value, holds};
#[path = "support/devices.rs"]
mod devices;
#[path = "support/server_db.rs"]
mod server_db;
use devices::{Device, PASSWORD, account, photo_bytes};

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn input() -> ActivityInput {
    ActivityInput {
        station_id: "st-xibeiwang-yongfeng".into(),
        date: "2026-11-20".into(),
        deputy_ids: vec!["dep-008".into()],
        voters_received: "15".into(),
        summary: "村民反映农田灌溉用水问题".into(),
        ..ActivityInput::default()
    }
}

async fn server(dir: &std::path::Path) -> RunningServer {
    server_on(Database::for_tests(dir.join("server.db"))).await
}

/// A server with the demo directory on `database`.
async fn server_on(database: Database) -> RunningServer {
    sync_server::start(Config {
        demo: true,
        ..Config::new(database, "127.0.0.1:0".parse().unwrap())
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_meeting_recorded_on_one_device_reaches_another() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = Device::new(dir.path(), "a", &server).await;
    let b = Device::new(dir.path(), "b", &server).await;

    // A fresh device gets the station directory on its first sync.
    a.sync().await;
    assert_eq!(a.store().stations().unwrap().len(), 6);
    let id = a.store().create_activity(&input(), today()).unwrap();
    assert_eq!(a.store().pending_records().unwrap(), 1);
    let report = a.sync().await;
    assert_eq!(report.sent_changes, 1);
    assert_eq!(a.store().pending_records().unwrap(), 0, "acknowledged");

    b.sync().await;
    let list = b
        .store()
        .list_activities(&shared::ActivityFilter::default())
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, id);
    assert_eq!(list[0].station_name, "西北旺镇永丰基地(拉拉)人大代表联络站");
    assert_eq!(list[0].deputy_names, ["黄志强"]);
    assert!(!list[0].pending_sync);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn offline_edits_of_different_fields_on_two_devices_both_survive() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = Device::new(dir.path(), "a", &server).await;
    let b = Device::new(dir.path(), "b", &server).await;
    a.sync().await;
    let id = a.store().create_activity(&input(), today()).unwrap();
    a.sync().await;
    b.sync().await;

    // Both go offline and edit the same record.
    let mut on_a = input();
    on_a.voters_received = "42".into();
    a.store().update_activity(&id, &on_a, today()).unwrap();
    let mut on_b = input();
    on_b.summary = "村民反映农田灌溉用水和节假日交通拥堵问题".into();
    b.store().update_activity(&id, &on_b, today()).unwrap();

    // Back online, in either order; a second round lets the first device catch up.
    b.sync().await;
    a.sync().await;
    b.sync().await;
    for device in [&a, &b] {
        let store = device.store();
        let m = store.activity(&id).unwrap();
        assert_eq!(m.voters_received, "42");
        assert_eq!(m.summary, "村民反映农田灌溉用水和节假日交通拥堵问题");
        assert_eq!(store.pending_records().unwrap(), 0);
        let doc = store.activity_from_document(&id).unwrap();
        assert_eq!(doc.voters_received, 42);
        // Each device's history shows both edits, and whose they were.
        let history = store.history("activity", &id).unwrap();
        let by = |field| {
            history
                .iter()
                .find(|h| h.changes.iter().any(|c| c.field == field))
                .map(|h| h.by_this_device)
        };
        let on_a = std::ptr::eq(device, &a);
        assert_eq!(by(shared::Field::VotersReceived), Some(on_a));
        assert_eq!(by(shared::Field::Summary), Some(!on_a));
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_retried_request_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = Device::new(dir.path(), "a", &server).await;
    a.sync().await;
    a.store().create_activity(&input(), today()).unwrap();
    let request = a.store().sync_request().unwrap();
    let before = server.storage.change_count().unwrap();

    // The same request arrives 100 times (say the responses were lost).
    let http = reqwest::Client::new();
    for _ in 0..100 {
        let status = http
            .post(format!("{}{SYNC_PATH}", server.url()))
            .bearer_auth(a.token())
            .json(&request)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success());
    }
    assert_eq!(server.storage.change_count().unwrap(), before + 1);
    // The device, not having seen any acknowledgement, sends it once more: still one copy.
    a.sync().await;
    assert_eq!(server.storage.change_count().unwrap(), before + 1);
    let b = Device::new(dir.path(), "b", &server).await;
    b.sync().await;
    assert_eq!(
        b.store()
            .list_activities(&shared::ActivityFilter::default())
            .unwrap()
            .len(),
        1
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_server_keeps_everything_pending_and_says_offline() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = Device::new(dir.path(), "a", &server).await;
    a.sync().await;
    a.store().create_activity(&input(), today()).unwrap();
    let url = server.url();
    server.shutdown().await.unwrap();

    let err = a.client.sync(&a.store).await.unwrap_err();
    let err = shared::AppError::from(err);
    assert!(matches!(err, shared::AppError::Offline { .. }), "{err:?}");
    let status = a.store().sync_status().unwrap();
    assert_eq!(status.server_url, url);
    assert_eq!(status.pending_records, 1);
    assert_eq!(status.last_error, Some(err));
}

#[tokio::test]
async fn hostile_requests_get_a_4xx_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let url = format!("{}{SYNC_PATH}", server.url());
    let http = reqwest::Client::new();
    let before = server.storage.change_count().unwrap();
    let a = Device::new(dir.path(), "a", &server).await;
    a.sync().await;
    a.store().create_activity(&input(), today()).unwrap();
    let good = a.store().sync_request().unwrap();

    let with_changes = |changes: Vec<WireChange>| SyncRequest {
        changes,
        ..good.clone()
    };
    let mut wrong_kind = good.changes.clone();
    wrong_kind[0].kind = "district".into();
    let mut reference_data = good.changes.clone();
    reference_data[0].doc_id = "district".into();
    reference_data[0].kind = "district".into();
    let mut unknown_doc = good.changes.clone();
    unknown_doc[0].doc_id = "voter_meeting/x".into();
    let mut garbage = good.changes.clone();
    garbage.push(WireChange {
        doc_id: "station/st-xibeiwang-yongfeng/2026-10".into(),
        kind: "station".into(),
        bytes: vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3],
    });
    let mut other_station = good.changes.clone();
    other_station[0].doc_id = "station/st-zizhuyuan-home/2026-11".into();
    let mut other_answers = good.changes.clone();
    other_answers[0].doc_id = "answers/dept-traffic/st-xibeiwang-yongfeng/2026".into();
    other_answers[0].kind = "answers".into();
    let cases = [
        (with_changes(reference_data), 403),
        // Another station's month: as if it did not exist.
        (with_changes(other_station), 404),
        // A department's answers about this station: read, never written, here.
        (with_changes(other_answers), 403),
        (with_changes(wrong_kind), 400),
        (with_changes(unknown_doc), 400),
        (with_changes(garbage), 400),
        (
            SyncRequest {
                device_id: String::new(),
                ..good.clone()
            },
            400,
        ),
    ];
    for (request, status) in cases {
        let got = http
            .post(&url)
            .bearer_auth(a.token())
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(got.status().as_u16(), status, "{request:?}");
        // Every error is JSON a client can act on; a refused document is named.
        let body: ErrorBody = got.json().await.unwrap();
        if status == 403 || status == 404 {
            assert_eq!(body.doc_id.as_ref(), Some(&request.changes[0].doc_id));
            assert_eq!(
                body.error,
                if status == 403 {
                    "read_only"
                } else {
                    "not_found"
                }
            );
        } else {
            assert_eq!((body.error.as_str(), body.doc_id), ("bad_request", None));
        }
    }

    assert_eq!(server.storage.change_count().unwrap(), before);

    // A change that reuses an (actor, sequence number) the document already has with
    // other content (a phone restored from an old copy): refused, the first one kept.
    let month = "station/st-xibeiwang-yongfeng/2026-09";
    let change = |text: &str| {
        let mut doc = automerge::AutoCommit::new()
            .with_actor(automerge::ActorId::from(hex_bytes(&good.device_id)));
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "note", text).unwrap();
        WireChange {
            doc_id: month.into(),
            kind: "station".into(),
            bytes: doc.get_last_local_change().unwrap().raw_bytes().to_vec(),
        }
    };
    let push = |c: WireChange| {
        http.post(&url)
            .bearer_auth(a.token())
            .json(&with_changes(vec![c]))
            .send()
    };
    assert_eq!(push(change("first")).await.unwrap().status().as_u16(), 200);
    let stored = server.storage.change_count().unwrap();
    let reused = push(change("second")).await.unwrap();
    assert_eq!(reused.status().as_u16(), 409);
    let body: ErrorBody = reused.json().await.unwrap();
    assert_eq!(
        (body.error.as_str(), body.doc_id.as_deref()),
        ("sequence_reused", Some(month))
    );
    assert_eq!(server.storage.change_count().unwrap(), stored);
    // The same change again is a retry, not a reuse.
    assert_eq!(push(change("first")).await.unwrap().status().as_u16(), 200);
    let before = stored;
    // No token, a made-up one, a token sent as something else: 401.
    for auth in [None, Some("Bearer made-up-token"), Some(a.token().as_str())] {
        let mut post = http.post(&url).json(&good);
        if let Some(auth) = auth {
            post = post.header("authorization", auth);
        }
        assert_eq!(post.send().await.unwrap().status().as_u16(), 401);
    }
    let not_json = http
        .post(&url)
        .bearer_auth(a.token())
        .body("{")
        .header("content-type", "application/json");
    assert!(not_json.send().await.unwrap().status().is_client_error());
    let too_big = http
        .post(&url)
        .bearer_auth(a.token())
        .header("content-type", "application/json")
        .body(vec![b' '; sync_server::api::MAX_BODY_BYTES + 1]);
    assert_eq!(too_big.send().await.unwrap().status().as_u16(), 413);

    // Nothing was stored, and the server still serves a good request.
    assert_eq!(server.storage.change_count().unwrap(), before);
    a.sync().await;
    assert_eq!(server.storage.change_count().unwrap(), before + 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_large_catch_up_arrives_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    // The town's coordinator records at two of its stations; the district reads.
    let coordinator = |name| {
        Device::signed_in(
            dir.path(),
            name,
            &server,
            Role::SubdistrictCoordinator,
            Some("sd-xibeiwang"),
        )
    };
    let a = coordinator("a").await;
    let b = Device::signed_in(dir.path(), "b", &server, Role::DistrictAdmin, None).await;
    a.sync().await;
    b.sync().await;
    // Over enough months of two stations for more month documents than one bootstrap
    // page holds (21 years at 500 a page).
    let n = shared::protocol::MAX_CHANGES_PER_RESPONSE + 200;
    let stations = [
        ("st-xibeiwang-yongfeng", "dep-008"),
        ("st-xibeiwang-hanjiachuan", "dep-010"),
    ];
    let months = shared::protocol::MAX_DOCUMENTS_PER_RESPONSE / stations.len() + 11;
    assert!(n >= months * stations.len());
    for i in 0..n {
        let (station, deputy) = stations[i % stations.len()];
        let mut m = input();
        m.station_id = station.into();
        m.deputy_ids = vec![deputy.into()];
        m.date = (today() - chrono::Months::new((i % months) as u32)).to_string();
        m.summary = format!("第{i}条意见");
        a.store().create_activity(&m, today()).unwrap();
    }
    // More than one request's worth goes out, request after request.
    assert!(a.store().outbox_len().unwrap() > shared::store::MAX_CHANGES_PER_REQUEST);
    let report = a.sync().await;
    assert_eq!(report.sent_changes as usize, n);
    assert_eq!(a.store().outbox_len().unwrap(), 0);

    // B has synced before: it catches up change by change, in batches.
    let report = b.sync().await;
    assert_eq!(report.received_changes as usize, n);
    assert_eq!(report.received_documents, 0);
    let count = |d: &Device| {
        d.store()
            .list_activities(&shared::ActivityFilter::default())
            .unwrap()
            .len()
    };
    assert_eq!(count(&b), n);

    // C is new: it bootstraps from whole documents, page after page, then goes on with
    // changes from where the documents left off. Progress shows page by page.
    let c = coordinator("c").await;
    let watcher = c.client.clone();
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let watching = {
        let seen = seen.clone();
        tokio::spawn(async move {
            loop {
                let p = watcher.progress();
                if p.running {
                    seen.lock().unwrap().push(p.received_documents);
                }
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        })
    };
    let report = c.sync().await;
    watching.abort();
    let mut steps = seen.lock().unwrap().clone();
    steps.dedup();
    // Part of the way, while still running: a page had arrived, not all of them.
    assert!(
        steps
            .iter()
            .any(|n| *n > 0 && *n < report.received_documents),
        "progress while running: {steps:?} of {}",
        report.received_documents
    );
    assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
    let done = c.client.progress();
    assert!(!done.running);
    assert_eq!(done.received_documents, report.received_documents);
    assert!(
        done.round_trips >= 2 && done.received_bytes > 10_000,
        "{done:?}"
    );
    assert_eq!(report.received_changes, 0);
    assert!(
        report.received_documents as usize > shared::protocol::MAX_DOCUMENTS_PER_RESPONSE,
        "{report:?}"
    );
    assert_eq!(count(&c), n);
    assert!(!c.store().stations().unwrap().is_empty());
    c.store().verify().unwrap();
    let id = c
        .store()
        .list_activities(&shared::ActivityFilter::default())
        .unwrap()[0]
        .id
        .clone();
    let mut edit = a.store().activity(&id).unwrap();
    edit.voters_received = "99".into();
    a.store().update_activity(&id, &edit, today()).unwrap();
    a.sync().await;
    let report = c.sync().await;
    assert_eq!((report.received_changes, report.received_documents), (1, 0));
    assert_eq!(c.store().activity(&id).unwrap().voters_received, "99");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn plain_http_to_another_machine_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let d = Device::unsigned(dir.path(), "d");
    // The address is refused by the client itself: no connection is attempted.
    let err = d
        .client
        .sign_in(
            &d.store,
            "http://jiazhan.example.cn:8765",
            "d",
            PASSWORD,
            "d",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            shared::AppError::from(err),
            shared::AppError::InsecureServer { .. }
        ),
        "refused"
    );
    assert!(d.store().session().unwrap().is_none());
    // Work goes on without a server; sync says to sign in, and nothing is lost.
    d.store()
        .receive_directory(&shared::demo::directory())
        .unwrap();
    d.store().create_activity(&input(), today()).unwrap();
    let err = shared::AppError::from(d.client.sync(&d.store).await.unwrap_err());
    assert_eq!(err, shared::AppError::NotSignedIn);
    let status = d.store().sync_status().unwrap();
    assert_eq!(status.last_error, Some(err));
    assert_eq!(status.pending_records, 1, "the record waits, nothing lost");
    // Right after a failure, a background sync waits instead of hammering.
    assert!(d.client.sync_if_due(&d.store).await.is_none());
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::for_tests(dir.path().join("server.db"));
    let server = server_on(database.clone()).await;
    let a = Device::new(dir.path(), "a", &server).await;
    a.sync().await;
    let id = a.store().create_activity(&input(), today()).unwrap();
    a.sync().await;
    let backup = server_db::backup(&database, &server.storage, &dir.path().join("backup.db"));
    if let server_db::Backup::Sqlite(file) = &backup {
        assert!(server.storage.backup_to(file).is_err(), "never overwrites");
    }
    server.shutdown().await.unwrap();

    // A server started on the backup serves the record to a new device.
    let database = match &backup {
        server_db::Backup::Sqlite(file) => Database::Sqlite(file.clone()),
        server_db::Backup::Postgres(_) => {
            server_db::restore(&backup, &dir.path().join("restored.db"))
        }
    };
    let restored = sync_server::start(Config::new(database, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let b = Device::new(dir.path(), "b", &restored).await;
    b.sync().await;
    assert_eq!(
        b.store()
            .list_activities(&shared::ActivityFilter::default())
            .unwrap()[0]
            .id,
        id
    );
    assert_eq!(b.store().stations().unwrap().len(), 6);
    restored.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_department_answers_on_its_own_device_and_the_station_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let station = Device::new(dir.path(), "station", &server).await;
    let department = Device::signed_in(
        dir.path(),
        "department",
        &server,
        Role::Department,
        Some("dept-agriculture"),
    )
    .await;
    station.sync().await;
    let opinion = station
        .store()
        .create_opinion(
            &OpinionInput {
                station_id: "st-xibeiwang-yongfeng".into(),
                date: "2026-11-20".into(),
                categories: vec![OpinionCategory::Agriculture],
                content: "机井年久失修".into(),
                ..OpinionInput::default()
            },
            today(),
        )
        .unwrap();
    let referral = station
        .store()
        .refer_opinion(
            &ReferralInput {
                opinion_id: opinion.clone(),
                department_id: "dept-agriculture".into(),
                deadline: "2026-12-25".into(),
                ..ReferralInput::default()
            },
            today(),
        )
        .unwrap();
    station.sync().await;
    department.sync().await;
    let inbox = department
        .store()
        .department_inbox("dept-agriculture", today())
        .unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].content, "机井年久失修");
    department
        .store()
        .answer_referral(
            &AnswerInput {
                referral_id: referral,
                status: AnswerStatus::Answered,
                date: "2026-11-25".into(),
                text: "已安排维修".into(),
            },
            today(),
        )
        .unwrap();
    // Meanwhile, offline, the station feeds back what it knows and the voter's mood.
    station
        .store()
        .record_feedback(
            &FeedbackInput {
                opinion_id: opinion.clone(),
                date: "2026-11-25".into(),
                text: "已告知选民正在协调".into(),
                satisfaction: Some(Satisfaction::BasicallySatisfied),
            },
            today(),
        )
        .unwrap();
    department.sync().await;
    station.sync().await;
    department.sync().await;
    {
        let store = station.store();
        let row = &store
            .list_opinions(&OpinionFilter::default(), today())
            .unwrap()[0];
        assert_eq!(row.status, OpinionStatus::FedBack);
        assert_eq!(row.department.as_deref(), Some("区农业农村局"));
        let answered = store
            .opinion_timeline(&opinion)
            .unwrap()
            .into_iter()
            .find(|s| s.status == OpinionStatus::Answered)
            .unwrap();
        assert_eq!(answered.text, "已安排维修");
        store.verify().unwrap();
    }
    {
        // The department holds the referral and its answer, never the station's records
        // (where voters' names and phones are).
        let store = department.store();
        let inbox = store.department_inbox("dept-agriculture", today()).unwrap();
        assert_eq!(inbox[0].answer.as_deref(), Some("已安排维修"));
        assert!(
            store
                .list_opinions(&OpinionFilter::default(), today())
                .unwrap()
                .is_empty()
        );
        store.verify().unwrap();
    }
    server.shutdown().await.unwrap();
}

/// Found in review: two different changes with one (actor, sequence number) on the server
/// (a device restored from an old backup) made every bootstrap fail. The server now
/// refuses the second, and new devices get the first.
#[tokio::test]
async fn a_reused_sequence_number_is_refused_and_does_not_stop_a_new_device() {
    use automerge::{ActorId, AutoCommit};
    use shared::doc::{self, DocId};
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = Device::new(dir.path(), "a", &server).await;
    a.sync().await;
    let good = a.store().create_activity(&input(), today()).unwrap();
    a.sync().await;

    let id = DocId::station("st-xibeiwang-yongfeng", today());
    let actor = ActorId::random();
    let mut changes = vec![];
    for summary in ["第一版", "第二版"] {
        let mut record = input().validate(today()).unwrap();
        record.id = format!("restored-{summary}");
        record.summary = summary.into();
        let mut d = AutoCommit::new().with_actor(actor.clone());
        for c in doc::write_record(&mut d, &record).unwrap() {
            changes.push(WireChange {
                doc_id: id.to_string(),
                kind: "station".into(),
                bytes: c.raw_bytes().to_vec(),
            });
        }
    }
    // The phone signs in with the actor of its old backup as its device id.
    let http = reqwest::Client::new();
    let signed_in: shared::protocol::SignInResponse = http
        .post(format!(
            "{}{}",
            server.url(),
            shared::protocol::SIGN_IN_PATH
        ))
        .json(&shared::protocol::SignInRequest {
            username: "user-a".into(),
            password: PASSWORD.into(),
            device_id: "restored-phone".into(),
            device_name: "restored".into(),
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let push = |changes: Vec<WireChange>| {
        http.post(format!("{}{SYNC_PATH}", server.url()))
            .bearer_auth(&signed_in.token)
            .json(&SyncRequest {
                device_id: "restored-phone".into(),
                cursor: 0,
                changes,
                bootstrap: None,
                key_cursor: 0,
                keys: Vec::new(),
            })
            .send()
    };
    let stored = server.storage.change_count().unwrap();
    // Both at once: the second reuses the first's sequence numbers; nothing is stored.
    let both = push(changes.clone()).await.unwrap();
    assert_eq!(both.status().as_u16(), 409);
    assert_eq!(server.storage.change_count().unwrap(), stored);
    // The first alone goes in; the second, later, is refused.
    let half = changes.len() / 2;
    assert!(
        push(changes[..half].to_vec())
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let later = push(changes[half..].to_vec()).await.unwrap();
    assert_eq!(later.status().as_u16(), 409);
    assert_eq!(server.storage.change_count().unwrap(), stored + half as u64);

    let c = Device::new(dir.path(), "c", &server).await;
    c.sync().await;
    let ids: Vec<String> = c
        .store()
        .list_activities(&shared::ActivityFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(ids.contains(&good), "{ids:?}");
    assert!(ids.contains(&"restored-第一版".to_string()), "{ids:?}");
    c.store().verify().unwrap();
    // A device that had synced before goes on too.
    a.sync().await;
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_session_that_ends_keeps_the_outbox_until_the_user_signs_in_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = Device::new(dir.path(), "a", &server).await;
    a.sync().await;
    // The administrator signs the phone out (lost, then found); meanwhile it records.
    let device_id = a.store().device_id();
    assert_eq!(server.storage.revoke_device(&device_id).unwrap(), 1);
    let id = a.store().create_activity(&input(), today()).unwrap();
    let err = shared::AppError::from(a.client.sync(&a.store).await.unwrap_err());
    assert_eq!(err, shared::AppError::SessionExpired);
    let status = a.store().sync_status().unwrap();
    assert_eq!(status.last_error, Some(err));
    assert_eq!(status.pending_records, 1, "nothing dropped");
    assert!(status.account.is_some(), "the app stays usable");
    // Signing in again sends what waited (the name typed as the user remembers it).
    a.client
        .sign_in(&a.store, &server.url(), " User-A ", PASSWORD, "a")
        .await
        .unwrap();
    assert_eq!(a.sync().await.sent_changes, 1);
    let b = Device::new(dir.path(), "b", &server).await;
    b.sync().await;
    assert!(b.store().activity(&id).is_ok());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn another_account_on_a_device_never_sees_the_first_ones_records() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let phone = Device::new(dir.path(), "phone", &server).await;
    phone.sync().await;
    phone.store().create_activity(&input(), today()).unwrap();
    account(
        &server,
        "user-zizhuyuan",
        Role::StationStaff,
        Some("st-zizhuyuan-home"),
    );
    let url = server.url();
    let switch = || {
        phone
            .client
            .sign_in(&phone.store, &url, "user-zizhuyuan", PASSWORD, "phone")
    };
    // Not while the first account's record is unsent: it would be lost.
    let err = shared::AppError::from(switch().await.unwrap_err());
    assert_eq!(err, shared::AppError::UnsentChanges);
    assert_eq!(
        phone.store().session().unwrap().unwrap().account.username,
        "user-phone"
    );
    phone.sync().await;
    // Once it is on the server, the next account starts from its own data only, under a
    // new device id: its changes can never reuse the first account's sequence numbers.
    let first_id = phone.store().device_id();
    switch().await.unwrap();
    assert_ne!(phone.store().device_id(), first_id);
    assert!(
        phone
            .store()
            .list_activities(&shared::ActivityFilter::default())
            .unwrap()
            .is_empty()
    );
    phone.sync().await;
    assert!(
        phone
            .store()
            .list_activities(&shared::ActivityFilter::default())
            .unwrap()
            .is_empty(),
        "another station's records stay out"
    );
    assert_eq!(phone.store().stations().unwrap().len(), 6);
    // The new account writes and is heard.
    let mut zizhuyuan = input();
    zizhuyuan.station_id = "st-zizhuyuan-home".into();
    zizhuyuan.deputy_ids = vec!["dep-001".into()];
    phone.store().create_activity(&zizhuyuan, today()).unwrap();
    assert_eq!(phone.sync().await.sent_changes, 1);
    phone.store().verify().unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_change_the_server_refuses_is_set_aside_and_the_rest_gets_through() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let phone = Device::new(dir.path(), "phone", &server).await;
    phone.sync().await;
    // Signed in, the forms offer only the account's station, and the store refuses any
    // other: nothing is stored.
    let stations = phone.store().writable_stations().unwrap();
    assert_eq!(
        stations.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["st-xibeiwang-yongfeng"]
    );
    let mut elsewhere = input();
    elsewhere.station_id = "st-zizhuyuan-home".into();
    elsewhere.deputy_ids = vec!["dep-001".into()];
    let err = phone
        .store()
        .create_activity(&elsewhere, today())
        .unwrap_err();
    assert_eq!(shared::AppError::from(err), shared::AppError::NotPermitted);
    assert_eq!(phone.store().pending_records().unwrap(), 0);

    // Signed out (as an older version allowed), the phone records for another station
    // as well as its own; the server refuses the first.
    phone.store().clear_session().unwrap();
    phone.store().create_activity(&elsewhere, today()).unwrap();
    let own = phone.store().create_activity(&input(), today()).unwrap();
    phone.sign_in_as(&server, "user-phone").await;
    let report = phone.sync().await;
    assert_eq!((report.sent_changes, report.refused_changes), (1, 1));
    let status = phone.store().sync_status().unwrap();
    assert_eq!((status.pending_records, status.refused_records), (0, 1));
    assert_eq!(status.last_error, None, "the sync itself succeeded");
    // It stays on the phone, is not sent again, and blocks nothing.
    assert_eq!(phone.sync().await, shared::SyncReport::default());
    assert_eq!(
        phone
            .store()
            .list_activities(&shared::ActivityFilter::default())
            .unwrap()
            .len(),
        2
    );
    let other = Device::new(dir.path(), "other", &server).await;
    other.sync().await;
    assert!(other.store().activity(&own).is_ok());
    // Signing in again (rights may have changed) offers it once more.
    phone.sign_in_as(&server, "user-phone").await;
    assert_eq!(phone.store().sync_status().unwrap().refused_records, 0);
    assert_eq!(phone.sync().await.refused_changes, 1);
    // A later change to the refused document waits with it: it depends on the refused
    // one, and would be stuck on every other device.
    phone.store().clear_session().unwrap();
    let mut again = elsewhere.clone();
    again.summary = "同一站点的第二条".into();
    phone.store().create_activity(&again, today()).unwrap();
    phone.sign_in_as(&server, "user-phone").await;
    // (Signing in offered the first again: both are set aside together.)
    let report = phone.sync().await;
    assert_eq!((report.sent_changes, report.refused_changes), (0, 2));
    let status = phone.store().sync_status().unwrap();
    assert_eq!((status.pending_records, status.refused_records), (0, 2));
    // They keep another account off the device, until the user gives them up.
    account(
        &server,
        "user-next",
        Role::StationStaff,
        Some("st-xibeiwang-yongfeng"),
    );
    let err = phone
        .client
        .sign_in(&phone.store, &server.url(), "user-next", PASSWORD, "phone")
        .await
        .unwrap_err();
    assert_eq!(shared::AppError::from(err), shared::AppError::UnsentChanges);
    assert_eq!(phone.store().discard_refused().unwrap(), 2);
    assert_eq!(phone.store().sync_status().unwrap().refused_records, 0);
    phone.sign_in_as(&server, "user-next").await;
    // A district administrator reads everything and records nothing.
    let admin = Device::signed_in(dir.path(), "admin", &server, Role::DistrictAdmin, None).await;
    admin.sync().await;
    assert!(admin.store().writable_stations().unwrap().is_empty());
    let err = admin
        .store()
        .create_activity(&input(), today())
        .unwrap_err();
    assert_eq!(shared::AppError::from(err), shared::AppError::NotPermitted);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_photo_goes_up_in_chunks_and_comes_down_on_another_device() {
    use shared::protocol::{BLOB_CHUNK_BYTES, BLOBS_PATH, MAX_PHOTO_BYTES, UploadState};
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = Device::new(dir.path(), "a", &server).await;
    a.sync().await;
    let id = a.store().create_activity(&input(), today()).unwrap();

    // Refused when attached, before anything is stored: too large, or not a photo.
    let invalid = |bytes: &[u8]| match a.store().add_photo(&id, bytes).unwrap_err() {
        shared::Error::Invalid(fields) => fields[0].problem,
        e => panic!("{e}"),
    };
    assert_eq!(
        invalid(&photo_bytes(MAX_PHOTO_BYTES as usize + 1, 1)),
        shared::Problem::TooLarge
    );
    assert_eq!(invalid(b"%PDF-1.7 not a photo"), shared::Problem::Unknown);
    assert!(a.store().activity_record(&id).unwrap().photos.is_empty());
    assert_eq!(a.store().sync_status().unwrap().pending_photos, 0);

    // Two and a half chunks.
    let photo = photo_bytes(2 * BLOB_CHUNK_BYTES as usize + 1000, 7);
    let hash = a.store().add_photo(&id, &photo).unwrap();
    assert_eq!(a.store().add_photo(&id, &photo).unwrap(), hash, "once only");
    assert_eq!(
        a.store().activity_record(&id).unwrap().photos,
        std::slice::from_ref(&hash)
    );
    assert_eq!(a.store().sync_status().unwrap().pending_photos, 1);

    // A file links only to a document the server has: every sync sends records before
    // photos. Here another phone of the station has put this month's document there.
    let other = Device::new(dir.path(), "a-colleague", &server).await;
    other.sync().await;
    other.store().create_activity(&input(), today()).unwrap();
    other.sync().await;

    // The connection was cut after the first chunk of an earlier attempt.
    let doc_id = a.store().pending_uploads().unwrap()[0].doc_id.clone();
    let upload = format!("{}{BLOBS_PATH}/{hash}/upload", server.url());
    let http = reqwest::Client::new();
    let put = |offset: usize, len: usize, size: usize| {
        http.put(&upload)
            .bearer_auth(a.token())
            .query(&[
                ("doc_id", doc_id.clone()),
                ("size", size.to_string()),
                ("offset", offset.to_string()),
            ])
            .body(photo[offset..offset + len].to_vec())
            .send()
    };
    let first = put(0, BLOB_CHUNK_BYTES as usize, photo.len())
        .await
        .unwrap();
    let state: UploadState = first.json().await.unwrap();
    assert_eq!(state.received, BLOB_CHUNK_BYTES);
    // A chunk past what arrived is refused; a file over the limit too.
    let gap = put(2 * BLOB_CHUNK_BYTES as usize, 1000, photo.len());
    assert_eq!(gap.await.unwrap().status().as_u16(), 409);
    let huge = put(0, 10, MAX_PHOTO_BYTES as usize + 1);
    assert_eq!(huge.await.unwrap().status().as_u16(), 400);

    // A photo taken off the record before it went out is never sent.
    let second = photo_bytes(1000, 9);
    let second_hash = a.store().add_photo(&id, &second).unwrap();
    assert_eq!(a.store().pending_uploads().unwrap().len(), 2);
    let mut edit = a.store().activity(&id).unwrap();
    edit.photos.retain(|h| *h != second_hash);
    a.store().update_activity(&id, &edit, today()).unwrap();
    assert_eq!(a.store().pending_uploads().unwrap().len(), 1);

    let report = a.sync().await;
    assert_eq!(report.sent_photos, 1);
    assert_eq!(a.store().sync_status().unwrap().pending_photos, 0);
    assert_eq!(a.sync().await.sent_photos, 0, "sent once");

    // Another device of the station sees the record, and fetches the photo on demand.
    let b = Device::new(dir.path(), "b", &server).await;
    b.sync().await;
    assert_eq!(
        b.store().activity_record(&id).unwrap().photos,
        std::slice::from_ref(&hash)
    );
    assert_eq!(b.store().photo(&hash).unwrap(), None);
    // An interrupted download: the first chunk had arrived.
    let (doc, have) = b.store().photo_download(&id, &hash).unwrap();
    assert_eq!((doc.as_str(), have), (doc_id.as_str(), 0));
    let done = b
        .store()
        .save_photo_part(
            &hash,
            &doc,
            0,
            &photo[..BLOB_CHUNK_BYTES as usize],
            photo.len() as u64,
        )
        .unwrap();
    assert!(!done);
    assert_eq!(
        b.store().photo_download(&id, &hash).unwrap().1,
        BLOB_CHUNK_BYTES
    );
    let fetched = b.client.fetch_photo(&b.store, &id, &hash).await.unwrap();
    assert!(fetched == photo, "the same bytes");
    assert!(b.store().photo(&hash).unwrap().is_some(), "kept");

    // Another station's account: as if the photo did not exist; a read-only account
    // cannot upload.
    let other = Device::signed_in(
        dir.path(),
        "other",
        &server,
        Role::StationStaff,
        Some("st-zizhuyuan-home"),
    )
    .await;
    let download = format!("{}{BLOBS_PATH}/{hash}", server.url());
    let get = |token: String, doc: &str| {
        http.get(&download)
            .bearer_auth(token)
            .query(&[("doc_id", doc)])
            .send()
    };
    assert_eq!(
        get(other.token(), &doc_id).await.unwrap().status().as_u16(),
        404
    );
    let own_doc = "station/st-zizhuyuan-home/2026-11";
    assert_eq!(
        get(other.token(), own_doc).await.unwrap().status().as_u16(),
        404
    );
    assert_eq!(
        get(a.token(), &doc_id)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
        photo
    );
    let admin = Device::signed_in(dir.path(), "admin", &server, Role::DistrictAdmin, None).await;
    let read_only = http
        .put(&upload)
        .bearer_auth(admin.token())
        .query(&[("doc_id", doc_id.as_str()), ("size", "10"), ("offset", "0")])
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(read_only.status().as_u16(), 403);
    assert_eq!(
        get(admin.token(), &doc_id).await.unwrap().status().as_u16(),
        200
    );

    // A file that does not match its name is dropped whole.
    let fake = shared::protocol::content_hash(b"something else");
    let wrong = http
        .put(format!("{}{BLOBS_PATH}/{fake}/upload", server.url()))
        .bearer_auth(a.token())
        .query(&[("doc_id", doc_id.as_str()), ("size", "10"), ("offset", "0")])
        .body(photo[..10].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 400);
    assert_eq!(
        get(a.token(), &doc_id).await.unwrap().status().as_u16(),
        200
    );
    let state: UploadState = http
        .get(format!("{}{BLOBS_PATH}/{fake}/upload", server.url()))
        .bearer_auth(a.token())
        .query(&[("doc_id", doc_id.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state, UploadState::default());
    server.shutdown().await.unwrap();
}

/// The server is restored from last night's backup: it lost a record a phone had sent
/// (and, acknowledged, dropped from its outbox), and hands out sequence numbers the phone's
/// cursor has passed. Comparing heads finds both documents, and Automerge's sync protocol
/// repairs them in both directions.
#[tokio::test]
async fn documents_that_disagree_with_a_restored_server_are_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::for_tests(dir.path().join("server.db"));
    let server = server_on(database.clone()).await;
    let addr = server.addr;
    let a = Device::new(dir.path(), "a", &server).await;
    account(
        &server,
        "user-b",
        Role::StationStaff,
        Some("st-xibeiwang-yongfeng"),
    );
    a.sync().await;
    let backup = server_db::backup(&database, &server.storage, &dir.path().join("backup.db"));
    let lost = a.store().create_activity(&input(), today()).unwrap();
    assert_eq!(a.sync().await.sent_changes, 1);
    // An opinion with a voter's details: its key, too, is lost by the restore.
    let with_contact = a
        .store()
        .create_opinion(
            &OpinionInput {
                station_id: "st-xibeiwang-yongfeng".into(),
                date: today().to_string(),
                categories: vec![OpinionCategory::Traffic],
                content: "公交站牌看不清".into(),
                voter_name: "孙大姐".into(),
                consent: true,
                ..OpinionInput::default()
            },
            today(),
        )
        .unwrap();
    a.sync().await;
    // Nothing disagrees yet: checking finds nothing to repair.
    let report = a.client.verify_documents(&a.store, 1000).await.unwrap();
    assert!(report.checked > 0);
    assert_eq!(report.repaired, 0);
    server.shutdown().await.unwrap();

    // The restore: over the old file on SQLite, into a new database on PostgreSQL.
    let restored = server_db::restore(&backup, &dir.path().join("server.db"));
    let server = sync_server::start(Config::new(restored, addr))
        .await
        .unwrap();
    // Another phone records after the restore; its change gets a sequence number the
    // first phone's cursor has already passed.
    let b = Device::unsigned(dir.path(), "b");
    b.client
        .sign_in(&b.store, &server.url(), "user-b", PASSWORD, "b")
        .await
        .unwrap();
    b.sync().await;
    let mut later = input();
    later.summary = "恢复之后登记".into();
    let after_restore = b.store().create_activity(&later, today()).unwrap();
    b.sync().await;

    // The ordinary sync sees nothing wrong in either direction.
    a.sync().await;
    assert!(a.store().activity(&after_restore).is_err());
    // An hour later, a sync also checks documents, and repairs the one that disagrees.
    let (position, _) = a.store().verify_position().unwrap();
    let an_hour_ago = chrono::Utc::now().timestamp() - shared::sync::VERIFY_INTERVAL_SECS;
    a.store()
        .set_verify_position(&position, an_hour_ago)
        .unwrap();
    a.sync().await;
    assert!(
        a.store().activity(&after_restore).is_ok(),
        "pulled by repair"
    );
    b.sync().await;
    assert!(b.store().activity(&lost).is_ok(), "pushed back by repair");
    let fresh = Device::new(dir.path(), "fresh", &server).await;
    fresh.sync().await;
    assert!(fresh.store().activity(&lost).is_ok());
    assert!(fresh.store().activity(&after_restore).is_ok());
    // The restored server handed out key sequence numbers the phone's key cursor had
    // passed: the phone sent its keys again, and the details open on a new device.
    assert_eq!(
        fresh.store().voter_contact(&with_contact).unwrap(),
        shared::VoterContact::Shown {
            name: "孙大姐".into(),
            phone: String::new()
        }
    );
    // Settled: a second check repairs nothing.
    let report = a.client.verify_documents(&a.store, 1000).await.unwrap();
    assert_eq!(report.repaired, 0, "{report:?}");
    a.store().verify().unwrap();

    // Hostile repair requests: a 4xx, nothing stored.
    let stored = server.storage.change_count().unwrap();
    let http = reqwest::Client::new();
    let repair = |doc_id: &str, message: Vec<u8>| {
        http.post(format!("{}{}", server.url(), shared::protocol::REPAIR_PATH))
            .bearer_auth(a.token())
            .json(&shared::protocol::RepairRequest {
                doc_id: doc_id.into(),
                message,
            })
            .send()
    };
    let own = "station/st-xibeiwang-yongfeng/2026-11";
    let other = "station/st-zizhuyuan-home/2026-11";
    let hello = {
        use automerge::sync::SyncDoc as _;
        let mut doc = automerge::AutoCommit::new();
        doc.sync()
            .generate_sync_message(&mut automerge::sync::State::new())
            .unwrap()
            .encode()
    };
    assert_eq!(
        repair(own, vec![1, 2, 3]).await.unwrap().status().as_u16(),
        400
    );
    assert_eq!(
        repair(other, hello.clone())
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        repair("nonsense", hello.clone())
            .await
            .unwrap()
            .status()
            .as_u16(),
        400
    );
    assert_eq!(repair(own, hello).await.unwrap().status().as_u16(), 200);
    assert_eq!(server.storage.change_count().unwrap(), stored);
    server.shutdown().await.unwrap();
}

/// The voters' channel end to end: a voter sends an opinion from the station's public
/// page with a name and phone; the station's device gets it (marked online, the details
/// readable); it is referred, answered and fed back, and the voter's status page
/// follows; the voter withdraws consent, and the key that opened the details is gone
/// from the server's files and the device's store, so the sealed details that every
/// copy and history of the document keeps can never be read again.
#[tokio::test]
async fn a_voters_online_opinion_is_handled_fed_back_and_its_contact_erased() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::for_tests(dir.path().join("server.db"));
    let server = server_on(database.clone()).await;
    let station_key = StoreKey::from_bytes([7; 32]);
    let station = Device {
        store: Mutex::new(Store::open(&dir.path().join("station.db"), &station_key).unwrap()),
        client: SyncClient::new(false).unwrap(),
    };
    account(
        &server,
        "staff",
        Role::StationStaff,
        Some("st-xibeiwang-yongfeng"),
    );
    station.sign_in_as(&server, "staff").await;
    let department = Device::signed_in(
        dir.path(),
        "dept",
        &server,
        Role::Department,
        Some("dept-agriculture"),
    )
    .await;
    station.sync().await;
    department.sync().await;
    // The dates the server writes are Beijing's.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();

    let web = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = |path: String| {
        let web = web.clone();
        let url = format!("{}{path}", server.url());
        async move {
            let r = web.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, html) = page("/s/st-xibeiwang-yongfeng".into()).await;
    assert_eq!(status, 200);
    assert!(html.contains("永丰"), "{html}");
    let sent = web
        .post(format!("{}/s/st-xibeiwang-yongfeng", server.url()))
        .form(&[
            ("content", "村口机井坏了，春灌用水紧张"),
            ("category", "agriculture"),
            ("name", "王大爷"),
            ("phone", "13911112222"),
            ("consent", "1"),
            ("website", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 303);
    let location = sent.headers()["location"].to_str().unwrap().to_owned();
    let code = location
        .strip_prefix("/t/")
        .and_then(|l| l.strip_suffix("?new=1"))
        .unwrap()
        .to_owned();
    let (_, html) = page(location.clone()).await;
    assert!(
        html.contains("已收到") && html.contains("提交成功"),
        "{html}"
    );

    // The station's device gets it like any record, marked online, details readable.
    station.sync().await;
    let opinions = station
        .store()
        .list_opinions(&OpinionFilter::default(), today)
        .unwrap();
    assert_eq!(opinions.len(), 1);
    assert!(opinions[0].online);
    assert_eq!(opinions[0].content, "村口机井坏了，春灌用水紧张");
    let id = opinions[0].id.clone();
    assert_eq!(
        station.store().voter_contact(&id).unwrap(),
        shared::VoterContact::Shown {
            name: "王大爷".into(),
            phone: "13911112222".into()
        }
    );
    // Referred, answered, fed back: the status page follows each step after a sync.
    let referral = station
        .store()
        .refer_opinion(
            &ReferralInput {
                opinion_id: id.clone(),
                department_id: "dept-agriculture".into(),
                deadline: (today + chrono::Duration::days(20)).to_string(),
                ..ReferralInput::default()
            },
            today,
        )
        .unwrap();
    station.sync().await;
    let (_, html) = page(format!("/t/{code}")).await;
    assert!(html.contains(r#"<dd class="now">已交办</dd>"#), "{html}");
    // Nothing of the department's side beyond the step itself.
    assert!(!html.contains("农业") && !html.contains("dept-"), "{html}");
    department.sync().await;
    department
        .store()
        .answer_referral(
            &AnswerInput {
                referral_id: referral,
                status: AnswerStatus::Answered,
                date: today.to_string(),
                text: "农业服务中心下周维修".into(),
            },
            today,
        )
        .unwrap();
    department.sync().await;
    let (_, html) = page(format!("/t/{code}")).await;
    assert!(html.contains(r#"<dd class="now">已答复</dd>"#), "{html}");
    assert!(
        !html.contains("农业服务中心下周维修"),
        "the answer is the department's"
    );
    station.sync().await;
    station
        .store()
        .record_feedback(
            &FeedbackInput {
                opinion_id: id.clone(),
                date: today.to_string(),
                text: "已联系镇农业服务中心，下周一维修机井".into(),
                satisfaction: None,
            },
            today,
        )
        .unwrap();
    station.sync().await;
    let (_, html) = page(format!("/t/{code}")).await;
    assert!(html.contains(r#"<dd class="now">已反馈</dd>"#), "{html}");
    assert!(
        html.contains("已联系镇农业服务中心，下周一维修机井"),
        "{html}"
    );
    assert!(html.contains("仅本站工作人员可见"), "{html}");
    // Feedback kept the sealed details: still readable on the device.
    assert!(matches!(
        station.store().voter_contact(&id).unwrap(),
        shared::VoterContact::Shown { .. }
    ));

    // Before: the key is on the server, and only sealed details anywhere.
    // What the server keeps, as a person with it would read it: its database's files on
    // SQLite; on PostgreSQL, a dump of its database.
    let server_files = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("server.db"))
            .flat_map(|p| std::fs::read(p).unwrap())
            .collect::<Vec<u8>>()
    };
    let server_holds = |needle: &[u8]| match &database {
        Database::Sqlite(_) => holds(&server_files(), needle),
        Database::Postgres { url, .. } => {
            server_db::dump_holds(&server_db::plain_dump(url), needle)
        }
    };
    let key: Vec<u8> = server_db::one(&database, "SELECT key FROM record_keys").await;
    assert_eq!(key.len(), 32);
    let name = "王大爷".as_bytes();
    let phone = b"13911112222";
    assert!(!server_holds(name) && !server_holds(phone));

    // A wrong confirmation changes nothing; then the voter withdraws.
    let withdraw = |confirm: &'static str| {
        web.post(format!("{}/t/{code}/withdraw", server.url()))
            .form(&[("confirm", confirm)])
            .send()
    };
    assert_eq!(withdraw("0").await.unwrap().status().as_u16(), 422);
    assert!(server_holds(&key));
    let done = withdraw("1").await.unwrap();
    assert_eq!(done.status().as_u16(), 200);
    assert!(done.text().await.unwrap().contains("已撤回同意"));
    let (_, html) = page(format!("/t/{code}")).await;
    assert!(html.contains("您的姓名和电话已删除") && !html.contains("撤回同意并删除"));
    // The server's files (database and log; on PostgreSQL, a dump of its database) hold
    // no copy of the key, and its table of keys holds none.
    let kept: i64 = server_db::one(
        &database,
        "SELECT COUNT(*) FROM record_keys WHERE key IS NOT NULL",
    )
    .await;
    assert_eq!(kept, 0, "the key is still in record_keys");
    assert!(
        !server_holds(&key),
        "the key is still in the server's files"
    );
    assert!(!server_holds(name) && !server_holds(phone));

    // The device destroys its copy with its next sync.
    let station_hex: String = [7u8; 32].iter().map(|b| format!("{b:02x}")).collect();
    let device_values = || every_stored_value(&dir.path().join("station.db"), Some(&station_hex));
    assert!(device_values().iter().any(|v| v == &key));
    station.sync().await;
    assert_eq!(
        station.store().voter_contact(&id).unwrap(),
        shared::VoterContact::Erased
    );
    for v in device_values() {
        assert!(v != key && !holds(&v, name) && !holds(&v, phone));
    }
    // The opinion itself stays, with its feedback.
    let summary = &station
        .store()
        .list_opinions(&OpinionFilter::default(), today)
        .unwrap()[0];
    assert_eq!(summary.status, OpinionStatus::FedBack);
    station.store().verify().unwrap();
    server.shutdown().await.unwrap();
}

/// A campaign's progress lists the stations whose records the device holds: a station's
/// own phone shows its row, not a zero for every other station it never receives; the
/// district office's device shows every station of the campaign.
#[tokio::test]
async fn a_campaign_shows_the_stations_whose_records_the_device_holds() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let station = "st-zizhuyuan-home";
    let phone = Device::signed_in(
        dir.path(),
        "phone",
        &server,
        Role::StationStaff,
        Some(station),
    )
    .await;
    let office = Device::signed_in(dir.path(), "office", &server, Role::DistrictAdmin, None).await;
    phone.sync().await;
    office.sync().await;
    let campaign = phone
        .store()
        .campaigns()
        .unwrap()
        .into_iter()
        .find(|c| c.station_ids.len() > 1 && c.station_ids.iter().any(|s| s == station))
        .expect("a campaign of several stations, this one among them");
    let rows = phone.store().campaign_progress(&campaign.id).unwrap();
    let ids: Vec<&str> = rows.iter().map(|p| p.station_id.as_str()).collect();
    assert_eq!(ids, [station]);
    let rows = office.store().campaign_progress(&campaign.id).unwrap();
    assert_eq!(rows.len(), campaign.station_ids.len());
}
