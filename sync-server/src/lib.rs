//! The Jiazhan sync server as a library: the binary, the integration tests and the
//! end-to-end tests all start it through [`start`].
//!
//! It merges Automerge changes from many devices: each sync request pushes a device's
//! unacknowledged changes and pulls everything newer than the device's cursor (see
//! docs/PROTOCOL.md). The protocol is [`storage::Store`], which the handlers use, over a
//! database backend: an SQLite file, or PostgreSQL shared
//! by several instances ([`Database`]). HTTP handling is in [`api`], the one place storage
//! errors become HTTP statuses.

pub mod api;
pub mod auth;
pub mod config;
pub mod demo;
pub mod limits;
pub mod metrics;
#[cfg(any(test, feature = "test-support"))]
pub mod pg_cluster;
pub mod poster;
pub mod public;
pub mod storage;
pub mod web_app;
pub mod wire;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::task::JoinHandle;

pub use api::SignInLimits;
pub use storage::{Caller, Database, NewAccount, Quotas, SqliteStorage, StorageError, Store};

/// What the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// The SQLite file (created if missing) or the PostgreSQL database.
    pub database: Database,
    /// The address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Load the demo directory (Haidian streets, towns, stations) if the server has none.
    pub demo: bool,
    /// Serve HTTPS with this certificate chain and key (PEM files); plain HTTP without
    /// (behind a reverse proxy that terminates TLS, or on loopback).
    pub tls: Option<Tls>,
    /// How long a device's session lasts without being used.
    pub session_ttl: Duration,
    pub sign_in_limits: SignInLimits,
    /// What one account and one device may upload and store.
    pub quotas: Quotas,
    /// How long a client may take to send a request's headers, or leave a kept-alive
    /// connection idle.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's whole body, from the server's
    /// first read of it.
    pub body_timeout: Duration,
    /// The most connections one network (an IPv4 address, an IPv6 /64) holds open at
    /// once; trusted proxies have no cap.
    pub connections_per_network: usize,
    /// The voters' public pages: their address and limits.
    pub public: public::PublicConfig,
    /// Serve Prometheus metrics at `/metrics` on this address (port 0 picks one); none
    /// without it. A listener of its own, so the reverse proxy never exposes it.
    pub metrics_bind: Option<SocketAddr>,
    /// Serve the web app (phones' browsers) at `/app` from this folder, as
    /// `.ci/build-ui.sh` writes it (`app/web-dist`); none without it.
    pub web_app: Option<PathBuf>,
}

/// A certificate chain and its private key, PEM files.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Sessions last 90 days without a sync; each sync (at most hourly) extends them.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(90 * 24 * 3600);

impl Config {
    /// Defaults for a server on `bind` with `database` (an SQLite file's path, or a
    /// [`Database`]).
    pub fn new(database: impl Into<Database>, bind: SocketAddr) -> Config {
        Config {
            database: database.into(),
            bind,
            demo: false,
            tls: None,
            session_ttl: DEFAULT_SESSION_TTL,
            sign_in_limits: SignInLimits::default(),
            quotas: Quotas::default(),
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            connections_per_network: CONNECTIONS_PER_NETWORK,
            public: public::PublicConfig::default(),
            metrics_bind: None,
            web_app: None,
        }
    }
}

/// A running server. Dropping it does not stop it: call [`RunningServer::shutdown`].
#[derive(Debug)]
pub struct RunningServer {
    /// The address actually bound.
    pub addr: SocketAddr,
    pub storage: Store,
    /// The database it serves from (as configured).
    pub database: Database,
    /// The metrics listener's address, when one was asked for.
    pub metrics_addr: Option<SocketAddr>,
    metrics: Option<metrics::Listener>,
    tls: bool,
    handle: axum_server::Handle,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// `http://ADDR` (or `https://`), for clients.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting connections, finishes requests in flight (for up to 30 s), and
    /// waits.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.handle.graceful_shutdown(Some(Duration::from_secs(30)));
        let served = self.task.await.map_err(std::io::Error::other)?;
        if let Some(metrics) = self.metrics {
            metrics.shutdown().await?;
        }
        served
    }
}

/// How long a client may take by default to send a request's headers, and how long a
/// kept-alive connection may sit idle before its next request (the same timer in hyper).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a client may take by default to send a request's whole body, counted from
/// the server's first read of it (16 MiB at 0.3 MB/s fits).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// The most connections one network holds open at once by default: a station's or an
/// office's devices behind one address keep a few each.
pub const CONNECTIONS_PER_NETWORK: usize = 128;

/// Slow clients are cut off: headers and idle connections after `timeout`; HTTP/2
/// connections whose pings go unanswered as long are closed too.
fn with_timeouts(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    timeout: Duration,
) {
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(timeout);
    builder
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(Some(timeout))
        .keep_alive_timeout(timeout);
}

/// Accepts a connection: closes it at once when its network is at its cap
/// ([`limits::Connections`]), and drops one that sends nothing for `within`. Before
/// hyper reads headers (and starts their timer) it waits for the first bytes to tell
/// HTTP/1 from HTTP/2, with no timer of its own.
#[derive(Clone)]
pub(crate) struct Accepting {
    pub(crate) within: Duration,
    pub(crate) connections: limits::Connections,
}

impl<S: Send + 'static> axum_server::accept::Accept<tokio::net::TcpStream, S> for Accepting {
    type Stream = limits::Counted<tokio::net::TcpStream>;
    type Service = S;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = std::io::Result<(Self::Stream, S)>> + Send>,
    >;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        let within = self.within;
        let slot = stream
            .peer_addr()
            .ok()
            .and_then(|peer| self.connections.open(peer.ip()));
        Box::pin(async move {
            let Some(slot) = slot else {
                tracing::debug!("connection over its network's cap closed");
                return Err(std::io::Error::other(
                    "too many connections from one network",
                ));
            };
            let mut first = [0u8; 1];
            tokio::time::timeout(within, stream.peek(&mut first))
                .await
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
            Ok((limits::Counted::new(stream, slot), service))
        })
    }
}

/// Opens storage, binds, and serves in a background task.
pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
    let storage = Store::connect(&config.database)?.with_quotas(config.quotas);
    if config.demo && storage.load_directory_if_missing(&shared::demo::directory())? {
        tracing::info!("demo directory loaded");
    }
    if let Some(dir) = &config.web_app
        && !dir.join("index.html").is_file()
    {
        anyhow::bail!(
            "no web app in {} (build it with .ci/build-ui.sh)",
            dir.display()
        );
    }
    let listener = std::net::TcpListener::bind(config.bind)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    // A demo server without a public address is reached at its own: its posters work.
    let mut public = config.public.clone();
    if config.demo && public.url.is_none() {
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        public.url = Some(format!("{scheme}://{addr}"));
    }
    let metrics = std::sync::Arc::new(metrics::Metrics::new());
    let backend = storage.clone();
    metrics.pool("database", move || {
        let (in_use, size) = backend.backend().pool_use();
        (in_use as u64, size as u64)
    });
    let app = api::router(
        storage.clone(),
        config.session_ttl,
        config.sign_in_limits.clone(),
        &metrics,
    )
    .merge(public::router(
        storage.clone(),
        &public,
        config.sign_in_limits.trusted_proxies.clone(),
        config.session_ttl,
    ))
    .merge(match &config.web_app {
        Some(dir) => web_app::router(dir),
        None => axum::Router::new(),
    })
    // Every body, the public pages' too, arrives whole within its deadline.
    .layer(axum::middleware::from_fn_with_state(
        config.body_timeout,
        limits::body_deadline,
    ))
    .layer(axum::middleware::from_fn_with_state(
        metrics.clone(),
        metrics::track,
    ))
    .into_make_service_with_connect_info::<SocketAddr>();
    let accepting = Accepting {
        within: config.header_timeout,
        connections: limits::Connections::new(
            config.connections_per_network,
            config.sign_in_limits.trusted_proxies.clone(),
        ),
    };
    let handle = axum_server::Handle::new();
    let task = match &config.tls {
        Some(tls) => {
            // One crypto provider (ring, which reqwest's rustls also uses) for the process.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                .await
                .map_err(|e| anyhow::anyhow!("TLS certificate or key: {e}"))?;
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(rustls).acceptor(accepting);
            let mut server = axum_server::from_tcp(listener)
                .acceptor(acceptor)
                .handle(handle.clone());
            with_timeouts(server.http_builder(), config.header_timeout);
            tokio::spawn(async move { server.serve(app).await })
        }
        None => {
            let mut server = axum_server::from_tcp(listener)
                .acceptor(accepting)
                .handle(handle.clone());
            with_timeouts(server.http_builder(), config.header_timeout);
            tokio::spawn(async move { server.serve(app).await })
        }
    };
    tracing::info!(%addr, tls = config.tls.is_some(), "sync server listening");
    let metrics = match config.metrics_bind {
        Some(bind) => match metrics::Listener::start(bind, metrics, config.header_timeout) {
            Ok(listener) => Some(listener),
            Err(e) => {
                handle.shutdown();
                return Err(anyhow::anyhow!("metrics listener on {bind}: {e}"));
            }
        },
        None => None,
    };
    Ok(RunningServer {
        addr,
        storage,
        database: config.database.clone(),
        metrics_addr: metrics.as_ref().map(|m| m.addr),
        metrics,
        tls: config.tls.is_some(),
        handle,
        task,
    })
}
