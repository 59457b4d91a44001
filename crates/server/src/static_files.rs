//! The built app, compressed once: next to each text or wasm file of the static folder a
//! `.br` (brotli, best) and a `.gz` (gzip, best) are written when missing or older than the
//! file, and served as they are to browsers that accept them. Compressing the 700 KB wasm on
//! every request took a cold start-up about 200 ms on loopback; reading the ready file takes
//! none. Each file is written beside the target and renamed, so a server (or a second one on
//! the same folder) never serves half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Extensions worth compressing.
const COMPRESSIBLE: [&str; 6] = ["wasm", "js", "css", "html", "svg", "json"];

/// Compresses every compressible file under `dir` that needs it; returns how many it wrote.
pub fn precompress(dir: &Path) -> std::io::Result<usize> {
    let mut written = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| COMPRESSIBLE.contains(&e))
            {
                written += compress_file(&path)?;
            }
        }
    }
    Ok(written)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn stale(source: &Path, target: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(source), modified(target)) {
        (Some(s), Some(t)) => t < s,
        _ => true,
    }
}

fn compress_file(path: &Path) -> std::io::Result<usize> {
    let (br, gz) = (with_suffix(path, ".br"), with_suffix(path, ".gz"));
    let (br_stale, gz_stale) = (stale(path, &br), stale(path, &gz));
    if !br_stale && !gz_stale {
        return Ok(0);
    }
    let mut written = 0;
    let data = std::fs::read(path)?;
    if br_stale {
        let mut out = Vec::with_capacity(data.len() / 3);
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
            w.write_all(&data)?;
        }
        replace(&br, &out)?;
        written += 1;
    }
    if gz_stale {
        let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        w.write_all(&data)?;
        replace(&gz, &w.finish()?)?;
        written += 1;
    }
    Ok(written)
}

/// Writes `bytes` to `target` through a temporary file in the same folder and a rename.
fn replace(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = with_suffix(
        target,
        &format!(".{}.tmp", std::process::id() ^ (bytes.len() as u32)),
    );
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, target)
}

/// The app's service worker (`static/sw.js`), served at `/sw.js` so that it controls the
/// whole origin. It comes with the server rather than with the built app: `trunk serve`
/// (frontend work, hot reload) has none, and its pages register nothing.
pub const SERVICE_WORKER: &str = include_str!("../../../static/sw.js");

/// `GET /sw.js`.
pub async fn service_worker() -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/javascript; charset=utf-8",
        )],
        SERVICE_WORKER,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Compressed copies appear once, decompress to the original, and are not redone.
    #[test]
    fn compresses_once_and_faithfully() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("app_bg.wasm");
        let body: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        std::fs::write(&wasm, &body).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not compressed").unwrap();
        assert_eq!(precompress(dir.path()).unwrap(), 2);
        assert_eq!(precompress(dir.path()).unwrap(), 0);
        assert!(!dir.path().join("notes.txt.br").exists());

        let mut plain = Vec::new();
        brotli::Decompressor::new(
            std::fs::File::open(with_suffix(&wasm, ".br")).unwrap(),
            4096,
        )
        .read_to_end(&mut plain)
        .unwrap();
        assert_eq!(plain, body);
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(with_suffix(&wasm, ".gz")).unwrap())
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
    }
}
