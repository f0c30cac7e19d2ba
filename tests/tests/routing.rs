//! Lead routing and speed-to-lead through real workerd (local D1, Queues,
//! Durable Objects) with `tests/forms/routing.toml`: round robin is exact
//! over N leads, weighted within a stated tolerance, a cap of N under
//! concurrent submissions routes exactly N (the rest to the overflow
//! default), deliveries go only to the chosen destinations (and the CRM no
//! recipient names), the decision is in `GET /v1/leads/{id}`; Slack, Twilio
//! and Resend stand-ins get their providers' request shapes at once, once
//! per lead; an SLA escalates a lead not contacted in time and not one that
//! was; delivery hours follow New York's local time on both DST change days
//! (routing's clock moved there by the test-only `ROUTING_CLOCK_OFFSET_MS`)
//! and a hold waits for the next open window.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use leadform_tests::destination::{Destination, Received};
use leadform_tests::envelope::{envelope, test_form};
use leadform_tests::wrangler::{
    exclusive, Worker, WorkerOptions, ADMIN_TOKEN, PLACEHOLDER_DESTINATION,
};
use serde_json::{json, Map, Value};

const WAIT: Duration = Duration::from_secs(60);

fn options(destination: &Destination, offset_ms: i64) -> WorkerOptions {
    let base = destination.base_url();
    let rewrites = json!([
        [PLACEHOLDER_DESTINATION, format!("{base}/")],
        ["https://api.twilio.com", format!("{base}/twilio")],
        ["https://api.resend.com", format!("{base}/resend")],
    ]);
    WorkerOptions {
        destination_base: Some(base),
        extra_vars: vec![
            ("DESTINATION_URL_REWRITES", rewrites.to_string()),
            (
                "SLACK_URL",
                format!("{PLACEHOLDER_DESTINATION}slack/T0/B0/xyz"),
            ),
            ("TWILIO_TOKEN", "tw-token".to_owned()),
            ("RESEND_KEY", "re_key".to_owned()),
            ("SLA_MINUTE_MS", "1000".to_owned()),
            ("ROUTING_CLOCK_OFFSET_MS", offset_ms.to_string()),
        ],
        ..Default::default()
    }
}

fn submit(worker: &Worker, lane: &str, n: usize) -> String {
    let form = test_form("routing");
    let mut fields = Map::new();
    fields.insert("email".into(), json!(format!("{lane}.{n}@example.com")));
    fields.insert("name".into(), json!(format!("Visitor {lane} {n}")));
    fields.insert("lane".into(), json!(lane));
    let body = envelope(&form, &format!("sub-{lane}-{n}"), fields);
    worker.submit_lead(&body, "203.0.113.50")
}

fn lead(worker: &Worker, id: &str) -> Value {
    let response = worker.owner("GET", &format!("/v1/leads/{id}"));
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()
}

fn chosen(lead: &Value) -> Vec<String> {
    lead["routing"]["chosen"]
        .as_array()
        .unwrap_or_else(|| panic!("no routing decision: {lead}"))
        .iter()
        .map(|c| c["recipient"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn delivery_keys(lead: &Value) -> Vec<String> {
    let mut keys: Vec<String> = lead["deliveries"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|d| d["destination"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    keys.sort();
    keys
}

/// Webhook deliveries received per path, by lead id (`webhook-id`).
fn leads_at(received: &[Received], path: &str) -> Vec<String> {
    received
        .iter()
        .filter(|r| r.path == path)
        .map(|r| r.headers.get("webhook-id").cloned().unwrap_or_default())
        .collect()
}

fn unique(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn methods_caps_notifications_and_escalations() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(options(&destination, 0));

    // Round robin over three: 9 leads, exactly 3 each, in turn.
    let rr: Vec<String> = (0..9).map(|n| submit(&worker, "rr", n)).collect();
    let received = destination.wait_for("9 round-robin leads and their CRM copies", WAIT, |r| {
        let routed: usize = ["/rt/rr_a", "/rt/rr_b", "/rt/rr_c"]
            .iter()
            .map(|p| unique(leads_at(r, p)).len())
            .sum();
        routed == 9 && unique(leads_at(r, "/rt/crm")).len() == 9
    });
    for path in ["/rt/rr_a", "/rt/rr_b", "/rt/rr_c"] {
        assert_eq!(unique(leads_at(&received, path)).len(), 3, "{path}");
    }
    let mut turns = Vec::new();
    for id in &rr {
        let lead = lead(&worker, id);
        assert_eq!(lead["routing"]["route"], "rr", "{lead}");
        assert_eq!(lead["routing"]["method"], "round_robin");
        let to = chosen(&lead);
        assert_eq!(to.len(), 1, "{lead}");
        // The chosen recipient's destination and the CRM, nothing else.
        let index = ["rr_a", "rr_b", "rr_c"]
            .iter()
            .position(|r| *r == to[0])
            .expect("a round-robin recipient");
        let mut expected = vec![format!("{index}:webhook"), "10:webhook".to_owned()];
        expected.sort();
        assert_eq!(delivery_keys(&lead), expected);
        assert!(leads_at(&received, &format!("/rt/{}", to[0])).contains(id));
        turns.push(index);
    }
    // In turn: each three consecutive leads went to three different ones.
    for window in turns.chunks(3) {
        assert_eq!(
            unique(window.iter().map(|i| i.to_string()).collect()).len(),
            3,
            "{turns:?}"
        );
    }

    // Notifications: each rr lead told once on every channel, in its
    // provider's shape.
    let received = destination.wait_for("27 notifications", WAIT, |r| {
        r.iter()
            .filter(|r| {
                r.path.starts_with("/slack/")
                    || r.path.starts_with("/twilio/")
                    || r.path.starts_with("/resend/")
            })
            .count()
            >= 27
    });
    let slack: Vec<&Received> = received
        .iter()
        .filter(|r| r.path == "/slack/T0/B0/xyz")
        .collect();
    let sms: Vec<&Received> = received
        .iter()
        .filter(|r| r.path == "/twilio/2010-04-01/Accounts/AC0123456789/Messages.json")
        .collect();
    let email: Vec<&Received> = received
        .iter()
        .filter(|r| r.path == "/resend/emails")
        .collect();
    assert_eq!((slack.len(), sms.len(), email.len()), (9, 9, 9));
    for id in &rr {
        let about =
            |list: &[&Received]| list.iter().filter(|r| r.body.contains(id.as_str())).count();
        assert_eq!(about(&slack), 1, "slack for {id}");
        assert_eq!(about(&sms), 1, "sms for {id}");
        assert_eq!(about(&email), 1, "email for {id}");
    }
    let message: Value = serde_json::from_str(&slack[0].body).expect("slack JSON");
    assert!(
        message["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("New lead on Routing test")),
        "{message}"
    );
    assert_eq!(sms[0].method, "POST");
    assert_eq!(
        sms[0].headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    // base64("AC0123456789:tw-token")
    assert_eq!(
        sms[0].headers["authorization"],
        "Basic QUMwMTIzNDU2Nzg5OnR3LXRva2Vu"
    );
    assert!(
        sms[0]
            .body
            .starts_with("To=%2B15550002222&From=%2B15550001111&Body=New+lead"),
        "{}",
        sms[0].body
    );
    assert_eq!(email[0].headers["authorization"], "Bearer re_key");
    let mail: Value = serde_json::from_str(&email[0].body).expect("email JSON");
    assert_eq!(mail["to"], json!(["owner@example.com"]));
    assert_eq!(mail["from"], "leads@example.com");
    assert_eq!(mail["subject"], "New lead: Routing test");
    let alerts = lead(&worker, &rr[0])["speed_to_lead"]["alerts"].clone();
    assert_eq!(
        alerts
            .as_array()
            .map(|a| a.iter().filter(|a| a["status"] == "sent").count()),
        Some(3),
        "{alerts}"
    );

    // Weighted 3:1 over 80 leads: the heavy one's share is 0.75 +- 0.15
    // (the binomial standard deviation is 0.048: three of them).
    let weighted: Vec<String> = (0..80).map(|n| submit(&worker, "weighted", n)).collect();
    let received = destination.wait_for("80 weighted leads", WAIT, |r| {
        unique(leads_at(r, "/rt/heavy")).len() + unique(leads_at(r, "/rt/light")).len() == 80
    });
    let heavy = unique(leads_at(&received, "/rt/heavy")).len();
    let share = heavy as f64 / 80.0;
    assert!((0.60..=0.90).contains(&share), "heavy took {heavy} of 80");
    for id in weighted.iter().take(5) {
        assert_eq!(lead(&worker, id)["routing"]["method"], "weighted");
    }

    // A cap of 5 under 12 concurrent submissions: exactly 5 routed there,
    // the other 7 to the overflow default.
    let capped: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|n| {
                let worker = &worker;
                scope.spawn(move || submit(worker, "capped", n))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("submit thread"))
            .collect()
    });
    let received = destination.wait_for("12 capped-lane leads", WAIT, |r| {
        unique(leads_at(r, "/rt/capped")).len() + unique(leads_at(r, "/rt/spill")).len() == 12
    });
    assert_eq!(unique(leads_at(&received, "/rt/capped")).len(), 5);
    assert_eq!(unique(leads_at(&received, "/rt/spill")).len(), 7);
    let mut overflowed = 0;
    for id in &capped {
        let lead = lead(&worker, id);
        let routing = &lead["routing"];
        if chosen(&lead) == ["spill"] {
            overflowed += 1;
            assert_eq!(routing["overflow"], "default", "{routing}");
            assert_eq!(
                routing["tried"][0],
                json!({"recipient": "capped", "outcome": "capped_month"})
            );
        } else {
            assert_eq!(chosen(&lead), ["capped"], "{routing}");
        }
    }
    assert_eq!(overflowed, 7);

    // SLA of one (test) minute: the lead contacted in time is not
    // escalated, the other is, once.
    let contacted = submit(&worker, "sla", 0);
    let ignored = submit(&worker, "sla", 1);
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let status = worker.request(
        "POST",
        &format!("/v1/leads/{contacted}/status"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        r#"{"status":"contacted"}"#,
    );
    assert!(status.status < 300, "{} {}", status.status, status.body);
    // Both timers started; wait until both are due (1 s after arrival).
    worker.wait_owner_json(&format!("/v1/leads/{ignored}"), "an SLA timer", WAIT, |l| {
        l["speed_to_lead"]["sla"]["minutes"] == 1
    });
    std::thread::sleep(Duration::from_millis(1500));
    for _ in 0..2 {
        let run = worker.run_scheduled("* * * * *");
        assert!(run.status < 300, "{}", run.body);
    }
    let escalations = |r: &[Received]| -> Vec<String> {
        r.iter()
            .filter(|r| r.path.starts_with("/twilio/") && r.body.contains("not+contacted"))
            .map(|r| r.body.clone())
            .collect()
    };
    let received = destination.wait_for("an escalation SMS", WAIT, |r| !escalations(r).is_empty());
    let sent = escalations(&received);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains(&ignored), "{}", sent[0]);
    assert_eq!(
        lead(&worker, &ignored)["speed_to_lead"]["sla"]["outcome"],
        "escalated"
    );
    assert_eq!(
        lead(&worker, &contacted)["speed_to_lead"]["sla"]["outcome"],
        "met"
    );
}

fn ms(text: &str) -> i64 {
    leadform_edge::time::parse_rfc3339(text).expect("UTC time") as i64
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[test]
fn delivery_hours_follow_new_york_time_on_dst_change_days_and_a_hold_waits() {
    let _guard = exclusive();
    let destination = Destination::start();
    // Sunday 2026-03-08, the spring change: 13:30 UTC is 09:30 EDT (it
    // would be 08:30 had the offset stayed -5), inside Sunday 09:00-17:00.
    let spring = ms("2026-03-08T13:30:00Z");
    let started = Instant::now();
    let worker = Worker::start(options(&destination, spring - now_ms()));
    let open = submit(&worker, "hours", 0);
    let held = submit(&worker, "hold", 0);
    assert!(
        started.elapsed() < Duration::from_secs(600),
        "the moved clock drifted too far"
    );
    let open = lead(&worker, &open);
    assert_eq!(chosen(&open), ["sunday"], "{}", open["routing"]);
    let held = lead(&worker, &held);
    let routing = &held["routing"];
    assert_eq!(routing["overflow"], "hold", "{routing}");
    assert_eq!(chosen(&held), ["monday"]);
    // The next window: Monday 09:00 EDT.
    assert_eq!(
        routing["hold_until_ms"].as_i64(),
        Some(ms("2026-03-09T13:00:00Z")),
        "{routing}"
    );
    destination.wait_for("the held lead's CRM copy", WAIT, |r| {
        leads_at(r, "/rt/crm").contains(&held["lead_id"].as_str().unwrap_or_default().to_owned())
    });
    let monday = held["deliveries"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["destination"] == "9:webhook"))
        .cloned()
        .unwrap_or_else(|| panic!("no delivery to the held recipient: {held}"));
    assert_ne!(monday["status"], "delivered", "{monday}");
    assert!(leads_at(&destination.received(), "/rt/monday").is_empty());

    // Sunday 2026-11-01, the autumn change: 13:30 UTC is 08:30 EST (09:30
    // had the offset stayed -4): closed, so the next candidate takes it.
    let autumn = ms("2026-11-01T13:30:00Z");
    let worker = worker.restart(options(&destination, autumn - now_ms()));
    let closed = lead(&worker, &submit(&worker, "hours", 1));
    assert_eq!(chosen(&closed), ["anytime"], "{}", closed["routing"]);
    assert_eq!(
        closed["routing"]["tried"][0],
        json!({"recipient": "sunday", "outcome": "closed"})
    );
}
