//! Sealing: HMAC-SHA256 over a record's exact stored bytes, so any change to a
//! stored lead or consent certificate is detectable.
//!
//! The key is the `SEAL_KEY` secret (passed in as bytes). Seals are lower-case
//! hex. Verification is constant-time. This module does not decide what is
//! sealed (see [`crate::record`]).

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The algorithm name stored beside each seal.
pub const SEAL_ALGORITHM: &str = "HMAC-SHA256";

/// HMAC-SHA256 of `bytes` under `key`, lower-case hex.
pub fn seal(key: &[u8], bytes: &[u8]) -> String {
    let mut mac = mac_for(key);
    mac.update(bytes);
    to_hex(&mac.finalize().into_bytes())
}

/// Whether `seal_hex` is the seal of `bytes` under `key`.
pub fn verify(key: &[u8], bytes: &[u8], seal_hex: &str) -> bool {
    let Some(expected) = from_hex(seal_hex) else {
        return false;
    };
    let mut mac = mac_for(key);
    mac.update(bytes);
    mac.verify_slice(&expected).is_ok()
}

fn mac_for(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() & 1 == 1 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_test_case_2() {
        // RFC 4231, test case 2.
        assert_eq!(
            seal(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tampering_is_detected() {
        let key = b"seal-key";
        let record = br#"{"lead_id":"lead_1","email":"a@b.example"}"#;
        let sealed = seal(key, record);
        assert!(verify(key, record, &sealed));
        assert!(!verify(
            key,
            br#"{"lead_id":"lead_1","email":"x@b.example"}"#,
            &sealed
        ));
        assert!(!verify(b"other-key", record, &sealed));
        assert!(!verify(key, record, "not-hex"));
        assert!(!verify(key, record, &sealed[..62]));
    }
}
