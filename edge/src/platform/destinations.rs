//! The owner's view of a form's destinations, on D1: their figures for
//! the health report ([`figures`], shaped by [`crate::health`]) and the
//! redrive of their dead letters ([`redrive`], `POST
//! /v1/forms/{id}/destinations/{key}/redrive`): dead deliveries become due
//! now on a fresh retry schedule, as the cron's revive does for a
//! destination that delivers again, and their leads are enqueued; and the
//! lifting of a 410 Gone's disabling ([`enable`]).
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

/// A `RETURNING lead_id` row.
#[derive(Deserialize)]
struct LeadId {
    lead_id: String,
}

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
    enqueue(env, &ids).await?;
    Ok(ids)
}

/// Sends one delivery job per lead, in batches. A failed enqueue leaves the
/// rows due: the cron's sweep sends them.
async fn enqueue(env: &Env, lead_ids: &[String]) -> StoreResult<()> {
    let queue = env.queue(names::DELIVERIES).map_err(storage)?;
    for chunk in lead_ids.chunks(SEND_BATCH) {
        let batch = BatchMessageBuilder::new()
            .messages(chunk.iter().map(|lead_id| DeliveryJob {
                lead_id: lead_id.clone(),
            }))
            .build();
        queue.send_batch(batch).await.map_err(storage)?;
    }
    Ok(())
}

/// What [`enable`] did.
#[derive(Debug, Default)]
pub(crate) struct Enabled {
    /// When a 410 Gone had disabled the destination (`None`: it was not
    /// disabled, and nothing changed).
    pub disabled_at: Option<String>,
    /// The leads whose delivery to it is due again.
    pub lead_ids: Vec<String>,
}

/// Lifts a 410 Gone's disabling of `destination` for `form_id` (`POST
/// /v1/forms/{id}/destinations/{key}/enable`): the deliveries rejected
/// since the disabling (the 410's own lead, and each one the consumer
/// refused as disabled; leads not erased) become due now on a fresh
/// schedule, in the same batch as the lift, and their leads are enqueued.
/// Rejections from before the 410 stay as they are. Repeating it changes
/// nothing once the destination is enabled.
pub(crate) async fn enable(
    env: &Env,
    db: &D1Database,
    form_id: &str,
    destination: &str,
    now_ms: u64,
    at: &str,
) -> StoreResult<Enabled> {
    #[derive(Deserialize)]
    struct Disabled {
        disabled_at: String,
    }
    let disabled: Vec<Disabled> = super::store::all(
        db,
        "SELECT disabled_at FROM disabled_destinations WHERE form_id = ?1 AND destination = ?2",
        &[text(form_id), text(destination)],
    )
    .await?;
    let Some(Disabled { disabled_at }) = disabled.into_iter().next() else {
        return Ok(Enabled::default());
    };
    let revive = super::store::statement(
        db,
        "UPDATE deliveries SET status = 'failed', next_attempt_at_ms = ?1, retry_from_ms = NULL, \
             claim_token = NULL, claim_until_ms = NULL, updated_at = ?2 \
             WHERE rowid IN (SELECT d.rowid FROM deliveries d JOIN leads l ON l.lead_id = d.lead_id \
               WHERE d.status = 'rejected' AND d.destination = ?3 AND l.form_id = ?4 \
                 AND l.erased_at IS NULL AND d.updated_at >= ?5) \
             RETURNING lead_id",
        &[
            number(now_ms),
            text(at),
            text(destination),
            text(form_id),
            text(&disabled_at),
        ],
    )?;
    let lift = super::store::statement(
        db,
        "DELETE FROM disabled_destinations WHERE form_id = ?1 AND destination = ?2",
        &[text(form_id), text(destination)],
    )?;
    let results = db.batch(vec![revive, lift]).await.map_err(storage)?;
    let revived: Vec<LeadId> = match results.first() {
        Some(result) => result.results().map_err(storage)?,
        None => Vec::new(),
    };
    let lead_ids: Vec<String> = revived.into_iter().map(|r| r.lead_id).collect();
    enqueue(env, &lead_ids).await?;
    Ok(Enabled {
        disabled_at: Some(disabled_at),
        lead_ids,
    })
}
