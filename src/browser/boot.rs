//! What the page's boot script (`static/boot.js`, inlined into index.html) started before the
//! wasm ran: the session restore and the first page's lists, requested while the app still
//! downloaded. Each answer is taken once, by the request it stands for; later requests go to
//! the network as usual.

use crate::api::ApiError;

/// The boot script's answer for `key` (`session`, or a list's path under `lists`), taken so
/// that nothing else uses it: its text for a 2xx, else the error it stands for. `None` when
/// the boot script asked nothing of the kind (an older page, another address, `trunk serve`
/// before the script ran) or the answer was taken already.
#[cfg(target_arch = "wasm32")]
async fn take(list: Option<&str>) -> Option<Result<String, ApiError>> {
    use js_sys::{Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    let window: JsValue = web_sys::window()?.into();
    let boot = Reflect::get(&window, &JsValue::from_str("__pptBoot")).ok()?;
    let (holder, name) = match list {
        None => (boot, JsValue::from_str("session")),
        Some(path) => (
            Reflect::get(&boot, &JsValue::from_str("lists")).ok()?,
            JsValue::from_str(path),
        ),
    };
    let promise = Reflect::get(&holder, &name)
        .ok()?
        .dyn_into::<Promise>()
        .ok()?;
    let _ = Reflect::delete_property(holder.unchecked_ref::<js_sys::Object>(), &name);
    Some(match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(answer) => {
            let field = |k: &str| Reflect::get(&answer, &JsValue::from_str(k)).ok();
            let status = field("status").and_then(|s| s.as_f64()).unwrap_or(0.0) as u16;
            let text = field("text")
                .and_then(|t| t.as_string())
                .unwrap_or_default();
            if (200..300).contains(&status) {
                Ok(text)
            } else {
                Err(ApiError::from_body(status, &text))
            }
        }
        Err(_) => Err(ApiError::Network("the request failed".into())),
    })
}

#[cfg(not(target_arch = "wasm32"))]
async fn take(_list: Option<&str>) -> Option<Result<String, ApiError>> {
    None
}

/// The session restore the boot script started (`POST /auth/refresh`), if it did.
pub async fn take_session() -> Option<Result<String, ApiError>> {
    take(None).await
}

/// The list at `path` (under `/api/v1`) the boot script requested, if it did and it arrived:
/// a failed one is left to the app's own request.
pub async fn take_list(path: &str) -> Option<String> {
    take(Some(path)).await.and_then(Result::ok)
}
