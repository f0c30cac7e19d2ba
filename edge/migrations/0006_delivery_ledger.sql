-- Issue 15: delivery that survives a week and a crash at any step.
--
-- Each `deliveries` row (keyed by lead id and destination) is also the
-- delivery ledger (edge/src/platform/ledger.rs): before a request is sent
-- the sender claims the row (`claim_token`, until `claim_until_ms`); the
-- answer settles it (outcome written, claim cleared) before the queue
-- message is acknowledged. A claim that expired unsettled means a sender
-- crashed mid-send: a destination that cannot deduplicate (HubSpot,
-- Salesforce) is then not sent the lead again automatically (`in_doubt`).
--
-- The retry schedule (edge/src/backoff.rs) runs from `retry_from_ms` (the
-- first failure; NULL until then, reset by a replay); `next_attempt_at_ms`
-- is when the next try is due, which the cron sweeper compares with the
-- clock to re-enqueue a lead whose queue message was lost.

ALTER TABLE deliveries ADD COLUMN next_attempt_at_ms INTEGER;
ALTER TABLE deliveries ADD COLUMN retry_from_ms INTEGER;
ALTER TABLE deliveries ADD COLUMN claim_token TEXT;
ALTER TABLE deliveries ADD COLUMN claim_until_ms INTEGER;
CREATE INDEX deliveries_by_status ON deliveries (status, next_attempt_at_ms);

-- Destinations that answered 410 Gone: nothing more is sent to them until
-- the owner enables them again (the form's health report lists them).
CREATE TABLE disabled_destinations (
  form_id      TEXT NOT NULL,
  destination  TEXT NOT NULL,
  disabled_at  TEXT NOT NULL,
  lead_id      TEXT NOT NULL,
  http_status  INTEGER NOT NULL,
  PRIMARY KEY (form_id, destination)
);
