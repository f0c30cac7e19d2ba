//! Phone numbers: national or international input normalised to E.164
//! (`+14155552671`) with structural checks per calling code, and an optional
//! extension kept beside it (`+14155552671;ext=123`, RFC 3966's `ext`
//! parameter).
//!
//! Input: digits (ASCII or full-width), separators (spaces of any kind, `-`,
//! Unicode dashes, `.`, `/`, `(`, `)`), and one `+` before the first digit
//! (`(+44) 20 ...` works). An international number starts with `+`, `00`, or
//! the default country's own international prefix (`011` in the NANP, `0011`
//! in Australia, `010` in Japan). Anything else is national in the field's
//! default country: its trunk prefix is removed (`0` in most of Europe, `1` in
//! the NANP; Italy keeps its leading `0`; Mexico's retired `01`/`044`/`045`
//! are still understood). A trunk `0` written after the country code
//! (`+44 (0)20 ...`) is dropped too, as is Mexico's retired mobile `1`
//! (`+52 1 55 ...`), and a national number typed with the country code but no
//! `+` (`33 6 12 34 56 78` with default FR) is understood when it is not
//! valid as a national number.
//!
//! Extensions, as people type them in B2B forms: after the number, spaces or
//! a comma, then a marker, case-insensitive: `x`, `ext`, `ext.`, `extension`
//! (a `.` or `:` may follow these words), `#`, or `;ext=`; then spaces and
//! 1 to [`MAX_EXTENSION_DIGITS`] digits (ASCII or full-width), nothing else.
//! A marker followed by anything else (no digits, letters, more than ten
//! digits, a second extension) is [`ErrorCode::PhoneExtensionInvalid`]: an
//! extension is refused, never truncated or dropped, so nobody gets called at
//! the wrong desk. The normalised value stays one text, the number and
//! `;ext=` and the digits, so a phone field's value keeps its shape
//! everywhere; [`PhoneNumber::parse_normalised`] splits it again for the
//! payloads that carry the extension apart.
//!
//! Refused with [`ErrorCode::PhoneInvalidCharacters`]: letters that do not
//! start an extension marker (vanity numbers such as `1-800-FLOWERS`), `tel:`
//! URIs, and a `+` anywhere but before the first digit.
//!
//! The checks are structural: for each supported calling code, the lengths of
//! the national significant number (NSN) allowed after its leading digits,
//! plus the NANP rules (area code and exchange start 2-9 and are not N11) and
//! Brazil's (mobile numbers have a `9` after the area code). They are not a
//! numbering-plan database: a well-formed number that is not in service
//! passes, and the tables lean towards accepting when unsure. No
//! libphonenumber, no regex: this module must stay small enough for the widget,
//! and must not grow per-carrier data.

use crate::{Country, ErrorCode};

/// Longest E.164 number, in digits (ITU-T E.164), country code included.
pub const MAX_E164_DIGITS: usize = 15;

/// Longest extension, in digits.
pub const MAX_EXTENSION_DIGITS: usize = 10;

/// What joins the E.164 number and its extension in a normalised value.
pub const EXTENSION_PARAMETER: &str = ";ext=";

/// Suffix of the key that carries a phone field's extension beside it in
/// payloads and exports (`phone` → `phone_extension`).
pub const EXTENSION_KEY_SUFFIX: &str = "_extension";

/// The key under which field `field_id`'s extension travels (`phone_extension`).
pub fn extension_key(field_id: &str) -> String {
    crate::concat(&[field_id, EXTENSION_KEY_SUFFIX])
}

/// A normalised phone value split in two: the E.164 number and the
/// extension's digits, if any. Built only by [`PhoneNumber::parse_normalised`]
/// or [`normalise_phone_number`], so both parts are always well-formed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    e164: String,
    extension: Option<String>,
}

impl PhoneNumber {
    /// Splits a value as [`normalise_phone`] writes it: `+` and 2 to
    /// [`MAX_E164_DIGITS`] digits, then optionally `;ext=` and 1 to
    /// [`MAX_EXTENSION_DIGITS`] digits. `None` for anything else (typed
    /// input is [`normalise_phone`]'s job; this does not normalise).
    pub fn parse_normalised(value: &str) -> Option<PhoneNumber> {
        let (number, extension) = match value.split_once(EXTENSION_PARAMETER) {
            Some((number, extension)) => (number, Some(extension)),
            None => (value, None),
        };
        let digits = number.strip_prefix('+')?;
        let all_digits = |text: &str| text.bytes().all(|b| b.is_ascii_digit());
        if !(2..=MAX_E164_DIGITS).contains(&digits.len()) || !all_digits(digits) {
            return None;
        }
        if let Some(extension) = extension {
            if !(1..=MAX_EXTENSION_DIGITS).contains(&extension.len()) || !all_digits(extension) {
                return None;
            }
        }
        Some(PhoneNumber {
            e164: number.to_owned(),
            extension: extension.map(str::to_owned),
        })
    }

    /// The number in E.164, `+14155552671`.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The extension's digits (`123`), if one was given.
    pub fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }

    /// The normalised text: `+14155552671`, or `+14155552671;ext=123`.
    pub fn to_normalised(&self) -> String {
        match &self.extension {
            Some(extension) => crate::concat(&[&self.e164, EXTENSION_PARAMETER, extension]),
            None => self.e164.clone(),
        }
    }
}

/// NSN lengths allowed after some leading digits.
struct Range {
    /// Comma-separated leading digit strings, e.g. `"2,3,7"`.
    lead: &'static str,
    /// Allowed lengths, as inclusive spans.
    lengths: &'static [(u8, u8)],
}

/// Structure of one calling code's national significant numbers.
struct Plan {
    code: &'static str,
    /// National prefixes removed before the NSN (trunk prefixes).
    trunk: &'static [&'static str],
    /// Prefixes removed when written after the country code (`+44 (0)`).
    after_code: &'static [&'static str],
    /// The international prefix dialled in this country, besides `00`.
    intl: Option<&'static str>,
    /// The most specific (longest) matching `lead` decides the lengths.
    ranges: &'static [Range],
    /// A further structural check of the whole NSN.
    extra: Option<fn(&[u8]) -> bool>,
}

const fn r(lead: &'static str, lengths: &'static [(u8, u8)]) -> Range {
    Range { lead, lengths }
}

const ALL_DIGITS: &str = "1,2,3,4,5,6,7,8,9";
const TRUNK_0: &[&str] = &["0"];
const NONE: &[&str] = &[];

const PLANS: &[Plan] = &[
    // NANP (US, CA and the Caribbean): NPA-NXX-XXXX.
    Plan {
        code: "1",
        trunk: &["1"],
        after_code: NONE,
        intl: Some("011"),
        ranges: &[r("2,3,4,5,6,7,8,9", &[(10, 10)])],
        extra: Some(nanp),
    },
    // United Kingdom (Ofcom National Telephone Numbering Plan).
    Plan {
        code: "44",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[
            r("1", &[(9, 10)]),
            r("2,3,5,7,8,9", &[(10, 10)]),
            r("800", &[(9, 10)]),
            // ChildLine 0800 1111 and NHS 0845 4647: the two 7-digit NSNs.
            r("8001111", &[(7, 7), (9, 10)]),
            r("8454647", &[(7, 7), (10, 10)]),
        ],
        extra: None,
    },
    // Germany: open numbering, area codes of 2-5 digits.
    Plan {
        code: "49",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[
            r("2,3,4,5,6,7,8,9", &[(5, 13)]),
            r("15,16,17", &[(10, 11)]),
            r("12,13,18,19", &[(6, 13)]),
        ],
        extra: None,
    },
    // France: always 9 digits after the trunk 0.
    Plan {
        code: "33",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[r(ALL_DIGITS, &[(9, 9)])],
        extra: None,
    },
    // Spain: closed 9-digit plan, no trunk prefix.
    Plan {
        code: "34",
        trunk: NONE,
        after_code: NONE,
        intl: None,
        ranges: &[r("5,6,7,8,9", &[(9, 9)])],
        extra: None,
    },
    // Italy: no trunk prefix; landlines keep their leading 0 in E.164. No
    // number starts with 00, Italy's international prefix.
    Plan {
        code: "39",
        trunk: NONE,
        after_code: NONE,
        intl: None,
        ranges: &[
            r("01,02,03,04,05,06,07,08,09", &[(6, 11)]),
            r("3", &[(9, 10)]),
            r("8", &[(6, 10)]),
            r("55", &[(10, 10)]),
        ],
        extra: None,
    },
    // Netherlands: 9 digits; 0800/090x service numbers 7-10.
    Plan {
        code: "31",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[r(ALL_DIGITS, &[(9, 9)]), r("800,90", &[(7, 10)])],
        extra: None,
    },
    // Belgium: 8 digits, mobiles (046x-049x) 9.
    Plan {
        code: "32",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[
            r(ALL_DIGITS, &[(8, 8)]),
            r("45", &[(8, 9)]),
            r("46,47,48,49", &[(9, 9)]),
        ],
        extra: None,
    },
    // Switzerland: 9 digits.
    Plan {
        code: "41",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[r("2,3,4,5,6,7,8,9", &[(9, 9)])],
        extra: None,
    },
    // Austria: open numbering with direct-dial extensions, 5-13 digits.
    Plan {
        code: "43",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[r(ALL_DIGITS, &[(5, 13)])],
        extra: None,
    },
    // Ireland: Dublin 01 + 7, other areas 7-9, mobiles 08x + 7, 1800/15xx 10.
    Plan {
        code: "353",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[
            r("1", &[(8, 8)]),
            r("15,18", &[(8, 8), (10, 10)]),
            r("2,4,5,6,7,9", &[(7, 9)]),
            r("8", &[(9, 9)]),
        ],
        extra: None,
    },
    // Australia: 9 digits; 13 xx xx, 1300/1800 numbers.
    Plan {
        code: "61",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: Some("0011"),
        ranges: &[
            r("2,3,4,5,7,8", &[(9, 9)]),
            r("13", &[(6, 6), (10, 10)]),
            r("180", &[(7, 7), (10, 10)]),
        ],
        extra: None,
    },
    // New Zealand: landlines 8, mobiles 8-10, 0800/0508/0900.
    Plan {
        code: "64",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[
            r("2", &[(8, 10)]),
            r("3,4,6,7,9", &[(8, 8)]),
            r("80", &[(8, 10)]),
            r("508", &[(9, 10)]),
            r("900", &[(8, 9)]),
        ],
        extra: None,
    },
    // India: 10 digits; 1800 toll-free 8-13.
    Plan {
        code: "91",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[r(ALL_DIGITS, &[(10, 10)]), r("1800", &[(8, 13)])],
        extra: None,
    },
    // Mexico: 10 digits since 2019; the old prefixes are still typed.
    Plan {
        code: "52",
        trunk: &["01", "044", "045"],
        after_code: &["1"],
        intl: None,
        ranges: &[r("2,3,4,5,6,7,8,9", &[(10, 10)])],
        extra: None,
    },
    // Brazil: 2-digit area code + 8 (landline) or 9 (mobile) digits.
    Plan {
        code: "55",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[r(ALL_DIGITS, &[(10, 11)])],
        extra: Some(brazil),
    },
    // Japan: 9 digits; mobiles, IP phones, pagers and 0800 10 digits.
    Plan {
        code: "81",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: Some("010"),
        ranges: &[r(ALL_DIGITS, &[(9, 9)]), r("20,50,70,80,90", &[(10, 10)])],
        extra: None,
    },
    // Sweden: 7-9 digits (Stockholm from 6); mobiles 9.
    Plan {
        code: "46",
        trunk: TRUNK_0,
        after_code: TRUNK_0,
        intl: None,
        ranges: &[
            r(ALL_DIGITS, &[(7, 9)]),
            r("8", &[(6, 9)]),
            r("70,72,73,76,79", &[(9, 9)]),
        ],
        extra: None,
    },
    // Norway: closed 8-digit plan.
    Plan {
        code: "47",
        trunk: NONE,
        after_code: NONE,
        intl: None,
        ranges: &[r("2,3,4,5,6,7,8,9", &[(8, 8)])],
        extra: None,
    },
    // Denmark: closed 8-digit plan.
    Plan {
        code: "45",
        trunk: NONE,
        after_code: NONE,
        intl: None,
        ranges: &[r("2,3,4,5,6,7,8,9", &[(8, 8)])],
        extra: None,
    },
    // Portugal: closed 9-digit plan.
    Plan {
        code: "351",
        trunk: NONE,
        after_code: NONE,
        intl: None,
        ranges: &[r("2,3,7,8,9", &[(9, 9)])],
        extra: None,
    },
    // Poland: closed 9-digit plan (the trunk 0 was retired in 2005).
    Plan {
        code: "48",
        trunk: NONE,
        after_code: NONE,
        intl: None,
        ranges: &[r(ALL_DIGITS, &[(9, 9)])],
        extra: None,
    },
];

/// Every calling code assigned by the ITU (geographic and global services),
/// so that codes without a plan here are "unsupported", not "unknown".
const ASSIGNED: &[u16] = &[
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
    55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211,
    212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234,
    235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253,
    254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298,
    299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377,
    378, 379, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505,
    506, 507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675,
    676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808, 850,
    852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965, 966,
    967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 991, 992, 993, 994, 995, 996, 998,
];

/// The longest international prefix we strip (`0011`).
const MAX_INTL_PREFIX: usize = 4;

fn plan_for_code(code: &str) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.code == code)
}

fn plan_for_country(country: Country) -> Option<&'static Plan> {
    let code = country.calling_code();
    PLANS.iter().find(|p| digits_value(p.code) == code)
}

/// The value of a calling code's 1-3 ASCII digits (the scan has made sure
/// they are digits): a fold rather than `str::parse`, whose generic code
/// the widget would otherwise carry for this alone.
fn digits_value(digits: &str) -> u16 {
    digits
        .bytes()
        .fold(0, |value, digit| value * 10 + u16::from(digit - b'0'))
}

/// Validates `input` and returns it normalised: E.164, then `;ext=` and the
/// extension's digits when one was typed. `default_country` applies to
/// numbers written without an international prefix.
pub fn normalise_phone(input: &str, default_country: Country) -> Result<String, ErrorCode> {
    // `to_normalised` without copying the number when there is no extension.
    normalise_phone_number(input, default_country).map(|number| match number.extension {
        Some(extension) => crate::concat(&[&number.e164, EXTENSION_PARAMETER, &extension]),
        None => number.e164,
    })
}

/// [`normalise_phone`], split: the E.164 number and the extension apart.
pub fn normalise_phone_number(
    input: &str,
    default_country: Country,
) -> Result<PhoneNumber, ErrorCode> {
    let (number, extension) = split_extension(input)?;
    let e164 = normalise_e164(number, default_country)?;
    let extension = extension.map(extension_digits).transpose()?;
    Ok(PhoneNumber { e164, extension })
}

/// Extension markers that are words (a `.` or `:` may follow them), longest
/// first so that `extension` is not read as `ext` + `ension`.
const EXTENSION_WORDS: &[&str] = &["extension", "ext", "x"];
/// Extension markers that are signs.
const EXTENSION_SIGNS: &[&str] = &["#", EXTENSION_PARAMETER];

/// Splits typed input at the first letter, `#` or `;`: the number before it
/// (trailing spaces and commas removed) and what follows the extension marker
/// there. Letters that start no marker are
/// [`ErrorCode::PhoneInvalidCharacters`].
fn split_extension(input: &str) -> Result<(&str, Option<&str>), ErrorCode> {
    let Some(at) = input.find(|c: char| c.is_ascii_alphabetic() || c == '#' || c == ';') else {
        return Ok((input, None));
    };
    let number = input
        .get(..at)
        .unwrap_or("")
        .trim_end_matches(|c: char| c == ',' || c.is_whitespace());
    let tail = input.get(at..).unwrap_or("");
    let after = |marker: &str| {
        let head = tail.get(..marker.len())?;
        head.eq_ignore_ascii_case(marker)
            .then(|| tail.get(marker.len()..))
            .flatten()
    };
    let rest = match EXTENSION_WORDS.iter().find_map(|word| after(word)) {
        Some(rest) => rest.strip_prefix(['.', ':']).unwrap_or(rest),
        None => EXTENSION_SIGNS
            .iter()
            .find_map(|sign| after(sign))
            .ok_or(ErrorCode::PhoneInvalidCharacters)?,
    };
    Ok((number, Some(rest)))
}

/// The digits after an extension marker: spaces, 1 to
/// [`MAX_EXTENSION_DIGITS`] digits (full-width folded to ASCII), spaces.
fn extension_digits(text: &str) -> Result<String, ErrorCode> {
    let mut digits = String::new();
    for c in text.trim().chars() {
        match c {
            '0'..='9' => digits.push(c),
            '\u{ff10}'..='\u{ff19}' => {
                let value = u32::from(c) - 0xff10;
                digits.push(char::from_digit(value, 10).ok_or(ErrorCode::PhoneExtensionInvalid)?);
            }
            _ => return Err(ErrorCode::PhoneExtensionInvalid),
        }
    }
    if (1..=MAX_EXTENSION_DIGITS).contains(&digits.len()) {
        Ok(digits)
    } else {
        Err(ErrorCode::PhoneExtensionInvalid)
    }
}

/// The number alone (no extension) in E.164.
fn normalise_e164(input: &str, default_country: Country) -> Result<String, ErrorCode> {
    let (plus, digits) = scan(input)?;
    if digits.is_empty() {
        return Err(ErrorCode::PhoneEmpty);
    }
    if digits.len() > MAX_E164_DIGITS + MAX_INTL_PREFIX {
        return Err(ErrorCode::PhoneTooLong);
    }
    let plan = plan_for_country(default_country);
    if plus {
        return international(&digits);
    }
    let own_intl = plan.and_then(|p| p.intl);
    if let Some(rest) = own_intl.and_then(|prefix| digits.strip_prefix(prefix)) {
        return international(rest);
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return international(rest);
    }
    let plan = plan.ok_or(ErrorCode::PhoneUnsupportedCountry)?;
    national(&digits, plan)
}

/// The digits of `input` (full-width digits folded to ASCII) and whether a `+`
/// came before them.
fn scan(input: &str) -> Result<(bool, String), ErrorCode> {
    let mut digits = String::with_capacity(input.len().min(64));
    let mut plus = false;
    for c in input.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '\u{ff10}'..='\u{ff19}' => {
                let value = u32::from(c) - 0xff10;
                digits.push(char::from_digit(value, 10).ok_or(ErrorCode::PhoneInvalidCharacters)?);
            }
            '+' | '\u{ff0b}' if !plus && digits.is_empty() => plus = true,
            '-' | '.' | '/' | '(' | ')' => {}
            // Hyphen, non-breaking hyphen, figure dash, en and em dash,
            // horizontal bar, minus sign and the full-width separators.
            '\u{2010}'..='\u{2015}' | '\u{2212}' => {}
            '\u{ff08}' | '\u{ff09}' | '\u{ff0d}' | '\u{ff0e}' | '\u{ff0f}' => {}
            c if c.is_whitespace() => {}
            _ => return Err(ErrorCode::PhoneInvalidCharacters),
        }
    }
    Ok((plus, digits))
}

/// `number` is the country code followed by the NSN.
fn international(number: &str) -> Result<String, ErrorCode> {
    if number.starts_with('0') {
        // No calling code starts with 0.
        return Err(ErrorCode::PhoneUnknownCountryCode);
    }
    for code_len in 1..=3 {
        let Some(code) = number.get(..code_len) else {
            return Err(ErrorCode::PhoneTooShort);
        };
        let rest = number.get(code_len..).unwrap_or("");
        if let Some(plan) = plan_for_code(code) {
            return with_prefixes(rest, plan.after_code, plan);
        }
        if ASSIGNED.contains(&digits_value(code)) {
            return Err(ErrorCode::PhoneUnsupportedCountry);
        }
    }
    Err(ErrorCode::PhoneUnknownCountryCode)
}

fn national(digits: &str, plan: &Plan) -> Result<String, ErrorCode> {
    let result = with_prefixes(digits, plan.trunk, plan);
    if result.is_err() {
        // `44 7700 900123` with default GB: the country code without `+`.
        if let Some(rest) = digits.strip_prefix(plan.code) {
            if let Ok(e164) = with_prefixes(rest, plan.after_code, plan) {
                return Ok(e164);
            }
        }
    }
    result
}

/// Checks `digits` as an NSN after removing the first matching prefix of
/// `prefixes`; if that fails, as written. The error is the stripped one's.
fn with_prefixes(digits: &str, prefixes: &[&str], plan: &Plan) -> Result<String, ErrorCode> {
    match prefixes.iter().find_map(|p| digits.strip_prefix(p)) {
        Some(stripped) => {
            check_nsn(stripped, plan).or_else(|e| check_nsn(digits, plan).map_err(|_| e))
        }
        None => check_nsn(digits, plan),
    }
}

fn check_nsn(nsn: &str, plan: &Plan) -> Result<String, ErrorCode> {
    let spans = || plan.ranges.iter().flat_map(|r| r.lengths.iter());
    let shortest = spans().map(|&(min, _)| usize::from(min)).min().unwrap_or(0);
    let longest = spans().map(|&(_, max)| usize::from(max)).max().unwrap_or(0);
    if nsn.is_empty() || nsn.len() < shortest {
        return Err(ErrorCode::PhoneTooShort);
    }
    if nsn.len() > longest || plan.code.len() + nsn.len() > MAX_E164_DIGITS {
        return Err(ErrorCode::PhoneTooLong);
    }
    // The most specific range whose leading digits match.
    let best = plan
        .ranges
        .iter()
        .filter_map(|range| {
            let matched = range
                .lead
                .split(',')
                .filter(|lead| nsn.starts_with(lead))
                .map(str::len)
                .max()?;
            Some((matched, range))
        })
        .max_by_key(|&(matched, _)| matched);
    let Some((_, range)) = best else {
        return Err(ErrorCode::PhoneInvalidForCountry);
    };
    let len = nsn.len();
    if !range
        .lengths
        .iter()
        .any(|&(min, max)| (usize::from(min)..=usize::from(max)).contains(&len))
    {
        let min = range.lengths.iter().map(|&(min, _)| usize::from(min)).min();
        let max = range.lengths.iter().map(|&(_, max)| usize::from(max)).max();
        return Err(if min.is_some_and(|min| len < min) {
            ErrorCode::PhoneTooShort
        } else if max.is_some_and(|max| len > max) {
            ErrorCode::PhoneTooLong
        } else {
            ErrorCode::PhoneInvalidForCountry
        });
    }
    if plan.extra.is_some_and(|extra| !extra(nsn.as_bytes())) {
        return Err(ErrorCode::PhoneInvalidForCountry);
    }
    Ok(crate::concat(&["+", plan.code, nsn]))
}

/// NANP: NPA-NXX-XXXX where the area code (NPA) and the exchange (NXX) start
/// with 2-9 and neither is an N11 service code (411, 911, ...).
fn nanp(nsn: &[u8]) -> bool {
    let n11 = |b: u8, c: u8| b == b'1' && c == b'1';
    match nsn {
        [a, b, c, d, e, f, _, _, _, _] => {
            matches!(a, b'2'..=b'9') && !n11(*b, *c) && matches!(d, b'2'..=b'9') && !n11(*e, *f)
        }
        _ => false,
    }
}

/// Brazil: area codes 11-99 with no 0; 11-digit (mobile) numbers continue
/// with 9, 10-digit (landline) ones with 2-5; nationwide 0300/0500/0800/0900
/// numbers are 10 digits.
fn brazil(nsn: &[u8]) -> bool {
    match nsn {
        [b'3' | b'5' | b'8' | b'9', b'0', b'0', ..] => nsn.len() == 10,
        [a, b, c, ..] => {
            let area = matches!(a, b'1'..=b'9') && matches!(b, b'1'..=b'9');
            let subscriber = match nsn.len() {
                11 => *c == b'9',
                _ => matches!(c, b'2'..=b'5'),
            };
            area && subscriber
        }
        _ => false,
    }
}

/// The country of an E.164 number when its calling code belongs to exactly
/// one supported country (`+1` is shared by the US, Canada and the Caribbean:
/// `None`). Only the calling code is looked at; the rest is not validated.
pub fn phone_country(e164: &str) -> Option<Country> {
    let digits = e164.strip_prefix('+')?;
    let mut matches = Country::ALL
        .iter()
        .filter(|c| digits.starts_with(&c.calling_code().to_string()));
    let first = matches.next()?;
    match matches.next() {
        None => Some(*first),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(
            normalise_phone("(415) 555-2671", Country::US),
            Ok("+14155552671".into())
        );
        assert_eq!(
            normalise_phone("07700 900123", Country::GB),
            Ok("+447700900123".into())
        );
        assert_eq!(
            normalise_phone("06 12 34 56 78", Country::FR),
            Ok("+33612345678".into())
        );
        assert_eq!(phone_country("+447700900123"), Some(Country::GB));
        assert_eq!(phone_country("+35312345678"), Some(Country::IE));
        assert_eq!(phone_country("+14155552671"), None);
        assert_eq!(phone_country("14155552671"), None);
    }

    #[test]
    fn split_round_trips() {
        let cases: &[(&str, Country, &str, Option<&str>)] = &[
            ("(415) 555-2671", Country::US, "+14155552671", None),
            (
                "(415) 555-2671 x123",
                Country::US,
                "+14155552671",
                Some("123"),
            ),
            (
                "415.555.2671, Ext. 0042",
                Country::US,
                "+14155552671",
                Some("0042"),
            ),
            ("020 7946 0958 #7", Country::GB, "+442079460958", Some("7")),
            (
                "+33 1 99 00 12 34;ext=1234567890",
                Country::US,
                "+33199001234",
                Some("1234567890"),
            ),
        ];
        for &(input, country, e164, extension) in cases {
            let number = normalise_phone_number(input, country).unwrap();
            assert_eq!(
                (number.e164(), number.extension()),
                (e164, extension),
                "{input:?}"
            );
            let text = normalise_phone(input, country).unwrap();
            assert_eq!(text, number.to_normalised());
            assert_eq!(PhoneNumber::parse_normalised(&text), Some(number.clone()));
            // The normalised text is typed input too, with the same result.
            assert_eq!(normalise_phone_number(&text, Country::JP), Ok(number));
        }
        assert_eq!(extension_key("phone"), "phone_extension");
        // Only the exact normalised shape splits.
        for text in [
            "",
            "+",
            "+1",
            "14155552671",
            "+1415555267100000",
            "+14155552671;ext=",
            "+14155552671;ext=12345678901",
            "+14155552671;ext=12a",
            "+14155552671;EXT=12",
            "+14155552671 x12",
            "+14155552671;ext=1;ext=2",
            "+1415555267１",
        ] {
            assert_eq!(PhoneNumber::parse_normalised(text), None, "{text:?}");
        }
    }

    #[test]
    fn every_country_has_a_plan() {
        for &country in Country::ALL {
            assert!(plan_for_country(country).is_some(), "{country}");
        }
    }

    #[test]
    fn tables_are_consistent() {
        let mut codes = std::collections::BTreeSet::new();
        for plan in PLANS {
            assert!(codes.insert(plan.code), "duplicate plan {}", plan.code);
            let code: u16 = plan.code.parse().unwrap();
            assert!(ASSIGNED.contains(&code), "{code} not in ASSIGNED");
            for range in plan.ranges {
                assert!(!range.lengths.is_empty());
                for &(min, max) in range.lengths {
                    assert!(min <= max && plan.code.len() + usize::from(max) <= MAX_E164_DIGITS);
                }
                for lead in range.lead.split(',') {
                    assert!(!lead.is_empty() && lead.bytes().all(|b| b.is_ascii_digit()));
                    // After a trunk 0 is removed, no NSN may start with it again.
                    assert!(!(plan.after_code.contains(&"0") && lead.starts_with('0')));
                }
            }
        }
        // E.164 codes are prefix-free: no assigned code is a prefix of another.
        for &a in ASSIGNED {
            for &b in ASSIGNED {
                let (a, b) = (a.to_string(), b.to_string());
                assert!(a == b || !b.starts_with(&a), "{a} is a prefix of {b}");
            }
        }
    }
}
