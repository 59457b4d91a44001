//! The dashboard: a greeting and the way to every page.

use yew::prelude::*;
use yew_router::prelude::*;
use yewdux::use_store_value;

use crate::app::Route;
use crate::store::session::Session;

/// The page after login.
#[function_component]
pub fn Dashboard() -> Html {
    let session = use_store_value::<Session>();
    let first_name = session
        .user
        .as_ref()
        .and_then(|u| u.name.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    let tiles = [
        (Route::Messages, "Messages", "Talk with your neighbours"),
        (
            Route::Announcements,
            "Announcements",
            "News from the management",
        ),
        (Route::Faults, "Faults", "Report and follow repairs"),
        (Route::Votes, "Votes", "Decide together"),
        (Route::Documents, "Documents", "House rules and reports"),
        (Route::Neighbors, "Neighbours", "Who lives here"),
    ];
    html! {
        <section data-testid="dashboard">
            <h1>{ format!("Hello, {first_name}") }</h1>
            <p class="muted">{ "Sunny Court 12" }</p>
            <div class="tiles">
                { for tiles.into_iter().map(|(route, title, text)| html! {
                    <Link<Route> to={route} classes="tile">
                        <strong>{ title }</strong>
                        <span class="muted">{ text }</span>
                    </Link<Route>>
                }) }
            </div>
        </section>
    }
}
