//! Fuzz target: `normalise_postal`. The first input byte picks the country
//! (see `leadform_fuzz::country_input`), the rest is the typed text.
//!
//! Besides "never panics", every accepted code must satisfy:
//! - it is a fixed point for its country;
//! - it is canonical: upper-case ASCII letters, digits, at most one space
//!   or one `-`, no leading or trailing space;
//! - the verdict ignores ASCII case and whitespace in the input (lower-cased
//!   input and input without any whitespace read the same).
//!
//! Refusals must carry a `postal.*` code.

#![no_main]

use leadform_fuzz::{assert_typed, country_input};
use leadform_shared::postal::normalise_postal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((country, input)) = country_input(data) else {
        return;
    };
    let verdict = normalise_postal(input, country);
    assert_eq!(
        normalise_postal(&input.to_ascii_lowercase(), country),
        verdict,
        "{input:?} ({country}): ASCII case changes the verdict"
    );
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.is_empty() {
        assert_eq!(
            normalise_postal(&compact, country),
            verdict,
            "{input:?} ({country}): whitespace changes the verdict"
        );
    }
    let code = match verdict {
        Ok(code) => code,
        Err(error) => {
            assert_typed(error);
            assert!(
                error.as_str().starts_with("postal."),
                "{error:?} for {input:?}"
            );
            return;
        }
    };
    assert_eq!(
        normalise_postal(&code, country).as_ref(),
        Ok(&code),
        "{code:?} (from {input:?}, {country}) is not a fixed point"
    );
    assert!(
        code.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'-'),
        "{code:?} (from {input:?}, {country}) is not canonical"
    );
    assert_eq!(code.trim(), code);
    assert!(code.matches([' ', '-']).count() <= 1, "{code:?}");
});
