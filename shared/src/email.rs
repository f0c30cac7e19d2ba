//! Email addresses: a lean, hand-written RFC 5321 mailbox parser.
//!
//! Accepted:
//! - dot-atom local parts (RFC 5322 `atext`, no leading, trailing or double
//!   dots), with non-ASCII letters, digits and combining marks (RFC 6531);
//! - quoted local parts of printable ASCII with `\`-escaped pairs
//!   (`"john..doe"@example.org`); non-ASCII inside quotes is refused;
//! - domains of dot-separated labels of letters, digits and hyphens (no
//!   leading or trailing hyphen), Unicode letters for IDN kept as Unicode and
//!   lower-cased; the ideographic full stops `。．｡` count as dots (UTS 46).
//!
//! Limits: local part 64 octets, domain 255 octets, label 63 octets, whole
//! address 254 octets (UTF-8). An IDN label must also fit in 63 octets, and
//! the domain in 255, in its ASCII (`xn--`, Punycode) form, which is what DNS
//! carries.
//!
//! Refused on purpose: domains without a dot (`user@localhost`,
//! [`ErrorCode::EmailDomainNoDot`]), IP literals (`user@[192.0.2.1]`,
//! [`ErrorCode::EmailDomainInvalid`]: legal in RFC 5321 but no lead form
//! wants them and they defeat domain checks), all-numeric top-level labels,
//! comments and display names (`John <john@example.com>`), and invisible or
//! control characters anywhere (zero-width joiners included: they make two
//! addresses look alike). Not checked: whether the domain exists, the
//! finer IDNA 2008 rules (contextual joiners, script mixing, bidi).
//!
//! The normalised form is NFC, trimmed, with the local part as typed (it may be
//! case-sensitive) and the domain lower-cased. No regex, no IDNA tables: this
//! module must stay small enough for the widget and must not do I/O (no DNS).

use crate::nfc::{is_combining_mark, nfc};
use crate::unicode::{is_alphanumeric, is_numeric, lowercase};
use crate::ErrorCode;

pub const MAX_LOCAL_OCTETS: usize = 64;
pub const MAX_DOMAIN_OCTETS: usize = 255;
pub const MAX_LABEL_OCTETS: usize = 63;
pub const MAX_ADDRESS_OCTETS: usize = 254;

/// Inputs longer than this are refused before normalisation (NFC shrinks text
/// by at most a factor of three), so huge pastes cost nothing.
const MAX_INPUT_OCTETS: usize = 4 * MAX_ADDRESS_OCTETS;

/// Validates and normalises an email address.
pub fn normalise_email(input: &str) -> Result<String, ErrorCode> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(ErrorCode::EmailEmpty);
    }
    if trimmed.len() > MAX_INPUT_OCTETS {
        return Err(ErrorCode::EmailTooLong);
    }
    let nfc = nfc(trimmed);
    // The domain never holds `@`; a quoted local part may, so split at the last.
    let Some((local, domain)) = nfc.rsplit_once('@') else {
        return Err(ErrorCode::EmailAtMissing);
    };
    if local.is_empty() {
        return Err(ErrorCode::EmailLocalEmpty);
    }
    if domain.is_empty() {
        return Err(ErrorCode::EmailDomainMissing);
    }
    if local.len() > MAX_LOCAL_OCTETS {
        return Err(ErrorCode::EmailLocalTooLong);
    }
    check_local(local)?;
    let domain = normalise_domain(domain);
    check_domain(&domain)?;
    let address = crate::concat(&[local, "@", &domain]);
    if address.len() > MAX_ADDRESS_OCTETS {
        return Err(ErrorCode::EmailTooLong);
    }
    Ok(address)
}

/// The key used to recognise the same mailbox twice: the whole normalised
/// address lower-cased. Deliberately does not strip `+tags` or Gmail dots:
/// those rules are provider-specific, and applying them everywhere would merge
/// distinct people.
pub fn email_dedup_key(normalised: &str) -> String {
    lowercase(normalised)
}

/// Lower-cases the domain and maps the ideographic full stops to `.`.
fn normalise_domain(domain: &str) -> String {
    if domain.is_ascii() {
        // No ideographic full stop to map and nothing to compose.
        return domain.to_ascii_lowercase();
    }
    let dotted: String = domain
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{ff0e}' | '\u{ff61}' => '.',
            other => other,
        })
        .collect();
    let mapped = lowercase(&dotted);
    // Lower-casing may decompose (`İ` → `i` + U+0307): back to NFC.
    nfc(&mapped).into_owned()
}

/// RFC 5322 `atext` (ASCII). Bytes, not `str::contains(char)`: for a
/// non-ASCII character that searches for a string, linking the two-way
/// searcher into the widget.
fn is_ascii_atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || u8::try_from(c).is_ok_and(|byte| b"!#$%&'*+-/=?^_`{|}~".contains(&byte))
}

/// A non-ASCII character allowed in local parts and domain labels: letters,
/// digits and combining marks. Refuses whitespace, punctuation, symbols,
/// emoji, controls and invisible format characters (ZWJ, ZWNJ, bidi marks).
fn is_unicode_word(c: char) -> bool {
    !c.is_ascii() && (is_alphanumeric(c) || is_mark(c))
}

/// Combining marks: every mark with a non-zero combining class (a small range
/// table, see [`crate::nfc`]), plus the Thai and Lao class-0 marks that are not
/// alphabetic. Without a General_Category table this is an approximation.
fn is_mark(c: char) -> bool {
    is_combining_mark(c)
        || matches!(c, '\u{0e47}' | '\u{0e4c}'..='\u{0e4e}' | '\u{0ecc}'..='\u{0ecd}')
}

/// Punctuation IDNA 2008 allows in context: the Catalan middle dot between two
/// `l`s (`col·legi`) and the katakana middle dot (`ジョン・スミス`).
fn is_contextual(prev: Option<char>, c: char, next: Option<char>) -> bool {
    match c {
        '\u{00b7}' => {
            prev.is_some_and(|p| p.eq_ignore_ascii_case(&'l'))
                && next.is_some_and(|n| n.eq_ignore_ascii_case(&'l'))
        }
        '\u{30fb}' => prev.is_some() && next.is_some(),
        _ => false,
    }
}

/// Checks a run of characters (one atom or one label) for the shared
/// Unicode rules: word characters, contextual dots, no leading mark.
fn unicode_run_ok(run: &str, ascii_ok: impl Fn(char) -> bool) -> bool {
    if run.is_ascii() {
        // Word and contextual characters are all non-ASCII.
        return run.bytes().all(|byte| ascii_ok(char::from(byte)));
    }
    let mut prev = None;
    let mut chars = run.chars().peekable();
    while let Some(c) = chars.next() {
        let ok = ascii_ok(c)
            || (is_unicode_word(c) && !(prev.is_none() && is_mark(c)))
            || is_contextual(prev, c, chars.peek().copied());
        if !ok {
            return false;
        }
        prev = Some(c);
    }
    true
}

fn check_local(local: &str) -> Result<(), ErrorCode> {
    if let Some(inner) = local.strip_prefix('"') {
        let Some(inner) = inner.strip_suffix('"') else {
            return Err(ErrorCode::EmailLocalInvalid);
        };
        if inner.is_empty() {
            // `""@example.com` is legal RFC 5321 but names no one.
            return Err(ErrorCode::EmailLocalEmpty);
        }
        return check_quoted(inner);
    }
    let atoms_ok = local
        .split('.')
        .all(|atom| !atom.is_empty() && unicode_run_ok(atom, is_ascii_atext));
    if atoms_ok {
        Ok(())
    } else {
        Err(ErrorCode::EmailLocalInvalid)
    }
}

/// Quoted local part content (RFC 5321 `qtextSMTP` / `quoted-pairSMTP`):
/// printable ASCII and space except `"` and `\`, which must be escaped;
/// escapes only of printable ASCII. No control characters, no non-ASCII.
fn check_quoted(inner: &str) -> Result<(), ErrorCode> {
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(' '..='~') => {}
                _ => return Err(ErrorCode::EmailLocalInvalid),
            },
            '"' => return Err(ErrorCode::EmailLocalInvalid),
            ' '..='~' => {}
            _ => return Err(ErrorCode::EmailLocalInvalid),
        }
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), ErrorCode> {
    if domain.len() > MAX_DOMAIN_OCTETS {
        return Err(ErrorCode::EmailDomainTooLong);
    }
    if domain.starts_with('[') {
        // IP literal: refused on purpose (see the module docs).
        return Err(ErrorCode::EmailDomainInvalid);
    }
    // Length in DNS (ASCII-compatible) form: labels plus the dots between.
    let mut ace_octets = 0;
    let mut labels = 0;
    let mut last = "";
    for label in domain.split('.') {
        ace_octets += check_label(label)? + usize::from(labels > 0);
        labels += 1;
        last = label;
    }
    if ace_octets > MAX_DOMAIN_OCTETS {
        return Err(ErrorCode::EmailDomainTooLong);
    }
    if labels < 2 {
        return Err(ErrorCode::EmailDomainNoDot);
    }
    if last.chars().all(is_numeric) {
        // `1.2.3.4` and `example.123`: no top-level domain is numeric.
        return Err(ErrorCode::EmailDomainInvalid);
    }
    Ok(())
}

/// Checks one (lower-cased) label; returns its length in DNS form.
fn check_label(label: &str) -> Result<usize, ErrorCode> {
    if label.is_empty() || label.starts_with('-') || label.ends_with('-') {
        return Err(ErrorCode::EmailDomainInvalid);
    }
    if !unicode_run_ok(label, |c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ErrorCode::EmailDomainInvalid);
    }
    let ace_octets = if label.is_ascii() {
        label.len()
    } else {
        // `xn--` + Punycode; an overflow means absurdly long anyway.
        punycode_len(label).map_or(usize::MAX, |n| n + 4)
    };
    if label.len() > MAX_LABEL_OCTETS || ace_octets > MAX_LABEL_OCTETS {
        return Err(ErrorCode::EmailDomainLabelTooLong);
    }
    Ok(ace_octets)
}

/// Length of the RFC 3492 Punycode encoding of `label` (without `xn--`), or
/// `None` on arithmetic overflow. Only the length is needed, so nothing is
/// allocated.
fn punycode_len(label: &str) -> Option<usize> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    let basic = label.chars().filter(char::is_ascii).count();
    let total = label.chars().count();
    let mut out = basic + usize::from(basic > 0);
    let mut n: u32 = 0x80;
    let mut delta: u32 = 0;
    let mut bias: u32 = 72;
    let mut handled = basic;
    while handled < total {
        let m = label.chars().map(u32::from).filter(|&c| c >= n).min()?;
        let handled_plus_one = u32::try_from(handled + 1).ok()?;
        delta = delta.checked_add((m - n).checked_mul(handled_plus_one)?)?;
        n = m;
        for c in label.chars().map(u32::from) {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out += 1;
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out += 1;
                bias = adapt(delta, handled_plus_one, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

/// RFC 3492 bias adaptation.
fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / 700 } else { delta / 2 };
    delta += delta / points.max(1);
    let mut k = 0;
    while delta > ((36 - 1) * 26) / 2 {
        delta /= 36 - 1;
        k += 36;
    }
    k + (36 * delta) / (delta + 38)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(
            normalise_email(" John.Doe@Example.COM "),
            Ok("John.Doe@example.com".into())
        );
        assert_eq!(normalise_email("a@b"), Err(ErrorCode::EmailDomainNoDot));
        assert_eq!(
            email_dedup_key("John.Doe@example.com"),
            "john.doe@example.com"
        );
        // Tags and dots are kept: only case is folded.
        assert_eq!(
            email_dedup_key("J.Doe+Leads@Gmail.com"),
            "j.doe+leads@gmail.com"
        );
    }

    #[test]
    fn punycode_lengths_match_known_encodings() {
        // (Unicode label, its Punycode without `xn--`).
        let known = [
            ("bücher", "bcher-kva"),
            ("münchen", "mnchen-3ya"),
            ("españa", "espaa-rta"),
            ("пример", "e1afmkfd"),
            ("рф", "p1ai"),
            ("例子", "fsqu00a"),
            ("测试", "0zwm56d"),
            ("ü", "tda"),
            ("ærø", "r-3fa9c"),
            ("παράδειγμα", "hxajbheg2az3al"),
            ("пошта", "80a1acn3a"),
            ("डाटा", "c2bd1gb"),
            (
                "例例例例例例例例例例例例例例例例例例例例例",
                "fsqaaaaaaaaaaaaaaaaaaaa",
            ),
        ];
        for (label, encoded) in known {
            assert_eq!(punycode_len(label), Some(encoded.len()), "{label}");
        }
    }

    #[test]
    fn idn_labels_are_limited_in_dns_form() {
        // 21 distinct CJK characters: 63 UTF-8 octets, 63 + 4 as `xn--`.
        let label: String = (0..21)
            .filter_map(|i| char::from_u32(0x4e00 + i * 997))
            .collect();
        assert_eq!(label.len(), 63);
        assert_eq!(punycode_len(&label), Some(63));
        assert_eq!(
            normalise_email(&format!("a@{label}.com")),
            Err(ErrorCode::EmailDomainLabelTooLong)
        );
        let short: String = label.chars().take(12).collect();
        assert!(normalise_email(&format!("a@{short}.com")).is_ok());
    }

    #[test]
    fn huge_input_is_refused_early() {
        let input = format!("{}@example.com", "a".repeat(10_000));
        assert_eq!(normalise_email(&input), Err(ErrorCode::EmailTooLong));
    }
}
