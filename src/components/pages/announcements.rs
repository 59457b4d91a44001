//! Announcements: the list, and a form for managers to post one.

use ppt_protocol::rest::{Announcement, CreateAnnouncement, Role};
use ppt_protocol::QueryKey;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;
use yewdux::use_store_value;

use super::list_card::ListCard;
use crate::api::{ApiError, Method};
use crate::hooks::{use_query, use_query_client};
use crate::store::session::Session;

fn key() -> QueryKey {
    QueryKey::new(["announcements"])
}

#[function_component]
pub fn AnnouncementsPage() -> Html {
    let q = use_query::<Vec<Announcement>>(key(), "/announcements");
    let session = use_store_value::<Session>();
    let is_manager = session
        .user
        .as_ref()
        .is_some_and(|u| u.role == Role::Manager);
    let list = q.data.clone().unwrap_or_default();
    html! {
        <>
            if is_manager { <PostAnnouncement /> }
            <ListCard title="Announcements" query={key()} entry={q.entry.clone()} empty={list.is_empty()}>
                <ul class="item-list" data-testid="announcement-list">
                    { for list.iter().map(|a| html! {
                        <li key={a.id.clone()} class="item" data-id={a.id.clone()}>
                            <strong class="item-title">{ a.title.clone() }</strong>
                            <p class="item-body">{ a.body.clone() }</p>
                            <span class="muted small">{ format!("{} · {}", a.author_name, a.created_at.as_str().get(..10).unwrap_or("")) }</span>
                        </li>
                    }) }
                </ul>
            </ListCard>
        </>
    }
}

#[function_component]
fn PostAnnouncement() -> Html {
    let client = use_query_client();
    let title = use_node_ref();
    let body = use_node_ref();
    let error = use_state(|| None::<String>);
    let onsubmit = {
        let (title, body, error) = (title.clone(), body.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (Some(t), Some(b), Some(client)) = (
                title.cast::<HtmlInputElement>(),
                body.cast::<HtmlTextAreaElement>(),
                client.clone(),
            ) else {
                return;
            };
            let req = CreateAnnouncement {
                title: t.value(),
                body: b.value(),
            };
            let error = error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match client
                    .mutate::<Announcement, _>(Method::Post, "/announcements", &req, key())
                    .await
                {
                    Ok(_) => {
                        t.set_value("");
                        b.set_value("");
                        error.set(None);
                    }
                    Err(e) => error.set(Some(describe(e))),
                }
            });
        })
    };
    html! {
        <form class="card inline-form" {onsubmit} data-testid="announcement-form">
            <h2>{ "Post an announcement" }</h2>
            <input ref={title} placeholder="Title" aria-label="Title" data-testid="announcement-title" />
            <textarea ref={body} placeholder="What residents should know" aria-label="Text" rows="2" data-testid="announcement-body" />
            if let Some(e) = &*error { <p class="form-error" role="alert">{ e.clone() }</p> }
            <button class="primary" type="submit" data-testid="announcement-submit">{ "Post" }</button>
        </form>
    }
}

/// A request error as words for a form.
pub fn describe(e: ApiError) -> String {
    match e {
        ApiError::Http { message, .. } => message,
        other => other.to_string(),
    }
}
