//! Scoring, grading and the closed loop through real workerd (local D1 and
//! Queues) with `tests/forms/scoring.toml`: each lead of a table of answers
//! is stored with exactly the score, tier, mark, grade and fired rules the
//! rules give, shown by `GET /v1/leads/{id}`, the listing and the CSV export,
//! sent in the webhook's `data.qualification` and to HubSpot under the
//! `field_map`'s properties; `POST /v1/leads/{id}/status` from the owner and
//! from a signed CRM request keeps the history, the latest status and the
//! first contact, and refuses unknown statuses, missing values, replays,
//! stale or wrong signatures, another lead's body and erased leads with
//! their codes. One `wrangler dev` for the whole file.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use leadform_edge::webhook;
use leadform_tests::destination::Destination;
use leadform_tests::envelope::{envelope, test_form};
use leadform_tests::wrangler::{
    exclusive, Worker, WorkerOptions, ADMIN_TOKEN, ALLOWED_ORIGIN, PLACEHOLDER_DESTINATION,
    WEBHOOK_SECRET,
};
use serde_json::{json, Map, Value};

/// One submission and what the rules must make of it.
struct Case {
    name: &'static str,
    answers: &'static [(&'static str, &'static str)],
    gclid: bool,
    score: i64,
    tier: &'static str,
    mark: Option<&'static str>,
    grade: &'static str,
    fired: &'static [&'static str],
    graded: &'static [&'static str],
}

/// Every envelope ticks the `news` consent (+5).
const CASES: &[Case] = &[
    Case {
        name: "email only",
        answers: &[],
        gclid: false,
        score: 5,
        tier: "cold",
        mark: None,
        grade: "D",
        fired: &["newsletter_optin"],
        graded: &[],
    },
    Case {
        name: "roofing, big budget, a company in the area, from paid search",
        answers: &[
            ("service", "roofing"),
            ("budget", "25000"),
            ("company", "Acme Roofing"),
            ("zip", "98101"),
        ],
        gclid: true,
        score: 90,
        tier: "hot",
        mark: Some("sql"),
        grade: "B-",
        fired: &[
            "roofing",
            "big_budget",
            "business",
            "paid_search",
            "newsletter_optin",
        ],
        graded: &["in_area", "company_given"],
    },
    Case {
        name: "a small budget takes points away",
        answers: &[("service", "plumbing"), ("budget", "300"), ("zip", "94103")],
        gclid: true,
        score: 5,
        tier: "cold",
        mark: None,
        grade: "D",
        fired: &["small_budget", "paid_search", "newsletter_optin"],
        graded: &[],
    },
    Case {
        name: "the fit group is capped at 50",
        answers: &[("service", "roofing"), ("budget", "6000")],
        gclid: false,
        score: 55,
        tier: "warm",
        mark: Some("mql"),
        grade: "D",
        fired: &["roofing", "big_budget", "newsletter_optin"],
        graded: &[],
    },
];

fn submit(worker: &Worker, body: &Value) -> String {
    let response = worker.request(
        "POST",
        "/v1/submit",
        &[
            ("Content-Type", "application/json"),
            ("Origin", ALLOWED_ORIGIN),
            ("CF-Connecting-IP", "203.0.113.120"),
        ],
        &body.to_string(),
    );
    assert_eq!(response.status, 202, "{}", response.body);
    response.json()["lead_id"]
        .as_str()
        .expect("lead id")
        .to_owned()
}

fn rule_ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The qualification's parts as `(score, tier, mark, grade, fired, graded)`.
fn parts(
    q: &Value,
) -> (
    i64,
    String,
    Option<String>,
    String,
    Vec<String>,
    Vec<String>,
) {
    (
        q["score"].as_i64().unwrap_or(i64::MIN),
        q["tier"].as_str().unwrap_or("").to_owned(),
        q["mark"].as_str().map(str::to_owned),
        q["grade"].as_str().unwrap_or("").to_owned(),
        rule_ids(&q["fired"], "rule"),
        rule_ids(&q["graded"], "criterion"),
    )
}

fn expected(
    case: &Case,
) -> (
    i64,
    String,
    Option<String>,
    String,
    Vec<String>,
    Vec<String>,
) {
    (
        case.score,
        case.tier.to_owned(),
        case.mark.map(str::to_owned),
        case.grade.to_owned(),
        case.fired.iter().map(|s| (*s).to_owned()).collect(),
        case.graded.iter().map(|s| (*s).to_owned()).collect(),
    )
}

fn owner_status(worker: &Worker, lead: &str, body: &Value) -> (u16, Value) {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let response = worker.request(
        "POST",
        &format!("/v1/leads/{lead}/status"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        &body.to_string(),
    );
    (response.status, response.json())
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A CRM's request: `body` signed with `secret` as message `id` at `at_s`.
fn crm_status(
    worker: &Worker,
    lead: &str,
    body: &Value,
    secret: &str,
    id: &str,
    at_s: u64,
) -> (u16, Value) {
    let key = webhook::decode_secret(secret).expect("test secret");
    let text = body.to_string();
    let signature = webhook::sign(&key, id, at_s, &text);
    let timestamp = at_s.to_string();
    let response = worker.request(
        "POST",
        &format!("/v1/leads/{lead}/status"),
        &[
            ("Content-Type", "application/json"),
            ("webhook-id", id),
            ("webhook-timestamp", &timestamp),
            ("webhook-signature", &signature),
        ],
        &text,
    );
    (response.status, response.json())
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[test]
fn leads_are_scored_graded_delivered_and_closed_loop_updates_kept() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        extra_vars: vec![("SLACK_URL", format!("{PLACEHOLDER_DESTINATION}slack/hot"))],
        ..Default::default()
    });
    let form = test_form("scoring");
    assert!(
        !worker
            .request("GET", "/v1/forms/scoring", &[], "")
            .body
            .contains("big_budget"),
        "the served spec shows scoring rules"
    );

    // Stored exactly as the rules say, and shown by GET /v1/leads/{id}.
    let mut leads = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let mut fields = Map::new();
        fields.insert("email".into(), json!(format!("scored{i}@example.com")));
        for (id, value) in case.answers {
            fields.insert((*id).into(), json!(value));
        }
        let mut body = envelope(&form, &format!("sub-scoring-{i:04}-abcdefgh"), fields);
        if case.gclid {
            body["attribution"]["current"]["gclid"] = json!("Cj0KCQiA-test");
        }
        let lead = submit(&worker, &body);
        let got = worker.owner("GET", &format!("/v1/leads/{lead}")).json();
        assert_eq!(
            parts(&got["qualification"]),
            expected(case),
            "{}: {}",
            case.name,
            got["qualification"]
        );
        assert_eq!(got["closed_loop"]["status"], Value::Null, "{}", case.name);
        leads.push(lead);
    }

    // The hot tier's channel is told of each hot lead once, and of no
    // other lead (the form has no routes: a tier-wide notification).
    let hot: Vec<&String> = CASES
        .iter()
        .zip(&leads)
        .filter(|(case, _)| case.tier == "hot")
        .map(|(_, lead)| lead)
        .collect();
    assert!(!hot.is_empty(), "the table has hot leads");
    let told = destination.wait_for(
        "a Slack message per hot lead",
        Duration::from_secs(60),
        |r| r.iter().filter(|r| r.path == "/slack/hot").count() >= hot.len(),
    );
    let slack: Vec<&str> = told
        .iter()
        .filter(|r| r.path == "/slack/hot")
        .map(|r| r.body.as_str())
        .collect();
    for (case, lead) in CASES.iter().zip(&leads) {
        let times = slack.iter().filter(|b| b.contains(lead.as_str())).count();
        let want = usize::from(case.tier == "hot");
        assert_eq!(times, want, "{}: {lead} told {times} times", case.name);
    }
    assert!(
        slack.iter().all(|b| b.contains("New lead [hot]")),
        "{slack:?}"
    );

    // The webhook and HubSpot carry it.
    let received = destination.wait_for(
        "a webhook and a HubSpot submission per lead",
        Duration::from_secs(60),
        |r| {
            r.iter()
                .filter(|r| r.path.starts_with("/hooks/scoring"))
                .count()
                >= CASES.len()
                && r.iter().filter(|r| r.path.starts_with("/hubspot")).count() >= CASES.len()
        },
    );
    for (i, (case, lead)) in CASES.iter().zip(&leads).enumerate() {
        let hook = received
            .iter()
            .filter(|r| r.path.starts_with("/hooks/scoring"))
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap_or(Value::Null))
            .find(|b| b["data"]["lead_id"] == lead.as_str())
            .unwrap_or_else(|| panic!("no webhook for {lead}"));
        assert_eq!(
            parts(&hook["data"]["qualification"]),
            expected(case),
            "webhook of {}",
            case.name
        );
        let email = format!("scored{i}@example.com");
        let hubspot = received
            .iter()
            .filter(|r| r.path.starts_with("/hubspot"))
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap_or(Value::Null))
            .find(|b| {
                b["fields"].as_array().is_some_and(|f| {
                    f.iter()
                        .any(|f| f["name"] == "email" && f["value"] == email.as_str())
                })
            })
            .unwrap_or_else(|| panic!("no HubSpot submission for {lead}"));
        let property = |name: &str| {
            hubspot["fields"]
                .as_array()
                .and_then(|f| f.iter().find(|f| f["name"] == name))
                .map(|f| f["value"].as_str().unwrap_or("").to_owned())
        };
        assert_eq!(property("lead_score"), Some(case.score.to_string()));
        assert_eq!(property("lead_tier").as_deref(), Some(case.tier));
        assert_eq!(property("lead_grade").as_deref(), Some(case.grade));
        assert_eq!(
            property("lead_score_reasons"),
            Some(case.fired.join(";")),
            "{}",
            case.name
        );
        // Exactly the mapped keys go (`mark` is not mapped), in this order.
        let sent: Vec<&str> = hubspot["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|f| f["name"].as_str()).collect())
            .unwrap_or_default();
        let qualification: Vec<&str> = sent
            .into_iter()
            .filter(|n| n.starts_with("lead_"))
            .collect();
        assert_eq!(
            qualification,
            [
                "lead_score",
                "lead_tier",
                "lead_grade",
                "lead_score_reasons"
            ]
        );
    }

    // The closed loop, from the owner.
    let hot = &leads[1];
    let (status, body) = owner_status(&worker, hot, &json!({ "status": "contacted" }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["closed_loop"]["status"], "contacted");
    let first_contact = body["closed_loop"]["first_contact_at"].clone();
    assert!(first_contact.is_string(), "{body}");
    assert!(
        body["closed_loop"]["time_to_first_contact_ms"].is_u64(),
        "{body}"
    );
    assert_eq!(body["status_history"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["status_history"][0]["source"], "owner");
    for (update, expected_status, expected_code) in [
        (json!({ "status": "hot" }), 422, "status.unknown"),
        (json!({ "status": "won" }), 422, "status.value_required"),
        (
            json!({ "status": "returned" }),
            422,
            "status.reason_required",
        ),
        (
            json!({ "status": "lost", "value": 3 }),
            422,
            "status.value_invalid",
        ),
        (json!({ "state": "won" }), 400, "status.malformed"),
    ] {
        let (status, body) = owner_status(&worker, hot, &update);
        assert_eq!(
            (status, code(&body)),
            (expected_status, expected_code),
            "{update}"
        );
    }
    let unauthenticated = worker.request(
        "POST",
        &format!("/v1/leads/{hot}/status"),
        &[("Content-Type", "application/json")],
        r#"{"status":"won","value":1}"#,
    );
    assert_eq!(unauthenticated.status, 401, "{}", unauthenticated.body);

    // From the CRM, signed; a replay, a stale timestamp, a wrong key and
    // another lead's body are refused.
    let won = json!({ "lead_id": hot, "status": "won", "value": 1200.5, "currency": "USD" });
    let (status, body) = crm_status(&worker, hot, &won, WEBHOOK_SECRET, "msg_won_1", now_s());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["closed_loop"]["status"], "won");
    assert_eq!(body["closed_loop"]["first_contact_at"], first_contact);
    let history = body["status_history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(history.len(), 2, "{body}");
    assert_eq!(
        (
            &history[1]["status"],
            &history[1]["source"],
            &history[1]["value"],
            &history[1]["currency"]
        ),
        (&json!("won"), &json!("crm"), &json!(1200.5), &json!("USD"))
    );
    let at = now_s();
    let (status, body) = crm_status(&worker, hot, &won, WEBHOOK_SECRET, "msg_won_2", at);
    assert_eq!(status, 200, "a new message is applied: {body}");
    let (status, body) = crm_status(&worker, hot, &won, WEBHOOK_SECRET, "msg_won_2", at);
    assert_eq!((status, code(&body)), (409, "status.replayed"), "{body}");
    let (status, body) = crm_status(&worker, hot, &won, WEBHOOK_SECRET, "msg_old", now_s() - 600);
    assert_eq!(
        (status, code(&body)),
        (401, "status.timestamp_out_of_window"),
        "{body}"
    );
    let other_key = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let (status, body) = crm_status(&worker, hot, &won, other_key, "msg_forged", now_s());
    assert_eq!(
        (status, code(&body)),
        (401, "status.signature_invalid"),
        "{body}"
    );
    let (status, body) = crm_status(
        &worker,
        &leads[0],
        &won,
        WEBHOOK_SECRET,
        "msg_moved",
        now_s(),
    );
    assert_eq!(
        (status, code(&body)),
        (422, "status.lead_mismatch"),
        "{body}"
    );

    // The history, the latest status and the aging in the API and the export.
    let got = worker.owner("GET", &format!("/v1/leads/{hot}")).json();
    let statuses: Vec<&str> = got["status_history"]
        .as_array()
        .map(|h| h.iter().filter_map(|e| e["status"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(statuses, ["contacted", "won", "won"]);
    let seqs: Vec<u64> = got["status_history"]
        .as_array()
        .map(|h| h.iter().filter_map(|e| e["seq"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(got["closed_loop"]["status"], "won");
    let listing = worker.owner("GET", "/v1/leads?form=scoring").json();
    let listed = listing["leads"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["lead_id"] == hot.as_str()))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(listed["closed_loop"]["status"], "won", "{listing}");
    assert_eq!(listed["qualification"]["score"], 90);
    let csv = worker
        .owner("GET", "/v1/leads?form=scoring&format=csv")
        .body;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let row: Vec<&str> = lines
        .find(|l| l.starts_with(hot.as_str()))
        .unwrap_or_else(|| panic!("no CSV row for {hot}:\n{csv}"))
        .split(',')
        .collect();
    let cell = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .and_then(|i| row.get(i).copied())
            .unwrap_or_else(|| panic!("no `{name}` column:\n{csv}"))
    };
    assert_eq!(
        (
            cell("score"),
            cell("tier"),
            cell("mark"),
            cell("grade"),
            cell("status")
        ),
        ("90", "hot", "sql", "B-", "won")
    );
    assert_eq!(
        cell("fired"),
        "roofing;big_budget;business;paid_search;newsletter_optin"
    );
    assert!(!cell("first_contact_at").is_empty() && !cell("age_ms").is_empty());
    assert!(
        cell("time_to_first_contact_ms").parse::<u64>().is_ok(),
        "{csv}"
    );

    // An erased lead takes no status.
    let erased = &leads[0];
    assert_eq!(
        worker
            .owner("DELETE", &format!("/v1/leads/{erased}"))
            .status,
        200
    );
    let (status, body) = owner_status(&worker, erased, &json!({ "status": "contacted" }));
    assert_eq!((status, code(&body)), (409, "status.lead_erased"), "{body}");
    let contacted = json!({ "lead_id": erased, "status": "contacted" });
    let (status, body) = crm_status(
        &worker,
        erased,
        &contacted,
        WEBHOOK_SECRET,
        "msg_erased",
        now_s(),
    );
    assert_eq!((status, code(&body)), (409, "status.lead_erased"), "{body}");
    let (status, body) = owner_status(&worker, "lead_missing", &json!({ "status": "contacted" }));
    assert_eq!((status, code(&body)), (404, "lead.not_found"), "{body}");
}
