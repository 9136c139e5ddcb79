//! The voters' pages in a real browser: Chromium (Debian's, headless) through its
//! WebDriver, as a 390×844 phone with WeChat's user agent, against the real server on
//! 127.0.0.1, with a station's device (the app's core: its store file and sync client)
//! and a department's. Screenshots go to `e2e-artifacts/voters-*.png`.
//!
//! Needs `chromium` and `chromium-driver` (apt): the README's test command installs them.

use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result};
use fantoccini::{Client, Locator};
use shared::model::Role;
use shared::{
    AnswerInput, AnswerStatus, FeedbackInput, OpinionFilter, ReferralInput, Store, StoreKey,
    SyncClient, VoterContact,
};
use sync_server::{Config, NewAccount, RunningServer};

#[path = "support/processes.rs"]
mod processes;
use processes::Process;

#[path = "support/page.rs"]
mod page;

#[path = "support/files.rs"]
mod files;
use files::{every_stored_value, holds};

const PASSWORD: &str = "correct horse battery";
const STATION: &str = "st-xibeiwang-yongfeng";
const WAIT: Duration = Duration::from_secs(20);
/// WeChat's in-app browser on Android (Chromium inside), as voters scanning a code use.
const WECHAT: &str = "Mozilla/5.0 (Linux; Android 13; V2196A) AppleWebKit/537.36 \
    (KHTML, like Gecko) Version/4.0 Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.49";

/// A headless Chromium as a 390×844 phone with WeChat's user agent; the driver stops
/// when dropped.
async fn phone() -> Result<(Client, Process)> {
    page::chromium_phone(WECHAT, None).await
}

async fn shot(c: &Client, name: &str) -> Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e-artifacts");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join(format!("voters-{name}.png")),
        c.screenshot().await?,
    )?;
    Ok(())
}

async fn text_of(c: &Client, css: &str) -> Result<String> {
    Ok(c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("no {css}"))?
        .text()
        .await?)
}

fn account(server: &RunningServer, username: &str, role: Role, scope: &str) {
    server
        .storage
        .create_account(
            &NewAccount {
                username: username.into(),
                display_name: username.into(),
                role,
                scope_id: Some(scope.into()),
                deputy_id: None,
            },
            PASSWORD,
        )
        .unwrap();
}

/// A device of `username` with its store at `dir/<username>.db` under `key`.
async fn device(
    dir: &std::path::Path,
    server: &RunningServer,
    username: &str,
    key: [u8; 32],
) -> (Mutex<Store>, SyncClient) {
    let store = Mutex::new(
        Store::open(
            &dir.join(format!("{username}.db")),
            &StoreKey::from_bytes(key),
        )
        .unwrap(),
    );
    let client = SyncClient::new(false).unwrap();
    client
        .sign_in(&store, &server.url(), username, PASSWORD, username)
        .await
        .unwrap();
    client.sync(&store).await.unwrap();
    (store, client)
}

/// A voter on a phone sends an opinion with their name and phone, gets a code, and
/// follows it to the station's feedback; then withdraws consent, and the key to their
/// details is gone from the server's files and the station's store.
#[tokio::test]
async fn a_voter_sends_an_opinion_from_a_phone_and_follows_it_to_the_feedback() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = sync_server::start(Config {
        demo: true,
        ..Config::new(dir.path().join("server.db"), "127.0.0.1:0".parse()?)
    })
    .await?;
    account(&server, "staff", Role::StationStaff, STATION);
    account(&server, "dept", Role::Department, "dept-agriculture");
    let station_key = [9u8; 32];
    let (station, station_sync) = device(dir.path(), &server, "staff", station_key).await;
    let (dept, dept_sync) = device(dir.path(), &server, "dept", [3u8; 32]).await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let (c, _driver) = phone().await?;

    // The station's page, as the QR code opens it.
    c.goto(&format!("{}/s/{STATION}", server.url())).await?;
    let title = text_of(&c, "header.station h1").await?;
    assert!(title.contains("永丰"), "{title}");
    let width: f64 = c
        .execute("return window.innerWidth", vec![])
        .await?
        .as_f64()
        .unwrap_or(0.0);
    assert_eq!(width, 390.0);
    shot(&c, "1-station").await?;

    // Sent without a category: the form says what to fix and keeps what was typed.
    c.find(Locator::Css("#content"))
        .await?
        .send_keys("村口机井坏了，春灌用水紧张，<script>alert('x')</script>")
        .await?;
    c.find(Locator::Css("#name"))
        .await?
        .send_keys("王大爷")
        .await?;
    c.find(Locator::Css("#phone"))
        .await?
        .send_keys("13911112222")
        .await?;
    c.find(Locator::Css("form[method=post] button[type=submit]"))
        .await?
        .click()
        .await?;
    let errors = text_of(&c, ".errors").await?;
    assert!(
        errors.contains("请至少选择一个类别") && errors.contains("请勾选同意"),
        "{errors}"
    );
    let kept = c
        .find(Locator::Css("#content"))
        .await?
        .prop("value")
        .await?;
    assert!(
        kept.unwrap_or_default()
            .contains("<script>alert('x')</script>")
    );
    let alerts: bool = c
        .execute(
            "return document.querySelectorAll('script').length > 0",
            vec![],
        )
        .await?
        .as_bool()
        .unwrap_or(true);
    assert!(!alerts, "the typed script became markup");
    shot(&c, "2-form-errors").await?;

    // The category chip and the consent box, then send.
    c.find(Locator::Css(r#"input[value="agriculture"] + span"#))
        .await?
        .click()
        .await?;
    c.find(Locator::Css(r#"input[name="consent"]"#))
        .await?
        .click()
        .await?;
    shot(&c, "3-form").await?;
    c.find(Locator::Css("form[method=post] button[type=submit]"))
        .await?
        .click()
        .await?;
    let code = text_of(&c, ".thanks .code").await?;
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 16, "{code}");
    assert_eq!(text_of(&c, "dd.now").await?, "已收到");
    shot(&c, "4-code").await?;

    // The station's device gets it, marked online, with the voter's details.
    station_sync.sync(&station).await?;
    let listed = station
        .lock()
        .unwrap()
        .list_opinions(&OpinionFilter::default(), today)?;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].online);
    assert!(listed[0].content.starts_with("村口机井坏了"));
    let id = listed[0].id.clone();
    assert_eq!(
        station.lock().unwrap().voter_contact(&id)?,
        VoterContact::Shown {
            name: "王大爷".into(),
            phone: "13911112222".into()
        }
    );
    // Referred, answered, fed back.
    let referral = station.lock().unwrap().refer_opinion(
        &ReferralInput {
            opinion_id: id.clone(),
            department_id: "dept-agriculture".into(),
            deadline: (today + chrono::Duration::days(15)).to_string(),
            ..ReferralInput::default()
        },
        today,
    )?;
    station_sync.sync(&station).await?;
    dept_sync.sync(&dept).await?;
    dept.lock().unwrap().answer_referral(
        &AnswerInput {
            referral_id: referral,
            status: AnswerStatus::Answered,
            date: today.to_string(),
            text: "镇农业服务中心周一维修".into(),
        },
        today,
    )?;
    dept_sync.sync(&dept).await?;
    station_sync.sync(&station).await?;
    station.lock().unwrap().record_feedback(
        &FeedbackInput {
            opinion_id: id.clone(),
            date: today.to_string(),
            text: "机井已于周一修好，感谢您的反映".into(),
            satisfaction: None,
        },
        today,
    )?;
    station_sync.sync(&station).await?;

    // The voter looks the code up as typed, with spaces.
    c.goto(&format!("{}/s/{STATION}", server.url())).await?;
    let grouped = code
        .as_bytes()
        .chunks(4)
        .map(|g| std::str::from_utf8(g).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    c.find(Locator::Css("#code"))
        .await?
        .send_keys(&grouped)
        .await?;
    c.find(Locator::Css(".lookup button"))
        .await?
        .click()
        .await?;
    assert_eq!(text_of(&c, "dd.now").await?, "已反馈");
    let page = c.source().await?;
    assert!(page.contains("机井已于周一修好，感谢您的反映"));
    assert!(
        !page.contains("镇农业服务中心周一维修"),
        "the department's answer"
    );
    assert!(!page.contains("王大爷") && !page.contains("13911112222"));
    shot(&c, "5-status").await?;

    // Consent withdrawn from the status page.
    let key: Vec<u8> = rusqlite::Connection::open(dir.path().join("server.db"))?.query_row(
        "SELECT key FROM record_keys",
        [],
        |r| r.get(0),
    )?;
    c.find(Locator::Css(r#".withdraw input[name="confirm"]"#))
        .await?
        .click()
        .await?;
    c.find(Locator::Css(".withdraw button"))
        .await?
        .click()
        .await?;
    let flash = text_of(&c, ".flash").await?;
    assert!(flash.contains("已撤回同意"), "{flash}");
    assert!(text_of(&c, ".contact").await?.contains("已删除"));
    shot(&c, "6-withdrawn").await?;

    // Gone from the server's files, and from the device's store after its next sync.
    let server_bytes: Vec<u8> = std::fs::read_dir(dir.path())?
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("server.db"))
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(
        !holds(&server_bytes, &key),
        "the key is in the server's files"
    );
    assert!(!holds(&server_bytes, "王大爷".as_bytes()));
    station_sync.sync(&station).await?;
    assert_eq!(
        station.lock().unwrap().voter_contact(&id)?,
        VoterContact::Erased
    );
    let hex: String = station_key.iter().map(|b| format!("{b:02x}")).collect();
    for v in every_stored_value(&dir.path().join("staff.db"), Some(&hex)) {
        assert!(v != key && !holds(&v, "王大爷".as_bytes()) && !holds(&v, b"13911112222"));
    }
    c.close().await?;
    server.shutdown().await?;
    Ok(())
}
