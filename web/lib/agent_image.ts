// The Deploy agent dialog's advanced fields, the agent image and its image pull Secrets, checked
// with the API's own rules (common/agent_image.ts) before the token request is sent.
import { imageRefError, pullSecretsError } from "../../common/agent_image.ts";
import { splitList } from "./agent.ts";

export interface AgentImageFields {
  /** What the token request carries: nothing for the dashboard's own image and no Secrets. */
  body: { image?: string; image_pull_secrets?: string[] };
  imageError: string | null;
  pullSecretsError: string | null;
}

/**
 * The image field (empty: the dashboard's default) and the pull Secrets field (names separated
 * by commas or spaces) as the token request's `image` and `image_pull_secrets`, or what is wrong.
 */
export function agentImageFields(
  imageText: string,
  pullSecretsText: string,
  defaultImage: string,
): AgentImageFields {
  const image = imageText.trim();
  const secrets = splitList(pullSecretsText);
  const imageError = image ? imageRefError(image) : null;
  const secretsError = pullSecretsError(secrets);
  return {
    body: {
      ...(image && image !== defaultImage ? { image } : {}),
      ...(secrets.length ? { image_pull_secrets: secrets } : {}),
    },
    imageError,
    pullSecretsError: secretsError,
  };
}
