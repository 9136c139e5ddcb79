//! The sync client: one sync is a loop of HTTP round trips (usually one) that sends the
//! outbox, applies the response, and asks again while the server has more.
//!
//! The store's lock is never held across a network wait. A change leaves the outbox only
//! when a response acknowledges it, so a request lost in flight is simply sent again and
//! the server, which stores changes by hash, keeps one copy.

use std::sync::Mutex;
use std::time::Duration;

use crate::Error;
use crate::model::{AppError, SyncReport};
use crate::protocol::{SYNC_PATH, SyncResponse};
use crate::store::Store;

/// At most this many round trips per sync, so a misbehaving server cannot loop us forever.
const MAX_ROUND_TRIPS: usize = 1000;

#[derive(Clone, Debug)]
pub struct SyncClient {
    http: reqwest::Client,
    server_url: String,
}

impl SyncClient {
    /// A client for the server at `server_url` (e.g. `http://127.0.0.1:8765`).
    pub fn new(server_url: &str) -> Result<SyncClient, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(SyncClient {
            http,
            server_url: server_url.trim_end_matches('/').to_owned(),
        })
    }

    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// Syncs `store` with the server and records the outcome in the store's sync status.
    pub async fn sync(&self, store: &Mutex<Store>) -> Result<SyncReport, Error> {
        let result = self.sync_inner(store).await;
        let store = lock(store);
        match &result {
            Ok(_) => store.record_sync_success(&chrono::Utc::now().to_rfc3339())?,
            Err(e) => store.record_sync_error(&AppError::from(e))?,
        }
        result
    }

    async fn sync_inner(&self, store: &Mutex<Store>) -> Result<SyncReport, Error> {
        let url = format!("{}{}", self.server_url, SYNC_PATH);
        let mut total = SyncReport::default();
        for _ in 0..MAX_ROUND_TRIPS {
            let request = lock(store).sync_request()?;
            let response = self.http.post(&url).json(&request).send().await?;
            let status = response.status();
            if !status.is_success() {
                let detail = response.text().await.unwrap_or_default();
                return Err(Error::Server {
                    status: status.as_u16(),
                    detail,
                });
            }
            let response: SyncResponse = response.json().await?;
            let report = lock(store).apply_sync_response(&response)?;
            total.sent_changes += report.sent_changes;
            total.received_changes += report.received_changes;
            total.updated_records += report.updated_records;
            if !response.more {
                return Ok(total);
            }
        }
        Err(Error::Protocol("server kept answering `more`".into()))
    }
}

/// A poisoned lock means a panic mid-write; SQLite rolled that transaction back, so the
/// store itself is still consistent and usable.
fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}
