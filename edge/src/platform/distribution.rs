//! Selling a lead through a `distribution` destination, from the queue
//! consumer (after the ledger's claim, before its settle): every selected,
//! pingable buyer pinged at once, each within its own timeout; the bids
//! ranked and posted by [`crate::distribution::next_step`] (a refused post
//! cascades while the auction window lasts); every skip, ping, post and the
//! decision written to the lead's `distribution_log`, each accepted post to
//! `lead_sales` (migration 0012).
//!
//! Counters live in the `RateLimiter` Durable Object (one object per
//! counter, so two auctions never both take the last slot): a buyer's
//! `pings_per_minute` is counted as it is pinged (over it: skipped,
//! `ping_limited`), and each of its caps is taken right before a post to it
//! (over it: skipped, `capped`, and the auction cascades). A taken slot is
//! kept if the post is then refused: never more than the cap is sold.
//! Also `POST /v1/leads/{id}/returns` ([`handle_return`]): a buyer's signed
//! return, within its window, counted per buyer (429 with `Retry-After`
//! past `BUYER_REQUESTS_PER_MINUTE`, default 60).
//!
//! Nothing sold (no bid over a floor, every post refused or failed): the
//! distribution's delivery is settled `rejected` and, when the destination
//! names a `fallback`, that destination's delivery row is created due now
//! and the lead enqueued, so the owner's own destination gets it through
//! the ledger like any other (retries, dead letters, replay).
//!
//! Thin: the decisions, formats and rules are `crate::distribution`'s.

use futures_util::future::join_all;
use leadform_shared::distribution::{selected_buyers, Buyer};
use leadform_shared::spec::Destination;
use leadform_shared::FormSpec;
use worker::{D1Database, Env, Request, Response};

use crate::delivery::{self, OutboundRequest};
use crate::distribution::{self as auction, LogEntry, Offer, PingResult, Posted, SoldTo, Step};
use crate::record::LeadRecord;
use crate::time;

use super::consumer::{send, Unanswered};
use super::http::{error_response, header, json_response};
use super::store::{number, storage, text, StoreResult};
use super::{config, config_u32, names, now_ms, rate_limiter};
use crate::distribution::{ReturnError, ReturnRefusal, Skip};
use crate::error::EdgeError;
use crate::{forms, webhook};

/// How a sale went, for the ledger.
pub(crate) struct Sold {
    /// At least one post accepted.
    pub sold: bool,
    /// What happened, in a few words (kept in the delivery log).
    pub summary: String,
}

/// A buyer's secret bytes, if configured.
fn secret(env: &Env, buyer: &Buyer) -> Option<Vec<u8>> {
    config(env, &buyer.auth_secret).map(|s| s.trim().as_bytes().to_vec())
}

fn resolved(request: OutboundRequest, rewrites: &[(String, String)]) -> Option<OutboundRequest> {
    let url = delivery::resolve_url(&request.url, rewrites).ok()?;
    Some(OutboundRequest { url, ..request })
}

/// Runs the auction of `lead` for the distribution destination `key`.
pub(crate) async fn sell(
    env: &Env,
    db: &D1Database,
    spec: &FormSpec,
    key: &str,
    destination: &Destination,
    lead: &LeadRecord,
    rewrites: &[(String, String)],
) -> StoreResult<Sold> {
    let Destination::Distribution {
        buyers: names,
        ping_fields,
        auction_ms,
        fallback,
    } = destination
    else {
        return Ok(Sold {
            sold: false,
            summary: "not a distribution destination".to_owned(),
        });
    };
    let fallback_key = fallback.and_then(|i| {
        spec.destinations
            .get(i)
            .map(|d| delivery::destination_key(i, d))
    });
    let started = now_ms();
    let deadline = started + u64::from(*auction_ms);
    let mut log: Vec<LogEntry> = Vec::new();
    // Who is pinged, with what.
    let mut pings = Vec::new();
    for buyer in selected_buyers(spec, names) {
        let Some(index) = spec.buyers.iter().position(|b| b.id == buyer.id) else {
            continue;
        };
        if let Err(reason) = auction::pingable(buyer, started, |_| 0, None) {
            log.push(LogEntry::Skipped {
                buyer: buyer.id.clone(),
                reason,
            });
            continue;
        }
        if let Some(limit) = buyer.pings_per_minute {
            let name = auction::counter_name(&spec.id, "ping", &buyer.id);
            if rate_limiter::check(env, &name, limit).await.is_err() {
                log.push(LogEntry::Skipped {
                    buyer: buyer.id.clone(),
                    reason: Skip::PingLimited,
                });
                continue;
            }
        }
        let Some(secret) = secret(env, buyer) else {
            log.push(LogEntry::Ping {
                buyer: buyer.id.clone(),
                latency_ms: 0,
                result: PingResult::Failed {
                    error: format!("secret `{}` is not configured", buyer.auth_secret),
                },
            });
            continue;
        };
        let ping = auction::ping_for(spec, ping_fields, lead, started, &secret);
        let request = auction::ping_request(buyer, &secret, &lead.lead_id, &ping, started / 1000);
        let Some(request) = resolved(request, rewrites) else {
            log.push(LogEntry::Ping {
                buyer: buyer.id.clone(),
                latency_ms: 0,
                result: PingResult::Failed {
                    error: "ping URL refused (not https to a public host)".to_owned(),
                },
            });
            continue;
        };
        pings.push((index, buyer, secret, request));
    }
    // All at once, each within its own timeout.
    let answers = join_all(pings.iter().map(|(_, buyer, _, request)| async move {
        let sent = now_ms();
        let result = send(request, buyer.timeout_ms).await;
        (result, now_ms().saturating_sub(sent))
    }))
    .await;
    let mut bids: Vec<Offer> = Vec::new();
    let mut bid_ids: Vec<(usize, Option<String>)> = Vec::new();
    for ((index, buyer, _, _), (result, latency_ms)) in pings.iter().zip(answers) {
        let ping_result = match result {
            Ok(answer) => auction::read_ping_answer(
                answer.status,
                &answer.body,
                answer
                    .retry_after
                    .as_deref()
                    .and_then(|v| delivery::retry_after_s(v, now_ms() / 1000)),
                latency_ms,
                buyer.timeout_ms,
            ),
            Err(Unanswered::TimedOut(_)) => PingResult::TimedOut,
            Err(error) => PingResult::Failed {
                error: error.to_string(),
            },
        };
        if let PingResult::Bid {
            price_cents,
            bid_id,
        } = &ping_result
        {
            bids.push(Offer {
                buyer: *index,
                price_cents: *price_cents,
            });
            bid_ids.push((*index, bid_id.clone()));
        }
        log.push(LogEntry::Ping {
            buyer: buyer.id.clone(),
            latency_ms,
            result: ping_result,
        });
    }
    let ranked = auction::rank(&spec.buyers, &bids);
    let mut posted: Vec<Posted> = Vec::new();
    let end = loop {
        let step = auction::next_step(&spec.buyers, &ranked, &posted, now_ms() < deadline);
        let Step::Post(offers) = step else {
            break step;
        };
        let mut requests = Vec::new();
        for offer in &offers {
            let buyer = &spec.buyers[offer.buyer];
            let Some(secret) = pings
                .iter()
                .find(|(i, ..)| *i == offer.buyer)
                .map(|(_, _, s, _)| s.clone())
            else {
                posted.push(Posted {
                    buyer: offer.buyer,
                    accepted: false,
                });
                continue;
            };
            let now = now_ms();
            if !take_cap_slots(env, spec, buyer, now).await {
                posted.push(Posted {
                    buyer: offer.buyer,
                    accepted: false,
                });
                log.push(LogEntry::Skipped {
                    buyer: buyer.id.clone(),
                    reason: Skip::Capped,
                });
                continue;
            }
            let token = auction::issue_bid_token(
                &secret,
                &lead.lead_id,
                &buyer.id,
                offer.price_cents,
                deadline,
            );
            let bid_id = bid_ids
                .iter()
                .find(|(i, _)| *i == offer.buyer)
                .and_then(|(_, id)| id.as_deref());
            let request = auction::post_request(
                spec,
                buyer,
                &secret,
                lead,
                *offer,
                bid_id,
                &token,
                now / 1000,
            );
            requests.push((*offer, resolved(request, rewrites)));
        }
        let answers = join_all(requests.iter().map(|(offer, request)| async move {
            let buyer = &spec.buyers[offer.buyer];
            match request {
                Some(request) => Some(send(request, buyer.timeout_ms.max(5_000)).await),
                None => None,
            }
        }))
        .await;
        for ((offer, _), answer) in requests.iter().zip(answers) {
            let (accepted, http_status, error) = match &answer {
                Some(Ok(answer)) => {
                    let accepted = auction::post_accepted(answer.status, &answer.body);
                    (
                        accepted,
                        Some(answer.status),
                        (!accepted).then(|| format!("HTTP {}", answer.status)),
                    )
                }
                Some(Err(error)) => (false, None, Some(error.to_string())),
                None => (false, None, Some("post URL refused".to_owned())),
            };
            posted.push(Posted {
                buyer: offer.buyer,
                accepted,
            });
            log.push(LogEntry::Post {
                buyer: spec.buyers[offer.buyer].id.clone(),
                price_cents: offer.price_cents,
                accepted,
                http_status,
                error,
            });
        }
    };
    let sold: Vec<Offer> = match &end {
        Step::Sold(offers) => offers.clone(),
        _ => Vec::new(),
    };
    let sale = sold.first().map(|o| spec.buyers[o.buyer].sale);
    log.push(LogEntry::Decision {
        sale,
        sold: sold
            .iter()
            .map(|o| SoldTo {
                buyer: spec.buyers[o.buyer].id.clone(),
                price_cents: o.price_cents,
            })
            .collect(),
        fallback: sold.is_empty(),
        fallback_to: fallback_key.clone().filter(|_| sold.is_empty()),
    });
    // A sale is sealed like the lead (issue 15's keys; none configured:
    // stored unsealed, shown as not verified).
    let seal_keys = super::keys::seal_keys(env).ok();
    write(db, spec, lead, key, &log, &sold, seal_keys.as_ref()).await?;
    if let (true, Some(fallback_key)) = (sold.is_empty(), &fallback_key) {
        fall_back(env, db, &lead.lead_id, fallback_key).await?;
    }
    let summary = if sold.is_empty() {
        format!(
            "not sold ({} bids over {} pings); fell back",
            bids.len(),
            pings.len()
        )
    } else {
        let names: Vec<String> = sold
            .iter()
            .map(|o| format!("{} at {}", spec.buyers[o.buyer].id, o.price_cents))
            .collect();
        format!("sold to {}", names.join(", "))
    };
    Ok(Sold {
        sold: !sold.is_empty(),
        summary,
    })
}

/// Nothing sold: the lead's delivery to the `fallback` destination, due
/// now (once, whatever reruns the auction), and a queue message for it.
/// If the message cannot be sent the cron sweep finds the row due.
async fn fall_back(
    env: &Env,
    db: &D1Database,
    lead_id: &str,
    destination: &str,
) -> StoreResult<()> {
    let now = now_ms();
    db.prepare(
        "INSERT OR IGNORE INTO deliveries (lead_id, destination, status, updated_at, next_attempt_at_ms) VALUES (?1, ?2, 'pending', ?3, ?4)",
    )
    .bind(&[text(lead_id), text(destination), text(&time::rfc3339_ms(now)), number(now)])
    .map_err(storage)?
    .run()
    .await
    .map_err(storage)?;
    let job = delivery::DeliveryJob {
        lead_id: lead_id.to_owned(),
    };
    let sent = match env.queue(names::DELIVERIES) {
        Ok(queue) => queue.send(&job).await,
        Err(error) => Err(error),
    };
    if let Err(error) = sent {
        worker::console_error!(
            "fallback of {lead_id}: enqueue failed, the sweep sends it: {error}"
        );
    }
    Ok(())
}

/// Takes one slot of each of the buyer's caps now; false when one is full.
async fn take_cap_slots(env: &Env, spec: &FormSpec, buyer: &Buyer, now: u64) -> bool {
    for (slot, max) in auction::cap_slots(buyer, now) {
        let name = auction::counter_name(&spec.id, "cap", &slot);
        if rate_limiter::check_window(env, &name, max, auction::CAP_WINDOW_MS)
            .await
            .is_err()
        {
            return false;
        }
    }
    true
}

/// The log lines after any earlier ones of the lead, and the sales.
async fn write(
    db: &D1Database,
    spec: &FormSpec,
    lead: &LeadRecord,
    key: &str,
    log: &[LogEntry],
    sold: &[Offer],
    seal_keys: Option<&crate::seal::SealKeys>,
) -> StoreResult<()> {
    let first: u64 = db
        .prepare("SELECT COUNT(*) AS n FROM distribution_log WHERE lead_id = ?1")
        .bind(&[text(&lead.lead_id)])
        .map_err(storage)?
        .first::<u64>(Some("n"))
        .await
        .map_err(storage)?
        .unwrap_or(0);
    let now = now_ms();
    let at = time::rfc3339_ms(now);
    let mut statements = Vec::new();
    for (i, entry) in log.iter().enumerate() {
        let json = serde_json::to_string(entry).unwrap_or_default();
        statements.push(
            db.prepare(
                "INSERT INTO distribution_log (lead_id, seq, destination, at, entry_json) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[
                text(&lead.lead_id),
                number(first + i as u64),
                text(key),
                text(&at),
                text(&json),
            ])
            .map_err(storage)?,
        );
    }
    for offer in sold {
        let buyer = &spec.buyers[offer.buyer];
        let seal = seal_keys.map(|keys| {
            keys.seal(&auction::sale_seal_bytes(
                &lead.lead_id,
                &spec.id,
                &buyer.id,
                buyer.sale.as_str(),
                offer.price_cents,
                now,
            ))
        });
        statements.push(
            db.prepare(
                "INSERT OR IGNORE INTO lead_sales (lead_id, buyer, form_id, price_cents, sale, sold_at_ms, seal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(&[
                text(&lead.lead_id),
                text(&buyer.id),
                text(&spec.id),
                number(u64::from(offer.price_cents)),
                text(buyer.sale.as_str()),
                number(now),
                seal.as_deref().map(text).unwrap_or(wasm_bindgen::JsValue::NULL),
            ])
            .map_err(storage)?,
        );
    }
    if !statements.is_empty() {
        db.batch(statements).await.map_err(storage)?;
    }
    Ok(())
}

/// A lead's distribution for `GET /v1/leads/{id}`: its log, its sales and
/// its revenue (accepted posts less returns); `null` when it was never
/// offered to buyers.
///
/// Each sale shows `seal_verified`: its seal checked with `seal_keys`
/// against the row as stored (false when altered, unsealed or no keys).
pub(crate) async fn of_lead(
    db: &D1Database,
    lead_id: &str,
    form_id: &str,
    seal_keys: Option<&crate::seal::SealKeys>,
) -> StoreResult<serde_json::Value> {
    #[derive(serde::Deserialize)]
    struct LogRow {
        destination: String,
        at: String,
        entry_json: String,
    }
    #[derive(serde::Deserialize)]
    struct SaleDbRow {
        buyer: String,
        price_cents: f64,
        sale: String,
        sold_at_ms: f64,
        returned_at_ms: Option<f64>,
        return_reason: Option<String>,
        seal: Option<String>,
    }
    let log: Vec<LogRow> = super::store::all(
        db,
        "SELECT destination, at, entry_json FROM distribution_log WHERE lead_id = ?1 ORDER BY seq",
        &[text(lead_id)],
    )
    .await?;
    if log.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    let sales: Vec<SaleDbRow> = super::store::all(
        db,
        "SELECT buyer, price_cents, sale, sold_at_ms, returned_at_ms, return_reason, seal FROM lead_sales WHERE lead_id = ?1 ORDER BY buyer",
        &[text(lead_id)],
    )
    .await?;
    let rows: Vec<auction::SaleRow> = sales
        .iter()
        .map(|s| auction::SaleRow {
            buyer: s.buyer.clone(),
            price_cents: s.price_cents as u32,
            sold_at_ms: s.sold_at_ms as u64,
            returned_at_ms: s.returned_at_ms.map(|v| v as u64),
        })
        .collect();
    Ok(serde_json::json!({
        "log": log.iter().map(|row| {
            let mut entry: serde_json::Value =
                serde_json::from_str(&row.entry_json).unwrap_or_default();
            entry["at"] = serde_json::Value::from(row.at.as_str());
            entry["destination"] = serde_json::Value::from(row.destination.as_str());
            entry
        }).collect::<Vec<_>>(),
        "sales": sales.iter().map(|s| serde_json::json!({
            "buyer": s.buyer,
            "price_cents": s.price_cents as u64,
            "sale": s.sale,
            "sold_at": time::rfc3339_ms(s.sold_at_ms as u64),
            "returned_at": s.returned_at_ms.map(|v| time::rfc3339_ms(v as u64)),
            "return_reason": s.return_reason,
            "seal_verified": match (seal_keys, s.seal.as_deref()) {
                (Some(keys), Some(seal)) => keys.verify(
                    &auction::sale_seal_bytes(
                        lead_id,
                        form_id,
                        &s.buyer,
                        &s.sale,
                        s.price_cents as u32,
                        s.sold_at_ms as u64,
                    ),
                    seal,
                ),
                _ => false,
            },
        })).collect::<Vec<_>>(),
        "revenue_cents": auction::revenue_cents(&rows),
    }))
}

/// Longest return body read.
const MAX_RETURN_BYTES: usize = 4 * 1024;

/// Requests per buyer and minute to `POST /v1/leads/{id}/returns`.
const BUYER_REQUESTS_PER_MINUTE: &str = "BUYER_REQUESTS_PER_MINUTE";

/// `POST /v1/leads/{id}/returns`: a buyer returns a lead it bought. The
/// body `{"lead_id", "buyer", "reason"}` is signed per Standard Webhooks
/// with that buyer's secret (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`, as the pings and posts it gets); then the buyer's
/// request count (429 with `Retry-After` past the limit), the reason, the
/// sale and the window are checked, the sale marked returned (once: a
/// replay finds it returned) and a `returned` entry logged. Answers the
/// lead's revenue after the return.
pub(crate) async fn handle_return(
    mut req: Request,
    env: Env,
    lead_id: String,
) -> worker::Result<Response> {
    let body = match req.bytes().await {
        Ok(bytes) if bytes.len() <= MAX_RETURN_BYTES => String::from_utf8(bytes).ok(),
        Ok(_) => {
            return error_response(
                &EdgeError::PayloadTooLarge {
                    limit: MAX_RETURN_BYTES,
                },
                None,
            )
        }
        Err(_) => None,
    };
    let headers = (
        header(&req, "webhook-id"),
        header(&req, "webhook-timestamp"),
        header(&req, "webhook-signature"),
    );
    let refused = |error: ReturnError| json_response(error.status(), &error.to_json(), None);
    let Some(body) = body else {
        return refused(ReturnError::Malformed);
    };
    let parsed = match auction::parse_return(&body, &lead_id) {
        Ok(parsed) => parsed,
        Err(error) => return refused(error),
    };
    let db = env.d1(names::DB)?;
    let row = match super::store::lead(&db, &lead_id).await {
        Ok(Some(row)) => row,
        Ok(None) => return refused(ReturnError::LeadNotFound),
        Err(error) => return error_response(&error, None),
    };
    let Some(form) = forms::find(&row.form_id) else {
        return refused(ReturnError::LeadNotFound);
    };
    let spec = &form.spec;
    let Some(buyer) = spec.buyers.iter().find(|b| b.id == parsed.buyer) else {
        return refused(ReturnError::BadCredential);
    };
    let Some(key) = secret(&env, buyer) else {
        worker::console_error!("buyer secret `{}` is not configured", buyer.auth_secret);
        return refused(ReturnError::BadCredential);
    };
    let now = now_ms();
    let verified = webhook::check_delivery(
        &key,
        webhook::DeliveryHeaders {
            id: headers.0.as_deref(),
            timestamp: headers.1.as_deref(),
            signature: headers.2.as_deref(),
        },
        &body,
        now / 1000,
    );
    if verified.is_err() {
        return refused(ReturnError::BadCredential);
    }
    // Counted once the buyer is known to be the caller: a stranger cannot
    // use up a buyer's requests.
    let limit = config_u32(&env, BUYER_REQUESTS_PER_MINUTE, 60);
    let name = auction::counter_name(&spec.id, "requests", &buyer.id);
    if let Err(error) = rate_limiter::check(&env, &name, limit).await {
        return error_response(&error, None);
    }
    match apply_return(&db, buyer, &lead_id, &parsed.reason, now).await {
        Ok(Ok(revenue)) => json_response(
            200,
            &serde_json::json!({
                "lead_id": lead_id,
                "buyer": buyer.id,
                "reason": parsed.reason,
                "returned_at": time::rfc3339_ms(now),
                "revenue_cents": revenue,
            }),
            None,
        ),
        Ok(Err(refusal)) => refused(ReturnError::Refused(refusal)),
        Err(error) => error_response(&error, None),
    }
}

/// Checks and stores one return; the lead's revenue after it.
async fn apply_return(
    db: &D1Database,
    buyer: &Buyer,
    lead_id: &str,
    reason: &str,
    now: u64,
) -> StoreResult<Result<u64, ReturnRefusal>> {
    let rows = sale_rows(db, lead_id).await?;
    let reason = match auction::check_return(buyer, &rows, reason, now) {
        Ok(reason) => reason,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let price = rows
        .iter()
        .find(|r| r.buyer == buyer.id)
        .map_or(0, |r| r.price_cents);
    // Only a sale not yet returned changes: of two concurrent returns (or a
    // replay racing its original) one wins.
    let changed = db
        .prepare(
            "UPDATE lead_sales SET returned_at_ms = ?1, return_reason = ?2 WHERE lead_id = ?3 AND buyer = ?4 AND returned_at_ms IS NULL",
        )
        .bind(&[number(now), text(reason.as_str()), text(lead_id), text(&buyer.id)])
        .map_err(storage)?
        .run()
        .await
        .map_err(storage)?
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0);
    if changed == 0 {
        return Ok(Err(ReturnRefusal::AlreadyReturned));
    }
    let entry = LogEntry::Returned {
        buyer: buyer.id.clone(),
        reason,
        price_cents: price,
    };
    let json = serde_json::to_string(&entry).unwrap_or_default();
    db.prepare(
        "INSERT INTO distribution_log (lead_id, seq, destination, at, entry_json) \
         SELECT ?1, COALESCE(MAX(seq) + 1, 0), COALESCE(MAX(destination), 'returns'), ?2, ?3 FROM distribution_log WHERE lead_id = ?1",
    )
    .bind(&[text(lead_id), text(&time::rfc3339_ms(now)), text(&json)])
    .map_err(storage)?
    .run()
    .await
    .map_err(storage)?;
    let rows = sale_rows(db, lead_id).await?;
    Ok(Ok(auction::revenue_cents(&rows)))
}

async fn sale_rows(db: &D1Database, lead_id: &str) -> StoreResult<Vec<auction::SaleRow>> {
    #[derive(serde::Deserialize)]
    struct Row {
        buyer: String,
        price_cents: f64,
        sold_at_ms: f64,
        returned_at_ms: Option<f64>,
    }
    let rows: Vec<Row> = super::store::all(
        db,
        "SELECT buyer, price_cents, sold_at_ms, returned_at_ms FROM lead_sales WHERE lead_id = ?1",
        &[text(lead_id)],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| auction::SaleRow {
            buyer: r.buyer,
            price_cents: r.price_cents as u32,
            sold_at_ms: r.sold_at_ms as u64,
            returned_at_ms: r.returned_at_ms.map(|v| v as u64),
        })
        .collect())
}

/// The sales of a page of leads, for the export's columns.
pub(crate) struct SalesByLead(Vec<(String, Vec<auction::SaleRow>)>);

impl SalesByLead {
    pub(crate) fn of(&self, lead_id: &str) -> &[auction::SaleRow] {
        self.0
            .iter()
            .find(|(id, _)| id == lead_id)
            .map_or(&[], |(_, rows)| rows.as_slice())
    }
}

/// One query for the sales of every lead in `rows` (their ids as one JSON
/// array, so a page of any size binds one value).
pub(crate) async fn sales_by_lead(
    db: &D1Database,
    rows: &[super::store::LeadRow],
) -> StoreResult<SalesByLead> {
    #[derive(serde::Deserialize)]
    struct Row {
        lead_id: String,
        buyer: String,
        price_cents: f64,
        sold_at_ms: f64,
        returned_at_ms: Option<f64>,
    }
    if rows.is_empty() {
        return Ok(SalesByLead(Vec::new()));
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.lead_id.as_str()).collect();
    let ids = serde_json::to_string(&ids).unwrap_or_default();
    let found: Vec<Row> = super::store::all(
        db,
        "SELECT lead_id, buyer, price_cents, sold_at_ms, returned_at_ms FROM lead_sales WHERE lead_id IN (SELECT value FROM json_each(?1)) ORDER BY lead_id, buyer",
        &[text(&ids)],
    )
    .await?;
    let mut by_lead: Vec<(String, Vec<auction::SaleRow>)> = Vec::new();
    for row in found {
        let sale = auction::SaleRow {
            buyer: row.buyer,
            price_cents: row.price_cents as u32,
            sold_at_ms: row.sold_at_ms as u64,
            returned_at_ms: row.returned_at_ms.map(|v| v as u64),
        };
        match by_lead.iter_mut().find(|(id, _)| *id == row.lead_id) {
            Some((_, sales)) => sales.push(sale),
            None => by_lead.push((row.lead_id, vec![sale])),
        }
    }
    Ok(SalesByLead(by_lead))
}
