DROP TABLE agent_hub_heartbeat;
