//! Speed-to-lead on the platform: the first delivery try and the route's
//! notifications straight from the submit request's `waitUntil`, the SLA
//! timer, and the cron's escalation sweep. Messages and requests are
//! [`crate::notify`]'s; each notification is claimed in `lead_alerts`
//! (migration 0010) before it is sent, so a retry never sends it twice.
//!
//! Nothing here may lose a lead: the queue message was sent before any of
//! this runs, so if the isolate dies mid-way the consumer (through the
//! delivery ledger) still delivers, once.

use super::store::{number, storage, text};

use leadform_shared::FormSpec;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{Context, D1Database, Env};

use crate::delivery::{self, OutboundRequest};
use crate::error::EdgeError;
use crate::notify::{self, Kind};
use crate::record::LeadRecord;
use crate::routing::Decision;
use crate::{forms, time};

use super::{config, config_u32, names, now_ms};

type StoreResult<T> = std::result::Result<T, EdgeError>;

/// After a lead is stored: start its SLA timer (if its route, or its
/// tier on that route, has one) and send its route's and its tier's
/// notifications.
pub(crate) async fn lead_routed(
    env: &Env,
    spec: &FormSpec,
    lead: &LeadRecord,
    decision: &Decision,
) {
    let route = notify::route_of(spec, decision);
    let tier = lead.qualification.as_ref().and_then(|q| q.tier.as_deref());
    let sla = route.and_then(|route| Some((route, notify::sla_minutes(spec, route, tier)?)));
    if sla.is_none() && notify::channels(spec, route, tier, Kind::Notify).is_empty() {
        return;
    }
    let Ok(db) = env.d1(names::DB) else {
        return;
    };
    if let Some((route, minutes)) = sla {
        let minute_ms = u64::from(config_u32(env, names::SLA_MINUTE_MS, 60_000));
        let due = lead.evidence.received_at_ms + u64::from(minutes) * minute_ms;
        let started = db
            .prepare(
                "INSERT OR IGNORE INTO lead_sla (lead_id, form_id, route, minutes, due_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[
                text(&lead.lead_id),
                text(&spec.id),
                text(&route.id),
                number(u64::from(minutes)),
                number(due),
            ]);
        if let Err(error) = match started {
            Ok(statement) => statement.run().await.map(|_| ()),
            Err(error) => Err(error),
        } {
            worker::console_error!("SLA timer of {} not started: {error}", lead.lead_id);
        }
    }
    send_all(
        env,
        &db,
        spec,
        &lead.lead_id,
        Some(lead),
        tier,
        decision,
        Kind::Notify,
        None,
    )
    .await;
}

/// Sends every channel of `kind`, each at most once per lead.
#[allow(clippy::too_many_arguments)]
async fn send_all(
    env: &Env,
    db: &D1Database,
    spec: &FormSpec,
    lead_id: &str,
    lead: Option<&LeadRecord>,
    tier: Option<&str>,
    decision: &Decision,
    kind: Kind,
    minutes: Option<u32>,
) {
    let channels = notify::channels(spec, notify::route_of(spec, decision), tier, kind);
    if channels.is_empty() {
        return;
    }
    let values = lead.map(|l| &l.values);
    let (subject, message) = notify::message(spec, lead_id, values, decision, tier, kind, minutes);
    let rewrites = config(env, names::DESTINATION_URL_REWRITES)
        .map(|v| delivery::parse_rewrites(&v))
        .unwrap_or_default();
    for channel in channels {
        match claim(db, lead_id, channel.id(), kind).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                worker::console_error!("alert {} of {}: {error}", channel.id(), lead_id);
                continue;
            }
        }
        let started = now_ms();
        let outcome =
            match notify::requests(channel, &subject, &message, |n| config(env, n), &rewrites) {
                Err(error) => Err((None, error.to_string())),
                Ok(requests) => {
                    let mut result = Ok(200);
                    for request in &requests {
                        match send(request, config_u32(env, names::DELIVERY_TIMEOUT_MS, 10_000))
                            .await
                        {
                            Ok(status) if (200..300).contains(&status) => result = Ok(status),
                            Ok(status) => {
                                result = Err((Some(status), format!("HTTP {status}")));
                                break;
                            }
                            Err(error) => {
                                result = Err((None, error));
                                break;
                            }
                        }
                    }
                    result
                }
            };
        let latency = now_ms().saturating_sub(started);
        if let Err(error) = settle(db, lead_id, channel.id(), kind, &outcome, latency).await {
            worker::console_error!("alert {} of {} not logged: {error}", channel.id(), lead_id);
        }
    }
}

/// Takes the (lead, channel, kind) row; `false` when another sender has it.
async fn claim(db: &D1Database, lead_id: &str, channel: &str, kind: Kind) -> StoreResult<bool> {
    let result = db
        .prepare(
            "INSERT OR IGNORE INTO lead_alerts (lead_id, channel, kind, status, at) VALUES (?1, ?2, ?3, 'sending', ?4)",
        )
        .bind(&[text(lead_id), text(channel), text(kind.as_str()), text(&time::rfc3339_ms(now_ms()))])
        .map_err(storage)?
        .run()
        .await
        .map_err(storage)?;
    let changed = result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0);
    Ok(changed > 0)
}

async fn settle(
    db: &D1Database,
    lead_id: &str,
    channel: &str,
    kind: Kind,
    outcome: &std::result::Result<u16, (Option<u16>, String)>,
    latency_ms: u64,
) -> StoreResult<()> {
    let (status, http, error) = match outcome {
        Ok(code) => ("sent", Some(*code), None),
        Err((code, why)) => ("failed", *code, Some(why.as_str())),
    };
    db.prepare(
        "UPDATE lead_alerts SET status = ?4, http_status = ?5, error = ?6, latency_ms = ?7, at = ?8 \
         WHERE lead_id = ?1 AND channel = ?2 AND kind = ?3",
    )
    .bind(&[
        text(lead_id),
        text(channel),
        text(kind.as_str()),
        text(status),
        http.map(|c| number(u64::from(c))).unwrap_or(JsValue::NULL),
        error.map(text).unwrap_or(JsValue::NULL),
        number(latency_ms),
        text(&time::rfc3339_ms(now_ms())),
    ])
    .map_err(storage)?
    .run()
    .await
    .map_err(storage)?;
    Ok(())
}

/// One notification as `GET /v1/leads/{id}` shows it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AlertRow {
    pub channel: String,
    pub kind: String,
    pub status: String,
    pub http_status: Option<f64>,
    pub error: Option<String>,
    pub latency_ms: Option<f64>,
    pub at: String,
}

/// A lead's notifications and its SLA timer.
pub(crate) async fn of_lead(db: &D1Database, lead_id: &str) -> StoreResult<serde_json::Value> {
    let alerts: Vec<AlertRow> = db
        .prepare(
            "SELECT channel, kind, status, http_status, error, latency_ms, at FROM lead_alerts WHERE lead_id = ?1 ORDER BY kind DESC, channel",
        )
        .bind(&[text(lead_id)])
        .map_err(storage)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    #[derive(Serialize, Deserialize)]
    struct SlaRow {
        route: String,
        minutes: f64,
        due_at_ms: f64,
        outcome: Option<String>,
        closed_at: Option<String>,
    }
    let sla: Option<SlaRow> = db
        .prepare(
            "SELECT route, minutes, due_at_ms, outcome, closed_at FROM lead_sla WHERE lead_id = ?1",
        )
        .bind(&[text(lead_id)])
        .map_err(storage)?
        .first(None)
        .await
        .map_err(storage)?;
    Ok(serde_json::json!({
        "alerts": alerts,
        "sla": sla.map(|s| serde_json::json!({
            "route": s.route,
            "minutes": s.minutes as u64,
            "due_at": time::rfc3339_ms(s.due_at_ms as u64),
            "outcome": s.outcome,
            "closed_at": s.closed_at,
        })),
    }))
}

/// The cron's sweep: every SLA timer past due is closed, `met` when the
/// lead's first contact came in time, else `escalated` after its route's
/// escalation channels are told. A timer is closed before its escalation
/// is sent, so a second sweep never escalates twice.
pub(crate) async fn sweep_sla(env: &Env, db: &D1Database, now: u64) -> StoreResult<u32> {
    #[derive(Deserialize)]
    struct Due {
        lead_id: String,
        form_id: String,
        minutes: f64,
        due_at_ms: f64,
        first_contact_at_ms: Option<f64>,
        record_json: Option<String>,
        routing_json: Option<String>,
        tier: Option<String>,
    }
    let due: Vec<Due> = db
        .prepare(
            "SELECT s.lead_id, s.form_id, s.minutes, s.due_at_ms, l.first_contact_at_ms, l.record_json, l.routing_json, l.tier \
             FROM lead_sla s JOIN leads l ON l.lead_id = s.lead_id \
             WHERE s.outcome IS NULL AND s.due_at_ms <= ?1 ORDER BY s.due_at_ms LIMIT 200",
        )
        .bind(&[number(now)])
        .map_err(storage)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    let mut escalated = 0;
    for row in due {
        let met = row
            .first_contact_at_ms
            .is_some_and(|at| at <= row.due_at_ms);
        let outcome = if met { "met" } else { "escalated" };
        let closed = db
            .prepare("UPDATE lead_sla SET outcome = ?2, closed_at = ?3 WHERE lead_id = ?1 AND outcome IS NULL")
            .bind(&[text(&row.lead_id), text(outcome), text(&time::rfc3339_ms(now))])
            .map_err(storage)?
            .run()
            .await
            .map_err(storage)?;
        let won = closed
            .meta()
            .ok()
            .flatten()
            .and_then(|m| m.changes)
            .unwrap_or(0)
            > 0;
        if met || !won {
            continue;
        }
        let (Some(routing), Some(form)) = (row.routing_json, forms::find(&row.form_id)) else {
            continue;
        };
        let Ok(decision) = serde_json::from_str::<Decision>(&routing) else {
            continue;
        };
        // The record in clear when it is at hand (not erased, not
        // encrypted at rest); without it the message names the lead id.
        let lead = row
            .record_json
            .as_deref()
            .and_then(|json| serde_json::from_str::<LeadRecord>(json).ok());
        send_all(
            env,
            db,
            &form.spec,
            &row.lead_id,
            lead.as_ref(),
            row.tier.as_deref(),
            &decision,
            Kind::Escalate,
            Some(row.minutes as u32),
        )
        .await;
        escalated += 1;
    }
    Ok(escalated)
}

/// POSTs one request within `timeout_ms` (the consumer's sender: no
/// redirects followed); its status.
async fn send(request: &OutboundRequest, timeout_ms: u32) -> std::result::Result<u16, String> {
    super::consumer::send(request, timeout_ms)
        .await
        .map(|answer| answer.status)
        .map_err(|unanswered| unanswered.to_string())
}

/// Speed to lead, after the 202 within the request's `waitUntil`: the
/// route's and the tier's notifications and the SLA timer at once (the
/// lead and its queue message are already stored and sent). A form
/// without routes still notifies its tiers' channels.
pub(crate) fn after_accept(ctx: &Context, env: &Env, lead: LeadRecord, decision: Option<Decision>) {
    let decision = decision.unwrap_or_default();
    let env = env.clone();
    ctx.wait_until(async move {
        if let Some(form) = forms::find(&lead.form_id) {
            lead_routed(&env, &form.spec, &lead, &decision).await;
        }
    });
}

/// The trigger of [`sla_cron`] (`[triggers] crons` in wrangler.toml).
pub(crate) const SLA_CRON: &str = "* * * * *";

/// Every minute: escalate the leads whose SLA passed without contact.
pub(crate) async fn sla_cron(env: Env) {
    let db = match env.d1(names::DB) {
        Ok(db) => db,
        Err(error) => {
            worker::console_error!("sla cron: no D1 binding: {error}");
            return;
        }
    };
    match sweep_sla(&env, &db, now_ms()).await {
        Ok(0) => {}
        Ok(n) => worker::console_log!("sla cron: {n} leads escalated"),
        Err(error) => worker::console_error!("sla cron failed: {error}"),
    }
}
