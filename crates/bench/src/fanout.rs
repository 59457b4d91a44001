//! Fan-out: N authenticated sockets, 200-byte building-wide events published at rising rates
//! through the server's benchmark source. For each rate: deliveries/s, latency (server send
//! to receipt) and server CPU per delivery. The rise stops when a rate is no longer carried
//! (not everything delivered, or deliveries fall well behind the offered rate).
//!
//! Also memory per idle socket (server RSS growth / N).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::load::ServerProcess;
use crate::load::{
    cpu_seconds, open_sockets, open_sockets_as, resident_tokens, Latencies, Readers,
};
use crate::report::Report;

/// One rate step's result.
#[derive(Clone)]
pub struct Step {
    pub sockets: usize,
    pub events_per_sec: u32,
    pub delivered: u64,
    pub expected: u64,
    pub deliveries_per_sec: f64,
    pub server_cpu_us_per_delivery: f64,
    pub client_cpu_s: f64,
    pub latency: Latencies,
}

impl Step {
    /// Everything arrived, at no less than 80 % of the offered rate.
    pub fn carried(&self) -> bool {
        self.delivered == self.expected
            && self.deliveries_per_sec >= 0.8 * self.events_per_sec as f64 * self.sockets as f64
    }

    pub fn describe(&self) -> String {
        format!(
            "{:.0} deliveries/s, p50 {:.2} ms, p99 {:.2} ms, {:.2} µs server CPU per delivery",
            self.deliveries_per_sec,
            self.latency.percentile_ms(0.5),
            self.latency.percentile_ms(0.99),
            self.server_cpu_us_per_delivery
        )
    }
}

/// Has `publish(count, rate)` send `count` events at `rate`/s to sockets already being read
/// (by `readers`), and measures the deliveries, their latency and the CPU of the server (or
/// of all the servers, `server_pids` separated by commas).
pub async fn step<F, Fut>(
    readers: &Readers,
    sockets: usize,
    rate: u32,
    secs: f64,
    server_pid: &str,
    publish: F,
) -> Result<Step, String>
where
    F: FnOnce(u32, u32) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let count = ((rate as f64 * secs) as u32).max(1);
    let expected = count as u64 * sockets as u64;
    readers.received.store(0, Ordering::Relaxed);
    readers.latency.take();
    let servers_cpu = || server_pid.split(',').map(cpu_seconds).sum::<f64>();
    let (cpu0, me0) = (servers_cpu(), cpu_seconds("self"));
    let start = Instant::now();
    publish(count, rate).await?;
    let delivered = readers.wait_for(expected, Duration::from_secs(3)).await;
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = servers_cpu() - cpu0;
    Ok(Step {
        sockets,
        events_per_sec: rate,
        delivered,
        expected,
        deliveries_per_sec: delivered as f64 / elapsed,
        server_cpu_us_per_delivery: cpu * 1e6 / delivered.max(1) as f64,
        client_cpu_s: cpu_seconds("self") - me0,
        latency: readers.latency.take(),
    })
}

/// Runs rising rates against `sockets` sockets; returns every step run.
async fn rising(sockets: usize, rates: &[u32], secs: f64) -> Result<Vec<Step>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let server = ServerProcess::start(
        &dir.path().join("fanout.sqlite3").display().to_string(),
        &["--send-queue", "16384"],
    )
    .await?;
    let opened = open_sockets(&server, sockets).await?;
    let readers = Arc::new(Readers::default());
    let tasks = readers.spawn(opened);
    let martin = server.token("martin@demo.ppt").await?;
    let steps = climb(
        "ppt-server",
        &readers,
        sockets,
        rates,
        secs,
        &server.pid(),
        |count, rate| server.publish_entities(&martin, count, rate),
    )
    .await;
    for t in tasks {
        t.abort();
    }
    steps
}

/// Steps through rising rates until one is not carried (or a socket closed).
pub async fn climb<F, Fut>(
    label: &str,
    readers: &Readers,
    sockets: usize,
    rates: &[u32],
    secs: f64,
    server_pid: &str,
    publish: F,
) -> Result<Vec<Step>, String>
where
    F: Fn(u32, u32) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut steps = Vec::new();
    for &rate in rates {
        let s = step(readers, sockets, rate, secs, server_pid, &publish).await?;
        println!(
            "  {label}: {sockets} sockets, {rate} events/s: {} ({}/{}; load generator {:.1} CPU-s)",
            s.describe(),
            s.delivered,
            s.expected,
            s.client_cpu_s
        );
        let carried = s.carried();
        steps.push(s);
        if !carried || readers.closed.load(Ordering::Relaxed) > 0 {
            break;
        }
    }
    Ok(steps)
}

/// The best carried step (highest deliveries/s), or the first one if none was carried.
fn best(steps: &[Step]) -> Option<&Step> {
    steps
        .iter()
        .filter(|s| s.carried())
        .max_by(|a, b| a.deliveries_per_sec.total_cmp(&b.deliveries_per_sec))
        .or(steps.first())
}

/// What the fan-out runs found, for the comparison and the histogram.
pub struct FanOut {
    pub at_1000: Vec<Step>,
    /// Sockets, rates and seconds per rate of the first (1,000-socket) run.
    ladder: (usize, Vec<u32>, f64),
}

impl FanOut {
    /// The first run's sockets, rates and seconds per rate, to repeat against another server.
    pub fn ladder(&self) -> (usize, Vec<u32>, f64) {
        self.ladder.clone()
    }
}

pub async fn run(quick: bool, report: &mut Report) -> Result<FanOut, String> {
    // For exploring: `PPT_BENCH_PROBE=<sockets>:<events/s>` runs one step and prints it.
    if let Some((n, rate)) = std::env::var("PPT_BENCH_PROBE")
        .ok()
        .and_then(|v| {
            v.split_once(':')
                .map(|(a, b)| (a.parse().ok(), b.parse().ok()))
        })
        .and_then(|(a, b)| Some((a?, b?)))
    {
        let at_1000 = rising(n, &[rate], 3.0).await?;
        return Ok(FanOut {
            at_1000,
            ladder: (n, vec![rate], 3.0),
        });
    }
    let (small, large, secs) = if quick {
        (50usize, 200usize, 0.5)
    } else {
        (1_000, 10_000, 2.0)
    };
    let rates = [50, 100, 250, 500, 1_000, 2_000, 4_000][..if quick { 1 } else { 7 }].to_vec();
    let at_1000 = rising(small, &rates, secs).await?;
    let at_10000 = rising(
        large,
        &[10, 25, 50, 100, 200][..if quick { 1 } else { 5 }],
        secs,
    )
    .await?;
    for (sockets, steps, target, want_rate, want_p99) in [
        (
            small,
            &at_1000,
            "≥ 1,000,000/s with p99 ≤ 50 ms at 1,000 sockets",
            1_000_000.0,
            50.0,
        ),
        (
            large,
            &at_10000,
            "≥ 500,000/s with p99 ≤ 100 ms at 10,000 sockets",
            500_000.0,
            100.0,
        ),
    ] {
        let Some(b) = best(steps) else { continue };
        let ladder: Vec<String> = steps
            .iter()
            .map(|s| {
                format!(
                    "{}/s → {:.0}{}",
                    s.events_per_sec,
                    s.deliveries_per_sec,
                    if s.carried() { "" } else { " (not carried)" }
                )
            })
            .collect();
        report.add(
            format!("fan-out: {sockets} sockets, 200-byte events"),
            format!(
                "{} (events/s → deliveries/s: {})",
                b.describe(),
                ladder.join(", ")
            ),
            target,
            (!quick).then_some(
                b.deliveries_per_sec >= want_rate && b.latency.percentile_ms(0.99) <= want_p99,
            ),
        );
        report.limit(format!(
            "CPU: {:.2} µs of server CPU per delivery (a write system call per socket per batch of \
             frames) while the load generator used {:.1} CPU-s per second reading them, on the same \
             {} cores; latency is queueing on a saturated machine",
            b.server_cpu_us_per_delivery,
            b.client_cpu_s / secs,
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        ));
        report.remember(
            format!(
                "fan-out, {sockets} sockets, {} events/s (best carried rate)",
                b.events_per_sec
            ),
            b.latency.clone(),
        );
        // At 1,000 sockets also the rate of the target (1,000,000 deliveries/s), if run.
        if let Some(at_target) = steps.iter().find(|s| {
            s.sockets == 1_000 && s.events_per_sec == 1_000 && s.events_per_sec != b.events_per_sec
        }) {
            report.remember(
                format!(
                    "fan-out, {sockets} sockets, 1000 events/s (1,000,000 deliveries/s offered)"
                ),
                at_target.latency.clone(),
            );
        }
        if !b.carried() {
            return Err(format!(
                "fan-out at {sockets} sockets carried no rate: {}/{} delivered",
                b.delivered, b.expected
            ));
        }
    }
    Ok(FanOut {
        at_1000,
        ladder: (small, rates, secs),
    })
}

/// Server memory per idle authenticated socket; returns it in bytes.
pub async fn idle(quick: bool, report: &mut Report) -> Result<f64, String> {
    let n = if quick { 200 } else { 10_000 };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let server =
        ServerProcess::start(&dir.path().join("idle.sqlite3").display().to_string(), &[]).await?;
    // Warm up before measuring: the first connections, and the threads (with their allocator
    // arenas) that opening 64 sockets at a time brings up, are not per-socket costs.
    // Logins first: each is an argon2 hash, whose 19 MiB the allocator may keep or give back.
    let tokens = resident_tokens(&server).await?;
    let warm = open_sockets_as(&server, &tokens, 256).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = server.rss_kib();
    let first = open_sockets_as(&server, &tokens, n / 2).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let half = server.rss_kib();
    let second = open_sockets_as(&server, &tokens, n - n / 2).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server.rss_kib();
    let m = IdleMemory::new(n, before, half, after);
    let per = m.per_socket();
    report.add(
        format!("memory per idle socket ({n} authenticated)"),
        m.describe(),
        "≤ 8 KB",
        (!quick).then_some(per <= 8_000.0),
    );
    drop((first, second, warm));
    Ok(per)
}

/// Server RSS (KiB) before, at half and at all of `n` idle sockets.
pub struct IdleMemory {
    n: usize,
    before: u64,
    half: u64,
    after: u64,
}

impl IdleMemory {
    pub fn new(n: usize, before: u64, half: u64, after: u64) -> Self {
        IdleMemory {
            n,
            before,
            half,
            after,
        }
    }

    /// Bytes per socket: the growth from `n/2` to `n` sockets, divided. The growth from the
    /// start also holds one-time costs (allocator heaps of threads woken by the first
    /// connections, 20 MiB or not between runs of the same build); the second half's growth
    /// holds only what each socket costs.
    pub fn per_socket(&self) -> f64 {
        self.after.saturating_sub(self.half) as f64 * 1024.0 / (self.n - self.n / 2) as f64
    }

    /// Bytes per socket counted from before the first (one-time costs included).
    pub fn since_start(&self) -> f64 {
        self.after.saturating_sub(self.before) as f64 * 1024.0 / self.n as f64
    }

    pub fn describe(&self) -> String {
        format!(
            "{:.1} KiB (server RSS {} → {} → {} KiB at 0, {} and {} sockets: the second half's \
             growth divided; from the start {:.1} KiB)",
            self.per_socket() / 1024.0,
            self.before,
            self.half,
            self.after,
            self.n / 2,
            self.n,
            self.since_start() / 1024.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::IdleMemory;

    /// Per socket is the second half's growth; one-time growth before it does not count.
    #[test]
    fn idle_memory_counts_the_second_half() {
        // 20 MiB of one-time growth in the first half, 5 KiB per socket throughout.
        let m = IdleMemory::new(
            1_000,
            40_000,
            40_000 + 20 * 1024 + 2_500,
            40_000 + 20 * 1024 + 5_000,
        );
        assert_eq!(m.per_socket(), 5.0 * 1024.0);
        assert!(m.since_start() > 20.0 * 1024.0);
        assert!(m.describe().starts_with("5.0 KiB"));
    }
}
