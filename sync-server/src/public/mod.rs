//! The voters' channel (线上): a public page for every station, served by the sync
//! server to any phone browser, where anyone can send an opinion and follow it by a
//! tracking code to the feedback, and withdraw consent for their name and phone.
//!
//! - `GET /s/<station>`: the station (name, kind, street or town, deputies by level),
//!   the opinion form and the code lookup. `POST /s/<station>`: a submission (a form),
//!   answered with the form again and what to fix, or a redirect to its status.
//! - `GET /t?code=…` and `GET /t/<code>`: where an opinion stands; `POST
//!   /t/<code>/withdraw`: erase the name and phone.
//! - `GET /p/style.css`.
//!
//! Rendered on the server (maud, escaped), no script, no cookies, a strict CSP. An
//! unknown station and a wrong code look exactly like a station or code that never
//! existed. Limits: page views and submissions per network (behind trusted proxies, the
//! client's), submissions per station, wrong codes per network and per code. No limit
//! shared by every network stands between a voter and their own code.

pub mod code;
mod pages;
pub mod store;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use governor::{DefaultKeyedRateLimiter, Quota};
use maud::Markup;
use shared::model::OpinionCategory;
use tokio::sync::Semaphore;

use crate::api::{blocking, client_ip, network};
use crate::storage::{StorageError, Store};
use store::{PublicStore, Submission, SubmitError};

/// Public requests doing blocking work at once, apart from the devices' slots: a
/// submission mostly waits for the disk with others (their writes share one flush), so
/// a few suffice (200 a second need 4 as well as 16: `benches/public.rs`), and a flood of
/// voters never takes more than this share.
const PUBLIC_SLOTS: usize = 4;

/// The most bytes a public form may send (500 characters of Chinese are 1,500).
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// How much the public may ask of the server.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PublicLimits {
    /// Page views (station pages and statuses) per minute from one network.
    pub pages_per_network_per_minute: NonZeroU32,
    /// Opinions sent per minute from one network.
    pub submissions_per_network_per_minute: NonZeroU32,
    /// Opinions sent per minute to one station, from everywhere (a meeting's worth).
    pub submissions_per_station_per_minute: NonZeroU32,
    /// Wrong tracking codes per minute from one network; past it, every lookup from
    /// there waits (429). Other networks' lookups never wait for it.
    pub wrong_codes_per_network_per_minute: NonZeroU32,
    /// Lookups per minute of one code that does not exist, from everywhere; past it
    /// the code is answered "not found" without asking the database. A code that
    /// exists is never held.
    pub wrong_lookups_per_code_per_minute: NonZeroU32,
    /// Wrong tracking codes per minute from every network together past which the
    /// server warns in its log (many networks guessing at once). Never a refusal: a
    /// limit every network shares would let anyone block every voter's own code.
    pub wrong_codes_per_minute: NonZeroU32,
}

impl Default for PublicLimits {
    fn default() -> Self {
        let n = |v| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        PublicLimits {
            pages_per_network_per_minute: n(120),
            submissions_per_network_per_minute: n(5),
            submissions_per_station_per_minute: n(120),
            wrong_codes_per_network_per_minute: n(10),
            wrong_lookups_per_code_per_minute: n(5),
            wrong_codes_per_minute: n(600),
        }
    }
}

/// The address voters reach the server at, and its limits (`[public]` in the config).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicConfig {
    /// The public address (`https://jzt.example.cn`) QR codes hold; without it the
    /// posters cannot be made (the pages are served all the same).
    pub url: Option<String>,
    #[serde(default)]
    pub limits: PublicLimits,
}

/// Attempts counted over the last minute, per key.
struct Window<K> {
    per_key: usize,
    hits: Mutex<HashMap<K, VecDeque<Instant>>>,
    /// When keys not seen for a minute were last dropped.
    pruned: Mutex<Option<Instant>>,
}

const MINUTE: Duration = Duration::from_secs(60);

impl<K: Eq + std::hash::Hash> Window<K> {
    fn new(per_key: NonZeroU32) -> Window<K> {
        Window {
            per_key: usize::try_from(per_key.get()).unwrap_or(usize::MAX),
            hits: Mutex::default(),
            pruned: Mutex::default(),
        }
    }

    /// Whether `key` is at its limit.
    fn full<Q>(&self, key: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + std::hash::Hash + ?Sized,
    {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let Some(list) = hits.get_mut(key) else {
            return false;
        };
        while list.front().is_some_and(|t| t.elapsed() >= MINUTE) {
            list.pop_front();
        }
        list.len() >= self.per_key
    }

    /// Counts an attempt of `key`; whether `key` is now at its limit.
    fn hit(&self, key: K) -> bool {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        // Made-up keys cannot grow the map without bound: old ones go, at most once a
        // second (a scan of the whole map on every hit would be its own flood).
        if hits.len() > 100_000 {
            let mut pruned = self.pruned.lock().unwrap_or_else(|p| p.into_inner());
            if pruned.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                hits.retain(|_, l| l.back().is_some_and(|t| t.elapsed() < MINUTE));
                *pruned = Some(Instant::now());
            }
        }
        let list = hits.entry(key).or_default();
        while list.front().is_some_and(|t| t.elapsed() >= MINUTE) {
            list.pop_front();
        }
        list.push_back(Instant::now());
        if list.len() > self.per_key {
            list.pop_front();
        }
        list.len() >= self.per_key
    }
}

struct Limiters {
    pages: DefaultKeyedRateLimiter<IpAddr>,
    submissions: DefaultKeyedRateLimiter<IpAddr>,
    stations: DefaultKeyedRateLimiter<String>,
    /// Wrong codes by network.
    wrong: Window<IpAddr>,
    /// Lookups of codes that do not exist, by code.
    wrong_by_code: Window<String>,
    /// Wrong codes of all networks together, under one key: watched, never refused.
    wrong_anywhere: Window<()>,
    trusted_proxies: Vec<IpAddr>,
}

struct PublicApp {
    storage: PublicStore,
    /// The public address (for the posters' QR codes), without a trailing `/`.
    url: Option<String>,
    session_ttl: Duration,
    limiters: Arc<Limiters>,
    /// Public work waits for these, apart from the devices' slots, so a flood of
    /// submissions takes at most this share of the blocking work.
    slots: Arc<Semaphore>,
}

impl Clone for PublicApp {
    fn clone(&self) -> Self {
        PublicApp {
            storage: self.storage.clone(),
            url: self.url.clone(),
            session_ttl: self.session_ttl,
            limiters: self.limiters.clone(),
            slots: self.slots.clone(),
        }
    }
}

/// The public routes over `storage`, and the stations' posters for their accounts
/// (`GET /v1/stations/<station>/poster.png|pdf`, with a session token).
pub fn router(
    storage: Store,
    config: &PublicConfig,
    trusted_proxies: Vec<IpAddr>,
    session_ttl: Duration,
) -> Router {
    let limits = &config.limits;
    let app = PublicApp {
        storage: PublicStore::new(storage),
        url: config
            .url
            .as_ref()
            .map(|u| u.trim_end_matches('/').to_owned()),
        session_ttl,
        limiters: Arc::new(Limiters {
            pages: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                limits.pages_per_network_per_minute,
            )),
            submissions: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                limits.submissions_per_network_per_minute,
            )),
            stations: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                limits.submissions_per_station_per_minute,
            )),
            wrong: Window::new(limits.wrong_codes_per_network_per_minute),
            wrong_by_code: Window::new(limits.wrong_lookups_per_code_per_minute),
            wrong_anywhere: Window::new(limits.wrong_codes_per_minute),
            trusted_proxies,
        }),
        slots: Arc::new(Semaphore::new(PUBLIC_SLOTS)),
    };
    Router::new()
        .route("/p/style.css", get(style))
        .route("/s/{station}", get(station_page).post(submit))
        .route("/t", get(lookup))
        .route("/t/{code}", get(status))
        .route("/t/{code}/withdraw", axum::routing::post(withdraw))
        .route("/v1/stations/{station}/{file}", get(poster))
        // A form that trickles in is cut off by the whole body's deadline
        // (`crate::limits::body_deadline`), as on the devices' routes.
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

/// Every public answer: a strict CSP (no script at all, styles and forms only from
/// here), no framing, no sniffing, no referrer (a status URL holds its code), no cache.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A text of the public pages (`zh-CN.toml`); empty if missing (a test holds the file
/// to every key used).
fn t(key: &str) -> &'static str {
    static TEXT: std::sync::OnceLock<HashMap<String, &'static str>> = std::sync::OnceLock::new();
    let text = TEXT.get_or_init(|| {
        let table: HashMap<String, String> =
            toml::from_str(include_str!("zh-CN.toml")).unwrap_or_default();
        table
            .into_iter()
            .map(|(k, v)| (k, &*Box::leak(v.into_boxed_str())))
            .collect()
    });
    text.get(key).copied().unwrap_or("")
}

/// A category's wire name (`traffic`).
fn category_name(c: OpinionCategory) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A category's name in Chinese, from the app's own locale file (one list of names).
fn category_label(c: OpinionCategory) -> &'static str {
    static LABELS: std::sync::OnceLock<HashMap<String, String>> = std::sync::OnceLock::new();
    let labels = LABELS.get_or_init(|| {
        serde_json::from_str(include_str!("../../../app/locales/zh-CN.json")).unwrap_or_default()
    });
    labels
        .get(&format!("category.{}", category_name(c)))
        .map_or("", String::as_str)
}

fn html(status: StatusCode, page: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page.into_string(),
    )
        .into_response()
}

fn too_many() -> Response {
    let mut r = html(
        StatusCode::TOO_MANY_REQUESTS,
        pages::message(t("too_many_title"), t("too_many"), false),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    r
}

fn no_station() -> Response {
    html(
        StatusCode::NOT_FOUND,
        pages::message(t("not_found_title"), t("not_found_station"), false),
    )
}

fn no_code() -> Response {
    html(
        StatusCode::NOT_FOUND,
        pages::message(t("not_found_title"), t("not_found_code"), true),
    )
}

fn failed(e: &StorageError) -> Response {
    tracing::error!(error = %e, "public page failed");
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages::message(t("not_found_title"), t("server_error"), false),
    )
}

fn bad_request(status: StatusCode) -> Response {
    html(
        status,
        pages::message(t("not_found_title"), t("bad_request"), false),
    )
}

/// Whether `key` may go on now; keys not seen for a while are dropped once there are
/// many, so made-up stations or addresses cannot grow a limiter without bound.
fn allowed<K: Clone + Eq + std::hash::Hash>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> bool {
    if limiter.len() > 10_000 {
        limiter.retain_recent();
    }
    limiter.check_key(key).is_ok()
}

impl PublicApp {
    fn network(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        network(client_ip(
            peer.ip(),
            headers,
            &self.limiters.trusted_proxies,
        ))
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&PublicStore) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let storage = self.storage.clone();
        blocking(&self.slots, move || f(&storage)).await
    }

    /// `None` when `net` may look up a code now; otherwise the 429 to answer. Only the
    /// network's own wrong codes count: no one elsewhere can hold a voter's lookup.
    fn lookups_held(&self, net: IpAddr) -> Option<Response> {
        self.limiters.wrong.full(&net).then(too_many)
    }

    /// Whether `code` was looked up and not found so often this minute that it is
    /// answered without asking the database.
    fn known_wrong(&self, code: &str) -> bool {
        self.limiters.wrong_by_code.full(code)
    }

    /// The answer to a wrong code from `net` (`code`, when the database was asked and
    /// did not find it), counted for the network, the code, and all networks together.
    fn wrong_code(&self, net: IpAddr, code: Option<&str>) -> Response {
        self.limiters.wrong.hit(net);
        if let Some(code) = code {
            self.limiters.wrong_by_code.hit(code.to_owned());
        }
        let was_full = self.limiters.wrong_anywhere.full(&());
        if self.limiters.wrong_anywhere.hit(()) && !was_full {
            tracing::warn!("wrong tracking codes from all networks together over the limit");
        }
        no_code()
    }
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        pages::STYLE,
    )
        .into_response()
}

async fn station_page(
    State(app): State<PublicApp>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(station): Path<String>,
) -> Response {
    if !allowed(&app.limiters.pages, &app.network(peer, &headers)) {
        return too_many();
    }
    let id = station.clone();
    match app.run(move |s| s.station_page(&id)).await {
        Ok(Some(page)) => html(
            StatusCode::OK,
            pages::station(&page, &Submission::default(), &[]),
        ),
        Ok(None) => no_station(),
        Err(e) => failed(&e),
    }
}

/// A form body's fields, if the request is a form (else the status to refuse it with).
fn form_fields(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Vec<(String, String)>, StatusCode> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !is_form {
        return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let body = body.map_err(|e| {
        if crate::limits::is_deadline(&e) {
            StatusCode::REQUEST_TIMEOUT
        } else {
            e.status()
        }
    })?;
    Ok(url::form_urlencoded::parse(&body).into_owned().collect())
}

async fn submit(
    State(app): State<PublicApp>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(station): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let net = app.network(peer, &headers);
    let fields = match form_fields(&headers, body) {
        Ok(f) => f,
        Err(status) => return bad_request(status),
    };
    if !shared::doc::is_valid_id(&station) {
        return no_station();
    }
    if !allowed(&app.limiters.submissions, &net) || !allowed(&app.limiters.stations, &station) {
        return too_many();
    }
    let mut s = Submission::default();
    let mut honeypot = false;
    for (k, v) in fields {
        match k.as_str() {
            "content" => s.content = v,
            "category" => s.categories.push(v),
            "name" => s.name = v,
            "phone" => s.phone = v,
            "consent" => s.consent = v == "1",
            "website" => honeypot |= !v.trim().is_empty(),
            _ => {}
        }
    }
    let id = station.clone();
    if honeypot {
        // A bot: thanked, nothing kept (an unknown station still looks unknown).
        return match app.run(move |st| st.station_page(&id)).await {
            Ok(Some(_)) => html(
                StatusCode::OK,
                pages::message(t("thanks_title"), t("bot_thanks"), false),
            ),
            Ok(None) => no_station(),
            Err(e) => failed(&e),
        };
    }
    let today = beijing_today();
    let now = chrono::Utc::now().timestamp();
    let typed = s.clone();
    let result = app
        .run(move |st| Ok(st.submit_opinion(&id, &s, today, now)))
        .await;
    match result {
        Ok(Ok(code)) => Redirect::to(&format!("/t/{code}?new=1")).into_response(),
        Ok(Err(SubmitError::NoStation)) => no_station(),
        Ok(Err(SubmitError::Invalid(problems))) => {
            let id = station.clone();
            match app.run(move |st| st.station_page(&id)).await {
                Ok(Some(page)) => html(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    pages::station(&page, &typed, &problems),
                ),
                Ok(None) => no_station(),
                Err(e) => failed(&e),
            }
        }
        Ok(Err(SubmitError::Storage(e))) | Err(e) => failed(&e),
    }
}

/// Today's date where the stations are (Beijing, UTC+8, no daylight saving).
fn beijing_today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

#[derive(serde::Deserialize)]
struct CodeQuery {
    #[serde(default)]
    code: String,
}

async fn lookup(
    State(app): State<PublicApp>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<CodeQuery>, QueryRejection>,
) -> Response {
    let net = app.network(peer, &headers);
    if let Some(r) = app.lookups_held(net) {
        return r;
    }
    let typed = query.map(|q| q.0.code).unwrap_or_default();
    match code::normalize(&typed) {
        Some(code) => Redirect::to(&format!("/t/{code}")).into_response(),
        None => app.wrong_code(net, None),
    }
}

#[derive(serde::Deserialize)]
struct StatusQuery {
    #[serde(default)]
    new: Option<String>,
}

async fn status(
    State(app): State<PublicApp>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(typed): Path<String>,
    query: Result<Query<StatusQuery>, QueryRejection>,
) -> Response {
    let net = app.network(peer, &headers);
    if let Some(r) = app.lookups_held(net) {
        return r;
    }
    if !allowed(&app.limiters.pages, &net) {
        return too_many();
    }
    let Some(code) = code::normalize(&typed) else {
        return app.wrong_code(net, None);
    };
    let fresh = query.is_ok_and(|q| q.0.new.is_some());
    show_status(&app, net, code, fresh, None, StatusCode::OK).await
}

async fn show_status(
    app: &PublicApp,
    net: IpAddr,
    code: String,
    fresh: bool,
    flash: Option<&str>,
    ok: StatusCode,
) -> Response {
    if app.known_wrong(&code) {
        // Counted for the network only: the code's minute is not extended.
        return app.wrong_code(net, None);
    }
    let c = code.clone();
    match app.run(move |s| s.public_status(&c)).await {
        Ok(Some(st)) => html(ok, pages::status(&code, &st, fresh, flash)),
        Ok(None) => app.wrong_code(net, Some(&code)),
        Err(e) => failed(&e),
    }
}

async fn withdraw(
    State(app): State<PublicApp>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(typed): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let net = app.network(peer, &headers);
    if let Some(r) = app.lookups_held(net) {
        return r;
    }
    if !allowed(&app.limiters.pages, &net) {
        return too_many();
    }
    let fields = match form_fields(&headers, body) {
        Ok(f) => f,
        Err(status) => return bad_request(status),
    };
    let Some(code) = code::normalize(&typed) else {
        return app.wrong_code(net, None);
    };
    if app.known_wrong(&code) {
        return app.wrong_code(net, None);
    }
    let confirmed = fields.iter().any(|(k, v)| k == "confirm" && v == "1");
    if !confirmed {
        return show_status(
            &app,
            net,
            code,
            false,
            Some(t("withdraw_need_confirm")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let c = code.clone();
    match app.run(move |s| s.withdraw_contact(&c)).await {
        Ok(true) => show_status(&app, net, code, false, Some(t("withdrawn")), StatusCode::OK).await,
        Ok(false) => app.wrong_code(net, Some(&code)),
        Err(e) => failed(&e),
    }
}

/// The text and address of station `id`'s poster (`None`: no such station).
pub fn poster_for(
    storage: &PublicStore,
    public_url: &str,
    id: &str,
) -> Result<Option<(crate::poster::PosterText, String)>, StorageError> {
    Ok(storage.station_page(id)?.map(|page| {
        (
            crate::poster::PosterText {
                station_name: page.name,
                subdistrict_name: page.subdistrict,
                instructions: t("poster_instructions").to_owned(),
            },
            format!("{}/s/{id}", public_url.trim_end_matches('/')),
        )
    }))
}

/// The printable sheet of a set-up code: the account's name, the sheet's title, what to
/// do, and the QR of `link` (`https://<server>/setup#<code>`), printed small beneath it.
pub fn setup_sheet(display_name: &str, username: &str) -> crate::poster::PosterText {
    crate::poster::PosterText {
        station_name: display_name.to_owned(),
        subdistrict_name: format!(
            "{}\u{3000}{}{username}",
            t("setup_sheet_title"),
            t("setup_sheet_account")
        ),
        instructions: t("setup_sheet_instructions").to_owned(),
    }
}

/// A station's poster, for an account that reads the station (its staff, deputies,
/// its street's or town's coordinator, the district).
async fn poster(
    State(app): State<PublicApp>,
    headers: HeaderMap,
    Path((station, file)): Path<(String, String)>,
) -> Response {
    let png = match file.as_str() {
        "poster.png" => true,
        "poster.pdf" => false,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let token_hash = match crate::api::bearer(&headers) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let Some(url) = app.url.clone() else {
        return (StatusCode::CONFLICT, t("poster_no_url")).into_response();
    };
    let ttl = crate::api::ttl_seconds(app.session_ttl);
    let made = app
        .run(move |public| {
            let storage = public.store();
            let caller = match storage.known_caller(&token_hash, crate::api::now()) {
                Some(c) => c,
                None => crate::api::authenticate(storage, &token_hash, ttl)?,
            };
            let doc = shared::doc::DocId::station(&station, beijing_today());
            let not_found = StorageError::Refused {
                doc_id: station.clone(),
                reason: crate::storage::Refusal::NotFound,
            };
            let access = storage.doc_access(&caller.account, &doc)?;
            if access == shared::model::Access::None {
                return Err(not_found);
            }
            let Some((text, url)) = poster_for(public, &url, &station)? else {
                return Err(not_found);
            };
            crate::poster::poster(&text, &url)
                .map_err(|e| StorageError::Internal(format!("poster: {e}")))
        })
        .await;
    match made {
        Ok(p) if png => ([(header::CONTENT_TYPE, "image/png")], p.png).into_response(),
        Ok(p) => ([(header::CONTENT_TYPE, "application/pdf")], p.pdf).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_the_pages_use_is_in_the_file() {
        // This test's own text is not a use.
        let code = |s: &'static str| &s[..s.find("mod tests {").unwrap_or(s.len())];
        let source = [code(include_str!("mod.rs")), code(include_str!("pages.rs"))].concat();
        let mut keys = Vec::new();
        for (at, _) in source.match_indices("t(\"") {
            // `t(`, not `format(` or `hint(`.
            if source[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &source[at + 3..];
            if let Some(end) = rest.find('"') {
                keys.push(&rest[..end]);
            }
        }
        // Keys built from a problem: every problem the store reports.
        for p in [
            "content_required",
            "content_long",
            "categories",
            "name",
            "phone",
            "consent",
            "unknown_category",
            "bad_request",
        ] {
            keys.push(Box::leak(format!("error_{p}").into_boxed_str()));
        }
        for s in [
            "received",
            "referred",
            "in_progress",
            "answered",
            "fed_back",
        ] {
            keys.push(Box::leak(format!("status_{s}").into_boxed_str()));
        }
        assert!(keys.len() > 30, "{keys:?}");
        for k in keys {
            assert!(!t(k).is_empty(), "missing text {k:?}");
        }
        for c in OpinionCategory::ALL {
            assert!(!category_label(c).is_empty(), "{c:?}");
        }
    }
}
