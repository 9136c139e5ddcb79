//! Two server instances over one database, each serving its own devices, as a city
//! deployment runs them behind a load balancer: the real app core (`Store`,
//! `SyncClient`) on each side, real HTTP, one database (a throwaway PostgreSQL database
//! with `JIAZHAN_TEST_BACKEND=postgres`, which is what several instances are for; else
//! one SQLite file that both instances open).

use chrono::NaiveDate;
use shared::protocol::{
    SIGN_IN_PATH, SIGN_OUT_PATH, SYNC_PATH, SignInRequest, SignInResponse, SyncRequest,
};
use shared::{ActivityFilter, ActivityInput, OpinionCategory, OpinionFilter, OpinionInput};
use sync_server::{Config, Database, RunningServer};

#[path = "support/devices.rs"]
mod devices;
use devices::{Device, PASSWORD, photo_bytes};

const STATION: &str = "st-xibeiwang-yongfeng";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

async fn instance(database: &Database) -> RunningServer {
    sync_server::start(Config {
        demo: true,
        ..Config::new(database.clone(), "127.0.0.1:0".parse().unwrap())
    })
    .await
    .unwrap()
}

/// Records an activity of the station on `device`; its id.
fn record(device: &Device, summary: String) -> String {
    device
        .store()
        .create_activity(
            &ActivityInput {
                station_id: STATION.into(),
                date: "2026-11-20".into(),
                deputy_ids: vec!["dep-008".into()],
                voters_received: "15".into(),
                summary,
                ..ActivityInput::default()
            },
            today(),
        )
        .unwrap()
}

/// The ids of the activities `device` holds, sorted.
fn activities(device: &Device) -> Vec<String> {
    let mut ids: Vec<String> = device
        .store()
        .list_activities(&ActivityFilter::default())
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    ids.sort();
    ids
}

/// Signs in as `user-a` on `server` from the device `tablet`; its token.
async fn sign_in_tablet(http: &reqwest::Client, server: &RunningServer) -> String {
    let response: SignInResponse = http
        .post(format!("{}{SIGN_IN_PATH}", server.url()))
        .json(&SignInRequest {
            username: "user-a".into(),
            password: PASSWORD.into(),
            device_id: "tablet".into(),
            device_name: "平板".into(),
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response.token
}

/// The status of an idle first sync of `tablet` on `server` with `token`.
async fn tablet_syncs(http: &reqwest::Client, server: &RunningServer, token: &str) -> u16 {
    http.post(format!("{}{SYNC_PATH}", server.url()))
        .bearer_auth(token)
        .json(&SyncRequest {
            device_id: "tablet".into(),
            ..SyncRequest::default()
        })
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn devices_on_two_instances_share_records_photos_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::for_tests(dir.path().join("server.db"));
    let one = instance(&database).await;
    let two = instance(&database).await;
    let a = Device::new(dir.path(), "a", &one).await;
    let b = Device::new(dir.path(), "b", &two).await;
    a.sync().await;
    b.sync().await;

    // A record with a photo, sent through one instance, reaches a device on the other,
    // which fetches the photo from its own instance.
    let id = record(&a, "村民反映路灯不亮".into());
    let bytes = photo_bytes(300_000, 7);
    let hash = a.store().add_photo(&id, &bytes).unwrap();
    assert_eq!(a.sync().await.sent_photos, 1);
    b.sync().await;
    assert_eq!(activities(&b), std::slice::from_ref(&id));
    let fetched = b.client.fetch_photo(&b.store, &id, &hash).await.unwrap();
    assert!(fetched == bytes, "the same bytes from the other instance");

    // An opinion the other way.
    let opinion = b
        .store()
        .create_opinion(
            &OpinionInput {
                station_id: STATION.into(),
                date: today().to_string(),
                categories: vec![OpinionCategory::Traffic],
                content: "公交站牌看不清".into(),
                ..OpinionInput::default()
            },
            today(),
        )
        .unwrap();
    b.sync().await;
    a.sync().await;
    let opinions = a
        .store()
        .list_opinions(&OpinionFilter::default(), today())
        .unwrap();
    assert!(opinions.iter().any(|o| o.id == opinion), "{opinions:?}");

    // Both devices write at once, each through its own instance, then sync again: each
    // holds every record, once.
    for round in 0..3 {
        for i in 0..10 {
            record(&a, format!("甲 {round}-{i}"));
            record(&b, format!("乙 {round}-{i}"));
        }
        let (sent_a, sent_b) = tokio::join!(a.sync(), b.sync());
        assert_eq!(
            (sent_a.sent_changes > 0, sent_b.sent_changes > 0),
            (true, true)
        );
    }
    a.sync().await;
    b.sync().await;
    assert_eq!(activities(&a).len(), 61);
    assert_eq!(activities(&a), activities(&b));

    // Sessions live in the database. Signed out on instance two, a session is refused by
    // instance one too (which never saw it before).
    let http = reqwest::Client::new();
    let token = sign_in_tablet(&http, &two).await;
    let signed_out = http
        .post(format!("{}{SIGN_OUT_PATH}", two.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(signed_out.status().is_success(), "{}", signed_out.status());
    assert_eq!(tablet_syncs(&http, &one, &token).await, 401);
    assert_eq!(tablet_syncs(&http, &two, &token).await, 401);

    // A session opened on instance two works on instance one.
    let token = sign_in_tablet(&http, &two).await;
    assert_eq!(tablet_syncs(&http, &one, &token).await, 200);

    one.shutdown().await.unwrap();
    two.shutdown().await.unwrap();
}
