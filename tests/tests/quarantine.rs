//! The spam quarantine (issue 19) through the real Worker (`wrangler dev`:
//! workerd, local D1, Queues, Durable Objects) and, for the widget, headless
//! Chromium: each soft signal holds a submission (202 with the receipt shape
//! of an accepted one, stored sealed with its signal list, nothing
//! delivered); hard failures are still refused; release makes a lead that is
//! delivered exactly once with its original receive time and consent
//! evidence; discard and the cron's TTL purge leave only an audit stub; a
//! flood past the hourly caps gets 429 and D1 holds at most the cap; a form
//! filled by script faster than the minimum is found in quarantine, not lost.
//!
//! Forms: `tests/forms/quarantine.toml` (default rules, 60 s minimum fill,
//! caps 5 per IP and 30 per form an hour) and `quarantine-guarded.toml`
//! (Turnstile, whose siteverify the test Worker cannot reach).

use std::time::Duration;

use leadform_shared::FormSpec;
use leadform_tests::browser::{self, in_shadow, wait_mounted, ChromeDriver, Server, Session, WAIT};
use leadform_tests::destination::Destination;
use leadform_tests::envelope::{envelope, test_form};
use leadform_tests::wrangler::{
    exclusive, HttpResponse, Worker, WorkerOptions, ALLOWED_ORIGIN, QUARANTINE_TOKEN,
    WEBHOOK_SECRET,
};
use serde_json::{json, Map, Value};

const FORM: &str = "quarantine";

/// A submission a person plausibly typed, slower than the form's 60 s minimum.
fn clean(form: &FormSpec, submission_id: &str, email: &str) -> Value {
    let mut fields = Map::new();
    fields.insert("email".into(), json!(email));
    fields.insert("first_name".into(), json!("Ann"));
    fields.insert("company".into(), json!("Acme Ltd"));
    fields.insert("message".into(), json!("Please call me about pricing."));
    let mut body = envelope(form, submission_id, fields);
    body["timings"]["time_to_fill_ms"] = json!(90_000);
    body
}

fn submit(worker: &Worker, ip: &str, body: &Value) -> HttpResponse {
    worker.request(
        "POST",
        "/v1/submit",
        &[
            ("Content-Type", "application/json"),
            ("Origin", ALLOWED_ORIGIN),
            ("CF-Connecting-IP", ip),
        ],
        &body.to_string(),
    )
}

/// A request with the scoped reviewer token.
fn reviewer(worker: &Worker, method: &str, path: &str) -> HttpResponse {
    let auth = format!("Bearer {QUARANTINE_TOKEN}");
    worker.request(method, path, &[("Authorization", &auth)], "")
}

fn receipt_id(response: &HttpResponse) -> String {
    assert_eq!(response.status, 202, "{}", response.body);
    response.json()["lead_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no lead_id: {}", response.body))
        .to_owned()
}

/// What a visitor (or a bot) can see of an answer: the status, the headers
/// a page reads, and each body key with its JSON type (and, for arrays,
/// their length).
fn shape(response: &HttpResponse) -> Vec<String> {
    let mut seen = vec![
        format!("status {}", response.status),
        format!("content-type {:?}", response.header("content-type")),
        format!("cors {:?}", response.header("access-control-allow-origin")),
    ];
    let body = response.json();
    for (key, value) in body.as_object().expect("a JSON object") {
        let kind = match value {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => format!("bool {b}"),
            Value::Number(_) => "number".to_owned(),
            Value::String(s) => format!("string of {} chars", s.len()),
            Value::Array(a) => format!("array of {}", a.len()),
            Value::Object(_) => "object".to_owned(),
        };
        seen.push(format!("{key}: {kind}"));
    }
    seen
}

fn item(worker: &Worker, id: &str) -> Value {
    let response = worker.owner("GET", &format!("/v1/quarantine/{id}"));
    assert_eq!(response.status, 200, "{id}: {}", response.body);
    response.json()
}

fn listing(worker: &Worker) -> Vec<Value> {
    let response = worker.owner("GET", &format!("/v1/quarantine?form={FORM}&limit=500"));
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()["quarantined"]
        .as_array()
        .unwrap_or_else(|| panic!("no quarantined array: {}", response.body))
        .clone()
}

fn error_code(response: &HttpResponse) -> String {
    response.json()["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {} {}", response.status, response.body))
        .to_owned()
}

/// The lead ids the destination's webhook deliveries carried.
fn delivered_ids(destination: &Destination) -> Vec<String> {
    destination
        .received_at("/hooks/quarantine")
        .iter()
        .filter(|r| r.answered == Some(200))
        .map(|r| r.headers["webhook-id"].clone())
        .collect()
}

#[test]
fn each_soft_signal_quarantines_with_an_accepted_receipt_and_nothing_is_delivered() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        ..Default::default()
    });
    let form = test_form(FORM);

    let accepted = submit(
        &worker,
        "198.51.100.1",
        &clean(&form, "q-accepted-0001", "ann@example.com"),
    );
    let accepted_id = receipt_id(&accepted);
    let accepted_shape = shape(&accepted);

    // (signal, what the submission does)
    type Change = fn(&mut Value);
    let cases: &[(&str, Change)] = &[
        ("honeypot", |b| {
            b["honeypot"] = json!("https://spam.example")
        }),
        ("too_fast", |b| b["timings"]["time_to_fill_ms"] = json!(400)),
        ("url_in_name", |b| {
            b["fields"]["first_name"] = json!("Cheap pills www.pills.example")
        }),
        ("disposable_email", |b| {
            b["fields"]["email"] = json!("ann@mailinator.com")
        }),
        ("same_text", |b| {
            for field in ["first_name", "company", "message"] {
                b["fields"][field] = json!("asdf");
            }
        }),
    ];
    let mut held = Vec::new();
    for (i, (signal, change)) in cases.iter().enumerate() {
        let mut body = clean(
            &form,
            &format!("q-signal-000{i}"),
            &format!("s{i}@example.com"),
        );
        change(&mut body);
        let response = submit(&worker, &format!("198.51.100.{}", 10 + i), &body);
        assert_eq!(
            shape(&response),
            accepted_shape,
            "{signal}: {}",
            response.body
        );
        let id = receipt_id(&response);
        assert!(id.starts_with("lead_"), "{signal}: {id}");
        let stored = item(&worker, &id);
        assert_eq!(stored["signals"], json!([signal]), "{signal}: {stored}");
        assert_eq!(stored["status"], "held", "{stored}");
        assert_eq!(
            stored["seal_verified"], true,
            "sealed like a lead: {stored}"
        );
        assert_eq!(
            stored["received_at"],
            response.json()["received_at"],
            "timestamped: {stored}"
        );
        assert_eq!(
            stored["record"]["evidence"]["received_at"],
            stored["received_at"]
        );
        assert_eq!(
            worker.owner("GET", &format!("/v1/leads/{id}")).status,
            404,
            "{signal}: not a lead"
        );
        // A retry of the same submission gets the same receipt, still held once.
        assert_eq!(receipt_id(&submit(&worker, "198.51.100.99", &body)), id);
        held.push(id);
    }

    // Turnstile's siteverify unreachable (the test Worker's URL is a closed port).
    let guarded = test_form("quarantine-guarded");
    let mut fields = Map::new();
    fields.insert("email".into(), json!("tess@example.com"));
    let mut body = envelope(&guarded, "q-turnstile-01", fields);
    body["turnstile_token"] = json!("XXXX.DUMMY.TOKEN.XXXX");
    let response = submit(&worker, "198.51.100.20", &body);
    assert_eq!(response.status, 202, "{}", response.body);
    let turnstile_id = receipt_id(&response);
    assert_eq!(
        item(&worker, &turnstile_id)["signals"],
        json!(["turnstile_unavailable"])
    );

    // Over the per-IP rate (3 a minute): 7 clean submissions from one IP
    // span at most two minute windows, so at least one is over the rate.
    let mut rate_ids = Vec::new();
    for i in 0..7 {
        let body = clean(
            &form,
            &format!("q-rate-000{i}"),
            &format!("r{i}@example.com"),
        );
        rate_ids.push(receipt_id(&submit(&worker, "198.51.100.30", &body)));
    }
    let limited: Vec<&String> = rate_ids
        .iter()
        .filter(|id| worker.owner("GET", &format!("/v1/leads/{id}")).status == 404)
        .collect();
    assert!(
        !limited.is_empty(),
        "none of {rate_ids:?} was over the rate"
    );
    for id in &limited {
        assert_eq!(item(&worker, id)["signals"], json!(["rate_limited"]));
    }

    // Hard failures are still refused with their codes, whatever else fired.
    let hard: Vec<(&str, HttpResponse, u16, &str)> = vec![
        (
            "invalid field + honeypot",
            submit(&worker, "198.51.100.40", &{
                let mut b = clean(&form, "q-hard-0001", "not-an-email");
                b["honeypot"] = json!("x");
                b
            }),
            422,
            "submission.invalid",
        ),
        (
            "malformed envelope",
            worker.request(
                "POST",
                "/v1/submit",
                &[
                    ("Content-Type", "application/json"),
                    ("Origin", ALLOWED_ORIGIN),
                ],
                "{oops",
            ),
            400,
            "envelope.malformed",
        ),
        (
            "disallowed origin + too fast",
            worker.request(
                "POST",
                "/v1/submit",
                &[
                    ("Content-Type", "application/json"),
                    ("Origin", "https://evil.example"),
                ],
                &{
                    let mut b = clean(&form, "q-hard-0002", "o@example.com");
                    b["timings"]["time_to_fill_ms"] = json!(1);
                    b
                }
                .to_string(),
            ),
            403,
            "origin.not_allowed",
        ),
        (
            "Turnstile token missing",
            submit(&worker, "198.51.100.41", &{
                let mut fields = Map::new();
                fields.insert("email".into(), json!("t2@example.com"));
                envelope(&guarded, "q-hard-0003", fields)
            }),
            400,
            "spam.turnstile_missing",
        ),
    ];
    for (what, response, status, code) in hard {
        assert_eq!(response.status, status, "{what}: {}", response.body);
        assert_eq!(error_code(&response), code, "{what}");
    }
    let listed: Vec<String> = listing(&worker)
        .iter()
        .map(|q| q["quarantine_id"].as_str().expect("id").to_owned())
        .collect();
    let mut expected: Vec<String> = held
        .iter()
        .chain(limited.iter().copied())
        .cloned()
        .collect();
    expected.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "refused submissions are not held");

    // Accepted leads are delivered; held ones never.
    let mut leads: Vec<String> = worker.lead_ids(FORM);
    leads.sort();
    let mut want: Vec<String> = std::iter::once(accepted_id.clone())
        .chain(rate_ids.iter().filter(|id| !limited.contains(id)).cloned())
        .collect();
    want.sort();
    assert_eq!(leads, want);
    destination.wait_for(
        "the accepted leads' webhooks",
        Duration::from_secs(60),
        |_| delivered_ids(&destination).len() >= want.len(),
    );
    std::thread::sleep(Duration::from_secs(3));
    let mut delivered = delivered_ids(&destination);
    delivered.sort();
    assert_eq!(delivered, want, "only accepted leads are delivered");

    // The health report counts them per signal.
    let health = worker
        .owner("GET", &format!("/v1/forms/{FORM}/health"))
        .json();
    let by_signal = &health["quarantined"]["by_signal"];
    for signal in [
        "honeypot",
        "too_fast",
        "url_in_name",
        "disposable_email",
        "same_text",
    ] {
        assert_eq!(by_signal[signal]["held"], 1, "{signal}: {health}");
    }
    assert_eq!(by_signal["rate_limited"]["held"], limited.len(), "{health}");
    assert_eq!(
        by_signal["turnstile_unavailable"]["total"], 0,
        "another form"
    );
}

#[test]
fn release_delivers_once_with_the_original_evidence_and_discard_leaves_a_stub() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        ..Default::default()
    });
    let form = test_form(FORM);
    let flagged = |id: &str, email: &str| {
        let mut body = clean(&form, id, email);
        body["honeypot"] = json!("autofilled by an extension");
        body
    };
    let receipt = submit(
        &worker,
        "192.0.2.10",
        &flagged("q-release-01", "rae@example.com"),
    );
    let id = receipt_id(&receipt);
    let receipt = receipt.json();
    let held = item(&worker, &id);
    assert_eq!(held["signals"], json!(["honeypot"]));

    // The scoped token opens the quarantine endpoints and nothing else.
    let listed = reviewer(&worker, "GET", &format!("/v1/quarantine?form={FORM}"));
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.json()["quarantined"][0]["quarantine_id"],
        id.as_str()
    );
    assert_eq!(
        listed.json()["quarantined"][0]["signals"],
        json!(["honeypot"])
    );
    let later = reviewer(
        &worker,
        "GET",
        &format!("/v1/quarantine?form={FORM}&since=2999-01-01T00:00:00Z"),
    );
    assert_eq!(later.json()["quarantined"], json!([]), "since filters");
    let leads = reviewer(&worker, "GET", &format!("/v1/leads?form={FORM}"));
    assert_eq!(leads.status, 403, "{}", leads.body);
    assert_eq!(error_code(&leads), "auth.invalid");
    let anonymous = worker.request("GET", &format!("/v1/quarantine?form={FORM}"), &[], "");
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        error_code(&reviewer(&worker, "GET", "/v1/quarantine")),
        "query.invalid"
    );

    // Release (twice: a double click): one lead, delivered once.
    for _ in 0..2 {
        let released = reviewer(&worker, "POST", &format!("/v1/quarantine/{id}/release"));
        assert_eq!(released.status, 200, "{}", released.body);
        assert_eq!(released.json()["lead_id"], id.as_str());
    }
    let lead = worker.wait_owner_json(
        &format!("/v1/leads/{id}"),
        "the released lead delivered",
        Duration::from_secs(60),
        |l| {
            l["deliveries"]
                .as_array()
                .is_some_and(|d| !d.is_empty() && d.iter().all(|x| x["status"] == "delivered"))
        },
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        delivered_ids(&destination),
        vec![id.clone()],
        "exactly once"
    );
    destination.received_at("/hooks/quarantine")[0].assert_signed_webhook(WEBHOOK_SECRET, &id);
    // The original evidence: the very record held (receive time, IP, consent).
    assert_eq!(lead["record"], held["record"], "{lead}");
    assert_eq!(lead["received_at"], receipt["received_at"]);
    assert_eq!(lead["seal_verified"], true);
    assert_eq!(lead["record"]["evidence"]["ip"], "192.0.2.10");
    let certificate_id = receipt["certificate_ids"][0]
        .as_str()
        .expect("a certificate");
    let certificate = worker
        .owner("GET", &format!("/v1/certificates/{certificate_id}"))
        .json();
    assert_eq!(certificate["seal"]["verified"], true, "{certificate}");
    assert_eq!(certificate["lead_id"], id.as_str());
    assert_eq!(
        certificate["certificate"]["consent"]["disclosure_text"],
        form.consents[0].text.as_str()
    );
    assert_eq!(
        certificate["certificate"]["evidence"]["received_at"],
        receipt["received_at"]
    );
    let after = item(&worker, &id);
    assert_eq!(after["status"], "released", "{after}");
    assert_eq!(after["lead_id"], id.as_str());
    assert_eq!(after["record"], Value::Null, "the lead holds it now");

    // Discard: only the stub is left, and it cannot come back.
    let other = receipt_id(&submit(
        &worker,
        "192.0.2.11",
        &flagged("q-discard-01", "dan@example.com"),
    ));
    let discarded = reviewer(&worker, "DELETE", &format!("/v1/quarantine/{other}"));
    assert_eq!(discarded.status, 200, "{}", discarded.body);
    let stub = item(&worker, &other);
    assert_eq!(stub["status"], "discarded", "{stub}");
    assert_eq!(stub["signals"], json!(["honeypot"]));
    assert!(stub["closed_at"].is_string() && stub["received_at"].is_string());
    for key in ["record", "values", "lead_id"] {
        assert_eq!(stub[key], Value::Null, "{key}: {stub}");
    }
    let refused = [
        reviewer(&worker, "POST", &format!("/v1/quarantine/{other}/release")),
        reviewer(&worker, "DELETE", &format!("/v1/quarantine/{other}")),
    ];
    for response in refused {
        assert_eq!(response.status, 409, "{}", response.body);
        assert_eq!(error_code(&response), "quarantine.closed");
    }
    assert_eq!(
        worker.owner("GET", &format!("/v1/leads/{other}")).status,
        404
    );
    let unknown = reviewer(&worker, "POST", "/v1/quarantine/lead_nope/release");
    assert_eq!(unknown.status, 404);
    assert_eq!(error_code(&unknown), "quarantine.not_found");

    // Erasure by email reaches held submissions too.
    let erin = receipt_id(&submit(
        &worker,
        "192.0.2.12",
        &flagged("q-erase-01", "erin@example.com"),
    ));
    let erased = worker.erase_by_email("erin@example.com").json();
    assert_eq!(erased["erased"], json!([erin]), "{erased}");
    let stub = item(&worker, &erin);
    assert_eq!(stub["status"], "erased");
    assert_eq!(stub["record"], Value::Null);

    let health = worker
        .owner("GET", &format!("/v1/forms/{FORM}/health"))
        .json();
    let honeypot = &health["quarantined"]["by_signal"]["honeypot"];
    assert_eq!(
        (
            honeypot["released"].clone(),
            honeypot["discarded"].clone(),
            honeypot["erased"].clone()
        ),
        (json!(1), json!(1), json!(1)),
        "{health}"
    );
}

#[test]
fn the_cron_purges_expired_items_to_stubs_and_a_flood_stops_at_the_caps() {
    let _guard = exclusive();
    let worker = Worker::start(WorkerOptions::default());
    let form = test_form(FORM);
    let flagged = |id: &str| {
        let mut body = clean(&form, id, &format!("{id}@example.com"));
        body["timings"]["time_to_fill_ms"] = json!(10);
        body
    };
    let old = receipt_id(&submit(&worker, "203.0.113.5", &flagged("q-old-0001")));
    let young = receipt_id(&submit(&worker, "203.0.113.5", &flagged("q-young-001")));
    assert!(item(&worker, &old)["expires_at"].as_str().is_some());
    // Age one past its retention, then run the cron handler.
    worker.d1(&format!(
        "UPDATE quarantine SET expires_at_ms = 1 WHERE quarantine_id = '{old}'"
    ));
    let ran = worker.run_scheduled("17 * * * *");
    assert_eq!(ran.status, 200, "{}", ran.body);
    let expired = worker.wait_owner_json(
        &format!("/v1/quarantine/{old}"),
        "the aged item expired",
        Duration::from_secs(10),
        |q| q["status"] == "expired",
    );
    assert_eq!(expired["record"], Value::Null, "{expired}");
    assert_eq!(
        expired["signals"],
        json!(["too_fast"]),
        "the stub keeps its signals"
    );
    assert!(expired["closed_at"].is_string());
    assert_eq!(item(&worker, &young)["status"], "held", "not yet due");

    // A flood from one IP: 5 an hour are held, the rest get 429.
    let mut statuses = Vec::new();
    for i in 0..12 {
        let response = submit(
            &worker,
            "203.0.113.66",
            &flagged(&format!("q-flood-{i:03}")),
        );
        if response.status == 429 {
            assert_eq!(error_code(&response), "rate_limit.exceeded");
            assert!(response.header("retry-after").is_some());
        }
        statuses.push(response.status);
    }
    assert_eq!(statuses, [vec![202; 5], vec![429; 7]].concat());
    // From many IPs: the form's cap (30 an hour, 7 used so far) holds.
    let mut held = 0;
    for ip in 0..8 {
        for i in 0..4 {
            let body = flagged(&format!("q-many-{ip}-{i}"));
            let response = submit(&worker, &format!("203.0.113.{}", 100 + ip), &body);
            match response.status {
                202 => held += 1,
                429 => assert_eq!(error_code(&response), "rate_limit.exceeded"),
                other => panic!("{other}: {}", response.body),
            }
        }
    }
    assert_eq!(held, 30 - 7);
    assert_eq!(listing(&worker).len(), 30, "D1 holds at most the cap");
    assert!(worker.lead_ids(FORM).is_empty());
}

/// An owner page holding only the script tag for the quarantine form.
fn owner_page(worker: &Worker) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Acme</title></head>\
         <body><h1>Acme</h1><script src=\"http://127.0.0.1:{}/v1/leadform.js\" data-form=\"{FORM}\" async></script></body></html>",
        worker.port
    )
}

#[test]
fn a_form_filled_by_script_faster_than_the_minimum_is_found_in_quarantine() {
    let _browser = browser::exclusive();
    let _worker_lock = exclusive();
    let destination = Destination::start();
    let assets = browser::widget_dist()
        .parent()
        .expect("dist/assets")
        .to_path_buf();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        assets_dir: Some(assets),
        ..Default::default()
    });
    let html = owner_page(&worker);
    let _page = Server::start_on(8788, move |_req: &browser::Request| {
        browser::Response::new(200, "text/html; charset=utf-8", html.clone())
    });
    let driver = ChromeDriver::start();
    let session = Session::new(&driver);
    session.goto("http://127.0.0.1:8788/");
    wait_mounted(&session);

    // Every field set by script at once (as autofill or a bot would), the
    // consent ticked, submit pressed: well under the form's 60 s minimum.
    let filled = in_shadow(
        &session,
        "const set = (id, value) => { const el = root.getElementById('lf1-' + id); \
           if (!el) return false; el.focus(); el.value = value; \
           el.dispatchEvent(new Event('input', { bubbles: true })); \
           el.dispatchEvent(new Event('change', { bubbles: true })); el.blur(); return true; }; \
         const ok = [['email', 'sam@example.org'], ['first_name', 'Sam'], ['company', 'Acme Ltd'], \
           ['message', 'Call me']].every(([id, v]) => set(id, v)); \
         root.querySelectorAll('.lf-consents input[type=checkbox]').forEach(c => { if (!c.checked) c.click(); }); \
         root.querySelector('button[type=submit]').click(); return ok;",
    );
    assert_eq!(filled, json!(true), "every field found by its lf1- id");
    browser::wait_for("the success message", WAIT, || {
        (in_shadow(
            &session,
            "const s = root.querySelector('.lf-success'); return !!(s && !s.hidden);",
        ) == json!(true))
        .then_some(())
    });

    // Not lost: held with its signal and values; not a lead, not delivered.
    let held = listing(&worker);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["signals"], json!(["too_fast"]), "{:?}", held[0]);
    assert_eq!(held[0]["values"]["email"], "sam@example.org");
    assert_eq!(held[0]["values"]["first_name"], "Sam");
    assert!(worker.lead_ids(FORM).is_empty());
    let id = held[0]["quarantine_id"].as_str().expect("id").to_owned();
    let released = worker.owner("POST", &format!("/v1/quarantine/{id}/release"));
    assert_eq!(released.status, 200, "{}", released.body);
    destination.wait_for(
        "the released lead's webhook",
        Duration::from_secs(60),
        |r| {
            r.iter()
                .any(|x| x.path == "/hooks/quarantine" && x.answered == Some(200))
        },
    );
    assert_eq!(delivered_ids(&destination), vec![id]);
}
