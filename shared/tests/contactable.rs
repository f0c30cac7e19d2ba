//! Submission-level rules of issue 18, as a table: a ticked consent needs a
//! value in every field it covers (`consent.covered_field_missing`), and a
//! lead needs the channels of `[contact]` (`lead.not_contactable`). Also the
//! covered values and contact keys the edge stores from a clean submission.

use leadform_shared::{
    validate_field, validate_submission, ConsentRecord, ErrorCode, FieldIssue, FieldMap,
    FieldValue, FormSpec,
};

/// Email or phone, both optional; a call/text consent covering the phone and
/// an email consent covering the email.
const REACH: &str = r#"
id = "reach"
[contact]
any_of = ["email", "phone"]
[[fields]]
id = "name"
kind = "text"
label = "Name"
autocomplete = "name"
[[fields]]
id = "email"
kind = "email"
label = "Email"
[[fields]]
id = "phone"
kind = "phone"
label = "Phone"
country = "US"
[[consents]]
id = "tcpa"
text = "Acme may call and text me at this number."
version = "1"
channels = ["sms", "phone_call"]
legal_basis = "express_written_consent"
covers = ["phone"]
[[consents]]
id = "news"
text = "Email me news."
version = "1"
channels = ["email"]
legal_basis = "consent"
covers = ["email"]
"#;

fn reach() -> FormSpec {
    FormSpec::parse_toml(REACH).expect("reach spec")
}

fn home() -> FormSpec {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/forms/home-services-quote.toml");
    FormSpec::parse_toml(&std::fs::read_to_string(path).expect("readable")).expect("valid")
}

/// Runs one submission: `values` as (id, text), `ticked` consent ids (the
/// others are sent unticked), every field with a value or listed in `asked`
/// counted as asked.
fn run(
    spec: &FormSpec,
    asked: &[&str],
    values: &[(&str, &str)],
    ticked: &[&str],
) -> Result<leadform_shared::CleanSubmission, Vec<FieldIssue>> {
    let values: FieldMap<FieldValue> = values
        .iter()
        .map(|(id, v)| (id.to_string(), FieldValue::Text(v.to_string())))
        .collect();
    let asked: Vec<String> = asked.iter().map(|s| s.to_string()).collect();
    let records: Vec<ConsentRecord> = spec
        .consents
        .iter()
        .map(|b| ConsentRecord::capture(b, ticked.contains(&b.id.as_str()), 1))
        .collect();
    validate_submission(spec, &asked, &values, &records)
}

/// (what, spec, asked, values, ticked consents, expected issues (field, code))
type Case<'a> = (
    &'a str,
    &'a FormSpec,
    &'a [&'a str],
    Vec<(&'a str, &'a str)>,
    &'a [&'a str],
    Vec<(&'a str, ErrorCode)>,
);

#[test]
fn covered_fields_and_contact_channels_table() {
    let reach = reach();
    let home = home();
    let all = ["name", "email", "phone"];
    let phone_field = reach.field("phone").expect("phone").clone();
    let bad_phone = "call me!";
    let bad_phone_code =
        validate_field(&phone_field, Some(&FieldValue::Text(bad_phone.to_owned())))
            .expect_err("an invalid phone number");
    let cases: Vec<Case> = vec![
        (
            "email only, nothing ticked",
            &reach,
            &all,
            vec![("email", "ann@example.com")],
            &[],
            vec![],
        ),
        (
            "phone only, calls ticked",
            &reach,
            &all,
            vec![("phone", "(415) 555-0123")],
            &["tcpa"],
            vec![],
        ),
        (
            "both, both ticked",
            &reach,
            &all,
            vec![("email", "ann@example.com"), ("phone", "4155550123")],
            &["tcpa", "news"],
            vec![],
        ),
        (
            "name only: no channel",
            &reach,
            &all,
            vec![("name", "Ann")],
            &[],
            vec![("", ErrorCode::LeadNotContactable)],
        ),
        (
            "nothing at all",
            &reach,
            &all,
            vec![],
            &[],
            vec![("", ErrorCode::LeadNotContactable)],
        ),
        (
            "calls ticked, phone absent",
            &reach,
            &all,
            vec![("email", "ann@example.com")],
            &["tcpa"],
            vec![("tcpa", ErrorCode::ConsentCoveredFieldMissing)],
        ),
        (
            "calls ticked, phone blank",
            &reach,
            &all,
            vec![("email", "ann@example.com"), ("phone", "   ")],
            &["tcpa"],
            vec![("tcpa", ErrorCode::ConsentCoveredFieldMissing)],
        ),
        (
            "email consent ticked, email absent",
            &reach,
            &all,
            vec![("phone", "4155550123")],
            &["news"],
            vec![("news", ErrorCode::ConsentCoveredFieldMissing)],
        ),
        (
            "calls ticked, phone invalid: only the phone's own issue",
            &reach,
            &all,
            vec![("email", "ann@example.com"), ("phone", bad_phone)],
            &["tcpa"],
            vec![("phone", bad_phone_code)],
        ),
        (
            "invalid phone alone: its issue, not also not_contactable",
            &reach,
            &all,
            vec![("phone", bad_phone)],
            &[],
            vec![("phone", bad_phone_code)],
        ),
        (
            "both ticked, no values",
            &reach,
            &all,
            vec![],
            &["tcpa", "news"],
            vec![
                ("tcpa", ErrorCode::ConsentCoveredFieldMissing),
                ("news", ErrorCode::ConsentCoveredFieldMissing),
                ("", ErrorCode::LeadNotContactable),
            ],
        ),
        (
            "phone not asked (an old page): absent, so not contactable",
            &home,
            &["service", "name", "email", "zip", "campaign"],
            vec![
                ("service", "plumbing"),
                ("name", "Ann Lee"),
                ("email", "ann@example.com"),
                ("zip", "94103"),
            ],
            &[],
            vec![("", ErrorCode::LeadNotContactable)],
        ),
        (
            "phone not asked, calls ticked",
            &home,
            &["service", "name", "email", "zip", "campaign"],
            vec![
                ("service", "plumbing"),
                ("name", "Ann Lee"),
                ("email", "ann@example.com"),
                ("zip", "94103"),
            ],
            &["tcpa_calls_texts"],
            vec![
                ("tcpa_calls_texts", ErrorCode::ConsentCoveredFieldMissing),
                ("", ErrorCode::LeadNotContactable),
            ],
        ),
        (
            "home quote, complete",
            &home,
            &[
                "service",
                "other_details",
                "name",
                "phone",
                "email",
                "zip",
                "campaign",
            ],
            vec![
                ("service", "plumbing"),
                ("name", "Ann Lee"),
                ("phone", "415 555 0123"),
                ("zip", "94103"),
            ],
            &["tcpa_calls_texts"],
            vec![],
        ),
    ];
    let mut failures = Vec::new();
    for (what, spec, asked, values, ticked, expected) in cases {
        let got = match run(spec, asked, &values, ticked) {
            Ok(_) => Vec::new(),
            Err(issues) => issues.into_iter().map(|i| (i.field, i.code)).collect(),
        };
        let expected: Vec<(String, ErrorCode)> = expected
            .into_iter()
            .map(|(f, c)| (f.to_owned(), c))
            .collect();
        if got != expected {
            failures.push(format!("{what}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn covered_values_and_contact_keys_are_normalised() {
    let spec = reach();
    let clean = run(
        &spec,
        &["name", "email", "phone"],
        &[
            ("name", "Ann"),
            ("email", "Ann@Example.COM"),
            ("phone", "(415) 555-0123"),
        ],
        &["tcpa", "news"],
    )
    .expect("valid");
    let tcpa = spec.consent("tcpa").expect("tcpa");
    assert_eq!(
        clean.covered_values(tcpa),
        FieldMap::from([("phone".to_owned(), "+14155550123".to_owned())])
    );
    let news = spec.consent("news").expect("news");
    assert_eq!(
        clean.covered_values(news),
        FieldMap::from([("email".to_owned(), "Ann@example.com".to_owned())])
    );
    assert_eq!(
        clean.contact_keys(&spec),
        ["email:ann@example.com", "phone:+14155550123"]
    );
    let phone_only = run(&spec, &["phone"], &[("phone", "4155550123")], &[]).expect("valid");
    assert_eq!(phone_only.contact_keys(&spec), ["phone:+14155550123"]);
}
