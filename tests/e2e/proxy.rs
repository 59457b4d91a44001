//! A TCP proxy of our own between Chromium and the server, for fault injection on the
//! WebSocket while REST keeps working: hold the socket's bytes after the HTTP handshake,
//! stall it (bytes stop, nothing closes: half-open), cut it (FIN), or reset it (RST); and on
//! REST, lose the answer to the next create (the server did it; the browser never hears).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

#[derive(Default)]
struct Ctl {
    /// Server-to-browser bytes of /ws connections after the upgrade response are held back.
    hold_ws: AtomicBool,
    /// /ws connections forward nothing in either direction, and close nothing.
    stall_ws: AtomicBool,
    /// New /ws connections are closed at once (a proxy that blocks WebSockets).
    refuse_ws: AtomicBool,
    changed: Notify,
    ws_tasks: Mutex<Vec<AbortHandle>>,
    /// A second handle on each /ws connection's browser side, to reset it.
    ws_handles: Mutex<Vec<TcpStream>>,
    ws_opened: AtomicUsize,
    /// The next `POST /api/v1/…` (not `/auth`) reaches the server; its answer is dropped and
    /// the connection closed.
    lose_next_answer: AtomicBool,
    /// Answers lost so far.
    answers_lost: AtomicUsize,
}

impl Ctl {
    async fn wait_while(&self, flag: &AtomicBool) {
        loop {
            let notified = self.changed.notified();
            if !flag.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// The proxy; dropping it stops accepting (open connections live on until cut).
pub struct Proxy {
    pub addr: SocketAddr,
    ctl: Arc<Ctl>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ctl = Arc::new(Ctl::default());
        let c = ctl.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let c = c.clone();
                tokio::spawn(async move {
                    let _ = handle(client, target, c).await;
                });
            }
        });
        Proxy { addr, ctl, accept }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Holds (or releases) server-to-browser bytes on /ws connections after the handshake.
    pub fn hold_ws(&self, on: bool) {
        self.ctl.hold_ws.store(on, Ordering::SeqCst);
        self.ctl.changed.notify_waiters();
    }

    /// Stalls (or resumes) every /ws connection: no bytes move, nothing closes.
    pub fn stall_ws(&self, on: bool) {
        self.ctl.stall_ws.store(on, Ordering::SeqCst);
        self.ctl.changed.notify_waiters();
    }

    /// Refuses (or accepts again) new /ws connections; REST still passes.
    pub fn refuse_ws(&self, on: bool) {
        self.ctl.refuse_ws.store(on, Ordering::SeqCst);
    }

    /// Cuts every open /ws connection (the browser sees the TCP connection end).
    pub fn cut_ws(&self) {
        for t in self.ctl.ws_tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    /// Resets every open /ws connection: the browser side gets a TCP RST, not a FIN.
    pub fn reset_ws(&self) {
        for h in self.ctl.ws_handles.lock().unwrap().drain(..) {
            let _ = h.set_zero_linger();
        }
        self.cut_ws();
    }

    /// Loses the answer to the next create: the request reaches the server, the browser
    /// sees the connection drop.
    pub fn lose_next_answer(&self) {
        self.ctl.lose_next_answer.store(true, Ordering::SeqCst);
    }

    /// How many answers were lost so far.
    pub fn answers_lost(&self) -> usize {
        self.ctl.answers_lost.load(Ordering::SeqCst)
    }

    /// How many /ws connections have been opened through the proxy so far.
    pub fn ws_opened(&self) -> usize {
        self.ctl.ws_opened.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut_ws();
    }
}

async fn handle(mut client: TcpStream, target: SocketAddr, ctl: Arc<Ctl>) -> std::io::Result<()> {
    let mut first = vec![0u8; 8192];
    let n = client.read(&mut first).await?;
    first.truncate(n);
    let is_ws = first.starts_with(b"GET /ws");
    if is_ws && ctl.refuse_ws.load(Ordering::SeqCst) {
        return Ok(()); // dropping the connection: the browser sees the handshake fail
    }
    let mut server = TcpStream::connect(target).await?;
    if !is_ws {
        return forward_rest(client, server, first, ctl).await;
    }
    server.write_all(&first).await?;
    ctl.ws_opened.fetch_add(1, Ordering::SeqCst);
    let std_client = client.into_std()?;
    let handle = TcpStream::from_std(std_client.try_clone()?)?;
    ctl.ws_handles.lock().unwrap().push(handle);
    let client = TcpStream::from_std(std_client)?;
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up_ctl = ctl.clone();
    let up = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = cr.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            up_ctl.wait_while(&up_ctl.stall_ws).await;
            sw.write_all(&buf[..n]).await?;
        }
    };
    let down_ctl = ctl.clone();
    let down = async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut seen = Vec::new();
        let mut handshake_done = false;
        loop {
            let n = sr.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            let mut chunk = &buf[..n];
            if !handshake_done {
                seen.extend_from_slice(chunk);
                if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                    handshake_done = true;
                    let head_len_in_chunk = (end + 4) - (seen.len() - n);
                    cw.write_all(&chunk[..head_len_in_chunk]).await?;
                    chunk = &chunk[head_len_in_chunk..];
                } else {
                    cw.write_all(chunk).await?;
                    continue;
                }
            }
            down_ctl.wait_while(&down_ctl.stall_ws).await;
            down_ctl.wait_while(&down_ctl.hold_ws).await;
            cw.write_all(chunk).await?;
        }
    };
    let task = tokio::spawn(async move {
        let _ = tokio::try_join!(up, down);
    });
    ctl.ws_tasks.lock().unwrap().push(task.abort_handle());
    let _ = task.await;
    Ok(())
}

/// Whether a request chunk starts a create whose answer should be lost.
fn loses(chunk: &[u8], ctl: &Ctl) -> bool {
    chunk.starts_with(b"POST /api/v1/")
        && !chunk.starts_with(b"POST /api/v1/auth")
        && ctl.lose_next_answer.swap(false, Ordering::SeqCst)
}

/// Forwards a REST connection (keep-alive: several requests), losing an answer when asked.
async fn forward_rest(
    client: TcpStream,
    server: TcpStream,
    first: Vec<u8>,
    ctl: Arc<Ctl>,
) -> std::io::Result<()> {
    let armed = Arc::new(AtomicBool::new(false));
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up_armed = armed.clone();
    let up_ctl = ctl.clone();
    let up = async move {
        if loses(&first, &up_ctl) {
            up_armed.store(true, Ordering::SeqCst);
        }
        sw.write_all(&first).await?;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = cr.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            if loses(&buf[..n], &up_ctl) {
                up_armed.store(true, Ordering::SeqCst);
            }
            sw.write_all(&buf[..n]).await?;
        }
    };
    let down = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = sr.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            if armed.load(Ordering::SeqCst) {
                ctl.answers_lost.fetch_add(1, Ordering::SeqCst);
                // Ends both directions: the browser's request fails without an answer.
                return Err(std::io::Error::other("answer lost on purpose"));
            }
            cw.write_all(&buf[..n]).await?;
        }
    };
    let _ = tokio::try_join!(up, down);
    Ok(())
}
