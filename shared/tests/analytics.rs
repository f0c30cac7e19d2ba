//! Analytics and experiments: the significance figures against a reference
//! computation (Python's `math.erfc` on the pooled z of fixed counts, equal
//! to Pearson's chi-square on the 2x2 table), weighted assignment (sticky,
//! split within tolerance), what a variant changes, the spec checks and the
//! beacon schema's refusals.

use leadform_shared::analytics::{
    apply, assign, two_proportion, EventBatch, EventError, EventKind,
};
use leadform_shared::FormSpec;

const SPEC: &str = r#"
id = "ab"
title = "Get a quote"
submit_label = "Send"
[[fields]]
id = "email"
kind = "email"
label = "Email"
required = true
[[fields]]
id = "name"
kind = "text"
label = "Name"
[[fields]]
id = "company"
kind = "text"
label = "Company"
[[fields]]
id = "notes"
kind = "textarea"
label = "Notes"

[experiment]
min_sample = 50

[[variants]]
id = "control"
weight = 3

[[variants]]
id = "short"
weight = 1
title = "Quick quote"
submit_label = "Go"
labels = { email = "Work email" }
field_order = ["company", "email"]
optional_fields = ["company"]
"#;

fn spec() -> FormSpec {
    FormSpec::parse_toml(SPEC).expect("the test spec is valid")
}

#[test]
fn significance_matches_reference() {
    // (a hits, a n, b hits, b n, z, p) from the reference computation.
    let cases = [
        (
            100,
            1000,
            130,
            1000,
            2.102_740_605_622_114,
            0.035_488_450_466_474_73,
        ),
        (
            50,
            500,
            52,
            500,
            0.208_973_752_559_787_73,
            0.834_468_728_665_788,
        ),
        (
            200,
            1000,
            260,
            1000,
            3.188_063_564_953_509,
            0.001_432_290_465_813_645,
        ),
        (
            10,
            120,
            25,
            118,
            2.799_279_081_164_484_3,
            0.005_121_684_982_675_483,
        ),
        (
            30,
            90,
            12,
            95,
            -3.359_567_793_687_153_5,
            0.000_780_644_953_328_101_3,
        ),
    ];
    for (ah, an, bh, bn, z, p) in cases {
        let got = two_proportion(ah, an, bh, bn, 1);
        assert!(
            (got.z - z).abs() < 1e-9,
            "z of {ah}/{an} vs {bh}/{bn}: {got:?}"
        );
        assert!(
            ((got.p_value - p) / p).abs() < 1e-9,
            "p of {ah}/{an} vs {bh}/{bn}: {got:?}, want {p}"
        );
        assert_eq!(got.significant, p < 0.05, "{ah}/{an} vs {bh}/{bn}");
    }
    // Never significant below the minimum sample, however clear.
    assert!(!two_proportion(10, 120, 25, 118, 200).significant);
    assert!(two_proportion(10, 120, 25, 118, 118).significant);
    // Degenerate samples.
    for (ah, an, bh, bn) in [
        (0, 0, 5, 10),
        (0, 10, 0, 10),
        (10, 10, 10, 10),
        (11, 10, 1, 10),
    ] {
        let got = two_proportion(ah, an, bh, bn, 1);
        assert_eq!((got.z, got.p_value, got.significant), (0.0, 1.0, false));
    }
}

#[test]
fn assignment_is_sticky_and_weighted() {
    let spec = spec();
    let n = 20_000;
    let mut short = 0;
    for i in 0..n {
        let visitor = format!("visitor_{i:08}");
        let first = assign(&spec, &visitor)
            .expect("variants declared")
            .id
            .clone();
        // The same visitor always gets the same variant.
        assert_eq!(assign(&spec, &visitor).map(|v| &v.id), Some(&first));
        if first == "short" {
            short += 1;
        }
    }
    // Weight 1 of 4: 25 % within 1.5 points (the binomial sd is 0.3 points).
    let share = f64::from(short) / f64::from(n);
    assert!((share - 0.25).abs() < 0.015, "short got {share}");
    let mut bare = spec.clone();
    bare.variants.clear();
    assert!(assign(&bare, "visitor_00000001").is_none());
}

#[test]
fn a_variant_overrides_texts_order_and_optional_fields() {
    let spec = spec();
    let short = apply(&spec, spec.variants.iter().find(|v| v.id == "short"));
    assert_eq!(short.title.as_deref(), Some("Quick quote"));
    assert_eq!(short.submit_label, "Go");
    assert_eq!(
        short.field("email").map(|f| f.label.as_str()),
        Some("Work email")
    );
    assert!(short.variants.is_empty());
    let order: Vec<&str> = short.stages[0].fields.iter().map(String::as_str).collect();
    // company first, then email, then the rest; notes and name (optional,
    // not listed) are not asked.
    assert_eq!(order, ["company", "email"]);
    assert!(short.field("notes").is_none());
    let control = apply(&spec, spec.variants.first());
    assert_eq!(control.title.as_deref(), Some("Get a quote"));
    assert_eq!(control.fields.len(), 4);
    let base = apply(&spec, None);
    assert_eq!(base.fields, spec.fields);
}

#[test]
fn spec_checks_variants() {
    let check = |extra: &str, code: &str| {
        let source = format!("{SPEC}\n{extra}");
        let errors = FormSpec::parse_toml(&source).expect_err(extra);
        assert!(
            errors.0.iter().any(|e| e.code() == code),
            "{extra}: want {code}, got {errors}"
        );
    };
    check("[[variants]]\nid = \"short\"", "spec.variant_duplicate");
    check("[[variants]]\nid = \"Bad Id\"", "spec.variant_invalid_id");
    check(
        "[[variants]]\nid = \"w\"\nweight = 0",
        "spec.variant_weight_zero",
    );
    check(
        "[[variants]]\nid = \"w\"\nlabels = { phone = \"x\" }",
        "spec.variant_unknown_field",
    );
    check(
        "[[variants]]\nid = \"w\"\noptional_fields = [\"email\"]",
        "spec.variant_field_not_optional",
    );
    check(
        "[[variants]]\nid = \"w\"\nstages = [{ id = \"a\", fields = [\"email\", \"nope\"] }]",
        "spec.variant_breaks_spec",
    );
    let zero = SPEC.replace("min_sample = 50", "min_sample = 0");
    let errors = FormSpec::parse_toml(&zero).expect_err("min_sample 0");
    assert!(errors
        .0
        .iter()
        .any(|e| e.code() == "spec.experiment_min_sample_zero"));
    // The variants and the mode are public: the widget needs them.
    let public = spec().public_json();
    assert!(
        public.contains("\"variants\"") && public.contains("Quick quote"),
        "{public}"
    );
}

#[test]
fn beacon_batches_table() {
    let spec = spec();
    let ok =
        |body: &str| EventBatch::parse(body.as_bytes()).and_then(|b| b.check(&spec).map(|()| b));
    let cases: Vec<(String, Result<(), EventError>)> = vec![
        (r#"{"v":1,"form":"ab","events":[{"k":"seen"}]}"#.into(), Ok(())),
        (
            r#"{"v":1,"form":"ab","variant":"short","visitor":"abcdefgh12345678","events":[{"k":"start"},{"k":"focus","f":"email"},{"k":"blur","f":"email","ms":1200,"n":2},{"k":"error","f":"email","code":"email.domain_missing"},{"k":"step","n":1},{"k":"submit"},{"k":"accepted"},{"k":"abandon","f":"name"},{"k":"abandon"}]}"#.into(),
            Ok(()),
        ),
        (r#"{"v":1,"form":"ab","events":[{"k":"hover"}]}"#.into(), Err(EventError::UnknownKind)),
        (r#"{"v":1,"form":"ab","events":[{"k":"blur","f":"email","value":"a@b.c"}]}"#.into(), Err(EventError::Malformed)),
        (r#"{"v":1,"form":"ab","email":"a@b.c","events":[{"k":"seen"}]}"#.into(), Err(EventError::Malformed)),
        (r#"{"v":2,"form":"ab","events":[{"k":"seen"}]}"#.into(), Err(EventError::Version)),
        (r#"{"v":1,"form":"ab","events":[]}"#.into(), Err(EventError::Count)),
        (r#"{"v":1,"form":"other","events":[{"k":"seen"}]}"#.into(), Err(EventError::Invalid)),
        (r#"{"v":1,"form":"ab","variant":"long","events":[{"k":"seen"}]}"#.into(), Err(EventError::Invalid)),
        (r#"{"v":1,"form":"ab","visitor":"x","events":[{"k":"seen"}]}"#.into(), Err(EventError::Invalid)),
        (r#"{"v":1,"form":"ab","events":[{"k":"focus","f":"phone"}]}"#.into(), Err(EventError::Invalid)),
        (r#"{"v":1,"form":"ab","events":[{"k":"focus"}]}"#.into(), Err(EventError::Invalid)),
        (r#"{"v":1,"form":"ab","events":[{"k":"seen","f":"email"}]}"#.into(), Err(EventError::Invalid)),
        (r#"{"v":1,"form":"ab","events":[{"k":"error","f":"email","code":"made.up"}]}"#.into(), Err(EventError::Invalid)),
        (r#"{"v":1,"form":"ab","events":[{"k":"blur","f":"email","ms":3600001}]}"#.into(), Err(EventError::Invalid)),
        (r#"{"v":1,"form":"ab","events":[{"k":"step","n":0}]}"#.into(), Err(EventError::Invalid)),
        (r#"{"v":1,"form":"ab","events":[{"k":"seen","ms":5}]}"#.into(), Err(EventError::Invalid)),
        ("not json".into(), Err(EventError::Malformed)),
        (format!(r#"{{"v":1,"form":"ab","events":[{}]}}"#, vec![r#"{"k":"seen"}"#; 65].join(",")), Err(EventError::Count)),
        (format!(r#"{{"v":1,"form":"ab","events":[{}]}}"#, vec![r#"{"k":"focus","f":"company"}"#; 400].join(",")), Err(EventError::TooLarge)),
    ];
    for (body, want) in cases {
        assert_eq!(ok(&body).map(|_| ()), want, "{body}");
    }
    let batch = ok(r#"{"v":1,"form":"ab","events":[{"k":"blur","f":"email","ms":5,"n":1}]}"#)
        .expect("valid");
    assert_eq!(batch.events[0].k, EventKind::Blur);
    // An anonymous form takes no visitor id.
    let mut anonymous = spec.clone();
    anonymous.analytics = leadform_shared::analytics::AnalyticsMode::Anonymous;
    let with_id = EventBatch::parse(
        br#"{"v":1,"form":"ab","visitor":"abcdefgh12345678","events":[{"k":"seen"}]}"#,
    )
    .expect("parses");
    assert_eq!(with_id.check(&anonymous), Err(EventError::Invalid));
    assert_eq!(with_id.check(&spec), Ok(()));
}
