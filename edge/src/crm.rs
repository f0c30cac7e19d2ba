//! Payloads for CRM destinations: HubSpot Forms Submission API v3 (JSON) and
//! Salesforce Web-to-Lead (form-encoded).
//!
//! Field ids are renamed through the destination's `field_map` (unmapped ids
//! are kept). Multi-select values are joined with `;` (HubSpot's multiple
//! checkbox format). Consent evidence comes from the server's spec, never the
//! client. This module builds bodies and URLs; it does not send them.

use leadform_shared::{FieldMap, FieldValue, FormSpec};
use serde_json::{json, Value};

use crate::record::LeadRecord;

/// HubSpot's submit endpoint, without `/{portalId}/{formGuid}`.
pub const HUBSPOT_BASE: &str = "https://api.hsforms.com/submissions/v3/integration/submit";
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

/// `{base}/{portal_id}/{form_guid}`; `base` defaults to [`HUBSPOT_BASE`].
pub fn hubspot_url(endpoint: Option<&str>, portal_id: &str, form_guid: &str) -> String {
    let base = endpoint.unwrap_or(HUBSPOT_BASE).trim_end_matches('/');
    format!("{base}/{portal_id}/{form_guid}")
}

/// The HubSpot Forms API v3 submission body.
pub fn hubspot_payload(spec: &FormSpec, lead: &LeadRecord, field_map: &FieldMap<String>) -> Value {
    let fields: Vec<Value> = lead
        .values
        .iter()
        .map(|(id, value)| json!({ "objectTypeId": "0-1", "name": mapped(field_map, id), "value": crm_text(value) }))
        .collect();
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
    if !lead.consents.is_empty() {
        // The exact disclosures the visitor saw (server copy), in form order.
        let text = lead
            .consents
            .iter()
            .filter_map(|c| spec.consent(&c.consent_id).map(|block| block.text.as_str()))
            .collect::<Vec<_>>()
            .join("\n\n");
        let consent_to_process = lead.consents.iter().all(|c| c.checked);
        payload["legalConsentOptions"] = json!({
            "consent": {
                "consentToProcess": consent_to_process,
                "text": text,
            }
        });
    }
    payload
}

/// The Salesforce Web-to-Lead form fields: `oid` first, then mapped values.
pub fn salesforce_fields(
    org_id: &str,
    lead: &LeadRecord,
    field_map: &FieldMap<String>,
) -> Vec<(String, String)> {
    let mut fields = vec![("oid".to_owned(), org_id.to_owned())];
    for (id, value) in &lead.values {
        fields.push((mapped(field_map, id).to_owned(), crm_text(value)));
    }
    fields
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
    use crate::record::tests::sample_lead;

    #[test]
    fn hubspot_shape() {
        let (spec, lead, _) = sample_lead();
        let map = FieldMap::from([("first_name".to_owned(), "firstname".to_owned())]);
        let payload = hubspot_payload(&spec, &lead, &map);
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
        let payload_with_hutk = hubspot_payload(&spec, &tracked, &map);
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
            hubspot_url(None, "123", "abc"),
            format!("{HUBSPOT_BASE}/123/abc")
        );
        assert_eq!(
            hubspot_url(Some("http://127.0.0.1:1/hs/"), "123", "abc"),
            "http://127.0.0.1:1/hs/123/abc"
        );
    }

    #[test]
    fn salesforce_shape() {
        let (_, lead, _) = sample_lead();
        let map = FieldMap::from([
            ("email".to_owned(), "email".to_owned()),
            ("first_name".to_owned(), "first_name".to_owned()),
        ]);
        let fields = salesforce_fields("00D000000000062", &lead, &map);
        assert_eq!(fields[0], ("oid".to_owned(), "00D000000000062".to_owned()));
        assert_eq!(
            form_urlencode(&fields),
            "oid=00D000000000062&email=Ann%40Example.com&first_name=%3DAnn"
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
}
