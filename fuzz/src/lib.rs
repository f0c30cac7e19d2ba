//! Helpers shared by Leadform's fuzz targets (`fuzz_targets/*.rs`) and the
//! seed generator (`examples/make_seeds.rs`): the real form specs the
//! envelope target validates against, and the byte layout of the phone and
//! postal targets' inputs (one byte choosing the country, then the text).
//!
//! Nothing here decides validity: the targets only call `leadform-shared` and
//! assert properties of what it returns.

use std::sync::OnceLock;

use leadform_shared::{Country, ErrorCode, FormSpec};

/// Every spec the project ships or tests with, embedded at build time:
/// `(path relative to the repository root, TOML source)`.
pub const SPEC_SOURCES: &[(&str, &str)] = &[
    (
        "examples/forms/home-services-quote.toml",
        include_str!("../../examples/forms/home-services-quote.toml"),
    ),
    (
        "examples/forms/b2b-demo.toml",
        include_str!("../../examples/forms/b2b-demo.toml"),
    ),
    (
        "examples/forms/newsletter.toml",
        include_str!("../../examples/forms/newsletter.toml"),
    ),
    (
        "tests/forms/contact.toml",
        include_str!("../../tests/forms/contact.toml"),
    ),
    (
        "tests/forms/guarded.toml",
        include_str!("../../tests/forms/guarded.toml"),
    ),
    (
        "tests/forms/limited.toml",
        include_str!("../../tests/forms/limited.toml"),
    ),
];

/// A parsed spec with its [`FormSpec::public_hash`], computed once.
pub struct LoadedSpec {
    pub path: &'static str,
    pub spec: FormSpec,
    pub public_hash: String,
}

/// The parsed [`SPEC_SOURCES`]. A spec that does not load is a broken
/// checkout, not a finding: it panics on first use with the spec's errors.
pub fn specs() -> &'static [LoadedSpec] {
    static SPECS: OnceLock<Vec<LoadedSpec>> = OnceLock::new();
    SPECS.get_or_init(|| {
        SPEC_SOURCES
            .iter()
            .map(|&(path, source)| {
                let spec = FormSpec::parse_toml(source)
                    .unwrap_or_else(|errors| panic!("{path} does not load:\n{errors}"));
                LoadedSpec {
                    path,
                    public_hash: spec.public_hash(),
                    spec,
                }
            })
            .collect()
    })
}

/// Splits a phone or postal input: the first byte picks the country (modulo
/// the number of countries, in [`Country::ALL`] order), the rest is the text.
/// `None` when the input is empty or the text is not UTF-8.
pub fn country_input(data: &[u8]) -> Option<(Country, &str)> {
    let (&first, text) = data.split_first()?;
    let country = Country::ALL[usize::from(first) % Country::ALL.len()];
    Some((country, std::str::from_utf8(text).ok()?))
}

/// The inverse of [`country_input`], for seeds.
pub fn encode_country_input(country: Country, text: &str) -> Vec<u8> {
    let index = Country::ALL
        .iter()
        .position(|&c| c == country)
        .unwrap_or_default();
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.push(u8::try_from(index).unwrap_or_default());
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// Asserts that an error code is one of the stable, documented codes.
pub fn assert_typed(code: ErrorCode) {
    assert_eq!(
        ErrorCode::from_code(code.as_str()),
        Some(code),
        "error code {code:?} does not round-trip through its machine code"
    );
}
