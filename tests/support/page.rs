//! Driving a page of the real app through WebDriver, as a user would: find, click, type,
//! wait for what the screen says, screenshots with an accessibility audit. Shared by the
//! desktop app's suite (tests/e2e.rs, WebKit) and the web app's (tests/webapp.rs,
//! Chromium); included with `#[path]`, not a test target of its own.
// Each suite uses the helpers it needs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::processes::{Process, free_port, tool};

/// How long a screen may take to show what a test waits for.
pub const WAIT: Duration = Duration::from_secs(30);

/// One running app instance.
pub struct App {
    pub c: Client,
}

impl App {
    pub async fn find(&self, css: &str) -> Result<fantoccini::elements::Element> {
        self.c
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element {css}"))
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        let el = self.find(css).await?;
        // In the middle of the screen, clear of the fixed tab bar.
        self.c
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&el)?],
            )
            .await?;
        el.click()
            .await
            .with_context(|| format!("clicking {css}"))?;
        Ok(())
    }

    /// Sets a field's value the way typing would (an `input` event follows).
    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let el = self.find(css).await?;
        self.c
            .execute(
                "arguments[0].value = arguments[1];
                 arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
                vec![serde_json::to_value(&el)?, json!(value)],
            )
            .await?;
        Ok(())
    }

    /// Chooses `value` in the `<select>` at `css` the way a user would (a `change` event
    /// follows), without depending on where the option list pops up.
    pub async fn choose(&self, css: &str, value: &str) -> Result<()> {
        let el = self.find(css).await?;
        self.c
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});
                 arguments[0].value = arguments[1];
                 arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
                vec![serde_json::to_value(&el)?, json!(value)],
            )
            .await?;
        Ok(())
    }

    /// Chooses a file of `bytes` in the file input at `css`, as the phone's picker would.
    pub async fn choose_file(&self, css: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let el = self.find(css).await?;
        self.c
            .execute(
                "const bytes = new Uint8Array(arguments[2]);
                 const files = new DataTransfer();
                 files.items.add(new File([bytes], arguments[1]));
                 arguments[0].files = files.files;
                 arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
                vec![serde_json::to_value(&el)?, json!(name), json!(bytes)],
            )
            .await?;
        Ok(())
    }

    /// The visible text of the whole page.
    pub async fn page_text(&self) -> Result<String> {
        Ok(self.find("body").await?.text().await?)
    }

    /// Waits until the page shows `text`.
    pub async fn until_text(&self, text: &str) -> Result<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            // The page may be drawn anew (a language change starts it over): a node can
            // go stale between finding it and reading it. Ask again.
            let page = match self.page_text().await {
                Ok(page) => page,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if page.contains(text) {
                return Ok(page);
            }
            if Instant::now() > deadline {
                bail!("the page never showed {text:?}; it shows:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until nothing on the page matches `css`.
    pub async fn until_none(&self, css: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            let found = self.c.find_all(Locator::Css(css)).await?.len();
            if found == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{found} elements still match {css}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the field `css` holds `value`.
    pub async fn until_value(&self, css: &str, value: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            let got = self.find(css).await?.prop("value").await?;
            if got.as_deref() == Some(value) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{css} never held {value:?}; it holds {got:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of `css`.
    pub async fn text_of(&self, css: &str) -> Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Waits up to `within` until the text of `css` contains `text`; returns it.
    pub async fn until_in(&self, css: &str, text: &str, within: Duration) -> Result<String> {
        let deadline = Instant::now() + within;
        loop {
            let got = match self.c.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if got.contains(text) {
                return Ok(got);
            }
            if Instant::now() > deadline {
                bail!("{css} never showed {text:?}; it shows {got:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until `path` exists and is not empty.
    pub async fn until_file(&self, path: &Path) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        while std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
            if Instant::now() > deadline {
                bail!("{} was never saved", path.display());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    /// Saves what the screen shows as `e2e-artifacts/{name}.png`, after auditing it for
    /// accessibility ([`App::audit`]): every screen the walk shows is both.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e-artifacts");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.c.screenshot().await?)?;
        self.audit(name, &dir).await?;
        Ok(path)
    }

    /// Runs axe-core (npm, pinned by install.sh) in the page as it is: a violation of
    /// impact serious or critical (contrast, names of buttons and links, labels, the
    /// page's language…) fails, listed with its elements; all it found goes to
    /// `e2e-artifacts/{name}.axe.json`.
    pub async fn audit(&self, name: &str, dir: &Path) -> Result<()> {
        static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let axe = AXE.get_or_init(|| {
            let tools = std::env::var("JIAZHAN_TOOLS").unwrap_or_else(|_| {
                format!(
                    "{}/.cache/jiazhan-tools",
                    std::env::var("HOME").unwrap_or_default()
                )
            });
            let path = format!("{tools}/axe/node_modules/axe-core/axe.min.js");
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{path}: {e} (bash .ci/install.sh installs it)"))
        });
        let loaded = self
            .c
            .execute("return typeof axe !== 'undefined';", vec![])
            .await?;
        if loaded != json!(true) {
            self.c.execute(axe, vec![]).await?;
        }
        let found = self
            .c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(JSON.stringify(r.violations.map(v => ({
                     id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || ''))
                   })))))
                   .catch(e => done(JSON.stringify([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }])));",
                vec![],
            )
            .await?;
        let found: serde_json::Value = serde_json::from_str(found.as_str().unwrap_or("[]"))?;
        std::fs::write(
            dir.join(format!("{name}.axe.json")),
            serde_json::to_string_pretty(&found)?,
        )?;
        let serious: Vec<String> = found
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                format!(
                    "{} ({}): {} — {}",
                    v["id"], v["impact"], v["help"], v["nodes"]
                )
            })
            .collect();
        if !serious.is_empty() && std::env::var_os("JIAZHAN_AXE_REPORT_ONLY").is_none() {
            bail!("accessibility on {name}:\n{}", serious.join("\n"));
        }
        Ok(())
    }

    /// Opens the form once the station directory has arrived.
    pub async fn open_form(&self) -> Result<()> {
        self.click("#tab-new").await?;
        self.find("#station option[value='st-zizhuyuan-home']")
            .await?;
        Ok(())
    }

    /// Signs in on the first screen (the server address comes pre-filled).
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<()> {
        self.find("#server-address").await?;
        self.fill("#username", username).await?;
        self.fill("#password", password).await?;
        self.click("#sign-in").await?;
        self.find("#tab-list").await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.c.close().await?;
        Ok(())
    }
}

/// A headless Chromium (Debian's, through chromedriver) as a 390×844 phone with
/// `user_agent`, set to Chinese, with its browser profile in `profile` (a fresh one
/// without); the driver stops when dropped.
pub async fn chromium_phone(user_agent: &str, profile: Option<&Path>) -> Result<(Client, Process)> {
    let port = free_port();
    let driver = Process(
        std::process::Command::new(tool("chromedriver")?)
            .arg(format!("--port={port}"))
            // A phone set to Chinese: dates in forms as the phone shows them.
            .env("LANG", "zh_CN.UTF-8")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("start chromedriver")?,
    );
    let deadline = Instant::now() + WAIT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("chromedriver did not listen on {port}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--lang=zh-CN".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
    ];
    if let Some(profile) = profile {
        args.push(format!("--user-data-dir={}", profile.display()));
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": tool("chromium")?,
            "args": args,
            "mobileEmulation": {
                "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 2.0 },
                "userAgent": user_agent,
            },
        }),
    );
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(caps);
    let client = builder
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .context("open a Chromium session")?;
    Ok((client, driver))
}

/// A Chrome DevTools command, through chromedriver.
#[derive(Debug)]
struct Cdp(&'static str, serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.0, "params": self.1 });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Runs DevTools command `cmd` with `params` in Chromium's page.
pub async fn devtools(c: &Client, cmd: &'static str, params: serde_json::Value) -> Result<()> {
    c.issue_cmd(Cdp(cmd, params)).await?;
    Ok(())
}
