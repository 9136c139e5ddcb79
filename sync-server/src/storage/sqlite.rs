//! The embedded backend: one SQLite file, one connection behind a mutex (so one
//! transaction at a time, which is the ordering guarantee of [`super::backend`]).
//!
//! A change is stored once per `(document, hash)`, so a retried request stores nothing
//! twice. Its row number is its sequence number, the cursor clients use. The server never
//! rewrites a change; it only appends.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use automerge::Change;
use rusqlite::{Connection, OptionalExtension, named_params, params};
use rusqlite_migration::{M, Migrations};
use shared::access::ReadScope;
use shared::doc::{DocFamily, DocId};
use shared::model::{Account, Role};
use shared::protocol::{WireChange, WireKey};

use super::backend::{
    AccountChange, AccountRow, Backend, NewChange, NewChunk, PublicOpinion, SessionRow, Sessions,
    Tx, UploadUsage,
};
use super::{BackendError, Credentials, DeviceSession, NewSession, StorageError};

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

/// The SQL condition on `docs d` for the documents `scope` reads, with the scope's id
/// bound as `:scope` ([`scope_param`]).
fn readable(scope: &ReadScope) -> String {
    let shared = DocFamily::ALL
        .iter()
        .filter(|f| f.is_shared())
        .map(|f| format!("'{}'", f.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let own = match scope {
        ReadScope::All => "1 OR :scope IS NULL",
        ReadScope::Station(_) | ReadScope::Shared => "d.station = :scope",
        ReadScope::Subdistrict(_) => {
            "d.station IN (SELECT id FROM stations WHERE subdistrict_id = :scope)"
        }
        ReadScope::Department(_) => "d.department = :scope",
    };
    format!("(d.kind IN ({shared}) OR {own})")
}

fn scope_param(scope: &ReadScope) -> Option<&str> {
    match scope {
        ReadScope::All | ReadScope::Shared => None,
        ReadScope::Station(id) | ReadScope::Subdistrict(id) | ReadScope::Department(id) => Some(id),
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
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

impl SqliteTx<'_> {
    fn strings(&self, sql: &str, p: impl rusqlite::Params) -> Result<Vec<String>, StorageError> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_map(p, |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }

    fn exists(&self, sql: &str, p: impl rusqlite::Params) -> Result<bool, StorageError> {
        Ok(self.conn.prepare_cached(sql)?.query_row(p, |r| r.get(0))?)
    }

    fn count(&self, sql: &str, key: &str) -> Result<u64, StorageError> {
        let n: i64 = self
            .conn
            .prepare_cached(sql)?
            .query_row([key], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    /// The highest of `docs.<column>` (`last_seq`, `last_key_seq`, each with its index
    /// `docs_<column>`) among the documents `scope` reads: the documents newest first,
    /// to the first the caller reads.
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
}

impl Tx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<(), StorageError> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    fn subdistrict_of(&self, station: &str) -> Result<Option<String>, StorageError> {
        Ok(self
            .conn
            .prepare_cached("SELECT subdistrict_id FROM stations WHERE id = ?1")?
            .query_row([station], |r| r.get(0))
            .optional()?)
    }

    fn put_station(&self, id: &str, subdistrict_id: &str) -> Result<(), StorageError> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO stations (id, subdistrict_id) VALUES (?1, ?2)")?
            .execute([id, subdistrict_id])?;
        Ok(())
    }

    fn put_department(&self, id: &str) -> Result<(), StorageError> {
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO departments (id) VALUES (?1)")?
            .execute([id])?;
        Ok(())
    }

    fn department_exists(&self, id: &str) -> Result<bool, StorageError> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM departments WHERE id = ?1)",
            [id],
        )
    }

    fn subdistrict_exists(&self, id: &str) -> Result<bool, StorageError> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM stations WHERE subdistrict_id = ?1)",
            [id],
        )
    }

    fn station_ids(&self) -> Result<Vec<String>, StorageError> {
        self.strings("SELECT id FROM stations ORDER BY id", [])
    }

    fn department_ids(&self) -> Result<Vec<String>, StorageError> {
        self.strings("SELECT id FROM departments ORDER BY id", [])
    }

    fn insert_doc(&self, id: &DocId) -> Result<(), StorageError> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO docs (id, kind, station, department)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                id.to_string(),
                id.family().as_str(),
                id.station_id(),
                id.department_id()
            ])?;
        Ok(())
    }

    fn doc_exists(&self, doc_id: &str) -> Result<bool, StorageError> {
        self.exists("SELECT EXISTS (SELECT 1 FROM docs WHERE id = ?1)", [doc_id])
    }

    fn doc_ids(
        &self,
        family: DocFamily,
        station: Option<&str>,
        department: Option<&str>,
    ) -> Result<Vec<String>, StorageError> {
        self.strings(
            "SELECT id FROM docs WHERE kind = ?1
               AND (?2 IS NULL OR station = ?2) AND (?3 IS NULL OR department = ?3)
             ORDER BY id",
            params![family.as_str(), station, department],
        )
    }

    fn any_doc(&self, family: DocFamily) -> Result<bool, StorageError> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM docs WHERE kind = ?1)",
            [family.as_str()],
        )
    }

    fn doc_changes(&self, doc_id: &str, after: u64) -> Result<Vec<(u64, Vec<u8>)>, StorageError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT seq, bytes FROM changes WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq",
            )?
            .query_map(params![doc_id, to_i64(after)], |r| {
                Ok((to_u64(r.get(0)?), r.get(1)?))
            })?
            .collect::<Result<_, _>>()?)
    }

    fn doc_last_seq(&self, doc_id: &str) -> Result<u64, StorageError> {
        let seq: Option<i64> = self
            .conn
            .prepare_cached("SELECT last_seq FROM docs WHERE id = ?1")?
            .query_row([doc_id], |r| r.get(0))
            .optional()?;
        Ok(seq.map_or(0, to_u64))
    }

    fn change_hash_at(
        &self,
        doc_id: &str,
        actor: &[u8],
        actor_seq: u64,
    ) -> Result<Option<String>, StorageError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT hash FROM changes WHERE doc_id = ?1 AND actor = ?2 AND actor_seq = ?3",
            )?
            .query_row(params![doc_id, actor, to_i64(actor_seq)], |r| r.get(0))
            .optional()?)
    }

    fn actor_device(&self, actor: &[u8]) -> Result<Option<String>, StorageError> {
        Ok(self
            .conn
            .prepare_cached("SELECT device_id FROM device_actors WHERE actor = ?1")?
            .query_row([actor], |r| r.get(0))
            .optional()?)
    }

    fn bind_actor(&self, actor: &[u8], device_id: &str) -> Result<(), StorageError> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO device_actors (actor, device_id) VALUES (?1, ?2)",
            )?
            .execute(params![actor, device_id])?;
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

    fn change_count(&self) -> Result<u64, StorageError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM changes", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    fn last_seq(&self, scope: &ReadScope) -> Result<u64, StorageError> {
        self.max_readable(scope, "last_seq")
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

    fn docs_after(
        &self,
        scope: &ReadScope,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, String)>, StorageError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT d.id, d.kind FROM docs d WHERE d.id > :after AND {} ORDER BY d.id
                 LIMIT :limit",
                readable(scope)
            ))?
            .query_map(
                named_params! {
                    ":after": after,
                    ":limit": to_i64(limit as u64),
                    ":scope": scope_param(scope),
                },
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<Result<_, _>>()?)
    }

    fn last_key_seq(&self) -> Result<u64, StorageError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM record_keys")?
            .query_row([], |r| r.get(0))?;
        Ok(to_u64(n))
    }

    fn key_state(&self, key_id: &str) -> Result<Option<(String, bool)>, StorageError> {
        Ok(self
            .conn
            .prepare_cached("SELECT doc_id, key IS NOT NULL FROM record_keys WHERE key_id = ?1")?
            .query_row([key_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn insert_key(
        &self,
        key_id: &str,
        doc_id: &str,
        key: Option<&[u8]>,
        seq: u64,
    ) -> Result<bool, StorageError> {
        let added = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO record_keys (key_id, doc_id, key, seq)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![key_id, doc_id, key, to_i64(seq)])?;
        if added > 0 {
            self.touch_keys(doc_id, seq)?;
        }
        Ok(added > 0)
    }

    fn clear_key(&self, key_id: &str, doc_id: &str, seq: u64) -> Result<(), StorageError> {
        self.conn
            .prepare_cached("UPDATE record_keys SET key = NULL, seq = ?2 WHERE key_id = ?1")?
            .execute(params![key_id, to_i64(seq)])?;
        self.touch_keys(doc_id, seq)
    }

    fn last_key_seq_of(&self, scope: &ReadScope) -> Result<u64, StorageError> {
        self.max_readable(scope, "last_key_seq")
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

    fn drop_uploads_before(&self, received_before: i64) -> Result<(), StorageError> {
        self.conn
            .prepare_cached("DELETE FROM upload_chunks WHERE received_at < ?1")?
            .execute([received_before])?;
        Ok(())
    }

    fn linked_file_size(&self, hash: &str, doc_id: &str) -> Result<Option<u64>, StorageError> {
        let size: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT b.size FROM blobs b JOIN blob_docs l ON l.hash = b.hash
                 WHERE b.hash = ?1 AND l.doc_id = ?2",
            )?
            .query_row([hash, doc_id], |r| r.get(0))
            .optional()?;
        Ok(size.map(to_u64))
    }

    fn upload_received(&self, hash: &str, doc_id: &str) -> Result<u64, StorageError> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(length(data)), 0) FROM upload_chunks
                 WHERE hash = ?1 AND doc_id = ?2",
            )?
            .query_row([hash, doc_id], |r| r.get(0))?;
        Ok(to_u64(n))
    }

    fn upload_size(&self, hash: &str, doc_id: &str) -> Result<Option<u64>, StorageError> {
        let size: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT size FROM upload_chunks WHERE hash = ?1 AND doc_id = ?2 LIMIT 1",
            )?
            .query_row([hash, doc_id], |r| r.get(0))
            .optional()?;
        Ok(size.map(to_u64))
    }

    fn upload_usage(&self, username: &str, device_id: &str) -> Result<UploadUsage, StorageError> {
        let uploads = "SELECT COUNT(*) FROM (SELECT DISTINCT hash, doc_id FROM upload_chunks
                                             WHERE {col} = ?1)";
        Ok(UploadUsage {
            device_uploads: self.count(&uploads.replace("{col}", "device_id"), device_id)?,
            account_uploads: self.count(&uploads.replace("{col}", "username"), username)?,
            account_reserved_bytes: self.count(
                "SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT hash, doc_id, size
                   FROM upload_chunks WHERE username = ?1)",
                username,
            )?,
            device_stored_bytes: self.count(
                "SELECT COALESCE(SUM(size), 0) FROM blobs WHERE device_id = ?1",
                device_id,
            )?,
            account_stored_bytes: self.count(
                "SELECT COALESCE(SUM(size), 0) FROM blobs WHERE username = ?1",
                username,
            )?,
        })
    }

    fn put_chunk(&self, c: &NewChunk<'_>) -> Result<(), StorageError> {
        self.conn
            .prepare_cached(
                "INSERT INTO upload_chunks (hash, doc_id, byte_offset, data, received_at, size,
                                            username, device_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                c.hash,
                c.doc_id,
                to_i64(c.offset),
                c.data,
                c.received_at,
                to_i64(c.size),
                c.username,
                c.device_id
            ])?;
        Ok(())
    }

    fn take_upload(&self, hash: &str, doc_id: &str) -> Result<Vec<u8>, StorageError> {
        let mut file = Vec::new();
        {
            let mut q = self.conn.prepare_cached(
                "SELECT data FROM upload_chunks WHERE hash = ?1 AND doc_id = ?2 ORDER BY byte_offset",
            )?;
            let mut rows = q.query([hash, doc_id])?;
            while let Some(row) = rows.next()? {
                file.extend_from_slice(row.get_ref(0)?.as_blob().unwrap_or_default());
            }
        }
        self.conn
            .prepare_cached("DELETE FROM upload_chunks WHERE hash = ?1 AND doc_id = ?2")?
            .execute([hash, doc_id])?;
        Ok(file)
    }

    fn put_file(
        &self,
        hash: &str,
        data: &[u8],
        doc_id: &str,
        username: &str,
        device_id: &str,
    ) -> Result<(), StorageError> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO blobs (hash, size, data, username, device_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                hash,
                to_i64(data.len() as u64),
                data,
                username,
                device_id
            ])?;
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO blob_docs (hash, doc_id) VALUES (?1, ?2)")?
            .execute([hash, doc_id])?;
        Ok(())
    }

    fn file_bytes(&self, hash: &str, start: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        // SQLite's substr counts from 1, in bytes for a blob.
        Ok(self
            .conn
            .prepare_cached("SELECT substr(data, ?2, ?3) FROM blobs WHERE hash = ?1")?
            .query_row(params![hash, to_i64(start + 1), to_i64(len)], |r| r.get(0))?)
    }

    fn credentials(
        &self,
        username: &str,
        device_id: &str,
    ) -> Result<Option<Credentials>, StorageError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, password_hash,
                        EXISTS (SELECT 1 FROM sessions s
                                WHERE s.account_id = accounts.id AND s.device_id = ?2)
                 FROM accounts WHERE username = ?1 AND disabled = 0",
            )?
            .query_row([username, device_id], |r| {
                Ok(Credentials {
                    account_id: r.get(0)?,
                    password_hash: r.get(1)?,
                    known_device: r.get(2)?,
                })
            })
            .optional()?)
    }

    fn device_of_other_account(
        &self,
        device_id: &str,
        account_id: i64,
    ) -> Result<bool, StorageError> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE device_id = ?1 AND account_id != ?2)",
            params![device_id, account_id],
        )
    }

    fn insert_session(&self, s: &NewSession) -> Result<(), StorageError> {
        self.conn
            .prepare_cached(
                "INSERT INTO sessions (token_hash, account_id, device_id, device_name,
                                       created_at, last_seen, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            )?
            .execute(params![
                s.token_hash,
                s.account_id,
                s.device_id,
                s.device_name,
                s.now,
                s.expires_at
            ])?;
        Ok(())
    }

    fn end_sessions(&self, which: Sessions<'_>) -> Result<usize, StorageError> {
        let open = "UPDATE sessions SET revoked = 1 WHERE revoked = 0 AND";
        Ok(match which {
            Sessions::Token(t) => self.conn.execute(&format!("{open} token_hash = ?1"), [t])?,
            Sessions::AccountDevice(a, d) => self.conn.execute(
                &format!("{open} account_id = ?1 AND device_id = ?2"),
                params![a, d],
            )?,
            Sessions::Account(a) => self.conn.execute(&format!("{open} account_id = ?1"), [a])?,
            Sessions::Device(d) => self.conn.execute(&format!("{open} device_id = ?1"), [d])?,
        })
    }

    fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<SessionRow>, StorageError> {
        // Every request asks this: prepared once per connection.
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS}, s.device_id, s.last_seen, s.expires_at FROM sessions s
                 JOIN accounts ON accounts.id = s.account_id
                 WHERE s.token_hash = ?1 AND s.revoked = 0 AND s.expires_at > ?2
                   AND accounts.disabled = 0"
            ))?
            .query_row(params![token_hash, now], |r| {
                Ok(SessionRow {
                    account: account_row(r)?,
                    device_id: r.get(5)?,
                    last_seen: r.get(6)?,
                    expires_at: r.get(7)?,
                })
            })
            .optional()?)
    }

    fn extend_session(
        &self,
        token_hash: &[u8],
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        self.conn
            .prepare_cached(
                "UPDATE sessions SET last_seen = ?2, expires_at = ?3 WHERE token_hash = ?1",
            )?
            .execute(params![token_hash, now, expires_at])?;
        Ok(())
    }

    fn account(&self, id: i64) -> Result<Option<Account>, StorageError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"
            ))?
            .query_row([id], account_row)
            .optional()?)
    }

    fn account_id(&self, username: &str) -> Result<Option<i64>, StorageError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM accounts WHERE username = ?1")?
            .query_row([username], |r| r.get(0))
            .optional()?)
    }

    fn insert_account(&self, a: &AccountRow<'_>) -> Result<bool, StorageError> {
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO accounts
                 (username, display_name, role, scope_id, deputy_id, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                a.username,
                a.display_name,
                a.role,
                a.scope_id,
                a.deputy_id,
                a.password_hash,
                a.created_at
            ],
        )?;
        Ok(inserted > 0)
    }

    fn change_account(&self, id: i64, change: AccountChange<'_>) -> Result<(), StorageError> {
        match change {
            AccountChange::Disable => self
                .conn
                .execute("UPDATE accounts SET disabled = 1 WHERE id = ?1", [id])?,
            AccountChange::Password(hash) => self.conn.execute(
                "UPDATE accounts SET password_hash = ?2 WHERE id = ?1",
                params![id, hash],
            )?,
        };
        Ok(())
    }

    fn accounts(&self) -> Result<Vec<(Account, bool)>, StorageError> {
        let mut q = self.conn.prepare(&format!(
            "SELECT {ACCOUNT_COLUMNS}, disabled FROM accounts ORDER BY username"
        ))?;
        let rows = q
            .query_map([], |r| Ok((account_row(r)?, r.get::<_, bool>(5)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn devices(&self, username: Option<&str>) -> Result<Vec<DeviceSession>, StorageError> {
        let mut q = self.conn.prepare(
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

    fn put_public_opinion(
        &self,
        code_hash: &[u8],
        o: &PublicOpinion,
        created_at: i64,
    ) -> Result<(), StorageError> {
        self.conn
            .prepare_cached(
                "INSERT INTO public_opinions
                     (code_hash, station_id, doc_id, opinion_id, key_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                code_hash,
                o.station_id,
                o.doc_id,
                o.opinion_id,
                o.key_id,
                created_at
            ])?;
        Ok(())
    }

    fn public_opinion(&self, code_hash: &[u8]) -> Result<Option<PublicOpinion>, StorageError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT station_id, doc_id, opinion_id, key_id FROM public_opinions
                 WHERE code_hash = ?1",
            )?
            .query_row([code_hash], |r| {
                Ok(PublicOpinion {
                    station_id: r.get(0)?,
                    doc_id: r.get(1)?,
                    opinion_id: r.get(2)?,
                    key_id: r.get(3)?,
                })
            })
            .optional()?)
    }
}

impl SqliteTx<'_> {
    fn touch_keys(&self, doc_id: &str, seq: u64) -> Result<(), StorageError> {
        self.conn
            .prepare_cached("UPDATE docs SET last_key_seq = ?2 WHERE id = ?1")?
            .execute(params![doc_id, to_i64(seq)])?;
        Ok(())
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
