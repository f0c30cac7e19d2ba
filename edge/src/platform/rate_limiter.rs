//! The `RateLimiter` Durable Object (one instance per counter name) and the
//! Worker-side call to it. The window logic is [`crate::antispam::rate_decide`].
//!
//! If the Durable Object cannot be reached the submission is let through and
//! the failure logged: losing a real lead is worse than letting one more
//! submission past a limit.

use wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result, State,
};

use crate::antispam::{rate_decide, RateDecision, RateQuery, RateWindow, RATE_WINDOW_MS};
use crate::error::EdgeError;

use super::{names, now_ms};

const WINDOW_KEY: &str = "window";

#[durable_object(fetch)]
pub struct RateLimiter {
    state: State,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let query: RateQuery = req.json().await?;
        let storage = self.state.storage();
        let previous: Option<RateWindow> = storage.get(WINDOW_KEY).await.ok().flatten();
        let (window, decision) = rate_decide(previous, now_ms(), query.limit, query.window_ms);
        if previous != Some(window) {
            storage.put(WINDOW_KEY, window).await?;
        }
        Response::from_json(&decision)
    }
}

/// Counts one submission against `key`; `RateLimited` when over `limit`
/// per minute.
pub(crate) async fn check(env: &Env, key: &str, limit: u32) -> std::result::Result<(), EdgeError> {
    check_window(env, key, limit, RATE_WINDOW_MS).await
}

/// [`check`] with a window of `window_ms` (the quarantine caps: an hour).
pub(crate) async fn check_window(
    env: &Env,
    key: &str,
    limit: u32,
    window_ms: u64,
) -> std::result::Result<(), EdgeError> {
    match ask(env, key, limit, window_ms).await {
        Ok(RateDecision { allowed: true, .. }) => Ok(()),
        Ok(RateDecision { retry_after_s, .. }) => Err(EdgeError::RateLimited { retry_after_s }),
        Err(error) => {
            worker::console_error!("rate limiter {key} unavailable, letting through: {error}");
            Ok(())
        }
    }
}

async fn ask(env: &Env, key: &str, limit: u32, window_ms: u64) -> Result<RateDecision> {
    let stub = env.durable_object(names::RATE_LIMITER)?.get_by_name(key)?;
    let body = serde_json::to_string(&RateQuery { limit, window_ms })
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let request = Request::new_with_init("https://rate-limiter/check", &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    response.json().await
}
