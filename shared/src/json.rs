//! A small JSON reader, so the widget can load the public spec and its own
//! `localStorage` records without linking serde_json's deserializer (which,
//! with the derived visitors, weighs about 100 KB of wasm).
//!
//! [`parse`] reads RFC 8259 JSON into a [`Json`] tree (numbers kept as their
//! source text, objects in source order); the `read_*` functions and
//! [`FormSpec::parse_json_small`](crate::FormSpec::parse_json_small) turn trees
//! into the shared types with the same rules as their serde derives: the same
//! required keys and defaults, unknown keys refused where serde refuses them,
//! `null` accepted only for optional values. Tests keep the two readers equal.
//!
//! The writing half ([`Object`], [`write_str`], and the `write_json` methods
//! of the types the widget sends or stores) produces exactly serde_json's
//! compact output for those types, byte for byte (tests compare), so the
//! widget needs no serde serializer either.
//!
//! This module must not be used for what the edge parses from visitors
//! (envelopes go through serde and its limits); serde stays the reference for
//! the wire format, and the tests hold both halves to it.

use std::fmt;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number's source text (already checked against the JSON grammar).
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in source order.
    Object(Vec<(String, Json)>),
}

/// Why a JSON text or value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError(pub String);

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsonError {}

fn error<T>(message: &str, what: &str) -> Result<T, JsonError> {
    let mut text = String::from(message);
    text.push_str(what);
    Err(JsonError(text))
}

/// Deepest nesting accepted (serde_json's default recursion limit).
const MAX_DEPTH: u32 = 128;

/// Parses one JSON text (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = parser.value(0)?;
    parser.space();
    if parser.at != parser.bytes.len() {
        return error("trailing characters", "");
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn word(&mut self, word: &str, value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            error("expected value", "")
        }
    }

    fn value(&mut self, depth: u32) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return error("nesting too deep", "");
        }
        self.space();
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                let mut members = Vec::new();
                self.space();
                if self.eat(b'}') {
                    return Ok(Json::Object(members));
                }
                loop {
                    self.space();
                    if self.peek() != Some(b'"') {
                        return error("expected a key", "");
                    }
                    let key = self.string()?;
                    self.space();
                    if !self.eat(b':') {
                        return error("expected `:`", "");
                    }
                    let value = self.value(depth + 1)?;
                    members.push((key, value));
                    self.space();
                    if self.eat(b'}') {
                        return Ok(Json::Object(members));
                    }
                    if !self.eat(b',') {
                        return error("expected `,` or `}`", "");
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.eat(b']') {
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.space();
                    if self.eat(b']') {
                        return Ok(Json::Array(items));
                    }
                    if !self.eat(b',') {
                        return error("expected `,` or `]`", "");
                    }
                }
            }
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => error("expected value", ""),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.at;
        self.eat(b'-');
        let leading_zero = self.peek() == Some(b'0');
        let whole = self.digits();
        let mut ok = whole > 0 && !(leading_zero && whole > 1);
        if self.eat(b'.') {
            ok &= self.digits() > 0;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            ok &= self.digits() > 0;
        }
        if !ok {
            return error("invalid number", "");
        }
        Ok(Json::Number(self.text[start..self.at].to_owned()))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self.text.get(self.at..self.at + 4).unwrap_or("");
        let value = u32::from_str_radix(digits, 16)
            .ok()
            .filter(|_| digits.bytes().all(|b| b.is_ascii_hexdigit()));
        self.at += 4;
        value.map_or_else(|| error("invalid \\u escape", ""), Ok)
    }

    /// A string; `self.at` is on the opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(&b) = self.bytes.get(self.at) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // Stops only at ASCII bytes, so both ends are char boundaries.
            out.push_str(&self.text[start..self.at]);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escape = self.peek();
                    self.at += 1;
                    let c = match escape {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => return error("invalid escape", ""),
                    };
                    out.push(c);
                }
                Some(_) => return error("control character in string", ""),
                None => return error("unterminated string", ""),
            }
        }
    }

    /// After `\u`: one scalar value, joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let scalar = if (0xd800..0xdc00).contains(&first) {
            if !(self.eat(b'\\') && self.eat(b'u')) {
                return error("lone surrogate in string", "");
            }
            let second = self.hex4()?;
            if !(0xdc00..0xe000).contains(&second) {
                return error("lone surrogate in string", "");
            }
            0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
        } else {
            first
        };
        char::from_u32(scalar).map_or_else(|| error("lone surrogate in string", ""), Ok)
    }
}

// ---------------------------------------------------------------------------
// Writing, as serde_json's compact formatter writes.

/// Appends `text` as a JSON string, escaped as serde_json escapes: `"`, `\\`,
/// `\b \f \n \r \t`, other control characters as `\u00xx`; nothing else.
pub fn write_str(out: &mut String, text: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // Escaped bytes are ASCII, so `i` is a char boundary.
        out.push_str(&text[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

/// Appends an unsigned integer.
pub fn write_u64(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// Appends an array of strings.
pub fn write_strs(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, item);
    }
    out.push(']');
}

/// An object being written: `{` on creation, `,` between members, `}` on
/// [`Object::end`].
pub struct Object<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Object<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, empty: true }
    }

    /// Writes `"key":` and returns the buffer for the value.
    pub fn key(&mut self, key: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        write_str(self.out, key);
        self.out.push(':');
        self.out
    }

    pub fn str(&mut self, key: &str, value: &str) {
        write_str(self.key(key), value);
    }

    /// A string member that serde skips when `None`.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    pub fn u64(&mut self, key: &str, value: u64) {
        write_u64(self.key(key), value);
    }

    pub fn bool(&mut self, key: &str, value: bool) {
        self.key(key).push_str(if value { "true" } else { "false" });
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

// ---------------------------------------------------------------------------
// Typed reading, mirroring the serde derives of the shared types.

/// The members of an object whose keys must all be in `known` (serde's
/// `deny_unknown_fields`) and appear at most once.
pub fn object<'a>(
    value: &'a Json,
    what: &str,
    known: &[&str],
) -> Result<&'a [(String, Json)], JsonError> {
    let Json::Object(members) = value else {
        return error("expected an object: ", what);
    };
    for (i, (key, _)) in members.iter().enumerate() {
        if !known.contains(&key.as_str()) {
            return error("unknown field: ", key);
        }
        if members[..i].iter().any(|(earlier, _)| earlier == key) {
            return error("duplicate field: ", key);
        }
    }
    Ok(members)
}

/// The members of an object, any keys allowed (serde's default: unknown keys
/// are ignored).
pub fn open_object<'a>(value: &'a Json, what: &str) -> Result<&'a [(String, Json)], JsonError> {
    match value {
        Json::Object(members) => Ok(members),
        _ => error("expected an object: ", what),
    }
}

/// The value of `key`, when present.
pub fn member<'a>(members: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
    members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A required member.
pub fn required<'a>(members: &'a [(String, Json)], key: &str) -> Result<&'a Json, JsonError> {
    member(members, key).map_or_else(|| error("missing field: ", key), Ok)
}

/// An optional member: absent or `null` is `None`.
pub fn optional<'a, T>(
    members: &'a [(String, Json)],
    key: &str,
    read: impl Fn(&'a Json, &str) -> Result<T, JsonError>,
) -> Result<Option<T>, JsonError> {
    match member(members, key) {
        None | Some(Json::Null) => Ok(None),
        Some(value) => read(value, key).map(Some),
    }
}

/// A member with a default when absent (`null` is refused, as by serde).
pub fn or_default<'a, T>(
    members: &'a [(String, Json)],
    key: &str,
    read: impl Fn(&'a Json, &str) -> Result<T, JsonError>,
    default: impl FnOnce() -> T,
) -> Result<T, JsonError> {
    member(members, key).map_or_else(|| Ok(default()), |value| read(value, key))
}

pub fn string(value: &Json, what: &str) -> Result<String, JsonError> {
    match value {
        Json::String(text) => Ok(text.clone()),
        _ => error("expected a string: ", what),
    }
}

pub fn boolean(value: &Json, what: &str) -> Result<bool, JsonError> {
    match value {
        Json::Bool(b) => Ok(*b),
        _ => error("expected a boolean: ", what),
    }
}

/// A non-negative integer (no fraction, no exponent) that fits in `u64`.
pub fn uint(value: &Json, what: &str) -> Result<u64, JsonError> {
    match value {
        Json::Number(text) if text.bytes().all(|b| b.is_ascii_digit()) => text
            .parse()
            .map_or_else(|_| error("out of range: ", what), Ok),
        _ => error("expected an unsigned integer: ", what),
    }
}

pub fn u32_value(value: &Json, what: &str) -> Result<u32, JsonError> {
    u32::try_from(uint(value, what)?).map_or_else(|_| error("out of range: ", what), Ok)
}

/// Any JSON number as an `f64`, computed exactly as serde_json (without its
/// `float_roundtrip` feature) computes it, so the widget and the edge read
/// the same bounds from the same spec: the significand's first 19-20 digits
/// as a `u64`, scaled by one multiplication or division by a power of ten.
/// For the numbers a spec holds (at most 15 significant digits, exponents up
/// to 22) that is the correctly rounded value.
pub fn float(value: &Json, what: &str) -> Result<f64, JsonError> {
    match value {
        Json::Number(text) => {
            serde_json_f64(text).map_or_else(|| error("number out of range: ", what), Ok)
        }
        _ => error("expected a number: ", what),
    }
}

/// serde_json's number reading (`parse_integer`, `parse_decimal`,
/// `parse_exponent`, `f64_from_parts`) for a text already checked against the
/// JSON grammar; `None` where serde_json reports "number out of range".
fn serde_json_f64(text: &str) -> Option<f64> {
    let (positive, rest) = match text.strip_prefix('-') {
        Some(rest) => (false, rest),
        None => (true, text),
    };
    let bytes = rest.as_bytes();
    let mut at = 0;
    let mut significand: u64 = 0;
    let mut exponent: i32 = 0;
    let mut overflowed = false;
    let digit = |b: u8| u64::from(b - b'0');
    while let Some(&b @ b'0'..=b'9') = bytes.get(at) {
        at += 1;
        if overflowed {
            exponent += 1;
            continue;
        }
        match significand
            .checked_mul(10)
            .and_then(|s| s.checked_add(digit(b)))
        {
            Some(next) => significand = next,
            None => {
                overflowed = true;
                exponent += 1;
            }
        }
    }
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        let mut ignore = false;
        while let Some(&b @ b'0'..=b'9') = bytes.get(at) {
            at += 1;
            if ignore {
                continue;
            }
            match significand
                .checked_mul(10)
                .and_then(|s| s.checked_add(digit(b)))
            {
                Some(next) => {
                    significand = next;
                    exponent -= 1;
                }
                None => ignore = true,
            }
        }
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        let positive_exp = match bytes.get(at) {
            Some(b'-') => {
                at += 1;
                false
            }
            Some(b'+') => {
                at += 1;
                true
            }
            _ => true,
        };
        let mut exp: i32 = 0;
        while let Some(&b @ b'0'..=b'9') = bytes.get(at) {
            at += 1;
            match exp
                .checked_mul(10)
                .and_then(|e| e.checked_add(i32::from(b - b'0')))
            {
                Some(next) => exp = next,
                None => {
                    if significand != 0 && positive_exp {
                        return None;
                    }
                    return Some(if positive { 0.0 } else { -0.0 });
                }
            }
        }
        exponent = if positive_exp {
            exponent.saturating_add(exp)
        } else {
            exponent.saturating_sub(exp)
        };
    }
    let mut f = significand as f64;
    loop {
        match pow10(exponent.unsigned_abs()) {
            Some(pow) => {
                if exponent >= 0 {
                    f *= pow;
                    if f.is_infinite() {
                        return None;
                    }
                } else {
                    f /= pow;
                }
                break;
            }
            None => {
                if f == 0.0 {
                    break;
                }
                if exponent >= 0 {
                    return None;
                }
                f /= 1e308;
                exponent += 308;
            }
        }
    }
    Some(if positive { f } else { -f })
}

/// `1e{exponent}` for 0 ≤ exponent ≤ 308 (serde_json's `POW10` table), or
/// `None` above: the f64 nearest to 10^exponent, ties to even, computed
/// instead of stored because the 2.5 KB table does not compress and the
/// widget downloads it. Up to 1e22 every power is exact in f64, so plain
/// multiplication gives it; above, 10^e = 5^e · 2^e, with 5^e rounded to 53
/// bits from its exact value in a small big integer. A test checks all 309
/// against core's float parser.
fn pow10(exponent: u32) -> Option<f64> {
    if exponent > 308 {
        return None;
    }
    if exponent <= 22 {
        let mut power = 1.0;
        for _ in 0..exponent {
            power *= 10.0;
        }
        return Some(power);
    }
    // 5^exponent, little-endian base-2^32 digits (at most 716 bits).
    let mut five_power: Vec<u32> = vec![1];
    for _ in 0..exponent {
        let mut carry = 0u64;
        for digit in &mut five_power {
            let product = u64::from(*digit) * 5 + carry;
            *digit = product as u32;
            carry = product >> 32;
        }
        if carry != 0 {
            five_power.push(carry as u32);
        }
    }
    let bit = |index: usize| five_power[index / 32] >> (index % 32) & 1 == 1;
    let top = five_power.len() - 1;
    let length = 32 * top + (32 - five_power[top].leading_zeros() as usize);
    // 5^23 already has 54 bits: keep 53, look at the next, then the rest.
    let dropped = length - 53;
    let mut mantissa = 0u64;
    for index in (dropped..length).rev() {
        mantissa = mantissa << 1 | u64::from(bit(index));
    }
    let half = bit(dropped - 1);
    let below_half = (0..dropped - 1).any(bit);
    if half && (below_half || mantissa & 1 == 1) {
        mantissa += 1; // may reach 2^53, still exact
    }
    // mantissa · 2^(dropped + exponent); that power of two is at most 2^971.
    let scale = f64::from_bits((1023 + (dropped as u64) + u64::from(exponent)) << 52);
    Some(mantissa as f64 * scale)
}

/// An array, each item read by `read`.
pub fn array<'a, T>(
    value: &'a Json,
    what: &str,
    read: impl Fn(&'a Json, &str) -> Result<T, JsonError>,
) -> Result<Vec<T>, JsonError> {
    match value {
        Json::Array(items) => items.iter().map(|item| read(item, what)).collect(),
        _ => error("expected an array: ", what),
    }
}

pub fn strings(value: &Json, what: &str) -> Result<Vec<String>, JsonError> {
    array(value, what, string)
}

/// A string that must be one of `names`; returns its index.
pub fn one_of(value: &Json, what: &str, names: &[&str]) -> Result<usize, JsonError> {
    let Json::String(text) = value else {
        return error("expected a string: ", what);
    };
    names
        .iter()
        .position(|name| name == text)
        .map_or_else(|| error("unknown variant: ", text), Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values() {
        let value =
            parse(r#" {"a": [1, -2.5e3, true, false, null], "b": "x\"\u00e9\ud83d\ude00\n"} "#);
        assert_eq!(
            value,
            Ok(Json::Object(vec![
                (
                    "a".into(),
                    Json::Array(vec![
                        Json::Number("1".into()),
                        Json::Number("-2.5e3".into()),
                        Json::Bool(true),
                        Json::Bool(false),
                        Json::Null,
                    ])
                ),
                ("b".into(), Json::String("x\"é😀\n".into())),
            ]))
        );
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "1e",
            ".5",
            "\"\\ud83d\"",
            "\"\\udc00\"",
            "\"a\u{1}\"",
            "\"\\x\"",
            "tru",
            "{} x",
            "{'a':1}",
            "NaN",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(bad).is_err(),
                "{bad:?}"
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn powers_of_ten_are_the_nearest_f64() {
        for exponent in 0..=308u32 {
            let literal: f64 = ["1e", &exponent.to_string()].concat().parse().expect("1eN");
            assert_eq!(pow10(exponent), Some(literal), "1e{exponent}");
        }
        assert_eq!(pow10(309), None);
    }

    #[test]
    fn floats_as_serde_json_reads_them() {
        for text in [
            "0",
            "-0",
            "1",
            "-1.5",
            "0.1",
            "1e3",
            "1E-3",
            "2.5e+2",
            "100000.0",
            "1e308",
            "1e309",
            "-1e400",
            "1e-400",
            "0e99999999999",
            "1e99999999999",
            "1e-99999999999",
            "18446744073709551615",
            "18446744073709551616",
            "184467440737095516150.5",
            "3.141592653589793238462643383279",
            "0.30000000000000004",
            "5e-324",
            "2e-324",
            "123456789012345678901234567890e-10",
            "1.7976931348623157e308",
        ] {
            let serde = serde_json::from_str::<f64>(text).ok();
            let small = parse(text).and_then(|v| float(&v, "n")).ok();
            assert_eq!(serde.map(f64::to_bits), small.map(f64::to_bits), "{text}");
        }
    }

    #[test]
    fn typed_readers() {
        let value =
            parse(r#"{"n": 4294967295, "big": 4294967296, "f": 1.5, "neg": -1}"#).expect("parses");
        let members = object(&value, "t", &["n", "big", "f", "neg"]).expect("object");
        assert_eq!(
            u32_value(required(members, "n").expect("n"), "n"),
            Ok(u32::MAX)
        );
        assert!(u32_value(required(members, "big").expect("big"), "big").is_err());
        assert!(u32_value(required(members, "f").expect("f"), "f").is_err());
        assert!(uint(required(members, "neg").expect("neg"), "neg").is_err());
        assert_eq!(float(required(members, "f").expect("f"), "f"), Ok(1.5));
        assert!(object(&value, "t", &["n"]).is_err());
        let twice = parse(r#"{"a":1,"a":2}"#).expect("parses");
        assert!(object(&twice, "t", &["a"]).is_err());
    }
}
