//! Fault suite against the running Worker (real workerd, local D1 and
//! Queues): destinations that answer 500, time out and go down, one after the
//! other, while leads keep arriving (a timed-out send to HubSpot or
//! Salesforce is `in_doubt` until the owner replays it; the webhook is
//! retried); and a storage (D1) write failure.
//! And a crash (`FAULT_POINT`) after the D1 write, after the enqueue and
//! after a destination's 2xx (in the submit request's first attempt, and
//! with `FIRST_ATTEMPT=off` in the queue consumer): nothing acknowledged is
//! lost, and HubSpot and Salesforce (which cannot deduplicate) get each lead
//! once.
//! Nothing may be lost and nothing delivered twice: every lead is counted.

use std::collections::BTreeMap;
use std::time::Duration;

use leadform_shared::FormSpec;
use leadform_tests::destination::{Destination, Mode};
use leadform_tests::envelope::{email_envelope, test_form};
use leadform_tests::wrangler::{exclusive, HttpResponse, Worker, WorkerOptions, ALLOWED_ORIGIN};
use serde_json::{json, Value};

const LEADS: usize = 8;

fn submit(worker: &Worker, form: &FormSpec, n: usize) -> HttpResponse {
    let body = email_envelope(
        form,
        &format!("fault-submission-{n:03}"),
        &format!("fault{n}@example.com"),
    );
    worker.request(
        "POST",
        "/v1/submit",
        &[
            ("Content-Type", "application/json"),
            ("Origin", ALLOWED_ORIGIN),
            ("CF-Connecting-IP", "203.0.113.90"),
        ],
        &body.to_string(),
    )
}

/// Waits (120 s in all) until every delivery of every lead in `lead_ids`
/// has made at least `at_least` attempts or is settled `in_doubt` (a
/// timed-out send to HubSpot or Salesforce: never sent again on its own).
fn wait_attempts(worker: &Worker, lead_ids: &[String], at_least: f64, phase: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    for id in lead_ids {
        worker.wait_owner_json(
            &format!("/v1/leads/{id}"),
            &format!("{phase}: {at_least} attempts per delivery"),
            deadline.saturating_duration_since(std::time::Instant::now()),
            |lead| {
                lead["deliveries"].as_array().is_some_and(|deliveries| {
                    !deliveries.is_empty()
                        && deliveries.iter().all(|d| {
                            d["attempts"].as_f64().unwrap_or(0.0) >= at_least
                                || d["status"] == "in_doubt"
                        })
                })
            },
        );
    }
}

#[test]
fn leads_survive_a_destination_that_fails_times_out_and_goes_down_each_delivered_exactly_once() {
    let _guard = exclusive();
    let destination = Destination::start();
    destination.set_mode(Mode::Error500);
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        // Enough retries to outlast every fault phase below.
        max_retries: 40,
        timeout_ms: 1_000,
        ..Default::default()
    });
    let form = test_form("contact");

    let mut lead_ids = Vec::new();
    for n in 0..LEADS {
        let response = submit(&worker, &form, n);
        assert_eq!(response.status, 202, "{}", response.body);
        lead_ids.push(response.json()["lead_id"].as_str().expect("id").to_owned());
        // Leads keep arriving while the phases change.
        match n {
            2 => destination.set_mode(Mode::Hang(Duration::from_secs(3))),
            5 => destination.set_mode(Mode::Down),
            _ => {}
        }
    }
    eprintln!("[faults] {LEADS} leads accepted; destination: 500 → timeout → down");
    destination.set_mode(Mode::Error500);
    wait_attempts(&worker, &lead_ids, 1.0, "500s");
    destination.set_mode(Mode::Hang(Duration::from_secs(3)));
    wait_attempts(&worker, &lead_ids, 2.0, "timeouts");
    destination.set_mode(Mode::Down);
    wait_attempts(&worker, &lead_ids, 3.0, "outage");
    eprintln!("[faults] every delivery failed at least 3 times; destination back up");
    destination.set_mode(Mode::Ok);

    // The webhook recovers on its own. A send to HubSpot or Salesforce that
    // timed out may have arrived, and they cannot deduplicate: it is
    // `in_doubt` and waits for the owner's replay.
    let settled = |l: &Value| {
        l["deliveries"].as_array().is_some_and(|d| {
            d.len() == 3
                && d.iter().all(|x| {
                    leadform_tests::destination::delivered(x)
                        || (x["status"] == "in_doubt" && x["destination"] != "0:webhook")
                })
        })
    };
    let mut in_doubt: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (n, id) in lead_ids.iter().enumerate() {
        let lead = worker.wait_owner_json(
            &format!("/v1/leads/{id}"),
            "delivered or in doubt after recovery",
            Duration::from_secs(120),
            settled,
        );
        for d in lead["deliveries"].as_array().into_iter().flatten() {
            if d["status"] == "in_doubt" {
                assert!(
                    d["last_error"].as_str().unwrap_or("").contains("timed out"),
                    "in doubt because a send timed out: {lead:#}"
                );
                let key = d["destination"].as_str().unwrap_or("");
                in_doubt
                    .entry(if key.ends_with("hubspot") {
                        "/hubspot/"
                    } else {
                        "/salesforce"
                    })
                    .or_default()
                    .push(n);
            }
        }
    }
    // Every CRM request that timed out made its delivery `in_doubt`: none
    // was sent again on its own.
    let received = destination.received();
    for prefix in ["/hubspot/", "/salesforce"] {
        let hung: Vec<usize> = (0..LEADS)
            .filter(|n| {
                // JSON to HubSpot, form-encoded (`%40`) to Web-to-Lead.
                let tokens = [format!("fault{n}@example"), format!("fault{n}%40example")];
                received.iter().any(|r| {
                    r.path.starts_with(prefix)
                        && r.answered.is_none()
                        && tokens.iter().any(|t| r.body.contains(t.as_str()))
                })
            })
            .collect();
        let doubted = in_doubt.get(prefix).cloned().unwrap_or_default();
        assert_eq!(hung, doubted, "{prefix}: timed out ⇔ in doubt");
    }
    eprintln!("[faults] in doubt after timeouts: {in_doubt:?}; the owner replays them");
    for n in in_doubt
        .values()
        .flatten()
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
    {
        let replay = worker.owner("POST", &format!("/v1/leads/{}/replay", lead_ids[n]));
        assert_eq!(replay.status, 202, "{}", replay.body);
    }
    for id in &lead_ids {
        worker.wait_owner_json(
            &format!("/v1/leads/{id}"),
            "delivered after recovery (and the replay)",
            Duration::from_secs(120),
            |l| {
                l["deliveries"].as_array().is_some_and(|d| {
                    d.len() == 3 && d.iter().all(leadform_tests::destination::delivered)
                })
            },
        );
    }
    // Give stray retries time to show up before counting.
    std::thread::sleep(Duration::from_secs(4));
    let received = destination.received();
    let successes = |prefix: &str| {
        received
            .iter()
            .filter(|r| r.path.starts_with(prefix) && r.answered == Some(200))
            .collect::<Vec<_>>()
    };
    let mut webhooks_per_lead: BTreeMap<String, usize> = BTreeMap::new();
    for hook in successes("/hooks/leads") {
        *webhooks_per_lead
            .entry(hook.headers["webhook-id"].clone())
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = lead_ids.iter().map(|id| (id.clone(), 1)).collect();
    assert_eq!(
        webhooks_per_lead, expected,
        "one successful webhook per lead"
    );
    for (prefix, key) in [("/hubspot/", "\"fault"), ("/salesforce", "email=fault")] {
        let mut per_email: BTreeMap<String, usize> = BTreeMap::new();
        for request in successes(prefix) {
            let start = request
                .body
                .find(key)
                .expect("the lead's email in the payload");
            let email: String = request.body[start..]
                .chars()
                .take_while(|c| *c != '&' && *c != ',')
                .collect();
            *per_email.entry(email).or_default() += 1;
        }
        assert_eq!(per_email.len(), LEADS, "{prefix}: every lead arrived");
        assert!(
            per_email.values().all(|n| *n == 1),
            "{prefix}: exactly once each: {per_email:?}"
        );
    }
    let failed = received.iter().filter(|r| r.answered != Some(200)).count();
    eprintln!(
        "[faults] {} requests reached the destination ({failed} failed on purpose); each of {LEADS} leads delivered exactly once to 3 destinations",
        received.len()
    );
}

#[test]
fn a_d1_write_failure_answers_503_stores_nothing_and_the_same_submission_succeeds_later() {
    let _guard = exclusive();
    let worker = Worker::start(WorkerOptions::default());
    let form = test_form("contact");
    // Certificates are written in the same batch as the lead: the whole
    // batch must fail, leaving no half-stored lead.
    worker.d1(Worker::FAIL_CERTIFICATE_WRITES);
    let failed = submit(&worker, &form, 900);
    assert_eq!(failed.status, 503, "{}", failed.body);
    assert_eq!(failed.json()["error"]["code"], "storage.unavailable");
    assert!(failed.header("retry-after").is_some());
    let listing: Value = worker.owner("GET", "/v1/leads?form=contact").json();
    assert_eq!(listing["leads"], json!([]), "nothing half-stored");

    worker.d1(Worker::ALLOW_CERTIFICATE_WRITES);
    let stored = submit(&worker, &form, 900);
    assert_eq!(stored.status, 202, "{}", stored.body);
    let again = submit(&worker, &form, 900);
    assert_eq!(
        again.json()["lead_id"],
        stored.json()["lead_id"],
        "the retried submission is one lead"
    );
}

/// One crash case: the Worker runs with `FAULT_POINT=point` and aborts
/// there every time it gets that far; the widget resends each submission
/// that was not answered 202, as it does. Returns the lead ids and the
/// Worker's log.
fn crash_at(
    point: &'static str,
    case: usize,
    first_attempt: bool,
) -> (Vec<String>, Destination, String) {
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        fault_point: Some(point),
        max_retries: 10,
        // Off: the queue consumer alone sends, so it is the one that crashes.
        extra_vars: if first_attempt {
            Vec::new()
        } else {
            vec![("FIRST_ATTEMPT", "off".to_owned())]
        },
        ..Default::default()
    });
    let form = test_form("contact");
    let mut lead_ids = Vec::new();
    for n in 0..CRASH_LEADS {
        let send = || {
            let body = email_envelope(
                &form,
                &format!("crash-{case}-{n}"),
                &format!("crash{n}x{case}@example.com"),
            );
            worker.request(
                "POST",
                "/v1/submit",
                &[
                    ("Content-Type", "application/json"),
                    ("Origin", ALLOWED_ORIGIN),
                    ("CF-Connecting-IP", "203.0.113.91"),
                ],
                &body.to_string(),
            )
        };
        let first = send();
        let crashes_before_202 = point != "after_destination_2xx";
        if crashes_before_202 {
            assert!(
                first.status >= 500,
                "{point}: {} {}",
                first.status,
                first.body
            );
        } else {
            assert_eq!(first.status, 202, "{point}: {}", first.body);
        }
        // Not acknowledged: the widget keeps the envelope and sends it again.
        let again = send();
        assert_eq!(again.status, 202, "{point}: {}", again.body);
        let id = again.json()["lead_id"].as_str().expect("id").to_owned();
        if !crashes_before_202 {
            assert_eq!(first.json()["lead_id"], id.as_str());
        }
        lead_ids.push(id);
    }
    // The sweep enqueues what was stored but never enqueued (and sends a
    // second message for the others: the ledger keeps that harmless).
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(worker.run_scheduled("17 * * * *").status, 200);
    for id in &lead_ids {
        worker.wait_owner_json(
            &format!("/v1/leads/{id}"),
            &format!("{point}: delivered everywhere"),
            Duration::from_secs(90),
            |l| {
                l["deliveries"].as_array().is_some_and(|d| {
                    d.len() == 3 && d.iter().all(leadform_tests::destination::delivered)
                })
            },
        );
    }
    // Let redelivered messages and the second ones run before counting.
    std::thread::sleep(Duration::from_secs(4));
    let log = worker.log();
    (lead_ids, destination, log)
}

const CRASH_LEADS: usize = 3;

#[test]
fn a_crash_at_each_fault_point_loses_nothing_and_each_destination_gets_each_lead_once() {
    let _guard = exclusive();
    // `after_destination_2xx` twice: in the submit request's first attempt
    // (on by default), and in the queue consumer (`FIRST_ATTEMPT=off`).
    for (case, (point, first_attempt)) in [
        ("after_d1_write", true),
        ("after_enqueue", true),
        ("after_destination_2xx", true),
        ("after_destination_2xx", false),
    ]
    .into_iter()
    .enumerate()
    {
        let (lead_ids, destination, log) = crash_at(point, case, first_attempt);
        if point == "after_destination_2xx" {
            assert!(
                log.contains("fault point after_destination_2xx"),
                "the consumer aborted after the 2xx: log:\n{log}"
            );
        }
        let received = destination.received();
        let successes = |prefix: &str, token: &str| {
            received
                .iter()
                .filter(|r| {
                    r.path.starts_with(prefix) && r.answered == Some(200) && r.body.contains(token)
                })
                .count()
        };
        for (n, id) in lead_ids.iter().enumerate() {
            let token = format!("crash{n}x{case}");
            let webhooks = received
                .iter()
                .filter(|r| {
                    r.path.starts_with("/hooks/leads")
                        && r.answered == Some(200)
                        && r.headers.get("webhook-id") == Some(id)
                })
                .count();
            assert_eq!(webhooks, 1, "{point}: webhook of {id}");
            // HubSpot and Salesforce cannot deduplicate: the ledger must.
            assert_eq!(successes("/hubspot/", &token), 1, "{point}: HubSpot, {id}");
            assert_eq!(
                successes("/salesforce", &token),
                1,
                "{point}: Salesforce, {id}"
            );
        }
        eprintln!(
            "[faults] {point} (first attempt {first_attempt}): {CRASH_LEADS} leads, none lost, each delivered once to 3 destinations ({} requests)",
            received.len()
        );
    }
}

#[test]
fn a_crash_between_an_answer_and_the_ledger_leaves_crms_in_doubt_and_resends_the_webhook() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        fault_point: Some("before_settle"),
        max_retries: 20,
        timeout_ms: 1_000,
        ..Default::default()
    });
    let form = test_form("contact");
    let response = submit(&worker, &form, 950);
    assert_eq!(response.status, 202, "{}", response.body);
    let id = response.json()["lead_id"].as_str().expect("id").to_owned();
    // Each 2xx is answered and then the Worker dies before the ledger
    // records it; once the claims' leases (13 s) end, the ledger decides.
    let lead = worker.wait_owner_json(
        &format!("/v1/leads/{id}"),
        "every interrupted delivery decided",
        Duration::from_secs(120),
        |l| {
            l["deliveries"].as_array().is_some_and(|d| {
                d.len() == 3
                    && d.iter().all(|x| {
                        ["delivered", "in_doubt"].contains(&x["status"].as_str().unwrap_or(""))
                    })
            })
        },
    );
    let status = |key: &str| {
        lead["deliveries"]
            .as_array()
            .and_then(|d| d.iter().find(|x| x["destination"] == key))
            .map(|x| x["status"].clone())
    };
    // The webhook is sent again (its receiver deduplicates by webhook-id);
    // HubSpot and Salesforce cannot, so they are not.
    assert_eq!(status("0:webhook"), Some(json!("delivered")), "{lead:#}");
    assert_eq!(status("1:hubspot"), Some(json!("in_doubt")), "{lead:#}");
    assert_eq!(status("2:salesforce"), Some(json!("in_doubt")), "{lead:#}");
    std::thread::sleep(Duration::from_secs(3));
    let received = destination.received();
    let count = |prefix: &str, token: &str| {
        received
            .iter()
            .filter(|r| {
                r.path.starts_with(prefix) && r.answered == Some(200) && r.body.contains(token)
            })
            .count()
    };
    let webhooks: Vec<_> = received
        .iter()
        .filter(|r| r.path.starts_with("/hooks/leads") && r.answered == Some(200))
        .collect();
    assert_eq!(webhooks.len(), 2, "the webhook sent twice");
    assert!(
        webhooks.iter().all(|r| r.headers["webhook-id"] == id),
        "with the same webhook-id"
    );
    assert_eq!(
        count("/hubspot/", "fault950"),
        1,
        "HubSpot got the lead once"
    );
    assert_eq!(
        count("/salesforce", "fault950"),
        1,
        "Salesforce got the lead once"
    );
    assert!(worker.log().contains("fault point before_settle"));
}
