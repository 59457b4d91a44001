//! `WsService`: one connection's browser resources, driven by the [`Machine`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_render::{request_animation_frame, AnimationFrame};
use gloo_timers::callback::Timeout;
use ppt_protocol::{ClientFrame, Envelope, ServerEvent};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};
use yew::Callback;
use yewdux::Dispatch;

use crate::api;
use crate::browser::clock::now_ms;
use crate::store::session::{Session, SessionAction};
use ppt_realtime::machine::SocketId;
use ppt_realtime::subscriptions::{Pattern, Registry};
use ppt_realtime::{Command, ConnectionConfig, Input, Machine, StatusView};

/// A socket and the closures it calls (kept alive as long as the socket is).
struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    fn detach(&self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
    }
}

struct Inner {
    machine: Machine,
    url: String,
    /// The token's one home: `auth` frames read it from here when the machine asks.
    session: Dispatch<Session>,
    sockets: HashMap<SocketId, Socket>,
    wake: Option<Timeout>,
    subscribers: Registry<Callback<Batch>>,
    /// Frames received and not yet handed to subscribers, and what will hand them over.
    queued: Vec<Rc<Envelope>>,
    delivery: Option<(AnimationFrame, Timeout)>,
    on_status: Callback<StatusView>,
    on_auth_lost: Callback<()>,
    _listeners: Vec<EventListener>,
}

/// One animation frame's frames, in arrival order: what a subscriber receives at once.
pub type Batch = Rc<[Rc<Envelope>]>;

/// The app's one connection. Cheap to clone; everything is released when the last clone
/// is dropped, including a socket still connecting.
#[derive(Clone)]
pub struct WsService {
    inner: Rc<RefCell<Inner>>,
}

impl PartialEq for WsService {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl WsService {
    /// A service for `url`, authenticating with the session's token (a renewed one goes
    /// into the session); callbacks tell of status changes and of a session that cannot be
    /// renewed.
    pub fn new(
        url: String,
        config: ConnectionConfig,
        session: Dispatch<Session>,
        on_status: Callback<StatusView>,
        on_auth_lost: Callback<()>,
    ) -> Self {
        let inner = Rc::new(RefCell::new(Inner {
            machine: Machine::new(config),
            url,
            session,
            sockets: HashMap::new(),
            wake: None,
            subscribers: Registry::default(),
            queued: Vec::new(),
            delivery: None,
            on_status,
            on_auth_lost,
            _listeners: Vec::new(),
        }));
        let service = WsService { inner };
        service.listen_to_the_browser();
        service
    }

    fn listen_to_the_browser(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let mut listeners = Vec::new();
        for (event, input) in [("online", Input::Online), ("offline", Input::Offline)] {
            let weak = Rc::downgrade(&self.inner);
            listeners.push(EventListener::new(&window, event, move |_| {
                feed(&weak, input.clone())
            }));
        }
        if let Some(document) = window.document() {
            let weak = Rc::downgrade(&self.inner);
            let doc = document.clone();
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    if doc.visibility_state() == web_sys::VisibilityState::Visible {
                        feed(&weak, Input::Visible);
                    }
                },
            ));
        }
        let offline = !window.navigator().on_line();
        self.inner.borrow_mut()._listeners = listeners;
        if offline {
            self.input(Input::Offline);
        }
    }

    /// Connects (or keeps connecting) with the session's token, valid for `lifetime_ms`
    /// from now.
    pub fn start(&self, lifetime_ms: Option<u64>) {
        self.input(Input::Start { lifetime_ms });
    }

    /// Logs out: closes with 1000 and stops.
    pub fn logout(&self) {
        self.input(Input::Logout);
    }

    /// Tries at once instead of waiting out the backoff.
    pub fn reconnect_now(&self) {
        self.input(Input::RetryNow);
    }

    /// Sends a frame on the current socket, if one is open; returns whether it went.
    pub fn send(&self, frame: &ClientFrame) -> bool {
        let inner = self.inner.borrow();
        let current = inner
            .machine
            .current_socket()
            .and_then(|id| inner.sockets.get(&id));
        match current {
            Some(s) if s.ws.ready_state() == WebSocket::OPEN => {
                s.ws.send_with_str(&frame.to_json()).is_ok()
            }
            _ => false,
        }
    }

    /// The current status.
    pub fn status(&self) -> StatusView {
        self.inner.borrow().machine.status()
    }

    /// Delivers frames whose type matches `pattern` (`"message:new"`, `"notification:"`, `"*"`)
    /// until the returned guard is dropped: each animation frame's matching frames in one call.
    pub fn subscribe(&self, pattern: &str, callback: Callback<Batch>) -> SubscriptionGuard {
        let id = self
            .inner
            .borrow_mut()
            .subscribers
            .add(Pattern::parse(pattern), callback);
        SubscriptionGuard {
            inner: Rc::downgrade(&self.inner),
            id,
        }
    }

    fn input(&self, input: Input) {
        run(&self.inner, input);
    }
}

/// Unsubscribes when dropped.
pub struct SubscriptionGuard {
    inner: Weak<RefCell<Inner>>,
    id: u64,
}

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            if let Ok(mut inner) = inner.try_borrow_mut() {
                inner.subscribers.remove(self.id);
            }
        }
    }
}

fn feed(weak: &Weak<RefCell<Inner>>, input: Input) {
    if let Some(inner) = weak.upgrade() {
        run(&inner, input);
    }
}

/// Steps the machine and carries out its commands. Callbacks into Yew run after the
/// borrow is released, so they may call back into the service.
fn run(inner_rc: &Rc<RefCell<Inner>>, input: Input) {
    let (before, after, commands) = {
        let mut inner = inner_rc.borrow_mut();
        let before = inner.machine.status();
        let commands = inner.machine.step(input, now_ms(), js_sys::Math::random());
        (before, inner.machine.status(), commands)
    };
    for command in commands {
        execute(inner_rc, command);
    }
    if before != after {
        let cb = inner_rc.borrow().on_status.clone();
        cb.emit(after);
    }
}

fn execute(inner_rc: &Rc<RefCell<Inner>>, command: Command) {
    match command {
        Command::Open { socket } => open(inner_rc, socket),
        Command::Send { socket, frame } => {
            let inner = inner_rc.borrow();
            if let Some(s) = inner.sockets.get(&socket) {
                let _ = s.ws.send_with_str(&frame.to_json());
            }
        }
        Command::Authenticate { socket } => {
            let inner = inner_rc.borrow();
            let token = inner.session.get().token.clone().unwrap_or_default();
            if let Some(s) = inner.sockets.get(&socket) {
                let _ =
                    s.ws.send_with_str(&ClientFrame::auth(token, None).to_json());
            }
        }
        Command::Close { socket, code } => {
            let removed = inner_rc.borrow_mut().sockets.remove(&socket);
            if let Some(s) = removed {
                s.detach();
                let _ = s.ws.close_with_code(code);
            }
        }
        Command::WakeAt(at) => {
            let delay = at.saturating_sub(now_ms()).min(i32::MAX as u64) as u32;
            let weak = Rc::downgrade(inner_rc);
            let timer = Timeout::new(delay, move || feed(&weak, Input::Tick));
            inner_rc.borrow_mut().wake = Some(timer);
        }
        Command::RefreshToken => {
            let weak = Rc::downgrade(inner_rc);
            wasm_bindgen_futures::spawn_local(async move {
                let result = api::refresh().await;
                let Some(inner) = weak.upgrade() else { return };
                match result {
                    Ok(r) => {
                        let lifetime_ms = crate::store::session::lifetime_ms(&r);
                        let session = inner.borrow().session.clone();
                        session.apply(SessionAction::TokenRefreshed {
                            token: r.token,
                            lifetime_ms,
                        });
                        run(&inner, Input::TokenRefreshed { lifetime_ms });
                    }
                    Err(e) => run(
                        &inner,
                        Input::TokenRefreshFailed {
                            unauthorized: e.is_unauthorized(),
                        },
                    ),
                }
            });
        }
        Command::GoToLogin => {
            let cb = inner_rc.borrow().on_auth_lost.clone();
            cb.emit(());
        }
    }
}

fn open(inner_rc: &Rc<RefCell<Inner>>, socket: SocketId) {
    let url = inner_rc.borrow().url.clone();
    let ws = match WebSocket::new(&url) {
        Ok(ws) => ws,
        Err(_) => {
            // A URL the browser refuses: report it like a failed connection.
            let weak = Rc::downgrade(inner_rc);
            Timeout::new(0, move || feed(&weak, Input::Closed { socket, code: 1006 })).forget();
            return;
        }
    };
    let weak = Rc::downgrade(inner_rc);
    let on_open = Closure::<dyn FnMut()>::new(move || feed(&weak, Input::Opened { socket }));
    let weak = Rc::downgrade(inner_rc);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else {
            return;
        };
        on_frame(&weak, socket, &text);
    });
    let weak = Rc::downgrade(inner_rc);
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        if let Some(inner) = weak.upgrade() {
            inner.borrow_mut().sockets.remove(&socket);
            run(
                &inner,
                Input::Closed {
                    socket,
                    code: e.code(),
                },
            );
        }
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    inner_rc.borrow_mut().sockets.insert(
        socket,
        Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        },
    );
}

fn on_frame(weak: &Weak<RefCell<Inner>>, socket: SocketId, text: &str) {
    let Some(inner) = weak.upgrade() else { return };
    if inner.borrow().machine.current_socket() != Some(socket) {
        return;
    }
    let envelope = match Envelope::from_json(text) {
        Ok(e) => Rc::new(e),
        // A frame this build cannot read is skipped, like an unknown type.
        Err(_) => {
            run(&inner, Input::Frame { socket });
            return;
        }
    };
    let input = match envelope.event {
        ServerEvent::Authenticated(_) => Input::Authenticated { socket },
        _ => Input::Frame { socket },
    };
    run(&inner, input);
    let first = {
        let mut i = inner.borrow_mut();
        i.queued.push(envelope);
        i.queued.len() == 1
    };
    if first {
        // Frames are handed over once per animation frame, so a burst of events costs one
        // render. A hidden tab gets no animation frames: the timer hands them over then.
        let weak = Rc::downgrade(&inner);
        let frame = request_animation_frame(move |_| deliver(&weak));
        let weak = Rc::downgrade(&inner);
        let timer = Timeout::new(DELIVERY_FALLBACK_MS, move || deliver(&weak));
        inner.borrow_mut().delivery = Some((frame, timer));
    }
}

/// How long queued frames wait at most when no animation frame comes (hidden tab).
const DELIVERY_FALLBACK_MS: u32 = 100;

/// Hands the queued frames to the subscribers: each gets its matching frames, in order, in
/// one call. (This is the app's one batching layer: a burst of events costs one render.)
fn deliver(weak: &Weak<RefCell<Inner>>) {
    let Some(inner) = weak.upgrade() else { return };
    let (frames, _delivery) = {
        let mut i = inner.borrow_mut();
        (std::mem::take(&mut i.queued), i.delivery.take())
    };
    let batches: Vec<(Callback<Batch>, Batch)> = inner
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

impl Drop for Inner {
    fn drop(&mut self) {
        for (_, s) in self.sockets.drain() {
            s.detach();
            let _ = s.ws.close_with_code(1000);
        }
    }
}
