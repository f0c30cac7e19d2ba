//! Stand-ins for the CRM APIs the Worker delivers to, answering as their
//! documentation says, behind the local destination server
//! ([`crate::destination`]): HubSpot's Forms API v3 (`/submissions/v3/
//! integration/submit/...` and the token-checked `.../secure/submit/...`).
//! Each checks the request against the documented request schema and
//! answers the documented success or error shape; a test scripts other
//! answers (429, 5xx) with [`crate::destination::Destination::script`].

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
}
