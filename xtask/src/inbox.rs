//! The demo's "CRM inbox": a small receiver on loopback that takes what the
//! Worker delivers (webhooks, HubSpot and Salesforce payloads), checks each
//! webhook as a real receiver should with the edge's own verifier (signature,
//! five-minute timestamp window, replays refused, sender retries acknowledged
//! once), and lists what arrived at `GET /`, newest first.
//!
//! It keeps everything in memory for the life of `cargo xtask demo`; it is a
//! demo tool, not a destination for real leads.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
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

/// Serves the inbox on `listener` until the process exits.
pub fn serve(listener: TcpListener, webhook_secret: Option<String>) {
    // Several space-separated secrets (a rotation's overlap): any one verifies.
    let keys = webhook_secret.and_then(|s| leadform_edge::webhook::decode_secrets(&s).ok());
    let inbox: Arc<Mutex<Inbox>> = Arc::default();
    for stream in listener.incoming().flatten() {
        let inbox = Arc::clone(&inbox);
        let keys = keys.clone();
        std::thread::spawn(move || handle(stream, keys.as_deref(), &inbox));
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

fn handle(stream: TcpStream, keys: Option<&[Vec<u8>]>, inbox: &Mutex<Inbox>) {
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("/").to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line.trim().is_empty() => break,
            Ok(_) => {
                if let Some((name, value)) = line.split_once(':') {
                    headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
                }
            }
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
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
        http_response(status, "application/json", &answer)
    } else {
        http_response(200, "text/html; charset=utf-8", &page(inbox))
    };
    let mut write_half = write_half;
    let _ = write_half.write_all(response.as_bytes());
}

fn http_response(status: u16, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        match status {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            409 => "Conflict",
            _ => "Error",
        },
        body.len()
    )
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
