//! Owner authentication: a bearer token compared in constant time with the
//! `ADMIN_TOKEN` secret (every owner endpoint) or, for the quarantine
//! endpoints only, with the scoped `QUARANTINE_TOKEN` secret (a reviewer who
//! may release or discard flagged submissions but not read or erase leads).
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

/// [`check_bearer`] against several tokens (unset ones skipped): any one
/// may match. `AuthNotConfigured` only when none is set.
pub fn check_bearer_any(
    authorization: Option<&str>,
    tokens: &[Option<&str>],
) -> Result<(), EdgeError> {
    let mut outcome = Err(EdgeError::AuthNotConfigured);
    for token in tokens.iter().filter(|t| t.is_some_and(|t| !t.is_empty())) {
        match check_bearer(authorization, *token) {
            Ok(()) => return Ok(()),
            Err(error) => outcome = Err(error),
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_of_several_tokens() {
        let tokens = [Some("admin-token"), Some("review-token")];
        assert_eq!(
            check_bearer_any(Some("Bearer admin-token"), &tokens),
            Ok(())
        );
        assert_eq!(
            check_bearer_any(Some("Bearer review-token"), &tokens),
            Ok(())
        );
        assert_eq!(
            check_bearer_any(Some("Bearer other"), &tokens),
            Err(EdgeError::AuthInvalid)
        );
        assert_eq!(check_bearer_any(None, &tokens), Err(EdgeError::AuthMissing));
        assert_eq!(
            check_bearer_any(Some("Bearer review-token"), &[Some("admin-token"), None]),
            Err(EdgeError::AuthInvalid)
        );
        assert_eq!(
            check_bearer_any(Some("Bearer x"), &[None, Some("")]),
            Err(EdgeError::AuthNotConfigured)
        );
    }

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
