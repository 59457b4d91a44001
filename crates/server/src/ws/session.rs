//! One socket's life: authenticate within the deadline, join the hub, then forward events,
//! answer pings and enforce the rules until either side ends it.
//!
//! Generic over any `Sink + Stream` of WebSocket messages so it does not depend on how the
//! socket was made.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use futures::{Sink, SinkExt, Stream, StreamExt};
use ppt_protocol::envelope::{Authenticated, ConnectionError};
use ppt_protocol::{ClientFrame, CloseCode, Envelope, ServerEvent, Timestamp};

use crate::metrics;
use tokio::time::{sleep_until, Instant};

use crate::auth::AuthUser;
use crate::config::Config;
use crate::db::now_ts;
use crate::hub::{Dropped, Frame, Subscription};
use crate::state::AppState;

/// Session settings taken from the server's configuration.
#[derive(Debug, Clone, Copy)]
pub struct SessionConfig {
    pub auth_timeout: Duration,
    pub send_queue: usize,
    /// Frames a client may send in a burst, and per second after it (before and after it
    /// authenticates).
    pub rate_burst: u32,
    pub rate_per_sec: u32,
    /// A WebSocket ping this often.
    pub ping_interval: Duration,
    /// Closed (4408) when nothing at all arrives for this long.
    pub idle_timeout: Duration,
    /// Dropped when a write takes longer than this.
    pub write_timeout: Duration,
    /// Sockets one user may hold on this server.
    pub max_per_user: usize,
}

impl From<&Config> for SessionConfig {
    fn from(c: &Config) -> Self {
        SessionConfig {
            auth_timeout: c.auth_timeout(),
            send_queue: c.send_queue,
            rate_burst: 60,
            rate_per_sec: 20,
            ping_interval: Duration::from_millis(c.ws_ping_ms.max(10)),
            idle_timeout: Duration::from_millis(c.ws_idle_ms.max(10)),
            write_timeout: Duration::from_millis(c.ws_write_timeout_ms.max(10)),
            max_per_user: c.ws_max_per_user.max(1),
        }
    }
}

/// How a session ended, to be told to the client.
struct Ending {
    code: CloseCode,
    error: Option<(&'static str, String)>,
}

impl Ending {
    fn new(code: CloseCode, error_code: &'static str, message: impl Into<String>) -> Self {
        Ending {
            code,
            error: Some((error_code, message.into())),
        }
    }
}

fn control(event: ServerEvent) -> Message {
    Message::Text(
        Envelope::control(event, Timestamp(now_ts()))
            .to_json()
            .into(),
    )
}

/// Runs one socket to its end.
pub async fn run_session<S>(
    mut socket: S,
    state: AppState,
    cfg: SessionConfig,
    query_token: Option<String>,
) where
    S: Stream<Item = Result<Message, axum::Error>>
        + Sink<Message, Error = axum::Error>
        + Unpin
        + Send,
{
    let _open = metrics::Counted::on(&state.metrics.sockets_open);
    let ending = match authenticate(&mut socket, &state, &cfg, query_token).await {
        Ok(user) => {
            let _authenticated = metrics::Counted::on(&state.metrics.sockets_authenticated);
            serve(&mut socket, &state, &cfg, user).await
        }
        Err(ending) => ending,
    };
    match &ending {
        Some(e) => state
            .metrics
            .socket_closed(e.error.as_ref().map(|(code, _)| *code), e.code.code()),
        None => state.metrics.socket_closed(Some("client"), 1000),
    }
    // Every write below is bounded: a peer that stopped reading cannot hold this task.
    let wrote =
        |r: Result<Result<(), axum::Error>, tokio::time::error::Elapsed>| matches!(r, Ok(Ok(())));
    if let Some(ending) = ending {
        let mut open = true;
        if let Some((code, message)) = ending.error {
            let frame = control(ServerEvent::ConnectionError(ConnectionError {
                code: code.to_owned(),
                message,
            }));
            open = wrote(tokio::time::timeout(cfg.write_timeout, socket.send(frame)).await);
        }
        let close = Message::Close(Some(CloseFrame {
            code: ending.code.code(),
            reason: "".into(),
        }));
        open = open && wrote(tokio::time::timeout(cfg.write_timeout, socket.send(close)).await);
        if !open {
            let _ = tokio::time::timeout(LINGER, socket.close()).await;
            return;
        }
        // Finish the closing handshake: read (and drop) what the client still sends until its
        // Close arrives. Dropping the TCP connection with unread data would reset it, and the
        // client would lose the close code it needs to decide what to do next.
        let drain = async {
            while let Some(Ok(msg)) = socket.next().await {
                if matches!(msg, Message::Close(_)) {
                    return true;
                }
            }
            false
        };
        let started = Instant::now();
        if let Ok(false) = tokio::time::timeout(CLOSE_GRACE, drain).await {
            // The stream cannot be read any more (an oversized frame leaves it unparseable).
            // Keep the connection a moment so the peer reads our close before any reset.
            tokio::time::sleep_until((started + LINGER).max(Instant::now())).await;
        }
    }
    let _ = tokio::time::timeout(cfg.write_timeout, socket.close()).await;
}

/// How long to wait for the client's half of the closing handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// How long to keep a connection whose stream broke after we sent our close.
const LINGER: Duration = Duration::from_millis(500);

async fn check_token(state: &AppState, token: &str) -> Result<AuthUser, Ending> {
    match crate::auth::authenticate(state, token).await {
        Ok(user) => Ok(user),
        Err(crate::error::AppError::Unauthorized(why)) => {
            Err(Ending::new(CloseCode::Unauthorized, "unauthorized", why))
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not check a socket's session");
            Err(Ending::new(
                CloseCode::TryAgainLater,
                "unavailable",
                "the server cannot check the session now; reconnect shortly",
            ))
        }
    }
}

/// Waits for the `auth` frame (or uses the query token). `Err(None)`: the client left.
async fn authenticate<S>(
    socket: &mut S,
    state: &AppState,
    cfg: &SessionConfig,
    query_token: Option<String>,
) -> Result<AuthUser, Option<Ending>>
where
    S: Stream<Item = Result<Message, axum::Error>>
        + Sink<Message, Error = axum::Error>
        + Unpin
        + Send,
{
    if let Some(token) = query_token {
        return check_token(state, &token).await.map_err(Some);
    }
    let deadline = Instant::now() + cfg.auth_timeout;
    let mut bucket = TokenBucket::new(cfg.rate_burst, cfg.rate_per_sec, Instant::now());
    loop {
        let msg = tokio::select! {
            msg = socket.next() => msg,
            _ = sleep_until(deadline) => {
                return Err(Some(Ending::new(CloseCode::AuthTimeout, "auth_timeout", "no auth frame in time")));
            }
        };
        // Flooding before authenticating is flooding too.
        if !bucket.take(Instant::now()) {
            return Err(Some(rate_limited()));
        }
        match msg {
            None | Some(Ok(Message::Close(_))) => return Err(None),
            Some(Err(e)) => return Err(Some(protocol_error(&e))),
            Some(Ok(Message::Text(text))) => match ClientFrame::from_json(&text) {
                Ok(ClientFrame::Auth { payload, .. }) => {
                    return check_token(state, &payload.token).await.map_err(Some)
                }
                Ok(ClientFrame::Ping { .. }) => {
                    let pong = socket.send(control(ServerEvent::Pong));
                    if !matches!(
                        tokio::time::timeout(cfg.write_timeout, pong).await,
                        Ok(Ok(()))
                    ) {
                        return Err(None);
                    }
                }
                Err(e) => return Err(Some(malformed(e.to_string()))),
            },
            Some(Ok(Message::Binary(_))) => {
                return Err(Some(malformed(
                    "binary frames are not part of the protocol".into(),
                )))
            }
            Some(Ok(_)) => {} // transport ping/pong
        }
    }
}

fn rate_limited() -> Ending {
    Ending::new(CloseCode::Policy, "rate_limited", "too many frames")
}

fn malformed(detail: String) -> Ending {
    Ending::new(CloseCode::Policy, "malformed_frame", detail)
}

fn protocol_error(e: &axum::Error) -> Ending {
    let text = e.to_string();
    if text.contains("Space limit exceeded")
        || text.contains("too long")
        || text.contains("Message too")
    {
        Ending::new(
            CloseCode::Policy,
            "frame_too_large",
            "frames may be at most 64 KiB",
        )
    } else {
        Ending::new(
            CloseCode::Policy,
            "protocol_error",
            "the WebSocket protocol was not followed",
        )
    }
}

/// Forwards events until the end; returns how to close (None: the client closed).
async fn serve<S>(
    socket: &mut S,
    state: &AppState,
    cfg: &SessionConfig,
    mut user: AuthUser,
) -> Option<Ending>
where
    S: Stream<Item = Result<Message, axum::Error>>
        + Sink<Message, Error = axum::Error>
        + Unpin
        + Send,
{
    let (mut sub, last_event_id) = match state
        .storage
        .join(user.id, user.building_id, cfg.send_queue, cfg.max_per_user)
        .await
    {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Some(Ending::new(
                CloseCode::TooManySockets,
                "too_many_sockets",
                format!(
                    "this account already has {} connections to this server",
                    cfg.max_per_user
                ),
            ))
        }
        // The database is away or this server is behind it: come back a little later.
        Err(crate::error::AppError::Unavailable(e)) => {
            tracing::warn!(error = %e, "a socket could not join the log");
            return Some(Ending::new(
                CloseCode::TryAgainLater,
                "unavailable",
                "the server cannot reach its database; reconnect shortly",
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, "could not join the hub");
            return Some(Ending::new(
                CloseCode::Other(1011),
                "internal",
                "server error",
            ));
        }
    };
    let socket_id = sub.id;
    state.storage.hub().set_session(socket_id, &user.session);
    let hello = control(ServerEvent::Authenticated(Authenticated {
        user_id: user.id.to_string(),
        last_event_id,
        epoch: state.storage.epoch().to_owned(),
        server_time: Timestamp(now_ts()),
    }));
    let mut bucket = TokenBucket::new(cfg.rate_burst, cfg.rate_per_sec, Instant::now());
    let shutdown = state.shutdown.clone();
    let bounded = |r: Result<Result<(), ()>, tokio::time::error::Elapsed>| matches!(r, Ok(Ok(())));
    let mut ending = if bounded(
        tokio::time::timeout(cfg.write_timeout, socket.send(hello))
            .await
            .map(|r| r.map_err(|_| ())),
    ) {
        None
    } else {
        Some(None)
    };
    // Made once and polled in place: a timer and a shutdown waiter made afresh for every
    // frame cost more than the frame itself when a thousand sockets are busy.
    let shutting_down = shutdown.cancelled();
    tokio::pin!(shutting_down);
    let expiry = sleep_until(token_deadline(user.exp));
    tokio::pin!(expiry);
    let idle = sleep_until(Instant::now() + cfg.idle_timeout);
    tokio::pin!(idle);
    let mut ping = tokio::time::interval_at(Instant::now() + cfg.ping_interval, cfg.ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while ending.is_none() {
        tokio::select! {
            biased;
            _ = &mut shutting_down => {
                ending = Some(Some(Ending { code: CloseCode::GoingAway, error: None }));
            }
            _ = &mut expiry => {
                ending = Some(Some(Ending::new(CloseCode::Unauthorized, "token_expired", "the token has expired; authenticate again")));
            }
            _ = &mut idle => {
                ending = Some(Some(Ending::new(CloseCode::AuthTimeout, "idle_timeout", "nothing was heard from this connection for too long")));
            }
            _ = ping.tick() => {
                let sent = socket.send(Message::Ping(Default::default()));
                if !bounded(tokio::time::timeout(cfg.write_timeout, sent).await.map(|r| r.map_err(|_| ()))) {
                    ending = Some(None);
                }
            }
            frame = sub.rx.recv() => match frame {
                Some(frame) => {
                    // A peer that stopped reading stalls the write: after the timeout it is
                    // dropped, and its client reconnects and catches up.
                    let wrote = tokio::time::timeout(cfg.write_timeout, forward(socket, &mut sub, frame)).await;
                    if !bounded(wrote) {
                        ending = Some(None);
                    }
                }
                None => {
                    let why = match sub.dropped_reason() {
                        Some(Dropped::Lagged) | None => Ending::new(CloseCode::TryAgainLater, "lagged", "this connection fell behind; reconnect and catch up"),
                        Some(Dropped::SessionEnded) => Ending::new(CloseCode::Unauthorized, "session_ended", "the session has ended; sign in again"),
                    };
                    ending = Some(Some(why));
                }
            },
            msg = socket.next() => {
                // Anything at all, a pong too, shows the connection is alive.
                idle.as_mut().reset(Instant::now() + cfg.idle_timeout);
                if !bucket.take(Instant::now()) {
                    ending = Some(Some(rate_limited()));
                    continue;
                }
                match msg {
                    None | Some(Ok(Message::Close(_))) => ending = Some(None),
                    Some(Err(e)) => ending = Some(Some(protocol_error(&e))),
                    Some(Ok(Message::Text(text))) => match ClientFrame::from_json(&text) {
                        Ok(ClientFrame::Ping { .. }) => {
                            let pong = socket.send(control(ServerEvent::Pong));
                            if !bounded(tokio::time::timeout(cfg.write_timeout, pong).await.map(|r| r.map_err(|_| ()))) {
                                ending = Some(None);
                            }
                        }
                        // A fresh token for the same user extends the session; one for
                        // another building or role (the user was moved) closes the socket,
                        // which was joined to the old audience: the client reconnects.
                        Ok(ClientFrame::Auth { payload, .. }) => match check_token(state, &payload.token).await {
                            Ok(fresh) if fresh.id == user.id && (fresh.building_id != user.building_id || fresh.role != user.role) => {
                                ending = Some(Some(Ending::new(CloseCode::Unauthorized, "audience_changed", "the token is for another building or role; connect again")));
                            }
                            Ok(fresh) if fresh.id == user.id => {
                                if fresh.session != user.session {
                                    state.storage.hub().set_session(socket_id, &fresh.session);
                                }
                                user = fresh;
                                expiry.as_mut().reset(token_deadline(user.exp));
                            }
                            Ok(_) => ending = Some(Some(Ending::new(CloseCode::Forbidden, "forbidden", "a socket cannot change user"))),
                            Err(e) => ending = Some(Some(e)),
                        },
                        Err(e) => ending = Some(Some(malformed(e.to_string()))),
                    },
                    Some(Ok(Message::Binary(_))) => ending = Some(Some(malformed("binary frames are not part of the protocol".into()))),
                    Some(Ok(_)) => {}
                }
            }
        }
    }
    state.storage.hub().leave(socket_id);
    ending.flatten()
}

/// Most queued frames written before one flush.
const BATCH: usize = 64;

/// Writes a frame and whatever else is already queued (up to [`BATCH`]), then flushes once:
/// under load one system call carries many frames; when idle it is one frame as before.
async fn forward<S>(socket: &mut S, sub: &mut Subscription, first: Frame) -> Result<(), ()>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let text = |f: Frame| Message::Text((*f).clone());
    socket.feed(text(first)).await.map_err(|_| ())?;
    for _ in 1..BATCH {
        match sub.rx.try_recv() {
            Ok(frame) => socket.feed(text(frame)).await.map_err(|_| ())?,
            Err(_) => break,
        }
    }
    socket.flush().await.map_err(|_| ())
}

/// When a token with this `exp` (Unix seconds) stops being valid, as a tokio instant: the
/// start of second `exp + 1`, the first moment the verifier refuses it.
fn token_deadline(exp: u64) -> Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let expires_ms = exp.saturating_add(1).saturating_mul(1000);
    Instant::now() + Duration::from_millis(expires_ms.saturating_sub(now_ms))
}

/// Flood control for client frames.
struct TokenBucket {
    tokens: f64,
    burst: f64,
    per_sec: f64,
    at: Instant,
}

impl TokenBucket {
    fn new(burst: u32, per_sec: u32, now: Instant) -> Self {
        TokenBucket {
            tokens: burst as f64,
            burst: burst as f64,
            per_sec: per_sec as f64,
            at: now,
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst is allowed, a flood is not, and the bucket refills with time.
    #[test]
    fn token_bucket_limits_floods() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(3, 1, t0);
        assert!(b.take(t0) && b.take(t0) && b.take(t0));
        assert!(!b.take(t0));
        assert!(b.take(t0 + Duration::from_secs(1)));
    }
}
