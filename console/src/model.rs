//! The console's model, apart from its views and tested natively: which page
//! a URL hash names, the owner API's query strings (filters, downloads), what
//! a lead row shows (its contact, its age), the erasure confirmation, a
//! waiting lead against its tier's SLA, the funnel's steps and drop-off, the
//! variant comparison, and the geometry of the charts' bars.
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
    /// `#/speed`: leads waiting for first contact against their tier's SLA.
    Speed,
    /// `#/funnel`: views -> starts -> submits -> leads per form and variant.
    Funnel,
    /// `#/destinations`: each destination's health, dead-letter redrive.
    Destinations,
    /// `#/forms`: each form's widget health and spam signals.
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
            (Some("speed"), None, None) => Page::Speed,
            (Some("funnel"), None, None) => Page::Funnel,
            (Some("destinations"), None, None) => Page::Destinations,
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
            Page::Speed => "#/speed".to_owned(),
            Page::Funnel => "#/funnel".to_owned(),
            Page::Destinations => "#/destinations".to_owned(),
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
    /// `""` = every form (the leads table's "All forms").
    pub form: String,
    /// RFC 3339 lower bound of `received_at` (`""` = none).
    pub since: String,
    /// The API's keyset cursor of the page to read (`""` = the first page).
    pub cursor: String,
    pub limit: u32,
    /// Newest first (the table) rather than oldest first (polling, waiting).
    pub newest: bool,
    /// `""` = any; else the tier, grade or status (`new`: none yet).
    pub tier: String,
    pub grade: String,
    pub status: String,
    /// `""` = any; else the route id.
    pub route: String,
    /// `YYYY-MM-DD` upper bound, through that day (`""` = none).
    pub to: String,
    /// Search text (`""` = none): the API reads it as email, phone or name.
    pub q: String,
    /// Only leads not contacted yet (speed-to-lead).
    pub waiting: bool,
}

impl LeadQuery {
    /// `GET /v1/leads?...`: a page to read (the `read` scope); without a
    /// form, of every form.
    pub fn path(&self) -> String {
        let mut params: Vec<String> = Vec::new();
        let mut add = |name: &str, value: &str| {
            if !value.is_empty() {
                params.push(format!("{name}={}", percent_encode(value)));
            }
        };
        add("form", &self.form);
        add("since", &self.since);
        add("cursor", &self.cursor);
        add("tier", &self.tier);
        add("grade", &self.grade);
        add("status", &self.status);
        add("route", &self.route);
        add("to", &self.to);
        add("q", self.q.trim());
        if self.waiting {
            add("waiting", "true");
        }
        if self.newest {
            add("order", "newest");
        }
        if self.limit > 0 {
            add("limit", &self.limit.to_string());
        }
        format!("/v1/leads?{}", params.join("&"))
    }

    /// The download of this filter (`csv` or `json`: the `export` scope,
    /// audited), from its first page.
    pub fn download_path(&self, format: &str) -> String {
        let first = LeadQuery {
            cursor: String::new(),
            ..self.clone()
        };
        let path = first.path();
        let joint = if path.ends_with('?') { "" } else { "&" };
        format!("{path}{joint}format={format}")
    }

    /// The file a download of this filter is saved as (as the API names
    /// it: `leads-all` across forms).
    pub fn download_name(&self, format: &str) -> String {
        let form = if self.form.is_empty() {
            "all"
        } else {
            &self.form
        };
        format!("leads-{form}.{format}")
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

/// Cents as a price: `1250` is `12.50` (the buyers' own currency; specs
/// price in cents of one currency).
pub fn price(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// One line of a lead's distribution log as the console lists it: when,
/// where, what happened (`ping`, `post`, `decision`, ...), to which buyer,
/// and the rest of the entry as `key: value` pairs, in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub at: String,
    pub destination: String,
    pub event: String,
    pub buyer: String,
    pub detail: String,
}

impl LogLine {
    pub fn of(entry: &Value) -> LogLine {
        const SHOWN: [&str; 4] = ["at", "destination", "event", "buyer"];
        let detail = entry
            .as_object()
            .map(|fields| {
                fields
                    .iter()
                    .filter(|(key, value)| !SHOWN.contains(&key.as_str()) && !value.is_null())
                    .map(|(key, value)| match (key.as_str(), value.as_u64()) {
                        ("price_cents", Some(cents)) => format!("price: {}", price(cents)),
                        _ => format!("{key}: {}", cell_deep(value)),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        LogLine {
            at: cell(&entry["at"]),
            destination: cell(&entry["destination"]),
            event: cell(&entry["event"]),
            buyer: cell(&entry["buyer"]),
            detail,
        }
    }
}

/// Like [`cell`], with objects written as compact JSON (a decision's `sale`
/// and `sold` lists).
fn cell_deep(value: &Value) -> String {
    match value {
        Value::Object(_) => value.to_string(),
        Value::Array(items) if items.iter().any(Value::is_object) => value.to_string(),
        other => cell(other),
    }
}

/// A duration as the console prints it: `45 s`, `12 min`, `3 h 05 min`, `2 d 4 h`.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3_599 => format!("{} min", s / 60),
        3_600..=86_399 => format!("{} h {:02} min", s / 3_600, s % 3_600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3_600),
    }
}

/// Where a lead waiting for first contact stands against its SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sla {
    /// The tier sets no SLA.
    None,
    /// Within it, with this much left.
    Within { left_ms: u64 },
    /// In the last quarter of it.
    DueSoon { left_ms: u64 },
    /// Past it by this much.
    Overdue { by_ms: u64 },
}

impl Sla {
    /// A lead `age_ms` old against `sla_minutes` (its tier's).
    pub fn of(age_ms: u64, sla_minutes: Option<u32>) -> Sla {
        let Some(minutes) = sla_minutes.filter(|m| *m > 0) else {
            return Sla::None;
        };
        let sla_ms = u64::from(minutes) * 60_000;
        if age_ms >= sla_ms {
            Sla::Overdue {
                by_ms: age_ms - sla_ms,
            }
        } else if (sla_ms - age_ms) * 4 <= sla_ms {
            Sla::DueSoon {
                left_ms: sla_ms - age_ms,
            }
        } else {
            Sla::Within {
                left_ms: sla_ms - age_ms,
            }
        }
    }

    /// The words beside the bar.
    pub fn text(&self) -> String {
        match self {
            Sla::None => "no SLA for this tier".to_owned(),
            Sla::Within { left_ms } => format!("{} left", duration(*left_ms)),
            Sla::DueSoon { left_ms } => format!("due soon: {} left", duration(*left_ms)),
            Sla::Overdue { by_ms } => format!("overdue by {}", duration(*by_ms)),
        }
    }

    /// The CSS class (and the order: overdue first).
    pub fn class(&self) -> &'static str {
        match self {
            Sla::Overdue { .. } => "overdue",
            Sla::DueSoon { .. } => "due-soon",
            Sla::Within { .. } => "within",
            Sla::None => "no-sla",
        }
    }

    /// Sort key: the most urgent first (overdue the longest, then the
    /// least time left, then leads without an SLA).
    pub fn urgency(&self) -> (u8, i128) {
        match *self {
            Sla::Overdue { by_ms } => (0, -(by_ms as i128)),
            Sla::DueSoon { left_ms } => (1, left_ms as i128),
            Sla::Within { left_ms } => (1, left_ms as i128),
            Sla::None => (2, 0),
        }
    }
}

/// The share of the SLA used, for the bar (0..=1; past it is 1).
pub fn sla_used(age_ms: u64, sla_minutes: Option<u32>) -> f64 {
    match sla_minutes.filter(|m| *m > 0) {
        Some(minutes) => (age_ms as f64 / (f64::from(minutes) * 60_000.0)).min(1.0),
        None => 0.0,
    }
}

/// One step of the funnel: how many reached it and how many of the step
/// before did not.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelStep {
    pub label: &'static str,
    pub count: u64,
    /// Lost since the step before (none for the first).
    pub dropped: Option<u64>,
    /// `count` of the step before (for the step's rate).
    pub previous: Option<u64>,
}

/// Views -> starts -> submits -> leads -> qualified from a funnel report's
/// `totals` (`views`, `starters`, `submits`, `accepted`, `qualified`); a
/// missing figure is 0, except `qualified`, which is `null` without the
/// closed loop: then the funnel ends at leads.
pub fn funnel_steps(totals: &Value) -> Vec<FunnelStep> {
    let steps = [
        ("views", "views"),
        ("starts", "starters"),
        ("submits", "submits"),
        ("leads", "accepted"),
        ("qualified", "qualified"),
    ];
    let mut out: Vec<FunnelStep> = Vec::new();
    for (label, key) in steps {
        if key == "qualified" && !totals[key].is_u64() {
            break;
        }
        let count = totals[key].as_u64().unwrap_or(0);
        let previous = out.last().map(|s| s.count);
        out.push(FunnelStep {
            label,
            count,
            dropped: previous.map(|p| p.saturating_sub(count)),
            previous,
        });
    }
    out
}

/// One variant of an experiment as the comparison shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantRow {
    pub id: String,
    pub views: u64,
    pub leads: u64,
    /// Leads per view (`None` without views).
    pub conversion: Option<f64>,
    /// Against the control: `None` for the control itself.
    pub p_value: Option<f64>,
    pub significant: bool,
    pub winner: Option<String>,
}

impl VariantRow {
    /// The rows of a report's `variants` (the first is the control).
    pub fn all(report: &Value) -> Vec<VariantRow> {
        report["variants"]
            .as_array()
            .map(|variants| {
                variants
                    .iter()
                    .map(|v| VariantRow {
                        id: cell(&v["id"]),
                        views: v["views"].as_u64().unwrap_or(0),
                        leads: v["accepted"].as_u64().unwrap_or(0),
                        conversion: v["conversion"].as_f64(),
                        p_value: v["conversion_test"]["p_value"].as_f64(),
                        significant: v["conversion_test"]["significant"].as_bool() == Some(true),
                        winner: v["conversion_test"]["winner"].as_str().map(str::to_owned),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What the comparison says about this variant against the control
    /// (`confidence` is the report's level, e.g. 0.95).
    pub fn verdict(&self, control: &str, confidence: f64) -> String {
        let level = format!("{:.0} %", confidence * 100.0);
        match (self.p_value, &self.winner) {
            (None, _) if self.id == control => "control".to_owned(),
            (None, _) => "not compared yet".to_owned(),
            (Some(p), Some(winner)) if self.significant => {
                format!("{winner} wins (p = {p:.3}, significant at {level})")
            }
            (Some(p), _) => format!("no difference shown yet (p = {p:.3}, needs {level})"),
        }
    }
}

/// A rate as a percentage (`12.5 %`), `–` when there is none.
pub fn rate_text(rate: Option<f64>) -> String {
    match rate {
        Some(rate) if rate.is_finite() => format!("{:.1} %", rate * 100.0),
        _ => "–".to_owned(),
    }
}

/// Whether a destination's dead letters can be redriven from the console:
/// it has some and a 410 did not disable it (nothing is sent to those).
pub fn may_redrive(state: &str, dead: u64) -> bool {
    dead > 0 && state != "disabled"
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
            ("#/speed", Page::Speed),
            ("#/funnel", Page::Funnel),
            ("#/destinations", Page::Destinations),
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
        let base = LeadQuery {
            form: "home-quote".into(),
            ..LeadQuery::default()
        };
        let cases = [
            (base.clone(), "/v1/leads?form=home-quote"),
            (
                LeadQuery {
                    since: "2026-12-01T00:00:00.000Z".into(),
                    cursor: "1764547200000_ld 1".into(),
                    limit: 25,
                    newest: true,
                    ..base.clone()
                },
                "/v1/leads?form=home-quote&since=2026-12-01T00%3A00%3A00.000Z&cursor=1764547200000_ld%201&order=newest&limit=25",
            ),
            (
                LeadQuery {
                    tier: "hot".into(),
                    grade: "A+".into(),
                    status: "new".into(),
                    ..base.clone()
                },
                "/v1/leads?form=home-quote&tier=hot&grade=A%2B&status=new",
            ),
            (
                LeadQuery {
                    route: "east".into(),
                    to: "2026-12-02".into(),
                    q: " ada@example.com ".into(),
                    ..base.clone()
                },
                "/v1/leads?form=home-quote&route=east&to=2026-12-02&q=ada%40example.com",
            ),
            (
                LeadQuery {
                    waiting: true,
                    limit: 100,
                    ..base.clone()
                },
                "/v1/leads?form=home-quote&waiting=true&limit=100",
            ),
        ];
        for (query, path) in cases {
            assert_eq!(query.path(), path);
        }
        let filtered = LeadQuery {
            tier: "hot".into(),
            cursor: "1_ld".into(),
            limit: 500,
            ..base
        };
        assert_eq!(
            filtered.download_path("csv"),
            "/v1/leads?form=home-quote&tier=hot&limit=500&format=csv"
        );
        assert_eq!(filtered.download_name("json"), "leads-home-quote.json");
        // Every form: no `form=`, and the API's `leads-all` file.
        let all = LeadQuery {
            limit: 25,
            newest: true,
            q: "ada@example.com".into(),
            ..LeadQuery::default()
        };
        assert_eq!(
            all.path(),
            "/v1/leads?q=ada%40example.com&order=newest&limit=25"
        );
        assert_eq!(
            LeadQuery::default().download_path("csv"),
            "/v1/leads?format=csv"
        );
        assert_eq!(all.download_name("csv"), "leads-all.csv");
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

    #[test]
    fn durations() {
        for (ms, text) in [
            (0, "0 s"),
            (59_999, "59 s"),
            (60_000, "1 min"),
            (3_599_000, "59 min"),
            (3_600_000, "1 h 00 min"),
            (3_900_000, "1 h 05 min"),
            (86_400_000, "1 d 0 h"),
            (100_800_000, "1 d 4 h"),
        ] {
            assert_eq!(duration(ms), text, "{ms}");
        }
    }

    #[test]
    fn waiting_leads_against_their_sla() {
        let min = 60_000;
        // age, SLA minutes, state, text, share of the SLA used
        let cases = [
            (5 * min, None, Sla::None, "no SLA for this tier", 0.0),
            (5 * min, Some(0), Sla::None, "no SLA for this tier", 0.0),
            (
                0,
                Some(60),
                Sla::Within { left_ms: 60 * min },
                "1 h 00 min left",
                0.0,
            ),
            (
                30 * min,
                Some(60),
                Sla::Within { left_ms: 30 * min },
                "30 min left",
                0.5,
            ),
            (
                45 * min,
                Some(60),
                Sla::DueSoon { left_ms: 15 * min },
                "due soon: 15 min left",
                0.75,
            ),
            (
                59 * min,
                Some(60),
                Sla::DueSoon { left_ms: min },
                "due soon: 1 min left",
                59.0 / 60.0,
            ),
            (
                60 * min,
                Some(60),
                Sla::Overdue { by_ms: 0 },
                "overdue by 0 s",
                1.0,
            ),
            (
                90 * min,
                Some(60),
                Sla::Overdue { by_ms: 30 * min },
                "overdue by 30 min",
                1.0,
            ),
        ];
        for (age, sla, state, text, used) in cases {
            assert_eq!(Sla::of(age, sla), state, "{age} {sla:?}");
            assert_eq!(state.text(), text);
            assert_eq!(sla_used(age, sla), used, "{age} {sla:?}");
        }
        // Most urgent first: the longest overdue, then the least time left.
        let mut states = [
            Sla::None,
            Sla::Within { left_ms: 9 },
            Sla::Overdue { by_ms: 1 },
            Sla::DueSoon { left_ms: 2 },
            Sla::Overdue { by_ms: 5 },
        ];
        states.sort_by_key(Sla::urgency);
        assert_eq!(
            states,
            [
                Sla::Overdue { by_ms: 5 },
                Sla::Overdue { by_ms: 1 },
                Sla::DueSoon { left_ms: 2 },
                Sla::Within { left_ms: 9 },
                Sla::None,
            ]
        );
    }

    #[test]
    fn distribution_log_lines_and_prices() {
        assert_eq!(price(1250), "12.50");
        assert_eq!(price(5), "0.05");
        assert_eq!(price(0), "0.00");
        let check = |entry: Value, expected: (&str, &str, &str, &str, &str)| {
            let line = LogLine::of(&entry);
            assert_eq!(
                (
                    line.at.as_str(),
                    line.destination.as_str(),
                    line.event.as_str(),
                    line.buyer.as_str(),
                    line.detail.as_str()
                ),
                expected,
                "{entry}"
            );
        };
        check(
            json!({"event": "ping", "buyer": "acme", "latency_ms": 12, "result": "bid", "price_cents": 1500,
                   "at": "2026-12-02T10:00:00.000Z", "destination": "market"}),
            (
                "2026-12-02T10:00:00.000Z",
                "market",
                "ping",
                "acme",
                "latency_ms: 12, price: 15.00, result: bid",
            ),
        );
        check(
            json!({"event": "skipped", "buyer": "zed", "reason": "cap_reached", "at": "t", "destination": "market"}),
            ("t", "market", "skipped", "zed", "reason: cap_reached"),
        );
        check(
            json!({"event": "decision", "sale": "exclusive", "sold": [{"buyer": "acme", "price_cents": 1500}],
                   "fallback": false, "at": "t", "destination": "market"}),
            (
                "t",
                "market",
                "decision",
                "",
                r#"fallback: no, sale: exclusive, sold: [{"buyer":"acme","price_cents":1500}]"#,
            ),
        );
        check(
            json!({"event": "post", "buyer": "b", "http_status": null}),
            ("", "", "post", "b", ""),
        );
    }

    #[test]
    fn funnel_steps_and_drop_off() {
        let steps =
            funnel_steps(&json!({"views": 200, "starters": 80, "submits": 50, "accepted": 48}));
        let got: Vec<(&str, u64, Option<u64>)> = steps
            .iter()
            .map(|s| (s.label, s.count, s.dropped))
            .collect();
        assert_eq!(
            got,
            [
                ("views", 200, None),
                ("starts", 80, Some(120)),
                ("submits", 50, Some(30)),
                ("leads", 48, Some(2)),
            ]
        );
        assert_eq!(steps[1].previous, Some(200));
        // With the closed loop, the qualified leads end the funnel.
        let closed = funnel_steps(
            &json!({"views": 200, "starters": 80, "submits": 50, "accepted": 48, "qualified": 12}),
        );
        assert_eq!(closed.len(), 5);
        assert_eq!(
            (closed[4].label, closed[4].count, closed[4].dropped),
            ("qualified", 12, Some(36))
        );
        // Missing figures are zero; a later step above an earlier drops 0.
        let odd = funnel_steps(&json!({"starters": 3}));
        assert_eq!(odd.len(), 4, "no closed loop: no qualified step");
        assert_eq!(odd[1].dropped, Some(0));
        assert_eq!(odd[2].dropped, Some(3));
        assert_eq!(rate_text(Some(0.125)), "12.5 %");
        assert_eq!(rate_text(None), "–");
        assert_eq!(rate_text(Some(f64::NAN)), "–");
    }

    #[test]
    fn variants_compared_with_their_confidence() {
        let report = json!({"variants": [
            {"id": "control", "views": 500, "accepted": 50, "conversion": 0.1},
            {"id": "short", "views": 500, "accepted": 80, "conversion": 0.16,
             "conversion_test": {"z": 2.8, "p_value": 0.0051, "significant": true, "winner": "short"}},
            {"id": "long", "views": 40, "accepted": 5, "conversion": 0.125,
             "conversion_test": {"z": 0.4, "p_value": 0.69, "significant": false, "winner": null}},
            {"id": "new"}
        ]});
        let rows = VariantRow::all(&report);
        let verdicts: Vec<String> = rows.iter().map(|r| r.verdict("control", 0.95)).collect();
        assert_eq!(
            verdicts,
            [
                "control",
                "short wins (p = 0.005, significant at 95 %)",
                "no difference shown yet (p = 0.690, needs 95 %)",
                "not compared yet",
            ]
        );
        assert_eq!(
            (rows[1].views, rows[1].leads, rows[1].conversion),
            (500, 80, Some(0.16))
        );
        assert_eq!(rows[3].conversion, None);
        assert!(VariantRow::all(&json!({})).is_empty());
    }

    #[test]
    fn redrive_needs_dead_letters_and_an_enabled_destination() {
        for (state, dead, allowed) in [
            ("dead_letters", 3, true),
            ("failing", 1, true),
            ("healthy", 0, false),
            ("disabled", 4, false),
        ] {
            assert_eq!(may_redrive(state, dead), allowed, "{state} {dead}");
        }
    }
}
