-- Issue 15 (personal data): encryption at rest, scoped owner tokens, the
-- audit log, retention.
--
-- Since this migration the sealed record (`leads.record_json`,
-- `quarantine.record_json`) and each certificate's contents
-- (`certificates.certificate_json`, inside `quarantine.certificates_json`)
-- are stored encrypted (`lf1:` + AES-256-GCM, edge/src/crypto.rs) under the
-- subject's data keys below; `leads.email` and `quarantine.email` hold the
-- blind index (HMAC-SHA256 under DATA_INDEX_KEY) of the lower-cased address,
-- not the address. Rows written before keep their plaintext and are read as
-- they are.

-- Two data keys per lead (the id a quarantined submission keeps when
-- released), each wrapped by the master key `master_key_id`
-- (DATA_MASTER_KEYS). `personal_key` opens the record and is deleted when
-- the personal data is erased (request or `personal_data_days`);
-- `evidence_key` opens the certificates and is deleted with them (request or
-- `evidence_days`). The row goes when both are gone.
CREATE TABLE data_keys (
  subject_id     TEXT PRIMARY KEY,
  master_key_id  TEXT NOT NULL,
  personal_key   TEXT,
  evidence_key   TEXT,
  created_at_ms  INTEGER NOT NULL
);
-- Rotation: the cron re-wraps keys of older master keys under the newest.
CREATE INDEX data_keys_by_master ON data_keys (master_key_id);

-- Owner tokens minted by an admin: only the SHA-256 of the token is kept.
CREATE TABLE owner_tokens (
  token_id      TEXT PRIMARY KEY,
  token_sha256  TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  -- space-separated scopes: read export erase replay admin
  scopes        TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  revoked_at    TEXT
);

-- Who exported, erased, replayed, released, discarded, minted or revoked
-- what, and what the retention cron deleted. Ids and counts only: never a
-- value of a lead (an erasure by email names the lead ids, not the address).
CREATE TABLE audit_log (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      TEXT NOT NULL,
  at_ms   INTEGER NOT NULL,
  -- admin | quarantine_token | tok_... | cron
  actor   TEXT NOT NULL,
  -- export | erase | replay | release | discard | token.create | token.revoke
  -- | retention.personal | retention.evidence
  action  TEXT NOT NULL,
  form_id TEXT,
  -- JSON: the ids concerned and the request's parameters (no personal data)
  detail  TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_by_time ON audit_log (at_ms, id);

-- Retention's second stage: when a lead's consent evidence was deleted (the
-- erasure stub's `erased_at` is when its personal data was).
ALTER TABLE erasures ADD COLUMN evidence_erased_at TEXT;
CREATE INDEX certificates_live ON certificates (erased_at, lead_id);
