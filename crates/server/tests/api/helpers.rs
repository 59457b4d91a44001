//! `spawn_app`: a real server on port 0 with a fresh database, and typed helpers.
//!
//! The backend is SQLite (a new file per test) unless `PPT_TEST_DB=postgres`: then every test
//! gets a new database on the PostgreSQL at `PPT_TEST_PG` (scripts/test.sh runs the suite
//! both ways).

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use ppt_protocol::rest::LoginResponse;
use ppt_protocol::{ClientFrame, Envelope, ServerEvent};
use ppt_server::db::scratch::ScratchDb;
use ppt_server::{build, run, Config};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const SECRET: &str = "test-secret-for-integration-tests";
/// A safety net for waits on signals; a healthy run never gets near it.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct TestApp {
    pub addr: SocketAddr,
    /// The server's state, for tests that go beneath HTTP.
    pub state: ppt_server::AppState,
    pub http: reqwest::Client,
    pub epoch: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
    // Dropped after the server has been told to stop.
    _pg: Option<ScratchDb>,
}

/// Whether this run's tests use PostgreSQL (`PPT_TEST_DB=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("PPT_TEST_DB").is_ok_and(|v| v == "postgres")
}

/// Starts a server with default settings changed by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let pg = if on_postgres() {
        Some(ScratchDb::for_tests().await)
    } else {
        None
    };
    spawn(pg, None, tweak).await
}

/// Starts one more server on an existing database (a `postgres://` URL several share).
#[allow(dead_code)] // the cluster tests' (tests/cluster), which include these helpers
pub async fn spawn_node(db: &str, tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn(None, Some(db.to_owned()), tweak).await
}

async fn spawn(
    pg: Option<ScratchDb>,
    shared: Option<String>,
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let static_dir = dir.path().join("dist");
    std::fs::create_dir_all(&static_dir).unwrap();
    std::fs::write(
        static_dir.join("index.html"),
        "<!doctype html><title>ppt-web</title>",
    )
    .unwrap();
    let db = match (&pg, shared) {
        (Some(pg), _) => pg.url.clone(),
        (None, Some(url)) => url,
        (None, None) => dir.path().join("test.sqlite3").display().to_string(),
    };
    let mut config = Config::for_db(db, static_dir);
    config.demo = true;
    config.jwt_secret = Some(SECRET.into());
    // Tests create in bursts no person would; the limits' own tests set them.
    config.create_limits = vec!["off".parse().unwrap()];
    tweak(&mut config);
    let built = build(config).await.expect("server builds");
    let epoch = built.state.storage.epoch().to_owned();
    let state = built.state.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        run(listener, built, async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    TestApp {
        addr,
        state,
        http: reqwest::Client::new(),
        epoch,
        shutdown: Some(tx),
        server: Some(server),
        _dir: dir,
        _pg: pg,
    }
}

/// Starts a server with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

impl TestApp {
    /// The folder the server serves the app from.
    pub fn static_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("dist")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/api/v1{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Posts a login with any email and password; the response as it is.
    pub async fn post_login(&self, email: &str, password: &str) -> Response {
        self.http
            .post(self.url("/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Logs in a demo user.
    pub async fn login(&self, who: &str) -> LoginResponse {
        let r = self
            .post_login(&format!("{who}@demo.ppt"), "demo1234")
            .await;
        assert_eq!(r.status(), StatusCode::OK, "login {who}");
        r.json().await.unwrap()
    }

    pub async fn token(&self, who: &str) -> String {
        self.login(who).await.token
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let r = self.get(path, token).await;
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        r.json().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.http
            .delete(self.url(path))
            .bearer_auth(token)
            .header("x-request-id", "delete-test")
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.http
            .patch(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A socket that has sent `auth` and received `connection:authenticated`.
    pub async fn socket(&self, token: &str) -> Socket {
        let mut s = Socket::open(&self.ws_url()).await;
        s.send_frame(&ClientFrame::auth(token, None)).await;
        let hello = s.next_envelope().await.expect("authenticated");
        assert!(
            matches!(hello.event, ServerEvent::Authenticated(_)),
            "{hello:?}"
        );
        s.hello = Some(hello);
        s
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(&mut self) {
        self.stopped_within(PATIENCE).await;
    }

    /// Stops the server gracefully; whether it finished within `patience`.
    pub async fn stopped_within(&mut self, patience: Duration) -> bool {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(h) => tokio::time::timeout(patience, h).await.is_ok(),
            None => true,
        }
    }

    /// Waits until the server holds `n` sockets.
    pub async fn wait_for_sockets(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.state.storage.hub().len() != n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} sockets, have {}",
                self.state.storage.hub().len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A test WebSocket client.
pub struct Socket {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub hello: Option<Envelope>,
}

/// How a socket ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    /// The `connection:error` code sent before the close, if any.
    pub error: Option<String>,
}

impl Socket {
    pub async fn open(url: &str) -> Socket {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connects");
        Socket { ws, hello: None }
    }

    pub async fn send_frame(&mut self, frame: &ClientFrame) {
        self.ws
            .send(Message::Text(frame.to_json().into()))
            .await
            .unwrap();
    }

    pub async fn send_text(&mut self, text: String) {
        let _ = self.ws.send(Message::Text(text.into())).await;
    }

    /// The next envelope, or `None` when the socket closed first.
    pub async fn next_envelope(&mut self) -> Option<Envelope> {
        loop {
            let msg = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a frame within the patience limit");
            match msg {
                Some(Ok(Message::Text(t))) => {
                    return Some(Envelope::from_json(&t).expect("valid envelope"))
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next event with an `id` (skips control frames).
    pub async fn next_event(&mut self) -> Envelope {
        loop {
            let e = self.next_envelope().await.expect("socket still open");
            if e.id.is_some() {
                return e;
            }
        }
    }

    /// Reads until the close; returns its code and any `connection:error` code before it.
    pub async fn closed(&mut self) -> Closed {
        let mut error = None;
        loop {
            let msg = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("the socket closes within the patience limit");
            match msg {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(Envelope {
                        event: ServerEvent::ConnectionError(e),
                        ..
                    }) = Envelope::from_json(&t)
                    {
                        error = Some(e.code);
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    return Closed {
                        code: frame.map(|f| u16::from(f.code)).unwrap_or(1005),
                        error,
                    };
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return Closed { code: 1006, error },
            }
        }
    }
}

/// The `ppt_refresh` cookie a response sets, as `name=value`, and its attributes.
pub fn refresh_cookie(r: &Response) -> Option<(String, String)> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("ppt_refresh="))
        .map(|v| {
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            (pair.to_owned(), attrs.to_owned())
        })
}

/// The error body's `code`.
pub async fn error_code(r: Response) -> (StatusCode, String) {
    let status = r.status();
    let body: Value = r.json().await.expect("a JSON error body");
    (
        status,
        body["error"]["code"]
            .as_str()
            .expect("error.code")
            .to_owned(),
    )
}
