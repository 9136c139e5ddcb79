//! Throwaway PostgreSQL for tests: a cluster of its own in a temporary folder, reached
//! only over a Unix socket there, gone when dropped; or, with `JIAZHAN_TEST_PG` set to a
//! superuser's URL of an existing cluster (`postgres://postgres@/postgres?host=/run/postgresql`),
//! that cluster. Each test asks for a fresh database, so tests never see each other's rows.
//!
//! Debian's binaries (`apt-get install postgresql`: 15 on Debian 12) are used as they are
//! installed, without a system cluster. `initdb` refuses to run as root, so as root the
//! folder goes to the `postgres` user and the tools run through `runuser`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use anyhow::{Context as _, bail};

/// Where Debian puts PostgreSQL 15's server programs.
const BIN: &str = "/usr/lib/postgresql/15/bin";

/// Settings for a cluster nobody keeps: no TCP, no waiting for the disk.
const SETTINGS: &str = "
listen_addresses = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
";

/// A PostgreSQL cluster for tests.
#[derive(Debug)]
pub struct PgCluster {
    place: Place,
    /// Databases made in an external cluster, dropped with it.
    made: Mutex<Vec<String>>,
}

#[derive(Debug)]
enum Place {
    /// Our own cluster: its folder (also the socket's), and a watcher that stops it if
    /// this process dies before dropping it.
    Own {
        dir: PathBuf,
        as_postgres: bool,
        watchdog: Option<Child>,
    },
    /// A cluster someone else runs: a superuser's URL of one of its databases.
    External { url: String },
}

impl PgCluster {
    /// Starts a new cluster, or uses the one `JIAZHAN_TEST_PG` names.
    pub fn start() -> anyhow::Result<PgCluster> {
        match std::env::var("JIAZHAN_TEST_PG") {
            Ok(url) if !url.trim().is_empty() => Ok(PgCluster {
                place: Place::External {
                    url: url.trim().to_owned(),
                },
                made: Mutex::default(),
            }),
            _ => start_own(),
        }
    }

    /// Creates an empty database and returns its URL (the superuser's).
    pub fn fresh_database(&self) -> anyhow::Result<String> {
        let name = format!("jiazhan_{}", uuid::Uuid::new_v4().simple());
        // The name is ours (letters, digits, '_'): safe to quote into the statement.
        admin(&self.admin_url(), &format!("CREATE DATABASE \"{name}\""))
            .context("creating a test database")?;
        if let Place::External { .. } = self.place {
            self.made
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(name.clone());
        }
        Ok(with_database(&self.admin_url(), &name))
    }

    fn admin_url(&self) -> String {
        match &self.place {
            Place::Own { dir, .. } => {
                format!("postgres://postgres@/postgres?host={}", dir.display())
            }
            Place::External { url } => url.clone(),
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let admin_url = self.admin_url();
        match &mut self.place {
            Place::Own {
                dir,
                as_postgres,
                watchdog,
            } => {
                let _ = tool(*as_postgres, "pg_ctl")
                    .arg("-D")
                    .arg(dir.join("data"))
                    .args(["-m", "immediate", "stop"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                if let Some(mut w) = watchdog.take() {
                    let _ = w.kill();
                    let _ = w.wait();
                }
                let _ = std::fs::remove_dir_all(&*dir);
            }
            Place::External { .. } => {
                let made = std::mem::take(self.made.get_mut().unwrap_or_else(|p| p.into_inner()));
                for name in made {
                    let _ = admin(
                        &admin_url,
                        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    );
                }
            }
        }
    }
}

fn start_own() -> anyhow::Result<PgCluster> {
    for program in ["initdb", "pg_ctl", "postgres"] {
        let path = Path::new(BIN).join(program);
        if !path.exists() {
            bail!(
                "PostgreSQL 15 is not installed ({} is missing): apt-get install postgresql",
                path.display()
            );
        }
    }
    let as_postgres = output(Command::new("id").arg("-u"))? == "0";
    let dir = std::env::temp_dir().join(format!("jiazhan-pg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // From here on, a failure drops the cluster: stopped if it started, folder removed.
    let mut cluster = PgCluster {
        place: Place::Own {
            dir: dir.clone(),
            as_postgres,
            watchdog: None,
        },
        made: Mutex::default(),
    };
    if as_postgres {
        let uid = output(Command::new("id").args(["-u", "postgres"]))?;
        let gid = output(Command::new("id").args(["-g", "postgres"]))?;
        std::os::unix::fs::chown(&dir, Some(uid.parse()?), Some(gid.parse()?))
            .context("giving the cluster's folder to the postgres user")?;
    }
    let data = dir.join("data");
    run(tool(as_postgres, "initdb")
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
        .args(["--no-sync", "--no-instructions"]))?;
    let conf = data.join("postgresql.conf");
    let mut settings = std::fs::read_to_string(&conf)?;
    settings.push_str(SETTINGS);
    // The setting's value is quoted; the folder's name is ours and has no quote.
    settings.push_str(&format!("unix_socket_directories = '{}'\n", dir.display()));
    std::fs::write(&conf, settings)?;
    // Stops the cluster and removes its folder should this process die without dropping
    // it (a test binary killed at a timeout).
    let watchdog = Command::new("sh")
        .arg("-c")
        .arg(
            "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; dir=$2; shift 2; \
             \"$@\" >/dev/null 2>&1; rm -rf \"$dir\"",
        )
        .arg("jiazhan-pg-watchdog")
        .arg(std::process::id().to_string())
        .arg(&dir)
        .args(tool_argv(as_postgres, "pg_ctl"))
        .arg("-D")
        .arg(&data)
        .args(["-m", "immediate", "stop"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the cluster's watchdog")?;
    if let Place::Own { watchdog: w, .. } = &mut cluster.place {
        *w = Some(watchdog);
    }
    run(tool(as_postgres, "pg_ctl")
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("log"))
        .args(["-w", "-t", "60", "start"]))
    .map_err(|e| {
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        anyhow::anyhow!("{e}\n{log}")
    })?;
    Ok(cluster)
}

/// The program and arguments that run a PostgreSQL tool, as `postgres` when we are root.
fn tool_argv(as_postgres: bool, program: &str) -> Vec<String> {
    let path = format!("{BIN}/{program}");
    if as_postgres {
        vec![
            "runuser".into(),
            "-u".into(),
            "postgres".into(),
            "--".into(),
            path,
        ]
    } else {
        vec![path]
    }
}

fn tool(as_postgres: bool, program: &str) -> Command {
    let argv = tool_argv(as_postgres, program);
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..]);
    c
}

fn run(c: &mut Command) -> anyhow::Result<()> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {c:?}"))?;
    if !out.status.success() {
        bail!(
            "{c:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn output(c: &mut Command) -> anyhow::Result<String> {
    let out = c.output().with_context(|| format!("running {c:?}"))?;
    if !out.status.success() {
        bail!("{c:?} failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `url` with its database (the path) replaced by `name`; the query (`?host=`) kept.
fn with_database(url: &str, name: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    let query = url[path..].find('?').map_or(url.len(), |i| path + i);
    let (head, tail) = (&url[..path], &url[query..]);
    format!("{head}/{name}{tail}")
}

/// Runs `sql` as the superuser, on a thread and runtime of its own: callers may be inside
/// a tokio runtime (a `#[tokio::test]`), where blocking on another runtime panics.
fn admin(url: &str, sql: &str) -> anyhow::Result<()> {
    std::thread::scope(|s| {
        s.spawn(|| -> anyhow::Result<()> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .context("connecting to the test cluster")?;
                let connection = tokio::spawn(connection);
                client.batch_execute(sql).await?;
                drop(client);
                let _ = connection.await;
                Ok(())
            })
        })
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the admin thread panicked")))
    })
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_database_is_swapped_into_either_form_of_url() {
        assert_eq!(
            with_database("postgres://postgres@/postgres?host=/run/postgresql", "x"),
            "postgres://postgres@/x?host=/run/postgresql"
        );
        assert_eq!(
            with_database("postgres://u:p@127.0.0.1:5433/db", "x"),
            "postgres://u:p@127.0.0.1:5433/x"
        );
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5433", "x"),
            "postgres://u@127.0.0.1:5433/x"
        );
    }
}
