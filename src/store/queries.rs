//! The query store: server data keyed by query keys (`["faults"]`, `["messages",
//! "unread-count"]`), one [`FetchState`] per key: the data, whether a fetch is on its way,
//! the last error, and when someone else's change last altered the data (for the "Data
//! updated" chip). Freshness (stale, in flight, which events the data reflects) is the
//! scheduler's alone ([`ppt_realtime::invalidation`]); this store only holds results.

use std::any::Any;
use std::collections::HashMap;
use std::rc::Rc;

use ppt_protocol::resources::Item;
use ppt_protocol::rest::UnreadCount;
use ppt_protocol::QueryKey;
use yewdux::{Reducer, Store};

use super::messages::{self, Inbox, MessageWrite};
use crate::api::ApiError;

/// Data of one query: a resource's list (any item type, [`AnyList`]), the inbox, or the
/// unread total. A new resource's list needs nothing here.
#[derive(Debug, Clone)]
pub enum QueryData {
    List(Rc<dyn AnyList>),
    Inbox(Rc<Inbox>),
    Unread(Rc<UnreadCount>),
}

/// A list of some resource's items, whatever their type: what the store asks of it.
pub trait AnyList: std::fmt::Debug {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Entity id and version of each item that has one, for the stale-event rule.
    fn versions(&self) -> Vec<(String, u64)>;
    /// Whether `other` is a list of the same type with the same items.
    fn same(&self, other: &dyn AnyList) -> bool;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Rc<Self>) -> Rc<dyn Any>;
}

impl<T: Item> AnyList for Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn versions(&self) -> Vec<(String, u64)> {
        self.iter()
            .filter_map(|i| Some((i.id().to_owned(), i.version()?)))
            .collect()
    }
    fn same(&self, other: &dyn AnyList) -> bool {
        other.as_any().downcast_ref::<Vec<T>>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Rc<Self>) -> Rc<dyn Any> {
        self
    }
}

impl PartialEq for QueryData {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (QueryData::List(a), QueryData::List(b)) => a.same(&**b),
            (QueryData::Inbox(a), QueryData::Inbox(b)) => a == b,
            (QueryData::Unread(a), QueryData::Unread(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for QueryData {}

/// A type that can be held in the query store.
pub trait QueryValue: serde::de::DeserializeOwned + PartialEq + 'static {
    fn wrap(self) -> QueryData;
    fn unwrap(data: &QueryData) -> Option<Rc<Self>>;
}

impl<T: Item + serde::de::DeserializeOwned> QueryValue for Vec<T> {
    fn wrap(self) -> QueryData {
        QueryData::List(Rc::new(self))
    }
    fn unwrap(data: &QueryData) -> Option<Rc<Self>> {
        match data {
            QueryData::List(v) => v.clone().into_any().downcast::<Vec<T>>().ok(),
            _ => None,
        }
    }
}

impl QueryValue for Inbox {
    fn wrap(self) -> QueryData {
        QueryData::Inbox(Rc::new(self))
    }
    fn unwrap(data: &QueryData) -> Option<Rc<Self>> {
        match data {
            QueryData::Inbox(v) => Some(v.clone()),
            _ => None,
        }
    }
}

impl QueryValue for UnreadCount {
    fn wrap(self) -> QueryData {
        QueryData::Unread(Rc::new(self))
    }
    fn unwrap(data: &QueryData) -> Option<Rc<Self>> {
        match data {
            QueryData::Unread(v) => Some(v.clone()),
            _ => None,
        }
    }
}

impl QueryData {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many items it holds (1 for a single answer).
    pub fn len(&self) -> usize {
        match self {
            QueryData::List(v) => v.len(),
            QueryData::Inbox(v) => v.list.len(),
            QueryData::Unread(_) => 1,
        }
    }

    /// Entity versions held, whatever the type.
    pub fn versions(&self) -> Vec<(String, u64)> {
        match self {
            QueryData::List(v) => v.versions(),
            QueryData::Inbox(_) | QueryData::Unread(_) => Vec::new(),
        }
    }
}

/// One query's state, as the view shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchState {
    /// The last data (kept while refetching and after a failed refetch).
    pub data: Option<QueryData>,
    /// A fetch is on its way.
    pub fetching: bool,
    /// The last fetch failed with this.
    pub error: Option<ApiError>,
    /// When a refetch caused by someone else's change last brought different data.
    pub changed_by_others_at: Option<u64>,
    /// The data shown cannot be trusted (the event log was reset): it stays on screen until
    /// the next fetch, which replaces it instead of merging into it.
    pub distrusted: bool,
    /// The list has older items than those held (its last page was full): "load older".
    pub has_older: bool,
    /// The last fetch failed and will be tried again by itself (else, with an error, it has
    /// given up: "Try again").
    pub retrying: bool,
}

/// Every query's entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Store)]
pub struct Queries {
    pub entries: HashMap<QueryKey, FetchState>,
}

impl Queries {
    pub fn get(&self, key: &QueryKey) -> Option<&FetchState> {
        self.entries.get(key)
    }
}

/// What can happen to the queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueriesAction {
    Fetching(QueryKey),
    Fetched {
        key: QueryKey,
        data: QueryData,
        now: u64,
        foreign: bool,
    },
    Failed {
        key: QueryKey,
        error: ApiError,
    },
    /// Live events and my own changes written into cached data in place.
    Write(MessageWrite),
    /// A key's data cannot be trusted, but stays shown until the next fetch replaces it (an
    /// emptied list that fills again a moment later would move the page twice).
    Distrust(QueryKey),
    /// Whether a list has older items than it holds (after a fetch).
    HasOlder(QueryKey, bool),
    /// Whether a failed fetch will be tried again by itself.
    Retrying(QueryKey, bool),
    /// Data written in place by the app (an optimistic update), or put back as it was.
    Set {
        key: QueryKey,
        data: Option<QueryData>,
    },
    /// Logout: forget everything.
    Clear,
}

impl Reducer<Queries> for QueriesAction {
    fn apply(self, mut state: Rc<Queries>) -> Rc<Queries> {
        let s = Rc::make_mut(&mut state);
        match self {
            QueriesAction::Fetching(key) => s.entries.entry(key).or_default().fetching = true,
            QueriesAction::Fetched {
                key,
                mut data,
                now,
                foreign,
            } => {
                let e = s.entries.entry(key).or_default();
                if let (QueryData::Inbox(new), Some(QueryData::Inbox(held)), false) =
                    (&mut data, &e.data, e.distrusted)
                {
                    Rc::make_mut(new).absorb(held);
                }
                e.distrusted = false;
                if foreign && e.data.as_ref().is_some_and(|old| *old != data) {
                    e.changed_by_others_at = Some(now);
                }
                e.data = Some(data);
                e.fetching = false;
                e.error = None;
                e.retrying = false;
            }
            QueriesAction::Failed { key, error } => {
                let e = s.entries.entry(key).or_default();
                e.fetching = false;
                e.error = Some(error);
            }
            QueriesAction::Write(write) => messages::apply(s, write),
            QueriesAction::Distrust(key) => {
                if let Some(e) = s.entries.get_mut(&key) {
                    e.distrusted = true;
                }
            }
            QueriesAction::HasOlder(key, more) => {
                s.entries.entry(key).or_default().has_older = more
            }
            QueriesAction::Retrying(key, on) => s.entries.entry(key).or_default().retrying = on,
            QueriesAction::Set { key, data } => s.entries.entry(key).or_default().data = data,
            QueriesAction::Clear => s.entries.clear(),
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use ppt_protocol::rest::{Document, Fault, FaultStatus};
    use ppt_protocol::Timestamp;
    use yewdux::{Context, Dispatch};

    use super::*;

    fn faults(status: FaultStatus) -> QueryData {
        vec![Fault {
            id: "1".into(),
            title: "t".into(),
            description: "d".into(),
            status,
            reporter_id: "1".into(),
            reporter_name: "A".into(),
            created_at: Timestamp::default(),
            updated_at: Timestamp::default(),
            version: 1,
        }]
        .wrap()
    }

    /// The chip's moment is set only by someone else's change that altered the data.
    #[test]
    fn changed_by_others_only_when_data_differs() {
        let d = Dispatch::<Queries>::new(&Context::new());
        let key = QueryKey::new(["faults"]);
        d.apply(QueriesAction::Fetching(key.clone()));
        assert!(d.get().get(&key).unwrap().fetching);
        d.apply(QueriesAction::Fetched {
            key: key.clone(),
            data: faults(FaultStatus::Open),
            now: 1,
            foreign: true,
        });
        assert_eq!(
            d.get().get(&key).unwrap().changed_by_others_at,
            None,
            "first load is not a change"
        );
        d.apply(QueriesAction::Fetched {
            key: key.clone(),
            data: faults(FaultStatus::Open),
            now: 2,
            foreign: true,
        });
        assert_eq!(
            d.get().get(&key).unwrap().changed_by_others_at,
            None,
            "nothing changed"
        );
        d.apply(QueriesAction::Fetched {
            key: key.clone(),
            data: faults(FaultStatus::Resolved),
            now: 3,
            foreign: false,
        });
        assert_eq!(
            d.get().get(&key).unwrap().changed_by_others_at,
            None,
            "my own change"
        );
        d.apply(QueriesAction::Fetched {
            key: key.clone(),
            data: faults(FaultStatus::Open),
            now: 4,
            foreign: true,
        });
        assert_eq!(d.get().get(&key).unwrap().changed_by_others_at, Some(4));
    }

    /// A failed refetch keeps the last data and reports the error.
    #[test]
    fn failure_keeps_data() {
        let d = Dispatch::<Queries>::new(&Context::new());
        let key = QueryKey::new(["faults"]);
        d.apply(QueriesAction::Fetched {
            key: key.clone(),
            data: faults(FaultStatus::Open),
            now: 1,
            foreign: false,
        });
        d.apply(QueriesAction::Failed {
            key: key.clone(),
            error: ApiError::Network("x".into()),
        });
        let s = d.get();
        let e = s.get(&key).unwrap();
        assert!(e.data.is_some() && e.error.is_some() && !e.fetching);
    }

    /// Typed data goes in and comes out as its own type only.
    #[test]
    fn typed_round_trip() {
        let data = faults(FaultStatus::Open);
        assert!(<Vec<Fault>>::unwrap(&data).is_some());
        assert!(<Vec<Document>>::unwrap(&data).is_none());
        assert_eq!(data.versions(), vec![("1".to_string(), 1)]);
    }

    /// Lists of any item type are held alike: equal only to a list of the same type and
    /// items, versions only where the items have them.
    #[test]
    fn any_resource_list_is_held() {
        let open = faults(FaultStatus::Open);
        let docs = vec![Document {
            id: "1".into(),
            title: "Rules".into(),
            url: "/d/1".into(),
            uploaded_at: Timestamp::default(),
        }]
        .wrap();
        assert_ne!(open, docs);
        assert_eq!(open, open.clone());
        assert_ne!(open, faults(FaultStatus::Resolved));
        assert_eq!(docs.len(), 1);
        assert!(docs.versions().is_empty());
        assert!(<Vec<Document>>::unwrap(&docs).is_some());
        assert_ne!(Vec::<Document>::new().wrap(), Vec::<Fault>::new().wrap());
    }

    /// Data written in place (an optimistic update) shows at once, and the snapshot taken
    /// before it puts back exactly what was there.
    #[test]
    fn written_data_can_be_put_back() {
        let d = Dispatch::<Queries>::new(&Context::new());
        let key = QueryKey::new(["faults"]);
        d.apply(QueriesAction::Fetched {
            key: key.clone(),
            data: faults(FaultStatus::Open),
            now: 1,
            foreign: false,
        });
        let before = d.get().get(&key).and_then(|e| e.data.clone());
        d.apply(QueriesAction::Set {
            key: key.clone(),
            data: Some(faults(FaultStatus::Resolved)),
        });
        assert_eq!(
            d.get().get(&key).and_then(|e| e.data.clone()),
            Some(faults(FaultStatus::Resolved))
        );
        d.apply(QueriesAction::Set {
            key: key.clone(),
            data: before.clone(),
        });
        assert_eq!(d.get().get(&key).and_then(|e| e.data.clone()), before);
    }
}
