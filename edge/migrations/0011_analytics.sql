-- Form analytics (issue 14). The widget's beacons (POST /v1/events) are
-- rolled up into counters per form, variant ('' without an experiment), UTC
-- day, field ('' for the form's own metrics) and metric (seen, start,
-- submit, accepted, visitors, step:<n>, focus, blur, corrected, abandon,
-- error:<code>, time:<bucket>); raw events are never stored.
CREATE TABLE analytics_rollups (
  form_id TEXT NOT NULL,
  variant TEXT NOT NULL,
  day     TEXT NOT NULL,
  field   TEXT NOT NULL,
  metric  TEXT NOT NULL,
  value   INTEGER NOT NULL,
  PRIMARY KEY (form_id, day, variant, field, metric)
) WITHOUT ROWID;

-- Unique visitors of the current day only: the SHA-256 of the first-party
-- visitor id (never sent with Global Privacy Control or an anonymous form),
-- deleted once the day is over (the next batch of the form deletes earlier
-- days).
CREATE TABLE analytics_visitors (
  form_id        TEXT NOT NULL,
  day            TEXT NOT NULL,
  visitor_sha256 TEXT NOT NULL,
  PRIMARY KEY (form_id, day, visitor_sha256)
) WITHOUT ROWID;

-- The experiment variant the lead's visit was shown ([[variants]]).
ALTER TABLE leads ADD COLUMN variant TEXT;
CREATE INDEX leads_by_form_variant ON leads (form_id, variant, received_at_ms);
