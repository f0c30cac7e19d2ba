//! The form itself: state, the step/submit flow and the Leptos views.
//!
//! Everything the visitor sees is derived from the public [`FormSpec`]: the
//! fields of this visit come from `leadform_shared::select_fields`, every value
//! is checked with `leadform_shared::validate_field` on blur and again with
//! `validate_submission` (the edge's own rule set) before sending. This module
//! must not invent validation rules or reword consent text: both belong to
//! `shared` and the spec.

use std::collections::{BTreeMap, BTreeSet};

use crate::idmap::IdMap;
use std::sync::Arc;
use std::time::Duration;

use leadform_shared::envelope::{Attribution, Timings, ENVELOPE_VERSION, MAX_URL_BYTES};
use leadform_shared::messages::message;
use leadform_shared::profiling::Step;
use leadform_shared::validate::is_visible;
use leadform_shared::{
    validate_field, validate_submission, ConsentBlock, ConsentRecord, ErrorCode, FieldKind,
    FieldSpec, FieldValue, FormSpec, Lang, Selection, SubmissionEnvelope,
};
use leptos::ev;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::attribution::cut;
use crate::i18n::{lang_tag, step_of, t, Text};
use crate::platform;
use crate::store::{self, Pending};
use crate::submit::{self, Outcome, Refusal};

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

/// Everything one mounted form shares between its views and handlers.
#[derive(Clone)]
pub struct Ctx {
    pub spec: Arc<FormSpec>,
    pub selection: Arc<Selection>,
    spec_hash: Arc<str>,
    submit_url: Arc<str>,
    /// DOM id prefix, unique per mounted form on the page.
    uid: Arc<str>,
    pub lang: Lang,
    visitor_id: Arc<str>,
    attribution: Arc<Attribution>,
    started_at_ms: u64,
    /// (total hidden ms, hidden since) for time-to-fill.
    hidden: StoredValue<(u64, Option<u64>)>,
    root: Arc<SendWrapper<web_sys::HtmlElement>>,
    pub values: RwSignal<BTreeMap<String, FieldValue>>,
    pub errors: RwSignal<IdMap<ErrorCode>>,
    /// Consent id → (ticked, when last changed).
    pub consents: RwSignal<IdMap<(bool, u64)>>,
    pub consent_errors: RwSignal<IdMap<ErrorCode>>,
    pub step: RwSignal<usize>,
    pub status: RwSignal<Status>,
    notice: RwSignal<Option<Text>>,
    honeypot: RwSignal<String>,
    pub turnstile_token: RwSignal<Option<String>>,
    /// The submission to resend when the visitor presses Retry.
    retry: StoredValue<Option<Pending>>,
}

/// What [`Ctx::new`] needs besides the DOM root.
pub struct Setup {
    pub spec: FormSpec,
    /// [`FormSpec::public_hash`] of `spec` (the hash of the served JSON).
    pub spec_hash: String,
    pub submit_url: String,
    pub lang: Lang,
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
            lang,
            uid,
        } = setup;
        let now = platform::now_ms();
        let pending = store::pending(&spec.id);
        let mut known: BTreeSet<String> = store::known_fields(&spec.id);
        if let Some(pending) = &pending {
            // Queued answers count as given: they will be delivered.
            known.extend(pending.answered.iter().cloned());
        }
        let selection = leadform_shared::select_fields(&spec, &known);
        let values = initial_values(&spec, &selection);
        let ctx = Ctx {
            spec_hash: spec_hash.into(),
            selection: Arc::new(selection),
            submit_url: submit_url.into(),
            uid: uid.into(),
            lang,
            visitor_id: store::visitor_id().into(),
            attribution: Arc::new(crate::attribution::capture(now)),
            started_at_ms: now,
            hidden: StoredValue::new((0, platform::page_hidden().then_some(now))),
            root: Arc::new(SendWrapper::new(root)),
            values: RwSignal::new(values),
            errors: RwSignal::new(IdMap::default()),
            consents: RwSignal::new(IdMap::default()),
            consent_errors: RwSignal::new(IdMap::default()),
            step: RwSignal::new(0),
            status: RwSignal::new(Status::Idle),
            notice: RwSignal::new(None),
            honeypot: RwSignal::new(String::new()),
            turnstile_token,
            retry: StoredValue::new(None),
            spec: Arc::new(spec),
        };
        ctx.track_visibility();
        if let Some(pending) = pending {
            ctx.resend_earlier(pending);
        }
        ctx
    }

    pub fn dom_id(&self, field_id: &str) -> String {
        format!("{}-{field_id}", self.uid)
    }

    pub fn consent_dom_id(&self, consent_id: &str) -> String {
        format!("{}-consent-{consent_id}", self.uid)
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
        self.values.update(|values| match value {
            Some(value) => {
                values.insert(id.to_owned(), value);
            }
            None => {
                values.remove(id);
            }
        });
        if self.errors.with_untracked(|e| e.contains_key(id)) {
            self.check_field(id);
        }
    }

    /// Validates one field with the shared rules and shows or clears its error.
    pub fn check_field(&self, id: &str) -> Option<ErrorCode> {
        let field = self.spec.field(id)?;
        let result = self
            .values
            .with_untracked(|values| validate_field(field, values.get(id)));
        let error = result.as_ref().err().copied();
        self.errors.update(|errors| match error {
            Some(code) => errors.insert(id, code),
            None => errors.remove(id),
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
                self.errors.update(|e| e.remove(&field.id));
                continue;
            }
            if self.check_field(&field.id).is_some() {
                bad.push(self.dom_id(&field.id));
            }
        }
        bad
    }

    fn check_consents(&self) -> Vec<String> {
        let mut bad = Vec::new();
        let ticked = self.consents.get_untracked();
        let mut errors = IdMap::default();
        for block in self.spec.consents.iter().filter(|b| b.required) {
            if !ticked.get(&block.id).is_some_and(|(checked, _)| *checked) {
                errors.insert(&block.id, ErrorCode::ConsentRequired);
                bad.push(self.consent_dom_id(&block.id));
            }
        }
        self.consent_errors.set(errors);
        bad
    }

    /// Moves focus to the element with `dom_id` once the DOM has settled.
    fn focus(&self, dom_id: String) {
        let root = Arc::clone(&self.root);
        set_timeout(
            move || {
                let element = root
                    .query_selector(&format!("#{dom_id}"))
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(element) = element {
                    let _ = element.focus();
                }
            },
            Duration::ZERO,
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
        let bad = self.check_step(step);
        if let Some(first) = bad.into_iter().next() {
            self.status.set(Status::Invalid);
            self.focus(first);
            return;
        }
        if step + 1 < self.selection.steps.len() {
            self.status.set(Status::Idle);
            self.step.set(step + 1);
            self.focus_first_field(step + 1);
            return;
        }
        if let Some(first) = self.check_consents().into_iter().next() {
            self.status.set(Status::Invalid);
            self.focus(first);
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
        let on_change = Closure::<dyn FnMut()>::new(move || {
            let now = platform::now_ms();
            let is_hidden = platform::page_hidden();
            hidden.update_value(|(total, since)| {
                if is_hidden {
                    since.get_or_insert(now);
                } else if let Some(start) = since.take() {
                    *total += now.saturating_sub(start);
                }
            });
        });
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            let _ = document.add_event_listener_with_callback(
                "visibilitychange",
                on_change.as_ref().unchecked_ref(),
            );
        }
        // Lives as long as the page, like the form.
        on_change.forget();
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
            spec_hash: self.spec_hash.to_string(),
            submission_id,
            visitor_id: self.visitor_id.to_string(),
            asked,
            fields: clean.values,
            consents: clean.consents,
            attribution: (*self.attribution).clone(),
            timings: Timings {
                started_at_ms: self.started_at_ms,
                submitted_at_ms: now.max(self.started_at_ms),
                time_to_fill_ms: self.time_to_fill(now),
            },
            honeypot: self.honeypot.get_untracked(),
            turnstile_token: self.turnstile_token.get_untracked(),
            page_url: cut(&platform::page_url(), MAX_URL_BYTES),
            lang: self.lang,
        };
        Ok(Pending {
            envelope: envelope.to_json(),
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

    fn deliver(&self, pending: Pending) {
        self.status.set(Status::Sending);
        let ctx = self.clone();
        leptos::task::spawn_local(async move {
            let outcome = submit::post(&ctx.submit_url, &pending.envelope).await;
            match outcome {
                Outcome::Accepted { .. } => {
                    store::clear_pending(&ctx.spec.id);
                    store::add_known_fields(&ctx.spec.id, pending.answered);
                    ctx.retry.set_value(None);
                    ctx.succeed();
                }
                Outcome::Refused(refusal) => {
                    store::clear_pending(&ctx.spec.id);
                    ctx.retry.set_value(None);
                    ctx.show_refusal(refusal);
                }
                Outcome::Retry => {
                    store::save_pending(&ctx.spec.id, &pending);
                    ctx.retry.set_value(Some(pending));
                    ctx.status.set(Status::Offline);
                }
            }
        });
    }

    /// A submission kept from an earlier visit: send it in the background.
    fn resend_earlier(&self, pending: Pending) {
        let ctx = self.clone();
        leptos::task::spawn_local(async move {
            match submit::post(&ctx.submit_url, &pending.envelope).await {
                Outcome::Accepted { .. } => {
                    store::clear_pending(&ctx.spec.id);
                    store::add_known_fields(&ctx.spec.id, pending.answered);
                    ctx.notice.set(Some(Text::EarlierSent));
                }
                // Refused for good (e.g. the form changed since): drop it.
                Outcome::Refused(_) => store::clear_pending(&ctx.spec.id),
                Outcome::Retry => {}
            }
        });
    }

    fn succeed(&self) {
        if let Some(url) = &self.spec.success.redirect_url {
            if let Some(window) = web_sys::window() {
                if window.location().assign(url).is_ok() {
                    self.status.set(Status::Success);
                    return;
                }
            }
        }
        self.status.set(Status::Success);
        self.focus(format!("{}-success", self.uid));
    }

    fn show_refusal(&self, refusal: Refusal) {
        self.show_issues(&refusal.issues, refusal.code);
    }

    /// Shows issues (from `shared` or the edge) inline, on the step holding
    /// the first one, and focuses it.
    fn show_issues(&self, issues: &[(String, ErrorCode)], code: Option<ErrorCode>) {
        let mut field_errors = IdMap::default();
        let mut consent_errors = IdMap::default();
        for (id, code) in issues {
            if self.spec.field(id).is_some() {
                field_errors.insert_first(id, *code);
            } else if self.spec.consent(id).is_some() {
                consent_errors.insert_first(id, *code);
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
            self.step.set(self.selection.steps.len().saturating_sub(1));
            self.focus(self.consent_dom_id(&block.id));
        }
    }
}

fn values_visible(
    spec: &FormSpec,
    field: &FieldSpec,
    values: &BTreeMap<String, FieldValue>,
) -> bool {
    is_visible(spec, field, values)
}

/// Starting values: hidden fields from the page URL or their default, prefill
/// values the spec allows.
fn initial_values(spec: &FormSpec, selection: &Selection) -> BTreeMap<String, FieldValue> {
    let asked = selection.field_ids();
    let params = platform::query_params();
    let prefill = store::prefill_values(&spec.id);
    let mut values = BTreeMap::new();
    for field in spec.fields.iter().filter(|f| asked.contains(&f.id)) {
        if field.kind == FieldKind::Hidden {
            let from_page = params
                .iter()
                .find(|(key, _)| *key == field.id)
                .map(|(_, v)| v.clone());
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

/// The whole form.
pub fn app(ctx: Ctx, theme: Option<String>) -> impl IntoView {
    let lang = ctx.lang;
    let status = ctx.status;
    let step = ctx.step;
    let notice = ctx.notice;
    let steps_total = ctx.selection.steps.len();
    let title = ctx
        .spec
        .title
        .clone()
        .map(|text| view! { <h2 class="lf-title">{text}</h2> });
    let intro = ctx
        .spec
        .intro
        .clone()
        .map(|text| view! { <p class="lf-intro">{text}</p> });
    let progress = progress_view(&ctx);
    let steps = ctx
        .selection
        .steps
        .iter()
        .enumerate()
        .map(|(index, s)| step_view(&ctx, index, s))
        .collect_view();
    let consents = consents_view(&ctx);
    let honeypot = honeypot_view(&ctx);
    let turnstile = ctx
        .spec
        .anti_spam
        .turnstile_site_key
        .is_some()
        .then(|| view! { <div class="lf-turnstile"><slot name="turnstile"></slot></div> });
    let on_submit = {
        let ctx = ctx.clone();
        move |ev: ev::SubmitEvent| {
            ev.prevent_default();
            ctx.on_submit();
        }
    };
    let on_back = {
        let ctx = ctx.clone();
        move |_: ev::MouseEvent| ctx.back()
    };
    let retry = {
        let ctx = ctx.clone();
        move || {
            let ctx = ctx.clone();
            (status.get() == Status::Offline).then(move || {
                view! {
                    <button type="button" class="lf-button lf-secondary" on:click=move |_| ctx.retry_now()>
                        {t(lang, Text::Retry)}
                    </button>
                }
            })
        }
    };
    let status_text = move || match status.get() {
        Status::Invalid => t(lang, Text::FixErrors),
        Status::Sending => t(lang, Text::Sending),
        Status::Offline => t(lang, Text::SavedOffline),
        Status::Refused(Some(code)) => message(code, lang),
        Status::Refused(None) => t(lang, Text::NotAccepted),
        Status::Idle | Status::Success => notice.get().map_or("", |n| t(lang, n)),
    };
    let is_error = move || {
        matches!(
            status.get(),
            Status::Invalid | Status::Offline | Status::Refused(_)
        )
    };
    let submit_label = {
        let label = ctx.spec.submit_label.clone();
        move || {
            if status.get() == Status::Sending {
                t(lang, Text::Sending).to_owned()
            } else if step.get() + 1 < steps_total {
                t(lang, Text::Next).to_owned()
            } else {
                label.clone()
            }
        }
    };
    let success_message = ctx.spec.success.message.clone();
    let success_id = format!("{}-success", ctx.uid);
    view! {
        <div class="lf" data-theme=theme lang=lang_tag(lang)>
            {title}
            {intro}
            <form class="lf-form" novalidate=true hidden=move || status.get() == Status::Success on:submit=on_submit>
                {progress}
                {steps}
                {consents}
                {honeypot}
                {turnstile}
                <p class="lf-status" class:lf-status-error=is_error role="status" aria-live="polite">{status_text}</p>
                <div class="lf-actions">
                    <button type="button" class="lf-button lf-secondary" hidden=move || step.get() == 0 on:click=on_back>
                        {t(lang, Text::Back)}
                    </button>
                    {retry}
                    <button type="submit" class="lf-button lf-primary" aria-disabled=move || (status.get() == Status::Sending).then_some("true")>
                        {submit_label}
                    </button>
                </div>
            </form>
            <div class="lf-success" id=success_id role="status" tabindex="-1" hidden=move || status.get() != Status::Success>
                {success_message}
            </div>
        </div>
    }
}

fn progress_view(ctx: &Ctx) -> Option<impl IntoView> {
    let total = ctx.selection.stage_count;
    if total < 2 {
        return None;
    }
    let first = ctx.selection.first_stage_index;
    let step = ctx.step;
    let lang = ctx.lang;
    let current = move || (first + step.get() + 1).min(total);
    Some(view! {
        <div class="lf-progress">
            <p class="lf-progress-text">{move || step_of(lang, current(), total)}</p>
            <div class="lf-bar" aria-hidden="true">
                <div class="lf-bar-fill" style:width=move || format!("{}%", current() * 100 / total)></div>
            </div>
        </div>
    })
}

fn step_view(ctx: &Ctx, index: usize, step: &Step) -> impl IntoView {
    let current = ctx.step;
    let legend = step
        .title
        .clone()
        .map(|title| view! { <legend class="lf-legend">{title}</legend> });
    let fields = step
        .fields
        .iter()
        .filter_map(|id| ctx.spec.field(id).cloned())
        .map(|field| field_view(ctx, field))
        .collect_view();
    view! {
        <fieldset class="lf-step" hidden=move || current.get() != index>
            {legend}
            {fields}
        </fieldset>
    }
}

/// `aria-describedby` and `aria-invalid` of a field, kept in sync with its error.
#[derive(Clone)]
struct Aria {
    id: String,
    help_id: Option<String>,
    error_id: String,
    errors: RwSignal<IdMap<ErrorCode>>,
}

impl Aria {
    fn described_by(&self) -> impl Fn() -> Option<String> + Send + Sync + Clone + 'static {
        let aria = self.clone();
        move || {
            let mut ids: Vec<&str> = aria.help_id.iter().map(String::as_str).collect();
            let has_error = aria.errors.with(|e| e.contains_key(&aria.id));
            if has_error {
                ids.push(&aria.error_id);
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    }

    fn invalid(&self) -> impl Fn() -> Option<&'static str> + Send + Sync + Clone + 'static {
        let aria = self.clone();
        move || {
            aria.errors
                .with(|e| e.contains_key(&aria.id))
                .then_some("true")
        }
    }
}

fn default_autocomplete(kind: FieldKind) -> Option<&'static str> {
    match kind {
        FieldKind::Email => Some("email"),
        FieldKind::Phone => Some("tel"),
        FieldKind::PostalCode => Some("postal-code"),
        _ => None,
    }
}

fn field_view(ctx: &Ctx, field: FieldSpec) -> AnyView {
    let lang = ctx.lang;
    let id = field.id.clone();
    let dom_id = ctx.dom_id(&id);
    if field.kind == FieldKind::Hidden {
        let ctx = ctx.clone();
        return view! { <input type="hidden" name=id.clone() prop:value=move || ctx.text(&id) /> }
            .into_any();
    }
    let field_required = field.required;
    let aria = Aria {
        id: id.clone(),
        help_id: field.help.as_ref().map(|_| format!("{dom_id}-help")),
        error_id: format!("{dom_id}-error"),
        errors: ctx.errors,
    };
    let optional = move || {
        (!field_required).then(|| {
            view! { " " <span class="lf-optional">{t(lang, Text::Optional)}</span> }
        })
    };
    let help = field
        .help
        .clone()
        .map(|text| view! { <p class="lf-help" id=format!("{dom_id}-help")>{text}</p> });
    let error = {
        let errors = ctx.errors;
        let id = id.clone();
        let error_id = aria.error_id.clone();
        move || {
            errors.with(|e| e.get(&id).copied()).map(|code| {
                view! { <p class="lf-error" id=error_id.clone()>{message(code, lang)}</p> }
            })
        }
    };
    let shown = {
        let ctx = ctx.clone();
        let field = field.clone();
        move || !ctx.visible(&field)
    };
    let on_blur = {
        let ctx = ctx.clone();
        let id = id.clone();
        move |_: ev::FocusEvent| ctx.blur(&id)
    };
    let text_value = {
        let ctx = ctx.clone();
        let id = id.clone();
        move || ctx.text(&id)
    };
    let on_text = {
        let ctx = ctx.clone();
        let id = id.clone();
        move |ev: ev::Event| {
            let text = event_target_value(&ev);
            let value = (!text.is_empty()).then_some(FieldValue::Text(text));
            ctx.set_value(&id, value);
        }
    };
    let label = view! {
        <label class="lf-label" for=dom_id.clone()>{field.label.clone()}{optional()}</label>
    };
    let autocomplete = field
        .autocomplete
        .clone()
        .or_else(|| default_autocomplete(field.kind).map(str::to_owned));
    match field.kind {
        FieldKind::Checkbox => {
            let checked = {
                let ctx = ctx.clone();
                let id = id.clone();
                move || ctx.values.with(|v| v.get(&id) == Some(&FieldValue::Bool(true)))
            };
            let on_change = {
                let ctx = ctx.clone();
                let id = id.clone();
                move |ev: ev::Event| {
                    ctx.set_value(&id, Some(FieldValue::Bool(event_target_checked(&ev))))
                }
            };
            view! {
                <div class="lf-field" hidden=shown>
                    <div class="lf-choice">
                        <input type="checkbox" class="lf-box" id=dom_id.clone() name=id.clone()
                            required=field.required aria-invalid=aria.invalid() aria-describedby=aria.described_by()
                            prop:checked=checked on:change=on_change on:blur=on_blur />
                        {label}
                    </div>
                    {help}
                    {error}
                </div>
            }
            .into_any()
        }
        FieldKind::MultiSelect => {
            let choices = field
                .options
                .iter()
                .enumerate()
                .map(|(i, option)| {
                    let choice_id = if i == 0 {
                        dom_id.clone()
                    } else {
                        format!("{dom_id}-{i}")
                    };
                    let value = option.value.clone();
                    let checked = {
                        let ctx = ctx.clone();
                        let id = id.clone();
                        let value = value.clone();
                        move || {
                            ctx.values.with(|v| {
                                matches!(v.get(&id), Some(FieldValue::List(items)) if items.contains(&value))
                            })
                        }
                    };
                    let on_change = {
                        let ctx = ctx.clone();
                        let id = id.clone();
                        let value = value.clone();
                        move |ev: ev::Event| {
                            let on = event_target_checked(&ev);
                            let mut items = match ctx.values.get_untracked().remove(&id) {
                                Some(FieldValue::List(items)) => items,
                                _ => Vec::new(),
                            };
                            items.retain(|item| *item != value);
                            if on {
                                items.push(value.clone());
                            }
                            let next = (!items.is_empty()).then_some(FieldValue::List(items));
                            ctx.set_value(&id, next);
                        }
                    };
                    view! {
                        <div class="lf-choice">
                            <input type="checkbox" class="lf-box" id=choice_id.clone() name=id.clone() value=value
                                aria-invalid=aria.invalid() prop:checked=checked on:change=on_change />
                            <label for=choice_id>{option.label().to_owned()}</label>
                        </div>
                    }
                })
                .collect_view();
            let on_focusout = {
                let ctx = ctx.clone();
                let id = id.clone();
                move |ev: ev::FocusEvent| {
                    let group = ev
                        .current_target()
                        .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
                    let next = ev
                        .related_target()
                        .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
                    let inside = match (group, next) {
                        (Some(group), Some(next)) => group.contains(Some(&next)),
                        _ => false,
                    };
                    if !inside {
                        ctx.blur(&id);
                    }
                }
            };
            view! {
                <div class="lf-field" hidden=shown>
                    <fieldset class="lf-group" aria-describedby=aria.described_by() on:focusout=on_focusout>
                        <legend class="lf-label">{field.label.clone()}{optional()}</legend>
                        {help}
                        {choices}
                    </fieldset>
                    {error}
                </div>
            }
            .into_any()
        }
        FieldKind::Select => {
            let options = field
                .options
                .iter()
                .map(|option| {
                    let selected = {
                        let ctx = ctx.clone();
                        let id = id.clone();
                        let value = option.value.clone();
                        move || ctx.text(&id) == value
                    };
                    view! { <option value=option.value.clone() prop:selected=selected>{option.label().to_owned()}</option> }
                })
                .collect_view();
            view! {
                <div class="lf-field" hidden=shown>
                    {label}
                    {help}
                    <select class="lf-input" id=dom_id.clone() name=id.clone() autocomplete=autocomplete
                        required=field.required aria-invalid=aria.invalid() aria-describedby=aria.described_by()
                        on:change=on_text on:blur=on_blur>
                        <option value="">{t(lang, Text::ChooseOne)}</option>
                        {options}
                    </select>
                    {error}
                </div>
            }
            .into_any()
        }
        FieldKind::Textarea => view! {
            <div class="lf-field" hidden=shown>
                {label}
                {help}
                <textarea class="lf-input" id=dom_id.clone() name=id.clone() rows="4" autocomplete=autocomplete
                    placeholder=field.placeholder.clone() required=field.required
                    aria-invalid=aria.invalid() aria-describedby=aria.described_by()
                    prop:value=text_value on:input=on_text on:blur=on_blur></textarea>
                {error}
            </div>
        }
        .into_any(),
        kind => {
            let (input_type, input_mode) = match kind {
                FieldKind::Email => ("email", Some("email")),
                FieldKind::Phone => ("tel", Some("tel")),
                FieldKind::Number if field.allow_decimals => ("text", Some("decimal")),
                FieldKind::Number => ("text", Some("numeric")),
                _ => ("text", None),
            };
            let hint = (kind == FieldKind::Phone).then(|| {
                let ctx = ctx.clone();
                let field = field.clone();
                move || {
                    let raw = ctx.text(&field.id);
                    if raw.trim().is_empty() {
                        return None;
                    }
                    match validate_field(&field, Some(&FieldValue::Text(raw.clone()))) {
                        Ok(Some(FieldValue::Text(e164))) if e164 != raw.trim() => Some(view! {
                            <p class="lf-hint">{format!("{} {e164}", t(lang, Text::PhoneSentAs))}</p>
                        }),
                        _ => None,
                    }
                }
            });
            let spell = matches!(kind, FieldKind::Email | FieldKind::Phone | FieldKind::Number)
                .then_some("false");
            view! {
                <div class="lf-field" hidden=shown>
                    {label}
                    {help}
                    <input class="lf-input" id=dom_id.clone() name=id.clone() type=input_type inputmode=input_mode
                        autocomplete=autocomplete placeholder=field.placeholder.clone() spellcheck=spell
                        required=field.required aria-invalid=aria.invalid() aria-describedby=aria.described_by()
                        prop:value=text_value on:input=on_text on:blur=on_blur />
                    {hint}
                    {error}
                </div>
            }
            .into_any()
        }
    }
}

fn consents_view(ctx: &Ctx) -> Option<impl IntoView> {
    if ctx.spec.consents.is_empty() {
        return None;
    }
    let last = ctx.selection.steps.len().saturating_sub(1);
    let step = ctx.step;
    let blocks = ctx
        .spec
        .consents
        .iter()
        .map(|block| consent_view(ctx, block.clone()))
        .collect_view();
    Some(view! { <div class="lf-consents" hidden=move || step.get() != last>{blocks}</div> })
}

fn consent_view(ctx: &Ctx, block: ConsentBlock) -> impl IntoView {
    let lang = ctx.lang;
    let dom_id = ctx.consent_dom_id(&block.id);
    let aria = Aria {
        id: block.id.clone(),
        help_id: None,
        error_id: format!("{dom_id}-error"),
        errors: ctx.consent_errors,
    };
    let consents = ctx.consents;
    let consent_errors = ctx.consent_errors;
    let checked = {
        let id = block.id.clone();
        move || consents.with(|c| c.get(&id).is_some_and(|(on, _)| *on))
    };
    let on_change = {
        let id = block.id.clone();
        move |ev: ev::Event| {
            let on = event_target_checked(&ev);
            consents.update(|c| c.insert(&id, (on, platform::now_ms())));
            if on {
                consent_errors.update(|e| e.remove(&id));
            }
        }
    };
    let error = {
        let id = block.id.clone();
        let error_id = aria.error_id.clone();
        move || {
            consent_errors.with(|e| e.get(&id).copied()).map(|code| {
                view! { <p class="lf-error" id=error_id.clone()>{message(code, lang)}</p> }
            })
        }
    };
    let required = block
        .required
        .then(|| view! { <span class="lf-optional">{t(lang, Text::Required)}</span> });
    view! {
        <div class="lf-consent">
            <div class="lf-choice">
                <input type="checkbox" class="lf-box" id=dom_id.clone() name=format!("consent-{}", block.id)
                    required=block.required aria-invalid=aria.invalid() aria-describedby=aria.described_by()
                    prop:checked=checked on:change=on_change />
                <label class="lf-consent-text" for=dom_id>{block.text.clone()}</label>
            </div>
            {required}
            {error}
        </div>
    }
}

fn honeypot_view(ctx: &Ctx) -> impl IntoView {
    let honeypot = ctx.honeypot;
    let id = format!("{}-website", ctx.uid);
    view! {
        <div class="lf-hp" aria-hidden="true">
            <label for=id.clone()>{t(ctx.lang, Text::HoneypotLabel)}</label>
            <input type="text" id=id name="website" tabindex="-1" autocomplete="off"
                on:input=move |ev| honeypot.set(event_target_value(&ev)) />
        </div>
    }
}
