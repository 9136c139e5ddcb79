//! Accounts, sessions and scopes through the real server on 127.0.0.1 (port 0), over real
//! HTTP: the authorization matrix (every role × kind of document × push, bootstrap pull
//! and change pull), sign-in refusals and limits, and sessions that end.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::time::Duration;

use automerge::{AutoCommit, ROOT, transaction::Transactable as _};
use shared::model::Role;
use shared::protocol::{
    Bootstrap, SIGN_IN_PATH, SIGN_OUT_PATH, SYNC_PATH, SignInRequest, SignInResponse, SyncRequest,
    SyncResponse, WireChange,
};
use sync_server::{Config, NewAccount, RunningServer, SignInLimits};

const PASSWORD: &str = "correct horse battery";

async fn server(dir: &std::path::Path, tweak: impl FnOnce(&mut Config)) -> RunningServer {
    let mut config = Config {
        demo: true,
        ..Config::new(
            sync_server::Database::for_tests(dir.join("server.db")),
            "127.0.0.1:0".parse().unwrap(),
        )
    };
    tweak(&mut config);
    sync_server::start(config).await.unwrap()
}

fn create(server: &RunningServer, username: &str, role: Role, scope: Option<&str>) {
    server
        .storage
        .create_account(
            &NewAccount {
                username: username.into(),
                display_name: username.into(),
                role,
                scope_id: scope.map(str::to_owned),
                deputy_id: None,
            },
            PASSWORD,
        )
        .unwrap();
}

/// One device of one account, speaking the protocol by hand.
struct Client {
    http: reqwest::Client,
    url: String,
    device_id: String,
    token: String,
}

impl Client {
    async fn sign_in(server: &RunningServer, username: &str, device_id: &str) -> Client {
        let http = reqwest::Client::new();
        let response = sign_in(&http, server, username, PASSWORD, device_id).await;
        assert_eq!(response.status(), 200, "{username}");
        let signed_in: SignInResponse = response.json().await.unwrap();
        Client {
            http,
            url: server.url(),
            device_id: device_id.into(),
            token: signed_in.token,
        }
    }

    async fn post(&self, request: &SyncRequest) -> reqwest::Response {
        self.http
            .post(format!("{}{SYNC_PATH}", self.url))
            .bearer_auth(&self.token)
            .json(request)
            .send()
            .await
            .unwrap()
    }

    /// Pushes one new change to `doc_id`; the status.
    async fn push(&self, doc_id: &str) -> u16 {
        let response = self
            .post(&self.request(0, vec![change(doc_id)], None))
            .await;
        response.status().as_u16()
    }

    fn request(
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

    /// Pulls from `cursor` until the server has no more; the documents seen (whole or as
    /// changes) and the final cursor.
    async fn pull(&self, mut cursor: u64) -> (BTreeSet<String>, u64) {
        let mut seen = BTreeSet::new();
        let mut bootstrap = None;
        loop {
            let response = self.post(&self.request(cursor, vec![], bootstrap)).await;
            assert_eq!(response.status(), 200);
            let r: SyncResponse = response.json().await.unwrap();
            seen.extend(r.documents.iter().map(|d| d.doc_id.clone()));
            seen.extend(r.changes.iter().map(|c| c.doc_id.clone()));
            cursor = r.cursor;
            bootstrap = r.bootstrap;
            if !r.more {
                return (seen, cursor);
            }
        }
    }
}

async fn sign_in(
    http: &reqwest::Client,
    server: &RunningServer,
    username: &str,
    password: &str,
    device_id: &str,
) -> reqwest::Response {
    http.post(format!("{}{SIGN_IN_PATH}", server.url()))
        .json(&SignInRequest {
            username: username.into(),
            password: password.into(),
            device_id: device_id.into(),
            device_name: "测试手机".into(),
        })
        .send()
        .await
        .unwrap()
}

/// A new Automerge change to a document: its schema version, as a device's first write
/// to a document sets it (the server checks the records of referrals and answers).
fn change(doc_id: &str) -> WireChange {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", 2u64).unwrap();
    let bytes = doc.get_changes(&[])[0].raw_bytes().to_vec();
    WireChange {
        doc_id: doc_id.into(),
        kind: doc_id.split('/').next().unwrap().into(),
        bytes,
    }
}

#[tokio::test]
async fn every_role_reaches_exactly_its_scope_and_nothing_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    // 西北旺镇 (sd-xibeiwang) has 永丰 and 韩家川; 紫竹院 (sd-zizhuyuan) its home.
    let accounts = [
        (
            "deputy-yongfeng",
            Role::Deputy,
            Some("st-xibeiwang-yongfeng"),
        ),
        (
            "staff-zizhuyuan",
            Role::StationStaff,
            Some("st-zizhuyuan-home"),
        ),
        (
            "coord-xibeiwang",
            Role::SubdistrictCoordinator,
            Some("sd-xibeiwang"),
        ),
        ("district-admin", Role::DistrictAdmin, None),
        ("dept-traffic", Role::Department, Some("dept-traffic")),
        ("dept-health", Role::Department, Some("dept-health")),
    ];
    for (name, role, scope) in accounts {
        create(&server, name, role, scope);
    }
    // What each account may do with each document, written out by hand (W write, R read,
    // - nothing), in the order of `accounts`.
    let reference = "RRRRRR";
    // Reference data (district, every street and town, consultations) every account reads.
    let reference_ids: Vec<String> = shared::doc::directory_documents(&shared::demo::directory())
        .unwrap()
        .into_iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert!(reference_ids.len() > 5, "{reference_ids:?}");
    let mut expected: BTreeMap<&str, &str> = [
        ("station/st-xibeiwang-yongfeng/2026-11", "W-WR--"),
        ("station/st-xibeiwang-hanjiachuan/2026-11", "--WR--"),
        ("station/st-zizhuyuan-home/2026-11", "-W-R--"),
        (
            "referrals/dept-traffic/st-xibeiwang-yongfeng/2026",
            "W-WRR-",
        ),
        ("referrals/dept-health/st-zizhuyuan-home/2026", "-W-R-R"),
        ("answers/dept-traffic/st-xibeiwang-yongfeng/2026", "R-RRW-"),
        ("answers/dept-health/st-zizhuyuan-home/2026", "-R-R-W"),
    ]
    .into_iter()
    .collect();
    expected.extend(reference_ids.iter().map(|id| (id.as_str(), reference)));
    let may = |doc: &str, account: usize| expected[doc].as_bytes()[account];

    let mut clients = vec![];
    for (i, (name, ..)) in accounts.iter().enumerate() {
        clients.push(Client::sign_in(&server, name, &format!("phone-{i}")).await);
    }
    // Every account pushes to every document: written, refused as read-only, or
    // refused as if the document did not exist.
    let mut wrong = vec![];
    for doc in expected.keys() {
        for (i, client) in clients.iter().enumerate() {
            let want = match may(doc, i) {
                b'W' => 200,
                b'R' => 403,
                _ => 404,
            };
            let got = client.push(doc).await;
            if got != want {
                wrong.push(format!("{} push {doc}: {got}, not {want}", accounts[i].0));
            }
        }
    }
    // Every account pulls, on a new device from nothing (whole documents) and on the
    // same device after everyone writes again (changes): it sees exactly what it reads.
    let mut cursors = vec![];
    for (i, (name, ..)) in accounts.iter().enumerate() {
        let device = Client::sign_in(&server, name, &format!("tablet-{i}")).await;
        let (seen, cursor) = device.pull(0).await;
        let want: BTreeSet<String> = expected
            .keys()
            .filter(|d| may(d, i) != b'-')
            .map(|d| d.to_string())
            .collect();
        if seen != want {
            wrong.push(format!("{name} bootstrap: {seen:?}, not {want:?}"));
        }
        cursors.push((device, cursor));
    }
    for doc in expected.keys() {
        if let Some(writer) = (0..clients.len()).find(|&i| may(doc, i) == b'W') {
            assert_eq!(clients[writer].push(doc).await, 200);
        }
    }
    for (i, (device, cursor)) in cursors.iter().enumerate() {
        let (seen, _) = device.pull(*cursor).await;
        let want: BTreeSet<String> = expected
            .keys()
            .filter(|d| may(d, i) != b'-' && expected[*d] != reference)
            .map(|d| d.to_string())
            .collect();
        if seen != want {
            wrong.push(format!("{} changes: {seen:?}, not {want:?}", accounts[i].0));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // Outside its scope, a document that exists and one that does not get one answer.
    let deputy = &clients[0];
    let answer = |doc: &'static str| async move {
        let r = deputy
            .post(&deputy.request(0, vec![change(doc)], None))
            .await;
        (
            r.status().as_u16(),
            r.text().await.unwrap().replace(doc, "ID"),
        )
    };
    assert_eq!(
        answer("station/st-zizhuyuan-home/2026-11").await,
        answer("station/st-zizhuyuan-home/2019-01").await
    );
    assert_eq!(
        answer("station/st-zizhuyuan-home/2026-11").await,
        answer("station/st-nowhere/2026-11").await
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn sign_in_refuses_wrong_passwords_alike_and_limits_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |c| {
        c.sign_in_limits = SignInLimits {
            per_account_per_minute: NonZeroU32::new(3).unwrap(),
            per_address_per_minute: NonZeroU32::new(100).unwrap(),
            ..SignInLimits::default()
        };
    })
    .await;
    create(
        &server,
        "wang-fang",
        Role::Deputy,
        Some("st-zizhuyuan-home"),
    );
    create(&server, "li-na", Role::Deputy, Some("st-zizhuyuan-home"));
    let http = reqwest::Client::new();
    let wrong = sign_in(&http, &server, "wang-fang", "wrong password", "p1").await;
    let unknown = sign_in(&http, &server, "nobody-here", PASSWORD, "p1").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert_eq!(
        wrong.text().await.unwrap(),
        unknown.text().await.unwrap(),
        "an unknown name looks like a wrong password"
    );
    // Two more wrong attempts use up wang-fang's minute; then even the right password
    // waits, while another account signs in as usual.
    for _ in 0..2 {
        let r = sign_in(&http, &server, "wang-fang", "still wrong", "p1").await;
        assert_eq!(r.status(), 401);
    }
    let limited = sign_in(&http, &server, "WANG-FANG", PASSWORD, "p1").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "60");
    let other = sign_in(&http, &server, "li-na", PASSWORD, "p2").await;
    assert_eq!(other.status(), 200);
    // Only the token identifies the device: nothing else in the reply is secret.
    let body: SignInResponse = other.json().await.unwrap();
    assert_eq!(body.account.role, Role::Deputy);
    assert_eq!(body.account.scope_id.as_deref(), Some("st-zizhuyuan-home"));
    assert!(body.token.len() >= 43);
    server.shutdown().await.unwrap();
}

/// The device ids the server writes under are refused at sign-in with a clear 400, the
/// right password notwithstanding: a session for one would have every sync refused.
#[tokio::test]
async fn a_reserved_device_id_is_refused_at_sign_in_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    create(
        &server,
        "wang-fang",
        Role::StationStaff,
        Some("st-zizhuyuan-home"),
    );
    let http = reqwest::Client::new();
    assert!(sync_server::wire::RESERVED_DEVICE_IDS.contains(&sync_server::wire::SERVER_DEVICE));
    for id in sync_server::wire::RESERVED_DEVICE_IDS {
        let response = sign_in(&http, &server, "wang-fang", PASSWORD, id).await;
        assert_eq!(response.status(), 400, "{id}");
        let body: shared::protocol::ErrorBody = response.json().await.unwrap();
        assert_eq!(body.error, shared::protocol::error::BAD_REQUEST);
        assert!(
            body.message.contains("reserved") && body.message.contains(id),
            "{body:?}"
        );
        assert_eq!(body.doc_id, None);
    }
    assert!(server.storage.devices(None).unwrap().is_empty());
    // Not a prefix or a lookalike: the same account signs in on its own ids.
    for id in ["server-2", "Server", "phone"] {
        Client::sign_in(&server, "wang-fang", id).await;
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_session_ends_when_it_expires_is_signed_out_revoked_or_its_account_changes() {
    let dir = tempfile::tempdir().unwrap();
    let generous = SignInLimits {
        per_account_per_minute: NonZeroU32::new(100).unwrap(),
        per_address_per_minute: NonZeroU32::new(100).unwrap(),
        ..SignInLimits::default()
    };
    let server = server(dir.path(), |c| c.session_ttl = Duration::from_secs(1)).await;
    let database = server.database.clone();
    create(
        &server,
        "wang-fang",
        Role::Deputy,
        Some("st-zizhuyuan-home"),
    );
    let doc = "station/st-zizhuyuan-home/2026-11";

    // Expired: refused with 401, nothing stored.
    let phone = Client::sign_in(&server, "wang-fang", "phone").await;
    assert_eq!(phone.push(doc).await, 200);
    let stored = server.storage.change_count().unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(phone.push(doc).await, 401);
    assert_eq!(server.storage.change_count().unwrap(), stored);
    server.shutdown().await.unwrap();

    // The same database with long sessions: sign-out, revocation, password reset and a
    // disabled account each end a session.
    let server = sync_server::start(Config {
        sign_in_limits: generous,
        ..Config::new(database, "127.0.0.1:0".parse().unwrap())
    })
    .await
    .unwrap();
    let phone = Client::sign_in(&server, "wang-fang", "phone").await;
    assert_eq!(phone.push(doc).await, 200);
    // A token works only with the device it was issued to.
    let mut borrowed = Client::sign_in(&server, "wang-fang", "tablet").await;
    borrowed.device_id = "phone".into();
    assert_eq!(borrowed.push(doc).await, 400);
    let signed_out = phone
        .http
        .post(format!("{}{SIGN_OUT_PATH}", phone.url))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 204);
    assert_eq!(phone.push(doc).await, 401);

    let phone = Client::sign_in(&server, "wang-fang", "phone").await;
    let listed = server.storage.devices(Some("wang-fang")).unwrap();
    assert_eq!(
        listed.iter().filter(|d| !d.revoked).count(),
        2,
        "{listed:?}"
    );
    assert_eq!(server.storage.revoke_device("phone").unwrap(), 1);
    assert_eq!(phone.push(doc).await, 401);

    let tablet = Client::sign_in(&server, "wang-fang", "tablet").await;
    server
        .storage
        .reset_password("wang-fang", "a new password 2026")
        .unwrap();
    assert_eq!(tablet.push(doc).await, 401);
    let http = reqwest::Client::new();
    let old = sign_in(&http, &server, "wang-fang", PASSWORD, "tablet").await;
    assert_eq!(old.status(), 401);
    let new = sign_in(&http, &server, "wang-fang", "a new password 2026", "tablet").await;
    assert_eq!(new.status(), 200);
    let token = new.json::<SignInResponse>().await.unwrap().token;
    let tablet = Client { token, ..tablet };
    assert_eq!(tablet.push(doc).await, 200);

    server.storage.disable_account("wang-fang").unwrap();
    assert_eq!(tablet.push(doc).await, 401);
    let disabled = sign_in(&http, &server, "wang-fang", "a new password 2026", "tablet").await;
    assert_eq!(disabled.status(), 401);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn accounts_are_refused_when_their_scope_does_not_fit_the_role() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), |_| {}).await;
    let try_create = |name: &str, role, scope: Option<&str>, password: &str| {
        server.storage.create_account(
            &NewAccount {
                username: name.into(),
                display_name: "测试".into(),
                role,
                scope_id: scope.map(str::to_owned),
                deputy_id: None,
            },
            password,
        )
    };
    assert!(try_create("a-deputy", Role::Deputy, Some("st-nowhere"), PASSWORD).is_err());
    assert!(try_create("a-deputy", Role::Deputy, None, PASSWORD).is_err());
    assert!(
        try_create(
            "a-coord",
            Role::SubdistrictCoordinator,
            Some("st-zizhuyuan-home"),
            PASSWORD
        )
        .is_err()
    );
    assert!(try_create("a-dept", Role::Department, Some("dept-nowhere"), PASSWORD).is_err());
    assert!(
        try_create(
            "an-admin",
            Role::DistrictAdmin,
            Some("sd-xibeiwang"),
            PASSWORD
        )
        .is_err()
    );
    assert!(try_create("a-deputy", Role::Deputy, Some("st-zizhuyuan-home"), "short").is_err());
    assert!(
        try_create(
            "A Deputy",
            Role::Deputy,
            Some("st-zizhuyuan-home"),
            PASSWORD
        )
        .is_err()
    );
    assert!(
        server.storage.accounts().unwrap().is_empty(),
        "nothing half-made"
    );
    try_create(
        "a-deputy",
        Role::Deputy,
        Some("st-zizhuyuan-home"),
        PASSWORD,
    )
    .unwrap();
    assert!(
        try_create(
            "a-deputy",
            Role::StationStaff,
            Some("st-zizhuyuan-home"),
            PASSWORD
        )
        .is_err()
    );
    assert_eq!(server.storage.accounts().unwrap().len(), 1);
    server.shutdown().await.unwrap();
}

/// Behind a trusted reverse proxy the per-address limit counts each client's address
/// from `X-Forwarded-For`; from anyone else that header is ignored.
#[tokio::test]
async fn the_address_limit_believes_forwarded_addresses_only_from_trusted_proxies() {
    let dir = tempfile::tempdir().unwrap();
    let limits = |trusted: Vec<std::net::IpAddr>| SignInLimits {
        per_account_per_minute: NonZeroU32::new(100).unwrap(),
        per_address_per_minute: NonZeroU32::new(2).unwrap(),
        trusted_proxies: trusted,
        ..SignInLimits::default()
    };
    let attempt = |url: String, forwarded: &'static str| async move {
        reqwest::Client::new()
            .post(format!("{url}{SIGN_IN_PATH}"))
            .header("x-forwarded-for", forwarded)
            .json(&SignInRequest {
                username: "nobody".into(),
                password: "wrong password".into(),
                device_id: "d".into(),
                device_name: "d".into(),
            })
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    // The test client is the proxy (127.0.0.1); a client may prepend anything.
    let proxied = server(dir.path(), |c| {
        c.sign_in_limits = limits(vec!["127.0.0.1".parse().unwrap()]);
    })
    .await;
    let url = proxied.url();
    assert_eq!(attempt(url.clone(), "10.0.0.1").await, 401);
    assert_eq!(attempt(url.clone(), "192.0.2.9, 10.0.0.1").await, 401);
    assert_eq!(
        attempt(url.clone(), "10.0.0.1").await,
        429,
        "the same client"
    );
    assert_eq!(
        attempt(url.clone(), "10.0.0.2").await,
        401,
        "another client"
    );
    // The same client behind a proxy that writes ports; a made-up entry left of it
    // changes nothing.
    assert_eq!(attempt(url.clone(), "10.0.0.2:4444").await, 401);
    assert_eq!(attempt(url.clone(), "not-an-address, 10.0.0.2").await, 429);
    proxied.shutdown().await.unwrap();

    // Without a trusted proxy, a made-up header does not escape the limit.
    let dir = tempfile::tempdir().unwrap();
    let direct = server(dir.path(), |c| c.sign_in_limits = limits(vec![])).await;
    let url = direct.url();
    assert_eq!(attempt(url.clone(), "10.0.0.1").await, 401);
    assert_eq!(attempt(url.clone(), "10.0.0.2").await, 401);
    assert_eq!(attempt(url.clone(), "10.0.0.3").await, 429);
    direct.shutdown().await.unwrap();
}
