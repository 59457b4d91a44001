//! The header's unread-messages badge (`data-testid="unread-count"`): its text is the exact
//! number (the contract says so), and it is absent at zero.

use yew::prelude::*;

/// The badge for `count` unread messages. A plain function, not a component: it has no
/// state, and each component costs ~1.4 KB of Yew's machinery in the wasm.
pub fn unread_badge(count: u64) -> Html {
    if count == 0 {
        return html! {};
    }
    let label = if count == 1 {
        "1 unread message".to_owned()
    } else {
        format!("{count} unread messages")
    };
    html! {
        <span class="badge" data-testid="unread-count" data-count={count.to_string()} aria-label={label}>{ count }</span>
    }
}
