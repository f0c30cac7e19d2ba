//! Request dispatch and response helpers: JSON bodies, error bodies, CORS
//! headers, static assets fallback.

use leadform_shared::messages::catalog_json;
use leadform_shared::Lang;
use worker::{Context, Env, Headers, Request, Response, Result};

use crate::error::EdgeError;
use crate::routes::{route, Route};
use crate::{cors, forms};

use super::{events, keys, names, owner, submit};

pub(crate) async fn handle(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let method = req.method().to_string();
    let path = req.path();
    match route(&method, &path) {
        Route::Asset => match env.assets(names::ASSETS) {
            Ok(assets) => assets.fetch_request(req).await,
            Err(_) => error_response(&EdgeError::NotFound, None),
        },
        Route::Preflight => preflight(&req),
        Route::FormSpec(id) => form_spec(&req, &id),
        Route::Catalog(tag) => catalog(&tag),
        Route::FormEvent(id) => events::handle(req, env, &id).await,
        Route::Events => super::analytics::beacon(req, env).await,
        Route::Submit => submit::handle(req, env, &ctx).await,
        Route::PublicKeys => keys::public_keys(&env),
        // A CRM's signed status update; with a bearer token it is an owner route.
        Route::LeadStatus(id) if super::lead_status::is_signed(&req) => {
            super::lead_status::handle_signed(req, env, id).await
        }
        // A buyer's signed return: the buyer's credential, never an owner's.
        Route::LeadReturns(id) => super::distribution::handle_return(req, env, id).await,
        Route::MethodNotAllowed => error_response(&EdgeError::MethodNotAllowed, None),
        owner_route => owner::handle(req, env, owner_route).await,
    }
}

fn preflight(req: &Request) -> Result<Response> {
    let origin = header(req, "Origin");
    let allowed =
        cors::allow_origin_for_any(forms::all().iter().map(|f| &f.spec), origin.as_deref());
    let mut response = Response::empty()?.with_status(204);
    let headers = response.headers_mut();
    headers.set("Vary", "Origin")?;
    if let Some(origin) = allowed {
        headers.set("Access-Control-Allow-Origin", &origin)?;
        headers.set("Access-Control-Allow-Methods", cors::ALLOW_METHODS)?;
        headers.set("Access-Control-Allow-Headers", cors::ALLOW_HEADERS)?;
        headers.set("Access-Control-Max-Age", &cors::MAX_AGE_S.to_string())?;
    }
    Ok(response)
}

fn form_spec(req: &Request, id: &str) -> Result<Response> {
    let Some(form) = forms::find(id) else {
        return error_response(&EdgeError::FormNotFound, None);
    };
    let allow_origin = cors::allow_origin_for(&form.spec, header(req, "Origin").as_deref());
    let not_modified =
        header(req, "If-None-Match").is_some_and(|tag| forms::etag_matches(&tag, &form.etag));
    let mut response = if not_modified {
        Response::empty()?.with_status(304)
    } else {
        Response::ok(form.public_json.clone())?
    };
    let headers = response.headers_mut();
    headers.set("Content-Type", "application/json; charset=utf-8")?;
    headers.set("ETag", &form.etag)?;
    headers.set(
        "Cache-Control",
        "public, max-age=60, stale-while-revalidate=600",
    )?;
    set_cors(headers, allow_origin.as_deref())?;
    Ok(response)
}

/// The built-in texts in one language, for the widget (see
/// `leadform_shared::messages::catalog_json`). Public and the same for every
/// form, so any origin may read it; it changes only with a deploy.
fn catalog(tag: &str) -> Result<Response> {
    let Some(lang) = Lang::with_tag(tag) else {
        return error_response(&EdgeError::LanguageNotFound, Some("*"));
    };
    let mut response = Response::ok(catalog_json(lang))?;
    let headers = response.headers_mut();
    headers.set("Content-Type", "application/json; charset=utf-8")?;
    headers.set(
        "Cache-Control",
        "public, max-age=3600, stale-while-revalidate=86400",
    )?;
    headers.set("Access-Control-Allow-Origin", "*")?;
    Ok(response)
}

/// The request body, at most `limit` bytes (more: `PayloadTooLarge`);
/// `unreadable` says what a body that cannot be read is refused as.
pub(crate) async fn body_within(
    req: &mut Request,
    limit: usize,
    unreadable: impl FnOnce(worker::Error) -> EdgeError,
) -> std::result::Result<Vec<u8>, EdgeError> {
    let bytes = req.bytes().await.map_err(unreadable)?;
    if bytes.len() > limit {
        return Err(EdgeError::PayloadTooLarge { limit });
    }
    Ok(bytes)
}

pub(crate) fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub(crate) fn set_cors(headers: &mut Headers, allow_origin: Option<&str>) -> Result<()> {
    headers.set("Vary", "Origin")?;
    if let Some(origin) = allow_origin {
        headers.set("Access-Control-Allow-Origin", origin)?;
    }
    Ok(())
}

pub(crate) fn json_response<T: serde::Serialize>(
    status: u16,
    body: &T,
    allow_origin: Option<&str>,
) -> Result<Response> {
    let mut response = Response::from_json(body)?.with_status(status);
    set_cors(response.headers_mut(), allow_origin)?;
    response.headers_mut().set("Cache-Control", "no-store")?;
    Ok(response)
}

pub(crate) fn error_response(error: &EdgeError, allow_origin: Option<&str>) -> Result<Response> {
    if error.status() >= 500 {
        worker::console_error!("{error}");
    }
    let mut response = Response::ok(error.to_json())?.with_status(error.status());
    let headers = response.headers_mut();
    headers.set("Content-Type", "application/json; charset=utf-8")?;
    headers.set("Cache-Control", "no-store")?;
    if let Some(seconds) = error.retry_after_s() {
        headers.set("Retry-After", &seconds.to_string())?;
    }
    set_cors(headers, allow_origin)?;
    Ok(response)
}
