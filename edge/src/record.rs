//! What the edge stores for one accepted submission: the lead record, one
//! consent certificate per consent record, and the receipt returned to the widget.
//!
//! Records are serialised once to JSON and those exact bytes are sealed
//! ([`crate::seal`]) and stored; verification re-seals the stored bytes. Field
//! order is fixed by the struct declarations and maps are sorted, so the same
//! record always serialises identically. Each consent carries the normalised
//! values of the fields it covers (`covered`, e.g. the E.164 number a TCPA
//! consent authorises), so a certificate alone says what was agreed for which
//! number or address. This module builds records; it does not store or send
//! them.

use leadform_shared::envelope::{Attribution, Timings};
use leadform_shared::scoring::{self, Qualification};
use leadform_shared::{
    CleanSubmission, ConsentChannel, ConsentRecord, FieldMap, FieldValue, FormSpec, LegalBasis,
    SubmissionEnvelope,
};
use serde::{Deserialize, Serialize};

/// Server-side evidence about the request, captured at receive time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEvidence {
    /// Server receive time, RFC 3339 UTC with milliseconds.
    pub received_at: String,
    pub received_at_ms: u64,
    /// `CF-Connecting-IP`.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Two-letter country from Cloudflare's `cf` object.
    pub country: Option<String>,
    /// The page the form was on, as the widget reported it.
    pub page_url: String,
    /// The `Origin` header of the submission.
    pub origin: Option<String>,
}

/// One consent as referenced from the lead record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedConsent {
    pub certificate_id: String,
    pub consent_id: String,
    pub version: String,
    pub checked: bool,
    pub channels: Vec<ConsentChannel>,
    pub disclosure_sha256: String,
    /// Normalised values of the fields the consent covers, by field id.
    #[serde(default)]
    pub covered: FieldMap<String>,
}

/// The lead as stored (and sealed) in D1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadRecord {
    pub lead_id: String,
    pub form_id: String,
    pub spec_hash: String,
    pub submission_id: String,
    pub visitor_id: String,
    pub evidence: RequestEvidence,
    /// Normalised values, exactly as validated.
    pub values: FieldMap<FieldValue>,
    pub consents: Vec<CertifiedConsent>,
    pub attribution: Attribution,
    pub timings: Timings,
    /// The latest earlier lead of the same form with the same normalised
    /// email or phone, when this one came after the dedup window: one person
    /// asking twice, not two strangers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_lead_id: Option<String>,
    /// Score, tier, MQL/SQL mark, grade and the rules that fired, by the
    /// form's `[scoring]`, `[[tiers]]` and `[grading]` at submit
    /// (`leadform_shared::scoring::qualify`); absent when the form has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualification: Option<Qualification>,
}

/// Proof of one consent: what the visitor saw and chose, and the server's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentCertificate {
    pub certificate_id: String,
    pub lead_id: String,
    pub form_id: String,
    pub visitor_id: String,
    /// The visitor's record, including the exact disclosure text shown.
    pub consent: ConsentRecord,
    /// Normalised values of the fields the consent covers, by field id, as
    /// validated by the server (`{"phone": "+14155550123"}`): the number or
    /// address the consent is about.
    #[serde(default)]
    pub covered: FieldMap<String>,
    /// SHA-256 of the disclosure text in the server's spec (equal to the
    /// record's, or the submission would have been refused).
    pub disclosure_sha256: String,
    /// SHA-256 of the record's canonical JSON.
    pub consent_record_sha256: String,
    pub legal_basis: LegalBasis,
    pub evidence: RequestEvidence,
}

/// What `POST /v1/submit` answers with `202 Accepted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub lead_id: String,
    pub certificate_ids: Vec<String>,
    pub received_at: String,
    /// True when this answer repeats an earlier receipt (same submission id,
    /// or same contact within the form's dedup window).
    #[serde(default)]
    pub duplicate: bool,
}

/// What identifies one new lead: its id, one certificate id per consent
/// record of the clean submission (in order), and the earlier lead of the
/// same person, if any.
pub struct LeadIds {
    pub lead_id: String,
    pub certificate_ids: Vec<String>,
    pub previous_lead_id: Option<String>,
}

/// Builds the lead record and its certificates.
pub fn build_lead(
    spec: &FormSpec,
    envelope: &SubmissionEnvelope,
    clean: &CleanSubmission,
    evidence: RequestEvidence,
    ids: LeadIds,
) -> (LeadRecord, Vec<ConsentCertificate>) {
    let LeadIds {
        lead_id,
        certificate_ids,
        previous_lead_id,
    } = ids;
    let mut consents = Vec::new();
    let mut certificates = Vec::new();
    for (record, certificate_id) in clean.consents.iter().zip(&certificate_ids) {
        let block = spec.consent(&record.consent_id);
        let covered = block.map(|b| clean.covered_values(b)).unwrap_or_default();
        let disclosure_sha256 = block
            .map(|b| b.text_sha256())
            .unwrap_or_else(|| record.disclosure_sha256.clone());
        consents.push(CertifiedConsent {
            certificate_id: certificate_id.clone(),
            consent_id: record.consent_id.clone(),
            version: record.version.clone(),
            checked: record.checked,
            channels: record.channels.clone(),
            disclosure_sha256: disclosure_sha256.clone(),
            covered: covered.clone(),
        });
        certificates.push(ConsentCertificate {
            certificate_id: certificate_id.clone(),
            lead_id: lead_id.clone(),
            form_id: spec.id.clone(),
            visitor_id: envelope.visitor_id.clone(),
            consent: record.clone(),
            covered,
            disclosure_sha256,
            consent_record_sha256: record.record_sha256(),
            legal_basis: block.map(|b| b.legal_basis).unwrap_or(LegalBasis::Consent),
            evidence: evidence.clone(),
        });
    }
    let lead = LeadRecord {
        lead_id,
        form_id: spec.id.clone(),
        spec_hash: envelope.spec_hash.clone(),
        submission_id: envelope.submission_id.clone(),
        visitor_id: envelope.visitor_id.clone(),
        evidence,
        values: clean.values.clone(),
        consents,
        attribution: envelope.attribution.clone(),
        timings: envelope.timings,
        previous_lead_id,
        qualification: scoring::qualify(spec, &scoring::Facts::of(envelope, clean)),
    };
    (lead, certificates)
}

/// The first email value of the lead (normalised by the shared rules), lower-cased,
/// used for erasure by email.
pub fn primary_email(spec: &FormSpec, values: &FieldMap<FieldValue>) -> Option<String> {
    spec.fields
        .iter()
        .filter(|f| f.kind == leadform_shared::FieldKind::Email)
        .find_map(|f| match values.get(&f.id) {
            Some(FieldValue::Text(text)) => Some(text.to_lowercase()),
            _ => None,
        })
}

/// The `field_map` key that sends [`LeadRecord::previous_lead_id`] to a CRM
/// destination (`field_map = { previous_lead_id = "leadform_previous_lead" }`):
/// only when mapped, since a HubSpot form refuses a submission naming a
/// property it lacks.
pub const PREVIOUS_LEAD_KEY: &str = "previous_lead_id";

/// The contact key as leads stored before the keyed index
/// (`platform::privacy::Vault::contact_index`): unkeyed SHA-256 of form id +
/// the shared contact key. Only looked up, so that a contact's first lead
/// after the upgrade still links to its earlier ones; never written.
pub fn legacy_contact_key(form_id: &str, contact_key: &str) -> String {
    leadform_shared::hex_sha256(format!("{form_id}\n{contact_key}").as_bytes())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use leadform_shared::ConsentRecord;

    pub(crate) fn newsletter_spec() -> FormSpec {
        FormSpec::parse_toml(
            r#"
id = "newsletter"
title = "News"
[[fields]]
id = "email"
kind = "email"
label = "Email"
required = true
[[fields]]
id = "first_name"
kind = "text"
label = "First name"
[[consents]]
id = "gdpr"
text = "Send me the newsletter."
version = "v1"
channels = ["email"]
required = true
legal_basis = "consent"
covers = ["email"]
[[destinations]]
type = "webhook"
url = "http://127.0.0.1:9/hook"
secret = "WEBHOOK_SECRET"
"#,
        )
        .expect("test spec")
    }

    pub(crate) fn sample_lead() -> (FormSpec, LeadRecord, Vec<ConsentCertificate>) {
        let spec = newsletter_spec();
        let consent = ConsentRecord::capture(&spec.consents[0], true, 1_700_000_000_000);
        let mut values = FieldMap::new();
        values.insert(
            "email".to_owned(),
            FieldValue::Text("Ann@Example.com".to_owned()),
        );
        values.insert("first_name".to_owned(), FieldValue::Text("=Ann".to_owned()));
        let envelope = SubmissionEnvelope {
            version: 1,
            form_id: spec.id.clone(),
            spec_hash: spec.public_hash(),
            submission_id: "sub_12345678".into(),
            visitor_id: "vis_12345678".into(),
            asked: vec!["email".into(), "first_name".into()],
            fields: values.clone(),
            consents: vec![consent.clone()],
            attribution: Attribution::default(),
            timings: Timings {
                started_at_ms: 1,
                submitted_at_ms: 5_000,
                time_to_fill_ms: 4_999,
            },
            honeypot: String::new(),
            turnstile_token: None,
            page_url: "https://shop.example/news".into(),
            lang: Default::default(),
        };
        let clean = CleanSubmission {
            values,
            consents: vec![consent],
        };
        let evidence = RequestEvidence {
            received_at: crate::time::rfc3339_ms(1_700_000_000_123),
            received_at_ms: 1_700_000_000_123,
            ip: Some("203.0.113.7".into()),
            user_agent: Some("test-agent".into()),
            country: Some("DE".into()),
            page_url: envelope.page_url.clone(),
            origin: Some("https://shop.example".into()),
        };
        let (lead, certificates) = build_lead(
            &spec,
            &envelope,
            &clean,
            evidence,
            LeadIds {
                lead_id: "lead_1".into(),
                certificate_ids: vec!["cert_1".to_owned()],
                previous_lead_id: None,
            },
        );
        (spec, lead, certificates)
    }

    #[test]
    fn certificates_carry_text_hash_and_evidence() {
        let (spec, lead, certificates) = sample_lead();
        assert_eq!(certificates.len(), 1);
        let certificate = &certificates[0];
        assert_eq!(
            certificate.disclosure_sha256,
            spec.consents[0].text_sha256()
        );
        assert_eq!(certificate.consent.disclosure_text, spec.consents[0].text);
        assert_eq!(certificate.evidence.ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(certificate.evidence.received_at, "2023-11-14T22:13:20.123Z");
        assert_eq!(lead.consents[0].certificate_id, "cert_1");
        // The address the consent is about, as validated, in both records.
        let covered = FieldMap::from([("email".to_owned(), "Ann@Example.com".to_owned())]);
        assert_eq!(certificate.covered, covered);
        assert_eq!(lead.consents[0].covered, covered);
        assert_eq!(lead.previous_lead_id, None);
        assert_eq!(
            primary_email(&spec, &lead.values).as_deref(),
            Some("ann@example.com")
        );
    }

    #[test]
    fn serialisation_is_stable_and_seal_detects_edits() {
        let (_, lead, _) = sample_lead();
        let json = serde_json::to_string(&lead).unwrap();
        let again: LeadRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&again).unwrap(), json);
        let sealed = crate::seal::seal(b"k", json.as_bytes());
        let edited = json.replace("Ann@Example.com", "Bob@Example.com");
        assert!(!crate::seal::verify(b"k", edited.as_bytes(), &sealed));
    }

    #[test]
    fn legacy_contact_key_is_the_earlier_sha256_and_separates_forms() {
        let a = legacy_contact_key("newsletter", "email:ann@example.com");
        // Pinned: leads stored before the keyed index hold exactly this.
        assert_eq!(
            a,
            leadform_shared::hex_sha256(b"newsletter\nemail:ann@example.com")
        );
        assert!(!a.contains("ann"));
        assert_ne!(a, legacy_contact_key("other", "email:ann@example.com"));
    }
}
