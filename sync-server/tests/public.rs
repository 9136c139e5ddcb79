//! The voters' pages against hostile input, through the real server on 127.0.0.1 and
//! real HTTP: markup in every field, oversized and mistyped bodies, floods of wrong
//! codes and of submissions, stations that do not exist, bots, and a station's poster.

use std::num::NonZeroU32;

use shared::model::Role;
use shared::protocol::SignInResponse;
use sync_server::public::{PublicConfig, PublicLimits};
use sync_server::{Database, RunningServer};

// The root package's view of the server's database, shared with its tests.
#[path = "../../tests/support/server_db.rs"]
#[allow(dead_code)]
mod server_db;

mod support;

use support::*;

/// A server with the demo directory and the voters' pages at a public address, on the
/// database it returns too (`server.db` in `dir`, or PostgreSQL: [`Database::for_tests`]).
async fn public_server(dir: &std::path::Path, limits: PublicLimits) -> (RunningServer, Database) {
    let server = bare_server(dir, |c| {
        c.public = PublicConfig {
            url: Some("https://jzt.example.cn/".into()),
            limits,
        };
    })
    .await;
    let database = server.database.clone();
    (server, database)
}

/// How many voters' submissions `database` keeps.
async fn public_opinions(database: &Database) -> i64 {
    server_db::one(database, "SELECT COUNT(*) FROM public_opinions").await
}

#[tokio::test]
async fn markup_in_every_field_comes_back_as_text_and_nothing_is_stored_from_a_bad_form() {
    let dir = tempfile::tempdir().unwrap();
    let (server, database) = public_server(dir.path(), PublicLimits::default()).await;
    let url = server.url();
    let evil = r#"<script>alert(1)</script><img src=x onerror=alert(2)>"#;
    // Refused (a category that does not exist, a phone that is no phone): the form
    // again with every field as typed, escaped.
    let r = web()
        .post(format!("{url}/s/{STATION}"))
        .form(&[
            ("content", evil),
            ("category", evil),
            ("category", "weather"),
            ("name", evil),
            ("phone", evil),
            ("consent", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers().get("set-cookie").is_none());
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<img"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("类别不存在") && html.contains("电话号码格式不对"),
        "{html}"
    );
    assert_eq!(html.matches("类别不存在").count(), 1, "each problem once");

    // Accepted with markup as content and name: the status page shows neither.
    let r = web()
        .post(format!("{url}/s/{STATION}"))
        .form(&[
            ("content", evil),
            ("category", "traffic"),
            ("name", evil),
            ("consent", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let html = text_at(&web(), &format!("{url}{location}")).await;
    assert!(!html.contains("alert"), "{html}");

    // A body past 16 KiB, a body that is not a form, a form sent as JSON.
    let big = "长".repeat(6000);
    for (body, content_type, status) in [
        (
            format!("content={big}&category=traffic"),
            "application/x-www-form-urlencoded",
            413,
        ),
        ("content=x&category=traffic".to_owned(), "text/plain", 415),
        (
            r#"{"content":"x","category":"traffic"}"#.to_owned(),
            "application/json",
            415,
        ),
    ] {
        let r = web()
            .post(format!("{url}/s/{STATION}"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{content_type}");
        assert!(r.text().await.unwrap().contains("无法识别"));
    }
    // 501 characters, within the body limit: refused by the field limit.
    let r = web()
        .post(format!("{url}/s/{STATION}"))
        .form(&[
            ("content", "字".repeat(501).as_str()),
            ("category", "traffic"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("不能超过 500 字"));

    // Only the one good submission became an opinion.
    assert_eq!(public_opinions(&database).await, 1);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_station_that_does_not_exist_looks_like_no_station_and_bots_are_thanked_not_heard() {
    let dir = tempfile::tempdir().unwrap();
    let (server, database) = public_server(dir.path(), PublicLimits::default()).await;
    let url = server.url();
    let mut pages = Vec::new();
    for id in [
        "st-nowhere",
        "district",
        "..%2F..%2Fetc",
        "st-zizhuyuan-home%00",
    ] {
        let r = web().get(format!("{url}/s/{id}")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{id}");
        pages.push(r.text().await.unwrap());
    }
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "pages differ");
    assert!(pages[0].contains("没有这个联络站"));
    let r = web()
        .post(format!("{url}/s/st-nowhere"))
        .form(&[("content", "有事"), ("category", "traffic")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.text().await.unwrap(), pages[0]);

    // The hidden field filled in: thanked, nothing kept.
    let r = web()
        .post(format!("{url}/s/{STATION}"))
        .form(&[
            ("content", "买药加微信"),
            ("category", "other"),
            ("website", "http://spam.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("您的意见已收到"));
    assert_eq!(public_opinions(&database).await, 0);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn guessing_codes_and_flooding_a_station_are_held_back() {
    let dir = tempfile::tempdir().unwrap();
    let limits = PublicLimits {
        submissions_per_network_per_minute: NonZeroU32::new(3).unwrap(),
        submissions_per_station_per_minute: NonZeroU32::new(5).unwrap(),
        ..PublicLimits::default()
    };
    let server = bare_server_on(dir.path().join("server.db"), |c| {
        c.sign_in_limits.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.public.limits = limits;
    })
    .await;
    let url = server.url();
    let send = |from: &'static str, station: &'static str| {
        web()
            .post(format!("{url}/s/{station}"))
            .header("x-forwarded-for", from)
            .form(&[("content", "路灯坏了"), ("category", "traffic")])
            .send()
    };
    // Three from one address, then 429; others still get through, until the station's
    // five a minute are used.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            send("203.0.113.7", STATION)
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [303, 303, 303, 429]);
    assert_eq!(
        send("203.0.113.8", STATION)
            .await
            .unwrap()
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        send("203.0.113.9", STATION)
            .await
            .unwrap()
            .status()
            .as_u16(),
        303
    );
    let held = send("203.0.113.10", STATION).await.unwrap();
    assert_eq!(held.status().as_u16(), 429);
    assert_eq!(held.headers()["retry-after"], "60");
    // Another station is not held by this one's flood.
    assert_eq!(
        send("203.0.113.10", "st-xibeiwang-yongfeng")
            .await
            .unwrap()
            .status()
            .as_u16(),
        303
    );
    let good = send("203.0.113.11", "st-xibeiwang-yongfeng").await.unwrap();
    let location = good.headers()["location"].to_str().unwrap().to_owned();

    // Wrong codes: ten a minute from a network (an IPv6 /64 counts as one), then 429
    // for every lookup from there, the right code too; other networks still look up.
    let look = |from: &'static str, path: String| {
        web()
            .get(format!("{url}{path}"))
            .header("x-forwarded-for", from)
            .send()
    };
    let mut wrong = Vec::new();
    for i in 0..12u64 {
        let from: &'static str = if i % 2 == 0 {
            "2001:db8::1"
        } else {
            "2001:db8::2"
        };
        // Half with a valid check digit (a lookup), half mistyped (no lookup).
        let code = if i % 2 == 0 {
            "/t/4539148803436467".to_owned()
        } else {
            format!("/t?code=12345678{i:08}")
        };
        wrong.push(look(from, code).await.unwrap().status().as_u16());
    }
    assert!(wrong[..10].iter().all(|s| *s == 404), "{wrong:?}");
    assert_eq!(&wrong[10..], [429, 429]);
    assert_eq!(
        look("2001:db8::3", location.clone())
            .await
            .unwrap()
            .status()
            .as_u16(),
        429
    );
    let mine = look("198.51.100.1", location.clone()).await.unwrap();
    assert_eq!(mine.status().as_u16(), 200);
    // A wrong code and an unknown one look the same.
    let a = look("198.51.100.2", "/t/4539148803436467".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let b = look("198.51.100.2", "/t/0000000000000000".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let c = look("198.51.100.2", "/t/abc".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(a == b && b == c && a.contains("没有找到这个查询码"));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_station_prints_its_own_poster_and_no_one_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = public_server(dir.path(), PublicLimits::default()).await;
    let url = server.url();
    let token = |username: &str, role: Role, scope: Option<&str>| {
        create_account(&server, username, role, scope);
        let username = username.to_owned();
        let url = url.clone();
        async move {
            let device_id = uuid::Uuid::new_v4().simple().to_string();
            let http = reqwest::Client::new();
            let response = sign_in_at(&http, &url, &username, PASSWORD, &device_id).await;
            response.json::<SignInResponse>().await.unwrap().token
        }
    };
    let staff = token("staff", Role::StationStaff, Some(STATION)).await;
    let coordinator = token("coord", Role::SubdistrictCoordinator, Some("sd-zizhuyuan")).await;
    let other = token("other", Role::StationStaff, Some("st-xibeiwang-yongfeng")).await;
    let dept = token("department", Role::Department, Some("dept-traffic")).await;
    let get = |token: Option<String>, file: &'static str| {
        let r = reqwest::Client::new().get(format!("{url}/v1/stations/{STATION}/{file}"));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
        .send()
    };
    let png = get(Some(staff.clone()), "poster.png").await.unwrap();
    assert_eq!(png.status().as_u16(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
    let pdf = get(Some(coordinator), "poster.pdf").await.unwrap();
    assert_eq!(pdf.status().as_u16(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    for (token, status) in [(Some(other), 404), (Some(dept), 404), (None, 401)] {
        assert_eq!(
            get(token, "poster.png").await.unwrap().status().as_u16(),
            status
        );
    }
    server.shutdown().await.unwrap();
}

/// A demo server started without a public address is reached at its own, so its
/// stations' posters work (they hold the server's address); a server that is no demo
/// says it has none.
#[tokio::test]
async fn a_demo_server_prints_posters_at_its_own_address() {
    for (demo, status) in [(true, 200), (false, 409)] {
        let dir = tempfile::tempdir().unwrap();
        let server = bare_server(dir.path(), |c| c.demo = demo).await;
        if !demo {
            // The same directory, loaded as an office would.
            server
                .storage
                .load_directory_if_missing(&shared::demo::directory())
                .unwrap();
        }
        create_account(&server, "station", Role::StationStaff, Some(STATION));
        let station = Client::new(&server, "station", "poster-phone").await;
        let png = station
            .http
            .get(format!("{}/v1/stations/{STATION}/poster.png", station.url))
            .bearer_auth(&station.token)
            .send()
            .await
            .unwrap();
        assert_eq!(png.status().as_u16(), status, "demo: {demo}");
        if demo {
            assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
        }
        server.shutdown().await.unwrap();
    }
}
