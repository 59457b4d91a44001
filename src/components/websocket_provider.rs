//! `WebSocketProvider`: owns the app's one connection and shares it as [`WsContext`].
//! Connects when someone is logged in, closes with 1000 on logout, and releases everything
//! (a socket still connecting included) when it is dropped.

use yew::prelude::*;
use yewdux::use_store;

use crate::config::{self, realtime_config};
use crate::hooks::WsContext;
use crate::realtime::StatusView;
use crate::store::session::{Session, SessionAction};
use crate::ws::WsService;

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

#[function_component]
pub fn WebSocketProvider(props: &WebSocketProviderProps) -> Html {
    let (session, dispatch) = use_store::<Session>();
    let status = use_state(|| WsContext::default().status);
    let service = {
        let set_status = status.setter();
        let dispatch = dispatch.clone();
        use_memo((), move |_| {
            let on_auth_lost = dispatch.apply_callback(|_: ()| SessionAction::Expired);
            WsService::new(
                page_ws_url(),
                realtime_config(),
                dispatch.clone(),
                Callback::from(move |s: StatusView| set_status.set(s)),
                on_auth_lost,
            )
        })
    };
    {
        let service = (*service).clone();
        let lifetime = session.lifetime_ms;
        use_effect_with(session.token.is_some(), move |signed_in| match signed_in {
            true => service.start(lifetime),
            false => service.logout(),
        });
    }
    let ctx = WsContext {
        status: (*status).clone(),
        service: Some((*service).clone()),
    };
    html! {
        <ContextProvider<WsContext> context={ctx}>
            { props.children.clone() }
        </ContextProvider<WsContext>>
    }
}
