//! Browser-test harness for the widget: builds it once (`widget/build.sh`),
//! serves pages and assets from a small real HTTP/1.1 server on loopback,
//! and drives Debian's headless Chromium through chromedriver
//! ([`crate::webdriver`], re-exported here as [`ChromeDriver`] and
//! [`Session`]), with the widget helpers the browser tests share.
//!
//! Every wait is bounded; chromedriver and the user-data directory are
//! removed on drop. Nothing here downloads a browser or talks to anything but
//! 127.0.0.1.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use std::{env, fs, thread};

pub use crate::http::{free_port, repo_root};
pub use crate::webdriver::{ChromeDriver, Session};

use serde_json::{json, Value};

/// Chromium flags every test session uses (plus a fresh `--user-data-dir`).
pub const CHROME_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Serialises browser tests within one test binary (2-core machines).
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Builds the widget once per test process with `widget/build.sh` and returns
/// the assets directory. `LEADFORM_WIDGET_DIST` points at a prebuilt one.
pub fn widget_dist() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(dir) = env::var_os("LEADFORM_WIDGET_DIST") {
                return PathBuf::from(dir);
            }
            let root = repo_root();
            eprintln!("[leadform-tests] building the widget (widget/build.sh) ...");
            let started = Instant::now();
            let status = Command::new("bash")
                .arg(root.join("widget/build.sh"))
                .current_dir(&root)
                .status()
                .expect("run widget/build.sh");
            assert!(status.success(), "widget/build.sh failed: {status}");
            eprintln!("[leadform-tests] widget built in {:?}", started.elapsed());
            root.join("dist/assets/v1")
        })
        .clone()
}

/// Polls `probe` until it returns `Some`, at most `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// HTTP server

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Lower-cased header names.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn json(status: u16, value: &Value) -> Response {
        Response::new(status, "application/json", value.to_string())
    }

    pub fn not_found() -> Response {
        Response::new(404, "text/plain", "not found")
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A static file from `dir` with the content type its extension implies.
    pub fn file(dir: &Path, name: &str) -> Response {
        if name.contains("..") || name.contains('/') {
            return Response::not_found();
        }
        let content_type = match name.rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("wasm") => "application/wasm",
            Some("html") => "text/html; charset=utf-8",
            _ => "application/octet-stream",
        };
        match fs::read(dir.join(name)) {
            Ok(bytes) => Response::new(200, content_type, bytes),
            Err(_) => Response::not_found(),
        }
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// A real HTTP/1.1 server on 127.0.0.1 (one thread per connection,
/// `Connection: close`), recording every request.
pub struct Server {
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test server");
        Server::serve_on(listener, handler)
    }

    /// Starts on a fixed loopback port (for pages whose origin a form spec
    /// must allow); fails with a clear message when the port is taken.
    pub fn start_on(
        port: u16,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| {
            panic!("port {port} on 127.0.0.1 is needed by this test (the form allows that origin): {e}")
        });
        Server::serve_on(listener, handler)
    }

    fn serve_on(
        listener: TcpListener,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> Server {
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let handler = Arc::clone(&handler);
                            let requests = Arc::clone(&requests);
                            thread::spawn(move || serve(stream, &*handler, &requests));
                        }
                        Err(_) => thread::sleep(Duration::from_millis(10)),
                    }
                }
            });
        }
        Server {
            port,
            requests,
            stop,
        }
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests received so far matching `method` and `path`.
    pub fn received(&self, method: &str, path: &str) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .cloned()
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(stream: TcpStream, handler: &Handler, requests: &Mutex<Vec<Request>>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();
    let path = target.split('?').next().unwrap_or("/").to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request = Request {
        method,
        path,
        headers,
        body,
    };
    let response = handler(&request);
    requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(request);
    let mut out = stream;
    let mut head = format!("HTTP/1.1 {} X\r\n", response.status);
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&response.body);
    let _ = out.flush();
}

// ---------------------------------------------------------------------------
// Widget helpers shared by the browser tests

/// How long a browser test waits for one thing to happen.
pub const WAIT: Duration = Duration::from_secs(30);

/// JS evaluated against the form's shadow root (`root`).
pub fn in_shadow(session: &Session, body: &str) -> Value {
    let script = format!(
        "const host = document.querySelector('.leadform'); \
         const root = host && host.shadowRoot; if (!root) return null; {body}"
    );
    session.execute(&script, json!([]))
}

/// Waits until the widget has mounted its form in a shadow root.
pub fn wait_mounted(session: &Session) {
    wait_for("the form to mount in a shadow root", WAIT, || {
        (in_shadow(
            session,
            "return !!root.querySelector('form .lf-input, form .lf-box');",
        ) == json!(true))
        .then_some(())
    });
}

/// Id of the focused element inside the shadow root.
pub fn focused(session: &Session) -> String {
    in_shadow(
        session,
        "return root.activeElement ? root.activeElement.id : '';",
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Tabs into the form and types `entries`, one focusable control each.
pub fn fill_by_keyboard(session: &Session, entries: &[&str]) {
    session.keys(key::TAB);
    wait_for("focus in the form", WAIT, || {
        (!focused(session).is_empty()).then_some(())
    });
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            session.keys(key::TAB);
        }
        session.keys(entry);
    }
}

/// WebDriver key codes.
pub mod key {
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const SHIFT: &str = "\u{E008}";
    pub const CONTROL: &str = "\u{E009}";
    pub const SPACE: &str = " ";
    pub const BACKSPACE: &str = "\u{E003}";
}
