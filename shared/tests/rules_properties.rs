//! Property tests of the field rules: no input makes them panic, what they
//! accept has the documented shape, and normalising an already-normalised
//! value changes nothing (idempotence).
//!
//! Each rule gets arbitrary strings (controls and all of Unicode included) and
//! near-valid strings built from the characters its parser cares about, since
//! random strings almost never get past the first check.

use leadform_shared::email::{email_dedup_key, normalise_email};
use leadform_shared::phone::{normalise_phone, phone_country, PhoneNumber};
use leadform_shared::postal::normalise_postal;
use leadform_shared::text::{char_count, normalise_text, TextRules};
use leadform_shared::Country;
use proptest::prelude::*;

fn country() -> impl Strategy<Value = Country> {
    prop::sample::select(Country::ALL.to_vec())
}

/// Strings of 0..max characters drawn from `alphabet`.
fn from_chars(alphabet: &'static [char], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(alphabet), 0..max)
        .prop_map(|chars| chars.into_iter().collect())
}

const EMAIL_CHARS: &[char] = &[
    'a', 'Z', '0', '.', '.', '@', '@', '-', '_', '+', '"', '\\', ' ', '(', '[', ']', 'é', 'e',
    '\u{301}', 'İ', 'Σ', 'ß', '例', '。', '．', 'ा', '\u{200d}', '\u{a0}', '\t', '·', 'l', '・',
    '\u{0}', '\u{7f}', '😀',
];

const PHONE_CHARS: &[char] = &[
    '0', '0', '1', '1', '2', '3', '4', '5', '6', '7', '8', '9', '9', ' ', '-', '.', '(', ')', '/',
    '+', '＋', '０', '５', '–', '\u{a0}', 'x', '#',
];

const POSTAL_CHARS: &[char] = &[
    'A', 'B', 'C', 'G', 'I', 'K', 'M', 'Q', 'R', 'S', 'W', 'Z', 'a', 's', 'w', '0', '1', '2', '5',
    '9', ' ', '-', '\u{a0}', 'ß', 'ﬀ', '１',
];

const TEXT_CHARS: &[char] = &[
    'a',
    ' ',
    ' ',
    '\n',
    '\r',
    '\t',
    '\u{b}',
    '\u{0}',
    '\u{85}',
    '\u{2028}',
    '\u{a0}',
    'e',
    '\u{301}',
    '\u{200d}',
    '\u{200f}',
    '\u{202e}',
    '\u{2066}',
    '\u{fe0f}',
    '👩',
    '💻',
    '\u{1f3f4}',
    '\u{e0067}',
    '\u{e0062}',
    '\u{e007f}',
    '\u{fffe}',
    '\u{1100}',
    '\u{1161}',
    '日',
];

proptest! {
    // At least 512 cases; `PROPTEST_CASES` raises it for a deeper run.
    #![proptest_config(ProptestConfig::with_cases(ProptestConfig::default().cases.max(512)))]

    #[test]
    fn email_never_panics_and_is_idempotent(
        input in prop_oneof![
            "(?s).{0,80}",
            from_chars(EMAIL_CHARS, 40),
            "[a-zA-Z0-9.+_-]{1,20}@[a-zA-Z0-9.-]{1,30}",
            "\"[ -~]{0,10}\"@[a-z]{1,5}\\.[a-z]{2,3}",
        ]
    ) {
        if let Ok(once) = normalise_email(&input) {
            prop_assert!(once.len() <= 254 && once.contains('@'));
            prop_assert!(!once.chars().any(char::is_control));
            prop_assert_eq!(normalise_email(&once), Ok(once.clone()));
            let key = email_dedup_key(&once);
            prop_assert_eq!(email_dedup_key(&key), key);
        }
    }

    #[test]
    fn phone_never_panics_and_is_idempotent(
        input in prop_oneof![
            "(?s).{0,30}",
            from_chars(PHONE_CHARS, 24),
            "(\\+|00|011|0011|010)?[0-9 ().-]{0,20}",
        ],
        default in country(),
        other in country(),
    ) {
        if let Ok(value) = normalise_phone(&input, default) {
            // E.164, then `;ext=` and 1-10 digits when an extension was typed.
            let Some(number) = PhoneNumber::parse_normalised(&value) else {
                return Err(TestCaseError::fail(format!("bad normalised phone {value}")));
            };
            prop_assert_eq!(number.to_normalised(), value.clone());
            let digits = number.e164().strip_prefix('+').unwrap_or("");
            prop_assert!((4..=15).contains(&digits.len()), "bad E.164 {}", value);
            prop_assert_eq!(normalise_phone(&value, other), Ok(value.clone()));
            if let Some(country) = phone_country(number.e164()) {
                prop_assert!(digits.starts_with(&country.calling_code().to_string()));
            }
        }
    }

    #[test]
    fn postal_never_panics_and_is_idempotent(
        input in prop_oneof![
            "(?s).{0,12}",
            from_chars(POSTAL_CHARS, 10),
            "[A-Za-z0-9 -]{0,10}",
        ],
        country in country(),
    ) {
        if let Ok(once) = normalise_postal(&input, country) {
            prop_assert!(once.is_ascii() && once.trim() == once && !once.is_empty());
            prop_assert_eq!(normalise_postal(&once, country), Ok(once.clone()));
        }
    }

    #[test]
    fn text_never_panics_and_is_idempotent(
        input in prop_oneof!["(?s).{0,60}", from_chars(TEXT_CHARS, 30)],
        multiline in any::<bool>(),
        min in prop::option::of(0u32..10),
        max in prop::option::of(1u32..80),
    ) {
        let rules = TextRules { min_chars: min, max_chars: max, multiline };
        if let Ok(once) = normalise_text(&input, rules) {
            prop_assert_eq!(once.trim(), once.as_str());
            prop_assert!(!once.contains('\r'));
            prop_assert!(multiline || !once.contains(['\n', '\t']));
            prop_assert!(
                !once.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
                "control character kept in {:?}", once
            );
            if !once.is_empty() {
                let count = char_count(&once);
                prop_assert!(min.is_none_or(|m| count >= m as usize));
                prop_assert!(max.is_none_or(|m| count <= m as usize));
            }
            prop_assert_eq!(normalise_text(&once, rules), Ok(once.clone()));
        }
    }
}
