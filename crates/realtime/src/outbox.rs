//! The outbox: creates (a message, a fault, a ballot, an announcement) that could not be
//! sent yet, because the browser is offline or the server is failing. They are kept (the
//! glue persists every change, so they survive a reload), shown in place with their state,
//! and sent in order, one at a time, when the way is clear. Each keeps one `Idempotency-Key`
//! from its first try to its last, so a try whose answer was lost can be repeated without
//! doubling the create: the server answers a repeat with its first answer.
//!
//! - A create the server refuses (a 4xx: the vote closed, a field too long) is marked failed
//!   with the server's message; the rest go on. The user may try it again or discard it.
//! - A create that cannot reach the server (no network, a 5xx) stays queued and blocks
//!   the ones behind it, so they keep their order; it is tried again with the reconnect
//!   backoff (1 s … 30 s, jittered), or at once when the browser comes back online.
//! - A create refused for now (429: too many creates of its kind) stays queued and waits the
//!   time the server asked for (`Retry-After`), whatever the network does meanwhile.
//! - An outbox belongs to the session that stored it: it carries the session's tag, and one
//!   restored under another session (another sign-in, or planted in storage) is discarded
//!   unsent. Each try also names that tag to the server, which refuses another session's.
//!
//! Pure: time and randomness come in as arguments; commands come out.

use ppt_protocol::resources::{self, Creates};
use ppt_protocol::{QueryKey, RawJson};
use serde::{Deserialize, Serialize};

use super::backoff::BackoffConfig;

/// Where an item stands (the page's `outbox-item` `data-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemState {
    Queued,
    Sending,
    Failed,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Queued => "queued",
            ItemState::Sending => "sending",
            ItemState::Failed => "failed",
        }
    }
}

/// One create waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// This outbox's number for it (increasing: the order of sending).
    pub id: u64,
    /// The `Idempotency-Key` every try of it carries.
    pub key: String,
    /// `POST` path under `/api/v1`.
    pub path: String,
    /// The request body.
    pub body: RawJson,
    /// What the page shows for it ("Message to Bob: …").
    pub label: String,
    pub state: ItemState,
    /// The server's reason, when it refused.
    pub error: Option<String>,
    /// Tries that did not reach the server.
    pub attempts: u32,
    /// The `X-Request-Id` to send (the asking tab's: its events are that tab's own).
    #[serde(default)]
    pub request_id: Option<String>,
}

/// What is kept between page loads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stored {
    /// The number the next item gets (never reused, across reloads too).
    pub next_id: u64,
    pub items: Vec<Item>,
    /// The tag of the session that stored it (`LoginResponse::session_tag`; earlier builds
    /// stored none, and what they stored is discarded on restore).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub session: String,
}

/// How a try ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Created (or the server replayed the first answer): the answer's body.
    Sent(RawJson),
    /// The server refused it (a 4xx other than 429); its message.
    Refused(String),
    /// No answer, or a 5xx: try again later.
    Unreachable,
    /// 429: try again after this many milliseconds.
    Limited(u64),
}

/// What the glue must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `POST` this item (with its key).
    Send(Item),
    /// The item went through: put the server's answer into the caches.
    Delivered { item: Item, answer: RawJson },
    /// Store this (the items changed).
    Persist(Stored),
    /// Call [`Outbox::tick`] at this time.
    WakeAt(u64),
}

/// What a create that went through changes in the app's caches, by its resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// Refetch this list (its new item joins it).
    Refetch(QueryKey),
    /// Write the answer, a message, into the inbox in place.
    WriteMessage,
    /// Nothing to do.
    Nothing,
}

/// What the create `item` at `path` changes once it went through (from the resource the path
/// is under: a ballot at `/votes/7/ballots` refetches the votes).
pub fn delivered(path: &str) -> Delivered {
    match resources::for_path(path) {
        Some(r) if r.creates == Creates::AddToList => Delivered::Refetch(r.key()),
        Some(r) if r.creates == Creates::WriteInPlace && path == r.path => Delivered::WriteMessage,
        _ => Delivered::Nothing,
    }
}

/// The outbox of one signed-in user.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbox {
    items: Vec<Item>,
    next_id: u64,
    online: bool,
    /// When the next try may start (after an unreachable one).
    retry_at: Option<u64>,
    /// Unreachable tries in a row (the backoff's attempt number).
    misses: u32,
    /// Until when the server asked to wait (a 429's `Retry-After`); coming back online does
    /// not shorten it.
    limited_until: Option<u64>,
    /// The tag of the session this outbox belongs to.
    session: String,
    /// Items restored from another session's store and discarded unsent.
    discarded: usize,
    backoff: BackoffConfig,
}

impl Outbox {
    /// The outbox of session `session`, holding what was stored if that session stored it
    /// (anything else is discarded unsent). A try that was on its way when the page went
    /// away is queued again: its key makes repeating it safe.
    pub fn restore(stored: Stored, session: &str, backoff: BackoffConfig) -> Self {
        let Stored {
            next_id,
            mut items,
            session: stored_by,
        } = stored;
        let mut discarded = 0;
        if stored_by != session || session.is_empty() {
            discarded = items.len();
            items.clear();
        }
        items.sort_by_key(|i| i.id);
        for i in &mut items {
            if i.state == ItemState::Sending {
                i.state = ItemState::Queued;
            }
        }
        Outbox {
            next_id: next_id.max(items.last().map_or(1, |i| i.id + 1)),
            items,
            online: true,
            retry_at: None,
            misses: 0,
            limited_until: None,
            session: session.to_owned(),
            discarded,
            backoff,
        }
    }

    /// What to keep for the next page load.
    pub fn stored(&self) -> Stored {
        Stored {
            next_id: self.next_id,
            items: self.items.clone(),
            session: self.session.clone(),
        }
    }

    /// The tag of the session this outbox belongs to.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// How many stored items were discarded at restore (another session stored them).
    pub fn discarded(&self) -> usize {
        self.discarded
    }

    /// The items, in sending order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Queues a create; sends it at once if nothing is ahead of it.
    pub fn add(
        &mut self,
        path: &str,
        body: RawJson,
        label: &str,
        key: String,
        request_id: Option<String>,
        now: u64,
    ) -> Vec<Command> {
        if self.items.iter().any(|i| i.key == key) {
            // Asked twice (a tab's message went to two leaders in a hand-over): once is enough.
            return self.step(now, Vec::new());
        }
        self.items.push(Item {
            id: self.next_id,
            key,
            path: path.to_owned(),
            body,
            label: label.to_owned(),
            state: ItemState::Queued,
            error: None,
            attempts: 0,
            request_id,
        });
        self.next_id += 1;
        self.step(now, Vec::new())
    }

    /// The browser went offline or came back. Back online, a waiting item is tried at once.
    pub fn set_online(&mut self, online: bool, now: u64) -> Vec<Command> {
        self.online = online;
        if online {
            self.retry_at = None;
            self.misses = 0;
        }
        self.step(now, Vec::new())
    }

    /// The try of item `id` ended.
    pub fn answered(&mut self, id: u64, outcome: Outcome, now: u64, jitter: f64) -> Vec<Command> {
        let Some(pos) = self
            .items
            .iter()
            .position(|i| i.id == id && i.state == ItemState::Sending)
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match outcome {
            Outcome::Sent(answer) => {
                let item = self.items.remove(pos);
                self.misses = 0;
                out.push(Command::Delivered { item, answer });
            }
            Outcome::Refused(reason) => {
                let item = &mut self.items[pos];
                item.state = ItemState::Failed;
                item.error = Some(reason);
                self.misses = 0;
            }
            Outcome::Unreachable => {
                let item = &mut self.items[pos];
                item.state = ItemState::Queued;
                item.error = None;
                item.attempts += 1;
                self.retry_at = Some(now + self.backoff.delay(self.misses, jitter));
                self.misses = self.misses.saturating_add(1);
            }
            Outcome::Limited(wait) => {
                let item = &mut self.items[pos];
                item.state = ItemState::Queued;
                // Shown while it waits: it is not lost, it goes when the server allows.
                item.error = Some(format!(
                    "too many at once; it goes in {} s",
                    wait.div_ceil(1000).max(1)
                ));
                self.limited_until = Some(now.saturating_add(wait));
            }
        }
        self.step(now, out)
    }

    /// The time asked for with [`Command::WakeAt`] came.
    pub fn tick(&mut self, now: u64) -> Vec<Command> {
        if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
        }
        if self.limited_until.is_some_and(|t| t <= now) {
            self.limited_until = None;
        }
        self.step(now, Vec::new())
    }

    /// The user asks to try a failed item again (at its place in the order).
    pub fn retry(&mut self, id: u64, now: u64) -> Vec<Command> {
        let Some(item) = self
            .items
            .iter_mut()
            .find(|i| i.id == id && i.state == ItemState::Failed)
        else {
            return Vec::new();
        };
        item.state = ItemState::Queued;
        item.error = None;
        self.step(now, Vec::new())
    }

    /// The user gives up on an item that is not on its way.
    pub fn discard(&mut self, id: u64, now: u64) -> Vec<Command> {
        let before = self.items.len();
        self.items
            .retain(|i| i.id != id || i.state == ItemState::Sending);
        if self.items.len() == before {
            return Vec::new();
        }
        self.step(now, Vec::new())
    }

    /// Starts the next try if the way is clear; says what changed.
    fn step(&mut self, now: u64, mut out: Vec<Command>) -> Vec<Command> {
        let busy = self.items.iter().any(|i| i.state == ItemState::Sending);
        // The latest of the backoff's time and the server's wait, if it is still to come.
        let until = self.retry_at.max(self.limited_until).filter(|t| *t > now);
        if !busy && until.is_none() && self.online {
            if let Some(next) = self.items.iter_mut().find(|i| i.state == ItemState::Queued) {
                next.state = ItemState::Sending;
                out.push(Command::Send(next.clone()));
            }
        }
        out.push(Command::Persist(self.stored()));
        if let Some(at) = until {
            out.push(Command::WakeAt(at));
        }
        out
    }
}

#[cfg(test)]
mod tests;
