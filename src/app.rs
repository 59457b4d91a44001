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
use crate::hooks::QueryClient;
use crate::store::lists::{self, ListQuery};
use crate::store::queries::QueryValue;
use crate::store::session::Session;

/// What can start fetching a list: the query client, or a test that notes which.
pub trait Prefetch {
    fn prefetch<T: QueryValue>(&self, list: &'static ListQuery<T>);
}

impl Prefetch for QueryClient {
    fn prefetch<T: QueryValue>(&self, list: &'static ListQuery<T>) {
        QueryClient::prefetch(self, list)
    }
}

/// Starts fetching the lists `route`'s page shows, before it is first rendered: their data
/// travels while the app boots, lays out and connects (a route loader, as TanStack Router
/// and Remix have). Pages mount the same queries and share the fetch in flight. The page's
/// boot script (`static/boot.js`) asks for the same lists while the wasm downloads, and these
/// fetches take its answers.
pub fn prefetch(route: &Route, client: &impl Prefetch) {
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;

    /// Notes the path of every list asked for.
    #[derive(Default)]
    struct Paths(RefCell<Vec<String>>);

    impl Prefetch for Paths {
        fn prefetch<T: QueryValue>(&self, list: &'static ListQuery<T>) {
            self.0.borrow_mut().push(list.path().to_owned());
        }
    }

    /// The page's boot script asks, for every page, for the lists the app prefetches for it
    /// (its table, keyed by the address's first segment, "*" for every page).
    #[test]
    fn the_boot_script_asks_for_the_lists_the_app_prefetches() {
        let script = include_str!("../static/boot.js");
        let table = script
            .split_once("var LISTS = ")
            .and_then(|(_, rest)| rest.split_once(";\n"))
            .map(|(json, _)| json)
            .expect("boot.js has its LISTS table");
        let table: BTreeMap<String, Vec<String>> = serde_json::from_str(table).unwrap();
        for route in crate::route::every_page() {
            let paths = Paths::default();
            prefetch(&route, &paths);
            let mut app = paths.0.into_inner();
            let path = route.to_path();
            let page = path.split('/').nth(1).unwrap_or("");
            let mut boot: Vec<String> = table["*"].clone();
            boot.extend(table.get(page).into_iter().flatten().cloned());
            app.sort_unstable();
            boot.sort_unstable();
            assert_eq!(app, boot, "{path}");
        }
    }
}
