//! The Big List of Naughty Strings through every field rule: each string is
//! normalised or refused with a typed code; nothing panics; what is accepted
//! normalises to itself again, and accepted text keeps no control characters
//! (bar `\n` and `\t` in multiline text).
//!
//! The corpus lives outside the repository (`../shared/corpora/blns.json`
//! relative to the repo root); a missing corpus fails the test, it never skips.

use leadform_shared::email::{email_dedup_key, normalise_email};
use leadform_shared::phone::{normalise_phone, phone_country, PhoneNumber};
use leadform_shared::postal::normalise_postal;
use leadform_shared::text::{char_count, normalise_text, TextRules};
use leadform_shared::{Country, ErrorCode};

fn corpus() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/corpora/blns.json"
    );
    let source = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "the naughty-strings corpus {path} is required and could not be read ({e}); \
             see ../shared/corpora/README.md relative to the repository root"
        )
    });
    let strings: Vec<String> = serde_json::from_str(&source)
        .unwrap_or_else(|e| panic!("{path} is not a JSON array of strings: {e}"));
    assert!(
        strings.len() > 500,
        "{path}: {} strings, the corpus looks truncated",
        strings.len()
    );
    strings
}

/// Records a problem unless the error is a known, typed code.
fn typed(result: &Result<String, ErrorCode>, what: &str, problems: &mut Vec<String>) {
    if let Err(code) = result {
        if ErrorCode::from_code(code.as_str()) != Some(*code) {
            problems.push(format!("{what}: untyped error {code:?}"));
        }
    }
}

#[test]
fn naughty_strings_through_every_rule() {
    let strings = corpus();
    let mut problems = Vec::new();
    let mut accepted = [0usize; 4];
    for naughty in &strings {
        let email = normalise_email(naughty);
        typed(&email, "email", &mut problems);
        if let Ok(value) = &email {
            accepted[0] += 1;
            if normalise_email(value).as_ref() != Ok(value) {
                problems.push(format!("email not idempotent: {naughty:?} -> {value:?}"));
            }
            let key = email_dedup_key(value);
            if email_dedup_key(&key) != key {
                problems.push(format!("email dedup key not stable: {value:?} -> {key:?}"));
            }
        }
        // The helpers take any string too (they must not assume normalised input).
        let _ = email_dedup_key(naughty);
        if let Some(country) = phone_country(naughty) {
            if !naughty.starts_with(&format!("+{}", country.calling_code())) {
                problems.push(format!("phone_country {naughty:?} -> {country}"));
            }
        }
        for &country in Country::ALL {
            let phone = normalise_phone(naughty, country);
            typed(&phone, "phone", &mut problems);
            if let Ok(value) = &phone {
                accepted[1] += 1;
                // E.164, with `;ext=` and its digits when an extension was typed.
                let shape_ok = PhoneNumber::parse_normalised(value)
                    .is_some_and(|number| number.to_normalised() == *value);
                if !shape_ok || normalise_phone(value, Country::US).as_ref() != Ok(value) {
                    problems.push(format!("phone {country}: {naughty:?} -> {value:?}"));
                }
            }
            let postal = normalise_postal(naughty, country);
            typed(&postal, "postal", &mut problems);
            if let Ok(value) = &postal {
                accepted[2] += 1;
                if !value.is_ascii() || normalise_postal(value, country).as_ref() != Ok(value) {
                    problems.push(format!("postal {country}: {naughty:?} -> {value:?}"));
                }
            }
        }
        for multiline in [false, true] {
            let rules = TextRules {
                min_chars: None,
                max_chars: Some(10_000),
                multiline,
            };
            let text = normalise_text(naughty, rules);
            typed(&text, "text", &mut problems);
            let Ok(value) = &text else { continue };
            accepted[3] += 1;
            if char_count(value) > 10_000 {
                problems.push(format!("text over max_chars: {naughty:?}"));
            }
            if value
                .chars()
                .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
            {
                problems.push(format!(
                    "text (multiline {multiline}) kept a control character: {naughty:?} -> {value:?}"
                ));
            }
            if normalise_text(value, rules).as_ref() != Ok(value) {
                problems.push(format!("text not idempotent: {naughty:?} -> {value:?}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The corpus is mostly prose: text must accept much of it, or the rule
    // refuses too eagerly.
    assert!(
        accepted[3] > strings.len(),
        "text accepted only {} of {} runs",
        accepted[3],
        2 * strings.len()
    );
    println!(
        "accepted: email {}, phone {}, postal {}, text {} (of {} strings)",
        accepted[0],
        accepted[1],
        accepted[2],
        accepted[3],
        strings.len()
    );
}
