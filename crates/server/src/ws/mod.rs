//! `/ws`: the upgrade (Origin check, frame limits) and the per-socket session.

mod session;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

pub use session::{run_session, SessionConfig};

use crate::state::AppState;

/// Largest frame or message a client may send.
pub const MAX_FRAME: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    /// The original design's way to authenticate, accepted only with `--ws-query-token`; the
    /// app never uses it.
    token: Option<String>,
}

/// Whether a browser page at `origin` may open a socket to a server reached as `host`.
pub fn origin_allowed(origin: Option<&str>, host: Option<&str>, allowed: &[String]) -> bool {
    let Some(origin) = origin else {
        // Not a browser (or a same-origin request from one that omits it): nothing to check.
        return true;
    };
    let same_origin = host.is_some_and(|h| {
        origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(|rest| rest.eq_ignore_ascii_case(h))
    });
    same_origin
        || allowed
            .iter()
            .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<WsQuery>, axum::extract::rejection::QueryRejection>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if !origin_allowed(origin, host, &state.config.allowed_origins) {
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let query_token = query.ok().and_then(|Query(q)| q.token);
    if query_token.is_some() && !state.config.ws_query_token {
        return crate::error::AppError::BadRequest(
            "bad_query",
            "a token in the address ends up in logs: send it in the first frame (`auth`)".into(),
        )
        .into_response();
    }
    let cfg = SessionConfig::from(&*state.config);
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        // Small buffers: an idle socket should cost little memory (4 KiB -> 1 KiB took an idle
        // socket from 14 to 11 KiB; below 1 KiB gains nothing). Larger frames grow it as needed.
        .read_buffer_size(1024)
        // Frames queued together are written together (see `session::forward`): up to 8 KiB
        // gathers before a write. Nothing is allocated until a frame is sent.
        .write_buffer_size(8 * 1024)
        .on_upgrade(move |socket| async move {
            run_session(socket, state, cfg, query_token).await;
        })
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    /// Same-origin pages, listed origins and non-browser clients may connect; others not.
    #[test]
    fn origin_rules() {
        let allowed = vec!["http://localhost:8081".to_string()];
        assert!(origin_allowed(None, Some("127.0.0.1:8080"), &allowed));
        assert!(origin_allowed(
            Some("http://127.0.0.1:8080"),
            Some("127.0.0.1:8080"),
            &allowed
        ));
        assert!(origin_allowed(
            Some("http://localhost:8081"),
            Some("127.0.0.1:8080"),
            &allowed
        ));
        assert!(!origin_allowed(
            Some("http://evil.example"),
            Some("127.0.0.1:8080"),
            &allowed
        ));
        assert!(!origin_allowed(
            Some("http://127.0.0.1:8080.evil"),
            Some("127.0.0.1:8080"),
            &allowed
        ));
    }
}
