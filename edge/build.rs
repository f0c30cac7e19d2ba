//! Compiles the form specs into the Worker.
//!
//! Reads every `*.toml` / `*.json` file in `LEADFORM_FORMS_DIR` (one directory
//! or several separated like PATH; default `../examples/forms`, relative to
//! this crate), parses and checks each with
//! `leadform_shared::FormSpec`, and writes `$OUT_DIR/forms.rs` holding each spec
//! as JSON. A spec that does not check fails the build with every `spec.*` error,
//! as does a destination URL that is neither https to a public host
//! (`src/destination_url.rs`) nor a loopback placeholder (only a
//! deployment's `DESTINATION_URL_REWRITES` can make those reachable).
//! This script must not reach the network or read anything outside that directory.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::{env, fs};

use leadform_shared::spec::Destination;
use leadform_shared::FormSpec;

#[path = "src/destination_url.rs"]
mod destination_url;

fn main() {
    println!("cargo:rerun-if-env-changed=LEADFORM_FORMS_DIR");
    let manifest_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    // One directory, or several separated like PATH (`a:b`); ids must be unique.
    let forms_dirs: Vec<PathBuf> = match env::var_os("LEADFORM_FORMS_DIR") {
        Some(dirs) if !dirs.is_empty() => env::split_paths(&dirs)
            .map(|dir| {
                if dir.is_absolute() {
                    dir
                } else {
                    manifest_dir.join(dir)
                }
            })
            .collect(),
        _ => vec![manifest_dir.join("../examples/forms")],
    };
    for dir in &forms_dirs {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    let forms_source = forms_dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");

    let specs = match load_specs(&forms_dirs) {
        Ok(specs) => specs,
        Err(message) => {
            eprintln!("{message}");
            panic!("leadform-edge: form specs in {forms_source} are not valid:\n{message}");
        }
    };

    let mut generated = String::from(
        "/// Every form spec compiled into this build: `(form id, spec JSON)`, sorted by id.\n\
         pub static EMBEDDED_FORMS: &[(&str, &str)] = &[\n",
    );
    for (id, json) in &specs {
        generated.push_str(&format!("    ({id:?}, {json:?}),\n"));
    }
    generated.push_str("];\n");
    generated.push_str(&format!(
        "/// The directory the specs were read from (for diagnostics).\npub static FORMS_SOURCE_DIR: &str = {:?};\n",
        forms_source
    ));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("forms.rs");
    fs::write(&out, generated).expect("write generated forms.rs");
}

/// Loads and checks every spec; all problems of all files are reported together.
fn load_specs(dirs: &[PathBuf]) -> Result<BTreeMap<String, String>, String> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let entries = fs::read_dir(dir)
            .map_err(|e| format!("cannot read forms directory {}: {e}", dir.display()))?;
        paths.extend(
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| {
                    matches!(
                        path.extension().and_then(|e| e.to_str()),
                        Some("toml" | "json")
                    )
                }),
        );
    }
    paths.sort();
    let mut problems = Vec::new();
    let mut specs = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for path in paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let source = match fs::read_to_string(&path) {
            Ok(source) => source,
            Err(e) => {
                problems.push(format!("{}: cannot read: {e}", path.display()));
                continue;
            }
        };
        let parsed = if path.extension().and_then(|e| e.to_str()) == Some("json") {
            FormSpec::parse_json(&source)
        } else {
            FormSpec::parse_toml(&source)
        };
        match parsed {
            Ok(spec) => {
                if let Some(previous) = sources.insert(spec.id.clone(), path.clone()) {
                    problems.push(format!(
                        "{}: form id `{}` is already used by {}",
                        path.display(),
                        spec.id,
                        previous.display()
                    ));
                    continue;
                }
                for (index, destination) in spec.destinations.iter().enumerate() {
                    let url = match destination {
                        Destination::Webhook { url, .. } => Some(url),
                        Destination::SalesforceApi { instance_url, .. } => Some(instance_url),
                        Destination::Hubspot { endpoint, .. }
                        | Destination::Salesforce { endpoint, .. } => endpoint.as_ref(),
                        Destination::Distribution { .. } => None,
                    };
                    let refused = url
                        .filter(|url| !destination_url::is_loopback(url))
                        .and_then(|url| destination_url::check(url).err());
                    if let (Some(url), Some(refusal)) = (url, refused) {
                        problems.push(format!(
                            "{}: destinations[{index}] `{url}`: {refusal}",
                            path.display()
                        ));
                    }
                }
                // Buyers' ping and post URLs go out like destinations'.
                for buyer in &spec.buyers {
                    for url in [&buyer.ping_url, &buyer.post_url] {
                        if destination_url::is_loopback(url) {
                            continue;
                        }
                        if let Err(refusal) = destination_url::check(url) {
                            problems.push(format!(
                                "{}: buyer `{}` `{url}`: {refusal}",
                                path.display(),
                                buyer.id
                            ));
                        }
                    }
                }
                let json =
                    serde_json::to_string(&spec).map_err(|e| format!("{}: {e}", path.display()))?;
                specs.insert(spec.id.clone(), json);
            }
            Err(errors) => {
                for error in errors.0 {
                    problems.push(format!("{}: {error}", path.display()));
                }
            }
        }
    }
    if specs.is_empty() && problems.is_empty() {
        let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        problems.push(format!(
            "{}: no *.toml or *.json form specs found",
            dirs.join(":")
        ));
    }
    if problems.is_empty() {
        Ok(specs)
    } else {
        Err(problems.join("\n"))
    }
}
