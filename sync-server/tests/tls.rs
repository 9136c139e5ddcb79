//! HTTPS straight from the server (rustls), with a certificate from PEM files.

use shared::model::Role;
use shared::protocol::SignInResponse;
use sync_server::Tls;

mod support;

use support::{PASSWORD, bare_server, create_account_shown_as, sign_in_at};

#[tokio::test]
async fn the_server_speaks_https_with_a_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let server = bare_server(dir.path(), |c| {
        c.tls = Some(Tls {
            cert: cert_path,
            key: key_path,
        });
    })
    .await;
    assert!(server.url().starts_with("https://"));
    create_account_shown_as(
        &server,
        "wang-fang",
        "王芳",
        Role::Deputy,
        Some("st-zizhuyuan-home"),
    );
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
    let signed_in: SignInResponse = sign_in_at(&trusting, &base, "wang-fang", PASSWORD, "phone")
        .await
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
