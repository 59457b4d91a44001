//! `GET /events/missed`: the request's query string, written by clients and read by the
//! server with the same code, so the two cannot drift. (The page it answers is
//! [`crate::rest::MissedEvents`].)
//!
//! Two cursor forms: `after=<id>&epoch=<epoch>` (an event id in one log; the epoch names the
//! log) and `since=<RFC 3339>` (the original design's, for clients without ids). `limit` is a
//! page size from 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent; larger asks are served
//! [`MAX_LIMIT`].

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 500;
/// Largest page.
pub const MAX_LIMIT: usize = 1000;

/// Where to read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissedCursor {
    /// Events with ids above `id`; `epoch` (when known) must name the server's log.
    After { id: u64, epoch: Option<String> },
    /// Events newer than this timestamp, as given (the server checks and normalises it).
    Since(String),
    /// No cursor yet (`head`): where the log stands now. The answer holds no events and says
    /// `resetRequired` with the log's `latestId` and `epoch`: a client without a cursor
    /// cannot replay, so it loads its data and follows the log from there (polling, when no
    /// socket can be opened).
    Head,
}

/// One request for a page of missed events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedQuery {
    pub cursor: MissedCursor,
    pub limit: usize,
}

impl MissedQuery {
    /// The query string (without `?`), percent-encoded.
    pub fn to_query_string(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        match &self.cursor {
            MissedCursor::After { id, epoch } => {
                q.append_pair("after", &id.to_string());
                if let Some(e) = epoch {
                    q.append_pair("epoch", e);
                }
            }
            MissedCursor::Since(ts) => {
                q.append_pair("since", ts);
            }
            MissedCursor::Head => {
                q.append_pair("head", "");
            }
        }
        q.append_pair("limit", &self.limit.to_string());
        q.finish()
    }

    /// Reads a query string (without `?`).
    pub fn from_query_string(query: &str) -> Result<Self, String> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        Self::parse(&pairs)
    }

    /// Reads decoded query pairs; every problem is an error that names the parameter. Unknown
    /// parameters are ignored.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, String> {
        let get = |k: &str| -> Result<Option<&str>, String> {
            let mut it = pairs.iter().filter(|(key, _)| key == k);
            let first = it.next().map(|(_, v)| v.as_str());
            if it.next().is_some() {
                return Err(format!("`{k}` is given more than once"));
            }
            Ok(first)
        };
        let after = get("after")?;
        let since = get("since")?;
        let head = get("head")?;
        let epoch = get("epoch")?.map(str::to_owned);
        let limit = match get("limit")? {
            None => DEFAULT_LIMIT,
            Some(v) => match v.parse::<usize>() {
                Ok(0) | Err(_) => {
                    return Err(format!(
                        "`limit` must be a whole number from 1 to {MAX_LIMIT}"
                    ))
                }
                Ok(n) => n.min(MAX_LIMIT),
            },
        };
        let cursor = match (after, since) {
            _ if head.is_some() && (after.is_some() || since.is_some()) => {
                return Err("give one of `after`, `since` or `head`".into())
            }
            _ if head.is_some_and(|v| !v.is_empty() && v != "1") => {
                return Err("`head` takes no value".into())
            }
            _ if head.is_some() => MissedCursor::Head,
            (Some(_), Some(_)) => return Err("give either `after` or `since`, not both".into()),
            (None, None) => return Err(
                "a cursor is required: `after=<id>&epoch=<epoch>`, `since=<RFC 3339>` or `head`"
                    .into(),
            ),
            (Some(a), None) => MissedCursor::After {
                id: a
                    .parse()
                    .map_err(|_| "`after` must be an event id (a whole number, 0 or more)")?,
                epoch,
            },
            (None, Some(s)) => MissedCursor::Since(s.to_owned()),
        };
        Ok(MissedQuery { cursor, limit })
    }
}
