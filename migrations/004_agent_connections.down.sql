ALTER TABLE clusters
  DROP COLUMN cluster_info,
  DROP COLUMN rtt_ms,
  DROP COLUMN last_heartbeat_at,
  DROP COLUMN agent_version,
  DROP COLUMN agent_permissions,
  DROP COLUMN agent_credential_hash;
