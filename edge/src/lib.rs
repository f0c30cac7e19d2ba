//! Leadform's edge: the Cloudflare Worker that re-validates, verifies,
//! timestamps, seals, stores and forwards form submissions.
//!
//! The crate has two layers:
//!
//! - plain Rust modules (everything except [`platform`]) holding every decision
//!   and every byte format: error codes, routing, CORS, anti-spam rules, sealing,
//!   consent certificates, webhook signing, HubSpot/Salesforce payloads, the
//!   values payloads and exports carry (phones split from their extensions),
//!   CSV export and retry backoff. They compile natively and are unit-tested with
//!   `cargo test -p leadform-edge`; they must not touch the Workers runtime, the
//!   clock or the network (callers pass in time, ids and randomness);
//! - `platform` (wasm32 only): the thin layer that uses `worker` for HTTP, D1,
//!   Queues, the cron trigger (the quarantine's TTL purge), the rate-limiter
//!   Durable Object, `fetch` and the static assets binding. `worker` is a wasm32-only dependency, so native builds never see it.

pub mod antispam;
pub mod auth;
pub mod backoff;
pub mod cors;
pub mod crm;
pub mod crypto;
pub mod csv;
pub mod delivery;
pub mod destination_url;
pub mod distribution;
pub mod error;
pub mod events;
pub mod export;
pub mod forms;
pub mod funnel;
pub mod health;
pub mod ids;
pub mod keys;
pub mod listing;
pub mod notify;
pub mod record;
pub mod routes;
pub mod routing;
pub mod seal;
pub mod status;
pub mod time;
pub mod webhook;

#[cfg(target_arch = "wasm32")]
mod platform;

pub use error::EdgeError;
