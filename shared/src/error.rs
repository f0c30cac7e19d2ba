//! Typed error codes shared by the widget and the edge.
//!
//! Every validation failure anywhere in Leadform is one [`ErrorCode`]: a stable
//! machine code (`email.domain_missing`) that clients and logs can match on, and
//! a human message looked up in [`crate::messages`]. This module must not grow
//! free-form string errors: add a variant instead.

use core::fmt;

/// Declares [`ErrorCode`] with its machine code and English message in one place,
/// so the three can never drift apart.
macro_rules! error_codes {
    ($( $(#[$meta:meta])* $variant:ident => $code:literal, $english:literal; )+) => {
        /// A stable, machine-readable reason why an input was refused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$meta])* $variant, )+
        }

        impl ErrorCode {
            /// Every code, in declaration order (used by the message tables' tests).
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )+ ];

            /// The stable machine code, e.g. `email.domain_missing`.
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )+ }
            }

            /// The English message; other languages live in [`crate::messages`].
            pub const fn english(self) -> &'static str {
                match self { $( ErrorCode::$variant => $english, )+ }
            }

            /// Looks a machine code up; `None` for codes this build does not know.
            /// A scan of [`ErrorCode::ALL`] through [`ErrorCode::as_str`]'s
            /// table rather than a `match` on the strings, which would be a
            /// second copy of that table's work in the widget.
            pub fn from_code(code: &str) -> Option<ErrorCode> {
                ErrorCode::ALL.iter().copied().find(|known| known.as_str() == code)
            }
        }
    };
}

error_codes! {
    // Generic field rules.
    Required => "field.required", "This field is required.";
    UnknownField => "field.unknown", "This field is not part of the form.";
    WrongValueType => "field.wrong_type", "This value has the wrong type for the field.";

    // Text normalisation.
    TextTooShort => "text.too_short", "This is too short.";
    TextTooLong => "text.too_long", "This is too long.";
    TextControlCharacter => "text.control_character", "This contains characters that are not allowed.";
    TextLineBreak => "text.line_break", "Line breaks are not allowed here.";

    // Email (RFC 5321 mailbox).
    EmailEmpty => "email.empty", "Enter an email address.";
    EmailAtMissing => "email.at_missing", "An email address needs an @ sign.";
    EmailLocalEmpty => "email.local_empty", "Enter the part before the @.";
    EmailLocalTooLong => "email.local_too_long", "The part before the @ is too long (64 characters at most).";
    EmailLocalInvalid => "email.local_invalid", "The part before the @ contains characters that are not allowed.";
    EmailDomainMissing => "email.domain_missing", "Enter the part after the @, such as example.com.";
    EmailDomainTooLong => "email.domain_too_long", "The domain is too long (255 characters at most).";
    EmailDomainInvalid => "email.domain_invalid", "The domain after the @ is not valid.";
    EmailDomainLabelTooLong => "email.domain_label_too_long", "A part of the domain is too long (63 characters at most).";
    EmailDomainNoDot => "email.domain_no_dot", "The domain needs a dot, such as example.com.";
    EmailTooLong => "email.too_long", "The email address is too long (254 characters at most).";

    // Phone (E.164).
    PhoneEmpty => "phone.empty", "Enter a phone number.";
    PhoneInvalidCharacters => "phone.invalid_characters", "A phone number may contain only digits, spaces, dashes, dots, brackets and a leading +.";
    PhoneTooShort => "phone.too_short", "This phone number is too short.";
    PhoneTooLong => "phone.too_long", "This phone number is too long.";
    PhoneUnknownCountryCode => "phone.unknown_country_code", "This country calling code is not known.";
    PhoneInvalidForCountry => "phone.invalid_for_country", "This is not a valid phone number for its country.";
    PhoneUnsupportedCountry => "phone.unsupported_country", "Phone numbers from this country are not supported yet.";
    PhoneExtensionInvalid => "phone.extension_invalid", "An extension is 1 to 10 digits after x, ext or #, such as x123.";

    // Postal codes.
    PostalEmpty => "postal.empty", "Enter a postal code.";
    PostalInvalid => "postal.invalid", "This postal code is not valid.";
    PostalUnsupportedCountry => "postal.unsupported_country", "Postal codes from this country are not supported yet.";

    // Choices and numbers.
    OptionNotAllowed => "choice.not_allowed", "Choose one of the listed options.";
    TooFewSelected => "choice.too_few", "Choose more options.";
    TooManySelected => "choice.too_many", "Choose fewer options.";
    DuplicateSelection => "choice.duplicate", "The same option was chosen twice.";
    NumberInvalid => "number.invalid", "Enter a number.";
    NumberTooSmall => "number.too_small", "This number is too small.";
    NumberTooLarge => "number.too_large", "This number is too large.";
    CheckboxInvalid => "checkbox.invalid", "This box must be ticked or not ticked.";

    // Consent.
    ConsentRequired => "consent.required", "Please tick this box to continue.";
    ConsentUnknown => "consent.unknown", "This consent is not part of the form.";
    ConsentTextMismatch => "consent.text_mismatch", "The consent text does not match the form's current wording.";
    ConsentHashMismatch => "consent.hash_mismatch", "The consent text hash does not match the text.";
    ConsentVersionMismatch => "consent.version_mismatch", "The consent version does not match the form's current version.";
    ConsentChannelsMismatch => "consent.channels_mismatch", "The consent channels do not match the form.";
    ConsentDuplicate => "consent.duplicate", "The same consent was sent twice.";
    ConsentCoveredFieldMissing => "consent.covered_field_missing", "Fill in the contact details this consent is about, or untick it.";

    // The lead as a whole.
    LeadNotContactable => "lead.not_contactable", "Enter a way to contact you, such as your email address or phone number.";

    // Submission envelope.
    EnvelopeTooLarge => "envelope.too_large", "The submission is too large.";
    EnvelopeMalformed => "envelope.malformed", "The submission is not valid JSON of the expected shape.";
    EnvelopeUnknownField => "envelope.unknown_field", "The submission contains a field this server does not accept.";
    EnvelopeUnsupportedVersion => "envelope.unsupported_version", "This submission format version is not supported.";
    EnvelopeFormMismatch => "envelope.form_mismatch", "The submission is for a different form.";
    EnvelopeSpecHashMismatch => "envelope.spec_hash_mismatch", "The form has changed since this page was loaded. Please reload and try again.";
    EnvelopeLimitExceeded => "envelope.limit_exceeded", "The submission has too many or too long values.";
    EnvelopeInvalidIdentifier => "envelope.invalid_identifier", "An identifier in the submission is not valid.";
    EnvelopeInvalidTimings => "envelope.invalid_timings", "The submission's timings are not valid.";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        ErrorCode::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format_args!("unknown error code `{code}`")))
    }
}

/// One refused field: which field, and why. The unit both widget and edge report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldIssue {
    /// The field (or consent block) id the issue is about; empty for the envelope itself.
    pub field: String,
    pub code: ErrorCode,
}

impl FieldIssue {
    pub fn new(field: impl Into<String>, code: ErrorCode) -> Self {
        FieldIssue {
            field: field.into(),
            code,
        }
    }
}

impl fmt::Display for FieldIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.code, self.code.english())
        } else {
            write!(f, "{} ({}): {}", self.field, self.code, self.code.english())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
            let (area, reason) = code.as_str().split_once('.').expect("area.reason");
            assert!(!area.is_empty() && !reason.is_empty());
            assert!(
                code.english().ends_with('.'),
                "{code} message ends with a full stop"
            );
        }
        assert_eq!(ErrorCode::from_code("nope.nope"), None);
    }

    #[test]
    fn serde_uses_machine_code() {
        let json = serde_json::to_string(&ErrorCode::EmailDomainMissing).unwrap();
        assert_eq!(json, "\"email.domain_missing\"");
        let back: ErrorCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ErrorCode::EmailDomainMissing);
        assert!(serde_json::from_str::<ErrorCode>("\"x.y\"").is_err());
    }
}
