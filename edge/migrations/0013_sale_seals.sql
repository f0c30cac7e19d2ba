-- Issue 13: the sale in the sealed record. Each sale row carries an HMAC
-- seal (the lead's seal keys, `kid:hex`) over its lead, form, buyer, kind,
-- price and time (`edge::distribution::sale_seal_bytes`), so a changed
-- price or buyer in D1 shows as `seal_verified: false` in
-- `GET /v1/leads/{id}`. Rows sold before this migration have none.
ALTER TABLE lead_sales ADD COLUMN seal TEXT;
