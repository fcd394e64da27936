// Registration tokens for agents: signed JWTs (HS256, key derived from ENCRYPTION_KEY), valid
// 24 h, looked up by SHA-256 hash, revocable, and single use: consumption is one atomic UPDATE
// inside the transaction that creates the cluster, so of many concurrent registrations with one
// token exactly one succeeds. While a token can still be used its text is kept sealed
// (AES-256-GCM with ENCRYPTION_KEY, bound to the token's id), so any dashboard on the database
// can show its install commands again; using or revoking it clears that in the same statement.
// Also issues and checks per-cluster agent credentials.
import { jwtVerify, SignJWT } from "jose";
import { deriveKey } from "../crypto/derive.ts";
import type { Db } from "../store/db.ts";
import { randomToken, sha256Hex } from "../crypto/encoding.ts";
import type { SecretBox } from "../crypto/secretbox.ts";
import { conflict, notFound } from "../http/errors.ts";
import type { AgentPermissions } from "./install/permissions.ts";
import { type Cluster, ClusterStore } from "../cluster/store.ts";

export const TOKEN_TTL_MS = 24 * 3600_000;
const ISSUER = "kube-dashboard";
const AUDIENCE = "agent-registration";
export const CREDENTIAL_PREFIX = "kda";

export interface AgentTokenInfo {
  id: string;
  cluster_name: string;
  permissions: AgentPermissions;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  cluster_id: string | null;
  /** The agent image its install commands set; null: the dashboard's AGENT_IMAGE. */
  image: string | null;
  /** Image pull Secrets its install commands name. */
  image_pull_secrets: string[];
  state: "pending" | "used" | "expired" | "revoked";
}

/** A token's own choice of agent image and pull Secrets (docs/agent.md, "Image"). */
export interface AgentImageChoice {
  image?: string;
  imagePullSecrets?: readonly string[];
}

export class RegistrationError extends Error {}

/** Additional data of a token's sealed text: it opens only on its own row. */
const sealedTokenData = (id: string) => `agent-token:${id}`;

/** HS256 signing key for registration tokens, derived (HKDF) from the encryption key. */
export function deriveTokenKey(encryptionKeyB64: string): Promise<Uint8Array<ArrayBuffer>> {
  return deriveKey(encryptionKeyB64, "agent-registration-token");
}

const TOKEN_COLUMNS =
  `id, cluster_name, permissions, created_at, expires_at, used_at, revoked_at, cluster_id,
  image, image_pull_secrets,
  CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN used_at IS NOT NULL THEN 'used'
       WHEN expires_at <= now() THEN 'expired' ELSE 'pending' END AS state`;

export class AgentRegistry {
  private readonly clusters: ClusterStore;

  /** box seals token texts (the dashboard's ENCRYPTION_KEY, like kubeconfigs). */
  constructor(
    private readonly db: Db,
    private readonly key: Uint8Array<ArrayBuffer>,
    private readonly box: SecretBox,
  ) {
    this.clusters = new ClusterStore(db);
  }

  /**
   * A token that creates the cluster clusterName; with reinstallOf, a token that re-registers
   * that existing agent cluster instead (after a credential rotation).
   */
  async createToken(
    clusterName: string,
    permissions: AgentPermissions,
    createdBy: string | null,
    reinstallOf?: string,
    imageChoice: AgentImageChoice = {},
  ): Promise<{ info: AgentTokenInfo; token: string }> {
    if (!reinstallOf && await this.clusters.nameTaken(clusterName)) {
      throw conflict(`a cluster named ${clusterName} already exists`);
    }
    const id = crypto.randomUUID();
    const expiresAt = new Date(Date.now() + TOKEN_TTL_MS);
    const token = await new SignJWT({ cluster_name: clusterName })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setJti(id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
    // Expired tokens' texts are of no use any more: cleared whenever a token is issued.
    await this.db.query(
      `UPDATE agent_tokens SET token_sealed = NULL
       WHERE token_sealed IS NOT NULL AND expires_at <= now()`,
    );
    const [info] = await this.db.query<AgentTokenInfo>(
      `INSERT INTO agent_tokens (id, token_hash, cluster_name, permissions, created_by, expires_at,
                                 cluster_id, image, image_pull_secrets, token_sealed)
       VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7, $8, $9::text::jsonb, $10)
       RETURNING ${TOKEN_COLUMNS}`,
      [
        id,
        sha256Hex(token),
        clusterName,
        JSON.stringify(permissions),
        createdBy,
        expiresAt,
        reinstallOf ?? null,
        imageChoice.image ?? null,
        JSON.stringify(imageChoice.imagePullSecrets ?? []),
        await this.box.seal(token, sealedTokenData(id)),
      ],
    );
    return { info, token };
  }

  list(): Promise<AgentTokenInfo[]> {
    return this.db.query<AgentTokenInfo>(
      `SELECT ${TOKEN_COLUMNS} FROM agent_tokens ORDER BY created_at DESC LIMIT 500`,
    );
  }

  /**
   * A token with its text, to show its install commands again: the text only while the token is
   * pending (null once used, revoked or expired, and for a token issued before texts were kept).
   * Throws when the sealed text does not open (another ENCRYPTION_KEY, or not this row's).
   */
  async issued(id: string): Promise<{ info: AgentTokenInfo; token: string | null }> {
    const [row] = await this.db.query<AgentTokenInfo & { token_sealed: Uint8Array | null }>(
      `SELECT ${TOKEN_COLUMNS}, token_sealed FROM agent_tokens WHERE id = $1`,
      [id],
    );
    if (!row) throw notFound("agent token");
    const { token_sealed: sealed, ...info } = row;
    if (info.state !== "pending" || !sealed) return { info, token: null };
    return { info, token: await this.box.open(sealed, sealedTokenData(info.id)) };
  }

  async revoke(id: string): Promise<AgentTokenInfo> {
    const [t] = await this.db.query<AgentTokenInfo>(
      `UPDATE agent_tokens SET revoked_at = coalesce(revoked_at, now()), token_sealed = NULL
       WHERE id = $1 RETURNING ${TOKEN_COLUMNS}`,
      [id],
    );
    if (!t) throw notFound("agent token");
    return t;
  }

  /**
   * Consumes a registration token and creates its agent cluster in one transaction.
   * Throws RegistrationError with a message fit for the agent's log.
   */
  async register(token: string): Promise<{ cluster: Cluster; credential: string }> {
    let jti: string;
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["HS256"],
      });
      if (!payload.jti) throw new Error("no jti");
      jti = payload.jti;
    } catch (err) {
      const expired = (err as { code?: string }).code === "ERR_JWT_EXPIRED";
      throw new RegistrationError(
        expired
          ? "the registration token has expired (tokens last 24 h); generate a new install command"
          : "the registration token is not valid for this dashboard; copy the install command again",
      );
    }
    const tokenHash = sha256Hex(token);
    const credential = randomToken(CREDENTIAL_PREFIX);
    const credentialHash = sha256Hex(credential);
    return await this.db.transaction(async (tx) => {
      const [claimed] = await tx.query<
        { cluster_name: string; permissions: AgentPermissions; cluster_id: string | null }
      >(
        `UPDATE agent_tokens SET used_at = now(), token_sealed = NULL
         WHERE id = $1 AND token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
         RETURNING cluster_name, permissions, cluster_id`,
        [jti, tokenHash],
      );
      if (!claimed) {
        const [t] = await tx.query<{ state: string }>(
          `SELECT ${TOKEN_COLUMNS} FROM agent_tokens WHERE id = $1`,
          [jti],
        );
        const why = t?.state === "used"
          ? "has already been used (tokens are single use)"
          : t?.state === "revoked"
          ? "was revoked"
          : t?.state === "expired"
          ? "has expired"
          : "is unknown";
        throw new RegistrationError(
          `the registration token ${why}; generate a new install command`,
        );
      }
      if (claimed.cluster_id) {
        // A reinstall token: the existing cluster gets a new credential.
        const existing = await this.clusters.setAgentCredential(
          tx,
          claimed.cluster_id,
          credentialHash,
        );
        if (!existing) {
          throw new RegistrationError(
            "the cluster this token reinstalls was deleted; generate a new install command",
          );
        }
        return { cluster: existing, credential };
      }
      const id = crypto.randomUUID();
      let cluster: Cluster;
      try {
        cluster = await this.clusters.createAgentCluster(tx, {
          id,
          name: claimed.cluster_name,
          agentId: `agent-${id}`,
          credentialHash,
          permissions: claimed.permissions,
          // The admin preset's install command allows impersonation (install/command.ts).
          impersonate: claimed.permissions.preset === "admin",
        });
      } catch (err) {
        if ((err as { code?: string }).code === "23505") {
          throw new RegistrationError(
            `a cluster named ${claimed.cluster_name} already exists on the dashboard`,
          );
        }
        throw err;
      }
      await tx.query("UPDATE agent_tokens SET cluster_id = $1 WHERE id = $2", [id, jti]);
      return { cluster, credential };
    });
  }

  /** The agent cluster a credential belongs to, or null (deleted cluster, rotated credential). */
  async clusterForCredential(credential: string): Promise<Cluster | null> {
    if (!/^kda_[A-Za-z0-9_-]{43}$/.test(credential)) return null;
    return await this.clusters.agentClusterByCredentialHash(sha256Hex(credential));
  }

  /**
   * Invalidates a cluster's credential at once and returns a token that reinstalls its agent
   * (same cluster, name and permissions); the agent re-registers with it.
   */
  async rotateCredential(
    clusterId: string,
    createdBy: string | null,
  ): Promise<{ info: AgentTokenInfo; token: string }> {
    const c = await this.clusters.replaceAgentCredential<AgentPermissions>(
      clusterId,
      sha256Hex(randomToken(CREDENTIAL_PREFIX)),
    );
    if (!c) throw notFound("agent cluster");
    // The reinstall keeps the image the cluster's agent was installed from (its last token's).
    const [last] = await this.db.query<{ image: string | null; image_pull_secrets: string[] }>(
      `SELECT image, image_pull_secrets FROM agent_tokens WHERE cluster_id = $1
       ORDER BY created_at DESC LIMIT 1`,
      [clusterId],
    );
    return await this.createToken(c.name, c.agent_permissions, createdBy, clusterId, {
      image: last?.image ?? undefined,
      imagePullSecrets: last?.image_pull_secrets ?? [],
    });
  }
}
