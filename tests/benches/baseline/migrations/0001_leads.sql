-- The baseline Worker's one table (bench-only).
CREATE TABLE leads (
  lead_id TEXT PRIMARY KEY,
  form_id TEXT NOT NULL,
  submission_id TEXT NOT NULL,
  received_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
