//! What the voters' public pages read and write: a station's public face, a voter's
//! opinion written into the station's month document as the server, the status a
//! tracking code follows, and the erasure of the voter's contact details.
//!
//! Documents are kept in memory between requests (`PublicState::docs`), each with the
//! sequence number up to which it holds every stored change: a request applies only the
//! changes stored since (read under the lock, applied without it), so a page view or a
//! submission costs no document build once warm.

use std::collections::HashMap;
use std::sync::Mutex;

use automerge::{ActorId, AutoCommit, Change};
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};
use shared::doc::{self, AnyRecord, DocId};
use shared::model::{
    AnswerStatus, DeputyLevel, FieldError, Opinion, OpinionCategory, OpinionChannel, OpinionInput,
    StationKind,
};
use shared::seal::{self, Contact};

use super::code;
use crate::storage::{NewActor, SqliteStorage, StorageError, insert_change, insert_doc};
use crate::wire::SERVER_DEVICE;

/// The most documents kept in memory; past it the cache starts over.
const CACHED_DOCS: usize = 512;

/// The longest opinion a voter may send online (characters).
pub const MAX_PUBLIC_CONTENT_CHARS: usize = 500;

/// In-memory state of the public pages, one per storage.
pub struct PublicState {
    docs: Mutex<HashMap<String, (i64, AutoCommit)>>,
    /// The actor the server writes voters' opinions as: new for each process, so two
    /// processes never reuse each other's sequence numbers.
    actor: ActorId,
    /// One submission at a time writes (each appends to a document it read).
    writing: Mutex<()>,
}

impl Default for PublicState {
    fn default() -> Self {
        PublicState {
            docs: Mutex::default(),
            actor: ActorId::random(),
            writing: Mutex::default(),
        }
    }
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

impl SqliteStorage {
    /// Document `doc_id` with every stored change (and the sequence number it holds
    /// them to), from memory plus what was stored since; taken out of the cache.
    fn current_doc(&self, doc_id: &str) -> Result<(i64, AutoCommit), StorageError> {
        let cached = self.public_docs().remove(doc_id);
        let (seq, mut doc) = cached.unwrap_or_else(|| (0, AutoCommit::new()));
        let newer: Vec<(i64, Vec<u8>)> = {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT seq, bytes FROM changes WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq",
            )?;
            stmt.query_map(params![doc_id, seq], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        let upto = newer.last().map_or(seq, |(s, _)| *s);
        let changes = newer
            .into_iter()
            .map(|(_, b)| Change::from_bytes(b))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StorageError::Internal(format!("a stored change: {e}")))?;
        doc.apply_changes(changes)
            .map_err(|e| StorageError::Internal(format!("stored changes: {e}")))?;
        Ok((upto, doc))
    }

    /// Puts a document back, unless a newer one went back meanwhile.
    fn keep_doc(&self, doc_id: &str, seq: i64, doc: AutoCommit) {
        let mut docs = self.public_docs();
        if docs.len() >= CACHED_DOCS {
            docs.clear();
        }
        match docs.get(doc_id) {
            Some((held, _)) if *held >= seq => {}
            _ => {
                docs.insert(doc_id.to_owned(), (seq, doc));
            }
        }
    }

    fn public_docs(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, AutoCommit)>> {
        self.public.docs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The records of `doc_id` that `pick` keeps.
    fn read_from<T>(
        &self,
        doc_id: &str,
        mut pick: impl FnMut(AnyRecord) -> Option<T>,
    ) -> Result<Vec<T>, StorageError> {
        let (seq, doc) = self.current_doc(doc_id)?;
        let records = doc::read_records(&doc);
        self.keep_doc(doc_id, seq, doc);
        Ok(records?.into_iter().filter_map(|(_, r)| pick(r)).collect())
    }

    /// The public face of station `id`, or `None` when there is no such station.
    pub fn station_page(&self, id: &str) -> Result<Option<StationPage>, StorageError> {
        let subdistrict_id: Option<String> = self
            .conn()
            .prepare_cached("SELECT subdistrict_id FROM stations WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let Some(subdistrict_id) = subdistrict_id else {
            return Ok(None);
        };
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
        let mut opinion = match input.validate(today) {
            Ok(o) if problems.is_empty() => o,
            Ok(_) => return Err(SubmitError::Invalid(problems)),
            Err(errors) => {
                problems.extend(errors.iter().map(problem_key));
                problems.dedup();
                return Err(SubmitError::Invalid(problems));
            }
        };
        if self.station_page(station_id)?.is_none() {
            return Err(SubmitError::NoStation);
        }
        opinion.id = uuid::Uuid::new_v4().to_string();
        opinion.channel = Some(OpinionChannel::Online);
        let doc_id = DocId::station(station_id, today).to_string();
        let key = seal_contact(&mut opinion);
        let code = code::new_code();

        let _writing = self
            .public
            .writing
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let (seq, mut doc) = self.current_doc(&doc_id)?;
        doc.set_actor(self.public.actor.clone());
        let written = doc::write_record(&mut doc, &opinion);
        let changes = match written {
            Ok(c) => c,
            Err(e) => {
                // The document is as stored; only this write failed.
                return Err(StorageError::Internal(format!("writing an opinion: {e}")).into());
            }
        };
        {
            let mut conn = self.conn();
            let tx = conn.transaction().map_err(StorageError::from)?;
            let id = DocId::parse(&doc_id).ok_or_else(|| StorageError::Internal(doc_id.clone()))?;
            insert_doc(&tx, &id)?;
            for c in &changes {
                insert_change(&tx, &doc_id, c, SERVER_DEVICE, NewActor::Binds)?.map_err(
                    |reason| StorageError::Refused {
                        doc_id: doc_id.clone(),
                        reason,
                    },
                )?;
            }
            if let Some((key_id, key)) = &key {
                crate::keys::give(&tx, key_id, &doc_id, key)?;
            }
            tx.execute(
                "INSERT INTO public_opinions
                     (code_hash, station_id, doc_id, opinion_id, key_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    code::hash(&code),
                    station_id,
                    doc_id,
                    opinion.id,
                    key.as_ref().map(|(id, _)| id),
                    now
                ],
            )
            .map_err(StorageError::from)?;
            tx.commit().map_err(StorageError::from)?;
        }
        // Holds every change up to `seq` and its own: changes stored in between come
        // with the next read.
        self.keep_doc(&doc_id, seq, doc);
        Ok(code)
    }

    /// Where the opinion with tracking code `code` (normalized) stands, or `None` when
    /// no opinion has that code.
    pub fn public_status(&self, code: &str) -> Result<Option<PublicStatus>, StorageError> {
        let Some((station_id, doc_id, opinion_id, key_id)) = self.by_code(code)? else {
            return Ok(None);
        };
        let station_name = self
            .station_page(&station_id)?
            .map_or_else(|| station_id.clone(), |p| p.name);
        let Some(opinion) = self
            .read_from(&doc_id, |r| match r {
                AnyRecord::Opinion(o) if o.id == opinion_id => Some(o),
                _ => None,
            })?
            .pop()
        else {
            return Ok(None);
        };
        let (referrals, answers): (Vec<String>, Vec<String>) = {
            let conn = self.conn();
            let ids = |kind: &str| -> Result<Vec<String>, StorageError> {
                Ok(conn
                    .prepare_cached("SELECT id FROM docs WHERE kind = ?1 AND station = ?2")?
                    .query_map(params![kind, station_id], |r| r.get(0))?
                    .collect::<Result<_, _>>()?)
            };
            (ids("referrals")?, ids("answers")?)
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
                let held: Option<bool> = self
                    .conn()
                    .prepare_cached("SELECT key IS NOT NULL FROM record_keys WHERE key_id = ?1")?
                    .query_row([key_id], |r| r.get(0))
                    .optional()?;
                if held == Some(true) {
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
        let Some((_, _, _, key_id)) = self.by_code(code)? else {
            return Ok(false);
        };
        if let Some(key_id) = key_id {
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            let erased = crate::keys::erase(&tx, &key_id, None)?;
            tx.commit()?;
            if erased {
                crate::keys::forget_erased_pages(&conn)?;
            }
        }
        Ok(true)
    }

    /// (station, document, opinion, key id) of the opinion with tracking code `code`.
    #[allow(clippy::type_complexity)]
    fn by_code(
        &self,
        code: &str,
    ) -> Result<Option<(String, String, String, Option<String>)>, StorageError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT station_id, doc_id, opinion_id, key_id FROM public_opinions
                 WHERE code_hash = ?1",
            )?
            .query_row([code::hash(code)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?)
    }
}

/// Seals the opinion's name and phone under a new key; returns the key (`None` when no
/// details were given).
fn seal_contact(o: &mut Opinion) -> Option<(String, [u8; seal::KEY_BYTES])> {
    if o.voter_name.is_empty() && o.voter_phone.is_empty() {
        return None;
    }
    let contact = Contact {
        name: std::mem::take(&mut o.voter_name),
        phone: std::mem::take(&mut o.voter_phone),
    };
    let (key_id, key) = seal::new_key();
    o.contact = Some(seal::seal(&key_id, &key, &contact));
    Some((key_id, key))
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
