//! The header: app name, navigation, the connection status, the user's name and logout.
//!
//! Mobile first: on a narrow screen the brand, the Messages link with its unread badge, the
//! connection status and a menu button (`nav-menu`) stay in view; the other pages, the
//! user's name, Settings and Log out open under the menu button. From 760 px up everything
//! shows in one row and the button is hidden (CSS alone decides).

use yew::prelude::*;
use yew_router::prelude::*;
use yewdux::{use_dispatch, use_selector};

use crate::components::connection_status::ConnectionStatus;
use crate::components::unread_badge::unread_badge;
use crate::hooks::use_query;
use crate::route::{Route, NAVIGATION};
use crate::store::lists::UNREAD;
use crate::store::session::{Session, SessionAction};

/// The app's header: name, navigation, connection status, unread badge, user and logout.
#[function_component]
pub fn Header() -> Html {
    let dispatch = use_dispatch::<Session>();
    let name =
        use_selector(|s: &Session| s.user.as_ref().map(|u| u.name.clone()).unwrap_or_default());
    let unread = use_query(&UNREAD).data.map_or(0, |c| c.count);
    let menu_open = use_state(|| false);
    {
        // Going to a page closes the menu.
        let menu_open = menu_open.clone();
        let route = use_route::<Route>();
        use_effect_with(route, move |_| menu_open.set(false));
    }
    let toggle_menu = {
        let menu_open = menu_open.clone();
        Callback::from(move |_: MouseEvent| menu_open.set(!*menu_open))
    };
    let navigator = use_navigator();
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
            if let Some(n) = &navigator {
                n.push(&Route::Login);
            }
        })
    };
    html! {
        <header class={classes!("app-header", menu_open.then_some("menu-open"))}>
            <Link<Route> to={Route::Dashboard} classes={classes!("brand")}>{ "ppt" }<span>{ "web" }</span></Link<Route>>
            <Link<Route> to={Route::Messages} classes={classes!("nav-messages")}>{ "Messages" }{ unread_badge(unread) }</Link<Route>>
            <div class="header-menu" id="header-menu">
                <nav class="app-nav" aria-label="Main">
                    { for NAVIGATION.iter().map(|(route, resource)| html! {
                        <Link<Route> to={route.clone()}>{ resource.label }</Link<Route>>
                    }) }
                </nav>
                <div class="header-user">
                    <span class="user-name" data-testid="user-name">{ (*name).clone() }</span>
                    <Link<Route> to={Route::Settings} classes={classes!("settings-link")}>{ "Settings" }</Link<Route>>
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
