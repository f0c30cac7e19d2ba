//! The closed loop: what `POST /v1/leads/{id}/status` accepts and how a
//! lead's status history reads back (latest status, first contact, aging).
//!
//! A status update is JSON `{"status", "value"?, "currency"?, "reason"?,
//! "lead_id"?}`: `contacted`, `qualified`, `disqualified`, `won` (with a
//! `value` >= 0 and optionally an ISO 4217 `currency`), `lost`, `returned`
//! (with a `reason`). The owner sends it with an owner token; a CRM signs it
//! Standard-Webhooks style (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature` over `{id}.{timestamp}.{body}`, the form's
//! `[closed_loop] secret`, five-minute window, `lead_id` in the body equal to
//! the path's) and each signed message is applied once. Every status but
//! `returned` means the lead was reached: the first one sets the first
//! contact time. An erased lead takes no status.
//!
//! Pure: parsing, rules and JSON; the platform layer
//! (`platform::lead_status`) reads headers, secrets, D1 and the clock.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::webhook::WebhookRejection;

/// A lead's status as the closed loop reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    Contacted,
    Qualified,
    Disqualified,
    Won,
    Lost,
    Returned,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 6] = [
        LeadStatus::Contacted,
        LeadStatus::Qualified,
        LeadStatus::Disqualified,
        LeadStatus::Won,
        LeadStatus::Lost,
        LeadStatus::Returned,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            LeadStatus::Contacted => "contacted",
            LeadStatus::Qualified => "qualified",
            LeadStatus::Disqualified => "disqualified",
            LeadStatus::Won => "won",
            LeadStatus::Lost => "lost",
            LeadStatus::Returned => "returned",
        }
    }

    pub fn parse(text: &str) -> Option<LeadStatus> {
        LeadStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether this status says the lead was reached (sets first contact).
    pub const fn is_contact(self) -> bool {
        !matches!(self, LeadStatus::Returned)
    }
}

/// Longest `reason` kept.
pub const MAX_REASON_CHARS: usize = 500;

/// One accepted status update.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub status: LeadStatus,
    pub value: Option<f64>,
    pub currency: Option<String>,
    pub reason: Option<String>,
    pub lead_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    status: String,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    lead_id: Option<String>,
}

/// Why a status update was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusError {
    /// Not the JSON shape above (detail for developers).
    Malformed(String),
    /// A status this Worker does not know (names it).
    Unknown(String),
    /// `won` without a `value`.
    ValueRequired,
    /// A `value` below 0 or not finite, a `value` on another status, or a
    /// `currency` that is not three capital letters.
    ValueInvalid,
    /// `returned` without a `reason` (or one over [`MAX_REASON_CHARS`]).
    ReasonRequired,
    /// The lead was erased: it takes no status.
    LeadErased,
    /// A signed request whose body names another lead.
    LeadMismatch,
    /// The form names no `[closed_loop] secret`: CRM updates are off.
    CrmNotEnabled,
    /// The signature headers are absent, malformed, out of the window or wrong.
    Signature(WebhookRejection),
    /// This signed message was applied already.
    Replayed,
}

impl StatusError {
    pub fn code(&self) -> &'static str {
        match self {
            StatusError::Malformed(_) => "status.malformed",
            StatusError::Unknown(_) => "status.unknown",
            StatusError::ValueRequired => "status.value_required",
            StatusError::ValueInvalid => "status.value_invalid",
            StatusError::ReasonRequired => "status.reason_required",
            StatusError::LeadErased => "status.lead_erased",
            StatusError::LeadMismatch => "status.lead_mismatch",
            StatusError::CrmNotEnabled => "status.crm_not_enabled",
            StatusError::Signature(WebhookRejection::Replayed) | StatusError::Replayed => {
                "status.replayed"
            }
            StatusError::Signature(WebhookRejection::TimestampInvalid)
            | StatusError::Signature(WebhookRejection::TimestampOutOfTolerance) => {
                "status.timestamp_out_of_window"
            }
            StatusError::Signature(WebhookRejection::HeaderMissing(_)) => {
                "status.signature_missing"
            }
            StatusError::Signature(WebhookRejection::SignatureMismatch) => {
                "status.signature_invalid"
            }
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            StatusError::Malformed(_) => 400,
            StatusError::Unknown(_)
            | StatusError::ValueRequired
            | StatusError::ValueInvalid
            | StatusError::ReasonRequired
            | StatusError::LeadMismatch => 422,
            StatusError::LeadErased | StatusError::Replayed => 409,
            StatusError::Signature(WebhookRejection::Replayed) => 409,
            StatusError::CrmNotEnabled => 403,
            StatusError::Signature(_) => 401,
        }
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusError::Malformed(_) => f.write_str(
                "Send the status as JSON: {\"status\": \"contacted\"} (won: \"value\"; returned: \"reason\").",
            ),
            StatusError::Unknown(status) => write!(
                f,
                "`{status}` is not a lead status; the statuses are {}.",
                LeadStatus::ALL.map(LeadStatus::as_str).join(", ")
            ),
            StatusError::ValueRequired => f.write_str("A won lead needs its `value`."),
            StatusError::ValueInvalid => f.write_str(
                "`value` is a number of at least 0 on a won lead only; `currency` three capital letters (ISO 4217).",
            ),
            StatusError::ReasonRequired => write!(
                f,
                "A returned lead needs a `reason` (at most {MAX_REASON_CHARS} characters)."
            ),
            StatusError::LeadErased => f.write_str("This lead was erased; it takes no status."),
            StatusError::LeadMismatch => {
                f.write_str("A signed status names its lead in `lead_id`, the lead of the path.")
            }
            StatusError::CrmNotEnabled => f.write_str(
                "This form takes no signed status updates: its spec names no [closed_loop] secret.",
            ),
            StatusError::Signature(rejection) => write!(f, "The signature is refused: {rejection}."),
            StatusError::Replayed => f.write_str("This signed status update was applied already."),
        }
    }
}

/// Reads and checks a status update body.
pub fn parse_update(body: &str) -> Result<StatusUpdate, StatusError> {
    let body: Body =
        serde_json::from_str(body).map_err(|e| StatusError::Malformed(e.to_string()))?;
    let status = LeadStatus::parse(&body.status).ok_or(StatusError::Unknown(body.status))?;
    match (status, body.value) {
        (LeadStatus::Won, None) => return Err(StatusError::ValueRequired),
        (LeadStatus::Won, Some(value)) if !value.is_finite() || value < 0.0 => {
            return Err(StatusError::ValueInvalid)
        }
        (LeadStatus::Won, Some(_)) | (_, None) => {}
        (_, Some(_)) => return Err(StatusError::ValueInvalid),
    }
    if let Some(currency) = &body.currency {
        let iso = currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase());
        if !iso || status != LeadStatus::Won {
            return Err(StatusError::ValueInvalid);
        }
    }
    let reason = body
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if status == LeadStatus::Returned
        && reason
            .as_ref()
            .is_none_or(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(StatusError::ReasonRequired);
    }
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(StatusError::Malformed("reason too long".into()));
    }
    Ok(StatusUpdate {
        status,
        value: body.value,
        currency: body.currency,
        reason,
        lead_id: body.lead_id,
    })
}

/// The lead's first contact time after `update` at `at_ms`: unchanged when
/// already set or when the status is not a contact.
pub fn first_contact_after(
    first_contact_at_ms: Option<u64>,
    update: LeadStatus,
    at_ms: u64,
) -> Option<u64> {
    first_contact_at_ms.or(update.is_contact().then_some(at_ms))
}

/// The closed-loop part of a lead in the API and the JSON export: latest
/// status and its time, first contact, and aging at `now_ms` (time since
/// arrival; time to first contact once contacted).
pub fn loop_json(
    received_at_ms: u64,
    status: Option<&str>,
    status_at_ms: Option<u64>,
    first_contact_at_ms: Option<u64>,
    now_ms: u64,
) -> Value {
    json!({
        "status": status,
        "status_at": status_at_ms.map(crate::time::rfc3339_ms),
        "first_contact_at": first_contact_at_ms.map(crate::time::rfc3339_ms),
        "age_ms": now_ms.saturating_sub(received_at_ms),
        "time_to_first_contact_ms": first_contact_at_ms.map(|t| t.saturating_sub(received_at_ms)),
    })
}

/// The export's closed-loop columns, in order.
pub const EXPORT_COLUMNS: &[&str] = &[
    "score",
    "tier",
    "mark",
    "grade",
    "fired",
    "status",
    "status_at",
    "first_contact_at",
    "age_ms",
    "time_to_first_contact_ms",
];

/// The cells under [`EXPORT_COLUMNS`] for one lead (`qualification` from
/// its record, `closed_loop` from [`loop_json`]).
pub fn export_cells(
    qualification: Option<&leadform_shared::scoring::Qualification>,
    closed_loop: &Value,
) -> Vec<String> {
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut cells = match qualification {
        Some(q) => {
            let fired: Vec<&str> = q.fired.iter().map(|f| f.rule.as_str()).collect();
            vec![
                q.score.to_string(),
                q.tier.clone().unwrap_or_default(),
                q.mark.map(|m| m.as_str().to_owned()).unwrap_or_default(),
                q.grade.map(|g| g.as_str().to_owned()).unwrap_or_default(),
                fired.join(";"),
            ]
        }
        None => vec![String::new(); 5],
    };
    for key in &EXPORT_COLUMNS[5..] {
        cells.push(text(&closed_loop[*key]));
    }
    cells
}

/// One row of the history as the API shows it.
pub fn history_entry(
    seq: u64,
    status: &str,
    value: Option<f64>,
    currency: Option<&str>,
    reason: Option<&str>,
    source: &str,
    at: &str,
) -> Value {
    json!({
        "seq": seq,
        "status": status,
        "value": value,
        "currency": currency,
        "reason": reason,
        "source": source,
        "at": at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_table() {
        let cases: &[(&str, Result<LeadStatus, &str>)] = &[
            (r#"{"status":"contacted"}"#, Ok(LeadStatus::Contacted)),
            (r#"{"status":"qualified"}"#, Ok(LeadStatus::Qualified)),
            (r#"{"status":"disqualified"}"#, Ok(LeadStatus::Disqualified)),
            (
                r#"{"status":"won","value":1200.5,"currency":"USD"}"#,
                Ok(LeadStatus::Won),
            ),
            (r#"{"status":"won","value":0}"#, Ok(LeadStatus::Won)),
            (
                r#"{"status":"lost","reason":"price"}"#,
                Ok(LeadStatus::Lost),
            ),
            (
                r#"{"status":"returned","reason":"wrong number"}"#,
                Ok(LeadStatus::Returned),
            ),
            (r#"{"status":"hot"}"#, Err("status.unknown")),
            (r#"{"status":"Won","value":1}"#, Err("status.unknown")),
            (r#"{"status":"won"}"#, Err("status.value_required")),
            (
                r#"{"status":"won","value":-1}"#,
                Err("status.value_invalid"),
            ),
            (
                r#"{"status":"won","value":5,"currency":"usd"}"#,
                Err("status.value_invalid"),
            ),
            (
                r#"{"status":"lost","value":5}"#,
                Err("status.value_invalid"),
            ),
            (r#"{"status":"returned"}"#, Err("status.reason_required")),
            (
                r#"{"status":"returned","reason":"  "}"#,
                Err("status.reason_required"),
            ),
            (
                r#"{"status":"contacted","extra":1}"#,
                Err("status.malformed"),
            ),
            (r#""contacted""#, Err("status.malformed")),
            (r#"{"value":1}"#, Err("status.malformed")),
        ];
        for (body, expected) in cases {
            let got = parse_update(body);
            match (got, expected) {
                (Ok(update), Ok(status)) => assert_eq!(update.status, *status, "{body}"),
                (Err(error), Err(code)) => {
                    assert_eq!(error.code(), *code, "{body}");
                    assert!(error.status() >= 400 && !error.to_string().is_empty());
                }
                (got, expected) => panic!("{body}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn first_contact_is_the_first_contact_status_and_aging_counts_from_arrival() {
        assert_eq!(first_contact_after(None, LeadStatus::Returned, 5), None);
        assert_eq!(first_contact_after(None, LeadStatus::Qualified, 5), Some(5));
        assert_eq!(
            first_contact_after(Some(3), LeadStatus::Contacted, 9),
            Some(3)
        );
        let json = loop_json(1_000, Some("won"), Some(61_000), Some(31_000), 121_000);
        assert_eq!(json["age_ms"], 120_000);
        assert_eq!(json["time_to_first_contact_ms"], 30_000);
        assert_eq!(json["status"], "won");
        let fresh = loop_json(1_000, None, None, None, 1_500);
        assert_eq!(fresh["time_to_first_contact_ms"], Value::Null);
        let cells = export_cells(None, &json);
        assert_eq!(cells.len(), EXPORT_COLUMNS.len());
        assert_eq!(
            &cells[5..],
            [
                "won",
                "1970-01-01T00:01:01.000Z",
                "1970-01-01T00:00:31.000Z",
                "120000",
                "30000"
            ]
        );
    }

    #[test]
    fn signature_refusals_have_their_codes() {
        let cases = [
            (
                WebhookRejection::HeaderMissing("webhook-id"),
                "status.signature_missing",
                401,
            ),
            (
                WebhookRejection::TimestampOutOfTolerance,
                "status.timestamp_out_of_window",
                401,
            ),
            (
                WebhookRejection::SignatureMismatch,
                "status.signature_invalid",
                401,
            ),
            (WebhookRejection::Replayed, "status.replayed", 409),
        ];
        for (rejection, code, status) in cases {
            let error = StatusError::Signature(rejection);
            assert_eq!((error.code(), error.status()), (code, status));
        }
        assert_eq!(StatusError::Replayed.code(), "status.replayed");
        assert_eq!(StatusError::LeadErased.status(), 409);
    }
}
