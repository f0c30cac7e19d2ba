//! Scoring and grading as data: one spec with rules of every test kind,
//! group and total caps, tiers with marks and a grading section; a table of
//! submissions (answers, attribution, consents, time to fill) and the score,
//! tier, mark, grade and fired rules each must get. Also: the sections never
//! reach the public spec.

use leadform_shared::envelope::{Attribution, Touch};
use leadform_shared::scoring::{qualify, Facts, Grade, Mark};
use leadform_shared::{ConsentRecord, FieldMap, FieldValue, FormSpec};

const SPEC: &str = r#"
id = "quote"
[[fields]]
id = "email"
kind = "email"
label = "Email"
required = true
[[fields]]
id = "service"
kind = "select"
label = "Service"
options = [{ value = "plumbing" }, { value = "roofing" }, { value = "hvac" }]
[[fields]]
id = "budget"
kind = "number"
label = "Budget"
min = 0
max = 100000
[[fields]]
id = "zip"
kind = "postal_code"
label = "ZIP"
country = "US"
[[fields]]
id = "company"
kind = "text"
label = "Company"
[[fields]]
id = "urgent"
kind = "checkbox"
label = "Urgent"

[[consents]]
id = "marketing"
text = "Send me offers."
version = "1"
channels = ["email"]
legal_basis = "consent"
covers = ["email"]

[scoring]
max_total = 100
min_total = -20
group_caps = { fit = 50 }

[[scoring.rules]]
id = "roofing"
group = "fit"
points = 30
when = { field = "service", equals = "roofing" }
[[scoring.rules]]
id = "big_budget"
group = "fit"
points = 40
when = { field = "budget", min = 5000 }
[[scoring.rules]]
id = "tiny_budget"
points = -30
when = { field = "budget", max = 99.5 }
[[scoring.rules]]
id = "any_service"
points = 5
when = { field = "service", one_of = ["plumbing", "roofing", "hvac"] }
[[scoring.rules]]
id = "has_company"
points = 10
when = { field = "company", present = true }
[[scoring.rules]]
id = "urgent"
points = 20
when = { field = "urgent", equals = "true" }
[[scoring.rules]]
id = "paid_search"
group = "source"
points = 15
when = { gclid = true }
[[scoring.rules]]
id = "google"
group = "source"
points = 10
when = { utm_source = ["google", "bing"] }
[[scoring.rules]]
id = "partner_referral"
points = 25
when = { referrer_host = ["partner.example"] }
[[scoring.rules]]
id = "opted_in"
points = 5
when = { consent = "marketing" }
[[scoring.rules]]
id = "too_quick"
points = -50
when = { fill_ms_max = 3000 }

[[tiers]]
id = "hot"
min_score = 70
mark = "sql"
mark_min_grade = "B"
[[tiers]]
id = "warm"
min_score = 40
mark = "mql"
[[tiers]]
id = "cold"

[grading]
start = "D"
[[grading.criteria]]
id = "in_area"
thirds = 3
when = { field = "zip", prefix = ["981", "980"] }
[[grading.criteria]]
id = "business"
thirds = 4
when = { field = "company", present = true }
[[grading.criteria]]
id = "no_budget"
thirds = -3
when = { field = "budget", present = false }
"#;

/// One submission: answers as `id=value` (`[a, b]` lists are not needed
/// here), attribution, the marketing consent ticked, time to fill.
struct Case {
    name: &'static str,
    answers: &'static [(&'static str, &'static str)],
    utm_source: Option<&'static str>,
    gclid: bool,
    referrer: Option<&'static str>,
    consented: bool,
    fill_ms: u64,
    /// Expected: score, tier, mark, grade, fired rules, graded criteria.
    score: i32,
    tier: &'static str,
    mark: Option<Mark>,
    grade: &'static str,
    fired: &'static [&'static str],
    graded: &'static [&'static str],
}

const SLOW: u64 = 60_000;

const CASES: &[Case] = &[
    Case {
        name: "nothing but an email: cold, and no budget takes D down a letter to F",
        answers: &[],
        utm_source: None,
        gclid: false,
        referrer: None,
        consented: false,
        fill_ms: SLOW,
        score: 0,
        tier: "cold",
        mark: None,
        grade: "F",
        fired: &[],
        graded: &["no_budget"],
    },
    Case {
        name: "roofing with a big budget: the fit group is capped at 50",
        answers: &[("service", "roofing"), ("budget", "25000")],
        utm_source: None,
        gclid: false,
        referrer: None,
        consented: false,
        fill_ms: SLOW,
        score: 55,
        tier: "warm",
        mark: Some(Mark::Mql),
        grade: "D",
        fired: &["roofing", "big_budget", "any_service"],
        graded: &[],
    },
    Case {
        name: "everything positive: the total is capped at 100, hot and graded B+ so SQL",
        answers: &[
            ("service", "roofing"),
            ("budget", "5000"),
            ("company", "Acme Roofing"),
            ("urgent", "true"),
            ("zip", "98101"),
        ],
        utm_source: Some("Google"),
        gclid: true,
        referrer: Some("https://www.partner.example/deals?x=1"),
        consented: true,
        fill_ms: SLOW,
        score: 100,
        tier: "hot",
        mark: Some(Mark::Sql),
        grade: "B+",
        fired: &[
            "roofing",
            "big_budget",
            "any_service",
            "has_company",
            "urgent",
            "paid_search",
            "google",
            "partner_referral",
            "opted_in",
        ],
        graded: &["in_area", "business"],
    },
    Case {
        name: "hot by score but graded below B: no SQL mark",
        answers: &[
            ("service", "roofing"),
            ("budget", "9000"),
            ("urgent", "true"),
        ],
        utm_source: Some("bing"),
        gclid: true,
        referrer: None,
        consented: false,
        fill_ms: SLOW,
        score: 100,
        tier: "hot",
        mark: None,
        grade: "D",
        fired: &[
            "roofing",
            "big_budget",
            "any_service",
            "urgent",
            "paid_search",
            "google",
        ],
        graded: &[],
    },
    Case {
        name: "negative points: a tiny budget filled too fast, floored at -20",
        answers: &[("service", "plumbing"), ("budget", "50")],
        utm_source: Some("newsletter"),
        gclid: false,
        referrer: Some("https://notpartner.example/"),
        consented: false,
        fill_ms: 2_000,
        score: -20,
        tier: "cold",
        mark: None,
        grade: "D",
        fired: &["tiny_budget", "any_service", "too_quick"],
        graded: &[],
    },
    Case {
        name: "range bounds are inclusive; an unticked box and a checkbox false do not fire",
        answers: &[("budget", "99.5"), ("urgent", "false"), ("zip", "97201")],
        utm_source: None,
        gclid: false,
        referrer: Some("http://partner.example:8080/"),
        consented: false,
        fill_ms: 3_001,
        score: -5,
        tier: "cold",
        mark: None,
        grade: "D",
        fired: &["tiny_budget", "partner_referral"],
        graded: &[],
    },
    Case {
        name: "fit criteria add up: D + 3 + 4 thirds = B+",
        answers: &[
            ("company", "Big Co"),
            ("zip", "98004"),
            ("budget", "40000"),
            ("service", "hvac"),
        ],
        utm_source: None,
        gclid: false,
        referrer: None,
        consented: false,
        fill_ms: SLOW,
        score: 55,
        tier: "warm",
        mark: Some(Mark::Mql),
        grade: "B+",
        fired: &["big_budget", "any_service", "has_company"],
        graded: &["in_area", "business"],
    },
];

fn check(spec: &FormSpec, case: &Case) -> Result<(), String> {
    let mut values: FieldMap<FieldValue> = FieldMap::new();
    values.insert(
        "email".to_owned(),
        FieldValue::Text("ann@example.com".to_owned()),
    );
    for (id, value) in case.answers {
        let value = match spec.field(id).map(|f| f.kind) {
            Some(leadform_shared::FieldKind::Checkbox) => FieldValue::Bool(*value == "true"),
            _ => FieldValue::Text((*value).to_owned()),
        };
        values.insert((*id).to_owned(), value);
    }
    let consents: Vec<ConsentRecord> = spec
        .consents
        .iter()
        .map(|block| ConsentRecord::capture(block, case.consented, 0))
        .collect();
    let attribution = Attribution {
        current: Touch {
            utm_source: case.utm_source.map(str::to_owned),
            gclid: case.gclid.then(|| "Cj0KCQ".to_owned()),
            referrer: case.referrer.map(str::to_owned),
            ..Touch::default()
        },
        first_touch: None,
    };
    let facts = Facts {
        values: &values,
        consents: &consents,
        attribution: &attribution,
        time_to_fill_ms: case.fill_ms,
    };
    let got = qualify(spec, &facts).ok_or("no qualification")?;
    let fired: Vec<&str> = got.fired.iter().map(|f| f.rule.as_str()).collect();
    let graded: Vec<&str> = got.graded.iter().map(|g| g.criterion.as_str()).collect();
    let expected = (
        case.score,
        Some(case.tier),
        case.mark,
        Grade::parse(case.grade),
        case.fired.to_vec(),
        case.graded.to_vec(),
    );
    let actual = (
        got.score,
        got.tier.as_deref(),
        got.mark,
        got.grade,
        fired,
        graded,
    );
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "{}: expected {expected:?}, got {actual:?}",
            case.name
        ))
    }
}

#[test]
fn rules_times_answers_give_score_tier_grade_and_fired_rules() {
    let spec = FormSpec::parse_toml(SPEC).unwrap_or_else(|e| panic!("scoring spec: {e}"));
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|case| check(&spec, case).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn grades_move_in_thirds_and_clamp() {
    let names = [
        "F", "D-", "D", "D+", "C-", "C", "C+", "B-", "B", "B+", "A-", "A", "A+",
    ];
    for (i, name) in names.iter().enumerate() {
        let grade = Grade::parse(name).expect("known grade");
        assert_eq!(grade.as_str(), *name);
        assert_eq!(Grade::F.moved(i as i32), grade);
    }
    assert_eq!(Grade::D.moved(-10), Grade::F);
    assert_eq!(Grade::D.moved(99), Grade::A_PLUS);
    assert!(Grade::parse("E").is_none() && Grade::parse("a").is_none());
}

#[test]
fn without_scoring_sections_there_is_no_qualification() {
    let spec = FormSpec::parse_toml(
        "id = \"n\"\n[[fields]]\nid = \"email\"\nkind = \"email\"\nlabel = \"Email\"",
    )
    .expect("spec");
    let values = FieldMap::new();
    let attribution = Attribution::default();
    let facts = Facts {
        values: &values,
        consents: &[],
        attribution: &attribution,
        time_to_fill_ms: 0,
    };
    assert_eq!(qualify(&spec, &facts), None);
}

#[test]
fn scoring_sections_never_reach_the_public_spec() {
    let spec = FormSpec::parse_toml(&format!(
        "{SPEC}\n[closed_loop]\nsecret = \"CRM_STATUS_SECRET\"\n"
    ))
    .expect("spec");
    assert!(!spec.scoring.rules.is_empty() && !spec.tiers.is_empty());
    assert!(spec.grading.is_some() && spec.closed_loop.secret.is_some());
    let public = spec.public_json();
    for key in [
        "scoring",
        "tiers",
        "grading",
        "closed_loop",
        "big_budget",
        "CRM_STATUS_SECRET",
        "mark_min_grade",
    ] {
        assert!(!public.contains(key), "public spec shows `{key}`: {public}");
    }
    // And the public spec hash is the one of the same form without them.
    let bare = FormSpec {
        scoring: Default::default(),
        tiers: Vec::new(),
        grading: None,
        closed_loop: Default::default(),
        ..spec.clone()
    };
    assert_eq!(bare.public_hash(), spec.public_hash());
}
