//! `jiazhan-sync-server`: runs the sync server until Ctrl-C or SIGTERM, or, with a
//! subcommand, does one administrative task on its database and exits.

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args as ClapArgs, Parser, Subcommand};
use shared::model::Role;
use sync_server::config::{FileConfig, LogFormat};
use sync_server::{Database, NewAccount, SignInLimits, Store, Tls};

#[derive(Parser, Debug)]
#[command(version, about = "家站通 sync server")]
struct Args {
    /// Configuration file (TOML); see jiazhan-server.example.toml.
    #[arg(long, env = "JIAZHAN_SERVER_CONFIG")]
    config: Option<PathBuf>,
    /// The database: an SQLite file (created if missing) or a PostgreSQL URL
    /// (`postgres://user@host/db`) [default: jiazhan-server.db].
    #[arg(long, env = "JIAZHAN_SERVER_DB")]
    db: Option<String>,
    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8765].
    #[arg(long, env = "JIAZHAN_SERVER_BIND")]
    bind: Option<SocketAddr>,
    /// Load demo reference data (streets, towns, stations, deputies) if none is loaded.
    #[arg(long)]
    demo: bool,
    /// TLS certificate chain (PEM); serve HTTPS. Needs --tls-key.
    #[arg(long, env = "JIAZHAN_SERVER_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "JIAZHAN_SERVER_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR/metrics, on a listener of their own (keep
    /// it off the reverse proxy) [default: none].
    #[arg(long, env = "JIAZHAN_SERVER_METRICS_BIND")]
    metrics_bind: Option<SocketAddr>,
    /// Serve the web app (phones' browsers) at /app from this folder (app/web-dist, from
    /// .ci/build-ui.sh) [default: none].
    #[arg(long, env = "JIAZHAN_SERVER_WEB_APP")]
    web_app: Option<PathBuf>,
    /// Log lines on stderr as text, or as JSON (one object a line) [default: text].
    #[arg(long, env = "JIAZHAN_SERVER_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Option<Admin>,
}

/// Administrative tasks; without one, the server runs.
#[derive(Subcommand, Debug)]
enum Admin {
    /// Copy the database, consistently, to a new file (safe while a server runs).
    Backup { to: PathBuf },
    /// Copy this SQLite server's data into an empty PostgreSQL database, then check every
    /// table's rows and hash on both sides. Stop the server first; point it at the new
    /// database afterwards (devices keep their cursors and sessions).
    Migrate {
        /// The PostgreSQL database (`postgres://user@host/db`), empty.
        #[arg(long)]
        to: String,
    },
    /// Load the demo district (Haidian's streets, towns, stations and deputies) if the
    /// database has no directory, and its year 2022 of records if it has no records.
    LoadDemo,
    /// For a demo server only: load the demo district if missing, make sure one account of
    /// every role exists, and print them with their passwords. The passwords are kept in
    /// a file (mode 0600) so every run prints the same ones. Refuses a database that has
    /// other accounts.
    DemoAccounts {
        /// Where the passwords are kept [default: demo-accounts.txt beside the database].
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Reference data: streets and towns, stations, staff, deputies, departments.
    #[command(subcommand)]
    Directory(DirectoryCmd),
    /// Accounts: create, disable, reset a password, list.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Devices signed in: list, sign one out.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Print posters for stations' walls: the station's name, a QR code of its public
    /// page and one line of instructions, as PNG and PDF (A4), into a directory.
    Poster {
        /// The stations (ids); every station when none is named.
        stations: Vec<String>,
        /// Where the files go (created if missing).
        #[arg(long, default_value = "posters")]
        out: PathBuf,
        /// The public address voters reach this server at [default: `[public] url` of
        /// the config file].
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum DirectoryCmd {
    /// Load a directory (JSON, as `directory example` prints): adds new records and
    /// updates changed ones; devices receive them with their next sync.
    Load { file: PathBuf },
    /// Print the demo directory as JSON: the format `directory load` reads.
    Example,
}

#[derive(Subcommand, Debug)]
enum AccountCmd {
    /// Create an account. Without --password-stdin a password is generated and printed once.
    Create(CreateAccount),
    /// Disable an account: its devices are signed out and it cannot sign in.
    Disable { username: String },
    /// Set a new password (every device signs in again).
    ResetPassword {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Issue a one-time set-up code (72 hours, used once; issuing again replaces it): a
    /// new phone scans its QR (https://SERVER/setup#CODE) or takes the code typed, and
    /// its user chooses a password. Prints the code and the link, and writes the sheet
    /// to print (PNG and PDF) into --out.
    SetupCode {
        username: String,
        /// The server's address as phones reach it [default: [public] url].
        #[arg(long)]
        url: Option<String>,
        /// Where the sheets go.
        #[arg(long, default_value = "setup-codes")]
        out: PathBuf,
    },
}

#[derive(ClapArgs, Debug)]
struct CreateAccount {
    username: String,
    /// deputy, station_staff, subdistrict_coordinator, district_admin or department.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The station, street/town or department id the role works in (none for
    /// district_admin).
    #[arg(long)]
    scope: Option<String>,
    /// The name shown in the app.
    #[arg(long)]
    name: String,
    /// For a deputy: their id in the directory.
    #[arg(long)]
    deputy: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Subcommand, Debug)]
enum DeviceCmd {
    /// List devices (of one account, or of all).
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Sign a device out of every account (a lost phone).
    Revoke { device_id: String },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("one of {}", all.join(", "))
    })
}

/// The password from standard input, or a generated one (printed once).
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        Ok((sync_server::auth::random_password()?, true))
    }
}

fn date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn admin(storage: &Store, task: Admin, db: &Database, file: &FileConfig) -> anyhow::Result<()> {
    match task {
        Admin::Poster { stations, out, url } => {
            let url = url
                .or_else(|| file.public.as_ref().and_then(|p| p.url.clone()))
                .ok_or_else(|| {
                    anyhow::anyhow!("no public address: give --url or set [public] url")
                })?;
            let stations = if stations.is_empty() {
                storage.station_ids()?
            } else {
                stations
            };
            std::fs::create_dir_all(&out)?;
            let public = sync_server::public::store::PublicStore::new(storage.clone());
            for id in stations {
                let (text, address) = sync_server::public::poster_for(&public, &url, &id)?
                    .ok_or_else(|| anyhow::anyhow!("no station {id:?}"))?;
                let poster = sync_server::poster::poster(&text, &address)?;
                // Named for people: the station's name (no path separators).
                let name: String = text
                    .station_name
                    .chars()
                    .map(|c| {
                        if c == '/' || c == '\\' || c.is_control() {
                            '_'
                        } else {
                            c
                        }
                    })
                    .collect();
                for (ext, bytes) in [("png", &poster.png), ("pdf", &poster.pdf)] {
                    let path = out.join(format!("{name}-二维码海报.{ext}"));
                    std::fs::write(&path, bytes)?;
                    println!("{}\t{address}", path.display());
                }
            }
        }
        // Done before a database is opened (see main).
        Admin::Migrate { .. } => {}
        Admin::Backup { to } => {
            storage.backup_to(&to)?;
            println!("backed up {} to {}", db.describe(), to.display());
        }
        Admin::LoadDemo => {
            let loaded = sync_server::demo::load_demo(storage)?;
            println!(
                "{}",
                match (loaded.other_directory, loaded.directory, loaded.documents) {
                    (true, ..) => "another directory is loaded: the demo district was not",
                    (false, true, _) => "demo data loaded",
                    (false, false, 0) => "already loaded",
                    (false, false, _) => "demo records loaded",
                }
            );
        }
        Admin::DemoAccounts { file } => {
            let file = file.unwrap_or_else(|| match db {
                Database::Sqlite(path) => sync_server::demo::default_file(path),
                Database::Postgres { .. } => PathBuf::from("demo-accounts.txt"),
            });
            let accounts = sync_server::demo::ensure_demo_accounts(storage, &file)?;
            print!("{}", sync_server::demo::table(&accounts));
        }
        Admin::Directory(DirectoryCmd::Load { file }) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let dir: shared::Directory = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let written = storage.load_directory(&dir)?;
            println!(
                "directory loaded: {} stations, {written} changes",
                dir.stations.len()
            );
        }
        Admin::Directory(DirectoryCmd::Example) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&shared::demo::directory())?
            );
        }
        Admin::Account(AccountCmd::Create(a)) => {
            let (password, generated) = password(a.password_stdin)?;
            storage.create_account(
                &NewAccount {
                    username: a.username.clone(),
                    display_name: a.name,
                    role: a.role,
                    scope_id: a.scope,
                    deputy_id: a.deputy,
                },
                &password,
            )?;
            println!("created {}", a.username);
            if generated {
                println!("password: {password}");
            }
        }
        Admin::Account(AccountCmd::Disable { username }) => {
            storage.disable_account(&username)?;
            println!("disabled {username}; its devices are signed out");
        }
        Admin::Account(AccountCmd::ResetPassword {
            username,
            password_stdin,
        }) => {
            let (password, generated) = password(password_stdin)?;
            storage.reset_password(&username, &password)?;
            println!("password of {username} reset; its devices are signed out");
            if generated {
                println!("password: {password}");
            }
        }
        Admin::Account(AccountCmd::SetupCode { username, url, out }) => {
            let url = url
                .or_else(|| file.public.as_ref().and_then(|p| p.url.clone()))
                .ok_or_else(|| {
                    anyhow::anyhow!("no address for phones: give --url or set [public] url")
                })?;
            let account = storage
                .accounts()?
                .into_iter()
                .find(|(a, _)| a.username == username)
                .ok_or_else(|| anyhow::anyhow!("no account {username}"))?
                .0;
            let code = storage.issue_setup_code(&username, chrono::Utc::now().timestamp())?;
            let link = format!(
                "{}{}#{code}",
                url.trim_end_matches('/'),
                shared::protocol::SETUP_PAGE
            );
            let sheet = sync_server::poster::poster(
                &sync_server::public::setup_sheet(&account.display_name, &username),
                &link,
            )?;
            std::fs::create_dir_all(&out)?;
            println!("code: {code}");
            println!("link: {link}");
            for (ext, bytes) in [("png", &sheet.png), ("pdf", &sheet.pdf)] {
                let path = out.join(format!("{username}-开通码.{ext}"));
                std::fs::write(&path, bytes)?;
                println!("{}", path.display());
            }
        }
        Admin::Account(AccountCmd::List) => {
            for (a, disabled) in storage.accounts()? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    a.username,
                    a.role.as_str(),
                    a.scope_id.as_deref().unwrap_or("-"),
                    a.display_name,
                    if disabled { "\t(disabled)" } else { "" }
                );
            }
        }
        Admin::Device(DeviceCmd::List { user }) => {
            for d in storage.devices(user.as_deref())? {
                let state = if d.revoked {
                    "signed out"
                } else if d.expires_at <= chrono::Utc::now().timestamp() {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\tsince {}\tlast seen {}\t{state}",
                    d.username,
                    d.device_id,
                    d.device_name,
                    date(d.created_at),
                    date(d.last_seen)
                );
            }
        }
        Admin::Device(DeviceCmd::Revoke { device_id }) => {
            let n = storage.revoke_device(&device_id)?;
            println!("{n} session(s) of {device_id} ended");
        }
    }
    Ok(())
}

/// Logs go to stderr: stdout is for what an admin command prints. Events carry no
/// personal data (no voter's name or phone, no password or token), whatever the format.
fn init_logs(format: LogFormat) {
    use std::io::IsTerminal as _;
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // No colour codes in journald or a file.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        );
    match format {
        LogFormat::Text => logs.init(),
        // The message and fields at the top level, beside `timestamp`, `level` and
        // `target`, as journald's and log shippers' JSON parsers expect.
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let file = match &args.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let log_format = args.log_format.or(file.log_format).unwrap_or_default();
    init_logs(log_format);
    let mut db = Database::parse(
        &args
            .db
            .or(file.database.clone())
            .or(file.db.as_ref().map(|p| p.display().to_string()))
            .unwrap_or_else(|| "jiazhan-server.db".into()),
    );
    if let (Database::Postgres { pool, .. }, Some(size)) = (&mut db, file.database_pool) {
        *pool = size;
    }
    if let Some(task) = args.command {
        if let Admin::Migrate { to } = &task {
            let Database::Sqlite(from) = &db else {
                anyhow::bail!("migrate copies an SQLite database: give its file with --db");
            };
            let migrated = sync_server::storage::migrate::sqlite_to_postgres(from, to)?;
            println!("table\trows\tsha-256 (the same in both)");
            for (table, rows, hash) in &migrated.tables {
                println!("{table}\t{rows}\t{hash}");
            }
            println!(
                "copied {} to {}; start the server with that database",
                db.describe(),
                Database::parse(to).describe()
            );
            return Ok(());
        }
        let storage = Store::connect(&db)?;
        return admin(&storage, task, &db, &file);
    }
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(Tls { cert, key }),
        _ => file.tls,
    };
    let defaults = SignInLimits::default();
    let per_minute = |n: Option<NonZeroU32>, default| n.unwrap_or(default);
    let server = sync_server::start(sync_server::Config {
        database: db,
        bind: args
            .bind
            .or(file.bind)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8765))),
        demo: args.demo || file.demo.unwrap_or(false),
        tls,
        session_ttl: file
            .session_days
            .map_or(sync_server::DEFAULT_SESSION_TTL, |d| {
                Duration::from_secs(d.saturating_mul(24 * 3600))
            }),
        sign_in_limits: SignInLimits {
            per_account_per_minute: per_minute(
                file.sign_in_per_account_per_minute,
                defaults.per_account_per_minute,
            ),
            per_address_per_minute: per_minute(
                file.sign_in_per_address_per_minute,
                defaults.per_address_per_minute,
            ),
            account_failures_per_hour: per_minute(
                file.sign_in_failures_per_account_per_hour,
                defaults.account_failures_per_hour,
            ),
            trusted_proxies: file.trusted_proxies.unwrap_or_default(),
        },
        quotas: file.quotas.unwrap_or_default(),
        header_timeout: sync_server::HEADER_TIMEOUT,
        body_timeout: sync_server::BODY_TIMEOUT,
        connections_per_network: file
            .connections_per_network
            .map_or(sync_server::CONNECTIONS_PER_NETWORK, |n| {
                usize::try_from(n.get()).unwrap_or(usize::MAX)
            }),
        public: file.public.unwrap_or_default(),
        metrics_bind: args.metrics_bind.or(file.metrics_bind),
        web_app: args.web_app.or(file.web_app),
    })
    .await?;
    // For people at a terminal; in JSON every line is an object, and the address is in
    // the "sync server listening" event already.
    if log_format == LogFormat::Text {
        println!("listening on {}", server.url());
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
