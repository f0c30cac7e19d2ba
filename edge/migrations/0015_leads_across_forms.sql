-- Issue 16 (owner console): `GET /v1/leads` without `form=` lists every
-- form's leads, newest first by (received_at_ms, lead_id): its pages read
-- this index as one form's read leads_by_form_time.
CREATE INDEX leads_by_time ON leads (received_at_ms, lead_id);
-- An email or phone search across forms matches keyed contact indexes of
-- several forms at once (each HMAC names its form), without a form_id to
-- lead lead_contacts_by_key with.
CREATE INDEX lead_contacts_by_contact ON lead_contacts (contact_key);
