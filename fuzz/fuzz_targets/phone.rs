//! Fuzz target: `normalise_phone`. The first input byte picks the default
//! country (see `leadform_fuzz::country_input`), the rest is the typed text.
//!
//! Besides "never panics", every accepted number must satisfy:
//! - it is E.164 (`+` and 2 to 15 digits), optionally followed by `;ext=` and
//!   1 to 10 digits, and `PhoneNumber::parse_normalised` splits it into
//!   exactly those parts, which join back to the same text, the same split
//!   `normalise_phone_number` gives for the typed input;
//! - an extension is only ever kept when the input holds an extension marker
//!   (`x`, `ext`, `#`, `;`): a plain number never grows one;
//! - it is a fixed point whatever the default country (an international
//!   number does not depend on where it is read);
//! - input starting with `+` gives the same verdict under any default country;
//! - when its calling code is the default country's, the national significant
//!   number typed alone (nationally), with the same extension if any, gives the
//!   same value;
//! - `phone_country` names a country with that calling code, if any.
//!
//! Refusals must carry a `phone.*` code.

#![no_main]

use leadform_fuzz::{assert_typed, country_input};
use leadform_shared::phone::{
    normalise_phone, normalise_phone_number, phone_country, PhoneNumber, MAX_E164_DIGITS,
    MAX_EXTENSION_DIGITS,
};
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
    let value = match verdict {
        Ok(value) => value,
        Err(code) => {
            assert_typed(code);
            assert!(
                code.as_str().starts_with("phone."),
                "{code:?} for {input:?}"
            );
            assert_eq!(normalise_phone_number(input, default), Err(code));
            return;
        }
    };
    let number = PhoneNumber::parse_normalised(&value)
        .unwrap_or_else(|| panic!("{value:?} does not split (input {input:?}, {default})"));
    assert_eq!(
        number.to_normalised(),
        value,
        "{value:?} does not join back"
    );
    assert_eq!(
        normalise_phone_number(input, default).as_ref(),
        Ok(&number),
        "{input:?}: the split differs from the normalised text"
    );
    let e164 = number.e164();
    let digits = e164.strip_prefix('+').expect("E.164 starts with +");
    assert!(
        (2..=MAX_E164_DIGITS).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
        "{e164:?} is not E.164 (input {input:?}, {default})"
    );
    match number.extension() {
        Some(extension) => {
            assert!(
                (1..=MAX_EXTENSION_DIGITS).contains(&extension.len())
                    && extension.bytes().all(|b| b.is_ascii_digit()),
                "{value:?}: bad extension (input {input:?})"
            );
            assert!(
                input.contains(['x', 'X', '#', ';']),
                "{value:?}: an extension from input without a marker {input:?}"
            );
        }
        None => assert_eq!(value, e164, "{value:?} has more than a number"),
    }
    for &country in Country::ALL {
        assert_eq!(
            normalise_phone(&value, country).as_ref(),
            Ok(&value),
            "{value:?} (from {input:?}, {default}) is not a fixed point under {country}"
        );
    }
    let code = default.calling_code().to_string();
    if let Some(nsn) = digits.strip_prefix(&code) {
        let national = match number.extension() {
            Some(extension) => format!("{nsn} x{extension}"),
            None => nsn.to_owned(),
        };
        assert_eq!(
            normalise_phone(&national, default).as_ref(),
            Ok(&value),
            "{value:?} (from {input:?}): its national number {national:?} typed in {default} differs"
        );
    }
    if let Some(country) = phone_country(e164) {
        assert!(
            digits.starts_with(&country.calling_code().to_string()),
            "phone_country({e164:?}) = {country}"
        );
    }
});
