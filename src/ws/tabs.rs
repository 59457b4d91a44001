//! `TabLink`: the browser glue of [`ppt_realtime::tabs`]. It holds (or waits for) the
//! socket's Web Lock and the BroadcastChannel to the other tabs, feeds the pure [`Tabs`]
//! what happens, posts what it says to post, and hands every other command to its owners:
//! the `WebSocketProvider` (socket, status, session) and the live core's executor (relays,
//! cursor). It decides nothing itself.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use yew::Callback;

use crate::browser::channel::Channel;
use crate::browser::locks::{self, Held};
use ppt_realtime::catchup::Cursor;
use ppt_realtime::live::Relay;
use ppt_realtime::outbox::Item;
use ppt_realtime::tabs::{Leadership, OutboxAsk, TabCommand, TabMessage, Tabs};
use ppt_realtime::StatusView;

/// The lock whose holder runs the browser's socket.
const LOCK: &str = "ppt-web.socket";
/// The channel between this origin's tabs.
const CHANNEL: &str = "ppt-web.tabs";

struct Inner {
    core: Tabs,
    channel: Option<Channel>,
    lock: Option<Held>,
    /// This tab's own connection state (a leader's welcome carries it).
    status: StatusView,
    /// The provider: `StartSocket`, `StopSocket`, `ShowStatus`, `UseSession`, `SignOut`.
    on_socket: Callback<TabCommand>,
    /// The live core's executor: `StartSocket` (first), `Follow`, `Adopt`.
    on_live: Option<Callback<TabCommand>>,
    /// The live core's cursor, for welcoming a new tab.
    cursor: Option<Rc<dyn Fn() -> Cursor>>,
}

/// This tab's link to the others. Cheap to clone.
#[derive(Clone)]
pub struct TabLink {
    inner: Rc<RefCell<Inner>>,
}

impl PartialEq for TabLink {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

/// A [`TabLink`] that does not keep the tab's link alive.
#[derive(Clone)]
pub struct WeakTabLink(Weak<RefCell<Inner>>);

impl WeakTabLink {
    pub fn upgrade(&self) -> Option<TabLink> {
        self.0.upgrade().map(|inner| TabLink { inner })
    }
}

impl TabLink {
    pub fn downgrade(&self) -> WeakTabLink {
        WeakTabLink(Rc::downgrade(&self.inner))
    }

    /// Opens the channel (when the browser has both it and Web Locks); `on_socket` carries
    /// out the socket, status and session commands.
    pub fn new(status: StatusView, on_socket: Callback<TabCommand>) -> Self {
        let me = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
        let inner = Rc::new_cyclic(|weak: &Weak<RefCell<Inner>>| {
            let weak = weak.clone();
            let channel = locks::available().and_then(|_| {
                Channel::open(CHANNEL, move |text| {
                    if let Ok(message) = serde_json::from_str::<TabMessage>(&text) {
                        if let Some(inner) = weak.upgrade() {
                            let link = TabLink { inner };
                            link.received(message);
                        }
                    }
                })
            });
            RefCell::new(Inner {
                core: Tabs::new(me, channel.is_some()),
                channel,
                lock: None,
                status,
                on_socket,
                on_live: None,
                cursor: None,
            })
        });
        TabLink { inner }
    }

    /// This tab's part now.
    pub fn leadership(&self) -> Leadership {
        self.inner.borrow().core.leadership()
    }

    /// This tab's id and the leader's, for diagnostics.
    pub fn ids(&self) -> (u64, Option<u64>) {
        let inner = self.inner.borrow();
        (inner.core.me(), inner.core.leader())
    }

    /// The live core's executor: where relays and cursors go, and where the cursor comes
    /// from.
    pub fn attach_live(&self, on_live: Callback<TabCommand>, cursor: Rc<dyn Fn() -> Cursor>) {
        let mut inner = self.inner.borrow_mut();
        inner.on_live = Some(on_live);
        inner.cursor = Some(cursor);
    }

    pub fn signed_in(&self) {
        self.step(|t| t.signed_in());
    }

    /// Signed out because another tab said so, or this one (then `here`: tell them).
    pub fn signed_out(&self, here: Option<bool>) {
        match here {
            Some(expired) => self.step(|t| t.signed_out_here(expired)),
            None => self.step(|t| t.signed_out()),
        }
    }

    /// This tab signed in or renewed its token: the other tabs use the session too.
    pub fn share_session(&self, session: ppt_protocol::rest::LoginResponse) {
        self.step(|t| t.session_here(session));
    }

    /// This tab's socket's state changed.
    pub fn own_status(&self, status: StatusView) {
        self.inner.borrow_mut().status = status.clone();
        self.step(|t| t.own_status(status));
    }

    /// The user asked something of the outbox here.
    pub fn outbox_ask(&self, ask: OutboxAsk) {
        self.step(|t| t.outbox_ask(ask));
    }

    /// This tab's outbox changed: the others show it.
    pub fn outbox_changed(&self, items: Vec<Item>) {
        self.step(|t| t.outbox_changed(items));
    }

    /// The live core applied these: relay them when leading.
    pub fn relay(&self, relays: Vec<Relay>) {
        self.step(|t| t.relay(relays));
    }

    fn received(&self, message: TabMessage) {
        let (cursor, status) = {
            let inner = self.inner.borrow();
            (inner.cursor.clone(), inner.status.clone())
        };
        self.step(move |t| {
            t.received(message, move || {
                (cursor.map(|c| c()).unwrap_or_default(), status)
            })
        });
    }

    fn lock_granted(&self) {
        let status = self.inner.borrow().status.clone();
        self.step(|t| t.lock_granted(status));
    }

    fn step(&self, input: impl FnOnce(&mut Tabs) -> Vec<TabCommand>) {
        let commands = input(&mut self.inner.borrow_mut().core);
        for command in commands {
            self.execute(command);
        }
    }

    /// Carries out one command. Callbacks run with nothing borrowed: they may call back in.
    fn execute(&self, command: TabCommand) {
        match command {
            TabCommand::RequestLock => {
                let weak = Rc::downgrade(&self.inner);
                let held = locks::hold(LOCK, move || {
                    if let Some(inner) = weak.upgrade() {
                        TabLink { inner }.lock_granted();
                    }
                });
                self.inner.borrow_mut().lock = held;
            }
            TabCommand::ReleaseLock => {
                let held = self.inner.borrow_mut().lock.take();
                drop(held);
            }
            TabCommand::Post(message) => {
                // Strings, numbers and maps with string keys: writing cannot fail.
                let text = serde_json::to_string(&message).unwrap_or_default();
                if let Some(c) = &self.inner.borrow().channel {
                    c.post(&text);
                }
            }
            TabCommand::Follow(_) | TabCommand::Adopt(_) => {
                let live = self.inner.borrow().on_live.clone();
                if let Some(live) = live {
                    live.emit(command);
                }
            }
            TabCommand::StartSocket { .. } => {
                let (live, socket) = {
                    let inner = self.inner.borrow();
                    (inner.on_live.clone(), inner.on_socket.clone())
                };
                if let Some(live) = live {
                    live.emit(command.clone());
                }
                socket.emit(command);
            }
            TabCommand::StopSocket
            | TabCommand::Outbox(_)
            | TabCommand::ShowOutbox(_)
            | TabCommand::ShowStatus(_)
            | TabCommand::UseSession(_)
            | TabCommand::SignOut { .. } => {
                let socket = self.inner.borrow().on_socket.clone();
                socket.emit(command);
            }
        }
    }
}
