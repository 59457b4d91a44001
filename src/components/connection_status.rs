//! The connection indicator: a coloured dot and words, with "Reconnecting in N s · Retry now"
//! while waiting. Blips under a second do not show (see [`Debounce`]).

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::browser::clock::now_ms;
use crate::components::diagnostics::DiagnosticsPanel;
use crate::hooks::use_websocket;
use ppt_realtime::status::Debounce;
use ppt_realtime::{ConnectionState, StatusView};

#[derive(Properties, PartialEq)]
pub struct ConnectionStatusViewProps {
    /// What to show (already debounced).
    pub view: StatusView,
    /// Now, in ms (for the countdown).
    pub now: u64,
    #[prop_or_default]
    pub on_retry: Callback<()>,
    /// Opens or closes the diagnostics panel (the dot and words become its button).
    #[prop_or_default]
    pub on_details: Option<Callback<()>>,
    #[prop_or_default]
    pub details_open: bool,
}

/// The indicator itself, with the contract's test id and `data-state`. A plain function,
/// not a component: it has no state of its own (see [`crate::components::unread_badge`]).
pub fn connection_status_view(props: &ConnectionStatusViewProps) -> Html {
    let state = props.view.state;
    let text = props.view.text(props.now);
    let waiting = state == ConnectionState::Reconnecting
        && props.view.retry_at.is_some()
        && !props.view.offline;
    let on_retry = props.on_retry.reform(|_: MouseEvent| ());
    let mut label = match &props.view.last_error {
        Some(e) if state != ConnectionState::Connected => format!("Connection: {text}. {e}"),
        _ => format!("Connection: {text}"),
    };
    let polling = props.view.polling();
    if polling {
        label.push_str(
            " The live connection cannot be opened: new data is fetched every few seconds instead, until it can.",
        );
    }
    html! {
        <div class={classes!("conn", format!("conn-{}", state.as_str()))}
            data-testid="connection-status" data-state={state.as_str()}
            data-mode={polling.then_some("polling")}
            role="status" aria-live="polite" aria-label={label.clone()} title={label}>
            if let Some(on_details) = &props.on_details {
                <button class="conn-open" data-testid="connection-details"
                    aria-expanded={props.details_open.to_string()} title="Connection details"
                    onclick={on_details.reform(|_: MouseEvent| ())}>
                    <span class="conn-dot" aria-hidden="true"></span>
                    <span class="conn-text">{ text }</span>
                </button>
            } else {
                <span class="conn-dot" aria-hidden="true"></span>
                <span class="conn-text">{ text }</span>
            }
            if waiting {
                <span class="conn-sep" aria-hidden="true">{ "·" }</span>
                <button class="link-button conn-retry" data-testid="connection-retry" onclick={on_retry}>{ "Retry now" }</button>
            }
        </div>
    }
}

/// The indicator for the app's connection: debounced, with a live countdown.
#[function_component]
pub fn ConnectionStatus() -> Html {
    let ws = use_websocket();
    let debounce = use_mut_ref(|| Debounce::new(1_000, ws.status.state));
    let tick = use_state(now_ms);
    let now = now_ms();
    let (shown, recheck_at) = debounce.borrow_mut().update(ws.status.state, now);
    // Re-render when the hold ends or, while counting down, every second.
    let next = match (recheck_at, ws.status.retry_at) {
        (Some(t), _) => Some(t),
        (None, Some(at)) if at > now => Some(now + (at - now).min(1_000)),
        _ => None,
    };
    {
        let tick = tick.clone();
        use_effect_with((next, *tick), move |(next, _)| {
            let timer = next.map(|at| {
                let tick = tick.clone();
                Timeout::new(at.saturating_sub(now_ms()).max(16) as u32, move || {
                    tick.set(now_ms())
                })
            });
            move || drop(timer)
        });
    }
    let view = StatusView {
        state: shown,
        ..ws.status.clone()
    };
    let open = use_state(|| false);
    let on_details = {
        let open = open.clone();
        Callback::from(move |_| open.set(!*open))
    };
    let on_close = {
        let open = open.clone();
        Callback::from(move |_| open.set(false))
    };
    let on_retry = Callback::from(move |_| ws.reconnect_now());
    html! {
        <div class="conn-wrap">
            { connection_status_view(&ConnectionStatusViewProps {
                view, now, on_retry, on_details: Some(on_details), details_open: *open,
            }) }
            if *open { <DiagnosticsPanel {on_close} /> }
        </div>
    }
}
