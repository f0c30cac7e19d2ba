//! The owner API as the console calls it: same-origin `fetch` with the
//! owner's bearer token, JSON read with `Response.json()` and
//! serde-wasm-bindgen, and the edge's typed error bodies turned into
//! [`ApiError`]s the views can show.
//!
//! The token lives in `sessionStorage` (entered once per browser session,
//! gone when the tab closes). This module must not render anything.

use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const TOKEN_KEY: &str = "leadform.console.token";

/// Why an API call did not give what was asked.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer at all (offline, the Worker down).
    Network,
    /// 401: the token is missing, wrong or revoked.
    Unauthorized,
    /// 403: the token lacks the scope this action needs.
    Forbidden { code: String },
    /// Any other refusal: the edge's stable code and message.
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// A 2xx whose body is not what the console expects.
    Unreadable,
}

impl ApiError {
    /// What the console says about it.
    pub fn text(&self) -> String {
        match self {
            ApiError::Network => "The Worker did not answer. Check your connection.".to_owned(),
            ApiError::Unauthorized => "The token was refused. Enter it again.".to_owned(),
            ApiError::Forbidden { code } => {
                format!("This token may not do that ({code}).")
            }
            ApiError::Refused {
                status,
                code,
                message,
            } => format!("{message} ({code}, HTTP {status})"),
            ApiError::Unreadable => "The answer could not be read.".to_owned(),
        }
    }
}

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The token kept for this browser session.
pub fn stored_token() -> Option<String> {
    session()?
        .get_item(TOKEN_KEY)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

pub fn store_token(token: &str) {
    if let Some(storage) = session() {
        let _ = storage.set_item(TOKEN_KEY, token);
    }
}

pub fn forget_token() {
    if let Some(storage) = session() {
        let _ = storage.remove_item(TOKEN_KEY);
    }
}

/// The answer of a call: status, and the body as text.
struct Answer {
    status: u16,
    response: web_sys::Response,
}

async fn call(
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Result<Answer, ApiError> {
    let window = web_sys::window().ok_or(ApiError::Network)?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| ApiError::Network)?;
    let _ = headers.set("Authorization", &format!("Bearer {token}"));
    if let Some(body) = body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(&body.to_string()));
    }
    init.set_headers(&headers);
    let request =
        web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| ApiError::Network)?;
    let response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| ApiError::Network)?
        .dyn_into::<web_sys::Response>()
        .map_err(|_| ApiError::Network)?;
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(Answer { status, response });
    }
    // The edge's error body: {"error": {"code": "...", "message": "..."}}.
    let body: Value = json_of(&response).await.unwrap_or(Value::Null);
    let error = &body["error"];
    let code = error["code"].as_str().unwrap_or("unknown").to_owned();
    let message = error["message"]
        .as_str()
        .unwrap_or("The request was refused.")
        .to_owned();
    Err(match status {
        401 => ApiError::Unauthorized,
        403 => ApiError::Forbidden { code },
        _ => ApiError::Refused {
            status,
            code,
            message,
        },
    })
}

async fn json_of<T: DeserializeOwned>(response: &web_sys::Response) -> Result<T, ApiError> {
    let promise = response.json().map_err(|_| ApiError::Unreadable)?;
    let value = JsFuture::from(promise)
        .await
        .map_err(|_| ApiError::Unreadable)?;
    serde_wasm_bindgen::from_value(value).map_err(|_| ApiError::Unreadable)
}

/// `GET path` read as `T`.
pub async fn get<T: DeserializeOwned>(path: &str, token: &str) -> Result<T, ApiError> {
    let answer = call("GET", path, token, None).await?;
    json_of(&answer.response).await
}

/// `GET path` as text (the CSV export).
pub async fn get_text(path: &str, token: &str) -> Result<String, ApiError> {
    let answer = call("GET", path, token, None).await?;
    let promise = answer.response.text().map_err(|_| ApiError::Unreadable)?;
    JsFuture::from(promise)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or(ApiError::Unreadable)
}

/// `POST` / `DELETE` with an optional JSON body; the answer's JSON, or null
/// for an empty one.
pub async fn send(
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Result<Value, ApiError> {
    let answer = call(method, path, token, body).await?;
    if answer.status == 204 {
        return Ok(Value::Null);
    }
    Ok(json_of(&answer.response).await.unwrap_or(Value::Null))
}

/// Offers `text` to the browser as a download named `name`.
pub fn download(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(anchor) = anchor {
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Milliseconds since the epoch, by the owner's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// An RFC 3339 time as milliseconds (`NaN`-free: 0 when unreadable).
pub fn parse_time(text: &str) -> f64 {
    let ms = js_sys::Date::parse(text);
    if ms.is_finite() {
        ms
    } else {
        0.0
    }
}
