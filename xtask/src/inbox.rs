//! The demo's "CRM inbox": a small receiver on loopback that takes what the
//! Worker delivers (webhooks, HubSpot and Salesforce payloads), checks each
//! webhook's Standard Webhooks signature with the edge's own verifier, and
//! lists what arrived at `GET /`, newest first.
//!
//! It keeps everything in memory for the life of `cargo xtask demo`; it is a
//! demo tool, not a destination for real leads.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// One delivery as received.
struct Arrival {
    received_at_s: u64,
    path: String,
    /// `Some(true/false)` for signed webhooks, `None` for other payloads.
    signature_ok: Option<bool>,
    body: String,
}

/// Serves the inbox on `listener` until the process exits.
pub fn serve(listener: TcpListener, webhook_secret: Option<String>) {
    let key = webhook_secret.and_then(|s| leadform_edge::webhook::decode_secret(&s).ok());
    let arrivals: Arc<Mutex<Vec<Arrival>>> = Arc::new(Mutex::new(Vec::new()));
    for stream in listener.incoming().flatten() {
        let arrivals = Arc::clone(&arrivals);
        let key = key.clone();
        std::thread::spawn(move || handle(stream, key.as_deref(), &arrivals));
    }
}

fn handle(stream: TcpStream, key: Option<&[u8]>, arrivals: &Mutex<Vec<Arrival>>) {
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
        let signature_ok = match (
            header("webhook-id"),
            header("webhook-timestamp"),
            header("webhook-signature"),
        ) {
            (Some(id), Some(timestamp), Some(signature)) => Some(key.is_some_and(|key| {
                timestamp
                    .parse()
                    .is_ok_and(|t| leadform_edge::webhook::verify(key, id, t, &body, signature))
            })),
            _ => None,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if let Ok(mut list) = arrivals.lock() {
            list.push(Arrival {
                received_at_s: now,
                path,
                signature_ok,
                body,
            });
        }
        http_response(200, "application/json", "{\"ok\":true}")
    } else {
        http_response(200, "text/html; charset=utf-8", &page(arrivals))
    };
    let mut write_half = write_half;
    let _ = write_half.write_all(response.as_bytes());
}

fn http_response(status: u16, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The inbox page; every received byte is HTML-escaped.
fn page(arrivals: &Mutex<Vec<Arrival>>) -> String {
    let mut html = String::from(
        "<!doctype html><meta charset=\"utf-8\"><title>Leadform demo inbox</title>\
         <style>body{font-family:system-ui,sans-serif;margin:2rem}pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem}</style>\
         <h1>Demo CRM inbox</h1><p>What the Worker delivered, newest first. Reload to refresh.</p>",
    );
    let Ok(list) = arrivals.lock() else {
        return html;
    };
    if list.is_empty() {
        html.push_str("<p>Nothing yet: submit the form on the landing page.</p>");
    }
    for arrival in list.iter().rev() {
        let verdict = match arrival.signature_ok {
            Some(true) => "webhook signature verified",
            Some(false) => "WEBHOOK SIGNATURE INVALID",
            None => "unsigned payload (CRM format)",
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
