//! What the widget keeps in the visitor's browser between visits, per form:
//! the first-party visitor id, the ids of fields already answered, prefill
//! values (only for fields whose spec sets `prefill = true`) and a submission
//! that could not be delivered yet.
//!
//! Field *values* are never stored unless the spec opts in per field; the
//! pending submission is the one exception, kept only until it is delivered.
//! Storage failures are ignored: the form then behaves like a first visit.

use leadform_shared::{concat, FieldMap, FieldValue};
use serde::{Deserialize, Serialize};

use crate::platform;

/// Key of the visitor id, shared by every Leadform form on the site.
pub const VISITOR_KEY: &str = "leadform:v1:visitor";

fn key(kind: &str, form_id: &str) -> String {
    concat(&["leadform:v1:", kind, ":", form_id])
}

/// The visitor id kept in `localStorage`, created on first use. Without
/// storage a fresh id is used for this page view.
pub fn visitor_id() -> String {
    if let Some(id) = platform::load(VISITOR_KEY).filter(|id| is_token(id)) {
        return id;
    }
    let id = platform::random_token().unwrap_or_else(|_| fallback_token());
    platform::save(VISITOR_KEY, &id);
    id
}

/// An id when `crypto` is unavailable (very old browsers): clock + Math.random.
pub fn fallback_token() -> String {
    let mut bytes = [0u8; 16];
    let now = platform::now_ms().to_le_bytes();
    bytes[..8].copy_from_slice(&now);
    for byte in &mut bytes[8..] {
        *byte = (js_sys::Math::random() * 256.0) as u8;
    }
    platform::base64url(&bytes)
}

/// Whether `id` has the envelope's id shape (8-64 of `A-Za-z0-9_-`).
pub fn is_token(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Reads the item `key` as a `T` (`None` when absent, unreadable or of
/// another shape: the form then behaves like a first visit).
fn load<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    platform::from_json(&platform::load(key)?)
}

/// Writes `value` as JSON under `key`; `false` when storage is unavailable.
fn save<T: Serialize>(key: &str, value: &T) -> bool {
    platform::to_json(value).is_some_and(|json| platform::save(key, &json))
}

/// Field ids already answered on this device for `form_id`, sorted.
pub fn known_fields(form_id: &str) -> Vec<String> {
    let mut known = Vec::new();
    add_sorted(
        &mut known,
        load::<Vec<String>>(&key("known", form_id)).unwrap_or_default(),
    );
    known
}

/// Adds `ids` to the sorted, repeat-free list `known`.
pub fn add_sorted(known: &mut Vec<String>, ids: impl IntoIterator<Item = String>) {
    for id in ids {
        if let Err(at) = known.binary_search(&id) {
            known.insert(at, id);
        }
    }
}

/// Adds `ids` to the answered set of `form_id` (stored as a sorted array).
pub fn add_known_fields(form_id: &str, ids: impl IntoIterator<Item = String>) {
    let mut known = known_fields(form_id);
    add_sorted(&mut known, ids);
    save(&key("known", form_id), &known);
}

/// Values kept for prefill (only fields with `prefill = true` are ever written).
pub fn prefill_values(form_id: &str) -> FieldMap<FieldValue> {
    load(&key("prefill", form_id)).unwrap_or_default()
}

/// Merges `values` into the prefill store of `form_id`.
pub fn save_prefill(form_id: &str, values: FieldMap<FieldValue>) {
    if values.is_empty() {
        return;
    }
    let mut stored = prefill_values(form_id);
    stored.extend(values);
    save(&key("prefill", form_id), &stored);
}

/// A submission the edge has not acknowledged yet, kept as
/// `{"envelope": "...", "answered": [...]}` (unknown keys ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The envelope JSON exactly as first sent (same `submission_id`).
    pub envelope: String,
    /// Field ids to mark as answered once it is delivered.
    pub answered: Vec<String>,
}

/// The pending submission of `form_id`, if any.
pub fn pending(form_id: &str) -> Option<Pending> {
    load(&key("pending", form_id))
}

/// Keeps `pending` until it is delivered; `false` when storage is unavailable.
pub fn save_pending(form_id: &str, pending: &Pending) -> bool {
    save(&key("pending", form_id), pending)
}

/// Forgets the pending submission of `form_id`.
pub fn clear_pending(form_id: &str) {
    platform::remove(&key("pending", form_id));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape() {
        assert!(is_token("abcdEFGH_-12"));
        assert!(!is_token("short"));
        assert!(!is_token("has space inside"));
        assert!(!is_token(&"a".repeat(65)));
    }

    #[test]
    fn pending_has_its_stored_shape() {
        let pending = Pending {
            envelope: "{\"version\":1}".into(),
            answered: vec!["email".into()],
        };
        let text = serde_json::to_string(&pending).expect("serialises");
        assert_eq!(
            text,
            r#"{"envelope":"{\"version\":1}","answered":["email"]}"#
        );
        let read: Pending = serde_json::from_str(&text).expect("reads back");
        assert_eq!(read, pending);
        // Kept by an older widget with more members: still read.
        let older = r#"{"envelope":"{}","answered":[],"sent":3}"#;
        assert!(serde_json::from_str::<Pending>(older).is_ok());
    }

    #[test]
    fn prefill_values_have_their_stored_shape() {
        let mut values = FieldMap::new();
        values.insert("a".to_owned(), FieldValue::Text("x".into()));
        values.insert("b".to_owned(), FieldValue::Bool(true));
        values.insert("c".to_owned(), FieldValue::List(vec!["1".into()]));
        let text = serde_json::to_string(&values).expect("serialises");
        assert_eq!(text, r#"{"a":"x","b":true,"c":["1"]}"#);
        let read: FieldMap<FieldValue> = serde_json::from_str(&text).expect("reads back");
        assert_eq!(read, values);
    }

    #[test]
    fn known_ids_stay_sorted_and_unique() {
        let mut known = vec!["b".to_owned()];
        add_sorted(&mut known, ["c".to_owned(), "a".to_owned(), "b".to_owned()]);
        assert_eq!(known, ["a", "b", "c"]);
    }
}
