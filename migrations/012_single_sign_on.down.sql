-- Back to local accounts only. Single-sign-on accounts stay as accounts without a usable password
-- ('!'; an admin sets one to let the person in), except those whose username has an '@', which
-- the older versions cannot hold: they are deleted with their sessions, tokens and bindings.
DELETE FROM users WHERE username LIKE '%@%';
ALTER TABLE users DROP CONSTRAINT users_username_check;
ALTER TABLE users ADD CONSTRAINT users_username_check
  CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,62}$');
DROP INDEX users_sso_identity_idx;
ALTER TABLE users DROP CONSTRAINT users_sso_identity_check;
ALTER TABLE users DROP COLUMN sso_subject;
ALTER TABLE users DROP COLUMN sso_issuer;
