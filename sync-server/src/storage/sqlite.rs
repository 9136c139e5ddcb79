//! The embedded backend: one SQLite file, one connection behind a mutex (so one
//! transaction at a time, which is the ordering guarantee of [`super::backend`]).
//!
//! A change is stored once per `(document, hash)`, so a retried request stores nothing
//! twice. Its row number is its sequence number, the cursor clients use. The server never
//! rewrites a change; it only appends.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use automerge::Change;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, OptionalExtension, named_params, params};
use rusqlite_migration::{M, Migrations};
use shared::access::ReadScope;
use shared::doc::DocId;
use shared::protocol::{WireChange, WireKey};

use super::backend::{Backend, NewChange, Tx};
use super::sql::{self, Arg, Cell, Driver, Row, to_i64, to_u64};
use super::{BackendError, StorageError};

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
    // The column PostgreSQL calls `byte_offset` (`offset` is a keyword there), under the
    // same name here, so both databases take one SQL text (storage/sql.rs).
    r#"ALTER TABLE upload_chunks RENAME COLUMN "offset" TO byte_offset;"#,
    // An account's one-time set-up code (a new phone takes it instead of a password):
    // its SHA-256 and when it expires; both cleared once it is used.
    "ALTER TABLE accounts ADD COLUMN setup_code_hash BLOB;
         ALTER TABLE accounts ADD COLUMN setup_expires_at INTEGER;",
];

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        let busy = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        StorageError::Backend(BackendError {
            unavailable: busy,
            message: e.to_string(),
        })
    }
}

impl From<rusqlite_migration::Error> for StorageError {
    fn from(e: rusqlite_migration::Error) -> Self {
        StorageError::Backend(BackendError {
            unavailable: false,
            message: format!("migration: {e}"),
        })
    }
}

/// The SQLite backend.
pub struct Sqlite {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sqlite")
    }
}

impl Sqlite {
    /// Opens (or creates) the database at `path` and brings it to the latest schema.
    pub fn open(path: &Path) -> Result<Sqlite, StorageError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Deleted content is overwritten, so an erased record key leaves no copy behind.
        conn.pragma_update(None, "secure_delete", "ON")?;
        Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect()).to_latest(&mut conn)?;
        backfill_doc_scopes(&conn)?;
        backfill_change_actors(&mut conn)?;
        Ok(Sqlite {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn begin(&self, sql: &str) -> Result<SqliteTx<'_>, StorageError> {
        let conn = self.conn();
        conn.execute_batch(sql)?;
        Ok(SqliteTx { conn, open: true })
    }

    /// Writes a consistent copy of the database to `to` (a new file), while the server
    /// keeps serving: SQLite's online backup.
    pub fn backup_to(&self, to: &Path) -> Result<(), StorageError> {
        if to.exists() {
            return Err(StorageError::BackupTargetExists(to.display().to_string()));
        }
        Ok(self.conn().backup(rusqlite::MAIN_DB, to, None)?)
    }

    /// Runs `f` on the connection, outside any transaction (tests that set up what an
    /// older server left).
    #[cfg(test)]
    pub(crate) fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn())
    }
}

impl Backend for Sqlite {
    fn write(&self) -> Result<Box<dyn Tx + '_>, StorageError> {
        Ok(Box::new(self.begin("BEGIN IMMEDIATE")?))
    }

    fn read(&self) -> Result<Box<dyn Tx + '_>, StorageError> {
        Ok(Box::new(self.begin("BEGIN")?))
    }

    fn backup_to(&self, to: &Path) -> Result<(), StorageError> {
        Sqlite::backup_to(self, to)
    }

    fn after_erase(&self) {
        shared::store::forget_erased_pages(&self.conn());
    }
}

/// A transaction on the one connection, which it holds until it ends.
pub struct SqliteTx<'a> {
    conn: MutexGuard<'a, Connection>,
    open: bool,
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// An argument as SQLite binds it (a boolean as 0 or 1).
impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Arg::Int(n) => ToSqlOutput::Owned(Value::Integer(n)),
            Arg::Bool(b) => ToSqlOutput::Owned(Value::Integer(i64::from(b))),
            Arg::Text(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Arg::Blob(Some(b)) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Arg::Text(None) | Arg::Blob(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}

fn cell(v: ValueRef<'_>) -> Result<Cell, StorageError> {
    Ok(match v {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(n) => Cell::Int(n),
        ValueRef::Text(t) => Cell::Text(
            String::from_utf8(t.to_vec())
                .map_err(|_| backend_error("a text column holds bytes that are not UTF-8"))?,
        ),
        ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
        ValueRef::Real(_) => return Err(backend_error("a column holds a real number")),
    })
}

fn backend_error(message: &str) -> StorageError {
    StorageError::Backend(BackendError {
        unavailable: false,
        message: message.to_owned(),
    })
}

/// The SQL condition on `docs d` for the documents `scope` reads, the scope's id bound as
/// `:scope` (what [`sql::readable`] says, with SQLite's named parameter, for the
/// statements that are SQLite's own).
fn readable(scope: &ReadScope) -> String {
    let own = sql::readable(scope, 0).replace("$0", ":scope");
    if own.contains(":scope") {
        own
    } else {
        // Every statement binds `:scope`; a scope without an id binds it as null.
        format!("({own} AND :scope IS NULL)")
    }
}

fn scope_param(scope: &ReadScope) -> Option<&str> {
    match scope {
        ReadScope::All | ReadScope::Shared => None,
        ReadScope::Station(id) | ReadScope::Subdistrict(id) | ReadScope::Department(id) => Some(id),
    }
}

impl Driver for SqliteTx<'_> {
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, StorageError> {
        let mut stmt = self.conn.prepare_cached(&sql::numbered_for_sqlite(sql))?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Row((0..columns)
                .map(|i| cell(r.get_ref(i)?))
                .collect::<Result<_, StorageError>>()?));
        }
        Ok(out)
    }

    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StorageError> {
        let n = self
            .conn
            .prepare_cached(&sql::numbered_for_sqlite(sql))?
            .execute(rusqlite::params_from_iter(args))?;
        Ok(n as u64)
    }

    fn commit_tx(mut self: Box<Self>) -> Result<(), StorageError> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    fn append_change(&self, c: &NewChange<'_>) -> Result<bool, StorageError> {
        let stored = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO changes (doc_id, hash, device_id, bytes, actor, actor_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                c.doc_id,
                c.hash,
                c.device_id,
                c.bytes,
                c.actor,
                to_i64(c.actor_seq)
            ])?;
        if stored > 0 {
            self.conn
                .prepare_cached("UPDATE docs SET last_seq = ?2 WHERE id = ?1")?
                .execute(params![c.doc_id, self.conn.last_insert_rowid()])?;
        }
        Ok(stored > 0)
    }

    /// The documents newest first (by the column's index `docs_<column>`), to the first
    /// the caller reads.
    fn max_readable(&self, scope: &ReadScope, column: &str) -> Result<u64, StorageError> {
        let max: Option<i64> = self
            .conn
            .prepare_cached(&format!(
                "SELECT d.{column} FROM docs d INDEXED BY docs_{column} WHERE {}
                 ORDER BY d.{column} DESC LIMIT 1",
                readable(scope)
            ))?
            .query_row(named_params! {":scope": scope_param(scope)}, |r| r.get(0))
            .optional()?;
        Ok(max.map_or(0, to_u64))
    }

    fn changes_after(
        &self,
        scope: &ReadScope,
        cursor: u64,
        except_device: &str,
        limit: usize,
    ) -> Result<Vec<(u64, WireChange)>, StorageError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            // The documents written since the cursor first, then each one's changes
            // after it by index: the changes of documents the caller does not read are
            // never visited, and an idle sync visits nothing.
            "SELECT c.seq, c.doc_id, d.kind, c.bytes
             FROM docs d INDEXED BY docs_last_seq CROSS JOIN changes c ON c.doc_id = d.id
             WHERE d.last_seq > :cursor AND c.seq > :cursor AND c.device_id != :device
               AND {}
             ORDER BY c.seq LIMIT :limit",
            readable(scope)
        ))?;
        let rows = stmt.query_map(
            named_params! {
                ":cursor": to_i64(cursor),
                ":device": except_device,
                ":limit": to_i64(limit as u64),
                ":scope": scope_param(scope),
            },
            |r| {
                Ok((
                    to_u64(r.get(0)?),
                    WireChange {
                        doc_id: r.get(1)?,
                        kind: r.get(2)?,
                        bytes: r.get(3)?,
                    },
                ))
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn keys_after(
        &self,
        scope: &ReadScope,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<(u64, WireKey)>, StorageError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT k.seq, k.key_id, k.doc_id, k.key
             FROM docs d INDEXED BY docs_last_key_seq CROSS JOIN record_keys k ON k.doc_id = d.id
             WHERE d.last_key_seq > :cursor AND k.seq > :cursor AND {}
             ORDER BY k.seq LIMIT :limit",
            readable(scope)
        ))?;
        let rows = stmt.query_map(
            named_params! {
                ":cursor": to_i64(cursor),
                ":scope": scope_param(scope),
                ":limit": to_i64(limit as u64),
            },
            |r| {
                Ok((
                    to_u64(r.get(0)?),
                    WireKey {
                        key_id: r.get(1)?,
                        doc_id: r.get(2)?,
                        key: r.get(3)?,
                    },
                ))
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
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
            conn.execute(
                "UPDATE docs SET station = ?2, department = ?3 WHERE id = ?1",
                params![id, doc.station_id(), doc.department_id()],
            )?;
        }
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use shared::model::{Account, Role};

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
        "466b8ce18d8c031cee7ce7d89505bdfdb87562cd527a5a5c734a11b31b444911",
    ];

    #[test]
    fn a_shipped_migration_never_changes() {
        shared::store::migrations_as_shipped(MIGRATIONS, SHIPPED).unwrap();
    }

    #[test]
    fn the_read_filter_selects_what_access_allows() {
        let dir = tempfile::tempdir().unwrap();
        read_filter_selects_what_access_allows(&Sqlite::open(&dir.path().join("s.db")).unwrap());
    }

    /// The read filter is the account's [`ReadScope`] as SQL: for every role and kind of
    /// document it selects exactly what [`shared::access::access`] lets the account read.
    /// (Every backend's tests run it on an empty database.)
    pub(in crate::storage) fn read_filter_selects_what_access_allows(db: &dyn Backend) {
        use shared::access::{access, read_scope};
        use shared::model::Access;
        let tx = db.write().unwrap();
        tx.put_station("st-a", "sd-1").unwrap();
        tx.put_station("st-b", "sd-2").unwrap();
        let ids = [
            "district",
            "subdistrict/sd-1",
            "consultation/draft-1",
            "station/st-a/2026-11",
            "station/st-b/2026-11",
            "referrals/dept-x/st-a/2026",
            "referrals/dept-y/st-b/2026",
            "answers/dept-x/st-a/2026",
            "answers/dept-y/st-b/2026",
        ];
        for id in ids {
            tx.insert_doc(&DocId::parse(id).unwrap()).unwrap();
        }
        let scopes = [
            (Role::DistrictAdmin, None),
            (Role::StationStaff, Some("st-a")),
            (Role::Deputy, Some("st-b")),
            (Role::StationStaff, None),
            (Role::SubdistrictCoordinator, Some("sd-1")),
            (Role::SubdistrictCoordinator, Some("sd-x")),
            (Role::Department, Some("dept-x")),
            (Role::Department, None),
        ];
        for (role, scope) in scopes {
            let account = Account {
                username: "u".into(),
                display_name: "u".into(),
                role,
                scope_id: scope.map(str::to_owned),
                deputy_id: None,
            };
            let mut selected: Vec<String> = tx
                .docs_after(&read_scope(&account), "", 100)
                .unwrap()
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            selected.sort();
            let mut allowed: Vec<String> = ids
                .iter()
                .filter(|id| {
                    let doc = DocId::parse(id).unwrap();
                    access(&account, &doc, |s| tx.subdistrict_of(s).unwrap()) != Access::None
                })
                .map(|id| id.to_string())
                .collect();
            allowed.sort();
            assert_eq!(selected, allowed, "{role:?} {scope:?}");
        }
    }
}
