//! A building's documents as files: never at a public address. The list
//! (`GET /documents`, [`super::lists::documents`]) gives each document a link of its own,
//! `GET /documents/{id}/file?expires=…&sig=…`, signed for that document and its building
//! and valid for [`LINK_TTL`]; the link opens in a new tab (no `Authorization` header to
//! carry) and nobody else can make one. The file is the one the document's row names
//! under the app's `static/docs/`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use sqlx::Row;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::{parse_id, AppPath};
use crate::auth::jwt::unix_now;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How long a document's link works after the list gave it.
pub const LINK_TTL: Duration = Duration::from_secs(3600);

/// Where a document's row names its file (below the app's static dir).
const FILES: &str = "/static/docs/";

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks document links with a key of their own, derived from the JWT secret.
#[derive(Clone)]
pub struct DocumentLinks {
    key: std::sync::Arc<[u8]>,
}

impl std::fmt::Debug for DocumentLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DocumentLinks")
    }
}

impl DocumentLinks {
    pub fn new(secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(b"ppt-web document links v1");
        DocumentLinks {
            key: mac.finalize().into_bytes().to_vec().into(),
        }
    }

    fn mac(&self, document: i64, building: i64, expires: u64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(format!("{document}.{building}.{expires}").as_bytes());
        mac
    }

    /// The address the list gives for a document whose row names `stored`: a signed link
    /// for a file of the app's documents, the stored address itself for anything else.
    pub fn link(&self, document: i64, building: i64, stored: &str) -> String {
        if !stored.starts_with(FILES) {
            return stored.to_owned();
        }
        let expires = unix_now() + LINK_TTL.as_secs();
        let sig = URL_SAFE_NO_PAD.encode(
            self.mac(document, building, expires)
                .finalize()
                .into_bytes(),
        );
        format!("/api/v1/documents/{document}/file?expires={expires}&sig={sig}")
    }

    /// Whether a link's signature was made for this document and building and is still
    /// valid.
    fn valid(&self, document: i64, building: i64, expires: u64, sig: &str) -> bool {
        let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
            return false;
        };
        expires >= unix_now()
            && self
                .mac(document, building, expires)
                .verify_slice(&sig)
                .is_ok()
    }
}

#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    expires: u64,
    sig: String,
}

/// `GET /documents/{id}/file?expires=&sig=`: the file, for a link the list gave (404 for any
/// other: no hint whether the document exists).
pub async fn file(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
    query: Result<axum::extract::Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> AppResult<Response> {
    let gone = || AppError::NotFound("no such document, or its link has expired".into());
    let id = parse_id(&id, "document")?;
    let axum::extract::Query(link) = query.map_err(|_| gone())?;
    let row = sqlx::query("SELECT building_id, url FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(state.storage.pool())
        .await?
        .ok_or_else(gone)?;
    let building: i64 = row.try_get(0)?;
    let stored: String = row.try_get(1)?;
    if !state.documents.valid(id, building, link.expires, &link.sig) {
        return Err(gone());
    }
    let name = stored
        .strip_prefix(FILES)
        .filter(|n| !n.is_empty() && !n.contains('/') && !n.contains("..") && !n.contains('\\'))
        .ok_or_else(gone)?;
    let path = state.config.static_dir.join("static/docs").join(name);
    let served = ServeFile::new(path)
        .oneshot(request)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if served.status() == axum::http::StatusCode::NOT_FOUND {
        return Err(gone());
    }
    let mut served = served.into_response();
    served.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        axum::http::HeaderValue::from_static("inline"),
    );
    Ok(served)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link works for its document and building until it expires; a link for another
    /// document, another building, a later expiry or with another key does not.
    #[test]
    fn links_are_signed_for_one_document() {
        let links = DocumentLinks::new(b"a secret of at least thirty-two bytes");
        let link = links.link(7, 1, "/static/docs/house-rules.txt");
        let query = link.split_once('?').unwrap().1;
        let mut expires = 0;
        let mut sig = String::new();
        for pair in query.split('&') {
            match pair.split_once('=').unwrap() {
                ("expires", v) => expires = v.parse().unwrap(),
                ("sig", v) => sig = v.to_owned(),
                _ => {}
            }
        }
        assert!(links.valid(7, 1, expires, &sig));
        assert!(!links.valid(8, 1, expires, &sig));
        assert!(!links.valid(7, 2, expires, &sig));
        assert!(!links.valid(7, 1, expires + 1, &sig));
        let past = unix_now() - 1;
        let old = URL_SAFE_NO_PAD.encode(links.mac(7, 1, past).finalize().into_bytes());
        assert!(!links.valid(7, 1, past, &old), "expired");
        let other = DocumentLinks::new(b"another secret of thirty-two bytes!!");
        assert!(!other.valid(7, 1, expires, &sig));
        assert_eq!(
            links.link(7, 1, "https://example.org/x"),
            "https://example.org/x"
        );
    }
}
