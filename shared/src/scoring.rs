//! Lead scoring and grading: the spec's `[scoring]`, `[[tiers]]`, `[grading]`
//! and `[closed_loop]` sections, their checks, and [`qualify`], which turns
//! one validated submission into a score, a tier (with its MQL/SQL mark), a
//! grade and the list of rules that fired.
//!
//! Server-side only: the keys are read only with the `destinations` feature
//! (the edge, the tools), [`FormSpec::public`] resets them, and the widget's
//! wasm neither reads nor checks them. Pure: no clocks, no I/O; the caller
//! passes the submission's facts in ([`Facts`]).
//!
//! # Spec keys
//!
//! ```toml
//! [scoring]
//! max_total = 100            # cap on the total (optional)
//! min_total = 0              # floor of the total (optional)
//! group_caps = { fit = 60 }  # most points one group's rules add together
//!
//! [[scoring.rules]]
//! id = "big_budget"
//! group = "fit"              # optional; rules without a group are capped only in total
//! points = 30                # negative points subtract
//! when = { field = "budget", min = 5000 }
//!
//! [[tiers]]                  # the highest threshold the score reaches wins
//! id = "hot"
//! min_score = 70
//! mark = "sql"               # optional MQL/SQL mark: "mql" or "sql"
//! mark_min_grade = "B"       # optional: the mark only with at least this grade
//! sla_minutes = 5            # optional: read by the edge's speed-to-lead
//! [[tiers]]
//! id = "cold"                # no min_score: the tier of every other lead
//!
//! [grading]
//! start = "D"                # default D, as Salesforce Account Engagement starts
//! [[grading.criteria]]
//! id = "in_area"
//! thirds = 3                 # +3 thirds: one letter up; negative moves down
//! when = { field = "zip", prefix = ["981", "980"] }
//!
//! [closed_loop]
//! secret = "CRM_STATUS_SECRET"   # Worker secret signing CRM status updates
//! ```
//!
//! A [`Match`] (`when`) holds exactly one test. On an answer (`field` set):
//! `equals`, `one_of`, `min`/`max` (numeric, inclusive), `present`,
//! `prefix` (text, postal code, phone). Without `field`: `utm_source` (one of,
//! ASCII case-insensitive, this visit or the first touch), `gclid` (present or
//! not, either touch), `referrer_host` (this visit's referrer host, or a
//! subdomain of it), `consent` (that consent block ticked), `fill_ms_min` /
//! `fill_ms_max` (time to fill). Routing reuses [`Match`] for its conditions.
//!
//! Grades run F, D-, D, D+, C-, C, C+, B-, B, B+, A-, A, A+; a criterion moves
//! the grade by thirds (one step of that list each), clamped at F and A+.
//! The score is the sum of the fired rules' points, each group's sum cut to
//! its cap (positive sums only), the total cut to `max_total` and raised to
//! `min_total`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::consent::ConsentRecord;
use crate::envelope::{Attribution, SubmissionEnvelope};
use crate::fieldmap::FieldMap;
#[cfg(feature = "destinations")]
use crate::spec::{is_valid_id, StrSet};
use crate::spec::{FieldKind, FormSpec, SpecError};
use crate::validate::{CleanSubmission, FieldValue};

/// `[scoring]`: point rules and caps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<ScoreRule>,
    /// The total is at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_total: Option<i32>,
    /// The total is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_total: Option<i32>,
    /// Group name → most points that group's rules add together.
    #[serde(default, skip_serializing_if = "FieldMap::is_empty")]
    pub group_caps: FieldMap<i32>,
}

impl Scoring {
    pub fn is_empty(&self) -> bool {
        *self == Scoring::default()
    }
}

/// One `[[scoring.rules]]` entry: `points` when `when` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRule {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub points: i32,
    pub when: Match,
}

/// One `[[tiers]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub id: String,
    /// A lead is in the tier with the highest `min_score` its score reaches;
    /// the one tier without it takes every other lead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<Mark>,
    /// The mark holds only for a grade at least this (no grade: no mark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_min_grade: Option<Grade>,
    /// Minutes within which a lead of this tier should be contacted (the
    /// edge's speed-to-lead escalation reads it; scoring does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_minutes: Option<u32>,
    /// Channel ids (`[[channels]]`) told of every lead of this tier when it
    /// arrives, routed or not, besides its route's own `notify` (the edge
    /// sends each channel once per lead).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
}

/// The lifecycle mark a tier gives: marketing- or sales-qualified lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Mql,
    Sql,
}

impl Mark {
    pub const fn as_str(self) -> &'static str {
        match self {
            Mark::Mql => "mql",
            Mark::Sql => "sql",
        }
    }
}

/// `[grading]`: fit criteria moving a grade from `start`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grading {
    #[serde(default)]
    pub start: Grade,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<GradeCriterion>,
}

/// One `[[grading.criteria]]` entry: move the grade `thirds` steps when
/// `when` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeCriterion {
    pub id: String,
    pub thirds: i32,
    pub when: Match,
}

/// `[closed_loop]`: how a CRM reports a lead's status back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosedLoop {
    /// Name of the Worker secret (`whsec_...`, base64 after the prefix)
    /// with which a CRM signs `POST /v1/leads/{id}/status` requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl ClosedLoop {
    pub fn is_empty(&self) -> bool {
        self.secret.is_none()
    }
}

/// A grade F..A+ in thirds of a letter: 0 is F, 12 is A+.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grade(u8);

const GRADE_NAMES: [&str; 13] = [
    "F", "D-", "D", "D+", "C-", "C", "C+", "B-", "B", "B+", "A-", "A", "A+",
];

impl Grade {
    pub const F: Grade = Grade(0);
    pub const D: Grade = Grade(2);
    pub const A_PLUS: Grade = Grade(12);

    /// `"A+"`, `"B-"`, `"F"`, ...
    pub fn parse(text: &str) -> Option<Grade> {
        GRADE_NAMES
            .iter()
            .position(|name| *name == text)
            .map(|i| Grade(i as u8))
    }

    pub fn as_str(self) -> &'static str {
        GRADE_NAMES[usize::from(self.0.min(12))]
    }

    /// This grade moved by `thirds` steps, clamped to F..A+.
    pub fn moved(self, thirds: i32) -> Grade {
        Grade((i32::from(self.0) + thirds).clamp(0, 12) as u8)
    }
}

impl Default for Grade {
    fn default() -> Self {
        Grade::D
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Grade {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Grade {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Grade::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "grade `{text}`: expected one of {}",
                GRADE_NAMES.join(", ")
            ))
        })
    }
}

/// One test on a submission (a rule's or criterion's `when`). Exactly one
/// test is set; see the module doc.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub utm_source: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gclid: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referrer_host: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_ms_min: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_ms_max: Option<u64>,
}

/// The one test a [`Match`] holds, once checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Test<'a> {
    Equals(&'a str, &'a str),
    OneOf(&'a str, &'a [String]),
    Range(&'a str, Option<f64>, Option<f64>),
    Present(&'a str, bool),
    Prefix(&'a str, &'a [String]),
    UtmSource(&'a [String]),
    Gclid(bool),
    ReferrerHost(&'a [String]),
    Consent(&'a str),
    FillMs(Option<u64>, Option<u64>),
}

impl Match {
    /// The tests this match sets, by key name (more than one, or none, is
    /// refused by the spec check).
    fn tests(&self) -> Vec<Test<'_>> {
        let mut tests = Vec::new();
        let field = self.field.as_deref().unwrap_or("");
        if let Some(value) = &self.equals {
            tests.push(Test::Equals(field, value));
        }
        if !self.one_of.is_empty() {
            tests.push(Test::OneOf(field, &self.one_of));
        }
        if self.min.is_some() || self.max.is_some() {
            tests.push(Test::Range(field, self.min, self.max));
        }
        if let Some(present) = self.present {
            tests.push(Test::Present(field, present));
        }
        if !self.prefix.is_empty() {
            tests.push(Test::Prefix(field, &self.prefix));
        }
        if !self.utm_source.is_empty() {
            tests.push(Test::UtmSource(&self.utm_source));
        }
        if let Some(gclid) = self.gclid {
            tests.push(Test::Gclid(gclid));
        }
        if !self.referrer_host.is_empty() {
            tests.push(Test::ReferrerHost(&self.referrer_host));
        }
        if let Some(consent) = &self.consent {
            tests.push(Test::Consent(consent));
        }
        if self.fill_ms_min.is_some() || self.fill_ms_max.is_some() {
            tests.push(Test::FillMs(self.fill_ms_min, self.fill_ms_max));
        }
        tests
    }

    /// The one test, when exactly one is set.
    pub fn test(&self) -> Option<Test<'_>> {
        let tests = self.tests();
        match tests.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Whether the submission meets the test (false when the match is not
    /// exactly one test, which a checked spec never has).
    pub fn holds(&self, facts: &Facts<'_>) -> bool {
        let Some(test) = self.test() else {
            return false;
        };
        let value = |field: &str| facts.values.get(field).filter(|v| !v.is_empty());
        match test {
            Test::Equals(field, expected) => value(field)
                .is_some_and(|v| v.matches_any(std::slice::from_ref(&expected.to_owned()))),
            Test::OneOf(field, options) => value(field).is_some_and(|v| v.matches_any(options)),
            Test::Range(field, min, max) => match value(field) {
                Some(FieldValue::Text(text)) => text.trim().parse::<f64>().is_ok_and(|n| {
                    n.is_finite() && min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
                }),
                _ => false,
            },
            Test::Present(field, present) => value(field).is_some() == present,
            Test::Prefix(field, prefixes) => match value(field) {
                Some(FieldValue::Text(text)) => {
                    let text = text.trim();
                    prefixes.iter().any(|p| starts_with_ignore_case(text, p))
                }
                _ => false,
            },
            Test::UtmSource(sources) => touches(facts.attribution).any(|touch| {
                touch
                    .utm_source
                    .as_deref()
                    .is_some_and(|s| sources.iter().any(|e| s.trim().eq_ignore_ascii_case(e)))
            }),
            Test::Gclid(present) => {
                touches(facts.attribution)
                    .any(|t| t.gclid.as_deref().is_some_and(|g| !g.trim().is_empty()))
                    == present
            }
            Test::ReferrerHost(hosts) => facts
                .attribution
                .current
                .referrer
                .as_deref()
                .and_then(url_host)
                .is_some_and(|host| hosts.iter().any(|h| host_is_or_under(&host, h))),
            Test::Consent(id) => facts
                .consents
                .iter()
                .any(|c| c.consent_id == id && c.checked),
            Test::FillMs(min, max) => {
                let ms = facts.time_to_fill_ms;
                min.is_none_or(|m| ms >= m) && max.is_none_or(|m| ms <= m)
            }
        }
    }

    /// Checks this match against the form; `place` names it in errors
    /// (`scoring.rules.big_budget`, `routes.north`, ...).
    pub fn check(&self, spec: &FormSpec, place: &str, errors: &mut Vec<SpecError>) {
        let mut push = |error: ScoringError| errors.push(SpecError::Scoring(error));
        let tests = self.tests();
        let [test] = tests.as_slice() else {
            push(ScoringError::AmbiguousTest(place.to_owned()));
            return;
        };
        let field_test = matches!(
            test,
            Test::Equals(..)
                | Test::OneOf(..)
                | Test::Range(..)
                | Test::Present(..)
                | Test::Prefix(..)
        );
        if field_test != self.field.is_some() {
            push(ScoringError::AmbiguousTest(place.to_owned()));
            return;
        }
        match *test {
            Test::Consent(id) => {
                if spec.consent(id).is_none() {
                    push(ScoringError::UnknownConsent {
                        place: place.to_owned(),
                        consent: id.to_owned(),
                    });
                }
                return;
            }
            Test::FillMs(Some(min), Some(max)) if min > max => {
                push(ScoringError::ImpossibleRange(place.to_owned()));
                return;
            }
            Test::ReferrerHost(hosts) | Test::UtmSource(hosts)
                if hosts.iter().any(|h| h.trim().is_empty()) =>
            {
                push(ScoringError::EmptyValue(place.to_owned()));
                return;
            }
            _ => {}
        }
        let Some(id) = self.field.as_deref() else {
            return;
        };
        let Some(field) = spec.field(id) else {
            push(ScoringError::UnknownField {
                place: place.to_owned(),
                field: id.to_owned(),
            });
            return;
        };
        let not_applicable = |test: &'static str| ScoringError::TestNotApplicable {
            place: place.to_owned(),
            test,
            kind: field.kind,
        };
        match *test {
            Test::Equals(_, value) => check_values(
                field,
                std::slice::from_ref(&value.to_owned()),
                place,
                &mut push,
            ),
            Test::OneOf(_, values) => check_values(field, values, place, &mut push),
            Test::Range(_, min, max) => {
                if !matches!(field.kind, FieldKind::Number | FieldKind::Hidden) {
                    push(not_applicable("min/max"));
                } else if min.is_some_and(|m| !m.is_finite())
                    || max.is_some_and(|m| !m.is_finite())
                    || min.zip(max).is_some_and(|(lo, hi)| lo > hi)
                    || min.zip(field.max).is_some_and(|(lo, hi)| lo > hi)
                    || max.zip(field.min).is_some_and(|(hi, lo)| hi < lo)
                {
                    push(ScoringError::ImpossibleRange(place.to_owned()));
                }
            }
            Test::Prefix(_, prefixes) => {
                if !matches!(
                    field.kind,
                    FieldKind::Text
                        | FieldKind::Textarea
                        | FieldKind::Hidden
                        | FieldKind::PostalCode
                        | FieldKind::Phone
                ) {
                    push(not_applicable("prefix"));
                } else if prefixes.iter().any(|p| p.trim().is_empty()) {
                    push(ScoringError::EmptyValue(place.to_owned()));
                }
            }
            _ => {}
        }
    }
}

fn check_values(
    field: &crate::spec::FieldSpec,
    values: &[String],
    place: &str,
    push: &mut impl FnMut(ScoringError),
) {
    for value in values {
        let possible = match field.kind {
            FieldKind::Select | FieldKind::MultiSelect => crate::spec::has_option(field, value),
            FieldKind::Checkbox => value == "true" || value == "false",
            _ => !value.trim().is_empty(),
        };
        if !possible {
            push(ScoringError::ValueNotAnOption {
                place: place.to_owned(),
                value: value.clone(),
            });
        }
    }
}

fn touches(attribution: &Attribution) -> impl Iterator<Item = &crate::envelope::Touch> {
    std::iter::once(&attribution.current).chain(attribution.first_touch.as_ref())
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The lower-cased host of an absolute http(s) URL.
fn url_host(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn host_is_or_under(host: &str, wanted: &str) -> bool {
    let wanted = wanted.trim().trim_start_matches('.');
    host.eq_ignore_ascii_case(wanted)
        || (host.len() > wanted.len()
            && host.ends_with(&wanted.to_ascii_lowercase())
            && host.as_bytes()[host.len() - wanted.len() - 1] == b'.')
}

/// What scoring may look at: the validated values, the consents, the
/// attribution and the time to fill of one submission.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub values: &'a FieldMap<FieldValue>,
    pub consents: &'a [ConsentRecord],
    pub attribution: &'a Attribution,
    pub time_to_fill_ms: u64,
}

impl<'a> Facts<'a> {
    /// The facts of a submission that passed `validate_against`.
    pub fn of(envelope: &'a SubmissionEnvelope, clean: &'a CleanSubmission) -> Facts<'a> {
        Facts {
            values: &clean.values,
            consents: &clean.consents,
            attribution: &envelope.attribution,
            time_to_fill_ms: envelope.timings.time_to_fill_ms,
        }
    }
}

/// A scoring rule that fired, with its points as declared (before caps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fired {
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub points: i32,
}

/// A grading criterion that held, with the thirds it moved the grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graded {
    pub criterion: String,
    pub thirds: i32,
}

/// What [`qualify`] found for one lead: stored with it and sent in every
/// payload (`score`, `tier`, `mark`, `grade`, `fired`, `graded`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qualification {
    pub score: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<Mark>,
    /// `None` when the form has no `[grading]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    #[serde(default)]
    pub fired: Vec<Fired>,
    #[serde(default)]
    pub graded: Vec<Graded>,
}

/// The `field_map` keys that send a lead's qualification to a CRM
/// destination (`field_map = { score = "lead_score", tier = "lead_tier" }`):
/// each goes only when mapped (a HubSpot form refuses a property it lacks),
/// and a form field of the same id is sent as the field instead.
pub const QUALIFICATION_KEYS: &[&str] = &["score", "tier", "mark", "grade", "fired"];

impl Qualification {
    /// The qualification as CRM text by [`QUALIFICATION_KEYS`] key: `score`
    /// as a number, `tier`, `mark` (`mql`/`sql`), `grade` (`B+`) when set,
    /// `fired` the fired rules' ids joined with `;`.
    pub fn crm_values(&self) -> Vec<(&'static str, String)> {
        let mut values = vec![("score", self.score.to_string())];
        if let Some(tier) = &self.tier {
            values.push(("tier", tier.clone()));
        }
        if let Some(mark) = self.mark {
            values.push(("mark", mark.as_str().to_owned()));
        }
        if let Some(grade) = self.grade {
            values.push(("grade", grade.as_str().to_owned()));
        }
        let fired: Vec<&str> = self.fired.iter().map(|f| f.rule.as_str()).collect();
        values.push(("fired", fired.join(";")));
        values
    }
}

/// Whether the spec scores, tiers or grades its leads at all.
pub fn qualifies(spec: &FormSpec) -> bool {
    !spec.scoring.rules.is_empty() || !spec.tiers.is_empty() || spec.grading.is_some()
}

/// Scores, tiers and grades one submission; `None` when the spec has no
/// `[scoring]` rules, no `[[tiers]]` and no `[grading]`.
pub fn qualify(spec: &FormSpec, facts: &Facts<'_>) -> Option<Qualification> {
    if !qualifies(spec) {
        return None;
    }
    let scoring = &spec.scoring;
    let fired: Vec<Fired> = scoring
        .rules
        .iter()
        .filter(|rule| rule.when.holds(facts))
        .map(|rule| Fired {
            rule: rule.id.clone(),
            group: rule.group.clone(),
            points: rule.points,
        })
        .collect();
    let score = total(
        scoring,
        fired.iter().map(|f| (f.group.as_deref(), f.points)),
    );
    let grading = spec.grading.as_ref();
    let graded: Vec<Graded> = grading
        .into_iter()
        .flat_map(|g| &g.criteria)
        .filter(|c| c.when.holds(facts))
        .map(|c| Graded {
            criterion: c.id.clone(),
            thirds: c.thirds,
        })
        .collect();
    let grade = grading.map(|g| g.start.moved(graded.iter().map(|c| c.thirds).sum()));
    let tier = tier_of(&spec.tiers, score);
    let mark = tier.and_then(|t| {
        let mark = t.mark?;
        match t.mark_min_grade {
            Some(min) => grade.filter(|g| *g >= min).map(|_| mark),
            None => Some(mark),
        }
    });
    Some(Qualification {
        score,
        tier: tier.map(|t| t.id.clone()),
        mark,
        grade,
        fired,
        graded,
    })
}

/// The tier of `score`: the highest threshold reached, else the fallback.
pub fn tier_of(tiers: &[Tier], score: i32) -> Option<&Tier> {
    tiers
        .iter()
        .filter(|t| t.min_score.is_some_and(|min| score >= min))
        .max_by_key(|t| t.min_score)
        .or_else(|| tiers.iter().find(|t| t.min_score.is_none()))
}

/// The capped total of `(group, points)` pairs.
fn total<'a>(scoring: &Scoring, points: impl Iterator<Item = (Option<&'a str>, i32)>) -> i32 {
    let mut groups: Vec<(Option<&str>, i64)> = Vec::new();
    for (group, p) in points {
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, sum)) => *sum += i64::from(p),
            None => groups.push((group, i64::from(p))),
        }
    }
    let mut sum: i64 = groups
        .iter()
        .map(
            |(group, sum)| match group.and_then(|g| scoring.group_caps.get(g)) {
                Some(cap) => (*sum).min(i64::from(*cap)),
                None => *sum,
            },
        )
        .sum();
    if let Some(max) = scoring.max_total {
        sum = sum.min(i64::from(max));
    }
    if let Some(min) = scoring.min_total {
        sum = sum.max(i64::from(min));
    }
    sum.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// The highest score any lead can reach: every positive rule fired.
pub fn max_score(scoring: &Scoring) -> i32 {
    total(
        scoring,
        scoring
            .rules
            .iter()
            .filter(|r| r.points > 0)
            .map(|r| (r.group.as_deref(), r.points)),
    )
}

/// Why a `[scoring]`, `[[tiers]]`, `[grading]` or `[closed_loop]` section
/// (or a [`Match`] elsewhere) was refused; inside [`SpecError::Scoring`].
/// `place` is the dotted path of the rule, e.g. `scoring.rules.big_budget`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScoringError {
    /// Two rules, criteria or tiers share an id.
    DuplicateId(String),
    /// A `when` names a field the form does not have.
    UnknownField { place: String, field: String },
    /// A `when` sets no test, more than one, or an answer test without
    /// `field` (or `field` with a test that is not on an answer).
    AmbiguousTest(String),
    /// `min` above `max`, a bound that is not finite, a range outside the
    /// field's own `min`/`max`, or `fill_ms_min` above `fill_ms_max`.
    ImpossibleRange(String),
    /// A test that the field's kind cannot meet (a range on a text field).
    TestNotApplicable {
        place: String,
        test: &'static str,
        kind: FieldKind,
    },
    /// `equals`/`one_of` names a value the field cannot hold.
    ValueNotAnOption { place: String, value: String },
    /// An empty prefix, UTM source or referrer host.
    EmptyValue(String),
    /// `consent` names a consent block the form does not have.
    UnknownConsent { place: String, consent: String },
    /// A rule with 0 points or a criterion with 0 thirds.
    ZeroPoints(String),
    /// `group_caps` names a group no rule has.
    CapUnknownGroup(String),
    /// A group cap or `max_total` below 1.
    CapNotPositive(String),
    /// `min_total` above `max_total`.
    InvertedTotal,
    /// Two tiers with the same `min_score`, or two without one.
    TierOverlap { tier: String, other: String },
    /// A tier's `min_score` is above the highest score the rules can give.
    TierUnreachable { tier: String, most: i32 },
    /// `mark_min_grade` on a tier without a mark, or without `[grading]`.
    TierMarkGradeUnused(String),
    /// `[closed_loop] secret` is empty.
    ClosedLoopEmptySecret,
}

impl ScoringError {
    /// Stable machine code, e.g. `spec.scoring_unknown_field`.
    pub fn code(&self) -> &'static str {
        match self {
            ScoringError::DuplicateId(_) => "spec.scoring_duplicate_id",
            ScoringError::UnknownField { .. } => "spec.scoring_unknown_field",
            ScoringError::AmbiguousTest(_) => "spec.scoring_ambiguous_test",
            ScoringError::ImpossibleRange(_) => "spec.scoring_impossible_range",
            ScoringError::TestNotApplicable { .. } => "spec.scoring_test_not_applicable",
            ScoringError::ValueNotAnOption { .. } => "spec.scoring_value_not_an_option",
            ScoringError::EmptyValue(_) => "spec.scoring_empty_value",
            ScoringError::UnknownConsent { .. } => "spec.scoring_unknown_consent",
            ScoringError::ZeroPoints(_) => "spec.scoring_zero_points",
            ScoringError::CapUnknownGroup(_) => "spec.scoring_cap_unknown_group",
            ScoringError::CapNotPositive(_) => "spec.scoring_cap_not_positive",
            ScoringError::InvertedTotal => "spec.scoring_inverted_total",
            ScoringError::TierOverlap { .. } => "spec.tier_overlap",
            ScoringError::TierUnreachable { .. } => "spec.tier_unreachable",
            ScoringError::TierMarkGradeUnused(_) => "spec.tier_mark_grade_unused",
            ScoringError::ClosedLoopEmptySecret => "spec.closed_loop_empty_secret",
        }
    }
}

impl fmt::Display for ScoringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScoringError::DuplicateId(place) => write!(f, "`{place}` is declared twice"),
            ScoringError::UnknownField { place, field } => {
                write!(f, "{place}: `when` names field `{field}`, which is not a field of this form")
            }
            ScoringError::AmbiguousTest(place) => write!(
                f,
                "{place}: `when` must hold exactly one test: with `field`, one of equals, one_of, min/max, present, prefix; without it, one of utm_source, gclid, referrer_host, consent, fill_ms_min/fill_ms_max"
            ),
            ScoringError::ImpossibleRange(place) => write!(
                f,
                "{place}: the range can never hold (min above max, a bound that is not a finite number, or outside the field's own min/max)"
            ),
            ScoringError::TestNotApplicable { place, test, kind } => write!(
                f,
                "{place}: `{test}` does not apply to a {} field",
                kind.as_str()
            ),
            ScoringError::ValueNotAnOption { place, value } => {
                write!(f, "{place}: the field can never hold `{value}`")
            }
            ScoringError::EmptyValue(place) => write!(f, "{place}: a listed value is empty"),
            ScoringError::UnknownConsent { place, consent } => write!(
                f,
                "{place}: `consent` names `{consent}`, which is not a consent block of this form"
            ),
            ScoringError::ZeroPoints(place) => {
                write!(f, "{place}: 0 points (or thirds) changes nothing; remove the rule")
            }
            ScoringError::CapUnknownGroup(group) => write!(
                f,
                "scoring.group_caps names group `{group}`, which no rule has"
            ),
            ScoringError::CapNotPositive(key) => write!(f, "scoring.{key} must be at least 1"),
            ScoringError::InvertedTotal => {
                write!(f, "scoring.min_total is above scoring.max_total")
            }
            ScoringError::TierOverlap { tier, other } => write!(
                f,
                "tiers `{tier}` and `{other}` have the same min_score (or both none): a score would be in both"
            ),
            ScoringError::TierUnreachable { tier, most } => write!(
                f,
                "tier `{tier}` needs more than the {most} points the scoring rules can give at most"
            ),
            ScoringError::TierMarkGradeUnused(tier) => write!(
                f,
                "tier `{tier}` has mark_min_grade but no mark, or the form has no [grading]"
            ),
            ScoringError::ClosedLoopEmptySecret => {
                write!(f, "[closed_loop] secret must name a Worker secret")
            }
        }
    }
}

/// Checks `[scoring]`, `[[tiers]]`, `[grading]` and `[closed_loop]`.
#[cfg(feature = "destinations")]
pub(crate) fn check(spec: &FormSpec, errors: &mut Vec<SpecError>) {
    let scoring = &spec.scoring;
    let mut ids = StrSet::default();
    let mut groups = StrSet::default();
    for rule in &scoring.rules {
        let place = crate::concat(&["scoring.rules.", &rule.id]);
        check_rule_id("scoring rule", &rule.id, &place, &mut ids, errors);
        if let Some(group) = &rule.group {
            if !is_valid_id(group) {
                errors.push(SpecError::InvalidId {
                    place: "scoring group".to_owned(),
                    id: group.clone(),
                });
            }
            groups.insert(group.as_str());
        }
        if rule.points == 0 {
            errors.push(SpecError::Scoring(ScoringError::ZeroPoints(place.clone())));
        }
        rule.when.check(spec, &place, errors);
    }
    for (group, cap) in &scoring.group_caps {
        if !groups.contains(group) {
            errors.push(SpecError::Scoring(ScoringError::CapUnknownGroup(
                group.clone(),
            )));
        }
        if *cap < 1 {
            errors.push(SpecError::Scoring(ScoringError::CapNotPositive(
                crate::concat(&["group_caps.", group]),
            )));
        }
    }
    if scoring.max_total.is_some_and(|max| max < 1) {
        errors.push(SpecError::Scoring(ScoringError::CapNotPositive(
            "max_total".to_owned(),
        )));
    }
    if let (Some(min), Some(max)) = (scoring.min_total, scoring.max_total) {
        if min > max {
            errors.push(SpecError::Scoring(ScoringError::InvertedTotal));
        }
    }
    let most = max_score(scoring);
    let mut tier_ids = StrSet::default();
    for (i, tier) in spec.tiers.iter().enumerate() {
        let place = crate::concat(&["tiers.", &tier.id]);
        check_rule_id("tier", &tier.id, &place, &mut tier_ids, errors);
        if let Some(other) = spec.tiers[..i]
            .iter()
            .find(|t| t.min_score == tier.min_score)
        {
            errors.push(SpecError::Scoring(ScoringError::TierOverlap {
                tier: other.id.clone(),
                other: tier.id.clone(),
            }));
        }
        if tier.min_score.is_some_and(|min| min > most) {
            errors.push(SpecError::Scoring(ScoringError::TierUnreachable {
                tier: tier.id.clone(),
                most,
            }));
        }
        if tier.mark_min_grade.is_some() && (tier.mark.is_none() || spec.grading.is_none()) {
            errors.push(SpecError::Scoring(ScoringError::TierMarkGradeUnused(
                tier.id.clone(),
            )));
        }
    }
    if let Some(grading) = &spec.grading {
        let mut criteria = StrSet::default();
        for criterion in &grading.criteria {
            let place = crate::concat(&["grading.criteria.", &criterion.id]);
            check_rule_id(
                "grading criterion",
                &criterion.id,
                &place,
                &mut criteria,
                errors,
            );
            if criterion.thirds == 0 {
                errors.push(SpecError::Scoring(ScoringError::ZeroPoints(place.clone())));
            }
            criterion.when.check(spec, &place, errors);
        }
    }
    if spec
        .closed_loop
        .secret
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        errors.push(SpecError::Scoring(ScoringError::ClosedLoopEmptySecret));
    }
}

#[cfg(feature = "destinations")]
fn check_rule_id<'a>(
    kind: &str,
    id: &'a str,
    place: &str,
    seen: &mut StrSet<'a>,
    errors: &mut Vec<SpecError>,
) {
    if !is_valid_id(id) {
        errors.push(SpecError::InvalidId {
            place: kind.to_owned(),
            id: id.to_owned(),
        });
    }
    if !seen.insert(id) {
        errors.push(SpecError::Scoring(ScoringError::DuplicateId(
            place.to_owned(),
        )));
    }
}
