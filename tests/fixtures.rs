//! The fixture corpus: documents saved by earlier versions (committed under
//! `tests/fixtures/documents/vN/`) must load in every later version and read back as the
//! record committed beside them; the documents under `tests/fixtures/corrupt/` must be
//! refused with an error, never a panic and never a half-read record.
//!
//! To add the current version's documents: `JIAZHAN_BLESS_FIXTURES=1 cargo test --test
//! fixtures -- --test-threads=1`, then commit the new folder. Never rewrite an existing
//! version's files.

use std::path::{Path, PathBuf};

use automerge::{ActorId, AutoCommit, ROOT, ReadDoc, transaction::Transactable};
use shared::doc;
use shared::{Directory, VoterMeeting};

/// The folder this build writes fixtures into when blessing.
const CURRENT: &str = "v1";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn meeting() -> VoterMeeting {
    VoterMeeting {
        station_id: "st-xibeiwang-xixiaoying".into(),
        date: chrono::NaiveDate::from_ymd_opt(2022, 10, 12).unwrap(),
        deputy_ids: vec!["dep-010".into(), "dep-011".into()],
        voters_received: 36,
        summary: "村民反映农田灌溉用水不足，建议修缮机井".into(),
    }
}

fn bless() {
    let dir = fixtures().join("documents").join(CURRENT);
    std::fs::create_dir_all(&dir).unwrap();
    let mut m = AutoCommit::new();
    doc::write_meeting(&mut m, &meeting()).unwrap();
    // An edit on top, so the fixture carries history, not just one change.
    let mut edited = meeting();
    edited.voters_received = 38;
    doc::write_meeting(&mut m, &edited).unwrap();
    std::fs::write(dir.join("voter_meeting.automerge"), m.save()).unwrap();
    std::fs::write(
        dir.join("voter_meeting.json"),
        serde_json::to_string_pretty(&edited).unwrap(),
    )
    .unwrap();
    let mut d = AutoCommit::new();
    doc::write_directory(&mut d, &shared::demo::directory()).unwrap();
    std::fs::write(dir.join("directory.automerge"), d.save()).unwrap();
    std::fs::write(
        dir.join("directory.json"),
        serde_json::to_string_pretty(&shared::demo::directory()).unwrap(),
    )
    .unwrap();

    // The corrupt corpus.
    let dir = fixtures().join("corrupt");
    let mut good = AutoCommit::new();
    doc::write_meeting(&mut good, &meeting()).unwrap();
    let good = good.save();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    let mut wrong_types = AutoCommit::new();
    wrong_types.put(ROOT, "schema", 1u64).unwrap();
    wrong_types.put(ROOT, "station_id", 7i64).unwrap();
    wrong_types.put(ROOT, "voters_received", "many").unwrap();
    let mut missing = AutoCommit::new();
    missing.put(ROOT, "schema", 1u64).unwrap();
    missing.put(ROOT, "summary", "只有摘要").unwrap();
    let mut huge = AutoCommit::new();
    let mut big = meeting();
    big.voters_received = u32::MAX;
    doc::write_meeting(&mut huge, &big).unwrap();
    huge.put(ROOT, "voters_received", u64::MAX).unwrap();
    let mut bad_date = AutoCommit::new();
    doc::write_meeting(&mut bad_date, &meeting()).unwrap();
    bad_date.put(ROOT, "date", "2022-13-45").unwrap();
    let files: [(&str, Vec<u8>); 7] = [
        ("empty.automerge", vec![]),
        ("not-automerge.automerge", "选民接待日".as_bytes().to_vec()),
        ("truncated.automerge", good[..good.len() / 2].to_vec()),
        ("flipped-byte.automerge", flipped),
        ("wrong-types.automerge", wrong_types.save()),
        ("missing-fields.automerge", missing.save()),
        ("count-out-of-range.automerge", huge.save()),
    ];
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    std::fs::write(dir.join("bad-date.automerge"), bad_date.save()).unwrap();
}

#[test]
fn documents_of_every_earlier_version_still_load() {
    if std::env::var_os("JIAZHAN_BLESS_FIXTURES").is_some() {
        bless();
    }
    let actor = ActorId::random();
    let mut versions = 0;
    for version in std::fs::read_dir(fixtures().join("documents")).unwrap() {
        let dir = version.unwrap().path();
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
        let m = doc::load(&read("voter_meeting.automerge"), &actor).unwrap();
        let expected: VoterMeeting = serde_json::from_slice(&read("voter_meeting.json")).unwrap();
        assert_eq!(
            doc::read_meeting(&m).unwrap(),
            expected,
            "{}",
            dir.display()
        );
        let d = doc::load(&read("directory.automerge"), &actor).unwrap();
        let expected: Directory = serde_json::from_slice(&read("directory.json")).unwrap();
        assert_eq!(
            doc::read_directory(&d).unwrap(),
            expected,
            "{}",
            dir.display()
        );
        versions += 1;
    }
    assert!(versions >= 1, "no fixture versions committed");
}

#[test]
fn corrupt_documents_are_refused_cleanly() {
    let actor = ActorId::random();
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures().join("corrupt")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| {
            doc::load(&bytes, &actor).and_then(|d| doc::read_meeting(&d))
        });
        match result {
            Ok(Err(_)) => checked += 1,
            Ok(Ok(m)) => panic!("{} was read as a meeting: {m:?}", path.display()),
            Err(_) => panic!("{} made the reader panic", path.display()),
        }
    }
    assert!(
        checked >= 6,
        "the corrupt corpus is missing files: {checked}"
    );
}

#[test]
fn fields_a_newer_app_added_survive_an_edit_by_this_one() {
    let mut d = AutoCommit::new();
    doc::write_meeting(&mut d, &meeting()).unwrap();
    d.put(ROOT, "online", true).unwrap(); // written by a newer version
    let mut edited = meeting();
    edited.summary = "改过的摘要".into();
    doc::write_meeting(&mut d, &edited).unwrap();
    let (value, _) = d.get(ROOT, "online").unwrap().expect("kept");
    assert_eq!(value.as_scalar().and_then(|s| s.as_bool()), Some(true));
    assert_eq!(doc::read_meeting(&d).unwrap(), edited);
}
