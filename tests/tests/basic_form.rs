//! The basic form (widget/loader/basic.js): what a visitor gets when the wasm
//! widget cannot start. Real Chromium against the real Worker (`wrangler dev`,
//! local D1) on owner pages where the widget cannot start:
//!
//! - `/csp`: a Content-Security-Policy that allows the Worker's scripts but
//!   not `'wasm-unsafe-eval'`;
//! - `/missing`: a loader whose wasm answers 404 (a copy of the built assets
//!   under `/v1/nowasm/` without the `.wasm`, served by the same Worker);
//! - `/badwasm`: a loader whose wasm does not compile;
//! - `/widget` with the wasm request held (DevTools `Fetch` domain): the
//!   loader's 15 s start timeout;
//! - `/nowasm`: a page that deletes `window.WebAssembly` before the loader
//!   runs (in Spanish, so the edge's issues come from the Spanish catalog).
//!
//! Each shows the basic form (the exact consent text unticked, native
//! constraints), names the cause in the console (for CSP, the directive to
//! add) and in a `leadform:fallback` event. The visitor fills it by keyboard,
//! gets the edge's 422 issue inline for an email the browser accepts but the
//! shared rules refuse, fixes it, submits; the stored lead and its consent
//! certificate equal those the full widget stored for the same input (on
//! `/widget`, the same Worker) and what the shared rules make of that input.
//! The owner's health report counts exactly one fallback per cause, and
//! beacons the edge must refuse are not counted. axe-core finds no
//! violations in the basic form, before and with the inline error shown.
//!
//! Also: a returning visitor of the three-stage B2B form is asked, through the
//! basic form, the steps `select_fields` picks (progress, consent step,
//! identity fields prefilled); a Turnstile form's basic form renders the
//! challenge in its slot and the Worker verifies the token.

use std::path::{Path, PathBuf};
use std::time::Duration;

use leadform_edge::EdgeError;
use leadform_shared::messages::{message, ui_text, UiText};
use leadform_shared::{
    hex_sha256, select_fields, validate_field, validate_submission, ConsentRecord, FieldMap,
    FieldValue, FormSpec, Lang,
};
use leadform_tests::axe;
use leadform_tests::browser::{
    self, fill_by_keyboard, focused, in_shadow, key, wait_mounted, ChromeDriver, Request, Response,
    Server, Session, WAIT,
};
use leadform_tests::destination::Destination;
use leadform_tests::wrangler::{self, Worker, WorkerOptions};
use serde_json::{json, Value};

/// The page origin `tests/forms/contact.toml` allows.
const PAGE_PORT: u16 = 8788;
/// The nonce of the pages' one inline script (allowed by the CSP page).
const NONCE: &str = "leadform-basic-test";
/// The good and the bad email the visitor types.
const EMAIL: &str = "Eve@Example.org";
const BAD_EMAIL: &str = "eve@example";

/// The contact form as the Worker compiled it.
fn contact_spec() -> FormSpec {
    let path = wrangler::repo_root().join("tests/forms/contact.toml");
    FormSpec::parse_toml(&std::fs::read_to_string(path).expect("contact form"))
        .expect("contact form parses")
}

/// The built assets, plus `v1/nowasm/`: the loader, glue and basic form
/// without the wasm, so a loader from there gets a 404 for it; and
/// `v1/badwasm/`, whose wasm does not compile.
struct Assets(PathBuf);

impl Assets {
    fn prepare() -> Assets {
        let built = browser::widget_dist();
        let dir =
            std::env::temp_dir().join(format!("leadform-basic-assets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(built.parent().expect("dist/assets"), &dir);
        let nowasm = dir.join("v1/nowasm");
        std::fs::create_dir_all(&nowasm).expect("nowasm dir");
        for name in ["leadform.js", "leadform_widget.js", "basic.js"] {
            std::fs::copy(built.join(name), nowasm.join(name)).unwrap_or_else(|e| {
                panic!("{name} in {} ({e}): run widget/build.sh", built.display())
            });
        }
        // v1/badwasm/: the same with a wasm that does not compile (the
        // magic number and version, then junk).
        let badwasm = dir.join("v1/badwasm");
        std::fs::create_dir_all(&badwasm).expect("badwasm dir");
        for name in ["leadform.js", "leadform_widget.js", "basic.js"] {
            std::fs::copy(built.join(name), badwasm.join(name)).expect("copy asset");
        }
        let mut junk = b"\0asm\x01\0\0\0".to_vec();
        junk.extend_from_slice(b"this is not a wasm section");
        std::fs::write(badwasm.join("leadform_widget_bg.wasm"), junk).expect("bad wasm");
        Assets(dir)
    }
}

impl Drop for Assets {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy asset");
        }
    }
}

/// One owner page: its path, form, `<html lang>`, loader directory, whether it
/// deletes `WebAssembly` first, and its CSP header (if any).
struct Page {
    path: &'static str,
    form: &'static str,
    lang: &'static str,
    loader_dir: &'static str,
    delete_wasm: bool,
    csp: bool,
}

const PAGES: &[Page] = &[
    Page {
        path: "/widget",
        form: "contact",
        lang: "en",
        loader_dir: "v1",
        delete_wasm: false,
        csp: false,
    },
    Page {
        path: "/csp",
        form: "contact",
        lang: "en",
        loader_dir: "v1",
        delete_wasm: false,
        csp: true,
    },
    Page {
        path: "/missing",
        form: "contact",
        lang: "en",
        loader_dir: "v1/nowasm",
        delete_wasm: false,
        csp: false,
    },
    Page {
        path: "/badwasm",
        form: "contact",
        lang: "en",
        loader_dir: "v1/badwasm",
        delete_wasm: false,
        csp: false,
    },
    Page {
        path: "/nowasm-b2b",
        form: "b2b-demo",
        lang: "en",
        loader_dir: "v1",
        delete_wasm: true,
        csp: false,
    },
    Page {
        path: "/nowasm-guarded",
        form: "guarded",
        lang: "en",
        loader_dir: "v1",
        delete_wasm: true,
        csp: false,
    },
    Page {
        path: "/nowasm",
        form: "contact",
        lang: "es",
        loader_dir: "v1",
        delete_wasm: true,
        csp: false,
    },
];

/// Stand-in of Cloudflare's Turnstile browser API (the real script is
/// unreachable offline), as in `e2e_widget_to_worker.rs`: it records each
/// `render`; the test answers with a token like Turnstile does, which the
/// Worker then verifies against a siteverify stand-in.
const TURNSTILE_STAND_IN: &str = "window.__ts = { renders: [] }; window.turnstile = { render: function (el, opts) { \
window.__ts.renders.push({ sitekey: opts.sitekey, slot: el.getAttribute('slot'), host: el.parentNode && el.parentNode.className }); \
window.__ts.opts = opts; return 'ts-1'; } };";

/// The page's HTML: one nonce'd script recording console errors and the
/// `leadform:fallback` event, standing in for Turnstile (and deleting
/// `WebAssembly` when asked), then the script tag inside `<main>`.
fn html(page: &Page, worker_port: u16) -> String {
    let delete = if page.delete_wasm {
        "delete window.WebAssembly;"
    } else {
        ""
    };
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>Acme</title>\
         <script nonce=\"{NONCE}\">{delete}window.__errors = []; var error = console.error; \
         console.error = function () {{ window.__errors.push(Array.prototype.map.call(arguments, String).join(' ')); return error.apply(console, arguments); }}; \
         document.addEventListener('leadform:fallback', function (e) {{ window.__fallback = e.detail; }}); {TURNSTILE_STAND_IN}</script></head>\
         <body><main><h1>Acme</h1><script src=\"http://127.0.0.1:{worker_port}/{dir}/leadform.js\" data-form=\"{form}\" async></script></main></body></html>",
        form = page.form,
        lang = page.lang,
        dir = page.loader_dir,
    )
}

/// Script and connections from the Worker, the page's nonce'd script; no
/// `'wasm-unsafe-eval'`.
fn csp(worker_port: u16) -> String {
    format!("script-src http://127.0.0.1:{worker_port} 'nonce-{NONCE}'; connect-src http://127.0.0.1:{worker_port}")
}

/// The owner pages of [`PAGES`] on the origin the forms allow.
fn pages(worker_port: u16) -> Server {
    Server::start_on(PAGE_PORT, move |req: &Request| {
        let path = req.path.split('?').next().unwrap_or("");
        match PAGES.iter().find(|p| p.path == path) {
            Some(page) => {
                let response =
                    Response::new(200, "text/html; charset=utf-8", html(page, worker_port));
                if page.csp {
                    response.header("Content-Security-Policy", &csp(worker_port))
                } else {
                    response
                }
            }
            None => Response::not_found(),
        }
    })
}

/// What one visit stored: the lead record and its consent certificate.
struct Stored {
    record: Value,
    certificate: Value,
}

#[test]
fn where_the_widget_cannot_start_the_basic_form_takes_the_lead_as_the_widget_would_and_the_owner_learns_why(
) {
    let _browser = browser::exclusive();
    let _worker_lock = wrangler::exclusive();
    let assets = Assets::prepare();
    let worker = Worker::start(WorkerOptions {
        assets_dir: Some(assets.0.clone()),
        ..Default::default()
    });
    let port = worker.port;
    let page_server = pages(port);
    let spec = contact_spec();
    let driver = ChromeDriver::start();

    // The full widget first: what the basic form must match.
    let widget = {
        let session = Session::new(&driver);
        session.goto(&format!("{}/widget", page_server.origin()));
        wait_mounted(&session);
        fill_by_keyboard(&session, &[EMAIL, "Eve", "Acme Ltd", key::SPACE]);
        std::thread::sleep(Duration::from_millis(1_200));
        session.keys(key::TAB);
        session.keys(key::ENTER);
        wait_success(&session);
        take_lead(&worker)
    };
    check_against_shared_rules(&spec, &widget);

    // `/widget` with its wasm request held by DevTools (Fetch domain, never
    // continued): the loader's start timeout shows the basic form.
    let cases = [
        ("/csp", "csp_wasm_blocked", Lang::En),
        ("/missing", "wasm_fetch_failed", Lang::En),
        ("/badwasm", "instantiate_failed", Lang::En),
        ("/widget", "timeout", Lang::En),
        ("/nowasm", "no_webassembly", Lang::Es),
    ];
    for (path, cause, lang) in cases {
        let session = Session::new(&driver);
        if cause == "timeout" {
            session.cdp(
                "Fetch.enable",
                json!({ "patterns": [{ "urlPattern": "*leadform_widget_bg.wasm*" }] }),
            );
        }
        session.goto(&format!("{}{path}", page_server.origin()));
        let stored = visit_basic_form(&session, &worker, &spec, cause, lang);
        check_same_as_widget(path, &stored, &widget);
        check_against_shared_rules(&spec, &stored);
    }

    // One fallback per cause, none for the widget's visit.
    let health = worker.wait_owner_json(
        "/v1/forms/contact/health",
        "five counted fallbacks",
        WAIT,
        |h| h["mount_failed"]["total"] == json!(5),
    );
    let expected = json!({
        "no_webassembly": 1, "csp_wasm_blocked": 1, "wasm_fetch_failed": 1,
        "instantiate_failed": 1, "timeout": 1, "mount_error": 0,
    });
    assert_eq!(health["mount_failed"]["by_cause"], expected, "{health}");
    assert!(health["mount_failed"]["last_at"].is_string(), "{health}");

    // Beacons the edge refuses are not counted.
    check_refused_beacons(&worker);
    let after = worker.owner("GET", "/v1/forms/contact/health").json();
    assert_eq!(after["mount_failed"]["by_cause"], expected, "{after}");
    // The report is the owner's.
    let anonymous = worker.request("GET", "/v1/forms/contact/health", &[], "");
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    drop(page_server);
}

/// The basic form on the current page: cause reported, form as specified,
/// accessible, an edge issue shown inline, then a successful submission.
fn visit_basic_form(
    session: &Session,
    worker: &Worker,
    spec: &FormSpec,
    cause: &str,
    lang: Lang,
) -> Stored {
    browser::wait_for(&format!("the basic form ({cause})"), WAIT, || {
        (in_shadow(
            session,
            "return !!root.querySelector('.lf[data-basic] form .lf-input');",
        ) == json!(true))
        .then_some(())
    });
    let fallback = session.execute("return window.__fallback || null;", json!([]));
    assert_eq!(fallback, json!({ "form": "contact", "cause": cause }));
    let errors = session
        .execute("return window.__errors;", json!([]))
        .to_string();
    assert!(
        errors.contains(cause),
        "the console names the cause: {errors}"
    );
    if cause == "csp_wasm_blocked" {
        let directive = format!(
            "script-src http://127.0.0.1:{} 'wasm-unsafe-eval';",
            worker.port
        );
        assert!(
            errors.contains(&directive),
            "the console gives the directive to add: {errors}"
        );
    }

    // As specified: native constraints, the exact consent text, unticked.
    let shape = in_shadow(
        session,
        "const q = s => root.querySelector(s); \
         return { lang: q('.lf').lang, email: [q('[name=email]').type, q('[name=email]').required], \
         first_name: q('[name=first_name]').maxLength, \
         consent: [q('.lf-consent-text').textContent, q('.lf-consent input').checked, q('.lf-consent input').required], \
         honeypot: q('.lf-hp input').tabIndex };",
    );
    let block = &spec.consents[0];
    assert_eq!(
        shape,
        json!({
            "lang": lang.tag(),
            "email": ["email", true],
            "first_name": spec.field("first_name").and_then(|f| f.max_length).map_or(-1, i64::from),
            "consent": [block.text, false, block.required],
            "honeypot": -1,
        })
    );
    axe::assert_form_has_no_violations(session, "the basic form");

    // An email the browser accepts and the shared rules refuse: the edge's
    // issue, inline, in the page's language, focused.
    let field = spec.field("email").expect("email field");
    let code = validate_field(field, Some(&FieldValue::Text(BAD_EMAIL.into())))
        .expect_err("the shared rules refuse the bad email");
    fill_by_keyboard(session, &[BAD_EMAIL, "Eve", "Acme Ltd", key::SPACE]);
    std::thread::sleep(Duration::from_millis(1_200));
    session.keys(key::TAB);
    session.keys(key::ENTER);
    let shown = browser::wait_for("the edge's issue inline", WAIT, || {
        in_shadow(
            session,
            "const e = root.querySelector('.lf-field .lf-error'); \
             return e && { text: e.textContent, for: e.parentNode.querySelector('input').name, \
             invalid: e.parentNode.querySelector('input').getAttribute('aria-invalid'), \
             described: e.parentNode.querySelector('input').getAttribute('aria-describedby') === e.id, \
             status: root.querySelector('.lf-status').textContent };",
        )
        .as_object()
        .map(|o| Value::Object(o.clone()))
    });
    assert_eq!(
        shown,
        json!({
            "text": message(code, lang), "for": "email", "invalid": "true", "described": true,
            "status": ui_text(UiText::FixErrors, lang),
        })
    );
    assert!(
        focused(session).ends_with("-email"),
        "focus on the refused field"
    );
    axe::assert_form_has_no_violations(session, "the basic form with an inline error");

    // Fixed and sent again (Enter in the email field submits).
    session.chord(key::CONTROL, "a");
    session.keys(EMAIL);
    assert_eq!(
        in_shadow(session, "return root.querySelectorAll('.lf-error').length;"),
        json!(0),
        "the error goes once the field is edited"
    );
    session.keys(key::ENTER);
    wait_success(session);
    take_lead(worker)
}

/// The form's one live lead: its record and certificate, read, then erased
/// (so the next visit's same email is not taken for a duplicate).
fn take_lead(worker: &Worker) -> Stored {
    let listing = worker
        .owner("GET", "/v1/leads?form=contact&limit=500")
        .json();
    let live: Vec<&Value> = listing["leads"]
        .as_array()
        .expect("leads")
        .iter()
        .filter(|l| l["erased_at"].is_null())
        .collect();
    assert_eq!(live.len(), 1, "one new lead: {listing}");
    let id = live[0]["lead_id"].as_str().expect("lead id").to_owned();
    let lead = worker.owner("GET", &format!("/v1/leads/{id}")).json();
    assert_eq!(lead["seal_verified"], true, "{lead}");
    let certificate_id = lead["record"]["consents"][0]["certificate_id"]
        .as_str()
        .expect("certificate id")
        .to_owned();
    let certificate = worker
        .owner("GET", &format!("/v1/certificates/{certificate_id}"))
        .json();
    assert_eq!(certificate["seal"]["verified"], true, "{certificate}");
    let erased = worker.owner("DELETE", &format!("/v1/leads/{id}")).json();
    assert_eq!(erased["erased"], json!([id]), "{erased}");
    Stored {
        record: lead["record"].clone(),
        certificate: certificate["certificate"].clone(),
    }
}

/// Values, consents and certificate of `stored` equal the widget's, but for
/// ids, times and per-visit evidence.
fn check_same_as_widget(page: &str, stored: &Stored, widget: &Stored) {
    for key in ["form_id", "spec_hash", "values"] {
        assert_eq!(
            stored.record[key], widget.record[key],
            "{page}: record.{key}"
        );
    }
    let consents = |record: &Value| {
        record["consents"]
            .as_array()
            .expect("consents")
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.as_object_mut().map(|o| o.remove("certificate_id"));
                c
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        consents(&stored.record),
        consents(&widget.record),
        "{page}: record.consents"
    );
    let certified = |certificate: &Value| {
        let mut consent = certificate["consent"].clone();
        consent
            .as_object_mut()
            .map(|o| o.remove("client_timestamp_ms"));
        json!({
            "form_id": certificate["form_id"],
            "consent": consent,
            "disclosure_sha256": certificate["disclosure_sha256"],
            "legal_basis": certificate["legal_basis"],
        })
    };
    assert_eq!(
        certified(&stored.certificate),
        certified(&widget.certificate),
        "{page}: certificate"
    );
}

/// The stored values are the shared rules' normalisation of what was typed,
/// and the certificate holds the spec's exact disclosure, hashed.
fn check_against_shared_rules(spec: &FormSpec, stored: &Stored) {
    let asked = select_fields(spec, &[]).field_ids();
    let mut typed = FieldMap::new();
    typed.insert("email".to_owned(), FieldValue::Text(EMAIL.into()));
    typed.insert("first_name".to_owned(), FieldValue::Text("Eve".into()));
    typed.insert("company".to_owned(), FieldValue::Text("Acme Ltd".into()));
    typed.retain(|id, _| asked.contains(id));
    let records: Vec<ConsentRecord> = spec
        .consents
        .iter()
        .map(|block| ConsentRecord::capture(block, true, 0))
        .collect();
    let clean =
        validate_submission(spec, &asked, &typed, &records).expect("the typed answers are valid");
    assert_eq!(
        stored.record["values"],
        serde_json::to_value(&clean.values).expect("values as JSON"),
        "stored values = shared normalisation"
    );
    let mut consent = stored.certificate["consent"].clone();
    consent
        .as_object_mut()
        .map(|o| o.remove("client_timestamp_ms"));
    let mut expected = serde_json::to_value(&records[0]).expect("record as JSON");
    expected
        .as_object_mut()
        .map(|o| o.remove("client_timestamp_ms"));
    assert_eq!(
        consent, expected,
        "certificate = the spec's consent, ticked"
    );
    assert_eq!(
        stored.certificate["disclosure_sha256"],
        hex_sha256(spec.consents[0].text.as_bytes())
    );
}

/// Beacons the edge must refuse, and their answers.
fn check_refused_beacons(worker: &Worker) {
    let origin = format!("http://127.0.0.1:{PAGE_PORT}");
    let good = r#"{"event":"mount_failed","cause":"timeout"}"#;
    let long = format!(
        r#"{{"event":"mount_failed","cause":"{}"}}"#,
        "x".repeat(600)
    );
    let cases: Vec<(&str, &str, &str, &str, u16, &str)> = vec![
        // (path, origin, content type, body, status, code)
        (
            "/v1/forms/contact/events",
            "https://evil.example",
            "text/plain",
            good,
            403,
            "origin.not_allowed",
        ),
        (
            "/v1/forms/contact/events",
            &origin,
            "text/plain",
            r#"{"event":"mount_failed","cause":"gremlins"}"#,
            400,
            "event.unknown",
        ),
        (
            "/v1/forms/contact/events",
            &origin,
            "text/plain",
            r#"{"event":"mount_failed","cause":"timeout","email":"e@x.example"}"#,
            400,
            "event.malformed",
        ),
        (
            "/v1/forms/contact/events",
            &origin,
            "text/plain",
            &long,
            413,
            "envelope.too_large",
        ),
        (
            "/v1/forms/contact/events",
            &origin,
            "application/x-www-form-urlencoded",
            good,
            415,
            "content_type.unsupported",
        ),
        (
            "/v1/forms/no-such-form/events",
            &origin,
            "text/plain",
            good,
            404,
            "form.not_found",
        ),
    ];
    for (path, origin, content_type, body, status, code) in cases {
        let answer = worker.request(
            "POST",
            path,
            &[("Origin", origin), ("Content-Type", content_type)],
            body,
        );
        assert_eq!(
            (answer.status, answer.json()["error"]["code"].clone()),
            (status, json!(code)),
            "{path} from {origin} ({content_type}): {}",
            answer.body
        );
    }
}

/// Waits for the success message (widget or basic form).
fn wait_success(session: &Session) {
    browser::wait_for("the success message", WAIT, || {
        (in_shadow(
            session,
            "const s = root.querySelector('.lf-success'); return !!(s && !s.hidden);",
        ) == json!(true))
        .then_some(())
    });
}

#[test]
fn a_returning_visitor_of_the_basic_form_is_asked_the_stages_the_shared_selector_picks() {
    let _browser = browser::exclusive();
    let _worker_lock = wrangler::exclusive();
    let assets = Assets::prepare();
    let worker = Worker::start(WorkerOptions {
        assets_dir: Some(assets.0.clone()),
        ..Default::default()
    });
    let page_server = pages(worker.port);
    let path = wrangler::repo_root().join("examples/forms/b2b-demo.toml");
    let spec = FormSpec::parse_toml(&std::fs::read_to_string(path).expect("b2b form"))
        .expect("b2b form parses");
    let driver = ChromeDriver::start();
    let session = Session::new(&driver);
    session.goto(&format!("{}/nowasm-b2b", page_server.origin()));

    // First visit: the selector's first step, its consent with it.
    let first = select_fields(&spec, &[]);
    let shown = wait_step(&session);
    assert_eq!(shown["fields"], json!(first.steps[0].fields), "{shown}");
    assert_eq!(shown["progress"], json!(progress(1, first.stage_count)));
    assert_eq!(shown["consents"], json!(["gdpr_contact"]));
    fill_by_keyboard(
        &session,
        &["cto@acme.example", "Ada", "Lovelace", key::SPACE],
    );
    std::thread::sleep(Duration::from_millis(1_700));
    session.keys(key::TAB);
    session.keys(key::ENTER);
    wait_success(&session);
    let leads = worker.lead_ids("b2b-demo");
    assert_eq!(leads.len(), 1);
    let lead = worker
        .owner("GET", &format!("/v1/leads/{}", leads[0]))
        .json();
    assert_eq!(
        lead["record"]["values"],
        json!({"email": "cto@acme.example", "first_name": "Ada", "last_name": "Lovelace"}),
        "{lead}"
    );

    // Back again: the next stage, the identity fields again, prefilled.
    session.refresh();
    let known: Vec<String> = ["email", "first_name", "last_name"]
        .map(str::to_owned)
        .to_vec();
    let second = select_fields(&spec, &known);
    let shown = wait_step(&session);
    assert_eq!(shown["fields"], json!(second.steps[0].fields), "{shown}");
    assert_eq!(
        shown["progress"],
        json!(progress(second.first_stage_index + 1, second.stage_count))
    );
    assert_eq!(
        in_shadow(
            &session,
            "return ['email', 'first_name', 'last_name'].map(n => root.querySelector('[name=' + n + ']').value);"
        ),
        json!(["cto@acme.example", "Ada", "Lovelace"])
    );
    let health = worker.wait_owner_json(
        "/v1/forms/b2b-demo/health",
        "two counted fallbacks",
        WAIT,
        |h| h["mount_failed"]["total"] == json!(2),
    );
    assert_eq!(health["mount_failed"]["by_cause"]["no_webassembly"], 2);
    drop(page_server);
}

/// "Step n of total" in English.
fn progress(n: usize, total: usize) -> String {
    format!(
        "{} {n} {} {total}",
        ui_text(UiText::Step, Lang::En),
        ui_text(UiText::Of, Lang::En)
    )
}

/// Once the basic form shows: the field names of its current step, the
/// progress line and the consents shown with it.
fn wait_step(session: &Session) -> Value {
    browser::wait_for("the basic form's step", WAIT, || {
        let shown = in_shadow(
            session,
            "if (!root.querySelector('.lf[data-basic] form .lf-input')) return null; \
             const names = [...root.querySelectorAll('.lf-step:not([hidden]) [name]')].map(e => e.name); \
             return { fields: names.filter((n, i) => names.indexOf(n) === i), \
               progress: root.querySelector('.lf-progress-text')?.textContent ?? null, \
               consents: [...root.querySelectorAll('.lf-consents:not([hidden]) input')].map(e => e.name.replace('consent-', '')) };",
        );
        (!shown.is_null()).then_some(shown)
    })
}

#[test]
fn the_basic_form_renders_turnstile_and_the_worker_verifies_its_token() {
    let _browser = browser::exclusive();
    let _worker_lock = wrangler::exclusive();
    let assets = Assets::prepare();
    let siteverify = Destination::start();
    let worker = Worker::start(WorkerOptions {
        assets_dir: Some(assets.0.clone()),
        turnstile_verify_url: Some(format!("{}/turnstile/siteverify", siteverify.base_url())),
        turnstile_secret: wrangler::TURNSTILE_PASS_SECRET,
        ..Default::default()
    });
    let page_server = pages(worker.port);
    let driver = ChromeDriver::start();
    let session = Session::new(&driver);
    session.goto(&format!("{}/nowasm-guarded", page_server.origin()));
    wait_step(&session);

    // Rendered once, with the spec's site key, into a light-DOM element
    // slotted into the basic form.
    assert_eq!(
        session.execute("return window.__ts.renders;", json!([])),
        json!([{"sitekey": "1x00000000000000000000AA", "slot": "turnstile", "host": "leadform"}])
    );
    assert_eq!(
        in_shadow(
            &session,
            "const s = root.querySelector('.lf-turnstile slot[name=turnstile]'); return s ? s.assignedElements().length : -1;",
        ),
        json!(1)
    );

    // Not solved: the Worker refuses, the visitor is told (the edge's words).
    fill_by_keyboard(&session, &["tess@example.org"]);
    session.keys(key::ENTER);
    let refusal = browser::wait_for("the refusal on the status line", WAIT, || {
        let status = in_shadow(
            &session,
            "const s = root.querySelector('.lf-status'); return s.classList.contains('lf-status-error') ? s.textContent : null;",
        );
        status.as_str().map(str::to_owned)
    });
    assert_eq!(refusal, EdgeError::TurnstileMissing.message());
    assert!(worker.lead_ids("guarded").is_empty());

    // Solved: the token goes with the envelope and the Worker verifies it.
    session.execute(
        "window.__ts.opts.callback('XXXX.DUMMY.TOKEN.XXXX'); return null;",
        json!([]),
    );
    session.keys(key::ENTER);
    wait_success(&session);
    assert_eq!(worker.lead_ids("guarded").len(), 1);
    let verified = siteverify.received_at("/turnstile/siteverify");
    assert!(
        verified
            .iter()
            .any(|r| r.body.contains("XXXX.DUMMY.TOKEN.XXXX")),
        "the Worker verified the token: {verified:?}"
    );
    drop(page_server);
}
