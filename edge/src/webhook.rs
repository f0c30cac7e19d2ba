//! Standard Webhooks signing (<https://www.standardwebhooks.com/>).
//!
//! The secret is `whsec_` + base64 of the key bytes. The signed content is
//! `{webhook-id}.{webhook-timestamp}.{body}`; the `webhook-signature` header is
//! `v1,` + base64(HMAC-SHA256(key, content)). The webhook id is the lead id, so
//! receivers can deduplicate retries. This module signs and verifies; sending
//! is the delivery layer's job.

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
}
