//! Providers and the page for the address: yew-router's `BrowserRouter` and a `Switch` over
//! [`Route`].

use yew::prelude::*;
use yew_router::prelude::*;
use yewdux::use_selector;

use crate::route::Route;

use crate::components::header::Header;
use crate::components::pages::{
    not_found_page, AnnouncementsPage, Dashboard, DocumentsPage, FaultsPage, LoginPage,
    MessagesPage, NeighborsPage, SettingsPage, VotesPage,
};
use crate::components::toast::ToastHost;
use crate::components::websocket_provider::WebSocketProvider;
use crate::hooks::{use_live_events, QueryClient};
use crate::store::lists;
use crate::store::session::Session;

/// Listens to server frames for the whole app (renders nothing).
#[function_component]
fn LiveEvents() -> Html {
    use_live_events();
    html! {}
}

/// Starts fetching the lists `route`'s page shows, before it is first rendered: their data
/// travels while the app boots, lays out and connects (a route loader, as TanStack Router
/// and Remix have). Pages mount the same queries and share the fetch in flight.
pub fn prefetch(route: &Route, client: &QueryClient) {
    // The header's unread badge is on every page.
    client.prefetch(&lists::UNREAD);
    match route {
        Route::Dashboard | Route::Announcements => client.prefetch(&lists::ANNOUNCEMENTS),
        Route::Faults | Route::Fault { .. } => client.prefetch(&lists::FAULTS),
        Route::Votes => client.prefetch(&lists::VOTES),
        Route::Documents => client.prefetch(&lists::DOCUMENTS),
        Route::Neighbors => client.prefetch(&lists::NEIGHBORS),
        Route::Messages => {
            client.prefetch(&lists::MESSAGES);
            client.prefetch(&lists::NEIGHBORS);
        }
        Route::Settings | Route::Login | Route::NotFound => {}
    }
}

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The query client, made before the first render so the first page's lists can be
    /// prefetched (`main` does).
    pub client: QueryClient,
}

/// The root component.
#[function_component]
pub fn App(props: &AppProps) -> Html {
    let client = &props.client;
    html! {
        <BrowserRouter>
            <ContextProvider<QueryClient> context={client.clone()}>
                <WebSocketProvider>
                    <LiveEvents />
                    <Switch<Route> render={page} />
                    <ToastHost />
                </WebSocketProvider>
            </ContextProvider<QueryClient>>
        </BrowserRouter>
    }
}

/// The page for `route` (the `Switch` renders it again when the address changes).
fn page(route: Route) -> Html {
    match route {
        Route::Login => html! { <LoginPage /> },
        other => html! { <Authenticated route={other} /> },
    }
}

#[derive(Properties, PartialEq)]
pub struct ReplaceProps {
    pub to: Route,
}

/// Goes to `to` once rendered, in place of the current entry of the history (a redirect:
/// Back does not return to the page that redirected, which would only redirect again).
#[function_component]
pub fn Replace(props: &ReplaceProps) -> Html {
    let navigator = use_navigator();
    let to = props.to.clone();
    use_effect_with((), move |_| {
        if let Some(n) = navigator {
            n.replace(&to);
        }
    });
    html! {}
}

#[derive(Properties, PartialEq)]
struct AuthenticatedProps {
    route: Route,
}

/// Pages behind the login: the header and the page, or a redirect to the login page.
#[function_component]
fn Authenticated(props: &AuthenticatedProps) -> Html {
    // Only what decides between the three views below: a renewed token renders nothing.
    let (restoring, logged_in) = *use_selector(|s: &Session| (s.restoring, s.is_logged_in()));
    if restoring {
        // The header is there from the first frame, so nothing moves down when the page
        // arrives (a layout shift on every load, as Lighthouse counts them).
        return html! {
            <>
                <Header />
                <main class="page restoring" data-testid="session-restoring" aria-busy="true">
                    <p class="muted">{ "Signing you in…" }</p>
                </main>
            </>
        };
    }
    if !logged_in {
        return html! { <Replace to={Route::Login} /> };
    }
    let page = match &props.route {
        Route::Dashboard => html! { <Dashboard /> },
        Route::Messages => html! { <MessagesPage /> },
        Route::Announcements => html! { <AnnouncementsPage /> },
        Route::Faults => html! { <FaultsPage /> },
        Route::Fault { id } => html! { <FaultsPage focus={Some(AttrValue::from(id.clone()))} /> },
        Route::Votes => html! { <VotesPage /> },
        Route::Documents => html! { <DocumentsPage /> },
        Route::Neighbors => html! { <NeighborsPage /> },
        Route::Settings => html! { <SettingsPage /> },
        Route::Login | Route::NotFound => not_found_page(),
    };
    html! {
        <>
            <Header />
            <main class="page">{ page }</main>
        </>
    }
}
