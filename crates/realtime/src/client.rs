//! The client: the five cores composed behind one [`Input`] and one [`Command`] type.
//!
//! A tab's real-time behaviour is five pure parts: the connection ([`Machine`]), sharing
//! the browser's socket with the other tabs ([`Tabs`]), the live data ([`Live`]), the outbox
//! ([`Outbox`]) and the query scheduler ([`Scheduler`]). They talk to each other here, not
//! in the app: the connection's state goes to the tabs (the followers show it), the outbox
//! (creates go while it is up) and the live core (it polls while live updates are paused);
//! the tab that takes the socket starts the connection and runs the outbox; what the live
//! core applies is relayed to the followers and invalidates the queries; a create the
//! outbox delivered refreshes its list. The app's one executor (`ppt_web::ws`) feeds every
//! input with the time, carries out every command, and keeps the one timer this asks for
//! ([`Command::WakeAt`]).

use ppt_protocol::rest::{LoginResponse, Message, MissedEvents};
use ppt_protocol::{Envelope, QueryKey, RawJson};

use crate::catchup::Cursor;
use crate::invalidation::{Invalidation, QueryCommand, QueryConfig, Scheduler};
use crate::live::{Action, Live, LiveConfig, LiveStats, Out, World};
use crate::machine::{self, ConnectionConfig, Machine, SocketId};
use crate::outbox::{self, Delivered, Item, Outbox, Outcome, Stored};
use crate::routing::Alert;
use crate::status::{ConnectionState, StatusView};
use crate::tabs::{lifetime_left, Leadership, OutboxAsk, TabCommand, TabId, TabMessage, Tabs};
use crate::toast::ToastAction;

/// The unread total's key: under the messages', so a message's change reaches it.
pub fn unread_key() -> QueryKey {
    QueryKey::new(["messages", "unread-count"])
}

/// The inbox's key.
pub fn messages_key() -> QueryKey {
    QueryKey::new(["messages"])
}

/// Every part's settings, and who this tab is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConfig {
    pub connection: ConnectionConfig,
    pub live: LiveConfig,
    pub queries: QueryConfig,
    /// This tab's id (random per page load).
    pub tab: TabId,
    /// Whether the browser lets tabs share a socket (Web Locks and BroadcastChannel).
    pub can_coordinate: bool,
}

/// A session in this tab: a sign-in, a restored session, or a renewed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub user: String,
    pub token: String,
    /// The session's tag (its outbox belongs to it).
    pub tag: String,
    /// The token's lifetime from now, when known.
    pub lifetime_ms: Option<u64>,
    /// A shared computer: nothing is read from storage or left in it.
    pub shared: bool,
    /// Where this user stood in the log, as stored (used when the user is new here; none on
    /// a shared computer, whose session neither reads nor leaves a cursor).
    pub cursor: Cursor,
    /// The session as the other tabs would use it.
    pub share: Option<LoginResponse>,
}

/// What the query client reports to the scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryInput {
    /// A component shows `key` (data older than `stale_after` ms is refetched on mounting).
    Mounted {
        key: QueryKey,
        stale_after: Option<u64>,
    },
    Unmounted(QueryKey),
    /// A change this tab made, or "Try again", or "load older".
    Invalidate(Invalidation),
    /// `key` was written in place: a fetch on its way predates it.
    Written(QueryKey),
    /// `key`'s data cannot be trusted: it stays shown until a fetch replaces it.
    Distrust(QueryKey),
    /// A fetch brought `key`'s data, with its entities' versions.
    Fetched {
        key: QueryKey,
        versions: Vec<(String, u64)>,
    },
    /// A fetch of `key` failed (or could not be made).
    Failed(QueryKey),
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Input {
    /// Someone is signed in (or the token was renewed).
    SignedIn(SignIn),
    /// The session ended in this tab (`expired`: it could not be renewed).
    SignedOut {
        expired: bool,
    },
    /// Something about the socket or the browser: opened, authenticated, a frame, closed,
    /// online, offline, visible, a token refreshed or not, "Retry now". (`Start`, `Logout`
    /// and `Tick` are the client's own.)
    Connection(machine::Input),
    /// One animation frame's frames, in arrival order.
    Frames(Vec<Envelope>),
    /// The answer to [`Command::FetchMissed`] (`None`: reading it failed).
    Missed {
        user: String,
        page: Option<MissedEvents>,
        polling: bool,
    },
    /// The browser granted this tab the socket's lock.
    LockGranted,
    /// A message from another tab.
    FromTab(TabMessage),
    /// The user asked something of the outbox in this tab.
    Outbox(OutboxAsk),
    /// The answer to [`Command::RestoreOutbox`]: what the last holder of the socket stored.
    OutboxRestored {
        user: String,
        stored: Stored,
    },
    /// How a create's try ended.
    OutboxAnswered {
        id: u64,
        outcome: Outcome,
    },
    Query(QueryInput),
    /// The wake-up asked for with [`Command::WakeAt`] is due.
    Tick,
}

/// What the executor must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Open, write to or close a socket, refresh the token, or go to the login page: what
    /// the connection machine says ([`machine::Command`]), except its wake-ups, which the
    /// client keeps in its one timer ([`Command::WakeAt`]).
    Connection(machine::Command),

    // The other tabs.
    RequestLock,
    ReleaseLock,
    Post(TabMessage),
    /// Show this connection state (a follower shows its leader's).
    ShowStatus(StatusView),
    /// Use this session (signed in or renewed in another tab).
    UseSession(LoginResponse),
    /// Sign out here too (another tab did).
    SignOut {
        expired: bool,
    },

    // The session's traces.
    /// Load the user's notification preferences.
    LoadPreferences,
    /// Remove what this browser stored for anyone but `keep`.
    ForgetTraces {
        keep: Option<String>,
    },
    /// Signed out: empty the stores (queries, preferences, toasts, diagnostics).
    Clear,

    // The live data.
    /// Write into the stores, in order (messages, reads, the unread total, preferences).
    Write(Action),
    /// Read `/events/missed?{query}` and report [`Input::Missed`].
    FetchMissed {
        user: String,
        query: String,
        polling: bool,
    },
    /// Store the user's cursor.
    SaveCursor {
        user: String,
        cursor: Cursor,
    },
    /// Every event this tab applied, in order (for `use_event`), after the stores took them.
    Applied(Vec<Envelope>),
    Toasts(Vec<ToastAction>),
    Sound,
    /// A system notification (the tab is hidden).
    Alert(Alert),

    // The outbox.
    /// Read `user`'s stored outbox and report [`Input::OutboxRestored`].
    RestoreOutbox {
        user: String,
    },
    /// `POST` this create (with its key) and report [`Input::OutboxAnswered`].
    SendCreate(Item),
    /// Store `user`'s outbox (`None`: remove what is stored: a shared computer keeps nothing).
    StoreOutbox {
        user: String,
        stored: Option<Stored>,
    },
    /// Show these outbox items.
    ShowOutbox(Vec<Item>),
    /// Show what `user`'s stored outbox holds (signing in, before any tab runs it).
    ShowStoredOutbox {
        user: String,
    },

    // The queries.
    /// Fetch `key`; `foreign`: someone else's change caused it ("Data updated").
    Fetch {
        key: QueryKey,
        foreign: bool,
    },
    /// Mark `key`'s data as not to be trusted (it stays shown).
    Distrust(QueryKey),
    /// A fetch of `key` failed: whether it will be tried again.
    Retrying {
        key: QueryKey,
        again: bool,
    },

    /// Feed [`Input::Tick`] at this time (`None`: no timer); replaces any earlier one.
    WakeAt(Option<u64>),
}

/// The session this tab is in.
#[derive(Debug, Clone)]
struct Session {
    user: String,
    tag: String,
    shared: bool,
    lifetime_ms: Option<u64>,
    /// When the token arrived (a tab taking over starts the connection with what is left).
    token_at: u64,
}

/// When each part asked to be woken.
#[derive(Debug, Clone, Copy, Default)]
struct Wakes {
    machine: Option<u64>,
    live: Option<u64>,
    outbox: Option<u64>,
    queries: Option<u64>,
}

impl Wakes {
    fn next(&self) -> Option<u64> {
        [self.machine, self.live, self.outbox, self.queries]
            .into_iter()
            .flatten()
            .min()
    }
}

/// One tab's real-time state.
#[derive(Debug, Clone)]
pub struct Client {
    config: ClientConfig,
    machine: Machine,
    tabs: Tabs,
    live: Option<Live>,
    /// The signed-in user's outbox, while this tab holds the socket.
    outbox: Option<Outbox>,
    queries: Scheduler,
    session: Option<Session>,
    /// A token another tab shared: using it is no news to tell them.
    from_others: Option<String>,
    /// The connection's own state, as last seen.
    own_status: StatusView,
    /// Whether the live core was told live updates are paused.
    paused: bool,
    wakes: Wakes,
    /// The wake-up last asked of the executor.
    timer: Option<u64>,
}

impl Client {
    pub fn new(config: ClientConfig) -> Self {
        let machine = Machine::new(config.connection);
        Client {
            own_status: machine.status(),
            machine,
            tabs: Tabs::new(config.tab, config.can_coordinate),
            live: None,
            outbox: None,
            queries: Scheduler::new(config.queries),
            session: None,
            from_others: None,
            paused: false,
            wakes: Wakes::default(),
            timer: None,
            config,
        }
    }

    /// The connection's own state (a follower shows its leader's: [`Command::ShowStatus`]).
    pub fn status(&self) -> StatusView {
        self.machine.status()
    }

    pub fn leadership(&self) -> Leadership {
        self.tabs.leadership()
    }

    /// This tab's id and the socket holder's, for diagnostics.
    pub fn tab_ids(&self) -> (TabId, Option<TabId>) {
        (self.tabs.me(), self.tabs.leader())
    }

    /// The socket that frames are taken from.
    pub fn current_socket(&self) -> Option<SocketId> {
        self.machine.current_socket()
    }

    /// Where the signed-in user stands in the log, and the live core's counts.
    pub fn live_figures(&self) -> Option<(&Cursor, &LiveStats)> {
        self.live.as_ref().map(|l| (l.cursor(), l.stats()))
    }

    /// The signed-in user.
    pub fn user(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.user.as_str())
    }

    /// Takes one input with the world as it is (`w.now` is the time); `jitter` in `[0, 1)`.
    pub fn step(&mut self, input: Input, w: &World, jitter: f64) -> Vec<Command> {
        let mut out = Vec::new();
        if matches!(input, Input::Tick) {
            // Whatever was asked is spent: the next wake-up is asked again below.
            self.timer = None;
        }
        match input {
            Input::SignedIn(s) => self.signed_in(s, w, jitter, &mut out),
            Input::SignedOut { expired } => {
                let commands = self.tabs.signed_out_here(expired);
                self.tab_commands(commands, w, jitter, &mut out);
                // However the session ended, nothing of it stays in this browser.
                self.end_session(true, &mut out);
            }
            Input::Connection(i) => self.connection(i, w, jitter, &mut out),
            Input::Frames(frames) => {
                if let Some(live) = self.live.as_mut() {
                    let o = live.frames(&frames, w);
                    self.live_out(o, w, &mut out);
                }
            }
            Input::Missed {
                user,
                page,
                polling,
            } => {
                // An answer for a user who has signed out meanwhile is nobody's.
                if let Some(live) = self.live.as_mut().filter(|l| l.me() == user) {
                    let o = live.page(page, polling, w);
                    self.live_out(o, w, &mut out);
                }
            }
            Input::LockGranted => {
                let commands = self.tabs.lock_granted(self.own_status.clone());
                self.tab_commands(commands, w, jitter, &mut out);
            }
            Input::FromTab(message) => {
                let cursor = self.live.as_ref().map(|l| l.cursor().clone());
                let status = self.own_status.clone();
                let commands = self
                    .tabs
                    .received(message, || (cursor.unwrap_or_default(), status));
                self.tab_commands(commands, w, jitter, &mut out);
            }
            Input::Outbox(ask) => {
                let commands = self.tabs.outbox_ask(ask);
                self.tab_commands(commands, w, jitter, &mut out);
            }
            Input::OutboxRestored { user, stored } => self.restored(user, stored, w, &mut out),
            Input::OutboxAnswered { id, outcome } => {
                if let Some(o) = self.outbox.as_mut() {
                    let commands = o.answered(id, outcome, w.now, jitter);
                    self.outbox_commands(commands, w, &mut out);
                }
            }
            Input::Query(q) => self.query(q, w, &mut out),
            Input::Tick => self.tick(w, jitter, &mut out),
        }
        self.after(w, &mut out);
        out
    }

    fn signed_in(&mut self, s: SignIn, w: &World, jitter: f64, out: &mut Vec<Command>) {
        let before = self.session.as_ref().map(|s| s.user.clone());
        if before.as_ref().is_some_and(|b| *b != s.user) {
            // Someone else signed in in this tab: the last user's session ends here first.
            let commands = self.tabs.signed_out();
            self.tab_commands(commands, w, jitter, out);
            // (What the new user stored stays: the sign-in below forgets the rest.)
            self.end_session(false, out);
        }
        let new_user = self.session.is_none();
        self.session = Some(Session {
            user: s.user.clone(),
            tag: s.tag.clone(),
            shared: s.shared,
            lifetime_ms: s.lifetime_ms,
            token_at: w.now,
        });
        if new_user {
            // Nothing of anyone else stays; on a shared computer, nothing at all.
            out.push(Command::ForgetTraces {
                keep: (!s.shared).then(|| s.user.clone()),
            });
            if !s.shared {
                out.push(Command::ShowStoredOutbox {
                    user: s.user.clone(),
                });
            }
            let mut live = Live::new(&s.user, s.cursor, self.config.live);
            live.set_relaying(self.tabs.leadership() == Leadership::Leading);
            self.live = Some(live);
            out.push(Command::LoadPreferences);
            let commands = self.tabs.signed_in();
            self.tab_commands(commands, w, jitter, out);
        }
        if self.from_others.take().as_ref() != Some(&s.token) {
            if let Some(share) = s.share {
                let commands = self.tabs.session_here(share);
                self.tab_commands(commands, w, jitter, out);
            }
        }
    }

    /// The session is over in this tab: nothing of it stays in memory (`forget`: nor in
    /// storage).
    fn end_session(&mut self, forget: bool, out: &mut Vec<Command>) {
        if self.session.take().is_none() {
            return;
        }
        self.live = None;
        self.stop_outbox();
        self.from_others = None;
        self.paused = false;
        self.wakes.live = None;
        self.wakes.queries = None;
        self.queries.forget_all();
        out.push(Command::ShowOutbox(Vec::new()));
        out.push(Command::Clear);
        if forget {
            out.push(Command::ForgetTraces { keep: None });
        }
    }

    fn connection(
        &mut self,
        input: machine::Input,
        w: &World,
        jitter: f64,
        out: &mut Vec<Command>,
    ) {
        let commands = self.machine.step(input, w.now, jitter);
        for command in commands {
            match command {
                machine::Command::WakeAt(at) => self.wakes.machine = Some(at),
                other => out.push(Command::Connection(other)),
            }
        }
        let status = self.machine.status();
        if status != self.own_status {
            self.own_status = status.clone();
            let connected = status.state == ConnectionState::Connected;
            if let Some(o) = self.outbox.as_mut() {
                let commands = o.set_online(connected, w.now);
                self.outbox_commands(commands, w, out);
            }
            let commands = self.tabs.own_status(status);
            self.tab_commands(commands, w, jitter, out);
        }
    }

    fn tab_commands(
        &mut self,
        commands: Vec<TabCommand>,
        w: &World,
        jitter: f64,
        out: &mut Vec<Command>,
    ) {
        for command in commands {
            match command {
                TabCommand::RequestLock => out.push(Command::RequestLock),
                TabCommand::ReleaseLock => out.push(Command::ReleaseLock),
                TabCommand::Post(m) => out.push(Command::Post(m)),
                TabCommand::ShowStatus(s) => out.push(Command::ShowStatus(s)),
                TabCommand::StartSocket { take_over } => {
                    self.start_socket(take_over, w, jitter, out)
                }
                TabCommand::StopSocket => {
                    self.stop_outbox();
                    self.connection(machine::Input::Logout, w, jitter, out);
                    out.push(Command::ShowStatus(self.machine.status()));
                }
                TabCommand::Follow(relays) => {
                    if let Some(live) = self.live.as_mut() {
                        let o = live.follow(&relays, w);
                        self.live_out(o, w, out);
                    }
                }
                TabCommand::Adopt(cursor) => {
                    if let Some(live) = self.live.as_mut() {
                        live.adopt(cursor);
                    }
                }
                TabCommand::UseSession(r) => {
                    self.from_others = Some(r.token.clone());
                    out.push(Command::UseSession(r));
                }
                TabCommand::SignOut { expired } => out.push(Command::SignOut { expired }),
                TabCommand::Outbox(ask) => self.outbox_ask(ask, w, out),
                TabCommand::ShowOutbox(items) => out.push(Command::ShowOutbox(items)),
            }
        }
    }

    /// This tab no longer runs the outbox (it let the socket go, or the session ended).
    fn stop_outbox(&mut self) {
        self.outbox = None;
        self.wakes.outbox = None;
    }

    /// This tab holds the socket now (alone, or leading): connect, relay, run the outbox.
    fn start_socket(&mut self, take_over: bool, w: &World, jitter: f64, out: &mut Vec<Command>) {
        let leading = self.tabs.leadership() == Leadership::Leading;
        if let Some(live) = self.live.as_mut() {
            live.set_relaying(leading);
            if take_over {
                live.take_over();
            }
        }
        let Some(session) = &self.session else {
            return;
        };
        let lifetime = lifetime_left(session.lifetime_ms, session.token_at, w.now);
        if self.outbox.is_none() {
            out.push(Command::RestoreOutbox {
                user: session.user.clone(),
            });
        }
        self.connection(
            machine::Input::Start {
                lifetime_ms: lifetime,
            },
            w,
            jitter,
            out,
        );
    }

    /// The stored outbox arrived: run it (this tab holds the socket).
    fn restored(&mut self, user: String, stored: Stored, w: &World, out: &mut Vec<Command>) {
        let Some(session) = self.session.as_ref().filter(|s| s.user == user) else {
            return;
        };
        if !self.leadership().has_socket() || self.outbox.is_some() {
            return;
        }
        // A shared computer's session takes nothing stored.
        let stored = if session.shared {
            Stored::default()
        } else {
            stored
        };
        let mut outbox = Outbox::restore(stored, &session.tag, self.config.connection.backoff);
        let mut commands =
            outbox.set_online(self.own_status.state == ConnectionState::Connected, w.now);
        if outbox.discarded() > 0 {
            // What was discarded is not kept either.
            commands.insert(0, outbox::Command::Persist(outbox.stored()));
        }
        self.outbox = Some(outbox);
        self.outbox_commands(commands, w, out);
    }

    fn outbox_ask(&mut self, ask: OutboxAsk, w: &World, out: &mut Vec<Command>) {
        let Some(o) = self.outbox.as_mut() else {
            return;
        };
        let commands = match ask {
            OutboxAsk::Add {
                path,
                body,
                label,
                key,
                request_id,
            } => o.add(&path, body, &label, key, request_id, w.now),
            OutboxAsk::Retry { id } => o.retry(id, w.now),
            OutboxAsk::Discard { id } => o.discard(id, w.now),
        };
        self.outbox_commands(commands, w, out);
    }

    fn outbox_commands(
        &mut self,
        commands: Vec<outbox::Command>,
        w: &World,
        out: &mut Vec<Command>,
    ) {
        for command in commands {
            match command {
                outbox::Command::Send(item) => out.push(Command::SendCreate(item)),
                outbox::Command::Delivered { item, answer } => {
                    self.delivered(&item, answer, w, out)
                }
                outbox::Command::Persist(stored) => {
                    let Some(session) = &self.session else {
                        continue;
                    };
                    out.push(Command::StoreOutbox {
                        user: session.user.clone(),
                        stored: (!session.shared).then(|| stored.clone()),
                    });
                    out.push(Command::ShowOutbox(stored.items.clone()));
                    posts(self.tabs.outbox_changed(stored.items), out);
                }
                outbox::Command::WakeAt(at) => self.wakes.outbox = Some(at),
            }
        }
    }

    /// A queued create went through: its answer goes into the caches at once (the server's
    /// events follow and change nothing more).
    fn delivered(&mut self, item: &Item, answer: RawJson, w: &World, out: &mut Vec<Command>) {
        match outbox::delivered(&item.path) {
            Delivered::Refetch(key) => self.invalidate(&Invalidation::own(key), w, out),
            Delivered::WriteMessage => {
                if let Ok(message) = answer.read::<Message>() {
                    self.write_messages(vec![message], w, out);
                }
            }
            Delivered::Nothing => {}
        }
    }

    fn write_messages(&mut self, messages: Vec<Message>, w: &World, out: &mut Vec<Command>) {
        out.push(Command::Write(Action::Messages(messages)));
        // The unread total rises in place at once; a total on its way predates it. And the
        // server's total is fetched again after the window: a total that already counted a
        // message whose frame was still on its way (a hidden tab hands frames over late)
        // would otherwise count it twice.
        self.queries.written(&unread_key());
        self.invalidate(&Invalidation::own(unread_key()), w, out);
    }

    /// Carries out what the live core decided.
    fn live_out(&mut self, o: Out, w: &World, out: &mut Vec<Command>) {
        let Some(user) = self.user().map(str::to_owned) else {
            return;
        };
        if let Some(id) = o.saw_event {
            self.queries.saw_event(id);
        }
        for action in o.actions {
            match action {
                Action::Messages(messages) => self.write_messages(messages, w, out),
                Action::RefreshUnread => self.invalidate(&Invalidation::own(unread_key()), w, out),
                Action::Invalidate(inv) => self.invalidate(&inv, w, out),
                Action::ResetAll => {
                    // The inbox merges what it holds into each fetch: nothing held is
                    // trusted now, but it stays shown until the refetch replaces it.
                    self.distrust(messages_key(), out);
                    let commands = self.queries.invalidate_all(w.now);
                    self.query_commands(commands, out);
                }
                Action::Fetch { query, polling } => out.push(Command::FetchMissed {
                    user: user.clone(),
                    query,
                    polling,
                }),
                Action::SaveCursor(cursor) => {
                    if self.session.as_ref().is_some_and(|s| !s.shared) {
                        out.push(Command::SaveCursor {
                            user: user.clone(),
                            cursor,
                        });
                    }
                }
                other @ (Action::ConversationRead(_)
                | Action::MessageRead(_)
                | Action::Unread(_)
                | Action::Preferences(_)) => out.push(Command::Write(other)),
            }
        }
        if !o.relay.is_empty() {
            posts(self.tabs.relay(o.relay), out);
        }
        if !o.applied.is_empty() {
            out.push(Command::Applied(o.applied));
        }
        if !o.toasts.is_empty() {
            out.push(Command::Toasts(o.toasts));
        }
        if o.sound {
            out.push(Command::Sound);
        }
        out.extend(o.browser.into_iter().map(Command::Alert));
        self.wakes.live = o.wake_at;
    }

    fn invalidate(&mut self, inv: &Invalidation, w: &World, out: &mut Vec<Command>) {
        let commands = self.queries.invalidate(inv, w.now);
        self.query_commands(commands, out);
    }

    fn distrust(&mut self, key: QueryKey, out: &mut Vec<Command>) {
        self.queries.forget(&key);
        out.push(Command::Distrust(key));
    }

    fn query(&mut self, q: QueryInput, w: &World, out: &mut Vec<Command>) {
        let commands = match q {
            QueryInput::Mounted { key, stale_after } => {
                self.queries.set_stale_time(&key, stale_after);
                self.queries.mounted(&key, w.now)
            }
            QueryInput::Unmounted(key) => {
                self.queries.unmounted(&key);
                Vec::new()
            }
            QueryInput::Invalidate(inv) => self.queries.invalidate(&inv, w.now),
            QueryInput::Written(key) => {
                self.queries.written(&key);
                Vec::new()
            }
            QueryInput::Distrust(key) => {
                self.distrust(key, out);
                Vec::new()
            }
            QueryInput::Fetched { key, versions } => self.queries.fetched(&key, versions, w.now),
            QueryInput::Failed(key) => {
                let commands = self.queries.failed(&key, w.now);
                out.push(Command::Retrying {
                    again: !self.queries.gave_up(&key),
                    key,
                });
                commands
            }
        };
        self.query_commands(commands, out);
    }

    fn query_commands(&mut self, commands: Vec<QueryCommand>, out: &mut Vec<Command>) {
        for command in commands {
            match command {
                QueryCommand::Fetch { key, foreign } => out.push(Command::Fetch { key, foreign }),
                QueryCommand::WakeAt(at) => self.wakes.queries = Some(at),
            }
        }
    }

    /// The one timer fired: every part that is due is woken.
    fn tick(&mut self, w: &World, jitter: f64, out: &mut Vec<Command>) {
        let due = |at: Option<u64>| at.is_some_and(|t| t <= w.now);
        if due(self.wakes.machine) {
            self.wakes.machine = None;
            self.connection(machine::Input::Tick, w, jitter, out);
        }
        if due(self.wakes.live) {
            self.wakes.live = None;
            if let Some(live) = self.live.as_mut() {
                let o = live.tick(w);
                self.live_out(o, w, out);
            }
        }
        if due(self.wakes.outbox) {
            self.wakes.outbox = None;
            if let Some(o) = self.outbox.as_mut() {
                let commands = o.tick(w.now);
                self.outbox_commands(commands, w, out);
            }
        }
        if due(self.wakes.queries) {
            self.wakes.queries = None;
            let commands = self.queries.tick(w.now);
            self.query_commands(commands, out);
        }
    }

    /// After every input: polling follows whether live updates are paused, and the one
    /// timer is asked for the earliest wake-up.
    fn after(&mut self, w: &World, out: &mut Vec<Command>) {
        // Only a tab with a socket polls while live updates are paused (a follower shows its
        // leader's state; the leader polls for the browser).
        let paused = self.own_status.degraded && self.tabs.leadership().has_socket();
        if paused != self.paused {
            self.paused = paused;
            if let Some(live) = self.live.as_mut() {
                let o = live.paused(paused, w.now);
                self.live_out(o, w, out);
            }
        }
        let next = self.wakes.next();
        if next != self.timer {
            self.timer = next;
            out.push(Command::WakeAt(next));
        }
    }
}

/// What the tabs' part says to post, when it can only say that (relays, the outbox's items).
fn posts(commands: Vec<TabCommand>, out: &mut Vec<Command>) {
    out.extend(commands.into_iter().filter_map(|c| match c {
        TabCommand::Post(m) => Some(Command::Post(m)),
        _ => None,
    }));
}

#[cfg(test)]
mod tests;
