//! `OutboxList`: the creates of one kind waiting in the outbox, shown where they were made
//! (the inbox shows waiting messages, the faults page waiting reports), each with its state
//! and, unless it is on its way, "Try again" (when it failed) and "Discard".

use yew::prelude::*;
use yewdux::use_store_value;

use crate::hooks::use_websocket;
use crate::store::outbox::OutboxView;
use ppt_realtime::outbox::{Item, ItemState};
use ppt_realtime::tabs::OutboxAsk;

#[derive(Properties, PartialEq)]
pub struct OutboxListProps {
    /// Which creates to show: those sent to this path (`/messages`, `/faults`); a path
    /// ending in `/` shows those under it (`/votes/` shows ballots).
    pub path: &'static str,
}

fn state_text(item: &Item) -> String {
    match item.state {
        ItemState::Queued if item.error.is_some() => {
            format!("Waiting: {}", item.error.as_deref().unwrap_or_default())
        }
        ItemState::Queued if item.attempts > 0 => "Waiting for the connection (will retry)".into(),
        ItemState::Queued => "Waiting for the connection".into(),
        ItemState::Sending => "Sending…".into(),
        ItemState::Failed => format!(
            "Not sent: {}",
            item.error.as_deref().unwrap_or("the server refused it")
        ),
    }
}

#[function_component]
pub fn OutboxList(props: &OutboxListProps) -> Html {
    let view = use_store_value::<OutboxView>();
    let ws = use_websocket();
    let items: Vec<&Item> = view
        .items
        .iter()
        .filter(|i| {
            i.path == props.path || (props.path.ends_with('/') && i.path.starts_with(props.path))
        })
        .collect();
    if items.is_empty() {
        return html! {};
    }
    let ask = |ask: OutboxAsk| {
        let ws = ws.clone();
        Callback::from(move |_: MouseEvent| ws.outbox_ask(ask.clone()))
    };
    html! {
        <ul class="outbox" aria-label="Waiting to be sent">
            { for items.into_iter().map(|i| html! {
                <li key={i.id} class={classes!("outbox-item", format!("outbox-{}", i.state.as_str()))}
                    data-testid="outbox-item" data-state={i.state.as_str()} data-id={i.id.to_string()}>
                    <span class="outbox-label">{ i.label.clone() }</span>
                    <span class="outbox-state muted" role={(i.state == ItemState::Failed).then_some("alert")}>{ state_text(i) }</span>
                    if i.state != ItemState::Sending {
                        <span class="outbox-actions">
                            if i.state == ItemState::Failed {
                                <button class="link-button" data-testid="outbox-retry" onclick={ask(OutboxAsk::Retry { id: i.id })}>{ "Try again" }</button>
                            }
                            <button class="link-button" data-testid="outbox-discard" onclick={ask(OutboxAsk::Discard { id: i.id })}>{ "Discard" }</button>
                        </span>
                    }
                </li>
            }) }
        </ul>
    }
}
