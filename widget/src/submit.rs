//! Sending a submission envelope to the edge and deciding what the answer means.
//!
//! [`classify`] is pure: it maps an HTTP status and the answer's body (read
//! by serde from the browser's `Response.json()`) to an [`Outcome`]
//! (accepted, refused with field issues, or worth retrying later). [`post`]
//! does the one `fetch`. This module must not touch the DOM or storage; the
//! form decides what to show and what to keep.

use leadform_shared::ErrorCode;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What the edge's answer means for the visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored by the edge (2xx). The lead id is kept for logs only.
    Accepted { lead_id: Option<String> },
    /// Refused for good (4xx other than 408/429): show the issues, do not queue.
    Refused(Refusal),
    /// Network failure, timeout, rate limit or server error: keep and retry.
    Retry,
}

/// A final refusal, with what could be mapped back to fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refusal {
    /// The envelope-level code, when the edge sent one this build knows.
    pub code: Option<ErrorCode>,
    /// `(field or consent id, code)` for every issue with a known code.
    pub issues: Vec<(String, ErrorCode)>,
}

/// The members of the edge's answers the widget reads: a receipt
/// (`{"lead_id", ...}`) or an error (`{"error": {"code", "message",
/// "issues": [{"field", "code", ...}]}}`). Other members are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct Answer {
    #[serde(default)]
    lead_id: Option<String>,
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    issues: Vec<IssueBody>,
}

#[derive(Debug, Deserialize)]
struct IssueBody {
    field: String,
    code: String,
}

/// Maps an HTTP answer (`body`: the JSON answer, `None` when there was none
/// or it was not of the edge's shape) to an [`Outcome`].
pub fn classify(status: u16, body: Option<Answer>) -> Outcome {
    let body = body.unwrap_or_default();
    match status {
        200..=299 => Outcome::Accepted {
            lead_id: body.lead_id,
        },
        408 | 429 => Outcome::Retry,
        400..=499 => {
            let Some(error) = body.error else {
                return Outcome::Refused(Refusal::default());
            };
            let issues = error
                .issues
                .into_iter()
                .filter_map(|i| ErrorCode::from_code(&i.code).map(|c| (i.field, c)))
                .collect();
            Outcome::Refused(Refusal {
                code: ErrorCode::from_code(&error.code),
                issues,
            })
        }
        // 1xx/3xx should never reach script; 5xx are the server's trouble.
        _ => Outcome::Retry,
    }
}

/// POSTs `body` (envelope JSON) to `url` and classifies the answer.
/// Network-level failures (no answer, CORS refusal) are [`Outcome::Retry`].
pub async fn post(url: &str, body: &str) -> Outcome {
    let Some(request) = start_fetch(url, body) else {
        return Outcome::Retry;
    };
    let Ok(response) = JsFuture::from(request).await else {
        return Outcome::Retry;
    };
    // `fetch` resolves to a Response.
    let response: web_sys::Response = response.unchecked_into();
    let status = response.status();
    let answer = match response.json() {
        Ok(json) => JsFuture::from(json)
            .await
            .ok()
            .and_then(|value| serde_wasm_bindgen::from_value(value).ok()),
        Err(_) => None,
    };
    classify(status, answer)
}

/// Starts the `fetch`: its promise, or `None` when it could not start.
fn start_fetch(url: &str, body: &str) -> Option<js_sys::Promise> {
    let window = crate::platform::window();
    let headers = web_sys::Headers::new().ok()?;
    headers.set("Content-Type", "application/json").ok()?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    Some(window.fetch_with_str_and_init(url, &init))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer as the widget reads it (serde_json natively, the same derive
    /// the browser path runs through serde-wasm-bindgen).
    fn answer(body: &str) -> Option<Answer> {
        serde_json::from_str(body).ok()
    }

    #[test]
    fn accepted_reads_receipt() {
        assert_eq!(
            classify(
                202,
                answer(r#"{"lead_id":"ld_1","certificate_ids":[],"received_at":"x"}"#)
            ),
            Outcome::Accepted {
                lead_id: Some("ld_1".into())
            }
        );
        assert_eq!(
            classify(200, answer("not json")),
            Outcome::Accepted { lead_id: None }
        );
    }

    #[test]
    fn transient_statuses_retry() {
        for status in [408, 429, 500, 502, 503, 0] {
            assert_eq!(classify(status, None), Outcome::Retry, "{status}");
        }
    }

    #[test]
    fn refusals_map_issue_codes() {
        let body = r#"{"error":{"code":"envelope.invalid","message":"no","issues":[
            {"field":"email","code":"email.domain_missing","message":"x"},
            {"field":"gdpr","code":"consent.required","message":"y"},
            {"field":"zip","code":"future.code","message":"z"}]}}"#;
        let Outcome::Refused(refusal) = classify(422, answer(body)) else {
            panic!("422 must be final");
        };
        assert_eq!(refusal.code, None);
        assert_eq!(
            refusal.issues,
            vec![
                ("email".to_owned(), ErrorCode::EmailDomainMissing),
                ("gdpr".to_owned(), ErrorCode::ConsentRequired),
            ]
        );
        let Outcome::Refused(stale) = classify(
            409,
            answer(r#"{"error":{"code":"envelope.spec_hash_mismatch","message":"m","issues":[]}}"#),
        ) else {
            panic!("409 must be final");
        };
        assert_eq!(stale.code, Some(ErrorCode::EnvelopeSpecHashMismatch));
        assert_eq!(
            classify(400, answer("<html>")),
            Outcome::Refused(Refusal::default())
        );
    }
}
