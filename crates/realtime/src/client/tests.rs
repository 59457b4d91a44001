//! The client: how the parts are wired to each other, one timer, one session's life.

use ppt_protocol::envelope::Authenticated;
use ppt_protocol::rest::{NotificationPreferences, Role, User};
use ppt_protocol::{ServerEvent, Timestamp};

use super::*;
use crate::backoff::BackoffConfig;
use crate::heartbeat::HeartbeatConfig;
use ppt_protocol::ClientFrame;

const J: f64 = 0.5;

fn config(can_coordinate: bool) -> ClientConfig {
    ClientConfig {
        connection: ConnectionConfig {
            backoff: BackoffConfig {
                base_ms: 1_000,
                max_ms: 30_000,
            },
            heartbeat: HeartbeatConfig {
                interval_ms: 30_000,
                timeout_ms: 10_000,
            },
            ..ConnectionConfig::default()
        },
        live: LiveConfig::default(),
        queries: QueryConfig::default(),
        tab: 7,
        can_coordinate,
    }
}

/// A tab and its clock.
struct Tab {
    client: Client,
    now: u64,
    prefs: NotificationPreferences,
    /// Every command, in order.
    log: Vec<Command>,
}

impl Tab {
    fn new(can_coordinate: bool) -> Self {
        Tab {
            client: Client::new(config(can_coordinate)),
            now: 1_000,
            prefs: NotificationPreferences::default(),
            log: Vec::new(),
        }
    }

    fn feed(&mut self, input: Input) -> Vec<Command> {
        let own = |_: &str| false;
        let permitted = || false;
        let w = World {
            now: self.now,
            prefs: &self.prefs,
            tab_hidden: false,
            browser_permitted: &permitted,
            own_request: &own,
            listening: true,
        };
        let out = self.client.step(input, &w, J);
        self.log.extend(out.iter().cloned());
        out
    }

    fn sign_in(&mut self, user: &str, token: &str, shared: bool) -> Vec<Command> {
        self.feed(Input::SignedIn(SignIn {
            user: user.into(),
            token: token.into(),
            tag: "tag".into(),
            lifetime_ms: Some(900_000),
            shared,
            cursor: Cursor::default(),
            share: Some(login(user, token)),
        }))
    }

    /// Feeds what the socket says: opened, then authenticated.
    fn connect(&mut self) -> Vec<Command> {
        let socket = self.client.current_socket().expect("a socket");
        let mut out = self.feed(Input::Connection(machine::Input::Opened { socket }));
        out.extend(self.feed(Input::Connection(machine::Input::Authenticated { socket })));
        out.extend(self.feed(Input::Frames(vec![authenticated(0)])));
        out
    }

    /// The outbox this tab runs was restored, with nothing stored.
    fn restored(&mut self) {
        self.feed(Input::OutboxRestored {
            user: "alice".into(),
            stored: Stored::default(),
        });
    }

    /// A component shows `key`, and its first fetch came back.
    fn show(&mut self, key: &QueryKey) {
        self.feed(Input::Query(QueryInput::Mounted {
            key: key.clone(),
            stale_after: None,
        }));
        self.feed(Input::Query(QueryInput::Fetched {
            key: key.clone(),
            versions: Vec::new(),
        }));
    }

    /// Moves the clock to the wake-up last asked for and ticks.
    fn wake(&mut self) -> Vec<Command> {
        let at = self
            .log
            .iter()
            .rev()
            .find_map(|c| match c {
                Command::WakeAt(at) => Some(*at),
                _ => None,
            })
            .flatten()
            .expect("a wake-up");
        self.now = self.now.max(at);
        self.feed(Input::Tick)
    }
}

fn login(user: &str, token: &str) -> LoginResponse {
    LoginResponse {
        token: token.into(),
        user: User {
            id: user.into(),
            name: user.into(),
            email: format!("{user}@example.org"),
            role: Role::Resident,
            building_name: String::new(),
        },
        expires_in: 900,
        shared: false,
        offline_max_age: 0,
        session_tag: "tag".into(),
    }
}

fn authenticated(last: u64) -> Envelope {
    Envelope::control(
        ServerEvent::Authenticated(Authenticated {
            user_id: "alice".into(),
            last_event_id: last,
            epoch: "e".into(),
            server_time: Timestamp::default(),
        }),
        Timestamp::default(),
    )
}

fn item(path: &str) -> OutboxAsk {
    OutboxAsk::Add {
        path: path.into(),
        body: RawJson::of(&serde_json::json!({"text": "hi"})).unwrap(),
        label: "Fault".into(),
        key: "k1".into(),
        request_id: None,
    }
}

fn wakes(out: &[Command]) -> Vec<Option<u64>> {
    out.iter()
        .filter_map(|c| match c {
            Command::WakeAt(at) => Some(*at),
            _ => None,
        })
        .collect()
}

/// A tab alone (no Web Locks) holds its own socket at sign-in and runs the outbox; the
/// session's traces of others go first.
#[test]
fn a_tab_alone_connects_at_sign_in() {
    let mut tab = Tab::new(false);
    let out = tab.sign_in("alice", "t1", false);
    assert_eq!(
        out[0],
        Command::ForgetTraces {
            keep: Some("alice".into())
        }
    );
    assert!(out.contains(&Command::LoadPreferences));
    assert!(out.contains(&Command::RestoreOutbox {
        user: "alice".into()
    }));
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::Connection(machine::Command::Open { socket: 1 }))));
    assert_eq!(tab.client.leadership(), Leadership::Alone);
    // Without Web Locks there is nobody to tell.
    assert!(!out.iter().any(|c| matches!(c, Command::Post(_))));
    // One timer: the connection's timeout.
    assert_eq!(wakes(&out).len(), 1);
}

/// The outbox sends while the connection is up, and not before.
#[test]
fn the_outbox_goes_when_the_connection_is_up() {
    let mut tab = Tab::new(false);
    tab.sign_in("alice", "t1", false);
    let key = ppt_protocol::resources::FAULTS.key();
    tab.show(&key);
    tab.restored();
    let out = tab.feed(Input::Outbox(item("/faults")));
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::StoreOutbox { stored: Some(s), .. } if s.items.len() == 1)));
    assert!(!out.iter().any(|c| matches!(c, Command::SendCreate(_))));
    let out = tab.connect();
    let sent: Vec<_> = out
        .iter()
        .filter_map(|c| match c {
            Command::SendCreate(i) => Some(i.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 1, "{out:?}");
    // Delivered: the faults list is refetched (the create's own, no chip).
    let out = tab.feed(Input::OutboxAnswered {
        id: sent[0].id,
        outcome: Outcome::Sent(RawJson::of(&serde_json::json!({"id": "1"})).unwrap()),
    });
    assert!(out.contains(&Command::ShowOutbox(Vec::new())));
    let mut out = out;
    out.extend(tab.wake());
    assert!(
        out.contains(&Command::Fetch {
            key,
            foreign: false
        }),
        "{out:?}"
    );
}

/// A delivered message goes into the inbox in place.
#[test]
fn a_delivered_message_is_written_in_place() {
    let mut tab = Tab::new(false);
    tab.sign_in("alice", "t1", false);
    tab.restored();
    tab.connect();
    let out = tab.feed(Input::Outbox(item("/messages")));
    let Some(Command::SendCreate(sent)) = out.iter().find(|c| matches!(c, Command::SendCreate(_)))
    else {
        panic!("sent at once: {out:?}");
    };
    let message = serde_json::json!({
        "id": "m1", "conversationId": "c1", "fromUserId": "alice", "fromName": "Alice",
        "toUserId": "bob", "body": "hi", "sentAt": "2026-12-03T10:00:00Z"
    });
    let out = tab.feed(Input::OutboxAnswered {
        id: sent.id,
        outcome: Outcome::Sent(RawJson::of(&message).unwrap()),
    });
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::Write(Action::Messages(m)) if m[0].id == "m1")),
        "{out:?}"
    );
}

/// With Web Locks a tab follows until the lock is granted: it greets the leader, and
/// connects only then; once it took the socket over from a leader, it relays.
#[test]
fn a_follower_connects_when_granted_the_lock() {
    let mut tab = Tab::new(true);
    let out = tab.sign_in("alice", "t1", false);
    assert!(out.contains(&Command::RequestLock));
    assert!(out.contains(&Command::Post(TabMessage::Hello { from: 7 })));
    assert!(!out
        .iter()
        .any(|c| matches!(c, Command::Connection(machine::Command::Open { .. }))));
    // The session goes to the other tabs (a login here).
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::Post(TabMessage::Session(_)))));
    // The leader's status is shown; the cursor adopted.
    let out = tab.feed(Input::FromTab(TabMessage::Welcome {
        from: 9,
        to: 7,
        cursor: Cursor::default(),
        status: StatusView::of(ConnectionState::Connected),
    }));
    assert_eq!(
        out[0],
        Command::ShowStatus(StatusView::of(ConnectionState::Connected))
    );
    assert_eq!(tab.client.tab_ids(), (7, Some(9)));
    let out = tab.feed(Input::LockGranted);
    assert_eq!(tab.client.leadership(), Leadership::Leading);
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::Connection(machine::Command::Open { .. }))));
    assert!(out.contains(&Command::RestoreOutbox {
        user: "alice".into()
    }));
    // Taking over: what it catches up is relayed to the tabs that followed with it.
    let out = tab.connect();
    assert!(out.iter().any(|c| matches!(
        c,
        Command::Post(TabMessage::Status { status, .. }) if status.state == ConnectionState::Connected
    )));
}

/// A renewed token is shared with the other tabs, unless another tab shared it.
#[test]
fn a_token_from_another_tab_is_not_shared_back() {
    let mut tab = Tab::new(true);
    tab.sign_in("alice", "t1", false);
    let out = tab.sign_in("alice", "t2", false);
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::Post(TabMessage::Session(s)) if s.token == "t2")));
    // Renewing is no sign-in: nothing is forgotten or reloaded.
    assert!(!out
        .iter()
        .any(|c| matches!(c, Command::ForgetTraces { .. })));
    let out = tab.feed(Input::FromTab(TabMessage::Session(login("alice", "t3"))));
    assert!(matches!(&out[0], Command::UseSession(s) if s.token == "t3"));
    let out = tab.sign_in("alice", "t3", false);
    assert!(
        !out.iter().any(|c| matches!(c, Command::Post(_))),
        "{out:?}"
    );
}

/// Signing out closes the socket, tells the other tabs, and leaves nothing behind.
#[test]
fn signing_out_leaves_nothing() {
    let mut tab = Tab::new(false);
    tab.sign_in("alice", "t1", false);
    tab.connect();
    let out = tab.feed(Input::SignedOut { expired: false });
    assert!(out.iter().any(|c| matches!(
        c,
        Command::Connection(machine::Command::Close { code: 1000, .. })
    )));
    assert!(out.contains(&Command::Clear));
    assert!(out.contains(&Command::ForgetTraces { keep: None }));
    assert!(out.contains(&Command::ShowOutbox(Vec::new())));
    assert_eq!(tab.client.user(), None);
    assert!(tab.client.live_figures().is_none());
    // A late page for the last user is nobody's.
    let out = tab.feed(Input::Missed {
        user: "alice".into(),
        page: None,
        polling: false,
    });
    assert!(!out
        .iter()
        .any(|c| matches!(c, Command::FetchMissed { .. } | Command::Write(_))));
}

/// Another user signing in in this tab ends the last one's session first, keeping what
/// the new user stored.
#[test]
fn another_user_replaces_the_last() {
    let mut tab = Tab::new(false);
    tab.sign_in("alice", "t1", false);
    let out = tab.sign_in("bob", "t2", false);
    let clear = out
        .iter()
        .position(|c| *c == Command::Clear)
        .expect("cleared");
    let forget = out
        .iter()
        .position(|c| {
            *c == Command::ForgetTraces {
                keep: Some("bob".into()),
            }
        })
        .expect("forgets all but bob's");
    assert!(clear < forget);
    assert!(!out.contains(&Command::ForgetTraces { keep: None }));
    assert_eq!(tab.client.user(), Some("bob"));
}

/// A shared computer's session stores neither the cursor nor the outbox.
#[test]
fn a_shared_computer_keeps_nothing() {
    let mut tab = Tab::new(false);
    let out = tab.sign_in("alice", "t1", true);
    assert!(out.contains(&Command::ForgetTraces { keep: None }));
    assert!(!out
        .iter()
        .any(|c| matches!(c, Command::ShowStoredOutbox { .. })));
    tab.restored();
    let out = tab.feed(Input::Outbox(item("/faults")));
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::StoreOutbox { stored: None, .. })));
    tab.connect();
    // The cursor would be saved a second later: it is not.
    for _ in 0..3 {
        tab.wake();
    }
    assert!(!tab
        .log
        .iter()
        .any(|c| matches!(c, Command::SaveCursor { .. })));
}

/// One timer for every part: asked again only when the earliest wake-up changes, and
/// always after it fired; each part is woken only when it is due.
#[test]
fn one_timer_for_every_part() {
    let mut tab = Tab::new(false);
    tab.sign_in("alice", "t1", false);
    tab.restored();
    let out = tab.connect();
    // Connected: the heartbeat's ping and the cursor's save are both waiting; the earliest
    // is asked for.
    let asked = wakes(&out);
    assert!(!asked.is_empty());
    let at = asked.last().copied().flatten().unwrap();
    assert!(at <= tab.now + 1_000, "the cursor's save comes first: {at}");
    // A tick too early wakes nobody but asks again.
    let out = tab.feed(Input::Tick);
    assert_eq!(wakes(&out), vec![Some(at)]);
    assert!(!out.iter().any(|c| matches!(c, Command::SaveCursor { .. })));
    // On time: the cursor is saved, and the heartbeat's ping is next.
    let out = tab.wake();
    assert!(out.iter().any(|c| matches!(c, Command::SaveCursor { .. })));
    let next = wakes(&out).last().copied().flatten().unwrap();
    assert!(next > at);
    let out = tab.wake();
    assert!(
        out.iter().any(|c| matches!(
            c,
            Command::Connection(machine::Command::Send {
                frame: ClientFrame::Ping { .. },
                ..
            })
        )),
        "{out:?}"
    );
}

/// Live updates paused (no connection for a while): the tab holding the socket polls the
/// log; they are back: it stops.
#[test]
fn paused_live_updates_poll_the_log() {
    let mut tab = Tab::new(false);
    tab.sign_in("alice", "t1", false);
    let socket = tab.client.current_socket().unwrap();
    tab.feed(Input::Connection(machine::Input::Closed {
        socket,
        code: 1006,
    }));
    let mut polled = false;
    for _ in 0..40 {
        let out = tab.wake();
        if out
            .iter()
            .any(|c| matches!(c, Command::FetchMissed { polling: true, .. }))
        {
            polled = true;
            break;
        }
        // Every retry fails.
        if let Some(socket) = tab.client.current_socket() {
            tab.feed(Input::Connection(machine::Input::Closed {
                socket,
                code: 1006,
            }));
        }
    }
    assert!(polled, "polled while paused");
    assert!(tab.client.status().degraded);
}

/// Events the live core applies invalidate queries through the scheduler, and what it
/// asks a query to refetch is fetched once however many events ask.
#[test]
fn applied_events_invalidate_queries() {
    let mut tab = Tab::new(false);
    tab.sign_in("alice", "t1", false);
    tab.connect();
    let key = ppt_protocol::resources::FAULTS.key();
    tab.show(&key);
    let change = |id: u64| Envelope {
        event: ServerEvent::Entity(
            ppt_protocol::envelope::EntityAction::Created,
            ppt_protocol::envelope::EntityChange {
                entity: ppt_protocol::EntityKind::Fault,
                id: format!("f{id}"),
                version: Some(1),
            },
        ),
        timestamp: Timestamp::default(),
        request_id: None,
        id: Some(id),
        prev_id: Some(id - 1),
    };
    tab.feed(Input::Frames(vec![change(1), change(2)]));
    // The scheduler gathers them in its window: one fetch.
    let out = tab.wake();
    let fetches = out
        .iter()
        .filter(|c| matches!(c, Command::Fetch { key: k, foreign: true } if *k == key))
        .count();
    assert_eq!(fetches, 1, "{out:?}");
    assert!(tab
        .log
        .iter()
        .any(|c| matches!(c, Command::Applied(e) if e.len() == 2)));
}

/// A live message raises the unread total in place, and the server's total is fetched once
/// after the window however many came: a total that already counted one still on its way
/// does not count it twice for long.
#[test]
fn live_messages_refetch_the_unread_total_once() {
    let mut tab = Tab::new(false);
    tab.sign_in("alice", "t1", false);
    tab.connect();
    let key = unread_key();
    tab.show(&key);
    let message = |id: u64| Envelope {
        event: ServerEvent::MessageNew(ppt_protocol::envelope::MessageNew {
            message: serde_json::from_value(serde_json::json!({
                "id": format!("m{id}"), "conversationId": "c1", "fromUserId": "bob",
                "fromName": "Bob", "toUserId": "alice", "body": "hi",
                "sentAt": "2026-12-03T10:00:00Z"
            }))
            .unwrap(),
        }),
        timestamp: Timestamp::default(),
        request_id: None,
        id: Some(id),
        prev_id: Some(id - 1),
    };
    let out = tab.feed(Input::Frames(vec![message(1), message(2)]));
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::Write(Action::Messages(m)) if m.len() == 2)));
    assert!(!out.iter().any(|c| matches!(c, Command::Fetch { .. })));
    let out = tab.wake();
    let fetches = out
        .iter()
        .filter(|c| matches!(c, Command::Fetch { key: k, foreign: false } if *k == key))
        .count();
    assert_eq!(fetches, 1, "{out:?}");
}
