//! One component per field shape: a single-line input (text, email, phone,
//! number, postal code), a textarea, a select, a checkbox, a group of
//! checkboxes (multi-select) and a hidden input; with the label, help, error
//! and phone-hint pieces they share.
//!
//! Every control's value lives in the form's model and is shown through
//! `prop:` bindings, so a value set by the model (a normalised phone number,
//! a prefill) shows at once and typing is never disturbed. This module must
//! not validate: it calls [`Ctx::blur`] and [`Ctx::set_value`].

use leadform_shared::messages::UiText;
use leadform_shared::{validate_field, ErrorCode, FieldKind, FieldMap, FieldSpec, FieldValue};
use leptos::prelude::*;

use super::{ctx, leak};
use crate::form::Ctx;

/// `aria-describedby` and `aria-invalid` of a control, following its error.
#[derive(Clone, Copy)]
pub(super) struct Aria {
    /// The field (or consent) id the errors are keyed by.
    pub id: &'static str,
    pub help_id: Option<&'static str>,
    pub error_id: &'static str,
    pub errors: RwSignal<FieldMap<ErrorCode>>,
}

impl Aria {
    fn for_field(ctx: Ctx, field: &'static FieldSpec) -> Aria {
        let dom_id = ctx.dom_id(&field.id);
        Aria {
            id: &field.id,
            help_id: field
                .help
                .as_ref()
                .map(|_| leak(leadform_shared::concat(&[&dom_id, "-help"]))),
            error_id: leak(leadform_shared::concat(&[&dom_id, "-error"])),
            errors: ctx.errors,
        }
    }

    pub fn has_error(self) -> bool {
        self.errors.with(|e| e.contains_key(self.id))
    }

    /// `aria-invalid`: `"true"` while the field shows an error.
    pub fn invalid(self) -> impl Fn() -> Option<&'static str> + Copy {
        move || self.has_error().then_some("true")
    }

    /// `aria-describedby`: the help text, then the error while there is one.
    pub fn described_by(self) -> impl Fn() -> Option<String> + Copy {
        move || match (self.help_id, self.has_error()) {
            (Some(help), true) => Some(leadform_shared::concat(&[help, " ", self.error_id])),
            (Some(help), false) => Some(help.to_owned()),
            (None, true) => Some(self.error_id.to_owned()),
            (None, false) => None,
        }
    }
}

/// The error message of a field or consent, present only while it has one.
#[component]
pub(super) fn FieldError(aria: Aria) -> impl IntoView {
    let i18n = &ctx().form().i18n;
    let code = Memo::new(move |_| aria.errors.with(|e| e.get(aria.id).copied()));
    move || {
        code.get().map(|code| {
            view! { <p class="lf-error" id=aria.error_id>{i18n.message(code)}</p> }
        })
    }
}

/// The label text, with " (optional)" for optional fields (a plain view
/// function: a component's props and untracked call cost the wasm more than
/// these two nodes).
fn label_text(field: &'static FieldSpec) -> impl IntoView {
    let i18n = &ctx().form().i18n;
    view! {
        {field.label.as_str()}
        {(!field.required)
            .then(|| view! { " " <span class="lf-optional">{i18n.t(UiText::Optional)}</span> })}
    }
}

/// The `<label>` of a single control (`for` its `dom_id`), then its help.
fn label_and_help(field: &'static FieldSpec, aria: Aria, dom_id: String) -> impl IntoView {
    view! {
        <label class="lf-label" for=dom_id>
            {label_text(field)}
        </label>
        {help(field, aria)}
    }
}

/// The field's help text, named by its `aria-describedby`.
fn help(field: &'static FieldSpec, aria: Aria) -> impl IntoView {
    field
        .help
        .as_deref()
        .map(|help| view! { <p class="lf-help" id=aria.help_id>{help}</p> })
}

/// A field of the form: the component of its shape, in a wrapper hidden
/// while its `show_when` condition does not hold.
#[component]
pub(super) fn Field(field: &'static FieldSpec) -> impl IntoView {
    let ctx = ctx();
    if field.kind == FieldKind::Hidden {
        return view! { <HiddenInput field=field/> }.into_any();
    }
    let aria = Aria::for_field(ctx, field);
    let control = match field.kind {
        FieldKind::Checkbox => view! { <CheckboxField field=field aria=aria/> }.into_any(),
        FieldKind::MultiSelect => view! { <ChoiceGroup field=field aria=aria/> }.into_any(),
        FieldKind::Select => view! { <SelectField field=field aria=aria/> }.into_any(),
        FieldKind::Textarea => view! { <TextArea field=field aria=aria/> }.into_any(),
        _ => view! { <TextInput field=field aria=aria/> }.into_any(),
    };
    view! {
        <div class="lf-field" hidden=move || !ctx.visible(field) on:focusin=move |_| ctx.beacons.focus(&field.id)>
            {control}
            <FieldError aria=aria/>
        </div>
    }
    .into_any()
}

/// The autocomplete token: the spec's, else the usual one for the kind.
fn autocomplete(field: &'static FieldSpec) -> Option<&'static str> {
    field.autocomplete.as_deref().or(match field.kind {
        FieldKind::Email => Some("email"),
        FieldKind::Phone => Some("tel"),
        FieldKind::PostalCode => Some("postal-code"),
        _ => None,
    })
}

/// What typing into a text-like control does: the raw text becomes the
/// field's value (none when empty).
fn on_text(ctx: Ctx, id: &'static str) -> impl Fn(leptos::ev::Event) + Copy {
    move |ev| {
        let text = event_target_value(&ev);
        let value = (!text.is_empty()).then_some(FieldValue::Text(text));
        ctx.set_value(id, value);
    }
}

/// `<input>` for text, email, phone, number and postal-code fields.
#[component]
fn TextInput(field: &'static FieldSpec, aria: Aria) -> impl IntoView {
    let ctx = ctx();
    let id: &'static str = &field.id;
    let dom_id = ctx.dom_id(id);
    let (input_type, input_mode) = match field.kind {
        FieldKind::Email => ("email", Some("email")),
        FieldKind::Phone => ("tel", Some("tel")),
        FieldKind::Number if field.allow_decimals => ("text", Some("decimal")),
        FieldKind::Number => ("text", Some("numeric")),
        _ => ("text", None),
    };
    let no_spellcheck = matches!(
        field.kind,
        FieldKind::Email | FieldKind::Phone | FieldKind::Number
    )
    .then_some("false");
    view! {
        {label_and_help(field, aria, dom_id.clone())}
        <input
            class="lf-input"
            id=dom_id
            name=id
            required=field.required
            type=input_type
            inputmode=input_mode
            autocomplete=autocomplete(field)
            placeholder=field.placeholder.as_deref()
            spellcheck=no_spellcheck
            aria-describedby=aria.described_by()
            aria-invalid=aria.invalid()
            prop:value=move || ctx.text(id)
            on:input=on_text(ctx, id)
            on:blur=move |_| ctx.blur(id)
        />
        {(field.kind == FieldKind::Phone).then(|| view! { <PhoneHint field=field/> })}
    }
}

/// "Will be sent as +1…" under a phone input, while the typed number differs
/// from its E.164 form.
#[component]
fn PhoneHint(field: &'static FieldSpec) -> impl IntoView {
    let ctx = ctx();
    let i18n = &ctx.form().i18n;
    let e164 = Memo::new(move |_| {
        let raw = ctx.text(&field.id);
        if raw.trim().is_empty() {
            return None;
        }
        match validate_field(field, Some(&FieldValue::Text(raw.clone()))) {
            Ok(Some(FieldValue::Text(e164))) if e164 != raw.trim() => Some(e164),
            _ => None,
        }
    });
    move || {
        e164.get()
            .map(|e164| view! { <p class="lf-hint">{i18n.t(UiText::PhoneSentAs)} " " {e164}</p> })
    }
}

#[component]
fn TextArea(field: &'static FieldSpec, aria: Aria) -> impl IntoView {
    let ctx = ctx();
    let id: &'static str = &field.id;
    let dom_id = ctx.dom_id(id);
    view! {
        {label_and_help(field, aria, dom_id.clone())}
        <textarea
            class="lf-input"
            id=dom_id
            name=id
            required=field.required
            rows="4"
            autocomplete=autocomplete(field)
            placeholder=field.placeholder.as_deref()
            aria-describedby=aria.described_by()
            aria-invalid=aria.invalid()
            prop:value=move || ctx.text(id)
            on:input=on_text(ctx, id)
            on:blur=move |_| ctx.blur(id)
        ></textarea>
    }
}

#[component]
fn SelectField(field: &'static FieldSpec, aria: Aria) -> impl IntoView {
    let ctx = ctx();
    let i18n = &ctx.form().i18n;
    let id: &'static str = &field.id;
    let dom_id = ctx.dom_id(id);
    view! {
        {label_and_help(field, aria, dom_id.clone())}
        <select
            class="lf-input"
            id=dom_id
            name=id
            required=field.required
            autocomplete=autocomplete(field)
            aria-describedby=aria.described_by()
            aria-invalid=aria.invalid()
            on:change=on_text(ctx, id)
            on:blur=move |_| ctx.blur(id)
        >
            <option value="">{i18n.t(UiText::ChooseOne)}</option>
            {field
                .options
                .iter()
                .map(|option| {
                    let value: &'static str = &option.value;
                    view! {
                        <option value=value prop:selected=move || ctx.text(id) == value>
                            {option.label()}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// A single checkbox field (ticked = `true`).
#[component]
fn CheckboxField(field: &'static FieldSpec, aria: Aria) -> impl IntoView {
    let ctx = ctx();
    let id: &'static str = &field.id;
    let dom_id = ctx.dom_id(id);
    let checked = move || {
        ctx.values
            .with(|v| v.get(id) == Some(&FieldValue::Bool(true)))
    };
    view! {
        <div class="lf-choice">
            <input
                class="lf-box"
                type="checkbox"
                id=dom_id.clone()
                name=id
                required=field.required
                aria-describedby=aria.described_by()
                aria-invalid=aria.invalid()
                prop:checked=checked
                on:change=move |ev| {
                    ctx.set_value(id, Some(FieldValue::Bool(event_target_checked(&ev))))
                }
                on:blur=move |_| ctx.blur(id)
            />
            <label class="lf-label" for=dom_id>
                {label_text(field)}
            </label>
        </div>
        {help(field, aria)}
    }
}

/// A multi-select: a fieldset of checkboxes, checked as one field when
/// focus leaves the group.
#[component]
fn ChoiceGroup(field: &'static FieldSpec, aria: Aria) -> impl IntoView {
    let ctx = ctx();
    let id: &'static str = &field.id;
    let dom_id = ctx.dom_id(id);
    let on_focusout = move |ev: leptos::ev::FocusEvent| {
        use wasm_bindgen::JsCast;
        // The group and the element focus moves to are nodes of the page.
        let group = ev
            .current_target()
            .map(|t| t.unchecked_into::<web_sys::Node>());
        let next = ev
            .related_target()
            .map(|t| t.unchecked_into::<web_sys::Node>());
        let inside = match (group, next) {
            (Some(group), Some(next)) => group.contains(Some(&next)),
            _ => false,
        };
        if !inside {
            ctx.blur(id);
        }
    };
    let choices = field
        .options
        .iter()
        .enumerate()
        .map(|(i, option)| {
            let choice_id = if i == 0 {
                dom_id.clone()
            } else {
                leadform_shared::concat(&[&dom_id, "-", &i.to_string()])
            };
            let value: &'static str = &option.value;
            let checked = move || {
                ctx.values.with(|v| {
                    matches!(v.get(id), Some(FieldValue::List(items)) if items.iter().any(|item| item == value))
                })
            };
            let on_change = move |ev: leptos::ev::Event| {
                let on = event_target_checked(&ev);
                let mut items = match ctx.values.with_untracked(|v| v.get(id).cloned()) {
                    Some(FieldValue::List(items)) => items,
                    _ => Vec::new(),
                };
                items.retain(|item| item != value);
                if on {
                    items.push(value.to_owned());
                }
                let next = (!items.is_empty()).then_some(FieldValue::List(items));
                ctx.set_value(id, next);
            };
            view! {
                <div class="lf-choice">
                    <input
                        class="lf-box"
                        type="checkbox"
                        id=choice_id.clone()
                        name=id
                        value=value
                        aria-invalid=aria.invalid()
                        prop:checked=checked
                        on:change=on_change
                    />
                    <label for=choice_id>{option.label()}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <fieldset class="lf-group" aria-describedby=aria.described_by() on:focusout=on_focusout>
            <legend class="lf-label">
                {label_text(field)}
            </legend>
            {help(field, aria)}
            {choices}
        </fieldset>
    }
}

/// A hidden field: its value comes from the page URL or the spec's default.
#[component]
fn HiddenInput(field: &'static FieldSpec) -> impl IntoView {
    let ctx = ctx();
    let id: &'static str = &field.id;
    view! { <input type="hidden" name=id prop:value=move || ctx.text(id)/> }
}
