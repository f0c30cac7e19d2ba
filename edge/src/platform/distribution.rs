//! Selling a lead through a `distribution` destination, from the queue
//! consumer (after the ledger's claim, before its settle): every selected,
//! pingable buyer pinged at once, each within its own timeout; the bids
//! ranked and posted by [`crate::distribution::next_step`] (a refused post
//! cascades while the auction window lasts); every skip, ping, post and the
//! decision written to the lead's `distribution_log`, each accepted post to
//! `lead_sales` (migration 0012).
//!
//! Thin: the decisions, formats and rules are `crate::distribution`'s.
//! Not here yet: cap and ping-limit counters (buyers are pinged as if under
//! them) and the fallback into the owner's routing (an unsold lead's
//! distribution delivery is settled `rejected`).

use futures_util::future::join_all;
use leadform_shared::distribution::{selected_buyers, Buyer};
use leadform_shared::spec::Destination;
use leadform_shared::FormSpec;
use worker::{D1Database, Env};

use crate::delivery::{self, OutboundRequest};
use crate::distribution::{self as auction, LogEntry, Offer, PingResult, Posted, SoldTo, Step};
use crate::record::LeadRecord;
use crate::time;

use super::consumer::{send, Unanswered};
use super::store::{number, storage, text, StoreResult};
use super::{config, now_ms};

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
    } = destination
    else {
        return Ok(Sold {
            sold: false,
            summary: "not a distribution destination".to_owned(),
        });
    };
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
    });
    write(db, spec, lead, key, &log, &sold).await?;
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

/// The log lines after any earlier ones of the lead, and the sales.
async fn write(
    db: &D1Database,
    spec: &FormSpec,
    lead: &LeadRecord,
    key: &str,
    log: &[LogEntry],
    sold: &[Offer],
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
        statements.push(
            db.prepare(
                "INSERT OR IGNORE INTO lead_sales (lead_id, buyer, form_id, price_cents, sale, sold_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(&[
                text(&lead.lead_id),
                text(&buyer.id),
                text(&spec.id),
                number(u64::from(offer.price_cents)),
                text(buyer.sale.as_str()),
                number(now),
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
pub(crate) async fn of_lead(db: &D1Database, lead_id: &str) -> StoreResult<serde_json::Value> {
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
        "SELECT buyer, price_cents, sale, sold_at_ms, returned_at_ms, return_reason FROM lead_sales WHERE lead_id = ?1 ORDER BY buyer",
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
        })).collect::<Vec<_>>(),
        "revenue_cents": auction::revenue_cents(&rows),
    }))
}
