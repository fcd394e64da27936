-- Whether an API token may create further API tokens (POST /api/tokens, a kubeconfig download).
-- Off unless the token was created with it: a leaked token cannot mint itself successors.
ALTER TABLE api_tokens ADD COLUMN can_create_tokens boolean NOT NULL DEFAULT false;
