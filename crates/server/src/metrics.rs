//! What an operator watches: Prometheus metrics (`prometheus-client`), one registry per
//! server, served on their own listener (`--metrics-addr`, off by default, never on the
//! public port) at `/metrics` in the text exposition format.
//!
//! Names are `ppt_*`; counters end in `_total`, durations are histograms in seconds.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::state::AppState;

/// An HTTP answer's route (as the router spells it, `/api/v1/faults/{id}`) and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: String,
    pub status: u16,
}

/// A route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    pub route: String,
}

/// Why a socket closed, and with which code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CloseLabels {
    /// The `connection:error` code sent with the close (`client` when the client closed,
    /// `none` when the server closed without one).
    pub reason: String,
    pub code: u16,
}

/// The database pool's connections by state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub state: &'static str,
}

/// Every figure a server keeps.
pub struct Metrics {
    registry: Registry,
    /// WebSockets open now (authenticated or not).
    pub sockets_open: Gauge,
    /// WebSockets past authentication now.
    pub sockets_authenticated: Gauge,
    pub socket_closes: Family<CloseLabels, Counter>,
    /// `/events/missed` answers and how long they took.
    pub catchup_seconds: Histogram,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_seconds: Family<RouteLabel, Histogram>,
    /// Logins refused (wrong email or password, or too many tries).
    pub login_refusals: Counter,
    /// Answers 429 (too many requests), by route.
    pub rate_limited: Family<RouteLabel, Counter>,
    /// Events in the log this server has not followed yet, read when scraped.
    pub follower_lag_events: Gauge,
    /// The database pool's connections, read when scraped.
    pub db_pool: Family<PoolLabels, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn latency() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("ppt");
        let m = Metrics {
            sockets_open: Gauge::default(),
            sockets_authenticated: Gauge::default(),
            socket_closes: Family::default(),
            catchup_seconds: latency(),
            http_requests: Family::default(),
            http_seconds: Family::new_with_constructor(latency),
            login_refusals: Counter::default(),
            rate_limited: Family::default(),
            db_pool: Family::default(),
            follower_lag_events: Gauge::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "sockets_open",
            "WebSockets open now",
            m.sockets_open.clone(),
        );
        r.register(
            "sockets_authenticated",
            "WebSockets past authentication now",
            m.sockets_authenticated.clone(),
        );
        r.register(
            "socket_closes",
            "WebSockets closed, by reason and close code",
            m.socket_closes.clone(),
        );
        r.register(
            "catchup_duration_seconds",
            "Time to answer /events/missed",
            m.catchup_seconds.clone(),
        );
        r.register(
            "http_requests",
            "HTTP answers, by route and status",
            m.http_requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            m.http_seconds.clone(),
        );
        r.register("login_refusals", "Logins refused", m.login_refusals.clone());
        r.register(
            "rate_limited",
            "Answers 429 (too many requests), by route",
            m.rate_limited.clone(),
        );
        r.register(
            "follower_lag_events",
            "Events in the log this server has not followed yet",
            m.follower_lag_events.clone(),
        );
        r.register(
            "db_pool_connections",
            "Database pool connections, by state",
            m.db_pool.clone(),
        );
        Arc::new(Metrics { registry, ..m })
    }

    /// The exposition in Prometheus' text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut open_metrics = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut open_metrics, &self.registry);
        prometheus_text(&open_metrics)
    }

    /// A socket closed: `reason` is the error code sent with the close, if any.
    pub fn socket_closed(&self, reason: Option<&str>, code: u16) {
        self.socket_closes
            .get_or_create(&CloseLabels {
                reason: reason.unwrap_or("none").to_owned(),
                code,
            })
            .inc();
    }
}

/// `prometheus-client` writes OpenMetrics, where a counter's family is named without the
/// `_total` its samples carry; Prometheus' text format (what `promtool check metrics` and
/// every scraper read) names the family as its samples. The rest is the same.
fn prometheus_text(open_metrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = open_metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open_metrics.len() + 16 * counters.len());
    for line in open_metrics.lines() {
        if line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Counts one (a socket open, a socket authenticated) on a gauge for as long as it lives.
pub struct Counted(Gauge);

impl Counted {
    pub fn on(gauge: &Gauge) -> Self {
        gauge.inc();
        Counted(gauge.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The catch-up route, timed on its own as well.
const CATCH_UP: &str = "/api/v1/events/missed";

/// Counts every HTTP answer by its route and status, and times it.
pub async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        // The app's files and anything unknown: one label, not one per address.
        .unwrap_or_else(|| "other".to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    let m = &state.metrics;
    let status = response.status();
    let took = started.elapsed().as_secs_f64();
    m.http_seconds
        .get_or_create(&RouteLabel {
            route: route.clone(),
        })
        .observe(took);
    if route == CATCH_UP && status.is_success() {
        m.catchup_seconds.observe(took);
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        m.rate_limited
            .get_or_create(&RouteLabel {
                route: route.clone(),
            })
            .inc();
    }
    m.http_requests
        .get_or_create(&HttpLabels {
            route,
            status: status.as_u16(),
        })
        .inc();
    response
}

/// `/metrics`: the exposition, with the pool's figures read now.
async fn scrape(State(state): State<AppState>) -> Response {
    let pool = state.storage.pool();
    let size = i64::from(pool.size());
    let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
    let m = &state.metrics;
    m.db_pool
        .get_or_create(&PoolLabels { state: "idle" })
        .set(idle);
    m.db_pool
        .get_or_create(&PoolLabels { state: "in_use" })
        .set((size - idle).max(0));
    if let Ok(head) = state.storage.log_head().await {
        let behind = head.saturating_sub(state.storage.hub().delivered());
        m.follower_lag_events
            .set(i64::try_from(behind).unwrap_or(i64::MAX));
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        m.render(),
    )
        .into_response()
}

/// Serves `/metrics` on `listener` until the server shuts down.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let token = state.shutdown.clone();
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state(state);
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { token.cancelled().await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counters' families take their samples' `_total`; nothing else changes.
    #[test]
    fn counters_are_named_as_their_samples() {
        let om = "# HELP a_x Xs.\n# TYPE a_x counter\na_x_total 1\n# HELP a_g G.\n# TYPE a_g gauge\na_g 2\n# EOF\n";
        assert_eq!(
            prometheus_text(om),
            "# HELP a_x_total Xs.\n# TYPE a_x_total counter\na_x_total 1\n# HELP a_g G.\n# TYPE a_g gauge\na_g 2\n"
        );
    }
}
