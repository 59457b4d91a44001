//! The lists the pages show, each named once: its query key, its REST path and its type.
//! A page shows one with `use_query(&lists::FAULTS)`; the app starts fetching the lists of
//! the page it opens on before that page is first rendered ([`crate::app::prefetch`]).

use std::marker::PhantomData;

use ppt_protocol::rest::{Announcement, Document, Fault, Neighbor, Vote};
use ppt_protocol::QueryKey;

use super::queries::QueryValue;

/// One list of the REST API as the query store holds it.
pub struct ListQuery<T> {
    name: &'static str,
    /// Path under `/api/v1`.
    pub path: &'static str,
    _value: PhantomData<fn() -> T>,
}

impl<T: QueryValue> ListQuery<T> {
    const fn new(name: &'static str, path: &'static str) -> Self {
        ListQuery {
            name,
            path,
            _value: PhantomData,
        }
    }

    /// The list's query key (`["faults"]`); every key it prefixes is part of it.
    pub fn key(&self) -> QueryKey {
        QueryKey::new([self.name])
    }
}

pub static ANNOUNCEMENTS: ListQuery<Vec<Announcement>> =
    ListQuery::new("announcements", "/announcements");
pub static FAULTS: ListQuery<Vec<Fault>> = ListQuery::new("faults", "/faults");
pub static VOTES: ListQuery<Vec<Vote>> = ListQuery::new("votes", "/votes");
pub static DOCUMENTS: ListQuery<Vec<Document>> = ListQuery::new("documents", "/documents");
pub static NEIGHBORS: ListQuery<Vec<Neighbor>> = ListQuery::new("neighbors", "/neighbors");

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys are what the server's `entity:*` events name (the contract's `queryKey`).
    #[test]
    fn keys_and_paths_match_the_contract() {
        assert_eq!(FAULTS.key(), QueryKey::new(["faults"]));
        assert_eq!(ANNOUNCEMENTS.key(), QueryKey::new(["announcements"]));
        assert_eq!(VOTES.path, "/votes");
        assert_eq!(NEIGHBORS.key(), QueryKey::new(["neighbors"]));
        assert_eq!(DOCUMENTS.path, "/documents");
    }
}
