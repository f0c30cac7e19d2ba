//! Key rotation end to end under real workerd (issue 15, keys and
//! certificates): one persisted D1 state, `wrangler dev` restarted with each
//! new key configuration.
//!
//! Four generations of keys (the legacy `SEAL_KEY` alone, then `SEAL_KEYS`
//! k1, k2, k3 newest first; Ed25519 signing keys e0..e3 with the retired
//! ones kept in `CERTIFICATE_PUBLIC_KEYS`) each seal and sign one lead. After
//! the last rotation, the certificates of the three earlier generations
//! still verify: their HMAC seals for the owner (naming the key), their
//! Ed25519 documents offline with `leadform_verify` from the published
//! `/.well-known/leadform-keys.json` alone. A generation that drops k1 and e0
//! no longer vouches for what they sealed and signed (typed: key unknown).
//! The overlap of a webhook secret rotation is checked too: the delivery
//! carries one `v1,` signature per secret, each valid for its receiver.

use std::time::Duration;

use leadform_edge::keys::CertificateSigner;
use leadform_tests::destination::Destination;
use leadform_tests::envelope::{email_envelope, test_form};
use leadform_tests::wrangler::{exclusive, Worker, WorkerOptions, ALLOWED_ORIGIN, WEBHOOK_SECRET};
use leadform_verify::{verify_document, KeySet, VerifyError};
use serde_json::Value;

/// 32 bytes each, base64 ('1' x 32, '2' x 32, '3' x 32).
const K1: &str = "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=";
const K2: &str = "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI=";
const K3: &str = "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=";
/// The secret that replaces the harness's `WEBHOOK_SECRET` (24 bytes).
const NEW_WEBHOOK_SECRET: &str = "whsec_bmV3LXNlY3JldC1mb3Itcm90YXRpb24h";

fn signer(generation: u8) -> CertificateSigner {
    CertificateSigner::new(&format!("e{generation}"), &[0x40 + generation; 32])
}

fn seed_entry(generation: u8) -> String {
    use base64::Engine;
    let seed = base64::engine::general_purpose::STANDARD.encode([0x40 + generation; 32]);
    format!("e{generation}:{seed}")
}

/// The key settings of one generation (on top of the harness's `SEAL_KEY`).
fn options(
    destination: &Destination,
    seal_keys: &str,
    signing: u8,
    retired: &[u8],
    webhook_secret: Option<&str>,
) -> WorkerOptions {
    let public_keys: Vec<String> = retired.iter().map(|g| signer(*g).public_entry()).collect();
    let mut extra_vars = vec![
        ("SEAL_KEYS", seal_keys.to_owned()),
        ("CERTIFICATE_SIGNING_KEY", seed_entry(signing)),
        ("CERTIFICATE_PUBLIC_KEYS", public_keys.join(",")),
    ];
    if let Some(secret) = webhook_secret {
        extra_vars.push(("WEBHOOK_SECRET", secret.to_owned()));
    }
    WorkerOptions {
        destination_base: Some(destination.base_url()),
        extra_vars,
        ..Default::default()
    }
}

/// Submits one lead to the `contact` form; its lead id and certificate id.
fn submit(worker: &Worker, n: u8) -> (String, String) {
    let form = test_form("contact");
    let body = email_envelope(
        &form,
        &format!("rotation-{n:04}"),
        &format!("gen{n}@example.com"),
    );
    let response = worker.request(
        "POST",
        "/v1/submit",
        &[
            ("Content-Type", "application/json"),
            ("Origin", ALLOWED_ORIGIN),
            ("CF-Connecting-IP", "203.0.113.15"),
        ],
        &body.to_string(),
    );
    assert_eq!(response.status, 202, "{}", response.body);
    let receipt = response.json();
    let lead_id = receipt["lead_id"].as_str().expect("lead id").to_owned();
    let certificate_id = receipt["certificate_ids"][0]
        .as_str()
        .expect("a certificate")
        .to_owned();
    (lead_id, certificate_id)
}

fn certificate(worker: &Worker, id: &str) -> Value {
    let response = worker.owner("GET", &format!("/v1/certificates/{id}"));
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()
}

fn document(worker: &Worker, id: &str) -> String {
    let response = worker.owner("GET", &format!("/v1/certificates/{id}?format=document"));
    assert_eq!(response.status, 200, "{}", response.body);
    response.body
}

fn published_keys(worker: &Worker) -> (KeySet, Vec<String>) {
    let response = worker.request("GET", "/.well-known/leadform-keys.json", &[], "");
    assert_eq!(response.status, 200, "{}", response.body);
    let set = KeySet::from_jwks(response.body.as_bytes()).expect("a JWKS");
    let kids = set.kids().map(str::to_owned).collect();
    (set, kids)
}

#[test]
fn certificates_of_three_earlier_keys_verify_after_rotation_and_webhook_secrets_overlap() {
    let _guard = exclusive();
    let destination = Destination::start();

    // Generation 0: the legacy SEAL_KEY alone, Ed25519 key e0.
    let worker = Worker::start(options(&destination, "", 0, &[], None));
    let mut leads = vec![submit(&worker, 0)];
    // Each generation's webhook is sent by that generation's Worker (with
    // its secrets) before the next one replaces it: a restart drops the
    // local queue's in-flight messages (production's queue keeps them, and
    // the hourly sweep re-enqueues what was missed).
    let webhook_of = |lead_id: &str| {
        destination.wait_for(
            &format!("the webhook of {lead_id}"),
            Duration::from_secs(60),
            |r| {
                r.iter().any(|r| {
                    r.path.starts_with("/hooks")
                        && r.headers.get("webhook-id").map(String::as_str) == Some(lead_id)
                })
            },
        );
    };
    webhook_of(&leads[0].0);
    // Generations 1..3: a new seal key prepended, a new signing key, the
    // retired public keys kept published.
    let generations: [(String, u8, &[u8]); 3] = [
        (format!("k1:{K1}"), 1, &[0]),
        (format!("k2:{K2},k1:{K1}"), 2, &[1, 0]),
        (format!("k3:{K3}, k2:{K2}, k1:{K1}"), 3, &[2, 1, 0]),
    ];
    let mut worker = worker;
    for (n, (seal_keys, signing, retired)) in generations.iter().enumerate() {
        let overlap = (n == 2).then(|| format!("{NEW_WEBHOOK_SECRET} {WEBHOOK_SECRET}"));
        worker = worker.restart(options(
            &destination,
            seal_keys,
            *signing,
            retired,
            overlap.as_deref(),
        ));
        leads.push(submit(&worker, n as u8 + 1));
        webhook_of(&leads[n + 1].0);
    }

    // The last generation: every earlier certificate still verifies.
    let (keys, kids) = published_keys(&worker);
    assert_eq!(kids, ["e3", "e2", "e1", "e0"]);
    let keys_response = worker.request("GET", "/.well-known/leadform-keys.json", &[], "");
    assert_eq!(
        keys_response.header("access-control-allow-origin"),
        Some("*")
    );
    for (generation, (lead_id, certificate_id)) in leads.iter().enumerate() {
        let seal_kid = ["legacy", "k1", "k2", "k3"][generation];
        let lead = worker.owner("GET", &format!("/v1/leads/{lead_id}")).json();
        assert_eq!(
            lead["seal_verified"], true,
            "generation {generation}: {lead}"
        );
        let body = certificate(&worker, certificate_id);
        assert_eq!(
            body["seal"]["verified"], true,
            "generation {generation}: {body}"
        );
        assert_eq!(body["seal"]["key_id"], seal_kid, "{body}");
        assert_eq!(body["signature"]["verified"], true, "{body}");
        assert_eq!(
            body["signature"]["key_id"],
            format!("e{generation}"),
            "{body}"
        );
        // Offline, from the published keys alone.
        let doc = document(&worker, certificate_id);
        let verified = verify_document(doc.as_bytes(), &keys)
            .unwrap_or_else(|e| panic!("generation {generation}: {e}\n{doc}"));
        assert_eq!(verified.kid, format!("e{generation}"));
        assert_eq!(verified.certificate_id(), Some(certificate_id.as_str()));
        assert_eq!(verified.certificate["lead_id"], lead_id.as_str());
        // One changed byte of what the buyer holds: refused.
        let forged = doc.replacen(
            &format!("gen{generation}@"),
            &format!("gen{}@", generation + 1),
            1,
        );
        assert_ne!(forged, doc);
        assert_eq!(
            verify_document(forged.as_bytes(), &keys).map(|v| v.kid),
            Err(VerifyError::SignatureInvalid {
                kid: format!("e{generation}")
            })
        );
    }

    // The webhook of the overlap generation (3rd lead) carried both
    // signatures: one for receivers still on the old secret, one for the new.
    let overlap_lead = &leads[3].0;
    let received = destination.wait_for("the overlap's webhook", Duration::from_secs(60), |r| {
        r.iter().any(|r| {
            r.path.starts_with("/hooks") && r.headers.get("webhook-id") == Some(overlap_lead)
        })
    });
    let webhook = received
        .iter()
        .find(|r| r.path.starts_with("/hooks") && r.headers.get("webhook-id") == Some(overlap_lead))
        .expect("the overlap's webhook");
    assert_eq!(
        webhook.headers["webhook-signature"].split(' ').count(),
        2,
        "{:?}",
        webhook.headers
    );
    webhook.assert_signed_webhook(WEBHOOK_SECRET, overlap_lead);
    webhook.assert_signed_webhook(NEW_WEBHOOK_SECRET, overlap_lead);
    // Before the overlap, one signature under the old secret only.
    let earlier = destination
        .wait_for(
            "the second generation's webhook",
            Duration::from_secs(60),
            |r| {
                r.iter().any(|r| {
                    r.path.starts_with("/hooks") && r.headers.get("webhook-id") == Some(&leads[2].0)
                })
            },
        )
        .into_iter()
        .find(|r| r.path.starts_with("/hooks") && r.headers.get("webhook-id") == Some(&leads[2].0))
        .expect("the second generation's webhook");
    assert_eq!(earlier.headers["webhook-signature"].split(' ').count(), 1);
    earlier.assert_signed_webhook(WEBHOOK_SECRET, &leads[2].0);

    // A generation that retires k1 and stops publishing e0: what they
    // sealed and signed is no longer vouched for, and says why.
    let worker = worker.restart(options(
        &destination,
        &format!("k3:{K3},k2:{K2}"),
        3,
        &[2, 1],
        None,
    ));
    let (keys, kids) = published_keys(&worker);
    assert_eq!(kids, ["e3", "e2", "e1"]);
    let generation_1 = certificate(&worker, &leads[1].1);
    assert_eq!(generation_1["seal"]["verified"], false, "{generation_1}");
    assert_eq!(generation_1["seal"]["key_unknown"], true, "{generation_1}");
    let doc_0 = document(&worker, &leads[0].1);
    assert_eq!(
        verify_document(doc_0.as_bytes(), &keys).map(|v| v.kid),
        Err(VerifyError::KeyUnknown("e0".into()))
    );
    let generation_3 = certificate(&worker, &leads[3].1);
    assert_eq!(generation_3["seal"]["verified"], true, "{generation_3}");
    drop(worker);
}
