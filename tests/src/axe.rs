//! Accessibility checks in the page under test: axe-core (pinned in
//! `tools/`, installed by `cargo xtask setup`) injected into a WebDriver
//! session and run there, its violations compared with none.
//!
//! Two scopes: a whole page against the WCAG 2.0-2.2 A and AA rules (the
//! owner console), and a form's host element, its open shadow root included,
//! against every rule axe runs by default (the widget and the basic form).
//! This module only reads the page; it must not change it.

use serde_json::{json, Value};

use crate::browser::{wait_for, Session, WAIT};
use crate::http::repo_root;

/// Asserts the whole page has no violation of the WCAG 2.0-2.2 A/AA rules.
pub fn assert_page_meets_wcag(session: &Session, what: &str) {
    let options = "{ resultTypes: ['violations'], runOnly: { type: 'tag', values: \
                   ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }";
    check(session, what, "document", options);
}

/// Asserts the first form's host (`.leadform`) and its shadow root have no
/// violation of any rule axe runs by default.
pub fn assert_form_has_no_violations(session: &Session, what: &str) {
    check(
        session,
        what,
        "document.querySelector('.leadform')",
        "{ resultTypes: ['violations'] }",
    );
}

fn check(session: &Session, what: &str, context: &str, options: &str) {
    let path = repo_root().join("tools/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} ({e}): run cargo xtask setup", path.display()));
    session.execute(
        &format!("{source}\n;window.axe = window.axe || axe; return true;"),
        json!([]),
    );
    session.execute(
        &format!(
            "window.__axe = null; \
             axe.run({context}, {options}).then( \
               r => {{ window.__axe = r.violations.map(v => ({{ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target) }})); }}, \
               e => {{ window.__axe = 'axe failed: ' + e; }}); \
             return true;"
        ),
        json!([]),
    );
    let violations: Value = wait_for("axe-core's report", WAIT, || {
        let report = session.execute("return window.__axe;", json!([]));
        (!report.is_null()).then_some(report)
    });
    assert_eq!(violations, json!([]), "axe-core on {what}");
}
