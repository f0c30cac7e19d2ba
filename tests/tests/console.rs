//! The owner console (`console/`, served by the Worker at `/console/`), in
//! real Chromium against the real Worker (`wrangler dev`, local D1 and
//! Queues) and a local destination:
//!
//! A visitor submits the contact form through the widget on an owner page;
//! the owner signs in to the console with the admin token, sees that lead
//! appear in the table of all forms without reloading, then a lead of a
//! second form beside it (each with its form), finds the second by email
//! and by phone without choosing a form, picks the contact form, opens the
//! first lead, sees its consent
//! certificate's signature verified in the browser from the published
//! keys, sets its status, replays its delivery and sees the new attempt,
//! comes back to the table (the form it chose is kept) and exports the list;
//! it searches all leads by email and by part of the name (and finds none
//! for another), narrows them by a date range; the speed-to-lead, funnel
//! and destinations views show the lead; the second form's webhook, which
//! a 410 disabled, is enabled from the destinations view and gets its
//! held-back lead; a read-only token sees the table but no export or erase action, and the
//! API answers it 403 for both; the admin erases the lead by email behind
//! the typed confirmation and finds the export, replay, enable and erasure
//! in the audit log. axe-core finds no WCAG 2.x A/AA violation in the console's
//! views.

use std::time::Duration;

use leadform_tests::axe;
use leadform_tests::browser::{
    self, fill_by_keyboard, key, wait_mounted, ChromeDriver, Request, Response, Server, Session,
    WAIT,
};
use leadform_tests::destination::{Canned, Destination};
use leadform_tests::envelope::{envelope, test_form, BUYER_SECRETS};
use leadform_tests::wrangler::{self, Worker, WorkerOptions, ADMIN_TOKEN};
use serde_json::{json, Value};

/// The page origin the test forms allow (`tests/forms/contact.toml`).
const PAGE_PORT: u16 = 8788;
const EMAIL: &str = "ada@example.org";
/// The second form's lead (`tests/forms/repeat.toml`, submitted by API).
const OTHER_EMAIL: &str = "mary@example.net";
const OTHER_PHONE: &str = "+14155550123";
/// How long a wait for the leads table's polls may take before the test
/// gives up: a guard against a hung page, not a budget (a poll is due
/// every 5 s; a loaded machine answers it late).
const POLLS_GUARD: Duration = Duration::from_secs(300);
/// The certificate signing key (`kid:base64` of a 32-byte seed).
const SIGNING_KEY: &str = "console1:Y29uc29sZS10ZXN0LWNlcnRpZmljYXRlLWtleS0zMmI=";

/// Runs `script` (a function body) in the console page and returns its value.
fn js(session: &Session, script: &str) -> Value {
    session.execute(script, json!([]))
}

/// Waits until `script` returns something truthy; returns it. On a
/// timeout the panic shows the page: its hash, the notice and the main text.
fn wait_js(session: &Session, what: &str, script: &str) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let value = js(session, script);
        let truthy = !matches!(value, Value::Null | Value::Bool(false))
            && value != json!("")
            && value != json!(0);
        if truthy {
            return value;
        }
        if std::time::Instant::now() >= deadline {
            let page = js(
                session,
                "const n = document.querySelector('.notice'); const m = document.querySelector('main'); \
                 return { hash: location.hash, notice: n && n.textContent, main: m && m.innerText.slice(0, 2000) };",
            );
            panic!("timed out after {WAIT:?} waiting for {what}; the page: {page:#}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many polls for new leads the leads table has had answered
/// (`data-polls` of its section; -1 off the table).
fn polls(session: &Session) -> i64 {
    js(
        session,
        "const s = document.querySelector('section[data-polls]'); return s ? Number(s.dataset.polls) : -1;",
    )
    .as_i64()
    .unwrap_or(-1)
}

/// Waits until the leads table has had two more polls answered than
/// `since`. Polls run one at a time, so the second started after `since`
/// was read: a lead stored before that (its 202 seen) is in its answer,
/// and on the table once it has been drawn. Event-based: it counts the
/// table's own polls, whatever time each takes on a loaded machine.
fn wait_two_polls(session: &Session, since: i64) {
    let deadline = std::time::Instant::now() + POLLS_GUARD;
    loop {
        let now = polls(session);
        if now >= since + 2 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the leads table had {now} polls answered, {since} before, after {POLLS_GUARD:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Chooses `form` in the page's form picker, once `GET /v1/forms` has
/// filled it (choosing before would leave the picker's default).
fn pick_form(session: &Session, form: &str) {
    wait_js(
        session,
        &format!("the form picker offering {form}"),
        &format!(
            "const s = document.getElementById('form-picker');              return !!s && [...s.options].some(o => o.value === {form:?});"
        ),
    );
    js(
        session,
        &format!(
            "const s = document.getElementById('form-picker'); s.value = {form:?};              s.dispatchEvent(new Event('change')); return s.value === {form:?};"
        ),
    );
}

/// Signs in to the console at `origin` with `token`, by keyboard.
fn sign_in(session: &Session, origin: &str, token: &str) {
    session.goto(&format!("{origin}/console/"));
    wait_js(
        session,
        "the token field",
        "return !!document.getElementById('token');",
    );
    js(
        session,
        "document.getElementById('token').focus(); return true;",
    );
    session.keys(token);
    session.keys(key::ENTER);
    wait_js(
        session,
        "the navigation after sign-in",
        "return !!document.querySelector('nav a[aria-current=page]');",
    );
}

/// Usable at 375 px: the viewport is 375 px wide and the page does not
/// scroll sideways (wide tables scroll inside their own box), and the
/// navigation and every button are on screen.
fn assert_fits_375(session: &Session, what: &str) {
    let fit = js(
        session,
        "const w = window.innerWidth, d = document.documentElement; \
         const off = [...document.querySelectorAll('nav a, main button:not([hidden])')] \
           .filter(e => e.offsetParent !== null && !e.closest('.scroll')) \
           .filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > w; }) \
           .map(e => e.textContent); \
         const wide = [...document.querySelectorAll('body *')] \
           .filter(e => e.getBoundingClientRect().right > 375 || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible')) \
           .slice(0, 12) \
           .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width) + '/' + e.scrollWidth + ' ' + (e.textContent || '').slice(0, 40)); \
         return { width: w, scroll: d.scrollWidth, off, wide };",
    );
    assert_eq!(fit["width"], json!(375), "{what}: viewport {fit}");
    assert!(
        fit["scroll"].as_u64().is_some_and(|s| s <= 375),
        "{what} scrolls sideways at 375 px: {fit}"
    );
    assert_eq!(
        fit["off"],
        json!([]),
        "{what}: controls off screen at 375 px"
    );
}

/// With `LEADFORM_CONSOLE_SCREENSHOT=<file.png>`, saves the page there
/// (README's picture of the console is taken this way).
fn screenshot(session: &Session) {
    let Ok(path) = std::env::var("LEADFORM_CONSOLE_SCREENSHOT") else {
        return;
    };
    session.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
    );
    let shot = session.cdp("Page.captureScreenshot", json!({ "format": "png" }));
    let data = shot["data"].as_str().expect("screenshot data");
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data)
        .expect("screenshot base64");
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    session.cdp("Emulation.clearDeviceMetricsOverride", json!({}));
}

/// The visitor: the contact form on an owner page, filled by keyboard.
fn visitor_submits(driver: &ChromeDriver, worker: &Worker) {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Acme</title></head>\
         <body><h1>Acme</h1><script src=\"http://127.0.0.1:{}/v1/leadform.js\" data-form=\"contact\" async></script></body></html>",
        worker.port
    );
    let page = Server::start_on(PAGE_PORT, move |_req: &Request| {
        Response::new(200, "text/html; charset=utf-8", html.clone())
    });
    let visitor = Session::new(driver);
    visitor.goto(&format!("{}/", page.origin()));
    wait_mounted(&visitor);
    fill_by_keyboard(&visitor, &[EMAIL, "Ada", "Analytical Engines", key::SPACE]);
    std::thread::sleep(Duration::from_millis(1_200));
    visitor.keys(key::TAB);
    visitor.keys(key::ENTER);
    browser::wait_for("the visitor's success message", WAIT, || {
        (browser::in_shadow(
            &visitor,
            "const s = root.querySelector('.lf-success'); return !!(s && !s.hidden);",
        ) == json!(true))
        .then_some(())
    });
}

#[test]
fn an_owner_sees_verifies_and_acts_on_a_lead_in_the_console() {
    let _browser = browser::exclusive();
    let _worker_lock = wrangler::exclusive();
    let destination = Destination::start();
    // The second form's webhook is gone: its first answer is a 410.
    destination.script(
        "/hooks/repeat",
        vec![Canned::new(410, r#"{"error":"this endpoint is gone"}"#)],
    );
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(destination.base_url()),
        assets_dir: Some(browser::console_assets()),
        // Certificates signed with Ed25519, published at /.well-known/; the
        // distribution form's buyers sign with their own secrets.
        extra_vars: BUYER_SECRETS
            .iter()
            .map(|(name, secret)| (*name, (*secret).to_owned()))
            .chain([("CERTIFICATE_SIGNING_KEY", SIGNING_KEY.to_owned())])
            .collect(),
        ..Default::default()
    });
    let origin = format!("http://127.0.0.1:{}", worker.port);
    let driver = ChromeDriver::start();

    // The owner opens the console first: all forms (the default), no lead.
    let owner = Session::new(&driver);
    sign_in(&owner, &origin, ADMIN_TOKEN);
    wait_js(&owner, "the empty table", "return document.querySelector('table.leads') && document.querySelectorAll('table.leads tbody tr').length === 0;");
    assert_eq!(
        js(
            &owner,
            "return document.getElementById('form-picker').selectedOptions[0].textContent;"
        ),
        json!("All forms")
    );
    axe::assert_page_meets_wcag(&owner, "the leads table");

    // A visitor submits; the lead appears without a reload, unread: it is
    // stored before the 202, so the second poll after it brings it.
    visitor_submits(&driver, &worker);
    wait_two_polls(&owner, polls(&owner));
    let row = wait_js(
        &owner,
        "the visitor's lead in the table",
        "const r = [...document.querySelectorAll('table.leads tbody tr')].find(r => r.textContent.includes('ada@example.org')); \
         return r ? { unread: r.classList.contains('unread'), href: r.querySelector('a').getAttribute('href') } : null;",
    );
    assert_eq!(row["unread"], json!(true), "{row}");
    let href = row["href"].as_str().expect("lead link").to_owned();
    let lead_id = href.trim_start_matches("#/leads/").to_owned();
    assert!(lead_id.starts_with("lead_"), "{href}");

    // A lead of a second form arrives (by API): both are in the table of
    // all forms, each with its form, newest first.
    let repeat = test_form("repeat");
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), json!("Mary Somerville"));
    fields.insert("email".into(), json!(OTHER_EMAIL));
    fields.insert("phone".into(), json!(OTHER_PHONE));
    let since = polls(&owner);
    let other_id = worker.submit_lead(&envelope(&repeat, "console-other-1", fields), "203.0.113.9");
    wait_two_polls(&owner, since);
    let rows = wait_js(&owner, "both forms' leads in the table", &format!(
        "const rows = [...document.querySelectorAll('table.leads tbody tr')].map(r => r.textContent); \
         return rows.length === 2 && rows[0].includes({OTHER_EMAIL:?}) ? rows : null;"
    ));
    assert!(
        rows[0]
            .as_str()
            .is_some_and(|r| r.contains("Call or write me"))
            && rows[1]
                .as_str()
                .is_some_and(|r| r.contains("Contact us") && r.contains(EMAIL)),
        "{rows}"
    );
    // Found by its email, then by its phone, without choosing a form.
    for text in ["MARY@example.net", "(415) 555-0123"] {
        js(
            &owner,
            &format!(
                "const i = document.getElementById('search'); i.value = {text:?}; \
                 i.dispatchEvent(new Event('input')); i.form.requestSubmit(); return true;"
            ),
        );
        let found = wait_js(
            &owner,
            &format!("the second form's lead found by {text}"),
            &format!(
                "const s = document.getElementById('leads-summary'); \
                 return s && s.textContent.includes({text:?}) \
                 ? [...document.querySelectorAll('table.leads tbody tr')].map(r => r.textContent) : null;"
            ),
        );
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{text}: {found}");
        assert!(
            found[0].as_str().is_some_and(|r| r.contains(OTHER_EMAIL)),
            "{text}: {found}"
        );
    }
    // The API alike: no `form=`, every form's leads.
    let across = worker.owner("GET", "/v1/leads?q=mary%40example.net").json();
    let found: Vec<&Value> = across["leads"]
        .as_array()
        .map(|l| l.iter().collect())
        .unwrap_or_default();
    assert_eq!(found.len(), 1, "{across}");
    assert_eq!(found[0]["lead_id"], json!(other_id), "{across}");
    assert_eq!(found[0]["form_id"], json!("repeat"), "{across}");
    // The CSV of every form: both leads, each form's columns once.
    let csv = worker.owner("GET", "/v1/leads?format=csv&order=newest");
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"leads-all.csv\"")
    );
    let header: Vec<&str> = csv
        .body
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .collect();
    for column in [
        "form_id",
        "first_name",
        "company",
        "name",
        "phone",
        "phone_extension",
    ] {
        assert_eq!(
            header.iter().filter(|c| **c == column).count(),
            1,
            "{column} once in {header:?}"
        );
    }
    assert!(
        csv.body.contains(&other_id) && csv.body.contains(&lead_id),
        "{}",
        csv.body
    );
    js(
        &owner,
        "const i = document.getElementById('search'); i.value = ''; \
         i.dispatchEvent(new Event('input')); i.form.requestSubmit(); return true;",
    );
    wait_js(
        &owner,
        "both leads again",
        "return document.querySelectorAll('table.leads tbody tr').length === 2 \
        && document.getElementById('leads-summary').textContent.includes('on this page');",
    );

    // One form: the contact form's lead only.
    pick_form(&owner, "contact");
    wait_js(&owner, "the contact form's lead alone", &format!(
        "const rows = [...document.querySelectorAll('table.leads tbody tr')].map(r => r.textContent); \
         return rows.length === 1 && rows[0].includes({EMAIL:?});"
    ));

    // The lead, opened by keyboard: with nothing focused, Tab reaches its
    // link (bounded), Enter opens it.
    js(&owner, "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); return true;");
    let mut presses = 0;
    while js(
        &owner,
        "const a = document.activeElement; return a ? a.getAttribute('href') : null;",
    ) != json!(href)
    {
        assert!(
            presses < 80,
            "the lead's link not reached by Tab in {presses} presses"
        );
        owner.keys(key::TAB);
        presses += 1;
    }
    owner.keys(key::ENTER);
    // Its answers, and its certificate verified in the browser.
    wait_js(
        &owner,
        "the answers",
        "return document.querySelector('#values') && document.body.textContent.includes('ada@example.org');",
    );
    let badge = wait_js(
        &owner,
        "the certificate's signature badge",
        "const b = [...document.querySelectorAll('.certificate .badge')].map(b => b.textContent).find(t => t.startsWith('signature ')); \
         return b && !b.includes('checking') ? b : null;",
    );
    assert!(
        badge
            .as_str()
            .is_some_and(|b| b.starts_with("signature verified in this browser")),
        "{badge}"
    );
    let disclosure = js(
        &owner,
        "return document.querySelector('.disclosure').textContent;",
    );
    assert_eq!(
        disclosure,
        json!("I agree that Acme may email me about my request.")
    );
    axe::assert_page_meets_wcag(&owner, "the lead detail");
    screenshot(&owner);

    // Status: contacted, shown in the history.
    js(
        &owner,
        "[...document.querySelectorAll('.status-buttons button')].find(b => b.textContent === 'contacted').click(); return true;",
    );
    wait_js(
        &owner,
        "the status in the history",
        "const s = document.querySelector('#status'); return s && s.parentNode.textContent.includes('Current: contacted');",
    );

    // Replay: a new attempt appears.
    let webhooks = |n: usize| {
        destination.wait_for("webhook deliveries", WAIT, |received| {
            received
                .iter()
                .filter(|r| r.path.starts_with("/hooks/leads"))
                .count()
                >= n
        });
    };
    webhooks(1);
    let attempts_before = js(
        &owner,
        "return document.querySelectorAll('table.attempts tbody tr').length;",
    );
    js(
        &owner,
        "[...document.querySelectorAll('button')].find(b => b.textContent === 'Replay delivery').click(); return true;",
    );
    webhooks(2);
    // The page reloads the lead after the replay; poll the detail by reopening.
    browser::wait_for("the replayed attempt on the page", WAIT, || {
        js(
            &owner,
            &format!("location.hash = '#/leads'; location.hash = '{href}'; return true;"),
        );
        std::thread::sleep(Duration::from_millis(500));
        let now = js(
            &owner,
            "return document.querySelectorAll('table.attempts tbody tr').length;",
        );
        (now.as_u64() > attempts_before.as_u64()).then_some(())
    });

    // Back to the table: the form chosen before is still the one shown
    // (the export of the last run went to the first form's file instead).
    js(&owner, "location.hash = '#/leads'; return true;");
    wait_js(
        &owner,
        "the lead in the table again",
        "return [...document.querySelectorAll('table.leads tbody tr')].some(r => r.textContent.includes('ada@example.org'));",
    );
    assert_eq!(
        js(
            &owner,
            "return document.getElementById('form-picker').value;"
        ),
        json!("contact")
    );
    // Export: the CSV of the current filter, recorded in the audit log.
    js(
        &owner,
        "[...document.querySelectorAll('button')].find(b => b.textContent === 'Export CSV').click(); return true;",
    );
    wait_js(
        &owner,
        "the export notice",
        "return document.querySelector('.notice').textContent.includes('Exported leads-contact.csv');",
    );
    // A status filter the lead does not have empties the table; "any" brings it back.
    js(
        &owner,
        "const s = document.getElementById('filter-status'); s.value = 'won'; s.dispatchEvent(new Event('change')); return true;",
    );
    wait_js(&owner, "the filtered, empty table", "return document.querySelector('table.leads') && document.querySelectorAll('table.leads tbody tr').length === 0;");
    js(
        &owner,
        "const s = document.getElementById('filter-status'); s.value = 'contacted'; s.dispatchEvent(new Event('change')); return true;",
    );
    wait_js(
        &owner,
        "the lead under its status filter",
        "return [...document.querySelectorAll('table.leads tbody tr')].some(r => r.textContent.includes('ada@example.org'));",
    );
    js(
        &owner,
        "const s = document.getElementById('filter-status'); s.value = ''; s.dispatchEvent(new Event('change')); return true;",
    );

    // Search (server-side, over every lead of the form): by email, in any
    // case, and by part of the name find the lead; another address and
    // another name find none. axe-core on the searched table.
    let search = |text: &str| {
        js(
            &owner,
            &format!(
                "const i = document.getElementById('search'); i.value = {text:?}; \
                 i.dispatchEvent(new Event('input')); \
                 i.form.requestSubmit(); return true;"
            ),
        );
    };
    let shows_lead = "const s = document.getElementById('leads-summary'); \
         return !!s && s.textContent.includes('matching') \
         && [...document.querySelectorAll('table.leads tbody tr')].some(r => r.textContent.includes('ada@example.org'));";
    let shows_none = |text: &str| {
        format!(
            "const s = document.getElementById('leads-summary'); \
             return !!s && s.textContent.includes({text:?}) && document.querySelectorAll('table.leads tbody tr').length === 0;"
        )
    };
    search("ADA@Example.org");
    wait_js(&owner, "the lead found by its email", shows_lead);
    axe::assert_page_meets_wcag(&owner, "the leads table searched");
    search("grace@example.org");
    wait_js(
        &owner,
        "no lead for another email",
        &shows_none("grace@example.org"),
    );
    search("ad");
    wait_js(&owner, "the lead found by part of its name", shows_lead);
    let summary = js(
        &owner,
        "return document.getElementById('leads-summary').textContent;",
    );
    assert!(
        summary.as_str().is_some_and(|s| s.contains("among 1 read")),
        "a name search says how many leads it read: {summary}"
    );
    search("Grace");
    wait_js(&owner, "no lead for another name", &shows_none("Grace"));
    // The API: a malformed search is refused by name; a phone nobody gave
    // finds nothing; the route filter (this form has no routes) finds none.
    let api = |query: &str| {
        worker.request(
            "GET",
            &format!("/v1/leads?form=contact&{query}"),
            &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))],
            "",
        )
    };
    let refused = api("q=ada%40");
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["error"]["code"], json!("query.invalid"));
    for query in ["q=%2B1%20415%20555%200100", "route=east"] {
        let answer = api(query);
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        assert_eq!(answer.json()["leads"], json!([]), "{query}");
    }
    search("");
    wait_js(
        &owner,
        "the unsearched table",
        "const s = document.getElementById('leads-summary'); return !!s && s.textContent.includes('on this page') \
         && [...document.querySelectorAll('table.leads tbody tr')].some(r => r.textContent.includes('ada@example.org'));",
    );

    // The date range: received to yesterday finds none; to today, the lead.
    let set_to = |days_ago: i64| {
        js(
            &owner,
            &format!(
                "const d = new Date(Date.now() - {days_ago} * 86400000).toISOString().slice(0, 10); \
                 const i = document.getElementById('until'); i.value = d; \
                 i.dispatchEvent(new Event('change')); return true;"
            ),
        );
    };
    set_to(1);
    wait_js(&owner, "no lead received up to yesterday", "return document.querySelector('table.leads') && document.querySelectorAll('table.leads tbody tr').length === 0;");
    set_to(0);
    wait_js(
        &owner,
        "the lead received up to today",
        "return [...document.querySelectorAll('table.leads tbody tr')].some(r => r.textContent.includes('ada@example.org'));",
    );
    js(
        &owner,
        "const i = document.getElementById('until'); i.value = ''; i.dispatchEvent(new Event('change')); return true;",
    );

    // Destinations: the webhook delivered, nothing dead; funnel: the views.
    js(&owner, "location.hash = '#/destinations'; return true;");
    let first_row = wait_js(
        &owner,
        "the destinations table",
        "const r = document.querySelector('table.destinations tbody tr'); return r ? r.textContent : null;",
    );
    assert!(
        first_row.as_str().is_some_and(|t| t.contains("webhook")),
        "{first_row}"
    );
    axe::assert_page_meets_wcag(&owner, "the destinations view");
    // The second form's webhook answered 410 and is disabled: Enable (the
    // admin token has the replay scope) sends it the held-back lead.
    worker.wait_owner_json(
        "/v1/forms/repeat/health",
        "the second form's webhook disabled by its 410",
        Duration::from_secs(120),
        |health| health["disabled_destinations"][0]["destination"] == "0:webhook",
    );
    pick_form(&owner, "repeat");
    let disabled_row = "const r = [...document.querySelectorAll('table.destinations tbody tr')] \
         .find(r => r.querySelector('th').textContent === '0:webhook'); \
         return r ? { text: r.textContent, enable: [...r.querySelectorAll('button')].some(b => b.textContent === 'Enable') } : null;";
    let row = wait_js(
        &owner,
        "the disabled webhook with its Enable button",
        &disabled_row.replace(
            "return r ?",
            "return r && r.textContent.includes('disabled') ?",
        ),
    );
    assert_eq!(row["enable"], json!(true), "{row}");
    axe::assert_page_meets_wcag(&owner, "the destinations view with a disabled destination");
    // A read-only token (the sales desk's, used again below) sees the same
    // disabled webhook without the Enable button.
    let minted = worker
        .request(
            "POST",
            "/v1/tokens",
            &[
                ("Authorization", &format!("Bearer {ADMIN_TOKEN}")),
                ("Content-Type", "application/json"),
            ],
            &json!({ "name": "sales desk", "scopes": ["read"] }).to_string(),
        )
        .json();
    let scoped = minted["token"].as_str().expect("minted token").to_owned();
    {
        let desk = Session::new(&driver);
        sign_in(&desk, &origin, &scoped);
        pick_form(&desk, "repeat");
        js(&desk, "location.hash = '#/destinations'; return true;");
        let row = wait_js(
            &desk,
            "the disabled webhook for a read-only token",
            &disabled_row.replace(
                "return r ?",
                "return r && r.textContent.includes('disabled') ?",
            ),
        );
        assert_eq!(
            row["enable"],
            json!(false),
            "no Enable without the replay scope: {row}"
        );
    }
    js(
        &owner,
        "[...document.querySelectorAll('table.destinations button')].find(b => b.textContent === 'Enable').click(); return true;",
    );
    wait_js(
        &owner,
        "the enable notice",
        "return document.querySelector('.notice').textContent.includes('Enabled 0:webhook');",
    );
    destination.wait_for(
        "the held-back lead at the enabled webhook",
        Duration::from_secs(120),
        |received| {
            received.iter().any(|r| {
                r.path.starts_with("/hooks/repeat")
                    && r.answered == Some(200)
                    && r.body.contains(other_id.as_str())
            })
        },
    );
    let row = wait_js(
        &owner,
        "the webhook enabled again",
        &disabled_row.replace(
            "return r ?",
            "return r && !r.textContent.includes('disabled') ?",
        ),
    );
    assert_eq!(row["enable"], json!(false), "{row}");
    pick_form(&owner, "contact");
    js(&owner, "location.hash = '#/funnel'; return true;");
    wait_js(
        &owner,
        "the funnel chart and table, views to qualified leads",
        "return !!document.querySelector('svg.funnel') && [...document.querySelectorAll('table.funnel-table th[scope=row]')].map(t => t.textContent).join(',') === 'views,starts,submits,leads,qualified';",
    );
    axe::assert_page_meets_wcag(&owner, "the funnel view");
    // Speed to lead: contacted, so the lead no longer waits.
    js(&owner, "location.hash = '#/speed'; return true;");
    wait_js(
        &owner,
        "the speed-to-lead view",
        "return document.querySelector('main').textContent.includes('waiting for first contact');",
    );
    axe::assert_page_meets_wcag(&owner, "the speed-to-lead view");

    // A sold lead: the distribution form's buyer `sunco` bids and takes it;
    // its page shows the sale, its seal verified, the revenue and the log.
    destination.script(
        "/buyers/sunco/ping",
        vec![Canned::new(
            200,
            r#"{"price_cents": 3000, "bid_id": "b-3000"}"#,
        )],
    );
    for other in ["bright", "share-a", "share-b", "slow", "capped"] {
        destination.script(
            &format!("/buyers/{other}/ping"),
            vec![Canned::new(200, r#"{"bid": false}"#)],
        );
    }
    let mut fields = serde_json::Map::new();
    fields.insert("email".into(), json!("grace@example.net"));
    fields.insert("service".into(), json!("solar"));
    let sold_id = worker.submit_lead(
        &envelope(&test_form("distribution"), "console-sold-1", fields),
        "203.0.113.21",
    );
    // The auction runs from the queue: the page is opened once it is sold.
    worker.wait_owner_json(
        &format!("/v1/leads/{sold_id}"),
        "the lead sold",
        Duration::from_secs(60),
        |lead| {
            lead["distribution"]["sales"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
        },
    );
    js(
        &owner,
        &format!("location.hash = '#/leads/{sold_id}'; return true;"),
    );
    let sale = wait_js(
        &owner,
        "the sale on the lead's page",
        "const r = document.querySelector('table.sales tbody tr');          const log = [...document.querySelectorAll('table.distribution-log tbody tr')].map(r => r.children[2].textContent);          return r && log.includes('decision') ? { sale: r.textContent, log, revenue: document.querySelector('#distribution').parentNode.textContent.includes('Revenue after returns: 30.00') } : null;",
    );
    let text = sale["sale"].as_str().unwrap_or_default();
    assert!(
        text.contains("sunco") && text.contains("30.00") && text.contains("sale seal verified"),
        "{sale}"
    );
    assert_eq!(sale["revenue"], json!(true), "{sale}");
    assert!(
        sale["log"]
            .as_array()
            .is_some_and(|log| log.contains(&json!("ping")) && log.contains(&json!("post"))),
        "{sale}"
    );
    axe::assert_page_meets_wcag(&owner, "a sold lead's page");

    // A read-only token: the table, but no export and no erase; 403s.
    // The sales desk reads on a phone: a 375 px wide viewport.
    let reader = Session::new(&driver);
    reader.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 375, "height": 812, "deviceScaleFactor": 1, "mobile": true }),
    );
    sign_in(&reader, &origin, &scoped);
    wait_js(
        &reader,
        "the lead in the read-only table",
        "return [...document.querySelectorAll('table.leads tbody tr')].some(r => r.textContent.includes('ada@example.org'));",
    );
    assert_fits_375(&reader, "the leads table");
    axe::assert_page_meets_wcag(&reader, "the leads table at 375 px");
    assert_eq!(
        js(
            &reader,
            "return [...document.querySelectorAll('button')].filter(b => b.textContent.startsWith('Export')).length;"
        ),
        json!(0),
        "no export button without the export scope"
    );
    js(&reader, &format!("location.hash = '{href}'; return true;"));
    wait_js(
        &reader,
        "the lead page",
        "return !!document.querySelector('#deliveries');",
    );
    assert_fits_375(&reader, "the lead detail");
    axe::assert_page_meets_wcag(&reader, "the lead detail for a read-only token at 375 px");
    assert_eq!(
        js(
            &reader,
            "return !!document.getElementById('erase-confirm');"
        ),
        json!(false),
        "no erase form without the erase scope"
    );
    for (method, path) in [
        ("DELETE", format!("/v1/leads/{lead_id}")),
        ("GET", "/v1/leads?form=contact&format=csv".to_owned()),
    ] {
        let refused = worker.request(
            method,
            &path,
            &[("Authorization", &format!("Bearer {scoped}"))],
            "",
        );
        assert_eq!(refused.status, 403, "{method} {path}: {}", refused.body);
        assert_eq!(refused.json()["error"]["code"], json!("auth.scope_missing"));
    }

    // Erase by email, with the typed confirmation; the audit log shows it.
    js(&owner, "location.hash = '#/audit'; return true;");
    wait_js(
        &owner,
        "the erase-by-email form",
        "return !!document.getElementById('erase-email');",
    );
    js(
        &owner,
        "document.getElementById('erase-email').focus(); return true;",
    );
    owner.keys(EMAIL);
    js(
        &owner,
        "document.getElementById('erase-email-confirm').focus(); return true;",
    );
    owner.keys(&format!("erase {EMAIL}"));
    owner.keys(key::ENTER);
    wait_js(
        &owner,
        "the erasure notice",
        "return document.querySelector('.notice').textContent.includes('Erased 1 lead');",
    );
    js(&owner, &format!("location.hash = '{href}'; return true;"));
    wait_js(
        &owner,
        "the erased lead",
        "return document.body.textContent.includes('No values (erased).');",
    );
    js(&owner, "location.hash = '#/audit'; return true;");
    let actions = wait_js(
        &owner,
        "the audit entries",
        "const rows = [...document.querySelectorAll('table.audit tbody tr')].map(r => r.children[2].textContent); \
         return rows.some(a => a.includes('erase')) ? rows : null;",
    );
    let actions: Vec<&str> = actions
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for expected in ["export", "replay", "enable_destination", "erase"] {
        assert!(
            actions.iter().any(|a| a.contains(expected)),
            "{expected} in {actions:?}"
        );
    }
    axe::assert_page_meets_wcag(&owner, "the audit log");
}
