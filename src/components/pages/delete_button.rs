//! A delete button that asks once more instead of opening a dialog: the first click turns it
//! into "Really delete?", the second sends `DELETE` as this tab (through the query client,
//! so the change refreshes its list and is recognised as our own: no "Data updated" chip).
//! Other people's pages drop the row when `entity:deleted` reaches them.

use ppt_protocol::QueryKey;
use yew::prelude::*;

use crate::api::Method;
use crate::hooks::use_query_client;

#[derive(Properties, PartialEq)]
pub struct DeleteButtonProps {
    /// The item's API path (`/announcements/3`).
    pub path: AttrValue,
    /// The list the item is in.
    pub affects: QueryKey,
    /// What is deleted, for screen readers ("announcement").
    pub what: &'static str,
}

#[function_component]
pub fn DeleteButton(props: &DeleteButtonProps) -> Html {
    let client = use_query_client();
    let armed = use_state(|| false);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let onclick = {
        let (armed, busy, error) = (armed.clone(), busy.clone(), error.clone());
        let (path, affects) = (props.path.clone(), props.affects.clone());
        Callback::from(move |_: MouseEvent| {
            if !*armed {
                armed.set(true);
                return;
            }
            let Some(client) = client.clone() else {
                return;
            };
            busy.set(true);
            let (armed, busy, error, path, affects) = (
                armed.clone(),
                busy.clone(),
                error.clone(),
                path.clone(),
                affects.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                // On success the row leaves with its list's refetch.
                if let Err(e) = client
                    .mutate::<crate::api::Ignored, _>(Method::Delete, &path, &(), Some(affects))
                    .await
                {
                    busy.set(false);
                    armed.set(false);
                    error.set(Some(e.describe()));
                }
            });
        })
    };
    html! {
        <span class="delete">
            <button
                type="button"
                class={classes!("link-button", "delete-button", armed.then_some("armed"))}
                data-testid="delete"
                aria-label={if *armed { format!("Really delete this {}?", props.what) } else { format!("Delete this {}", props.what) }}
                disabled={*busy}
                {onclick}
            >
                { if *armed { "Really delete?" } else { "Delete" } }
            </button>
            if let Some(e) = &*error { <span class="form-error" role="alert">{ e.clone() }</span> }
        </span>
    }
}
