//! The submission envelope: the versioned JSON the widget POSTs to the edge.
//!
//! [`SubmissionEnvelope::parse`] enforces the byte limit, the version, the
//! shape (unknown fields are refused, not ignored) and per-value limits before
//! anything else looks at the data. [`SubmissionEnvelope::validate_against`]
//! then runs the form's rules against the server's own spec. Nothing here
//! checks origins, spam or rate limits: that is the edge's job.

use std::fmt;

use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::consent::ConsentRecord;
use crate::fieldmap::FieldMap;
use crate::spec::{is_valid_id, FormSpec, MAX_FIELDS, MAX_OPTIONS};
use crate::validate::{validate_submission, CleanSubmission, FieldValue};
use crate::{ErrorCode, FieldIssue, Lang};

/// The only envelope version this build speaks.
pub const ENVELOPE_VERSION: u32 = 1;
/// Largest envelope accepted, in bytes.
pub const MAX_ENVELOPE_BYTES: usize = 64 * 1024;
/// Longest single field value, in bytes.
pub const MAX_VALUE_BYTES: usize = 20_000;
/// Most consent records in one envelope.
pub const MAX_CONSENTS: usize = 20;
/// Longest URL kept in attribution.
pub const MAX_URL_BYTES: usize = 2048;
/// Longest attribution parameter (UTM value, click id).
pub const MAX_PARAM_BYTES: usize = 512;

/// One submission, as sent by the widget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct SubmissionEnvelope {
    /// Always [`ENVELOPE_VERSION`].
    pub version: u32,
    #[validate(custom(function = "check_slug"))]
    pub form_id: String,
    /// [`FormSpec::public_hash`] of the spec the page rendered.
    #[validate(custom(function = "check_sha256_hex"))]
    pub spec_hash: String,
    /// Random id made by the widget for this submission; a retry of the same
    /// submission (after a network failure) reuses it.
    #[validate(custom(function = "check_token"))]
    pub submission_id: String,
    /// First-party visitor id kept in the visitor's browser.
    #[validate(custom(function = "check_token"))]
    pub visitor_id: String,
    /// Field ids shown to the visitor on this visit (progressive profiling).
    #[validate(length(max = 100))]
    pub asked: Vec<String>,
    #[validate(custom(function = "check_values"))]
    pub fields: FieldMap<FieldValue>,
    #[validate(length(max = 20))]
    pub consents: Vec<ConsentRecord>,
    #[validate(nested)]
    pub attribution: Attribution,
    #[validate(nested)]
    pub timings: Timings,
    /// The honeypot input's content: empty for humans.
    #[validate(length(max = 1000))]
    pub honeypot: String,
    /// Cloudflare Turnstile response token, when the form enables Turnstile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 4096))]
    pub turnstile_token: Option<String>,
    /// The page the form was on (without fragment).
    #[validate(length(max = 2048))]
    pub page_url: String,
    /// The language the visitor saw messages in.
    #[serde(default)]
    pub lang: Lang,
}

/// Where the visitor came from: this visit and the first one we saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Attribution {
    #[validate(nested)]
    pub current: Touch,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub first_touch: Option<Touch>,
}

/// Marketing parameters of one visit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Touch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 512))]
    pub utm_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 512))]
    pub utm_medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 512))]
    pub utm_campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 512))]
    pub utm_term: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 512))]
    pub utm_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 512))]
    pub gclid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 512))]
    pub fbclid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 2048))]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 2048))]
    pub landing_url: Option<String>,
    /// HubSpot's `hubspotutk` cookie from the owner's page, when HubSpot's
    /// tracking code runs there; sent as `context.hutk` to HubSpot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 512))]
    pub hubspot_utk: Option<String>,
    /// Client clock, ms since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at_ms: Option<u64>,
    /// The experiment variant this visit was shown (`[[variants]]`, see
    /// [`crate::analytics::assign`]); only on the current touch. An optional
    /// member, so envelopes without it stay version 1; the edge stores it
    /// with the lead when the server's spec declares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 64))]
    pub variant: Option<String>,
}

/// Client-side timings, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Timings {
    /// Client clock at first render of the form, ms since the Unix epoch.
    pub started_at_ms: u64,
    /// Client clock at submit, ms since the Unix epoch.
    pub submitted_at_ms: u64,
    /// Time the visitor spent filling the form (render to submit, excluding
    /// time the tab was hidden). At most a week.
    #[validate(range(max = 604_800_000))]
    pub time_to_fill_ms: u64,
}

/// Why an envelope was refused before any field rule ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeError {
    pub code: ErrorCode,
    /// Technical detail for logs and developers (e.g. the serde message or the
    /// offending path); never shown to visitors as-is.
    pub detail: String,
}

impl EnvelopeError {
    fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        EnvelopeError {
            code,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.code,
            self.code.english(),
            self.detail
        )
    }
}

impl std::error::Error for EnvelopeError {}

/// Only the version, read first so a newer envelope gets a version error
/// rather than an unknown-field error.
#[derive(Deserialize)]
struct VersionProbe {
    version: Option<serde_json::Value>,
}

impl SubmissionEnvelope {
    /// Parses and bounds-checks an envelope from raw request bytes.
    pub fn parse(bytes: &[u8]) -> Result<SubmissionEnvelope, EnvelopeError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(EnvelopeError::new(
                ErrorCode::EnvelopeTooLarge,
                format!("{} bytes; at most {MAX_ENVELOPE_BYTES}", bytes.len()),
            ));
        }
        // The common case in one pass: a well-formed envelope of this version.
        // Anything else takes the two-pass path below, which decides the error.
        if let Ok(envelope) = serde_json::from_slice::<SubmissionEnvelope>(bytes) {
            if envelope.version == ENVELOPE_VERSION {
                envelope.check_limits()?;
                return Ok(envelope);
            }
        }
        let probe: VersionProbe = serde_json::from_slice(bytes)
            .map_err(|e| EnvelopeError::new(ErrorCode::EnvelopeMalformed, e.to_string()))?;
        match probe.version {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(ENVELOPE_VERSION as u64) => {}
            Some(other) => {
                return Err(EnvelopeError::new(
                    ErrorCode::EnvelopeUnsupportedVersion,
                    format!("version {other}; this server speaks {ENVELOPE_VERSION}"),
                ))
            }
            None => {
                return Err(EnvelopeError::new(
                    ErrorCode::EnvelopeMalformed,
                    "missing field `version`",
                ))
            }
        }
        let envelope: SubmissionEnvelope = serde_json::from_slice(bytes).map_err(|e| {
            let message = e.to_string();
            let code = if message.starts_with("unknown field") {
                ErrorCode::EnvelopeUnknownField
            } else {
                ErrorCode::EnvelopeMalformed
            };
            EnvelopeError::new(code, message)
        })?;
        envelope.check_limits()?;
        Ok(envelope)
    }

    /// Compact JSON, as the widget sends it (serde_json's bytes; the widget
    /// writes the same members through serde-wasm-bindgen and `JSON.stringify`).
    pub fn to_json(&self) -> String {
        // A struct of strings, integers, booleans and maps always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    fn check_limits(&self) -> Result<(), EnvelopeError> {
        if let Err(errors) = self.validate() {
            let detail = errors.to_string();
            let code = if ["form_id", "spec_hash", "submission_id", "visitor_id"]
                .iter()
                .any(|name| errors.field_errors().contains_key(*name))
            {
                ErrorCode::EnvelopeInvalidIdentifier
            } else if errors.errors().contains_key("timings") {
                ErrorCode::EnvelopeInvalidTimings
            } else {
                ErrorCode::EnvelopeLimitExceeded
            };
            return Err(EnvelopeError::new(code, detail));
        }
        if self.timings.submitted_at_ms < self.timings.started_at_ms {
            return Err(EnvelopeError::new(
                ErrorCode::EnvelopeInvalidTimings,
                "submitted_at_ms is before started_at_ms",
            ));
        }
        let too_long = self.consents.iter().any(|c| {
            c.disclosure_text.len() > MAX_VALUE_BYTES
                || c.consent_id.len() > 64
                || c.version.len() > 64
                || c.disclosure_sha256.len() > 64
                || c.channels.len() > 8
        });
        if too_long || self.consents.len() > MAX_CONSENTS {
            return Err(EnvelopeError::new(
                ErrorCode::EnvelopeLimitExceeded,
                "consent records too many or too long",
            ));
        }
        Ok(())
    }

    /// Checks the envelope against the server's spec: same form, same spec
    /// hash, and every field and consent rule.
    pub fn validate_against(&self, spec: &FormSpec) -> Result<CleanSubmission, Vec<FieldIssue>> {
        self.validate_against_hashed(spec, &spec.public_hash())
    }

    /// [`SubmissionEnvelope::validate_against`] with the spec's
    /// [`FormSpec::public_hash`] computed once by the caller (the edge keeps it
    /// per compiled form instead of re-serialising the spec per request).
    pub fn validate_against_hashed(
        &self,
        spec: &FormSpec,
        public_hash: &str,
    ) -> Result<CleanSubmission, Vec<FieldIssue>> {
        if self.form_id != spec.id {
            return Err(vec![FieldIssue::new("", ErrorCode::EnvelopeFormMismatch)]);
        }
        if self.spec_hash != public_hash {
            return Err(vec![FieldIssue::new(
                "",
                ErrorCode::EnvelopeSpecHashMismatch,
            )]);
        }
        validate_submission(spec, &self.asked, &self.fields, &self.consents)
    }
}

fn check_slug(value: &str) -> Result<(), ValidationError> {
    if is_valid_id(value) {
        Ok(())
    } else {
        Err(ValidationError::new("slug"))
    }
}

fn check_sha256_hex(value: &str) -> Result<(), ValidationError> {
    if value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(())
    } else {
        Err(ValidationError::new("sha256_hex"))
    }
}

/// Client-made ids: 8-64 characters of `A-Za-z0-9_-`.
fn check_token(value: &str) -> Result<(), ValidationError> {
    if (8..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(())
    } else {
        Err(ValidationError::new("token"))
    }
}

fn check_values(values: &FieldMap<FieldValue>) -> Result<(), ValidationError> {
    if values.len() > MAX_FIELDS {
        return Err(ValidationError::new("too_many_fields"));
    }
    for (id, value) in values {
        let fits = id.len() <= 64
            && match value {
                FieldValue::Bool(_) => true,
                FieldValue::Text(text) => text.len() <= MAX_VALUE_BYTES,
                FieldValue::List(items) => {
                    items.len() <= MAX_OPTIONS && items.iter().all(|i| i.len() <= MAX_VALUE_BYTES)
                }
            };
        if !fits {
            return Err(ValidationError::new("value_too_long"));
        }
    }
    Ok(())
}
