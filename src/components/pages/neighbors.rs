//! Neighbours: the building's other residents and its manager.

use ppt_protocol::rest::Role;
use yew::prelude::*;

use super::list_card::ListCard;
use crate::hooks::use_query;
use crate::store::lists::NEIGHBORS;

/// The building's other residents and its manager.
#[function_component]
pub fn NeighborsPage() -> Html {
    let q = use_query(&NEIGHBORS);
    let list = q.data.clone().unwrap_or_default();
    html! {
        <ListCard title="Neighbours" query={NEIGHBORS.key()} entry={q.entry.clone()} empty={list.is_empty()}>
            <ul class="item-list" data-testid="neighbor-list">
                { for list.iter().map(|n| html! {
                    <li key={n.id.clone()} class="item item-row">
                        <strong>{ n.name.clone() }</strong>
                        <span class="muted">{ if n.role == Role::Manager { "Manager".to_owned() } else { format!("Apartment {}", n.apartment) } }</span>
                    </li>
                }) }
            </ul>
        </ListCard>
    }
}
