//! The `Router` Durable Object (one instance per form) and the submit
//! path's call to it: it owns the form's cap counters and round-robin
//! positions, so deciding and counting is one step no other lead can
//! interleave with (two leads never both take the last slot of a cap).
//! The decision itself is [`crate::routing::decide`]; the stored decision
//! (`leads.routing_json`, migration 0010) is written here.
//!
//! If the Durable Object cannot be reached the lead is routed uncounted
//! ([`crate::routing::decide_uncounted`]) and the decision says so: losing
//! or stranding a lead is worse than one lead past a cap.

use super::store::storage;
use leadform_shared::scoring::{Facts, Qualification};
use leadform_shared::{CleanSubmission, FormSpec, SubmissionEnvelope};
use wasm_bindgen::JsValue;
use worker::{
    durable_object, D1Database, DurableObject, Env, Method, Request, RequestInit, Response, Result,
    State,
};

use crate::error::EdgeError;
use crate::routing::{self, Counters, Decision, LeadFacts, RouteRequest};

use super::{names, now_ms};

const COUNTERS_KEY: &str = "counters";

#[durable_object(fetch)]
pub struct Router {
    state: State,
}

impl DurableObject for Router {
    fn new(state: State, _env: Env) -> Self {
        Router { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let request: RouteRequest = req.json().await?;
        let storage = self.state.storage();
        // No other event runs between this read and the write below (the
        // object's input gate holds them while storage is awaited).
        let mut counters: Counters = storage
            .get(COUNTERS_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let before = counters.clone();
        let decision = routing::decide(&mut counters, &request);
        if counters != before {
            storage.put(COUNTERS_KEY, &counters).await?;
        }
        Response::from_json(&decision)
    }
}

/// The routing of one lead: the destination keys it goes to and the
/// decision to store (`None` when the form has no routes).
pub(crate) struct Routed {
    pub destinations: Vec<String>,
    pub decision: Option<Decision>,
}

/// Routes one accepted submission at `now_ms`.
pub(crate) async fn route(
    env: &Env,
    spec: &FormSpec,
    envelope: &SubmissionEnvelope,
    clean: &CleanSubmission,
    country: Option<&str>,
    qualification: Option<&Qualification>,
    now_ms: u64,
) -> Routed {
    if spec.routes.is_empty() {
        return Routed {
            destinations: routing::destinations(spec, None),
            decision: None,
        };
    }
    // Tests only: routing's clock moved (a DST change day, a closed hour).
    let offset = clock_offset_ms(env);
    let now_ms = now_ms.saturating_add_signed(offset);
    let lead = LeadFacts {
        facts: Facts::of(envelope, clean),
        country,
        qualification,
    };
    let decision = match routing::select_route(spec, &lead, now_ms) {
        None => Decision {
            overflow: Some("no_route".to_owned()),
            ..Decision::default()
        },
        Some(route) => {
            let request = routing::request(spec, route, now_ms, js_sys::Math::random());
            match ask(env, &spec.id, &request).await {
                Ok(decision) => decision,
                Err(error) => {
                    worker::console_error!(
                        "router of {} unavailable, routing uncounted: {error}",
                        spec.id
                    );
                    routing::decide_uncounted(&request)
                }
            }
        }
    };
    Routed {
        destinations: routing::destinations(spec, Some(&decision)),
        decision: Some(decision),
    }
}

/// `ROUTING_CLOCK_OFFSET_MS` (tests only; never set in production): how far
/// routing's clock is moved from the real one.
pub(crate) fn clock_offset_ms(env: &Env) -> i64 {
    super::config(env, names::ROUTING_CLOCK_OFFSET_MS)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

async fn ask(env: &Env, form_id: &str, request: &RouteRequest) -> Result<Decision> {
    let stub = env.durable_object(names::ROUTER)?.get_by_name(form_id)?;
    let body =
        serde_json::to_string(request).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let request = Request::new_with_init("https://router/decide", &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    if response.status_code() != 200 {
        return Err(worker::Error::RustError(format!(
            "router answered {}",
            response.status_code()
        )));
    }
    response.json().await
}

/// Stores the decision with the lead; a held lead's deliveries are not due
/// before its hold ends (the delivery ledger's `next_attempt_at_ms`).
pub(crate) async fn record(
    env: &Env,
    db: &D1Database,
    lead_id: &str,
    decision: &Decision,
) -> std::result::Result<(), EdgeError> {
    let json = serde_json::to_string(decision)
        .map_err(|e| EdgeError::StorageUnavailable(e.to_string()))?;
    let mut statements = vec![db
        .prepare("UPDATE leads SET routing_json = ?1 WHERE lead_id = ?2")
        .bind(&[JsValue::from_str(&json), JsValue::from_str(lead_id)])
        .map_err(storage)?];
    // The hold ends in routing's clock; the ledger's is the real one.
    let hold_until = decision
        .hold_until_ms
        .map(|until| until.saturating_add_signed(-clock_offset_ms(env)));
    if let Some(until) = hold_until.filter(|until| *until > now_ms()) {
        for chosen in &decision.chosen {
            statements.push(
                db.prepare(
                    "UPDATE deliveries SET next_attempt_at_ms = ?1 WHERE lead_id = ?2 AND destination = ?3",
                )
                .bind(&[
                    JsValue::from_f64(until as f64),
                    JsValue::from_str(lead_id),
                    JsValue::from_str(&chosen.destination),
                ])
                .map_err(storage)?,
            );
        }
    }
    db.batch(statements).await.map_err(storage)?;
    Ok(())
}

/// The stored decision of a lead, as JSON (`null` when it was not routed).
pub(crate) async fn decision_json(
    db: &D1Database,
    lead_id: &str,
) -> std::result::Result<serde_json::Value, EdgeError> {
    #[derive(serde::Deserialize)]
    struct Row {
        routing_json: Option<String>,
    }
    let row: Option<Row> = db
        .prepare("SELECT routing_json FROM leads WHERE lead_id = ?1")
        .bind(&[JsValue::from_str(lead_id)])
        .map_err(storage)?
        .first(None)
        .await
        .map_err(storage)?;
    Ok(row
        .and_then(|r| r.routing_json)
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or(serde_json::Value::Null))
}
