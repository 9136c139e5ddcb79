//! The device's local store: one SQLite file holding the Automerge documents, the
//! projection tables the UI lists from, and the outbox of changes the server has not
//! acknowledged.
//!
//! Every write is one SQLite transaction that updates the document, the projection rows
//! and the outbox together, so a crash leaves either all of it or none. The outbox row of
//! a change is deleted only when a server response acknowledges that change. The UI never
//! loads a document to list or count: it reads the projection tables. Documents are
//! buckets of records (see [`crate::doc`]); each projection row says which bucket holds
//! its record (`doc_id`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use automerge::{ActorId, AutoCommit, Change};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::doc::{self, DocId, Record};
use crate::key::StoreKey;
use crate::model::*;
use crate::protocol::{MAX_PHOTO_BYTES, SyncRequest, SyncResponse, WireChange, content_hash};
use crate::registry::AnyRecord;

/// SQL common table expressions (after a `WITH`) ending in `v`: every opinion's row with
/// its latest referral (`referral_id`, `dept`, `referred_on`, `deadline`), the date of
/// that referral's first answer that says answered (`answered_on`), and its derived
/// status (`recorded`, `referred`, `in_progress`, `answered`, `fed_back`). Given a
/// table or earlier expression (with the opinions' columns and `rowid`), of those
/// opinions only. The opinion list and
/// the statistics read opinions through it, so both derive a status the same way.
macro_rules! opinions_with_status {
    () => {
        opinions_with_status!("opinions")
    };
    ($opinions:literal) => {
        concat!(
            "r AS (
                 -- The latest referral of each opinion (SQLite takes the bare columns
                 -- from the row holding the MAX).
                 SELECT opinion_id, id AS referral_id, department_id, deadline, referred_on,
                        MAX(referred_on || id)
                 FROM referrals GROUP BY opinion_id),
             a AS (
                 -- The latest answer to each referral.
                 SELECT referral_id, status, MAX(date || id) FROM answers GROUP BY referral_id),
             x AS (
                 SELECT referral_id, MIN(date) AS answered_on FROM answers
                 WHERE status = 'answered' GROUP BY referral_id),
             v AS (
                 SELECT o.rowid AS rid, o.*, r.department_id AS dept, r.deadline AS deadline,
                        r.referral_id AS referral_id, r.referred_on AS referred_on,
                        x.answered_on AS answered_on,
                        CASE WHEN o.feedback_date IS NOT NULL THEN 'fed_back'
                             WHEN a.status = 'answered' THEN 'answered'
                             WHEN a.referral_id IS NOT NULL THEN 'in_progress'
                             WHEN r.opinion_id IS NOT NULL THEN 'referred'
                             ELSE 'recorded' END AS status
                 FROM ",
            $opinions,
            " o LEFT JOIN r ON r.opinion_id = o.id
                      LEFT JOIN a ON a.referral_id = r.referral_id
                      LEFT JOIN x ON x.referral_id = r.referral_id)"
        )
    };
}

mod account;
mod activities;
mod campaigns;
mod contacts;
mod documents;
mod drafts;
#[cfg(feature = "export")]
mod exports;
mod forms;
mod history;
mod home;
mod merge;
mod opinions;
mod outbox;
mod photos;
mod project;
mod reference;
mod repair;
mod reports;
mod schema;
mod stats;
mod verify;
mod write;

pub use account::Session;
pub use contacts::forget_erased_pages;
#[cfg(feature = "export")]
pub use exports::statistics_tables;
pub use merge::directory_changes;
pub use photos::PendingUpload;
pub use schema::migrations_as_shipped;
// What the job modules share: each of them `use super::*`.
use self::{account::*, documents::*, drafts::*, photos::*, project::*, schema::*, write::*};

/// The most changes one sync request carries (the server refuses more).
pub use crate::protocol::MAX_CHANGES_PER_REQUEST;

/// About the most change bytes one sync request carries (base64 in JSON makes this
/// ~5.4 MiB on the wire, well under the server's 16 MiB limit).
pub const MAX_REQUEST_CHANGE_BYTES: usize = 4 * 1024 * 1024;

/// A device's store. One writer: the app holds it behind a mutex.
pub struct Store {
    conn: Connection,
    actor: ActorId,
    /// Documents as last committed, so a write or a merge does not reload its document
    /// from bytes. An entry is taken out while a transaction uses it and put back only
    /// after the commit, so it never holds what a failed transaction wrote.
    cache: HashMap<String, StoredDoc>,
    /// The meta key of a form's draft that the next record write forgets in its own
    /// transaction (set by [`Store::saving_form`] and `create_activity`; taken by `save`).
    forget: Option<String>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("actor", &self.actor).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the encrypted store at `path` with `key` and brings its
    /// schema up to date. A wrong key is [`Error::WrongKey`], and changes nothing.
    pub fn open(path: &Path, key: &StoreKey) -> Result<Store, Error> {
        let mut conn = {
            // SQLCipher sets up its crypto provider on first use, and two threads doing
            // that at once can fail ("An error occurred with PRAGMA key"): key one
            // connection at a time. Opening is rare; this costs nothing that matters.
            static KEYING: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _one_at_a_time = KEYING.lock().unwrap_or_else(|p| p.into_inner());
            let conn = Connection::open(path)?;
            // Set before anything reads the file.
            conn.execute_batch(&crate::platform::keying(key))?;
            if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())) {
                return match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::NotADatabase) => Err(Error::WrongKey),
                    _ => Err(e.into()),
                };
            }
            conn
        };
        conn.pragma_update(None, "journal_mode", crate::platform::JOURNAL_MODE)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Deleted content is overwritten, so an erased record key leaves no copy behind.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Sorting and temporary tables (the statistics' selection) stay in memory: never
        // a plain-text spill into a temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // A page read from the file is decrypted and its HMAC checked: with SQLite's
        // default 2 MiB of cache, a bootstrap's writes read the same index pages again and
        // again. 16 MiB holds a district office's indexes (bootstrap 9,000 -> 9,600-10,000
        // records/s in `benches/scale.rs`).
        conn.pragma_update(None, "cache_size", -16384)?;
        Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect()).to_latest(&mut conn)?;
        let actor = match get_meta(&conn, "actor")? {
            Some(hex) => ActorId::try_from(hex.as_str())
                .map_err(|_| Error::Corrupt("bad actor id".into()))?,
            None => {
                let actor = ActorId::random();
                set_meta(&conn, "actor", &actor.to_hex_string())?;
                actor
            }
        };
        Ok(Store {
            conn,
            actor,
            cache: HashMap::new(),
            forget: None,
        })
    }

    /// This device's id: its Automerge actor, in hex.
    pub fn device_id(&self) -> String {
        self.actor.to_hex_string()
    }

    /// Writes `record` in one transaction (document, projection, index, outbox, and the
    /// form draft named by `self.forget`, which this write takes: see
    /// [`Store::saving_form`]), then caches its document.
    fn save<R: Record + Into<AnyRecord>>(&mut self, record: &R) -> Result<(), Error> {
        self.save_with(record, |_| Ok(()))
    }

    /// [`Store::save`], with `before` run first in the same transaction.
    fn save_with<R: Record + Into<AnyRecord>>(
        &mut self,
        record: &R,
        before: impl FnOnce(&Transaction<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let forget = self.forget.take();
        let tx = self.conn.transaction()?;
        before(&tx)?;
        let written = write_record(&tx, &self.actor, &mut self.cache, record)?;
        if let Some(key) = &forget {
            tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
        }
        tx.commit()?;
        if let Some((doc_id, stored)) = written {
            cache_put(&mut self.cache, doc_id, stored);
        }
        Ok(())
    }

    /// The document a new record goes in: its kind's placement rule, with what the
    /// record alone cannot tell read from the tables.
    fn home_of<R: Record>(&self, record: &R) -> Result<DocId, Error> {
        write::home_of(&self.conn, record)
    }

    fn names(&self, table: &str) -> Result<HashMap<String, String>, Error> {
        let sql = format!("SELECT id, name FROM {table}");
        Ok(self
            .query(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))?
            .into_iter()
            .collect())
    }

    fn query<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, Error> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, f)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Adds `(field, Unknown)` to `errors` when `id` is given and not in `table`.
    fn must_exist(
        &self,
        errors: &mut Vec<FieldError>,
        field: Field,
        table: &str,
        id: Option<&str>,
    ) -> Result<(), Error> {
        let Some(id) = id else { return Ok(()) };
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)");
        let exists: bool = self.conn.query_row(&sql, [id], |r| r.get(0))?;
        if !exists {
            errors.push(FieldError::new(field, Problem::Unknown));
        }
        Ok(())
    }
}

/// `Ok` when no field was refused; otherwise the refusal, with every reason.
fn refuse(errors: Vec<FieldError>) -> Result<(), Error> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// A fresh record id.
fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>, Error> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serializes")
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// A unit enum as its snake_case name (how projection rows keep kinds and states).
fn enum_str<T: serde::Serialize>(v: T) -> String {
    crate::registry::enum_name(v)
}

fn enum_from<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}
