//! Form analytics and experiments end to end: real Chromium loads an owner
//! page with the real widget from the real Worker (workerd). Scripted
//! visitors (one completes, one fixes an email error, one leaves at the
//! company field, one only looks, one with Global Privacy Control leaves at
//! the email field) give exactly the expected funnel at
//! `GET /v1/forms/analytics/funnel`; no beacon body holds anything typed;
//! GPC removes the visitor id; variants are sticky across reloads, match
//! the shared assignment and split visitors within the stated tolerance; the
//! lead is stored with its variant. Prints the beacon bytes per visit.
//!
//! The page wraps `navigator.sendBeacon` to keep a copy of every body in
//! its `localStorage` (the real beacon still goes to the Worker), and sets
//! the visitor id from `?vid=` before the loader runs, so the visitors are
//! fixed.

use leadform_shared::analytics::assign;
use leadform_shared::FormSpec;
use leadform_tests::browser::{
    self, in_shadow, key, wait_mounted, ChromeDriver, Request, Response, Server, Session, WAIT,
};
use leadform_tests::wrangler::{self, Worker, WorkerOptions};
use serde_json::{json, Value};

const PAGE_PORT: u16 = 8788;
const SPEC: &str = include_str!("../forms/analytics.toml");

fn page(worker_port: u16) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Acme</title>\
         <script>\
         const q = new URLSearchParams(location.search);\
         if (q.get('vid')) localStorage.setItem('leadform:v1:visitor', q.get('vid'));\
         if (q.get('gpc')) Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {{ get: () => true }});\
         const send = navigator.sendBeacon.bind(navigator);\
         navigator.sendBeacon = (url, body) => {{\
           const kept = JSON.parse(localStorage.getItem('beacons') || '[]');\
           kept.push({{ vid: q.get('vid'), url: String(url), body: String(body) }});\
           localStorage.setItem('beacons', JSON.stringify(kept));\
           return send(url, body); }};\
         </script></head>\
         <body><h1>Acme</h1><script src=\"http://127.0.0.1:{worker_port}/v1/leadform.js\" data-form=\"analytics\" async></script></body></html>"
    )
}

fn visit(session: &Session, origin: &str, query: &str) {
    session.goto(&format!("{origin}/?{query}"));
    wait_mounted(session);
}

fn title(session: &Session) -> String {
    in_shadow(
        session,
        "return root.querySelector('.lf-title').textContent;",
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

fn wait_success(session: &Session) {
    browser::wait_for("the success message", WAIT, || {
        (in_shadow(
            session,
            "const s = root.querySelector('.lf-success'); return !!(s && !s.hidden);",
        ) == json!(true))
        .then_some(())
    });
}

fn focus_field(session: &Session, id: &str) {
    in_shadow(
        session,
        &format!("root.querySelector('[name={id}]').focus(); return null;"),
    );
}

/// Leaves the page for another page of the same origin (pagehide).
fn leave(session: &Session, origin: &str) {
    session.goto(&format!("{origin}/bye"));
}

#[test]
fn scripted_visitors_give_the_exact_funnel_without_typed_values() {
    let _browser = browser::exclusive();
    let _worker_lock = wrangler::exclusive();
    let spec = FormSpec::parse_toml(SPEC).expect("analytics test form");
    let worker = Worker::start(WorkerOptions {
        assets_dir: Some(
            browser::widget_dist()
                .parent()
                .expect("dist/assets")
                .to_path_buf(),
        ),
        ..Default::default()
    });
    let html = page(worker.port);
    let server = Server::start_on(PAGE_PORT, move |req: &Request| {
        if req.path.starts_with("/bye") {
            Response::new(200, "text/html; charset=utf-8", "<!doctype html><p>bye</p>")
        } else {
            Response::new(200, "text/html; charset=utf-8", html.clone())
        }
    });
    let origin = server.origin();
    let driver = ChromeDriver::start();
    let session = Session::new(&driver);
    let typed = [
        "alice.visitor@example.org",
        "Zebracorp",
        "bob@",
        "bob.fixer@example.org",
        "Quokka",
        "carol.leaver@example.org",
        "gpc.person@example.org",
    ];

    // 1. Completes.
    visit(&session, &origin, "vid=visitor_complete_1");
    focus_field(&session, "email");
    session.keys(typed[0]);
    session.keys(key::TAB);
    session.keys(typed[1]);
    session.keys(key::ENTER);
    wait_success(&session);
    leave(&session, &origin);

    // 2. Types a bad email, sees the error, fixes it, completes.
    visit(&session, &origin, "vid=visitor_fixer_02");
    focus_field(&session, "email");
    session.keys(typed[2]);
    session.keys(key::TAB);
    browser::wait_for("the email error", WAIT, || {
        (in_shadow(&session, "return !!root.querySelector('.lf-error');") == json!(true))
            .then_some(())
    });
    focus_field(&session, "email");
    for _ in 0..typed[2].len() {
        session.keys(key::BACKSPACE);
    }
    session.keys(typed[3]);
    session.keys(key::ENTER);
    wait_success(&session);
    leave(&session, &origin);

    // 3. Leaves at the company field.
    visit(&session, &origin, "vid=visitor_leaver_3");
    focus_field(&session, "email");
    session.keys(typed[5]);
    session.keys(key::TAB);
    session.keys(typed[4]);
    leave(&session, &origin);

    // 4. Only looks.
    visit(&session, &origin, "vid=visitor_looker_4");
    leave(&session, &origin);

    // 5. Global Privacy Control; leaves at the email field.
    visit(&session, &origin, "vid=visitor_gpc_0005&gpc=1");
    focus_field(&session, "email");
    session.keys(typed[6]);
    leave(&session, &origin);

    let beacons = session.execute(
        "return JSON.parse(localStorage.getItem('beacons') || '[]');",
        json!([]),
    );
    let beacons = beacons.as_array().expect("kept beacons").clone();
    assert!(!beacons.is_empty(), "no beacon was sent");
    let mut bytes = 0;
    for beacon in &beacons {
        let body = beacon["body"].as_str().expect("body");
        bytes += body.len();
        assert!(
            beacon["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("/v1/events")),
            "{beacon}"
        );
        for value in typed {
            assert!(
                !body.contains(value),
                "a beacon holds typed {value:?}: {body}"
            );
        }
        for part in [
            "alice",
            "Zebracorp",
            "bob",
            "Quokka",
            "carol",
            "example.org",
            "gpc.person",
        ] {
            assert!(
                !body.contains(part),
                "a beacon holds typed {part:?}: {body}"
            );
        }
        let batch: Value = serde_json::from_str(body).expect("beacon JSON");
        let vid = beacon["vid"].as_str().unwrap_or_default();
        if vid == "visitor_gpc_0005" {
            assert!(
                batch.get("visitor").is_none(),
                "GPC visitor id sent: {body}"
            );
        } else {
            assert_eq!(batch["visitor"], vid, "{body}");
        }
    }
    println!(
        "beacons: {} batches for 5 visits, {bytes} bytes of bodies, {} bytes per visit",
        beacons.len(),
        bytes / 5
    );

    // The Worker counted them all (beacons are fire-and-forget: wait, bounded).
    let report = worker.wait_owner_json(
        "/v1/forms/analytics/funnel",
        "the five visits counted",
        WAIT,
        |r: &Value| {
            r["totals"]["views"] == 5
                && r["totals"]["accepted"] == 2
                && r["totals"]["starters"] == 4
        },
    );
    let t = &report["totals"];
    assert_eq!(t["views"], 5, "{report}");
    assert_eq!(t["visitors"], 4, "{report}");
    assert_eq!(t["starters"], 4, "{report}");
    assert_eq!(t["submits"], 2, "{report}");
    assert_eq!(t["accepted"], 2, "{report}");
    assert_eq!(t["view_to_start"], json!(0.8), "{report}");
    assert_eq!(t["start_to_lead"], json!(0.5), "{report}");
    let field = |id: &str| {
        report["fields"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["field"] == id))
            .cloned()
            .expect("field figures")
    };
    let (email, company) = (field("email"), field("company"));
    assert_eq!(company["abandon"], 1, "{report}");
    assert_eq!(email["abandon"], 1, "{report}");
    assert_eq!(
        email["errors"],
        json!([{ "code": "email.domain_missing", "count": 1 }]),
        "{report}"
    );
    assert_eq!(email["focus"], 5, "{report}");
    assert_eq!(email["blurs"], 5, "{report}");
    assert!(
        email["correction_rate"].as_f64().is_some_and(|r| r > 0.0),
        "{report}"
    );
    assert!(email["median_ms"].as_u64().is_some(), "{report}");
    assert_eq!(company["errors"], json!([]), "{report}");
    let csv = worker
        .owner("GET", "/v1/forms/analytics/funnel?format=csv")
        .body;
    assert!(csv.contains("totals,,,views,5"), "{csv}");

    // Each lead is stored with the variant its visit was shown: the
    // report's per-variant lead counts (from the leads table) are those of
    // the shared assignment of the two visitors who completed.
    for variant in &spec.variants {
        let want = ["visitor_complete_1", "visitor_fixer_02"]
            .iter()
            .filter(|vid| assign(&spec, vid).is_some_and(|v| v.id == variant.id))
            .count();
        let row = report["variants"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["id"] == variant.id.as_str()))
            .expect("variant row");
        assert_eq!(row["leads"], want, "{}: {report}", variant.id);
    }

    // Sticky across reloads, the shared assignment, and the split.
    let n = 16;
    let mut b = 0;
    for i in 0..n {
        let vid = format!("visitor_split_{i:04}");
        visit(&session, &origin, &format!("vid={vid}"));
        let shown = title(&session);
        session.refresh();
        wait_mounted(&session);
        assert_eq!(title(&session), shown, "{vid} changed variant on reload");
        let want = assign(&spec, &vid).expect("variants");
        let want_title = want
            .title
            .clone()
            .unwrap_or_else(|| "Analytics test".into());
        assert_eq!(shown, want_title, "{vid}");
        if want.id == "b" {
            b += 1;
        }
    }
    // Weights 1:1: b's share within 0.5 +/- 0.25 of 16 visitors.
    let share = f64::from(b) / f64::from(n);
    println!("variant split: b {b} of {n} ({share:.2})");
    assert!((share - 0.5).abs() <= 0.25, "b got {b} of {n}");
}
