//! Any change to a signed certificate document is detected: every single-bit
//! flip of the serialised document (exhaustively), and random multi-byte
//! corruptions (proptest), are refused by `verify_document`, while the
//! untouched document verifies.

use leadform_verify::{document, sign, signature_text, signing_key, verify_document, KeySet};
use proptest::prelude::*;

/// A certificate shaped like the edge's (`leadform_edge::record::ConsentCertificate`),
/// with escapes and non-ASCII text, as serde_json writes it.
const CERTIFICATE: &str = concat!(
    r#"{"certificate_id":"cert_01JD0000000000000000000000","lead_id":"lead_01JD0000000000000000000000","#,
    r#""form_id":"contact","visitor_id":"vis_12345678","consent":{"consent_id":"tcpa","version":"2026-01","#,
    r#""checked":true,"channels":["sms","phone"],"disclosure_text":"Jürgen says \"yes\": call me at\nthe number above — 0–9 only.","#,
    r#""disclosure_sha256":"8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4","captured_at_ms":1700000000000},"#,
    r#""covered":{"phone":"+14155550123"},"disclosure_sha256":"8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4","#,
    r#""consent_record_sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","legal_basis":"consent","#,
    r#""evidence":{"received_at":"2023-11-14T22:13:20.123Z","received_at_ms":1700000000123,"ip":"203.0.113.7","#,
    r#""user_agent":"Mozilla/5.0 (X11; Linux x86_64)","country":"DE","page_url":"https://shop.example/contact?utm=a&b=c","#,
    r#""origin":"https://shop.example"}}"#
);

fn signed() -> (String, KeySet) {
    let current = signing_key(&[0x42; 32]);
    // Two keys whose ids differ in one bit ('1' = 0x31, '3' = 0x33): a flip
    // of the key id lands on the other, real key and must still be refused.
    let other = signing_key(&[0x43; 32]);
    let mut keys = KeySet::new();
    keys.insert("k1", current.verifying_key());
    keys.insert("k3", other.verifying_key());
    let doc = document(
        CERTIFICATE,
        "k1",
        &signature_text(&sign(&current, CERTIFICATE)),
    );
    (doc, keys)
}

#[test]
fn the_untouched_document_verifies() {
    let (doc, keys) = signed();
    let verified = verify_document(doc.as_bytes(), &keys).expect("verifies");
    assert_eq!(verified.certificate_json, CERTIFICATE);
}

#[test]
fn every_single_bit_flip_is_detected() {
    let (doc, keys) = signed();
    let bytes = doc.into_bytes();
    let mut codes = std::collections::BTreeMap::<&str, usize>::new();
    for index in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.clone();
            flipped[index] ^= 1 << bit;
            match verify_document(&flipped, &keys) {
                Ok(_) => panic!(
                    "flipping bit {bit} of byte {index} ({:?}) went undetected",
                    bytes[index] as char
                ),
                Err(error) => *codes.entry(error.code()).or_default() += 1,
            }
        }
    }
    // Flips inside the certificate reach the signature check.
    assert!(
        codes.get("signature.invalid").copied().unwrap_or(0) > 1000,
        "{codes:?}"
    );
    eprintln!(
        "single-bit flips of {} bytes, refused as: {codes:?}",
        bytes.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Several bytes overwritten at random positions: still refused.
    #[test]
    fn random_corruptions_are_detected(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..6)
    ) {
        let (doc, keys) = signed();
        let mut bytes = doc.into_bytes();
        for (index, mask) in &edits {
            let i = index.index(bytes.len());
            bytes[i] ^= mask;
        }
        // Edits at one position can cancel out; only a changed document counts.
        prop_assume!(bytes != signed().0.into_bytes());
        prop_assert!(verify_document(&bytes, &keys).is_err());
    }
}
