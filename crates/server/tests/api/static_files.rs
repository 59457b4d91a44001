//! The built app is served from compressed copies made once, with its real content type.

use reqwest::StatusCode;

use crate::helpers::*;

/// A browser that accepts brotli gets the `.br` copy as it is (a fixed length, not a stream
/// compressed per request), typed as wasm so it can be compiled while it downloads; one that
/// accepts nothing gets the file itself.
#[tokio::test]
async fn the_app_is_served_precompressed() {
    let app = spawn_app().await;
    let dir = app.static_dir();
    let wasm: Vec<u8> = (0..40_000u32)
        .flat_map(|i| (i % 97).to_le_bytes())
        .collect();
    std::fs::write(dir.join("app_bg.wasm"), &wasm).unwrap();
    ppt_server::static_files::precompress(&dir).unwrap();
    let br = std::fs::read(dir.join("app_bg.wasm.br")).unwrap();

    let r = app
        .http
        .get(format!("http://{}/app_bg.wasm", app.addr))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(r.headers()["content-type"], "application/wasm");
    assert_eq!(r.bytes().await.unwrap().as_ref(), br.as_slice());

    let r = app
        .http
        .get(format!("http://{}/app_bg.wasm", app.addr))
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().await.unwrap().as_ref(), wasm.as_slice());
}
