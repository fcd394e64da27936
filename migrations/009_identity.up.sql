-- Identity (docs/security.md, "Who acts on a cluster"): users may be disabled, record their last
-- login and carry dashboard groups (the local group source; single sign-on keeps them in step);
-- the global role 'none' gives no cluster unless a per-cluster binding does. Clusters gain labels
-- (for bindings by label) and the per-cluster "impersonate users" setting. Every mutating request
-- and every login is recorded in audit_events (no request bodies).
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('admin', 'editor', 'viewer', 'none'));
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
ALTER TABLE users ADD COLUMN last_login_at timestamptz;
ALTER TABLE users ADD COLUMN groups text[] NOT NULL DEFAULT '{}';

ALTER TABLE clusters ADD COLUMN labels jsonb NOT NULL DEFAULT '{}';
ALTER TABLE clusters ADD COLUMN impersonate boolean NOT NULL DEFAULT false;

-- A role on one cluster (cluster_id) or on every cluster whose labels include all of
-- cluster_selector's pairs, for one user (subject = username) or one group.
CREATE TABLE cluster_role_bindings (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subject_kind     text NOT NULL CHECK (subject_kind IN ('user', 'group')),
  subject          text NOT NULL,
  cluster_id       uuid REFERENCES clusters (id) ON DELETE CASCADE,
  cluster_selector jsonb,
  role             text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((cluster_id IS NULL) <> (cluster_selector IS NULL))
);
CREATE INDEX cluster_role_bindings_subject_idx ON cluster_role_bindings (subject_kind, subject);

-- No foreign keys: the trail outlives the users and clusters it names.
CREATE TABLE audit_events (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  user_id      uuid,
  username     text,
  source       text,
  cluster_id   uuid,
  cluster_name text,
  verb         text NOT NULL,
  path         text NOT NULL,
  status       integer NOT NULL,
  outcome      text
);
CREATE INDEX audit_events_at_idx ON audit_events (at);
CREATE INDEX audit_events_user_idx ON audit_events (username, at);
CREATE INDEX audit_events_cluster_idx ON audit_events (cluster_id, at);
