-- Single sign-on (docs/configuration.md, "Single sign-on"): a user created by signing in with the
-- OpenID provider is tied to the provider's issuer and subject (never to a username, so a person
-- at the provider cannot take over a local account by choosing its name). Usernames may carry
-- '@' (the email claim); a single-sign-on user has no password ('!' never verifies).
ALTER TABLE users ADD COLUMN sso_issuer text;
ALTER TABLE users ADD COLUMN sso_subject text;
ALTER TABLE users ADD CONSTRAINT users_sso_identity_check
  CHECK ((sso_issuer IS NULL) = (sso_subject IS NULL));
CREATE UNIQUE INDEX users_sso_identity_idx ON users (sso_issuer, sso_subject)
  WHERE sso_subject IS NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_username_check;
ALTER TABLE users ADD CONSTRAINT users_username_check
  CHECK (username ~ '^[a-z0-9][a-z0-9._@-]{0,62}$');
