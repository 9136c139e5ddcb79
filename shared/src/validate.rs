//! What a server checks of the records a pushed change touches, before it stores the
//! change. Devices write through [`crate::doc`], which only writes valid records; these
//! checks are for what another client (or a hostile one) could push instead.
//!
//! Every record a change touches, in a document of any family, must:
//! - read as a record of a kind its document holds, and belong in it
//!   ([`AnyRecord::belongs_in`]; a station's staff and deputies also sit beside their
//!   station);
//! - be what this build writes for the record it reads as: the reader is
//!   lenient (any number reads as a count, a text object as a string), so a record that
//!   reads can still hold values the app never writes, which a later edit or another
//!   reader may then trip on. The record is written again with the app's own writer
//!   (autosurgeon, as [`crate::doc::write_record`]) into a scratch document, and every
//!   value written there must be in the pushed record with the same type (and the same
//!   value, so a date or a sealed contact is in the app's form). Fields this build does
//!   not know are left alone (a newer app's), except in a referral, which carries
//!   exactly the fields of [`Referral`], so never a voter's name or phone.
//!
//! An answer must also answer a referral that exists for its station and department, of
//! the same opinion. Reasons are short English, name fields but never quote a value (it
//! may be a voter's name or phone).

use std::collections::BTreeSet;

use crate::doc_id::{BelongsTo, DocFamily, DocId};
use crate::model::{Answer, Referral, Station};
use crate::registry::AnyRecord;
use automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue, ScalarValueRef,
    Value, ValueRef,
};

/// Why a record was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The record's root key (`referral:<id>`).
    pub record: String,
    pub reason: String,
}

/// Whether the server checks the records of documents of `family`: every family a
/// device can push to. The directory's (district, subdistrict, consultation) are written
/// by the server alone and no role may push to them, so their check does not run today;
/// it costs nothing, and a role given write access to one is checked from its first push.
pub fn checked(family: DocFamily) -> bool {
    match family {
        DocFamily::Station | DocFamily::Referrals | DocFamily::Answers => true,
        DocFamily::District | DocFamily::Subdistrict | DocFamily::Consultation => true,
    }
}

/// The root keys whose values the changes from `before` to the document's heads touched
/// (a record's own fields included), in order.
pub fn touched_keys(doc: &mut AutoCommit, before: &[ChangeHash]) -> Vec<String> {
    let after = doc.get_heads();
    let mut keys = BTreeSet::new();
    for patch in doc.diff(before, &after) {
        let key = match patch.path.first() {
            Some((_, Prop::Map(key))) => Some(key.clone()),
            Some(_) => None,
            None => match &patch.action {
                automerge::PatchAction::PutMap { key, .. }
                | automerge::PatchAction::DeleteMap { key } => Some(key.clone()),
                _ => None,
            },
        };
        keys.extend(key);
    }
    keys.into_iter().collect()
}

/// Checks the records under `keys` (from [`touched_keys`]) in `doc`, document `id`.
/// `referral` finds a referral by id among the station's referrals to the department
/// (for answers).
pub fn check_records(
    id: &DocId,
    doc: &AutoCommit,
    keys: &[String],
    referral: &mut dyn FnMut(&str) -> Option<Referral>,
) -> Result<(), Invalid> {
    if !checked(id.family()) {
        return Ok(());
    }
    for key in keys {
        let invalid = |reason: &str| Invalid {
            record: key.clone(),
            reason: reason.to_owned(),
        };
        if key == "schema" {
            match doc.get(ROOT, "schema") {
                Ok(Some((Value::Scalar(v), _)))
                    if matches!(v.as_ref(), ScalarValue::Uint(_) | ScalarValue::Int(_)) =>
                {
                    continue;
                }
                _ => return Err(invalid("the schema is a number")),
            }
        }
        // A record removed is nothing to read.
        let Ok(Some((value, obj))) = doc.get(ROOT, key.as_str()) else {
            continue;
        };
        // A root key outside the records' `<kind>:<id>` names is no record: no build reads
        // it (`doc::record_keys`). Only documents read across scopes refuse them, as they
        // could carry a voter's details to a department.
        if !key.contains(':') && !matches!(id.family(), DocFamily::Referrals | DocFamily::Answers) {
            continue;
        }
        let record = match AnyRecord::read(doc, key) {
            Ok(Some(record)) => record,
            Ok(None) => return Err(invalid("not a kind of record this document holds")),
            Err(e) => {
                // Which field and what is wrong with it (`doc::read_at` never quotes
                // the value).
                let detail = match &e {
                    crate::Error::Corrupt(m) => m
                        .rsplit_once("does not read as a record: ")
                        .map_or("", |(_, d)| d)
                        .to_owned(),
                    _ => String::new(),
                };
                return Err(invalid(&format!(
                    "does not read as a record of its kind: {detail}"
                )));
            }
        };
        if !record.belongs_in(id, key) {
            return Err(invalid("does not belong in this document"));
        }
        match record.must_belong_to() {
            BelongsTo::Nothing => {}
            BelongsTo::StationBeside(station) => {
                if !matches!(
                    crate::doc::read_record::<Station>(doc, station),
                    Ok(Some(_))
                ) {
                    return Err(invalid("does not belong in this document"));
                }
            }
            BelongsTo::Referral(referral_id) => match &record {
                AnyRecord::Answer(answer) => {
                    check_answer(answer, referral_id, referral).map_err(invalid)?;
                }
                _ => return Err(invalid("only an answer answers a referral")),
            },
        }
        let written = as_written(doc, &obj, &record).map_err(|reason| invalid(&reason))?;
        let kind = record.kind();
        if kind.only_its_fields {
            let Value::Object(ObjType::Map) = value else {
                return Err(invalid("not a map"));
            };
            if let Some(extra) = doc
                .keys(&obj)
                .find(|k| written.get(ROOT, k).ok().flatten().is_none())
            {
                return Err(invalid(&format!(
                    "a {} has no field {extra:?} (it carries exactly its own fields)",
                    kind.prefix
                )));
            }
        }
        if !kind.sealed.is_empty() {
            // The record's own fields (not the kind's enum around them); a record that
            // cannot be shown as JSON is refused rather than let through unchecked.
            let fields = record
                .fields_json()
                .map_err(|_| invalid("cannot be read as its fields"))?;
            for field in kind.sealed {
                match fields.get(field) {
                    None | Some(serde_json::Value::Null) => {}
                    Some(serde_json::Value::String(v)) if is_sealed(v) => {}
                    Some(_) => return Err(invalid(&format!("{field}: not a sealed value"))),
                }
            }
        }
    }
    Ok(())
}

/// Whether the record at `pushed` in `doc` holds what the app writes for `record` (which
/// it reads as): `record` is written with the app's own writer into a scratch document,
/// and each value written there must be in the pushed record, of the same type, with the
/// same value. A field written as null may be absent (a build older than the field did
/// not write it, and the reader takes it as null).
fn as_written(doc: &AutoCommit, pushed: &ObjId, record: &AnyRecord) -> Result<AutoCommit, String> {
    let mut written = AutoCommit::new();
    record
        .write_at_root(&mut written)
        .map_err(|_| "cannot be written again".to_owned())?;
    same_object((doc, pushed), (&written, &ROOT), "")?;
    Ok(written)
}

/// A value as Automerge's ranges give it, with its id when it is an object.
type Item<'a> = (ValueRef<'a>, Option<ObjId>);

fn object_id(value: &ValueRef<'_>, id: impl FnOnce() -> ObjId) -> Option<ObjId> {
    matches!(value, ValueRef::Object(_)).then(id)
}

/// Holds the object `pushed` against `written`, value by value of the written one (so
/// only as deep as the app writes, whatever the pushed one nests).
fn same_object(
    (doc, pushed): (&AutoCommit, &ObjId),
    (written, obj): (&AutoCommit, &ObjId),
    path: &str,
) -> Result<(), String> {
    if let Ok(ObjType::List) = written.object_type(obj) {
        let mut got = doc.list_range(pushed, ..);
        for item in written.list_range(obj, ..) {
            let path = format!("{path}[{}]", item.index);
            let found = got
                .next()
                .map(|g| (g.value.clone(), object_id(&g.value, || g.id())));
            let expected = (item.value.clone(), object_id(&item.value, || item.id()));
            same_value((doc, found), (written, expected), &path)?;
        }
        return match got.next() {
            Some(_) => Err(format!("{path}: a longer list than the app writes")),
            None => Ok(()),
        };
    }
    // Both ranges run in key order, so one pass over each finds every field.
    let mut got = doc.map_range(pushed, ..).peekable();
    for item in written.map_range(obj, ..) {
        let field = if path.is_empty() {
            item.key.to_string()
        } else {
            format!("{path}.{}", item.key)
        };
        while got.next_if(|g| g.key < item.key).is_some() {}
        let found = got
            .next_if(|g| g.key == item.key)
            .map(|g| (g.value.clone(), object_id(&g.value, || g.id())));
        let expected = (item.value.clone(), object_id(&item.value, || item.id()));
        same_value((doc, found), (written, expected), &field)?;
    }
    Ok(())
}

fn same_value(
    (doc, pushed): (&AutoCommit, Option<Item<'_>>),
    (written, (expected, obj)): (&AutoCommit, Item<'_>),
    path: &str,
) -> Result<(), String> {
    let Some((value, id)) = pushed else {
        return match expected {
            ValueRef::Scalar(ScalarValueRef::Null) => Ok(()),
            _ => Err(format!("{path}: missing")),
        };
    };
    match (&value, &expected) {
        (ValueRef::Object(a), ValueRef::Object(b)) if a == b => match (b, id, obj) {
            (ObjType::Text, _, _) => Ok(()),
            (_, Some(id), Some(obj)) => same_object((doc, &id), (written, &obj), path),
            _ => Err(format!("{path}: not what the app writes")),
        },
        (ValueRef::Scalar(a), ValueRef::Scalar(b))
            if std::mem::discriminant(a) == std::mem::discriminant(b) =>
        {
            if a == b {
                Ok(())
            } else {
                // Read into the same record, so only its form differs (a date `2026-3-9`).
                Err(format!("{path}: not in the form the app writes"))
            }
        }
        _ => Err(format!(
            "{path}: {} where the app writes {}",
            type_name(&value),
            type_name(&expected)
        )),
    }
}

fn type_name(value: &ValueRef<'_>) -> &'static str {
    match value {
        ValueRef::Object(ObjType::Map) => "a map",
        ValueRef::Object(ObjType::Table) => "a table",
        ValueRef::Object(ObjType::List) => "a list",
        ValueRef::Object(ObjType::Text) => "a text object",
        ValueRef::Scalar(s) => match s {
            ScalarValueRef::Str(_) => "a string",
            ScalarValueRef::Uint(_) => "an unsigned integer",
            ScalarValueRef::Int(_) => "a signed integer",
            ScalarValueRef::F64(_) => "a float",
            ScalarValueRef::Counter(_) => "a counter",
            ScalarValueRef::Timestamp(_) => "a timestamp",
            ScalarValueRef::Boolean(_) => "a boolean",
            ScalarValueRef::Bytes(_) => "bytes",
            ScalarValueRef::Null => "null",
            ScalarValueRef::Unknown { .. } => "a value of an unknown type",
        },
    }
}

/// Whether `contact` is in the form [`crate::seal`] writes: a key id, then base64 of
/// nonce, ciphertext and tag. A client that puts a name or phone there in the clear is
/// refused; what is sealed cannot be checked without its key.
fn is_sealed(contact: &str) -> bool {
    use base64::Engine as _;
    use ring::aead::{CHACHA20_POLY1305, NONCE_LEN};
    let (Some(_), Some((_, body))) = (crate::seal::key_id_of(contact), contact.rsplit_once('.'))
    else {
        return false;
    };
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .is_ok_and(|b| b.len() > NONCE_LEN + CHACHA20_POLY1305.tag_len())
}

fn check_answer(
    answer: &Answer,
    referral_id: &str,
    referral: &mut dyn FnMut(&str) -> Option<Referral>,
) -> Result<(), &'static str> {
    match referral(referral_id) {
        Some(r) if r.opinion_id == answer.opinion_id => Ok(()),
        Some(_) => Err("the answer's opinion is not its referral's"),
        None => Err("no referral of this station to this department has this id"),
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable as _;

    use chrono::NaiveDate;

    use super::*;
    use crate::demo;
    use crate::doc::{Record, directory_documents, write_record};
    use crate::model::*;
    use crate::registry::KINDS;

    const STATION: &str = "st-zizhuyuan-home";
    const PHONE: &str = "13800138000";

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn month() -> DocId {
        DocId::station(STATION, day(20))
    }

    fn activity(id: &str) -> Activity {
        Activity {
            id: id.into(),
            kind: ActivityKind::VoterMeeting,
            station_id: STATION.into(),
            date: day(20),
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

    /// An opinion with its voter's details sealed, as the app saves it.
    fn opinion(id: &str) -> Opinion {
        let mut o = OpinionInput {
            station_id: STATION.into(),
            date: day(20).to_string(),
            categories: vec![OpinionCategory::Traffic],
            content: "路口红绿灯时间太短".into(),
            voter_name: "张大爷".into(),
            voter_phone: PHONE.into(),
            consent: true,
            ..OpinionInput::default()
        }
        .validate(day(25))
        .unwrap();
        o.id = id.into();
        crate::seal::seal_opinion(&mut o, None).unwrap();
        o
    }

    fn referral(id: &str) -> Referral {
        Referral {
            id: id.into(),
            opinion_id: "o-1".into(),
            station_id: STATION.into(),
            department_id: "dept-traffic".into(),
            referred_on: day(20),
            deadline: day(30),
            categories: vec![OpinionCategory::Traffic],
            content: "路口红绿灯时间太短".into(),
            note: String::new(),
        }
    }

    fn referrals() -> DocId {
        DocId::Referrals {
            department: "dept-traffic".into(),
            station: STATION.into(),
            year: 2026,
        }
    }

    /// The check's verdict on what `edit` changes in document `id` after `setup` wrote it.
    fn verdict(
        id: &DocId,
        setup: impl FnOnce(&mut AutoCommit),
        edit: impl FnOnce(&mut AutoCommit),
    ) -> Result<(), Invalid> {
        let mut doc = AutoCommit::new();
        setup(&mut doc);
        doc.commit();
        let before = doc.get_heads();
        edit(&mut doc);
        doc.commit();
        let keys = touched_keys(&mut doc, &before);
        check_records(id, &doc, &keys, &mut |_| None)
    }

    /// The verdict on `record`, written by the app into document `id`, then changed in
    /// its map by `edit` as another client might.
    fn edited<R: Record>(
        id: &DocId,
        record: &R,
        edit: impl FnOnce(&mut AutoCommit, &ObjId),
    ) -> Result<(), Invalid> {
        let key = record.record_key();
        verdict(
            id,
            |d| {
                write_record(d, record).unwrap();
            },
            |d| {
                let (_, obj) = d.get(ROOT, key.as_str()).unwrap().unwrap();
                edit(d, &obj);
            },
        )
    }

    /// The reason `result` refuses record `key`.
    fn refused(result: Result<(), Invalid>, key: &str) -> String {
        let invalid = result.expect_err("refused");
        assert_eq!(invalid.record, key);
        invalid.reason
    }

    #[test]
    fn a_referral_has_exactly_its_fields_and_no_personal_data() {
        let referral = AnyRecord::Referral(Referral {
            id: String::new(),
            opinion_id: String::new(),
            station_id: String::new(),
            department_id: String::new(),
            referred_on: NaiveDate::MIN,
            deadline: NaiveDate::MIN,
            categories: vec![],
            content: String::new(),
            note: String::new(),
        });
        assert!(referral.kind().only_its_fields);
        let mut written = AutoCommit::new();
        referral.write_at_root(&mut written).unwrap();
        let fields: BTreeSet<String> = written.keys(ROOT).collect();
        assert!(fields.contains("content"));
        assert!(fields.contains("opinion_id"));
        assert_eq!(fields.len(), 9);
        assert!(!fields.contains("voter_name"));
        assert!(!fields.contains("voter_phone"));
    }

    #[test]
    fn every_family_is_checked() {
        for family in [
            DocFamily::District,
            DocFamily::Subdistrict,
            DocFamily::Consultation,
            DocFamily::Station,
            DocFamily::Referrals,
            DocFamily::Answers,
        ] {
            assert!(checked(family), "{family:?}");
        }
    }

    #[test]
    fn an_enum_name_the_app_does_not_write_is_refused() {
        // The outside client's spelling: Rust's name, not the document's.
        let reason = refused(
            edited(&month(), &activity("a1"), |d, obj| {
                d.put(obj, "kind", "VoterMeeting").unwrap();
            }),
            "activity:a1",
        );
        assert!(reason.contains("does not read"), "{reason}");
        assert!(!reason.contains("VoterMeeting"), "{reason}");
        refused(
            edited(&month(), &opinion("o1"), |d, obj| {
                let (_, list) = d.get(obj, "categories").unwrap().unwrap();
                d.put(&list, 0, "Traffic").unwrap();
            }),
            "opinion:o1",
        );
        // The app's own spelling passes.
        edited(&month(), &activity("a1"), |d, obj| {
            d.put(obj, "kind", "home_listening").unwrap();
        })
        .unwrap();
    }

    #[test]
    fn a_text_object_where_the_app_writes_a_string_is_refused_without_quoting_it() {
        let reason = refused(
            edited(&month(), &activity("a1"), |d, obj| {
                let text = d.put_object(obj, "summary", ObjType::Text).unwrap();
                d.splice_text(&text, 0, 0, &format!("张大爷 {PHONE}"))
                    .unwrap();
            }),
            "activity:a1",
        );
        assert_eq!(
            reason,
            "summary: a text object where the app writes a string"
        );
        // The reverse: no record holds a text object today, but a field that did would be
        // held to it the same way.
        let mut written = AutoCommit::new();
        written.put_object(ROOT, "t", ObjType::Text).unwrap();
        let mut pushed = AutoCommit::new();
        pushed.put(ROOT, "t", PHONE).unwrap();
        let reason = same_object((&pushed, &ROOT), (&written, &ROOT), "").unwrap_err();
        assert_eq!(reason, "t: a string where the app writes a text object");
    }

    #[test]
    fn a_number_of_another_type_than_the_app_writes_is_refused() {
        let voters = |value: ScalarValue| {
            edited(&month(), &activity("a1"), |d, obj| {
                d.put(obj, "voters_received", value).unwrap();
            })
        };
        voters(ScalarValue::Uint(30)).unwrap();
        assert_eq!(
            refused(voters(ScalarValue::Int(30)), "activity:a1"),
            "voters_received: a signed integer where the app writes an unsigned integer"
        );
        for value in [
            ScalarValue::F64(30.0),
            ScalarValue::counter(30),
            ScalarValue::Timestamp(30),
            ScalarValue::Str("30".into()),
            ScalarValue::Int(-1),
            ScalarValue::Uint(u64::from(u32::MAX) + 1),
            ScalarValue::Boolean(true),
        ] {
            refused(voters(value), "activity:a1");
        }
        // A year is signed where the app writes it.
        let report = YearReport {
            id: "rep-1".into(),
            deputy_id: "dep-001".into(),
            station_id: STATION.into(),
            year: 2026,
            date: day(20),
            title: "2026年度履职报告".into(),
            text: "一、参加活动情况".into(),
        };
        let reason = refused(
            edited(&month(), &report, |d, obj| {
                d.put(obj, "year", 2026u64).unwrap();
            }),
            "report:rep-1",
        );
        assert_eq!(
            reason,
            "year: an unsigned integer where the app writes a signed integer"
        );
    }

    #[test]
    fn dates_lists_and_maps_in_another_form_than_the_app_writes_are_refused() {
        let a = activity("a1");
        let edits: [fn(&mut AutoCommit, &ObjId); 6] = [
            |d: &mut AutoCommit, obj: &ObjId| d.put(obj, "date", "2026-11-5").unwrap(),
            |d: &mut AutoCommit, obj: &ObjId| d.put(obj, "date", "20.11.2026").unwrap(),
            |d: &mut AutoCommit, obj: &ObjId| {
                d.put(obj, "date", ScalarValue::Timestamp(1_795_000_000_000))
                    .unwrap();
            },
            |d: &mut AutoCommit, obj: &ObjId| d.put(obj, "deputy_ids", "dep-001").unwrap(),
            |d: &mut AutoCommit, obj: &ObjId| {
                let (_, list) = d.get(obj, "deputy_ids").unwrap().unwrap();
                d.put(&list, 0, 1u64).unwrap();
            },
            |d: &mut AutoCommit, obj: &ObjId| {
                d.put_object(obj, "deputy_ids", ObjType::Map).unwrap();
            },
        ];
        for edit in edits {
            refused(edited(&month(), &a, edit), "activity:a1");
        }
        // Inside the list of maps a draft regulation holds.
        let draft = demo::directory().drafts[0].clone();
        let key = format!("draft:{}", draft.id);
        let id = DocId::Consultation(draft.id.clone());
        let reason = refused(
            edited(&id, &draft, |d, obj| {
                let (_, articles) = d.get(obj, "articles").unwrap().unwrap();
                let (_, first) = d.get(&articles, 0).unwrap().unwrap();
                d.put(&first, "number", 1i64).unwrap();
            }),
            &key,
        );
        assert_eq!(
            reason,
            "articles[0].number: a signed integer where the app writes an unsigned integer"
        );
    }

    #[test]
    fn optional_fields_may_be_null_or_absent_others_neither() {
        let a = activity("a1");
        // Absent is how a build older than the field left it; the reader takes it as null.
        edited(&month(), &a, |d, obj| d.delete(obj, "campaign_id").unwrap()).unwrap();
        edited(&month(), &a, |d, obj| {
            d.put(obj, "campaign_id", "cmp-1").unwrap()
        })
        .unwrap();
        edited(&month(), &opinion("o1"), |d, obj| {
            d.delete(obj, "satisfaction").unwrap();
            d.delete(obj, "channel").unwrap();
        })
        .unwrap();
        edited(&month(), &a, |d, obj| {
            d.put(obj, "location", ScalarValue::Null).unwrap();
        })
        .unwrap_err();
        edited(&month(), &a, |d, obj| d.delete(obj, "location").unwrap()).unwrap_err();
        edited(&month(), &a, |d, obj| {
            d.put(obj, "campaign_id", 7u64).unwrap()
        })
        .unwrap_err();
    }

    #[test]
    fn a_sealed_contact_passes_and_one_in_the_clear_does_not() {
        let o = opinion("o1");
        assert!(o.contact.as_deref().is_some_and(is_sealed));
        edited(&month(), &o, |_, _| {}).unwrap();
        let id = crate::seal::key_id_of(o.contact.as_deref().unwrap())
            .unwrap()
            .to_owned();
        for clear in [
            format!("张大爷 {PHONE}"),
            format!("c1.{id}.{PHONE}"),
            // The details base64-encoded, not sealed.
            format!("c1.{id}.MTM4MDAxMzgwMDA="),
        ] {
            let reason = refused(
                edited(&month(), &o, |d, obj| d.put(obj, "contact", clear).unwrap()),
                "opinion:o1",
            );
            assert_eq!(reason, "contact: not a sealed value");
        }
        // Consent withdrawn: no details at all.
        edited(&month(), &o, |d, obj| {
            d.put(obj, "contact", ScalarValue::Null).unwrap();
        })
        .unwrap();
    }

    #[test]
    fn a_record_of_another_place_or_an_unknown_kind_is_refused() {
        let mut elsewhere = activity("a1");
        elsewhere.station_id = "st-shangdi-park".into();
        let reason = refused(
            verdict(
                &month(),
                |_| {},
                |d| {
                    write_record(d, &elsewhere).unwrap();
                },
            ),
            "activity:a1",
        );
        assert_eq!(reason, "does not belong in this document");
        // Under another record's id.
        refused(
            verdict(
                &month(),
                |_| {},
                |d| {
                    let a = activity("a2");
                    autosurgeon::reconcile_prop(d, ROOT, "activity:a1", &a).unwrap();
                },
            ),
            "activity:a1",
        );
        // Reference data through a station's document.
        let deputy = demo::directory().deputies[0].clone();
        let key = format!("deputy:{}", deputy.id);
        refused(
            verdict(
                &month(),
                |_| {},
                |d| {
                    write_record(d, &deputy).unwrap();
                },
            ),
            &key,
        );
        // A kind this build does not know.
        let reason = refused(
            verdict(
                &month(),
                |_| {},
                |d| {
                    let obj = d.put_object(ROOT, "summary_v9:1", ObjType::Map).unwrap();
                    d.put(&obj, "station_id", STATION).unwrap();
                },
            ),
            "summary_v9:1",
        );
        assert_eq!(reason, "not a kind of record this document holds");
        // A root key that names no record is read by no build: left alone in a station's
        // own document, refused where a department reads.
        verdict(&month(), |_| {}, |d| d.put(ROOT, "note", PHONE).unwrap()).unwrap();
        refused(
            verdict(
                &referrals(),
                |_| {},
                |d| d.put(ROOT, "note", PHONE).unwrap(),
            ),
            "note",
        );
    }

    #[test]
    fn removed_records_pass_and_the_schema_is_a_number() {
        let app_wrote = |d: &mut AutoCommit| {
            write_record(d, &activity("a1")).unwrap();
        };
        verdict(&month(), app_wrote, |d| {
            d.delete(ROOT, "activity:a1").unwrap()
        })
        .unwrap();
        verdict(&month(), app_wrote, |d| {
            d.put(ROOT, "schema", 2i64).unwrap()
        })
        .unwrap();
        let reason = refused(
            verdict(&month(), app_wrote, |d| d.put(ROOT, "schema", "2").unwrap()),
            "schema",
        );
        assert_eq!(reason, "the schema is a number");
    }

    #[test]
    fn unknown_fields_pass_except_in_a_referral() {
        edited(&month(), &activity("a1"), |d, obj| {
            d.put(obj, "rating_v3", 5u64).unwrap();
        })
        .unwrap();
        let reason = refused(
            edited(&referrals(), &referral("r-1"), |d, obj| {
                d.put(obj, "voter_phone", PHONE).unwrap();
            }),
            "referral:r-1",
        );
        assert!(!reason.contains(PHONE), "{reason}");
    }

    /// Documents holding records of every kind as the app writes them, from the demo
    /// data: the directory, a street's generated year (contacts sealed as the app seals
    /// them; opinions sent online, fed back and rated among them) and a yearly report;
    /// and the year's referrals.
    fn app_written() -> (Vec<(DocId, AutoCommit)>, Vec<Referral>) {
        let mut docs = directory_documents(&demo::directory()).unwrap();
        let dir = demo::haidian::directory();
        let all = demo::haidian::year(&dir, 7);
        let here = |station: &str| station.starts_with("st-zizhuyuan-");
        let year = demo::haidian::YearRecords {
            activities: (all.activities.into_iter())
                .filter(|r| here(&r.station_id))
                .collect(),
            opinions: (all.opinions.into_iter())
                .filter(|r| here(&r.station_id))
                .collect(),
            referrals: (all.referrals.into_iter())
                .filter(|r| here(&r.station_id))
                .collect(),
            answers: (all.answers.into_iter())
                .filter(|r| here(&r.station_id))
                .collect(),
            suggestions: (all.suggestions.into_iter())
                .filter(|r| here(&r.station_id))
                .collect(),
            leads: (all.leads.into_iter())
                .filter(|r| here(&r.station_id))
                .collect(),
        };
        docs.extend(demo::documents::year_documents(&year).unwrap().documents);
        let deputy = dir.deputies.iter().find(|d| here(&d.station_id)).unwrap();
        let report = YearReport {
            id: "rep-1".into(),
            deputy_id: deputy.id.clone(),
            station_id: deputy.station_id.clone(),
            year: 2022,
            date: NaiveDate::from_ymd_opt(2022, 12, 20).unwrap(),
            title: "2022年度履职报告".into(),
            text: "一、参加活动情况".into(),
        };
        let mut doc = AutoCommit::new();
        write_record(&mut doc, &report).unwrap();
        docs.push((DocId::station(&report.station_id, report.date), doc));
        (docs, year.referrals)
    }

    #[test]
    fn every_kind_of_record_the_app_writes_passes() {
        let (docs, referrals) = app_written();
        let mut kinds = BTreeSet::new();
        let (mut sealed, mut online, mut rated) = (0, 0, 0);
        for (id, mut doc) in docs {
            let keys = touched_keys(&mut doc, &[]);
            check_records(&id, &doc, &keys, &mut |rid| {
                referrals.iter().find(|r| r.id == rid).cloned()
            })
            .unwrap_or_else(|e| panic!("{id}: {e:?}"));
            for key in &keys {
                if let Some(record) = AnyRecord::read(&doc, key).unwrap() {
                    kinds.insert(record.kind().prefix);
                    if let AnyRecord::Opinion(o) = record {
                        sealed += usize::from(o.contact.is_some());
                        online += usize::from(o.channel.is_some());
                        rated += usize::from(o.satisfaction.is_some());
                    }
                }
            }
        }
        let all: BTreeSet<_> = KINDS.iter().map(|k| k.prefix).collect();
        assert_eq!(kinds, all, "a kind the demo does not write");
        assert!(
            sealed > 0 && online > 0 && rated > 0,
            "{sealed} {online} {rated}"
        );
    }

    #[test]
    fn a_record_of_every_kind_is_refused_in_another_places_document() {
        let other = |s: &str| format!("{s}-x");
        let (docs, _) = app_written();
        let mut moved = BTreeSet::new();
        for (id, doc) in docs {
            let elsewhere = match &id {
                // One district: nowhere else to be.
                DocId::District => continue,
                DocId::Subdistrict(s) => vec![DocId::Subdistrict(other(s))],
                DocId::Consultation(c) => vec![DocId::Consultation(other(c))],
                DocId::Station {
                    station,
                    year,
                    month,
                } => vec![DocId::Station {
                    station: other(station),
                    year: *year,
                    month: *month,
                }],
                DocId::Referrals {
                    department,
                    station,
                    year,
                } => vec![
                    DocId::Referrals {
                        department: other(department),
                        station: station.clone(),
                        year: *year,
                    },
                    DocId::Referrals {
                        department: department.clone(),
                        station: other(station),
                        year: *year,
                    },
                ],
                DocId::Answers {
                    department,
                    station,
                    year,
                } => vec![
                    DocId::Answers {
                        department: other(department),
                        station: station.clone(),
                        year: *year,
                    },
                    DocId::Answers {
                        department: department.clone(),
                        station: other(station),
                        year: *year,
                    },
                ],
            };
            for (key, record) in crate::registry::read_records(&doc).unwrap() {
                // Alone in the other place's document, as a device would push it there.
                let mut there = doc.clone();
                for other in crate::doc::record_keys(&there) {
                    if other != key {
                        there.delete(ROOT, other.as_str()).unwrap();
                    }
                }
                let keys = vec![key.clone()];
                for to in &elsewhere {
                    let result = check_records(to, &there, &keys, &mut |_| None);
                    assert_eq!(
                        refused(result, &key),
                        "does not belong in this document",
                        "{key} in {to}"
                    );
                }
                moved.insert(record.kind().prefix);
            }
        }
        let placed: BTreeSet<_> = KINDS
            .iter()
            .filter(|k| k.family != DocFamily::District)
            .map(|k| k.prefix)
            .collect();
        assert_eq!(moved, placed);
    }
}
