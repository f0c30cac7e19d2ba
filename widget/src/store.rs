//! What the widget keeps in the visitor's browser between visits, per form:
//! the first-party visitor id, the ids of fields already answered, prefill
//! values (only for fields whose spec sets `prefill = true`) and a submission
//! that could not be delivered yet.
//!
//! Field *values* are never stored unless the spec opts in per field; the
//! pending submission is the one exception, kept only until it is delivered.
//! Storage failures are ignored: the form then behaves like a first visit.

use leadform_shared::json::{self, Json, JsonError};
use leadform_shared::{concat, FieldMap, FieldValue};

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

/// Field ids already answered on this device for `form_id`, sorted.
pub fn known_fields(form_id: &str) -> Vec<String> {
    platform::load(&key("known", form_id))
        .and_then(|text| json::parse(&text).ok())
        .and_then(|value| json::strings(&value, "known").ok())
        .map(|ids| {
            let mut known = Vec::new();
            add_sorted(&mut known, ids);
            known
        })
        .unwrap_or_default()
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
    let mut json = String::new();
    json::write_strs(&mut json, &known);
    platform::save(&key("known", form_id), &json);
}

/// Values kept for prefill (only fields with `prefill = true` are ever written).
pub fn prefill_values(form_id: &str) -> FieldMap<FieldValue> {
    platform::load(&key("prefill", form_id))
        .and_then(|text| json::parse(&text).ok())
        .and_then(|value| read_values(&value))
        .unwrap_or_default()
}

/// An object of field id → value; `None` when any value is malformed.
fn read_values(value: &Json) -> Option<FieldMap<FieldValue>> {
    let mut values = FieldMap::new();
    for (id, value) in json::open_object(value, "prefill").ok()? {
        values.insert(id.clone(), FieldValue::from_json(value).ok()?);
    }
    Some(values)
}

/// Merges `values` into the prefill store of `form_id`.
pub fn save_prefill(form_id: &str, values: FieldMap<FieldValue>) {
    if values.is_empty() {
        return;
    }
    let mut stored = prefill_values(form_id);
    stored.extend(values);
    let mut json = String::new();
    FieldValue::write_map_json(&mut json, &stored);
    platform::save(&key("prefill", form_id), &json);
}

/// A submission the edge has not acknowledged yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The envelope JSON exactly as first sent (same `submission_id`).
    pub envelope: String,
    /// Field ids to mark as answered once it is delivered.
    pub answered: Vec<String>,
}

/// The pending submission of `form_id`, if any.
pub fn pending(form_id: &str) -> Option<Pending> {
    let value = json::parse(&platform::load(&key("pending", form_id))?).ok()?;
    Pending::from_json(&value).ok()
}

impl Pending {
    /// `{"envelope": ..., "answered": [...]}`.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let mut object = json::Object::new(&mut out);
        object.str("envelope", &self.envelope);
        json::write_strs(object.key("answered"), &self.answered);
        object.end();
        out
    }

    /// Reads what [`Pending::to_json`] wrote (unknown keys ignored).
    pub fn from_json(value: &Json) -> Result<Pending, JsonError> {
        let m = json::open_object(value, "pending")?;
        Ok(Pending {
            envelope: json::string(json::required(m, "envelope")?, "envelope")?,
            answered: json::strings(json::required(m, "answered")?, "answered")?,
        })
    }
}

/// Keeps `pending` until it is delivered; `false` when storage is unavailable.
pub fn save_pending(form_id: &str, pending: &Pending) -> bool {
    platform::save(&key("pending", form_id), &pending.to_json())
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
    fn pending_round_trips() {
        let pending = Pending {
            envelope: "{\"version\":1}".into(),
            answered: vec!["email".into()],
        };
        let text = pending.to_json();
        assert_eq!(
            text,
            r#"{"envelope":"{\"version\":1}","answered":["email"]}"#
        );
        let read = json::parse(&text).and_then(|v| Pending::from_json(&v));
        assert_eq!(read, Ok(pending));
    }

    #[test]
    fn prefill_reads_what_it_writes() {
        let mut values = FieldMap::new();
        values.insert("a".to_owned(), FieldValue::Text("x".into()));
        values.insert("b".to_owned(), FieldValue::Bool(true));
        values.insert("c".to_owned(), FieldValue::List(vec!["1".into()]));
        let mut text = String::new();
        FieldValue::write_map_json(&mut text, &values);
        assert_eq!(text, r#"{"a":"x","b":true,"c":["1"]}"#);
        let read = json::parse(&text).ok().and_then(|v| read_values(&v));
        assert_eq!(read, Some(values));
        let broken = json::parse(r#"{"a":1}"#).ok().and_then(|v| read_values(&v));
        assert_eq!(broken, None);
    }
}
