//! Anti-spam rules: the soft signals (honeypot, minimum time-to-fill, the
//! per-IP rate, Turnstile unavailable, and the content signals: a URL or
//! markup in a name field, a disposable-email domain, the same text in every
//! free-text field), what each does on a form (quarantine, refuse or nothing:
//! `[anti_spam.quarantine]`), the fixed-window counters kept by the
//! `RateLimiter` Durable Object, and Turnstile siteverify's request and answer.
//!
//! Everything here is a pure decision; the platform layer calls siteverify and
//! the Durable Object. The rules live in the edge only: none of them is
//! compiled into the widget, so a bot cannot read them from the browser.
//! Rate-limit windows are per minute; quarantine caps per hour.

use leadform_shared::{CleanSubmission, FieldKind, FieldValue, FormSpec, SubmissionEnvelope};
use serde::{Deserialize, Serialize};

use crate::EdgeError;

/// Cloudflare's siteverify endpoint (overridable with `TURNSTILE_VERIFY_URL`).
pub const TURNSTILE_VERIFY_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/// Length of one rate-limit window.
pub const RATE_WINDOW_MS: u64 = 60_000;

/// Length of one quarantine-cap window.
pub const QUARANTINE_WINDOW_MS: u64 = 3_600_000;

/// A soft spam signal: a reason to doubt a submission that a person may
/// still have typed. Its name is one of `leadform_shared::spec::SPAM_SIGNALS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The hidden `website` input was filled (a bot, or an autofill extension).
    Honeypot,
    /// Sent faster than the form's `min_fill_ms` (a bot, or autofill + a quick click).
    TooFast,
    /// More submissions from this IP than the form's `per_ip_per_minute`.
    RateLimited,
    /// Turnstile's siteverify could not be reached or answered nonsense.
    TurnstileUnavailable,
    /// A URL or markup in a name field.
    UrlInName,
    /// An email address at a disposable-email domain.
    DisposableEmail,
    /// The same text in every free-text field (at least two of them filled).
    SameText,
}

impl Signal {
    pub const ALL: &'static [Signal] = &[
        Signal::Honeypot,
        Signal::TooFast,
        Signal::RateLimited,
        Signal::TurnstileUnavailable,
        Signal::UrlInName,
        Signal::DisposableEmail,
        Signal::SameText,
    ];

    /// The name `[anti_spam.quarantine]` and the owner's listing use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Signal::Honeypot => "honeypot",
            Signal::TooFast => "too_fast",
            Signal::RateLimited => "rate_limited",
            Signal::TurnstileUnavailable => "turnstile_unavailable",
            Signal::UrlInName => "url_in_name",
            Signal::DisposableEmail => "disposable_email",
            Signal::SameText => "same_text",
        }
    }

    pub fn from_code(code: &str) -> Option<Signal> {
        Signal::ALL.iter().copied().find(|s| s.as_str() == code)
    }

    /// The refusal when the form lists this signal in `refuse`.
    /// `retry_after_s` is the rate limiter's (only [`Signal::RateLimited`] uses it).
    pub fn refusal(self, spec: &FormSpec, retry_after_s: u32) -> EdgeError {
        match self {
            Signal::Honeypot => EdgeError::Honeypot,
            Signal::TooFast => EdgeError::TooFast {
                min_fill_ms: spec.anti_spam.min_fill_ms,
            },
            Signal::RateLimited => EdgeError::RateLimited { retry_after_s },
            Signal::TurnstileUnavailable => EdgeError::TurnstileUnavailable,
            Signal::UrlInName => EdgeError::UrlInName,
            Signal::DisposableEmail => EdgeError::DisposableEmail,
            Signal::SameText => EdgeError::SameText,
        }
    }
}

/// The signals that fired, minus those the form ignores; `Err` with the first
/// one the form refuses. `Ok(vec![])` is a clean submission; any other `Ok`
/// is quarantined with those signals (sorted, each once).
pub fn decide(spec: &FormSpec, fired: &[Signal]) -> Result<Vec<Signal>, Signal> {
    let rules = &spec.anti_spam.quarantine;
    let mut kept: Vec<Signal> = fired
        .iter()
        .copied()
        .filter(|s| !rules.ignores(s.as_str()))
        .collect();
    kept.sort();
    kept.dedup();
    match kept.iter().find(|s| rules.refuses(s.as_str())) {
        Some(refused) => Err(*refused),
        None => Ok(kept),
    }
}

/// Honeypot and time-to-fill, from the envelope alone.
pub fn human_signals(spec: &FormSpec, envelope: &SubmissionEnvelope) -> Vec<Signal> {
    let mut fired = Vec::new();
    if !envelope.honeypot.trim().is_empty() {
        fired.push(Signal::Honeypot);
    }
    if envelope.timings.time_to_fill_ms < u64::from(spec.anti_spam.min_fill_ms) {
        fired.push(Signal::TooFast);
    }
    fired
}

/// The content signals of a validated submission.
pub fn content_signals(spec: &FormSpec, clean: &CleanSubmission) -> Vec<Signal> {
    let text = |id: &str| match clean.values.get(id) {
        Some(FieldValue::Text(text)) => Some(text.as_str()),
        _ => None,
    };
    let mut fired = Vec::new();
    let names = spec.fields.iter().filter(|f| is_name_field(f));
    if names.filter_map(|f| text(&f.id)).any(has_url_or_markup) {
        fired.push(Signal::UrlInName);
    }
    let emails = spec.fields.iter().filter(|f| f.kind == FieldKind::Email);
    if emails.filter_map(|f| text(&f.id)).any(is_disposable_email) {
        fired.push(Signal::DisposableEmail);
    }
    let free_text: Vec<String> = spec
        .fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Text | FieldKind::Textarea))
        .filter_map(|f| text(&f.id))
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if free_text.len() >= 2 && free_text.iter().all(|t| *t == free_text[0]) {
        fired.push(Signal::SameText);
    }
    fired
}

/// Ids of text fields taken as a person's name when they set no
/// `autocomplete` token.
const NAME_FIELD_IDS: &[&str] = &[
    "name",
    "full_name",
    "first_name",
    "last_name",
    "given_name",
    "family_name",
    "surname",
];

/// A text field holding a person's name: its `autocomplete` is a name token
/// (`name`, `given-name`, `family-name`), or it has none and a name-like id.
pub fn is_name_field(field: &leadform_shared::FieldSpec) -> bool {
    field.kind == FieldKind::Text
        && match field.autocomplete.as_deref() {
            Some(token) => leadform_shared::spec::NAME_AUTOCOMPLETE.contains(&token),
            None => NAME_FIELD_IDS.contains(&field.id.as_str()),
        }
}

/// A URL (`://`, `www.`, `http:`/`https:`, a BBCode `[url`) or markup (`<`
/// before a letter, `/`, `!` or `?`; an HTML entity `&#`) in `text`. Names
/// with dots, apostrophes and hyphens (`J.R.R. O'Brien-Smith`) have none.
pub fn has_url_or_markup(text: &str) -> bool {
    let lower = text.to_lowercase();
    if ["://", "www.", "http:", "https:", "[url", "[link", "&#"]
        .iter()
        .any(|needle| lower.contains(needle))
    {
        return true;
    }
    let bytes = lower.as_bytes();
    bytes.windows(2).any(|pair| {
        pair[0] == b'<' && (pair[1].is_ascii_alphabetic() || matches!(pair[1], b'/' | b'!' | b'?'))
    })
}

/// The disposable-email domains, one a line, sorted (comment lines start
/// with `#`). From the community-maintained list at
/// <https://github.com/disposable-email-domains/disposable-email-domains>
/// (`disposable_email_blocklist.conf`, CC0); the header of the file names the
/// commit it was copied from.
const DISPOSABLE_DOMAINS: &str = include_str!("../data/disposable_email_domains.txt");

fn disposable_domains() -> impl Iterator<Item = &'static str> {
    DISPOSABLE_DOMAINS
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Whether `domain` (lower-case) or a parent of it is a listed disposable domain.
pub fn is_disposable_domain(domain: &str) -> bool {
    static SORTED: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let sorted = SORTED.get_or_init(|| disposable_domains().collect());
    let domain = domain.trim_end_matches('.');
    let mut candidate = domain;
    loop {
        if sorted.binary_search(&candidate).is_ok() {
            return true;
        }
        match candidate.split_once('.') {
            Some((_, parent)) if parent.contains('.') => candidate = parent,
            _ => return false,
        }
    }
}

/// Whether the (normalised) email address is at a disposable domain.
pub fn is_disposable_email(address: &str) -> bool {
    address
        .rsplit_once('@')
        .is_some_and(|(_, domain)| is_disposable_domain(&domain.to_lowercase()))
}

/// The Turnstile token to verify, if the form enables Turnstile.
pub fn turnstile_token_needed<'a>(
    spec: &FormSpec,
    envelope: &'a SubmissionEnvelope,
) -> Result<Option<&'a str>, EdgeError> {
    if spec.anti_spam.turnstile_site_key.is_none() {
        return Ok(None);
    }
    match envelope.turnstile_token.as_deref().map(str::trim) {
        Some(token) if !token.is_empty() => Ok(Some(token)),
        _ => Err(EdgeError::TurnstileMissing),
    }
}

/// siteverify's form body: secret, response, remoteip and an idempotency key.
pub fn turnstile_request_body(
    secret: &str,
    token: &str,
    remote_ip: Option<&str>,
    idempotency_key: &str,
) -> String {
    let mut pairs = vec![
        ("secret".to_owned(), secret.to_owned()),
        ("response".to_owned(), token.to_owned()),
        ("idempotency_key".to_owned(), idempotency_key.to_owned()),
    ];
    if let Some(ip) = remote_ip {
        pairs.push(("remoteip".to_owned(), ip.to_owned()));
    }
    crate::crm::form_urlencode(&pairs)
}

/// siteverify's answer (only the parts the edge uses).
#[derive(Debug, Clone, Deserialize)]
pub struct TurnstileAnswer {
    pub success: bool,
    #[serde(default, rename = "error-codes")]
    pub error_codes: Vec<String>,
}

/// Interprets siteverify's HTTP status and body.
pub fn turnstile_verdict(status: u16, body: &str) -> Result<(), EdgeError> {
    if !(200..300).contains(&status) {
        return Err(EdgeError::TurnstileUnavailable);
    }
    let answer: TurnstileAnswer =
        serde_json::from_str(body).map_err(|_| EdgeError::TurnstileUnavailable)?;
    if answer.success {
        Ok(())
    } else if answer.error_codes.iter().any(|c| c == "internal-error") {
        Err(EdgeError::TurnstileUnavailable)
    } else {
        Err(EdgeError::TurnstileFailed)
    }
}

/// One rate-limit counter, as the Durable Object stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateWindow {
    pub window_start_ms: u64,
    pub count: u32,
}

/// What the Durable Object is asked: may one more submission pass?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateQuery {
    pub limit: u32,
    /// The window's length: [`RATE_WINDOW_MS`] unless given
    /// ([`QUARANTINE_WINDOW_MS`] for the quarantine caps).
    #[serde(default = "default_window_ms")]
    pub window_ms: u64,
}

fn default_window_ms() -> u64 {
    RATE_WINDOW_MS
}

/// The Durable Object's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateDecision {
    pub allowed: bool,
    pub retry_after_s: u32,
}

/// Counts one submission in a fixed window of `window_ms` (a minute for rate
/// limits, an hour for quarantine caps). A refused submission is not
/// counted, so a flood does not extend the ban.
pub fn rate_decide(
    previous: Option<RateWindow>,
    now_ms: u64,
    limit: u32,
    window_ms: u64,
) -> (RateWindow, RateDecision) {
    let window_ms = window_ms.max(1);
    let window_start_ms = now_ms - now_ms % window_ms;
    let current = match previous {
        Some(window) if window.window_start_ms == window_start_ms => window,
        _ => RateWindow {
            window_start_ms,
            count: 0,
        },
    };
    if current.count >= limit {
        let retry_after_ms = window_start_ms + window_ms - now_ms;
        let retry_after_s = retry_after_ms.div_ceil(1000).max(1) as u32;
        (
            current,
            RateDecision {
                allowed: false,
                retry_after_s,
            },
        )
    } else {
        let next = RateWindow {
            count: current.count + 1,
            ..current
        };
        (
            next,
            RateDecision {
                allowed: true,
                retry_after_s: 0,
            },
        )
    }
}

/// Durable Object names of the two counters for one submission.
pub fn rate_keys(form_id: &str, ip: Option<&str>) -> (String, String) {
    (
        format!("ip:{form_id}:{}", ip.unwrap_or("unknown")),
        format!("form:{form_id}"),
    )
}

/// Durable Object names of the two quarantine caps (per IP, per form).
pub fn quarantine_keys(form_id: &str, ip: Option<&str>) -> (String, String) {
    (
        format!("quarantine-ip:{form_id}:{}", ip.unwrap_or("unknown")),
        format!("quarantine-form:{form_id}"),
    )
}

/// The states of a quarantined submission: held, then released (a lead),
/// discarded by the owner, expired (past retention) or erased (by email).
pub const QUARANTINE_STATUSES: &[&str] = &["held", "released", "discarded", "expired", "erased"];

/// The health report's `quarantined` figures from `(signal, status, count)`
/// rows: `{"by_signal": {"honeypot": {"total", "held", "released", ...}}}`,
/// every known signal and status present (zero when none).
pub fn quarantine_counts_json(rows: &[(String, String, u64)]) -> serde_json::Value {
    let mut by_signal = serde_json::Map::new();
    for signal in Signal::ALL {
        let mut counts = serde_json::Map::new();
        let mine = rows.iter().filter(|(s, _, _)| s == signal.as_str());
        counts.insert(
            "total".into(),
            mine.clone().map(|(_, _, n)| n).sum::<u64>().into(),
        );
        for status in QUARANTINE_STATUSES {
            let n: u64 = mine
                .clone()
                .filter(|(_, st, _)| st == status)
                .map(|(_, _, n)| n)
                .sum();
            counts.insert((*status).into(), n.into());
        }
        by_signal.insert(signal.as_str().into(), counts.into());
    }
    serde_json::json!({ "by_signal": by_signal })
}

/// When a submission quarantined at `received_at_ms` is deleted.
pub fn quarantine_expires_at_ms(spec: &FormSpec, received_at_ms: u64) -> u64 {
    received_at_ms + u64::from(spec.anti_spam.quarantine.retention_days) * 86_400_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::newsletter_spec;
    use leadform_shared::envelope::{Attribution, Timings};

    fn envelope(honeypot: &str, time_to_fill_ms: u64, token: Option<&str>) -> SubmissionEnvelope {
        SubmissionEnvelope {
            version: 1,
            form_id: "newsletter".into(),
            spec_hash: "0".repeat(64),
            submission_id: "sub_12345678".into(),
            visitor_id: "vis_12345678".into(),
            asked: vec![],
            fields: Default::default(),
            consents: vec![],
            attribution: Attribution::default(),
            timings: Timings {
                started_at_ms: 0,
                submitted_at_ms: time_to_fill_ms,
                time_to_fill_ms,
            },
            honeypot: honeypot.into(),
            turnstile_token: token.map(Into::into),
            page_url: "https://x.example/".into(),
            lang: Default::default(),
        }
    }

    #[test]
    fn human_signals_fire() {
        let spec = newsletter_spec();
        let min = spec.anti_spam.min_fill_ms as u64;
        let cases: &[(&str, u64, &[Signal])] = &[
            ("", min, &[]),
            (" ", min, &[]),
            ("http://spam", min, &[Signal::Honeypot]),
            ("", min - 1, &[Signal::TooFast]),
            ("x", 0, &[Signal::Honeypot, Signal::TooFast]),
        ];
        for (honeypot, fill_ms, expected) in cases {
            let fired = human_signals(&spec, &envelope(honeypot, *fill_ms, None));
            assert_eq!(fired, *expected, "{honeypot:?} {fill_ms}");
        }
    }

    #[test]
    fn signal_names_are_the_specs() {
        let names: Vec<&str> = Signal::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, leadform_shared::spec::SPAM_SIGNALS);
        for signal in Signal::ALL {
            assert_eq!(Signal::from_code(signal.as_str()), Some(*signal));
            let json = serde_json::to_string(signal).unwrap();
            assert_eq!(json, format!("\"{}\"", signal.as_str()));
        }
        assert_eq!(Signal::from_code("captcha"), None);
    }

    #[test]
    fn decisions_follow_the_forms_rules() {
        let mut spec = newsletter_spec();
        use Signal::*;
        assert_eq!(decide(&spec, &[]), Ok(vec![]));
        assert_eq!(
            decide(&spec, &[TooFast, Honeypot, TooFast]),
            Ok(vec![Honeypot, TooFast])
        );
        spec.anti_spam.quarantine.refuse = vec!["too_fast".into()];
        spec.anti_spam.quarantine.ignore = vec!["honeypot".into()];
        assert_eq!(decide(&spec, &[Honeypot]), Ok(vec![]));
        assert_eq!(decide(&spec, &[Honeypot, TooFast, SameText]), Err(TooFast));
        assert_eq!(decide(&spec, &[SameText]), Ok(vec![SameText]));
        assert_eq!(
            TooFast.refusal(&spec, 0),
            EdgeError::TooFast {
                min_fill_ms: spec.anti_spam.min_fill_ms
            }
        );
        assert_eq!(
            RateLimited.refusal(&spec, 7),
            EdgeError::RateLimited { retry_after_s: 7 }
        );
    }

    #[test]
    fn urls_and_markup_in_names() {
        let cases = [
            ("Ann Lee", false),
            ("J.R.R. O'Brien-Smith", false),
            ("Zoë Ångström", false),
            ("Dr. A. <3 B", false),
            ("a < b", false),
            ("http://spam.example", true),
            ("Visit www.cheap.example", true),
            ("HTTPS:spam", true),
            ("Ann <b>Lee</b>", true),
            ("<script>alert(1)</script>", true),
            ("</a>", true),
            ("<!-- x -->", true),
            ("[url=x]y[/url]", true),
            ("&#60;b&#62;", true),
            ("ftp://x", true),
        ];
        for (text, expected) in cases {
            assert_eq!(has_url_or_markup(text), expected, "{text:?}");
        }
    }

    #[test]
    fn disposable_domains_list() {
        let listed: Vec<&str> = disposable_domains().collect();
        assert!(listed.len() > 1000, "{}", listed.len());
        assert!(
            listed.windows(2).all(|pair| pair[0] < pair[1]),
            "sorted and unique (binary search needs it)"
        );
        assert!(listed
            .iter()
            .all(|d| d.contains('.') && *d == d.to_lowercase() && d.trim() == *d));
        let cases = [
            ("ann@mailinator.com", true),
            ("ann@MAILINATOR.com", true),
            ("ann@sub.mailinator.com", true),
            ("ann@yopmail.com", true),
            ("ann@example.com", false),
            ("ann@example.org", false),
            ("ann@gmail.com", false),
            ("ann@mailinator.com.example", false),
            ("ann@com", false),
            ("no-at-sign", false),
        ];
        for (address, expected) in cases {
            assert_eq!(is_disposable_email(address), expected, "{address}");
        }
    }

    #[test]
    fn content_signals_fire() {
        let spec = leadform_shared::FormSpec::parse_toml(
            r#"
id = "c"
[[fields]]
id = "email"
kind = "email"
label = "Email"
[[fields]]
id = "first_name"
kind = "text"
label = "First name"
[[fields]]
id = "company"
kind = "text"
label = "Company"
autocomplete = "organization"
[[fields]]
id = "message"
kind = "textarea"
label = "Message"
[[fields]]
id = "topic"
kind = "select"
label = "Topic"
options = [{ value = "x" }]
"#,
        )
        .unwrap();
        let clean = |pairs: &[(&str, &str)]| {
            let mut values = leadform_shared::FieldMap::default();
            for (id, value) in pairs {
                values.insert((*id).to_owned(), FieldValue::Text((*value).to_owned()));
            }
            CleanSubmission {
                values,
                consents: vec![],
            }
        };
        use Signal::*;
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [Signal]);
        let cases: &[Case] = &[
            (&[("email", "ann@example.com"), ("first_name", "Ann")], &[]),
            (&[("first_name", "www.spam.example")], &[UrlInName]),
            (&[("company", "www.acme.example")], &[]),
            (&[("email", "ann@mailinator.com")], &[DisposableEmail]),
            (
                &[
                    ("first_name", "asdf"),
                    ("company", " ASDF "),
                    ("message", "asdf"),
                ],
                &[SameText],
            ),
            (
                &[
                    ("first_name", "asdf"),
                    ("company", "asdf"),
                    ("message", "hello"),
                ],
                &[],
            ),
            (&[("first_name", "x")], &[]),
            (&[("first_name", "x"), ("topic", "x")], &[]),
            (
                &[
                    ("first_name", "<b>x</b>"),
                    ("message", "<b>x</b>"),
                    ("email", "a@yopmail.com"),
                ],
                &[UrlInName, DisposableEmail, SameText],
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                content_signals(&spec, &clean(pairs)),
                *expected,
                "{pairs:?}"
            );
        }
        let field = |id: &str, autocomplete: Option<&str>| {
            let mut f = spec.field("first_name").unwrap().clone();
            f.id = id.into();
            f.autocomplete = autocomplete.map(Into::into);
            f
        };
        assert!(is_name_field(&field("full_name", None)));
        assert!(is_name_field(&field("contact", Some("name"))));
        assert!(!is_name_field(&field("name", Some("organization"))));
        assert!(!is_name_field(&field("company_name", None)));
    }

    #[test]
    fn health_counts() {
        let rows = vec![
            ("honeypot".to_owned(), "held".to_owned(), 2),
            ("honeypot".to_owned(), "released".to_owned(), 1),
            ("too_fast".to_owned(), "expired".to_owned(), 4),
            ("not_a_signal".to_owned(), "held".to_owned(), 9),
        ];
        let body = quarantine_counts_json(&rows);
        assert_eq!(body["by_signal"]["honeypot"]["total"], 3);
        assert_eq!(body["by_signal"]["honeypot"]["held"], 2);
        assert_eq!(body["by_signal"]["honeypot"]["released"], 1);
        assert_eq!(body["by_signal"]["too_fast"]["expired"], 4);
        assert_eq!(body["by_signal"]["same_text"]["total"], 0);
        assert_eq!(
            body["by_signal"].as_object().unwrap().len(),
            Signal::ALL.len()
        );
    }

    #[test]
    fn quarantine_keys_and_expiry() {
        let spec = newsletter_spec();
        assert_eq!(
            quarantine_keys("f", Some("1.2.3.4")),
            ("quarantine-ip:f:1.2.3.4".into(), "quarantine-form:f".into())
        );
        assert_eq!(
            quarantine_expires_at_ms(&spec, 1_000),
            1_000 + 30 * 86_400_000
        );
        let start = 1_700_002_800_000; // an hour boundary
        assert_eq!(start % QUARANTINE_WINDOW_MS, 0);
        let (window, decision) = rate_decide(None, start + 59 * 60_000, 1, QUARANTINE_WINDOW_MS);
        assert!(decision.allowed);
        let (_, refused) = rate_decide(
            Some(window),
            start + 59 * 60_000 + 1,
            1,
            QUARANTINE_WINDOW_MS,
        );
        assert_eq!(refused.retry_after_s, 60);
        let query: RateQuery = serde_json::from_str(r#"{"limit":3}"#).unwrap();
        assert_eq!(query.window_ms, RATE_WINDOW_MS);
    }

    #[test]
    fn turnstile_decisions() {
        let mut spec = newsletter_spec();
        assert_eq!(
            turnstile_token_needed(&spec, &envelope("", 0, None)),
            Ok(None)
        );
        spec.anti_spam.turnstile_site_key = Some("1x00000000000000000000AA".into());
        assert_eq!(
            turnstile_token_needed(&spec, &envelope("", 0, None)),
            Err(EdgeError::TurnstileMissing)
        );
        assert_eq!(
            turnstile_token_needed(&spec, &envelope("", 0, Some(" "))),
            Err(EdgeError::TurnstileMissing)
        );
        assert_eq!(
            turnstile_token_needed(&spec, &envelope("", 0, Some("tok"))),
            Ok(Some("tok"))
        );
        assert_eq!(
            turnstile_verdict(200, r#"{"success":true,"error-codes":[]}"#),
            Ok(())
        );
        assert_eq!(
            turnstile_verdict(
                200,
                r#"{"success":false,"error-codes":["invalid-input-response"]}"#
            ),
            Err(EdgeError::TurnstileFailed)
        );
        assert_eq!(
            turnstile_verdict(200, r#"{"success":false,"error-codes":["internal-error"]}"#),
            Err(EdgeError::TurnstileUnavailable)
        );
        assert_eq!(
            turnstile_verdict(500, ""),
            Err(EdgeError::TurnstileUnavailable)
        );
        assert_eq!(
            turnstile_verdict(200, "<html>"),
            Err(EdgeError::TurnstileUnavailable)
        );
        assert_eq!(
            turnstile_request_body("1x0000000000000000000000000000000AA", "XXXX.DUMMY.TOKEN.XXXX", Some("::1"), "lead"),
            "secret=1x0000000000000000000000000000000AA&response=XXXX.DUMMY.TOKEN.XXXX&idempotency_key=lead&remoteip=%3A%3A1"
        );
    }

    #[test]
    fn rate_windows() {
        let start = 1_700_000_040_000; // a window boundary
        let (w1, d1) = rate_decide(None, start + 10, 2, RATE_WINDOW_MS);
        assert!(d1.allowed);
        let (w2, d2) = rate_decide(Some(w1), start + 20, 2, RATE_WINDOW_MS);
        assert!(d2.allowed);
        let (w3, d3) = rate_decide(Some(w2), start + 30_000, 2, RATE_WINDOW_MS);
        assert_eq!(
            d3,
            RateDecision {
                allowed: false,
                retry_after_s: 30
            }
        );
        assert_eq!(w3.count, 2);
        let (w4, d4) = rate_decide(Some(w3), start + RATE_WINDOW_MS, 2, RATE_WINDOW_MS);
        assert!(d4.allowed);
        assert_eq!(w4.count, 1);
        let (_, zero) = rate_decide(None, start, 0, RATE_WINDOW_MS);
        assert!(!zero.allowed);
        assert_eq!(
            rate_keys("f", Some("1.2.3.4")),
            ("ip:f:1.2.3.4".into(), "form:f".into())
        );
    }
}
