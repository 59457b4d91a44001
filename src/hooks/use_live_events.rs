//! `use_live_events`: the app's one listener for server frames. It routes each frame
//! ([`crate::realtime::routing`]) and carries out the effects: the message cache, the unread
//! badge, preferences from other sessions, toasts, the sound, system notifications. On login
//! it loads the unread count and the preferences; on every (re)authentication it loads the
//! unread count again; on logout it forgets the user's data.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use ppt_protocol::rest::{Message, NotificationCategory, NotificationPreferences, UnreadCount};
use ppt_protocol::{Envelope, ServerEvent};
use yew::prelude::*;
use yew_router::prelude::*;
use yewdux::{use_dispatch, use_store_value, Dispatch};

use crate::api;
use crate::browser;
use crate::hooks::{use_query_client, use_ws_subscription, QueryClient};
use crate::realtime::invalidation::Invalidation;
use crate::realtime::routing::{route, Alert, Effect, RouteCtx};
use crate::store::messages::{Messages, MessagesAction};
use crate::store::preferences::{Preferences, PreferencesAction};
use crate::store::queries::{Queries, QueriesAction};
use crate::store::session::Session;
use crate::store::toasts::{ToastAction, ToastKind, Toasts};

/// How many alert keys are remembered so one event never alerts twice.
const SEEN_ALERTS: usize = 512;

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
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

#[hook]
pub fn use_live_events() {
    let session = use_store_value::<Session>();
    let navigator = use_navigator();
    let client = use_query_client();
    let seen: Rc<RefCell<VecDeque<String>>> = use_mut_ref(VecDeque::new);
    let stores = Stores {
        session: use_dispatch::<Session>(),
        messages: use_dispatch::<Messages>(),
        prefs: use_dispatch::<Preferences>(),
        toasts: use_dispatch::<Toasts>(),
        queries: use_dispatch::<Queries>(),
    };

    {
        let stores = stores.clone();
        use_effect_with(session.token.clone(), move |token| match token.clone() {
            Some(token) => {
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
            None => {
                stores.messages.apply(MessagesAction::Clear);
                stores.prefs.apply(PreferencesAction::Clear);
                stores.toasts.apply(ToastAction::Clear);
                stores.queries.apply(QueriesAction::Clear);
            }
        });
    }

    let open = Callback::from(move |link: String| {
        if let Some(n) = &navigator {
            n.push(&crate::app::Route::from_link(&link));
        }
    });
    let on_frame = Callback::from(move |envelope: Rc<Envelope>| {
        let session = stores.session.get();
        let (Some(token), Some(user)) = (session.token.clone(), session.user.clone()) else {
            return;
        };
        if let ServerEvent::Authenticated(_) = envelope.event {
            refresh_unread(stores.messages.clone(), token.clone());
            if stores.messages.get().loaded {
                refresh_messages(stores.messages.clone(), token);
            }
            // Whatever changed while the link was down: lists on screen refetch, others go stale.
            if let Some(c) = &client {
                c.invalidate_all();
            }
            return;
        }
        if let (Some(id), Some(c)) = (envelope.id, &client) {
            c.saw_event(id);
        }
        let foreign = !client
            .as_ref()
            .is_some_and(|c| c.is_own(envelope.request_id.as_deref()));
        let messages = stores.messages.get();
        let prefs = stores.prefs.get();
        let known = |id: &str| messages.contains(id);
        let ctx = RouteCtx {
            me: &user.id,
            prefs: &prefs.prefs,
            known_message: &known,
            tab_hidden: browser::tab_hidden(),
            browser_permitted: browser::notifications::permitted(),
            replayed: false,
        };
        let origin = Origin {
            stores: &stores,
            me: &user.id,
            seen: &seen,
            open: &open,
            client: client.as_ref(),
            event_id: envelope.id,
            foreign,
        };
        for effect in route(&envelope, &ctx) {
            apply(effect, &origin);
        }
    });
    use_ws_subscription("*", on_frame);
}

/// Where an effect came from and what it may use.
struct Origin<'a> {
    stores: &'a Stores,
    me: &'a str,
    seen: &'a Rc<RefCell<VecDeque<String>>>,
    open: &'a Callback<String>,
    client: Option<&'a QueryClient>,
    event_id: Option<u64>,
    foreign: bool,
}

fn apply(effect: Effect, o: &Origin<'_>) {
    let (stores, me, seen, open) = (o.stores, o.me, o.seen, o.open);
    match effect {
        Effect::Message(message) => stores.messages.apply(MessagesAction::Received {
            message,
            me: me.to_owned(),
        }),
        Effect::Unread(n) => stores.messages.apply(MessagesAction::Unread(n)),
        Effect::ConversationRead(conversation_id) => {
            stores.messages.apply(MessagesAction::ConversationRead {
                conversation_id,
                me: me.to_owned(),
            })
        }
        Effect::Preferences(p) => stores.prefs.apply(PreferencesAction::Replaced(p)),
        Effect::Alert(alert) => {
            {
                let mut seen = seen.borrow_mut();
                if seen.contains(&alert.key) {
                    return;
                }
                if seen.len() == SEEN_ALERTS {
                    seen.pop_front();
                }
                seen.push_back(alert.key.clone());
            }
            raise(alert, &stores.toasts, open);
        }
        Effect::Invalidate {
            key, id, version, ..
        } => {
            if let Some(c) = o.client {
                c.invalidate(Invalidation {
                    key,
                    event_id: o.event_id,
                    entity: version.map(|v| (id, v)),
                    foreign: o.foreign,
                });
            }
        }
    }
}

fn raise(alert: Alert, toasts: &Dispatch<Toasts>, open: &Callback<String>) {
    if alert.delivery.toast {
        let kind = if alert.category == NotificationCategory::Message {
            ToastKind::Message
        } else {
            ToastKind::Notification
        };
        toasts.apply(ToastAction::Push {
            kind,
            title: alert.title.clone(),
            body: alert.body.clone(),
            link: Some(alert.link.clone()),
            key: Some(alert.key.clone()),
            now: now_ms(),
        });
    }
    if alert.delivery.sound {
        browser::sound::play();
    }
    if alert.delivery.browser {
        browser::notifications::show(
            &alert.title,
            &alert.body,
            &alert.key,
            alert.link,
            open.clone(),
        );
    }
}
