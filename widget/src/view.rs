//! The form's DOM: built once from the spec and this visit's selection, then
//! kept in step with the form's signals through the bindings of [`crate::dom`].
//!
//! What is rendered (classes, ids, `aria-*` wiring, the order of nodes) is the
//! widget's contract with its stylesheet and with assistive technology, and is
//! checked by the browser tests (`tests/tests/widget_browser.rs`). This module
//! shows state and forwards events to [`Ctx`]; it must not decide validity
//! (that is `leadform_shared`, through `Ctx`) or reword the owner's texts.

use leadform_shared::json::write_u64;
use leadform_shared::profiling::Step;
use leadform_shared::{
    concat, validate_field, ConsentBlock, ErrorCode, FieldKind, FieldMap, FieldSpec, FieldValue,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, Node};

use crate::dom::{
    anchor, append, append_text, attr, bind_attr, bind_hidden, bind_present, bind_prop, bind_text,
    el, el_text, on, opt_attr, target_checked, target_value,
};
use crate::form::{Ctx, Status};
use crate::i18n::Catalog;
use crate::platform;
use crate::reactive::RwSignal;
use leadform_shared::messages::UiText;

/// Builds the whole form into `container`.
pub fn render(ctx: &Ctx, theme: Option<&str>, doc: &Document, container: &Node) {
    let i18n = &ctx.form().i18n;
    let status = ctx.status;
    let step = ctx.step;
    let root = el(doc, "div", "lf");
    opt_attr(&root, "data-theme", theme);
    attr(&root, "lang", i18n.lang.tag());
    if let Some(title) = &ctx.spec.title {
        append(&root, &el_text(doc, "h2", "lf-title", title));
    }
    if let Some(intro) = &ctx.spec.intro {
        append(&root, &el_text(doc, "p", "lf-intro", intro));
    }

    let form = el(doc, "form", "lf-form");
    attr(&form, "novalidate", "");
    bind_hidden(&form, Box::new(move || status.get() == Status::Success));
    {
        let ctx = *ctx;
        on(
            &form,
            "submit",
            Box::new(move |ev: Event| {
                ev.prevent_default();
                ctx.on_submit();
            }),
        );
    }
    if let Some(progress) = progress_view(ctx, doc) {
        append(&form, &progress);
    }
    for (index, s) in ctx.selection.steps.iter().enumerate() {
        append(&form, &step_view(ctx, doc, index, s));
    }
    if let Some(consents) = consents_view(ctx, doc) {
        append(&form, &consents);
    }
    append(&form, &honeypot_view(ctx, doc));
    if ctx.spec.anti_spam.turnstile_site_key.is_some() {
        let turnstile = el(doc, "div", "lf-turnstile");
        let slot = el(doc, "slot", "");
        attr(&slot, "name", "turnstile");
        append(&turnstile, &slot);
        append(&form, &turnstile);
    }

    let notice = ctx.notice;
    let status_line = el(doc, "p", "lf-status");
    attr(&status_line, "role", "status");
    attr(&status_line, "aria-live", "polite");
    bind_attr(
        &status_line,
        "class",
        Box::new(move || {
            let error = matches!(
                status.get(),
                Status::Invalid | Status::Offline | Status::Refused(_)
            );
            Some(
                if error {
                    "lf-status lf-status-error"
                } else {
                    "lf-status"
                }
                .to_owned(),
            )
        }),
    );
    bind_text(
        &status_line,
        Box::new(move || {
            match status.get() {
                Status::Invalid => i18n.t(UiText::FixErrors),
                Status::Sending => i18n.t(UiText::Sending),
                Status::Offline => i18n.t(UiText::SavedOffline),
                Status::Refused(Some(code)) => i18n.message(code),
                Status::Refused(None) => i18n.t(UiText::NotAccepted),
                Status::Idle | Status::Success => notice.get().map_or("", |n| i18n.t(n)),
            }
            .to_owned()
        }),
    );
    append(&form, &status_line);

    let actions = el(doc, "div", "lf-actions");
    let back = el_text(
        doc,
        "button",
        "lf-button lf-secondary",
        i18n.t(UiText::Back),
    );
    attr(&back, "type", "button");
    bind_hidden(&back, Box::new(move || step.get() == 0));
    {
        let ctx = *ctx;
        on(&back, "click", Box::new(move |_| ctx.back()));
    }
    append(&actions, &back);
    let retry = el_text(
        doc,
        "button",
        "lf-button lf-secondary",
        i18n.t(UiText::Retry),
    );
    attr(&retry, "type", "button");
    {
        let ctx = *ctx;
        on(&retry, "click", Box::new(move |_| ctx.retry_now()));
    }
    let retry_place = anchor(doc, &actions);
    bind_present(
        &actions,
        &retry,
        &retry_place,
        Box::new(move || status.get() == Status::Offline),
    );
    let submit = el(doc, "button", "lf-button lf-primary");
    attr(&submit, "type", "submit");
    bind_attr(
        &submit,
        "aria-disabled",
        Box::new(move || (status.get() == Status::Sending).then(|| "true".to_owned())),
    );
    let steps_total = ctx.selection.steps.len();
    let label = ctx.spec.submit_label.clone();
    bind_text(
        &submit,
        Box::new(move || {
            if status.get() == Status::Sending {
                i18n.t(UiText::Sending).to_owned()
            } else if step.get() + 1 < steps_total {
                i18n.t(UiText::Next).to_owned()
            } else {
                label.clone()
            }
        }),
    );
    append(&actions, &submit);
    append(&form, &actions);
    append(&root, &form);

    let success = el_text(doc, "div", "lf-success", &ctx.spec.success.message);
    attr(&success, "id", &ctx.success_dom_id());
    attr(&success, "role", "status");
    attr(&success, "tabindex", "-1");
    bind_hidden(&success, Box::new(move || status.get() != Status::Success));
    append(&root, &success);
    append(container, &root);
}

fn progress_view(ctx: &Ctx, doc: &Document) -> Option<Element> {
    let total = ctx.selection.stage_count;
    if total < 2 {
        return None;
    }
    let first = ctx.selection.first_stage_index;
    let step = ctx.step;
    let i18n = &ctx.form().i18n;
    let current = move || (first + step.get() + 1).min(total);
    let progress = el(doc, "div", "lf-progress");
    let text = el(doc, "p", "lf-progress-text");
    bind_text(&text, Box::new(move || i18n.step_of(current(), total)));
    append(&progress, &text);
    let bar = el(doc, "div", "lf-bar");
    attr(&bar, "aria-hidden", "true");
    let fill = el(doc, "div", "lf-bar-fill");
    bind_attr(
        &fill,
        "style",
        Box::new(move || {
            let mut style = String::from("width: ");
            write_u64(&mut style, (current() * 100 / total) as u64);
            style.push('%');
            Some(style)
        }),
    );
    append(&bar, &fill);
    append(&progress, &bar);
    Some(progress)
}

fn step_view(ctx: &Ctx, doc: &Document, index: usize, step: &Step) -> Element {
    let current = ctx.step;
    let fieldset = el(doc, "fieldset", "lf-step");
    bind_hidden(&fieldset, Box::new(move || current.get() != index));
    if let Some(title) = &step.title {
        append(&fieldset, &el_text(doc, "legend", "lf-legend", title));
    }
    for field in step
        .fields
        .iter()
        .filter_map(|id| ctx.form().spec.field(id))
    {
        append(&fieldset, &field_view(ctx, doc, field));
    }
    fieldset
}

/// `aria-describedby` and `aria-invalid` of a control, kept in sync with its
/// error, and the error message itself (present only while there is one).
/// Leaked with the form (see [`Aria::leak`]), so its bindings share it.
struct Aria {
    id: &'static str,
    help_id: Option<String>,
    error_id: String,
    errors: RwSignal<FieldMap<ErrorCode>>,
}

impl Aria {
    /// Keeps this for the page's lifetime, like the form it belongs to.
    fn leak(self) -> &'static Aria {
        Box::leak(Box::new(self))
    }

    fn has_error(&self) -> bool {
        self.errors.with(|e| e.contains_key(self.id))
    }

    /// Wires `aria-describedby` (unless `invalid_only`) and `aria-invalid`.
    fn wire(&'static self, control: &Element, invalid_only: bool) {
        if !invalid_only {
            self.wire_described_by(control);
        }
        let aria = self;
        bind_attr(
            control,
            "aria-invalid",
            Box::new(move || aria.has_error().then(|| "true".to_owned())),
        );
    }

    fn wire_described_by(&'static self, element: &Element) {
        let aria = self;
        bind_attr(
            element,
            "aria-describedby",
            Box::new(move || match (&aria.help_id, aria.has_error()) {
                (Some(help_id), true) => Some(concat(&[help_id, " ", &aria.error_id])),
                (Some(help_id), false) => Some(help_id.clone()),
                (None, true) => Some(aria.error_id.clone()),
                (None, false) => None,
            }),
        );
    }

    /// Appends the error message's place to `parent`.
    fn error_view(&self, doc: &Document, parent: &Node, i18n: &'static Catalog) {
        let error = el(doc, "p", "lf-error");
        attr(&error, "id", &self.error_id);
        let place = anchor(doc, parent);
        let errors = self.errors;
        let id = self.id;
        let text = move || errors.with(|e| e.get(id).copied());
        bind_text(
            &error,
            Box::new(move || text().map_or("", |code| i18n.message(code)).to_owned()),
        );
        bind_present(
            parent,
            &error,
            &place,
            Box::new(move || errors.with(|e| e.contains_key(id))),
        );
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

/// The field's id, name, `required` and the attributes every control shares.
fn control(doc: &Document, tag: &str, class: &str, dom_id: &str, field: &FieldSpec) -> Element {
    let control = el(doc, tag, class);
    attr(&control, "id", dom_id);
    attr(&control, "name", &field.id);
    if field.required {
        attr(&control, "required", "");
    }
    control
}

fn field_view(ctx: &Ctx, doc: &Document, field: &'static FieldSpec) -> Element {
    let i18n = &ctx.form().i18n;
    let id: &'static str = &field.id;
    let dom_id = ctx.dom_id(id);
    if field.kind == FieldKind::Hidden {
        let input = el(doc, "input", "");
        attr(&input, "type", "hidden");
        attr(&input, "name", id);
        let ctx = *ctx;
        bind_prop(
            &input,
            "value",
            Box::new(move || JsValue::from_str(&ctx.text(id))),
        );
        return input;
    }
    let aria = Aria {
        id,
        help_id: field.help.as_ref().map(|_| concat(&[&dom_id, "-help"])),
        error_id: concat(&[&dom_id, "-error"]),
        errors: ctx.errors,
    }
    .leak();
    let wrapper = el(doc, "div", "lf-field");
    {
        let ctx = *ctx;
        bind_hidden(&wrapper, Box::new(move || !ctx.visible(field)));
    }
    // The label text, plus " (optional)" for optional fields.
    let label_into = |label: &Element| {
        append_text(doc, label, &field.label);
        if !field.required {
            append_text(doc, label, " ");
            append(
                label,
                &el_text(doc, "span", "lf-optional", i18n.t(UiText::Optional)),
            );
        }
    };
    let label = el(doc, "label", "lf-label");
    attr(&label, "for", &dom_id);
    label_into(&label);
    let help = field.help.as_ref().map(|text| {
        let help = el_text(doc, "p", "lf-help", text);
        attr(&help, "id", &concat(&[&dom_id, "-help"]));
        help
    });
    let on_blur = {
        let ctx = *ctx;
        move |_: Event| ctx.blur(id)
    };
    let on_text = {
        let ctx = *ctx;
        move |ev: Event| {
            let text = target_value(&ev);
            let value = (!text.is_empty()).then_some(FieldValue::Text(text));
            ctx.set_value(id, value);
        }
    };
    let text_value = {
        let ctx = *ctx;
        move || JsValue::from_str(&ctx.text(id))
    };
    let autocomplete = field
        .autocomplete
        .clone()
        .or_else(|| default_autocomplete(field.kind).map(str::to_owned));
    let append_help = |parent: &Element| {
        if let Some(help) = &help {
            append(parent, help);
        }
    };
    match field.kind {
        FieldKind::Checkbox => {
            let choice = el(doc, "div", "lf-choice");
            let input = control(doc, "input", "lf-box", &dom_id, field);
            attr(&input, "type", "checkbox");
            aria.wire(&input, false);
            {
                let ctx = *ctx;
                bind_prop(
                    &input,
                    "checked",
                    Box::new(move || {
                        let on = ctx
                            .values
                            .with(|v| v.get(id) == Some(&FieldValue::Bool(true)));
                        JsValue::from_bool(on)
                    }),
                );
            }
            {
                let ctx = *ctx;
                on(
                    &input,
                    "change",
                    Box::new(move |ev: Event| {
                        ctx.set_value(id, Some(FieldValue::Bool(target_checked(&ev))))
                    }),
                );
            }
            on(&input, "blur", Box::new(on_blur));
            append(&choice, &input);
            append(&choice, &label);
            append(&wrapper, &choice);
            append_help(&wrapper);
        }
        FieldKind::MultiSelect => {
            let group = el(doc, "fieldset", "lf-group");
            aria.wire_described_by(&group);
            let legend = el(doc, "legend", "lf-label");
            label_into(&legend);
            append(&group, &legend);
            append_help(&group);
            for (i, option) in field.options.iter().enumerate() {
                let choice_id = if i == 0 {
                    dom_id.clone()
                } else {
                    let mut choice_id = concat(&[&dom_id, "-"]);
                    write_u64(&mut choice_id, i as u64);
                    choice_id
                };
                let choice = el(doc, "div", "lf-choice");
                let input = el(doc, "input", "lf-box");
                attr(&input, "type", "checkbox");
                attr(&input, "id", &choice_id);
                attr(&input, "name", id);
                attr(&input, "value", &option.value);
                aria.wire(&input, true);
                {
                    let ctx = *ctx;
                    let value: &'static str = &option.value;
                    bind_prop(
                        &input,
                        "checked",
                        Box::new(move || {
                            JsValue::from_bool(ctx.values.with(|v| {
                                matches!(v.get(id), Some(FieldValue::List(items)) if items.iter().any(|item| item == value))
                            }))
                        }),
                    );
                }
                {
                    let ctx = *ctx;
                    let value: &'static str = &option.value;
                    on(
                        &input,
                        "change",
                        Box::new(move |ev: Event| {
                            let on = target_checked(&ev);
                            let mut items = match ctx.values.get_untracked().remove(id) {
                                Some(FieldValue::List(items)) => items,
                                _ => Vec::new(),
                            };
                            items.retain(|item| *item != value);
                            if on {
                                items.push(value.to_owned());
                            }
                            let next = (!items.is_empty()).then_some(FieldValue::List(items));
                            ctx.set_value(id, next);
                        }),
                    );
                }
                let option_label = el_text(doc, "label", "", option.label());
                attr(&option_label, "for", &choice_id);
                append(&choice, &input);
                append(&choice, &option_label);
                append(&group, &choice);
            }
            {
                let ctx = *ctx;
                on(
                    &group,
                    "focusout",
                    Box::new(move |ev: Event| {
                        // `focusout` is a FocusEvent; its target and
                        // related target are elements of the page, or none.
                        let group = ev.current_target().map(|t| t.unchecked_into::<Node>());
                        let next = ev
                            .unchecked_ref::<web_sys::FocusEvent>()
                            .related_target()
                            .map(|t| t.unchecked_into::<Node>());
                        let inside = match (group, next) {
                            (Some(group), Some(next)) => group.contains(Some(&next)),
                            _ => false,
                        };
                        if !inside {
                            ctx.blur(id);
                        }
                    }),
                );
            }
            append(&wrapper, &group);
        }
        FieldKind::Select => {
            append(&wrapper, &label);
            append_help(&wrapper);
            let select = control(doc, "select", "lf-input", &dom_id, field);
            opt_attr(&select, "autocomplete", autocomplete.as_deref());
            aria.wire(&select, false);
            let none = el_text(doc, "option", "", i18n.t(UiText::ChooseOne));
            attr(&none, "value", "");
            append(&select, &none);
            for option in &field.options {
                let element = el_text(doc, "option", "", option.label());
                attr(&element, "value", &option.value);
                let ctx = *ctx;
                let value: &'static str = &option.value;
                bind_prop(
                    &element,
                    "selected",
                    Box::new(move || JsValue::from_bool(ctx.text(id) == value)),
                );
                append(&select, &element);
            }
            on(&select, "change", Box::new(on_text));
            on(&select, "blur", Box::new(on_blur));
            append(&wrapper, &select);
        }
        FieldKind::Textarea => {
            append(&wrapper, &label);
            append_help(&wrapper);
            let textarea = control(doc, "textarea", "lf-input", &dom_id, field);
            attr(&textarea, "rows", "4");
            opt_attr(&textarea, "autocomplete", autocomplete.as_deref());
            opt_attr(&textarea, "placeholder", field.placeholder.as_deref());
            aria.wire(&textarea, false);
            bind_prop(&textarea, "value", Box::new(text_value));
            on(&textarea, "input", Box::new(on_text));
            on(&textarea, "blur", Box::new(on_blur));
            append(&wrapper, &textarea);
        }
        kind => {
            append(&wrapper, &label);
            append_help(&wrapper);
            let (input_type, input_mode) = match kind {
                FieldKind::Email => ("email", Some("email")),
                FieldKind::Phone => ("tel", Some("tel")),
                FieldKind::Number if field.allow_decimals => ("text", Some("decimal")),
                FieldKind::Number => ("text", Some("numeric")),
                _ => ("text", None),
            };
            let input = control(doc, "input", "lf-input", &dom_id, field);
            attr(&input, "type", input_type);
            opt_attr(&input, "inputmode", input_mode);
            opt_attr(&input, "autocomplete", autocomplete.as_deref());
            opt_attr(&input, "placeholder", field.placeholder.as_deref());
            if matches!(
                kind,
                FieldKind::Email | FieldKind::Phone | FieldKind::Number
            ) {
                attr(&input, "spellcheck", "false");
            }
            aria.wire(&input, false);
            bind_prop(&input, "value", Box::new(text_value));
            on(&input, "input", Box::new(on_text));
            on(&input, "blur", Box::new(on_blur));
            append(&wrapper, &input);
            if kind == FieldKind::Phone {
                phone_hint(ctx, doc, &wrapper, field);
            }
        }
    }
    aria.error_view(doc, &wrapper, i18n);
    wrapper
}

/// "Will be sent as +1…" under a phone input, while the typed number differs
/// from its E.164 form.
fn phone_hint(ctx: &Ctx, doc: &Document, parent: &Element, field: &'static FieldSpec) {
    let hint = el(doc, "p", "lf-hint");
    let place = anchor(doc, parent);
    let i18n = &ctx.form().i18n;
    let ctx = *ctx;
    let e164 = move || {
        let raw = ctx.text(&field.id);
        if raw.trim().is_empty() {
            return None;
        }
        match validate_field(field, Some(&FieldValue::Text(raw.clone()))) {
            Ok(Some(FieldValue::Text(e164))) if e164 != raw.trim() => Some(e164),
            _ => None,
        }
    };
    let shown = e164;
    bind_text(
        &hint,
        Box::new(move || {
            let mut text = String::from(i18n.t(UiText::PhoneSentAs));
            text.push(' ');
            text.push_str(&e164().unwrap_or_default());
            text
        }),
    );
    bind_present(parent, &hint, &place, Box::new(move || shown().is_some()));
}

fn consents_view(ctx: &Ctx, doc: &Document) -> Option<Element> {
    if ctx.spec.consents.is_empty() {
        return None;
    }
    let last = ctx.selection.steps.len().saturating_sub(1);
    let step = ctx.step;
    let consents = el(doc, "div", "lf-consents");
    bind_hidden(&consents, Box::new(move || step.get() != last));
    for block in &ctx.form().spec.consents {
        append(&consents, &consent_view(ctx, doc, block));
    }
    Some(consents)
}

fn consent_view(ctx: &Ctx, doc: &Document, block: &'static ConsentBlock) -> Element {
    let i18n = &ctx.form().i18n;
    let dom_id = ctx.consent_dom_id(&block.id);
    let aria = Aria {
        id: &block.id,
        help_id: None,
        error_id: concat(&[&dom_id, "-error"]),
        errors: ctx.consent_errors,
    }
    .leak();
    let consents = ctx.consents;
    let consent_errors = ctx.consent_errors;
    let wrapper = el(doc, "div", "lf-consent");
    let choice = el(doc, "div", "lf-choice");
    let input = el(doc, "input", "lf-box");
    attr(&input, "type", "checkbox");
    attr(&input, "id", &dom_id);
    attr(&input, "name", &concat(&["consent-", &block.id]));
    if block.required {
        attr(&input, "required", "");
    }
    aria.wire(&input, false);
    {
        let id: &'static str = &block.id;
        bind_prop(
            &input,
            "checked",
            Box::new(move || {
                JsValue::from_bool(consents.with(|c| c.get(id).is_some_and(|(on, _)| *on)))
            }),
        );
    }
    {
        let id: &'static str = &block.id;
        on(
            &input,
            "change",
            Box::new(move |ev: Event| {
                let on = target_checked(&ev);
                consents.update(|c| {
                    c.insert(id.to_owned(), (on, platform::now_ms()));
                });
                if on {
                    consent_errors.update(|e| {
                        e.remove(id);
                    });
                }
            }),
        );
    }
    // The exact disclosure text of the spec, as a text node (never parsed as HTML).
    let label = el_text(doc, "label", "lf-consent-text", &block.text);
    attr(&label, "for", &dom_id);
    append(&choice, &input);
    append(&choice, &label);
    append(&wrapper, &choice);
    if block.required {
        append(
            &wrapper,
            &el_text(doc, "span", "lf-optional", i18n.t(UiText::Required)),
        );
    }
    aria.error_view(doc, &wrapper, i18n);
    wrapper
}

fn honeypot_view(ctx: &Ctx, doc: &Document) -> Element {
    let honeypot = ctx.honeypot;
    let id = ctx.honeypot_dom_id();
    let wrapper = el(doc, "div", "lf-hp");
    attr(&wrapper, "aria-hidden", "true");
    let label = el_text(doc, "label", "", ctx.form().i18n.t(UiText::HoneypotLabel));
    attr(&label, "for", &id);
    let input = el(doc, "input", "");
    attr(&input, "type", "text");
    attr(&input, "id", &id);
    attr(&input, "name", "website");
    attr(&input, "tabindex", "-1");
    attr(&input, "autocomplete", "off");
    on(
        &input,
        "input",
        Box::new(move |ev: Event| honeypot.set(target_value(&ev))),
    );
    append(&wrapper, &label);
    append(&wrapper, &input);
    wrapper
}
