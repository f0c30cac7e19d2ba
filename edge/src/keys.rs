//! The Ed25519 keys that sign consent certificates, and the public key set
//! published at `/.well-known/leadform-keys.json`.
//!
//! The signing key is the `CERTIFICATE_SIGNING_KEY` secret, `kid:base64` of
//! a 32-byte Ed25519 seed; retired keys stay published through the
//! `CERTIFICATE_PUBLIC_KEYS` var (`kid:base64` of each 32-byte public key,
//! comma-separated), so certificates signed before a rotation keep
//! verifying. The document format and its check are `leadform_verify`'s;
//! this module reads key configuration text and signs. It reads no secrets
//! itself (the platform layer passes them in) and never prints a private key.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use leadform_verify::{Ed25519SigningKey, Ed25519VerifyingKey, KeySet};

use crate::seal::valid_kid;

/// Names of the secret and the var (also in `wrangler.toml`'s comments).
pub const SIGNING_KEY_SECRET: &str = "CERTIFICATE_SIGNING_KEY";
pub const PUBLIC_KEYS_VAR: &str = "CERTIFICATE_PUBLIC_KEYS";

/// The algorithm name stored and shown beside each certificate signature.
pub const SIGNATURE_ALGORITHM: &str = "Ed25519";

/// Why the certificate key configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyConfigError {
    /// An entry is not `kid:base64` of 32 bytes (names the setting and the key id, never the key).
    Malformed { setting: &'static str, kid: String },
    /// A key id is empty, too long or has characters other than `A-Za-z0-9._-`.
    KeyIdInvalid { setting: &'static str, kid: String },
    /// A public key is not a valid Ed25519 point.
    NotAPublicKey { kid: String },
    /// Two published keys have the same id but different keys.
    KeyIdRepeated { kid: String },
}

impl KeyConfigError {
    /// The secret or var at fault.
    pub fn setting(&self) -> &'static str {
        match self {
            KeyConfigError::Malformed { setting, .. }
            | KeyConfigError::KeyIdInvalid { setting, .. } => setting,
            KeyConfigError::NotAPublicKey { .. } | KeyConfigError::KeyIdRepeated { .. } => {
                PUBLIC_KEYS_VAR
            }
        }
    }
}

impl std::fmt::Display for KeyConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyConfigError::Malformed { setting, kid } => write!(
                f,
                "{setting}: entry `{kid}` must be `kid:base64` of 32 bytes"
            ),
            KeyConfigError::KeyIdInvalid { setting, kid } => write!(
                f,
                "{setting}: key id `{kid}` must be 1 to 64 of A-Z a-z 0-9 . _ -"
            ),
            KeyConfigError::NotAPublicKey { kid } => {
                write!(f, "{PUBLIC_KEYS_VAR}: `{kid}` is not an Ed25519 public key")
            }
            KeyConfigError::KeyIdRepeated { kid } => {
                write!(f, "key id `{kid}` names two different public keys")
            }
        }
    }
}

impl std::error::Error for KeyConfigError {}

/// The current certificate signing key and its id.
#[derive(Clone)]
pub struct CertificateSigner {
    kid: String,
    key: Ed25519SigningKey,
}

impl std::fmt::Debug for CertificateSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateSigner")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// One certificate's signature as stored (`<kid>:<base64url>`) and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSignature {
    pub kid: String,
    /// Unpadded base64url of the 64 signature bytes.
    pub value: String,
}

impl StoredSignature {
    /// The text stored in D1's `certificates.signature`.
    pub fn to_stored(&self) -> String {
        format!("{}:{}", self.kid, self.value)
    }

    /// Reads the stored text back.
    pub fn from_stored(stored: &str) -> Option<StoredSignature> {
        let (kid, value) = stored.split_once(':')?;
        Some(StoredSignature {
            kid: kid.to_owned(),
            value: value.to_owned(),
        })
    }

    /// The self-contained document a buyer or an auditor verifies offline.
    pub fn document(&self, certificate_json: &str) -> String {
        leadform_verify::document(certificate_json, &self.kid, &self.value)
    }
}

impl CertificateSigner {
    /// Reads `CERTIFICATE_SIGNING_KEY` (`kid:base64` of a 32-byte seed).
    pub fn from_config(value: &str) -> Result<CertificateSigner, KeyConfigError> {
        let (kid, seed) = parse_entry(SIGNING_KEY_SECRET, value.trim())?;
        Ok(CertificateSigner {
            kid,
            key: leadform_verify::signing_key(&seed),
        })
    }

    /// From a key id and a seed (tests, `cargo xtask keys`).
    pub fn new(kid: &str, seed: &[u8; 32]) -> CertificateSigner {
        CertificateSigner {
            kid: kid.to_owned(),
            key: leadform_verify::signing_key(seed),
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public_key(&self) -> Ed25519VerifyingKey {
        self.key.verifying_key()
    }

    /// The `CERTIFICATE_PUBLIC_KEYS` entry that keeps this key published
    /// after it is retired.
    pub fn public_entry(&self) -> String {
        format!(
            "{}:{}",
            self.kid,
            STANDARD.encode(self.public_key().as_bytes())
        )
    }

    /// Signs a certificate's exact stored bytes.
    pub fn sign(&self, certificate_json: &str) -> StoredSignature {
        StoredSignature {
            kid: self.kid.clone(),
            value: leadform_verify::signature_text(&leadform_verify::sign(
                &self.key,
                certificate_json,
            )),
        }
    }
}

/// The key set to publish: the signer's public key first (when one is
/// configured), then every `CERTIFICATE_PUBLIC_KEYS` entry.
pub fn published_keys(
    signer: Option<&CertificateSigner>,
    public_keys: Option<&str>,
) -> Result<KeySet, KeyConfigError> {
    let mut set = KeySet::new();
    if let Some(signer) = signer {
        set.insert(signer.kid(), signer.public_key());
    }
    for entry in public_keys
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (kid, bytes) = parse_entry(PUBLIC_KEYS_VAR, entry)?;
        let key = Ed25519VerifyingKey::from_bytes(&bytes)
            .map_err(|_| KeyConfigError::NotAPublicKey { kid: kid.clone() })?;
        match set.get(&kid) {
            Some(existing) if *existing != key => {
                return Err(KeyConfigError::KeyIdRepeated { kid })
            }
            Some(_) => {}
            None => set.insert(&kid, key),
        }
    }
    Ok(set)
}

/// `kid:base64` of 32 bytes (standard or URL-safe alphabet, padded or not).
fn parse_entry(setting: &'static str, entry: &str) -> Result<(String, [u8; 32]), KeyConfigError> {
    let (kid, encoded) = entry
        .split_once(':')
        .ok_or_else(|| KeyConfigError::Malformed {
            setting,
            kid: String::new(),
        })?;
    let kid = kid.trim();
    if !valid_kid(kid) {
        return Err(KeyConfigError::KeyIdInvalid {
            setting,
            kid: kid.to_owned(),
        });
    }
    let encoded = encoded.trim().as_bytes();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(encoded).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .map(|bytes| (kid.to_owned(), bytes))
        .ok_or_else(|| KeyConfigError::Malformed {
            setting,
            kid: kid.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadform_verify::{verify_document, VerifyError};

    // base64 of 32 bytes of '1' and '2'.
    const SEED_1: &str = "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=";
    const SEED_2: &str = "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI=";

    #[test]
    fn configurations() {
        let one = CertificateSigner::from_config(&format!(" e1:{SEED_1} ")).unwrap();
        assert_eq!(one.kid(), "e1");
        assert!(!format!("{one:?}").contains(SEED_1));
        let cases: [(&str, KeyConfigError); 4] = [
            (
                SEED_1,
                KeyConfigError::Malformed {
                    setting: SIGNING_KEY_SECRET,
                    kid: String::new(),
                },
            ),
            (
                "e1:c2hvcnQ=",
                KeyConfigError::Malformed {
                    setting: SIGNING_KEY_SECRET,
                    kid: "e1".into(),
                },
            ),
            (
                "e/1:MTEx",
                KeyConfigError::KeyIdInvalid {
                    setting: SIGNING_KEY_SECRET,
                    kid: "e/1".into(),
                },
            ),
            (
                "",
                KeyConfigError::Malformed {
                    setting: SIGNING_KEY_SECRET,
                    kid: String::new(),
                },
            ),
        ];
        for (value, expected) in cases {
            let error = CertificateSigner::from_config(value).unwrap_err();
            assert_eq!(error, expected, "{value}");
            assert_eq!(error.setting(), SIGNING_KEY_SECRET);
        }
        let retired = one.public_entry();
        let two = CertificateSigner::from_config(&format!("e2:{SEED_2}")).unwrap();
        let set = published_keys(Some(&two), Some(&format!("{retired}, {retired}"))).unwrap();
        assert_eq!(set.kids().collect::<Vec<_>>(), ["e2", "e1"]);
        assert_eq!(published_keys(None, None).unwrap().kids().count(), 0);
        assert_eq!(
            published_keys(
                Some(&two),
                Some(&format!(
                    "e2:{}",
                    one.public_entry().split_once(':').unwrap().1
                ))
            ),
            Err(KeyConfigError::KeyIdRepeated { kid: "e2".into() })
        );
    }

    #[test]
    fn a_stored_certificate_becomes_a_document_anyone_verifies() {
        let (_, _, certificates) = crate::record::tests::sample_lead();
        let json = serde_json::to_string(&certificates[0]).unwrap();
        let e1 = CertificateSigner::new("e1", &[1; 32]);
        let e2 = CertificateSigner::new("e2", &[2; 32]);
        let signed_by_e1 = e1.sign(&json);
        let stored = signed_by_e1.to_stored();
        assert_eq!(
            StoredSignature::from_stored(&stored),
            Some(signed_by_e1.clone())
        );
        let doc = signed_by_e1.document(&json);
        // After the rotation to e2, e1 stays published and its certificates verify.
        let keys = published_keys(Some(&e2), Some(&e1.public_entry())).unwrap();
        let jwks = keys.to_jwks().to_string();
        let from_json = KeySet::from_jwks(jwks.as_bytes()).unwrap();
        let verified = verify_document(doc.as_bytes(), &from_json).unwrap();
        assert_eq!(verified.kid, "e1");
        assert_eq!(verified.certificate_id(), Some("cert_1"));
        assert_eq!(verified.certificate_json, json);
        // Without e1 published: an unknown key, not a silent pass.
        let only_e2 = published_keys(Some(&e2), None).unwrap();
        assert_eq!(
            verify_document(doc.as_bytes(), &only_e2).map(|v| v.kid),
            Err(VerifyError::KeyUnknown("e1".into()))
        );
    }
}
