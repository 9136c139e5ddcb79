//! `admin migrate --to postgres://…`: copies an SQLite server's data into an empty
//! PostgreSQL database, row for row, then checks every table's row count and a hash of
//! its rows on both sides.
//!
//! Sequence numbers and account ids are copied as they are (the identity columns are
//! moved past them afterwards), so devices keep their cursors and sessions: after the
//! switch they sync as if nothing happened.

use std::path::Path;

use rusqlite::types::ValueRef;
use sha2::{Digest as _, Sha256};
use tokio_postgres::types::ToSql;

use super::{Postgres, Sqlite, StorageError};

/// How a column is read and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    /// An integer 0/1 in SQLite, a boolean in PostgreSQL.
    Bool,
    Text,
    Bytes,
}

/// A table and its columns (name, the same in both databases, and kind); the identity
/// column whose values are copied too.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    identity: Option<&'static str>,
}

use Kind::{Bool, Bytes, Int, Text};

/// In an order that satisfies the foreign keys.
const TABLES: &[Table] = &[
    Table {
        name: "stations",
        columns: &[("id", Text), ("subdistrict_id", Text)],
        identity: None,
    },
    Table {
        name: "departments",
        columns: &[("id", Text)],
        identity: None,
    },
    Table {
        name: "docs",
        columns: &[
            ("id", Text),
            ("kind", Text),
            ("station", Text),
            ("department", Text),
            ("last_seq", Int),
            ("last_key_seq", Int),
        ],
        identity: None,
    },
    Table {
        name: "changes",
        columns: &[
            ("seq", Int),
            ("doc_id", Text),
            ("hash", Text),
            ("device_id", Text),
            ("bytes", Bytes),
            ("actor", Bytes),
            ("actor_seq", Int),
        ],
        identity: Some("seq"),
    },
    Table {
        name: "device_actors",
        columns: &[("actor", Bytes), ("device_id", Text)],
        identity: None,
    },
    Table {
        name: "blobs",
        columns: &[
            ("hash", Text),
            ("size", Int),
            ("data", Bytes),
            ("username", Text),
            ("device_id", Text),
        ],
        identity: None,
    },
    Table {
        name: "blob_docs",
        columns: &[("hash", Text), ("doc_id", Text)],
        identity: None,
    },
    Table {
        name: "upload_chunks",
        columns: &[
            ("hash", Text),
            ("doc_id", Text),
            ("byte_offset", Int),
            ("data", Bytes),
            ("received_at", Int),
            ("size", Int),
            ("username", Text),
            ("device_id", Text),
        ],
        identity: None,
    },
    Table {
        name: "accounts",
        columns: &[
            ("id", Int),
            ("username", Text),
            ("display_name", Text),
            ("role", Text),
            ("scope_id", Text),
            ("deputy_id", Text),
            ("password_hash", Text),
            ("disabled", Bool),
            ("created_at", Int),
            ("setup_code_hash", Bytes),
            ("setup_expires_at", Int),
        ],
        identity: Some("id"),
    },
    Table {
        name: "sessions",
        columns: &[
            ("token_hash", Bytes),
            ("account_id", Int),
            ("device_id", Text),
            ("device_name", Text),
            ("created_at", Int),
            ("last_seen", Int),
            ("expires_at", Int),
            ("revoked", Bool),
        ],
        identity: None,
    },
    Table {
        name: "record_keys",
        columns: &[
            ("key_id", Text),
            ("doc_id", Text),
            ("key", Bytes),
            ("seq", Int),
        ],
        identity: None,
    },
    Table {
        name: "public_opinions",
        columns: &[
            ("code_hash", Bytes),
            ("station_id", Text),
            ("doc_id", Text),
            ("opinion_id", Text),
            ("key_id", Text),
            ("created_at", Int),
        ],
        identity: None,
    },
];

/// One value, as both sides hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    fn to_sql(&self, kind: Kind) -> Box<dyn ToSql + Sync + Send> {
        match (self, kind) {
            (Value::Null, Int) => Box::new(None::<i64>),
            (Value::Null, Bool) => Box::new(None::<bool>),
            (Value::Null, Text) => Box::new(None::<String>),
            (Value::Null, Bytes) => Box::new(None::<Vec<u8>>),
            (Value::Int(n), Bool) => Box::new(*n != 0),
            (Value::Int(n), _) => Box::new(*n),
            (Value::Text(t), _) => Box::new(t.clone()),
            (Value::Bytes(b), _) => Box::new(b.clone()),
        }
    }

    /// Feeds the value, unambiguously, into a row's hash.
    fn hash_into(&self, h: &mut Sha256) {
        match self {
            Value::Null => h.update([0]),
            Value::Int(n) => {
                h.update([1]);
                h.update(n.to_be_bytes());
            }
            Value::Text(t) => {
                h.update([2]);
                h.update((t.len() as u64).to_be_bytes());
                h.update(t.as_bytes());
            }
            Value::Bytes(b) => {
                h.update([3]);
                h.update((b.len() as u64).to_be_bytes());
                h.update(b);
            }
        }
    }
}

/// What was copied: each table's rows and hash (the same on both sides).
#[derive(Debug)]
pub struct Migrated {
    pub tables: Vec<(&'static str, u64, String)>,
}

/// A table's row count and hash: SHA-256 over the sorted hashes of its rows, so the
/// order each database returns rows in does not matter.
#[derive(Default)]
struct Tally {
    rows: Vec<[u8; 32]>,
}

impl Tally {
    fn add(&mut self, row: &[Value]) {
        let mut h = Sha256::new();
        for v in row {
            v.hash_into(&mut h);
        }
        self.rows.push(h.finalize().into());
    }

    fn finish(mut self) -> (u64, String) {
        self.rows.sort_unstable();
        let mut h = Sha256::new();
        for r in &self.rows {
            h.update(r);
        }
        (
            self.rows.len() as u64,
            h.finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        )
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::BadRequest(format!("{what}: {e}"))
}

/// Copies the SQLite server at `from` into the empty PostgreSQL database `to`, and
/// checks every table's rows and hash. Run it with the server stopped (a copy of a
/// database still being written would miss what comes after).
pub fn sqlite_to_postgres(from: &Path, to: &str) -> Result<Migrated, StorageError> {
    if !from.exists() {
        return Err(StorageError::NotFound(format!("{}", from.display())));
    }
    // Both schemas at their latest (older SQLite files get their backfills).
    drop(Sqlite::open(from)?);
    drop(Postgres::connect(to, 1)?);
    let source =
        rusqlite::Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let to = to.to_owned();
    // A thread of its own: the driver needs a runtime, and the caller may sit in one.
    std::thread::scope(|s| {
        s.spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| failed("a runtime", e))?;
            runtime.block_on(copy(&source, &to))
        })
        .join()
        .map_err(|_| StorageError::Internal("the migration thread panicked".into()))?
    })
}

async fn copy(source: &rusqlite::Connection, to: &str) -> Result<Migrated, StorageError> {
    let (mut client, connection) = tokio_postgres::connect(to, tokio_postgres::NoTls)
        .await
        .map_err(|e| failed("connecting", e))?;
    let driver = tokio::spawn(connection);
    let tx = client
        .transaction()
        .await
        .map_err(|e| failed("a transaction", e))?;
    for t in TABLES {
        let n: i64 = tx
            .query_one(&format!("SELECT COUNT(*) FROM {}", t.name), &[])
            .await
            .map_err(|e| failed(t.name, e))?
            .get(0);
        if n > 0 {
            return Err(StorageError::Conflict(format!(
                "the target database is not empty ({} has rows): migrate into a new one",
                t.name
            )));
        }
    }
    let mut tables = Vec::new();
    for t in TABLES {
        let columns: Vec<&str> = t.columns.iter().map(|c| c.0).collect();
        let marks: Vec<String> = (1..=t.columns.len()).map(|i| format!("${i}")).collect();
        let insert = tx
            .prepare(&format!(
                "INSERT INTO {} ({}) {} VALUES ({})",
                t.name,
                columns.join(", "),
                if t.identity.is_some() {
                    "OVERRIDING SYSTEM VALUE"
                } else {
                    ""
                },
                marks.join(", ")
            ))
            .await
            .map_err(|e| failed(t.name, e))?;
        let mut source_tally = Tally::default();
        // Row by row, so a table of photos is never held in memory at once.
        let mut query =
            source.prepare(&format!("SELECT {} FROM {}", columns.join(", "), t.name))?;
        let mut rows = query.query([])?;
        while let Some(r) = rows.next()? {
            let row = sqlite_row(r, t.columns.len())?;
            let params: Vec<Box<dyn ToSql + Sync + Send>> = row
                .iter()
                .zip(t.columns)
                .map(|(v, (_, kind))| v.to_sql(*kind))
                .collect();
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            tx.execute(&insert, &refs)
                .await
                .map_err(|e| failed(t.name, e))?;
            source_tally.add(&row);
        }
        drop(rows);
        drop(query);
        if let Some(column) = t.identity {
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', '{column}'),
                                   COALESCE((SELECT MAX({column}) FROM {0}), 0) + 1, false)",
                    t.name
                ),
                &[],
            )
            .await
            .map_err(|e| failed(t.name, e))?;
        }
        // Read back what PostgreSQL holds, the same way.
        let mut target_tally = Tally::default();
        let select = tx
            .prepare(&format!("SELECT {} FROM {}", columns.join(", "), t.name))
            .await
            .map_err(|e| failed(t.name, e))?;
        let portal = tx.bind(&select, &[]).await.map_err(|e| failed(t.name, e))?;
        loop {
            let page = tx
                .query_portal(&portal, 1000)
                .await
                .map_err(|e| failed(t.name, e))?;
            for r in &page {
                let row: Vec<Value> = t
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| pg_value(r, i, *kind))
                    .collect::<Result<_, _>>()?;
                target_tally.add(&row);
            }
            if page.len() < 1000 {
                break;
            }
        }
        let (source_rows, source_hash) = source_tally.finish();
        let (target_rows, target_hash) = target_tally.finish();
        if (source_rows, &source_hash) != (target_rows, &target_hash) {
            return Err(StorageError::Internal(format!(
                "{}: {source_rows} rows (hash {source_hash}) read, {target_rows} rows \
                 (hash {target_hash}) written; nothing was kept",
                t.name
            )));
        }
        tables.push((t.name, source_rows, source_hash));
    }
    tx.commit().await.map_err(|e| failed("committing", e))?;
    drop(client);
    let _ = driver.await;
    Ok(Migrated { tables })
}

fn sqlite_row(r: &rusqlite::Row<'_>, columns: usize) -> Result<Vec<Value>, StorageError> {
    (0..columns)
        .map(|i| {
            Ok(match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::Int(n),
                ValueRef::Real(f) => Value::Int(f as i64),
                ValueRef::Text(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
                ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
            })
        })
        .collect()
}

fn pg_value(row: &tokio_postgres::Row, i: usize, kind: Kind) -> Result<Value, StorageError> {
    let bad = |e: tokio_postgres::Error| failed("reading back", e);
    Ok(match kind {
        Int => row
            .try_get::<_, Option<i64>>(i)
            .map_err(bad)?
            .map_or(Value::Null, Value::Int),
        Bool => row
            .try_get::<_, Option<bool>>(i)
            .map_err(bad)?
            .map_or(Value::Null, |b| Value::Int(i64::from(b))),
        Text => row
            .try_get::<_, Option<String>>(i)
            .map_err(bad)?
            .map_or(Value::Null, Value::Text),
        Bytes => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map_err(bad)?
            .map_or(Value::Null, Value::Bytes),
    })
}
