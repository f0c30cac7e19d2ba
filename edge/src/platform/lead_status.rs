//! `POST /v1/leads/{id}/status`, the closed loop: an owner (bearer token,
//! checked by the owner layer before [`owner_update`]) or a CRM (a signed
//! request, [`handle_signed`]) reports contacted, qualified, disqualified,
//! won, lost or returned; each update is appended to the lead's history and
//! sets its latest status (and the first contact time) in one D1 batch.
//! Also the reads the owner endpoints show: the history of one lead.
//!
//! The rules and formats are `crate::status`; the SQL of the closed loop
//! (tables of migration 0009) lives here, beside its only caller.

use super::store::{number, opt_text, text};
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Request, Response, Result};

use crate::error::EdgeError;
use crate::status::{self, StatusError, StatusUpdate};
use crate::webhook::{self, DeliveryHeaders};
use crate::{forms, time};

use super::http::{error_response, header, json_response};
use super::store::{self, LeadRow};
use super::{config, names, now_ms};

/// Longest status body read.
const MAX_BODY_BYTES: usize = 8 * 1024;

fn internal(error: worker::Error) -> EdgeError {
    EdgeError::StorageUnavailable(error.to_string())
}

/// Whether `req` carries a CRM signature (then [`handle_signed`] takes it).
pub(crate) fn is_signed(req: &Request) -> bool {
    header(req, "webhook-signature").is_some()
}

/// A CRM's signed update: the form's `[closed_loop] secret` must sign it
/// within the timestamp window, its body name this lead, and its
/// `webhook-id` not have been applied before.
pub(crate) async fn handle_signed(mut req: Request, env: Env, lead_id: String) -> Result<Response> {
    let body = match read_body(&mut req).await {
        Ok(body) => body,
        Err(error) => return error_response(&error, None),
    };
    let headers = (
        header(&req, "webhook-id"),
        header(&req, "webhook-timestamp"),
        header(&req, "webhook-signature"),
    );
    let outcome = async {
        let db = env.d1(names::DB).map_err(internal)?;
        let row = store::lead(&db, &lead_id)
            .await?
            .ok_or(EdgeError::LeadNotFound)?;
        let form = forms::find(&row.form_id).ok_or(EdgeError::FormNotFound)?;
        let secret_name = form
            .spec
            .closed_loop
            .secret
            .as_deref()
            .ok_or(EdgeError::Status(StatusError::CrmNotEnabled))?;
        let secret =
            config(&env, secret_name).ok_or(EdgeError::SecretMissing("closed_loop.secret"))?;
        let keys = webhook::decode_secrets(&secret)
            .map_err(|_| EdgeError::SecretInvalid("closed_loop.secret"))?;
        let verified = webhook::check_delivery_any(
            &keys,
            DeliveryHeaders {
                id: headers.0.as_deref(),
                timestamp: headers.1.as_deref(),
                signature: headers.2.as_deref(),
            },
            &body,
            now_ms() / 1000,
        )
        .map_err(|r| EdgeError::Status(StatusError::Signature(r)))?;
        let update = status::parse_update(&body).map_err(EdgeError::Status)?;
        if update.lead_id.as_deref() != Some(lead_id.as_str()) {
            return Err(EdgeError::Status(StatusError::LeadMismatch));
        }
        apply(&db, &row, &update, "crm", Some(verified.id)).await
    }
    .await;
    match outcome {
        Ok(body) => json_response(200, &body, None),
        Err(error) => error_response(&error, None),
    }
}

/// The owner's update (the bearer token was checked by the owner layer).
pub(crate) async fn owner_update(
    req: &Request,
    db: &D1Database,
    lead_id: &str,
) -> std::result::Result<Response, EdgeError> {
    let mut req = req.clone().map_err(internal)?;
    let body = read_body(&mut req).await?;
    let row = store::lead(db, lead_id)
        .await?
        .ok_or(EdgeError::LeadNotFound)?;
    let update = status::parse_update(&body).map_err(EdgeError::Status)?;
    if update.lead_id.as_deref().is_some_and(|id| id != lead_id) {
        return Err(EdgeError::Status(StatusError::LeadMismatch));
    }
    let body = apply(db, &row, &update, "owner", None).await?;
    json_response(200, &body, None).map_err(internal)
}

async fn read_body(req: &mut Request) -> std::result::Result<String, EdgeError> {
    let bytes = super::http::body_within(req, MAX_BODY_BYTES, |e| {
        EdgeError::Status(StatusError::Malformed(e.to_string()))
    })
    .await?;
    String::from_utf8(bytes)
        .map_err(|_| EdgeError::Status(StatusError::Malformed("not UTF-8".into())))
}

/// Appends `update` to the history and sets the latest status, in one
/// batch; a repeated `message_id` (a replayed signed request) is refused.
async fn apply(
    db: &D1Database,
    row: &LeadRow,
    update: &StatusUpdate,
    source: &str,
    message_id: Option<&str>,
) -> std::result::Result<Value, EdgeError> {
    if row.erased_at.is_some() {
        return Err(EdgeError::Status(StatusError::LeadErased));
    }
    let at_ms = now_ms();
    let at = time::rfc3339_ms(at_ms);
    let first_contact = status::first_contact_after(None, update.status, at_ms);
    let storage = |e: worker::Error| EdgeError::StorageUnavailable(e.to_string());
    let insert = db
        .prepare(
            "INSERT INTO lead_status_history (lead_id, seq, status, value, currency, reason, source, message_id, at_ms, at) \
             SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM lead_status_history WHERE lead_id = ?1",
        )
        .bind(&[
            text(&row.lead_id),
            text(update.status.as_str()),
            update.value.map(JsValue::from_f64).unwrap_or(JsValue::NULL),
            opt_text(update.currency.as_deref()),
            opt_text(update.reason.as_deref()),
            text(source),
            opt_text(message_id),
            number(at_ms),
            text(&at),
        ])
        .map_err(storage)?;
    let latest = db
        .prepare(
            "UPDATE leads SET status = ?2, status_at_ms = ?3, first_contact_at_ms = COALESCE(first_contact_at_ms, ?4) \
             WHERE lead_id = ?1 AND erased_at IS NULL",
        )
        .bind(&[
            text(&row.lead_id),
            text(update.status.as_str()),
            number(at_ms),
            first_contact.map(number).unwrap_or(JsValue::NULL),
        ])
        .map_err(storage)?;
    match db.batch(vec![insert, latest]).await {
        Ok(_) => {}
        Err(error) if error.to_string().contains("UNIQUE") && message_id.is_some() => {
            return Err(EdgeError::Status(StatusError::Replayed));
        }
        Err(error) => return Err(storage(error)),
    }
    let row = store::lead(db, &row.lead_id)
        .await?
        .ok_or(EdgeError::LeadNotFound)?;
    Ok(json!({
        "lead_id": row.lead_id,
        "closed_loop": closed_loop_json(&row),
        "status_history": history(db, &row.lead_id).await?,
    }))
}

/// The lead's latest status, first contact and aging (now).
pub(crate) fn closed_loop_json(row: &LeadRow) -> Value {
    status::loop_json(
        row.received_at_ms as u64,
        row.status.as_deref(),
        row.status_at_ms.map(|t| t as u64),
        row.first_contact_at_ms.map(|t| t as u64),
        now_ms(),
    )
}

#[derive(Deserialize)]
struct HistoryRow {
    seq: f64,
    status: String,
    value: Option<f64>,
    currency: Option<String>,
    reason: Option<String>,
    source: String,
    at: String,
}

/// Every status update of the lead, oldest first.
pub(crate) async fn history(
    db: &D1Database,
    lead_id: &str,
) -> std::result::Result<Value, EdgeError> {
    let storage = |e: worker::Error| EdgeError::StorageUnavailable(e.to_string());
    let rows: Vec<HistoryRow> = db
        .prepare(
            "SELECT seq, status, value, currency, reason, source, at FROM lead_status_history \
             WHERE lead_id = ?1 ORDER BY seq",
        )
        .bind(&[text(lead_id)])
        .map_err(storage)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    Ok(Value::Array(
        rows.iter()
            .map(|r| {
                status::history_entry(
                    r.seq as u64,
                    &r.status,
                    r.value,
                    r.currency.as_deref(),
                    r.reason.as_deref(),
                    &r.source,
                    &r.at,
                )
            })
            .collect(),
    ))
}
