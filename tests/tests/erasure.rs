//! Erasure reaches everything the Worker keeps (issue 15, "erasure that
//! reaches backups"): after `POST /v1/erasures` and `DELETE
//! /v1/leads/{id}`, no byte of the erased leads' email, phone or name is left
//! in a SQL dump of the local D1 database (`wrangler d1 export`), in any
//! file under the Worker's persistence directory (D1's SQLite files with
//! their journals, the delivery queue and its DLQ, Durable Objects), or in
//! the Worker's log; and their wrapped data keys are gone, so a restored
//! backup of the ciphertexts opens nothing.
//!
//! One lead is erased after its delivery, the other while its delivery is
//! still being retried (its queue message in flight). The positive control:
//! the same needles are found in what the destination stand-in received,
//! and in the owner API before the erasure.

use std::path::Path;
use std::time::Duration;
use std::{fs, thread};

use leadform_tests::destination::{Destination, Mode};
use leadform_tests::envelope::{envelope, test_form};
use leadform_tests::wrangler::{exclusive, Worker, WorkerOptions};
use serde_json::{json, Map, Value};

/// (name, email, phone typed, phone digits as stored)
const PEOPLE: [(&str, &str, &str, &str); 2] = [
    (
        "Zebulon Quixotic",
        "Zebulon.Quixotic@example.com",
        "(415) 555-0187",
        "4155550187",
    ),
    (
        "Philippa Marchbanks",
        "philippa.marchbanks@example.org",
        "+1 415 555 0166",
        "4155550166",
    ),
];

/// What must not survive of one person: each value as typed, lower-cased
/// and upper-cased, and the phone's digits.
fn needles(person: &(&str, &str, &str, &str)) -> Vec<String> {
    let (name, email, phone, digits) = *person;
    let mut all = Vec::new();
    for value in [name, email, phone] {
        all.push(value.to_owned());
        all.push(value.to_lowercase());
        all.push(value.to_uppercase());
    }
    all.push(name.split(' ').next_back().unwrap_or(name).to_owned());
    all.push(digits.to_owned());
    all.sort();
    all.dedup();
    all
}

/// Every (file, needle) where a needle's bytes occur under `dir`.
fn scan(dir: &Path, needles: &[String], found: &mut Vec<(String, String)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            scan(&path, needles, found);
            continue;
        }
        let Ok(bytes) = fs::read(&path) else {
            continue;
        };
        for needle in needles {
            if bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
            {
                found.push((path.display().to_string(), needle.clone()));
            }
        }
    }
}

fn submit(worker: &Worker, n: usize) -> String {
    let form = test_form("repeat");
    let (name, email, phone, _) = PEOPLE[n];
    let mut fields = Map::new();
    fields.insert("name".into(), json!(name));
    fields.insert("email".into(), json!(email));
    fields.insert("phone".into(), json!(phone));
    let mut body = envelope(&form, &format!("erasure-{n:04}"), fields);
    body["asked"] = json!(["name", "email", "phone"]);
    worker.submit_lead(&body, "203.0.113.140")
}

#[test]
fn after_erasure_no_byte_of_the_leads_personal_data_is_left_in_d1_queues_or_logs() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        max_retries: 40,
        ..Default::default()
    });

    // Lead 0 is delivered everywhere before it is erased.
    let delivered = submit(&worker, 0);
    worker.wait_owner_json(
        &format!("/v1/leads/{delivered}"),
        "lead 0 delivered",
        Duration::from_secs(90),
        |l| {
            l["deliveries"].as_array().is_some_and(|d| {
                d.len() == 3 && d.iter().all(leadform_tests::destination::delivered)
            })
        },
    );
    // Lead 1 is erased while its deliveries are still being retried.
    destination.set_mode(Mode::Error500);
    let retrying = submit(&worker, 1);
    worker.wait_owner_json(
        &format!("/v1/leads/{retrying}"),
        "lead 1 failed once everywhere",
        Duration::from_secs(90),
        |l| {
            l["deliveries"].as_array().is_some_and(|d| {
                d.len() == 3
                    && d.iter()
                        .all(|x| x["attempts"].as_f64().unwrap_or(0.0) >= 1.0)
            })
        },
    );

    // Positive controls: the needles are what the API and the destinations saw.
    let received: String = destination
        .received()
        .iter()
        .map(|r| r.body.clone())
        .collect::<Vec<_>>()
        .join("\n");
    for (n, id) in [&delivered, &retrying].into_iter().enumerate() {
        let lead = worker.owner("GET", &format!("/v1/leads/{id}")).json();
        assert_eq!(lead["values"]["name"], PEOPLE[n].0, "{lead}");
        assert!(
            received.contains(PEOPLE[n].0) || received.contains(&PEOPLE[n].0.replace(' ', "+")),
            "lead {n}'s name reached the destination"
        );
    }
    let keys_sql = format!(
        "SELECT count(*) AS n FROM data_keys WHERE subject_id IN ('{delivered}', '{retrying}')"
    );
    assert_eq!(
        worker.d1_count(&keys_sql),
        2,
        "each lead has its wrapped keys"
    );

    // Erase: lead 0 by email (as typed, any case), lead 1 by id.
    let by_email = worker.erase_by_email("zebulon.quixotic@EXAMPLE.com");
    assert_eq!(by_email.status, 200, "{}", by_email.body);
    assert_eq!(
        by_email.json()["erased"],
        json!([delivered]),
        "{}",
        by_email.body
    );
    let by_id = worker.owner("DELETE", &format!("/v1/leads/{retrying}"));
    assert_eq!(by_id.status, 200, "{}", by_id.body);
    destination.set_mode(Mode::Ok);
    // Let the in-flight queue message run (it finds an erased lead).
    thread::sleep(Duration::from_secs(5));

    for (n, id) in [&delivered, &retrying].into_iter().enumerate() {
        let lead: Value = worker.owner("GET", &format!("/v1/leads/{id}")).json();
        assert!(lead["erased_at"].is_string(), "lead {n}: {lead}");
        assert!(!lead.to_string().contains(PEOPLE[n].0), "lead {n}: {lead}");
    }
    assert_eq!(worker.d1_count(&keys_sql), 0, "wrapped keys destroyed");

    // The dump, every persisted file and the log.
    let dump = worker.dir.join("dump.sql");
    worker.d1_export(&dump);
    let dump_text = fs::read_to_string(&dump).expect("read the dump");
    assert!(
        dump_text.contains("CREATE TABLE") && dump_text.contains(&delivered),
        "the dump holds the database (and the erased lead's stub)"
    );
    let all: Vec<String> = PEOPLE.iter().flat_map(needles).collect();
    let mut found = Vec::new();
    scan(&worker.dir, &all, &mut found);
    let log = worker.log();
    for needle in &all {
        if log.contains(needle.as_str()) {
            found.push(("the Worker's log".to_owned(), needle.clone()));
        }
    }
    assert!(
        found.is_empty(),
        "personal data left after erasure (file, value): {found:#?}"
    );
    eprintln!(
        "[erasure] 2 leads erased (one delivered, one mid-retry); {} needles absent from the D1 dump, {} and the log",
        all.len(),
        worker.dir.display()
    );
}
