//! Delivery planning: the queue message, the outbound request for each
//! destination, how a destination's answer is classified, and URL rewrites.
//!
//! The lead id is the idempotency key: the queue message carries only the lead
//! id, the consumer skips destinations already marked delivered, and the
//! webhook id is the lead id so receivers can deduplicate too. This module
//! builds requests and classifies answers; it does no I/O.

use leadform_shared::spec::Destination;
use leadform_shared::FormSpec;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::record::LeadRecord;
use crate::webhook;
use crate::{crm, export};

/// The queue message: which lead to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryJob {
    pub lead_id: String,
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
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::SecretMissing(name) => write!(f, "secret `{name}` is not configured"),
            BuildError::SecretInvalid(name) => {
                write!(f, "secret `{name}` is not a valid whsec_ secret")
            }
        }
    }
}

/// The webhook body: an event envelope around the lead. `data.values` holds
/// the values as [`export::payload_values`] gives them: a phone field as its
/// E.164 number, its extension (if any) beside it as `<id>_extension`.
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
            let key = webhook::decode_secret(&value)
                .map_err(|_| BuildError::SecretInvalid(secret_name.clone()))?;
            let body = webhook_body(spec, lead);
            let signature = webhook::sign(&key, &lead.lead_id, now_s, &body);
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
        } => OutboundRequest {
            url: crm::hubspot_url(endpoint.as_deref(), portal_id, form_guid),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("idempotency-key".into(), lead.lead_id.clone()),
            ],
            body: crm::hubspot_payload(spec, lead, field_map).to_string(),
        },
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
    };
    Ok(OutboundRequest {
        url: rewrite_url(&request.url, rewrites),
        ..request
    })
}

/// What an attempt's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: done, never send again.
    Delivered,
    /// Network error, timeout, 408, 425, 429 or 5xx: try again later.
    Retry,
    /// Other 4xx (or a request that cannot be built): retrying will not help.
    Rejected,
}

impl Outcome {
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
        }
    }
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
}
