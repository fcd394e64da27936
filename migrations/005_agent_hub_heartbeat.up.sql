-- The agent hub's own heartbeat: one row, rewritten every heartbeat interval while agents are
-- connected. Live agents' last heartbeat and RTT stay in the hub's memory (the API overlays them);
-- a dashboard that restarts after a crash takes this time as the last heartbeat of the agents it
-- had connected, so they show "reconnecting" (not "offline") while they come back.
CREATE TABLE agent_hub_heartbeat (
  id      smallint PRIMARY KEY CHECK (id = 1),
  beat_at timestamptz NOT NULL
);
