//! The fixture corpus: documents saved by earlier versions (committed under
//! `tests/fixtures/documents/vN/`) must load in every later version and read back as the
//! records committed beside them; the documents under `tests/fixtures/corrupt/vN/` must be
//! refused with an error, never a panic and never a half-read record.
//!
//! To add the current version's documents: `JIAZHAN_BLESS_FIXTURES=1 cargo test --test
//! fixtures -- --test-threads=1`, then commit the new folder. Never rewrite an existing
//! version's files.

use std::path::{Path, PathBuf};

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT, ReadDoc};
use chrono::NaiveDate;
use shared::doc::{self, DocId};
use shared::{
    Activity, ActivityKind, Answer, AnswerStatus, Directory, Opinion, OpinionCategory, Referral,
    Satisfaction,
};

/// The folder this build writes fixtures into when blessing.
const CURRENT: &str = "v3";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn activity() -> Activity {
    Activity {
        id: "7d1c0a8e-5b0f-4a51-9d7e-0c6f1f0e2a11".into(),
        kind: ActivityKind::HomeListening,
        station_id: "st-xibeiwang-xixiaoying".into(),
        date: date(2022, 10, 12),
        deputy_ids: vec!["dep-010".into(), "dep-011".into()],
        guests: "镇农业服务中心 1人".into(),
        voters_received: 36,
        online: false,
        location: "西小营村委会".into(),
        summary: "村民反映农田灌溉用水不足，建议修缮机井".into(),
        photos: vec!["ab".repeat(32)],
        campaign_id: Some("cmp-2022-home-listening".into()),
        draft_id: None,
    }
}

fn opinion() -> Opinion {
    Opinion {
        id: "0f3b8f62-3d55-4b0c-a0f9-2f4a5c1d9e77".into(),
        station_id: "st-xibeiwang-xixiaoying".into(),
        date: date(2022, 10, 12),
        categories: vec![OpinionCategory::Agriculture],
        content: "机井年久失修，春灌用水紧张".into(),
        voter_name: "王大爷".into(),
        voter_phone: "13800138000".into(),
        consent: true,
        contact: None,
        channel: None,
        received_by: Some("dep-010".into()),
        activity_id: Some(activity().id),
        draft_id: None,
        article_id: None,
        feedback_date: Some(date(2022, 11, 20)),
        feedback: "已电话告知镇农业服务中心的维修安排".into(),
        satisfaction: Some(Satisfaction::Satisfied),
    }
}

fn referral() -> Referral {
    Referral {
        id: "5a0e1c44-9b7d-4f0e-8a2b-6c3d1e9f0b22".into(),
        opinion_id: opinion().id,
        station_id: opinion().station_id,
        department_id: "dept-agriculture".into(),
        referred_on: date(2022, 10, 14),
        deadline: date(2022, 11, 14),
        categories: opinion().categories,
        content: opinion().content,
        note: "请于一个月内答复".into(),
    }
}

fn answer() -> Answer {
    Answer {
        id: "c2d4e6f8-1a3b-4c5d-8e9f-0a1b2c3d4e5f".into(),
        referral_id: referral().id,
        opinion_id: opinion().id,
        station_id: opinion().station_id,
        department_id: "dept-agriculture".into(),
        status: AnswerStatus::Answered,
        date: date(2022, 11, 10),
        text: "已安排维修两眼机井，春灌前完工".into(),
    }
}

/// Every record of a document, as JSON in key order: what a fixture must read back as.
fn records_json(d: &AutoCommit) -> serde_json::Value {
    let mut records = shared::registry::read_records(d).unwrap();
    records.sort_by(|a, b| a.0.cmp(&b.0));
    serde_json::to_value(records).unwrap()
}

fn bless() {
    let dir = fixtures().join("documents").join(CURRENT);
    std::fs::create_dir_all(&dir).unwrap();
    let save = |name: &str, d: &mut AutoCommit| {
        std::fs::write(dir.join(format!("{name}.automerge")), d.save()).unwrap();
        let json = serde_json::to_string_pretty(&records_json(d)).unwrap();
        std::fs::write(dir.join(format!("{name}.json")), json).unwrap();
    };
    // A station's month, with history: two writers, an edit on top.
    let mut station = AutoCommit::new().with_actor(ActorId::random());
    let mut first = activity();
    first.voters_received = 30;
    doc::write_record(&mut station, &first).unwrap();
    doc::write_record(&mut station, &activity()).unwrap();
    let mut other = AutoCommit::load(&station.save())
        .unwrap()
        .with_actor(ActorId::random());
    doc::write_record(&mut other, &opinion()).unwrap();
    // v3: an opinion a voter sent online, its name and phone sealed under its own key.
    let (key_id, key) = shared::seal::new_key();
    let online = Opinion {
        id: "6c1e2f70-8a3b-4d5c-9e0f-1a2b3c4d5e6f".into(),
        voter_name: String::new(),
        voter_phone: String::new(),
        contact: Some(shared::seal::seal(
            &key_id,
            &key,
            &shared::seal::Contact {
                name: "李阿姨".into(),
                phone: "13700137000".into(),
            },
        )),
        channel: Some(shared::OpinionChannel::Online),
        activity_id: None,
        received_by: None,
        feedback_date: None,
        feedback: String::new(),
        satisfaction: None,
        ..opinion()
    };
    doc::write_record(&mut other, &online).unwrap();
    station.merge(&mut other).unwrap();
    save("station", &mut station);
    let mut referrals = AutoCommit::new();
    doc::write_record(&mut referrals, &referral()).unwrap();
    save("referrals", &mut referrals);
    let mut answers = AutoCommit::new();
    let mut in_progress = answer();
    in_progress.status = AnswerStatus::InProgress;
    doc::write_record(&mut answers, &in_progress).unwrap();
    doc::write_record(&mut answers, &answer()).unwrap();
    save("answers", &mut answers);
    for (id, mut d) in doc::directory_documents(&shared::demo::directory()).unwrap() {
        let name = match id {
            DocId::District => "district".to_owned(),
            DocId::Subdistrict(s) => format!("subdistrict-{s}"),
            DocId::Consultation(c) => format!("consultation-{c}"),
            other => panic!("{other}"),
        };
        save(&name, &mut d);
    }

    // The corrupt corpus of this version: each must be refused whole.
    let dir = fixtures().join("corrupt").join(CURRENT);
    std::fs::create_dir_all(&dir).unwrap();
    let good = station.save();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    let key = format!("activity:{}", activity().id);
    let edit = |f: &dyn Fn(&mut AutoCommit, &automerge::ObjId)| {
        let mut d = AutoCommit::load(&good).unwrap();
        let (_, obj) = d.get(ROOT, key.as_str()).unwrap().unwrap();
        f(&mut d, &obj);
        d.save()
    };
    let files: [(&str, Vec<u8>); 7] = [
        ("not-automerge.automerge", "选民接待日".as_bytes().to_vec()),
        ("truncated.automerge", good[..good.len() / 2].to_vec()),
        ("flipped-byte.automerge", flipped),
        (
            "wrong-types.automerge",
            edit(&|d, o| d.put(o, "voters_received", "many").unwrap()),
        ),
        (
            "missing-field.automerge",
            edit(&|d, o| d.delete(o, "station_id").unwrap()),
        ),
        (
            "count-out-of-range.automerge",
            edit(&|d, o| d.put(o, "voters_received", u64::MAX).unwrap()),
        ),
        (
            "bad-date.automerge",
            edit(&|d, o| d.put(o, "date", "2022-13-45").unwrap()),
        ),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn documents_of_every_earlier_version_still_load() {
    if std::env::var_os("JIAZHAN_BLESS_FIXTURES").is_some() {
        bless();
    }
    let actor = ActorId::random();
    let v1 = fixtures().join("documents/v1");
    let read = |dir: &Path, name: &str| std::fs::read(dir.join(name)).unwrap();

    // v1 (the walking skeleton): one meeting per document, the directory in one.
    let m = doc::load(&read(&v1, "voter_meeting.automerge"), &actor).unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&read(&v1, "voter_meeting.json")).unwrap();
    let a = doc::v1::read_meeting(&m, "legacy").unwrap();
    assert_eq!(a.kind, ActivityKind::VoterMeeting);
    assert_eq!(a.station_id, expected["station_id"]);
    assert_eq!(a.date.to_string(), expected["date"]);
    assert_eq!(a.voters_received, expected["voters_received"]);
    assert_eq!(a.summary, expected["summary"]);
    assert_eq!(serde_json::json!(a.deputy_ids), expected["deputy_ids"]);
    let d = doc::load(&read(&v1, "directory.automerge"), &actor).unwrap();
    let expected: serde_json::Value = serde_json::from_slice(&read(&v1, "directory.json")).unwrap();
    let dir: Directory = doc::v1::read_directory(&d).unwrap();
    assert_eq!(serde_json::json!(dir.stations), expected["stations"]);
    assert_eq!(serde_json::json!(dir.deputies), expected["deputies"]);

    // v2 onwards: every `X.automerge` reads back as the records in `X.json`.
    let mut checked = 0;
    for version in std::fs::read_dir(fixtures().join("documents")).unwrap() {
        let dir = version.unwrap().path();
        if dir.ends_with("v1") {
            continue;
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "automerge") {
                continue;
            }
            let d = doc::load(&std::fs::read(&path).unwrap(), &actor).unwrap();
            let expected: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path.with_extension("json")).unwrap())
                    .unwrap();
            assert_eq!(records_json(&d), expected, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 6, "v2 fixtures missing: {checked}");
}

#[test]
fn corrupt_documents_are_refused_cleanly() {
    let actor = ActorId::random();
    let mut checked = 0;
    for version in ["v1", "v2", "v3"] {
        for entry in std::fs::read_dir(fixtures().join("corrupt").join(version)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| {
                let d = doc::load(&bytes, &actor)?;
                if version == "v1" {
                    doc::v1::read_meeting(&d, "x").map(|a| format!("{a:?}"))
                } else {
                    shared::registry::read_records(&d).map(|r| format!("{r:?}"))
                }
            });
            match result {
                Ok(Err(_)) => checked += 1,
                Ok(Ok(r)) => panic!("{} was read: {r}", path.display()),
                Err(_) => panic!("{} made the reader panic", path.display()),
            }
        }
    }
    assert!(
        checked >= 14,
        "the corrupt corpus is missing files: {checked}"
    );
}

#[test]
fn fields_a_newer_app_added_survive_an_edit_by_this_one() {
    let mut d = AutoCommit::new();
    doc::write_record(&mut d, &activity()).unwrap();
    let key = format!("activity:{}", activity().id);
    let (_, obj) = d.get(ROOT, key.as_str()).unwrap().unwrap();
    d.put(&obj, "weather", "晴").unwrap(); // written by a newer version
    d.put(ROOT, "summary_v9:1", "a record kind from the future")
        .unwrap();
    let mut edited = activity();
    edited.summary = "改过的摘要".into();
    doc::write_record(&mut d, &edited).unwrap();
    let (value, _) = d.get(&obj, "weather").unwrap().expect("kept");
    assert_eq!(value.into_string().ok().as_deref(), Some("晴"));
    assert_eq!(
        doc::read_record::<Activity>(&d, &activity().id).unwrap(),
        Some(edited)
    );
    // The unknown record kind is skipped, not an error.
    assert_eq!(shared::registry::read_records(&d).unwrap().len(), 1);
}
