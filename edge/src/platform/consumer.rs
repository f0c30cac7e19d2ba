//! Queue consumers. `leadform-deliveries`: deliver each lead to every
//! destination not yet delivered, log each attempt, retry with backoff.
//! `leadform-deliveries-dlq`: messages that ran out of retries; their
//! undelivered destinations are marked `dead` (replayable by the owner).

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::pin_mut;
use leadform_shared::FormSpec;
use wasm_bindgen::JsValue;
use worker::{
    Delay, Env, Fetch, Headers, Message, MessageBatch, MessageExt, Method,
    QueueRetryOptionsBuilder, Request, RequestInit, Result,
};

use crate::backoff::Backoff;
use crate::delivery::{self, DeliveryJob, Outcome};
use crate::record::LeadRecord;
use crate::{forms, time};

use super::store::{self, AttemptResult};
use super::{config, config_u32, names, now_ms};

pub(crate) async fn handle(batch: MessageBatch<DeliveryJob>, env: Env) -> Result<()> {
    let dead_letters = batch.queue() == names::DLQ_NAME;
    for message in batch.messages()? {
        let handled = if dead_letters {
            dead_letter(&env, &message).await
        } else {
            deliver(&env, &message).await
        };
        if let Err(error) = handled {
            worker::console_error!("delivery of {} failed: {error}", message.body().lead_id);
            message.retry();
        }
    }
    Ok(())
}

async fn dead_letter(env: &Env, message: &Message<DeliveryJob>) -> Result<()> {
    let db = env.d1(names::DB)?;
    store::mark_dead(&db, &message.body().lead_id, &time::rfc3339_ms(now_ms()))
        .await
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    message.ack();
    Ok(())
}

async fn deliver(env: &Env, message: &Message<DeliveryJob>) -> Result<()> {
    let db = env.d1(names::DB)?;
    let lead_id = &message.body().lead_id;
    let to_rust = |e: crate::EdgeError| worker::Error::RustError(e.to_string());
    let Some(row) = store::lead(&db, lead_id).await.map_err(to_rust)? else {
        message.ack();
        return Ok(());
    };
    let (Some(record_json), None) = (&row.record_json, &row.erased_at) else {
        // Erased: nothing may be sent any more.
        message.ack();
        return Ok(());
    };
    let lead: LeadRecord =
        serde_json::from_str(record_json).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let Some(form) = forms::find(&lead.form_id) else {
        message.ack();
        return Ok(());
    };
    let states = store::deliveries(&db, lead_id).await.map_err(to_rust)?;
    let rewrites = config(env, names::DESTINATION_URL_REWRITES)
        .map(|v| delivery::parse_rewrites(&v))
        .unwrap_or_default();
    let mut retry_attempt = None;
    // The longest wait a retried destination asked for.
    let mut retry_after_s: Option<u32> = None;
    for (index, destination) in form.spec.destinations.iter().enumerate() {
        let key = delivery::destination_key(index, destination);
        let state = states.iter().find(|s| s.destination == key);
        if state.is_some_and(|s| s.status == "delivered" || s.status == "rejected") {
            continue;
        }
        let attempt = state.map(|s| s.attempts as u32).unwrap_or(0) + 1;
        let tried = attempt_once(env, &form.spec, destination, &lead, &rewrites).await;
        let at = time::rfc3339_ms(now_ms());
        store::record_attempt(
            &db,
            &AttemptResult {
                lead_id,
                destination: &key,
                attempt,
                outcome: tried.outcome.as_str(),
                http_status: tried.http_status,
                latency_ms: tried.latency_ms,
                error: tried.error,
                answer: tried.answer,
                retry_after_s: tried.retry_after_s,
                remote_id: None,
                at: &at,
            },
        )
        .await
        .map_err(to_rust)?;
        if tried.outcome == Outcome::Retry {
            retry_attempt = Some(retry_attempt.map_or(attempt, |a: u32| a.max(attempt)));
            retry_after_s = retry_after_s.max(tried.retry_after_s);
        }
    }
    match retry_attempt {
        Some(attempt) => {
            let backoff = Backoff {
                base_s: config_u32(
                    env,
                    names::DELIVERY_BACKOFF_BASE_S,
                    Backoff::default().base_s,
                ),
                max_s: config_u32(env, names::DELIVERY_BACKOFF_MAX_S, Backoff::default().max_s),
            };
            let delay = delivery::retry_delay_s(
                backoff.delay_s(attempt, js_sys::Math::random()),
                retry_after_s,
            );
            message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(delay)
                    .build(),
            );
        }
        None => message.ack(),
    }
    Ok(())
}

/// What one request to one destination came to.
struct Tried {
    outcome: Outcome,
    http_status: Option<u16>,
    latency_ms: u64,
    /// Why it was not delivered, in a few words (`HTTP 400`, `timed out ...`).
    error: Option<String>,
    /// The answer body of an undelivered attempt, redacted of personal data.
    answer: Option<String>,
    retry_after_s: Option<u32>,
}

/// One request to one destination, classified.
async fn attempt_once(
    env: &Env,
    spec: &FormSpec,
    destination: &leadform_shared::spec::Destination,
    lead: &LeadRecord,
    rewrites: &[(String, String)],
) -> Tried {
    let started = now_ms();
    let request = match delivery::build_request(
        spec,
        destination,
        lead,
        started / 1000,
        |name| config(env, name),
        rewrites,
    ) {
        Ok(request) => request,
        Err(error) => {
            return Tried {
                outcome: Outcome::Rejected,
                http_status: None,
                latency_ms: 0,
                error: Some(error.to_string()),
                answer: None,
                retry_after_s: None,
            }
        }
    };
    let timeout_ms = config_u32(env, names::DELIVERY_TIMEOUT_MS, 10_000);
    let result = send(&request, timeout_ms).await;
    let finished = now_ms();
    let latency_ms = finished.saturating_sub(started);
    match result {
        Ok(answer) => {
            let outcome = Outcome::classify(Some(answer.status));
            let delivered = outcome == Outcome::Delivered;
            Tried {
                outcome,
                http_status: Some(answer.status),
                latency_ms,
                error: (!delivered).then(|| format!("HTTP {}", answer.status)),
                answer: (!delivered && !answer.body.is_empty())
                    .then(|| delivery::redact_answer(&answer.body, lead)),
                retry_after_s: answer
                    .retry_after
                    .as_deref()
                    .and_then(|v| delivery::retry_after_s(v, finished / 1000)),
            }
        }
        Err(error) => Tried {
            outcome: Outcome::Retry,
            http_status: None,
            latency_ms,
            error: Some(error),
            answer: None,
            retry_after_s: None,
        },
    }
}

/// A destination's answer: status, `Retry-After` and body text.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
}

async fn send(
    request: &delivery::OutboundRequest,
    timeout_ms: u32,
) -> std::result::Result<Answer, String> {
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(|e| e.to_string())?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&request.body)));
    let outbound = Request::new_with_init(&request.url, &init).map_err(|e| e.to_string())?;
    let fetcher = Fetch::Request(outbound);
    // The body is read within the same timeout as the answer.
    let fetch = async move {
        let mut response = fetcher.send().await?;
        let status = response.status_code();
        let retry_after = response.headers().get("retry-after").ok().flatten();
        // An unreadable body is no reason to misclassify the status.
        let body = response.text().await.unwrap_or_default();
        Ok::<_, worker::Error>(Answer {
            status,
            retry_after,
            body,
        })
    };
    let timeout = Delay::from(Duration::from_millis(u64::from(timeout_ms)));
    pin_mut!(fetch);
    pin_mut!(timeout);
    match select(fetch, timeout).await {
        Either::Left((Ok(answer), _)) => Ok(answer),
        Either::Left((Err(error), _)) => Err(format!("network error: {error}")),
        Either::Right(_) => Err(format!("timed out after {timeout_ms} ms")),
    }
}
