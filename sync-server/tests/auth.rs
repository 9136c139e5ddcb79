//! Accounts, sessions and scopes through the real server on 127.0.0.1 (port 0), over real
//! HTTP: the authorization matrix (every role × kind of document × push, bootstrap pull
//! and change pull), sign-in refusals and limits, and sessions that end.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use shared::model::Role;
use shared::protocol::{SIGN_OUT_PATH, SignInResponse};
use sync_server::{Config, NewAccount, SignInLimits};

mod support;

use support::*;

#[tokio::test]
async fn every_role_reaches_exactly_its_scope_and_nothing_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let server = bare_server(dir.path(), |_| {}).await;
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
        create_account(&server, name, role, scope);
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
        clients.push(Client::new(&server, name, &format!("phone-{i}")).await);
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
            let got = client.push_schema(doc).await;
            if got != want {
                wrong.push(format!("{} push {doc}: {got}, not {want}", accounts[i].0));
            }
        }
    }
    // Every account pulls, on a new device from nothing (whole documents) and on the
    // same device after everyone writes again (changes): it sees exactly what it reads.
    let mut cursors = vec![];
    for (i, (name, ..)) in accounts.iter().enumerate() {
        let device = Client::new(&server, name, &format!("tablet-{i}")).await;
        let (cursor, seen) = device.pull(0).await;
        let seen: BTreeSet<String> = seen.into_iter().collect();
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
            assert_eq!(clients[writer].push_schema(doc).await, 200);
        }
    }
    for (i, (device, cursor)) in cursors.iter().enumerate() {
        let (_, seen) = device.pull(*cursor).await;
        let seen: BTreeSet<String> = seen.into_iter().collect();
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
        let r = deputy.sync(0, vec![schema_change(doc)]).await;
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
    let server = bare_server(dir.path(), |c| c.sign_in_limits = sign_in_limits(3, 100)).await;
    create_account(
        &server,
        "wang-fang",
        Role::Deputy,
        Some("st-zizhuyuan-home"),
    );
    create_account(&server, "li-na", Role::Deputy, Some("st-zizhuyuan-home"));
    let http = reqwest::Client::new();
    let wrong = sign_in_at(&http, &server.url(), "wang-fang", "wrong password", "p1").await;
    let unknown = sign_in_at(&http, &server.url(), "nobody-here", PASSWORD, "p1").await;
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
        let r = sign_in_at(&http, &server.url(), "wang-fang", "still wrong", "p1").await;
        assert_eq!(r.status(), 401);
    }
    let limited = sign_in_at(&http, &server.url(), "WANG-FANG", PASSWORD, "p1").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "60");
    let other = sign_in_at(&http, &server.url(), "li-na", PASSWORD, "p2").await;
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
    let server = bare_server(dir.path(), |_| {}).await;
    create_account(
        &server,
        "wang-fang",
        Role::StationStaff,
        Some("st-zizhuyuan-home"),
    );
    let http = reqwest::Client::new();
    assert!(sync_server::wire::RESERVED_DEVICE_IDS.contains(&sync_server::wire::SERVER_DEVICE));
    for id in sync_server::wire::RESERVED_DEVICE_IDS {
        let response = sign_in_at(&http, &server.url(), "wang-fang", PASSWORD, id).await;
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
        Client::new(&server, "wang-fang", id).await;
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_session_ends_when_it_expires_is_signed_out_revoked_or_its_account_changes() {
    let dir = tempfile::tempdir().unwrap();
    let generous = sign_in_limits(100, 100);
    let server = bare_server(dir.path(), |c| c.session_ttl = Duration::from_secs(1)).await;
    let database = server.database.clone();
    create_account(
        &server,
        "wang-fang",
        Role::Deputy,
        Some("st-zizhuyuan-home"),
    );
    let doc = "station/st-zizhuyuan-home/2026-11";

    // Expired: refused with 401, nothing stored.
    let phone = Client::new(&server, "wang-fang", "phone").await;
    assert_eq!(phone.push_schema(doc).await, 200);
    let stored = server.storage.change_count().unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(phone.push_schema(doc).await, 401);
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
    let phone = Client::new(&server, "wang-fang", "phone").await;
    assert_eq!(phone.push_schema(doc).await, 200);
    // A token works only with the device it was issued to.
    let mut borrowed = Client::new(&server, "wang-fang", "tablet").await;
    borrowed.device_id = "phone".into();
    assert_eq!(borrowed.push_schema(doc).await, 400);
    let signed_out = phone
        .http
        .post(format!("{}{SIGN_OUT_PATH}", phone.url))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 204);
    assert_eq!(phone.push_schema(doc).await, 401);

    let phone = Client::new(&server, "wang-fang", "phone").await;
    let listed = server.storage.devices(Some("wang-fang")).unwrap();
    assert_eq!(
        listed.iter().filter(|d| !d.revoked).count(),
        2,
        "{listed:?}"
    );
    assert_eq!(server.storage.revoke_device("phone").unwrap(), 1);
    assert_eq!(phone.push_schema(doc).await, 401);

    let tablet = Client::new(&server, "wang-fang", "tablet").await;
    server
        .storage
        .reset_password("wang-fang", "a new password 2026")
        .unwrap();
    assert_eq!(tablet.push_schema(doc).await, 401);
    let (http, url) = (reqwest::Client::new(), server.url());
    let old = sign_in_at(&http, &url, "wang-fang", PASSWORD, "tablet").await;
    assert_eq!(old.status(), 401);
    let new = sign_in_at(&http, &url, "wang-fang", "a new password 2026", "tablet").await;
    assert_eq!(new.status(), 200);
    let token = new.json::<SignInResponse>().await.unwrap().token;
    let tablet = Client { token, ..tablet };
    assert_eq!(tablet.push_schema(doc).await, 200);

    server.storage.disable_account("wang-fang").unwrap();
    assert_eq!(tablet.push_schema(doc).await, 401);
    let disabled = sign_in_at(&http, &url, "wang-fang", "a new password 2026", "tablet").await;
    assert_eq!(disabled.status(), 401);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn accounts_are_refused_when_their_scope_does_not_fit_the_role() {
    let dir = tempfile::tempdir().unwrap();
    let server = bare_server(dir.path(), |_| {}).await;
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
        trusted_proxies: trusted,
        ..sign_in_limits(100, 2)
    };
    let attempt = |url: String, forwarded: &'static str| async move {
        sign_in_from(&url, forwarded, "nobody", "wrong password", "d").await
    };
    // The test client is the proxy (127.0.0.1); a client may prepend anything.
    let proxied = bare_server(dir.path(), |c| {
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
    let direct = bare_server(dir.path(), |c| c.sign_in_limits = limits(vec![])).await;
    let url = direct.url();
    assert_eq!(attempt(url.clone(), "10.0.0.1").await, 401);
    assert_eq!(attempt(url.clone(), "10.0.0.2").await, 401);
    assert_eq!(attempt(url.clone(), "10.0.0.3").await, 429);
    direct.shutdown().await.unwrap();
}

/// A one-time set-up code: a new phone takes it with the password its user chooses and
/// is signed in; the password then signs in as usual; the code works once, not after it
/// expires, not for a disabled account, and a refusal (a password too short, a wrong
/// code) changes nothing. Codes typed loosely (lower case, O for 0, no dashes) and whole
/// links are understood.
#[tokio::test]
async fn a_set_up_code_signs_a_new_phone_in_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = bare_server(dir.path(), |_| {}).await;
    create_account(
        &server,
        "wang-fang",
        Role::Deputy,
        Some("st-zizhuyuan-home"),
    );
    let now = chrono::Utc::now().timestamp();
    let code = server.storage.issue_setup_code("wang-fang", now).unwrap();
    let parsed = shared::protocol::SetUpCode::parse(&code).unwrap();
    assert_eq!(parsed.username, "wang-fang");
    assert_eq!(code, parsed.to_string());
    assert_eq!(code.len(), "wang-fang.".len() + 19, "{code}");
    // Only a hash of it is kept (in SQLite's file, when the server runs on one).
    if let Ok(db) = std::fs::read(dir.path().join("server.db")) {
        assert!(!db.windows(16).any(|w| w == parsed.secret.as_bytes()));
    }

    let (phone, client) = app(dir.path(), "phone");
    // A password too short is refused, and the code still works after.
    let short = client
        .set_up(&phone, &server.url(), &code, "short", "phone")
        .await;
    assert!(
        matches!(&short, Err(shared::Error::Server { status: 400, detail }) if detail.contains("8")),
        "{short:?}"
    );
    // A wrong secret is refused like a wrong password.
    let mut wrong = parsed.clone();
    wrong.secret = "0000000000000000".into();
    let refused = client
        .set_up(&phone, &server.url(), &wrong.to_string(), PASSWORD, "phone")
        .await;
    assert!(
        matches!(refused, Err(shared::Error::SignInRefused)),
        "{refused:?}"
    );
    // Typed loosely, inside the link it was printed as: taken.
    let loose = format!(
        "{}/setup#{}.{}",
        server.url(),
        parsed.username,
        parsed.secret.to_lowercase().replace('0', "o")
    );
    let account = client
        .set_up(
            &phone,
            "https://not-this-one.example",
            &loose,
            "new-password-1",
            "phone",
        )
        .await
        .unwrap();
    assert_eq!(account.username, "wang-fang");
    client.sync(&phone).await.unwrap();
    // The password chosen is the account's now; the code is used up.
    let http = reqwest::Client::new();
    let ok = sign_in_at(&http, &server.url(), "wang-fang", "new-password-1", "p2").await;
    assert_eq!(ok.status(), 200);
    let (second, client2) = app(dir.path(), "second");
    let again = client2
        .set_up(&second, &server.url(), &code, "another-password", "second")
        .await;
    assert!(
        matches!(again, Err(shared::Error::SignInRefused)),
        "{again:?}"
    );

    // Expired: issued 73 hours ago.
    let old = server
        .storage
        .issue_setup_code("wang-fang", now - 73 * 3600)
        .unwrap();
    let expired = client2
        .set_up(&second, &server.url(), &old, "another-password", "second")
        .await;
    assert!(
        matches!(expired, Err(shared::Error::SignInRefused)),
        "{expired:?}"
    );
    // A disabled account's code is refused.
    let fresh = server.storage.issue_setup_code("wang-fang", now).unwrap();
    server.storage.disable_account("wang-fang").unwrap();
    let disabled = client2
        .set_up(&second, &server.url(), &fresh, "another-password", "second")
        .await;
    assert!(
        matches!(disabled, Err(shared::Error::SignInRefused)),
        "{disabled:?}"
    );
    server.shutdown().await.unwrap();
}

/// `account setup-code` prints the code and its link and writes the sheet to print: its
/// QR reads back the link, the PDF is one, and a phone takes the code while the server
/// runs beside the command.
#[tokio::test]
async fn the_setup_code_command_writes_a_sheet_whose_qr_a_phone_takes() {
    let dir = tempfile::tempdir().unwrap();
    let server = bare_server(dir.path(), |_| {}).await;
    create_account(
        &server,
        "li-na",
        Role::StationStaff,
        Some("st-zizhuyuan-home"),
    );
    let out = dir.path().join("sheets");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_jiazhan-sync-server"))
        .args([
            "--db",
            &server.database.location(),
            "account",
            "setup-code",
            "li-na",
        ])
        .args(["--url", &server.url(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let line = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {stdout}"))
            .to_owned()
    };
    let code = line("code: ");
    let link = line("link: ");
    assert_eq!(link, format!("{}/setup#{code}", server.url()));
    let png = std::fs::read(out.join("li-na-开通码.png")).unwrap();
    let pdf = std::fs::read(out.join("li-na-开通码.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
    let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
    let pixels = pixmap.pixels();
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let p = pixels[y * w + x].demultiply();
        ((299 * p.red() as u32 + 587 * p.green() as u32 + 114 * p.blue() as u32) / 1000) as u8
    });
    let read: Vec<String> = image
        .detect_grids()
        .iter()
        .map(|g| g.decode().unwrap().1)
        .collect();
    assert_eq!(read, std::slice::from_ref(&link));
    let (phone, client) = app(dir.path(), "phone");
    let account = client
        .set_up(&phone, "", &link, "li-na-password", "phone")
        .await
        .unwrap();
    assert_eq!(account.username, "li-na");
    server.shutdown().await.unwrap();
}
