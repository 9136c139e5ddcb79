//! Automerge documents: which document holds which record, how records are laid out in
//! it, and how a record is written into and read from one. Which kind goes where is each
//! kind's `home` in [`crate::registry`] (rules in [`crate::doc_id::Home`]); this module
//! does not know the kinds.
//!
//! # The document model
//! A document is a *bucket* of records that share one permission scope, named by a
//! [`DocId`] from which the scope follows without reading the document:
//!
//! | document id | scope | holds |
//! |---|---|---|
//! | `district` | district | subdistricts, departments, campaigns |
//! | `subdistrict/<id>` | subdistrict | its stations, their staff, their deputies |
//! | `consultation/<draft>` | consultation | one draft regulation and its articles |
//! | `station/<id>/<YYYY-MM>` | station | activities, opinions (with feedback), suggestions and leads dated in that month |
//! | `referrals/<dept>/<station>/<YYYY>` | department | referrals of that station's opinions to that department |
//! | `answers/<dept>/<station>/<YYYY>` | department | that department's answers to them |
//!
//! Each record sits at the document root under `<prefix>:<id>` (e.g. `activity:<uuid>`),
//! and the root also carries `schema`. Records are flat maps (scalars and lists created
//! with the record), so the only container two devices can create independently is the
//! root itself, which Automerge shares: two phones opening the same month offline both
//! add their records and the merge keeps both. Edits are reconciled with autosurgeon,
//! which writes only the fields that changed, so concurrent edits of different fields
//! both survive, and a field an older app does not know is left alone.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, Change, ROOT, ReadDoc};
use autosurgeon::{Hydrate, Reconcile, reconcile_prop};
use chrono::NaiveDate;

use crate::Error;
pub use crate::doc_id::{DocFamily, DocId, Home, Places, is_valid_id};
use crate::model::{Activity, Deputy, Directory, Station, Subdistrict};

/// The schema version this build writes. v1 (the walking skeleton) kept one voter meeting
/// per document; see [`v1`].
pub const SCHEMA_VERSION: u64 = 2;

/// A record type stored in documents: its key prefix and id. Implemented for every kind
/// by its entry in [`crate::registry`].
pub trait Record: Reconcile + Clone + serde::Serialize + serde::de::DeserializeOwned {
    const PREFIX: &'static str;
    /// The family of document that holds this kind of record.
    const FAMILY: DocFamily;
    fn id(&self) -> &str;
    /// Gives a new record its id (a form's record is made with none).
    fn set_id(&mut self, id: String);
    /// Where its document is: its kind's placement rule with its values.
    fn home(&self) -> Home<'_>;
    fn record_key(&self) -> String {
        format!("{}:{}", Self::PREFIX, self.id())
    }
}

/// Opens an existing document's saved bytes as this device's actor.
pub fn load(bytes: &[u8], actor: &ActorId) -> Result<AutoCommit, Error> {
    let mut doc = AutoCommit::load(bytes)?;
    doc.set_actor(actor.clone());
    Ok(doc)
}

fn commit(doc: &mut AutoCommit, message: &str) {
    doc.commit_with(
        CommitOptions::default()
            .with_message(message)
            .with_time(chrono::Utc::now().timestamp()),
    );
}

/// Writes `record` (new or edited) into `doc` and returns the changes this made: none
/// when nothing differs.
pub fn write_record<R: Record>(doc: &mut AutoCommit, record: &R) -> Result<Vec<Change>, Error> {
    let before = doc.get_heads();
    if doc.get(ROOT, "schema")?.is_none() {
        doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    }
    reconcile_prop(doc, ROOT, record.record_key().as_str(), record)?;
    commit(doc, R::PREFIX);
    Ok(doc.get_changes(&before))
}

/// Reads record `id` of type `R`, if the document holds it.
pub fn read_record<R: Record>(doc: &AutoCommit, id: &str) -> Result<Option<R>, Error> {
    let key = format!("{}:{id}", R::PREFIX);
    if doc.get(ROOT, key.as_str())?.is_none() {
        return Ok(None);
    }
    Ok(Some(read_at(doc, &key)?))
}

/// Reads the record map under root key `key` in one pass (`map_range`) into JSON and
/// deserializes it: the serde names of fields and enum variants are the names in the
/// document (`autosurgeon(rename)` keeps enum variants snake_case, like serde). A field
/// of the wrong type, a missing field or a bad date is an error; a field this build does
/// not know is ignored; a missing `Option` field reads as `None`.
pub fn read_at<R: serde::de::DeserializeOwned>(doc: &AutoCommit, key: &str) -> Result<R, Error> {
    let corrupt = |what: String| Error::Corrupt(format!("{key}: {what}"));
    let Some((automerge::Value::Object(_), obj)) = doc.get(ROOT, key)? else {
        return Err(corrupt("not a map".into()));
    };
    // Which field, and what is wrong with it, but not serde's message: it can quote the
    // offending value (personal data in a log or an answer).
    serde_path_to_error::deserialize(object_json(doc, &obj, 0)).map_err(|e| {
        let path = e.path().to_string();
        corrupt(format!(
            "does not read as a record: {}",
            what_is_wrong(&path, e.inner())
        ))
    })
}

/// What is wrong with the field at `path` (`.` for the record itself), from serde's
/// error without the value it may quote.
fn what_is_wrong(path: &str, e: &serde_json::Error) -> String {
    let message = e.to_string();
    let wrong = if let Some(field) = message.strip_prefix("missing field ") {
        // A field's name, never a value.
        let field = field
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches('`');
        return match path {
            "." => format!("{field}: missing"),
            _ => format!("{path}.{field}: missing"),
        };
    } else if message.starts_with("invalid type") {
        "a value of the wrong type"
    } else if message.starts_with("unknown variant") {
        "a value it does not know"
    } else {
        "a value it cannot read"
    };
    format!("{path}: {wrong}")
}

/// Records are flat: a field nests at most a list in a record. Anything deeper is not ours
/// (an unknown field of a newer app, or a hostile change) and is left out, so a document
/// nested thousands deep cannot overflow the stack while it is read.
const MAX_DEPTH: usize = 4;

/// An Automerge object (map or list, nested up to [`MAX_DEPTH`]) as JSON.
fn object_json(doc: &AutoCommit, obj: &automerge::ObjId, depth: usize) -> serde_json::Value {
    use automerge::ValueRef;
    if depth >= MAX_DEPTH {
        return serde_json::Value::Null;
    }
    let value = |v: ValueRef<'_>, id: &dyn Fn() -> automerge::ObjId| match v {
        ValueRef::Object(_) => object_json(doc, &id(), depth + 1),
        ValueRef::Scalar(s) => scalar_json(&s),
    };
    match doc.object_type(obj) {
        Ok(automerge::ObjType::List) => serde_json::Value::Array(
            doc.list_range(obj, ..)
                .map(|item| {
                    let id = item.id();
                    value(item.value, &|| id.clone())
                })
                .collect(),
        ),
        Ok(automerge::ObjType::Text) => {
            serde_json::Value::String(doc.text(obj).unwrap_or_default())
        }
        _ => serde_json::Value::Object(
            doc.map_range(obj, ..)
                .map(|item| {
                    let id = item.id();
                    (item.key.into_owned(), value(item.value, &|| id.clone()))
                })
                .collect(),
        ),
    }
}

fn scalar_json(s: &automerge::ScalarValueRef<'_>) -> serde_json::Value {
    use automerge::ScalarValueRef as S;
    match s {
        S::Str(s) => serde_json::Value::String(s.to_string()),
        S::Int(n) | S::Counter(n) | S::Timestamp(n) => serde_json::Value::from(*n),
        S::Uint(n) => serde_json::Value::from(*n),
        S::F64(n) => serde_json::Value::from(*n),
        S::Boolean(b) => serde_json::Value::Bool(*b),
        S::Bytes(_) | S::Unknown { .. } | S::Null => serde_json::Value::Null,
    }
}

/// The root keys of the records `doc` holds.
pub fn record_keys(doc: &AutoCommit) -> Vec<String> {
    doc.keys(ROOT).filter(|k| k.contains(':')).collect()
}

/// The documents the reference data lives in, each with its records.
pub fn directory_documents(dir: &Directory) -> Result<Vec<(DocId, AutoCommit)>, Error> {
    let mut docs = std::collections::BTreeMap::new();
    write_directory(dir, &mut docs, AutoCommit::new)?;
    Ok(docs.into_iter().collect())
}

/// Writes every record of `dir` into the document it belongs in, among `docs` (a
/// document not there yet is made with `new`): for a new directory, or over the
/// documents of an earlier one (then only what differs makes changes). Every station,
/// staff member and deputy must name a station (and it a street or town) of `dir`.
pub fn write_directory(
    dir: &Directory,
    docs: &mut std::collections::BTreeMap<DocId, AutoCommit>,
    new: impl Fn() -> AutoCommit,
) -> Result<(), Error> {
    let ids = dir
        .subdistricts
        .iter()
        .map(|r| &r.id)
        .chain(dir.stations.iter().map(|r| &r.id))
        .chain(dir.departments.iter().map(|r| &r.id))
        .chain(dir.drafts.iter().map(|r| &r.id));
    for id in ids {
        if !is_valid_id(id) {
            return Err(Error::Corrupt(format!(
                "{id:?} is not an id (1–64 of A–Z, a–z, 0–9, '-', '_')"
            )));
        }
    }
    let known: std::collections::HashSet<&str> =
        dir.subdistricts.iter().map(|s| s.id.as_str()).collect();
    if let Some(s) = dir
        .stations
        .iter()
        .find(|s| !known.contains(s.subdistrict_id.as_str()))
    {
        return Err(Error::Corrupt(format!(
            "station {} is in unknown street or town {}",
            s.id, s.subdistrict_id
        )));
    }
    fn put<R: Record>(
        docs: &mut std::collections::BTreeMap<DocId, AutoCommit>,
        new: &dyn Fn() -> AutoCommit,
        dir: &Directory,
        r: &R,
    ) -> Result<(), Error> {
        let id = r
            .home()
            .doc_id(dir)
            .map_err(|e| Error::Corrupt(e.to_string()))?;
        write_record(docs.entry(id).or_insert_with(new), r)?;
        Ok(())
    }
    for r in &dir.subdistricts {
        put(docs, &new, dir, r)?;
    }
    for r in &dir.departments {
        put(docs, &new, dir, r)?;
    }
    for r in &dir.campaigns {
        put(docs, &new, dir, r)?;
    }
    for r in &dir.stations {
        put(docs, &new, dir, r)?;
    }
    for r in &dir.staff {
        put(docs, &new, dir, r)?;
    }
    for r in &dir.deputies {
        put(docs, &new, dir, r)?;
    }
    for r in &dir.drafts {
        put(docs, &new, dir, r)?;
    }
    Ok(())
}

/// A directory knows its stations' streets and towns; it holds no referrals.
impl Places for Directory {
    fn subdistrict_of(&self, station: &str) -> Option<String> {
        self.stations
            .iter()
            .find(|s| s.id == station)
            .map(|s| s.subdistrict_id.clone())
    }
    fn referral_year(&self, _: &str) -> Option<i32> {
        None
    }
}

/// One change to a record: who made it, when, and the record before and after (as JSON
/// objects, so any record kind's fields can be compared by name).
#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    /// The Automerge actor (device) that made the change, hex.
    pub actor: String,
    /// Seconds since the Unix epoch, as the device's clock had it.
    pub time: i64,
    /// `None` for the change that created the record.
    pub before: Option<serde_json::Value>,
    pub after: serde_json::Value,
}

/// The history of the record under root key `key`, from Automerge's own history: each
/// change of the document, seen in isolation (the record at the change's dependencies
/// against the record just after it), oldest first; changes that did not touch this
/// record are skipped.
pub fn record_history<R: Record>(doc: &mut AutoCommit, id: &str) -> Result<Vec<Revision>, Error> {
    let read = |d: &AutoCommit| -> Result<Option<serde_json::Value>, Error> {
        Ok(read_record::<R>(d, id)
            .ok()
            .flatten()
            .map(|r| serde_json::to_value(&r).expect("records serialize")))
    };
    let mut revisions = Vec::new();
    for change in doc.get_changes(&[]) {
        let before = match change.deps() {
            [] => None,
            deps => read(&doc.fork_at(deps)?)?,
        };
        let Some(after) = read(&doc.fork_at(&[change.hash()])?)? else {
            continue; // not this record, or not a whole record on its own
        };
        if before.as_ref() == Some(&after) {
            continue;
        }
        revisions.push(Revision {
            actor: change.actor_id().to_hex_string(),
            time: change.timestamp(),
            before,
            after,
        });
    }
    Ok(revisions)
}

/// The walking skeleton's layout (schema 1): one voter meeting per document, fields at
/// the root; the directory in one document. Read-only: kept so that documents saved by
/// that version still load (see `tests/fixtures/documents/v1`).
pub mod v1 {
    use super::*;
    use crate::model::{ActivityKind, DeputyLevel};

    #[derive(Hydrate)]
    struct MeetingDoc {
        station_id: String,
        date: String,
        deputy_ids: Vec<String>,
        voters_received: u64,
        summary: String,
    }

    /// Reads a v1 voter-meeting document as an activity with id `id`.
    pub fn read_meeting(doc: &AutoCommit, id: &str) -> Result<Activity, Error> {
        let d: MeetingDoc = autosurgeon::hydrate(doc)?;
        Ok(Activity {
            id: id.to_owned(),
            kind: ActivityKind::VoterMeeting,
            station_id: d.station_id,
            date: NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
                .map_err(|_| Error::Corrupt(format!("bad date {:?}", d.date)))?,
            deputy_ids: d.deputy_ids,
            guests: String::new(),
            voters_received: u32::try_from(d.voters_received)
                .ok()
                .filter(|n| *n <= crate::model::MAX_VOTERS_RECEIVED)
                .ok_or_else(|| Error::Corrupt("voter count out of range".into()))?,
            online: false,
            location: String::new(),
            summary: d.summary,
            photos: vec![],
            campaign_id: None,
            draft_id: None,
        })
    }

    #[derive(Hydrate)]
    struct DirectoryDoc {
        directory: V1Directory,
    }
    #[derive(Hydrate)]
    struct V1Directory {
        subdistricts: Vec<V1Subdistrict>,
        stations: Vec<V1Station>,
        deputies: Vec<V1Deputy>,
    }
    // v1 wrote enum variants by their Rust names (`Street`, `LiaisonPoint`, `City`).
    #[derive(Hydrate)]
    struct V1Subdistrict {
        id: String,
        name: String,
        kind: String,
    }
    #[derive(Hydrate)]
    struct V1Station {
        id: String,
        name: String,
        kind: String,
        subdistrict_id: String,
    }
    #[derive(Hydrate)]
    struct V1Deputy {
        id: String,
        name: String,
        levels: Vec<String>,
        station_id: String,
    }

    fn variant<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, Error> {
        // `LiaisonPoint` → `liaison_point`, the serde name.
        let mut snake = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        serde_json::from_value(serde_json::Value::String(snake))
            .map_err(|_| Error::Corrupt(format!("unknown v1 value {name:?}")))
    }

    /// Reads a v1 directory document.
    pub fn read_directory(doc: &AutoCommit) -> Result<Directory, Error> {
        let d: DirectoryDoc = autosurgeon::hydrate(doc)?;
        let d = d.directory;
        Ok(Directory {
            subdistricts: d
                .subdistricts
                .into_iter()
                .map(|s| {
                    Ok(Subdistrict {
                        id: s.id,
                        name: s.name,
                        kind: variant(&s.kind)?,
                    })
                })
                .collect::<Result<_, Error>>()?,
            stations: d
                .stations
                .into_iter()
                .map(|s| {
                    Ok(Station {
                        id: s.id,
                        name: s.name,
                        kind: variant(&s.kind)?,
                        subdistrict_id: s.subdistrict_id,
                    })
                })
                .collect::<Result<_, Error>>()?,
            deputies: d
                .deputies
                .into_iter()
                .map(|p| {
                    Ok(Deputy {
                        id: p.id,
                        name: p.name,
                        levels: p
                            .levels
                            .iter()
                            .map(|l| variant::<DeputyLevel>(l))
                            .collect::<Result<_, Error>>()?,
                        station_id: p.station_id,
                    })
                })
                .collect::<Result<_, Error>>()?,
            ..Directory::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ActivityKind;
    use crate::registry::AnyRecord;

    fn activity(id: &str) -> Activity {
        Activity {
            id: id.into(),
            kind: ActivityKind::VoterMeeting,
            station_id: "st-zizhuyuan-home".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            deputy_ids: vec!["dep-001".into()],
            guests: String::new(),
            voters_received: 12,
            online: false,
            location: String::new(),
            summary: "小区门口停车难".into(),
            photos: vec![],
            campaign_id: None,
            draft_id: None,
        }
    }

    #[test]
    fn concurrent_edits_of_different_fields_both_survive_a_merge() {
        let mut a = AutoCommit::new().with_actor(ActorId::random());
        write_record(&mut a, &activity("a1")).unwrap();
        let mut b = load(&a.save(), &ActorId::random()).unwrap();

        let mut on_a = activity("a1");
        on_a.voters_received = 30;
        write_record(&mut a, &on_a).unwrap();
        let mut on_b = activity("a1");
        on_b.summary = "老年人就医难".into();
        write_record(&mut b, &on_b).unwrap();

        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        for doc in [&a, &b] {
            let m = read_record::<Activity>(doc, "a1").unwrap().unwrap();
            assert_eq!(m.voters_received, 30);
            assert_eq!(m.summary, "老年人就医难");
        }
    }

    #[test]
    fn two_devices_creating_the_same_month_offline_keep_both_records() {
        // Neither device has seen the bucket document: both create it.
        let mut a = AutoCommit::new().with_actor(ActorId::random());
        let mut b = AutoCommit::new().with_actor(ActorId::random());
        write_record(&mut a, &activity("from-a")).unwrap();
        write_record(&mut b, &activity("from-b")).unwrap();
        a.merge(&mut b).unwrap();
        assert!(read_record::<Activity>(&a, "from-a").unwrap().is_some());
        assert!(read_record::<Activity>(&a, "from-b").unwrap().is_some());
        assert_eq!(record_keys(&a).len(), 2);
    }

    #[test]
    fn a_record_is_shown_only_in_the_document_it_belongs_to() {
        let march = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        let here = DocId::station("st-zizhuyuan-home", march);
        let a = AnyRecord::Activity(activity("a1"));
        assert!(a.belongs_in(&here, "activity:a1"));
        assert!(!a.belongs_in(&here, "activity:a2"), "id differs from key");
        let elsewhere = DocId::station("st-shangdi-park", march);
        assert!(!a.belongs_in(&elsewhere, "activity:a1"), "another station");
        let deputy = AnyRecord::Deputy(crate::demo::directory().deputies[0].clone());
        let key = format!("deputy:{}", crate::demo::directory().deputies[0].id);
        assert!(
            !deputy.belongs_in(&here, &key),
            "reference data in a station document"
        );
        assert!(deputy.belongs_in(&DocId::Subdistrict("sd-zizhuyuan".into()), &key));
    }

    #[test]
    fn a_record_that_does_not_read_says_which_field_and_never_its_value() {
        let cases: [(&str, automerge::ScalarValue, &str); 3] = [
            (
                "voters_received",
                "张三 13800000000".into(),
                "voters_received: a value of the wrong type",
            ),
            (
                "kind",
                "VoterMeeting".into(),
                "kind: a value it does not know",
            ),
            ("date", "2026-13-45".into(), "date: a value it cannot read"),
        ];
        for (field, value, expected) in cases {
            let mut d = AutoCommit::new();
            write_record(&mut d, &activity("a1")).unwrap();
            let (_, obj) = d.get(ROOT, "activity:a1").unwrap().unwrap();
            let quoted = value.to_string();
            d.put(&obj, field, value).unwrap();
            let e = read_record::<Activity>(&d, "a1").unwrap_err().to_string();
            assert!(e.contains(expected), "{e}");
            assert!(!e.contains(quoted.trim_matches('"')), "{e}");
        }
        let mut d = AutoCommit::new();
        write_record(&mut d, &activity("a1")).unwrap();
        let (_, obj) = d.get(ROOT, "activity:a1").unwrap().unwrap();
        d.delete(&obj, "summary").unwrap();
        let e = read_record::<Activity>(&d, "a1").unwrap_err().to_string();
        assert!(e.contains("summary: missing"), "{e}");
    }

    #[test]
    fn a_document_nested_very_deep_reads_without_overflowing() {
        let mut d = AutoCommit::new();
        write_record(&mut d, &activity("a1")).unwrap();
        let (_, mut obj) = d.get(ROOT, "activity:a1").unwrap().unwrap();
        obj = d
            .put_object(&obj, "extra", automerge::ObjType::Map)
            .unwrap();
        for _ in 0..20_000 {
            obj = d.put_object(&obj, "x", automerge::ObjType::Map).unwrap();
        }
        let read = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || read_record::<Activity>(&d, "a1").map(|r| r.is_some()))
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert!(read.unwrap());
    }

    #[test]
    fn an_edit_that_changes_nothing_makes_no_change() {
        let mut a = AutoCommit::new();
        write_record(&mut a, &activity("a1")).unwrap();
        assert!(write_record(&mut a, &activity("a1")).unwrap().is_empty());
    }

    #[test]
    fn doc_ids_round_trip_and_strange_ones_are_refused() {
        let ids = [
            DocId::District,
            DocId::Subdistrict("sd-1".into()),
            DocId::Consultation("draft-1".into()),
            DocId::station("st-1", NaiveDate::from_ymd_opt(2026, 3, 9).unwrap()),
            DocId::Referrals {
                department: "dept-1".into(),
                station: "st-1".into(),
                year: 2026,
            },
            DocId::Answers {
                department: "dept-1".into(),
                station: "st-1".into(),
                year: 2026,
            },
        ];
        for id in ids {
            assert_eq!(DocId::parse(&id.to_string()), Some(id.clone()), "{id}");
        }
        assert_eq!(
            DocId::station("st-1", NaiveDate::from_ymd_opt(2026, 3, 9).unwrap()).to_string(),
            "station/st-1/2026-03"
        );
        for bad in [
            "",
            "district/x",
            "station/st-1/2026-13",
            "station/st-1/2026-3",
            "station/../2026-03",
            "station/st 1/2026-03",
            "referrals/d/s/26",
            "answers/d/s",
            "voter_meeting",
        ] {
            assert_eq!(DocId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn directory_round_trips_through_its_documents() {
        let dir = crate::demo::directory();
        let docs = directory_documents(&dir).unwrap();
        let mut back = Directory::default();
        for (_, mut doc) in docs {
            let doc = AutoCommit::load(&doc.save()).unwrap();
            for key in record_keys(&doc) {
                match AnyRecord::read(&doc, &key).unwrap().unwrap() {
                    AnyRecord::Subdistrict(r) => back.subdistricts.push(r),
                    AnyRecord::Station(r) => back.stations.push(r),
                    AnyRecord::StationStaff(r) => back.staff.push(r),
                    AnyRecord::Deputy(r) => back.deputies.push(r),
                    AnyRecord::Department(r) => back.departments.push(r),
                    AnyRecord::Campaign(r) => back.campaigns.push(r),
                    AnyRecord::DraftRegulation(r) => back.drafts.push(r),
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        fn sorted<T: Clone + Ord>(v: &[T]) -> Vec<T> {
            let mut v = v.to_vec();
            v.sort();
            v
        }
        let ids = |v: &[Station]| sorted(&v.iter().map(|s| s.id.clone()).collect::<Vec<_>>());
        assert_eq!(ids(&back.stations), ids(&dir.stations));
        assert_eq!(back.deputies.len(), dir.deputies.len());
        assert_eq!(back.drafts, dir.drafts);
        assert_eq!(back.campaigns, dir.campaigns);
        assert_eq!(back.departments.len(), dir.departments.len());
        assert_eq!(back.staff.len(), dir.staff.len());
    }
}
