//! `--simulate`: the demo building comes alive for one person watching. Placeholder until
//! the real-time core lands (issue 3); for now it does nothing.

use crate::state::AppState;

/// Runs until shutdown.
pub async fn run(state: AppState) {
    state.shutdown.cancelled().await;
}
