//! Server storage: the sync protocol's use cases ([`Store`], what the handlers call)
//! over a narrow database interface ([`backend::Backend`]), with SQLite as the
//! embedded backend ([`sqlite::Sqlite`]).
//!
//! - `sync`: pushes (records checked, actors and sequence numbers), pulls, bootstrap;
//! - `repair`: heads and Automerge's sync protocol on one document;
//! - `photos`: uploads in chunks, quotas, downloads by byte range;
//! - `sessions`: sign-in, sessions, account administration;
//! - `keys`: record keys;
//! - `directory`: the reference documents and the scope tables, the demo year.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use shared::access::access;
use shared::doc::DocId;
use shared::model::{Access, Account, Role};

pub mod backend;
mod directory;
mod docs;
pub(crate) mod keys;
pub mod migrate;
mod photos;
pub mod postgres;
mod repair;
mod sessions;
mod sql;
pub mod sqlite;
mod sync;

pub use backend::{Backend, Tx};
pub(crate) use directory::store_server_changes;
pub use docs::CACHED_BYTES;
pub use postgres::Postgres;
pub use sqlite::Sqlite;

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
        match e {
            crate::wire::WireError::Malformed(_) => StorageError::BadRequest(e.to_string()),
            crate::wire::WireError::TooLarge { .. } | crate::wire::WireError::TooManyOps { .. } => {
                StorageError::TooLarge(e.to_string())
            }
        }
    }
}

/// The one error type of the storage layer; `api` maps it to HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A request that would take more than its limits allow (inflated bytes,
    /// operations): refused the moment it passes them.
    #[error("too large: {0}")]
    TooLarge(String),
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
    /// The database failed (its message names no voter data; it is logged, not sent).
    #[error("database: {0}")]
    Backend(BackendError),
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

/// Callers by token hash, each with the time (unix seconds) it may be believed until.
type SessionCache = HashMap<Vec<u8>, (Caller, i64)>;

/// How long a found session is believed without the database (seconds). A device
/// signed out, or an account disabled, by another process (the admin commands) is
/// refused at the latest this much later; in this process, at once.
pub const SESSION_CACHE_SECS: i64 = 30;

/// A database error, in terms of no engine.
#[derive(Debug)]
pub struct BackendError {
    /// The database is busy or out of reach (a retry may work): 503, not 500.
    pub unavailable: bool,
    pub message: String,
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Where the server keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (created if missing), for one server process: the embedded default.
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://…`), which several server instances share, with
    /// at most `pool` connections from each.
    Postgres { url: String, pool: usize },
}

impl Database {
    /// Connections each instance keeps to PostgreSQL at most, by default: about the
    /// blocking work it runs at once.
    pub const DEFAULT_POOL: usize = 16;

    /// A `postgres://` (or `postgresql://`) URL, or else the path of an SQLite file.
    pub fn parse(text: &str) -> Database {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Database::Postgres {
                url: text.to_owned(),
                pool: Database::DEFAULT_POOL,
            }
        } else {
            Database::Sqlite(PathBuf::from(text))
        }
    }

    /// For tests that run on either backend: the SQLite file `path`, or, when
    /// `JIAZHAN_TEST_BACKEND=postgres`, a new empty database in the test cluster
    /// ([`crate::pg_cluster`]; `.ci/test.sh` starts one and names it in
    /// `JIAZHAN_TEST_PG`, otherwise one is started for the test process).
    #[cfg(any(test, feature = "test-support"))]
    pub fn for_tests(path: PathBuf) -> Database {
        if std::env::var("JIAZHAN_TEST_BACKEND").as_deref() != Ok("postgres") {
            return Database::Sqlite(path);
        }
        static CLUSTER: std::sync::OnceLock<crate::pg_cluster::PgCluster> =
            std::sync::OnceLock::new();
        let cluster = CLUSTER.get_or_init(|| {
            crate::pg_cluster::PgCluster::start().expect("a PostgreSQL cluster for the tests")
        });
        Database::Postgres {
            url: cluster
                .fresh_database()
                .expect("a fresh database for a test"),
            pool: 8,
        }
    }

    /// The file's path or the URL, as `--db` takes it.
    pub fn location(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres { url, .. } => url.clone(),
        }
    }

    /// What a person reads in logs: the file, or the URL without a password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres { url, .. } => match url::Url::parse(url) {
                Ok(mut u) => {
                    let _ = u.set_password(None);
                    u.to_string()
                }
                Err(_) => "postgres://…".into(),
            },
        }
    }
}

impl From<PathBuf> for Database {
    fn from(path: PathBuf) -> Database {
        Database::Sqlite(path)
    }
}

/// The protocol over a database: what the server runs. Cloning shares everything.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    quotas: Quotas,
    /// Sessions recently found, by token hash, with the time (unix seconds) each may be
    /// believed until. Emptied whenever a session ends in this process.
    sessions: Arc<Mutex<SessionCache>>,
    /// Documents kept in memory between requests.
    docs: Arc<docs::DocCache>,
}

/// The server over SQLite (the embedded default; the name older callers know).
pub type SqliteStorage = Store;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// The server over the SQLite file at `path` (created if missing).
    pub fn open(path: &std::path::Path) -> Result<Store, StorageError> {
        Ok(Store::new(Arc::new(Sqlite::open(path)?)))
    }

    /// The server over `database`, its schema brought to the latest.
    pub fn connect(database: &Database) -> Result<Store, StorageError> {
        Ok(match database {
            Database::Sqlite(path) => Store::new(Arc::new(Sqlite::open(path)?)),
            Database::Postgres { url, pool } => {
                Store::new(Arc::new(postgres::Postgres::connect(url, *pool)?))
            }
        })
    }

    /// The server over `backend`.
    pub fn new(backend: Arc<dyn Backend>) -> Store {
        Store {
            backend,
            quotas: Quotas::default(),
            sessions: Arc::default(),
            docs: Arc::default(),
        }
    }

    /// The same storage with other quotas.
    pub fn with_quotas(self, quotas: Quotas) -> Store {
        Store { quotas, ..self }
    }

    pub fn backend(&self) -> &dyn Backend {
        &*self.backend
    }

    /// Writes a consistent copy of the database to `to` (a new file), while the server
    /// keeps serving (SQLite's online backup).
    pub fn backup_to(&self, to: &std::path::Path) -> Result<(), StorageError> {
        self.backend.backup_to(to)
    }

    /// What `account` may do with document `id`.
    pub(crate) fn doc_access(&self, account: &Account, id: &DocId) -> Result<Access, StorageError> {
        doc_access(&*self.backend.read()?, account, id)
    }

    /// Every station's id, sorted.
    pub fn station_ids(&self) -> Result<Vec<String>, StorageError> {
        self.backend.read()?.station_ids()
    }

    /// The password hash of the enabled account `username`, to check a sign-in against
    /// (outside any lock: Argon2 is slow on purpose), and whether `device_id` has signed
    /// in to the account before.
    pub fn credentials(
        &self,
        username: &str,
        device_id: &str,
    ) -> Result<Option<Credentials>, StorageError> {
        self.backend.read()?.credentials(username, device_id)
    }

    /// Number of stored changes (for tests and the admin CLI).
    pub fn change_count(&self) -> Result<u64, StorageError> {
        self.backend.read()?.change_count()
    }
}

/// What `account` may do with document `id` ([`shared::access::access`], with each
/// station's street or town from the scope tables).
pub(crate) fn doc_access(
    tx: &dyn Tx,
    account: &Account,
    id: &DocId,
) -> Result<Access, StorageError> {
    // A department the directory does not have has no documents, as a station outside
    // every street and town has none for its coordinators.
    if let Some(department) = id.department_id()
        && !tx.department_exists(department)?
    {
        return Ok(Access::None);
    }
    // A database error is an error, never "not found" (a device sets aside what is not
    // found).
    let failed = std::cell::RefCell::new(None);
    let access = access(account, id, |station| {
        tx.subdistrict_of(station).unwrap_or_else(|e| {
            failed.replace(Some(e));
            None
        })
    });
    match failed.into_inner() {
        Some(e) => Err(e),
        None => Ok(access),
    }
}

/// The caller must have `needed` on `doc_id`. A document the caller may not read is, as
/// everywhere, not found.
pub(crate) fn check_doc_access(
    tx: &dyn Tx,
    caller: &Caller,
    doc_id: &str,
    needed: Access,
) -> Result<DocId, StorageError> {
    let id = DocId::parse(doc_id)
        .ok_or_else(|| StorageError::BadRequest(format!("unknown document id {doc_id:?}")))?;
    let refused = |reason| StorageError::Refused {
        doc_id: doc_id.to_owned(),
        reason,
    };
    match (doc_access(tx, &caller.account, &id)?, needed) {
        (Access::None, _) => Err(refused(Refusal::NotFound)),
        (Access::Read, Access::Write) => Err(refused(Refusal::ReadOnly)),
        _ => Ok(id),
    }
}

#[cfg(test)]
mod tests {
    use automerge::AutoCommit;
    use automerge::transaction::Transactable as _;
    use shared::model::Role;
    use shared::protocol::{ChunkQuery, RepairRequest, SyncRequest, WireChange};

    use super::sync::{NewActor, insert_change};
    use super::*;

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
            let db = Sqlite::open(&path).unwrap();
            let tx = db.write().unwrap();
            tx.insert_doc(&id).unwrap();
            tx.commit().unwrap();
            // As an older server stored it: no actor, no sequence number.
            db.with_conn(|conn| {
                conn.execute(
                    "INSERT INTO changes (doc_id, hash, device_id, bytes) VALUES (?1, ?2, 'd', ?3)",
                    rusqlite::params![
                        id.to_string(),
                        change("first").hash().to_string(),
                        change("first").raw_bytes()
                    ],
                )
                .unwrap();
            });
        }
        let storage = SqliteStorage::open(&path).unwrap();
        let tx = storage.backend().write().unwrap();
        let doc_id = id.to_string();
        assert_eq!(
            insert_change(&*tx, &doc_id, &change("first"), "d", NewActor::Binds).unwrap(),
            Ok(())
        );
        assert_eq!(
            insert_change(&*tx, &doc_id, &change("second"), "d", NewActor::Binds).unwrap(),
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
        let db = Arc::new(Sqlite::open(&dir.path().join("server.db")).unwrap());
        let storage = Store::new(db.clone());
        let caller = station_staff("d");
        let doc_id = "station/st-a/2026-11".to_owned();
        let tx = storage.backend().write().unwrap();
        tx.insert_doc(&DocId::parse(&doc_id).unwrap()).unwrap();
        tx.commit().unwrap();
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
        db.with_conn(|conn| {
            conn.execute(
                "UPDATE upload_chunks SET received_at = received_at - ?1",
                [UPLOAD_KEPT_SECS + 1],
            )
            .unwrap();
        });
        storage
            .upload_chunk(&caller, &fresh, &chunk(100), &[2; 10])
            .unwrap();
        assert_eq!(held(&old), 0, "the abandoned upload is gone");
        assert_eq!(held(&fresh), 10);
    }
}
