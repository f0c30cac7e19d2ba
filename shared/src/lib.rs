//! Leadform's one rule set: the form spec, field validation, consent capture and
//! the submission wire format, compiled into both the widget (wasm32, browser) and
//! the edge Worker (wasm32, workerd), and natively for tests.
//!
//! This crate must stay pure: no web-sys, no worker, no I/O, no clocks, no
//! randomness. Callers pass in time and ids. Nothing here may pull in `regex`,
//! ICU data or libphonenumber: the widget's size budget depends on it.

pub mod analytics;
pub mod consent;
pub mod country;
pub mod distribution;
pub mod email;
pub mod envelope;
pub mod error;
pub mod fieldmap;
pub mod messages;
pub mod nfc;
pub mod phone;
pub mod postal;
pub mod profiling;
pub mod routing;
pub mod scoring;
pub mod spec;
pub mod text;
pub mod unicode;
pub mod validate;

pub use consent::{ConsentBlock, ConsentChannel, ConsentRecord, LegalBasis};
pub use country::Country;
pub use envelope::{EnvelopeError, SubmissionEnvelope};
pub use error::{ErrorCode, FieldIssue};
pub use fieldmap::FieldMap;
pub use messages::Lang;
pub use profiling::{select_fields, Selection};
pub use spec::{FieldKind, FieldSpec, FormSpec, SpecError, SpecErrors};
pub use validate::{validate_field, validate_submission, CleanSubmission, FieldValue};

/// Lower-case hex SHA-256 of `bytes`: the one hash format used for spec hashes,
/// disclosure hashes and consent record hashes.
pub fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    let mut hex = Vec::with_capacity(64);
    for byte in digest {
        hex.push(HEX[usize::from(byte >> 4)]);
        hex.push(HEX[usize::from(byte & 0x0f)]);
    }
    // Only ASCII hex digits were pushed.
    String::from_utf8(hex).unwrap_or_default()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The pieces one after the other, in one allocation: the widget's way of
/// building ids, keys and normalised values, since `format!` and
/// `[&str]::concat` would link `core::fmt` and the generic join code into it.
pub fn concat(pieces: &[&str]) -> String {
    let mut joined = String::with_capacity(pieces.iter().map(|piece| piece.len()).sum());
    for piece in pieces {
        joined.push_str(piece);
    }
    joined
}
