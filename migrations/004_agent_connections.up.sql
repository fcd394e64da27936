-- What a connected agent needs beyond plan task 2.1: its permanent credential (hashed), the
-- permissions it was installed with, and its live status (heartbeat, version, RTT, ClusterInfo).
ALTER TABLE clusters
  ADD COLUMN agent_credential_hash text UNIQUE,
  ADD COLUMN agent_permissions jsonb,
  ADD COLUMN agent_version text,
  ADD COLUMN last_heartbeat_at timestamptz,
  ADD COLUMN rtt_ms real,
  ADD COLUMN cluster_info jsonb;
