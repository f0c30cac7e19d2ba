//! `POST /v1/events` (the widget's beacons, batched with
//! `navigator.sendBeacon`: text/plain, no preflight) and
//! `GET /v1/forms/{id}/funnel` (owner): the platform side of form
//! analytics.
//!
//! A batch is checked in this order: content type, size (announced and
//! read), the shared schema ([`EventBatch::parse`]), the form exists, the
//! page's origin is one the form allows, the batch holds against the form's
//! spec ([`EventBatch::check`]), the per-IP rate. It is then rolled up
//! ([`crate::funnel::rollup`]) into an [`AnalyticsStore`]: D1 here
//! ([`D1Analytics`]); production can put Workers Analytics Engine behind the
//! same trait without touching the widget or the report. Raw events are
//! never stored; a visitor id only as its SHA-256, for the current day's
//! unique-visitor count.

use super::store::storage;
use leadform_shared::analytics::{EventBatch, EventError, MAX_BATCH_BYTES};
use leadform_shared::{FormSpec, SubmissionEnvelope};
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Request, Response, Result};

use crate::error::EdgeError;
use crate::funnel::{self, Counter, Increment, Quality, Query};
use crate::routes::query_param;
use crate::{cors, forms, time};

use super::http::{error_response, header, set_cors};
use super::{names, now_ms, rate_limiter};

/// Beacon batches one IP may send per form and minute (a visit sends a
/// few: on view, on leaving, on acceptance).
pub const BATCHES_PER_IP_PER_MINUTE: u32 = 120;

/// Longest report range, in days.
const MAX_RANGE_DAYS: u64 = 366;

type Outcome<T> = std::result::Result<T, EdgeError>;

/// Where roll-ups live. D1 below; a Workers Analytics Engine sink would
/// write data points in `add` and query its SQL API in `counters`.
#[allow(async_fn_in_trait)]
pub(crate) trait AnalyticsStore {
    /// Adds `increments` to the counters of `form_id` on `day`, and counts
    /// `visitor` (a SHA-256 hex) once per day.
    async fn add(
        &self,
        form_id: &str,
        day: &str,
        visitor: Option<&str>,
        increments: &[Increment],
    ) -> Outcome<()>;
    /// Every counter of `form_id` from day `from` to day `to` (included),
    /// summed over days.
    async fn counters(&self, form_id: &str, from: &str, to: &str) -> Outcome<Vec<Counter>>;
}

pub(crate) struct D1Analytics<'a>(pub &'a D1Database);

impl AnalyticsStore for D1Analytics<'_> {
    async fn add(
        &self,
        form_id: &str,
        day: &str,
        visitor: Option<&str>,
        increments: &[Increment],
    ) -> Outcome<()> {
        let db = self.0;
        let mut statements = Vec::with_capacity(increments.len() + 3);
        let upsert = "INSERT INTO analytics_rollups (form_id, variant, day, field, metric, value) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (form_id, day, variant, field, metric) DO UPDATE SET value = value + excluded.value";
        for i in increments {
            statements.push(
                db.prepare(upsert)
                    .bind(&[
                        form_id.into(),
                        i.variant.as_str().into(),
                        day.into(),
                        i.field.as_str().into(),
                        i.metric.as_str().into(),
                        JsValue::from_f64(i.value as f64),
                    ])
                    .map_err(storage)?,
            );
        }
        if let Some(visitor) = visitor {
            let variant = increments.first().map_or("", |i| i.variant.as_str());
            statements.push(
                db.prepare(
                    "INSERT INTO analytics_rollups (form_id, variant, day, field, metric, value) \
                     SELECT ?1, ?2, ?3, '', 'visitors', 1 WHERE NOT EXISTS \
                     (SELECT 1 FROM analytics_visitors WHERE form_id = ?1 AND day = ?3 AND visitor_sha256 = ?4) \
                     ON CONFLICT (form_id, day, variant, field, metric) DO UPDATE SET value = value + 1",
                )
                .bind(&[form_id.into(), variant.into(), day.into(), visitor.into()])
                .map_err(storage)?,
            );
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO analytics_visitors (form_id, day, visitor_sha256) VALUES (?1, ?2, ?3)",
                )
                .bind(&[form_id.into(), day.into(), visitor.into()])
                .map_err(storage)?,
            );
            statements.push(
                db.prepare("DELETE FROM analytics_visitors WHERE form_id = ?1 AND day < ?2")
                    .bind(&[form_id.into(), day.into()])
                    .map_err(storage)?,
            );
        }
        db.batch(statements).await.map_err(storage)?;
        Ok(())
    }

    async fn counters(&self, form_id: &str, from: &str, to: &str) -> Outcome<Vec<Counter>> {
        #[derive(serde::Deserialize)]
        struct Row {
            variant: String,
            field: String,
            metric: String,
            value: f64,
        }
        let rows: Vec<Row> = self
            .0
            .prepare(
                "SELECT variant, field, metric, SUM(value) AS value FROM analytics_rollups \
                 WHERE form_id = ?1 AND day >= ?2 AND day <= ?3 GROUP BY variant, field, metric",
            )
            .bind(&[form_id.into(), from.into(), to.into()])
            .map_err(storage)?
            .all()
            .await
            .map_err(storage)?
            .results()
            .map_err(storage)?;
        Ok(rows
            .into_iter()
            .map(|r| Counter {
                variant: r.variant,
                field: r.field,
                metric: r.metric,
                value: r.value.max(0.0) as u64,
            })
            .collect())
    }
}

fn refusal(error: EventError) -> EdgeError {
    match error {
        EventError::TooLarge => EdgeError::PayloadTooLarge {
            limit: MAX_BATCH_BYTES,
        },
        EventError::UnknownKind => EdgeError::EventUnknown,
        _ => EdgeError::EventMalformed,
    }
}

/// `POST /v1/events`: 204 once counted.
pub(crate) async fn beacon(mut req: Request, env: Env) -> Result<Response> {
    let origin = header(&req, "Origin");
    let mut allow_origin = None;
    match count(&mut req, &env, origin.as_deref(), &mut allow_origin).await {
        Ok(()) => {
            let mut response = Response::empty()?.with_status(204);
            set_cors(response.headers_mut(), allow_origin.as_deref())?;
            Ok(response)
        }
        Err(error) => error_response(&error, allow_origin.as_deref()),
    }
}

async fn count(
    req: &mut Request,
    env: &Env,
    origin: Option<&str>,
    allow_origin: &mut Option<String>,
) -> Outcome<()> {
    let too_large = EdgeError::PayloadTooLarge {
        limit: MAX_BATCH_BYTES,
    };
    let announced = header(req, "Content-Length").and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|len| len > MAX_BATCH_BYTES) {
        return Err(too_large);
    }
    let content_type = header(req, "Content-Type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if media_type != "text/plain" && media_type != "application/json" {
        return Err(EdgeError::ContentTypeUnsupported);
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| EdgeError::ContentTypeUnsupported)?;
    let batch = EventBatch::parse(&body).map_err(refusal)?;
    let form = forms::find(&batch.form).ok_or(EdgeError::FormNotFound)?;
    *allow_origin = cors::allow_origin_for(&form.spec, origin);
    if !cors::origin_allowed(&form.spec, origin) {
        return Err(EdgeError::OriginNotAllowed);
    }
    batch.check(&form.spec).map_err(refusal)?;
    let ip = header(req, "CF-Connecting-IP");
    let key = format!(
        "beacons:{}:{}",
        form.spec.id,
        ip.as_deref().unwrap_or("unknown")
    );
    rate_limiter::check(env, &key, BATCHES_PER_IP_PER_MINUTE).await?;
    let db = env
        .d1(names::DB)
        .map_err(|e| EdgeError::StorageUnavailable(e.to_string()))?;
    let day = today();
    let visitor = batch
        .visitor
        .as_deref()
        .map(|v| leadform_shared::hex_sha256(format!("{}:{v}", form.spec.id).as_bytes()));
    let increments = funnel::rollup(&batch);
    D1Analytics(&db)
        .add(&form.spec.id, &day, visitor.as_deref(), &increments)
        .await
}

fn today() -> String {
    day_of(now_ms())
}

fn day_of(ms: u64) -> String {
    time::rfc3339_ms(ms).chars().take(10).collect()
}

fn day_start_ms(day: &str) -> Option<u64> {
    time::parse_rfc3339(&format!("{day}T00:00:00.000Z"))
}

/// `GET /v1/forms/{id}/funnel?from=&to=&variant=&format=csv` (owner).
pub(crate) async fn funnel_report(
    db: &D1Database,
    form_id: &str,
    query_text: &str,
    wants_csv: bool,
) -> Outcome<Response> {
    let query = query_text;
    let form = forms::find(form_id).ok_or(EdgeError::FormNotFound)?;
    let spec: &FormSpec = &form.spec;
    let to = query_param(query, "to").unwrap_or_else(today);
    let from = match query_param(query, "from") {
        Some(from) => from,
        None => day_of(
            day_start_ms(&to)
                .unwrap_or_else(now_ms)
                .saturating_sub(29 * 86_400_000),
        ),
    };
    let (Some(from_ms), Some(to_ms)) = (day_start_ms(&from), day_start_ms(&to)) else {
        return Err(EdgeError::BadQuery("from"));
    };
    if !funnel::is_day(&from) || !funnel::is_day(&to) || from_ms > to_ms {
        return Err(EdgeError::BadQuery("from"));
    }
    if (to_ms - from_ms) / 86_400_000 > MAX_RANGE_DAYS {
        return Err(EdgeError::BadQuery("to"));
    }
    let variant = query_param(query, "variant").filter(|v| !v.is_empty());
    if variant
        .as_ref()
        .is_some_and(|v| !spec.variants.iter().any(|s| s.id == *v))
    {
        return Err(EdgeError::BadQuery("variant"));
    }
    let counters = D1Analytics(db).counters(&spec.id, &from, &to).await?;
    let quality = quality(db, &spec.id, from_ms, to_ms + 86_400_000).await;
    let query = Query { from, to, variant };
    let report = funnel::report(spec, &counters, quality.as_deref(), &query);
    let wants_csv = wants_csv || query_param(query_text, "format").is_some_and(|f| f == "csv");
    let mut response = if wants_csv {
        let mut r = Response::ok(funnel::report_csv(&report)).map_err(storage)?;
        r.headers_mut()
            .set("Content-Type", "text/csv; charset=utf-8")
            .map_err(storage)?;
        r
    } else {
        Response::from_json(&report).map_err(storage)?
    };
    response
        .headers_mut()
        .set("Cache-Control", "no-store")
        .map_err(storage)?;
    Ok(response)
}

/// The closed-loop figures per variant of the form's leads received in
/// `[from_ms, to_ms)`; `None` when the leads table has no status column
/// (the closed loop is not deployed): absent, not zero.
async fn quality(db: &D1Database, form_id: &str, from_ms: u64, to_ms: u64) -> Option<Vec<Quality>> {
    #[derive(serde::Deserialize)]
    struct Row {
        variant: String,
        leads: f64,
        qualified: Option<f64>,
        won: Option<f64>,
        mean_score: Option<f64>,
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT COALESCE(variant, '') AS variant, COUNT(*) AS leads, \
             SUM(CASE WHEN status IN ('qualified', 'won') THEN 1 ELSE 0 END) AS qualified, \
             SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END) AS won, AVG(score) AS mean_score \
             FROM leads WHERE form_id = ?1 AND received_at_ms >= ?2 AND received_at_ms < ?3 \
             GROUP BY COALESCE(variant, '')",
        )
        .bind(&[
            form_id.into(),
            JsValue::from_f64(from_ms as f64),
            JsValue::from_f64(to_ms as f64),
        ])
        .ok()?
        .all()
        .await
        .map_err(|e| worker::console_error!("funnel quality of {form_id} not read: {e}"))
        .ok()?
        .results()
        .ok()?;
    Some(
        rows.into_iter()
            .map(|r| Quality {
                variant: r.variant,
                leads: r.leads as u64,
                qualified: r.qualified.unwrap_or(0.0) as u64,
                won: r.won.unwrap_or(0.0) as u64,
                mean_score: r.mean_score,
            })
            .collect(),
    )
}

/// Stores the variant a lead's visit was shown, when the server's spec
/// declares it (an unknown one is not stored). Best effort: the lead is
/// already durable and a failure only leaves it out of the per-variant
/// quality figures.
pub(crate) async fn record_variant(
    db: &D1Database,
    spec: &FormSpec,
    envelope: &SubmissionEnvelope,
    lead_id: &str,
) {
    let Some(variant) = envelope.attribution.current.variant.as_deref() else {
        return;
    };
    if !spec.variants.iter().any(|v| v.id == variant) {
        return;
    }
    let stored = match db
        .prepare("UPDATE leads SET variant = ?1 WHERE lead_id = ?2")
        .bind(&[variant.into(), lead_id.into()])
    {
        Ok(statement) => statement.run().await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = stored {
        worker::console_error!("variant of {lead_id} not stored: {e}");
    }
}
