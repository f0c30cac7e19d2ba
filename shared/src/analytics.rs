//! Form analytics and experiments: the spec's `analytics` mode, its
//! `[[variants]]` (A/B overrides with weights) and `[experiment]` settings,
//! the beacon schema the widget sends to `POST /v1/events`, and the
//! two-proportion test the funnel report judges variants with.
//!
//! A beacon never carries a typed value: only event kinds, field ids,
//! durations, counts and error codes ([`Event`]). [`EventBatch::parse`] bounds
//! and reads a batch (unknown members and kinds refused);
//! [`EventBatch::check`] holds it against the server's spec. Variant
//! assignment ([`assign`]) is a pure function of the visitor id, so it is
//! sticky wherever the id is kept. Pure like the rest of `shared`: no clock,
//! no randomness, no I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fieldmap::FieldMap;
use crate::spec::{is_valid_id, FormSpec, SpecError, StageSpec};
use crate::ErrorCode;

/// What the widget reports about visits (`analytics = "..."` in the spec).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalyticsMode {
    /// Counts, with the first-party visitor id (unless the browser sends
    /// Global Privacy Control).
    #[default]
    Visitor,
    /// Counts only: no visitor id ever travels.
    Anonymous,
    /// No beacons at all.
    Off,
}

impl AnalyticsMode {
    pub fn is_default(&self) -> bool {
        *self == AnalyticsMode::Visitor
    }
}

/// Default [`Experiment::min_sample`].
pub const DEFAULT_MIN_SAMPLE: u32 = 100;
/// Most variants a form may declare.
pub const MAX_VARIANTS: usize = 8;
/// Confidence a variant must reach before it is called a winner.
pub const CONFIDENCE: f64 = 0.95;

/// `[experiment]`: how the report judges variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// Views each of the two compared variants needs (and leads, for the
    /// qualified rate) before either can be called a winner.
    #[serde(default = "default_min_sample")]
    pub min_sample: u32,
}

fn default_min_sample() -> u32 {
    DEFAULT_MIN_SAMPLE
}

impl Default for Experiment {
    fn default() -> Self {
        Experiment {
            min_sample: DEFAULT_MIN_SAMPLE,
        }
    }
}

impl Experiment {
    pub fn is_default(&self) -> bool {
        *self == Experiment::default()
    }
}

/// One `[[variants]]` entry: overrides of the base form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub id: String,
    /// Share of visitors, relative to the other variants' weights.
    #[serde(default = "default_weight")]
    pub weight: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_label: Option<String>,
    /// Field id -> label shown instead of the field's own.
    #[serde(default, skip_serializing_if = "FieldMap::is_empty")]
    pub labels: FieldMap<String>,
    /// These fields first, in this order (within their stages), then the rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_order: Vec<String>,
    /// When set, the only optional fields asked (required and identity
    /// fields are always asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional_fields: Option<Vec<String>>,
    /// Stages instead of the base form's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageSpec>,
}

fn default_weight() -> u32 {
    1
}

/// A problem with `analytics`, `[experiment]` or `[[variants]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnalyticsError {
    VariantIdInvalid(String),
    VariantDuplicate(String),
    TooManyVariants(usize),
    VariantWeightZero(String),
    /// A label, `field_order` or `optional_fields` entry names no field.
    VariantUnknownField {
        variant: String,
        field: String,
    },
    /// `optional_fields` lists a required or identity field.
    VariantFieldNotOptional {
        variant: String,
        field: String,
    },
    /// The form with this variant applied fails the spec's own checks.
    VariantBreaksSpec {
        variant: String,
        problem: String,
    },
    MinSampleZero,
}

impl AnalyticsError {
    pub fn code(&self) -> &'static str {
        match self {
            AnalyticsError::VariantIdInvalid(_) => "spec.variant_invalid_id",
            AnalyticsError::VariantDuplicate(_) => "spec.variant_duplicate",
            AnalyticsError::TooManyVariants(_) => "spec.variant_too_many",
            AnalyticsError::VariantWeightZero(_) => "spec.variant_weight_zero",
            AnalyticsError::VariantUnknownField { .. } => "spec.variant_unknown_field",
            AnalyticsError::VariantFieldNotOptional { .. } => "spec.variant_field_not_optional",
            AnalyticsError::VariantBreaksSpec { .. } => "spec.variant_breaks_spec",
            AnalyticsError::MinSampleZero => "spec.experiment_min_sample_zero",
        }
    }
}

impl fmt::Display for AnalyticsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnalyticsError::VariantIdInvalid(id) => write!(
                f,
                "variant id `{id}` must be 1-64 of a-z, 0-9, `_` and `-`"
            ),
            AnalyticsError::VariantDuplicate(id) => write!(f, "variant `{id}` is declared twice"),
            AnalyticsError::TooManyVariants(n) => {
                write!(f, "{n} variants; at most {MAX_VARIANTS}")
            }
            AnalyticsError::VariantWeightZero(id) => {
                write!(f, "variant `{id}` has weight 0; weights are at least 1")
            }
            AnalyticsError::VariantUnknownField { variant, field } => {
                write!(f, "variant `{variant}` names `{field}`, which is not a field")
            }
            AnalyticsError::VariantFieldNotOptional { variant, field } => write!(
                f,
                "variant `{variant}` lists `{field}` in optional_fields, but it is required or an identity field (always asked)"
            ),
            AnalyticsError::VariantBreaksSpec { variant, problem } => {
                write!(f, "with variant `{variant}` applied: {problem}")
            }
            AnalyticsError::MinSampleZero => write!(f, "experiment.min_sample must be at least 1"),
        }
    }
}

/// The spec checks of this module, added to `errors` as
/// [`SpecError::Analytics`].
pub fn check(spec: &FormSpec, errors: &mut Vec<SpecError>) {
    let mut push = |e: AnalyticsError| errors.push(SpecError::Analytics(e));
    if spec.experiment.min_sample == 0 {
        push(AnalyticsError::MinSampleZero);
    }
    if spec.variants.len() > MAX_VARIANTS {
        push(AnalyticsError::TooManyVariants(spec.variants.len()));
    }
    // Problems the base form has already are reported once, not per variant.
    // (`apply` drops the variants, so this recursion ends at once.)
    let base: Vec<String> = match spec.variants.is_empty() {
        true => Vec::new(),
        false => match apply(spec, None).check() {
            Ok(()) => Vec::new(),
            Err(problems) => problems.0.iter().map(|p| p.to_string()).collect(),
        },
    };
    for (i, variant) in spec.variants.iter().enumerate() {
        let id = &variant.id;
        if !is_valid_id(id) {
            push(AnalyticsError::VariantIdInvalid(id.clone()));
        }
        if spec.variants[..i].iter().any(|v| v.id == *id) {
            push(AnalyticsError::VariantDuplicate(id.clone()));
        }
        if variant.weight == 0 {
            push(AnalyticsError::VariantWeightZero(id.clone()));
        }
        let named = variant
            .labels
            .keys()
            .chain(variant.field_order.iter())
            .chain(variant.optional_fields.iter().flatten());
        for field in named {
            if spec.field(field).is_none() {
                push(AnalyticsError::VariantUnknownField {
                    variant: id.clone(),
                    field: field.clone(),
                });
            }
        }
        for field in variant.optional_fields.iter().flatten() {
            if spec
                .field(field)
                .is_some_and(|f| f.required || f.is_identity())
            {
                push(AnalyticsError::VariantFieldNotOptional {
                    variant: id.clone(),
                    field: field.clone(),
                });
            }
        }
        if let Err(problems) = apply(spec, Some(variant)).check() {
            for problem in problems.0.iter().filter(|p| !base.contains(&p.to_string())) {
                push(AnalyticsError::VariantBreaksSpec {
                    variant: id.clone(),
                    problem: problem.to_string(),
                });
            }
        }
    }
}

/// The variant of `visitor_id` for `spec`: the weighted bucket of the
/// SHA-256 of `form_id:visitor_id` (the same visitor always lands on the same
/// variant of a form). `None` when the form declares no variants.
pub fn assign<'a>(spec: &'a FormSpec, visitor_id: &str) -> Option<&'a Variant> {
    let total: u64 = spec.variants.iter().map(|v| u64::from(v.weight)).sum();
    if total == 0 {
        return None;
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(spec.id.as_bytes())
        .chain_update(b":")
        .chain_update(visitor_id.as_bytes())
        .finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    let mut point = u64::from_be_bytes(head) % total;
    for variant in &spec.variants {
        let weight = u64::from(variant.weight);
        if point < weight {
            return Some(variant);
        }
        point -= weight;
    }
    spec.variants.last()
}

/// The form as `variant` shows it: title, intro, submit label and labels
/// replaced, its stages (or the base's), optional fields it does not ask
/// left out of them, `field_order` first within each stage. The variants
/// themselves are dropped from the result. `None` = the base form.
pub fn apply(spec: &FormSpec, variant: Option<&Variant>) -> FormSpec {
    apply_owned(spec.clone(), variant)
}

/// [`apply`] on a spec the caller gives up (the widget: no copy of the spec).
pub fn apply_owned(mut out: FormSpec, variant: Option<&Variant>) -> FormSpec {
    out.variants = Vec::new();
    let Some(variant) = variant else {
        return out;
    };
    if let Some(title) = &variant.title {
        out.title = Some(title.clone());
    }
    if let Some(intro) = &variant.intro {
        out.intro = Some(intro.clone());
    }
    if let Some(label) = &variant.submit_label {
        out.submit_label = label.clone();
    }
    for field in &mut out.fields {
        if let Some(label) = variant.labels.get(&field.id) {
            field.label = label.clone();
        }
    }
    let reshaped = !variant.stages.is_empty()
        || !variant.field_order.is_empty()
        || variant.optional_fields.is_some();
    if !reshaped {
        return out;
    }
    let mut stages = if variant.stages.is_empty() {
        out.effective_stages()
    } else {
        variant.stages.clone()
    };
    for stage in &mut stages {
        let asked = |id: &&String| match (&variant.optional_fields, out.field(id)) {
            (Some(list), Some(f)) if !f.required && !f.is_identity() => list.contains(id),
            _ => true,
        };
        // field_order's fields first, then the others in their order.
        let mut fields: Vec<String> = variant
            .field_order
            .iter()
            .filter(|id| stage.fields.contains(id))
            .filter(asked)
            .cloned()
            .collect();
        fields.extend(
            stage
                .fields
                .iter()
                .filter(|id| !variant.field_order.contains(id))
                .filter(asked)
                .cloned(),
        );
        stage.fields = fields;
    }
    stages.retain(|s| !s.fields.is_empty());
    let in_stage = |id: &String| stages.iter().any(|s| s.fields.contains(id));
    out.fields.retain(|f| in_stage(&f.id));
    out.profiling.always_ask.retain(in_stage);
    out.stages = stages;
    out
}

/// Version of the beacon batch format.
pub const EVENTS_VERSION: u32 = 1;
/// Largest batch body accepted, in bytes.
pub const MAX_BATCH_BYTES: usize = 8 * 1024;
/// Most events in one batch.
pub const MAX_EVENTS: usize = 64;
/// Longest time on one field counted, in ms (an hour).
pub const MAX_FIELD_MS: u32 = 3_600_000;
/// Most corrections counted in one focus.
pub const MAX_CORRECTIONS: u32 = 1000;
/// Highest step index.
pub const MAX_STEP: u32 = 32;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The form came into view (IntersectionObserver), once per visit.
    Seen,
    /// First interaction with a field, once per visit.
    Start,
    /// A field took focus (`f`).
    Focus,
    /// A field lost focus (`f`) after `ms` with `n` corrections.
    Blur,
    /// A field (`f`) showed error `code`.
    Error,
    /// Step `n` (0-based, n >= 1) was reached.
    Step,
    /// The visitor pressed submit on the last step, once per visit.
    Submit,
    /// The edge accepted the lead.
    Accepted,
    /// The page was left (hidden) before a lead was accepted; `f` is the
    /// last field touched ("" when none).
    Abandon,
}

impl EventKind {
    /// Whether events of this kind name a field.
    pub fn has_field(self) -> bool {
        matches!(
            self,
            EventKind::Focus | EventKind::Blur | EventKind::Error | EventKind::Abandon
        )
    }
}

/// One event: a kind and, by kind, a field id, a duration, a count and an
/// error code. Never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub k: EventKind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub f: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ms: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub n: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Event {
    pub fn new(k: EventKind) -> Event {
        Event {
            k,
            f: String::new(),
            ms: 0,
            n: 0,
            code: String::new(),
        }
    }
}

/// What the widget sends: one or more events of one visit of one form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// Always [`EVENTS_VERSION`].
    pub v: u32,
    pub form: String,
    /// The variant shown, when the form runs an experiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The first-party visitor id; absent with Global Privacy Control or
    /// `analytics = "anonymous"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<String>,
    pub events: Vec<Event>,
}

/// Why a batch was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventError {
    TooLarge,
    /// Not a batch's JSON (or a member of the wrong shape, or unknown).
    Malformed,
    /// An unknown event kind.
    UnknownKind,
    /// Another version than [`EVENTS_VERSION`].
    Version,
    /// A form, variant or field the spec does not have, an unknown error
    /// code, a bad visitor id, or a figure out of range.
    Invalid,
    /// No events, or more than [`MAX_EVENTS`].
    Count,
}

impl EventError {
    pub fn code(self) -> &'static str {
        match self {
            EventError::TooLarge => "event.too_large",
            EventError::Malformed => "event.malformed",
            EventError::UnknownKind => "event.unknown",
            EventError::Version => "event.unsupported_version",
            EventError::Invalid => "event.invalid",
            EventError::Count => "event.count",
        }
    }
}

impl EventBatch {
    /// Reads a batch: at most [`MAX_BATCH_BYTES`], version 1, no unknown
    /// members, known kinds, 1 to [`MAX_EVENTS`] events.
    pub fn parse(bytes: &[u8]) -> Result<EventBatch, EventError> {
        if bytes.len() > MAX_BATCH_BYTES {
            return Err(EventError::TooLarge);
        }
        let batch: EventBatch = serde_json::from_slice(bytes).map_err(|e| {
            if e.to_string().starts_with("unknown variant") {
                EventError::UnknownKind
            } else {
                EventError::Malformed
            }
        })?;
        if batch.v != EVENTS_VERSION {
            return Err(EventError::Version);
        }
        if batch.events.is_empty() || batch.events.len() > MAX_EVENTS {
            return Err(EventError::Count);
        }
        Ok(batch)
    }

    /// Holds the batch against the server's spec of its form: a variant the
    /// spec declares, fields of the form on the kinds that name one (and
    /// none elsewhere), known error codes, figures in range, a visitor id of
    /// the envelope's shape and none when the form is anonymous.
    pub fn check(&self, spec: &FormSpec) -> Result<(), EventError> {
        let bad = Err(EventError::Invalid);
        if self.form != spec.id || spec.analytics == AnalyticsMode::Off {
            return bad;
        }
        if let Some(variant) = &self.variant {
            if !spec.variants.iter().any(|v| v.id == *variant) {
                return bad;
            }
        }
        if let Some(visitor) = &self.visitor {
            let token = (8..=64).contains(&visitor.len())
                && visitor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !token || spec.analytics == AnalyticsMode::Anonymous {
                return bad;
            }
        }
        for event in &self.events {
            let field_ok = if event.k.has_field() {
                spec.field(&event.f).is_some()
                    || (event.k == EventKind::Abandon && event.f.is_empty())
            } else {
                event.f.is_empty()
            };
            let code_ok = match event.k {
                EventKind::Error => ErrorCode::from_code(&event.code).is_some(),
                _ => event.code.is_empty(),
            };
            let figures_ok = match event.k {
                EventKind::Blur => event.ms <= MAX_FIELD_MS && event.n <= MAX_CORRECTIONS,
                EventKind::Step => (1..=MAX_STEP).contains(&event.n) && event.ms == 0,
                _ => event.ms == 0 && event.n == 0,
            };
            if !(field_ok && code_ok && figures_ok) {
                return bad;
            }
        }
        Ok(())
    }
}

/// The result of comparing two proportions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// Pooled two-proportion z statistic (b's rate minus a's).
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// `p_value < 1 - CONFIDENCE` and both samples at least the minimum.
    pub significant: bool,
}

/// Pooled two-proportion z test of `a_hits/a_n` against `b_hits/b_n`
/// (equivalent to Pearson's chi-square on the 2x2 table, chi2 = z^2). A
/// sample of 0, a pooled rate of 0 or 1 give z = 0, p = 1.
pub fn two_proportion(a_hits: u64, a_n: u64, b_hits: u64, b_n: u64, min_sample: u64) -> Comparison {
    let none = Comparison {
        z: 0.0,
        p_value: 1.0,
        significant: false,
    };
    if a_n == 0 || b_n == 0 || a_hits > a_n || b_hits > b_n {
        return none;
    }
    let (a, b) = (a_n as f64, b_n as f64);
    let pooled = (a_hits + b_hits) as f64 / (a + b);
    let se = (pooled * (1.0 - pooled) * (1.0 / a + 1.0 / b)).sqrt();
    if se == 0.0 || !se.is_finite() {
        return none;
    }
    let z = (b_hits as f64 / b - a_hits as f64 / a) / se;
    let p_value = erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0);
    Comparison {
        z,
        p_value,
        significant: p_value < 1.0 - CONFIDENCE && a_n >= min_sample && b_n >= min_sample,
    }
}

/// The complementary error function, to about 1e-15 relative error
/// (W. J. Cody's rational approximations, as in many libm's `erfc`).
pub fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 0.5 {
        return 1.0 - erf_small(x);
    }
    if x > 27.0 {
        return 0.0;
    }
    // Continued fraction (Lentz) for erfc, converging fast for x >= 0.5.
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    let mut n = 1.0;
    let mut i = 0;
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
    while i < 500 {
        let a = n / 2.0;
        d = x + a * d;
        if d == 0.0 {
            d = tiny;
        }
        c = x + a / c;
        if c == 0.0 {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
        n += 1.0;
        i += 1;
    }
    (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
}

/// erf for |x| < 0.5 by its Maclaurin series.
fn erf_small(x: f64) -> f64 {
    let mut term = x;
    let mut sum = x;
    let x2 = x * x;
    let mut n = 0.0;
    while term.abs() > 1e-17 * sum.abs() {
        n += 1.0;
        term *= -x2 / n;
        sum += term / (2.0 * n + 1.0);
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_reference() {
        // Python's math.erfc (the C library's).
        let cases = [
            (0.0, 1.0),
            (0.1, 0.887_537_083_981_715_2),
            (0.49, 0.488_331_738_811_476_9),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (1.959_963_984_540_054 / std::f64::consts::SQRT_2, 0.05),
            (2.5, 0.000_406_952_017_444_958_9),
            (4.0, 1.541_725_790_028_002e-8),
            (-1.0, 1.842_700_792_949_715),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            assert!(
                ((got - want) / want).abs() < 1e-12,
                "erfc({x}) = {got}, want {want}"
            );
        }
    }
}
