//! The test harnesses' one HTTP client, on `ureq`, and loopback helpers.
//!
//! [`request`] sends one request to a server on 127.0.0.1 and reads its whole
//! response, whatever the status: a 4xx or 5xx is an answer a test checks,
//! not an error, and a redirect is returned as it is, never followed. Each
//! request has its own connection (none is kept for the next), no proxy is
//! taken from the environment, and nothing is added to what the caller names
//! but `Host` and the body's `Content-Length`: no `User-Agent`, `Accept` or
//! compression. Every read and write waits at most the caller's `timeout`.
//! This module must not talk to anything but loopback, nor shape requests a
//! test did not ask for: what is sent is the caller's.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use ureq::config::AutoHeaderValue;
use ureq::typestate::{WithBody, WithoutBody};
use ureq::{Agent, RequestBuilder};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repo root")
}

/// A free TCP port on 127.0.0.1 (bound to 0, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind port 0")
        .local_addr()
        .expect("addr")
        .port()
}

/// A response as read by [`request`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Lower-cased header names.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl HttpResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// Sends one request to `127.0.0.1:port` and reads one response.
///
/// `path` is the request target as sent (already percent-encoded); a body
/// is sent with its `Content-Length` (for POST, PUT and PATCH always, for
/// other methods when it is not empty).
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout: Duration,
) -> std::io::Result<HttpResponse> {
    let url = format!("http://127.0.0.1:{port}{path}");
    let agent = agent();
    let sent = match method {
        "POST" => with_body(agent.post(&url), headers, body, timeout),
        "PUT" => with_body(agent.put(&url), headers, body, timeout),
        "PATCH" => with_body(agent.patch(&url), headers, body, timeout),
        "GET" => without_body(agent.get(&url), headers, body, timeout),
        "DELETE" => without_body(agent.delete(&url), headers, body, timeout),
        "HEAD" => without_body(agent.head(&url), headers, body, timeout),
        "OPTIONS" => without_body(agent.options(&url), headers, body, timeout),
        other => {
            return Err(std::io::Error::other(format!(
                "{other} {path}: not a method this client sends"
            )))
        }
    };
    let mut response = sent.map_err(ureq::Error::into_io)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .map_err(ureq::Error::into_io)?;
    Ok(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// The one agent: answers as answers, no redirects, no proxy, no pooled
/// connections, no automatic headers.
fn agent() -> &'static Agent {
    static AGENT: OnceLock<Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .user_agent(AutoHeaderValue::None)
            .accept(AutoHeaderValue::None)
            .accept_encoding(AutoHeaderValue::None)
            .build()
            .into()
    })
}

/// The caller's headers and per-request timeouts on `builder`.
fn prepared<B>(
    builder: RequestBuilder<B>,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> RequestBuilder<B> {
    let mut builder = builder
        .config()
        .timeout_connect(Some(timeout))
        .timeout_per_read(Some(timeout))
        .timeout_per_write(Some(timeout))
        .build();
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
}

fn with_body(
    builder: RequestBuilder<WithBody>,
    headers: &[(&str, &str)],
    body: &str,
    timeout: Duration,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    prepared(builder, headers, timeout).send(body)
}

fn without_body(
    builder: RequestBuilder<WithoutBody>,
    headers: &[(&str, &str)],
    body: &str,
    timeout: Duration,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let builder = prepared(builder, headers, timeout);
    if body.is_empty() {
        builder.call()
    } else {
        builder.force_send_body().send(body)
    }
}
