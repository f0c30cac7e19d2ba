-- Issue 13: selling leads to buyers (ping-post auctions).
--
-- The lead's distribution log: one row per ping, bid, timeout, late bid,
-- skipped buyer, post, decision and return, in order (`seq` counts from 0
-- per lead). `entry_json` is edge/src/distribution.rs `LogEntry`; pings carry
-- no contact data (shared::distribution::Ping), so the log holds none and
-- erasure leaves it.
CREATE TABLE distribution_log (
  lead_id     TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  -- The distribution destination's ledger key (`<index>:distribution`).
  destination TEXT NOT NULL,
  at          TEXT NOT NULL,
  entry_json  TEXT NOT NULL,
  PRIMARY KEY (lead_id, seq)
);

-- What was sold to whom, at what price and when: one row per accepted post.
-- A return (POST /v1/leads/{id}/returns, within the buyer's window) sets
-- `returned_at_ms` and `return_reason`; a lead's revenue is the sum of
-- `price_cents` of its rows not returned.
CREATE TABLE lead_sales (
  lead_id        TEXT NOT NULL,
  buyer          TEXT NOT NULL,
  form_id        TEXT NOT NULL,
  price_cents    INTEGER NOT NULL,
  -- exclusive | shared
  sale           TEXT NOT NULL,
  sold_at_ms     INTEGER NOT NULL,
  returned_at_ms INTEGER,
  return_reason  TEXT,
  PRIMARY KEY (lead_id, buyer)
);

CREATE INDEX lead_sales_by_form ON lead_sales (form_id, sold_at_ms);
