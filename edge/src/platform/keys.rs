//! Reads the key secrets (seal keys, the certificate signing key, the
//! published public keys) and serves `GET /.well-known/leadform-keys.json`.
//!
//! Parsing and signing are [`crate::seal`]'s and [`crate::keys`]'s; this
//! layer only fetches the settings from the environment and turns a bad one
//! into a typed error that names the setting, never its value.

use worker::{Env, Response, Result};

use crate::error::EdgeError;
use crate::keys::{self, CertificateSigner, KeyConfigError};
use crate::seal::{SealKeyError, SealKeys};
use leadform_verify::KeySet;

use super::http::error_response;
use super::{config, names};

/// The `SEAL_KEYS` var/secret (several keys with ids, newest first).
pub const SEAL_KEYS: &str = "SEAL_KEYS";

/// The seal keys (`SEAL_KEYS`, and `SEAL_KEY` as the legacy key).
pub(crate) fn seal_keys(env: &Env) -> std::result::Result<SealKeys, EdgeError> {
    let list = config(env, SEAL_KEYS);
    let legacy = config(env, names::SEAL_KEY);
    SealKeys::from_config(list.as_deref(), legacy.as_deref()).map_err(|error| {
        worker::console_error!("seal keys: {error}");
        match error {
            SealKeyError::Missing => EdgeError::SecretMissing(names::SEAL_KEY),
            _ => EdgeError::SecretInvalid(SEAL_KEYS),
        }
    })
}

/// The certificate signing key, when one is configured.
pub(crate) fn certificate_signer(
    env: &Env,
) -> std::result::Result<Option<CertificateSigner>, EdgeError> {
    config(env, keys::SIGNING_KEY_SECRET)
        .map(|value| CertificateSigner::from_config(&value).map_err(invalid))
        .transpose()
}

fn invalid(error: KeyConfigError) -> EdgeError {
    worker::console_error!("certificate keys: {error}");
    EdgeError::SecretInvalid(error.setting())
}

/// The published public keys: the signer's and the retired ones.
pub(crate) fn published(env: &Env) -> std::result::Result<KeySet, EdgeError> {
    let signer = certificate_signer(env)?;
    keys::published_keys(
        signer.as_ref(),
        config(env, keys::PUBLIC_KEYS_VAR).as_deref(),
    )
    .map_err(invalid)
}

/// `GET /.well-known/leadform-keys.json`: the JWKS of every public key
/// certificates were signed with (public, cacheable, any origin).
pub(crate) fn public_keys(env: &Env) -> Result<Response> {
    let set = match published(env) {
        Ok(set) => set,
        Err(error) => return error_response(&error, None),
    };
    let mut response = Response::ok(set.to_jwks().to_string())?;
    let headers = response.headers_mut();
    headers.set("Content-Type", "application/json")?;
    headers.set("Cache-Control", "public, max-age=300")?;
    headers.set("Access-Control-Allow-Origin", "*")?;
    Ok(response)
}
