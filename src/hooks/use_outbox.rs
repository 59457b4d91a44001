//! `use_outbox`: sends a create (a message, a fault, a ballot, an announcement) so that it is
//! never lost and never doubled (docs/protocol.md, "Sending twice").
//!
//! With the connection up and nothing waiting, the create is tried at once from this tab,
//! with a fresh `Idempotency-Key`: the server's answer (or its refusal, shown in the form)
//! comes back as before. When it cannot reach the server, or the connection is down, or
//! earlier creates are still waiting (order is kept), it goes into the outbox with the same
//! key: shown in place as `queued`, kept across reloads, and sent by the tab holding the
//! socket when the connection returns.

use ppt_protocol::QueryKey;
use ppt_protocol::RawJson;
use yew::prelude::*;
use yewdux::use_selector;

use crate::api::ApiError;
use crate::hooks::{use_query_client, use_websocket, QueryClient, WsContext};
use crate::store::outbox::OutboxView;
use ppt_realtime::tabs::OutboxAsk;
use ppt_realtime::ConnectionState;

/// How a create went.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    /// The server created it: its answer.
    Now(RawJson),
    /// It waits in the outbox.
    Queued,
}

/// Sends creates; see the module documentation.
#[derive(Clone)]
pub struct OutboxHandle {
    client: Option<QueryClient>,
    ws: WsContext,
    waiting: usize,
}

/// A fresh `Idempotency-Key`: 32 hex digits from the browser's random source.
fn new_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl OutboxHandle {
    /// Sends `POST {path}` with `body`; `label` is what the outbox shows for it ("Message to
    /// Bob: …"), `affects` the list to refresh when it is created now. A refusal (the
    /// server's message) is an error; everything else is sent now or queued.
    pub async fn create<B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
        label: String,
        affects: Option<QueryKey>,
    ) -> Result<Sent, ApiError> {
        let body = RawJson::of(body).map_err(|e| ApiError::Decode(e.to_string()))?;
        let Some(client) = &self.client else {
            return Err(ApiError::Network("no query client".into()));
        };
        let key = new_key();
        let request_id = client.new_request_id();
        let up = self.ws.status.state == ConnectionState::Connected;
        let alone = self.ws.executor.is_none();
        if (up && self.waiting == 0) || alone {
            match client.create(path, &body, &request_id, &key, affects).await {
                Ok(answer) => return Ok(Sent::Now(answer)),
                Err(e) if e.is_refusal() || alone => return Err(e),
                // It may have reached the server: the outbox repeats it with the same key.
                Err(_) => {}
            }
        }
        self.ws.outbox_ask(OutboxAsk::Add {
            path: path.to_owned(),
            body,
            label,
            key,
            request_id: Some(request_id),
        });
        Ok(Sent::Queued)
    }
}

/// The outbox's sender for this component.
#[hook]
pub fn use_outbox() -> OutboxHandle {
    let client = use_query_client();
    let ws = use_websocket();
    let waiting = *use_selector(|o: &OutboxView| o.items.len());
    OutboxHandle {
        client,
        ws,
        waiting,
    }
}
