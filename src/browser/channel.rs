//! BroadcastChannel: text messages to the other tabs of this browser (same origin). Closed
//! when dropped.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

/// An open channel and its listener.
pub struct Channel {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Channel {
    /// Opens `name`; `on_message` gets each text another tab posts. `None`: the browser has
    /// no BroadcastChannel.
    pub fn open(name: &str, on_message: impl Fn(String) + 'static) -> Option<Channel> {
        let has = web_sys::window()
            .is_some_and(|w| js_sys::Reflect::has(&w, &"BroadcastChannel".into()).unwrap_or(false));
        if !has {
            return None;
        }
        let channel = BroadcastChannel::new(name).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(text) = e.data().as_string() {
                on_message(text);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Channel {
            channel,
            _on_message: on_message,
        })
    }

    /// Posts to every other tab on the channel (not to this one).
    pub fn post(&self, text: &str) {
        let _ = self.channel.post_message(&text.into());
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
