//! Boots the app: the query client, the session restored through the refresh cookie with the
//! first page's lists on their way right behind it (both usually asked for already by the
//! page's boot script, `static/boot.js`), then the renderer.

// The allocator: talc instead of the standard library's dlmalloc (smaller in the wasm and
// faster; docs/performance-notes.md).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        use ppt_web::app::{prefetch, App, AppProps};
        use ppt_web::hooks::QueryClient;
        use ppt_web::route::Route;
        use ppt_web::store::session::{Session, SessionAction};
        use yew_router::Routable;
        use yewdux::Dispatch;

        // The real-time executor, and the query client over it.
        let client = QueryClient::new(ppt_web::ws::Executor::new(&yewdux::Context::global()));
        let session = Dispatch::<Session>::global();
        // The page the address names, as the router will read it.
        let path = web_sys::window().and_then(|w| w.location().pathname().ok());
        let route = Route::recognize(path.as_deref().unwrap_or("/")).unwrap_or(Route::NotFound);
        if session.get().restoring {
            // The access token lives in memory only: a new page asks for it at once, before
            // the first render, and the page's lists leave the moment it arrives (the page,
            // mounting meanwhile, shares those requests).
            let client = client.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // The page's boot script has usually asked already, while the wasm downloaded.
                let restored = match ppt_web::browser::boot::take_session().await {
                    Some(answer) => answer.and_then(|text| ppt_web::api::read(&text)),
                    None => ppt_web::api::refresh().await,
                };
                match restored {
                    Ok(r) => {
                        session.apply(SessionAction::LoggedIn(r));
                        prefetch(&route, &client);
                    }
                    Err(e) => {
                        // The server says the session is over (signed out from elsewhere,
                        // expired): what the last user left in this browser goes too.
                        if e.is_unauthorized() {
                            ppt_web::browser::traces::forget_all_but(None);
                        }
                        session.apply(SessionAction::NothingToRestore);
                    }
                }
            });
        }
        yew::Renderer::<App>::with_props(AppProps { client }).render();
    }
}
