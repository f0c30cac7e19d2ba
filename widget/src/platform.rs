//! The few browser facilities the widget needs, behind small typed functions:
//! clock, random ids, `localStorage`, the page URL and referrer, and the JSON
//! boundary (the browser's `JSON.parse`/`JSON.stringify` with
//! serde-wasm-bindgen between them and the shared serde types).
//!
//! Every function degrades instead of failing: storage may be disabled
//! (private mode, blocked cookies) and the form must still work without it.
//! This module must not know about forms or leads.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// The page's global `window`.
    #[wasm_bindgen(thread_local_v2, js_name = window)]
    static WINDOW: web_sys::Window;
}

/// The page's `window`. The widget only ever runs in a page, so this reads the
/// global by name: `web_sys::window()` would look the global object up four
/// ways and check its class, glue the widget does not need.
pub fn window() -> web_sys::Window {
    WINDOW.with(web_sys::Window::clone)
}

/// `JSON.parse(text)` read into `T` by serde-wasm-bindgen; `None` when the
/// text is not JSON or not a `T`.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

/// `value` as JSON text: serde-wasm-bindgen's JSON-compatible serializer
/// (maps as plain objects, integers as numbers) and `JSON.stringify`, which
/// writes the same bytes serde_json would for the shared types.
pub fn to_json<T: Serialize>(value: &T) -> Option<String> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let value = value.serialize(&serializer).ok()?;
    js_sys::JSON::stringify(&value).ok()?.as_string()
}

/// Calls `handler` on every `event` at `target` (the page's document), for
/// the page's lifetime. The form's own elements take their handlers in
/// `view!` (`on:`); this is for the few listeners outside its shadow root.
pub fn on(target: &web_sys::EventTarget, event: &str, handler: Box<dyn FnMut()>) {
    let closure = Closure::wrap(handler);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// Milliseconds since the Unix epoch by the visitor's clock.
pub fn now_ms() -> u64 {
    let now = js_sys::Date::now();
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

/// A random URL-safe id of 22 characters (128 bits) from `crypto.getRandomValues`.
pub fn random_token() -> Result<String, JsValue> {
    let window = window();
    let mut bytes = [0u8; 16];
    window
        .crypto()?
        .get_random_values_with_u8_array(&mut bytes)?;
    Ok(base64url(&bytes))
}

/// Unpadded base64url of `bytes`.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// Reads a `localStorage` item; `None` when absent or storage is unavailable.
pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Writes a `localStorage` item; `false` when storage is unavailable or full.
pub fn save(key: &str, value: &str) -> bool {
    storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

/// Removes a `localStorage` item (best effort).
pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// The page's URL without its fragment.
pub fn page_url() -> String {
    let href = window().location().href().unwrap_or_default();
    match href.split_once('#') {
        Some((before, _)) => before.to_owned(),
        None => href,
    }
}

/// The (first) value of the page's query parameter `name`, decoded by the
/// browser's URL parser (`+`, `%XX`).
pub fn query_param(name: &str) -> Option<String> {
    web_sys::Url::new(&page_url())
        .ok()?
        .search_params()
        .get(name)
}

/// `document.referrer`, when there is one.
pub fn referrer() -> Option<String> {
    let referrer = window().document()?.referrer();
    (!referrer.is_empty()).then_some(referrer)
}

/// `document.cookie` of the host page (read through JS reflection, so no
/// extra web-sys feature is needed).
pub fn cookies() -> Option<String> {
    let document = window().document()?;
    js_sys::Reflect::get(&document, &"cookie".into())
        .ok()?
        .as_string()
}

/// Whether the page is currently hidden (background tab).
pub fn page_hidden() -> bool {
    window()
        .document()
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden)
}

#[cfg(test)]
mod tests {
    use super::base64url;

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url(&[0u8; 16]).len(), 22);
    }
}
