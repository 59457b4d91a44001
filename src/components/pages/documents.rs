//! Documents of the building.

use ppt_protocol::rest::Role;
use yew::prelude::*;

use super::delete_button::DeleteButton;
use super::list_card::ListCard;
use crate::hooks::use_query;
use crate::store::lists::DOCUMENTS;
use crate::store::session::Session;

#[function_component]
pub fn DocumentsPage() -> Html {
    let q = use_query(&DOCUMENTS);
    let is_manager = *yewdux::use_selector(|s: &Session| {
        s.user.as_ref().is_some_and(|u| u.role == Role::Manager)
    });
    let list = q.data.clone().unwrap_or_default();
    html! {
        <ListCard title="Documents" query={DOCUMENTS.key()} entry={q.entry.clone()} empty={list.is_empty()}>
            <ul class="item-list" data-testid="document-list">
                { for list.iter().map(|d| html! {
                    <li key={d.id.clone()} class="item" data-id={d.id.clone()}>
                        <a href={d.url.clone()} target="_blank" rel="noopener">{ d.title.clone() }</a>
                        <span class="muted small">{ d.uploaded_at.as_str().get(..10).unwrap_or("") }</span>
                        if is_manager {
                            <DeleteButton path={format!("/documents/{}", d.id)} affects={DOCUMENTS.key()} what="document" />
                        }
                    </li>
                }) }
            </ul>
        </ListCard>
    }
}
