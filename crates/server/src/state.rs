//! `AppState`: what every handler and socket shares.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::store::Store;

/// Shared server state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub jwt: JwtKeys,
    /// Cancelled when the server shuts down; sockets close with 1001.
    pub shutdown: CancellationToken,
}
