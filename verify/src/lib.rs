//! Leadform's consent-certificate documents: the self-contained file a buyer
//! or an auditor receives, and its offline check against the published
//! Ed25519 public keys (`/.well-known/leadform-keys.json`, a JWKS).
//!
//! A document is one JSON object, written by [`document`] exactly as:
//!
//! ```text
//! {"format":"leadform-consent-certificate/1","certificate":<the stored certificate JSON, byte for byte>,
//!  "signature":{"alg":"EdDSA","kid":"<key id>","value":"<base64url, no padding>"}}
//! ```
//!
//! (on one line). The signature is Ed25519 over [`SIGNING_CONTEXT`] followed
//! by the certificate's exact bytes as they stand in the document, so
//! [`verify_document`] checks the bytes it was given, not a re-serialisation:
//! any changed byte of the certificate, the key id or the signature is
//! refused, and so is any change to the rest of the document (unknown or
//! duplicate members, another format or algorithm). Verification is strict
//! (`verify_strict`: no malleable signatures, no weak keys).
//!
//! This crate holds the format and the check only: no I/O, no clock, no
//! platform crates, so the Worker, `cargo xtask verify-certificate` and a
//! browser all use the same code. Key storage, rotation and serving are the
//! edge's (`leadform_edge::keys`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The `format` member of every document this crate writes and reads.
pub const DOCUMENT_FORMAT: &str = "leadform-consent-certificate/1";

/// The JOSE algorithm name of the signature (Ed25519, RFC 8037).
pub const SIGNATURE_ALGORITHM: &str = "EdDSA";

/// Prefixed to the certificate bytes before signing, so a certificate
/// signature can never be taken for a signature over anything else.
pub const SIGNING_CONTEXT: &[u8] = b"leadform consent certificate v1\n";

/// Why a document or a key set was refused. Each has a stable machine code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The document is not a certificate document (not JSON, a member
    /// missing, unknown or repeated, the certificate not an object).
    DocumentMalformed(String),
    /// The document names a format this verifier does not know.
    FormatUnknown(String),
    /// The signature names an algorithm other than `EdDSA`.
    AlgorithmUnsupported(String),
    /// The signature value is not 64 bytes of unpadded base64url.
    SignatureMalformed,
    /// No published key has the document's key id.
    KeyUnknown(String),
    /// The signature does not match the certificate under the named key.
    SignatureInvalid { kid: String },
    /// The key set is not a JWKS of Ed25519 keys.
    KeysMalformed(String),
}

impl VerifyError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::DocumentMalformed(_) => "certificate.malformed",
            VerifyError::FormatUnknown(_) => "certificate.format_unknown",
            VerifyError::AlgorithmUnsupported(_) => "signature.algorithm_unsupported",
            VerifyError::SignatureMalformed => "signature.malformed",
            VerifyError::KeyUnknown(_) => "signature.key_unknown",
            VerifyError::SignatureInvalid { .. } => "signature.invalid",
            VerifyError::KeysMalformed(_) => "keys.malformed",
        }
    }
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyError::DocumentMalformed(why) => {
                write!(f, "not a Leadform certificate document: {why}")
            }
            VerifyError::FormatUnknown(format) => {
                write!(f, "unknown document format `{format}` (expected `{DOCUMENT_FORMAT}`)")
            }
            VerifyError::AlgorithmUnsupported(alg) => {
                write!(f, "unsupported signature algorithm `{alg}` (expected `{SIGNATURE_ALGORITHM}`)")
            }
            VerifyError::SignatureMalformed => {
                f.write_str("the signature is not 64 bytes of unpadded base64url")
            }
            VerifyError::KeyUnknown(kid) => write!(
                f,
                "no public key with id `{kid}` in the key set (is it the issuer's current leadform-keys.json?)"
            ),
            VerifyError::SignatureInvalid { kid } => write!(
                f,
                "BAD SIGNATURE: the certificate was changed or not signed by key `{kid}`"
            ),
            VerifyError::KeysMalformed(why) => write!(f, "not an Ed25519 key set (JWKS): {why}"),
        }
    }
}

impl std::error::Error for VerifyError {}

/// The published public keys, by key id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySet {
    keys: Vec<(String, VerifyingKey)>,
}

impl KeySet {
    /// An empty key set.
    pub fn new() -> KeySet {
        KeySet::default()
    }

    /// Adds (or replaces) the key with id `kid`.
    pub fn insert(&mut self, kid: &str, key: VerifyingKey) {
        self.keys.retain(|(k, _)| k != kid);
        self.keys.push((kid.to_owned(), key));
    }

    /// The key with id `kid`.
    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key)
    }

    /// The key ids, in insertion order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(kid, _)| kid.as_str())
    }

    /// Reads a JWKS (`{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid", "x"}, ...]}`).
    /// Keys of other types are skipped (a JWKS may hold them); an Ed25519
    /// key without a `kid`, with a malformed `x`, or an invalid point is refused.
    pub fn from_jwks(json: &[u8]) -> Result<KeySet, VerifyError> {
        #[derive(Deserialize)]
        struct Jwks {
            keys: Vec<Jwk>,
        }
        #[derive(Deserialize)]
        struct Jwk {
            kty: String,
            crv: Option<String>,
            kid: Option<String>,
            x: Option<String>,
        }
        let jwks: Jwks =
            serde_json::from_slice(json).map_err(|e| VerifyError::KeysMalformed(e.to_string()))?;
        let mut set = KeySet::new();
        for jwk in jwks.keys {
            if jwk.kty != "OKP" || jwk.crv.as_deref() != Some("Ed25519") {
                continue;
            }
            let kid = jwk
                .kid
                .filter(|k| !k.is_empty())
                .ok_or_else(|| VerifyError::KeysMalformed("an Ed25519 key has no kid".into()))?;
            let x = jwk
                .x
                .ok_or_else(|| VerifyError::KeysMalformed(format!("key `{kid}` has no x")))?;
            let bytes: [u8; 32] = URL_SAFE_NO_PAD
                .decode(x.as_bytes())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    VerifyError::KeysMalformed(format!(
                        "key `{kid}`: x is not 32 bytes of base64url"
                    ))
                })?;
            let key = VerifyingKey::from_bytes(&bytes).map_err(|_| {
                VerifyError::KeysMalformed(format!("key `{kid}` is not an Ed25519 public key"))
            })?;
            if set.get(&kid).is_some() {
                return Err(VerifyError::KeysMalformed(format!(
                    "key id `{kid}` appears twice"
                )));
            }
            set.insert(&kid, key);
        }
        Ok(set)
    }

    /// The JWKS served at `/.well-known/leadform-keys.json`.
    pub fn to_jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .keys
            .iter()
            .map(|(kid, key)| {
                serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": SIGNATURE_ALGORITHM,
                    "use": "sig",
                    "kid": kid,
                    "x": URL_SAFE_NO_PAD.encode(key.as_bytes()),
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

/// What the signature covers: [`SIGNING_CONTEXT`] + the certificate's bytes.
pub fn signed_message(certificate_json: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNING_CONTEXT.len() + certificate_json.len());
    message.extend_from_slice(SIGNING_CONTEXT);
    message.extend_from_slice(certificate_json);
    message
}

/// Signs the certificate's exact bytes (deterministic, RFC 8032).
pub fn sign(key: &SigningKey, certificate_json: &str) -> Signature {
    key.sign(&signed_message(certificate_json.as_bytes()))
}

/// The signature value as documents carry it (unpadded base64url).
pub fn signature_text(signature: &Signature) -> String {
    URL_SAFE_NO_PAD.encode(signature.to_bytes())
}

/// The document for a stored certificate (`certificate_json`, a JSON object
/// as the edge stored it) and its signature `value` ([`signature_text`]) by
/// key `kid`. Built by concatenation so the certificate's bytes stay exactly
/// the signed ones.
pub fn document(certificate_json: &str, kid: &str, value: &str) -> String {
    let kid = serde_json::Value::from(kid).to_string();
    let value = serde_json::Value::from(value).to_string();
    format!(
        "{{\"format\":\"{DOCUMENT_FORMAT}\",\"certificate\":{certificate_json},\"signature\":{{\"alg\":\"{SIGNATURE_ALGORITHM}\",\"kid\":{kid},\"value\":{value}}}}}"
    )
}

/// A document whose signature checked out.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The key that signed it.
    pub kid: String,
    /// The certificate as signed (its exact bytes).
    pub certificate_json: String,
    /// The same, parsed.
    pub certificate: serde_json::Value,
}

impl Verified {
    /// The certificate's id, when it has one.
    pub fn certificate_id(&self) -> Option<&str> {
        self.certificate.get("certificate_id")?.as_str()
    }
}

/// Checks a document against the published keys.
pub fn verify_document(document: &[u8], keys: &KeySet) -> Result<Verified, VerifyError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Document<'a> {
        format: String,
        #[serde(borrow)]
        certificate: &'a RawValue,
        signature: DocumentSignature,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct DocumentSignature {
        alg: String,
        kid: String,
        value: String,
    }
    let parsed: Document<'_> = serde_json::from_slice(document)
        .map_err(|e| VerifyError::DocumentMalformed(e.to_string()))?;
    if parsed.format != DOCUMENT_FORMAT {
        return Err(VerifyError::FormatUnknown(parsed.format));
    }
    let certificate_json = parsed.certificate.get();
    let certificate: serde_json::Value = serde_json::from_str(certificate_json)
        .map_err(|e| VerifyError::DocumentMalformed(e.to_string()))?;
    if !certificate.is_object() {
        return Err(VerifyError::DocumentMalformed(
            "the certificate is not a JSON object".into(),
        ));
    }
    let signature = parsed.signature;
    if signature.alg != SIGNATURE_ALGORITHM {
        return Err(VerifyError::AlgorithmUnsupported(signature.alg));
    }
    // The strict engine refuses non-zero trailing bits, so one signature has
    // exactly one spelling.
    let bytes: [u8; 64] = URL_SAFE_NO_PAD
        .decode(signature.value.as_bytes())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(VerifyError::SignatureMalformed)?;
    let key = keys
        .get(&signature.kid)
        .ok_or_else(|| VerifyError::KeyUnknown(signature.kid.clone()))?;
    key.verify_strict(
        &signed_message(certificate_json.as_bytes()),
        &Signature::from_bytes(&bytes),
    )
    .map_err(|_| VerifyError::SignatureInvalid {
        kid: signature.kid.clone(),
    })?;
    Ok(Verified {
        kid: signature.kid,
        certificate_json: certificate_json.to_owned(),
        certificate,
    })
}

/// The signing key from its 32-byte seed.
pub fn signing_key(seed: &[u8; 32]) -> SigningKey {
    SigningKey::from_bytes(seed)
}

pub use ed25519_dalek::{
    Signature as Ed25519Signature, SigningKey as Ed25519SigningKey,
    VerifyingKey as Ed25519VerifyingKey,
};

#[cfg(test)]
mod tests {
    use super::*;

    const CERTIFICATE: &str =
        r#"{"certificate_id":"cert_1","lead_id":"lead_1","covered":{"email":"ann@example.com"}}"#;

    fn keys() -> (SigningKey, KeySet) {
        let key = signing_key(&[7; 32]);
        let mut set = KeySet::new();
        set.insert("k1", key.verifying_key());
        (key, set)
    }

    #[test]
    fn rfc8032_test_1() {
        // RFC 8032, section 7.1, TEST 1 (empty message).
        let seed: [u8; 32] =
            hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .try_into()
                .unwrap();
        let key = signing_key(&seed);
        assert_eq!(
            key.verifying_key().as_bytes().to_vec(),
            hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        assert_eq!(
            key.sign(b"").to_bytes().to_vec(),
            hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        );
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn a_signed_document_verifies_and_round_trips_its_keys() {
        let (key, set) = keys();
        let doc = document(CERTIFICATE, "k1", &signature_text(&sign(&key, CERTIFICATE)));
        let verified = verify_document(doc.as_bytes(), &set).unwrap();
        assert_eq!(verified.kid, "k1");
        assert_eq!(verified.certificate_json, CERTIFICATE);
        assert_eq!(verified.certificate_id(), Some("cert_1"));
        let jwks = set.to_jwks().to_string();
        assert_eq!(KeySet::from_jwks(jwks.as_bytes()).unwrap(), set);
    }

    #[test]
    fn refusals_are_typed() {
        let (key, set) = keys();
        let value = signature_text(&sign(&key, CERTIFICATE));
        let good = document(CERTIFICATE, "k1", &value);
        let other = signing_key(&[9; 32]);
        let cases: Vec<(String, &str)> = vec![
            ("not json".into(), "certificate.malformed"),
            ("{}".into(), "certificate.malformed"),
            (
                good.replacen("\"format\"", "\"extra\":1,\"format\"", 1),
                "certificate.malformed",
            ),
            (
                good.replacen("\"signature\"", "\"format\":\"x\",\"signature\"", 1),
                "certificate.malformed",
            ),
            (
                good.replace(DOCUMENT_FORMAT, "leadform-consent-certificate/2"),
                "certificate.format_unknown",
            ),
            (
                good.replace("\"EdDSA\"", "\"HS256\""),
                "signature.algorithm_unsupported",
            ),
            (good.replace(&value, "AAAA"), "signature.malformed"),
            (good.replace("\"k1\"", "\"k0\""), "signature.key_unknown"),
            (
                document(
                    CERTIFICATE,
                    "k1",
                    &signature_text(&sign(&other, CERTIFICATE)),
                ),
                "signature.invalid",
            ),
            (good.replace("ann@", "bob@"), "signature.invalid"),
            (document("[1]", "k1", &value), "certificate.malformed"),
        ];
        for (doc, code) in cases {
            let error = verify_document(doc.as_bytes(), &set).unwrap_err();
            assert_eq!(error.code(), code, "{doc}: {error}");
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn key_sets_are_checked() {
        let cases: [(&str, Result<usize, &str>); 6] = [
            (r#"{"keys":[]}"#, Ok(0)),
            (
                r#"{"keys":[{"kty":"RSA","kid":"r","n":"x","e":"AQAB"}]}"#,
                Ok(0),
            ),
            (
                r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#,
                Err("keys.malformed"),
            ),
            (
                r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"AAAA"}]}"#,
                Err("keys.malformed"),
            ),
            (
                r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#,
                Err("keys.malformed"),
            ),
            ("[]", Err("keys.malformed")),
        ];
        for (json, expected) in cases {
            let got = KeySet::from_jwks(json.as_bytes())
                .map(|set| set.kids().count())
                .map_err(|e| e.code());
            assert_eq!(got, expected, "{json}");
        }
    }
}
