ALTER TABLE agent_tokens DROP COLUMN image_pull_secrets;
ALTER TABLE agent_tokens DROP COLUMN image;
