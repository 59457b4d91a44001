//! The queries' REST fetches: a list's data from its path, page after page for a paged one,
//! read as its type.

use crate::api::{self, ApiError};
use crate::store::lists::Pages;
use crate::store::queries::{QueryData, QueryValue};

type Decoder = fn(&str) -> Result<QueryData, String>;

fn decode<T: QueryValue>(text: &str) -> Result<QueryData, String> {
    serde_json::from_str::<T>(text)
        .map(QueryValue::wrap)
        .map_err(|e| e.to_string())
}

/// Where a query's data comes from: its path, how to read it, and how it is paged.
#[derive(Clone)]
pub struct Source {
    pub path: String,
    decoder: Decoder,
    pub pages: Option<Pages>,
}

impl Source {
    pub fn of<T: QueryValue>(path: &str, pages: Option<Pages>) -> Self {
        Source {
            path: path.to_owned(),
            decoder: decode::<T> as Decoder,
            pages,
        }
    }
}

/// Fetches `source` (`wanted` items of a paged one; its first page if not said): the data,
/// and whether older items remain.
pub async fn run(
    source: &Source,
    token: &str,
    wanted: Option<usize>,
) -> Result<(QueryData, bool), ApiError> {
    // Whether older items remain: known after several pages; after one, from how many it
    // brought (a full page may have more behind it).
    let (text, more) = match source.pages {
        Some(pages) => {
            let wanted = wanted.unwrap_or(pages.first);
            fetch_pages(&source.path, token, pages, wanted).await?
        }
        None => (fetch_one(&source.path, token).await?, Some(false)),
    };
    let data = (source.decoder)(&text).map_err(ApiError::Decode)?;
    let has_older = more.unwrap_or_else(|| source.pages.is_some_and(|p| data.len() >= p.first));
    Ok((data, has_older))
}

/// One answer; the first page's lists were usually asked for by the page's boot script.
async fn fetch_one(path: &str, token: &str) -> Result<String, ApiError> {
    match crate::browser::boot::take_list(path).await {
        Some(text) => Ok(text),
        None => api::get_text(path, token).await,
    }
}

/// A paged list's newest `wanted` items, page after page ([`Pages`]), as one JSON array;
/// and whether older ones remain (`None` for the first page alone, passed on as it came:
/// the caller counts its items once they are read).
async fn fetch_pages(
    path: &str,
    token: &str,
    pages: Pages,
    wanted: usize,
) -> Result<(String, Option<bool>), ApiError> {
    let (first, mut asked) = pages.first(path, wanted);
    let text = fetch_one(&first, token).await?;
    if wanted <= pages.first {
        return Ok((text, None));
    }
    let mut all: Vec<serde_json::Value> = Vec::new();
    let mut text = text;
    loop {
        let page: Vec<serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))?;
        let len = page.len();
        all.extend(page);
        let oldest = all.last().and_then(|v| v["id"].as_str()).map(str::to_owned);
        match pages.next(path, wanted, all.len(), (asked, len), oldest.as_deref()) {
            Some((next, n)) => {
                asked = n;
                text = api::get_text(&next, token).await?;
            }
            None => {
                let more = len >= asked;
                let text =
                    serde_json::to_string(&all).map_err(|e| ApiError::Decode(e.to_string()))?;
                return Ok((text, Some(more)));
            }
        }
    }
}
