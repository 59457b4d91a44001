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

/// A browser-wide lock held (or waited for) until dropped: dropping it releases the lock, or
/// stops waiting for it. The browser also releases it when the tab closes or crashes.
pub struct Held {
    release: std::rc::Rc<std::cell::RefCell<Option<js_sys::Function>>>,
    abort: web_sys::AbortController,
}

/// Asks for the lock `name` and calls `granted` once it is this tab's (at once when free,
/// else when every earlier holder has let go). `None`: the browser has no Web Locks.
pub fn hold(name: &str, granted: impl FnOnce() + 'static) -> Option<Held> {
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::{Function, Object, Promise, Reflect};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};

    let locks = available()?;
    let request: Function = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()?
        .dyn_into()
        .ok()?;
    let abort = web_sys::AbortController::new().ok()?;
    let options = Object::new();
    Reflect::set(&options, &JsValue::from_str("signal"), &abort.signal()).ok()?;
    let release: Rc<RefCell<Option<Function>>> = Rc::default();
    let slot = release.clone();
    // The lock is held until the promise this returns settles: when `Held` is dropped.
    let on_grant = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        let held = Promise::new(&mut |resolve, _reject| *slot.borrow_mut() = Some(resolve));
        granted();
        held.into()
    });
    let asked: Promise = request
        .call3(&locks, &JsValue::from_str(name), &options, &on_grant)
        .ok()?
        .dyn_into()
        .ok()?;
    // Waiting stopped by `abort` rejects: expected, not an error.
    let ignore = Closure::once_into_js(|_: JsValue| {});
    if let Ok(catch) = Reflect::get(&asked, &JsValue::from_str("catch")) {
        let _ = catch.unchecked_into::<Function>().call1(&asked, &ignore);
    }
    Some(Held { release, abort })
}

impl Drop for Held {
    fn drop(&mut self) {
        match self.release.borrow_mut().take() {
            Some(resolve) => {
                let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
            }
            None => self.abort.abort(),
        }
    }
}

/// `navigator.locks`, where the browser has it (secure contexts).
pub fn available() -> Option<wasm_bindgen::JsValue> {
    use wasm_bindgen::JsValue;
    let navigator = web_sys::window()?.navigator();
    js_sys::Reflect::get(&navigator, &JsValue::from_str("locks"))
        .ok()
        .filter(|l| !l.is_undefined() && !l.is_null())
}
