//! Fuzz target: `SubmissionEnvelope::parse` on arbitrary bytes, then
//! validation against the real specs (`examples/forms`, `tests/forms`).
//!
//! Properties:
//! - parsing never panics; a refusal carries an `envelope.*` code;
//! - a parsed envelope re-serialises to JSON that parses to the same envelope
//!   (what the widget retries with is what the edge reads);
//! - against the spec its `form_id` names, a wrong `spec_hash` is refused with
//!   `envelope.spec_hash_mismatch` and nothing else; validation is then run
//!   with the hash taken as matching, so the field rules are reached;
//! - an accepted submission holds only fields that were asked, exist and are
//!   visible; every required visible asked field is there; every stored value
//!   re-validates to itself; every required consent has a ticked record; and
//!   validating the clean submission again accepts it unchanged;
//! - a refused one lists typed issues that name a field, a consent, an id the
//!   envelope sent, or nothing (whole-envelope issues).

#![no_main]

use leadform_fuzz::{assert_typed, specs, LoadedSpec};
use leadform_shared::validate::is_visible;
use leadform_shared::{
    validate_field, validate_submission, CleanSubmission, ErrorCode, FieldIssue, SubmissionEnvelope,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let envelope = match SubmissionEnvelope::parse(data) {
        Ok(envelope) => envelope,
        Err(error) => {
            assert_typed(error.code);
            assert!(
                error.code.as_str().starts_with("envelope."),
                "{:?}",
                error.code
            );
            return;
        }
    };
    let json = envelope.to_json();
    assert_eq!(
        SubmissionEnvelope::parse(json.as_bytes()).as_ref(),
        Ok(&envelope),
        "re-serialised envelope reads differently: {json}"
    );
    for loaded in specs().iter().filter(|l| l.spec.id == envelope.form_id) {
        if envelope.spec_hash != loaded.public_hash {
            assert_eq!(
                envelope.validate_against_hashed(&loaded.spec, &loaded.public_hash),
                Err(vec![FieldIssue::new(
                    "",
                    ErrorCode::EnvelopeSpecHashMismatch
                )])
            );
        }
        let verdict = envelope.validate_against_hashed(&loaded.spec, &envelope.spec_hash);
        match verdict {
            Ok(clean) => check_accepted(loaded, &envelope, &clean),
            Err(issues) => check_refused(loaded, &envelope, &issues),
        }
    }
});

fn check_accepted(loaded: &LoadedSpec, envelope: &SubmissionEnvelope, clean: &CleanSubmission) {
    let spec = &loaded.spec;
    for (id, value) in &clean.values {
        let field = spec
            .field(id)
            .unwrap_or_else(|| panic!("{}: stored unknown field {id:?}", loaded.path));
        assert!(envelope.asked.contains(id), "stored {id:?}, not asked");
        assert!(
            is_visible(spec, field, &envelope.fields),
            "stored {id:?}, which is hidden"
        );
        assert_eq!(
            validate_field(field, Some(value)).as_ref(),
            Ok(&Some(value.clone())),
            "{}: stored value of {id:?} does not re-validate to itself",
            loaded.path
        );
    }
    for field in &spec.fields {
        let shown = envelope.asked.contains(&field.id) && is_visible(spec, field, &envelope.fields);
        if field.required && shown {
            assert!(
                clean.values.contains_key(&field.id),
                "{}: required field {:?} accepted empty",
                loaded.path,
                field.id
            );
        }
    }
    for block in spec.consents.iter().filter(|b| b.required) {
        assert!(
            clean
                .consents
                .iter()
                .any(|r| r.consent_id == block.id && r.checked),
            "required consent {:?} accepted unticked",
            block.id
        );
    }
    let again = validate_submission(spec, &envelope.asked, &clean.values, &clean.consents);
    assert_eq!(
        again.as_ref(),
        Ok(clean),
        "{}: the clean submission does not validate to itself",
        loaded.path
    );
    let _ = clean.contact_key(spec);
}

fn check_refused(loaded: &LoadedSpec, envelope: &SubmissionEnvelope, issues: &[FieldIssue]) {
    assert!(!issues.is_empty(), "refused without an issue");
    let spec = &loaded.spec;
    for issue in issues {
        assert_typed(issue.code);
        let id = issue.field.as_str();
        let known = id.is_empty()
            || spec.field(id).is_some()
            || spec.consent(id).is_some()
            || envelope.asked.iter().any(|a| a == id)
            || envelope.fields.contains_key(id)
            || envelope.consents.iter().any(|c| c.consent_id == id);
        assert!(
            known,
            "{}: issue names {id:?}, which nobody sent",
            loaded.path
        );
    }
}
