-- Leadform edge storage. A lead is durable once its row is here; delivery
-- state and attempts are kept per lead and destination.

CREATE TABLE leads (
  lead_id        TEXT PRIMARY KEY,
  form_id        TEXT NOT NULL,
  submission_id  TEXT NOT NULL,
  received_at    TEXT NOT NULL,
  received_at_ms INTEGER NOT NULL,
  -- SHA-256 of form id + contact key (dedup without clear-text PII).
  dedup_key      TEXT,
  -- Lower-cased primary email, for erasure by email. NULL after erasure.
  email          TEXT,
  -- The sealed lead record (exact bytes) and its HMAC-SHA256. NULL after erasure.
  record_json    TEXT,
  seal           TEXT,
  certificate_ids TEXT NOT NULL DEFAULT '[]',
  erased_at      TEXT,
  UNIQUE (form_id, submission_id)
);
CREATE INDEX leads_by_form_time ON leads (form_id, received_at_ms, lead_id);
CREATE INDEX leads_by_dedup ON leads (form_id, dedup_key, received_at_ms);
CREATE INDEX leads_by_email ON leads (email);

CREATE TABLE certificates (
  certificate_id   TEXT PRIMARY KEY,
  lead_id          TEXT NOT NULL REFERENCES leads (lead_id),
  consent_id       TEXT NOT NULL,
  certificate_json TEXT,
  seal             TEXT,
  erased_at        TEXT
);
CREATE INDEX certificates_by_lead ON certificates (lead_id);

CREATE TABLE deliveries (
  lead_id         TEXT NOT NULL REFERENCES leads (lead_id),
  destination     TEXT NOT NULL,
  -- pending | delivered | failed | rejected | dead
  status          TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_http_status INTEGER,
  last_error      TEXT,
  updated_at      TEXT NOT NULL,
  delivered_at    TEXT,
  PRIMARY KEY (lead_id, destination)
);

CREATE TABLE delivery_attempts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id      TEXT NOT NULL,
  destination  TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  outcome      TEXT NOT NULL,
  http_status  INTEGER,
  latency_ms   INTEGER NOT NULL,
  error        TEXT,
  at           TEXT NOT NULL
);
CREATE INDEX delivery_attempts_by_lead ON delivery_attempts (lead_id, id);

-- Erasure audit stubs: what was erased and when, without the personal data.
CREATE TABLE erasures (
  lead_id    TEXT PRIMARY KEY,
  form_id    TEXT NOT NULL,
  received_at TEXT NOT NULL,
  erased_at  TEXT NOT NULL,
  -- the seal of the erased record, so its prior existence stays provable
  record_seal TEXT,
  reason     TEXT NOT NULL
);
