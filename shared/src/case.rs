//! Unicode lower-casing, one character at a time, for email domains and
//! dedup keys, with the case tables optional.
//!
//! Two back ends, chosen at build time:
//! - feature `unicode-tables` (default; the edge, native tests and tools):
//!   `char::to_lowercase` from core (its tables cost about 10 KB of wasm);
//! - without it (the widget): a mapper the embedding installs once with
//!   [`install_lowercase`]; the widget installs the browser's
//!   `String.prototype.toLowerCase`, called on each non-ASCII character alone
//!   so that no context rule (Greek final sigma) applies, as in core. Both
//!   follow Unicode's `UnicodeData` and unconditional `SpecialCasing`
//!   mappings; they can differ only on characters one of them does not know
//!   yet, and the edge's answer is the one stored.
//!
//! ASCII is lowered here and never reaches either back end. Without the
//! tables and without an installed mapper, non-ASCII characters are kept as
//! typed (the edge still lowers them). This module must not do anything else:
//! no normalisation (see `nfc`), no other Unicode properties.

use std::sync::OnceLock;

/// Lower-cases one non-ASCII character, appending the result to the string.
pub type LowerCharFn = fn(char, &mut String);

static INSTALLED: OnceLock<LowerCharFn> = OnceLock::new();

/// Installs the character lower-caser used when the crate is built without
/// the `unicode-tables` feature. The first installation wins; with the
/// feature the tables are used and this has no effect.
pub fn install_lowercase(lower_char: LowerCharFn) {
    let _ = INSTALLED.set(lower_char);
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

#[cfg(feature = "unicode-tables")]
fn lower_non_ascii(c: char, out: &mut String) {
    out.extend(c.to_lowercase());
}

#[cfg(not(feature = "unicode-tables"))]
fn lower_non_ascii(c: char, out: &mut String) {
    match INSTALLED.get() {
        Some(lower_char) => lower_char(c, out),
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

    #[cfg(not(feature = "unicode-tables"))]
    #[test]
    fn without_tables_ascii_is_lowered_and_the_rest_kept() {
        assert_eq!(lowercase("AbÄ"), "abÄ");
    }
}
