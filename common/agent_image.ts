// Container image references and image pull Secret names, as the agent's install commands carry
// them (docs/agent.md, "Image"): checked by the dashboard's configuration (AGENT_IMAGE), by the
// token request and by the Deploy agent dialog with the same rules, so that what reaches a shell
// command or a Helm values file is one of a few plain characters.

/** An image reference split into the chart's image.repository, image.tag and image.digest. */
export interface ImageRef {
  /** [registry[:port]/]path, e.g. registry.example.com:5000/team/dashboard-agent */
  repository: string;
  tag?: string;
  /** sha256:<64 lowercase hex> */
  digest?: string;
}

/** The most image pull Secrets one install command may name. */
export const MAX_PULL_SECRETS = 8;

// The grammar of distribution/reference, narrowed: a registry host (DNS name or IPv4, optional
// port), lowercase path components separated by '.', '_', '__' or dashes, a tag of word
// characters, '.' and '-', and only sha256 digests.
const REGISTRY =
  /^(localhost|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:[0-9]{1,5})?$/;
const COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** What a valid reference looks like, for error messages. */
export const IMAGE_REF_HINT =
  "[registry[:port]/]path[:tag][@sha256:<64 hex>], e.g. registry.example.com:5000/dashboard-agent:0.1.0";

/** Splits and checks an image reference; returns a message saying what is wrong, or the parts. */
export function parseImageRef(ref: string): ImageRef | { error: string } {
  const bad = (why: string) => ({ error: `${why}: use ${IMAGE_REF_HINT}` });
  if (ref.length === 0) return bad("the image is empty");
  if (ref.length > 512) return bad("the image reference is longer than 512 characters");
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      return bad(`the digest ${JSON.stringify(digest)} is not sha256:<64 lowercase hex>`);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      return bad(`the tag ${JSON.stringify(tag)} must be 1-128 letters, digits, '_', '.' or '-'`);
    }
  }
  const parts = rest.split("/");
  // The first part names a registry when it has a '.' or a port, or is localhost (as Docker reads it).
  const hasRegistry = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]);
  if (hasRegistry && !REGISTRY.test(parts[0])) {
    return bad(`the registry ${JSON.stringify(parts[0])} is not host[:port]`);
  }
  const path = hasRegistry ? parts.slice(1) : parts;
  const wrong = path.find((p) => !COMPONENT.test(p));
  if (wrong !== undefined) {
    return bad(
      `${
        JSON.stringify(wrong)
      } is not a path component (lowercase letters and digits, separated by '.', '_' or '-')`,
    );
  }
  if (rest.length > 255) return bad("the repository name is longer than 255 characters");
  return { repository: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The message for a bad image reference, or null when it is valid. */
export function imageRefError(ref: string): string | null {
  const r = parseImageRef(ref);
  return "error" in r ? r.error : null;
}

/** The message for a bad image pull Secret name, or null when it is valid. */
export function pullSecretError(name: string): string | null {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name)
    ? null
    : `${
      JSON.stringify(name)
    } is not a Secret name (lowercase letters, digits, '-' and '.', at most 253)`;
}

/** The message for a list of image pull Secret names, or null when it is valid. */
export function pullSecretsError(names: readonly string[]): string | null {
  if (names.length > MAX_PULL_SECRETS) {
    return `at most ${MAX_PULL_SECRETS} image pull Secrets`;
  }
  for (const n of names) {
    const e = pullSecretError(n);
    if (e) return e;
  }
  if (new Set(names).size !== names.length) return "an image pull Secret is named twice";
  return null;
}
