//! What the voters' public pages read and write: a station's public face, a voter's
//! opinion written into the station's month document as the server, the status a
//! tracking code follows, and the erasure of the voter's contact details.
//!
//! Documents are read through the storage's copies in memory
//! ([`Store::with_doc`](crate::storage::Store)), so a page view or a submission costs no
//! document build once warm.

use std::collections::HashMap;
use std::sync::Mutex;

use automerge::ActorId;
use chrono::NaiveDate;
use shared::doc::{self, DocFamily, DocId};
use shared::model::{
    AnswerStatus, DeputyLevel, FieldError, Opinion, OpinionCategory, OpinionChannel, OpinionInput,
    StationKind,
};
use shared::registry::{self, AnyRecord};
use shared::seal;

use super::code;
use crate::storage::backend::PublicOpinion;
use crate::storage::{StorageError, Store, store_server_changes};

/// The most station pages kept in memory; past it the cache starts over.
const CACHED_PAGES: usize = 512;

/// The longest opinion a voter may send online (characters).
pub const MAX_PUBLIC_CONTENT_CHARS: usize = 500;

/// The voters' pages over the server's storage: their own state (pages built, the
/// server's actor, submissions waiting) beside the [`Store`] they read and write through.
#[derive(Clone)]
pub struct PublicStore {
    store: Store,
    state: std::sync::Arc<PublicState>,
}

impl PublicStore {
    pub fn new(store: Store) -> PublicStore {
        PublicStore {
            store,
            state: std::sync::Arc::default(),
        }
    }

    /// The storage the pages read and write through.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// In-memory state of the public pages.
struct PublicState {
    /// Station pages as last built, with the sequence numbers of the district's and the
    /// station's street's documents they were built from.
    pages: Mutex<HashMap<String, BuiltPage>>,
    /// The actor the server writes voters' opinions as: new for each process, so two
    /// processes never reuse each other's sequence numbers.
    actor: ActorId,
    /// Submissions waiting to be written. Whoever holds `writing` next writes every one
    /// waiting, in one transaction (one disk flush for many voters: group commit).
    queue: Mutex<Vec<Pending>>,
    writing: Mutex<()>,
}

impl Default for PublicState {
    fn default() -> Self {
        PublicState {
            pages: Mutex::default(),
            actor: ActorId::random(),
            queue: Mutex::default(),
            writing: Mutex::default(),
        }
    }
}

/// A station's page and the (district, street or town) document sequence numbers it was
/// built from.
type BuiltPage = ((u64, u64), StationPage);

/// A submission validated and sealed, waiting for a writer; its outcome is put in
/// `done` (the tracking code, or why not).
struct Pending {
    doc_id: String,
    opinion: Opinion,
    key: Option<(String, [u8; seal::KEY_BYTES])>,
    code: String,
    now: i64,
    done: std::sync::Arc<Mutex<Option<Result<String, String>>>>,
}

/// A station as its public page shows it: what its own staff would print on its wall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationPage {
    pub id: String,
    pub name: String,
    pub kind: StationKind,
    pub subdistrict: String,
    /// Deputies grouped at the station, by level (a deputy of several levels is under
    /// each), names sorted.
    pub deputies: Vec<(DeputyLevel, Vec<String>)>,
}

/// What a voter sent from the form, as typed.
#[derive(Clone, Debug, Default)]
pub struct Submission {
    pub content: String,
    pub categories: Vec<String>,
    pub name: String,
    pub phone: String,
    pub consent: bool,
}

/// Why a submission was not taken.
#[derive(Debug)]
pub enum SubmitError {
    /// No such station.
    NoStation,
    /// The form has mistakes: which fields, with what.
    Invalid(Vec<&'static str>),
    Storage(StorageError),
}

impl From<StorageError> for SubmitError {
    fn from(e: StorageError) -> Self {
        SubmitError::Storage(e)
    }
}

/// Where an opinion sent online stands, as its voter may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicStatus {
    pub station_name: String,
    pub received: NaiveDate,
    pub referred: Option<NaiveDate>,
    pub in_progress: Option<NaiveDate>,
    pub answered: Option<NaiveDate>,
    pub fed_back: Option<NaiveDate>,
    /// The feedback text given to the voter (empty until then).
    pub feedback: String,
    pub contact: PublicContact,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicContact {
    None,
    Kept,
    Erased,
}

impl PublicStore {
    /// The records of `doc_id` that `pick` keeps.
    fn read_from<T>(
        &self,
        doc_id: &str,
        mut pick: impl FnMut(AnyRecord) -> Option<T>,
    ) -> Result<Vec<T>, StorageError> {
        let records = self
            .store
            .with_doc(doc_id, |doc| registry::read_records(doc))??;
        Ok(records.into_iter().filter_map(|(_, r)| pick(r)).collect())
    }

    /// The public face of station `id`, or `None` when there is no such station. Built
    /// again only when the district's or its street's document changed.
    pub fn station_page(&self, id: &str) -> Result<Option<StationPage>, StorageError> {
        // An id no station can have names none (and never reaches the database, whose
        // text may not hold every character a URL can carry).
        if !shared::doc::is_valid_id(id) {
            return Ok(None);
        }
        let (subdistrict_id, seqs) = {
            let tx = self.store.backend().read()?;
            let Some(subdistrict_id) = tx.subdistrict_of(id)? else {
                return Ok(None);
            };
            let sub_doc = DocId::Subdistrict(subdistrict_id.clone()).to_string();
            let seqs = (
                tx.doc_last_seq(&DocId::District.to_string())?,
                tx.doc_last_seq(&sub_doc)?,
            );
            (subdistrict_id, seqs)
        };
        if let Some((built, page)) = self.public_pages().get(id)
            && *built == seqs
        {
            return Ok(Some(page.clone()));
        }
        let page = self.build_station_page(id, &subdistrict_id)?;
        if let Some(page) = &page {
            let mut pages = self.public_pages();
            if pages.len() >= CACHED_PAGES {
                pages.clear();
            }
            pages.insert(id.to_owned(), (seqs, page.clone()));
        }
        Ok(page)
    }

    fn public_pages(&self) -> std::sync::MutexGuard<'_, HashMap<String, BuiltPage>> {
        self.state.pages.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn build_station_page(
        &self,
        id: &str,
        subdistrict_id: &str,
    ) -> Result<Option<StationPage>, StorageError> {
        let subdistrict_id = subdistrict_id.to_owned();
        let mut station = None;
        let mut deputies: Vec<(DeputyLevel, Vec<String>)> = Vec::new();
        let sub_doc = DocId::Subdistrict(subdistrict_id.clone()).to_string();
        self.read_from(&sub_doc, |r| {
            match r {
                AnyRecord::Station(s) if s.id == id => station = Some(s),
                AnyRecord::Deputy(d) if d.station_id == id => {
                    for level in d.levels {
                        match deputies.iter_mut().find(|(l, _)| *l == level) {
                            Some((_, names)) => names.push(d.name.clone()),
                            None => deputies.push((level, vec![d.name.clone()])),
                        }
                    }
                }
                _ => {}
            }
            None::<()>
        })?;
        let Some(station) = station else {
            return Ok(None);
        };
        let subdistrict = self
            .read_from(&DocId::District.to_string(), |r| match r {
                AnyRecord::Subdistrict(s) if s.id == subdistrict_id => Some(s.name),
                _ => None,
            })?
            .pop()
            .unwrap_or_default();
        deputies.sort_by_key(|(l, _)| *l);
        for (_, names) in &mut deputies {
            names.sort();
        }
        Ok(Some(StationPage {
            id: station.id,
            name: station.name,
            kind: station.kind,
            subdistrict,
            deputies,
        }))
    }

    /// Takes a voter's opinion for station `station_id`: written into the station's
    /// month document as the server's own change (name and phone sealed under a new
    /// key the server keeps), with a tracking code. Returns the code.
    pub fn submit_opinion(
        &self,
        station_id: &str,
        s: &Submission,
        today: NaiveDate,
        now: i64,
    ) -> Result<String, SubmitError> {
        let mut problems = Vec::new();
        let content = s.content.trim();
        if content.chars().count() > MAX_PUBLIC_CONTENT_CHARS {
            problems.push("content_long");
        }
        let mut categories = Vec::new();
        for c in &s.categories {
            match OpinionCategory::ALL
                .into_iter()
                .find(|k| super::category_name(*k) == *c)
            {
                Some(k) if k != OpinionCategory::Legislation => categories.push(k),
                _ => problems.push("unknown_category"),
            }
        }
        let input = OpinionInput {
            station_id: station_id.to_owned(),
            date: today.to_string(),
            categories,
            content: content.to_owned(),
            voter_name: s.name.clone(),
            voter_phone: s.phone.clone(),
            consent: s.consent,
            ..OpinionInput::default()
        };
        if let Err(errors) = input.validate(today) {
            problems.extend(errors.iter().map(problem_key));
        }
        if !problems.is_empty() {
            // Each problem once, in the order found.
            let mut seen = std::collections::HashSet::new();
            problems.retain(|p| seen.insert(*p));
            return Err(SubmitError::Invalid(problems));
        }
        let mut opinion = input
            .validate(today)
            .map_err(|_| SubmitError::Invalid(vec!["bad_request"]))?;
        if self
            .store
            .backend()
            .read()?
            .subdistrict_of(station_id)?
            .is_none()
        {
            return Err(SubmitError::NoStation);
        }
        opinion.id = uuid::Uuid::new_v4().to_string();
        opinion.channel = Some(OpinionChannel::Online);
        let key = seal::seal_opinion(&mut opinion, None).map(|(id, key, _)| (id, key));
        let done = std::sync::Arc::new(Mutex::new(None));
        self.public_queue().push(Pending {
            doc_id: DocId::station(station_id, today).to_string(),
            opinion,
            key,
            code: code::new_code(),
            now,
            done: done.clone(),
        });
        // The writer before us may have taken ours; if not, we write all that wait.
        let _writing = self.state.writing.lock().unwrap_or_else(|p| p.into_inner());
        if done.lock().unwrap_or_else(|p| p.into_inner()).is_none() {
            let batch = std::mem::take(&mut *self.public_queue());
            let result = self.write_submissions(&batch);
            for p in &batch {
                let outcome = match &result {
                    Ok(()) => Ok(p.code.clone()),
                    Err(e) => Err(e.to_string()),
                };
                *p.done.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
            }
        }
        let outcome = done.lock().unwrap_or_else(|p| p.into_inner()).take();
        match outcome {
            Some(Ok(code)) => Ok(code),
            Some(Err(e)) => Err(StorageError::Internal(e).into()),
            None => Err(StorageError::Internal("a submission was not written".into()).into()),
        }
    }

    fn public_queue(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.state.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes `batch` (holding `writing`): each document's new records as the server's
    /// changes, keys and tracking codes, all in one transaction.
    fn write_submissions(&self, batch: &[Pending]) -> Result<(), StorageError> {
        let mut by_doc: std::collections::BTreeMap<&str, Vec<&Pending>> = Default::default();
        for p in batch {
            by_doc.entry(p.doc_id.as_str()).or_default().push(p);
        }
        let docs: Vec<&str> = by_doc.keys().copied().collect();
        let result = self.store_submissions(batch, by_doc);
        if result.is_err() {
            // Their copies in memory may hold changes that were not stored.
            docs.iter().for_each(|d| self.store.forget_doc(d));
        }
        result
    }

    fn store_submissions(
        &self,
        batch: &[Pending],
        by_doc: std::collections::BTreeMap<&str, Vec<&Pending>>,
    ) -> Result<(), StorageError> {
        // Build the changes first, without the database lock.
        let mut written = Vec::new();
        for (doc_id, pending) in by_doc {
            let changes =
                self.store.with_doc(doc_id, |doc| {
                    doc.set_actor(self.state.actor.clone());
                    let mut changes = Vec::new();
                    for p in pending {
                        changes.extend(doc::write_record(doc, &p.opinion).map_err(|e| {
                            StorageError::Internal(format!("writing an opinion: {e}"))
                        })?);
                    }
                    Ok::<_, StorageError>(changes)
                })??;
            written.push((doc_id, changes));
        }
        let tx = self.store.backend().write()?;
        for (doc_id, changes) in &written {
            let id = DocId::parse(doc_id)
                .ok_or_else(|| StorageError::Internal(format!("doc id {doc_id}")))?;
            store_server_changes(&*tx, &id, changes)?;
        }
        for p in batch {
            if let Some((key_id, key)) = &p.key {
                crate::storage::keys::give(&*tx, key_id, &p.doc_id, key)?;
            }
            tx.put_public_opinion(
                &code::hash(&p.code),
                &PublicOpinion {
                    station_id: p.opinion.station_id.clone(),
                    doc_id: p.doc_id.clone(),
                    opinion_id: p.opinion.id.clone(),
                    key_id: p.key.as_ref().map(|(id, _)| id.clone()),
                },
                p.now,
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Where the opinion with tracking code `code` (normalized) stands, or `None` when
    /// no opinion has that code.
    pub fn public_status(&self, code: &str) -> Result<Option<PublicStatus>, StorageError> {
        let Some(PublicOpinion {
            station_id,
            doc_id,
            opinion_id,
            key_id,
        }) = self.by_code(code)?
        else {
            return Ok(None);
        };
        let station_name = self
            .station_page(&station_id)?
            .map_or_else(|| station_id.clone(), |p| p.name);
        let opinion = self
            .store
            .with_doc(&doc_id, |doc| doc::read_record::<Opinion>(doc, &opinion_id))?;
        let Some(opinion) = opinion? else {
            return Ok(None);
        };
        let (referrals, answers): (Vec<String>, Vec<String>) = {
            let tx = self.store.backend().read()?;
            // Referrals and answers documents are per year: from the opinion's on.
            let year = chrono::Datelike::year(&opinion.date);
            let ids = |family| -> Result<Vec<String>, StorageError> {
                Ok(tx
                    .doc_ids(family, Some(&station_id), None)?
                    .into_iter()
                    .filter(|id| match DocId::parse(id) {
                        Some(DocId::Referrals { year: y, .. } | DocId::Answers { year: y, .. }) => {
                            y >= year
                        }
                        _ => false,
                    })
                    .collect())
            };
            (ids(DocFamily::Referrals)?, ids(DocFamily::Answers)?)
        };
        let mut referral_ids = Vec::new();
        let mut referred: Option<NaiveDate> = None;
        for d in referrals {
            for r in self.read_from(&d, |r| match r {
                AnyRecord::Referral(r) if r.opinion_id == opinion_id => Some(r),
                _ => None,
            })? {
                referred = Some(referred.map_or(r.referred_on, |d| d.min(r.referred_on)));
                referral_ids.push(r.id);
            }
        }
        let (mut in_progress, mut answered): (Option<NaiveDate>, Option<NaiveDate>) = (None, None);
        for d in answers {
            for a in self.read_from(&d, |r| match r {
                AnyRecord::Answer(a) if referral_ids.contains(&a.referral_id) => Some(a),
                _ => None,
            })? {
                let slot = match a.status {
                    AnswerStatus::InProgress => &mut in_progress,
                    AnswerStatus::Answered => &mut answered,
                };
                *slot = Some(slot.map_or(a.date, |d| d.min(a.date)));
            }
        }
        let contact = match key_id {
            None => PublicContact::None,
            Some(key_id) => {
                let held = self.store.backend().read()?.key_state(&key_id)?;
                if held.is_some_and(|(_, kept)| kept) {
                    PublicContact::Kept
                } else {
                    PublicContact::Erased
                }
            }
        };
        Ok(Some(PublicStatus {
            station_name,
            received: opinion.date,
            referred,
            in_progress,
            answered,
            fed_back: opinion.feedback_date,
            feedback: if opinion.feedback_date.is_some() {
                opinion.feedback
            } else {
                String::new()
            },
            contact,
        }))
    }

    /// Erases the contact details of the opinion with tracking code `code`: its key is
    /// destroyed here, and devices destroy theirs with their next sync. Returns whether
    /// there was an opinion with that code.
    pub fn withdraw_contact(&self, code: &str) -> Result<bool, StorageError> {
        let Some(found) = self.by_code(code)? else {
            return Ok(false);
        };
        if let Some(key_id) = found.key_id {
            let tx = self.store.backend().write()?;
            let erased = crate::storage::keys::erase(&*tx, &key_id, None)?;
            tx.commit()?;
            if erased {
                self.store.backend().after_erase();
            }
        }
        Ok(true)
    }

    /// Where the opinion with tracking code `code` is.
    fn by_code(&self, code: &str) -> Result<Option<PublicOpinion>, StorageError> {
        self.store
            .backend()
            .read()?
            .public_opinion(&code::hash(code))
    }
}

/// The text key of a refusal of the opinion form.
fn problem_key(e: &FieldError) -> &'static str {
    use shared::model::{Field, Problem};
    match (e.field, e.problem) {
        (Field::Content, Problem::Required) => "content_required",
        (Field::Content, _) => "content_long",
        (Field::Categories, _) => "categories",
        (Field::VoterName, _) => "name",
        (Field::VoterPhone, _) => "phone",
        (Field::Consent, _) => "consent",
        _ => "bad_request",
    }
}
