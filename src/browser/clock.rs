//! The app's one clock. The real-time core never reads a clock: its executors pass this
//! time in, so every decision about time is made from the same reading and tested natively.

/// Milliseconds since the Unix epoch, as the browser tells them.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}
