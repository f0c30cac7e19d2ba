//! CRM delivery against local stand-ins speaking each destination's
//! documented answers, through real workerd (local D1 and Queues): a
//! permanent refusal (4xx) is tried once and shown, redacted, in the lead's
//! delivery log and the form's health; a 429 is retried after the
//! `Retry-After` the destination asked for; HubSpot gets each consent block
//! in its own `legalConsentOptions` entry, on the token-checked secure
//! endpoint when the form names a token, and its schema-checking stand-in
//! accepts every body; Salesforce's REST API gets a Lead with a token it
//! issued, cached and refreshed after a 401, the new record's id kept, a
//! duplicate recorded against the existing record, a missing required field
//! refused once; Web-to-Lead is logged as sent, unconfirmed. A 410 Gone
//! disables a destination until the owner enables it again, which sends
//! what was held back meanwhile, once each.

use std::time::Duration;

use leadform_tests::crm::HUBSPOT_TOKEN;
use leadform_tests::destination::{Canned, Destination, Received};
use leadform_tests::envelope::{email_envelope, envelope, test_form};
use leadform_tests::wrangler::{exclusive, Worker, WorkerOptions, ALLOWED_ORIGIN};
use serde_json::{json, Map, Value};

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

fn submit(worker: &Worker, body: &Value) -> String {
    let response = worker.request(
        "POST",
        "/v1/submit",
        &[
            ("Content-Type", "application/json"),
            ("Origin", ALLOWED_ORIGIN),
            ("CF-Connecting-IP", "203.0.113.92"),
        ],
        &body.to_string(),
    );
    assert_eq!(response.status, 202, "{}", response.body);
    response.json()["lead_id"]
        .as_str()
        .expect("lead id")
        .to_owned()
}

const PROCESS: &str =
    "I agree that Acme stores and processes my personal data to answer my request.";
const NEWS: &str = "Send me Acme's product news by email.";
const CALLS: &str = "Acme may call me about offers at the number above.";

#[test]
fn hubspot_gets_each_consent_block_in_its_own_entry_on_the_secure_endpoint() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        ..Default::default()
    });
    let form = test_form("hubspot");
    // (process, news, calls) ticked or not; the expected communications.
    let cases = [
        ((true, false, true), "calls-not-email"),
        ((true, true, false), "email-not-calls"),
        ((false, true, true), "marketing-not-processing"),
        ((false, false, false), "nothing"),
    ];
    let mut leads = Vec::new();
    for ((process, news, calls), name) in cases {
        let mut fields = Map::new();
        fields.insert("email".into(), json!(format!("{name}@example.com")));
        fields.insert("phone".into(), json!("+1 415 555 2671"));
        let mut body = envelope(&form, &format!("crm-hubspot-{name}"), fields);
        for (consent, ticked) in body["consents"]
            .as_array_mut()
            .expect("consents")
            .iter_mut()
            .zip([process, news, calls])
        {
            consent["checked"] = json!(ticked);
        }
        leads.push((name, submit(&worker, &body), (process, news, calls)));
    }
    let received = destination.wait_for(
        "two HubSpot submissions per lead",
        Duration::from_secs(60),
        |r| r.iter().filter(|r| r.answered == Some(200)).count() >= 2 * leads.len(),
    );
    let by_email = |secure: bool, name: &str| -> Received {
        let prefix = if secure {
            "/submissions/v3/integration/secure/submit/1234567/"
        } else {
            "/submissions/v3/integration/submit/1234567/"
        };
        received
            .iter()
            .find(|r| r.path.starts_with(prefix) && r.body.contains(&format!("{name}@example.com")))
            .unwrap_or_else(|| panic!("no {prefix} submission for {name}"))
            .clone()
    };
    for (name, lead_id, (process, news, calls)) in &leads {
        let expected = json!({ "consent": {
            "consentToProcess": process,
            "text": PROCESS,
            "communications": [
                { "value": news, "subscriptionTypeId": 101, "text": NEWS },
                { "value": calls, "subscriptionTypeId": 202, "text": CALLS },
            ],
        }});
        for secure in [true, false] {
            let request = by_email(secure, name);
            // The stand-in checked the body against the v3 schema: 200.
            assert_eq!(request.answered, Some(200), "{name}: {}", request.body);
            let body: Value = serde_json::from_str(&request.body).expect("JSON");
            assert_eq!(
                body["legalConsentOptions"], expected,
                "{name} secure={secure}"
            );
            assert!(body["fields"]
                .as_array()
                .expect("fields")
                .iter()
                .any(|f| f["name"] == "phone" && f["value"] == "+14155552671"));
            assert_eq!(
                request.headers.get("authorization").cloned(),
                secure.then(|| format!("Bearer {HUBSPOT_TOKEN}")),
                "{name}: the token goes to the secure endpoint only"
            );
        }
        let lead = worker.owner("GET", &format!("/v1/leads/{lead_id}")).json();
        for key in ["0:hubspot", "1:hubspot"] {
            assert_eq!(delivery(&lead, key)["status"], "delivered", "{lead}");
        }
    }
}

#[test]
fn a_hubspot_400_is_permanent_and_its_errors_are_kept() {
    let _guard = exclusive();
    let destination = Destination::start();
    let refusal = r#"{"status":"error","message":"The request is not valid","correlationId":"2b3f8e1a","errors":[{"message":"Error in 'fields.email'. Invalid email address","errorType":"INVALID_EMAIL"}]}"#;
    destination.script(
        "/submissions/v3/integration/secure/",
        vec![Canned::new(400, refusal)],
    );
    // The unauthenticated one is rate limited first, then takes it.
    destination.script(
        "/submissions/v3/integration/submit/",
        vec![Canned::new(
            429,
            r#"{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c0ffee","policyName":"TEN_SECONDLY_ROLLING"}"#,
        )
        .header("Retry-After", "1")],
    );
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        max_retries: 10,
        ..Default::default()
    });
    let form = test_form("hubspot");
    let lead_id = submit(
        &worker,
        &envelope(
            &form,
            "crm-hubspot-400",
            Map::from_iter([
                ("email".to_owned(), json!("hs.refused@example.com")),
                ("phone".to_owned(), json!("+1 415 555 2671")),
            ]),
        ),
    );
    let lead = worker.wait_owner_json(
        &format!("/v1/leads/{lead_id}"),
        "the unauthenticated HubSpot delivery after its 429",
        Duration::from_secs(120),
        |lead| {
            lead["deliveries"].as_array().is_some_and(|d| d.len() == 2)
                && delivery(lead, "1:hubspot")["status"] == "delivered"
        },
    );
    let secure = delivery(&lead, "0:hubspot");
    assert_eq!(secure["status"], "rejected", "{lead}");
    assert_eq!(secure["attempts"], 1.0);
    assert_eq!(secure["last_http_status"], 400.0);
    assert_eq!(
        secure["last_answer"], refusal,
        "kept whole: no personal data in it"
    );
    assert_eq!(
        destination
            .received_at("/submissions/v3/integration/secure/")
            .len(),
        1,
        "a 400 is not retried"
    );
    let open = attempts(&lead, "1:hubspot");
    assert_eq!(open.len(), 2, "{lead}");
    assert_eq!(open[0]["http_status"], 429.0);
    assert_eq!(open[0]["retry_after_s"], 1.0);
}

fn salesforce_lead(
    worker: &Worker,
    form: &leadform_shared::FormSpec,
    n: &str,
    email: &str,
    name: &str,
) -> Value {
    let mut fields = Map::new();
    fields.insert("email".into(), json!(email));
    if !name.is_empty() {
        fields.insert("full_name".into(), json!(name));
    }
    let lead_id = submit(worker, &envelope(form, &format!("crm-sf-{n}"), fields));
    worker.wait_owner_json(
        &format!("/v1/leads/{lead_id}"),
        &format!("lead {n}: both Salesforce deliveries finished"),
        Duration::from_secs(90),
        |lead| {
            lead["deliveries"].as_array().is_some_and(|d| {
                d.len() == 2
                    && d.iter().all(|d| {
                        ["delivered", "duplicate", "rejected", "sent_unconfirmed"]
                            .contains(&d["status"].as_str().unwrap_or(""))
                    })
            })
        },
    )
}

#[test]
fn salesforce_api_tokens_are_cached_and_refreshed_and_every_answer_is_recorded() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        ..Default::default()
    });
    let form = test_form("salesforce");
    let org = destination.salesforce();
    let api = "0:salesforce_api";

    // First lead: a token, then a Lead with the name split and the default company.
    let first = salesforce_lead(&worker, &form, "1", "ann.lee@example.com", "Ann Marie Lee");
    assert_eq!(org.tokens_issued(), 1);
    let created = delivery(&first, api);
    assert_eq!(created["status"], "delivered", "{first}");
    assert_eq!(created["last_http_status"], 201.0);
    assert_eq!(created["remote_id"], org.lead_ids()[0].as_str());
    let sent = destination
        .received_at("/sf/services/data/v62.0/sobjects/Lead")
        .pop()
        .expect("a Lead create");
    assert_eq!(
        serde_json::from_str::<Value>(&sent.body).expect("JSON"),
        json!({ "FirstName": "Ann Marie", "LastName": "Lee", "Email": "ann.lee@example.com", "Company": "Not given" })
    );
    // Web-to-Lead answered 200, which confirms nothing.
    let web_to_lead = delivery(&first, "1:salesforce");
    assert_eq!(web_to_lead["status"], "sent_unconfirmed", "{first}");
    assert_eq!(web_to_lead["attempts"], 1.0);

    // Second: the cached token.
    let second = salesforce_lead(&worker, &form, "2", "bo@example.com", "Bo");
    assert_eq!(delivery(&second, api)["status"], "delivered", "{second}");
    assert_eq!(org.tokens_issued(), 1, "the token is cached");

    // The session expires: a 401, one new token, the same attempt succeeds.
    org.expire_sessions();
    let third = salesforce_lead(&worker, &form, "3", "cy@example.com", "Cy Young");
    let refreshed = delivery(&third, api);
    assert_eq!(refreshed["status"], "delivered", "{third}");
    assert_eq!(refreshed["attempts"], 1.0);
    assert_eq!(refreshed["remote_id"], org.lead_ids()[2].as_str());
    assert_eq!(org.tokens_issued(), 2, "refreshed once after the 401");

    // The same person again: Salesforce's duplicate rule names the record.
    let again = salesforce_lead(&worker, &form, "4", "ann.lee@example.com", "Ann Lee");
    let duplicate = delivery(&again, api);
    assert_eq!(duplicate["status"], "duplicate", "{again}");
    assert_eq!(duplicate["attempts"], 1.0);
    assert_eq!(duplicate["remote_id"], org.lead_ids()[0].as_str());
    assert!(duplicate["last_answer"]
        .as_str()
        .is_some_and(|a| a.contains("DUPLICATES_DETECTED")));

    // No name: no LastName, refused once with Salesforce's own error.
    let nameless = salesforce_lead(&worker, &form, "5", "dee@example.com", "");
    let refused = delivery(&nameless, api);
    assert_eq!(refused["status"], "rejected", "{nameless}");
    assert_eq!(refused["attempts"], 1.0);
    assert_eq!(refused["last_http_status"], 400.0);
    assert!(refused["last_answer"]
        .as_str()
        .is_some_and(|a| a.contains("REQUIRED_FIELD_MISSING") && a.contains("LastName")));
    assert_eq!(org.lead_ids().len(), 3, "three Leads created in all");

    let health = worker.owner("GET", "/v1/forms/salesforce/health").json();
    let counts = &health["deliveries"][api];
    assert_eq!(
        (
            &counts["delivered"],
            &counts["duplicate"],
            &counts["rejected"]
        ),
        (&json!(3), &json!(1), &json!(1)),
        "{health}"
    );
    assert_eq!(health["deliveries"]["1:salesforce"]["sent_unconfirmed"], 5);
    // Each Web-to-Lead request counts toward the org's 500 a day.
    assert_eq!(
        health["web_to_lead"],
        json!({ "sent_last_24h": 5, "daily_limit": 500, "near_limit": false })
    );
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
    assert_eq!(
        delivery(&lead, "2:salesforce")["status"],
        "sent_unconfirmed"
    );

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

/// A 410 Gone disables the webhook: the next lead is not sent to it at
/// all. `POST .../enable` lifts it and sends both held-back leads, once
/// each; the refusal from before the 410 stays refused; a second enable
/// changes nothing.
#[test]
fn a_410_disables_a_destination_until_the_owner_enables_it_again() {
    let _guard = exclusive();
    let destination = Destination::start();
    destination.script(
        "/hooks/leads",
        vec![
            Canned::new(422, r#"{"error":"refused before the 410"}"#),
            Canned::new(410, r#"{"error":"this endpoint is gone"}"#),
        ],
    );
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        max_retries: 10,
        ..Default::default()
    });
    let form = test_form("contact");
    let webhook_status = |lead_id: &str, what: &str| -> Value {
        worker.wait_owner_json(
            &format!("/v1/leads/{lead_id}"),
            what,
            Duration::from_secs(120),
            |lead| {
                lead["deliveries"].as_array().is_some_and(|d| {
                    d.iter()
                        .any(|d| d["destination"] == "0:webhook" && d["status"] != "pending")
                })
            },
        )
    };
    let refused = submit(
        &worker,
        &email_envelope(&form, "gone-001", "before.gone@example.com"),
    );
    let lead = webhook_status(&refused, "the 422");
    assert_eq!(delivery(&lead, "0:webhook")["status"], "rejected", "{lead}");
    let gone = submit(
        &worker,
        &email_envelope(&form, "gone-002", "at.gone@example.com"),
    );
    let lead = webhook_status(&gone, "the 410");
    assert_eq!(
        delivery(&lead, "0:webhook")["last_http_status"],
        410.0,
        "{lead}"
    );
    let health = worker.owner("GET", "/v1/forms/contact/health").json();
    let disabled = &health["disabled_destinations"];
    assert_eq!(disabled[0]["destination"], "0:webhook", "{health}");
    assert_eq!(disabled[0]["lead_id"], gone.as_str(), "{health}");

    let held = submit(
        &worker,
        &email_envelope(&form, "gone-003", "after.gone@example.com"),
    );
    let lead = webhook_status(&held, "the disabled destination's refusal");
    let webhook = delivery(&lead, "0:webhook");
    assert_eq!(webhook["status"], "rejected", "{lead}");
    assert!(
        webhook["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("410")),
        "{lead}"
    );
    assert_eq!(
        destination.received_at("/hooks/leads").len(),
        2,
        "nothing is sent to a disabled destination"
    );

    let enabled = worker.owner("POST", "/v1/forms/contact/destinations/0%3Awebhook/enable");
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    let enabled = enabled.json();
    assert_eq!(enabled["enabled"], true, "{enabled}");
    assert!(enabled["was_disabled_at"].is_string(), "{enabled}");
    let mut revived: Vec<&str> = enabled["lead_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    revived.sort_unstable();
    let mut expected = vec![gone.as_str(), held.as_str()];
    expected.sort_unstable();
    assert_eq!(revived, expected, "{enabled}");

    let hooks = destination.wait_for(
        "both held-back leads at the webhook",
        Duration::from_secs(120),
        |received| {
            received
                .iter()
                .filter(|r| r.path.starts_with("/hooks/leads") && r.answered == Some(200))
                .count()
                >= 2
        },
    );
    let delivered: Vec<&Received> = hooks
        .iter()
        .filter(|r| r.path.starts_with("/hooks/leads") && r.answered == Some(200))
        .collect();
    for lead_id in [&gone, &held] {
        let times = delivered
            .iter()
            .filter(|r| r.body.contains(lead_id.as_str()))
            .count();
        assert_eq!(times, 1, "{lead_id} delivered once after the enable");
    }
    assert!(
        !delivered.iter().any(|r| r.body.contains(refused.as_str())),
        "the refusal from before the 410 is not sent again"
    );
    let health = worker.owner("GET", "/v1/forms/contact/health").json();
    assert_eq!(health["disabled_destinations"], json!([]), "{health}");
    let again = worker
        .owner("POST", "/v1/forms/contact/destinations/0%3Awebhook/enable")
        .json();
    assert_eq!(again["was_disabled_at"], Value::Null, "{again}");
    assert_eq!(again["redriven"], 0, "{again}");
    let unknown = worker.owner("POST", "/v1/forms/contact/destinations/9%3Awebhook/enable");
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let audit = worker.owner("GET", "/v1/audit").body;
    assert_eq!(audit.matches("enable_destination").count(), 1, "{audit}");
}
