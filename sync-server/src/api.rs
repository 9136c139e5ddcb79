//! HTTP: the routes, authentication, sign-in limits, and the single place where storage
//! errors become statuses.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use governor::{DefaultKeyedRateLimiter, Quota};
use shared::protocol::{
    BLOBS_PATH, BlobQuery, CBOR, ChunkQuery, ErrorBody, HEADS_PATH, HeadsRequest, HeadsResponse,
    REPAIR_PATH, RepairRequest, RepairResponse, SIGN_IN_PATH, SIGN_OUT_PATH, SYNC_PATH,
    SignInRequest, SignInResponse, SyncRequest, UploadState, error, from_cbor, to_cbor,
};
use tokio::sync::Semaphore;
use tower_http::compression::predicate::{NotForContentType, Predicate as _, SizeAbove};

use crate::auth;
use crate::storage::{Caller, NewSession, Refusal, Storage, StorageError};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How many sign-in attempts are allowed per minute, per account name and per network
/// address; a burst of as many is allowed at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInLimits {
    pub per_account_per_minute: NonZeroU32,
    pub per_address_per_minute: NonZeroU32,
    /// Reverse proxies whose `X-Forwarded-For` is believed: behind one, every request
    /// comes from the proxy's address, and the client's is in that header. From any
    /// other peer the header is ignored (anyone can write it).
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            per_account_per_minute: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            per_address_per_minute: NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN),
            trusted_proxies: vec![],
        }
    }
}

struct Limiters {
    account: DefaultKeyedRateLimiter<String>,
    address: DefaultKeyedRateLimiter<IpAddr>,
    trusted_proxies: Vec<IpAddr>,
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not a trusted proxy (proxies append the address
/// they received from; what is left of it the client could have written).
fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    // A server on [::] sees IPv4 peers as ::ffff:a.b.c.d.
    let peer = peer.to_canonical();
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    // From the right: the proxies' own entries, then the client's. An entry that is not
    // an address stops the walk (what is left of it the client could have written).
    for entry in forwarded.into_iter().rev() {
        let parsed = entry
            .parse::<IpAddr>()
            .ok()
            .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
            .map(|ip| ip.to_canonical());
        match parsed {
            Some(ip) if trusted.contains(&ip) => continue,
            Some(ip) => return ip,
            None => break,
        }
    }
    peer
}

/// What every handler shares.
#[derive(Clone)]
struct App<S> {
    storage: S,
    limiters: Arc<Limiters>,
    session_ttl: Duration,
    /// Sync and sign-out work waiting for a blocking thread, first come first served.
    storage_slots: Arc<Semaphore>,
    /// The same for sign-ins (Argon2 is slow on purpose): a burst of them never holds up
    /// syncs.
    sign_in_slots: Arc<Semaphore>,
}

/// The routes, over any storage backend.
pub fn router<S: Storage>(storage: S, session_ttl: Duration, limits: SignInLimits) -> Router {
    let app = App {
        storage,
        limiters: Arc::new(Limiters {
            account: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                limits.per_account_per_minute,
            )),
            address: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                limits.per_address_per_minute,
            )),
            trusted_proxies: limits.trusted_proxies,
        }),
        session_ttl,
        storage_slots: Arc::new(Semaphore::new(blocking_slots())),
        sign_in_slots: Arc::new(Semaphore::new(blocking_slots())),
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(SIGN_IN_PATH, post(sign_in::<S>))
        .route(SIGN_OUT_PATH, post(sign_out::<S>))
        .route(SYNC_PATH, post(sync::<S>))
        .route(HEADS_PATH, post(heads::<S>))
        .route(REPAIR_PATH, post(repair::<S>))
        .route(&format!("{BLOBS_PATH}/{{hash}}"), get(download::<S>))
        .route(
            &format!("{BLOBS_PATH}/{{hash}}/upload"),
            get(upload_state::<S>).put(upload_chunk::<S>),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Bodies travel gzipped both ways when the client says so (the limit above
        // applies to the body as decompressed, so a small bomb is still refused).
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Default)
                .compress_when(
                    SizeAbove::new(1024).and(NotForContentType::const_new(BLOB_CONTENT_TYPE)),
                ),
        )
        .with_state(app)
}

/// Refusals that are not storage's: too many sign-in attempts, an unreadable body.
enum ApiError {
    Storage(StorageError),
    TooManyAttempts,
    TooLarge,
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::Storage(StorageError::BadRequest(rejection.body_text()))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::Storage(StorageError::BadRequest(rejection.body_text()))
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        ApiError::Storage(e)
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn ttl_seconds(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)
}

/// How many requests do blocking work at once: one per core. Storage is one SQLite
/// connection behind a lock, so more threads would only queue on the lock, and a lock
/// does not serve in arrival order: with hundreds of clients, some waited hundreds of
/// milliseconds while later ones went first. The semaphore does serve in order.
fn blocking_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs blocking storage work (SQLite, Argon2) off the async threads, once one of
/// `slots` is free.
async fn blocking<T: Send + 'static>(
    slots: &Arc<Semaphore>,
    f: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    let internal = |e: String| StorageError::from(shared::Error::Protocol(e));
    let slot = slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| internal(e.to_string()))?;
    // The slot goes with the work: a client that gives up does not free it early.
    tokio::task::spawn_blocking(move || {
        let result = f();
        drop(slot);
        result
    })
    .await
    .map_err(|e| internal(e.to_string()))?
}

async fn sign_in<S: Storage>(
    State(app): State<App<S>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    req: Result<Json<SignInRequest>, JsonRejection>,
) -> Result<Json<SignInResponse>, ApiError> {
    let Json(req) = req?;
    let client = client_ip(peer.ip(), &headers, &app.limiters.trusted_proxies);
    let username = req.username.trim().to_lowercase();
    // Old keys go, so made-up names cannot grow the limiters without bound.
    app.limiters.account.retain_recent();
    app.limiters.address.retain_recent();
    if username.len() > 64 {
        return Err(StorageError::Unauthorized.into());
    }
    if app.limiters.address.check_key(&client).is_err()
        || app.limiters.account.check_key(&username).is_err()
    {
        tracing::warn!(%client, "sign-in attempts over the limit");
        return Err(ApiError::TooManyAttempts);
    }
    if req.device_id.is_empty() || req.device_id.len() > 64 || req.device_name.len() > 100 {
        return Err(StorageError::BadRequest("bad device id or name".into()).into());
    }
    let storage = app.storage.clone();
    let ttl = ttl_seconds(app.session_ttl);
    let response = blocking(&app.sign_in_slots, move || {
        let credentials = storage.credentials(&username)?;
        let hash = credentials.as_ref().map(|c| c.password_hash.as_str());
        if !auth::verify_password(&req.password, hash) {
            return Err(StorageError::Unauthorized);
        }
        let Some(credentials) = credentials else {
            return Err(StorageError::Unauthorized);
        };
        let (token, token_hash) = auth::new_token()?;
        let now = now();
        let account = storage.open_session(&NewSession {
            account_id: credentials.account_id,
            token_hash,
            device_id: req.device_id,
            device_name: req.device_name,
            now,
            expires_at: now.saturating_add(ttl),
        })?;
        Ok(SignInResponse { token, account })
    })
    .await?;
    tracing::info!(role = response.account.role.as_str(), "device signed in");
    Ok(Json(response))
}

/// The token of an `Authorization: Bearer` header, hashed as stored.
fn bearer(headers: &HeaderMap) -> Result<Vec<u8>, StorageError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| auth::token_hash(t.trim()))
        .ok_or(StorageError::Unauthorized)
}

async fn sign_out<S: Storage>(
    State(app): State<App<S>>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token_hash = bearer(&headers)?;
    let storage = app.storage.clone();
    blocking(&app.storage_slots, move || {
        storage.close_session(&token_hash)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs `work` on a blocking thread for the caller whose token the request carries.
async fn as_caller<S: Storage, T: Send + 'static>(
    app: &App<S>,
    headers: &HeaderMap,
    work: impl FnOnce(&S, &Caller) -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    let token_hash = bearer(headers)?;
    let storage = app.storage.clone();
    let ttl = ttl_seconds(app.session_ttl);
    blocking(&app.storage_slots, move || {
        let caller = authenticate(&storage, &token_hash, ttl)?;
        work(&storage, &caller)
    })
    .await
}

/// Files travel as they are: photos are compressed already.
const BLOB_CONTENT_TYPE: &str = "application/octet-stream";

/// The caller behind `token_hash`, whose session is extended: for use inside
/// [`blocking`].
fn authenticate<S: Storage>(
    storage: &S,
    token_hash: &[u8],
    ttl: i64,
) -> Result<Caller, StorageError> {
    storage
        .caller(token_hash, now(), ttl)?
        .ok_or(StorageError::Unauthorized)
}

async fn upload_state<S: Storage>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    query: Result<Query<BlobQuery>, QueryRejection>,
) -> Result<Json<UploadState>, ApiError> {
    let Query(query) = query?;
    let state = as_caller(&app, &headers, move |storage, caller| {
        storage.upload_state(caller, &hash, &query.doc_id)
    })
    .await?;
    Ok(Json(state))
}

async fn upload_chunk<S: Storage>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    query: Result<Query<ChunkQuery>, QueryRejection>,
    body: Bytes,
) -> Result<Json<UploadState>, ApiError> {
    let Query(query) = query?;
    let state = as_caller(&app, &headers, move |storage, caller| {
        storage.upload_chunk(caller, &hash, &query, &body)
    })
    .await?;
    Ok(Json(state))
}

/// `Range: bytes=START-END` or `bytes=START-` (one range only).
fn byte_range(headers: &HeaderMap) -> Result<Option<(u64, u64)>, StorageError> {
    let Some(value) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let bad = || StorageError::BadRequest("a range is bytes=START-END or bytes=START-".into());
    let spec = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("bytes="))
        .ok_or_else(bad)?;
    let (start, end) = spec.split_once('-').ok_or_else(bad)?;
    let start: u64 = start.trim().parse().map_err(|_| bad())?;
    let end: u64 = match end.trim() {
        "" => u64::MAX,
        e => e.parse().map_err(|_| bad())?,
    };
    Ok(Some((start, end)))
}

async fn download<S: Storage>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    query: Result<Query<BlobQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let range = byte_range(&headers)?;
    let (size, bytes) = as_caller(&app, &headers, move |storage, caller| {
        storage.download(caller, &hash, &query.doc_id, range)
    })
    .await?;
    let len = bytes.len() as u64;
    let mut response = (
        [
            (header::CONTENT_TYPE, BLOB_CONTENT_TYPE.to_owned()),
            (header::ACCEPT_RANGES, "bytes".to_owned()),
        ],
        bytes,
    )
        .into_response();
    if let Some((start, _)) = range {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let end = start + len.saturating_sub(1);
        if let Ok(v) = header::HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")) {
            response.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(response)
}

async fn heads<S: Storage>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    req: Result<Json<HeadsRequest>, JsonRejection>,
) -> Result<Json<HeadsResponse>, ApiError> {
    let Json(req) = req?;
    let response = as_caller(&app, &headers, move |storage, caller| {
        storage.heads(caller, &req.doc_ids)
    })
    .await?;
    Ok(Json(response))
}

async fn repair<S: Storage>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    req: Result<Json<RepairRequest>, JsonRejection>,
) -> Result<Json<RepairResponse>, ApiError> {
    let Json(req) = req?;
    let response = as_caller(&app, &headers, move |storage, caller| {
        storage.repair(caller, &req)
    })
    .await?;
    Ok(Json(response))
}

/// The body formats of `/v1/sync`: JSON, or CBOR (the same structure, with change bytes
/// as byte strings instead of base64: about a third fewer bytes gzipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Cbor,
}

impl Format {
    /// The request's format, from its `Content-Type`.
    fn of(headers: &HeaderMap) -> Format {
        let cbor = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(CBOR));
        if cbor { Format::Cbor } else { Format::Json }
    }

    fn parse<T: serde::de::DeserializeOwned>(self, body: &[u8]) -> Result<T, StorageError> {
        match self {
            Format::Json => serde_json::from_slice(body).map_err(|e| e.to_string()),
            Format::Cbor => from_cbor(body),
        }
        .map_err(|e| StorageError::BadRequest(format!("unreadable body: {e}")))
    }

    fn respond<T: serde::Serialize>(self, value: &T) -> Response {
        match self {
            Format::Json => Json(value).into_response(),
            Format::Cbor => ([(header::CONTENT_TYPE, CBOR)], to_cbor(value)).into_response(),
        }
    }
}

async fn sync<S: Storage>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::Storage(StorageError::BadRequest(r.body_text()))
        }
    })?;
    let format = Format::of(&headers);
    let req: SyncRequest = format.parse(&body)?;
    let pushed = req.changes.len();
    let response = as_caller(&app, &headers, move |storage, caller| {
        storage.sync(caller, &req)
    })
    .await?;
    tracing::debug!(pushed, pulled = response.changes.len(), "sync request");
    Ok(format.respond(&response))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::TooManyAttempts => {
                let mut response = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    error::TOO_MANY_ATTEMPTS,
                    "too many sign-in attempts; try again in a minute".into(),
                    None,
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
                response
            }
            ApiError::TooLarge => error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                error::PAYLOAD_TOO_LARGE,
                format!("the body is over {MAX_BODY_BYTES} bytes"),
                None,
            ),
            ApiError::Storage(e) => e.into_response(),
        }
    }
}

impl IntoResponse for StorageError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            StorageError::BadRequest(_) => (StatusCode::BAD_REQUEST, error::BAD_REQUEST),
            StorageError::Unauthorized => (StatusCode::UNAUTHORIZED, error::UNAUTHORIZED),
            StorageError::NotFound(_) => (StatusCode::NOT_FOUND, error::NOT_FOUND),
            StorageError::Conflict(_) => (StatusCode::CONFLICT, error::CONFLICT),
            StorageError::Refused { reason, .. } => match reason {
                Refusal::NotFound => (StatusCode::NOT_FOUND, error::NOT_FOUND),
                Refusal::ReadOnly => (StatusCode::FORBIDDEN, error::READ_ONLY),
                Refusal::SequenceReused => (StatusCode::CONFLICT, error::SEQUENCE_REUSED),
            },
            StorageError::Sqlite(_)
            | StorageError::Migration(_)
            | StorageError::Core(_)
            | StorageError::BackupTargetExists(_) => {
                tracing::error!(error = %self, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, error::SERVER_ERROR)
            }
        };
        let doc_id = match &self {
            StorageError::Refused { doc_id, .. } => Some(doc_id.clone()),
            _ => None,
        };
        error_response(status, code, self.to_string(), doc_id)
    }
}

/// An error as every client reads it: [`ErrorBody`] JSON.
fn error_response(
    status: StatusCode,
    code: &str,
    message: String,
    doc_id: Option<String>,
) -> Response {
    let body = ErrorBody {
        error: code.to_owned(),
        message,
        doc_id,
    };
    (status, Json(body)).into_response()
}
