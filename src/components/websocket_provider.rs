//! `WebSocketProvider`: shares the app's real-time executor ([`crate::ws::Executor`]) and
//! the connection as this tab shows it as [`WsContext`], and tells the executor of every
//! change to the session (a sign-in, a renewed token, a sign-out).
//!
//! While someone is signed in, the tabs of the browser share one socket (docs/protocol.md,
//! "Tabs"): the executor's client decides which tab holds it.

use yew::prelude::*;
use yew_router::prelude::*;
use yewdux::{use_dispatch, use_selector, use_store_value};

use crate::hooks::{use_query_client, WsContext};
use crate::store::connection::ConnectionView;
use crate::store::session::Session;

#[derive(Properties, PartialEq)]
pub struct WebSocketProviderProps {
    #[prop_or_default]
    pub children: Html,
}

#[function_component]
pub fn WebSocketProvider(props: &WebSocketProviderProps) -> Html {
    let executor = use_query_client().map(|c| c.executor().clone());
    let view = use_store_value::<ConnectionView>();
    let navigator = use_navigator();
    {
        let executor = executor.clone();
        use_effect_with(navigator, move |navigator| {
            if let (Some(e), Some(n)) = (&executor, navigator.clone()) {
                e.set_open(Callback::from(move |link: String| {
                    n.push(&crate::route::Route::from_link(&link));
                }));
            }
        });
    }
    // Who is signed in, with which token (a renewed token is news: the other tabs get it).
    let signed_in = use_selector(|s: &Session| {
        s.user
            .as_ref()
            .zip(s.token.as_ref())
            .map(|(u, t)| (u.id.clone(), t.clone()))
    });
    let session = use_dispatch::<Session>();
    {
        let executor = executor.clone();
        use_effect_with((*signed_in).clone(), move |_| {
            if let Some(e) = &executor {
                e.session_changed(&session.get());
            }
        });
    }
    let ctx = WsContext {
        status: view.status.clone(),
        leadership: view.leadership,
        events: executor.as_ref().map(|e| e.events()).unwrap_or_default(),
        executor,
    };
    html! {
        <ContextProvider<WsContext> context={ctx}>
            { props.children.clone() }
        </ContextProvider<WsContext>>
    }
}
