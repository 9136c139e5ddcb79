//! Editing the directory after the first load: the admin command writes what changed as
//! changes devices receive, and scopes follow.

use std::process::Command;
use std::sync::Mutex;

use shared::model::{Deputy, DeputyLevel, Role, Station, StationKind};
use shared::{ActivityInput, Store, StoreKey, SyncClient};
use sync_server::{Config, NewAccount, RunningServer};

const PASSWORD: &str = "correct horse battery";

async fn device(
    dir: &std::path::Path,
    server: &RunningServer,
    name: &str,
    role: Role,
    scope: &str,
) -> (Mutex<Store>, SyncClient) {
    server
        .storage
        .create_account(
            &NewAccount {
                username: name.into(),
                display_name: name.into(),
                role,
                scope_id: Some(scope.into()),
                deputy_id: None,
            },
            PASSWORD,
        )
        .unwrap();
    let store = Mutex::new(
        Store::open(
            &dir.join(format!("{name}.db")),
            &StoreKey::generate().unwrap(),
        )
        .unwrap(),
    );
    let client = SyncClient::new(false).unwrap();
    client
        .sign_in(&store, &server.url(), name, PASSWORD, name)
        .await
        .unwrap();
    client.sync(&store).await.unwrap();
    (store, client)
}

#[tokio::test]
async fn a_new_station_and_a_renamed_one_reach_devices_and_scopes_follow() {
    let dir = tempfile::tempdir().unwrap();
    let db = sync_server::Database::for_tests(dir.path().join("server.db"));
    let server = sync_server::start(Config {
        demo: true,
        ..Config::new(db.clone(), "127.0.0.1:0".parse().unwrap())
    })
    .await
    .unwrap();
    let (store, client) = device(
        dir.path(),
        &server,
        "coordinator",
        Role::SubdistrictCoordinator,
        "sd-xibeiwang",
    )
    .await;
    let before = store.lock().unwrap().writable_stations().unwrap().len();

    // The administrator edits the directory file the example command printed.
    let example = Command::new(env!("CARGO_BIN_EXE_jiazhan-sync-server"))
        .args(["--db", &db.location(), "directory", "example"])
        .output()
        .unwrap();
    assert!(example.status.success());
    let mut directory: shared::Directory = serde_json::from_slice(&example.stdout).unwrap();
    assert_eq!(
        directory,
        shared::demo::directory(),
        "the example is the demo data"
    );
    let yongfeng = directory
        .stations
        .iter_mut()
        .find(|s| s.id == "st-xibeiwang-yongfeng")
        .unwrap();
    yongfeng.name = "永丰人大代表之家（新址）".into();
    directory.stations.push(Station {
        id: "st-xibeiwang-new".into(),
        name: "西北旺新站".into(),
        kind: StationKind::LiaisonPoint,
        subdistrict_id: "sd-xibeiwang".into(),
    });
    directory.deputies.push(Deputy {
        id: "dep-new".into(),
        name: "新代表".into(),
        levels: vec![DeputyLevel::Town],
        station_id: "st-xibeiwang-new".into(),
    });
    let file = dir.path().join("directory.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&directory).unwrap()).unwrap();
    let load = || {
        Command::new(env!("CARGO_BIN_EXE_jiazhan-sync-server"))
            .args(["--db", &db.location(), "directory", "load"])
            .arg(&file)
            .output()
            .unwrap()
    };
    let loaded = load();
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let changes = server.storage.change_count().unwrap();
    // Loading the same file again changes nothing.
    assert!(load().status.success());
    assert_eq!(server.storage.change_count().unwrap(), changes);

    // A directory that does not hold together is refused whole.
    let mut broken = directory.clone();
    broken.stations[0].subdistrict_id = "sd-nowhere".into();
    assert!(server.storage.load_directory(&broken).is_err());
    assert_eq!(server.storage.change_count().unwrap(), changes);

    // The device receives the edits, and may record at the new station at once.
    client.sync(&store).await.unwrap();
    let stations = store.lock().unwrap().writable_stations().unwrap();
    assert_eq!(stations.len(), before + 1);
    assert!(
        stations
            .iter()
            .any(|s| s.name == "永丰人大代表之家（新址）")
    );
    assert_eq!(
        store.lock().unwrap().deputies("st-xibeiwang-new").unwrap()[0].name,
        "新代表"
    );
    store
        .lock()
        .unwrap()
        .create_activity(
            &ActivityInput {
                station_id: "st-xibeiwang-new".into(),
                date: "2026-11-20".into(),
                deputy_ids: vec!["dep-new".into()],
                voters_received: "3".into(),
                summary: "新站第一次接待".into(),
                ..ActivityInput::default()
            },
            chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
        .unwrap();
    let report = client.sync(&store).await.unwrap();
    assert_eq!((report.sent_changes, report.refused_changes), (1, 0));
    server.shutdown().await.unwrap();
}
