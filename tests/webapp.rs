//! The web app in a real browser: Chromium (Debian's, headless) through its WebDriver, as
//! a 390×844 Android phone, loading the app from the real sync server on 127.0.0.1
//! (`/app`, the folder `.ci/build-ui.sh` writes), its core in a dedicated worker on the
//! browser's private file system. Screenshots (each audited by axe-core) go to
//! `e2e-artifacts/web-*.png`.
//!
//! Needs `chromium` and `chromium-driver` (apt) and the built web app: the README's test
//! command does both.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;
use shared::model::Role;
use shared::{ActivityFilter, Store, StoreKey, SyncClient};
use sync_server::{Config, RunningServer};

#[path = "support/processes.rs"]
mod processes;
use processes::{Process, free_port};

#[path = "support/devices.rs"]
mod devices;
use devices::{PASSWORD, account};

#[path = "support/page.rs"]
mod page;
use page::{App, WAIT};

const STATION: &str = "st-zizhuyuan-home";
/// Chrome on an Android phone.
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";

/// The web app as `.ci/build-ui.sh` wrote it.
fn web_app() -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("app/web-dist");
    if !dir.join("index.html").is_file() {
        bail!("no web app in {}: run bash .ci/build-ui.sh", dir.display());
    }
    Ok(dir)
}

/// The sync server on `bind`, with the demo directory and the web app.
async fn server(dir: &Path, bind: SocketAddr) -> Result<RunningServer> {
    sync_server::start(Config {
        demo: true,
        web_app: Some(web_app()?),
        ..Config::new(dir.join("server.db"), bind)
    })
    .await
}

/// A headless Chromium as a 390×844 Android phone whose browser profile (its private
/// file system, IndexedDB, service workers) lives in `profile`, set to Chinese; the
/// driver stops when dropped.
async fn phone(profile: &Path) -> Result<(App, Process)> {
    let (c, driver) = page::chromium_phone(ANDROID, Some(profile)).await?;
    Ok((App { c }, driver))
}

/// Waits until the app's service worker controls the page (it has the app's files).
async fn until_offline_ready(app: &App) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        let ready = app
            .c
            .execute(
                "return !!(navigator.serviceWorker && navigator.serviceWorker.controller);",
                vec![],
            )
            .await?;
        if ready == json!(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the service worker never took control of the page");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Records a meeting of station 紫竹院 with `summary` and `voters`, and waits until the
/// register shows it.
async fn record(app: &App, summary: &str, voters: &str) -> Result<()> {
    app.open_form().await?;
    app.choose("#station", STATION).await?;
    app.click("input[name='deputy'][value='dep-001']").await?;
    app.fill("#voters", voters).await?;
    app.fill("#summary", summary).await?;
    app.click("#save").await?;
    app.until_text("活动已保存").await?;
    app.until_text(summary).await?;
    Ok(())
}

/// Which of `needles` (as UTF-8) any file in the origin's private file system holds,
/// read by the page, and how many files there are. (A file holding `probe` is written
/// beside them first, and must be found: the search itself is checked.) The store's worker must not be
/// running (its files are locked while it is): open a page without the app first.
async fn private_files_hold(app: &App, needles: &[&str]) -> Result<(u64, Vec<bool>)> {
    let probe = "a probe the search must find";
    let all: Vec<&str> = std::iter::once(probe)
        .chain(needles.iter().copied())
        .collect();
    let found = app
        .c
        .execute_async(
            "const needles = arguments[0].map((n) => new TextEncoder().encode(n));
             const done = arguments[arguments.length - 1];
             const holds = (bytes, n) => {
               outer: for (let i = 0; i + n.length <= bytes.length; i++) {
                 for (let j = 0; j < n.length; j++) if (bytes[i + j] !== n[j]) continue outer;
                 return true;
               }
               return false;
             };
             (async () => {
               const root = await navigator.storage.getDirectory();
               // A file of plain text beside the store, which the search must find.
               const probe = await (await root.getFileHandle('probe.txt', { create: true }))
                 .createWritable();
               await probe.write(arguments[0][0]);
               await probe.close();
               let files = 0;
               const found = needles.map(() => false);
               const walk = async (dir) => {
                 for await (const [, h] of dir.entries()) {
                   if (h.kind === 'directory') { await walk(h); continue; }
                   files += 1;
                   const bytes = new Uint8Array(await (await h.getFile()).arrayBuffer());
                   needles.forEach((n, i) => { found[i] = found[i] || holds(bytes, n); });
                 }
               };
               await walk(root);
               await root.removeEntry('probe.txt');
               return { files: files - 1, probe: found[0], found: found.slice(1) };
             })().then(done, (e) => done('error: ' + e));",
            vec![json!(all)],
        )
        .await?;
    if found["probe"] != json!(true) {
        bail!("the search missed the probe: {found}");
    }
    let files = found["files"]
        .as_u64()
        .with_context(|| format!("reading the private file system: {found}"))?;
    let held = found["found"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| b.as_bool() == Some(true))
        .collect();
    Ok((files, held))
}

/// A station worker's phone with nothing installed: the app from the server's address,
/// signed in, a meeting recorded; then the server goes away (no network): the app opens
/// again from the service worker, with the record from the phone's own store, and takes
/// another; the browser is closed and reopened, still offline; back online it syncs, and
/// the station's other device (the desktop core) has both. The store's file holds no
/// plain text, and a phone of another station never receives them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_records_offline_in_the_web_app_and_syncs_when_back() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let bind: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let server = server(dir.path(), bind).await?;
    account(&server, "zhan-a", Role::StationStaff, Some(STATION));
    account(&server, "zhan-b", Role::StationStaff, Some(STATION));
    account(
        &server,
        "yongfeng",
        Role::StationStaff,
        Some("st-xibeiwang-yongfeng"),
    );
    let url = server.url();
    let profile = dir.path().join("phone-a");
    let first = "网页版：选民反映小区门口停车难";
    let second = "离线登记：村委会门前路灯不亮";

    let (a, driver) = phone(&profile).await?;
    a.c.goto(&format!("{url}/app/")).await?;
    // The sign-in form offers the server the app came from.
    let offered = a.find("#server-address").await?.prop("value").await?;
    assert_eq!(offered.as_deref(), Some(url.as_str()));
    a.screenshot("web-1-sign-in").await?;
    a.sign_in("zhan-a", PASSWORD).await?;
    record(&a, first, "12").await?;
    a.screenshot("web-2-recorded").await?;
    a.click("#tab-sync").await?;
    a.click("#sync-now").await?;
    a.until_in("#pending-records", "0", WAIT).await?;
    until_offline_ready(&a).await?;

    // No network: the server is gone. The page comes back from the service worker, the
    // record from the phone's store; a second meeting is recorded offline.
    server.shutdown().await?;
    a.c.refresh().await?;
    a.until_text("无法连接同步服务器").await?;
    a.click("#tab-list").await?;
    a.until_text(first).await?;
    record(&a, second, "7").await?;
    a.screenshot("web-3-offline").await?;

    // The browser closed and opened again (the same profile), still offline.
    a.close().await?;
    drop(driver);
    let (a, driver) = phone(&profile).await?;
    a.c.goto(&format!("{url}/app/")).await?;
    a.click("#tab-list").await?;
    a.until_text(second).await?;
    a.until_text(first).await?;
    a.until_in("#pending-count", "1", WAIT).await?;
    a.screenshot("web-4-reopened-offline").await?;

    // Back online: the offline record reaches the server, and the station's desktop.
    let server = self::server(dir.path(), bind).await?;
    a.click("#tab-sync").await?;
    a.click("#sync-now").await?;
    a.until_in("#pending-records", "0", WAIT).await?;
    a.screenshot("web-5-synced").await?;
    let summaries = summaries_on_server(&dir.path().join("zhan-b.db"), &url, "zhan-b").await?;
    assert!(summaries.iter().any(|s| s == first), "{summaries:?}");
    assert!(summaries.iter().any(|s| s == second), "{summaries:?}");

    // The store at rest: on a page of the same origin without the app (its worker
    // gone), no summary in the bytes, and not even SQLite's header.
    a.c.goto(&format!("{url}/healthz")).await?;
    let (files, held) = private_files_hold(&a, &[first, second, "SQLite format 3"]).await?;
    assert!(files > 0, "no store in the private file system");
    assert_eq!(
        held,
        [false, false, false],
        "plain text in the phone's store"
    );
    a.close().await?;
    drop(driver);

    // Another station's phone (another browser profile) never receives them.
    let (b, _driver_b) = phone(&dir.path().join("phone-b")).await?;
    b.c.goto(&format!("{url}/app/")).await?;
    b.sign_in("yongfeng", PASSWORD).await?;
    b.click("#tab-sync").await?;
    b.click("#sync-now").await?;
    b.until_in("#sync-message", "同步", WAIT).await?;
    b.click("#tab-list").await?;
    let page = b.page_text().await?;
    assert!(!page.contains(first) && !page.contains(second), "{page}");
    b.screenshot("web-6-other-station").await?;
    b.close().await?;
    server.shutdown().await?;
    Ok(())
}

/// A new phone set up from the QR of a set-up code: the link opens the web app with the
/// code filled in, the user chooses a password (refused while the two differ), and is
/// recording at once; the code leaves the address and cannot be used again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_is_set_up_from_a_code_and_records_at_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let bind: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let server = server(dir.path(), bind).await?;
    account(&server, "zhan-a", Role::StationStaff, Some(STATION));
    let url = server.url();
    let code = server
        .storage
        .issue_setup_code("zhan-a", chrono::Utc::now().timestamp())?;
    let (a, _driver) = phone(&dir.path().join("phone")).await?;
    a.c.goto(&format!("{url}/setup#{code}")).await?;
    a.until_value("#setup-code", &code).await?;
    a.fill("#password", "my-new-password").await?;
    a.fill("#password-again", "my-new-passwort").await?;
    a.click("#sign-in").await?;
    a.until_text("两次输入的密码不一致").await?;
    a.screenshot("web-setup-1-code").await?;
    a.fill("#password-again", "my-new-password").await?;
    a.click("#sign-in").await?;
    a.find("#tab-list").await?;
    let address = a.c.current_url().await?.to_string();
    assert!(!address.contains(&code), "{address}");
    record(&a, "扫码开通后的第一条登记", "5").await?;
    a.screenshot("web-setup-2-recording").await?;
    // A camera's photo (3000×2000) is kept at 2048 pixels on its longest side.
    a.open_form().await?;
    a.find("#photo-camera").await?;
    let width =
        a.c.execute_async(
            "const [done] = arguments;
             const c = document.createElement('canvas');
             c.width = 3000; c.height = 2000;
             const g = c.getContext('2d');
             g.fillStyle = '#3a6'; g.fillRect(0, 0, 3000, 2000);
             g.fillStyle = '#fff'; g.fillRect(300, 300, 900, 700);
             c.toBlob((blob) => {
               const files = new DataTransfer();
               files.items.add(new File([blob], 'camera.png', { type: 'image/png' }));
               const input = document.querySelector('#photo-input');
               input.files = files.files;
               input.dispatchEvent(new Event('change', { bubbles: true }));
               const started = Date.now();
               const wait = () => {
                 const img = document.querySelector('#photos img');
                 if (img && img.complete && img.naturalWidth) {
                   done([img.naturalWidth, img.naturalHeight]);
                 } else if (Date.now() - started > 20000) {
                   done(null);
                 } else {
                   setTimeout(wait, 100);
                 }
               };
               wait();
             }, 'image/png');",
            vec![],
        )
        .await?;
    assert_eq!(width, json!([2048, 1365]), "the photo as kept");
    a.screenshot("web-setup-3-photo").await?;
    // The password chosen signs in elsewhere; the code does not work again.
    let store = Mutex::new(Store::open(
        &dir.path().join("desktop.db"),
        &StoreKey::from_bytes([6; 32]),
    )?);
    let sync = SyncClient::new(false)?;
    let again = sync
        .set_up(&store, &url, &code, "yet-another-pw", "desktop")
        .await;
    assert!(
        matches!(again, Err(shared::Error::SignInRefused)),
        "{again:?}"
    );
    sync.sign_in(&store, &url, "zhan-a", "my-new-password", "desktop")
        .await?;
    a.close().await?;
    server.shutdown().await?;
    Ok(())
}

/// Every activity summary the server gives a new desktop device (the core) signed in as
/// `username`, its store at `path`.
async fn summaries_on_server(path: &Path, url: &str, username: &str) -> Result<Vec<String>> {
    let desktop = Mutex::new(Store::open(path, &StoreKey::generate()?)?);
    let sync = SyncClient::new(false)?;
    sync.sign_in(&desktop, url, username, PASSWORD, "desktop")
        .await?;
    sync.sync(&desktop).await?;
    let filter = ActivityFilter {
        limit: Some(10_000),
        ..ActivityFilter::default()
    };
    let rows = desktop.lock().unwrap().list_activities(&filter)?;
    Ok(rows.into_iter().map(|m| m.summary).collect())
}

/// A copy of the built web app in `dir`, to serve and then change as a new build would.
fn web_app_copy(dir: &Path) -> Result<PathBuf> {
    let to = dir.join("web-app");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(web_app()?)
        .arg(&to)
        .status()?;
    if !status.success() {
        bail!("copying the web app failed");
    }
    Ok(to)
}

/// The names of the page's caches (the service worker keeps each build under its own).
async fn caches(app: &App) -> Result<Vec<String>> {
    let names = app
        .c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             caches.keys().then(done, (e) => done(['error: ' + e]));",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(names)?)
}

/// A new build is served while a record waits unsent (recorded offline): the phone
/// hears of it, takes it at once with 立即更新, and runs the new build with the record
/// still there; it is sent, and the server has it. Nothing is lost across the update.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_of_the_app_while_a_record_is_unsent_loses_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let bind: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let served = web_app_copy(dir.path())?;
    let start = |web_app: PathBuf| {
        let db = dir.path().join("server.db");
        async move {
            sync_server::start(Config {
                demo: true,
                web_app: Some(web_app),
                ..Config::new(db, bind)
            })
            .await
        }
    };
    let server = start(served.clone()).await?;
    account(&server, "zhan-a", Role::StationStaff, Some(STATION));
    let url = server.url();
    let (a, _driver) = phone(&dir.path().join("phone")).await?;
    a.c.goto(&format!("{url}/app/")).await?;
    a.sign_in("zhan-a", PASSWORD).await?;
    until_offline_ready(&a).await?;
    let old = caches(&a).await?;
    assert_eq!(old.len(), 1, "{old:?}");

    // Offline, a meeting is recorded: it waits to be sent.
    server.shutdown().await?;
    let summary = "更新前登记、尚未上传的记录";
    record(&a, summary, "9").await?;
    a.until_in("#pending-count", "1", WAIT).await?;

    // A new build is served (its service worker differs); the phone opens the app.
    let sw = served.join("sw.js");
    let script = std::fs::read_to_string(&sw)?;
    let next = script.replace(&format!("\"{}\"", old[0]), "\"next-build\"");
    assert_ne!(next, script, "the build's name is in sw.js");
    std::fs::write(&sw, next)?;
    let _ = std::fs::remove_file(served.join("sw.js.gz"));
    // (The browser looks for a new service worker when a page of the app opens and
    // every day: asked here at once, so that the record is still unsent when it comes.)
    let server = start(served.clone()).await?;
    a.c.execute(
        "navigator.serviceWorker.getRegistration().then((r) => r.update());",
        vec![],
    )
    .await?;
    a.until_text("家站通有新版本").await?;
    a.until_in("#pending-count", "1", WAIT).await?;
    a.screenshot("web-update-1-ready").await?;
    a.click("#update-now").await?;
    // The page reloads under the new build, which has dropped the old one's cache.
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(names) = caches(&a).await
            && names == ["next-build"]
        {
            break;
        }
        if Instant::now() > deadline {
            bail!("the new build never took over: {:?}", caches(&a).await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The new build starts with the record (and sends it when it syncs).
    a.click("#tab-list").await?;
    a.until_text(summary).await?;
    a.screenshot("web-update-2-taken").await?;
    a.click("#tab-sync").await?;
    a.click("#sync-now").await?;
    a.until_in("#pending-records", "0", WAIT).await?;

    // The station's other device receives it from the server.
    let summaries = summaries_on_server(&dir.path().join("desktop.db"), &url, "zhan-a").await?;
    assert_eq!(summaries, [summary]);
    a.close().await?;
    server.shutdown().await?;
    Ok(())
}

/// Every process under `root` (its children, theirs…), from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // "pid (name) state ppid …": the name may hold spaces, not ')'.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}

/// Kills the whole browser chromedriver `driver` started, every process of it at once
/// (SIGKILL: no chance to finish anything), as a phone's system kills an app, and waits
/// until they are gone (a renderer left behind would still hold the store).
fn kill_browser(driver: &Process) {
    let all = descendants(driver.0.id());
    let _ = std::process::Command::new("kill")
        .arg("-KILL")
        .args(all.iter().map(u32::to_string))
        .status();
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline
        && all.iter().any(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                !s.rsplit_once(')')
                    .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
            })
        })
    {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The browser killed (SIGKILL) in the middle of a save or a sync, again and again
/// (`JIAZHAN_WEB_KILLS` times, 100 by default): every save the screen reported done is
/// there when the browser starts again, and once everything is sent the server holds
/// each record once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_killed_while_saving_or_syncing_keeps_every_reported_save() -> Result<()> {
    let kills: usize = std::env::var("JIAZHAN_WEB_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir()?;
    let bind: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let server = server(dir.path(), bind).await?;
    account(&server, "zhan-a", Role::StationStaff, Some(STATION));
    let url = server.url();
    let profile = dir.path().join("phone");
    {
        let (a, _driver) = phone(&profile).await?;
        a.c.goto(&format!("{url}/app/")).await?;
        a.sign_in("zhan-a", PASSWORD).await?;
        until_offline_ready(&a).await?;
        a.close().await?;
    }
    let mut reported = Vec::new();
    let mut attempted = 0;
    for i in 0..kills {
        let (a, driver) = phone(&profile).await?;
        a.c.goto(&format!("{url}/app/")).await?;
        if a.find("#tab-list").await.is_err() {
            let page = a.page_text().await.unwrap_or_default();
            bail!("after {i} kills the app did not start: {page}");
        }
        // Cut after a moment that moves through the save (0–60 ms: a save takes about
        // 20) or the sync (0–400 ms).
        let cut = Duration::from_millis(if i % 4 == 3 {
            (i as u64 * 37) % 400
        } else {
            (i as u64 * 7) % 61
        });
        if i % 4 == 3 {
            a.click("#tab-sync").await?;
            a.click("#sync-now").await?;
            tokio::time::sleep(cut).await;
        } else {
            let summary = format!("断电测试第{i}条");
            a.open_form().await?;
            a.choose("#station", STATION).await?;
            a.click("input[name='deputy'][value='dep-001']").await?;
            a.fill("#voters", "1").await?;
            a.fill("#summary", &summary).await?;
            attempted += 1;
            // Saved as far as the screen said before the cut.
            let saw =
                a.c.execute_async(
                    "const [wait, done] = arguments;
                     document.querySelector('#save').click();
                     const t0 = Date.now();
                     const look = () => {
                       if (document.body.innerText.includes('活动已保存')) done(true);
                       else if (Date.now() - t0 >= wait) done(false);
                       else setTimeout(look, 5);
                     };
                     look();",
                    vec![json!(cut.as_millis() as u64)],
                )
                .await?;
            if saw == json!(true) {
                reported.push(summary);
            }
        }
        kill_browser(&driver);
        drop(a);
        drop(driver);
    }
    // Started once more: every reported save is there; then everything is sent once.
    let (a, _driver) = phone(&profile).await?;
    a.c.goto(&format!("{url}/app/")).await?;
    a.click("#tab-sync").await?;
    a.click("#sync-now").await?;
    a.until_in("#pending-records", "0", WAIT).await?;
    a.close().await?;
    let on_server = summaries_on_server(&dir.path().join("desktop.db"), &url, "zhan-a").await?;
    for summary in &reported {
        let copies = on_server.iter().filter(|s| *s == summary).count();
        assert_eq!(copies, 1, "{summary}: {copies} copies after the kills");
    }
    let unique: std::collections::BTreeSet<&String> = on_server.iter().collect();
    assert_eq!(
        unique.len(),
        on_server.len(),
        "a record twice: {on_server:?}"
    );
    assert!(
        !reported.is_empty() && reported.len() < attempted,
        "the cuts fell only before or only after the saves: {} of {attempted} reported",
        reported.len()
    );
    println!(
        "{kills} kills: {attempted} saves tried, {} reported done, all kept; {} on the server",
        reported.len(),
        on_server.len()
    );
    server.shutdown().await?;
    Ok(())
}

/// WeChat's built-in browser on an iPhone has no service workers: the app says, in
/// Chinese, that this browser cannot run it and how to open the page in the system's
/// browser, instead of a blank page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_without_service_workers_is_told_to_open_the_system_browser() -> Result<()> {
    const WECHAT_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) \
        AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49";
    let dir = tempfile::tempdir()?;
    let bind: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let server = server(dir.path(), bind).await?;
    let (c, _driver) = page::chromium_phone(WECHAT_IOS, Some(&dir.path().join("wechat"))).await?;
    let a = App { c };
    a.c.goto("about:blank").await?;
    // As WKWebView in an app: no service workers.
    page::devtools(
        &a.c,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": "delete Navigator.prototype.serviceWorker;" }),
    )
    .await?;
    a.c.goto(&format!("{}/app/", server.url())).await?;
    let page = a.until_text("这个浏览器不能运行家站通").await?;
    assert!(page.contains("选择“在浏览器打开”"), "{page}");
    a.find("#cannot-start-wechat").await?;
    a.screenshot("web-wechat").await?;
    a.close().await?;
    server.shutdown().await?;
    Ok(())
}
