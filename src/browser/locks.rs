//! Web Locks: one tab at a time for work that must not overlap across the tabs of a browser
//! (spending the refresh cookie: two tabs refreshing with the same cookie at once would look
//! to the server like a stolen token). Where the browser has no Web Locks (an insecure
//! context), the work simply runs.

use std::future::Future;

/// Runs `work` while holding the browser-wide lock `name`; `None` if the lock could not be
/// asked for after all (the work did not run).
#[cfg(target_arch = "wasm32")]
pub async fn exclusive<F, T>(name: &str, work: F) -> Option<T>
where
    F: Future<Output = T> + 'static,
    T: 'static,
{
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::{Function, Promise, Reflect};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::{future_to_promise, JsFuture};

    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks"))
        .ok()
        .filter(|l| !l.is_undefined() && !l.is_null());
    let Some(locks) = locks else {
        return Some(work.await);
    };
    let request: Function = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()?
        .dyn_into()
        .ok()?;
    let slot: Rc<RefCell<Option<T>>> = Rc::default();
    let filled = slot.clone();
    // Called once, with the lock held until the promise it returns settles.
    let granted = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        future_to_promise(async move {
            *filled.borrow_mut() = Some(work.await);
            Ok(JsValue::UNDEFINED)
        })
        .into()
    });
    let released: Promise = request
        .call2(&locks, &JsValue::from_str(name), &granted)
        .ok()?
        .dyn_into()
        .ok()?;
    let _ = JsFuture::from(released).await;
    let out = slot.borrow_mut().take();
    out
}

/// Outside the browser there is one "tab": the work runs.
#[cfg(not(target_arch = "wasm32"))]
pub async fn exclusive<F, T>(_name: &str, work: F) -> Option<T>
where
    F: Future<Output = T> + 'static,
    T: 'static,
{
    Some(work.await)
}
