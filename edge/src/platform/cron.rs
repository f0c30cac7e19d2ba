//! The cron handler (`[triggers] crons` in wrangler.toml), hourly: the
//! quarantine's TTL purge (every held submission past its form's retention
//! becomes an `expired` audit stub: signals, times and seal kept, personal
//! data gone) and the delivery sweep ([`super::ledger::sweep`]): every lead
//! whose delivery is due but evidently not queued (stored but never
//! enqueued, or its message lost), and dead deliveries to a destination
//! that has delivered since (one probe per still-dead destination finds
//! that out), are enqueued again.
//!
//! It must stay idempotent: a run twice, or a missed run, changes nothing
//! but when a stub is written or a lead enqueued (a lead enqueued twice is
//! delivered once: the ledger decides).

use worker::{BatchMessageBuilder, Env};

use crate::backoff::Schedule;
use crate::delivery::DeliveryJob;
use crate::time;

use super::{config, ledger, names, now_ms, store};

/// How long past its due time a delivery may wait in the queue before the
/// sweep takes it for lost: 10 minutes (at the schedule's scale).
const SWEEP_GRACE_S: u64 = 600;

/// The most leads of each kind one sweep enqueues (the next run takes more).
const SWEEP_LIMIT: u32 = 2_000;

/// Queues take at most 100 messages per `sendBatch`.
const SEND_BATCH: usize = 100;

pub(crate) async fn handle(env: Env) {
    let now = now_ms();
    let db = match env.d1(names::DB) {
        Ok(db) => db,
        Err(error) => {
            worker::console_error!("cron: no D1 binding: {error}");
            return;
        }
    };
    match store::expire_quarantine(&db, now, &time::rfc3339_ms(now)).await {
        Ok(expired) => worker::console_log!("cron: {expired} quarantined submissions expired"),
        Err(error) => worker::console_error!("cron: quarantine purge failed: {error}"),
    }
    // Retention per form, data keys re-wrapped (issue 15).
    super::privacy::cron(&env, &db, now).await;
    sweep_deliveries(&env, &db, now).await;
}

async fn sweep_deliveries(env: &Env, db: &worker::D1Database, now: u64) {
    let schedule = Schedule::from_var(config(env, names::DELIVERY_SCHEDULE_SCALE).as_deref());
    let grace_ms = schedule.scaled_ms(SWEEP_GRACE_S);
    let swept = match ledger::sweep(db, now, grace_ms, &time::rfc3339_ms(now), SWEEP_LIMIT).await {
        Ok(swept) => swept,
        Err(error) => {
            worker::console_error!("cron: delivery sweep failed: {error}");
            return;
        }
    };
    let ids = swept.lead_ids();
    let queue = match env.queue(names::DELIVERIES) {
        Ok(queue) => queue,
        Err(error) => {
            worker::console_error!("cron: no queue binding: {error}");
            return;
        }
    };
    let mut sent = 0;
    for chunk in ids.chunks(SEND_BATCH) {
        let batch = BatchMessageBuilder::new()
            .messages(chunk.iter().map(|lead_id| DeliveryJob {
                lead_id: lead_id.clone(),
            }))
            .build();
        match queue.send_batch(batch).await {
            Ok(()) => sent += chunk.len(),
            // The rows are unchanged (or revived): the next run tries again.
            Err(error) => worker::console_error!("cron: enqueue of a sweep batch failed: {error}"),
        }
    }
    worker::console_log!(
        "cron: delivery sweep enqueued {sent} leads ({} due and unqueued, {} revived, {} probes)",
        swept.due.len(),
        swept.revived.len(),
        swept.probes.len()
    );
}
