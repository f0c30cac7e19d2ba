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
//!
//! It runs on `tiny_http` ([`crate::server::Listening`]: a thread per
//! request, so a hanging answer holds no other). Every answer closes its
//! connection, so `Down` (the listener shut, the port refusing; the same
//! port bound again on recovery) leaves no kept-alive connection to answer
//! on. It binds 127.0.0.1 only, and must not decide what the Worker should
//! do: tests check that; this answers as it is told.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::server::Listening;

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
    /// The mode, and the last one that was not `Down` (what a request
    /// accepted before the port closed is answered by).
    mode: Mutex<(Mode, Mode)>,
    salesforce: crate::crm::Salesforce,
    /// Per path prefix, the answers still to give (then the mode answers).
    scripts: Mutex<Vec<(String, VecDeque<Canned>)>>,
    received: Mutex<Vec<Received>>,
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
    /// Each listener it has had, the newest last (open unless `Down`):
    /// a closed one still answers what it accepted before.
    listening: Mutex<Vec<Listening>>,
}

impl Destination {
    /// Starts on a free loopback port.
    pub fn start() -> Destination {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind destination server");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared {
            mode: Mutex::new((Mode::Ok, Mode::Ok)),
            salesforce: crate::crm::Salesforce::default(),
            scripts: Mutex::new(Vec::new()),
            received: Mutex::new(Vec::new()),
        });
        let listening = listen(listener, &shared);
        Destination {
            port,
            shared,
            listening: Mutex::new(vec![listening]),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Answers as `mode` from now on. Going `Down` shuts the listener
    /// (once this returns, connections are refused); coming back binds the
    /// same port again.
    pub fn set_mode(&self, mode: Mode) {
        let mut listening = self.listening.lock().expect("listening lock");
        let mut modes = self.shared.mode.lock().expect("mode lock");
        let was_down = modes.0 == Mode::Down;
        *modes = (mode, if mode == Mode::Down { modes.1 } else { mode });
        drop(modes);
        match (was_down, mode == Mode::Down) {
            (false, true) => {
                if let Some(open) = listening.last() {
                    open.close();
                }
            }
            (true, false) => listening.push(listen(self.rebind(), &self.shared)),
            _ => {}
        }
    }

    /// The port bound again after `Down` (retried while the closed
    /// listener's socket is going away).
    fn rebind(&self) -> TcpListener {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(listener) => return listener,
                Err(e) if Instant::now() > deadline => {
                    panic!("bind the destination's port {} again: {e}", self.port)
                }
                Err(_) => thread::sleep(Duration::from_millis(20)),
            }
        }
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
        let listening = self
            .listening
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The open one first: each `tiny_http` server connects to its port
        // once as it stops, and must find it refusing.
        while listening.pop().is_some() {}
    }
}

fn listen(listener: TcpListener, shared: &Arc<Shared>) -> Listening {
    let shared = Arc::clone(shared);
    Listening::start(listener, move |request| handle(request, &shared))
}

fn handle(mut request: tiny_http::Request, shared: &Shared) {
    let (method, path, headers, body) = crate::server::read(&mut request);
    let body = String::from_utf8_lossy(&body).into_owned();
    let at = Instant::now();
    // Never `Down`: a request that reached the handler was accepted before
    // the port closed, and is answered as the server then would have.
    let mode = shared.mode.lock().expect("mode lock").1;
    let canned = shared
        .scripts
        .lock()
        .expect("scripts lock")
        .iter_mut()
        .find(|(prefix, queue)| path.starts_with(prefix.as_str()) && !queue.is_empty())
        .and_then(|(_, queue)| queue.pop_front());
    let mut extra_headers = Vec::new();
    let (status, answer) = if path.starts_with("/turnstile/siteverify") {
        (200, siteverify(&body))
    } else if let Some(canned) = canned {
        extra_headers = canned.headers;
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
            Mode::Error500 | Mode::Down => (500, "{\"ok\":false}".to_owned()),
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
                // Nothing is ever written: the Worker gave up long before.
                drop(request.into_writer());
                return;
            }
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
    answer_and_close(request, status, &extra_headers, &answer);
}

/// Writes one JSON answer with `Connection: close`.
///
/// `tiny_http` 0.12 keeps every connection open for the client's next
/// request and leaves any `Connection` header out of a `Response`; workerd
/// keeps such connections for its next fetch, and would still be answered
/// on them after `Down` closed the port. So this answer's head is written
/// here, on the request's raw writer, and the client closes the connection
/// after it.
fn answer_and_close(
    request: tiny_http::Request,
    status: u16,
    headers: &[(String, String)],
    body: &str,
) {
    let reason = tiny_http::StatusCode(status).default_reason_phrase();
    let mut head = format!("HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut out = request.into_writer();
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(body.as_bytes());
    let _ = out.flush();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{request, HttpResponse};

    const WAIT: Duration = Duration::from_secs(10);

    fn post(
        destination: &Destination,
        path: &str,
        timeout: Duration,
    ) -> std::io::Result<HttpResponse> {
        request(
            destination.port,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            "{}",
            timeout,
        )
    }

    /// Each mode answers as documented, on one port throughout: `Down`
    /// refuses connections and the same port answers again after it; a
    /// hanging request holds no other; scripted answers come first, with
    /// their headers; every answer closes its connection.
    #[test]
    fn destination_answers_each_mode_on_one_port() {
        let destination = Destination::start();
        let check = |mode: Mode, path: &str, expect: Option<u16>| {
            destination.set_mode(mode);
            match (post(&destination, path, WAIT), expect) {
                (Ok(response), Some(status)) => {
                    assert_eq!(
                        response.status, status,
                        "{mode:?} {path}: {}",
                        response.body
                    );
                    assert_eq!(response.header("connection"), Some("close"));
                    response
                }
                (Err(e), None) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{mode:?}");
                    HttpResponse {
                        status: 0,
                        headers: BTreeMap::new(),
                        body: String::new(),
                    }
                }
                (got, _) => panic!("{mode:?} {path}: {got:?}, expected {expect:?}"),
            }
        };
        check(Mode::Ok, "/hook", Some(200));
        check(Mode::Error500, "/hook", Some(500));
        check(Mode::Down, "/hook", None);
        check(Mode::Down, "/hook", None);
        check(Mode::Error500, "/hook", Some(500));
        check(Mode::Down, "/hook", None);
        check(Mode::Ok, "/hook", Some(200));
        destination.script(
            "/hook",
            vec![Canned::new(429, "{}").header("Retry-After", "7")],
        );
        let scripted = check(Mode::Ok, "/hook", Some(429));
        assert_eq!(scripted.header("retry-after"), Some("7"));
        check(Mode::Ok, "/hook", Some(200));

        // A hanging request says nothing; another is answered meanwhile.
        destination.set_mode(Mode::Hang(Duration::from_secs(5)));
        let hung = post(&destination, "/hang", Duration::from_millis(300));
        assert!(hung.is_err(), "{hung:?}");
        check(Mode::Ok, "/hook", Some(200));
        let received: Vec<(String, Option<u16>)> = destination
            .received()
            .into_iter()
            .map(|r| (r.path, r.answered))
            .collect();
        let answered = |status| ("/hook".to_owned(), Some(status));
        assert_eq!(
            received,
            [
                answered(200),
                answered(500),
                answered(500),
                answered(200),
                answered(429),
                answered(200),
                ("/hang".to_owned(), None),
                answered(200),
            ]
        );
    }
}
