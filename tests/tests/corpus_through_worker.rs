//! The naughty-strings corpus (`../shared/corpora/blns.json`, 515 strings)
//! through the running Worker (real workerd + local D1 + Queues).
//!
//! Every string goes into every field of the `corpus` test form
//! (`tests/forms/corpus.toml`): alone into each structured field (email, phone,
//! ZIP, number, select), and into all free-text fields (text, textarea,
//! hidden) of one submission at once. For each submission the expected
//! outcome is computed natively with the `shared` crate, the same rule set the
//! Worker runs, and the Worker must agree exactly:
//! - refused → a 4xx with a machine code, never a 5xx, nothing stored;
//! - accepted → 202, and the stored value is byte-for-byte the shared crate's
//!   normalised value (which is the input itself whenever the input is already
//!   trimmed NFC text: asserted separately).
//!
//! Then every accepted value is checked where it leaves the system: the CSV
//! export (strict RFC 4180 parse; formula triggers defused with `'`), the
//! signed webhook JSON, the HubSpot JSON payload and the Salesforce
//! form-encoded payload, each decoded strictly and compared with the stored
//! value (the CSV and the webhook carry a phone as its E.164 number and a
//! separate `phone_extension`, see `edge::export`: compared with the stored
//! value split by `PhoneNumber::parse_normalised`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use leadform_shared::phone::PhoneNumber;
use leadform_shared::{validate_field, FieldValue, FormSpec};
use leadform_tests::destination::Destination;
use leadform_tests::wrangler::{exclusive, Worker, WorkerOptions, ALLOWED_ORIGIN, WEBHOOK_SECRET};
use serde_json::{json, Value};

/// Fields that get the string alone (their rules refuse most of the corpus).
const STRUCTURED_FIELDS: [&str; 5] = ["email", "phone", "zip", "budget", "size"];
/// Fields that get the string together, in one submission.
const FREE_TEXT_FIELDS: [&str; 4] = ["full_name", "company", "message", "campaign"];

fn corpus() -> Vec<String> {
    let path = leadform_tests::wrangler::repo_root().join("../shared/corpora/blns.json");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "read {} ({e}): the corpus lives beside the repo",
            path.display()
        )
    });
    let strings: Vec<String> = serde_json::from_str(&source).expect("blns.json: array of strings");
    assert!(strings.len() > 500, "corpus unexpectedly small");
    strings
}

/// What the shared crate says one value becomes: `Err` = refused,
/// `Ok(None)` = accepted as empty (not stored), `Ok(Some(text))` = stored.
fn expected(form: &FormSpec, field: &str, raw: &str) -> Result<Option<String>, String> {
    let spec = form.field(field).expect("field in corpus form");
    match validate_field(spec, Some(&FieldValue::Text(raw.to_owned()))) {
        Ok(Some(value)) => Ok(Some(value.to_display())),
        Ok(None) => Ok(None),
        Err(code) => Err(code.as_str().to_owned()),
    }
}

/// The stored values as the CSV export and the webhook carry them: the phone
/// field split into its E.164 number and `phone_extension`.
fn exported(stored: &BTreeMap<&'static str, String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (field, value) in stored {
        match (*field, PhoneNumber::parse_normalised(value)) {
            ("phone", Some(number)) => {
                out.insert("phone".to_owned(), number.e164().to_owned());
                if let Some(extension) = number.extension() {
                    out.insert("phone_extension".to_owned(), extension.to_owned());
                }
            }
            _ => {
                out.insert((*field).to_owned(), value.clone());
            }
        }
    }
    out
}

/// One planned submission and what the shared rules predict for it.
struct Case {
    submission_id: String,
    /// Field id → raw corpus string sent.
    sent: BTreeMap<&'static str, String>,
    /// Field id → stored value, when every field is accepted.
    outcome: Result<BTreeMap<&'static str, String>, String>,
    /// Correlates CRM payloads (which carry no lead id) with the case.
    email_key: Option<String>,
}

fn plan(form: &FormSpec, strings: &[String]) -> Vec<Case> {
    let mut cases = Vec::new();
    for (index, raw) in strings.iter().enumerate() {
        for field in STRUCTURED_FIELDS {
            let outcome = expected(form, field, raw).map(|stored| {
                stored
                    .map(|value| BTreeMap::from([(field, value)]))
                    .unwrap_or_default()
            });
            cases.push(Case {
                submission_id: format!("corpus-{field}-{index:04}"),
                sent: BTreeMap::from([(field, raw.clone())]),
                outcome,
                email_key: None,
            });
        }
        let email = format!("corpus-{index:04}@example.com");
        let mut sent = BTreeMap::from([("email", email.clone())]);
        let mut stored = BTreeMap::from([("email", email.clone())]);
        let mut refusal = None;
        for field in FREE_TEXT_FIELDS {
            sent.insert(field, raw.clone());
            match expected(form, field, raw) {
                Ok(Some(value)) => {
                    stored.insert(field, value);
                }
                Ok(None) => {}
                Err(code) => refusal = Some(code),
            }
        }
        cases.push(Case {
            submission_id: format!("corpus-text-{index:04}"),
            sent,
            outcome: refusal.map_or(Ok(stored), Err),
            email_key: Some(email),
        });
    }
    cases
}

fn envelope(form: &FormSpec, case: &Case) -> Value {
    let fields = case
        .sent
        .iter()
        .map(|(field, raw)| ((*field).to_owned(), json!(raw)))
        .collect();
    leadform_tests::envelope::envelope(form, &case.submission_id, fields)
}

#[test]
fn every_corpus_string_in_every_field_is_refused_with_a_code_or_stored_and_exported_byte_for_byte()
{
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        ..Default::default()
    });
    let form = leadform_tests::envelope::test_form("corpus");
    let strings = corpus();
    let cases = plan(&form, &strings);

    // 1. Submit everything; the Worker's answer must match the shared rules.
    let started = Instant::now();
    let mut accepted: BTreeMap<String, &Case> = BTreeMap::new();
    let mut refused_by_code: BTreeMap<String, usize> = BTreeMap::new();
    for (n, case) in cases.iter().enumerate() {
        if n % 500 == 0 {
            eprintln!(
                "[corpus] {n}/{} submissions ({:.0?})",
                cases.len(),
                started.elapsed()
            );
        }
        let body = envelope(&form, case).to_string();
        let response = worker.request(
            "POST",
            "/v1/submit",
            &[
                ("Content-Type", "application/json"),
                ("Origin", ALLOWED_ORIGIN),
                ("CF-Connecting-IP", "198.51.100.7"),
            ],
            &body,
        );
        let what = format!("{} {:?}", case.submission_id, case.sent);
        assert!(
            response.status < 500,
            "5xx for {what}: {} {}",
            response.status,
            response.body
        );
        match &case.outcome {
            Ok(_) => {
                assert_eq!(response.status, 202, "{what}: {}", response.body);
                let lead_id = response.json()["lead_id"]
                    .as_str()
                    .expect("receipt lead_id")
                    .to_owned();
                accepted.insert(lead_id, case);
            }
            Err(code) => {
                assert_eq!(response.status, 422, "{what}: {}", response.body);
                let answer = response.json();
                assert_eq!(answer["error"]["code"], "submission.invalid", "{what}");
                let issues = answer["error"]["issues"].to_string();
                assert!(
                    issues.contains(code.as_str()),
                    "{what}: expected {code} among {issues}"
                );
                *refused_by_code.entry(code.clone()).or_default() += 1;
            }
        }
    }
    eprintln!(
        "[corpus] {} submissions in {:.1?}: {} accepted, refused by code: {refused_by_code:?}",
        cases.len(),
        started.elapsed(),
        accepted.len()
    );
    assert!(
        accepted.len() > strings.len() / 2,
        "most free-text submissions should be accepted"
    );

    // 2. Stored byte-for-byte: every lead, read back from D1 through the owner API.
    let mut stored_leads = 0;
    let mut cursor: Option<String> = None;
    let mut verbatim = 0;
    loop {
        let mut path = "/v1/leads?form=corpus&limit=500".to_owned();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = worker.owner("GET", &path).json();
        for lead in page["leads"].as_array().expect("leads array") {
            let lead_id = lead["lead_id"].as_str().expect("lead_id");
            let case = accepted
                .get(lead_id)
                .unwrap_or_else(|| panic!("unexpected lead {lead}"));
            let values = &lead["record"]["values"];
            let Ok(expected) = &case.outcome else {
                unreachable!("only accepted cases are in `accepted`")
            };
            let stored: BTreeMap<String, String> = serde_json::from_value(values.clone())
                .unwrap_or_else(|e| panic!("values of {lead_id} are not all text ({e}): {values}"));
            let expected: BTreeMap<String, String> = expected
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect();
            assert_eq!(stored, expected, "{}", case.submission_id);
            for (field, value) in &expected {
                if case.sent.get(field.as_str()) == Some(value) {
                    verbatim += 1;
                }
            }
            stored_leads += 1;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(stored_leads, accepted.len(), "every 202 is one stored lead");
    assert!(
        verbatim > strings.len(),
        "most values are stored exactly as sent"
    );

    // 3. CSV export: strict parse, formula triggers defused, values intact.
    let mut csv_rows = 0;
    let mut defused = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/v1/leads?form=corpus&format=csv&limit=500".to_owned();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let response = worker.owner("GET", &path);
        assert_eq!(response.status, 200, "{}", response.body);
        let table = parse_csv(&response.body).unwrap_or_else(|e| panic!("CSV export: {e}"));
        let header = &table[0];
        for row in &table[1..] {
            assert_eq!(row.len(), header.len(), "ragged CSV row {row:?}");
            let case = accepted[&row[0]];
            let Ok(expected) = &case.outcome else {
                unreachable!()
            };
            let expected = exported(expected);
            // The value columns (the scoring, status and aging columns after
            // them are the Worker's own figures, not the visitor's input).
            let value_columns = leadform_edge::export::export_columns(&form);
            for (column, cell) in header.iter().zip(row).skip(4) {
                if !value_columns.contains(column) {
                    continue;
                }
                let value = expected.get(column.as_str()).cloned().unwrap_or_default();
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "formula trigger left in CSV cell {cell:?} ({})",
                    case.submission_id
                );
                if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    assert_eq!(*cell, format!("'{value}"), "{}", case.submission_id);
                    defused += 1;
                } else {
                    assert_eq!(*cell, value, "{}", case.submission_id);
                }
            }
            csv_rows += 1;
        }
        match response.header("leadform-next-cursor") {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(csv_rows, accepted.len());
    assert!(defused > 0, "the corpus holds formula-like strings");

    // 4. Destinations: every accepted lead reaches the webhook, HubSpot and
    //    Salesforce once, each payload decoding to exactly the stored values.
    let leads = accepted.len();
    let received = destination.wait_for(
        "a webhook, HubSpot and Salesforce delivery per accepted lead",
        Duration::from_secs(300),
        |r| {
            ["/hooks/corpus", "/hubspot/", "/salesforce"]
                .iter()
                .all(|p| r.iter().filter(|x| x.path.starts_with(p)).count() >= leads)
        },
    );
    let mut webhook_ids = BTreeSet::new();
    let mut hubspot_by_email = BTreeMap::new();
    let mut salesforce_by_email = BTreeMap::new();
    for request in &received {
        if request.path == "/hooks/corpus" {
            let webhook_id = request.headers["webhook-id"].clone();
            request.assert_signed_webhook(WEBHOOK_SECRET, &webhook_id);
            let body: Value = serde_json::from_str(&request.body).expect("webhook JSON");
            let case = accepted[&webhook_id];
            let Ok(expected) = &case.outcome else {
                unreachable!()
            };
            let values: BTreeMap<String, String> =
                serde_json::from_value(body["data"]["values"].clone()).expect("webhook values");
            assert_eq!(values, exported(expected), "{}", case.submission_id);
            assert!(webhook_ids.insert(webhook_id), "webhook delivered twice");
        } else if request.path.starts_with("/hubspot/") {
            let body: Value = serde_json::from_str(&request.body).expect("HubSpot JSON");
            let fields: BTreeMap<String, String> = body["fields"]
                .as_array()
                .expect("HubSpot fields")
                .iter()
                .map(|f| {
                    (
                        f["name"].as_str().expect("name").to_owned(),
                        f["value"].as_str().expect("value").to_owned(),
                    )
                })
                .collect();
            if let Some(email) = fields.get("email").cloned() {
                assert!(
                    hubspot_by_email.insert(email, fields).is_none(),
                    "HubSpot twice"
                );
            }
        } else if request.path == "/salesforce" {
            let fields = parse_form_urlencoded(&request.body)
                .unwrap_or_else(|e| panic!("Salesforce body {:?}: {e}", request.body));
            if let Some(email) = fields.get("email").cloned() {
                assert!(
                    salesforce_by_email.insert(email, fields).is_none(),
                    "Salesforce twice"
                );
            }
        }
    }
    assert_eq!(webhook_ids.len(), leads);
    let mut checked = 0;
    for case in accepted.values() {
        let (Some(email), Ok(expected)) = (&case.email_key, &case.outcome) else {
            continue;
        };
        for (name, payload) in [
            ("HubSpot", hubspot_by_email.get(email)),
            ("Salesforce", salesforce_by_email.get(email)),
        ] {
            let payload =
                payload.unwrap_or_else(|| panic!("no {name} payload for {}", case.submission_id));
            for (field, value) in expected {
                assert_eq!(
                    payload.get(*field),
                    Some(value),
                    "{name} {field} of {}",
                    case.submission_id
                );
            }
        }
        checked += 1;
    }
    eprintln!(
        "[corpus] stored {stored_leads} leads ({verbatim} values verbatim), CSV rows {csv_rows} ({defused} cells defused), CRM payloads checked for {checked} leads in {:.1?}",
        started.elapsed()
    );
}

/// Strict RFC 4180 parse (CRLF records, `"`-quoted cells with `""`).
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut cell = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.push('"');
                    }
                    Some('"') => break,
                    Some(c) => cell.push(c),
                    None => return Err("unterminated quoted cell".into()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c == '\r' {
                    break;
                }
                if c == '"' || c == '\n' {
                    return Err(format!("bare {c:?} in unquoted cell after {cell:?}"));
                }
                cell.push(c);
                chars.next();
            }
        }
        row.push(cell);
        match chars.next() {
            Some(',') => {}
            Some('\r') => {
                if chars.next() != Some('\n') {
                    return Err("CR without LF".into());
                }
                rows.push(std::mem::take(&mut row));
                if chars.peek().is_none() {
                    return Ok(rows);
                }
            }
            None => return Err("last record lacks CRLF".into()),
            Some(c) => return Err(format!("unexpected {c:?} after a cell")),
        }
    }
}

/// Strict `application/x-www-form-urlencoded` decoding: only unreserved
/// bytes, `+` and `%XX` escapes may appear raw (checked here), then decoded
/// with the edge's own decoder.
fn parse_form_urlencoded(body: &str) -> Result<BTreeMap<String, String>, String> {
    let decode = |part: &str| {
        if let Some(raw) = part.bytes().find(|b| {
            !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*' | b'+' | b'%'))
        }) {
            return Err(format!("raw byte {raw:#04x} in {part:?}"));
        }
        leadform_edge::routes::percent_decode(part)
            .ok_or_else(|| format!("bad escape or not UTF-8 in {part:?}"))
    };
    body.split('&')
        .map(|pair| {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("pair without '=': {pair:?}"))?;
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}
