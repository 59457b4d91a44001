//! `AppState`: what every handler and socket shares.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::auth::jwt::JwtKeys;
use crate::auth::limits::LoginLimits;
use crate::auth::sessions::Sessions;
use crate::config::Config;
use crate::storage::Storage;

/// Shared server state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub storage: Storage,
    pub jwt: JwtKeys,
    /// Login sessions and their refresh tokens.
    pub sessions: Sessions,
    /// The signed links to a building's documents.
    pub documents: crate::routes::documents::DocumentLinks,
    /// Failed-login limits and the bounded password checks.
    pub login: Arc<LoginLimits>,
    /// Limits on creates per user and kind.
    pub creates: Arc<crate::routes::create_limits::CreateLimits>,
    /// What operators watch (`--metrics-addr`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Cancelled when the server shuts down; sockets close with 1001.
    pub shutdown: CancellationToken,
}
