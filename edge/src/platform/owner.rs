//! Owner endpoints (bearer token): leads listing and CSV export, one lead with
//! its delivery log, consent certificates with seal verification, erasure and
//! delivery replay, a form's health (how many visitors got the basic form
//! instead of the widget, per cause; quarantined submissions per signal), and
//! the quarantine: listing with the signals per item, release (a lead,
//! delivered once, with its original receive time and evidence) and discard.

use leadform_shared::FieldValue;
use serde_json::{json, Value};
use worker::{Env, Request, Response, Result};

use crate::auth::Grant;
use crate::delivery::DeliveryJob;
use crate::error::EdgeError;
use crate::record::LeadRecord;
use crate::routes::{query_param, Route};
use crate::seal::{self, SealKeys};
use crate::{antispam, csv, events, export, forms, keys, time};

use super::http::{error_response, header, json_response};
use super::privacy::Vault;
use super::store::{self, LeadRow};
use super::tokens::{self, audit};
use super::{names, now_ms};

const PAGE_LIMIT_MAX: u32 = 500;

pub(crate) async fn handle(mut req: Request, env: Env, route: Route) -> Result<Response> {
    // A page of leads is a read; a download of them (`format=`, or
    // `Accept: text/csv`) is an export.
    let query = req
        .url()
        .map(|u| u.query().unwrap_or("").to_owned())
        .unwrap_or_default();
    let route = route.for_query(&query, header(&req, "Accept").as_deref());
    // ADMIN_TOKEN, QUARANTINE_TOKEN (quarantine routes) or a minted token
    // with the route's scope (edge::auth::required_scope).
    let grant = match tokens::authorize(&req, &env, &route).await {
        Ok(grant) => grant,
        Err(error) => return error_response(&error, None),
    };
    if let Some(served) = tokens::serve_admin(&mut req, &env, &route, &grant).await {
        return served.or_else(|error| error_response(&error, None));
    }
    match serve(&req, &env, route, &grant).await {
        Ok(response) => Ok(response),
        Err(error) => error_response(&error, None),
    }
}

type Served = std::result::Result<Response, EdgeError>;

fn internal(error: worker::Error) -> EdgeError {
    EdgeError::StorageUnavailable(error.to_string())
}

async fn serve(req: &Request, env: &Env, route: Route, grant: &Grant) -> Served {
    let db = env.d1(names::DB).map_err(internal)?;
    // Records and certificates are stored encrypted (edge::crypto).
    let vault = Vault::from_env(env)?;
    let query = req
        .url()
        .map(|u| u.query().unwrap_or("").to_owned())
        .unwrap_or_default();
    // Unset or unusable seal keys verify nothing (shown as not verified).
    let seal_keys = super::keys::seal_keys(env).ok();
    match route {
        Route::ListLeads => list(&db, &vault, None, &query, None).await,
        Route::ExportLeads => {
            let accept = header(req, "Accept");
            list(&db, &vault, Some(grant), &query, accept.as_deref()).await
        }
        Route::GetLead(id) => {
            let row = store::lead(&db, &id)
                .await?
                .ok_or(EdgeError::LeadNotFound)?;
            let row = vault.open_lead(&db, row).await?;
            let deliveries = store::deliveries(&db, &id).await?;
            let attempts = store::attempts(&db, &id).await?;
            let mut body = lead_json(&row, seal_keys.as_ref());
            body["deliveries"] = json!(deliveries);
            body["attempts"] = json!(attempts);
            body["status_history"] = super::lead_status::history(&db, &id).await?;
            body["routing"] = super::router::decision_json(&db, &id).await?;
            body["speed_to_lead"] = super::alerts::of_lead(&db, &id).await?;
            body["distribution"] =
                super::distribution::of_lead(&db, &id, &row.form_id, seal_keys.as_ref()).await?;
            json_response(200, &body, None).map_err(internal)
        }
        Route::Certificate(id) => {
            let mut row = store::certificate(&db, &id)
                .await?
                .ok_or(EdgeError::CertificateNotFound)?;
            let keys = vault.keys(&db, &row.lead_id).await?;
            row.certificate_json = vault.open_certificate(
                &keys,
                &row.lead_id,
                &row.certificate_id,
                row.certificate_json.as_deref(),
            )?;
            certificate(env, &row, seal_keys.as_ref(), &query)
        }
        Route::EraseLead(id) => {
            let row = store::lead(&db, &id)
                .await?
                .ok_or(EdgeError::LeadNotFound)?;
            let at = time::rfc3339_ms(now_ms());
            store::erase(&db, &row, &at, "owner request").await?;
            let detail = json!({ "lead_ids": [&id], "reason": "owner request" });
            audit(&db, &grant.actor, "erase", Some(&row.form_id), &detail).await?;
            json_response(200, &json!({ "erased": [id], "erased_at": at }), None).map_err(internal)
        }
        // The address never travels in the URL, where request logs keep it.
        Route::EraseByEmail if req.method() == worker::Method::Delete => Err(EdgeError::EmailInUrl),
        Route::EraseByEmail => {
            let email = erasure_email(req).await?;
            let at = time::rfc3339_ms(now_ms());
            let mut erased = Vec::new();
            // Rows hold the address's blind index; rows older than
            // encryption (migration 0008) the lower-cased address.
            let index = vault.email_index(&email);
            let mut ids = store::lead_ids_by_email(&db, &index).await?;
            ids.extend(store::lead_ids_by_email(&db, &email).await?);
            for id in ids {
                if let Some(row) = store::lead(&db, &id).await? {
                    store::erase(&db, &row, &at, "erasure by email").await?;
                    erased.push(id);
                }
            }
            // Held quarantined submissions of the address become stubs too.
            let mut held = store::erase_quarantined_by_email(&db, &index, &at).await?;
            held.extend(store::erase_quarantined_by_email(&db, &email, &at).await?);
            for id in &held {
                super::privacy::destroy_keys(&db, id).await?;
            }
            erased.extend(held);
            // The audit names the ids, never the address.
            let detail = json!({ "lead_ids": &erased, "reason": "erasure by email" });
            audit(&db, &grant.actor, "erase", None, &detail).await?;
            json_response(200, &json!({ "erased": erased, "erased_at": at }), None)
                .map_err(internal)
        }
        Route::ReplayLead(id) => {
            let row = store::lead(&db, &id)
                .await?
                .ok_or(EdgeError::LeadNotFound)?;
            if row.erased_at.is_some() {
                return Err(EdgeError::LeadNotFound);
            }
            let all = query_param(&query, "all").is_some_and(|v| v == "true");
            store::reset_for_replay(&db, &id, all, &time::rfc3339_ms(now_ms())).await?;
            env.queue(names::DELIVERIES)
                .map_err(internal)?
                .send(&DeliveryJob {
                    lead_id: id.clone(),
                })
                .await
                .map_err(internal)?;
            let detail = json!({ "lead_ids": [&id], "all": all });
            audit(&db, &grant.actor, "replay", Some(&row.form_id), &detail).await?;
            json_response(202, &json!({ "lead_id": id, "replayed": true }), None).map_err(internal)
        }
        Route::FormFunnel(id) => {
            let accept = header(req, "Accept");
            let csv = accept.is_some_and(|a| a.contains("text/csv"));
            super::analytics::funnel_report(&db, &id, &query, csv).await
        }
        Route::FormHealth(id) => {
            let form = forms::find(&id).ok_or(EdgeError::FormNotFound)?;
            let rows = store::mount_failures(&db, &form.spec.id).await?;
            let last_at = rows.iter().map(|r| r.last_at.as_str()).max();
            let counts: Vec<(String, u64)> = rows
                .iter()
                .map(|r| (r.cause.clone(), r.count as u64))
                .collect();
            let mut body = events::health_json(&form.spec.id, &counts, last_at);
            let quarantined: Vec<(String, String, u64)> =
                store::quarantine_counts(&db, &form.spec.id)
                    .await?
                    .into_iter()
                    .map(|r| (r.signal, r.status, r.count as u64))
                    .collect();
            body["quarantined"] = antispam::quarantine_counts_json(&quarantined);
            let deliveries: Vec<(String, String, u64)> = store::delivery_counts(&db, &form.spec.id)
                .await?
                .into_iter()
                .map(|r| (r.destination, r.status, r.count as u64))
                .collect();
            body["deliveries"] = crate::delivery::delivery_counts_json(&deliveries);
            // Per destination: last success, failing since, queued, dead
            // letters, disabled (edge::health).
            let keys: Vec<String> = form
                .spec
                .destinations
                .iter()
                .enumerate()
                .map(|(index, d)| crate::delivery::destination_key(index, d))
                .collect();
            let figures = super::destinations::figures(&db, &form.spec.id).await?;
            body["destinations"] = crate::health::destinations_json(&keys, &figures);
            // Destinations a 410 Gone disabled: nothing is sent to them.
            body["disabled_destinations"] =
                serde_json::Value::Array(super::ledger::disabled_report(&db, &form.spec.id).await?);
            let web_to_lead = form
                .spec
                .destinations
                .iter()
                .any(|d| matches!(d, leadform_shared::spec::Destination::Salesforce { .. }));
            if web_to_lead {
                let since = crate::time::rfc3339_ms(super::now_ms().saturating_sub(86_400_000));
                let sent = store::web_to_lead_sent_since(&db, &since).await?;
                body["web_to_lead"] = crate::delivery::web_to_lead_json(sent);
            }
            json_response(200, &body, None).map_err(internal)
        }
        Route::RedriveDestination { form, destination } => {
            let form = known_destination(&form, &destination)?;
            let now = now_ms();
            let at = time::rfc3339_ms(now);
            let ids = super::destinations::redrive(env, &db, &form.spec.id, &destination, now, &at)
                .await?;
            let detail = json!({ "destination": &destination, "lead_ids": &ids });
            audit(&db, &grant.actor, "redrive", Some(&form.spec.id), &detail).await?;
            let body =
                json!({ "destination": destination, "redriven": ids.len(), "lead_ids": ids });
            json_response(202, &body, None).map_err(internal)
        }
        Route::EnableDestination { form, destination } => {
            let form = known_destination(&form, &destination)?;
            let now = now_ms();
            let at = time::rfc3339_ms(now);
            let enabled =
                super::destinations::enable(env, &db, &form.spec.id, &destination, now, &at)
                    .await?;
            let body = json!({
                "destination": &destination,
                "enabled": true,
                "was_disabled_at": enabled.disabled_at,
                "redriven": enabled.lead_ids.len(),
                "lead_ids": &enabled.lead_ids,
            });
            if enabled.disabled_at.is_some() {
                audit(
                    &db,
                    &grant.actor,
                    "enable_destination",
                    Some(&form.spec.id),
                    &body,
                )
                .await?;
            }
            json_response(200, &body, None).map_err(internal)
        }
        Route::ListQuarantine => list_quarantine(&db, &vault, &query).await,
        Route::GetQuarantined(id) => {
            let row = store::quarantined(&db, &id)
                .await?
                .ok_or(EdgeError::QuarantineNotFound)?;
            let row = open_quarantined(&db, &vault, vec![row])
                .await?
                .pop()
                .ok_or(EdgeError::QuarantineNotFound)?;
            json_response(200, &quarantined_json(&row, seal_keys.as_ref()), None).map_err(internal)
        }
        Route::DiscardQuarantined(id) => {
            let row = store::quarantined(&db, &id)
                .await?
                .ok_or(EdgeError::QuarantineNotFound)?;
            if row.status != "held" {
                return Err(EdgeError::QuarantineClosed);
            }
            let at = time::rfc3339_ms(now_ms());
            store::close_quarantined(&db, &id, "discarded", &at).await?;
            super::privacy::destroy_keys(&db, &id).await?;
            let detail = json!({ "lead_ids": [&id] });
            audit(&db, &grant.actor, "discard", Some(&row.form_id), &detail).await?;
            let body = json!({ "quarantine_id": id, "status": "discarded", "closed_at": at });
            json_response(200, &body, None).map_err(internal)
        }
        Route::ReleaseQuarantined(id) => release(env, &db, &vault, grant, &id).await,
        Route::ListForms => json_response(200, &forms_json(), None).map_err(internal),
        Route::Session => {
            let scopes: Vec<&str> = grant.scopes.iter().map(|s| s.as_str()).collect();
            let body = json!({ "actor": grant.actor, "scopes": scopes });
            json_response(200, &body, None).map_err(internal)
        }
        Route::LeadStatus(id) => super::lead_status::owner_update(req, &db, &id).await,
        _ => Err(EdgeError::NotFound),
    }
}

/// The form `form_id`, if `destination` is one of its destination keys
/// (`0:webhook`); a key it does not have is not found.
fn known_destination(
    form_id: &str,
    destination: &str,
) -> std::result::Result<&'static forms::CompiledForm, EdgeError> {
    let form = forms::find(form_id).ok_or(EdgeError::FormNotFound)?;
    let known = form
        .spec
        .destinations
        .iter()
        .enumerate()
        .any(|(index, d)| crate::delivery::destination_key(index, d) == destination);
    if known {
        Ok(form)
    } else {
        Err(EdgeError::NotFound)
    }
}

/// The largest erasure request body read (`{"email": ...}`).
const ERASURE_BODY_MAX: usize = 4096;

/// The address of a `POST /v1/erasures` body (`{"email": "..."}`).
async fn erasure_email(req: &Request) -> std::result::Result<String, EdgeError> {
    #[derive(serde::Deserialize)]
    struct Erasure {
        email: String,
    }
    let mut req = req.clone().map_err(internal)?;
    let bytes = super::http::body_within(&mut req, ERASURE_BODY_MAX, |_| {
        EdgeError::ErasureRequestInvalid
    })
    .await?;
    let request: Erasure =
        serde_json::from_slice(&bytes).map_err(|_| EdgeError::ErasureRequestInvalid)?;
    let email = request.email.trim();
    if email.contains('@') {
        Ok(email.to_owned())
    } else {
        Err(EdgeError::ErasureRequestInvalid)
    }
}

/// One certificate as the owner sees it: the certificate, its HMAC seal
/// (checked with the seal keys, naming the key) and its Ed25519 signature
/// (checked against the published keys, as a buyer would). With
/// `?format=document`, the self-contained document a buyer or an auditor
/// verifies offline (`cargo xtask verify-certificate`); none for an erased
/// or unsigned certificate.
fn certificate(
    env: &Env,
    row: &store::CertificateRow,
    seal_keys: Option<&SealKeys>,
    query: &str,
) -> Served {
    let signature = row
        .signature
        .as_deref()
        .and_then(keys::StoredSignature::from_stored);
    if query_param(query, "format").is_some_and(|f| f == "document") {
        let (Some(json), Some(signature)) = (&row.certificate_json, &signature) else {
            return Err(EdgeError::CertificateNotFound);
        };
        let mut response = Response::ok(signature.document(json)).map_err(internal)?;
        let headers = response.headers_mut();
        headers
            .set("Content-Type", "application/json")
            .map_err(internal)?;
        headers
            .set(
                "Content-Disposition",
                &format!("attachment; filename=\"{}.json\"", row.certificate_id),
            )
            .map_err(internal)?;
        return Ok(response);
    }
    let certificate: Option<Value> = row
        .certificate_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    let seal_check = match (&row.certificate_json, &row.seal, seal_keys) {
        (Some(json), Some(stored), Some(keys)) => Some(keys.check(json.as_bytes(), stored)),
        _ => None,
    };
    let seal_kid = row.seal.as_deref().map(|s| seal::split_seal(s).0);
    let signature_json = match (&signature, &row.certificate_json) {
        (Some(signature), json) => {
            let verified = json.as_deref().is_some_and(|json| {
                super::keys::published(env).is_ok_and(|keys| {
                    leadform_verify::verify_document(signature.document(json).as_bytes(), &keys)
                        .is_ok()
                })
            });
            json!({
                "algorithm": keys::SIGNATURE_ALGORITHM,
                "key_id": signature.kid,
                "value": signature.value,
                "verified": verified,
                "keys_url": "/.well-known/leadform-keys.json",
                "document_url": format!("/v1/certificates/{}?format=document", row.certificate_id),
            })
        }
        (None, _) => Value::Null,
    };
    let body = json!({
        "certificate_id": row.certificate_id,
        "lead_id": row.lead_id,
        "certificate": certificate,
        "erased_at": row.erased_at,
        "seal": {
            "algorithm": seal::SEAL_ALGORITHM,
            "key_id": seal_kid,
            "value": row.seal,
            "verified": seal_check.as_ref().is_some_and(seal::SealCheck::is_verified),
            "key_unknown": matches!(seal_check, Some(seal::SealCheck::KeyUnknown { .. })),
        },
        "signature": signature_json,
    });
    json_response(200, &body, None).map_err(internal)
}

fn lead_json(row: &LeadRow, seal_keys: Option<&SealKeys>) -> Value {
    let record: Option<Value> = row
        .record_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    // Beside the sealed record (kept byte for byte), the values as the
    // webhook carries them: phones as E.164 with `<id>_extension` apart.
    let lead = row
        .record_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<LeadRecord>(j).ok());
    let previous_lead_id = lead.as_ref().and_then(|l| l.previous_lead_id.clone());
    let qualification = lead.as_ref().and_then(|l| l.qualification.clone());
    let values = lead
        .zip(forms::find(&row.form_id))
        .map(|(lead, form)| export::payload_values(&form.spec, &lead.values));
    let verified = match (&row.record_json, &row.seal, seal_keys) {
        (Some(json), Some(stored), Some(keys)) => keys.verify(json.as_bytes(), stored),
        _ => false,
    };
    json!({
        "lead_id": row.lead_id,
        "form_id": row.form_id,
        "received_at": row.received_at,
        "certificate_ids": serde_json::from_str::<Value>(&row.certificate_ids).unwrap_or(Value::Null),
        "erased_at": row.erased_at,
        "previous_lead_id": previous_lead_id,
        "qualification": qualification,
        "closed_loop": super::lead_status::closed_loop_json(row),
        "record": record,
        "values": values,
        "seal_verified": verified,
    })
}

/// The page an owner listing asks for: `form` (known; without it every
/// form's leads, where `any_form` allows it), `since`, `limit`, `cursor`,
/// `order` (`oldest`, the default, or `newest` first), each refused with
/// its name when malformed.
fn page_query(query: &str, any_form: bool) -> Result<store::Page, EdgeError> {
    let form_id = match query_param(query, "form") {
        Some(form_id) => {
            forms::find(&form_id).ok_or(EdgeError::FormNotFound)?;
            Some(form_id)
        }
        None if any_form => None,
        None => return Err(EdgeError::BadQuery("form")),
    };
    let since_ms = match query_param(query, "since") {
        Some(since) => time::parse_rfc3339(&since).ok_or(EdgeError::BadQuery("since"))?,
        None => 0,
    };
    let limit = match query_param(query, "limit") {
        Some(limit) => limit
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=PAGE_LIMIT_MAX).contains(l))
            .ok_or(EdgeError::BadQuery("limit"))?,
        None => 100,
    };
    let after = match query_param(query, "cursor") {
        Some(cursor) => Some(parse_cursor(&cursor).ok_or(EdgeError::BadQuery("cursor"))?),
        None => None,
    };
    let newest_first = match query_param(query, "order").as_deref() {
        None | Some("oldest") => false,
        Some("newest") => true,
        Some(_) => return Err(EdgeError::BadQuery("order")),
    };
    Ok(store::Page {
        form_id,
        since_ms,
        after,
        limit,
        newest_first,
        filter: crate::listing::LeadFilter::default(),
    })
}

/// The cursor of the page after `rows` (`<received_at_ms>_<id>` of the last
/// row), when the page was full.
fn next_cursor<T>(
    rows: &[T],
    page: &store::Page,
    key: impl Fn(&T) -> (f64, &str),
) -> Option<String> {
    let last = rows.last().filter(|_| rows.len() as u32 == page.limit)?;
    let (received_at_ms, id) = key(last);
    Some(format!("{}_{}", received_at_ms as u64, id))
}

/// A page of leads: read (`exporter` `None`: the console's table, not
/// audited) or downloaded (`exporter` the caller: `format=csv|json` or
/// `Accept: text/csv`, in the audit log before it is sent).
async fn list(
    db: &worker::D1Database,
    vault: &Vault,
    exporter: Option<&Grant>,
    query: &str,
    accept: Option<&str>,
) -> Served {
    let mut page = page_query(query, true)?;
    // The form asked for, or every form.
    let listed: Vec<&forms::CompiledForm> = match &page.form_id {
        Some(id) => vec![forms::find(id).ok_or(EdgeError::FormNotFound)?],
        None => forms::all().iter().collect(),
    };
    let specs: Vec<&leadform_shared::FormSpec> = listed.iter().map(|f| &f.spec).collect();
    page.filter = crate::listing::LeadFilter::from_query(query, &specs)?;
    // An email or phone search matches the keyed contact indexes (and the
    // unkeyed ones of leads stored before them) of each listed form that
    // has such a field, never a value in clear.
    if let Some(crate::listing::Search::Contact(keys)) = &page.filter.search {
        page.filter.contact_indexes = keys
            .iter()
            .flat_map(|key| {
                specs
                    .iter()
                    .filter(|spec| crate::listing::may_hold(spec, key))
                    .flat_map(|spec| {
                        [
                            vault.contact_index(&spec.id, key),
                            crate::record::legacy_contact_key(&spec.id, key),
                        ]
                    })
            })
            .collect();
    }
    let wants_csv = match query_param(query, "format").as_deref() {
        None | Some("json") => accept.is_some_and(|a| a.contains("text/csv")),
        Some("csv") => true,
        Some(_) => return Err(EdgeError::BadQuery("format")),
    };
    let (rows, next_cursor, scanned) = match page.filter.name_search() {
        Some(name) => {
            let name = name.to_owned();
            let (rows, cursor, scanned) = search_names(db, vault, &page, &name).await?;
            (rows, cursor, Some(scanned))
        }
        None => {
            let rows = vault.open_leads(db, lead_rows(db, &page).await?).await?;
            let cursor = next_cursor(&rows, &page, |r| (r.received_at_ms, r.lead_id.as_str()));
            (rows, cursor, None)
        }
    };
    if let Some(grant) = exporter {
        let detail = json!({
            "format": if wants_csv { "csv" } else { "json" },
            "since": query_param(query, "since"),
            "cursor": query_param(query, "cursor"),
            "filter": {
                "tier": page.filter.tier,
                "grade": page.filter.grade,
                "status": query_param(query, "status"),
                "waiting": page.filter.waiting,
                "route": page.filter.route,
                "from": query_param(query, "from"),
                "to": query_param(query, "to"),
                // What kind of search, never the text searched for.
                "search": page.filter.search.as_ref().map(crate::listing::Search::kind),
            },
            "count": rows.len(),
            "lead_ids": rows.iter().map(|r| r.lead_id.as_str()).collect::<Vec<_>>(),
        });
        audit(db, &grant.actor, "export", page.form_id.as_deref(), &detail).await?;
    }
    // Revenue, sold to and sale count of each lead (lead distribution).
    let sales = super::distribution::sales_by_lead(db, &rows).await?;
    // `leads-<form>.csv`, or `leads-all.csv` across forms.
    let file = format!("leads-{}", page.form_id.as_deref().unwrap_or("all"));
    if wants_csv {
        // Phone fields as E.164, each followed by its `<id>_extension` column
        // (across forms, each form's columns in form order, once each);
        // last, the earlier lead of the same contact (repeat leads).
        let mut columns: Vec<String> = Vec::new();
        for spec in &specs {
            for column in export::export_columns(spec) {
                if !columns.contains(&column) {
                    columns.push(column);
                }
            }
        }
        let mut header_row = vec!["lead_id", "form_id", "received_at", "erased_at"];
        header_row.extend(columns.iter().map(String::as_str));
        header_row.push(crate::record::PREVIOUS_LEAD_KEY);
        // Then score, tier, mark, grade, fired rules, status and aging.
        header_row.extend(crate::status::EXPORT_COLUMNS);
        header_row.extend(export::SALE_COLUMNS);
        let mut out = csv::row(&header_row);
        for row in &rows {
            let record: Option<LeadRecord> = row
                .record_json
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok());
            let mut cells = vec![
                row.lead_id.clone(),
                row.form_id.clone(),
                row.received_at.clone(),
                row.erased_at.clone().unwrap_or_default(),
            ];
            let values = record
                .as_ref()
                .zip(forms::find(&row.form_id))
                .map(|(r, form)| export::payload_values(&form.spec, &r.values));
            for column in &columns {
                let value = values
                    .as_ref()
                    .and_then(|v| v.get(column))
                    .map(FieldValue::to_display);
                cells.push(value.unwrap_or_default());
            }
            cells.push(
                record
                    .as_ref()
                    .and_then(|r| r.previous_lead_id.clone())
                    .unwrap_or_default(),
            );
            cells.extend(crate::status::export_cells(
                record.as_ref().and_then(|r| r.qualification.as_ref()),
                &super::lead_status::closed_loop_json(row),
            ));
            cells.extend(export::sale_cells(sales.of(&row.lead_id)));
            out.push_str(&csv::row(&cells));
        }
        let mut response = Response::ok(out).map_err(internal)?;
        let headers = response.headers_mut();
        headers
            .set("Content-Type", "text/csv; charset=utf-8")
            .map_err(internal)?;
        headers
            .set(
                "Content-Disposition",
                &format!("attachment; filename=\"{file}.csv\""),
            )
            .map_err(internal)?;
        if let Some(cursor) = &next_cursor {
            headers
                .set("Leadform-Next-Cursor", cursor)
                .map_err(internal)?;
        }
        return Ok(response);
    }
    let leads: Vec<Value> = rows
        .iter()
        .map(|row| lead_json(row, None))
        .map(|mut v| {
            if let Some(object) = v.as_object_mut() {
                object.remove("seal_verified");
            }
            v
        })
        .zip(&rows)
        .map(|(mut v, row)| {
            v["sale"] = export::sale_json(sales.of(&row.lead_id));
            v
        })
        .collect();
    let mut body = json!({ "leads": leads, "next_cursor": next_cursor });
    if let Some(scanned) = scanned {
        body["scanned"] = json!(scanned);
    }
    let mut response = json_response(200, &body, None).map_err(internal)?;
    if exporter.is_some() {
        let name = format!("attachment; filename=\"{file}.json\"");
        response
            .headers_mut()
            .set("Content-Disposition", &name)
            .map_err(internal)?;
    }
    Ok(response)
}

/// A page of lead rows. A contact search across many forms has more
/// indexes than one query may bind: then one query per run of
/// [`crate::listing::CONTACT_INDEXES_PER_QUERY`], each already in the
/// page's order and limit, merged ([`crate::listing::merge_runs`]) into
/// the rows one query would give.
async fn lead_rows(
    db: &worker::D1Database,
    page: &store::Page,
) -> std::result::Result<Vec<LeadRow>, EdgeError> {
    let indexes = &page.filter.contact_indexes;
    if indexes.len() <= crate::listing::CONTACT_INDEXES_PER_QUERY {
        return store::list_leads(db, page).await;
    }
    let mut runs = Vec::new();
    for run in indexes.chunks(crate::listing::CONTACT_INDEXES_PER_QUERY) {
        let mut part = page.clone();
        part.filter.contact_indexes = run.to_vec();
        runs.push(store::list_leads(db, &part).await?);
    }
    Ok(crate::listing::merge_runs(
        runs,
        |r: &LeadRow| (r.received_at_ms as u64, r.lead_id.as_str()),
        page.newest_first,
        page.limit as usize,
    ))
}

/// Leads a name search reads per D1 query, and at most per request.
const NAME_SCAN_BATCH: u32 = 100;
const NAME_SCAN_MAX: usize = 500;

/// A name search (names have no index, see README "Searching leads"): the
/// page's filtered rows are opened in batches and kept when their name
/// fields (in their own form) contain `name`, until the page is full, the
/// rows end, or
/// [`NAME_SCAN_MAX`] were read. The cursor then continues the scan from
/// the last row read (a page may be short, or empty, and still have one);
/// the count says how many were read.
async fn search_names(
    db: &worker::D1Database,
    vault: &Vault,
    page: &store::Page,
    name: &str,
) -> std::result::Result<(Vec<LeadRow>, Option<String>, usize), EdgeError> {
    let mut scan = store::Page {
        limit: NAME_SCAN_BATCH,
        ..page.clone()
    };
    let cursor = |row: &LeadRow| format!("{}_{}", row.received_at_ms as u64, row.lead_id);
    let mut found = Vec::new();
    let mut scanned = 0;
    loop {
        let batch = vault
            .open_leads(db, store::list_leads(db, &scan).await?)
            .await?;
        let ended = (batch.len() as u32) < scan.limit;
        let last = batch
            .last()
            .map(|r| (r.received_at_ms as u64, r.lead_id.clone()));
        let last_cursor = batch.last().map(cursor);
        for row in batch {
            scanned += 1;
            let values = row
                .record_json
                .as_deref()
                .and_then(|j| serde_json::from_str::<LeadRecord>(j).ok())
                .map(|lead| lead.values)
                .zip(forms::find(&row.form_id));
            if values.is_some_and(|(v, form)| crate::listing::name_matches(&form.spec, &v, name)) {
                let at = cursor(&row);
                found.push(row);
                if found.len() as u32 == page.limit {
                    return Ok((found, Some(at), scanned));
                }
            }
        }
        if ended {
            return Ok((found, None, scanned));
        }
        if scanned >= NAME_SCAN_MAX {
            return Ok((found, last_cursor, scanned));
        }
        scan.after = last;
    }
}

fn parse_cursor(cursor: &str) -> Option<(u64, String)> {
    let (ms, id) = cursor.split_once('_')?;
    Some((ms.parse().ok()?, id.to_owned()))
}

/// One quarantined submission as the owner sees it: the signals that fired,
/// its status, and (while held) the sealed record and its values.
fn quarantined_json(row: &store::QuarantineRow, seal_keys: Option<&SealKeys>) -> Value {
    let record: Option<Value> = row
        .record_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    let values = row
        .record_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<LeadRecord>(j).ok())
        .zip(forms::find(&row.form_id))
        .map(|(lead, form)| export::payload_values(&form.spec, &lead.values));
    let verified = match (&row.record_json, &row.seal, seal_keys) {
        (Some(json), Some(stored), Some(keys)) => Some(keys.verify(json.as_bytes(), stored)),
        _ => None,
    };
    json!({
        "quarantine_id": row.quarantine_id,
        "form_id": row.form_id,
        "received_at": row.received_at,
        "signals": serde_json::from_str::<Value>(&row.signals).unwrap_or(Value::Null),
        "status": row.status,
        "expires_at": time::rfc3339_ms(row.expires_at_ms as u64),
        "closed_at": row.closed_at,
        "lead_id": (row.status == "released").then_some(&row.quarantine_id),
        "certificate_ids": serde_json::from_str::<Value>(&row.certificate_ids).unwrap_or(Value::Null),
        "record": record,
        "values": values,
        "seal_verified": verified,
    })
}

/// Quarantined rows with their records in clear (one key query).
async fn open_quarantined(
    db: &worker::D1Database,
    vault: &Vault,
    mut rows: Vec<store::QuarantineRow>,
) -> std::result::Result<Vec<store::QuarantineRow>, EdgeError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.quarantine_id.as_str()).collect();
    let keys = vault.keys_of(db, &ids).await?;
    let none = super::privacy::OpenKeys::default();
    for row in &mut rows {
        let k = keys.get(&row.quarantine_id).unwrap_or(&none);
        row.record_json = vault.open_record(k, &row.quarantine_id, row.record_json.as_deref())?;
    }
    Ok(rows)
}

async fn list_quarantine(db: &worker::D1Database, vault: &Vault, query: &str) -> Served {
    let page = page_query(query, false)?;
    let rows = open_quarantined(db, vault, store::list_quarantine(db, &page).await?).await?;
    let next_cursor = next_cursor(&rows, &page, |r| {
        (r.received_at_ms, r.quarantine_id.as_str())
    });
    let items: Vec<Value> = rows.iter().map(|row| quarantined_json(row, None)).collect();
    json_response(
        200,
        &json!({ "quarantined": items, "next_cursor": next_cursor }),
        None,
    )
    .map_err(internal)
}

/// Release: the held submission becomes a lead (same id, receive time, sealed
/// record and certificates), its deliveries are enqueued once. Releasing a
/// released one answers the same and enqueues nothing.
async fn release(
    env: &Env,
    db: &worker::D1Database,
    vault: &Vault,
    grant: &Grant,
    id: &str,
) -> Served {
    let row = store::quarantined(db, id)
        .await?
        .ok_or(EdgeError::QuarantineNotFound)?;
    let released = json!({ "quarantine_id": id, "lead_id": id, "status": "released" });
    match row.status.as_str() {
        "held" => {}
        "released" => return json_response(200, &released, None).map_err(internal),
        _ => return Err(EdgeError::QuarantineClosed),
    }
    // Parsed from the record in clear; the lead row gets the stored
    // ciphertext as it is (same id, same data keys).
    let keys = vault.keys(db, id).await?;
    let lead: LeadRecord = vault
        .open_record(&keys, id, row.record_json.as_deref())?
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .ok_or_else(|| EdgeError::StorageUnavailable(format!("quarantined {id} unreadable")))?;
    let form = forms::find(&row.form_id).ok_or(EdgeError::FormNotFound)?;
    let destinations: Vec<String> = form
        .spec
        .destinations
        .iter()
        .enumerate()
        .map(|(i, d)| crate::delivery::destination_key(i, d))
        .collect();
    let at = time::rfc3339_ms(now_ms());
    let written = store::release_quarantined(db, &row, &lead, &destinations, &at).await?;
    if written {
        let detail = json!({ "lead_ids": [id] });
        audit(db, &grant.actor, "release", Some(&row.form_id), &detail).await?;
    }
    if written && !destinations.is_empty() {
        // The lead is durable; a failed enqueue leaves its deliveries pending
        // for the replay endpoint, as at submit.
        let sent = match env.queue(names::DELIVERIES) {
            Ok(queue) => {
                queue
                    .send(&DeliveryJob {
                        lead_id: id.to_owned(),
                    })
                    .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            worker::console_error!("enqueue of released {id} failed: {e}");
        }
    }
    json_response(200, &released, None).map_err(internal)
}

/// `GET /v1/forms`: each compiled form's id, title and destination keys
/// (`{index}:{kind}`, never their URLs or secrets), for the console's pickers.
fn forms_json() -> Value {
    let forms: Vec<Value> = forms::all()
        .iter()
        .map(|form| {
            let destinations: Vec<String> = form
                .spec
                .destinations
                .iter()
                .enumerate()
                .map(|(index, d)| crate::delivery::destination_key(index, d))
                .collect();
            // Tiers with their speed-to-lead SLA, and the grade scale when
            // the form grades: what the console's filters and SLA view offer.
            let tiers: Vec<Value> = form
                .spec
                .tiers
                .iter()
                .map(|t| json!({ "id": t.id, "sla_minutes": t.sla_minutes, "mark": t.mark }))
                .collect();
            let grades: Vec<&str> = match form.spec.grading {
                Some(_) => (0..=12)
                    .map(|thirds| leadform_shared::scoring::Grade::F.moved(thirds).as_str())
                    .collect(),
                None => Vec::new(),
            };
            json!({
                "id": form.spec.id,
                "title": form.spec.title,
                "destinations": destinations,
                "tiers": tiers,
                "grades": grades,
                // Route ids, for the leads table's route filter.
                "routes": form.spec.routes.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "forms": forms })
}
