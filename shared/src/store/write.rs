//! The write path: a record into its document, projection and outbox in one transaction.

use super::*;
use crate::doc_id::{Places, Unplaced};

/// The document that holds the record under root key `key`, from its projection row.
pub(super) fn doc_of(conn: &Connection, key: &str) -> Result<Option<String>, Error> {
    let Some(table) = key.split_once(':').and_then(|(p, _)| table_of(p)) else {
        return Ok(None);
    };
    let id = key.split_once(':').map_or("", |(_, id)| id);
    let sql = format!("SELECT doc_id FROM {table} WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// The tables know each station's street or town and each referral's document.
impl Places for Connection {
    fn subdistrict_of(&self, station: &str) -> Option<String> {
        self.prepare_cached("SELECT subdistrict_id FROM stations WHERE id = ?1")
            .and_then(|mut q| q.query_row([station], |r| r.get(0)))
            .ok()
    }
    fn referral_year(&self, referral: &str) -> Option<i32> {
        let doc_id: String = self
            .prepare_cached("SELECT doc_id FROM referrals WHERE id = ?1")
            .and_then(|mut q| q.query_row([referral], |r| r.get(0)))
            .ok()?;
        match DocId::parse(&doc_id)? {
            DocId::Referrals { year, .. } => Some(year),
            _ => None,
        }
    }
}

/// The document a new `record` goes in ([`Record::home`]).
pub(super) fn home_of<R: Record>(conn: &Connection, record: &R) -> Result<DocId, Error> {
    record.home().doc_id(conn).map_err(|e| match e {
        Unplaced::Station(_) => {
            Error::Invalid(vec![FieldError::new(Field::Station, Problem::Unknown)])
        }
        Unplaced::Referral(_) => {
            Error::Invalid(vec![FieldError::new(Field::Referral, Problem::Unknown)])
        }
    })
}

/// Writes `record` into its document in `tx`: the document the index says holds it, or
/// its home ([`home_of`]) for a new record. Updates document, projection, index and outbox together.
/// Returns the document to cache once the transaction commits (`None`: nothing changed).
pub(super) fn write_record<R: Record + Into<AnyRecord>>(
    tx: &Transaction<'_>,
    actor: &ActorId,
    cache: &mut HashMap<String, StoredDoc>,
    record: &R,
) -> Result<Option<(String, StoredDoc)>, Error> {
    let key = record.record_key();
    let doc_id = match doc_of(tx, &key)? {
        Some(d) => d,
        None => home_of(tx, record)?.to_string(),
    };
    check_write_access(tx, &doc_id)?;
    let mut stored = match cache.remove(&doc_id) {
        Some(s) => s,
        None => load_document(tx, &doc_id, actor)?.unwrap_or_else(|| StoredDoc::new(actor)),
    };
    let changes = doc::write_record(&mut stored.doc, record)?;
    if changes.is_empty() {
        cache_put(cache, doc_id, stored);
        return Ok(None);
    }
    let family = R::FAMILY.as_str();
    persist(tx, &doc_id, family, &mut stored, &changes)?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox (doc_id, hash, kind, bytes, record_key)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in &changes {
        insert.execute(params![
            doc_id,
            c.hash().to_string(),
            family,
            c.raw_bytes(),
            key
        ])?;
    }
    let record: AnyRecord = record.clone().into();
    project(tx, &doc_id, &record)?;
    if let AnyRecord::Activity(a) = &record {
        link_photos(tx, &doc_id, &a.photos)?;
    }
    Ok(Some((doc_id, stored)))
}

/// [`Error::NotPermitted`] unless the signed-in account may write `doc_id` (the rule the
/// server applies: a change it would refuse is never made). Without a session (tools,
/// tests of the store alone) every write is allowed; the server still decides.
pub(super) fn check_write_access(conn: &Connection, doc_id: &str) -> Result<(), Error> {
    let Some(session) =
        get_meta(conn, SESSION_KEY)?.and_then(|s| serde_json::from_str::<Session>(&s).ok())
    else {
        return Ok(());
    };
    let doc = DocId::parse(doc_id).ok_or_else(|| Error::Corrupt(format!("doc id {doc_id}")))?;
    match crate::access::access(&session.account, &doc, |s| conn.subdistrict_of(s)) {
        Access::Write => Ok(()),
        Access::Read | Access::None => Err(Error::NotPermitted),
    }
}
