-- The agent image and image pull Secrets a registration token's install commands set, when the
-- admin chose them in the Deploy agent dialog (docs/agent.md, "Image"): a NULL image means the
-- dashboard's AGENT_IMAGE; image_pull_secrets is a JSON array of Secret names.
ALTER TABLE agent_tokens ADD COLUMN image text;
ALTER TABLE agent_tokens ADD COLUMN image_pull_secrets jsonb NOT NULL DEFAULT '[]';
