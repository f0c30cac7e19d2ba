//! Component tests of the mounted widget, run by wasm-bindgen-test in headless
//! Chromium (chromedriver; capabilities in `widget/webdriver.json`):
//! `cargo xtask test` runs them with
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner`.
//!
//! Each test mounts a form from an example spec into a fresh shadow root with
//! the crate's own `mount`, drives it with DOM events, and checks what the
//! visitor would see against the `shared` rules and messages. No network is
//! needed: the one submit goes to a closed loopback port on purpose.

#![cfg(target_arch = "wasm32")]

use leadform_shared::messages::message;
use leadform_shared::{validate_field, FieldValue, FormSpec, Lang};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, Event, EventInit, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

wasm_bindgen_test_configure!(run_in_browser);

const QUOTE: &str = include_str!("../../examples/forms/home-services-quote.toml");
const B2B: &str = include_str!("../../examples/forms/b2b-demo.toml");

fn spec(toml: &str) -> FormSpec {
    FormSpec::parse_toml(toml).expect("example spec parses")
}

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

/// A mounted form: its shadow root and the id prefix of its fields.
struct Mounted {
    root: ShadowRoot,
    uid: String,
}

impl Mounted {
    fn get(&self, selector: &str) -> Element {
        self.root
            .query_selector(selector)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no {selector} in the form"))
    }

    fn field(&self, id: &str) -> Element {
        self.get(&format!("#{}-{id}", self.uid))
    }

    fn text(&self, selector: &str) -> String {
        self.get(selector).text_content().unwrap_or_default()
    }

    /// (aria-invalid, texts of the elements named by aria-describedby).
    fn aria(&self, id: &str) -> (Option<String>, String) {
        let element = self.field(id);
        let described = element
            .get_attribute("aria-describedby")
            .unwrap_or_default()
            .split(' ')
            .filter(|i| !i.is_empty())
            .map(|i| {
                self.root
                    .get_element_by_id(i)
                    .and_then(|e| e.text_content())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" | ");
        (element.get_attribute("aria-invalid"), described)
    }

    /// Types `value` into a text-like field and leaves it (input, then blur).
    async fn type_and_leave(&self, id: &str, value: &str) {
        self.type_only(id, value).await;
        dispatch(&self.field(id), "blur", false);
        settle().await;
    }

    /// Types `value` into a text-like field, staying in it.
    async fn type_only(&self, id: &str, value: &str) {
        let element = self.field(id);
        if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
            input.set_value(value);
        } else if let Some(area) = element.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            area.set_value(value);
        } else if let Some(select) = element.dyn_ref::<web_sys::HtmlSelectElement>() {
            select.set_value(value);
        }
        dispatch(&element, "input", true);
        dispatch(&element, "change", true);
        settle().await;
    }

    async fn click(&self, selector: &str) {
        self.get(selector)
            .dyn_into::<HtmlElement>()
            .expect("clickable")
            .click();
        settle().await;
    }

    fn visible(&self, id: &str) -> bool {
        self.field(id)
            .dyn_into::<HtmlElement>()
            .map(|e| e.offset_parent().is_some())
            .unwrap_or(false)
    }
}

fn dispatch(target: &Element, name: &str, bubbles: bool) {
    let init = EventInit::new();
    init.set_bubbles(bubbles);
    init.set_composed(true);
    let event = Event::new_with_event_init_dict(name, &init).expect("event");
    target.dispatch_event(&event).expect("dispatch");
}

/// Lets reactive updates and promise callbacks run.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("timer");
}

async fn settle() {
    sleep(20).await;
}

/// Mounts `spec` into a new shadow root (with `style` on the host element).
/// Mounts `spec` with `catalog` (the edge's catalog JSON of a language, `""`
/// for English) and `style` on the host element.
async fn mount(spec: &FormSpec, catalog: &str, style: &str) -> Mounted {
    let document = document();
    let host = document.create_element("div").expect("host");
    host.set_class_name("leadform");
    host.set_attribute("style", style).expect("style");
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append host");
    let root = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .expect("shadow root");
    let container: HtmlElement = document
        .create_element("div")
        .expect("container")
        .dyn_into()
        .expect("div");
    root.append_child(&container).expect("append container");
    let spec_json = serde_json::to_string(&spec.public()).expect("public spec JSON");
    leadform_widget::mount(
        container,
        &spec_json,
        "http://127.0.0.1:9/v1/submit",
        catalog,
        "",
    )
    .unwrap_or_else(|_| panic!("mount {}", spec.id));
    settle().await;
    let first_id = root
        .query_selector("form [id]")
        .ok()
        .flatten()
        .map(|e| e.id())
        .expect("a field with an id");
    let uid = first_id.split('-').next().expect("uid prefix").to_owned();
    Mounted { root, uid }
}

fn clear_storage() {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.clear();
    }
}

fn shared_error(spec: &FormSpec, field: &str, input: &str, lang: Lang) -> &'static str {
    let code = validate_field(
        spec.field(field).expect("field"),
        Some(&FieldValue::Text(input.into())),
    )
    .expect_err("input must be invalid");
    message(code, lang)
}

#[wasm_bindgen_test]
async fn renders_fields_with_input_types_autocomplete_and_unticked_exact_consents() {
    clear_storage();
    let spec = spec(QUOTE);
    let form = mount(&spec, "", "").await;
    assert_eq!(
        form.field("phone").get_attribute("type").as_deref(),
        Some("tel")
    );
    assert_eq!(
        form.field("email").get_attribute("type").as_deref(),
        Some("email")
    );
    assert_eq!(
        form.field("name").get_attribute("autocomplete").as_deref(),
        Some("name")
    );
    assert_eq!(
        form.field("zip").get_attribute("autocomplete").as_deref(),
        Some("postal-code")
    );
    assert_eq!(form.field("service").tag_name(), "SELECT");
    // Consent blocks: the spec's exact bytes, unticked.
    let texts = form
        .root
        .query_selector_all(".lf-consent-text")
        .expect("consents");
    assert_eq!(texts.length() as usize, spec.consents.len());
    for (i, block) in spec.consents.iter().enumerate() {
        let shown = texts
            .item(i as u32)
            .and_then(|n| n.text_content())
            .unwrap_or_default();
        assert_eq!(shown, block.text);
    }
    let boxes = form
        .root
        .query_selector_all(".lf-consents input[type=checkbox]")
        .expect("boxes");
    assert_eq!(boxes.length() as usize, spec.consents.len());
    for i in 0..boxes.length() {
        let checked = boxes
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|b| b.checked());
        assert_eq!(checked, Some(false), "consent {i} starts unticked");
    }
    // The honeypot is present but out of reach of keyboard and screen readers.
    let honeypot = form.get(".lf-hp input");
    assert_eq!(honeypot.get_attribute("tabindex").as_deref(), Some("-1"));
}

#[wasm_bindgen_test]
async fn conditional_field_follows_its_condition() {
    clear_storage();
    let spec = spec(QUOTE);
    let form = mount(&spec, "", "").await;
    assert!(
        !form.visible("other_details"),
        "hidden until 'other' is chosen"
    );
    form.type_and_leave("service", "other").await;
    assert!(form.visible("other_details"));
    form.type_and_leave("service", "plumbing").await;
    assert!(!form.visible("other_details"));
}

#[wasm_bindgen_test]
async fn blur_validation_uses_the_shared_rules_and_messages_in_every_language() {
    for &lang in Lang::ALL {
        let lang_tag = lang.tag();
        clear_storage();
        let spec = spec(QUOTE);
        // English is built in; other languages come as the edge's catalog.
        let catalog = if lang == Lang::En {
            String::new()
        } else {
            leadform_shared::messages::catalog_json(lang)
        };
        let form = mount(&spec, &catalog, "").await;
        assert_eq!(
            form.get(".lf").get_attribute("lang").as_deref(),
            Some(lang.tag()),
            "{lang_tag}"
        );
        form.type_and_leave("email", "ann@").await;
        let (invalid, described) = form.aria("email");
        assert_eq!(invalid.as_deref(), Some("true"), "{lang_tag}");
        let expected = shared_error(&spec, "email", "ann@", lang);
        assert!(described.contains(expected), "{lang_tag}: {described}");
        form.type_and_leave("email", "ann@example.com").await;
        assert_eq!(form.aria("email").0, None, "{lang_tag}: cleared when fixed");

        // Phone: normalised to E.164 as typed (shown beside the field), and
        // the field shows the E.164 form once left.
        form.type_only("phone", "(415) 555-2671").await;
        assert!(
            form.text(".lf-hint").contains("+14155552671"),
            "{lang_tag}: {}",
            form.text(".lf-hint")
        );
        dispatch(&form.field("phone"), "blur", false);
        settle().await;
        assert_eq!(form.aria("phone").0, None);
        let shown = form
            .field("phone")
            .dyn_into::<web_sys::HtmlInputElement>()
            .expect("input")
            .value();
        assert_eq!(shown, "+14155552671", "{lang_tag}");

        // An extension, as typed in B2B forms: kept beside the E.164 number.
        form.type_only("phone", "(415) 555-2671 ext. 12").await;
        assert!(
            form.text(".lf-hint").contains("+14155552671;ext=12"),
            "{lang_tag}: {}",
            form.text(".lf-hint")
        );
    }
}

#[wasm_bindgen_test]
async fn submit_with_errors_marks_every_invalid_field_and_focuses_the_first() {
    clear_storage();
    let spec = spec(QUOTE);
    let form = mount(&spec, "", "").await;
    form.type_and_leave("name", "J").await;
    form.click("button[type=submit]").await;
    for field in ["service", "name", "phone", "zip"] {
        assert_eq!(
            form.aria(field).0.as_deref(),
            Some("true"),
            "{field} is invalid"
        );
    }
    let focused = form
        .root
        .active_element()
        .map(|e| e.id())
        .unwrap_or_default();
    assert_eq!(
        focused,
        format!("{}-service", form.uid),
        "focus on the first error"
    );
    assert!(
        !form.text(".lf-status").is_empty(),
        "the status line says why"
    );
}

#[wasm_bindgen_test]
async fn stages_advance_with_next_and_back_and_show_progress() {
    clear_storage();
    // All three stages in one visit, so the form has three steps.
    let spec = spec(&B2B.replace("stages_per_visit = 1", "stages_per_visit = 3"));
    let form = mount(&spec, "", "").await;
    let progress = form.text(".lf-progress-text");
    assert!(progress.contains('1'), "{progress}");
    // Fill the first stage, then Next.
    form.type_and_leave("email", "cto@acme.example").await;
    form.type_and_leave("first_name", "Ada").await;
    form.type_and_leave("last_name", "Lovelace").await;
    let visible_before: Vec<String> = visible_names(&form);
    // The consent covering the email is on this step, beside it, and
    // required: Next stays on the step until it is ticked.
    let consent = format!("#{}-consent-gdpr_contact", form.uid);
    assert!(visible_consent(&form, &consent), "consent beside its email");
    form.click("button[type=submit]").await;
    assert_eq!(visible_names(&form), visible_before, "held by the consent");
    form.click(&consent).await;
    form.click("button[type=submit]").await;
    let visible_after = visible_names(&form);
    assert!(!visible_consent(&form, &consent), "not on the next step");
    assert_ne!(visible_before, visible_after, "the next stage is shown");
    assert!(form.text(".lf-progress-text").contains('2'));
    // Back returns to the first stage with the answers kept.
    form.click(".lf-actions .lf-secondary:not([hidden])").await;
    assert_eq!(visible_names(&form), visible_before);
    let email = form
        .field("email")
        .dyn_into::<web_sys::HtmlInputElement>()
        .expect("input")
        .value();
    assert_eq!(email, "cto@acme.example");
}

/// Whether the consent checkbox `selector` is rendered visibly.
fn visible_consent(form: &Mounted, selector: &str) -> bool {
    form.get(selector)
        .dyn_into::<HtmlElement>()
        .map(|e| e.offset_parent().is_some())
        .unwrap_or(false)
}

fn visible_names(form: &Mounted) -> Vec<String> {
    let nodes = form
        .root
        .query_selector_all(".lf-step:not([hidden]) [name]")
        .expect("names");
    (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .filter(|e| e.get_attribute("type").as_deref() != Some("hidden"))
        .filter_map(|e| e.get_attribute("name"))
        .collect()
}

#[wasm_bindgen_test]
async fn an_unreachable_edge_keeps_the_submission_on_the_device() {
    clear_storage();
    let spec = spec(QUOTE);
    let form = mount(&spec, "", "").await;
    form.type_and_leave("service", "plumbing").await;
    form.type_and_leave("name", "Jane Doe").await;
    form.type_and_leave("phone", "(415) 555-2671").await;
    form.type_and_leave("zip", "94103").await;
    // The spec's minimum time to fill.
    sleep(spec.anti_spam.min_fill_ms as i32 + 100).await;
    form.click("button[type=submit]").await;
    let storage = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("localStorage");
    let key = format!("leadform:v1:pending:{}", spec.id);
    let mut pending = None;
    for _ in 0..100 {
        pending = storage.get_item(&key).ok().flatten();
        if pending.is_some() {
            break;
        }
        sleep(50).await;
    }
    let pending = pending.expect("the submission is kept when the edge is unreachable");
    assert!(pending.contains("+14155552671"), "{pending}");
    assert!(
        form.get(".lf-status")
            .class_list()
            .contains("lf-status-error"),
        "the visitor is told"
    );
}

#[wasm_bindgen_test]
async fn illegible_themes_are_reset_to_legible_colours() {
    clear_storage();
    let spec = spec(QUOTE);
    let legible = mount(&spec, "", "").await;
    assert_eq!(legible.get(".lf").get_attribute("data-contrast"), None);
    let faint = mount(
        &spec,
        "",
        "--lf-text:#b0b0b0;--lf-accent:#ffe680;--lf-accent-text:#ffffff",
    )
    .await;
    let marked = faint
        .get(".lf")
        .get_attribute("data-contrast")
        .unwrap_or_default();
    assert!(
        marked.contains("text") && marked.contains("accent"),
        "{marked}"
    );
    // The consent text is now drawn in the default, legible colour.
    let window = web_sys::window().expect("window");
    let colour = window
        .get_computed_style(&faint.get(".lf-consent-text"))
        .ok()
        .flatten()
        .and_then(|s| s.get_property_value("color").ok())
        .unwrap_or_default();
    assert_eq!(colour, "rgb(27, 27, 31)");
}

#[wasm_bindgen_test]
fn the_browsers_unicode_data_is_cores() {
    // `shared::unicode` takes lower-casing and the Alphabetic/Numeric
    // properties from the browser in the widget and from core's tables in
    // the edge: they must agree on every scalar value. Checked with Debian's
    // Chromium against Rust 1.95: no difference. A newer Unicode on one side
    // shows up here first.
    use leadform_widget::unicode;
    let mut differing = Vec::new();
    for c in '\u{80}'..=char::MAX {
        let mut lowered = String::new();
        unicode::lower_char(c, &mut lowered);
        let core: String = c.to_lowercase().collect();
        if lowered != core {
            differing.push(format!(
                "U+{:04X} lower: browser {lowered:?}, core {core:?}",
                u32::from(c)
            ));
        }
        if unicode::is_alphanumeric(c) != c.is_alphanumeric() {
            differing.push(format!(
                "U+{:04X} alphanumeric: core {}",
                u32::from(c),
                c.is_alphanumeric()
            ));
        }
        if unicode::is_numeric(c) != c.is_numeric() {
            differing.push(format!(
                "U+{:04X} numeric: core {}",
                u32::from(c),
                c.is_numeric()
            ));
        }
    }
    let shown = &differing[..differing.len().min(40)];
    assert!(
        differing.is_empty(),
        "{} differ: {shown:#?}",
        differing.len()
    );
}

#[wasm_bindgen_test]
fn the_browsers_json_parse_reads_served_numbers_exactly() {
    // The widget reads a spec's bounds with the browser's JSON.parse and
    // serde-wasm-bindgen; the edge holds them as f64s and serves them in
    // serde_json's shortest round-trip form. Each must read back bit for bit.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut numbers = vec![
        0.0,
        -0.0,
        0.1,
        1e22,
        1e23,
        5e-324,
        f64::MAX,
        7.847308861585414e-82,
    ];
    for _ in 0..20_000 {
        // xorshift64: a fixed, reproducible spread over every exponent.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let number = f64::from_bits(state);
        if number.is_finite() {
            numbers.push(number);
        }
    }
    for number in numbers {
        let text = serde_json::to_string(&number).expect("finite");
        let value = js_sys::JSON::parse(&text).expect("JSON number");
        let read: f64 = serde_wasm_bindgen::from_value(value).expect("a number");
        assert_eq!(read.to_bits(), number.to_bits(), "{text}");
    }
}

#[wasm_bindgen_test]
fn spec_bodies_of_the_wrong_shape_are_refused_as_syntax() {
    use leadform_widget::{parse_spec, MountError};
    for (body, detail) in [
        ("{", "spec.syntax (not JSON)"),
        ("[]", "spec.syntax ("),
        (r#"{"id":"contact"}"#, "spec.syntax ("),
    ] {
        match parse_spec(body) {
            Err(MountError::Spec(message)) => {
                assert!(message.starts_with(detail), "{body}: {message}")
            }
            other => panic!("{body} must be refused as spec.syntax, got {other:?}"),
        }
    }
    // The checks are the edge's: the widget reads any spec of the right shape.
    assert!(parse_spec(r#"{"id":"Bad id","fields":[]}"#).is_ok());
    let container: HtmlElement = document()
        .create_element("div")
        .expect("container")
        .dyn_into()
        .expect("div");
    let served = serde_json::to_string(&spec(QUOTE).public()).expect("public JSON");
    assert!(leadform_widget::mount(
        container.clone(),
        "{",
        "http://127.0.0.1:9/v1/submit",
        "",
        ""
    )
    .is_err());
    assert!(
        leadform_widget::mount(container, &served, "", "", "").is_err(),
        "no submit URL"
    );
}
