//! Boots the renderer, nothing else.

fn main() {
    #[cfg(target_arch = "wasm32")]
    yew::Renderer::<ppt_web::app::App>::new().render();
}
