-- Scoring and the closed loop. Each lead's qualification (by the form's
-- [scoring], [[tiers]] and [grading] at submit) is in its sealed record;
-- these columns repeat score, tier, mark and grade so owners and routing can
-- filter on them. NULL for forms that do not score and for older leads.
ALTER TABLE leads ADD COLUMN score INTEGER;
ALTER TABLE leads ADD COLUMN tier TEXT;
ALTER TABLE leads ADD COLUMN mark TEXT;
ALTER TABLE leads ADD COLUMN grade TEXT;

-- The latest status a CRM or the owner reported (POST /v1/leads/{id}/status)
-- and when the lead was first contacted (the first `contacted` status, or
-- the first later status when contact was not reported on its own).
ALTER TABLE leads ADD COLUMN status TEXT;
ALTER TABLE leads ADD COLUMN status_at_ms INTEGER;
ALTER TABLE leads ADD COLUMN first_contact_at_ms INTEGER;
CREATE INDEX leads_by_form_tier ON leads (form_id, tier, received_at_ms);

-- Every status update, in order (seq 1, 2, ...): the history.
CREATE TABLE lead_status_history (
  lead_id    TEXT NOT NULL REFERENCES leads (lead_id),
  seq        INTEGER NOT NULL,
  -- contacted | qualified | disqualified | won | lost | returned
  status     TEXT NOT NULL,
  -- won: the deal value and its ISO 4217 currency; returned: the reason.
  value      REAL,
  currency   TEXT,
  reason     TEXT,
  -- owner | crm
  source     TEXT NOT NULL,
  -- The signed request's `webhook-id` (CRM updates): one message is applied
  -- once, a replay is refused.
  message_id TEXT,
  at_ms      INTEGER NOT NULL,
  at         TEXT NOT NULL,
  PRIMARY KEY (lead_id, seq)
);
CREATE UNIQUE INDEX lead_status_by_message ON lead_status_history (lead_id, message_id)
  WHERE message_id IS NOT NULL;
