//! Progressive profiling: which fields to ask on this visit, given which field
//! ids the visitor has already answered.
//!
//! The selector only sees field ids, never values: the widget stores ids in
//! the visitor's browser and the edge need not know them. This module must not
//! touch storage; callers pass the known ids in (any order). It never hides an
//! identity field ([`crate::FieldSpec::is_identity`]): a lead must stay
//! contactable however often the visitor comes back. Prefilling those fields
//! (only when the spec sets `prefill`) is the widget's business, not this
//! module's.

use serde::{Deserialize, Serialize};

use crate::spec::{FieldKind, FormSpec};

/// One step of this visit's form: a stage's fields still to ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub stage_id: String,
    pub title: Option<String>,
    pub fields: Vec<String>,
}

/// What to ask now, as ordered steps (shown with Back/Next).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub steps: Vec<Step>,
    /// 0-based index of the first selected stage among all stages, for a
    /// "stage 2 of 3" progress indicator.
    pub first_stage_index: usize,
    pub stage_count: usize,
}

impl Selection {
    /// Every field id selected, in order.
    pub fn field_ids(&self) -> Vec<String> {
        self.steps
            .iter()
            .flat_map(|s| s.fields.iter().cloned())
            .collect()
    }

    /// The index of the step on which to show consent `consent_id`: the
    /// first step holding one of the fields it covers (a checked spec keeps
    /// them in one stage, and the selector moves a stage's identity fields
    /// together, so that step holds all of them). The last step when the
    /// consent covers nothing, none of its fields is selected, or there is no
    /// such consent; 0 when there are no steps.
    pub fn consent_step(&self, spec: &FormSpec, consent_id: &str) -> usize {
        let last = self.steps.len().saturating_sub(1);
        let Some(block) = spec.consent(consent_id) else {
            return last;
        };
        self.steps
            .iter()
            .position(|step| step.fields.iter().any(|f| block.covers.contains(f)))
            .unwrap_or(last)
    }
}

/// Chooses the fields to ask now.
///
/// Rules, in order:
/// 1. stages are taken in declared order; a stage is "open" while it has a
///    visible-kind field whose id is not in `known`;
/// 2. up to `profiling.stages_per_visit` open stages are selected, each
///    becoming one step holding its unknown fields;
/// 3. `profiling.max_new_fields_per_visit` caps the number of new fields
///    (at least one is always asked while any is open);
/// 4. a conditional field brings the field its condition depends on into the
///    same step, so its visibility can be decided, unless an earlier step of
///    this visit already asks it (no field is asked twice);
/// 5. `profiling.always_ask` fields are put first in the first step;
/// 6. hidden fields of a selected stage are always included and never count;
/// 7. when every stage is complete, the last stage is asked again in full, so
///    a returning visitor can still get in touch and update their details;
/// 8. identity fields are never hidden: in a selected stage they are asked
///    known or not, and never count towards the bound of rule 3; those of
///    other stages are put into the first step, after the `always_ask`
///    fields and before the stage's own, in spec order. A returning visitor
///    therefore always sees every identity field again.
pub fn select_fields(spec: &FormSpec, known: &[String]) -> Selection {
    let stages = spec.effective_stages();
    let stage_count = stages.len();
    let is_hidden = |id: &str| spec.field(id).is_some_and(|f| f.kind == FieldKind::Hidden);
    let is_identity = |id: &str| spec.field(id).is_some_and(|f| f.is_identity());
    let is_open = |fields: &[String]| {
        fields
            .iter()
            .any(|id| !is_hidden(id) && !known.contains(id))
    };

    let first_open = stages.iter().position(|s| is_open(&s.fields));
    let Some(first_open) = first_open else {
        let last_index = stage_count.saturating_sub(1);
        let steps = stages
            .into_iter()
            .last()
            .map(|stage| Step {
                stage_id: stage.id,
                title: stage.title,
                fields: stage.fields,
            })
            .into_iter()
            .collect();
        return with_always_asked(
            spec,
            Selection {
                steps,
                first_stage_index: last_index,
                stage_count,
            },
        );
    };

    let per_visit = spec.profiling.stages_per_visit.max(1) as usize;
    let mut budget = spec
        .profiling
        .max_new_fields_per_visit
        .map_or(usize::MAX, |max| (max as usize).max(1));
    let mut steps: Vec<Step> = Vec::new();
    for stage in stages
        .iter()
        .skip(first_open)
        .filter(|s| is_open(&s.fields))
        .take(per_visit)
    {
        if budget == 0 {
            break;
        }
        let mut fields: Vec<String> = Vec::new();
        let asked_before = |id: &str| steps.iter().any(|s| s.fields.iter().any(|f| f == id));
        for id in &stage.fields {
            if is_hidden(id) {
                push_unique(&mut fields, id);
                continue;
            }
            if is_identity(id) {
                if !asked_before(id) {
                    push_unique(&mut fields, id);
                }
                continue;
            }
            if known.contains(id) || budget == 0 || asked_before(id) {
                continue;
            }
            if let Some(condition) = spec.field(id).and_then(|f| f.show_when.as_ref()) {
                if !asked_before(&condition.field) {
                    push_unique(&mut fields, &condition.field);
                }
            }
            push_unique(&mut fields, id);
            budget -= 1;
        }
        steps.push(Step {
            stage_id: stage.id.clone(),
            title: stage.title.clone(),
            fields,
        });
    }
    with_always_asked(
        spec,
        Selection {
            steps,
            first_stage_index: first_open,
            stage_count,
        },
    )
}

/// Rules 5 and 8: the `always_ask` fields, then the identity fields, that no
/// step holds yet, put first in the first step.
fn with_always_asked(spec: &FormSpec, mut selection: Selection) -> Selection {
    let mut missing: Vec<String> = Vec::new();
    let always = spec.profiling.always_ask.iter();
    let identity = spec.identity_fields().map(|f| &f.id);
    for id in always.chain(identity) {
        if !selection.steps.iter().any(|s| s.fields.contains(id)) {
            push_unique(&mut missing, id);
        }
    }
    if let Some(first) = selection.steps.first_mut() {
        let rest = std::mem::take(&mut first.fields);
        first.fields = missing;
        first.fields.extend(rest);
    }
    selection
}

fn push_unique(fields: &mut Vec<String>, id: &str) {
    if !fields.iter().any(|f| f == id) {
        fields.push(id.to_owned());
    }
}
