//! Fuzz target: `FormSpec::parse_toml` and `FormSpec::parse_json` on the same
//! arbitrary UTF-8 text.
//!
//! Properties of every spec that loads (and so passed `FormSpec::check`):
//! - its JSON (what `edge/build.rs` embeds) loads back to the same spec;
//! - its public JSON (what `GET /v1/forms/{id}` serves) loads in the widget
//!   to a spec with the same `public_hash`, and without destinations: if the
//!   two hashes differed, every submission would be refused;
//! - when the `toml` crate can write it, the TOML loads back to the same spec;
//! - `select_fields` (nothing known yet, then everything known) selects only
//!   existing fields, each once, and at least one;
//! - validating an empty submission asking every field never panics, and its
//!   issues are typed and name a field or consent of the spec.
//!
//! Refused specs must list at least one error, each with a `spec.*` code.

#![no_main]

use std::collections::BTreeSet;

use leadform_fuzz::assert_typed;
use leadform_shared::{select_fields, validate_submission, FieldMap, FormSpec, SpecErrors};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    for loaded in [FormSpec::parse_toml(source), FormSpec::parse_json(source)] {
        match loaded {
            Ok(spec) => check_loaded(&spec),
            Err(SpecErrors(errors)) => {
                assert!(!errors.is_empty(), "refused without an error");
                for error in errors {
                    assert!(error.code().starts_with("spec."), "{error:?}");
                    let _ = error.to_string();
                }
            }
        }
    }
});

fn check_loaded(spec: &FormSpec) {
    let json = serde_json::to_string(spec).expect("a spec serialises to JSON");
    let embedded = FormSpec::parse_json(&json)
        .unwrap_or_else(|e| panic!("a loaded spec's JSON does not load: {e}\n{json}"));
    assert_eq!(&embedded, spec, "JSON round trip changes the spec: {json}");

    let public_json = serde_json::to_string(&spec.public()).expect("public JSON");
    let widget = FormSpec::parse_json(&public_json)
        .unwrap_or_else(|e| panic!("the public JSON does not load: {e}\n{public_json}"));
    assert!(widget.destinations.is_empty());
    assert_eq!(
        widget.public_hash(),
        spec.public_hash(),
        "the widget would send another spec hash: {public_json}"
    );

    if let Ok(toml) = toml::to_string(spec) {
        let again = FormSpec::parse_toml(&toml)
            .unwrap_or_else(|e| panic!("a loaded spec's TOML does not load: {e}\n{toml}"));
        assert_eq!(&again, spec, "TOML round trip changes the spec:\n{toml}");
    }

    let all: BTreeSet<String> = spec.fields.iter().map(|f| f.id.clone()).collect();
    let everything: Vec<String> = all.iter().cloned().collect();
    for known in [Vec::new(), everything] {
        let selection = select_fields(spec, &known);
        let ids = selection.field_ids();
        assert!(!ids.is_empty(), "nothing selected (known: {known:?})");
        let mut seen = BTreeSet::new();
        for id in &ids {
            assert!(all.contains(id), "selected unknown field {id:?}");
            assert!(
                seen.insert(id),
                "field {id:?} selected twice: {selection:?}"
            );
        }
    }

    let asked: Vec<String> = all.into_iter().collect();
    if let Err(issues) = validate_submission(spec, &asked, &FieldMap::new(), &[]) {
        for issue in issues {
            assert_typed(issue.code);
            assert!(
                spec.field(&issue.field).is_some() || spec.consent(&issue.field).is_some(),
                "issue {issue:?} names nothing in the spec"
            );
        }
    }
}
