-- Agent-connected clusters (plan task 2.1): a cluster is reached either through its kubeconfig
-- or through an agent that dialled in; registration tokens are single use and stored hashed.
ALTER TABLE clusters
  ADD COLUMN connection_type text NOT NULL DEFAULT 'kubeconfig'
    CHECK (connection_type IN ('kubeconfig', 'agent')),
  ADD COLUMN agent_id text UNIQUE,
  ALTER COLUMN kubeconfig_enc DROP NOT NULL,
  ADD CONSTRAINT clusters_connection_check CHECK (
    (connection_type = 'kubeconfig' AND kubeconfig_enc IS NOT NULL)
    OR (connection_type = 'agent' AND agent_id IS NOT NULL)
  );

CREATE TABLE agent_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash   text NOT NULL UNIQUE,
  cluster_name text NOT NULL,
  permissions  jsonb NOT NULL,
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz,
  revoked_at   timestamptz,
  cluster_id   uuid REFERENCES clusters (id) ON DELETE SET NULL
);
CREATE INDEX agent_tokens_created_idx ON agent_tokens (created_at DESC);
