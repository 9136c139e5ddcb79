//! `admin migrate --to postgres://…`: a server's SQLite data moves to PostgreSQL, and
//! its devices carry on there without signing in again or missing anything.

use std::process::Command;
use std::sync::Mutex;

use shared::model::Role;
use shared::{ActivityFilter, ActivityInput, Store, StoreKey, SyncClient};
use sync_server::pg_cluster::PgCluster;
use sync_server::{Config, Database, NewAccount};

const PASSWORD: &str = "correct horse battery";
const STATION: &str = "st-shangdi-park";

fn input(i: usize) -> ActivityInput {
    ActivityInput {
        station_id: STATION.into(),
        date: "2026-11-20".into(),
        deputy_ids: vec!["dep-004".into()],
        voters_received: (i % 50).to_string(),
        summary: format!("第{i}次接待：社区停车问题"),
        ..ActivityInput::default()
    }
}

fn activities(store: &Mutex<Store>) -> usize {
    store
        .lock()
        .unwrap()
        .list_activities(&ActivityFilter::default())
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migrated_server_keeps_every_change_session_and_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let cluster = PgCluster::start().unwrap();
    let target = cluster.fresh_database().unwrap();
    let server = sync_server::start(Config {
        demo: true,
        ..Config::new(db.clone(), "127.0.0.1:0".parse().unwrap())
    })
    .await
    .unwrap();
    let addr = server.addr;
    let mut devices = Vec::new();
    for name in ["phone-a", "phone-b"] {
        server
            .storage
            .create_account(
                &NewAccount {
                    username: name.into(),
                    display_name: "联络员".into(),
                    role: Role::StationStaff,
                    scope_id: Some(STATION.into()),
                    deputy_id: None,
                },
                PASSWORD,
            )
            .unwrap();
        let store = Mutex::new(
            Store::open(
                &dir.path().join(format!("{name}.db")),
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
        devices.push((store, client));
    }
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    for i in 0..40 {
        devices[0]
            .0
            .lock()
            .unwrap()
            .create_activity(&input(i), today)
            .unwrap();
    }
    for (store, client) in &devices {
        client.sync(store).await.unwrap();
    }
    assert_eq!(activities(&devices[1].0), 40);
    let stored = server.storage.change_count().unwrap();
    server.shutdown().await.unwrap();

    let migrate = |to: &str| {
        Command::new(env!("CARGO_BIN_EXE_jiazhan-sync-server"))
            .args(["--db", db.to_str().unwrap(), "migrate", "--to", to])
            .output()
            .unwrap()
    };
    let out = migrate(&target);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let changes_line = report
        .lines()
        .find(|l| l.starts_with("changes\t"))
        .unwrap_or_else(|| panic!("no changes row in {report}"));
    assert_eq!(
        changes_line.split('\t').nth(1),
        Some(stored.to_string().as_str()),
        "{report}"
    );
    // Into a database that holds data already: refused, nothing changed.
    let again = migrate(&target);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // The same address, now on PostgreSQL: the devices sync with their old sessions and
    // cursors, and what one records after the move reaches the other.
    let server = sync_server::start(Config::new(Database::parse(&target), addr))
        .await
        .unwrap();
    assert_eq!(server.storage.change_count().unwrap(), stored);
    for i in 40..45 {
        devices[1]
            .0
            .lock()
            .unwrap()
            .create_activity(&input(i), today)
            .unwrap();
    }
    for (store, client) in devices.iter().chain(devices.iter()) {
        client.sync(store).await.unwrap();
    }
    assert_eq!(activities(&devices[0].0), 45);
    assert_eq!(devices[1].0.lock().unwrap().outbox_len().unwrap(), 0);
    // A new device gets everything from the migrated database.
    let fresh = Mutex::new(
        Store::open(&dir.path().join("fresh.db"), &StoreKey::generate().unwrap()).unwrap(),
    );
    let client = SyncClient::new(false).unwrap();
    client
        .sign_in(&fresh, &server.url(), "phone-a", PASSWORD, "tablet")
        .await
        .unwrap();
    client.sync(&fresh).await.unwrap();
    assert_eq!(activities(&fresh), 45);
    server.shutdown().await.unwrap();
}
