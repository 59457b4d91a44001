//! Boots the app: the query client, the first page's lists on their way, then the renderer.

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        use ppt_web::app::{prefetch, App, AppProps, Route};
        use ppt_web::hooks::QueryClient;
        use yew_router::Routable;
        use yewdux::Dispatch;

        let client = QueryClient::new(Dispatch::global(), Dispatch::global());
        let session = Dispatch::<ppt_web::store::session::Session>::global().get();
        let path = web_sys::window().and_then(|w| w.location().pathname().ok());
        if let (true, Some(route)) = (
            session.is_logged_in(),
            path.as_deref().and_then(Route::recognize),
        ) {
            prefetch(&route, &client);
        }
        yew::Renderer::<App>::with_props(AppProps { client }).render();
    }
}
