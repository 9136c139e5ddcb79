//! The records a station's device pushes, against the real server on 127.0.0.1 (port 0)
//! over real HTTP: every record a change touches must read as a record of its kind,
//! belong in its document and hold the types of value the app writes
//! (`shared::validate`). A request with one record that does not is refused with 422
//! naming the document and the record, and nothing of the request is stored, its valid
//! changes to other documents included.

use automerge::sync::{Message, State, SyncDoc as _};
use automerge::transaction::Transactable as _;
use automerge::{AutoCommit, ObjType, ROOT};
use chrono::NaiveDate;
use shared::doc::write_record;
use shared::model::{Activity, ActivityKind, OpinionCategory, OpinionInput, Role};
use shared::protocol::{REPAIR_PATH, RepairRequest, RepairResponse, SyncResponse, WireChange};
use sync_server::RunningServer;

mod support;

use support::*;

const NOVEMBER: &str = "station/st-zizhuyuan-home/2026-11";
const OCTOBER: &str = "station/st-zizhuyuan-home/2026-10";

/// A server with the station's account only.
async fn station_server(dir: &std::path::Path) -> RunningServer {
    let server = bare_server(dir, |_| {}).await;
    create_account(&server, "station", Role::StationStaff, Some(STATION));
    server
}

/// The documents of the changes the server has for `device`, after the directory's.
async fn pulled(device: &Client) -> Vec<String> {
    let response = device.sync(1, vec![]).await;
    assert_eq!(response.status(), 200);
    let r: SyncResponse = response.json().await.unwrap();
    assert!(!r.more);
    r.changes
        .into_iter()
        .map(|c| c.doc_id)
        .filter(|id| id.starts_with("station/"))
        .collect()
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn activity(id: &str, station: &str) -> Activity {
    Activity {
        id: id.into(),
        kind: ActivityKind::VoterMeeting,
        station_id: station.into(),
        date: day(11, 20),
        deputy_ids: vec!["dep-001".into()],
        guests: String::new(),
        voters_received: 12,
        online: false,
        location: "社区活动室".into(),
        summary: "小区门口停车难".into(),
        photos: vec![],
        campaign_id: None,
        draft_id: None,
    }
}

/// A valid change the app writes: an October opinion with its voter's details sealed.
fn valid_change() -> Vec<WireChange> {
    let mut opinion = OpinionInput {
        station_id: STATION.into(),
        date: day(10, 9).to_string(),
        categories: vec![OpinionCategory::Traffic],
        content: "路口红绿灯时间太短".into(),
        voter_name: "张大爷".into(),
        voter_phone: "13800138000".into(),
        consent: true,
        ..OpinionInput::default()
    }
    .validate(day(11, 25))
    .unwrap();
    opinion.id = "o-1".into();
    shared::seal::seal_opinion(&mut opinion, None).unwrap();
    let mut doc = AutoCommit::new();
    write_record(&mut doc, &opinion).unwrap();
    changes(OCTOBER, &mut doc)
}

/// An activity written field by field, as a client written from docs/PROTOCOL.md
/// writes it; `kind` as given, and the summary a text object when `text` is set.
fn outside_client_activity(id: &str, kind: &str, text: bool) -> AutoCommit {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", 2u64).unwrap();
    let a = doc
        .put_object(ROOT, format!("activity:{id}"), ObjType::Map)
        .unwrap();
    doc.put(&a, "id", id).unwrap();
    doc.put(&a, "kind", kind).unwrap();
    doc.put(&a, "station_id", STATION).unwrap();
    doc.put(&a, "date", "2026-11-20").unwrap();
    let deputies = doc.put_object(&a, "deputy_ids", ObjType::List).unwrap();
    doc.insert(&deputies, 0, "dep-001").unwrap();
    doc.put(&a, "guests", "").unwrap();
    doc.put(&a, "voters_received", 12u64).unwrap();
    doc.put(&a, "online", false).unwrap();
    doc.put(&a, "location", "社区活动室").unwrap();
    if text {
        let summary = doc.put_object(&a, "summary", ObjType::Text).unwrap();
        doc.splice_text(&summary, 0, 0, "小区门口停车难").unwrap();
    } else {
        doc.put(&a, "summary", "小区门口停车难").unwrap();
    }
    doc.put_object(&a, "photos", ObjType::List).unwrap();
    doc.put(&a, "campaign_id", automerge::ScalarValue::Null)
        .unwrap();
    doc.put(&a, "draft_id", automerge::ScalarValue::Null)
        .unwrap();
    doc.commit();
    doc
}

/// Asserts that `response` refuses `record` of document `doc_id` with 422 and a reason
/// containing `reason`, and that the server holds `stored` changes still.
async fn assert_refused(
    server: &RunningServer,
    response: reqwest::Response,
    (doc_id, record, reason): (&str, &str, &str),
    stored: u64,
) {
    let (status, body) = error_of(response).await;
    assert_eq!(status, 422, "{body:?}");
    assert_eq!(body.error, "invalid_record");
    assert_eq!(body.doc_id.as_deref(), Some(doc_id), "{body:?}");
    assert!(body.message.contains(record), "{body:?}");
    assert!(body.message.contains(reason), "{body:?}");
    assert_eq!(
        server.storage.change_count().unwrap(),
        stored,
        "nothing stored"
    );
}

/// The outside client's activities: Rust's enum name (the app writes `voter_meeting`),
/// or a text object where the app writes a string, each pushed in one request after a
/// valid change to another document. Both are refused, and the valid change with them;
/// the same records in the app's form are taken.
#[tokio::test]
async fn a_record_the_app_cannot_read_is_refused_with_the_rest_of_its_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = station_server(dir.path()).await;
    let phone = Client::new(&server, "station", "phone-1").await;
    let tablet = Client::new(&server, "station", "tablet-1").await;
    let stored = server.storage.change_count().unwrap();

    for (kind, text, reason) in [
        (
            "VoterMeeting",
            false,
            "does not read as a record of its kind: kind: a value it does not know",
        ),
        (
            "voter_meeting",
            true,
            "summary: a text object where the app writes a string",
        ),
    ] {
        let mut request = valid_change();
        let mut bad = outside_client_activity("a-1", kind, text);
        request.extend(changes(NOVEMBER, &mut bad));
        let response = phone.sync(0, request).await;
        assert_refused(
            &server,
            response,
            (NOVEMBER, "activity:a-1", reason),
            stored,
        )
        .await;
        assert!(
            pulled(&tablet).await.is_empty(),
            "another device gets nothing"
        );
    }
    // The names of values are never quoted back (they may be a voter's details).
    let mut bad = outside_client_activity("a-1", "VoterMeeting", false);
    let (_, body) = error_of(phone.sync(0, changes(NOVEMBER, &mut bad)).await).await;
    assert!(!body.message.contains("VoterMeeting"), "{body:?}");

    // In the app's form, the same client's record is taken, and so is the valid change.
    let mut good = outside_client_activity("a-1", "voter_meeting", false);
    let mut request = valid_change();
    request.extend(changes(NOVEMBER, &mut good));
    assert_eq!(phone.sync(0, request).await.status(), 200);
    let mut seen = pulled(&tablet).await;
    seen.sort();
    assert_eq!(seen, [OCTOBER, NOVEMBER]);
    server.shutdown().await.unwrap();
}

/// A record naming another station, written as the app writes records, in this
/// station's month: refused by sync and by repair alike, and nothing is stored.
#[tokio::test]
async fn a_record_of_another_station_is_refused_by_sync_and_repair() {
    let dir = tempfile::tempdir().unwrap();
    let server = station_server(dir.path()).await;
    let phone = Client::new(&server, "station", "phone-1").await;
    let stored = server.storage.change_count().unwrap();
    let mut doc = AutoCommit::new();
    write_record(&mut doc, &activity("a-2", OTHER_STATION)).unwrap();
    let mut request = valid_change();
    request.extend(changes(NOVEMBER, &mut doc));
    let response = phone.sync(0, request).await;
    let refused = (NOVEMBER, "activity:a-2", "does not belong in this document");
    assert_refused(&server, response, refused, stored).await;

    // Through repair (Automerge's sync protocol): the server's first answer says what it
    // has, the device's next message carries the change.
    let mut state = State::new();
    let mut reply: Option<Vec<u8>> = None;
    for round in 0.. {
        if let Some(m) = reply.take() {
            doc.sync()
                .receive_sync_message(&mut state, Message::decode(&m).unwrap())
                .unwrap();
        }
        let message = doc.sync().generate_sync_message(&mut state).unwrap();
        let carries_changes = !message.changes.is_empty();
        let response = phone
            .post_json(
                REPAIR_PATH,
                &RepairRequest {
                    doc_id: NOVEMBER.into(),
                    message: message.encode(),
                },
            )
            .await;
        if carries_changes {
            assert_refused(&server, response, refused, stored).await;
            break;
        }
        assert_eq!(response.status(), 200);
        let r: RepairResponse = response.json().await.unwrap();
        reply = r.message;
        assert!(round < 3, "the change never went");
    }

    // Its own station's is taken.
    let mut doc = AutoCommit::new();
    write_record(&mut doc, &activity("a-2", STATION)).unwrap();
    assert_eq!(
        phone.sync(0, changes(NOVEMBER, &mut doc)).await.status(),
        200
    );
    server.shutdown().await.unwrap();
}
