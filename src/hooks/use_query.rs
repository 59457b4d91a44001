//! `use_query`: a list from the REST API through the query store, kept fresh by server
//! pushes. The [`QueryClient`] (shared as a context) is the glue between the pure
//! [`Scheduler`] and the world: it runs fetches, one at a time per key, shared by every
//! component showing that key, and the timer the scheduler asks for. Mutations go through it
//! too: they carry an `X-Request-Id` so the events they cause are known as this tab's own.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use ppt_protocol::QueryKey;
use ppt_protocol::RawJson;
use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::prelude::*;
use yewdux::{use_selector, Dispatch};

use crate::api::{self, ApiError, Method};
use crate::browser::clock::now_ms;
use crate::store::lists::{ListQuery, Pages};
use crate::store::queries::{FetchState, Queries, QueriesAction, QueryData, QueryValue};
use crate::store::session::Session;
use ppt_realtime::invalidation::{Invalidation, QueryCommand, QueryConfig, Scheduler};

type Decoder = fn(&str) -> Result<QueryData, String>;

fn decode<T: QueryValue>(text: &str) -> Result<QueryData, String> {
    serde_json::from_str::<T>(text)
        .map(QueryValue::wrap)
        .map_err(|e| e.to_string())
}

/// Where a query's data comes from: its path, how to read it, and how it is paged.
#[derive(Clone)]
struct Source {
    path: String,
    decoder: Decoder,
    pages: Option<Pages>,
}

struct Inner {
    scheduler: Scheduler,
    sources: HashMap<QueryKey, Source>,
    /// How many items of a paged list are wanted: its first page, more after "load older".
    wanted: HashMap<QueryKey, usize>,
    wake: Option<Timeout>,
    own_requests: VecDeque<String>,
    next_request: u64,
}

/// The app's query client. Cheap to clone.
#[derive(Clone)]
pub struct QueryClient {
    inner: Rc<RefCell<Inner>>,
    queries: Dispatch<Queries>,
    session: Dispatch<Session>,
}

impl PartialEq for QueryClient {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl QueryClient {
    pub fn new(queries: Dispatch<Queries>, session: Dispatch<Session>) -> Self {
        QueryClient {
            inner: Rc::new(RefCell::new(Inner {
                scheduler: Scheduler::new(QueryConfig::default()),
                sources: HashMap::new(),
                wanted: HashMap::new(),
                wake: None,
                own_requests: VecDeque::new(),
                next_request: 0,
            })),
            queries,
            session,
        }
    }

    /// A component shows `list`.
    pub fn mount<T: QueryValue>(&self, list: &ListQuery<T>) {
        let key = list.key();
        let cmds = {
            let mut inner = self.inner.borrow_mut();
            inner.sources.insert(
                key.clone(),
                Source {
                    path: list.path().to_owned(),
                    decoder: decode::<T> as Decoder,
                    pages: list.pages,
                },
            );
            inner.scheduler.set_stale_time(&key, list.stale_time_ms);
            inner.scheduler.mounted(&key, now_ms())
        };
        self.run(cmds);
    }

    /// Starts fetching `list` (unless it is fresh or on its way) with nobody showing it
    /// yet: a page about to be shown gets its data while the app boots.
    pub fn prefetch<T: QueryValue>(&self, list: &ListQuery<T>) {
        self.mount(list);
        self.unmount(&list.key());
    }

    pub fn unmount(&self, key: &QueryKey) {
        self.inner.borrow_mut().scheduler.unmounted(key);
    }

    /// A key's data cannot be trusted (the event log was reset): it stays shown until the
    /// next fetch replaces it, and the scheduler forgets what it reflects.
    pub fn distrust(&self, key: &QueryKey) {
        self.inner.borrow_mut().scheduler.forget(key);
        self.queries.apply(QueriesAction::Distrust(key.clone()));
    }

    /// "Load older": a paged list wants one page more; it is fetched again with it (every
    /// page, as a refetch after a change does, so the pages never disagree).
    pub fn load_older(&self, key: &QueryKey) {
        {
            let mut inner = self.inner.borrow_mut();
            let Some(pages) = inner.sources.get(key).and_then(|s| s.pages) else {
                return;
            };
            let held = self
                .queries
                .get()
                .get(key)
                .and_then(|e| e.data.as_ref().map(QueryData::len))
                .unwrap_or(0);
            let wanted = inner.wanted.entry(key.clone()).or_insert(pages.first);
            *wanted = (*wanted).max(held) + pages.first.min(pages.max);
        }
        self.invalidate(Invalidation::own(key.clone()));
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
        self.inner.borrow_mut().scheduler.written(&key);
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

    /// Logout: drops every key's data and this tab's request ids.
    pub fn clear(&self) {
        {
            let mut inner = self.inner.borrow_mut();
            inner.wanted.clear();
            inner.scheduler.forget_all();
            inner.own_requests.clear();
        }
        self.queries.apply(QueriesAction::Clear);
    }

    /// `key`'s data was written in place: a fetch on its way would undo that, so another
    /// follows it.
    pub fn written(&self, key: &QueryKey) {
        self.inner.borrow_mut().scheduler.written(key);
    }

    /// Notes an event id seen on the socket.
    pub fn saw_event(&self, id: u64) {
        self.inner.borrow_mut().scheduler.saw_event(id);
    }

    /// Whether an event's `requestId` is one of this tab's requests.
    pub fn is_own(&self, request_id: Option<&str>) -> bool {
        request_id.is_some_and(|r| self.inner.borrow().own_requests.iter().any(|o| o == r))
    }

    /// Invalidates from a server push.
    pub fn invalidate(&self, inv: Invalidation) {
        let cmds = self.inner.borrow_mut().scheduler.invalidate(&inv, now_ms());
        self.run(cmds);
    }

    /// Invalidates everything (after a reconnect, or a reset of the event log).
    pub fn invalidate_all(&self) {
        let cmds = self.inner.borrow_mut().scheduler.invalidate_all(now_ms());
        self.run(cmds);
    }

    /// A fresh `X-Request-Id` for a change this tab makes: the events it causes are known
    /// as this tab's own (no "Data updated" for them).
    pub fn new_request_id(&self) -> String {
        let mut inner = self.inner.borrow_mut();
        inner.next_request += 1;
        let id = format!(
            "tab-{}-{}",
            (js_sys::Math::random() * 1e9) as u64,
            inner.next_request
        );
        if inner.own_requests.len() == 64 {
            inner.own_requests.pop_front();
        }
        inner.own_requests.push_back(id.clone());
        id
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

    fn run(&self, cmds: Vec<QueryCommand>) {
        for cmd in cmds {
            match cmd {
                QueryCommand::Fetch { key, foreign } => self.fetch(key, foreign),
                QueryCommand::WakeAt(at) => {
                    let this = self.clone();
                    let timer = Timeout::new(at.saturating_sub(now_ms()) as u32, move || {
                        let cmds = this.inner.borrow_mut().scheduler.tick(now_ms());
                        this.run(cmds);
                    });
                    self.inner.borrow_mut().wake = Some(timer);
                }
            }
        }
    }

    fn fetch(&self, key: QueryKey, foreign: bool) {
        let source = self.inner.borrow().sources.get(&key).cloned();
        let wanted = self.inner.borrow().wanted.get(&key).copied();
        let (
            Some(Source {
                path,
                decoder,
                pages,
            }),
            Some(token),
        ) = (source, self.session.get().token.clone())
        else {
            // Nothing to fetch it with (yet): let the scheduler know it is not in flight.
            let cmds = self.inner.borrow_mut().scheduler.failed(&key, now_ms());
            self.run(cmds);
            return;
        };
        self.queries.apply(QueriesAction::Fetching(key.clone()));
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // Whether older items remain: known after several pages; after one, from how
            // many it brought (a full page may have more behind it).
            let (text, more) = match pages {
                Some(pages) => {
                    let wanted = wanted.unwrap_or(pages.first);
                    match fetch_pages(&path, &token, pages, wanted).await {
                        Ok((text, more)) => (Ok(text), more),
                        Err(e) => (Err(e), None),
                    }
                }
                None => (fetch_one(&path, &token).await, Some(false)),
            };
            let result = text.and_then(|text| decoder(&text).map_err(ApiError::Decode));
            let cmds = match result {
                Ok(data) => {
                    let has_older =
                        more.unwrap_or_else(|| pages.is_some_and(|p| data.len() >= p.first));
                    this.queries
                        .apply(QueriesAction::HasOlder(key.clone(), has_older));
                    let versions = data.versions();
                    this.queries.apply(QueriesAction::Fetched {
                        key: key.clone(),
                        data,
                        now: now_ms(),
                        foreign,
                    });
                    this.inner
                        .borrow_mut()
                        .scheduler
                        .fetched(&key, versions, now_ms())
                }
                Err(error) => {
                    this.queries.apply(QueriesAction::Failed {
                        key: key.clone(),
                        error,
                    });
                    let (cmds, gave_up) = {
                        let mut inner = this.inner.borrow_mut();
                        let cmds = inner.scheduler.failed(&key, now_ms());
                        (cmds, inner.scheduler.gave_up(&key))
                    };
                    this.queries
                        .apply(QueriesAction::Retrying(key.clone(), !gave_up));
                    cmds
                }
            };
            this.run(cmds);
        });
    }
}

/// What a query held before [`QueryClient::set_query_data`] wrote over it.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    key: QueryKey,
    previous: Option<QueryData>,
}

/// One answer; the first page's lists were usually asked for by the page's boot script.
async fn fetch_one(path: &str, token: &str) -> Result<String, ApiError> {
    match crate::browser::boot::take_list(path).await {
        Some(text) => Ok(text),
        None => api::get_text(path, token).await,
    }
}

/// A paged list's newest `wanted` items, page after page ([`Pages`]), as one JSON array;
/// and whether older ones remain (`None` for the first page alone, passed on as it came:
/// the caller counts its items once they are read).
async fn fetch_pages(
    path: &str,
    token: &str,
    pages: Pages,
    wanted: usize,
) -> Result<(String, Option<bool>), ApiError> {
    let (first, mut asked) = pages.first(path, wanted);
    let text = fetch_one(&first, token).await?;
    if wanted <= pages.first {
        return Ok((text, None));
    }
    let mut all: Vec<serde_json::Value> = Vec::new();
    let mut text = text;
    loop {
        let page: Vec<serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))?;
        let len = page.len();
        all.extend(page);
        let oldest = all.last().and_then(|v| v["id"].as_str()).map(str::to_owned);
        match pages.next(path, wanted, all.len(), (asked, len), oldest.as_deref()) {
            Some((next, n)) => {
                asked = n;
                text = api::get_text(&next, token).await?;
            }
            None => {
                let more = len >= asked;
                let text =
                    serde_json::to_string(&all).map_err(|e| ApiError::Decode(e.to_string()))?;
                return Ok((text, Some(more)));
            }
        }
    }
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
