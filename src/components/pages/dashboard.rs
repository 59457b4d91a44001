//! The dashboard: a greeting and the way to every page.

use ppt_protocol::resources;
use yew::prelude::*;
use yew_router::prelude::*;
use yewdux::use_selector;

use super::list_card::ListCard;
use crate::hooks::use_query;
use crate::route::{Route, NAVIGATION};
use crate::store::lists::ANNOUNCEMENTS;
use crate::store::session::Session;

/// How many of the newest announcements the dashboard shows.
const LATEST: usize = 3;

/// The page after login.
#[function_component]
pub fn Dashboard() -> Html {
    let q = use_query(&ANNOUNCEMENTS);
    let latest = q.data.clone().unwrap_or_default();
    let first_name = use_selector(|s: &Session| {
        s.user
            .as_ref()
            .and_then(|u| u.name.split_whitespace().next().map(str::to_owned))
            .unwrap_or_default()
    });
    // The signed-in user's own building, as the server names it.
    let building = use_selector(|s: &Session| {
        s.user
            .as_ref()
            .map(|u| u.building_name.clone())
            .unwrap_or_default()
    });
    // Messages, then the header's pages: each tile says what its resource is for.
    let tiles = std::iter::once((Route::Messages, &resources::MESSAGES.info))
        .chain(NAVIGATION.iter().map(|(route, r)| (route.clone(), *r)));
    html! {
        <section data-testid="dashboard">
            <h1>{ format!("Hello, {first_name}") }</h1>
            if !building.is_empty() {
                <p class="muted" data-testid="building-name">{ (*building).clone() }</p>
            }
            <div class="tiles">
                { for tiles.map(|(route, resource)| html! {
                    <Link<Route> to={route} classes={classes!("tile")}>
                        <strong>{ resource.label }</strong>
                        <span class="muted">{ resource.blurb }</span>
                    </Link<Route>>
                }) }
            </div>
            <ListCard title="Latest announcements" query={ANNOUNCEMENTS.key()} entry={q.entry.clone()} empty={latest.is_empty()} older={false}>
                <ul class="item-list" data-testid="dashboard-announcements">
                    { for latest.iter().take(LATEST).map(|a| html! {
                        <li key={a.id.clone()} class="item" data-id={a.id.clone()}>
                            <strong class="item-title">{ a.title.clone() }</strong>
                            <span class="muted small">{ format!("{} · {}", a.author_name, a.created_at.as_str().get(..10).unwrap_or("")) }</span>
                        </li>
                    }) }
                </ul>
            </ListCard>
        </section>
    }
}
