//! Two server instances over one database, each serving its own devices, as a city
//! deployment runs them behind a load balancer: the real app core (`Store`,
//! `SyncClient`) on each side, real HTTP, one database (a throwaway PostgreSQL database
//! with `JIAZHAN_TEST_BACKEND=postgres`, which is what several instances are for; else
//! one SQLite file that both instances open).

use std::sync::Mutex;

use chrono::NaiveDate;
use shared::model::Role;
use shared::protocol::{SIGN_IN_PATH, SIGN_OUT_PATH, SYNC_PATH, SignInRequest, SignInResponse};
use shared::{
    ActivityFilter, ActivityInput, OpinionCategory, OpinionFilter, OpinionInput, Store, StoreKey,
    SyncClient,
};
use sync_server::{Config, Database, NewAccount, RunningServer};

const PASSWORD: &str = "correct horse battery";
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

struct Device {
    store: Mutex<Store>,
    client: SyncClient,
}

impl Device {
    /// A device of a new staff account of the station, signed in to `server`.
    async fn new(dir: &std::path::Path, name: &str, server: &RunningServer) -> Device {
        let username = format!("user-{name}");
        server
            .storage
            .create_account(
                &NewAccount {
                    username: username.clone(),
                    display_name: name.into(),
                    role: Role::StationStaff,
                    scope_id: Some(STATION.into()),
                    deputy_id: None,
                },
                PASSWORD,
            )
            .unwrap();
        let device = Device {
            store: Mutex::new(
                Store::open(
                    &dir.join(format!("{name}.db")),
                    &StoreKey::generate().unwrap(),
                )
                .unwrap(),
            ),
            client: SyncClient::new(false).unwrap(),
        };
        device
            .client
            .sign_in(&device.store, &server.url(), &username, PASSWORD, name)
            .await
            .unwrap();
        device
    }

    async fn sync(&self) -> shared::SyncReport {
        self.client.sync(&self.store).await.unwrap()
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap()
    }

    fn record(&self, summary: String) -> String {
        self.store()
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

    fn activities(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .store()
            .list_activities(&ActivityFilter::default())
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        ids.sort();
        ids
    }
}

/// A JPEG-looking file of `len` bytes.
fn photo(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xd8, 0xff, 0xe0];
    let mut x = 7u32;
    while bytes.len() < len {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.push((x >> 16) as u8);
    }
    bytes
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
    let id = a.record("村民反映路灯不亮".into());
    let bytes = photo(300_000);
    let hash = a.store().add_photo(&id, &bytes).unwrap();
    assert_eq!(a.sync().await.sent_photos, 1);
    b.sync().await;
    assert_eq!(b.activities(), std::slice::from_ref(&id));
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
            a.record(format!("甲 {round}-{i}"));
            b.record(format!("乙 {round}-{i}"));
        }
        let (sent_a, sent_b) = tokio::join!(a.sync(), b.sync());
        assert_eq!(
            (sent_a.sent_changes > 0, sent_b.sent_changes > 0),
            (true, true)
        );
    }
    a.sync().await;
    b.sync().await;
    assert_eq!(a.activities().len(), 61);
    assert_eq!(a.activities(), b.activities());

    // Sessions live in the database. Signed out on instance two, a session is refused by
    // instance one too (which never saw it before).
    let http = reqwest::Client::new();
    let signed_in: SignInResponse = http
        .post(format!("{}{SIGN_IN_PATH}", two.url()))
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
    let sync_on = |server: &RunningServer| {
        http.post(format!("{}{SYNC_PATH}", server.url()))
            .bearer_auth(&signed_in.token)
            .json(&shared::protocol::SyncRequest {
                device_id: "tablet".into(),
                cursor: 0,
                changes: vec![],
                bootstrap: None,
                key_cursor: 0,
                keys: Vec::new(),
            })
            .send()
    };
    let signed_out = http
        .post(format!("{}{SIGN_OUT_PATH}", two.url()))
        .bearer_auth(&signed_in.token)
        .send()
        .await
        .unwrap();
    assert!(signed_out.status().is_success(), "{}", signed_out.status());
    assert_eq!(sync_on(&one).await.unwrap().status(), 401);
    assert_eq!(sync_on(&two).await.unwrap().status(), 401);

    // A session opened on instance two works on instance one.
    let again: SignInResponse = http
        .post(format!("{}{SIGN_IN_PATH}", two.url()))
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
    let r = http
        .post(format!("{}{SYNC_PATH}", one.url()))
        .bearer_auth(&again.token)
        .json(&shared::protocol::SyncRequest {
            device_id: "tablet".into(),
            cursor: 0,
            changes: vec![],
            bootstrap: None,
            key_cursor: 0,
            keys: Vec::new(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    one.shutdown().await.unwrap();
    two.shutdown().await.unwrap();
}
