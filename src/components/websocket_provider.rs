//! `WebSocketProvider`: owns the app's connection and this tab's link to the browser's other
//! tabs, and shares both as [`WsContext`].
//!
//! While someone is signed in, the tabs of the browser share one socket (contract section
//! 12): the tab holding the socket's lock runs it, the others show its state
//! ([`crate::ws::TabLink`]). Sign-in, a renewed token and sign-out pass between the tabs.
//! Everything (a socket still connecting included) is released when the provider is dropped.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ppt_protocol::rest::LoginResponse;
use yew::prelude::*;
use yewdux::{use_store, Dispatch};

use crate::config::{self, realtime_config};
use crate::hooks::WsContext;
use crate::realtime::tabs::{Role, TabCommand};
use crate::realtime::StatusView;
use crate::store::session::{Session, SessionAction};
use crate::ws::{TabLink, WsService};

#[derive(Properties, PartialEq)]
pub struct WebSocketProviderProps {
    #[prop_or_default]
    pub children: Html,
}

fn page_ws_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let protocol = location
        .as_ref()
        .and_then(|l| l.protocol().ok())
        .unwrap_or_else(|| "http:".into());
    let host = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .unwrap_or_default();
    config::ws_url(&protocol, &host)
}

fn now() -> u64 {
    js_sys::Date::now() as u64
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

/// The socket, this tab's link, and what the link asks of the provider.
struct Parts {
    service: WsService,
    link: TabLink,
}

#[function_component]
pub fn WebSocketProvider(props: &WebSocketProviderProps) -> Html {
    let (session, dispatch) = use_store::<Session>();
    let status = use_state(|| WsContext::default().status);
    let role = use_state(|| Role::Idle);
    let seen = use_mut_ref(Seen::default);
    let parts = {
        let set_status = status.setter();
        let set_role = role.setter();
        let dispatch = dispatch.clone();
        let seen = seen.clone();
        use_memo((), move |_| {
            let slot: Rc<RefCell<Option<(WsService, crate::ws::WeakTabLink)>>> = Rc::default();
            let on_socket = {
                let slot = slot.clone();
                let dispatch = dispatch.clone();
                Callback::from(move |command: TabCommand| {
                    let Some((service, link)) = slot.borrow().clone() else {
                        return;
                    };
                    obey(command, &service, &dispatch, &seen, &set_status);
                    if let Some(link) = link.upgrade() {
                        set_role.set(link.role());
                    }
                })
            };
            let link = TabLink::new(WsContext::default().status, on_socket);
            let weak = link.downgrade();
            let on_auth_lost = dispatch.apply_callback(|_: ()| SessionAction::Expired);
            let service = WsService::new(
                page_ws_url(),
                realtime_config(),
                dispatch.clone(),
                Callback::from(move |s: StatusView| {
                    if let Some(link) = weak.upgrade() {
                        link.own_status(s);
                    }
                }),
                on_auth_lost,
            );
            *slot.borrow_mut() = Some((service.clone(), link.downgrade()));
            Parts { service, link }
        })
    };
    {
        let link = parts.link.clone();
        let set_role = role.setter();
        let seen = seen.clone();
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
                (Some(_), None, _) => link.signed_out(Some(session.expired)),
                (before, Some((user_id, token)), Some(user)) => {
                    seen.borrow().token_at.set(now());
                    if before.as_ref().is_some_and(|b| b != user_id) {
                        link.signed_out(None);
                    }
                    if before.as_ref() != Some(user_id) {
                        link.signed_in();
                    }
                    let shared = seen.borrow().from_others.borrow_mut().take();
                    if shared.as_ref() != Some(token) {
                        link.share_session(LoginResponse {
                            token: token.clone(),
                            user: user.clone(),
                            expires_in: session.lifetime_ms.unwrap_or(0) / 1000,
                        });
                    }
                }
                (_, Some(_), None) => {}
            }
            set_role.set(link.role());
        });
    }
    let ctx = WsContext {
        status: (*status).clone(),
        role: *role,
        service: Some(parts.service.clone()),
        tabs: Some(parts.link.clone()),
    };
    html! {
        <ContextProvider<WsContext> context={ctx}>
            { props.children.clone() }
        </ContextProvider<WsContext>>
    }
}

/// Carries out a command of the tab link that concerns the socket, status or session.
fn obey(
    command: TabCommand,
    service: &WsService,
    session: &Dispatch<Session>,
    seen: &Rc<RefCell<Seen>>,
    set_status: &UseStateSetter<StatusView>,
) {
    match command {
        TabCommand::StartSocket { .. } => {
            let s = session.get();
            let seen = seen.borrow();
            // What is left of the token's lifetime (a tab taking over got it a while ago).
            let lifetime = s
                .lifetime_ms
                .map(|l| l.saturating_sub(now().saturating_sub(seen.token_at.get())));
            service.start(lifetime);
        }
        TabCommand::StopSocket => {
            service.logout();
            set_status.set(service.status());
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
        TabCommand::RequestLock
        | TabCommand::ReleaseLock
        | TabCommand::Post(_)
        | TabCommand::Follow(_)
        | TabCommand::Adopt(_) => {}
    }
}
