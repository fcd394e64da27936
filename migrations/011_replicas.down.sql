CREATE TABLE agent_hub_heartbeat (
  id      smallint PRIMARY KEY CHECK (id = 1),
  beat_at timestamptz NOT NULL
);
ALTER TABLE agent_tokens DROP COLUMN token_sealed;
DROP TABLE dashboard_ca;
DROP INDEX clusters_agent_replica_idx;
ALTER TABLE clusters DROP COLUMN agent_released_at;
ALTER TABLE clusters DROP COLUMN agent_replica_id;
DROP TABLE dashboard_replicas;
