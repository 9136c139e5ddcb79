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
use std::sync::LazyLock;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use futures_executor::block_on;
use shared::access::ReadScope;
use shared::doc::{DocFamily, DocId};
use shared::model::{Account, Role};
use shared::protocol::{WireChange, WireKey};
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql};

use super::backend::{
    AccountChange, AccountRow, Backend, NewChange, NewChunk, PublicOpinion, SessionRow, Sessions,
    Tx, UploadUsage,
};
use super::{BackendError, Credentials, DeviceSession, NewSession, StorageError};

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
            &tx.one(
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
fn get<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StorageError> {
    row.try_get(i).map_err(pg_error)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The document families every account reads, bound as one text[] parameter.
static SHARED_FAMILIES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    DocFamily::ALL
        .iter()
        .filter(|f| f.is_shared())
        .map(|f| f.as_str())
        .collect()
});

/// The SQL condition on `docs d` for the documents `scope` reads, as SQLite's: its
/// parameters ([`readable_params`]) numbered from `$first`.
fn readable(scope: &ReadScope, first: usize) -> String {
    let id = first + 1;
    let own = match scope {
        ReadScope::All => "TRUE".to_owned(),
        ReadScope::Shared => "FALSE".to_owned(),
        ReadScope::Station(_) => format!("d.station = ${id}"),
        ReadScope::Subdistrict(_) => {
            format!("d.station IN (SELECT id FROM stations WHERE subdistrict_id = ${id})")
        }
        ReadScope::Department(_) => format!("d.department = ${id}"),
    };
    format!("(d.kind = ANY(${first}::text[]) OR {own})")
}

/// The parameters of [`readable`]: the shared families, then the scope's id if it has
/// one.
fn readable_params(scope: &ReadScope) -> Vec<&(dyn ToSql + Sync)> {
    let mut p: Vec<&(dyn ToSql + Sync)> = vec![&*SHARED_FAMILIES];
    match scope {
        ReadScope::All | ReadScope::Shared => {}
        ReadScope::Station(id) | ReadScope::Subdistrict(id) | ReadScope::Department(id) => {
            p.push(id);
        }
    }
    p
}

/// The columns [`account_row`] reads, in its order, from `accounts a`.
const ACCOUNT_COLUMNS: &str = "a.username, a.display_name, a.role, a.scope_id, a.deputy_id";

fn account_row(r: &Row) -> Result<Account, StorageError> {
    let role: String = get(r, 2)?;
    Ok(Account {
        username: get(r, 0)?,
        display_name: get(r, 1)?,
        role: Role::parse(&role)
            .ok_or_else(|| backend_error(false, format!("unknown role {role:?}")))?,
        scope_id: get(r, 3)?,
        deputy_id: get(r, 4)?,
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

    fn rows(&self, sql: &str, p: &Params<'_>) -> Result<Vec<Row>, StorageError> {
        let c = self.client();
        self.run(async { c.query(&c.prepare_cached(sql).await?, p).await })
    }

    fn opt(&self, sql: &str, p: &Params<'_>) -> Result<Option<Row>, StorageError> {
        let c = self.client();
        self.run(async { c.query_opt(&c.prepare_cached(sql).await?, p).await })
    }

    fn one(&self, sql: &str, p: &Params<'_>) -> Result<Row, StorageError> {
        let c = self.client();
        self.run(async { c.query_one(&c.prepare_cached(sql).await?, p).await })
    }

    fn exec(&self, sql: &str, p: &Params<'_>) -> Result<u64, StorageError> {
        let c = self.client();
        self.run(async { c.execute(&c.prepare_cached(sql).await?, p).await })
    }

    fn strings(&self, sql: &str, p: &Params<'_>) -> Result<Vec<String>, StorageError> {
        self.rows(sql, p)?.iter().map(|r| get(r, 0)).collect()
    }

    fn exists(&self, sql: &str, p: &Params<'_>) -> Result<bool, StorageError> {
        get(&self.one(sql, p)?, 0)
    }

    /// The highest of `docs.<column>` (`last_seq`, `last_key_seq`, each indexed) among
    /// the documents `scope` reads: the documents newest first, to the first it reads.
    fn max_readable(&self, scope: &ReadScope, column: &str) -> Result<u64, StorageError> {
        let row = self.opt(
            &format!(
                "SELECT d.{column} FROM docs d WHERE {} ORDER BY d.{column} DESC LIMIT 1",
                readable(scope, 1)
            ),
            &readable_params(scope),
        )?;
        Ok(match row {
            Some(r) => to_u64(get(&r, 0)?),
            None => 0,
        })
    }

    fn touch_keys(&self, doc_id: &str, seq: u64) -> Result<(), StorageError> {
        self.exec(
            "UPDATE docs SET last_key_seq = $2 WHERE id = $1",
            &[&doc_id, &to_i64(seq)],
        )?;
        Ok(())
    }
}

impl Tx for PostgresTx {
    fn commit(mut self: Box<Self>) -> Result<(), StorageError> {
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

    fn subdistrict_of(&self, station: &str) -> Result<Option<String>, StorageError> {
        self.opt(
            "SELECT subdistrict_id FROM stations WHERE id = $1",
            &[&station],
        )?
        .map(|r| get(&r, 0))
        .transpose()
    }

    fn put_station(&self, id: &str, subdistrict_id: &str) -> Result<(), StorageError> {
        self.exec(
            "INSERT INTO stations (id, subdistrict_id) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET subdistrict_id = EXCLUDED.subdistrict_id",
            &[&id, &subdistrict_id],
        )?;
        Ok(())
    }

    fn put_department(&self, id: &str) -> Result<(), StorageError> {
        self.exec(
            "INSERT INTO departments (id) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&id],
        )?;
        Ok(())
    }

    fn department_exists(&self, id: &str) -> Result<bool, StorageError> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM departments WHERE id = $1)",
            &[&id],
        )
    }

    fn subdistrict_exists(&self, id: &str) -> Result<bool, StorageError> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM stations WHERE subdistrict_id = $1)",
            &[&id],
        )
    }

    fn station_ids(&self) -> Result<Vec<String>, StorageError> {
        self.strings("SELECT id FROM stations ORDER BY id", &[])
    }

    fn department_ids(&self) -> Result<Vec<String>, StorageError> {
        self.strings("SELECT id FROM departments ORDER BY id", &[])
    }

    fn insert_doc(&self, id: &DocId) -> Result<(), StorageError> {
        self.exec(
            "INSERT INTO docs (id, kind, station, department) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[
                &id.to_string(),
                &id.family().as_str(),
                &id.station_id(),
                &id.department_id(),
            ],
        )?;
        Ok(())
    }

    fn doc_exists(&self, doc_id: &str) -> Result<bool, StorageError> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM docs WHERE id = $1)",
            &[&doc_id],
        )
    }

    fn doc_ids(
        &self,
        family: DocFamily,
        station: Option<&str>,
        department: Option<&str>,
    ) -> Result<Vec<String>, StorageError> {
        self.strings(
            "SELECT id FROM docs WHERE kind = $1
               AND ($2::text IS NULL OR station = $2) AND ($3::text IS NULL OR department = $3)
             ORDER BY id",
            &[&family.as_str(), &station, &department],
        )
    }

    fn any_doc(&self, family: DocFamily) -> Result<bool, StorageError> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM docs WHERE kind = $1)",
            &[&family.as_str()],
        )
    }

    fn doc_changes(&self, doc_id: &str, after: u64) -> Result<Vec<(u64, Vec<u8>)>, StorageError> {
        self.rows(
            "SELECT seq, bytes FROM changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq",
            &[&doc_id, &to_i64(after)],
        )?
        .iter()
        .map(|r| Ok((to_u64(get(r, 0)?), get(r, 1)?)))
        .collect()
    }

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

    fn doc_last_seq(&self, doc_id: &str) -> Result<u64, StorageError> {
        Ok(
            match self.opt("SELECT last_seq FROM docs WHERE id = $1", &[&doc_id])? {
                Some(r) => to_u64(get(&r, 0)?),
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
            &[&doc_id, &actor, &to_i64(actor_seq)],
        )?
        .map(|r| get(&r, 0))
        .transpose()
    }

    fn actor_device(&self, actor: &[u8]) -> Result<Option<String>, StorageError> {
        self.opt(
            "SELECT device_id FROM device_actors WHERE actor = $1",
            &[&actor],
        )?
        .map(|r| get(&r, 0))
        .transpose()
    }

    fn bind_actor(&self, actor: &[u8], device_id: &str) -> Result<(), StorageError> {
        self.exec(
            "INSERT INTO device_actors (actor, device_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&actor, &device_id],
        )?;
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

    fn change_count(&self) -> Result<u64, StorageError> {
        Ok(to_u64(get(
            &self.one("SELECT COUNT(*) FROM changes", &[])?,
            0,
        )?))
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
        let (cursor, limit) = (to_i64(cursor), to_i64(limit as u64));
        let mut p: Vec<&(dyn ToSql + Sync)> = vec![&cursor, &except_device, &limit];
        p.extend(readable_params(scope));
        self.rows(&sql, &p)?
            .iter()
            .map(|r| {
                Ok((
                    to_u64(get(r, 0)?),
                    WireChange {
                        doc_id: get(r, 1)?,
                        kind: get(r, 2)?,
                        bytes: get(r, 3)?,
                    },
                ))
            })
            .collect()
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
        let limit = to_i64(limit as u64);
        let mut p: Vec<&(dyn ToSql + Sync)> = vec![&after, &limit];
        p.extend(readable_params(scope));
        self.rows(&sql, &p)?
            .iter()
            .map(|r| Ok((get(r, 0)?, get(r, 1)?)))
            .collect()
    }

    fn last_key_seq(&self) -> Result<u64, StorageError> {
        Ok(to_u64(get(
            &self.one("SELECT COALESCE(MAX(seq), 0) FROM record_keys", &[])?,
            0,
        )?))
    }

    fn key_state(&self, key_id: &str) -> Result<Option<(String, bool)>, StorageError> {
        self.opt(
            "SELECT doc_id, key IS NOT NULL FROM record_keys WHERE key_id = $1",
            &[&key_id],
        )?
        .map(|r| Ok((get(&r, 0)?, get(&r, 1)?)))
        .transpose()
    }

    fn insert_key(
        &self,
        key_id: &str,
        doc_id: &str,
        key: Option<&[u8]>,
        seq: u64,
    ) -> Result<bool, StorageError> {
        let added = self.exec(
            "INSERT INTO record_keys (key_id, doc_id, key, seq) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[&key_id, &doc_id, &key, &to_i64(seq)],
        )?;
        if added > 0 {
            self.touch_keys(doc_id, seq)?;
        }
        Ok(added > 0)
    }

    fn clear_key(&self, key_id: &str, doc_id: &str, seq: u64) -> Result<(), StorageError> {
        self.exec(
            "UPDATE record_keys SET key = NULL, seq = $2 WHERE key_id = $1",
            &[&key_id, &to_i64(seq)],
        )?;
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
        let sql = format!(
            "WITH d AS MATERIALIZED (
                 SELECT d.id FROM docs d WHERE d.last_key_seq > $1 AND {}
             )
             SELECT k.seq, k.key_id, k.doc_id, k.key FROM d JOIN record_keys k ON k.doc_id = d.id
             WHERE k.seq > $1
             ORDER BY k.seq LIMIT $2",
            readable(scope, 3)
        );
        let (cursor, limit) = (to_i64(cursor), to_i64(limit as u64));
        let mut p: Vec<&(dyn ToSql + Sync)> = vec![&cursor, &limit];
        p.extend(readable_params(scope));
        self.rows(&sql, &p)?
            .iter()
            .map(|r| {
                Ok((
                    to_u64(get(r, 0)?),
                    WireKey {
                        key_id: get(r, 1)?,
                        doc_id: get(r, 2)?,
                        key: get(r, 3)?,
                    },
                ))
            })
            .collect()
    }

    fn drop_uploads_before(&self, received_before: i64) -> Result<(), StorageError> {
        self.exec(
            "DELETE FROM upload_chunks WHERE received_at < $1",
            &[&received_before],
        )?;
        Ok(())
    }

    fn linked_file_size(&self, hash: &str, doc_id: &str) -> Result<Option<u64>, StorageError> {
        self.opt(
            "SELECT b.size FROM blobs b JOIN blob_docs l ON l.hash = b.hash
             WHERE b.hash = $1 AND l.doc_id = $2",
            &[&hash, &doc_id],
        )?
        .map(|r| Ok(to_u64(get(&r, 0)?)))
        .transpose()
    }

    fn upload_received(&self, hash: &str, doc_id: &str) -> Result<u64, StorageError> {
        Ok(to_u64(get(
            &self.one(
                "SELECT COALESCE(SUM(octet_length(data)), 0)::bigint FROM upload_chunks
                 WHERE hash = $1 AND doc_id = $2",
                &[&hash, &doc_id],
            )?,
            0,
        )?))
    }

    fn upload_size(&self, hash: &str, doc_id: &str) -> Result<Option<u64>, StorageError> {
        self.opt(
            "SELECT size FROM upload_chunks WHERE hash = $1 AND doc_id = $2 LIMIT 1",
            &[&hash, &doc_id],
        )?
        .map(|r| get::<i64>(&r, 0).map(to_u64))
        .transpose()
    }

    fn upload_usage(&self, username: &str, device_id: &str) -> Result<UploadUsage, StorageError> {
        let r = self.one(
            "SELECT
                 (SELECT COUNT(*) FROM (SELECT DISTINCT hash, doc_id FROM upload_chunks
                                        WHERE device_id = $2) u),
                 (SELECT COUNT(*) FROM (SELECT DISTINCT hash, doc_id FROM upload_chunks
                                        WHERE username = $1) u),
                 (SELECT COALESCE(SUM(size), 0)::bigint
                  FROM (SELECT DISTINCT hash, doc_id, size FROM upload_chunks
                        WHERE username = $1) u),
                 (SELECT COALESCE(SUM(size), 0)::bigint FROM blobs WHERE device_id = $2),
                 (SELECT COALESCE(SUM(size), 0)::bigint FROM blobs WHERE username = $1)",
            &[&username, &device_id],
        )?;
        let n = |i| -> Result<u64, StorageError> { Ok(to_u64(get(&r, i)?)) };
        Ok(UploadUsage {
            device_uploads: n(0)?,
            account_uploads: n(1)?,
            account_reserved_bytes: n(2)?,
            device_stored_bytes: n(3)?,
            account_stored_bytes: n(4)?,
        })
    }

    fn put_chunk(&self, c: &NewChunk<'_>) -> Result<(), StorageError> {
        self.exec(
            "INSERT INTO upload_chunks (hash, doc_id, byte_offset, data, received_at, size,
                                        username, device_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &c.hash,
                &c.doc_id,
                &to_i64(c.offset),
                &c.data,
                &c.received_at,
                &to_i64(c.size),
                &c.username,
                &c.device_id,
            ],
        )?;
        Ok(())
    }

    fn take_upload(&self, hash: &str, doc_id: &str) -> Result<Vec<u8>, StorageError> {
        let mut chunks = self
            .rows(
                "DELETE FROM upload_chunks WHERE hash = $1 AND doc_id = $2
                 RETURNING byte_offset, data",
                &[&hash, &doc_id],
            )?
            .iter()
            .map(|r| Ok((get::<i64>(r, 0)?, get::<Vec<u8>>(r, 1)?)))
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
        self.exec(
            "INSERT INTO blobs (hash, size, data, username, device_id) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
            &[
                &hash,
                &to_i64(data.len() as u64),
                &data,
                &username,
                &device_id,
            ],
        )?;
        self.exec(
            "INSERT INTO blob_docs (hash, doc_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&hash, &doc_id],
        )?;
        Ok(())
    }

    fn file_bytes(&self, hash: &str, start: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        // substring counts from 1, in int4.
        let int = |n: u64| {
            i32::try_from(n).map_err(|_| StorageError::BadRequest("range too large".into()))
        };
        let (from, count) = (int(start + 1)?, int(len)?);
        match self.opt(
            "SELECT substring(data FROM $2 FOR $3) FROM blobs WHERE hash = $1",
            &[&hash, &from, &count],
        )? {
            Some(r) => get(&r, 0),
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
            &[&username, &device_id],
        )?
        .map(|r| {
            Ok(Credentials {
                account_id: get(&r, 0)?,
                password_hash: get(&r, 1)?,
                known_device: get(&r, 2)?,
            })
        })
        .transpose()
    }

    fn device_of_other_account(
        &self,
        device_id: &str,
        account_id: i64,
    ) -> Result<bool, StorageError> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE device_id = $1 AND account_id <> $2)",
            &[&device_id, &account_id],
        )
    }

    fn insert_session(&self, s: &NewSession) -> Result<(), StorageError> {
        self.exec(
            "INSERT INTO sessions (token_hash, account_id, device_id, device_name,
                                   created_at, last_seen, expires_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
            &[
                &s.token_hash,
                &s.account_id,
                &s.device_id,
                &s.device_name,
                &s.now,
                &s.expires_at,
            ],
        )?;
        Ok(())
    }

    fn end_sessions(&self, which: Sessions<'_>) -> Result<usize, StorageError> {
        let open = "UPDATE sessions SET revoked = true WHERE NOT revoked AND";
        let ended = match which {
            Sessions::Token(t) => self.exec(&format!("{open} token_hash = $1"), &[&t])?,
            Sessions::AccountDevice(a, d) => self.exec(
                &format!("{open} account_id = $1 AND device_id = $2"),
                &[&a, &d],
            )?,
            Sessions::Account(a) => self.exec(&format!("{open} account_id = $1"), &[&a])?,
            Sessions::Device(d) => self.exec(&format!("{open} device_id = $1"), &[&d])?,
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
            &[&token_hash, &now],
        )?
        .map(|r| {
            Ok(SessionRow {
                account: account_row(&r)?,
                device_id: get(&r, 5)?,
                last_seen: get(&r, 6)?,
                expires_at: get(&r, 7)?,
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
        self.exec(
            "UPDATE sessions SET last_seen = $2, expires_at = $3 WHERE token_hash = $1",
            &[&token_hash, &now, &expires_at],
        )?;
        Ok(())
    }

    fn account(&self, id: i64) -> Result<Option<Account>, StorageError> {
        self.opt(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1"),
            &[&id],
        )?
        .map(|r| account_row(&r))
        .transpose()
    }

    fn account_id(&self, username: &str) -> Result<Option<i64>, StorageError> {
        self.opt("SELECT id FROM accounts WHERE username = $1", &[&username])?
            .map(|r| get(&r, 0))
            .transpose()
    }

    fn insert_account(&self, a: &AccountRow<'_>) -> Result<bool, StorageError> {
        let inserted = self.exec(
            "INSERT INTO accounts
                 (username, display_name, role, scope_id, deputy_id, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT DO NOTHING",
            &[
                &a.username,
                &a.display_name,
                &a.role,
                &a.scope_id,
                &a.deputy_id,
                &a.password_hash,
                &a.created_at,
            ],
        )?;
        Ok(inserted > 0)
    }

    fn change_account(&self, id: i64, change: AccountChange<'_>) -> Result<(), StorageError> {
        match change {
            AccountChange::Disable => {
                self.exec("UPDATE accounts SET disabled = true WHERE id = $1", &[&id])?
            }
            AccountChange::Password(hash) => self.exec(
                "UPDATE accounts SET password_hash = $2 WHERE id = $1",
                &[&id, &hash],
            )?,
        };
        Ok(())
    }

    fn accounts(&self) -> Result<Vec<(Account, bool)>, StorageError> {
        self.rows(
            &format!("SELECT {ACCOUNT_COLUMNS}, a.disabled FROM accounts a ORDER BY a.username"),
            &[],
        )?
        .iter()
        .map(|r| Ok((account_row(r)?, get(r, 5)?)))
        .collect()
    }

    fn devices(&self, username: Option<&str>) -> Result<Vec<DeviceSession>, StorageError> {
        self.rows(
            "SELECT a.username, s.device_id, s.device_name, s.created_at, s.last_seen,
                    s.expires_at, s.revoked
             FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE $1::text IS NULL OR a.username = $1
             ORDER BY a.username, s.created_at",
            &[&username],
        )?
        .iter()
        .map(|r| {
            Ok(DeviceSession {
                username: get(r, 0)?,
                device_id: get(r, 1)?,
                device_name: get(r, 2)?,
                created_at: get(r, 3)?,
                last_seen: get(r, 4)?,
                expires_at: get(r, 5)?,
                revoked: get(r, 6)?,
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
        self.exec(
            "INSERT INTO public_opinions
                 (code_hash, station_id, doc_id, opinion_id, key_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &code_hash,
                &o.station_id,
                &o.doc_id,
                &o.opinion_id,
                &o.key_id,
                &created_at,
            ],
        )?;
        Ok(())
    }

    fn public_opinion(&self, code_hash: &[u8]) -> Result<Option<PublicOpinion>, StorageError> {
        self.opt(
            "SELECT station_id, doc_id, opinion_id, key_id FROM public_opinions
             WHERE code_hash = $1",
            &[&code_hash],
        )?
        .map(|r| {
            Ok(PublicOpinion {
                station_id: get(&r, 0)?,
                doc_id: get(&r, 1)?,
                opinion_id: get(&r, 2)?,
                key_id: get(&r, 3)?,
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests;
