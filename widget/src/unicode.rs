//! The browser's Unicode data and number parsing, installed into the shared
//! rules so that the widget ships without their tables: NFC (`shared::nfc`),
//! per-character lower-casing and the Alphabetic/Numeric properties
//! (`shared::unicode`).
//!
//! Each function answers exactly what the edge answers with its tables for
//! every character both Unicode versions know; `widget/tests/components.rs`
//! compares them on every scalar value. This module must not hold rules: it
//! only gives the browser's answers.

use js_sys::{JsString, RegExp};
use leadform_shared::unicode::UnicodeBackEnd;

/// Installs the browser's NFC and character data into `leadform_shared`.
pub fn install() {
    leadform_shared::nfc::install_nfc(nfc);
    leadform_shared::unicode::install(UnicodeBackEnd {
        lower_char,
        is_alphanumeric,
        is_numeric,
    });
}

/// `String.prototype.normalize("NFC")`.
pub fn nfc(text: &str) -> String {
    JsString::from(text).normalize("NFC").into()
}

/// `toLowerCase` on the character alone, so no context rule applies.
pub fn lower_char(c: char, out: &mut String) {
    let lowered: String = JsString::from(&*c.encode_utf8(&mut [0; 4]))
        .to_lower_case()
        .into();
    out.push_str(&lowered);
}

/// `[\p{Alphabetic}\p{N}]`: `char::is_alphanumeric`.
pub fn is_alphanumeric(c: char) -> bool {
    thread_local! {
        static ALPHANUMERIC: RegExp = RegExp::new(r"^[\p{Alphabetic}\p{N}]$", "u");
    }
    ALPHANUMERIC.with(|regex| regex.test(c.encode_utf8(&mut [0; 4])))
}

/// `\p{N}` (Nd, Nl, No): `char::is_numeric`.
pub fn is_numeric(c: char) -> bool {
    thread_local! {
        static NUMERIC: RegExp = RegExp::new(r"^\p{N}$", "u");
    }
    NUMERIC.with(|regex| regex.test(c.encode_utf8(&mut [0; 4])))
}
