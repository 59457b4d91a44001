//! `CreateForm`: the shape the three "create" forms share (post an announcement, report a
//! fault, open a vote): a title, a second field, a button. The request is built from the two
//! values by the page and sent through the outbox ([`crate::hooks::use_outbox`]: at once
//! when the connection is up, else queued and shown under the form); the fields are cleared
//! once it is created or queued, and a refusal is shown in the form.

use ppt_protocol::QueryKey;
use ppt_protocol::RawJson;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::messages::preview;
use crate::components::outbox_list::OutboxList;
use crate::hooks::use_outbox;

/// One field: its placeholder, its accessible label, and a test id if it has one.
#[derive(Clone, PartialEq)]
pub struct Field {
    pub placeholder: &'static str,
    pub label: &'static str,
    pub testid: Option<&'static str>,
}

#[derive(Properties, PartialEq)]
pub struct CreateFormProps {
    pub heading: &'static str,
    pub testid: &'static str,
    pub title: Field,
    pub second: Field,
    /// The second field is a two-line text area rather than an input.
    #[prop_or_default]
    pub multiline: bool,
    pub submit: &'static str,
    #[prop_or_default]
    pub submit_testid: Option<&'static str>,
    /// Where the request goes (POST), and the list it changes.
    pub path: &'static str,
    pub affects: QueryKey,
    /// The request body from the title and the second field.
    pub body: Callback<(String, String), Result<RawJson, serde_json::Error>>,
}

/// The value of an input or a text area.
fn value_of(node: &NodeRef) -> Option<String> {
    node.cast::<HtmlInputElement>()
        .map(|e| e.value())
        .or_else(|| node.cast::<HtmlTextAreaElement>().map(|e| e.value()))
}

fn clear(node: &NodeRef) {
    if let Some(e) = node.cast::<HtmlInputElement>() {
        e.set_value("");
    } else if let Some(e) = node.cast::<HtmlTextAreaElement>() {
        e.set_value("");
    }
}

#[function_component]
pub fn CreateForm(props: &CreateFormProps) -> Html {
    let outbox = use_outbox();
    let title = use_node_ref();
    let second = use_node_ref();
    let error = use_state(|| None::<String>);
    let onsubmit = {
        let (title, second, error) = (title.clone(), second.clone(), error.clone());
        let (path, affects, body) = (props.path, props.affects.clone(), props.body.clone());
        let heading = props.heading;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (Some(t), Some(s)) = (value_of(&title), value_of(&second)) else {
                return;
            };
            let label = format!("{heading}: {}", preview(&t));
            let req = match body.emit((t, s)) {
                Ok(req) => req,
                Err(e) => return error.set(Some(e.to_string())),
            };
            let outbox = outbox.clone();
            let (title, second, error, affects) = (
                title.clone(),
                second.clone(),
                error.clone(),
                affects.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match outbox.create(path, &req, label, Some(affects)).await {
                    // Created, or waiting in the outbox below the form: the fields are free.
                    Ok(_) => {
                        clear(&title);
                        clear(&second);
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e.describe())),
                }
            });
        })
    };
    let (t, s) = (&props.title, &props.second);
    html! {
        <form class="card inline-form" {onsubmit} data-testid={props.testid}>
            <h2>{ props.heading }</h2>
            <input ref={title} placeholder={t.placeholder} aria-label={t.label} data-testid={t.testid} />
            if props.multiline {
                <textarea ref={second} placeholder={s.placeholder} aria-label={s.label} rows="2" data-testid={s.testid} />
            } else {
                <input ref={second} placeholder={s.placeholder} aria-label={s.label} data-testid={s.testid} />
            }
            if let Some(e) = &*error { <p class="form-error" role="alert">{ e.clone() }</p> }
            <button class="primary" type="submit" data-testid={props.submit_testid}>{ props.submit }</button>
            <OutboxList path={props.path} />
        </form>
    }
}
