-- Clusters connected by an uploaded kubeconfig (encrypted with ENCRYPTION_KEY, AES-256-GCM).
CREATE TABLE clusters (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name               text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  kubeconfig_enc     bytea NOT NULL,
  context            text,
  server             text,
  status             text NOT NULL DEFAULT 'pending',
  kubernetes_version text,
  platform           text,
  node_count         integer,
  last_error         text,
  last_checked_at    timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
