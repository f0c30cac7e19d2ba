-- Issue 15 (keys and certificates): each consent certificate's Ed25519
-- signature over its exact stored bytes, as `<kid>:<base64url>`
-- (leadform_edge::keys::StoredSignature), so a buyer or an auditor verifies
-- it offline from the published keys (/.well-known/leadform-keys.json).
-- NULL for certificates stored before signing keys existed (their HMAC seal
-- still verifies for the owner). The seal column may now hold `<kid>:<hex>`
-- (leadform_edge::seal::SealKeys); bare hex is the legacy key's.

ALTER TABLE certificates ADD COLUMN signature TEXT;
