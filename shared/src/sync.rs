//! The sync client: one sync is a loop of HTTP round trips (usually one) that sends the
//! outbox, applies the response, and asks again while the server has more.
//!
//! Plain HTTP is refused unless the server is on this machine (loopback) or the user has
//! explicitly allowed it; after a failure, background syncs back off exponentially with
//! jitter, while a sync the user asks for always goes out at once.
//!
//! The store's lock is never held across a network wait. A change leaves the outbox only
//! when a response acknowledges it, so a request lost in flight is simply sent again and
//! the server, which stores changes by hash, keeps one copy.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;

use crate::Error;
use crate::model::{Account, AppError, SyncProgress, SyncReport};
use crate::platform::{Background, Instant};
use crate::protocol::{
    BLOB_CHUNK_BYTES, BLOBS_PATH, BlobQuery, CBOR, ChunkQuery, ErrorBody, HEADS_PATH, HeadsRequest,
    HeadsResponse, MAX_DOCUMENTS_PER_HEADS, MAX_PHOTO_BYTES, REPAIR_PATH, RepairRequest,
    RepairResponse, SETUP_PAGE, SETUP_PATH, SIGN_IN_PATH, SIGN_OUT_PATH, SYNC_PATH, SetUpCode,
    SetUpRequest, SignInRequest, SignInResponse, SyncRequest, SyncResponse, UploadState, from_cbor,
    to_cbor,
};
use crate::store::{Session, Store};

/// Gzips a request body: change bytes are base64 in JSON, which gzip brings back close
/// to their binary size, and text repeated across records compresses. Bytes cost more
/// than CPU on a phone in a village.
fn gzip(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes)
        .and_then(|()| gz.finish())
        .map_err(|e| Error::Protocol(e.to_string()))
}

/// How often (seconds) a sync also checks some documents against the server.
pub const VERIFY_INTERVAL_SECS: i64 = 3600;
/// How many documents one such check covers.
const VERIFY_BATCH: usize = 32;
/// Sync-protocol exchanges per repaired document before giving up.
const MAX_REPAIR_ROUNDS: usize = 16;

/// What a check of documents against the server found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Documents compared.
    pub checked: usize,
    /// Documents whose heads disagreed and were repaired.
    pub repaired: usize,
}

/// At most this many round trips per sync, so a misbehaving server cannot loop us forever.
const MAX_ROUND_TRIPS: usize = 1000;

/// The first retry delay after a failed background sync; it doubles per failure.
const BACKOFF_BASE: Duration = Duration::from_secs(5);
/// The longest delay between background attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(600);

/// The delay before the next background attempt after `failures` failures in a row,
/// scaled by `jitter` (drawn from 0.5..1.5) so devices do not retry in step.
pub fn backoff_delay(failures: u32, jitter: f64) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let doubled = BACKOFF_BASE.saturating_mul(1u32 << (failures - 1).min(16));
    doubled.min(BACKOFF_MAX).mul_f64(jitter.clamp(0.5, 1.5))
}

#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
    next_attempt: Option<Instant>,
}

#[derive(Clone, Debug)]
pub struct SyncClient {
    http: reqwest::Client,
    allow_plain_http: bool,
    backoff: Arc<Mutex<Backoff>>,
    progress: Arc<Mutex<SyncProgress>>,
}

impl SyncClient {
    /// A client for whichever server the store's session names. Plain `http://` is
    /// accepted only for a loopback address unless `allow_plain_http`; an address that is
    /// refused makes sign-in fail with [`Error::InsecureServer`] or [`Error::BadServerUrl`]
    /// before anything is sent.
    pub fn new(allow_plain_http: bool) -> Result<SyncClient, Error> {
        let http = crate::platform::http_client()?;
        Ok(SyncClient {
            http,
            allow_plain_http,
            backoff: Arc::default(),
            progress: Arc::default(),
        })
    }

    /// `path` on the server at `server_url`, if that address is acceptable.
    fn endpoint(&self, server_url: &str, path: &str) -> Result<Url, Error> {
        let bad = || Error::BadServerUrl(server_url.to_owned());
        let url = Url::parse(server_url).map_err(|_| bad())?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => return Err(bad()),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback || self.allow_plain_http => {}
            "http" => return Err(Error::InsecureServer(server_url.to_owned())),
            _ => return Err(bad()),
        }
        // Appended, not joined: a server behind a proxy at /some/path keeps its path.
        Url::parse(&format!("{server_url}{path}")).map_err(|_| bad())
    }

    /// Signs this device in to the server at `server_url` and keeps the session in the
    /// store. Another account's data on the device is removed first (see
    /// [`Store::set_session`]).
    pub async fn sign_in(
        &self,
        store: &Mutex<Store>,
        server_url: &str,
        username: &str,
        password: &str,
        device_name: &str,
    ) -> Result<Account, Error> {
        let server_url = normalise(server_url);
        let url = self.endpoint(&server_url, SIGN_IN_PATH)?;
        // As the server keeps names: "Wang-Fang" signs in as wang-fang.
        let username = username.trim().to_lowercase();
        // Checked before anything is sent: whose data would go, and under which id.
        let device_id = lock(store).device_id_for_sign_in(&server_url, &username)?;
        let request = SignInRequest {
            username: username.clone(),
            password: password.to_owned(),
            device_id: device_id.clone(),
            device_name: device_name.to_owned(),
        };
        let response = self.http.post(url).json(&request).send().await?;
        self.signed_in(store, server_url, &device_id, response)
            .await
    }

    /// Sets this device up with a one-time set-up code (as typed, pasted or scanned; a
    /// whole link `https://<server>/setup#<code>` also says which server) and the
    /// password its user chose, which becomes the account's;
    /// the session is kept as [`SyncClient::sign_in`]'s. A code that is wrong, used or
    /// expired is [`Error::SignInRefused`].
    pub async fn set_up(
        &self,
        store: &Mutex<Store>,
        server_url: &str,
        code: &str,
        password: &str,
        device_name: &str,
    ) -> Result<Account, Error> {
        // A whole link names its server: the one the code was issued by.
        let server_url = match code.trim().split_once(&format!("{SETUP_PAGE}#")) {
            Some((server, _)) if server.starts_with("http") => normalise(server),
            _ => normalise(server_url),
        };
        let url = self.endpoint(&server_url, SETUP_PATH)?;
        let parsed = SetUpCode::parse(code).ok_or(Error::SignInRefused)?;
        let device_id = lock(store).device_id_for_sign_in(&server_url, &parsed.username)?;
        let request = SetUpRequest {
            code: parsed.to_string(),
            password: password.to_owned(),
            device_id: device_id.clone(),
            device_name: device_name.to_owned(),
        };
        let response = self.http.post(url).json(&request).send().await?;
        self.signed_in(store, server_url, &device_id, response)
            .await
    }

    /// Keeps the session a sign-in or set-up answered with.
    async fn signed_in(
        &self,
        store: &Mutex<Store>,
        server_url: String,
        device_id: &str,
        response: reqwest::Response,
    ) -> Result<Account, Error> {
        let response: SignInResponse = match response.status().as_u16() {
            200 => response.json().await?,
            401 => return Err(Error::SignInRefused),
            429 => return Err(Error::TooManyAttempts),
            status => {
                return Err(Error::Server {
                    status,
                    detail: response.text().await.unwrap_or_default(),
                });
            }
        };
        lock(store).set_session(
            &Session {
                server_url,
                token: response.token,
                account: response.account.clone(),
            },
            device_id,
        )?;
        Ok(response.account)
    }

    /// Ends this device's session: the server revokes the token (if it can be reached)
    /// and the store forgets it. Records stay on the device.
    pub async fn sign_out(&self, store: &Mutex<Store>) -> Result<(), Error> {
        let session = lock(store).session()?;
        if let Some(session) = session {
            let url = self.endpoint(&session.server_url, SIGN_OUT_PATH)?;
            // Best effort: offline, the token simply expires on the server.
            let _ = self.http.post(url).bearer_auth(&session.token).send().await;
        }
        lock(store).clear_session()
    }

    /// Syncs `store` with the server now and records the outcome in the store's sync
    /// status. For a sync the user asked for.
    pub async fn sync(&self, store: &Mutex<Store>) -> Result<SyncReport, Error> {
        let result = match self.sync_inner(store).await {
            // Records first (small, and what others wait for), then photos.
            Ok(mut report) => self.upload_photos(store).await.map(|sent| {
                report.sent_photos = sent;
                report
            }),
            Err(e) => Err(e),
        };
        if let Ok(report) = &result {
            self.verify_if_due(store, report).await;
        }
        {
            let mut backoff = self.backoff.lock().unwrap_or_else(|p| p.into_inner());
            match &result {
                Ok(_) => *backoff = Backoff::default(),
                Err(_) => {
                    backoff.failures = backoff.failures.saturating_add(1);
                    let mut r = [0u8; 1];
                    let jitter = match getrandom::fill(&mut r) {
                        Ok(()) => 0.5 + f64::from(r[0]) / 256.0,
                        Err(_) => 1.0,
                    };
                    backoff.next_attempt =
                        Some(Instant::now() + backoff_delay(backoff.failures, jitter));
                }
            }
        }
        let store = lock(store);
        match &result {
            Ok(_) => store.record_sync_success(&chrono::Utc::now().to_rfc3339())?,
            Err(e) => store.record_sync_error(&AppError::from(e))?,
        }
        result
    }

    /// Syncs unless a recent failure asks to wait; `None` when it waited. For syncs the
    /// app starts by itself (on a timer).
    pub async fn sync_if_due(&self, store: &Mutex<Store>) -> Option<Result<SyncReport, Error>> {
        let due = {
            let backoff = self.backoff.lock().unwrap_or_else(|p| p.into_inner());
            backoff.next_attempt.is_none_or(|t| Instant::now() >= t)
        };
        if due {
            Some(self.sync(store).await)
        } else {
            None
        }
    }

    /// Uploads the photos the server does not have, chunk by chunk, each from where the
    /// server says its upload stands (so a cut connection costs one chunk). A photo of a
    /// document the server refuses stays on the device, like its record. Returns how
    /// many photos were completed.
    async fn upload_photos(&self, store: &Mutex<Store>) -> Result<u64, Error> {
        let session = lock(store).session()?.ok_or(Error::NotSignedIn)?;
        let pending = lock(store).pending_uploads()?;
        let mut sent = 0;
        for photo in pending {
            let url = self.endpoint(
                &session.server_url,
                &format!("{BLOBS_PATH}/{}/upload", photo.hash),
            )?;
            let state: UploadState = match self
                .http
                .get(url.clone())
                .bearer_auth(&session.token)
                .query(&BlobQuery {
                    doc_id: photo.doc_id.clone(),
                })
                .send()
                .await?
                .error_for_session()
                .await
            {
                Ok(r) => r.json().await?,
                Err(Error::Server { status, .. }) if [403, 404].contains(&status) => {
                    same_session(store, &session.token)?
                        .set_aside_photo(&photo.hash, &photo.doc_id)?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut received = state.received;
            let mut complete = state.complete;
            while !complete {
                let len = BLOB_CHUNK_BYTES.min(photo.size.saturating_sub(received));
                let chunk = lock(store).photo_chunk(&photo.hash, received, len)?;
                if chunk.is_empty() {
                    return Err(Error::Protocol(format!(
                        "photo {} is shorter than its size",
                        photo.hash
                    )));
                }
                let state: UploadState = self
                    .http
                    .put(url.clone())
                    .bearer_auth(&session.token)
                    .query(&ChunkQuery {
                        doc_id: photo.doc_id.clone(),
                        size: photo.size,
                        offset: received,
                    })
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(chunk)
                    .send()
                    .await?
                    .error_for_session()
                    .await?
                    .json()
                    .await?;
                if state.received <= received && !state.complete {
                    return Err(Error::Protocol("the upload did not advance".into()));
                }
                received = state.received;
                complete = state.complete;
            }
            same_session(store, &session.token)?.mark_uploaded(&photo.hash, &photo.doc_id)?;
            sent += 1;
        }
        Ok(sent)
    }

    /// Now and then (see [`VERIFY_INTERVAL_SECS`]), after a sync that went through,
    /// compares the next few documents with the server and repairs those that
    /// disagree. Best effort: the sync itself already succeeded.
    async fn verify_if_due(&self, store: &Mutex<Store>, report: &SyncReport) {
        let now = chrono::Utc::now().timestamp();
        let position = lock(store).verify_position();
        let due = match position {
            // The first sync brought everything: the first check is an hour later.
            Ok((after, 0)) => {
                let _ = lock(store).set_verify_position(&after, now);
                false
            }
            Ok((_, at)) => now - at >= VERIFY_INTERVAL_SECS,
            Err(_) => false,
        };
        if !due || report.refused_changes > 0 {
            return;
        }
        match self.verify_documents(store, VERIFY_BATCH).await {
            Ok(v) if v.repaired > 0 => {
                tracing::info!(
                    checked = v.checked,
                    repaired = v.repaired,
                    "documents repaired"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "document check failed"),
        }
    }

    /// Compares up to `max` documents (continuing where the last check stopped, and
    /// starting over after the last) with the server's copies, by their heads, and
    /// repairs each that disagrees with Automerge's sync protocol: what either side
    /// lacks is exchanged, whatever the cursor says. Documents with changes waiting in
    /// the outbox are left to the ordinary sync.
    pub async fn verify_documents(
        &self,
        store: &Mutex<Store>,
        max: usize,
    ) -> Result<VerifyReport, Error> {
        let session = lock(store).session()?.ok_or(Error::NotSignedIn)?;
        let heads_url = self.endpoint(&session.server_url, HEADS_PATH)?;
        let repair_url = self.endpoint(&session.server_url, REPAIR_PATH)?;
        let mut report = VerifyReport::default();
        let (mut after, _) = lock(store).verify_position()?;
        while report.checked < max {
            let batch = MAX_DOCUMENTS_PER_HEADS.min(max - report.checked);
            let local = lock(store).documents_to_verify(&after, batch)?;
            let Some((last, _)) = local.last() else {
                after.clear(); // Next time from the start.
                break;
            };
            after = last.clone();
            let request = HeadsRequest {
                doc_ids: local.iter().map(|(id, _)| id.clone()).collect(),
            };
            let remote: HeadsResponse = self
                .http
                .post(heads_url.clone())
                .bearer_auth(&session.token)
                .json(&request)
                .send()
                .await?
                .error_for_session()
                .await?
                .json()
                .await?;
            let theirs: std::collections::HashMap<&str, &Vec<String>> = remote
                .heads
                .iter()
                .map(|h| (h.doc_id.as_str(), &h.heads))
                .collect();
            for (doc_id, ours) in &local {
                report.checked += 1;
                // Left out by the server (a document it cannot build), or the same.
                let Some(theirs) = theirs.get(doc_id.as_str()) else {
                    continue;
                };
                if *theirs == ours {
                    continue;
                }
                match self
                    .repair(store, &repair_url, &session.token, doc_id)
                    .await
                {
                    Ok(()) => report.repaired += 1,
                    // Offline, or signed out: stop, and try again later.
                    Err(e @ (Error::Http(_) | Error::SessionExpired)) => return Err(e),
                    // This document only (no longer this account's, or one that does
                    // not settle): the next ones are still checked.
                    Err(e) => tracing::warn!(doc_id, error = %e, "document not repaired"),
                }
            }
            // Each batch done is done, even if a later one fails.
            lock(store).set_verify_position(&after, chrono::Utc::now().timestamp())?;
        }
        if after.is_empty() {
            lock(store).set_verify_position("", chrono::Utc::now().timestamp())?;
        }
        Ok(report)
    }

    /// Runs Automerge's sync protocol on `doc_id` with the server until this device
    /// has nothing more to say (each side then has what the other had).
    async fn repair(
        &self,
        store: &Mutex<Store>,
        url: &Url,
        token: &str,
        doc_id: &str,
    ) -> Result<(), Error> {
        let mut state = automerge::sync::State::new();
        for _ in 0..MAX_REPAIR_ROUNDS {
            let Some(message) = same_session(store, token)?.repair_message(doc_id, &mut state)?
            else {
                return Ok(());
            };
            let reply: RepairResponse = self
                .http
                .post(url.clone())
                .bearer_auth(token)
                .json(&RepairRequest {
                    doc_id: doc_id.to_owned(),
                    message,
                })
                .send()
                .await?
                .error_for_session()
                .await?
                .json()
                .await?;
            match reply.message {
                Some(m) => {
                    same_session(store, token)?.receive_repair_message(doc_id, &mut state, &m)?;
                }
                None => return Ok(()),
            }
        }
        Err(Error::Protocol(format!(
            "repairing {doc_id} did not settle"
        )))
    }

    /// Station `station_id`'s printable poster (its name and the QR code of its public
    /// page, for its wall), as PNG or PDF, made by the server from its public address.
    pub async fn fetch_poster(
        &self,
        store: &Mutex<Store>,
        station_id: &str,
        pdf: bool,
    ) -> Result<Vec<u8>, Error> {
        let session = lock(store).session()?.ok_or(Error::NotSignedIn)?;
        if !crate::doc::is_valid_id(station_id) {
            return Err(Error::NotFound);
        }
        let file = if pdf { "poster.pdf" } else { "poster.png" };
        let path = format!("{}/{station_id}/{file}", crate::protocol::STATIONS_PATH);
        let url = self.endpoint(&session.server_url, &path)?;
        let response = self
            .http
            .get(url)
            .bearer_auth(&session.token)
            .send()
            .await?
            .error_for_session()
            .await?;
        Ok(response.bytes().await?.to_vec())
    }

    /// Photo `hash` of activity `activity_id`: from the device if it has it, else
    /// downloaded in chunks (resuming an interrupted download) and kept.
    pub async fn fetch_photo(
        &self,
        store: &Mutex<Store>,
        activity_id: &str,
        hash: &str,
    ) -> Result<Vec<u8>, Error> {
        if let Some(bytes) = lock(store).photo(hash)? {
            return Ok(bytes);
        }
        let session = lock(store).session()?.ok_or(Error::NotSignedIn)?;
        let (doc_id, mut have) = lock(store).photo_download(activity_id, hash)?;
        let url = self.endpoint(&session.server_url, &format!("{BLOBS_PATH}/{hash}"))?;
        loop {
            let response = self
                .http
                .get(url.clone())
                .bearer_auth(&session.token)
                .query(&BlobQuery {
                    doc_id: doc_id.clone(),
                })
                .header(
                    reqwest::header::RANGE,
                    format!("bytes={have}-{}", have + BLOB_CHUNK_BYTES - 1),
                )
                .send()
                .await?
                .error_for_session()
                .await?;
            // `Content-Range: bytes START-END/SIZE`.
            let size = response
                .headers()
                .get(reqwest::header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit_once('/'))
                .and_then(|(_, size)| size.parse::<u64>().ok())
                .ok_or_else(|| Error::Protocol("a photo chunk without its range".into()))?;
            let chunk = response.bytes().await?;
            if chunk.is_empty() || size > MAX_PHOTO_BYTES {
                return Err(Error::Protocol(format!("bad chunk of photo {hash}")));
            }
            let done = same_session(store, &session.token)?
                .save_photo_part(hash, &doc_id, have, &chunk, size)?;
            have += chunk.len() as u64;
            if done {
                break;
            }
        }
        lock(store)
            .photo(hash)?
            .ok_or_else(|| Error::Protocol(format!("photo {hash} was not kept")))
    }

    /// How far the sync under way (or the last one) has come.
    pub fn progress(&self) -> SyncProgress {
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn update_progress(&self, f: impl FnOnce(&mut SyncProgress)) {
        f(&mut self.progress.lock().unwrap_or_else(|p| p.into_inner()));
    }

    async fn sync_inner(&self, store: &Mutex<Store>) -> Result<SyncReport, Error> {
        self.update_progress(|p| {
            *p = SyncProgress {
                running: true,
                ..SyncProgress::default()
            }
        });
        let result = self.sync_round_trips(store).await;
        self.update_progress(|p| p.running = false);
        result
    }

    async fn sync_round_trips(&self, store: &Mutex<Store>) -> Result<SyncReport, Error> {
        let session = lock(store).session()?.ok_or(Error::NotSignedIn)?;
        let url = self.endpoint(&session.server_url, SYNC_PATH)?;
        let mut total = SyncReport::default();
        // How many changes a request carries; halved each time the server answers that
        // one is too large.
        let mut most = crate::protocol::MAX_CHANGES_PER_REQUEST;
        let mut prefetched: Option<Prefetch> = None;
        for _ in 0..MAX_ROUND_TRIPS {
            let (request, held_back) = {
                let store = lock(store);
                let request = store.sync_request_of_at_most(most)?;
                let held_back = store.outbox_len()? > request.changes.len()
                    || request.keys.len() == crate::protocol::MAX_KEYS_PER_MESSAGE;
                (request, held_back)
            };
            let answer = match prefetched.take() {
                // The page asked for while the last one was applied, if this is the
                // request it was asked with.
                Some(p) if p.request == request => p.answer().await?,
                other => {
                    // Not the request: the early one is cancelled before this one goes.
                    drop(other);
                    post_sync(&self.http, &url, &session.token, &request).await?
                }
            };
            let (response, body_len) = match answer {
                Answer::Taken { response, body_len } => (response, body_len),
                Answer::Refused { status, detail } => {
                    // Too large together: send half as many. One change too large alone
                    // can never be taken: its document's changes are set aside, as a
                    // refusal's.
                    if status == reqwest::StatusCode::PAYLOAD_TOO_LARGE
                        && !request.changes.is_empty()
                    {
                        if request.changes.len() > 1 {
                            most = request.changes.len() / 2;
                            continue;
                        }
                        // Only the server's own word that the change is too large: a
                        // proxy's 413 is no reason to set a document aside.
                        let servers = serde_json::from_str::<ErrorBody>(&detail)
                            .is_ok_and(|b| b.error == crate::protocol::error::PAYLOAD_TOO_LARGE);
                        if servers {
                            let doc_id = request.changes[0].doc_id.clone();
                            let set_aside = lock(store)
                                .set_aside(&doc_id, crate::protocol::error::PAYLOAD_TOO_LARGE)?;
                            total.refused_changes += set_aside as u64;
                            if set_aside > 0 {
                                most = crate::protocol::MAX_CHANGES_PER_REQUEST;
                                continue;
                            }
                        }
                    }
                    // A change refused for its document (no right to write it, or a
                    // reused sequence number): set that document's changes aside, send
                    // the rest.
                    if let Some((doc_id, reason)) = refused_document(status, &detail, &request) {
                        let set_aside = lock(store).set_aside(&doc_id, &reason)?;
                        total.refused_changes += set_aside as u64;
                        if set_aside > 0 {
                            continue;
                        }
                    }
                    return Err(Error::Server {
                        status: status.as_u16(),
                        detail,
                    });
                }
            };
            // A bootstrap brings a page of whole documents at a time: the next page is
            // asked for now, and built by the server while this one is applied. It is
            // used only if the request after this page is the one predicted (nothing
            // new to send); otherwise it is dropped unread.
            if response.more && !held_back && response.bootstrap.is_some() {
                let next = SyncRequest {
                    device_id: request.device_id.clone(),
                    cursor: response.cursor,
                    changes: Vec::new(),
                    bootstrap: response.bootstrap.clone(),
                    key_cursor: response.key_cursor,
                    keys: Vec::new(),
                };
                prefetched = Prefetch::start(&self.http, &url, &session.token, next);
            }
            let report = {
                let mut store = lock(store);
                // Signed in as someone else meanwhile: this response is not for them.
                if store.session()?.map(|s| s.token) != Some(session.token.clone()) {
                    return Err(Error::SessionExpired);
                }
                store.apply_sync_response(&response)?
            };
            // After a request too large, grow back as requests go through.
            most = (most * 2).min(crate::protocol::MAX_CHANGES_PER_REQUEST);
            total.sent_changes += report.sent_changes;
            total.received_changes += report.received_changes;
            total.received_documents += report.received_documents;
            total.updated_records += report.updated_records;
            self.update_progress(|p| {
                p.round_trips += 1;
                p.sent_changes = total.sent_changes;
                p.received_changes = total.received_changes;
                p.received_documents = total.received_documents;
                p.received_bytes += body_len;
            });
            // Done when the server has nothing more and the outbox went out whole.
            if !response.more && !held_back {
                return Ok(total);
            }
        }
        Err(Error::Protocol("server kept answering `more`".into()))
    }
}

/// What the server answered a sync request.
enum Answer {
    Taken {
        response: SyncResponse,
        body_len: u64,
    },
    /// Not 2xx (401 is [`Error::SessionExpired`]): the status and the body.
    Refused {
        status: reqwest::StatusCode,
        detail: String,
    },
}

/// Sends one sync request (CBOR, gzipped when not small) and reads the answer.
async fn post_sync(
    http: &reqwest::Client,
    url: &Url,
    token: &str,
    request: &SyncRequest,
) -> Result<Answer, Error> {
    // CBOR: change bytes go as they are, not as base64 text.
    let body = to_cbor(request);
    let post = http
        .post(url.clone())
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, CBOR)
        .header(reqwest::header::ACCEPT, CBOR);
    // Small bodies (an idle sync) are smaller as they are.
    let post = if body.len() > 1024 {
        post.header(reqwest::header::CONTENT_ENCODING, "gzip")
            .body(gzip(&body)?)
    } else {
        post.body(body)
    };
    let response = post.send().await?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(Error::SessionExpired);
    }
    if !status.is_success() {
        let detail = response.text().await.unwrap_or_default();
        return Ok(Answer::Refused { status, detail });
    }
    let cbor = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(CBOR.as_bytes()));
    let body = response.bytes().await?;
    let body_len = body.len() as u64;
    let response: SyncResponse = if cbor {
        from_cbor(&body).map_err(Error::Protocol)?
    } else {
        serde_json::from_slice(&body).map_err(|e| Error::Protocol(e.to_string()))?
    };
    Ok(Answer::Taken { response, body_len })
}

/// A sync request sent ahead, running in the background while the caller applies the
/// last answer. Dropped unread, it is cancelled.
struct Prefetch {
    request: SyncRequest,
    answer: Background<Result<Answer, Error>>,
}

impl Prefetch {
    /// `None` where nothing can run beside the caller (outside a runtime, or in the
    /// browser): the request is then sent when it is needed.
    fn start(
        http: &reqwest::Client,
        url: &Url,
        token: &str,
        request: SyncRequest,
    ) -> Option<Prefetch> {
        let (http, url, token, sent) =
            (http.clone(), url.clone(), token.to_owned(), request.clone());
        let answer = Background::start(async move { post_sync(&http, &url, &token, &sent).await })?;
        Some(Prefetch { request, answer })
    }

    async fn answer(self) -> Result<Answer, Error> {
        self.answer
            .finish()
            .await
            .ok_or_else(|| Error::Protocol("a page asked for ahead was lost".into()))?
    }
}

/// The document and error code of an error response that refuses one pushed document
/// of `request` (403 read-only or another device's actor, 404 not found, 409 sequence
/// reused, 422 a record the server refuses).
fn refused_document(
    status: reqwest::StatusCode,
    body: &str,
    request: &SyncRequest,
) -> Option<(String, String)> {
    if ![403, 404, 409, 422].contains(&status.as_u16()) {
        return None;
    }
    let body: ErrorBody = serde_json::from_str(body).ok()?;
    let doc_id = body.doc_id?;
    request
        .changes
        .iter()
        .map(|c| &c.doc_id)
        .chain(request.keys.iter().map(|k| &k.doc_id))
        .any(|d| *d == doc_id)
        .then_some((doc_id, body.error))
}

/// Turns an error answer into [`Error::SessionExpired`] (401) or [`Error::Server`].
trait ErrorForSession: Sized {
    async fn error_for_session(self) -> Result<reqwest::Response, Error>;
}

impl ErrorForSession for reqwest::Response {
    async fn error_for_session(self) -> Result<reqwest::Response, Error> {
        let status = self.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(Error::SessionExpired);
        }
        if !status.is_success() {
            return Err(Error::Server {
                status: status.as_u16(),
                detail: self.text().await.unwrap_or_default(),
            });
        }
        Ok(self)
    }
}

/// A server address as typed: trimmed, without a trailing slash.
fn normalise(server_url: &str) -> String {
    server_url.trim().trim_end_matches('/').to_owned()
}

/// The store, if it is still signed in with `token`: an answer that arrives after
/// another account signed in is not that account's to keep.
fn same_session<'a>(
    store: &'a Mutex<Store>,
    token: &str,
) -> Result<std::sync::MutexGuard<'a, Store>, Error> {
    let guard = lock(store);
    if guard.session()?.is_some_and(|s| s.token == token) {
        Ok(guard)
    } else {
        Err(Error::SessionExpired)
    }
}

/// A poisoned lock means a panic mid-write; SQLite rolled that transaction back, so the
/// store itself is still consistent and usable.
fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_retries_back_off_exponentially_with_jitter_and_a_cap() {
        assert_eq!(backoff_delay(0, 1.0), Duration::ZERO);
        assert_eq!(backoff_delay(1, 1.0), Duration::from_secs(5));
        assert_eq!(backoff_delay(2, 1.0), Duration::from_secs(10));
        assert_eq!(backoff_delay(5, 1.0), Duration::from_secs(80));
        assert_eq!(backoff_delay(9, 1.0), Duration::from_secs(600));
        assert_eq!(backoff_delay(u32::MAX, 1.0), Duration::from_secs(600));
        assert_eq!(backoff_delay(2, 0.5), Duration::from_secs(5));
        assert_eq!(backoff_delay(2, 1.5), Duration::from_secs(15));
        assert_eq!(
            backoff_delay(2, 9.0),
            Duration::from_secs(15),
            "jitter is clamped"
        );
    }

    #[test]
    fn plain_http_only_to_this_machine_unless_allowed() {
        let check = |url: &str, allow: bool| match SyncClient::new(allow)
            .unwrap()
            .endpoint(&normalise(url), SYNC_PATH)
        {
            Ok(u) => Ok(u.to_string()),
            Err(Error::InsecureServer(_)) => Err("insecure"),
            Err(Error::BadServerUrl(_)) => Err("bad"),
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            check("https://jz.example.cn/", false),
            Ok("https://jz.example.cn/v1/sync".into())
        );
        assert_eq!(
            check("http://127.0.0.1:8765", false),
            Ok("http://127.0.0.1:8765/v1/sync".into())
        );
        assert_eq!(
            check("http://localhost:8765", false),
            Ok("http://localhost:8765/v1/sync".into())
        );
        assert_eq!(
            check("http://[::1]:8765", false),
            Ok("http://[::1]:8765/v1/sync".into())
        );
        assert_eq!(
            check("https://jz.example.cn/jiazhan/", false),
            Ok("https://jz.example.cn/jiazhan/v1/sync".into())
        );
        assert_eq!(check("http://192.168.1.20:8765", false), Err("insecure"));
        assert_eq!(check("http://jz.example.cn", false), Err("insecure"));
        assert_eq!(
            check("http://jz.example.cn", true),
            Ok("http://jz.example.cn/v1/sync".into())
        );
        assert_eq!(check("ftp://jz.example.cn", true), Err("bad"));
        assert_eq!(check("jz.example.cn", false), Err("bad"));
        assert_eq!(check("", false), Err("bad"));
    }
}
