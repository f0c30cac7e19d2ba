//! Anti-spam rules: honeypot, minimum time-to-fill, the fixed-window rate
//! limit kept by the `RateLimiter` Durable Object, and Turnstile siteverify's
//! request and answer.
//!
//! Everything here is a pure decision; the platform layer calls siteverify and
//! the Durable Object. Rate-limit windows are per minute.

use leadform_shared::{FormSpec, SubmissionEnvelope};
use serde::{Deserialize, Serialize};

use crate::EdgeError;

/// Cloudflare's siteverify endpoint (overridable with `TURNSTILE_VERIFY_URL`).
pub const TURNSTILE_VERIFY_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/// Length of one rate-limit window.
pub const RATE_WINDOW_MS: u64 = 60_000;

/// Honeypot and time-to-fill checks, in that order.
pub fn check_human_signals(
    spec: &FormSpec,
    envelope: &SubmissionEnvelope,
) -> Result<(), EdgeError> {
    if !envelope.honeypot.trim().is_empty() {
        return Err(EdgeError::Honeypot);
    }
    let min_fill_ms = spec.anti_spam.min_fill_ms;
    if envelope.timings.time_to_fill_ms < u64::from(min_fill_ms) {
        return Err(EdgeError::TooFast { min_fill_ms });
    }
    Ok(())
}

/// The Turnstile token to verify, if the form enables Turnstile.
pub fn turnstile_token_needed<'a>(
    spec: &FormSpec,
    envelope: &'a SubmissionEnvelope,
) -> Result<Option<&'a str>, EdgeError> {
    if spec.anti_spam.turnstile_site_key.is_none() {
        return Ok(None);
    }
    match envelope.turnstile_token.as_deref().map(str::trim) {
        Some(token) if !token.is_empty() => Ok(Some(token)),
        _ => Err(EdgeError::TurnstileMissing),
    }
}

/// siteverify's form body: secret, response, remoteip and an idempotency key.
pub fn turnstile_request_body(
    secret: &str,
    token: &str,
    remote_ip: Option<&str>,
    idempotency_key: &str,
) -> String {
    let mut pairs = vec![
        ("secret".to_owned(), secret.to_owned()),
        ("response".to_owned(), token.to_owned()),
        ("idempotency_key".to_owned(), idempotency_key.to_owned()),
    ];
    if let Some(ip) = remote_ip {
        pairs.push(("remoteip".to_owned(), ip.to_owned()));
    }
    crate::crm::form_urlencode(&pairs)
}

/// siteverify's answer (only the parts the edge uses).
#[derive(Debug, Clone, Deserialize)]
pub struct TurnstileAnswer {
    pub success: bool,
    #[serde(default, rename = "error-codes")]
    pub error_codes: Vec<String>,
}

/// Interprets siteverify's HTTP status and body.
pub fn turnstile_verdict(status: u16, body: &str) -> Result<(), EdgeError> {
    if !(200..300).contains(&status) {
        return Err(EdgeError::TurnstileUnavailable);
    }
    let answer: TurnstileAnswer =
        serde_json::from_str(body).map_err(|_| EdgeError::TurnstileUnavailable)?;
    if answer.success {
        Ok(())
    } else if answer.error_codes.iter().any(|c| c == "internal-error") {
        Err(EdgeError::TurnstileUnavailable)
    } else {
        Err(EdgeError::TurnstileFailed)
    }
}

/// One rate-limit counter, as the Durable Object stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateWindow {
    pub window_start_ms: u64,
    pub count: u32,
}

/// What the Durable Object is asked: may one more submission pass?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateQuery {
    pub limit: u32,
}

/// The Durable Object's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateDecision {
    pub allowed: bool,
    pub retry_after_s: u32,
}

/// Counts one submission in a fixed one-minute window. A refused submission
/// is not counted, so a flood does not extend the ban.
pub fn rate_decide(
    previous: Option<RateWindow>,
    now_ms: u64,
    limit: u32,
) -> (RateWindow, RateDecision) {
    let window_start_ms = now_ms - now_ms % RATE_WINDOW_MS;
    let current = match previous {
        Some(window) if window.window_start_ms == window_start_ms => window,
        _ => RateWindow {
            window_start_ms,
            count: 0,
        },
    };
    if current.count >= limit {
        let retry_after_ms = window_start_ms + RATE_WINDOW_MS - now_ms;
        let retry_after_s = retry_after_ms.div_ceil(1000).max(1) as u32;
        (
            current,
            RateDecision {
                allowed: false,
                retry_after_s,
            },
        )
    } else {
        let next = RateWindow {
            count: current.count + 1,
            ..current
        };
        (
            next,
            RateDecision {
                allowed: true,
                retry_after_s: 0,
            },
        )
    }
}

/// Durable Object names of the two counters for one submission.
pub fn rate_keys(form_id: &str, ip: Option<&str>) -> (String, String) {
    (
        format!("ip:{form_id}:{}", ip.unwrap_or("unknown")),
        format!("form:{form_id}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::newsletter_spec;
    use leadform_shared::envelope::{Attribution, Timings};

    fn envelope(honeypot: &str, time_to_fill_ms: u64, token: Option<&str>) -> SubmissionEnvelope {
        SubmissionEnvelope {
            version: 1,
            form_id: "newsletter".into(),
            spec_hash: "0".repeat(64),
            submission_id: "sub_12345678".into(),
            visitor_id: "vis_12345678".into(),
            asked: vec![],
            fields: Default::default(),
            consents: vec![],
            attribution: Attribution::default(),
            timings: Timings {
                started_at_ms: 0,
                submitted_at_ms: time_to_fill_ms,
                time_to_fill_ms,
            },
            honeypot: honeypot.into(),
            turnstile_token: token.map(Into::into),
            page_url: "https://x.example/".into(),
            lang: Default::default(),
        }
    }

    #[test]
    fn human_signals() {
        let spec = newsletter_spec();
        let min = spec.anti_spam.min_fill_ms as u64;
        assert_eq!(check_human_signals(&spec, &envelope("", min, None)), Ok(()));
        assert_eq!(
            check_human_signals(&spec, &envelope("http://spam", min, None)),
            Err(EdgeError::Honeypot)
        );
        assert_eq!(
            check_human_signals(&spec, &envelope("", min - 1, None)),
            Err(EdgeError::TooFast {
                min_fill_ms: min as u32
            })
        );
    }

    #[test]
    fn turnstile_decisions() {
        let mut spec = newsletter_spec();
        assert_eq!(
            turnstile_token_needed(&spec, &envelope("", 0, None)),
            Ok(None)
        );
        spec.anti_spam.turnstile_site_key = Some("1x00000000000000000000AA".into());
        assert_eq!(
            turnstile_token_needed(&spec, &envelope("", 0, None)),
            Err(EdgeError::TurnstileMissing)
        );
        assert_eq!(
            turnstile_token_needed(&spec, &envelope("", 0, Some(" "))),
            Err(EdgeError::TurnstileMissing)
        );
        assert_eq!(
            turnstile_token_needed(&spec, &envelope("", 0, Some("tok"))),
            Ok(Some("tok"))
        );
        assert_eq!(
            turnstile_verdict(200, r#"{"success":true,"error-codes":[]}"#),
            Ok(())
        );
        assert_eq!(
            turnstile_verdict(
                200,
                r#"{"success":false,"error-codes":["invalid-input-response"]}"#
            ),
            Err(EdgeError::TurnstileFailed)
        );
        assert_eq!(
            turnstile_verdict(200, r#"{"success":false,"error-codes":["internal-error"]}"#),
            Err(EdgeError::TurnstileUnavailable)
        );
        assert_eq!(
            turnstile_verdict(500, ""),
            Err(EdgeError::TurnstileUnavailable)
        );
        assert_eq!(
            turnstile_verdict(200, "<html>"),
            Err(EdgeError::TurnstileUnavailable)
        );
        assert_eq!(
            turnstile_request_body("1x0000000000000000000000000000000AA", "XXXX.DUMMY.TOKEN.XXXX", Some("::1"), "lead"),
            "secret=1x0000000000000000000000000000000AA&response=XXXX.DUMMY.TOKEN.XXXX&idempotency_key=lead&remoteip=%3A%3A1"
        );
    }

    #[test]
    fn rate_windows() {
        let start = 1_700_000_040_000; // a window boundary
        let (w1, d1) = rate_decide(None, start + 10, 2);
        assert!(d1.allowed);
        let (w2, d2) = rate_decide(Some(w1), start + 20, 2);
        assert!(d2.allowed);
        let (w3, d3) = rate_decide(Some(w2), start + 30_000, 2);
        assert_eq!(
            d3,
            RateDecision {
                allowed: false,
                retry_after_s: 30
            }
        );
        assert_eq!(w3.count, 2);
        let (w4, d4) = rate_decide(Some(w3), start + RATE_WINDOW_MS, 2);
        assert!(d4.allowed);
        assert_eq!(w4.count, 1);
        let (_, zero) = rate_decide(None, start, 0);
        assert!(!zero.allowed);
        assert_eq!(
            rate_keys("f", Some("1.2.3.4")),
            ("ip:f:1.2.3.4".into(), "form:f".into())
        );
    }
}
