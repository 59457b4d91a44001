//! The inbox: my conversations with neighbours (newest first) and their messages, compose to
//! a neighbour, open (and so read) a message.

use std::rc::Rc;

use ppt_protocol::rest::{Message, ReadReceipt, SendMessageRequest};
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;
use yewdux::{use_dispatch, use_selector};

use crate::api::Method;
use crate::components::data_updated_chip::DataUpdatedChip;
use crate::components::outbox_list::OutboxList;
use crate::hooks::{use_outbox, use_query, use_query_client, Sent};
use crate::store::lists::{MESSAGES, NEIGHBORS, UNREAD};
use crate::store::messages::{conversations, MessageWrite};
use crate::store::queries::{Queries, QueriesAction};
use crate::store::session::Session;

/// The body of a read receipt: `{}`.
#[derive(serde::Serialize)]
struct EmptyObject {}

/// The start of a text, for a one-line label.
pub fn preview(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", text[..end].trim_end()),
        None => text.to_owned(),
    }
}

/// A row's props are all cheap to compare: the message is the store's shared copy (equal by
/// address first), `me` a shared string, `on_open` the page's one callback. A render of the
/// inbox then redraws only the rows that changed, not all of them.
#[derive(Properties, PartialEq)]
pub struct MessageItemProps {
    pub message: Rc<Message>,
    pub me: AttrValue,
    /// The recipient's name, for messages I sent.
    #[prop_or_default]
    pub to_name: Option<AttrValue>,
    #[prop_or_default]
    pub on_open: Callback<Rc<Message>>,
}

/// Messages the inbox shows at first, and how many more each "Show older messages" adds.
const ROWS: usize = 100;

/// One message in the inbox.
#[function_component]
pub fn MessageItem(props: &MessageItemProps) -> Html {
    let m = &props.message;
    let incoming = m.to_user_id == props.me.as_str();
    let unread = incoming && !m.read;
    let onclick = {
        let (m, cb) = (m.clone(), props.on_open.clone());
        Callback::from(move |_| cb.emit(m.clone()))
    };
    let who = match (&props.to_name, incoming) {
        (_, true) => format!("From {}", m.from_name),
        (Some(name), false) => format!("To {name}"),
        (None, false) => "You wrote".to_owned(),
    };
    let time = m.sent_at.as_str().get(11..16).unwrap_or("").to_owned();
    html! {
        <li class={classes!("message-item", unread.then_some("unread"), (!incoming).then_some("outgoing"))}
            data-testid="message-item" data-id={m.id.clone()} data-unread={unread.to_string()}
            data-read={(!incoming).then(|| m.read.to_string())}>
            <button class="message-open" {onclick}>
                <span class="message-meta">
                    if unread { <span class="unread-dot"></span><span class="sr-only">{ "Unread: " }</span> }
                    <strong>{ who }</strong>
                    <time datetime={m.sent_at.as_str().to_owned()}>{ time }</time>
                    if !incoming {
                        <span class={classes!("read-mark", m.read.then_some("read"))} data-testid="read-mark">
                            { if m.read { "Read" } else { "Sent" } }
                        </span>
                    }
                </span>
                <span class="message-body">{ m.body.clone() }</span>
            </button>
        </li>
    }
}

/// The messages page.
#[function_component]
pub fn MessagesPage() -> Html {
    let client = use_query_client();
    let queries = use_dispatch::<Queries>();
    let inbox = use_query(&MESSAGES);
    let unread = use_query(&UNREAD);
    let neighbors = use_query(&NEIGHBORS);
    let send_error = use_state(|| None::<String>);
    let to = use_state(String::new);
    let selected = use_state(|| None::<String>);
    let rows = use_state(|| ROWS);
    let sending = use_state(|| false);
    let to_ref = use_node_ref();
    let body_ref = use_node_ref();
    let me =
        (*use_selector(|s: &Session| s.user.as_ref().map(|u| u.id.clone()).unwrap_or_default()))
            .clone();

    // One callback for as long as the user stays (rows compare it by address). Reading is
    // this tab's own change: the events it causes raise no "Data updated".
    let on_open = {
        let (client, queries) = (client.clone(), queries.clone());
        use_callback(me.clone(), move |m: Rc<Message>, me| {
            if m.to_user_id != *me || m.read {
                return;
            }
            let (client, queries, me) = (client.clone(), queries.clone(), me.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let Some(client) = client else { return };
                let path = format!("/messages/{}/read", m.id);
                if let Ok(r) = client
                    .mutate::<ReadReceipt, _>(Method::Post, &path, &EmptyObject {}, None)
                    .await
                {
                    queries.apply(QueriesAction::Write(MessageWrite::ConversationRead {
                        conversation_id: r.conversation_id,
                        me,
                    }));
                    queries.apply(QueriesAction::Write(MessageWrite::Unread(r.unread_count)));
                }
            });
        })
    };
    let me_attr = use_memo(me.clone(), |me| AttrValue::from(me.clone()));

    let outbox = use_outbox();
    let on_send = {
        let (outbox, me, queries) = (outbox.clone(), me.clone(), queries.clone());
        let to_select = to_ref.clone();
        let (to_ref, body_ref, send_error, sending) = (
            to_ref.clone(),
            body_ref.clone(),
            send_error.clone(),
            sending.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let to = to_ref
                .cast::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            let Some(body_el) = body_ref.cast::<HtmlTextAreaElement>() else {
                return;
            };
            let body = body_el.value();
            if to.is_empty() || body.trim().is_empty() {
                send_error.set(Some("Choose a neighbour and write something.".into()));
                return;
            }
            // The recipient as the form shows them ("Bob Horvath (2B)").
            let to_name = to_select
                .cast::<HtmlSelectElement>()
                .and_then(|s| s.selected_options().item(0))
                .and_then(|o| o.text_content())
                .unwrap_or_else(|| to.clone());
            let label = format!("To {to_name}: {}", preview(&body));
            let (outbox, me, queries, send_error, sending) = (
                outbox.clone(),
                me.clone(),
                queries.clone(),
                send_error.clone(),
                sending.clone(),
            );
            sending.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let req = SendMessageRequest {
                    to_user_id: to,
                    body,
                };
                let sent = outbox.create("/messages", &req, label, None).await;
                match sent {
                    Ok(sent) => {
                        let message = match sent {
                            Sent::Now(answer) => answer.read::<Message>().ok(),
                            // It shows in the outbox below the form until it goes.
                            Sent::Queued => None,
                        };
                        if let Some(message) = message {
                            queries.apply(QueriesAction::Write(MessageWrite::Received {
                                messages: vec![message],
                                me,
                            }));
                        }
                        body_el.set_value("");
                        send_error.set(None);
                    }
                    Err(e) => send_error.set(Some(e.describe())),
                }
                sending.set(false);
            });
        })
    };

    if inbox.data.is_none() && inbox.entry.error.is_none() {
        // The first load: the page shows once its messages are here, all at once, rather
        // than move down as the conversations fill in above the inbox.
        return html! {
            <p class="muted" data-testid="messages-loading" aria-busy="true">{ "Loading messages…" }</p>
        };
    }
    let unread_total = unread.data.as_ref().map_or(0, |c| c.count);
    let neighbors = neighbors.data.unwrap_or_default();
    let list = inbox
        .data
        .as_ref()
        .map(|i| i.list.as_slice())
        .unwrap_or_default();
    let on_to = {
        let to = to.clone();
        Callback::from(move |e: Event| {
            to.set(e.target_unchecked_into::<HtmlSelectElement>().value())
        })
    };
    let name_of = |id: &str| {
        neighbors
            .iter()
            .find(|n| n.id == id)
            .map(|n| AttrValue::from(n.name.clone()))
    };
    let convs = conversations(list, &me);
    let show_all = {
        let selected = selected.clone();
        Callback::from(move |_: MouseEvent| selected.set(None))
    };
    let mut shown: Vec<&Rc<Message>> = list
        .iter()
        .filter(|m| selected.as_ref().is_none_or(|c| m.conversation_id == *c))
        .take(*rows + 1)
        .collect();
    // Older messages: those held but not shown yet, then the server's next page.
    let held_more = shown.len() > *rows;
    let more = held_more || inbox.entry.has_older;
    shown.truncate(*rows);
    let show_more = {
        let (rows, client) = (rows.clone(), client.clone());
        Callback::from(move |_: MouseEvent| {
            if !held_more {
                if let Some(c) = &client {
                    c.load_older(&MESSAGES.key());
                }
            }
            rows.set(*rows + ROWS)
        })
    };
    html! {
        <div class="messages-page">
            <div class="messages-side">
            <section class="card compose">
                <h1>{ "Messages" }</h1>
                <p class="muted">{ if unread_total == 0 { "No unread messages.".to_owned() } else { format!("{unread_total} unread") } }</p>
                <form onsubmit={on_send} class="compose-form">
                    <label>{ "To" }
                        <select ref={to_ref} data-testid="compose-to" name="to" onchange={on_to}>
                            <option value="" selected={to.is_empty()}>{ "Choose a neighbour" }</option>
                            { for neighbors.iter().map(|n| html! {
                                <option value={n.id.clone()} selected={*to == n.id}>{ format!("{} ({})", n.name, n.apartment) }</option>
                            }) }
                        </select>
                    </label>
                    <label>{ "Message" }
                        <textarea ref={body_ref} data-testid="compose-body" rows="3" maxlength="4000" name="body" />
                    </label>
                    if let Some(err) = &*send_error { <p class="form-error" role="alert">{ err.clone() }</p> }
                    <button type="submit" class="primary" data-testid="compose-send" disabled={*sending}>{ "Send" }</button>
                </form>
                <OutboxList path="/messages" />
            </section>
            <nav class="card conversations" aria-label="Conversations">
                <ul data-testid="conversation-list">
                    <li>
                        <button class={classes!("conversation", selected.is_none().then_some("selected"))} onclick={show_all}>
                            <strong>{ "All messages" }</strong>
                        </button>
                    </li>
                    { for convs.iter().map(|c| {
                        let name = name_of(&c.partner_id).map(|n| n.to_string()).unwrap_or_else(|| c.last.from_name.clone());
                        let onclick = {
                            let (selected, to, id, partner) = (selected.clone(), to.clone(), c.id.clone(), c.partner_id.clone());
                            Callback::from(move |_: MouseEvent| {
                                selected.set(Some(id.clone()));
                                to.set(partner.clone());
                            })
                        };
                        let is_selected = selected.as_deref() == Some(c.id.as_str());
                        html! {
                            <li key={c.id.clone()}>
                                <button class={classes!("conversation", is_selected.then_some("selected"))} data-testid="conversation-item" data-id={c.id.clone()} {onclick}>
                                    <span class="conversation-head">
                                        <strong>{ name }</strong>
                                        if c.unread > 0 { <span class="badge" aria-label={format!("{} unread", c.unread)}>{ c.unread }</span> }
                                    </span>
                                    <span class="muted conversation-last">{ c.last.body.clone() }</span>
                                </button>
                            </li>
                        }
                    }) }
                </ul>
            </nav>
            </div>
            <section class="card inbox">
                <DataUpdatedChip query={MESSAGES.key()} />
                if let Some(e) = &inbox.entry.error {
                    <p class="form-error" role="alert">{ format!("Could not load messages: {e}") }</p>
                }
                if inbox.data.is_some() && list.is_empty() {
                    <p class="muted">{ "No messages yet." }</p>
                }
                <ul class="message-list" data-testid="message-list">
                    { for shown.into_iter().map(|m| html! {
                        <MessageItem key={m.id.clone()} message={m.clone()} me={(*me_attr).clone()} to_name={name_of(&m.to_user_id)} on_open={on_open.clone()} />
                    }) }
                </ul>
                if more {
                    <button class="link-button load-older" data-testid="load-older" onclick={show_more}
                        disabled={inbox.entry.fetching}>{ "Show older messages" }</button>
                }
            </section>
        </div>
    }
}
