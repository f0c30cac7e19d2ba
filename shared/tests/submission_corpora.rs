//! The Big List of Naughty Strings through whole submissions: every string, in
//! every field of every example form and in the envelope's free-text slots,
//! validates or yields typed errors. Nothing panics.

use leadform_shared::{ErrorCode, FieldKind, FieldMap, FieldValue, FormSpec, SubmissionEnvelope};

fn naughty_strings() -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/blns.json");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the corpus {} is required (it lives beside the repo, see ../shared/corpora/README.md): {e}",
            path.display()
        )
    });
    let strings: Vec<String> =
        serde_json::from_str(&source).expect("blns.json is a JSON array of strings");
    assert!(
        strings.len() > 500,
        "corpus looks truncated: {} strings",
        strings.len()
    );
    strings
}

fn example_specs() -> Vec<FormSpec> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/forms");
    let mut specs = Vec::new();
    for entry in std::fs::read_dir(dir).expect("examples/forms") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) == Some("toml") {
            let source = std::fs::read_to_string(&path).expect("readable");
            specs.push(FormSpec::parse_toml(&source).expect("valid example"));
        }
    }
    specs
}

#[test]
fn naughty_strings_in_every_field_validate_or_fail_typed() {
    let strings = naughty_strings();
    let mut accepted = 0usize;
    let mut refused = 0usize;
    for spec in example_specs() {
        let asked: Vec<String> = spec.fields.iter().map(|f| f.id.clone()).collect();
        for field in &spec.fields {
            for naughty in &strings {
                let value = match field.kind {
                    FieldKind::MultiSelect => FieldValue::List(vec![naughty.clone()]),
                    _ => FieldValue::Text(naughty.clone()),
                };
                // The field on its own: a normalised value or one typed code.
                match leadform_shared::validate_field(field, Some(&value)) {
                    Ok(stored) => {
                        accepted += 1;
                        if let Some(FieldValue::Text(stored)) = stored {
                            assert!(
                                !stored
                                    .chars()
                                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                                "{}.{}: control character kept from {naughty:?}",
                                spec.id,
                                field.id
                            );
                        }
                    }
                    Err(code) => {
                        refused += 1;
                        assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
                    }
                }
                // The whole submission: Ok, or typed issues naming real fields.
                let values = FieldMap::from([(field.id.clone(), value)]);
                if let Err(issues) =
                    leadform_shared::validate_submission(&spec, &asked, &values, &[])
                {
                    assert!(!issues.is_empty());
                    for issue in issues {
                        assert_eq!(ErrorCode::from_code(issue.code.as_str()), Some(issue.code));
                        assert!(
                            issue.field.is_empty()
                                || spec.field(&issue.field).is_some()
                                || spec.consent(&issue.field).is_some()
                        );
                    }
                }
            }
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "accepted {accepted}, refused {refused}"
    );
}

#[test]
fn naughty_strings_in_envelope_slots_parse_or_fail_typed() {
    let template = r#"{"version":1,"form_id":"newsletter","spec_hash":"HASH","submission_id":"sub_0123456789","visitor_id":"vis_0123456789","asked":["email"],"fields":{"email":NAUGHTY},"consents":[],"attribution":{"current":{"utm_source":NAUGHTY,"referrer":NAUGHTY}},"timings":{"started_at_ms":1,"submitted_at_ms":2,"time_to_fill_ms":1},"honeypot":NAUGHTY,"page_url":NAUGHTY}"#;
    let spec = example_specs()
        .into_iter()
        .find(|s| s.id == "newsletter")
        .expect("newsletter example");
    for naughty in naughty_strings() {
        let quoted = serde_json::to_string(&naughty).expect("string serialises");
        let body = template
            .replace("HASH", &spec.public_hash())
            .replace("NAUGHTY", &quoted);
        match SubmissionEnvelope::parse(body.as_bytes()) {
            Ok(envelope) => {
                // Byte-for-byte: what was sent is what was parsed.
                assert_eq!(envelope.honeypot, naughty);
                assert_eq!(
                    envelope.attribution.current.utm_source.as_deref(),
                    Some(naughty.as_str())
                );
                let _ = envelope.validate_against(&spec);
            }
            Err(error) => assert!(error.code.as_str().starts_with("envelope.")),
        }
        // Raw, unquoted strings are never valid JSON envelopes but must not panic.
        let _ = SubmissionEnvelope::parse(naughty.as_bytes());
    }
}
