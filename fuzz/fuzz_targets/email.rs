//! Fuzz target: `normalise_email` on arbitrary UTF-8.
//!
//! Besides "never panics", every accepted address must satisfy:
//! - it is a fixed point: normalising it again gives it back, also with
//!   surrounding whitespace, and with the domain upper-cased where that
//!   is plain ASCII;
//! - it respects the documented limits (254 octets in all, 64 local,
//!   255 domain, 63 per label) and has a dotted domain;
//! - it is NFC, trimmed, and has a lower-case domain;
//! - its dedup key is itself a fixed point of `email_dedup_key`.
//!
//! Refusals must carry an `email.*` code.

#![no_main]

use leadform_fuzz::assert_typed;
use leadform_shared::email::{
    email_dedup_key, normalise_email, MAX_ADDRESS_OCTETS, MAX_DOMAIN_OCTETS, MAX_LABEL_OCTETS,
    MAX_LOCAL_OCTETS,
};
use libfuzzer_sys::fuzz_target;
use unicode_normalization::UnicodeNormalization;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let address = match normalise_email(input) {
        Ok(address) => address,
        Err(code) => {
            assert_typed(code);
            assert!(
                code.as_str().starts_with("email."),
                "{code:?} for {input:?}"
            );
            return;
        }
    };
    assert_eq!(
        normalise_email(&address).as_ref(),
        Ok(&address),
        "not a fixed point (input {input:?})"
    );
    assert_eq!(
        normalise_email(&format!(" \t{address}\n")).as_ref(),
        Ok(&address),
        "surrounding whitespace changes {address:?}"
    );
    assert!(address.len() <= MAX_ADDRESS_OCTETS, "{address:?} too long");
    let (local, domain) = address.rsplit_once('@').expect("an address has an `@`");
    assert!(
        !local.is_empty() && local.len() <= MAX_LOCAL_OCTETS,
        "{address:?}"
    );
    assert!(domain.len() <= MAX_DOMAIN_OCTETS, "{address:?}");
    assert!(domain.contains('.'), "{address:?}: domain without a dot");
    for label in domain.split('.') {
        assert!(
            !label.is_empty() && label.len() <= MAX_LABEL_OCTETS,
            "{address:?}: bad label {label:?}"
        );
    }
    assert_eq!(address.trim(), address, "not trimmed");
    assert!(
        address.nfc().eq(address.chars()),
        "{address:?} is not NFC (input {input:?})"
    );
    let lower_domain: String = domain.chars().flat_map(char::to_lowercase).collect();
    assert_eq!(
        lower_domain.nfc().collect::<String>(),
        domain,
        "domain of {address:?} is not lower-case"
    );
    assert!(
        !address.chars().any(char::is_control),
        "control character kept in {address:?}"
    );
    if domain.is_ascii() {
        let shouted = format!("{local}@{}", domain.to_ascii_uppercase());
        assert_eq!(
            normalise_email(&shouted).as_ref(),
            Ok(&address),
            "upper-case domain {shouted:?} normalises differently"
        );
    }
    let key = email_dedup_key(&address);
    assert_eq!(email_dedup_key(&key), key, "dedup key is not stable");
});
