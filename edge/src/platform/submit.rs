//! `POST /v1/submit`: size and content type, origin, re-validation against the
//! server's spec (which refuses uncontactable leads and ticked consents
//! missing what they cover), anti-spam, idempotency and dedup, the link to
//! the same contact's earlier lead, seal, store, enqueue, and the first
//! delivery attempt from `waitUntil` (speed to lead). A submission a soft
//! spam signal flags is sealed and held in quarantine instead (capped per
//! hour, never enqueued) and answered with the same receipt shape.

use leadform_shared::envelope::MAX_ENVELOPE_BYTES;
use leadform_shared::SubmissionEnvelope;
use wasm_bindgen::JsValue;
use worker::{Context, Env, Fetch, Headers, Method, Request, RequestInit, Response, Result};

use crate::antispam::{self, Signal};
use crate::delivery::DeliveryJob;
use crate::error::EdgeError;
use crate::record::{self, Receipt, RequestEvidence};
use crate::{cors, forms, ids, time};

use super::http::{error_response, header, json_response};
use super::{config, fault, names, now_ms, rate_limiter, store};

pub(crate) async fn handle(mut req: Request, env: Env, ctx: &Context) -> Result<Response> {
    let origin = header(&req, "Origin");
    // Until the form is known, no origin is echoed.
    let mut allow_origin: Option<String> = None;
    match accept(&mut req, &env, ctx, origin.as_deref(), &mut allow_origin).await {
        // A fault point (tests only): abort, as a crash would.
        Err(EdgeError::StorageUnavailable(why)) if why.starts_with(FAULT) => {
            Err(worker::Error::RustError(why))
        }
        Ok(receipt) => json_response(202, &receipt, allow_origin.as_deref()),
        Err(error) => error_response(&error, allow_origin.as_deref()),
    }
}

async fn accept(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    origin: Option<&str>,
    allow_origin: &mut Option<String>,
) -> std::result::Result<Receipt, EdgeError> {
    // 1. Size and content type, before reading the body.
    let announced = header(req, "Content-Length").and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|len| len > MAX_ENVELOPE_BYTES) {
        return Err(EdgeError::PayloadTooLarge {
            limit: MAX_ENVELOPE_BYTES,
        });
    }
    let content_type = header(req, "Content-Type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    if media_type != "application/json" && media_type != "text/plain" {
        return Err(EdgeError::ContentTypeUnsupported);
    }
    let body = super::http::body_within(req, MAX_ENVELOPE_BYTES, |_| {
        EdgeError::ContentTypeUnsupported
    })
    .await?;

    // 2. Parse, find the server's spec, check the origin, re-validate.
    let envelope = SubmissionEnvelope::parse(&body)?;
    let form = forms::find(&envelope.form_id).ok_or(EdgeError::FormNotFound)?;
    let spec = &form.spec;
    if !cors::origin_allowed(spec, origin) {
        return Err(EdgeError::OriginNotAllowed);
    }
    *allow_origin = cors::allow_origin_for(spec, origin);
    let clean = envelope
        .validate_against_hashed(spec, &form.public_hash)
        .map_err(EdgeError::Invalid)?;

    let db = env
        .d1(names::DB)
        .map_err(|e| EdgeError::StorageUnavailable(e.to_string()))?;
    // Everything looked up before the write, in one D1 batch: the same
    // submission stored or held, the same contact within the dedup window
    // (step 4) and the same contact's latest lead (step 5).
    // Contact keys are stored as keyed indexes (no dictionary reverses
    // them); the earlier unkeyed form is looked up too, never written.
    let vault = super::privacy::Vault::from_env(env)?;
    let dedup_key = clean
        .contact_key(spec)
        .map(|key| vault.contact_index(&spec.id, &key));
    let plain_keys = clean.contact_keys(spec);
    let contact_keys: Vec<String> = plain_keys
        .iter()
        .map(|key| vault.contact_index(&spec.id, key))
        .collect();
    let lookup_keys: Vec<String> = contact_keys
        .iter()
        .cloned()
        .chain(
            plain_keys
                .iter()
                .map(|key| record::legacy_contact_key(&spec.id, key)),
        )
        .collect();
    let dedup_since = now_ms().saturating_sub(u64::from(spec.anti_spam.dedup_window_s) * 1000);
    let prior = store::prior_reads(
        &db,
        &spec.id,
        &envelope.submission_id,
        dedup_key.as_deref().map(|key| (key, dedup_since)),
        &lookup_keys,
    )
    .await?;
    // A retry of the same submission returns its original receipt.
    if let Some(receipt) = prior.stored {
        return Ok(receipt);
    }
    if let Some(receipt) = prior.held {
        return Ok(receipt);
    }

    // 3. Anti-spam: soft signals quarantine (or refuse, or are ignored, as
    // the form's [anti_spam.quarantine] says); a failed Turnstile verdict and
    // the per-form rate always refuse.
    let mut fired = antispam::human_signals(spec, &envelope);
    fired.extend(antispam::content_signals(spec, &clean));
    antispam::decide(spec, &fired).map_err(|signal| signal.refusal(spec, 0))?;
    let ip = header(req, "CF-Connecting-IP");
    if let Some(token) = antispam::turnstile_token_needed(spec, &envelope)? {
        match verify_turnstile(env, token, ip.as_deref(), &envelope.submission_id).await {
            Err(EdgeError::TurnstileUnavailable) => fired.push(Signal::TurnstileUnavailable),
            verdict => verdict?,
        }
    }
    let (ip_key, form_key) = antispam::rate_keys(&spec.id, ip.as_deref());
    let mut retry_after_s = 0;
    match rate_limiter::check(env, &ip_key, spec.anti_spam.per_ip_per_minute).await {
        Err(EdgeError::RateLimited { retry_after_s: s }) => {
            fired.push(Signal::RateLimited);
            retry_after_s = s;
        }
        checked => checked?,
    }
    let signals =
        antispam::decide(spec, &fired).map_err(|signal| signal.refusal(spec, retry_after_s))?;
    if signals.is_empty() {
        rate_limiter::check(env, &form_key, spec.anti_spam.per_form_per_minute).await?;
    } else {
        // Held submissions have their own hourly caps: a flood never fills D1.
        let rules = &spec.anti_spam.quarantine;
        let (ip_cap, form_cap) = antispam::quarantine_keys(&spec.id, ip.as_deref());
        let hour = antispam::QUARANTINE_WINDOW_MS;
        rate_limiter::check_window(env, &ip_cap, rules.per_ip_per_hour, hour).await?;
        rate_limiter::check_window(env, &form_cap, rules.per_form_per_hour, hour).await?;
    }

    // 4. Dedup by contact within the window.
    let received_at_ms = now_ms();
    if let Some(receipt) = prior.duplicate {
        return Ok(receipt);
    }

    // 5. After the window, the same contact (any of its normalised emails or
    // phone numbers on this form) makes a new lead linked to the latest one.
    let previous_lead_id = prior.previous_lead_id;

    // 6. Timestamp and seal.
    // The newest seal key seals; the Ed25519 key (when set) signs each
    // certificate's exact bytes for offline verification.
    let seal_keys = super::keys::seal_keys(env)?;
    let signer = super::keys::certificate_signer(env)?;
    let lead_id = ids::new_id(ids::LEAD_PREFIX)
        .ok_or_else(|| EdgeError::StorageUnavailable("no randomness".into()))?;
    let certificate_ids = clean
        .consents
        .iter()
        .map(|_| ids::new_id(ids::CERTIFICATE_PREFIX))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| EdgeError::StorageUnavailable("no randomness".into()))?;
    let evidence = RequestEvidence {
        received_at: time::rfc3339_ms(received_at_ms),
        received_at_ms,
        ip,
        user_agent: header(req, "User-Agent"),
        country: req.cf().and_then(|cf| cf.country()),
        page_url: envelope.page_url.clone(),
        origin: origin.map(str::to_owned),
    };
    let ids = record::LeadIds {
        lead_id,
        certificate_ids: certificate_ids.clone(),
        previous_lead_id,
    };
    let (lead, certificates) = record::build_lead(spec, &envelope, &clean, evidence, ids);
    let lead_json =
        serde_json::to_string(&lead).map_err(|e| EdgeError::StorageUnavailable(e.to_string()))?;
    let sealed_lead = store::SealedLead {
        seal: seal_keys.seal(lead_json.as_bytes()),
        record_json: lead_json,
        email: record::primary_email(spec, &lead.values),
        dedup_key,
        contact_keys,
        certificates: certificates
            .iter()
            .map(|certificate| {
                let json = serde_json::to_string(certificate).unwrap_or_default();
                store::SealedCertificate {
                    certificate_id: certificate.certificate_id.clone(),
                    consent_id: certificate.consent.consent_id.clone(),
                    seal: seal_keys.seal(json.as_bytes()),
                    signature: signer.as_ref().map(|s| s.sign(&json).to_stored()),
                    certificate_json: json,
                }
            })
            .collect(),
        data_keys: None,
    };
    // Encrypted before it reaches D1: record and certificates under fresh
    // data keys, the email as its blind index (edge::crypto).
    let sealed_lead = vault.protect(&lead.lead_id, sealed_lead)?;
    let receipt = Receipt {
        lead_id: lead.lead_id.clone(),
        certificate_ids,
        received_at: lead.evidence.received_at.clone(),
        duplicate: false,
    };

    // Quarantined: held sealed, with its signals; not delivered, not enqueued.
    if !signals.is_empty() {
        let signals_json = serde_json::to_string(&signals)
            .map_err(|e| EdgeError::StorageUnavailable(e.to_string()))?;
        let expires_at_ms = antispam::quarantine_expires_at_ms(spec, received_at_ms);
        if let Some(earlier) =
            store::insert_quarantined(&db, &lead, &sealed_lead, &signals_json, expires_at_ms)
                .await?
        {
            return Ok(earlier);
        }
        return Ok(receipt);
    }

    // 7. Route (with [[routes]]: the chosen recipients' destinations and
    // those no recipient names; else every destination), then store (one
    // D1 batch: the lead, its certificates, its pending deliveries).
    let routed = super::router::route(
        env,
        spec,
        &envelope,
        &clean,
        lead.evidence.country.as_deref(),
        lead.qualification.as_ref(),
        received_at_ms,
    )
    .await;
    let destinations = routed.destinations;
    // Idempotent (a repeat finds the stored submission): transient D1 errors are retried.
    let stored = super::ledger::retry_transient(|| {
        store::insert_lead(&db, &lead, &sealed_lead, &destinations)
    })
    .await?;
    if let Some(earlier) = stored {
        // A concurrent retry of the same submission won the insert.
        return Ok(earlier);
    }

    fault_point(env, fault::AFTER_D1_WRITE)?;
    // The experiment variant the visit was shown (the funnel's quality per variant).
    super::analytics::record_variant(&db, spec, &envelope, &lead.lead_id).await;

    // The routing decision beside the lead (and a held lead's deliveries
    // not due before its hold ends).
    if let Some(decision) = &routed.decision {
        if let Err(e) = super::router::record(env, &db, &lead.lead_id, decision).await {
            worker::console_error!("routing of {} not stored: {e}", lead.lead_id);
        }
    }

    // 8. Enqueue. The lead is already durable; a failed enqueue leaves its
    // deliveries pending, and the cron sweeper enqueues them.
    if !destinations.is_empty() {
        let job = DeliveryJob {
            lead_id: lead.lead_id.clone(),
        };
        let sent = match env.queue(names::DELIVERIES) {
            Ok(queue) => queue.send(&job).await,
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            worker::console_error!("enqueue of {} failed: {e}", lead.lead_id);
        }
    }
    fault_point(env, fault::AFTER_ENQUEUE)?;
    // Speed to lead: the first delivery attempt at once, after the 202 (the
    // queue message above is its fallback and carries the retries; the
    // ledger's claim lets only one of them send), and the notifications
    // and the SLA timer.
    if !destinations.is_empty() {
        super::consumer::first_attempt(ctx, env, lead.clone());
    }
    super::alerts::after_accept(ctx, env, lead, routed.decision);
    Ok(receipt)
}

/// What a fault point's abort says (tests only).
const FAULT: &str = "fault point ";

/// `Err` at `point` when the `FAULT_POINT` var names it (tests only).
fn fault_point(env: &Env, point: &str) -> std::result::Result<(), EdgeError> {
    if fault::hit(env, point) {
        return Err(EdgeError::StorageUnavailable(format!("{FAULT}{point}")));
    }
    Ok(())
}

async fn verify_turnstile(
    env: &Env,
    token: &str,
    ip: Option<&str>,
    idempotency_key: &str,
) -> std::result::Result<(), EdgeError> {
    let secret = config(env, names::TURNSTILE_SECRET)
        .ok_or(EdgeError::SecretMissing(names::TURNSTILE_SECRET))?;
    let url = config(env, names::TURNSTILE_VERIFY_URL)
        .unwrap_or_else(|| antispam::TURNSTILE_VERIFY_URL.to_owned());
    let body = antispam::turnstile_request_body(&secret, token, ip, idempotency_key);
    let headers = Headers::new();
    headers
        .set("Content-Type", "application/x-www-form-urlencoded")
        .map_err(|_| EdgeError::TurnstileUnavailable)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&body)));
    let request =
        Request::new_with_init(&url, &init).map_err(|_| EdgeError::TurnstileUnavailable)?;
    let mut response = Fetch::Request(request)
        .send()
        .await
        .map_err(|_| EdgeError::TurnstileUnavailable)?;
    let status = response.status_code();
    let text = response
        .text()
        .await
        .map_err(|_| EdgeError::TurnstileUnavailable)?;
    antispam::turnstile_verdict(status, &text)
}
