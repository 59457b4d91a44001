//! `Executor`: the app's one executor of [`ppt_realtime::client::Client`].
//!
//! It feeds the client every input with the app's one clock (`browser::clock::now_ms`) and
//! `Math.random()`, carries out every command the client returns, and keeps the one timer it
//! asks for. Inputs that arrive while commands are being carried out (a store update that
//! renders a page that mounts a query, an answer read from storage) wait in a queue and are
//! taken in order: the client never sees two inputs at once. It decides nothing itself.
//!
//! The browser's resources it carries the commands out with are in the files beside it: the
//! WebSocket and frame delivery ([`super::socket`]), the REST fetches of the queries
//! ([`super::fetch`]); storage, Web Locks, the BroadcastChannel, the sound and system
//! notifications are in [`crate::browser`].

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_render::{request_animation_frame, AnimationFrame};
use gloo_timers::callback::Timeout;
use ppt_protocol::rest::NotificationPreferences;
use ppt_protocol::{ClientFrame, Envelope, QueryKey, ServerEvent};
use yew::Callback;
use yewdux::Dispatch;

use super::fetch::{self, Source};
use super::socket::Sockets;
use crate::api;
use crate::browser::{self, channel::Channel, clock::now_ms, locks};
use crate::config;
use crate::hooks::AppliedEvents;
use crate::store::connection::ConnectionView;
use crate::store::diagnostics::LiveDiagnostics;
use crate::store::messages::MessageWrite;
use crate::store::outbox::OutboxView;
use crate::store::preferences::{Preferences, PreferencesAction};
use crate::store::queries::{Queries, QueriesAction};
use crate::store::session::{Session, SessionAction};
use crate::store::toasts::{ToastAction, Toasts};
use ppt_realtime::client::{Client, ClientConfig, Command, Input, QueryInput, SignIn};
use ppt_realtime::invalidation::QueryConfig;
use ppt_realtime::live::{Action, World};
use ppt_realtime::machine;
use ppt_realtime::outbox::Outcome;
use ppt_realtime::subscriptions::{Pattern, Registry};
use ppt_realtime::tabs::{OutboxAsk, TabId, TabMessage};

/// The lock whose holder runs the browser's socket.
const LOCK: &str = "ppt-web.socket";
/// The channel between this origin's tabs.
const CHANNEL: &str = "ppt-web.tabs";

/// The stores the commands write to.
struct Stores {
    session: Dispatch<Session>,
    queries: Dispatch<Queries>,
    prefs: Dispatch<Preferences>,
    toasts: Dispatch<Toasts>,
    diagnostics: Dispatch<LiveDiagnostics>,
    outbox: Dispatch<OutboxView>,
    connection: Dispatch<ConnectionView>,
}

struct State {
    client: Client,
    /// Inputs waiting for the client.
    queue: VecDeque<Input>,
    /// Commands are being carried out: new inputs wait in the queue.
    running: bool,
    /// The one timer, and when it fires.
    timer: Option<(u64, Timeout)>,
    sockets: Sockets,
    subscribers: Registry<Callback<Batch>>,
    /// Frames received and not yet handed over, and what will hand them over.
    queued: Vec<Rc<Envelope>>,
    delivery: Option<(AnimationFrame, Timeout)>,
    channel: Option<Channel>,
    lock: Option<locks::Held>,
    /// Where each query's data comes from, and how many items of a paged one are wanted.
    sources: HashMap<QueryKey, Source>,
    wanted: HashMap<QueryKey, usize>,
    _listeners: Vec<EventListener>,
}

/// What the executor holds. (The request ids, the listeners and the router's callback are
/// beside the state: reading them while the client steps must not borrow it.)
pub struct Shared {
    state: RefCell<State>,
    stores: Stores,
    /// This tab's requests (`X-Request-Id`): their events are its own.
    own_requests: RefCell<VecDeque<String>>,
    next_request: Cell<u64>,
    /// Where the events this tab applied go, for `use_event`.
    events: AppliedEvents,
    /// Opens an address in the app (a system notification clicked); set by the router's
    /// owner.
    open: RefCell<Callback<String>>,
}

/// The app's real-time executor. Cheap to clone; one per page.
#[derive(Clone)]
pub struct Executor {
    shared: Rc<Shared>,
}

impl std::ops::Deref for Executor {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl PartialEq for Executor {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Executor {
    /// The page's executor, with the app's stores (in `cx`, the app's yewdux context) and the
    /// settings in force in this browser.
    pub fn new(cx: &yewdux::Context) -> Self {
        let tab = (js_sys::Math::random() * 9_007_199_254_740_991.0) as TabId;
        let shared = Rc::new_cyclic(|weak: &Weak<Shared>| {
            // Tabs share the socket when the browser has both Web Locks and BroadcastChannel.
            let weak = WeakExecutor(weak.clone());
            let channel = locks::available().and_then(|_| {
                Channel::open(CHANNEL, move |text| {
                    if let Ok(message) = serde_json::from_str::<TabMessage>(&text) {
                        weak.feed(Input::FromTab(message));
                    }
                })
            });
            let config = ClientConfig {
                connection: config::realtime_config(),
                live: config::live_config(),
                queries: QueryConfig::default(),
                tab,
                can_coordinate: channel.is_some(),
            };
            Shared {
                state: RefCell::new(State {
                    client: Client::new(config),
                    queue: VecDeque::new(),
                    running: false,
                    timer: None,
                    sockets: Sockets::new(super::socket::page_ws_url()),
                    subscribers: Registry::default(),
                    queued: Vec::new(),
                    delivery: None,
                    channel,
                    lock: None,
                    sources: HashMap::new(),
                    wanted: HashMap::new(),
                    _listeners: Vec::new(),
                }),
                stores: Stores {
                    session: Dispatch::new(cx),
                    queries: Dispatch::new(cx),
                    prefs: Dispatch::new(cx),
                    toasts: Dispatch::new(cx),
                    diagnostics: Dispatch::new(cx),
                    outbox: Dispatch::new(cx),
                    connection: Dispatch::new(cx),
                },
                own_requests: RefCell::default(),
                next_request: Cell::default(),
                events: AppliedEvents::default(),
                open: RefCell::new(Callback::noop()),
            }
        });
        let executor = Executor { shared };
        executor.listen_to_the_browser();
        executor
    }

    fn downgrade(&self) -> WeakExecutor {
        WeakExecutor(Rc::downgrade(&self.shared))
    }

    fn listen_to_the_browser(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let mut listeners = Vec::new();
        for (event, input) in [
            ("online", machine::Input::Online),
            ("offline", machine::Input::Offline),
        ] {
            let weak = self.downgrade();
            listeners.push(EventListener::new(&window, event, move |_| {
                weak.feed(Input::Connection(input.clone()))
            }));
        }
        if let Some(document) = window.document() {
            let weak = self.downgrade();
            let doc = document.clone();
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    if doc.visibility_state() == web_sys::VisibilityState::Visible {
                        weak.feed(Input::Connection(machine::Input::Visible));
                    }
                },
            ));
        }
        self.state.borrow_mut()._listeners = listeners;
        if !window.navigator().on_line() {
            self.input(Input::Connection(machine::Input::Offline));
        }
    }

    /// Where a clicked system notification's address is opened.
    pub fn set_open(&self, open: Callback<String>) {
        *self.open.borrow_mut() = open;
    }

    /// The yewdux context of the stores it writes to.
    pub fn context(&self) -> &yewdux::Context {
        self.stores.session.context()
    }

    /// The events this tab applies, for `use_event`.
    pub fn events(&self) -> AppliedEvents {
        self.events.clone()
    }

    /// The session in the store now: someone is signed in (or the token was renewed), or
    /// nobody is.
    pub fn session_changed(&self, session: &Session) {
        match (&session.user, &session.token) {
            (Some(user), Some(token)) => {
                let cursor = if session.shared {
                    Default::default()
                } else {
                    browser::storage::load_cursor(&user.id)
                };
                self.input(Input::SignedIn(SignIn {
                    user: user.id.clone(),
                    token: token.clone(),
                    tag: session.tag.clone(),
                    lifetime_ms: session.lifetime_ms,
                    shared: session.shared,
                    cursor,
                    share: session.to_share(),
                }));
            }
            _ => self.input(Input::SignedOut {
                expired: session.expired,
            }),
        }
    }

    /// Tries at once instead of waiting out the backoff.
    pub fn reconnect_now(&self) {
        self.input(Input::Connection(machine::Input::RetryNow));
    }

    /// Sends a frame on the current socket, if one is open; returns whether it went.
    pub fn send(&self, frame: &ClientFrame) -> bool {
        let state = self.state.borrow();
        state
            .sockets
            .send_current(state.client.current_socket(), frame)
    }

    /// Delivers frames whose type matches `pattern` (`"message:new"`, `"notification:"`, `"*"`)
    /// until the returned guard is dropped: each animation frame's matching frames in one call.
    pub fn subscribe(&self, pattern: &str, callback: Callback<Batch>) -> SubscriptionGuard {
        let id = self
            .state
            .borrow_mut()
            .subscribers
            .add(Pattern::parse(pattern), callback);
        SubscriptionGuard {
            shared: Rc::downgrade(&self.shared),
            id,
        }
    }

    /// The user asked something of the outbox (done by the tab holding the socket).
    pub fn outbox_ask(&self, ask: OutboxAsk) {
        self.input(Input::Outbox(ask));
    }

    /// This tab's id and the socket holder's, for diagnostics.
    pub fn tab_ids(&self) -> (TabId, Option<TabId>) {
        self.state.borrow().client.tab_ids()
    }

    // The query client's side.

    /// A component shows `key`, fetched from `source`.
    pub(crate) fn mount(&self, key: QueryKey, source: Source, stale_after: Option<u64>) {
        self.state.borrow_mut().sources.insert(key.clone(), source);
        self.input(Input::Query(QueryInput::Mounted { key, stale_after }));
    }

    pub(crate) fn query(&self, input: QueryInput) {
        self.input(Input::Query(input));
    }

    /// "Load older": a paged list wants one page more (`held`: the items it has now).
    pub(crate) fn want_older(&self, key: &QueryKey, held: usize) -> bool {
        let mut state = self.state.borrow_mut();
        let Some(pages) = state.sources.get(key).and_then(|s| s.pages) else {
            return false;
        };
        let wanted = state.wanted.entry(key.clone()).or_insert(pages.first);
        *wanted = (*wanted).max(held) + pages.first.min(pages.max);
        true
    }

    /// A fresh `X-Request-Id` for a change this tab makes.
    pub(crate) fn new_request_id(&self) -> String {
        let n = self.next_request.get() + 1;
        self.next_request.set(n);
        let id = format!("tab-{}-{n}", (js_sys::Math::random() * 1e9) as u64);
        let mut own = self.own_requests.borrow_mut();
        if own.len() == 64 {
            own.pop_front();
        }
        own.push_back(id.clone());
        id
    }

    /// Whether an event's `requestId` is one of this tab's requests.
    pub(crate) fn is_own(&self, request_id: Option<&str>) -> bool {
        request_id.is_some_and(|r| self.own_requests.borrow().iter().any(|o| o == r))
    }

    // The loop.

    /// Feeds one input; carries out what the client says, and whatever came meanwhile.
    pub(crate) fn input(&self, input: Input) {
        {
            let mut state = self.state.borrow_mut();
            state.queue.push_back(input);
            if state.running {
                return;
            }
            state.running = true;
        }
        loop {
            let Some(input) = self.state.borrow_mut().queue.pop_front() else {
                break;
            };
            let commands = self.step(input);
            for command in commands {
                self.execute(command);
            }
            self.show_figures();
        }
        self.state.borrow_mut().running = false;
    }

    fn step(&self, input: Input) -> Vec<Command> {
        let prefs = self.stores.prefs.get();
        let own = |r: &str| self.is_own(Some(r));
        // The browser answers slowly: asked at most once per step, however many events.
        let permitted = std::cell::OnceCell::new();
        let world = World {
            now: now_ms(),
            prefs: &prefs.prefs,
            tab_hidden: browser::tab_hidden(),
            browser_permitted: &|| *permitted.get_or_init(browser::notifications::permitted),
            own_request: &own,
            listening: self.events.has_listeners(),
        };
        let jitter = js_sys::Math::random();
        self.state.borrow_mut().client.step(input, &world, jitter)
    }

    /// What the panels show: the live core's figures and this tab's part.
    fn show_figures(&self) {
        let (figures, leadership) = {
            let state = self.state.borrow();
            let figures = state
                .client
                .live_figures()
                .map(|(cursor, stats)| LiveDiagnostics {
                    cursor: cursor.clone(),
                    stats: stats.clone(),
                })
                .unwrap_or_default();
            (figures, state.client.leadership())
        };
        if *self.stores.diagnostics.get() != figures {
            self.stores.diagnostics.set(figures);
        }
        if self.stores.connection.get().leadership != leadership {
            self.stores
                .connection
                .reduce_mut(|c| c.leadership = leadership);
        }
    }

    /// Carries out one command. Nothing is borrowed meanwhile: a store's subscribers may
    /// call back in (their inputs wait in the queue).
    fn execute(&self, command: Command) {
        let s = &self.stores;
        match command {
            Command::Connection(c) => self.connection(c),
            Command::RequestLock => {
                let weak = self.downgrade();
                let held = locks::hold(LOCK, move || weak.feed(Input::LockGranted));
                self.state.borrow_mut().lock = held;
            }
            Command::ReleaseLock => {
                let held = self.state.borrow_mut().lock.take();
                drop(held);
            }
            Command::Post(message) => {
                // Strings, numbers and maps with string keys: writing cannot fail.
                let text = serde_json::to_string(&message).unwrap_or_default();
                if let Some(c) = &self.state.borrow().channel {
                    c.post(&text);
                }
            }
            Command::ShowStatus(status) => {
                if s.connection.get().status != status {
                    s.connection.reduce_mut(|c| c.status = status);
                }
            }
            Command::UseSession(r) => s.session.apply(SessionAction::Shared(r)),
            Command::SignOut { expired } => s.session.apply(match expired {
                true => SessionAction::Expired,
                false => SessionAction::LoggedOut,
            }),
            Command::LoadPreferences => {
                let Some(token) = s.session.get().token.clone() else {
                    return;
                };
                let prefs = s.prefs.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(p) =
                        api::get::<NotificationPreferences>("/notification-preferences", &token)
                            .await
                    {
                        prefs.apply(PreferencesAction::Replaced(p));
                    }
                });
            }
            Command::ForgetTraces { keep } => browser::traces::forget_all_but(keep.as_deref()),
            Command::Clear => {
                s.prefs.apply(PreferencesAction::Clear);
                s.toasts.apply(ToastAction::Clear);
                // (Where the last user stood in the log goes from the diagnostics with the
                // live core: `show_figures`.)
                self.own_requests.borrow_mut().clear();
                self.state.borrow_mut().wanted.clear();
                s.queries.apply(QueriesAction::Clear);
            }
            Command::Write(action) => self.write(action),
            Command::FetchMissed {
                user,
                query,
                polling,
            } => {
                let Some(token) = s.session.get().token.clone() else {
                    return;
                };
                let weak = self.downgrade();
                wasm_bindgen_futures::spawn_local(async move {
                    let page = api::get(&format!("/events/missed?{query}"), &token)
                        .await
                        .ok();
                    weak.feed(Input::Missed {
                        user,
                        page,
                        polling,
                    });
                });
            }
            Command::SaveCursor { user, cursor } => browser::storage::store_cursor(&user, &cursor),
            // After the stores took the data: a listener reads them as the event left them.
            Command::Applied(events) => self.events.publish(&events),
            Command::Toasts(toasts) => s.toasts.apply(ToastAction::PushMany(toasts)),
            Command::Sound => browser::sound::play(),
            Command::Alert(alert) => {
                let open = self.open.borrow().clone();
                browser::notifications::show(
                    &alert.title,
                    &alert.body,
                    &alert.key,
                    alert.link,
                    open,
                );
            }
            Command::RestoreOutbox { user } => {
                let stored = browser::storage::load_outbox(&user);
                self.input(Input::OutboxRestored { user, stored });
            }
            Command::SendCreate(item) => {
                let (token, tag) = {
                    let session = s.session.get();
                    (session.token.clone(), session.tag.clone())
                };
                let weak = self.downgrade();
                wasm_bindgen_futures::spawn_local(async move {
                    let answer = api::create(
                        &item.path,
                        token.as_deref(),
                        &item.body,
                        item.request_id.as_deref(),
                        &item.key,
                        Some(tag.as_str()).filter(|t| !t.is_empty()),
                    )
                    .await;
                    let outcome = match answer {
                        Ok(v) => Outcome::Sent(v),
                        Err(api::ApiError::Limited { retry_after_ms, .. }) => {
                            Outcome::Limited(retry_after_ms)
                        }
                        // A token that expired meanwhile is renewed by the connection: later.
                        Err(e) if e.is_refusal() && !e.is_unauthorized() => {
                            Outcome::Refused(e.describe())
                        }
                        Err(_) => Outcome::Unreachable,
                    };
                    weak.feed(Input::OutboxAnswered {
                        id: item.id,
                        outcome,
                    });
                });
            }
            Command::StoreOutbox { user, stored } => match stored {
                Some(stored) => browser::storage::store_outbox(&user, &stored),
                // A shared computer keeps nothing: drop what an older build stored.
                None => browser::storage::forget_outbox(&user),
            },
            Command::ShowOutbox(items) => s.outbox.set(OutboxView { items }),
            Command::ShowStoredOutbox { user } => {
                let items = browser::storage::load_outbox(&user).items;
                s.outbox.set(OutboxView { items });
            }
            Command::Fetch { key, foreign } => self.fetch(key, foreign),
            Command::Distrust(key) => s.queries.apply(QueriesAction::Distrust(key)),
            Command::Retrying { key, again } => {
                s.queries.apply(QueriesAction::Retrying(key, again))
            }
            Command::WakeAt(at) => self.wake_at(at),
        }
    }

    /// A frame arrived on `socket`: the connection hears of it at once; the live data takes
    /// each animation frame's frames together.
    fn frame(&self, socket: machine::SocketId, text: &str) {
        if self.state.borrow().client.current_socket() != Some(socket) {
            return;
        }
        let envelope = match Envelope::from_json(text) {
            Ok(e) => Rc::new(e),
            // A frame this build cannot read is skipped, like an unknown type.
            Err(_) => {
                self.input(Input::Connection(machine::Input::Frame { socket }));
                return;
            }
        };
        let input = match envelope.event {
            ServerEvent::Authenticated(_) => machine::Input::Authenticated { socket },
            _ => machine::Input::Frame { socket },
        };
        self.input(Input::Connection(input));
        let first = {
            let mut state = self.state.borrow_mut();
            state.queued.push(envelope);
            state.queued.len() == 1
        };
        if first {
            // Frames are handed over once per animation frame, so a burst of events costs one
            // render. A hidden tab gets no animation frames: the timer hands them over then.
            let weak = self.downgrade();
            let frame = request_animation_frame(move |_| {
                if let Some(e) = weak.upgrade() {
                    e.deliver();
                }
            });
            let weak = self.downgrade();
            let timer = Timeout::new(DELIVERY_FALLBACK_MS, move || {
                if let Some(e) = weak.upgrade() {
                    e.deliver();
                }
            });
            self.state.borrow_mut().delivery = Some((frame, timer));
        }
    }

    /// Hands the queued frames over: to the client, then to each subscriber its matching
    /// ones, in order, in one call. (The app's one batching layer.)
    fn deliver(&self) {
        let (frames, _delivery) = {
            let mut state = self.state.borrow_mut();
            (std::mem::take(&mut state.queued), state.delivery.take())
        };
        if frames.is_empty() {
            return;
        }
        self.input(Input::Frames(
            frames.iter().map(|e| (**e).clone()).collect(),
        ));
        let batches: Vec<(Callback<Batch>, Batch)> = self
            .state
            .borrow()
            .subscribers
            .split(&frames, |e| e.event.event_type())
            .into_iter()
            .map(|(cb, mine)| (cb.clone(), mine.into()))
            .collect();
        for (cb, batch) in batches {
            cb.emit(batch);
        }
    }

    /// Carries out what the connection machine says.
    fn connection(&self, command: machine::Command) {
        let s = &self.stores;
        match command {
            machine::Command::Open { socket } => {
                let (on_open, on_message, on_close) =
                    (self.downgrade(), self.downgrade(), self.downgrade());
                let opened = self.state.borrow_mut().sockets.open(
                    socket,
                    move || on_open.feed(Input::Connection(machine::Input::Opened { socket })),
                    move |text: String| {
                        if let Some(e) = on_message.upgrade() {
                            e.frame(socket, &text);
                        }
                    },
                    move |code| {
                        if let Some(e) = on_close.upgrade() {
                            let gone = e.state.borrow_mut().sockets.remove(socket);
                            drop(gone);
                            e.input(Input::Connection(machine::Input::Closed { socket, code }));
                        }
                    },
                );
                if !opened {
                    // A URL the browser refuses: report it like a failed connection.
                    let weak = self.downgrade();
                    Timeout::new(0, move || {
                        weak.feed(Input::Connection(machine::Input::Closed {
                            socket,
                            code: 1006,
                        }))
                    })
                    .forget();
                }
            }
            machine::Command::Send { socket, frame } => {
                self.state.borrow().sockets.send(socket, &frame)
            }
            machine::Command::Authenticate { socket } => {
                let token = s.session.get().token.clone().unwrap_or_default();
                let frame = ClientFrame::auth(token, None);
                self.state.borrow().sockets.send(socket, &frame);
            }
            machine::Command::Close { socket, code } => {
                let removed = self.state.borrow_mut().sockets.remove(socket);
                if let Some(ws) = removed {
                    ws.close(code);
                }
            }
            machine::Command::RefreshToken => {
                let weak = self.downgrade();
                wasm_bindgen_futures::spawn_local(async move {
                    let result = api::refresh().await;
                    let Some(e) = weak.upgrade() else { return };
                    let input = match result {
                        Ok(r) => {
                            let lifetime_ms = crate::store::session::lifetime_ms(&r);
                            e.stores.session.apply(SessionAction::TokenRefreshed {
                                token: r.token,
                                lifetime_ms,
                            });
                            machine::Input::TokenRefreshed { lifetime_ms }
                        }
                        Err(err) => machine::Input::TokenRefreshFailed {
                            unauthorized: err.is_unauthorized(),
                        },
                    };
                    e.input(Input::Connection(input));
                });
            }
            machine::Command::GoToLogin => s.session.apply(SessionAction::Expired),
            // The client keeps the one timer.
            machine::Command::WakeAt(_) => {}
        }
    }

    /// Writes what the live core decided into the stores.
    fn write(&self, action: Action) {
        let me = self.state.borrow().client.user().map(str::to_owned);
        let Some(me) = me else { return };
        let write = match action {
            Action::Messages(messages) => MessageWrite::Received { messages, me },
            Action::ConversationRead(conversation_id) => MessageWrite::ConversationRead {
                conversation_id,
                me,
            },
            Action::MessageRead(id) => MessageWrite::ReadByRecipient { id, me },
            Action::Unread(n) => MessageWrite::Unread(n),
            Action::Preferences(p) => {
                self.stores.prefs.apply(PreferencesAction::Replaced(p));
                return;
            }
            // The client carries the others out itself.
            Action::RefreshUnread
            | Action::Invalidate(_)
            | Action::ResetAll
            | Action::Fetch { .. }
            | Action::SaveCursor(_) => return,
        };
        self.stores.queries.apply(QueriesAction::Write(write));
    }

    /// Keeps the one timer, set for the wake-up the client asked for.
    fn wake_at(&self, at: Option<u64>) {
        let mut state = self.state.borrow_mut();
        if state.timer.as_ref().map(|(t, _)| *t) == at {
            return;
        }
        state.timer = at.map(|at| {
            let weak = self.downgrade();
            let delay = at.saturating_sub(now_ms()).min(i32::MAX as u64) as u32;
            let timeout = Timeout::new(delay, move || {
                if let Some(e) = weak.upgrade() {
                    e.state.borrow_mut().timer = None;
                    e.input(Input::Tick);
                }
            });
            (at, timeout)
        });
    }

    /// Fetches `key` from its source and reports how it went.
    fn fetch(&self, key: QueryKey, foreign: bool) {
        let (source, wanted) = {
            let state = self.state.borrow();
            (
                state.sources.get(&key).cloned(),
                state.wanted.get(&key).copied(),
            )
        };
        let (Some(source), Some(token)) = (source, self.stores.session.get().token.clone()) else {
            // Nothing to fetch it with (yet): the scheduler learns it is not in flight.
            self.input(Input::Query(QueryInput::Failed(key)));
            return;
        };
        self.stores
            .queries
            .apply(QueriesAction::Fetching(key.clone()));
        let weak = self.downgrade();
        wasm_bindgen_futures::spawn_local(async move {
            let result = fetch::run(&source, &token, wanted).await;
            let Some(e) = weak.upgrade() else { return };
            let queries = &e.stores.queries;
            match result {
                Ok((data, has_older)) => {
                    queries.apply(QueriesAction::HasOlder(key.clone(), has_older));
                    let versions = data.versions();
                    queries.apply(QueriesAction::Fetched {
                        key: key.clone(),
                        data,
                        now: now_ms(),
                        foreign,
                    });
                    e.input(Input::Query(QueryInput::Fetched { key, versions }));
                }
                Err(error) => {
                    queries.apply(QueriesAction::Failed {
                        key: key.clone(),
                        error,
                    });
                    e.input(Input::Query(QueryInput::Failed(key)));
                }
            }
        });
    }
}

/// How long queued frames wait at most when no animation frame comes (hidden tab).
const DELIVERY_FALLBACK_MS: u32 = 100;

/// One animation frame's frames, in arrival order: what a subscriber receives at once.
pub type Batch = Rc<[Rc<Envelope>]>;

/// Unsubscribes when dropped.
pub struct SubscriptionGuard {
    shared: Weak<Shared>,
    id: u64,
}

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            if let Ok(mut state) = shared.state.try_borrow_mut() {
                state.subscribers.remove(self.id);
            }
        }
    }
}

/// An [`Executor`] that does not keep it alive (for the browser's callbacks).
#[derive(Clone)]
pub(crate) struct WeakExecutor(Weak<Shared>);

impl WeakExecutor {
    pub(crate) fn upgrade(&self) -> Option<Executor> {
        self.0.upgrade().map(|shared| Executor { shared })
    }

    /// Feeds `input` if the executor is still there.
    pub(crate) fn feed(&self, input: Input) {
        if let Some(e) = self.upgrade() {
            e.input(input);
        }
    }
}
