//! The form's model: its state (Leptos signals), the step flow and the
//! submit [`Action`]; the components of [`crate::view`] show it.
//!
//! Everything the visitor sees is derived from the public [`FormSpec`]: the
//! fields of this visit come from `leadform_shared::select_fields`, every value
//! is checked with `leadform_shared::validate_field` on blur and again with
//! `validate_submission` (the edge's own rule set) before sending. This module
//! must not invent validation rules or reword consent text: both belong to
//! `shared` and the spec.

use std::ops::Deref;

use leadform_shared::envelope::{Attribution, Timings, ENVELOPE_VERSION, MAX_URL_BYTES};
use leadform_shared::validate::is_visible;
use leadform_shared::{
    concat, validate_field, validate_submission, ConsentBlock, ConsentRecord, ErrorCode, FieldKind,
    FieldMap, FieldSpec, FieldValue, FormSpec, Selection, SubmissionEnvelope,
};
use leptos::prelude::{
    set_timeout, Action, Get, GetUntracked, GetValue, LocalStorage, RwSignal, Set, SetValue,
    StoredValue, Update, UpdateValue, With, WithUntracked, WithValue,
};
use wasm_bindgen::JsCast;

use crate::attribution::cut;
use crate::beacon::Beacons;
use crate::i18n::Catalog;
use crate::platform;
use crate::store::{self, Pending};
use crate::submit::{self, Outcome, Refusal};
use leadform_shared::messages::UiText;

/// Longest time-to-fill the envelope accepts (one week).
const MAX_FILL_MS: u64 = 604_800_000;

/// Where the form is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Idle,
    /// Some fields failed validation; focus is on the first.
    Invalid,
    Sending,
    Success,
    /// The network failed; the submission is kept and can be retried.
    Offline,
    /// The edge refused the submission for good.
    Refused(Option<ErrorCode>),
}

/// A mounted form, as its components and handlers hold it (through Leptos's
/// context): one pointer to its [`Form`], which lives as long as the page
/// (forms are never unmounted). Being `Copy`, a handler that captures it has
/// no clone or drop code of its own.
#[derive(Clone, Copy)]
pub struct Ctx(&'static Form);

impl Ctx {
    /// The form's state with the page's lifetime, for views whose handlers
    /// keep references into the spec instead of copies.
    pub fn form(self) -> &'static Form {
        self.0
    }
}

impl Deref for Ctx {
    type Target = Form;

    fn deref(&self) -> &Form {
        self.0
    }
}

/// Everything one mounted form shares between its views and handlers.
pub struct Form {
    pub spec: FormSpec,
    pub selection: Selection,
    spec_hash: String,
    submit_url: String,
    /// DOM id prefix, unique per mounted form on the page.
    uid: String,
    /// The built-in texts in the visitor's language.
    pub i18n: Catalog,
    visitor_id: String,
    attribution: Attribution,
    started_at_ms: u64,
    /// (total hidden ms, hidden since) for time-to-fill.
    hidden: StoredValue<(u64, Option<u64>)>,
    /// The element the form is mounted in (for focus), kept in Leptos's
    /// thread-local arena: DOM handles are not `Send`.
    root: StoredValue<web_sys::HtmlElement, LocalStorage>,
    pub values: RwSignal<FieldMap<FieldValue>>,
    pub errors: RwSignal<FieldMap<ErrorCode>>,
    /// Consent id → (ticked, when last changed).
    pub consents: RwSignal<FieldMap<(bool, u64)>>,
    pub consent_errors: RwSignal<FieldMap<ErrorCode>>,
    pub step: RwSignal<usize>,
    pub status: RwSignal<Status>,
    pub notice: RwSignal<Option<UiText>>,
    pub honeypot: RwSignal<String>,
    pub turnstile_token: RwSignal<Option<String>>,
    /// The submission to resend when the visitor presses Retry.
    retry: StoredValue<Option<Pending>>,
    /// Sends a submission; its `pending()` disables the submit button.
    pub submit: Action<(Ctx, Pending), ()>,
    /// The analytics beacons of this visit.
    pub beacons: Beacons,
}

/// What [`Ctx::new`] needs besides the DOM root.
pub struct Setup {
    pub spec: FormSpec,
    /// [`FormSpec::public_hash`] of `spec` (the hash of the served JSON).
    pub spec_hash: String,
    pub submit_url: String,
    /// The built-in texts (the catalog the loader fetched, or English).
    pub i18n: Catalog,
    pub uid: String,
}

impl Ctx {
    /// Prepares a form: reads what this browser knows, selects this visit's
    /// fields, captures attribution and starts the fill clock.
    pub fn new(
        setup: Setup,
        root: web_sys::HtmlElement,
        turnstile_token: RwSignal<Option<String>>,
    ) -> Ctx {
        let Setup {
            spec,
            spec_hash,
            submit_url,
            i18n,
            uid,
        } = setup;
        let now = platform::now_ms();
        let pending = store::pending(&spec.id);
        let mut known = store::known_fields(&spec.id);
        if let Some(pending) = &pending {
            // Queued answers count as given: they will be delivered.
            store::add_sorted(&mut known, pending.answered.iter().cloned());
        }
        let visitor_id = store::visitor_id();
        // The experiment variant of this visitor (sticky: the id is kept),
        // and the form as that variant shows it.
        let mut spec = spec;
        let chosen = leadform_shared::analytics::assign(&spec, &visitor_id).map(|v| v.id.clone());
        let shown = chosen.as_ref().and_then(|id| {
            let at = spec.variants.iter().position(|v| v.id == *id)?;
            Some(spec.variants.swap_remove(at))
        });
        let spec = leadform_shared::analytics::apply_owned(spec, shown.as_ref());
        let variant = chosen;
        let beacons = Beacons::new(
            spec.analytics,
            &submit_url,
            &spec.id,
            variant.clone(),
            &visitor_id,
        );
        let mut attribution = crate::attribution::capture(now);
        attribution.current.variant = variant;
        let selection = leadform_shared::select_fields(&spec, &known);
        let values = initial_values(&spec, &selection);
        beacons.watch(&root);
        let ctx = Ctx(Box::leak(Box::new(Form {
            spec_hash,
            selection,
            submit_url,
            uid,
            i18n,
            visitor_id,
            attribution,
            beacons,
            started_at_ms: now,
            hidden: StoredValue::new((0, platform::page_hidden().then_some(now))),
            root: StoredValue::new_local(root),
            values: RwSignal::new(values),
            errors: RwSignal::new(FieldMap::new()),
            consents: RwSignal::new(FieldMap::new()),
            consent_errors: RwSignal::new(FieldMap::new()),
            step: RwSignal::new(0),
            status: RwSignal::new(Status::Idle),
            notice: RwSignal::new(None),
            honeypot: RwSignal::new(String::new()),
            turnstile_token,
            retry: StoredValue::new(None),
            submit: Action::new_local(|(ctx, pending): &(Ctx, Pending)| {
                let (ctx, pending) = (*ctx, pending.clone());
                async move {
                    let outcome = submit::post(&ctx.submit_url, &pending.envelope).await;
                    ctx.delivered(pending, outcome);
                }
            }),
            spec,
        })));
        ctx.track_visibility();
        if let Some(pending) = pending {
            ctx.resend_earlier(pending);
        }
        ctx
    }

    pub fn dom_id(&self, field_id: &str) -> String {
        concat(&[&self.uid, "-", field_id])
    }

    pub fn consent_dom_id(&self, consent_id: &str) -> String {
        concat(&[&self.uid, "-consent-", consent_id])
    }

    pub fn success_dom_id(&self) -> String {
        concat(&[&self.uid, "-success"])
    }

    pub fn honeypot_dom_id(&self) -> String {
        concat(&[&self.uid, "-website"])
    }

    /// The text value of a field ("" when empty or not text).
    pub fn text(&self, id: &str) -> String {
        self.values.with(|values| match values.get(id) {
            Some(FieldValue::Text(text)) => text.clone(),
            _ => String::new(),
        })
    }

    /// Sets a field's raw value; re-checks it when an error is showing so the
    /// message disappears as soon as the input is fixed.
    pub fn set_value(&self, id: &str, value: Option<FieldValue>) {
        let len = |v: Option<&FieldValue>| match v {
            Some(FieldValue::Text(text)) => text.len(),
            _ => 0,
        };
        let before = self.values.with_untracked(|values| len(values.get(id)));
        self.beacons.input(id, before, len(value.as_ref()));
        self.values.update(|values| match value {
            Some(value) => {
                values.insert(id.to_owned(), value);
            }
            None => {
                values.remove(id);
            }
        });
        if self.errors.with_untracked(|e| e.contains_key(id)) {
            // Re-checked while typing: not a new error shown to count.
            self.check(id, false);
        }
    }

    /// Validates one field with the shared rules and shows or clears its error.
    pub fn check_field(&self, id: &str) -> Option<ErrorCode> {
        self.check(id, true)
    }

    /// [`Ctx::check_field`]; `count` sends a beacon for a newly shown error
    /// (on blur and submit, not on every keystroke of a re-check).
    fn check(&self, id: &str, count: bool) -> Option<ErrorCode> {
        let field = self.spec.field(id)?;
        let result = self
            .values
            .with_untracked(|values| validate_field(field, values.get(id)));
        let error = result.as_ref().err().copied();
        let shown = self.errors.with_untracked(|e| e.get(id).copied());
        if let Some(code) = error.filter(|code| count && shown != Some(*code)) {
            self.beacons.error(id, code);
        }
        self.errors.update(|errors| match error {
            Some(code) => {
                errors.insert(id.to_owned(), code);
            }
            None => {
                errors.remove(id);
            }
        });
        if let (FieldKind::Phone, Ok(Some(FieldValue::Text(e164)))) = (field.kind, result) {
            // Show the normalised number once the visitor leaves the field.
            self.values.update(|values| {
                values.insert(id.to_owned(), FieldValue::Text(e164));
            });
        }
        error
    }

    /// Blur: check fields that hold something or already show an error, so
    /// tabbing through an empty form does not paint it red.
    pub fn blur(&self, id: &str) {
        self.beacons.blur(id);
        let filled = self
            .values
            .with_untracked(|values| values.get(id).is_some_and(|v| !v.is_empty()));
        if filled || self.errors.with_untracked(|e| e.contains_key(id)) {
            self.check_field(id);
        }
    }

    pub fn visible(&self, field: &FieldSpec) -> bool {
        self.values
            .with(|values| is_visible(&self.spec, field, values))
    }

    fn visible_untracked(&self, field: &FieldSpec) -> bool {
        self.values
            .with_untracked(|values| is_visible(&self.spec, field, values))
    }

    fn step_fields(&self, index: usize) -> Vec<&FieldSpec> {
        self.selection
            .steps
            .get(index)
            .map(|step| {
                step.fields
                    .iter()
                    .filter_map(|id| self.spec.field(id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Validates the visible fields of a step; returns the DOM ids of the
    /// fields in error, in order.
    fn check_step(&self, index: usize) -> Vec<String> {
        let mut bad = Vec::new();
        for field in self.step_fields(index) {
            if !self.visible_untracked(field) {
                self.errors.update(|e| {
                    e.remove(&field.id);
                });
                continue;
            }
            if self.check_field(&field.id).is_some() {
                bad.push(self.dom_id(&field.id));
            }
        }
        bad
    }

    /// Checks the required consents shown on step `index`; returns the
    /// DOM ids of those left unticked, in order.
    fn check_consents(&self, index: usize) -> Vec<String> {
        let mut bad = Vec::new();
        let ticked = self.consents.get_untracked();
        let shown_here = |block: &&ConsentBlock| self.consent_step(block) == index;
        for block in self.spec.consents.iter().filter(shown_here) {
            let missing =
                block.required && !ticked.get(&block.id).is_some_and(|(checked, _)| *checked);
            self.consent_errors.update(|errors| {
                if missing {
                    errors.insert(block.id.clone(), ErrorCode::ConsentRequired);
                } else {
                    errors.remove(&block.id);
                }
            });
            if missing {
                bad.push(self.consent_dom_id(&block.id));
            }
        }
        bad
    }

    /// Moves focus to the element with `dom_id` once the views have caught
    /// up: Leptos applies signal changes to the DOM in a microtask, so the
    /// step or message that holds the element may still be hidden now; a
    /// zero-delay timer runs after every pending microtask.
    fn focus(&self, dom_id: String) {
        let root = self.root;
        set_timeout(
            move || {
                let element = root
                    .with_value(|root| root.query_selector(&concat(&["#", &dom_id])))
                    .ok()
                    .flatten()
                    // Every element of the form is an HTML element.
                    .map(|e| e.unchecked_into::<web_sys::HtmlElement>());
                if let Some(element) = element {
                    let _ = element.focus();
                }
            },
            std::time::Duration::ZERO,
        );
    }

    fn focus_first_field(&self, index: usize) {
        let first = self
            .step_fields(index)
            .into_iter()
            .find(|f| f.kind != FieldKind::Hidden && self.visible_untracked(f))
            .map(|f| self.dom_id(&f.id));
        if let Some(id) = first {
            self.focus(id);
        }
    }

    /// The step a consent block is shown on: the one holding the fields it
    /// covers (`Selection::consent_step`), else the last.
    pub fn consent_step(&self, block: &ConsentBlock) -> usize {
        self.selection.consent_step(&self.spec, &block.id)
    }

    pub fn is_last_step(&self) -> bool {
        self.step.get() + 1 >= self.selection.steps.len()
    }

    /// Enter / Next / Submit: validate the current step, then advance or send.
    pub fn on_submit(&self) {
        if matches!(
            self.status.get_untracked(),
            Status::Sending | Status::Success
        ) {
            return;
        }
        let step = self.step.get_untracked();
        if step + 1 >= self.selection.steps.len() {
            self.beacons.submit();
        }
        // The step's fields, then the consents shown with them.
        let mut bad = self.check_step(step);
        bad.extend(self.check_consents(step));
        if let Some(first) = bad.into_iter().next() {
            self.status.set(Status::Invalid);
            self.focus(first);
            return;
        }
        if step + 1 < self.selection.steps.len() {
            self.status.set(Status::Idle);
            self.step.set(step + 1);
            self.beacons.step(step + 1);
            self.focus_first_field(step + 1);
            return;
        }
        self.send();
    }

    pub fn back(&self) {
        let step = self.step.get_untracked();
        if step > 0 {
            self.status.set(Status::Idle);
            self.step.set(step - 1);
            self.focus_first_field(step - 1);
        }
    }

    fn time_to_fill(&self, now: u64) -> u64 {
        let (hidden_total, hidden_since) = self.hidden.get_value();
        let hidden_now = hidden_since.map_or(0, |since| now.saturating_sub(since));
        now.saturating_sub(self.started_at_ms)
            .saturating_sub(hidden_total + hidden_now)
            .min(MAX_FILL_MS)
    }

    fn track_visibility(&self) {
        let hidden = self.hidden;
        let Some(document) = platform::window().document() else {
            return;
        };
        // Lives as long as the page, like the form.
        platform::on(
            &document,
            "visibilitychange",
            Box::new(move || {
                let now = platform::now_ms();
                let is_hidden = platform::page_hidden();
                hidden.update_value(|(total, since)| {
                    if is_hidden {
                        since.get_or_insert(now);
                    } else if let Some(start) = since.take() {
                        *total += now.saturating_sub(start);
                    }
                });
            }),
        );
    }

    /// Builds the envelope of this visit's answers, or shows the issues the
    /// shared rules find.
    fn build(&self) -> Result<Pending, Vec<(String, ErrorCode)>> {
        let asked = self.selection.field_ids();
        let mut values = self.values.get_untracked();
        values.retain(|id, _| asked.contains(id));
        let now = platform::now_ms();
        let ticked = self.consents.get_untracked();
        let records: Vec<ConsentRecord> = self
            .spec
            .consents
            .iter()
            .map(|block| {
                let (checked, at) = ticked.get(&block.id).copied().unwrap_or((false, now));
                ConsentRecord::capture(block, checked, at)
            })
            .collect();
        let clean =
            validate_submission(&self.spec, &asked, &values, &records).map_err(|issues| {
                issues
                    .into_iter()
                    .map(|i| (i.field, i.code))
                    .collect::<Vec<_>>()
            })?;
        // Answered = asked and shown (left blank counts: it was offered).
        let answered: Vec<String> = self
            .spec
            .fields
            .iter()
            .filter(|f| asked.contains(&f.id) && f.kind != FieldKind::Hidden)
            .filter(|f| values_visible(&self.spec, f, &values))
            .map(|f| f.id.clone())
            .collect();
        let mut prefill = clean.values.clone();
        prefill.retain(|id, _| self.spec.field(id).is_some_and(|f| f.prefill));
        store::save_prefill(&self.spec.id, prefill);
        let submission_id = platform::random_token().unwrap_or_else(|_| store::fallback_token());
        let envelope = SubmissionEnvelope {
            version: ENVELOPE_VERSION,
            form_id: self.spec.id.clone(),
            spec_hash: self.spec_hash.clone(),
            submission_id,
            visitor_id: self.visitor_id.clone(),
            asked,
            fields: clean.values,
            consents: clean.consents,
            attribution: self.attribution.clone(),
            timings: Timings {
                started_at_ms: self.started_at_ms,
                submitted_at_ms: now.max(self.started_at_ms),
                time_to_fill_ms: self.time_to_fill(now),
            },
            honeypot: self.honeypot.get_untracked(),
            turnstile_token: self.turnstile_token.get_untracked(),
            page_url: cut(&platform::page_url(), MAX_URL_BYTES),
            lang: self.i18n.lang,
        };
        Ok(Pending {
            envelope: platform::to_json(&envelope).unwrap_or_default(),
            answered,
        })
    }

    fn send(&self) {
        match self.build() {
            Ok(pending) => self.deliver(pending),
            Err(issues) => self.show_issues(&issues, None),
        }
    }

    /// Retry button: resend the kept submission (same `submission_id`).
    pub fn retry_now(&self) {
        if let Some(pending) = self.retry.get_value() {
            self.deliver(pending);
        }
    }

    /// Dispatches the submit action (at most one send at a time).
    fn deliver(&self, pending: Pending) {
        if self.submit.pending().get_untracked() {
            return;
        }
        self.status.set(Status::Sending);
        self.submit.dispatch_local((*self, pending));
    }

    /// What the submit action does with the edge's answer.
    fn delivered(&self, pending: Pending, outcome: Outcome) {
        match outcome {
            Outcome::Accepted { .. } => {
                store::clear_pending(&self.spec.id);
                store::add_known_fields(&self.spec.id, pending.answered);
                self.retry.set_value(None);
                self.beacons.accepted();
                self.succeed();
            }
            Outcome::Refused(refusal) => {
                store::clear_pending(&self.spec.id);
                self.retry.set_value(None);
                self.show_refusal(refusal);
            }
            Outcome::Retry => {
                store::save_pending(&self.spec.id, &pending);
                self.retry.set_value(Some(pending));
                self.status.set(Status::Offline);
            }
        }
    }

    /// A submission kept from an earlier visit: send it in the background.
    fn resend_earlier(&self, pending: Pending) {
        let ctx = *self;
        leptos::task::spawn_local(async move {
            match submit::post(&ctx.submit_url, &pending.envelope).await {
                Outcome::Accepted { .. } => {
                    store::clear_pending(&ctx.spec.id);
                    store::add_known_fields(&ctx.spec.id, pending.answered);
                    ctx.notice.set(Some(UiText::EarlierSent));
                }
                // Refused for good (e.g. the form changed since): drop it.
                Outcome::Refused(_) => store::clear_pending(&ctx.spec.id),
                Outcome::Retry => {}
            }
        });
    }

    fn succeed(&self) {
        if let Some(url) = &self.spec.success.redirect_url {
            if platform::window().location().assign(url).is_ok() {
                self.status.set(Status::Success);
                return;
            }
        }
        self.status.set(Status::Success);
        self.focus(self.success_dom_id());
    }

    fn show_refusal(&self, refusal: Refusal) {
        self.show_issues(&refusal.issues, refusal.code);
    }

    /// Shows issues (from `shared` or the edge) inline, on the step holding
    /// the first one, and focuses it.
    fn show_issues(&self, issues: &[(String, ErrorCode)], code: Option<ErrorCode>) {
        let mut field_errors = FieldMap::new();
        let mut consent_errors = FieldMap::new();
        // An issue of the whole form (`lead.not_contactable`, field "") is
        // what the status line says, before the envelope's own code.
        let mut form_issue = None;
        for (id, issue) in issues {
            // The first issue of an id is the one shown.
            let errors = if self.spec.field(id).is_some() {
                &mut field_errors
            } else if self.spec.consent(id).is_some() {
                &mut consent_errors
            } else {
                if id.is_empty() && form_issue.is_none() {
                    form_issue = Some(*issue);
                }
                continue;
            };
            if !errors.contains_key(id) {
                errors.insert(id.clone(), *issue);
            }
        }
        let first_field = self
            .selection
            .steps
            .iter()
            .enumerate()
            .flat_map(|(i, step)| step.fields.iter().map(move |id| (i, id)))
            .find(|(_, id)| field_errors.contains_key(id));
        let first_consent = self
            .spec
            .consents
            .iter()
            .find(|b| consent_errors.contains_key(&b.id));
        let code = form_issue.or(code);
        let generic = field_errors.is_empty() && consent_errors.is_empty();
        self.errors.set(field_errors);
        self.consent_errors.set(consent_errors);
        self.status.set(if generic {
            Status::Refused(code)
        } else {
            Status::Invalid
        });
        if let Some((step, id)) = first_field {
            self.step.set(step);
            self.focus(self.dom_id(id));
        } else if let Some(block) = first_consent {
            self.step.set(self.consent_step(block));
            self.focus(self.consent_dom_id(&block.id));
        }
    }
}

fn values_visible(spec: &FormSpec, field: &FieldSpec, values: &FieldMap<FieldValue>) -> bool {
    is_visible(spec, field, values)
}

/// Starting values: hidden fields from the page URL or their default, prefill
/// values the spec allows.
fn initial_values(spec: &FormSpec, selection: &Selection) -> FieldMap<FieldValue> {
    let asked = selection.field_ids();
    let prefill = store::prefill_values(&spec.id);
    let mut values = FieldMap::new();
    for field in spec.fields.iter().filter(|f| asked.contains(&f.id)) {
        if field.kind == FieldKind::Hidden {
            let from_page = platform::query_param(&field.id);
            if let Some(value) = from_page.or_else(|| field.default_value.clone()) {
                values.insert(field.id.clone(), FieldValue::Text(value));
            }
        } else if field.prefill {
            if let Some(value) = prefill.get(&field.id) {
                values.insert(field.id.clone(), value.clone());
            }
        }
    }
    values
}
