//! A week-long outage under a compressed clock (issue 15): 1,000 leads from
//! concurrent submitters while every destination is down for the whole
//! retry schedule (`DELIVERY_SCHEDULE_SCALE` makes the week about a
//! minute), until every delivery is given up (`dead`); then the
//! destinations come back and the cron sweep (one probe per destination,
//! then every dead delivery of a recovered destination, and anything due
//! but not queued) delivers them. Counted by lead id at the destinations:
//! none lost, each delivered exactly once per destination, in any order.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use leadform_tests::destination::{Destination, Mode};
use leadform_tests::envelope::{email_envelope, test_form};
use leadform_tests::wrangler::{exclusive, Worker, WorkerOptions, ALLOWED_ORIGIN};
use serde_json::Value;

const LEADS: usize = 1_000;
const SUBMITTERS: usize = 8;
/// The week at this scale: 617,705 s x 0.0001 = about 62 s.
const SCALE: f64 = 0.0001;
const DESTINATIONS: [&str; 2] = ["0:webhook", "1:hubspot"];

/// The form's delivery counts per destination and status (health report).
fn counts(worker: &Worker) -> BTreeMap<String, BTreeMap<String, u64>> {
    let health = worker.owner("GET", "/v1/forms/outage/health").json();
    let mut out = BTreeMap::new();
    for destination in DESTINATIONS {
        let statuses = health["deliveries"][destination]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .filter(|(_, n)| *n > 0)
                    .collect()
            })
            .unwrap_or_default();
        out.insert(destination.to_owned(), statuses);
    }
    out
}

fn count(counts: &BTreeMap<String, BTreeMap<String, u64>>, destination: &str, status: &str) -> u64 {
    counts[destination].get(status).copied().unwrap_or(0)
}

#[test]
fn a_week_long_outage_loses_nothing_and_delivers_each_lead_once_per_destination() {
    let _guard = exclusive();
    let destination = Destination::start();
    destination.set_mode(Mode::Down);
    let worker = Arc::new(Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        schedule_scale: SCALE,
        max_retries: 100,
        timeout_ms: 1_000,
        ..Default::default()
    }));
    let form = Arc::new(test_form("outage"));
    let started = Instant::now();

    // 1,000 leads from concurrent submitters (each its own IP).
    let accepted: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|s| {
            let (worker, form, accepted) = (
                Arc::clone(&worker),
                Arc::clone(&form),
                Arc::clone(&accepted),
            );
            thread::spawn(move || {
                let ip = format!("198.51.100.{}", s + 1);
                for n in (s..LEADS).step_by(SUBMITTERS) {
                    let email = format!("outage{n:04}@example.com");
                    let body = email_envelope(&form, &format!("outage-{n:04}"), &email);
                    let response = worker.request(
                        "POST",
                        "/v1/submit",
                        &[
                            ("Content-Type", "application/json"),
                            ("Origin", ALLOWED_ORIGIN),
                            ("CF-Connecting-IP", &ip),
                        ],
                        &body.to_string(),
                    );
                    assert_eq!(response.status, 202, "{}", response.body);
                    let lead_id = response.json()["lead_id"]
                        .as_str()
                        .expect("lead id")
                        .to_owned();
                    accepted.lock().expect("accepted").insert(email, lead_id);
                }
            })
        })
        .collect();
    for submitter in submitters {
        submitter.join().expect("submitter");
    }
    let accepted = accepted.lock().expect("accepted").clone();
    assert_eq!(accepted.len(), LEADS);
    let submitted_in = started.elapsed();
    eprintln!("[outage] {LEADS} leads accepted by {SUBMITTERS} submitters in {submitted_in:?}");

    // Down for the whole (compressed) week: wait until no delivery is
    // still being retried: each is `dead`, or `pending` if its queue
    // message was lost (the sweep's case).
    let week = Duration::from_millis((617_705.0 * SCALE * 1000.0) as u64);
    let deadline = Instant::now() + week + Duration::from_secs(240);
    let down = loop {
        let now = counts(&worker);
        let retrying = DESTINATIONS
            .iter()
            .map(|d| LEADS as u64 - count(&now, d, "dead") - count(&now, d, "pending"))
            .sum::<u64>();
        if retrying == 0 {
            break now;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries still retrying after the compressed week: {now:?}"
        );
        thread::sleep(Duration::from_secs(2));
    };
    let week_over = started.elapsed();
    let attempts = worker.d1("SELECT COUNT(*) AS n FROM delivery_attempts");
    eprintln!(
        "[outage] the week is over after {week_over:?}: {down:?}; attempts logged: {attempts}"
    );
    assert!(
        destination.received_at("/hooks/outage").is_empty(),
        "nothing reached the destination while it was down"
    );

    // Back up: the sweep probes, revives and re-enqueues until all arrive.
    destination.set_mode(Mode::Ok);
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut sweeps = 0;
    let up = loop {
        let swept = worker.run_scheduled("17 * * * *");
        assert_eq!(swept.status, 200, "{}", swept.body);
        sweeps += 1;
        thread::sleep(Duration::from_secs(3));
        let now = counts(&worker);
        if DESTINATIONS
            .iter()
            .all(|d| count(&now, d, "delivered") == LEADS as u64)
        {
            break now;
        }
        assert!(
            Instant::now() < deadline,
            "not every lead delivered after recovery: {now:?}"
        );
    };
    let delivered_at = started.elapsed();
    // Let any stray duplicate show up before counting.
    thread::sleep(Duration::from_secs(5));

    // Counted at the destinations, by lead id: each once, none missing.
    let received = destination.received();
    let mut webhooks: BTreeMap<String, usize> = BTreeMap::new();
    let mut hubspot: BTreeMap<String, usize> = BTreeMap::new();
    for request in received.iter().filter(|r| r.answered == Some(200)) {
        if request.path.starts_with("/hooks/outage") {
            *webhooks
                .entry(request.headers["webhook-id"].clone())
                .or_default() += 1;
        } else if request.path.starts_with("/hubspot") {
            let body: Value = serde_json::from_str(&request.body).expect("HubSpot JSON");
            let email = body["fields"]
                .as_array()
                .and_then(|fields| fields.iter().find(|f| f["name"] == "email"))
                .and_then(|f| f["value"].as_str())
                .expect("the lead's email in the HubSpot payload")
                .to_owned();
            let lead_id = accepted
                .get(&email)
                .unwrap_or_else(|| panic!("HubSpot got a lead nobody submitted: {email}"));
            *hubspot.entry(lead_id.clone()).or_default() += 1;
        }
    }
    let lead_ids: BTreeSet<String> = accepted.values().cloned().collect();
    for (name, per_lead) in [("webhook", &webhooks), ("HubSpot", &hubspot)] {
        let got: BTreeSet<String> = per_lead.keys().cloned().collect();
        let lost: Vec<_> = lead_ids.difference(&got).collect();
        assert!(
            lost.is_empty(),
            "{name}: {} leads lost: {lost:?}",
            lost.len()
        );
        let twice: Vec<_> = per_lead.iter().filter(|(_, n)| **n != 1).collect();
        assert!(
            twice.is_empty(),
            "{name}: delivered more than once: {twice:?}"
        );
        assert_eq!(got, lead_ids, "{name}: only the accepted leads");
    }
    eprintln!(
        "[outage] {LEADS} leads x {} destinations delivered exactly once after {sweeps} sweeps; \
         submitted in {submitted_in:?}, week over at {week_over:?}, all delivered at {delivered_at:?}; \
         {} requests reached the destination; final counts {up:?}",
        DESTINATIONS.len(),
        received.len()
    );
}
