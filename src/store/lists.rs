//! The queries the pages show, each named once: its query key, its REST path and its type.
//! A page shows one with `use_query(&lists::FAULTS)`; the app starts fetching the queries of
//! the page it opens on before that page is first rendered ([`crate::app::prefetch`]).

use std::marker::PhantomData;

use ppt_protocol::rest::{Announcement, Document, Fault, Neighbor, UnreadCount, Vote};
use ppt_protocol::QueryKey;

use super::messages::Inbox;
use super::queries::QueryValue;

/// One query of the REST API as the query store holds it.
pub struct ListQuery<T> {
    key: &'static [&'static str],
    /// Path under `/api/v1`.
    pub path: &'static str,
    _value: PhantomData<fn() -> T>,
}

impl<T: QueryValue> ListQuery<T> {
    const fn new(key: &'static [&'static str], path: &'static str) -> Self {
        ListQuery {
            key,
            path,
            _value: PhantomData,
        }
    }

    /// The query key (`["faults"]`); an invalidation of any prefix of it reaches it.
    pub fn key(&self) -> QueryKey {
        QueryKey::new(self.key.iter().copied())
    }
}

pub static ANNOUNCEMENTS: ListQuery<Vec<Announcement>> =
    ListQuery::new(&["announcements"], "/announcements");
pub static FAULTS: ListQuery<Vec<Fault>> = ListQuery::new(&["faults"], "/faults");
pub static VOTES: ListQuery<Vec<Vote>> = ListQuery::new(&["votes"], "/votes");
pub static DOCUMENTS: ListQuery<Vec<Document>> = ListQuery::new(&["documents"], "/documents");
pub static NEIGHBORS: ListQuery<Vec<Neighbor>> = ListQuery::new(&["neighbors"], "/neighbors");
/// My messages (the inbox), newest first.
pub static MESSAGES: ListQuery<Inbox> = ListQuery::new(&["messages"], "/messages");
/// My unread total (the badge): under `["messages"]`, so a message's change reaches it.
pub static UNREAD: ListQuery<UnreadCount> =
    ListQuery::new(&["messages", "unread-count"], "/messages/unread-count");

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
        assert_eq!(MESSAGES.key(), QueryKey::new(["messages"]));
        assert!(MESSAGES.key().is_prefix_of(&UNREAD.key()));
    }
}

/// The list a create at `path` adds to (the outbox invalidates it when the create goes
/// through); `None` for messages, which are written into the inbox in place.
pub fn list_for_create(path: &str) -> Option<QueryKey> {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "announcements" => Some(ANNOUNCEMENTS.key()),
        "faults" => Some(FAULTS.key()),
        "votes" => Some(VOTES.key()),
        _ => None,
    }
}

#[cfg(test)]
mod create_tests {
    use super::*;

    /// Each create's path names the list it adds to; a ballot changes the votes.
    #[test]
    fn creates_name_their_list() {
        assert_eq!(list_for_create("/faults"), Some(FAULTS.key()));
        assert_eq!(list_for_create("/votes/7/ballots"), Some(VOTES.key()));
        assert_eq!(list_for_create("/announcements"), Some(ANNOUNCEMENTS.key()));
        assert_eq!(list_for_create("/messages"), None);
    }
}
