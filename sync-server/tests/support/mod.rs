//! What the server's suites share: a server on 127.0.0.1 (port 0) with one account of
//! each kind (or the accounts a suite makes), a device of one account speaking the
//! protocol by hand, the changes it sends (`changes.rs`), and the app's own devices
//! (`app.rs`).
#![allow(dead_code)]

mod app;
mod changes;

// Not every suite uses both.
#[allow(unused_imports)]
pub use app::*;
#[allow(unused_imports)]
pub use changes::*;

use std::num::NonZeroU32;

use shared::model::Role;
use shared::protocol::{
    BLOBS_PATH, Bootstrap, ErrorBody, SIGN_IN_PATH, SYNC_PATH, SignInRequest, SignInResponse,
    SyncRequest, SyncResponse, WireChange,
};
use sync_server::{Config, Database, NewAccount, RunningServer, SignInLimits};

pub const PASSWORD: &str = "correct horse battery";
pub const STATION: &str = "st-zizhuyuan-home";
pub const OTHER_STATION: &str = "st-shangdi-park";
pub const DEPARTMENT: &str = "dept-traffic";

/// The accounts [`server`] makes (username, role, scope), each with [`PASSWORD`].
pub const ACCOUNTS: [(&str, Role, Option<&str>); 4] = [
    ("station", Role::StationStaff, Some(STATION)),
    ("other-station", Role::StationStaff, Some(OTHER_STATION)),
    (
        "coordinator",
        Role::SubdistrictCoordinator,
        Some("sd-zizhuyuan"),
    ),
    ("department", Role::Department, Some(DEPARTMENT)),
];

/// A server with the small demo directory on `database` (`tweak`ed), and no accounts.
pub async fn bare_server_on(
    database: impl Into<Database>,
    tweak: impl FnOnce(&mut Config),
) -> RunningServer {
    let mut config = Config {
        demo: true,
        ..Config::new(database, "127.0.0.1:0".parse().unwrap())
    };
    tweak(&mut config);
    sync_server::start(config).await.unwrap()
}

/// [`bare_server_on`] the test database in `dir` (`server.db`, or PostgreSQL:
/// [`Database::for_tests`]).
pub async fn bare_server(dir: &std::path::Path, tweak: impl FnOnce(&mut Config)) -> RunningServer {
    bare_server_on(Database::for_tests(dir.join("server.db")), tweak).await
}

/// [`bare_server`] with the [`ACCOUNTS`].
pub async fn server(dir: &std::path::Path, tweak: impl FnOnce(&mut Config)) -> RunningServer {
    let server = bare_server(dir, tweak).await;
    for (name, role, scope) in ACCOUNTS {
        create_account(&server, name, role, scope);
    }
    server
}

/// Creates the account `username` (shown as its username) on `server`, with
/// [`PASSWORD`].
pub fn create_account(server: &RunningServer, username: &str, role: Role, scope: Option<&str>) {
    create_account_shown_as(server, username, username, role, scope);
}

/// Creates the account `username`, shown as `display_name`, on `server`, with
/// [`PASSWORD`].
pub fn create_account_shown_as(
    server: &RunningServer,
    username: &str,
    display_name: &str,
    role: Role,
    scope: Option<&str>,
) {
    server
        .storage
        .create_account(
            &NewAccount {
                username: username.into(),
                display_name: display_name.into(),
                role,
                scope_id: scope.map(str::to_owned),
                deputy_id: None,
            },
            PASSWORD,
        )
        .unwrap();
}

/// Sign-in limits of `per_account` and `per_address` attempts a minute, the rest as
/// by default.
pub fn sign_in_limits(per_account: u32, per_address: u32) -> SignInLimits {
    SignInLimits {
        per_account_per_minute: NonZeroU32::new(per_account).unwrap(),
        per_address_per_minute: NonZeroU32::new(per_address).unwrap(),
        ..SignInLimits::default()
    }
}

/// What a device sends to sign in.
pub fn sign_in_body(
    username: impl Into<String>,
    password: impl Into<String>,
    device_id: impl Into<String>,
    device_name: impl Into<String>,
) -> SignInRequest {
    SignInRequest {
        username: username.into(),
        password: password.into(),
        device_id: device_id.into(),
        device_name: device_name.into(),
    }
}

/// Signs `username` in with `password` on `device_id`, through `http` to the server at
/// `url`.
pub async fn sign_in_at(
    http: &reqwest::Client,
    url: &str,
    username: &str,
    password: &str,
    device_id: &str,
) -> reqwest::Response {
    http.post(format!("{url}{SIGN_IN_PATH}"))
        .json(&sign_in_body(username, password, device_id, "测试手机"))
        .send()
        .await
        .unwrap()
}

/// Signs `username` in with [`PASSWORD`] on `device_id`.
pub async fn sign_in_as(
    server: &RunningServer,
    username: &str,
    device_id: &str,
) -> reqwest::Response {
    sign_in_at(
        &reqwest::Client::new(),
        &server.url(),
        username,
        PASSWORD,
        device_id,
    )
    .await
}

/// Signs `username` in with `password` on `device_id` (named `d`) at `url`, through a
/// proxy that forwards for `from` (`X-Forwarded-For`); the status.
pub async fn sign_in_from(
    url: &str,
    from: &str,
    username: &str,
    password: &str,
    device_id: &str,
) -> u16 {
    reqwest::Client::new()
        .post(format!("{url}{SIGN_IN_PATH}"))
        .header("x-forwarded-for", from)
        .json(&sign_in_body(username, password, device_id, "d"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A browser that shows redirects instead of following them, as the voters' pages are
/// tested.
pub fn web() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The body of a GET of `url` through `http`, as text.
pub async fn text_at(http: &reqwest::Client, url: &str) -> String {
    http.get(url).send().await.unwrap().text().await.unwrap()
}

/// One device of one account, speaking the protocol by hand.
pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
    pub device_id: String,
    pub token: String,
}

impl Client {
    pub async fn new(server: &RunningServer, username: &str, device_id: &str) -> Client {
        let response = sign_in_as(server, username, device_id).await;
        assert_eq!(response.status(), 200, "{username}");
        let signed_in: SignInResponse = response.json().await.unwrap();
        Client {
            http: reqwest::Client::new(),
            url: server.url(),
            device_id: device_id.into(),
            token: signed_in.token,
        }
    }

    /// This device's sync request from `cursor`.
    pub fn request(
        &self,
        cursor: u64,
        changes: Vec<WireChange>,
        bootstrap: Option<Bootstrap>,
    ) -> SyncRequest {
        SyncRequest {
            device_id: self.device_id.clone(),
            cursor,
            changes,
            bootstrap,
            key_cursor: 0,
            keys: Vec::new(),
        }
    }

    pub async fn sync(&self, cursor: u64, changes: Vec<WireChange>) -> reqwest::Response {
        self.post_json(SYNC_PATH, &self.request(cursor, changes, None))
            .await
    }

    /// Pulls until the server has no more; the final cursor and the documents seen.
    pub async fn pull(&self, mut cursor: u64) -> (u64, Vec<String>) {
        let mut seen = vec![];
        let mut bootstrap = None;
        loop {
            let response = self
                .post_json(SYNC_PATH, &self.request(cursor, vec![], bootstrap))
                .await;
            assert_eq!(response.status(), 200);
            let r: SyncResponse = response.json().await.unwrap();
            seen.extend(r.changes.iter().map(|c| c.doc_id.clone()));
            seen.extend(r.documents.iter().map(|d| d.doc_id.clone()));
            cursor = r.cursor;
            bootstrap = r.bootstrap;
            if !r.more {
                return (cursor, seen);
            }
        }
    }

    /// Pushes one new change to `doc_id` under a new actor; the status.
    pub async fn push_new(&self, doc_id: &str) -> u16 {
        let change = change_by(doc_id, &automerge::ActorId::random());
        self.sync(0, vec![change]).await.status().as_u16()
    }

    /// Pushes a device's first write to `doc_id` ([`schema_change`]); the status.
    pub async fn push_schema(&self, doc_id: &str) -> u16 {
        let change = schema_change(doc_id);
        self.sync(0, vec![change]).await.status().as_u16()
    }

    /// Sends `data` at `offset` of a `size`-byte file `hash` for `doc_id`.
    pub async fn put_chunk(
        &self,
        doc_id: &str,
        hash: &str,
        size: u64,
        offset: u64,
        data: Vec<u8>,
    ) -> reqwest::Response {
        self.http
            .put(format!(
                "{}{BLOBS_PATH}/{hash}/upload?doc_id={doc_id}&size={size}&offset={offset}",
                self.url
            ))
            .bearer_auth(&self.token)
            .body(data)
            .send()
            .await
            .unwrap()
    }

    /// Sends the first chunk (`data`) of a `size`-byte file `hash` for `doc_id`; the
    /// status.
    pub async fn put_first_chunk(&self, doc_id: &str, hash: &str, size: u64, data: Vec<u8>) -> u16 {
        self.put_chunk(doc_id, hash, size, 0, data)
            .await
            .status()
            .as_u16()
    }

    pub async fn post_json<T: serde::Serialize>(&self, path: &str, body: &T) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// A refusal's status and body (the body must be an [`ErrorBody`]).
pub async fn error_of(response: reqwest::Response) -> (u16, ErrorBody) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"));
    (status, body)
}

pub fn station_doc() -> String {
    format!("station/{STATION}/2026-11")
}
