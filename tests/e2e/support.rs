//! The end-to-end harness: a server with a fresh database, chromedriver, a browser session.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use ppt_headless::Chromedriver;
use ppt_server::{build, run, AppState, Config};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::proxy::Proxy;

/// A safety net for waits on signals; a healthy run never gets near it.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The built app.
pub fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("PPT_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist"));
    assert!(
        dir.join("index.html").exists(),
        "the built app is missing at {}: run scripts/build-app.sh (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// A running ppt-server with a fresh SQLite file; it can be stopped and started again on
/// the same address and database.
pub struct Server {
    pub addr: SocketAddr,
    pub db: PathBuf,
    pub state: AppState,
    /// The built app it serves.
    pub dist: PathBuf,
    tweak: fn(&mut Config),
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

fn no_tweak(_: &mut Config) {}

/// A row of `sessions`: id, user, generation, created, expires, refreshed.
type SessionRow = (String, i64, i64, i64, i64, i64);

impl Server {
    pub async fn start() -> Server {
        Self::start_with(no_tweak).await
    }

    pub async fn start_with(tweak: fn(&mut Config)) -> Server {
        Self::start_serving(dist_dir(), tweak).await
    }

    /// A server of the built app in `dist` (a copy a test may change, as a new deployment).
    pub async fn start_serving(dist: PathBuf, tweak: fn(&mut Config)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("e2e.sqlite3");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (state, stop, done) = Self::launch(listener, &db, &dist, tweak, Vec::new()).await;
        Server {
            addr,
            db,
            state,
            dist,
            tweak,
            stop: Some(stop),
            done: Some(done),
            _dir: dir,
        }
    }

    async fn launch(
        listener: TcpListener,
        db: &std::path::Path,
        dist: &std::path::Path,
        tweak: fn(&mut Config),
        carried: Vec<SessionRow>,
    ) -> (AppState, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let mut config = Config::for_db(db.display().to_string(), dist.to_path_buf());
        config.demo = true;
        tweak(&mut config);
        let built = build(config).await.expect("server builds");
        let state = built.state.clone();
        for row in carried {
            sqlx::query(
                "INSERT INTO sessions (id, user_id, generation, created_at, expires_at, refreshed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(row.0)
            .bind(row.1)
            .bind(row.2)
            .bind(row.3)
            .bind(row.4)
            .bind(row.5)
            .execute(state.storage.pool())
            .await
            .unwrap();
        }
        let (stop, rx) = oneshot::channel::<()>();
        let done = tokio::spawn(async move {
            run(listener, built, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        (state, stop, done)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops gracefully (sockets get 1001) and waits.
    pub async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(d) = self.done.take() {
            let _ = tokio::time::timeout(PATIENCE, d).await;
        }
    }

    /// Starts again on the same address with the same database.
    pub async fn start_again(&mut self) {
        self.start_again_with(Vec::new()).await;
    }

    async fn start_again_with(&mut self, carried: Vec<SessionRow>) {
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("the port is free again");
        let (state, stop, done) =
            Self::launch(listener, &self.db, &self.dist, self.tweak, carried).await;
        self.state = state;
        self.stop = Some(stop);
        self.done = Some(done);
    }

    /// Starts again on the same address with a new, empty database (a new event log). The
    /// login sessions are carried over (as a restore that kept accounts and sessions but not
    /// the log would), so signed-in browsers stay signed in; they are in place before the
    /// server answers anyone.
    pub async fn start_fresh(&mut self) {
        use sqlx::Row;
        let carried = sqlx::query(
            "SELECT id, user_id, generation, created_at, expires_at, refreshed_at FROM sessions",
        )
        .fetch_all(self.state.storage.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
        self.db = self
            .db
            .with_file_name(format!("fresh-{}.sqlite3", std::process::id()));
        self.start_again_with(carried).await;
    }

    /// Sockets open on the server right now.
    pub fn open_sockets(&self) -> usize {
        self.state.storage.hub().len()
    }

    /// Waits until the server has `n` open sockets.
    pub async fn wait_for_sockets(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.open_sockets() != n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} open sockets, have {}",
                self.open_sockets()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A REST call as a demo user (for another person acting meanwhile).
    pub async fn api(&self) -> Api {
        Api {
            base: self.url("/api/v1"),
            http: reqwest::Client::new(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A REST client for acting as another user in a test.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    /// Sends JSON with `method` as the holder of `token`; returns the status and body.
    async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// POSTs JSON as the holder of `token`.
    pub async fn post(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::POST, token, path, body).await
    }

    /// Sends a message as the holder of `token` and checks it was accepted (201).
    pub async fn send_message(&self, token: &str, to_user_id: &str, body: &str) {
        let (status, answer) = self
            .post(
                token,
                "/messages",
                json!({ "toUserId": to_user_id, "body": body }),
            )
            .await;
        assert_eq!(status, 201, "sending {body:?}: {answer}");
    }

    /// PUTs JSON as the holder of `token`.
    pub async fn put(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::PUT, token, path, body).await
    }

    /// PATCHes JSON as the holder of `token`.
    pub async fn patch(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::PATCH, token, path, body).await
    }

    /// GETs JSON as the holder of `token`.
    pub async fn get(&self, token: &str, path: &str) -> serde_json::Value {
        self.http
            .get(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn token(&self, email: &str) -> String {
        let r: serde_json::Value = self
            .http
            .post(format!("{}/auth/login", self.base))
            .json(&json!({ "email": email, "password": "demo1234" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["token"].as_str().expect("login works").to_owned()
    }
}

/// A chromedriver process and one headless Chromium session driven through it.
pub struct Browser {
    pub client: Client,
    driver: Chromedriver,
}

impl Browser {
    pub async fn start() -> Browser {
        let driver = Chromedriver::start().unwrap_or_else(|e| panic!("{e}"));
        let extra = [
            "--disable-quic",
            "--autoplay-policy=no-user-gesture-required",
        ];
        let client = driver
            .session(&extra, PATIENCE)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Browser { client, driver }
    }

    /// Waits for an element by `data-testid`.
    pub async fn testid(&self, id: &str) -> Element {
        self.wait_css(&format!("[data-testid=\"{id}\"]")).await
    }

    /// Waits for an element by CSS selector.
    pub async fn wait_css(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Waits for an element by CSS selector and returns its `textContent` (unlike WebDriver's
    /// visible text, not empty while the element is still fading in).
    pub async fn text_of(&self, css: &str) -> String {
        self.wait_css(css).await;
        self.js(&format!(
            "return document.querySelector({css:?}).textContent;"
        ))
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Waits until a JavaScript expression is true, or gives a promise that resolves to true.
    pub async fn wait_until(&self, what: &str, promise: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let v = self
                .js(&format!(
                    "return Promise.resolve({promise}).then(v => !!v);"
                ))
                .await;
            if v.as_bool() == Some(true) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The connection indicator's `data-state`.
    pub async fn connection_state(&self) -> String {
        let v = self
            .client
            .execute("return document.querySelector('[data-testid=connection-status]')?.dataset.state ?? null;", vec![])
            .await
            .unwrap();
        v.as_str().unwrap_or("").to_owned()
    }

    /// Waits until the connection indicator shows `state`.
    pub async fn wait_for_state(&self, state: &str) {
        self.wait_until(
            &format!("connection state {state}"),
            &format!("document.querySelector('[data-testid=connection-status]')?.dataset.state === '{state}'"),
        )
        .await;
    }

    /// Opens `base` and stores timing overrides (see `src/ws/settings.rs`) for the next load.
    pub async fn set_realtime_config(&self, base: &str, json: &str) {
        self.client.goto(&format!("{base}/login")).await.unwrap();
        self.client
            .execute(
                "localStorage.setItem('ppt-web.realtime-config', arguments[0]);",
                vec![json.into()],
            )
            .await
            .unwrap();
    }

    /// Logs in through the login form and waits for the dashboard.
    pub async fn login(&self, server: &Server, email: &str) {
        self.login_at(&server.url(""), email).await;
    }

    /// Logs in at a base URL (the server, or a proxy in front of it).
    pub async fn login_at(&self, base: &str, email: &str) {
        self.fill_login(base, email).await;
        self.testid("login-submit").await.click().await.unwrap();
        self.testid("dashboard").await;
    }

    /// Opens the login page at `base` and types a demo user's email and password.
    pub async fn fill_login(&self, base: &str, email: &str) {
        self.client.goto(&format!("{base}/login")).await.unwrap();
        self.testid("login-email")
            .await
            .send_keys(email)
            .await
            .unwrap();
        self.testid("login-password")
            .await
            .send_keys("demo1234")
            .await
            .unwrap();
    }

    /// Waits until the service worker controls the page.
    pub async fn wait_for_the_worker(&self) {
        self.wait_until(
            "the service worker to control the page",
            "navigator.serviceWorker.controller !== null",
        )
        .await;
    }

    /// Opens the announcements with a full load (so its requests go through the worker).
    pub async fn open_announcements(&self, server: &Server) {
        self.client
            .goto(&server.url("/announcements"))
            .await
            .unwrap();
        self.wait_css("[data-testid=announcement-list] li").await;
    }

    /// Navigates inside the app without a reload (as a click on a link would).
    pub async fn go(&self, path: &str) {
        self.client
            .execute(
                "history.pushState({}, '', arguments[0]); dispatchEvent(new PopStateEvent('popstate'));",
                vec![path.into()],
            )
            .await
            .unwrap();
    }

    /// Runs a DevTools Protocol command in the page and returns its result.
    pub async fn cdp(&self, cmd: &str, params: serde_json::Value) -> serde_json::Value {
        ppt_headless::cdp(&self.client, cmd, params)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs JavaScript and returns its value.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// The header's unread badge as a number (0 when absent).
    pub async fn unread(&self) -> u64 {
        self.js("return Number(document.querySelector('[data-testid=unread-count]')?.textContent ?? 0);")
            .await
            .as_u64()
            .unwrap_or(0)
    }

    /// Waits until the header's unread badge shows `n` (absent counts as 0).
    pub async fn wait_for_unread(&self, n: u64) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let shown = self
                .js("return Number(document.querySelector('[data-testid=unread-count]')?.textContent ?? 0);")
                .await
                .as_u64();
            if shown == Some(n) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for unread badge {n}: it shows {shown:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Sends `body` to user `to` through the inbox's compose form (the inbox must be open).
    pub async fn send_from_inbox(&self, to: &str, body: &str) {
        self.wait_css(&format!("[data-testid=compose-to] option[value='{to}']"))
            .await;
        self.testid("compose-to")
            .await
            .select_by_value(to)
            .await
            .unwrap();
        self.testid("compose-body")
            .await
            .send_keys(body)
            .await
            .unwrap();
        self.testid("compose-send").await.click().await.unwrap();
    }

    /// How many inbox items contain `body`.
    pub async fn message_count(&self, body: &str) -> u64 {
        self.js(&format!(
            "return [...document.querySelectorAll('[data-testid=message-item]')].filter(e => e.textContent.includes({body:?})).length;"
        ))
        .await
        .as_u64()
        .unwrap_or(0)
    }

    /// Waits until exactly `n` inbox items contain `body`.
    pub async fn wait_for_message(&self, body: &str, n: usize) {
        self.wait_until(
            &format!("{n} inbox item(s) with {body:?}"),
            &format!(
                "[...document.querySelectorAll('[data-testid=message-item]')].filter(e => e.textContent.includes({body:?})).length === {n}"
            ),
        )
        .await;
    }

    /// How many sounds the app has asked to play.
    pub async fn sounds_played(&self) -> u64 {
        self.js("return Number(document.body.dataset.soundsPlayed ?? 0);")
            .await
            .as_u64()
            .unwrap_or(0)
    }

    /// Opens `url` in a new tab of this browser (same profile: shared cookies, storage,
    /// Web Locks and BroadcastChannel) and switches to it; returns its handle.
    pub async fn open_tab(&self, url: &str) -> fantoccini::wd::WindowHandle {
        let tab = self.client.new_window(true).await.unwrap().handle;
        self.client.switch_to_window(tab.clone()).await.unwrap();
        self.client.goto(url).await.unwrap();
        tab
    }

    /// Switches to a tab opened earlier.
    pub async fn switch_to(&self, tab: &fantoccini::wd::WindowHandle) {
        self.client.switch_to_window(tab.clone()).await.unwrap();
    }

    /// The handle of the tab being driven.
    pub async fn current_tab(&self) -> fantoccini::wd::WindowHandle {
        self.client.window().await.unwrap()
    }

    /// Closes the tab being driven (as a user closing it would: the page goes away).
    pub async fn close_tab(&self) {
        self.client.close_window().await.unwrap();
    }

    /// Starts counting the toasts of `kind` that appear in this tab (read with
    /// [`Browser::toasts_seen`]).
    pub async fn count_toasts(&self, kind: &str) {
        self.js(&format!(
            "window.__toasts = window.__toasts || {{}}; window.__toasts[{kind:?}] = 0; const seen = new WeakSet(); new MutationObserver(() => {{ for (const t of document.querySelectorAll('[data-testid=toast][data-kind={kind}]')) {{ if (!seen.has(t)) {{ seen.add(t); window.__toasts[{kind:?}]++; }} }} }}).observe(document.body, {{ childList: true, subtree: true }}); return null;"
        ))
        .await;
    }

    /// How many toasts of `kind` appeared since [`Browser::count_toasts`].
    pub async fn toasts_seen(&self, kind: &str) -> u64 {
        self.js(&format!("return (window.__toasts || {{}})[{kind:?}] ?? 0;"))
            .await
            .as_u64()
            .unwrap_or(0)
    }

    /// Saves a screenshot under target/screenshots for people to look at.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Ends the session. Dropping the browser without it (a test that panicked) still stops
    /// the browser and chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        drop(self.driver);
    }
}

/// The server, a proxy of our own in front of it, and Alice logged in through the proxy with
/// these timing overrides, on her inbox, connected.
pub async fn alice_behind_a_proxy(timings: &str) -> (Server, Proxy, Browser) {
    let server = Server::start().await;
    let proxy = Proxy::start(server.addr).await;
    let alice = Browser::start().await;
    alice.set_realtime_config(&proxy.url(""), timings).await;
    alice.login_at(&proxy.url(""), "alice@demo.ppt").await;
    alice.go("/messages").await;
    alice.wait_for_state("connected").await;
    (server, proxy, alice)
}
