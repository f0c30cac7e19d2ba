//! `cargo xtask fuzz [--seconds N] [target...]`: runs the cargo-fuzz targets
//! in `fuzz/` (libFuzzer, on the stable toolchain with `RUSTC_BOOTSTRAP=1`)
//! for a bounded time each, then prints one summary row per target.
//!
//! Layout: `fuzz/seeds/<target>/` holds the committed seed inputs (written by
//! `fuzz/examples/make_seeds.rs`); `fuzz/corpus/<target>/` is the working
//! corpus libFuzzer grows across runs (git-ignored; it is read first and is
//! the only directory written to); `fuzz/artifacts/<target>/` receives the
//! input of a crash or a failed property; `fuzz/target/logs/<target>.log`
//! holds libFuzzer's full output of the last run. The build always goes to
//! `fuzz/target`, whatever `CARGO_TARGET_DIR` says.
//!
//! `cargo xtask test` runs every target for [`DEFAULT_SECONDS`]; the longer
//! run before a release is `cargo xtask fuzz --seconds 3600`. This module
//! orchestrates cargo-fuzz; the targets and their properties live in `fuzz/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::{repo_root, run, setup, step, Result, XtaskError};

/// Every fuzz target, in the order they run.
pub const TARGETS: &[&str] = &["envelope", "email", "phone", "postal", "spec"];

/// Seconds per target when none are given (and in `cargo xtask test`).
pub const DEFAULT_SECONDS: u64 = 20;

/// Longest time one input may take before libFuzzer reports a timeout: a
/// slow input is a denial of service on the edge, so it counts as a finding.
const INPUT_TIMEOUT_SECONDS: u64 = 10;

/// What to fuzz and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzPlan {
    pub seconds: u64,
    pub targets: Vec<&'static str>,
}

impl FuzzPlan {
    /// Every target for [`DEFAULT_SECONDS`].
    pub fn short() -> FuzzPlan {
        FuzzPlan {
            seconds: DEFAULT_SECONDS,
            targets: TARGETS.to_vec(),
        }
    }

    /// Parses `[--seconds N] [target...]`; no targets means all of them.
    pub fn parse(args: &[String]) -> Result<FuzzPlan> {
        let mut plan = FuzzPlan {
            seconds: DEFAULT_SECONDS,
            targets: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "--seconds" {
                let value = args.next().map(String::as_str).unwrap_or("");
                plan.seconds = value
                    .parse()
                    .ok()
                    .filter(|&seconds| seconds > 0)
                    .ok_or_else(|| {
                        XtaskError::Usage(format!(
                            "--seconds needs a whole number of seconds above 0, got `{value}`"
                        ))
                    })?;
            } else if let Some(&target) = TARGETS.iter().find(|&&t| t == arg) {
                if !plan.targets.contains(&target) {
                    plan.targets.push(target);
                }
            } else {
                return Err(XtaskError::Usage(format!(
                    "unknown fuzz target or option `{arg}`; targets: {}",
                    TARGETS.join(", ")
                )));
            }
        }
        if plan.targets.is_empty() {
            plan.targets = TARGETS.to_vec();
        }
        Ok(plan)
    }
}

/// How one target's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Ran for the whole time without a finding.
    Clean,
    /// libFuzzer saved an input: `kind` is `crash`, `timeout`, `oom`, `leak`...
    Finding { kind: String, artifact: String },
    /// The run failed without saving an input (build or setup problem).
    Failed(String),
}

/// One summary row.
struct Row {
    target: &'static str,
    runs: Option<u64>,
    seconds: f64,
    outcome: Outcome,
}

/// Installs cargo-fuzz if needed, builds every target once, runs the plan and
/// prints the summary. Fails when any target has a finding.
pub fn fuzz(plan: &FuzzPlan) -> Result<()> {
    setup::ensure_cargo_fuzz()?;
    let fuzz_dir = repo_root().join("fuzz");
    let target_dir = fuzz_dir.join("target");
    step("Building the fuzz targets (cargo fuzz build: release, debug assertions, ASan)");
    let mut build = cargo_fuzz(&fuzz_dir);
    build.arg("build").arg("--target-dir").arg(&target_dir);
    run("cargo fuzz build", &mut build)?;

    let logs = target_dir.join("logs");
    std::fs::create_dir_all(&logs)
        .map_err(|e| XtaskError::Io(format!("creating {}", logs.display()), e))?;
    step(&format!(
        "Fuzzing {} target(s) for {} s each (libFuzzer output: {})",
        plan.targets.len(),
        plan.seconds,
        relative(&logs)
    ));
    let mut rows = Vec::new();
    for &target in &plan.targets {
        let row = fuzz_one(&fuzz_dir, &target_dir, &logs, target, plan.seconds)?;
        println!("    {target}: {}", describe(&row.outcome));
        rows.push(row);
    }
    print_summary(&rows);
    let findings: Vec<&str> = rows
        .iter()
        .filter(|row| row.outcome != Outcome::Clean)
        .map(|row| row.target)
        .collect();
    if findings.is_empty() {
        Ok(())
    } else {
        Err(XtaskError::Failed {
            step: format!("fuzzing ({})", findings.join(", ")),
            status: "see the summary above".to_owned(),
        })
    }
}

fn cargo_fuzz(fuzz_dir: &Path) -> Command {
    let mut command = Command::new(setup::cargo_bin("cargo-fuzz"));
    // cargo-fuzz expects to be called as `cargo fuzz`; it needs nightly-only
    // rustc flags (sanitizers, coverage), which stable accepts with this.
    command
        .arg("fuzz")
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(fuzz_dir.parent().unwrap_or(fuzz_dir));
    command
}

fn fuzz_one(
    fuzz_dir: &Path,
    target_dir: &Path,
    logs: &Path,
    target: &'static str,
    seconds: u64,
) -> Result<Row> {
    let corpus = fuzz_dir.join("corpus").join(target);
    let seeds = fuzz_dir.join("seeds").join(target);
    let artifacts = fuzz_dir.join("artifacts").join(target);
    for dir in [&corpus, &artifacts] {
        std::fs::create_dir_all(dir)
            .map_err(|e| XtaskError::Io(format!("creating {}", dir.display()), e))?;
    }
    let log_path = logs.join(format!("{target}.log"));
    let log = std::fs::File::create(&log_path)
        .map_err(|e| XtaskError::Io(format!("creating {}", log_path.display()), e))?;
    let log_err = log
        .try_clone()
        .map_err(|e| XtaskError::Io(format!("opening {}", log_path.display()), e))?;
    println!("    {target}: fuzzing for {seconds} s ...");
    let mut command = cargo_fuzz(fuzz_dir);
    command
        .arg("run")
        .arg("--target-dir")
        .arg(target_dir)
        .arg(target)
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECONDS}"))
        .arg("-print_final_stats=1")
        .stdout(log)
        .stderr(log_err);
    let started = Instant::now();
    let status = command.status().map_err(|error| XtaskError::Spawn {
        program: "cargo fuzz run".to_owned(),
        error,
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let runs = executed_units(&output);
    let outcome = match artifact(&output) {
        Some(artifact) => {
            let kind = Path::new(&artifact)
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.split('-').next())
                .unwrap_or("crash")
                .to_owned();
            print_failure(target, &output, &artifact, &log_path);
            Outcome::Finding {
                kind,
                artifact: relative(Path::new(&artifact)),
            }
        }
        None if status.success() => Outcome::Clean,
        None => {
            print_tail(&output, 30);
            Outcome::Failed(format!("{status}; log: {}", relative(&log_path)))
        }
    };
    Ok(Row {
        target,
        runs,
        seconds,
        outcome,
    })
}

/// libFuzzer's final count of executed inputs (`-print_final_stats=1`).
fn executed_units(output: &str) -> Option<u64> {
    output
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok())
}

/// The input libFuzzer saved, from `Test unit written to <path>`.
fn artifact(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        line.split_once("Test unit written to ")
            .map(|(_, path)| path.trim().to_owned())
    })
}

fn print_failure(target: &str, output: &str, artifact: &str, log: &Path) {
    println!("\n    ---- {target}: finding (libFuzzer output, abridged) ----");
    let lines: Vec<&str> = output.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains("panicked at") || l.contains("ERROR: libFuzzer"))
        .unwrap_or(lines.len().saturating_sub(20));
    // The panic message (assertion, left and right), not the backtrace.
    for line in lines
        .iter()
        .skip(start)
        .take_while(|l| !l.starts_with("stack backtrace"))
        .take(15)
    {
        println!("    | {line}");
    }
    println!("    full log: {}", relative(log));
    println!("    input:    {}", relative(Path::new(artifact)));
    println!(
        "    replay:   RUSTC_BOOTSTRAP=1 cargo fuzz run {target} {}",
        relative(Path::new(artifact))
    );
    println!(
        "    then fix the rule in shared/ and add the input as a row of shared/tests/data/*.tsv or a unit test\n"
    );
}

fn print_tail(output: &str, count: usize) {
    let lines: Vec<&str> = output.lines().collect();
    for line in &lines[lines.len().saturating_sub(count)..] {
        println!("    | {line}");
    }
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Clean => "ok".to_owned(),
        Outcome::Finding { kind, artifact } => format!("{kind} ({artifact})"),
        Outcome::Failed(why) => format!("failed: {why}"),
    }
}

fn print_summary(rows: &[Row]) {
    println!(
        "\n    {:<10} {:>12} {:>9} {:>10}  result",
        "target", "runs", "seconds", "runs/s"
    );
    for row in rows {
        let runs = row.runs.map_or("-".to_owned(), group_thousands);
        let rate = row
            .runs
            .filter(|_| row.seconds > 0.0)
            .map_or("-".to_owned(), |n| {
                group_thousands((n as f64 / row.seconds).round() as u64)
            });
        println!(
            "    {:<10} {:>12} {:>9.1} {:>10}  {}",
            row.target,
            runs,
            row.seconds,
            rate,
            describe(&row.outcome)
        );
    }
}

/// `1234567` as `1,234,567`.
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|group| std::str::from_utf8(group).unwrap_or_default())
        .collect();
    groups.join(",")
}

/// `path` relative to the repository root, for short messages.
fn relative(path: &Path) -> String {
    let root: PathBuf = repo_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn plans_parse() {
        assert_eq!(FuzzPlan::parse(&[]).unwrap(), FuzzPlan::short());
        assert_eq!(
            FuzzPlan::parse(&args(&["--seconds", "3600", "phone", "email", "phone"])).unwrap(),
            FuzzPlan {
                seconds: 3600,
                targets: vec!["phone", "email"],
            }
        );
        for bad in [
            &["--seconds"][..],
            &["--seconds", "0"],
            &["--seconds", "x"],
            &["nope"],
        ] {
            assert!(matches!(
                FuzzPlan::parse(&args(bad)),
                Err(XtaskError::Usage(_))
            ));
        }
    }

    #[test]
    fn libfuzzer_output_is_read() {
        let output = "INFO: Seed: 1\n==12== ERROR: libFuzzer: deadly signal\nartifact_prefix='/r/fuzz/artifacts/phone/'; Test unit written to /r/fuzz/artifacts/phone/crash-06a1\nstat::number_of_executed_units: 426680\nstat::average_exec_per_sec:     71113\n";
        assert_eq!(executed_units(output), Some(426_680));
        assert_eq!(
            artifact(output).as_deref(),
            Some("/r/fuzz/artifacts/phone/crash-06a1")
        );
        assert_eq!(artifact("Done 5 runs in 1 second(s)\n"), None);
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }
}
