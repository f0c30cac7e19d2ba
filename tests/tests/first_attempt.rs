//! Speed to lead (issue 12): the first delivery attempt runs from the
//! submit request's `waitUntil`, not after a queue batch, through the same
//! ledger claim and settle as the queue consumer; real workerd with local
//! D1 and Queues and the local destination. Each attempt's origin
//! (`delivery_attempts.origin`, `submit` or `queue`) shows who sent it: a
//! lead delivered by the first attempt is not sent again by its queue
//! message; a failed first attempt is retried by the queue; a first
//! attempt still sending when the queue message arrives makes the
//! consumer come back later (not drop it), and each destination, HubSpot
//! and Salesforce included, gets each lead exactly once. With the test var
//! `FIRST_ATTEMPT=off` the queue alone delivers, as before.

use std::time::Duration;

use leadform_shared::FormSpec;
use leadform_tests::destination::{delivered, Canned, Destination, Mode, Received};
use leadform_tests::envelope::{email_envelope, test_form};
use leadform_tests::wrangler::{exclusive, Worker, WorkerOptions};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(90);

/// The contact form's three destinations and the paths they arrive at.
const DESTINATIONS: [(&str, &str); 3] = [
    ("0:webhook", "/hooks/leads"),
    ("1:hubspot", "/hubspot"),
    ("2:salesforce", "/salesforce"),
];

fn submit(worker: &Worker, form: &FormSpec, tag: &str) -> String {
    let body = email_envelope(
        form,
        &format!("first-attempt-{tag}"),
        &format!("first.{tag}@example.com"),
    );
    worker.submit_lead(&body, "203.0.113.70")
}

fn wait_delivered(worker: &Worker, id: &str) -> Value {
    worker.wait_owner_json(
        &format!("/v1/leads/{id}"),
        "delivered to its three destinations",
        WAIT,
        |lead| {
            lead["deliveries"]
                .as_array()
                .is_some_and(|d| d.len() == 3 && d.iter().all(delivered))
        },
    )
}

/// Attempts of `id` to `destination` by `origin` with `outcome`.
fn attempts(worker: &Worker, id: &str, destination: &str, origin: &str, outcome: &str) -> u64 {
    worker.d1_count(&format!(
        "SELECT COUNT(*) AS n FROM delivery_attempts WHERE lead_id = '{id}' \
         AND destination = '{destination}' AND origin = '{origin}' AND outcome = '{outcome}'"
    ))
}

/// The outcome word a delivered lead's attempt settles with.
fn delivered_word(destination: &str) -> &'static str {
    if destination.ends_with(":salesforce") {
        "sent_unconfirmed"
    } else {
        "delivered"
    }
}

/// Requests about the lead with email token `token` answered 2xx at `path`.
fn successes(received: &[Received], path: &str, id: &str, token: &str) -> usize {
    received
        .iter()
        .filter(|r| {
            r.path.starts_with(path)
                && r.answered.is_some_and(|s| (200..300).contains(&s))
                && (r.headers.get("webhook-id").map(String::as_str) == Some(id)
                    || r.body.contains(token)
                    || r.body.contains(&token.replace('@', "%40")))
        })
        .count()
}

fn assert_each_once(destination: &Destination, id: &str, tag: &str) {
    let received = destination.received();
    let token = format!("first.{tag}@example.com");
    for (key, path) in DESTINATIONS {
        assert_eq!(
            successes(&received, path, id, &token),
            1,
            "{key}: lead {id} received exactly once"
        );
    }
}

#[test]
fn the_first_attempt_delivers_from_the_submit_request_and_the_queue_sends_nothing_again() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        ..Default::default()
    });
    let form = test_form("contact");
    let tags = ["a", "b", "c"];
    let ids: Vec<String> = tags.iter().map(|tag| submit(&worker, &form, tag)).collect();
    for id in &ids {
        wait_delivered(&worker, id);
    }
    // The queue messages (sent before each 202) run meanwhile: they find
    // every delivery settled and send nothing.
    std::thread::sleep(Duration::from_secs(4));
    for (id, tag) in ids.iter().zip(tags) {
        for (key, _) in DESTINATIONS {
            assert_eq!(
                attempts(&worker, id, key, "submit", delivered_word(key)),
                1,
                "{key} of {id}: delivered by the submit request's first attempt"
            );
            let by_queue = worker.d1_count(&format!(
                "SELECT COUNT(*) AS n FROM delivery_attempts WHERE lead_id = '{id}' AND origin = 'queue'"
            ));
            assert_eq!(by_queue, 0, "{key} of {id}: the queue sent nothing");
        }
        assert_each_once(&destination, id, tag);
        // The owner sees who sent each attempt.
        let lead = worker.owner("GET", &format!("/v1/leads/{id}")).json();
        let origins: Vec<&str> = lead["attempts"]
            .as_array()
            .map(|a| a.iter().filter_map(|a| a["origin"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(origins, vec!["submit"; DESTINATIONS.len()], "{lead}");
    }
}

#[test]
fn with_the_first_attempt_off_the_queue_delivers_as_before() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        extra_vars: vec![("FIRST_ATTEMPT", "off".to_owned())],
        ..Default::default()
    });
    let form = test_form("contact");
    let id = submit(&worker, &form, "off");
    wait_delivered(&worker, &id);
    for (key, _) in DESTINATIONS {
        assert_eq!(
            attempts(&worker, &id, key, "queue", delivered_word(key)),
            1,
            "{key}: delivered by the queue"
        );
    }
    let by_submit = worker.d1_count(&format!(
        "SELECT COUNT(*) AS n FROM delivery_attempts WHERE lead_id = '{id}' AND origin = 'submit'"
    ));
    assert_eq!(by_submit, 0, "no first attempt");
    assert_each_once(&destination, &id, "off");
}

#[test]
fn a_failed_first_attempt_is_retried_by_the_queue_and_each_destination_gets_the_lead_once() {
    let _guard = exclusive();
    let destination = Destination::start();
    // The first request to the webhook and to HubSpot fails.
    destination.script("/hooks/leads", vec![Canned::new(500, "{\"ok\":false}")]);
    destination.script("/hubspot", vec![Canned::new(503, "{\"status\":\"error\"}")]);
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        ..Default::default()
    });
    let form = test_form("contact");
    let id = submit(&worker, &form, "retry");
    wait_delivered(&worker, &id);
    std::thread::sleep(Duration::from_secs(3));
    for key in ["0:webhook", "1:hubspot"] {
        assert_eq!(attempts(&worker, &id, key, "submit", "failed"), 1, "{key}");
        assert_eq!(
            attempts(&worker, &id, key, "queue", "delivered"),
            1,
            "{key}: the queue's retry delivered it"
        );
    }
    assert_eq!(
        attempts(&worker, &id, "2:salesforce", "submit", "sent_unconfirmed"),
        1
    );
    assert_each_once(&destination, &id, "retry");
}

#[test]
fn a_first_attempt_still_sending_when_the_queue_message_arrives_is_waited_for_not_doubled() {
    let _guard = exclusive();
    let destination = Destination::start();
    // The first request hangs 3 s (past the test queue's 1 s batch), then
    // the connection closes unanswered: a network error, retried.
    destination.set_mode(Mode::Hang(Duration::from_secs(3)));
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        timeout_ms: 5_000,
        max_retries: 20,
        ..Default::default()
    });
    let form = test_form("contact");
    let id = submit(&worker, &form, "slow");
    destination.wait_for("the first attempt's request", WAIT, |r| !r.is_empty());
    destination.set_mode(Mode::Ok);
    wait_delivered(&worker, &id);
    std::thread::sleep(Duration::from_secs(3));
    // The webhook's first attempt (claimed by the submit request) failed;
    // the consumer, finding it claimed, came back after the claim and
    // delivered it. Every destination got the lead once.
    assert_eq!(
        attempts(&worker, &id, "0:webhook", "submit", "failed"),
        1,
        "the first attempt's webhook send failed"
    );
    let delivered_by = |key: &str| {
        attempts(&worker, &id, key, "submit", delivered_word(key))
            + attempts(&worker, &id, key, "queue", delivered_word(key))
    };
    for (key, _) in DESTINATIONS {
        assert_eq!(delivered_by(key), 1, "{key}: one delivering attempt");
    }
    assert_each_once(&destination, &id, "slow");
}
