//! HTTP: the routes, authentication, sign-in limits, and the single place where storage
//! errors become statuses.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::extract::Query;
use axum::extract::rejection::JsonRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use governor::{DefaultKeyedRateLimiter, Quota};
use shared::protocol::{
    BLOBS_PATH, BlobQuery, CBOR, ChunkQuery, ErrorBody, HEADS_PATH, HeadsRequest, HeadsResponse,
    REPAIR_PATH, RepairRequest, RepairResponse, SETUP_PATH, SIGN_IN_PATH, SIGN_OUT_PATH, SYNC_PATH,
    SetUpRequest, SignInRequest, SignInResponse, UploadState, error, to_cbor,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::compression::predicate::{NotForContentType, Predicate as _, SizeAbove};

use crate::auth;
use crate::metrics::{ErrorKind, Metrics, SyncSizes};
use crate::storage::{Caller, NewSession, Refusal, StorageError, Store};
use crate::wire::Format;
pub use crate::wire::MAX_BODY_BYTES;

/// The largest body of a heads request (100 document ids).
const MAX_HEADS_BODY_BYTES: usize = 64 * 1024;

/// How many sign-in attempts are allowed per minute, per account name and per network
/// address; a burst of as many is allowed at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInLimits {
    /// Attempts per minute for one account name from one network (an IPv4 address or
    /// an IPv6 /64): someone guessing from elsewhere never uses up the owner's.
    pub per_account_per_minute: NonZeroU32,
    /// Attempts per minute from one network, whatever the names.
    pub per_address_per_minute: NonZeroU32,
    /// Failed attempts per hour for one account name from everywhere together. Past it,
    /// only devices that have signed in to the account before may try (the owner's own
    /// phone is never locked out by a stranger); a new device waits.
    pub account_failures_per_hour: NonZeroU32,
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
            account_failures_per_hour: NonZeroU32::new(50).unwrap_or(NonZeroU32::MIN),
            trusted_proxies: vec![],
        }
    }
}

struct Limiters {
    /// By (account name, network).
    pair: DefaultKeyedRateLimiter<(String, IpAddr)>,
    /// By network.
    address: DefaultKeyedRateLimiter<IpAddr>,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    failures_per_hour: usize,
    trusted_proxies: Vec<IpAddr>,
}

const HOUR: Duration = Duration::from_secs(3600);

impl Limiters {
    /// How long until `username` may be tried again from a device it does not know, if
    /// its failures of the last hour are at the limit.
    fn account_held(&self, username: &str) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let list = failures.get_mut(username)?;
        while list.front().is_some_and(|t| t.elapsed() >= HOUR) {
            list.pop_front();
        }
        (list.len() >= self.failures_per_hour).then(|| {
            list.front()
                .map_or(HOUR, |t| HOUR.saturating_sub(t.elapsed()))
        })
    }

    fn failed(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Made-up names cannot grow the map without bound: old entries go.
        if failures.len() > 100_000 {
            failures.retain(|_, l| l.back().is_some_and(|t| t.elapsed() < HOUR));
        }
        let list = failures.entry(username.to_owned()).or_default();
        list.push_back(Instant::now());
        if list.len() > self.failures_per_hour {
            list.pop_front();
        }
    }
}

/// The network an address counts for: itself for IPv4, its /64 for IPv6 (one
/// subscriber's line usually has a whole /64).
pub(crate) fn network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not a trusted proxy (proxies append the address
/// they received from; what is left of it the client could have written).
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
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
struct App {
    storage: Store,
    limiters: Arc<Limiters>,
    session_ttl: Duration,
    /// Sync and sign-out work waiting for a blocking thread, first come first served.
    storage_slots: Arc<Semaphore>,
    /// The same for sign-ins (Argon2 is slow on purpose): a burst of them never holds up
    /// syncs.
    sign_in_slots: Arc<Semaphore>,
    /// One blocking request at a time per account, and a few bodies in memory: one
    /// account, however many devices it signs in, takes at most one slot.
    turns: Arc<Mutex<HashMap<String, Turn>>>,
    metrics: Arc<Metrics>,
}

/// One account's share of the server.
#[derive(Clone)]
struct Turn {
    work: Arc<Semaphore>,
    bodies: Arc<Semaphore>,
}

/// Bodies one account may have in memory at once.
const BODIES_PER_ACCOUNT: usize = 4;

/// A caller whose token was checked, with its account's turn to read a body.
struct Authenticated {
    caller: Caller,
    turn: Turn,
}

impl App {
    /// The caller behind the request's token: checked before anything of the body is
    /// read.
    async fn authenticate(&self, headers: &HeaderMap) -> Result<Authenticated, StorageError> {
        let token_hash = bearer(headers)?;
        // Usually known already: no database, no blocking thread.
        let caller = match self.storage.known_caller(&token_hash, now()) {
            Some(caller) => caller,
            None => {
                let storage = self.storage.clone();
                let ttl = ttl_seconds(self.session_ttl);
                blocking(&self.storage_slots, move || {
                    authenticate(&storage, &token_hash, ttl)
                })
                .await?
            }
        };
        let turn = {
            let mut turns = self.turns.lock().unwrap_or_else(|p| p.into_inner());
            turns
                .entry(caller.account.username.clone())
                .or_insert_with(|| Turn {
                    work: Arc::new(Semaphore::new(1)),
                    bodies: Arc::new(Semaphore::new(BODIES_PER_ACCOUNT)),
                })
                .clone()
        };
        Ok(Authenticated { caller, turn })
    }

    /// Reads the body as `who`, within the account's share of memory.
    async fn body(
        &self,
        who: &Authenticated,
        body: Body,
        limit: usize,
    ) -> Result<(Bytes, OwnedSemaphorePermit), ApiError> {
        let permit = acquire(&who.turn.bodies).await?;
        Ok((read_body(body, limit).await?, permit))
    }

    /// Runs `f` on a blocking thread as `who`, once its account's turn comes.
    async fn work<T: Send + 'static>(
        &self,
        who: Authenticated,
        f: impl FnOnce(&Store, &Caller) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let turn = acquire(&who.turn.work).await?;
        let storage = self.storage.clone();
        let caller = who.caller;
        let result = blocking(&self.storage_slots, move || f(&storage, &caller)).await;
        drop(turn);
        result
    }
}

async fn acquire(semaphore: &Arc<Semaphore>) -> Result<OwnedSemaphorePermit, StorageError> {
    semaphore
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| StorageError::Internal(e.to_string()))
}

/// The routes, over any storage backend; their blocking-work slots are reported to
/// `metrics`.
pub fn router(
    storage: Store,
    session_ttl: Duration,
    limits: SignInLimits,
    metrics: &Arc<Metrics>,
) -> Router {
    let storage_slots = Arc::new(Semaphore::new(blocking_slots()));
    let sign_in_slots = Arc::new(Semaphore::new(blocking_slots()));
    for (name, slots) in [
        ("storage_slots", &storage_slots),
        ("sign_in_slots", &sign_in_slots),
    ] {
        let slots = slots.clone();
        let size = blocking_slots() as u64;
        metrics.pool(name, move || {
            let free = slots.available_permits() as u64;
            (size.saturating_sub(free), size)
        });
    }
    let app = App {
        storage,
        limiters: Arc::new(Limiters {
            pair: DefaultKeyedRateLimiter::keyed(Quota::per_minute(limits.per_account_per_minute)),
            address: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                limits.per_address_per_minute,
            )),
            failures: Mutex::new(HashMap::new()),
            failures_per_hour: usize::try_from(limits.account_failures_per_hour.get())
                .unwrap_or(usize::MAX),
            trusted_proxies: limits.trusted_proxies,
        }),
        session_ttl,
        storage_slots,
        sign_in_slots,
        turns: Arc::new(Mutex::new(HashMap::new())),
        metrics: metrics.clone(),
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(SIGN_IN_PATH, post(sign_in))
        .route(SETUP_PATH, post(set_up))
        .route(SIGN_OUT_PATH, post(sign_out))
        .route(SYNC_PATH, post(sync))
        .route(HEADS_PATH, post(heads))
        .route(REPAIR_PATH, post(repair))
        .route(&format!("{BLOBS_PATH}/{{hash}}"), get(download))
        .route(
            &format!("{BLOBS_PATH}/{{hash}}/upload"),
            get(upload_state).put(upload_chunk),
        )
        // A body that trickles in is cut off by its deadline
        // (`crate::limits::body_deadline`; headers: see `crate::HEADER_TIMEOUT`).
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
    /// Too many sign-in attempts: try again after this long.
    TooManyAttempts(Duration),
    /// A body over this many bytes (as decompressed).
    TooLarge(usize),
    /// A body that did not arrive whole within its deadline.
    BodyTimeout,
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::Storage(StorageError::BadRequest(rejection.body_text()))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(MAX_BODY_BYTES)
        } else if crate::limits::is_deadline(&rejection) {
            ApiError::BodyTimeout
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

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn ttl_seconds(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)
}

/// How many requests do blocking work at once: one per core, and one more. Storage is
/// one SQLite connection behind a lock, so many more threads would only queue on the
/// lock, and a lock does not serve in arrival order: with hundreds of clients, some
/// waited hundreds of milliseconds while later ones went first. The semaphore does serve
/// in order. The one more is for everyone else while one account's turn builds large
/// documents (outside the lock): beside a hostile account, ordinary p99 went from about
/// 85 ms to 28 ms on two cores (`benches/abuse.rs`).
pub(crate) fn blocking_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) + 1
}

/// Runs blocking storage work (SQLite, Argon2) off the async threads, once one of
/// `slots` is free.
pub(crate) async fn blocking<T: Send + 'static>(
    slots: &Arc<Semaphore>,
    f: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    let slot = acquire(slots).await?;
    // The slot goes with the work: a client that gives up does not free it early.
    tokio::task::spawn_blocking(move || {
        let result = f();
        drop(slot);
        result
    })
    .await
    .map_err(|e| {
        // A panic is logged here and answered with a plain 500 (its text stays here).
        tracing::error!(error = %e, "blocking work failed");
        StorageError::Internal("blocking work failed".into())
    })?
}

/// What a sign-in came to, inside the blocking work.
enum SignedIn {
    Yes(SignInResponse),
    /// The account's failures are at their limit and this device is new to it.
    Held(Duration),
}

async fn sign_in(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    req: Result<Json<SignInRequest>, JsonRejection>,
) -> Result<Json<SignInResponse>, ApiError> {
    let Json(req) = req?;
    let client = network(client_ip(
        peer.ip(),
        &headers,
        &app.limiters.trusted_proxies,
    ));
    let username = req.username.trim().to_lowercase();
    // Old keys go, so made-up names cannot grow the limiters without bound.
    app.limiters.pair.retain_recent();
    app.limiters.address.retain_recent();
    if username.len() > 64 || crate::wire::has_control(&username) {
        // No account has such a name.
        return Err(StorageError::Unauthorized.into());
    }
    check_device(&req.device_id, &req.device_name)?;
    if app.limiters.address.check_key(&client).is_err()
        || app
            .limiters
            .pair
            .check_key(&(username.clone(), client))
            .is_err()
    {
        tracing::warn!(%client, "sign-in attempts over the limit");
        return Err(ApiError::TooManyAttempts(Duration::from_secs(60)));
    }
    let storage = app.storage.clone();
    let limiters = app.limiters.clone();
    let ttl = ttl_seconds(app.session_ttl);
    let outcome = blocking(&app.sign_in_slots, move || {
        let credentials = storage.credentials(&username, &req.device_id)?;
        if let Some(wait) = limiters.account_held(&username)
            && !credentials.as_ref().is_some_and(|c| c.known_device)
        {
            return Ok(SignedIn::Held(wait));
        }
        let hash = credentials.as_ref().map(|c| c.password_hash.as_str());
        if !auth::verify_password(&req.password, hash) {
            limiters.failed(&username);
            return Err(StorageError::Unauthorized);
        }
        let Some(credentials) = credentials else {
            return Err(StorageError::Unauthorized);
        };
        let response = new_session(
            &storage,
            credentials.account_id,
            req.device_id,
            req.device_name,
            ttl,
        )?;
        Ok(SignedIn::Yes(response))
    })
    .await?;
    match outcome {
        SignedIn::Yes(response) => {
            tracing::info!(role = response.account.role.as_str(), "device signed in");
            Ok(Json(response))
        }
        SignedIn::Held(wait) => {
            tracing::warn!("sign-in failures of one account over the limit");
            Err(ApiError::TooManyAttempts(wait))
        }
    }
}

/// A session for the device `device_id` of account `account_id` (whose password or
/// set-up code was checked), lasting `ttl` seconds without use; its token.
fn new_session(
    storage: &Store,
    account_id: i64,
    device_id: String,
    device_name: String,
    ttl: i64,
) -> Result<SignInResponse, StorageError> {
    let (token, token_hash) = auth::new_token()?;
    let now = now();
    let account = storage.open_session(&NewSession {
        account_id,
        token_hash,
        device_id,
        device_name,
        now,
        expires_at: now.saturating_add(ttl),
    })?;
    Ok(SignInResponse { token, account })
}

/// A device id and name a session may be opened for.
fn check_device(device_id: &str, device_name: &str) -> Result<(), StorageError> {
    if crate::wire::is_reserved_device_id(device_id) {
        // Its changes would be taken for the server's own, so every sync would be
        // refused: refused here, before a session is opened for it.
        return Err(StorageError::BadRequest(format!(
            "device id {device_id:?} is reserved for the server"
        )));
    }
    if !crate::wire::is_device_id(device_id)
        || device_name.len() > 100
        || crate::wire::has_control(device_name)
    {
        return Err(StorageError::BadRequest("bad device id or name".into()));
    }
    Ok(())
}

/// A new device takes its account's one-time set-up code with the password its user
/// chose, and is signed in. Attempts count against the address's sign-in limit (a code
/// has 80 random bits; the limit keeps guessing hopeless and cheap).
async fn set_up(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    req: Result<Json<SetUpRequest>, JsonRejection>,
) -> Result<Json<SignInResponse>, ApiError> {
    let Json(req) = req?;
    let client = network(client_ip(
        peer.ip(),
        &headers,
        &app.limiters.trusted_proxies,
    ));
    app.limiters.address.retain_recent();
    check_device(&req.device_id, &req.device_name)?;
    if app.limiters.address.check_key(&client).is_err() {
        tracing::warn!(%client, "set-up attempts over the limit");
        return Err(ApiError::TooManyAttempts(Duration::from_secs(60)));
    }
    let storage = app.storage.clone();
    let ttl = ttl_seconds(app.session_ttl);
    let response = blocking(&app.sign_in_slots, move || {
        let account_id =
            storage.redeem_setup_code(&req.code, &req.password, &req.device_id, now())?;
        new_session(&storage, account_id, req.device_id, req.device_name, ttl)
    })
    .await?;
    tracing::info!(role = response.account.role.as_str(), "device set up");
    Ok(Json(response))
}

/// The token of an `Authorization: Bearer` header, hashed as stored.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<Vec<u8>, StorageError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| auth::token_hash(t.trim()))
        .ok_or(StorageError::Unauthorized)
}

async fn sign_out(State(app): State<App>, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let token_hash = bearer(&headers)?;
    let storage = app.storage.clone();
    blocking(&app.storage_slots, move || {
        storage.close_session(&token_hash)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Files travel as they are: photos are compressed already.
const BLOB_CONTENT_TYPE: &str = "application/octet-stream";

/// The caller behind `token_hash`, whose session is extended: for use inside
/// [`blocking`].
pub(crate) fn authenticate(
    storage: &Store,
    token_hash: &[u8],
    ttl: i64,
) -> Result<Caller, StorageError> {
    storage
        .caller(token_hash, now(), ttl)?
        .ok_or(StorageError::Unauthorized)
}

async fn upload_state(
    State(app): State<App>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    query: Result<Query<BlobQuery>, QueryRejection>,
) -> Result<Json<UploadState>, ApiError> {
    let Query(query) = query?;
    let who = app.authenticate(&headers).await?;
    let state = app
        .work(who, move |storage, caller| {
            storage.upload_state(caller, &hash, &query.doc_id)
        })
        .await?;
    Ok(Json(state))
}

async fn upload_chunk(
    State(app): State<App>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    query: Result<Query<ChunkQuery>, QueryRejection>,
    body: Body,
) -> Result<Json<UploadState>, ApiError> {
    let Query(query) = query?;
    let who = app.authenticate(&headers).await?;
    let limit = usize::try_from(shared::protocol::BLOB_CHUNK_BYTES).unwrap_or(usize::MAX);
    let (body, _memory) = app.body(&who, body, limit).await?;
    let state = app
        .work(who, move |storage, caller| {
            storage.upload_chunk(caller, &hash, &query, &body)
        })
        .await?;
    Ok(Json(state))
}

/// The `Range` header, if any.
fn byte_range(headers: &HeaderMap) -> Result<Option<(u64, u64)>, StorageError> {
    headers
        .get(header::RANGE)
        .map(|v| crate::wire::byte_range(v.as_bytes()))
        .transpose()
        .map_err(StorageError::from)
}

async fn download(
    State(app): State<App>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    query: Result<Query<BlobQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let range = byte_range(&headers)?;
    let who = app.authenticate(&headers).await?;
    let (size, bytes) = app
        .work(who, move |storage, caller| {
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

async fn heads(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<HeadsResponse>, ApiError> {
    let who = app.authenticate(&headers).await?;
    let (body, _memory) = app.body(&who, body, MAX_HEADS_BODY_BYTES).await?;
    let response = app
        .work(who, move |storage, caller| {
            let req: HeadsRequest = Format::Json.parse(&body)?;
            storage.heads(caller, &req.doc_ids)
        })
        .await?;
    Ok(Json(response))
}

async fn repair(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<RepairResponse>, ApiError> {
    let who = app.authenticate(&headers).await?;
    let (body, _memory) = app.body(&who, body, MAX_BODY_BYTES).await?;
    let response = app
        .work(who, move |storage, caller| {
            let req: RepairRequest = Format::Json.parse(&body)?;
            storage.repair(caller, &req)
        })
        .await?;
    Ok(Json(response))
}

/// Reads a request body (as decompressed) of at most `limit` bytes. Called only once the
/// token is checked: a stranger's body is never read, inflated or parsed.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::TooLarge(limit)
        } else if crate::limits::is_deadline(&e) {
            ApiError::BodyTimeout
        } else {
            ApiError::Storage(StorageError::BadRequest(format!("unreadable body: {e}")))
        }
    })
}

async fn sync(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let who = app.authenticate(&headers).await?;
    let (body, _memory) = app.body(&who, body, MAX_BODY_BYTES).await?;
    let format = Format::of(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let request_bytes = body.len();
    let (response, pushed, bootstrap) = app
        .work(who, move |storage, caller| {
            let req = crate::wire::decode_sync_body(format, &body)?;
            let response = storage.sync(caller, &req)?;
            Ok((response, req.changes.len(), req.cursor == 0))
        })
        .await?;
    tracing::debug!(pulled = response.changes.len(), "sync request");
    let (content_type, bytes) = match format {
        Format::Json => (
            "application/json",
            serde_json::to_vec(&response).map_err(|e| StorageError::Internal(e.to_string()))?,
        ),
        Format::Cbor => (CBOR, to_cbor(&response)),
    };
    app.metrics.sync(&SyncSizes {
        request_bytes,
        response_bytes: bytes.len(),
        pushed,
        pulled: response.changes.len(),
        documents: response.documents.len(),
        bootstrap,
    });
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::TooManyAttempts(wait) => {
                let seconds = wait.as_secs().max(1);
                let mut response = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    error::TOO_MANY_ATTEMPTS,
                    "too_many_attempts",
                    format!("too many sign-in attempts; try again in {seconds} s"),
                    None,
                );
                if let Ok(v) = header::HeaderValue::from_str(&seconds.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
                response
            }
            ApiError::TooLarge(limit) => error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                error::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is over {limit} bytes"),
                None,
            ),
            ApiError::BodyTimeout => error_response(
                StatusCode::REQUEST_TIMEOUT,
                error::REQUEST_TIMEOUT,
                "body_timeout",
                "the body did not arrive whole in time".into(),
                None,
            ),
            ApiError::Storage(e) => e.into_response(),
        }
    }
}

impl IntoResponse for StorageError {
    fn into_response(self) -> Response {
        // The kind (the metrics' label) is finer than the wire code: a 500 says which
        // part of the server failed, a 404 whether a pushed change was refused.
        let (status, code, kind) = match &self {
            StorageError::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, error::BAD_REQUEST, "bad_request")
            }
            StorageError::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                error::PAYLOAD_TOO_LARGE,
                "too_large",
            ),
            StorageError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                error::UNAUTHORIZED,
                "unauthorized",
            ),
            StorageError::NotFound(_) => (StatusCode::NOT_FOUND, error::NOT_FOUND, "not_found"),
            StorageError::Conflict(_) => (StatusCode::CONFLICT, error::CONFLICT, "conflict"),
            StorageError::DeviceTaken => {
                (StatusCode::CONFLICT, error::DEVICE_TAKEN, "device_taken")
            }
            StorageError::Quota(_) => (
                StatusCode::INSUFFICIENT_STORAGE,
                error::QUOTA_EXCEEDED,
                "quota",
            ),
            StorageError::InvalidRecord { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                error::INVALID_RECORD,
                "invalid_record",
            ),
            StorageError::Refused { reason, .. } => match reason {
                Refusal::NotFound => (StatusCode::NOT_FOUND, error::NOT_FOUND, "refused_not_found"),
                Refusal::ReadOnly => (StatusCode::FORBIDDEN, error::READ_ONLY, "read_only"),
                Refusal::ForeignActor => {
                    (StatusCode::FORBIDDEN, error::FOREIGN_ACTOR, "foreign_actor")
                }
                Refusal::SequenceReused => (
                    StatusCode::CONFLICT,
                    error::SEQUENCE_REUSED,
                    "sequence_reused",
                ),
            },
            StorageError::Backend(e) if e.unavailable => {
                tracing::warn!(error = %e, "database unavailable");
                let mut response = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    error::SERVER_ERROR,
                    "database_unavailable",
                    "the server is busy; try again shortly".into(),
                    None,
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
                return response;
            }
            StorageError::Backend(_)
            | StorageError::Core(_)
            | StorageError::Internal(_)
            | StorageError::BackupTargetExists(_) => {
                tracing::error!(error = %self, "request failed");
                let kind = match &self {
                    StorageError::Backend(_) => "database",
                    StorageError::Core(_) => "core",
                    _ => "internal",
                };
                // Nothing of the server's insides goes to the client.
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    error::SERVER_ERROR,
                    kind,
                    "the server could not complete the request".into(),
                    None,
                );
            }
        };
        let doc_id = match &self {
            StorageError::Refused { doc_id, .. } | StorageError::InvalidRecord { doc_id, .. } => {
                Some(doc_id.clone())
            }
            _ => None,
        };
        error_response(status, code, kind, self.to_string(), doc_id)
    }
}

/// An error as every client reads it: [`ErrorBody`] JSON. `kind`, a fixed name, goes
/// with the response to the metrics (`jiazhan_errors_total{kind}`), never to the client.
fn error_response(
    status: StatusCode,
    code: &str,
    kind: &'static str,
    message: String,
    doc_id: Option<String>,
) -> Response {
    let body = ErrorBody {
        error: code.to_owned(),
        message,
        doc_id,
    };
    let mut response = (status, Json(body)).into_response();
    response.extensions_mut().insert(ErrorKind(kind));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic in blocking work is answered as a plain 500: its text stays in the log.
    #[tokio::test]
    async fn a_panic_in_blocking_work_is_a_500_without_its_text() {
        let slots = Arc::new(Semaphore::new(1));
        let result: Result<(), StorageError> = blocking(&slots, || {
            panic!("secret internals: voter 13800000000");
        })
        .await;
        let error = result.unwrap_err();
        assert!(matches!(error, StorageError::Internal(_)));
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        // Counted by the metrics under a fixed kind, beside the plain answer.
        assert_eq!(
            response.extensions().get::<ErrorKind>().map(|k| k.0),
            Some("internal")
        );
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: ErrorBody = serde_json::from_slice(&body).unwrap();
        assert_eq!(body.error, error::SERVER_ERROR);
        assert!(!body.message.contains("secret"), "{}", body.message);
        assert!(!body.message.contains("138"), "{}", body.message);
        // The slot came back: the next request is served.
        assert_eq!(blocking(&slots, || Ok(7)).await.unwrap(), 7);
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_and_ipv4_by_itself() {
        let net = |s: &str| network(s.parse().unwrap());
        assert_eq!(net("2001:db8:1:2:aaaa::1"), net("2001:db8:1:2:bbbb::9"));
        assert_ne!(net("2001:db8:1:2::1"), net("2001:db8:1:3::1"));
        assert_ne!(net("192.0.2.1"), net("192.0.2.2"));
        assert_eq!(net("::ffff:192.0.2.1"), net("192.0.2.1"));
    }
}
