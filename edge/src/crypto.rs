//! Personal data at rest: envelope encryption with AES-256-GCM.
//!
//! Every lead (and every quarantined submission, which keeps its id when
//! released) gets two random 256-bit data keys: the **personal** key
//! encrypts its sealed record (values, evidence, consents), the **evidence**
//! key its consent certificates. Each data key is stored wrapped (AES-256-GCM
//! under a master key from the `DATA_MASTER_KEYS` secret, bound to the
//! subject id, the purpose and the master key id). Erasure and retention
//! delete the wrapped key with the ciphertext; once the master key a backup's
//! wrapped keys were made with is retired, nothing in that backup can be
//! read either.
//!
//! Formats (all text, so they sit in D1's TEXT columns):
//! - ciphertext: `lf1:` + base64(nonce(12) ‖ AES-256-GCM(ciphertext ‖ tag)),
//!   with the associated data `leadform|<subject>|<column>`;
//! - wrapped key: base64(nonce(12) ‖ AES-256-GCM(data key ‖ tag)), with the
//!   associated data `leadform-key|<subject>|<purpose>|<master key id>`;
//! - `DATA_MASTER_KEYS`: entries `<id>:<64 hex digits>` separated by spaces,
//!   commas or newlines, **newest first**: the first wraps, every one unwraps.
//! - blind index: hex HMAC-SHA256 under `DATA_INDEX_KEY` of `<kind>:<value>`
//!   (e.g. `email:ann@example.com`), to find a person's rows without storing
//!   the value.
//!
//! Pure: randomness comes from the caller (or [`random`]); no I/O, no clock.
//! Text that does not start with `lf1:` is a row written before encryption
//! existed and is read as it is.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Prefix of every stored ciphertext.
pub const CIPHERTEXT_PREFIX: &str = "lf1:";
/// Bytes of a data or master key.
pub const KEY_BYTES: usize = 32;
/// Bytes of an AES-GCM nonce.
pub const NONCE_BYTES: usize = 12;
/// Longest master key id.
pub const MAX_KEY_ID_LEN: usize = 32;

/// Why a key set could not be read or a value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// `DATA_MASTER_KEYS` has no entry.
    NoMasterKey,
    /// An entry is not `<id>:<64 hex digits>` (names the entry's position, never its text).
    MalformedMasterKey(usize),
    /// Two entries share an id.
    DuplicateMasterKeyId(String),
    /// The wrapped key names a master key id that is not configured.
    UnknownMasterKey(String),
    /// Authentication failed: wrong key, wrong subject, or altered bytes.
    Undecryptable,
    /// The platform gave no randomness.
    NoRandomness,
}

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CryptoError::NoMasterKey => write!(f, "DATA_MASTER_KEYS has no key"),
            CryptoError::MalformedMasterKey(n) => {
                write!(f, "DATA_MASTER_KEYS entry {n} is not <id>:<64 hex digits>")
            }
            CryptoError::DuplicateMasterKeyId(id) => {
                write!(f, "DATA_MASTER_KEYS names key id `{id}` twice")
            }
            CryptoError::UnknownMasterKey(id) => {
                write!(f, "master key `{id}` is not in DATA_MASTER_KEYS")
            }
            CryptoError::Undecryptable => write!(f, "ciphertext or wrapped key does not open"),
            CryptoError::NoRandomness => write!(f, "no randomness"),
        }
    }
}

/// What a data key protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The lead record (values, evidence, consents): erased at
    /// `personal_data_days` or on request.
    Personal,
    /// The consent certificates: erased at `evidence_days` or on request.
    Evidence,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Personal => "personal",
            Purpose::Evidence => "evidence",
        }
    }
}

/// One 256-bit data key. Its bytes never leave this module but wrapped.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey([u8; KEY_BYTES]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> DataKey {
        DataKey(bytes)
    }

    /// `plaintext` encrypted for `subject`'s `column`, as stored text.
    pub fn encrypt(
        &self,
        subject: &str,
        column: &str,
        plaintext: &str,
        nonce: [u8; NONCE_BYTES],
    ) -> String {
        let aad = format!("leadform|{subject}|{column}");
        let sealed = seal(&self.0, &nonce, plaintext.as_bytes(), aad.as_bytes());
        format!("{CIPHERTEXT_PREFIX}{}", STANDARD.encode(sealed))
    }

    /// The plaintext of stored text (legacy plaintext passes through).
    pub fn decrypt(
        &self,
        subject: &str,
        column: &str,
        stored: &str,
    ) -> Result<String, CryptoError> {
        let Some(encoded) = stored.strip_prefix(CIPHERTEXT_PREFIX) else {
            return Ok(stored.to_owned());
        };
        let aad = format!("leadform|{subject}|{column}");
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| CryptoError::Undecryptable)?;
        let plain = open(&self.0, &bytes, aad.as_bytes())?;
        String::from_utf8(plain).map_err(|_| CryptoError::Undecryptable)
    }
}

/// Whether stored text is a ciphertext of this module (else legacy plaintext).
pub fn is_ciphertext(stored: &str) -> bool {
    stored.starts_with(CIPHERTEXT_PREFIX)
}

/// The configured master keys, newest first.
pub struct MasterKeys {
    keys: Vec<(String, [u8; KEY_BYTES])>,
}

impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|(id, _)| id))
            .finish()
    }
}

impl MasterKeys {
    /// Reads `DATA_MASTER_KEYS` (see the module doc).
    pub fn parse(text: &str) -> Result<MasterKeys, CryptoError> {
        let mut keys: Vec<(String, [u8; KEY_BYTES])> = Vec::new();
        let entries = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty());
        for (n, entry) in entries.enumerate() {
            let malformed = CryptoError::MalformedMasterKey(n + 1);
            let (id, hex) = entry.split_once(':').ok_or(malformed.clone())?;
            let id_ok = !id.is_empty()
                && id.len() <= MAX_KEY_ID_LEN
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            let key = decode_hex_key(hex).filter(|_| id_ok).ok_or(malformed)?;
            if keys.iter().any(|(known, _)| known == id) {
                return Err(CryptoError::DuplicateMasterKeyId(id.to_owned()));
            }
            keys.push((id.to_owned(), key));
        }
        if keys.is_empty() {
            return Err(CryptoError::NoMasterKey);
        }
        Ok(MasterKeys { keys })
    }

    /// The id of the key that wraps new data keys (the first listed).
    pub fn newest_id(&self) -> &str {
        &self.keys[0].0
    }

    /// Every configured id, newest first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(id, _)| id.as_str())
    }

    /// `key` wrapped under the newest master key for `subject` and `purpose`.
    pub fn wrap(
        &self,
        subject: &str,
        purpose: Purpose,
        key: &DataKey,
        nonce: [u8; NONCE_BYTES],
    ) -> String {
        let (id, master) = &self.keys[0];
        let aad = wrap_aad(subject, purpose, id);
        STANDARD.encode(seal(master, &nonce, &key.0, aad.as_bytes()))
    }

    /// The data key `wrapped` under master key `master_key_id`.
    pub fn unwrap(
        &self,
        master_key_id: &str,
        subject: &str,
        purpose: Purpose,
        wrapped: &str,
    ) -> Result<DataKey, CryptoError> {
        let (_, master) = self
            .keys
            .iter()
            .find(|(id, _)| id == master_key_id)
            .ok_or_else(|| CryptoError::UnknownMasterKey(master_key_id.to_owned()))?;
        let bytes = STANDARD
            .decode(wrapped)
            .map_err(|_| CryptoError::Undecryptable)?;
        let aad = wrap_aad(subject, purpose, master_key_id);
        let plain = open(master, &bytes, aad.as_bytes())?;
        let key: [u8; KEY_BYTES] = plain
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Undecryptable)?;
        Ok(DataKey(key))
    }
}

fn wrap_aad(subject: &str, purpose: Purpose, master_key_id: &str) -> String {
    format!(
        "leadform-key|{subject}|{}|{master_key_id}",
        purpose.as_str()
    )
}

/// The blind index of a normalised value: hex HMAC-SHA256 of
/// `<kind>:<value>` under `index_key`.
pub fn blind_index(index_key: &[u8], kind: &str, value: &str) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(index_key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(kind.as_bytes());
    mac.update(b":");
    mac.update(value.as_bytes());
    crate::seal::to_hex(&mac.finalize().into_bytes())
}

/// `N` random bytes from the platform (`crypto.getRandomValues` in workerd).
pub fn random<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|_| CryptoError::NoRandomness)?;
    Ok(bytes)
}

fn seal(key: &[u8; KEY_BYTES], nonce: &[u8; NONCE_BYTES], plain: &[u8], aad: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    // Encryption fails only past AES-GCM's length limit (64 GiB).
    let sealed = cipher
        .encrypt(Nonce::from_slice(nonce), Payload { msg: plain, aad })
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&sealed);
    out
}

fn open(key: &[u8; KEY_BYTES], bytes: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if bytes.len() < NONCE_BYTES + 16 {
        return Err(CryptoError::Undecryptable);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map_err(|_| CryptoError::Undecryptable)
}

fn decode_hex_key(hex: &str) -> Option<[u8; KEY_BYTES]> {
    if hex.len() != KEY_BYTES * 2 {
        return None;
    }
    let mut key = [0u8; KEY_BYTES];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const K2: &str = "k2:1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

    #[test]
    fn aes_256_gcm_known_answer() {
        // NIST GCM test case 13 (Gladman/McGrew-Viega): 256-bit zero key,
        // zero nonce, empty plaintext and AAD -> tag 530f8afbc74536b9a963b4f1c4cb738b.
        let sealed = seal(&[0; 32], &[0; 12], b"", b"");
        assert_eq!(
            crate::seal::to_hex(&sealed[NONCE_BYTES..]),
            "530f8afbc74536b9a963b4f1c4cb738b"
        );
        // Test case 14: one zero block -> cea7403d4d606b6e074ec5d3baf39d18 + tag.
        let sealed = seal(&[0; 32], &[0; 12], &[0; 16], b"");
        assert_eq!(
            crate::seal::to_hex(&sealed[NONCE_BYTES..]),
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"
        );
    }

    #[test]
    fn master_keys_parse_table() {
        let cases: &[(&str, Result<&[&str], CryptoError>)] = &[
            (K1, Ok(&["k1"])),
            (&format!("{K2} {K1}"), Ok(&["k2", "k1"])),
            (&format!("{K2},\n{K1}\n"), Ok(&["k2", "k1"])),
            ("", Err(CryptoError::NoMasterKey)),
            (" , ", Err(CryptoError::NoMasterKey)),
            ("k1", Err(CryptoError::MalformedMasterKey(1))),
            ("k1:abcd", Err(CryptoError::MalformedMasterKey(1))),
            (
                &format!("{K1} k2:{}", "zz".repeat(32)),
                Err(CryptoError::MalformedMasterKey(2)),
            ),
            (
                &format!(":{}", "00".repeat(32)),
                Err(CryptoError::MalformedMasterKey(1)),
            ),
            (
                &format!("a/b:{}", "00".repeat(32)),
                Err(CryptoError::MalformedMasterKey(1)),
            ),
            (
                &format!("{K1} {K1}"),
                Err(CryptoError::DuplicateMasterKeyId("k1".into())),
            ),
        ];
        for (text, expected) in cases {
            let got =
                MasterKeys::parse(text).map(|k| k.ids().map(str::to_owned).collect::<Vec<_>>());
            let expected = expected
                .clone()
                .map(|ids| ids.iter().map(|s| s.to_string()).collect());
            assert_eq!(got, expected, "{text:?}");
        }
        // Errors never carry key material.
        let error = MasterKeys::parse(&format!("k1:{}", "ab".repeat(31))).unwrap_err();
        assert!(!error.to_string().contains("abab"));
    }

    #[test]
    fn round_trip_and_binding() {
        let key = DataKey::from_bytes([7; 32]);
        let stored = key.encrypt(
            "lead_1",
            "record",
            "{\"email\":\"ann@example.com\"}",
            [1; 12],
        );
        assert!(is_ciphertext(&stored));
        assert!(!stored.contains("ann"));
        assert_eq!(
            key.decrypt("lead_1", "record", &stored).unwrap(),
            "{\"email\":\"ann@example.com\"}"
        );
        // Another subject, column or key does not open it.
        let cases = [
            (DataKey::from_bytes([7; 32]), "lead_2", "record"),
            (DataKey::from_bytes([7; 32]), "lead_1", "certificate:c1"),
            (DataKey::from_bytes([8; 32]), "lead_1", "record"),
        ];
        for (other, subject, column) in cases {
            assert_eq!(
                other.decrypt(subject, column, &stored),
                Err(CryptoError::Undecryptable),
                "{subject} {column}"
            );
        }
        // Any flipped bit of the stored bytes is detected.
        let raw = STANDARD.decode(&stored[4..]).unwrap();
        for i in 0..raw.len() * 8 {
            let mut bad = raw.clone();
            bad[i / 8] ^= 1 << (i % 8);
            let text = format!("{CIPHERTEXT_PREFIX}{}", STANDARD.encode(&bad));
            assert_eq!(
                key.decrypt("lead_1", "record", &text),
                Err(CryptoError::Undecryptable)
            );
        }
        assert_eq!(
            key.decrypt("lead_1", "record", "lf1:!!"),
            Err(CryptoError::Undecryptable)
        );
        assert_eq!(
            key.decrypt("lead_1", "record", "lf1:AAAA"),
            Err(CryptoError::Undecryptable)
        );
        // Legacy plaintext passes through.
        assert_eq!(key.decrypt("lead_1", "record", "{}").unwrap(), "{}");
    }

    #[test]
    fn rotation_newest_wraps_all_unwrap() {
        let key = DataKey::from_bytes([9; 32]);
        let old = MasterKeys::parse(K1).unwrap();
        let wrapped_old = old.wrap("lead_1", Purpose::Personal, &key, [2; 12]);
        let rotated = MasterKeys::parse(&format!("{K2} {K1}")).unwrap();
        assert_eq!(rotated.newest_id(), "k2");
        assert_eq!(
            rotated.unwrap("k1", "lead_1", Purpose::Personal, &wrapped_old),
            Ok(key.clone())
        );
        let wrapped_new = rotated.wrap("lead_1", Purpose::Personal, &key, [3; 12]);
        assert_eq!(
            rotated.unwrap("k2", "lead_1", Purpose::Personal, &wrapped_new),
            Ok(key.clone())
        );
        // Retired k1: the old wrapping no longer opens.
        let retired = MasterKeys::parse(K2).unwrap();
        assert_eq!(
            retired.unwrap("k1", "lead_1", Purpose::Personal, &wrapped_old),
            Err(CryptoError::UnknownMasterKey("k1".into()))
        );
        // Bound to subject, purpose and key id.
        assert_eq!(
            rotated.unwrap("k2", "lead_2", Purpose::Personal, &wrapped_new),
            Err(CryptoError::Undecryptable)
        );
        assert_eq!(
            rotated.unwrap("k2", "lead_1", Purpose::Evidence, &wrapped_new),
            Err(CryptoError::Undecryptable)
        );
        assert_eq!(
            rotated.unwrap("k1", "lead_1", Purpose::Personal, &wrapped_new),
            Err(CryptoError::Undecryptable)
        );
        assert!(!format!("{rotated:?}").contains("1f1e"));
        assert_eq!(format!("{key:?}"), "DataKey(..)");
    }

    #[test]
    fn blind_index_is_keyed_and_kind_separated() {
        let a = blind_index(b"index-key", "email", "ann@example.com");
        assert_eq!(a.len(), 64);
        assert_eq!(a, blind_index(b"index-key", "email", "ann@example.com"));
        assert_ne!(a, blind_index(b"other-key", "email", "ann@example.com"));
        assert_ne!(a, blind_index(b"index-key", "phone", "ann@example.com"));
        assert!(!a.contains("ann"));
    }
}
