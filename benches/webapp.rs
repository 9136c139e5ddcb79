//! Web app benchmark: prints what a phone's browser pays for the web app. A program, not
//! a timed test. Build the web app first (`.ci/build-ui.sh`), then
//! `cargo bench -p jiazhan --bench webapp`.
//!
//! Method: a sync server runs in this process on 127.0.0.1 with the generated Haidian
//! district and its year of records (`load_demo`), serving `app/web-dist` at `/app`.
//! Debian's Chromium, headless through chromedriver, is a 390×844 Android phone with
//! its own profile.
//! - Sizes: what the server sends for each file (its `.gz`, as browsers take it). The
//!   first visit fetches every file of the build (the service worker keeps them all for
//!   offline use); a later start fetches nothing but the service worker's own check.
//! - First sync: a station's staff signs in on the new phone; timed in the page from the
//!   tap on 登录 to the sync page's 上次同步 showing a time (the station's year of
//!   records in the phone's encrypted store).
//! - Save: one meeting saved from the form, from the tap on 保存 to 活动已保存 on screen
//!   (the worker's round trip, the store's transaction, the register drawn again).
//! - Start, offline (the server stopped): from the page's navigation start to the home
//!   screen's rhythm table with its deputies' rows; warm = a reload in the running
//!   browser, cold = the browser started again on the profile (its process start not
//!   counted).
//!
//! CPU throttling is DevTools' (`Emulation.setCPUThrottlingRate`), 4× for a mid-range
//! phone; `JIAZHAN_WEB_RUNS` runs of each (default 5), the median and the worst shown.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use fantoccini::Client;
use serde_json::json;
use shared::model::Role;
use sync_server::{Config, NewAccount, RunningServer};

#[path = "../tests/support/processes.rs"]
mod processes;
use processes::free_port;

#[path = "../tests/support/page.rs"]
mod page;
use page::App;

const PASSWORD: &str = "web-bench-password";
const STATION: &str = "st-zizhuyuan-home";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
/// Drawn home: the rhythm table with a deputy's row.
const HOME: &str = "#rhythm tr[data-deputy]";

async fn throttle(c: &Client, rate: f64) -> Result<()> {
    page::devtools(c, "Emulation.setCPUThrottlingRate", json!({ "rate": rate })).await
}

/// Milliseconds since the page's navigation start, once `css` matches (polled).
async fn ms_until(c: &Client, css: &str) -> Result<f64> {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let t = c
            .execute(
                "return document.querySelector(arguments[0]) ? performance.now() : null;",
                vec![json!(css)],
            )
            .await?;
        if let Some(ms) = t.as_f64() {
            return Ok(ms);
        }
        if std::time::Instant::now() > deadline {
            bail!("{css} never appeared");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Milliseconds from clicking `click` until the page's text contains `text`, measured in
/// the page.
async fn ms_from_click_to_text(c: &Client, click: &str, text: &str) -> Result<f64> {
    let ms = c
        .execute_async(
            "const [click, text, done] = arguments;
             const t0 = performance.now();
             const seen = () => document.body.innerText.includes(text);
             const observer = new MutationObserver(() => {
               if (seen()) { observer.disconnect(); done(performance.now() - t0); }
             });
             observer.observe(document.body, { subtree: true, childList: true, characterData: true });
             document.querySelector(click).click();",
            vec![json!(click), json!(text)],
        )
        .await?;
    ms.as_f64().context("a time")
}

fn web_app() -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("app/web-dist");
    if !dir.join("index.html").is_file() {
        bail!("no web app in {}: run bash .ci/build-ui.sh", dir.display());
    }
    Ok(dir)
}

/// Bytes the server sends for each file of the web app (its `.gz` where there is one),
/// by kind.
fn sizes(dir: &Path) -> Result<Vec<(&'static str, u64)>> {
    let mut kinds: Vec<(&'static str, u64)> = [
        "UI wasm (app_bg.wasm)",
        "UI screens loaded on demand (chunks)",
        "core wasm (core/core_bg.wasm: store, SQLite, Automerge, sync)",
        "JavaScript (wasm-bindgen glue, workers)",
        "HTML, CSS, texts, manifest, icons",
    ]
    .into_iter()
    .map(|k| (k, 0))
    .collect();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.to_string_lossy().into_owned();
            if name.ends_with(".gz") {
                continue;
            }
            let gz = PathBuf::from(format!("{name}.gz"));
            let sent = std::fs::metadata(if gz.is_file() { &gz } else { &path })?.len();
            let kind = if name.ends_with("/app_bg.wasm") {
                0
            } else if name.ends_with("/core_bg.wasm") {
                2
            } else if name.ends_with(".wasm") {
                1
            } else if name.ends_with(".js") {
                3
            } else {
                4
            };
            kinds[kind].1 += sent;
        }
    }
    Ok(kinds)
}

fn kb(bytes: u64) -> String {
    format!("{:.0} KB", bytes as f64 / 1000.0)
}

fn summary(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    format!(
        "{:.0} ms (worst {:.0} ms, {} runs)",
        ms[ms.len() / 2],
        ms[ms.len() - 1],
        ms.len()
    )
}

async fn start_server(dir: &Path, bind: SocketAddr) -> Result<RunningServer> {
    sync_server::start(Config {
        web_app: Some(web_app()?),
        ..Config::new(dir.join("server.db"), bind)
    })
    .await
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let runs: usize = std::env::var("JIAZHAN_WEB_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let web = web_app()?;
    let dir = tempfile::tempdir()?;
    let bind: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let server = start_server(dir.path(), bind).await?;
    let loaded = sync_server::demo::load_demo(&server.storage)?;
    server.storage.create_account(
        &NewAccount {
            username: "bench".into(),
            display_name: "bench".into(),
            role: Role::StationStaff,
            scope_id: Some(STATION.into()),
            deputy_id: None,
        },
        PASSWORD,
    )?;
    let url = server.url();
    let profile = dir.path().join("phone");

    println!("## The web app on a phone's browser (Chromium headless, 390×844)\n");
    if loaded.other_directory {
        bail!("the server holds another directory than the demo district's");
    }
    println!(
        "The server holds the generated Haidian district ({} documents of the year 2022).\n",
        loaded.documents
    );
    println!("| what | figure |\n|---|---|");
    let sizes = sizes(&web)?;
    let total: u64 = sizes.iter().map(|(_, n)| n).sum();
    for (kind, n) in &sizes {
        println!("| first load: {kind}, gzipped | {} |", kb(*n));
    }
    println!(
        "| **first load, all of it (gzipped)** | **{}** |",
        kb(total)
    );

    // First sync of a station's year, unthrottled, on a new phone.
    let (c, driver) = page::chromium_phone(ANDROID, Some(&profile)).await?;
    let a = App { c };
    a.c.goto(&format!("{url}/app/")).await?;
    a.fill("#username", "bench").await?;
    a.fill("#password", PASSWORD).await?;
    a.c.execute("window.__t0 = performance.now();", vec![])
        .await?;
    a.click("#sign-in").await?;
    a.click("#tab-sync").await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    let first_sync = loop {
        let t =
            a.c.execute(
                "const s = document.querySelector('#last-sync');
                 return s && /\\d{4}-\\d{2}-\\d{2}/.test(s.innerText)
                   ? performance.now() - window.__t0 : null;",
                vec![],
            )
            .await?;
        if let Some(ms) = t.as_f64() {
            break ms;
        }
        if std::time::Instant::now() > deadline {
            bail!("the first sync never ended");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    a.click("#tab-list").await?;
    let count = a.until_text("共 ").await?;
    let records = count
        .lines()
        .find(|l| l.starts_with("共 "))
        .unwrap_or_default()
        .to_owned();
    println!(
        "| first sync of the station's year (sign-in to synced; register: {records}) | {first_sync:.0} ms |"
    );

    // Saves, unthrottled and at 4×.
    for rate in [1.0, 4.0] {
        throttle(&a.c, rate).await?;
        let mut ms = Vec::new();
        for i in 0..runs {
            a.open_form().await?;
            a.choose("#station", STATION).await?;
            a.click("input[name='deputy'][value='dep-001']").await?;
            a.fill("#voters", "3").await?;
            a.fill("#summary", &format!("性能测试记录 {rate} {i}"))
                .await?;
            ms.push(ms_from_click_to_text(&a.c, "#save", "活动已保存").await?);
        }
        println!(
            "| save of one meeting, tap to 活动已保存, CPU {rate}× | {} |",
            summary(ms)
        );
    }

    // Starts offline at 4×: warm (a reload), then cold (the browser again).
    server.shutdown().await?;
    let mut warm = Vec::new();
    for _ in 0..runs {
        throttle(&a.c, 4.0).await?;
        a.c.goto(&format!("{url}/app/")).await?;
        warm.push(ms_until(&a.c, HOME).await?);
    }
    println!(
        "| warm start offline, CPU 4× (navigation to drawn home) | {} |",
        summary(warm)
    );
    a.close().await?;
    drop(driver);
    let mut cold = Vec::new();
    for _ in 0..runs {
        let (c, driver) = page::chromium_phone(ANDROID, Some(&profile)).await?;
        c.goto("about:blank").await?;
        throttle(&c, 4.0).await?;
        c.goto(&format!("{url}/app/")).await?;
        cold.push(ms_until(&c, HOME).await?);
        c.close().await?;
        drop(driver);
    }
    println!(
        "| cold start offline, CPU 4× (browser restarted; navigation to drawn home) | {} |",
        summary(cold)
    );
    Ok(())
}
