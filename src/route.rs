//! Every page of the app and its address: one `#[derive(Routable)]` enum, the one place that
//! knows them (pages, the header, toasts and the live-event hook link to pages through it;
//! nothing here imports them). yew-router's `Switch` shows the page for the address
//! ([`crate::app`]), its `Link` and navigator go to one.

use ppt_protocol::resources::{self, ResourceInfo};
use yew_router::Routable;

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
    /// The page a notification's `link` points at: its path (a query string or fragment is
    /// ignored) read as the router reads an address; the dashboard when the app has no page
    /// there.
    pub fn from_link(link: &str) -> Route {
        let path = link.split(['?', '#']).next().unwrap_or("");
        match Route::recognize(path) {
            None | Some(Route::NotFound) => Route::Dashboard,
            Some(r) => r,
        }
    }
}

/// The pages of the header's navigation, in its order (Messages has its own link, with the
/// unread badge; Settings sits by the user's name).
pub const NAVIGATION: [(Route, &ResourceInfo); 5] = [
    (Route::Announcements, &resources::ANNOUNCEMENTS.info),
    (Route::Faults, &resources::FAULTS.info),
    (Route::Votes, &resources::VOTES.info),
    (Route::Documents, &resources::DOCUMENTS.info),
    (Route::Neighbors, &resources::NEIGHBORS.info),
];

/// One of every page, for tests that go through them all.
#[cfg(test)]
pub(crate) fn every_page() -> [Route; 11] {
    [
        Route::Dashboard,
        Route::Login,
        Route::Messages,
        Route::Announcements,
        Route::Faults,
        Route::Fault { id: "17".into() },
        Route::Votes,
        Route::Documents,
        Route::Neighbors,
        Route::Settings,
        Route::NotFound,
    ]
}

#[cfg(test)]
mod tests {
    use yew_router::Routable;

    use super::{every_page, Route, NAVIGATION};

    /// `every_page` has every page the router knows (a page added to `Route` and not there
    /// would escape the tests that go through them all, the boot script's prefetch among
    /// them).
    #[test]
    fn every_page_is_every_route() {
        for path in Route::routes() {
            let path = path.replace(":id", "17");
            let route = Route::recognize(&path).unwrap();
            assert!(
                every_page().contains(&route),
                "every_page() is missing {route:?} ({path})"
            );
        }
    }

    /// Every page's address reads back as that page.
    #[test]
    fn addresses_round_trip() {
        for route in every_page() {
            assert_eq!(Route::recognize(&route.to_path()), Some(route));
        }
    }

    /// A trailing slash does not change the page; anything else is not found; a link the app
    /// has no page for opens the dashboard.
    #[test]
    fn addresses_are_read_as_the_router_reads_them() {
        assert_eq!(Route::recognize("/faults/"), Some(Route::Faults));
        assert_eq!(Route::recognize("/faults/3/edit"), Some(Route::NotFound));
        assert_eq!(Route::recognize("/nope"), Some(Route::NotFound));
        assert_eq!(Route::from_link("/nope"), Route::Dashboard);
        assert_eq!(Route::from_link("/messages#top"), Route::Messages);
        assert_eq!(Route::from_link("/faults/?x=1"), Route::Faults);
        assert_eq!(
            Route::from_link("/faults/9"),
            Route::Fault { id: "9".into() }
        );
    }

    /// Every resource's page is a page of the app, and so is the page a notification about
    /// one of its items links to (a resource whose page was not added here is named).
    #[test]
    fn every_resource_has_its_page() {
        for r in ppt_protocol::resources::RESOURCES {
            for link in [r.page.to_owned(), r.link("42")] {
                assert!(
                    !matches!(Route::recognize(&link), None | Some(Route::NotFound)),
                    "the app has no page at {link} for the resource {}",
                    r.name
                );
            }
            let page = Route::recognize(r.page);
            assert!(
                page == Some(Route::Messages)
                    || NAVIGATION.iter().any(|(n, _)| Some(n) == page.as_ref()),
                "the header's NAVIGATION has no link to {} ({})",
                r.page,
                r.name
            );
        }
    }
}
