//! Announcements: the list, and a form for managers to post one.

use ppt_protocol::rest::{CreateAnnouncement, Role};
use ppt_protocol::RawJson;
use yew::prelude::*;
use yewdux::use_selector;

use super::create_form::{CreateForm, Field};
use super::delete_button::DeleteButton;
use super::list_card::ListCard;
use crate::hooks::use_query;
use crate::store::lists::ANNOUNCEMENTS;
use crate::store::session::Session;

#[function_component]
pub fn AnnouncementsPage() -> Html {
    let q = use_query(&ANNOUNCEMENTS);
    let is_manager =
        *use_selector(|s: &Session| s.user.as_ref().is_some_and(|u| u.role == Role::Manager));
    let list = q.data.clone().unwrap_or_default();
    html! {
        <>
            if is_manager { { post_announcement() } }
            <ListCard title="Announcements" query={ANNOUNCEMENTS.key()} entry={q.entry.clone()} empty={list.is_empty()}>
                <ul class="item-list" data-testid="announcement-list">
                    { for list.iter().map(|a| html! {
                        <li key={a.id.clone()} class="item" data-id={a.id.clone()}>
                            <strong class="item-title">{ a.title.clone() }</strong>
                            <p class="item-body">{ a.body.clone() }</p>
                            <span class="muted small">{ format!("{} · {}", a.author_name, a.created_at.as_str().get(..10).unwrap_or("")) }</span>
                            if is_manager {
                                <DeleteButton path={format!("/announcements/{}", a.id)} affects={ANNOUNCEMENTS.key()} what="announcement" />
                            }
                        </li>
                    }) }
                </ul>
            </ListCard>
        </>
    }
}

/// The form (a plain function: it has no state of its own; the form's state is
/// `CreateForm`'s).
fn post_announcement() -> Html {
    html! {
        <CreateForm
            heading="Post an announcement"
            testid="announcement-form"
            title={Field { placeholder: "Title", label: "Title", testid: Some("announcement-title") }}
            second={Field { placeholder: "What residents should know", label: "Text", testid: Some("announcement-body") }}
            multiline=true
            submit="Post"
            submit_testid={Some("announcement-submit")}
            path="/announcements"
            affects={ANNOUNCEMENTS.key()}
            body={Callback::from(|(title, body)| {
                RawJson::of(&CreateAnnouncement { title, body })
            })}
        />
    }
}
