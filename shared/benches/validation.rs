//! Native validation throughput of the shared rules (criterion): a full
//! envelope parse + validate against the B2C example spec, email and phone
//! normalisation, and, side by side in the same run, `validator`'s built-in
//! email rule (regex + IDNA), which the widget deliberately does not use.
//! Run with `cargo xtask bench`; results are recorded in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leadform_shared::email::normalise_email;
use leadform_shared::envelope::{Attribution, Timings, Touch};
use leadform_shared::phone::normalise_phone;
use leadform_shared::{ConsentRecord, Country, FieldValue, FormSpec, Lang, SubmissionEnvelope};
use validator::ValidateEmail;

const EMAILS: &[&str] = &[
    "john.doe@example.com",
    "Ana.María+quotes@Sub.Example.CO.uk",
    "\"very.unusual.@.unusual.com\"@example.com",
    "用户@例子.广告",
    "not-an-address",
    "trailing.dot.@example.com",
];

const PHONES: &[(&str, Country)] = &[
    ("(415) 555-2671", Country::US),
    ("+44 (0)20 7946 0958", Country::GB),
    ("06 12 34 56 78", Country::FR),
    ("0151 23456789", Country::DE),
    ("555-0100", Country::US),
];

fn home_quote() -> FormSpec {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/forms/home-services-quote.toml"
    );
    let source = std::fs::read_to_string(path).expect("example spec");
    FormSpec::parse_toml(&source).expect("valid spec")
}

fn envelope_json(spec: &FormSpec) -> String {
    let text = |s: &str| FieldValue::Text(s.to_owned());
    SubmissionEnvelope {
        version: 1,
        form_id: spec.id.clone(),
        spec_hash: spec.public_hash(),
        submission_id: "sub_0123456789abcdef".to_owned(),
        visitor_id: "vis_0123456789abcdef".to_owned(),
        asked: spec.fields.iter().map(|f| f.id.clone()).collect(),
        fields: [
            ("service", text("plumbing")),
            ("name", text("Jane Doe")),
            ("phone", text("(415) 555-2671")),
            ("email", text("jane@example.com")),
            ("zip", text("94107")),
            ("campaign", text("landing-page")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        consents: spec
            .consents
            .iter()
            .map(|b| ConsentRecord::capture(b, true, 1_763_000_000_000))
            .collect(),
        attribution: Attribution {
            current: Touch {
                utm_source: Some("google".to_owned()),
                landing_url: Some("https://acme.example/?utm_source=google".to_owned()),
                ..Touch::default()
            },
            first_touch: None,
        },
        timings: Timings {
            started_at_ms: 1_763_000_000_000,
            submitted_at_ms: 1_763_000_030_000,
            time_to_fill_ms: 30_000,
        },
        honeypot: String::new(),
        turnstile_token: None,
        page_url: "https://acme.example/".to_owned(),
        lang: Lang::En,
    }
    .to_json()
}

fn benches(c: &mut Criterion) {
    let spec = home_quote();
    let body = envelope_json(&spec);
    let mut group = c.benchmark_group("envelope");
    group.throughput(Throughput::Elements(1));
    let public_hash = spec.public_hash();
    group.bench_function("parse+validate (home-quote)", |b| {
        b.iter(|| {
            let envelope = SubmissionEnvelope::parse(black_box(body.as_bytes())).expect("parses");
            envelope
                .validate_against_hashed(&spec, &public_hash)
                .expect("valid")
        })
    });
    group.finish();

    let mut group = c.benchmark_group("email");
    group.throughput(Throughput::Elements(EMAILS.len() as u64));
    group.bench_function("leadform normalise_email", |b| {
        b.iter(|| {
            for email in EMAILS {
                let _ = black_box(normalise_email(black_box(email)));
            }
        })
    });
    group.bench_function("validator built-in email rule", |b| {
        b.iter(|| {
            for email in EMAILS {
                black_box(black_box(*email).validate_email());
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("phone");
    group.throughput(Throughput::Elements(PHONES.len() as u64));
    group.bench_function("leadform normalise_phone", |b| {
        b.iter(|| {
            for (phone, country) in PHONES {
                let _ = black_box(normalise_phone(black_box(phone), *country));
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = validation;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = benches
}
criterion_main!(validation);
