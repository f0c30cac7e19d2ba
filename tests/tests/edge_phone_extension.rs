//! Phone numbers with an extension through the running Worker (real workerd,
//! local D1 and Queues) to every place they leave it, with the `callback`
//! test form (`tests/forms/callback.toml`: an office phone whose extension
//! HubSpot maps to `phone_ext`, and a mobile without one).
//!
//! Typed `(415) 555-2671 ext. 123`, the number is stored (and sealed) as
//! `+14155552671;ext=123`; the owner's JSON listing and lead carry
//! `values.phone = "+14155552671"` and `values.phone_extension = "123"`
//! beside that record, the CSV export a `phone_extension` column after
//! `phone`, the signed webhook the same `values`, HubSpot the E.164 number
//! under `phone` and the extension under the mapped `phone_ext`, Salesforce
//! `phone=+14155552671 x123`. An extension of 11 digits or with a letter is a
//! 422 `phone.extension_invalid` with nothing stored.

use std::time::Duration;

use leadform_tests::destination::Destination;
use leadform_tests::envelope::{envelope, test_form};
use leadform_tests::wrangler::{exclusive, Worker, WorkerOptions, ALLOWED_ORIGIN, WEBHOOK_SECRET};
use serde_json::{json, Map, Value};

fn submission(fields: &[(&str, &str)], submission_id: &str) -> String {
    let form = test_form("callback");
    let fields: Map<String, Value> = fields
        .iter()
        .map(|(id, value)| ((*id).to_owned(), json!(value)))
        .collect();
    envelope(&form, submission_id, fields).to_string()
}

fn submit(worker: &Worker, body: &str) -> leadform_tests::http::HttpResponse {
    worker.request(
        "POST",
        "/v1/submit",
        &[
            ("Content-Type", "application/json"),
            ("Origin", ALLOWED_ORIGIN),
            ("CF-Connecting-IP", "198.51.100.23"),
        ],
        body,
    )
}

#[test]
fn an_extension_is_stored_with_the_number_and_travels_apart_in_every_payload_and_export() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        ..Default::default()
    });

    // Refused extensions: typed codes, nothing stored.
    for (typed, submission_id) in [
        ("(415) 555-2671 x12345678901", "callback-bad-long"),
        ("(415) 555-2671 ext 12a", "callback-bad-letter"),
        ("(415) 555-2671 #", "callback-bad-empty"),
    ] {
        let body = submission(
            &[("email", "ann@example.com"), ("phone", typed)],
            submission_id,
        );
        let response = submit(&worker, &body);
        assert_eq!(response.status, 422, "{typed:?}: {}", response.body);
        let error = &response.json()["error"];
        assert_eq!(error["code"], "submission.invalid", "{typed:?}");
        let issues: Vec<(&str, &str)> = error["issues"]
            .as_array()
            .expect("issues")
            .iter()
            .map(|i| {
                (
                    i["field"].as_str().expect("field"),
                    i["code"].as_str().expect("code"),
                )
            })
            .collect();
        assert_eq!(issues, [("phone", "phone.extension_invalid")], "{typed:?}");
    }
    assert!(worker.lead_ids("callback").is_empty());

    let body = submission(
        &[
            ("email", "Ann@Example.com"),
            ("phone", "(415) 555-2671 ext. 123"),
            ("mobile", "07700 900123"),
        ],
        "callback-0001",
    );
    let response = submit(&worker, &body);
    assert_eq!(response.status, 202, "{}", response.body);
    let receipt = response.json();
    let lead_id = receipt["lead_id"].as_str().expect("lead_id").to_owned();
    let received_at = receipt["received_at"].as_str().expect("received_at");

    // Stored and sealed as one text; the export values split it.
    let split = json!({
        "email": "Ann@example.com",
        "mobile": "+447700900123",
        "phone": "+14155552671",
        "phone_extension": "123",
    });
    let lead = worker.owner("GET", &format!("/v1/leads/{lead_id}")).json();
    assert_eq!(lead["seal_verified"], true, "{lead}");
    assert_eq!(
        lead["record"]["values"],
        json!({
            "email": "Ann@example.com",
            "mobile": "+447700900123",
            "phone": "+14155552671;ext=123",
        })
    );
    assert_eq!(lead["values"], split, "{lead}");
    let listing = worker.owner("GET", "/v1/leads?form=callback").json();
    assert_eq!(listing["leads"][0]["lead_id"], lead_id.as_str());
    assert_eq!(listing["leads"][0]["values"], split, "{listing}");

    // CSV: an extension column right after each phone column (`+` defused
    // with `'`). No cell here needs quoting, so a split on `,` reads it.
    let csv = worker.owner("GET", "/v1/leads?form=callback&format=csv");
    assert_eq!(csv.status, 200, "{}", csv.body);
    let lines: Vec<Vec<&str>> = csv
        .body
        .split_terminator("\r\n")
        .map(|line| line.split(',').collect())
        .collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    let (header, row) = (&lines[0], &lines[1]);
    assert_eq!(header.len(), row.len(), "{}", csv.body);
    assert_eq!(
        header[..4],
        ["lead_id", "form_id", "received_at", "erased_at"]
    );
    assert_eq!(row[..4], [lead_id.as_str(), "callback", received_at, ""]);
    let at = |column: &str| {
        header
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("no {column} column: {}", csv.body))
    };
    assert_eq!(at("phone_extension"), at("phone") + 1);
    assert_eq!(at("mobile_extension"), at("mobile") + 1);
    for (column, cell) in [
        ("email", "Ann@example.com"),
        ("phone", "'+14155552671"),
        ("phone_extension", "123"),
        ("mobile", "'+447700900123"),
        ("mobile_extension", ""),
    ] {
        assert_eq!(row[at(column)], cell, "{column}: {}", csv.body);
    }

    // Destinations.
    let received = destination.wait_for(
        "webhook, HubSpot and Salesforce deliveries",
        Duration::from_secs(60),
        |r| {
            ["/hooks/callback", "/hubspot/", "/salesforce"]
                .iter()
                .all(|p| r.iter().any(|x| x.path.starts_with(p)))
        },
    );
    let find = |prefix: &str| {
        let matching: Vec<_> = received
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect();
        assert_eq!(matching.len(), 1, "one request to {prefix}");
        matching[0]
    };
    let hook = find("/hooks/callback");
    hook.assert_signed_webhook(WEBHOOK_SECRET, &lead_id);
    let hook_body: Value = serde_json::from_str(&hook.body).expect("webhook JSON");
    assert_eq!(hook_body["data"]["values"], split, "{}", hook.body);

    let hubspot = find("/hubspot/");
    let hubspot_body: Value = serde_json::from_str(&hubspot.body).expect("HubSpot JSON");
    let names_values: Vec<(&str, &str)> = hubspot_body["fields"]
        .as_array()
        .expect("HubSpot fields")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().expect("name"),
                f["value"].as_str().expect("value"),
            )
        })
        .collect();
    assert_eq!(
        names_values,
        [
            ("email", "Ann@example.com"),
            ("mobilephone", "+447700900123"),
            ("phone", "+14155552671"),
            ("phone_ext", "123"),
        ]
    );

    let salesforce = find("/salesforce");
    assert_eq!(
        salesforce.body,
        "oid=00D000000000062&email=Ann%40example.com&mobile=%2B447700900123&phone=%2B14155552671+x123"
    );
}
