//! The small JSON reader and writer (`leadform_shared::json`, used by the
//! widget) agree with serde (used by the edge and tools): specs, values and
//! touches read the same on every example and test spec, and on variants with
//! keys left out, set to `null`, of the wrong type or unknown; envelopes,
//! values and touches are written with exactly serde_json's bytes.
//!
//! One known difference: serde also reads a struct from a JSON *array* of its
//! fields in declaration order; the small reader wants objects (nothing Leadform
//! writes puts a struct in an array), so those variants are not generated.

use leadform_shared::envelope::{Attribution, Timings, Touch};
use leadform_shared::json::{self, Json};
use leadform_shared::{
    ConsentChannel, ConsentRecord, FieldMap, FieldValue, FormSpec, Lang, SubmissionEnvelope,
};
use proptest::prelude::*;
use serde_json::Value;

fn spec_sources() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    for dir in ["examples/forms", "tests/forms"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("spec dir") {
            let path = entry.expect("entry").path();
            if path.extension().and_then(|e| e.to_str()) == Some("toml") {
                let source = std::fs::read_to_string(&path).expect("spec");
                out.push((path.display().to_string(), source));
            }
        }
    }
    assert!(out.len() >= 6, "expected the example and test specs");
    out
}

/// Both readers agree: same spec, or both refuse.
fn assert_same(json: &str, context: &str) {
    let serde = FormSpec::parse_json(json);
    let small = FormSpec::parse_json_small(json);
    match (&serde, &small) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{context}: {json}"),
        (Err(a), Err(b)) => {
            // Checks run after both readers: their errors must be the same;
            // syntax messages may word the problem differently.
            let syntax = |e: &leadform_shared::SpecErrors| {
                e.0.iter()
                    .all(|e| matches!(e, leadform_shared::SpecError::Syntax(_)))
            };
            assert_eq!(syntax(a), syntax(b), "{context}: {a} / {b}");
            if !syntax(a) {
                assert_eq!(a, b, "{context}");
            }
        }
        _ => panic!("{context}: serde {serde:?} but small reader {small:?} for {json}"),
    }
}

#[test]
fn every_spec_reads_the_same() {
    for (path, source) in spec_sources() {
        let spec = FormSpec::parse_toml(&source).expect("spec loads");
        let json = serde_json::to_string(&spec.public()).expect("json");
        assert_eq!(
            FormSpec::parse_json_small(&json).as_ref(),
            Ok(&spec.public()),
            "{path}"
        );
        let pretty = serde_json::to_string_pretty(&spec.public()).expect("json");
        assert_same(&pretty, &path);
    }
}

/// Every object in `value` with each of its keys removed, set to `null`,
/// set to a value of another type, plus an unknown key: one variant each.
fn variants(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    match value {
        Value::Object(map) => {
            for key in map.keys() {
                for replacement in [
                    None,
                    Some(Value::Null),
                    Some(Value::from(7)),
                    Some(Value::from(-1)),
                    Some(Value::from(1.5)),
                    Some(Value::from("x")),
                    Some(Value::from(true)),
                    Some(Value::Array(vec![])),
                ] {
                    if map[key].is_object() && replacement == Some(Value::Array(vec![])) {
                        continue; // a struct as an array: see the module docs
                    }
                    let mut changed = map.clone();
                    match replacement {
                        None => {
                            changed.remove(key);
                        }
                        Some(v) => {
                            changed.insert(key.clone(), v);
                        }
                    }
                    out.push(Value::Object(changed));
                }
            }
            let mut extra = map.clone();
            extra.insert("unexpected".into(), Value::from(1));
            out.push(Value::Object(extra));
            for (key, child) in map {
                for child_variant in variants(child) {
                    let mut changed = map.clone();
                    changed.insert(key.clone(), child_variant);
                    out.push(Value::Object(changed));
                }
            }
        }
        Value::Array(items) => {
            // Vary the first item only: later ones have the same shape.
            if let Some(first) = items.first() {
                for item_variant in variants(first) {
                    let mut changed = items.clone();
                    changed[0] = item_variant;
                    out.push(Value::Array(changed));
                }
            }
        }
        _ => {}
    }
    out
}

#[test]
fn broken_variants_are_read_the_same() {
    let mut count = 0;
    for (path, source) in spec_sources() {
        let spec = FormSpec::parse_toml(&source).expect("spec loads");
        let value = serde_json::to_value(spec.public()).expect("value");
        for variant in variants(&value) {
            assert_same(&variant.to_string(), &path);
            count += 1;
        }
    }
    assert!(count > 1000, "{count} variants");
}

#[test]
fn field_values_and_touches_read_the_same() {
    for text in [
        "true",
        "false",
        "\"a\"",
        "[]",
        "[\"a\",\"b\"]",
        "null",
        "1",
        "[1]",
        "{}",
        "[\"a\",null]",
    ] {
        let serde = serde_json::from_str::<FieldValue>(text).ok();
        let small = json::parse(text)
            .ok()
            .and_then(|v| FieldValue::from_json(&v).ok());
        assert_eq!(serde, small, "{text}");
    }
    for text in [
        "{}",
        r#"{"utm_source":"a","captured_at_ms":12}"#,
        r#"{"utm_source":null}"#,
        r#"{"captured_at_ms":-1}"#,
        r#"{"captured_at_ms":1.5}"#,
        r#"{"other":"x"}"#,
        r#"{"referrer":1}"#,
    ] {
        let serde = serde_json::from_str::<Touch>(text).ok();
        let small = json::parse(text)
            .ok()
            .and_then(|v| Touch::from_json(&v).ok());
        assert_eq!(serde, small, "{text}");
    }
}

proptest! {
    #[test]
    fn strings_round_trip(text in any::<String>()) {
        let encoded = serde_json::to_string(&text).expect("json");
        prop_assert_eq!(json::parse(&encoded), Ok(Json::String(text)));
    }

    #[test]
    fn touches_round_trip(
        source in proptest::option::of(".{0,20}"),
        referrer in proptest::option::of("\\PC{0,40}"),
        at in proptest::option::of(any::<u64>()),
    ) {
        let touch = Touch {
            utm_source: source,
            referrer,
            captured_at_ms: at,
            ..Touch::default()
        };
        let encoded = serde_json::to_string(&touch).expect("json");
        let read = json::parse(&encoded).and_then(|v| Touch::from_json(&v));
        prop_assert_eq!(read, Ok(touch));
    }

    #[test]
    fn numbers_read_as_serde_json_reads_them(n in any::<f64>().prop_filter("finite", |n| n.is_finite())) {
        let encoded = serde_json::to_string(&n).expect("json");
        let read = json::parse(&encoded).and_then(|v| json::float(&v, "n")).ok();
        let serde = serde_json::from_str::<f64>(&encoded).ok();
        prop_assert_eq!(read.map(f64::to_bits), serde.map(f64::to_bits), "{}", encoded);
    }
}

fn field_value() -> impl Strategy<Value = FieldValue> {
    prop_oneof![
        any::<bool>().prop_map(FieldValue::Bool),
        any::<String>().prop_map(FieldValue::Text),
        proptest::collection::vec(any::<String>(), 0..3).prop_map(FieldValue::List),
    ]
}

fn touch() -> impl Strategy<Value = Touch> {
    (
        proptest::option::of(any::<String>()),
        proptest::option::of("[\\x00-\\x7f]{0,12}"),
        proptest::option::of(any::<String>()),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(source, campaign, referrer, at)| Touch {
            utm_source: source,
            utm_campaign: campaign,
            referrer,
            hubspot_utk: Some("u".into()),
            captured_at_ms: at,
            ..Touch::default()
        })
}

proptest! {
    #[test]
    fn envelopes_are_written_as_serde_json_writes_them(
        texts in proptest::collection::vec(any::<String>(), 6),
        tree in proptest::collection::btree_map("[a-z_]{1,8}", field_value(), 0..5),
        current in touch(),
        first in proptest::option::of(touch()),
        checked in any::<bool>(),
        numbers in proptest::collection::vec(any::<u64>(), 4),
        turnstile in proptest::option::of(any::<String>()),
        spanish in any::<bool>(),
    ) {
        let values: FieldMap<FieldValue> = tree.clone().into_iter().collect();
        let record = ConsentRecord {
            consent_id: texts[0].clone(),
            version: texts[1].clone(),
            disclosure_text: texts[2].clone(),
            disclosure_sha256: "ab".repeat(32),
            channels: vec![ConsentChannel::Sms, ConsentChannel::PhoneCall, ConsentChannel::Email,
                ConsentChannel::AutomatedCalls, ConsentChannel::PostalMail],
            checked,
            client_timestamp_ms: numbers[0],
        };
        let mut written = String::new();
        record.write_json(&mut written);
        prop_assert_eq!(&written, &record.canonical_json());
        let envelope = SubmissionEnvelope {
            version: 1,
            form_id: texts[3].clone(),
            spec_hash: "0".repeat(64),
            submission_id: texts[4].clone(),
            visitor_id: "visitor-1".into(),
            asked: texts.clone(),
            fields: values.clone(),
            consents: vec![record.clone(), record],
            attribution: Attribution { current, first_touch: first },
            timings: Timings {
                started_at_ms: numbers[1],
                submitted_at_ms: numbers[2],
                time_to_fill_ms: numbers[3],
            },
            honeypot: texts[5].clone(),
            turnstile_token: turnstile,
            page_url: "https://example.com/\u{7f}\u{1f}".into(),
            lang: if spanish { Lang::Es } else { Lang::En },
        };
        prop_assert_eq!(envelope.to_json(), serde_json::to_string(&envelope).expect("json"));
        let mut map = String::new();
        FieldValue::write_map_json(&mut map, &values);
        // The BTreeMap the envelope held before FieldMap is the reference.
        prop_assert_eq!(&map, &serde_json::to_string(&tree).expect("json"));
        prop_assert_eq!(map, serde_json::to_string(&values).expect("json"));
        let empty: FieldMap<FieldValue> = FieldMap::new();
        let mut map = String::new();
        FieldValue::write_map_json(&mut map, &empty);
        prop_assert_eq!(map, "{}");
    }
}
