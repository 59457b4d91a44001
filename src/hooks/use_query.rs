//! `use_query`: a list from the REST API through the query store, kept fresh by server
//! pushes. The [`QueryClient`] (shared as a context) is the query side of the app's one
//! executor ([`crate::ws::Executor`]): the client's scheduler decides when a key is fetched
//! (one fetch at a time per key, shared by every component showing it), the executor fetches.
//! Mutations go through it too: they carry an `X-Request-Id` so the events they cause are
//! known as this tab's own.

use std::rc::Rc;

use ppt_protocol::QueryKey;
use ppt_protocol::RawJson;
use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::prelude::*;
use yewdux::{use_selector, Dispatch};

use crate::api::{self, ApiError, Method};
use crate::store::lists::ListQuery;
use crate::store::queries::{FetchState, Queries, QueriesAction, QueryData, QueryValue};
use crate::store::session::Session;
use crate::ws::{Executor, Source};
use ppt_realtime::client::QueryInput;
use ppt_realtime::invalidation::Invalidation;

/// The app's query client. Cheap to clone.
#[derive(Clone, PartialEq)]
pub struct QueryClient {
    executor: Executor,
    queries: Dispatch<Queries>,
    session: Dispatch<Session>,
}

impl QueryClient {
    pub fn new(executor: Executor) -> Self {
        QueryClient {
            queries: Dispatch::new(executor.context()),
            session: Dispatch::new(executor.context()),
            executor,
        }
    }

    /// The executor it is the query side of.
    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    /// A component shows `list`.
    pub fn mount<T: QueryValue>(&self, list: &ListQuery<T>) {
        self.executor.mount(
            list.key(),
            Source::of::<T>(list.path(), list.pages),
            list.stale_time_ms,
        );
    }

    /// Starts fetching `list` (unless it is fresh or on its way) with nobody showing it
    /// yet: a page about to be shown gets its data while the app boots.
    pub fn prefetch<T: QueryValue>(&self, list: &ListQuery<T>) {
        self.mount(list);
        self.unmount(&list.key());
    }

    pub fn unmount(&self, key: &QueryKey) {
        self.executor.query(QueryInput::Unmounted(key.clone()));
    }

    /// A key's data cannot be trusted: it stays shown until the next fetch replaces it, and
    /// the scheduler forgets what it reflects.
    pub fn distrust(&self, key: &QueryKey) {
        self.executor.query(QueryInput::Distrust(key.clone()));
    }

    /// "Load older": a paged list wants one page more; it is fetched again with it (every
    /// page, as a refetch after a change does, so the pages never disagree).
    pub fn load_older(&self, key: &QueryKey) {
        let held = self
            .queries
            .get()
            .get(key)
            .and_then(|e| e.data.as_ref().map(QueryData::len))
            .unwrap_or(0);
        if self.executor.want_older(key, held) {
            self.invalidate(Invalidation::own(key.clone()));
        }
    }

    /// Writes `list`'s data in place, as TanStack Query's `setQueryData` does: `update` gets
    /// what is held (if anything) and returns what to show. A fetch on its way, which predates
    /// the write, is followed by another. The [`Snapshot`] puts back what was there: an
    /// optimistic update rolled back when its request fails.
    pub fn set_query_data<T: QueryValue + Clone>(
        &self,
        list: &ListQuery<T>,
        update: impl FnOnce(Option<&T>) -> T,
    ) -> Snapshot {
        let key = list.key();
        let previous = self.queries.get().get(&key).and_then(|e| e.data.clone());
        let held = previous.as_ref().and_then(T::unwrap);
        let data = update(held.as_deref()).wrap();
        self.written(&key);
        self.queries.apply(QueriesAction::Set {
            key: key.clone(),
            data: Some(data),
        });
        Snapshot { key, previous }
    }

    /// Puts back what a [`QueryClient::set_query_data`] replaced.
    pub fn restore(&self, snapshot: Snapshot) {
        self.queries.apply(QueriesAction::Set {
            key: snapshot.key,
            data: snapshot.previous,
        });
    }

    /// "Try again" after the retries gave up: fetches `key` now.
    pub fn retry(&self, key: &QueryKey) {
        self.invalidate(Invalidation::own(key.clone()));
    }

    /// `key`'s data was written in place: a fetch on its way would undo that, so another
    /// follows it.
    pub fn written(&self, key: &QueryKey) {
        self.executor.query(QueryInput::Written(key.clone()));
    }

    /// Whether an event's `requestId` is one of this tab's requests.
    pub fn is_own(&self, request_id: Option<&str>) -> bool {
        self.executor.is_own(request_id)
    }

    /// Marks `inv`'s keys stale: those shown are refetched.
    pub fn invalidate(&self, inv: Invalidation) {
        self.executor.query(QueryInput::Invalidate(inv));
    }

    /// A fresh `X-Request-Id` for a change this tab makes: the events it causes are known
    /// as this tab's own (no "Data updated" for them).
    pub fn new_request_id(&self) -> String {
        self.executor.new_request_id()
    }

    /// Sends a create with its `Idempotency-Key` and a request id from
    /// [`QueryClient::new_request_id`]; invalidates `affects` on success.
    pub async fn create(
        &self,
        path: &str,
        body: &RawJson,
        request_id: &str,
        key: &str,
        affects: Option<QueryKey>,
    ) -> Result<RawJson, ApiError> {
        let token = self.session.get().token.clone();
        let out = api::create(path, token.as_deref(), body, Some(request_id), key, None).await?;
        if let Some(key) = affects {
            self.invalidate(Invalidation::own(key));
        }
        Ok(out)
    }

    /// Sends a change (POST, PATCH, DELETE) as this tab, so the events it causes are known
    /// as mine, and invalidates `affects` on success (`None`: the caller writes the answer
    /// into the cache itself).
    pub async fn mutate<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: &B,
        affects: Option<QueryKey>,
    ) -> Result<T, ApiError> {
        let request_id = self.new_request_id();
        let token = self.session.get().token.clone();
        let out = api::request_with_id(
            method,
            path,
            token.as_deref(),
            Some(body),
            Some(&request_id),
        )
        .await?;
        if let Some(key) = affects {
            self.invalidate(Invalidation::own(key));
        }
        Ok(out)
    }
}

/// What a query held before [`QueryClient::set_query_data`] wrote over it.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    key: QueryKey,
    previous: Option<QueryData>,
}

/// What a component gets from [`use_query`].
#[derive(Debug, Clone, PartialEq)]
pub struct QueryHandle<T> {
    pub data: Option<Rc<T>>,
    pub entry: FetchState,
}

/// Shows `list` for as long as the component is mounted: a list of the app
/// (`use_query(&FAULTS)`) or one made with a parameter
/// (`use_query(&FAULTS.with_part("open", "status=open"))`).
#[hook]
pub fn use_query<T: QueryValue>(list: &ListQuery<T>) -> QueryHandle<T> {
    let client = use_context::<QueryClient>();
    let key = list.key();
    // This key's entry alone: a change to another query does not render this component.
    let entry = {
        let key = key.clone();
        use_selector(move |q: &Queries| q.get(&key).cloned().unwrap_or_default())
    };
    let list = list.clone();
    use_effect_with((client, key), move |(client, key)| {
        if let Some(c) = client {
            c.mount(&list);
        }
        let client = client.clone();
        let key = key.clone();
        move || {
            if let Some(c) = client {
                c.unmount(&key);
            }
        }
    });
    let data = entry.data.as_ref().and_then(T::unwrap);
    let entry = (*entry).clone();
    QueryHandle { data, entry }
}

/// The query client from context.
#[hook]
pub fn use_query_client() -> Option<QueryClient> {
    use_context::<QueryClient>()
}
