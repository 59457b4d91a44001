//! The page for an address the app does not have.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::route::Route;

/// "Page not found", with the way back to the dashboard.
#[function_component]
pub fn NotFoundPage() -> Html {
    html! {
        <section class="card" data-testid="not-found">
            <h1>{ "Page not found" }</h1>
            <p class="muted">{ "There is nothing at this address." }</p>
            <Link<Route> to={Route::Dashboard}>{ "Back to the dashboard" }</Link<Route>>
        </section>
    }
}
