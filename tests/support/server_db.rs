//! The sync server's database as the tests see it, on either backend the tests run on
//! (`sync_server::Database::for_tests`; included with `#[path]` by the tests that restore
//! a server or look at what it stores): a backup taken while the server serves and
//! restored as docs/DEPLOYMENT.md has operators do it, a value read from its tables, and
//! a plain dump of it.

use std::path::{Path, PathBuf};
use std::process::Command;

use sync_server::{Database, Store};

/// Where Debian puts PostgreSQL 15's programs (`pg_dump`, `pg_restore`).
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A backup of the server's database.
#[derive(Debug)]
pub enum Backup {
    /// SQLite's online backup: a database file.
    Sqlite(PathBuf),
    /// `pg_dump -Fc` of the live database: a dump in PostgreSQL's custom format.
    Postgres(PathBuf),
}

/// Backs up `database`, which `storage` serves, while it serves: SQLite's online backup
/// into the new file `to`, or `pg_dump -Fc` into `to` with the extension `dump`.
pub fn backup(database: &Database, storage: &Store, to: &Path) -> Backup {
    match database {
        Database::Sqlite(_) => {
            storage.backup_to(to).unwrap();
            Backup::Sqlite(to.to_owned())
        }
        Database::Postgres { url, .. } => {
            let dump = to.with_extension("dump");
            pg_tool(
                Command::new(Path::new(PG_BIN).join("pg_dump"))
                    .args(["-Fc", "-d", url, "-f"])
                    .arg(&dump),
            );
            Backup::Postgres(dump)
        }
    }
}

/// A database restored from `backup`, for a server to start on: on SQLite, the file `at`
/// replaced by the backup (its write-ahead log and shared memory removed first: a newer
/// log over an older database would corrupt it); on PostgreSQL, a new empty database of
/// the test cluster that `pg_restore` loads the dump into.
pub fn restore(backup: &Backup, at: &Path) -> Database {
    match backup {
        Backup::Sqlite(file) => {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = at.as_os_str().to_owned();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
            std::fs::copy(file, at).unwrap();
            Database::Sqlite(at.to_owned())
        }
        Backup::Postgres(dump) => {
            let database = Database::for_tests(at.to_owned());
            let Database::Postgres { url, .. } = &database else {
                panic!("a PostgreSQL backup restores into PostgreSQL: JIAZHAN_TEST_BACKEND");
            };
            pg_tool(
                Command::new(Path::new(PG_BIN).join("pg_restore"))
                    .args(["--no-owner", "--exit-on-error", "-d", url])
                    .arg(dump),
            );
            database
        }
    }
}

/// The one value `sql` (written for both engines) selects from `database`.
pub async fn one<T>(database: &Database, sql: &str) -> T
where
    T: rusqlite::types::FromSql + for<'a> tokio_postgres::types::FromSql<'a>,
{
    match database {
        Database::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap(),
        Database::Postgres { url, .. } => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            let connection = tokio::spawn(connection);
            let value = client.query_one(sql, &[]).await.unwrap().get(0);
            drop(client);
            let _ = connection.await;
            value
        }
    }
}

/// Everything in the PostgreSQL database at `url`, as SQL (`pg_dump`'s plain format, in
/// which `bytea` values are written in hex).
pub fn plain_dump(url: &str) -> Vec<u8> {
    pg_tool(Command::new(Path::new(PG_BIN).join("pg_dump")).args(["-Fp", "-d", url]))
}

/// Whether a plain dump holds `needle`, as it is or as `bytea` hex.
pub fn dump_holds(dump: &[u8], needle: &[u8]) -> bool {
    let hex: String = needle.iter().map(|b| format!("{b:02x}")).collect();
    [needle, hex.as_bytes()]
        .iter()
        .any(|n| dump.windows(n.len()).any(|w| w == *n))
}

/// Runs a PostgreSQL client program; its standard output.
fn pg_tool(command: &mut Command) -> Vec<u8> {
    let out = command
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e} (apt-get install postgresql)"));
    assert!(
        out.status.success(),
        "{command:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
