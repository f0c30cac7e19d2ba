//! The form specs compiled into this Worker by `build.rs`, and their public view.
//!
//! The server's copy of a spec is the only one ever trusted: submissions are
//! validated against it, never against anything the client sends. This module
//! looks specs up and renders the public part; it does not validate submissions.

use std::sync::OnceLock;

use leadform_shared::FormSpec;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/forms.rs"));
}

pub use embedded::FORMS_SOURCE_DIR;

/// One compiled form with its precomputed public JSON and ETag.
#[derive(Debug, Clone)]
pub struct CompiledForm {
    pub spec: FormSpec,
    /// `FormSpec::public()` as JSON: what `GET /v1/forms/{id}` returns.
    pub public_json: String,
    /// `FormSpec::public_hash()`, computed once: the spec hash envelopes must carry.
    pub public_hash: String,
    /// Strong ETag: the quoted public hash.
    pub etag: String,
}

/// Every compiled form, parsed once per isolate.
pub fn all() -> &'static [CompiledForm] {
    static FORMS: OnceLock<Vec<CompiledForm>> = OnceLock::new();
    FORMS.get_or_init(|| {
        embedded::EMBEDDED_FORMS
            .iter()
            // build.rs checked every spec; a spec that fails here would mean
            // a mismatched shared crate, and is skipped rather than panicking.
            .filter_map(|(_, json)| serde_json::from_str::<FormSpec>(json).ok())
            .map(|spec| {
                // The widget hashes the served body: keep body and hash one.
                let public_json = spec.public_json();
                let public_hash = leadform_shared::hex_sha256(public_json.as_bytes());
                CompiledForm {
                    public_json,
                    etag: format!("\"{public_hash}\""),
                    public_hash,
                    spec,
                }
            })
            .collect()
    })
}

/// The compiled form with this id.
pub fn find(id: &str) -> Option<&'static CompiledForm> {
    all().iter().find(|form| form.spec.id == id)
}

/// Whether `If-None-Match` (a list of ETags, or `*`) matches `etag`.
pub fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_spec_loads() {
        assert_eq!(
            all().len(),
            embedded::EMBEDDED_FORMS.len(),
            "from {FORMS_SOURCE_DIR}"
        );
        for form in all() {
            assert!(form.spec.check().is_ok());
            assert!(
                !form.public_json.contains("destinations"),
                "{}",
                form.spec.id
            );
            assert_eq!(find(&form.spec.id).map(|f| &f.etag), Some(&form.etag));
            // The widget sends the hash of the body it was served.
            assert_eq!(form.public_hash, form.spec.public_hash());
            // The widget reads the body with the same serde derive (through
            // the browser's JSON.parse and serde-wasm-bindgen).
            let served: FormSpec =
                serde_json::from_str(&form.public_json).expect("public JSON reads back");
            assert_eq!(served, form.spec.public());
        }
        assert!(find("no-such-form").is_none());
    }

    #[test]
    fn etag_matching() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("W/\"x\", \"abc\"", "\"abc\""));
        assert!(etag_matches("*", "\"abc\""));
        assert!(!etag_matches("\"abd\"", "\"abc\""));
    }
}
