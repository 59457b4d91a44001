//! App size: the release build's wasm, JS and CSS, raw, gzip (level 9) and brotli (11), of
//! this build and of the one before when it is measured beside it.

use std::io::Write;
use std::path::Path;

use crate::browser::Build;
use crate::report::Report;
use crate::SIZE_GATE_GZIP;

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

/// Raw, gzip and brotli bytes of the app's files in `dist`, each file printed.
fn measure(dist: &Path) -> Result<(u64, u64, u64), String> {
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
    Ok((raw, gz, br))
}

/// Measures every build; returns whether this one (the first) has outgrown its gate.
pub fn run(builds: &[Build], report: &mut Report) -> Result<bool, String> {
    let mut sizes = Vec::new();
    for b in builds {
        sizes.push(measure(&b.dist)?);
    }
    let kib = |n: u64| n as f64 / 1024.0;
    let gz = sizes[0].1;
    report.add(
        "app size (wasm + JS + CSS)",
        crate::browser::each(builds, |i| {
            let (raw, gz, br) = sizes[i];
            format!(
                "{:.1} KiB raw, {:.1} KiB gzip, {:.1} KiB brotli",
                kib(raw),
                kib(gz),
                kib(br)
            )
        }),
        format!(
            "CI gate {:.0} KiB gzip: the app on its specified stack as measured, plus 3 %",
            kib(SIZE_GATE_GZIP)
        ),
        Some(gz <= SIZE_GATE_GZIP),
    );
    report.limit(
        "the stack the app is specified on (yew, yew-router, yewdux, serde_json, gloo) on the \
         stable compiler; what each part costs: docs/performance-notes.md",
    );
    Ok(gz > SIZE_GATE_GZIP)
}
