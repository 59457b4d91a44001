//! The queries the pages show, each made from its resource ([`ppt_protocol::resources`]:
//! query key, REST path, paging) and its type. A page shows one with
//! `use_query(&lists::FAULTS)`; the app starts fetching the queries of the page it opens on
//! before that page is first rendered ([`crate::app::prefetch`]).

use std::borrow::Cow;
use std::marker::PhantomData;

use ppt_protocol::resources::{self, Resource};
use ppt_protocol::rest::{Announcement, Document, Fault, Neighbor, UnreadCount, Vote};
use ppt_protocol::QueryKey;

use super::messages::Inbox;
use super::queries::QueryValue;

/// One query of the REST API as the query store holds it.
pub struct ListQuery<T> {
    key: Key,
    /// Path under `/api/v1` (with its query string, for a filtered list).
    path: Cow<'static, str>,
    /// A list the server hands out in pages (`limit`, `before`), newest first.
    pub pages: Option<Pages>,
    /// How long its data counts as fresh for a newly shown page (TanStack Query's
    /// `staleTime`); `None`: until an event or a change of mine makes it stale.
    pub stale_time_ms: Option<u64>,
    _value: PhantomData<fn() -> T>,
}

/// How a list is paged: the server's page without `limit`, and the most one request asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pages {
    pub first: usize,
    pub max: usize,
}

/// The lists' pages (docs/protocol.md, "Limits": `limit` 50 by default, at most 200).
const LIST_PAGES: Pages = Pages {
    first: 50,
    max: 200,
};

impl Pages {
    /// The first request for `wanted` items, and how many it asks for: the plain path (as the
    /// boot script prefetches it) when the first page is all that is wanted.
    pub fn first(self, path: &str, wanted: usize) -> (String, usize) {
        if wanted <= self.first {
            (path.to_owned(), self.first)
        } else {
            let n = wanted.min(self.max);
            (format!("{path}{}limit={n}", params_after(path)), n)
        }
    }

    /// After a page that brought `len` of the `asked` items (`held` read in all, the oldest
    /// with id `oldest`): the request for the next page and how many it asks for, or `None`
    /// when that was the end of the list or all that is wanted.
    pub fn next(
        self,
        path: &str,
        wanted: usize,
        held: usize,
        (asked, len): (usize, usize),
        oldest: Option<&str>,
    ) -> Option<(String, usize)> {
        if len < asked || held >= wanted {
            return None;
        }
        let n = (wanted - held).min(self.max);
        Some((
            format!("{path}{}limit={n}&before={}", params_after(path), oldest?),
            n,
        ))
    }
}

/// What joins more parameters to `path`: `?`, or `&` after its own query string.
fn params_after(path: &str) -> char {
    if path.contains('?') {
        '&'
    } else {
        '?'
    }
}

impl<T> Clone for ListQuery<T> {
    fn clone(&self) -> Self {
        ListQuery {
            key: self.key.clone(),
            path: self.path.clone(),
            pages: self.pages,
            stale_time_ms: self.stale_time_ms,
            _value: PhantomData,
        }
    }
}

impl<T> PartialEq for ListQuery<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key() && self.path == other.path
    }
}

impl<T> ListQuery<T> {
    /// The query key (`["faults"]`); an invalidation of any prefix of it reaches it.
    pub fn key(&self) -> QueryKey {
        match &self.key {
            Key::Resource(name) => QueryKey::new([*name]),
            Key::Parts(parts) => QueryKey::new(parts.iter().copied()),
            Key::Owned(key) => key.clone(),
        }
    }

    /// Its path under `/api/v1`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The same list with a parameter: a filter (`FAULTS.with_part("open", "status=open")`,
    /// key `["faults", "open"]`, path `/faults?status=open`), each its own query under the
    /// list's key, so whatever invalidates the list reaches it too (TanStack Query's
    /// `["todos", { status }]`).
    pub fn with_part(&self, part: &str, params: &str) -> ListQuery<T> {
        let mut key = self.key();
        key.0.push(part.to_owned());
        ListQuery {
            key: Key::Owned(key),
            path: Cow::Owned(format!("{}{}{params}", self.path, params_after(&self.path))),
            pages: self.pages,
            stale_time_ms: self.stale_time_ms,
            _value: PhantomData,
        }
    }

    /// The same list, its data fresh for `ms` after a fetch (TanStack Query's `staleTime`):
    /// a page shown later than that refetches it.
    pub const fn stale_after(mut self, ms: u64) -> Self {
        self.stale_time_ms = Some(ms);
        self
    }
}

impl<T: QueryValue> ListQuery<T> {
    /// A resource's list, in the server's pages when it is paged.
    const fn list<I>(resource: &'static Resource<I>) -> ListQuery<T>
    where
        T: ListOf<I>,
    {
        let pages = if resource.info.paged {
            Some(LIST_PAGES)
        } else {
            None
        };
        Self::of(resource, pages)
    }

    /// A resource's list in pages of its own sizes.
    const fn paged<I>(resource: &'static Resource<I>, pages: Pages) -> ListQuery<T> {
        Self::of(resource, Some(pages))
    }

    const fn of<I>(resource: &'static Resource<I>, pages: Option<Pages>) -> ListQuery<T> {
        ListQuery {
            key: Key::Resource(resource.info.name),
            path: Cow::Borrowed(resource.info.path),
            pages,
            stale_time_ms: None,
            _value: PhantomData,
        }
    }

    /// A query that is one answer under a resource (`["messages", "unread-count"]`).
    const fn single(key: &'static [&'static str], path: &'static str) -> Self {
        ListQuery {
            key: Key::Parts(key),
            path: Cow::Borrowed(path),
            pages: None,
            stale_time_ms: None,
            _value: PhantomData,
        }
    }
}

/// A query's key: its resource's, parts of its own, or one made with a parameter.
#[derive(Clone)]
enum Key {
    Resource(&'static str),
    Parts(&'static [&'static str]),
    Owned(QueryKey),
}

/// `Vec<Fault>` is a list of the faults' items: a list query of a resource must hold its
/// item type (a `ListQuery<Vec<Vote>>` of the faults does not compile).
pub trait ListOf<I> {}
impl<I> ListOf<I> for Vec<I> {}

pub static ANNOUNCEMENTS: ListQuery<Vec<Announcement>> = ListQuery::list(&resources::ANNOUNCEMENTS);
pub static FAULTS: ListQuery<Vec<Fault>> = ListQuery::list(&resources::FAULTS);
pub static VOTES: ListQuery<Vec<Vote>> = ListQuery::list(&resources::VOTES);
pub static DOCUMENTS: ListQuery<Vec<Document>> = ListQuery::list(&resources::DOCUMENTS);
/// Everyone in my building: one answer, not paged.
pub static NEIGHBORS: ListQuery<Vec<Neighbor>> = ListQuery::list(&resources::NEIGHBORS);
/// My messages (the inbox), newest first: 500 a page.
pub static MESSAGES: ListQuery<Inbox> = ListQuery::paged(
    &resources::MESSAGES,
    Pages {
        first: 500,
        max: 500,
    },
);
/// My unread total (the badge): under `["messages"]`, so a message's change reaches it.
pub static UNREAD: ListQuery<UnreadCount> =
    ListQuery::single(&["messages", "unread-count"], "/messages/unread-count");

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages are walked until the wanted count or the list's end; the first page alone is
    /// the plain path.
    #[test]
    fn pages_are_walked_as_asked() {
        let p = LIST_PAGES;
        assert_eq!(p.first("/faults", 50), ("/faults".into(), 50));
        assert_eq!(p.first("/faults", 120), ("/faults?limit=120".into(), 120));
        assert_eq!(p.first("/faults", 450), ("/faults?limit=200".into(), 200));
        // 450 wanted: 200, 200, then 50 more.
        assert_eq!(
            p.next("/faults", 450, 200, (200, 200), Some("801")),
            Some(("/faults?limit=200&before=801".into(), 200))
        );
        assert_eq!(
            p.next("/faults", 450, 400, (200, 200), Some("601")),
            Some(("/faults?limit=50&before=601".into(), 50))
        );
        assert_eq!(p.next("/faults", 450, 450, (50, 50), Some("551")), None);
        // A short page is the end of the list.
        assert_eq!(p.next("/faults", 450, 230, (200, 30), Some("1")), None);
        assert_eq!(p.next("/faults", 50, 50, (50, 50), Some("9")), None);
    }

    /// A filtered list is its own query under the list's key, its filter in the path, and
    /// its pages keep the filter; a stale time is kept too.
    #[test]
    fn a_parameter_makes_a_query_under_the_list() {
        let open = FAULTS.with_part("open", "status=open");
        assert_eq!(open.key(), QueryKey::new(["faults", "open"]));
        assert!(FAULTS.key().is_prefix_of(&open.key()));
        assert_eq!(open.path(), "/faults?status=open");
        assert!(open != FAULTS.clone());
        let pages = open.pages.unwrap();
        assert_eq!(
            pages.first(open.path(), 120),
            ("/faults?status=open&limit=120".into(), 120)
        );
        assert_eq!(
            pages.next(open.path(), 450, 200, (200, 200), Some("9")),
            Some(("/faults?status=open&limit=200&before=9".into(), 200))
        );
        let slow = VOTES.clone().stale_after(60_000);
        assert_eq!(slow.stale_time_ms, Some(60_000));
        assert_eq!(slow.with_part("mine", "mine=1").stale_time_ms, Some(60_000));
        assert_eq!(VOTES.stale_time_ms, None);
    }

    /// Keys are what the server's `entity:*` events name (the contract's `queryKey`).
    #[test]
    fn keys_and_paths_match_the_contract() {
        assert_eq!(FAULTS.key(), QueryKey::new(["faults"]));
        assert_eq!(ANNOUNCEMENTS.key(), QueryKey::new(["announcements"]));
        assert_eq!(VOTES.path(), "/votes");
        assert_eq!(NEIGHBORS.key(), QueryKey::new(["neighbors"]));
        assert_eq!(DOCUMENTS.path(), "/documents");
        assert_eq!(MESSAGES.key(), QueryKey::new(["messages"]));
        assert!(MESSAGES.key().is_prefix_of(&UNREAD.key()));
    }
}
