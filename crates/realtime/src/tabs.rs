//! One socket per browser: how the tabs of one signed-in browser share a connection.
//!
//! The browser elects the leader (a Web Lock per user: whoever holds it leads, and the
//! browser hands it to a waiting tab the moment the holder closes, reloads or crashes). This
//! module decides everything else, purely: what a tab does when it leads, follows, or cannot
//! coordinate at all, and what passes between tabs ([`TabMessage`], carried by a
//! BroadcastChannel). The client (`super::client`) wires it to the other parts; the app's executor holds the lock and the channel.
//!
//! - The leader runs the socket and catch-up ([`super::live`] relays what it applied), and
//!   tells the others its connection state.
//! - A follower has no socket: it shows the leader's state and applies what the leader
//!   relays. A new follower asks for the leader's cursor first ([`TabMessage::Hello`]), so a
//!   later take-over resumes exactly where the leader was.
//! - A follower granted the lock takes over: its socket resumes after the last event relayed
//!   to it.
//! - Sign-in, a renewed token and sign-out pass to every tab.
//! - The outbox runs in the leader: other tabs ask it to queue, retry or discard, and show
//!   what it holds.
//! - Without Web Locks or BroadcastChannel every tab is [`Leadership::Alone`] and keeps its own
//!   socket.

use ppt_protocol::rest::LoginResponse;
use ppt_protocol::RawJson;
use serde::{Deserialize, Serialize};

use super::catchup::Cursor;
use super::live::Relay;
use super::outbox::Item;
use super::status::StatusView;

/// A tab, named at random when its page loads.
pub type TabId = u64;

/// What passes between the tabs of one browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TabMessage {
    /// A tab began to follow: the leader answers with [`TabMessage::Welcome`].
    Hello { from: TabId },
    /// The leader's answer to `to`'s hello: where it stands in the event log, its state.
    Welcome {
        from: TabId,
        to: TabId,
        cursor: Cursor,
        status: StatusView,
    },
    /// The leader's connection state changed (or it just took the lead).
    Status { from: TabId, status: StatusView },
    /// What the leader applied, in order.
    Relay { from: TabId, relays: Vec<Relay> },
    /// Someone signed in, or the leader renewed the token: every tab uses this session.
    Session(LoginResponse),
    /// The session ended in one tab: it ends in all (`expired`: it could not be renewed).
    SignedOut { expired: bool },
    /// A tab asks the leader's outbox to do something.
    OutboxAsk { from: TabId, ask: OutboxAsk },
    /// The leader's outbox now (every tab shows it).
    Outbox { from: TabId, items: Vec<Item> },
}

/// What a tab asks of the browser's outbox (which runs in the tab holding the socket).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OutboxAsk {
    /// Queue a create: `POST {path}` with `body`, carrying `key` as its `Idempotency-Key`
    /// and `request_id` (the asking tab's, so it knows the create's events as its own).
    Add {
        path: String,
        body: RawJson,
        label: String,
        key: String,
        request_id: Option<String>,
    },
    /// Try a failed item again.
    Retry { id: u64 },
    /// Give up on an item.
    Discard { id: u64 },
}

/// A tab's part in sharing the browser's one socket (a user's role is
/// [`ppt_protocol::rest::Role`], another idea).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Leadership {
    /// Signed out: no socket, no lock.
    Idle,
    /// The browser cannot coordinate tabs: this tab keeps its own socket.
    Alone,
    /// Another tab holds the socket; this one waits for the lock.
    Following,
    /// This tab holds the socket for the browser.
    Leading,
}

impl Leadership {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Leadership::Idle => "idle",
            Leadership::Alone => "alone",
            Leadership::Following => "following",
            Leadership::Leading => "leading",
        }
    }
}

impl Leadership {
    /// Whether this tab runs a socket.
    pub fn has_socket(self) -> bool {
        matches!(self, Leadership::Alone | Leadership::Leading)
    }

    /// The word diagnostics show.
    pub fn label(self) -> &'static str {
        match self {
            Leadership::Idle => "signed out",
            Leadership::Alone => "this tab (tabs not shared)",
            Leadership::Following => "another tab",
            Leadership::Leading => "this tab",
        }
    }
}

/// What is left of an access token's lifetime (`lifetime_ms` when it was received at
/// `received_at`) at `now`: a tab that takes the socket over got the token a while ago, and
/// the connection renews it by what is left, not by its full lifetime.
pub fn lifetime_left(lifetime_ms: Option<u64>, received_at: u64, now: u64) -> Option<u64> {
    lifetime_ms.map(|l| l.saturating_sub(now.saturating_sub(received_at)))
}

/// What the glue does, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum TabCommand {
    /// Ask the browser for the user's lock (granted later: [`Tabs::lock_granted`]).
    RequestLock,
    /// Give the lock back (or stop waiting for it).
    ReleaseLock,
    /// Start the socket. `take_over`: this tab followed a leader, so it resumes from the
    /// cursor relayed to it and alerts what it finds as news ([`super::live::Live::take_over`]).
    StartSocket { take_over: bool },
    /// Close the socket with 1000.
    StopSocket,
    /// Post to the other tabs.
    Post(TabMessage),
    /// Show this status (a follower shows its leader's).
    ShowStatus(StatusView),
    /// Apply what the leader relayed.
    Follow(Vec<Relay>),
    /// Continue from the leader's cursor (a new follower).
    Adopt(Cursor),
    /// Use this session (signed in, or renewed, in another tab).
    UseSession(LoginResponse),
    /// Sign out here too.
    SignOut { expired: bool },
    /// Carry this out in this tab's outbox (it holds the socket).
    Outbox(OutboxAsk),
    /// Show the leader's outbox.
    ShowOutbox(Vec<Item>),
}

/// One tab's coordination state.
#[derive(Debug, Clone)]
pub struct Tabs {
    me: TabId,
    can_coordinate: bool,
    leadership: Leadership,
    leader: Option<TabId>,
    /// Followed a leader since signing in (then taking the lock is a take-over).
    followed: bool,
    /// Waiting for the leader's welcome: relays before it are not ours to apply yet.
    welcomed: bool,
    /// Leading, and some tab follows (it said hello, or this tab took over from a leader
    /// others followed too): only then is relaying worth its cost.
    followed_by_others: bool,
}

impl Tabs {
    /// Tab `me`; `can_coordinate`: the browser has Web Locks and BroadcastChannel.
    pub fn new(me: TabId, can_coordinate: bool) -> Self {
        Tabs {
            me,
            can_coordinate,
            leadership: Leadership::Idle,
            leader: None,
            followed: false,
            welcomed: false,
            followed_by_others: false,
        }
    }

    pub fn me(&self) -> TabId {
        self.me
    }

    pub fn leadership(&self) -> Leadership {
        self.leadership
    }

    /// The tab holding the socket, when known.
    pub fn leader(&self) -> Option<TabId> {
        match self.leadership {
            Leadership::Leading | Leadership::Alone => Some(self.me),
            Leadership::Following => self.leader,
            Leadership::Idle => None,
        }
    }

    /// Someone signed in here (or a session was restored): lead alone, or wait for the lock
    /// as a follower and greet the leader.
    pub fn signed_in(&mut self) -> Vec<TabCommand> {
        if self.leadership != Leadership::Idle {
            return Vec::new();
        }
        self.followed = false;
        self.welcomed = false;
        self.leader = None;
        if !self.can_coordinate {
            self.leadership = Leadership::Alone;
            return vec![TabCommand::StartSocket { take_over: false }];
        }
        self.leadership = Leadership::Following;
        vec![
            TabCommand::RequestLock,
            TabCommand::Post(TabMessage::Hello { from: self.me }),
        ]
    }

    /// The session ended here: stop the socket, give the lock back.
    pub fn signed_out(&mut self) -> Vec<TabCommand> {
        let was = std::mem::replace(&mut self.leadership, Leadership::Idle);
        self.leader = None;
        match was {
            Leadership::Idle => Vec::new(),
            Leadership::Alone => vec![TabCommand::StopSocket],
            Leadership::Following => vec![TabCommand::ReleaseLock],
            Leadership::Leading => vec![TabCommand::StopSocket, TabCommand::ReleaseLock],
        }
    }

    /// The browser granted this tab the lock: it leads. `status`: its (socketless) state now.
    pub fn lock_granted(&mut self, status: StatusView) -> Vec<TabCommand> {
        if self.leadership != Leadership::Following {
            // Signed out meanwhile: the lock is not wanted.
            return match self.leadership {
                Leadership::Idle => vec![TabCommand::ReleaseLock],
                _ => Vec::new(),
            };
        }
        self.leadership = Leadership::Leading;
        self.leader = Some(self.me);
        self.followed_by_others = self.followed;
        vec![
            TabCommand::StartSocket {
                take_over: self.followed,
            },
            TabCommand::Post(TabMessage::Status {
                from: self.me,
                status,
            }),
        ]
    }

    /// This tab's own connection state changed: show it, and tell followers when leading.
    pub fn own_status(&mut self, status: StatusView) -> Vec<TabCommand> {
        match self.leadership {
            Leadership::Leading => vec![
                TabCommand::ShowStatus(status.clone()),
                TabCommand::Post(TabMessage::Status {
                    from: self.me,
                    status,
                }),
            ],
            Leadership::Alone | Leadership::Idle => vec![TabCommand::ShowStatus(status)],
            // A follower's own (socketless) state is not what its user should see.
            Leadership::Following => Vec::new(),
        }
    }

    /// The live core applied these (see [`super::live::Out::relay`]): pass them on, once
    /// another tab follows (a tab alone spends nothing on relaying).
    pub fn relay(&mut self, relays: Vec<Relay>) -> Vec<TabCommand> {
        match (self.leadership, relays.is_empty()) {
            (Leadership::Leading, false) if self.followed_by_others => {
                vec![TabCommand::Post(TabMessage::Relay {
                    from: self.me,
                    relays,
                })]
            }
            _ => Vec::new(),
        }
    }

    /// This tab's session changed by its own doing (a login, a renewed token): the others
    /// use it too.
    pub fn session_here(&mut self, session: LoginResponse) -> Vec<TabCommand> {
        match self.can_coordinate {
            true => vec![TabCommand::Post(TabMessage::Session(session))],
            false => Vec::new(),
        }
    }

    /// The user asked something of the outbox in this tab: done here when this tab holds
    /// the socket, else asked of the leader.
    pub fn outbox_ask(&mut self, ask: OutboxAsk) -> Vec<TabCommand> {
        match self.leadership {
            Leadership::Leading | Leadership::Alone => vec![TabCommand::Outbox(ask)],
            Leadership::Following => vec![TabCommand::Post(TabMessage::OutboxAsk {
                from: self.me,
                ask,
            })],
            Leadership::Idle => Vec::new(),
        }
    }

    /// This tab's outbox changed (it holds the socket): the others show it too.
    pub fn outbox_changed(&mut self, items: Vec<Item>) -> Vec<TabCommand> {
        match self.leadership {
            Leadership::Leading => vec![TabCommand::Post(TabMessage::Outbox {
                from: self.me,
                items,
            })],
            _ => Vec::new(),
        }
    }

    /// This tab signed out by its own doing: so do the others.
    pub fn signed_out_here(&mut self, expired: bool) -> Vec<TabCommand> {
        if self.leadership == Leadership::Idle {
            // Signed out already (another tab said so): nothing to tell.
            return Vec::new();
        }
        let mut out = self.signed_out();
        if self.can_coordinate {
            out.push(TabCommand::Post(TabMessage::SignedOut { expired }));
        }
        out
    }

    /// A message from another tab. `me`: this tab's cursor and status, for a welcome.
    pub fn received(
        &mut self,
        message: TabMessage,
        me: impl FnOnce() -> (Cursor, StatusView),
    ) -> Vec<TabCommand> {
        match message {
            TabMessage::Hello { from }
                if self.leadership == Leadership::Leading && from != self.me =>
            {
                self.followed_by_others = true;
                let (cursor, status) = me();
                vec![TabCommand::Post(TabMessage::Welcome {
                    from: self.me,
                    to: from,
                    cursor,
                    status,
                })]
            }
            TabMessage::Welcome {
                from,
                to,
                cursor,
                status,
            } if to == self.me && self.leadership == Leadership::Following => {
                self.leader = Some(from);
                self.followed = true;
                self.welcomed = true;
                vec![TabCommand::Adopt(cursor), TabCommand::ShowStatus(status)]
            }
            TabMessage::Status { from, status } if self.leadership == Leadership::Following => {
                // A new leader: its relays continue where the last one stopped.
                self.leader = Some(from);
                if !self.welcomed {
                    // The leader took over before it could answer the hello: ask again.
                    return vec![
                        TabCommand::ShowStatus(status),
                        TabCommand::Post(TabMessage::Hello { from: self.me }),
                    ];
                }
                vec![TabCommand::ShowStatus(status)]
            }
            TabMessage::Relay { from, relays }
                if self.leadership == Leadership::Following && self.welcomed =>
            {
                self.leader = Some(from);
                vec![TabCommand::Follow(relays)]
            }
            TabMessage::OutboxAsk { ask, .. } if self.leadership == Leadership::Leading => {
                self.followed_by_others = true;
                vec![TabCommand::Outbox(ask)]
            }
            TabMessage::Outbox { items, .. } if self.leadership == Leadership::Following => {
                vec![TabCommand::ShowOutbox(items)]
            }
            TabMessage::Session(session) if self.can_coordinate => {
                vec![TabCommand::UseSession(session)]
            }
            TabMessage::SignedOut { expired } if self.leadership != Leadership::Idle => {
                let mut out = self.signed_out();
                out.push(TabCommand::SignOut { expired });
                out
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
