-- Issue 18: a lead from a known contact after the dedup window is a new lead
-- linked to the earlier one (`previous_lead_id`), found by any of its
-- normalised emails or phone numbers on the same form.

ALTER TABLE leads ADD COLUMN previous_lead_id TEXT;

-- One row per contact key of a lead: SHA-256 of form id + `email:<address>`
-- or `phone:<E.164>` (no clear-text personal data), as `leads.dedup_key`.
-- Deleted when the lead is erased.
CREATE TABLE lead_contacts (
  form_id        TEXT NOT NULL,
  contact_key    TEXT NOT NULL,
  lead_id        TEXT NOT NULL REFERENCES leads (lead_id),
  received_at_ms INTEGER NOT NULL,
  PRIMARY KEY (form_id, contact_key, lead_id)
);
CREATE INDEX lead_contacts_by_key ON lead_contacts (form_id, contact_key, received_at_ms);

-- Leads stored before this migration: their dedup key is the hash of their
-- first email (else phone), the same hash as a contact key.
INSERT INTO lead_contacts (form_id, contact_key, lead_id, received_at_ms)
  SELECT form_id, dedup_key, lead_id, received_at_ms FROM leads
  WHERE dedup_key IS NOT NULL AND erased_at IS NULL;
