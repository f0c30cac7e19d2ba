//! Consent capture: what the owner declares ([`ConsentBlock`]) and what the
//! visitor's browser records ([`ConsentRecord`]).
//!
//! A record carries the exact disclosure text shown, its SHA-256, the version,
//! the channels and whether the box was ticked, with the client's timestamp.
//! Its canonical serialisation is fixed (field order, compact JSON), so the same
//! record always hashes the same way on every platform. The edge adds server
//! evidence (receive time, IP, seal) on top; that is not done here.

use serde::{Deserialize, Serialize};

use crate::{hex_sha256, ErrorCode};

/// A consent checkbox as declared in the form spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentBlock {
    pub id: String,
    /// The exact disclosure shown beside the checkbox. These bytes are hashed.
    pub text: String,
    /// Owner's version label for this wording, e.g. `2026-11-01`.
    pub version: String,
    pub channels: Vec<ConsentChannel>,
    /// Whether the form cannot be sent without ticking it.
    #[serde(default)]
    pub required: bool,
    pub legal_basis: LegalBasis,
    /// Ids of the fields this consent is about (`covers = ["phone"]`): the
    /// number a call/SMS consent authorises, the address an email consent
    /// does. Identity fields of one stage (checked by `FormSpec::check`); a
    /// ticked consent needs a value in each (`consent.covered_field_missing`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
}

impl ConsentBlock {
    /// SHA-256 (hex) of the disclosure text exactly as declared.
    pub fn text_sha256(&self) -> String {
        hex_sha256(self.text.as_bytes())
    }
}

/// How the visitor agreed to be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentChannel {
    Email,
    Sms,
    PhoneCall,
    /// Calls or texts made with an autodialer or prerecorded voice (TCPA).
    AutomatedCalls,
    PostalMail,
}

impl ConsentChannel {
    /// The serialised name, e.g. `phone_call`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConsentChannel::Email => "email",
            ConsentChannel::Sms => "sms",
            ConsentChannel::PhoneCall => "phone_call",
            ConsentChannel::AutomatedCalls => "automated_calls",
            ConsentChannel::PostalMail => "postal_mail",
        }
    }
}

/// The legal ground the owner relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// GDPR art. 6(1)(a) / CCPA opt-in consent.
    Consent,
    /// TCPA prior express written consent (marketing calls and texts).
    ExpressWrittenConsent,
    /// GDPR art. 6(1)(f); CAN-SPAM opt-out model.
    LegitimateInterest,
    /// GDPR art. 6(1)(b): needed to answer the visitor's own request.
    Contract,
}

/// What the visitor's browser records for one consent block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    pub consent_id: String,
    pub version: String,
    /// The exact text shown to the visitor.
    pub disclosure_text: String,
    /// SHA-256 (lower-case hex) of `disclosure_text`'s UTF-8 bytes.
    pub disclosure_sha256: String,
    pub channels: Vec<ConsentChannel>,
    pub checked: bool,
    /// Milliseconds since the Unix epoch, by the visitor's clock, when the box
    /// was last changed (or when the form was submitted, if never touched).
    pub client_timestamp_ms: u64,
}

impl ConsentRecord {
    /// Records the visitor's answer to `block`, copying the exact text shown.
    pub fn capture(block: &ConsentBlock, checked: bool, client_timestamp_ms: u64) -> Self {
        ConsentRecord {
            consent_id: block.id.clone(),
            version: block.version.clone(),
            disclosure_text: block.text.clone(),
            disclosure_sha256: block.text_sha256(),
            channels: block.channels.clone(),
            checked,
            client_timestamp_ms,
        }
    }

    /// The canonical serialisation: compact JSON in declaration order.
    pub fn canonical_json(&self) -> String {
        // A struct of strings, bools, integers and enums always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// SHA-256 (hex) of [`ConsentRecord::canonical_json`].
    pub fn record_sha256(&self) -> String {
        hex_sha256(self.canonical_json().as_bytes())
    }

    /// Checks the record against the server's block: same text, hash, version
    /// and channels; ticked when required.
    pub fn check_against(&self, block: &ConsentBlock) -> Result<(), ErrorCode> {
        if self.disclosure_sha256 != hex_sha256(self.disclosure_text.as_bytes()) {
            return Err(ErrorCode::ConsentHashMismatch);
        }
        if self.disclosure_text != block.text {
            return Err(ErrorCode::ConsentTextMismatch);
        }
        if self.version != block.version {
            return Err(ErrorCode::ConsentVersionMismatch);
        }
        if self.channels != block.channels {
            return Err(ErrorCode::ConsentChannelsMismatch);
        }
        if block.required && !self.checked {
            return Err(ErrorCode::ConsentRequired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms_block() -> ConsentBlock {
        ConsentBlock {
            id: "tcpa".into(),
            text: "I agree to receive calls and texts from Acme at the number above.".into(),
            version: "2026-11-01".into(),
            channels: vec![ConsentChannel::Sms, ConsentChannel::PhoneCall],
            required: true,
            legal_basis: LegalBasis::ExpressWrittenConsent,
            covers: vec!["phone".into()],
        }
    }

    #[test]
    fn capture_hashes_exact_text() {
        let record = ConsentRecord::capture(&sms_block(), true, 1_700_000_000_000);
        assert_eq!(
            record.disclosure_sha256,
            hex_sha256(sms_block().text.as_bytes())
        );
        assert_eq!(record.check_against(&sms_block()), Ok(()));
    }

    #[test]
    fn canonical_json_is_stable() {
        let record = ConsentRecord::capture(&sms_block(), true, 1);
        assert_eq!(
            record.canonical_json(),
            format!(
                "{{\"consent_id\":\"tcpa\",\"version\":\"2026-11-01\",\"disclosure_text\":\"{}\",\"disclosure_sha256\":\"{}\",\"channels\":[\"sms\",\"phone_call\"],\"checked\":true,\"client_timestamp_ms\":1}}",
                sms_block().text,
                record.disclosure_sha256
            )
        );
        let reparsed: ConsentRecord = serde_json::from_str(&record.canonical_json()).unwrap();
        assert_eq!(reparsed.record_sha256(), record.record_sha256());
    }

    #[test]
    fn mismatches_are_typed() {
        let block = sms_block();
        let good = ConsentRecord::capture(&block, true, 1);

        let mut unticked = good.clone();
        unticked.checked = false;
        assert_eq!(
            unticked.check_against(&block),
            Err(ErrorCode::ConsentRequired)
        );

        let mut other_text = good.clone();
        other_text.disclosure_text.push('!');
        assert_eq!(
            other_text.check_against(&block),
            Err(ErrorCode::ConsentHashMismatch)
        );
        other_text.disclosure_sha256 = hex_sha256(other_text.disclosure_text.as_bytes());
        assert_eq!(
            other_text.check_against(&block),
            Err(ErrorCode::ConsentTextMismatch)
        );

        let mut old_version = good.clone();
        old_version.version = "2025-01-01".into();
        assert_eq!(
            old_version.check_against(&block),
            Err(ErrorCode::ConsentVersionMismatch)
        );

        let mut fewer_channels = good;
        fewer_channels.channels.pop();
        assert_eq!(
            fewer_channels.check_against(&block),
            Err(ErrorCode::ConsentChannelsMismatch)
        );
    }
}
