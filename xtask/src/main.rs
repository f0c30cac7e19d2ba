//! `cargo xtask`: the single entry point for setting up, building, running and
//! testing Leadform.
//!
//! Every subcommand first makes sure the tools it needs are installed (see
//! [`setup`]), so a newcomer needs only `cargo xtask demo` and `cargo xtask test`.
//! This crate orchestrates external programs; it must not contain product logic.

mod certificate;
mod fuzz;
mod inbox;
mod pages;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  setup          Install what is missing (idempotent): wasm32 target, wasm-bindgen-cli,
                 worker-build, cargo-fuzz, npm tools (wrangler, Node 22, wasm-opt,
                 esbuild), Chromium.
  build          Build the widget (wasm, size-optimised) and the edge Worker, release mode.
  demo [--port N]  Build, apply D1 migrations, run the Worker (wrangler dev) on 127.0.0.1:N
                 (default 8787), the three example forms' landing pages on
                 127.0.0.1:8788 (/, /b2b.html, /newsletter.html) and a
                 CRM inbox on 127.0.0.1:8789 that checks webhook signatures.
  test           Everything CI checks: format, clippy, unit tests, wasm32 builds, a
                 short fuzz pass, integration tests against real workerd and Chromium.
  size           Print the widget's size report (raw and gzip per asset).
  bench [criterion|weight|tti|edge|speed|auction|console|beacons]...
                 Benchmarks (default: all), printed as tables for BENCHMARKS.md:
                 criterion validation throughput, widget weight vs Typeform and
                 vanilla JS, time to interactive in Chromium, wrk on the Worker.
  verify-certificate FILE --keys KEYS
                 Verify a consent certificate document (GET /v1/certificates/{id}?format=document)
                 offline against the issuer's public keys (KEYS: a leadform-keys.json
                 file, or its JSON): Ed25519 signature, key id, format.
  keygen [--kid ID]
                 Print fresh key settings (seal key, Ed25519 signing key and its public
                 entry, webhook secret) for a rotation (README: Keys and rotation).
  fuzz [--seconds N] [target...]
                 Fuzz the shared crate's parsers (targets: envelope, email, phone,
                 postal, spec; default all) for N seconds each (default 20), then
                 print runs and findings per target. Longer run: --seconds 3600.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::ensure_all(),
        Some("build") => setup::ensure_all().and_then(|()| build_all()),
        Some("demo") => parse_port(&args[1..]).and_then(|port| {
            setup::ensure_all()?;
            build_all()?;
            demo(port)
        }),
        Some("test") => setup::ensure_all().and_then(|()| test_all()),
        Some("size") => run_script("widget/size-report.sh", &[]),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz::FuzzPlan::parse(&args[1..]).and_then(|plan| fuzz::fuzz(&plan)),
        Some("verify-certificate") => certificate::verify_command(&args[1..]),
        Some("keygen") => certificate::keygen_command(&args[1..]),
        Some("help") | Some("--help") | Some("-h") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(XtaskError::Usage(format!("unknown command `{other}`"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nxtask: error: {error}");
            if matches!(error, XtaskError::Usage(_)) {
                eprint!("\n{USAGE}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Why an xtask step failed.
#[derive(Debug)]
pub enum XtaskError {
    Usage(String),
    /// A program could not be started at all.
    Spawn {
        program: String,
        error: std::io::Error,
    },
    /// A program ran and failed.
    Failed {
        step: String,
        status: String,
    },
    /// A tool is installed in a way we cannot fix automatically.
    Tool(String),
    Io(String, std::io::Error),
    /// A certificate document or key set was refused (`verify-certificate`).
    Certificate(leadform_verify::VerifyError),
}

impl std::fmt::Display for XtaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XtaskError::Usage(message) => write!(f, "{message}"),
            XtaskError::Spawn { program, error } => {
                write!(f, "could not start `{program}`: {error}")
            }
            XtaskError::Failed { step, status } => write!(f, "{step} failed ({status})"),
            XtaskError::Tool(message) => write!(f, "{message}"),
            XtaskError::Io(what, error) => write!(f, "{what}: {error}"),
            XtaskError::Certificate(error) => f.write_str(&certificate::describe(error)),
        }
    }
}

pub type Result<T> = std::result::Result<T, XtaskError>;

/// The repository root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Prints a step header so long runs show where they are.
pub fn step(message: &str) {
    println!("\n==> {message}");
}

/// Runs a command from the repo root, streaming its output; fails on non-zero exit.
pub fn run(description: &str, command: &mut Command) -> Result<()> {
    let started = Instant::now();
    command.current_dir_if_unset(&repo_root());
    let program = format!("{:?}", command.get_program());
    let status = command.status().map_err(|error| XtaskError::Spawn {
        program: program.clone(),
        error,
    })?;
    if status.success() {
        println!(
            "    ok: {description} ({:.1}s)",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    } else {
        Err(XtaskError::Failed {
            step: description.to_owned(),
            status: status.to_string(),
        })
    }
}

trait CurrentDirIfUnset {
    fn current_dir_if_unset(&mut self, dir: &Path) -> &mut Self;
}

impl CurrentDirIfUnset for Command {
    fn current_dir_if_unset(&mut self, dir: &Path) -> &mut Self {
        if self.get_current_dir().is_none() {
            self.current_dir(dir);
        }
        self
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

fn run_script(script: &str, args: &[&str]) -> Result<()> {
    let mut command = Command::new("bash");
    command.arg(repo_root().join(script)).args(args);
    setup::add_tool_env(&mut command);
    run(script, &mut command)
}

fn build_all() -> Result<()> {
    step("Building the widget (release wasm, wasm-opt -Oz)");
    run_script("widget/build.sh", &[])?;
    step("Building the owner console (release wasm, wasm-opt -Oz)");
    run_script("console/build.sh", &[])?;
    step("Building the edge Worker (worker-build --release)");
    let mut command = Command::new(setup::cargo_bin("worker-build"));
    command
        .arg("--release")
        .current_dir(repo_root().join("edge"));
    setup::add_tool_env(&mut command);
    run("worker-build --release", &mut command)
}

/// `cargo xtask bench [criterion] [weight] [tti] [edge] [speed] [auction] [console]` (default: all).
fn bench(sections: &[String]) -> Result<()> {
    const KNOWN: [&str; 8] = [
        "criterion",
        "weight",
        "tti",
        "edge",
        "speed",
        "auction",
        "console",
        "beacons",
    ];
    if let Some(unknown) = sections.iter().find(|s| !KNOWN.contains(&s.as_str())) {
        return Err(XtaskError::Usage(format!(
            "unknown bench section `{unknown}` (known: {})",
            KNOWN.join(", ")
        )));
    }
    let wants = |name: &str| sections.is_empty() || sections.iter().any(|s| s == name);
    if wants("criterion") {
        step("Native validation benchmarks of the shared crate (criterion)");
        run(
            "cargo bench -p leadform-shared --bench validation",
            cargo().args(["bench", "-p", "leadform-shared", "--bench", "validation"]),
        )?;
    }
    if wants("beacons") {
        step("Analytics beacons: bytes per visit, edge cost per event batch");
        run(
            "cargo run --release -p leadform-edge --example beacon_cost",
            cargo().args([
                "run",
                "--release",
                "-q",
                "-p",
                "leadform-edge",
                "--example",
                "beacon_cost",
            ]),
        )?;
    }
    let system: Vec<&str> = ["weight", "tti", "edge", "speed", "auction", "console"]
        .into_iter()
        .filter(|s| wants(s))
        .collect();
    if system.is_empty() {
        return Ok(());
    }
    setup::ensure_all()?;
    setup::ensure_bench_tools()?;
    step("Building the widget (release wasm, wasm-opt -Oz)");
    run_script("widget/build.sh", &[])?;
    if wants("console") {
        step("Building the console (release wasm, wasm-opt -Oz)");
        run_script("console/build.sh", &[])?;
    }
    step(&format!(
        "System benchmarks: {} (tables for BENCHMARKS.md; several minutes)",
        system.join(", ")
    ));
    let mut command = cargo();
    command
        .args(["bench", "-p", "leadform-tests", "--bench", "system", "--"])
        .args(&system)
        .env("LEADFORM_WIDGET_DIST", repo_root().join("dist/assets/v1"));
    setup::add_tool_env(&mut command);
    run("cargo bench -p leadform-tests --bench system", &mut command)
}

fn parse_port(args: &[String]) -> Result<u16> {
    match args {
        [] => Ok(8787),
        [flag, value] if flag == "--port" => value.parse().map_err(|_| {
            XtaskError::Usage(format!("--port needs a number 1-65535, got `{value}`"))
        }),
        other => Err(XtaskError::Usage(format!("unexpected arguments {other:?}"))),
    }
}

/// The landing pages' port: the example specs allow this origin.
const DEMO_PAGE_PORT: u16 = 8788;
/// The demo inbox's port: the example specs' destinations point here.
const DEMO_INBOX_PORT: u16 = 8789;

fn demo(port: u16) -> Result<()> {
    for taken in [port, DEMO_PAGE_PORT, DEMO_INBOX_PORT] {
        if std::net::TcpListener::bind(("127.0.0.1", taken)).is_err() {
            let hint = if taken == port {
                " or choose another with `cargo xtask demo --port N`"
            } else {
                " (the example specs use 127.0.0.1:8788 for the page and 127.0.0.1:8789 for destinations)"
            };
            return Err(XtaskError::Usage(format!(
                "port {taken} on 127.0.0.1 is taken; stop what uses it{hint}"
            )));
        }
    }
    let edge = repo_root().join("edge");
    let dev_vars = edge.join(".dev.vars");
    if !dev_vars.exists() {
        step("Creating edge/.dev.vars from edge/.dev.vars.example (local secrets)");
        std::fs::copy(edge.join(".dev.vars.example"), &dev_vars)
            .map_err(|e| XtaskError::Io("copying .dev.vars.example".to_owned(), e))?;
    }
    step("Applying D1 migrations to the local database");
    let mut migrate = setup::wrangler();
    migrate
        .args(["d1", "migrations", "apply", "DB", "--local"])
        .env("CI", "1")
        .current_dir(&edge);
    run("wrangler d1 migrations apply DB --local", &mut migrate)?;

    let origin = format!("http://127.0.0.1:{port}");
    let site = pages::Site::load(&repo_root().join("examples/landing-page"), &origin)?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", DEMO_PAGE_PORT))
        .map_err(|e| XtaskError::Io(format!("binding 127.0.0.1:{DEMO_PAGE_PORT}"), e))?;
    std::thread::spawn(move || pages::serve(listener, site));
    let webhook_secret = std::fs::read_to_string(&dev_vars).ok().and_then(|vars| {
        vars.lines()
            .find_map(|l| l.strip_prefix("WEBHOOK_SECRET=").map(str::to_owned))
    });
    let inbox_listener = std::net::TcpListener::bind(("127.0.0.1", DEMO_INBOX_PORT))
        .map_err(|e| XtaskError::Io(format!("binding 127.0.0.1:{DEMO_INBOX_PORT}"), e))?;
    std::thread::spawn(move || inbox::serve(inbox_listener, webhook_secret));

    step("Running the demo (Ctrl-C stops everything)");
    for page in pages::PAGES {
        println!(
            "    landing page:  http://127.0.0.1:{DEMO_PAGE_PORT}{} ({})",
            page.path, page.shows
        );
    }
    println!(
        "    CRM inbox:     http://127.0.0.1:{DEMO_INBOX_PORT}/ (verifies webhook signatures)"
    );
    let admin_token = std::fs::read_to_string(&dev_vars).ok().and_then(|vars| {
        vars.lines()
            .find_map(|l| l.strip_prefix("ADMIN_TOKEN=").map(str::to_owned))
    });
    println!(
        "    owner console: {origin}/console/ (token: {})",
        admin_token
            .as_deref()
            .unwrap_or("ADMIN_TOKEN from edge/.dev.vars")
    );
    println!("    Worker:        {origin}/v1/forms/home-quote");
    println!("    lead export:   curl -H 'Authorization: Bearer <ADMIN_TOKEN from edge/.dev.vars>' '{origin}/v1/leads?form=home-quote&format=csv'");
    println!("                   (form=b2b-demo, form=newsletter for the other pages)");
    let mut command = setup::wrangler();
    command
        .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
        // The example specs deliver to the local inbox over plain http: a
        // rewrite (to itself) is what lets the Worker send there, since
        // destination URLs must otherwise be https to a public host.
        .args([
            "--var",
            &format!(
                "DESTINATION_URL_REWRITES:[[\"http://127.0.0.1:{DEMO_INBOX_PORT}/\",\"http://127.0.0.1:{DEMO_INBOX_PORT}/\"]]"
            ),
        ])
        .current_dir(&edge);
    // Ctrl-C in a terminal reaches wrangler directly (same process group);
    // when only xtask is stopped (kill, a closed session), wrangler gets
    // SIGTERM from the kernel and takes workerd down with it.
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let status = command.status().map_err(|error| XtaskError::Spawn {
        program: "wrangler dev".to_owned(),
        error,
    })?;
    // Ctrl-C reaches wrangler too; that is how the demo is meant to end.
    let interrupted = status.code() == Some(130) || status.code().is_none();
    if status.success() || interrupted {
        println!("\n    demo stopped");
        Ok(())
    } else {
        Err(XtaskError::Failed {
            step: "wrangler dev".to_owned(),
            status: status.to_string(),
        })
    }
}

fn test_all() -> Result<()> {
    step("Checking formatting (cargo fmt --check)");
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--check"]),
    )?;
    run(
        "cargo fmt --check (fuzz/)",
        cargo().args(["fmt", "--manifest-path", "fuzz/Cargo.toml", "--check"]),
    )?;

    step("Unit, table, property and corpus tests of the shared crate (native)");
    run(
        "cargo test -p leadform-shared",
        cargo().args(["test", "-p", "leadform-shared"]),
    )?;

    step("Building the shared crate for wasm32-unknown-unknown (with and without unicode-tables)");
    // The edge's build (with the Unicode tables) and the widget's (without).
    for features in [None, Some("--no-default-features")] {
        let mut build = cargo();
        build
            .args([
                "build",
                "-p",
                "leadform-shared",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .args(features);
        let description = format!(
            "cargo build -p leadform-shared --target wasm32-unknown-unknown{}",
            features.map(|f| format!(" {f}")).unwrap_or_default()
        );
        run(&description, &mut build)?;
    }

    step("Tests of the certificate verifier and of xtask (native)");
    run(
        "cargo test -p leadform-verify -p xtask",
        cargo().args(["test", "-p", "leadform-verify", "-p", "xtask"]),
    )?;

    step("Unit tests of the edge, the widget and the console (native)");
    run(
        "cargo test -p leadform-edge -p leadform-widget -p leadform-console --lib",
        cargo().args([
            "test",
            "-p",
            "leadform-edge",
            "-p",
            "leadform-widget",
            "-p",
            "leadform-console",
            "--lib",
        ]),
    )?;

    step("Clippy, warnings denied (native crates, then the wasm32 crates)");
    run(
        "cargo clippy (native)",
        cargo().args([
            "clippy",
            "-p",
            "leadform-shared",
            "-p",
            "leadform-edge",
            "-p",
            "leadform-tests",
            "-p",
            "xtask",
            "-p",
            "leadform-verify",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    run(
        "cargo clippy (fuzz/)",
        cargo().args([
            "clippy",
            "--manifest-path",
            "fuzz/Cargo.toml",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    run(
        "cargo clippy (wasm32)",
        cargo().args([
            "clippy",
            "-p",
            "leadform-widget",
            "-p",
            "leadform-edge",
            "-p",
            "leadform-console",
            "--target",
            "wasm32-unknown-unknown",
            "--tests",
            "--",
            "-D",
            "warnings",
        ]),
    )?;

    fuzz::fuzz(&fuzz::FuzzPlan::short())?;

    step("Widget component tests (wasm-bindgen-test in headless Chromium)");
    let mut components = cargo();
    components
        .args([
            "test",
            "-p",
            "leadform-widget",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "components",
        ])
        // The runner reads `webdriver.json` (Chromium's flags) from here.
        .current_dir(repo_root().join("widget"))
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            setup::cargo_bin("wasm-bindgen-test-runner"),
        );
    run("widget component tests", &mut components)?;

    step("Building the widget (release wasm, wasm-opt, esbuild) and reporting its size");
    run_script("widget/build.sh", &[])?;
    // Fails when the gzip total is over the budget or forbidden code is linked.
    let mut size = Command::new("bash");
    size.arg(repo_root().join("widget/size-report.sh"));
    run("widget size report", &mut size)?;

    step("Building the owner console (release wasm) for its browser test");
    run_script("console/build.sh", &[])?;

    step("Integration tests: real workerd (wrangler dev) and headless Chromium");
    let mut integration = cargo();
    integration
        .args(["test", "-p", "leadform-tests", "--", "--test-threads=1"])
        .env("LEADFORM_WIDGET_DIST", repo_root().join("dist/assets/v1"));
    setup::add_tool_env(&mut integration);
    run("cargo test -p leadform-tests", &mut integration)
}
