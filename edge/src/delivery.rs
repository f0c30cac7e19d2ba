//! Delivery planning: the queue message, the outbound request for each
//! destination, how a destination's answer is classified, and URL rewrites.
//!
//! The lead id is the idempotency key: the queue message carries only the lead
//! id, the consumer claims each destination in the delivery ledger
//! (`platform::ledger`) before sending and settles it before acknowledging
//! the message, and the webhook id (Standard Webhooks `webhook-id`) is the
//! lead id so receivers can deduplicate too. Every URL a request goes to is
//! either produced by one of the deployment's rewrites or checked
//! ([`crate::destination_url`]: https to a public host). This module builds
//! requests and classifies answers; it does no I/O.

use leadform_shared::spec::Destination;
use leadform_shared::{FieldValue, FormSpec};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::destination_url::{self, UrlRefusal};
use crate::record::LeadRecord;
use crate::webhook;
use crate::{crm, export};

/// The queue message: which lead to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryJob {
    pub lead_id: String,
}

/// Who makes a delivery attempt (stored with each attempt, migration 0014).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The first attempt, from the submit request's `waitUntil` (speed to lead).
    Submit,
    /// The queue consumer (the first attempt's fallback, and every retry).
    Queue,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Submit => "submit",
            Origin::Queue => "queue",
        }
    }
}

/// How long the first attempt may take in all (ms): the runtime keeps
/// `waitUntil` work alive for 30 s after the response, less a margin.
pub const FIRST_ATTEMPT_BUDGET_MS: u64 = 25_000;

/// Time for the ledger's claim and settle around one send (ms).
pub const FIRST_ATTEMPT_LEDGER_MS: u64 = 2_000;

/// The most requests one attempt to `destination` makes, when the first
/// attempt takes it; `None`: left to the queue. A distribution destination
/// runs an auction (pings, bids, a cascade of posts) whose length the
/// first attempt does not bound, so it always waits for the queue.
pub fn first_attempt_requests(destination: &Destination) -> Option<u64> {
    match destination {
        Destination::Distribution { .. } => None,
        // A cached token's create, and on a 401 one new token and one more create.
        Destination::SalesforceApi { .. } => Some(3),
        _ => Some(1),
    }
}

/// How long a sender's claim on `destination` lasts (the ledger's lease):
/// three request timeouts (a token request, the send, one retried token)
/// and a margin; for a distribution, also twice its `auction_ms` (posts
/// cascade while the window lasts, and the last one may take a buyer's
/// whole timeout, which is at most `auction_ms`), so a slow auction is
/// never taken for a crashed sender and sold twice.
pub fn lease_ms(destination: &Destination, timeout_ms: u32) -> u64 {
    let requests = 3 * u64::from(timeout_ms) + 10_000;
    match destination {
        Destination::Distribution { auction_ms, .. } => requests + 2 * u64::from(*auction_ms),
        _ => requests,
    }
}

/// Whether the first attempt (`elapsed_ms` into it) takes `destination`:
/// only when every request it may make can time out and the ledger still
/// settles within [`FIRST_ATTEMPT_BUDGET_MS`]. A send cut off between claim
/// and settle would leave a destination that cannot deduplicate `in_doubt`;
/// one not taken stays unclaimed for the queue message already sent.
pub fn first_attempt_takes(destination: &Destination, timeout_ms: u32, elapsed_ms: u64) -> bool {
    first_attempt_requests(destination).is_some_and(|requests| {
        elapsed_ms + requests * u64::from(timeout_ms) + FIRST_ATTEMPT_LEDGER_MS
            <= FIRST_ATTEMPT_BUDGET_MS
    })
}

/// Whether the first attempt runs: on unless the `FIRST_ATTEMPT` var says
/// `off` (tests of the queue-only path).
pub fn first_attempt_enabled(var: Option<&str>) -> bool {
    !matches!(
        var.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("off" | "0" | "false" | "no")
    )
}

/// A destination's stable key within a form: `{index}:{kind}`.
pub fn destination_key(index: usize, destination: &Destination) -> String {
    format!("{index}:{}", destination.kind())
}

/// One HTTP request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Why a request could not even be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// The named webhook secret is not configured.
    SecretMissing(String),
    /// The named webhook secret is not a `whsec_` secret.
    SecretInvalid(String),
    /// A `salesforce_api` destination needs an access token first: its
    /// requests come from [`salesforce_token_request`] and
    /// [`salesforce_lead_request`].
    TokenRequired,
    /// A `distribution` destination is sold by its auction
    /// ([`crate::distribution`]), not sent one request.
    Auction,
    /// The URL is not https to a public host (and no rewrite produced it).
    UrlRefused(UrlRefusal),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::SecretMissing(name) => write!(f, "secret `{name}` is not configured"),
            BuildError::SecretInvalid(name) => {
                write!(f, "secret `{name}` is not a valid whsec_ secret")
            }
            BuildError::TokenRequired => write!(f, "an access token is needed first"),
            BuildError::Auction => write!(f, "a distribution destination is sold by auction"),
            BuildError::UrlRefused(refusal) => write!(f, "{refusal}"),
        }
    }
}

/// The webhook body: an event envelope around the lead. `data.values` holds
/// the values as [`export::payload_values`] gives them: a phone field as its
/// E.164 number, its extension (if any) beside it as `<id>_extension`;
/// `data.qualification` the lead's score, tier, mark, grade and fired rules
/// (null when the form does not score).
pub fn webhook_body(spec: &FormSpec, lead: &LeadRecord) -> String {
    let body = json!({
        "type": "lead.created",
        "timestamp": lead.evidence.received_at,
        "data": {
            "lead_id": lead.lead_id,
            "form_id": lead.form_id,
            "received_at": lead.evidence.received_at,
            "values": export::payload_values(spec, &lead.values),
            "consents": lead.consents,
            "previous_lead_id": lead.previous_lead_id,
            // Score, tier, mark, grade, the rules that fired (scoring forms).
            "qualification": lead.qualification,
            "page_url": lead.evidence.page_url,
            "visitor_id": lead.visitor_id,
            "attribution": lead.attribution,
            "ip": lead.evidence.ip,
            "user_agent": lead.evidence.user_agent,
            "country": lead.evidence.country,
        }
    });
    body.to_string()
}

/// Applies `DESTINATION_URL_REWRITES` (`[["from-prefix", "to-prefix"], ...]`):
/// the first matching prefix is replaced. Lets a deployment (or a local test
/// run) point compiled-in destinations elsewhere without rebuilding.
pub fn rewrite_url(url: &str, rewrites: &[(String, String)]) -> String {
    rewrites
        .iter()
        .find_map(|(from, to)| {
            url.strip_prefix(from.as_str())
                .map(|rest| format!("{to}{rest}"))
        })
        .unwrap_or_else(|| url.to_owned())
}

/// The URL a request goes to: rewritten by the first matching
/// `DESTINATION_URL_REWRITES` prefix (the deployment's own configuration,
/// trusted as it is), else `url` itself once [`destination_url::check`]
/// accepts it (https to a public host).
pub fn resolve_url(url: &str, rewrites: &[(String, String)]) -> Result<String, BuildError> {
    if rewrites
        .iter()
        .any(|(from, _)| url.starts_with(from.as_str()))
    {
        return Ok(rewrite_url(url, rewrites));
    }
    destination_url::check(url).map_err(BuildError::UrlRefused)?;
    Ok(url.to_owned())
}

/// Parses the `DESTINATION_URL_REWRITES` var; an empty or malformed var means none.
pub fn parse_rewrites(var: &str) -> Vec<(String, String)> {
    serde_json::from_str(var).unwrap_or_default()
}

/// Builds the request for one destination. `secret` looks up Worker secrets by name.
pub fn build_request(
    spec: &FormSpec,
    destination: &Destination,
    lead: &LeadRecord,
    now_s: u64,
    secret: impl Fn(&str) -> Option<String>,
    rewrites: &[(String, String)],
) -> Result<OutboundRequest, BuildError> {
    let request = match destination {
        Destination::Webhook {
            url,
            secret: secret_name,
        } => {
            let value = secret(secret_name)
                .ok_or_else(|| BuildError::SecretMissing(secret_name.clone()))?;
            // Several space-separated secrets during a rotation: each signs.
            let keys = webhook::decode_secrets(&value)
                .map_err(|_| BuildError::SecretInvalid(secret_name.clone()))?;
            let body = webhook_body(spec, lead);
            let signature = webhook::sign_all(&keys, &lead.lead_id, now_s, &body);
            OutboundRequest {
                url: url.clone(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("webhook-id".into(), lead.lead_id.clone()),
                    ("webhook-timestamp".into(), now_s.to_string()),
                    ("webhook-signature".into(), signature),
                ],
                body,
            }
        }
        Destination::Hubspot {
            portal_id,
            form_guid,
            endpoint,
            field_map,
            token_secret,
            processing_consent,
            subscription_types,
            legitimate_interest_basis,
        } => {
            let mut headers = vec![
                ("content-type".into(), "application/json".into()),
                ("idempotency-key".into(), lead.lead_id.clone()),
            ];
            if let Some(name) = token_secret {
                let token = secret(name).ok_or_else(|| BuildError::SecretMissing(name.clone()))?;
                headers.push(("authorization".into(), format!("Bearer {}", token.trim())));
            }
            let consent = crm::HubspotConsent {
                processing: processing_consent.as_deref(),
                subscription_types,
                legitimate_interest_basis: *legitimate_interest_basis,
            };
            OutboundRequest {
                url: crm::hubspot_url(
                    endpoint.as_deref(),
                    token_secret.is_some(),
                    portal_id,
                    form_guid,
                ),
                headers,
                body: crm::hubspot_payload(spec, lead, field_map, &consent).to_string(),
            }
        }
        Destination::Salesforce {
            org_id,
            endpoint,
            field_map,
        } => OutboundRequest {
            url: endpoint
                .clone()
                .unwrap_or_else(|| crm::SALESFORCE_ENDPOINT.to_owned()),
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("idempotency-key".into(), lead.lead_id.clone()),
            ],
            body: crm::form_urlencode(&crm::salesforce_fields(spec, org_id, lead, field_map)),
        },
        Destination::SalesforceApi { .. } => return Err(BuildError::TokenRequired),
        Destination::Distribution { .. } => return Err(BuildError::Auction),
    };
    Ok(OutboundRequest {
        url: resolve_url(&request.url, rewrites)?,
        ..request
    })
}

/// The OAuth 2.0 client-credentials token request of a `salesforce_api`
/// destination (consumer key and secret from the named Worker secrets).
pub fn salesforce_token_request(
    destination: &Destination,
    secret: impl Fn(&str) -> Option<String>,
    rewrites: &[(String, String)],
) -> Result<OutboundRequest, BuildError> {
    let Destination::SalesforceApi {
        instance_url,
        client_id_secret,
        client_secret_secret,
        ..
    } = destination
    else {
        return Err(BuildError::TokenRequired);
    };
    let read = |name: &String| {
        secret(name)
            .map(|v| v.trim().to_owned())
            .ok_or_else(|| BuildError::SecretMissing(name.clone()))
    };
    let (client_id, client_secret) = (read(client_id_secret)?, read(client_secret_secret)?);
    Ok(OutboundRequest {
        url: resolve_url(&crm::salesforce_token_url(instance_url), rewrites)?,
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: crm::salesforce_token_body(&client_id, &client_secret),
    })
}

/// The Lead create request of a `salesforce_api` destination with `token`.
pub fn salesforce_lead_request(
    spec: &FormSpec,
    destination: &Destination,
    lead: &LeadRecord,
    token: &str,
    rewrites: &[(String, String)],
) -> Result<OutboundRequest, BuildError> {
    let Destination::SalesforceApi {
        instance_url,
        api_version,
        field_map,
        split_name,
        default_company,
        ..
    } = destination
    else {
        return Err(BuildError::TokenRequired);
    };
    let body = crm::salesforce_lead_body(
        spec,
        lead,
        field_map,
        split_name.as_deref(),
        default_company.as_deref(),
    );
    Ok(OutboundRequest {
        url: resolve_url(
            &crm::salesforce_lead_url(instance_url, api_version),
            rewrites,
        )?,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {token}")),
        ],
        body: body.to_string(),
    })
}

/// How long a Salesforce access token is used when its answer gives no
/// `expires_in` (client-credentials answers do not; the org's session
/// timeout, 2 hours by default, applies): an hour, and a 401 refreshes it
/// sooner.
pub const SALESFORCE_TOKEN_TTL_S: u64 = 3_600;

/// What an attempt's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: done, never send again.
    Delivered,
    /// Network error, timeout, 408, 425, 429 or 5xx: try again later.
    Retry,
    /// Other 4xx (or a request that cannot be built): retrying will not help.
    Rejected,
    /// A duplicate rule matched an existing record (Salesforce
    /// `DUPLICATES_DETECTED`): recorded against it, not sent again.
    Duplicate,
    /// Sent and answered 2xx by a destination that cannot confirm a record
    /// was made (Salesforce Web-to-Lead): not sent again either.
    SentUnconfirmed,
    /// A send to a destination that cannot deduplicate was interrupted
    /// (its ledger claim expired without an answer) or timed out: it may
    /// have arrived, so it is not sent again automatically; the owner's
    /// replay sends it.
    InDoubt,
}

impl Outcome {
    /// [`Outcome::classify`] for `destination`: a Web-to-Lead 2xx is only
    /// `SentUnconfirmed` (Web-to-Lead answers 200 whether or not it made a Lead).
    pub fn for_destination(destination: &Destination, status: Option<u16>) -> Outcome {
        match (destination, Outcome::classify(status)) {
            (Destination::Salesforce { .. }, Outcome::Delivered) => Outcome::SentUnconfirmed,
            (_, outcome) => outcome,
        }
    }

    /// Whether a delivery in stored status `status` is finished: never sent again.
    pub fn is_final(status: &str) -> bool {
        matches!(
            status,
            "delivered" | "rejected" | "duplicate" | "sent_unconfirmed" | "in_doubt"
        )
    }

    /// Whether a destination can recognise the same lead sent twice: a
    /// webhook receiver by its `webhook-id` (the lead id). HubSpot's Forms
    /// API and Salesforce (Web-to-Lead, and the REST API without a
    /// duplicate rule) make a second record, so an interrupted send to them
    /// is [`Outcome::InDoubt`] rather than sent again.
    pub fn can_deduplicate(destination: &Destination) -> bool {
        matches!(destination, Destination::Webhook { .. })
    }

    /// An attempt that got no answer. A request that timed out went out and
    /// may have been acted on: to a destination that cannot deduplicate
    /// ([`Outcome::can_deduplicate`]) it is [`Outcome::InDoubt`] (the owner's
    /// replay sends it again), never retried on its own. Any other missing
    /// answer (connection refused, DNS, a reset before the answer) is
    /// [`Outcome::Retry`]: a destination that is down never saw the lead.
    pub fn for_no_answer(destination: &Destination, timed_out: bool) -> Outcome {
        if timed_out && !Outcome::can_deduplicate(destination) {
            Outcome::InDoubt
        } else {
            Outcome::Retry
        }
    }

    /// Whether an answer disables the destination (410 Gone: the endpoint
    /// is no more), until the owner enables it again.
    pub fn disables(status: Option<u16>) -> bool {
        status == Some(410)
    }

    /// From an HTTP status; `None` = no answer (network error or timeout).
    pub fn classify(status: Option<u16>) -> Outcome {
        match status {
            Some(200..=299) => Outcome::Delivered,
            Some(408 | 425 | 429) | Some(500..=599) | None => Outcome::Retry,
            Some(_) => Outcome::Rejected,
        }
    }

    /// The stored status word.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Retry => "failed",
            Outcome::Rejected => "rejected",
            Outcome::Duplicate => "duplicate",
            Outcome::SentUnconfirmed => "sent_unconfirmed",
            Outcome::InDoubt => "in_doubt",
        }
    }
}

/// The longest destination answer body kept in the delivery log (bytes, cut
/// on a character boundary).
pub const ANSWER_BODY_MAX: usize = 1024;

/// The longest wait a `Retry-After` can ask for that is honoured: the queue's
/// own limit on a message's delay (12 hours).
pub const RETRY_AFTER_MAX_S: u32 = 43_200;

/// The placeholder that replaces personal data in a kept answer body.
pub const REDACTED: &str = "[redacted]";

/// A destination's answer body as the delivery log keeps it: every value of
/// the lead (and its IP) that the destination echoed replaced by
/// [`REDACTED`], as is anything else shaped like an email address or a phone
/// number (7 or more digits in a run), then cut to [`ANSWER_BODY_MAX`].
pub fn redact_answer(body: &str, lead: &LeadRecord) -> String {
    let mut needles: Vec<String> = Vec::new();
    let mut push = |value: &str| {
        let value = value.trim();
        // Short values ("yes", "GB") would blank unrelated words.
        if value.chars().count() >= 3 {
            needles.push(value.to_lowercase());
        }
    };
    for (_, value) in lead.values.iter() {
        match value {
            FieldValue::Text(text) => push(text),
            FieldValue::List(items) => items.iter().for_each(|i| push(i)),
            FieldValue::Bool(_) => {}
        }
    }
    if let Some(ip) = &lead.evidence.ip {
        push(ip);
    }
    // Longest first, so a value containing another is replaced whole.
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut text = body.to_owned();
    for needle in &needles {
        text = replace_ignoring_case(&text, needle);
    }
    let text = redact_shapes(&text);
    cut(&text, ANSWER_BODY_MAX)
}

/// Replaces every case-insensitive occurrence of `needle` (lower-cased) in
/// `text`; matches are searched in the lower-cased text on the same
/// character boundaries, so only characters whose lower case keeps their
/// length are matched.
fn replace_ignoring_case(text: &str, needle: &str) -> String {
    let lower: String = text.to_lowercase();
    if lower.len() != text.len() {
        // Lower-casing changed byte offsets: match exact case only.
        return text.replace(needle, REDACTED);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(needle) {
        let start = from + found;
        let end = start + needle.len();
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            from = start + 1;
            while from < lower.len() && !lower.is_char_boundary(from) {
                from += 1;
            }
            continue;
        }
        out.push_str(&text[rest..start]);
        out.push_str(REDACTED);
        rest = end;
        from = end;
    }
    out.push_str(&text[rest..]);
    out
}

/// Replaces email-shaped words (`x@y.z`) and runs of 7 or more digits (with
/// the separators phone numbers use) by [`REDACTED`].
fn redact_shapes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let is_email_char =
        |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_email_char(c) {
            let start = i;
            let mut end = i;
            while end < chars.len() && (is_email_char(chars[end]) || chars[end] == '@') {
                end += 1;
            }
            let word: String = chars[start..end].iter().collect();
            if let Some((local, domain)) = word.split_once('@') {
                if !local.is_empty() && domain.contains('.') && !domain.contains('@') {
                    out.push_str(REDACTED);
                    i = end;
                    continue;
                }
            }
        }
        if c.is_ascii_digit() || (c == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            let mut end = i;
            let mut digits = 0;
            while end < chars.len()
                && (chars[end].is_ascii_digit()
                    || matches!(chars[end], ' ' | '-' | '.' | '(' | ')' | '+'))
            {
                if chars[end].is_ascii_digit() {
                    digits += 1;
                }
                end += 1;
            }
            // Give trailing separators back.
            while end > start && !chars[end - 1].is_ascii_digit() {
                end -= 1;
            }
            if digits >= 7 {
                out.push_str(REDACTED);
            } else {
                out.extend(&chars[start..end]);
            }
            i = end.max(start + 1);
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// A `Retry-After` header in seconds from `now_s`: delta-seconds or an
/// IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`), at most
/// [`RETRY_AFTER_MAX_S`]. `None` when absent or unreadable.
pub fn retry_after_s(value: &str, now_s: u64) -> Option<u32> {
    let value = value.trim();
    let seconds = if let Ok(delta) = value.parse::<u64>() {
        delta
    } else {
        imf_fixdate(value)?.saturating_sub(now_s)
    };
    Some(seconds.min(u64::from(RETRY_AFTER_MAX_S)) as u32)
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` as Unix seconds.
fn imf_fixdate(value: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (_, rest) = value.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, clock, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = MONTHS.iter().position(|m| m == month)? + 1;
    let rfc3339 = format!("{year}-{month:02}-{day}T{clock}Z");
    crate::time::parse_rfc3339(&rfc3339).map(|ms| ms / 1000)
}

/// When the next try is due (Unix ms) after a failure at `now_ms`: the
/// schedule's next time (from `from_ms`, the first failure), or later when
/// the destination asked for it with `Retry-After` (bounded by
/// [`RETRY_AFTER_MAX_S`], and never past the schedule's end). `None`: the
/// schedule is over, the delivery is given up.
pub fn next_try_ms(
    schedule: &crate::backoff::Schedule,
    from_ms: u64,
    now_ms: u64,
    retry_after_s: Option<u32>,
    jitter: f64,
) -> Option<u64> {
    let scheduled = schedule.next_attempt_ms(from_ms, now_ms, jitter)?;
    let asked = now_ms + u64::from(retry_after_s.unwrap_or(0).min(RETRY_AFTER_MAX_S)) * 1000;
    Some(
        scheduled
            .max(asked)
            .min(from_ms.saturating_add(schedule.span_ms()).max(scheduled)),
    )
}

/// Every status a delivery row can stand in.
pub const DELIVERY_STATUSES: [&str; 9] = [
    "pending",
    "delivered",
    "sent_unconfirmed",
    "duplicate",
    "failed",
    "rejected",
    "in_doubt",
    "dead",
    "erased",
];

/// The health report's `deliveries` figures from `(destination, status,
/// count)` rows: per destination key, every status with its count (0 when
/// none), so a refused lead shows as `rejected` beside the delivered ones.
pub fn delivery_counts_json(rows: &[(String, String, u64)]) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (destination, status, count) in rows {
        let entry = out.entry(destination.clone()).or_insert_with(|| {
            serde_json::Value::Object(
                DELIVERY_STATUSES
                    .iter()
                    .map(|s| ((*s).to_owned(), json!(0)))
                    .collect(),
            )
        });
        entry[status.as_str()] = json!(count);
    }
    serde_json::Value::Object(out)
}

/// Salesforce's Web-to-Lead limit: requests a day per org (more wait in a
/// pending queue, and past 50,000 pending are refused).
pub const WEB_TO_LEAD_DAILY_LIMIT: u64 = 500;

/// The health report's `web_to_lead` figures from the Web-to-Lead requests
/// sent in the last 24 hours: `near_limit` from 80% of the daily limit.
pub fn web_to_lead_json(sent_last_24h: u64) -> serde_json::Value {
    json!({
        "sent_last_24h": sent_last_24h,
        "daily_limit": WEB_TO_LEAD_DAILY_LIMIT,
        "near_limit": sent_last_24h * 5 >= WEB_TO_LEAD_DAILY_LIMIT * 4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::sample_lead;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn webhook_request_is_signed_with_lead_id() {
        let (spec, lead, _) = sample_lead();
        let rewrites = parse_rewrites(r#"[["http://127.0.0.1:9/", "http://127.0.0.1:5555/"]]"#);
        let request = build_request(
            &spec,
            &spec.destinations[0],
            &lead,
            1_700_000_001,
            |name| (name == "WEBHOOK_SECRET").then(|| SECRET.to_owned()),
            &rewrites,
        )
        .unwrap();
        assert_eq!(request.url, "http://127.0.0.1:5555/hook");
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(header("webhook-id"), "lead_1");
        let key = webhook::decode_secret(SECRET).unwrap();
        assert!(webhook::verify(
            &key,
            "lead_1",
            1_700_000_001,
            &request.body,
            &header("webhook-signature")
        ));
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["data"]["lead_id"], "lead_1");
        assert_eq!(body["data"]["values"]["email"], "Ann@Example.com");
        assert_eq!(body["data"]["previous_lead_id"], serde_json::Value::Null);
        assert_eq!(
            body["data"]["consents"][0]["covered"]["email"],
            "Ann@Example.com"
        );
        // A repeat lead names the earlier one.
        let mut repeat = lead;
        repeat.previous_lead_id = Some("lead_0".to_owned());
        let body: serde_json::Value = serde_json::from_str(&webhook_body(&spec, &repeat)).unwrap();
        assert_eq!(body["data"]["previous_lead_id"], "lead_0");
    }

    #[test]
    fn the_first_attempt_takes_a_destination_only_when_its_worst_case_fits_the_budget() {
        let kind = |json: serde_json::Value| -> Destination {
            serde_json::from_value(json).expect("destination")
        };
        let webhook = kind(json!({"type": "webhook", "url": "https://h.example/", "secret": "S"}));
        let hubspot = kind(json!({"type": "hubspot", "portal_id": "1", "form_guid": "g"}));
        let rest = kind(
            json!({"type": "salesforce_api", "instance_url": "https://a.my.salesforce.com",
            "client_id_secret": "I", "client_secret_secret": "S"}),
        );
        let auction = kind(json!({"type": "distribution"}));
        // (destination, timeout ms, elapsed ms, taken)
        let cases = [
            (&webhook, 10_000, 0, true),
            (&webhook, 10_000, 13_000, true),
            (&webhook, 10_000, 13_001, false),
            (&hubspot, 10_000, 10_000, true),
            (&hubspot, 30_000, 0, false),
            // Three requests: not at the default 10 s timeout.
            (&rest, 10_000, 0, false),
            (&rest, 7_666, 0, true),
            (&rest, 7_667, 0, false),
            (&rest, 2_000, 5_000, true),
            // An auction is always the queue's.
            (&auction, 1_000, 0, false),
        ];
        let check = |(destination, timeout, elapsed, taken): (&Destination, u32, u64, bool)| {
            assert_eq!(
                first_attempt_takes(destination, timeout, elapsed),
                taken,
                "{destination:?} timeout {timeout} elapsed {elapsed}"
            );
        };
        for case in cases {
            check(case);
        }
    }

    #[test]
    fn a_distribution_is_leased_for_its_whole_auction() {
        let kind = |json: serde_json::Value| -> Destination {
            serde_json::from_value(json).expect("destination")
        };
        let webhook = kind(json!({"type": "webhook", "url": "https://h.example/", "secret": "S"}));
        let auction = kind(json!({"type": "distribution", "auction_ms": 60_000}));
        // (destination, timeout ms, lease ms)
        let cases = [
            (&webhook, 10_000, 40_000),
            (&webhook, 1_000, 13_000),
            (&auction, 10_000, 160_000),
            (&auction, 1_000, 133_000),
        ];
        for (destination, timeout, lease) in cases {
            assert_eq!(
                lease_ms(destination, timeout),
                lease,
                "{destination:?} {timeout}"
            );
        }
    }

    #[test]
    fn the_first_attempt_is_on_unless_the_var_turns_it_off() {
        let check = |var: Option<&str>, on: bool| {
            assert_eq!(first_attempt_enabled(var), on, "{var:?}");
        };
        for (var, on) in [
            (None, true),
            (Some(""), true),
            (Some("on"), true),
            (Some("off"), false),
            (Some(" OFF "), false),
            (Some("0"), false),
            (Some("false"), false),
        ] {
            check(var, on);
        }
        assert_eq!(Origin::Submit.as_str(), "submit");
        assert_eq!(Origin::Queue.as_str(), "queue");
    }

    #[test]
    fn unanswered_attempts_are_retried_unless_a_timed_out_send_cannot_be_deduplicated() {
        let kind = |json: serde_json::Value| -> Destination {
            serde_json::from_value(json).expect("destination")
        };
        let webhook = kind(json!({"type": "webhook", "url": "https://h.example/", "secret": "S"}));
        let hubspot = kind(json!({"type": "hubspot", "portal_id": "1", "form_guid": "g"}));
        let web_to_lead = kind(json!({"type": "salesforce", "org_id": "00D"}));
        let rest = kind(
            json!({"type": "salesforce_api", "instance_url": "https://a.my.salesforce.com",
            "client_id_secret": "I", "client_secret_secret": "S"}),
        );
        // (destination, timed out, outcome)
        let cases = [
            (&webhook, false, Outcome::Retry),
            (&webhook, true, Outcome::Retry),
            (&hubspot, false, Outcome::Retry),
            (&hubspot, true, Outcome::InDoubt),
            (&web_to_lead, false, Outcome::Retry),
            (&web_to_lead, true, Outcome::InDoubt),
            (&rest, false, Outcome::Retry),
            (&rest, true, Outcome::InDoubt),
        ];
        for (destination, timed_out, outcome) in cases {
            assert_eq!(
                Outcome::for_no_answer(destination, timed_out),
                outcome,
                "{} timed out: {timed_out}",
                destination.kind()
            );
        }
    }

    #[test]
    fn webhook_values_carry_phone_extensions_apart() {
        let (spec, lead) = crate::export::tests::phone_lead();
        let body: serde_json::Value = serde_json::from_str(&webhook_body(&spec, &lead)).unwrap();
        assert_eq!(
            body["data"]["values"],
            json!({
                "email": "Ann@Example.com",
                "mobile": "+447700900123",
                "note": "+14155552671;ext=9",
                "phone": "+14155552671",
                "phone_extension": "123",
            })
        );
    }

    #[test]
    fn missing_or_bad_secret() {
        let (spec, lead, _) = sample_lead();
        let missing = build_request(&spec, &spec.destinations[0], &lead, 1, |_| None, &[]);
        assert_eq!(
            missing,
            Err(BuildError::SecretMissing("WEBHOOK_SECRET".into()))
        );
        let bad = build_request(
            &spec,
            &spec.destinations[0],
            &lead,
            1,
            |_| Some("nope".into()),
            &[],
        );
        assert_eq!(bad, Err(BuildError::SecretInvalid("WEBHOOK_SECRET".into())));
    }

    #[test]
    fn outcomes_table() {
        let cases = [
            (Some(200), Outcome::Delivered),
            (Some(204), Outcome::Delivered),
            (Some(400), Outcome::Rejected),
            (Some(404), Outcome::Rejected),
            (Some(408), Outcome::Retry),
            (Some(429), Outcome::Retry),
            (Some(500), Outcome::Retry),
            (Some(503), Outcome::Retry),
            (None, Outcome::Retry),
            (Some(302), Outcome::Rejected),
        ];
        for (status, outcome) in cases {
            assert_eq!(Outcome::classify(status), outcome, "{status:?}");
        }
        assert_eq!(parse_rewrites(""), Vec::<(String, String)>::new());
        assert_eq!(
            rewrite_url("https://a/x", &[("https://b".into(), "c".into())]),
            "https://a/x"
        );
    }

    #[test]
    fn retry_after_table() {
        // 2015-10-21T07:28:00Z
        let now = 1_445_412_480;
        let cases = [
            ("120", Some(120)),
            (" 0 ", Some(0)),
            ("999999", Some(RETRY_AFTER_MAX_S)),
            ("Wed, 21 Oct 2015 07:28:30 GMT", Some(30)),
            ("Wed, 21 Oct 2015 07:27:00 GMT", Some(0)),
            ("Wed, 21 Oct 2015 07:28:30 UTC", None),
            ("-5", None),
            ("soon", None),
            ("", None),
        ];
        for (header, expected) in cases {
            assert_eq!(retry_after_s(header, now), expected, "{header:?}");
        }
        let schedule = crate::backoff::Schedule::default();
        // (now, Retry-After, next try): first failure at 0.
        let cases = [
            (0, None, Some(5_000)),
            (0, Some(30), Some(30_000)),
            (5_000, Some(30), Some(305_000)),
            (0, Some(u32::MAX), Some(u64::from(RETRY_AFTER_MAX_S) * 1000)),
            // Near the end a Retry-After cannot stretch the schedule.
            (617_000_000, Some(43_200), Some(617_705_000)),
            (617_705_000, Some(1), None),
        ];
        for (now, asked, next) in cases {
            assert_eq!(
                next_try_ms(&schedule, 0, now, asked, 0.0),
                next,
                "{now} {asked:?}"
            );
        }
    }

    #[test]
    fn answers_are_kept_without_personal_data() {
        let (_, lead, _) = sample_lead();
        let cases = [
            // The lead's own values, whatever their case.
            (
                r#"{"errors":[{"message":"Invalid email ann@example.com"}]}"#,
                r#"{"errors":[{"message":"Invalid email [redacted]"}]}"#,
            ),
            // Anything shaped like an email or a phone number.
            (
                "contact bob.smith+x@corp.example or +1 (415) 555-2671 now",
                "contact [redacted] or [redacted] now",
            ),
            // Codes, short numbers and field names stay readable.
            (
                r#"[{"errorCode":"REQUIRED_FIELD_MISSING","fields":["Company"],"line":42}]"#,
                r#"[{"errorCode":"REQUIRED_FIELD_MISSING","fields":["Company"],"line":42}]"#,
            ),
            ("from 203.0.113.7", "from [redacted]"),
            ("", ""),
        ];
        for (body, kept) in cases {
            assert_eq!(redact_answer(body, &lead), kept, "{body}");
        }
        let long = "é".repeat(ANSWER_BODY_MAX);
        let kept = redact_answer(&long, &lead);
        assert!(kept.len() <= ANSWER_BODY_MAX && kept.len() > ANSWER_BODY_MAX - 2);
    }

    #[test]
    fn delivery_counts_list_every_status() {
        let rows = [
            ("0:webhook".to_owned(), "delivered".to_owned(), 3),
            ("0:webhook".to_owned(), "rejected".to_owned(), 1),
            ("1:hubspot".to_owned(), "failed".to_owned(), 2),
        ];
        assert_eq!(
            delivery_counts_json(&rows),
            json!({
                "0:webhook": {"pending": 0, "delivered": 3, "sent_unconfirmed": 0, "duplicate": 0, "failed": 0, "rejected": 1, "in_doubt": 0, "dead": 0, "erased": 0},
                "1:hubspot": {"pending": 0, "delivered": 0, "sent_unconfirmed": 0, "duplicate": 0, "failed": 2, "rejected": 0, "in_doubt": 0, "dead": 0, "erased": 0},
            })
        );
        assert_eq!(delivery_counts_json(&[]), json!({}));
    }

    #[test]
    fn web_to_lead_warns_near_its_daily_limit() {
        for (sent, near) in [(0, false), (399, false), (400, true), (650, true)] {
            let figures = web_to_lead_json(sent);
            assert_eq!(figures["near_limit"], near, "{sent}");
            assert_eq!(figures["sent_last_24h"], sent);
            assert_eq!(figures["daily_limit"], 500);
        }
    }

    #[test]
    fn web_to_lead_success_is_unconfirmed_and_finished_statuses_stay_finished() {
        let spec = FormSpec::parse_toml(
            "id = \"f\"\n[[fields]]\nid = \"email\"\nkind = \"email\"\nlabel = \"E\"\n\
             [[destinations]]\ntype = \"salesforce\"\norg_id = \"00D\"\n\
             [[destinations]]\ntype = \"webhook\"\nurl = \"https://h.example/\"\nsecret = \"S\"",
        )
        .unwrap();
        let (web_to_lead, webhook) = (&spec.destinations[0], &spec.destinations[1]);
        let cases = [
            (web_to_lead, Some(200), Outcome::SentUnconfirmed),
            (web_to_lead, Some(500), Outcome::Retry),
            (web_to_lead, Some(400), Outcome::Rejected),
            (webhook, Some(200), Outcome::Delivered),
            (webhook, None, Outcome::Retry),
        ];
        for (destination, status, outcome) in cases {
            assert_eq!(Outcome::for_destination(destination, status), outcome);
        }
        for status in DELIVERY_STATUSES {
            let finished = [
                "delivered",
                "rejected",
                "duplicate",
                "sent_unconfirmed",
                "in_doubt",
            ]
            .contains(&status);
            assert_eq!(Outcome::is_final(status), finished, "{status}");
        }
    }
}
