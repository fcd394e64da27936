// Assembles and runs a dashboard: opens the store (PGlite in DATA_DIR or PostgreSQL), migrates,
// creates the first admin, builds every service and serves HTTP until stopped. Used by main.ts
// and by tests, which start real dashboards on free ports.
import { join, resolve } from "node:path";
import { type Config, ConfigError, type ListenAddr } from "./config.ts";
import { type AddrSetting, listenErrorMessage } from "../common/listen_error.ts";
import { type Db, openDb } from "./store/db.ts";
import { migrateUp } from "./store/migrate.ts";
import { SecretBox } from "./crypto/secretbox.ts";
import { AuthService } from "./auth/service.ts";
import { ClusterStore } from "./cluster/store.ts";
import { ClusterAccess } from "./cluster/access.ts";
import { roleBindingRoutes } from "./cluster/role_binding_routes.ts";
import { searchRoutes } from "./search/routes.ts";
import { SearchService } from "./search/service.ts";
import { ClusterManager } from "./cluster/manager.ts";
import { Metrics } from "./http/metrics.ts";
import { createApp } from "./app.ts";
import { log } from "../common/log.ts";
import { loadMintedTls, loadOperatorTls, type ServerTls } from "./tls.ts";
import { AgentRegistry, deriveTokenKey } from "./agents/registry.ts";
import { AgentHub } from "./agents/hub.ts";
import { Replica } from "./replicas/replica.ts";
import { startReplicaEvents } from "./replicas/bus.ts";
import { PeerClient } from "./replicas/peers.ts";
import { isPeerCall, peerHandler } from "./replicas/peer_routes.ts";
import { peerSecret } from "./replicas/peer_protocol.ts";
import { agentHandlers } from "./agents/grpc_server.ts";
import { startAgentServer } from "./agents/grpc_transport.ts";
import { agentRoutes } from "./agents/routes.ts";
import { agentAssetRoutes } from "./agents/install/assets.ts";
import { kubeconfigConnector } from "./cluster/connectors/kubeconfig.ts";
import { agentConnector } from "./cluster/connectors/agent.ts";
import { startTlsFront, type TlsFront } from "./http/tls_front.ts";
import type { ServeInfo } from "./http/types.ts";
import { OpenStreams } from "./cluster/open_streams.ts";
import { VERSION } from "../common/version.ts";
import { webRoutes } from "../web/routes/mod.ts";
import { AGENT_CREDENTIAL_SECRET, isAgentCredentialPath } from "./cluster/proxy_guards.ts";
import { AuditLog } from "./audit/store.ts";
import { parseAuditQuery } from "./audit/routes.ts";
import { HttpError } from "./http/errors.ts";
import { clientAddress } from "./http/client_address.ts";
import { OidcProvider } from "./auth/oidc/provider.ts";
import { SsoAccounts } from "./auth/oidc/accounts.ts";
import { SsoFlow } from "./auth/oidc/flow.ts";

type App = ReturnType<typeof createApp>;

/** How often open exec/attach/port-forward streams check that their session is still valid. */
const STREAM_RECHECK_MS = 5_000;
/**
 * How long a stopping replica (PostgreSQL) lets requests through its agents finish after telling
 * them to reconnect to another replica; watches still open then end.
 */
const DRAIN_MS = 10_000;
/** How often audit events older than AUDIT_RETENTION_DAYS are deleted. */
const AUDIT_SWEEP_MS = 3600_000;

export interface Dashboard {
  url: string;
  /** host:port of the agent gRPC endpoint as bound (useful with port 0). */
  grpcAddr: string;
  /** CA of the HTTPS port when the dashboard minted it (clients must trust it), else null. */
  httpCaPem: string | null;
  /** The URL agents dial and the CA pin they check (null when insecure). */
  agentUrl: string;
  caHash: string | null;
  hub: AgentHub;
  /** The HTTP app being served (tests list its routes and call it in process). */
  app: App;
  db: Db;
  auth: AuthService;
  manager: ClusterManager;
  /** The exec, attach and port-forward streams open through this dashboard. */
  streams: OpenStreams;
  /** Set when this start created the first admin with a generated password. */
  bootstrap: { username: string; password?: string } | null;
  /**
   * Graceful stop: refuse new work, end streams, finish in-flight requests, close the store.
   * With exiting, the agent port is left for the process exit to close: a graceful gRPC
   * shutdown sends GOAWAY, which can abort a Deno agent (denoland/deno#36788); the agents'
   * control streams have already ended with a Goodbye.
   */
  stop(opts?: { exiting?: boolean }): Promise<void>;
}

/** Holds DATA_DIR for this process: a second dashboard on the same folder fails clearly. */
async function lockDataDir(dir: string): Promise<Deno.FsFile> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = await Deno.open(join(dir, "dashboard.lock"), { create: true, write: true });
  try {
    await file.lock(true);
  } catch (err) {
    file.close();
    throw new Error(`cannot lock ${dir}: ${(err as Error).message}`);
  }
  return file;
}

async function tryLock(dir: string): Promise<Deno.FsFile> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`DATA_DIR ${dir} is in use by another dashboard process`)),
      2000,
    )
  );
  return await Promise.race([lockDataDir(dir), timeout]);
}

/** Where each listener's address comes from, for its start-up errors. */
const HTTP_ADDR_SETTING: AddrSetting = { env: "HTTP_ADDR", flag: "--http-addr" };
const GRPC_ADDR_SETTING: AddrSetting = { env: "GRPC_ADDR", flag: "--grpc-addr" };

/** A listener that cannot bind its address (in use, privileged port) is a configuration error. */
function bindError(err: unknown, addr: ListenAddr, setting: AddrSetting): unknown {
  const message = listenErrorMessage(err, addr, setting);
  return message ? new ConfigError(message) : err;
}

/** Reads the OpenID provider's discovery document: a provider it cannot read is a ConfigError. */
async function startOidc(config: NonNullable<Config["oidc"]>): Promise<OidcProvider> {
  try {
    return await OidcProvider.start(config, (m) => log.warn(m));
  } catch (err) {
    throw new ConfigError(
      `OIDC_ISSUER_URL ${config.issuerUrl}: ${(err as Error).message}; check the issuer URL and ` +
        "that the dashboard can reach it (a provider with a private CA: set DENO_CERT to its CA file)",
    );
  }
}

/**
 * Starts a dashboard. When start-up fails, everything opened so far is closed again (listeners,
 * store, DATA_DIR lock) before the error is thrown: a ConfigError when a listener cannot bind its
 * address.
 */
export async function startDashboard(config: Config): Promise<Dashboard> {
  const undo: (() => unknown)[] = [];
  try {
    return await assemble(config, undo);
  } catch (err) {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (cleanupErr) {
        log.warn("cleanup after a failed start failed", { err: cleanupErr });
      }
    }
    throw err;
  }
}

async function assemble(config: Config, undo: (() => unknown)[]): Promise<Dashboard> {
  const dataDir = resolve(config.dataDir);
  const lock = await tryLock(dataDir);
  undo.push(() => lock.close());
  const keyB64 = config.encryptionKey ??
    await SecretBox.loadOrCreateKeyFile(join(dataDir, "encryption.key"));
  const box = await SecretBox.fromBase64(keyB64);
  const db = await openDb(
    config.databaseUrl,
    config.databaseUrl ? undefined : join(dataDir, "pgdata"),
  );
  undo.push(() => db.close());
  const applied = await migrateUp(db);
  if (applied.length) log.info("database migrated", { applied, store: db.kind });

  const auth = new AuthService(db, config.sessionTtlHours);
  const audit = new AuditLog(db);
  const oidc = config.oidc ? await startOidc(config.oidc) : null;
  if (oidc) undo.push(() => oidc.stop());
  // One sweep at a time; stop() waits for one in progress before closing the store.
  let auditSweep: Promise<void> | undefined;
  const sweepAudit = () =>
    auditSweep ??= audit.sweep(config.auditRetentionDays).then(
      (deleted) => {
        if (deleted) log.info("audit events expired", { deleted, days: config.auditRetentionDays });
      },
      (err) => log.warn("audit sweep failed", { err }),
    ).finally(() => auditSweep = undefined);
  await sweepAudit();
  const bootstrap = await auth.bootstrapAdmin(config.adminPassword);
  const registry = new AgentRegistry(db, await deriveTokenKey(keyB64), box);
  // One minted CA and certificate serve both ports unless the operator brings their own. With
  // PostgreSQL the CA is the one every replica uses, kept (key sealed with box) in the database.
  let minted: ServerTls | undefined;
  const mintedTls = async () =>
    minted ??= await loadMintedTls(
      dataDir,
      [
        config.grpcPublicAddr.replace(/:\d+$/, "").replace(/^\[|\]$/g, ""),
        new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, ""),
      ],
      db.kind === "postgres" ? { db, box } : undefined,
    );
  const tls = config.grpcInsecure
    ? null
    : config.grpcTlsCert
    ? await loadOperatorTls(config.grpcTlsCert, config.grpcTlsKey!, "GRPC_TLS_CERT")
    : await mintedTls();
  const httpTls = config.httpInsecure
    ? null
    : config.httpTlsCert
    ? await loadOperatorTls(config.httpTlsCert, config.httpTlsKey!, "HTTP_TLS_CERT")
    : await mintedTls();
  const heartbeatMs = config.agentHeartbeatSeconds * 1000;
  const peerSecretKey = await peerSecret(keyB64);
  // This process among the replicas on the database; with PostgreSQL there may be others, and
  // requests for agents they hold are forwarded to them (backend/replicas/).
  const replica = new Replica(db, config.peerUrl ?? "", heartbeatMs, db.kind === "pglite");
  const peers = db.kind === "postgres"
    ? new PeerClient(new ClusterStore(db), replica, peerSecretKey, {
      insecure: config.httpInsecure,
      caPem: httpTls && !config.httpTlsCert ? httpTls.caPem : undefined,
    })
    : undefined;
  undo.push(() => peers?.close());
  const hub = new AgentHub(db, (id) => manager.notifyStatus(id), { heartbeatMs }, replica, peers);
  const clusters = new ClusterStore(db, hub);
  const access = new ClusterAccess(db);
  const manager = new ClusterManager(clusters, {
    kubeconfig: kubeconfigConnector(clusters, box),
    agent: agentConnector(hub),
  }, { access, impersonationPrefix: config.impersonationPrefix });
  const metrics = new Metrics();
  metrics.gauge("dashboard_clusters", "Clusters by connection type and status.", async () => {
    const rows = await clusters.countByTypeAndStatus();
    return rows.map((r) => [{ connection_type: r.connection_type, status: r.status }, r.n]);
  });
  manager.removalListeners.add((id) =>
    hub.disconnect(id, "the cluster was deleted from the dashboard")
  );
  const openStreams = new OpenStreams(async (token, clusterId) => {
    const person = await auth.authenticate(token);
    if (!person) return false;
    // Streams are writes: a role removed or lowered to viewer on this cluster ends them.
    const role = await manager.forPerson(clusterId, person).then(
      (p) => p.role,
      (err) => {
        if (err instanceof HttpError && err.status === 404) return null;
        throw err;
      },
    );
    return role !== null && role !== "viewer";
  }, {
    perCaller: config.streamsPerUser,
    recheckMs: STREAM_RECHECK_MS,
  });
  manager.removalListeners.add((id) =>
    openStreams.closeCluster(id, "the cluster was deleted from the dashboard")
  );
  // A change made through any replica reaches every replica's caches and live streams.
  const replicaEvents = await startReplicaEvents(db, replica.id, {
    manager,
    auth,
    access,
    streams: openStreams,
    hub,
  });
  undo.push(() => replicaEvents.stop());
  metrics.gauge(
    "dashboard_replica",
    "This dashboard among the replicas on its database: its id and PEER_URL (always 1).",
    () => Promise.resolve([[{ replica: replica.id, peer_url: replica.peerUrl }, 1]]),
  );
  metrics.gauge(
    "dashboard_agents_connected",
    "Agents with a live control stream.",
    () => Promise.resolve([[{}, hub.size]]),
  );

  const listening = Promise.withResolvers<Deno.NetAddr>();
  // Assigned once the bound port (and so PUBLIC_URL) is known; until then requests get 503.
  // deno-lint-ignore prefer-const
  let app: App | undefined;
  // Calls from the other replicas (PostgreSQL only), served before the app.
  let servePeer: ReturnType<typeof peerHandler> | undefined;
  // With TLS, Deno.serve listens on a loopback port behind the TLS front (see tls_front.ts).
  let front: TlsFront | undefined;
  const handler = (req: Request, info: ServeInfo) => {
    if (front) {
      const client = front.clientOf(info.remoteAddr);
      if (!client) return new Response("connect through the HTTPS port", { status: 403 });
      // Not a spread, and not read here: `completed` is a getter that makes its promise on first
      // read, and a promise nobody handles would reject (an interrupted response) unhandled and
      // end the process. The proxy reads it, with handlers, to release a caller's slot.
      const served = info;
      const gated: ServeInfo = {
        remoteAddr: client,
        get completed() {
          return served.completed;
        },
        readGate: front.readGate(info.remoteAddr),
      };
      info = gated;
    }
    if (servePeer && isPeerCall(new URL(req.url).pathname)) return servePeer(req, info.readGate);
    return app ? app.fetch(req, info) : new Response("starting", { status: 503 });
  };
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      ...(httpTls ? { hostname: "127.0.0.1", port: 0 } : config.httpAddr),
      onListen: (addr) => listening.resolve(addr),
    }, handler);
  } catch (err) {
    // Behind the TLS front this is a loopback port 0, which the front's HTTP_ADDR error explains.
    throw httpTls ? err : bindError(err, config.httpAddr, HTTP_ADDR_SETTING);
  }
  undo.push(() => server.shutdown());
  let addr = await listening.promise;
  if (httpTls) {
    front = await startTlsFront({
      hostname: config.httpAddr.hostname,
      port: config.httpAddr.port,
      certPem: httpTls.certPem,
      keyPem: httpTls.keyPem,
      innerPort: addr.port,
    }).catch((err) => {
      throw bindError(err, config.httpAddr, HTTP_ADDR_SETTING);
    });
    undo.push(() => front?.close());
    addr = front.addr;
  }
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const url = `${httpTls ? "https" : "http"}://${host}:${addr.port}`;
  // With HTTP_ADDR port 0 (tests), the default PUBLIC_URL gets the port actually bound.
  const publicUrl = config.publicUrl.replace(/:0$/, `:${addr.port}`);
  // This replica's peers reach it at PEER_URL, by default the URL just bound.
  replica.peerUrl ||= url;
  // Before the first agent can attach: start() marks the streams of a previous process as gone,
  // which must not overwrite the status of an agent that reconnected first.
  await hub.start();
  undo.push(() => hub.stop());
  const grpcServer = await startAgentServer(
    { hostname: config.grpcAddr.hostname, port: config.grpcAddr.port, tls },
    agentHandlers(registry, hub),
  ).catch((err) => {
    throw bindError(err, config.grpcAddr, GRPC_ADDR_SETTING);
  });
  undo.push(() => grpcServer.stop());
  const grpcPublicAddr = config.grpcAddr.port === 0
    ? config.grpcPublicAddr.replace(/:\d+$/, `:${grpcServer.port}`)
    : config.grpcPublicAddr;
  const agentUrl = `${tls ? "https" : "http"}://${grpcPublicAddr}`;
  const caHash = tls?.caHash ?? null;
  const shutdown = new AbortController();
  // Aborted first on the way down, while a replica drains: load balancers stop sending requests.
  const stopping = new AbortController();
  const sso = oidc &&
    await SsoFlow.create({
      provider: oidc,
      accounts: new SsoAccounts(db, auth, (m) => log.warn(m)),
      encryptionKeyB64: keyB64,
      publicUrl,
      audit: (e) => audit.record(e),
      log: (m) => log.warn(m),
    });
  if (peers) {
    servePeer = peerHandler({
      hub,
      secret: peerSecretKey,
      streamIdleMs: config.streamIdleTimeoutMinutes * 60_000,
      shutdown: shutdown.signal,
    });
  }
  app = createApp({
    config: { ...config, publicUrl },
    httpCaPem: httpTls && !config.httpTlsCert ? httpTls.caPem : null,
    db,
    auth,
    manager,
    box,
    metrics,
    shutdown: shutdown.signal,
    stopping: stopping.signal,
    streams: { open: openStreams, idleMs: config.streamIdleTimeoutMinutes * 60_000 },
    audit,
    web: webRoutes({
      sessionUser: (token) => auth.authenticate(token),
      apiTokens: (userId) => auth.listApiTokens(userId),
      users: { list: () => auth.listUsers() },
      clusters: {
        list: (user) => manager.listFor(user),
        get: (id, user) => manager.getFor(id, user),
      },
      client: async (id, user) => (await manager.forPerson(id, user)).client,
      agentCredential: { secret: AGENT_CREDENTIAL_SECRET, isPath: isAgentCredentialPath },
      audit: { list: (query) => audit.list(parseAuditQuery(query)) },
      agentImage: config.agentImage,
      sso,
      clientAddress,
      localLogin: config.localLogin,
      secureCookies: publicUrl.startsWith("https:"),
    }),
    extraApi: [
      agentRoutes({
        registry,
        hub,
        manager,
        publicUrl,
        agentUrl,
        caHash,
        chartVersion: VERSION,
        agentImage: config.agentImage,
      }),
      roleBindingRoutes(access),
      searchRoutes(new SearchService(manager)),
    ],
    publicRoutes: [agentAssetRoutes()],
  });

  manager.startChecks();
  const auditSweeps = setInterval(sweepAudit, AUDIT_SWEEP_MS);
  log.info("dashboard listening", { url, store: db.kind });

  let stopped: Promise<void> | undefined;
  return {
    url,
    httpCaPem: httpTls && !config.httpTlsCert ? httpTls.caPem : null,
    grpcAddr: `${config.grpcAddr.hostname}:${grpcServer.port}`,
    agentUrl,
    caHash,
    hub,
    app,
    db,
    auth,
    manager,
    streams: openStreams,
    bootstrap,
    stop: (opts = {}) =>
      stopped ??= (async () => {
        // Several replicas: agents move to another one while requests in flight here finish.
        stopping.abort();
        if (peers) await hub.drain(DRAIN_MS);
        shutdown.abort();
        clearInterval(auditSweeps);
        oidc?.stop();
        openStreams.closeAll("the dashboard is stopping");
        await hub.stop();
        if (!opts.exiting) await grpcServer.stop();
        manager.close();
        await auditSweep;
        await Promise.race([server.shutdown(), new Promise((r) => setTimeout(r, 10_000))]);
        await front?.close();
        await replicaEvents.stop();
        await db.close();
        lock.close();
        log.info("dashboard stopped");
      })(),
  };
}
