//! `WebSocketProvider`: owns the app's connection and this tab's link to the browser's other
//! tabs, and shares both as [`WsContext`].
//!
//! While someone is signed in, the tabs of the browser share one socket (docs/protocol.md,
//! "Tabs"): the tab holding the socket's lock runs it, the others show its state
//! ([`crate::ws::TabLink`]). Sign-in, a renewed token and sign-out pass between the tabs.
//! Everything (a socket still connecting included) is released when the provider is dropped.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ppt_protocol::rest::Message;
use ppt_protocol::RawJson;
use yew::prelude::*;
use yewdux::{use_dispatch, use_store, Dispatch};

use crate::browser::clock::now_ms;
use crate::config::{self, realtime_config};
use crate::hooks::{use_query_client, AppliedEvents, QueryClient, WsContext};
use crate::store::messages::MessageWrite;
use crate::store::outbox::OutboxView;
use crate::store::queries::{Queries, QueriesAction};
use crate::store::session::{Session, SessionAction};
use crate::ws::{OutboxRunner, TabLink, WeakTabLink, WsService};
use ppt_realtime::invalidation::Invalidation;
use ppt_realtime::outbox::{self, Delivered, Item};
use ppt_realtime::tabs::{lifetime_left, Leadership, TabCommand};
use ppt_realtime::{ConnectionState, StatusView};

#[derive(Properties, PartialEq)]
pub struct WebSocketProviderProps {
    #[prop_or_default]
    pub children: Html,
}

/// Where the socket is: the address the server put in the page (`--public-ws-url`), else the
/// one built in (`PPT_WS_URL`), else the page's own origin.
fn page_ws_url() -> String {
    let given = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=\"ppt-ws-url\"]").ok().flatten())
        .and_then(|m| m.get_attribute("content"));
    let location = web_sys::window().map(|w| w.location());
    let protocol = location
        .as_ref()
        .and_then(|l| l.protocol().ok())
        .unwrap_or_else(|| "http:".into());
    let host = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .unwrap_or_default();
    config::ws_url(given.as_deref(), &protocol, &host)
}

/// What the provider remembers about the session between renders.
#[derive(Default)]
struct Seen {
    /// The signed-in user and token last seen.
    last: Option<(String, String)>,
    /// When the token arrived (a tab taking over starts its socket with what is left).
    token_at: Cell<u64>,
    /// A token another tab shared: using it is no news to tell them.
    from_others: RefCell<Option<String>>,
}

/// The socket, this tab's link, and the outbox it runs while it holds the socket.
struct Parts {
    service: WsService,
    link: TabLink,
    outbox: OutboxRunner,
}

/// What the provider's commands act on.
#[derive(Clone)]
struct Hands {
    service: WsService,
    link: WeakTabLink,
    outbox: OutboxRunner,
    session: Dispatch<Session>,
    view: Dispatch<OutboxView>,
}

#[function_component]
pub fn WebSocketProvider(props: &WebSocketProviderProps) -> Html {
    let (session, dispatch) = use_store::<Session>();
    let client = use_query_client();
    let queries = use_dispatch::<Queries>();
    let view = use_dispatch::<OutboxView>();
    let status = use_state(|| WsContext::default().status);
    let leadership = use_state(|| Leadership::Idle);
    let seen = use_mut_ref(Seen::default);
    let parts = {
        let set_status = status.setter();
        let set_leadership = leadership.setter();
        let dispatch = dispatch.clone();
        let seen = seen.clone();
        let view = view.clone();
        use_memo((), move |_| {
            let slot: Rc<RefCell<Option<Hands>>> = Rc::default();
            let on_socket = {
                let slot = slot.clone();
                Callback::from(move |command: TabCommand| {
                    let Some(hands) = slot.borrow().clone() else {
                        return;
                    };
                    obey(command, &hands, &seen, &set_status);
                    if let Some(link) = hands.link.upgrade() {
                        set_leadership.set(link.leadership());
                    }
                })
            };
            let link = TabLink::new(WsContext::default().status, on_socket);
            let outbox = {
                let weak = link.downgrade();
                let on_change = Callback::from(move |items| {
                    if let Some(link) = weak.upgrade() {
                        link.outbox_changed(items);
                    }
                });
                let view = view.clone();
                let on_change = Callback::from(move |items: Vec<Item>| {
                    view.set(OutboxView {
                        items: items.clone(),
                    });
                    on_change.emit(items);
                });
                let session = dispatch.clone();
                let on_delivered = Callback::from(move |(item, answer): (Item, RawJson)| {
                    delivered(&item, answer, &session, client.as_ref(), &queries)
                });
                OutboxRunner::new(dispatch.clone(), on_change, on_delivered)
            };
            let on_auth_lost = dispatch.apply_callback(|_: ()| SessionAction::Expired);
            let on_status = {
                let weak = link.downgrade();
                let outbox = outbox.clone();
                Callback::from(move |s: StatusView| {
                    outbox.set_online(s.state == ConnectionState::Connected);
                    if let Some(link) = weak.upgrade() {
                        link.own_status(s);
                    }
                })
            };
            let service = WsService::new(
                page_ws_url(),
                realtime_config(),
                dispatch.clone(),
                on_status,
                on_auth_lost,
            );
            *slot.borrow_mut() = Some(Hands {
                service: service.clone(),
                link: link.downgrade(),
                outbox: outbox.clone(),
                session: dispatch.clone(),
                view: view.clone(),
            });
            Parts {
                service,
                link,
                outbox,
            }
        })
    };
    {
        let link = parts.link.clone();
        let set_leadership = leadership.setter();
        let seen = seen.clone();
        let outbox = parts.outbox.clone();
        let view = view.clone();
        let now_signed_in = session
            .user
            .as_ref()
            .zip(session.token.as_ref())
            .map(|(u, t)| (u.id.clone(), t.clone()));
        let session = (*session).clone();
        use_effect_with(now_signed_in, move |now_signed_in| {
            let before = std::mem::replace(&mut seen.borrow_mut().last, now_signed_in.clone())
                .map(|(user, _)| user);
            match (before, now_signed_in, &session.user) {
                (None, None, _) => {}
                (Some(_), None, _) => {
                    link.signed_out(Some(session.expired));
                    outbox.deactivate();
                    view.set(OutboxView::default());
                    // However the session ended, nothing of it stays in this browser.
                    crate::browser::traces::forget_all_but(None);
                }
                (before, Some((user_id, token)), Some(_)) => {
                    seen.borrow().token_at.set(now_ms());
                    if before.as_ref().is_some_and(|b| b != user_id) {
                        link.signed_out(None);
                    }
                    if before.as_ref() != Some(user_id) {
                        // Nothing of anyone else stays; on a shared computer, nothing at all.
                        crate::browser::traces::forget_all_but(
                            (!session.shared).then_some(user_id.as_str()),
                        );
                        // What the tab holding the socket stored, until it says more.
                        let items = if session.shared {
                            Vec::new()
                        } else {
                            crate::browser::storage::load_outbox(user_id).items
                        };
                        view.set(OutboxView { items });
                        link.signed_in();
                    }
                    let shared = seen.borrow().from_others.borrow_mut().take();
                    if shared.as_ref() != Some(token) {
                        if let Some(answer) = session.to_share() {
                            link.share_session(answer);
                        }
                    }
                }
                (_, Some(_), None) => {}
            }
            set_leadership.set(link.leadership());
        });
    }
    // One for the provider's life: `use_event` listeners stay subscribed across renders.
    let events = use_state(AppliedEvents::default);
    let ctx = WsContext {
        status: (*status).clone(),
        leadership: *leadership,
        service: Some(parts.service.clone()),
        tabs: Some(parts.link.clone()),
        events: (*events).clone(),
    };
    html! {
        <ContextProvider<WsContext> context={ctx}>
            { props.children.clone() }
        </ContextProvider<WsContext>>
    }
}

/// Carries out a command of the tab link that concerns the socket, status, session or
/// outbox.
fn obey(
    command: TabCommand,
    hands: &Hands,
    seen: &Rc<RefCell<Seen>>,
    set_status: &UseStateSetter<StatusView>,
) {
    let session = &hands.session;
    match command {
        TabCommand::StartSocket { .. } => {
            let s = session.get();
            let lifetime = lifetime_left(s.lifetime_ms, seen.borrow().token_at.get(), now_ms());
            if let Some(user) = &s.user {
                hands.outbox.activate(&user.id);
            }
            hands.service.start(lifetime);
        }
        TabCommand::StopSocket => {
            hands.outbox.deactivate();
            hands.service.logout();
            set_status.set(hands.service.status());
        }
        TabCommand::ShowStatus(s) => set_status.set(s),
        TabCommand::UseSession(r) => {
            *seen.borrow().from_others.borrow_mut() = Some(r.token.clone());
            session.apply(SessionAction::Shared(r));
        }
        TabCommand::SignOut { expired } => session.apply(match expired {
            true => SessionAction::Expired,
            false => SessionAction::LoggedOut,
        }),
        TabCommand::Outbox(ask) => hands.outbox.ask(ask),
        TabCommand::ShowOutbox(items) => hands.view.set(OutboxView { items }),
        TabCommand::RequestLock
        | TabCommand::ReleaseLock
        | TabCommand::Post(_)
        | TabCommand::Follow(_)
        | TabCommand::Adopt(_) => {}
    }
}

/// A queued create went through: its answer goes into the caches at once (the server's
/// events follow and change nothing more).
fn delivered(
    item: &Item,
    answer: RawJson,
    session: &Dispatch<Session>,
    client: Option<&QueryClient>,
    queries: &Dispatch<Queries>,
) {
    match outbox::delivered(&item.path) {
        Delivered::Refetch(key) => {
            if let Some(c) = client {
                c.invalidate(Invalidation::own(key));
            }
        }
        Delivered::WriteMessage => {
            let me = session.get().user.as_ref().map(|u| u.id.clone());
            if let (Some(me), Ok(message)) = (me, answer.read::<Message>()) {
                queries.apply(QueriesAction::Write(MessageWrite::Received {
                    messages: vec![message],
                    me,
                }));
            }
        }
        Delivered::Nothing => {}
    }
}
