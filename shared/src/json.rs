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
        // A checked fold of the digits rather than `str::parse`, whose generic
        // code the widget would carry for this alone.
        Json::Number(text) if text.bytes().all(|b| b.is_ascii_digit()) => text
            .bytes()
            .try_fold(0u64, |n, digit| {
                n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
            })
            .map_or_else(|| error("out of range: ", what), Ok),
        _ => error("expected an unsigned integer: ", what),
    }
}

pub fn u32_value(value: &Json, what: &str) -> Result<u32, JsonError> {
    u32::try_from(uint(value, what)?).map_or_else(|_| error("out of range: ", what), Ok)
}

/// Any JSON number as an `f64`, correctly rounded (as serde_json reads it
/// with its `float_roundtrip` feature, which `shared` turns on). That is what
/// makes the widget see the very bounds the edge holds: the edge serves its
/// `f64`s written by serde_json in their shortest round-trip form, and only a
/// correctly rounded reading gives each one back exactly. Numbers beyond the
/// `f64` range are refused, as by serde_json.
pub fn float(value: &Json, what: &str) -> Result<f64, JsonError> {
    match value {
        Json::Number(text) => parse_f64(text)
            .filter(|number| number.is_finite())
            .map_or_else(|| error("number out of range: ", what), Ok),
        _ => error("expected a number: ", what),
    }
}

/// A correctly rounded decimal-to-`f64` conversion of a JSON number's text,
/// installed by an embedding built without `float-tables`; the widget
/// installs the browser's `parseFloat`, which ECMAScript requires to round
/// correctly for up to 20 significant digits (serde_json's shortest forms
/// have at most 17).
pub type FloatParser = fn(&str) -> f64;

static FLOAT_PARSER: std::sync::OnceLock<FloatParser> = std::sync::OnceLock::new();

/// Installs the parser [`float`] uses without the `float-tables` feature.
/// The first installation wins; with the feature core's parser is used and
/// this has no effect.
pub fn install_float_parser(parser: FloatParser) {
    let _ = FLOAT_PARSER.set(parser);
}

/// `text` as an `f64`: core's parser (and its tables, about 17 KB of wasm)
/// with `float-tables`, else the installed one (`None` when there is none).
fn parse_f64(text: &str) -> Option<f64> {
    #[cfg(feature = "float-tables")]
    return text.parse().ok();
    #[cfg(not(feature = "float-tables"))]
    return FLOAT_PARSER.get().map(|parse| parse(text));
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
    fn floats_as_serde_json_reads_them_correctly_rounded() {
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
            "9007199254740993e-5",
            "1.2345678901234567e-5",
            // serde_json's shortest form of an f64 that the earlier
            // serde_json-without-float_roundtrip reading got one ulp wrong.
            "7.847308861585414e-82",
        ] {
            let serde = serde_json::from_str::<f64>(text).ok();
            let small = parse(text).and_then(|v| float(&v, "n")).ok();
            assert_eq!(serde.map(f64::to_bits), small.map(f64::to_bits), "{text}");
        }
    }

    proptest::proptest! {
        /// The guarantee the widget needs: every `f64` the edge serves (in
        /// serde_json's shortest round-trip form) reads back exactly.
        #[test]
        fn served_floats_read_back_exactly(bits in proptest::prelude::any::<u64>()) {
            let number = f64::from_bits(bits);
            if number.is_finite() {
                let text = serde_json::to_string(&number).expect("finite");
                let read = parse(&text).and_then(|v| float(&v, "n")).expect("reads");
                proptest::prop_assert_eq!(read.to_bits(), number.to_bits(), "{}", text);
            }
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
        for (text, expected) in [
            ("0", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("1e3", None),
        ] {
            let number = parse(text).expect("a JSON number");
            assert_eq!(uint(&number, "n").ok(), expected, "{text}");
        }
        assert_eq!(float(required(members, "f").expect("f"), "f"), Ok(1.5));
        assert!(object(&value, "t", &["n"]).is_err());
        let twice = parse(r#"{"a":1,"a":2}"#).expect("parses");
        assert!(object(&twice, "t", &["a"]).is_err());
    }
}
