//! The README's run command path: `load-demo` (and `demo-accounts`) of the real binary
//! load the whole district with its year 2022, as the server's own changes, and a demo
//! account's device receives its part through the real HTTP API with the report's
//! figures intact.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use chrono::{Datelike as _, NaiveDate};
use shared::ActivityFilter;
use shared::demo::haidian;
use shared::doc::DocId;
use shared::model::{OpinionFilter, OpinionStatus, StatsQuery, VoterContact};
use sync_server::Config;

mod support;

use support::app;

/// Runs an admin subcommand of the real binary on `db`; its standard output.
fn admin(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_jiazhan-sync-server"))
        .args(["--db", db.to_str().unwrap()])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_demo_writes_the_district_and_its_year_and_devices_receive_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    assert_eq!(admin(&db, &["load-demo"]), "demo data loaded\n");
    assert_eq!(admin(&db, &["load-demo"]), "already loaded\n");

    // The directory's records, one change each, and one change for each document of the
    // year (a station's month, a department's referrals or answers of a station's year).
    let district = haidian::directory();
    let year = haidian::year(&district, haidian::DEMO_SEED);
    let directory_records = district.subdistricts.len()
        + district.stations.len()
        + district.staff.len()
        + district.deputies.len()
        + district.departments.len()
        + district.campaigns.len()
        + district.drafts.len();
    let mut documents: BTreeSet<DocId> = BTreeSet::new();
    documents.extend(
        year.activities
            .iter()
            .map(|a| DocId::station(&a.station_id, a.date)),
    );
    documents.extend(
        year.opinions
            .iter()
            .map(|o| DocId::station(&o.station_id, o.date)),
    );
    documents.extend(
        year.suggestions
            .iter()
            .map(|s| DocId::station(&s.station_id, s.date)),
    );
    documents.extend(
        year.leads
            .iter()
            .map(|l| DocId::station(&l.station_id, l.date)),
    );
    documents.extend(year.referrals.iter().map(|r| DocId::Referrals {
        department: r.department_id.clone(),
        station: r.station_id.clone(),
        year: r.referred_on.year(),
    }));
    documents.extend(year.answers.iter().map(|a| {
        let r = year
            .referrals
            .iter()
            .find(|r| r.id == a.referral_id)
            .unwrap();
        DocId::Answers {
            department: a.department_id.clone(),
            station: a.station_id.clone(),
            year: r.referred_on.year(),
        }
    }));
    let storage = sync_server::SqliteStorage::open(&db).unwrap();
    assert_eq!(
        storage.change_count().unwrap() as usize,
        directory_records + documents.len()
    );
    assert_eq!(storage.station_ids().unwrap().len(), 132);
    drop(storage);

    // The demo accounts are made on it, and the server runs (without --demo).
    let printed = admin(&db, &["demo-accounts"]);
    let password = |user: &str| {
        printed
            .lines()
            .find_map(|l| {
                let cols: Vec<&str> = l.split('\t').collect();
                (cols[0] == user).then(|| cols[1].to_owned())
            })
            .unwrap()
    };
    let server = sync_server::start(Config::new(db.clone(), "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    // The 紫竹院 home's staff receive their station's year: the report's example figures.
    let (station, client) = app(dir.path(), "station");
    client
        .sign_in(
            &station,
            &server.url(),
            "demo-station",
            &password("demo-station"),
            "phone",
        )
        .await
        .unwrap();
    client.sync(&station).await.unwrap();
    {
        let store = station.lock().unwrap();
        let stats = store
            .statistics(
                &StatsQuery {
                    station_id: Some(haidian::MODEL_HOME.into()),
                    ..StatsQuery::year(haidian::YEAR)
                },
                today(),
            )
            .unwrap();
        assert_eq!(stats.totals.activities, 16);
        assert_eq!(stats.totals.voters(), 312);
        assert_eq!(stats.totals.opinions, 78);
        let activities = store
            .list_activities(&ActivityFilter {
                station_id: Some(haidian::MODEL_HOME.into()),
                ..ActivityFilter::default()
            })
            .unwrap();
        assert_eq!(activities.len(), 16);
        let opinions = store
            .list_opinions(
                &OpinionFilter {
                    station_id: Some(haidian::MODEL_HOME.into()),
                    ..OpinionFilter::default()
                },
                today(),
            )
            .unwrap();
        assert_eq!(opinions.len(), 78);
        let statuses: BTreeSet<OpinionStatus> = opinions.iter().map(|o| o.status).collect();
        assert!(statuses.contains(&OpinionStatus::FedBack), "{statuses:?}");
        assert!(statuses.contains(&OpinionStatus::Recorded), "{statuses:?}");
        // The voters' details that were given arrive sealed, with the keys that open them.
        let given: Vec<_> = year
            .opinions
            .iter()
            .filter(|o| o.station_id == haidian::MODEL_HOME && !o.voter_name.is_empty())
            .collect();
        for o in &given {
            assert_eq!(
                store.voter_contact(&o.id).unwrap(),
                VoterContact::Shown {
                    name: o.voter_name.clone(),
                    phone: o.voter_phone.clone(),
                }
            );
        }
        store.verify().unwrap();
    }

    // The traffic department's inbox: the station's referrals to it, answered or not.
    let (department, client) = app(dir.path(), "department");
    client
        .sign_in(
            &department,
            &server.url(),
            "demo-department",
            &password("demo-department"),
            "desk",
        )
        .await
        .unwrap();
    client.sync(&department).await.unwrap();
    let inbox = department
        .lock()
        .unwrap()
        .department_inbox("dept-traffic", today())
        .unwrap();
    let referred = year
        .referrals
        .iter()
        .filter(|r| r.department_id == "dept-traffic")
        .count();
    assert_eq!(inbox.len(), referred);
    assert!(inbox.iter().any(|r| r.answer_status.is_some()));
    assert!(inbox.iter().any(|r| r.overdue));
    server.shutdown().await.unwrap();
}

/// A server loaded with another directory (the small `--demo` one, as the e2e tests
/// start it) gets no district and no records: they would name stations it does not have.
/// Its demo accounts are made all the same.
#[test]
fn load_demo_leaves_another_directory_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let storage = sync_server::SqliteStorage::open(&db).unwrap();
    assert!(
        storage
            .load_directory_if_missing(&shared::demo::directory())
            .unwrap()
    );
    let before = storage.change_count().unwrap();
    assert_eq!(
        admin(&db, &["load-demo"]),
        "another directory is loaded: the demo district was not\n"
    );
    let accounts =
        sync_server::demo::ensure_demo_accounts(&storage, &sync_server::demo::default_file(&db))
            .unwrap();
    assert_eq!(accounts.len(), 5);
    assert_eq!(storage.change_count().unwrap(), before);
    assert_eq!(
        storage.station_ids().unwrap().len(),
        shared::demo::directory().stations.len()
    );
}
