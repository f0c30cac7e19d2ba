//! Test submissions: the `tests/forms/` specs and valid wire envelopes for
//! them, built the way the widget builds them (every consent captured as
//! ticked, a plausible time to fill). Tests change what they need after.

use leadform_shared::{ConsentRecord, FormSpec};
use serde_json::{json, Map, Value};

/// The secrets of `tests/forms/distribution.toml`'s buyers: each
/// `auth_secret` name and the value the tests give it.
pub const BUYER_SECRETS: [(&str, &str); 6] = [
    ("BUYER_SUNCO_SECRET", "sunco-shared-secret"),
    ("BUYER_BRIGHT_SECRET", "bright-shared-secret"),
    ("BUYER_SHARE_A_SECRET", "share-a-shared-secret"),
    ("BUYER_SHARE_B_SECRET", "share-b-shared-secret"),
    ("BUYER_SLOW_SECRET", "slow-shared-secret"),
    ("BUYER_CAPPED_SECRET", "capped-shared-secret"),
];

/// A spec from `tests/forms/{id}.toml`.
pub fn test_form(id: &str) -> FormSpec {
    let path = crate::http::repo_root().join(format!("tests/forms/{id}.toml"));
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    FormSpec::parse_toml(&source).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A valid envelope for `form` carrying `fields` (all of them listed as asked).
pub fn envelope(form: &FormSpec, submission_id: &str, fields: Map<String, Value>) -> Value {
    let consents: Vec<ConsentRecord> = form
        .consents
        .iter()
        .map(|block| ConsentRecord::capture(block, true, 1_700_000_000_000))
        .collect();
    json!({
        "version": 1,
        "form_id": form.id,
        "spec_hash": form.public_hash(),
        "submission_id": submission_id,
        "visitor_id": "visitor-test-0001",
        "asked": fields.keys().cloned().collect::<Vec<_>>(),
        "fields": fields,
        "consents": consents,
        "attribution": { "current": {} },
        "timings": { "started_at_ms": 1_700_000_000_000u64, "submitted_at_ms": 1_700_000_005_000u64, "time_to_fill_ms": 5000 },
        "honeypot": "",
        "page_url": "http://127.0.0.1:8788/test",
    })
}

/// [`envelope`] with only an `email` field.
pub fn email_envelope(form: &FormSpec, submission_id: &str, email: &str) -> Value {
    let mut fields = Map::new();
    fields.insert("email".into(), json!(email));
    envelope(form, submission_id, fields)
}
