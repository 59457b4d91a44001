//! A page that has no content yet.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PlaceholderProps {
    pub title: AttrValue,
}

/// A titled, empty page.
#[function_component]
pub fn Placeholder(props: &PlaceholderProps) -> Html {
    html! {
        <section class="card">
            <h1>{ props.title.clone() }</h1>
            <p class="muted">{ "Coming soon." }</p>
        </section>
    }
}
