//! The widget's reactivity: signals that hold the form's state and effects
//! that keep the DOM in step with them (the same model as Leptos's
//! `RwSignal` and `ImmediateEffect`, in a few hundred bytes of wasm).
//!
//! A signal read inside a running effect subscribes that effect; writing the
//! signal runs its subscribers again, synchronously. Forms are never
//! unmounted, so signals and effects live as long as the page: they are
//! leaked on purpose and handles are `Copy`. Single-threaded by design (the
//! browser's main thread). This module must not know about the DOM or forms.

use std::cell::{Cell, RefCell};

/// Work that re-runs whenever a signal it read last time changes.
struct Effect {
    run: Box<dyn Fn()>,
    running: Cell<bool>,
    /// Set when a signal it depends on changes while it is running.
    dirty: Cell<bool>,
}

/// The effects subscribed to one signal (each at most once).
type Subscribers = RefCell<Vec<&'static Effect>>;

thread_local! {
    /// The effect currently running, if any: the one a signal read subscribes.
    static CURRENT: Cell<Option<&'static Effect>> = const { Cell::new(None) };
}

/// Runs `update` now and again whenever a signal it reads changes.
pub fn effect(update: Box<dyn Fn()>) {
    let effect: &'static Effect = Box::leak(Box::new(Effect {
        run: update,
        running: Cell::new(false),
        dirty: Cell::new(false),
    }));
    run(effect);
}

fn run(effect: &'static Effect) {
    if effect.running.get() {
        // A signal it reads changed during its own run: run once more after.
        effect.dirty.set(true);
        return;
    }
    effect.running.set(true);
    let outer = CURRENT.replace(Some(effect));
    loop {
        effect.dirty.set(false);
        (effect.run)();
        if !effect.dirty.get() {
            break;
        }
    }
    CURRENT.set(outer);
    effect.running.set(false);
}

fn subscribe_current(subscribers: &Subscribers) {
    if let Some(current) = CURRENT.get() {
        let mut subscribers = subscribers.borrow_mut();
        if !subscribers.iter().any(|e| std::ptr::eq(*e, current)) {
            subscribers.push(current);
        }
    }
}

fn notify(subscribers: &Subscribers) {
    // Copied first: an effect may subscribe to this signal while it runs.
    let subscribers = subscribers.borrow().clone();
    for effect in subscribers {
        run(effect);
    }
}

struct SignalSlot<T> {
    value: RefCell<T>,
    subscribers: Subscribers,
}

/// A piece of state that effects reading it follow.
pub struct RwSignal<T: 'static>(&'static SignalSlot<T>);

impl<T> Clone for RwSignal<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RwSignal<T> {}

impl<T> RwSignal<T> {
    pub fn new(value: T) -> Self {
        Self(Box::leak(Box::new(SignalSlot {
            value: RefCell::new(value),
            subscribers: RefCell::new(Vec::new()),
        })))
    }

    /// Reads the value, subscribing the running effect.
    pub fn with<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        subscribe_current(&self.0.subscribers);
        self.with_untracked(read)
    }

    /// Reads the value without subscribing anything.
    pub fn with_untracked<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        read(&self.0.value.borrow())
    }

    /// Changes the value in place and runs the subscribed effects.
    pub fn update(&self, change: impl FnOnce(&mut T)) {
        change(&mut self.0.value.borrow_mut());
        notify(&self.0.subscribers);
    }

    /// Replaces the value and runs the subscribed effects.
    pub fn set(&self, value: T) {
        self.update(|slot| *slot = value);
    }
}

impl<T: Clone> RwSignal<T> {
    /// A copy of the value, subscribing the running effect.
    pub fn get(&self) -> T {
        self.with(T::clone)
    }

    /// A copy of the value without subscribing anything.
    pub fn get_untracked(&self) -> T {
        self.with_untracked(T::clone)
    }
}

/// State no effect follows (timers, the pending retry).
pub struct StoredValue<T: 'static>(&'static RefCell<T>);

impl<T> Clone for StoredValue<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for StoredValue<T> {}

impl<T> StoredValue<T> {
    pub fn new(value: T) -> Self {
        Self(Box::leak(Box::new(RefCell::new(value))))
    }

    pub fn set_value(&self, value: T) {
        *self.0.borrow_mut() = value;
    }

    pub fn update_value(&self, change: impl FnOnce(&mut T)) {
        change(&mut self.0.borrow_mut());
    }
}

impl<T: Clone> StoredValue<T> {
    pub fn get_value(&self) -> T {
        self.0.borrow().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn effects_follow_the_signals_they_read() {
        let (shown, name) = (RwSignal::new(true), RwSignal::new("a".to_owned()));
        let log = Rc::new(RefCell::new(Vec::new()));
        let sink = log.clone();
        effect(Box::new(move || {
            let line = if shown.get() {
                name.get()
            } else {
                "-".to_owned()
            };
            sink.borrow_mut().push(line);
        }));
        name.set("b".to_owned());
        shown.set(false);
        // No longer read by the effect's last run, but still subscribed: it
        // re-runs and gives the same output, which bindings tolerate.
        name.update(|n| n.push('c'));
        assert_eq!(*log.borrow(), ["a", "b", "-", "-"]);
        assert_eq!(name.get_untracked(), "bc");
    }

    #[test]
    fn untracked_reads_do_not_subscribe() {
        let count = RwSignal::new(0);
        let runs = Rc::new(Cell::new(0));
        let sink = runs.clone();
        effect(Box::new(move || {
            count.with_untracked(|_| ());
            sink.set(sink.get() + 1);
        }));
        count.set(1);
        assert_eq!(runs.get(), 1);
    }

    #[test]
    fn an_effect_writing_what_it_reads_settles() {
        let count = RwSignal::new(0);
        effect(Box::new(move || {
            if count.get() < 3 {
                count.update(|n| *n += 1);
            }
        }));
        assert_eq!(count.get_untracked(), 3);
    }

    #[test]
    fn stored_values_hold_state_without_effects() {
        let retry = StoredValue::new(None::<u32>);
        retry.set_value(Some(2));
        retry.update_value(|v| *v = v.map(|n| n + 1));
        assert_eq!(retry.get_value(), Some(3));
    }
}
