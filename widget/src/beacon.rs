//! Analytics beacons: what the visitor does with the form, never what they
//! type. Events ([`leadform_shared::analytics::Event`]: kinds, field ids,
//! durations, correction counts, error codes) are queued and sent in
//! batches with `navigator.sendBeacon` to the edge's `POST /v1/events`: when
//! the form comes into view, when the page is hidden or left, and when the
//! lead is accepted.
//!
//! With Global Privacy Control (`navigator.globalPrivacyControl`) or the
//! spec's `analytics = "anonymous"` no visitor id is sent; with
//! `analytics = "off"` nothing is. This module must not read field values
//! (only the length of a text, to count corrections) and must not decide
//! anything about the form.

use leadform_shared::analytics::{
    AnalyticsMode, Event, EventBatch, EventKind, EVENTS_VERSION, MAX_EVENTS,
};
use leadform_shared::ErrorCode;
use leptos::prelude::{StoredValue, UpdateValue, WithValue};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::platform;

/// Where and as whom beacons go (fixed for the page).
struct Config {
    url: String,
    form: String,
    variant: Option<String>,
    visitor: Option<String>,
}

/// A visit's progress, as the beacons need it.
#[derive(Default)]
struct Tracker {
    events: Vec<Event>,
    seen: bool,
    started: bool,
    submitted: bool,
    /// Accepted or abandoned: nothing more to say about this visit.
    closed: bool,
    /// The focused field, since when, its corrections so far and whether
    /// the last input deleted.
    focus: Option<(String, u64, u32, bool)>,
    last_field: String,
}

/// The beacons of one mounted form (`Copy`: a handler may capture it).
#[derive(Clone, Copy)]
pub struct Beacons {
    config: Option<&'static Config>,
    track: StoredValue<Tracker>,
}

/// Whether the browser sends Global Privacy Control.
fn gpc() -> bool {
    js_sys::Reflect::get(
        &platform::window().navigator(),
        &"globalPrivacyControl".into(),
    )
    .is_ok_and(|v| v.as_bool() == Some(true))
}

impl Beacons {
    /// `submit_url` ends in `/v1/submit`; beacons go to `/v1/events` beside it.
    pub fn new(
        mode: AnalyticsMode,
        submit_url: &str,
        form: &str,
        variant: Option<String>,
        visitor_id: &str,
    ) -> Beacons {
        let config = (mode != AnalyticsMode::Off).then(|| {
            let base = submit_url.strip_suffix("/submit").unwrap_or(submit_url);
            let visitor = (mode == AnalyticsMode::Visitor && !gpc()).then(|| visitor_id.to_owned());
            &*Box::leak(Box::new(Config {
                url: leadform_shared::concat(&[base, "/events"]),
                form: form.to_owned(),
                variant,
                visitor,
            }))
        });
        Beacons {
            config,
            track: StoredValue::new(Tracker::default()),
        }
    }

    fn push(&self, event: Event) {
        if self.config.is_none() {
            return;
        }
        let full = self.track.try_update_value(|t| {
            t.events.push(event);
            t.events.len() >= MAX_EVENTS - 4
        });
        if full == Some(true) {
            self.flush();
        }
    }

    fn field_event(k: EventKind, field: &str) -> Event {
        Event {
            f: field.to_owned(),
            ..Event::new(k)
        }
    }

    /// Sends the queued events in one beacon.
    pub fn flush(&self) {
        let Some(config) = self.config else { return };
        let events = self
            .track
            .try_update_value(|t| std::mem::take(&mut t.events))
            .unwrap_or_default();
        if events.is_empty() {
            return;
        }
        let batch = EventBatch {
            v: EVENTS_VERSION,
            form: config.form.clone(),
            variant: config.variant.clone(),
            visitor: config.visitor.clone(),
            events,
        };
        if let Some(body) = platform::to_json(&batch) {
            let _ = platform::window()
                .navigator()
                .send_beacon_with_opt_str(&config.url, Some(&body));
        }
    }

    /// Watches `root` and sends `seen` the first time it is in view, then
    /// sends what is queued whenever the page is hidden or left.
    pub fn watch(&self, root: &web_sys::HtmlElement) {
        if self.config.is_none() {
            return;
        }
        let beacons = *self;
        let on_view = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let visible = entries.iter().any(|e| {
                e.unchecked_into::<web_sys::IntersectionObserverEntry>()
                    .is_intersecting()
            });
            if visible
                && beacons
                    .track
                    .try_update_value(|t| !std::mem::replace(&mut t.seen, true))
                    == Some(true)
            {
                beacons.push(Event::new(EventKind::Seen));
                beacons.flush();
            }
        });
        if let Ok(observer) = web_sys::IntersectionObserver::new(on_view.as_ref().unchecked_ref()) {
            observer.observe(root);
        }
        on_view.forget();
        let window = platform::window();
        platform::on(&window, "pagehide", Box::new(move || beacons.leave()));
        if let Some(document) = window.document() {
            platform::on(
                &document,
                "visibilitychange",
                Box::new(move || {
                    if platform::page_hidden() {
                        beacons.leave();
                    }
                }),
            );
        }
    }

    /// A field took focus.
    pub fn focus(&self, field: &str) {
        let now = platform::now_ms();
        let (start, same) = self
            .track
            .try_update_value(|t| {
                let same = t.focus.as_ref().is_some_and(|(f, ..)| f == field);
                if !same {
                    t.focus = Some((field.to_owned(), now, 0, false));
                    t.last_field = field.to_owned();
                }
                (!std::mem::replace(&mut t.started, true), same)
            })
            .unwrap_or((false, true));
        if start {
            self.push(Event::new(EventKind::Start));
        }
        if !same {
            self.push(Self::field_event(EventKind::Focus, field));
        }
    }

    /// A field lost focus: its time and corrections since it took it.
    pub fn blur(&self, field: &str) {
        let now = platform::now_ms();
        let focus = self.track.try_update_value(|t| match &t.focus {
            Some((f, ..)) if f == field => t.focus.take(),
            _ => None,
        });
        if let Some(Some((f, since, corrections, _))) = focus {
            let ms = now.saturating_sub(since).min(3_600_000) as u32;
            self.push(Event {
                ms,
                n: corrections,
                ..Self::field_event(EventKind::Blur, &f)
            });
        }
    }

    /// The text of `field` went from `before` to `after` characters: a run
    /// of deletions is one correction.
    pub fn input(&self, field: &str, before: usize, after: usize) {
        self.track.update_value(|t| {
            if let Some((f, _, corrections, deleting)) = &mut t.focus {
                if f == field {
                    let deletes = after < before;
                    if deletes && !*deleting {
                        *corrections += 1;
                    }
                    *deleting = deletes;
                }
            }
        });
    }

    pub fn error(&self, field: &str, code: ErrorCode) {
        self.push(Event {
            code: code.as_str().to_owned(),
            ..Self::field_event(EventKind::Error, field)
        });
    }

    /// Step `index` (>= 1) was reached.
    pub fn step(&self, index: usize) {
        self.push(Event {
            n: index as u32,
            ..Event::new(EventKind::Step)
        });
    }

    /// Submit pressed on the last step (counted once per visit).
    pub fn submit(&self) {
        if self
            .track
            .try_update_value(|t| !std::mem::replace(&mut t.submitted, true))
            == Some(true)
        {
            self.push(Event::new(EventKind::Submit));
        }
    }

    pub fn accepted(&self) {
        self.track.update_value(|t| t.closed = true);
        self.push(Event::new(EventKind::Accepted));
        self.flush();
    }

    /// The page is hidden or left: the focused field's time, an abandon
    /// at the last field touched (once, when the visit started and no lead
    /// was accepted), then everything queued.
    fn leave(&self) {
        let focused = self
            .track
            .with_value(|t| t.focus.as_ref().map(|(f, ..)| f.clone()));
        if let Some(field) = focused {
            self.blur(&field);
        }
        let abandon = self.track.try_update_value(|t| {
            let abandon = t.started && !t.closed;
            if abandon {
                t.closed = true;
            }
            abandon.then(|| t.last_field.clone())
        });
        if let Some(Some(field)) = abandon {
            self.push(Self::field_event(EventKind::Abandon, &field));
        }
        self.flush();
    }
}
