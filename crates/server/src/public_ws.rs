//! The socket's address at run time (`--public-ws-url`; docs/protocol.md, "Server settings"): where the app
//! opens its WebSocket when that is not the page's own origin (a host name of its own for
//! sockets, an app served from elsewhere). The server tells the app in the page it serves
//! (`<meta name="ppt-ws-url">`, read before the app connects) and allows the address in the
//! page's `connect-src`. Without the flag the page is served as built, and the app uses its
//! build-time `PPT_WS_URL`, or else its own origin.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A checked `--public-ws-url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicWs {
    url: String,
    origin: String,
}

impl PublicWs {
    /// Reads the flag: a `ws://` or `wss://` URL with a host, nothing a page could misread.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let rest = url
            .strip_prefix("wss://")
            .or_else(|| url.strip_prefix("ws://"))
            .ok_or_else(|| format!("--public-ws-url must start with ws:// or wss://: {url:?}"))?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() {
            return Err(format!("--public-ws-url names no host: {url:?}"));
        }
        if url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"'<>;,\\`".contains(c))
        {
            return Err(format!(
                "--public-ws-url holds a character a URL does not: {url:?}"
            ));
        }
        let scheme = if url.starts_with("wss://") {
            "wss"
        } else {
            "ws"
        };
        Ok(PublicWs {
            url: url.to_owned(),
            origin: format!("{scheme}://{authority}"),
        })
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What `connect-src` needs to allow it: its scheme, host and port.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `html` with the address in its head, for the app to read.
    pub fn into_page(&self, html: &str) -> String {
        let meta = format!("<meta name=\"ppt-ws-url\" content=\"{}\">", self.url);
        match html.find("<head>") {
            Some(at) => {
                let at = at + "<head>".len();
                format!("{}{meta}{}", &html[..at], &html[at..])
            }
            None => format!("{meta}{html}"),
        }
    }
}

/// The page as last made, and the `index.html` modification time it was made from.
type Made = Option<(Option<SystemTime>, String)>;

/// `index.html` with the address in it, read again when the file changes.
#[derive(Clone)]
pub struct IndexPage {
    index: PathBuf,
    ws: PublicWs,
    cached: Arc<Mutex<Made>>,
}

impl IndexPage {
    pub fn new(static_dir: &std::path::Path, ws: PublicWs) -> Self {
        IndexPage {
            index: static_dir.join("index.html"),
            ws,
            cached: Arc::default(),
        }
    }

    /// A route answering with the page.
    pub fn route<S: Clone + Send + Sync + 'static>(&self) -> axum::routing::MethodRouter<S> {
        let page = self.clone();
        axum::routing::get(move || {
            let page = page.clone();
            async move { page.respond() }
        })
    }

    /// The page, or 404 when the app is not built.
    pub fn respond(&self) -> Response {
        let modified = std::fs::metadata(&self.index)
            .and_then(|m| m.modified())
            .ok();
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        let page = match cached.as_ref() {
            Some((at, page)) if *at == modified => page.clone(),
            _ => match std::fs::read_to_string(&self.index) {
                Ok(html) => {
                    let page = self.ws.into_page(&html);
                    *cached = Some((modified, page.clone()));
                    page
                }
                Err(_) => return StatusCode::NOT_FOUND.into_response(),
            },
        };
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            page,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_placed() {
        let ws = PublicWs::parse("wss://live.ppt.example/ws").unwrap();
        assert_eq!(ws.origin(), "wss://live.ppt.example");
        let ws2 = PublicWs::parse("ws://127.0.0.1:9100/ws").unwrap();
        assert_eq!(ws2.origin(), "ws://127.0.0.1:9100");
        for bad in [
            "https://x/ws",
            "ws:///ws",
            "wss://x/ws\" onload=\"",
            "ws://x/<script>",
            "",
        ] {
            assert!(PublicWs::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            ws.into_page("<!doctype html><html><head><title>t</title></head></html>"),
            "<!doctype html><html><head><meta name=\"ppt-ws-url\" content=\"wss://live.ppt.example/ws\"><title>t</title></head></html>"
        );
    }
}
