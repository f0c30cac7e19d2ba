//! End to end, issue 18: the same browser profile submits twice on each
//! example form (home services, B2B three-stage, newsletter) through the real
//! widget and Worker. Every stored lead has its form's required contact
//! channel; the returning visitor is asked the identity fields again
//! (prefilled where the spec sets `prefill`), so the second home-services lead
//! carries name, phone, email and ZIP and its TCPA certificate names the
//! number; the B2B form asks the next stage's questions plus the identity
//! fields. "Coming back later" is simulated by ageing the first lead in D1
//! past the form's dedup window, so the second visit is a new lead linked to
//! the first (`previous_lead_id`) instead of the earlier receipt.
//!
//! Written against the widget's DOM contract at the time (inputs named by
//! field id inside `.lf-step`, `.lf-consents` checkboxes, `.lf-success`).

use std::time::Duration;

use leadform_shared::FormSpec;
use leadform_tests::browser::{
    self, fill_by_keyboard, in_shadow, key, wait_mounted, ChromeDriver, Request, Response, Server,
    Session, WAIT,
};
use leadform_tests::destination::Destination;
use leadform_tests::wrangler::{self, Worker, WorkerOptions, WEBHOOK_SECRET};
use serde_json::{json, Value};

const PAGE_PORT: u16 = 8788;

fn example(name: &str) -> FormSpec {
    let path = wrangler::repo_root().join(format!("examples/forms/{name}.toml"));
    FormSpec::parse_toml(&std::fs::read_to_string(path).expect("example spec")).expect("valid")
}

struct Visit {
    worker: Worker,
    destination: Destination,
    _page: Server,
    _driver: ChromeDriver,
    session: Session,
}

/// The Worker (example specs, delivering to a local destination), an owner
/// page holding only the script tag for `form`, and one browser profile on it.
fn open(form: &str) -> Visit {
    let destination = Destination::start();
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        assets_dir: Some(
            browser::widget_dist()
                .parent()
                .expect("dist/assets")
                .to_path_buf(),
        ),
        ..Default::default()
    });
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Acme</title></head>\
         <body><script src=\"http://127.0.0.1:{}/v1/leadform.js\" data-form=\"{form}\" async></script></body></html>",
        worker.port
    );
    let page = Server::start_on(PAGE_PORT, move |_req: &Request| {
        Response::new(200, "text/html; charset=utf-8", html.clone())
    });
    let driver = ChromeDriver::start();
    let session = Session::new(&driver);
    session.goto(&format!("{}/", page.origin()));
    wait_mounted(&session);
    Visit {
        worker,
        destination,
        _page: page,
        _driver: driver,
        session,
    }
}

/// Names of the inputs in the current step (hidden inputs left out).
fn visible_fields(session: &Session) -> Vec<String> {
    let names = in_shadow(
        session,
        "return [...root.querySelectorAll('.lf-step:not([hidden]) [name]')].filter(e => e.type !== 'hidden').map(e => e.name);",
    );
    serde_json::from_value(names).expect("field names")
}

/// The current value of the input named `name`.
fn value_of(session: &Session, name: &str) -> Value {
    in_shadow(
        session,
        &format!("const e = root.querySelector('[name=\"{name}\"]'); return e ? e.value : null;"),
    )
}

/// Ticks the consent box at `index` (in spec order).
fn tick_consent(session: &Session, index: usize) {
    in_shadow(
        session,
        &format!("root.querySelectorAll('.lf-consents input[type=checkbox]')[{index}].click(); return null;"),
    );
}

fn submit_and_wait(session: &Session, min_fill: Duration) {
    std::thread::sleep(min_fill);
    in_shadow(
        session,
        "root.querySelector('button[type=submit]').focus(); return null;",
    );
    session.keys(key::ENTER);
    browser::wait_for("the success message", WAIT, || {
        (in_shadow(
            session,
            "const s = root.querySelector('.lf-success'); return !!(s && !s.hidden);",
        ) == json!(true))
        .then_some(())
    });
}

/// The form's leads, oldest first, as `GET /v1/leads/{id}` shows them.
fn leads(worker: &Worker, form: &str) -> Vec<Value> {
    worker
        .lead_ids(form)
        .iter()
        .map(|id| worker.owner("GET", &format!("/v1/leads/{id}")).json())
        .collect()
}

/// Moves the form's stored leads an hour back, past any dedup window: the
/// visitor "comes back later".
fn later(worker: &Worker, form: &str) {
    worker.d1(&format!(
        "UPDATE leads SET received_at_ms = received_at_ms - 3600000 WHERE form_id = '{form}'"
    ));
}

/// Every lead has a value in each identity field of each channel its spec's
/// `[contact]` requires.
fn assert_contactable(spec: &FormSpec, lead: &Value) {
    for channel in &spec.contact.required {
        let has = spec
            .identity_fields()
            .filter(|f| f.kind == channel.kind())
            .any(|f| lead["record"]["values"][&f.id].is_string());
        assert!(has, "lead without its {} channel: {lead}", channel.as_str());
    }
}

fn returning(session: &Session) {
    session.refresh();
    wait_mounted(session);
}

#[test]
fn home_services_returning_visitor_gives_a_complete_lead_whose_certificate_names_the_number() {
    let _browser = browser::exclusive();
    let _worker_lock = wrangler::exclusive();
    let spec = example("home-services-quote");
    let visit = open("home-quote");
    let session = &visit.session;

    // First visit: service, name, phone, email, ZIP, the TCPA box.
    fill_by_keyboard(
        session,
        &[
            "p",
            "Jane Doe",
            "(415) 555-2671",
            "jane@example.com",
            "94107",
            key::SPACE,
            "",
        ],
    );
    submit_and_wait(session, Duration::from_millis(1_700));
    let first = leads(&visit.worker, "home-quote");
    assert_eq!(first.len(), 1);
    let first_id = first[0]["lead_id"].as_str().expect("id").to_owned();

    // Second visit, later: the identity fields are asked again, prefilled.
    later(&visit.worker, "home-quote");
    returning(session);
    let shown = visible_fields(session);
    for id in ["service", "name", "phone", "email", "zip"] {
        assert!(shown.iter().any(|s| s == id), "{id} not asked: {shown:?}");
    }
    assert_eq!(value_of(session, "name"), json!("Jane Doe"));
    assert_eq!(value_of(session, "phone"), json!("+14155552671"));
    assert_eq!(value_of(session, "email"), json!("jane@example.com"));
    assert_eq!(value_of(session, "zip"), json!("94107"));
    // A new job, and calls and texts agreed to again.
    fill_by_keyboard(session, &["w"]);
    tick_consent(session, 0);
    submit_and_wait(session, Duration::from_millis(1_700));

    let all = leads(&visit.worker, "home-quote");
    assert_eq!(all.len(), 2, "{all:?}");
    for lead in &all {
        assert_contactable(&spec, lead);
    }
    let second = all
        .iter()
        .find(|l| l["lead_id"] != first_id.as_str())
        .expect("second lead");
    let values = &second["record"]["values"];
    assert_eq!(values["service"], "water_heater", "{second}");
    assert_eq!(values["name"], "Jane Doe");
    assert_eq!(values["phone"], "+14155552671");
    assert_eq!(values["email"], "jane@example.com");
    assert_eq!(values["zip"], "94107");
    assert_eq!(second["previous_lead_id"], first_id.as_str(), "{second}");
    let tcpa = second["record"]["consents"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["consent_id"] == "tcpa_calls_texts"))
        .expect("TCPA consent")
        .clone();
    assert_eq!(tcpa["checked"], true, "{tcpa}");
    let certificate = visit
        .worker
        .owner(
            "GET",
            &format!(
                "/v1/certificates/{}",
                tcpa["certificate_id"].as_str().expect("id")
            ),
        )
        .json();
    assert_eq!(certificate["seal"]["verified"], true);
    assert_eq!(
        certificate["certificate"]["covered"],
        json!({ "phone": "+14155552671" }),
        "{certificate}"
    );

    // Delivered with the number and the link to the first lead.
    let second_id = second["lead_id"].as_str().expect("id").to_owned();
    let hook = browser::wait_for("the second lead's webhook", Duration::from_secs(60), || {
        destination_hook(&visit.destination, &second_id)
    });
    hook.assert_signed_webhook(WEBHOOK_SECRET, &second_id);
    let body: Value = serde_json::from_str(&hook.body).expect("webhook JSON");
    assert_eq!(body["data"]["values"]["phone"], "+14155552671");
    assert_eq!(body["data"]["previous_lead_id"], first_id.as_str());
}

fn destination_hook(
    destination: &Destination,
    lead_id: &str,
) -> Option<leadform_tests::destination::Received> {
    destination
        .received_at("/hooks/leads")
        .into_iter()
        .find(|r| r.body.contains(&format!("\"lead_id\":\"{lead_id}\"")))
}

#[test]
fn b2b_returning_visitor_is_asked_the_next_stage_plus_the_identity_fields() {
    let _browser = browser::exclusive();
    let _worker_lock = wrangler::exclusive();
    let spec = example("b2b-demo");
    let visit = open("b2b-demo");
    let session = &visit.session;
    assert_eq!(
        visible_fields(session),
        ["email", "first_name", "last_name"]
    );
    fill_by_keyboard(
        session,
        &["cto@acme.example", "Ada", "Lovelace", key::SPACE],
    );
    submit_and_wait(session, Duration::from_millis(1_700));
    let first_id = visit.worker.lead_ids("b2b-demo")[0].clone();

    later(&visit.worker, "b2b-demo");
    returning(session);
    assert_eq!(
        visible_fields(session),
        [
            "email",
            "first_name",
            "last_name",
            "company",
            "company_size",
            "role"
        ]
    );
    assert_eq!(value_of(session, "email"), json!("cto@acme.example"));
    assert_eq!(value_of(session, "first_name"), json!("Ada"));
    assert_eq!(value_of(session, "last_name"), json!("Lovelace"));
    // Past the three prefilled fields to the company's.
    fill_by_keyboard(session, &["", "", "", "Acme", "1", "CTO", key::SPACE]);
    submit_and_wait(session, Duration::from_millis(1_700));

    let all = leads(&visit.worker, "b2b-demo");
    assert_eq!(all.len(), 2, "{all:?}");
    for lead in &all {
        assert_contactable(&spec, lead);
    }
    let second = all
        .iter()
        .find(|l| l["lead_id"] != first_id.as_str())
        .expect("second lead");
    let values = &second["record"]["values"];
    assert_eq!(values["email"], "cto@acme.example", "{second}");
    assert_eq!(values["first_name"], "Ada");
    assert_eq!(values["last_name"], "Lovelace");
    assert_eq!(values["company"], "Acme");
    assert_eq!(values["company_size"], "1-10");
    assert_eq!(second["previous_lead_id"], first_id.as_str());
}

#[test]
fn newsletter_returning_visitor_subscribes_again_with_an_email() {
    let _browser = browser::exclusive();
    let _worker_lock = wrangler::exclusive();
    let spec = example("newsletter");
    let visit = open("newsletter");
    let session = &visit.session;
    fill_by_keyboard(session, &["reader@example.com", key::SPACE]);
    submit_and_wait(session, Duration::from_millis(1_000));
    let first_id = visit.worker.lead_ids("newsletter")[0].clone();

    later(&visit.worker, "newsletter");
    returning(session);
    assert_eq!(visible_fields(session), ["email"]);
    // No `prefill` on the newsletter's email: asked again, empty.
    assert_eq!(value_of(session, "email"), json!(""));
    fill_by_keyboard(session, &["reader@example.com", key::SPACE]);
    submit_and_wait(session, Duration::from_millis(1_000));

    let all = leads(&visit.worker, "newsletter");
    assert_eq!(all.len(), 2, "{all:?}");
    for lead in &all {
        assert_contactable(&spec, lead);
        let consent = &lead["record"]["consents"][0];
        assert_eq!(consent["covered"]["email"], "reader@example.com", "{lead}");
    }
    let second = all
        .iter()
        .find(|l| l["lead_id"] != first_id.as_str())
        .expect("second lead");
    assert_eq!(second["previous_lead_id"], first_id.as_str());
}
