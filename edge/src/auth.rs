//! Owner authentication and authorisation.
//!
//! A bearer token is one of: the `ADMIN_TOKEN` secret (the bootstrap admin:
//! every scope), the `QUARANTINE_TOKEN` secret (a reviewer: the quarantine
//! endpoints only), or an owner token created by an admin
//! (`POST /v1/tokens`), stored only as its SHA-256 and carrying a set of
//! [`Scope`]s; several may be live at once and each can be revoked.
//! [`required_scope`] says which scope each owner route needs; a token
//! without it is refused `403 auth.scope_missing`.
//!
//! This module only decides; reading headers, secrets and D1 is the
//! platform's job. Secrets are compared in constant time.

use subtle::ConstantTimeEq;

use crate::routes::Route;
use crate::EdgeError;

/// Prefix of the owner tokens this Worker mints (`lft_` + 64 hex digits).
pub const TOKEN_PREFIX: &str = "lft_";
/// Prefix of owner token ids (`tok_` + 32 hex digits).
pub const TOKEN_ID_PREFIX: &str = "tok_";
/// Longest token name an admin may give.
pub const MAX_TOKEN_NAME_LEN: usize = 100;

/// What an owner token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Pages of leads (`GET /v1/leads`, JSON), one lead, a certificate, a
    /// form's health and funnel, the quarantine's items.
    Read,
    /// Downloads of a filter (`GET /v1/leads?format=csv|json`): bulk
    /// personal data, audited.
    Export,
    /// Erasure (`DELETE /v1/leads...`) and quarantine discard; audited.
    Erase,
    /// Delivery replay, a destination's dead-letter redrive and quarantine
    /// release; audited.
    Replay,
    /// Everything, and the tokens and the audit log.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::Read,
        Scope::Export,
        Scope::Erase,
        Scope::Replay,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Export => "export",
            Scope::Erase => "erase",
            Scope::Replay => "replay",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The scope an owner route needs (`None`: not an owner route).
pub fn required_scope(route: &Route) -> Option<Scope> {
    Some(match route {
        Route::ListLeads
        | Route::GetLead(_)
        | Route::Certificate(_)
        | Route::FormHealth(_)
        | Route::FormFunnel(_)
        | Route::ListForms
        | Route::ListQuarantine
        | Route::GetQuarantined(_) => Scope::Read,
        Route::ExportLeads => Scope::Export,
        Route::EraseLead(_) | Route::EraseByEmail | Route::DiscardQuarantined(_) => Scope::Erase,
        Route::ReplayLead(_)
        | Route::ReleaseQuarantined(_)
        | Route::RedriveDestination { .. }
        | Route::EnableDestination { .. } => Scope::Replay,
        Route::ListTokens | Route::CreateToken | Route::RevokeToken(_) | Route::Audit => {
            Scope::Admin
        }
        _ => return None,
    })
}

/// Who is calling and what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// As written to the audit log: `admin`, `quarantine_token` or a token id.
    pub actor: String,
    pub scopes: Vec<Scope>,
    /// The reviewer secret: quarantine routes only, whatever the scope.
    pub quarantine_only: bool,
}

impl Grant {
    pub fn admin() -> Grant {
        Grant {
            actor: "admin".into(),
            scopes: vec![Scope::Admin],
            quarantine_only: false,
        }
    }

    pub fn quarantine_reviewer() -> Grant {
        Grant {
            actor: "quarantine_token".into(),
            scopes: vec![Scope::Read, Scope::Erase, Scope::Replay],
            quarantine_only: true,
        }
    }

    /// Whether this grant may call `route`: `Err(ScopeMissing)` names the
    /// scope it lacks.
    pub fn allows(&self, route: &Route) -> Result<(), EdgeError> {
        let Some(needed) = required_scope(route) else {
            return Ok(());
        };
        if self.quarantine_only && !route.is_quarantine() {
            return Err(EdgeError::ScopeMissing(needed.as_str()));
        }
        if self.scopes.contains(&Scope::Admin) || self.scopes.contains(&needed) {
            Ok(())
        } else {
            Err(EdgeError::ScopeMissing(needed.as_str()))
        }
    }
}

/// Reads scopes as an admin gives them (`["read", "export"]`): known,
/// without repeats, at least one; sorted.
pub fn parse_scopes(names: &[String]) -> Option<Vec<Scope>> {
    let mut scopes = Vec::new();
    for name in names {
        let scope = Scope::parse(name)?;
        if scopes.contains(&scope) {
            return None;
        }
        scopes.push(scope);
    }
    scopes.sort();
    (!scopes.is_empty()).then_some(scopes)
}

/// The token in an `Authorization: Bearer ...` header value.
pub fn bearer(authorization: Option<&str>) -> Result<&str, EdgeError> {
    let header = authorization.map(str::trim).unwrap_or("");
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(EdgeError::AuthMissing)
}

/// Whether `given` equals the configured secret `expected` (constant time;
/// an unset or empty secret matches nothing).
pub fn matches_secret(given: &str, expected: Option<&str>) -> bool {
    match expected {
        Some(expected) if !expected.is_empty() => {
            bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
        }
        _ => false,
    }
}

/// Whether `given` has the shape of a minted owner token (worth a D1 look-up).
pub fn is_owner_token(given: &str) -> bool {
    given.strip_prefix(TOKEN_PREFIX).is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// A new owner token from 32 random bytes: `lft_` + hex.
pub fn format_token(random: [u8; 32]) -> String {
    format!("{TOKEN_PREFIX}{}", crate::seal::to_hex(&random))
}

/// What is stored of a token: its SHA-256, lower-case hex.
pub fn token_sha256(token: &str) -> String {
    leadform_shared::hex_sha256(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner_token(scopes: &[Scope]) -> Grant {
        Grant {
            actor: "tok_1".into(),
            scopes: scopes.to_vec(),
            quarantine_only: false,
        }
    }

    /// Scope x endpoint: each grant against one route of every kind.
    #[test]
    fn scope_by_endpoint_table() {
        use Scope::*;
        let routes = [
            Route::ListLeads,
            Route::ExportLeads,
            Route::GetLead("l".into()),
            Route::Certificate("c".into()),
            Route::FormHealth("f".into()),
            Route::FormFunnel("f".into()),
            Route::ListForms,
            Route::EraseLead("l".into()),
            Route::EraseByEmail,
            Route::ReplayLead("l".into()),
            Route::RedriveDestination {
                form: "f".into(),
                destination: "0:webhook".into(),
            },
            Route::ListQuarantine,
            Route::GetQuarantined("q".into()),
            Route::DiscardQuarantined("q".into()),
            Route::ReleaseQuarantined("q".into()),
            Route::ListTokens,
            Route::CreateToken,
            Route::RevokeToken("t".into()),
            Route::Audit,
        ];
        // One row per grant: the routes it opens, as 1/0 in `routes` order:
        let cases: Vec<(Grant, &str)> = vec![
            // list export | get cert health funnel forms | erase by-email | replay redrive
            // | quarantine: list get discard release | tokens: list mint revoke | audit
            (owner_token(&[Read]), "1011111000011000000"),
            (owner_token(&[Export]), "0100000000000000000"),
            (owner_token(&[Erase]), "0000000110000100000"),
            (owner_token(&[Replay]), "0000000001100010000"),
            (owner_token(&[Read, Export]), "1111111000011000000"),
            (owner_token(&[Read, Export, Replay]), "1111111001111010000"),
            (owner_token(&[Admin]), "1111111111111111111"),
            (Grant::admin(), "1111111111111111111"),
            (Grant::quarantine_reviewer(), "0000000000011110000"),
        ];
        for (grant, expected) in cases {
            let got: String = routes
                .iter()
                .map(|r| if grant.allows(r).is_ok() { '1' } else { '0' })
                .collect();
            assert_eq!(got, expected, "{grant:?}");
            for route in &routes {
                if let Err(error) = grant.allows(route) {
                    let needed = required_scope(route).unwrap().as_str();
                    assert_eq!(error, EdgeError::ScopeMissing(needed), "{route:?}");
                    assert_eq!((error.status(), error.code()), (403, "auth.scope_missing"));
                }
            }
        }
        // Public routes need no scope.
        assert_eq!(required_scope(&Route::Submit), None);
        assert_eq!(owner_token(&[]).allows(&Route::Submit), Ok(()));
    }

    /// The same table from the request's side: method, path, query and
    /// `Accept` as the Worker sees them, to the scope they need.
    #[test]
    fn scope_by_request_table() {
        use crate::routes::route;
        let cases = [
            ("GET", "/v1/leads", "form=contact", None, Some(Scope::Read)),
            (
                "GET",
                "/v1/leads",
                "form=contact&order=newest&limit=25&cursor=1_l",
                None,
                Some(Scope::Read),
            ),
            (
                "GET",
                "/v1/leads",
                "form=contact&format=csv",
                None,
                Some(Scope::Export),
            ),
            (
                "GET",
                "/v1/leads",
                "form=contact&format=json",
                None,
                Some(Scope::Export),
            ),
            (
                "GET",
                "/v1/leads",
                "form=contact",
                Some("text/csv"),
                Some(Scope::Export),
            ),
            (
                "HEAD",
                "/v1/leads",
                "form=contact&format=csv",
                None,
                Some(Scope::Export),
            ),
            (
                "DELETE",
                "/v1/leads",
                "email=a%40b.example",
                None,
                Some(Scope::Erase),
            ),
            ("POST", "/v1/erasures", "", None, Some(Scope::Erase)),
            (
                "POST",
                "/v1/forms/contact/destinations/0%3Awebhook/enable",
                "",
                None,
                Some(Scope::Replay),
            ),
            ("GET", "/v1/leads/l1", "format=csv", None, Some(Scope::Read)),
            ("DELETE", "/v1/leads/l1", "", None, Some(Scope::Erase)),
            (
                "POST",
                "/v1/leads/l1/replay",
                "all=true",
                None,
                Some(Scope::Replay),
            ),
            (
                "GET",
                "/v1/forms/contact/funnel",
                "format=csv",
                None,
                Some(Scope::Read),
            ),
            (
                "GET",
                "/v1/forms/contact/health",
                "",
                None,
                Some(Scope::Read),
            ),
            ("GET", "/v1/forms", "", None, Some(Scope::Read)),
            ("GET", "/v1/audit", "", None, Some(Scope::Admin)),
            ("POST", "/v1/tokens", "", None, Some(Scope::Admin)),
            ("POST", "/v1/submit", "format=csv", None, None),
        ];
        for (method, path, query, accept, scope) in cases {
            let route = route(method, path).for_query(query, accept);
            assert_eq!(
                required_scope(&route),
                scope,
                "{method} {path}?{query} {accept:?}"
            );
        }
    }

    #[test]
    fn scopes_parse() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_scopes(&s(&["export", "read"])),
            Some(vec![Scope::Read, Scope::Export])
        );
        assert_eq!(parse_scopes(&s(&["admin"])), Some(vec![Scope::Admin]));
        assert_eq!(parse_scopes(&s(&[])), None);
        assert_eq!(parse_scopes(&s(&["read", "read"])), None);
        assert_eq!(parse_scopes(&s(&["Read"])), None);
        assert_eq!(parse_scopes(&s(&["write"])), None);
    }

    #[test]
    fn tokens_and_bearers() {
        let token = format_token([0xab; 32]);
        assert!(is_owner_token(&token));
        assert_eq!(token.len(), 4 + 64);
        assert!(!is_owner_token("lft_abc"));
        assert!(!is_owner_token(&token.to_uppercase()));
        assert!(!is_owner_token("test-admin-token"));
        let hash = token_sha256(&token);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&token[4..20]));
        assert_eq!(bearer(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(Some("bearer abc ")), Ok("abc"));
        assert_eq!(bearer(Some("Basic abc")), Err(EdgeError::AuthMissing));
        assert_eq!(bearer(Some("Bearer ")), Err(EdgeError::AuthMissing));
        assert_eq!(bearer(None), Err(EdgeError::AuthMissing));
        assert!(matches_secret("s3cret", Some("s3cret")));
        assert!(!matches_secret("s3cres", Some("s3cret")));
        assert!(!matches_secret("", Some("")));
        assert!(!matches_secret("x", None));
    }
}
