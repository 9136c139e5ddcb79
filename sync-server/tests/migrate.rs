//! `admin migrate --to postgres://…`: a server's SQLite data moves to PostgreSQL, and
//! its devices carry on there without signing in again or missing anything.

use std::process::Command;
use std::sync::Mutex;

use shared::model::Role;
use shared::{ActivityFilter, ActivityInput, Store};
use sync_server::pg_cluster::PgCluster;
use sync_server::{Config, Database};

mod support;

use support::{
    OTHER_STATION, PASSWORD, app, bare_server_on, create_account_shown_as, shangdi_activity,
    signed_in_app,
};

/// The `i`th activity phone A records.
fn input(i: usize) -> ActivityInput {
    shangdi_activity(i % 50, format!("第{i}次接待：社区停车问题"))
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
    let server = bare_server_on(db.clone(), |_| {}).await;
    let addr = server.addr;
    let mut devices = Vec::new();
    for name in ["phone-a", "phone-b"] {
        create_account_shown_as(
            &server,
            name,
            "联络员",
            Role::StationStaff,
            Some(OTHER_STATION),
        );
        devices.push(signed_in_app(dir.path(), &server, name).await);
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
    let (fresh, client) = app(dir.path(), "fresh");
    client
        .sign_in(&fresh, &server.url(), "phone-a", PASSWORD, "tablet")
        .await
        .unwrap();
    client.sync(&fresh).await.unwrap();
    assert_eq!(activities(&fresh), 45);
    server.shutdown().await.unwrap();
}
