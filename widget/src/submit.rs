//! Sending a submission envelope to the edge and deciding what the answer means.
//!
//! [`classify`] is pure: it maps an HTTP status and body to an [`Outcome`]
//! (accepted, refused with field issues, or worth retrying later). [`post`]
//! does the one `fetch` and hands its outcome to a callback. This module must
//! not touch the DOM or storage; the form decides what to show and what to
//! keep.

use leadform_shared::json::{self, Json};
use leadform_shared::ErrorCode;
use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

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

/// `lead_id` of a receipt (`{"lead_id": ..., ...}`), when there is one.
fn receipt_lead_id(body: &str) -> Option<String> {
    let value = json::parse(body).ok()?;
    let members = json::open_object(&value, "receipt").ok()?;
    json::optional(members, "lead_id", json::string).ok()?
}

/// The envelope-level code and the `(field, code)` issues of an error body
/// (`{"error": {"code", "message", "issues": [{"field", "code", ...}]}}`);
/// `None` when the body is not one.
fn error_body(body: &str) -> Option<(String, Vec<(String, String)>)> {
    let value = json::parse(body).ok()?;
    let members = json::open_object(&value, "body").ok()?;
    let detail = json::open_object(json::required(members, "error").ok()?, "error").ok()?;
    let text =
        |m: &[(String, Json)], key: &str| json::or_default(m, key, json::string, String::new).ok();
    let code = text(detail, "code")?;
    let issues = match json::member(detail, "issues") {
        None => Vec::new(),
        Some(Json::Array(items)) => items
            .iter()
            .map(|item| {
                let m = json::open_object(item, "issue").ok()?;
                Some((text(m, "field")?, text(m, "code")?))
            })
            .collect::<Option<_>>()?,
        Some(_) => return None,
    };
    Some((code, issues))
}

/// Maps an HTTP answer to an [`Outcome`].
pub fn classify(status: u16, body: &str) -> Outcome {
    match status {
        200..=299 => Outcome::Accepted {
            lead_id: receipt_lead_id(body),
        },
        408 | 429 => Outcome::Retry,
        400..=499 => {
            let Some((code, issues)) = error_body(body) else {
                return Outcome::Refused(Refusal::default());
            };
            let issues = issues
                .into_iter()
                .filter_map(|(field, code)| ErrorCode::from_code(&code).map(|c| (field, c)))
                .collect();
            Outcome::Refused(Refusal {
                code: ErrorCode::from_code(&code),
                issues,
            })
        }
        // 1xx/3xx should never reach script; 5xx are the server's trouble.
        _ => Outcome::Retry,
    }
}

#[wasm_bindgen]
extern "C" {
    /// A JS promise, seen only through its two-callback `then`.
    type Thenable;

    #[wasm_bindgen(method, js_name = then)]
    fn then_or_else(this: &Thenable, fulfilled: &JsValue, rejected: &JsValue);
}

/// The callback of one [`post`], taken by whichever step ends the request.
type Done = Rc<Cell<Option<Box<dyn FnOnce(Outcome)>>>>;

fn finish(done: &Done, outcome: Outcome) {
    if let Some(done) = done.take() {
        done(outcome);
    }
}

/// Runs `fulfilled` with the value `promise` settles to, or ends the request
/// with [`Outcome::Retry`] when it is rejected (network failure, CORS
/// refusal, a body that cannot be read). Promise callbacks in place of
/// `async`/`await`: the futures executor would cost the widget about 1 KB
/// gzip for two awaits.
fn settle(promise: JsValue, done: &Done, fulfilled: Box<dyn FnOnce(JsValue)>) {
    let rejected = done.clone();
    promise.unchecked_into::<Thenable>().then_or_else(
        &Closure::once_into_js(fulfilled),
        &Closure::once_into_js(move |_: JsValue| finish(&rejected, Outcome::Retry)),
    );
}

/// POSTs `body` (envelope JSON) to `url`, then calls `done` once with the
/// [`Outcome`]. Network-level failures become [`Outcome::Retry`].
pub fn post(url: &str, body: &str, done: Box<dyn FnOnce(Outcome)>) {
    let done: Done = Rc::new(Cell::new(Some(done)));
    let Some(request) = start_fetch(url, body) else {
        return finish(&done, Outcome::Retry);
    };
    let answered = done.clone();
    settle(
        request,
        &done,
        Box::new(move |response| {
            let response: web_sys::Response = response.unchecked_into();
            let status = response.status();
            let Ok(text) = response.text() else {
                return finish(&answered, Outcome::Retry);
            };
            let read = answered.clone();
            settle(
                text.into(),
                &answered,
                Box::new(move |text| {
                    finish(
                        &read,
                        classify(status, &text.as_string().unwrap_or_default()),
                    );
                }),
            );
        }),
    );
}

/// Starts the `fetch`: its promise, or `None` when it could not start.
fn start_fetch(url: &str, body: &str) -> Option<JsValue> {
    let window = crate::platform::window();
    let headers = web_sys::Headers::new().ok()?;
    headers.set("Content-Type", "application/json").ok()?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    Some(window.fetch_with_str_and_init(url, &init).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_reads_receipt() {
        assert_eq!(
            classify(
                202,
                r#"{"lead_id":"ld_1","certificate_ids":[],"received_at":"x"}"#
            ),
            Outcome::Accepted {
                lead_id: Some("ld_1".into())
            }
        );
        assert_eq!(
            classify(200, "not json"),
            Outcome::Accepted { lead_id: None }
        );
    }

    #[test]
    fn transient_statuses_retry() {
        for status in [408, 429, 500, 502, 503, 0] {
            assert_eq!(classify(status, ""), Outcome::Retry, "{status}");
        }
    }

    #[test]
    fn refusals_map_issue_codes() {
        let body = r#"{"error":{"code":"envelope.invalid","message":"no","issues":[
            {"field":"email","code":"email.domain_missing","message":"x"},
            {"field":"gdpr","code":"consent.required","message":"y"},
            {"field":"zip","code":"future.code","message":"z"}]}}"#;
        let Outcome::Refused(refusal) = classify(422, body) else {
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
            r#"{"error":{"code":"envelope.spec_hash_mismatch","message":"m","issues":[]}}"#,
        ) else {
            panic!("409 must be final");
        };
        assert_eq!(stale.code, Some(ErrorCode::EnvelopeSpecHashMismatch));
        assert_eq!(
            classify(400, "<html>"),
            Outcome::Refused(Refusal::default())
        );
    }
}
