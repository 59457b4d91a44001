//! Tab coordination: each decision, and a simulated browser (a Web Lock queue and a
//! broadcast channel) where tabs open, sign in, close and sign out at random.

use std::collections::VecDeque;

use ppt_protocol::rest::{Role, User};

use super::*;
use crate::status::ConnectionState;
use crate::testing::Lcg;

fn cursor(id: u64) -> Cursor {
    Cursor {
        epoch: Some("e".into()),
        last_id: Some(id),
        last_timestamp: None,
    }
}

fn login(token: &str) -> LoginResponse {
    LoginResponse {
        token: token.into(),
        user: User {
            id: "1".into(),
            name: "Alice".into(),
            email: "alice@demo.ppt".into(),
            role: Role::Resident,
            building_name: String::new(),
        },
        expires_in: 900,
        shared: false,
        offline_max_age: 0,
        session_tag: String::new(),
    }
}

fn posts(commands: &[TabCommand]) -> Vec<TabMessage> {
    commands
        .iter()
        .filter_map(|c| match c {
            TabCommand::Post(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn connected() -> (Cursor, StatusView) {
    (cursor(7), StatusView::of(ConnectionState::Connected))
}

/// Without Web Locks or BroadcastChannel a tab keeps its own socket, as before.
#[test]
fn a_tab_that_cannot_coordinate_runs_its_own_socket() {
    let mut tab = Tabs::new(1, false);
    assert_eq!(
        tab.signed_in(),
        [TabCommand::StartSocket { take_over: false }]
    );
    assert_eq!(tab.leadership(), Leadership::Alone);
    assert!(tab.session_here(login("t")).is_empty(), "nobody to tell");
    assert_eq!(tab.signed_out_here(false), [TabCommand::StopSocket]);
}

/// The first tab asks for the lock, greets nobody in particular, and leads once granted:
/// a plain start (not a take-over), and its state goes to the others.
#[test]
fn the_first_tab_leads() {
    let mut tab = Tabs::new(1, true);
    assert_eq!(
        tab.signed_in(),
        [
            TabCommand::RequestLock,
            TabCommand::Post(TabMessage::Hello { from: 1 })
        ]
    );
    assert_eq!(tab.leadership(), Leadership::Following);
    let out = tab.lock_granted(StatusView::of(ConnectionState::Disconnected));
    assert_eq!(out[0], TabCommand::StartSocket { take_over: false });
    assert!(matches!(
        posts(&out)[..],
        [TabMessage::Status { from: 1, .. }]
    ));
    assert_eq!(tab.leader(), Some(1));
    // Its own state shows here and goes to the followers.
    let out = tab.own_status(StatusView::of(ConnectionState::Connected));
    assert_eq!(
        out[0],
        TabCommand::ShowStatus(StatusView::of(ConnectionState::Connected))
    );
    assert_eq!(posts(&out).len(), 1);
}

/// A second tab follows: the leader welcomes it with its cursor and state, and from then on
/// it applies the leader's relays; relays sent before the welcome were already inside the
/// cursor it adopts, so they are not applied again.
#[test]
fn a_second_tab_follows_from_the_leaders_cursor() {
    let mut leader = Tabs::new(1, true);
    leader.signed_in();
    leader.lock_granted(StatusView::of(ConnectionState::Connected));
    assert!(
        leader
            .relay(vec![Relay::Reset { cursor: cursor(5) }])
            .is_empty(),
        "nobody follows yet: nothing to relay"
    );
    let mut follower = Tabs::new(2, true);
    let hello = posts(&follower.signed_in()).remove(0);
    let early = TabMessage::Relay {
        from: 1,
        relays: vec![Relay::Reset { cursor: cursor(6) }],
    };
    assert!(follower.received(early, connected).is_empty());
    let welcome = posts(&leader.received(hello, connected)).remove(0);
    let out = follower.received(welcome, || unreachable!("only a leader welcomes"));
    assert_eq!(
        out,
        [
            TabCommand::Adopt(cursor(7)),
            TabCommand::ShowStatus(StatusView::of(ConnectionState::Connected))
        ]
    );
    assert_eq!(follower.leader(), Some(1));
    let relays = vec![Relay::Reset { cursor: cursor(9) }];
    let posted = posts(&leader.relay(relays.clone())).remove(0);
    assert_eq!(
        follower.received(posted, connected),
        [TabCommand::Follow(relays)]
    );
    // A follower's own state is not shown; the leader's is.
    assert!(follower
        .own_status(StatusView::of(ConnectionState::Disconnected))
        .is_empty());
    let out = follower.received(
        TabMessage::Status {
            from: 1,
            status: StatusView::of(ConnectionState::Reconnecting),
        },
        connected,
    );
    assert_eq!(
        out,
        [TabCommand::ShowStatus(StatusView::of(
            ConnectionState::Reconnecting
        ))]
    );
    // A follower neither welcomes nor relays.
    assert!(follower
        .received(TabMessage::Hello { from: 3 }, connected)
        .is_empty());
    assert!(follower
        .relay(vec![Relay::Reset { cursor: cursor(1) }])
        .is_empty());
}

/// A follower granted the lock (the leader went away) takes over: its socket resumes from
/// the relayed cursor; a follower still waiting for a welcome greets the new leader.
#[test]
fn a_follower_takes_over() {
    let mut follower = Tabs::new(2, true);
    follower.signed_in();
    follower.received(
        TabMessage::Welcome {
            from: 1,
            to: 2,
            cursor: cursor(3),
            status: StatusView::of(ConnectionState::Connected),
        },
        connected,
    );
    let out = follower.lock_granted(StatusView::of(ConnectionState::Disconnected));
    assert_eq!(out[0], TabCommand::StartSocket { take_over: true });
    assert_eq!(follower.leadership(), Leadership::Leading);

    let mut late = Tabs::new(3, true);
    late.signed_in();
    let out = late.received(
        TabMessage::Status {
            from: 2,
            status: StatusView::of(ConnectionState::Connecting),
        },
        connected,
    );
    assert_eq!(posts(&out), [TabMessage::Hello { from: 3 }]);
}

/// Signing out in any tab signs out every tab: the leader stops its socket and gives the
/// lock back; a lock granted after signing out is given back at once.
#[test]
fn sign_out_reaches_every_tab() {
    let mut leader = Tabs::new(1, true);
    leader.signed_in();
    leader.lock_granted(StatusView::of(ConnectionState::Connected));
    let mut follower = Tabs::new(2, true);
    follower.signed_in();
    let out = follower.signed_out_here(false);
    assert_eq!(out[0], TabCommand::ReleaseLock);
    let message = posts(&out).remove(0);
    assert_eq!(
        leader.received(message, connected),
        [
            TabCommand::StopSocket,
            TabCommand::ReleaseLock,
            TabCommand::SignOut { expired: false }
        ]
    );
    assert_eq!(leader.leadership(), Leadership::Idle);
    assert_eq!(
        leader.lock_granted(StatusView::of(ConnectionState::Disconnected)),
        [TabCommand::ReleaseLock]
    );
    // A signed-out tab ignores a second sign-out, and takes a session from another tab.
    assert!(leader
        .received(TabMessage::SignedOut { expired: true }, connected)
        .is_empty());
    assert_eq!(
        leader.received(TabMessage::Session(login("t2")), connected),
        [TabCommand::UseSession(login("t2"))]
    );
}

/// Messages survive the trip through the channel as JSON.
#[test]
fn messages_round_trip_as_json() {
    let every = every_message();
    assert_eq!(every.len(), WRITTEN.len());
    for (m, text) in every.into_iter().zip(WRITTEN) {
        assert_eq!(serde_json::to_string(&m).unwrap(), text);
        assert_eq!(
            serde_json::from_str::<TabMessage>(text).unwrap(),
            m,
            "{text}"
        );
    }
    // A unit variant may also come as `{"name": null}` (serde reads it so), nothing else.
    let read = |text: &str| serde_json::from_str::<Relay>(text);
    assert_eq!(read(r#"{"gapFilled":null}"#).unwrap(), Relay::GapFilled);
    assert!(read(r#"{"gapFilled":1}"#).is_err());
    assert!(read(r#""gapfilled""#).is_err());
}

/// A queued item, as the outbox holds and stores it.
pub(crate) fn item(request_id: Option<&str>) -> crate::outbox::Item {
    crate::outbox::Item {
        id: 2,
        key: "k-2".into(),
        path: "/faults".into(),
        body: RawJson::from_text(r#"{"title":"Lift \"B\"","description":"é"}"#.into()).unwrap(),
        label: "Fault: Lift".into(),
        state: crate::outbox::ItemState::Failed,
        error: request_id.map(|_| "refused".into()),
        attempts: 4,
        request_id: request_id.map(Into::into),
    }
}

/// One of every kind of message the tabs send each other (and every kind of relay and
/// toast inside them).
fn every_message() -> Vec<TabMessage> {
    use crate::toast::{ToastAction, ToastKind};
    use ppt_protocol::envelope::{EntityAction, EntityChange};
    use ppt_protocol::{EntityKind, Envelope, ServerEvent, Timestamp};
    let push = ToastAction::Push {
        kind: ToastKind::Notification,
        title: "Lift".into(),
        body: "Out of order\n".into(),
        link: Some("/faults".into()),
        now: 17,
    };
    let mut status = StatusView::of(ConnectionState::Reconnecting);
    status.retry_at = Some(4000);
    status.last_error = Some("closed".into());
    status.rtt_ms = Some(12);
    status.reconnects = 2;
    vec![
        TabMessage::Hello { from: u64::MAX },
        TabMessage::Welcome {
            from: 1,
            to: 2,
            cursor: cursor(3),
            status: StatusView::of(ConnectionState::Connected),
        },
        TabMessage::Status { from: 1, status },
        TabMessage::Relay {
            from: 1,
            relays: vec![
                Relay::Event {
                    envelope: Envelope {
                        event: ServerEvent::Entity(
                            EntityAction::Updated,
                            EntityChange {
                                entity: EntityKind::Fault,
                                id: "3".into(),
                                version: Some(2),
                            },
                        ),
                        timestamp: Timestamp("2026-11-26T12:00:00.000Z".into()),
                        request_id: Some("r".into()),
                        id: Some(9),
                        prev_id: Some(8),
                    },
                    replayed: true,
                },
                Relay::Reset {
                    cursor: Cursor::default(),
                },
                Relay::Toast(push.clone()),
                Relay::Toast(ToastAction::PushMany(vec![push])),
                Relay::Toast(ToastAction::Dismiss(4)),
                Relay::Toast(ToastAction::Expire { now: 5 }),
                Relay::Toast(ToastAction::Clear),
                Relay::GapFilled,
            ],
        },
        TabMessage::Session(login("t")),
        TabMessage::SignedOut { expired: true },
        TabMessage::OutboxAsk {
            from: 3,
            ask: OutboxAsk::Add {
                path: "/faults".into(),
                body: RawJson::from_text(r#"{"title":"t"}"#.into()).unwrap(),
                label: "Fault: t".into(),
                key: "k".into(),
                request_id: Some("r".into()),
            },
        },
        TabMessage::OutboxAsk {
            from: 3,
            ask: OutboxAsk::Add {
                path: "/votes".into(),
                body: RawJson::default(),
                label: "l".into(),
                key: "k".into(),
                request_id: None,
            },
        },
        TabMessage::OutboxAsk {
            from: 3,
            ask: OutboxAsk::Retry { id: 1 },
        },
        TabMessage::OutboxAsk {
            from: 3,
            ask: OutboxAsk::Discard { id: 1 },
        },
        TabMessage::Outbox {
            from: 1,
            items: vec![item(None), item(Some("r"))],
        },
    ]
}

/// What [`every_message`] is on the wire: the text the serde derive wrote before the app's
/// own JSON replaced it (tabs of the two builds share a browser during a deployment).
const WRITTEN: [&str; 11] = [
    r##"{"hello":{"from":18446744073709551615}}"##,
    r##"{"welcome":{"from":1,"to":2,"cursor":{"epoch":"e","lastId":3,"lastTimestamp":null},"status":{"state":"connected","retryAt":null,"offline":false,"lastError":null,"degraded":false,"rttMs":null,"reconnects":0}}}"##,
    r##"{"status":{"from":1,"status":{"state":"reconnecting","retryAt":4000,"offline":false,"lastError":"closed","degraded":false,"rttMs":12,"reconnects":2}}}"##,
    r##"{"relay":{"from":1,"relays":[{"event":{"envelope":{"type":"entity:updated","payload":{"entity":"fault","id":"3","version":2},"timestamp":"2026-11-26T12:00:00.000Z","requestId":"r","id":9,"prevId":8},"replayed":true}},{"reset":{"cursor":{"epoch":null,"lastId":null,"lastTimestamp":null}}},{"toast":{"push":{"kind":"notification","title":"Lift","body":"Out of order\n","link":"/faults","now":17}}},{"toast":{"pushMany":[{"push":{"kind":"notification","title":"Lift","body":"Out of order\n","link":"/faults","now":17}}]}},{"toast":{"dismiss":4}},{"toast":{"expire":{"now":5}}},{"toast":"clear"},"gapFilled"]}}"##,
    r##"{"session":{"token":"t","user":{"id":"1","name":"Alice","email":"alice@demo.ppt","role":"resident"},"expiresIn":900}}"##,
    r##"{"signedOut":{"expired":true}}"##,
    r##"{"outboxAsk":{"from":3,"ask":{"add":{"path":"/faults","body":{"title":"t"},"label":"Fault: t","key":"k","request_id":"r"}}}}"##,
    r##"{"outboxAsk":{"from":3,"ask":{"add":{"path":"/votes","body":null,"label":"l","key":"k","request_id":null}}}}"##,
    r##"{"outboxAsk":{"from":3,"ask":{"retry":{"id":1}}}}"##,
    r##"{"outboxAsk":{"from":3,"ask":{"discard":{"id":1}}}}"##,
    r##"{"outbox":{"from":1,"items":[{"id":2,"key":"k-2","path":"/faults","body":{"title":"Lift \"B\"","description":"é"},"label":"Fault: Lift","state":"failed","error":null,"attempts":4,"requestId":null},{"id":2,"key":"k-2","path":"/faults","body":{"title":"Lift \"B\"","description":"é"},"label":"Fault: Lift","state":"failed","error":"refused","attempts":4,"requestId":"r"}]}}"##,
];

/// The outbox as stored (by the same derive, before): two of [`item`].
pub(crate) const STORED: &str = r##"{"nextId":3,"items":[{"id":2,"key":"k-2","path":"/faults","body":{"title":"Lift \"B\"","description":"é"},"label":"Fault: Lift","state":"failed","error":null,"attempts":4,"requestId":null},{"id":2,"key":"k-2","path":"/faults","body":{"title":"Lift \"B\"","description":"é"},"label":"Fault: Lift","state":"failed","error":"refused","attempts":4,"requestId":"r"}]}"##;

/// A browser with a Web Lock queue and a broadcast channel, for the property test.
struct Browser {
    tabs: Vec<Option<Tabs>>,
    /// Tabs waiting for the lock, in order; the holder is first.
    queue: VecDeque<usize>,
    /// Messages in flight: (from, message).
    channel: VecDeque<(usize, TabMessage)>,
    sockets: Vec<bool>,
    signed_in: Vec<bool>,
}

impl Browser {
    fn run(&mut self, tab: usize, commands: Vec<TabCommand>) {
        for c in commands {
            match c {
                TabCommand::RequestLock => {
                    if !self.queue.contains(&tab) {
                        self.queue.push_back(tab);
                        if self.queue.len() == 1 {
                            self.grant();
                        }
                    }
                }
                TabCommand::ReleaseLock => self.release(tab),
                TabCommand::StartSocket { .. } => {
                    assert!(!self.sockets[tab], "tab {tab} opened a second socket");
                    self.sockets[tab] = true;
                }
                TabCommand::StopSocket => self.sockets[tab] = false,
                TabCommand::Post(m) => self.channel.push_back((tab, m)),
                TabCommand::SignOut { .. } => self.signed_in[tab] = false,
                TabCommand::UseSession(_) => {
                    if !self.signed_in[tab] {
                        self.signed_in[tab] = true;
                        let out = self.tabs[tab].as_mut().unwrap().signed_in();
                        self.run(tab, out);
                    }
                }
                TabCommand::ShowStatus(_)
                | TabCommand::Follow(_)
                | TabCommand::Adopt(_)
                | TabCommand::Outbox(_)
                | TabCommand::ShowOutbox(_) => {}
            }
        }
    }

    fn grant(&mut self) {
        if let Some(&holder) = self.queue.front() {
            let out = self.tabs[holder]
                .as_mut()
                .unwrap()
                .lock_granted(StatusView::of(ConnectionState::Disconnected));
            self.run(holder, out);
        }
    }

    fn release(&mut self, tab: usize) {
        let held = self.queue.front() == Some(&tab);
        self.queue.retain(|&t| t != tab);
        if held {
            self.grant();
        }
    }

    fn deliver_one(&mut self) {
        let Some((from, message)) = self.channel.pop_front() else {
            return;
        };
        for to in 0..self.tabs.len() {
            if to == from {
                continue;
            }
            if let Some(tab) = self.tabs[to].as_mut() {
                let out = tab.received(message.clone(), connected);
                self.run(to, out);
            }
        }
    }
}

/// However tabs open, sign in, close (the browser releases a closed tab's lock) and sign
/// out, once the messages settle: the signed-in tabs agree on one leader, exactly one of
/// them holds a socket, and every signed-out tab holds none.
#[test]
fn one_socket_per_browser_whatever_happens() {
    for seed in 0..300u64 {
        let mut rng = Lcg(seed * 7 + 1);
        let n = 2 + rng.next(4) as usize;
        let mut b = Browser {
            tabs: (0..n).map(|i| Some(Tabs::new(i as u64, true))).collect(),
            queue: VecDeque::new(),
            channel: VecDeque::new(),
            sockets: vec![false; n],
            signed_in: vec![false; n],
        };
        for _ in 0..60 {
            let tab = rng.next(n as u64) as usize;
            match rng.next(6) {
                0 if b.tabs[tab].is_some() && !b.signed_in[tab] => {
                    b.signed_in[tab] = true;
                    let out = b.tabs[tab].as_mut().unwrap().signed_in();
                    b.run(tab, out);
                    let out = b.tabs[tab].as_mut().unwrap().session_here(login("t"));
                    b.run(tab, out);
                }
                1 if b.tabs[tab].is_some() && b.signed_in[tab] && rng.next(4) == 0 => {
                    b.signed_in[tab] = false;
                    let out = b.tabs[tab].as_mut().unwrap().signed_out_here(false);
                    b.run(tab, out);
                }
                2 if b.tabs[tab].is_some() && rng.next(3) == 0 => {
                    // Closed or crashed: no goodbye; the browser frees its lock.
                    b.tabs[tab] = None;
                    b.sockets[tab] = false;
                    b.signed_in[tab] = false;
                    b.release(tab);
                }
                3 if b.tabs[tab].is_none() => {
                    b.tabs[tab] = Some(Tabs::new(100 + seed * 10 + tab as u64, true));
                }
                _ => b.deliver_one(),
            }
        }
        while !b.channel.is_empty() {
            b.deliver_one();
        }
        let open: Vec<usize> = (0..n).filter(|&t| b.tabs[t].is_some()).collect();
        let signed_in: Vec<usize> = open.iter().copied().filter(|&t| b.signed_in[t]).collect();
        let sockets = open.iter().filter(|&&t| b.sockets[t]).count();
        for &t in &open {
            assert_eq!(
                b.signed_in[t],
                b.tabs[t].as_ref().unwrap().leadership() != Leadership::Idle,
                "seed {seed}: tab {t}'s part matches its session"
            );
            if !b.signed_in[t] {
                assert!(
                    !b.sockets[t],
                    "seed {seed}: a signed-out tab holds a socket"
                );
            }
        }
        if signed_in.is_empty() {
            assert_eq!(sockets, 0, "seed {seed}");
            continue;
        }
        assert_eq!(sockets, 1, "seed {seed}: one socket for {signed_in:?}");
        let leader = signed_in.iter().copied().find(|&t| b.sockets[t]).unwrap();
        let leader_id = b.tabs[leader].as_ref().unwrap().me();
        for &t in &signed_in {
            assert_eq!(
                b.tabs[t].as_ref().unwrap().leader(),
                Some(leader_id),
                "seed {seed}: tab {t} knows the leader"
            );
        }
    }
}

/// The outbox runs where the socket is: a follower's asks go to the leader, whose outbox
/// every follower then shows; a tab alone does its own.
#[test]
fn the_outbox_runs_in_the_leader() {
    let ask = OutboxAsk::Retry { id: 4 };
    let mut alone = Tabs::new(9, false);
    alone.signed_in();
    assert_eq!(
        alone.outbox_ask(ask.clone()),
        [TabCommand::Outbox(ask.clone())]
    );
    assert!(
        alone.outbox_changed(Vec::new()).is_empty(),
        "nobody to tell"
    );

    let mut leader = Tabs::new(1, true);
    leader.signed_in();
    leader.lock_granted(StatusView::of(ConnectionState::Connected));
    let mut follower = Tabs::new(2, true);
    follower.signed_in();
    let asked = posts(&follower.outbox_ask(ask.clone())).remove(0);
    assert_eq!(
        leader.received(asked.clone(), connected),
        [TabCommand::Outbox(ask)]
    );
    assert!(
        follower.received(asked, connected).is_empty(),
        "only the leader obeys"
    );
    let shown = posts(&leader.outbox_changed(Vec::new())).remove(0);
    assert_eq!(
        follower.received(shown, connected),
        [TabCommand::ShowOutbox(Vec::new())]
    );
    let mut idle = Tabs::new(3, true);
    assert!(idle.outbox_ask(OutboxAsk::Discard { id: 1 }).is_empty());
}

/// A token received 10 minutes ago with 15 to live has 5 left; one past its time, none; a
/// session without a known lifetime stays without one.
#[test]
fn a_taken_over_token_has_what_is_left_of_its_life() {
    use crate::tabs::lifetime_left;
    assert_eq!(lifetime_left(Some(900_000), 1_000, 601_000), Some(300_000));
    assert_eq!(lifetime_left(Some(900_000), 1_000, 2_000_000), Some(0));
    assert_eq!(
        lifetime_left(Some(900_000), 5_000, 1_000),
        Some(900_000),
        "a clock that stepped back"
    );
    assert_eq!(lifetime_left(None, 0, 10), None);
}
