//! The header: app name, navigation, the connection status, the user's name and logout.
//!
//! Mobile first: on a narrow screen the brand, the Messages link with its unread badge, the
//! connection status and a menu button (`nav-menu`) stay in view; the other pages, the
//! user's name, Settings and Log out open under the menu button. From 760 px up everything
//! shows in one row and the button is hidden (CSS alone decides).

use yew::prelude::*;

use crate::components::connection_status::ConnectionStatus;
use crate::components::unread_badge::unread_badge;
use crate::hooks::use_query;
use crate::route::Route;
use crate::router::{link, navigate, use_route};
use crate::store::dispatch::use_store;
use crate::store::lists::UNREAD;
use crate::store::session::{Session, SessionAction};

/// The app's header: name, navigation, connection status, unread badge, user and logout.
#[function_component]
pub fn Header() -> Html {
    let (session, dispatch) = use_store::<Session>();
    let unread = use_query(&UNREAD).data.map_or(0, |c| c.count);
    let menu_open = use_state(|| false);
    {
        // Going to a page closes the menu.
        let menu_open = menu_open.clone();
        let route = use_route();
        use_effect_with(route, move |_| menu_open.set(false));
    }
    let toggle_menu = {
        let menu_open = menu_open.clone();
        Callback::from(move |_: MouseEvent| menu_open.set(!*menu_open))
    };
    let logout = {
        let dispatch = dispatch.clone();
        Callback::from(move |_| {
            // The server ends the session everywhere (this browser's other tabs, its
            // sockets); the app forgets it at once either way.
            let token = dispatch.get().token.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = crate::api::logout(token.as_deref()).await;
            });
            dispatch.apply(SessionAction::LoggedOut);
            navigate(Route::Login);
        })
    };
    let name = session
        .user
        .as_ref()
        .map(|u| u.name.clone())
        .unwrap_or_default();
    html! {
        <header class={classes!("app-header", menu_open.then_some("menu-open"))}>
            { link(Route::Dashboard, classes!("brand"), html! { <>{ "ppt" }<span>{ "web" }</span></> }) }
            { link(Route::Messages, classes!("nav-messages"), html! { <>{ "Messages" }{ unread_badge(unread) }</> }) }
            <div class="header-menu" id="header-menu">
                <nav class="app-nav" aria-label="Main">
                    { link(Route::Announcements, classes!(), html! { "Announcements" }) }
                    { link(Route::Faults, classes!(), html! { "Faults" }) }
                    { link(Route::Votes, classes!(), html! { "Votes" }) }
                    { link(Route::Documents, classes!(), html! { "Documents" }) }
                    { link(Route::Neighbors, classes!(), html! { "Neighbours" }) }
                </nav>
                <div class="header-user">
                    <span class="user-name" data-testid="user-name">{ name }</span>
                    { link(Route::Settings, classes!("settings-link"), html! { "Settings" }) }
                    <button class="link-button" data-testid="logout" onclick={logout}>{ "Log out" }</button>
                </div>
            </div>
            <ConnectionStatus />
            <button class="nav-menu" data-testid="nav-menu" aria-controls="header-menu"
                aria-expanded={menu_open.to_string()} aria-label="Menu" onclick={toggle_menu}>
                <span class="nav-menu-bars" aria-hidden="true"></span>
            </button>
        </header>
    }
}
