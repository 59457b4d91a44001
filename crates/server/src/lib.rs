//! `ppt-server`: the ppt-web server.
//!
//! # Layout
//! - [`config`]: flags and their environment twins (docs/protocol.md, "Server settings").
//! - [`admin`]: `ppt-server building add`, `user add`, `user set` and `user logout`, for a
//!   real deployment.
//! - [`db`]: SQLite or PostgreSQL through one pool: open, migrate (`migrations/`), seed the
//!   demo world ([`db::seed`]); what differs between the two is in [`db::dialect`].
//! - [`domain`]: the portal's operations (post, report, move a fault along, open a vote,
//!   cast a ballot, send a message), each one write with its own events, on parsed values
//!   (`Title`, `Text`, ...) and an `Actor` whose role it checks; the handlers, the simulator
//!   and the benchmarks' publisher call them.
//! - [`storage`]: reads, writes (a write's events join the log as it commits; writes that
//!   arrive together share a transaction, [`storage::writer`]), joining a socket at an
//!   exact point of the log, and [`storage::follower`], which hands every server's commits
//!   to this server's sockets in order.
//! - [`eventlog`]: the log: ids in commit order across servers, who each event is for
//!   (`Audience`), reading it back, pruning.
//! - [`hub`]: this server's open sockets by user and building; non-blocking fan-out with
//!   bounded queues; the newest events it delivered, for catch-up from memory.
//! - [`auth`]: JWTs, password hashes, login limits, sessions (the rotating refresh cookie,
//!   ending a session on every server), the `AuthUser` extractor.
//! - [`routes`]: the REST API under `/api/v1`, one module per resource.
//! - [`ws`]: `/ws`: Origin check, authentication, heartbeat answers, limits.
//! - [`simulate`]: `--simulate`, neighbours who act on their own for demos.
//! - [`static_files`]: the built app, compressed once (brotli and gzip) and served as is.
//! - [`headers`]: security and cache headers on every response.
//! - [`error`]: `AppError`, answered with the contract's error body.
//!
//! [`build`] makes the state and router; [`run`] serves on a listener the caller bound.

pub mod admin;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod eventlog;
pub mod headers;
pub mod hub;
pub mod metrics;
pub mod public_ws;
pub mod routes;
pub mod simulate;
pub mod state;
pub mod static_files;
pub mod storage;
pub mod users;
pub mod ws;

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

use crate::auth::jwt::JwtKeys;
pub use crate::config::Config;
pub use crate::state::AppState;
use crate::storage::Storage;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Open(#[from] db::OpenError),
    #[error("database: {0}")]
    Db(String),
    #[error(
        "--jwt-secret must be at least {min} bytes (it is {0}); leave it out to have one \
         generated and kept in the database",
        min = config::MIN_JWT_SECRET
    )]
    WeakSecret(usize),
    #[error(
        "--token-ttl-secs may be at most {max} (access tokens live at most 15 minutes; \
         sessions last through refresh tokens); it is {0}",
        max = config::MAX_TOKEN_TTL
    )]
    LongTokens(u64),
    #[error("{0}")]
    PublicWsUrl(String),
    #[error("cannot read --jwt-secret-file {path}: {source}")]
    SecretFile {
        path: String,
        source: std::io::Error,
    },
}

/// The secret from `--jwt-secret` or `--jwt-secret-file`, if either was given.
fn given_secret(config: &Config) -> Result<Option<String>, StartError> {
    let Some(path) = &config.jwt_secret_file else {
        return Ok(config.jwt_secret.clone());
    };
    let text = std::fs::read_to_string(path).map_err(|source| StartError::SecretFile {
        path: path.display().to_string(),
        source,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
            tracing::warn!(
                path = %path.display(),
                "--jwt-secret-file is readable by others than its owner (chmod 600 it)"
            );
        }
    }
    Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()))
}

impl From<sqlx::Error> for StartError {
    fn from(e: sqlx::Error) -> Self {
        StartError::Db(e.to_string())
    }
}

/// A ready server: its state, its router, and whether the database was just seeded.
pub struct Built {
    pub state: AppState,
    pub router: Router,
    pub seeded: bool,
}

/// Opens (and migrates, and seeds when new) the database and makes the state and the router.
pub async fn build(config: Config) -> Result<Built, StartError> {
    let given = given_secret(&config)?;
    if let Some(s) = &given {
        if s.len() < config::MIN_JWT_SECRET {
            return Err(StartError::WeakSecret(s.len()));
        }
    }
    if config.token_ttl_secs > config::MAX_TOKEN_TTL {
        return Err(StartError::LongTokens(config.token_ttl_secs));
    }
    if let Some(url) = &config.public_ws_url {
        public_ws::PublicWs::parse(url).map_err(StartError::PublicWsUrl)?;
    }
    let opened = db::open(&config.db, config.pool(), config.demo).await?;
    // The secret and the epoch belong to the database: every server on it shares them.
    let secret = match given {
        Some(s) => s,
        None => {
            opened
                .db
                .meta_or_init("jwt_secret", || db::random_token(48))
                .await?
        }
    };
    let epoch = opened
        .db
        .meta_or_init("epoch", || db::random_token(16))
        .await?;
    let storage = Storage::open(opened.db, epoch, config.retention(), config.omit_event_ids)
        .await
        .map_err(|e| StartError::Db(e.to_string()))?;
    let login = Arc::new(
        tokio::task::spawn_blocking({
            let settings = config.login();
            move || auth::limits::LoginLimits::new(settings)
        })
        .await
        .map_err(|e| StartError::Db(e.to_string()))?,
    );
    let state = AppState {
        jwt: JwtKeys::new(secret.as_bytes(), config.token_ttl()),
        sessions: auth::sessions::Sessions::new(
            secret.as_bytes(),
            std::time::Duration::from_secs(config.session_max_secs),
            std::time::Duration::from_secs(config.shared_session_secs),
            std::time::Duration::from_secs(config.refresh_reuse_secs),
        ),
        documents: routes::documents::DocumentLinks::new(secret.as_bytes()),
        login,
        creates: Arc::new(routes::create_limits::CreateLimits::new(
            &config.create_limits,
        )),
        config: Arc::new(config),
        storage,
        metrics: metrics::Metrics::new(),
        shutdown: CancellationToken::new(),
    };
    Ok(Built {
        router: router(state.clone()),
        state,
        seeded: opened.seeded,
    })
}

/// Every route: `/api/v1`, `/ws`, `/healthz`, and the built app for everything else.
pub fn router(state: AppState) -> Router {
    let dir = &state.config.static_dir;
    // Checked at start-up (`build`); an address that does not read is left out here.
    let public_ws = state
        .config
        .public_ws_url
        .as_deref()
        .and_then(|u| public_ws::PublicWs::parse(u).ok());
    let policy = headers::Policy::new(dir, public_ws.as_ref().map(|w| w.origin().to_owned()));
    let router = Router::new()
        .nest("/api/v1", routes::router())
        // Any other API path is an API 404, not the app's page.
        .route("/api/{*rest}", axum::routing::any(routes::not_found))
        // A building's documents only through their signed links (`routes::documents`).
        .route(
            "/static/docs/{*rest}",
            axum::routing::any(routes::not_found),
        )
        .route("/ws", get(ws::upgrade))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/sw.js", get(static_files::service_worker));
    // Compressed copies written once (see `static_files`) are served as they are; the
    // compression layer below only compresses what has none (API answers, other files).
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true);
    let router = match public_ws {
        // The page names the socket's address: served from memory, wherever it is asked for.
        Some(ws) => {
            let page = public_ws::IndexPage::new(dir, ws);
            router
                .route("/", page.route())
                .route("/index.html", page.route())
                .fallback_service(files.fallback(page.route::<()>()))
        }
        None => router.fallback_service(
            files.fallback(
                ServeFile::new(dir.join("index.html"))
                    .precompressed_br()
                    .precompressed_gzip(),
            ),
        ),
    };
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        .layer(axum::middleware::from_fn_with_state(policy, headers::set))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// 200 while this server can reach its database (a balancer takes it out of rotation
/// otherwise); 503 with the error body when it cannot.
async fn healthz(State(state): State<AppState>) -> Response {
    let patience = std::time::Duration::from_secs(2);
    match tokio::time::timeout(patience, state.storage.db().ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok").into_response(),
        Ok(Err(e)) => error::AppError::from(e).into_response(),
        Err(_) => error::AppError::Unavailable("no answer in time".into()).into_response(),
    }
}

/// 200 while this server should get traffic: its database answers, it has followed the log
/// up to the head, and it is not shutting down; else 503 with the reason. A balancer checks
/// this one (`/healthz` only says the process can reach its database).
async fn readyz(State(state): State<AppState>) -> Response {
    let patience = std::time::Duration::from_secs(2);
    let not_ready = |why: &str| error::AppError::Unavailable(why.into()).into_response();
    if state.shutdown.is_cancelled() {
        return not_ready("shutting down");
    }
    let head = match tokio::time::timeout(patience, state.storage.log_head()).await {
        Ok(Ok(head)) => head,
        Ok(Err(e)) => return e.into_response(),
        Err(_) => return not_ready("the database gave no answer in time"),
    };
    // Caught up: what was in the log a moment ago has been followed (a busy log moves on
    // meanwhile; that is not lagging).
    match tokio::time::timeout(patience, state.storage.caught_up_to(head)).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(_) => not_ready("still following the event log"),
    }
}

/// Serves until `shutdown` resolves; then closes every socket with 1001 and drains requests.
pub async fn run(
    listener: TcpListener,
    built: Built,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let token = built.state.shutdown.clone();
    // Compress the app's files in the background; until then they are compressed per request.
    let static_dir = built.state.config.static_dir.clone();
    tokio::task::spawn_blocking(move || match static_files::precompress(&static_dir) {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "compressed the app's files once"),
        Err(e) => tracing::warn!(error = %e, "could not precompress the app's files"),
    });
    let config = &built.state.config;
    let listen = (built.state.storage.db().backend == db::Backend::Postgres && config.log_listen)
        .then(|| config.db.clone());
    tokio::spawn(storage::follower::run(
        built.state.storage.clone(),
        listen,
        config.log_poll(),
        token.clone(),
    ));
    tokio::spawn(auth::sessions::sweep(
        built.state.storage.pool().clone(),
        built.state.storage.hub().clone(),
        config.session_sweep(),
        token.clone(),
    ));
    if config.simulate {
        tokio::spawn(simulate::run(built.state.clone()));
    }
    if let Some(addr) = config.metrics_addr {
        let metrics = TcpListener::bind(addr).await?;
        tracing::info!(%addr, "metrics at http://{addr}/metrics");
        tokio::spawn(metrics::serve(metrics, built.state.clone()));
    }
    axum::serve(
        listener,
        built
            .router
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        token.cancel();
    })
    .await
}
