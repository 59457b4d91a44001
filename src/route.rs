//! Every page of the app and its address: the one place that knows them (pages, the header,
//! toasts and the live-event hook link to pages through it; nothing here imports them).

use yew_router::prelude::*;

/// Every page of the app.
#[derive(Debug, Clone, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Dashboard,
    #[at("/login")]
    Login,
    #[at("/messages")]
    Messages,
    #[at("/announcements")]
    Announcements,
    #[at("/faults")]
    Faults,
    #[at("/faults/:id")]
    Fault { id: String },
    #[at("/votes")]
    Votes,
    #[at("/documents")]
    Documents,
    #[at("/neighbors")]
    Neighbors,
    #[at("/settings")]
    Settings,
    #[not_found]
    #[at("/404")]
    NotFound,
}

impl Route {
    /// The page a notification's `link` points at (the dashboard when unknown).
    pub fn from_link(link: &str) -> Route {
        Route::recognize(link)
            .filter(|r| *r != Route::NotFound)
            .unwrap_or(Route::Dashboard)
    }
}
