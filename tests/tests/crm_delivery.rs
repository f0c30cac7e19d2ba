//! CRM delivery against local stand-ins speaking each destination's
//! documented answers, through real workerd (local D1 and Queues): a
//! permanent refusal (4xx) is tried once and shown, redacted, in the lead's
//! delivery log and the form's health; a 429 is retried after the
//! `Retry-After` the destination asked for.

use std::time::Duration;

use leadform_tests::destination::{Canned, Destination};
use leadform_tests::envelope::{email_envelope, test_form};
use leadform_tests::wrangler::{exclusive, Worker, WorkerOptions, ALLOWED_ORIGIN};
use serde_json::Value;

const EMAIL: &str = "refused.visitor@example.com";

fn delivery<'a>(lead: &'a Value, key: &str) -> &'a Value {
    lead["deliveries"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["destination"] == key))
        .unwrap_or_else(|| panic!("no delivery {key} in {lead}"))
}

fn attempts<'a>(lead: &'a Value, key: &str) -> Vec<&'a Value> {
    lead["attempts"]
        .as_array()
        .map(|a| a.iter().filter(|a| a["destination"] == key).collect())
        .unwrap_or_default()
}

#[test]
fn a_refusal_is_tried_once_and_shown_redacted_and_a_429_waits_its_retry_after() {
    let _guard = exclusive();
    let destination = Destination::start();
    // The webhook receiver refuses the lead, echoing the visitor's email.
    destination.script(
        "/hooks/leads",
        vec![Canned::new(
            422,
            &format!(r#"{{"error":"contact {EMAIL} is on our block list","code":"BLOCKED"}}"#),
        )],
    );
    // HubSpot's rate limit: 429 with its documented error shape, then a 204.
    destination.script(
        "/hubspot/",
        vec![Canned::new(
            429,
            r#"{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","correlationId":"c0ffee"}"#,
        )
        .header("Retry-After", "2")],
    );
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        max_retries: 10,
        ..Default::default()
    });
    let form = test_form("contact");
    let body = email_envelope(&form, "crm-refused-001", EMAIL);
    let response = worker.request(
        "POST",
        "/v1/submit",
        &[
            ("Content-Type", "application/json"),
            ("Origin", ALLOWED_ORIGIN),
            ("CF-Connecting-IP", "203.0.113.91"),
        ],
        &body.to_string(),
    );
    assert_eq!(response.status, 202, "{}", response.body);
    let lead_id = response.json()["lead_id"]
        .as_str()
        .expect("lead id")
        .to_owned();

    // HubSpot is delivered on its second try, so the message was retried
    // after the webhook's refusal was recorded.
    let lead = worker.wait_owner_json(
        &format!("/v1/leads/{lead_id}"),
        "HubSpot delivered after its 429",
        Duration::from_secs(120),
        |lead| {
            lead["deliveries"].as_array().is_some_and(|d| d.len() == 3)
                && delivery(lead, "1:hubspot")["status"] == "delivered"
        },
    );

    let webhook = delivery(&lead, "0:webhook");
    assert_eq!(webhook["status"], "rejected", "{lead}");
    assert_eq!(webhook["attempts"], 1.0, "{lead}");
    assert_eq!(webhook["last_http_status"], 422.0);
    assert_eq!(
        webhook["last_answer"],
        r#"{"error":"contact [redacted] is on our block list","code":"BLOCKED"}"#
    );
    let webhook_attempts = attempts(&lead, "0:webhook");
    assert_eq!(webhook_attempts.len(), 1, "{lead}");
    assert_eq!(webhook_attempts[0]["outcome"], "rejected");
    assert!(
        !lead["deliveries"].to_string().contains(EMAIL)
            && !lead["attempts"].to_string().contains(EMAIL),
        "no personal data in the delivery log: {lead}"
    );

    let hubspot = attempts(&lead, "1:hubspot");
    assert_eq!(hubspot.len(), 2, "{lead}");
    assert_eq!(hubspot[0]["outcome"], "failed");
    assert_eq!(hubspot[0]["http_status"], 429.0);
    assert_eq!(hubspot[0]["retry_after_s"], 2.0);
    assert!(hubspot[0]["answer"]
        .as_str()
        .is_some_and(|a| a.contains("RATE_LIMIT")));
    assert_eq!(hubspot[1]["outcome"], "delivered");
    assert_eq!(hubspot[1]["answer"], Value::Null);
    assert_eq!(delivery(&lead, "2:salesforce")["status"], "delivered");

    // The webhook was asked once only, though the message came back.
    let hooks = destination.received_at("/hooks/leads");
    assert_eq!(hooks.len(), 1, "one attempt at a refusing destination");
    assert!(destination.received_at("/hubspot/").len() >= 2);

    let health = worker.owner("GET", "/v1/forms/contact/health").json();
    assert_eq!(health["deliveries"]["0:webhook"]["rejected"], 1, "{health}");
    assert_eq!(
        health["deliveries"]["1:hubspot"]["delivered"], 1,
        "{health}"
    );
}
