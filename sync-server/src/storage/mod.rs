//! Server storage: every change any device sent, in arrival order, in one SQLite file.
//!
//! A change is stored once per `(document, hash)`, so a retried request stores nothing
//! twice. Its row number is the sequence number clients use as their cursor. The server
//! never rewrites a change; it only appends.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use automerge::{AutoCommit, Change};
use rusqlite::{Connection, OptionalExtension, named_params, params};
use rusqlite_migration::{M, Migrations};
use shared::access::access;
use shared::doc::{self, DocId};
use shared::model::{Access, Account, Directory, Role, ScopeKind};
use shared::protocol::{
    Ack, BLOB_CHUNK_BYTES, Bootstrap, ChunkQuery, DocHeads, HeadsResponse,
    MAX_CHANGES_PER_RESPONSE, MAX_DOCUMENTS_PER_HEADS, MAX_DOCUMENTS_PER_RESPONSE, MAX_PHOTO_BYTES,
    RepairRequest, RepairResponse, SyncRequest, SyncResponse, UploadState, WireChange,
    WireDocument,
};

use crate::wire::SERVER_DEVICE;

pub(crate) mod keys;

/// Append-only: never edit a migration that has shipped; add a new one.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE docs (id TEXT PRIMARY KEY, kind TEXT NOT NULL);
         CREATE TABLE changes (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             doc_id TEXT NOT NULL REFERENCES docs(id),
             hash TEXT NOT NULL,
             device_id TEXT NOT NULL,
             bytes BLOB NOT NULL,
             UNIQUE (doc_id, hash)
         );",
    // Accounts, device sessions, and what scopes are checked against: each document's
    // station and department (from its id), and each station's street or town.
    "ALTER TABLE docs ADD COLUMN station TEXT;
         ALTER TABLE docs ADD COLUMN department TEXT;
         CREATE INDEX docs_station ON docs(station);
         CREATE INDEX docs_department ON docs(department);
         CREATE TABLE stations (id TEXT PRIMARY KEY, subdistrict_id TEXT NOT NULL);
         CREATE TABLE departments (id TEXT PRIMARY KEY);
         CREATE TABLE accounts (
             id INTEGER PRIMARY KEY,
             username TEXT NOT NULL UNIQUE,
             display_name TEXT NOT NULL,
             role TEXT NOT NULL,
             scope_id TEXT,
             deputy_id TEXT,
             password_hash TEXT NOT NULL,
             disabled INTEGER NOT NULL DEFAULT 0,
             created_at INTEGER NOT NULL
         );
         CREATE TABLE sessions (
             token_hash BLOB PRIMARY KEY,
             account_id INTEGER NOT NULL REFERENCES accounts(id),
             device_id TEXT NOT NULL,
             device_name TEXT NOT NULL,
             created_at INTEGER NOT NULL,
             last_seen INTEGER NOT NULL,
             expires_at INTEGER NOT NULL,
             revoked INTEGER NOT NULL DEFAULT 0
         );
         CREATE INDEX sessions_account ON sessions(account_id);",
    // Each change's actor and sequence number, so one that reuses them is refused.
    "ALTER TABLE changes ADD COLUMN actor BLOB;
         ALTER TABLE changes ADD COLUMN actor_seq INTEGER;
         CREATE INDEX changes_actor_seq ON changes(doc_id, actor, actor_seq);",
    // Attachments: each file once by content hash, linked to the documents that refer to
    // it (whose scope decides who reads it); uploads in progress kept by chunk.
    "CREATE TABLE blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL);
         CREATE TABLE blob_docs (
             hash TEXT NOT NULL REFERENCES blobs(hash),
             doc_id TEXT NOT NULL,
             PRIMARY KEY (hash, doc_id)
         ) WITHOUT ROWID;
         CREATE TABLE upload_chunks (
             hash TEXT NOT NULL,
             doc_id TEXT NOT NULL,
             offset INTEGER NOT NULL,
             data BLOB NOT NULL,
             received_at INTEGER NOT NULL,
             PRIMARY KEY (hash, doc_id, offset)
         ) WITHOUT ROWID;",
    // Each actor belongs to the device that first pushed it; reads by document in
    // sequence order (pulls per readable document, cursors that reveal only what the
    // caller reads); who reserved each upload and stored each file, for quotas.
    "CREATE TABLE device_actors (actor BLOB PRIMARY KEY, device_id TEXT NOT NULL) WITHOUT ROWID;
         INSERT OR IGNORE INTO device_actors (actor, device_id)
             SELECT actor, device_id FROM changes WHERE actor IS NOT NULL ORDER BY seq;
         CREATE INDEX changes_doc_seq ON changes(doc_id, seq);
         ALTER TABLE upload_chunks ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE upload_chunks ADD COLUMN username TEXT NOT NULL DEFAULT '';
         ALTER TABLE upload_chunks ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
         ALTER TABLE blobs ADD COLUMN username TEXT NOT NULL DEFAULT '';
         ALTER TABLE blobs ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
         CREATE INDEX blobs_username ON blobs(username);
         CREATE INDEX blobs_device ON blobs(device_id);",
    // Each document's last sequence number, so a pull visits only the documents written
    // since the cursor, and a cursor is found from the last written document the caller
    // reads, without reading changes.
    "ALTER TABLE docs ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
         UPDATE docs SET last_seq = COALESCE((SELECT MAX(seq) FROM changes WHERE doc_id = docs.id), 0);
         CREATE INDEX docs_last_seq ON docs(last_seq);",
    // Record keys (storage/keys.rs): given once, erased once, each write with the next key
    // sequence number; each document's last one, so key pulls visit only documents
    // whose keys changed. Voters' submissions from the public pages (public.rs): the
    // opinion a tracking code (kept only hashed) follows.
    "CREATE TABLE record_keys (
             key_id TEXT PRIMARY KEY,
             doc_id TEXT NOT NULL,
             key BLOB,
             seq INTEGER NOT NULL
         );
         CREATE INDEX record_keys_seq ON record_keys(seq);
         CREATE INDEX record_keys_doc ON record_keys(doc_id, seq);
         ALTER TABLE docs ADD COLUMN last_key_seq INTEGER NOT NULL DEFAULT 0;
         CREATE INDEX docs_last_key_seq ON docs(last_key_seq);
         CREATE TABLE public_opinions (
             code_hash BLOB PRIMARY KEY,
             station_id TEXT NOT NULL,
             doc_id TEXT NOT NULL,
             opinion_id TEXT NOT NULL,
             key_id TEXT,
             created_at INTEGER NOT NULL
         );
         CREATE INDEX public_opinions_station ON public_opinions(station_id, created_at);",
];

/// A session's expiry moves forward when it is used, at most this often (seconds), so an
/// idle sync does not write.
const SESSION_TOUCH_INTERVAL: i64 = 3600;

/// How long an unfinished upload's chunks are kept (seconds): a week.
const UPLOAD_KEPT_SECS: i64 = 7 * 24 * 3600;

/// About the most change bytes one sync response carries (at least one change or one
/// document): one change can be 4 MiB, and a thousand of them would not fit in a phone.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The most stored change bytes one heads request builds documents from; documents past
/// it are left out of the answer (not compared this time).
pub const MAX_HEADS_BYTES: usize = 16 * 1024 * 1024;

/// How much one account and one device may upload and store. A station takes a few
/// hundred photos of 0.2–1 MB a year; the defaults leave room for years of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    /// Unfinished uploads one device may have at once.
    pub uploads_per_device: u32,
    /// Unfinished uploads one account may have at once, over all its devices.
    pub uploads_per_account: u32,
    /// The sizes of one account's unfinished uploads, together.
    pub reserved_bytes_per_account: u64,
    /// The files one device has stored, together.
    pub stored_bytes_per_device: u64,
    /// The files one account has stored, together.
    pub stored_bytes_per_account: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            uploads_per_device: 4,
            uploads_per_account: 16,
            reserved_bytes_per_account: 64 * 1024 * 1024,
            stored_bytes_per_device: 4 * 1024 * 1024 * 1024,
            stored_bytes_per_account: 16 * 1024 * 1024 * 1024,
        }
    }
}

impl From<crate::wire::WireError> for StorageError {
    fn from(e: crate::wire::WireError) -> Self {
        StorageError::BadRequest(e.to_string())
    }
}

/// The one error type of the storage layer; `api` maps it to HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No valid session: missing, unknown, expired or revoked token, or a disabled account.
    #[error("not signed in")]
    Unauthorized,
    /// Not there, or outside the caller's scope: the two are the same answer.
    #[error("not found: {0}")]
    NotFound(String),
    /// An account name that is taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A pushed change refused for its document; nothing of the request is stored.
    #[error("{reason}: {doc_id}")]
    Refused { doc_id: String, reason: Refusal },
    /// A pushed change whose records do not read as valid records of their kind, or
    /// carry what their kind may not (see [`shared::validate`]); nothing is stored.
    #[error("{doc_id}: {record}: {reason}")]
    InvalidRecord {
        doc_id: String,
        record: String,
        reason: String,
    },
    /// The caller's uploads or stored files are at their quota.
    #[error("quota: {0}")]
    Quota(String),
    /// The device id is another account's: a device signs in to one account at a time,
    /// and a new account on a device takes a new id.
    #[error("this device id belongs to another account")]
    DeviceTaken,
    /// Work that failed inside the server (a panic); the details are logged, not sent.
    #[error("internal: {0}")]
    Internal(String),
    #[error("{0} exists; a backup never overwrites a file")]
    BackupTargetExists(String),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("core: {0}")]
    Core(Box<shared::Error>),
}

/// Why a pushed change was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Outside the caller's scope, or not there at all: the same answer for both.
    NotFound,
    /// The caller only reads the document.
    ReadOnly,
    /// The change reuses an (actor, sequence number) the document already has with
    /// different content: a device restored from a copy, or two devices sharing an actor.
    /// Automerge cannot hold both, so the server keeps the first.
    SequenceReused,
    /// The change's actor is another device's: each actor belongs to the device that
    /// first pushed it, so no device can write as another or take its sequence numbers.
    ForeignActor,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::NotFound => "no such document",
            Refusal::ReadOnly => "this account only reads the document",
            Refusal::SequenceReused => {
                "the change reuses an actor and sequence number the document already has"
            }
            Refusal::ForeignActor => "the change's actor belongs to another device",
        })
    }
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
    /// Handles one sync request atomically for `caller`: checks every document id against
    /// the caller's scope, validates and stores the pushed changes, then reads what the
    /// caller may see and has not seen. Nothing is stored if any change is refused.
    fn sync(&self, caller: &Caller, req: &SyncRequest) -> Result<SyncResponse, StorageError>;

    /// The password hash of the enabled account `username`, to check a sign-in against
    /// (outside any lock: Argon2 is slow on purpose).
    /// (`known_device`: whether `device_id` has signed in to the account before.)
    fn credentials(
        &self,
        username: &str,
        device_id: &str,
    ) -> Result<Option<Credentials>, StorageError>;

    /// Starts a session for a device whose password was checked; the device's earlier
    /// sessions end.
    fn open_session(&self, session: &NewSession) -> Result<Account, StorageError>;

    /// Who holds the token hashed as `token_hash` at `now` (unix seconds); `None` when
    /// the token is unknown, expired or revoked, or the account is disabled. A session in
    /// use is extended to `now + ttl`.
    fn caller(&self, token_hash: &[u8], now: i64, ttl: i64)
    -> Result<Option<Caller>, StorageError>;

    /// The caller behind `token_hash` if [`Storage::caller`] found it within the last
    /// [`SESSION_CACHE_SECS`] and no session has ended in this process since: no database,
    /// no lock, for every request's first step.
    fn known_caller(&self, token_hash: &[u8], now: i64) -> Option<Caller>;

    /// Ends the session of `token_hash` (signing out).
    fn close_session(&self, token_hash: &[u8]) -> Result<(), StorageError>;

    /// How much of file `hash` the caller has uploaded for `doc_id`, which it must write.
    fn upload_state(
        &self,
        caller: &Caller,
        hash: &str,
        doc_id: &str,
    ) -> Result<UploadState, StorageError>;

    /// Stores one chunk of file `hash` (`size` bytes in all) for `doc_id`, starting at
    /// `offset`. A chunk the server already holds changes nothing (a retry); one past
    /// what it holds is refused. The last chunk completes the file, once it matches its
    /// hash.
    fn upload_chunk(
        &self,
        caller: &Caller,
        hash: &str,
        chunk: &ChunkQuery,
        data: &[u8],
    ) -> Result<UploadState, StorageError>;

    /// The server's heads of each of `doc_ids` the caller reads (none for the others,
    /// as for a document that does not exist).
    fn heads(&self, caller: &Caller, doc_ids: &[String]) -> Result<HeadsResponse, StorageError>;

    /// One step of Automerge's sync protocol on one document the caller reads: applies
    /// the changes the message carries (the caller must write the document) and answers
    /// with the server's message. The server keeps no sync state between steps: every
    /// message carries the sender's heads and a summary of what it has, which is enough.
    fn repair(&self, caller: &Caller, req: &RepairRequest) -> Result<RepairResponse, StorageError>;

    /// Bytes `range` (start, inclusive end) of file `hash`, or all of it, if the caller
    /// reads `doc_id` and `doc_id` refers to the file; with the file's size.
    fn download(
        &self,
        caller: &Caller,
        hash: &str,
        doc_id: &str,
        range: Option<(u64, u64)>,
    ) -> Result<(u64, Vec<u8>), StorageError>;
}

/// The account and device behind a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub account: Account,
    pub device_id: String,
}

/// What a sign-in is checked against.
#[derive(Clone)]
pub struct Credentials {
    pub account_id: i64,
    pub password_hash: String,
    /// The device signing in has signed in to this account before.
    pub known_device: bool,
}

/// A session to open after a successful sign-in.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub account_id: i64,
    pub token_hash: Vec<u8>,
    pub device_id: String,
    pub device_name: String,
    pub now: i64,
    pub expires_at: i64,
}

/// An account to create (the admin CLI, tests).
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope_id: Option<String>,
    pub deputy_id: Option<String>,
}

/// A device signed in to an account, for the administrator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSession {
    pub username: String,
    pub device_id: String,
    pub device_name: String,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

/// The embedded backend: one SQLite file.
#[derive(Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
    quotas: Quotas,
    /// Sessions recently found, by token hash, with the time (unix seconds) each may be
    /// believed until. Emptied whenever a session ends in this process.
    sessions: Arc<Mutex<SessionCache>>,
    /// What the voters' public pages keep in memory (documents, the server's actor).
    pub(crate) public: Arc<crate::public::store::PublicState>,
}

/// Callers by token hash, each with the time (unix seconds) it may be believed until.
type SessionCache = HashMap<Vec<u8>, (Caller, i64)>;

/// How long a found session is believed without the database (seconds). A device
/// signed out, or an account disabled, by another process (the admin commands) is
/// refused at the latest this much later; in this process, at once.
pub const SESSION_CACHE_SECS: i64 = 30;

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStorage")
    }
}

impl Storage for SqliteStorage {
    fn sync(&self, caller: &Caller, req: &SyncRequest) -> Result<SyncResponse, StorageError> {
        SqliteStorage::sync(self, caller, req)
    }

    fn credentials(
        &self,
        username: &str,
        device_id: &str,
    ) -> Result<Option<Credentials>, StorageError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, password_hash,
                        EXISTS (SELECT 1 FROM sessions s
                                WHERE s.account_id = accounts.id AND s.device_id = ?2)
                 FROM accounts WHERE username = ?1 AND disabled = 0",
                params![username, device_id],
                |r| {
                    Ok(Credentials {
                        account_id: r.get(0)?,
                        password_hash: r.get(1)?,
                        known_device: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    fn open_session(&self, s: &NewSession) -> Result<Account, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        // A device id is one account's: another account's changes under it would be
        // left out of this account's pulls (a device never receives its own changes).
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE device_id = ?1 AND account_id != ?2)",
            params![s.device_id, s.account_id],
            |r| r.get(0),
        )?;
        if taken {
            return Err(StorageError::DeviceTaken);
        }
        tx.execute(
            "UPDATE sessions SET revoked = 1 WHERE account_id = ?1 AND device_id = ?2",
            params![s.account_id, s.device_id],
        )?;
        tx.execute(
            "INSERT INTO sessions (token_hash, account_id, device_id, device_name, created_at,
                                   last_seen, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            params![
                s.token_hash,
                s.account_id,
                s.device_id,
                s.device_name,
                s.now,
                s.expires_at
            ],
        )?;
        let account = tx.query_row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
            [s.account_id],
            account_row,
        )?;
        tx.commit()?;
        drop(conn);
        // The device's earlier session ended.
        self.forget_sessions();
        Ok(account)
    }

    fn caller(
        &self,
        token_hash: &[u8],
        now: i64,
        ttl: i64,
    ) -> Result<Option<Caller>, StorageError> {
        let conn = self.conn();
        // Every request asks this: prepared once per connection.
        let found = conn
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS}, s.device_id, s.last_seen, s.expires_at FROM sessions s
                 JOIN accounts ON accounts.id = s.account_id
                 WHERE s.token_hash = ?1 AND s.revoked = 0 AND s.expires_at > ?2
                   AND accounts.disabled = 0"
            ))?
            .query_row(params![token_hash, now], |r| {
                Ok((
                    account_row(r)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            })
            .optional()?;
        let Some((account, device_id, last_seen, mut expires_at)) = found else {
            return Ok(None);
        };
        if now - last_seen >= SESSION_TOUCH_INTERVAL {
            expires_at = now.saturating_add(ttl);
            conn.execute(
                "UPDATE sessions SET last_seen = ?2, expires_at = ?3 WHERE token_hash = ?1",
                params![token_hash, now, expires_at],
            )?;
        }
        drop(conn);
        let caller = Caller { account, device_id };
        let mut sessions = self.sessions();
        if sessions.len() >= 100_000 {
            sessions.clear();
        }
        let until = expires_at.min(now.saturating_add(SESSION_CACHE_SECS));
        sessions.insert(token_hash.to_vec(), (caller.clone(), until));
        Ok(Some(caller))
    }

    fn known_caller(&self, token_hash: &[u8], now: i64) -> Option<Caller> {
        match self.sessions().get(token_hash) {
            Some((caller, until)) if now < *until => Some(caller.clone()),
            _ => None,
        }
    }

    fn close_session(&self, token_hash: &[u8]) -> Result<(), StorageError> {
        self.conn().execute(
            "UPDATE sessions SET revoked = 1 WHERE token_hash = ?1",
            [token_hash],
        )?;
        self.forget_sessions();
        Ok(())
    }

    fn heads(&self, caller: &Caller, doc_ids: &[String]) -> Result<HeadsResponse, StorageError> {
        if doc_ids.len() > MAX_DOCUMENTS_PER_HEADS {
            return Err(StorageError::BadRequest(format!(
                "at most {MAX_DOCUMENTS_PER_HEADS} documents per request"
            )));
        }
        let mut unique = std::collections::HashSet::new();
        // Read under the lock (each document once, up to the budget); built without it.
        let mut raw: Vec<(String, Option<Vec<Vec<u8>>>)> = Vec::new();
        {
            let conn = self.conn();
            let mut budget = MAX_HEADS_BYTES;
            for doc_id in doc_ids {
                if !unique.insert(doc_id.as_str()) {
                    continue;
                }
                let readable = match check_doc_access(&conn, caller, doc_id, Access::Read) {
                    Ok(()) => true,
                    Err(StorageError::Refused { .. }) => false,
                    Err(e) => return Err(e),
                };
                if !readable {
                    raw.push((doc_id.clone(), None));
                    continue;
                }
                let changes = stored_changes(&conn, doc_id)?;
                let size: usize = changes.iter().map(Vec::len).sum();
                // Over the budget, the rest are left out: not compared this time.
                if size > budget {
                    break;
                }
                budget -= size;
                raw.push((doc_id.clone(), Some(changes)));
            }
        }
        let mut heads = Vec::with_capacity(raw.len());
        for (doc_id, changes) in raw {
            let mut hashes: Vec<String> = match changes {
                None => vec![],
                Some(changes) => match build_document(changes) {
                    Ok(mut doc) => doc.get_heads().iter().map(ToString::to_string).collect(),
                    // Changes stored before reuses were refused can make a document that
                    // does not build: left out, so the rest of the batch is checked.
                    Err(StorageError::Core(_)) => {
                        tracing::warn!(doc_id, "document does not build; not compared");
                        continue;
                    }
                    Err(e) => return Err(e),
                },
            };
            hashes.sort();
            heads.push(DocHeads {
                doc_id,
                heads: hashes,
            });
        }
        Ok(HeadsResponse { heads })
    }

    fn repair(&self, caller: &Caller, req: &RepairRequest) -> Result<RepairResponse, StorageError> {
        use automerge::sync::{Message, State, SyncDoc as _};
        let message = crate::wire::decode_repair_message(&req.message)?;
        let needed = if message.changes.is_empty() {
            Access::Read
        } else {
            Access::Write
        };
        let id = DocId::parse(&req.doc_id)
            .ok_or_else(|| StorageError::BadRequest("unknown document id".into()))?;
        let stored = {
            let conn = self.conn();
            check_doc_access(&conn, caller, &req.doc_id, needed)?;
            stored_changes(&conn, &req.doc_id)?
        };
        let mut doc = build_document(stored)?;
        let before = doc.get_heads();
        let mut state = State::new();
        crate::wire::unpanicked("a sync message", || {
            doc.sync().receive_sync_message(&mut state, message)
        })?
        .map_err(|e| StorageError::BadRequest(format!("sync message: {e}")))?;
        let new = doc.get_changes(&before);
        if !new.is_empty() {
            self.check_records(&id, &mut doc, &before)?;
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            check_doc_access(&tx, caller, &req.doc_id, Access::Write)?;
            insert_doc(&tx, &id)?;
            for change in &new {
                insert_change(
                    &tx,
                    &req.doc_id,
                    change,
                    &caller.device_id,
                    NewActor::StaysFree,
                )?
                .map_err(|reason| StorageError::Refused {
                    doc_id: req.doc_id.clone(),
                    reason,
                })?;
            }
            tx.commit()?;
        }
        let reply = doc.sync().generate_sync_message(&mut state);
        Ok(RepairResponse {
            message: reply.map(Message::encode),
        })
    }

    fn upload_state(
        &self,
        caller: &Caller,
        hash: &str,
        doc_id: &str,
    ) -> Result<UploadState, StorageError> {
        let conn = self.conn();
        check_blob_access(&conn, caller, hash, doc_id, Access::Write)?;
        upload_state(&conn, hash, doc_id)
    }

    fn upload_chunk(
        &self,
        caller: &Caller,
        hash: &str,
        chunk: &ChunkQuery,
        data: &[u8],
    ) -> Result<UploadState, StorageError> {
        if chunk.size == 0 || chunk.size > MAX_PHOTO_BYTES {
            return Err(StorageError::BadRequest(format!(
                "a file has 1 to {MAX_PHOTO_BYTES} bytes"
            )));
        }
        if data.is_empty() || data.len() as u64 > BLOB_CHUNK_BYTES {
            return Err(StorageError::BadRequest(format!(
                "a chunk has 1 to {BLOB_CHUNK_BYTES} bytes"
            )));
        }
        let end = chunk.offset.saturating_add(data.len() as u64);
        if end > chunk.size {
            return Err(StorageError::BadRequest(
                "the chunk ends past the file".into(),
            ));
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        check_blob_access(&tx, caller, hash, &chunk.doc_id, Access::Write)?;
        // Uploads abandoned for a week go, so made-up files cannot fill the disk.
        let now = chrono::Utc::now().timestamp();
        tx.execute(
            "DELETE FROM upload_chunks WHERE received_at < ?1",
            [now - UPLOAD_KEPT_SECS],
        )?;
        let state = upload_state(&tx, hash, &chunk.doc_id)?;
        if state.complete || end <= state.received {
            return Ok(state); // A retry of what arrived.
        }
        if chunk.offset != state.received {
            return Err(StorageError::Conflict(format!(
                "the upload continues at byte {}",
                state.received
            )));
        }
        if state.received == 0 {
            check_upload_quotas(&tx, &self.quotas, caller, chunk.size)?;
        }
        tx.execute(
            "INSERT INTO upload_chunks (hash, doc_id, offset, data, received_at, size, username,
                                        device_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                hash,
                chunk.doc_id,
                to_i64(chunk.offset),
                data,
                now,
                to_i64(chunk.size),
                caller.account.username,
                caller.device_id
            ],
        )?;
        if end < chunk.size {
            tx.commit()?;
            return Ok(UploadState {
                received: end,
                complete: false,
            });
        }
        // The last chunk: the file must be what its name says.
        let mut file = Vec::with_capacity(usize::try_from(chunk.size).unwrap_or(0));
        {
            let mut q = tx.prepare(
                "SELECT data FROM upload_chunks WHERE hash = ?1 AND doc_id = ?2 ORDER BY offset",
            )?;
            let mut rows = q.query(params![hash, chunk.doc_id])?;
            while let Some(row) = rows.next()? {
                file.extend_from_slice(row.get_ref(0)?.as_blob().unwrap_or_default());
            }
        }
        tx.execute(
            "DELETE FROM upload_chunks WHERE hash = ?1 AND doc_id = ?2",
            params![hash, chunk.doc_id],
        )?;
        if shared::protocol::content_hash(&file) != hash {
            // The chunks go: the device starts again from its own copy.
            tx.commit()?;
            return Err(StorageError::BadRequest(
                "the file does not match its hash; upload it again".into(),
            ));
        }
        tx.execute(
            "INSERT OR IGNORE INTO blobs (hash, size, data, username, device_id)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                hash,
                to_i64(chunk.size),
                file,
                caller.account.username,
                caller.device_id
            ],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO blob_docs (hash, doc_id) VALUES (?1, ?2)",
            params![hash, chunk.doc_id],
        )?;
        tx.commit()?;
        Ok(UploadState {
            received: chunk.size,
            complete: true,
        })
    }

    fn download(
        &self,
        caller: &Caller,
        hash: &str,
        doc_id: &str,
        range: Option<(u64, u64)>,
    ) -> Result<(u64, Vec<u8>), StorageError> {
        let conn = self.conn();
        check_blob_access(&conn, caller, hash, doc_id, Access::Read)?;
        let not_found = || StorageError::NotFound(format!("no file {hash}"));
        let size: i64 = conn
            .query_row(
                "SELECT b.size FROM blobs b JOIN blob_docs l ON l.hash = b.hash
                 WHERE b.hash = ?1 AND l.doc_id = ?2",
                params![hash, doc_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(not_found)?;
        let size = size.unsigned_abs();
        let (start, end) = range.unwrap_or((0, size.saturating_sub(1)));
        let end = end.min(size.saturating_sub(1));
        if start > end {
            return Err(StorageError::BadRequest(
                "the range is outside the file".into(),
            ));
        }
        // SQLite's substr counts from 1, in bytes for a blob.
        let bytes: Vec<u8> = conn.query_row(
            "SELECT substr(data, ?2, ?3) FROM blobs WHERE hash = ?1",
            params![hash, to_i64(start + 1), to_i64(end - start + 1)],
            |r| r.get(0),
        )?;
        Ok((size, bytes))
    }
}

/// The stored changes of document `doc_id`, in arrival order.
fn stored_changes(conn: &Connection, doc_id: &str) -> Result<Vec<Vec<u8>>, StorageError> {
    Ok(conn
        .prepare_cached("SELECT bytes FROM changes WHERE doc_id = ?1 ORDER BY seq")?
        .query_map([doc_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// A document built from stored changes (empty if there are none). Call it without the
/// lock: a large document takes a while.
fn build_document(stored: Vec<Vec<u8>>) -> Result<AutoCommit, StorageError> {
    let changes: Vec<Change> = stored
        .into_iter()
        .map(|bytes| {
            Change::from_bytes(bytes).map_err(|e| {
                StorageError::from(shared::Error::Corrupt(format!("stored change: {e}")))
            })
        })
        .collect::<Result<_, _>>()?;
    let mut doc = AutoCommit::new();
    doc.apply_changes(changes)
        .map_err(|e| StorageError::from(shared::Error::from(e)))?;
    Ok(doc)
}

/// Document `doc_id` as the server holds it (for the administrator's directory loads,
/// which hold the lock throughout).
fn server_document(conn: &Connection, doc_id: &str) -> Result<AutoCommit, StorageError> {
    build_document(stored_changes(conn, doc_id)?)
}

/// The highest sequence number among the changes `account` reads (0 if none): a cursor
/// that moves only with what the caller may see.
fn max_readable_seq(conn: &Connection, account: &Account) -> Result<u64, StorageError> {
    max_readable(conn, account, "last_seq")
}

/// The highest of `docs.<column>` (`last_seq`, `last_key_seq`, each with its index
/// `docs_<column>`) among the documents `account` reads, 0 if none: the documents
/// newest first, to the first the caller reads.
pub(crate) fn max_readable(
    conn: &Connection,
    account: &Account,
    column: &'static str,
) -> Result<u64, StorageError> {
    let max: Option<i64> = conn
        .prepare_cached(&format!(
            "SELECT d.{column} FROM docs d INDEXED BY docs_{column} WHERE {}
             ORDER BY d.{column} DESC LIMIT 1",
            readable(account.role)
        ))?
        .query_row(named_params! {":scope": account.scope_id}, |r| r.get(0))
        .optional()?;
    Ok(max.map_or(0, |m| m.max(0) as u64))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The caller must have `needed` on `doc_id`, and `hash` must be a content hash. A
/// document the caller may not read is, as everywhere, not found.
fn check_blob_access(
    conn: &Connection,
    caller: &Caller,
    hash: &str,
    doc_id: &str,
    needed: Access,
) -> Result<(), StorageError> {
    if !shared::protocol::is_content_hash(hash) {
        return Err(StorageError::BadRequest(format!(
            "not a content hash: {hash:?}"
        )));
    }
    check_doc_access(conn, caller, doc_id, needed)?;
    // A file is linked only to a document that exists (its record was synced first).
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM docs WHERE id = ?1)")?
        .query_row([doc_id], |r| r.get(0))?;
    if !exists {
        return Err(StorageError::Refused {
            doc_id: doc_id.to_owned(),
            reason: Refusal::NotFound,
        });
    }
    Ok(())
}

/// The caller must have `needed` on `doc_id`. A document the caller may not read is, as
/// everywhere, not found.
fn check_doc_access(
    conn: &Connection,
    caller: &Caller,
    doc_id: &str,
    needed: Access,
) -> Result<(), StorageError> {
    let id = DocId::parse(doc_id)
        .ok_or_else(|| StorageError::BadRequest(format!("unknown document id {doc_id:?}")))?;
    let refused = |reason| StorageError::Refused {
        doc_id: doc_id.to_owned(),
        reason,
    };
    match (doc_access(conn, &caller.account, &id), needed) {
        (Access::None, _) => Err(refused(Refusal::NotFound)),
        (Access::Read, Access::Write) => Err(refused(Refusal::ReadOnly)),
        _ => Ok(()),
    }
}

/// What `account` may do with document `id` ([`shared::access::access`], with each
/// station's street or town from the scope tables).
pub(crate) fn doc_access(conn: &Connection, account: &Account, id: &DocId) -> Access {
    let subdistrict_of = |station: &str| {
        conn.prepare_cached("SELECT subdistrict_id FROM stations WHERE id = ?1")
            .and_then(|mut q| q.query_row([station], |r| r.get(0)).optional())
            .ok()
            .flatten()
    };
    access(account, id, subdistrict_of)
}

/// A new upload of `size` bytes must fit the caller's quotas: unfinished uploads per
/// device and per account, their sizes per account, and stored files per device and
/// per account (counting the new one).
fn check_upload_quotas(
    conn: &Connection,
    quotas: &Quotas,
    caller: &Caller,
    size: u64,
) -> Result<(), StorageError> {
    let count = |sql: &str, key: &str| -> Result<u64, StorageError> {
        let n: i64 = conn.prepare_cached(sql)?.query_row([key], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    };
    let user = caller.account.username.as_str();
    let device = caller.device_id.as_str();
    let open_uploads = "SELECT COUNT(*) FROM (SELECT DISTINCT hash, doc_id FROM upload_chunks
                                               WHERE {col} = ?1)";
    let over = [
        (
            count(&open_uploads.replace("{col}", "device_id"), device)? + 1,
            u64::from(quotas.uploads_per_device),
            "unfinished uploads of this device",
        ),
        (
            count(&open_uploads.replace("{col}", "username"), user)? + 1,
            u64::from(quotas.uploads_per_account),
            "unfinished uploads of this account",
        ),
        (
            count(
                "SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT hash, doc_id, size
                   FROM upload_chunks WHERE username = ?1)",
                user,
            )? + size,
            quotas.reserved_bytes_per_account,
            "bytes of this account's unfinished uploads",
        ),
        (
            count(
                "SELECT COALESCE(SUM(size), 0) FROM blobs WHERE device_id = ?1",
                device,
            )? + size,
            quotas.stored_bytes_per_device,
            "bytes of files stored from this device",
        ),
        (
            count(
                "SELECT COALESCE(SUM(size), 0) FROM blobs WHERE username = ?1",
                user,
            )? + size,
            quotas.stored_bytes_per_account,
            "bytes of files stored by this account",
        ),
    ]
    .into_iter()
    .find(|(used, limit, _)| used > limit);
    match over {
        Some((_, limit, what)) => Err(StorageError::Quota(format!("at most {limit} {what}"))),
        None => Ok(()),
    }
}

fn upload_state(conn: &Connection, hash: &str, doc_id: &str) -> Result<UploadState, StorageError> {
    let linked: Option<i64> = conn
        .query_row(
            "SELECT b.size FROM blobs b JOIN blob_docs l ON l.hash = b.hash
             WHERE b.hash = ?1 AND l.doc_id = ?2",
            params![hash, doc_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(size) = linked {
        return Ok(UploadState {
            received: size.unsigned_abs(),
            complete: true,
        });
    }
    let received: i64 = conn.query_row(
        "SELECT COALESCE(SUM(length(data)), 0) FROM upload_chunks WHERE hash = ?1 AND doc_id = ?2",
        params![hash, doc_id],
        |r| r.get(0),
    )?;
    Ok(UploadState {
        received: received.unsigned_abs(),
        complete: false,
    })
}

/// The columns [`account_row`] reads, in its order.
const ACCOUNT_COLUMNS: &str = "accounts.username, accounts.display_name, accounts.role, \
                               accounts.scope_id, accounts.deputy_id";

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let role: String = r.get(2)?;
    Ok(Account {
        username: r.get(0)?,
        display_name: r.get(1)?,
        role: Role::parse(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                format!("unknown role {role:?}").into(),
            )
        })?,
        scope_id: r.get(3)?,
        deputy_id: r.get(4)?,
    })
}

/// The SQL condition on `docs d` for the documents `role` reads, given the account's
/// scope bound as `:scope`. It must agree with [`shared::access::access`]; the
/// authorization-matrix test checks that it does, for every role and kind of document.
pub(crate) fn readable(role: Role) -> &'static str {
    match role {
        Role::DistrictAdmin => "(1 OR :scope IS NULL)",
        Role::Deputy | Role::StationStaff => {
            "(d.kind IN ('district', 'subdistrict', 'consultation') OR d.station = :scope)"
        }
        Role::SubdistrictCoordinator => {
            "(d.kind IN ('district', 'subdistrict', 'consultation')
              OR d.station IN (SELECT id FROM stations WHERE subdistrict_id = :scope))"
        }
        Role::Department => {
            "(d.kind IN ('district', 'subdistrict', 'consultation') OR d.department = :scope)"
        }
    }
}

impl SqliteStorage {
    pub fn open(path: &Path) -> Result<SqliteStorage, StorageError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Deleted content is overwritten, so an erased record key leaves no copy behind.
        conn.pragma_update(None, "secure_delete", "ON")?;
        Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect()).to_latest(&mut conn)?;
        backfill_doc_scopes(&conn)?;
        backfill_change_actors(&mut conn)?;
        Ok(SqliteStorage {
            conn: Arc::new(Mutex::new(conn)),
            quotas: Quotas::default(),
            sessions: Arc::default(),
            public: Arc::default(),
        })
    }

    /// The same storage with other quotas.
    pub fn with_quotas(self, quotas: Quotas) -> SqliteStorage {
        SqliteStorage { quotas, ..self }
    }

    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, SessionCache> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A session ended: nothing found before is believed any longer.
    fn forget_sessions(&self) {
        self.sessions().clear();
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
        let scopes_known: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM stations)", [], |r| r.get(0))?;
        if exists.is_some() && scopes_known {
            return Ok(false);
        }
        // The scope tables follow the directory loaded; a database from before accounts
        // (directory loaded, tables empty) gets them filled from the same data.
        write_scope_tables(&tx, dir)?;
        if exists.is_some() {
            tx.commit()?;
            return Ok(false);
        }
        for (id, mut d) in doc::directory_documents(dir)? {
            let doc_id = id.to_string();
            insert_doc(&tx, &id)?;
            for c in &d.get_changes(&[]) {
                insert_change(&tx, &doc_id, c, SERVER_DEVICE, NewActor::Binds)?.map_err(
                    |reason| StorageError::Refused {
                        doc_id: doc_id.clone(),
                        reason,
                    },
                )?;
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// Loads `dir` as the directory (streets and towns, stations, staff, deputies,
    /// departments, campaigns, drafts): new records are added and changed ones updated
    /// in the reference documents, as changes every device receives with its next sync,
    /// and the tables scopes are checked against follow. Records missing from `dir` stay
    /// (a station that closed keeps its history). Returns how many changes were written
    /// (none when nothing differs).
    pub fn load_directory(&self, dir: &Directory) -> Result<usize, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let ids: Vec<String> = tx
            .prepare(
                "SELECT id FROM docs WHERE kind IN ('district', 'subdistrict', 'consultation')",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        // One new actor per load: its changes can never reuse another's numbers.
        let actor = automerge::ActorId::random();
        let mut docs = std::collections::BTreeMap::new();
        let mut before = std::collections::HashMap::new();
        for id in ids {
            let Some(doc_id) = DocId::parse(&id) else {
                continue;
            };
            let mut doc = server_document(&tx, &id)?;
            doc.set_actor(actor.clone());
            before.insert(doc_id.clone(), doc.get_heads());
            docs.insert(doc_id, doc);
        }
        doc::write_directory(dir, &mut docs, || {
            AutoCommit::new().with_actor(actor.clone())
        })?;
        let mut written = 0;
        for (id, mut doc) in docs {
            let heads = before.get(&id).cloned().unwrap_or_default();
            let changes = doc.get_changes(&heads);
            if changes.is_empty() {
                continue;
            }
            insert_doc(&tx, &id)?;
            for c in &changes {
                insert_change(&tx, &id.to_string(), c, SERVER_DEVICE, NewActor::Binds)?.map_err(
                    |reason| StorageError::Refused {
                        doc_id: id.to_string(),
                        reason,
                    },
                )?;
                written += 1;
            }
        }
        write_scope_tables(&tx, dir)?;
        tx.commit()?;
        Ok(written)
    }

    /// See [`Storage::sync`]. The lock is held only to read and write the database:
    /// changes are decoded before, and documents built after (a bootstrap) or before
    /// (records checked) it.
    pub fn sync(&self, caller: &Caller, req: &SyncRequest) -> Result<SyncResponse, StorageError> {
        if req.device_id != caller.device_id {
            return Err(StorageError::BadRequest(
                "the device id is not the one this session was opened for".into(),
            ));
        }
        let decoded = crate::wire::decode_changes(req)?;
        crate::storage::keys::check_form(&req.keys)?;
        self.check_pushed_records(caller, &decoded)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut acknowledged = Vec::with_capacity(decoded.len());
        for (wire, (id, change)) in req.changes.iter().zip(&decoded) {
            let refused = |reason| StorageError::Refused {
                doc_id: wire.doc_id.clone(),
                reason,
            };
            match doc_access(&tx, &caller.account, id) {
                // The same answer whether or not the document exists.
                Access::None => return Err(refused(Refusal::NotFound)),
                Access::Read => return Err(refused(Refusal::ReadOnly)),
                Access::Write => {}
            }
            insert_doc(&tx, id)?;
            insert_change(&tx, &wire.doc_id, change, &req.device_id, NewActor::Binds)?
                .map_err(refused)?;
            acknowledged.push(Ack {
                doc_id: wire.doc_id.clone(),
                hash: change.hash().to_string(),
            });
        }
        let acknowledged_keys = crate::storage::keys::push(&tx, caller, &req.keys)?;
        let erased = acknowledged_keys.iter().any(|a| a.erased);
        let (keys, key_cursor, more_keys) =
            crate::storage::keys::pull(&tx, &caller.account, req.key_cursor)?;
        let with_keys = |mut r: SyncResponse| {
            r.acknowledged_keys = acknowledged_keys;
            r.keys = keys;
            r.key_cursor = key_cursor;
            r.more |= more_keys;
            r
        };

        if req.cursor == 0 {
            let upto = match &req.bootstrap {
                Some(b) => b.upto,
                None => max_readable_seq(&tx, &caller.account)?,
            };
            if upto > 0 {
                let after = req.bootstrap.as_ref().map_or("", |b| b.after.as_str());
                let page = bootstrap_page(&tx, &caller.account, upto, after)?;
                tx.commit()?;
                if erased {
                    shared::store::forget_erased_pages(&conn);
                }
                drop(conn);
                return page.finish(acknowledged).map(with_keys);
            }
        }
        let mut stmt = tx.prepare_cached(&format!(
            // The documents written since the cursor first, then each one's changes
            // after it by index: the changes of documents the caller does not read are
            // never visited, and an idle sync visits nothing.
            "SELECT c.seq, c.doc_id, d.kind, c.bytes
             FROM docs d INDEXED BY docs_last_seq CROSS JOIN changes c ON c.doc_id = d.id
             WHERE d.last_seq > :cursor AND c.seq > :cursor AND c.device_id != :device
               AND {}
             ORDER BY c.seq LIMIT :limit",
            readable(caller.account.role)
        ))?;
        let mut rows = stmt.query(named_params! {
            ":cursor": cursor_param(req.cursor),
            ":device": req.device_id,
            ":limit": (MAX_CHANGES_PER_RESPONSE + 1) as i64,
            ":scope": caller.account.scope_id,
        })?;
        let mut changes = Vec::new();
        let (mut bytes, mut last_seq, mut more) = (0usize, None, false);
        while let Some(row) = rows.next()? {
            let change = WireChange {
                doc_id: row.get(1)?,
                kind: row.get(2)?,
                bytes: row.get(3)?,
            };
            if changes.len() == MAX_CHANGES_PER_RESPONSE
                || (!changes.is_empty() && bytes + change.bytes.len() > MAX_RESPONSE_BYTES)
            {
                more = true;
                break;
            }
            bytes += change.bytes.len();
            last_seq = Some(row.get::<_, i64>(0)?);
            changes.push(change);
        }
        drop(rows);
        drop(stmt);
        let cursor = match last_seq {
            Some(seq) if more => seq as u64,
            // Everything after the cursor that the caller reads is in `changes` or is
            // its own. The cursor moves to the last change the caller reads, never past
            // others' writes it cannot see: how often they write is not its business.
            _ => max_readable_seq(&tx, &caller.account)?.max(req.cursor),
        };
        tx.commit()?;
        if erased {
            shared::store::forget_erased_pages(&conn);
        }
        Ok(with_keys(SyncResponse {
            acknowledged,
            cursor,
            changes,
            more,
            ..SyncResponse::default()
        }))
    }

    /// Checks the records that `decoded` touches in documents whose records are checked
    /// ([`shared::validate`]), against each document as stored: read under the lock,
    /// built and checked without it. The caller must write each document (checked
    /// first, so a refusal says no more than the scope check would).
    fn check_pushed_records(
        &self,
        caller: &Caller,
        decoded: &[(DocId, Change)],
    ) -> Result<(), StorageError> {
        let mut by_doc: std::collections::BTreeMap<String, (DocId, Vec<Change>)> =
            std::collections::BTreeMap::new();
        for (id, change) in decoded {
            if shared::validate::checked(id.family()) {
                by_doc
                    .entry(id.to_string())
                    .or_insert_with(|| (id.clone(), vec![]))
                    .1
                    .push(change.clone());
            }
        }
        for (doc_id, (id, changes)) in by_doc {
            let stored = {
                let conn = self.conn();
                check_doc_access(&conn, caller, &doc_id, Access::Write)?;
                stored_changes(&conn, &doc_id)?
            };
            let mut doc = build_document(stored)?;
            let before = doc.get_heads();
            crate::wire::unpanicked("a change", || doc.apply_changes(changes))?
                .map_err(|e| StorageError::BadRequest(format!("{doc_id}: {e}")))?;
            self.check_records(&id, &mut doc, &before)?;
        }
        Ok(())
    }

    /// Checks the records of `doc` (document `id`) touched since `before`.
    fn check_records(
        &self,
        id: &DocId,
        doc: &mut AutoCommit,
        before: &[automerge::ChangeHash],
    ) -> Result<(), StorageError> {
        if !shared::validate::checked(id.family()) {
            return Ok(());
        }
        let doc_id = id.to_string();
        if !doc.get_missing_deps(&[]).is_empty() {
            return Err(StorageError::BadRequest(format!(
                "{doc_id}: a change depends on one the server does not have"
            )));
        }
        let keys = shared::validate::touched_keys(doc, before);
        // Answers are checked against the station's referrals to the department.
        let referral_docs = match id {
            DocId::Answers {
                department,
                station,
                ..
            } => {
                let raw: Vec<Vec<Vec<u8>>> = {
                    let conn = self.conn();
                    let ids: Vec<String> = conn
                        .prepare_cached(
                            "SELECT id FROM docs
                             WHERE kind = 'referrals' AND department = ?1 AND station = ?2",
                        )?
                        .query_map(params![department, station], |r| r.get(0))?
                        .collect::<Result<_, _>>()?;
                    ids.iter()
                        .map(|id| stored_changes(&conn, id))
                        .collect::<Result<_, _>>()?
                };
                raw.into_iter()
                    .map(build_document)
                    .collect::<Result<Vec<_>, _>>()?
            }
            _ => vec![],
        };
        let mut referral = |rid: &str| {
            referral_docs.iter().find_map(|d| {
                shared::doc::read_record::<shared::model::Referral>(d, rid)
                    .ok()
                    .flatten()
            })
        };
        shared::validate::check_records(id, doc, &keys, &mut referral).map_err(|invalid| {
            StorageError::InvalidRecord {
                doc_id,
                record: invalid.record,
                reason: invalid.reason,
            }
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

    /// Every station's id, sorted.
    pub fn station_ids(&self) -> Result<Vec<String>, StorageError> {
        Ok(self
            .conn()
            .prepare("SELECT id FROM stations ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }

    /// Number of stored changes (for tests and the admin CLI).
    pub fn change_count(&self) -> Result<u64, StorageError> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM changes", [], |r| r.get::<_, i64>(0))?
            .unsigned_abs())
    }
}

/// Account administration (the admin CLI and tests): not part of [`Storage`], which is
/// what the HTTP handlers need.
impl SqliteStorage {
    /// Creates an account with `password` (Argon2id-hashed here). The scope must name a
    /// station, street/town or department the server knows, as the role requires.
    pub fn create_account(&self, new: &NewAccount, password: &str) -> Result<(), StorageError> {
        let username = new.username.trim();
        if !(3..=32).contains(&username.len())
            || !username
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        {
            return Err(StorageError::BadRequest(
                "a user name is 3–32 of a–z, 0–9, '.', '_' and '-'".into(),
            ));
        }
        let display_name = new.display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 40 {
            return Err(StorageError::BadRequest(
                "a display name has 1–40 characters".into(),
            ));
        }
        let hash = crate::auth::hash_password(password)?;
        let conn = self.conn();
        let scope = new.scope_id.as_deref();
        let exists = |sql: &str, id: &str| -> Result<bool, StorageError> {
            Ok(conn.query_row(sql, [id], |_| Ok(())).optional()?.is_some())
        };
        let known = match (new.role.scope_kind(), scope) {
            (ScopeKind::District, None) => true,
            (ScopeKind::Station, Some(id)) => exists("SELECT 1 FROM stations WHERE id = ?1", id)?,
            (ScopeKind::Subdistrict, Some(id)) => exists(
                "SELECT 1 FROM stations WHERE subdistrict_id = ?1 LIMIT 1",
                id,
            )?,
            (ScopeKind::Department, Some(id)) => {
                exists("SELECT 1 FROM departments WHERE id = ?1", id)?
            }
            _ => false,
        };
        if !known {
            return Err(StorageError::BadRequest(format!(
                "a {} account needs {}",
                new.role.as_str(),
                match new.role.scope_kind() {
                    ScopeKind::District => "no scope",
                    ScopeKind::Station => "the id of a known station",
                    ScopeKind::Subdistrict => "the id of a known street or town",
                    ScopeKind::Department => "the id of a known department",
                }
            )));
        }
        if new.deputy_id.is_some() && new.role != Role::Deputy {
            return Err(StorageError::BadRequest(
                "only a deputy's account names a deputy".into(),
            ));
        }
        let inserted = conn.execute(
            "INSERT OR IGNORE INTO accounts
                 (username, display_name, role, scope_id, deputy_id, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                username,
                display_name,
                new.role.as_str(),
                scope,
                new.deputy_id,
                hash,
                chrono::Utc::now().timestamp()
            ],
        )?;
        if inserted == 0 {
            return Err(StorageError::Conflict(format!("{username} exists")));
        }
        Ok(())
    }

    /// Disables an account: its devices are signed out at once and it cannot sign in.
    pub fn disable_account(&self, username: &str) -> Result<(), StorageError> {
        self.update_account_and_sign_out(username, "disabled = 1", None)
    }

    /// Sets a new password; every device of the account must sign in again.
    pub fn reset_password(&self, username: &str, password: &str) -> Result<(), StorageError> {
        let hash = crate::auth::hash_password(password)?;
        self.update_account_and_sign_out(username, "password_hash = ?2", Some(&hash))
    }

    /// Sets `set` (SQL, with the value as `?2`) on `username`'s account and ends all of
    /// its sessions, in one transaction.
    fn update_account_and_sign_out(
        &self,
        username: &str,
        set: &str,
        value: Option<&str>,
    ) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let id = account_id(&tx, username)?;
        match value {
            Some(v) => tx.execute(
                &format!("UPDATE accounts SET {set} WHERE id = ?1"),
                params![id, v],
            )?,
            None => tx.execute(&format!("UPDATE accounts SET {set} WHERE id = ?1"), [id])?,
        };
        tx.execute(
            "UPDATE sessions SET revoked = 1 WHERE account_id = ?1",
            [id],
        )?;
        tx.commit()?;
        drop(conn);
        self.forget_sessions();
        Ok(())
    }

    /// Every account, with whether it is disabled.
    pub fn accounts(&self) -> Result<Vec<(Account, bool)>, StorageError> {
        let conn = self.conn();
        let mut q = conn.prepare(&format!(
            "SELECT {ACCOUNT_COLUMNS}, disabled FROM accounts ORDER BY username"
        ))?;
        let rows = q
            .query_map([], |r| Ok((account_row(r)?, r.get::<_, bool>(5)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The devices signed in (or once signed in) to `username`, or to any account.
    pub fn devices(&self, username: Option<&str>) -> Result<Vec<DeviceSession>, StorageError> {
        let conn = self.conn();
        let mut q = conn.prepare(
            "SELECT a.username, s.device_id, s.device_name, s.created_at, s.last_seen,
                    s.expires_at, s.revoked
             FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE ?1 IS NULL OR a.username = ?1
             ORDER BY a.username, s.created_at",
        )?;
        let rows = q
            .query_map([username], |r| {
                Ok(DeviceSession {
                    username: r.get(0)?,
                    device_id: r.get(1)?,
                    device_name: r.get(2)?,
                    created_at: r.get(3)?,
                    last_seen: r.get(4)?,
                    expires_at: r.get(5)?,
                    revoked: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Signs a device out of every account (a lost phone). Returns how many sessions ended.
    pub fn revoke_device(&self, device_id: &str) -> Result<usize, StorageError> {
        let ended = self.conn().execute(
            "UPDATE sessions SET revoked = 1 WHERE device_id = ?1 AND revoked = 0",
            [device_id],
        )?;
        self.forget_sessions();
        Ok(ended)
    }
}

fn account_id(conn: &Connection, username: &str) -> Result<i64, StorageError> {
    conn.query_row(
        "SELECT id FROM accounts WHERE username = ?1",
        [username],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StorageError::NotFound(format!("no account {username}")))
}

/// One page of a bootstrap as read from the database: each document's stored changes.
/// [`BootstrapPage::finish`] builds the documents, without the lock.
struct BootstrapPage {
    raw: Vec<(String, String, Vec<Vec<u8>>)>,
    upto: u64,
    /// Documents are left after this page (the last one sent is the next's start).
    more_documents: bool,
    /// Changes are waiting after `upto` (the last page only).
    more_changes: bool,
}

impl BootstrapPage {
    fn finish(self, acknowledged: Vec<Ack>) -> Result<SyncResponse, StorageError> {
        let after = self
            .raw
            .last()
            .map(|(id, _, _)| id.clone())
            .unwrap_or_default();
        let (documents, changes) = save_documents(self.raw)?;
        if self.more_documents {
            return Ok(SyncResponse {
                acknowledged,
                cursor: 0,
                documents,
                changes,
                more: true,
                bootstrap: Some(Bootstrap {
                    upto: self.upto,
                    after,
                }),
                ..SyncResponse::default()
            });
        }
        Ok(SyncResponse {
            acknowledged,
            cursor: self.upto,
            documents,
            changes,
            more: self.more_changes,
            ..SyncResponse::default()
        })
    }
}

/// The next page of a bootstrap: whole documents in id order after `after`, at most
/// [`MAX_DOCUMENTS_PER_RESPONSE`] and about [`MAX_RESPONSE_BYTES`] of changes. The last
/// page moves the cursor to `upto`: every change up to it is in some document sent.
fn bootstrap_page(
    tx: &Connection,
    account: &Account,
    upto: u64,
    after: &str,
) -> Result<BootstrapPage, StorageError> {
    let ids: Vec<(String, String)> = tx
        .prepare_cached(&format!(
            "SELECT d.id, d.kind FROM docs d WHERE d.id > :after AND {} ORDER BY d.id
             LIMIT :limit",
            readable(account.role)
        ))?
        .query_map(
            named_params! {
                ":after": after,
                ":limit": (MAX_DOCUMENTS_PER_RESPONSE + 1) as i64,
                ":scope": account.scope_id,
            },
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<Result<_, _>>()?;
    let mut more_documents = false;
    let mut raw = Vec::with_capacity(ids.len());
    let mut bytes = 0usize;
    for (doc_id, kind) in ids {
        if raw.len() == MAX_DOCUMENTS_PER_RESPONSE
            || (!raw.is_empty() && bytes > MAX_RESPONSE_BYTES)
        {
            more_documents = true;
            break;
        }
        let changes = stored_changes(tx, &doc_id)?;
        bytes += changes.iter().map(Vec::len).sum::<usize>();
        raw.push((doc_id, kind, changes));
    }
    let more_changes = !more_documents && max_readable_seq(tx, account)? > upto;
    Ok(BootstrapPage {
        raw,
        upto,
        more_documents,
        more_changes,
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

/// Records a document (if new) with the station and department its id names, which the
/// read filter checks.
pub(crate) fn insert_doc(tx: &Connection, id: &DocId) -> Result<(), StorageError> {
    let (station, department) = doc_scope_columns(id);
    tx.prepare_cached(
        "INSERT OR IGNORE INTO docs (id, kind, station, department) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        id.to_string(),
        id.family().as_str(),
        station,
        department
    ])?;
    Ok(())
}

fn doc_scope_columns(id: &DocId) -> (Option<&str>, Option<&str>) {
    match id {
        DocId::Station { station, .. } => (Some(station), None),
        DocId::Referrals {
            station,
            department,
            ..
        }
        | DocId::Answers {
            station,
            department,
            ..
        } => (Some(station), Some(department)),
        DocId::District | DocId::Subdistrict(_) | DocId::Consultation(_) => (None, None),
    }
}

/// Databases from before accounts: fills in each document's station and department.
fn backfill_doc_scopes(conn: &Connection) -> Result<(), StorageError> {
    let ids: Vec<String> = conn
        .prepare(
            "SELECT id FROM docs WHERE station IS NULL
               AND kind IN ('station', 'referrals', 'answers')",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        if let Some(doc) = DocId::parse(&id) {
            let (station, department) = doc_scope_columns(&doc);
            conn.execute(
                "UPDATE docs SET station = ?2, department = ?3 WHERE id = ?1",
                params![id, station, department],
            )?;
        }
    }
    Ok(())
}

/// Whether a new actor becomes the device's that stores a change with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NewActor {
    /// A push: the device's own changes.
    Binds,
    /// A repair, which may relay changes of other devices that a restored server lost:
    /// a new actor stays unbound, for its own device to claim with its next push.
    StaysFree,
}

/// Stores `change` pushed by `device_id` unless the document has it already. Refused
/// (nothing stored) when its actor is another device's, or when the document holds
/// another change with the same actor and sequence number.
pub(crate) fn insert_change(
    tx: &Connection,
    doc_id: &str,
    change: &Change,
    device_id: &str,
    new_actor: NewActor,
) -> Result<Result<(), Refusal>, StorageError> {
    let hash = change.hash().to_string();
    let actor = change.actor_id().to_bytes();
    let seq = i64::try_from(change.seq()).unwrap_or(i64::MAX);
    let held: Option<String> = tx
        .prepare_cached(
            "SELECT hash FROM changes WHERE doc_id = ?1 AND actor = ?2 AND actor_seq = ?3",
        )?
        .query_row(params![doc_id, actor, seq], |r| r.get(0))
        .optional()?;
    if held.as_deref() == Some(hash.as_str()) {
        return Ok(Ok(())); // A retry: stored already.
    }
    let owner: Option<String> = tx
        .prepare_cached("SELECT device_id FROM device_actors WHERE actor = ?1")?
        .query_row([actor], |r| r.get(0))
        .optional()?;
    match owner {
        Some(owner) if owner != device_id => return Ok(Err(Refusal::ForeignActor)),
        Some(_) => {}
        None if new_actor == NewActor::StaysFree => {}
        None => {
            tx.prepare_cached("INSERT INTO device_actors (actor, device_id) VALUES (?1, ?2)")?
                .execute(params![actor, device_id])?;
        }
    }
    if held.is_some() {
        return Ok(Err(Refusal::SequenceReused));
    }
    let stored = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO changes (doc_id, hash, device_id, bytes, actor, actor_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            doc_id,
            hash,
            device_id,
            change.raw_bytes(),
            actor,
            seq
        ])?;
    if stored > 0 {
        tx.prepare_cached("UPDATE docs SET last_seq = ?2 WHERE id = ?1")?
            .execute(params![doc_id, tx.last_insert_rowid()])?;
    }
    Ok(Ok(()))
}

/// The tables scopes are checked against, from `dir`: each station's street or town,
/// and the departments.
fn write_scope_tables(tx: &Connection, dir: &Directory) -> Result<(), StorageError> {
    for station in &dir.stations {
        tx.execute(
            "INSERT OR REPLACE INTO stations (id, subdistrict_id) VALUES (?1, ?2)",
            params![station.id, station.subdistrict_id],
        )?;
    }
    for department in &dir.departments {
        tx.execute(
            "INSERT OR IGNORE INTO departments (id) VALUES (?1)",
            [&department.id],
        )?;
    }
    Ok(())
}

/// Fills `changes.actor`/`actor_seq` of rows stored before they existed (once).
fn backfill_change_actors(conn: &mut Connection) -> Result<(), StorageError> {
    // In batches, so a large database is not read into memory at once.
    let mut after = 0i64;
    loop {
        let tx = conn.transaction()?;
        let rows: Vec<(i64, Vec<u8>)> = tx
            .prepare(
                "SELECT seq, bytes FROM changes WHERE seq > ?1 AND actor IS NULL
                 ORDER BY seq LIMIT 1000",
            )?
            .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let Some((last, _)) = rows.last() else {
            return Ok(());
        };
        after = *last;
        for (row, bytes) in rows {
            // Every stored change was decoded before it was stored.
            let Ok(change) = Change::from_bytes(bytes) else {
                continue;
            };
            tx.execute(
                "UPDATE changes SET actor = ?2, actor_seq = ?3 WHERE seq = ?1",
                params![
                    row,
                    change.actor_id().to_bytes(),
                    i64::try_from(change.seq()).unwrap_or(i64::MAX)
                ],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO device_actors (actor, device_id)
                 SELECT actor, device_id FROM changes WHERE seq = ?1",
                [row],
            )?;
        }
        tx.commit()?;
    }
}

/// Cursors are SQLite row ids, which fit in an i64; a larger cursor is past every row.
fn cursor_param(cursor: u64) -> i64 {
    i64::try_from(cursor).unwrap_or(i64::MAX)
}

/// The demo district's year of records (the admin commands `load-demo` and
/// `demo-accounts`).
impl SqliteStorage {
    /// Writes `records` (a generated year, [`shared::demo::haidian::year`]) as the
    /// server's own changes, one per document (a station's month, a department's
    /// referrals or answers of a station's year), with the keys of the voters' contact
    /// details sealed into them, if the server holds no station document yet. Every
    /// station and department the records name must be in the directory loaded; nothing
    /// is written otherwise. Returns how many documents were written (none when the
    /// server holds station documents already).
    pub fn load_records_if_missing(
        &self,
        records: &shared::demo::haidian::YearRecords,
    ) -> Result<usize, StorageError> {
        if has_station_documents(&self.conn())? {
            return Ok(0);
        }
        // Built before taking the lock: thousands of documents take a while.
        let year = shared::demo::documents::year_documents(records)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if has_station_documents(&tx)? {
            return Ok(0);
        }
        let known = |table: &str| -> Result<std::collections::HashSet<String>, StorageError> {
            Ok(tx
                .prepare(&format!("SELECT id FROM {table}"))?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?)
        };
        let (stations, departments) = (known("stations")?, known("departments")?);
        let written = year.documents.len();
        for (id, mut d) in year.documents {
            let (station, department) = doc_scope_columns(&id);
            if let Some(s) = station.filter(|s| !stations.contains(*s)) {
                return Err(StorageError::BadRequest(format!(
                    "the records name station {s}, which the directory loaded does not have"
                )));
            }
            if let Some(x) = department.filter(|x| !departments.contains(*x)) {
                return Err(StorageError::BadRequest(format!(
                    "the records name department {x}, which the directory loaded does not have"
                )));
            }
            let doc_id = id.to_string();
            insert_doc(&tx, &id)?;
            for c in &d.get_changes(&[]) {
                insert_change(&tx, &doc_id, c, SERVER_DEVICE, NewActor::Binds)?.map_err(
                    |reason| StorageError::Refused {
                        doc_id: doc_id.clone(),
                        reason,
                    },
                )?;
            }
        }
        for (id, key_id, key) in &year.keys {
            crate::storage::keys::give(&tx, key_id, &id.to_string(), key)?;
        }
        tx.commit()?;
        Ok(written)
    }
}

fn has_station_documents(conn: &Connection) -> Result<bool, StorageError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM docs WHERE kind = 'station')",
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable as _;

    /// Changes stored before the server kept actors get them at the next start, so a
    /// reuse of their sequence numbers is refused too.
    #[test]
    fn changes_from_before_actors_were_kept_are_checked_for_reuse() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let change = |text: &str| {
            let mut doc = AutoCommit::new().with_actor(automerge::ActorId::from(vec![7u8; 16]));
            doc.put(automerge::ROOT, "note", text).unwrap();
            doc.get_last_local_change().unwrap().clone()
        };
        let id = DocId::parse("station/st-a/2026-11").unwrap();
        {
            let storage = SqliteStorage::open(&path).unwrap();
            let conn = storage.conn();
            insert_doc(&conn, &id).unwrap();
            // As an older server stored it: no actor, no sequence number.
            conn.execute(
                "INSERT INTO changes (doc_id, hash, device_id, bytes) VALUES (?1, ?2, 'd', ?3)",
                params![
                    id.to_string(),
                    change("first").hash().to_string(),
                    change("first").raw_bytes()
                ],
            )
            .unwrap();
        }
        let storage = SqliteStorage::open(&path).unwrap();
        let conn = storage.conn();
        assert_eq!(
            insert_change(
                &conn,
                &id.to_string(),
                &change("first"),
                "d",
                NewActor::Binds
            )
            .unwrap(),
            Ok(())
        );
        assert_eq!(
            insert_change(
                &conn,
                &id.to_string(),
                &change("second"),
                "d",
                NewActor::Binds
            )
            .unwrap(),
            Err(Refusal::SequenceReused)
        );
    }

    /// A station staff member of station `st-a` on `device`.
    fn station_staff(device: &str) -> Caller {
        Caller {
            account: Account {
                username: "u".into(),
                display_name: "u".into(),
                role: Role::StationStaff,
                scope_id: Some("st-a".into()),
                deputy_id: None,
            },
            device_id: device.into(),
        }
    }

    /// After a restore, one device's repair can carry another's changes the server lost:
    /// they are stored, but their actor stays the other device's to claim, so that
    /// device's next push is not refused as a foreign actor.
    #[test]
    fn a_repair_that_relays_another_devices_change_leaves_its_actor_free() {
        use automerge::sync::{Message, State, SyncDoc as _};
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("server.db")).unwrap();
        let caller = station_staff;
        let doc_id = "station/st-a/2026-11".to_owned();
        let x = automerge::ActorId::random();
        let mut relayed = AutoCommit::new().with_actor(x.clone());
        relayed.put(automerge::ROOT, "note", "from x").unwrap();
        relayed.commit();
        // Device y runs the sync protocol with the server, carrying x's change.
        let mut state = State::new();
        loop {
            let Some(message) = relayed.sync().generate_sync_message(&mut state) else {
                break;
            };
            let reply = storage
                .repair(
                    &caller("y"),
                    &RepairRequest {
                        doc_id: doc_id.clone(),
                        message: message.encode(),
                    },
                )
                .unwrap();
            let Some(reply) = reply.message else { break };
            relayed
                .sync()
                .receive_sync_message(&mut state, Message::decode(&reply).unwrap())
                .unwrap();
        }
        assert_eq!(storage.change_count().unwrap(), 1);
        // x's own next change is x's.
        let mut own = relayed.fork().with_actor(x);
        own.put(automerge::ROOT, "note", "x again").unwrap();
        own.commit();
        let bytes = own.get_last_local_change().unwrap().raw_bytes().to_vec();
        let response = storage
            .sync(
                &caller("x"),
                &SyncRequest {
                    device_id: "x".into(),
                    cursor: 0,
                    changes: vec![WireChange {
                        doc_id: doc_id.clone(),
                        kind: "station".into(),
                        bytes,
                    }],
                    bootstrap: None,
                    key_cursor: 0,
                    keys: Vec::new(),
                },
            )
            .unwrap();
        assert_eq!(response.acknowledged.len(), 1);
        assert_eq!(storage.change_count().unwrap(), 2);
    }

    /// An upload left unfinished for over a week is dropped by the next upload.
    #[test]
    fn abandoned_uploads_are_dropped_after_a_week() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("server.db")).unwrap();
        let caller = station_staff("d");
        let doc_id = "station/st-a/2026-11".to_owned();
        insert_doc(&storage.conn(), &DocId::parse(&doc_id).unwrap()).unwrap();
        let chunk = |size: u64| ChunkQuery {
            doc_id: doc_id.clone(),
            size,
            offset: 0,
        };
        let old = "a".repeat(64);
        let fresh = "b".repeat(64);
        storage
            .upload_chunk(&caller, &old, &chunk(100), &[1; 10])
            .unwrap();
        let held = |hash: &str| {
            storage
                .upload_state(&caller, hash, &doc_id)
                .unwrap()
                .received
        };
        assert_eq!(held(&old), 10);
        storage
            .conn()
            .execute(
                "UPDATE upload_chunks SET received_at = received_at - ?1",
                [UPLOAD_KEPT_SECS + 1],
            )
            .unwrap();
        storage
            .upload_chunk(&caller, &fresh, &chunk(100), &[2; 10])
            .unwrap();
        assert_eq!(held(&old), 0, "the abandoned upload is gone");
        assert_eq!(held(&fresh), 10);
    }

    /// SHA-256 of the text of every migration that has shipped, in order. Add the hash
    /// of a new migration when it ships; never change one.
    const SHIPPED: &[&str] = &[
        "faa487768a28dd9e230a4fc60e8c9821d3c7f653d1a61774015505bf58621610",
        "8918247ffc4ab37ffcab55b8bdef19f8bb1de15064a3c800cdf5a619836e474e",
        "1812f2915f006fab446b5f059272188a733139438515afa04ae22d242a3e823a",
        "02fc93975f5e2bc6a2792af01d35bf109375cf0602a791c5cbf66ebd9cbd6b89",
        "7b8c8557cdb7a3d8c9fd231b0fb7023254cace09faeb70cfe24057a5d678aa41",
        "1bb62ee49ebf9add40a679782223b4d89037956a7a002bdbd553639d6357272e",
        "1da9ea9f4b369d4a46234d27aad66a7456b63c27fe7ee98d91d3a5bccfaa3861",
    ];

    #[test]
    fn a_shipped_migration_never_changes() {
        shared::store::migrations_as_shipped(MIGRATIONS, SHIPPED).unwrap();
    }
}
