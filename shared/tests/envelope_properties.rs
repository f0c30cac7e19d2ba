//! Property tests of the wire format: parse(serialise(x)) == x for arbitrary
//! envelopes within limits, and parsing arbitrary bytes never panics.

use leadform_shared::envelope::{Attribution, Timings, Touch};
use leadform_shared::{
    ConsentChannel, ConsentRecord, FieldMap, FieldValue, Lang, SubmissionEnvelope,
};
use proptest::prelude::*;

fn field_value() -> impl Strategy<Value = FieldValue> {
    prop_oneof![
        any::<bool>().prop_map(FieldValue::Bool),
        ".{0,40}".prop_map(FieldValue::Text),
        prop::collection::vec(".{0,12}", 0..4).prop_map(FieldValue::List),
    ]
}

fn touch() -> impl Strategy<Value = Touch> {
    (
        prop::option::of(".{0,30}"),
        prop::option::of(".{0,30}"),
        prop::option::of(".{0,60}"),
        prop::option::of(any::<u64>()),
    )
        .prop_map(|(utm_source, gclid, referrer, captured_at_ms)| Touch {
            utm_source,
            gclid,
            referrer,
            captured_at_ms,
            ..Touch::default()
        })
}

fn consent() -> impl Strategy<Value = ConsentRecord> {
    (
        "[a-z][a-z0-9_]{0,20}",
        ".{0,80}",
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(consent_id, disclosure_text, checked, client_timestamp_ms)| ConsentRecord {
                consent_id,
                version: "v1".to_owned(),
                disclosure_sha256: leadform_shared::hex_sha256(disclosure_text.as_bytes()),
                disclosure_text,
                channels: vec![ConsentChannel::Email, ConsentChannel::Sms],
                checked,
                client_timestamp_ms,
            },
        )
}

fn envelope() -> impl Strategy<Value = SubmissionEnvelope> {
    (
        "[a-z][a-z0-9_-]{0,30}",
        "[0-9a-f]{64}",
        "[A-Za-z0-9_-]{8,64}",
        prop::collection::btree_map("[a-z][a-z0-9_]{0,20}", field_value(), 0..8),
        prop::collection::vec(consent(), 0..3),
        touch(),
        prop::option::of(touch()),
        (0u64..1 << 50, 0u64..1 << 30, 0u64..604_800_000),
        ".{0,20}",
        prop::option::of("[A-Za-z0-9._-]{0,100}"),
    )
        .prop_map(
            |(
                form_id,
                spec_hash,
                id,
                fields,
                consents,
                current,
                first_touch,
                (start, delta, fill),
                honeypot,
                turnstile_token,
            )| {
                SubmissionEnvelope {
                    version: 1,
                    form_id,
                    spec_hash,
                    submission_id: id.clone(),
                    visitor_id: id,
                    asked: fields.keys().cloned().collect(),
                    fields: fields.into_iter().collect::<FieldMap<_>>(),
                    consents,
                    attribution: Attribution {
                        current,
                        first_touch,
                    },
                    timings: Timings {
                        started_at_ms: start,
                        submitted_at_ms: start + delta,
                        time_to_fill_ms: fill,
                    },
                    honeypot,
                    turnstile_token,
                    page_url: "https://example.com/".to_owned(),
                    lang: Lang::Es,
                }
            },
        )
}

proptest! {
    #[test]
    fn parse_of_serialise_is_identity(envelope in envelope()) {
        let json = envelope.to_json();
        let parsed = SubmissionEnvelope::parse(json.as_bytes());
        prop_assert_eq!(parsed, Ok(envelope));
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = SubmissionEnvelope::parse(&bytes);
    }

    #[test]
    fn consent_canonical_form_is_stable(record in consent()) {
        let reparsed: ConsentRecord = serde_json::from_str(&record.canonical_json()).expect("canonical JSON parses");
        prop_assert_eq!(reparsed.record_sha256(), record.record_sha256());
    }
}
