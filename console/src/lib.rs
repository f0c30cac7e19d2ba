//! Leadform's owner console: a Leptos 0.8 client-side app, served by the
//! edge from static assets at `/console/` (built by `console/build.sh` into
//! `dist/assets/console/`), where a site owner sees, verifies and acts on
//! leads.
//!
//! It talks only to the owner API ([`api`]) with a token entered once per
//! browser session, and checks consent certificates in the browser from the
//! published Ed25519 keys (`leadform-verify`), so the badge it shows does not
//! take the Worker's word for it. The model ([`model`]: pages, queries,
//! contacts, ages, chart geometry) is apart from the components ([`view`]).
//! This crate must not hold product rules (validation, scoring, routing: the
//! edge decides and the console shows) nor call anything but the owner API
//! and the published keys.

pub mod api;
pub mod model;
pub mod view;

use wasm_bindgen::prelude::wasm_bindgen;

/// Mounts the console into the page's `<body>` (`console/static/index.html`).
#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(view::App);
}
