//! HTTPS straight from the server (rustls), with a certificate from PEM files.

use shared::model::Role;
use shared::protocol::{SIGN_IN_PATH, SignInRequest, SignInResponse};
use sync_server::{Config, NewAccount, Tls};

#[tokio::test]
async fn the_server_speaks_https_with_a_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let server = sync_server::start(Config {
        demo: true,
        tls: Some(Tls {
            cert: cert_path,
            key: key_path,
        }),
        ..Config::new(
            sync_server::Database::for_tests(dir.path().join("server.db")),
            "127.0.0.1:0".parse().unwrap(),
        )
    })
    .await
    .unwrap();
    assert!(server.url().starts_with("https://"));
    server
        .storage
        .create_account(
            &NewAccount {
                username: "wang-fang".into(),
                display_name: "王芳".into(),
                role: Role::Deputy,
                scope_id: Some("st-zizhuyuan-home".into()),
                deputy_id: None,
            },
            "correct horse battery",
        )
        .unwrap();
    let base = format!("https://localhost:{}", server.addr.port());
    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let health = trusting
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    let signed_in: SignInResponse = trusting
        .post(format!("{base}{SIGN_IN_PATH}"))
        .json(&SignInRequest {
            username: "wang-fang".into(),
            password: "correct horse battery".into(),
            device_id: "phone".into(),
            device_name: "手机".into(),
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(signed_in.account.display_name, "王芳");
    // A client that does not trust the certificate, and plain HTTP, get nowhere.
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err());
    let plain = reqwest::get(format!("http://127.0.0.1:{}/healthz", server.addr.port())).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    server.shutdown().await.unwrap();
}
