//! The changes a device sends: new ones by an actor, a device's first write, every
//! change of a document, and the large, nested and raw ones the limits are tested with.

use automerge::transaction::Transactable as _;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc as _};
use shared::doc::write_record;
use shared::model::{Activity, ActivityKind};
use shared::protocol::WireChange;
use sync_server::wire::write_leb128;

use super::STATION;

/// A new change to `doc_id` by `actor` (its first in that document).
pub fn change_by(doc_id: &str, actor: &ActorId) -> WireChange {
    let mut doc = AutoCommit::new().with_actor(actor.clone());
    doc.put(ROOT, "note", uuid::Uuid::new_v4().to_string())
        .unwrap();
    wire(
        doc_id,
        doc.get_last_local_change().unwrap().raw_bytes().to_vec(),
    )
}

/// A new Automerge change to a document: its schema version, as a device's first write
/// to a document sets it (the server checks the records of referrals and answers).
pub fn schema_change(doc_id: &str) -> WireChange {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", 2u64).unwrap();
    wire(doc_id, doc.get_changes(&[])[0].raw_bytes().to_vec())
}

/// The changes of `doc` (all of them) for document `doc_id`.
pub fn changes(doc_id: &str, doc: &mut AutoCommit) -> Vec<WireChange> {
    doc.get_changes(&[])
        .iter()
        .map(|c| wire(doc_id, c.raw_bytes().to_vec()))
        .collect()
}

pub fn wire(doc_id: &str, bytes: Vec<u8>) -> WireChange {
    WireChange {
        doc_id: doc_id.into(),
        kind: doc_id.split('/').next().unwrap().into(),
        bytes,
    }
}

/// A change by a new actor that sets `note` to 4,000,000 bytes: about 4 KB deflated.
pub fn big_change(doc_id: &str) -> WireChange {
    let mut doc = AutoCommit::new().with_actor(ActorId::random());
    doc.put(ROOT, "note", "a".repeat(4_000_000)).unwrap();
    let bytes = doc
        .get_last_local_change()
        .unwrap()
        .clone()
        .bytes()
        .to_vec();
    assert_eq!(bytes[8], 2, "deflated");
    assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
    wire(doc_id, bytes)
}

/// A sync message (Automerge's first format) carrying `chunks` and nothing else.
pub fn message_with(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut m = vec![0x42, 0, 0, 0];
    write_leb128(&mut m, chunks.len() as u64);
    for c in chunks {
        write_leb128(&mut m, c.len() as u64);
        m.extend_from_slice(c);
    }
    m
}

/// An activity whose `extra` nests `levels` maps below it, as one change.
pub fn nested_activity(doc_id: &str, id: &str, levels: usize) -> Vec<WireChange> {
    let mut doc = AutoCommit::new();
    write_record(
        &mut doc,
        &Activity {
            id: id.into(),
            kind: ActivityKind::ReceptionDay,
            station_id: STATION.into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            deputy_ids: vec![],
            guests: String::new(),
            voters_received: 3,
            online: false,
            location: String::new(),
            summary: "接待选民".into(),
            photos: vec![],
            campaign_id: None,
            draft_id: None,
        },
    )
    .unwrap();
    let (_, record) = doc
        .get(ROOT, format!("activity:{id}").as_str())
        .unwrap()
        .unwrap();
    let mut obj = doc.put_object(&record, "extra", ObjType::Map).unwrap();
    for _ in 0..levels {
        obj = doc.put_object(&obj, "x", ObjType::Map).unwrap();
    }
    doc.commit();
    changes(doc_id, &mut doc)
}
