//! Sealing: HMAC-SHA256 over a record's exact stored bytes, so any change to a
//! stored lead or consent certificate is detectable by the owner.
//!
//! Keys carry a key id and several can be configured ([`SealKeys`]): the
//! first one seals, every one verifies, so keys rotate without breaking the
//! seals of older records. A stored seal is `<kid>:<hex>`; a bare `<hex>`
//! (every seal written before key ids, and every seal by the `SEAL_KEY`
//! secret alone) is the [`LEGACY_KID`] key's. Seals are lower-case hex;
//! verification is constant-time. This module reads key configuration text
//! and seals bytes; it does not decide what is sealed (see
//! [`crate::record`]) nor read secrets (the platform layer passes them in).
//! Third parties verify certificates by their Ed25519 signature instead
//! (`leadform_verify`, [`crate::keys`]): an HMAC proves nothing to someone
//! who does not hold the key.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
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

/// Lower-case hex only: one seal has one spelling.
fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() & 1 == 1 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The key id of the `SEAL_KEY` secret, and of every seal stored without one.
pub const LEGACY_KID: &str = "legacy";

/// The fewest bytes a `SEAL_KEYS` key may have.
pub const SEAL_KEY_MIN_BYTES: usize = 16;

/// Why the seal key configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealKeyError {
    /// Neither `SEAL_KEYS` nor `SEAL_KEY` is set.
    Missing,
    /// `SEAL_KEYS` is neither `kid:base64,...` nor a JSON array of
    /// `{"kid", "key"}` (says where).
    Malformed(String),
    /// A key id is empty, longer than 64 bytes, or has characters other
    /// than ASCII letters, digits, `.`, `_` and `-`.
    KeyIdInvalid(String),
    /// A key decodes to fewer than [`SEAL_KEY_MIN_BYTES`] bytes.
    KeyTooShort(String),
    /// Two keys have the same id.
    KeyIdRepeated(String),
}

impl std::fmt::Display for SealKeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SealKeyError::Missing => f.write_str("neither SEAL_KEYS nor SEAL_KEY is set"),
            SealKeyError::Malformed(why) => write!(
                f,
                "SEAL_KEYS must be `kid:base64,kid:base64` or a JSON array of {{\"kid\", \"key\"}}: {why}"
            ),
            SealKeyError::KeyIdInvalid(kid) => write!(
                f,
                "seal key id `{kid}` must be 1 to 64 of A-Z a-z 0-9 . _ -"
            ),
            SealKeyError::KeyTooShort(kid) => write!(
                f,
                "seal key `{kid}` must hold at least {SEAL_KEY_MIN_BYTES} bytes"
            ),
            SealKeyError::KeyIdRepeated(kid) => write!(f, "seal key id `{kid}` appears twice"),
        }
    }
}

impl std::error::Error for SealKeyError {}

/// Whether `kid` is a usable key id.
pub fn valid_kid(kid: &str) -> bool {
    (1..=64).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The configured seal keys: the first seals, all verify.
#[derive(Clone, PartialEq, Eq)]
pub struct SealKeys {
    keys: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for SealKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key ids only: keys never reach a log.
        f.debug_struct("SealKeys")
            .field("kids", &self.kids().collect::<Vec<_>>())
            .finish()
    }
}

/// What checking a stored seal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealCheck {
    /// The seal is the named key's seal of these bytes.
    Verified { kid: String },
    /// The named key is configured but the bytes or the seal were changed.
    Mismatch { kid: String },
    /// The seal names a key that is no longer (or never was) configured.
    KeyUnknown { kid: String },
}

impl SealCheck {
    pub fn is_verified(&self) -> bool {
        matches!(self, SealCheck::Verified { .. })
    }

    /// The key id the stored seal names.
    pub fn kid(&self) -> &str {
        match self {
            SealCheck::Verified { kid }
            | SealCheck::Mismatch { kid }
            | SealCheck::KeyUnknown { kid } => kid,
        }
    }
}

impl SealKeys {
    /// Reads the `SEAL_KEYS` and `SEAL_KEY` secrets. `SEAL_KEYS` lists keys
    /// newest first, as `kid:base64,kid:base64` or
    /// `[{"kid": "...", "key": "base64"}, ...]`; its first key seals.
    /// `SEAL_KEY` (raw text, the single key of earlier versions) is the
    /// [`LEGACY_KID`] key: it seals only when `SEAL_KEYS` is unset, and keeps
    /// verifying older records beside `SEAL_KEYS` unless that names a
    /// `legacy` key itself.
    pub fn from_config(
        seal_keys: Option<&str>,
        seal_key: Option<&str>,
    ) -> Result<SealKeys, SealKeyError> {
        let mut keys = match seal_keys.map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) if text.starts_with('[') => parse_json_keys(text)?,
            Some(text) => parse_list_keys(text)?,
            None => Vec::new(),
        };
        for (i, (kid, _)) in keys.iter().enumerate() {
            if keys[..i].iter().any(|(earlier, _)| earlier == kid) {
                return Err(SealKeyError::KeyIdRepeated(kid.clone()));
            }
        }
        if let Some(legacy) = seal_key.filter(|k| !k.is_empty()) {
            if !keys.iter().any(|(kid, _)| kid == LEGACY_KID) {
                keys.push((LEGACY_KID.to_owned(), legacy.as_bytes().to_vec()));
            }
        }
        if keys.is_empty() {
            return Err(SealKeyError::Missing);
        }
        Ok(SealKeys { keys })
    }

    /// The id of the key that seals.
    pub fn sealing_kid(&self) -> &str {
        &self.keys[0].0
    }

    /// Every configured key id, the sealing one first.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(kid, _)| kid.as_str())
    }

    /// The seal to store for `bytes`: `<kid>:<hex>`, or bare hex for the
    /// legacy key.
    pub fn seal(&self, bytes: &[u8]) -> String {
        let (kid, key) = &self.keys[0];
        let hex = seal(key, bytes);
        if kid == LEGACY_KID {
            hex
        } else {
            format!("{kid}:{hex}")
        }
    }

    /// Checks a stored seal of `bytes` against the key it names.
    pub fn check(&self, bytes: &[u8], stored: &str) -> SealCheck {
        let (kid, hex) = split_seal(stored);
        let kid = kid.to_owned();
        match self.keys.iter().find(|(k, _)| *k == kid) {
            None => SealCheck::KeyUnknown { kid },
            Some((_, key)) if verify(key, bytes, hex) => SealCheck::Verified { kid },
            Some(_) => SealCheck::Mismatch { kid },
        }
    }

    /// Whether `stored` is a valid seal of `bytes`.
    pub fn verify(&self, bytes: &[u8], stored: &str) -> bool {
        self.check(bytes, stored).is_verified()
    }
}

/// A stored seal's key id and hex (bare hex: the legacy key).
pub fn split_seal(stored: &str) -> (&str, &str) {
    stored.split_once(':').unwrap_or((LEGACY_KID, stored))
}

fn decode_key(kid: &str, encoded: &str) -> Result<(String, Vec<u8>), SealKeyError> {
    if !valid_kid(kid) {
        return Err(SealKeyError::KeyIdInvalid(kid.to_owned()));
    }
    let encoded = encoded.trim();
    let key = STANDARD
        .decode(encoded)
        .or_else(|_| STANDARD_NO_PAD.decode(encoded))
        .map_err(|_| SealKeyError::Malformed(format!("key `{kid}` is not base64")))?;
    if key.len() < SEAL_KEY_MIN_BYTES {
        return Err(SealKeyError::KeyTooShort(kid.to_owned()));
    }
    Ok((kid.to_owned(), key))
}

fn parse_list_keys(text: &str) -> Result<Vec<(String, Vec<u8>)>, SealKeyError> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (kid, key) = entry.split_once(':').ok_or_else(|| {
                SealKeyError::Malformed(format!("entry without `kid:` ({} chars)", entry.len()))
            })?;
            decode_key(kid.trim(), key)
        })
        .collect()
}

fn parse_json_keys(text: &str) -> Result<Vec<(String, Vec<u8>)>, SealKeyError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        kid: String,
        key: String,
    }
    let entries: Vec<Entry> = serde_json::from_str(text).map_err(|e| {
        SealKeyError::Malformed(format!("JSON: line {} column {}", e.line(), e.column()))
    })?;
    entries
        .iter()
        .map(|entry| decode_key(&entry.kid, &entry.key))
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
        assert!(!verify(key, record, &sealed.to_uppercase()));
    }

    // 32 bytes each, base64.
    const K1: &str = "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=";
    const K2: &str = "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI=";
    const K3: &str = "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=";

    #[test]
    fn key_configurations() {
        let two = format!("k2:{K2},k1:{K1}");
        let spaced = format!(" k2 : {K2} , k1:{K1}, ");
        let json =
            format!("[{{\"kid\":\"k2\",\"key\":\"{K2}\"}},{{\"kid\":\"k1\",\"key\":\"{K1}\"}}]");
        let with_legacy = format!("k1:{K1},legacy:{K2}");
        let bad_kid = format!("k 1:{K1}");
        let repeated = format!("k1:{K1},k1:{K2}");
        type Expected = Result<(&'static str, Vec<&'static str>), SealKeyError>;
        let cases: Vec<(Option<&str>, Option<&str>, Expected)> = vec![
            (None, Some("old"), Ok(("legacy", vec!["legacy"]))),
            (Some(""), Some("old"), Ok(("legacy", vec!["legacy"]))),
            (
                Some(&two),
                Some("old"),
                Ok(("k2", vec!["k2", "k1", "legacy"])),
            ),
            (Some(&spaced), None, Ok(("k2", vec!["k2", "k1"]))),
            (
                Some(&json),
                Some("old"),
                Ok(("k2", vec!["k2", "k1", "legacy"])),
            ),
            // A `legacy` entry in SEAL_KEYS replaces SEAL_KEY.
            (
                Some(&with_legacy),
                Some("old"),
                Ok(("k1", vec!["k1", "legacy"])),
            ),
            (None, None, Err(SealKeyError::Missing)),
            (Some(""), Some(""), Err(SealKeyError::Missing)),
            (
                Some(K1),
                None,
                Err(SealKeyError::Malformed(
                    "entry without `kid:` (44 chars)".into(),
                )),
            ),
            (
                Some("k1:***"),
                None,
                Err(SealKeyError::Malformed("key `k1` is not base64".into())),
            ),
            (
                Some("k1:c2hvcnQ="),
                None,
                Err(SealKeyError::KeyTooShort("k1".into())),
            ),
            (
                Some(&bad_kid),
                None,
                Err(SealKeyError::KeyIdInvalid("k 1".into())),
            ),
            (
                Some(&repeated),
                None,
                Err(SealKeyError::KeyIdRepeated("k1".into())),
            ),
            (
                Some("[{\"kid\":\"k1\"}]"),
                None,
                Err(SealKeyError::Malformed("JSON: line 1 column 13".into())),
            ),
        ];
        for (seal_keys, seal_key, expected) in cases {
            let got = SealKeys::from_config(seal_keys, seal_key);
            let got = got
                .as_ref()
                .map(|keys| (keys.sealing_kid(), keys.kids().collect::<Vec<_>>()))
                .map_err(Clone::clone);
            assert_eq!(
                got, expected,
                "SEAL_KEYS={seal_keys:?} SEAL_KEY={seal_key:?}"
            );
            if let Err(error) = &got {
                assert!(!error.to_string().contains(K1) && !error.to_string().contains(K2));
            }
        }
    }

    #[test]
    fn rotation_keeps_every_earlier_seal_verifiable() {
        let record = br#"{"certificate_id":"cert_1"}"#;
        // Four generations: SEAL_KEY alone, then k1, k2, k3 in SEAL_KEYS.
        let generations = [
            SealKeys::from_config(None, Some("old")).unwrap(),
            SealKeys::from_config(Some(&format!("k1:{K1}")), Some("old")).unwrap(),
            SealKeys::from_config(Some(&format!("k2:{K2},k1:{K1}")), Some("old")).unwrap(),
            SealKeys::from_config(Some(&format!("k3:{K3},k2:{K2},k1:{K1}")), Some("old")).unwrap(),
        ];
        let seals: Vec<String> = generations.iter().map(|keys| keys.seal(record)).collect();
        // The legacy seal is bare hex, equal to the single-key seal of before.
        assert_eq!(seals[0], seal(b"old", record));
        assert!(
            seals[1].starts_with("k1:")
                && seals[2].starts_with("k2:")
                && seals[3].starts_with("k3:")
        );
        let newest = &generations[3];
        for (stored, kid) in seals.iter().zip(["legacy", "k1", "k2", "k3"]) {
            assert_eq!(
                newest.check(record, stored),
                SealCheck::Verified { kid: kid.into() }
            );
            assert_eq!(
                newest.check(b"{}", stored),
                SealCheck::Mismatch { kid: kid.into() }
            );
        }
        // A key dropped from the configuration no longer vouches for its seals.
        let without_k1 = SealKeys::from_config(Some(&format!("k2:{K2}")), None).unwrap();
        assert_eq!(
            without_k1.check(record, &seals[1]),
            SealCheck::KeyUnknown { kid: "k1".into() }
        );
        assert_eq!(
            without_k1.check(record, &seals[0]),
            SealCheck::KeyUnknown {
                kid: "legacy".into()
            }
        );
        // A seal moved to another key id does not verify.
        let moved = seals[2].replacen("k2:", "k1:", 1);
        assert_eq!(
            newest.check(record, &moved),
            SealCheck::Mismatch { kid: "k1".into() }
        );
        assert!(!format!("{newest:?}").contains(K1));
    }
}
