//! The device store on a real SQLite file: records survive a reopen, bad input changes
//! nothing, and the outbox keeps every change until the server acknowledges it.

use chrono::NaiveDate;
use shared::protocol::{Ack, SyncResponse};
use shared::{
    ActivityFilter, ActivityInput, ActivityKind, AnswerInput, AnswerStatus, AppError,
    FeedbackInput, Field, LeadInput, OpinionCategory, OpinionFilter, OpinionInput, OpinionStatus,
    Problem, RecordForm, ReferralInput, Satisfaction, Store, StoreKey, SuggestionInput,
};

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

fn input() -> ActivityInput {
    ActivityInput {
        station_id: "st-zizhuyuan-home".into(),
        date: "2026-11-24".into(),
        deputy_ids: vec!["dep-001".into(), "dep-002".into()],
        voters_received: "23".into(),
        summary: "反映小区门口停车难、老年人就医难".into(),
        ..ActivityInput::default()
    }
}

#[test]
fn a_saved_meeting_is_there_after_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let id = {
        let mut store = store_with_directory(&path);
        store.create_activity(&input(), today()).unwrap()
    };
    let store = Store::open(&path, &key()).unwrap();
    let list = store
        .list_activities(&shared::ActivityFilter::default())
        .unwrap();
    assert_eq!(list.len(), 1);
    let m = &list[0];
    assert_eq!(m.id, id);
    assert_eq!(m.station_name, "紫竹院街道人大代表之家");
    assert_eq!(m.deputy_names, ["王建华", "李秀英"]);
    assert_eq!(m.voters_received, 23);
    assert_eq!(m.summary, "反映小区门口停车难、老年人就医难");
    assert!(m.pending_sync, "not yet acknowledged by a server");
    assert_eq!(store.activity(&id).unwrap(), input());
    // The projection agrees with the Automerge document itself.
    let from_doc = store.activity_from_document(&id).unwrap();
    assert_eq!(from_doc.voters_received, 23);
    assert_eq!(from_doc.summary, m.summary);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let id = store.create_activity(&input(), today()).unwrap();
    let before = store
        .list_activities(&shared::ActivityFilter::default())
        .unwrap();
    let pending_before = store.sync_request().unwrap().changes.len();

    let check = |edit: fn(&mut ActivityInput), field: Field, problem: Problem| {
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
        for (result, editing) in [
            (store.create_activity(&bad, today()).map(|_| ()), false),
            (store.update_activity(&id, &bad, today()), true),
        ] {
            // A saved record's station never changes: it decides who may see it.
            let problem = if editing && field == Field::Station {
                Problem::Locked
            } else {
                problem
            };
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
    assert_eq!(
        store
            .list_activities(&shared::ActivityFilter::default())
            .unwrap(),
        before
    );
    assert_eq!(store.sync_request().unwrap().changes.len(), pending_before);
}

#[test]
fn the_outbox_keeps_changes_until_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = store_with_directory(&path);
    let id = store.create_activity(&input(), today()).unwrap();
    let mut edited = input();
    edited.voters_received = "40".into();
    store.update_activity(&id, &edited, today()).unwrap();
    // Saving the same content again records nothing new.
    store.update_activity(&id, &edited, today()).unwrap();

    let request = store.sync_request().unwrap();
    assert_eq!(request.changes.len(), 2);
    // A response that acknowledges only the first change drops only that one.
    let first = automerge::Change::from_bytes(request.changes[0].bytes.clone()).unwrap();
    drop(store);
    let mut store = Store::open(&path, &key()).unwrap();
    store
        .apply_sync_response(&SyncResponse {
            acknowledged: vec![Ack {
                doc_id: request.changes[0].doc_id.clone(),
                hash: first.hash().to_string(),
            }],
            cursor: 2,
            ..Default::default()
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
    store.create_activity(&input(), today()).unwrap();
    let before = store
        .list_activities(&shared::ActivityFilter::default())
        .unwrap();
    let result = store.apply_sync_response(&SyncResponse {
        acknowledged: vec![],
        cursor: 99,
        changes: vec![shared::protocol::WireChange {
            doc_id: "station/st-zizhuyuan-home/2026-11".into(),
            kind: "station".into(),
            bytes: b"not automerge".to_vec(),
        }],
        ..Default::default()
    });
    assert!(result.is_err());
    assert_eq!(
        store
            .list_activities(&shared::ActivityFilter::default())
            .unwrap(),
        before
    );
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
    store.create_activity(&m, today()).unwrap();
    let voter_phone = "13787654321";
    let mut o = opinion_input();
    o.voter_name = "赵阿姨".into();
    o.voter_phone = voter_phone.into();
    o.consent = true;
    store.create_opinion(&o, today()).unwrap();
    let needles: [&[u8]; 5] = [
        phone.as_bytes(),
        voter_phone.as_bytes(),
        "赵阿姨".as_bytes(),
        "停车难".as_bytes(),
        b"voter_meeting",
    ];
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
    assert!(
        store
            .list_activities(&shared::ActivityFilter::default())
            .unwrap()[0]
            .summary
            .contains(phone)
    );
}

#[test]
fn a_record_edited_many_times_reads_back_its_last_edit() {
    // Past the point where appended changes are compacted into one saved document.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = store_with_directory(&path);
    let id = store.create_activity(&input(), today()).unwrap();
    for n in 1..=80 {
        let mut m = input();
        m.voters_received = n.to_string();
        store.update_activity(&id, &m, today()).unwrap();
    }
    drop(store);
    let store = Store::open(&path, &key()).unwrap();
    store.verify().unwrap();
    assert_eq!(store.activity(&id).unwrap().voters_received, "80");
    assert_eq!(
        store.activity_from_document(&id).unwrap().voters_received,
        80
    );
    assert_eq!(store.sync_request().unwrap().changes.len(), 81);
    // After the server found a request too large, the sync asks for fewer at a time:
    // the oldest first, and never none.
    let all = store.sync_request().unwrap().changes;
    let fewer = store.sync_request_of_at_most(40).unwrap().changes;
    assert_eq!(fewer, all[..40]);
    assert_eq!(store.sync_request_of_at_most(0).unwrap().changes, all[..1]);
}

#[test]
fn the_history_names_each_change_with_old_and_new_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let id = store.create_activity(&input(), today()).unwrap();
    let mut m = input();
    m.voters_received = "40".into();
    store.update_activity(&id, &m, today()).unwrap();
    m.deputy_ids.push("dep-003".into());
    m.summary = "改为：老年人就医难".into();
    store.update_activity(&id, &m, today()).unwrap();
    store.update_activity(&id, &m, today()).unwrap(); // no change, no entry

    let history = store.history("activity", &id).unwrap();
    // Lists are shown joined, as the Chinese UI joins them.
    let fields = |i: usize| -> Vec<(Field, Option<String>, String)> {
        history[i]
            .changes
            .iter()
            .map(|c| {
                (
                    c.field,
                    c.old.as_ref().map(|o| o.join("、")),
                    c.new.join("、"),
                )
            })
            .collect()
    };
    assert_eq!(history.len(), 3, "{history:#?}");
    assert_eq!(
        fields(0),
        [
            (
                Field::Deputies,
                Some("王建华、李秀英".to_owned()),
                "王建华、李秀英、张伟".to_owned()
            ),
            (
                Field::Summary,
                Some("反映小区门口停车难、老年人就医难".to_owned()),
                "改为：老年人就医难".to_owned()
            ),
        ]
    );
    assert_eq!(
        fields(1),
        [(
            Field::VotersReceived,
            Some("23".to_owned()),
            "40".to_owned()
        )]
    );
    assert!(history[2].created);
    // Created: kind, station, date, deputies, voters, summary (empty fields are not news).
    assert_eq!(history[2].changes.len(), 6, "{:#?}", history[2]);
    assert!(fields(2).contains(&(Field::Station, None, "紫竹院街道人大代表之家".to_owned())));
    assert!(fields(2).contains(&(Field::Kind, None, "voter_meeting".to_owned())));
    assert!(
        history
            .iter()
            .all(|h| h.by_this_device && h.time > 1_700_000_000)
    );
    assert!(matches!(
        store.history("activity", "nope"),
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
    assert!(store.create_activity(&half, today()).is_err());
    assert_eq!(store.draft().unwrap(), Some(half));
    store.create_activity(&input(), today()).unwrap();
    assert_eq!(store.draft().unwrap(), None);
    // A form with nothing typed in it keeps no draft.
    let blank = ActivityInput {
        station_id: "st-zizhuyuan-home".into(),
        date: "2026-11-25".into(),
        ..ActivityInput::default()
    };
    store.save_draft(&input()).unwrap();
    store.save_draft(&blank).unwrap();
    assert_eq!(store.draft().unwrap(), None);
}

fn opinion_input() -> OpinionInput {
    OpinionInput {
        station_id: "st-zizhuyuan-home".into(),
        date: "2026-11-24".into(),
        categories: vec![OpinionCategory::Traffic, OpinionCategory::ElderlyCare],
        content: "小区门口没有公交站，老人去医院不方便".into(),
        received_by: "dep-001".into(),
        ..OpinionInput::default()
    }
}

fn status_of(store: &Store, id: &str, on: NaiveDate) -> (OpinionStatus, bool) {
    let row = store
        .list_opinions(&OpinionFilter::default(), on)
        .unwrap()
        .into_iter()
        .find(|o| o.id == id)
        .unwrap();
    (row.status, row.overdue)
}

#[test]
fn an_opinion_goes_from_recorded_to_fed_back_and_keeps_its_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let mut input = opinion_input();
    input.voter_phone = "13800138000".into();
    input.consent = true;
    let id = store.create_opinion(&input, today()).unwrap();
    assert_eq!(
        status_of(&store, &id, today()),
        (OpinionStatus::Recorded, false)
    );

    // Bad referrals are refused and change nothing.
    let refer = |deadline: &str, department: &str| ReferralInput {
        opinion_id: id.clone(),
        department_id: department.into(),
        deadline: deadline.into(),
        ..ReferralInput::default()
    };
    let pending = store.sync_request().unwrap().changes.len();
    for (bad, field, problem) in [
        (
            refer("2026-11-20", "dept-traffic"),
            Field::Deadline,
            Problem::TooEarly,
        ),
        (
            refer("2026-12-25", "dept-nowhere"),
            Field::Department,
            Problem::Unknown,
        ),
        (
            ReferralInput {
                opinion_id: "op-nowhere".into(),
                ..refer("2026-12-25", "dept-traffic")
            },
            Field::Opinion,
            Problem::Unknown,
        ),
    ] {
        match store.refer_opinion(&bad, today()).map_err(AppError::from) {
            Err(AppError::Invalid { fields }) => assert!(
                fields
                    .iter()
                    .any(|f| f.field == field && f.problem == problem),
                "{bad:?}: {fields:?}"
            ),
            other => panic!("{bad:?} was not refused: {other:?}"),
        }
    }
    assert_eq!(store.sync_request().unwrap().changes.len(), pending);

    let referral = store
        .refer_opinion(&refer("2026-12-25", "dept-traffic"), today())
        .unwrap();
    assert_eq!(
        status_of(&store, &id, today()),
        (OpinionStatus::Referred, false)
    );
    let late = NaiveDate::from_ymd_opt(2026, 12, 26).unwrap();
    assert_eq!(
        status_of(&store, &id, late),
        (OpinionStatus::Referred, true)
    );
    let overdue = OpinionFilter {
        overdue_only: true,
        ..OpinionFilter::default()
    };
    assert_eq!(store.list_opinions(&overdue, late).unwrap().len(), 1);
    assert_eq!(store.list_opinions(&overdue, today()).unwrap().len(), 0);
    // The list's totals: every opinion a filter selects, whatever its limit, and the
    // overdue ones among them; words searched in the content and the department.
    let second = store.create_opinion(&opinion_input(), today()).unwrap();
    let limited = OpinionFilter {
        limit: Some(1),
        ..OpinionFilter::default()
    };
    assert_eq!(store.list_opinions(&limited, late).unwrap().len(), 1);
    assert_eq!(
        store.opinion_totals(&limited, late).unwrap(),
        shared::OpinionTotals {
            records: 2,
            overdue: 1
        }
    );
    let words = |words: &str| OpinionFilter {
        words: words.into(),
        ..OpinionFilter::default()
    };
    let found = |filter: &OpinionFilter| -> Vec<String> {
        let mut ids: Vec<String> = store
            .list_opinions(filter, today())
            .unwrap()
            .into_iter()
            .map(|o| o.id)
            .collect();
        ids.sort();
        ids
    };
    let mut both = vec![id.clone(), second.clone()];
    both.sort();
    let first_words: String = input.content.chars().take(4).collect();
    assert_eq!(found(&words(&first_words)), both);
    // The department's name finds the referred one only; every word must be found.
    assert_eq!(found(&words("交通委")), vec![id.clone()]);
    assert_eq!(
        found(&words(&format!("{first_words}  交通委"))),
        vec![id.clone()]
    );
    assert_eq!(found(&words("交通委 没有这句话")), Vec::<String>::new());
    assert_eq!(
        store
            .opinion_totals(&words("交通委"), today())
            .unwrap()
            .records,
        1
    );
    assert_eq!(found(&words("   ")), both);

    // The department reads the referral, never the voter's phone.
    let inbox = store.department_inbox("dept-traffic", today()).unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].content, input.content);
    assert!(!format!("{inbox:?}").contains("13800138000"));

    let answer = |status, text: &str| AnswerInput {
        referral_id: referral.clone(),
        status,
        date: "2026-11-25".into(),
        text: text.into(),
    };
    let a1 = store
        .answer_referral(&answer(AnswerStatus::InProgress, ""), today())
        .unwrap();
    assert_eq!(
        status_of(&store, &id, today()),
        (OpinionStatus::InProgress, false)
    );
    let a2 = store
        .answer_referral(
            &answer(AnswerStatus::Answered, "已协调公交集团增设站点"),
            today(),
        )
        .unwrap();
    assert_eq!(a1, a2, "the department's answer is edited in place");
    assert_eq!(
        status_of(&store, &id, late),
        (OpinionStatus::Answered, false)
    );

    let bad_feedback = FeedbackInput {
        opinion_id: id.clone(),
        date: "2026-11-25".into(),
        text: " ".into(),
        satisfaction: None,
    };
    assert!(matches!(
        store.record_feedback(&bad_feedback, today()),
        Err(shared::Error::Invalid(_))
    ));
    store
        .record_feedback(
            &FeedbackInput {
                text: "已电话告知选民".into(),
                satisfaction: Some(Satisfaction::Satisfied),
                ..bad_feedback
            },
            today(),
        )
        .unwrap();
    assert_eq!(
        status_of(&store, &id, today()),
        (OpinionStatus::FedBack, false)
    );
    let steps: Vec<OpinionStatus> = store
        .opinion_timeline(&id)
        .unwrap()
        .iter()
        .map(|s| s.status)
        .collect();
    assert_eq!(
        steps,
        [
            OpinionStatus::Recorded,
            OpinionStatus::Referred,
            OpinionStatus::Answered,
            OpinionStatus::FedBack
        ]
    );
    let timeline = store.opinion_timeline(&id).unwrap();
    assert_eq!(timeline[1].department.as_deref(), Some("区交通委"));
    assert_eq!(timeline[3].satisfaction, Some(Satisfaction::Satisfied));
    // Editing the opinion later keeps its feedback; the voter withdrew consent.
    let mut edited = opinion_input();
    edited.content = "小区门口没有公交站".into();
    store.update_opinion(&id, &edited, today()).unwrap();
    assert_eq!(status_of(&store, &id, today()).0, OpinionStatus::FedBack);
    let history = store.history("opinion", &id).unwrap();
    assert!(history[0].changes.iter().any(|c| c.field == Field::Content));
    let phone = history[0]
        .changes
        .iter()
        .find(|c| c.field == Field::VoterContact)
        .expect("the details' removal is in the history");
    assert!(phone.hidden);
    assert!(
        !format!("{history:?}").contains("13800138000"),
        "a history never shows a phone number"
    );
    assert!(
        history
            .iter()
            .any(|h| h.changes.iter().any(|c| c.field == Field::Feedback))
    );
    store.verify().unwrap();
}

#[test]
fn activities_of_every_kind_filter_and_count_for_campaigns_and_consultations() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    for (i, kind) in ActivityKind::ALL.into_iter().enumerate() {
        let mut a = input();
        a.kind = kind;
        a.date = format!("2026-11-{:02}", i + 1);
        store.create_activity(&a, today()).unwrap();
    }
    let only = |kind| ActivityFilter {
        kind: Some(kind),
        ..ActivityFilter::default()
    };
    assert_eq!(
        store
            .list_activities(&only(ActivityKind::DutyReport))
            .unwrap()
            .len(),
        1
    );
    let first_week = ActivityFilter {
        from: NaiveDate::from_ymd_opt(2026, 11, 1),
        to: NaiveDate::from_ymd_opt(2026, 11, 7),
        ..ActivityFilter::default()
    };
    assert_eq!(store.list_activities(&first_week).unwrap().len(), 7);
    // The register's totals count every record the filter selects, whatever rows it
    // shows, and sum their voters.
    let first_three = ActivityFilter {
        limit: Some(3),
        ..first_week.clone()
    };
    assert_eq!(store.list_activities(&first_three).unwrap().len(), 3);
    let voters_each: u64 = input().voters_received.parse().unwrap();
    assert_eq!(
        store.activity_totals(&first_three).unwrap(),
        shared::ActivityTotals {
            records: 7,
            voters: 7 * voters_each
        }
    );
    assert_eq!(
        store
            .activity_totals(&only(ActivityKind::DutyReport))
            .unwrap()
            .records,
        1
    );

    // A campaign counts tagged activities, and untagged ones of its kind in its window.
    let mut tagged = input();
    tagged.kind = ActivityKind::HomeListening;
    tagged.date = "2022-09-20".into();
    tagged.campaign_id = "cmp-2022-home-listening".into();
    let act = store.create_activity(&tagged, today()).unwrap();
    let mut untagged = tagged.clone();
    untagged.campaign_id.clear();
    untagged.date = "2022-10-01".into();
    untagged.voters_received = "7".into();
    store.create_activity(&untagged, today()).unwrap();
    let mut outside = untagged.clone();
    outside.date = "2022-10-16".into();
    store.create_activity(&outside, today()).unwrap();
    let mut o = opinion_input();
    o.activity_id = act.clone();
    store.create_opinion(&o, today()).unwrap();
    let progress = store.campaign_progress("cmp-2022-home-listening").unwrap();
    let zzy = progress
        .iter()
        .find(|p| p.station_id == "st-zizhuyuan-home")
        .unwrap();
    assert_eq!(
        (
            zzy.activities,
            zzy.voters_received,
            zzy.attendances,
            zzy.opinions
        ),
        (2, 30, 4, 1)
    );
    assert!(
        progress
            .iter()
            .filter(|p| p.station_id != "st-zizhuyuan-home")
            .all(|p| p.activities == 0)
    );

    // Opinions on articles of a draft regulation.
    let mut on_article = opinion_input();
    on_article.categories = vec![OpinionCategory::Legislation];
    on_article.draft_id = "draft-jiesujiban".into();
    on_article.article_id = "art-2".into();
    store.create_opinion(&on_article, today()).unwrap();
    store.create_opinion(&on_article, today()).unwrap();
    on_article.article_id = "art-9".into();
    assert!(matches!(
        store.create_opinion(&on_article, today()),
        Err(shared::Error::Invalid(_))
    ));
    let counts: Vec<(u32, u32)> = store
        .article_counts("draft-jiesujiban")
        .unwrap()
        .iter()
        .map(|a| (a.number, a.opinions))
        .collect();
    assert_eq!(counts, [(1, 0), (2, 2), (3, 0)]);

    // Suggestions and leads are formed from opinions that exist.
    let s = SuggestionInput {
        station_id: "st-zizhuyuan-home".into(),
        date: "2026-11-25".into(),
        title: "关于增设社区公交站点的建议".into(),
        content: "建议在小区门口增设公交站".into(),
        deputy_ids: vec!["dep-001".into()],
        opinion_ids: vec!["op-nowhere".into()],
        department_id: "dept-traffic".into(),
        supervised: true,
    };
    assert!(matches!(
        store.create(&s, today()),
        Err(shared::Error::Invalid(_))
    ));
    let op = store.create_opinion(&opinion_input(), today()).unwrap();
    store
        .create(
            &SuggestionInput {
                opinion_ids: vec![op.clone()],
                ..s.clone()
            },
            today(),
        )
        .unwrap();
    store
        .create(
            &LeadInput {
                station_id: "st-zizhuyuan-home".into(),
                date: "2026-11-25".into(),
                title: "老旧小区加装电梯".into(),
                content: "多位老人反映上下楼难".into(),
                opinion_ids: vec![op.clone()],
            },
            today(),
        )
        .unwrap();
    // Listed whole, as saved: every field read back from its projection row.
    let suggestions = store.list::<SuggestionInput>().unwrap();
    assert_eq!(suggestions.len(), 1);
    let mut expected = SuggestionInput {
        opinion_ids: vec![op.clone()],
        ..s
    }
    .validate(today())
    .unwrap();
    expected.id = suggestions[0].id.clone();
    assert_eq!(suggestions[0], expected);
    assert!(suggestions[0].supervised);
    assert_eq!(
        suggestions[0].department_id.as_deref(),
        Some("dept-traffic")
    );
    let leads = store.list::<LeadInput>().unwrap();
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0].opinion_ids, std::slice::from_ref(&op));
    assert_eq!(leads[0].title, "老旧小区加装电梯");
    // A form's kind is the only way in: a kind without a form is not listed this way.
    assert!(store.records("opinion").is_err());
    store.verify().unwrap();
}

#[test]
fn a_second_referral_is_judged_on_its_own_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let id = store.create_opinion(&opinion_input(), today()).unwrap();
    let refer = |department: &str| ReferralInput {
        opinion_id: id.clone(),
        department_id: department.into(),
        deadline: "2026-12-25".into(),
        ..ReferralInput::default()
    };
    let first = store
        .refer_opinion(&refer("dept-traffic"), today())
        .unwrap();
    store
        .answer_referral(
            &AnswerInput {
                referral_id: first,
                status: AnswerStatus::Answered,
                date: "2026-11-25".into(),
                text: "不属于本单位职责，建议转区卫生健康委".into(),
            },
            today(),
        )
        .unwrap();
    assert_eq!(status_of(&store, &id, today()).0, OpinionStatus::Answered);
    // Referred again: B's referral is pending, and overdue once its deadline passes.
    let tomorrow = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    store
        .refer_opinion(&refer("dept-health"), tomorrow)
        .unwrap();
    let late = NaiveDate::from_ymd_opt(2026, 12, 26).unwrap();
    assert_eq!(
        status_of(&store, &id, late),
        (OpinionStatus::Referred, true)
    );
    let row = &store
        .list_opinions(&OpinionFilter::default(), late)
        .unwrap()[0];
    assert_eq!(row.department.as_deref(), Some("区卫生健康委"));
}

#[test]
fn a_record_in_the_wrong_document_or_a_bad_change_neither_shows_nor_blocks_sync() {
    use automerge::{ActorId, AutoCommit};
    use shared::doc::{self, DocId};
    use shared::protocol::WireChange;
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let station = DocId::station("st-zizhuyuan-home", today());
    let wire = |id: &DocId, d: &mut AutoCommit, heads: &[automerge::ChangeHash]| {
        d.get_changes(heads)
            .into_iter()
            .map(|c| WireChange {
                doc_id: id.to_string(),
                kind: id.family().as_str().into(),
                bytes: c.raw_bytes().to_vec(),
            })
            .collect::<Vec<_>>()
    };
    // A deputy renamed through a station document (which devices may write).
    let mut forged = AutoCommit::new();
    let mut deputy = shared::demo::directory().deputies[0].clone();
    deputy.name = "冒名".into();
    doc::write_record(&mut forged, &deputy).unwrap();
    // Two different first changes from one actor in one document (a device restored
    // from an old backup): the second cannot apply.
    let actor = ActorId::random();
    let record = |summary: &str| {
        let mut a = input().validate(today()).unwrap();
        a.id = format!("dup-{summary}");
        a.summary = summary.into();
        a
    };
    let (r1, r2) = (record("一"), record("二"));
    let other = DocId::station(
        "st-zizhuyuan-home",
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
    );
    let mut one = AutoCommit::new().with_actor(actor.clone());
    doc::write_record(&mut one, &r1).unwrap();
    let mut two = AutoCommit::new().with_actor(actor);
    doc::write_record(&mut two, &r2).unwrap();
    // And an ordinary record in another document, in the same response.
    let mut fine = AutoCommit::new();
    let mut r3 = r1.clone();
    r3.id = "fine".into();
    doc::write_record(&mut fine, &r3).unwrap();
    let fine_doc = DocId::station(
        "st-zizhuyuan-home",
        NaiveDate::from_ymd_opt(2026, 2, 5).unwrap(),
    );
    let mut changes = wire(&station, &mut forged, &[]);
    changes.extend(wire(&other, &mut one, &[]));
    changes.extend(wire(&other, &mut two, &[]));
    changes.extend(wire(&fine_doc, &mut fine, &[]));
    store
        .apply_sync_response(&SyncResponse {
            cursor: 7,
            changes,
            ..Default::default()
        })
        .unwrap();
    let names: Vec<String> = store
        .deputies("st-zizhuyuan-home")
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert!(!names.contains(&"冒名".to_string()), "{names:?}");
    let ids: Vec<String> = store
        .list_activities(&ActivityFilter::default())
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert!(
        ids.contains(&"fine".to_string()),
        "the rest of the response applied"
    );
    assert!(ids.contains(&"dup-一".to_string()));
    assert!(
        !ids.contains(&"dup-二".to_string()),
        "the change that cannot apply waits aside"
    );
    assert_eq!(
        store.sync_request().unwrap().cursor,
        7,
        "the cursor moved on"
    );
    store.verify().unwrap();
}

#[test]
fn the_home_screen_shows_each_deputys_rhythm_and_what_waits() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let activity = |kind, date: &str, deputies: &[&str]| ActivityInput {
        kind,
        date: date.into(),
        deputy_ids: deputies.iter().map(|d| d.to_string()).collect(),
        ..input()
    };
    for a in [
        // This month at the station: 月进站 for both.
        activity(
            ActivityKind::VoterMeeting,
            "2026-11-24",
            &["dep-001", "dep-002"],
        ),
        // Back to the home this quarter (October is in Q4): 季回家 for dep-001.
        activity(ActivityKind::HomeListening, "2026-10-05", &["dep-001"]),
        // A duty report in March: 年述职 for dep-002.
        activity(ActivityKind::DutyReport, "2026-03-01", &["dep-002"]),
        // Last month's meeting and this month's training do not make this month's visit.
        activity(ActivityKind::VoterMeeting, "2026-10-30", &["dep-003"]),
        activity(ActivityKind::Training, "2026-11-20", &["dep-003"]),
    ] {
        store.create_activity(&a, today()).unwrap();
    }
    store
        .create_opinion(
            &OpinionInput {
                station_id: "st-zizhuyuan-home".into(),
                date: "2026-11-24".into(),
                categories: vec![OpinionCategory::Traffic],
                content: "路口缺少红绿灯".into(),
                ..OpinionInput::default()
            },
            today(),
        )
        .unwrap();
    let home = store.home(today()).unwrap();
    let row = |id: &str| {
        let r = home.rhythm.iter().find(|r| r.deputy_id == id).unwrap();
        (r.month, r.quarter, r.year)
    };
    assert_eq!(row("dep-001"), (true, true, false));
    assert_eq!(row("dep-002"), (true, false, true));
    assert_eq!(row("dep-003"), (false, false, false));
    let names: std::collections::HashSet<&str> =
        home.rhythm.iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains("王建华"));
    assert_eq!((home.to_refer, home.to_feed_back, home.overdue), (1, 0, 0));
    assert_eq!(home.pending_records, 6);
    assert_eq!(home.recent.len(), 5);
    assert_eq!(home.recent[0].date.to_string(), "2026-11-24");
    // A new year starts everyone over.
    let january = NaiveDate::from_ymd_opt(2027, 1, 2).unwrap();
    let home = store.home(january).unwrap();
    assert!(
        home.rhythm
            .iter()
            .all(|r| !r.month && !r.quarter && !r.year)
    );
}

#[test]
fn a_form_draft_is_kept_until_it_is_forgotten_and_only_for_known_forms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    {
        let store = store_with_directory(&path);
        store
            .save_form_draft("opinion", r#"{"content":"路灯不亮"}"#)
            .unwrap();
        store
            .save_form_draft("answer:ref-1", r#"{"text":"已派人维修"}"#)
            .unwrap();
        // A kind's form keeps its draft under the kind's prefix.
        store
            .save_form_draft("lead", r#"{"title":"加装电梯"}"#)
            .unwrap();
        assert!(store.save_form_draft("activity", "{}").is_err());
        assert!(store.save_form_draft("../etc", "{}").is_err());
        assert!(store.save_form_draft("answer:a/b", "{}").is_err());
    }
    // Closed and opened again: still there.
    let store = Store::open(&path, &key()).unwrap();
    assert_eq!(
        store.form_draft("opinion").unwrap().as_deref(),
        Some(r#"{"content":"路灯不亮"}"#)
    );
    assert!(store.form_draft("answer:ref-1").unwrap().is_some());
    assert_eq!(
        store.form_draft("lead").unwrap().as_deref(),
        Some(r#"{"title":"加装电梯"}"#)
    );
    assert_eq!(store.form_draft("consultation").unwrap(), None);
    store.save_form_draft("opinion", "").unwrap();
    assert_eq!(store.form_draft("opinion").unwrap(), None);
}

/// A store holding at least one record of every kind in the registry (the directory
/// arrived as synced changes; the rest written here), with nothing left to send.
fn store_with_every_kind(path: &std::path::Path) -> Store {
    let mut store = store_with_directory(path);
    store.create_activity(&input(), today()).unwrap();
    let opinion = store.create_opinion(&opinion_input(), today()).unwrap();
    let referral = store
        .refer_opinion(
            &ReferralInput {
                opinion_id: opinion.clone(),
                department_id: "dept-traffic".into(),
                deadline: "2026-12-25".into(),
                ..ReferralInput::default()
            },
            today(),
        )
        .unwrap();
    store
        .answer_referral(
            &AnswerInput {
                referral_id: referral,
                status: AnswerStatus::Answered,
                date: "2026-11-25".into(),
                text: "已协调物业增设车位".into(),
            },
            today(),
        )
        .unwrap();
    store
        .create(
            &SuggestionInput {
                station_id: "st-zizhuyuan-home".into(),
                date: "2026-11-24".into(),
                title: "关于增设社区停车位的建议".into(),
                content: "多位选民反映停车难".into(),
                deputy_ids: vec!["dep-001".into()],
                ..SuggestionInput::default()
            },
            today(),
        )
        .unwrap();
    store
        .create(
            &LeadInput {
                station_id: "st-zizhuyuan-home".into(),
                date: "2026-11-24".into(),
                title: "老旧小区加装电梯".into(),
                content: "三号楼居民希望加装电梯".into(),
                opinion_ids: vec![opinion.clone()],
            },
            today(),
        )
        .unwrap();
    store
        .save_report(
            &shared::YearReportInput {
                deputy_id: "dep-001".into(),
                year: 2026,
                title: "王建华2026年度履职报告".into(),
                text: "全年参加活动一次。".into(),
            },
            today(),
        )
        .unwrap();
    // The server acknowledges everything, so another account may sign in.
    let request = store.sync_request().unwrap();
    let acknowledged = request
        .changes
        .iter()
        .map(|c| Ack {
            doc_id: c.doc_id.clone(),
            hash: automerge::Change::from_bytes(c.bytes.clone())
                .unwrap()
                .hash()
                .to_string(),
        })
        .collect();
    store
        .apply_sync_response(&SyncResponse {
            acknowledged,
            cursor: 1,
            ..Default::default()
        })
        .unwrap();
    for kind in shared::registry::KINDS {
        assert!(
            count_rows(path, kind.table) > 0,
            "add a record of kind {} to this fixture: every kind must be covered",
            kind.name
        );
    }
    store
}

fn session(username: &str) -> shared::store::Session {
    shared::store::Session {
        server_url: "http://127.0.0.1:8765".into(),
        token: "t".into(),
        account: shared::model::Account {
            username: username.into(),
            display_name: username.into(),
            role: shared::model::Role::StationStaff,
            scope_id: Some("st-zizhuyuan-home".into()),
            deputy_id: None,
        },
    }
}

#[test]
fn no_kind_of_record_survives_another_account_signing_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = Store::open(&path, &key()).unwrap();
    let first = session("wang-fang");
    let device = store
        .device_id_for_sign_in(&first.server_url, "wang-fang")
        .unwrap();
    store.set_session(&first, &device).unwrap();
    store.clear_session().unwrap(); // signed out; the data stays theirs
    drop(store);
    let mut store = store_with_every_kind(&path);
    store
        .save_form_draft("opinion", "{\"content\":\"半句\"}")
        .unwrap();

    let second = session("li-qiang");
    let device = store
        .device_id_for_sign_in(&second.server_url, "li-qiang")
        .unwrap();
    store.set_session(&second, &device).unwrap();
    for kind in shared::registry::KINDS {
        assert_eq!(
            count_rows(&path, kind.table),
            0,
            "{} rows survived another account signing in",
            kind.name
        );
    }
    assert_eq!(store.document_count().unwrap(), 0);
    assert_eq!(store.form_draft("opinion").unwrap(), None);
    store.verify().unwrap();
}

#[test]
fn verify_finds_a_wrong_or_orphan_row_of_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    // A fresh store of every kind, damaged by `sql`: does verify notice?
    let noticed = |sql: String| {
        for file in ["device.db", "device.db-wal", "device.db-shm"] {
            let _ = std::fs::remove_file(dir.path().join(file));
        }
        drop(store_with_every_kind(&path));
        raw(&path).execute_batch(&sql).unwrap();
        Store::open(&path, &key()).unwrap().verify().is_err()
    };
    assert!(!noticed(String::new()), "an undamaged store verifies");
    for kind in shared::registry::KINDS {
        let (table, column) = (kind.table, kind.columns.last().unwrap());
        let first = format!("rowid = (SELECT MIN(rowid) FROM {table})");
        assert!(
            noticed(format!(
                "UPDATE {table} SET {column} = 'tampered' WHERE {first}"
            )),
            "verify missed a changed {} row",
            kind.name
        );
        // A second row, for a record no document holds.
        assert!(
            noticed(format!(
                "CREATE TEMP TABLE copy AS SELECT * FROM {table} WHERE {first};
                 UPDATE copy SET id = 'no-such-record';
                 INSERT INTO {table} SELECT * FROM copy;"
            )),
            "verify missed an orphan {} row",
            kind.name
        );
    }
}

/// The store's file opened with its key, below the store (to damage it on purpose).
fn raw(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    let hex = "17".repeat(32); // key()
    conn.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";"))
        .unwrap();
    conn
}

fn count_rows(path: &std::path::Path, table: &str) -> i64 {
    raw(path)
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_history_says_a_voters_name_or_phone_changed_never_what_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let mut typed = opinion_input();
    typed.voter_name = "张大爷".into();
    typed.voter_phone = "13800138000".into();
    typed.consent = true;
    let id = store.create_opinion(&typed, today()).unwrap();
    typed.voter_phone = "13900139000".into();
    store.update_opinion(&id, &typed, today()).unwrap();

    let history = store.history("opinion", &id).unwrap();
    let shown = format!("{history:?}");
    for personal in ["张大爷", "13800138000", "13900139000"] {
        assert!(!shown.contains(personal), "{personal} in {shown}");
    }
    let phone = history[0]
        .changes
        .iter()
        .find(|c| c.field == Field::VoterContact)
        .expect("the details' change is listed");
    assert!(phone.hidden && phone.new.is_empty());
}

#[test]
fn the_save_that_stores_a_record_forgets_its_forms_draft_and_a_refused_one_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let opinion = store.create_opinion(&opinion_input(), today()).unwrap();
    let referral_form = format!("referral:{opinion}");
    let feedback_form = format!("feedback:{opinion}");

    // A referral with no department is refused: its draft stays.
    store
        .save_form_draft(&referral_form, "{\"department_id\":\"\"}")
        .unwrap();
    let refused = store.saving_form(Some(&referral_form), |s| {
        s.refer_opinion(
            &ReferralInput {
                opinion_id: opinion.clone(),
                deadline: "2026-12-25".into(),
                ..ReferralInput::default()
            },
            today(),
        )
    });
    assert!(refused.is_err());
    assert!(store.form_draft(&referral_form).unwrap().is_some());

    store
        .saving_form(Some(&referral_form), |s| {
            s.refer_opinion(
                &ReferralInput {
                    opinion_id: opinion.clone(),
                    department_id: "dept-traffic".into(),
                    deadline: "2026-12-25".into(),
                    ..ReferralInput::default()
                },
                today(),
            )
        })
        .unwrap();
    assert_eq!(store.form_draft(&referral_form).unwrap(), None);

    // The feedback form's draft goes with the feedback, and only that form's.
    store
        .save_form_draft(&feedback_form, "{\"text\":\"已答复\"}")
        .unwrap();
    store
        .save_form_draft("opinion", "{\"content\":\"下一条\"}")
        .unwrap();
    store
        .saving_form(Some(&feedback_form), |s| {
            s.record_feedback(
                &FeedbackInput {
                    opinion_id: opinion.clone(),
                    date: "2026-11-25".into(),
                    text: "已电话告知办理结果".into(),
                    satisfaction: Some(Satisfaction::Satisfied),
                },
                today(),
            )
        })
        .unwrap();
    assert_eq!(store.form_draft(&feedback_form).unwrap(), None);
    assert!(store.form_draft("opinion").unwrap().is_some());
    // A kind's form (a lead, through the one command for every form) likewise.
    store
        .save_form_draft("lead", r#"{"title":"老旧小区加装电梯"}"#)
        .unwrap();
    let lead = serde_json::json!({
        "station_id": "st-zizhuyuan-home",
        "date": "2026-11-25",
        "title": "老旧小区加装电梯",
        "content": "多位老人反映上下楼难",
        "opinion_ids": [opinion],
    });
    store
        .saving_form(Some("lead"), |s| {
            shared::registry::create_record(s, "lead", lead, today())
        })
        .unwrap();
    assert_eq!(store.form_draft("lead").unwrap(), None);
    // An unknown form is refused before anything is written.
    assert!(
        store
            .saving_form(Some("nonsense"), |s| s
                .create_opinion(&opinion_input(), today()))
            .is_err()
    );
}

/// A withdrawal is never held back with its document's refused changes unless the
/// account may not write the document at all: the server needs nothing else to take it.
#[test]
fn a_withdrawal_goes_out_even_when_its_documents_changes_are_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_directory(&dir.path().join("device.db"));
    let mut typed = opinion_input();
    typed.voter_name = "张大爷".into();
    typed.voter_phone = "13800138000".into();
    typed.consent = true;
    let id = store.create_opinion(&typed, today()).unwrap();
    let request = store.sync_request().unwrap();
    assert_eq!(request.keys.len(), 1);
    assert!(
        request.keys[0].key.is_some(),
        "the new key goes with its record"
    );
    let doc_id = request.keys[0].doc_id.clone();
    store.withdraw_consent(&id).unwrap();
    assert_eq!(
        store.voter_contact(&id).unwrap(),
        shared::VoterContact::Erased
    );
    // The server refused the document's changes for what they are: the erasure goes.
    store.set_aside(&doc_id, "sequence_reused").unwrap();
    let request = store.sync_request().unwrap();
    assert!(request.changes.is_empty());
    assert_eq!(request.keys.len(), 1);
    assert!(request.keys[0].key.is_none(), "the erasure is sent");
    // Refused because the account may not write there: set aside with the rest.
    store.set_aside(&doc_id, "not_found").unwrap();
    assert!(store.sync_request().unwrap().keys.is_empty());
}
