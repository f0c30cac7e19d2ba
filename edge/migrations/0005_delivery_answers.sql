-- Issue 17: what a destination answered, so a refused lead is seen. Each
-- attempt keeps the destination's answer body (personal data redacted, at
-- most 1 KiB: edge::delivery::redact_answer) and the Retry-After it asked
-- for; each delivery keeps the latest answer and the id the destination gave
-- the record it created (or found as a duplicate).

ALTER TABLE delivery_attempts ADD COLUMN answer TEXT;
ALTER TABLE delivery_attempts ADD COLUMN retry_after_s INTEGER;
ALTER TABLE deliveries ADD COLUMN last_answer TEXT;
ALTER TABLE deliveries ADD COLUMN remote_id TEXT;
