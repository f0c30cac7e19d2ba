//! A local destination server for integration tests: records every request
//! and answers as told (200, 500, hang past the Worker's timeout, or be down:
//! its port closed). Also serves a stand-in of Turnstile's siteverify at
//! `/turnstile/siteverify` that honours Cloudflare's documented test secrets
//! (`1x0000000000000000000000000000000AA` always passes,
//! `2x0000000000000000000000000000000AA` always fails). A test can also
//! script the next answers of a path ([`Destination::script`]): a status,
//! headers and body each, as a CRM's documented error shapes. While the mode
//! is `Ok`, HubSpot's and Salesforce's paths are answered by their
//! stand-ins ([`crate::crm`]).

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How the destination answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Ok,
    Error500,
    /// Accept, read, then say nothing for this long.
    Hang(Duration),
    /// Port closed: connections are refused.
    Down,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// The status this server answered with (None: no answer).
    pub answered: Option<u16>,
    /// When the request had been read (benchmarks' latencies).
    pub at: Instant,
}

/// One scripted answer: status, extra headers and a JSON body.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Canned {
    pub fn new(status: u16, body: &str) -> Canned {
        Canned {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

struct Shared {
    mode: Mutex<Mode>,
    salesforce: crate::crm::Salesforce,
    /// Per path prefix, the answers still to give (then the mode answers).
    scripts: Mutex<Vec<(String, VecDeque<Canned>)>>,
    received: Mutex<Vec<Received>>,
    stop: AtomicBool,
}

impl Received {
    /// Asserts this is a Standard Webhooks delivery signed with `secret` for
    /// `webhook_id` (the lead id).
    pub fn assert_signed_webhook(&self, secret: &str, webhook_id: &str) {
        assert_eq!(self.headers["webhook-id"], webhook_id);
        let timestamp: u64 = self.headers["webhook-timestamp"]
            .parse()
            .expect("webhook-timestamp is a number");
        let key = leadform_edge::webhook::decode_secret(secret).expect("a whsec_ secret");
        assert!(
            leadform_edge::webhook::verify(
                &key,
                webhook_id,
                timestamp,
                &self.body,
                &self.headers["webhook-signature"]
            ),
            "webhook signature must verify"
        );
    }
}

/// Whether a delivery row of `GET /v1/leads/{id}` finished as its
/// destination documents success: `sent_unconfirmed` for Salesforce
/// Web-to-Lead (which answers 200 whether or not it made a Lead),
/// `delivered` for every other destination.
pub fn delivered(delivery: &serde_json::Value) -> bool {
    let web_to_lead = delivery["destination"]
        .as_str()
        .is_some_and(|d| d.ends_with(":salesforce"));
    delivery["status"]
        == if web_to_lead {
            "sent_unconfirmed"
        } else {
            "delivered"
        }
}

/// The running server; stops on drop.
pub struct Destination {
    pub port: u16,
    shared: Arc<Shared>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Destination {
    /// Starts on a free loopback port.
    pub fn start() -> Destination {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind destination server");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Ok),
            salesforce: crate::crm::Salesforce::default(),
            scripts: Mutex::new(Vec::new()),
            received: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let worker_shared = Arc::clone(&shared);
        let thread = thread::spawn(move || serve(listener, port, worker_shared));
        Destination {
            port,
            shared,
            thread: Some(thread),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().expect("mode lock") = mode;
    }

    /// The next requests to paths starting with `prefix` get `answers`, one
    /// each, in order (after the answers already scripted for that prefix).
    pub fn script(&self, prefix: &str, answers: Vec<Canned>) {
        let mut scripts = self.shared.scripts.lock().expect("scripts lock");
        match scripts.iter_mut().find(|(p, _)| p == prefix) {
            Some((_, queue)) => queue.extend(answers),
            None => scripts.push((prefix.to_owned(), answers.into())),
        }
    }

    /// The Salesforce org stand-in behind [`crate::crm::SALESFORCE_PREFIX`].
    pub fn salesforce(&self) -> &crate::crm::Salesforce {
        &self.shared.salesforce
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("received lock").clone()
    }

    /// Requests to paths starting with `prefix`.
    pub fn received_at(&self, prefix: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }

    /// Waits until `done(received)` holds, or panics with `what` after `timeout`.
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; destination received: {:#?}",
                    received
                        .iter()
                        .map(|r| (&r.path, r.answered))
                        .collect::<Vec<_>>()
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Destination {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: TcpListener, port: u16, shared: Arc<Shared>) {
    let mut listener = Some(listener);
    while !shared.stop.load(Ordering::SeqCst) {
        let mode = *shared.mode.lock().expect("mode lock");
        if mode == Mode::Down {
            listener = None; // close the port
            thread::sleep(Duration::from_millis(20));
            continue;
        }
        if listener.is_none() {
            match TcpListener::bind(("127.0.0.1", port)) {
                Ok(l) => listener = Some(l),
                Err(_) => {
                    thread::sleep(Duration::from_millis(50));
                    continue;
                }
            }
        }
        let Some(active) = &listener else { continue };
        active.set_nonblocking(true).expect("nonblocking");
        match active.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(&shared);
                thread::spawn(move || handle(stream, mode, &shared));
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn handle(mut stream: TcpStream, mode: Mode, shared: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some((method, path, headers, body)) = read_request(&mut stream) else {
        return;
    };
    let at = Instant::now();
    let canned = shared
        .scripts
        .lock()
        .expect("scripts lock")
        .iter_mut()
        .find(|(prefix, queue)| path.starts_with(prefix.as_str()) && !queue.is_empty())
        .and_then(|(_, queue)| queue.pop_front());
    let mut extra_headers = String::new();
    let (status, answer) = if path.starts_with("/turnstile/siteverify") {
        (200, siteverify(&body))
    } else if let Some(canned) = canned {
        for (name, value) in &canned.headers {
            extra_headers.push_str(&format!("{name}: {value}\r\n"));
        }
        (canned.status, canned.body)
    } else if path.starts_with(crate::crm::SALESFORCE_PREFIX) && mode == Mode::Ok {
        shared.salesforce.answer(
            &path,
            headers.get("authorization").map(String::as_str),
            &body,
        )
    } else if path.starts_with(crate::crm::HUBSPOT_PREFIX) && mode == Mode::Ok {
        crate::crm::hubspot(
            &path,
            headers.get("authorization").map(String::as_str),
            &body,
        )
    } else {
        match mode {
            Mode::Ok => (200, "{\"ok\":true}".to_owned()),
            Mode::Error500 => (500, "{\"ok\":false}".to_owned()),
            Mode::Hang(duration) => {
                shared
                    .received
                    .lock()
                    .expect("received lock")
                    .push(Received {
                        method,
                        path,
                        headers,
                        body,
                        answered: None,
                        at,
                    });
                thread::sleep(duration);
                return;
            }
            Mode::Down => return,
        }
    };
    shared
        .received
        .lock()
        .expect("received lock")
        .push(Received {
            method,
            path,
            headers,
            body,
            answered: Some(status),
            at,
        });
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra_headers}content-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

fn siteverify(body: &str) -> String {
    let params: BTreeMap<String, String> = body
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%2E", ".")))
        .collect();
    let secret = params.get("secret").map(String::as_str).unwrap_or("");
    let token = params.get("response").map(String::as_str).unwrap_or("");
    if secret.starts_with("1x") && !token.is_empty() {
        "{\"success\":true,\"error-codes\":[]}".to_owned()
    } else if secret.starts_with("2x") {
        "{\"success\":false,\"error-codes\":[\"invalid-input-response\"]}".to_owned()
    } else {
        "{\"success\":false,\"error-codes\":[\"invalid-input-secret\"]}".to_owned()
    }
}

/// Reads one HTTP/1.1 request with a Content-Length body.
pub(crate) fn read_request(
    stream: &mut TcpStream,
) -> Option<(String, String, BTreeMap<String, String>, String)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((
        method,
        path,
        headers,
        String::from_utf8_lossy(&body).to_string(),
    ))
}
