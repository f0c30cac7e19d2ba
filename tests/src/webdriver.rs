//! The browser tests' WebDriver client: a `chromedriver` process and one
//! headless Chromium session per [`Session`], driven through the
//! `fantoccini` crate.
//!
//! fantoccini is asynchronous; each [`Session`] owns a single-threaded tokio
//! runtime and blocks on every command, so the tests themselves stay plain
//! synchronous code. The two Chromium-specific commands the tests need
//! (network conditions, DevTools commands) go through fantoccini's
//! [`WebDriverCompatibleCommand`]. Every start-up wait is bounded;
//! chromedriver and the profile directory are removed on drop. This module
//! must not download a browser or talk to anything but 127.0.0.1.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use std::{env, fs};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

use crate::browser::{wait_for, CHROME_FLAGS};
use crate::http::free_port;

/// A `chromedriver` process on a free port; killed on drop.
pub struct ChromeDriver {
    child: Child,
    pub port: u16,
}

impl ChromeDriver {
    pub fn start() -> ChromeDriver {
        let binary = env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {binary}: {e} (apt-get install chromium-driver)"));
        let driver = ChromeDriver { child, port };
        // Readiness is chromedriver's own `/status`, before any session.
        wait_for("chromedriver /status", Duration::from_secs(20), || {
            let response =
                crate::http::request(port, "GET", "/status", &[], "", Duration::from_secs(5))
                    .ok()?;
            let status: Value = serde_json::from_str(&response.body).ok()?;
            (status["value"]["ready"] == json!(true)).then_some(())
        });
        driver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A chromedriver command outside the W3C protocol, posted to
/// `/session/{id}/{path}` with a JSON body.
#[derive(Debug)]
struct ChromiumCommand {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for ChromiumCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// One browser session with its own fresh profile directory.
pub struct Session {
    runtime: tokio::runtime::Runtime,
    /// `None` only while the session is being closed on drop.
    client: Option<Client>,
    profile: PathBuf,
}

impl Session {
    pub fn new(driver: &ChromeDriver) -> Session {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let profile = env::temp_dir().join(format!(
            "leadform-chrome-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&profile);
        fs::create_dir_all(&profile).expect("create profile dir");
        let mut args: Vec<String> = CHROME_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push("--window-size=1024,900".into());
        let binary = env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut capabilities = Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": binary, "args": args}),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime for the WebDriver client");
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = runtime
            .block_on(
                ClientBuilder::new(connector)
                    .capabilities(capabilities)
                    .connect(&driver.url()),
            )
            .unwrap_or_else(|e| panic!("new WebDriver session: {e}"));
        Session {
            runtime,
            client: Some(client),
            profile,
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    pub fn goto(&self, url: &str) {
        self.runtime
            .block_on(self.client().goto(url))
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    pub fn refresh(&self) {
        self.runtime
            .block_on(self.client().refresh())
            .unwrap_or_else(|e| panic!("refresh: {e}"));
    }

    fn chromium(&self, path: &'static str, body: Value) -> Value {
        self.runtime
            .block_on(self.client().issue_cmd(ChromiumCommand { path, body }))
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Cuts (or restores) the browser's network, through chromedriver's
    /// Chromium network-conditions command (DevTools network emulation).
    pub fn set_offline(&self, offline: bool) {
        self.chromium(
            "chromium/network_conditions",
            json!({ "network_conditions": {
                "offline": offline,
                "latency": 0,
                "download_throughput": -1,
                "upload_throughput": -1,
            }}),
        );
    }

    /// Sends one Chrome DevTools Protocol command through chromedriver (e.g.
    /// `Emulation.setCPUThrottlingRate`) and returns its result.
    pub fn cdp(&self, command: &str, params: Value) -> Value {
        self.chromium(
            "goog/cdp/execute",
            json!({ "cmd": command, "params": params }),
        )
    }

    /// Runs a synchronous script (`arguments` = `args`, a JSON array) and
    /// returns its result.
    pub fn execute(&self, script: &str, args: Value) -> Value {
        let args = match args {
            Value::Array(args) => args,
            Value::Null => Vec::new(),
            other => vec![other],
        };
        self.runtime
            .block_on(self.client().execute(script, args))
            .unwrap_or_else(|e| panic!("execute script: {e}"))
    }

    /// Types `text` with the keyboard into whatever has focus. Characters are
    /// pressed one by one; WebDriver key codes (see [`crate::browser::key`])
    /// are allowed.
    pub fn keys(&self, text: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for value in text.chars() {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.key_actions(actions);
    }

    /// Presses `key` while holding `modifier` (e.g. Shift+Tab, Ctrl+A), each
    /// one character (see [`crate::browser::key`]).
    pub fn chord(&self, modifier: &str, key: &str) {
        let one = |text: &str| {
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => panic!("chord: {text:?} is not one key"),
            }
        };
        let (modifier, key) = (one(modifier), one(key));
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: modifier })
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key })
            .then(KeyAction::Up { value: modifier });
        self.key_actions(actions);
    }

    fn key_actions(&self, actions: KeyActions) {
        self.runtime
            .block_on(self.client().perform_actions(actions))
            .unwrap_or_else(|e| panic!("key actions: {e}"));
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = fs::remove_dir_all(&self.profile);
    }
}
