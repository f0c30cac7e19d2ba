//! Owner authentication for `/v1/leads` and `/v1/certificates`: a bearer token
//! compared in constant time with the `ADMIN_TOKEN` secret.
//!
//! This module only decides; reading headers and secrets is the platform's job.

use subtle::ConstantTimeEq;

use crate::EdgeError;

/// Checks an `Authorization` header value against the configured token.
pub fn check_bearer(
    authorization: Option<&str>,
    admin_token: Option<&str>,
) -> Result<(), EdgeError> {
    let expected = match admin_token {
        Some(token) if !token.is_empty() => token,
        _ => return Err(EdgeError::AuthNotConfigured),
    };
    let header = authorization.map(str::trim).unwrap_or("");
    let Some(given) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
    else {
        return Err(EdgeError::AuthMissing);
    };
    if bool::from(given.trim().as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(EdgeError::AuthInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        let token = Some("s3cret-token");
        assert_eq!(check_bearer(Some("Bearer s3cret-token"), token), Ok(()));
        assert_eq!(check_bearer(None, token), Err(EdgeError::AuthMissing));
        assert_eq!(
            check_bearer(Some("Basic abc"), token),
            Err(EdgeError::AuthMissing)
        );
        assert_eq!(
            check_bearer(Some("Bearer s3cret-tokem"), token),
            Err(EdgeError::AuthInvalid)
        );
        assert_eq!(
            check_bearer(Some("Bearer "), token),
            Err(EdgeError::AuthMissing)
        );
        assert_eq!(
            check_bearer(Some("Bearer  x"), token),
            Err(EdgeError::AuthInvalid)
        );
        assert_eq!(
            check_bearer(Some("Bearer x"), None),
            Err(EdgeError::AuthNotConfigured)
        );
        assert_eq!(
            check_bearer(Some("Bearer "), Some("")),
            Err(EdgeError::AuthNotConfigured)
        );
    }
}
