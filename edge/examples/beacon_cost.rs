//! Benchmark (printed as a Markdown table, `cargo xtask bench beacons` or
//! `cargo run --release -p leadform-edge --example beacon_cost`): the beacon
//! bytes of typical visits of `examples/forms` style forms, as the widget
//! writes them (the shared serde derive; `JSON.stringify` writes the same
//! bytes), and the edge's CPU per batch natively (parse, check against the
//! spec, roll-up) with the D1 statements a batch costs. Measures; asserts
//! nothing.

use std::hint::black_box;
use std::time::Instant;

use leadform_edge::funnel::rollup;
use leadform_shared::analytics::{Event, EventBatch, EventKind, EVENTS_VERSION};
use leadform_shared::FormSpec;

const SPEC: &str = r#"
id = "bench"
[[fields]]
id = "email"
kind = "email"
label = "Email"
required = true
[[fields]]
id = "first_name"
kind = "text"
label = "First name"
[[fields]]
id = "company"
kind = "text"
label = "Company"
[[fields]]
id = "phone"
kind = "phone"
label = "Phone"
[[variants]]
id = "control"
[[variants]]
id = "short"
"#;

fn ev(k: EventKind, f: &str, ms: u32, n: u32, code: &str) -> Event {
    Event {
        k,
        f: f.to_owned(),
        ms,
        n,
        code: code.to_owned(),
    }
}

fn batch(events: Vec<Event>, visitor: bool) -> EventBatch {
    EventBatch {
        v: EVENTS_VERSION,
        form: "bench".into(),
        variant: Some("short".into()),
        visitor: visitor.then(|| "k3v9Qw2L8xYpR4tZ6bN1aQ".into()),
        events,
    }
}

/// The batches of one visit that completes: the view, then at acceptance
/// everything else (four fields, one error fixed).
fn completing_visit(visitor: bool) -> Vec<EventBatch> {
    let mut rest = vec![ev(EventKind::Start, "", 0, 0, "")];
    for (f, ms) in [
        ("email", 6200),
        ("first_name", 2100),
        ("company", 3300),
        ("phone", 5400),
    ] {
        rest.push(ev(EventKind::Focus, f, 0, 0, ""));
        rest.push(ev(EventKind::Blur, f, ms, u32::from(f == "email"), ""));
    }
    rest.push(ev(EventKind::Error, "email", 0, 0, "email.domain_missing"));
    rest.push(ev(EventKind::Submit, "", 0, 0, ""));
    rest.push(ev(EventKind::Accepted, "", 0, 0, ""));
    vec![
        batch(vec![ev(EventKind::Seen, "", 0, 0, "")], visitor),
        batch(rest, visitor),
    ]
}

/// A visit that leaves at the second field.
fn leaving_visit(visitor: bool) -> Vec<EventBatch> {
    vec![
        batch(vec![ev(EventKind::Seen, "", 0, 0, "")], visitor),
        batch(
            vec![
                ev(EventKind::Start, "", 0, 0, ""),
                ev(EventKind::Focus, "email", 0, 0, ""),
                ev(EventKind::Blur, "email", 4100, 0, ""),
                ev(EventKind::Focus, "first_name", 0, 0, ""),
                ev(EventKind::Blur, "first_name", 900, 0, ""),
                ev(EventKind::Abandon, "first_name", 0, 0, ""),
            ],
            visitor,
        ),
    ]
}

fn main() {
    let spec = FormSpec::parse_toml(SPEC).expect("bench spec");
    println!("| visit | batches | beacon bytes per visit | edge CPU per batch (native, parse + check + roll-up) | D1 statements per batch |");
    println!("|---|---|---|---|---|");
    for (name, visit) in [
        (
            "completes (4 fields, 1 error), visitor id",
            completing_visit(true),
        ),
        ("completes, GPC / anonymous", completing_visit(false)),
        ("leaves at field 2, visitor id", leaving_visit(true)),
        (
            "only views, visitor id",
            completing_visit(true)[..1].to_vec(),
        ),
    ] {
        let bodies: Vec<String> = visit
            .iter()
            .map(|b| serde_json::to_string(b).expect("serialises"))
            .collect();
        let bytes: usize = bodies.iter().map(String::len).sum();
        let rounds = 20_000;
        let start = Instant::now();
        let mut statements = 0;
        for _ in 0..rounds {
            for body in &bodies {
                let batch = EventBatch::parse(black_box(body.as_bytes())).expect("parses");
                batch.check(&spec).expect("valid");
                statements += rollup(&batch).len() + if batch.visitor.is_some() { 3 } else { 0 };
            }
        }
        let per_batch = start.elapsed().as_secs_f64() * 1e6 / (rounds * bodies.len()) as f64;
        println!(
            "| {name} | {} | {bytes} | {per_batch:.1} µs | {:.1} |",
            bodies.len(),
            statements as f64 / (rounds * bodies.len()) as f64
        );
    }
}
