//! The latency histogram picture for docs/performance.md: one panel per measured series,
//! logarithmic time axis from 10 µs to 1 s, bars as the share of samples, p50 and p99 marked.

use std::fmt::Write as _;

use crate::load::Latencies;

const WIDTH: f64 = 760.0;
const PANEL: f64 = 130.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 20.0;
const BINS_PER_DECADE: f64 = 10.0;
/// log10 of the axis ends in milliseconds: 0.01 ms to 1,000 ms.
const FROM: f64 = -2.0;
const TO: f64 = 3.0;

fn x_of(ms: f64) -> f64 {
    let l = ms.max(1e-3).log10().clamp(FROM, TO);
    LEFT + (l - FROM) / (TO - FROM) * (WIDTH - LEFT - RIGHT)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An SVG with one panel per series.
pub fn svg(series: &[(String, Latencies)]) -> String {
    let height = PANEL * series.len().max(1) as f64 + 30.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let bins = ((TO - FROM) * BINS_PER_DECADE) as usize;
    for (i, (name, lat)) in series.iter().enumerate() {
        let top = i as f64 * PANEL + 10.0;
        let base = top + PANEL - 30.0;
        let mut counts = vec![0u64; bins];
        for (ms, c) in lat.buckets_ms() {
            let b = ((ms.max(1e-3).log10() - FROM) * BINS_PER_DECADE).floor();
            counts[(b.max(0.0) as usize).min(bins - 1)] += c;
        }
        let total = lat.total().max(1) as f64;
        let peak = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
        let _ = writeln!(
            out,
            "<text x=\"{LEFT}\" y=\"{}\" font-weight=\"bold\">{} ({} samples)</text>",
            top + 2.0,
            escape(name),
            lat.total()
        );
        for (b, c) in counts.iter().enumerate() {
            if *c == 0 {
                continue;
            }
            let lo = 10f64.powf(FROM + b as f64 / BINS_PER_DECADE);
            let hi = 10f64.powf(FROM + (b + 1) as f64 / BINS_PER_DECADE);
            let (x0, x1) = (x_of(lo), x_of(hi));
            let h = (*c as f64 / peak) * (PANEL - 50.0);
            let _ = writeln!(
                out,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#4a7bd0\"><title>{:.1}% between {lo:.3} and {hi:.3} ms</title></rect>",
                base - h,
                (x1 - x0 - 0.5).max(0.5),
                *c as f64 * 100.0 / total
            );
        }
        for (label, p, colour) in [("p50", 0.5, "#2a8f3a"), ("p99", 0.99, "#c0392b")] {
            let v = lat.percentile_ms(p);
            let x = x_of(v);
            // Labels near the right edge are written leftwards of their line.
            let (tx, anchor) = if x > WIDTH - 140.0 {
                (x - 3.0, "end")
            } else {
                (x + 3.0, "start")
            };
            let _ = writeln!(
                out,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{base:.1}\" stroke=\"{colour}\" stroke-dasharray=\"3 2\"/>\
                 <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"{colour}\" \
                 paint-order=\"stroke\" stroke=\"white\" stroke-width=\"3\">{label} {v:.2} ms</text>",
                top + 8.0,
                top + if label == "p50" { 16.0 } else { 28.0 }
            );
        }
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{base:.1}\" y2=\"{base:.1}\" stroke=\"#333\"/>",
            WIDTH - RIGHT
        );
        for d in (FROM as i32)..=(TO as i32) {
            let ms = 10f64.powi(d);
            let x = x_of(ms);
            let label = if ms < 1.0 {
                format!("{ms} ms")
            } else {
                format!("{ms:.0} ms")
            };
            let _ = writeln!(
                out,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{base:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{label}</text>",
                base + 4.0,
                base + 15.0
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every series gets a panel with its name, bars, and its percentiles.
    #[test]
    fn draws_each_series() {
        let a = Latencies::from_ms(&[0.5, 0.6, 2.0, 40.0]);
        let s = svg(&[("fan-out <1k>".into(), a.clone()), ("screen".into(), a)]);
        assert!(s.starts_with("<svg"));
        assert!(s.contains("fan-out &lt;1k&gt; (4 samples)"));
        assert_eq!(s.matches("p99 ").count(), 2);
        assert!(s.contains("<rect x="));
    }
}
