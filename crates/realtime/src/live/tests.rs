//! The live core: unit cases for each decision, and a property test feeding random
//! interleavings of batches, drops, duplicates, reconnections, failed pages, polling and
//! ticks.

use ppt_protocol::envelope::{
    Authenticated, EntityAction, EntityChange, MessageNew, MessageRead, Notification,
};
use ppt_protocol::missed::{MissedCursor, MissedQuery};
use ppt_protocol::rest::{ChannelPreference, MissedEvents};
use ppt_protocol::{EntityKind, QueryKey, Timestamp};

use super::*;
use crate::testing::Lcg;

fn stamp(id: u64) -> Timestamp {
    Timestamp(format!(
        "2026-11-26T12:{:02}:{:02}.{:03}Z",
        (id / 60_000) % 60,
        (id / 1000) % 60,
        id % 1000
    ))
}

fn envelope(id: u64, event: ServerEvent) -> Envelope {
    Envelope {
        event,
        timestamp: stamp(id),
        request_id: None,
        id: Some(id),
        prev_id: None,
    }
}

/// An `entity:updated` (even ids in the property test).
fn entity(id: u64) -> Envelope {
    envelope(
        id,
        ServerEvent::Entity(
            EntityAction::Updated,
            EntityChange {
                entity: EntityKind::Fault,
                id: format!("f{id}"),
                version: None,
            },
        ),
    )
}

/// A fault notification whose title names its id.
fn notification(id: u64) -> Envelope {
    envelope(
        id,
        ServerEvent::Notification(
            NotificationCategory::Fault,
            Notification {
                notification_id: format!("n-{id}"),
                title: format!("N{id}"),
                body: "b".into(),
                entity_id: "1".into(),
                link: "/faults".into(),
            },
        ),
    )
}

fn message(id: u64, from: &str, to: &str) -> Envelope {
    envelope(
        id,
        ServerEvent::MessageNew(MessageNew {
            message: Message {
                id: id.to_string(),
                conversation_id: "1-2".into(),
                from_user_id: from.into(),
                from_name: "Bob".into(),
                to_user_id: to.into(),
                body: "Hi".into(),
                sent_at: stamp(id),
                read: false,
            },
        }),
    )
}

fn authenticated(last: u64) -> Envelope {
    Envelope::control(
        ServerEvent::Authenticated(Authenticated {
            user_id: "1".into(),
            last_event_id: last,
            epoch: "e".into(),
            server_time: Timestamp::default(),
        }),
        Timestamp::default(),
    )
}

fn cursor(last: u64) -> Cursor {
    Cursor {
        epoch: Some("e".into()),
        last_id: Some(last),
        last_timestamp: None,
    }
}

fn page(events: Vec<Envelope>, has_more: bool, latest: u64) -> MissedEvents {
    MissedEvents {
        events,
        has_more,
        latest_id: latest,
        epoch: "e".into(),
        reset_required: false,
    }
}

/// The world of a visible tab with default preferences at `now`.
struct Env {
    now: u64,
    prefs: NotificationPreferences,
    hidden: bool,
    permitted: bool,
    own: Vec<String>,
    listening: bool,
}

impl Env {
    fn new() -> Self {
        Env {
            now: 1_000_000,
            prefs: NotificationPreferences::default(),
            hidden: false,
            permitted: true,
            own: Vec::new(),
            listening: true,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&World) -> R) -> R {
        let permitted = || {
            assert!(self.hidden, "asked for permission in a visible tab");
            self.permitted
        };
        let own = |r: &str| self.own.iter().any(|o| o == r);
        f(&World {
            now: self.now,
            prefs: &self.prefs,
            tab_hidden: self.hidden,
            browser_permitted: &permitted,
            own_request: &own,
            listening: self.listening,
        })
    }
}

/// A live user at cursor 10, caught up, the cursor saved a second later.
fn live_at_10(env: &mut Env) -> Live {
    let mut live = Live::new("1", cursor(10), LiveConfig::default());
    env.with(|w| live.frames([&authenticated(10)], w));
    env.now += 1_000;
    let out = env.with(|w| live.tick(w));
    assert!(matches!(&out.actions[..], [Action::SaveCursor(_)]));
    assert_eq!(out.wake_at, None);
    live
}

fn toast_titles(out: &Out) -> Vec<String> {
    out.toasts
        .iter()
        .filter_map(|t| match t {
            ToastAction::Push { title, .. } => Some(title.clone()),
            _ => None,
        })
        .collect()
}

fn fetches(out: &Out) -> Vec<(String, bool)> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Fetch { query, polling } => Some((query.clone(), *polling)),
            _ => None,
        })
        .collect()
}

/// A burst of messages in one animation frame is one store update and one toast store
/// update; the sound plays once for the burst.
#[test]
fn a_burst_is_one_update_and_one_sound() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    let batch: Vec<Envelope> = (11..=15).map(|i| message(i, "2", "1")).collect();
    let out = env.with(|w| live.frames(&batch, w));
    let messages: Vec<&Action> = out
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Messages(_)))
        .collect();
    assert!(matches!(messages[..], [Action::Messages(ref m)] if m.len() == 5));
    assert_eq!(toast_titles(&out).len(), 5);
    assert!(out.sound);
    assert_eq!(out.saw_event, Some(15));
}

/// Messages, reads and the badge keep their order: a read between two messages splits them.
#[test]
fn reads_keep_their_place_between_messages() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    let read = envelope(
        12,
        ServerEvent::MessageRead(MessageRead {
            conversation_id: "1-2".into(),
            unread_count: 0,
        }),
    );
    let out = env.with(|w| live.frames(&[message(11, "2", "1"), read, message(13, "2", "1")], w));
    let kinds: Vec<&str> = out
        .actions
        .iter()
        .map(|a| match a {
            Action::Messages(_) => "messages",
            Action::ConversationRead(_) => "read",
            Action::Unread(_) => "unread",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["messages", "read", "unread", "messages"],
        "{:?}",
        out.actions
    );
}

/// An alert is raised once by its key, however many copies arrive (here: a server without
/// ids repeats a frame, which the cursor cannot tell apart).
#[test]
fn an_alert_is_raised_once() {
    let env = Env::new();
    let mut live = Live::new("1", Cursor::default(), LiveConfig::default());
    env.with(|w| live.frames([&authenticated(0)], w));
    let mut n = notification(1);
    n.id = None;
    let out = env.with(|w| live.frames([&n, &n], w));
    assert_eq!(toast_titles(&out), ["N1"]);
    let out = env.with(|w| live.frames([&n], w));
    assert!(out.toasts.is_empty());
}

/// My own change never says "Data updated"; anyone else's does.
#[test]
fn own_changes_are_not_foreign() {
    let mut env = Env::new();
    env.own.push("r-1".into());
    let mut live = live_at_10(&mut env);
    let mut mine = entity(11);
    mine.request_id = Some("r-1".into());
    let mut theirs = entity(12);
    theirs.request_id = Some("r-2".into());
    let out = env.with(|w| live.frames([&mine, &theirs, &entity(13)], w));
    let foreign: Vec<(Option<u64>, bool)> = out
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Invalidate(i) => {
                assert_eq!(i.key, QueryKey::new(["faults"]));
                Some((i.event_id, i.foreign))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        foreign,
        [(Some(11), false), (Some(12), true), (Some(13), true)]
    );
}

/// After an outage the missed events are fetched and applied without alerting one by one:
/// one toast sums them up, one says "Reconnected", and the badge is reloaded.
#[test]
fn replay_is_summed_up() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    let out = env.with(|w| live.frames([&authenticated(13)], w));
    assert_eq!(
        fetches(&out),
        [("after=10&epoch=e&limit=500".to_owned(), false)]
    );
    env.now += 50;
    let events = vec![notification(11), message(12, "2", "1"), entity(13)];
    let out = env.with(|w| live.page(Some(page(events, false, 13)), false, w));
    assert_eq!(
        toast_titles(&out),
        ["2 notifications while you were away", "Reconnected"]
    );
    assert!(out.actions.contains(&Action::RefreshUnread));
    assert!(!out.sound);
    assert!(
        matches!(&out.toasts[1], ToastAction::Push { body, .. } if body == "3 updates applied.")
    );
}

/// The first catch-up of a page's life is no reconnection; nothing missed says so.
#[test]
fn first_connection_is_quiet_and_a_clean_reconnect_says_nothing_missed() {
    let env = Env::new();
    let mut live = Live::new("1", cursor(10), LiveConfig::default());
    let out = env.with(|w| live.frames([&authenticated(10)], w));
    assert!(out.toasts.is_empty());
    let out = env.with(|w| live.frames([&authenticated(10)], w));
    assert_eq!(toast_titles(&out), ["Reconnected"]);
    assert!(
        matches!(&out.toasts[0], ToastAction::Push { body, .. } if body == "Nothing was missed.")
    );
}

/// A cursor from another log, or none at all: everything is reloaded instead of replayed.
#[test]
fn a_foreign_log_resets() {
    let env = Env::new();
    let mut live = Live::new(
        "1",
        Cursor {
            epoch: Some("old".into()),
            ..cursor(10)
        },
        LiveConfig::default(),
    );
    let out = env.with(|w| live.frames([&authenticated(3)], w));
    assert!(out.actions.contains(&Action::ResetAll));
    let mut fresh = Live::new("1", Cursor::default(), LiveConfig::default());
    let out = env.with(|w| fresh.frames([&authenticated(3)], w));
    assert!(out.actions.contains(&Action::ResetAll));
}

/// The cursor is written at most once a second, with the newest position.
#[test]
fn the_cursor_is_saved_at_most_once_a_second() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    let start = env.now;
    let out = env.with(|w| live.frames([&entity(11)], w));
    assert_eq!(out.wake_at, Some(start + 1_000));
    env.now += 500;
    let out = env.with(|w| live.frames([&entity(12)], w));
    assert_eq!(out.wake_at, Some(start + 1_000), "the first deadline holds");
    let out = env.with(|w| live.tick(w));
    assert!(out.actions.is_empty(), "too early");
    env.now = start + 1_000;
    let out = env.with(|w| live.tick(w));
    assert!(matches!(&out.actions[..], [Action::SaveCursor(c)] if c.last_id == Some(12)));
    assert_eq!(out.wake_at, None);
}

/// A failed catch-up page is asked for again a second later; a failed poll waits for the
/// next poll.
#[test]
fn a_failed_page_is_retried() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    env.with(|w| live.frames([&authenticated(12)], w));
    let out = env.with(|w| live.page(None, false, w));
    assert_eq!(out.wake_at, Some(env.now + 1_000));
    env.now += 1_000;
    let out = env.with(|w| live.tick(w));
    assert_eq!(
        fetches(&out),
        [("after=10&epoch=e&limit=500".to_owned(), false)]
    );
    let out = env.with(|w| live.page(None, true, w));
    assert!(out.actions.is_empty() && out.wake_at.is_none());
}

/// Paused live updates poll `/events/missed` on the poll interval until they are back; polled
/// events alert as live ones do.
#[test]
fn paused_updates_poll() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    let out = live.paused(true, env.now);
    assert_eq!(out.wake_at, Some(env.now + 15_000));
    env.now += 15_000;
    let out = env.with(|w| live.tick(w));
    assert_eq!(
        fetches(&out),
        [("after=10&epoch=e&limit=500".to_owned(), true)]
    );
    assert_eq!(out.wake_at, Some(env.now + 15_000));
    let out = env.with(|w| live.page(Some(page(vec![notification(11)], false, 11)), true, w));
    assert_eq!(toast_titles(&out), ["N11"]);
    let out = live.paused(false, env.now);
    assert!(out.wake_at.is_some(), "the cursor still waits to be saved");
    env.now += 1_000;
    env.with(|w| live.tick(w));
    let out = env.with(|w| live.tick(w));
    assert_eq!(out.wake_at, None, "no more polling");
}

/// Preferences decide the channels; a hidden tab with permission gets a system notification
/// (permission is asked only when the tab is hidden).
#[test]
fn channels_follow_preferences_and_visibility() {
    let mut env = Env::new();
    env.prefs.fault = ChannelPreference {
        toast: false,
        sound: false,
        browser: true,
    };
    let mut live = live_at_10(&mut env);
    let out = env.with(|w| live.frames([&notification(11)], w));
    assert!(out.toasts.is_empty() && out.browser.is_empty() && !out.sound);
    env.hidden = true;
    let out = env.with(|w| live.frames([&notification(12)], w));
    assert!(matches!(&out.browser[..], [a] if a.key == "n-12"));
    assert!(out.toasts.is_empty());
}

/// My own message (sent from another tab) is cached without any alert.
#[test]
fn own_messages_are_silent() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    let out = env.with(|w| live.frames([&message(11, "1", "2")], w));
    assert!(out.toasts.is_empty());
    assert!(matches!(&out.actions[..], [Action::Messages(m)] if m.len() == 1));
}

/// What the user saw, gathered from the outs.
#[derive(Default)]
struct Tally {
    entities: Vec<u64>,
    applied: Vec<u64>,
    toasted: Vec<u64>,
    summarised: u64,
    pending: Vec<(String, bool)>,
}

impl Tally {
    fn take(&mut self, out: Out) {
        self.pending.extend(fetches(&out));
        self.entities.extend(invalidated(&out));
        self.applied.extend(out.applied.iter().filter_map(|e| e.id));
        for title in toast_titles(&out) {
            if let Some(id) = title.strip_prefix('N') {
                let id: u64 = id.parse().unwrap();
                assert!(!self.toasted.contains(&id), "N{id} toasted twice");
                self.toasted.push(id);
            } else if let Some(k) = title.split(' ').next().filter(|_| title.contains("away")) {
                self.summarised += k.parse::<u64>().unwrap();
            }
        }
    }
}

/// The model server: the user's log and what has been committed to it.
struct Server {
    events: Vec<Envelope>,
    committed: usize,
}

impl Server {
    fn answer(&self, query: &str, rng: &mut Lcg) -> Option<MissedEvents> {
        let q = MissedQuery::from_query_string(query).unwrap();
        let MissedCursor::After { id: after, .. } = q.cursor else {
            panic!("ids are known")
        };
        if rng.next(6) == 0 {
            return None;
        }
        let limit = 1 + rng.next(5) as usize;
        let all: Vec<&Envelope> = self.events[..self.committed]
            .iter()
            .filter(|e| e.id.unwrap() > after)
            .collect();
        Some(page(
            all.iter().take(limit).map(|e| (*e).clone()).collect(),
            all.len() > limit,
            self.committed as u64,
        ))
    }
}

/// Property: whatever the interleaving of live batches (with frames dropped or repeated),
/// reconnections, failed and duplicated pages, polling and ticks, every event after the
/// cursor is applied exactly once and in order, and each notification reaches the user
/// exactly once: as its own toast when it came live, or counted in a summary when replayed.
#[test]
fn every_interleaving_applies_each_event_once_in_order() {
    for seed in 0..300u64 {
        let mut rng = Lcg(seed * 11 + 3);
        let n = 20 + rng.next(50) as usize;
        let events: Vec<Envelope> = (1..=n as u64)
            .map(|id| {
                let mut e = if id % 2 == 0 {
                    entity(id)
                } else {
                    notification(id)
                };
                e.prev_id = Some(id - 1);
                e
            })
            .collect();
        let start = rng.next(n as u64 / 2);
        let mut server = Server {
            events,
            committed: start as usize,
        };
        let mut env = Env::new();
        let mut live = Live::new("1", cursor(start), LiveConfig::default());
        let mut tally = Tally::default();
        // Frames committed so far were sent on the socket up to here; None: disconnected.
        let mut socket: Option<usize> = None;
        let mut paused = false;
        let mut steps = 0;
        loop {
            steps += 1;
            assert!(
                steps < 20_000,
                "seed {seed}: no progress: committed {} of {n}, socket {socket:?}, {} pending",
                server.committed,
                tally.pending.len()
            );
            if server.committed == n && socket == Some(n) && tally.pending.is_empty() {
                break;
            }
            env.now += rng.next(700);
            match rng.next(10) {
                // Commit and deliver a batch of frames, some dropped or repeated.
                0..=3 if server.committed < n => {
                    let take = (1 + rng.next(4) as usize).min(n - server.committed);
                    server.committed += take;
                    if let Some(sent) = socket {
                        let mut batch = Vec::new();
                        for e in &server.events[sent..server.committed] {
                            match rng.next(8) {
                                0 => {}
                                1 => {
                                    batch.push(e.clone());
                                    batch.push(e.clone());
                                }
                                _ => batch.push(e.clone()),
                            }
                        }
                        socket = Some(server.committed);
                        tally.take(env.with(|w| live.frames(&batch, w)));
                    }
                }
                // The link drops, or comes back.
                4 => match socket {
                    Some(_) => socket = None,
                    None => {
                        socket = Some(server.committed);
                        let auth = authenticated(server.committed as u64);
                        tally.take(env.with(|w| live.frames([&auth], w)));
                    }
                },
                // A page is answered (or fails), sometimes twice.
                5..=7 if !tally.pending.is_empty() => {
                    let (query, polling) = tally.pending.remove(0);
                    let answer = server.answer(&query, &mut rng);
                    tally.take(env.with(|w| live.page(answer.clone(), polling, w)));
                    if rng.next(8) == 0 {
                        tally.take(env.with(|w| live.page(answer, polling, w)));
                    }
                }
                8 => {
                    paused = !paused;
                    tally.take(live.paused(paused, env.now));
                }
                _ => {
                    env.now += rng.next(20_000);
                    tally.take(env.with(|w| live.tick(w)));
                }
            }
            if server.committed == n && socket.is_none() {
                // The link always comes back in the end.
                socket = Some(n);
                tally.take(env.with(|w| live.frames([&authenticated(n as u64)], w)));
            }
        }
        // A frame dropped at the very end shows no gap until the next reconnection: reconnect
        // once more, and let every page succeed from now on.
        tally.take(live.paused(false, env.now));
        tally.take(env.with(|w| live.frames([&authenticated(n as u64)], w)));
        let mut always = Lcg(5);
        while let Some((query, polling)) = tally.pending.pop() {
            let answer = loop {
                if let Some(a) = server.answer(&query, &mut always) {
                    break a;
                }
            };
            tally.take(env.with(|w| live.page(Some(answer), polling, w)));
        }
        let want_entities: Vec<u64> = (start + 1..=n as u64).filter(|i| i % 2 == 0).collect();
        assert_eq!(tally.entities, want_entities, "seed {seed}: entity events");
        let want_applied: Vec<u64> = (start + 1..=n as u64).collect();
        assert_eq!(
            tally.applied, want_applied,
            "seed {seed}: every event applied once, in order (what use_event hands out)"
        );
        let notifications = (start + 1..=n as u64).filter(|i| i % 2 == 1).count() as u64;
        assert_eq!(
            tally.toasted.len() as u64 + tally.summarised,
            notifications,
            "seed {seed}: each notification once, as a toast or in a summary"
        );
    }
}

/// A message written into the cache in place needs no refetch for its `entity:* message`;
/// one the cache never saw invalidates `["messages"]` (the inbox and the badge).
#[test]
fn messages_written_in_place_are_not_refetched() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    let created = |id: u64, message: &str| {
        envelope(
            id,
            ServerEvent::Entity(
                EntityAction::Created,
                EntityChange {
                    entity: EntityKind::Message,
                    id: message.into(),
                    version: None,
                },
            ),
        )
    };
    let out = env.with(|w| live.frames([&message(11, "2", "1"), &created(12, "11")], w));
    assert!(!out
        .actions
        .iter()
        .any(|a| matches!(a, Action::Invalidate(_))));
    let out = env.with(|w| live.frames([&created(13, "99")], w));
    assert!(
        matches!(&out.actions[..], [Action::Invalidate(i)] if i.key == QueryKey::new(["messages"]) && i.foreign)
    );
}

fn invalidated(out: &Out) -> Vec<u64> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Invalidate(i) => i.event_id,
            _ => None,
        })
        .collect()
}

/// Live frames arriving during catch-up are held and applied after the missed pages, in
/// order; the missed ones are summed up, the held live ones alert as live ones do.
#[test]
fn live_frames_during_catch_up_wait_for_the_pages() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    let out = env.with(|w| live.frames([&authenticated(12)], w));
    assert_eq!(fetches(&out).len(), 1);
    let out = env.with(|w| live.frames([&entity(14), &notification(13)], w));
    assert!(out.actions.is_empty() && out.toasts.is_empty(), "held");
    let out = env.with(|w| live.page(Some(page(vec![entity(11)], true, 12)), false, w));
    assert_eq!(invalidated(&out), [11]);
    assert_eq!(
        fetches(&out),
        [("after=11&epoch=e&limit=500".to_owned(), false)]
    );
    let out = env.with(|w| live.page(Some(page(vec![notification(12)], false, 12)), false, w));
    assert_eq!(invalidated(&out), [14]);
    assert_eq!(
        toast_titles(&out),
        ["N13", "1 notification while you were away", "Reconnected"]
    );
}

/// A `prevId` beyond the cursor is a hole in the live stream: the missing events are
/// fetched and applied first, quietly (no outage to report).
#[test]
fn a_gap_is_filled_quietly() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    let mut next = entity(14);
    next.prev_id = Some(12);
    let out = env.with(|w| live.frames([&next], w));
    assert_eq!(
        fetches(&out),
        [("after=10&epoch=e&limit=500".to_owned(), false)]
    );
    // The log's head when the page was read is 13 (another user's event): 14 comes from
    // the held frame.
    let out = env.with(|w| live.page(Some(page(vec![entity(12)], false, 13)), false, w));
    assert_eq!(invalidated(&out), [12, 14]);
    assert!(toast_titles(&out).is_empty(), "no Reconnected for a gap");
}

fn relayed_ids(out: &Out) -> Vec<u64> {
    out.relay
        .iter()
        .filter_map(|r| match r {
            Relay::Event { envelope, .. } => envelope.id,
            _ => None,
        })
        .collect()
}

/// A leading tab relays what it applied (after catch-up, in order) and the toasts it raised;
/// a following tab applies each relayed event once, shows those toasts, and neither chimes
/// nor raises system notifications (the leader did, once for the browser).
#[test]
fn a_follower_applies_what_the_leader_applied() {
    let mut env = Env::new();
    let mut leader = live_at_10(&mut env);
    leader.set_relaying(true);
    let mut follower = Live::new("1", cursor(10), LiveConfig::default());
    let out = env.with(|w| leader.frames([&notification(11), &entity(12)], w));
    assert_eq!(relayed_ids(&out), [11, 12]);
    assert!(out.sound);
    assert!(out.relay.iter().any(|r| matches!(r, Relay::Toast(_))));
    env.hidden = true;
    let seen = env.with(|w| follower.follow(&out.relay, w));
    assert_eq!(invalidated(&seen), [12]);
    let ids = |o: &Out| o.applied.iter().filter_map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&out), [11, 12], "the leader applied both");
    assert_eq!(
        ids(&seen),
        [11, 12],
        "and so did the follower, from the relay"
    );
    assert_eq!(toast_titles(&seen), ["N11"]);
    assert!(!seen.sound && seen.browser.is_empty());
    // A relay that arrives twice changes nothing the second time.
    let again = env.with(|w| follower.follow(&out.relay, w));
    assert!(invalidated(&again).is_empty());
    assert!(
        again.applied.is_empty(),
        "a relay seen twice is applied once"
    );
    // The follower's own change (its request id) is not someone else's, though the leader
    // relayed it.
    env.own.push("mine".into());
    let mut own = entity(13);
    own.request_id = Some("mine".into());
    let out = env.with(|w| leader.frames([&own], w));
    let seen = env.with(|w| follower.follow(&out.relay, w));
    assert!(matches!(&seen.actions[..], [Action::Invalidate(i)] if i.event_id == Some(13)));
}

/// The leading tab goes away mid-burst (some events it applied never reached the follower):
/// the follower takes over, catches up from the last event relayed to it, says no
/// "Reconnected", and alerts the events nobody alerted as live ones.
#[test]
fn a_take_over_resumes_after_the_last_relayed_event() {
    let mut env = Env::new();
    let mut leader = live_at_10(&mut env);
    leader.set_relaying(true);
    let mut follower = Live::new("1", cursor(10), LiveConfig::default());
    let first = env.with(|w| leader.frames([&entity(11)], w));
    env.with(|w| follower.follow(&first.relay, w));
    // 12 and 13 reached the leader, which died before relaying them.
    env.with(|w| leader.frames([&entity(12), &notification(13)], w));
    follower.take_over();
    let out = env.with(|w| follower.frames([&authenticated(13)], w));
    assert_eq!(
        fetches(&out),
        [("after=11&epoch=e&limit=500".to_owned(), false)]
    );
    let out = env.with(|w| {
        follower.page(
            Some(page(vec![entity(12), notification(13)], false, 13)),
            false,
            w,
        )
    });
    assert_eq!(invalidated(&out), [12]);
    assert_eq!(
        toast_titles(&out),
        ["N13"],
        "alerted, not summed up; no Reconnected"
    );
    assert!(out.sound);
}

/// Property: three tabs, one leading; bursts arrive; now and then the leading tab dies before
/// relaying its last batch and the next tab takes over. Every surviving tab applies every
/// entity event exactly once, in order, and shows every notification exactly once.
#[test]
fn take_overs_lose_and_double_nothing() {
    for seed in 0..200u64 {
        let mut rng = Lcg(seed * 13 + 5);
        let n = 30 + rng.next(40);
        let events: Vec<Envelope> = (1..=n)
            .map(|id| {
                let mut e = if id % 2 == 0 {
                    entity(id)
                } else {
                    notification(id)
                };
                e.prev_id = Some(id - 1);
                e
            })
            .collect();
        let env = Env::new();
        let mut tabs: Vec<Option<Live>> = (0..3)
            .map(|_| Some(Live::new("1", cursor(0), LiveConfig::default())))
            .collect();
        let mut seen: Vec<(Vec<u64>, Vec<u64>)> = vec![(Vec::new(), Vec::new()); 3];
        let record = |seen: &mut (Vec<u64>, Vec<u64>), out: &Out| {
            seen.0.extend(invalidated(out));
            for t in toast_titles(out) {
                if let Some(id) = t.strip_prefix('N') {
                    seen.1.push(id.parse().unwrap());
                }
            }
        };
        let mut leader = 0usize;
        let mut committed = 0u64;
        {
            let l = tabs[0].as_mut().unwrap();
            l.set_relaying(true);
            let out = env.with(|w| l.frames([&authenticated(0)], w));
            record(&mut seen[0], &out);
        }
        let mut take_overs = 0;
        while committed < n {
            let take = (1 + rng.next(5)).min(n - committed);
            let batch: Vec<Envelope> =
                events[committed as usize..(committed + take) as usize].to_vec();
            committed += take;
            let out = {
                let l = tabs[leader].as_mut().unwrap();
                env.with(|w| l.frames(&batch, w))
            };
            record(&mut seen[leader], &out);
            let dies = take_overs < 2 && rng.next(6) == 0;
            if !dies {
                for (i, tab) in tabs.iter_mut().enumerate() {
                    if i != leader {
                        if let Some(t) = tab.as_mut() {
                            let o = env.with(|w| t.follow(&out.relay, w));
                            record(&mut seen[i], &o);
                        }
                    }
                }
                continue;
            }
            // The leader's tab closes before relaying this batch; the next one takes over.
            tabs[leader] = None;
            take_overs += 1;
            leader = (0..3).find(|i| tabs[*i].is_some()).unwrap();
            let l = tabs[leader].as_mut().unwrap();
            l.take_over();
            l.set_relaying(true);
            let mut out = env.with(|w| l.frames([&authenticated(committed)], w));
            loop {
                record(&mut seen[leader], &out);
                for (i, tab) in tabs.iter_mut().enumerate() {
                    if i != leader {
                        if let Some(t) = tab.as_mut() {
                            let o = env.with(|w| t.follow(&out.relay, w));
                            record(&mut seen[i], &o);
                        }
                    }
                }
                let Some((query, _)) = fetches(&out).pop() else {
                    break;
                };
                let q = MissedQuery::from_query_string(&query).unwrap();
                let MissedCursor::After { id: after, .. } = q.cursor else {
                    unreachable!()
                };
                let limit = 1 + rng.next(4) as usize;
                let all: Vec<Envelope> = events[..committed as usize]
                    .iter()
                    .filter(|e| e.id.unwrap() > after)
                    .cloned()
                    .collect();
                let p = page(
                    all.iter().take(limit).cloned().collect(),
                    all.len() > limit,
                    committed,
                );
                let l = tabs[leader].as_mut().unwrap();
                out = env.with(|w| l.page(Some(p), false, w));
            }
        }
        for (i, tab) in tabs.iter().enumerate() {
            if tab.is_none() {
                continue;
            }
            let want_entities: Vec<u64> = (1..=n).filter(|i| i % 2 == 0).collect();
            assert_eq!(
                seen[i].0, want_entities,
                "seed {seed}, tab {i}: entity events"
            );
            let mut toasts = seen[i].1.clone();
            toasts.sort_unstable();
            let want_toasts: Vec<u64> = (1..=n).filter(|i| i % 2 == 1).collect();
            assert_eq!(toasts, want_toasts, "seed {seed}, tab {i}: notifications");
        }
    }
}

/// Applied events are handed out only while something listens; the data effects are the
/// same either way.
#[test]
fn applied_events_are_copied_only_for_listeners() {
    let mut env = Env::new();
    let mut live = live_at_10(&mut env);
    env.listening = false;
    let quiet = env.with(|w| live.frames([&entity(11)], w));
    assert!(quiet.applied.is_empty());
    assert_eq!(invalidated(&quiet), [11]);
    env.listening = true;
    let heard = env.with(|w| live.frames([&entity(12)], w));
    assert_eq!(
        heard
            .applied
            .iter()
            .filter_map(|e| e.id)
            .collect::<Vec<_>>(),
        [12]
    );
    assert_eq!(invalidated(&heard), [12]);
}
