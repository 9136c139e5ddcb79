//! The server-database backend: PostgreSQL (15 and later), so several server instances
//! can serve one district from one database.
//!
//! ## Synchronous callers, asynchronous driver
//! [`Tx`] is synchronous and its callers may be anywhere: on a `spawn_blocking` thread,
//! or on a tokio worker itself (tests call `Store` methods straight from a
//! `#[tokio::test]` body). `Runtime::block_on` panics on a thread that is already inside
//! a runtime, so the backend never blocks on a runtime. It owns one (two workers) that
//! runs what needs tokio: connecting and the pool's `get()` (with its timers) are spawned
//! there and waited for on a `std::sync::mpsc` channel, and every connection's task lives
//! there. A query future only talks to its connection's task over channels, so the
//! calling thread polls it with `futures_executor::block_on`, which needs no runtime.
//!
//! A read transaction costs one round trip per statement and no more: its `BEGIN` is
//! sent with its first statement (tokio-postgres pipelines requests polled together),
//! and its `COMMIT` finishes on the backend's runtime while the caller goes on.
//!
//! ## The ordering guarantee ([`super::backend`])
//! A write transaction is `BEGIN ISOLATION LEVEL READ COMMITTED` whose first statement
//! takes a transaction-scoped advisory lock ([`WRITE_LOCK`]): one writer at a time among
//! all instances on the database, from before it draws its first sequence number until
//! it ends. PostgreSQL makes a commit visible before it releases the transaction's locks,
//! so the next writer's statements (each with a fresh snapshot under READ COMMITTED) see
//! it: key numbers are `MAX + 1` as in SQLite, and change numbers come from an identity
//! column whose sequence caches one value (a cache per connection would hand numbers out
//! of order). A read transaction is `REPEATABLE READ READ ONLY`: one snapshot throughout.
//!
//! Unlike SQLite's `secure_delete`, an erased record key's old row version stays in the
//! table until VACUUM reuses its space, and in the write-ahead log until it is recycled:
//! [`Backend::after_erase`] has nothing to do here.

use std::cell::Cell;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use futures_executor::block_on;
use shared::access::ReadScope;
use shared::protocol::{WireChange, WireKey};
use tokio_postgres::types::{FromSql, ToSql, Type};
use tokio_postgres::{Row as PgRow, Statement};

use super::backend::{Backend, NewChange, Tx};
use super::sql::{self, Arg, Cell as Value, Driver, Row, to_i64};
use super::{BackendError, StorageError};

/// Append-only: never edit a migration that has shipped; add a new one.
const MIGRATIONS: &[&str] = &[
    // The schema of SQLite's seven migrations, at once. Document, station, department
    // and user ids compare bytewise ("C"), as in SQLite, whatever the database's locale:
    // lists and bootstrap pages come in the same order (and joins on document ids use
    // one collation). Photos live here too, so every instance serves them; stored
    // uncompressed (they are JPEGs), which also lets a byte range be read without the
    // whole file.
    r#"CREATE TABLE docs (
    id text COLLATE "C" PRIMARY KEY,
    kind text NOT NULL,
    station text,
    department text,
    last_seq bigint NOT NULL DEFAULT 0,
    last_key_seq bigint NOT NULL DEFAULT 0
);
CREATE INDEX docs_station ON docs (station);
CREATE INDEX docs_department ON docs (department);
CREATE INDEX docs_last_seq ON docs (last_seq);
CREATE INDEX docs_last_key_seq ON docs (last_key_seq);
CREATE TABLE changes (
    seq bigint GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
    doc_id text COLLATE "C" NOT NULL REFERENCES docs (id),
    hash text NOT NULL,
    device_id text NOT NULL,
    bytes bytea NOT NULL,
    actor bytea NOT NULL,
    actor_seq bigint NOT NULL,
    UNIQUE (doc_id, hash)
);
CREATE INDEX changes_doc_seq ON changes (doc_id, seq);
CREATE INDEX changes_actor_seq ON changes (doc_id, actor, actor_seq);
CREATE TABLE device_actors (actor bytea PRIMARY KEY, device_id text NOT NULL);
CREATE TABLE blobs (
    hash text PRIMARY KEY,
    size bigint NOT NULL,
    data bytea NOT NULL,
    username text NOT NULL,
    device_id text NOT NULL
);
ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX blobs_username ON blobs (username);
CREATE INDEX blobs_device ON blobs (device_id);
CREATE TABLE blob_docs (
    hash text NOT NULL REFERENCES blobs (hash),
    doc_id text NOT NULL,
    PRIMARY KEY (hash, doc_id)
);
CREATE TABLE upload_chunks (
    hash text NOT NULL,
    doc_id text NOT NULL,
    byte_offset bigint NOT NULL,
    data bytea NOT NULL,
    received_at bigint NOT NULL,
    size bigint NOT NULL,
    username text NOT NULL,
    device_id text NOT NULL,
    PRIMARY KEY (hash, doc_id, byte_offset)
);
CREATE INDEX upload_chunks_received ON upload_chunks (received_at);
CREATE INDEX upload_chunks_username ON upload_chunks (username);
CREATE INDEX upload_chunks_device ON upload_chunks (device_id);
CREATE TABLE stations (id text COLLATE "C" PRIMARY KEY, subdistrict_id text NOT NULL);
CREATE INDEX stations_subdistrict ON stations (subdistrict_id);
CREATE TABLE departments (id text COLLATE "C" PRIMARY KEY);
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text COLLATE "C" NOT NULL UNIQUE,
    display_name text NOT NULL,
    role text NOT NULL,
    scope_id text,
    deputy_id text,
    password_hash text NOT NULL,
    disabled boolean NOT NULL DEFAULT false,
    created_at bigint NOT NULL
);
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    device_id text NOT NULL,
    device_name text NOT NULL,
    created_at bigint NOT NULL,
    last_seen bigint NOT NULL,
    expires_at bigint NOT NULL,
    revoked boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_device ON sessions (device_id);
CREATE TABLE record_keys (
    key_id text PRIMARY KEY,
    doc_id text COLLATE "C" NOT NULL,
    key bytea,
    seq bigint NOT NULL
);
CREATE INDEX record_keys_seq ON record_keys (seq);
CREATE INDEX record_keys_doc ON record_keys (doc_id, seq);
CREATE TABLE public_opinions (
    code_hash bytea PRIMARY KEY,
    station_id text NOT NULL,
    doc_id text NOT NULL,
    opinion_id text NOT NULL,
    key_id text,
    created_at bigint NOT NULL
);
CREATE INDEX public_opinions_station ON public_opinions (station_id, created_at);
"#,
    // SQLite's ninth: an account's one-time set-up code.
    "ALTER TABLE accounts ADD COLUMN setup_code_hash bytea;
     ALTER TABLE accounts ADD COLUMN setup_expires_at bigint;",
];

/// The advisory lock every write transaction takes first ("jiazhan" and 1).
const WRITE_LOCK: i64 = 0x6A69_617A_6861_6E01;
/// The advisory lock migrations run under, so instances starting together take turns.
const MIGRATION_LOCK: i64 = 0x6A69_617A_6861_6E02;

/// How long a request waits for a free connection, and for a new one.
const POOL_WAIT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL backend: a pool of connections driven by a runtime of its own.
pub struct Postgres {
    pool: Pool,
    runtime: tokio::runtime::Handle,
    /// Taken when dropped (shut down without blocking: it may be dropped in a runtime).
    own_runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Postgres")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.pool.close();
        if let Some(rt) = self.own_runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn backend_error(unavailable: bool, message: impl Into<String>) -> StorageError {
    StorageError::Backend(BackendError {
        unavailable,
        message: message.into(),
    })
}

/// A driver error as a [`StorageError`]: the server's code and message, never the
/// statement's parameters (tokio-postgres does not put them in errors, and the server's
/// DETAIL, which can quote a row's values, is left out). Unavailable: the connection is
/// gone or refused, or the server asks for a retry (contention, timeouts, shutdown).
fn pg_error(e: tokio_postgres::Error) -> StorageError {
    let retry = |code: &str| {
        code.starts_with("08") // connection exceptions
            || matches!(
                code,
                "40001" // serialization_failure
                    | "40P01" // deadlock_detected
                    | "55P03" // lock_not_available
                    | "57014" // query_canceled (statement_timeout)
                    | "57P01" // admin_shutdown
                    | "57P02" // crash_shutdown
                    | "57P03" // cannot_connect_now
                    | "53300" // too_many_connections
                    | "25P03" // idle_in_transaction_session_timeout
            )
    };
    // Text the network sent that PostgreSQL's text cannot hold (NUL): the request's
    // fault, never the server's. Every route checks names before this; this is the net.
    if e.code()
        .is_some_and(|c| matches!(c.code(), "22021" | "22P05"))
    {
        return StorageError::BadRequest(
            "text holding a character the database cannot store (NUL)".into(),
        );
    }
    let mut io = false;
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        io |= s.is::<std::io::Error>();
        source = s.source();
    }
    let unavailable = e.is_closed() || io || e.code().is_some_and(|c| retry(c.code()));
    let message = match e.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => e.to_string(),
    };
    backend_error(unavailable, message)
}

fn pool_error(e: PoolError) -> StorageError {
    match e {
        PoolError::Backend(e) => pg_error(e),
        PoolError::Timeout(_) => backend_error(true, "no database connection came free in time"),
        PoolError::Closed => backend_error(true, "the database pool is closed"),
        e => backend_error(false, format!("database pool: {e}")),
    }
}

impl Postgres {
    /// Connects to the database at `url` (`postgres://user@127.0.0.1:5432/db`, or over a
    /// Unix socket `postgres://user@/db?host=/run/postgresql`) with up to `pool_size`
    /// connections, and brings it to the latest schema.
    pub fn connect(url: &str, pool_size: usize) -> Result<Postgres, StorageError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| backend_error(false, format!("database URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("jiazhan-sync-server");
        }
        let own_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("postgres")
            .enable_all()
            .build()
            .map_err(|e| backend_error(false, format!("database runtime: {e}")))?;
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                // A connection comes back only after its transaction ended (see Drop).
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| backend_error(false, format!("database pool: {e}")))?;
        let pg = Postgres {
            pool,
            runtime: own_runtime.handle().clone(),
            own_runtime: Some(own_runtime),
        };
        pg.migrate()?;
        Ok(pg)
    }

    /// A connection from the pool, got on the backend's runtime (the pool's timers and
    /// new connections need one) and handed over a channel.
    fn connection(&self) -> Result<Object, StorageError> {
        // Not polled here: on a thread inside another runtime (a tokio worker), tokio's
        // cooperative budget belongs to that runtime's task, and once spent the pool's
        // semaphore would answer "not yet" for ever to a poller that never yields to it.
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let pool = self.pool.clone();
        self.runtime.spawn(async move {
            let _ = sender.send(pool.get().await);
        });
        receiver
            .recv()
            .map_err(|_| backend_error(true, "the database runtime has stopped"))?
            .map_err(pool_error)
    }

    fn begin(&self, sql: &str) -> Result<PostgresTx, StorageError> {
        let tx = self.transaction(None)?;
        // Dropped on failure, the transaction rolls back whatever part of this ran.
        tx.run(tx.client().batch_execute(sql))?;
        Ok(tx)
    }

    /// A transaction on a pooled connection; `begin`, if given, is sent together with
    /// its first statement.
    fn transaction(&self, begin: Option<&'static str>) -> Result<PostgresTx, StorageError> {
        Ok(PostgresTx {
            client: Some(self.connection()?),
            open: true,
            failed: Cell::new(false),
            begin: Cell::new(begin),
            read_only: begin.is_some(),
            runtime: self.runtime.clone(),
        })
    }

    /// Applies the migrations this database lacks, in one transaction, under a lock so
    /// that instances starting together take turns. A database migrated by a newer
    /// server is refused.
    fn migrate(&self) -> Result<(), StorageError> {
        let tx = self.begin(&format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED;
             SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
             CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY);"
        ))?;
        let applied: i32 = get(
            &tx.pg_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )?,
            0,
        )?;
        let applied = usize::try_from(applied).unwrap_or(0);
        if applied > MIGRATIONS.len() {
            return Err(backend_error(
                false,
                format!(
                    "the database's schema (version {applied}) is newer than this server's \
                     ({}): run a newer server",
                    MIGRATIONS.len()
                ),
            ));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            tx.run(tx.client().batch_execute(sql))?;
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.exec(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&version],
            )?;
        }
        Box::new(tx).commit()
    }
}

impl Backend for Postgres {
    fn write(&self) -> Result<Box<dyn Tx + '_>, StorageError> {
        Ok(Box::new(self.begin(&format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
             SELECT pg_advisory_xact_lock({WRITE_LOCK});"
        ))?))
    }

    fn read(&self) -> Result<Box<dyn Tx + '_>, StorageError> {
        // No round trip of its own: BEGIN goes out with the first statement, and the
        // snapshot is taken by that statement, inside the transaction.
        Ok(Box::new(self.transaction(Some(READ_BEGIN))?))
    }

    fn pool_use(&self) -> (usize, usize) {
        let s = self.pool.status();
        (s.size.saturating_sub(s.available), s.max_size)
    }
}

/// How a read transaction begins.
const READ_BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// A transaction on one pooled connection, which goes back to the pool when it ends.
pub struct PostgresTx {
    /// Always there; taken only when dropped.
    client: Option<Object>,
    open: bool,
    /// A statement failed: PostgreSQL has aborted the transaction, and COMMIT would
    /// quietly roll it back, so [`Tx::commit`] refuses instead.
    failed: Cell<bool>,
    /// A read transaction's BEGIN, not sent yet: it is pipelined with the first
    /// statement (one round trip for both).
    begin: Cell<Option<&'static str>>,
    /// A read transaction (`READ ONLY`).
    read_only: bool,
    /// The backend's runtime, where a read transaction's COMMIT finishes.
    runtime: tokio::runtime::Handle,
}

impl Drop for PostgresTx {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if self.open
            && self.begin.get().is_none()
            && block_on(client.batch_execute("ROLLBACK")).is_err()
        {
            // Its state is unknown: the connection leaves the pool and closes.
            drop(Object::take(client));
        }
    }
}

type Params<'a> = [&'a (dyn ToSql + Sync)];

/// Column `i` of `row`.
fn get<'a, T: FromSql<'a>>(row: &'a PgRow, i: usize) -> Result<T, StorageError> {
    row.try_get(i).map_err(pg_error)
}

/// The SQL condition on `docs d` for the documents `scope` reads (the common text's),
/// its scope id bound as `$id`.
fn readable(scope: &ReadScope, id: usize) -> String {
    sql::readable(scope, id)
}

/// An argument as the statement's parameter type `ty` takes it: PostgreSQL's types are
/// strict where SQLite's are not (an `int4` parameter takes no `int8`, a boolean no
/// integer).
fn pg_arg<'a>(arg: Arg<'a>, ty: &Type) -> Result<Box<dyn ToSql + Sync + 'a>, StorageError> {
    Ok(match arg {
        Arg::Int(n) if *ty == Type::INT4 => Box::new(
            i32::try_from(n).map_err(|_| StorageError::BadRequest("number too large".into()))?,
        ),
        Arg::Int(n) if *ty == Type::BOOL => Box::new(n != 0),
        Arg::Int(n) => Box::new(n),
        Arg::Bool(b) => Box::new(b),
        Arg::Text(t) => Box::new(t),
        Arg::Blob(b) => Box::new(b),
    })
}

/// Column `i` of `row` as a [`Cell`] (a boolean as 0 or 1).
fn cell(row: &PgRow, i: usize) -> Result<Value, StorageError> {
    let ty = row.columns()[i].type_();
    Ok(if *ty == Type::INT8 {
        get::<Option<i64>>(row, i)?.map_or(Value::Null, Value::Int)
    } else if *ty == Type::INT4 {
        get::<Option<i32>>(row, i)?.map_or(Value::Null, |n| Value::Int(n.into()))
    } else if *ty == Type::INT2 {
        get::<Option<i16>>(row, i)?.map_or(Value::Null, |n| Value::Int(n.into()))
    } else if *ty == Type::BOOL {
        get::<Option<bool>>(row, i)?.map_or(Value::Null, |b| Value::Int(b.into()))
    } else if *ty == Type::BYTEA {
        get::<Option<Vec<u8>>>(row, i)?.map_or(Value::Null, Value::Blob)
    } else {
        get::<Option<String>>(row, i)?.map_or(Value::Null, Value::Text)
    })
}

impl PostgresTx {
    fn client(&self) -> &Object {
        self.client
            .as_ref()
            .expect("a transaction has its connection until dropped")
    }

    /// Waits for `f` on this thread (see the module's doc); a failure marks the
    /// transaction failed.
    fn run<T>(
        &self,
        f: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, StorageError> {
        let begin = self.begin.take();
        block_on(async {
            match begin {
                None => f.await,
                // Polled together, the two requests go out back to back (tokio-postgres
                // pipelines them) and PostgreSQL runs them in order.
                Some(sql) => {
                    let (began, result) = tokio::join!(self.client().batch_execute(sql), f);
                    began.and(result)
                }
            }
        })
        .map_err(|e| {
            self.failed.set(true);
            pg_error(e)
        })
    }

    fn rows(&self, sql: &str, p: &Params<'_>) -> Result<Vec<PgRow>, StorageError> {
        let c = self.client();
        self.run(async { c.query(&c.prepare_cached(sql).await?, p).await })
    }

    fn pg_one(&self, sql: &str, p: &Params<'_>) -> Result<PgRow, StorageError> {
        let c = self.client();
        self.run(async { c.query_one(&c.prepare_cached(sql).await?, p).await })
    }

    fn exec(&self, sql: &str, p: &Params<'_>) -> Result<u64, StorageError> {
        let c = self.client();
        self.run(async { c.execute(&c.prepare_cached(sql).await?, p).await })
    }

    /// Runs a statement of the common SQL text: its arguments bound as its parameter
    /// types ask, prepared (once per connection) and run in one round trip with the
    /// read transaction's BEGIN, if not sent yet.
    fn common<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        run: impl AsyncFnOnce(&Object, &Statement, &Params<'_>) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StorageError> {
        let c = self.client();
        // An argument the parameter cannot take is refused before the statement runs
        // (the inner result), a database error after (the outer one).
        self.run(async {
            let stmt = c.prepare_cached(sql).await?;
            let bound: Vec<Box<dyn ToSql + Sync>> = match args
                .iter()
                .zip(stmt.params())
                .map(|(a, ty)| pg_arg(*a, ty))
                .collect()
            {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            };
            let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref() as _).collect();
            run(c, &stmt, &refs).await.map(Ok)
        })?
    }
}

impl Driver for PostgresTx {
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, StorageError> {
        let rows = self.common(sql, args, async |c, stmt, p| c.query(stmt, p).await)?;
        rows.iter()
            .map(|r| {
                Ok(Row((0..r.len())
                    .map(|i| cell(r, i))
                    .collect::<Result<_, _>>()?))
            })
            .collect()
    }

    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StorageError> {
        self.common(sql, args, async |c, stmt, p| c.execute(stmt, p).await)
    }

    fn commit_tx(mut self: Box<Self>) -> Result<(), StorageError> {
        if self.failed.get() {
            return Err(backend_error(
                false,
                "a statement of the transaction failed; it was rolled back",
            ));
        }
        if self.begin.take().is_some() {
            // Nothing was asked: nothing was begun.
            self.open = false;
            return Ok(());
        }
        if self.read_only {
            // A read commits nothing: its COMMIT finishes on the backend's runtime, which
            // then returns the connection to the pool, and the caller goes on.
            if let Some(client) = self.client.take() {
                self.runtime.spawn(async move {
                    if client.batch_execute("COMMIT").await.is_err() {
                        drop(Object::take(client));
                    }
                });
            }
            self.open = false;
            return Ok(());
        }
        self.run(self.client().batch_execute("COMMIT"))?;
        self.open = false;
        Ok(())
    }

    fn append_change(&self, c: &NewChange<'_>) -> Result<bool, StorageError> {
        // The change and its document's last sequence number, in one round trip.
        let stored = self.exec(
            "WITH c AS (
                 INSERT INTO changes (doc_id, hash, device_id, bytes, actor, actor_seq)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT DO NOTHING
                 RETURNING doc_id, seq
             )
             UPDATE docs SET last_seq = c.seq FROM c WHERE docs.id = c.doc_id",
            &[
                &c.doc_id,
                &c.hash,
                &c.device_id,
                &c.bytes,
                &c.actor,
                &to_i64(c.actor_seq),
            ],
        )?;
        Ok(stored > 0)
    }

    /// The documents newest first (each column is indexed), to the first it reads.
    fn max_readable(&self, scope: &ReadScope, column: &str) -> Result<u64, StorageError> {
        let sql = format!(
            "SELECT d.{column} FROM docs d WHERE {} ORDER BY d.{column} DESC LIMIT 1",
            readable(scope, 1)
        );
        let args: Vec<Arg> = sql::scope_arg(scope).into_iter().collect();
        Ok(match self.opt(&sql, &args)? {
            Some(mut r) => r.count(0)?,
            None => 0,
        })
    }

    fn changes_after(
        &self,
        scope: &ReadScope,
        cursor: u64,
        except_device: &str,
        limit: usize,
    ) -> Result<Vec<(u64, WireChange)>, StorageError> {
        // The documents written since the cursor first, then each one's changes after it
        // by index: the changes of documents the caller does not read are never visited,
        // and an idle sync visits nothing.
        let sql = format!(
            "WITH d AS MATERIALIZED (
                 SELECT d.id, d.kind FROM docs d WHERE d.last_seq > $1 AND {}
             )
             SELECT c.seq, c.doc_id, d.kind, c.bytes FROM d JOIN changes c ON c.doc_id = d.id
             WHERE c.seq > $1 AND c.device_id <> $2
             ORDER BY c.seq LIMIT $3",
            readable(scope, 4)
        );
        let mut args = vec![
            Arg::from(cursor),
            Arg::from(except_device),
            Arg::from(limit as u64),
        ];
        args.extend(sql::scope_arg(scope));
        self.query(&sql, &args)?
            .into_iter()
            .map(|mut r| {
                Ok((
                    r.count(0)?,
                    WireChange {
                        doc_id: r.text(1)?,
                        kind: r.text(2)?,
                        bytes: r.blob(3)?,
                    },
                ))
            })
            .collect()
    }

    fn keys_after(
        &self,
        scope: &ReadScope,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<(u64, WireKey)>, StorageError> {
        let sql = format!(
            "WITH d AS MATERIALIZED (
                 SELECT d.id FROM docs d WHERE d.last_key_seq > $1 AND {}
             )
             SELECT k.seq, k.key_id, k.doc_id, k.key FROM d JOIN record_keys k ON k.doc_id = d.id
             WHERE k.seq > $1
             ORDER BY k.seq LIMIT $2",
            readable(scope, 3)
        );
        let mut args = vec![Arg::from(cursor), Arg::from(limit as u64)];
        args.extend(sql::scope_arg(scope));
        self.query(&sql, &args)?
            .into_iter()
            .map(|mut r| {
                Ok((
                    r.count(0)?,
                    WireKey {
                        key_id: r.text(1)?,
                        doc_id: r.text(2)?,
                        key: r.opt_blob(3)?,
                    },
                ))
            })
            .collect()
    }

    /// All in one round trip, by an array parameter.
    fn changes_of_docs(&self, doc_ids: &[&str]) -> Result<Vec<Vec<Vec<u8>>>, StorageError> {
        let mut by_doc: std::collections::HashMap<&str, Vec<Vec<u8>>> =
            doc_ids.iter().map(|id| (*id, Vec::new())).collect();
        let rows = self.rows(
            "SELECT doc_id, bytes FROM changes WHERE doc_id = ANY($1) ORDER BY doc_id, seq",
            &[&doc_ids],
        )?;
        for r in &rows {
            let doc_id: &str = get(r, 0)?;
            if let Some(changes) = by_doc.get_mut(doc_id) {
                changes.push(get(r, 1)?);
            }
        }
        Ok(doc_ids
            .iter()
            .map(|id| by_doc.remove(id).unwrap_or_default())
            .collect())
    }
}

#[cfg(test)]
mod tests;
