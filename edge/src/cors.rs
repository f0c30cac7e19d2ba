//! CORS decisions: which origin (if any) gets `Access-Control-Allow-Origin`.
//!
//! Only a form's `allowed_origins` are ever echoed back; a form with no list
//! allows any origin. Preflights (which carry no form id) are answered for the
//! union of all compiled forms' origins. This module decides; the platform
//! layer writes the headers.

use leadform_shared::FormSpec;

/// Methods and headers a widget may use.
pub const ALLOW_METHODS: &str = "GET, POST, OPTIONS";
pub const ALLOW_HEADERS: &str = "Content-Type";
/// How long browsers may cache a preflight answer, in seconds.
pub const MAX_AGE_S: u32 = 86_400;

/// Whether a request from `origin` may submit (or read) `spec`.
pub fn origin_allowed(spec: &FormSpec, origin: Option<&str>) -> bool {
    if spec.allowed_origins.is_empty() {
        return true;
    }
    origin.is_some_and(|origin| spec.allowed_origins.iter().any(|allowed| allowed == origin))
}

/// The value of `Access-Control-Allow-Origin` for `spec`, if any.
pub fn allow_origin_for(spec: &FormSpec, origin: Option<&str>) -> Option<String> {
    match origin {
        Some(origin) if origin_allowed(spec, Some(origin)) => Some(origin.to_owned()),
        _ => None,
    }
}

/// The allowed origin for a preflight: any compiled form allows it.
pub fn allow_origin_for_any<'a>(
    specs: impl IntoIterator<Item = &'a FormSpec>,
    origin: Option<&str>,
) -> Option<String> {
    let origin = origin?;
    specs
        .into_iter()
        .any(|spec| origin_allowed(spec, Some(origin)))
        .then(|| origin.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(origins: &[&str]) -> FormSpec {
        let mut spec = FormSpec::parse_toml(
            "id = \"f\"\n[[fields]]\nid = \"email\"\nkind = \"email\"\nlabel = \"Email\"\n",
        )
        .expect("minimal spec");
        spec.allowed_origins = origins.iter().map(|o| o.to_string()).collect();
        spec
    }

    #[test]
    fn only_listed_origins_are_echoed() {
        let listed = spec(&["https://a.example", "http://127.0.0.1:8788"]);
        let cases = [
            (Some("https://a.example"), Some("https://a.example")),
            (Some("http://127.0.0.1:8788"), Some("http://127.0.0.1:8788")),
            (Some("https://evil.example"), None),
            (Some("https://a.example.evil.example"), None),
            (Some("https://a.example/"), None),
            (None, None),
        ];
        for (origin, expected) in cases {
            assert_eq!(
                allow_origin_for(&listed, origin).as_deref(),
                expected,
                "{origin:?}"
            );
        }
        assert!(!origin_allowed(&listed, None));
    }

    #[test]
    fn open_forms_and_preflight_union() {
        let open = spec(&[]);
        assert!(origin_allowed(&open, None));
        assert_eq!(
            allow_origin_for(&open, Some("https://x.example")).as_deref(),
            Some("https://x.example")
        );
        let a = spec(&["https://a.example"]);
        let b = spec(&["https://b.example"]);
        assert_eq!(
            allow_origin_for_any([&a, &b], Some("https://b.example")).as_deref(),
            Some("https://b.example")
        );
        assert_eq!(
            allow_origin_for_any([&a, &b], Some("https://c.example")),
            None
        );
    }
}
