//! System notifications: permission is asked only from a user's click on the settings page;
//! a notification is shown only when permitted (and the caller decides: when the tab is
//! hidden); clicking it focuses the tab and opens the item. Those this page raised are kept
//! track of, so that a session's end closes them ([`close_all`]): none stays in the system's
//! notification centre with a private message in it.

use std::cell::RefCell;

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
    RAISED.with(|raised| {
        let mut raised = raised.borrow_mut();
        // One per tag at a time (the system replaces a notification of the same tag).
        raised.retain(|old| old.tag().as_deref() != Some(tag));
        raised.push(n);
    });
}

thread_local! {
    /// The notifications this page raised and has not closed.
    static RAISED: RefCell<Vec<Notification>> = const { RefCell::new(Vec::new()) };
}

/// How many notifications this page raised are still open (for tests).
pub fn open_count() -> usize {
    RAISED.with(|raised| raised.borrow().len())
}

/// Closes every notification this page raised, and every one the service worker holds for
/// the app (a session's end: nothing of it stays in the notification centre).
pub fn close_all() {
    for n in RAISED.with(|raised| std::mem::take(&mut *raised.borrow_mut())) {
        n.close();
    }
    let Some(container) = web_sys::window().map(|w| w.navigator().service_worker()) else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(registration) =
            wasm_bindgen_futures::JsFuture::from(container.get_registration()).await
        else {
            return;
        };
        let Ok(registration) = registration.dyn_into::<web_sys::ServiceWorkerRegistration>() else {
            return;
        };
        let Ok(promise) = registration.get_notifications() else {
            return;
        };
        if let Ok(list) = wasm_bindgen_futures::JsFuture::from(promise).await {
            for n in js_sys::Array::from(&list).iter() {
                if let Ok(n) = n.dyn_into::<Notification>() {
                    n.close();
                }
            }
        }
    });
}
