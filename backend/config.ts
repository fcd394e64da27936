// Dashboard configuration: environment variables, with command-line flags as overrides for the
// non-secret ones, validated once at start with messages that say what to fix.
// Secrets (ENCRYPTION_KEY, ADMIN_PASSWORD, DATABASE_URL, OIDC_CLIENT_SECRET) are read from the environment only, so
// they never appear on a command line visible in `ps`. docs/configuration.md lists everything.
import { parseArgs } from "node:util";
import type { LogLevel } from "../common/log.ts";
import { DEFAULT_AGENT_IMAGE } from "../common/version.ts";
import { imageRefError } from "../common/agent_image.ts";
import { DEFAULT_IMPERSONATION_PREFIX } from "./cluster/impersonation.ts";
import { loadOidcConfig, type OidcConfig } from "./auth/oidc/config.ts";

export interface ListenAddr {
  hostname: string;
  port: number;
}

export interface Config {
  httpAddr: ListenAddr;
  httpTlsCert?: string;
  httpTlsKey?: string;
  /** Serve plain HTTP (HTTP_INSECURE=true), e.g. behind a TLS-terminating reverse proxy. */
  httpInsecure: boolean;
  grpcAddr: ListenAddr;
  grpcTlsCert?: string;
  grpcTlsKey?: string;
  /** Serve gRPC without TLS (GRPC_INSECURE=true): agents must pass --insecure too. */
  grpcInsecure: boolean;
  /** host:port agents dial; goes into install commands and the minted certificate. */
  grpcPublicAddr: string;
  /** Base URL browsers, kubectl and install scripts use to reach the dashboard. */
  publicUrl: string;
  /**
   * Where the other replicas reach this one (several replicas on one PostgreSQL); unset: the
   * HTTP port's own URL, which serves replicas on one machine.
   */
  peerUrl?: string;
  dataDir: string;
  databaseUrl?: string;
  encryptionKey?: string;
  adminPassword?: string;
  sessionTtlHours: number;
  /** Exec, attach and port-forward streams with no traffic this long are closed. */
  streamIdleTimeoutMinutes: number;
  /** Upgraded streams one user (session or API token) may have open at once. */
  streamsPerUser: number;
  /** Interval of heartbeats on agent streams; status deadlines are multiples of it. */
  agentHeartbeatSeconds: number;
  /** Audit events older than this many days are deleted (hourly). */
  auditRetentionDays: number;
  /** Prefix of the users and groups impersonated on clusters set to impersonate. */
  impersonationPrefix: string;
  /** The agent image install commands set (image.repository, tag or digest). */
  agentImage: string;
  /** Single sign-on with an OpenID provider (OIDC_*), when OIDC_ISSUER_URL is set. */
  oidc?: OidcConfig;
  /** Whether local accounts may sign in with a password (OIDC_LOCAL_LOGIN; default true). */
  localLogin: boolean;
  logLevel: LogLevel;
}

export class ConfigError extends Error {}

/** Impersonated names are <prefix><username>: the prefix must end them off (":" or "-"). */
export const IMPERSONATION_PREFIX_PATTERN = /^[a-z0-9][a-z0-9._:-]{0,62}[:-]$/;

const flagNames = {
  "http-addr": "HTTP_ADDR",
  "http-tls-cert": "HTTP_TLS_CERT",
  "http-tls-key": "HTTP_TLS_KEY",
  "grpc-addr": "GRPC_ADDR",
  "grpc-tls-cert": "GRPC_TLS_CERT",
  "grpc-tls-key": "GRPC_TLS_KEY",
  "grpc-public-addr": "GRPC_PUBLIC_ADDR",
  "public-url": "PUBLIC_URL",
  "peer-url": "PEER_URL",
  "data-dir": "DATA_DIR",
  "log-level": "LOG_LEVEL",
  "session-ttl-hours": "SESSION_TTL_HOURS",
  "agent-heartbeat-seconds": "AGENT_HEARTBEAT_SECONDS",
  "stream-idle-timeout-minutes": "STREAM_IDLE_TIMEOUT_MINUTES",
  "streams-per-user": "STREAMS_PER_USER",
  "audit-retention-days": "AUDIT_RETENTION_DAYS",
  "impersonation-prefix": "IMPERSONATION_PREFIX",
  "agent-image": "AGENT_IMAGE",
  "oidc-issuer-url": "OIDC_ISSUER_URL",
  "oidc-client-id": "OIDC_CLIENT_ID",
  "oidc-provider-name": "OIDC_PROVIDER_NAME",
  "oidc-scopes": "OIDC_SCOPES",
  "oidc-username-claim": "OIDC_USERNAME_CLAIM",
  "oidc-groups-claim": "OIDC_GROUPS_CLAIM",
  "oidc-allowed-groups": "OIDC_ALLOWED_GROUPS",
  "oidc-role-mapping": "OIDC_ROLE_MAPPING",
  "oidc-default-role": "OIDC_DEFAULT_ROLE",
  "oidc-local-login": "OIDC_LOCAL_LOGIN",
} as const;

export function parseListenAddr(name: string, value: string): ListenAddr {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new ConfigError(
      `${name}=${JSON.stringify(value)} is not host:port (example: 127.0.0.1:8080)`,
    );
  }
  return { hostname: m[1].replace(/^\[|\]$/g, "") || "0.0.0.0", port };
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "";
}

function bool(name: string, value: string | undefined): boolean {
  if (value === undefined || value === "") return false;
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(value)} must be true or false`);
}

/** Builds the configuration from env (a plain record, so tests need no real environment) and args. */
export function loadConfig(env: Record<string, string | undefined>, args: string[] = []): Config {
  const { values } = parseArgs({
    args,
    options: {
      ...Object.fromEntries(Object.keys(flagNames).map((f) => [f, { type: "string" as const }])),
      "grpc-insecure": { type: "boolean" },
      "http-insecure": { type: "boolean" },
    },
    strict: true,
    allowPositionals: false,
  });
  const flags = values as Record<string, string | boolean | undefined>;
  const get = (key: string): string | undefined => {
    for (const [flag, envName] of Object.entries(flagNames)) {
      const v = flags[flag];
      if (envName === key && typeof v === "string") return v;
    }
    const v = env[key];
    return v === undefined || v === "" ? undefined : v;
  };

  const httpAddr = parseListenAddr("HTTP_ADDR", get("HTTP_ADDR") ?? "127.0.0.1:8080");
  const grpcAddr = parseListenAddr("GRPC_ADDR", get("GRPC_ADDR") ?? "0.0.0.0:9090");
  const grpcTlsCert = get("GRPC_TLS_CERT");
  const grpcTlsKey = get("GRPC_TLS_KEY");
  if ((grpcTlsCert === undefined) !== (grpcTlsKey === undefined)) {
    throw new ConfigError("GRPC_TLS_CERT and GRPC_TLS_KEY must be set together (or neither)");
  }
  const grpcInsecure = flags["grpc-insecure"] === true || bool("GRPC_INSECURE", env.GRPC_INSECURE);
  if (grpcInsecure && grpcTlsCert) {
    throw new ConfigError("GRPC_INSECURE=true contradicts GRPC_TLS_CERT: choose one");
  }

  const httpTlsCert = get("HTTP_TLS_CERT");
  const httpTlsKey = get("HTTP_TLS_KEY");
  if ((httpTlsCert === undefined) !== (httpTlsKey === undefined)) {
    throw new ConfigError("HTTP_TLS_CERT and HTTP_TLS_KEY must be set together (or neither)");
  }
  const httpInsecure = flags["http-insecure"] === true || bool("HTTP_INSECURE", env.HTTP_INSECURE);
  if (httpInsecure && httpTlsCert) {
    throw new ConfigError("HTTP_INSECURE=true contradicts HTTP_TLS_CERT: choose one");
  }

  const httpHost = isWildcard(httpAddr.hostname) ? "127.0.0.1" : httpAddr.hostname;
  const scheme = httpInsecure ? "http" : "https";
  const publicUrl = (get("PUBLIC_URL") ??
    `${scheme}://${httpHost.includes(":") ? `[${httpHost}]` : httpHost}:${httpAddr.port}`)
    .replace(/\/+$/, "");
  let parsedPublic: URL;
  try {
    parsedPublic = new URL(publicUrl);
  } catch {
    throw new ConfigError(
      `PUBLIC_URL=${JSON.stringify(publicUrl)} is not a URL (example: https://dash.example.com)`,
    );
  }
  if (!/^https?:$/.test(parsedPublic.protocol) || parsedPublic.search || parsedPublic.hash) {
    throw new ConfigError(
      `PUBLIC_URL=${JSON.stringify(publicUrl)} must be an http(s) URL without query`,
    );
  }
  const grpcPublicAddr = get("GRPC_PUBLIC_ADDR") ??
    `${isWildcard(grpcAddr.hostname) ? parsedPublic.hostname : grpcAddr.hostname}:${grpcAddr.port}`;
  parseListenAddr("GRPC_PUBLIC_ADDR", grpcPublicAddr);

  const peerUrl = get("PEER_URL")?.replace(/\/+$/, "");
  if (peerUrl !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(peerUrl);
    } catch { /* reported below */ }
    if (
      !parsed || !/^https?:$/.test(parsed.protocol) || parsed.pathname !== "/" || parsed.search ||
      parsed.hash || parsed.username || parsed.password
    ) {
      throw new ConfigError(
        `PEER_URL=${JSON.stringify(peerUrl)} must be this replica's own http(s) address without ` +
          "path or query, as the other replicas reach it (example: https://10.0.3.7:8080)",
      );
    }
  }

  const encryptionKey = get("ENCRYPTION_KEY");
  if (encryptionKey !== undefined && !/^[A-Za-z0-9+/]{43}=$/.test(encryptionKey)) {
    throw new ConfigError(
      "ENCRYPTION_KEY must be 32 random bytes in base64 (openssl rand -base64 32)",
    );
  }
  const databaseUrl = get("DATABASE_URL");
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(
      "DATABASE_URL must start with postgres:// (unset it to use the embedded database)",
    );
  }
  const adminPassword = get("ADMIN_PASSWORD");
  if (adminPassword !== undefined && adminPassword.length < 12) {
    throw new ConfigError("ADMIN_PASSWORD must be at least 12 characters");
  }
  const logLevel = (get("LOG_LEVEL") ?? "info") as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ConfigError("LOG_LEVEL must be debug, info, warn or error");
  }
  // A whole number within [min, max], or the default when unset.
  const whole = (name: string, fallback: number, min: number, max: number, unit: string) => {
    const n = Number(get(name) ?? String(fallback));
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be a whole number of ${unit} from ${min} to ${max}`);
    }
    return n;
  };
  const sessionTtlHours = whole("SESSION_TTL_HOURS", 12, 1, 24 * 30, "hours");
  const streamIdleTimeoutMinutes = whole("STREAM_IDLE_TIMEOUT_MINUTES", 60, 1, 24 * 60, "minutes");
  const streamsPerUser = whole("STREAMS_PER_USER", 16, 1, 1000, "streams");
  const auditRetentionDays = whole("AUDIT_RETENTION_DAYS", 90, 1, 3650, "days");
  const impersonationPrefix = get("IMPERSONATION_PREFIX") ?? DEFAULT_IMPERSONATION_PREFIX;
  if (
    !IMPERSONATION_PREFIX_PATTERN.test(impersonationPrefix) ||
    impersonationPrefix.startsWith("system:")
  ) {
    throw new ConfigError(
      `IMPERSONATION_PREFIX=${JSON.stringify(impersonationPrefix)}: use 1-64 lowercase letters, ` +
        "digits, '.', '_', ':' or '-', ending in ':' or '-' and not starting with system: (the default " +
        "is dashboard:), and the same " +
        "prefix as the agents' impersonationPrefix",
    );
  }

  const agentImage = get("AGENT_IMAGE") ?? DEFAULT_AGENT_IMAGE;
  const imageError = imageRefError(agentImage);
  if (imageError) {
    throw new ConfigError(`AGENT_IMAGE=${JSON.stringify(agentImage)}: ${imageError}`);
  }

  const agentHeartbeatSeconds = Number(get("AGENT_HEARTBEAT_SECONDS") ?? "10");
  if (
    !Number.isFinite(agentHeartbeatSeconds) || agentHeartbeatSeconds < 0.2 ||
    agentHeartbeatSeconds > 60
  ) {
    throw new ConfigError("AGENT_HEARTBEAT_SECONDS must be a number of seconds from 0.2 to 60");
  }

  const oidc = loadOidcConfig(get, (message) => new ConfigError(message));
  const localLogin = get("OIDC_LOCAL_LOGIN") === undefined ||
    bool("OIDC_LOCAL_LOGIN", get("OIDC_LOCAL_LOGIN"));
  if (!localLogin && !oidc) {
    throw new ConfigError(
      "OIDC_LOCAL_LOGIN=false needs single sign-on (OIDC_ISSUER_URL): nobody could sign in",
    );
  }

  return {
    httpAddr,
    httpTlsCert,
    httpTlsKey,
    httpInsecure,
    grpcAddr,
    grpcTlsCert,
    grpcTlsKey,
    grpcInsecure,
    grpcPublicAddr,
    publicUrl,
    peerUrl,
    dataDir: get("DATA_DIR") ?? "./data",
    databaseUrl,
    encryptionKey,
    adminPassword,
    sessionTtlHours,
    streamIdleTimeoutMinutes,
    streamsPerUser,
    agentHeartbeatSeconds,
    auditRetentionDays,
    impersonationPrefix,
    agentImage,
    oidc,
    localLogin,
    logLevel,
  };
}
