//! Security and cache headers (docs/protocol.md, "HTTP headers"), on every response.
//!
//! - Every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`.
//! - The app's HTML: a Content-Security-Policy that allows only the page's own origin (its
//!   scripts, styles, images, sockets), WebAssembly (`'wasm-unsafe-eval'`) and the inline
//!   bootstrap script Trunk writes into `index.html` (by its hash, read from the file), and
//!   no framing (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers);
//!   `Cache-Control: no-cache`, so a new build is picked up at once.
//! - The app's hashed files (`name-<16 hex>.ext`): cached for a year, `immutable`. Other files:
//!   `no-cache` (revalidated by their validators).
//! - API answers: `Cache-Control: no-store` (they are one user's data).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The policy as last made, and the `index.html` modification time it was made for.
type Cached = Option<(Option<SystemTime>, HeaderValue)>;

/// What the header layer needs: the app's `index.html`, whose inline scripts the policy
/// names (read again when the file changes).
#[derive(Clone)]
pub struct Policy {
    index: PathBuf,
    /// Besides `'self'`, where the page may connect (`--public-ws-url`'s origin).
    connect: Option<String>,
    cached: Arc<Mutex<Cached>>,
}

impl Policy {
    pub fn new(static_dir: &std::path::Path, connect: Option<String>) -> Self {
        Policy {
            index: static_dir.join("index.html"),
            connect,
            cached: Arc::default(),
        }
    }

    /// The Content-Security-Policy for the app's pages.
    fn csp(&self) -> HeaderValue {
        let modified = std::fs::metadata(&self.index)
            .and_then(|m| m.modified())
            .ok();
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, value)) = cached.as_ref() {
            if *at == modified {
                return value.clone();
            }
        }
        let html = std::fs::read_to_string(&self.index).unwrap_or_default();
        let value = HeaderValue::from_str(&content_security_policy(&html, self.connect.as_deref()))
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
        *cached = Some((modified, value.clone()));
        value
    }
}

/// The policy for a page whose HTML is `html`, which may also connect to `connect`.
pub fn content_security_policy(html: &str, connect: Option<&str>) -> String {
    let connect = connect.map(|c| format!(" {c}")).unwrap_or_default();
    let hashes: String = inline_scripts(html)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'{connect}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The text of each `<script>` without a `src` in `html`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (tag, body) = rest.split_once('>')?;
        if tag.contains("src=") {
            return None;
        }
        body.split_once("</script>").map(|(script, _)| script)
    })
}

/// Whether a path names one of the app's hashed files (`ppt-web-c8f095703c2b0d9f.js`).
///
/// Trunk writes the hash as a hexadecimal number without leading zeros: 16 digits mostly,
/// 15 in one build of 16, fewer more rarely. 12 to 16 digits, then `.` or `_`, count as a
/// hash (a shorter one, once in 65,536 builds, only loses the year-long caching); a date in
/// a document's name does not.
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    name.rsplit_once('-').is_some_and(|(_, rest)| {
        let digits = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        (12..=16).contains(&digits) && matches!(rest.as_bytes().get(digits), Some(b'.' | b'_'))
    })
}

/// The middleware.
pub async fn set(State(policy): State<Policy>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let cache = if path.starts_with("/api/") {
        "no-store"
    } else if html {
        h.insert(header::CONTENT_SECURITY_POLICY, policy.csp());
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        "no-cache"
    } else if is_hashed(&path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trunk's bootstrap script is allowed by its hash; scripts with `src` need none.
    #[test]
    fn policy_names_inline_scripts_by_hash() {
        let html =
            "<head><script type=\"module\">init();</script><script src=\"/a.js\"></script></head>";
        let csp = content_security_policy(html, None);
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"init();"));
        assert!(csp.contains(&format!("'sha256-{digest}'")), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 1);
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"));
        assert!(csp.contains("connect-src 'self';"));
        let split = content_security_policy(html, Some("wss://live.example"));
        assert!(
            split.contains("connect-src 'self' wss://live.example;"),
            "{split}"
        );
    }

    /// Trunk's hashed names are recognised; others are not.
    #[test]
    fn hashed_names() {
        assert!(is_hashed("/ppt-web-c8f095703c2b0d9f.js"));
        assert!(is_hashed("/ppt-web-c8f095703c2b0d9f_bg.wasm"));
        assert!(is_hashed("/style-788e9534c28a74e7.css"));
        // A hash that began with a zero is one digit shorter.
        assert!(is_hashed("/ppt-web-29b24e4136f0fd4.js"));
        assert!(is_hashed("/ppt-web-29b24e4136f0fd4_bg.wasm"));
        assert!(!is_hashed("/ppt-web-29b24e4136f0fd4a7.js"));
        assert!(!is_hashed("/static/docs/minutes-20261130.txt"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/static/docs/house-rules.txt"));
        assert!(!is_hashed("/annual-report-2025.txt"));
    }
}
