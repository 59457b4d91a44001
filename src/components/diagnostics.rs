//! The diagnostics panel (`diagnostics`), one click from the connection status: the
//! connection's state, which tab holds the socket, the round trip, where the app stands in
//! the event log, what reconnection and catch-up have done, the events applied while it is
//! open (`diagnostics-applied`, their ids in `data-ids`), and the outbox; with "Copy" to
//! put it on the clipboard as plain text for support.

use ppt_protocol::Envelope;
use yew::prelude::*;
use yewdux::{use_selector, use_store_value};

use crate::hooks::{use_event, use_websocket};
use crate::store::diagnostics::LiveDiagnostics;
use crate::store::outbox::OutboxView;
use ppt_realtime::tabs::Leadership;

/// A tab's id as people read it: its last four hex digits.
fn short(tab: u64) -> String {
    format!("{:04x}", tab & 0xffff)
}

/// The panel's lines, label and value, in order (the copied report is the same lines).
fn rows(
    ws: &crate::hooks::WsContext,
    live: &LiveDiagnostics,
    outbox: usize,
) -> Vec<(&'static str, String)> {
    let (me, leader) = ws.tab_ids();
    let holder = match (ws.leadership, leader) {
        (Leadership::Following, Some(l)) => format!("another tab ({})", short(l)),
        (part, _) => part.label().to_owned(),
    };
    let s = &ws.status;
    vec![
        ("State", s.state.as_str().to_owned()),
        ("Socket held by", holder),
        ("This tab", short(me)),
        (
            "Round trip",
            s.rtt_ms
                .map_or("not measured yet".into(), |ms| format!("{ms} ms")),
        ),
        (
            "Last event",
            live.cursor
                .last_id
                .map_or("none yet".into(), |id| format!("#{id}")),
        ),
        (
            "Epoch",
            live.cursor
                .epoch
                .clone()
                .unwrap_or_else(|| "unknown".into()),
        ),
        ("Reconnects", s.reconnects.to_string()),
        ("Gaps filled", live.stats.gaps_filled.to_string()),
        ("Events replayed", live.stats.replayed.to_string()),
        ("Outbox", outbox.to_string()),
        (
            "Last error",
            s.last_error.clone().unwrap_or_else(|| "none".into()),
        ),
    ]
}

/// Puts text on the clipboard (quietly does nothing where the browser refuses).
fn copy(text: &str) {
    use wasm_bindgen::{JsCast, JsValue};
    let Some(window) = web_sys::window() else {
        return;
    };
    let clipboard = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("clipboard"));
    let Ok(clipboard) = clipboard else { return };
    if let Ok(write) = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText")) {
        if let Ok(write) = write.dyn_into::<js_sys::Function>() {
            if let Ok(p) = write.call1(&clipboard, &JsValue::from_str(text)) {
                if let Ok(p) = p.dyn_into::<js_sys::Promise>() {
                    // A refused write is no error worth showing.
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
                    });
                }
            }
        }
    }
}

/// The events this tab applied while the panel is open (ids, oldest first; the last
/// [`SEEN_KEPT`]) and the type of the newest.
#[derive(Debug, Clone, Default, PartialEq)]
struct Seen {
    count: u64,
    ids: std::collections::VecDeque<u64>,
    last: Option<String>,
}

/// How many ids the panel keeps.
const SEEN_KEPT: usize = 200;

impl Reducible for Seen {
    type Action = Envelope;
    fn reduce(self: std::rc::Rc<Self>, e: Envelope) -> std::rc::Rc<Self> {
        let mut s = std::rc::Rc::unwrap_or_clone(self);
        s.count += 1;
        if let Some(id) = e.id {
            s.ids.push_back(id);
            if s.ids.len() > SEEN_KEPT {
                s.ids.pop_front();
            }
        }
        s.last = Some(match e.id {
            Some(id) => format!("#{id} {}", e.event.event_type()),
            None => e.event.event_type().to_owned(),
        });
        s.into()
    }
}

#[derive(Properties, PartialEq)]
pub struct DiagnosticsPanelProps {
    pub on_close: Callback<()>,
}

/// The panel itself.
#[function_component]
pub fn DiagnosticsPanel(props: &DiagnosticsPanelProps) -> Html {
    let ws = use_websocket();
    let live = use_store_value::<LiveDiagnostics>();
    let outbox = *use_selector(|o: &OutboxView| o.items.len());
    let copied = use_state(|| false);
    // Every event this tab applies, however it came (use_event's own test in the browser).
    let seen = use_reducer(Seen::default);
    {
        let seen = seen.dispatcher();
        use_event::<Envelope>(Callback::from(move |e| seen.dispatch(e)));
    }
    let mut rows = rows(&ws, &live, outbox);
    rows.push((
        "Applied while open",
        match &seen.last {
            Some(last) => format!("{} (last {last})", seen.count),
            None => "0".into(),
        },
    ));
    let seen_ids = seen
        .ids
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let report = std::iter::once("ppt-web connection report".to_owned())
        .chain(rows.iter().map(|(k, v)| format!("{k}: {v}")))
        .collect::<Vec<_>>()
        .join("\n");
    let on_copy = {
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            copy(&report);
            copied.set(true);
        })
    };
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <section class="diagnostics card" data-testid="diagnostics" aria-label="Connection details">
            <dl data-testid="diagnostics-applied" data-ids={seen_ids}>
                { for rows.into_iter().map(|(k, v)| html! {
                    <><dt>{ k }</dt><dd data-row={k}>{ v }</dd></>
                }) }
            </dl>
            <div class="diagnostics-actions">
                <button class="primary" data-testid="diagnostics-copy" data-copied={copied.to_string()} onclick={on_copy}>
                    { if *copied { "Copied" } else { "Copy report" } }
                </button>
                <button class="link-button" onclick={on_close}>{ "Close" }</button>
            </div>
        </section>
    }
}
