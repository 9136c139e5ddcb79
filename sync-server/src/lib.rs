//! The Jiazhan sync server as a library: the binary, the integration tests and the
//! end-to-end tests all start it through [`start`].
//!
//! It merges Automerge changes from many devices: each sync request pushes a device's
//! unacknowledged changes and pulls everything newer than the device's cursor (see
//! docs/PROTOCOL.md). Storage sits behind the [`storage::Storage`] trait (one backend today:
//! [`storage::SqliteStorage`]); HTTP handling is in
//! [`api`], the one place storage errors become HTTP statuses.

pub mod api;
pub mod storage;

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use storage::{SqliteStorage, Storage, StorageError};

/// What the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// The SQLite file; created if missing.
    pub db_path: PathBuf,
    /// The address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Load the demo directory (Haidian streets, towns, stations) if the server has none.
    pub demo: bool,
}

/// A running server. Dropping it does not stop it: call [`RunningServer::shutdown`].
#[derive(Debug)]
pub struct RunningServer {
    /// The address actually bound.
    pub addr: SocketAddr,
    pub storage: SqliteStorage,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// `http://ADDR`, for clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, finishes requests in flight, and waits.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(());
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Opens storage, binds, and serves in a background task.
pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
    let storage = SqliteStorage::open(&config.db_path)?;
    if config.demo && storage.load_directory_if_missing(&shared::demo::directory())? {
        tracing::info!("demo directory loaded");
    }
    let listener = TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = api::router(storage.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(%addr, "sync server listening");
    Ok(RunningServer {
        addr,
        storage,
        stop,
        task,
    })
}
