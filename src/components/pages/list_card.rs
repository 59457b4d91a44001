//! The frame every list page shares: a title, the "Data updated" chip, the query's loading
//! and error states, and "Load older" while the list has older items than it shows.

use ppt_protocol::QueryKey;
use yew::prelude::*;

use crate::components::data_updated_chip::DataUpdatedChip;
use crate::hooks::use_query_client;
use crate::store::queries::FetchState;

#[derive(Properties, PartialEq)]
pub struct ListCardProps {
    pub title: AttrValue,
    pub query: QueryKey,
    pub entry: FetchState,
    #[prop_or_default]
    pub empty: bool,
    /// Offer "Load older" while the list has more (off where only its newest are shown).
    #[prop_or(true)]
    pub older: bool,
    #[prop_or_default]
    pub children: Html,
}

/// The User Timing mark set when the first list of a page load shows its data; start-up
/// benchmarks (and any real-user monitoring) read it relative to navigation start.
pub const FIRST_LIST_MARK: &str = "ppt:first-list";

thread_local! {
    static MARKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn mark_first_list() {
    if MARKED.with(|m| m.replace(true)) {
        return;
    }
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(FIRST_LIST_MARK);
    }
}

#[function_component]
pub fn ListCard(props: &ListCardProps) -> Html {
    let e = &props.entry;
    let client = use_query_client();
    let load_older = {
        let (key, client) = (props.query.clone(), client.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(c) = &client {
                c.load_older(&key);
            }
        })
    };
    let retry = {
        let key = props.query.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(c) = &client {
                c.retry(&key);
            }
        })
    };
    use_effect_with(e.data.is_some(), |has_data| {
        if *has_data {
            mark_first_list();
        }
    });
    html! {
        <section class="card list-card">
            <header class="list-head">
                <h1>{ props.title.clone() }</h1>
                <DataUpdatedChip query={props.query.clone()} />
                if e.fetching && e.data.is_some() { <span class="muted refreshing" aria-hidden="true">{ "…" }</span> }
            </header>
            if e.data.is_none() && e.error.is_none() { <p class="muted">{ "Loading…" }</p> }
            if let Some(err) = &e.error {
                <p class="form-error" role="alert">
                    { if e.data.is_some() { format!("Could not refresh: {err}") } else { format!("Could not load: {err}") } }
                    if e.retrying {
                        <span class="muted">{ " Trying again…" }</span>
                    } else {
                        { " " }
                        <button class="link-button" data-testid="query-retry" onclick={retry} disabled={e.fetching}>{ "Try again" }</button>
                    }
                </p>
            }
            if e.data.is_some() && props.empty { <p class="muted">{ "Nothing here yet." }</p> }
            { props.children.clone() }
            if props.older && e.has_older && e.data.is_some() {
                <button class="link-button load-older" data-testid="load-older" onclick={load_older}
                    disabled={e.fetching}>
                    { if e.fetching { "Loading…" } else { "Load older" } }
                </button>
            }
        </section>
    }
}
