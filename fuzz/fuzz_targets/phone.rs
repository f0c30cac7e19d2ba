//! Fuzz target: `normalise_phone`. The first input byte picks the default
//! country (see `leadform_fuzz::country_input`), the rest is the typed text.
//!
//! Besides "never panics", every accepted number must satisfy:
//! - it is E.164: `+` and 2 to 15 digits;
//! - it is a fixed point whatever the default country (an international
//!   number does not depend on where it is read);
//! - input starting with `+` gives the same verdict under any default country;
//! - when its calling code is the default country's, the national significant
//!   number typed alone (nationally) gives the same E.164 number;
//! - `phone_country` names a country with that calling code, if any.
//!
//! Refusals must carry a `phone.*` code.

#![no_main]

use leadform_fuzz::{assert_typed, country_input};
use leadform_shared::phone::{normalise_phone, phone_country, MAX_E164_DIGITS};
use leadform_shared::Country;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((default, input)) = country_input(data) else {
        return;
    };
    let verdict = normalise_phone(input, default);
    if input.trim_start().starts_with(['+', '\u{ff0b}']) {
        // Compare with one other default country (all of them would be slow).
        let other = if default == Country::JP {
            Country::BR
        } else {
            Country::JP
        };
        assert_eq!(
            normalise_phone(input, other),
            verdict,
            "{input:?}: international input depends on the default country ({default} vs {other})"
        );
    }
    let e164 = match verdict {
        Ok(e164) => e164,
        Err(code) => {
            assert_typed(code);
            assert!(
                code.as_str().starts_with("phone."),
                "{code:?} for {input:?}"
            );
            return;
        }
    };
    let digits = e164.strip_prefix('+').expect("E.164 starts with +");
    assert!(
        (2..=MAX_E164_DIGITS).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
        "{e164:?} is not E.164 (input {input:?}, {default})"
    );
    for &country in Country::ALL {
        assert_eq!(
            normalise_phone(&e164, country).as_ref(),
            Ok(&e164),
            "{e164:?} (from {input:?}, {default}) is not a fixed point under {country}"
        );
    }
    let code = default.calling_code().to_string();
    if let Some(nsn) = digits.strip_prefix(&code) {
        assert_eq!(
            normalise_phone(nsn, default).as_ref(),
            Ok(&e164),
            "{e164:?} (from {input:?}): its national number {nsn:?} typed in {default} differs"
        );
    }
    if let Some(country) = phone_country(&e164) {
        assert!(
            digits.starts_with(&country.calling_code().to_string()),
            "phone_country({e164:?}) = {country}"
        );
    }
});
