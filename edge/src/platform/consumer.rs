//! Queue consumers. `leadform-deliveries`: deliver each lead to every
//! destination whose try is due, through the delivery ledger
//! ([`super::ledger`]: claim, send, settle, then acknowledge), and send the
//! message back to the queue (at most 12 hours at a time) until the next
//! try is due. `leadform-deliveries-dlq`: messages the queue gave up on;
//! their unfinished destinations are marked `dead` (the cron sweeper revives
//! them once the destination delivers again; the owner can replay them).
//! The same pass is the lead's first attempt, from the submit request's
//! `waitUntil` ([`first_attempt`]): the consumer then finds the rows it
//! settled finished, and the rows it holds claimed (and comes back when
//! the claim ends); a distribution destination (an auction) and any whose
//! worst case would outlast `waitUntil` are left to the queue.
//!
//! Requests follow no redirects (a 3xx is a refusal) and go only to URLs
//! [`crate::delivery::resolve_url`] accepts. A 410 disables the destination.
//! With the test var `FAULT_POINT=after_destination_2xx` the batch is
//! aborted after a destination's 2xx is settled and before the ack; with
//! `before_settle`, after a destination's 2xx and before the ledger records
//! it (once per row: the resend after the interrupted claim goes through).

use std::cell::RefCell;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::pin_mut;
use leadform_shared::spec::Destination;
use leadform_shared::FormSpec;
use wasm_bindgen::JsValue;
use worker::{
    Context, D1Database, Delay, Env, Fetch, Headers, Message, MessageBatch, MessageExt, Method,
    QueueRetryOptionsBuilder, Request, RequestInit, RequestRedirect, Result,
};

use crate::backoff::{self, Schedule};
use crate::delivery::{self, DeliveryJob, Origin, Outcome};
use crate::record::LeadRecord;
use crate::{forms, time};

use super::ledger::{self, Settlement};
use super::{config, config_u32, fault, names, now_ms, store};

pub(crate) async fn handle(batch: MessageBatch<DeliveryJob>, env: Env) -> Result<()> {
    let dead_letters = batch.queue() == names::DLQ_NAME;
    for message in batch.messages()? {
        let handled = if dead_letters {
            dead_letter(&env, &message).await.map(|_| None)
        } else {
            deliver(&env, &message).await
        };
        match handled {
            // A fault point: abort the whole batch, as a crash would.
            Ok(Some(point)) => {
                return Err(worker::Error::RustError(format!(
                    "fault point {point} reached"
                )))
            }
            Ok(None) => {}
            Err(error) => {
                // D1 or the runtime failed: try again in a minute (at the
                // schedule's scale), not at once, so a short outage does not
                // use up the message's re-sends.
                worker::console_error!("delivery of {} failed: {error}", message.body().lead_id);
                let schedule =
                    Schedule::from_var(config(&env, names::DELIVERY_SCHEDULE_SCALE).as_deref());
                let now = now_ms();
                message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(backoff::queue_hop_s(
                            now + schedule.scaled_ms(ERROR_RETRY_S),
                            now,
                        ))
                        .build(),
                );
            }
        }
    }
    Ok(())
}

/// How long a message waits after the consumer itself failed (seconds).
const ERROR_RETRY_S: u64 = 60;

async fn dead_letter(env: &Env, message: &Message<DeliveryJob>) -> Result<()> {
    let db = env.d1(names::DB)?;
    store::mark_dead(&db, &message.body().lead_id, &time::rfc3339_ms(now_ms()))
        .await
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    message.ack();
    Ok(())
}

/// Delivers what is due; `Ok(Some(point))` when a fault point asks to abort.
async fn deliver(env: &Env, message: &Message<DeliveryJob>) -> Result<Option<&'static str>> {
    let db = env.d1(names::DB)?;
    let lead_id = &message.body().lead_id;
    let to_rust = |e: crate::EdgeError| worker::Error::RustError(e.to_string());
    let Some(row) = store::lead(&db, lead_id).await.map_err(to_rust)? else {
        message.ack();
        return Ok(None);
    };
    // The record in clear (edge::crypto); no key left reads as erased.
    let vault = super::privacy::Vault::from_env(env).map_err(to_rust)?;
    let row = vault.open_lead(&db, row).await.map_err(to_rust)?;
    let (Some(record_json), None) = (&row.record_json, &row.erased_at) else {
        // Erased: nothing may be sent any more.
        message.ack();
        return Ok(None);
    };
    let lead: LeadRecord =
        serde_json::from_str(record_json).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let Some(form) = forms::find(&lead.form_id) else {
        message.ack();
        return Ok(None);
    };
    match deliver_lead(env, &db, &form.spec, &lead, Origin::Queue).await? {
        Pass::Crashed(point) => Ok(Some(point)),
        // Anything unfinished (a try scheduled, or a row another sender
        // holds, e.g. the submit request's first attempt still sending):
        // the message comes back then, never dropped.
        Pass::Sent {
            next_due_ms: Some(due_ms),
        } => {
            message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(backoff::queue_hop_s(due_ms, now_ms()))
                    .build(),
            );
            Ok(None)
        }
        Pass::Sent { next_due_ms: None } => {
            message.ack();
            Ok(None)
        }
    }
}

/// Speed to lead: the lead's first delivery attempt, from the submit
/// request's `waitUntil` right after the 202 (not after a queue batch),
/// through the same ledger claim and settle as the consumer. The queue
/// message is sent before it: whatever it leaves (a failure, a
/// destination it does not take, a crash) the consumer finds due or
/// claimed and retries; whatever it settled the consumer never sends
/// again. Off when the `FIRST_ATTEMPT` var says `off`.
pub(crate) fn first_attempt(ctx: &Context, env: &Env, lead: LeadRecord) {
    if !delivery::first_attempt_enabled(config(env, names::FIRST_ATTEMPT).as_deref()) {
        return;
    }
    let env = env.clone();
    ctx.wait_until(async move {
        let Some(form) = forms::find(&lead.form_id) else {
            return;
        };
        let db = match env.d1(names::DB) {
            Ok(db) => db,
            Err(error) => {
                worker::console_error!("first attempt of {}: no D1: {error}", lead.lead_id);
                return;
            }
        };
        match deliver_lead(&env, &db, &form.spec, &lead, Origin::Submit).await {
            // As a crash would: the rest is the queue's.
            Ok(Pass::Crashed(point)) => worker::console_error!(
                "fault point {point} reached in the first attempt of {}",
                lead.lead_id
            ),
            Ok(Pass::Sent { .. }) => {}
            Err(error) => worker::console_error!(
                "first attempt of {} failed: {error}; the queue tries again",
                lead.lead_id
            ),
        }
    });
}

/// What one pass over a lead's deliveries came to.
enum Pass {
    /// A fault point asked to abort (tests).
    Crashed(&'static str),
    /// Every due row this sender could claim was sent and settled.
    Sent {
        /// When anything unfinished is due next (`None`: all finished or
        /// given up).
        next_due_ms: Option<u64>,
    },
}

/// One pass: every destination of `lead` due now is claimed, sent and
/// settled, one after the other. The first attempt (`Origin::Submit`)
/// takes only the destinations [`delivery::first_attempt_takes`] allows.
async fn deliver_lead(
    env: &Env,
    db: &D1Database,
    spec: &FormSpec,
    lead: &LeadRecord,
    origin: Origin,
) -> Result<Pass> {
    let started = now_ms();
    let lead_id = &lead.lead_id;
    let to_rust = |e: crate::EdgeError| worker::Error::RustError(e.to_string());
    let slots = ledger::slots(db, lead_id).await.map_err(to_rust)?;
    let disabled = ledger::disabled(db, &lead.form_id).await.map_err(to_rust)?;
    let rewrites = config(env, names::DESTINATION_URL_REWRITES)
        .map(|v| delivery::parse_rewrites(&v))
        .unwrap_or_default();
    let schedule = Schedule::from_var(config(env, names::DELIVERY_SCHEDULE_SCALE).as_deref());
    let timeout_ms = config_u32(env, names::DELIVERY_TIMEOUT_MS, 10_000);
    let now = now_ms();
    let due: Vec<&ledger::Slot> = slots
        .iter()
        .filter(|s| !s.finished() && !s.stopped() && s.free_at_ms() <= now)
        .collect();
    let token = crate::ids::new_id("claim_")
        .ok_or_else(|| worker::Error::RustError("no randomness".into()))?;
    let mut crash = None;
    // When each claimed destination is due next (None: finished or given up).
    let mut next_due: Vec<(String, Option<u64>)> = Vec::new();
    for (index, destination) in spec.destinations.iter().enumerate() {
        let key = delivery::destination_key(index, destination);
        let Some(slot) = due.iter().copied().find(|s| s.destination == key) else {
            continue;
        };
        if origin == Origin::Submit
            && !delivery::first_attempt_takes(
                destination,
                timeout_ms,
                now_ms().saturating_sub(started),
            )
        {
            // Left unclaimed: the queue message sends it.
            continue;
        }
        // Claimed right before its own send, so an interrupted claim means
        // this destination's request may have gone out, never another's.
        let claimed = ledger::claim(
            db,
            lead_id,
            &[slot],
            &token,
            now_ms(),
            delivery::lease_ms(destination, timeout_ms),
        )
        .await
        .map_err(to_rust)?;
        let Some(claim) = claimed.first() else {
            continue;
        };
        let tried = if claim.interrupted && !Outcome::can_deduplicate(destination) {
            Tried::in_doubt()
        } else if disabled.contains(&key) {
            Tried::unbuildable("destination disabled after a 410 Gone answer".to_owned())
        } else {
            match destination {
                Destination::SalesforceApi { .. } => {
                    let cache_key = format!("{}/{key}", lead.form_id);
                    salesforce_api_attempt(env, spec, destination, lead, &rewrites, &cache_key)
                        .await
                }
                Destination::Distribution { .. } => {
                    match super::distribution::sell(
                        env,
                        db,
                        spec,
                        &key,
                        destination,
                        lead,
                        &rewrites,
                    )
                    .await
                    {
                        Ok(sale) => Tried::auction(sale),
                        Err(error) => Tried::auction_failed(error.to_string()),
                    }
                }
                _ => attempt_once(env, spec, destination, lead, &rewrites).await,
            }
        };
        let sent = matches!(
            tried.outcome,
            Outcome::Delivered | Outcome::SentUnconfirmed | Outcome::Duplicate
        );
        // Tests: a crash between the answer and the ledger (once per row).
        if sent && !claim.interrupted && fault::hit(env, fault::BEFORE_SETTLE) {
            return Ok(Pass::Crashed(fault::BEFORE_SETTLE));
        }
        let at_ms = now_ms();
        let at = time::rfc3339_ms(at_ms);
        let retry_from = claim.retry_from_ms.unwrap_or(at_ms);
        let (status, next) = match tried.outcome {
            Outcome::Retry => match delivery::next_try_ms(
                &schedule,
                retry_from,
                at_ms,
                tried.retry_after_s,
                js_sys::Math::random(),
            ) {
                Some(next) => ("failed", Some(next)),
                None => ("dead", None),
            },
            outcome => (outcome.as_str(), None),
        };
        ledger::settle(
            db,
            &Settlement {
                lead_id,
                form_id: &lead.form_id,
                destination: &key,
                token: &token,
                attempt: claim.attempt,
                origin: origin.as_str(),
                status,
                outcome: tried.outcome.as_str(),
                http_status: tried.http_status,
                latency_ms: tried.latency_ms,
                error: tried.error,
                answer: tried.answer,
                retry_after_s: tried.retry_after_s,
                remote_id: tried.remote_id,
                next_attempt_at_ms: next,
                retry_from_ms: (tried.outcome == Outcome::Retry).then_some(retry_from),
                disables: Outcome::disables(tried.http_status),
                at: &at,
            },
        )
        .await
        .map_err(to_rust)?;
        if sent && fault::hit(env, fault::AFTER_DESTINATION_2XX) {
            crash = Some(fault::AFTER_DESTINATION_2XX);
        }
        next_due.push((key, next));
    }
    if let Some(point) = crash {
        return Ok(Pass::Crashed(point));
    }
    // The next time anything of this lead is due: the tries just scheduled,
    // and rows not claimed now (not yet due, or held by another sender).
    let next_due_ms = slots
        .iter()
        .filter(|s| !s.finished() && !s.stopped())
        .filter_map(
            |s| match next_due.iter().find(|(key, _)| *key == s.destination) {
                Some((_, next)) => *next,
                None => Some(s.free_at_ms().max(now + 1_000)),
            },
        )
        .min();
    Ok(Pass::Sent { next_due_ms })
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
    /// The id the destination gave the record (created, or the duplicate found).
    remote_id: Option<String>,
}

impl Tried {
    /// An earlier send was interrupted: not sent again.
    fn in_doubt() -> Tried {
        Tried {
            outcome: Outcome::InDoubt,
            http_status: None,
            latency_ms: 0,
            error: Some(
                "an earlier send was interrupted; not sent again (the destination cannot deduplicate; replay sends it)"
                    .to_owned(),
            ),
            answer: None,
            retry_after_s: None,
            remote_id: None,
        }
    }

    /// An auction's end: delivered when sold, else rejected with why.
    fn auction(sale: super::distribution::Sold) -> Tried {
        Tried {
            outcome: if sale.sold {
                Outcome::Delivered
            } else {
                Outcome::Rejected
            },
            http_status: None,
            latency_ms: 0,
            error: (!sale.sold).then_some(sale.summary),
            answer: None,
            retry_after_s: None,
            remote_id: None,
        }
    }

    /// An auction whose log could not be stored: tried again.
    fn auction_failed(error: String) -> Tried {
        Tried {
            outcome: Outcome::Retry,
            error: Some(error),
            ..Tried::unbuildable(String::new())
        }
    }

    /// A request that could not be made: rejected, with why.
    fn unbuildable(error: String) -> Tried {
        Tried {
            outcome: Outcome::Rejected,
            http_status: None,
            latency_ms: 0,
            error: Some(error),
            answer: None,
            retry_after_s: None,
            remote_id: None,
        }
    }

    /// `answer` (or its absence: `error`) read as `outcome`.
    fn from_answer(
        outcome: Outcome,
        result: &std::result::Result<Answer, Unanswered>,
        lead: &LeadRecord,
        latency_ms: u64,
        what: &str,
    ) -> Tried {
        match result {
            Ok(answer) => {
                let done = matches!(outcome, Outcome::Delivered | Outcome::SentUnconfirmed);
                Tried {
                    outcome,
                    http_status: Some(answer.status),
                    latency_ms,
                    error: (!done).then(|| format!("{what}HTTP {}", answer.status)),
                    answer: (!done && !answer.body.is_empty())
                        .then(|| delivery::redact_answer(&answer.body, lead)),
                    retry_after_s: answer
                        .retry_after
                        .as_deref()
                        .and_then(|v| delivery::retry_after_s(v, now_ms() / 1000)),
                    remote_id: None,
                }
            }
            Err(error) => Tried {
                outcome,
                http_status: None,
                latency_ms,
                error: Some(match outcome {
                    Outcome::InDoubt => format!(
                        "{what}{error}; not sent again (it may have arrived and the destination cannot deduplicate; replay sends it)"
                    ),
                    _ => format!("{what}{error}"),
                }),
                answer: None,
                retry_after_s: None,
                remote_id: None,
            },
        }
    }
}

thread_local! {
    /// Salesforce access tokens per form and destination: (key, token,
    /// expiry in Unix ms). Lives as long as the isolate; a 401 drops one.
    static SALESFORCE_TOKENS: RefCell<Vec<(String, String, u64)>> = const { RefCell::new(Vec::new()) };
}

fn cached_token(key: &str, now: u64) -> Option<String> {
    SALESFORCE_TOKENS.with(|tokens| {
        tokens
            .borrow()
            .iter()
            .find(|(k, _, expires)| k == key && *expires > now)
            .map(|(_, token, _)| token.clone())
    })
}

fn cache_token(key: &str, token: Option<(String, u64)>) {
    SALESFORCE_TOKENS.with(|tokens| {
        let mut tokens = tokens.borrow_mut();
        tokens.retain(|(k, _, _)| k != key);
        if let Some((token, expires)) = token {
            tokens.push((key.to_owned(), token, expires));
        }
    });
}

/// A new access token by the client-credentials flow, cached; or the
/// attempt that failed getting it.
async fn fetch_token(
    env: &Env,
    destination: &Destination,
    lead: &LeadRecord,
    rewrites: &[(String, String)],
    cache_key: &str,
    timeout_ms: u32,
) -> std::result::Result<String, Tried> {
    let started = now_ms();
    let request = delivery::salesforce_token_request(destination, |n| config(env, n), rewrites)
        .map_err(|e| Tried::unbuildable(e.to_string()))?;
    let result = send(&request, timeout_ms).await;
    let latency = now_ms().saturating_sub(started);
    if let Ok(answer) = &result {
        if (200..300).contains(&answer.status) {
            if let Some((token, expires_in)) = crate::crm::salesforce_token(&answer.body) {
                let ttl_s = expires_in.unwrap_or(delivery::SALESFORCE_TOKEN_TTL_S);
                cache_token(cache_key, Some((token.clone(), now_ms() + ttl_s * 1000)));
                return Ok(token);
            }
        }
    }
    let outcome = match &result {
        // A 2xx without a token is as broken as a refusal.
        Ok(answer) if (200..300).contains(&answer.status) => Outcome::Rejected,
        Ok(answer) => Outcome::classify(Some(answer.status)),
        // A token request creates nothing: always safe to try again.
        Err(_) => Outcome::Retry,
    };
    Err(Tried::from_answer(
        outcome, &result, lead, latency, "token: ",
    ))
}

/// One Lead create through the Salesforce REST API: a cached token (or a
/// new one), the create, and on a 401 one new token and one more try.
async fn salesforce_api_attempt(
    env: &Env,
    spec: &FormSpec,
    destination: &Destination,
    lead: &LeadRecord,
    rewrites: &[(String, String)],
    cache_key: &str,
) -> Tried {
    let started = now_ms();
    let timeout_ms = config_u32(env, names::DELIVERY_TIMEOUT_MS, 10_000);
    let mut fresh = false;
    let mut token = match cached_token(cache_key, started) {
        Some(token) => token,
        None => {
            fresh = true;
            match fetch_token(env, destination, lead, rewrites, cache_key, timeout_ms).await {
                Ok(token) => token,
                Err(tried) => return tried,
            }
        }
    };
    loop {
        let request =
            match delivery::salesforce_lead_request(spec, destination, lead, &token, rewrites) {
                Ok(request) => request,
                Err(error) => return Tried::unbuildable(error.to_string()),
            };
        let result = send(&request, timeout_ms).await;
        let latency = now_ms().saturating_sub(started);
        let answer = match &result {
            Ok(answer) => answer,
            Err(unanswered) => {
                let outcome = Outcome::for_no_answer(destination, unanswered.timed_out());
                return Tried::from_answer(outcome, &result, lead, latency, "");
            }
        };
        match crate::crm::salesforce_lead_answer(answer.status, &answer.body) {
            crate::crm::LeadAnswer::Created(id) => {
                let mut tried = Tried::from_answer(Outcome::Delivered, &result, lead, latency, "");
                tried.remote_id = Some(id);
                return tried;
            }
            crate::crm::LeadAnswer::Duplicate(existing) => {
                let mut tried = Tried::from_answer(Outcome::Duplicate, &result, lead, latency, "");
                tried.error = Some("duplicate of an existing record".to_owned());
                tried.remote_id = existing;
                return tried;
            }
            crate::crm::LeadAnswer::SessionExpired if !fresh => {
                // Expired or revoked: one new token, one more try.
                cache_token(cache_key, None);
                fresh = true;
                token = match fetch_token(env, destination, lead, rewrites, cache_key, timeout_ms)
                    .await
                {
                    Ok(token) => token,
                    Err(tried) => return tried,
                };
            }
            crate::crm::LeadAnswer::SessionExpired | crate::crm::LeadAnswer::Other => {
                let outcome = Outcome::classify(Some(answer.status));
                return Tried::from_answer(outcome, &result, lead, latency, "");
            }
        }
    }
}

/// One request to one destination, classified.
async fn attempt_once(
    env: &Env,
    spec: &FormSpec,
    destination: &Destination,
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
        Err(error) => return Tried::unbuildable(error.to_string()),
    };
    let timeout_ms = config_u32(env, names::DELIVERY_TIMEOUT_MS, 10_000);
    let result = send(&request, timeout_ms).await;
    let latency_ms = now_ms().saturating_sub(started);
    let outcome = match &result {
        Ok(answer) => Outcome::for_destination(destination, Some(answer.status)),
        Err(unanswered) => Outcome::for_no_answer(destination, unanswered.timed_out()),
    };
    Tried::from_answer(outcome, &result, lead, latency_ms, "")
}

/// Why an attempt has no answer.
pub(crate) enum Unanswered {
    /// The request could not be made, or the connection failed before an
    /// answer (refused, DNS, reset).
    Network(String),
    /// Sent, and no answer within the timeout: the destination may have it.
    TimedOut(u32),
}

impl Unanswered {
    fn timed_out(&self) -> bool {
        matches!(self, Unanswered::TimedOut(_))
    }
}

impl std::fmt::Display for Unanswered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unanswered::Network(error) => write!(f, "network error: {error}"),
            Unanswered::TimedOut(ms) => write!(f, "timed out after {ms} ms"),
        }
    }
}

/// A destination's answer: status, `Retry-After` and body text.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: String,
}

pub(crate) async fn send(
    request: &delivery::OutboundRequest,
    timeout_ms: u32,
) -> std::result::Result<Answer, Unanswered> {
    let network = |e: worker::Error| Unanswered::Network(e.to_string());
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(network)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_redirect(RequestRedirect::Manual)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&request.body)));
    let outbound = Request::new_with_init(&request.url, &init).map_err(network)?;
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
        Either::Left((Err(error), _)) => Err(network(error)),
        Either::Right(_) => Err(Unanswered::TimedOut(timeout_ms)),
    }
}
