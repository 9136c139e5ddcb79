use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex, Weak};
use std::time::Instant;

use automerge::transaction::Transactable as _;
use automerge::{AutoCommit, ReadDoc as _};
use shared::protocol::{ChunkQuery, MAX_DOCUMENTS_PER_RESPONSE, SyncRequest, content_hash};

use super::*;
use crate::pg_cluster::PgCluster;
use crate::storage::backend::{AccountRow, PublicOpinion};
use crate::storage::{Caller, NewAccount, NewSession, Store};
use shared::model::{Account, Role};

/// SHA-256 of the text of every migration that has shipped, in order. Add the hash
/// of a new migration when it ships; never change one.
const SHIPPED: &[&str] = &["86f254b3721dd660f5901abb8ca6d32d814445d450f1d24cf26cbd689bfc6cb9"];

#[test]
fn a_shipped_migration_never_changes() {
    shared::store::migrations_as_shipped(MIGRATIONS, SHIPPED).unwrap();
}

/// One cluster for the tests that run at the same time, each with its own database;
/// stopped when the last one lets go.
fn cluster() -> Arc<PgCluster> {
    static SHARED: Mutex<Weak<PgCluster>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = shared.upgrade() {
        return c;
    }
    let c = Arc::new(PgCluster::start().unwrap_or_else(|e| panic!("{e:#}")));
    *shared = Arc::downgrade(&c);
    c
}

/// A fresh database (its URL), with the cluster to hold while it is used.
fn database() -> (Arc<PgCluster>, String) {
    let c = cluster();
    let url = c.fresh_database().unwrap();
    (c, url)
}

fn store(url: &str) -> Store {
    Store::new(Arc::new(Postgres::connect(url, 4).unwrap()))
}

/// Station `st-a` of street `sd-1`, and `st-b` of `sd-2`.
fn add_stations(store: &Store) {
    let tx = store.backend().write().unwrap();
    tx.put_station("st-a", "sd-1").unwrap();
    tx.put_station("st-b", "sd-2").unwrap();
    tx.commit().unwrap();
}

fn staff(station: &str, device: &str) -> Caller {
    Caller {
        account: Account {
            username: format!("staff-{station}"),
            display_name: "u".into(),
            role: Role::StationStaff,
            scope_id: Some(station.into()),
            deputy_id: None,
        },
        device_id: device.into(),
    }
}

fn request(caller: &Caller, cursor: u64, changes: Vec<WireChange>) -> SyncRequest {
    SyncRequest {
        device_id: caller.device_id.clone(),
        cursor,
        changes,
        bootstrap: None,
        key_cursor: 0,
        keys: Vec::new(),
    }
}

/// A new change to `doc` (of document `doc_id`) setting its note to `note`.
fn change(doc: &mut AutoCommit, doc_id: &str, note: &str) -> WireChange {
    doc.put(automerge::ROOT, "note", note).unwrap();
    doc.commit();
    WireChange {
        doc_id: doc_id.into(),
        kind: "station".into(),
        bytes: doc.get_last_local_change().unwrap().raw_bytes().to_vec(),
    }
}

fn note(bytes: &[u8]) -> String {
    let doc = AutoCommit::load(bytes).unwrap();
    match doc.get(automerge::ROOT, "note").unwrap() {
        Some((v, _)) => v.into_string().unwrap(),
        None => String::new(),
    }
}

#[test]
fn the_read_filter_selects_what_access_allows() {
    let (_cluster, url) = database();
    let db = Postgres::connect(&url, 2).unwrap();
    super::super::sqlite::tests::read_filter_selects_what_access_allows(&db);
}

/// Instances that start together on a new database take turns: the schema is made
/// once. A database a newer server migrated is refused.
#[test]
fn migrations_run_once_even_when_instances_start_together() {
    let (_cluster, url) = database();
    std::thread::scope(|s| {
        let starts: Vec<_> = (0..3)
            .map(|_| s.spawn(|| Postgres::connect(&url, 1).map(drop)))
            .collect();
        for started in starts {
            started.join().unwrap().unwrap();
        }
    });
    let db = Postgres::connect(&url, 1).unwrap();
    let tx = db.begin("BEGIN").unwrap();
    let versions: Vec<i32> = tx
        .rows(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| get(r, 0).unwrap())
        .collect();
    assert_eq!(versions, (1..=MIGRATIONS.len() as i32).collect::<Vec<_>>());
    let newer = MIGRATIONS.len() as i32 + 1;
    tx.exec(
        "INSERT INTO schema_migrations (version) VALUES ($1)",
        &[&newer],
    )
    .unwrap();
    Box::new(tx).commit().unwrap();
    match Postgres::connect(&url, 1) {
        Err(StorageError::Backend(e)) => assert!(e.message.contains("newer"), "{e}"),
        other => panic!("a newer schema was accepted: {:?}", other.map(drop)),
    }
}

/// Errors carry the server's code and message, never a row's values; a lost server
/// is unavailable (503), a failed statement fails the transaction's commit.
#[test]
fn errors_name_no_values_and_tell_unavailable_apart() {
    let (_cluster, url) = database();
    let db = Postgres::connect(&url, 2).unwrap();
    let tx = db.write().unwrap();
    let row = AccountRow {
        username: "secret-name",
        display_name: "d",
        role: "station_staff",
        scope_id: None,
        deputy_id: None,
        password_hash: "h",
        created_at: 0,
    };
    assert!(tx.insert_account(&row).unwrap());
    let e = tx
        .insert_session(&NewSession {
            account_id: 999,
            token_hash: vec![1; 32],
            device_id: "secret-device".into(),
            device_name: "secret-phone".into(),
            now: 0,
            expires_at: 1,
        })
        .unwrap_err();
    let StorageError::Backend(e) = e else {
        panic!("{e}")
    };
    assert!(!e.unavailable);
    assert!(e.message.contains("23503"), "{}", e.message);
    assert!(!e.message.contains("999") && !e.message.contains("secret"));
    assert!(tx.commit().is_err(), "a failed transaction does not commit");
    // Rolled back, and the connection went back to the pool clean.
    let tx = db.read().unwrap();
    assert_eq!(tx.account_id("secret-name").unwrap(), None);
    drop(tx);
    // A server that is not there.
    let dir = std::env::temp_dir().join("jiazhan-no-postgres-here");
    match Postgres::connect(&format!("postgres://x@/x?host={}", dir.display()), 1) {
        Err(StorageError::Backend(e)) => assert!(e.unavailable, "{}", e.message),
        other => panic!("{:?}", other.map(drop)),
    }
}

/// A device pushes, another of the station pulls; a new device bootstraps in pages
/// of whole documents; record keys and their erasure reach the other device.
#[test]
fn a_sync_round_trip_with_bootstrap_pages_and_keys() {
    let (_cluster, url) = database();
    let store = store(&url);
    add_stations(&store);
    let (a, b) = (staff("st-a", "a"), staff("st-a", "b"));
    let count = MAX_DOCUMENTS_PER_RESPONSE + 30;
    let ids: Vec<String> = (0..count)
        .map(|i| format!("station/st-a/{}-{:02}", 2000 + i / 12, i % 12 + 1))
        .collect();
    let mut docs: Vec<AutoCommit> = (0..count).map(|_| AutoCommit::new()).collect();
    let pushed: Vec<WireChange> = ids
        .iter()
        .zip(&mut docs)
        .map(|(id, doc)| change(doc, id, id))
        .collect();
    let mut cursor = 0;
    for batch in pushed.chunks(100) {
        let r = store
            .sync(&a, &request(&a, cursor, batch.to_vec()))
            .unwrap();
        assert_eq!(r.acknowledged.len(), batch.len());
        cursor = r.cursor;
    }
    assert_eq!(store.change_count().unwrap(), count as u64);

    // Device b bootstraps: two pages.
    let mut req = request(&b, 0, vec![]);
    let mut received = BTreeMap::new();
    let mut pages = 0;
    let b_cursor = loop {
        let r = store.sync(&b, &req).unwrap();
        pages += 1;
        assert!(r.changes.is_empty());
        for d in &r.documents {
            assert!(received.insert(d.doc_id.clone(), note(&d.bytes)).is_none());
        }
        match r.bootstrap {
            Some(next) => req.bootstrap = Some(next),
            None => break r.cursor,
        }
    };
    assert_eq!(pages, 2);
    assert_eq!(
        received,
        ids.iter().map(|id| (id.clone(), id.clone())).collect()
    );
    assert_eq!(b_cursor, count as u64);

    // A new change of a reaches b, once.
    let new = change(&mut docs[7], &ids[7], "changed");
    store
        .sync(&a, &request(&a, cursor, vec![new.clone()]))
        .unwrap();
    let r = store.sync(&b, &request(&b, b_cursor, vec![])).unwrap();
    assert_eq!(r.changes, vec![new]);
    let b_cursor = r.cursor;
    assert_eq!(b_cursor, count as u64 + 1);
    let r = store.sync(&b, &request(&b, b_cursor, vec![])).unwrap();
    assert!(r.changes.is_empty() && r.cursor == b_cursor);
    // Station st-b sees nothing of st-a, and its cursor does not move with st-a's.
    let other = staff("st-b", "c");
    let r = store.sync(&other, &request(&other, 0, vec![])).unwrap();
    assert!(r.documents.is_empty() && r.changes.is_empty() && r.cursor == 0);

    // The server's heads of the document are a's.
    let heads = store.heads(&b, std::slice::from_ref(&ids[7])).unwrap();
    assert_eq!(
        heads.heads[0].heads,
        docs[7]
            .get_heads()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );

    // A record key, then its erasure.
    let key = WireKey {
        key_id: "0123456789abcdef0123456789abcdef".into(),
        doc_id: ids[0].clone(),
        key: Some(vec![9; 32]),
    };
    let mut push = request(&a, cursor, vec![]);
    push.keys = vec![key.clone()];
    assert_eq!(store.sync(&a, &push).unwrap().acknowledged_keys.len(), 1);
    let pull = |key_cursor| {
        let mut req = request(&b, b_cursor, vec![]);
        req.key_cursor = key_cursor;
        store.sync(&b, &req).unwrap()
    };
    let r = pull(0);
    assert_eq!(r.keys, vec![key.clone()]);
    let key_cursor = r.key_cursor;
    push.keys[0].key = None;
    store.sync(&a, &push).unwrap();
    let r = pull(key_cursor);
    assert_eq!(r.keys.len(), 1);
    assert_eq!(r.keys[0].key, None);
    assert!(r.key_cursor > key_cursor);
    assert!(pull(r.key_cursor).keys.is_empty());
    assert!(
        store
            .sync(&other, &request(&other, 0, vec![]))
            .unwrap()
            .keys
            .is_empty()
    );
}

/// A photo goes up in chunks (a retried chunk changes nothing, a gap is refused) and
/// comes back whole or by byte range, to the station's devices only.
#[test]
fn photos_go_up_in_chunks_and_come_back_by_range() {
    let (_cluster, url) = database();
    let store = store(&url);
    add_stations(&store);
    let caller = staff("st-a", "a");
    let doc_id = "station/st-a/2026-11".to_owned();
    let mut doc = AutoCommit::new();
    store
        .sync(
            &caller,
            &request(&caller, 0, vec![change(&mut doc, &doc_id, "x")]),
        )
        .unwrap();
    let file: Vec<u8> = (0..600_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let hash = content_hash(&file);
    let chunk = |offset: usize| ChunkQuery {
        doc_id: doc_id.clone(),
        size: file.len() as u64,
        offset: offset as u64,
    };
    let part = |offset: usize| &file[offset..(offset + 256 * 1024).min(file.len())];
    let state = store.upload_state(&caller, &hash, &doc_id).unwrap();
    assert_eq!((state.received, state.complete), (0, false));
    let s = store
        .upload_chunk(&caller, &hash, &chunk(0), part(0))
        .unwrap();
    assert_eq!(s.received, 256 * 1024);
    let again = store
        .upload_chunk(&caller, &hash, &chunk(0), part(0))
        .unwrap();
    assert_eq!(again.received, 256 * 1024);
    assert!(matches!(
        store.upload_chunk(&caller, &hash, &chunk(512 * 1024), part(512 * 1024)),
        Err(StorageError::Conflict(_))
    ));
    store
        .upload_chunk(&caller, &hash, &chunk(256 * 1024), part(256 * 1024))
        .unwrap();
    let done = store
        .upload_chunk(&caller, &hash, &chunk(512 * 1024), part(512 * 1024))
        .unwrap();
    assert!(done.complete && done.received == file.len() as u64);

    let (size, whole) = store.download(&caller, &hash, &doc_id, None).unwrap();
    assert_eq!((size, whole == file), (file.len() as u64, true));
    let (_, range) = store
        .download(&caller, &hash, &doc_id, Some((1000, 299_999)))
        .unwrap();
    assert_eq!(range, file[1000..300_000]);
    let (_, tail) = store
        .download(&caller, &hash, &doc_id, Some((599_990, 9_999_999)))
        .unwrap();
    assert_eq!(tail, file[599_990..]);
    assert!(matches!(
        store.download(&caller, &hash, &doc_id, Some((600_000, 600_001))),
        Err(StorageError::BadRequest(_))
    ));
    let stranger = staff("st-b", "b");
    assert!(store.download(&stranger, &hash, &doc_id, None).is_err());
    let usage = store
        .backend()
        .read()
        .unwrap()
        .upload_usage(&caller.account.username, "a")
        .unwrap();
    assert_eq!(usage.device_stored_bytes, file.len() as u64);
    assert_eq!(usage.device_uploads, 0);

    // A file that does not match its hash is refused and its chunks dropped.
    let wrong = "f".repeat(64);
    let q = ChunkQuery {
        doc_id: doc_id.clone(),
        size: 10,
        offset: 0,
    };
    assert!(matches!(
        store.upload_chunk(&caller, &wrong, &q, &[1; 10]),
        Err(StorageError::BadRequest(_))
    ));
    assert_eq!(
        store
            .upload_state(&caller, &wrong, &doc_id)
            .unwrap()
            .received,
        0
    );
}

/// Accounts, sign-in, sessions found, extended and ended, and the voters' tracking
/// codes.
#[test]
fn accounts_and_sessions() {
    let (_cluster, url) = database();
    let store = store(&url);
    add_stations(&store);
    let new = |username: &str| NewAccount {
        username: username.into(),
        display_name: "王芳".into(),
        role: Role::StationStaff,
        scope_id: Some("st-a".into()),
        deputy_id: None,
    };
    store
        .create_account(&new("wang-fang"), "pw-wang-fang")
        .unwrap();
    store.create_account(&new("li-lei"), "pw-li-lei").unwrap();
    assert!(matches!(
        store.create_account(&new("wang-fang"), "again-and-again"),
        Err(StorageError::Conflict(_))
    ));
    let mut bad = new("zhao");
    bad.scope_id = Some("st-x".into());
    assert!(matches!(
        store.create_account(&bad, "pw-zhao-zhao"),
        Err(StorageError::BadRequest(_))
    ));
    let creds = store.credentials("wang-fang", "phone").unwrap().unwrap();
    assert!(!creds.known_device);
    assert!(crate::auth::verify_password(
        "pw-wang-fang",
        Some(&creds.password_hash)
    ));
    let session = |account_id, token: u8, device: &str, now| NewSession {
        account_id,
        token_hash: vec![token; 32],
        device_id: device.into(),
        device_name: "Phone".into(),
        now,
        expires_at: now + 10_000,
    };
    let account = store
        .open_session(&session(creds.account_id, 1, "phone", 10))
        .unwrap();
    assert_eq!(account.username, "wang-fang");
    assert!(
        store
            .credentials("wang-fang", "phone")
            .unwrap()
            .unwrap()
            .known_device
    );
    let li = store.credentials("li-lei", "phone").unwrap().unwrap();
    assert!(matches!(
        store.open_session(&session(li.account_id, 2, "phone", 10)),
        Err(StorageError::DeviceTaken)
    ));
    let found = store.caller(&[1; 32], 11, 1000).unwrap().unwrap();
    assert_eq!(
        (found.account.username.as_str(), found.device_id.as_str()),
        ("wang-fang", "phone")
    );
    // Used an hour later: extended.
    let later = 10 + super::super::SESSION_TOUCH_INTERVAL;
    assert!(store.caller(&[1; 32], later, 5000).unwrap().is_some());
    let devices = store.devices(Some("wang-fang")).unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(
        (devices[0].last_seen, devices[0].expires_at),
        (later, later + 5000)
    );
    assert!(!devices[0].revoked);
    // Signed in again on the phone: the first session ends.
    store
        .open_session(&session(creds.account_id, 3, "phone", later))
        .unwrap();
    assert!(store.caller(&[1; 32], later, 1000).unwrap().is_none());
    assert!(store.caller(&[3; 32], later, 1000).unwrap().is_some());
    assert_eq!(store.revoke_device("phone").unwrap(), 1);
    assert!(store.caller(&[3; 32], later, 1000).unwrap().is_none());
    assert!(
        store
            .caller(&[3; 32], later + 5000, 1000)
            .unwrap()
            .is_none()
    );

    store.reset_password("li-lei", "new-password").unwrap();
    let li = store.credentials("li-lei", "tablet").unwrap().unwrap();
    assert!(crate::auth::verify_password(
        "new-password",
        Some(&li.password_hash)
    ));
    store.disable_account("li-lei").unwrap();
    assert!(store.credentials("li-lei", "tablet").unwrap().is_none());
    let accounts: Vec<(String, bool)> = store
        .accounts()
        .unwrap()
        .into_iter()
        .map(|(a, disabled)| (a.username, disabled))
        .collect();
    assert_eq!(
        accounts,
        vec![("li-lei".into(), true), ("wang-fang".into(), false)]
    );

    let tx = store.backend().write().unwrap();
    let opinion = PublicOpinion {
        station_id: "st-a".into(),
        doc_id: "station/st-a/2026-11".into(),
        opinion_id: "op-1".into(),
        key_id: None,
    };
    tx.put_public_opinion(&[7; 32], &opinion, 5).unwrap();
    tx.commit().unwrap();
    let found = store
        .backend()
        .read()
        .unwrap()
        .public_opinion(&[7; 32])
        .unwrap()
        .unwrap();
    assert_eq!((found.opinion_id.as_str(), found.key_id), ("op-1", None));
    assert!(
        store
            .backend()
            .read()
            .unwrap()
            .public_opinion(&[8; 32])
            .unwrap()
            .is_none()
    );
}

/// Tx methods are called from a `#[tokio::test]` body (a current-thread runtime) and
/// from blocking threads; the backend is dropped inside the runtime too.
#[tokio::test]
async fn it_serves_from_inside_a_tokio_runtime() {
    let (_cluster, url) = database();
    let store = store(&url);
    add_stations(&store);
    store
        .create_account(
            &NewAccount {
                username: "wang-fang".into(),
                display_name: "王芳".into(),
                role: Role::StationStaff,
                scope_id: Some("st-a".into()),
                deputy_id: None,
            },
            "pw-wang-fang",
        )
        .unwrap();
    let on_blocking = store.clone();
    let pushed = tokio::task::spawn_blocking(move || {
        let caller = staff("st-a", "a");
        let mut doc = AutoCommit::new();
        let c = change(&mut doc, "station/st-a/2026-11", "x");
        on_blocking
            .sync(&caller, &request(&caller, 0, vec![c]))
            .unwrap()
            .cursor
    })
    .await
    .unwrap();
    assert_eq!(pushed, 1);
    assert_eq!(store.accounts().unwrap().len(), 1);
    assert_eq!(store.change_count().unwrap(), 1);
    assert_eq!(store.backend().pool_use().1, 4);
    drop(store);
}

/// The ordering guarantee, across two instances on one database: while devices push
/// through both, devices pulling through both with their cursors each receive every
/// change exactly once, as pushed. (Without the write lock a reader sees a number
/// while a smaller one is still uncommitted, moves its cursor past it, and misses it.)
#[test]
fn pullers_on_two_instances_miss_no_change_pushed_through_either() {
    const PUSHERS: usize = 4;
    const PUSHES: usize = 60;
    const PULLERS: usize = 4;
    let (_cluster, url) = database();
    let instances = [store(&url), store(&url)];
    add_stations(&instances[0]);
    // One change first, so pullers start past the bootstrap with cursor 1.
    let seed = staff("st-a", "seed");
    let mut seed_doc = AutoCommit::new();
    let first = change(&mut seed_doc, "station/st-a/2025-01", "seed");
    instances[0]
        .sync(&seed, &request(&seed, 0, vec![first]))
        .unwrap();
    let pushed: Mutex<BTreeMap<String, Vec<u8>>> = Mutex::default();
    let pushing = AtomicBool::new(true);
    // Pushing starts once every puller has bootstrapped: from then on each change
    // reaches it as a change, to be counted.
    let bootstrapped = Barrier::new(PULLERS + PUSHERS);
    let started = Instant::now();
    let received: Vec<Vec<WireChange>> = std::thread::scope(|s| {
        let pullers: Vec<_> = (0..PULLERS)
            .map(|i| {
                let (store, pushing, bootstrapped) = (&instances[i % 2], &pushing, &bootstrapped);
                s.spawn(move || {
                    let me = staff("st-a", &format!("puller-{i}"));
                    let r = store.sync(&me, &request(&me, 0, vec![])).unwrap();
                    assert_eq!((r.documents.len(), r.cursor), (1, 1));
                    let mut cursor = r.cursor;
                    bootstrapped.wait();
                    let mut got = Vec::new();
                    loop {
                        // Whether pushing had ended before this pull began: then
                        // a pull with nothing more is the last.
                        let last = !pushing.load(Ordering::SeqCst);
                        let r = store.sync(&me, &request(&me, cursor, vec![])).unwrap();
                        assert!(r.documents.is_empty() && r.cursor >= cursor);
                        got.extend(r.changes);
                        cursor = r.cursor;
                        if last && !r.more {
                            return got;
                        }
                    }
                })
            })
            .collect();
        let pushers: Vec<_> = (0..PUSHERS)
            .map(|i| {
                let (store, pushed, bootstrapped) = (&instances[i % 2], &pushed, &bootstrapped);
                s.spawn(move || {
                    let me = staff("st-a", &format!("pusher-{i}"));
                    let doc_id = format!("station/st-a/2026-{:02}", i + 1);
                    let mut doc = AutoCommit::new();
                    let (mut n, mut cursor) = (0, 1);
                    bootstrapped.wait();
                    while n < PUSHES {
                        // One to three changes a request.
                        let batch: Vec<WireChange> = (0..(n % 3 + 1).min(PUSHES - n))
                            .map(|k| change(&mut doc, &doc_id, &format!("{i}-{}", n + k)))
                            .collect();
                        n += batch.len();
                        let r = store
                            .sync(&me, &request(&me, cursor, batch.clone()))
                            .unwrap();
                        assert_eq!(r.acknowledged.len(), batch.len());
                        cursor = r.cursor;
                        let mut pushed = pushed.lock().unwrap();
                        for c in batch {
                            let hash = automerge::Change::from_bytes(c.bytes.clone())
                                .unwrap()
                                .hash()
                                .to_string();
                            pushed.insert(hash, c.bytes);
                        }
                    }
                })
            })
            .collect();
        for p in pushers {
            p.join().unwrap();
        }
        pushing.store(false, Ordering::SeqCst);
        pullers.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let pushed = pushed.into_inner().unwrap();
    assert_eq!(pushed.len(), PUSHERS * PUSHES);
    for (i, got) in received.iter().enumerate() {
        let mut seen = BTreeSet::new();
        for c in got {
            let hash = automerge::Change::from_bytes(c.bytes.clone())
                .unwrap()
                .hash()
                .to_string();
            assert_eq!(
                pushed.get(&hash),
                Some(&c.bytes),
                "puller {i}: not as pushed"
            );
            assert!(seen.insert(hash), "puller {i} received a change twice");
        }
        assert_eq!(seen.len(), pushed.len(), "puller {i} missed changes");
    }
    eprintln!(
        "{} changes pushed through 2 instances, pulled by {PULLERS} devices, in {:?}",
        pushed.len(),
        started.elapsed()
    );
}
