//! The Unicode character data the email rules need beyond NFC: per-character
//! lower-casing and the Alphabetic and Numeric properties, with core's tables
//! optional.
//!
//! Two back ends, chosen at build time:
//! - feature `unicode-tables` (default; the edge, native tests and tools):
//!   core's `char::to_lowercase`, `is_alphanumeric` and `is_numeric` (their
//!   tables cost about 12 KB of wasm);
//! - without it (the widget): functions the embedding installs once with
//!   [`install`]. The widget installs the browser's: `toLowerCase` on each
//!   non-ASCII character alone (so no context rule such as the Greek final
//!   sigma applies, as in core) and the regular expressions
//!   `[\p{Alphabetic}\p{N}]` and `\p{N}`. Both sides follow the Unicode
//!   Character Database; they can differ only on characters one of them does
//!   not know yet, and the edge's answer is the one stored. A widget
//!   component test compares them on every scalar value.
//!
//! ASCII never reaches either back end. Without the tables and without an
//! installed back end, non-ASCII characters are kept as typed and count as
//! neither letters nor digits (the edge still decides). This module must not
//! do anything else: no normalisation (see `nfc`), no other properties.

use std::sync::OnceLock;

/// What an embedding built without `unicode-tables` provides.
#[derive(Clone, Copy)]
pub struct UnicodeBackEnd {
    /// Lower-cases one non-ASCII character, appending the result.
    pub lower_char: fn(char, &mut String),
    /// Unicode Alphabetic or Numeric (`char::is_alphanumeric`).
    pub is_alphanumeric: fn(char) -> bool,
    /// Unicode Numeric, general categories Nd, Nl, No (`char::is_numeric`).
    pub is_numeric: fn(char) -> bool,
}

static INSTALLED: OnceLock<UnicodeBackEnd> = OnceLock::new();

/// Installs the back end used when the crate is built without the
/// `unicode-tables` feature. The first installation wins; with the feature
/// core's tables are used and this has no effect.
pub fn install(back_end: UnicodeBackEnd) {
    let _ = INSTALLED.set(back_end);
}

#[cfg(not(feature = "unicode-tables"))]
fn installed() -> Option<&'static UnicodeBackEnd> {
    INSTALLED.get()
}

/// `text` lower-cased character by character: unlike [`str::to_lowercase`]
/// it does not apply the Greek final-sigma rule, so `Σ` always becomes `σ`,
/// as in UTS 46.
pub fn lowercase(text: &str) -> String {
    let mut lowered = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            lowered.push(c.to_ascii_lowercase());
        } else {
            lower_non_ascii(c, &mut lowered);
        }
    }
    lowered
}

/// `char::is_alphanumeric`: Unicode Alphabetic or Numeric.
pub fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    #[cfg(feature = "unicode-tables")]
    return c.is_alphanumeric();
    #[cfg(not(feature = "unicode-tables"))]
    return installed().is_some_and(|back_end| (back_end.is_alphanumeric)(c));
}

/// `char::is_numeric`: Unicode general categories Nd, Nl and No.
pub fn is_numeric(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    #[cfg(feature = "unicode-tables")]
    return c.is_numeric();
    #[cfg(not(feature = "unicode-tables"))]
    return installed().is_some_and(|back_end| (back_end.is_numeric)(c));
}

#[cfg(feature = "unicode-tables")]
fn lower_non_ascii(c: char, out: &mut String) {
    out.extend(c.to_lowercase());
}

#[cfg(not(feature = "unicode-tables"))]
fn lower_non_ascii(c: char, out: &mut String) {
    match installed() {
        Some(back_end) => (back_end.lower_char)(c, out),
        None => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "unicode-tables")]
    #[test]
    fn lowers_per_character() {
        for (input, expected) in [
            ("Example.COM", "example.com"),
            ("ÄÖÜ.de", "äöü.de"),
            // No final-sigma rule: every Σ becomes σ.
            ("ΟΔΟΣ", "οδοσ"),
            // İ lowers to i + COMBINING DOT ABOVE.
            ("İ", "i\u{307}"),
            ("ß", "ß"),
            ("", ""),
        ] {
            assert_eq!(lowercase(input), expected, "{input}");
        }
    }

    #[test]
    fn ascii_answers_as_core_does() {
        for c in '\0'..='\u{7f}' {
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
            assert_eq!(is_numeric(c), c.is_numeric(), "{c:?}");
        }
    }

    #[cfg(feature = "unicode-tables")]
    #[test]
    fn properties_are_cores() {
        for (c, alphanumeric, numeric) in [
            ('é', true, false),
            ('٣', true, true),
            ('½', true, true),
            ('Ⅻ', true, true),
            ('\u{301}', false, false),
            ('€', false, false),
            ('\u{200d}', false, false),
        ] {
            assert_eq!(is_alphanumeric(c), alphanumeric, "{c:?}");
            assert_eq!(is_numeric(c), numeric, "{c:?}");
        }
    }

    #[cfg(not(feature = "unicode-tables"))]
    #[test]
    fn without_tables_or_back_end_ascii_is_handled_and_the_rest_kept() {
        assert_eq!(lowercase("AbÄ"), "abÄ");
        assert!(!is_alphanumeric('é'));
    }
}
