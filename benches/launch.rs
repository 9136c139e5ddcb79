//! Launch benchmark: prints how long the real desktop app takes from launch to a drawn
//! home screen. A program, not a timed test. Build the UI first (`.ci/build-ui.sh`: the
//! app embeds it), then either `cargo bench -p jiazhan --bench launch` (everything built
//! in the bench profile, i.e. release, and that app measured) or, reusing the release
//! app: `cargo build --release -p jiazhan` and
//! `JIAZHAN_APP=<target>/release/jiazhan cargo bench -p jiazhan --bench launch --profile dev`.
//!
//! Method: a sync server runs in this process on 127.0.0.1 with the demo directory; a
//! device data directory is prepared through the core as the app would leave it (signed
//! in as a station's staff, directory synced, 200 activities recorded and synced). Then,
//! under a private Xvfb, tauri-driver + WebKitWebDriver launch the app binary RUNS times
//! (5; `JIAZHAN_LAUNCH_RUNS`), after one launch that is not counted (a warm file cache,
//! as a second launch of the day). Each launch is timed to the moment the home screen's
//! rhythm table has its deputies' rows (the home data came from the store through the
//! Rust commands), found by polling the DOM every 10 ms, and two animation frames later
//! (so it has been painted):
//! - `app → home`: from the app process's start (its start time in /proc) to that moment:
//!   the figure a user sees, what the goal (≤ 1 s) is about;
//! - `page → home`: from the page's navigation start (`performance.now()`): wasm loading,
//!   start-up and the first commands;
//! - `driver → home`: from the WebDriver session request: adds WebKitWebDriver's start.
//!
//! `JIAZHAN_APP=/path/to/jiazhan` measures another build of the app (e.g. the debug one).

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use fantoccini::ClientBuilder;
use serde_json::json;
use shared::model::Role;
use shared::{ActivityInput, Store, StoreKey, SyncClient};
use sync_server::{Config, NewAccount};

#[path = "../tests/support/processes.rs"]
mod processes;
use processes::{Process, free_port, tool};

const PASSWORD: &str = "launch-bench-password";
/// Drawn home: the rhythm table with a deputy's row.
const HOME: &str = "#rhythm tr[data-deputy]";

/// Seconds since boot, as /proc counts them (10 ms steps).
fn uptime() -> Result<f64> {
    let text = std::fs::read_to_string("/proc/uptime")?;
    Ok(text.split_whitespace().next().context("uptime")?.parse()?)
}

/// When the running process of `exe` started, in seconds since boot.
fn process_start(exe: &Path) -> Result<f64> {
    let exe = exe.canonicalize()?;
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        if std::fs::read_link(entry.path().join("exe")).ok().as_deref() != Some(exe.as_path()) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat"))?;
        // Fields after the command name (which may hold spaces) in parentheses.
        let rest = stat.rsplit_once(')').context("stat")?.1;
        let ticks: f64 = rest
            .split_whitespace()
            .nth(19)
            .context("starttime")?
            .parse()?;
        let hz = Command::new("getconf").arg("CLK_TCK").output()?;
        let hz: f64 = String::from_utf8(hz.stdout)?.trim().parse()?;
        return Ok(ticks / hz);
    }
    bail!("no running {}", exe.display())
}

struct Launch {
    driver_ms: f64,
    app_ms: f64,
    page_ms: f64,
}

/// Launches the app once, waits for the drawn home screen, closes it.
async fn launch(port: u16, app: &Path, data_dir: &Path, server: &str) -> Result<Launch> {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        json!({ "application": app, "args": ["--data-dir", data_dir, "--server", server] }),
    );
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(caps);
    let start = Instant::now();
    let c = tokio::time::timeout(
        Duration::from_secs(30),
        builder.connect(&format!("http://127.0.0.1:{port}")),
    )
    .await
    .context("opening a WebDriver session timed out")??;
    // One round trip per poll.
    let poll = format!("return document.querySelector({HOME:?}) ? performance.now() : null;");
    let deadline = start + Duration::from_secs(30);
    loop {
        if let Ok(v) = c.execute(&poll, vec![]).await
            && v.is_f64()
        {
            break;
        }
        if Instant::now() > deadline {
            bail!("the home screen was never drawn");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // In the DOM is not yet on screen: the frame after the next one has painted it.
    let page_ms = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())));",
            vec![],
        )
        .await?
        .as_f64()
        .context("performance.now()")?;
    let driver_ms = start.elapsed().as_secs_f64() * 1000.0;
    let app_ms = (uptime()? - process_start(app)?) * 1000.0;
    c.close().await?;
    // Let the app exit before the next launch.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(Launch {
        driver_ms,
        app_ms,
        page_ms,
    })
}

/// A device signed in as a station's staff with the directory and 200 records synced.
async fn prepare_device(data_dir: &Path, server: &str) -> Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let key = StoreKey::load_or_create(data_dir)?;
    let store = Mutex::new(Store::open(&data_dir.join("jiazhan.db"), &key)?);
    let client = SyncClient::new(false)?;
    client
        .sign_in(&store, server, "bench", PASSWORD, "launch bench")
        .await?;
    client.sync(&store).await?;
    let today = shared::local_today();
    for i in 0..200u64 {
        let input = ActivityInput {
            station_id: "st-zizhuyuan-home".into(),
            date: (today - chrono::Days::new(i)).to_string(),
            deputy_ids: vec![format!("dep-00{}", 1 + i % 3)],
            voters_received: (i % 40).to_string(),
            location: "社区活动室".into(),
            summary: format!("第{i}次接待选民，反映停车难、加装电梯等问题"),
            ..ActivityInput::default()
        };
        store.lock().unwrap().create_activity(&input, today)?;
    }
    client.sync(&store).await?;
    Ok(())
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; nothing to parse.
    let runs: usize = std::env::var("JIAZHAN_LAUNCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let app = std::env::var_os("JIAZHAN_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_jiazhan")));
    let dir = tempfile::tempdir()?;
    let server = sync_server::start(Config {
        demo: true,
        ..Config::new(dir.path().join("server.db"), "127.0.0.1:0".parse()?)
    })
    .await?;
    server.storage.create_account(
        &NewAccount {
            username: "bench".into(),
            display_name: "郑晓燕".into(),
            role: Role::StationStaff,
            scope_id: Some("st-zizhuyuan-home".into()),
            deputy_id: None,
        },
        PASSWORD,
    )?;
    let data_dir = dir.path().join("device");
    prepare_device(&data_dir, &server.url()).await?;

    let mut xvfb = Command::new(tool("Xvfb")?)
        .args(["-displayfd", "1", "-screen", "0", "1280x1024x24"])
        .args(["-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("start Xvfb")?;
    let mut line = String::new();
    BufReader::new(xvfb.stdout.take().context("Xvfb stdout")?).read_line(&mut line)?;
    let xvfb = Process(xvfb);
    let port = free_port();
    let driver = Process(
        Command::new(tool("tauri-driver")?)
            .args(["--port", &port.to_string()])
            .args(["--native-port", &free_port().to_string()])
            .env("DISPLAY", format!(":{}", line.trim()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start tauri-driver")?,
    );
    let until = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > until {
            bail!("tauri-driver did not listen");
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    println!("launch to a drawn home screen: {}", app.display());
    println!("(station staff, 200 records; 1 launch not counted, then {runs})");
    launch(port, &app, &data_dir, &server.url()).await?;
    let mut results = Vec::new();
    for i in 1..=runs {
        let l = launch(port, &app, &data_dir, &server.url()).await?;
        println!(
            "  run {i}: app → home {:>6.0} ms   page → home {:>6.0} ms   driver → home {:>6.0} ms",
            l.app_ms, l.page_ms, l.driver_ms
        );
        results.push(l);
    }
    println!("| ms | min | median | max |");
    println!("|---|---|---|---|");
    for (name, v) in [
        ("app → home", results.iter().map(|l| l.app_ms).collect()),
        ("page → home", results.iter().map(|l| l.page_ms).collect()),
        (
            "driver → home",
            results.iter().map(|l| l.driver_ms).collect(),
        ),
    ] {
        let (min, median, max) = stats(v);
        println!("| {name} | {min:.0} | {median:.0} | {max:.0} |");
    }
    drop(driver);
    drop(xvfb);
    server.shutdown().await?;
    Ok(())
}
