//! The few DOM and reactivity helpers the form's views are built from:
//! create elements, set attributes and properties, listen to events, and keep
//! a piece of the DOM in step with signals.
//!
//! Every helper takes plain values or boxed closures rather than generic view
//! types, so each kind of binding exists once in the wasm: typed view trees
//! are monomorphised per element and cost over 100 KB for this form. Bindings
//! are effects of [`crate::reactive`]: they run once at creation and again,
//! synchronously, whenever a signal they read changes. This module must not
//! know about forms, fields or leads.

use crate::reactive;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use web_sys::{Document, Element, Event, EventTarget, Node};

/// Creates `<tag class="class">` (no class when `class` is empty).
pub fn el(doc: &Document, tag: &str, class: &str) -> Element {
    // Tag names are static, valid names: createElement cannot refuse them.
    let element = doc.create_element(tag).unwrap_throw();
    if !class.is_empty() {
        element.set_class_name(class);
    }
    element
}

/// Creates `<tag class="class">text</tag>`.
pub fn el_text(doc: &Document, tag: &str, class: &str, text: &str) -> Element {
    let element = el(doc, tag, class);
    element.set_text_content(Some(text));
    element
}

/// Sets an attribute.
pub fn attr(element: &Element, name: &str, value: &str) {
    let _ = element.set_attribute(name, value);
}

/// Sets an attribute when `value` is `Some`, removes it otherwise.
pub fn opt_attr(element: &Element, name: &str, value: Option<&str>) {
    match value {
        Some(value) => attr(element, name, value),
        None => {
            let _ = element.remove_attribute(name);
        }
    }
}

/// Appends `child` to `parent`.
pub fn append(parent: &Node, child: &Node) {
    let _ = parent.append_child(child);
}

/// Appends a text node.
pub fn append_text(doc: &Document, parent: &Node, text: &str) {
    append(parent, &doc.create_text_node(text));
}

/// Sets a JS property (`value`, `checked`, `selected`) unless it already
/// holds that value, so typing is never disturbed.
pub fn set_prop(target: &JsValue, name: &str, value: &JsValue) {
    let name = JsValue::from_str(name);
    let current = js_sys::Reflect::get(target, &name).unwrap_or(JsValue::UNDEFINED);
    if !js_sys::Object::is(&current, value) {
        let _ = js_sys::Reflect::set(target, &name, value);
    }
}

/// A JS property of the event's target.
fn target_prop(event: &Event, name: &str) -> JsValue {
    event
        .target()
        .and_then(|target| js_sys::Reflect::get(&target, &JsValue::from_str(name)).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// `event.target.value` ("" when absent).
pub fn target_value(event: &Event) -> String {
    target_prop(event, "value").as_string().unwrap_or_default()
}

/// `event.target.checked` (false when absent).
pub fn target_checked(event: &Event) -> bool {
    target_prop(event, "checked").as_bool().unwrap_or(false)
}

/// Calls `handler` on every `event` at `target`, for the page's lifetime.
pub fn on(target: &EventTarget, event: &str, handler: Box<dyn FnMut(Event)>) {
    let closure = Closure::wrap(handler);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// Runs `update` now and whenever a signal it reads changes, for the page's
/// lifetime.
pub fn bind(update: Box<dyn Fn()>) {
    reactive::effect(update);
}

/// Keeps attribute `name` equal to what `value` returns (absent for `None`).
pub fn bind_attr(element: &Element, name: &'static str, value: Box<dyn Fn() -> Option<String>>) {
    let element = element.clone();
    bind(Box::new(move || {
        opt_attr(&element, name, value().as_deref())
    }));
}

/// Keeps the `hidden` attribute in step with `hidden`.
pub fn bind_hidden(element: &Element, hidden: Box<dyn Fn() -> bool>) {
    let element = element.clone();
    bind(Box::new(move || {
        let _ = element.toggle_attribute_with_force("hidden", hidden());
    }));
}

/// Keeps the element's text equal to what `text` returns.
pub fn bind_text(element: &Element, text: Box<dyn Fn() -> String>) {
    let element = element.clone();
    bind(Box::new(move || {
        let text = text();
        if element.text_content().as_deref() != Some(text.as_str()) {
            element.set_text_content(Some(&text));
        }
    }));
}

/// Keeps JS property `name` (`value`, `checked`, `selected`) equal to `value`.
pub fn bind_prop(element: &Element, name: &'static str, value: Box<dyn Fn() -> JsValue>) {
    let element = element.clone();
    bind(Box::new(move || set_prop(&element, name, &value())));
}

/// Keeps `node` in `parent`, just before `anchor` (an empty text node marking
/// its place), while `shown` holds; removes it otherwise.
pub fn bind_present(parent: &Node, node: &Node, anchor: &Node, shown: Box<dyn Fn() -> bool>) {
    let (parent, node, anchor) = (parent.clone(), node.clone(), anchor.clone());
    bind(Box::new(move || {
        let attached = node.parent_node().is_some();
        if shown() {
            if !attached {
                let _ = parent.insert_before(&node, Some(&anchor));
            }
        } else if attached {
            let _ = parent.remove_child(&node);
        }
    }));
}

/// An empty text node appended to `parent`: the place of a node that comes
/// and goes (see [`bind_present`]).
pub fn anchor(doc: &Document, parent: &Node) -> Node {
    let anchor: Node = doc.create_text_node("").into();
    append(parent, &anchor);
    anchor
}
