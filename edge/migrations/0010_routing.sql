-- Issue 12: lead routing and speed-to-lead.
--
-- `routing_json` is the routing decision taken when the lead arrived
-- (edge/src/routing.rs `Decision`: the route, the recipients tried and why
-- each was skipped, the chosen ones, any overflow or hold); NULL for a form
-- without routes. Cap counters live in the `Router` Durable Object, not here.

ALTER TABLE leads ADD COLUMN routing_json TEXT;

-- One row per notification of a lead (`notify`: the route's channels when
-- it arrives; `escalate`: the escalation channels when its SLA passed
-- without a "contacted" status). The primary key makes each one sent at
-- most once: a sender inserts the row before it sends.
CREATE TABLE lead_alerts (
  lead_id     TEXT NOT NULL,
  channel     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  -- sending | sent | failed
  status      TEXT NOT NULL,
  http_status INTEGER,
  error       TEXT,
  latency_ms  INTEGER,
  at          TEXT NOT NULL,
  PRIMARY KEY (lead_id, channel, kind)
);

-- SLA timers: a lead of a route (or tier) with an SLA must be contacted by
-- `due_at_ms` (leads.first_contact_at_ms, migration 0009); the cron sweep
-- closes each timer past due: `met` when contact came in time, else
-- `escalated` after the route's escalation channels were told.
CREATE TABLE lead_sla (
  lead_id    TEXT PRIMARY KEY,
  form_id    TEXT NOT NULL,
  route      TEXT NOT NULL,
  minutes    INTEGER NOT NULL,
  due_at_ms  INTEGER NOT NULL,
  -- NULL while running; met | escalated
  outcome    TEXT,
  closed_at  TEXT
);
CREATE INDEX lead_sla_open ON lead_sla (outcome, due_at_ms);
