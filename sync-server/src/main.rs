//! `jiazhan-sync-server`: runs the sync server until Ctrl-C or SIGTERM, or, with a
//! subcommand, does one administrative task on its database and exits.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(version, about = "家站通 sync server")]
struct Args {
    /// SQLite database file (created if missing).
    #[arg(long, env = "JIAZHAN_SERVER_DB", default_value = "jiazhan-server.db")]
    db: PathBuf,
    /// Address to listen on. Port 0 picks a free port.
    #[arg(long, env = "JIAZHAN_SERVER_BIND", default_value = "127.0.0.1:8765")]
    bind: SocketAddr,
    /// Load demo reference data (streets, towns, stations, deputies) if none is loaded.
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Admin>,
}

/// Administrative tasks; without one, the server runs.
#[derive(Subcommand, Debug)]
enum Admin {
    /// Copy the database, consistently, to a new file (safe while a server runs).
    Backup { to: PathBuf },
    /// Load the demo reference data if the database has none.
    LoadDemo,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    if let Some(task) = args.command {
        let storage = sync_server::SqliteStorage::open(&args.db)?;
        match task {
            Admin::Backup { to } => {
                storage.backup_to(&to)?;
                println!("backed up {} to {}", args.db.display(), to.display());
            }
            Admin::LoadDemo => {
                let loaded = storage.load_directory_if_missing(&shared::demo::directory())?;
                println!(
                    "{}",
                    if loaded {
                        "demo data loaded"
                    } else {
                        "already loaded"
                    }
                );
            }
        }
        return Ok(());
    }
    let server = sync_server::start(sync_server::Config {
        db_path: args.db,
        bind: args.bind,
        demo: args.demo,
    })
    .await?;
    println!("listening on {}", server.url());
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
