//! Speed-to-lead notifications: the message about a lead and the HTTP
//! requests that carry it to a `[[channels]]` entry: a Slack-compatible
//! incoming webhook (`{"text": ...}`), an SMS through Twilio's Messages API
//! (`POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, basic
//! auth) and an email through Resend's `POST /emails` (JSON, bearer key),
//! and when an SLA timer has passed.
//!
//! Pure: builds requests, never sends them (the platform layer does, logging
//! each in `lead_alerts`); secrets are looked up by name through the
//! caller's function; provider base URLs go through
//! `DESTINATION_URL_REWRITES` like destinations, so tests point them at
//! local stand-ins.

use base64::Engine;
use leadform_shared::routing::{Channel, Route};
use leadform_shared::{FieldKind, FieldMap, FieldValue, FormSpec};
use serde_json::json;

use crate::delivery::{rewrite_url, BuildError, OutboundRequest};
use crate::routing::Decision;

/// Twilio's REST API base.
pub const TWILIO_API: &str = "https://api.twilio.com";
/// Resend's API base.
pub const RESEND_API: &str = "https://api.resend.com";

/// Which notification: at arrival, or the SLA's escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Notify,
    Escalate,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Notify => "notify",
            Kind::Escalate => "escalate",
        }
    }
}

/// The route a decision names.
pub fn route_of<'s>(spec: &'s FormSpec, decision: &Decision) -> Option<&'s Route> {
    let id = decision.route.as_deref()?;
    spec.routes.iter().find(|r| r.id == id)
}

/// The channels of `kind` for a lead, each once: its route's `notify` (or
/// `escalate`), then, for `notify`, its tier's (`[[tiers]] notify`, routed
/// or not).
pub fn channels<'s>(
    spec: &'s FormSpec,
    route: Option<&Route>,
    tier: Option<&str>,
    kind: Kind,
) -> Vec<&'s Channel> {
    let of_route = route.map(|route| match kind {
        Kind::Notify => &route.notify,
        Kind::Escalate => &route.escalate,
    });
    let of_tier = match kind {
        Kind::Notify => tier.and_then(|tier| spec.tiers.iter().find(|t| t.id == tier)),
        Kind::Escalate => None,
    }
    .map(|tier| &tier.notify);
    let mut found: Vec<&Channel> = Vec::new();
    for id in of_route.into_iter().chain(of_tier).flatten() {
        if let Some(channel) = spec.channels.iter().find(|c| c.id() == id) {
            if !found.iter().any(|c| c.id() == channel.id()) {
                found.push(channel);
            }
        }
    }
    found
}

/// Minutes within which the lead must be contacted: the route's
/// `sla_minutes`, else its tier's (`[[tiers]] sla_minutes`); only when the
/// route has escalation channels.
pub fn sla_minutes(spec: &FormSpec, route: &Route, tier: Option<&str>) -> Option<u32> {
    if route.escalate.is_empty() {
        return None;
    }
    route.sla_minutes.or_else(|| {
        let tier = tier?;
        spec.tiers.iter().find(|t| t.id == tier)?.sla_minutes
    })
}

/// The message: who, how to reach them, where it was routed. It carries
/// the lead's name, email and phone (when `values` are at hand): it goes to
/// the owner's own channels.
pub fn message(
    spec: &FormSpec,
    lead_id: &str,
    values: Option<&FieldMap<FieldValue>>,
    decision: &Decision,
    tier: Option<&str>,
    kind: Kind,
    minutes: Option<u32>,
) -> (String, String) {
    let form = spec.title.as_deref().unwrap_or(&spec.id);
    let mut contact: Vec<String> = Vec::new();
    for field in &spec.fields {
        let wanted =
            matches!(field.kind, FieldKind::Email | FieldKind::Phone) || field.id.contains("name");
        if let (true, Some(FieldValue::Text(value))) =
            (wanted, values.and_then(|v| v.get(&field.id)))
        {
            if !value.trim().is_empty() {
                contact.push(value.trim().to_owned());
            }
        }
    }
    let to: Vec<&str> = decision
        .chosen
        .iter()
        .map(|c| c.recipient.as_str())
        .collect();
    let route = decision.route.as_deref().unwrap_or("-");
    let tier = tier.map(|t| format!(" [{t}]")).unwrap_or_default();
    let (subject, head) = match kind {
        Kind::Notify => (
            format!("New lead{tier}: {form}"),
            format!("New lead{tier} on {form}"),
        ),
        Kind::Escalate => (
            format!("Not contacted{tier}: {form}"),
            format!(
                "Lead{tier} on {form} not contacted within {} min",
                minutes.unwrap_or(0)
            ),
        ),
    };
    let text = format!(
        "{head}: {} (lead {}, route {route} -> {})",
        if contact.is_empty() {
            "-".to_owned()
        } else {
            contact.join(", ")
        },
        lead_id,
        if to.is_empty() {
            "-".to_owned()
        } else {
            to.join(", ")
        },
    );
    (subject, text)
}

/// The requests that send `text` (and `subject`, for email) to `channel`:
/// one per SMS recipient, one otherwise.
pub fn requests(
    channel: &Channel,
    subject: &str,
    text: &str,
    secret: impl Fn(&str) -> Option<String>,
    rewrites: &[(String, String)],
) -> Result<Vec<OutboundRequest>, BuildError> {
    let need = |name: &str| secret(name).ok_or_else(|| BuildError::SecretMissing(name.to_owned()));
    let json_headers = |auth: Option<String>| {
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        headers.extend(auth.map(|a| ("Authorization".to_owned(), a)));
        headers
    };
    Ok(match channel {
        Channel::Slack { url_secret, .. } => vec![OutboundRequest {
            url: rewrite_url(need(url_secret)?.trim(), rewrites),
            headers: json_headers(None),
            body: json!({ "text": text }).to_string(),
        }],
        Channel::TwilioSms {
            account_sid,
            auth_token_secret,
            from,
            to,
            ..
        } => {
            let token = need(auth_token_secret)?;
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{account_sid}:{}", token.trim()));
            let url = rewrite_url(
                &format!("{TWILIO_API}/2010-04-01/Accounts/{account_sid}/Messages.json"),
                rewrites,
            );
            to.iter()
                .map(|number| OutboundRequest {
                    url: url.clone(),
                    headers: vec![
                        (
                            "Content-Type".to_owned(),
                            "application/x-www-form-urlencoded".to_owned(),
                        ),
                        ("Authorization".to_owned(), format!("Basic {basic}")),
                    ],
                    body: crate::crm::form_urlencode(&[
                        ("To".to_owned(), number.clone()),
                        ("From".to_owned(), from.clone()),
                        ("Body".to_owned(), text.to_owned()),
                    ]),
                })
                .collect()
        }
        Channel::Email {
            api_key_secret,
            from,
            to,
            ..
        } => vec![OutboundRequest {
            url: rewrite_url(&format!("{RESEND_API}/emails"), rewrites),
            headers: json_headers(Some(format!("Bearer {}", need(api_key_secret)?.trim()))),
            body: json!({ "from": from, "to": to, "subject": subject, "text": text }).to_string(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str) -> Option<String> {
        match name {
            "SLACK_URL" => Some("https://hooks.slack.com/services/T/B/X".into()),
            "TWILIO_TOKEN" => Some("tok".into()),
            "RESEND_KEY" => Some("re_123".into()),
            _ => None,
        }
    }

    #[test]
    fn channels_are_the_routes_then_the_tiers_each_once() {
        let spec = FormSpec::parse_toml(
            r#"
id = "t"
[[fields]]
id = "email"
kind = "email"
label = "Email"
[[destinations]]
type = "webhook"
url = "https://x.example/h"
secret = "S"
[[recipients]]
id = "a"
destination = 0
[[channels]]
type = "slack"
id = "team"
url_secret = "SLACK_URL"
[[channels]]
type = "slack"
id = "hot"
url_secret = "SLACK_URL"
[[channels]]
type = "slack"
id = "boss"
url_secret = "SLACK_URL"
[[routes]]
id = "r"
to = ["a"]
notify = ["team"]
escalate = ["boss"]
sla_minutes = 5
[scoring]
[[scoring.rules]]
id = "gave_email"
points = 60
when = { field = "email", present = true }
[[tiers]]
id = "hot"
min_score = 50
notify = ["hot", "team"]
[[tiers]]
id = "cold"
"#,
        )
        .expect("spec");
        let route = spec.routes.first();
        // (route, tier, kind, channel ids)
        type Case<'a> = (Option<&'a Route>, Option<&'a str>, Kind, &'a [&'a str]);
        let cases: [Case; 6] = [
            (route, Some("hot"), Kind::Notify, &["team", "hot"]),
            (route, Some("cold"), Kind::Notify, &["team"]),
            (None, Some("hot"), Kind::Notify, &["hot", "team"]),
            (None, None, Kind::Notify, &[]),
            (route, Some("hot"), Kind::Escalate, &["boss"]),
            (None, Some("hot"), Kind::Escalate, &[]),
        ];
        for (route, tier, kind, ids) in cases {
            let found: Vec<&str> = channels(&spec, route, tier, kind)
                .iter()
                .map(|c| c.id())
                .collect();
            assert_eq!(found, ids, "{:?} {tier:?} {kind:?}", route.map(|r| &r.id));
        }
    }

    #[test]
    fn each_channel_has_its_provider_shape() {
        let rewrites = vec![(
            "https://api.twilio.com".to_owned(),
            "http://127.0.0.1:9/twilio".to_owned(),
        )];
        let slack = Channel::Slack {
            id: "s".into(),
            url_secret: "SLACK_URL".into(),
        };
        let r = requests(&slack, "subj", "hi", secret, &rewrites).expect("slack");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].url, "https://hooks.slack.com/services/T/B/X");
        assert_eq!(r[0].body, r#"{"text":"hi"}"#);

        let sms = Channel::TwilioSms {
            id: "t".into(),
            account_sid: "AC42".into(),
            auth_token_secret: "TWILIO_TOKEN".into(),
            from: "+15550001111".into(),
            to: vec!["+15550002222".into(), "+15550003333".into()],
        };
        let r = requests(&sms, "subj", "New lead & more", secret, &rewrites).expect("sms");
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0].url,
            "http://127.0.0.1:9/twilio/2010-04-01/Accounts/AC42/Messages.json"
        );
        assert_eq!(
            r[0].body,
            "To=%2B15550002222&From=%2B15550001111&Body=New+lead+%26+more"
        );
        // base64("AC42:tok")
        assert!(r[0]
            .headers
            .contains(&("Authorization".into(), "Basic QUM0Mjp0b2s=".into())));

        let email = Channel::Email {
            id: "e".into(),
            api_key_secret: "RESEND_KEY".into(),
            from: "leads@example.com".into(),
            to: vec!["owner@example.com".into()],
        };
        let r = requests(&email, "New lead", "text", secret, &[]).expect("email");
        assert_eq!(r[0].url, "https://api.resend.com/emails");
        assert!(r[0]
            .headers
            .contains(&("Authorization".into(), "Bearer re_123".into())));
        let body: serde_json::Value = serde_json::from_str(&r[0].body).expect("json");
        assert_eq!(body["to"][0], "owner@example.com");
        assert_eq!(body["subject"], "New lead");

        let missing = Channel::Slack {
            id: "s".into(),
            url_secret: "NOPE".into(),
        };
        assert_eq!(
            requests(&missing, "", "", secret, &[]),
            Err(BuildError::SecretMissing("NOPE".into()))
        );
    }
}
