//! System notifications: permission is asked only from a user's click on the settings page;
//! a notification is shown only when permitted (and the caller decides: when the tab is
//! hidden); clicking it focuses the tab and opens the item.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Notification, NotificationOptions, NotificationPermission};
use yew::Callback;

/// Whether the browser has notifications at all.
pub fn supported() -> bool {
    web_sys::window()
        .map(|w| js_sys::Reflect::has(&w, &JsValue::from_str("Notification")).unwrap_or(false))
        .unwrap_or(false)
}

/// Whether the user granted notifications.
pub fn permitted() -> bool {
    supported() && Notification::permission() == NotificationPermission::Granted
}

/// The permission as words for the settings page.
pub fn permission_label() -> &'static str {
    if !supported() {
        return "not supported by this browser";
    }
    match Notification::permission() {
        NotificationPermission::Granted => "allowed",
        NotificationPermission::Denied => "blocked in the browser's settings",
        _ => "not asked yet",
    }
}

/// Asks for permission (call only from a click); `done` hears whether it was granted.
pub fn request_permission(done: Callback<bool>) {
    if !supported() {
        done.emit(false);
        return;
    }
    match Notification::request_permission() {
        Ok(promise) => wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            done.emit(permitted());
        }),
        Err(_) => done.emit(false),
    }
}

/// Shows a notification; clicking it focuses the tab and calls `open` with `link`.
pub fn show(title: &str, body: &str, tag: &str, link: String, open: Callback<String>) {
    if !permitted() {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag(tag);
    let Ok(n) = Notification::new_with_options(title, &options) else {
        return;
    };
    let onclick = Closure::<dyn FnMut()>::new(move || {
        if let Some(w) = web_sys::window() {
            let _ = w.focus();
        }
        open.emit(link.clone());
    });
    n.set_onclick(Some(onclick.as_ref().unchecked_ref()));
    // The notification owns its handler for as long as the page lives.
    onclick.forget();
}
