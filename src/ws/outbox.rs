//! `OutboxRunner`: the browser glue of [`ppt_realtime::outbox`], active in the tab that
//! holds the socket. It restores the signed-in user's outbox from storage, tells it when
//! the connection is up, sends what it says to send (each create with its
//! `Idempotency-Key`), stores every change, and hands each change and each delivered answer
//! to its owner. It decides nothing itself.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use ppt_protocol::RawJson;
use yew::Callback;
use yewdux::Dispatch;

use crate::api;
use crate::browser::clock::now_ms;
use crate::browser::storage;
use crate::config::realtime_config;
use crate::store::session::Session;
use ppt_realtime::outbox::{Command, Item, Outbox, Outcome};
use ppt_realtime::tabs::OutboxAsk;

struct Inner {
    /// The running outbox and whose it is (`None`: another tab runs it, or nobody is in).
    outbox: Option<(String, Outbox)>,
    online: bool,
    timer: Option<Timeout>,
    session: Dispatch<Session>,
    /// The items changed (every tab shows them).
    on_change: Callback<Vec<Item>>,
    /// A create went through: its item and the server's answer.
    on_delivered: Callback<(Item, RawJson)>,
}

/// The outbox runner. Cheap to clone.
#[derive(Clone)]
pub struct OutboxRunner {
    inner: Rc<RefCell<Inner>>,
}

impl OutboxRunner {
    pub fn new(
        session: Dispatch<Session>,
        on_change: Callback<Vec<Item>>,
        on_delivered: Callback<(Item, RawJson)>,
    ) -> Self {
        OutboxRunner {
            inner: Rc::new(RefCell::new(Inner {
                outbox: None,
                online: false,
                timer: None,
                session,
                on_change,
                on_delivered,
            })),
        }
    }

    /// This tab now holds the socket: run `user_id`'s outbox (what the last holder stored).
    pub fn activate(&self, user_id: &str) {
        let commands = {
            let mut inner = self.inner.borrow_mut();
            if inner.outbox.as_ref().is_some_and(|(u, _)| u == user_id) {
                return;
            }
            let session = inner.session.get();
            // A shared computer's session stores nothing, and takes nothing stored.
            let stored = if session.keeps_anything() {
                storage::load_outbox(user_id)
            } else {
                Default::default()
            };
            let mut outbox = Outbox::restore(stored, &session.tag, realtime_config().backoff);
            if outbox.discarded() > 0 {
                web_sys::console::warn_1(
                    &format!(
                        "outbox: {} stored item(s) not from this session were discarded unsent",
                        outbox.discarded()
                    )
                    .into(),
                );
            }
            let mut commands = outbox.set_online(inner.online, now_ms());
            if outbox.discarded() > 0 {
                // What was discarded is not kept either.
                commands.insert(0, Command::Persist(outbox.stored()));
            }
            inner.outbox = Some((user_id.to_owned(), outbox));
            commands
        };
        self.run(commands);
    }

    /// This tab no longer holds the socket (signed out).
    pub fn deactivate(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.outbox = None;
        inner.timer = None;
    }

    /// Whether the connection is up (then queued creates go).
    pub fn set_online(&self, online: bool) {
        let commands = {
            let mut inner = self.inner.borrow_mut();
            if inner.online == online {
                return;
            }
            inner.online = online;
            match inner.outbox.as_mut() {
                Some((_, o)) => o.set_online(online, now_ms()),
                None => return,
            }
        };
        self.run(commands);
    }

    /// What a tab asked of the outbox.
    pub fn ask(&self, ask: OutboxAsk) {
        let commands = {
            let mut inner = self.inner.borrow_mut();
            let Some((_, o)) = inner.outbox.as_mut() else {
                return;
            };
            let now = now_ms();
            match ask {
                OutboxAsk::Add {
                    path,
                    body,
                    label,
                    key,
                    request_id,
                } => o.add(&path, body, &label, key, request_id, now),
                OutboxAsk::Retry { id } => o.retry(id, now),
                OutboxAsk::Discard { id } => o.discard(id, now),
            }
        };
        self.run(commands);
    }

    fn step(weak: &Weak<RefCell<Inner>>, input: impl FnOnce(&mut Outbox) -> Vec<Command>) {
        let Some(inner) = weak.upgrade() else { return };
        let commands = match inner.borrow_mut().outbox.as_mut() {
            Some((_, o)) => input(o),
            None => return,
        };
        OutboxRunner { inner }.run(commands);
    }

    fn run(&self, commands: Vec<Command>) {
        for command in commands {
            match command {
                Command::Send(item) => self.send(item),
                Command::Delivered { item, answer } => {
                    let cb = self.inner.borrow().on_delivered.clone();
                    cb.emit((item, answer));
                }
                Command::Persist(stored) => {
                    let (user, keeps, cb) = {
                        let inner = self.inner.borrow();
                        let user = inner.outbox.as_ref().map(|(u, _)| u.clone());
                        let keeps = inner.session.get().keeps_anything();
                        (user, keeps, inner.on_change.clone())
                    };
                    match user {
                        Some(user) if keeps => storage::store_outbox(&user, &stored),
                        // A shared computer keeps nothing: drop what an older build stored.
                        Some(user) => storage::forget_outbox(&user),
                        None => {}
                    }
                    cb.emit(stored.items);
                }
                Command::WakeAt(at) => {
                    let weak = Rc::downgrade(&self.inner);
                    let delay = at.saturating_sub(now_ms()).min(i32::MAX as u64) as u32;
                    let timer = Timeout::new(delay, move || {
                        Self::step(&weak, |o| o.tick(now_ms()));
                    });
                    self.inner.borrow_mut().timer = Some(timer);
                }
            }
        }
    }

    fn send(&self, item: Item) {
        let weak = Rc::downgrade(&self.inner);
        let (token, tag) = {
            let inner = self.inner.borrow();
            let tag = inner.outbox.as_ref().map(|(_, o)| o.session().to_owned());
            (inner.session.get().token.clone(), tag)
        };
        wasm_bindgen_futures::spawn_local(async move {
            let answer = api::create(
                &item.path,
                token.as_deref(),
                &item.body,
                item.request_id.as_deref(),
                &item.key,
                tag.as_deref().filter(|t| !t.is_empty()),
            )
            .await;
            let outcome = match answer {
                Ok(v) => Outcome::Sent(v),
                Err(api::ApiError::Limited { retry_after_ms, .. }) => {
                    Outcome::Limited(retry_after_ms)
                }
                // A token that expired meanwhile is renewed by the connection: try later.
                Err(e) if e.is_refusal() && !e.is_unauthorized() => Outcome::Refused(e.describe()),
                Err(_) => Outcome::Unreachable,
            };
            Self::step(&weak, |o| {
                o.answered(item.id, outcome, now_ms(), js_sys::Math::random())
            });
        });
    }
}
