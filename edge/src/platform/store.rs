//! D1 access: every SQL statement the Worker runs lives here.
//!
//! Failures map to [`EdgeError::StorageUnavailable`] (503), so a lead is never
//! acknowledged unless its rows are written. Schema: `edge/migrations/`.

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::error::EdgeError;
use crate::record::{LeadRecord, Receipt};

pub(crate) type StoreResult<T> = std::result::Result<T, EdgeError>;

pub(crate) fn storage(error: worker::Error) -> EdgeError {
    EdgeError::StorageUnavailable(error.to_string())
}

pub(crate) fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

pub(crate) fn opt_text(value: Option<&str>) -> JsValue {
    value.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

pub(crate) fn number(value: u64) -> JsValue {
    JsValue::from_f64(value as f64)
}

/// `sql` prepared with `args` bound.
pub(crate) fn statement(
    db: &D1Database,
    sql: &str,
    args: &[JsValue],
) -> StoreResult<D1PreparedStatement> {
    db.prepare(sql).bind(args).map_err(storage)
}

/// Every row `sql` answers with `args` bound, each read as a `T`.
pub(crate) async fn all<T: serde::de::DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    args: &[JsValue],
) -> StoreResult<Vec<T>> {
    statement(db, sql, args)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)
}

/// The sealed bytes to store for one lead.
pub(crate) struct SealedLead {
    pub record_json: String,
    pub seal: String,
    pub email: Option<String>,
    pub dedup_key: Option<String>,
    /// Hashed contact keys ([`crate::record::dedup_key`] of each email and
    /// phone of the lead), for linking a later lead of the same person.
    pub contact_keys: Vec<String>,
    pub certificates: Vec<SealedCertificate>,
    /// The lead's wrapped data keys, written in the same batch
    /// ([`super::privacy::Vault::protect`] sets them and encrypts the rest).
    pub data_keys: Option<super::privacy::WrappedKeys>,
}

#[derive(serde::Serialize, Deserialize)]
pub(crate) struct SealedCertificate {
    pub certificate_id: String,
    pub consent_id: String,
    pub certificate_json: String,
    pub seal: String,
    /// Ed25519 signature, `<kid>:<base64url>` (`keys::StoredSignature`);
    /// absent when no signing key was configured (and in quarantined rows
    /// stored before signatures existed).
    #[serde(default)]
    pub signature: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LeadRow {
    pub lead_id: String,
    pub form_id: String,
    pub received_at: String,
    pub received_at_ms: f64,
    pub record_json: Option<String>,
    pub seal: Option<String>,
    pub certificate_ids: String,
    pub erased_at: Option<String>,
    /// The closed loop's latest status and first contact (migration 0009).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_at_ms: Option<f64>,
    #[serde(default)]
    pub first_contact_at_ms: Option<f64>,
}

impl LeadRow {
    pub fn receipt(&self, duplicate: bool) -> Receipt {
        Receipt {
            lead_id: self.lead_id.clone(),
            certificate_ids: serde_json::from_str(&self.certificate_ids).unwrap_or_default(),
            received_at: self.received_at.clone(),
            duplicate,
        }
    }
}

const LEAD_COLUMNS: &str = "lead_id, form_id, received_at, received_at_ms, record_json, seal, certificate_ids, erased_at, \
     status, status_at_ms, first_contact_at_ms";

/// Writes a scoring lead's score, tier, mark and grade into their columns
/// (migration 0009), in the batch that inserts the lead.
fn qualification_update(
    db: &D1Database,
    lead_id: &str,
    lead: &LeadRecord,
) -> StoreResult<Option<D1PreparedStatement>> {
    let Some(q) = &lead.qualification else {
        return Ok(None);
    };
    let score = JsValue::from_f64(f64::from(q.score));
    let statement = statement(
        db,
        "UPDATE leads SET score = ?2, tier = ?3, mark = ?4, grade = ?5 WHERE lead_id = ?1",
        &[
            text(lead_id),
            score,
            opt_text(q.tier.as_deref()),
            opt_text(q.mark.map(|m| m.as_str())),
            opt_text(q.grade.map(|g| g.as_str())),
        ],
    )?;
    Ok(Some(statement))
}

fn lead_by_submission(
    db: &D1Database,
    form_id: &str,
    submission_id: &str,
) -> StoreResult<D1PreparedStatement> {
    let sql = format!("SELECT {LEAD_COLUMNS} FROM leads WHERE form_id = ?1 AND submission_id = ?2");
    statement(db, &sql, &[text(form_id), text(submission_id)])
}

pub(crate) async fn receipt_by_submission(
    db: &D1Database,
    form_id: &str,
    submission_id: &str,
) -> StoreResult<Option<Receipt>> {
    let row: Option<LeadRow> = lead_by_submission(db, form_id, submission_id)?
        .first(None)
        .await
        .map_err(storage)?;
    Ok(row.map(|r| r.receipt(true)))
}

/// What a submission looks up before it is stored, read in one D1 batch
/// (one round trip instead of four).
pub(crate) struct PriorReads {
    /// The receipt of a lead stored with the same submission id.
    pub stored: Option<Receipt>,
    /// The receipt of a held (quarantined) submission with the same id.
    pub held: Option<Receipt>,
    /// The latest live lead with the dedup key, received within the window.
    pub duplicate: Option<Receipt>,
    /// The latest lead holding one of the hashed contact keys. An erased
    /// lead is not found: its contact keys are deleted with its personal
    /// data ([`erase`]).
    pub previous_lead_id: Option<String>,
}

/// Reads [`PriorReads`] for `submission_id` of `form_id`: `dedup` is the
/// dedup key and the start of its window, `contact_keys` the lead's hashed
/// contact keys.
pub(crate) async fn prior_reads(
    db: &D1Database,
    form_id: &str,
    submission_id: &str,
    dedup: Option<(&str, u64)>,
    contact_keys: &[String],
) -> StoreResult<PriorReads> {
    #[derive(Deserialize)]
    struct Id {
        lead_id: String,
    }
    let mut statements = vec![
        lead_by_submission(db, form_id, submission_id)?,
        quarantined_by_submission_statement(db, form_id, submission_id)?,
    ];
    if let Some((key, since_ms)) = dedup {
        let sql = format!(
            "SELECT {LEAD_COLUMNS} FROM leads WHERE form_id = ?1 AND dedup_key = ?2 AND received_at_ms >= ?3 \
             AND erased_at IS NULL ORDER BY received_at_ms DESC LIMIT 1"
        );
        statements.push(statement(
            db,
            &sql,
            &[text(form_id), text(key), number(since_ms)],
        )?);
    }
    if !contact_keys.is_empty() {
        let placeholders: Vec<String> = (0..contact_keys.len())
            .map(|i| format!("?{}", i + 2))
            .collect();
        let sql = format!(
            "SELECT lead_id FROM lead_contacts WHERE form_id = ?1 AND contact_key IN ({}) \
             ORDER BY received_at_ms DESC, lead_id DESC LIMIT 1",
            placeholders.join(", ")
        );
        let mut args = vec![text(form_id)];
        args.extend(contact_keys.iter().map(|k| text(k)));
        statements.push(statement(db, &sql, &args)?);
    }
    let results = db.batch(statements).await.map_err(storage)?;
    let mut results = results.iter();
    let mut first = || {
        results
            .next()
            .ok_or_else(|| EdgeError::StorageUnavailable("a D1 batch result is missing".into()))
    };
    let stored = first()?.results::<LeadRow>().map_err(storage)?;
    let held = first()?.results::<QuarantineRow>().map_err(storage)?;
    let duplicate = match dedup {
        Some(_) => first()?.results::<LeadRow>().map_err(storage)?,
        None => Vec::new(),
    };
    let previous = match contact_keys.is_empty() {
        false => first()?.results::<Id>().map_err(storage)?,
        true => Vec::new(),
    };
    Ok(PriorReads {
        stored: stored.first().map(|r| r.receipt(true)),
        held: held.first().map(|r| r.receipt()),
        duplicate: duplicate.first().map(|r| r.receipt(true)),
        previous_lead_id: previous.into_iter().next().map(|r| r.lead_id),
    })
}

/// Writes the lead, its certificates and its pending deliveries in one batch.
/// Returns the earlier receipt if the same submission was stored concurrently.
pub(crate) async fn insert_lead(
    db: &D1Database,
    lead: &LeadRecord,
    sealed: &SealedLead,
    destinations: &[String],
) -> StoreResult<Option<Receipt>> {
    let certificate_ids: Vec<&str> = sealed
        .certificates
        .iter()
        .map(|c| c.certificate_id.as_str())
        .collect();
    let mut statements = vec![statement(
        db,
        "INSERT INTO leads (lead_id, form_id, submission_id, received_at, received_at_ms, dedup_key, email, \
         record_json, seal, certificate_ids, previous_lead_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        &[
            text(&lead.lead_id),
            text(&lead.form_id),
            text(&lead.submission_id),
            text(&lead.evidence.received_at),
            number(lead.evidence.received_at_ms),
            opt_text(sealed.dedup_key.as_deref()),
            opt_text(sealed.email.as_deref()),
            text(&sealed.record_json),
            text(&sealed.seal),
            text(&serde_json::to_string(&certificate_ids).unwrap_or_else(|_| "[]".into())),
            opt_text(lead.previous_lead_id.as_deref()),
        ],
    )?];
    statements.extend(qualification_update(db, &lead.lead_id, lead)?);
    if let Some(keys) = &sealed.data_keys {
        let now = lead.evidence.received_at_ms;
        statements.push(super::privacy::insert_keys(db, &lead.lead_id, keys, now)?);
    }
    for key in &sealed.contact_keys {
        statements.push(statement(
            db,
            "INSERT INTO lead_contacts (form_id, contact_key, lead_id, received_at_ms) VALUES (?1, ?2, ?3, ?4)",
            &[
                text(&lead.form_id),
                text(key),
                text(&lead.lead_id),
                number(lead.evidence.received_at_ms),
            ],
        )?);
    }
    for certificate in &sealed.certificates {
        statements.push(statement(
            db,
            "INSERT INTO certificates (certificate_id, lead_id, consent_id, certificate_json, seal, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                text(&certificate.certificate_id),
                text(&lead.lead_id),
                text(&certificate.consent_id),
                text(&certificate.certificate_json),
                text(&certificate.seal),
                opt_text(certificate.signature.as_deref()),
            ],
        )?);
    }
    for destination in destinations {
        statements.push(statement(
            db,
            "INSERT INTO deliveries (lead_id, destination, status, updated_at) VALUES (?1, ?2, 'pending', ?3)",
            &[text(&lead.lead_id), text(destination), text(&lead.evidence.received_at)],
        )?);
    }
    match db.batch(statements).await {
        Ok(_) => Ok(None),
        Err(error) if error.to_string().contains("UNIQUE") => {
            receipt_by_submission(db, &lead.form_id, &lead.submission_id).await
        }
        Err(error) => Err(storage(error)),
    }
}

pub(crate) async fn lead(db: &D1Database, lead_id: &str) -> StoreResult<Option<LeadRow>> {
    let sql = format!("SELECT {LEAD_COLUMNS} FROM leads WHERE lead_id = ?1");
    statement(db, &sql, &[text(lead_id)])?
        .first(None)
        .await
        .map_err(storage)
}

/// One page of leads after the `(received_at_ms, lead_id)` cursor, oldest
/// (or newest) first.
pub(crate) async fn list_leads(db: &D1Database, page: &Page) -> StoreResult<Vec<LeadRow>> {
    page.rows(db, LEAD_COLUMNS, "leads", "lead_id").await
}

/// Which page of an owner listing's rows it asks for (leads or quarantine,
/// both keyed by `(received_at_ms, <id>)`): of one form (or, leads only,
/// every form), received at or after `since_ms`, after the
/// `(received_at_ms, id)` cursor, oldest first (or newest first: then
/// "after" the cursor means older than it).
#[derive(Clone)]
pub(crate) struct Page {
    /// `None`: every form's leads.
    pub form_id: Option<String>,
    pub since_ms: u64,
    pub after: Option<(u64, String)>,
    pub limit: u32,
    pub newest_first: bool,
    /// Tier, grade, status and `waiting` (leads only; the quarantine's
    /// pages leave it empty).
    pub filter: crate::listing::LeadFilter,
}

impl Page {
    /// `columns` of `table`, whose rows are ordered by `received_at_ms` and
    /// then `id_column` (all three are this module's constants, never input).
    async fn rows<T: serde::de::DeserializeOwned>(
        &self,
        db: &D1Database,
        columns: &str,
        table: &str,
        id_column: &str,
    ) -> StoreResult<Vec<T>> {
        let (after_ms, after_id) = match (&self.after, self.newest_first) {
            (Some((ms, id)), _) => (*ms, id.clone()),
            (None, false) => (0, String::new()),
            // Newest first from the top: before a cursor past every row.
            (None, true) => (u64::MAX >> 11, String::new()),
        };
        // Conditions from ?6 on, their values bound (never spliced).
        let (filters, values) = self.filter.sql(6);
        let sql = crate::listing::page_sql(
            columns,
            table,
            id_column,
            self.form_id.is_some(),
            self.newest_first,
            &filters,
        );
        let mut args = vec![
            opt_text(self.form_id.as_deref()),
            number(self.since_ms),
            number(after_ms),
            text(&after_id),
            number(u64::from(self.limit)),
        ];
        args.extend(values.iter().map(|v| text(v)));
        statement(db, &sql, &args)?
            .all()
            .await
            .map_err(storage)?
            .results()
            .map_err(storage)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CertificateRow {
    pub certificate_id: String,
    pub lead_id: String,
    pub certificate_json: Option<String>,
    pub seal: Option<String>,
    /// `<kid>:<base64url>` Ed25519 signature (migration 0007).
    pub signature: Option<String>,
    pub erased_at: Option<String>,
}

pub(crate) async fn certificate(
    db: &D1Database,
    certificate_id: &str,
) -> StoreResult<Option<CertificateRow>> {
    statement(
        db,
        "SELECT certificate_id, lead_id, certificate_json, seal, signature, erased_at FROM certificates WHERE certificate_id = ?1",
        &[text(certificate_id)],
    )?
    .first(None)
    .await
    .map_err(storage)
}

#[derive(Debug, Deserialize, serde::Serialize)]
pub(crate) struct DeliveryRow {
    pub destination: String,
    pub status: String,
    pub attempts: f64,
    pub last_http_status: Option<f64>,
    pub last_error: Option<String>,
    /// The destination's latest answer body, redacted (migration 0005).
    pub last_answer: Option<String>,
    /// The id the destination gave the record it created or found.
    pub remote_id: Option<String>,
    pub updated_at: String,
    pub delivered_at: Option<String>,
}

pub(crate) async fn deliveries(db: &D1Database, lead_id: &str) -> StoreResult<Vec<DeliveryRow>> {
    statement(
        db,
        "SELECT destination, status, attempts, last_http_status, last_error, last_answer, remote_id, \
         updated_at, delivered_at FROM deliveries WHERE lead_id = ?1 ORDER BY destination",
        &[text(lead_id)],
    )?
    .all()
    .await
    .map_err(storage)?
    .results()
    .map_err(storage)
}

#[derive(Debug, Deserialize, serde::Serialize)]
pub(crate) struct AttemptRow {
    pub destination: String,
    pub attempt: f64,
    pub outcome: String,
    pub http_status: Option<f64>,
    pub latency_ms: f64,
    pub error: Option<String>,
    /// The destination's answer body, redacted.
    pub answer: Option<String>,
    /// The wait the destination asked for (`Retry-After`), in seconds.
    pub retry_after_s: Option<f64>,
    pub at: String,
    /// Who sent it: `submit` (the first attempt, from the submit request's
    /// `waitUntil`) or `queue` (migration 0014).
    pub origin: String,
}

pub(crate) async fn attempts(db: &D1Database, lead_id: &str) -> StoreResult<Vec<AttemptRow>> {
    statement(
        db,
        "SELECT destination, attempt, outcome, http_status, latency_ms, error, answer, retry_after_s, at, \
         origin FROM delivery_attempts WHERE lead_id = ?1 ORDER BY id",
        &[text(lead_id)],
    )?
    .all()
    .await
    .map_err(storage)?
    .results()
    .map_err(storage)
}

/// Marks every undelivered destination of a lead as dead (after the DLQ).
pub(crate) async fn mark_dead(db: &D1Database, lead_id: &str, at: &str) -> StoreResult<()> {
    statement(
        db,
        "UPDATE deliveries SET status = 'dead', updated_at = ?2 WHERE lead_id = ?1 AND status NOT IN ('delivered', 'rejected', 'duplicate', 'sent_unconfirmed', 'in_doubt', 'erased')",
        &[text(lead_id), text(at)],
    )?
    .run()
    .await
    .map_err(storage)?;
    Ok(())
}

/// Resets deliveries for a replay: undelivered ones, or all with `all`.
pub(crate) async fn reset_for_replay(
    db: &D1Database,
    lead_id: &str,
    all: bool,
    at: &str,
) -> StoreResult<()> {
    // The ledger's claim and schedule start again too (migration 0006).
    let sql = if all {
        "UPDATE deliveries SET status = 'pending', updated_at = ?2, next_attempt_at_ms = NULL, retry_from_ms = NULL, \
         claim_token = NULL, claim_until_ms = NULL WHERE lead_id = ?1"
    } else {
        "UPDATE deliveries SET status = 'pending', updated_at = ?2, next_attempt_at_ms = NULL, retry_from_ms = NULL, \
         claim_token = NULL, claim_until_ms = NULL WHERE lead_id = ?1 AND status NOT IN ('delivered', 'sent_unconfirmed', 'duplicate')"
    };
    statement(db, sql, &[text(lead_id), text(at)])?
        .run()
        .await
        .map_err(storage)?;
    Ok(())
}

pub(crate) async fn lead_ids_by_email(db: &D1Database, email: &str) -> StoreResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Id {
        lead_id: String,
    }
    let rows: Vec<Id> = statement(
        db,
        "SELECT lead_id FROM leads WHERE email = ?1",
        &[text(&email.to_lowercase())],
    )?
    .all()
    .await
    .map_err(storage)?
    .results()
    .map_err(storage)?;
    Ok(rows.into_iter().map(|r| r.lead_id).collect())
}

/// Erases a lead's personal data, keeping an audit stub.
pub(crate) async fn erase(
    db: &D1Database,
    row: &LeadRow,
    at: &str,
    reason: &str,
) -> StoreResult<()> {
    let statements = vec![
        statement(
            db,
            "INSERT OR IGNORE INTO erasures (lead_id, form_id, received_at, erased_at, record_seal, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[text(&row.lead_id), text(&row.form_id), text(&row.received_at), text(at), opt_text(row.seal.as_deref()), text(reason)],
        )?,
        statement(
            db,
            "UPDATE leads SET record_json = NULL, email = NULL, dedup_key = NULL, erased_at = ?2 WHERE lead_id = ?1",
            &[text(&row.lead_id), text(at)],
        )?,
        statement(
            db,
            "DELETE FROM lead_contacts WHERE lead_id = ?1",
            &[text(&row.lead_id)],
        )?,
        // A status history's free-text reasons may name the person.
        statement(
            db,
            "UPDATE lead_status_history SET reason = NULL WHERE lead_id = ?1",
            &[text(&row.lead_id)],
        )?,
        // The data keys go too: any copy of the ciphertext is unreadable.
        super::privacy::destroy_keys_statement(db, &row.lead_id)?,
        statement(
            db,
            "UPDATE certificates SET certificate_json = NULL, erased_at = ?2 WHERE lead_id = ?1",
            &[text(&row.lead_id), text(at)],
        )?,
        statement(
            db,
            "UPDATE deliveries SET status = CASE WHEN status = 'delivered' THEN status ELSE 'erased' END, updated_at = ?2 WHERE lead_id = ?1",
            &[text(&row.lead_id), text(at)],
        )?,
    ];
    db.batch(statements).await.map_err(storage)?;
    Ok(())
}

/// Counts one `mount_failed` beacon of `form_id` with `cause`.
pub(crate) async fn count_mount_failure(
    db: &D1Database,
    form_id: &str,
    cause: &str,
    at: &str,
) -> StoreResult<()> {
    statement(
        db,
        "INSERT INTO mount_failures (form_id, cause, count, first_at, last_at) VALUES (?1, ?2, 1, ?3, ?3) \
         ON CONFLICT (form_id, cause) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
        &[text(form_id), text(cause), text(at)],
    )?
    .run()
    .await
    .map_err(storage)?;
    Ok(())
}

#[derive(Debug, Deserialize)]
pub(crate) struct MountFailureRow {
    pub cause: String,
    pub count: f64,
    pub last_at: String,
}

/// The `mount_failed` counts of `form_id`, one row per cause seen.
pub(crate) async fn mount_failures(
    db: &D1Database,
    form_id: &str,
) -> StoreResult<Vec<MountFailureRow>> {
    statement(
        db,
        "SELECT cause, count, last_at FROM mount_failures WHERE form_id = ?1 ORDER BY cause",
        &[text(form_id)],
    )?
    .all()
    .await
    .map_err(storage)?
    .results()
    .map_err(storage)
}

/// How many of a form's deliveries stand in one status at one destination.
#[derive(Debug, Deserialize)]
pub(crate) struct DeliveryCountRow {
    pub destination: String,
    pub status: String,
    pub count: f64,
}

/// The destination-health figures of `form_id`: its deliveries counted per
/// destination and status (`delivered`, `rejected`, `failed`, ...).
pub(crate) async fn delivery_counts(
    db: &D1Database,
    form_id: &str,
) -> StoreResult<Vec<DeliveryCountRow>> {
    statement(
        db,
        "SELECT d.destination AS destination, d.status AS status, COUNT(*) AS count FROM deliveries d \
         JOIN leads l ON l.lead_id = d.lead_id WHERE l.form_id = ?1 \
         GROUP BY d.destination, d.status ORDER BY d.destination, d.status",
        &[text(form_id)],
    )?
    .all()
    .await
    .map_err(storage)?
    .results()
    .map_err(storage)
}

#[derive(Debug, Deserialize)]
struct CountRow {
    count: f64,
}

/// How many Web-to-Lead requests (`:salesforce` destinations, answered
/// `sent_unconfirmed`) were sent since `since` (RFC 3339), across every
/// form: Salesforce's daily limit is per org.
pub(crate) async fn web_to_lead_sent_since(db: &D1Database, since: &str) -> StoreResult<u64> {
    let row: Option<CountRow> = statement(
        db,
        "SELECT COUNT(*) AS count FROM delivery_attempts \
         WHERE destination LIKE '%:salesforce' AND outcome = 'sent_unconfirmed' AND at >= ?1",
        &[text(since)],
    )?
    .first(None)
    .await
    .map_err(storage)?;
    Ok(row.map(|r| r.count as u64).unwrap_or(0))
}

/// One row of `quarantine` (migration 0004): a submission a soft spam
/// signal flagged, held sealed until released, discarded or expired; a closed
/// row is an audit stub (record, certificates and contact data NULL).
#[derive(Debug, Deserialize)]
pub(crate) struct QuarantineRow {
    pub quarantine_id: String,
    pub form_id: String,
    pub submission_id: String,
    pub received_at: String,
    pub received_at_ms: f64,
    pub signals: String,
    pub status: String,
    pub expires_at_ms: f64,
    pub closed_at: Option<String>,
    pub record_json: Option<String>,
    pub seal: Option<String>,
    pub certificate_ids: String,
    pub certificates_json: Option<String>,
    pub dedup_key: Option<String>,
    pub email: Option<String>,
    pub contact_keys: Option<String>,
}

impl QuarantineRow {
    /// The receipt the visitor got: the same shape as a lead's.
    pub fn receipt(&self) -> Receipt {
        Receipt {
            lead_id: self.quarantine_id.clone(),
            certificate_ids: serde_json::from_str(&self.certificate_ids).unwrap_or_default(),
            received_at: self.received_at.clone(),
            duplicate: true,
        }
    }
}

const QUARANTINE_COLUMNS: &str = "quarantine_id, form_id, submission_id, received_at, received_at_ms, signals, status, \
     expires_at_ms, closed_at, record_json, seal, certificate_ids, certificates_json, dedup_key, email, contact_keys";

/// The stub update closing a held row: personal data dropped, seal kept.
const CLOSE_QUARANTINED: &str = "UPDATE quarantine SET status = ?2, closed_at = ?3, record_json = NULL, \
     certificates_json = NULL, dedup_key = NULL, email = NULL, contact_keys = NULL WHERE quarantine_id = ?1 AND status = 'held'";

fn quarantined_by_submission_statement(
    db: &D1Database,
    form_id: &str,
    submission_id: &str,
) -> StoreResult<D1PreparedStatement> {
    let sql = format!(
        "SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE form_id = ?1 AND submission_id = ?2"
    );
    statement(db, &sql, &[text(form_id), text(submission_id)])
}

pub(crate) async fn quarantined_by_submission(
    db: &D1Database,
    form_id: &str,
    submission_id: &str,
) -> StoreResult<Option<Receipt>> {
    let row: Option<QuarantineRow> =
        quarantined_by_submission_statement(db, form_id, submission_id)?
            .first(None)
            .await
            .map_err(storage)?;
    Ok(row.map(|r| r.receipt()))
}

/// Holds one flagged submission, sealed, with the signals that fired.
/// Returns the earlier receipt if the same submission was held concurrently.
pub(crate) async fn insert_quarantined(
    db: &D1Database,
    lead: &LeadRecord,
    sealed: &SealedLead,
    signals_json: &str,
    expires_at_ms: u64,
) -> StoreResult<Option<Receipt>> {
    let certificate_ids: Vec<&str> = sealed
        .certificates
        .iter()
        .map(|c| c.certificate_id.as_str())
        .collect();
    let certificates_json = serde_json::to_string(&sealed.certificates)
        .map_err(|e| EdgeError::StorageUnavailable(e.to_string()))?;
    let contact_keys = serde_json::to_string(&sealed.contact_keys)
        .map_err(|e| EdgeError::StorageUnavailable(e.to_string()))?;
    let insert = statement(
        db,
        "INSERT INTO quarantine (quarantine_id, form_id, submission_id, received_at, received_at_ms, signals, status, \
         expires_at_ms, record_json, seal, certificate_ids, certificates_json, dedup_key, email, contact_keys) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'held', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        &[
            text(&lead.lead_id),
            text(&lead.form_id),
            text(&lead.submission_id),
            text(&lead.evidence.received_at),
            number(lead.evidence.received_at_ms),
            text(signals_json),
            number(expires_at_ms),
            text(&sealed.record_json),
            text(&sealed.seal),
            text(&serde_json::to_string(&certificate_ids).unwrap_or_else(|_| "[]".into())),
            text(&certificates_json),
            opt_text(sealed.dedup_key.as_deref()),
            opt_text(sealed.email.as_deref()),
            text(&contact_keys),
        ],
    )?;
    let mut statements = vec![insert];
    if let Some(keys) = &sealed.data_keys {
        let now = lead.evidence.received_at_ms;
        statements.push(super::privacy::insert_keys(db, &lead.lead_id, keys, now)?);
    }
    match db.batch(statements).await {
        Ok(_) => Ok(None),
        Err(error) if error.to_string().contains("UNIQUE") => {
            quarantined_by_submission(db, &lead.form_id, &lead.submission_id).await
        }
        Err(error) => Err(storage(error)),
    }
}

pub(crate) async fn quarantined(db: &D1Database, id: &str) -> StoreResult<Option<QuarantineRow>> {
    let sql = format!("SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE quarantine_id = ?1");
    statement(db, &sql, &[text(id)])?
        .first(None)
        .await
        .map_err(storage)
}

/// One page of a form's quarantine (held rows and stubs), oldest first, after
/// the `(received_at_ms, quarantine_id)` cursor.
pub(crate) async fn list_quarantine(
    db: &D1Database,
    page: &Page,
) -> StoreResult<Vec<QuarantineRow>> {
    page.rows(db, QUARANTINE_COLUMNS, "quarantine", "quarantine_id")
        .await
}

/// Turns a held row into a lead, in one batch: the lead row with the same id,
/// receive time, sealed bytes and seal, its contact keys, certificates and
/// pending deliveries, and the row closed as `released`. `Ok(false)` when the
/// lead exists already (a concurrent release won): nothing was written.
pub(crate) async fn release_quarantined(
    db: &D1Database,
    row: &QuarantineRow,
    lead: &LeadRecord,
    destinations: &[String],
    at: &str,
) -> StoreResult<bool> {
    let (Some(record_json), Some(seal)) = (&row.record_json, &row.seal) else {
        return Err(EdgeError::QuarantineClosed);
    };
    let certificates: Vec<SealedCertificate> = row
        .certificates_json
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| EdgeError::StorageUnavailable(e.to_string()))?
        .unwrap_or_default();
    let contact_keys: Vec<String> = row
        .contact_keys
        .as_deref()
        .and_then(|keys| serde_json::from_str(keys).ok())
        .unwrap_or_default();
    let mut statements = vec![statement(
        db,
        "INSERT INTO leads (lead_id, form_id, submission_id, received_at, received_at_ms, dedup_key, email, \
         record_json, seal, certificate_ids, previous_lead_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        &[
            text(&row.quarantine_id),
            text(&row.form_id),
            text(&row.submission_id),
            text(&row.received_at),
            number(row.received_at_ms as u64),
            opt_text(row.dedup_key.as_deref()),
            opt_text(row.email.as_deref()),
            text(record_json),
            text(seal),
            text(&row.certificate_ids),
            opt_text(lead.previous_lead_id.as_deref()),
        ],
    )?];
    statements.extend(qualification_update(db, &row.quarantine_id, lead)?);
    for key in &contact_keys {
        statements.push(statement(
            db,
            "INSERT INTO lead_contacts (form_id, contact_key, lead_id, received_at_ms) VALUES (?1, ?2, ?3, ?4)",
            &[
                text(&row.form_id),
                text(key),
                text(&row.quarantine_id),
                number(row.received_at_ms as u64),
            ],
        )?);
    }
    for certificate in &certificates {
        statements.push(statement(
            db,
            "INSERT INTO certificates (certificate_id, lead_id, consent_id, certificate_json, seal, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                text(&certificate.certificate_id),
                text(&row.quarantine_id),
                text(&certificate.consent_id),
                text(&certificate.certificate_json),
                text(&certificate.seal),
                opt_text(certificate.signature.as_deref()),
            ],
        )?);
    }
    for destination in destinations {
        statements.push(statement(
            db,
            "INSERT INTO deliveries (lead_id, destination, status, updated_at) VALUES (?1, ?2, 'pending', ?3)",
            &[text(&row.quarantine_id), text(destination), text(at)],
        )?);
    }
    statements.push(statement(
        db,
        CLOSE_QUARANTINED,
        &[text(&row.quarantine_id), text("released"), text(at)],
    )?);
    match db.batch(statements).await {
        Ok(_) => Ok(true),
        Err(error) if error.to_string().contains("UNIQUE") => Ok(false),
        Err(error) => Err(storage(error)),
    }
}

/// Closes a held row as `discarded` (or another closed status): the stub stays.
pub(crate) async fn close_quarantined(
    db: &D1Database,
    id: &str,
    status: &str,
    at: &str,
) -> StoreResult<()> {
    statement(db, CLOSE_QUARANTINED, &[text(id), text(status), text(at)])?
        .run()
        .await
        .map_err(storage)?;
    Ok(())
}

/// The TTL purge (cron): every held row past its `expires_at_ms` becomes an
/// `expired` stub. Returns how many.
pub(crate) async fn expire_quarantine(db: &D1Database, now_ms: u64, at: &str) -> StoreResult<u64> {
    let result = statement(
        db,
        "UPDATE quarantine SET status = 'expired', closed_at = ?2, record_json = NULL, certificates_json = NULL, \
         dedup_key = NULL, email = NULL, contact_keys = NULL WHERE status = 'held' AND expires_at_ms <= ?1",
        &[number(now_ms), text(at)],
    )?
    .run()
    .await
    .map_err(storage)?;
    Ok(result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0) as u64)
}

/// Erasure by email reaches held submissions too: they become `erased` stubs.
pub(crate) async fn erase_quarantined_by_email(
    db: &D1Database,
    email: &str,
    at: &str,
) -> StoreResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Id {
        quarantine_id: String,
    }
    let rows: Vec<Id> = statement(
        db,
        "SELECT quarantine_id FROM quarantine WHERE email = ?1 AND status = 'held'",
        &[text(&email.to_lowercase())],
    )?
    .all()
    .await
    .map_err(storage)?
    .results()
    .map_err(storage)?;
    for row in &rows {
        close_quarantined(db, &row.quarantine_id, "erased", at).await?;
    }
    Ok(rows.into_iter().map(|r| r.quarantine_id).collect())
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignalCountRow {
    pub signal: String,
    pub status: String,
    pub count: f64,
}

/// How many quarantined submissions of `form_id` each signal flagged, per
/// status (stubs included, so released and expired ones still count).
pub(crate) async fn quarantine_counts(
    db: &D1Database,
    form_id: &str,
) -> StoreResult<Vec<SignalCountRow>> {
    statement(
        db,
        "SELECT s.value AS signal, q.status AS status, COUNT(*) AS count FROM quarantine q, json_each(q.signals) s \
         WHERE q.form_id = ?1 GROUP BY s.value, q.status ORDER BY s.value, q.status",
        &[text(form_id)],
    )?
    .all()
    .await
    .map_err(storage)?
    .results()
    .map_err(storage)
}
