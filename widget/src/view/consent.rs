//! The consent blocks (the owner's exact disclosure texts, unticked), the
//! honeypot and the Turnstile slot.
//!
//! A disclosure is rendered as a text node, never parsed as HTML, and never
//! reworded. This module must not tick a box for the visitor.

use leadform_shared::messages::UiText;
use leadform_shared::ConsentBlock;
use leptos::prelude::*;

use super::fields::{Aria, FieldError};
use super::{ctx, leak};
use crate::platform;

/// Every consent block of the spec, shown on the step that holds the fields
/// it covers.
#[component]
pub(super) fn Consents() -> impl IntoView {
    let ctx = ctx();
    let form = ctx.form();
    let step = ctx.step;
    let blocks = form
        .spec
        .consents
        .iter()
        .map(|block| {
            let shown_on = ctx.consent_step(block);
            view! {
                <div class="lf-consent" hidden=move || step.get() != shown_on>
                    <Consent block=block/>
                </div>
            }
        })
        .collect_view();
    (!form.spec.consents.is_empty()).then(|| view! { <div class="lf-consents">{blocks}</div> })
}

/// One consent: an unticked checkbox, the exact disclosure as its label, and
/// "Required" when the form cannot be sent without it.
#[component]
fn Consent(block: &'static ConsentBlock) -> impl IntoView {
    let ctx = ctx();
    let i18n = &ctx.form().i18n;
    let id: &'static str = &block.id;
    let dom_id = ctx.consent_dom_id(id);
    let aria = Aria {
        id,
        help_id: None,
        error_id: leak(leadform_shared::concat(&[&dom_id, "-error"])),
        errors: ctx.consent_errors,
    };
    let (consents, consent_errors) = (ctx.consents, ctx.consent_errors);
    let checked = move || consents.with(|c| c.get(id).is_some_and(|(on, _)| *on));
    let on_change = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        consents.update(|c| {
            c.insert(id.to_owned(), (on, platform::now_ms()));
        });
        if on {
            consent_errors.update(|e| {
                e.remove(id);
            });
        }
    };
    view! {
        <div class="lf-choice">
            <input
                class="lf-box"
                type="checkbox"
                id=dom_id.clone()
                name=leadform_shared::concat(&["consent-", id])
                required=block.required
                aria-describedby=aria.described_by()
                aria-invalid=aria.invalid()
                prop:checked=checked
                on:change=on_change
            />
            <label class="lf-consent-text" for=dom_id>{block.text.as_str()}</label>
        </div>
        {block.required.then(|| view! { <span class="lf-optional">{i18n.t(UiText::Required)}</span> })}
        <FieldError aria=aria/>
    }
}

/// A field people never see or reach (off-screen, `tabindex=-1`,
/// `aria-hidden`) that bots fill in.
#[component]
pub(super) fn Honeypot() -> impl IntoView {
    let ctx = ctx();
    let honeypot = ctx.honeypot;
    let id = ctx.honeypot_dom_id();
    view! {
        <div class="lf-hp" aria-hidden="true">
            <label for=id.clone()>{ctx.form().i18n.t(UiText::HoneypotLabel)}</label>
            <input
                type="text"
                id=id
                name="website"
                tabindex="-1"
                autocomplete="off"
                on:input=move |ev| honeypot.set(event_target_value(&ev))
            />
        </div>
    }
}

/// Where the loader's Turnstile widget (light DOM, `slot="turnstile"`) shows.
#[component]
pub(super) fn TurnstileSlot() -> impl IntoView {
    let spec = &ctx().form().spec;
    spec.anti_spam.turnstile_site_key.is_some().then(|| {
        view! {
            <div class="lf-turnstile">
                <slot name="turnstile"></slot>
            </div>
        }
    })
}
