//! Stand-ins for the CRM APIs the Worker delivers to, answering as their
//! documentation says, behind the local destination server
//! ([`crate::destination`]): HubSpot's Forms API v3 (`/submissions/v3/
//! integration/submit/...` and the token-checked `.../secure/submit/...`)
//! and Salesforce's REST API under `/sf/` (the OAuth 2.0 client-credentials
//! token endpoint and `sobjects/Lead`, with its required fields, field
//! lengths, a duplicate rule on `Email` and expiring sessions).
//! Each checks the request against the documented request schema and
//! answers the documented success or error shape; a test scripts other
//! answers (429, 5xx) with [`crate::destination::Destination::script`].
//! They must not borrow from the edge's senders (`leadform_edge`): each
//! check is read from the CRM's documentation, so a Worker that drifts from
//! it is refused here.

use serde_json::{json, Value};

/// The private-app token the Worker's `HUBSPOT_TOKEN` secret holds in tests.
pub const HUBSPOT_TOKEN: &str = "pat-na1-11111111-2222-3333-4444-555555555555";

/// Where the HubSpot stand-in answers.
pub const HUBSPOT_PREFIX: &str = "/submissions/v3/integration/";

fn hubspot_error(message: &str, errors: &[(String, &str)]) -> String {
    json!({
        "status": "error",
        "message": message,
        "correlationId": "4e5a9a1c-standin",
        "errors": errors
            .iter()
            .map(|(message, kind)| json!({ "message": message, "errorType": kind }))
            .collect::<Vec<_>>(),
    })
    .to_string()
}

/// HubSpot's answer to one submission: 200 `inlineMessage`, 401 for a
/// missing or wrong token on the secure endpoint, 404 for another path, 400
/// with `errors[]` for a body outside the v3 schema.
pub fn hubspot(path: &str, authorization: Option<&str>, body: &str) -> (u16, String) {
    let rest = path.trim_start_matches(HUBSPOT_PREFIX);
    let (secure, ids) = match rest.strip_prefix("secure/submit/") {
        Some(ids) => (true, ids),
        None => match rest.strip_prefix("submit/") {
            Some(ids) => (false, ids),
            None => return (404, hubspot_error("Not found", &[])),
        },
    };
    if ids.split('/').filter(|s| !s.is_empty()).count() != 2 {
        return (404, hubspot_error("Not found", &[]));
    }
    if secure && authorization != Some(&format!("Bearer {HUBSPOT_TOKEN}")) {
        let body = json!({
            "status": "error",
            "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
            "correlationId": "4e5a9a1c-standin",
            "category": "INVALID_AUTHENTICATION",
        });
        return (401, body.to_string());
    }
    let problems = match serde_json::from_str::<Value>(body) {
        Ok(value) => hubspot_schema_problems(&value),
        Err(_) => vec![("Invalid JSON".to_owned(), "INVALID_JSON")],
    };
    if problems.is_empty() {
        (
            200,
            json!({ "inlineMessage": "Thanks for submitting the form." }).to_string(),
        )
    } else {
        (400, hubspot_error("The request is not valid", &problems))
    }
}

/// What is wrong with a submission body by the Forms API v3 request schema.
pub fn hubspot_schema_problems(body: &Value) -> Vec<(String, &'static str)> {
    let mut problems = Vec::new();
    let mut invalid_email = false;
    let mut problem = |message: String| problems.push((message, "INVALID_REQUEST"));
    let Some(object) = body.as_object() else {
        return vec![("body must be an object".into(), "INVALID_REQUEST")];
    };
    for key in object.keys() {
        if ![
            "submittedAt",
            "fields",
            "context",
            "legalConsentOptions",
            "skipValidation",
        ]
        .contains(&key.as_str())
        {
            problem(format!("Unrecognized field '{key}'"));
        }
    }
    if let Some(at) = object.get("submittedAt") {
        if !at
            .as_str()
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        {
            problem("submittedAt must be a string of milliseconds".into());
        }
    }
    match object.get("fields").and_then(Value::as_array) {
        None => problem("fields is required".into()),
        Some(fields) => {
            for field in fields {
                let ok = field.as_object().is_some_and(|f| {
                    f.keys()
                        .all(|k| ["objectTypeId", "name", "value"].contains(&k.as_str()))
                        && f.get("name").is_some_and(Value::is_string)
                        && f.get("value").is_some_and(Value::is_string)
                        && f.get("objectTypeId").is_none_or(Value::is_string)
                });
                if !ok {
                    problem(format!("Invalid field {field}"));
                }
                if field["name"] == "email"
                    && !field["value"].as_str().is_some_and(|v| v.contains('@'))
                {
                    invalid_email = true;
                }
            }
        }
    }
    if let Some(context) = object.get("context") {
        let ok = context.as_object().is_some_and(|c| {
            c.iter().all(|(k, v)| {
                ["hutk", "pageUri", "pageName", "ipAddress"].contains(&k.as_str()) && v.is_string()
            })
        });
        if !ok {
            problem(format!("Invalid context {context}"));
        }
    }
    if let Some(options) = object.get("legalConsentOptions") {
        legal_consent_problems(options, &mut problem);
    }
    if invalid_email {
        problems.push((
            "Error in 'fields.email'. Invalid email address".into(),
            "INVALID_EMAIL",
        ));
    }
    problems
}

fn legal_consent_problems(options: &Value, problem: &mut impl FnMut(String)) {
    let Some(options) = options.as_object() else {
        return problem("legalConsentOptions must be an object".into());
    };
    if options.len() != 1 {
        return problem("legalConsentOptions takes one of consent, legitimateInterest".into());
    }
    let is_id = |v: Option<&Value>| v.is_some_and(|v| v.as_u64().is_some());
    let is_bool = |v: Option<&Value>| v.is_some_and(Value::is_boolean);
    let is_text = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let only = |o: &serde_json::Map<String, Value>, keys: &[&str]| {
        o.keys().all(|k| keys.contains(&k.as_str()))
    };
    if let Some(consent) = options.get("consent") {
        let Some(consent) = consent.as_object() else {
            return problem("consent must be an object".into());
        };
        if !only(consent, &["consentToProcess", "text", "communications"])
            || !is_bool(consent.get("consentToProcess"))
            || !is_text(consent.get("text"))
        {
            problem(format!("Invalid consent {consent:?}"));
        }
        if let Some(communications) = consent.get("communications") {
            let ok = communications.as_array().is_some_and(|list| {
                list.iter().all(|c| {
                    c.as_object().is_some_and(|c| {
                        only(c, &["value", "subscriptionTypeId", "text"])
                            && is_bool(c.get("value"))
                            && is_id(c.get("subscriptionTypeId"))
                            && is_text(c.get("text"))
                    })
                })
            });
            if !ok {
                problem(format!("Invalid communications {communications}"));
            }
        }
    } else if let Some(interest) = options.get("legitimateInterest") {
        let ok = interest.as_object().is_some_and(|i| {
            only(i, &["value", "subscriptionTypeId", "legalBasis", "text"])
                && is_bool(i.get("value"))
                && is_id(i.get("subscriptionTypeId"))
                && is_text(i.get("text"))
                && matches!(
                    i.get("legalBasis").and_then(Value::as_str),
                    Some("LEAD" | "CUSTOMER")
                )
        });
        if !ok {
            problem(format!("Invalid legitimateInterest {interest}"));
        }
    } else {
        problem("legalConsentOptions takes one of consent, legitimateInterest".into());
    }
}

/// The connected app's consumer key and secret the Worker's
/// `SALESFORCE_CLIENT_ID` / `SALESFORCE_CLIENT_SECRET` hold in tests.
pub const SALESFORCE_CLIENT_ID: &str = "3MVG9standin.consumer.key";
pub const SALESFORCE_CLIENT_SECRET: &str = "standin-consumer-secret-0123456789";

/// Where the Salesforce stand-in answers (the test specs' `instance_url`
/// is `http://127.0.0.1:9/sf`).
pub const SALESFORCE_PREFIX: &str = "/sf/";

/// The Lead fields the stand-in's org has: the standard ones the Worker may
/// send, with their lengths (Salesforce's Lead reference), and `__c`
/// custom fields of 255.
const LEAD_FIELDS: &[(&str, usize)] = &[
    ("FirstName", 40),
    ("LastName", 80),
    ("Company", 255),
    ("Email", 80),
    ("Phone", 40),
    ("MobilePhone", 40),
    ("Title", 128),
    ("City", 40),
    ("Country", 80),
    ("PostalCode", 20),
    ("Description", 32_000),
    ("LeadSource", 255),
    ("Website", 255),
];

#[derive(Default)]
struct SalesforceState {
    issued: usize,
    live: Vec<String>,
    /// (lower-cased email, record id) of every Lead created.
    leads: Vec<(String, String)>,
}

/// The Salesforce org stand-in: issues tokens, creates Leads, and can be
/// told to expire every session.
#[derive(Default)]
pub struct Salesforce {
    state: std::sync::Mutex<SalesforceState>,
}

fn sf_error(code: &str, message: &str, fields: &[&str]) -> String {
    json!([{ "message": message, "errorCode": code, "fields": fields }]).to_string()
}

impl Salesforce {
    /// How many tokens the token endpoint has issued.
    pub fn tokens_issued(&self) -> usize {
        self.state.lock().expect("salesforce lock").issued
    }

    /// Every token issued so far stops working (a session timeout).
    pub fn expire_sessions(&self) {
        self.state.lock().expect("salesforce lock").live.clear();
    }

    /// The ids of the Leads created, in order.
    pub fn lead_ids(&self) -> Vec<String> {
        let state = self.state.lock().expect("salesforce lock");
        state.leads.iter().map(|(_, id)| id.clone()).collect()
    }

    /// Salesforce's answer to one request under [`SALESFORCE_PREFIX`].
    pub fn answer(&self, path: &str, authorization: Option<&str>, body: &str) -> (u16, String) {
        let mut state = self.state.lock().expect("salesforce lock");
        if path.ends_with("/services/oauth2/token") {
            let params: Vec<(String, String)> = body
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), percent_decode(v)))
                .collect();
            let param = |name: &str| {
                params
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            if param("grant_type") != Some("client_credentials") {
                let body = json!({ "error": "unsupported_grant_type", "error_description": "grant type not supported" });
                return (400, body.to_string());
            }
            if param("client_id") != Some(SALESFORCE_CLIENT_ID)
                || param("client_secret") != Some(SALESFORCE_CLIENT_SECRET)
            {
                let body = json!({ "error": "invalid_client", "error_description": "invalid client credentials" });
                return (400, body.to_string());
            }
            state.issued += 1;
            let token = format!("00D5g000000standin!AQ{}", state.issued);
            state.live.push(token.clone());
            let body = json!({
                "access_token": token,
                "signature": "c3RhbmRpbg==",
                "scope": "api",
                "instance_url": "http://127.0.0.1:9/sf",
                "id": "http://127.0.0.1:9/sf/id/00D5g000000standin/0055g000000standin",
                "token_type": "Bearer",
                "issued_at": "1764633600000",
            });
            return (200, body.to_string());
        }
        let Some(version) = path
            .split("/services/data/v")
            .nth(1)
            .and_then(|rest| rest.strip_suffix("/sobjects/Lead"))
        else {
            return (
                404,
                sf_error("NOT_FOUND", "The requested resource does not exist", &[]),
            );
        };
        if version.split('.').count() != 2 || !version.split('.').all(|p| p.parse::<u32>().is_ok())
        {
            return (
                404,
                sf_error("NOT_FOUND", "The requested resource does not exist", &[]),
            );
        }
        let live = authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .is_some_and(|t| state.live.iter().any(|l| l == t));
        if !live {
            return (
                401,
                sf_error("INVALID_SESSION_ID", "Session expired or invalid", &[]),
            );
        }
        let Ok(Value::Object(lead)) = serde_json::from_str::<Value>(body) else {
            return (
                400,
                sf_error("JSON_PARSER_ERROR", "Unexpected character", &[]),
            );
        };
        for (name, value) in &lead {
            let limit = LEAD_FIELDS
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, l)| *l)
                .or_else(|| name.ends_with("__c").then_some(255));
            let Some(limit) = limit else {
                let message = format!("No such column '{name}' on sobject of type Lead");
                return (400, sf_error("INVALID_FIELD", &message, &[]));
            };
            if !(value.is_string() || value.is_boolean()) {
                let message = format!("Cannot deserialize instance of string from {value}");
                return (400, sf_error("JSON_PARSER_ERROR", &message, &[name]));
            }
            if value.as_str().is_some_and(|v| v.chars().count() > limit) {
                let message = format!("{name}: data value too large (max length={limit})");
                return (400, sf_error("STRING_TOO_LONG", &message, &[name]));
            }
        }
        let missing: Vec<&str> = ["LastName", "Company"]
            .into_iter()
            .filter(|f| {
                lead.get(*f)
                    .and_then(Value::as_str)
                    .is_none_or(|v| v.trim().is_empty())
            })
            .collect();
        if !missing.is_empty() {
            let message = format!("Required fields are missing: [{}]", missing.join(", "));
            return (400, sf_error("REQUIRED_FIELD_MISSING", &message, &missing));
        }
        let email = lead
            .get("Email")
            .and_then(Value::as_str)
            .map(str::to_lowercase)
            .unwrap_or_default();
        if let Some((_, existing)) = state
            .leads
            .iter()
            .find(|(e, _)| !e.is_empty() && *e == email)
        {
            let body = json!([{
                "duplicateResult": {
                    "allowSave": false,
                    "duplicateRule": "Standard_Lead_Duplicate_Rule",
                    "duplicateRuleEntityType": "Lead",
                    "errorMessage": "You're creating a duplicate record. We recommend you use an existing record instead.",
                    "matchResults": [{
                        "entityType": "Lead",
                        "errors": [],
                        "matchEngine": "FuzzyMatchEngine",
                        "matchRecords": [{
                            "additionalInformation": [],
                            "fieldDiffs": [],
                            "matchConfidence": 100.0,
                            "record": {
                                "attributes": { "type": "Lead", "url": format!("/services/data/v{version}/sobjects/Lead/{existing}") },
                                "Id": existing,
                            }
                        }],
                        "rule": "Standard_Lead_Match_Rule_v1_0",
                        "size": 1,
                        "success": true
                    }]
                },
                "errorCode": "DUPLICATES_DETECTED",
                "message": "You're creating a duplicate record. We recommend you use an existing record instead."
            }]);
            return (400, body.to_string());
        }
        let id = format!("00Q5g00000{:08}", state.leads.len() + 1);
        state.leads.push((email, id.clone()));
        (
            201,
            json!({ "id": id, "success": true, "errors": [] }).to_string(),
        )
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (byte, None) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stand-in itself refuses what HubSpot documents as invalid.
    #[test]
    fn hubspot_standin_answers_as_documented() {
        let bearer = format!("Bearer {HUBSPOT_TOKEN}");
        let good = r#"{"submittedAt":"1","fields":[{"objectTypeId":"0-1","name":"email","value":"a@b.example"}],"legalConsentOptions":{"consent":{"consentToProcess":true,"text":"T","communications":[{"value":false,"subscriptionTypeId":9,"text":"N"}]}}}"#;
        let cases: &[(&str, Option<&str>, &str, u16)] = &[
            ("/submissions/v3/integration/submit/1/g", None, good, 200),
            (
                "/submissions/v3/integration/secure/submit/1/g",
                Some(&bearer),
                good,
                200,
            ),
            (
                "/submissions/v3/integration/secure/submit/1/g",
                None,
                good,
                401,
            ),
            (
                "/submissions/v3/integration/secure/submit/1/g",
                Some("Bearer nope"),
                good,
                401,
            ),
            ("/submissions/v3/integration/submit/1", None, good, 404),
            ("/submissions/v3/integration/submit/1/g", None, "{}", 400),
            (
                "/submissions/v3/integration/submit/1/g",
                None,
                r#"{"fields":[{"name":"email","value":"nope"}]}"#,
                400,
            ),
            (
                "/submissions/v3/integration/submit/1/g",
                None,
                r#"{"fields":[],"legalConsentOptions":{"consent":{"consentToProcess":"yes","text":"T"}}}"#,
                400,
            ),
            (
                "/submissions/v3/integration/submit/1/g",
                None,
                r#"{"fields":[],"legalConsentOptions":{"consent":{"consentToProcess":true,"text":"T"},"legitimateInterest":{}}}"#,
                400,
            ),
            (
                "/submissions/v3/integration/submit/1/g",
                None,
                r#"{"fields":[],"legalConsentOptions":{"legitimateInterest":{"value":true,"subscriptionTypeId":9,"legalBasis":"PROSPECT","text":"T"}}}"#,
                400,
            ),
            (
                "/submissions/v3/integration/submit/1/g",
                None,
                r#"{"fields":[],"legalConsentOptions":{"legitimateInterest":{"value":true,"subscriptionTypeId":9,"legalBasis":"LEAD","text":"T"}}}"#,
                200,
            ),
        ];
        for (path, auth, body, status) in cases {
            let (got, answer) = hubspot(path, *auth, body);
            assert_eq!(got, *status, "{path} {body}: {answer}");
            if got == 400 {
                let answer: Value = serde_json::from_str(&answer).expect("json");
                assert!(!answer["errors"].as_array().expect("errors[]").is_empty());
            }
        }
    }

    #[test]
    fn salesforce_standin_answers_as_documented() {
        let org = Salesforce::default();
        let token_path = "/sf/services/oauth2/token";
        let lead_path = "/sf/services/data/v62.0/sobjects/Lead";
        let good = format!(
            "grant_type=client_credentials&client_id={SALESFORCE_CLIENT_ID}&client_secret={SALESFORCE_CLIENT_SECRET}"
        );
        assert_eq!(
            org.answer(
                token_path,
                None,
                "grant_type=client_credentials&client_id=x&client_secret=y"
            )
            .0,
            400
        );
        let (status, body) = org.answer(token_path, None, &good);
        assert_eq!(status, 200);
        let token: Value = serde_json::from_str(&body).expect("json");
        let bearer = format!("Bearer {}", token["access_token"].as_str().expect("token"));
        let lead = r#"{"LastName":"Lee","Company":"Acme","Email":"a@b.example"}"#;
        let cases: &[(&str, Option<&str>, &str, u16, &str)] = &[
            (lead_path, None, lead, 401, "INVALID_SESSION_ID"),
            (
                lead_path,
                Some(&bearer),
                r#"{"LastName":"Lee"}"#,
                400,
                "REQUIRED_FIELD_MISSING",
            ),
            (
                lead_path,
                Some(&bearer),
                r#"{"LastName":"Lee","Company":"A","Nope":"x"}"#,
                400,
                "INVALID_FIELD",
            ),
            (
                lead_path,
                Some(&bearer),
                &format!(r#"{{"LastName":"{}","Company":"A"}}"#, "x".repeat(81)),
                400,
                "STRING_TOO_LONG",
            ),
            (lead_path, Some(&bearer), lead, 201, ""),
            (lead_path, Some(&bearer), lead, 400, "DUPLICATES_DETECTED"),
            (
                "/sf/services/data/v62.0/sobjects/Contact",
                Some(&bearer),
                lead,
                404,
                "NOT_FOUND",
            ),
        ];
        for (path, auth, body, status, code) in cases {
            let (got, answer) = org.answer(path, *auth, body);
            assert_eq!(got, *status, "{body}: {answer}");
            let answer: Value = serde_json::from_str(&answer).expect("json");
            if code.is_empty() {
                assert!(answer["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("00Q")));
            } else {
                assert_eq!(answer[0]["errorCode"], *code, "{answer}");
            }
        }
        org.expire_sessions();
        assert_eq!(org.answer(lead_path, Some(&bearer), lead).0, 401);
        assert_eq!(org.tokens_issued(), 1);
        assert_eq!(percent_decode("a%2Bb+c%2"), "a+b c%2");
    }
}
