//! The form's views: Leptos components, one per thing the visitor sees
//! (the form, its progress, a step, each field shape, the consent blocks, the
//! status line, the buttons, the success message).
//!
//! What is rendered (classes, ids, `aria-*` wiring, the order of nodes) is the
//! widget's contract with its stylesheet and with assistive technology, and is
//! checked by the browser tests (`widget/tests/components.rs`,
//! `tests/tests/widget_browser.rs`). Components read the form's model
//! ([`Ctx`], from Leptos's context) and forward events to it; they must not
//! decide validity (that is `leadform_shared`, through `Ctx`) or reword the
//! owner's texts.

mod consent;
mod fields;

use leadform_shared::messages::UiText;
use leadform_shared::profiling::Step;
use leptos::prelude::*;

use crate::form::{Ctx, Status};
use consent::{Consents, Honeypot, TurnstileSlot};
use fields::Field;

/// The form's model, provided by [`crate::mount`] to every component.
pub fn ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// Keeps `text` for the page's lifetime, so handlers can copy a reference to
/// it instead of cloning (forms are never unmounted).
pub(crate) fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The whole form: title, intro, the steps of this visit, consents, anti-spam
/// slots, status line and buttons; the success message in its place once
/// the edge has accepted the lead.
#[component]
pub fn LeadForm(theme: Option<String>) -> impl IntoView {
    let ctx = ctx();
    let form = ctx.form();
    let status = ctx.status;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctx.on_submit();
    };
    view! {
        <div class="lf" data-theme=theme lang=form.i18n.lang.tag()>
            {form.spec.title.as_deref().map(|title| view! { <h2 class="lf-title">{title}</h2> })}
            {form.spec.intro.as_deref().map(|intro| view! { <p class="lf-intro">{intro}</p> })}
            <form class="lf-form" novalidate hidden=move || status.get() == Status::Success on:submit=on_submit>
                <Progress/>
                {form
                    .selection
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(index, step)| view! { <StepFields index=index step=step/> })
                    .collect_view()}
                <Consents/>
                <Honeypot/>
                <TurnstileSlot/>
                <StatusLine/>
                <Actions/>
            </form>
            <Success/>
        </div>
    }
}

/// "Step 2 of 3" and a bar, for forms of two or more stages.
#[component]
fn Progress() -> impl IntoView {
    let ctx = ctx();
    let form = ctx.form();
    let total = form.selection.stage_count;
    let first = form.selection.first_stage_index;
    let step = ctx.step;
    let current = move || (first + step.get() + 1).min(total.max(1));
    let width = move || {
        let percent = (current() * 100 / total.max(1)).to_string();
        leadform_shared::concat(&["width: ", &percent, "%"])
    };
    (total >= 2).then(|| {
        view! {
            <div class="lf-progress">
                <p class="lf-progress-text">{move || form.i18n.step_of(current(), total)}</p>
                <div class="lf-bar" aria-hidden="true">
                    <div class="lf-bar-fill" style=width></div>
                </div>
            </div>
        }
    })
}

/// One step of this visit: its fields, shown while it is the current step.
#[component]
fn StepFields(index: usize, step: &'static Step) -> impl IntoView {
    let ctx = ctx();
    let current = ctx.step;
    let spec = &ctx.form().spec;
    view! {
        <fieldset class="lf-step" hidden=move || current.get() != index>
            {step.title.as_deref().map(|title| view! { <legend class="lf-legend">{title}</legend> })}
            {step
                .fields
                .iter()
                .filter_map(|id| spec.field(id))
                .map(|field| view! { <Field field=field/> })
                .collect_view()}
        </fieldset>
    }
}

/// The polite live region: what the form is doing or what went wrong.
#[component]
fn StatusLine() -> impl IntoView {
    let ctx = ctx();
    let i18n = &ctx.form().i18n;
    let (status, notice) = (ctx.status, ctx.notice);
    let is_error = move || {
        matches!(
            status.get(),
            Status::Invalid | Status::Offline | Status::Refused(_)
        )
    };
    let text = move || match status.get() {
        Status::Invalid => i18n.t(UiText::FixErrors),
        Status::Sending => i18n.t(UiText::Sending),
        Status::Offline => i18n.t(UiText::SavedOffline),
        Status::Refused(Some(code)) => i18n.message(code),
        Status::Refused(None) => i18n.t(UiText::NotAccepted),
        Status::Idle | Status::Success => notice.get().map_or("", |n| i18n.t(n)),
    };
    view! {
        <p class="lf-status" class:lf-status-error=is_error role="status" aria-live="polite">
            {text}
        </p>
    }
}

/// Back, Try again (while the submission is kept offline) and Next/Submit,
/// which the submit action's pending state marks busy.
#[component]
fn Actions() -> impl IntoView {
    let ctx = ctx();
    let form = ctx.form();
    let i18n = &form.i18n;
    let (status, step) = (ctx.status, ctx.step);
    let sending = form.submit.pending();
    let steps_total = form.selection.steps.len();
    let label = move || {
        if sending.get() {
            i18n.t(UiText::Sending)
        } else if step.get() + 1 < steps_total {
            i18n.t(UiText::Next)
        } else {
            &form.spec.submit_label
        }
    };
    view! {
        <div class="lf-actions">
            <button
                type="button"
                class="lf-button lf-secondary"
                hidden=move || step.get() == 0
                on:click=move |_| ctx.back()
            >
                {i18n.t(UiText::Back)}
            </button>
            {move || {
                (status.get() == Status::Offline)
                    .then(|| {
                        view! {
                            <button type="button" class="lf-button lf-secondary" on:click=move |_| ctx.retry_now()>
                                {i18n.t(UiText::Retry)}
                            </button>
                        }
                    })
            }}
            <button
                type="submit"
                class="lf-button lf-primary"
                aria-disabled=move || sending.get().then_some("true")
            >
                {label}
            </button>
        </div>
    }
}

/// The owner's success message, focused when the lead is accepted.
#[component]
fn Success() -> impl IntoView {
    let ctx = ctx();
    let status = ctx.status;
    view! {
        <div
            class="lf-success"
            id=ctx.success_dom_id()
            role="status"
            tabindex="-1"
            hidden=move || status.get() != Status::Success
        >
            {ctx.form().spec.success.message.as_str()}
        </div>
    }
}
