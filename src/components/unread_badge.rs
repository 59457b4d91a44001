//! The header's unread-messages badge (`data-testid="unread-count"`): its text is the exact
//! number (the contract says so), and it is absent at zero.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct UnreadBadgeProps {
    pub count: u64,
}

#[function_component]
pub fn UnreadBadge(props: &UnreadBadgeProps) -> Html {
    if props.count == 0 {
        return html! {};
    }
    let label = if props.count == 1 {
        "1 unread message".to_owned()
    } else {
        format!("{} unread messages", props.count)
    };
    html! {
        <span class="badge" data-testid="unread-count" data-count={props.count.to_string()} aria-label={label}>{ props.count }</span>
    }
}
