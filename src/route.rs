//! Every page of the app and its address: the one place that knows them (pages, the header,
//! toasts and the live-event hook link to pages through it; nothing here imports them). Pure:
//! an address is read into a page and a page written as an address; [`crate::router`] follows
//! the browser's history with it.

/// Every page of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Dashboard,
    Login,
    Messages,
    Announcements,
    Faults,
    Fault { id: String },
    Votes,
    Documents,
    Neighbors,
    Settings,
    NotFound,
}

impl Route {
    /// The page at `path` (a query string or fragment, and a trailing slash, are ignored);
    /// `NotFound` for any other address.
    pub fn recognize(path: &str) -> Route {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        match path {
            "/" => Route::Dashboard,
            "/login" => Route::Login,
            "/messages" => Route::Messages,
            "/announcements" => Route::Announcements,
            "/faults" => Route::Faults,
            "/votes" => Route::Votes,
            "/documents" => Route::Documents,
            "/neighbors" => Route::Neighbors,
            "/settings" => Route::Settings,
            _ => match path.strip_prefix("/faults/") {
                Some(id) if !id.is_empty() && !id.contains('/') => Route::Fault { id: id.into() },
                _ => Route::NotFound,
            },
        }
    }

    /// The page's address.
    pub fn to_path(&self) -> String {
        match self {
            Route::Dashboard => "/",
            Route::Login => "/login",
            Route::Messages => "/messages",
            Route::Announcements => "/announcements",
            Route::Faults => "/faults",
            Route::Fault { id } => return ["/faults/", id].concat(),
            Route::Votes => "/votes",
            Route::Documents => "/documents",
            Route::Neighbors => "/neighbors",
            Route::Settings => "/settings",
            Route::NotFound => "/404",
        }
        .to_owned()
    }

    /// The page a notification's `link` points at (the dashboard when unknown).
    pub fn from_link(link: &str) -> Route {
        match Route::recognize(link) {
            Route::NotFound => Route::Dashboard,
            r => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Route;

    /// Every page's address reads back as that page.
    #[test]
    fn addresses_round_trip() {
        for route in [
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
        ] {
            assert_eq!(Route::recognize(&route.to_path()), route);
        }
    }

    /// Query strings, fragments and a trailing slash do not change the page; anything else
    /// is not found.
    #[test]
    fn addresses_are_read_leniently_and_strictly() {
        assert_eq!(Route::recognize("/faults/?x=1"), Route::Faults);
        assert_eq!(Route::recognize("/messages#top"), Route::Messages);
        assert_eq!(Route::recognize(""), Route::NotFound);
        assert_eq!(Route::recognize("/faults/"), Route::Faults);
        assert_eq!(Route::recognize("/faults/3/edit"), Route::NotFound);
        assert_eq!(Route::recognize("/nope"), Route::NotFound);
        assert_eq!(Route::from_link("/nope"), Route::Dashboard);
        assert_eq!(
            Route::from_link("/faults/9"),
            Route::Fault { id: "9".into() }
        );
    }
}
