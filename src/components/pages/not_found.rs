//! The page for an address the app does not have.

use crate::route::Route;
use yew::prelude::*;
use yew_router::prelude::*;

/// "Page not found", with the way back to the dashboard. A plain function, not a component:
/// it has no state, and each component costs ~1.4 KB of Yew's machinery in the wasm.
pub fn not_found_page() -> Html {
    html! {
        <section class="card" data-testid="not-found">
            <h1>{ "Page not found" }</h1>
            <p class="muted">{ "There is nothing at this address." }</p>
            <Link<Route> to={Route::Dashboard}>{ "Back to the dashboard" }</Link<Route>>
        </section>
    }
}
