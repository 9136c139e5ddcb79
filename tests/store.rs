//! The device store on a real SQLite file: records survive a reopen, bad input changes
//! nothing, and the outbox keeps every change until the server acknowledges it.

use chrono::NaiveDate;
use shared::protocol::{Ack, SyncResponse};
use shared::{AppError, Field, Problem, Store, StoreKey, VoterMeetingInput};

fn key() -> StoreKey {
    StoreKey::from_bytes([0x17; 32])
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// A store whose directory arrived the way it does in the app: as synced changes.
fn store_with_directory(path: &std::path::Path) -> Store {
    let mut store = Store::open(path, &key()).unwrap();
    store.receive_directory(&shared::demo::directory()).unwrap();
    store
}

fn input() -> VoterMeetingInput {
    VoterMeetingInput {
        station_id: "st-zizhuyuan-home".into(),
        date: "2026-11-24".into(),
        deputy_ids: vec!["dep-001".into(), "dep-002".into()],
        voters_received: "23".into(),
        summary: "反映小区门口停车难、老年人就医难".into(),
    }
}

#[test]
fn a_saved_meeting_is_there_after_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let id = {
        let mut store = store_with_directory(&path);
        store.create_meeting(&input(), today()).unwrap()
    };
    let store = Store::open(&path, &key()).unwrap();
    let list = store.list_meetings().unwrap();
    assert_eq!(list.len(), 1);
    let m = &list[0];
    assert_eq!(m.id, id);
    assert_eq!(m.station_name, "紫竹院街道人大代表之家");
    assert_eq!(m.deputy_names, ["王建华", "李秀英"]);
    assert_eq!(m.voters_received, 23);
    assert_eq!(m.summary, "反映小区门口停车难、老年人就医难");
    assert!(m.pending_sync, "not yet acknowledged by a server");
    assert_eq!(store.meeting(&id).unwrap(), input());
    // The projection agrees with the Automerge document itself.
    let from_doc = store.meeting_from_document(&id).unwrap();
    assert_eq!(from_doc.voters_received, 23);
    assert_eq!(from_doc.summary, m.summary);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let id = store.create_meeting(&input(), today()).unwrap();
    let before = store.list_meetings().unwrap();
    let pending_before = store.sync_request().unwrap().changes.len();

    let check = |edit: fn(&mut VoterMeetingInput), field: Field, problem: Problem| {
        let mut bad = input();
        edit(&mut bad);
        (bad, field, problem)
    };
    let cases = [
        check(
            |i| i.voters_received = "".into(),
            Field::VotersReceived,
            Problem::Required,
        ),
        check(
            |i| i.voters_received = "-5".into(),
            Field::VotersReceived,
            Problem::Negative,
        ),
        check(
            |i| i.date = "2026-11-27".into(),
            Field::Date,
            Problem::InFuture,
        ),
        check(
            |i| i.summary = "长".repeat(501),
            Field::Summary,
            Problem::TooLong,
        ),
        check(
            |i| i.station_id = "st-nowhere".into(),
            Field::Station,
            Problem::Unknown,
        ),
        check(
            |i| i.deputy_ids = vec!["dep-999".into()],
            Field::Deputies,
            Problem::Unknown,
        ),
    ];
    for (bad, field, problem) in cases {
        for result in [
            store.create_meeting(&bad, today()).map(|_| ()),
            store.update_meeting(&id, &bad, today()),
        ] {
            match result.map_err(AppError::from) {
                Err(AppError::Invalid { fields }) => {
                    assert!(
                        fields
                            .iter()
                            .any(|f| f.field == field && f.problem == problem),
                        "{bad:?} gave {fields:?}"
                    );
                }
                other => panic!("{bad:?} was not refused: {other:?}"),
            }
        }
    }
    assert_eq!(store.list_meetings().unwrap(), before);
    assert_eq!(store.sync_request().unwrap().changes.len(), pending_before);
}

#[test]
fn the_outbox_keeps_changes_until_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = store_with_directory(&path);
    let id = store.create_meeting(&input(), today()).unwrap();
    let mut edited = input();
    edited.voters_received = "40".into();
    store.update_meeting(&id, &edited, today()).unwrap();
    // Saving the same content again records nothing new.
    store.update_meeting(&id, &edited, today()).unwrap();

    let request = store.sync_request().unwrap();
    assert_eq!(request.changes.len(), 2);
    // A response that acknowledges only the first change drops only that one.
    let first = automerge::Change::from_bytes(request.changes[0].bytes.clone()).unwrap();
    drop(store);
    let mut store = Store::open(&path, &key()).unwrap();
    store
        .apply_sync_response(&SyncResponse {
            acknowledged: vec![Ack {
                doc_id: id.clone(),
                hash: first.hash().to_string(),
            }],
            cursor: 2,
            changes: vec![],
            more: false,
        })
        .unwrap();
    let left = store.sync_request().unwrap();
    assert_eq!(left.changes.len(), 1);
    assert_eq!(left.changes[0].bytes, request.changes[1].bytes);
    assert_eq!(left.cursor, 2);
    assert_eq!(store.pending_records().unwrap(), 1);
}

#[test]
fn a_corrupt_change_from_the_server_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    store.create_meeting(&input(), today()).unwrap();
    let before = store.list_meetings().unwrap();
    let result = store.apply_sync_response(&SyncResponse {
        acknowledged: vec![],
        cursor: 99,
        changes: vec![shared::protocol::WireChange {
            doc_id: "x".into(),
            kind: "voter_meeting".into(),
            bytes: b"not automerge".to_vec(),
        }],
        more: false,
    });
    assert!(result.is_err());
    assert_eq!(store.list_meetings().unwrap(), before);
    assert_eq!(
        store.sync_request().unwrap().cursor,
        0,
        "cursor did not move"
    );
}

#[test]
fn the_file_holds_no_plain_text_and_opens_only_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = store_with_directory(&path);
    let phone = "13912345678";
    let mut m = input();
    m.summary = format!("选民王女士（电话{phone}）反映小区停车难");
    store.create_meeting(&m, today()).unwrap();
    let needles: [&[u8]; 3] = [phone.as_bytes(), "停车难".as_bytes(), b"voter_meeting"];
    let assert_no_plain_text = || {
        // Every file SQLite wrote: the database, its WAL and shared memory.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            for needle in needles {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "plain text {:?} found on disk",
                    String::from_utf8_lossy(needle)
                );
            }
        }
    };
    assert_no_plain_text(); // while open (the record sits in the WAL)
    drop(store);
    assert_no_plain_text(); // after closing (checkpointed into the database)
    let wrong = Store::open(&path, &StoreKey::from_bytes([0x18; 32]));
    assert!(matches!(wrong, Err(shared::Error::WrongKey)), "{wrong:?}");
    // The wrong key changed nothing: the right one still opens it with the record.
    let store = Store::open(&path, &key()).unwrap();
    assert!(store.list_meetings().unwrap()[0].summary.contains(phone));
}

#[test]
fn a_record_edited_many_times_reads_back_its_last_edit() {
    // Past the point where appended changes are compacted into one saved document.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = store_with_directory(&path);
    let id = store.create_meeting(&input(), today()).unwrap();
    for n in 1..=80 {
        let mut m = input();
        m.voters_received = n.to_string();
        store.update_meeting(&id, &m, today()).unwrap();
    }
    drop(store);
    let store = Store::open(&path, &key()).unwrap();
    store.verify().unwrap();
    assert_eq!(store.meeting(&id).unwrap().voters_received, "80");
    assert_eq!(
        store.meeting_from_document(&id).unwrap().voters_received,
        80
    );
    assert_eq!(store.sync_request().unwrap().changes.len(), 81);
}

#[test]
fn the_history_names_each_change_with_old_and_new_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let id = store.create_meeting(&input(), today()).unwrap();
    let mut m = input();
    m.voters_received = "40".into();
    store.update_meeting(&id, &m, today()).unwrap();
    m.deputy_ids.push("dep-003".into());
    m.summary = "改为：老年人就医难".into();
    store.update_meeting(&id, &m, today()).unwrap();
    store.update_meeting(&id, &m, today()).unwrap(); // no change, no entry

    let history = store.meeting_history(&id).unwrap();
    let fields = |i: usize| -> Vec<(Field, Option<&str>, &str)> {
        history[i]
            .changes
            .iter()
            .map(|c| (c.field, c.old.as_deref(), c.new.as_str()))
            .collect()
    };
    assert_eq!(history.len(), 3, "{history:#?}");
    assert_eq!(
        fields(0),
        [
            (
                Field::Deputies,
                Some("王建华、李秀英"),
                "王建华、李秀英、张伟"
            ),
            (
                Field::Summary,
                Some("反映小区门口停车难、老年人就医难"),
                "改为：老年人就医难"
            ),
        ]
    );
    assert_eq!(fields(1), [(Field::VotersReceived, Some("23"), "40")]);
    assert!(history[2].created);
    assert_eq!(history[2].changes.len(), 5);
    assert!(fields(2).contains(&(Field::Station, None, "紫竹院街道人大代表之家")));
    assert!(
        history
            .iter()
            .all(|h| h.by_this_device && h.time > 1_700_000_000)
    );
    assert!(matches!(
        store.meeting_history("nope"),
        Err(shared::Error::NotFound)
    ));
}

#[test]
fn a_draft_survives_reopening_and_becomes_the_record_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let store = store_with_directory(&path);
    let mut half = input();
    half.voters_received = String::new();
    store.save_draft(&half).unwrap();
    drop(store);
    let mut store = Store::open(&path, &key()).unwrap();
    assert_eq!(store.draft().unwrap(), Some(half.clone()));
    // An invalid save keeps the draft; a valid one consumes it.
    assert!(store.create_meeting(&half, today()).is_err());
    assert_eq!(store.draft().unwrap(), Some(half));
    store.create_meeting(&input(), today()).unwrap();
    assert_eq!(store.draft().unwrap(), None);
    // A form with nothing typed in it keeps no draft.
    let blank = VoterMeetingInput {
        station_id: "st-zizhuyuan-home".into(),
        date: "2026-11-25".into(),
        ..VoterMeetingInput::default()
    };
    store.save_draft(&input()).unwrap();
    store.save_draft(&blank).unwrap();
    assert_eq!(store.draft().unwrap(), None);
}
