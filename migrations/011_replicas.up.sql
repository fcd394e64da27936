-- Several dashboard replicas on one PostgreSQL (docs/architecture.md, "Several replicas").
-- Every running dashboard is a replica: a row with the URL its peers forward to and a lease it
-- renews every heartbeat interval. A replica whose lease lapsed no longer counts: the clusters it
-- held become "reconnecting" and requests are no longer forwarded to it.
CREATE TABLE dashboard_replicas (
  id           uuid PRIMARY KEY,
  peer_url     text NOT NULL,
  version      text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  draining_at  timestamptz
);

-- The replica holding an agent cluster's control stream (NULL: none holds it).
ALTER TABLE clusters ADD COLUMN agent_replica_id uuid
  REFERENCES dashboard_replicas (id) ON DELETE SET NULL;
-- When the stream last ended: for a few seconds after, requests wait for the agent to come back
-- (to this or another replica) instead of failing at once.
ALTER TABLE clusters ADD COLUMN agent_released_at timestamptz;
CREATE INDEX clusters_agent_replica_idx ON clusters (agent_replica_id)
  WHERE agent_replica_id IS NOT NULL;

-- The minted CA every replica's certificates come from (agents pin it), its private key sealed
-- with ENCRYPTION_KEY (AES-256-GCM). One row; PGlite dashboards keep theirs in DATA_DIR/tls too.
CREATE TABLE dashboard_ca (
  id         smallint PRIMARY KEY CHECK (id = 1),
  cert_pem   text NOT NULL,
  key_sealed bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A registration token's text, sealed with ENCRYPTION_KEY, while it can still be used: any
-- replica (and a restarted dashboard) can show its install commands again. Cleared when the token
-- is used or revoked.
ALTER TABLE agent_tokens ADD COLUMN token_sealed bytea;

-- The single-process hub heartbeat is now each replica's own lease (heartbeat_at above).
DROP TABLE agent_hub_heartbeat;
