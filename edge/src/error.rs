//! The edge's typed errors and their JSON rendering.
//!
//! Every refusal is one [`EdgeError`] with a stable machine code, an HTTP status
//! and an English message; validation refusals carry the shared crate's
//! [`FieldIssue`]s. The body is always
//! `{"error": {"code", "message", "issues": [{"field", "code", "message"}]}}`.
//! This module decides wording and status only; it does not build responses.

use std::fmt;

use leadform_shared::{EnvelopeError, ErrorCode, FieldIssue};
use serde::Serialize;

/// Why the edge refused (or could not finish) a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeError {
    /// No route for this path.
    NotFound,
    /// The path exists but not with this method.
    MethodNotAllowed,
    /// The request's `Origin` is not one of the form's allowed origins.
    OriginNotAllowed,
    /// The body is not JSON (`application/json` or `text/plain`).
    ContentTypeUnsupported,
    /// The body is larger than the limit (bytes announced or read).
    PayloadTooLarge { limit: usize },
    /// The envelope did not parse or broke a limit (shared codes).
    Envelope(EnvelopeError),
    /// The envelope parsed but its content broke the form's rules.
    Invalid(Vec<FieldIssue>),
    /// No form with this id is compiled into this Worker.
    FormNotFound,
    /// No built-in texts in this language (`GET /v1/i18n/{lang}`).
    LanguageNotFound,
    /// A beacon body that is not `{"event", "cause"}` JSON.
    EventMalformed,
    /// A beacon with an event or cause this Worker does not count.
    EventUnknown,
    /// The honeypot input was filled in.
    Honeypot,
    /// The form was filled faster than the form's minimum.
    TooFast { min_fill_ms: u32 },
    /// The form needs a Turnstile token and none was sent.
    TurnstileMissing,
    /// Turnstile's siteverify refused the token.
    TurnstileFailed,
    /// Turnstile's siteverify could not be reached or answered nonsense.
    TurnstileUnavailable,
    /// A URL or markup in a name field (a form that refuses `url_in_name`).
    UrlInName,
    /// An address at a disposable-email domain (a form that refuses `disposable_email`).
    DisposableEmail,
    /// The same text in every free-text field (a form that refuses `same_text`).
    SameText,
    /// No quarantined submission with this id.
    QuarantineNotFound,
    /// The quarantined submission is closed (released, discarded, expired or
    /// erased): it cannot be discarded, or released unless it was released.
    QuarantineClosed,
    /// Too many submissions from this IP or for this form.
    RateLimited { retry_after_s: u32 },
    /// Owner endpoint without `Authorization: Bearer ...`.
    AuthMissing,
    /// Owner endpoint with a wrong token.
    AuthInvalid,
    /// The owner token secret is not configured on this Worker.
    AuthNotConfigured,
    /// The token is valid but lacks the scope this endpoint needs (names it).
    ScopeMissing(&'static str),
    /// No owner token with this id.
    TokenNotFound,
    /// A token request that is not `{"name", "scopes": [...]}` with known scopes.
    TokenRequestInvalid,
    /// No lead with this id.
    LeadNotFound,
    /// No certificate with this id.
    CertificateNotFound,
    /// A query parameter is missing or malformed (names the parameter).
    BadQuery(&'static str),
    /// An erasure request that is not `{"email": "..."}` with an address.
    ErasureRequestInvalid,
    /// `DELETE /v1/leads?email=`: the address would sit in request logs;
    /// `POST /v1/erasures` takes it in the body.
    EmailInUrl,
    /// D1 failed; nothing was stored (detail for logs).
    StorageUnavailable(String),
    /// A stored ciphertext no longer opens (altered bytes, wrong subject or
    /// key): the row was changed outside the Worker. Detail for logs only.
    StoredDataAltered(String),
    /// A required secret is not configured (names the secret).
    SecretMissing(&'static str),
    /// A secret or var is set but cannot be used (names it; the value never
    /// reaches the answer or the log).
    SecretInvalid(&'static str),
    /// A closed-loop status update was refused (`status.*`, see
    /// [`crate::status::StatusError`]).
    Status(crate::status::StatusError),
}

impl EdgeError {
    /// The stable machine code clients and logs match on.
    pub fn code(&self) -> &'static str {
        match self {
            EdgeError::NotFound => "route.not_found",
            EdgeError::MethodNotAllowed => "route.method_not_allowed",
            EdgeError::OriginNotAllowed => "origin.not_allowed",
            EdgeError::ContentTypeUnsupported => "content_type.unsupported",
            EdgeError::PayloadTooLarge { .. } => ErrorCode::EnvelopeTooLarge.as_str(),
            EdgeError::Envelope(error) => error.code.as_str(),
            EdgeError::Invalid(issues) => match issues.as_slice() {
                [only] if only.field.is_empty() => only.code.as_str(),
                _ => "submission.invalid",
            },
            EdgeError::FormNotFound => "form.not_found",
            EdgeError::LanguageNotFound => "i18n.language_not_found",
            EdgeError::EventMalformed => "event.malformed",
            EdgeError::EventUnknown => "event.unknown",
            EdgeError::Honeypot => "spam.honeypot",
            EdgeError::TooFast { .. } => "spam.too_fast",
            EdgeError::TurnstileMissing => "spam.turnstile_missing",
            EdgeError::TurnstileFailed => "spam.turnstile_failed",
            EdgeError::TurnstileUnavailable => "spam.turnstile_unavailable",
            EdgeError::UrlInName => "spam.url_in_name",
            EdgeError::DisposableEmail => "spam.disposable_email",
            EdgeError::SameText => "spam.same_text",
            EdgeError::QuarantineNotFound => "quarantine.not_found",
            EdgeError::QuarantineClosed => "quarantine.closed",
            EdgeError::RateLimited { .. } => "rate_limit.exceeded",
            EdgeError::AuthMissing => "auth.missing",
            EdgeError::AuthInvalid => "auth.invalid",
            EdgeError::AuthNotConfigured => "auth.not_configured",
            EdgeError::ScopeMissing(_) => "auth.scope_missing",
            EdgeError::TokenNotFound => "token.not_found",
            EdgeError::TokenRequestInvalid => "token.request_invalid",
            EdgeError::LeadNotFound => "lead.not_found",
            EdgeError::CertificateNotFound => "certificate.not_found",
            EdgeError::BadQuery(_) => "query.invalid",
            EdgeError::ErasureRequestInvalid => "erasure.request_invalid",
            EdgeError::EmailInUrl => "erasure.email_in_url",
            EdgeError::StorageUnavailable(_) => "storage.unavailable",
            EdgeError::StoredDataAltered(_) => "storage.integrity_failed",
            EdgeError::SecretMissing(_) => "config.secret_missing",
            EdgeError::SecretInvalid(_) => "config.secret_invalid",
            EdgeError::Status(error) => error.code(),
        }
    }

    /// The HTTP status of the error response.
    pub fn status(&self) -> u16 {
        match self {
            EdgeError::NotFound
            | EdgeError::FormNotFound
            | EdgeError::LanguageNotFound
            | EdgeError::LeadNotFound
            | EdgeError::CertificateNotFound
            | EdgeError::QuarantineNotFound
            | EdgeError::TokenNotFound => 404,
            EdgeError::ScopeMissing(_) => 403,
            EdgeError::TokenRequestInvalid => 400,
            EdgeError::QuarantineClosed => 409,
            EdgeError::MethodNotAllowed => 405,
            EdgeError::OriginNotAllowed | EdgeError::AuthInvalid | EdgeError::TurnstileFailed => {
                403
            }
            EdgeError::ContentTypeUnsupported => 415,
            EdgeError::PayloadTooLarge { .. } => 413,
            EdgeError::Envelope(error) if error.code == ErrorCode::EnvelopeTooLarge => 413,
            EdgeError::Envelope(_) => 400,
            EdgeError::Invalid(issues)
                if issues
                    .iter()
                    .any(|i| i.code == ErrorCode::EnvelopeSpecHashMismatch) =>
            {
                409
            }
            EdgeError::Invalid(_) => 422,
            EdgeError::Honeypot
            | EdgeError::TooFast { .. }
            | EdgeError::TurnstileMissing
            | EdgeError::UrlInName
            | EdgeError::DisposableEmail
            | EdgeError::SameText
            | EdgeError::EventMalformed
            | EdgeError::EventUnknown
            | EdgeError::BadQuery(_)
            | EdgeError::ErasureRequestInvalid
            | EdgeError::EmailInUrl => 400,
            EdgeError::RateLimited { .. } => 429,
            EdgeError::AuthMissing => 401,
            EdgeError::TurnstileUnavailable
            | EdgeError::AuthNotConfigured
            | EdgeError::StorageUnavailable(_)
            | EdgeError::SecretMissing(_)
            | EdgeError::SecretInvalid(_) => 503,
            EdgeError::StoredDataAltered(_) => 500,
            EdgeError::Status(error) => error.status(),
        }
    }

    /// The English message shown to developers and (for spam/limits) visitors.
    pub fn message(&self) -> String {
        match self {
            EdgeError::NotFound => "There is nothing at this address.".into(),
            EdgeError::MethodNotAllowed => "This address does not accept this method.".into(),
            EdgeError::OriginNotAllowed => {
                "This form may not be submitted from this website.".into()
            }
            EdgeError::ContentTypeUnsupported => {
                "Send the submission as JSON (Content-Type: application/json).".into()
            }
            EdgeError::PayloadTooLarge { limit } => {
                format!("The submission is too large (at most {limit} bytes).")
            }
            EdgeError::Envelope(error) => error.code.english().into(),
            EdgeError::Invalid(issues) => match issues.as_slice() {
                [only] if only.field.is_empty() => only.code.english().into(),
                _ => "Some answers need to be corrected.".into(),
            },
            EdgeError::FormNotFound => "There is no form with this id.".into(),
            EdgeError::LanguageNotFound => {
                "There are no built-in texts in this language; forms show English.".into()
            }
            EdgeError::EventMalformed => {
                "Send the event as JSON: {\"event\": \"mount_failed\", \"cause\": \"...\"}.".into()
            }
            EdgeError::EventUnknown => "This event or cause is not one this Worker counts.".into(),
            EdgeError::Honeypot => "The submission was refused as spam.".into(),
            EdgeError::TooFast { .. } => {
                "The form was sent too quickly. Please take a moment and try again.".into()
            }
            EdgeError::TurnstileMissing => "Please complete the anti-robot check.".into(),
            EdgeError::TurnstileFailed => "The anti-robot check failed. Please try again.".into(),
            EdgeError::TurnstileUnavailable => {
                "The anti-robot check could not be verified right now. Please try again.".into()
            }
            EdgeError::UrlInName => "A name may not contain a web address or markup.".into(),
            EdgeError::DisposableEmail => {
                "Please use a permanent email address, not a disposable one.".into()
            }
            EdgeError::SameText => "Please answer each question separately.".into(),
            EdgeError::QuarantineNotFound => {
                "There is no quarantined submission with this id.".into()
            }
            EdgeError::QuarantineClosed => {
                "This quarantined submission was already released, discarded or expired.".into()
            }
            EdgeError::RateLimited { retry_after_s } => {
                format!("Too many submissions. Please try again in {retry_after_s} seconds.")
            }
            EdgeError::AuthMissing => "This endpoint needs an Authorization: Bearer token.".into(),
            EdgeError::AuthInvalid => "The bearer token is not valid.".into(),
            EdgeError::AuthNotConfigured => {
                "The owner token (ADMIN_TOKEN) is not configured.".into()
            }
            EdgeError::ScopeMissing(scope) => {
                format!("This token lacks the `{scope}` scope this endpoint needs.")
            }
            EdgeError::TokenNotFound => "There is no owner token with this id.".into(),
            EdgeError::TokenRequestInvalid => {
                "A token needs a name and scopes among read, export, erase, replay, admin.".into()
            }
            EdgeError::LeadNotFound => "There is no lead with this id.".into(),
            EdgeError::CertificateNotFound => "There is no certificate with this id.".into(),
            EdgeError::BadQuery(parameter) => {
                format!("The query parameter `{parameter}` is missing or not valid.")
            }
            EdgeError::ErasureRequestInvalid => {
                "Send the erasure as JSON: {\"email\": \"name@example.com\"}.".into()
            }
            EdgeError::EmailInUrl => {
                "An address in the URL ends up in request logs: send POST /v1/erasures with \
                 {\"email\": \"...\"} in the body instead."
                    .into()
            }
            EdgeError::StorageUnavailable(_) => {
                "The submission could not be stored right now. Please try again.".into()
            }
            EdgeError::StoredDataAltered(_) => {
                "This stored record fails its integrity check: it was changed outside Leadform."
                    .into()
            }
            EdgeError::SecretMissing(name) => format!("The secret `{name}` is not configured."),
            EdgeError::SecretInvalid(name) => format!("The setting `{name}` is not usable."),
            EdgeError::Status(error) => error.to_string(),
        }
    }

    /// Seconds for a `Retry-After` header, when the client should retry later.
    pub fn retry_after_s(&self) -> Option<u32> {
        match self {
            EdgeError::RateLimited { retry_after_s } => Some(*retry_after_s),
            EdgeError::StorageUnavailable(_) | EdgeError::TurnstileUnavailable => Some(5),
            _ => None,
        }
    }

    /// The JSON body of the error response.
    pub fn to_body(&self) -> ErrorBody {
        let issues = match self {
            EdgeError::Invalid(issues) => issues
                .iter()
                .filter(|i| !i.field.is_empty() || issues.len() > 1)
                .map(|i| IssueBody {
                    field: i.field.clone(),
                    code: i.code.as_str(),
                    message: i.code.english(),
                })
                .collect(),
            _ => Vec::new(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.message(),
                issues,
            },
        }
    }

    /// [`EdgeError::to_body`] as JSON text.
    pub fn to_json(&self) -> String {
        // Strings and a Vec of strings always serialise.
        serde_json::to_string(&self.to_body()).unwrap_or_default()
    }
}

impl fmt::Display for EdgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())?;
        match self {
            EdgeError::Envelope(error) => write!(f, " ({})", error.detail),
            EdgeError::StorageUnavailable(detail) | EdgeError::StoredDataAltered(detail) => {
                write!(f, " ({detail})")
            }
            _ => Ok(()),
        }
    }
}

impl std::error::Error for EdgeError {}

impl From<EnvelopeError> for EdgeError {
    fn from(error: EnvelopeError) -> Self {
        EdgeError::Envelope(error)
    }
}

/// `{"error": ...}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    pub issues: Vec<IssueBody>,
}

#[derive(Debug, Serialize)]
pub struct IssueBody {
    pub field: String,
    pub code: &'static str,
    pub message: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        let cases: Vec<(EdgeError, u16, &str)> = vec![
            (EdgeError::OriginNotAllowed, 403, "origin.not_allowed"),
            (
                EdgeError::ContentTypeUnsupported,
                415,
                "content_type.unsupported",
            ),
            (
                EdgeError::PayloadTooLarge { limit: 10 },
                413,
                "envelope.too_large",
            ),
            (EdgeError::Honeypot, 400, "spam.honeypot"),
            (EdgeError::TooFast { min_fill_ms: 1 }, 400, "spam.too_fast"),
            (EdgeError::TurnstileFailed, 403, "spam.turnstile_failed"),
            (EdgeError::UrlInName, 400, "spam.url_in_name"),
            (EdgeError::DisposableEmail, 400, "spam.disposable_email"),
            (EdgeError::SameText, 400, "spam.same_text"),
            (EdgeError::QuarantineNotFound, 404, "quarantine.not_found"),
            (EdgeError::QuarantineClosed, 409, "quarantine.closed"),
            (
                EdgeError::RateLimited { retry_after_s: 3 },
                429,
                "rate_limit.exceeded",
            ),
            (EdgeError::AuthMissing, 401, "auth.missing"),
            (EdgeError::AuthInvalid, 403, "auth.invalid"),
            (EdgeError::ScopeMissing("erase"), 403, "auth.scope_missing"),
            (EdgeError::TokenNotFound, 404, "token.not_found"),
            (EdgeError::TokenRequestInvalid, 400, "token.request_invalid"),
            (EdgeError::FormNotFound, 404, "form.not_found"),
            (EdgeError::LanguageNotFound, 404, "i18n.language_not_found"),
            (EdgeError::EventMalformed, 400, "event.malformed"),
            (EdgeError::EventUnknown, 400, "event.unknown"),
            (
                EdgeError::ErasureRequestInvalid,
                400,
                "erasure.request_invalid",
            ),
            (EdgeError::EmailInUrl, 400, "erasure.email_in_url"),
            (
                EdgeError::StorageUnavailable("x".into()),
                503,
                "storage.unavailable",
            ),
            (
                EdgeError::StoredDataAltered("x".into()),
                500,
                "storage.integrity_failed",
            ),
            (
                EdgeError::Invalid(vec![FieldIssue::new(
                    "",
                    ErrorCode::EnvelopeSpecHashMismatch,
                )]),
                409,
                "envelope.spec_hash_mismatch",
            ),
            (
                EdgeError::Invalid(vec![FieldIssue::new("email", ErrorCode::Required)]),
                422,
                "submission.invalid",
            ),
        ];
        for (error, status, code) in cases {
            assert_eq!(error.status(), status, "{error}");
            assert_eq!(error.code(), code, "{error}");
            assert!(error.message().ends_with('.'), "{error}");
        }
    }

    #[test]
    fn body_lists_field_issues() {
        let error = EdgeError::Invalid(vec![
            FieldIssue::new("email", ErrorCode::Required),
            FieldIssue::new("zip", ErrorCode::PostalInvalid),
        ]);
        let body: serde_json::Value = serde_json::from_str(&error.to_json()).unwrap();
        assert_eq!(body["error"]["code"], "submission.invalid");
        assert_eq!(body["error"]["issues"][0]["field"], "email");
        assert_eq!(body["error"]["issues"][0]["code"], "field.required");
        assert_eq!(body["error"]["issues"][1]["code"], "postal.invalid");
        assert_eq!(
            body["error"]["issues"][1]["message"],
            ErrorCode::PostalInvalid.english()
        );
    }
}
