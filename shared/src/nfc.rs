//! Unicode normalisation (NFC) and combining-mark lookup for the text and
//! email rules, with the heavy tables optional.
//!
//! Two back ends, chosen at build time, giving the same answers:
//! - feature `unicode-tables` (default; the edge, native tests and tools): the
//!   `unicode-normalization` crate's tables;
//! - without it (the widget, where those tables would cost about 100 KB of
//!   wasm): a normaliser the embedding installs once with [`install_nfc`]; the
//!   widget installs the browser's `String.prototype.normalize("NFC")`. NFC is
//!   stable across Unicode versions for assigned characters, so both back ends
//!   agree on everything but characters one of them does not know yet.
//!
//! ASCII text is always NFC and never reaches either back end. Combining marks
//! ([`is_combining_mark`]) come from a small range table generated from
//! `unicode-normalization` (canonical combining class not 0) and used by every
//! build; a test checks it against the crate for every scalar value.
//!
//! This module must not do anything else: no case mapping, no other Unicode
//! properties, no I/O. Without `unicode-tables` and without an installed
//! normaliser, non-ASCII text is checked as typed (the edge still normalises).

use std::borrow::Cow;
use std::sync::OnceLock;

/// A normaliser to NFC, installed by an embedding built without `unicode-tables`.
pub type NfcFn = fn(&str) -> String;

static INSTALLED: OnceLock<NfcFn> = OnceLock::new();

/// Installs the NFC normaliser used when the crate is built without the
/// `unicode-tables` feature. The first installation wins; with the feature
/// the tables are used and this has no effect.
pub fn install_nfc(normaliser: NfcFn) {
    let _ = INSTALLED.set(normaliser);
}

/// `text` in Unicode Normalization Form C.
pub fn nfc(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    nfc_non_ascii(text)
}

#[cfg(feature = "unicode-tables")]
fn nfc_non_ascii(text: &str) -> Cow<'_, str> {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

#[cfg(not(feature = "unicode-tables"))]
fn nfc_non_ascii(text: &str) -> Cow<'_, str> {
    match INSTALLED.get() {
        Some(normalise) => Cow::Owned(normalise(text)),
        None => Cow::Borrowed(text),
    }
}

/// Whether `c` has a non-zero canonical combining class (Unicode 18.0, as
/// `unicode-normalization` 0.1.26 knows it).
pub fn is_combining_mark(c: char) -> bool {
    let cp = u32::from(c);
    if cp < 0x300 {
        return false;
    }
    // Entries are `start << 8 | (end - start)`, sorted by start.
    let index = COMBINING.partition_point(|&entry| entry >> 8 <= cp);
    index > 0 && cp - (COMBINING[index - 1] >> 8) <= COMBINING[index - 1] & 0xff
}

/// Ranges of scalar values with a non-zero canonical combining class, as
/// `start << 8 | (end - start)`. Generated from `unicode-normalization`'s
/// `canonical_combining_class`; `tests::combining_table_matches_the_crate`
/// prints a fresh table when the crate changes.
// Each literal is grouped as `start_length-1` for reading, hence the allow.
#[rustfmt::skip]
#[allow(clippy::unusual_byte_groupings)]
const COMBINING: &[u32] = &[
    0x00300_4e, 0x00350_1f, 0x00483_04, 0x00591_2c, 0x005bf_00, 0x005c1_01,
    0x005c4_01, 0x005c7_02, 0x00610_0a, 0x0064b_14, 0x00670_00, 0x006d6_06,
    0x006df_05, 0x006e7_01, 0x006ea_03, 0x00711_00, 0x00730_1a, 0x007eb_08,
    0x007fd_00, 0x00816_03, 0x0081b_08, 0x00825_02, 0x00829_04, 0x00859_02,
    0x00897_08, 0x008ca_17, 0x008e3_1c, 0x0093c_00, 0x0094d_00, 0x00951_03,
    0x009bc_00, 0x009cd_00, 0x009fe_00, 0x00a3c_00, 0x00a4d_00, 0x00abc_00,
    0x00acd_00, 0x00b3c_00, 0x00b4d_00, 0x00bcd_00, 0x00c3c_00, 0x00c4d_00,
    0x00c55_01, 0x00cbc_00, 0x00ccd_00, 0x00d3b_01, 0x00d4d_00, 0x00dca_00,
    0x00e38_02, 0x00e48_03, 0x00eb8_02, 0x00ec8_03, 0x00f18_01, 0x00f35_00,
    0x00f37_00, 0x00f39_00, 0x00f71_01, 0x00f74_00, 0x00f7a_03, 0x00f80_00,
    0x00f82_02, 0x00f86_01, 0x00fc6_00, 0x01037_00, 0x01039_01, 0x0108d_00,
    0x0135d_02, 0x01714_01, 0x01734_00, 0x017d2_00, 0x017dd_00, 0x018a9_00,
    0x01939_02, 0x01a17_01, 0x01a60_00, 0x01a75_07, 0x01a7f_00, 0x01ab0_0d,
    0x01abf_31, 0x01b34_00, 0x01b44_00, 0x01b6b_08, 0x01baa_01, 0x01be6_00,
    0x01bf2_01, 0x01c37_00, 0x01cd0_02, 0x01cd4_0c, 0x01ce2_06, 0x01ced_00,
    0x01cf4_00, 0x01cf8_01, 0x01dc0_3f, 0x020d0_0c, 0x020e1_00, 0x020e5_0b,
    0x02cef_02, 0x02d7f_00, 0x02de0_1f, 0x0302a_05, 0x03099_01, 0x0a66f_00,
    0x0a674_09, 0x0a69e_01, 0x0a6f0_01, 0x0a806_00, 0x0a82c_00, 0x0a8c4_00,
    0x0a8e0_11, 0x0a92b_02, 0x0a953_00, 0x0a9b3_00, 0x0a9c0_00, 0x0aab0_00,
    0x0aab2_02, 0x0aab7_01, 0x0aabe_01, 0x0aac1_00, 0x0aaf6_00, 0x0abed_00,
    0x0fb1e_00, 0x0fe20_0f, 0x101fd_00, 0x102e0_00, 0x10376_04, 0x10a0d_00,
    0x10a0f_00, 0x10a38_02, 0x10a3f_00, 0x10ae5_01, 0x10d24_03, 0x10d69_04,
    0x10eab_01, 0x10ecb_04, 0x10ef0_0b, 0x10efd_02, 0x10f46_0a, 0x10f82_03,
    0x11046_00, 0x11070_00, 0x1107f_00, 0x110b9_01, 0x11100_02, 0x11133_01,
    0x11173_00, 0x111c0_00, 0x111ca_00, 0x11235_01, 0x112e9_01, 0x1133b_01,
    0x1134d_00, 0x11366_06, 0x11370_04, 0x113ce_02, 0x11442_00, 0x11446_00,
    0x1145e_00, 0x114c2_01, 0x115bf_01, 0x1163f_00, 0x116b6_01, 0x1172b_00,
    0x11839_01, 0x1193d_01, 0x11943_00, 0x119e0_00, 0x11a34_00, 0x11a47_00,
    0x11a99_00, 0x11c3f_00, 0x11d42_00, 0x11d44_01, 0x11d97_00, 0x11f41_01,
    0x1612f_00, 0x16af0_04, 0x16b30_06, 0x16ff0_01, 0x1bc9e_00, 0x1d127_01,
    0x1d165_04, 0x1d16d_05, 0x1d17b_07, 0x1d185_06, 0x1d1aa_03, 0x1d242_02,
    0x1d250_02, 0x1d25b_01, 0x1d25f_00, 0x1d280_01, 0x1e000_06, 0x1e008_10,
    0x1e01b_06, 0x1e023_01, 0x1e026_04, 0x1e08f_00, 0x1e130_06, 0x1e2ae_00,
    0x1e2ec_03, 0x1e4ec_03, 0x1e5ee_01, 0x1e6e3_00, 0x1e6e6_00, 0x1e6ee_01,
    0x1e6f5_00, 0x1e8d0_06, 0x1e944_06,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_borrowed() {
        assert!(matches!(nfc("plain ascii"), Cow::Borrowed(_)));
    }

    #[cfg(feature = "unicode-tables")]
    #[test]
    fn composes_with_tables() {
        assert_eq!(nfc("Rene\u{301}e"), "Ren\u{e9}e");
        assert_eq!(nfc("\u{1112}\u{1161}\u{11ab}"), "\u{d55c}");
        assert!(matches!(nfc("d\u{e9}j\u{e0}"), Cow::Borrowed(_)));
    }

    #[cfg(feature = "unicode-tables")]
    #[test]
    fn combining_table_matches_the_crate() {
        use unicode_normalization::char::canonical_combining_class;
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        let mut wrong = Vec::new();
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let expected = canonical_combining_class(c) != 0;
            if expected != is_combining_mark(c) {
                wrong.push(c);
            }
            if expected {
                let cp = u32::from(c);
                match ranges.last_mut() {
                    Some(last) if last.1 + 1 == cp => last.1 = cp,
                    _ => ranges.push((cp, cp)),
                }
            }
        }
        if !wrong.is_empty() {
            let table: Vec<String> = ranges
                .iter()
                .map(|(start, end)| format!("0x{start:05x}_{:02x},", end - start))
                .collect();
            panic!(
                "COMBINING is out of date ({} scalar values differ); replace it with:\n{}",
                wrong.len(),
                table.join(" ")
            );
        }
        assert!(ranges.iter().all(|(start, end)| end - start < 0x100));
    }

    #[test]
    fn combining_marks() {
        assert!(is_combining_mark('\u{301}'));
        assert!(is_combining_mark('\u{5c7}'));
        assert!(is_combining_mark('\u{1e94a}'));
        assert!(!is_combining_mark('e'));
        assert!(!is_combining_mark('\u{2ff}'));
        assert!(!is_combining_mark('\u{1e94b}'));
        assert!(!is_combining_mark('\u{10ffff}'));
    }
}
