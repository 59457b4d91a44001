//! The live core: everything the app decides about server events, in one pure place.
//!
//! In: each animation frame's batch of frames ([`Live::frames`]), pages of `/events/missed`
//! ([`Live::page`]), whether live updates are paused ([`Live::paused`]) and timer ticks
//! ([`Live::tick`]), each with the time and what the app knows ([`World`]). Out: one [`Out`]
//! per input: store actions in order, the toasts (one store update), the sound, system
//! notifications, and when to be woken.
//! The client (`super::client`) carries its answers into the other parts and commands.
//!
//! It owns:
//! - catch-up ([`Catchup`]): each event applied once, in order, across reconnections, gaps
//!   in the live stream and resets;
//! - routing and the alert rule ([`super::routing`]), and alert de-duplication (once, here,
//!   by the alert's key);
//! - live messages written into the cache in place (the inbox and the badge), so their
//!   `entity:* message` events refetch only what the cache does not already show;
//! - the replay summary ("3 notifications while you were away") and "Reconnected";
//! - the sound gate, the cursor's throttled saving, retrying a failed page, and polling
//!   `/events/missed` while live updates are paused.

use ppt_protocol::rest::{Message, MissedEvents, NotificationCategory, NotificationPreferences};
use ppt_protocol::{EntityKind, Envelope, ServerEvent};
use serde::{Deserialize, Serialize};

use super::catchup::{page_query, Catchup, CatchupCommand, Cursor};
use super::invalidation::Invalidation;
use super::notify::SoundGate;
use super::recent::Recent;
use super::routing::{route, Alert, Effect, RouteCtx};
use crate::toast::{ToastAction, ToastKind};

/// How many alert keys are remembered so one event never alerts twice.
const SEEN_ALERTS: usize = 512;

/// Timings and sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveConfig {
    /// Events per `/events/missed` page.
    pub page_size: usize,
    /// The cursor is written at most this often (storage is slow, events can be many).
    pub save_every_ms: u64,
    /// A failed catch-up page is asked for again after this long.
    pub retry_ms: u64,
    /// How often to poll `/events/missed` while live updates are paused.
    pub poll_ms: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            page_size: 500,
            save_every_ms: 1_000,
            retry_ms: 1_000,
            poll_ms: 15_000,
        }
    }
}

/// What the app knows when an input arrives.
pub struct World<'a> {
    pub now: u64,
    pub prefs: &'a NotificationPreferences,
    pub tab_hidden: bool,
    /// Whether browser notifications are granted; asked only when it matters (a hidden tab),
    /// because the browser's answer is slow.
    pub browser_permitted: &'a dyn Fn() -> bool,
    /// Whether a `requestId` is one of this tab's own requests (then no "Data updated").
    pub own_request: &'a dyn Fn(&str) -> bool,
    /// Whether anything listens to the events applied ([`Out::applied`]): only then are they
    /// copied there (a burst costs no copies when nobody is listening).
    pub listening: bool,
}

/// One thing for the app to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Messages for the cache, in order (consecutive ones gathered: one store update).
    Messages(Vec<Message>),
    /// A conversation of mine was read (here or in another session).
    ConversationRead(String),
    /// A message was read by its recipient: mine up to it in its conversation show "Read".
    MessageRead(String),
    /// The unread total, from the server.
    Unread(u64),
    /// Reload the unread total (after catch-up: the server's count is exact).
    RefreshUnread,
    /// The preferences changed in another session.
    Preferences(NotificationPreferences),
    /// Data behind a key changed.
    Invalidate(Invalidation),
    /// Replay is impossible: reload the messages and every query.
    ResetAll,
    /// Read `/events/missed?{query}` and hand the answer to [`Live::page`] with `polling`.
    Fetch { query: String, polling: bool },
    /// Write the cursor to storage.
    SaveCursor(Cursor),
}

/// What a leading tab passes on to the browser's other tabs of the same user, in order (one
/// socket per browser: the others apply what it applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Relay {
    /// An event it applied after catch-up, and whether it came as a replay.
    Event { envelope: Envelope, replayed: bool },
    /// Replay was impossible: reload everything, and continue from this cursor.
    Reset { cursor: Cursor },
    /// A toast it raised: alerts are decided once per browser, by the leading tab.
    Toast(ToastAction),
    /// It filled a hole in the live stream (diagnostics count them).
    GapFilled,
}

/// What the diagnostics panel shows of the live core.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Events applied from `/events/missed` (replayed after an outage or a gap).
    pub replayed: u64,
    /// Holes in the live stream found and filled.
    pub gaps_filled: u64,
}

/// What one input asks of the app.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Out {
    pub actions: Vec<Action>,
    /// Toasts to show, in one store update.
    pub toasts: Vec<ToastAction>,
    /// Play the notification sound (once, however many alerts asked).
    pub sound: bool,
    /// System notifications to show (the tab is hidden).
    pub browser: Vec<Alert>,
    /// For the other tabs, when this tab leads and relays (see [`Live::set_relaying`]).
    pub relay: Vec<Relay>,
    /// Every event this tab applied, in order, each once, however it came: live, caught up
    /// after a reconnection, polled, or relayed by the tab holding the socket (what the
    /// app's `use_event` hook hands to components); empty unless [`World::listening`].
    pub applied: Vec<Envelope>,
    /// The newest event id that arrived on the socket (the query scheduler's freshness).
    pub saw_event: Option<u64>,
    /// Call [`Live::tick`] at this time; `None`: no timer is needed.
    pub wake_at: Option<u64>,
}

impl Out {
    fn push(&mut self, action: Action) {
        self.actions.push(action);
    }

    /// Notes an event's id as seen.
    fn saw(&mut self, e: &Envelope) {
        if let Some(id) = e.id {
            self.saw_event = Some(self.saw_event.map_or(id, |s| s.max(id)));
        }
    }

    fn message(&mut self, m: Message) {
        match self.actions.last_mut() {
            Some(Action::Messages(list)) => list.push(m),
            _ => self.actions.push(Action::Messages(vec![m])),
        }
    }

    fn toast(
        &mut self,
        kind: ToastKind,
        title: String,
        body: String,
        link: Option<String>,
        now: u64,
    ) {
        self.toasts.push(ToastAction::Push {
            kind,
            title,
            body,
            link,
            now,
        });
    }
}

/// The live state of one signed-in user's tab.
#[derive(Debug, Clone)]
pub struct Live {
    me: String,
    config: LiveConfig,
    catchup: Catchup,
    seen: Recent<SEEN_ALERTS>,
    /// Messages written into the cache in place: their `entity:* message` needs no refetch.
    written: Recent<SEEN_ALERTS>,
    sound: SoundGate,
    /// Caught up at least once in this page's life: later catch-ups follow real outages.
    was_live: bool,
    /// Alerts that came replayed, summed up in one toast when catch-up ends.
    replayed_alerts: u64,
    unsaved: Option<Cursor>,
    save_at: Option<u64>,
    retry_at: Option<u64>,
    poll_at: Option<u64>,
    /// A poll is unanswered: the next waits for it (a slow server gets no pile of requests).
    polling: bool,
    /// Other tabs follow this one: fill [`Out::relay`].
    relaying: bool,
    stats: LiveStats,
    /// The first catch-up after taking over from another tab: its events were nobody's news
    /// yet, so they alert as live ones do.
    taking_over: bool,
}

impl Live {
    /// The state for user `me`, resuming from a stored cursor (or none).
    pub fn new(me: &str, cursor: Cursor, config: LiveConfig) -> Self {
        Live {
            me: me.to_owned(),
            config,
            catchup: Catchup::new(cursor),
            seen: Recent::default(),
            written: Recent::default(),
            sound: SoundGate::default(),
            was_live: false,
            replayed_alerts: 0,
            unsaved: None,
            save_at: None,
            retry_at: None,
            poll_at: None,
            polling: false,
            relaying: false,
            taking_over: false,
            stats: LiveStats::default(),
        }
    }

    /// Counts for the diagnostics panel.
    pub fn stats(&self) -> &LiveStats {
        &self.stats
    }

    /// Whose state this is.
    pub fn me(&self) -> &str {
        &self.me
    }

    /// One animation frame's frames, in arrival order.
    pub fn frames<'e>(&mut self, frames: impl IntoIterator<Item = &'e Envelope>, w: &World) -> Out {
        let mut out = Out::default();
        for envelope in frames {
            let commands = match &envelope.event {
                ServerEvent::Authenticated(auth) => self.catchup.authenticated(auth),
                ServerEvent::Pong | ServerEvent::ConnectionError(_) => continue,
                _ => {
                    out.saw(envelope);
                    self.catchup.live(envelope.clone())
                }
            };
            self.run(commands, w, &mut out);
        }
        self.finish(out)
    }

    /// The answer to a [`Action::Fetch`]: a page, or `None` when reading it failed.
    pub fn page(&mut self, page: Option<MissedEvents>, polling: bool, w: &World) -> Out {
        let mut out = Out::default();
        if polling {
            self.polling = false;
        }
        match (page, polling) {
            (Some(p), true) => {
                let commands = self.catchup.polled(p);
                self.run(commands, w, &mut out);
            }
            (Some(p), false) => {
                let commands = self.catchup.page(p);
                self.run(commands, w, &mut out);
            }
            // The next poll tries again.
            (None, true) => {}
            (None, false) => self.retry_at = Some(w.now + self.config.retry_ms),
        }
        self.finish(out)
    }

    /// Live updates are paused (no socket for a while): poll for what happened instead. Or
    /// they are back: stop polling.
    pub fn paused(&mut self, paused: bool, now: u64) -> Out {
        self.poll_at = paused.then(|| now + self.config.poll_ms);
        self.finish(Out::default())
    }

    /// The timer asked for in [`Out::wake_at`] fired (early or late ticks are harmless).
    pub fn tick(&mut self, w: &World) -> Out {
        let mut out = Out::default();
        let due = |at: Option<u64>| at.is_some_and(|t| t <= w.now);
        if due(self.save_at) {
            self.save_at = None;
            if let Some(cursor) = self.unsaved.take() {
                out.push(Action::SaveCursor(cursor));
            }
        }
        if due(self.retry_at) {
            self.retry_at = None;
            let commands = self.catchup.page_failed();
            self.run(commands, w, &mut out);
        }
        if due(self.poll_at) {
            self.poll_at = Some(w.now + self.config.poll_ms);
            if let (false, Some(request)) = (self.polling, self.catchup.poll_request()) {
                self.polling = true;
                out.push(Action::Fetch {
                    query: page_query(&request, self.config.page_size),
                    polling: true,
                });
            }
        }
        self.finish(out)
    }

    /// Whether other tabs follow this one (then each `Out` carries what to relay to them).
    pub fn set_relaying(&mut self, on: bool) {
        self.relaying = on;
    }

    /// This tab takes over the socket from a leading tab that went away: its catch-up starts
    /// after the last event relayed to it, says no "Reconnected" (nothing was down for the
    /// user), and alerts the events it finds as live ones (nobody alerted them).
    pub fn take_over(&mut self) {
        self.was_live = false;
        self.taking_over = true;
    }

    /// Continues from the leading tab's cursor (a tab that starts to follow: what the
    /// leader applied before is in the data this tab loads, and a take-over resumes after it).
    pub fn adopt(&mut self, cursor: Cursor) {
        self.catchup.adopt(cursor);
    }

    /// Where this tab stands in the event log (a leader tells new followers).
    pub fn cursor(&self) -> &Cursor {
        self.catchup.cursor()
    }

    /// What a leading tab relayed (this tab follows it and has no socket): the events are
    /// applied once each (the cursor moves past them, so a later take-over resumes after
    /// them) and the leader's toasts shown; alerts are the leader's, so no sound and no
    /// system notification here.
    pub fn follow(&mut self, relays: &[Relay], w: &World) -> Out {
        let mut out = Out::default();
        for relay in relays {
            match relay {
                Relay::Event { envelope, replayed } => {
                    out.saw(envelope);
                    if self.catchup.applied_elsewhere(envelope) {
                        self.stats.replayed += u64::from(*replayed);
                        self.apply_data(envelope, *replayed, w, &mut out);
                    }
                }
                Relay::Reset { cursor } => {
                    self.catchup.adopt(cursor.clone());
                    out.push(Action::ResetAll)
                }
                Relay::Toast(t) => out.toasts.push(t.clone()),
                Relay::GapFilled => self.stats.gaps_filled += 1,
            }
        }
        self.finish(out)
    }

    fn finish(&self, mut out: Out) -> Out {
        if self.relaying {
            out.relay
                .extend(out.toasts.iter().cloned().map(Relay::Toast));
        }
        out.wake_at = [self.save_at, self.retry_at, self.poll_at]
            .into_iter()
            .flatten()
            .min();
        out
    }

    fn run(&mut self, commands: Vec<CatchupCommand>, w: &World, out: &mut Out) {
        for command in commands {
            match command {
                CatchupCommand::Apply { envelope, replayed } => {
                    self.stats.replayed += u64::from(replayed);
                    let replayed = replayed && !self.taking_over;
                    self.apply(&envelope, replayed, w, out);
                    if self.relaying {
                        out.relay.push(Relay::Event { envelope, replayed });
                    }
                }
                CatchupCommand::Fetch(request) => out.push(Action::Fetch {
                    query: page_query(&request, self.config.page_size),
                    polling: false,
                }),
                CatchupCommand::Poll(request) => {
                    self.polling = true;
                    out.push(Action::Fetch {
                        query: page_query(&request, self.config.page_size),
                        polling: true,
                    })
                }
                CatchupCommand::ResetAll => {
                    out.push(Action::ResetAll);
                    if self.relaying {
                        out.relay.push(Relay::Reset {
                            cursor: self.catchup.cursor().clone(),
                        });
                    }
                }
                CatchupCommand::CaughtUp { applied } => self.caught_up(applied, w.now, out),
                // A hole in the live stream was filled: nothing to tell the user.
                CatchupCommand::GapFilled { .. } => {
                    self.stats.gaps_filled += 1;
                    if self.relaying {
                        out.relay.push(Relay::GapFilled);
                    }
                }
                CatchupCommand::Save(cursor) => {
                    self.unsaved = Some(cursor);
                    self.save_at
                        .get_or_insert(w.now + self.config.save_every_ms);
                }
            }
        }
    }

    fn caught_up(&mut self, applied: u64, now: u64, out: &mut Out) {
        self.taking_over = false;
        // Replayed messages may already be in a total loaded earlier: the server's is exact.
        out.push(Action::RefreshUnread);
        let outage = std::mem::replace(&mut self.was_live, true);
        match std::mem::take(&mut self.replayed_alerts) {
            0 => {}
            n => {
                let title = if n == 1 {
                    "1 notification while you were away".to_owned()
                } else {
                    format!("{n} notifications while you were away")
                };
                out.toast(
                    ToastKind::Notification,
                    title,
                    "Everything is up to date.".into(),
                    None,
                    now,
                );
            }
        }
        if outage {
            let body = match applied {
                0 => "Nothing was missed.".to_owned(),
                1 => "1 update applied.".to_owned(),
                n => format!("{n} updates applied."),
            };
            out.toast(
                ToastKind::Reconnected,
                "Reconnected".into(),
                body,
                None,
                now,
            );
        }
    }

    /// Carries one event's effects into `out`: data and alerts.
    fn apply(&mut self, envelope: &Envelope, replayed: bool, w: &World, out: &mut Out) {
        for alert in self.apply_data(envelope, replayed, w, out) {
            self.alert(alert, replayed, w.now, out);
        }
    }

    /// Carries one event's data effects into `out`; returns its alerts.
    fn apply_data(
        &mut self,
        envelope: &Envelope,
        replayed: bool,
        w: &World,
        out: &mut Out,
    ) -> Vec<Alert> {
        let ctx = RouteCtx {
            me: &self.me,
            prefs: w.prefs,
            tab_hidden: w.tab_hidden,
            browser_permitted: w.tab_hidden && (w.browser_permitted)(),
            replayed,
        };
        let own = envelope
            .request_id
            .as_deref()
            .is_some_and(|r| (w.own_request)(r));
        if w.listening {
            out.applied.push(envelope.clone());
        }
        let mut alerts = Vec::new();
        for effect in route(envelope, &ctx) {
            match effect {
                Effect::Message(m) => {
                    self.written.insert(&m.id);
                    out.message(m)
                }
                // The message is in the cache already, as the event describes it (created;
                // or read, which `message:read` wrote just before).
                Effect::Invalidate {
                    entity: EntityKind::Message,
                    id,
                    ..
                } if self.written.contains(&id) => {}
                Effect::Unread(n) => out.push(Action::Unread(n)),
                Effect::ConversationRead(c) => out.push(Action::ConversationRead(c)),
                Effect::MessageRead(id) => out.push(Action::MessageRead(id)),
                Effect::Preferences(p) => out.push(Action::Preferences(p)),
                Effect::Invalidate {
                    key, id, version, ..
                } => out.push(Action::Invalidate(Invalidation {
                    key,
                    event_id: envelope.id,
                    entity: version.map(|v| (id, v)),
                    foreign: !own,
                })),
                Effect::Alert(alert) => alerts.push(alert),
            }
        }
        alerts
    }

    /// Raises an alert once (by key): on its channels, or counted in the replay summary.
    fn alert(&mut self, alert: Alert, replayed: bool, now: u64, out: &mut Out) {
        if !self.seen.insert(&alert.key) {
            return;
        }
        if replayed {
            self.replayed_alerts += 1;
            return;
        }
        let d = alert.delivery;
        if d.toast {
            let kind = if alert.category == NotificationCategory::Message {
                ToastKind::Message
            } else {
                ToastKind::Notification
            };
            out.toast(
                kind,
                alert.title.clone(),
                alert.body.clone(),
                Some(alert.link.clone()),
                now,
            );
        }
        if d.sound && !out.sound && self.sound.allow(now) {
            out.sound = true;
        }
        if d.browser {
            out.browser.push(alert);
        }
    }
}

#[cfg(test)]
mod tests;
