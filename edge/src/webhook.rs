//! Standard Webhooks signing (<https://www.standardwebhooks.com/>).
//!
//! The secret is `whsec_` + base64 of the key bytes. The signed content is
//! `{webhook-id}.{webhook-timestamp}.{body}`; the `webhook-signature` header is
//! `v1,` + base64(HMAC-SHA256(key, content)). The webhook id is the lead id, so
//! receivers can deduplicate retries. This module signs and verifies; sending
//! is the delivery layer's job.
//!
//! Rotation: a secret's value may hold several space-separated `whsec_`
//! secrets ([`decode_secrets`]); during the overlap every one of them signs
//! and the header carries one space-separated `v1,<sig>` per secret
//! ([`sign_all`]), so a receiver holding either the old or the new secret
//! accepts the delivery ([`check_delivery_any`]).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a webhook secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookSecretError {
    /// Not `whsec_` followed by base64.
    Malformed,
    /// Decodes to fewer than 16 bytes.
    TooShort,
}

impl std::fmt::Display for WebhookSecretError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebhookSecretError::Malformed => {
                f.write_str("webhook secret must be `whsec_` followed by base64")
            }
            WebhookSecretError::TooShort => {
                f.write_str("webhook secret must hold at least 16 bytes")
            }
        }
    }
}

impl std::error::Error for WebhookSecretError {}

/// Decodes a `whsec_...` secret into key bytes.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, WebhookSecretError> {
    let encoded = secret
        .trim()
        .strip_prefix("whsec_")
        .ok_or(WebhookSecretError::Malformed)?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| WebhookSecretError::Malformed)?;
    if key.len() < 16 {
        return Err(WebhookSecretError::TooShort);
    }
    Ok(key)
}

/// Decodes a secret value holding one or more space-separated `whsec_...`
/// secrets (newest first, during a rotation's overlap).
pub fn decode_secrets(value: &str) -> Result<Vec<Vec<u8>>, WebhookSecretError> {
    let keys = value
        .split_whitespace()
        .map(decode_secret)
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(WebhookSecretError::Malformed);
    }
    Ok(keys)
}

/// The `webhook-signature` header value with one `v1,<base64>` per key,
/// space-separated, in the keys' order.
pub fn sign_all<K: AsRef<[u8]>>(
    keys: &[K],
    webhook_id: &str,
    timestamp_s: u64,
    body: &str,
) -> String {
    keys.iter()
        .map(|key| sign(key.as_ref(), webhook_id, timestamp_s, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `webhook-signature` header value (`v1,<base64>`).
pub fn sign(key: &[u8], webhook_id: &str, timestamp_s: u64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(format!("{webhook_id}.{timestamp_s}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether any of the space-separated signatures in `header` is valid.
pub fn verify(key: &[u8], webhook_id: &str, timestamp_s: u64, body: &str, header: &str) -> bool {
    let expected = sign(key, webhook_id, timestamp_s, body);
    header.split(' ').any(|candidate| {
        use subtle::ConstantTimeEq;
        bool::from(candidate.as_bytes().ct_eq(expected.as_bytes()))
    })
}

/// How far a delivery's `webhook-timestamp` may be from the receiver's clock
/// (the Standard Webhooks recommendation: five minutes). Older captures are
/// refused, so a recorded delivery cannot be replayed later.
pub const TIMESTAMP_TOLERANCE_S: u64 = 300;

/// Why a receiver refuses a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookRejection {
    /// A `webhook-id`, `webhook-timestamp` or `webhook-signature` header is absent.
    HeaderMissing(&'static str),
    /// `webhook-timestamp` is not whole seconds since the epoch.
    TimestampInvalid,
    /// The timestamp is more than [`TIMESTAMP_TOLERANCE_S`] from now.
    TimestampOutOfTolerance,
    /// No signature in the header matches the body.
    SignatureMismatch,
    /// The exact same signed message (id and timestamp) was already accepted.
    Replayed,
}

impl WebhookRejection {
    /// Stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            WebhookRejection::HeaderMissing(_) => "webhook.header_missing",
            WebhookRejection::TimestampInvalid => "webhook.timestamp_invalid",
            WebhookRejection::TimestampOutOfTolerance => "webhook.timestamp_out_of_tolerance",
            WebhookRejection::SignatureMismatch => "webhook.signature_mismatch",
            WebhookRejection::Replayed => "webhook.replayed",
        }
    }

    /// The HTTP status a receiver answers with.
    pub fn status(self) -> u16 {
        match self {
            WebhookRejection::Replayed => 409,
            WebhookRejection::SignatureMismatch => 401,
            _ => 400,
        }
    }
}

impl std::fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebhookRejection::HeaderMissing(name) => write!(f, "the `{name}` header is missing"),
            WebhookRejection::TimestampInvalid => {
                f.write_str("`webhook-timestamp` is not a number of seconds")
            }
            WebhookRejection::TimestampOutOfTolerance => write!(
                f,
                "`webhook-timestamp` is more than {TIMESTAMP_TOLERANCE_S} s from now"
            ),
            WebhookRejection::SignatureMismatch => f.write_str("no signature matches the body"),
            WebhookRejection::Replayed => f.write_str("this signed message was already accepted"),
        }
    }
}

impl std::error::Error for WebhookRejection {}

/// The three Standard Webhooks headers of one delivery, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliveryHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// A delivery that passed [`check_delivery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedDelivery<'a> {
    pub id: &'a str,
    pub timestamp_s: u64,
}

/// Receiver side: checks the headers, the timestamp window at `now_s` and the
/// signature. Replays inside the window are [`ReplayGuard`]'s job.
pub fn check_delivery<'a>(
    key: &[u8],
    headers: DeliveryHeaders<'a>,
    body: &str,
    now_s: u64,
) -> Result<VerifiedDelivery<'a>, WebhookRejection> {
    check_delivery_any(&[key], headers, body, now_s)
}

/// [`check_delivery`] for a receiver that holds several secrets (its side
/// of a rotation): one valid signature under any of `keys` is enough.
pub fn check_delivery_any<'a, K: AsRef<[u8]>>(
    keys: &[K],
    headers: DeliveryHeaders<'a>,
    body: &str,
    now_s: u64,
) -> Result<VerifiedDelivery<'a>, WebhookRejection> {
    let id = headers
        .id
        .ok_or(WebhookRejection::HeaderMissing("webhook-id"))?;
    let timestamp = headers
        .timestamp
        .ok_or(WebhookRejection::HeaderMissing("webhook-timestamp"))?;
    let signature = headers
        .signature
        .ok_or(WebhookRejection::HeaderMissing("webhook-signature"))?;
    let timestamp_s: u64 = timestamp
        .parse()
        .map_err(|_| WebhookRejection::TimestampInvalid)?;
    if timestamp_s.abs_diff(now_s) > TIMESTAMP_TOLERANCE_S {
        return Err(WebhookRejection::TimestampOutOfTolerance);
    }
    if !keys
        .iter()
        .any(|key| verify(key.as_ref(), id, timestamp_s, body, signature))
    {
        return Err(WebhookRejection::SignatureMismatch);
    }
    Ok(VerifiedDelivery { id, timestamp_s })
}

/// What a receiver should do with a verified delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// First time this webhook id is seen: process it.
    New,
    /// The sender retried an id already processed (new timestamp and
    /// signature): acknowledge it, do not process it twice.
    Redelivered,
}

/// Remembers the deliveries a receiver accepted within the tolerance window,
/// so the same signed message sent twice is refused and sender retries are
/// recognised. Memory is bounded by the window: older entries are dropped.
#[derive(Debug, Default)]
pub struct ReplayGuard {
    /// webhook id → (timestamps accepted, newest first seen at).
    seen: std::collections::BTreeMap<String, (Vec<u64>, u64)>,
}

impl ReplayGuard {
    /// Classifies `delivery` seen at `now_s` and records it.
    pub fn admit(
        &mut self,
        delivery: VerifiedDelivery<'_>,
        now_s: u64,
    ) -> Result<Freshness, WebhookRejection> {
        self.seen
            .retain(|_, (_, seen_at)| now_s.saturating_sub(*seen_at) <= 2 * TIMESTAMP_TOLERANCE_S);
        match self.seen.get_mut(delivery.id) {
            Some((timestamps, _)) if timestamps.contains(&delivery.timestamp_s) => {
                Err(WebhookRejection::Replayed)
            }
            Some((timestamps, seen_at)) => {
                timestamps.push(delivery.timestamp_s);
                *seen_at = now_s;
                Ok(Freshness::Redelivered)
            }
            None => {
                self.seen
                    .insert(delivery.id.to_owned(), (vec![delivery.timestamp_s], now_s));
                Ok(Freshness::New)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_reference_vector() {
        // The example from the Standard Webhooks specification.
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
            &format!("v1,bogus {signature}")
        ));
        assert!(!verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_331,
            r#"{"test": 2432232314}"#,
            &signature
        ));
    }

    #[test]
    fn rotation_overlap_signs_with_both_secrets() {
        // The old secret is the specification's; the new one another 24 bytes.
        let old = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let new = "whsec_bmV3LXNlY3JldC1mb3Itcm90YXRpb24h";
        let keys = decode_secrets(&format!("{new}  {old}\n")).unwrap();
        assert_eq!(keys.len(), 2);
        let (id, at, body) = (
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        let header = sign_all(&keys, id, at, body);
        let signatures: Vec<&str> = header.split(' ').collect();
        assert_eq!(signatures.len(), 2);
        assert_eq!(
            signatures[1],
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(signatures[0], sign(&keys[0], id, at, body));
        let at_text = at.to_string();
        let headers = DeliveryHeaders {
            id: Some(id),
            timestamp: Some(&at_text),
            signature: Some(&header),
        };
        // A receiver still on the old secret, one already on the new, one on both.
        for receiver in [vec![keys[1].clone()], vec![keys[0].clone()], keys.clone()] {
            assert!(check_delivery_any(&receiver, headers, body, at).is_ok());
        }
        let stranger = decode_secret("whsec_c3RyYW5nZXItc2VjcmV0LTI0LWJ5dGVz").unwrap();
        assert_eq!(
            check_delivery(&stranger, headers, body, at),
            Err(WebhookRejection::SignatureMismatch)
        );
        assert_eq!(decode_secrets("  "), Err(WebhookSecretError::Malformed));
        assert_eq!(
            decode_secrets(&format!("{new} whsec_c2hvcnQ=")),
            Err(WebhookSecretError::TooShort)
        );
    }

    #[test]
    fn timestamp_tolerance_edges() {
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let (id, sent, body) = ("lead_1", 1_700_000_000u64, "{}");
        let signature = sign(&key, id, sent, body);
        let sent_text = sent.to_string();
        let headers = DeliveryHeaders {
            id: Some(id),
            timestamp: Some(&sent_text),
            signature: Some(&signature),
        };
        let tolerance = TIMESTAMP_TOLERANCE_S;
        assert_eq!(tolerance, 300);
        // (receiver's clock, accepted): exactly 300 s either side is inside.
        let cases = [
            (sent, true),
            (sent + tolerance, true),
            (sent - tolerance, true),
            (sent + tolerance + 1, false),
            (sent - tolerance - 1, false),
            (sent + 86_400, false),
            (0, false),
        ];
        for (now, accepted) in cases {
            let got = check_delivery(&key, headers, body, now);
            if accepted {
                assert_eq!(
                    got.map(|d| d.timestamp_s),
                    Ok(sent),
                    "now = sent {:+}",
                    now as i64 - sent as i64
                );
            } else {
                assert_eq!(
                    got,
                    Err(WebhookRejection::TimestampOutOfTolerance),
                    "now = {now}"
                );
            }
        }
    }

    #[test]
    fn secrets_are_checked() {
        assert_eq!(
            decode_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Err(WebhookSecretError::Malformed)
        );
        assert_eq!(
            decode_secret("whsec_!!!"),
            Err(WebhookSecretError::Malformed)
        );
        assert_eq!(
            decode_secret("whsec_c2hvcnQ="),
            Err(WebhookSecretError::TooShort)
        );
    }

    #[test]
    fn receivers_refuse_stale_forged_and_replayed_deliveries() {
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let now = 1_700_000_000;
        let body = r#"{"type":"lead.created"}"#;
        let signature = sign(&key, "lead_1", now, body);
        let timestamp = now.to_string();
        let headers = DeliveryHeaders {
            id: Some("lead_1"),
            timestamp: Some(&timestamp),
            signature: Some(&signature),
        };
        let delivery = check_delivery(&key, headers, body, now + 10).unwrap();
        let mut guard = ReplayGuard::default();
        assert_eq!(guard.admit(delivery, now + 10), Ok(Freshness::New));
        assert_eq!(
            guard.admit(delivery, now + 11),
            Err(WebhookRejection::Replayed)
        );
        // A sender retry: same id, new timestamp and signature.
        let retry_signature = sign(&key, "lead_1", now + 60, body);
        let retry_timestamp = (now + 60).to_string();
        let retry = check_delivery(
            &key,
            DeliveryHeaders {
                id: Some("lead_1"),
                timestamp: Some(&retry_timestamp),
                signature: Some(&retry_signature),
            },
            body,
            now + 61,
        )
        .unwrap();
        assert_eq!(guard.admit(retry, now + 61), Ok(Freshness::Redelivered));

        let cases: [(DeliveryHeaders, &str, u64, WebhookRejection); 5] = [
            (
                headers,
                body,
                now + TIMESTAMP_TOLERANCE_S + 1,
                WebhookRejection::TimestampOutOfTolerance,
            ),
            (
                headers,
                body,
                now - TIMESTAMP_TOLERANCE_S - 1,
                WebhookRejection::TimestampOutOfTolerance,
            ),
            (
                headers,
                r#"{"type":"lead.deleted"}"#,
                now,
                WebhookRejection::SignatureMismatch,
            ),
            (
                DeliveryHeaders {
                    timestamp: Some("soon"),
                    ..headers
                },
                body,
                now,
                WebhookRejection::TimestampInvalid,
            ),
            (
                DeliveryHeaders {
                    signature: None,
                    ..headers
                },
                body,
                now,
                WebhookRejection::HeaderMissing("webhook-signature"),
            ),
        ];
        for (headers, body, at, expected) in cases {
            assert_eq!(check_delivery(&key, headers, body, at), Err(expected));
            assert!(expected.code().starts_with("webhook."));
        }
    }
}
