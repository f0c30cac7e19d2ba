//! Personal data at rest, around the store's calls: the [`Vault`] encrypts a
//! lead's sealed bytes before they are written ([`Vault::protect`]) and
//! opens them after they are read ([`Vault::open_record`],
//! [`Vault::open_certificate`]); the data keys live in `data_keys`
//! (migration 0008), whose SQL is here. Erasure deletes a subject's keys
//! ([`destroy_keys`]); the cron applies each form's `[retention]`
//! ([`apply_retention`]) and re-wraps keys of retired master keys under the
//! newest ([`rewrap`]).
//!
//! Byte formats and key handling are [`crate::crypto`]'s; this module only
//! reads secrets and D1. It never logs a value, a key or a ciphertext.

use super::store::{number, storage, text};
use std::collections::HashMap;

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

use crate::crypto::{self, CryptoError, DataKey, MasterKeys, Purpose};
use crate::error::EdgeError;
use crate::{forms, time};

use super::store::{self, SealedLead};
use super::{config, config_u32};

type Result<T> = std::result::Result<T, EdgeError>;

/// The master keys: `id:hex` entries, newest first (see [`crate::crypto`]).
pub(crate) const DATA_MASTER_KEYS: &str = "DATA_MASTER_KEYS";
/// The key of the blind indexes (the email an erasure by email looks for).
pub(crate) const DATA_INDEX_KEY: &str = "DATA_INDEX_KEY";
/// Test only: seconds in one day of `[retention]` (default 86400).
pub(crate) const RETENTION_DAY_S: &str = "RETENTION_DAY_S";

/// The column names bound into each ciphertext's associated data.
const RECORD: &str = "record";

fn certificate_column(certificate_id: &str) -> String {
    format!("certificate:{certificate_id}")
}

fn sealed_error(error: CryptoError) -> EdgeError {
    match error {
        CryptoError::Undecryptable => EdgeError::StoredDataAltered(format!("data keys: {error}")),
        _ => EdgeError::StorageUnavailable(format!("data keys: {error}")),
    }
}

fn statement(db: &D1Database, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement> {
    db.prepare(sql).bind(args).map_err(storage)
}

/// A subject's two data keys, wrapped, as `data_keys` stores them.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WrappedKeys {
    pub master_key_id: String,
    pub personal_key: Option<String>,
    pub evidence_key: Option<String>,
}

/// The insert of a new subject's keys, for the store's write batch.
pub(crate) fn insert_keys(
    db: &D1Database,
    subject_id: &str,
    keys: &WrappedKeys,
    now_ms: u64,
) -> Result<D1PreparedStatement> {
    let opt = |v: &Option<String>| v.as_deref().map(text).unwrap_or(JsValue::NULL);
    statement(
        db,
        "INSERT INTO data_keys (subject_id, master_key_id, personal_key, evidence_key, created_at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            text(subject_id),
            text(&keys.master_key_id),
            opt(&keys.personal_key),
            opt(&keys.evidence_key),
            number(now_ms),
        ],
    )
}

/// A subject's keys, unwrapped (`None`: erased, or never had one).
#[derive(Debug, Default, Clone)]
pub(crate) struct OpenKeys {
    pub personal: Option<DataKey>,
    pub evidence: Option<DataKey>,
}

/// The master keys and the index key of this Worker.
pub(crate) struct Vault {
    master: MasterKeys,
    index_key: String,
}

impl Vault {
    /// From the secrets; a missing one is `config.secret_missing` (503), so
    /// nothing personal is ever written in clear for want of a key.
    pub fn from_env(env: &Env) -> Result<Vault> {
        let keys =
            config(env, DATA_MASTER_KEYS).ok_or(EdgeError::SecretMissing(DATA_MASTER_KEYS))?;
        let index_key =
            config(env, DATA_INDEX_KEY).ok_or(EdgeError::SecretMissing(DATA_INDEX_KEY))?;
        let master = MasterKeys::parse(&keys).map_err(sealed_error)?;
        Ok(Vault { master, index_key })
    }

    /// The blind index of a lower-cased email address (what `leads.email`
    /// and `quarantine.email` hold).
    pub fn email_index(&self, email: &str) -> String {
        crypto::blind_index(self.index_key.as_bytes(), "email", &email.to_lowercase())
    }

    /// The keyed index of one of a form's contact keys (normalised email or
    /// phone, `shared`'s contact key): what `leads.dedup_key` and
    /// `lead_contacts.contact_key` hold, so that neither column can be
    /// reversed by hashing guessed addresses without `DATA_INDEX_KEY`.
    pub fn contact_index(&self, form_id: &str, contact_key: &str) -> String {
        crypto::blind_index(
            self.index_key.as_bytes(),
            "contact",
            &format!("{form_id}\n{contact_key}"),
        )
    }

    /// Encrypts a sealed lead for storage under fresh data keys (record
    /// with the personal key, each certificate with the evidence key), puts
    /// the email's blind index in place of the email, and adds the wrapped
    /// keys for the store's batch. The seals stay those of the plaintext.
    pub fn protect(&self, subject_id: &str, mut sealed: SealedLead) -> Result<SealedLead> {
        let personal = DataKey::from_bytes(crypto::random().map_err(sealed_error)?);
        let evidence = DataKey::from_bytes(crypto::random().map_err(sealed_error)?);
        let nonce = || crypto::random::<{ crypto::NONCE_BYTES }>().map_err(sealed_error);
        sealed.record_json = personal.encrypt(subject_id, RECORD, &sealed.record_json, nonce()?);
        for certificate in &mut sealed.certificates {
            let column = certificate_column(&certificate.certificate_id);
            certificate.certificate_json =
                evidence.encrypt(subject_id, &column, &certificate.certificate_json, nonce()?);
        }
        sealed.email = sealed.email.as_deref().map(|e| self.email_index(e));
        sealed.data_keys = Some(WrappedKeys {
            master_key_id: self.master.newest_id().to_owned(),
            personal_key: Some(self.master.wrap(
                subject_id,
                Purpose::Personal,
                &personal,
                nonce()?,
            )),
            evidence_key: Some(self.master.wrap(
                subject_id,
                Purpose::Evidence,
                &evidence,
                nonce()?,
            )),
        });
        Ok(sealed)
    }

    fn unwrap(&self, subject_id: &str, row: &WrappedKeys) -> Result<OpenKeys> {
        let open = |wrapped: &Option<String>, purpose| {
            wrapped
                .as_deref()
                .map(|w| {
                    self.master
                        .unwrap(&row.master_key_id, subject_id, purpose, w)
                })
                .transpose()
                .map_err(sealed_error)
        };
        Ok(OpenKeys {
            personal: open(&row.personal_key, Purpose::Personal)?,
            evidence: open(&row.evidence_key, Purpose::Evidence)?,
        })
    }

    /// The keys of one subject.
    pub async fn keys(&self, db: &D1Database, subject_id: &str) -> Result<OpenKeys> {
        let row: Option<WrappedKeys> = statement(
            db,
            "SELECT master_key_id, personal_key, evidence_key FROM data_keys WHERE subject_id = ?1",
            &[text(subject_id)],
        )?
        .first(None)
        .await
        .map_err(storage)?;
        match row {
            Some(row) => self.unwrap(subject_id, &row),
            None => Ok(OpenKeys::default()),
        }
    }

    /// The keys of many subjects in one query (a listing page).
    pub async fn keys_of(
        &self,
        db: &D1Database,
        subject_ids: &[&str],
    ) -> Result<HashMap<String, OpenKeys>> {
        #[derive(Deserialize)]
        struct Row {
            subject_id: String,
            #[serde(flatten)]
            keys: WrappedKeys,
        }
        if subject_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let ids = serde_json::to_string(subject_ids).unwrap_or_else(|_| "[]".into());
        let rows: Vec<Row> = statement(
            db,
            "SELECT subject_id, master_key_id, personal_key, evidence_key FROM data_keys \
             WHERE subject_id IN (SELECT value FROM json_each(?1))",
            &[text(&ids)],
        )?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
        rows.into_iter()
            .map(|row| {
                let keys = self.unwrap(&row.subject_id, &row.keys)?;
                Ok((row.subject_id, keys))
            })
            .collect()
    }

    /// A stored record in clear: legacy plaintext as it is, a ciphertext
    /// with its personal key; `None` when it is gone or its key is.
    pub fn open_record(
        &self,
        keys: &OpenKeys,
        subject_id: &str,
        stored: Option<&str>,
    ) -> Result<Option<String>> {
        open(keys.personal.as_ref(), subject_id, RECORD, stored)
    }

    /// A stored certificate in clear (as [`Vault::open_record`], evidence key).
    pub fn open_certificate(
        &self,
        keys: &OpenKeys,
        subject_id: &str,
        certificate_id: &str,
        stored: Option<&str>,
    ) -> Result<Option<String>> {
        let column = certificate_column(certificate_id);
        open(keys.evidence.as_ref(), subject_id, &column, stored)
    }

    /// A lead row with its record in clear.
    pub async fn open_lead(
        &self,
        db: &D1Database,
        mut row: store::LeadRow,
    ) -> Result<store::LeadRow> {
        let keys = self.keys(db, &row.lead_id).await?;
        row.record_json = self.open_record(&keys, &row.lead_id, row.record_json.as_deref())?;
        Ok(row)
    }

    /// Lead rows with their records in clear (one key query for the page).
    pub async fn open_leads(
        &self,
        db: &D1Database,
        mut rows: Vec<store::LeadRow>,
    ) -> Result<Vec<store::LeadRow>> {
        let ids: Vec<&str> = rows.iter().map(|r| r.lead_id.as_str()).collect();
        let keys = self.keys_of(db, &ids).await?;
        let none = OpenKeys::default();
        for row in &mut rows {
            let k = keys.get(&row.lead_id).unwrap_or(&none);
            row.record_json = self.open_record(k, &row.lead_id, row.record_json.as_deref())?;
        }
        Ok(rows)
    }
}

fn open(
    key: Option<&DataKey>,
    subject_id: &str,
    column: &str,
    stored: Option<&str>,
) -> Result<Option<String>> {
    let Some(stored) = stored else {
        return Ok(None);
    };
    if !crypto::is_ciphertext(stored) {
        return Ok(Some(stored.to_owned()));
    }
    match key {
        Some(key) => key
            .decrypt(subject_id, column, stored)
            .map(Some)
            .map_err(sealed_error),
        // The key was destroyed: the ciphertext is unreadable by design.
        None => Ok(None),
    }
}

/// Deletes a subject's data keys (erasure, discard): whatever ciphertext of
/// it survives anywhere can no longer be opened.
pub(crate) async fn destroy_keys(db: &D1Database, subject_id: &str) -> Result<()> {
    destroy_keys_statement(db, subject_id)?
        .run()
        .await
        .map_err(storage)?;
    Ok(())
}

/// The statement of [`destroy_keys`], for a batch.
pub(crate) fn destroy_keys_statement(
    db: &D1Database,
    subject_id: &str,
) -> Result<D1PreparedStatement> {
    statement(
        db,
        "DELETE FROM data_keys WHERE subject_id = ?1",
        &[text(subject_id)],
    )
}

/// The most leads one retention stage of one form handles per run.
const RETENTION_BATCH: u32 = 500;
/// The most data keys one run re-wraps.
const REWRAP_BATCH: u32 = 200;

/// What one retention run deleted, per form and stage (for the audit log).
pub(crate) struct RetentionRun {
    pub form_id: String,
    pub stage: &'static str,
    pub lead_ids: Vec<String>,
}

/// Applies every form's `[retention]` at `now_ms`: leads past
/// `personal_data_days` lose their record, email index, contact keys and
/// personal key (an `erasures` stub with reason `retention`), leads past
/// `evidence_days` their certificates' contents and evidence key (the
/// certificate rows stay as stubs with id, consent id and seal). Also drops
/// the keys of closed quarantine rows and of subjects with no key left.
pub(crate) async fn apply_retention(
    env: &Env,
    db: &D1Database,
    now_ms: u64,
) -> Result<Vec<RetentionRun>> {
    let day_ms = u64::from(config_u32(env, RETENTION_DAY_S, 86_400).max(1)) * 1000;
    let at = time::rfc3339_ms(now_ms);
    let mut runs = Vec::new();
    for form in forms::all() {
        let retention = form.spec.retention;
        let form_id = form.spec.id.as_str();
        let personal_cutoff =
            now_ms.saturating_sub(u64::from(retention.personal_data_days) * day_ms);
        let ids = expired_personal(db, form_id, personal_cutoff).await?;
        if !ids.is_empty() {
            erase_personal(db, &ids, &at).await?;
            runs.push(RetentionRun {
                form_id: form_id.to_owned(),
                stage: "retention.personal",
                lead_ids: ids,
            });
        }
        let evidence_cutoff = now_ms.saturating_sub(u64::from(retention.evidence_days) * day_ms);
        let ids = expired_evidence(db, form_id, evidence_cutoff).await?;
        if !ids.is_empty() {
            erase_evidence(db, &ids, &at).await?;
            runs.push(RetentionRun {
                form_id: form_id.to_owned(),
                stage: "retention.evidence",
                lead_ids: ids,
            });
        }
    }
    db.batch(vec![
        statement(
            db,
            "DELETE FROM data_keys WHERE subject_id IN (SELECT quarantine_id FROM quarantine \
             WHERE status IN ('discarded', 'expired', 'erased'))",
            &[],
        )?,
        statement(
            db,
            "DELETE FROM data_keys WHERE personal_key IS NULL AND evidence_key IS NULL",
            &[],
        )?,
    ])
    .await
    .map_err(storage)?;
    Ok(runs)
}

#[derive(Deserialize)]
struct Id {
    lead_id: String,
}

async fn ids(db: &D1Database, sql: &str, args: &[JsValue]) -> Result<Vec<String>> {
    let rows: Vec<Id> = statement(db, sql, args)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    Ok(rows.into_iter().map(|r| r.lead_id).collect())
}

async fn expired_personal(db: &D1Database, form_id: &str, cutoff_ms: u64) -> Result<Vec<String>> {
    ids(
        db,
        "SELECT lead_id FROM leads WHERE form_id = ?1 AND received_at_ms <= ?2 AND erased_at IS NULL \
         ORDER BY received_at_ms LIMIT ?3",
        &[text(form_id), number(cutoff_ms), number(u64::from(RETENTION_BATCH))],
    )
    .await
}

async fn expired_evidence(db: &D1Database, form_id: &str, cutoff_ms: u64) -> Result<Vec<String>> {
    ids(
        db,
        "SELECT lead_id FROM leads WHERE form_id = ?1 AND received_at_ms <= ?2 AND (\
         lead_id IN (SELECT lead_id FROM certificates WHERE erased_at IS NULL) OR \
         lead_id IN (SELECT subject_id FROM data_keys WHERE evidence_key IS NOT NULL)) \
         ORDER BY received_at_ms LIMIT ?3",
        &[
            text(form_id),
            number(cutoff_ms),
            number(u64::from(RETENTION_BATCH)),
        ],
    )
    .await
}

/// The personal stage for `ids`, in one batch (set-based over a JSON array).
async fn erase_personal(db: &D1Database, ids: &[String], at: &str) -> Result<()> {
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let args = [text(&ids), text(at)];
    let sql = [
        "INSERT OR IGNORE INTO erasures (lead_id, form_id, received_at, erased_at, record_seal, reason) \
         SELECT lead_id, form_id, received_at, ?2, seal, 'retention: personal data' FROM leads \
         WHERE lead_id IN (SELECT value FROM json_each(?1))",
        "UPDATE leads SET record_json = NULL, email = NULL, dedup_key = NULL, erased_at = ?2 \
         WHERE lead_id IN (SELECT value FROM json_each(?1))",
        "DELETE FROM lead_contacts WHERE lead_id IN (SELECT value FROM json_each(?1)) AND ?2 IS NOT NULL",
        "UPDATE deliveries SET status = CASE WHEN status = 'delivered' THEN status ELSE 'erased' END, \
         updated_at = ?2 WHERE lead_id IN (SELECT value FROM json_each(?1))",
        "UPDATE data_keys SET personal_key = NULL WHERE subject_id IN (SELECT value FROM json_each(?1)) \
         AND ?2 IS NOT NULL",
    ];
    let statements = sql
        .iter()
        .map(|s| statement(db, s, &args))
        .collect::<Result<Vec<_>>>()?;
    db.batch(statements).await.map_err(storage)?;
    Ok(())
}

/// The evidence stage for `ids`, in one batch.
async fn erase_evidence(db: &D1Database, ids: &[String], at: &str) -> Result<()> {
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let args = [text(&ids), text(at)];
    let sql = [
        "UPDATE certificates SET certificate_json = NULL, erased_at = COALESCE(erased_at, ?2) \
         WHERE lead_id IN (SELECT value FROM json_each(?1))",
        "UPDATE erasures SET evidence_erased_at = COALESCE(evidence_erased_at, ?2) \
         WHERE lead_id IN (SELECT value FROM json_each(?1))",
        "UPDATE data_keys SET evidence_key = NULL WHERE subject_id IN (SELECT value FROM json_each(?1)) \
         AND ?2 IS NOT NULL",
    ];
    let statements = sql
        .iter()
        .map(|s| statement(db, s, &args))
        .collect::<Result<Vec<_>>>()?;
    db.batch(statements).await.map_err(storage)?;
    Ok(())
}

/// Re-wraps up to [`REWRAP_BATCH`] subjects' keys that an older master key
/// wraps under the newest one. Returns how many; once a run finds none, the
/// older keys can be removed from `DATA_MASTER_KEYS` (and every backup made
/// before is unreadable for the subjects erased since).
pub(crate) async fn rewrap(env: &Env, db: &D1Database) -> Result<usize> {
    #[derive(Deserialize)]
    struct Row {
        subject_id: String,
        #[serde(flatten)]
        keys: WrappedKeys,
    }
    let vault = Vault::from_env(env)?;
    let newest = vault.master.newest_id().to_owned();
    let rows: Vec<Row> = statement(
        db,
        "SELECT subject_id, master_key_id, personal_key, evidence_key FROM data_keys \
         WHERE master_key_id != ?1 LIMIT ?2",
        &[text(&newest), number(u64::from(REWRAP_BATCH))],
    )?
    .all()
    .await
    .map_err(storage)?
    .results()
    .map_err(storage)?;
    let mut statements = Vec::new();
    for row in &rows {
        let keys = vault.unwrap(&row.subject_id, &row.keys)?;
        let wrap = |key: &Option<DataKey>, purpose| -> Result<JsValue> {
            Ok(match key {
                Some(key) => {
                    let nonce = crypto::random().map_err(sealed_error)?;
                    text(&vault.master.wrap(&row.subject_id, purpose, key, nonce))
                }
                None => JsValue::NULL,
            })
        };
        statements.push(statement(
            db,
            "UPDATE data_keys SET master_key_id = ?2, personal_key = ?3, evidence_key = ?4 \
             WHERE subject_id = ?1 AND master_key_id = ?5",
            &[
                text(&row.subject_id),
                text(&newest),
                wrap(&keys.personal, Purpose::Personal)?,
                wrap(&keys.evidence, Purpose::Evidence)?,
                text(&row.keys.master_key_id),
            ],
        )?);
    }
    if !statements.is_empty() {
        db.batch(statements).await.map_err(storage)?;
    }
    Ok(rows.len())
}

/// The cron's part: retention (each deletion in the audit log, actor
/// `cron`), then one re-wrap batch. Logs counts only.
pub(crate) async fn cron(env: &Env, db: &D1Database, now_ms: u64) {
    match apply_retention(env, db, now_ms).await {
        Ok(runs) => {
            for run in &runs {
                let detail = serde_json::json!({
                    "lead_ids": run.lead_ids,
                    "count": run.lead_ids.len(),
                });
                let audited =
                    super::tokens::audit(db, "cron", run.stage, Some(&run.form_id), &detail).await;
                if let Err(error) = audited {
                    worker::console_error!("cron: audit of {} failed: {error}", run.stage);
                }
            }
            let count: usize = runs.iter().map(|r| r.lead_ids.len()).sum();
            worker::console_log!(
                "cron: retention erased {count} leads' data ({} runs)",
                runs.len()
            );
        }
        Err(error) => worker::console_error!("cron: retention failed: {error}"),
    }
    match rewrap(env, db).await {
        Ok(0) => {}
        Ok(n) => worker::console_log!("cron: re-wrapped {n} data keys under the newest master key"),
        Err(error) => worker::console_error!("cron: re-wrap failed: {error}"),
    }
}
