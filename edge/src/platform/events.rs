//! `POST /v1/forms/{id}/events`: the loader's `mount_failed` beacon (the
//! widget could not start, the basic form was shown), counted per form and
//! cause in D1. Sent with `navigator.sendBeacon` (text/plain, no preflight);
//! the answer is for developers only, the loader never reads it.
//!
//! Checks here, in order: the form exists, content type, size, the page's
//! origin is one the form allows, a known event and cause
//! ([`crate::events::parse_beacon`]), the per-IP rate limit. It must not
//! store anything but the count.

use worker::{Env, Request, Response, Result};

use crate::error::EdgeError;
use crate::events::{parse_beacon, MAX_EVENT_BYTES};
use crate::{cors, forms, time};

use super::http::{error_response, header, json_response};
use super::{names, now_ms, rate_limiter, store};

pub(crate) async fn handle(mut req: Request, env: Env, form_id: &str) -> Result<Response> {
    let origin = header(&req, "Origin");
    let Some(form) = forms::find(form_id) else {
        return error_response(&EdgeError::FormNotFound, None);
    };
    let allow_origin = cors::allow_origin_for(&form.spec, origin.as_deref());
    match count(&mut req, &env, form, origin.as_deref()).await {
        Ok(cause) => json_response(
            202,
            &serde_json::json!({ "counted": cause }),
            allow_origin.as_deref(),
        ),
        Err(error) => error_response(&error, allow_origin.as_deref()),
    }
}

async fn count(
    req: &mut Request,
    env: &Env,
    form: &forms::CompiledForm,
    origin: Option<&str>,
) -> std::result::Result<&'static str, EdgeError> {
    let announced = header(req, "Content-Length").and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|len| len > MAX_EVENT_BYTES) {
        return Err(EdgeError::PayloadTooLarge {
            limit: MAX_EVENT_BYTES,
        });
    }
    let content_type = header(req, "Content-Type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if media_type != "text/plain" && media_type != "application/json" {
        return Err(EdgeError::ContentTypeUnsupported);
    }
    if !cors::origin_allowed(&form.spec, origin) {
        return Err(EdgeError::OriginNotAllowed);
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| EdgeError::ContentTypeUnsupported)?;
    let cause = parse_beacon(&body)?;
    let ip = header(req, "CF-Connecting-IP");
    let key = format!(
        "events:{}:{}",
        form.spec.id,
        ip.as_deref().unwrap_or("unknown")
    );
    rate_limiter::check(env, &key, form.spec.anti_spam.per_ip_per_minute).await?;
    let db = env
        .d1(names::DB)
        .map_err(|e| EdgeError::StorageUnavailable(e.to_string()))?;
    store::count_mount_failure(
        &db,
        &form.spec.id,
        cause.as_str(),
        &time::rfc3339_ms(now_ms()),
    )
    .await?;
    Ok(cause.as_str())
}
