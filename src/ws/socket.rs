//! The browser's WebSockets: opened, written to and closed as the executor says, each
//! known by the client's number for it; what they report goes back through callbacks.

use std::collections::HashMap;

use ppt_protocol::ClientFrame;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::config;
use ppt_realtime::machine::SocketId;

/// Where the socket is: the address the server put in the page (`--public-ws-url`), else the
/// one built in (`PPT_WS_URL`), else the page's own origin.
pub fn page_ws_url() -> String {
    let given = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=\"ppt-ws-url\"]").ok().flatten())
        .and_then(|m| m.get_attribute("content"));
    let location = web_sys::window().map(|w| w.location());
    let protocol = location
        .as_ref()
        .and_then(|l| l.protocol().ok())
        .unwrap_or_else(|| "http:".into());
    let host = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .unwrap_or_default();
    config::ws_url(given.as_deref(), &protocol, &host)
}

/// A socket and the closures it calls (kept alive as long as the socket is).
pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Stops listening and closes with `code`.
    pub fn close(self, code: u16) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close_with_code(code);
    }
}

/// The open sockets (only the current one is ever used; older ones are closing).
pub struct Sockets {
    url: String,
    open: HashMap<SocketId, Socket>,
}

impl Sockets {
    pub fn new(url: String) -> Self {
        Sockets {
            url,
            open: HashMap::new(),
        }
    }

    /// Opens socket `socket`; `false`: the browser refused the address.
    pub fn open(
        &mut self,
        socket: SocketId,
        on_open: impl Fn() + 'static,
        on_message: impl Fn(String) + 'static,
        on_close: impl Fn(u16) + 'static,
    ) -> bool {
        let Ok(ws) = WebSocket::new(&self.url) else {
            return false;
        };
        let on_open = Closure::<dyn FnMut()>::new(on_open);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(text) = e.data().as_string() {
                on_message(text);
            }
        });
        let on_close =
            Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| on_close(e.code()));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.open.insert(
            socket,
            Socket {
                ws,
                _on_open: on_open,
                _on_message: on_message,
                _on_close: on_close,
            },
        );
        true
    }

    pub fn send(&self, socket: SocketId, frame: &ClientFrame) {
        if let Some(s) = self.open.get(&socket) {
            let _ = s.ws.send_with_str(&frame.to_json());
        }
    }

    /// Sends on `current` if it is open; whether it went.
    pub fn send_current(&self, current: Option<SocketId>, frame: &ClientFrame) -> bool {
        match current.and_then(|id| self.open.get(&id)) {
            Some(s) if s.ws.ready_state() == WebSocket::OPEN => {
                s.ws.send_with_str(&frame.to_json()).is_ok()
            }
            _ => false,
        }
    }

    /// Forgets `socket` (closed, or to be closed by the caller).
    pub fn remove(&mut self, socket: SocketId) -> Option<Socket> {
        self.open.remove(&socket)
    }
}

impl Drop for Sockets {
    fn drop(&mut self) {
        for (_, s) in self.open.drain() {
            s.close(1000);
        }
    }
}
