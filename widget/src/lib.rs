//! Leadform's embeddable form: a Leptos (client-side rendered) app compiled
//! to WebAssembly and mounted by the hand-written loader
//! (`widget/loader/leadform.js`) into a shadow root on the site owner's page.
//! The form's model ([`form`]: values, errors, steps, the submit action) is
//! apart from its components ([`view`]), which read it from Leptos's context.
//!
//! The loader fetches the public form spec, this module and (for a page not
//! in English) the edge's catalog of built-in texts ([`i18n`]) in parallel,
//! then calls [`mount`]. JSON crosses the boundary through the browser's
//! `JSON.parse`/`JSON.stringify` and serde-wasm-bindgen ([`platform`]), into
//! and out of the shared crate's serde types. Everything about validation,
//! consent records, the envelope and progressive profiling comes from
//! `leadform-shared`, so the widget and the edge can never disagree. This
//! crate must stay small (see `widget/size-report.sh`, which fails over the
//! budget): no `regex`, no ICU data or Unicode tables (NFC, case and letters
//! are the browser's: [`unicode`]), no libphonenumber, no JSON parser of its
//! own, no texts but English, no `eval`-style code generation.

pub mod attribution;
pub mod beacon;
pub mod contrast;
pub mod form;
pub mod i18n;
pub mod platform;
pub mod store;
pub mod submit;
pub mod unicode;
pub mod view;

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use leadform_shared::FormSpec;
use leptos::prelude::{provide_context, RwSignal, Set};
use wasm_bindgen::prelude::*;

/// The allocator: a first-fit free list sorted by address, with neighbours
/// merged on free (`lol_alloc`), about 5 KB of wasm smaller than std's
/// dlmalloc and fast enough for a form's few thousand small allocations.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: the widget runs on the browser's main thread only; it is built
// without wasm threads (no `atomics` target feature), so no allocation can
// ever happen concurrently.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// The widget's stylesheet, placed inside each form's shadow root:
/// `src/widget.css` without its comments (see `build.rs`).
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.css"));

/// Why a form could not be mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountError {
    /// The spec body is not a spec's JSON (`spec.syntax` and the reader's message).
    Spec(String),
    /// The submit URL is empty.
    NoSubmitUrl,
}

impl MountError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            MountError::Spec(_) => "mount.spec_invalid",
            MountError::NoSubmitUrl => "mount.no_submit_url",
        }
    }

    /// `code: detail`, the text of the `Error` thrown to the loader (and of
    /// `Display`), built without `core::fmt`, which the widget does not link.
    pub fn message(&self) -> String {
        let detail = match self {
            MountError::Spec(detail) => detail,
            MountError::NoSubmitUrl => "no submit URL given",
        };
        leadform_shared::concat(&[self.code(), ": ", detail])
    }
}

impl fmt::Display for MountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The `Error` thrown to the loader: the same text as `Display`, without going
/// through it (wasm-bindgen's `From<E: Error> for JsError` would).
fn thrown(error: MountError) -> JsError {
    JsError::new(&error.message())
}

impl std::error::Error for MountError {}

thread_local! {
    /// The Turnstile token signal of every form mounted on the page, by the
    /// number [`mount`] returned (forms are never unmounted).
    static TURNSTILE_TOKENS: RefCell<Vec<RwSignal<Option<String>>>> =
        const { RefCell::new(Vec::new()) };
}

/// Called by the loader's Turnstile callback for form number `form` (the
/// number the mount function returned) with the token, or `undefined` when
/// it expires. A plain function and a number rather than a handle class:
/// wasm-bindgen's class glue would cost the widget about 400 bytes gzip.
#[wasm_bindgen(js_name = setTurnstileToken)]
pub fn set_turnstile_token(form: u32, token: Option<String>) {
    let signal = TURNSTILE_TOKENS.with(|tokens| tokens.borrow().get(form as usize).copied());
    if let Some(signal) = signal {
        signal.set(token);
    }
}

/// Gives the form's shadow root the widget's stylesheet: a constructed sheet
/// (`adoptedStyleSheets`, which a page's CSP `style-src` does not restrict),
/// or a `<style>` element on browsers without constructable stylesheets.
fn install_css(container: &web_sys::HtmlElement, document: &web_sys::Document) {
    use wasm_bindgen::JsCast;
    let root = container.get_root_node();
    if let Ok(shadow) = root.dyn_into::<web_sys::ShadowRoot>() {
        if let Ok(sheet) = web_sys::CssStyleSheet::new() {
            if sheet.replace_sync(CSS).is_ok() {
                shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
                return;
            }
        }
    }
    let style = document.create_element("style").ok();
    if let (Some(style), Some(parent)) = (style, container.parent_node()) {
        style.set_text_content(Some(CSS));
        let _ = parent.insert_before(&style, Some(container));
    }
}

/// Reads the public spec: the browser's `JSON.parse`, then serde-wasm-bindgen
/// into the shared crate's [`FormSpec`]. It does not run `FormSpec::check`:
/// the edge serves only specs that passed it when the edge was built (and
/// fails that build with the `spec.*` errors otherwise). A body that is not a
/// spec's JSON is refused as `spec.syntax` with the reader's message.
pub fn parse_spec(spec_json: &str) -> Result<FormSpec, MountError> {
    let syntax =
        |detail: &str| MountError::Spec(leadform_shared::concat(&[SPEC_SYNTAX, " (", detail, ")"]));
    let value = js_sys::JSON::parse(spec_json).map_err(|_| syntax("not JSON"))?;
    serde_wasm_bindgen::from_value(value).map_err(|error| syntax(&error.to_string()))
}

/// `SpecError::Syntax`'s code, spelled here so that the widget does not link
/// the table of every `spec.*` code (a test keeps the two equal).
const SPEC_SYNTAX: &str = "spec.syntax";

/// The prefix of a form's DOM ids: `lf` and the mount's sequence number.
fn form_uid(sequence: u32) -> String {
    leadform_shared::concat(&["lf", &sequence.to_string()])
}

/// Mounts the form described by `spec_json` into `container` (an element in
/// a shadow root) and returns its number on the page (for
/// [`set_turnstile_token`]). `catalog_json` is the edge's catalog of the
/// visitor's language (`GET /v1/i18n/{lang}`; `""` or anything unreadable =
/// English, which is built in), `theme` a name put in `data-theme` (`""` =
/// default).
#[wasm_bindgen]
pub fn mount(
    container: web_sys::HtmlElement,
    spec_json: &str,
    submit_url: &str,
    catalog_json: &str,
    theme: &str,
) -> Result<u32, JsError> {
    static NEXT_UID: AtomicU32 = AtomicU32::new(1);
    unicode::install();
    let spec = parse_spec(spec_json).map_err(thrown)?;
    if submit_url.is_empty() {
        return Err(thrown(MountError::NoSubmitUrl));
    }
    let setup = form::Setup {
        // The edge serves `FormSpec::public_json`, so the hash of the body is
        // the spec's `public_hash` without serialising the spec again.
        spec_hash: leadform_shared::hex_sha256(spec_json.as_bytes()),
        spec,
        submit_url: submit_url.to_owned(),
        i18n: i18n::Catalog::from_json(catalog_json),
        uid: form_uid(NEXT_UID.fetch_add(1, Ordering::Relaxed)),
    };
    // The loader makes the container in the page's own document.
    let document = platform::window()
        .document()
        .ok_or_else(|| JsError::new("mount: the page has no document"))?;
    install_css(&container, &document);
    let theme = (!theme.is_empty()).then(|| theme.to_owned());
    let turnstile_token = RwSignal::new(None);
    let root = container.clone();
    // Forms are never unmounted: the reactive owner of the form (its
    // signals, effects and DOM bindings) lives as long as the page.
    leptos::mount::mount_to(container.clone(), move || {
        let ctx = form::Ctx::new(setup, root, turnstile_token);
        provide_context(ctx);
        leptos::view! { <view::LeadForm theme=theme/> }
    })
    .forget();
    contrast::enforce(&container);
    Ok(TURNSTILE_TOKENS.with(|tokens| {
        let mut tokens = tokens.borrow_mut();
        tokens.push(turnstile_token);
        (tokens.len() - 1) as u32
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadform_shared::SpecError;

    #[test]
    fn mount_error_messages_match_display() {
        assert_eq!(SPEC_SYNTAX, SpecError::Syntax(String::new()).code());
        let no_url = MountError::NoSubmitUrl;
        assert_eq!(no_url.message(), "mount.no_submit_url: no submit URL given");
        let spec = MountError::Spec("spec.syntax (expected value)".to_owned());
        assert_eq!(
            spec.message(),
            "mount.spec_invalid: spec.syntax (expected value)"
        );
        for error in [no_url, spec] {
            assert_eq!(error.to_string(), error.message());
        }
        assert_eq!(form_uid(7), "lf7");
        assert_eq!(form_uid(u32::MAX), "lf4294967295");
    }
}
