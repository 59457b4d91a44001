//! The router: the page shown follows the address bar. The current [`Route`] is a store
//! ([`Location`]); [`navigate`] pushes an address onto the browser's history and
//! [`link`] renders an `<a>` that does so on a plain click; the browser's back and forward
//! buttons (`popstate`) set the store again. Made by hand on `History` instead of yew-router:
//! it is all this app needs of a router, at a fraction of its weight (docs/performance-notes.md).

use std::rc::Rc;

use yew::prelude::*;

use crate::route::Route;
use crate::store::dispatch::{use_store_value, Context, Dispatch, Store};

/// The page the address bar shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location(pub Route);

impl Store for Location {
    fn new(_cx: &Context) -> Self {
        Location(current())
    }

    fn should_notify(&self, old: &Self) -> bool {
        self != old
    }
}

/// The page at the browser's address (the dashboard outside a browser).
fn current() -> Route {
    #[cfg(target_arch = "wasm32")]
    {
        let path = web_sys::window().and_then(|w| w.location().pathname().ok());
        Route::recognize(path.as_deref().unwrap_or("/"))
    }
    #[cfg(not(target_arch = "wasm32"))]
    Route::Dashboard
}

/// Starts following the browser's back and forward buttons (once, at start).
pub fn follow_history() {
    if let Some(window) = web_sys::window() {
        gloo_events::EventListener::new(&window, "popstate", |_| {
            Dispatch::<Location>::global().set(Location(current()));
        })
        .forget();
    }
}

/// Shows `route`, with a new entry in the browser's history.
pub fn navigate(route: Route) {
    go(route, false);
}

/// Shows `route` in place of the current entry (a redirect: Back does not return to it).
pub fn replace(route: Route) {
    go(route, true);
}

fn go(route: Route, replace: bool) {
    let dispatch = Dispatch::<Location>::global();
    if dispatch.get().0 == route {
        return;
    }
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let path = route.to_path();
        let _ = if replace {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path))
        } else {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path))
        };
    }
    dispatch.set(Location(route));
}

/// The page shown now, re-rendering the component when it changes.
#[hook]
pub fn use_route() -> Route {
    let location: Rc<Location> = use_store_value::<Location>();
    location.0.clone()
}

/// A link to `to`: a real `<a href>` (it opens in a new tab, can be copied), which a plain
/// click follows without reloading the page.
pub fn link(to: Route, class: Classes, children: Html) -> Html {
    let href = to.to_path();
    let onclick = Callback::from(move |e: MouseEvent| {
        if e.button() == 0 && !(e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key()) {
            e.prevent_default();
            navigate(to.clone());
        }
    });
    html! { <a {href} {class} {onclick}>{ children }</a> }
}

#[derive(Properties, PartialEq)]
pub struct RedirectProps {
    pub to: Route,
}

/// Goes to `to` once rendered, in place of the current page.
#[function_component]
pub fn Redirect(props: &RedirectProps) -> Html {
    let to = props.to.clone();
    use_effect_with((), move |_| replace(to));
    html! {}
}
