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
//!
//! Measurements only: nothing here asserts a time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use leadform_shared::{ConsentRecord, FormSpec};
use leadform_tests::browser::{self, ChromeDriver, Request, Response, Server, Session};
use leadform_tests::envelope::test_form;
use leadform_tests::wrangler::{repo_root, Worker, WorkerOptions, ALLOWED_ORIGIN};
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

/// The wrk script: every request a new valid lead of the `bench` form.
fn wrk_script(form: &FormSpec) -> String {
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
  local tag = string.format("t%dn%d", thread_id, counter)
  local body = '{{"version":1,"form_id":"bench","spec_hash":"{hash}","submission_id":"bench-' .. tag .. '-000000","visitor_id":"bench-visitor-' .. tag .. '","asked":["name","phone","email","zip"],"fields":{{"name":"Ann Example","phone":"(415) 555-0100","email":"' .. tag .. '@example.com","zip":"94103"}},"consents":' .. consents .. ',"attribution":{{"current":{{"utm_source":"bench"}}}},"timings":{{"started_at_ms":1700000000000,"submitted_at_ms":1700000005000,"time_to_fill_ms":5000}},"honeypot":"","page_url":"http://127.0.0.1:8788/bench"}}'
  return wrk.format(nil, nil, nil, body)
end
"#,
        origin = ALLOWED_ORIGIN,
        hash = form.public_hash(),
        consents = consents,
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

fn edge() {
    eprintln!("[bench] edge: release Worker under wrangler dev, wrk at 1/8/64 connections");
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var("LEADFORM_WORKER_RELEASE", "1") };
    let worker = Worker::start(WorkerOptions::default());
    let form = test_form("bench");
    let script = bench_dir().join("submit.lua");
    std::fs::write(&script, wrk_script(&form)).expect("write wrk script");
    let url = format!("http://127.0.0.1:{}/v1/submit", worker.port);

    // One request by hand first: the script must produce an accepted lead.
    let probe = Command::new("wrk")
        .args(["-t1", "-c1", "-d1s", "-s"])
        .arg(&script)
        .arg(&url)
        .output()
        .expect("run wrk (cargo xtask bench installs it)");
    let (requests, _, _, _, non_2xx, _) = parse_wrk(&String::from_utf8_lossy(&probe.stdout));
    assert!(
        requests > 0 && non_2xx == 0,
        "warm-up run: {requests} requests, {non_2xx} not 2xx\n{}\n{}",
        String::from_utf8_lossy(&probe.stdout),
        worker.log()
    );

    println!("## Edge: `POST /v1/submit` on local workerd (`wrangler dev`, release build)\n");
    println!("Every request is a new valid lead (parse, validate, rate-limiter Durable Object, seal, D1 write). {WRK_SECONDS} s per row.\n");
    println!("| connections | requests | req/s | p50 ms | p99 ms | non-2xx | socket errors | workerd CPU ms / submission | wrangler dev (all processes) CPU ms / submission |");
    println!("|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    for connections in [1u32, 8, 64] {
        let threads = connections.min(2);
        let workerd_before = worker.cpu_seconds("workerd");
        let all_before = worker.cpu_seconds("");
        let started = Instant::now();
        let output = Command::new("wrk")
            .arg(format!("-t{threads}"))
            .arg(format!("-c{connections}"))
            .arg(format!("-d{WRK_SECONDS}s"))
            .args(["--timeout", "10s", "--latency", "-s"])
            .arg(&script)
            .arg(&url)
            .output()
            .expect("run wrk");
        let text = String::from_utf8_lossy(&output.stdout);
        let (requests, per_second, p50, p99, non_2xx, socket_errors) = parse_wrk(&text);
        let per_request = |seconds: f64| seconds * 1000.0 / requests.max(1) as f64;
        let workerd_ms = per_request(worker.cpu_seconds("workerd") - workerd_before);
        let all_ms = per_request(worker.cpu_seconds("") - all_before);
        eprintln!(
            "[bench] {connections} connections: {requests} requests in {:.1?}",
            started.elapsed()
        );
        println!(
            "| {connections} | {requests} | {per_second:.0} | {p50:.1} | {p99:.1} | {non_2xx} | {socket_errors} | {workerd_ms:.2} | {all_ms:.2} |"
        );
    }
    let listing: Value = worker.owner("GET", "/v1/leads?form=bench&limit=1").json();
    assert!(
        listing["leads"].as_array().is_some_and(|l| !l.is_empty()),
        "leads were stored"
    );

    println!("\n## Worker bundle (release, `edge/build-bench/`)\n");
    println!("| file | raw | gzip -9 | brotli -q 11 |");
    println!("|---|---:|---:|---:|");
    let build = leadform_tests::wrangler::build_worker();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&build)
        .expect("build dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "js" || e == "wasm"))
        .collect();
    files.sort();
    for file in files {
        let (raw, gzip, brotli) = sizes(&file);
        println!(
            "| {} | {raw} | {gzip} | {brotli} |",
            file.file_name().unwrap_or_default().to_string_lossy()
        );
    }
    println!();
}
