//! The "Data updated" chip: shown on a list for a few seconds after someone else's change
//! brought different data; never for my own changes or when nothing changed.

use gloo_timers::callback::Timeout;
use ppt_protocol::QueryKey;
use yew::prelude::*;

use crate::browser::clock::now_ms;
use crate::store::queries::Queries;
use yewdux::use_selector_with_deps;

/// How long the chip stays, in ms.
pub const CHIP_MS: u64 = 4_000;

#[derive(Properties, PartialEq)]
pub struct DataUpdatedChipViewProps {
    pub visible: bool,
}

/// The chip itself (pure view, a plain function); absent when not visible.
pub fn data_updated_chip_view(props: &DataUpdatedChipViewProps) -> Html {
    if !props.visible {
        return html! {};
    }
    html! {
        <span class="data-updated-chip" data-testid="data-updated-chip" role="status" aria-live="polite">
            <span aria-hidden="true">{ "↻ " }</span>{ "Data updated" }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct DataUpdatedChipProps {
    pub query: QueryKey,
}

/// The chip for one query.
#[function_component]
pub fn DataUpdatedChip(props: &DataUpdatedChipProps) -> Html {
    let changed_at = *use_selector_with_deps(
        |q: &Queries, key| q.get(key).and_then(|e| e.changed_by_others_at),
        props.query.clone(),
    );
    let tick = use_state(|| 0u32);
    let now = now_ms();
    let until = changed_at.map(|t| t + CHIP_MS).filter(|u| *u > now);
    {
        let tick = tick.clone();
        use_effect_with(until, move |until| {
            let timer = until.map(|u| {
                Timeout::new(u.saturating_sub(now_ms()) as u32 + 10, move || {
                    tick.set(*tick + 1)
                })
            });
            move || drop(timer)
        });
    }
    data_updated_chip_view(&DataUpdatedChipViewProps {
        visible: until.is_some(),
    })
}
