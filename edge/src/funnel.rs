//! Form analytics at the edge, the pure part: a beacon batch
//! ([`leadform_shared::analytics::EventBatch`]) becomes roll-up increments
//! per variant, field and metric ([`rollup`]), and the stored roll-ups plus
//! the leads' closed-loop quality become the funnel report of
//! `GET /v1/forms/{id}/funnel` ([`report`], [`report_csv`]).
//!
//! Raw events are never kept: only these counters (by form, variant, UTC day,
//! field, metric). Time on a field is kept as a histogram of
//! [`time_bucket`]s, so the median is that of the bucket midpoints (to the
//! second under a minute). The platform layer stores and reads the counters
//! (`platform::analytics`, behind a store trait); this module must not.

use leadform_shared::analytics::{two_proportion, Comparison, EventBatch, EventKind};
use leadform_shared::FormSpec;
use serde_json::{json, Value};

/// One counter to add to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Increment {
    /// "" when the form runs no experiment.
    pub variant: String,
    /// "" for the form's own metrics.
    pub field: String,
    pub metric: String,
    pub value: u64,
}

/// A stored counter, as the report reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Counter {
    pub variant: String,
    pub field: String,
    pub metric: String,
    pub value: u64,
}

/// The closed-loop figures of one variant's leads (from the leads table).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Quality {
    pub variant: String,
    pub leads: u64,
    /// Latest status `qualified` or `won`.
    pub qualified: u64,
    pub won: u64,
    pub mean_score: Option<f64>,
}

pub const SEEN: &str = "seen";
pub const START: &str = "start";
pub const SUBMIT: &str = "submit";
pub const ACCEPTED: &str = "accepted";
pub const VISITORS: &str = "visitors";
pub const FOCUS: &str = "focus";
pub const BLUR: &str = "blur";
pub const CORRECTED: &str = "corrected";
pub const ABANDON: &str = "abandon";

/// Histogram bucket of a time on a field: whole seconds under a minute,
/// then 30-second steps up to 20 minutes (the last bucket holds the rest).
pub fn time_bucket(ms: u32) -> u32 {
    let s = ms / 1000;
    if s < 60 {
        s
    } else {
        60 + ((s - 60) / 30).min(40)
    }
}

/// The midpoint of a bucket, in ms.
pub fn bucket_mid_ms(bucket: u32) -> u64 {
    if bucket < 60 {
        u64::from(bucket) * 1000 + 500
    } else {
        (60 + u64::from(bucket - 60) * 30) * 1000 + 15_000
    }
}

/// The counters a (checked) batch adds to, merged per key.
pub fn rollup(batch: &EventBatch) -> Vec<Increment> {
    let variant = batch.variant.clone().unwrap_or_default();
    let mut out: Vec<Increment> = Vec::new();
    let mut add = |field: &str, metric: String| match out
        .iter_mut()
        .find(|i| i.field == field && i.metric == metric)
    {
        Some(i) => i.value += 1,
        None => out.push(Increment {
            variant: variant.clone(),
            field: field.to_owned(),
            metric,
            value: 1,
        }),
    };
    for event in &batch.events {
        let f = event.f.as_str();
        match event.k {
            EventKind::Seen => add("", SEEN.into()),
            EventKind::Start => add("", START.into()),
            EventKind::Submit => add("", SUBMIT.into()),
            EventKind::Accepted => add("", ACCEPTED.into()),
            EventKind::Step => add("", format!("step:{}", event.n)),
            EventKind::Focus => add(f, FOCUS.into()),
            EventKind::Blur => {
                add(f, BLUR.into());
                if event.n > 0 {
                    add(f, CORRECTED.into());
                }
                add(f, format!("time:{}", time_bucket(event.ms)));
            }
            EventKind::Error => add(f, format!("error:{}", event.code)),
            EventKind::Abandon => add(f, ABANDON.into()),
        }
    }
    out.sort();
    out
}

/// What the report's query asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// First and last UTC day, `YYYY-MM-DD`, both included.
    pub from: String,
    pub to: String,
    /// Only this variant's counters in the totals, steps and fields.
    pub variant: Option<String>,
}

/// Whether `day` is a `YYYY-MM-DD` date.
pub fn is_day(day: &str) -> bool {
    let b = day.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn sum(counters: &[&Counter], field: &str, metric: &str) -> u64 {
    counters
        .iter()
        .filter(|c| c.field == field && c.metric == metric)
        .map(|c| c.value)
        .sum()
}

fn rate(hits: u64, n: u64) -> Value {
    if n == 0 {
        Value::Null
    } else {
        json!(hits as f64 / n as f64)
    }
}

fn figures(counters: &[&Counter]) -> Value {
    let views = sum(counters, "", SEEN);
    let starters = sum(counters, "", START);
    let submits = sum(counters, "", SUBMIT);
    let accepted = sum(counters, "", ACCEPTED);
    json!({
        "views": views,
        "visitors": sum(counters, "", VISITORS),
        "starters": starters,
        "submits": submits,
        "accepted": accepted,
        "view_to_start": rate(starters, views),
        "start_to_lead": rate(accepted, starters),
        "conversion": rate(accepted, views),
    })
}

/// The median of a histogram of `(bucket, count)`: the midpoint of the
/// bucket holding the middle observation (the lower middle when even).
pub fn median_ms(histogram: &[(u32, u64)]) -> Option<u64> {
    let mut sorted = histogram.to_vec();
    sorted.sort();
    let total: u64 = sorted.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let middle = total.div_ceil(2);
    let mut seen = 0;
    for (bucket, n) in sorted {
        seen += n;
        if seen >= middle {
            return Some(bucket_mid_ms(bucket));
        }
    }
    None
}

fn test_json(c: Comparison, control: &str, variant: &str) -> Value {
    let winner = c
        .significant
        .then_some(if c.z > 0.0 { variant } else { control });
    json!({ "z": c.z, "p_value": c.p_value, "significant": c.significant, "winner": winner })
}

/// The funnel report: totals, drop-off per step, per field figures and,
/// for a form with variants, each variant's rates against the first
/// (control) with two-proportion tests. `quality` is `None` when the
/// closed-loop columns are not there: the quality figures are then absent
/// (`null`), not zero.
pub fn report(
    spec: &FormSpec,
    counters: &[Counter],
    quality: Option<&[Quality]>,
    query: &Query,
) -> Value {
    let chosen: Vec<&Counter> = counters
        .iter()
        .filter(|c| query.variant.as_ref().is_none_or(|v| *v == c.variant))
        .collect();
    let mut totals = figures(&chosen);
    // The funnel's last step: of the leads (all variants, or the one
    // asked for), those the owner marked qualified or won; absent without
    // the closed loop, like the per-variant figures.
    totals["qualified"] = quality.map_or(Value::Null, |rows| {
        let qualified: u64 = rows
            .iter()
            .filter(|q| query.variant.as_ref().is_none_or(|v| *v == q.variant))
            .map(|q| q.qualified)
            .sum();
        json!(qualified)
    });
    let starters = sum(&chosen, "", START);
    let submits = sum(&chosen, "", SUBMIT);
    let max_step = chosen
        .iter()
        .filter_map(|c| c.metric.strip_prefix("step:")?.parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    let step_count = spec.effective_stages().len().max(max_step + 1);
    let reached: Vec<u64> = (0..step_count)
        .map(|i| match i {
            0 => starters,
            i => sum(&chosen, "", &format!("step:{i}")),
        })
        .collect();
    let steps: Vec<Value> = reached
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let next = reached.get(i + 1).copied().unwrap_or(submits);
            json!({ "step": i, "reached": n, "dropped": n.saturating_sub(next) })
        })
        .collect();
    let fields: Vec<Value> = spec
        .fields
        .iter()
        .map(|field| {
            let id = field.id.as_str();
            let mine: Vec<&&Counter> = chosen.iter().filter(|c| c.field == id).collect();
            let blurs = sum(&chosen, id, BLUR);
            let histogram: Vec<(u32, u64)> = mine
                .iter()
                .filter_map(|c| Some((c.metric.strip_prefix("time:")?.parse().ok()?, c.value)))
                .collect();
            let mut errors: Vec<(String, u64)> = Vec::new();
            for c in &mine {
                if let Some(code) = c.metric.strip_prefix("error:") {
                    match errors.iter_mut().find(|(e, _)| e == code) {
                        Some((_, n)) => *n += c.value,
                        None => errors.push((code.to_owned(), c.value)),
                    }
                }
            }
            errors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            json!({
                "field": id,
                "focus": sum(&chosen, id, FOCUS),
                "blurs": blurs,
                "abandon": sum(&chosen, id, ABANDON),
                "median_ms": median_ms(&histogram),
                "correction_rate": rate(sum(&chosen, id, CORRECTED), blurs),
                "errors": errors
                    .iter()
                    .map(|(code, n)| json!({ "code": code, "count": n }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let abandon_no_field = sum(&chosen, "", ABANDON);
    let min_sample = u64::from(spec.experiment.min_sample);
    let quality_of = |variant: &str| quality.and_then(|q| q.iter().find(|q| q.variant == variant));
    let control = spec.variants.first().map(|v| v.id.as_str());
    let variant_counters =
        |id: &str| -> Vec<&Counter> { counters.iter().filter(|c| c.variant == id).collect() };
    let variants: Vec<Value> = spec
        .variants
        .iter()
        .map(|variant| {
            let id = variant.id.as_str();
            let mine = variant_counters(id);
            let mut body = figures(&mine);
            body["id"] = json!(id);
            body["weight"] = json!(variant.weight);
            let q = quality_of(id);
            body["leads"] = quality.map_or(Value::Null, |_| json!(q.map_or(0, |q| q.leads)));
            body["qualified_share"] = match (quality, q) {
                (None, _) => Value::Null,
                (Some(_), None) => Value::Null,
                (Some(_), Some(q)) => rate(q.qualified, q.leads),
            };
            body["won_share"] = match q {
                Some(q) if quality.is_some() => rate(q.won, q.leads),
                _ => Value::Null,
            };
            body["mean_score"] = json!(q.and_then(|q| q.mean_score));
            if let Some(control) = control.filter(|c| *c != id) {
                let base = variant_counters(control);
                let conversion = two_proportion(
                    sum(&base, "", ACCEPTED),
                    sum(&base, "", SEEN),
                    sum(&mine, "", ACCEPTED),
                    sum(&mine, "", SEEN),
                    min_sample,
                );
                body["conversion_test"] = test_json(conversion, control, id);
                body["qualified_test"] = match (quality_of(control), q) {
                    (Some(a), Some(b)) if quality.is_some() => test_json(
                        two_proportion(a.qualified, a.leads, b.qualified, b.leads, min_sample),
                        control,
                        id,
                    ),
                    _ => Value::Null,
                };
            }
            body
        })
        .collect();
    json!({
        "form_id": spec.id,
        "from": query.from,
        "to": query.to,
        "variant": query.variant,
        "totals": totals,
        "abandon_before_any_field": abandon_no_field,
        "steps": steps,
        "fields": fields,
        "experiment": {
            "control": control,
            "min_sample": min_sample,
            "confidence": leadform_shared::analytics::CONFIDENCE,
            "quality": if quality.is_some() { "present" } else { "absent" },
        },
        "variants": variants,
    })
}

/// The report as CSV, one figure per row: `section,variant,key,metric,value`
/// (`section` is totals, step, field, error or variant; empty values for
/// absent figures).
pub fn report_csv(report: &Value) -> String {
    let mut out = crate::csv::row(&["section", "variant", "key", "metric", "value"]);
    let variant = report["variant"].as_str().unwrap_or("");
    let cell = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut put = |section: &str, variant: &str, key: &str, metric: &str, value: &Value| {
        out.push_str(&crate::csv::row(&[
            section,
            variant,
            key,
            metric,
            &cell(value),
        ]));
    };
    if let Some(totals) = report["totals"].as_object() {
        for (metric, value) in totals {
            put("totals", variant, "", metric, value);
        }
    }
    for step in report["steps"].as_array().into_iter().flatten() {
        let key = cell(&step["step"]);
        put("step", variant, &key, "reached", &step["reached"]);
        put("step", variant, &key, "dropped", &step["dropped"]);
    }
    for field in report["fields"].as_array().into_iter().flatten() {
        let key = cell(&field["field"]);
        for metric in ["focus", "blurs", "abandon", "median_ms", "correction_rate"] {
            put("field", variant, &key, metric, &field[metric]);
        }
        for error in field["errors"].as_array().into_iter().flatten() {
            let metric = cell(&error["code"]);
            put("error", variant, &key, &metric, &error["count"]);
        }
    }
    for v in report["variants"].as_array().into_iter().flatten() {
        let id = cell(&v["id"]);
        for metric in [
            "views",
            "starters",
            "submits",
            "accepted",
            "conversion",
            "leads",
            "qualified_share",
            "won_share",
            "mean_score",
        ] {
            put("variant", &id, "", metric, &v[metric]);
        }
        for test in ["conversion_test", "qualified_test"] {
            for metric in ["z", "p_value", "significant", "winner"] {
                put("variant", &id, test, metric, &v[test][metric]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(json: &str) -> EventBatch {
        EventBatch::parse(json.as_bytes()).expect("test batch")
    }

    fn counters(increments: &[Increment]) -> Vec<Counter> {
        let mut out: Vec<Counter> = Vec::new();
        for i in increments {
            match out
                .iter_mut()
                .find(|c| c.variant == i.variant && c.field == i.field && c.metric == i.metric)
            {
                Some(c) => c.value += i.value,
                None => out.push(Counter {
                    variant: i.variant.clone(),
                    field: i.field.clone(),
                    metric: i.metric.clone(),
                    value: i.value,
                }),
            }
        }
        out
    }

    fn spec() -> FormSpec {
        FormSpec::parse_toml(
            r#"
id = "f"
[[fields]]
id = "email"
kind = "email"
label = "Email"
required = true
[[fields]]
id = "company"
kind = "text"
label = "Company"
[[stages]]
id = "one"
fields = ["email"]
[[stages]]
id = "two"
fields = ["company"]
[experiment]
min_sample = 10
[[variants]]
id = "a"
[[variants]]
id = "b"
"#,
        )
        .expect("test spec")
    }

    #[test]
    fn buckets() {
        let cases = [
            (0, 0, 500),
            (999, 0, 500),
            (1000, 1, 1500),
            (59_999, 59, 59_500),
            (60_000, 60, 75_000),
            (89_999, 60, 75_000),
            (90_000, 61, 105_000),
            (3_600_000, 100, 1_275_000),
        ];
        for (ms, bucket, mid) in cases {
            assert_eq!(time_bucket(ms), bucket, "{ms}");
            assert_eq!(bucket_mid_ms(bucket), mid, "{ms}");
        }
        assert_eq!(median_ms(&[]), None);
        assert_eq!(median_ms(&[(3, 1), (1, 1), (2, 1)]), Some(2500));
        assert_eq!(median_ms(&[(1, 2), (9, 2)]), Some(1500));
    }

    #[test]
    fn funnel_from_visits() {
        let spec = spec();
        let visits = [
            // Completes on variant a after fixing an email error.
            r#"{"v":1,"form":"f","variant":"a","events":[{"k":"seen"},{"k":"start"},{"k":"focus","f":"email"},{"k":"error","f":"email","code":"email.domain_missing"},{"k":"blur","f":"email","ms":4200,"n":1},{"k":"step","n":1},{"k":"focus","f":"company"},{"k":"blur","f":"company","ms":2100},{"k":"submit"},{"k":"accepted"}]}"#,
            // Leaves at company on variant a.
            r#"{"v":1,"form":"f","variant":"a","events":[{"k":"seen"},{"k":"start"},{"k":"focus","f":"email"},{"k":"blur","f":"email","ms":3000},{"k":"step","n":1},{"k":"focus","f":"company"},{"k":"abandon","f":"company"}]}"#,
            // Only looks, variant b.
            r#"{"v":1,"form":"f","variant":"b","events":[{"k":"seen"}]}"#,
            r#"{"v":1,"form":"f","variant":"b","events":[{"k":"abandon"}]}"#,
        ];
        let increments: Vec<Increment> = visits.iter().flat_map(|v| rollup(&batch(v))).collect();
        let counters = counters(&increments);
        let query = Query {
            from: "2026-12-01".into(),
            to: "2026-12-02".into(),
            variant: None,
        };
        let quality = [Quality {
            variant: "a".into(),
            leads: 1,
            qualified: 1,
            won: 0,
            mean_score: Some(40.0),
        }];
        let report = report(&spec, &counters, Some(&quality), &query);
        let t = &report["totals"];
        assert_eq!(
            (t["views"].as_u64(), t["starters"].as_u64()),
            (Some(3), Some(2))
        );
        assert_eq!(
            (t["submits"].as_u64(), t["accepted"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(t["view_to_start"], json!(2.0 / 3.0));
        assert_eq!(t["start_to_lead"], json!(0.5));
        assert_eq!(t["qualified"], 1);
        assert_eq!(
            report["steps"],
            json!([{"step":0,"reached":2,"dropped":0},{"step":1,"reached":2,"dropped":1}])
        );
        let email = &report["fields"][0];
        assert_eq!(email["focus"], 2);
        assert_eq!(email["correction_rate"], json!(0.5));
        assert_eq!(email["median_ms"], 3500);
        assert_eq!(
            email["errors"],
            json!([{"code":"email.domain_missing","count":1}])
        );
        assert_eq!(report["fields"][1]["abandon"], 1);
        assert_eq!(report["abandon_before_any_field"], 1);
        let b = &report["variants"][1];
        assert_eq!(b["views"], 1);
        assert_eq!(b["leads"], 0);
        assert_eq!(b["qualified_share"], Value::Null);
        assert_eq!(report["variants"][0]["qualified_share"], json!(1.0));
        assert_eq!(b["conversion_test"]["significant"], false);
        assert_eq!(b["conversion_test"]["winner"], Value::Null);
        // Without the closed-loop columns quality is absent, not zero.
        let absent = super::report(&spec, &counters, None, &query);
        assert_eq!(absent["experiment"]["quality"], "absent");
        assert_eq!(absent["totals"]["qualified"], Value::Null);
        assert_eq!(absent["variants"][0]["leads"], Value::Null);
        assert_eq!(absent["variants"][0]["qualified_share"], Value::Null);
        assert_eq!(absent["variants"][1]["qualified_test"], Value::Null);
        // One variant only.
        let only_b = Query {
            variant: Some("b".into()),
            ..query
        };
        let b_report = super::report(&spec, &counters, None, &only_b);
        assert_eq!(b_report["totals"]["views"], 1);
        assert_eq!(b_report["totals"]["starters"], 0);
        let b_quality = super::report(&spec, &counters, Some(&quality), &only_b);
        assert_eq!(b_quality["totals"]["qualified"], 0);
        let csv = report_csv(&report);
        assert!(
            csv.starts_with("section,variant,key,metric,value\r\n")
                || csv.starts_with("section,variant,key,metric,value\n"),
            "{csv}"
        );
        assert!(csv.contains("totals,,,views,3"), "{csv}");
        assert!(csv.contains("error,,email,email.domain_missing,1"), "{csv}");
    }

    #[test]
    fn winner_needs_significance_and_sample() {
        let spec = spec();
        let mk = |variant: &str, metric: &str, value: u64| Counter {
            variant: variant.into(),
            field: String::new(),
            metric: metric.into(),
            value,
        };
        let query = Query {
            from: "2026-12-01".into(),
            to: "2026-12-01".into(),
            variant: None,
        };
        // 10/120 vs 25/118: p = 0.0051 (see shared's reference test).
        let counters = vec![
            mk("a", SEEN, 120),
            mk("a", ACCEPTED, 10),
            mk("b", SEEN, 118),
            mk("b", ACCEPTED, 25),
        ];
        let r = report(&spec, &counters, None, &query);
        assert_eq!(r["variants"][1]["conversion_test"]["winner"], "b");
        let mut strict = spec.clone();
        strict.experiment.min_sample = 200;
        let r = report(&strict, &counters, None, &query);
        assert_eq!(r["variants"][1]["conversion_test"]["winner"], Value::Null);
        assert_eq!(r["variants"][1]["conversion_test"]["significant"], false);
    }

    #[test]
    fn days() {
        for (day, ok) in [
            ("2026-12-01", true),
            ("2026-1-01", false),
            ("2026-12-0a", false),
            ("", false),
        ] {
            assert_eq!(is_day(day), ok, "{day}");
        }
    }
}
