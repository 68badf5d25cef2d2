//! The e2e harness: the application served on loopback, chromedriver, and
//! one headless Chromium session, each torn down when dropped.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::Utc;
use debrief_core::access::{Scope, UserRole};
use debrief_store::{Ctx, NewUser, Store};
use debrief_web::{AppState, router};
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Mutex, MutexGuard};
use tower::ServiceExt;

/// Every test user's password (long enough, not on the breached list).
pub const PASSWORD: &str = "a perfectly long passphrase";
/// An admin with TOTP enrolled.
pub const ADMIN: &str = "ada";
/// A contributor (creates and edits incidents).
pub const CONTRIBUTOR: &str = "carl";
/// A viewer (reads only).
pub const VIEWER: &str = "vera";
/// The worked example shipped as the demo set.
pub const DEMO_KEY: &str = "INC-2025-1128";

/// One browser at a time: the machines have two cores, and Chromium
/// sessions started side by side make each other time out.
static ONE_BROWSER: LazyLock<Mutex<()>> = LazyLock::new(|| Mutex::new(()));

/// The application under test, served on `127.0.0.1:<random port>`.
pub struct App {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The store behind it, for setting up data directly.
    pub store: Store,
    /// The router, for API calls made in-process.
    pub router: Router,
    /// The admin's TOTP secret, for signing in with the second factor.
    pub admin_totp: debrief_auth::TotpSecret,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl App {
    /// A fresh store with the demo set and users, served on loopback.
    pub async fn start() -> App {
        let store = debrief_store::testing::sqlite_store().await;
        let now = Utc::now();
        let ctx = Ctx::system(now);
        for doc in debrief_core::demo::documents().expect("the demo set parses") {
            store.import(doc, false, &ctx).await.expect("import demo");
        }
        let mut admin_id = None;
        for (name, role) in [
            (ADMIN, UserRole::Admin),
            (CONTRIBUTOR, UserRole::Contributor),
            (VIEWER, UserRole::Viewer),
        ] {
            let user = store
                .create_user(
                    NewUser {
                        name: name.into(),
                        role,
                        password: PASSWORD.into(),
                    },
                    &ctx,
                )
                .await
                .expect("create user");
            if role == UserRole::Admin {
                admin_id = Some(user.id);
            }
        }
        let admin_id = admin_id.expect("admin created");
        let admin_totp = store
            .begin_totp_enrollment(admin_id, &ctx)
            .await
            .expect("begin TOTP enrollment");
        // Confirm with the previous step's code (accepted: one step either
        // side), so the current step's code is still unused at sign-in.
        let earlier = unix(now).saturating_sub(30);
        store
            .confirm_totp(
                admin_id,
                &debrief_auth::totp_code(&admin_totp, earlier),
                &ctx,
            )
            .await
            .expect("confirm TOTP");

        let router = router(AppState::new(store.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let service = router
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, service).await.expect("serve");
        });
        App {
            addr,
            store,
            router,
            admin_totp,
            server,
        }
    }

    /// The absolute URL of `path` on the running service.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The admin's current TOTP code. A code's time step is accepted once,
    /// so the admin signs in at most once per 30 s: once per test.
    pub fn admin_code(&self) -> String {
        debrief_auth::totp_code(&self.admin_totp, unix(Utc::now()))
    }

    /// A bearer token for `user` with `scope`.
    pub async fn token(&self, user: &str, scope: Scope) -> String {
        let (_, secret) = self
            .store
            .create_token(user, "e2e", scope, Some(1), &Ctx::system(Utc::now()))
            .await
            .expect("create token");
        secret.expose().to_owned()
    }

    /// Calls the REST API in-process with a bearer token.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"));
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        let res = self.router.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn unix(t: chrono::DateTime<Utc>) -> u64 {
    u64::try_from(t.timestamp()).unwrap_or(0)
}

/// A running chromedriver, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads a process group of its own, and the browsers it
        // starts join it: ending the group leaves no Chromium behind, even
        // when a failed test never closed its session.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(binary: &str, log: &std::path::Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(binary)
            .process_group(0)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {binary}: {e}"));
        let driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !driver.ready().await {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on port {port} within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }

    /// Whether `GET /status` answers `"ready": true`.
    async fn ready(&self) -> bool {
        let Ok(mut conn) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await else {
            return false;
        };
        let req = "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if conn.write_all(req.as_bytes()).await.is_err() {
            return false;
        }
        // chromedriver may keep the connection open: read what arrives
        // within a second and look for the answer in it.
        let mut reply = Vec::new();
        let mut chunk = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, conn.read(&mut chunk)).await {
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&reply);
            if text.contains("\"ready\":true") || text.contains("\"ready\": true") {
                return true;
            }
        }
        false
    }
}

/// One headless Chromium session, plus where its screenshots go.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    shots: PathBuf,
    test: String,
    profile: PathBuf,
    _driver: Driver,
    _turn: MutexGuard<'static, ()>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The folder screenshots are written to: `DEBRIEF_SCREENSHOTS`, else
/// `screenshots` in `CARGO_TARGET_DIR`, else in the temporary folder.
pub fn screenshot_dir() -> PathBuf {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    var("DEBRIEF_SCREENSHOTS")
        .map(PathBuf::from)
        .or_else(|| var("CARGO_TARGET_DIR").map(|t| PathBuf::from(t).join("screenshots")))
        .unwrap_or_else(|| std::env::temp_dir().join("debrief-screenshots"))
}

/// Starts the application and a browser; `None` (after printing why) when
/// `DEBRIEF_CHROMEDRIVER` is not set.
pub async fn start(test: &str) -> Option<(App, Browser)> {
    let Some(driver_bin) = std::env::var("DEBRIEF_CHROMEDRIVER")
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        println!("skipped: DEBRIEF_CHROMEDRIVER not set");
        return None;
    };
    let chromium = std::env::var("DEBRIEF_CHROMIUM")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "/usr/bin/chromium".to_owned());
    let turn = ONE_BROWSER.lock().await;
    let app = App::start().await;
    let shots = screenshot_dir();
    std::fs::create_dir_all(&shots).expect("create the screenshot folder");
    let driver = Driver::start(&driver_bin, &shots.join(format!("{test}.chromedriver.log"))).await;
    let profile = std::env::temp_dir().join(format!("debrief-e2e-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&profile).expect("create the browser profile folder");
    let mut caps = Capabilities::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    // Leave a dialog open rather than dismiss it, so a test can see that
    // one was opened (an injected `alert` would be a failed test).
    caps.insert("unhandledPromptBehavior".into(), json!("ignore"));
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("start a Chromium session");
    let browser = Browser {
        client,
        shots,
        test: test.to_owned(),
        profile,
        _driver: driver,
        _turn: turn,
    };
    browser.resize(1280, 900).await;
    Some((app, browser))
}

impl Browser {
    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The path of the current page.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current url")
            .path()
            .to_owned()
    }

    /// The visible text of the page.
    pub async fn body_text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("a body")
            .text()
            .await
            .expect("body text")
    }

    /// Runs `script` in the page and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("run {script}: {e}"))
    }

    /// Runs `script` asynchronously: it calls its last argument with the
    /// result.
    pub async fn js_async(&self, script: &str) -> Value {
        self.client
            .execute_async(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("run {script}: {e}"))
    }

    /// Waits (up to 10 s) until the browser is at `path`.
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            if Instant::now() >= deadline {
                self.fail(&format!("the browser stayed at {now}, not {path}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The number of elements matching a CSS selector.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// Waits (up to 10 s) for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => self.fail(&format!("wait for {css}: {e}")).await,
        }
    }

    /// Saves a screenshot of the page as it is (`<test>-FAILED.png`), then
    /// fails the test with `message` and where the browser is.
    pub async fn fail(&self, message: &str) -> ! {
        let at = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        if let Ok(png) = self.client.screenshot().await {
            let path = self.shots.join(format!("{}-FAILED.png", self.test));
            let _ = std::fs::write(&path, png);
            println!("screenshot of the failure: {}", path.display());
        }
        panic!("{message} (at {at})");
    }

    /// Waits (up to 10 s) until the page's text contains `needle`.
    pub async fn wait_for_text(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.body_text().await;
            if text.contains(needle) {
                return;
            }
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "the page never showed {needle:?}; it shows:\n{text}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `value` into the field matching `css` (clearing it first).
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.wait_for(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The text of an open alert/confirm/prompt dialog, if one is open.
    pub async fn open_dialog(&self) -> Option<String> {
        self.client.get_alert_text().await.ok()
    }

    /// Waits (up to 10 s) for a dialog (an `hx-confirm` is a `confirm()`)
    /// and presses its OK button; returns the dialog's text.
    pub async fn accept_dialog(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(text) = self.open_dialog().await {
                self.client
                    .accept_alert()
                    .await
                    .unwrap_or_else(|e| panic!("accept the dialog {text:?}: {e}"));
                return text;
            }
            if Instant::now() >= deadline {
                self.fail("no dialog opened within 10 s").await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (up to 10 s) until `script` (the body of a function) returns
    /// `true`; fails naming `what` and the script's last answer.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // A script run while the next page loads may fail: try again.
            let answer = match self.client.execute(script, vec![]).await {
                Ok(v) => v,
                Err(e) => Value::String(e.to_string()),
            };
            if answer == Value::Bool(true) {
                return;
            }
            if Instant::now() >= deadline {
                self.fail(&format!("{what}: never happened (last answer {answer})"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Marks the page in the document itself; [`Browser::still_same_page`]
    /// then tells whether the browser has loaded another page since (as a
    /// form posted without htmx would).
    pub async fn mark_page(&self) {
        self.js("document.documentElement.dataset.e2eMark = 'kept'; return null")
            .await;
    }

    /// Whether the page marked by [`Browser::mark_page`] is still the one
    /// shown (no full reload or navigation since).
    pub async fn still_same_page(&self) -> bool {
        self.js("return document.documentElement.dataset.e2eMark === 'kept'")
            .await
            == Value::Bool(true)
    }

    /// Clicks the element matching `css` (a button that posts a form) and
    /// waits (up to 10 s) until the browser has loaded the next page, so
    /// what is checked next is not the page the click left.
    pub async fn click_and_wait_for_load(&self, css: &str) {
        self.mark_page().await;
        self.click(css).await;
        self.wait_until(
            &format!("a new page after clicking {css}"),
            "return document.readyState === 'complete' \
                 && document.documentElement.dataset.e2eMark !== 'kept'",
        )
        .await;
    }

    /// Sizes the window so that the page's viewport is `width` x `height`
    /// CSS pixels (the window's own frame is added on top).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
        let inner = self
            .js("return [window.innerWidth, window.innerHeight]")
            .await;
        let px = |i: usize| {
            inner[i]
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0)
        };
        let (w, h) = (px(0), px(1));
        if (w, h) != (width, height) && w > 0 && h > 0 {
            self.client
                .set_window_size(
                    width + width.saturating_sub(w),
                    height + height.saturating_sub(h),
                )
                .await
                .expect("resize the window");
        }
    }

    /// Saves a PNG of the viewport as `<test>-<name>.png` in the screenshot
    /// folder and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("take a screenshot");
        let path = self.shots.join(format!("{}-{name}.png", self.test));
        std::fs::write(&path, png).expect("write the screenshot");
        println!("screenshot: {}", path.display());
        path
    }

    /// Saves a PNG of the whole page, `width` wide (at most 16,000 px
    /// tall), then sizes the window back to `width` x `height`.
    pub async fn screenshot_full_page(&self, name: &str, width: u32, height: u32) -> PathBuf {
        let tall = self
            .js("return document.documentElement.scrollHeight")
            .await
            .as_u64()
            .and_then(|h| u32::try_from(h).ok())
            .unwrap_or(height)
            .clamp(height, 16_000);
        self.resize(width, tall).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let path = self.screenshot(name).await;
        self.resize(width, height).await;
        path
    }

    /// Ends the browser session (chromedriver and the profile go on drop).
    pub async fn finish(self) {
        let _ = self.client.clone().close().await;
    }
}
