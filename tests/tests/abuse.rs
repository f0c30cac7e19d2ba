//! Abuse suite against the running Worker (real workerd, local D1, Queues and
//! the rate-limiter Durable Object): floods, hostile request shapes, wrong
//! owner credentials, tampered consent certificates and replayed webhook
//! signatures. Each refusal must carry its stable machine code, and nothing
//! refused may be stored.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use leadform_edge::webhook::{
    check_delivery, decode_secret, DeliveryHeaders, Freshness, ReplayGuard, WebhookRejection,
    TIMESTAMP_TOLERANCE_S,
};
use leadform_tests::destination::Destination;
use leadform_tests::envelope::{email_envelope as envelope, test_form as spec};
use leadform_tests::wrangler::{
    exclusive, HttpResponse, Worker, WorkerOptions, ADMIN_TOKEN, ALLOWED_ORIGIN, WEBHOOK_SECRET,
};

fn submit_from(worker: &Worker, ip: &str, body: &str) -> HttpResponse {
    worker.request(
        "POST",
        "/v1/submit",
        &[
            ("Content-Type", "application/json"),
            ("Origin", ALLOWED_ORIGIN),
            ("CF-Connecting-IP", ip),
        ],
        body,
    )
}

/// The lead id of a 202 receipt.
fn accepted_lead_id(response: &HttpResponse) -> String {
    assert_eq!(
        response.status, 202,
        "expected a receipt: {}",
        response.body
    );
    response.json()["lead_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no lead_id in {}", response.body))
        .to_owned()
}

fn error_code(response: &HttpResponse) -> String {
    response.json()["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {} {}", response.status, response.body))
        .to_owned()
}

#[test]
fn a_flood_from_one_client_is_limited_while_another_client_still_gets_through() {
    let _guard = exclusive();
    let worker = Worker::start(WorkerOptions::default());
    let form = spec("limited");
    let limit = form.anti_spam.per_ip_per_minute as usize;
    const FLOOD: usize = 40;

    let mut statuses = Vec::with_capacity(FLOOD);
    for i in 0..FLOOD {
        let body = envelope(
            &form,
            &format!("flood-{i:04}"),
            &format!("f{i}@example.com"),
        );
        let response = submit_from(&worker, "203.0.113.66", &body.to_string());
        if response.status == 429 {
            assert_eq!(error_code(&response), "rate_limit.exceeded");
            let retry_after: u64 = response
                .header("retry-after")
                .and_then(|v| v.parse().ok())
                .expect("a numeric Retry-After on 429");
            assert!((1..=60).contains(&retry_after), "{retry_after}");
        }
        statuses.push(response.status);
    }
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    assert_eq!(accepted, limit, "{statuses:?}");
    assert!(
        statuses[limit..].iter().all(|s| *s == 429),
        "everything after the limit is 429: {statuses:?}"
    );

    // Another client, same form, same minute: not affected.
    let other = submit_from(
        &worker,
        "198.51.100.23",
        &envelope(&form, "other-client-1", "other@example.com").to_string(),
    );
    assert_eq!(other.status, 202, "{}", other.body);
    assert_eq!(worker.lead_ids("limited").len(), limit + 1);
}

#[test]
fn hostile_request_shapes_are_refused_with_their_codes_and_store_nothing() {
    let _guard = exclusive();
    let worker = Worker::start(WorkerOptions::default());
    let form = spec("contact");
    let good = envelope(&form, "shape-good-0001", "shape@example.com").to_string();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: Vec<(&str, Option<&str>, String, u16, &str)> = vec![
        // (what, content type, body, status, code)
        (
            "empty body",
            Some("application/json"),
            String::new(),
            400,
            "envelope.malformed",
        ),
        (
            "oversized body",
            Some("application/json"),
            format!("{{\"pad\":\"{}\"}}", "x".repeat(65 * 1024)),
            413,
            "envelope.too_large",
        ),
        (
            "oversized non-JSON",
            Some("text/plain"),
            "x".repeat(200 * 1024),
            413,
            "envelope.too_large",
        ),
        (
            "form-encoded",
            Some("application/x-www-form-urlencoded"),
            "email=a%40b.example".into(),
            415,
            "content_type.unsupported",
        ),
        (
            "multipart",
            Some("multipart/form-data; boundary=x"),
            good.clone(),
            415,
            "content_type.unsupported",
        ),
        (
            "json look-alike type",
            Some("application/jsonp"),
            good.clone(),
            415,
            "content_type.unsupported",
        ),
        (
            "no content type",
            None,
            good.clone(),
            415,
            "content_type.unsupported",
        ),
        (
            "truncated JSON",
            Some("application/json"),
            good[..good.len() / 2].to_owned(),
            400,
            "envelope.malformed",
        ),
        (
            "JSON array",
            Some("application/json"),
            "[]".into(),
            400,
            "envelope.malformed",
        ),
        (
            "JSON null",
            Some("application/json"),
            "null".into(),
            400,
            "envelope.malformed",
        ),
        (
            "JSON string",
            Some("application/json"),
            "\"hello\"".into(),
            400,
            "envelope.malformed",
        ),
        (
            "nesting bomb",
            Some("application/json"),
            deep,
            413,
            "envelope.too_large",
        ),
        (
            "nesting in a field",
            Some("application/json"),
            good.replace(
                "\"shape@example.com\"",
                &format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000)),
            ),
            400,
            "envelope.malformed",
        ),
        (
            "trailing garbage",
            Some("application/json"),
            format!("{good}{{}}"),
            400,
            "envelope.malformed",
        ),
        (
            "huge number",
            Some("application/json"),
            good.replace(
                "\"version\":1",
                &format!("\"version\":1{}", "0".repeat(400)),
            ),
            400,
            "envelope.malformed",
        ),
        (
            "duplicate key",
            Some("application/json"),
            good.replacen('{', "{\"version\":1,", 1),
            400,
            "envelope.malformed",
        ),
        (
            "NUL in a value",
            Some("application/json"),
            good.replace("shape@example.com", "shape\\u0000@example.com"),
            422,
            "submission.invalid",
        ),
    ];
    for (what, content_type, body, status, code) in &cases {
        let mut headers = vec![("Origin", ALLOWED_ORIGIN)];
        if let Some(content_type) = content_type {
            headers.push(("Content-Type", content_type));
        }
        let response = worker.request("POST", "/v1/submit", &headers, body);
        assert_eq!(response.status, *status, "{what}: {}", response.body);
        assert_eq!(error_code(&response), *code, "{what}");
    }
    for (method, path, status, code) in [
        ("GET", "/v1/submit", 405, "route.method_not_allowed"),
        ("PUT", "/v1/submit", 405, "route.method_not_allowed"),
        ("POST", "/v1/forms/contact", 405, "route.method_not_allowed"),
        (
            "GET",
            "/v1/forms/..%2F..%2Fetc%2Fpasswd",
            404,
            "form.not_found",
        ),
    ] {
        let response = worker.request(method, path, &[("Origin", ALLOWED_ORIGIN)], "");
        assert_eq!(
            response.status, status,
            "{method} {path}: {}",
            response.body
        );
        assert_eq!(error_code(&response), code, "{method} {path}");
    }
    assert_eq!(worker.lead_ids("contact").len(), 0, "nothing may be stored");

    // JSON with a charset parameter, and `text/plain` (what a CORS "simple"
    // request or `sendBeacon` sends, documented on `ContentTypeUnsupported`),
    // are accepted.
    for (n, content_type) in [
        "application/json; charset=utf-8",
        "text/plain;charset=UTF-8",
    ]
    .into_iter()
    .enumerate()
    {
        let body = envelope(
            &form,
            &format!("shape-type-{n:04}"),
            &format!("type{n}@example.com"),
        );
        let ok = worker.request(
            "POST",
            "/v1/submit",
            &[("Origin", ALLOWED_ORIGIN), ("Content-Type", content_type)],
            &body.to_string(),
        );
        assert_eq!(ok.status, 202, "{content_type}: {}", ok.body);
    }
}

#[test]
fn owner_endpoints_refuse_every_wrong_credential_and_tampered_certificates_fail_their_seal() {
    let _guard = exclusive();
    let worker = Worker::start(WorkerOptions::default());
    let form = spec("contact");
    let response = submit_from(
        &worker,
        "203.0.113.70",
        &envelope(&form, "owner-auth-0001", "owner@example.com").to_string(),
    );
    let lead_id = accepted_lead_id(&response);
    let receipt = response.json();
    let certificate_id = receipt["certificate_ids"][0]
        .as_str()
        .expect("certificate id")
        .to_owned();

    let endpoints = [
        ("GET", "/v1/leads?form=contact".to_owned()),
        ("GET", "/v1/leads?form=contact&format=csv".to_owned()),
        ("GET", format!("/v1/leads/{lead_id}")),
        ("POST", format!("/v1/leads/{lead_id}/replay")),
        ("GET", format!("/v1/certificates/{certificate_id}")),
        ("DELETE", format!("/v1/leads/{lead_id}")),
        ("POST", "/v1/erasures".to_owned()),
    ];
    let wrong_token = format!("Bearer {ADMIN_TOKEN}x");
    let truncated = format!("Bearer {}", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1]);
    let upper = format!("Bearer {}", ADMIN_TOKEN.to_uppercase());
    let basic = format!("Basic {ADMIN_TOKEN}");
    let bare = ADMIN_TOKEN.to_owned();
    let credentials: [(Option<&str>, u16, &str); 7] = [
        (None, 401, "auth.missing"),
        (Some(""), 401, "auth.missing"),
        (Some(&bare), 401, "auth.missing"),
        (Some(&basic), 401, "auth.missing"),
        (Some(&wrong_token), 403, "auth.invalid"),
        (Some(&truncated), 403, "auth.invalid"),
        (Some(&upper), 403, "auth.invalid"),
    ];
    for (method, path) in &endpoints {
        for (authorization, status, code) in credentials {
            let headers: Vec<(&str, &str)> = authorization
                .map(|value| vec![("Authorization", value)])
                .unwrap_or_default();
            let response = worker.request(method, path, &headers, "");
            assert_eq!(
                response.status, status,
                "{method} {path} with {authorization:?}: {}",
                response.body
            );
            assert_eq!(error_code(&response), code, "{method} {path}");
        }
    }
    // Still there: no wrong credential erased anything.
    let lead = worker.owner("GET", &format!("/v1/leads/{lead_id}")).json();
    assert_eq!(lead["seal_verified"], true, "{lead}");

    // Tampering with a stored certificate is caught: its JSON is stored
    // encrypted (AES-256-GCM, edge::crypto), so a changed byte fails the
    // decryption; a replaced seal fails the seal check. One fresh lead per
    // kind of tampering, each checked before and after.
    let tamperings = [
        (
            "ciphertext changed",
            "certificate_json = substr(certificate_json, 1, length(certificate_json) - 4) || \
             (CASE WHEN substr(certificate_json, -4) = 'AAAA' THEN 'BBBB' ELSE 'AAAA' END)",
        ),
        ("seal replaced", "seal = lower(hex(randomblob(32)))"),
    ];
    for (n, (what, set)) in tamperings.into_iter().enumerate() {
        let receipt = submit_from(
            &worker,
            "203.0.113.71",
            &envelope(
                &form,
                &format!("tamper-{n:04}"),
                &format!("tamper{n}@example.com"),
            )
            .to_string(),
        )
        .json();
        let certificate_id = receipt["certificate_ids"][0]
            .as_str()
            .expect("certificate id");
        let path = format!("/v1/certificates/{certificate_id}");
        let original = worker.owner("GET", &path).json();
        assert_eq!(original["seal"]["verified"], true, "{what}: {original}");
        worker.d1(&format!(
            "UPDATE certificates SET {set} WHERE certificate_id = '{certificate_id}'"
        ));
        let response = worker.owner("GET", &path);
        let tampered = response.json();
        assert_ne!(
            tampered, original,
            "{what}: the tampering must change the row"
        );
        // Refused with a typed code (the ciphertext no longer opens), or
        // served as not verified.
        assert!(
            (response.status == 500 && tampered["error"]["code"] == "storage.integrity_failed")
                || (response.status == 200 && tampered["seal"]["verified"] == false),
            "{what}: {} {tampered}",
            response.status
        );
    }
}

#[test]
fn replayed_and_forged_webhook_deliveries_are_refused_by_the_receiver_check() {
    let _guard = exclusive();
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        ..Default::default()
    });
    let form = spec("contact");
    let lead_ids: Vec<String> = ["hook-replay-01", "hook-replay-02"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            accepted_lead_id(&submit_from(
                &worker,
                "203.0.113.80",
                &envelope(&form, id, &format!("hook{i}@example.com")).to_string(),
            ))
        })
        .collect();
    let hooks = destination.wait_for("two webhooks", Duration::from_secs(60), |r| {
        r.iter().filter(|x| x.path == "/hooks/leads").count() >= 2
    });
    let hooks: Vec<_> = hooks.iter().filter(|r| r.path == "/hooks/leads").collect();
    let key = decode_secret(WEBHOOK_SECRET).expect("test secret");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let headers_of = |r: &leadform_tests::destination::Received| {
        (
            r.headers["webhook-id"].clone(),
            r.headers["webhook-timestamp"].clone(),
            r.headers["webhook-signature"].clone(),
        )
    };

    let mut guard = ReplayGuard::default();
    for hook in &hooks {
        let (id, timestamp, signature) = headers_of(hook);
        assert!(lead_ids.contains(&id), "webhook id is the lead id");
        let headers = DeliveryHeaders {
            id: Some(&id),
            timestamp: Some(&timestamp),
            signature: Some(&signature),
        };
        let delivery = check_delivery(&key, headers, &hook.body, now).expect("as delivered");
        assert_eq!(guard.admit(delivery, now), Ok(Freshness::New));
        // The captured request sent again: refused.
        let again = check_delivery(&key, headers, &hook.body, now + 1).expect("still signed");
        assert_eq!(guard.admit(again, now + 1), Err(WebhookRejection::Replayed));
        // Replayed after the tolerance window: refused before any lookup.
        assert_eq!(
            check_delivery(&key, headers, &hook.body, now + TIMESTAMP_TOLERANCE_S + 60),
            Err(WebhookRejection::TimestampOutOfTolerance)
        );
        // Body edited (e.g. the email swapped): the signature no longer matches.
        let edited = hook.body.replacen("example.com", "attacker.example", 1);
        assert_ne!(edited, hook.body);
        assert_eq!(
            check_delivery(&key, headers, &edited, now),
            Err(WebhookRejection::SignatureMismatch)
        );
        // Timestamp bumped to look fresh: the signature covers it.
        let bumped = (timestamp.parse::<u64>().expect("seconds") + 1).to_string();
        assert_eq!(
            check_delivery(
                &key,
                DeliveryHeaders {
                    timestamp: Some(&bumped),
                    ..headers
                },
                &hook.body,
                now
            ),
            Err(WebhookRejection::SignatureMismatch)
        );
        // Another secret: refused.
        let other_key = decode_secret("whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY").expect("secret");
        assert_eq!(
            check_delivery(&other_key, headers, &hook.body, now),
            Err(WebhookRejection::SignatureMismatch)
        );
    }
    // One lead's signature on the other lead's body: refused.
    let (first, second) = (headers_of(hooks[0]), hooks[1]);
    assert_eq!(
        check_delivery(
            &key,
            DeliveryHeaders {
                id: Some(&first.0),
                timestamp: Some(&first.1),
                signature: Some(&first.2),
            },
            &second.body,
            now
        ),
        Err(WebhookRejection::SignatureMismatch)
    );
}
