//! `use_live_events`: the app's one listener for server frames.
//!
//! Every frame with an event goes through the catch-up engine ([`crate::realtime::catchup`]),
//! which holds live events while missed ones are fetched after a (re)connection, so each is
//! applied exactly once and in order. Applied events are routed
//! ([`crate::realtime::routing`]) and their effects carried out here: the message cache, the
//! unread badge, preferences from other sessions, query invalidation, toasts, the sound,
//! system notifications. Replayed events alert nobody one by one: one toast sums them up, and
//! a "Reconnected" toast says how many updates were applied after a real outage.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::{Interval, Timeout};
use ppt_protocol::rest::{
    Message, MissedEvents, NotificationCategory, NotificationPreferences, UnreadCount,
};
use ppt_protocol::{Envelope, ServerEvent};
use yew::prelude::*;
use yew_router::prelude::*;
use yewdux::{use_dispatch, use_store_value, Dispatch};

use crate::api;
use crate::browser;
use crate::hooks::{use_query_client, use_websocket, use_ws_subscription, QueryClient};
use crate::realtime::catchup::{Cursor, Sync, SyncCommand};
use crate::realtime::invalidation::Invalidation;
use crate::realtime::notify::SoundGate;
use crate::realtime::recent::Recent;
use crate::realtime::routing::{route, Alert, Effect, RouteCtx};
use crate::store::messages::{Messages, MessagesAction};
use crate::store::preferences::{Preferences, PreferencesAction};
use crate::store::queries::{Queries, QueriesAction};
use crate::store::session::Session;
use crate::store::toasts::{ToastAction, ToastKind, Toasts};

/// How many alert keys are remembered so one event never alerts twice.
const SEEN_ALERTS: usize = 512;
/// Page size for catching up.
const PAGE: usize = 500;

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

fn cursor_key(user_id: &str) -> String {
    format!("ppt-web.cursor.{user_id}")
}

fn load_cursor(user_id: &str) -> Cursor {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(&cursor_key(user_id)).ok().flatten())
        .and_then(|raw| crate::api::from_json(&raw).ok())
        .unwrap_or_default()
}

fn store_cursor(user_id: &str, cursor: &Cursor) {
    if let (Some(storage), Ok(raw)) = (
        web_sys::window().and_then(|w| w.local_storage().ok().flatten()),
        serde_json::to_string(cursor),
    ) {
        let _ = storage.set_item(&cursor_key(user_id), &raw);
    }
}

/// The stores the live events write to.
#[derive(Clone)]
struct Stores {
    session: Dispatch<Session>,
    messages: Dispatch<Messages>,
    prefs: Dispatch<Preferences>,
    toasts: Dispatch<Toasts>,
    queries: Dispatch<Queries>,
}

/// Loads the unread total into the message store.
pub fn refresh_unread(d: Dispatch<Messages>, token: String) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(c) = api::get::<UnreadCount>("/messages/unread-count", &token).await {
            d.apply(MessagesAction::Unread(c.count));
        }
    });
}

/// Loads the message list into the message store.
pub fn refresh_messages(d: Dispatch<Messages>, token: String) {
    wasm_bindgen_futures::spawn_local(async move {
        match api::get::<Vec<Message>>("/messages", &token).await {
            Ok(list) => d.apply(MessagesAction::Loaded(list)),
            Err(e) => d.apply(MessagesAction::Failed(e)),
        }
    });
}

/// The live-events state that outlives renders.
struct Live {
    user: Option<String>,
    sync: Sync,
    seen: Recent<SEEN_ALERTS>,
    /// Caught up at least once in this page's life: later catch-ups follow real outages.
    was_live: bool,
    /// Alerts held back while replaying, summed up in one toast.
    replayed_alerts: u64,
    /// The cursor waiting to be written, and the timer that writes it.
    unsaved: Option<Cursor>,
    save: Option<Timeout>,
    /// Live messages not yet in the store: a burst of events is one store update.
    pending: Vec<Message>,
    /// Toasts not yet in the store, for the same reason.
    pending_toasts: Vec<ToastAction>,
    sound: SoundGate,
    flush_scheduled: bool,
}

/// Everything the handlers need, cheap to clone into callbacks.
#[derive(Clone)]
struct Ctx {
    live: Rc<RefCell<Live>>,
    stores: Stores,
    client: Option<QueryClient>,
    open: Callback<String>,
}

#[hook]
pub fn use_live_events() {
    let session = use_store_value::<Session>();
    let navigator = use_navigator();
    let client = use_query_client();
    let live = use_mut_ref(|| Live {
        user: None,
        sync: Sync::new(Cursor::default()),
        seen: Recent::default(),
        was_live: false,
        replayed_alerts: 0,
        unsaved: None,
        save: None,
        pending: Vec::new(),
        pending_toasts: Vec::new(),
        sound: SoundGate::default(),
        flush_scheduled: false,
    });
    let stores = Stores {
        session: use_dispatch::<Session>(),
        messages: use_dispatch::<Messages>(),
        prefs: use_dispatch::<Preferences>(),
        toasts: use_dispatch::<Toasts>(),
        queries: use_dispatch::<Queries>(),
    };

    {
        let stores = stores.clone();
        let live = live.clone();
        let user_id = session.user.as_ref().map(|u| u.id.clone());
        use_effect_with(
            (session.token.clone(), user_id),
            move |(token, user_id)| match (token.clone(), user_id) {
                (Some(token), Some(user_id)) => {
                    let mut l = live.borrow_mut();
                    if l.user.as_deref() != Some(user_id.as_str()) {
                        l.user = Some(user_id.clone());
                        l.sync = Sync::new(load_cursor(user_id));
                        l.was_live = false;
                    }
                    drop(l);
                    refresh_unread(stores.messages.clone(), token.clone());
                    let prefs = stores.prefs.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Ok(p) =
                            api::get::<NotificationPreferences>("/notification-preferences", &token)
                                .await
                        {
                            prefs.apply(PreferencesAction::Replaced(p));
                        }
                    });
                }
                _ => {
                    let mut l = live.borrow_mut();
                    l.user = None;
                    l.was_live = false;
                    l.pending.clear();
                    l.pending_toasts.clear();
                    drop(l);
                    stores.messages.apply(MessagesAction::Clear);
                    stores.prefs.apply(PreferencesAction::Clear);
                    stores.toasts.apply(ToastAction::Clear);
                    stores.queries.apply(QueriesAction::Clear);
                }
            },
        );
    }

    let open = Callback::from(move |link: String| {
        if let Some(n) = &navigator {
            n.push(&crate::route::Route::from_link(&link));
        }
    });
    let ctx = Ctx {
        live,
        stores,
        client,
        open,
    };
    // Live updates paused (no socket for a while): poll for what happened instead.
    let degraded = use_websocket().status.degraded;
    {
        let ctx = ctx.clone();
        use_effect_with(degraded, move |degraded| {
            let poll = degraded.then(|| {
                Interval::new(crate::ws::poll_interval_ms() as u32, move || {
                    let request = ctx.live.borrow().sync.poll_request();
                    if let Some(r) = request {
                        fetch_page(&ctx, r.query(PAGE), true);
                    }
                })
            });
            move || drop(poll)
        });
    }
    let on_frame = Callback::from(move |envelope: Rc<Envelope>| on_frame(&ctx, envelope));
    use_ws_subscription("*", on_frame);
}

fn on_frame(ctx: &Ctx, envelope: Rc<Envelope>) {
    let commands = {
        let mut live = ctx.live.borrow_mut();
        if live.user.is_none() {
            return;
        }
        match &envelope.event {
            ServerEvent::Authenticated(auth) => live.sync.authenticated(auth),
            ServerEvent::Pong | ServerEvent::ConnectionError(_) => return,
            _ => {
                if let (Some(id), Some(c)) = (envelope.id, &ctx.client) {
                    c.saw_event(id);
                }
                live.sync.live((*envelope).clone())
            }
        }
    };
    run(ctx, commands);
}

fn run(ctx: &Ctx, commands: Vec<SyncCommand>) {
    for command in commands {
        match command {
            SyncCommand::Apply { envelope, replayed } => apply_event(ctx, &envelope, replayed),
            SyncCommand::Fetch(request) => fetch_page(ctx, request.query(PAGE), false),
            SyncCommand::Poll(request) => fetch_page(ctx, request.query(PAGE), true),
            SyncCommand::ResetAll => {
                let token = ctx.stores.session.get().token.clone();
                if let Some(token) = token {
                    // Replay is impossible: nothing held can be trusted, load it all again.
                    // (The unread total is reloaded by the `CaughtUp` that always follows.)
                    let was_loaded = ctx.stores.messages.get().loaded;
                    ctx.live.borrow_mut().pending.clear();
                    ctx.stores.messages.apply(MessagesAction::Clear);
                    if was_loaded {
                        refresh_messages(ctx.stores.messages.clone(), token);
                    }
                }
                if let Some(c) = &ctx.client {
                    c.invalidate_all();
                }
            }
            SyncCommand::CaughtUp { applied } => caught_up(ctx, applied),
            // A hole in the live stream was filled: nothing to tell the user.
            SyncCommand::GapFilled { .. } => {}
            SyncCommand::Save(cursor) => schedule_save(ctx, cursor),
        }
    }
}

/// Reads a page of missed events: for catch-up, or (`polling`) while live updates are paused.
fn fetch_page(ctx: &Ctx, query: String, polling: bool) {
    let Some(token) = ctx.stores.session.get().token.clone() else {
        return;
    };
    let ctx = ctx.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let result = api::get::<MissedEvents>(&format!("/events/missed?{query}"), &token).await;
        let commands = match result {
            Ok(page) if polling => ctx.live.borrow_mut().sync.polled(page),
            Ok(page) => ctx.live.borrow_mut().sync.page(page),
            // The next poll tries again.
            Err(_) if polling => Vec::new(),
            Err(_) => {
                // Try the same page again in a moment.
                let retry = ctx.clone();
                Timeout::new(1_000, move || {
                    let commands = retry.live.borrow().sync.page_failed();
                    run(&retry, commands);
                })
                .forget();
                Vec::new()
            }
        };
        run(&ctx, commands);
    });
}

fn caught_up(ctx: &Ctx, applied: u64) {
    // Replayed messages may already be in a total loaded earlier: the server's count is exact.
    if let Some(token) = ctx.stores.session.get().token.clone() {
        refresh_unread(ctx.stores.messages.clone(), token);
    }
    let (outage, summarised) = {
        let mut live = ctx.live.borrow_mut();
        let outage = live.was_live;
        live.was_live = true;
        (outage, std::mem::take(&mut live.replayed_alerts))
    };
    if summarised > 0 {
        let title = if summarised == 1 {
            "1 notification while you were away".to_owned()
        } else {
            format!("{summarised} notifications while you were away")
        };
        push_toast(
            ctx,
            ToastKind::Notification,
            title,
            "Everything is up to date.".into(),
            None,
        );
    }
    if outage {
        let body = match applied {
            0 => "Nothing was missed.".to_owned(),
            1 => "1 update applied.".to_owned(),
            n => format!("{n} updates applied."),
        };
        push_toast(
            ctx,
            ToastKind::Reconnected,
            "Reconnected".into(),
            body,
            None,
        );
    }
}

fn schedule_save(ctx: &Ctx, cursor: Cursor) {
    let mut live = ctx.live.borrow_mut();
    let Some(user) = live.user.clone() else {
        return;
    };
    live.unsaved = Some(cursor);
    if live.save.is_some() {
        return;
    }
    // At most one write per second: storage is slow and events can be many.
    let weak = Rc::downgrade(&ctx.live);
    live.save = Some(Timeout::new(1_000, move || {
        let Some(live) = weak.upgrade() else { return };
        let mut live = live.borrow_mut();
        live.save = None;
        if let Some(cursor) = live.unsaved.take() {
            if live.user.as_deref() == Some(user.as_str()) {
                store_cursor(&user, &cursor);
            }
        }
    }));
}

fn push_toast(ctx: &Ctx, kind: ToastKind, title: String, body: String, link: Option<String>) {
    ctx.stores.toasts.apply(ToastAction::Push {
        kind,
        title,
        body,
        link,
        key: None,
        now: now_ms(),
    });
}

fn apply_event(ctx: &Ctx, envelope: &Envelope, replayed: bool) {
    let session = ctx.stores.session.get();
    let Some(user) = session.user.clone() else {
        return;
    };
    let messages = ctx.stores.messages.get();
    let prefs = ctx.stores.prefs.get();
    let tab_hidden = browser::tab_hidden();
    let (effects, summarised) = {
        let live = ctx.live.borrow();
        let known =
            |id: &str| messages.contains(id) || live.pending.iter().rev().any(|m| m.id == id);
        let route_ctx = RouteCtx {
            me: &user.id,
            prefs: &prefs.prefs,
            known_message: &known,
            tab_hidden,
            // Asked only when it matters (a hidden tab): the browser's answer is slow, and
            // asking for every event of a burst cost more than everything else together.
            browser_permitted: tab_hidden && browser::notifications::permitted(),
            replayed,
        };
        (
            route(envelope, &route_ctx),
            replayed && would_alert(envelope, &user.id, &known),
        )
    };
    let foreign = !ctx
        .client
        .as_ref()
        .is_some_and(|c| c.is_own(envelope.request_id.as_deref()));
    if summarised {
        ctx.live.borrow_mut().replayed_alerts += 1;
    }
    for effect in effects {
        apply(ctx, effect, &user.id, envelope.id, foreign);
    }
}

/// Whether a replayed event would have alerted the user had it come live.
fn would_alert(envelope: &Envelope, me: &str, known: &dyn Fn(&str) -> bool) -> bool {
    match &envelope.event {
        ServerEvent::Notification(..) => true,
        ServerEvent::MessageNew(m) => {
            m.message.to_user_id == me && m.message.from_user_id != me && !known(&m.message.id)
        }
        _ => false,
    }
}

fn apply(ctx: &Ctx, effect: Effect, me: &str, event_id: Option<u64>, foreign: bool) {
    let stores = &ctx.stores;
    match effect {
        Effect::Message(message) => {
            ctx.live.borrow_mut().pending.push(message);
            schedule_flush(ctx);
        }
        Effect::Unread(n) => {
            flush_messages(ctx);
            stores.messages.apply(MessagesAction::Unread(n))
        }
        Effect::ConversationRead(conversation_id) => {
            flush_messages(ctx);
            stores.messages.apply(MessagesAction::ConversationRead {
                conversation_id,
                me: me.to_owned(),
            })
        }
        Effect::Preferences(p) => stores.prefs.apply(PreferencesAction::Replaced(p)),
        Effect::Alert(alert) => {
            {
                let mut live = ctx.live.borrow_mut();
                if !live.seen.insert(&alert.key) {
                    return;
                }
            }
            let sound = alert.delivery.sound && ctx.live.borrow_mut().sound.allow(now_ms());
            raise(ctx, alert, sound);
        }
        Effect::Invalidate {
            key, id, version, ..
        } => {
            if let Some(c) = &ctx.client {
                c.invalidate(Invalidation {
                    key,
                    event_id,
                    entity: version.map(|v| (id, v)),
                    foreign,
                });
            }
        }
    }
}

/// After this task's other events, puts what they gathered into the stores: one update of
/// each store for a whole burst of events.
fn schedule_flush(ctx: &Ctx) {
    let first = {
        let mut live = ctx.live.borrow_mut();
        !std::mem::replace(&mut live.flush_scheduled, true)
    };
    if first {
        let ctx = ctx.clone();
        wasm_bindgen_futures::spawn_local(async move {
            ctx.live.borrow_mut().flush_scheduled = false;
            flush_messages(&ctx);
            let toasts = std::mem::take(&mut ctx.live.borrow_mut().pending_toasts);
            if !toasts.is_empty() {
                ctx.stores.toasts.apply(ToastAction::PushMany(toasts));
            }
        });
    }
}

/// Puts the live messages gathered so far into the store, in one update.
fn flush_messages(ctx: &Ctx) {
    let (messages, me) = {
        let mut live = ctx.live.borrow_mut();
        (std::mem::take(&mut live.pending), live.user.clone())
    };
    if let (false, Some(me)) = (messages.is_empty(), me) {
        ctx.stores
            .messages
            .apply(MessagesAction::ReceivedMany { messages, me });
    }
}

fn raise(ctx: &Ctx, alert: Alert, sound: bool) {
    if alert.delivery.toast {
        let kind = if alert.category == NotificationCategory::Message {
            ToastKind::Message
        } else {
            ToastKind::Notification
        };
        ctx.live
            .borrow_mut()
            .pending_toasts
            .push(ToastAction::Push {
                kind,
                title: alert.title.clone(),
                body: alert.body.clone(),
                link: Some(alert.link.clone()),
                key: Some(alert.key.clone()),
                now: now_ms(),
            });
        schedule_flush(ctx);
    }
    if sound {
        browser::sound::play();
    }
    if alert.delivery.browser {
        browser::notifications::show(
            &alert.title,
            &alert.body,
            &alert.key,
            alert.link,
            ctx.open.clone(),
        );
    }
}
