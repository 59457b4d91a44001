//! Votes: each vote with its options and counts; residents vote once, managers open votes.

use ppt_protocol::rest::{CastBallot, OpenVote, Role, Vote};
use ppt_protocol::RawJson;
use yew::prelude::*;
use yewdux::use_selector;

use super::create_form::{CreateForm, Field};
use super::delete_button::DeleteButton;
use super::list_card::ListCard;
use crate::components::outbox_list::OutboxList;
use crate::hooks::{use_outbox, use_query, use_query_client, Sent};
use crate::store::lists::VOTES;
use crate::store::session::Session;

/// The votes as they stand once my ballot for `option` in vote `id` counts (shown at once,
/// before the server answers); unchanged where I voted already (a vote takes one ballot).
pub fn with_my_ballot(votes: Option<&Vec<Vote>>, id: &str, option: &str) -> Vec<Vote> {
    let mut votes = votes.cloned().unwrap_or_default();
    if let Some(v) = votes
        .iter_mut()
        .find(|v| v.id == id && v.my_choice.is_none())
    {
        if let Some(o) = v.options.iter_mut().find(|o| o.label == option) {
            o.count += 1;
            v.my_choice = Some(option.to_owned());
        }
    }
    votes
}

#[function_component]
pub fn VotesPage() -> Html {
    let q = use_query(&VOTES);
    let client = use_query_client();
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
            let (outbox, error, client) = (outbox.clone(), error.clone(), client.clone());
            // Counted at once; put back if the server refuses it or it has to wait.
            let snapshot = client
                .as_ref()
                .map(|c| c.set_query_data(&VOTES, |held| with_my_ballot(held, &id, &option)));
            let title = titles
                .iter()
                .find(|(v, _)| *v == id)
                .map_or("a vote", |(_, t)| t.as_str());
            let label = format!("Ballot \u{201c}{option}\u{201d} in {title}");
            wasm_bindgen_futures::spawn_local(async move {
                let path = format!("/votes/{id}/ballots");
                let sent = outbox
                    .create(&path, &CastBallot { option }, label, Some(VOTES.key()))
                    .await;
                if !matches!(sent, Ok(Sent::Now(_))) {
                    if let (Some(c), Some(s)) = (&client, snapshot) {
                        c.restore(s);
                    }
                }
                match sent {
                    Ok(_) => error.set(None),
                    Err(e) => error.set(Some(e.describe())),
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

#[cfg(test)]
mod tests {
    use ppt_protocol::rest::{Vote, VoteOption};
    use ppt_protocol::Timestamp;

    use super::with_my_ballot;

    fn vote(id: &str, mine: Option<&str>) -> Vote {
        Vote {
            id: id.into(),
            title: "Paint".into(),
            options: ["Blue", "Green"]
                .map(|l| VoteOption {
                    label: l.into(),
                    count: 1,
                })
                .to_vec(),
            my_choice: mine.map(str::to_owned),
            created_at: Timestamp::default(),
            version: 1,
        }
    }

    /// My ballot counts at once where I have not voted; nothing else changes.
    #[test]
    fn a_ballot_counts_at_once() {
        let held = vec![vote("1", None), vote("2", Some("Blue"))];
        let after = with_my_ballot(Some(&held), "1", "Green");
        assert_eq!(after[0].my_choice.as_deref(), Some("Green"));
        assert_eq!(after[0].options[1].count, 2);
        assert_eq!(after[0].options[0].count, 1);
        assert_eq!(after[1], held[1]);
        assert_eq!(
            with_my_ballot(Some(&held), "2", "Green"),
            held,
            "voted already"
        );
        assert_eq!(
            with_my_ballot(Some(&held), "1", "Red"),
            held,
            "no such option"
        );
        assert!(with_my_ballot(None, "1", "Blue").is_empty());
    }
}
