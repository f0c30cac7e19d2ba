-- Issue 12 (speed to lead): who made each delivery attempt. `submit` is the
-- first attempt, from the submit request's `waitUntil` right after the 202;
-- `queue` is the queue consumer (the first attempt's fallback and every
-- retry). Earlier attempts were all the queue's.
ALTER TABLE delivery_attempts ADD COLUMN origin TEXT NOT NULL DEFAULT 'queue';
