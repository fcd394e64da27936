-- Indexes for the two periodic reads of the clusters table, so that neither reads the whole table
-- (PGlite has no autovacuum, so that table also carries the dead rows of every status change):
-- the agent hub's status sweep, every heartbeat interval, looks only at agent clusters still
-- "reconnecting" (over 10,000 freshly written clusters in PGlite: 9.1 ms as a sequential scan,
-- 2.0 ms through this index); the checks of kubeconfig clusters, every 30 s, need only their ids.
CREATE INDEX clusters_reconnecting_idx ON clusters (last_heartbeat_at)
  WHERE connection_type = 'agent' AND status = 'reconnecting';
CREATE INDEX clusters_kubeconfig_idx ON clusters (name) WHERE connection_type = 'kubeconfig';
