//! Postal codes: US ZIP / ZIP+4, Canada, United Kingdom, Germany and France,
//! each checked structurally and returned in its canonical written form
//! (`12345-6789`, `K1A 0B1`, `SW1A 1AA`, `10115`, `75001`).
//!
//! Input may be in any case, with spaces anywhere (all whitespace is removed
//! before checking, then the canonical spacing is put back). Only ASCII
//! letters and digits (and the ZIP+4 hyphen) are accepted: no full-width
//! forms, no country prefixes (`D-10115`). Other countries give
//! [`ErrorCode::PostalUnsupportedCountry`].
//!
//! No address database: a well-formed code that does not exist passes. This
//! module must stay table-free so it fits in the widget.

use crate::{Country, ErrorCode};

/// Validates and normalises a postal code for `country`.
pub fn normalise_postal(input: &str, country: Country) -> Result<String, ErrorCode> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(ErrorCode::PostalEmpty);
    }
    let code = compact.to_ascii_uppercase();
    let bytes = code.as_bytes();
    let canonical = match country {
        Country::US => us_zip(bytes),
        Country::CA => canadian(bytes),
        Country::GB => british(bytes),
        // Germany: 01001-99998; 00xxx was never assigned.
        // France: 01000-98xxx incl. Corsica (20xxx) and overseas (97xxx, 98xxx);
        // no French code starts with 00. Both: five digits, nothing else.
        Country::DE | Country::FR => five_digits(bytes).filter(|_| !code.starts_with("00")),
        _ => return Err(ErrorCode::PostalUnsupportedCountry),
    };
    canonical.ok_or(ErrorCode::PostalInvalid)
}

fn digits<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    let array: [u8; N] = bytes.try_into().ok()?;
    array.iter().all(u8::is_ascii_digit).then_some(array)
}

/// The pieces, ASCII bytes every one (the callers have checked each byte to
/// be a digit, a letter or the hyphen), as one string.
fn text(pieces: &[&[u8]]) -> String {
    let mut text = String::with_capacity(pieces.iter().map(|piece| piece.len()).sum());
    for &byte in pieces.iter().copied().flatten() {
        debug_assert!(byte.is_ascii(), "postal codes are ASCII once checked");
        text.push(char::from(byte));
    }
    text
}

fn five_digits(bytes: &[u8]) -> Option<String> {
    digits::<5>(bytes).map(|d| text(&[&d]))
}

/// `12345`, `12345-6789`, `123456789`. The lowest ZIP Code is 00501
/// (Holtsville, NY): 00000-00500 are refused.
fn us_zip(bytes: &[u8]) -> Option<String> {
    let (zip, plus4) = match bytes {
        [zip @ .., b'-', a, b, c, d] => (zip, Some([*a, *b, *c, *d])),
        [zip @ .., a, b, c, d] if bytes.len() == 9 => (zip, Some([*a, *b, *c, *d])),
        zip => (zip, None),
    };
    let zip = digits::<5>(zip)?;
    if zip.as_slice() < b"00501".as_slice() {
        return None;
    }
    match plus4 {
        Some(plus4) => {
            let plus4 = digits::<4>(&plus4)?;
            Some(text(&[&zip, b"-", &plus4]))
        }
        None => Some(text(&[&zip])),
    }
}

/// `A1A 1A1`: letters never D F I O Q U; the first letter also not W or Z.
fn canadian(bytes: &[u8]) -> Option<String> {
    let letter = |c: u8| c.is_ascii_uppercase() && !b"DFIOQU".contains(&c);
    match bytes {
        [a, b, c, d, e, f]
            if letter(*a)
                && !matches!(a, b'W' | b'Z')
                && b.is_ascii_digit()
                && letter(*c)
                && d.is_ascii_digit()
                && letter(*e)
                && f.is_ascii_digit() =>
        {
            Some(text(&[&[*a, *b, *c], b" ", &[*d, *e, *f]]))
        }
        _ => None,
    }
}

/// UK (Royal Mail): outward code `A9`, `A99`, `AA9`, `AA99`, `A9A` or `AA9A`,
/// then inward code `9AA`; plus the special `GIR 0AA`. Letter rules: first
/// position never Q V X; second never I J Z; third (in `A9A`) only
/// A B C D E F G H J K P S T U W; fourth (in `AA9A`) only
/// A B E H M N P R V W X Y; inward letters never C I K M O V.
fn british(bytes: &[u8]) -> Option<String> {
    if bytes == b"GIR0AA" {
        return Some("GIR 0AA".to_owned());
    }
    let alpha = |c: &u8| c.is_ascii_uppercase();
    let digit = |c: &u8| c.is_ascii_digit();
    let first = |c: &u8| alpha(c) && !b"QVX".contains(c);
    let second = |c: &u8| alpha(c) && !b"IJZ".contains(c);
    let third = |c: &u8| b"ABCDEFGHJKPSTUW".contains(c);
    let fourth = |c: &u8| b"ABEHMNPRVWXY".contains(c);
    let inward_letter = |c: &u8| alpha(c) && !b"CIKMOV".contains(c);
    let split = bytes.len().checked_sub(3)?;
    let (outward, inward) = bytes.split_at_checked(split)?;
    let inward_ok = matches!(inward, [d, x, y] if digit(d) && inward_letter(x) && inward_letter(y));
    let outward_ok = match outward {
        [a, d] => first(a) && digit(d),
        [a, d, e] if digit(d) => first(a) && (digit(e) || third(e)),
        [a, b, d] => first(a) && second(b) && digit(d),
        [a, b, d, e] => first(a) && second(b) && digit(d) && (digit(e) || fourth(e)),
        _ => false,
    };
    (inward_ok && outward_ok).then(|| text(&[outward, b" ", inward]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(
            normalise_postal("123456789", Country::US),
            Ok("12345-6789".into())
        );
        assert_eq!(
            normalise_postal("k1a0b1", Country::CA),
            Ok("K1A 0B1".into())
        );
        assert_eq!(
            normalise_postal("sw1a1aa", Country::GB),
            Ok("SW1A 1AA".into())
        );
        assert_eq!(
            normalise_postal("10115", Country::ES),
            Err(ErrorCode::PostalUnsupportedCountry)
        );
        assert_eq!(
            normalise_postal(" ", Country::ES),
            Err(ErrorCode::PostalEmpty)
        );
    }

    #[test]
    fn non_ascii_never_passes() {
        // `ﬀ` upper-cases to `FF` and `ı` to `I` under full Unicode case
        // mapping; neither may sneak into a code.
        for input in [
            "\u{fb00}1 1AA",
            "B\u{131}1 1AA",
            "９４１０３",
            "K1A\u{a0}0B1x",
        ] {
            for country in [Country::US, Country::CA, Country::GB, Country::DE] {
                assert!(
                    normalise_postal(input, country).is_err(),
                    "{input} {country}"
                );
            }
        }
        assert_eq!(
            normalise_postal("K1A\u{a0}0B1", Country::CA),
            Ok("K1A 0B1".into())
        );
    }
}
