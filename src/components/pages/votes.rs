//! Votes: each vote with its options and counts; residents vote once, managers open votes.

use ppt_protocol::rest::{CastBallot, OpenVote, Role};
use ppt_protocol::RawJson;
use yew::prelude::*;
use yewdux::use_selector;

use super::create_form::{describe, CreateForm, Field};
use super::delete_button::DeleteButton;
use super::list_card::ListCard;
use crate::components::outbox_list::OutboxList;
use crate::hooks::{use_outbox, use_query};
use crate::store::lists::VOTES;
use crate::store::session::Session;

#[function_component]
pub fn VotesPage() -> Html {
    let q = use_query(&VOTES);
    // The user, not the session: a renewed token renders nothing again.
    let user = use_selector(|s: &Session| s.user.clone());
    let outbox = use_outbox();
    let error = use_state(|| None::<String>);
    let role = user.as_ref().as_ref().map(|u| u.role);
    let list = q.data.clone().unwrap_or_default();
    let on_vote = {
        let error = error.clone();
        let titles: Vec<(String, String)> = list
            .iter()
            .map(|v| (v.id.clone(), v.title.clone()))
            .collect();
        Callback::from(move |(id, option): (String, String)| {
            let (outbox, error) = (outbox.clone(), error.clone());
            let title = titles
                .iter()
                .find(|(v, _)| *v == id)
                .map_or("a vote", |(_, t)| t.as_str());
            let label = format!("Ballot \u{201c}{option}\u{201d} in {title}");
            wasm_bindgen_futures::spawn_local(async move {
                let path = format!("/votes/{id}/ballots");
                match outbox
                    .create(&path, &CastBallot { option }, label, Some(VOTES.key()))
                    .await
                {
                    Ok(_) => error.set(None),
                    Err(e) => error.set(Some(describe(e))),
                }
            });
        })
    };
    html! {
        <>
            if role == Some(Role::Manager) { { open_vote_form() } }
            <ListCard title="Votes" query={VOTES.key()} entry={q.entry.clone()} empty={list.is_empty()}>
                if let Some(e) = &*error { <p class="form-error" role="alert">{ e.clone() }</p> }
                <OutboxList path="/votes/" />
                <ul class="item-list" data-testid="vote-list">
                    { for list.iter().map(|v| {
                        let total: u64 = v.options.iter().map(|o| o.count).sum();
                        html! {
                            <li key={v.id.clone()} class="item" data-id={v.id.clone()}>
                                <strong class="item-title">{ v.title.clone() }</strong>
                                <ul class="options">
                                    { for v.options.iter().map(|o| {
                                        let can_vote = role == Some(Role::Resident) && v.my_choice.is_none();
                                        let mine = v.my_choice.as_deref() == Some(o.label.as_str());
                                        let onclick = {
                                            let (id, label, cb) = (v.id.clone(), o.label.clone(), on_vote.clone());
                                            Callback::from(move |_| cb.emit((id.clone(), label.clone())))
                                        };
                                        let pct = (o.count * 100).checked_div(total).unwrap_or(0);
                                        html! {
                                            <li class={classes!("option", mine.then_some("mine"))}>
                                                <progress class="option-bar" value={pct.to_string()} max="100" aria-hidden="true"></progress>
                                                <span class="option-label">{ o.label.clone() }{ if mine { " ✓" } else { "" } }</span>
                                                <span class="option-count" data-testid="vote-count">{ o.count }</span>
                                                if can_vote { <button class="link-button" data-testid="vote-option" {onclick}>{ "Vote" }</button> }
                                            </li>
                                        }
                                    }) }
                                </ul>
                                if role == Some(Role::Manager) {
                                    <DeleteButton path={format!("/votes/{}", v.id)} affects={VOTES.key()} what="vote" />
                                }
                            </li>
                        }
                    }) }
                </ul>
            </ListCard>
        </>
    }
}

/// The form (a plain function: it has no state of its own; the form's state is
/// `CreateForm`'s).
fn open_vote_form() -> Html {
    html! {
        <CreateForm
            heading="Open a vote"
            testid="vote-form"
            title={Field { placeholder: "Question", label: "Question", testid: None }}
            second={Field { placeholder: "Options, separated by commas", label: "Options", testid: None }}
            submit="Open vote"
            path="/votes"
            affects={VOTES.key()}
            body={Callback::from(|(title, options): (String, String)| {
                let options = options
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                RawJson::of(&OpenVote { title, options })
            })}
        />
    }
}
