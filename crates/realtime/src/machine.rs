//! The connection state machine: inputs (socket opened, authenticated, frame, closed with a
//! code, wake-up, online, visible, token refreshed, logout) and the current time go in;
//! commands (open, send, close, refresh the token, go to login, wake me at) come out.
//!
//! Only one socket is ever current. Sockets are numbered; anything reported about a socket
//! that is no longer current is ignored, so a reconnect never leaves two live sockets and a
//! late close from an old socket cannot stop the new one's heartbeat.
//!
//! Close-code policy: 4401 gets one fresh token (`RefreshToken`) and then the login page,
//! never the same token again; 4403 stops; the user's logout (1000) stops; every other
//! ending retries with backoff.
//!
//! Tokens are short-lived (15 minutes): told a token's lifetime, the machine renews it when
//! four fifths of it have passed, and hands the fresh one to the open socket (an `auth`
//! frame), so a connection outlives its tokens without a reconnect. A renewal the server
//! refuses means the session ended (logout elsewhere, a stolen cookie): the login page.

use ppt_protocol::{ClientFrame, CloseCode};

use super::backoff::BackoffConfig;
use super::heartbeat::{Beat, Heartbeat, HeartbeatConfig};
use super::status::{ConnectionState, StatusView};

/// A socket's number.
pub type SocketId = u64;

/// The close code the client uses when it gives up on a socket itself (dead link, timeout).
pub const CLIENT_GAVE_UP: u16 = 4000;

/// Timing settings; tests shrink them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionConfig {
    pub backoff: BackoffConfig,
    pub heartbeat: HeartbeatConfig,
    /// How long opening plus authentication may take before the attempt is abandoned.
    pub connect_timeout_ms: u64,
    /// A connection up this long counts as stable: the backoff starts again from 1 s.
    pub stable_after_ms: u64,
    /// Without a connection this long, live updates count as paused (the app polls).
    pub degrade_after_ms: u64,
    /// A server restarting (1001, 1012): the first attempt comes within this, at random,
    /// so a drained server's clients do not all arrive at once.
    pub handover_spread_ms: u64,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            backoff: BackoffConfig::default(),
            heartbeat: HeartbeatConfig::default(),
            connect_timeout_ms: 10_000,
            stable_after_ms: 10_000,
            degrade_after_ms: 20_000,
            handover_spread_ms: 1_000,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Someone is logged in: connect with the session's token, valid for `lifetime_ms` from
    /// now (`None`: unknown, renewed only when the server refuses it).
    Start { lifetime_ms: Option<u64> },
    /// The socket's `open` event.
    Opened { socket: SocketId },
    /// `connection:authenticated` arrived.
    Authenticated { socket: SocketId },
    /// Any other frame arrived.
    Frame { socket: SocketId },
    /// The socket closed (an `error` event counts as a close with 1006).
    Closed { socket: SocketId, code: u16 },
    /// The wake-up asked for with [`Command::WakeAt`] is due.
    Tick,
    /// The browser's `online` event.
    Online,
    /// The browser's `offline` event.
    Offline,
    /// The tab became visible.
    Visible,
    /// A fresh token arrived (the session holds it), valid for `lifetime_ms` from now.
    TokenRefreshed { lifetime_ms: Option<u64> },
    /// `/auth/refresh` failed; `unauthorized`: the server refused it (else: network trouble).
    TokenRefreshFailed { unauthorized: bool },
    /// The user pressed "Retry now".
    RetryNow,
    /// The user logged out.
    Logout,
}

/// What the glue must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Open a new WebSocket, known from now on by this number.
    Open {
        socket: SocketId,
    },
    Send {
        socket: SocketId,
        frame: ClientFrame,
    },
    /// Send `auth` with the session's current token on this socket. (The token has one
    /// home, the session store; the machine only knows when it is due and how long it lives.)
    Authenticate {
        socket: SocketId,
    },
    Close {
        socket: SocketId,
        code: u16,
    },
    /// Fetch a fresh token (`POST /auth/refresh`) and report back.
    RefreshToken,
    /// The session cannot be renewed: show the login page.
    GoToLogin,
    /// Feed [`Input::Tick`] at this time (replaces any earlier wake-up).
    WakeAt(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Idle,
    Opening {
        socket: SocketId,
        since: u64,
    },
    Authenticating {
        socket: SocketId,
        since: u64,
    },
    Connected {
        socket: SocketId,
        since: u64,
        heartbeat: Heartbeat,
    },
    /// Waiting to retry at the given time (`None`: until the browser is online again).
    Waiting {
        retry_at: Option<u64>,
    },
    Refreshing,
    Stopped(Stop),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    LoggedOut,
    Forbidden,
    AuthFailed,
}

/// The connection's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    cfg: ConnectionConfig,
    phase: Phase,
    next_socket: SocketId,
    /// Retries since the last stable connection.
    attempt: u32,
    online: bool,
    has_connected: bool,
    /// A 4401 already led to one refresh since the last successful authentication.
    refreshed_once: bool,
    /// The next attempt must fetch a token first.
    refresh_pending: bool,
    /// When to renew the token ahead of its expiry.
    renew_at: Option<u64>,
    /// A renewal ahead of expiry is in flight.
    renewing: bool,
    last_error: Option<String>,
    /// Since when there has been no connection (while logged in).
    down_since: Option<u64>,
    degraded: bool,
    /// Successful authentications since `Start` (diagnostics: reconnects are the rest).
    connections: u32,
    /// The last round trip measured on a connection.
    rtt_ms: Option<u64>,
}

impl Machine {
    pub fn new(cfg: ConnectionConfig) -> Self {
        Machine {
            cfg,
            phase: Phase::Idle,
            next_socket: 0,
            attempt: 0,
            online: true,
            has_connected: false,
            refreshed_once: false,
            refresh_pending: false,
            renew_at: None,
            renewing: false,
            last_error: None,
            down_since: None,
            degraded: false,
            connections: 0,
            rtt_ms: None,
        }
    }

    /// The socket that counts, if any.
    pub fn current_socket(&self) -> Option<SocketId> {
        match &self.phase {
            Phase::Opening { socket, .. }
            | Phase::Authenticating { socket, .. }
            | Phase::Connected { socket, .. } => Some(*socket),
            _ => None,
        }
    }

    /// Retries since the last stable connection.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// What the status indicator shows.
    pub fn status(&self) -> StatusView {
        let reconnecting = self.has_connected || self.attempt > 0;
        let (state, retry_at) = match &self.phase {
            Phase::Idle | Phase::Stopped(Stop::LoggedOut) => (ConnectionState::Disconnected, None),
            Phase::Stopped(_) => (ConnectionState::Error, None),
            Phase::Connected { .. } => (ConnectionState::Connected, None),
            Phase::Waiting { retry_at } => (ConnectionState::Reconnecting, *retry_at),
            Phase::Opening { .. } | Phase::Authenticating { .. } | Phase::Refreshing => {
                if reconnecting {
                    (ConnectionState::Reconnecting, None)
                } else {
                    (ConnectionState::Connecting, None)
                }
            }
        };
        let rtt_ms = match &self.phase {
            Phase::Connected { heartbeat, .. } => heartbeat.rtt_ms().or(self.rtt_ms),
            _ => self.rtt_ms,
        };
        StatusView {
            state,
            retry_at,
            offline: !self.online,
            last_error: self.last_error.clone(),
            degraded: self.degraded,
            rtt_ms,
            reconnects: self.connections.saturating_sub(1),
        }
    }

    /// Takes one input at `now`; `jitter` in `[0, 1)` spreads a retry if one is scheduled.
    pub fn step(&mut self, input: Input, now: u64, jitter: f64) -> Vec<Command> {
        let mut out = Vec::new();
        match input {
            Input::Start { lifetime_ms } => {
                self.renew_at = renewal(now, lifetime_ms);
                self.renewing = false;
                if matches!(self.phase, Phase::Idle | Phase::Stopped(_)) {
                    self.attempt = 0;
                    self.refreshed_once = false;
                    self.refresh_pending = false;
                    self.last_error = None;
                    self.down_since = Some(now);
                    self.degraded = false;
                    self.connect(now, &mut out);
                }
            }
            Input::Opened { socket } => {
                if let Phase::Opening { socket: s, since } = self.phase {
                    if s == socket {
                        self.phase = Phase::Authenticating { socket, since };
                        out.push(Command::Authenticate { socket });
                    }
                }
            }
            Input::Authenticated { socket } => {
                if let Phase::Authenticating { socket: s, .. } | Phase::Opening { socket: s, .. } =
                    self.phase
                {
                    if s == socket {
                        let heartbeat = Heartbeat::new(self.cfg.heartbeat, now);
                        self.phase = Phase::Connected {
                            socket,
                            since: now,
                            heartbeat,
                        };
                        self.has_connected = true;
                        self.connections = self.connections.saturating_add(1);
                        self.refreshed_once = false;
                        self.last_error = None;
                        self.down_since = None;
                        self.degraded = false;
                        self.wake(now, &mut out);
                    }
                }
            }
            Input::Frame { socket } => {
                if let Phase::Connected {
                    socket: s,
                    heartbeat,
                    ..
                } = &mut self.phase
                {
                    if *s == socket {
                        heartbeat.frame_received(now);
                    }
                }
            }
            Input::Closed { socket, code } => {
                if self.current_socket() == Some(socket) {
                    self.closed(code, now, jitter, &mut out);
                }
            }
            Input::Tick => self.tick(now, jitter, &mut out),
            Input::Online => {
                self.online = true;
                self.probe_or_retry(now, &mut out);
            }
            Input::Offline => {
                self.online = false;
                // The socket may survive; a ping tells within the heartbeat timeout.
                self.probe(now, &mut out);
            }
            Input::Visible => self.probe_or_retry(now, &mut out),
            Input::RetryNow => {
                if matches!(self.phase, Phase::Waiting { .. }) {
                    self.connect(now, &mut out);
                }
            }
            Input::TokenRefreshed { lifetime_ms } => {
                self.refresh_pending = false;
                self.renewing = false;
                self.renew_at = renewal(now, lifetime_ms);
                if self.renew_at.is_some() {
                    self.wake(now, &mut out);
                }
                match &self.phase {
                    Phase::Refreshing => self.open(now, &mut out),
                    // Keep the open socket's session alive with the new token.
                    Phase::Connected { socket, .. } => {
                        out.push(Command::Authenticate { socket: *socket })
                    }
                    _ => {}
                }
            }
            Input::TokenRefreshFailed { unauthorized } => {
                let renewing = std::mem::take(&mut self.renewing);
                if renewing && !matches!(self.phase, Phase::Refreshing) {
                    if unauthorized {
                        // The session is over (ended elsewhere): nothing to renew it with.
                        if let Some(socket) = self.current_socket() {
                            out.push(Command::Close {
                                socket,
                                code: CloseCode::Normal.code(),
                            });
                        }
                        self.stop(
                            Stop::AuthFailed,
                            "Your session has ended. Please sign in again.",
                        );
                        out.push(Command::GoToLogin);
                    } else {
                        // The server is out of reach: try again a little later; the token
                        // still works meanwhile.
                        self.renew_at = Some(now + RENEW_RETRY_MS);
                        self.wake(now, &mut out);
                    }
                } else if matches!(self.phase, Phase::Refreshing) {
                    if unauthorized {
                        self.stop(
                            Stop::AuthFailed,
                            "Your session has expired. Please sign in again.",
                        );
                        out.push(Command::GoToLogin);
                    } else {
                        self.refresh_pending = true;
                        self.last_error = Some("Cannot reach the server.".into());
                        self.schedule_retry(now, jitter, &mut out);
                    }
                }
            }
            Input::Logout => {
                if let Some(socket) = self.current_socket() {
                    out.push(Command::Close {
                        socket,
                        code: CloseCode::Normal.code(),
                    });
                }
                self.renew_at = None;
                self.renewing = false;
                self.attempt = 0;
                self.has_connected = false;
                self.connections = 0;
                self.rtt_ms = None;
                self.last_error = None;
                self.down_since = None;
                self.degraded = false;
                self.phase = Phase::Stopped(Stop::LoggedOut);
            }
        }
        self.one_wake(&mut out);
        out
    }

    /// There is one wake-up timer: keeps only the earliest `WakeAt`, moved to the end, and
    /// brings it forward to the moment live updates count as paused, if that comes first.
    fn one_wake(&self, out: &mut Vec<Command>) {
        let mut wake: Option<u64> = None;
        out.retain(|c| match c {
            Command::WakeAt(t) => {
                wake = Some(wake.map_or(*t, |w| w.min(*t)));
                false
            }
            _ => true,
        });
        if let Some(mut w) = wake {
            if let (Some(since), false) = (self.down_since, self.degraded) {
                w = w.min(since + self.cfg.degrade_after_ms);
            }
            out.push(Command::WakeAt(w));
        }
    }

    /// Starts an attempt: a token first if one is needed, else a socket.
    fn connect(&mut self, now: u64, out: &mut Vec<Command>) {
        // A token due for renewal is renewed before it is offered to a new socket.
        if self.renew_at.is_some_and(|at| now >= at) {
            self.renew_at = None;
            self.refresh_pending = true;
        }
        if !self.online {
            self.phase = Phase::Waiting { retry_at: None };
        } else if self.refresh_pending {
            self.phase = Phase::Refreshing;
            out.push(Command::RefreshToken);
        } else {
            self.open(now, out);
        }
    }

    fn open(&mut self, now: u64, out: &mut Vec<Command>) {
        self.next_socket += 1;
        let socket = self.next_socket;
        self.phase = Phase::Opening { socket, since: now };
        out.push(Command::Open { socket });
        out.push(Command::WakeAt(now + self.cfg.connect_timeout_ms));
    }

    fn closed(&mut self, code: u16, now: u64, jitter: f64, out: &mut Vec<Command>) {
        match CloseCode::from_code(code) {
            CloseCode::Unauthorized => {
                if self.refreshed_once {
                    self.stop(
                        Stop::AuthFailed,
                        "Your session has expired. Please sign in again.",
                    );
                    out.push(Command::GoToLogin);
                } else {
                    self.refreshed_once = true;
                    self.phase = Phase::Refreshing;
                    out.push(Command::RefreshToken);
                }
            }
            CloseCode::Forbidden => {
                self.stop(Stop::Forbidden, "The server refused this connection.")
            }
            // Too many sockets for this account: not soon; at the backoff's cap.
            CloseCode::TooManySockets => {
                self.last_error = Some("Too many connections for this account.".into());
                // Any attempt from 5 on is at the cap (1 s · 2^5 > 30 s).
                self.attempt = self.attempt.max(16);
                self.schedule_retry(now, jitter, out);
            }
            // The server went away on purpose (a restart, a drain): another one is there now,
            // so one attempt at once, spread by the jitter, before any backoff. Only from a
            // working connection: if that attempt fails too, the backoff applies as usual.
            CloseCode::GoingAway | CloseCode::ServiceRestart
                if matches!(self.phase, Phase::Connected { .. }) =>
            {
                self.last_error = Some("The server is restarting.".into());
                let delay = (jitter * self.cfg.handover_spread_ms as f64) as u64;
                self.wait(delay, now, out);
            }
            _ => {
                self.last_error = Some(match code {
                    1001 | 1012 => "The server is restarting.".into(),
                    1013 => "The connection fell behind.".into(),
                    _ => "The connection was lost.".into(),
                });
                self.schedule_retry(now, jitter, out);
            }
        }
    }

    /// Stops for good. Only reached when no socket is live (it has just closed, or a token
    /// was being fetched), so there is nothing to close.
    fn stop(&mut self, why: Stop, message: &str) {
        self.last_error = Some(message.into());
        self.phase = Phase::Stopped(why);
    }

    fn schedule_retry(&mut self, now: u64, jitter: f64, out: &mut Vec<Command>) {
        if let Phase::Connected { since, .. } = self.phase {
            if now.saturating_sub(since) >= self.cfg.stable_after_ms {
                self.attempt = 0;
            }
        }
        let delay = self.cfg.backoff.delay(self.attempt, jitter);
        self.attempt = self.attempt.saturating_add(1);
        self.wait(delay, now, out);
    }

    /// The socket is gone: try again `delay` from now (or when the network is back).
    fn wait(&mut self, delay: u64, now: u64, out: &mut Vec<Command>) {
        if let Phase::Connected { heartbeat, .. } = &self.phase {
            self.rtt_ms = heartbeat.rtt_ms().or(self.rtt_ms);
        }
        self.down_since.get_or_insert(now);
        if self.online {
            let at = now + delay;
            self.phase = Phase::Waiting { retry_at: Some(at) };
            out.push(Command::WakeAt(at));
        } else {
            self.phase = Phase::Waiting { retry_at: None };
        }
    }

    fn tick(&mut self, now: u64, jitter: f64, out: &mut Vec<Command>) {
        if matches!(self.phase, Phase::Connected { .. })
            && !self.renewing
            && self.renew_at.is_some_and(|at| now >= at)
        {
            self.renew_at = None;
            self.renewing = true;
            out.push(Command::RefreshToken);
        }
        if let Some(since) = self.down_since {
            if !self.degraded && now >= since + self.cfg.degrade_after_ms {
                self.degraded = true;
            }
        }
        match &mut self.phase {
            Phase::Opening { socket, since } | Phase::Authenticating { socket, since } => {
                let socket = *socket;
                if now >= *since + self.cfg.connect_timeout_ms {
                    out.push(Command::Close {
                        socket,
                        code: CLIENT_GAVE_UP,
                    });
                    self.last_error = Some("The server did not answer.".into());
                    self.schedule_retry(now, jitter, out);
                } else {
                    out.push(Command::WakeAt(*since + self.cfg.connect_timeout_ms));
                }
            }
            Phase::Connected {
                socket, heartbeat, ..
            } => {
                let socket = *socket;
                match heartbeat.check(now) {
                    Beat::Dead => {
                        out.push(Command::Close {
                            socket,
                            code: CLIENT_GAVE_UP,
                        });
                        self.last_error = Some("The connection stopped answering.".into());
                        self.schedule_retry(now, jitter, out);
                    }
                    Beat::Ping => {
                        heartbeat.ping_sent(now);
                        out.push(Command::Send {
                            socket,
                            frame: ClientFrame::ping(),
                        });
                        self.wake(now, out);
                    }
                    Beat::Wait(_) => self.wake(now, out),
                }
            }
            Phase::Waiting { retry_at } => match *retry_at {
                Some(at) if now >= at => self.connect(now, out),
                Some(at) => out.push(Command::WakeAt(at)),
                None => {}
            },
            Phase::Idle | Phase::Refreshing | Phase::Stopped(_) => {}
        }
    }

    /// While connected: asks for the next wake-up (heartbeat, or the moment it turns stable).
    fn wake(&mut self, now: u64, out: &mut Vec<Command>) {
        if let Phase::Connected {
            since, heartbeat, ..
        } = &self.phase
        {
            let stable_at = *since + self.cfg.stable_after_ms;
            if self.attempt > 0 && now >= stable_at {
                self.attempt = 0;
            }
            let mut at = match heartbeat.check(now) {
                Beat::Wait(t) => t,
                _ => now,
            };
            if self.attempt > 0 {
                at = at.min(stable_at);
            }
            if let (Some(renew), false) = (self.renew_at, self.renewing) {
                at = at.min(renew);
            }
            out.push(Command::WakeAt(at));
        }
    }

    /// Connected: check the link with a ping now. Waiting: try at once.
    fn probe_or_retry(&mut self, now: u64, out: &mut Vec<Command>) {
        if matches!(self.phase, Phase::Waiting { .. }) {
            self.connect(now, out);
        } else {
            self.probe(now, out);
        }
    }

    fn probe(&mut self, now: u64, out: &mut Vec<Command>) {
        if let Phase::Connected {
            socket, heartbeat, ..
        } = &mut self.phase
        {
            if !heartbeat.awaiting_pong() {
                heartbeat.ping_sent(now);
                out.push(Command::Send {
                    socket: *socket,
                    frame: ClientFrame::ping(),
                });
                out.push(Command::WakeAt(now + self.cfg.heartbeat.timeout_ms));
            }
        }
    }
}

/// How long after a failed renewal (network trouble) to try again, in milliseconds.
pub const RENEW_RETRY_MS: u64 = 30_000;

/// When to renew a token valid for `lifetime_ms` from `now`: after four fifths of it.
fn renewal(now: u64, lifetime_ms: Option<u64>) -> Option<u64> {
    lifetime_ms.map(|l| now + l - l / 5)
}

#[cfg(test)]
mod tests;
