//! Payloads for CRM destinations: HubSpot Forms Submission API v3 (JSON),
//! Salesforce Web-to-Lead (form-encoded) and the Salesforce REST API (a
//! `Lead` as JSON, its OAuth 2.0 client-credentials token request, and how
//! its answers read).
//!
//! Field ids are renamed through the destination's `field_map` (unmapped ids
//! are kept). Multi-select values are joined with `;` (HubSpot's multiple
//! checkbox format). Consent evidence comes from the server's spec, never the
//! client. This module builds bodies and URLs; it does not send them.
//!
//! Phone fields ([`crate::export::phone_parts`]) go out as E.164. An
//! extension goes to HubSpot as its own property only when the `field_map`
//! maps `<id>_extension` (`phone_extension = "phone_ext"`): HubSpot contacts
//! have no standard extension property, and a submission naming a property
//! the HubSpot form lacks is refused whole. Salesforce's `Lead.Phone` is a
//! free-text phone field, and Web-to-Lead has no extension field, so the
//! extension is appended the way Salesforce shows one: `+14155552671 x123`.
//!
//! A repeat lead's `previous_lead_id` goes to either CRM only when the
//! `field_map` maps it ([`PREVIOUS_LEAD_KEY`]) to a property of the owner's.
//! So do a scoring form's `score`, `tier`, `mark`, `grade` and `fired`
//! (`leadform_shared::scoring::QUALIFICATION_KEYS`): HubSpot and Web-to-Lead
//! as text, the REST API's `score` as a number.
//!
//! HubSpot's `legalConsentOptions` is built per consent block
//! ([`legal_consent_options`]): the destination's `processing_consent`
//! block is `consentToProcess` with its own text, each other block one
//! `communications` entry for its subscription type with its own text and
//! answer (ticked or not), and a legitimate-interest block the
//! `legitimateInterest` object. The spec check guarantees every block is
//! mapped (`spec.hubspot_*`).

use leadform_shared::phone::extension_key;
use leadform_shared::spec::HubspotLegalBasis;
use leadform_shared::{FieldMap, FieldValue, FormSpec, LegalBasis};
use serde_json::{json, Value};

use crate::export::phone_parts;
use crate::record::{LeadRecord, PREVIOUS_LEAD_KEY};

/// HubSpot's submit endpoint, without `/{portalId}/{formGuid}`.
pub const HUBSPOT_BASE: &str = "https://api.hsforms.com/submissions/v3/integration/submit";
/// HubSpot's authenticated submit endpoint (private-app token), without
/// `/{portalId}/{formGuid}`: higher rate limits than [`HUBSPOT_BASE`].
pub const HUBSPOT_SECURE_BASE: &str =
    "https://api.hsforms.com/submissions/v3/integration/secure/submit";
/// Salesforce's Web-to-Lead endpoint.
pub const SALESFORCE_ENDPOINT: &str =
    "https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8";

/// A value as CRM text: booleans as `true`/`false`, lists joined with `;`.
pub fn crm_text(value: &FieldValue) -> String {
    match value {
        FieldValue::Bool(ticked) => ticked.to_string(),
        FieldValue::Text(text) => text.clone(),
        FieldValue::List(items) => items.join(";"),
    }
}

fn mapped<'a>(field_map: &'a FieldMap<String>, id: &'a str) -> &'a str {
    field_map.get(id).map(String::as_str).unwrap_or(id)
}

/// The lead's qualification values whose key the `field_map` maps and no
/// form field takes: `(key, CRM name, text)`.
pub fn qualification_fields<'a>(
    spec: &FormSpec,
    lead: &LeadRecord,
    field_map: &'a FieldMap<String>,
) -> Vec<(&'static str, &'a str, String)> {
    let Some(qualification) = &lead.qualification else {
        return Vec::new();
    };
    qualification
        .crm_values()
        .into_iter()
        .filter(|(key, _)| spec.field(key).is_none())
        .filter_map(|(key, text)| field_map.get(key).map(|name| (key, name.as_str(), text)))
        .collect()
}

/// `{base}/{portal_id}/{form_guid}`; `base` defaults to [`HUBSPOT_SECURE_BASE`]
/// with a token (`secure`), else [`HUBSPOT_BASE`].
pub fn hubspot_url(
    endpoint: Option<&str>,
    secure: bool,
    portal_id: &str,
    form_guid: &str,
) -> String {
    let default = if secure {
        HUBSPOT_SECURE_BASE
    } else {
        HUBSPOT_BASE
    };
    let base = endpoint.unwrap_or(default).trim_end_matches('/');
    format!("{base}/{portal_id}/{form_guid}")
}

/// How a HubSpot destination maps the form's consent blocks.
#[derive(Debug, Clone, Copy)]
pub struct HubspotConsent<'a> {
    /// The block whose answer is `consentToProcess`.
    pub processing: Option<&'a str>,
    /// Block id → subscription type id.
    pub subscription_types: &'a FieldMap<u64>,
    pub legitimate_interest_basis: HubspotLegalBasis,
}

/// HubSpot's `legalConsentOptions` for `lead`, or `None` when the lead has
/// no consent to report: no consent answers, or the processing block was
/// not answered (not shown to the visitor), so nothing can be claimed.
pub fn legal_consent_options(
    spec: &FormSpec,
    lead: &LeadRecord,
    consent: &HubspotConsent<'_>,
) -> Option<Value> {
    // Answers with the server's copy of each block, in form order.
    let answers: Vec<_> = lead
        .consents
        .iter()
        .filter_map(|c| spec.consent(&c.consent_id).map(|block| (block, c.checked)))
        .collect();
    if let Some((block, checked)) = answers
        .iter()
        .find(|(block, _)| block.legal_basis == LegalBasis::LegitimateInterest)
    {
        let subscription = consent.subscription_types.get(&block.id)?;
        return Some(json!({
            "legitimateInterest": {
                "value": checked,
                "subscriptionTypeId": subscription,
                "legalBasis": consent.legitimate_interest_basis.as_hubspot(),
                "text": block.text,
            }
        }));
    }
    let processing = consent.processing?;
    let (processing_block, consent_to_process) =
        answers.iter().find(|(block, _)| block.id == processing)?;
    let communications: Vec<Value> = answers
        .iter()
        .filter_map(|(block, checked)| {
            consent
                .subscription_types
                .get(&block.id)
                .map(|id| json!({ "value": checked, "subscriptionTypeId": id, "text": block.text }))
        })
        .collect();
    let mut object = json!({
        "consentToProcess": consent_to_process,
        "text": processing_block.text,
    });
    if !communications.is_empty() {
        object["communications"] = Value::Array(communications);
    }
    Some(json!({ "consent": object }))
}

/// The HubSpot Forms API v3 submission body.
pub fn hubspot_payload(
    spec: &FormSpec,
    lead: &LeadRecord,
    field_map: &FieldMap<String>,
    consent: &HubspotConsent<'_>,
) -> Value {
    let field =
        |name: &str, value: String| json!({ "objectTypeId": "0-1", "name": name, "value": value });
    let mut fields = Vec::with_capacity(lead.values.len());
    for (id, value) in &lead.values {
        let Some(number) = phone_parts(spec, id, value) else {
            fields.push(field(mapped(field_map, id), crm_text(value)));
            continue;
        };
        fields.push(field(mapped(field_map, id), number.e164().to_owned()));
        let extension_property = field_map.get(&extension_key(id));
        if let (Some(extension), Some(property)) = (number.extension(), extension_property) {
            fields.push(field(property, extension.to_owned()));
        }
    }
    if let (Some(previous), Some(property)) =
        (&lead.previous_lead_id, field_map.get(PREVIOUS_LEAD_KEY))
    {
        fields.push(field(property, previous.clone()));
    }
    for (_, property, text) in qualification_fields(spec, lead, field_map) {
        fields.push(field(property, text));
    }
    let mut context = serde_json::Map::new();
    context.insert("pageUri".into(), json!(lead.evidence.page_url));
    if let Some(title) = &spec.title {
        context.insert("pageName".into(), json!(title));
    }
    if let Some(ip) = &lead.evidence.ip {
        context.insert("ipAddress".into(), json!(ip));
    }
    if let Some(hutk) = &lead.attribution.current.hubspot_utk {
        context.insert("hutk".into(), json!(hutk));
    }
    let mut payload = json!({
        "submittedAt": lead.evidence.received_at_ms.to_string(),
        "fields": fields,
        "context": Value::Object(context),
    });
    if let Some(options) = legal_consent_options(spec, lead, consent) {
        payload["legalConsentOptions"] = options;
    }
    payload
}

/// The Salesforce Web-to-Lead form fields: `oid` first, then mapped values
/// (a phone with an extension as `+14155552671 x123`).
pub fn salesforce_fields(
    spec: &FormSpec,
    org_id: &str,
    lead: &LeadRecord,
    field_map: &FieldMap<String>,
) -> Vec<(String, String)> {
    let mut fields = vec![("oid".to_owned(), org_id.to_owned())];
    for (id, value) in &lead.values {
        let text = match phone_parts(spec, id, value) {
            Some(number) => match number.extension() {
                Some(extension) => format!("{} x{extension}", number.e164()),
                None => number.e164().to_owned(),
            },
            None => crm_text(value),
        };
        fields.push((mapped(field_map, id).to_owned(), text));
    }
    if let (Some(previous), Some(name)) = (&lead.previous_lead_id, field_map.get(PREVIOUS_LEAD_KEY))
    {
        fields.push((name.clone(), previous.clone()));
    }
    for (_, name, text) in qualification_fields(spec, lead, field_map) {
        fields.push((name.to_owned(), text));
    }
    fields
}

/// A full name split the way Salesforce stores one: the last word is
/// `LastName`, the words before it `FirstName` (none for a single word).
pub fn split_full_name(name: &str) -> (Option<String>, String) {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.split_last() {
        None => (None, String::new()),
        Some((last, [])) => (None, (*last).to_owned()),
        Some((last, first)) => (Some(first.join(" ")), (*last).to_owned()),
    }
}

/// `{instance_url}/services/oauth2/token`.
pub fn salesforce_token_url(instance_url: &str) -> String {
    format!(
        "{}/services/oauth2/token",
        instance_url.trim_end_matches('/')
    )
}

/// `{instance_url}/services/data/v{version}/sobjects/Lead`.
pub fn salesforce_lead_url(instance_url: &str, api_version: &str) -> String {
    format!(
        "{}/services/data/v{api_version}/sobjects/Lead",
        instance_url.trim_end_matches('/')
    )
}

/// The client-credentials token request body.
pub fn salesforce_token_body(client_id: &str, client_secret: &str) -> String {
    form_urlencode(&[
        ("grant_type".to_owned(), "client_credentials".to_owned()),
        ("client_id".to_owned(), client_id.to_owned()),
        ("client_secret".to_owned(), client_secret.to_owned()),
    ])
}

/// The access token of a token answer, with its lifetime in seconds when
/// the answer gives one (`expires_in`; client-credentials answers usually
/// do not: the org's session timeout applies).
pub fn salesforce_token(body: &str) -> Option<(String, Option<u64>)> {
    let value: Value = serde_json::from_str(body).ok()?;
    let token = value["access_token"].as_str().filter(|t| !t.is_empty())?;
    Some((token.to_owned(), value["expires_in"].as_u64()))
}

/// A Lead's JSON body for the REST API: mapped fields under their Lead
/// field names (booleans as JSON booleans, multi-selects joined with `;` as
/// Salesforce multi-select picklists take them, phones as E.164 with
/// ` x<ext>`), the `split_name` field as `FirstName`/`LastName` (a mapped
/// field wins), and `default_company` when no `Company` value was given.
pub fn salesforce_lead_body(
    spec: &FormSpec,
    lead: &LeadRecord,
    field_map: &FieldMap<String>,
    split_name: Option<&str>,
    default_company: Option<&str>,
) -> Value {
    let mut body = serde_json::Map::new();
    if let Some(FieldValue::Text(name)) = split_name.and_then(|id| lead.values.get(id)) {
        let (first, last) = split_full_name(name);
        if let Some(first) = first {
            body.insert("FirstName".into(), json!(first));
        }
        if !last.is_empty() {
            body.insert("LastName".into(), json!(last));
        }
    }
    for (id, value) in &lead.values {
        let Some(target) = field_map.get(id) else {
            continue;
        };
        let value = match (phone_parts(spec, id, value), value) {
            (Some(number), _) => match number.extension() {
                Some(extension) => json!(format!("{} x{extension}", number.e164())),
                None => json!(number.e164()),
            },
            (None, FieldValue::Bool(ticked)) => json!(ticked),
            (None, other) => json!(crm_text(other)),
        };
        if value.as_str().is_some_and(str::is_empty) {
            continue;
        }
        body.insert(target.clone(), value);
    }
    if let (Some(previous), Some(target)) =
        (&lead.previous_lead_id, field_map.get(PREVIOUS_LEAD_KEY))
    {
        body.insert(target.clone(), json!(previous));
    }
    for (key, target, text) in qualification_fields(spec, lead, field_map) {
        let value = match (key, text.parse::<i64>()) {
            ("score", Ok(score)) => json!(score),
            _ => json!(text),
        };
        body.insert(target.to_owned(), value);
    }
    if let Some(company) = default_company {
        body.entry("Company").or_insert_with(|| json!(company));
    }
    Value::Object(body)
}

/// What the REST API's answer to a Lead create means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadAnswer {
    /// 201 with the new record's id.
    Created(String),
    /// A duplicate rule blocked it: the existing record's id, when named.
    Duplicate(Option<String>),
    /// 401 `INVALID_SESSION_ID`: the token expired or was revoked.
    SessionExpired,
    /// Anything else: classified by status alone.
    Other,
}

/// Reads a Lead create answer (`{"id", "success", "errors"}` on 201, a list
/// of `{"errorCode", "message", ...}` on errors).
pub fn salesforce_lead_answer(status: u16, body: &str) -> LeadAnswer {
    let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if status == 201 {
        return match value["id"].as_str() {
            Some(id) if !id.is_empty() => LeadAnswer::Created(id.to_owned()),
            _ => LeadAnswer::Other,
        };
    }
    let errors = value.as_array().cloned().unwrap_or_default();
    let code = |wanted: &str| errors.iter().find(|e| e["errorCode"] == wanted);
    if status == 401 {
        return LeadAnswer::SessionExpired;
    }
    if let Some(duplicate) = code("DUPLICATES_DETECTED") {
        let existing = duplicate["duplicateResult"]["matchResults"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|m| m["matchRecords"].as_array().cloned().unwrap_or_default())
            .find_map(|r| r["record"]["Id"].as_str().map(str::to_owned));
        return LeadAnswer::Duplicate(existing);
    }
    LeadAnswer::Other
}

/// `application/x-www-form-urlencoded` serialisation.
pub fn form_urlencode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", urlencode(key), urlencode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::phone_lead;
    use crate::record::tests::sample_lead;
    use leadform_shared::spec::Destination;

    /// The sample spec's one block (`gdpr`) as the processing consent.
    fn gdpr() -> HubspotConsent<'static> {
        HubspotConsent {
            processing: Some("gdpr"),
            subscription_types: Box::leak(Box::new(FieldMap::new())),
            legitimate_interest_basis: HubspotLegalBasis::Lead,
        }
    }

    const PROCESSING: &str = "I agree that Acme stores and processes my data to answer my request.";
    const EMAIL_TEXT: &str = "Email me Acme's product news.";
    const CALLS_TEXT: &str = "Acme may call me about offers.";

    /// A spec with a processing block and two marketing blocks (email 101,
    /// calls 202), or one legitimate-interest block (303).
    fn consent_spec(interest: bool) -> FormSpec {
        let consents = if interest {
            format!(
                r#"
[[consents]]
id = "news"
text = "{EMAIL_TEXT}"
version = "v1"
channels = ["email"]
legal_basis = "legitimate_interest"
covers = ["email"]
[[destinations]]
type = "hubspot"
portal_id = "1"
form_guid = "g"
subscription_types = {{ news = 303 }}
legitimate_interest_basis = "customer"
"#
            )
        } else {
            format!(
                r#"
[[consents]]
id = "process"
text = "{PROCESSING}"
version = "v1"
channels = ["email"]
legal_basis = "contract"
covers = ["email"]
[[consents]]
id = "news"
text = "{EMAIL_TEXT}"
version = "v1"
channels = ["email"]
legal_basis = "consent"
covers = ["email"]
[[consents]]
id = "calls"
text = "{CALLS_TEXT}"
version = "v2"
channels = ["phone_call"]
legal_basis = "express_written_consent"
covers = ["phone"]
[[destinations]]
type = "hubspot"
portal_id = "1"
form_guid = "g"
processing_consent = "process"
subscription_types = {{ news = 101, calls = 202 }}
"#
            )
        };
        FormSpec::parse_toml(&format!(
            r#"
id = "consents"
[[fields]]
id = "email"
kind = "email"
label = "Email"
required = true
[[fields]]
id = "phone"
kind = "phone"
label = "Phone"
{consents}"#
        ))
        .expect("consent spec")
    }

    /// The lead answering `answers` (block id, ticked), in that order.
    fn answering(spec: &FormSpec, answers: &[(&str, bool)]) -> Value {
        let (_, mut lead, _) = sample_lead();
        let template = lead.consents[0].clone();
        lead.consents = answers
            .iter()
            .map(|(id, checked)| crate::record::CertifiedConsent {
                consent_id: (*id).to_owned(),
                checked: *checked,
                ..template.clone()
            })
            .collect();
        let Destination::Hubspot {
            processing_consent,
            subscription_types,
            legitimate_interest_basis,
            ..
        } = &spec.destinations[0]
        else {
            panic!("a HubSpot destination");
        };
        let consent = HubspotConsent {
            processing: processing_consent.as_deref(),
            subscription_types,
            legitimate_interest_basis: *legitimate_interest_basis,
        };
        hubspot_payload(spec, &lead, &FieldMap::new(), &consent)["legalConsentOptions"].clone()
    }

    #[test]
    fn each_consent_combination_gives_hubspots_documented_legal_consent_options() {
        let spec = consent_spec(false);
        let communications = |news: bool, calls: bool| {
            json!([
                { "value": news, "subscriptionTypeId": 101, "text": EMAIL_TEXT },
                { "value": calls, "subscriptionTypeId": 202, "text": CALLS_TEXT },
            ])
        };
        let mut cases = Vec::new();
        for process in [true, false] {
            for news in [true, false] {
                for calls in [true, false] {
                    cases.push((
                        vec![("process", process), ("news", news), ("calls", calls)],
                        json!({ "consent": {
                            "consentToProcess": process,
                            "text": PROCESSING,
                            "communications": communications(news, calls),
                        }}),
                    ));
                }
            }
        }
        // Only the processing block answered: no communications list.
        cases.push((
            vec![("process", true)],
            json!({ "consent": { "consentToProcess": true, "text": PROCESSING } }),
        ));
        // The processing block not answered: nothing can be claimed.
        cases.push((vec![("news", true)], Value::Null));
        cases.push((vec![], Value::Null));
        let interest = consent_spec(true);
        for checked in [true, false] {
            cases.push((
                vec![("news", checked)],
                json!({ "legitimateInterest": {
                    "value": checked,
                    "subscriptionTypeId": 303,
                    "legalBasis": "CUSTOMER",
                    "text": EMAIL_TEXT,
                }}),
            ));
        }
        for (answers, expected) in cases {
            let spec = if expected.get("legitimateInterest").is_some() {
                &interest
            } else {
                &spec
            };
            assert_eq!(answering(spec, &answers), expected, "{answers:?}");
        }
    }

    #[test]
    fn hubspot_shape() {
        let (spec, lead, _) = sample_lead();
        let map = FieldMap::from([("first_name".to_owned(), "firstname".to_owned())]);
        let payload = hubspot_payload(&spec, &lead, &map, &gdpr());
        assert_eq!(payload["submittedAt"], "1700000000123");
        assert_eq!(
            payload["fields"][0],
            json!({"objectTypeId": "0-1", "name": "email", "value": "Ann@Example.com"})
        );
        assert_eq!(payload["fields"][1]["name"], "firstname");
        assert_eq!(payload["context"]["pageUri"], "https://shop.example/news");
        assert_eq!(payload["context"]["ipAddress"], "203.0.113.7");
        assert_eq!(payload["context"].get("hutk"), None, "no cookie, no hutk");
        let mut tracked = lead.clone();
        tracked.attribution.current.hubspot_utk = Some("6a3f0c2b9d8e7f10".to_owned());
        let payload_with_hutk = hubspot_payload(&spec, &tracked, &map, &gdpr());
        assert_eq!(payload_with_hutk["context"]["hutk"], "6a3f0c2b9d8e7f10");
        assert_eq!(
            payload["legalConsentOptions"]["consent"]["consentToProcess"],
            true
        );
        assert_eq!(
            payload["legalConsentOptions"]["consent"]["text"],
            "Send me the newsletter."
        );
        assert_eq!(
            hubspot_url(None, false, "123", "abc"),
            format!("{HUBSPOT_BASE}/123/abc")
        );
        assert_eq!(
            hubspot_url(Some("http://127.0.0.1:1/hs/"), true, "123", "abc"),
            "http://127.0.0.1:1/hs/123/abc"
        );
        assert_eq!(
            hubspot_url(None, true, "123", "abc"),
            "https://api.hsforms.com/submissions/v3/integration/secure/submit/123/abc"
        );
    }

    #[test]
    fn salesforce_shape() {
        let (spec, lead, _) = sample_lead();
        let map = FieldMap::from([
            ("email".to_owned(), "email".to_owned()),
            ("first_name".to_owned(), "first_name".to_owned()),
        ]);
        let fields = salesforce_fields(&spec, "00D000000000062", &lead, &map);
        assert_eq!(fields[0], ("oid".to_owned(), "00D000000000062".to_owned()));
        assert_eq!(
            form_urlencode(&fields),
            "oid=00D000000000062&email=Ann%40Example.com&first_name=%3DAnn"
        );
    }

    #[test]
    fn phones_go_out_as_e164_with_the_extension_apart() {
        let (spec, lead) = phone_lead();
        let name_value = |payload: &Value| -> Vec<(String, String)> {
            payload["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    assert_eq!(f["objectTypeId"], "0-1");
                    (
                        f["name"].as_str().unwrap().to_owned(),
                        f["value"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect()
        };
        // Unmapped extension: HubSpot gets the E.164 number only.
        let plain = FieldMap::from([("phone".to_owned(), "phone".to_owned())]);
        assert_eq!(
            name_value(&hubspot_payload(&spec, &lead, &plain, &gdpr())),
            pairs(&[
                ("email", "Ann@Example.com"),
                ("mobile", "+447700900123"),
                ("note", "+14155552671;ext=9"),
                ("phone", "+14155552671"),
            ])
        );
        // Mapped: the extension follows the number under its own property; a
        // phone without an extension sends none even when mapped.
        let mapped = FieldMap::from([
            ("mobile".to_owned(), "mobilephone".to_owned()),
            ("mobile_extension".to_owned(), "mobile_ext".to_owned()),
            ("phone_extension".to_owned(), "phone_ext".to_owned()),
        ]);
        assert_eq!(
            name_value(&hubspot_payload(&spec, &lead, &mapped, &gdpr())),
            pairs(&[
                ("email", "Ann@Example.com"),
                ("mobilephone", "+447700900123"),
                ("note", "+14155552671;ext=9"),
                ("phone", "+14155552671"),
                ("phone_ext", "123"),
            ])
        );
        // Salesforce: the extension appended, as Salesforce displays one.
        let sf_map = FieldMap::from([("mobile".to_owned(), "mobile".to_owned())]);
        let fields = salesforce_fields(&spec, "00D000000000062", &lead, &sf_map);
        assert_eq!(
            fields,
            pairs(&[
                ("oid", "00D000000000062"),
                ("email", "Ann@Example.com"),
                ("mobile", "+447700900123"),
                ("note", "+14155552671;ext=9"),
                ("phone", "+14155552671 x123"),
            ])
        );
        assert!(form_urlencode(&fields).ends_with("&phone=%2B14155552671+x123"));
    }

    #[test]
    fn previous_lead_goes_only_to_a_mapped_property() {
        let (spec, mut lead, _) = sample_lead();
        lead.previous_lead_id = Some("lead_0".to_owned());
        let names = |payload: &Value| -> Vec<String> {
            payload["fields"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(|x| x["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        // Unmapped: neither CRM hears of it.
        let unmapped = FieldMap::new();
        assert_eq!(
            names(&hubspot_payload(&spec, &lead, &unmapped, &gdpr())),
            ["email", "first_name"]
        );
        assert!(!salesforce_fields(&spec, "00D", &lead, &unmapped)
            .iter()
            .any(|(_, v)| v == "lead_0"));
        // Mapped: under the owner's property name.
        let map = FieldMap::from([(PREVIOUS_LEAD_KEY.to_owned(), "leadform_previous".to_owned())]);
        let payload = hubspot_payload(&spec, &lead, &map, &gdpr());
        assert_eq!(
            payload["fields"][2],
            json!({"objectTypeId": "0-1", "name": "leadform_previous", "value": "lead_0"})
        );
        let fields = salesforce_fields(&spec, "00D", &lead, &map);
        assert_eq!(
            fields.last(),
            Some(&("leadform_previous".to_owned(), "lead_0".to_owned()))
        );
        // A first lead sends nothing even when mapped.
        lead.previous_lead_id = None;
        assert_eq!(
            names(&hubspot_payload(&spec, &lead, &map, &gdpr())),
            ["email", "first_name"]
        );
    }

    #[test]
    fn urlencoding_table() {
        let cases = [
            ("a b", "a+b"),
            ("ü", "%C3%BC"),
            ("a&b=c", "a%26b%3Dc"),
            ("+1", "%2B1"),
            ("safe-._*", "safe-._*"),
        ];
        for (input, expected) in cases {
            assert_eq!(urlencode(input), expected);
        }
        assert_eq!(
            crm_text(&FieldValue::List(vec!["a".into(), "b".into()])),
            "a;b"
        );
        assert_eq!(crm_text(&FieldValue::Bool(true)), "true");
    }

    #[test]
    fn full_names_split_like_salesforce() {
        let cases = [
            ("Ann Lee", (Some("Ann"), "Lee")),
            ("  Mary  Ann   van Lee ", (Some("Mary Ann van"), "Lee")),
            ("Cher", (None, "Cher")),
            ("", (None, "")),
        ];
        for (name, (first, last)) in cases {
            assert_eq!(
                split_full_name(name),
                (first.map(str::to_owned), last.to_owned()),
                "{name:?}"
            );
        }
    }

    #[test]
    fn salesforce_api_lead_body_and_answers() {
        let (spec, mut lead, _) = sample_lead();
        lead.values.insert(
            "first_name".to_owned(),
            FieldValue::Text("Ann Marie Lee".to_owned()),
        );
        lead.values
            .insert("agree".to_owned(), FieldValue::Bool(true));
        lead.values.insert(
            "topics".to_owned(),
            FieldValue::List(vec!["a".into(), "b".into()]),
        );
        let map = FieldMap::from([
            ("email".to_owned(), "Email".to_owned()),
            ("agree".to_owned(), "Agree__c".to_owned()),
            ("topics".to_owned(), "Topics__c".to_owned()),
        ]);
        let body = salesforce_lead_body(&spec, &lead, &map, Some("first_name"), Some("Unknown"));
        assert_eq!(
            body,
            json!({
                "FirstName": "Ann Marie",
                "LastName": "Lee",
                "Email": "Ann@Example.com",
                "Agree__c": true,
                "Topics__c": "a;b",
                "Company": "Unknown",
            })
        );
        // A mapped company wins over the default.
        lead.values
            .insert("company".to_owned(), FieldValue::Text("Acme".to_owned()));
        let map = FieldMap::from([("company".to_owned(), "Company".to_owned())]);
        let body = salesforce_lead_body(&spec, &lead, &map, None, Some("Unknown"));
        assert_eq!(body, json!({ "Company": "Acme" }));

        let cases = [
            (
                201,
                r#"{"id":"00Q5g000004AbCdEAK","success":true,"errors":[]}"#,
                LeadAnswer::Created("00Q5g000004AbCdEAK".into()),
            ),
            (201, r#"{"success":true}"#, LeadAnswer::Other),
            (
                401,
                r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
                LeadAnswer::SessionExpired,
            ),
            (
                400,
                r#"[{"message":"Required fields are missing: [Company]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Company"]}]"#,
                LeadAnswer::Other,
            ),
            (
                400,
                r#"[{"duplicateResult":{"allowSave":false,"duplicateRule":"Standard_Lead_Duplicate_Rule","duplicateRuleEntityType":"Lead","errorMessage":"You're creating a duplicate record.","matchResults":[{"entityType":"Lead","errors":[],"matchEngine":"FuzzyMatchEngine","matchRecords":[{"additionalInformation":[],"fieldDiffs":[],"matchConfidence":100.0,"record":{"attributes":{"type":"Lead","url":"/services/data/v62.0/sobjects/Lead/00Q5g000004XyZaEAK"},"Id":"00Q5g000004XyZaEAK"}}],"rule":"Standard_Lead_Match_Rule_v1_0","size":1,"success":true}]},"errorCode":"DUPLICATES_DETECTED","message":"Use one of these records?"}]"#,
                LeadAnswer::Duplicate(Some("00Q5g000004XyZaEAK".into())),
            ),
            (
                400,
                r#"[{"errorCode":"DUPLICATES_DETECTED","message":"Use one of these records?"}]"#,
                LeadAnswer::Duplicate(None),
            ),
            (500, "<html>", LeadAnswer::Other),
        ];
        for (status, body, expected) in cases {
            assert_eq!(salesforce_lead_answer(status, body), expected, "{body}");
        }
        assert_eq!(
            salesforce_token(
                r#"{"access_token":"00D!AQ","instance_url":"https://x","token_type":"Bearer"}"#
            ),
            Some(("00D!AQ".to_owned(), None))
        );
        assert_eq!(
            salesforce_token(r#"{"access_token":"t","expires_in":7200}"#),
            Some(("t".to_owned(), Some(7200)))
        );
        assert_eq!(
            salesforce_token(
                r#"{"error":"invalid_client","error_description":"invalid client credentials"}"#
            ),
            None
        );
        assert_eq!(
            salesforce_token_body("id 1", "s&2"),
            "grant_type=client_credentials&client_id=id+1&client_secret=s%262"
        );
        assert_eq!(
            salesforce_lead_url("https://acme.my.salesforce.com/", "62.0"),
            "https://acme.my.salesforce.com/services/data/v62.0/sobjects/Lead"
        );
    }
}
