//! Whole-submission rules: visibility, asked fields, consents, the envelope
//! wire format and the progressive-profiling selector, on the example specs.

use std::collections::BTreeSet;

use leadform_shared::envelope::{Attribution, Timings, Touch, MAX_ENVELOPE_BYTES};
use leadform_shared::{
    select_fields, ConsentRecord, ErrorCode, FieldMap, FieldValue, FormSpec, Lang,
    SubmissionEnvelope,
};

fn example(name: &str) -> FormSpec {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/forms")
        .join(name);
    let source = std::fs::read_to_string(&path).expect("example spec readable");
    FormSpec::parse_toml(&source).expect("example spec valid")
}

fn text(value: &str) -> FieldValue {
    FieldValue::Text(value.to_owned())
}

fn home_quote_values() -> FieldMap<FieldValue> {
    FieldMap::from([
        ("service".to_owned(), text("plumbing")),
        ("name".to_owned(), text("  Ana María Pérez ")),
        ("phone".to_owned(), text("(415) 555-2671")),
        ("email".to_owned(), text("Ana@Example.COM")),
        ("zip".to_owned(), text("94103")),
    ])
}

fn all_ids(spec: &FormSpec) -> Vec<String> {
    spec.fields.iter().map(|f| f.id.clone()).collect()
}

fn envelope_for(spec: &FormSpec, values: FieldMap<FieldValue>) -> SubmissionEnvelope {
    SubmissionEnvelope {
        version: 1,
        form_id: spec.id.clone(),
        spec_hash: spec.public_hash(),
        submission_id: "sub_0123456789abcdef".to_owned(),
        visitor_id: "vis_0123456789abcdef".to_owned(),
        asked: all_ids(spec),
        fields: values,
        consents: spec
            .consents
            .iter()
            .map(|block| ConsentRecord::capture(block, true, 1_763_000_000_000))
            .collect(),
        attribution: Attribution {
            current: Touch {
                utm_source: Some("google".to_owned()),
                gclid: Some("Cj0KCQ".to_owned()),
                landing_url: Some("https://acme.example/?utm_source=google".to_owned()),
                ..Touch::default()
            },
            first_touch: None,
        },
        timings: Timings {
            started_at_ms: 1_763_000_000_000,
            submitted_at_ms: 1_763_000_030_000,
            time_to_fill_ms: 30_000,
        },
        honeypot: String::new(),
        turnstile_token: None,
        page_url: "https://acme.example/".to_owned(),
        lang: Lang::En,
    }
}

#[test]
fn valid_submission_is_normalised() {
    let spec = example("home-services-quote.toml");
    let envelope = envelope_for(&spec, home_quote_values());
    let clean = envelope.validate_against(&spec).expect("valid");
    assert_eq!(clean.values.get("name"), Some(&text("Ana María Pérez")));
    assert_eq!(clean.values.get("phone"), Some(&text("+14155552671")));
    assert_eq!(clean.values.get("email"), Some(&text("Ana@example.com")));
    assert_eq!(clean.values.get("zip"), Some(&text("94103")));
    assert_eq!(
        clean.contact_key(&spec).as_deref(),
        Some("email:ana@example.com")
    );
    assert_eq!(clean.consents.len(), 2);
}

#[test]
fn hidden_branch_fields_are_dropped_not_trusted() {
    let spec = example("home-services-quote.toml");
    let mut values = home_quote_values();
    // `other_details` only shows when service = other; here it is plumbing, so
    // even an invalid value is ignored and not kept.
    values.insert("other_details".to_owned(), text("\u{0007}bell"));
    let clean = envelope_for(&spec, values.clone())
        .validate_against(&spec)
        .expect("hidden field ignored");
    assert!(!clean.values.contains_key("other_details"));

    // Once visible, it is required and validated.
    values.insert("service".to_owned(), text("other"));
    values.remove("other_details");
    let issues = envelope_for(&spec, values)
        .validate_against(&spec)
        .expect_err("now required");
    assert_eq!(issues.len(), 1);
    assert_eq!(
        (issues[0].field.as_str(), issues[0].code),
        ("other_details", ErrorCode::Required)
    );
}

#[test]
fn every_issue_is_reported_at_once() {
    let spec = example("home-services-quote.toml");
    let values = FieldMap::from([
        ("service".to_owned(), text("roofing")),
        ("name".to_owned(), text("A")),
        ("phone".to_owned(), text("555-0100")),
        ("email".to_owned(), text("ana@")),
        ("zip".to_owned(), text("ABCDE")),
        ("nickname".to_owned(), text("x")),
    ]);
    let mut envelope = envelope_for(&spec, values);
    envelope.consents.clear();
    let issues = envelope.validate_against(&spec).expect_err("invalid");
    let found: BTreeSet<(&str, ErrorCode)> =
        issues.iter().map(|i| (i.field.as_str(), i.code)).collect();
    let expected = BTreeSet::from([
        ("nickname", ErrorCode::UnknownField),
        ("service", ErrorCode::OptionNotAllowed),
        ("name", ErrorCode::TextTooShort),
        ("phone", ErrorCode::PhoneTooShort),
        ("email", ErrorCode::EmailDomainMissing),
        ("zip", ErrorCode::PostalInvalid),
    ]);
    assert_eq!(found, expected, "{issues:?}");
}

#[test]
fn values_for_fields_not_asked_are_refused() {
    let spec = example("b2b-demo.toml");
    let mut envelope = envelope_for(
        &spec,
        FieldMap::from([
            ("email".to_owned(), text("cto@acme.example")),
            ("company".to_owned(), text("Acme")),
        ]),
    );
    envelope.asked = vec!["email".to_owned()];
    let issues = envelope
        .validate_against(&spec)
        .expect_err("company not asked");
    assert_eq!(issues.len(), 1);
    assert_eq!(
        (issues[0].field.as_str(), issues[0].code),
        ("company", ErrorCode::UnknownField)
    );

    // always_ask fields must have been asked.
    envelope.asked = vec!["company".to_owned()];
    envelope.fields.remove("email");
    let issues = envelope
        .validate_against(&spec)
        .expect_err("email is always asked");
    assert!(issues
        .iter()
        .any(|i| i.field == "email" && i.code == ErrorCode::Required));
}

#[test]
fn consent_rules() {
    let spec = example("newsletter.toml");
    let values = FieldMap::from([("email".to_owned(), text("a@b.co"))]);

    let mut unticked = envelope_for(&spec, values.clone());
    unticked.consents[0].checked = false;
    let issues = unticked
        .validate_against(&spec)
        .expect_err("required consent");
    assert_eq!(issues[0].code, ErrorCode::ConsentRequired);

    let mut missing = envelope_for(&spec, values.clone());
    missing.consents.clear();
    assert_eq!(
        missing.validate_against(&spec).expect_err("missing")[0].code,
        ErrorCode::ConsentRequired
    );

    let mut doubled = envelope_for(&spec, values.clone());
    doubled.consents.push(doubled.consents[0].clone());
    assert_eq!(
        doubled.validate_against(&spec).expect_err("twice")[0].code,
        ErrorCode::ConsentDuplicate
    );

    let mut reworded = envelope_for(&spec, values);
    reworded.consents[0].disclosure_text = "Send me everything.".to_owned();
    reworded.consents[0].disclosure_sha256 =
        leadform_shared::hex_sha256(reworded.consents[0].disclosure_text.as_bytes());
    assert_eq!(
        reworded.validate_against(&spec).expect_err("reworded")[0].code,
        ErrorCode::ConsentTextMismatch
    );
}

#[test]
fn spec_hash_and_form_id_must_match() {
    let spec = example("newsletter.toml");
    let values = FieldMap::from([("email".to_owned(), text("a@b.co"))]);
    let mut stale = envelope_for(&spec, values.clone());
    stale.spec_hash = "0".repeat(64);
    assert_eq!(
        stale.validate_against(&spec).expect_err("stale")[0].code,
        ErrorCode::EnvelopeSpecHashMismatch
    );
    let mut other = envelope_for(&spec, values);
    other.form_id = "contact".to_owned();
    assert_eq!(
        other.validate_against(&spec).expect_err("other form")[0].code,
        ErrorCode::EnvelopeFormMismatch
    );
}

#[test]
fn envelope_round_trips_and_refuses_bad_shapes() {
    let spec = example("home-services-quote.toml");
    let envelope = envelope_for(&spec, home_quote_values());
    let json = envelope.to_json();
    assert_eq!(
        SubmissionEnvelope::parse(json.as_bytes()).expect("parses"),
        envelope
    );

    let parse_code = |body: &str| {
        SubmissionEnvelope::parse(body.as_bytes())
            .expect_err("refused")
            .code
    };
    assert_eq!(parse_code("not json"), ErrorCode::EnvelopeMalformed);
    assert_eq!(parse_code("{}"), ErrorCode::EnvelopeMalformed);
    assert_eq!(
        parse_code(&json.replacen("\"version\":1", "\"version\":2", 1)),
        ErrorCode::EnvelopeUnsupportedVersion
    );
    assert_eq!(
        parse_code(&json.replacen("{", "{\"admin\":true,", 1)),
        ErrorCode::EnvelopeUnknownField
    );
    assert_eq!(
        parse_code(&json.replacen("sub_0123456789abcdef", "short", 1)),
        ErrorCode::EnvelopeInvalidIdentifier
    );
    assert_eq!(
        parse_code(&json.replacen(
            "\"time_to_fill_ms\":30000",
            "\"time_to_fill_ms\":999999999999",
            1
        )),
        ErrorCode::EnvelopeInvalidTimings
    );
    let mut long_source = envelope.clone();
    long_source.attribution.current.utm_source = Some("x".repeat(600));
    assert_eq!(
        parse_code(&long_source.to_json()),
        ErrorCode::EnvelopeLimitExceeded
    );
    let huge = format!(
        "{{\"version\":1,\"pad\":\"{}\"}}",
        "x".repeat(MAX_ENVELOPE_BYTES)
    );
    assert_eq!(parse_code(&huge), ErrorCode::EnvelopeTooLarge);
}

// The selector's tables (identity fields, caps, stages) are in
// tests/profiling.rs.

#[test]
fn profiling_never_asks_a_field_twice() {
    // Two stages per visit; `other` (stage 2) depends on `kind` (stage 1), and
    // `extra` (stage 1) on `late` (stage 2). Each field is asked once: the
    // first step already decides `other`'s visibility, and `late`, brought
    // forward for `extra`, is not asked again in the second step.
    let spec = FormSpec::parse_toml(
        r#"
id = "twice"
[profiling]
stages_per_visit = 2
[[stages]]
id = "first"
fields = ["kind", "extra"]
[[stages]]
id = "second"
fields = ["other", "late"]
[[fields]]
id = "kind"
kind = "select"
label = "Kind"
options = [{ value = "a" }, { value = "b" }]
[[fields]]
id = "extra"
kind = "text"
label = "Extra"
show_when = { field = "late", equals = ["yes"] }
[[fields]]
id = "other"
kind = "text"
label = "Other"
show_when = { field = "kind", equals = ["b"] }
[[fields]]
id = "late"
kind = "text"
label = "Late"
"#,
    )
    .expect("valid spec");
    let selection = select_fields(&spec, &[]);
    let steps: Vec<&[String]> = selection.steps.iter().map(|s| &s.fields[..]).collect();
    assert_eq!(steps, [&["kind", "late", "extra"][..], &["other"][..]]);
}

#[test]
fn number_and_choice_normalisation() {
    let spec = example("b2b-demo.toml");
    let field = |id: &str| spec.field(id).expect("field exists").clone();
    let check =
        |id: &str, value: FieldValue| leadform_shared::validate_field(&field(id), Some(&value));
    assert_eq!(check("seats", text(" 007 ")), Ok(Some(text("7"))));
    assert_eq!(check("seats", text("0")), Err(ErrorCode::NumberTooSmall));
    assert_eq!(
        check("seats", text("100001")),
        Err(ErrorCode::NumberTooLarge)
    );
    assert_eq!(check("seats", text("1.5")), Err(ErrorCode::NumberInvalid));
    // At most 15 digits in all: a number an f64 holds exactly.
    assert_eq!(
        check("seats", text("123456789012345")),
        Err(ErrorCode::NumberTooLarge)
    );
    assert_eq!(
        check("seats", text("1234567890123456")),
        Err(ErrorCode::NumberInvalid)
    );
    for bad in ["1e3", "inf", "NaN", "--1", "1,000", "", "0x10", "+-1"] {
        let result = check("seats", text(bad));
        assert!(
            matches!(result, Err(ErrorCode::NumberInvalid) | Ok(None)),
            "{bad:?} gave {result:?}"
        );
    }
    let list = |items: &[&str]| FieldValue::List(items.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        check("use_cases", list(&["crm_sync", "lead_capture"])),
        Ok(Some(list(&["lead_capture", "crm_sync"])))
    );
    assert_eq!(
        check("use_cases", list(&["x"])),
        Err(ErrorCode::OptionNotAllowed)
    );
    assert_eq!(
        check("use_cases", list(&["consent", "consent"])),
        Err(ErrorCode::DuplicateSelection)
    );
    assert_eq!(
        check("use_cases", text("consent")),
        Err(ErrorCode::WrongValueType)
    );
    assert_eq!(
        check("company_size", FieldValue::Bool(true)),
        Err(ErrorCode::WrongValueType)
    );
}
