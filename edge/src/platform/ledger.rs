//! The delivery ledger: per (lead id, destination), whether that
//! destination has received the lead, and who may send it now. It lives in
//! the `deliveries` rows (migrations 0001, 0005, 0006; each attempt's origin,
//! 0014); its SQL is here.
//!
//! Every sender (the queue consumer, and the first attempt from the submit
//! request's `waitUntil`, `platform::consumer::first_attempt`) follows the
//! same three steps, and never sends otherwise:
//!
//! 1. [`slots`] reads the lead's rows (status, attempts, when the next try
//!    is due, any claim).
//! 2. [`claim`] takes each due, unfinished row it wants for a lease
//!    (`claim_token`, `claim_until_ms`): a conditional `UPDATE` that
//!    succeeds for one sender only, so two senders never send the same lead
//!    to the same destination at once. A row whose earlier claim expired
//!    unsettled is handed over as [`Claimed::interrupted`]: a sender crashed
//!    between claiming and settling, so the destination may or may not have
//!    the lead; one that cannot deduplicate
//!    ([`crate::delivery::Outcome::can_deduplicate`]) is then settled
//!    `in_doubt` without sending. (The consumer settles a send to such a
//!    destination that timed out `in_doubt` too:
//!    [`crate::delivery::Outcome::for_no_answer`].)
//! 3. [`settle`] writes the answer (the attempt log row and the delivery
//!    row, claim cleared, next try due) in one batch, before the queue
//!    message is acknowledged. A finished row (`delivered`,
//!    `sent_unconfirmed`, `duplicate`, `rejected`, `in_doubt`) is never
//!    claimed again, so a redelivered message after a crash sends nothing
//!    twice.
//!
//! [`sweep`] is the cron's: leads whose delivery is due but evidently not
//! queued (never enqueued, or the message lost), and dead deliveries to a
//! destination that has since recovered, come back for the queue.
//!
//! It must not decide policy (the schedule is `crate::backoff`, the
//! classification `crate::delivery`); it only reads and writes rows.

use super::store::{number, opt_text, storage, text};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Delay};

use crate::backoff;
use crate::error::EdgeError;

pub(crate) type StoreResult<T> = std::result::Result<T, EdgeError>;

fn opt_number(value: Option<u64>) -> JsValue {
    value.map(number).unwrap_or(JsValue::NULL)
}

/// Runs an idempotent D1 operation, trying it again (up to three tries in
/// all, [`backoff::D1_RETRY_WAITS_MS`] apart) when it fails with one of
/// D1's transient errors ([`backoff::is_transient_d1`]).
pub(crate) async fn retry_transient<T, F, Fut>(mut operation: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StoreResult<T>>,
{
    let mut waits = backoff::D1_RETRY_WAITS_MS.iter();
    loop {
        match operation().await {
            Err(EdgeError::StorageUnavailable(message)) if backoff::is_transient_d1(&message) => {
                match waits.next() {
                    Some(wait) => {
                        worker::console_warn!("D1 transient error, trying again: {message}");
                        Delay::from(std::time::Duration::from_millis(*wait)).await;
                    }
                    None => return Err(EdgeError::StorageUnavailable(message)),
                }
            }
            done => return done,
        }
    }
}

/// One delivery row as the ledger sees it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Slot {
    pub destination: String,
    pub status: String,
    pub attempts: f64,
    pub next_attempt_at_ms: Option<f64>,
    pub retry_from_ms: Option<f64>,
    pub claim_token: Option<String>,
    pub claim_until_ms: Option<f64>,
}

impl Slot {
    /// Finished: never sent again (the owner's replay resets it).
    pub fn finished(&self) -> bool {
        crate::delivery::Outcome::is_final(&self.status)
    }

    /// Given up (`dead`) or erased: not sent until revived or replayed.
    pub fn stopped(&self) -> bool {
        matches!(self.status.as_str(), "dead" | "erased")
    }

    /// When this row may be claimed: its next try, or its claim's end.
    pub fn free_at_ms(&self) -> u64 {
        let due = self.next_attempt_at_ms.unwrap_or(0.0) as u64;
        let lease = match self.claim_token {
            Some(_) => self.claim_until_ms.unwrap_or(0.0) as u64,
            None => 0,
        };
        due.max(lease)
    }
}

const SLOT_COLUMNS: &str =
    "destination, status, attempts, next_attempt_at_ms, retry_from_ms, claim_token, claim_until_ms";

/// The lead's delivery rows.
pub(crate) async fn slots(db: &D1Database, lead_id: &str) -> StoreResult<Vec<Slot>> {
    let sql =
        format!("SELECT {SLOT_COLUMNS} FROM deliveries WHERE lead_id = ?1 ORDER BY destination");
    db.prepare(&sql)
        .bind(&[text(lead_id)])
        .map_err(storage)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)
}

/// The destinations of `form_id` disabled by a 410 answer.
pub(crate) async fn disabled(db: &D1Database, form_id: &str) -> StoreResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        destination: String,
    }
    let rows: Vec<Row> = db
        .prepare("SELECT destination FROM disabled_destinations WHERE form_id = ?1")
        .bind(&[text(form_id)])
        .map_err(storage)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    Ok(rows.into_iter().map(|r| r.destination).collect())
}

/// A row this sender now holds.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    /// The number of the attempt about to be made (1-based).
    pub attempt: u32,
    /// When the retry schedule started (the first failure), if it has.
    pub retry_from_ms: Option<u64>,
    /// An earlier sender claimed the row and never settled it.
    pub interrupted: bool,
}

/// Claims each of `wanted` (rows read by [`slots`], due at `now_ms`,
/// unfinished) for `token` until `now_ms + lease_ms`; returns the rows
/// won. A row changed since it was read (another sender claimed or settled
/// it) is not won. Trying again with the same token is harmless.
pub(crate) async fn claim(
    db: &D1Database,
    lead_id: &str,
    wanted: &[&Slot],
    token: &str,
    now_ms: u64,
    lease_ms: u64,
) -> StoreResult<Vec<Claimed>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(Deserialize)]
    struct Won {
        destination: String,
    }
    let mut statements = Vec::with_capacity(wanted.len());
    for slot in wanted {
        statements.push(
            db.prepare(
                "UPDATE deliveries SET claim_token = ?3, claim_until_ms = ?4 \
                 WHERE lead_id = ?1 AND destination = ?2 \
                 AND status NOT IN ('delivered', 'sent_unconfirmed', 'duplicate', 'rejected', 'in_doubt', 'dead', 'erased') \
                 AND (claim_token = ?3 OR (claim_token IS ?5 AND (claim_until_ms IS NULL OR claim_until_ms <= ?6))) \
                 AND (next_attempt_at_ms IS NULL OR next_attempt_at_ms <= ?6) \
                 RETURNING destination",
            )
            .bind(&[
                text(lead_id),
                text(&slot.destination),
                text(token),
                number(now_ms + lease_ms),
                opt_text(slot.claim_token.as_deref()),
                number(now_ms),
            ])
            .map_err(storage)?,
        );
    }
    let results = db.batch(statements).await.map_err(storage)?;
    let mut claimed = Vec::new();
    for (slot, result) in wanted.iter().zip(results) {
        let won: Vec<Won> = result.results().map_err(storage)?;
        if won.iter().any(|w| w.destination == slot.destination) {
            claimed.push(Claimed {
                attempt: slot.attempts as u32 + 1,
                retry_from_ms: slot.retry_from_ms.map(|v| v as u64),
                interrupted: slot
                    .claim_token
                    .as_deref()
                    .is_some_and(|earlier| earlier != token),
            });
        }
    }
    Ok(claimed)
}

/// One finished attempt, as [`settle`] writes it.
pub(crate) struct Settlement<'a> {
    pub lead_id: &'a str,
    pub form_id: &'a str,
    pub destination: &'a str,
    pub token: &'a str,
    pub attempt: u32,
    /// Who made it: `submit` (the first attempt) or `queue`.
    pub origin: &'a str,
    /// The stored status: an outcome's word, or `dead` when the schedule is over.
    pub status: &'a str,
    /// The attempt log's outcome word.
    pub outcome: &'a str,
    pub http_status: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
    /// The answer body, already redacted ([`crate::delivery::redact_answer`]).
    pub answer: Option<String>,
    pub retry_after_s: Option<u32>,
    /// The destination's id for the record (kept once known).
    pub remote_id: Option<String>,
    /// When the next try is due (a retried delivery).
    pub next_attempt_at_ms: Option<u64>,
    /// When the retry schedule started (kept once set).
    pub retry_from_ms: Option<u64>,
    /// The answer disables the destination (410 Gone).
    pub disables: bool,
    pub at: &'a str,
}

/// Writes one attempt: the log row and the delivery row (claim released,
/// next try due), and a 410's disabling of the destination, in one batch.
/// Tried again on a transient D1 error; a repeat adds at most one more log
/// row, never a second outcome.
pub(crate) async fn settle(db: &D1Database, s: &Settlement<'_>) -> StoreResult<()> {
    retry_transient(|| settle_once(db, s)).await
}

async fn settle_once(db: &D1Database, s: &Settlement<'_>) -> StoreResult<()> {
    let status = s
        .http_status
        .map(|v| number(u64::from(v)))
        .unwrap_or(JsValue::NULL);
    let delivered_at = if matches!(s.status, "delivered" | "sent_unconfirmed" | "duplicate") {
        text(s.at)
    } else {
        JsValue::NULL
    };
    let mut statements = vec![
        db.prepare(
            "INSERT INTO delivery_attempts (lead_id, destination, attempt, outcome, http_status, latency_ms, error, at, \
             answer, retry_after_s, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .bind(&[
            text(s.lead_id),
            text(s.destination),
            number(u64::from(s.attempt)),
            text(s.outcome),
            status.clone(),
            number(s.latency_ms),
            opt_text(s.error.as_deref()),
            text(s.at),
            opt_text(s.answer.as_deref()),
            opt_number(s.retry_after_s.map(u64::from)),
            text(s.origin),
        ])
        .map_err(storage)?,
        db.prepare(
            "UPDATE deliveries SET status = ?4, attempts = MAX(attempts, ?5), last_http_status = ?6, last_error = ?7, \
             updated_at = ?8, delivered_at = COALESCE(?9, delivered_at), last_answer = ?10, \
             remote_id = COALESCE(?11, remote_id), next_attempt_at_ms = ?12, \
             retry_from_ms = COALESCE(retry_from_ms, ?13), claim_token = NULL, claim_until_ms = NULL \
             WHERE lead_id = ?1 AND destination = ?2 AND claim_token = ?3",
        )
        .bind(&[
            text(s.lead_id),
            text(s.destination),
            text(s.token),
            text(s.status),
            number(u64::from(s.attempt)),
            status,
            opt_text(s.error.as_deref()),
            text(s.at),
            delivered_at,
            opt_text(s.answer.as_deref()),
            opt_text(s.remote_id.as_deref()),
            opt_number(s.next_attempt_at_ms),
            opt_number(s.retry_from_ms),
        ])
        .map_err(storage)?,
    ];
    if s.disables {
        statements.push(
            db.prepare(
                "INSERT OR IGNORE INTO disabled_destinations (form_id, destination, disabled_at, lead_id, http_status) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[
                text(s.form_id),
                text(s.destination),
                text(s.at),
                text(s.lead_id),
                s.http_status
                    .map(|v| number(u64::from(v)))
                    .unwrap_or(JsValue::NULL),
            ])
            .map_err(storage)?,
        );
    }
    db.batch(statements).await.map_err(storage)?;
    Ok(())
}

/// What one sweep found.
#[derive(Debug, Default)]
pub(crate) struct Swept {
    /// Leads due (or never tried) whose queue message is evidently gone.
    pub due: Vec<String>,
    /// Dead deliveries to a destination that has delivered since they died.
    pub revived: Vec<String>,
    /// One dead delivery per destination still without such evidence, to
    /// find out whether it is back.
    pub probes: Vec<String>,
}

impl Swept {
    /// Every lead to enqueue, once each.
    pub fn lead_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .due
            .iter()
            .chain(&self.revived)
            .chain(&self.probes)
            .cloned()
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

#[derive(Deserialize)]
struct LeadId {
    lead_id: String,
}

/// The sweep: at most `limit` leads of each kind. A delivery counts as due
/// and unqueued when its next try (or, never tried, its lead's receipt) is
/// older than `now_ms - grace_ms` and nobody holds it. A revived delivery
/// starts a new retry schedule; a probe keeps its own (so a probe that
/// fails is dead again at once).
pub(crate) async fn sweep(
    db: &D1Database,
    now_ms: u64,
    grace_ms: u64,
    at: &str,
    limit: u32,
) -> StoreResult<Swept> {
    let ids = |rows: Vec<LeadId>| rows.into_iter().map(|r| r.lead_id).collect::<Vec<_>>();
    let due: Vec<LeadId> = db
        .prepare(
            "SELECT DISTINCT d.lead_id AS lead_id FROM deliveries d JOIN leads l ON l.lead_id = d.lead_id \
             WHERE d.status IN ('pending', 'failed') AND l.erased_at IS NULL \
             AND COALESCE(d.next_attempt_at_ms, l.received_at_ms) <= ?1 \
             AND (d.claim_until_ms IS NULL OR d.claim_until_ms <= ?2) LIMIT ?3",
        )
        .bind(&[
            number(now_ms.saturating_sub(grace_ms)),
            number(now_ms),
            number(u64::from(limit)),
        ])
        .map_err(storage)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    let revived: Vec<LeadId> = db
        .prepare(
            "UPDATE deliveries SET status = 'failed', next_attempt_at_ms = ?1, retry_from_ms = NULL, \
             claim_token = NULL, claim_until_ms = NULL, updated_at = ?2 \
             WHERE rowid IN (SELECT d.rowid FROM deliveries d JOIN leads l ON l.lead_id = d.lead_id \
               WHERE d.status = 'dead' AND l.erased_at IS NULL AND EXISTS ( \
                 SELECT 1 FROM deliveries s JOIN leads sl ON sl.lead_id = s.lead_id \
                 WHERE s.destination = d.destination AND sl.form_id = l.form_id AND s.delivered_at > d.updated_at) \
               LIMIT ?3) \
             RETURNING lead_id",
        )
        .bind(&[number(now_ms), text(at), number(u64::from(limit))])
        .map_err(storage)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    let probes: Vec<LeadId> = db
        .prepare(
            "UPDATE deliveries SET status = 'failed', next_attempt_at_ms = ?1, claim_token = NULL, \
             claim_until_ms = NULL, updated_at = ?2 \
             WHERE rowid IN (SELECT MAX(d.rowid) FROM deliveries d JOIN leads l ON l.lead_id = d.lead_id \
               WHERE d.status = 'dead' AND l.erased_at IS NULL GROUP BY l.form_id, d.destination LIMIT ?3) \
             RETURNING lead_id",
        )
        .bind(&[number(now_ms), text(at), number(u64::from(limit))])
        .map_err(storage)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    Ok(Swept {
        due: ids(due),
        revived: ids(revived),
        probes: ids(probes),
    })
}

/// The destinations of `form_id` disabled by a 410, for the health report:
/// `(destination, disabled_at, lead_id, http_status)`.
pub(crate) async fn disabled_report(
    db: &D1Database,
    form_id: &str,
) -> StoreResult<Vec<serde_json::Value>> {
    #[derive(Deserialize)]
    struct Row {
        destination: String,
        disabled_at: String,
        lead_id: String,
        http_status: f64,
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT destination, disabled_at, lead_id, http_status FROM disabled_destinations \
             WHERE form_id = ?1 ORDER BY destination",
        )
        .bind(&[text(form_id)])
        .map_err(storage)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "destination": r.destination,
                "disabled_at": r.disabled_at,
                "lead_id": r.lead_id,
                "http_status": r.http_status as u16,
            })
        })
        .collect())
}
