//! One SQL text for both databases: every statement the two backends share is written
//! here once, in SQL that SQLite (3.35 and later) and PostgreSQL (15) both take, over a
//! thin per-driver adapter ([`Driver`]): `$1`-style placeholders (SQLite's driver reads
//! them as `?1`), `ON CONFLICT … DO NOTHING` / `DO UPDATE … excluded`, `RETURNING`,
//! `TRUE`/`FALSE` and `NOT flag` (SQLite keeps them as 1 and 0, PostgreSQL as booleans),
//! `CAST($n AS text)` where PostgreSQL must be told a type, and `length` of a blob.
//! Values cross as [`Arg`] (bound as the statement's parameter type asks: PostgreSQL's
//! `substr` takes an `int4`) and come back as a [`Row`] of [`Cell`]s.
//!
//! What really differs stays with each driver, written once per engine: appending a
//! change (PostgreSQL updates the document's last number in the same statement), the
//! three reads that walk documents by their last sequence numbers (SQLite is steered by
//! `INDEXED BY`, PostgreSQL by a `MATERIALIZED` common table expression) and reading many
//! documents' changes at once (an array parameter in PostgreSQL).

use shared::access::ReadScope;
use shared::doc::{DocFamily, DocId};
use shared::model::{Account, Role};
use shared::protocol::{WireChange, WireKey};

use super::backend::{
    AccountChange, AccountRow, NewChange, NewChunk, PublicOpinion, SessionRow, Sessions, Tx,
    UploadUsage,
};
use super::{BackendError, Credentials, DeviceSession, NewSession, StorageError};

/// A value bound to a statement.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    Int(i64),
    Bool(bool),
    Text(Option<&'a str>),
    Blob(Option<&'a [u8]>),
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}
impl From<u64> for Arg<'_> {
    fn from(n: u64) -> Self {
        Arg::Int(to_i64(n))
    }
}
impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(Some(s))
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(Some(s))
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(s: Option<&'a str>) -> Self {
        Arg::Text(s)
    }
}
impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(b: &'a [u8]) -> Self {
        Arg::Blob(Some(b))
    }
}
impl<'a> From<Option<&'a [u8]>> for Arg<'a> {
    fn from(b: Option<&'a [u8]>) -> Self {
        Arg::Blob(b)
    }
}

/// The arguments of a statement, each converted with [`Arg::from`].
macro_rules! args {
    ($($a:expr),* $(,)?) => {
        &[$($crate::storage::sql::Arg::from($a)),*]
    };
}

/// A value read from a row (a boolean reads as 0 or 1, as SQLite keeps it).
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// One row of a result, its values taken out by position.
#[derive(Debug)]
pub struct Row(pub Vec<Cell>);

fn wrong(i: usize, wanted: &str, got: &Cell) -> StorageError {
    let got = match got {
        Cell::Null => "null",
        Cell::Int(_) => "an integer",
        Cell::Text(_) => "text",
        Cell::Blob(_) => "a blob",
    };
    StorageError::Backend(BackendError {
        unavailable: false,
        message: format!("column {i}: {wanted} expected, {got} found"),
    })
}

impl Row {
    fn take(&mut self, i: usize) -> Cell {
        self.0
            .get_mut(i)
            .map_or(Cell::Null, |c| std::mem::replace(c, Cell::Null))
    }

    pub fn opt_int(&mut self, i: usize) -> Result<Option<i64>, StorageError> {
        match self.take(i) {
            Cell::Null => Ok(None),
            Cell::Int(n) => Ok(Some(n)),
            other => Err(wrong(i, "an integer", &other)),
        }
    }

    pub fn int(&mut self, i: usize) -> Result<i64, StorageError> {
        self.opt_int(i)?
            .ok_or_else(|| wrong(i, "an integer", &Cell::Null))
    }

    /// A count or sequence number (never negative as stored).
    pub fn count(&mut self, i: usize) -> Result<u64, StorageError> {
        self.int(i).map(to_u64)
    }

    pub fn flag(&mut self, i: usize) -> Result<bool, StorageError> {
        self.int(i).map(|n| n != 0)
    }

    pub fn opt_text(&mut self, i: usize) -> Result<Option<String>, StorageError> {
        match self.take(i) {
            Cell::Null => Ok(None),
            Cell::Text(s) => Ok(Some(s)),
            other => Err(wrong(i, "text", &other)),
        }
    }

    pub fn text(&mut self, i: usize) -> Result<String, StorageError> {
        self.opt_text(i)?
            .ok_or_else(|| wrong(i, "text", &Cell::Null))
    }

    pub fn opt_blob(&mut self, i: usize) -> Result<Option<Vec<u8>>, StorageError> {
        match self.take(i) {
            Cell::Null => Ok(None),
            Cell::Blob(b) => Ok(Some(b)),
            other => Err(wrong(i, "a blob", &other)),
        }
    }

    pub fn blob(&mut self, i: usize) -> Result<Vec<u8>, StorageError> {
        self.opt_blob(i)?
            .ok_or_else(|| wrong(i, "a blob", &Cell::Null))
    }
}

pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// What a database driver gives the common statements: one statement run with its
/// arguments, and the few statements that differ between engines.
pub trait Driver {
    /// Runs a statement of this module's SQL text and returns its rows.
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, StorageError>;
    /// Runs a statement and returns how many rows it changed.
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StorageError>;
    /// [`Tx::commit`].
    fn commit_tx(self: Box<Self>) -> Result<(), StorageError>;

    // What differs between engines (see the module's doc).
    /// [`Tx::append_change`].
    fn append_change(&self, change: &NewChange<'_>) -> Result<bool, StorageError>;
    /// The highest of `docs.<column>` (`last_seq`, `last_key_seq`) among the documents
    /// `scope` reads.
    fn max_readable(&self, scope: &ReadScope, column: &str) -> Result<u64, StorageError>;
    /// [`Tx::changes_after`].
    fn changes_after(
        &self,
        scope: &ReadScope,
        cursor: u64,
        except_device: &str,
        limit: usize,
    ) -> Result<Vec<(u64, WireChange)>, StorageError>;
    /// [`Tx::keys_after`].
    fn keys_after(
        &self,
        scope: &ReadScope,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<(u64, WireKey)>, StorageError>;
    /// [`Tx::changes_of_docs`]: by default one document at a time.
    fn changes_of_docs(&self, doc_ids: &[&str]) -> Result<Vec<Vec<Vec<u8>>>, StorageError> {
        doc_ids
            .iter()
            .map(|id| {
                self.query(
                    "SELECT bytes FROM changes WHERE doc_id = $1 ORDER BY seq",
                    args![*id],
                )?
                .into_iter()
                .map(|mut r| r.blob(0))
                .collect::<Result<_, _>>()
            })
            .collect()
    }

    /// The first row, if any.
    fn opt(&self, sql: &str, args: &[Arg<'_>]) -> Result<Option<Row>, StorageError> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The one row a statement always gives (an aggregate).
    fn one(&self, sql: &str, args: &[Arg<'_>]) -> Result<Row, StorageError> {
        self.opt(sql, args)?.ok_or_else(|| {
            StorageError::Backend(BackendError {
                unavailable: false,
                message: "a statement gave no row".into(),
            })
        })
    }
}

/// The SQL condition on `docs d` for the documents `scope` reads, the scope's id bound as
/// `$id` ([`scope_arg`]).
pub fn readable(scope: &ReadScope, id: usize) -> String {
    let shared = DocFamily::ALL
        .iter()
        .filter(|f| f.is_shared())
        .map(|f| format!("'{}'", f.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let own = match scope {
        ReadScope::All => "TRUE".to_owned(),
        ReadScope::Shared => "FALSE".to_owned(),
        ReadScope::Station(_) => format!("d.station = ${id}"),
        ReadScope::Subdistrict(_) => {
            format!("d.station IN (SELECT id FROM stations WHERE subdistrict_id = ${id})")
        }
        ReadScope::Department(_) => format!("d.department = ${id}"),
    };
    format!("(d.kind IN ({shared}) OR {own})")
}

/// The argument [`readable`] binds, if the scope has an id.
pub fn scope_arg(scope: &ReadScope) -> Option<Arg<'_>> {
    match scope {
        ReadScope::All | ReadScope::Shared => None,
        ReadScope::Station(id) | ReadScope::Subdistrict(id) | ReadScope::Department(id) => {
            Some(Arg::Text(Some(id)))
        }
    }
}

/// The columns [`account_row`] reads, in its order, from `accounts a`.
const ACCOUNT_COLUMNS: &str = "a.username, a.display_name, a.role, a.scope_id, a.deputy_id";

fn account_row(r: &mut Row) -> Result<Account, StorageError> {
    let role = r.text(2)?;
    Ok(Account {
        username: r.text(0)?,
        display_name: r.text(1)?,
        role: Role::parse(&role).ok_or_else(|| {
            StorageError::Backend(BackendError {
                unavailable: false,
                message: format!("unknown role {role:?}"),
            })
        })?,
        scope_id: r.opt_text(3)?,
        deputy_id: r.opt_text(4)?,
    })
}

fn strings(d: &impl Driver, sql: &str, args: &[Arg<'_>]) -> Result<Vec<String>, StorageError> {
    d.query(sql, args)?
        .into_iter()
        .map(|mut r| r.text(0))
        .collect()
}

fn exists(d: &impl Driver, sql: &str, args: &[Arg<'_>]) -> Result<bool, StorageError> {
    d.one(sql, args)?.flag(0)
}

fn touch_keys(d: &impl Driver, doc_id: &str, seq: u64) -> Result<(), StorageError> {
    d.execute(
        "UPDATE docs SET last_key_seq = $2 WHERE id = $1",
        args![doc_id, seq],
    )?;
    Ok(())
}

impl<D: Driver> Tx for D {
    fn commit(self: Box<Self>) -> Result<(), StorageError> {
        self.commit_tx()
    }

    fn subdistrict_of(&self, station: &str) -> Result<Option<String>, StorageError> {
        self.opt(
            "SELECT subdistrict_id FROM stations WHERE id = $1",
            args![station],
        )?
        .map(|mut r| r.text(0))
        .transpose()
    }

    fn put_station(&self, id: &str, subdistrict_id: &str) -> Result<(), StorageError> {
        self.execute(
            "INSERT INTO stations (id, subdistrict_id) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET subdistrict_id = excluded.subdistrict_id",
            args![id, subdistrict_id],
        )?;
        Ok(())
    }

    fn put_department(&self, id: &str) -> Result<(), StorageError> {
        self.execute(
            "INSERT INTO departments (id) VALUES ($1) ON CONFLICT DO NOTHING",
            args![id],
        )?;
        Ok(())
    }

    fn department_exists(&self, id: &str) -> Result<bool, StorageError> {
        exists(
            self,
            "SELECT EXISTS (SELECT 1 FROM departments WHERE id = $1)",
            args![id],
        )
    }

    fn subdistrict_exists(&self, id: &str) -> Result<bool, StorageError> {
        exists(
            self,
            "SELECT EXISTS (SELECT 1 FROM stations WHERE subdistrict_id = $1)",
            args![id],
        )
    }

    fn station_ids(&self) -> Result<Vec<String>, StorageError> {
        strings(self, "SELECT id FROM stations ORDER BY id", &[])
    }

    fn department_ids(&self) -> Result<Vec<String>, StorageError> {
        strings(self, "SELECT id FROM departments ORDER BY id", &[])
    }

    fn insert_doc(&self, id: &DocId) -> Result<(), StorageError> {
        self.execute(
            "INSERT INTO docs (id, kind, station, department) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            args![
                id.to_string().as_str(),
                id.family().as_str(),
                id.station_id(),
                id.department_id()
            ],
        )?;
        Ok(())
    }

    fn doc_exists(&self, doc_id: &str) -> Result<bool, StorageError> {
        exists(
            self,
            "SELECT EXISTS (SELECT 1 FROM docs WHERE id = $1)",
            args![doc_id],
        )
    }

    fn doc_ids(
        &self,
        family: DocFamily,
        station: Option<&str>,
        department: Option<&str>,
    ) -> Result<Vec<String>, StorageError> {
        strings(
            self,
            "SELECT id FROM docs WHERE kind = $1
               AND (CAST($2 AS text) IS NULL OR station = $2)
               AND (CAST($3 AS text) IS NULL OR department = $3)
             ORDER BY id",
            args![family.as_str(), station, department],
        )
    }

    fn any_doc(&self, family: DocFamily) -> Result<bool, StorageError> {
        exists(
            self,
            "SELECT EXISTS (SELECT 1 FROM docs WHERE kind = $1)",
            args![family.as_str()],
        )
    }

    fn doc_changes(&self, doc_id: &str, after: u64) -> Result<Vec<(u64, Vec<u8>)>, StorageError> {
        self.query(
            "SELECT seq, bytes FROM changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq",
            args![doc_id, after],
        )?
        .into_iter()
        .map(|mut r| Ok((r.count(0)?, r.blob(1)?)))
        .collect()
    }

    fn changes_of_docs(&self, doc_ids: &[&str]) -> Result<Vec<Vec<Vec<u8>>>, StorageError> {
        Driver::changes_of_docs(self, doc_ids)
    }

    fn doc_last_seq(&self, doc_id: &str) -> Result<u64, StorageError> {
        Ok(
            match self.opt("SELECT last_seq FROM docs WHERE id = $1", args![doc_id])? {
                Some(mut r) => r.count(0)?,
                None => 0,
            },
        )
    }

    fn change_hash_at(
        &self,
        doc_id: &str,
        actor: &[u8],
        actor_seq: u64,
    ) -> Result<Option<String>, StorageError> {
        self.opt(
            "SELECT hash FROM changes WHERE doc_id = $1 AND actor = $2 AND actor_seq = $3
             LIMIT 1",
            args![doc_id, actor, actor_seq],
        )?
        .map(|mut r| r.text(0))
        .transpose()
    }

    fn actor_device(&self, actor: &[u8]) -> Result<Option<String>, StorageError> {
        self.opt(
            "SELECT device_id FROM device_actors WHERE actor = $1",
            args![actor],
        )?
        .map(|mut r| r.text(0))
        .transpose()
    }

    fn bind_actor(&self, actor: &[u8], device_id: &str) -> Result<(), StorageError> {
        self.execute(
            "INSERT INTO device_actors (actor, device_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            args![actor, device_id],
        )?;
        Ok(())
    }

    fn append_change(&self, change: &NewChange<'_>) -> Result<bool, StorageError> {
        Driver::append_change(self, change)
    }

    fn change_count(&self) -> Result<u64, StorageError> {
        self.one("SELECT COUNT(*) FROM changes", &[])?.count(0)
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
        Driver::changes_after(self, scope, cursor, except_device, limit)
    }

    fn docs_after(
        &self,
        scope: &ReadScope,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, String)>, StorageError> {
        let sql = format!(
            "SELECT d.id, d.kind FROM docs d WHERE d.id > $1 AND {} ORDER BY d.id LIMIT $2",
            readable(scope, 3)
        );
        let mut a = vec![Arg::from(after), Arg::from(limit as u64)];
        a.extend(scope_arg(scope));
        self.query(&sql, &a)?
            .into_iter()
            .map(|mut r| Ok((r.text(0)?, r.text(1)?)))
            .collect()
    }

    fn last_key_seq(&self) -> Result<u64, StorageError> {
        self.one("SELECT COALESCE(MAX(seq), 0) FROM record_keys", &[])?
            .count(0)
    }

    fn key_state(&self, key_id: &str) -> Result<Option<(String, bool)>, StorageError> {
        self.opt(
            "SELECT doc_id, key IS NOT NULL FROM record_keys WHERE key_id = $1",
            args![key_id],
        )?
        .map(|mut r| Ok((r.text(0)?, r.flag(1)?)))
        .transpose()
    }

    fn insert_key(
        &self,
        key_id: &str,
        doc_id: &str,
        key: Option<&[u8]>,
        seq: u64,
    ) -> Result<bool, StorageError> {
        let added = self.execute(
            "INSERT INTO record_keys (key_id, doc_id, key, seq) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            args![key_id, doc_id, key, seq],
        )?;
        if added > 0 {
            touch_keys(self, doc_id, seq)?;
        }
        Ok(added > 0)
    }

    fn clear_key(&self, key_id: &str, doc_id: &str, seq: u64) -> Result<(), StorageError> {
        self.execute(
            "UPDATE record_keys SET key = NULL, seq = $2 WHERE key_id = $1",
            args![key_id, seq],
        )?;
        touch_keys(self, doc_id, seq)
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
        Driver::keys_after(self, scope, cursor, limit)
    }

    fn drop_uploads_before(&self, received_before: i64) -> Result<(), StorageError> {
        self.execute(
            "DELETE FROM upload_chunks WHERE received_at < $1",
            args![received_before],
        )?;
        Ok(())
    }

    fn linked_file_size(&self, hash: &str, doc_id: &str) -> Result<Option<u64>, StorageError> {
        self.opt(
            "SELECT b.size FROM blobs b JOIN blob_docs l ON l.hash = b.hash
             WHERE b.hash = $1 AND l.doc_id = $2",
            args![hash, doc_id],
        )?
        .map(|mut r| r.count(0))
        .transpose()
    }

    fn upload_received(&self, hash: &str, doc_id: &str) -> Result<u64, StorageError> {
        self.one(
            "SELECT CAST(COALESCE(SUM(length(data)), 0) AS bigint) FROM upload_chunks
             WHERE hash = $1 AND doc_id = $2",
            args![hash, doc_id],
        )?
        .count(0)
    }

    fn upload_size(&self, hash: &str, doc_id: &str) -> Result<Option<u64>, StorageError> {
        self.opt(
            "SELECT size FROM upload_chunks WHERE hash = $1 AND doc_id = $2 LIMIT 1",
            args![hash, doc_id],
        )?
        .map(|mut r| r.count(0))
        .transpose()
    }

    fn upload_usage(&self, username: &str, device_id: &str) -> Result<UploadUsage, StorageError> {
        let mut r = self.one(
            "SELECT
                 (SELECT COUNT(*) FROM (SELECT DISTINCT hash, doc_id FROM upload_chunks
                                        WHERE device_id = $2) u),
                 (SELECT COUNT(*) FROM (SELECT DISTINCT hash, doc_id FROM upload_chunks
                                        WHERE username = $1) u),
                 (SELECT CAST(COALESCE(SUM(size), 0) AS bigint)
                  FROM (SELECT DISTINCT hash, doc_id, size FROM upload_chunks
                        WHERE username = $1) u),
                 (SELECT CAST(COALESCE(SUM(size), 0) AS bigint) FROM blobs WHERE device_id = $2),
                 (SELECT CAST(COALESCE(SUM(size), 0) AS bigint) FROM blobs WHERE username = $1)",
            args![username, device_id],
        )?;
        Ok(UploadUsage {
            device_uploads: r.count(0)?,
            account_uploads: r.count(1)?,
            account_reserved_bytes: r.count(2)?,
            device_stored_bytes: r.count(3)?,
            account_stored_bytes: r.count(4)?,
        })
    }

    fn put_chunk(&self, c: &NewChunk<'_>) -> Result<(), StorageError> {
        self.execute(
            "INSERT INTO upload_chunks (hash, doc_id, byte_offset, data, received_at, size,
                                        username, device_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                c.hash,
                c.doc_id,
                c.offset,
                c.data,
                c.received_at,
                c.size,
                c.username,
                c.device_id
            ],
        )?;
        Ok(())
    }

    fn take_upload(&self, hash: &str, doc_id: &str) -> Result<Vec<u8>, StorageError> {
        let mut chunks = self
            .query(
                "DELETE FROM upload_chunks WHERE hash = $1 AND doc_id = $2
                 RETURNING byte_offset, data",
                args![hash, doc_id],
            )?
            .into_iter()
            .map(|mut r| Ok((r.int(0)?, r.blob(1)?)))
            .collect::<Result<Vec<_>, StorageError>>()?;
        chunks.sort_unstable_by_key(|(offset, _)| *offset);
        Ok(chunks.into_iter().flat_map(|(_, data)| data).collect())
    }

    fn put_file(
        &self,
        hash: &str,
        data: &[u8],
        doc_id: &str,
        username: &str,
        device_id: &str,
    ) -> Result<(), StorageError> {
        self.execute(
            "INSERT INTO blobs (hash, size, data, username, device_id) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
            args![hash, data.len() as u64, data, username, device_id],
        )?;
        self.execute(
            "INSERT INTO blob_docs (hash, doc_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            args![hash, doc_id],
        )?;
        Ok(())
    }

    fn file_bytes(&self, hash: &str, start: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        // substr counts from 1, in bytes for a blob; PostgreSQL's takes int4.
        let int = |n: u64| match i32::try_from(n) {
            Ok(n) => Ok(i64::from(n)),
            Err(_) => Err(StorageError::BadRequest("range too large".into())),
        };
        let (from, count) = (int(start + 1)?, int(len)?);
        match self.opt(
            "SELECT substr(data, $2, $3) FROM blobs WHERE hash = $1",
            args![hash, from, count],
        )? {
            Some(mut r) => r.blob(0),
            None => Err(StorageError::NotFound(format!("no file {hash}"))),
        }
    }

    fn credentials(
        &self,
        username: &str,
        device_id: &str,
    ) -> Result<Option<Credentials>, StorageError> {
        self.opt(
            "SELECT a.id, a.password_hash,
                    EXISTS (SELECT 1 FROM sessions s
                            WHERE s.account_id = a.id AND s.device_id = $2)
             FROM accounts a WHERE a.username = $1 AND NOT a.disabled",
            args![username, device_id],
        )?
        .map(|mut r| {
            Ok(Credentials {
                account_id: r.int(0)?,
                password_hash: r.text(1)?,
                known_device: r.flag(2)?,
            })
        })
        .transpose()
    }

    fn device_of_other_account(
        &self,
        device_id: &str,
        account_id: i64,
    ) -> Result<bool, StorageError> {
        exists(
            self,
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE device_id = $1 AND account_id <> $2)",
            args![device_id, account_id],
        )
    }

    fn insert_session(&self, s: &NewSession) -> Result<(), StorageError> {
        self.execute(
            "INSERT INTO sessions (token_hash, account_id, device_id, device_name,
                                   created_at, last_seen, expires_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
            args![
                s.token_hash.as_slice(),
                s.account_id,
                &s.device_id,
                &s.device_name,
                s.now,
                s.expires_at
            ],
        )?;
        Ok(())
    }

    fn end_sessions(&self, which: Sessions<'_>) -> Result<usize, StorageError> {
        let open = "UPDATE sessions SET revoked = TRUE WHERE NOT revoked AND";
        let ended = match which {
            Sessions::Token(t) => self.execute(&format!("{open} token_hash = $1"), args![t])?,
            Sessions::AccountDevice(a, d) => self.execute(
                &format!("{open} account_id = $1 AND device_id = $2"),
                args![a, d],
            )?,
            Sessions::Account(a) => self.execute(&format!("{open} account_id = $1"), args![a])?,
            Sessions::Device(d) => self.execute(&format!("{open} device_id = $1"), args![d])?,
        };
        Ok(usize::try_from(ended).unwrap_or(usize::MAX))
    }

    fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<SessionRow>, StorageError> {
        self.opt(
            &format!(
                "SELECT {ACCOUNT_COLUMNS}, s.device_id, s.last_seen, s.expires_at
                 FROM sessions s JOIN accounts a ON a.id = s.account_id
                 WHERE s.token_hash = $1 AND NOT s.revoked AND s.expires_at > $2
                   AND NOT a.disabled"
            ),
            args![token_hash, now],
        )?
        .map(|mut r| {
            Ok(SessionRow {
                account: account_row(&mut r)?,
                device_id: r.text(5)?,
                last_seen: r.int(6)?,
                expires_at: r.int(7)?,
            })
        })
        .transpose()
    }

    fn extend_session(
        &self,
        token_hash: &[u8],
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        self.execute(
            "UPDATE sessions SET last_seen = $2, expires_at = $3 WHERE token_hash = $1",
            args![token_hash, now, expires_at],
        )?;
        Ok(())
    }

    fn account(&self, id: i64) -> Result<Option<Account>, StorageError> {
        self.opt(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1"),
            args![id],
        )?
        .map(|mut r| account_row(&mut r))
        .transpose()
    }

    fn account_id(&self, username: &str) -> Result<Option<i64>, StorageError> {
        self.opt(
            "SELECT id FROM accounts WHERE username = $1",
            args![username],
        )?
        .map(|mut r| r.int(0))
        .transpose()
    }

    fn insert_account(&self, a: &AccountRow<'_>) -> Result<bool, StorageError> {
        let inserted = self.execute(
            "INSERT INTO accounts
                 (username, display_name, role, scope_id, deputy_id, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT DO NOTHING",
            args![
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

    fn set_setup_code(&self, id: i64, code: Option<(&[u8], i64)>) -> Result<(), StorageError> {
        // Cleared: no hash (nothing matches it) and no expiry.
        let (hash, expires_at) = code.unzip();
        self.execute(
            "UPDATE accounts SET setup_code_hash = $2, setup_expires_at = $3 WHERE id = $1",
            &[
                Arg::Int(id),
                Arg::Blob(hash),
                Arg::Int(expires_at.unwrap_or(0)),
            ],
        )?;
        Ok(())
    }

    fn setup_code(&self, username: &str) -> Result<Option<(i64, Vec<u8>, i64)>, StorageError> {
        self.opt(
            "SELECT id, setup_code_hash, setup_expires_at FROM accounts
             WHERE username = $1 AND NOT disabled AND setup_code_hash IS NOT NULL",
            args![username],
        )?
        .map(|mut r| Ok((r.int(0)?, r.blob(1)?, r.int(2)?)))
        .transpose()
    }

    fn change_account(&self, id: i64, change: AccountChange<'_>) -> Result<(), StorageError> {
        match change {
            AccountChange::Disable => self.execute(
                "UPDATE accounts SET disabled = TRUE WHERE id = $1",
                args![id],
            )?,
            AccountChange::Password(hash) => self.execute(
                "UPDATE accounts SET password_hash = $2 WHERE id = $1",
                args![id, hash],
            )?,
        };
        Ok(())
    }

    fn accounts(&self) -> Result<Vec<(Account, bool)>, StorageError> {
        self.query(
            &format!("SELECT {ACCOUNT_COLUMNS}, a.disabled FROM accounts a ORDER BY a.username"),
            &[],
        )?
        .into_iter()
        .map(|mut r| Ok((account_row(&mut r)?, r.flag(5)?)))
        .collect()
    }

    fn devices(&self, username: Option<&str>) -> Result<Vec<DeviceSession>, StorageError> {
        self.query(
            "SELECT a.username, s.device_id, s.device_name, s.created_at, s.last_seen,
                    s.expires_at, s.revoked
             FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE CAST($1 AS text) IS NULL OR a.username = $1
             ORDER BY a.username, s.created_at",
            args![username],
        )?
        .into_iter()
        .map(|mut r| {
            Ok(DeviceSession {
                username: r.text(0)?,
                device_id: r.text(1)?,
                device_name: r.text(2)?,
                created_at: r.int(3)?,
                last_seen: r.int(4)?,
                expires_at: r.int(5)?,
                revoked: r.flag(6)?,
            })
        })
        .collect()
    }

    fn put_public_opinion(
        &self,
        code_hash: &[u8],
        o: &PublicOpinion,
        created_at: i64,
    ) -> Result<(), StorageError> {
        self.execute(
            "INSERT INTO public_opinions
                 (code_hash, station_id, doc_id, opinion_id, key_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![
                code_hash,
                &o.station_id,
                &o.doc_id,
                &o.opinion_id,
                o.key_id.as_deref(),
                created_at
            ],
        )?;
        Ok(())
    }

    fn public_opinion(&self, code_hash: &[u8]) -> Result<Option<PublicOpinion>, StorageError> {
        self.opt(
            "SELECT station_id, doc_id, opinion_id, key_id FROM public_opinions
             WHERE code_hash = $1",
            args![code_hash],
        )?
        .map(|mut r| {
            Ok(PublicOpinion {
                station_id: r.text(0)?,
                doc_id: r.text(1)?,
                opinion_id: r.text(2)?,
                key_id: r.opt_text(3)?,
            })
        })
        .transpose()
    }
}

/// `sql` with `$n` placeholders written as `?n` (SQLite reads `$1` as a named parameter,
/// numbered by first appearance rather than by its digits).
pub fn numbered_for_sqlite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_keep_their_numbers_for_sqlite() {
        assert_eq!(
            numbered_for_sqlite("UPDATE docs SET last_seq = $2 WHERE id = $1 AND x = '$'"),
            "UPDATE docs SET last_seq = ?2 WHERE id = ?1 AND x = '$'"
        );
    }
}
