-- Issue 19: submissions flagged by a soft spam signal (honeypot, too fast,
-- per-IP rate, Turnstile unavailable, URL in a name, disposable email, same
-- text everywhere) are kept here instead of being thrown away: sealed and
-- timestamped like a lead, but not delivered, until the owner releases
-- (-> a lead in `leads`, same id and receive time) or discards them, or the
-- form's retention (30 days by default) ends. A closed row is an audit stub:
-- its personal data (record, certificates, email, contact keys) is NULL.

CREATE TABLE quarantine (
  -- The id the visitor's receipt named; a released lead keeps it.
  quarantine_id   TEXT PRIMARY KEY,
  form_id         TEXT NOT NULL,
  submission_id   TEXT NOT NULL,
  received_at     TEXT NOT NULL,
  received_at_ms  INTEGER NOT NULL,
  -- JSON array of the signals that fired, e.g. ["honeypot","too_fast"].
  signals         TEXT NOT NULL,
  -- held | released | discarded | expired
  status          TEXT NOT NULL DEFAULT 'held',
  expires_at_ms   INTEGER NOT NULL,
  closed_at       TEXT,
  -- The sealed lead record (exact bytes) and its seal; the seal stays in the stub.
  record_json     TEXT,
  seal            TEXT,
  certificate_ids TEXT NOT NULL DEFAULT '[]',
  -- JSON array of {certificate_id, consent_id, certificate_json, seal}.
  certificates_json TEXT,
  dedup_key       TEXT,
  email           TEXT,
  -- JSON array of hashed contact keys (as lead_contacts), for the release.
  contact_keys    TEXT,
  UNIQUE (form_id, submission_id)
);
CREATE INDEX quarantine_by_form_time ON quarantine (form_id, received_at_ms, quarantine_id);
CREATE INDEX quarantine_by_expiry ON quarantine (status, expires_at_ms);
CREATE INDEX quarantine_by_email ON quarantine (email);
