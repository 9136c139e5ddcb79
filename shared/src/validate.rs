//! What a server checks of the records a pushed change touches, before it stores the
//! change. Devices write through [`crate::doc`], which only writes valid records; these
//! checks are for what another client (or a hostile one) could push instead.
//!
//! Today they guard the documents that carry privacy and authority across scopes: a
//! station's referrals (read by a department) and a department's answers (read by the
//! station). In each of these documents every record must read as a valid record of the
//! document's family and belong in it ([`AnyRecord::belongs_in`]); a referral carries
//! exactly the fields of [`Referral`], so never a voter's name or phone; an answer
//! answers a referral that exists for its station and department, of the same opinion.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use automerge::{AutoCommit, ChangeHash, ObjType, Prop, ROOT, ReadDoc, ScalarValue};
use chrono::NaiveDate;

use crate::doc::{AnyRecord, DocFamily, DocId};
use crate::model::{Answer, Referral};

/// Why a record was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The record's root key (`referral:<id>`).
    pub record: String,
    pub reason: String,
}

/// Whether the server checks the records of documents of `family`.
pub fn checked(family: DocFamily) -> bool {
    matches!(family, DocFamily::Referrals | DocFamily::Answers)
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
                Ok(Some((automerge::Value::Scalar(v), _)))
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
        let record = match AnyRecord::read(doc, key) {
            Ok(Some(record)) => record,
            Ok(None) => return Err(invalid("not a kind of record this document holds")),
            Err(_) => return Err(invalid("does not read as a record of its kind")),
        };
        if !record.belongs_in(id, key) {
            return Err(invalid("does not belong in this document"));
        }
        match record {
            AnyRecord::Referral(_) => {
                let automerge::Value::Object(ObjType::Map) = value else {
                    return Err(invalid("not a map"));
                };
                if let Some(extra) = doc
                    .keys(&obj)
                    .find(|k| !REFERRAL_FIELDS.contains(k.as_str()))
                {
                    return Err(invalid(&format!(
                        "a referral has no field {extra:?} (it never carries a voter's name or phone)"
                    )));
                }
            }
            AnyRecord::Answer(answer) => check_answer(&answer, referral).map_err(invalid)?,
            _ => {}
        }
    }
    Ok(())
}

fn check_answer(
    answer: &Answer,
    referral: &mut dyn FnMut(&str) -> Option<Referral>,
) -> Result<(), &'static str> {
    match referral(&answer.referral_id) {
        Some(r) if r.opinion_id == answer.opinion_id => Ok(()),
        Some(_) => Err("the answer's opinion is not its referral's"),
        None => Err("no referral of this station to this department has this id"),
    }
}

/// The fields of a referral, as documents name them.
static REFERRAL_FIELDS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let sample = Referral {
        id: String::new(),
        opinion_id: String::new(),
        station_id: String::new(),
        department_id: String::new(),
        referred_on: NaiveDate::MIN,
        deadline: NaiveDate::MIN,
        categories: vec![],
        content: String::new(),
        note: String::new(),
    };
    match serde_json::to_value(sample) {
        Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_referral_has_exactly_its_fields_and_no_personal_data() {
        assert!(REFERRAL_FIELDS.contains("content"));
        assert!(REFERRAL_FIELDS.contains("opinion_id"));
        assert_eq!(REFERRAL_FIELDS.len(), 9);
        assert!(!REFERRAL_FIELDS.contains("voter_name"));
        assert!(!REFERRAL_FIELDS.contains("voter_phone"));
    }
}
