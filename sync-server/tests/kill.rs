//! The server process is killed with SIGKILL in the middle of syncs, 100 times, and
//! restarted on the same port and database: every change a client saw acknowledged is
//! still there, the clients resume by themselves, and in the end both devices hold every
//! record.

use std::net::TcpListener;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shared::{ActivityFilter, ActivityInput, Store};
use sync_server::Database;

mod support;

use support::{PASSWORD, app, shangdi_activity};

const KILLS: usize = 100;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the real server binary and waits until it answers `/healthz`.
async fn start(db: &Database, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_jiazhan-sync-server"))
        .args(["--db", &db.location(), "--demo"])
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let url = format!("http://127.0.0.1:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(&url).await.is_err() {
        assert!(Instant::now() < deadline, "the server did not come back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server
}

/// The `i`th activity phone A records.
fn input(i: usize) -> ActivityInput {
    shangdi_activity(i % 100, format!("第{i}次：园区企业职工反映通勤问题"))
}

/// Runs an admin subcommand of the real binary on `db`, with `stdin` as its input.
fn admin(db: &Database, args: &[&str], stdin: &str) -> String {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_jiazhan-sync-server"))
        .args(["--db", &db.location()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A small deterministic generator, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_sync_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::for_tests(dir.path().join("server.db"));
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    // Accounts come from the admin commands of the same binary, on the small directory
    // (the whole demo district's year is loaded by tests/demo.rs).
    let directory = dir.path().join("directory.json");
    std::fs::write(&directory, admin(&db, &["directory", "example"], "")).unwrap();
    assert!(
        admin(&db, &["directory", "load", directory.to_str().unwrap()], "")
            .starts_with("directory loaded: 6 stations"),
    );
    for name in ["phone-a", "phone-b"] {
        admin(
            &db,
            &[
                "account",
                "create",
                name,
                "--role",
                "station_staff",
                "--scope",
                "st-shangdi-park",
                "--name",
                "联络员",
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        );
    }
    let (a, a_sync) = app(dir.path(), "a");
    let (b, b_sync) = app(dir.path(), "b");
    let mut server = start(&db, port).await;
    for (name, store, client) in [("phone-a", &a, &a_sync), ("phone-b", &b, &b_sync)] {
        client
            .sign_in(store, &url, name, PASSWORD, name)
            .await
            .unwrap();
    }
    let listed = admin(&db, &["device", "list"], "");
    assert_eq!(listed.lines().count(), 2, "{listed}");
    let directory = sync_server::Store::connect(&db)
        .unwrap()
        .change_count()
        .unwrap() as usize;
    a_sync.sync(&a).await.unwrap();
    b_sync.sync(&b).await.unwrap();

    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut created = 0;
    let mut interrupted = 0;
    for _ in 0..KILLS {
        for _ in 0..5 + rng.next() % 30 {
            a.lock()
                .unwrap()
                .create_activity(&input(created), today)
                .unwrap();
            created += 1;
        }
        // Both devices sync while the server dies 0–6 ms into it.
        let kill_after = Duration::from_micros(rng.next() % 6_000);
        let (ra, rb, ()) = tokio::join!(a_sync.sync(&a), b_sync.sync(&b), async {
            tokio::time::sleep(kill_after).await;
            let _ = server.0.kill(); // SIGKILL
            let _ = server.0.wait();
        });
        interrupted += usize::from(ra.is_err()) + usize::from(rb.is_err());
        server = start(&db, port).await;
        // Every change A no longer keeps (it saw it acknowledged) is in the database.
        let unacknowledged = a.lock().unwrap().outbox_len().unwrap();
        let stored = sync_server::Store::connect(&db)
            .unwrap()
            .change_count()
            .unwrap() as usize;
        assert!(
            stored >= directory + created - unacknowledged,
            "{stored} stored, {created} made, {unacknowledged} not acknowledged"
        );
    }
    // Back to normal: the devices resume without help.
    for _ in 0..2 {
        a_sync.sync(&a).await.unwrap();
        b_sync.sync(&b).await.unwrap();
    }
    let a = a.lock().unwrap();
    let b = b.lock().unwrap();
    assert_eq!(a.pending_records().unwrap(), 0, "A's outbox is drained");
    // The records made here (the demo's year 2022 is there too, the same on both).
    let list = |s: &Store| {
        let mut rows: Vec<(String, String)> = s
            .list_activities(&ActivityFilter {
                from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1),
                ..ActivityFilter::default()
            })
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.summary))
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(list(&a).len(), created);
    assert_eq!(list(&b), list(&a), "B holds every record A made");
    b.verify().unwrap();
    eprintln!("{KILLS} kills, {created} records, {interrupted} syncs cut off");
    assert!(
        interrupted >= KILLS / 4,
        "only {interrupted} syncs were cut off: the test proves too little"
    );
    drop(server);
}
