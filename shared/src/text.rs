//! Text normalisation for free-text fields: NFC, trimming, line-break
//! unification, refusal of control and dangerous invisible characters, and
//! length bounds counted in Unicode scalar values after NFC (so a precomposed
//! `é` and `e` + combining acute count the same).
//!
//! Refused ([`ErrorCode::TextControlCharacter`]): C0 and C1 controls (bar line
//! breaks, and tabs in multiline text), DEL, the bidi embedding, override and
//! isolate controls U+202A..U+202E and U+2066..U+2069 ("Trojan Source"), the
//! interlinear annotation controls U+FFF9..U+FFFB, noncharacters, and Unicode
//! tag characters outside an emoji tag sequence (hidden "ASCII smuggling" text;
//! the flags of England, Scotland and Wales still pass). Zero-width joiners,
//! variation selectors and LRM/RLM marks are kept: emoji and right-to-left
//! scripts need them.
//!
//! Line breaks (`\n`, `\r\n`, `\r`, NEL, U+2028, U+2029) become `\n` and are
//! allowed only in multiline text ([`ErrorCode::TextLineBreak`] otherwise).
//!
//! It returns the normalised text or an [`ErrorCode`]; it must not decide
//! whether an empty value is allowed (the caller knows if the field is
//! required), and must not rewrite anything else (no case folding, no
//! whitespace collapsing inside the text).

use crate::nfc::nfc;
use crate::ErrorCode;

/// Bounds and options for one text field.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TextRules {
    /// Fewest Unicode scalar values after normalisation (an empty value is
    /// returned as `Ok("")` regardless: "required" is the caller's rule).
    pub min_chars: Option<u32>,
    /// Most Unicode scalar values after normalisation.
    pub max_chars: Option<u32>,
    /// Whether line breaks (and tabs) are allowed: textareas.
    pub multiline: bool,
}

/// Length in Unicode scalar values; call on NFC text.
pub fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// Characters never accepted, whatever the rules.
fn is_forbidden(c: char) -> bool {
    let cp = u32::from(c);
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{fff9}'..='\u{fffb}' | '\u{fdd0}'..='\u{fdef}' | '\u{e0001}')
        // Noncharacters U+xFFFE and U+xFFFF in every plane.
        || cp & 0xfffe == 0xfffe
}

/// Tag characters U+E0020..U+E007E; U+E007F (cancel tag) ends a sequence.
fn is_tag(c: char) -> bool {
    matches!(c, '\u{e0020}'..='\u{e007e}')
}

const CANCEL_TAG: char = '\u{e007f}';
/// WAVING BLACK FLAG, the only base of RGI emoji tag sequences.
const TAG_BASE: char = '\u{1f3f4}';

/// Where we are relative to an emoji tag sequence (`🏴` + tags + cancel tag).
#[derive(Clone, Copy, PartialEq, Eq)]
enum TagState {
    Outside,
    AfterBase,
    InTags,
}

/// Normalises `input` per `rules`. Empty after trimming gives `Ok("")`.
pub fn normalise_text(input: &str, rules: TextRules) -> Result<String, ErrorCode> {
    let nfc = nfc(input);
    let trimmed = nfc.trim();
    let mut out = String::with_capacity(trimmed.len());
    let mut chars = trimmed.chars().peekable();
    let mut tags = TagState::Outside;
    while let Some(c) = chars.next() {
        tags = match (tags, c) {
            (TagState::AfterBase | TagState::InTags, t) if is_tag(t) => TagState::InTags,
            (TagState::InTags, CANCEL_TAG) => TagState::Outside,
            (TagState::InTags, _) => return Err(ErrorCode::TextControlCharacter),
            (_, t) if is_tag(t) || t == CANCEL_TAG => return Err(ErrorCode::TextControlCharacter),
            (_, TAG_BASE) => TagState::AfterBase,
            _ => TagState::Outside,
        };
        let line_break = match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                true
            }
            '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => true,
            _ => false,
        };
        if line_break {
            if !rules.multiline {
                return Err(ErrorCode::TextLineBreak);
            }
            out.push('\n');
        } else if c == '\t' {
            if !rules.multiline {
                return Err(ErrorCode::TextControlCharacter);
            }
            out.push(c);
        } else if is_forbidden(c) {
            return Err(ErrorCode::TextControlCharacter);
        } else {
            out.push(c);
        }
    }
    if tags == TagState::InTags {
        // Tag characters never closed by a cancel tag.
        return Err(ErrorCode::TextControlCharacter);
    }
    if out.is_empty() {
        return Ok(out);
    }
    let count = char_count(&out);
    if rules.min_chars.is_some_and(|min| count < min as usize) {
        return Err(ErrorCode::TextTooShort);
    }
    if rules.max_chars.is_some_and(|max| count > max as usize) {
        return Err(ErrorCode::TextTooLong);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SINGLE: TextRules = TextRules {
        min_chars: Some(2),
        max_chars: Some(5),
        multiline: false,
    };
    const MULTI: TextRules = TextRules {
        min_chars: None,
        max_chars: Some(20),
        multiline: true,
    };
    const OPEN: TextRules = TextRules {
        min_chars: None,
        max_chars: None,
        multiline: false,
    };

    #[test]
    fn cases() {
        let scotland = "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}";
        let cases: &[(&str, TextRules, Result<&str, ErrorCode>)] = &[
            ("  hello  ", SINGLE, Ok("hello")),
            ("", SINGLE, Ok("")),
            ("   ", SINGLE, Ok("")),
            ("\r\n\t ", SINGLE, Ok("")),
            ("a", SINGLE, Err(ErrorCode::TextTooShort)),
            ("abcdef", SINGLE, Err(ErrorCode::TextTooLong)),
            ("abcde", SINGLE, Ok("abcde")),
            // NFD input: 5 letters + combining acute = 5 scalar values after NFC.
            ("Rene\u{301}e", SINGLE, Ok("Renée")),
            ("Renée", SINGLE, Ok("Renée")),
            // Hangul jamo compose to one syllable each.
            (
                "\u{1112}\u{1161}\u{11ab}",
                SINGLE,
                Err(ErrorCode::TextTooShort),
            ),
            ("👩‍💻", OPEN, Ok("👩‍💻")),
            ("👍🏽 ok", OPEN, Ok("👍🏽 ok")),
            ("❤\u{fe0f}", OPEN, Ok("❤\u{fe0f}")),
            (scotland, OPEN, Ok(scotland)),
            (
                "hi\u{e0068}\u{e0069}",
                OPEN,
                Err(ErrorCode::TextControlCharacter),
            ),
            (
                "\u{1f3f4}\u{e0067}\u{e0062}",
                OPEN,
                Err(ErrorCode::TextControlCharacter),
            ),
            (
                "\u{1f3f4}\u{e0067}x\u{e007f}",
                OPEN,
                Err(ErrorCode::TextControlCharacter),
            ),
            ("a\u{e007f}", OPEN, Err(ErrorCode::TextControlCharacter)),
            ("a\u{e0001}b", OPEN, Err(ErrorCode::TextControlCharacter)),
            ("a\u{0}b", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("\u{0}", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("a\u{7}b", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("a\u{1b}[31mb", OPEN, Err(ErrorCode::TextControlCharacter)),
            ("a\u{7f}b", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("ab\u{202e}cd", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("ab\u{2066}cd", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("a\u{9b}b", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("a\u{fffb}b", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("a\u{fffe}b", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("a\u{10ffff}b", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("a\u{fdd0}b", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("ab\u{200f}c", SINGLE, Ok("ab\u{200f}c")),
            ("a\nb", SINGLE, Err(ErrorCode::TextLineBreak)),
            ("a\rb", SINGLE, Err(ErrorCode::TextLineBreak)),
            ("a\u{2028}b", SINGLE, Err(ErrorCode::TextLineBreak)),
            ("a\u{85}b", SINGLE, Err(ErrorCode::TextLineBreak)),
            ("a\tb", SINGLE, Err(ErrorCode::TextControlCharacter)),
            ("ab\n", SINGLE, Ok("ab")),
            ("line1\r\nline2", MULTI, Ok("line1\nline2")),
            ("a\r\n\r\nb", MULTI, Ok("a\n\nb")),
            ("a\rb", MULTI, Ok("a\nb")),
            ("a\u{2028}b\u{2029}c\u{85}d", MULTI, Ok("a\nb\nc\nd")),
            ("a\tb", MULTI, Ok("a\tb")),
            ("a\u{0}b", MULTI, Err(ErrorCode::TextControlCharacter)),
            ("a\u{b}b", MULTI, Err(ErrorCode::TextControlCharacter)),
            ("\u{a0}nbsp trimmed\u{3000}", MULTI, Ok("nbsp trimmed")),
            ("日本語のテキスト", MULTI, Ok("日本語のテキスト")),
            ("مرحبا بالعالم", MULTI, Ok("مرحبا بالعالم")),
            // Line endings count as one character each.
            ("12345678\r\n90", MULTI, Ok("12345678\n90")),
        ];
        for (input, rules, expected) in cases {
            let got = normalise_text(input, *rules);
            assert_eq!(got.as_deref().map_err(|e| *e), *expected, "input {input:?}");
        }
    }

    #[test]
    fn length_is_counted_after_nfc_and_line_unification() {
        let rules = TextRules {
            min_chars: None,
            max_chars: Some(3),
            multiline: true,
        };
        assert_eq!(normalise_text("e\u{301}\r\nx", rules), Ok("é\nx".into()));
        assert_eq!(
            normalise_text("e\u{301}\r\nxy", rules),
            Err(ErrorCode::TextTooLong)
        );
        assert_eq!(char_count("é\nx"), 3);
    }

    #[test]
    fn output_is_a_fixed_point() {
        for input in ["  a\r\nb  ", "e\u{301}", "x\u{2028}y", "\t tab\t"] {
            let rules = TextRules {
                multiline: true,
                ..TextRules::default()
            };
            let once = normalise_text(input, rules).unwrap();
            assert_eq!(normalise_text(&once, rules), Ok(once.clone()));
        }
    }
}
