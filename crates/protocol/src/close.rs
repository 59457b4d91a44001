//! WebSocket close codes (docs/protocol.md, "Closing") and the client's policy for each.

/// Close codes the server uses (and the client's own 1000 on logout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// 1000: closed on purpose (the user logged out).
    Normal,
    /// 1001: the server is going away (shutdown, restart).
    GoingAway,
    /// 1012: service restart: the server is draining for a new version (its sockets close
    /// spread over the drain time); the client tries another server at once.
    ServiceRestart,
    /// 1008: policy: bad Origin, oversized or malformed frame, flooding.
    Policy,
    /// 1013: try again later: this socket fell too far behind and was dropped; the client
    /// reconnects and catches up through `/events/missed`.
    TryAgainLater,
    /// 4401: token missing, invalid or expired.
    Unauthorized,
    /// 4403: forbidden.
    Forbidden,
    /// 4408: no `auth` frame in time, or nothing at all (not even a pong) for too long.
    AuthTimeout,
    /// 4429: the user already holds as many sockets as the server allows; the client retries
    /// at its backoff cap.
    TooManySockets,
    /// Any other code.
    Other(u16),
}

impl CloseCode {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::Policy => 1008,
            CloseCode::ServiceRestart => 1012,
            CloseCode::TryAgainLater => 1013,
            CloseCode::Unauthorized => 4401,
            CloseCode::Forbidden => 4403,
            CloseCode::AuthTimeout => 4408,
            CloseCode::TooManySockets => 4429,
            CloseCode::Other(c) => c,
        }
    }

    /// Reads a numeric code.
    pub fn from_code(code: u16) -> Self {
        match code {
            1000 => CloseCode::Normal,
            1001 => CloseCode::GoingAway,
            1008 => CloseCode::Policy,
            1012 => CloseCode::ServiceRestart,
            1013 => CloseCode::TryAgainLater,
            4401 => CloseCode::Unauthorized,
            4403 => CloseCode::Forbidden,
            4408 => CloseCode::AuthTimeout,
            4429 => CloseCode::TooManySockets,
            other => CloseCode::Other(other),
        }
    }
}
