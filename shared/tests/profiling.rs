//! The progressive-profiling selector (`select_fields`) and
//! `Selection::consent_step`, as tables: a spec, the ids this browser knows,
//! and the steps (stage id and fields) expected. Identity fields are asked on
//! every visit (rule 8 of `select_fields`).

use leadform_shared::{select_fields, FormSpec};

fn example(name: &str) -> FormSpec {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/forms")
        .join(name);
    let source = std::fs::read_to_string(&path).expect("example spec readable");
    FormSpec::parse_toml(&source).expect("example spec valid")
}

/// Two stages, one new field per visit: `email` and `name` (by its
/// autocomplete token) and `phone` are identity fields.
const CAPPED: &str = r#"
id = "capped"
[profiling]
max_new_fields_per_visit = 1
[[stages]]
id = "about"
fields = ["email", "name", "topic"]
[[stages]]
id = "more"
fields = ["phone", "size", "note"]
[[fields]]
id = "email"
kind = "email"
label = "Email"
[[fields]]
id = "name"
kind = "text"
label = "Name"
autocomplete = "name"
[[fields]]
id = "topic"
kind = "select"
label = "Topic"
options = [{ value = "a" }, { value = "b" }]
[[fields]]
id = "phone"
kind = "phone"
label = "Phone"
[[fields]]
id = "size"
kind = "select"
label = "Size"
options = [{ value = "s" }, { value = "l" }]
[[fields]]
id = "note"
kind = "text"
label = "Note"
"#;

/// Two stages per visit, `topic` always asked, a conditional field, and a
/// phone field opted out of identity (`identity = false`).
const TWO_PER_VISIT: &str = r#"
id = "two-per-visit"
[profiling]
stages_per_visit = 2
always_ask = ["topic"]
[[stages]]
id = "one"
fields = ["topic", "note"]
[[stages]]
id = "two"
fields = ["email", "mobile"]
[[stages]]
id = "three"
fields = ["size", "source"]
[[fields]]
id = "topic"
kind = "select"
label = "Topic"
options = [{ value = "a" }, { value = "b" }]
[[fields]]
id = "note"
kind = "text"
label = "Note"
show_when = { field = "topic", equals = ["b"] }
[[fields]]
id = "email"
kind = "email"
label = "Email"
[[fields]]
id = "mobile"
kind = "phone"
label = "Mobile"
identity = false
[[fields]]
id = "size"
kind = "select"
label = "Size"
options = [{ value = "s" }, { value = "l" }]
[[fields]]
id = "source"
kind = "hidden"
label = "Source"
"#;

/// Every field of the home-services example, in spec order.
const HOME_ALL: &[&str] = &[
    "service",
    "other_details",
    "name",
    "phone",
    "email",
    "zip",
    "campaign",
];

/// (what, spec, known ids, expected steps as (stage id, fields))
type Case = (
    &'static str,
    FormSpec,
    &'static [&'static str],
    &'static [(&'static str, &'static [&'static str])],
);

fn cases() -> Vec<Case> {
    let b2b = example("b2b-demo.toml");
    let home = example("home-services-quote.toml");
    let capped = FormSpec::parse_toml(CAPPED).expect("capped spec");
    let two = FormSpec::parse_toml(TWO_PER_VISIT).expect("two-per-visit spec");
    vec![
        (
            "b2b first visit: the first stage",
            b2b.clone(),
            &[],
            &[("contact", &["email", "first_name", "last_name"])],
        ),
        (
            "b2b second visit: the next stage, identity fields first",
            b2b.clone(),
            &["email", "first_name", "last_name"],
            &[(
                "company",
                &[
                    "email",
                    "first_name",
                    "last_name",
                    "company",
                    "company_size",
                    "role",
                ],
            )],
        ),
        (
            "b2b stage partly known: only its unknown qualification fields",
            b2b.clone(),
            &["email", "first_name", "last_name", "company"],
            &[(
                "company",
                &["email", "first_name", "last_name", "company_size", "role"],
            )],
        ),
        (
            "b2b all known: the last stage in full, with the identity fields",
            b2b.clone(),
            &[
                "email",
                "first_name",
                "last_name",
                "company",
                "company_size",
                "role",
                "use_cases",
                "seats",
                "timeline",
            ],
            &[(
                "needs",
                &[
                    "email",
                    "first_name",
                    "last_name",
                    "use_cases",
                    "seats",
                    "timeline",
                ],
            )],
        ),
        (
            "home-quote first visit: every field",
            home.clone(),
            &[],
            &[("main", HOME_ALL)],
        ),
        (
            // The defect of issue 18: `other_details` was hidden on the first
            // visit, so the stage stays open and only unknown fields were
            // asked; identity fields (name, phone, email, ZIP) now come back.
            "home-quote returning visitor: name, phone, email and ZIP asked again",
            home.clone(),
            &["campaign", "email", "name", "phone", "service", "zip"],
            &[("main", HOME_ALL)],
        ),
        (
            "cap of one new field: identity fields do not count",
            capped.clone(),
            &[],
            &[("about", &["phone", "email", "name", "topic"])],
        ),
        (
            "cap of one, first stage known: the next stage's first new field",
            capped.clone(),
            &["email", "name", "topic"],
            &[("more", &["email", "name", "phone", "size"])],
        ),
        (
            "cap of one, all known: last stage in full, identity fields first",
            capped.clone(),
            &["email", "name", "topic", "phone", "size", "note"],
            &[("more", &["email", "name", "phone", "size", "note"])],
        ),
        (
            "two stages per visit: an identity field stays in its own stage's step",
            two.clone(),
            &[],
            &[("one", &["topic", "note"]), ("two", &["email", "mobile"])],
        ),
        (
            "always_ask, then identity fields, then the stage; identity = false is not asked again",
            two.clone(),
            &["topic", "note", "email", "mobile"],
            &[("three", &["topic", "email", "size", "source"])],
        ),
        (
            "a known identity field in a selected stage is asked again",
            two.clone(),
            &["topic", "note", "email"],
            &[
                ("two", &["topic", "email", "mobile"]),
                ("three", &["size", "source"]),
            ],
        ),
    ]
}

#[test]
fn selection_table() {
    let mut failures = Vec::new();
    for (what, spec, known, expected) in cases() {
        let known: Vec<String> = known.iter().map(|s| s.to_string()).collect();
        let selection = select_fields(&spec, &known);
        let got: Vec<(&str, Vec<&str>)> = selection
            .steps
            .iter()
            .map(|s| {
                (
                    s.stage_id.as_str(),
                    s.fields.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        let expected: Vec<(&str, Vec<&str>)> =
            expected.iter().map(|(s, f)| (*s, f.to_vec())).collect();
        if got != expected {
            failures.push(format!("{what}: expected {expected:?}, got {got:?}"));
        }
        // Whatever was known, every identity field is asked, exactly once.
        let ids = selection.field_ids();
        for field in spec.identity_fields() {
            if ids.iter().filter(|id| **id == field.id).count() != 1 {
                failures.push(format!(
                    "{what}: identity field {} not asked once",
                    field.id
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stage_progress_and_bounds() {
    let b2b = example("b2b-demo.toml");
    let first = select_fields(&b2b, &[]);
    assert_eq!((first.first_stage_index, first.stage_count), (0, 3));
    let known: Vec<String> = ["email", "first_name", "last_name"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let second = select_fields(&b2b, &known);
    assert_eq!((second.first_stage_index, second.stage_count), (1, 3));
    // An unchecked spec with zero stages per visit still asks something.
    let mut home = example("home-services-quote.toml");
    home.profiling.stages_per_visit = 0;
    assert!(!select_fields(&home, &[]).steps.is_empty());
}

#[test]
fn identity_fields_by_kind_autocomplete_and_flag() {
    let spec = FormSpec::parse_toml(
        r#"
id = "who"
[[fields]]
id = "email"
kind = "email"
label = "Email"
[[fields]]
id = "phone"
kind = "phone"
label = "Phone"
[[fields]]
id = "full"
kind = "text"
label = "Name"
autocomplete = "name"
[[fields]]
id = "given"
kind = "text"
label = "First name"
autocomplete = "given-name"
[[fields]]
id = "family"
kind = "text"
label = "Last name"
autocomplete = "family-name"
[[fields]]
id = "org"
kind = "text"
label = "Company"
autocomplete = "organization"
[[fields]]
id = "zip"
kind = "postal_code"
label = "ZIP"
country = "US"
identity = true
[[fields]]
id = "work_phone"
kind = "phone"
label = "Work phone"
identity = false
[[fields]]
id = "note"
kind = "text"
label = "Note"
"#,
    )
    .expect("valid spec");
    let identity: Vec<&str> = spec.identity_fields().map(|f| f.id.as_str()).collect();
    assert_eq!(
        identity,
        ["email", "phone", "full", "given", "family", "zip"]
    );
}

/// Consents on the steps holding their covered fields.
const STEPPED_CONSENTS: &str = r#"
id = "stepped"
[profiling]
stages_per_visit = 2
[[stages]]
id = "one"
fields = ["topic"]
[[stages]]
id = "two"
fields = ["phone"]
[[fields]]
id = "topic"
kind = "select"
label = "Topic"
options = [{ value = "a" }, { value = "b" }]
[[fields]]
id = "phone"
kind = "phone"
label = "Phone"
[[consents]]
id = "tcpa"
text = "Call and text me at this number."
version = "1"
channels = ["sms", "phone_call"]
legal_basis = "express_written_consent"
covers = ["phone"]
[[consents]]
id = "letters"
text = "Send me letters."
version = "1"
channels = ["postal_mail"]
legal_basis = "consent"
"#;

/// (what, spec, known ids, consent id, expected step index, steps in all)
type StepCase<'a> = (&'a str, &'a FormSpec, &'a [&'a str], &'a str, usize, usize);

#[test]
fn consent_step_table() {
    let stepped = FormSpec::parse_toml(STEPPED_CONSENTS).expect("stepped spec");
    let home = example("home-services-quote.toml");
    let b2b = example("b2b-demo.toml");
    let cases: &[StepCase] = &[
        (
            "covered field on the second step",
            &stepped,
            &[],
            "tcpa",
            1,
            2,
        ),
        (
            "covers nothing: the last step",
            &stepped,
            &[],
            "letters",
            1,
            2,
        ),
        (
            "unknown consent: the last step",
            &stepped,
            &[],
            "nope",
            1,
            2,
        ),
        (
            "covered field brought into the first step",
            &stepped,
            &["phone"],
            "tcpa",
            0,
            1,
        ),
        (
            "all known: one step",
            &stepped,
            &["topic", "phone"],
            "tcpa",
            0,
            1,
        ),
        ("single stage form", &home, &[], "tcpa_calls_texts", 0, 1),
        (
            "single stage form, email",
            &home,
            &[],
            "email_marketing",
            0,
            1,
        ),
        (
            "b2b later stage: email is in its first step",
            &b2b,
            &["email", "first_name", "last_name"],
            "gdpr_contact",
            0,
            1,
        ),
    ];
    for (what, spec, known, consent, expected, steps) in cases {
        let known: Vec<String> = known.iter().map(|s| s.to_string()).collect();
        let selection = select_fields(spec, &known);
        assert_eq!(selection.steps.len(), *steps, "{what}");
        assert_eq!(selection.consent_step(spec, consent), *expected, "{what}");
        if let Some(block) = spec.consent(consent) {
            for id in &block.covers {
                assert!(
                    selection.steps[*expected].fields.contains(id),
                    "{what}: {id} on the consent's step"
                );
            }
        }
    }
}
