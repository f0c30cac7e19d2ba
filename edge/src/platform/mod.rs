//! The Workers runtime layer (wasm32 only): HTTP entry point, queue consumers,
//! the cron handler and the rate-limiter Durable Object, built on `worker`.
//!
//! It reads requests, bindings, secrets and the clock, and calls the pure
//! modules for every decision. It must stay thin: no validation rules, byte
//! formats or retry policy live here.

mod alerts;
mod analytics;
mod consumer;
mod cron;
mod destinations;
mod distribution;
mod events;
mod http;
mod keys;
mod lead_status;
mod ledger;
mod owner;
mod privacy;
mod rate_limiter;
mod router;
mod store;
mod submit;
mod tokens;

use worker::{
    event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent,
};

use crate::delivery::DeliveryJob;

/// Names of bindings, secrets and vars (documented in wrangler.toml).
pub(crate) mod names {
    pub const DB: &str = "DB";
    pub const DELIVERIES: &str = "DELIVERIES";
    pub const RATE_LIMITER: &str = "RATE_LIMITER";
    pub const ROUTER: &str = "ROUTER";
    /// Test only: routing's clock moved by this many ms.
    pub const ROUTING_CLOCK_OFFSET_MS: &str = "ROUTING_CLOCK_OFFSET_MS";
    /// Test only: the length of an SLA minute in ms (default 60000).
    pub const SLA_MINUTE_MS: &str = "SLA_MINUTE_MS";
    pub const ASSETS: &str = "ASSETS";
    pub const SEAL_KEY: &str = "SEAL_KEY";
    pub const ADMIN_TOKEN: &str = "ADMIN_TOKEN";
    pub const QUARANTINE_TOKEN: &str = "QUARANTINE_TOKEN";
    pub const TURNSTILE_SECRET: &str = "TURNSTILE_SECRET";
    pub const TURNSTILE_VERIFY_URL: &str = "TURNSTILE_VERIFY_URL";
    /// Multiplies every delay of the retry schedule (tests compress the week).
    pub const DELIVERY_SCHEDULE_SCALE: &str = "DELIVERY_SCHEDULE_SCALE";
    /// Test only: the name of one [`super::fault`] point where the Worker aborts.
    pub const FAULT_POINT: &str = "FAULT_POINT";
    pub const DELIVERY_TIMEOUT_MS: &str = "DELIVERY_TIMEOUT_MS";
    /// `off`: no first delivery attempt from the submit request (the queue
    /// alone delivers); on by default.
    pub const FIRST_ATTEMPT: &str = "FIRST_ATTEMPT";
    pub const DESTINATION_URL_REWRITES: &str = "DESTINATION_URL_REWRITES";
    pub const DLQ_NAME: &str = "leadform-deliveries-dlq";
}

/// Crash points for the fault tests, enabled only by the `FAULT_POINT` var
/// (never set in production): the Worker aborts there (the request or the
/// queue batch throws), as if the isolate died.
pub(crate) mod fault {
    /// After the lead's D1 batch, before the enqueue (`POST /v1/submit`).
    pub const AFTER_D1_WRITE: &str = "after_d1_write";
    /// After the enqueue, before the 202 (`POST /v1/submit`).
    pub const AFTER_ENQUEUE: &str = "after_enqueue";
    /// After a destination's 2xx is settled in the ledger, before the
    /// queue message is acknowledged (the consumer).
    pub const AFTER_DESTINATION_2XX: &str = "after_destination_2xx";
    /// After a destination's 2xx, before the ledger settles it (the
    /// consumer; the ledger's interrupted-claim case).
    pub const BEFORE_SETTLE: &str = "before_settle";

    /// Whether the Worker should abort at `point`.
    pub(crate) fn hit(env: &worker::Env, point: &str) -> bool {
        super::config(env, super::names::FAULT_POINT).is_some_and(|v| v.trim() == point)
    }
}

/// A secret or var as text, if set and non-empty.
pub(crate) fn config(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|value| !value.is_empty())
}

/// A numeric var, or `default`.
pub(crate) fn config_u32(env: &Env, name: &str, default: u32) -> u32 {
    config(env, name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

pub(crate) fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    http::handle(req, env, ctx).await
}

#[event(queue)]
async fn queue(batch: MessageBatch<DeliveryJob>, env: Env, _ctx: Context) -> Result<()> {
    consumer::handle(batch, env).await
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // The every-minute trigger runs only the SLA sweep (speed to lead).
    if event.cron() == alerts::SLA_CRON {
        alerts::sla_cron(env).await;
        return;
    }
    cron::handle(env).await
}
