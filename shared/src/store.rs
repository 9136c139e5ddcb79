//! The device's local store: one SQLite file holding the Automerge documents, the
//! projection tables the UI lists from, and the outbox of changes the server has not
//! acknowledged.
//!
//! Every write is one SQLite transaction that updates the document, its projection row
//! and the outbox together, so a crash leaves either all of it or none. The outbox row of
//! a change is deleted only when a server response acknowledges that change. The UI never
//! loads a document to list or count: it reads the projection tables.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use automerge::{ActorId, AutoCommit, Change};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};

use crate::Error;
use crate::doc::{self, DIRECTORY_DOC_ID, DocKind};
use crate::key::StoreKey;
use crate::model::{
    AppError, Deputy, Directory, Field, FieldChange, FieldError, HistoryEntry, MeetingSummary,
    Problem, Station, SyncReport, SyncStatus, VoterMeeting, VoterMeetingInput,
};
use crate::protocol::{SyncRequest, SyncResponse, WireChange};

/// Append-only: never edit a migration that has shipped; add a new one.
const MIGRATIONS: &[M<'static>] = &[
    M::up(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE documents (
         id TEXT PRIMARY KEY,
         kind TEXT NOT NULL,
         bytes BLOB NOT NULL
     );
     CREATE TABLE outbox (
         doc_id TEXT NOT NULL,
         hash TEXT NOT NULL,
         kind TEXT NOT NULL,
         bytes BLOB NOT NULL,
         PRIMARY KEY (doc_id, hash)
     );
     CREATE TABLE stations (
         id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         kind TEXT NOT NULL,
         subdistrict_id TEXT NOT NULL
     );
     CREATE TABLE deputies (
         id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         levels TEXT NOT NULL,
         station_id TEXT NOT NULL
     );
     CREATE INDEX deputies_station ON deputies(station_id);
     CREATE TABLE meetings (
         id TEXT PRIMARY KEY,
         station_id TEXT NOT NULL,
         date TEXT NOT NULL,
         deputy_ids TEXT NOT NULL,
         voters_received INTEGER NOT NULL,
         summary TEXT NOT NULL
     );
     -- Ends in the rowid, so it serves ORDER BY date DESC, rowid DESC without sorting.
     CREATE INDEX meetings_date ON meetings(date);",
    ),
    // Changes received before the changes they depend on; applied when those arrive.
    M::up(
        "CREATE TABLE waiting_changes (
             doc_id TEXT NOT NULL,
             hash TEXT NOT NULL,
             bytes BLOB NOT NULL,
             PRIMARY KEY (doc_id, hash)
         );",
    ),
    // Documents are stored as a saved document plus appended changes.
    M::up("ALTER TABLE documents ADD COLUMN tail_changes INTEGER NOT NULL DEFAULT 0;"),
];

/// Where the new-meeting form's draft is kept (in the encrypted store, like records).
const DRAFT_KEY: &str = "draft.voter_meeting";

/// A device's store. One writer: the app holds it behind a mutex.
pub struct Store {
    conn: Connection,
    actor: ActorId,
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
            // A raw 256-bit key, set before anything reads the file.
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex()))?;
            if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())) {
                return match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::NotADatabase) => Err(Error::WrongKey),
                    _ => Err(e.into()),
                };
            }
            conn
        };
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        let actor = match get_meta(&conn, "actor")? {
            Some(hex) => ActorId::try_from(hex.as_str())
                .map_err(|_| Error::Corrupt("bad actor id".into()))?,
            None => {
                let actor = ActorId::random();
                set_meta(&conn, "actor", &actor.to_hex_string())?;
                actor
            }
        };
        Ok(Store { conn, actor })
    }

    /// This device's id: its Automerge actor, in hex.
    pub fn device_id(&self) -> String {
        self.actor.to_hex_string()
    }

    /// Stations known to this device, by name.
    pub fn stations(&self) -> Result<Vec<Station>, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, kind, subdistrict_id FROM stations ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(Station {
                id: r.get(0)?,
                name: r.get(1)?,
                kind: from_json(&r.get::<_, String>(2)?)?,
                subdistrict_id: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The deputies grouped into `station_id`, by name.
    pub fn deputies(&self, station_id: &str) -> Result<Vec<Deputy>, Error> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, levels, station_id FROM deputies WHERE station_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([station_id], |r| {
            Ok(Deputy {
                id: r.get(0)?,
                name: r.get(1)?,
                levels: from_json(&r.get::<_, String>(2)?)?,
                station_id: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Validates `input` and records a new voter meeting; returns its id.
    pub fn create_meeting(
        &mut self,
        input: &VoterMeetingInput,
        today: NaiveDate,
    ) -> Result<String, Error> {
        let meeting = self.validate(input, today)?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut doc = AutoCommit::new().with_actor(self.actor.clone());
        let changes = doc::write_meeting(&mut doc, &meeting)?;
        let tx = self.conn.transaction()?;
        persist(
            &tx,
            &id,
            DocKind::VoterMeeting.as_str(),
            None,
            &mut doc,
            &changes,
        )?;
        add_to_outbox(&tx, &id, DocKind::VoterMeeting, &changes)?;
        project_meeting(&tx, &id, &meeting)?;
        // The draft became this record: both or neither.
        tx.execute("DELETE FROM meta WHERE key = ?1", [DRAFT_KEY])?;
        tx.commit()?;
        Ok(id)
    }

    /// Keeps what the new-meeting form holds, so nothing typed is lost if the app closes
    /// before it is saved. A form with nothing typed in it clears the draft.
    pub fn save_draft(&self, input: &VoterMeetingInput) -> Result<(), Error> {
        let typed = !input.voters_received.trim().is_empty()
            || !input.summary.trim().is_empty()
            || !input.deputy_ids.is_empty();
        if typed {
            set_meta(&self.conn, DRAFT_KEY, &to_json(input))
        } else {
            self.conn
                .execute("DELETE FROM meta WHERE key = ?1", [DRAFT_KEY])?;
            Ok(())
        }
    }

    /// The new-meeting form's draft, if one is kept.
    pub fn draft(&self) -> Result<Option<VoterMeetingInput>, Error> {
        Ok(get_meta(&self.conn, DRAFT_KEY)?.and_then(|d| serde_json::from_str(&d).ok()))
    }

    /// Validates `input` and writes it over meeting `id`; only changed fields are recorded.
    pub fn update_meeting(
        &mut self,
        id: &str,
        input: &VoterMeetingInput,
        today: NaiveDate,
    ) -> Result<(), Error> {
        let meeting = self.validate(input, today)?;
        let tx = self.conn.transaction()?;
        let mut stored = load_document(&tx, id, &self.actor)?.ok_or(Error::NotFound)?;
        let changes = doc::write_meeting(&mut stored.doc, &meeting)?;
        if !changes.is_empty() {
            let kind = DocKind::VoterMeeting.as_str();
            let previous = Some((stored.bytes, stored.tail));
            persist(&tx, id, kind, previous, &mut stored.doc, &changes)?;
            add_to_outbox(&tx, id, DocKind::VoterMeeting, &changes)?;
            project_meeting(&tx, id, &meeting)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// One meeting as the edit form shows it.
    pub fn meeting(&self, id: &str) -> Result<VoterMeetingInput, Error> {
        self.conn
            .query_row(
                "SELECT station_id, date, deputy_ids, voters_received, summary
                 FROM meetings WHERE id = ?1",
                [id],
                |r| {
                    Ok(VoterMeetingInput {
                        station_id: r.get(0)?,
                        date: r.get(1)?,
                        deputy_ids: from_json(&r.get::<_, String>(2)?)?,
                        voters_received: r.get::<_, u32>(3)?.to_string(),
                        summary: r.get(4)?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::NotFound)
    }

    /// All meetings, newest first, from the projection.
    pub fn list_meetings(&self) -> Result<Vec<MeetingSummary>, Error> {
        self.meetings_page(None)
    }

    /// The newest `n` meetings: the first screen of the register.
    pub fn recent_meetings(&self, n: usize) -> Result<Vec<MeetingSummary>, Error> {
        self.meetings_page(Some(n))
    }

    fn meetings_page(&self, limit: Option<usize>) -> Result<Vec<MeetingSummary>, Error> {
        // SQLite reads a negative LIMIT as "no limit".
        let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let names = self.names("deputies")?;
        let mut stmt = self.conn.prepare(
            "SELECT m.id, m.station_id, COALESCE(s.name, m.station_id), m.date, m.deputy_ids,
                    m.voters_received, m.summary,
                    EXISTS (SELECT 1 FROM outbox o WHERE o.doc_id = m.id)
             FROM meetings m LEFT JOIN stations s ON s.id = m.station_id
             ORDER BY m.date DESC, m.rowid DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            let ids: Vec<String> = from_json(&r.get::<_, String>(4)?)?;
            Ok(MeetingSummary {
                id: r.get(0)?,
                station_id: r.get(1)?,
                station_name: r.get(2)?,
                date: r.get(3)?,
                deputy_names: ids
                    .iter()
                    .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
                    .collect(),
                voters_received: r.get(5)?,
                summary: r.get(6)?,
                pending_sync: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The meeting as its Automerge document holds it (for tests and tools that check the
    /// projection against the document).
    pub fn meeting_from_document(&self, id: &str) -> Result<VoterMeeting, Error> {
        let stored = load_document(&self.conn, id, &self.actor)?.ok_or(Error::NotFound)?;
        doc::read_meeting(&stored.doc)
    }

    /// Checks the store is consistent: SQLite's own integrity check passes, every voter
    /// meeting document has a projection row, and every row equals its document.
    pub fn verify(&self) -> Result<(), Error> {
        let check: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(Error::Corrupt(format!("integrity check: {check}")));
        }
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM documents WHERE kind = ?1")?
            .query_map([DocKind::VoterMeeting.as_str()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in ids {
            let from_doc = VoterMeetingInput::from(&self.meeting_from_document(&id)?);
            if self.meeting(&id)? != from_doc {
                return Err(Error::Corrupt(format!(
                    "projection of {id} differs from its document"
                )));
            }
        }
        Ok(())
    }

    /// The history of meeting `id`, newest first: who changed which field, when, from
    /// what to what. Read from the document's Automerge history.
    pub fn meeting_history(&self, id: &str) -> Result<Vec<HistoryEntry>, Error> {
        let mut stored = load_document(&self.conn, id, &self.actor)?.ok_or(Error::NotFound)?;
        let station_names: HashMap<String, String> = self.names("stations")?;
        let deputy_names: HashMap<String, String> = self.names("deputies")?;
        let station = |id: &str| station_names.get(id).cloned().unwrap_or_else(|| id.into());
        let deputies = |ids: &[String]| {
            ids.iter()
                .map(|id| deputy_names.get(id).cloned().unwrap_or_else(|| id.clone()))
                .collect::<Vec<_>>()
                .join("、")
        };
        let me = self.device_id();
        let mut entries: Vec<HistoryEntry> = doc::meeting_history(&mut stored.doc)?
            .into_iter()
            .map(|rev| {
                let after = &rev.after;
                let values = |m: &VoterMeeting| {
                    [
                        (Field::Station, station(&m.station_id)),
                        (Field::Date, m.date.to_string()),
                        (Field::Deputies, deputies(&m.deputy_ids)),
                        (Field::VotersReceived, m.voters_received.to_string()),
                        (Field::Summary, m.summary.clone()),
                    ]
                };
                let new = values(after);
                let old = rev.before.as_ref().map(values);
                let changes = new
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, (field, new))| {
                        let old = old.as_ref().map(|o| o[i].1.clone());
                        (old.as_deref() != Some(new.as_str())).then_some(FieldChange {
                            field,
                            old,
                            new,
                        })
                    })
                    .collect();
                HistoryEntry {
                    time: rev.time,
                    by_this_device: rev.actor == me,
                    device: rev.actor,
                    created: rev.before.is_none(),
                    changes,
                }
            })
            .collect();
        entries.reverse();
        Ok(entries)
    }

    fn names(&self, table: &str) -> Result<HashMap<String, String>, Error> {
        let sql = format!("SELECT id, name FROM {table}");
        let rows = self
            .conn
            .prepare(&sql)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Records with changes the server has not acknowledged.
    pub fn pending_records(&self) -> Result<u64, Error> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(DISTINCT doc_id) FROM outbox", [], |r| {
                r.get::<_, i64>(0)
            })?
            .unsigned_abs())
    }

    /// The next request to send: the cursor and every unacknowledged change.
    pub fn sync_request(&self) -> Result<SyncRequest, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc_id, kind, bytes FROM outbox ORDER BY rowid")?;
        let changes = stmt
            .query_map([], |r| {
                Ok(WireChange {
                    doc_id: r.get(0)?,
                    kind: r.get(1)?,
                    bytes: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(SyncRequest {
            device_id: self.device_id(),
            cursor: self.cursor()?,
            changes,
        })
    }

    fn cursor(&self) -> Result<u64, Error> {
        Ok(get_meta(&self.conn, "cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// Applies a server response in one transaction: merges the received changes into
    /// their documents and projections, drops acknowledged changes from the outbox and
    /// moves the cursor.
    pub fn apply_sync_response(&mut self, resp: &SyncResponse) -> Result<SyncReport, Error> {
        let mut by_doc: BTreeMap<&str, (&str, Vec<Change>)> = BTreeMap::new();
        for c in &resp.changes {
            let change = Change::from_bytes(c.bytes.clone())
                .map_err(|e| Error::Protocol(format!("undecodable change: {e}")))?;
            by_doc
                .entry(c.doc_id.as_str())
                .or_insert_with(|| (c.kind.as_str(), Vec::new()))
                .1
                .push(change);
        }
        let tx = self.conn.transaction()?;
        let any_waiting: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM waiting_changes)", [], |r| {
                r.get(0)
            })?;
        let mut report = SyncReport {
            received_changes: resp.changes.len() as u64,
            ..SyncReport::default()
        };
        for (doc_id, (kind, changes)) in by_doc {
            let stored = load_document(&tx, doc_id, &self.actor)?;
            let (mut doc, kind, previous) = match stored {
                Some(s) => (s.doc, s.kind, Some((s.bytes, s.tail))),
                None => (
                    AutoCommit::new().with_actor(self.actor.clone()),
                    kind.to_owned(),
                    None,
                ),
            };
            // Changes that arrived before their dependencies wait in `waiting_changes`
            // until those arrive; none is ever dropped.
            let mut fresh = if any_waiting {
                take_waiting(&tx, doc_id)?
            } else {
                Vec::new()
            };
            fresh.extend(changes);
            let mut seen = HashSet::new();
            fresh.retain(|c| {
                seen.insert(c.hash())
                    && (previous.is_none() || doc.get_change_meta_by_hash(&c.hash()).is_none())
            });
            if fresh.is_empty() {
                continue;
            }
            doc.apply_changes(fresh.iter().cloned())?;
            // Nothing queued for missing dependencies (the usual case): all applied.
            let (applied, waiting): (Vec<Change>, Vec<Change>) =
                if doc.get_missing_deps(&[]).is_empty() {
                    (fresh, Vec::new())
                } else {
                    fresh
                        .into_iter()
                        .partition(|c| doc.get_change_meta_by_hash(&c.hash()).is_some())
                };
            for c in &waiting {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO waiting_changes (doc_id, hash, bytes)
                     VALUES (?1, ?2, ?3)",
                )?
                .execute(params![doc_id, c.hash().to_string(), c.raw_bytes()])?;
            }
            if applied.is_empty() {
                continue;
            }
            let kind = kind.as_str();
            persist(&tx, doc_id, kind, previous, &mut doc, &applied)?;
            // A document whose earlier changes have not arrived yet stays unprojected
            // until they do; an unknown kind (from a newer app) is kept but not shown.
            if doc::is_empty(&doc) {
                continue;
            }
            match DocKind::parse(kind) {
                Some(DocKind::VoterMeeting) => match doc::read_meeting(&doc) {
                    Ok(m) => project_meeting(&tx, doc_id, &m)?,
                    Err(e) => tracing::warn!(doc_id, error = %e, "meeting not projected"),
                },
                Some(DocKind::Directory) => match doc::read_directory(&doc) {
                    Ok(d) => project_directory(&tx, &d)?,
                    Err(e) => tracing::warn!(doc_id, error = %e, "directory not projected"),
                },
                None => {}
            }
            report.updated_records += 1;
        }
        for ack in &resp.acknowledged {
            report.sent_changes += tx.execute(
                "DELETE FROM outbox WHERE doc_id = ?1 AND hash = ?2",
                params![ack.doc_id, ack.hash],
            )? as u64;
        }
        set_meta(&tx, "cursor", &resp.cursor.to_string())?;
        tx.commit()?;
        Ok(report)
    }

    /// Receives `dir` the way a sync delivers the directory document. For tools, tests
    /// and benchmarks that run without a server; the app gets its directory by sync.
    pub fn receive_directory(&mut self, dir: &Directory) -> Result<(), Error> {
        let response = SyncResponse {
            acknowledged: vec![],
            cursor: self.cursor()?,
            changes: directory_changes(dir)?,
            more: false,
        };
        self.apply_sync_response(&response)?;
        Ok(())
    }

    /// Notes a successful sync at `now` (RFC 3339) and clears the last error.
    pub fn record_sync_success(&self, now: &str) -> Result<(), Error> {
        set_meta(&self.conn, "last_sync", now)?;
        self.conn
            .execute("DELETE FROM meta WHERE key = 'last_sync_error'", [])?;
        Ok(())
    }

    /// Notes a failed sync.
    pub fn record_sync_error(&self, error: &AppError) -> Result<(), Error> {
        set_meta(
            &self.conn,
            "last_sync_error",
            &serde_json::to_string(error).map_err(|e| Error::Corrupt(e.to_string()))?,
        )
    }

    pub fn sync_status(&self, server_url: &str) -> Result<SyncStatus, Error> {
        Ok(SyncStatus {
            server_url: server_url.to_owned(),
            last_success: get_meta(&self.conn, "last_sync")?,
            pending_records: self.pending_records()?,
            last_error: get_meta(&self.conn, "last_sync_error")?
                .and_then(|e| serde_json::from_str(&e).ok()),
        })
    }

    fn validate(&self, input: &VoterMeetingInput, today: NaiveDate) -> Result<VoterMeeting, Error> {
        let mut errors = Vec::new();
        let meeting = input.validate(today).map_err(|e| errors = e).ok();
        if let Some(m) = &meeting {
            if !self.exists("stations", &m.station_id)? {
                errors.push(FieldError::new(Field::Station, Problem::Unknown));
            }
            for id in &m.deputy_ids {
                if !self.exists("deputies", id)? {
                    errors.push(FieldError::new(Field::Deputies, Problem::Unknown));
                    break;
                }
            }
        }
        match meeting {
            Some(m) if errors.is_empty() => Ok(m),
            _ => Err(Error::Invalid(errors)),
        }
    }

    fn exists(&self, table: &str, id: &str) -> Result<bool, Error> {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)");
        Ok(self.conn.query_row(&sql, [id], |r| r.get(0))?)
    }
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

/// Removes and returns the changes of `doc_id` still waiting for their dependencies.
fn take_waiting(tx: &Connection, doc_id: &str) -> Result<Vec<Change>, Error> {
    let bytes: Vec<Vec<u8>> = tx
        .prepare_cached("SELECT bytes FROM waiting_changes WHERE doc_id = ?1")?
        .query_map([doc_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if bytes.is_empty() {
        return Ok(vec![]);
    }
    tx.prepare_cached("DELETE FROM waiting_changes WHERE doc_id = ?1")?
        .execute([doc_id])?;
    bytes
        .into_iter()
        .map(|b| Change::from_bytes(b).map_err(|e| Error::Corrupt(e.to_string())))
        .collect()
}

/// After this many changes appended to a document's stored bytes, the next write saves
/// the whole document compactly instead (see the store benchmark).
const COMPACT_AFTER: i64 = 32;

/// A document as stored: its bytes are a saved document followed by `tail` appended
/// changes (Automerge loads such a concatenation as one document).
struct StoredDoc {
    doc: AutoCommit,
    kind: String,
    bytes: Vec<u8>,
    tail: i64,
}

fn load_document(conn: &Connection, id: &str, actor: &ActorId) -> Result<Option<StoredDoc>, Error> {
    let row: Option<(String, Vec<u8>, i64)> = conn
        .prepare_cached("SELECT kind, bytes, tail_changes FROM documents WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    row.map(|(kind, bytes, tail)| {
        Ok(StoredDoc {
            doc: doc::load(&bytes, actor)?,
            kind,
            bytes,
            tail,
        })
    })
    .transpose()
}

/// Stores `changes` (just applied to `doc`) for document `id`: appended to the previous
/// bytes while the tail is short, otherwise as one compact save of the whole document.
fn persist(
    tx: &Connection,
    id: &str,
    kind: &str,
    previous: Option<(Vec<u8>, i64)>,
    doc: &mut AutoCommit,
    changes: &[Change],
) -> Result<(), Error> {
    let added = changes.len() as i64;
    let (bytes, tail) = match previous {
        Some((mut bytes, tail)) if tail + added <= COMPACT_AFTER => {
            changes
                .iter()
                .for_each(|c| bytes.extend_from_slice(c.raw_bytes()));
            (bytes, tail + added)
        }
        None if added <= COMPACT_AFTER => {
            let mut bytes = Vec::new();
            changes
                .iter()
                .for_each(|c| bytes.extend_from_slice(c.raw_bytes()));
            (bytes, added)
        }
        _ => (doc.save(), 0),
    };
    tx.prepare_cached(
        "INSERT INTO documents (id, kind, bytes, tail_changes) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes,
             tail_changes = excluded.tail_changes",
    )?
    .execute(params![id, kind, bytes, tail])?;
    Ok(())
}

fn add_to_outbox(
    tx: &Transaction<'_>,
    id: &str,
    kind: DocKind,
    changes: &[Change],
) -> Result<(), Error> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox (doc_id, hash, kind, bytes) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for c in changes {
        insert.execute(params![
            id,
            c.hash().to_string(),
            kind.as_str(),
            c.raw_bytes()
        ])?;
    }
    Ok(())
}

fn project_meeting(tx: &Connection, id: &str, m: &VoterMeeting) -> Result<(), Error> {
    tx.prepare_cached(
        "INSERT INTO meetings (id, station_id, date, deputy_ids, voters_received, summary)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET station_id = excluded.station_id, date = excluded.date,
             deputy_ids = excluded.deputy_ids, voters_received = excluded.voters_received,
             summary = excluded.summary",
    )?
    .execute(params![
        id,
        m.station_id,
        m.date,
        to_json(&m.deputy_ids),
        m.voters_received,
        m.summary
    ])?;
    Ok(())
}

fn project_directory(tx: &Connection, d: &Directory) -> Result<(), Error> {
    tx.execute("DELETE FROM stations", [])?;
    tx.execute("DELETE FROM deputies", [])?;
    for s in &d.stations {
        tx.execute(
            "INSERT INTO stations (id, name, kind, subdistrict_id) VALUES (?1, ?2, ?3, ?4)",
            params![s.id, s.name, to_json(&s.kind), s.subdistrict_id],
        )?;
    }
    for p in &d.deputies {
        tx.execute(
            "INSERT INTO deputies (id, name, levels, station_id) VALUES (?1, ?2, ?3, ?4)",
            params![p.id, p.name, to_json(&p.levels), p.station_id],
        )?;
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serializes")
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn directory_changes(dir: &Directory) -> Result<Vec<WireChange>, Error> {
    let mut doc = AutoCommit::new();
    Ok(doc::write_directory(&mut doc, dir)?
        .into_iter()
        .map(|c| WireChange {
            doc_id: DIRECTORY_DOC_ID.into(),
            kind: DocKind::Directory.as_str().into(),
            bytes: c.raw_bytes().to_vec(),
        })
        .collect())
}
