//! Selling leads, as data: the `[[buyers]]` and `distribution` checks (one
//! valid spec, then a table of single changes and the `spec.*` code each
//! must give), the buyers never reaching the public spec, and the ping's
//! allow-list: a table of values and what the ping carries, then every line
//! of the naughty-strings corpus (`../shared/corpora/blns.txt`) through every
//! field, each serialised ping scanned for it.

use leadform_shared::distribution::{postal_area, Ping, PingFacts, Sale};
use leadform_shared::scoring::{Grade, Qualification};
use leadform_shared::spec::Destination;
use leadform_shared::{ConsentRecord, FieldKind, FieldMap, FieldValue, FormSpec};

const SPEC: &str = r#"
id = "solar"
[[fields]]
id = "email"
kind = "email"
label = "Email"
required = true
[[fields]]
id = "phone"
kind = "phone"
label = "Phone"
country = "US"
[[fields]]
id = "name"
kind = "text"
label = "Name"
autocomplete = "name"
[[fields]]
id = "street"
kind = "text"
label = "Street address"
[[fields]]
id = "notes"
kind = "textarea"
label = "Anything else?"
[[fields]]
id = "zip"
kind = "postal_code"
label = "ZIP"
country = "US"
[[fields]]
id = "state"
kind = "select"
label = "State"
options = [{ value = "CA" }, { value = "NY" }, { value = "TX" }]
[[fields]]
id = "service"
kind = "select"
label = "Service"
options = [{ value = "solar_install" }, { value = "battery" }]
[[fields]]
id = "extras"
kind = "multi_select"
label = "Extras"
options = [{ value = "ev_charger" }, { value = "roof_check" }]
[[fields]]
id = "bill"
kind = "number"
label = "Monthly bill"
[[fields]]
id = "owner"
kind = "checkbox"
label = "I own the home"
[[fields]]
id = "campaign"
kind = "hidden"
label = "Campaign"

[[consents]]
id = "tcpa"
text = "You may call and text me."
version = "1"
channels = ["phone_call", "sms"]
legal_basis = "express_written_consent"
covers = ["phone"]

[scoring]
[[scoring.rules]]
id = "owner"
points = 60
when = { field = "owner", equals = "true" }

[[tiers]]
id = "hot"
min_score = 50
[[tiers]]
id = "cold"

[[destinations]]
type = "distribution"
ping_fields = ["state", "service", "extras", "bill", "owner"]

[[buyers]]
id = "sunco"
ping_url = "https://sunco.example/ping"
post_url = "https://sunco.example/post"
auth_secret = "BUYER_SUNCO_SECRET"
min_price_cents = 1500
caps = [{ max = 20, per = "day" }]
time_zone = "America/Los_Angeles"
hours = [{ days = ["mon", "tue", "wed", "thu", "fri"], from = "08:00", to = "18:00" }]

[[buyers]]
id = "brightpath"
ping_url = "https://bright.example/ping"
post_url = "https://bright.example/post"
auth_secret = "BUYER_BRIGHT_SECRET"
sale = "shared"
max_buyers = 3
timeout_ms = 800
return_window_days = 14
pings_per_minute = 60
"#;

fn spec() -> FormSpec {
    FormSpec::parse_toml(SPEC).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_example_spec_reads_with_defaults() {
    let spec = spec();
    let sunco = &spec.buyers[0];
    assert_eq!(sunco.timeout_ms, 1_500);
    assert_eq!(sunco.return_window_days, 7);
    assert_eq!(sunco.sale, Sale::Exclusive);
    assert_eq!(sunco.sale_limit(), 1);
    let bright = &spec.buyers[1];
    assert_eq!((bright.sale, bright.sale_limit()), (Sale::Shared, 3));
    assert_eq!(bright.timeout_ms, 800);
    match &spec.destinations[0] {
        Destination::Distribution {
            buyers, auction_ms, ..
        } => {
            assert!(buyers.is_empty());
            assert_eq!(*auction_ms, 10_000);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(spec.destinations[0].kind(), "distribution");
}

/// One change to [`SPEC`] (a line replaced, or added at the end) and the
/// code it must give.
#[test]
fn every_check_has_its_code() {
    let cases: &[(&str, &str, &str)] = &[
        ("id = \"sunco\"", "id = \"Sun Co\"", "spec.buyer_invalid_id"),
        (
            "id = \"brightpath\"",
            "id = \"sunco\"",
            "spec.buyer_duplicate_id",
        ),
        (
            "ping_url = \"https://sunco.example/ping\"",
            "ping_url = \"ftp://sunco.example/ping\"",
            "spec.buyer_invalid_url",
        ),
        (
            "post_url = \"https://bright.example/post\"",
            "post_url = \"https:///post\"",
            "spec.buyer_invalid_url",
        ),
        (
            "auth_secret = \"BUYER_SUNCO_SECRET\"",
            "auth_secret = \" \"",
            "spec.buyer_secret_missing",
        ),
        (
            "timeout_ms = 800",
            "timeout_ms = 50",
            "spec.buyer_timeout_out_of_range",
        ),
        (
            "timeout_ms = 800",
            "timeout_ms = 30001",
            "spec.buyer_timeout_out_of_range",
        ),
        (
            "caps = [{ max = 20, per = \"day\" }]",
            "caps = [{ max = 0, per = \"day\" }]",
            "spec.buyer_invalid_cap",
        ),
        (
            "caps = [{ max = 20, per = \"day\" }]",
            "caps = [{ max = 20, per = \"day\" }, { max = 5, per = \"day\" }]",
            "spec.buyer_invalid_cap",
        ),
        (
            "time_zone = \"America/Los_Angeles\"",
            "time_zone = \"Mars/Olympus\"",
            "spec.buyer_unknown_time_zone",
        ),
        (
            "from = \"08:00\", to = \"18:00\"",
            "from = \"08:00\", to = \"08:00\"",
            "spec.buyer_invalid_window",
        ),
        (
            "from = \"08:00\", to = \"18:00\"",
            "from = \"8:00\", to = \"18:00\"",
            "spec.buyer_invalid_window",
        ),
        (
            "max_buyers = 3",
            "max_buyers = 1",
            "spec.buyer_sale_mismatch",
        ),
        (
            "max_buyers = 3",
            "max_buyers = 11",
            "spec.buyer_sale_mismatch",
        ),
        (
            "min_price_cents = 1500",
            "min_price_cents = 1500\nmax_buyers = 2",
            "spec.buyer_sale_mismatch",
        ),
        (
            "return_window_days = 14",
            "return_window_days = 0",
            "spec.buyer_return_window_out_of_range",
        ),
        (
            "return_window_days = 14",
            "return_window_days = 91",
            "spec.buyer_return_window_out_of_range",
        ),
        (
            "pings_per_minute = 60",
            "pings_per_minute = 0",
            "spec.buyer_ping_limit_zero",
        ),
        (
            "type = \"distribution\"",
            "type = \"distribution\"\nbuyers = [\"nobody\"]",
            "spec.distribution_unknown_buyer",
        ),
        (
            "ping_fields = [\"state\", \"service\", \"extras\", \"bill\", \"owner\"]",
            "ping_fields = [\"state\", \"colour\"]",
            "spec.distribution_ping_field_unknown",
        ),
        (
            "ping_fields = [\"state\", \"service\", \"extras\", \"bill\", \"owner\"]",
            "ping_fields = [\"state\", \"email\"]",
            "spec.distribution_ping_field_not_allowed",
        ),
        (
            "ping_fields = [\"state\", \"service\", \"extras\", \"bill\", \"owner\"]",
            "ping_fields = [\"notes\"]",
            "spec.distribution_ping_field_not_allowed",
        ),
        (
            "ping_fields = [\"state\", \"service\", \"extras\", \"bill\", \"owner\"]",
            "ping_fields = [\"zip\"]",
            "spec.distribution_ping_field_not_allowed",
        ),
        (
            "ping_fields = [\"state\", \"service\", \"extras\", \"bill\", \"owner\"]",
            "ping_fields = [\"campaign\"]",
            "spec.distribution_ping_field_not_allowed",
        ),
        (
            "type = \"distribution\"",
            "type = \"distribution\"\nauction_ms = 1000",
            "spec.distribution_auction_out_of_range",
        ),
        (
            "type = \"distribution\"",
            "type = \"distribution\"\nauction_ms = 60001",
            "spec.distribution_auction_out_of_range",
        ),
        // The fallback: another destination, not a distribution itself.
        (
            "type = \"distribution\"",
            "type = \"distribution\"\nfallback = 0",
            "spec.distribution_invalid_fallback",
        ),
        (
            "type = \"distribution\"",
            "type = \"distribution\"\nfallback = 3",
            "spec.distribution_invalid_fallback",
        ),
    ];
    for (from, to, code) in cases {
        assert_eq!(SPEC.matches(from).count(), 1, "`{from}` must occur once");
        let source = SPEC.replacen(from, to, 1);
        let codes: Vec<&'static str> = match FormSpec::parse_toml(&source) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.0.iter().map(|e| e.code()).collect(),
        };
        assert_eq!(codes, vec![*code], "{from} -> {to}");
    }
    // A distribution destination in a form with no buyers at all.
    let cut = SPEC.find("[[buyers]]").expect("buyers");
    let errors = FormSpec::parse_toml(&SPEC[..cut]).expect_err("no buyers");
    let codes: Vec<&str> = errors.0.iter().map(|e| e.code()).collect();
    assert_eq!(codes, ["spec.distribution_no_buyers"]);
    // Every message names the place.
    let errors = FormSpec::parse_toml(&SPEC.replacen("timeout_ms = 800", "timeout_ms = 5", 1))
        .expect_err("timeout");
    let text = errors.to_string();
    assert!(
        text.contains("brightpath") && text.contains("100 to 30000"),
        "{text}"
    );
}

#[test]
fn buyers_never_reach_the_public_spec() {
    let spec = spec();
    let public = spec.public_json();
    for key in [
        "buyers",
        "sunco",
        "brightpath",
        "BUYER_SUNCO_SECRET",
        "ping_url",
        "post_url",
        "min_price_cents",
        "distribution",
        "ping_fields",
    ] {
        assert!(!public.contains(key), "public spec shows `{key}`: {public}");
    }
    // The public spec hash is the one of the same form without them.
    let bare = FormSpec {
        buyers: Vec::new(),
        destinations: Vec::new(),
        ..spec.clone()
    };
    assert_eq!(bare.public_hash(), spec.public_hash());
    assert!(spec.public().buyers.is_empty());
}

fn text(value: &str) -> FieldValue {
    FieldValue::Text(value.to_owned())
}

/// A full, valid lead's values.
fn lead_values() -> FieldMap<FieldValue> {
    let mut values = FieldMap::new();
    for (id, value) in [
        ("email", text("ana@example.com")),
        ("phone", text("+14155550123")),
        ("name", text("Ana Example")),
        ("street", text("1 Main Street")),
        ("notes", text("call after six")),
        ("zip", text("94110-1234")),
        ("state", text("CA")),
        ("service", text("battery")),
        ("extras", FieldValue::List(vec!["ev_charger".to_owned()])),
        ("bill", text("180")),
        ("owner", FieldValue::Bool(true)),
        ("campaign", text("fall-mailer")),
    ] {
        values.insert(id.to_owned(), value);
    }
    values
}

fn consents(spec: &FormSpec) -> Vec<ConsentRecord> {
    vec![ConsentRecord::capture(&spec.consents[0], true, 1)]
}

fn qualification() -> Qualification {
    Qualification {
        score: 60,
        tier: Some("hot".to_owned()),
        mark: None,
        grade: Grade::parse("B+"),
        fired: Vec::new(),
        graded: Vec::new(),
    }
}

fn ping_of(spec: &FormSpec, values: &FieldMap<FieldValue>) -> String {
    let Destination::Distribution { ping_fields, .. } = &spec.destinations[0] else {
        panic!("distribution destination");
    };
    let consents = consents(spec);
    let channels: Vec<_> = consents
        .iter()
        .filter(|c| c.checked)
        .flat_map(|c| c.channels.iter().copied())
        .collect();
    let qualification = qualification();
    Ping::build(
        spec,
        ping_fields,
        &PingFacts {
            values,
            consent_channels: &channels,
            qualification: Some(&qualification),
            received_ms: 1_000_000,
            now_ms: 1_042_500,
        },
        Default::default(),
    )
    .to_json()
}

#[test]
fn a_ping_carries_exactly_the_allow_list() {
    let spec = spec();
    let ping: serde_json::Value =
        serde_json::from_str(&ping_of(&spec, &lead_values())).expect("json");
    assert_eq!(
        ping,
        serde_json::json!({
            "form_id": "solar",
            "lead_age_s": 42,
            "postal_code": "94110",
            "answers": {
                "bill": 180.0,
                "extras": ["ev_charger"],
                "owner": true,
                "service": "battery",
                "state": "CA"
            },
            "score": 60,
            "tier": "hot",
            "grade": "B+",
            "consent_channels": ["sms", "phone_call"]
        })
    );
}

/// Values a ping field may hold only as the spec allows: anything else is
/// left out, never copied.
#[test]
fn ping_values_follow_their_field() {
    let spec = spec();
    let cases: &[(&str, FieldValue, Option<serde_json::Value>)] = &[
        ("state", text("NY"), Some(serde_json::json!("NY"))),
        ("state", text("ny"), None),
        ("state", text("NY "), None),
        ("state", text("Ana Example"), None),
        ("state", FieldValue::List(vec!["NY".to_owned()]), None),
        (
            "extras",
            FieldValue::List(vec!["roof_check".to_owned(), "ev_charger".to_owned()]),
            Some(serde_json::json!(["roof_check", "ev_charger"])),
        ),
        (
            "extras",
            FieldValue::List(vec!["roof_check".to_owned(), "ana@example.com".to_owned()]),
            None,
        ),
        ("bill", text("99.5"), Some(serde_json::json!(99.5))),
        ("bill", text("1e2"), Some(serde_json::json!(100.0))),
        ("bill", text("NaN"), None),
        ("bill", text("inf"), None),
        ("bill", text("180 dollars"), None),
        (
            "owner",
            FieldValue::Bool(false),
            Some(serde_json::json!(false)),
        ),
        ("owner", text("yes"), None),
    ];
    for (field, value, expected) in cases {
        let mut values = lead_values();
        values.insert((*field).to_owned(), value.clone());
        let ping: serde_json::Value = serde_json::from_str(&ping_of(&spec, &values)).expect("json");
        assert_eq!(
            ping["answers"].get(*field),
            expected.as_ref(),
            "{field} {value:?}"
        );
    }
}

fn corpus_lines() -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/blns.txt");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the corpus {} is required (it lives beside the repo, see ../shared/corpora/README.md): {e}",
            path.display()
        )
    });
    let lines: Vec<String> = source
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(str::to_owned)
        .collect();
    assert!(
        lines.len() > 400,
        "corpus looks truncated: {} lines",
        lines.len()
    );
    lines
}

/// Every corpus line in every field, as text and as a list: a field that is
/// not a ping field leaves the ping byte for byte as it is without the
/// value; a ping field carries nothing or what the spec allows; and no
/// ping contains the line unless the ping without it already did, or it is
/// the spec's own option text or a number.
#[test]
fn naughty_strings_never_reach_a_ping() {
    let spec = spec();
    let Destination::Distribution { ping_fields, .. } = &spec.destinations[0] else {
        panic!("distribution destination");
    };
    let mut scanned = 0usize;
    for line in corpus_lines() {
        for field in &spec.fields {
            let mut without = lead_values();
            without.remove(&field.id);
            let baseline = ping_of(&spec, &without);
            for value in [text(&line), FieldValue::List(vec![line.clone()])] {
                let mut values = without.clone();
                values.insert(field.id.clone(), value.clone());
                let ping = ping_of(&spec, &values);
                scanned += 1;
                let parsed: serde_json::Value = serde_json::from_str(&ping).expect("json");
                if field.kind == FieldKind::PostalCode {
                    let area = parsed.get("postal_code").and_then(|v| v.as_str());
                    assert_eq!(
                        area.map(str::to_owned),
                        postal_area(&line).filter(|_| matches!(value, FieldValue::Text(_))),
                        "{line:?}"
                    );
                } else if !ping_fields.contains(&field.id) {
                    assert_eq!(ping, baseline, "{} = {line:?} changed the ping", field.id);
                }
                let spec_text = field.options.iter().any(|o| o.value == line);
                let number = field.kind == FieldKind::Number && line.trim().parse::<f64>().is_ok();
                let area = postal_area(&line).is_some_and(|a| a == line);
                let allowed = baseline.contains(&line) || spec_text || number || area;
                assert!(
                    allowed || !ping.contains(&line),
                    "{} = {line:?} reached the ping: {ping}",
                    field.id
                );
            }
        }
    }
    assert!(scanned > 10_000, "{scanned}");
}

/// The README's "Selling leads" example is a spec that passes every check.
#[test]
fn the_readme_example_spec_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let section = readme
        .split("## Selling leads")
        .nth(1)
        .expect("a \"Selling leads\" section");
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a toml example");
    let spec = FormSpec::parse_toml(example).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.buyers.len(), 3);
    assert_eq!(spec.destinations[0].kind(), "distribution");
    assert!(!spec.public_json().contains("BUYER_"));
}
