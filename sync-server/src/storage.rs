//! Server storage: every change any device sent, in arrival order, in one SQLite file.
//!
//! A change is stored once per `(document, hash)`, so a retried request stores nothing
//! twice. Its row number is the sequence number clients use as their cursor. The server
//! never rewrites a change; it only appends.

use std::path::Path;
use std::sync::{Arc, Mutex};

use automerge::{AutoCommit, Change};
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use shared::doc::{self, DocId};
use shared::model::Directory;
use shared::protocol::{
    Ack, Bootstrap, MAX_CHANGES_PER_RESPONSE, MAX_DOCUMENTS_PER_RESPONSE, SyncRequest,
    SyncResponse, WireChange, WireDocument,
};

/// Append-only: never edit a migration that has shipped; add a new one.
const MIGRATIONS: &[M<'static>] = &[M::up(
    "CREATE TABLE docs (id TEXT PRIMARY KEY, kind TEXT NOT NULL);
     CREATE TABLE changes (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         doc_id TEXT NOT NULL REFERENCES docs(id),
         hash TEXT NOT NULL,
         device_id TEXT NOT NULL,
         bytes BLOB NOT NULL,
         UNIQUE (doc_id, hash)
     );",
)];

/// The device id the server's own changes (demo data) are stored under.
const SERVER_DEVICE: &str = "server";
/// Longest accepted document id.
const MAX_DOC_ID_LEN: usize = 128;

/// The one error type of the storage layer; `api` maps it to HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("{0} exists; a backup never overwrites a file")]
    BackupTargetExists(String),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("core: {0}")]
    Core(Box<shared::Error>),
}

impl From<shared::Error> for StorageError {
    fn from(e: shared::Error) -> Self {
        StorageError::Core(Box::new(e))
    }
}

/// What the HTTP layer needs from storage. Handlers see only this trait and its one error
/// type, so another backend (PostgreSQL, for a district running many servers) can be
/// added without touching them.
pub trait Storage: Clone + Send + Sync + 'static {
    /// Handles one sync request atomically: validates and stores the pushed changes,
    /// then reads what the caller has not seen. Nothing is stored if any change is
    /// refused.
    fn sync(&self, req: &SyncRequest) -> Result<SyncResponse, StorageError>;
}

/// The embedded backend: one SQLite file.
#[derive(Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStorage")
    }
}

impl Storage for SqliteStorage {
    fn sync(&self, req: &SyncRequest) -> Result<SyncResponse, StorageError> {
        SqliteStorage::sync(self, req)
    }
}

impl SqliteStorage {
    pub fn open(path: &Path) -> Result<SqliteStorage, StorageError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        Ok(SqliteStorage {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the reference documents (district, subdistricts, consultations) from `dir`
    /// if the server has none yet. Returns whether it wrote anything.
    pub fn load_directory_if_missing(&self, dir: &Directory) -> Result<bool, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: Option<String> = tx
            .query_row(
                "SELECT id FROM docs WHERE id = ?1",
                [DocId::District.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() {
            return Ok(false);
        }
        for (id, mut d) in doc::directory_documents(dir)? {
            let doc_id = id.to_string();
            tx.execute(
                "INSERT INTO docs (id, kind) VALUES (?1, ?2)",
                params![doc_id, id.family().as_str()],
            )?;
            for c in &d.get_changes(&[]) {
                insert_change(&tx, &doc_id, c, SERVER_DEVICE)?;
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// See [`Storage::sync`].
    pub fn sync(&self, req: &SyncRequest) -> Result<SyncResponse, StorageError> {
        let decoded = validate(req)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut acknowledged = Vec::with_capacity(decoded.len());
        for (wire, change) in req.changes.iter().zip(&decoded) {
            let known: Option<String> = tx
                .query_row("SELECT kind FROM docs WHERE id = ?1", [&wire.doc_id], |r| {
                    r.get(0)
                })
                .optional()?;
            match known {
                Some(kind) if kind != wire.kind => {
                    return Err(StorageError::BadRequest(format!(
                        "document {} is a {kind}, not a {}",
                        wire.doc_id, wire.kind
                    )));
                }
                Some(_) => {}
                None => {
                    tx.execute(
                        "INSERT INTO docs (id, kind) VALUES (?1, ?2)",
                        params![wire.doc_id, wire.kind],
                    )?;
                }
            }
            insert_change(&tx, &wire.doc_id, change, &req.device_id)?;
            acknowledged.push(Ack {
                doc_id: wire.doc_id.clone(),
                hash: change.hash().to_string(),
            });
        }

        if req.cursor == 0 {
            let max: Option<i64> =
                tx.query_row("SELECT MAX(seq) FROM changes", [], |r| r.get(0))?;
            let upto = req
                .bootstrap
                .as_ref()
                .map_or(max.unwrap_or(0).max(0) as u64, |b| b.upto);
            if upto > 0 {
                let after = req.bootstrap.as_ref().map_or("", |b| b.after.as_str());
                let response = bootstrap_page(&tx, upto, after, acknowledged)?;
                tx.commit()?;
                return Ok(response);
            }
        }
        let limit = MAX_CHANGES_PER_RESPONSE;
        let mut stmt = tx.prepare(
            "SELECT c.seq, c.doc_id, d.kind, c.bytes FROM changes c JOIN docs d ON d.id = c.doc_id
             WHERE c.seq > ?1 AND c.device_id != ?2 ORDER BY c.seq LIMIT ?3",
        )?;
        let mut rows: Vec<(i64, WireChange)> = stmt
            .query_map(
                params![cursor_param(req.cursor), req.device_id, (limit + 1) as i64],
                |r| {
                    Ok((
                        r.get(0)?,
                        WireChange {
                            doc_id: r.get(1)?,
                            kind: r.get(2)?,
                            bytes: r.get(3)?,
                        },
                    ))
                },
            )?
            .collect::<Result<_, _>>()?;
        drop(stmt);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let cursor = if more {
            rows.last().map_or(req.cursor, |(seq, _)| *seq as u64)
        } else {
            // Everything after the cursor is in `rows` or is the caller's own.
            let max: Option<i64> =
                tx.query_row("SELECT MAX(seq) FROM changes", [], |r| r.get(0))?;
            max.map_or(req.cursor, |m| (m as u64).max(req.cursor))
        };
        tx.commit()?;
        Ok(SyncResponse {
            acknowledged,
            cursor,
            changes: rows.into_iter().map(|(_, c)| c).collect(),
            more,
            ..SyncResponse::default()
        })
    }

    /// Writes a consistent copy of the database to `to` (a new file), while the server
    /// keeps serving: SQLite's online backup.
    pub fn backup_to(&self, to: &Path) -> Result<(), StorageError> {
        if to.exists() {
            return Err(StorageError::BackupTargetExists(to.display().to_string()));
        }
        self.conn()
            .backup(rusqlite::MAIN_DB, to, None)
            .map_err(StorageError::from)
    }

    /// Number of stored changes (for tests and the admin CLI).
    pub fn change_count(&self) -> Result<u64, StorageError> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM changes", [], |r| r.get::<_, i64>(0))?
            .unsigned_abs())
    }
}

/// The next page of a bootstrap: whole documents (each saved from all its changes) in
/// id order after `after`. The last page moves the cursor to `upto`: every change up to
/// it is in some document sent.
fn bootstrap_page(
    tx: &Connection,
    upto: u64,
    after: &str,
    acknowledged: Vec<Ack>,
) -> Result<SyncResponse, StorageError> {
    let mut ids: Vec<(String, String)> = tx
        .prepare_cached("SELECT id, kind FROM docs WHERE id > ?1 ORDER BY id LIMIT ?2")?
        .query_map(
            params![after, (MAX_DOCUMENTS_PER_RESPONSE + 1) as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<Result<_, _>>()?;
    let more_documents = ids.len() > MAX_DOCUMENTS_PER_RESPONSE;
    ids.truncate(MAX_DOCUMENTS_PER_RESPONSE);
    let mut raw = Vec::with_capacity(ids.len());
    for (doc_id, kind) in &ids {
        let changes: Vec<Vec<u8>> = tx
            .prepare_cached("SELECT bytes FROM changes WHERE doc_id = ?1 ORDER BY seq")?
            .query_map([doc_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        raw.push((doc_id.clone(), kind.clone(), changes));
    }
    let (documents, changes) = save_documents(raw)?;
    if more_documents {
        let after = ids.last().map(|(id, _)| id.clone()).unwrap_or_default();
        return Ok(SyncResponse {
            acknowledged,
            cursor: 0,
            documents,
            changes,
            more: true,
            bootstrap: Some(Bootstrap { upto, after }),
        });
    }
    let max: Option<i64> = tx.query_row("SELECT MAX(seq) FROM changes", [], |r| r.get(0))?;
    Ok(SyncResponse {
        acknowledged,
        cursor: upto,
        documents,
        changes,
        more: max.is_some_and(|m| m as u64 > upto),
        ..SyncResponse::default()
    })
}

/// Builds and saves each document from its stored changes, on all cores. A document
/// whose changes do not make one (a device restored from an old backup can send two
/// different changes with one sequence number) goes out as its changes instead, so one
/// bad change never stops every bootstrap; the client sets aside what does not apply.
fn save_documents(
    raw: Vec<(String, String, Vec<Vec<u8>>)>,
) -> Result<(Vec<WireDocument>, Vec<WireChange>), StorageError> {
    let save = |(doc_id, kind, changes): (String, String, Vec<Vec<u8>>)| {
        let built = changes
            .iter()
            .map(|b| Change::from_bytes(b.clone()))
            .collect::<Result<Vec<_>, _>>()
            .ok()
            .and_then(|cs| {
                let mut doc = AutoCommit::new();
                doc.apply_changes(cs).ok().map(|()| doc.save())
            });
        match built {
            Some(bytes) => Ok(WireDocument {
                doc_id,
                kind,
                bytes,
            }),
            None => {
                tracing::warn!(
                    doc_id,
                    "stored changes do not make a document; sent as changes"
                );
                Err(changes
                    .into_iter()
                    .map(|bytes| WireChange {
                        doc_id: doc_id.clone(),
                        kind: kind.clone(),
                        bytes,
                    })
                    .collect::<Vec<_>>())
            }
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = raw.len().div_ceil(threads).max(1);
    let mut chunks: Vec<Vec<_>> = Vec::new();
    let mut raw = raw.into_iter().peekable();
    while raw.peek().is_some() {
        chunks.push(raw.by_ref().take(chunk).collect());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| scope.spawn(move || c.into_iter().map(save).collect::<Vec<_>>()))
            .collect();
        let (mut documents, mut changes) = (Vec::new(), Vec::new());
        for h in handles {
            let part = h
                .join()
                .map_err(|_| shared::Error::Corrupt("a save thread panicked".into()))?;
            for result in part {
                match result {
                    Ok(d) => documents.push(d),
                    Err(cs) => changes.extend(cs),
                }
            }
        }
        Ok((documents, changes))
    })
}

/// Refuses a request that is malformed or writes what no client may write.
fn validate(req: &SyncRequest) -> Result<Vec<Change>, StorageError> {
    let device = &req.device_id;
    if device.is_empty() || device.len() > 64 || device == SERVER_DEVICE {
        return Err(StorageError::BadRequest("bad device id".into()));
    }
    req.changes
        .iter()
        .map(|wire| {
            if wire.doc_id.is_empty() || wire.doc_id.len() > MAX_DOC_ID_LEN {
                return Err(StorageError::BadRequest("bad document id".into()));
            }
            let Some(id) = DocId::parse(&wire.doc_id) else {
                return Err(StorageError::BadRequest(format!(
                    "unknown document id {:?}",
                    wire.doc_id
                )));
            };
            if id.family().as_str() != wire.kind {
                return Err(StorageError::BadRequest(format!(
                    "document {} is not a {:?}",
                    wire.doc_id, wire.kind
                )));
            }
            if !id.family().client_writable() {
                return Err(StorageError::Forbidden(
                    "reference data is written by the server only".into(),
                ));
            }
            Change::from_bytes(wire.bytes.clone())
                .map_err(|e| StorageError::BadRequest(format!("undecodable change: {e}")))
        })
        .collect()
}

fn insert_change(
    tx: &Connection,
    doc_id: &str,
    change: &Change,
    device_id: &str,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT OR IGNORE INTO changes (doc_id, hash, device_id, bytes) VALUES (?1, ?2, ?3, ?4)",
        params![
            doc_id,
            change.hash().to_string(),
            device_id,
            change.raw_bytes()
        ],
    )?;
    Ok(())
}

/// Cursors are SQLite row ids, which fit in an i64; a larger cursor is past every row.
fn cursor_param(cursor: u64) -> i64 {
    i64::try_from(cursor).unwrap_or(i64::MAX)
}
