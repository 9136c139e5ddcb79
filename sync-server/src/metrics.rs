//! Prometheus metrics: one registry per server, filled by a layer over every route and
//! by the sync handler, and served in OpenMetrics text at `GET /metrics` on a listener
//! of its own (`metrics_bind`), never on the public one: the reverse proxy forwards
//! everything on the main listener, and the figures (routes, error kinds, load) are
//! for the operator alone.
//!
//! Labels are bounded by construction: a route is its template (`/s/{station}`, never
//! the path a voter typed, which carries a station id or a tracking code), a method
//! one of a few, an error kind a fixed name. Nothing personal is ever a label.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use tokio::task::JoinHandle;

/// The OpenMetrics text format's content type.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    /// The route's template, or `unmatched`.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    method: &'static str,
    route: String,
    /// `2xx`, `3xx`, `4xx` or `5xx`: codes would multiply the buckets' series.
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// A pool whose use is read when scraped: (in use, size).
type PoolUse = Box<dyn Fn() -> (u64, u64) + Send + Sync>;

/// The server's metrics. Recording is a few atomic operations; the pools are read only
/// when scraped.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<LatencyLabels>,
    sync_request_bytes: Histogram,
    sync_response_bytes: Histogram,
    changes_pushed: Histogram,
    changes_pulled: Histogram,
    bootstrap_documents: Histogram,
    errors: Family<ErrorLabels, Counter>,
    pool_in_use: Family<PoolLabels, Gauge>,
    pool_size: Family<PoolLabels, Gauge>,
    pools: Mutex<Vec<(&'static str, PoolUse)>>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    // 1 ms to 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Bytes: 256 B to 16 MiB (the largest body) by fours.
fn bytes_histogram() -> Histogram {
    Histogram::new(exponential_buckets(256.0, 4.0, 9))
}

/// Changes in one sync: at most 1,000 each way.
fn changes_histogram() -> Histogram {
    Histogram::new([0.0, 1.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0])
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("jiazhan");
        let requests = Family::default();
        let latency = HistogramFamily::new_with_constructor(latency_histogram as fn() -> _);
        let sync_request_bytes = bytes_histogram();
        let sync_response_bytes = bytes_histogram();
        let changes_pushed = changes_histogram();
        let changes_pulled = changes_histogram();
        let bootstrap_documents = Histogram::new([1.0, 10.0, 50.0, 100.0, 200.0]);
        let errors = Family::default();
        let pool_in_use = Family::default();
        let pool_size = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to a response's headers, by route template, method and status class",
            Unit::Seconds,
            latency.clone(),
        );
        registry.register_with_unit(
            "sync_request",
            "Body of a /v1/sync request, as decompressed",
            Unit::Bytes,
            sync_request_bytes.clone(),
        );
        registry.register_with_unit(
            "sync_response",
            "Body of a /v1/sync response, before compression",
            Unit::Bytes,
            sync_response_bytes.clone(),
        );
        registry.register(
            "sync_changes_pushed",
            "Changes a device pushed in one sync",
            changes_pushed.clone(),
        );
        registry.register(
            "sync_changes_pulled",
            "Changes a device pulled in one sync",
            changes_pulled.clone(),
        );
        registry.register(
            "sync_bootstrap_documents",
            "Whole documents in one bootstrap page",
            bootstrap_documents.clone(),
        );
        registry.register(
            "errors",
            "Error answers of the API, by the kind of error behind them",
            errors.clone(),
        );
        registry.register(
            "pool_in_use",
            "Slots or connections of a pool in use",
            pool_in_use.clone(),
        );
        registry.register(
            "pool_size",
            "Slots or connections a pool has",
            pool_size.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            sync_request_bytes,
            sync_response_bytes,
            changes_pushed,
            changes_pulled,
            bootstrap_documents,
            errors,
            pool_in_use,
            pool_size,
            pools: Mutex::new(Vec::new()),
        }
    }

    /// Reports a pool's use as `jiazhan_pool_in_use{pool=NAME}` and
    /// `jiazhan_pool_size{pool=NAME}`: `usage` returns (in use, size) and is called at
    /// each scrape, so it must be cheap and must not block (read the pool's own
    /// counters). The blocking-work slots are reported this way; a storage backend with
    /// a connection pool (PostgreSQL's) reports its pool here too, once, from
    /// [`crate::start`], under the name `database`.
    pub fn pool(&self, name: &'static str, usage: impl Fn() -> (u64, u64) + Send + Sync + 'static) {
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        pools.retain(|(n, _)| *n != name);
        pools.push((name, Box::new(usage)));
    }

    /// One error answer, by the fixed name of its kind (`api::error_kind`).
    pub(crate) fn error(&self, kind: &'static str) {
        self.errors.get_or_create(&ErrorLabels { kind }).inc();
    }

    /// One answered sync: its bodies' sizes and how many changes went each way; the
    /// documents when it was a bootstrap page.
    pub(crate) fn sync(&self, sizes: &SyncSizes) {
        self.sync_request_bytes.observe(sizes.request_bytes as f64);
        self.sync_response_bytes
            .observe(sizes.response_bytes as f64);
        self.changes_pushed.observe(sizes.pushed as f64);
        self.changes_pulled.observe(sizes.pulled as f64);
        if sizes.bootstrap {
            self.bootstrap_documents.observe(sizes.documents as f64);
        }
    }

    fn request(&self, method: &'static str, route: String, status: u16, took: Duration) {
        let class = match status {
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.latency
            .get_or_create(&LatencyLabels {
                method,
                route: route.clone(),
                status: class,
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// Everything, in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        {
            let pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
            for (pool, usage) in pools.iter() {
                let (in_use, size) = usage();
                let labels = PoolLabels { pool };
                self.pool_in_use
                    .get_or_create(&labels)
                    .set(i64::try_from(in_use).unwrap_or(i64::MAX));
                self.pool_size
                    .get_or_create(&labels)
                    .set(i64::try_from(size).unwrap_or(i64::MAX));
            }
        }
        let mut text = String::new();
        // Writing to a String does not fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// What a sync handler tells the metrics about its request.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SyncSizes {
    pub request_bytes: usize,
    pub response_bytes: usize,
    pub pushed: usize,
    pub pulled: usize,
    pub documents: usize,
    pub bootstrap: bool,
}

/// The kind of error behind an error answer, put on the response where errors become
/// statuses (`api`) and counted by [`track`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct ErrorKind(pub &'static str);

/// A method as a label: any other is `other` (a client may send any token as a method).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::HEAD => "HEAD",
        _ => "other",
    }
}

/// The layer over every route (`axum::middleware::from_fn_with_state`): counts and times
/// each request by its route template, and counts the error kind an answer carries.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    // Only a template: a raw path would carry station ids and tracking codes, and make
    // one series per URL anyone cares to try.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    if let Some(ErrorKind(kind)) = response.extensions().get::<ErrorKind>() {
        metrics.error(kind);
    }
    metrics.request(method, route, response.status().as_u16(), started.elapsed());
    response
}

/// The metrics listener: `GET /metrics` and nothing else.
#[derive(Debug)]
pub(crate) struct Listener {
    pub addr: SocketAddr,
    handle: axum_server::Handle,
    task: JoinHandle<std::io::Result<()>>,
}

impl Listener {
    /// Binds `bind` (port 0 picks one) and serves in a background task. Plain HTTP:
    /// keep it on loopback or a private network.
    pub(crate) fn start(
        bind: SocketAddr,
        metrics: Arc<Metrics>,
        header_timeout: Duration,
    ) -> std::io::Result<Listener> {
        let listener = std::net::TcpListener::bind(bind)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .route("/metrics", get(scrape))
            .with_state(metrics);
        let handle = axum_server::Handle::new();
        let mut server = axum_server::from_tcp(listener)
            .acceptor(crate::Accepting {
                within: header_timeout,
                // A scraper or two, on a private address.
                connections: crate::limits::Connections::new(16, vec![]),
            })
            .handle(handle.clone());
        crate::with_timeouts(server.http_builder(), header_timeout);
        let task = tokio::spawn(async move { server.serve(app.into_make_service()).await });
        tracing::info!(%addr, "metrics listening");
        Ok(Listener { addr, handle, task })
    }

    pub(crate) async fn shutdown(self) -> std::io::Result<()> {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        self.task.await.map_err(std::io::Error::other)?
    }
}

async fn scrape(State(metrics): State<Arc<Metrics>>) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.encode()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_read_when_scraped_and_names_carry_their_units() {
        let metrics = Metrics::new();
        let used = Arc::new(std::sync::atomic::AtomicU64::new(2));
        let u = used.clone();
        metrics.pool("database", move || {
            (u.load(std::sync::atomic::Ordering::Relaxed), 10)
        });
        assert!(
            metrics
                .encode()
                .contains("jiazhan_pool_in_use{pool=\"database\"} 2\n")
        );
        used.store(7, std::sync::atomic::Ordering::Relaxed);
        let text = metrics.encode();
        assert!(
            text.contains("jiazhan_pool_in_use{pool=\"database\"} 7\n"),
            "{text}"
        );
        assert!(
            text.contains("jiazhan_pool_size{pool=\"database\"} 10\n"),
            "{text}"
        );
        metrics.request("GET", "/healthz".into(), 200, Duration::from_millis(3));
        let text = metrics.encode();
        assert!(
            text.contains(
                "jiazhan_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("# TYPE jiazhan_http_request_duration_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE jiazhan_sync_request_bytes histogram"),
            "{text}"
        );
    }
}
