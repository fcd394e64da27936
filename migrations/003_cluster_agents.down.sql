-- Going below 003 removes agent-connected clusters: without the agent columns they cannot be
-- represented (they have no kubeconfig). Their agents are refused until 003 is applied again and
-- they are re-installed with a new registration token. Kubeconfig clusters are kept untouched.
DROP TABLE agent_tokens;
DELETE FROM clusters WHERE connection_type = 'agent';
ALTER TABLE clusters
  DROP CONSTRAINT clusters_connection_check,
  DROP COLUMN agent_id,
  DROP COLUMN connection_type,
  ALTER COLUMN kubeconfig_enc SET NOT NULL;
