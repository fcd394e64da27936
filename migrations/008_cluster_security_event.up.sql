-- The last security event of an agent cluster, shown on the cluster (GET /api/clusters/{id} and
-- its page): a second agent connection with the cluster's credential, refused while the connected
-- agent answered a ping, or replacing one that did not (docs/protocol.md, "Control stream").
ALTER TABLE clusters ADD COLUMN last_security_event text;
ALTER TABLE clusters ADD COLUMN last_security_event_at timestamptz;
