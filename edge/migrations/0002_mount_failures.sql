-- How many visitors got the basic form instead of the wasm widget, per form
-- and cause (the loader's `mount_failed` beacon; edge/src/events.rs lists the
-- causes). Counts only: no visitor data.

CREATE TABLE mount_failures (
  form_id  TEXT NOT NULL,
  cause    TEXT NOT NULL,
  count    INTEGER NOT NULL DEFAULT 0,
  first_at TEXT NOT NULL,
  last_at  TEXT NOT NULL,
  PRIMARY KEY (form_id, cause)
);
