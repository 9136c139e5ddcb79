//! Editing the directory after the first load: the admin command writes what changed as
//! changes devices receive, and scopes follow.

use std::process::Command;

use shared::ActivityInput;
use shared::model::{Deputy, DeputyLevel, Role, Station, StationKind};

mod support;

use support::*;

#[tokio::test]
async fn a_new_station_and_a_renamed_one_reach_devices_and_scopes_follow() {
    let dir = tempfile::tempdir().unwrap();
    let server = bare_server(dir.path(), |_| {}).await;
    let db = server.database.clone();
    create_account(
        &server,
        "coordinator",
        Role::SubdistrictCoordinator,
        Some("sd-xibeiwang"),
    );
    let (store, client) = signed_in_app(dir.path(), &server, "coordinator").await;
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
