//! Writes the committed seed corpora in `fuzz/seeds/<target>/` from the
//! project's own test data, so the fuzzer starts from inputs that reach deep
//! into each rule:
//! - `email`, `phone`, `postal`: every input and expected value of
//!   `shared/tests/data/*.tsv` (phone and postal prefixed with their country
//!   byte, see `leadform_fuzz::encode_country_input`);
//! - `spec`: every spec of `examples/forms` and `tests/forms`, as TOML and
//!   as JSON, plus [`EXTRA_SPECS`];
//! - `envelope`: for each of those specs, an envelope that is accepted (two
//!   for specs with a conditional field: shown and hidden) and one that is
//!   refused.
//!
//! Run from anywhere: `cargo run --manifest-path fuzz/Cargo.toml --example
//! make_seeds`. It replaces the seed directories' contents.

use std::path::{Path, PathBuf};

use leadform_fuzz::{encode_country_input, specs, SPEC_SOURCES};
use leadform_shared::envelope::{Attribution, Timings, Touch};
use leadform_shared::{
    hex_sha256, ConsentRecord, Country, FieldKind, FieldMap, FieldSpec, FieldValue, FormSpec, Lang,
    SubmissionEnvelope,
};

/// Specs that reach corners the shipped ones do not: several stages per visit
/// with conditions across stages (a field was once selected twice).
const EXTRA_SPECS: &[&str] = &[r#"id = "stages"
[profiling]
stages_per_visit = 2
max_new_fields_per_visit = 3
always_ask = ["late"]
[[stages]]
id = "first"
fields = ["kind", "extra"]
[[stages]]
id = "second"
fields = ["other", "late", "tag"]
[[fields]]
id = "kind"
kind = "select"
label = "Kind"
options = [{ value = "a" }, { value = "b" }]
[[fields]]
id = "extra"
kind = "text"
label = "Extra"
show_when = { field = "late", equals = ["true"] }
[[fields]]
id = "other"
kind = "text"
label = "Other"
show_when = { field = "kind", equals = ["b"] }
[[fields]]
id = "late"
kind = "checkbox"
label = "Late"
[[fields]]
id = "tag"
kind = "hidden"
label = ""
default_value = "t"
"#];

fn main() -> Result<(), String> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = fuzz.join("../shared/tests/data");
    let seeds = fuzz.join("seeds");

    let mut email = Vec::new();
    for row in table(&data.join("email_cases.tsv"), 2)? {
        email.push(row[0].clone().into_bytes());
        if !row[1].starts_with('!') {
            email.push(row[1].clone().into_bytes());
        }
    }
    write_dir(&seeds.join("email"), email)?;

    for (name, target) in [("phone_cases.tsv", "phone"), ("postal_cases.tsv", "postal")] {
        let mut inputs = Vec::new();
        for row in table(&data.join(name), 3)? {
            let country = Country::from_alpha2(&row[1])
                .ok_or_else(|| format!("{name}: unknown country {:?}", row[1]))?;
            inputs.push(encode_country_input(country, &row[0]));
            if !row[2].starts_with('!') {
                inputs.push(encode_country_input(country, &row[2]));
            }
        }
        write_dir(&seeds.join(target), inputs)?;
    }

    let mut spec_seeds = Vec::new();
    let sources = SPEC_SOURCES
        .iter()
        .copied()
        .chain(EXTRA_SPECS.iter().map(|&source| ("make_seeds.rs", source)));
    for (path, source) in sources {
        spec_seeds.push(source.as_bytes().to_vec());
        let spec = FormSpec::parse_toml(source).map_err(|e| format!("{path}: {e}"))?;
        let json = serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())?;
        spec_seeds.push(json.into_bytes());
    }
    write_dir(&seeds.join("spec"), spec_seeds)?;

    let mut envelopes = Vec::new();
    for loaded in specs() {
        let spec = &loaded.spec;
        let mut variants = vec![Variant::Valid { last_option: false }];
        if spec.fields.iter().any(|f| f.show_when.is_some()) {
            variants.push(Variant::Valid { last_option: true });
        }
        variants.push(Variant::Refused);
        for variant in variants {
            let envelope = envelope(spec, &loaded.public_hash, variant);
            let accepted = envelope.validate_against(spec).is_ok();
            if accepted != matches!(variant, Variant::Valid { .. }) {
                return Err(format!(
                    "{}: {variant:?} envelope accepted = {accepted}",
                    loaded.path
                ));
            }
            envelopes.push(envelope.to_json().into_bytes());
        }
    }
    write_dir(&seeds.join("envelope"), envelopes)?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum Variant {
    /// Every field filled with a valid value; `last_option` picks each
    /// select's last option (the example's conditional field depends on it).
    Valid { last_option: bool },
    /// Valid, except that every email is malformed and consents are unticked.
    Refused,
}

fn envelope(spec: &FormSpec, public_hash: &str, variant: Variant) -> SubmissionEnvelope {
    let mut fields = FieldMap::new();
    for field in &spec.fields {
        fields.insert(field.id.clone(), valid_value(field, variant));
    }
    let refused = matches!(variant, Variant::Refused);
    SubmissionEnvelope {
        version: 1,
        form_id: spec.id.clone(),
        spec_hash: public_hash.to_owned(),
        submission_id: "sub_0123456789abcdef".to_owned(),
        visitor_id: "vis_0123456789abcdef".to_owned(),
        asked: spec.fields.iter().map(|f| f.id.clone()).collect(),
        fields,
        consents: spec
            .consents
            .iter()
            .map(|block| ConsentRecord::capture(block, !refused, 1_790_000_000_000))
            .collect(),
        attribution: Attribution {
            current: Touch {
                utm_source: Some("newsletter".to_owned()),
                gclid: Some("Cj0KCQ".to_owned()),
                referrer: Some("https://search.example/".to_owned()),
                captured_at_ms: Some(1_790_000_000_000),
                ..Touch::default()
            },
            first_touch: None,
        },
        timings: Timings {
            started_at_ms: 1_790_000_000_000,
            submitted_at_ms: 1_790_000_020_000,
            time_to_fill_ms: 20_000,
        },
        honeypot: String::new(),
        turnstile_token: None,
        page_url: "http://127.0.0.1:8788/".to_owned(),
        lang: Lang::En,
    }
}

fn valid_value(field: &FieldSpec, variant: Variant) -> FieldValue {
    let text = |s: &str| FieldValue::Text(s.to_owned());
    let last_option = matches!(variant, Variant::Valid { last_option: true });
    match field.kind {
        FieldKind::Text => text("Ann Example"),
        FieldKind::Textarea => text("First line\r\nsecond line"),
        FieldKind::Hidden => text(field.default_value.as_deref().unwrap_or("x")),
        FieldKind::Email if matches!(variant, Variant::Refused) => text("ann@@example"),
        FieldKind::Email => text(" Ann.Example+leads@Example.COM "),
        FieldKind::Phone => text(match field.country.unwrap_or(Country::US) {
            Country::GB => "07700 900123",
            Country::FR => "06 12 34 56 78",
            Country::US | Country::CA => "(415) 555-2671",
            _ => "+1 415 555 2671",
        }),
        FieldKind::PostalCode => text(match field.country.unwrap_or(Country::US) {
            Country::CA => "k1a 0b1",
            Country::GB => "sw1a1aa",
            Country::DE => "10115",
            Country::FR => "75001",
            _ => "94103-1234",
        }),
        FieldKind::Select => {
            let option = if last_option {
                field.options.last()
            } else {
                field.options.first()
            };
            text(option.map_or("", |o| o.value.as_str()))
        }
        FieldKind::MultiSelect => FieldValue::List(
            field
                .options
                .iter()
                .take(field.min_selected.map_or(1, |n| n.max(1) as usize))
                .map(|o| o.value.clone())
                .collect(),
        ),
        FieldKind::Checkbox => FieldValue::Bool(true),
        FieldKind::Number => text(&field.min.unwrap_or(1.0).max(0.0).ceil().to_string()),
    }
}

/// The rows of a `shared/tests/data` table, unescaped (see
/// `shared/tests/rules_tables.rs` for the format).
fn table(path: &Path, columns: usize) -> Result<Vec<Vec<String>>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let row: Vec<&str> = line.split('\t').collect();
        if row.len() != columns {
            return Err(format!("{}: malformed row {line:?}", path.display()));
        }
        rows.push(row.into_iter().map(unescape).collect::<Result<_, _>>()?);
    }
    Ok(rows)
}

fn unescape(field: &str) -> Result<String, String> {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let rest: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let hex = rest
                    .strip_prefix('{')
                    .ok_or_else(|| format!("bad escape in {field:?}"))?;
                let scalar = u32::from_str_radix(hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad escape in {field:?}"))?;
                out.push(scalar);
            }
            other => return Err(format!("unknown escape \\{other:?} in {field:?}")),
        }
    }
    Ok(out)
}

/// Replaces `dir`'s files with `inputs`, one file each.
fn write_dir(dir: &PathBuf, inputs: Vec<Vec<u8>>) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut unique = inputs;
    unique.sort();
    unique.dedup();
    for input in &unique {
        // Named by content, so regenerating touches only what changed.
        let path = dir.join(format!("seed-{}", &hex_sha256(input)[..16]));
        std::fs::write(&path, input).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!("{}: {} seeds", dir.display(), unique.len());
    Ok(())
}
