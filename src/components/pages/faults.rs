//! Faults: the list with each fault's status; residents report faults, managers change status.

use ppt_protocol::rest::{Fault, FaultStatus, ReportFault, Role, UpdateFault};
use ppt_protocol::RawJson;
use web_sys::HtmlSelectElement;
use yew::prelude::*;
use yewdux::use_selector;

use super::create_form::{CreateForm, Field};
use super::delete_button::DeleteButton;
use super::list_card::ListCard;
use crate::api::Method;
use crate::hooks::{use_query, use_query_client};
use crate::store::lists::FAULTS;
use crate::store::session::Session;

#[derive(Properties, PartialEq)]
pub struct FaultsPageProps {
    /// A fault to highlight (from a notification's link).
    #[prop_or_default]
    pub focus: Option<AttrValue>,
}

#[function_component]
pub fn FaultsPage(props: &FaultsPageProps) -> Html {
    let q = use_query(&FAULTS);
    // The user, not the session: a renewed token renders nothing again.
    let user = use_selector(|s: &Session| s.user.clone());
    let client = use_query_client();
    let error = use_state(|| None::<String>);
    let is_manager = user
        .as_ref()
        .as_ref()
        .is_some_and(|u| u.role == Role::Manager);
    let me = user.as_ref().as_ref().map(|u| u.id.clone());
    let list = q.data.clone().unwrap_or_default();
    let on_status = {
        let error = error.clone();
        Callback::from(move |(id, status): (String, FaultStatus)| {
            let (Some(client), error) = (client.clone(), error.clone()) else {
                return;
            };
            wasm_bindgen_futures::spawn_local(async move {
                let path = format!("/faults/{id}");
                match client
                    .mutate::<Fault, _>(
                        Method::Patch,
                        &path,
                        &UpdateFault { status },
                        Some(FAULTS.key()),
                    )
                    .await
                {
                    Ok(_) => error.set(None),
                    Err(e) => error.set(Some(e.describe())),
                }
            });
        })
    };
    html! {
        <>
            { report_fault_form() }
            <ListCard title="Faults" query={FAULTS.key()} entry={q.entry.clone()} empty={list.is_empty()}>
                if let Some(e) = &*error { <p class="form-error" role="alert">{ e.clone() }</p> }
                <ul class="item-list" data-testid="fault-list">
                    { for list.iter().map(|f| {
                        let focused = props.focus.as_deref() == Some(f.id.as_str());
                        // Its reporter may withdraw it while it is open; managers always.
                        let deletable = is_manager
                            || (me.as_deref() == Some(f.reporter_id.as_str()) && f.status == FaultStatus::Open);
                        html! {
                            <li key={f.id.clone()} class={classes!("item", focused.then_some("focused"))} data-id={f.id.clone()} data-status={f.status.as_str()}>
                                <div class="item-row">
                                    <strong class="item-title">{ f.title.clone() }</strong>
                                    if is_manager {
                                        <StatusSelect id={f.id.clone()} status={f.status} on_change={on_status.clone()} />
                                    } else {
                                        <span class={classes!("status", format!("status-{}", f.status.as_str()))} data-testid="fault-status">{ f.status.label() }</span>
                                    }
                                </div>
                                <p class="item-body">{ f.description.clone() }</p>
                                <span class="muted small">{ format!("Reported by {}", f.reporter_name) }</span>
                                if deletable {
                                    <DeleteButton path={format!("/faults/{}", f.id)} affects={FAULTS.key()} what="fault" />
                                }
                            </li>
                        }
                    }) }
                </ul>
            </ListCard>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct StatusSelectProps {
    id: String,
    status: FaultStatus,
    on_change: Callback<(String, FaultStatus)>,
}

#[function_component]
fn StatusSelect(props: &StatusSelectProps) -> Html {
    let onchange = {
        let (id, cb) = (props.id.clone(), props.on_change.clone());
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some(s) = FaultStatus::parse(&v) {
                cb.emit((id.clone(), s));
            }
        })
    };
    html! {
        <select class="status-select" data-testid="fault-status-select" aria-label="Status" {onchange}>
            { for FaultStatus::ALL.into_iter().map(|s| html! {
                <option value={s.as_str()} selected={s == props.status}>{ s.label() }</option>
            }) }
        </select>
    }
}

/// The form (a plain function: it has no state of its own; the form's state is
/// `CreateForm`'s).
fn report_fault_form() -> Html {
    html! {
        <CreateForm
            heading="Report a fault"
            testid="fault-form"
            title={Field { placeholder: "What is broken?", label: "Title", testid: Some("fault-title") }}
            second={Field { placeholder: "Where, since when, anything else", label: "Description", testid: Some("fault-description") }}
            multiline=true
            submit="Report"
            submit_testid={Some("fault-submit")}
            path="/faults"
            affects={FAULTS.key()}
            body={Callback::from(|(title, description)| {
                RawJson::of(&ReportFault { title, description })
            })}
        />
    }
}
