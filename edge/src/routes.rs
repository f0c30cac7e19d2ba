//! URL routing: maps a method and path to a [`Route`].
//!
//! Pure string matching so every route decision is unit-tested natively. The
//! platform layer dispatches on the result; paths that match no API route are
//! handed to the static assets binding (the widget's files).

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /v1/forms/{id}`
    FormSpec(String),
    /// `POST /v1/forms/{id}/events`: a loader beacon (`mount_failed`).
    FormEvent(String),
    /// `GET /v1/forms/{id}/health`: fallback counts per cause (owner).
    FormHealth(String),
    /// `GET /v1/forms/{id}/funnel?from=&to=&variant=`: the analytics report (owner).
    FormFunnel(String),
    /// `POST /v1/forms/{id}/destinations/{key}/redrive`: the destination's
    /// dead letters due again (owner, replay). The key (`0:webhook`) may
    /// come percent-encoded.
    RedriveDestination { form: String, destination: String },
    /// `POST /v1/forms/{id}/destinations/{key}/enable`: lift a 410 Gone's
    /// disabling and redrive what died meanwhile (owner, replay).
    EnableDestination { form: String, destination: String },
    /// `POST /v1/events`: a batch of the widget's analytics beacons.
    Events,
    /// `GET /v1/i18n/{lang}`: the built-in texts in one language.
    Catalog(String),
    /// `OPTIONS` on any `/v1/` API path.
    Preflight,
    /// `POST /v1/submit`
    Submit,
    /// `GET /v1/leads?form=...`: one page of leads as JSON, for reading
    /// (the console's table); not a download.
    ListLeads,
    /// `GET /v1/leads?form=...&format=csv|json` (or `Accept: text/csv`): a
    /// download of the filter (bulk personal data, audited). [`route`]
    /// answers [`Route::ListLeads`]; [`Route::for_query`] tells them apart.
    ExportLeads,
    /// `POST /v1/erasures` with `{"email": ...}` in the body. `DELETE
    /// /v1/leads?email=` reaches it too, to be refused: an address in a
    /// URL lands in request logs.
    EraseByEmail,
    /// `GET /v1/leads/{id}`
    GetLead(String),
    /// `DELETE /v1/leads/{id}`
    EraseLead(String),
    /// `POST /v1/leads/{id}/replay`
    ReplayLead(String),
    /// `POST /v1/leads/{id}/status`: the closed loop (owner token, or a
    /// CRM's signed request).
    LeadStatus(String),
    /// `POST /v1/leads/{id}/returns`: a buyer returns a lead it bought
    /// (signed with the buyer's secret; not an owner route).
    LeadReturns(String),
    /// `GET /v1/certificates/{id}`
    Certificate(String),
    /// `GET /v1/quarantine?form=&since=`: held and closed quarantined submissions.
    ListQuarantine,
    /// `GET /v1/quarantine/{id}`
    GetQuarantined(String),
    /// `DELETE /v1/quarantine/{id}`: discard (audit stub kept).
    DiscardQuarantined(String),
    /// `POST /v1/quarantine/{id}/release`: turn it into a delivered lead.
    ReleaseQuarantined(String),
    /// `GET /v1/tokens`: the owner tokens (admin).
    ListTokens,
    /// `POST /v1/tokens`: mint a scoped owner token (admin).
    CreateToken,
    /// `DELETE /v1/tokens/{id}`: revoke one (admin).
    RevokeToken(String),
    /// `GET /v1/audit`: exports, erasures, replays, token changes (admin).
    Audit,
    /// `GET /v1/forms`: the compiled forms, for the console (owner, read).
    ListForms,
    /// `GET /v1/session`: the calling token's name and scopes (any owner token).
    Session,
    /// `GET /.well-known/leadform-keys.json`: the certificate public keys (JWKS, public).
    PublicKeys,
    /// A known API path with the wrong method.
    MethodNotAllowed,
    /// Not an API path: serve from static assets.
    Asset,
}

/// Routes `method` + `path` (no query string).
pub fn route(method: &str, path: &str) -> Route {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let api = match segments.as_slice() {
        ["v1", "forms", id] if !id.is_empty() => Some(("GET", Route::FormSpec((*id).to_owned()))),
        ["v1", "forms", id, "events"] if !id.is_empty() => {
            Some(("POST", Route::FormEvent((*id).to_owned())))
        }
        ["v1", "forms", id, "health"] if !id.is_empty() => {
            Some(("GET", Route::FormHealth((*id).to_owned())))
        }
        ["v1", "forms", id, "funnel"] if !id.is_empty() => {
            Some(("GET", Route::FormFunnel((*id).to_owned())))
        }
        ["v1", "forms", id, "destinations", key, "redrive"]
            if !id.is_empty() && !key.is_empty() =>
        {
            percent_decode(key).map(|destination| {
                (
                    "POST",
                    Route::RedriveDestination {
                        form: (*id).to_owned(),
                        destination,
                    },
                )
            })
        }
        ["v1", "forms", id, "destinations", key, "enable"] if !id.is_empty() && !key.is_empty() => {
            percent_decode(key).map(|destination| {
                (
                    "POST",
                    Route::EnableDestination {
                        form: (*id).to_owned(),
                        destination,
                    },
                )
            })
        }
        ["v1", "erasures"] => Some(("POST", Route::EraseByEmail)),
        ["v1", "events"] => Some(("POST", Route::Events)),
        ["v1", "i18n", lang] if !lang.is_empty() => {
            Some(("GET", Route::Catalog((*lang).to_owned())))
        }
        ["v1", "submit"] => Some(("POST", Route::Submit)),
        ["v1", "leads"] => match method {
            "DELETE" => Some(("DELETE", Route::EraseByEmail)),
            _ => Some(("GET", Route::ListLeads)),
        },
        ["v1", "leads", id] if !id.is_empty() => match method {
            "DELETE" => Some(("DELETE", Route::EraseLead((*id).to_owned()))),
            _ => Some(("GET", Route::GetLead((*id).to_owned()))),
        },
        ["v1", "leads", id, "replay"] if !id.is_empty() => {
            Some(("POST", Route::ReplayLead((*id).to_owned())))
        }
        ["v1", "leads", id, "returns"] if !id.is_empty() => {
            Some(("POST", Route::LeadReturns((*id).to_owned())))
        }
        ["v1", "leads", id, "status"] if !id.is_empty() => {
            Some(("POST", Route::LeadStatus((*id).to_owned())))
        }
        ["v1", "certificates", id] if !id.is_empty() => {
            Some(("GET", Route::Certificate((*id).to_owned())))
        }
        ["v1", "quarantine"] => Some(("GET", Route::ListQuarantine)),
        ["v1", "quarantine", id] if !id.is_empty() => match method {
            "DELETE" => Some(("DELETE", Route::DiscardQuarantined((*id).to_owned()))),
            _ => Some(("GET", Route::GetQuarantined((*id).to_owned()))),
        },
        ["v1", "quarantine", id, "release"] if !id.is_empty() => {
            Some(("POST", Route::ReleaseQuarantined((*id).to_owned())))
        }
        ["v1", "tokens"] => match method {
            "POST" => Some(("POST", Route::CreateToken)),
            _ => Some(("GET", Route::ListTokens)),
        },
        ["v1", "tokens", id] if !id.is_empty() => {
            Some(("DELETE", Route::RevokeToken((*id).to_owned())))
        }
        ["v1", "audit"] => Some(("GET", Route::Audit)),
        ["v1", "forms"] => Some(("GET", Route::ListForms)),
        ["v1", "session"] => Some(("GET", Route::Session)),
        [".well-known", "leadform-keys.json"] => Some(("GET", Route::PublicKeys)),
        _ => None,
    };
    match api {
        Some(_) if method == "OPTIONS" => Route::Preflight,
        Some((expected, route))
            if expected == method || (expected == "GET" && method == "HEAD") =>
        {
            route
        }
        Some(_) => Route::MethodNotAllowed,
        None => Route::Asset,
    }
}

impl Route {
    /// The route once the query and `Accept` are known: a leads listing
    /// that asks for a download (`format=` any value, or `Accept:
    /// text/csv`) is [`Route::ExportLeads`]; every other route is itself.
    pub fn for_query(self, query: &str, accept: Option<&str>) -> Route {
        match self {
            Route::ListLeads
                if query_param(query, "format").is_some()
                    || accept.is_some_and(|a| a.contains("text/csv")) =>
            {
                Route::ExportLeads
            }
            other => other,
        }
    }

    /// The quarantine endpoints, which the scoped `QUARANTINE_TOKEN` may
    /// also call (every owner endpoint takes `ADMIN_TOKEN`).
    pub fn is_quarantine(&self) -> bool {
        matches!(
            self,
            Route::ListQuarantine
                | Route::GetQuarantined(_)
                | Route::DiscardQuarantined(_)
                | Route::ReleaseQuarantined(_)
        )
    }
}

/// The value of query parameter `name` (percent-decoded, `+` as space).
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| percent_decode(key).as_deref() == Some(name))
        .and_then(|(_, value)| percent_decode(value))
}

/// Decodes `%XX` escapes and `+`; `None` if the result is not UTF-8 or an escape is broken.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_table() {
        let cases = [
            (
                "GET",
                "/v1/forms/newsletter",
                Route::FormSpec("newsletter".into()),
            ),
            (
                "HEAD",
                "/v1/forms/newsletter",
                Route::FormSpec("newsletter".into()),
            ),
            ("POST", "/v1/forms/newsletter", Route::MethodNotAllowed),
            (
                "POST",
                "/v1/forms/newsletter/events",
                Route::FormEvent("newsletter".into()),
            ),
            ("OPTIONS", "/v1/forms/newsletter/events", Route::Preflight),
            (
                "GET",
                "/v1/forms/newsletter/events",
                Route::MethodNotAllowed,
            ),
            (
                "GET",
                "/v1/forms/newsletter/health",
                Route::FormHealth("newsletter".into()),
            ),
            (
                "POST",
                "/v1/forms/newsletter/health",
                Route::MethodNotAllowed,
            ),
            ("POST", "/v1/forms//events", Route::Asset),
            (
                "POST",
                "/v1/forms/contact/destinations/0%3Awebhook/redrive",
                Route::RedriveDestination {
                    form: "contact".into(),
                    destination: "0:webhook".into(),
                },
            ),
            (
                "POST",
                "/v1/forms/contact/destinations/1:hubspot/redrive",
                Route::RedriveDestination {
                    form: "contact".into(),
                    destination: "1:hubspot".into(),
                },
            ),
            (
                "GET",
                "/v1/forms/contact/destinations/0:webhook/redrive",
                Route::MethodNotAllowed,
            ),
            (
                "POST",
                "/v1/forms/contact/destinations//redrive",
                Route::Asset,
            ),
            (
                "POST",
                "/v1/forms/contact/destinations/0%3Awebhook/enable",
                Route::EnableDestination {
                    form: "contact".into(),
                    destination: "0:webhook".into(),
                },
            ),
            (
                "GET",
                "/v1/forms/contact/destinations/0:webhook/enable",
                Route::MethodNotAllowed,
            ),
            ("POST", "/v1/erasures", Route::EraseByEmail),
            ("DELETE", "/v1/erasures", Route::MethodNotAllowed),
            ("POST", "/v1/events", Route::Events),
            ("GET", "/v1/events", Route::MethodNotAllowed),
            ("OPTIONS", "/v1/events", Route::Preflight),
            (
                "GET",
                "/v1/forms/newsletter/funnel",
                Route::FormFunnel("newsletter".into()),
            ),
            ("GET", "/v1/i18n/es", Route::Catalog("es".into())),
            ("HEAD", "/v1/i18n/es", Route::Catalog("es".into())),
            ("POST", "/v1/i18n/es", Route::MethodNotAllowed),
            ("GET", "/v1/i18n/", Route::Asset),
            ("OPTIONS", "/v1/submit", Route::Preflight),
            ("POST", "/v1/submit", Route::Submit),
            ("GET", "/v1/submit", Route::MethodNotAllowed),
            ("GET", "/v1/leads", Route::ListLeads),
            ("DELETE", "/v1/leads", Route::EraseByEmail),
            ("GET", "/v1/leads/lead_1", Route::GetLead("lead_1".into())),
            (
                "DELETE",
                "/v1/leads/lead_1",
                Route::EraseLead("lead_1".into()),
            ),
            (
                "POST",
                "/v1/leads/lead_1/replay",
                Route::ReplayLead("lead_1".into()),
            ),
            ("GET", "/v1/leads/lead_1/replay", Route::MethodNotAllowed),
            (
                "POST",
                "/v1/leads/lead_1/status",
                Route::LeadStatus("lead_1".into()),
            ),
            ("GET", "/v1/leads/lead_1/status", Route::MethodNotAllowed),
            (
                "POST",
                "/v1/leads/lead_1/returns",
                Route::LeadReturns("lead_1".into()),
            ),
            ("GET", "/v1/leads/lead_1/returns", Route::MethodNotAllowed),
            (
                "GET",
                "/v1/certificates/cert_1",
                Route::Certificate("cert_1".into()),
            ),
            ("GET", "/v1/quarantine", Route::ListQuarantine),
            ("POST", "/v1/quarantine", Route::MethodNotAllowed),
            (
                "GET",
                "/v1/quarantine/lead_1",
                Route::GetQuarantined("lead_1".into()),
            ),
            (
                "DELETE",
                "/v1/quarantine/lead_1",
                Route::DiscardQuarantined("lead_1".into()),
            ),
            (
                "POST",
                "/v1/quarantine/lead_1/release",
                Route::ReleaseQuarantined("lead_1".into()),
            ),
            (
                "GET",
                "/v1/quarantine/lead_1/release",
                Route::MethodNotAllowed,
            ),
            ("OPTIONS", "/v1/quarantine", Route::Preflight),
            ("GET", "/.well-known/leadform-keys.json", Route::PublicKeys),
            ("HEAD", "/.well-known/leadform-keys.json", Route::PublicKeys),
            (
                "POST",
                "/.well-known/leadform-keys.json",
                Route::MethodNotAllowed,
            ),
            ("GET", "/.well-known/other.json", Route::Asset),
            ("GET", "/v1/tokens", Route::ListTokens),
            ("POST", "/v1/tokens", Route::CreateToken),
            ("PUT", "/v1/tokens", Route::MethodNotAllowed),
            (
                "DELETE",
                "/v1/tokens/tok_1",
                Route::RevokeToken("tok_1".into()),
            ),
            ("GET", "/v1/tokens/tok_1", Route::MethodNotAllowed),
            ("GET", "/v1/audit", Route::Audit),
            ("GET", "/v1/forms", Route::ListForms),
            ("POST", "/v1/forms", Route::MethodNotAllowed),
            ("GET", "/v1/session", Route::Session),
            ("POST", "/v1/audit", Route::MethodNotAllowed),
            ("GET", "/v1/leadform.js", Route::Asset),
            ("GET", "/v1/forms/", Route::Asset),
            ("GET", "/", Route::Asset),
        ];
        for (method, path, expected) in cases {
            let is_quarantine = path.starts_with("/v1/quarantine")
                && !matches!(expected, Route::MethodNotAllowed | Route::Preflight);
            assert_eq!(expected.is_quarantine(), is_quarantine, "{method} {path}");
            assert_eq!(route(method, path), expected, "{method} {path}");
        }
    }

    /// Reading a page of leads and downloading them are two routes.
    #[test]
    fn listing_or_export_by_query() {
        let cases = [
            ("form=contact", None, Route::ListLeads),
            ("form=contact&order=newest&limit=25", None, Route::ListLeads),
            ("form=contact&format=csv", None, Route::ExportLeads),
            ("form=contact&format=json", None, Route::ExportLeads),
            ("form=contact&format=", None, Route::ExportLeads),
            ("form=contact", Some("text/csv"), Route::ExportLeads),
            ("form=contact", Some("application/json"), Route::ListLeads),
        ];
        for (query, accept, expected) in cases {
            assert_eq!(
                Route::ListLeads.for_query(query, accept),
                expected,
                "{query} {accept:?}"
            );
        }
        // Other routes keep their meaning whatever the query.
        assert_eq!(
            Route::GetLead("l".into()).for_query("format=csv", Some("text/csv")),
            Route::GetLead("l".into())
        );
        assert_eq!(
            Route::FormFunnel("f".into()).for_query("format=csv", None),
            Route::FormFunnel("f".into())
        );
    }

    #[test]
    fn query_parameters() {
        let query =
            "?form=b2b-demo&since=2026-01-01T00%3A00%3A00Z&email=a%2Bb%40x.example&q=a+b&flag";
        assert_eq!(query_param(query, "form").as_deref(), Some("b2b-demo"));
        assert_eq!(
            query_param(query, "since").as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        assert_eq!(
            query_param(query, "email").as_deref(),
            Some("a+b@x.example")
        );
        assert_eq!(query_param(query, "q").as_deref(), Some("a b"));
        assert_eq!(query_param(query, "flag").as_deref(), Some(""));
        assert_eq!(query_param(query, "missing"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
