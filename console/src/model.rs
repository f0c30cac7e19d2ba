//! The console's model, apart from its views and tested natively: which page
//! a URL hash names, the owner API's query strings, what a lead row shows
//! (its contact, its age), the erasure confirmation, and the
//! geometry of the funnel's bars.
//!
//! Everything here is pure: no web-sys, no clocks (times come in as
//! milliseconds), no I/O. Views call it; it must not know about Leptos.

use serde_json::Value;

/// A page of the console, as its URL hash names it (`#/leads/ld_1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// `#/leads` (also the empty hash): the leads table.
    Leads,
    /// `#/leads/{id}`: one lead with its certificates and deliveries.
    Lead(String),
    /// `#/quarantine`: held submissions.
    Quarantine,
    /// `#/forms`: each form's health and funnel.
    Forms,
    /// `#/audit`: exports, erasures, replays, token changes.
    Audit,
}

impl Page {
    /// The page a `location.hash` names; unknown hashes are the leads table.
    pub fn from_hash(hash: &str) -> Page {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let mut parts = path.split('/').filter(|p| !p.is_empty());
        match (parts.next(), parts.next(), parts.next()) {
            (Some("leads"), Some(id), None) => Page::Lead(percent_decode(id)),
            (Some("quarantine"), None, None) => Page::Quarantine,
            (Some("forms"), None, None) => Page::Forms,
            (Some("audit"), None, None) => Page::Audit,
            _ => Page::Leads,
        }
    }

    /// The hash that names this page.
    pub fn href(&self) -> String {
        match self {
            Page::Leads => "#/leads".to_owned(),
            Page::Lead(id) => format!("#/leads/{}", percent_encode(id)),
            Page::Quarantine => "#/quarantine".to_owned(),
            Page::Forms => "#/forms".to_owned(),
            Page::Audit => "#/audit".to_owned(),
        }
    }

    /// The navigation entry this page belongs to (a lead belongs to Leads).
    pub fn section(&self) -> Page {
        match self {
            Page::Lead(_) => Page::Leads,
            other => other.clone(),
        }
    }
}

/// `%XX`-escapes everything but unreserved characters (RFC 3986).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Decodes `%XX` escapes; a broken escape or non-UTF-8 result is kept as typed.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// What the leads table asks the API for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeadQuery {
    pub form: String,
    /// RFC 3339 lower bound of `received_at` (`""` = none).
    pub since: String,
    /// The API's keyset cursor of the page to read (`""` = the first page).
    pub cursor: String,
    pub limit: u32,
}

impl LeadQuery {
    /// `GET /v1/leads?...` (with `format=csv` for the export of this filter).
    pub fn path(&self, csv: bool) -> String {
        let mut path = format!("/v1/leads?form={}", percent_encode(&self.form));
        if !self.since.is_empty() {
            path.push_str(&format!("&since={}", percent_encode(&self.since)));
        }
        if !self.cursor.is_empty() {
            path.push_str(&format!("&cursor={}", percent_encode(&self.cursor)));
        }
        if self.limit > 0 {
            path.push_str(&format!("&limit={}", self.limit));
        }
        if csv {
            path.push_str("&format=csv");
        }
        path
    }
}

/// A `YYYY-MM-DD` date from a date input as the API's RFC 3339 `since`
/// (midnight UTC); `None` when it is not such a date.
pub fn date_to_since(date: &str) -> Option<String> {
    let bytes = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| bytes[r].iter().all(u8::is_ascii_digit);
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    if !shaped {
        return None;
    }
    let month: u32 = date[5..7].parse().ok()?;
    let day: u32 = date[8..10].parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then(|| format!("{date}T00:00:00.000Z"))
}

/// Who a lead is, for its row: the first name-, email- and phone-looking
/// values (by field id, then by shape), whatever the form calls its fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

impl Contact {
    pub fn of(values: &Value) -> Contact {
        let mut contact = Contact::default();
        let Some(values) = values.as_object() else {
            return contact;
        };
        let mut first = String::new();
        let mut last = String::new();
        for (id, value) in values {
            let Some(text) = value.as_str() else { continue };
            let id = id.to_ascii_lowercase();
            if id.ends_with("_extension") {
                continue;
            }
            if contact.email.is_empty() && (id.contains("email") || looks_like_email(text)) {
                contact.email = text.to_owned();
            } else if contact.phone.is_empty() && (id.contains("phone") || looks_like_e164(text)) {
                contact.phone = text.to_owned();
            } else if id == "first_name" || id == "firstname" {
                first = text.to_owned();
            } else if id == "last_name" || id == "lastname" {
                last = text.to_owned();
            } else if contact.name.is_empty() && (id == "name" || id == "full_name") {
                contact.name = text.to_owned();
            }
        }
        if contact.name.is_empty() {
            contact.name = [first, last]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
        }
        contact
    }

    /// Does the row match the search box (name, email or phone, any case;
    /// digits of a phone match with or without its punctuation)?
    pub fn matches(&self, search: &str) -> bool {
        let search = search.trim().to_lowercase();
        if search.is_empty() {
            return true;
        }
        let digits: String = search.chars().filter(char::is_ascii_digit).collect();
        self.name.to_lowercase().contains(&search)
            || self.email.to_lowercase().contains(&search)
            || self.phone.contains(&search)
            || (digits.len() >= 3 && self.phone.contains(&digits))
    }
}

fn looks_like_email(text: &str) -> bool {
    text.split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

fn looks_like_e164(text: &str) -> bool {
    text.strip_prefix('+')
        .is_some_and(|rest| rest.len() >= 7 && rest.bytes().all(|b| b.is_ascii_digit()))
}

/// A lead's age as the table shows it: "just now", "4 min", "3 h", "2 d".
pub fn age(now_ms: f64, then_ms: f64) -> String {
    let seconds = ((now_ms - then_ms) / 1000.0).max(0.0) as u64;
    match seconds {
        0..=59 => "just now".to_owned(),
        60..=3_599 => format!("{} min", seconds / 60),
        3_600..=86_399 => format!("{} h", seconds / 3_600),
        _ => format!("{} d", seconds / 86_400),
    }
}

/// Erasure asks the owner to type the lead's id (or the email) exactly.
pub fn confirms(typed: &str, expected: &str) -> bool {
    !expected.is_empty() && typed.trim() == expected
}

/// One bar of a horizontal bar chart, in SVG user units.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Bars for `values` in a chart `width` wide, `row` high per bar (a tenth of
/// it left as a gap), scaled to the largest value; all zero = zero width.
pub fn bars(values: &[u64], width: f64, row: f64) -> Vec<Bar> {
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .enumerate()
        .map(|(i, &value)| Bar {
            y: i as f64 * row,
            width: if max == 0 {
                0.0
            } else {
                width * value as f64 / max as f64
            },
            height: row * 0.9,
        })
        .collect()
}

/// A share as the console prints it: `37.5 %`, or `–` without a base.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

/// A JSON value as one table cell: text as it is, lists joined, `true`/`false`
/// as yes/no, null as empty.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_round_trip_through_their_hash() {
        let cases = [
            ("", Page::Leads),
            ("#/", Page::Leads),
            ("#/leads", Page::Leads),
            ("#/leads/ld_01", Page::Lead("ld_01".into())),
            ("#/leads/a%2Fb", Page::Lead("a/b".into())),
            ("#/quarantine", Page::Quarantine),
            ("#/forms", Page::Forms),
            ("#/audit", Page::Audit),
            ("#/nowhere", Page::Leads),
            ("#/leads/a/b", Page::Leads),
        ];
        for (hash, page) in cases {
            assert_eq!(Page::from_hash(hash), page, "{hash}");
            assert_eq!(Page::from_hash(&page.href()), page, "{hash}");
        }
        assert_eq!(Page::Lead("x".into()).section(), Page::Leads);
    }

    #[test]
    fn percent_coding_round_trips_and_keeps_broken_escapes() {
        for text in ["plain", "a b&c=d", "é/ü?#", "100%"] {
            assert_eq!(percent_decode(&percent_encode(text)), text);
        }
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%ff"), "%ff");
    }

    #[test]
    fn lead_queries() {
        let mut query = LeadQuery {
            form: "home-quote".into(),
            ..LeadQuery::default()
        };
        assert_eq!(query.path(false), "/v1/leads?form=home-quote");
        query.since = "2026-12-01T00:00:00.000Z".into();
        query.cursor = "1764547200000_ld 1".into();
        query.limit = 25;
        assert_eq!(
            query.path(true),
            "/v1/leads?form=home-quote&since=2026-12-01T00%3A00%3A00.000Z&cursor=1764547200000_ld%201&limit=25&format=csv"
        );
    }

    #[test]
    fn dates_become_since_bounds() {
        let cases = [
            ("2026-12-01", Some("2026-12-01T00:00:00.000Z")),
            ("2026-13-01", None),
            ("2026-12-00", None),
            ("2026-1-01", None),
            ("", None),
            ("2026-12-01x", None),
        ];
        for (date, since) in cases {
            assert_eq!(date_to_since(date).as_deref(), since, "{date}");
        }
    }

    #[test]
    fn contacts_are_found_by_id_and_by_shape() {
        let check = |values: Value, name: &str, email: &str, phone: &str| {
            let contact = Contact::of(&values);
            assert_eq!(
                (
                    contact.name.as_str(),
                    contact.email.as_str(),
                    contact.phone.as_str()
                ),
                (name, email, phone),
                "{values}"
            );
        };
        check(
            json!({"name": "Ada", "email": "ada@example.com", "phone": "+14155550123"}),
            "Ada",
            "ada@example.com",
            "+14155550123",
        );
        check(
            json!({"first_name": "Ada", "last_name": "Lovelace", "work_email": "a@b.co"}),
            "Ada Lovelace",
            "a@b.co",
            "",
        );
        check(
            json!({"contact": "+442071838750", "phone_extension": "12", "zip": "94107"}),
            "",
            "",
            "+442071838750",
        );
        check(json!(null), "", "", "");
        check(json!({"services": ["a", "b"]}), "", "", "");
    }

    #[test]
    fn search_matches_name_email_and_phone_digits() {
        let contact = Contact {
            name: "Ada Lovelace".into(),
            email: "Ada@Example.com".into(),
            phone: "+14155550123".into(),
        };
        for (search, hit) in [
            ("", true),
            ("  ", true),
            ("lovelace", true),
            ("example.COM", true),
            ("415", true),
            ("(415) 555-0123", true),
            ("999", false),
            ("grace", false),
        ] {
            assert_eq!(contact.matches(search), hit, "{search:?}");
        }
    }

    #[test]
    fn ages_and_confirmation() {
        let now = 10_000_000_000.0;
        for (seconds, text) in [
            (0, "just now"),
            (59, "just now"),
            (60, "1 min"),
            (3_599, "59 min"),
            (3_600, "1 h"),
            (86_400, "1 d"),
        ] {
            assert_eq!(age(now, now - seconds as f64 * 1000.0), text);
        }
        assert_eq!(age(now, now + 5_000.0), "just now");
        assert!(confirms(" ld_1 ", "ld_1"));
        assert!(!confirms("ld_", "ld_1"));
        assert!(!confirms("", ""));
    }

    #[test]
    fn bars_scale_to_the_largest_value() {
        let bars = bars(&[100, 50, 0], 200.0, 20.0);
        let widths: Vec<f64> = bars.iter().map(|b| b.width).collect();
        assert_eq!(widths, [200.0, 100.0, 0.0]);
        assert_eq!(bars[2].y, 40.0);
        assert_eq!(bars[0].height, 18.0);
        assert!(super::bars(&[0, 0], 200.0, 20.0)
            .iter()
            .all(|b| b.width == 0.0));
        assert_eq!(percent(1, 8), "12.5 %");
        assert_eq!(percent(1, 0), "–");
    }

    #[test]
    fn cells() {
        for (value, text) in [
            (json!(null), ""),
            (json!(true), "yes"),
            (json!("x"), "x"),
            (json!(["a", "b"]), "a, b"),
            (json!(12), "12"),
        ] {
            assert_eq!(cell(&value), text);
        }
    }
}
