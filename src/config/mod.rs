//! Settings: the build-time ones here (the WebSocket URL, the API's base path), the
//! real-time timings in [`realtime`] (the contract's defaults, overridable per browser).

pub mod realtime;

pub use realtime::{live_config, realtime_config};

/// The WebSocket URL baked in at build time (`PPT_WS_URL`), if any.
pub const WS_URL_OVERRIDE: Option<&str> = option_env!("PPT_WS_URL");

/// The REST API's base path: same origin (Trunk's dev server proxies it).
pub const API_BASE: &str = "/api/v1";

/// The WebSocket URL for a page at `protocol` (`http:`/`https:`) and `host` (`host:port`):
/// the address the serving server `given` at run time (`--public-ws-url`), else the one set at
/// build time (`PPT_WS_URL`), else the page's own origin.
pub fn ws_url(given: Option<&str>, protocol: &str, host: &str) -> String {
    match given.map(str::trim) {
        Some(url) if url.starts_with("ws://") || url.starts_with("wss://") => url.to_owned(),
        _ => default_ws_url(WS_URL_OVERRIDE, protocol, host),
    }
}

/// [`ws_url`] with the override passed in, for testing.
pub fn default_ws_url(override_url: Option<&str>, protocol: &str, host: &str) -> String {
    match override_url {
        Some(url) if !url.is_empty() => url.to_owned(),
        _ => {
            let scheme = if protocol == "https:" { "wss" } else { "ws" };
            format!("{scheme}://{host}/ws")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{default_ws_url, ws_url};

    /// An address given at run time wins over the build's and the page's; a malformed one
    /// is ignored.
    #[test]
    fn a_run_time_address_wins() {
        assert_eq!(
            ws_url(Some("wss://live.example/ws"), "https:", "ppt.example"),
            "wss://live.example/ws"
        );
        assert_eq!(
            ws_url(Some("javascript:alert(1)"), "https:", "ppt.example"),
            default_ws_url(super::WS_URL_OVERRIDE, "https:", "ppt.example")
        );
        assert_eq!(
            ws_url(None, "http:", "h:1"),
            default_ws_url(super::WS_URL_OVERRIDE, "http:", "h:1")
        );
    }

    /// The page's own host is used, with wss for https pages, unless overridden.
    #[test]
    fn ws_url_follows_the_page() {
        assert_eq!(
            default_ws_url(None, "http:", "127.0.0.1:8080"),
            "ws://127.0.0.1:8080/ws"
        );
        assert_eq!(
            default_ws_url(None, "https:", "ppt.example"),
            "wss://ppt.example/ws"
        );
        assert_eq!(
            default_ws_url(Some("ws://x/ws"), "https:", "ppt.example"),
            "ws://x/ws"
        );
        assert_eq!(default_ws_url(Some(""), "http:", "h"), "ws://h/ws");
    }
}
