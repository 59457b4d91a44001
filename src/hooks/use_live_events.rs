//! `use_live_events`: carries out what the live core ([`ppt_realtime::live`]) decides.
//!
//! It feeds the core each animation frame's batch of frames, the pages it asked for, whether
//! live updates are paused, and its timer; and applies each [`Out`] as it says: store actions
//! in order, toasts in one update, the sound, system notifications, the cursor in storage.
//! It decides nothing itself.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use ppt_protocol::rest::{MissedEvents, NotificationPreferences};
use yew::prelude::*;
use yew_router::prelude::*;
use yewdux::{use_dispatch, use_selector, Dispatch};

use crate::api;
use crate::browser;
use crate::browser::clock::now_ms;
use crate::hooks::{
    use_query_client, use_websocket, use_ws_subscription, AppliedEvents, QueryClient,
};
use crate::store::diagnostics::LiveDiagnostics;
use crate::store::lists::{MESSAGES, UNREAD};
use crate::store::messages::MessageWrite;
use crate::store::preferences::{Preferences, PreferencesAction};
use crate::store::queries::{Queries, QueriesAction};
use crate::store::session::Session;
use crate::store::toasts::{ToastAction, Toasts};
use crate::ws::{Batch, TabLink};
use ppt_realtime::invalidation::Invalidation;
use ppt_realtime::live::{Action, Live, Out, World};
use ppt_realtime::tabs::{Leadership, TabCommand};

/// The core of the signed-in user, and the one timer it asked for.
#[derive(Default)]
struct State {
    live: Option<Live>,
    timer: Option<(u64, Timeout)>,
}

/// Everything the executor needs, cheap to clone into callbacks.
#[derive(Clone)]
struct Ctx {
    state: Rc<RefCell<State>>,
    session: Dispatch<Session>,
    queries: Dispatch<Queries>,
    prefs: Dispatch<Preferences>,
    toasts: Dispatch<Toasts>,
    diagnostics: Dispatch<LiveDiagnostics>,
    client: Option<QueryClient>,
    /// The other tabs: what this tab relays when it leads, and what it follows.
    tabs: Option<TabLink>,
    /// Where the events this tab applied go, for `use_event`.
    events: AppliedEvents,
    open: Callback<String>,
}

#[hook]
pub fn use_live_events() {
    // Who is signed in (a renewed token is no change: the core and the preferences stay).
    let signed_in = use_selector(|s: &Session| {
        s.user
            .as_ref()
            .filter(|_| s.token.is_some())
            .map(|u| u.id.clone())
    });
    let ws = use_websocket();
    let navigator = use_navigator();
    let ctx = Ctx {
        state: use_mut_ref(State::default),
        session: use_dispatch::<Session>(),
        queries: use_dispatch::<Queries>(),
        prefs: use_dispatch::<Preferences>(),
        toasts: use_dispatch::<Toasts>(),
        diagnostics: use_dispatch::<LiveDiagnostics>(),
        client: use_query_client(),
        tabs: ws.tabs.clone(),
        events: ws.events.clone(),
        open: Callback::from(move |link: String| {
            if let Some(n) = &navigator {
                n.push(&crate::route::Route::from_link(&link));
            }
        }),
    };
    {
        let ctx = ctx.clone();
        use_effect_with((*signed_in).clone(), move |signed_in| match signed_in {
            Some(user_id) => ctx.signed_in(user_id),
            None => {
                *ctx.state.borrow_mut() = State::default();
                ctx.prefs.apply(PreferencesAction::Clear);
                ctx.toasts.apply(ToastAction::Clear);
                // Where the last user stood in the log is theirs too.
                ctx.diagnostics.set(LiveDiagnostics::default());
                if let Some(c) = &ctx.client {
                    c.clear();
                }
            }
        });
    }
    {
        let ctx = ctx.clone();
        use_effect_with(ws.tabs.clone(), move |tabs| {
            if let Some(tabs) = tabs {
                let on_live = {
                    let ctx = ctx.clone();
                    Callback::from(move |c: TabCommand| ctx.tab_command(c))
                };
                let state = ctx.state.clone();
                let cursor = Rc::new(move || {
                    state
                        .borrow()
                        .live
                        .as_ref()
                        .map(|l| l.cursor().clone())
                        .unwrap_or_default()
                });
                tabs.attach_live(on_live, cursor);
            }
        });
    }
    // Only a tab with a socket polls while live updates are paused (a follower shows its
    // leader's state; the leader polls for the browser).
    let paused = ws.status.degraded && ws.leadership.has_socket();
    {
        let ctx = ctx.clone();
        use_effect_with(paused, move |paused| {
            let paused = *paused;
            ctx.step(|live, w| live.paused(paused, w.now));
        });
    }
    use_ws_subscription(
        "*",
        Callback::from(move |batch: Batch| {
            ctx.step(|live, w| live.frames(batch.iter().map(|e| &**e), w))
        }),
    );
}

impl Ctx {
    /// What the tab link asks of the core: lead (relaying; after following, as a take-over),
    /// follow the leader's relays, continue from its cursor.
    fn tab_command(&self, command: TabCommand) {
        match command {
            TabCommand::StartSocket { take_over } => {
                let leading = self.leading();
                if let Some(live) = self.state.borrow_mut().live.as_mut() {
                    live.set_relaying(leading);
                    if take_over {
                        live.take_over();
                    }
                }
            }
            TabCommand::Follow(relays) => self.step(|live, w| live.follow(&relays, w)),
            TabCommand::Adopt(cursor) => {
                if let Some(live) = self.state.borrow_mut().live.as_mut() {
                    live.adopt(cursor);
                }
            }
            _ => {}
        }
    }

    fn leading(&self) -> bool {
        self.tabs.as_ref().map(TabLink::leadership) == Some(Leadership::Leading)
    }

    /// A user signed in: a fresh core, and the preferences loaded.
    fn signed_in(&self, user_id: &str) {
        let keeps = self.session.get().keeps_anything();
        let mut state = self.state.borrow_mut();
        if state.live.as_ref().map(Live::me) != Some(user_id) {
            let config = crate::config::live_config();
            // A shared computer's session neither reads nor leaves a cursor.
            let cursor = if keeps {
                browser::storage::load_cursor(user_id)
            } else {
                Default::default()
            };
            *state = State {
                live: Some(Live::new(user_id, cursor, config)),
                timer: None,
            };
            let leading = self.leading();
            if let Some(live) = state.live.as_mut() {
                live.set_relaying(leading);
            }
        }
        drop(state);
        let Some(token) = self.session.get().token.clone() else {
            return;
        };
        let prefs = self.prefs.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(p) =
                api::get::<NotificationPreferences>("/notification-preferences", &token).await
            {
                prefs.apply(PreferencesAction::Replaced(p));
            }
        });
    }

    /// Steps the core with the world as it is now, then carries out what it says.
    fn step(&self, input: impl FnOnce(&mut Live, &World) -> Out) {
        self.step_as(None, input)
    }

    /// [`Ctx::step`], only if `me` is still the signed-in user (for answers that arrive late).
    fn step_as(&self, me: Option<&str>, input: impl FnOnce(&mut Live, &World) -> Out) {
        let prefs = self.prefs.get();
        let client = self.client.clone();
        let own = |r: &str| client.as_ref().is_some_and(|c| c.is_own(Some(r)));
        // The browser answers slowly: asked at most once per step, however many events.
        let permitted = std::cell::OnceCell::new();
        let world = World {
            now: now_ms(),
            prefs: &prefs.prefs,
            tab_hidden: browser::tab_hidden(),
            browser_permitted: &|| *permitted.get_or_init(browser::notifications::permitted),
            own_request: &own,
            listening: self.events.has_listeners(),
        };
        let (out, user, figures) = {
            let mut state = self.state.borrow_mut();
            let Some(live) = state.live.as_mut() else {
                return;
            };
            if me.is_some_and(|me| me != live.me()) {
                return;
            }
            let out = input(live, &world);
            let figures = LiveDiagnostics {
                cursor: live.cursor().clone(),
                stats: live.stats().clone(),
            };
            (out, live.me().to_owned(), figures)
        };
        if *self.diagnostics.get() != figures {
            self.diagnostics.set(figures);
        }
        self.execute(out, &user);
    }

    fn execute(&self, out: Out, me: &str) {
        if let (Some(id), Some(c)) = (out.saw_event, &self.client) {
            c.saw_event(id);
        }
        for action in out.actions {
            self.act(action, me);
        }
        if let (false, Some(tabs)) = (out.relay.is_empty(), &self.tabs) {
            tabs.relay(out.relay);
        }
        // After the stores took the data: a listener reads them as the event left them.
        self.events.publish(&out.applied);
        if !out.toasts.is_empty() {
            self.toasts.apply(ToastAction::PushMany(out.toasts));
        }
        if out.sound {
            browser::sound::play();
        }
        for alert in out.browser {
            browser::notifications::show(
                &alert.title,
                &alert.body,
                &alert.key,
                alert.link,
                self.open.clone(),
            );
        }
        self.wake_at(out.wake_at);
    }

    fn act(&self, action: Action, me: &str) {
        let token = || self.session.get().token.clone();
        match action {
            Action::Messages(messages) => {
                self.write(MessageWrite::Received {
                    messages,
                    me: me.to_owned(),
                });
                // The unread total may have risen in place; a total on its way predates it.
                if let Some(c) = &self.client {
                    c.written(&UNREAD.key());
                }
            }
            Action::ConversationRead(conversation_id) => {
                self.write(MessageWrite::ConversationRead {
                    conversation_id,
                    me: me.to_owned(),
                })
            }
            Action::MessageRead(id) => self.write(MessageWrite::ReadByRecipient {
                id,
                me: me.to_owned(),
            }),
            Action::Unread(n) => self.write(MessageWrite::Unread(n)),
            Action::RefreshUnread => self.invalidate(Invalidation::own(UNREAD.key())),
            Action::Preferences(p) => self.prefs.apply(PreferencesAction::Replaced(p)),
            Action::Invalidate(inv) => self.invalidate(inv),
            Action::ResetAll => {
                if let Some(c) = &self.client {
                    // The inbox merges what it holds into each fetch: nothing held is
                    // trusted now, but it stays shown until the refetch replaces it.
                    c.distrust(&MESSAGES.key());
                    c.invalidate_all();
                }
            }
            Action::Fetch { query, polling } => {
                let Some(t) = token() else { return };
                let ctx = self.clone();
                let me = me.to_owned();
                wasm_bindgen_futures::spawn_local(async move {
                    let page = api::get::<MissedEvents>(&format!("/events/missed?{query}"), &t)
                        .await
                        .ok();
                    ctx.step_as(Some(&me), |live, w| live.page(page, polling, w));
                });
            }
            Action::SaveCursor(cursor) => {
                if self.session.get().keeps_anything() {
                    browser::storage::store_cursor(me, &cursor);
                }
            }
        }
    }

    fn write(&self, write: MessageWrite) {
        self.queries.apply(QueriesAction::Write(write));
    }

    fn invalidate(&self, inv: Invalidation) {
        if let Some(c) = &self.client {
            c.invalidate(inv);
        }
    }

    /// Keeps one timer, set for when the core asked to be woken.
    fn wake_at(&self, at: Option<u64>) {
        let mut state = self.state.borrow_mut();
        if state.timer.as_ref().map(|(t, _)| *t) == at {
            return;
        }
        state.timer = at.map(|at| {
            let ctx = self.clone();
            let delay = at.saturating_sub(now_ms()).min(i32::MAX as u64) as u32;
            let timeout = Timeout::new(delay, move || {
                ctx.state.borrow_mut().timer = None;
                ctx.step(|live, w| live.tick(w));
            });
            (at, timeout)
        });
    }
}
