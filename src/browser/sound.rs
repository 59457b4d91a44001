//! The notification sound (`static/sound/notify.wav`). A browser that refuses autoplay (no
//! user gesture yet) is ignored quietly. Each play attempt is counted on `<body>` as
//! `data-sounds-played`, so people and tests can see that the app asked for a sound.

use wasm_bindgen_futures::JsFuture;

/// Where the sound is served.
pub const SOUND_URL: &str = "/static/sound/notify.wav";

/// Plays the sound once.
pub fn play() {
    count_attempt();
    let Ok(audio) = web_sys::HtmlAudioElement::new_with_src(SOUND_URL) else {
        return;
    };
    audio.set_volume(0.6);
    if let Ok(promise) = audio.play() {
        wasm_bindgen_futures::spawn_local(async move {
            // Rejected when autoplay is refused: nothing to do.
            let _ = JsFuture::from(promise).await;
        });
    }
}

fn count_attempt() {
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    let n: u64 = body
        .get_attribute("data-sounds-played")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let _ = body.set_attribute("data-sounds-played", &(n + 1).to_string());
}
