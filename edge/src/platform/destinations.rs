//! The owner's view of a form's destinations, on D1: their figures for
//! the health report ([`figures`], shaped by [`crate::health`]) and the
//! redrive of their dead letters ([`redrive`], `POST
//! /v1/forms/{id}/destinations/{key}/redrive`): dead deliveries become due
//! now on a fresh retry schedule, as the cron's revive does for a
//! destination that delivers again, and their leads are enqueued.
//!
//! Sending stays the consumer's: this module only changes ledger rows the
//! consumer's claim rules then act on; it never sends.

use serde::Deserialize;
use worker::{BatchMessageBuilder, D1Database, Env};

use super::names;
use super::store::{number, storage, text, StoreResult};
use crate::delivery::DeliveryJob;
use crate::health::DestinationFigures;

/// Queue messages per `send_batch` (the Queues limit is 100).
const SEND_BATCH: usize = 100;
/// Dead deliveries redriven per request (the owner repeats for more).
pub(crate) const REDRIVE_LIMIT: u32 = 500;

/// Each destination's figures for `form_id`'s leads.
pub(crate) async fn figures(
    db: &D1Database,
    form_id: &str,
) -> StoreResult<Vec<DestinationFigures>> {
    #[derive(Deserialize)]
    struct Row {
        destination: String,
        delivered: f64,
        queued: f64,
        dead: f64,
        rejected: f64,
        last_success_at: Option<String>,
        failing_since_ms: Option<f64>,
        disabled_at: Option<String>,
    }
    let rows: Vec<Row> = super::store::all(
        db,
        "SELECT d.destination AS destination, \
               SUM(CASE WHEN d.status = 'delivered' THEN 1 ELSE 0 END) AS delivered, \
               SUM(CASE WHEN d.status IN ('pending', 'failed') THEN 1 ELSE 0 END) AS queued, \
               SUM(CASE WHEN d.status = 'dead' THEN 1 ELSE 0 END) AS dead, \
               SUM(CASE WHEN d.status NOT IN ('delivered', 'pending', 'failed', 'dead') THEN 1 ELSE 0 END) AS rejected, \
               MAX(d.delivered_at) AS last_success_at, \
               MIN(CASE WHEN d.status IN ('failed', 'dead') THEN d.retry_from_ms END) AS failing_since_ms, \
               (SELECT x.disabled_at FROM disabled_destinations x \
                 WHERE x.form_id = ?1 AND x.destination = d.destination) AS disabled_at \
             FROM deliveries d JOIN leads l ON l.lead_id = d.lead_id WHERE l.form_id = ?1 \
             GROUP BY d.destination ORDER BY d.destination",
        &[text(form_id)],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DestinationFigures {
            destination: r.destination,
            delivered: r.delivered as u64,
            queued: r.queued as u64,
            dead: r.dead as u64,
            rejected: r.rejected as u64,
            last_success_at: r.last_success_at,
            failing_since_ms: r.failing_since_ms.map(|ms| ms as u64),
            disabled_at: r.disabled_at,
        })
        .collect())
}

/// Makes `destination`'s dead deliveries of `form_id` (leads not erased)
/// due now on a fresh schedule and enqueues their leads; returns their ids.
pub(crate) async fn redrive(
    env: &Env,
    db: &D1Database,
    form_id: &str,
    destination: &str,
    now_ms: u64,
    at: &str,
) -> StoreResult<Vec<String>> {
    #[derive(Deserialize)]
    struct LeadId {
        lead_id: String,
    }
    let rows: Vec<LeadId> = super::store::all(
        db,
        "UPDATE deliveries SET status = 'failed', next_attempt_at_ms = ?1, retry_from_ms = NULL, \
             claim_token = NULL, claim_until_ms = NULL, updated_at = ?2 \
             WHERE rowid IN (SELECT d.rowid FROM deliveries d JOIN leads l ON l.lead_id = d.lead_id \
               WHERE d.status = 'dead' AND d.destination = ?3 AND l.form_id = ?4 AND l.erased_at IS NULL \
               LIMIT ?5) \
             RETURNING lead_id",
        &[
            number(now_ms),
            text(at),
            text(destination),
            text(form_id),
            number(u64::from(REDRIVE_LIMIT)),
        ],
    )
    .await?;
    let ids: Vec<String> = rows.into_iter().map(|r| r.lead_id).collect();
    let queue = env.queue(names::DELIVERIES).map_err(storage)?;
    for chunk in ids.chunks(SEND_BATCH) {
        let batch = BatchMessageBuilder::new()
            .messages(chunk.iter().map(|lead_id| DeliveryJob {
                lead_id: lead_id.clone(),
            }))
            .build();
        // A failed enqueue leaves the rows due: the cron's sweep sends them.
        queue.send_batch(batch).await.map_err(storage)?;
    }
    Ok(ids)
}
