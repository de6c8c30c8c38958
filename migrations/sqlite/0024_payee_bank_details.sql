-- Payees' bank details (IBAN and BIC), sealed like the sensitive parts of
-- a claim: one AES-256-GCM message per award holding every payee's account
-- in the payees' order, and the id of the key that sealed it. The award's
-- body keeps only the masked form.
ALTER TABLE awards ADD COLUMN bank_sealed BLOB;
ALTER TABLE awards ADD COLUMN bank_key_id TEXT;
