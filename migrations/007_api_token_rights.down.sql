ALTER TABLE api_tokens DROP COLUMN can_create_tokens;
