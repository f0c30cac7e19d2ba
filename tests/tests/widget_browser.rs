//! End-to-end tests of the widget in headless Chromium: an owner page holding
//! only the script tag, served from one loopback origin; the loader, wasm,
//! form spec and `/v1/submit` served from another (as the edge would). The
//! assertions are about what a keyboard-only visitor sees and about the
//! request body the widget sends, checked with `leadform-shared`'s own parser
//! and rules.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use leadform_shared::messages::message;
use leadform_shared::{validate_field, FieldValue, FormSpec, Lang, SubmissionEnvelope};
use leadform_tests::axe;
use leadform_tests::browser::{
    self, fill_by_keyboard, focused, in_shadow, key, wait_mounted, ChromeDriver, Request, Response,
    Server, Session, WAIT,
};
use serde_json::{json, Value};

fn example_spec(name: &str) -> FormSpec {
    let path = browser::repo_root().join("examples/forms").join(name);
    let source = std::fs::read_to_string(&path).expect("read example spec");
    FormSpec::parse_toml(&source).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The "edge": assets, the public spec and a recording `/v1/submit` whose
/// status code the test can change (`submit_status`).
struct Edge {
    server: Server,
    submit_status: Arc<AtomicU16>,
}

fn start_edge(spec: &FormSpec, dist: PathBuf) -> Edge {
    let spec_json = serde_json::to_string(&spec.public()).expect("spec json");
    let form_path = format!("/v1/forms/{}", spec.id);
    let submit_status = Arc::new(AtomicU16::new(202));
    let status = Arc::clone(&submit_status);
    let server = Server::start(move |req: &Request| {
        let cors = |r: Response| {
            r.header(
                "Access-Control-Allow-Origin",
                req.header("origin").unwrap_or("*"),
            )
            .header("Vary", "Origin")
        };
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", path) if path == form_path => {
                cors(Response::new(200, "application/json", spec_json.clone()))
            }
            ("GET", path) if path.starts_with("/v1/") => cors(Response::file(&dist, &path[4..])),
            ("OPTIONS", "/v1/submit") => cors(Response::new(204, "text/plain", ""))
                .header("Access-Control-Allow-Methods", "POST")
                .header("Access-Control-Allow-Headers", "content-type")
                .header("Access-Control-Max-Age", "600"),
            ("POST", "/v1/submit") => {
                let code = status.load(Ordering::SeqCst);
                let body = if code == 202 {
                    json!({"lead_id": "ld_test", "certificate_ids": [], "received_at": "2026-01-01T00:00:00Z"})
                } else {
                    json!({"error": {"code": "server.unavailable", "message": "down", "issues": []}})
                };
                cors(Response::json(code, &body))
            }
            _ => Response::not_found(),
        }
    });
    Edge {
        server,
        submit_status,
    }
}

/// The owner's page: nothing but the script tag.
fn start_page(edge_origin: &str, form_id: &str) -> Server {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Owner page</title></head>\
         <body><h1>Owner page</h1>\
         <script src=\"{edge_origin}/v1/leadform.js\" data-form=\"{form_id}\" async></script>\
         </body></html>"
    );
    Server::start(move |req: &Request| match req.path.as_str() {
        "/" | "/landing" => Response::new(200, "text/html; charset=utf-8", html.clone()),
        _ => Response::not_found(),
    })
}

/// (aria-invalid, text of the element(s) named by aria-describedby) of `#id`.
fn aria_state(session: &Session, id: &str) -> (Option<String>, String) {
    let value = in_shadow(
        session,
        &format!(
            "const el = root.getElementById('{id}'); if (!el) return null; \
             const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean); \
             return [el.getAttribute('aria-invalid'), ids.map(i => {{ const d = root.getElementById(i); return d ? d.textContent : '#missing:' + i; }}).join(' | ')];"
        ),
    );
    (
        value[0].as_str().map(str::to_owned),
        value[1].as_str().unwrap_or_default().to_owned(),
    )
}

fn expected_error(spec: &FormSpec, field: &str, input: &str) -> String {
    let field = spec.field(field).expect("field");
    let code = validate_field(field, Some(&FieldValue::Text(input.into())))
        .expect_err("input must be invalid");
    message(code, Lang::En).to_owned()
}

fn wait_submissions(edge: &Edge, count: usize) -> Vec<Request> {
    browser::wait_for("the widget's POST /v1/submit", WAIT, || {
        let got = edge.server.received("POST", "/v1/submit");
        (got.len() >= count).then_some(got)
    })
}

#[test]
fn widget_keyboard_fill_inline_errors_and_request_body() {
    let _serial = browser::exclusive();
    let dist = browser::widget_dist();
    let spec = example_spec("home-services-quote.toml");
    let edge = start_edge(&spec, dist);
    let page = start_page(&edge.server.origin(), &spec.id);
    let driver = ChromeDriver::start();
    let session = Session::new(&driver);
    session.goto(&format!(
        "{}/landing?utm_source=newsletter&utm_campaign=spring&gclid=abc123",
        page.origin()
    ));
    wait_mounted(&session);

    // Mounted after the script tag, in a shadow root, one form.
    let placement = session.execute(
        "const s = document.querySelector('script[data-form]'); const h = s.nextElementSibling; \
         return [h && h.className, !!(h && h.shadowRoot), document.querySelectorAll('.leadform').length];",
        json!([]),
    );
    assert_eq!(placement, json!(["leadform", true, 1]));
    axe::assert_form_has_no_violations(&session, "the widget as mounted");

    // Keyboard only from here. First Tab lands on the first field (select).
    session.keys(key::TAB);
    let select_id = browser::wait_for("focus on the service select", WAIT, || {
        let id = focused(&session);
        id.ends_with("-service").then_some(id)
    });
    let uid = select_id.trim_end_matches("-service").to_owned();
    let id = |field: &str| format!("{uid}-{field}");
    // Type-ahead picks "Something else", which reveals the textarea.
    session.keys("s");
    browser::wait_for("the conditional textarea to show", WAIT, || {
        (in_shadow(
            &session,
            &format!(
                "const t = root.getElementById('{}'); return !!t && t.offsetParent !== null;",
                id("other_details")
            ),
        ) == json!(true))
        .then_some(())
    });
    session.keys(key::TAB);
    session.keys("Fix the garden gate");
    session.keys(key::TAB);
    assert_eq!(focused(&session), id("name"));
    session.keys("J");
    // Enter submits: name too short, phone and ZIP missing. Focus goes to the
    // first error with its message wired through aria-describedby.
    session.keys(key::ENTER);
    browser::wait_for("focus on the first invalid field", WAIT, || {
        (focused(&session) == id("name")).then_some(())
    });
    let (invalid, described) = aria_state(&session, &id("name"));
    assert_eq!(invalid.as_deref(), Some("true"));
    assert!(
        described.contains(&expected_error(&spec, "name", "J")),
        "name error: {described}"
    );
    let (invalid, described) = aria_state(&session, &id("phone"));
    assert_eq!(invalid.as_deref(), Some("true"));
    assert!(described.contains(message(leadform_shared::ErrorCode::Required, Lang::En)));
    assert!(
        described.contains("We only use it to schedule your visit."),
        "help is described: {described}"
    );
    axe::assert_form_has_no_violations(&session, "the widget with inline errors");

    // Fixing the value clears the error as typed.
    session.keys("ane Doe");
    browser::wait_for("the name error to clear", WAIT, || {
        (aria_state(&session, &id("name")).0.is_none()).then_some(())
    });
    session.keys(key::TAB);
    session.keys("(415) 555-2671");
    session.keys(key::TAB);
    // A bad email is reported on blur, with the shared message.
    session.keys("jane@");
    session.keys(key::TAB);
    browser::wait_for("the email error on blur", WAIT, || {
        (aria_state(&session, &id("email")).0.as_deref() == Some("true")).then_some(())
    });
    let (_, described) = aria_state(&session, &id("email"));
    assert!(
        described.contains(&expected_error(&spec, "email", "jane@")),
        "email error: {described}"
    );
    // The phone was normalised to E.164 when it lost focus.
    let phone_value = in_shadow(
        &session,
        &format!("return root.getElementById('{}').value;", id("phone")),
    );
    let expected_phone = validate_field(
        spec.field("phone").expect("phone"),
        Some(&FieldValue::Text("(415) 555-2671".into())),
    )
    .expect("valid phone")
    .expect("value");
    assert_eq!(phone_value, json!(expected_phone.to_display()));

    session.chord(key::SHIFT, key::TAB);
    assert_eq!(focused(&session), id("email"));
    session.chord(key::CONTROL, "a");
    session.keys("jane@example.com");
    session.keys(key::TAB);
    assert_eq!(focused(&session), id("zip"));
    session.keys("94107");
    session.keys(key::TAB);
    // First consent (TCPA): tick with Space. Second one stays unticked.
    assert_eq!(focused(&session), format!("{uid}-consent-tcpa_calls_texts"));
    session.keys(key::SPACE);
    session.keys(key::TAB);
    session.keys(key::TAB);
    let on_submit = in_shadow(
        &session,
        "return root.activeElement && root.activeElement.type;",
    );
    assert_eq!(on_submit, json!("submit"));
    session.keys(key::ENTER);

    let posts = wait_submissions(&edge, 1);
    let post = &posts[0];
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(post.header("origin"), Some(page.origin().as_str()));
    let envelope = SubmissionEnvelope::parse(&post.body)
        .unwrap_or_else(|e| panic!("envelope refused by shared: {e}\n{}", post.body_text()));
    let clean = envelope
        .validate_against(&spec)
        .unwrap_or_else(|issues| panic!("shared rules refuse the envelope: {issues:?}"));
    assert_eq!(envelope.form_id, "home-quote");
    assert_eq!(envelope.spec_hash, spec.public_hash());
    let text = |id: &str| envelope.fields.get(id).map(FieldValue::to_display);
    assert_eq!(text("service").as_deref(), Some("other"));
    assert_eq!(
        text("other_details").as_deref(),
        Some("Fix the garden gate")
    );
    assert_eq!(text("name").as_deref(), Some("Jane Doe"));
    assert_eq!(text("phone"), Some(expected_phone.to_display()));
    assert_eq!(text("email").as_deref(), Some("jane@example.com"));
    assert_eq!(text("zip").as_deref(), Some("94107"));
    assert_eq!(text("campaign").as_deref(), Some("landing-page"));
    assert_eq!(
        clean.values, envelope.fields,
        "the widget sends normalised values"
    );
    let consent = |id: &str| {
        envelope
            .consents
            .iter()
            .find(|c| c.consent_id == id)
            .cloned()
    };
    let tcpa = consent("tcpa_calls_texts").expect("tcpa record");
    assert!(tcpa.checked);
    assert_eq!(
        tcpa.disclosure_text,
        spec.consent("tcpa_calls_texts").expect("block").text
    );
    assert!(!consent("email_marketing").expect("email record").checked);
    assert_eq!(envelope.honeypot, "");
    assert!(envelope.timings.time_to_fill_ms > 0);
    assert!(envelope.timings.submitted_at_ms >= envelope.timings.started_at_ms);
    assert_eq!(
        envelope.attribution.current.utm_source.as_deref(),
        Some("newsletter")
    );
    assert_eq!(
        envelope.attribution.current.utm_campaign.as_deref(),
        Some("spring")
    );
    assert_eq!(
        envelope.attribution.current.gclid.as_deref(),
        Some("abc123")
    );
    assert_eq!(
        envelope
            .attribution
            .first_touch
            .as_ref()
            .and_then(|t| t.utm_source.as_deref()),
        Some("newsletter")
    );
    assert!(envelope
        .page_url
        .ends_with("/landing?utm_source=newsletter&utm_campaign=spring&gclid=abc123"));
    assert_eq!(envelope.lang, Lang::En);

    // Success message replaces the form.
    let thanks = spec.success.message.clone();
    browser::wait_for("the success message", WAIT, || {
        let shown = in_shadow(
            &session,
            "const s = root.querySelector('.lf-success'); return s && !s.hidden ? s.textContent : null;",
        );
        (shown.as_str() == Some(thanks.as_str())).then_some(())
    });
}

/// Everything the page keeps in `localStorage`, as one JSON text.
fn local_storage(session: &Session) -> String {
    let stored = session.execute(
        "return JSON.stringify(Object.assign({}, localStorage));",
        json!([]),
    );
    stored.as_str().unwrap_or_default().to_owned()
}

fn visible_fields(session: &Session) -> Value {
    in_shadow(
        session,
        "return [...root.querySelectorAll('.lf-step:not([hidden]) [name]')].filter(e => e.type !== 'hidden').map(e => e.name);",
    )
}

#[test]
fn widget_progressive_profiling_advances_after_reload() {
    let _serial = browser::exclusive();
    let dist = browser::widget_dist();
    let spec = example_spec("b2b-demo.toml");
    let edge = start_edge(&spec, dist);
    let page = start_page(&edge.server.origin(), &spec.id);
    let driver = ChromeDriver::start();
    let session = Session::new(&driver);
    session.goto(&format!("{}/", page.origin()));
    wait_mounted(&session);
    assert_eq!(
        visible_fields(&session),
        json!(["email", "first_name", "last_name"])
    );
    let progress = in_shadow(
        &session,
        "return root.querySelector('.lf-progress-text').textContent;",
    );
    assert_eq!(progress, json!("Step 1 of 3"));

    // email, first, last, then the required consent (Space), then Enter on submit.
    fill_by_keyboard(&session, &["ana@example.com", "Ana", "Lopez", key::SPACE]);
    session.keys(key::TAB);
    session.keys(key::ENTER);
    let first = wait_submissions(&edge, 1);
    let envelope = SubmissionEnvelope::parse(&first[0].body).expect("envelope");
    assert_eq!(envelope.asked, vec!["email", "first_name", "last_name"]);
    envelope
        .validate_against(&spec)
        .expect("valid for the edge");

    // Ids are kept, and values only of the fields whose spec sets `prefill`
    // (here the three identity fields).
    let stored = local_storage(&session);
    assert!(stored.contains("leadform:v1:known:b2b-demo"), "{stored}");
    let prefill = session.execute(
        "return localStorage.getItem('leadform:v1:prefill:b2b-demo');",
        json!([]),
    );
    let prefill: Value = serde_json::from_str(prefill.as_str().unwrap_or("null")).expect("JSON");
    assert_eq!(
        prefill,
        json!({"email": "ana@example.com", "first_name": "Ana", "last_name": "Lopez"})
    );

    // Next visit: stage 2, with the identity fields asked again (never
    // hidden), prefilled from this browser.
    session.refresh();
    wait_mounted(&session);
    assert_eq!(
        visible_fields(&session),
        json!([
            "email",
            "first_name",
            "last_name",
            "company",
            "company_size",
            "role"
        ])
    );
    let shown = in_shadow(
        &session,
        "return [...root.querySelectorAll('.lf-step:not([hidden]) input.lf-input')].map(e => e.value);",
    );
    assert_eq!(shown, json!(["ana@example.com", "Ana", "Lopez", "", ""]));
    let progress = in_shadow(
        &session,
        "return root.querySelector('.lf-progress-text').textContent;",
    );
    assert_eq!(progress, json!("Step 2 of 3"));

    // Same visitor id on the second submission (Shift leaves a prefilled
    // field as it is).
    fill_by_keyboard(
        &session,
        &[
            key::SHIFT,
            key::SHIFT,
            key::SHIFT,
            "Acme",
            "1",
            "CTO",
            key::SPACE,
        ],
    );
    session.keys(key::TAB);
    session.keys(key::ENTER);
    let both = wait_submissions(&edge, 2);
    let second = SubmissionEnvelope::parse(&both[1].body).expect("second envelope");
    assert_eq!(second.visitor_id, envelope.visitor_id);
    assert_ne!(second.submission_id, envelope.submission_id);
    assert_eq!(
        second.asked,
        vec![
            "email",
            "first_name",
            "last_name",
            "company",
            "company_size",
            "role"
        ]
    );
    assert_eq!(
        second.fields.get("company_size"),
        Some(&FieldValue::Text("1-10".into()))
    );
    assert_eq!(
        second.fields.get("last_name"),
        Some(&FieldValue::Text("Lopez".into()))
    );
    second.validate_against(&spec).expect("valid for the edge");
    // Values of fields without `prefill` are never kept.
    let stored = local_storage(&session);
    for value in ["Acme", "CTO"] {
        assert!(
            !stored.contains(&format!("\"{value}")),
            "value {value} kept in storage: {stored}"
        );
    }
}

#[test]
fn widget_keeps_submission_offline_and_resends_on_next_load() {
    let _serial = browser::exclusive();
    let dist = browser::widget_dist();
    let spec = example_spec("newsletter.toml");
    let edge = start_edge(&spec, dist);
    edge.submit_status.store(503, Ordering::SeqCst);
    let page = start_page(&edge.server.origin(), &spec.id);
    let driver = ChromeDriver::start();
    let session = Session::new(&driver);
    session.goto(&format!("{}/", page.origin()));
    wait_mounted(&session);

    fill_by_keyboard(&session, &["max@example.com", key::SPACE]);
    session.keys(key::TAB);
    session.keys(key::ENTER);
    let failed = wait_submissions(&edge, 1);
    let first = SubmissionEnvelope::parse(&failed[0].body).expect("envelope");
    browser::wait_for("the offline message and Retry button", WAIT, || {
        (in_shadow(
            &session,
            "return [...root.querySelectorAll('button')].some(b => b.textContent === 'Try again');",
        ) == json!(true))
        .then_some(())
    });
    let pending = session.execute(
        "return localStorage.getItem('leadform:v1:pending:newsletter');",
        json!([]),
    );
    assert!(
        pending
            .as_str()
            .is_some_and(|p| p.contains(&first.submission_id)),
        "pending: {pending}"
    );

    // The server recovers; the next page load resends the same submission.
    edge.submit_status.store(202, Ordering::SeqCst);
    session.refresh();
    let resent = wait_submissions(&edge, 2);
    let again = SubmissionEnvelope::parse(&resent[1].body).expect("resent envelope");
    assert_eq!(again.submission_id, first.submission_id);
    assert_eq!(again.fields, first.fields);
    browser::wait_for("the pending submission to be cleared", WAIT, || {
        (session.execute(
            "return localStorage.getItem('leadform:v1:pending:newsletter');",
            json!([]),
        ) == Value::Null)
            .then_some(())
    });
}
