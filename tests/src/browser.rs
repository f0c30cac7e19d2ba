//! Browser-test harness for the widget: builds it once (`widget/build.sh`),
//! serves pages and assets from a real HTTP/1.1 server on loopback
//! ([`crate::server`], re-exported here as [`Server`]), and drives Debian's
//! headless Chromium through chromedriver ([`crate::webdriver`],
//! re-exported here as [`ChromeDriver`] and [`Session`]), with the widget
//! helpers the browser tests share.
//!
//! Every wait is bounded; chromedriver and the user-data directory are
//! removed on drop. Nothing here downloads a browser or talks to anything but
//! 127.0.0.1.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use std::{env, thread};

pub use crate::http::{free_port, repo_root};
pub use crate::server::{Request, Response, Server};
pub use crate::webdriver::{ChromeDriver, Session};

use serde_json::{json, Value};

/// Chromium flags every test session uses (plus a fresh `--user-data-dir`).
pub const CHROME_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Serialises browser tests within one test binary (2-core machines).
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Builds the widget once per test process with `widget/build.sh` and returns
/// the assets directory. `LEADFORM_WIDGET_DIST` points at a prebuilt one.
pub fn widget_dist() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(dir) = env::var_os("LEADFORM_WIDGET_DIST") {
                return PathBuf::from(dir);
            }
            let root = repo_root();
            eprintln!("[leadform-tests] building the widget (widget/build.sh) ...");
            let started = Instant::now();
            let status = Command::new("bash")
                .arg(root.join("widget/build.sh"))
                .current_dir(&root)
                .status()
                .expect("run widget/build.sh");
            assert!(status.success(), "widget/build.sh failed: {status}");
            eprintln!("[leadform-tests] widget built in {:?}", started.elapsed());
            root.join("dist/assets/v1")
        })
        .clone()
}

/// The built assets directory with the widget (`v1/`, see [`widget_dist`])
/// and the owner console (`console/`, built by `console/build.sh`, which
/// this does not run: it panics when the console is missing).
pub fn console_assets() -> PathBuf {
    let dir = widget_dist().parent().expect("dist/assets").to_path_buf();
    assert!(
        dir.join("console/index.html").is_file(),
        "{} has no console: run console/build.sh (cargo xtask build)",
        dir.display()
    );
    dir
}

/// Polls `probe` until it returns `Some`, at most `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// Widget helpers shared by the browser tests

/// How long a browser test waits for one thing to happen.
pub const WAIT: Duration = Duration::from_secs(30);

/// JS evaluated against the form's shadow root (`root`).
pub fn in_shadow(session: &Session, body: &str) -> Value {
    let script = format!(
        "const host = document.querySelector('.leadform'); \
         const root = host && host.shadowRoot; if (!root) return null; {body}"
    );
    session.execute(&script, json!([]))
}

/// Waits until the widget has mounted its form in a shadow root.
pub fn wait_mounted(session: &Session) {
    wait_for("the form to mount in a shadow root", WAIT, || {
        (in_shadow(
            session,
            "return !!root.querySelector('form .lf-input, form .lf-box');",
        ) == json!(true))
        .then_some(())
    });
}

/// Id of the focused element inside the shadow root.
pub fn focused(session: &Session) -> String {
    in_shadow(
        session,
        "return root.activeElement ? root.activeElement.id : '';",
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Tabs into the form and types `entries`, one focusable control each.
pub fn fill_by_keyboard(session: &Session, entries: &[&str]) {
    session.keys(key::TAB);
    wait_for("focus in the form", WAIT, || {
        (!focused(session).is_empty()).then_some(())
    });
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            session.keys(key::TAB);
        }
        session.keys(entry);
    }
}

/// WebDriver key codes.
pub mod key {
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const SHIFT: &str = "\u{E008}";
    pub const CONTROL: &str = "\u{E009}";
    pub const SPACE: &str = " ";
    pub const BACKSPACE: &str = "\u{E003}";
}
