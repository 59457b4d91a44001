//! App size: the release build's wasm, JS and CSS, raw, gzip (level 9) and brotli (11).

use std::io::Write;
use std::path::Path;

use crate::report::Report;
use crate::{SIZE_GATE_GZIP, SIZE_TARGET_GZIP};

fn gzip(bytes: &[u8]) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = e.write_all(bytes);
    e.finish().map(|v| v.len()).unwrap_or(0)
}

fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
    let _ = w.write_all(bytes);
    drop(w);
    out.len()
}

/// Measures `dist`; returns whether the app has outgrown its gate.
pub fn run(dist: &Path, report: &mut Report) -> Result<bool, String> {
    let entries = std::fs::read_dir(dist)
        .map_err(|e| format!("{}: {e} (build the app first)", dist.display()))?;
    let (mut raw, mut gz, mut br) = (0u64, 0u64, 0u64);
    for entry in entries.flatten() {
        let path = entry.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "wasm" | "js" | "css") {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        let (g, b) = (gzip(&bytes), brotli(&bytes));
        println!(
            "  {:<48} raw {:>8}  gzip {:>8}  brotli {:>8}",
            path.file_name().unwrap_or_default().to_string_lossy(),
            bytes.len(),
            g,
            b
        );
        raw += bytes.len() as u64;
        gz += g as u64;
        br += b as u64;
    }
    if raw == 0 {
        return Err(format!("no wasm, js or css in {}", dist.display()));
    }
    report.add(
        "app size (wasm + JS + CSS)",
        format!(
            "{:.1} KiB raw, {:.1} KiB gzip, {:.1} KiB brotli",
            raw as f64 / 1024.0,
            gz as f64 / 1024.0,
            br as f64 / 1024.0
        ),
        format!(
            "≤ {} KiB gzip (stretch ≤ 100); CI gate today {} KiB",
            SIZE_TARGET_GZIP / 1024,
            SIZE_GATE_GZIP / 1024
        ),
        Some(gz <= SIZE_TARGET_GZIP),
    );
    report.limit(
        "the wasm's code and data (~490 KB, by twiggy): the app's own functions (~167 KB: the \
         live core, tabs, outbox, query client, stores, the pages' callbacks), the components' \
         views expanded into Yew (~90 KB), JSON (~56 KB: a reader per wire type, on one small \
         parser), the standard library and collections (~57 KB), Yew's runtime (~46 KB) and its \
         parts per component (~32 KB), data (~30 KB), drop glue (~8 KB); wasm-opt settings \
         differ by under 1 %",
    );
    Ok(gz > SIZE_GATE_GZIP)
}
