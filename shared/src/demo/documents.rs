//! A generated year ([`YearRecords`]) as documents: each record in the document it
//! belongs in (a station's month, a department's referrals or answers of a station's
//! year), written as one change per document, with the voters' names and phones sealed
//! under keys of their own ([`crate::seal`]) as the app seals them.

use std::collections::BTreeMap;

use automerge::transaction::{CommitOptions, Transactable as _};
use automerge::{AutoCommit, ROOT};
use chrono::{Datelike as _, NaiveDate};

use super::haidian::YearRecords;
use crate::Error;
use crate::doc::{DocId, Home, Places, Record, SCHEMA_VERSION};
use crate::registry::AnyRecord;
use crate::seal::{self, KEY_BYTES};

/// The documents of a year, and the keys of the contact details sealed in them.
pub struct YearDocuments {
    /// Each document with the one change that holds its records, in id order.
    pub documents: Vec<(DocId, AutoCommit)>,
    /// (document, key id, key) for each opinion whose voter gave a name or phone.
    pub keys: Vec<(DocId, String, [u8; KEY_BYTES])>,
}

impl std::fmt::Debug for YearDocuments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YearDocuments")
            .field("documents", &self.documents.len())
            .field("keys", &self.keys.len())
            .finish()
    }
}

/// Writes `records` into new documents, one change each (dated the day of the
/// document's latest record). Opinions with a voter's name or phone are sealed first,
/// each under a new key. An answer must answer one of `records.referrals` (its document
/// is the year of the referral).
pub fn year_documents(records: &YearRecords) -> Result<YearDocuments, Error> {
    let mut docs: BTreeMap<DocId, (Vec<AnyRecord>, NaiveDate)> = BTreeMap::new();
    let mut add = |id: DocId, record: AnyRecord, day: NaiveDate| {
        let entry = docs.entry(id).or_insert_with(|| (Vec::new(), day));
        entry.0.push(record);
        entry.1 = entry.1.max(day);
    };
    let mut keys = Vec::new();
    let places = YearPlaces(
        records
            .referrals
            .iter()
            .map(|r| (r.id.as_str(), r.referred_on.year()))
            .collect(),
    );
    let home = |r: Home<'_>| r.doc_id(&places).map_err(|e| Error::Corrupt(e.to_string()));
    for a in &records.activities {
        add(home(a.home())?, a.clone().into(), a.date);
    }
    for o in &records.opinions {
        let id = home(o.home())?;
        let mut o = o.clone();
        if let Some((key_id, key, _)) = seal::seal_opinion(&mut o, None) {
            keys.push((id.clone(), key_id, key));
        }
        let day = o.feedback_date.unwrap_or(o.date).max(o.date);
        add(id, o.into(), day);
    }
    for s in &records.suggestions {
        add(home(s.home())?, s.clone().into(), s.date);
    }
    for l in &records.leads {
        add(home(l.home())?, l.clone().into(), l.date);
    }
    for r in &records.referrals {
        add(home(r.home())?, r.clone().into(), r.referred_on);
    }
    for a in &records.answers {
        add(home(a.home())?, a.clone().into(), a.date);
    }
    // Unoptimised builds write documents slowly: each core writes its share.
    let docs: Vec<(DocId, (Vec<AnyRecord>, NaiveDate))> = docs.into_iter().collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = docs.len().div_ceil(threads).max(1);
    let documents = std::thread::scope(|scope| {
        let workers: Vec<_> = docs
            .chunks(share)
            .map(|part| {
                scope.spawn(move || part.iter().map(document).collect::<Result<Vec<_>, Error>>())
            })
            .collect();
        let mut documents = Vec::with_capacity(docs.len());
        for w in workers {
            documents.extend(w.join().expect("writing documents does not panic")?);
        }
        Ok::<_, Error>(documents)
    })?;
    Ok(YearDocuments { documents, keys })
}

/// A generated year knows the year of each of its referrals; it holds no staff or
/// deputies.
struct YearPlaces<'a>(BTreeMap<&'a str, i32>);

impl Places for YearPlaces<'_> {
    fn subdistrict_of(&self, _: &str) -> Option<String> {
        None
    }
    fn referral_year(&self, referral: &str) -> Option<i32> {
        self.0.get(referral).copied()
    }
}

/// One document holding `records`, in one change dated `day`.
fn document(
    (id, (records, day)): &(DocId, (Vec<AnyRecord>, NaiveDate)),
) -> Result<(DocId, AutoCommit), Error> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    for r in records {
        write(&mut doc, r)?;
    }
    let time = day
        .and_hms_opt(18, 0, 0)
        .expect("a time of day")
        .and_utc()
        .timestamp();
    doc.commit_with(
        CommitOptions::default()
            .with_message("demo")
            .with_time(time),
    );
    Ok((id.clone(), doc))
}

/// Puts `record` under its key, uncommitted (the document's one change holds them all).
fn write(doc: &mut AutoCommit, record: &AnyRecord) -> Result<(), Error> {
    Ok(record.put(doc)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::haidian;

    #[test]
    fn every_record_is_in_its_document_once_and_contacts_are_sealed() {
        // Two streets' records (the whole district takes long unoptimised).
        let dir = haidian::directory();
        let all = haidian::year(&dir, 11);
        let here = |station: &str| {
            station.starts_with("st-zizhuyuan-") || station.starts_with("st-xibeiwang-")
        };
        let year = YearRecords {
            activities: all
                .activities
                .into_iter()
                .filter(|r| here(&r.station_id))
                .collect(),
            opinions: all
                .opinions
                .into_iter()
                .filter(|r| here(&r.station_id))
                .collect(),
            referrals: all
                .referrals
                .into_iter()
                .filter(|r| here(&r.station_id))
                .collect(),
            answers: all
                .answers
                .into_iter()
                .filter(|r| here(&r.station_id))
                .collect(),
            suggestions: all
                .suggestions
                .into_iter()
                .filter(|r| here(&r.station_id))
                .collect(),
            leads: all
                .leads
                .into_iter()
                .filter(|r| here(&r.station_id))
                .collect(),
        };
        let out = year_documents(&year).unwrap();
        let mut read = 0;
        let mut sealed = 0;
        let keys: BTreeMap<&str, &[u8; KEY_BYTES]> =
            out.keys.iter().map(|(_, id, k)| (id.as_str(), k)).collect();
        for (id, doc) in &out.documents {
            let mut doc = doc.clone();
            assert_eq!(doc.get_changes(&[]).len(), 1, "{id}: one change");
            for (key, record) in crate::registry::read_records(&doc).unwrap() {
                assert!(record.belongs_in(id, &key), "{key} in {id}");
                read += 1;
                let AnyRecord::Opinion(o) = record else {
                    continue;
                };
                let given = year.opinions.iter().find(|x| x.id == o.id).unwrap();
                assert!(o.voter_name.is_empty() && o.voter_phone.is_empty());
                match &o.contact {
                    None => assert!(given.voter_name.is_empty()),
                    Some(c) => {
                        let key = keys[seal::key_id_of(c).unwrap()];
                        let opened = seal::open(key, c).unwrap();
                        assert_eq!(opened.name, given.voter_name);
                        assert_eq!(opened.phone, given.voter_phone);
                        sealed += 1;
                    }
                }
                let mut back = o.clone();
                back.voter_name = given.voter_name.clone();
                back.voter_phone = given.voter_phone.clone();
                back.contact = None;
                assert_eq!(&back, given);
            }
        }
        assert_eq!(read, year.count());
        assert_eq!(sealed, out.keys.len());
        assert!(sealed > 0);
        // A document per station and month, per department and station's year.
        let months: std::collections::BTreeSet<_> = year
            .activities
            .iter()
            .map(|a| (a.station_id.clone(), a.date.month()))
            .chain(
                year.opinions
                    .iter()
                    .map(|o| (o.station_id.clone(), o.date.month())),
            )
            .collect();
        let stations = out
            .documents
            .iter()
            .filter(|(id, _)| matches!(id, DocId::Station { .. }))
            .count();
        assert!(stations >= months.len());
    }
}
