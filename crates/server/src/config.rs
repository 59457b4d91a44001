//! Server settings: every one a flag with an environment-variable twin (docs/protocol.md, "Server settings").

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// `ppt-server` settings.
#[derive(Debug, Clone, Parser)]
#[command(name = "ppt-server", version, about = "The ppt-web server")]
pub struct Config {
    /// Set up a deployment instead of serving (against the same `--db`).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on.
    #[arg(long, env = "PPT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Where to serve Prometheus metrics (`http://ADDR/metrics`); off unless given, and never
    /// on the public address.
    #[arg(long, env = "PPT_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// The database: a SQLite file (created when missing), or a `postgres://` URL that any
    /// number of servers may share.
    #[arg(
        long,
        env = "PPT_DB",
        default_value = "ppt.sqlite3",
        hide_env_values = true,
        global = true
    )]
    pub db: String,

    /// Seed the demo world (two buildings, their residents and managers; password demo1234)
    /// into an empty database.
    #[arg(long, env = "PPT_DEMO", default_value_t = false)]
    pub demo: bool,

    /// Most database connections this server opens.
    #[arg(long, env = "PPT_DB_CONNECTIONS", default_value_t = 8)]
    pub db_connections: u32,

    /// How long a request waits for a database connection before it is answered 503, in
    /// milliseconds.
    #[arg(long, env = "PPT_DB_TIMEOUT_MS", default_value_t = 5000)]
    pub db_timeout_ms: u64,

    /// How often the server reads the event log for events it was not woken for, in
    /// milliseconds (a lost PostgreSQL notification delays delivery at most this long).
    #[arg(long, env = "PPT_LOG_POLL_MS", default_value_t = 1000)]
    pub log_poll_ms: u64,

    /// On PostgreSQL, be woken by `LISTEN` when other servers commit (off: the poll alone).
    #[arg(long, env = "PPT_LOG_LISTEN", default_value_t = true, action = clap::ArgAction::Set)]
    pub log_listen: bool,

    /// The built app (Trunk's dist); `/` and unknown non-API paths serve its index.html.
    #[arg(long, env = "PPT_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,

    /// HS256 secret for JWTs, at least 32 bytes; default: a random secret generated once and
    /// kept in the database. Prefer --jwt-secret-file: a value on the command line shows in
    /// `ps`.
    #[arg(
        long,
        env = "PPT_JWT_SECRET",
        hide_env_values = true,
        conflicts_with = "jwt_secret_file"
    )]
    pub jwt_secret: Option<String>,

    /// A file holding the HS256 secret for JWTs (at least 32 bytes; a final newline is not
    /// part of it), readable by the server's user only.
    #[arg(long, env = "PPT_JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<PathBuf>,

    /// Where the app opens its WebSocket, when not at the page's own origin (`wss://live.example/ws`):
    /// given to the app in the page this server serves, and allowed in its CSP's `connect-src`.
    /// The server at that address must allow this page's origin (`--allowed-origins`).
    #[arg(long, env = "PPT_PUBLIC_WS_URL")]
    pub public_ws_url: Option<String>,

    /// Origins allowed to open /ws besides the page's own (comma-separated).
    /// None by default: a server in production serves its own pages. `scripts/dev.sh` names
    /// Trunk's dev server (`http://127.0.0.1:8081,http://localhost:8081`).
    #[arg(long, env = "PPT_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Accept a token in `/ws?token=` (the original design's form; tokens in URLs end up in
    /// proxies' logs). Off: such an upgrade is refused, 400 `bad_query`; the token belongs in
    /// the first frame.
    #[arg(long, env = "PPT_WS_QUERY_TOKEN", default_value_t = false, action = clap::ArgAction::Set)]
    pub ws_query_token: bool,

    /// Proxies whose `X-Forwarded-For` names the client (comma-separated addresses); from
    /// anyone else the header is ignored.
    #[arg(long, env = "PPT_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxy: Vec<std::net::IpAddr>,

    /// Limits on creates per user and kind, comma-separated `KIND=N/PERIOD` (N at once, then
    /// one every PERIOD/N; PERIOD s, min or h, maybe with a number: 10s) or `KIND=off`; KIND is messages, faults,
    /// announcements, votes, ballots or all. Kinds not named keep their defaults
    /// (messages=30/min, faults=10/min, announcements=10/min, votes=10/min, ballots=30/min,
    /// 10/min for any other kind);
    /// `off` lifts every limit. Past a limit a create is answered 429 `rate_limited`.
    #[arg(
        long = "create-limit",
        env = "PPT_CREATE_LIMITS",
        value_delimiter = ','
    )]
    pub create_limits: Vec<crate::routes::create_limits::CreateLimit>,

    /// Failed logins an account may have at once; then one more a minute (429 meanwhile).
    #[arg(long, env = "PPT_LOGIN_ACCOUNT_BURST", default_value_t = 5)]
    pub login_account_burst: u32,

    /// Failed logins a client address may have at once; then one more every 6 s.
    #[arg(long, env = "PPT_LOGIN_ADDRESS_BURST", default_value_t = 20)]
    pub login_address_burst: u32,

    /// Password checks (argon2) that may run at once (default: the number of cores).
    #[arg(long, env = "PPT_ARGON2_CONCURRENCY")]
    pub argon2_concurrency: Option<usize>,

    /// Lifetime of an access token, in seconds (at most 900: 15 minutes).
    #[arg(long, env = "PPT_TOKEN_TTL_SECS", default_value_t = 900)]
    pub token_ttl_secs: u64,

    /// Longest a login session lives, in seconds (30 days); then the user signs in again.
    #[arg(long, env = "PPT_SESSION_MAX_SECS", default_value_t = 30 * 86_400)]
    pub session_max_secs: u64,

    /// Longest a session started as "a shared computer" (`login-shared`) lives, in seconds
    /// (8 hours; at most `--session-max-secs`). Its cookie also ends when the browser closes.
    #[arg(long, env = "PPT_SHARED_SESSION_SECS", default_value_t = 8 * 3600)]
    pub shared_session_secs: u64,

    /// How long a browser may still show, offline, the lists it kept for its user after it
    /// last reached the server, in seconds (7 days). After a sign-out elsewhere, a device that
    /// stays offline shows them at most this long; 0: browsers keep nothing for offline use.
    #[arg(long, env = "PPT_OFFLINE_MAX_AGE", default_value_t = 7 * 86_400)]
    pub offline_max_age: u64,

    /// How long after a refresh its spent token is still answered, once, with the same
    /// rotation's result, in seconds: a browser whose answer was lost (the network dropped
    /// on the way back) is not signed out. Later, a spent token ends the session (reuse);
    /// 0: never.
    #[arg(long, env = "PPT_REFRESH_REUSE_SECS", default_value_t = 10)]
    pub refresh_reuse_secs: u64,

    /// How often each server looks for sessions ended elsewhere (another server, an
    /// administrative command) to close their sockets, in milliseconds.
    #[arg(long, env = "PPT_SESSION_SWEEP_MS", default_value_t = 1000)]
    pub session_sweep_ms: u64,

    /// Whether the refresh cookie is marked `Secure`: `auto` (unless the request came to a
    /// loopback address, such as a developer's http://localhost), `always` or `never`.
    #[arg(long, env = "PPT_COOKIE_SECURE", default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub cookie_secure: String,

    /// How long a new socket may take to send its `auth` frame, in milliseconds.
    #[arg(long, env = "PPT_AUTH_TIMEOUT_MS", default_value_t = 5000)]
    pub auth_timeout_ms: u64,

    /// How many events the log keeps per stream: of each building's building-wide events, and
    /// of each person's own (messages, their notifications). A cursor older than what its
    /// streams kept gets `resetRequired`; one building's flood prunes only its own streams.
    #[arg(long, env = "PPT_EVENT_RETENTION", default_value_t = 100_000)]
    pub event_retention: u64,

    /// No event older than this many days is kept (0: no limit by age); a cursor older than
    /// that gets `resetRequired`.
    #[arg(long, env = "PPT_EVENT_RETENTION_DAYS", default_value_t = 30)]
    pub event_retention_days: u64,

    /// How often the server sends a WebSocket ping on each socket, in milliseconds (browsers
    /// answer it themselves, even in throttled background tabs).
    #[arg(long, env = "PPT_WS_PING_MS", default_value_t = 30_000)]
    pub ws_ping_ms: u64,

    /// A socket from which nothing at all (not even a pong) arrives for this long is closed
    /// with 4408, in milliseconds.
    #[arg(long, env = "PPT_WS_IDLE_MS", default_value_t = 75_000)]
    pub ws_idle_ms: u64,

    /// A socket whose writes stall this long is dropped, in milliseconds.
    #[arg(long, env = "PPT_WS_WRITE_TIMEOUT_MS", default_value_t = 10_000)]
    pub ws_write_timeout_ms: u64,

    /// Most sockets one user may hold on this server; the next is closed with 4429.
    #[arg(long, env = "PPT_WS_MAX_PER_USER", default_value_t = 32)]
    pub ws_max_per_user: usize,

    /// Frames queued for one socket before it counts as too slow and is closed (1013).
    #[arg(long, env = "PPT_SEND_QUEUE", default_value_t = 1024)]
    pub send_queue: usize,

    /// Speak the original ppt-web envelope: no `id` on events (live and missed), so clients
    /// of the original design, and this app's fallback to timestamps, can be checked.
    #[arg(long, env = "PPT_OMIT_EVENT_IDS", default_value_t = false)]
    pub omit_event_ids: bool,

    /// Keep the demo building alive: neighbours act now and then (see `--simulate-every-ms`).
    #[arg(long, env = "PPT_SIMULATE", default_value_t = false)]
    pub simulate: bool,

    /// Answer `POST /api/v1/bench/publish`, the load source of `ppt-bench` (off: 404).
    #[arg(long, env = "PPT_BENCH_API", default_value_t = false)]
    pub bench_api: bool,

    /// Mean pause between simulated neighbour actions, in milliseconds.
    #[arg(long, env = "PPT_SIMULATE_EVERY_MS", default_value_t = 8000)]
    pub simulate_every_ms: u64,
}

/// Administrative commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Buildings.
    #[command(subcommand)]
    Building(BuildingCommand),
    /// Accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum BuildingCommand {
    /// Adds a building.
    Add {
        /// Its name, as residents know it ("Sunny Court 12").
        name: String,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Adds an account; its password is read from standard input (one line).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["resident", "manager"])]
        role: String,
        /// The building's name.
        #[arg(long)]
        building: String,
        #[arg(long, default_value = "")]
        apartment: String,
    },
    /// Changes an account's role, building, name or apartment; a new role or building ends
    /// its sessions (it signs in again). Open neighbours pages change at once.
    Set {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["resident", "manager"])]
        role: Option<String>,
        /// The new building's name.
        #[arg(long)]
        building: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        apartment: Option<String>,
    },
    /// A resident who moved out: the account signs in no more and is no one's neighbour; its
    /// history stays (and its email stays taken).
    Remove {
        #[arg(long)]
        email: String,
    },
    /// Ends every session of an account at once (a lost phone, a departing resident).
    Logout {
        #[arg(long)]
        email: String,
    },
}

/// Longest access-token lifetime accepted, in seconds (docs/protocol.md, "Sessions and tokens").
pub const MAX_TOKEN_TTL: u64 = 900;

/// Shortest `--jwt-secret` accepted, in bytes (HS256's key should be at least its hash size).
pub const MIN_JWT_SECRET: usize = 32;

impl Config {
    /// Settings for tests and embedding: every default, with the given database (a SQLite
    /// path or a `postgres://` URL) and static dir.
    pub fn for_db(db: impl Into<String>, static_dir: PathBuf) -> Self {
        let mut c = Config::parse_from(["ppt-server"]);
        c.db = db.into();
        c.static_dir = static_dir;
        c
    }

    /// Connection pool settings.
    pub fn pool(&self) -> crate::db::PoolSettings {
        crate::db::PoolSettings {
            max_connections: self.db_connections,
            acquire_timeout: Duration::from_millis(self.db_timeout_ms),
        }
    }

    /// Login limits.
    pub fn login(&self) -> crate::auth::limits::LoginSettings {
        crate::auth::limits::LoginSettings {
            account_burst: self.login_account_burst,
            address_burst: self.login_address_burst,
            argon2_concurrency: self
                .argon2_concurrency
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        }
    }

    /// What the event log keeps.
    pub fn retention(&self) -> crate::eventlog::retention::Retention {
        crate::eventlog::retention::Retention {
            per_stream: self.event_retention,
            max_age: (self.event_retention_days > 0)
                .then(|| Duration::from_secs(self.event_retention_days.saturating_mul(86_400))),
        }
    }

    pub fn log_poll(&self) -> Duration {
        Duration::from_millis(self.log_poll_ms.max(10))
    }

    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl_secs)
    }

    pub fn session_sweep(&self) -> Duration {
        Duration::from_millis(self.session_sweep_ms.max(10))
    }

    pub fn auth_timeout(&self) -> Duration {
        Duration::from_millis(self.auth_timeout_ms)
    }
}
