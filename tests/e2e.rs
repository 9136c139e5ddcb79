//! End to end in real WebKit: the built app (this package's binary, UI embedded), driven
//! through tauri-driver + WebKitWebDriver under its own Xvfb, in a phone-sized window
//! (390×844), syncing through a real sync server on 127.0.0.1.
//!
//! Screenshots of every screen go to `e2e-artifacts/` (not committed) for a person to look at.
//! Needs `tauri-driver` (cargo install) and `WebKitWebDriver` + `Xvfb` (apt): the README's
//! test command installs them.

use chrono::Datelike as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use shared::model::Role;
use sync_server::{Config, RunningServer};

#[path = "support/processes.rs"]
mod processes;
use processes::{Process, free_port, tool};

#[path = "support/page.rs"]
mod page;
use page::{App, WAIT};

const PHONE: (u32, u32) = (390, 844);

/// A private X display and a tauri-driver attached to it. Dropped in reverse order.
struct Desktop {
    driver: Process,
    port: u16,
    _xvfb: Process,
    /// One desktop at a time: on two cores, parallel WebKits starve each other, and
    /// the free ports each picks could collide.
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
}

static ONE_DESKTOP: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Desktop {
    fn start() -> Result<Desktop> {
        // A test that failed still let go of the desktop: the lock is only an order.
        let one_at_a_time = ONE_DESKTOP.lock().unwrap_or_else(|p| p.into_inner());
        let mut xvfb = Command::new(tool("Xvfb")?)
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x1024x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("start Xvfb")?;
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().unwrap()).read_line(&mut line)?;
        let xvfb = Process(xvfb);
        let display = format!(":{}", line.trim());
        if display == ":" {
            bail!("Xvfb did not report a display");
        }
        let port = free_port();
        let driver = Process(
            Command::new(tool("tauri-driver")?)
                .args(["--port", &port.to_string()])
                .args(["--native-port", &free_port().to_string()])
                .env("DISPLAY", &display)
                // A system that speaks no Chinese: the app draws its dates in Chinese
                // all the same (`webview_locale`).
                .env("LANG", "C.UTF-8")
                .env_remove("LC_ALL")
                .env_remove("LC_TIME")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("start tauri-driver")?,
        );
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("tauri-driver did not listen on {port}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(Desktop {
            driver,
            port,
            _xvfb: xvfb,
            _one_at_a_time: one_at_a_time,
        })
    }

    /// Launches one app instance (one "device") with its own data directory.
    async fn open_app(&self, data_dir: &Path, server_url: &str) -> Result<App> {
        self.open_app_with(data_dir, server_url, &[]).await
    }

    /// [`Desktop::open_app`] with more command-line arguments.
    async fn open_app_with(&self, data_dir: &Path, server_url: &str, more: &[&str]) -> Result<App> {
        let _ = &self.driver;
        let mut args = vec![
            json!("--data-dir"),
            json!(data_dir),
            json!("--server"),
            json!(server_url),
        ];
        args.extend(more.iter().map(|a| json!(a)));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({
                "application": env!("CARGO_BIN_EXE_jiazhan"),
                "args": args,
            }),
        );
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{}", self.port);
        // The driver may still be starting its WebKitWebDriver: a few tries.
        let mut attempt = 0;
        let client = loop {
            attempt += 1;
            let connect = builder.connect(&url);
            // A new webview on a loaded two-core machine can take over WAIT to start.
            match tokio::time::timeout(WAIT * 2, connect).await {
                Ok(Ok(client)) => break client,
                Ok(Err(_)) if attempt < 3 => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => bail!("opening a WebDriver session timed out"),
            }
        };
        client.set_window_size(PHONE.0, PHONE.1).await?;
        Ok(App { c: client })
    }
}

const PASSWORD: &str = "zhan-2026-password";

/// A server with the demo directory and two station workers of 紫竹院 (zhan-a, zhan-b).
async fn server(dir: &Path) -> RunningServer {
    let server = sync_server::start(Config {
        demo: true,
        ..Config::new(dir.join("server.db"), "127.0.0.1:0".parse().unwrap())
    })
    .await
    .unwrap();
    for (username, name) in [("zhan-a", "郑晓燕"), ("zhan-b", "何磊")] {
        account(
            &server,
            username,
            name,
            Role::StationStaff,
            "st-zizhuyuan-home",
            None,
        );
    }
    server
}

/// The phone of station worker zhan-a (data in `dir/device`), signed in.
async fn station_phone(desktop: &Desktop, dir: &Path, server: &RunningServer) -> Result<App> {
    let app = desktop.open_app(&dir.join("device"), &server.url()).await?;
    app.sign_in("zhan-a", PASSWORD).await?;
    Ok(app)
}

/// An account on `server` with [`PASSWORD`].
fn account(
    server: &RunningServer,
    username: &str,
    name: &str,
    role: Role,
    scope: &str,
    deputy: Option<&str>,
) {
    server
        .storage
        .create_account(
            &sync_server::NewAccount {
                username: username.into(),
                display_name: name.into(),
                role,
                scope_id: Some(scope.into()),
                deputy_id: deputy.map(str::to_owned),
            },
            PASSWORD,
        )
        .unwrap();
}

/// `--help` and `--version` answer on the terminal, with no display to open a window
/// on (they once panicked in GTK's start-up).
#[test]
fn help_and_version_need_no_display() -> Result<()> {
    for (arg, expected) in [
        ("--help", "--data-dir DIR"),
        ("-h", "Usage: jiazhan"),
        ("--version", concat!("jiazhan ", env!("CARGO_PKG_VERSION"))),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_jiazhan"))
            .arg(arg)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{arg}: {out:?}");
        assert!(stdout.contains(expected), "{arg}: {stdout}");
        assert!(
            out.stderr.is_empty(),
            "{arg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_typed_on_the_phone_reaches_a_second_device() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = server(dir.path()).await;
    let desktop = Desktop::start()?;

    // Device A: a station worker records a meeting.
    let a = desktop
        .open_app(&dir.path().join("device-a"), &server.url())
        .await?;
    // A new device starts at sign-in; a wrong password is refused in Chinese.
    a.until_text("账号由区人大常委会办公室开通").await?;
    a.fill("#username", "zhan-a").await?;
    a.fill("#password", "wrong-password").await?;
    a.click("#sign-in").await?;
    a.until_text("用户名或密码不正确").await?;
    a.screenshot("phone-a-0-sign-in").await?;
    a.sign_in("zhan-a", PASSWORD).await?;
    a.until_text("家站通").await?;
    a.screenshot("phone-a-1-empty-list").await?;
    a.open_form().await?;
    a.click("#station option[value='st-zizhuyuan-home']")
        .await?;
    a.click("input[name='deputy'][value='dep-001']").await?;
    a.click("input[name='deputy'][value='dep-002']").await?;
    a.find("#voters").await?.send_keys("23").await?;
    a.fill("#summary", "选民反映小区门口停车难，建议增设临时停车位")
        .await?;
    a.screenshot("phone-a-2-form").await?;
    a.click("#save").await?;
    let page = a.until_text("选民反映小区门口停车难").await?;
    assert!(page.contains("接待选民 23 人"), "{page}");
    assert!(page.contains("王建华、李秀英"), "{page}");
    assert!(page.contains("紫竹院街道人大代表之家"), "{page}");
    // The save says so, and the record is marked where it is in the register.
    a.until_text("活动已保存").await?;
    a.find("#meeting-list li.record.just-saved").await?;
    a.screenshot("phone-a-3-list").await?;

    // Home: both deputies present have made this month's station visit.
    a.click("#tab-home").await?;
    a.find("#rhythm tr[data-deputy='dep-001'] td.done").await?;
    a.find("#rhythm tr[data-deputy='dep-002'] td.done").await?;
    let month = a
        .find("#rhythm tr[data-deputy='dep-003'] td:nth-of-type(1)")
        .await?;
    assert_eq!(month.attr("class").await?.as_deref(), Some("missing"));
    let page = a.until_text("最近登记").await?;
    assert!(page.contains("选民反映小区门口停车难"), "{page}");
    a.screenshot("phone-a-3b-home").await?;

    // Saving syncs in the background; the sync page also syncs on demand.
    a.click("#tab-sync").await?;
    a.click("#sync-now").await?;
    a.until_text("同步完成").await?;
    assert_eq!(a.find("#pending-records").await?.text().await?, "0");
    assert_ne!(a.find("#last-sync").await?.text().await?, "从未同步");
    assert_eq!(
        a.find("#account").await?.text().await?,
        "郑晓燕（站点工作人员）"
    );
    a.screenshot("phone-a-4-sync").await?;
    a.close().await?;

    // Device B: its own data directory; it syncs at start and shows A's meeting.
    let b = desktop
        .open_app(&dir.path().join("device-b"), &server.url())
        .await?;
    b.sign_in("zhan-b", PASSWORD).await?;
    b.click("#tab-list").await?;
    let page = b.until_text("选民反映小区门口停车难").await?;
    assert!(page.contains("接待选民 23 人"), "{page}");
    assert!(!page.contains("待同步"), "{page}");
    b.screenshot("phone-b-1-list-after-sync").await?;

    // B corrects the count; A's next sync would see it (covered in tests/sync.rs).
    b.click("li.record button.link").await?;
    b.until_text("修改活动记录").await?;
    b.until_value("#voters", "23").await?;
    b.fill("#voters", "25").await?;
    // It was in fact the campaign's home visit (回家站听意见), not a station meeting.
    b.click("#kind option[value='home_listening']").await?;
    b.click("#save").await?;
    let page = b.until_text("接待选民 25 人").await?;
    assert!(page.contains("回家站听意见"), "{page}");
    b.screenshot("phone-b-2-edited").await?;

    // The record's history: created on the other device, corrected here.
    b.click("li.record button.link").await?;
    let page = b.until_text("接待选民人数：23 → 25").await?;
    assert!(
        page.contains("活动类型：进站见选民 → 回家站听意见"),
        "{page}"
    );
    assert!(page.contains("修改记录"), "{page}");
    assert!(page.contains("其他设备"), "{page}");
    assert!(page.contains("本机"), "{page}");
    b.find("#history").await?;
    b.c.execute(
        "document.getElementById('history').scrollIntoView()",
        vec![],
    )
    .await?;
    b.screenshot("phone-b-3-history").await?;
    // Screens are routes: the phone's back button returns to the register.
    b.c.back().await?;
    b.find("#meeting-list").await?;
    assert_eq!(
        b.find("#tab-list")
            .await?
            .attr("aria-current")
            .await?
            .as_deref(),
        Some("page")
    );

    // The register filters by kind (and station, dates), with totals.
    b.choose("#filter-kind", "voter_meeting").await?;
    b.until_text("没有符合筛选条件的记录。").await?;
    b.choose("#filter-kind", "home_listening").await?;
    b.choose("#filter-station", "st-zizhuyuan-home").await?;
    let page = b.until_text("共 1 条，接待选民 25 人次").await?;
    assert!(page.contains("选民反映小区门口停车难"), "{page}");
    b.screenshot("phone-b-4-filtered").await?;
    b.click("#filter-clear").await?;
    b.until_value("#filter-kind", "").await?;

    // Campaign progress, reached from home: the 2022 home-listening campaign.
    b.click("#tab-home").await?;
    b.click("#home-campaigns").await?;
    // Only the station this phone holds the records of: no row of zeros for the five
    // other stations, whose records it never receives.
    let page = b.until_text("0/1 个站点已开展").await?;
    assert!(page.contains("回家站听意见"), "{page}");
    assert!(page.contains("紫竹院街道人大代表之家"), "{page}");
    assert!(!page.contains("苏家坨"), "{page}");
    b.screenshot("phone-b-5-campaigns").await?;
    b.click("#tab-list").await?;

    // The same screens at desktop size: side navigation instead of the bottom tab bar.
    b.c.set_window_size(1280, 800).await?;
    b.until_text("接待选民 25 人").await?;
    b.screenshot("desktop-b-list").await?;
    // Home, the form and the opinions at desktop size: side navigation, wider content.
    b.click("#tab-home").await?;
    b.find("#rhythm").await?;
    b.screenshot("desktop-b-home").await?;
    b.click("#tab-new").await?;
    b.find("#summary").await?;
    let nav =
        b.c.execute(
            "const r = document.querySelector('nav.tabs').getBoundingClientRect();
             return r.height > r.width;",
            vec![],
        )
        .await?;
    assert_eq!(nav, json!(true), "a side navigation");
    b.screenshot("desktop-b-form").await?;
    b.click("#tab-opinions").await?;
    b.until_text("还没有意见建议").await?;
    // Signing out leads back to the sign-in screen.
    b.click("#tab-sync").await?;
    b.click("#sign-out").await?;
    b.until_text("账号由区人大常委会办公室开通").await?;
    b.close().await?;
    drop(desktop);
    server.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_shows_chinese_errors_and_saves_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = server(dir.path()).await;
    let desktop = Desktop::start()?;
    let data_dir = dir.path().join("device");
    let app = station_phone(&desktop, dir.path(), &server).await?;
    app.open_form().await?;
    app.click("#station option[value='st-zizhuyuan-home']")
        .await?;
    app.click("input[name='deputy'][value='dep-003']").await?;

    // A negative count.
    app.find("#voters").await?.send_keys("-3").await?;
    app.fill("#summary", "老年人就医难").await?;
    app.click("#save").await?;
    app.until_text("接待选民人数不能为负数。").await?;
    app.until_text("请修改标红的内容后再保存").await?;
    app.screenshot("phone-bad-1-negative").await?;
    // Dates in the webview follow the app's language, not the system's C locale: the
    // date field reads year/month/day and its calendar is Chinese.
    let locale = app
        .c
        .execute(
            "return new Intl.DateTimeFormat().resolvedOptions().locale;",
            vec![],
        )
        .await?;
    assert!(
        locale.as_str().is_some_and(|l| l.starts_with("zh")),
        "the webview's locale: {locale}"
    );

    // The desktop's calendar closes once a day is chosen: the date field lets go of its
    // focus when its day changes within its month with no key pressed (a click in the
    // calendar), and keeps it while the calendar pages through months or a date is typed.
    // `opened`: a press on the field (its calendar opens); `keyed`: a key pressed in it.
    let picked = |opened: bool, keyed: bool, value: &str| {
        let (c, value) = (app.c.clone(), value.to_owned());
        async move {
            c.execute(
                "const f = document.getElementById('date');
                 f.focus();
                 if (arguments[0]) f.dispatchEvent(new MouseEvent('mousedown', {bubbles: true}));
                 if (arguments[1]) f.dispatchEvent(new KeyboardEvent('keydown', {bubbles: true}));
                 f.value = arguments[2];
                 f.dispatchEvent(new Event('input', {bubbles: true}));",
                vec![json!(opened), json!(keyed), json!(value)],
            )
            .await?;
            // The field lets go after the event, not during it.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let focused = c
                .execute(
                    "return document.activeElement === document.getElementById('date');",
                    vec![],
                )
                .await?;
            anyhow::Ok(focused)
        }
    };
    let this_month = chrono::Local::now().date_naive().with_day(1).unwrap();
    let last_month = this_month - chrono::Months::new(1);
    assert_eq!(
        picked(true, false, &last_month.to_string()).await?,
        json!(true),
        "paging to last month keeps the calendar"
    );
    assert_eq!(
        picked(
            false,
            false,
            &(last_month + chrono::Days::new(1)).to_string()
        )
        .await?,
        json!(false),
        "a day chosen closes it"
    );
    assert_eq!(
        picked(true, true, &(last_month + chrono::Days::new(2)).to_string()).await?,
        json!(true),
        "a typed day keeps the field"
    );

    // An empty count, a date three days ahead, an over-long summary: all named at once.
    let future = (chrono::Local::now().date_naive() + chrono::Days::new(3)).to_string();
    app.fill("#date", &future).await?;
    app.fill("#voters", "").await?;
    app.fill("#summary", &"长".repeat(501)).await?;
    app.click("#save").await?;
    let page = app.until_text("日期不能晚于明天。").await?;
    assert!(page.contains("请填写接待选民人数。"), "{page}");
    assert!(page.contains("内容摘要不能超过500字。"), "{page}");
    // What was typed is still there to correct.
    assert_eq!(
        app.find("#date").await?.prop("value").await?,
        Some(future.clone())
    );
    app.screenshot("phone-bad-2-several").await?;

    app.click("#tab-list").await?;
    app.until_text("还没有记录").await?;
    app.close().await?;

    // Closing the app mid-form lost nothing: the draft comes back, still unsaved.
    let app = desktop.open_app(&data_dir, &server.url()).await?;
    app.open_form().await?;
    app.until_value("#summary", &"长".repeat(501)).await?;
    app.until_value("#date", &future).await?;
    assert!(
        app.find("input[name='deputy'][value='dep-003']")
            .await?
            .is_selected()
            .await?
    );
    app.screenshot("phone-bad-3-draft-restored").await?;
    app.close().await?;
    drop(desktop);

    // Nothing reached the device's store.
    let key = shared::StoreKey::load_or_create(&data_dir)?;
    let store = shared::Store::open(&data_dir.join("jiazhan.db"), &key)?;
    assert!(
        store
            .list_activities(&shared::ActivityFilter::default())?
            .is_empty()
    );
    assert_eq!(store.pending_records()?, 0);
    server.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opinion_keeps_a_phone_number_only_with_consent() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = server(dir.path()).await;
    let desktop = Desktop::start()?;
    let app = station_phone(&desktop, dir.path(), &server).await?;
    app.click("#tab-opinions").await?;
    app.until_text("还没有意见建议").await?;
    app.click("#opinion-new").await?;
    app.find("#opinion-station option[value='st-zizhuyuan-home']")
        .await?;
    // 取消 with something typed asks first; 继续填写 keeps what was typed.
    app.fill("#opinion-content", "小区门口没有公交站").await?;
    app.click(".form-cancel").await?;
    app.until_text("已填写的内容还没有保存").await?;
    app.click("#discard-no").await?;
    app.until_value("#opinion-content", "小区门口没有公交站")
        .await?;
    app.click("input[name='category'][value='traffic']").await?;
    app.click("input[name='category'][value='elderly_care']")
        .await?;
    app.fill("#opinion-content", "小区门口没有公交站，老人去医院不方便")
        .await?;
    app.fill("#voter-phone", "13800138000").await?;
    app.click("#opinion-save").await?;
    app.until_text("须先征得选民同意").await?;
    app.screenshot("phone-opinion-1-consent").await?;

    app.click("#consent").await?;
    app.click("#opinion-save").await?;
    let page = app.until_text("小区门口没有公交站").await?;
    assert!(page.contains("登记"), "{page}");
    assert!(page.contains("交通出行、养老服务"), "{page}");
    assert!(
        !page.contains("13800138000"),
        "the list shows no phone number: {page}"
    );
    // The save says so, and the new opinion is marked where it is.
    app.until_text("意见已保存").await?;
    app.find("#opinion-list li.record.just-saved").await?;
    app.until_in("#opinion-totals", "共 1 条", WAIT).await?;
    app.screenshot("phone-opinion-2-list").await?;
    // A second one typed and thrown away after the question: nothing saved.
    app.click("#opinion-new").await?;
    app.fill("#opinion-content", "不要的意见").await?;
    app.click(".form-cancel").await?;
    app.click("#discard-yes").await?;
    app.until_none("#opinion-content").await?;
    // The list's own search and choices.
    app.fill("#opinion-search", "路灯").await?;
    app.until_text("没有符合筛选条件的记录").await?;
    app.until_in("#opinion-totals", "共 0 条", WAIT).await?;
    app.fill("#opinion-search", "公交").await?;
    app.until_in("#opinion-totals", "共 1 条", WAIT).await?;
    app.choose("#opinion-category", "housing").await?;
    app.until_in("#opinion-totals", "共 0 条", WAIT).await?;
    app.choose("#opinion-category", "traffic").await?;
    app.choose("#opinion-status", "recorded").await?;
    app.until_in("#opinion-totals", "共 1 条", WAIT).await?;
    app.fill("#opinion-search", "").await?;
    app.choose("#opinion-category", "").await?;
    app.choose("#opinion-status", "").await?;

    // Its handling: refer it to a department with a deadline, then feed back to the voter.
    app.click("#opinion-list li.record button.link").await?;
    app.until_text("意见办理进程").await?;
    app.click("#refer").await?;
    app.until_text("请选择承办单位。").await?;
    app.click("#department option[value='dept-traffic']")
        .await?;
    let deadline = (chrono::Local::now().date_naive() + chrono::Days::new(30)).to_string();
    app.fill("#deadline", &deadline).await?;
    app.click("#refer").await?;
    // (The department's name is also in the choice itself: wait for the step.)
    let page = app.until_text("已交办").await?;
    assert!(page.contains("区交通委"), "{page}");
    app.fill("#feedback", "已电话告知选民：交办区交通委，一个月内答复")
        .await?;
    app.choose("#satisfaction", "basically_satisfied").await?;
    app.click("#feedback-save").await?;
    let page = app.until_text("已反馈").await?;
    assert!(page.contains("基本满意"), "{page}");
    app.screenshot("phone-opinion-3-timeline").await?;
    app.close().await?;
    drop(desktop);

    // Stored with its consent, encrypted; the list reads it back from the projection.
    let data_dir = dir.path().join("device");
    let key = shared::StoreKey::load_or_create(&data_dir)?;
    let store = shared::Store::open(&data_dir.join("jiazhan.db"), &key)?;
    let rows = store.list_opinions(&shared::OpinionFilter::default(), shared::local_today())?;
    assert_eq!(rows.len(), 1);
    let opinion = store.opinion(&rows[0].id)?;
    assert!(opinion.consent);
    assert_eq!(opinion.voter_phone, "13800138000");
    server.shutdown().await?;
    Ok(())
}

/// An opinion a voter sent from the station's public page reaches the station's phone
/// marked 线上, with the voter's name and phone; the station withdraws consent on the
/// voter's behalf after a confirmation, and the details are erased on the server with
/// the next sync. The station's poster shows and saves as a PDF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_opinion_arrives_marked_and_consent_is_withdrawn_for_the_voter() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = sync_server::start(Config {
        demo: true,
        public: sync_server::public::PublicConfig {
            url: Some("https://jzt.example.cn".into()),
            ..Default::default()
        },
        ..Config::new(dir.path().join("server.db"), "127.0.0.1:0".parse()?)
    })
    .await?;
    account(
        &server,
        "zhan-a",
        "郑晓燕",
        Role::StationStaff,
        "st-zizhuyuan-home",
        None,
    );
    let voter = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .post(format!("{}/s/st-zizhuyuan-home", server.url()))
        .form(&[
            ("content", "紫竹院公园北门夜里路灯不亮"),
            ("category", "traffic"),
            ("name", "赵阿姨"),
            ("phone", "13611112222"),
            ("consent", "1"),
        ])
        .send()
        .await?;
    assert_eq!(voter.status().as_u16(), 303);

    let desktop = Desktop::start()?;
    // Files are handed over like every export: here into a folder, without the dialog.
    let exports = dir.path().join("exports");
    let app = desktop
        .open_app_with(
            &dir.path().join("device"),
            &server.url(),
            &["--export-dir", &exports.display().to_string()],
        )
        .await?;
    app.sign_in("zhan-a", PASSWORD).await?;
    app.click("#tab-sync").await?;
    app.click("#sync-now").await?;
    app.click("#tab-opinions").await?;
    let page = app.until_text("紫竹院公园北门夜里路灯不亮").await?;
    assert!(page.contains("线上"), "{page}");
    assert!(
        !page.contains("13611112222"),
        "the list shows no phone: {page}"
    );
    app.screenshot("phone-online-1-list").await?;
    app.click("#opinion-list li.record button.link").await?;
    let page = app.until_text("选民联系方式").await?;
    assert!(
        page.contains("赵阿姨") && page.contains("13611112222"),
        "{page}"
    );
    // A red link, not red text on a red button (it is a `button.link.danger`).
    let withdraw = app.find("#withdraw-consent").await?;
    let (fg, bg) = (
        withdraw.css_value("color").await?,
        withdraw.css_value("background-color").await?,
    );
    assert!(
        bg == "rgba(0, 0, 0, 0)" || bg == "transparent",
        "the link has no background of its own: text {fg} on {bg}"
    );
    app.click("#withdraw-consent").await?;
    app.until_text("确定撤回吗").await?;
    app.screenshot("phone-online-2-withdraw").await?;
    app.click("#withdraw-yes").await?;
    let page = app.until_text("选民已撤回同意").await?;
    assert!(!page.contains("13611112222"), "{page}");
    app.screenshot("phone-online-3-withdrawn").await?;
    // The erasure goes with the next sync (the background one after saving, or this).
    app.click("#tab-sync").await?;
    app.click("#sync-now").await?;
    let deadline = Instant::now() + WAIT;
    loop {
        let erased: bool = rusqlite::Connection::open(dir.path().join("server.db"))?.query_row(
            "SELECT key IS NULL FROM record_keys",
            [],
            |r| r.get(0),
        )?;
        if erased {
            break;
        }
        if Instant::now() > deadline {
            bail!("the server still holds the key");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The station's poster, from home.
    app.click("#tab-home").await?;
    app.click("#home-poster").await?;
    app.find("#poster-image").await?;
    // Drawn, not just placed: the A4 poster at 150 dpi.
    let deadline = Instant::now() + WAIT;
    loop {
        let width = app
            .c
            .execute(
                "const i = document.querySelector('#poster-image');
                 return i && i.complete ? i.naturalWidth : 0;",
                vec![],
            )
            .await?
            .as_u64()
            .unwrap_or(0);
        if width == 1240 {
            break;
        }
        if Instant::now() > deadline {
            bail!("the poster was never drawn (width {width})");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.screenshot("phone-poster").await?;
    app.click("#poster-save-pdf").await?;
    app.until_text("已保存到").await?;
    let message = app.find("#poster-message").await?.text().await?;
    let path = message
        .trim()
        .strip_prefix("已保存到")
        .with_context(|| format!("no saved path in {message:?}"))?
        .trim()
        .to_owned();
    let pdf = std::fs::read(&path)?;
    std::fs::remove_file(&path)?;
    assert!(pdf.starts_with(b"%PDF"), "{path}");
    assert!(path.contains("二维码海报"), "{path}");
    assert!(Path::new(&path).starts_with(&exports), "{path}");
    app.close().await?;
    server.shutdown().await?;
    Ok(())
}

/// A department's phone: the opinion a station referred arrives in its inbox (without
/// the voter's phone), its answer is refused until it says something, and the station
/// sees the opinion answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_answers_an_opinion_referred_to_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = server(dir.path()).await;
    account(
        &server,
        "jiaotong",
        "区交通委",
        Role::Department,
        "dept-traffic",
        None,
    );
    // The station records and refers an opinion on a phone without the UI (the same core).
    let station = std::sync::Mutex::new(shared::Store::open(
        &dir.path().join("station.db"),
        &shared::StoreKey::generate()?,
    )?);
    let client = shared::SyncClient::new(false)?;
    client
        .sign_in(&station, &server.url(), "zhan-a", PASSWORD, "station")
        .await?;
    client.sync(&station).await?;
    let today = shared::local_today();
    let opinion = station.lock().unwrap().create_opinion(
        &shared::OpinionInput {
            station_id: "st-zizhuyuan-home".into(),
            date: today.to_string(),
            categories: vec![shared::OpinionCategory::Traffic],
            content: "公交站台没有遮雨棚，老人等车淋雨".into(),
            voter_phone: "13800138000".into(),
            consent: true,
            ..shared::OpinionInput::default()
        },
        today,
    )?;
    station.lock().unwrap().refer_opinion(
        &shared::ReferralInput {
            opinion_id: opinion.clone(),
            department_id: "dept-traffic".into(),
            deadline: (today + chrono::Days::new(30)).to_string(),
            note: "请一个月内答复".into(),
            ..shared::ReferralInput::default()
        },
        today,
    )?;
    client.sync(&station).await?;

    let desktop = Desktop::start()?;
    let app = desktop
        .open_app(&dir.path().join("department"), &server.url())
        .await?;
    app.find("#server-address").await?;
    app.fill("#username", "jiaotong").await?;
    app.fill("#password", PASSWORD).await?;
    app.click("#sign-in").await?;
    // A department has its inbox and sync, nothing to record.
    app.find("#tab-inbox").await?;
    let page = app.until_text("公交站台没有遮雨棚").await?;
    assert!(page.contains("紫竹院街道人大代表之家"), "{page}");
    assert!(page.contains("请一个月内答复"), "{page}");
    assert!(page.contains("已交办"), "{page}");
    assert!(!page.contains("13800138000"), "no voter details: {page}");
    assert!(!page.contains("登记活动"), "{page}");
    assert_eq!(app.text_of("#inbox-totals").await?, "共 1 条");
    app.screenshot("phone-department-1-inbox").await?;
    // Searching: words it does not hold leave nothing; its own words find it.
    app.fill("#inbox-search", "路灯").await?;
    app.until_text("没有符合条件的意见。").await?;
    app.fill("#inbox-search", "遮雨棚").await?;
    app.until_text("公交站台没有遮雨棚").await?;

    app.click("#inbox li.record button.answer-open").await?;
    app.click("#answer-save").await?;
    app.until_text("已答复时请填写答复内容。").await?;
    app.fill("#answer-text", "已安排在该站台加装遮雨棚，12月底前完工")
        .await?;
    app.click("#answer-save").await?;
    // Answered, it leaves the referrals waiting for an answer, and the screen says so.
    app.until_in("#inbox-saved", "已保存对“公交站台没有遮雨棚", WAIT)
        .await?;
    app.until_text("没有符合条件的意见。").await?;
    app.choose("#inbox-show", "answered").await?;
    let page = app.until_text("答复内容：已安排在该站台加装遮雨棚").await?;
    assert!(page.contains("已答复"), "{page}");
    app.screenshot("phone-department-2-answered").await?;
    app.click("#tab-sync").await?;
    app.click("#sync-now").await?;
    app.until_text("同步完成").await?;
    assert_eq!(app.find("#pending-records").await?.text().await?, "0");
    app.close().await?;
    drop(desktop);

    // The station's phone sees the answer.
    client.sync(&station).await?;
    let status = station
        .lock()
        .unwrap()
        .opinion_timeline(&opinion)?
        .last()
        .map(|s| s.status);
    assert_eq!(status, Some(shared::OpinionStatus::Answered));
    server.shutdown().await?;
    Ok(())
}

/// A 2×2 PNG: red, green, blue and white.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
    0x73, 0x00, 0x00, 0x00, 0x12, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xc0,
    0x00, 0xc2, 0x0c, 0xff, 0x81, 0x00, 0x00, 0x1f, 0xee, 0x05, 0xfb, 0x0b, 0xd9, 0x68, 0x8b, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A photo chosen with the meeting is refused when too large, kept when fine, uploaded
/// with the next sync, and shown on another phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_chosen_on_one_phone_is_seen_on_another() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = server(dir.path()).await;
    let desktop = Desktop::start()?;
    // A deputy's own phone: the form starts with "me" ticked.
    account(
        &server,
        "wang-jianhua",
        "王建华",
        Role::Deputy,
        "st-zizhuyuan-home",
        Some("dep-001"),
    );
    let a = desktop
        .open_app(&dir.path().join("device-a"), &server.url())
        .await?;
    a.sign_in("wang-jianhua", PASSWORD).await?;
    a.open_form().await?;
    let me = a.find("input[name='deputy'][value='dep-001']").await?;
    let deadline = Instant::now() + WAIT;
    while !me.is_selected().await? {
        if Instant::now() > deadline {
            bail!("the deputy's own box was never ticked");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Voters counted at the door with the quick buttons: 5 + 1 + 1 + 1.
    for button in [
        "#voters-plus-5",
        "#voters-plus-1",
        "#voters-plus-1",
        "#voters-plus-1",
    ] {
        a.click(button).await?;
    }
    a.until_value("#voters", "8").await?;
    a.fill("#summary", "现场查看小区积水点").await?;
    // Too large, and not a photo: refused when chosen, in Chinese, nothing kept.
    let mut huge = vec![0u8; 10 * 1024 * 1024 + 1];
    huge[..3].copy_from_slice(&[0xff, 0xd8, 0xff]);
    a.choose_file("#photo-input", "huge.jpg", &huge).await?;
    a.until_text("照片不能超过10MB").await?;
    // A large photo just under the limit goes through (and can be taken off again).
    let mut large = vec![0u8; 9 * 1024 * 1024];
    large[..3].copy_from_slice(&[0xff, 0xd8, 0xff]);
    a.choose_file("#photo-input", "large.jpg", &large).await?;
    a.find("#photos li").await?;
    a.click("#photos li button.remove-photo").await?;
    a.until_none("#photos li").await?;
    a.choose_file("#photo-input", "notes.pdf", b"%PDF-1.7")
        .await?;
    a.until_text("照片无法识别").await?;
    a.until_none("#photos img").await?;
    a.choose_file("#photo-input", "water.png", PNG).await?;
    a.find("#photos img.photo").await?;
    a.screenshot("phone-photo-1-chosen").await?;
    a.click("#save").await?;
    a.until_text("现场查看小区积水点").await?;
    a.click("#tab-sync").await?;
    a.click("#sync-now").await?;
    a.until_text("同步完成").await?;
    a.close().await?;

    let b = desktop
        .open_app(&dir.path().join("device-b"), &server.url())
        .await?;
    b.sign_in("zhan-b", PASSWORD).await?;
    b.click("#tab-list").await?;
    b.until_text("现场查看小区积水点").await?;
    b.click("li.record button.link").await?;
    // Downloaded from the server and drawn: a real image, 2 pixels wide.
    let img = b.find("#photos img.photo").await?;
    let deadline = Instant::now() + WAIT;
    loop {
        let width =
            b.c.execute(
                "return arguments[0].naturalWidth;",
                vec![serde_json::to_value(&img)?],
            )
            .await?;
        if width == json!(2) {
            break;
        }
        if Instant::now() > deadline {
            bail!("the photo never drew: naturalWidth {width}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.c.execute(
        "document.getElementById('photos').scrollIntoView({block: 'center'})",
        vec![],
    )
    .await?;
    b.screenshot("phone-photo-2-on-another-phone").await?;
    b.close().await?;
    drop(desktop);
    server.shutdown().await?;
    Ok(())
}

/// Settings: English instead of Chinese, at once and after the app is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_speaks_english_when_asked_and_remembers() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = server(dir.path()).await;
    let desktop = Desktop::start()?;
    let data_dir = dir.path().join("device");
    let app = station_phone(&desktop, dir.path(), &server).await?;
    app.click("#open-settings").await?;
    let page = app.until_text("语言").await?;
    assert!(page.contains("郑晓燕（站点工作人员）"), "{page}");
    app.click("#language input[value='en']").await?;
    let page = app.until_text("Register").await?;
    assert!(
        page.contains("Monthly station visit") || page.contains("Home"),
        "{page}"
    );
    assert!(!page.contains("登记簿"), "{page}");
    app.screenshot("phone-settings-1-english-home").await?;
    app.close().await?;

    // Closed and opened again: still English; a refusal too.
    let app = desktop.open_app(&data_dir, &server.url()).await?;
    app.until_text("Register").await?;
    app.open_form().await?;
    app.click("#save").await?;
    let page = app.until_text("Please").await?;
    assert!(!page.contains("请"), "no Chinese left: {page}");
    app.screenshot("phone-settings-2-english-errors").await?;
    // And back to Chinese.
    app.click("#open-settings").await?;
    app.click("#language input[value='zh-CN']").await?;
    app.until_text("登记簿").await?;
    app.close().await?;
    drop(desktop);
    server.shutdown().await?;
    Ok(())
}

/// A stack of paper consultation forms, entered one after another on one article.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_consultation_forms_are_entered_one_after_another() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = server(dir.path()).await;
    let desktop = Desktop::start()?;
    let app = station_phone(&desktop, dir.path(), &server).await?;
    app.click("#home-consultation").await?;
    app.until_text("北京市接诉即办条例(草案)").await?;
    app.click("#articles li[data-article='art-1'] button")
        .await?;
    app.until_text("第1条").await?;
    // An empty form is refused next to the field.
    app.click("#bulk-save").await?;
    app.until_text("请填写意见内容。").await?;
    for (i, text) in ["建议明确诉求办理时限", "建议增加对诉求人的回访"]
        .iter()
        .enumerate()
    {
        app.fill("#bulk-content", text).await?;
        app.click("#bulk-save").await?;
        app.until_text(&format!("本次已录入 {} 份", i + 1)).await?;
        // Only the text clears; the article stays chosen for the next form.
        app.until_value("#bulk-content", "").await?;
        app.until_text(&format!("{} 条意见", i + 1)).await?;
    }
    let article = app.find("#articles li[data-article='art-1']").await?;
    assert!(article.text().await?.contains("2 条意见"));
    app.screenshot("phone-consultation").await?;
    app.click("#tab-opinions").await?;
    let page = app.until_text("建议增加对诉求人的回访").await?;
    assert!(page.contains("建议明确诉求办理时限"), "{page}");
    assert!(page.contains("立法"), "{page}");
    // A third form half typed when the app is closed comes back, article and all.
    app.click("#tab-home").await?;
    app.click("#home-consultation").await?;
    app.click("#articles li[data-article='art-2'] button")
        .await?;
    app.until_text("第2条").await?;
    app.fill("#bulk-content", "建议对").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.close().await?;
    let app = desktop
        .open_app(&dir.path().join("device"), &server.url())
        .await?;
    app.click("#home-consultation").await?;
    app.until_value("#bulk-content", "建议对").await?;
    let chosen = app.find("#articles li.chosen").await?;
    assert_eq!(chosen.attr("data-article").await?.as_deref(), Some("art-2"));
    app.close().await?;
    drop(desktop);
    server.shutdown().await?;
    Ok(())
}

/// A newcomer signs in: the README's run command makes one demo account of every role
/// (`jiazhan-sync-server demo-accounts`, through the same library functions) and prints
/// them; each printed account signs in and reaches its role's first screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_signs_in_with_each_printed_demo_account() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("server.db");
    let server = sync_server::start(Config {
        demo: true,
        ..Config::new(db.clone(), "127.0.0.1:0".parse()?)
    })
    .await?;
    let file = sync_server::demo::default_file(&db);
    let printed = sync_server::demo::table(&sync_server::demo::ensure_demo_accounts(
        &server.storage,
        &file,
    )?);
    // Run again, the same passwords; kept where only the owner reads them.
    let again = sync_server::demo::table(&sync_server::demo::ensure_demo_accounts(
        &server.storage,
        &file,
    )?);
    assert_eq!(printed, again);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&file)?.permissions().mode() & 0o777,
            0o600
        );
    }
    let rows: Vec<Vec<&str>> = printed
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    let mut roles: Vec<&str> = rows.iter().map(|r| r[2]).collect();
    roles.sort_unstable();
    let mut all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    all.sort_unstable();
    assert_eq!(roles, all, "one account of every role:\n{printed}");

    let desktop = Desktop::start()?;
    for row in &rows {
        let (username, password, role) = (row[0], row[1], row[2]);
        let app = desktop
            .open_app(&dir.path().join(username), &server.url())
            .await?;
        app.find("#server-address").await?;
        app.fill("#username", username).await?;
        app.fill("#password", password).await?;
        app.click("#sign-in").await?;
        // The role's first screen: a department's inbox, the district's register, home.
        let first = match role {
            "department" => "#tab-inbox",
            "district_admin" => "#tab-list",
            _ => "#tab-home",
        };
        let tab = app.find(first).await?;
        let deadline = Instant::now() + WAIT;
        while tab.attr("aria-current").await?.as_deref() != Some("page") {
            if Instant::now() > deadline {
                bail!("{username} ({role}) did not start at {first}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if first == "#tab-home" {
            app.find("#home").await?;
        }
        app.screenshot(&format!("phone-demo-{role}")).await?;
        if role == "subdistrict_coordinator" {
            // A street's coordinator has the statistics as a tab, and one station's
            // figures a choice away.
            app.click("#tab-stats").await?;
            app.find("#stats-station option:nth-child(2)").await?;
            let second = app
                .c
                .execute(
                    "const o = document.querySelector('#stats-station option:nth-child(2)');
                     return [o.value, o.textContent];",
                    vec![],
                )
                .await?;
            let (value, name) = (
                second[0].as_str().unwrap_or_default().to_owned(),
                second[1].as_str().unwrap_or_default().to_owned(),
            );
            app.choose("#stats-station", &value).await?;
            app.until_in("#stats-scope", &name, WAIT).await?;
            app.screenshot("phone-coordinator-stats-station").await?;
        }
        app.close().await?;
    }
    drop(desktop);
    server.shutdown().await?;
    Ok(())
}

/// The district office reports on the generated Haidian year: the report's campaign
/// figures come out exactly on the statistics screen, a figure opens its records, the
/// statistics export as a workbook; a deputy opens their duty record, edits and saves the
/// yearly report and exports it as a PDF; a suggestion is formed from an opinion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_district_office_reports_on_the_generated_year() -> Result<()> {
    use calamine::{Data, DataType as _, Reader as _};
    use shared::demo::haidian;
    let dir = tempfile::tempdir()?;
    let server = sync_server::start(Config::new(
        dir.path().join("server.db"),
        "127.0.0.1:0".parse()?,
    ))
    .await?;
    let loaded = sync_server::demo::load_demo(&server.storage)?;
    assert!(loaded.documents > 0, "{loaded:?}");
    server.storage.create_account(
        &sync_server::NewAccount {
            username: "qu-admin".into(),
            display_name: "区人大常委会办公室".into(),
            role: Role::DistrictAdmin,
            scope_id: None,
            deputy_id: None,
        },
        PASSWORD,
    )?;
    account(
        &server,
        "wang-jianhua",
        "王建华",
        Role::Deputy,
        "st-zizhuyuan-home",
        Some("dep-001"),
    );
    let district = haidian::directory();
    let campaign = |kind: shared::ActivityKind| {
        district
            .campaigns
            .iter()
            .find(|c| c.activity_kind == kind)
            .map(|c| c.id.clone())
            .unwrap()
    };

    let desktop = Desktop::start()?;
    let exports = dir.path().join("exports");
    let exports_arg = exports.display().to_string();
    let admin = desktop
        .open_app_with(
            &dir.path().join("admin"),
            &server.url(),
            &["--export-dir", &exports_arg],
        )
        .await?;
    admin.c.set_window_size(1280, 900).await?;
    admin.sign_in("qu-admin", PASSWORD).await?;
    admin.click("#tab-stats").await?;
    // The whole district arrives with the first sync; the year shown is its year.
    admin
        .until_in("#stats-scope", "2022", Duration::from_secs(240))
        .await?;
    // 进站见选民, January: 330 deputies received 4,655 voters.
    admin.choose("#stats-period", "campaign").await?;
    admin
        .choose(
            "#stats-campaign",
            &campaign(shared::ActivityKind::VoterMeeting),
        )
        .await?;
    admin
        .until_in("#stats-figure-deputies .count", "330", WAIT)
        .await?;
    assert_eq!(admin.text_of("#stats-figure-voters .count").await?, "4,655");
    admin
        .screenshot("desktop-stats-voter-meeting-campaign")
        .await?;
    // 回家站听意见: 363 deputies in 25 streets and towns.
    admin
        .choose(
            "#stats-campaign",
            &campaign(shared::ActivityKind::HomeListening),
        )
        .await?;
    admin
        .until_in("#stats-figure-deputies .count", "363", WAIT)
        .await?;
    // The legislative consultation: 257 / 1,375 / 1,412 attendances, 21,936 citizens,
    // 1,472 opinions.
    admin.choose("#stats-period", "draft").await?;
    admin.choose("#stats-draft", &district.drafts[0].id).await?;
    admin
        .until_in("#stats-figure-opinions .count", "1,472", WAIT)
        .await?;
    assert_eq!(
        admin.text_of("#stats-figure-voters .count").await?,
        "21,936"
    );
    for (part, n) in [("city", "257"), ("district", "1,375"), ("town", "1,412")] {
        let css = format!("#stats-figure-attendances-{part}");
        let text = admin.find(&css).await?.text().await?;
        assert!(text.contains(n), "{css}: {text}");
    }
    admin.screenshot("desktop-stats-consultation").await?;
    // The statistics as a workbook, with the screen's figures.
    admin.click("#stats-export").await?;
    admin
        .until_in("#stats-export-message", ".xlsx", WAIT)
        .await?;
    let saved: Vec<PathBuf> = std::fs::read_dir(&exports)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    assert_eq!(saved.len(), 1, "{saved:?}");
    let name = saved[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.contains("接诉即办"),
        "a name that says the period: {name}"
    );
    let mut book = calamine::open_workbook_auto(&saved[0])?;
    let totals = book.worksheet_range("总体")?;
    let value = |label: &str| {
        totals
            .rows()
            .find(|r| r.first() == Some(&Data::String(label.into())))
            .and_then(|r| r[1].as_f64())
    };
    assert_eq!(value("意见建议（件）"), Some(1472.0));
    // A figure opens its records: the opinions of the consultation.
    admin.click("#stats-figure-opinions").await?;
    admin.find("#chip-draft").await?;
    // All of them counted, though the list shows the first ones.
    admin
        .until_in("#opinion-totals", "共 1,472 条", WAIT)
        .await?;
    admin.screenshot("desktop-opinions-from-statistics").await?;
    // Back: the statistics of the same period, not the screen's first choice.
    admin.c.back().await?;
    admin
        .until_in("#stats-figure-opinions .count", "1,472", WAIT)
        .await?;
    // At phone size, the year by street and town.
    admin.c.set_window_size(PHONE.0, PHONE.1).await?;
    admin.click("#tab-stats").await?;
    admin.choose("#stats-period", "year").await?;
    admin.find("#stats-chart-places").await?;
    admin.screenshot("phone-stats-year").await?;
    // One street: its stations' bars, each under its whole name.
    let street = admin
        .c
        .execute(
            "return document.querySelector('#stats-subdistrict option:nth-child(2)').value;",
            vec![],
        )
        .await?;
    admin
        .choose("#stats-subdistrict", street.as_str().unwrap_or_default())
        .await?;
    admin.find("#stats-station").await?;
    admin
        .until_in("#stats-chart-places figcaption", "按站点", WAIT)
        .await?;
    admin
        .c
        .execute(
            "document.getElementById('stats-chart-places').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await?;
    admin.screenshot("phone-stats-street-stations").await?;
    admin.close().await?;

    // A deputy: their duty record, then the yearly report, edited, saved and exported.
    let deputy = desktop
        .open_app_with(
            &dir.path().join("deputy"),
            &server.url(),
            &["--export-dir", &exports_arg],
        )
        .await?;
    deputy.sign_in("wang-jianhua", PASSWORD).await?;
    // A refusal the server gives its reason for shows that reason (this server has no
    // public address for a poster), not "try again later".
    deputy.click("#tab-home").await?;
    deputy.click("#home-poster").await?;
    let page = deputy.until_text("服务器未配置公开网址").await?;
    assert!(!page.contains("稍后重试"), "{page}");
    deputy.screenshot("phone-poster-refused").await?;
    deputy.click("#tab-home").await?;
    deputy.click("#home-my-record").await?;
    deputy.until_in("#duty-name", "王建华", WAIT).await?;
    // Opened on the year of their newest records (the demo's), not on this one.
    deputy.until_in("#duty-year", "2022", WAIT).await?;
    let january = deputy.find("#duty-month-1").await?;
    assert!(
        january
            .attr("class")
            .await?
            .unwrap_or_default()
            .contains("kept"),
        "王建华 met voters in January"
    );
    deputy.screenshot("phone-duty-record").await?;
    deputy.click("#duty-report").await?;
    deputy.until_in("#report-preview", "王建华", WAIT).await?;
    let text = deputy
        .find("#report-text")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert!(text.contains("接待选民"), "drafted from the record: {text}");
    let edited = format!("{text}\n\n全年走访困难群众十户，协调解决小区停车问题。");
    deputy.fill("#report-text", &edited).await?;
    deputy.click("#report-save").await?;
    deputy.until_in("#report-message", "已保存", WAIT).await?;
    deputy.screenshot("phone-year-report").await?;
    deputy.click("#report-pdf").await?;
    deputy
        .until_in("#report-export-message", ".pdf", WAIT)
        .await?;
    let pdf = std::fs::read_dir(&exports)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .context("no PDF saved")?;
    deputy.until_file(&pdf).await?;
    let out = Command::new("pdftotext").arg(&pdf).arg("-").output()?;
    let pdf_text = String::from_utf8_lossy(&out.stdout);
    assert!(pdf_text.contains("全年走访困难群众十户"), "{pdf_text}");
    assert!(pdf_text.contains("紫竹院街道人大代表之家"), "{pdf_text}");
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e-artifacts/year-report-page");
    let status = Command::new("pdftoppm")
        .args(["-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(&page)
        .status()?;
    assert!(status.success());

    // A suggestion formed from an opinion of the station.
    deputy.click("#tab-home").await?;
    deputy.click("#home-suggestions").await?;
    deputy.click("#suggestion-new").await?;
    deputy
        .fill("#suggestion-title", "关于增设社区停车位的建议")
        .await?;
    deputy
        .fill("#suggestion-content", "多位选民反映小区门口停车难。")
        .await?;
    deputy.click("#suggestion-opinions li label").await?;
    // The deputy's own name comes ticked; a colleague joins.
    let me = deputy
        .find("#suggestion-deputies input[value='dep-001']")
        .await?;
    assert_eq!(me.prop("checked").await?.as_deref(), Some("true"));
    deputy
        .click("#suggestion-deputies input[value='dep-002']")
        .await?;
    deputy.screenshot("phone-suggestion-form").await?;
    deputy.click("#suggestion-save").await?;
    if let Err(e) = deputy
        .until_in("#suggestion-list", "关于增设社区停车位的建议", WAIT)
        .await
    {
        bail!("{e}\n\nthe page:\n{}", deputy.page_text().await?);
    }
    deputy.screenshot("phone-suggestions").await?;
    // And a livelihood lead from the same form, without the suggestion's fields.
    deputy.click("#lead-new").await?;
    deputy.find("#lead-title").await?;
    assert!(
        deputy
            .c
            .find_all(Locator::Css("#suggestion-deputies"))
            .await?
            .is_empty(),
        "a lead names no deputies"
    );
    deputy.fill("#lead-title", "停车场改造").await?;
    deputy
        .fill("#lead-content", "建议纳入明年民生实事。")
        .await?;
    deputy.click("#lead-opinions li label").await?;
    deputy.screenshot("phone-lead-form").await?;
    deputy.click("#lead-save").await?;
    if let Err(e) = deputy.until_in("#lead-list", "停车场改造", WAIT).await {
        bail!("{e}\n\nthe page:\n{}", deputy.page_text().await?);
    }
    deputy.close().await?;
    drop(desktop);
    server.shutdown().await?;
    Ok(())
}
