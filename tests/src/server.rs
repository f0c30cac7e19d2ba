//! The harness's loopback HTTP/1.1 servers, on `tiny_http`.
//!
//! [`Server`] answers each request with a test's handler and records it:
//! the browser tests' pages and assets, and the stand-ins for the edge they
//! load. [`Listening`] is what it and the destination server
//! ([`crate::destination`]) share: a `tiny_http` server on a listener of
//! ours, each request handled on its own thread (so a handler that holds its
//! answer holds no other request), and a [`Listening::close`] that stops
//! accepting at once (new connections are refused) while requests already
//! accepted are still handled.
//!
//! This module binds 127.0.0.1 only, and must not decide anything a test
//! checks: what to answer is the handler's.

use std::collections::BTreeMap;
use std::net::{Shutdown, TcpListener};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::Value;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target without its query.
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
        match std::fs::read(dir.join(name)) {
            Ok(bytes) => Response::new(200, content_type, bytes),
            Err(_) => Response::not_found(),
        }
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 answering with a handler, recording
/// every request; stops accepting on drop.
pub struct Server {
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    _listening: Listening,
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
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let listening = {
            let requests = Arc::clone(&requests);
            Listening::start(listener, move |request| {
                serve(request, &*handler, &requests)
            })
        };
        Server {
            port,
            requests,
            _listening: listening,
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

fn serve(mut incoming: tiny_http::Request, handler: &Handler, requests: &Mutex<Vec<Request>>) {
    let (method, target, headers, body) = read(&mut incoming);
    let path = target.split('?').next().unwrap_or("/").to_owned();
    let request = Request {
        method,
        path,
        headers,
        body,
    };
    let answer = handler(&request);
    requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(request);
    let mut response = tiny_http::Response::from_data(answer.body)
        .with_status_code(answer.status)
        // Always `Content-Length`, never chunked, whatever the size.
        .with_chunked_threshold(usize::MAX);
    let no_store = [("Cache-Control".to_owned(), "no-store".to_owned())];
    for (name, value) in answer.headers.iter().chain(&no_store) {
        match tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            Ok(header) => response.add_header(header),
            Err(()) => panic!("the handler's header {name}: {value:?} is not valid HTTP"),
        }
    }
    let _ = incoming.respond(response);
}

/// Method, request target, lower-cased headers and the whole body of one
/// request.
pub(crate) fn read(
    request: &mut tiny_http::Request,
) -> (String, String, BTreeMap<String, String>, Vec<u8>) {
    let method = request.method().as_str().to_owned();
    let target = request.url().to_owned();
    let headers = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    let _ = request.as_reader().read_to_end(&mut body);
    (method, target, headers, body)
}

/// A `tiny_http` server on a listener of ours: each request handed to
/// `handle` on a thread of its own. Dropping it closes the listener and
/// stops handing out requests.
pub(crate) struct Listening {
    /// The same socket `tiny_http` accepts on, to shut it down from here.
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listening {
    pub(crate) fn start(
        listener: TcpListener,
        handle: impl Fn(tiny_http::Request) + Send + Sync + 'static,
    ) -> Listening {
        let ours = listener.try_clone().expect("clone the listener");
        let server = tiny_http::Server::from_listener(listener, None)
            .unwrap_or_else(|e| panic!("start tiny_http on the test listener: {e}"));
        let stop = Arc::new(AtomicBool::new(false));
        let handle = Arc::new(handle);
        let thread = {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    // An `Err` is the accept loop's end (after `close`);
                    // requests it accepted before still come.
                    if let Ok(Some(request)) = server.recv_timeout(Duration::from_millis(50)) {
                        let handle = Arc::clone(&handle);
                        thread::spawn(move || handle(request));
                    }
                }
            })
        };
        Listening {
            listener: ours,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops accepting: once this returns, connections to the port are
    /// refused (the listening socket is shut down, which ends `tiny_http`'s
    /// accept loop, and it closes the socket). Requests on connections
    /// accepted before are still handed out until drop.
    pub(crate) fn close(&self) {
        let _ = socket2::SockRef::from(&self.listener).shutdown(Shutdown::Both);
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.close();
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request;

    const WAIT: Duration = Duration::from_secs(10);

    /// The server answers with the handler's status, headers and body
    /// (whatever their size, with a `Content-Length`), records the request
    /// without its query, and refuses connections once dropped.
    #[test]
    fn server_answers_records_and_refuses_once_dropped() {
        let big = "x".repeat(100_000);
        let body = big.clone();
        let server = Server::start(move |r| match r.path.as_str() {
            "/big" => Response::new(200, "text/plain", body.clone()),
            "/echo" => Response::new(201, "text/plain", r.body_text()).header("X-Seen", "yes"),
            _ => Response::not_found(),
        });
        let port = server.port;
        let check = |method: &str, path: &str, body: &str, status: u16, answer: &str| {
            let response = request(port, method, path, &[("X-Test", "1")], body, WAIT)
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            assert_eq!(response.status, status, "{method} {path}");
            assert_eq!(response.body, answer, "{method} {path}");
            assert_eq!(response.header("cache-control"), Some("no-store"));
            assert_eq!(
                response.header("content-length"),
                Some(answer.len().to_string().as_str())
            );
            response
        };
        check("GET", "/big", "", 200, &big);
        let echo = check("POST", "/echo?q=1", "hello", 201, "hello");
        assert_eq!(echo.header("x-seen"), Some("yes"));
        check("GET", "/nope", "", 404, "not found");
        let seen = server.received("POST", "/echo");
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].header("x-test"), Some("1"));
        assert_eq!(seen[0].body_text(), "hello");
        drop(server);
        assert!(request(port, "GET", "/big", &[], "", WAIT).is_err());
    }
}
