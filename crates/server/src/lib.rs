//! `ppt-server`: the ppt-web server.
//!
//! # Layout
//! - [`config`]: flags and their environment twins (contract section 8).
//! - [`db`]: SQLite: open, migrate (`migrations/`), seed the demo world ([`db::seed`]).
//! - [`store`]: the shared connection; a write's events join the log in its transaction and
//!   are fanned out in commit order.
//! - [`hub`]: open sockets by user and building; non-blocking fan-out with bounded queues.
//! - [`auth`]: JWTs, password hashes, the `AuthUser` extractor.
//! - [`routes`]: the REST API under `/api/v1`, one module per resource.
//! - [`ws`]: `/ws`: Origin check, authentication, heartbeat answers, limits.
//! - [`simulate`]: `--simulate`, neighbours who act on their own for demos.
//! - [`static_files`]: the built app, compressed once (brotli and gzip) and served as is.
//! - [`error`]: `AppError`, answered with the contract's error body.
//!
//! [`build`] makes the state and router; [`run`] serves on a listener the caller bound.

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod hub;
pub mod routes;
pub mod simulate;
pub mod state;
pub mod static_files;
pub mod store;
pub mod users;
pub mod ws;

use std::future::Future;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

use crate::auth::jwt::JwtKeys;
pub use crate::config::Config;
use crate::hub::Hub;
pub use crate::state::AppState;
use crate::store::Store;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Open(#[from] db::OpenError),
    #[error("database: {0}")]
    Db(String),
}

/// Read-only SQLite connections beside the writer's.
const READERS: usize = 4;

/// A ready server: its state, its router, and whether the database was just seeded.
pub struct Built {
    pub state: AppState,
    pub router: Router,
    pub seeded: bool,
}

/// Opens the database and makes the state and the router.
pub fn build(config: Config) -> Result<Built, StartError> {
    let opened = db::open(&config.db)?;
    let secret = match &config.jwt_secret {
        Some(s) => s.clone(),
        None => match db::get_meta(&opened.conn, "jwt_secret")
            .map_err(|e| StartError::Db(e.to_string()))?
        {
            Some(s) => s,
            None => {
                let s = db::random_token(48);
                db::set_meta(&opened.conn, "jwt_secret", &s)
                    .map_err(|e| StartError::Db(e.to_string()))?;
                s
            }
        },
    };
    let readers = (0..READERS)
        .map(|_| db::open_reader(&config.db))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StartError::Db(e.to_string()))?;
    let store = Store::new(
        opened.conn,
        Hub::default(),
        config.event_retention,
        config.omit_event_ids,
    )
    .map_err(|e| StartError::Db(e.to_string()))?
    .with_readers(readers);
    let state = AppState {
        jwt: JwtKeys::new(secret.as_bytes(), config.token_ttl()),
        config: Arc::new(config),
        store,
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
    // Compressed copies written once (see `static_files`) are served as they are; the
    // compression layer below only compresses what has none (API answers, other files).
    let app = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true)
        .fallback(
            ServeFile::new(dir.join("index.html"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    Router::new()
        .nest("/api/v1", routes::router())
        .route("/ws", get(ws::upgrade))
        .route("/healthz", get(|| async { (StatusCode::OK, "ok") }))
        .fallback_service(app)
        .layer(CompressionLayer::new())
        .with_state(state)
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
    if built.state.config.simulate {
        tokio::spawn(simulate::run(built.state.clone()));
    }
    axum::serve(listener, built.router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            token.cancel();
        })
        .await
}
