//! The demo's "CRM inbox": a small receiver on loopback that takes what the
//! Worker delivers (webhooks, HubSpot and Salesforce payloads), checks each
//! webhook as a real receiver should with the edge's own verifier (signature,
//! five-minute timestamp window, replays refused, sender retries acknowledged
//! once), and lists what arrived at `GET /`, newest first.
//!
//! It keeps everything in memory for the life of `cargo xtask demo`; it is a
//! demo tool, not a destination for real leads.

use std::io::Read;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use leadform_edge::webhook::{check_delivery_any, DeliveryHeaders, Freshness, ReplayGuard};

/// One delivery as received.
struct Arrival {
    received_at_s: u64,
    path: String,
    /// `Some(Ok(()))` for a verified webhook, `Some(Err(code))` for a refused
    /// one, `None` for other (unsigned CRM-format) payloads.
    verdict: Option<Result<(), &'static str>>,
    body: String,
}

/// Serves the inbox on `listener` until the process exits (`tiny_http`, a
/// thread per request).
pub fn serve(listener: TcpListener, webhook_secret: Option<String>) {
    // Several space-separated secrets (a rotation's overlap): any one verifies.
    let keys = webhook_secret.and_then(|s| leadform_edge::webhook::decode_secrets(&s).ok());
    let server = match tiny_http::Server::from_listener(listener, None) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("[xtask] the demo inbox cannot be served: {error}");
            return;
        }
    };
    let inbox: Arc<Mutex<Inbox>> = Arc::default();
    for request in server.incoming_requests() {
        let inbox = Arc::clone(&inbox);
        let keys = keys.clone();
        std::thread::spawn(move || handle(request, keys.as_deref(), &inbox));
    }
}

/// What the inbox remembers between requests.
#[derive(Default)]
struct Inbox {
    arrivals: Vec<Arrival>,
    /// One replay guard per path: a lead routed to a technician reaches
    /// two hooks with one webhook id, each once.
    replays: Vec<(String, ReplayGuard)>,
}

impl Inbox {
    fn guard(&mut self, path: &str) -> &mut ReplayGuard {
        let at = match self.replays.iter().position(|(p, _)| p == path) {
            Some(at) => at,
            None => {
                self.replays.push((path.to_owned(), ReplayGuard::default()));
                self.replays.len() - 1
            }
        };
        &mut self.replays[at].1
    }
}

/// The largest body the inbox reads (a lead's payload is a few KB).
const MAX_BODY: u64 = 1 << 20;

fn handle(mut request: tiny_http::Request, keys: Option<&[Vec<u8>]>, inbox: &Mutex<Inbox>) {
    let method = request.method().as_str().to_owned();
    let path = request.url().to_owned();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let mut body = Vec::new();
    if request
        .as_reader()
        .take(MAX_BODY)
        .read_to_end(&mut body)
        .is_err()
    {
        return;
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    let response = if method == "POST" {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let headers = DeliveryHeaders {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
        };
        let Ok(mut inbox) = inbox.lock() else {
            return;
        };
        let verdict = match (headers.id, keys) {
            (None, _) => None,
            (Some(_), None) => Some(Err(("webhook.secret_unknown", 400))),
            (Some(_), Some(keys)) => Some(
                check_delivery_any(keys, headers, &body, now)
                    .and_then(|delivery| inbox.guard(&path).admit(delivery, now))
                    .map_err(|rejection| (rejection.code(), rejection.status())),
            ),
        };
        let (status, answer, list_it) = match verdict {
            Some(Ok(Freshness::Redelivered)) => {
                (200, "{\"ok\":true,\"duplicate\":true}".to_owned(), false)
            }
            Some(Ok(Freshness::New)) | None => (200, "{\"ok\":true}".to_owned(), true),
            Some(Err((code, status))) => (
                status,
                format!("{{\"error\":{{\"code\":\"{code}\"}}}}"),
                true,
            ),
        };
        if list_it {
            inbox.arrivals.push(Arrival {
                received_at_s: now,
                path,
                verdict: verdict.map(|v| v.map(|_| ()).map_err(|(code, _)| code)),
                body,
            });
        }
        (status, "application/json", answer)
    } else {
        (200, "text/html; charset=utf-8", page(inbox))
    };
    let (status, content_type, body) = response;
    let mut response = tiny_http::Response::from_string(body)
        .with_status_code(status)
        .with_chunked_threshold(usize::MAX);
    for (name, value) in [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
    ] {
        if let Ok(header) = tiny_http::Header::from_bytes(name, value) {
            response.add_header(header);
        }
    }
    let _ = request.respond(response);
}

/// The inbox page; every received byte is HTML-escaped.
fn page(inbox: &Mutex<Inbox>) -> String {
    let mut html = String::from(
        "<!doctype html><meta charset=\"utf-8\"><title>Leadform demo inbox</title>\
         <style>body{font-family:system-ui,sans-serif;margin:2rem}pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem}</style>\
         <h1>Demo CRM inbox</h1><p>What the Worker delivered, newest first. Reload to refresh.</p>",
    );
    let Ok(inbox) = inbox.lock() else {
        return html;
    };
    let list = &inbox.arrivals;
    if list.is_empty() {
        html.push_str("<p>Nothing yet: submit the form on the landing page.</p>");
    }
    for arrival in list.iter().rev() {
        let verdict = match arrival.verdict {
            Some(Ok(())) => "webhook signature verified".to_owned(),
            Some(Err(code)) => format!("REFUSED: {code}"),
            None => "unsigned payload (CRM format)".to_owned(),
        };
        html.push_str(&format!(
            "<h2>{} <small>({verdict}, unix time {})</small></h2><pre>{}</pre>",
            escape(&arrival.path),
            arrival.received_at_s,
            escape(&arrival.body)
        ));
    }
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpStream;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    /// One request to the inbox at `address`; the whole answer.
    fn send(address: std::net::SocketAddr, head: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(address).expect("connect");
        let request = format!(
            "{head}\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
    }

    #[test]
    fn webhooks_are_checked_once_and_listed() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("a free loopback port");
        let address = listener.local_addr().expect("bound address");
        // The server thread ends with the test process.
        std::thread::spawn(move || serve(listener, Some(SECRET.to_owned())));
        let key = leadform_edge::webhook::decode_secret(SECRET).expect("secret");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let body = r#"{"lead_id":"lead_1","email":"<ada@example.org>"}"#;
        let signed = |id: &str, at: u64, signature: &str| {
            format!(
                "POST /hooks/leads HTTP/1.1\r\nwebhook-id: {id}\r\nwebhook-timestamp: {at}\r\nwebhook-signature: {signature}"
            )
        };
        let first = leadform_edge::webhook::sign(&key, "lead_1", now, body);
        // The sender's retry: the same id, signed again a second later.
        let retry = leadform_edge::webhook::sign(&key, "lead_1", now + 1, body);
        // (request head, body, status line, answer body)
        let cases = [
            (
                signed("lead_1", now, &first),
                body,
                "HTTP/1.1 200",
                r#"{"ok":true}"#,
            ),
            (
                signed("lead_1", now + 1, &retry),
                body,
                "HTTP/1.1 200",
                r#"{"ok":true,"duplicate":true}"#,
            ),
            // The first request again, byte for byte: a replay.
            (
                signed("lead_1", now, &first),
                body,
                "HTTP/1.1 409",
                "webhook.replayed",
            ),
            (
                signed("lead_2", now, "v1,AAAA"),
                body,
                "HTTP/1.1 401",
                "webhook.",
            ),
            (
                "POST /hubspot HTTP/1.1".to_owned(),
                r#"{"fields":[]}"#,
                "HTTP/1.1 200",
                r#"{"ok":true}"#,
            ),
        ];
        for (head, body, status, answer) in cases {
            let got = send(address, &head, body);
            assert!(got.starts_with(status), "{head}: {got}");
            assert!(got.contains(answer), "{head}: {got}");
        }
        let page = send(address, "GET / HTTP/1.1", "");
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert!(page.contains("webhook signature verified"), "{page}");
        assert!(page.contains("REFUSED: webhook."), "{page}");
        assert!(page.contains("unsigned payload (CRM format)"), "{page}");
        // Received bytes are escaped on the page.
        assert!(page.contains("&lt;ada@example.org&gt;"), "{page}");
        assert!(!page.contains("<ada@example.org>"), "{page}");
    }
}
