//! Every transition of the connection machine, with injected time and jitter.

use ppt_protocol::ClientFrame;

use super::*;
use crate::status::ConnectionState::*;

const J: f64 = 0.5; // jitter 0.5: delays are exactly nominal

fn cfg() -> ConnectionConfig {
    ConnectionConfig::default()
}

/// A machine that has connected socket 1 at t=0.
fn connected() -> Machine {
    let mut m = Machine::new(cfg());
    m.step(Input::Start { lifetime_ms: None }, 0, J);
    m.step(Input::Opened { socket: 1 }, 0, J);
    m.step(Input::Authenticated { socket: 1 }, 0, J);
    m
}

fn state(m: &Machine) -> ConnectionState {
    m.status().state
}

fn wake(cmds: &[Command]) -> Option<u64> {
    cmds.iter().rev().find_map(|c| match c {
        Command::WakeAt(t) => Some(*t),
        _ => None,
    })
}

/// Start opens a socket; open sends `auth` with the token; only `connection:authenticated`
/// makes it `connected`.
#[test]
fn connects_only_after_authenticated() {
    let mut m = Machine::new(cfg());
    assert_eq!(state(&m), Disconnected);
    let c = m.step(Input::Start { lifetime_ms: None }, 0, J);
    assert_eq!(
        c,
        vec![Command::Open { socket: 1 }, Command::WakeAt(10_000)]
    );
    assert_eq!(state(&m), Connecting);
    let c = m.step(Input::Opened { socket: 1 }, 5, J);
    assert_eq!(c, vec![Command::Authenticate { socket: 1 }]);
    assert_eq!(state(&m), Connecting, "open is not connected");
    m.step(Input::Frame { socket: 1 }, 6, J);
    assert_eq!(state(&m), Connecting, "a pong is not authentication");
    let c = m.step(Input::Authenticated { socket: 1 }, 7, J);
    assert_eq!(state(&m), Connected);
    assert_eq!(wake(&c), Some(30_007), "first ping due one interval later");
}

/// A close retries with 1 s, 2 s, 4 s … and the status says reconnecting with the time.
#[test]
fn drops_retry_with_exponential_backoff() {
    let mut m = connected();
    let c = m.step(
        Input::Closed {
            socket: 1,
            code: 1006,
        },
        100,
        J,
    );
    assert_eq!(c, vec![Command::WakeAt(1_100)]);
    assert_eq!(m.status().state, Reconnecting);
    assert_eq!(m.status().retry_at, Some(1_100));
    assert_eq!(
        m.step(Input::Tick, 1_099, J),
        vec![Command::WakeAt(1_100)],
        "not yet"
    );
    let c = m.step(Input::Tick, 1_100, J);
    assert_eq!(c[0], Command::Open { socket: 2 });
    m.step(
        Input::Closed {
            socket: 2,
            code: 1006,
        },
        1_200,
        J,
    );
    assert_eq!(m.status().retry_at, Some(3_200), "second retry after 2 s");
    m.step(Input::Tick, 3_200, J);
    m.step(
        Input::Closed {
            socket: 3,
            code: 1006,
        },
        3_300,
        J,
    );
    assert_eq!(m.status().retry_at, Some(7_300), "third after 4 s");
}

/// After a connection has been stable, the next drop starts the backoff at 1 s again.
#[test]
fn backoff_resets_after_a_stable_connection() {
    let mut m = connected();
    for s in 1..=4u64 {
        m.step(
            Input::Closed {
                socket: s,
                code: 1006,
            },
            0,
            J,
        );
        m.step(Input::Tick, m.status().retry_at.unwrap(), J);
    }
    assert_eq!(m.attempt(), 4);
    let t = 100_000;
    m.step(Input::Opened { socket: 5 }, t, J);
    m.step(Input::Authenticated { socket: 5 }, t, J);
    m.step(Input::Tick, t + 10_000, J);
    assert_eq!(m.attempt(), 0, "stable after 10 s");
    m.step(
        Input::Closed {
            socket: 5,
            code: 1006,
        },
        t + 20_000,
        J,
    );
    assert_eq!(m.status().retry_at, Some(t + 21_000));

    // A connection that drops quickly does not reset it.
    let mut m = connected();
    m.step(
        Input::Closed {
            socket: 1,
            code: 1006,
        },
        0,
        J,
    );
    m.step(Input::Tick, 1_000, J);
    m.step(Input::Opened { socket: 2 }, 1_000, J);
    m.step(Input::Authenticated { socket: 2 }, 1_000, J);
    m.step(
        Input::Closed {
            socket: 2,
            code: 1006,
        },
        2_000,
        J,
    );
    assert_eq!(m.status().retry_at, Some(4_000), "second attempt: 2 s");
}

/// Frames and closes from an older socket are ignored: no second socket, no stopped heartbeat.
#[test]
fn stale_sockets_are_ignored() {
    let mut m = connected();
    m.step(
        Input::Closed {
            socket: 1,
            code: 1006,
        },
        0,
        J,
    );
    m.step(Input::Tick, 1_000, J); // opens socket 2
    assert_eq!(m.step(Input::Opened { socket: 1 }, 1_001, J), vec![]);
    assert_eq!(m.step(Input::Authenticated { socket: 1 }, 1_002, J), vec![]);
    assert_eq!(state(&m), Reconnecting);
    m.step(Input::Opened { socket: 2 }, 1_003, J);
    m.step(Input::Authenticated { socket: 2 }, 1_004, J);
    assert_eq!(state(&m), Connected);
    assert_eq!(
        m.step(
            Input::Closed {
                socket: 1,
                code: 1006
            },
            1_005,
            J
        ),
        vec![]
    );
    assert_eq!(
        state(&m),
        Connected,
        "an old close does not end the new connection"
    );
    assert_eq!(m.current_socket(), Some(2));
    // The heartbeat still runs for socket 2.
    let c = m.step(Input::Tick, 31_004, J);
    assert_eq!(
        c[0],
        Command::Send {
            socket: 2,
            frame: ClientFrame::ping()
        }
    );
}

/// 4401 fetches one fresh token and reconnects with it; a second 4401 goes to login.
#[test]
fn unauthorized_refreshes_once_then_logs_in() {
    let mut m = connected();
    let c = m.step(
        Input::Closed {
            socket: 1,
            code: 4401,
        },
        0,
        J,
    );
    assert_eq!(c, vec![Command::RefreshToken]);
    let c = m.step(Input::TokenRefreshed { lifetime_ms: None }, 10, J);
    assert_eq!(c[0], Command::Open { socket: 2 });
    let c = m.step(Input::Opened { socket: 2 }, 20, J);
    assert_eq!(c, vec![Command::Authenticate { socket: 2 }]);
    let c = m.step(
        Input::Closed {
            socket: 2,
            code: 4401,
        },
        30,
        J,
    );
    assert_eq!(c, vec![Command::GoToLogin]);
    assert_eq!(state(&m), Error);
    assert_eq!(m.step(Input::Tick, 1_000_000, J), vec![], "no retry loop");
}

/// A successful authentication re-arms the one refresh.
#[test]
fn refresh_is_rearmed_after_success() {
    let mut m = connected();
    m.step(
        Input::Closed {
            socket: 1,
            code: 4401,
        },
        0,
        J,
    );
    m.step(Input::TokenRefreshed { lifetime_ms: None }, 1, J);
    m.step(Input::Opened { socket: 2 }, 2, J);
    m.step(Input::Authenticated { socket: 2 }, 3, J);
    assert_eq!(
        m.step(
            Input::Closed {
                socket: 2,
                code: 4401
            },
            3_600_000,
            J
        ),
        vec![Command::RefreshToken]
    );
}

/// A refused refresh goes to login; a network failure retries the refresh later.
#[test]
fn refresh_failures() {
    let mut m = connected();
    m.step(
        Input::Closed {
            socket: 1,
            code: 4401,
        },
        0,
        J,
    );
    assert_eq!(
        m.step(Input::TokenRefreshFailed { unauthorized: true }, 1, J),
        vec![Command::GoToLogin]
    );
    assert_eq!(state(&m), Error);

    let mut m = connected();
    m.step(
        Input::Closed {
            socket: 1,
            code: 4401,
        },
        0,
        J,
    );
    let c = m.step(
        Input::TokenRefreshFailed {
            unauthorized: false,
        },
        1,
        J,
    );
    assert_eq!(c, vec![Command::WakeAt(1_001)]);
    assert_eq!(
        m.step(Input::Tick, 1_001, J),
        vec![Command::RefreshToken],
        "the old token is not tried again"
    );
}

/// 4403 stops for good; logout closes with 1000 and stops; a later close changes nothing.
#[test]
fn forbidden_and_logout_stop() {
    let mut m = connected();
    assert_eq!(
        m.step(
            Input::Closed {
                socket: 1,
                code: 4403
            },
            0,
            J
        ),
        vec![]
    );
    assert_eq!(state(&m), Error);
    assert_eq!(m.step(Input::Tick, 100_000, J), vec![]);

    let mut m = connected();
    assert_eq!(
        m.step(Input::Logout, 5, J),
        vec![Command::Close {
            socket: 1,
            code: 1000
        }]
    );
    assert_eq!(state(&m), Disconnected);
    assert_eq!(
        m.step(
            Input::Closed {
                socket: 1,
                code: 1000
            },
            6,
            J
        ),
        vec![]
    );
    assert_eq!(m.step(Input::Online, 7, J), vec![]);
    assert_eq!(state(&m), Disconnected);
    // Logging in again starts fresh.
    let c = m.step(Input::Start { lifetime_ms: None }, 8, J);
    assert_eq!(c[0], Command::Open { socket: 2 });
    assert_eq!(state(&m), Connecting);
}

/// Other codes (auth timeout, policy, lagged) retry with the backoff (going away and
/// restarting: `a_restarting_server_is_left_at_once`).
#[test]
fn other_codes_retry() {
    for code in [1000, 1006, 1008, 1011, 1013, 4000, 4408] {
        let mut m = connected();
        let c = m.step(Input::Closed { socket: 1, code }, 0, J);
        assert_eq!(c, vec![Command::WakeAt(1_000)], "code {code}");
        assert_eq!(state(&m), Reconnecting);
    }
}

/// 4429 (too many sockets for the account) retries at the backoff cap, not at once.
#[test]
fn too_many_sockets_retries_at_the_cap() {
    let closed = Input::Closed {
        socket: 1,
        code: 4429,
    };
    let mut m = connected();
    m.step(closed.clone(), 0, J);
    assert_eq!(state(&m), Reconnecting);
    assert_eq!(m.status().retry_at, Some(30_000));
    for jitter in [0.0, 0.99] {
        let mut m = connected();
        m.step(closed.clone(), 0, jitter);
        let at = m.status().retry_at.unwrap();
        assert!((22_500..=30_000).contains(&at), "{at}");
    }
}

/// Pings every 30 s after the last frame; 10 s of silence after a ping closes and retries.
#[test]
fn heartbeat_detects_a_dead_link() {
    let mut m = connected();
    m.step(Input::Frame { socket: 1 }, 20_000, J);
    assert_eq!(
        m.step(Input::Tick, 30_000, J),
        vec![Command::WakeAt(50_000)],
        "a frame pushes the ping back"
    );
    let c = m.step(Input::Tick, 50_000, J);
    assert_eq!(
        c,
        vec![
            Command::Send {
                socket: 1,
                frame: ClientFrame::ping()
            },
            Command::WakeAt(60_000)
        ]
    );
    let c = m.step(Input::Tick, 60_000, J);
    assert_eq!(
        c[0],
        Command::Close {
            socket: 1,
            code: CLIENT_GAVE_UP
        }
    );
    assert_eq!(state(&m), Reconnecting);
}

/// A pong in time keeps the connection.
#[test]
fn pong_keeps_the_link() {
    let mut m = connected();
    m.step(Input::Tick, 30_000, J);
    m.step(Input::Frame { socket: 1 }, 30_100, J);
    let c = m.step(Input::Tick, 40_000, J);
    assert_eq!(c, vec![Command::WakeAt(60_100)]);
    assert_eq!(state(&m), Connected);
}

/// Opening or authenticating that takes too long is abandoned and retried.
#[test]
fn connect_timeout() {
    let mut m = Machine::new(cfg());
    m.step(Input::Start { lifetime_ms: None }, 0, J);
    m.step(Input::Opened { socket: 1 }, 10, J);
    let c = m.step(Input::Tick, 10_000, J);
    assert_eq!(
        c[0],
        Command::Close {
            socket: 1,
            code: CLIENT_GAVE_UP
        }
    );
    assert_eq!(state(&m), Reconnecting);
    assert_eq!(
        m.step(
            Input::Closed {
                socket: 1,
                code: 4000
            },
            10_001,
            J
        ),
        vec![],
        "our own close is stale"
    );
}

/// Back online or visible while waiting: try at once instead of waiting out the backoff.
#[test]
fn online_and_visible_retry_at_once() {
    for input in [Input::Online, Input::Visible, Input::RetryNow] {
        let mut m = connected();
        m.step(
            Input::Closed {
                socket: 1,
                code: 1006,
            },
            0,
            J,
        );
        let c = m.step(input.clone(), 10, J);
        assert_eq!(c[0], Command::Open { socket: 2 }, "{input:?}");
    }
}

/// Offline: no retries until online; a connected socket is probed with a ping.
#[test]
fn offline_waits_for_the_network() {
    let mut m = connected();
    let c = m.step(Input::Offline, 5, J);
    assert_eq!(
        c,
        vec![
            Command::Send {
                socket: 1,
                frame: ClientFrame::ping()
            },
            Command::WakeAt(10_005)
        ]
    );
    m.step(
        Input::Closed {
            socket: 1,
            code: 1006,
        },
        6,
        J,
    );
    assert_eq!(m.status().retry_at, None);
    assert!(m.status().offline);
    assert_eq!(m.step(Input::Tick, 100_000, J), vec![]);
    let c = m.step(Input::Online, 100_001, J);
    assert_eq!(c[0], Command::Open { socket: 2 });
}

/// A token refreshed while connected is sent on the open socket to extend its session.
#[test]
fn refreshed_token_reauthenticates_the_open_socket() {
    let mut m = connected();
    let c = m.step(Input::TokenRefreshed { lifetime_ms: None }, 5, J);
    assert_eq!(c, vec![Command::Authenticate { socket: 1 }]);
}

/// Retry delays use the jitter: two clients with different jitter retry at different times.
#[test]
fn jitter_spreads_retries() {
    let mut a = connected();
    let mut b = connected();
    a.step(
        Input::Closed {
            socket: 1,
            code: 1001,
        },
        0,
        0.0,
    );
    b.step(
        Input::Closed {
            socket: 1,
            code: 1001,
        },
        0,
        0.99,
    );
    assert_ne!(a.status().retry_at, b.status().retry_at);
}

/// Without a connection for a while, live updates count as paused; a connection ends that.
#[test]
fn long_outages_pause_live_updates() {
    let mut m = connected();
    let c = m.step(
        Input::Closed {
            socket: 1,
            code: 1006,
        },
        1_000,
        J,
    );
    assert_eq!(
        c,
        vec![Command::WakeAt(2_000)],
        "the retry comes before the pause"
    );
    assert!(!m.status().degraded);
    let mut t = 2_000;
    let mut socket = 2;
    while t < 21_000 {
        let c = m.step(Input::Tick, t, J);
        if c.iter().any(|c| matches!(c, Command::Open { .. })) {
            m.step(Input::Closed { socket, code: 1006 }, t, J);
            socket += 1;
        }
        t = m.status().retry_at.unwrap_or(t + 1_000).min(21_000);
    }
    m.step(Input::Tick, 21_000, J);
    assert!(m.status().degraded, "20 s without a connection");
    assert_eq!(m.status().text(21_000), "Updates by polling");
    let c = m.step(Input::RetryNow, 21_001, J);
    let Some(Command::Open { socket }) = c.first().cloned() else {
        panic!("{c:?}")
    };
    m.step(Input::Opened { socket }, 21_002, J);
    m.step(Input::Authenticated { socket }, 21_003, J);
    assert!(!m.status().degraded);
}

/// A wake-up for the pause is never lost behind a later retry.
#[test]
fn the_pause_deadline_is_kept() {
    let mut m = connected();
    for s in 1..=5u64 {
        m.step(
            Input::Closed {
                socket: s,
                code: 1006,
            },
            0,
            J,
        );
        m.step(Input::Tick, m.status().retry_at.unwrap(), J);
    }
    // Backoff is now 30 s; the pause at 20 s after the first drop comes first.
    let c = m.step(
        Input::Closed {
            socket: 6,
            code: 1006,
        },
        15_000,
        J,
    );
    assert_eq!(c, vec![Command::WakeAt(20_000)]);
}

/// A machine connected at t=0 with a token valid for `lifetime` ms.
fn connected_for(lifetime: u64) -> Machine {
    let mut m = Machine::new(cfg());
    m.step(
        Input::Start {
            lifetime_ms: Some(lifetime),
        },
        0,
        J,
    );
    m.step(Input::Opened { socket: 1 }, 0, J);
    m.step(Input::Authenticated { socket: 1 }, 0, J);
    m
}

/// A token is renewed after four fifths of its lifetime, and the fresh one goes to the open
/// socket: the connection never drops for a token's expiry.
#[test]
fn tokens_are_renewed_before_they_expire() {
    let mut m = Machine::new(cfg());
    m.step(
        Input::Start {
            lifetime_ms: Some(20_000),
        },
        0,
        J,
    );
    m.step(Input::Opened { socket: 1 }, 0, J);
    let c = m.step(Input::Authenticated { socket: 1 }, 0, J);
    assert_eq!(
        wake(&c),
        Some(16_000),
        "woken for the renewal, before the heartbeat"
    );
    assert_eq!(
        m.step(Input::Tick, 15_999, J),
        vec![Command::WakeAt(16_000)]
    );
    let c = m.step(Input::Tick, 16_000, J);
    assert!(c.contains(&Command::RefreshToken), "{c:?}");
    assert_eq!(state(&m), Connected, "the socket stays up meanwhile");
    // No second renewal while one is in flight.
    let c = m.step(Input::Tick, 17_000, J);
    assert!(!c.contains(&Command::RefreshToken), "{c:?}");
    let c = m.step(
        Input::TokenRefreshed {
            lifetime_ms: Some(20_000),
        },
        17_000,
        J,
    );
    assert_eq!(
        c,
        vec![Command::Authenticate { socket: 1 }, Command::WakeAt(30_000),]
    );
    // The next renewal is due four fifths into the new token's life.
    m.step(Input::Tick, 30_000, J);
    m.step(Input::Frame { socket: 1 }, 30_001, J);
    let c = m.step(Input::Tick, 33_000, J);
    assert!(c.contains(&Command::RefreshToken), "{c:?}");
}

/// A renewal the server refuses means the session ended elsewhere: the socket closes and
/// the login page shows, once.
#[test]
fn a_refused_renewal_goes_to_login() {
    let mut m = connected_for(10_000);
    let c = m.step(Input::Tick, 8_000, J);
    assert!(c.contains(&Command::RefreshToken));
    let c = m.step(Input::TokenRefreshFailed { unauthorized: true }, 8_100, J);
    assert_eq!(
        c,
        vec![
            Command::Close {
                socket: 1,
                code: 1000
            },
            Command::GoToLogin
        ]
    );
    assert_eq!(state(&m), Error);
    assert!(m.step(Input::Tick, 20_000, J).is_empty());
}

/// A renewal that cannot reach the server is tried again later; the connection goes on.
#[test]
fn a_renewal_without_network_is_retried() {
    let mut m = connected_for(10_000);
    m.step(Input::Tick, 8_000, J);
    let c = m.step(
        Input::TokenRefreshFailed {
            unauthorized: false,
        },
        8_100,
        J,
    );
    assert_eq!(state(&m), Connected);
    assert!(!c.contains(&Command::GoToLogin));
    let retry = 8_100 + RENEW_RETRY_MS;
    // Heartbeats come and go; the renewal is asked for again at the retry time.
    let mut t = 8_100;
    let mut renewed_at = None;
    while t <= retry {
        t += 1_000;
        let c = m.step(Input::Tick, t, J);
        m.step(Input::Frame { socket: 1 }, t, J);
        if c.contains(&Command::RefreshToken) {
            renewed_at = Some(t);
            break;
        }
    }
    assert!(renewed_at.is_some_and(|at| at >= retry), "{renewed_at:?}");
}

/// A reconnect after the renewal time renews the token first, instead of offering the old
/// one to the server and being refused.
#[test]
fn a_reconnect_with_a_stale_token_renews_it_first() {
    let mut m = connected_for(5_000);
    let c = m.step(
        Input::Closed {
            socket: 1,
            code: 1006,
        },
        3_000,
        J,
    );
    assert_eq!(wake(&c), Some(4_000));
    let c = m.step(Input::Tick, 4_000, J);
    assert_eq!(c, vec![Command::RefreshToken]);
    let c = m.step(
        Input::TokenRefreshed {
            lifetime_ms: Some(5_000),
        },
        4_100,
        J,
    );
    assert!(c.contains(&Command::Open { socket: 2 }), "{c:?}");
}

/// Diagnostics: the round trip is from a ping to the next frame, and survives a drop;
/// reconnects count connections after the first, until logout.
#[test]
fn round_trip_and_reconnects_for_diagnostics() {
    let mut m = connected();
    assert_eq!(m.status().rtt_ms, None);
    assert_eq!(m.status().reconnects, 0);
    m.step(Input::Tick, 30_000, J);
    m.step(Input::Frame { socket: 1 }, 30_042, J);
    assert_eq!(m.status().rtt_ms, Some(42));
    m.step(
        Input::Closed {
            socket: 1,
            code: 1006,
        },
        31_000,
        J,
    );
    assert_eq!(m.status().rtt_ms, Some(42), "kept while away");
    let retry = m.status().retry_at.unwrap();
    let c = m.step(Input::Tick, retry, J);
    let socket = c
        .iter()
        .find_map(|c| match c {
            Command::Open { socket } => Some(*socket),
            _ => None,
        })
        .unwrap();
    m.step(Input::Opened { socket }, retry, J);
    m.step(Input::Authenticated { socket }, retry, J);
    assert_eq!(m.status().reconnects, 1);
    m.step(Input::Logout, retry + 1, J);
    assert_eq!(m.status().reconnects, 0);
    assert_eq!(m.status().rtt_ms, None);
}

/// A server going away on purpose (1012 draining, 1001 shutting down): one attempt at once,
/// spread by the jitter within the hand-over spread, not the backoff; if that fails too, the
/// backoff applies from its start.
#[test]
fn a_restarting_server_is_left_at_once() {
    for code in [1012, 1001] {
        for jitter in [0.0, 0.5, 0.99] {
            let mut m = connected();
            let out = m.step(Input::Closed { socket: 1, code }, 100_000, jitter);
            let at = wake(&out).expect("a wake-up");
            let spread = cfg().handover_spread_ms;
            assert!(
                at >= 100_000 && at < 100_000 + spread,
                "{code} {jitter}: {at}"
            );
            assert_eq!(at, 100_000 + (jitter * spread as f64) as u64);
            assert_eq!(m.status().state, ConnectionState::Reconnecting);
            assert_eq!(
                m.status().last_error.as_deref(),
                Some("The server is restarting.")
            );
            let out = m.step(Input::Tick, at, J);
            assert!(out.iter().any(|c| matches!(c, Command::Open { socket: 2 })));
            // The next server is not there either: the backoff, from 1 s.
            let out = m.step(
                Input::Closed {
                    socket: 2,
                    code: 1006,
                },
                at,
                0.5,
            );
            let next = wake(&out).expect("a retry");
            assert!(next - at >= 500 && next - at <= 1_500, "{}", next - at);
        }
    }
    // Any other ending waits out the backoff as before.
    let mut m = connected();
    let out = m.step(
        Input::Closed {
            socket: 1,
            code: 1006,
        },
        100_000,
        0.5,
    );
    assert!(wake(&out).unwrap() - 100_000 >= 500);
}
