// The dashboard's own Helm chart (deploy/helm/kube-dashboard), with the REAL helm and
// kube-apiserver: metadata kept at VERSION, `helm lint --strict` and `helm template` of every
// values combination in a table (PGlite, PostgreSQL with several replicas, Ingress, existing
// Secrets, services, settings, single sign-on), the hardened pod in each, schema refusals of bad
// values, and the template's own refusals (several replicas without PostgreSQL, single sign-on
// settings without an issuer); the dashboard's own config loader reads back the single sign-on
// settings rendered. Then real installs in both storage modes into namespaces enforcing the
// "restricted" Pod Security Standard (the controller-manager creates the pods, so admission
// accepted them; no kubelet runs them): the command NOTES prints reads the generated admin
// password, the REAL dashboard started with the environment the pod gets (ConfigMap,
// secretKeyRefs, downward API) accepts it, and `helm upgrade` and uninstall/reinstall keep the
// generated ENCRYPTION_KEY and ADMIN_PASSWORD. Last, the dashboard serves this chart: the bytes it
// serves are the packed chart, and helm renders it from that URL.
import assert from "node:assert/strict";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { type ControlPlane, kubeRequest, sharedControlPlane } from "../../tools/testenv/mod.ts";
import { ROOT, startTestDashboard } from "../../testing/harness.ts";
import { eventually } from "../../testing/eventually.ts";
import { freshPostgresDb } from "../../tools/testpg.ts";
import { loadConfig } from "../../backend/config.ts";
import { startDashboard } from "../../backend/server.ts";
import {
  AGENT_CHART,
  chartBytes,
  DASHBOARD_CHART,
  packChart,
} from "../../backend/agents/install/assets.ts";
import { DEFAULT_AGENT_IMAGE, VERSION } from "../../common/version.ts";
import { GROUP_PATTERN } from "../../backend/auth/names.ts";
import { globalRoles } from "../../backend/auth/roles.ts";

const CHART = `${ROOT}deploy/helm/kube-dashboard`;
const RELEASE = "kube-dashboard";
const NS = "dash";
const PG_URL = "postgres://dash:s3cret@db.example.com:5432/dash";
const PUBLIC_URL = "https://dash.example.com";
/** The one required value, publicUrl, and more. */
const base = (extra: Record<string, unknown> = {}) => ({ publicUrl: PUBLIC_URL, ...extra });

type Manifest = {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // deno-lint-ignore no-explicit-any
  [k: string]: any;
};
type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
};

async function template(cp: ControlPlane, values: unknown, args: string[] = []) {
  // JSON is YAML: the values go in through stdin.
  return await cp.helm(
    ["template", RELEASE, CHART, "--namespace", NS, "--values", "-", ...args],
    { stdin: JSON.stringify(values) },
  );
}

function manifests(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText).map((d) => d.toJS() as Manifest).filter(Boolean);
}

const all = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind);
const one = (ms: Manifest[], kind: string, name?: string) => {
  const found = all(ms, kind).filter((m) => name === undefined || m.metadata.name === name);
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ""}`);
  return found[0];
};
const podSpec = (ms: Manifest[]) => one(ms, "Deployment").spec.template.spec;
const container = (ms: Manifest[]) => podSpec(ms).containers[0];
const env = (ms: Manifest[], name: string): EnvVar | undefined =>
  (container(ms).env as EnvVar[]).find((e) => e.name === name);
const config = (ms: Manifest[]) => one(ms, "ConfigMap").data as Record<string, string>;
const secretRef = (ms: Manifest[], name: string) => env(ms, name)?.valueFrom?.secretKeyRef;
const b64 = (s: string) =>
  new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));

const FULL = RELEASE; // the release name contains the chart name
const ENC_SECRET = `${FULL}-encryption-key`;
const PW_SECRET = `${FULL}-admin-password`;
const DB_SECRET = `${FULL}-database`;
const OIDC_SECRET = `${FULL}-oidc`;

/** The OIDC_* variables a rendering sets, in the ConfigMap or the container's env. */
const oidcVars = (ms: Manifest[]) =>
  [
    ...Object.keys(config(ms)),
    ...(container(ms).env as EnvVar[]).map((e) => e.name),
  ].filter((n) => n.startsWith("OIDC_")).sort();

/** The OIDC_* settings of the ConfigMap. */
const oidcConfig = (ms: Manifest[]) =>
  Object.fromEntries(Object.entries(config(ms)).filter(([k]) => k.startsWith("OIDC_")));

/**
 * The environment the container gets from this rendering alone: the ConfigMap, plain values and
 * secretKeyRefs into the rendered Secrets (refs to Secrets of yours are left out).
 */
function renderedEnv(ms: Manifest[]): Record<string, string> {
  const out: Record<string, string> = { ...config(ms) };
  for (const e of container(ms).env as EnvVar[]) {
    const ref = e.valueFrom?.secretKeyRef;
    if (e.value !== undefined) out[e.name] = e.value;
    else if (ref) {
      const secret = all(ms, "Secret").find((s) => s.metadata.name === ref.name);
      if (secret) out[e.name] = b64(secret.data[ref.key]);
    }
  }
  return out;
}

/** What holds for every rendering: labels, the hardened pod, secrets only through secretKeyRef. */
function checkInvariants(ms: Manifest[], label: string) {
  for (const m of ms) {
    const l = m.metadata.labels;
    assert.equal(m.metadata.namespace, NS, `${label}: ${m.kind} namespace`);
    assert.equal(l["app.kubernetes.io/name"], "kube-dashboard", `${label}: ${m.kind} labels`);
    assert.equal(l["app.kubernetes.io/instance"], RELEASE);
    assert.equal(l["app.kubernetes.io/version"], VERSION);
    assert.equal(l["app.kubernetes.io/part-of"], "kube-dashboard");
    assert.equal(l["app.kubernetes.io/component"], "dashboard");
    assert.equal(l["app.kubernetes.io/managed-by"], "Helm");
    assert.equal(l["helm.sh/chart"], `kube-dashboard-${VERSION}`);
  }
  const dep = one(ms, "Deployment");
  const selector = dep.spec.selector.matchLabels;
  assert.deepEqual(selector, {
    "app.kubernetes.io/name": "kube-dashboard",
    "app.kubernetes.io/instance": RELEASE,
  });
  const pod = podSpec(ms);
  const c = container(ms);
  assert.equal(pod.automountServiceAccountToken, false, `${label}: no ServiceAccount token`);
  assert.equal(pod.serviceAccountName, FULL);
  assert.equal(pod.enableServiceLinks, false);
  assert.equal(pod.terminationGracePeriodSeconds, 30);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
  assert.equal(pod.securityContext.fsGroup, 65532, "the data volume is writable by the user");
  assert.deepEqual(c.securityContext, {
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  });
  assert.equal(c.command, undefined, `${label}: the image's entrypoint`);
  assert.equal(c.args, undefined, `${label}: nothing on the command line`);
  assert.ok(c.resources?.requests?.memory && c.resources?.limits?.memory);
  assert.deepEqual(c.ports.map((p: { name: string }) => p.name), ["http", "grpc"]);
  // A writable /data and /tmp on a read-only root.
  const mounts = Object.fromEntries(
    c.volumeMounts.map((m: { name: string; mountPath: string }) => [m.mountPath, m.name]),
  );
  assert.equal(mounts["/data"], "data");
  assert.equal(mounts["/tmp"], "tmp");
  const tmp = pod.volumes.find((v: { name: string }) => v.name === "tmp");
  assert.ok(tmp.emptyDir, "/tmp is an emptyDir");
  assert.equal(config(ms).DATA_DIR, "/data");
  assert.equal(config(ms).HTTP_ADDR, "0.0.0.0:8080");
  assert.equal(config(ms).GRPC_ADDR, "0.0.0.0:9090");
  // Secrets reach the pod through secretKeyRef only: never in the ConfigMap, never as a value.
  for (const name of ["ENCRYPTION_KEY", "ADMIN_PASSWORD", "DATABASE_URL", "OIDC_CLIENT_SECRET"]) {
    assert.equal(config(ms)[name], undefined, `${label}: ${name} not in the ConfigMap`);
    const e = env(ms, name);
    if (e) assert.ok(e.valueFrom?.secretKeyRef && e.value === undefined, `${label}: ${name}`);
  }
  // ...and no value of a rendered Secret appears in the ConfigMap or the Deployment.
  const visible = JSON.stringify([one(ms, "ConfigMap"), one(ms, "Deployment")]);
  for (const s of all(ms, "Secret")) {
    for (const [key, value] of Object.entries(s.data as Record<string, string>)) {
      assert.ok(!visible.includes(b64(value)), `${label}: ${s.metadata.name}/${key} leaks`);
    }
  }
  assert.ok(secretRef(ms, "ENCRYPTION_KEY"), `${label}: ENCRYPTION_KEY`);
  assert.ok(secretRef(ms, "ADMIN_PASSWORD"), `${label}: ADMIN_PASSWORD`);
  // Probes on the HTTP port: the scheme follows http.insecure.
  const scheme = config(ms).HTTP_INSECURE === "true" ? "HTTP" : "HTTPS";
  for (
    const [probe, path] of [
      ["startupProbe", "/healthz"],
      ["livenessProbe", "/healthz"],
      ["readinessProbe", "/readyz"],
    ]
  ) {
    assert.deepEqual(c[probe].httpGet, { path, port: "http", scheme }, `${label}: ${probe}`);
  }
  // Both Services select the pods, each on its named port.
  const http = one(ms, "Service", FULL);
  const grpc = one(ms, "Service", `${FULL}-grpc`);
  for (const [svc, port] of [[http, "http"], [grpc, "grpc"]] as const) {
    assert.deepEqual(svc.spec.selector, selector);
    assert.equal(svc.spec.ports.length, 1);
    assert.equal(svc.spec.ports[0].targetPort, port);
    assert.equal(svc.spec.ports[0].name, port);
  }
  const sa = one(ms, "ServiceAccount");
  assert.equal(sa.automountServiceAccountToken, false);
  assert.equal(all(ms, "Role").length + all(ms, "ClusterRole").length, 0, "no RBAC at all");
}

/** Generated secrets: a 32-byte base64 key and a 24-character password, kept on uninstall. */
function checkGenerated(ms: Manifest[], which: Array<"key" | "password">) {
  const secrets = all(ms, "Secret");
  for (const s of secrets.filter((s) => ![DB_SECRET, OIDC_SECRET].includes(s.metadata.name))) {
    assert.equal(s.metadata.annotations?.["helm.sh/resource-policy"], "keep", s.metadata.name);
  }
  if (which.includes("key")) {
    const key = b64(one(ms, "Secret", ENC_SECRET).data["encryption-key"]);
    assert.match(key, /^[A-Za-z0-9+/]{43}=$/, "ENCRYPTION_KEY as the dashboard expects it");
    assert.equal(atob(key).length, 32);
    assert.deepEqual(secretRef(ms, "ENCRYPTION_KEY"), { name: ENC_SECRET, key: "encryption-key" });
  } else {
    assert.equal(secrets.filter((s) => s.metadata.name === ENC_SECRET).length, 0);
  }
  if (which.includes("password")) {
    const pw = b64(one(ms, "Secret", PW_SECRET).data.password);
    assert.match(pw, /^[A-Za-z0-9]{24}$/);
    assert.deepEqual(secretRef(ms, "ADMIN_PASSWORD"), { name: PW_SECRET, key: "password" });
  } else {
    assert.equal(secrets.filter((s) => s.metadata.name === PW_SECRET).length, 0);
  }
}

/** Several replicas' and PostgreSQL's shape: per-pod PEER_URL and DATA_DIR, rolling updates. */
function checkPostgres(ms: Manifest[], opts: { replicas: number; peerUrl: string }) {
  const dep = one(ms, "Deployment");
  assert.equal(dep.spec.replicas, opts.replicas);
  assert.deepEqual(dep.spec.strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
  });
  assert.deepEqual(env(ms, "POD_IP")?.valueFrom?.fieldRef, { fieldPath: "status.podIP" });
  assert.equal(env(ms, "PEER_URL")?.value, opts.peerUrl);
  const names = (container(ms).env as EnvVar[]).map((e) => e.name);
  assert.ok(names.indexOf("POD_IP") < names.indexOf("PEER_URL"), "$(POD_IP) is defined first");
  const data = podSpec(ms).volumes.find((v: { name: string }) => v.name === "data");
  assert.ok(data.emptyDir, "each replica's DATA_DIR is its own emptyDir");
  assert.equal(data.persistentVolumeClaim, undefined);
  assert.equal(all(ms, "PersistentVolumeClaim").length, 0);
}

function checkPglite(ms: Manifest[], claim: string | null) {
  const dep = one(ms, "Deployment");
  assert.equal(dep.spec.replicas, 1);
  assert.deepEqual(dep.spec.strategy, { type: "Recreate" }, "one volume, one process");
  assert.equal(env(ms, "DATABASE_URL"), undefined);
  assert.equal(env(ms, "PEER_URL"), undefined);
  assert.equal(all(ms, "PodDisruptionBudget").length, 0);
  const data = podSpec(ms).volumes.find((v: { name: string }) => v.name === "data");
  if (claim) assert.deepEqual(data.persistentVolumeClaim, { claimName: claim });
  else assert.deepEqual(data.emptyDir, {});
}

const OIDC_CLIENT_SECRET = "oidc-Cl1ent-s3cret";
/** Every oidc value set. */
const OIDC_FULL = {
  issuerUrl: "https://login.example.com/realms/ops",
  clientId: "kube-dashboard",
  clientSecret: OIDC_CLIENT_SECRET,
  providerName: "Example SSO",
  scopes: ["openid", "profile", "email", "groups", "offline_access"],
  usernameClaim: "email",
  groupsClaim: "roles",
  allowedGroups: ["platform", "oidc:devs", "devs@example.com"],
  roleMapping: {
    z: "none",
    "platform-admins": "admin",
    developers: "editor",
    "oidc:viewers": "viewer",
  },
  defaultRole: "viewer",
  localLogin: false,
};

const cases: Array<{ name: string; values: Record<string, unknown>; check(ms: Manifest[]): void }> =
  [
    {
      name: "PGlite (the defaults)",
      values: base(),
      check: (ms) => {
        checkPglite(ms, FULL);
        checkGenerated(ms, ["key", "password"]);
        const pvc = one(ms, "PersistentVolumeClaim", FULL);
        assert.deepEqual(pvc.spec.accessModes, ["ReadWriteOnce"]);
        assert.equal(pvc.spec.resources.requests.storage, "2Gi");
        assert.equal(pvc.spec.storageClassName, undefined, "the default StorageClass");
        assert.equal(pvc.metadata.annotations?.["helm.sh/resource-policy"], "keep");
        assert.equal(container(ms).image, `ghcr.io/kube-dashboard/dashboard:${VERSION}`);
        assert.equal(one(ms, "Service", FULL).spec.type, "ClusterIP");
        assert.equal(one(ms, "Service", `${FULL}-grpc`).spec.type, "ClusterIP");
        assert.equal(one(ms, "Service", `${FULL}-grpc`).spec.ports[0].port, 9090);
        assert.equal(all(ms, "Ingress").length, 0);
        const c = config(ms);
        assert.equal(c.PUBLIC_URL, PUBLIC_URL);
        assert.equal(c.GRPC_PUBLIC_ADDR, undefined, "the dashboard derives it from PUBLIC_URL");
        assert.equal(c.AGENT_IMAGE, undefined, "the dashboard's own default");
        assert.equal(c.HTTP_INSECURE, undefined);
        assert.equal(c.LOG_LEVEL, "info");
        assert.equal(c.AGENT_HEARTBEAT_SECONDS, "10");
        assert.equal(c.IMPERSONATION_PREFIX, "dashboard:");
        assert.deepEqual(oidcVars(ms), [], "no single sign-on: no OIDC_* variable at all");
      },
    },
    {
      name: "PostgreSQL, 3 replicas",
      values: base({ replicas: 3, database: { url: PG_URL } }),
      check: (ms) => {
        checkPostgres(ms, { replicas: 3, peerUrl: "https://$(POD_IP):8080" });
        checkGenerated(ms, ["key", "password"]);
        const pdb = one(ms, "PodDisruptionBudget");
        assert.deepEqual(pdb.spec, {
          maxUnavailable: 1,
          selector: { matchLabels: one(ms, "Deployment").spec.selector.matchLabels },
        });
        assert.equal(b64(one(ms, "Secret", DB_SECRET).data["database-url"]), PG_URL);
        assert.deepEqual(secretRef(ms, "DATABASE_URL"), { name: DB_SECRET, key: "database-url" });
        assert.ok(!JSON.stringify(one(ms, "Deployment")).includes("s3cret"));
      },
    },
    {
      name: "PostgreSQL from an existing Secret, minAvailable, IPv6, plain HTTP",
      values: base({
        replicas: 4,
        database: { existingSecret: "pg", existingSecretKey: "uri" },
        podDisruptionBudget: { minAvailable: 3 },
        peer: { ipFamily: "IPv6" },
        http: { insecure: true },
      }),
      check: (ms) => {
        checkPostgres(ms, { replicas: 4, peerUrl: "http://[$(POD_IP)]:8080" });
        assert.equal(one(ms, "PodDisruptionBudget").spec.minAvailable, 3);
        assert.equal(one(ms, "PodDisruptionBudget").spec.maxUnavailable, undefined);
        assert.deepEqual(secretRef(ms, "DATABASE_URL"), { name: "pg", key: "uri" });
        assert.equal(all(ms, "Secret").filter((s) => s.metadata.name === DB_SECRET).length, 0);
        assert.equal(config(ms).HTTP_INSECURE, "true");
      },
    },
    {
      name: "PostgreSQL, one replica: rolling, no PodDisruptionBudget",
      values: base({ database: { url: PG_URL }, podDisruptionBudget: { minAvailable: "50%" } }),
      check: (ms) => {
        checkPostgres(ms, { replicas: 1, peerUrl: "https://$(POD_IP):8080" });
        assert.equal(all(ms, "PodDisruptionBudget").length, 0);
      },
    },
    {
      name: "PostgreSQL, 2 replicas, PodDisruptionBudget off",
      values: base({
        replicas: 2,
        database: { url: PG_URL },
        podDisruptionBudget: { enabled: false },
      }),
      check: (ms) => assert.equal(all(ms, "PodDisruptionBudget").length, 0),
    },
    {
      name: "Ingress on",
      values: {
        publicUrl: "https://dash.example.com",
        ingress: {
          enabled: true,
          className: "nginx",
          host: "dash.example.com",
          annotations: { "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS" },
          tls: { secretName: "dash-tls" },
        },
      },
      check: (ms) => {
        const ing = one(ms, "Ingress");
        assert.equal(ing.spec.ingressClassName, "nginx");
        assert.deepEqual(ing.spec.tls, [{ hosts: ["dash.example.com"], secretName: "dash-tls" }]);
        assert.equal(
          ing.metadata.annotations?.["nginx.ingress.kubernetes.io/backend-protocol"],
          "HTTPS",
        );
        assert.deepEqual(ing.spec.rules, [{
          host: "dash.example.com",
          http: {
            paths: [{
              path: "/",
              pathType: "Prefix",
              backend: { service: { name: FULL, port: { name: "http" } } },
            }],
          },
        }]);
        assert.equal(config(ms).PUBLIC_URL, "https://dash.example.com");
      },
    },
    {
      name: "existing Secrets for the key and the password",
      values: base({
        encryptionKey: { existingSecret: "my-key", existingSecretKey: "k" },
        adminPassword: { existingSecret: "my-admin", existingSecretKey: "pw" },
      }),
      check: (ms) => {
        checkGenerated(ms, []);
        assert.equal(all(ms, "Secret").length, 0);
        assert.deepEqual(secretRef(ms, "ENCRYPTION_KEY"), { name: "my-key", key: "k" });
        assert.deepEqual(secretRef(ms, "ADMIN_PASSWORD"), { name: "my-admin", key: "pw" });
      },
    },
    {
      name: "PGlite on an existing claim",
      values: base({ persistence: { existingClaim: "dash-data" } }),
      check: (ms) => {
        checkPglite(ms, "dash-data");
        assert.equal(all(ms, "PersistentVolumeClaim").length, 0);
      },
    },
    {
      name: "PGlite without a StorageClass, 10Gi",
      values: base({ persistence: { storageClass: "-", size: "10Gi", annotations: { a: "b" } } }),
      check: (ms) => {
        const pvc = one(ms, "PersistentVolumeClaim");
        assert.equal(pvc.spec.storageClassName, "");
        assert.equal(pvc.spec.resources.requests.storage, "10Gi");
        assert.equal(pvc.metadata.annotations?.a, "b");
      },
    },
    {
      name: "PGlite without persistence",
      values: base({ persistence: { enabled: false } }),
      check: (ms) => {
        checkPglite(ms, null);
        assert.equal(all(ms, "PersistentVolumeClaim").length, 0);
      },
    },
    {
      name: "gRPC LoadBalancer and HTTP NodePort",
      values: base({
        service: {
          http: { type: "NodePort", port: 443, nodePort: 30443 },
          grpc: {
            type: "LoadBalancer",
            port: 9443,
            annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" },
            loadBalancerSourceRanges: ["203.0.113.0/24"],
            externalTrafficPolicy: "Local",
          },
        },
      }),
      check: (ms) => {
        const http = one(ms, "Service", FULL);
        assert.equal(http.spec.type, "NodePort");
        assert.deepEqual(http.spec.ports[0], {
          name: "http",
          port: 443,
          targetPort: "http",
          protocol: "TCP",
          nodePort: 30443,
        });
        const grpc = one(ms, "Service", `${FULL}-grpc`);
        assert.equal(grpc.spec.type, "LoadBalancer");
        assert.equal(grpc.spec.ports[0].port, 9443);
        assert.equal(
          grpc.metadata.annotations?.["service.beta.kubernetes.io/aws-load-balancer-type"],
          "nlb",
        );
        assert.deepEqual(grpc.spec.loadBalancerSourceRanges, ["203.0.113.0/24"]);
        assert.equal(grpc.spec.externalTrafficPolicy, "Local");
      },
    },
    {
      name: "settings, image by digest, extra env and volumes",
      values: {
        publicUrl: "https://dash.example.com:8443",
        grpcPublicAddr: "agents.example.com:443",
        agentImage: "mirror.local:5000/kd/dashboard-agent:1.2.3",
        impersonationPrefix: "kd-",
        logLevel: "debug",
        agentHeartbeatSeconds: 0.5,
        image: {
          repository: "mirror.local:5000/kd/dashboard",
          digest: `sha256:${"ab".repeat(32)}`,
        },
        imagePullSecrets: [{ name: "regcred" }],
        extraEnv: [{ name: "SESSION_TTL_HOURS", value: "8" }],
        extraVolumes: [{ name: "certs", secret: { secretName: "dash-certs" } }],
        extraVolumeMounts: [{ name: "certs", mountPath: "/certs", readOnly: true }],
        serviceAccount: { annotations: { "example.com/role": "x" } },
      },
      check: (ms) => {
        assert.deepEqual(
          Object.fromEntries(
            [
              "PUBLIC_URL",
              "GRPC_PUBLIC_ADDR",
              "AGENT_IMAGE",
              "IMPERSONATION_PREFIX",
              "LOG_LEVEL",
              "AGENT_HEARTBEAT_SECONDS",
            ].map((k) => [k, config(ms)[k]]),
          ),
          {
            PUBLIC_URL: "https://dash.example.com:8443",
            GRPC_PUBLIC_ADDR: "agents.example.com:443",
            AGENT_IMAGE: "mirror.local:5000/kd/dashboard-agent:1.2.3",
            IMPERSONATION_PREFIX: "kd-",
            LOG_LEVEL: "debug",
            AGENT_HEARTBEAT_SECONDS: "0.5",
          },
        );
        assert.equal(
          container(ms).image,
          `mirror.local:5000/kd/dashboard@sha256:${"ab".repeat(32)}`,
        );
        assert.deepEqual(podSpec(ms).imagePullSecrets, [{ name: "regcred" }]);
        assert.equal(env(ms, "SESSION_TTL_HOURS")?.value, "8");
        assert.ok(podSpec(ms).volumes.some((v: { name: string }) => v.name === "certs"));
        assert.ok(
          container(ms).volumeMounts.some((m: { mountPath: string }) => m.mountPath === "/certs"),
        );
        assert.equal(one(ms, "ServiceAccount").metadata.annotations?.["example.com/role"], "x");
        assert.deepEqual(oidcVars(ms), []);
      },
    },
    {
      name: "single sign-on, every setting, the client secret in the chart's Secret",
      values: base({ oidc: OIDC_FULL }),
      check: (ms) => {
        assert.deepEqual(oidcConfig(ms), {
          OIDC_ISSUER_URL: "https://login.example.com/realms/ops",
          OIDC_CLIENT_ID: "kube-dashboard",
          OIDC_PROVIDER_NAME: "Example SSO",
          OIDC_SCOPES: "openid profile email groups offline_access",
          OIDC_USERNAME_CLAIM: "email",
          OIDC_GROUPS_CLAIM: "roles",
          OIDC_ALLOWED_GROUPS: "platform,oidc:devs,devs@example.com",
          // Sorted by group, whatever the order in the values.
          OIDC_ROLE_MAPPING: "developers=editor,oidc:viewers=viewer,platform-admins=admin,z=none",
          OIDC_DEFAULT_ROLE: "viewer",
          OIDC_LOCAL_LOGIN: "false",
        });
        assert.deepEqual(secretRef(ms, "OIDC_CLIENT_SECRET"), {
          name: OIDC_SECRET,
          key: "client-secret",
        });
        const secret = one(ms, "Secret", OIDC_SECRET);
        assert.equal(b64(secret.data["client-secret"]), OIDC_CLIENT_SECRET);
        assert.equal(secret.metadata.annotations?.["helm.sh/resource-policy"], undefined);
        assert.ok(!JSON.stringify(one(ms, "ConfigMap")).includes(OIDC_CLIENT_SECRET));
        assert.ok(!JSON.stringify(one(ms, "Deployment")).includes(OIDC_CLIENT_SECRET));
        // A new client secret restarts the pods.
        assert.match(
          one(ms, "Deployment").spec.template.metadata.annotations["checksum/oidc"],
          /^[0-9a-f]{64}$/,
        );
        // The dashboard reads back exactly these settings from the pod's environment.
        const cfg = loadConfig(renderedEnv(ms));
        assert.equal(cfg.localLogin, false);
        assert.deepEqual(cfg.oidc, {
          issuerUrl: "https://login.example.com/realms/ops",
          clientId: "kube-dashboard",
          clientSecret: OIDC_CLIENT_SECRET,
          providerName: "Example SSO",
          scopes: ["openid", "profile", "email", "groups", "offline_access"],
          usernameClaim: "email",
          groupsClaim: "roles",
          allowedGroups: ["platform", "oidc:devs", "devs@example.com"],
          roleMapping: new Map([
            ["developers", "editor"],
            ["oidc:viewers", "viewer"],
            ["platform-admins", "admin"],
            ["z", "none"],
          ]),
          defaultRole: "viewer",
        });
      },
    },
    {
      name: "single sign-on, the client secret from an existing Secret, the dashboard's defaults",
      values: base({
        oidc: {
          issuerUrl: "https://login.example.com",
          clientId: "kd",
          existingSecret: "sso",
          existingSecretKey: "secret",
        },
      }),
      check: (ms) => {
        assert.deepEqual(oidcConfig(ms), {
          OIDC_ISSUER_URL: "https://login.example.com",
          OIDC_CLIENT_ID: "kd",
        });
        assert.deepEqual(secretRef(ms, "OIDC_CLIENT_SECRET"), { name: "sso", key: "secret" });
        assert.equal(all(ms, "Secret").filter((s) => s.metadata.name === OIDC_SECRET).length, 0);
        const annotations = one(ms, "Deployment").spec.template.metadata.annotations;
        assert.equal(annotations["checksum/oidc"], undefined);
        const cfg = loadConfig({ ...renderedEnv(ms), OIDC_CLIENT_SECRET: "from-your-secret" });
        assert.equal(cfg.localLogin, true);
        assert.equal(cfg.oidc?.providerName, "login.example.com");
        assert.deepEqual(cfg.oidc?.scopes, ["openid", "profile", "email", "groups"]);
        assert.equal(cfg.oidc?.usernameClaim, "preferred_username");
        assert.equal(cfg.oidc?.groupsClaim, "groups");
        assert.equal(cfg.oidc?.defaultRole, "none");
        assert.equal(cfg.oidc?.clientSecret, "from-your-secret");
      },
    },
    {
      name: "single sign-on, a public client (no secret), password sign-in kept",
      values: base({
        oidc: { issuerUrl: "http://127.0.0.1:5556/dex", clientId: "kd", localLogin: true },
      }),
      check: (ms) => {
        assert.deepEqual(oidcVars(ms), ["OIDC_CLIENT_ID", "OIDC_ISSUER_URL"]);
        assert.equal(all(ms, "Secret").filter((s) => s.metadata.name === OIDC_SECRET).length, 0);
        const cfg = loadConfig(renderedEnv(ms));
        assert.equal(cfg.oidc?.clientSecret, undefined, "PKCE only");
        assert.equal(cfg.localLogin, true);
      },
    },
    {
      name: "single sign-on settings without issuerUrl render nothing",
      values: base({
        oidc: { providerName: "SSO", scopes: ["openid"], defaultRole: "viewer", localLogin: true },
      }),
      check: (ms) => assert.deepEqual(oidcVars(ms), []),
    },
  ];

const invalid: Array<{ name: string; values: Record<string, unknown>; error: RegExp }> = [
  {
    name: "two replicas on PGlite",
    values: base({ replicas: 2 }),
    error: /at '\/replicas': maximum: got 2, want 1/,
  },
  {
    name: "database.url and existingSecret together",
    values: base({ database: { url: PG_URL, existingSecret: "pg" } }),
    error: /at '\/database\/existingSecret': maxLength: got 2, want 0/,
  },
  {
    name: "database.url not postgres://",
    values: base({ database: { url: "mysql://db/x" } }),
    error: /at '\/database\/url': 'mysql:\/\/db\/x' does not match pattern/,
  },
  {
    name: "zero replicas",
    values: base({ replicas: 0 }),
    error: /at '\/replicas': minimum: got 0/,
  },
  {
    name: "no publicUrl",
    values: {},
    error: /missing property 'publicUrl'/,
  },
  {
    name: "Ingress without a host",
    values: { publicUrl: "https://d.example.com", ingress: { enabled: true } },
    error: /at '\/ingress\/host': minLength: got 0, want 1/,
  },
  {
    name: "publicUrl with a path",
    values: { publicUrl: "https://d.example.com/dash" },
    error: /at '\/publicUrl': .* does not match pattern/,
  },
  {
    name: "grpcPublicAddr without a port",
    values: base({ grpcPublicAddr: "agents.example.com" }),
    error: /at '\/grpcPublicAddr': .* does not match pattern/,
  },
  {
    name: "unknown service type",
    values: base({
      service: { http: { type: "ClusterIP", port: 8080 }, grpc: { type: "Ingress", port: 9090 } },
    }),
    error:
      /at '\/service\/grpc\/type': value must be one of 'ClusterIP', 'NodePort', 'LoadBalancer'/,
  },
  {
    name: "log level",
    values: base({ logLevel: "trace" }),
    error: /at '\/logLevel': value must be one of 'debug', 'info', 'warn', 'error'/,
  },
  {
    name: "heartbeat out of range",
    values: base({ agentHeartbeatSeconds: 120 }),
    error: /at '\/agentHeartbeatSeconds': maximum: got 120, want 60/,
  },
  {
    name: "impersonationPrefix without a separator",
    values: base({ impersonationPrefix: "dashboard" }),
    error: /at '\/impersonationPrefix': 'dashboard' does not match pattern/,
  },
  {
    name: "agentImage with capitals",
    values: base({ agentImage: "Registry/Agent:1" }),
    error: /at '\/agentImage': .* does not match pattern/,
  },
  {
    name: "image digest not sha256",
    values: base({ image: { repository: "r.io/dash", digest: "sha256:abc" } }),
    error: /at '\/image\/digest': 'sha256:abc' does not match pattern/,
  },
  {
    name: "grace period under the drain",
    values: base({ terminationGracePeriodSeconds: 5 }),
    error: /at '\/terminationGracePeriodSeconds': minimum: got 5, want 15/,
  },
  {
    name: "persistence size not a quantity",
    values: base({ persistence: { size: "lots" } }),
    error: /at '\/persistence\/size': 'lots' does not match pattern/,
  },
  {
    name: "existing Secret name not a DNS name",
    values: base({ encryptionKey: { existingSecret: "My Key" } }),
    error: /at '\/encryptionKey\/existingSecret': 'My Key' does not match pattern/,
  },
  {
    name: "peer ipFamily",
    values: base({ peer: { ipFamily: "IPv5" } }),
    error: /at '\/peer\/ipFamily': value must be one of 'IPv4', 'IPv6'/,
  },
  {
    name: "oidc: a role that is not one",
    values: base({ oidc: { ...OIDC_FULL, roleMapping: { developers: "owner" } } }),
    error:
      /at '\/oidc\/roleMapping\/developers': value must be one of 'admin', 'editor', 'viewer', 'none'/,
  },
  {
    name: "oidc: defaultRole not a role",
    values: base({ oidc: { ...OIDC_FULL, defaultRole: "root" } }),
    error: /at '\/oidc\/defaultRole': value must be one of '', 'admin', 'editor', 'viewer', 'none'/,
  },
  {
    name: "oidc: a mapped group name the dashboard refuses",
    values: base({ oidc: { ...OIDC_FULL, roleMapping: { "Platform Admins": "admin" } } }),
    error: /at '\/oidc\/roleMapping': additional properties 'Platform Admins' not allowed/,
  },
  {
    name: "oidc: an allowed group with capitals",
    values: base({ oidc: { ...OIDC_FULL, allowedGroups: ["Platform"] } }),
    error: /at '\/oidc\/allowedGroups\/0': 'Platform' does not match pattern/,
  },
  {
    name: "oidc: issuer over plain http, not localhost",
    values: base({ oidc: { ...OIDC_FULL, issuerUrl: "http://login.example.com" } }),
    error: /at '\/oidc\/issuerUrl': 'http:\/\/login\.example\.com' does not match pattern/,
  },
  {
    name: "oidc: issuer without a scheme",
    values: base({ oidc: { ...OIDC_FULL, issuerUrl: "login.example.com" } }),
    error: /at '\/oidc\/issuerUrl': 'login\.example\.com' does not match pattern/,
  },
  {
    name: "oidc: issuer with a query",
    values: base({ oidc: { ...OIDC_FULL, issuerUrl: "https://login.example.com/?realm=ops" } }),
    error: /at '\/oidc\/issuerUrl': .* does not match pattern/,
  },
  {
    name: "oidc: issuerUrl without clientId",
    values: base({ oidc: { issuerUrl: "https://login.example.com" } }),
    error: /at '\/oidc\/clientId': minLength: got 0, want 1/,
  },
  {
    name: "oidc: scopes without openid",
    values: base({ oidc: { ...OIDC_FULL, scopes: ["profile", "email"] } }),
    error: /at '\/oidc\/scopes': no items match contains schema\n.*value must be 'openid'/,
  },
  {
    name: "oidc: a claim name with a space",
    values: base({ oidc: { ...OIDC_FULL, groupsClaim: "my groups" } }),
    error: /at '\/oidc\/groupsClaim': 'my groups' does not match pattern/,
  },
  {
    name: "oidc: clientSecret and existingSecret together",
    values: base({ oidc: { ...OIDC_FULL, existingSecret: "sso" } }),
    error: /at '\/oidc\/existingSecret': maxLength: got 3, want 0/,
  },
  {
    name: "oidc: localLogin not a boolean",
    values: base({ oidc: { ...OIDC_FULL, localLogin: "no" } }),
    error: /at '\/oidc\/localLogin': got string, want boolean/,
  },
  {
    name: "oidc: misspelt key",
    values: base({ oidc: { ...OIDC_FULL, clientID: "kd" } }),
    error: /at '\/oidc': additional properties 'clientID' not allowed/,
  },
  {
    name: "misspelt key",
    values: base({ replica: 2 }),
    error: /additional properties 'replica' not allowed/,
  },
  {
    name: "misspelt nested key",
    values: base({ database: { URL: PG_URL } }),
    error: /at '\/database': additional properties 'URL' not allowed/,
  },
];

Deno.test("dashboard chart: metadata, lint, rendering per values, refusals", async (t) => {
  const cp = await sharedControlPlane();

  await t.step(
    "Chart.yaml is kube-dashboard at VERSION; the image matches the agent's",
    async () => {
      const chart = parseYaml((await cp.helm(["show", "chart", CHART])).stdout) as Record<
        string,
        string
      >;
      assert.equal(chart.name, "kube-dashboard");
      assert.equal(chart.version, VERSION);
      assert.equal(chart.appVersion, VERSION);
      const values = parseYaml(await Deno.readTextFile(`${CHART}/values.yaml`)) as {
        image: { repository: string };
      };
      // ghcr.io/kube-dashboard/dashboard beside ghcr.io/kube-dashboard/dashboard-agent.
      assert.equal(`${values.image.repository}-agent:${VERSION}`, DEFAULT_AGENT_IMAGE);
    },
  );

  await t.step("the schema's group names and roles are the dashboard's", async () => {
    const schema = JSON.parse(await Deno.readTextFile(`${CHART}/values.schema.json`));
    assert.equal(schema.definitions.groupName.pattern, GROUP_PATTERN.source);
    const oidc = schema.properties.oidc.properties;
    assert.deepEqual(Object.keys(oidc.roleMapping.patternProperties), [GROUP_PATTERN.source]);
    assert.deepEqual(schema.definitions.role.enum, [...globalRoles]);
    assert.deepEqual(oidc.defaultRole.enum, ["", ...globalRoles]);
  });

  await t.step("helm lint --strict passes for every values combination", async () => {
    for (const { name, values } of cases) {
      const r = await cp.helm(["lint", "--strict", CHART, "--namespace", NS, "--values", "-"], {
        stdin: JSON.stringify(values),
      });
      assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  for (const { name, values, check } of cases) {
    await t.step(`helm template: ${name}`, async () => {
      const r = await template(cp, values);
      assert.equal(r.code, 0, r.stderr);
      const ms = manifests(r.stdout);
      checkInvariants(ms, name);
      check(ms);
    });
  }

  await t.step("refused by the template too, in words, when the schema is skipped", async () => {
    const schema = await template(cp, base({ replicas: 2 }));
    assert.notEqual(schema.code, 0);
    assert.match(schema.stderr, /at '\/replicas': maximum: got 2, want 1/);
    const cases: Array<[values: Record<string, unknown>, error: RegExp]> = [
      [
        base({ replicas: 2 }),
        /replicas: 2 needs PostgreSQL: set database\.url or database\.existingSecret/,
      ],
      [{}, /publicUrl is required: the dashboard's https:\/\/ address/],
      // The schema's pattern says what is allowed; the template names what is not.
      [base({ impersonationPrefix: "system:" }), /impersonationPrefix must not start with system:/],
      [
        base({ oidc: { issuerUrl: "https://login.example.com" } }),
        /oidc\.clientId is required with oidc\.issuerUrl: the client id registered at the provider/,
      ],
      [
        base({ oidc: { ...OIDC_FULL, scopes: ["profile"] } }),
        /oidc\.scopes \["profile"\] must include openid/,
      ],
      [
        base({
          oidc: {
            clientId: "kd",
            clientSecret: "x",
            roleMapping: { a: "admin" },
            localLogin: true,
          },
        }),
        /oidc\.clientId, oidc\.clientSecret, oidc\.roleMapping set without oidc\.issuerUrl: set the provider's issuer URL/,
      ],
      [
        base({ oidc: { localLogin: false } }),
        /oidc\.localLogin false needs single sign-on: set oidc\.issuerUrl \(without it nobody could sign in\)/,
      ],
    ];
    for (const [values, error] of cases) {
      const r = await template(cp, values, ["--skip-schema-validation"]);
      assert.notEqual(r.code, 0, JSON.stringify(values));
      assert.match(r.stderr, error);
    }
    // impersonationPrefix "system:" passes the schema's pattern: the template refuses it.
    const r = await template(cp, base({ impersonationPrefix: "system:" }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /impersonationPrefix must not start with system:/);
    // Single sign-on settings without an issuer pass the schema: the template refuses them.
    for (
      const [values, error] of [
        [{ localLogin: false }, /oidc\.localLogin false needs single sign-on: set oidc\.issuerUrl/],
        [{ clientId: "kd" }, /oidc\.clientId set without oidc\.issuerUrl/],
        [{ existingSecret: "sso" }, /oidc\.existingSecret set without oidc\.issuerUrl/],
        [{ allowedGroups: ["devs"] }, /oidc\.allowedGroups set without oidc\.issuerUrl/],
      ] as const
    ) {
      const r = await template(cp, base({ oidc: values }));
      assert.notEqual(r.code, 0, JSON.stringify(values));
      assert.doesNotMatch(r.stderr, /values don't meet the specifications of the schema/);
      assert.match(r.stderr, error);
    }
  });

  await t.step("NOTES: the redirect URI to register, with single sign-on", async () => {
    const notes = async (values: Record<string, unknown>) => {
      const r = await cp.helm(
        ["install", RELEASE, CHART, "--dry-run=client", "--namespace", NS, "--values", "-"],
        { stdin: JSON.stringify(values) },
      );
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.slice(r.stdout.indexOf("NOTES:"));
    };
    const plain = await notes(base());
    assert.doesNotMatch(plain, /oidc|single sign-on/i);
    assert.match(plain, /get secret kube-dashboard-admin-password/);
    const sso = await notes(base({
      publicUrl: "https://dash.example.com/",
      oidc: { issuerUrl: "https://login.example.com", clientId: "kd" },
    }));
    const lines = sso.split("\n").filter((l) => l.includes("/auth/oidc/callback"));
    assert.equal(lines.length, 1, sso);
    assert.match(
      lines[0],
      /register the redirect URI https:\/\/dash\.example\.com\/auth\/oidc\/callback at the provider \(post-logout redirect URI https:\/\/dash\.example\.com\/login\)/,
    );
    assert.match(sso, /get secret kube-dashboard-admin-password/, "password sign-in is still on");
    const ssoOnly = await notes(base({ oidc: OIDC_FULL }));
    assert.match(ssoOnly, /password sign-in is off \(oidc\.localLogin false\)/);
    assert.doesNotMatch(ssoOnly, /get secret kube-dashboard-admin-password/);
    assert.doesNotMatch(ssoOnly, new RegExp(OIDC_CLIENT_SECRET));
  });

  for (const { name, values, error } of invalid) {
    await t.step(`invalid values fail with a schema error: ${name}`, async () => {
      const r = await template(cp, values);
      assert.notEqual(r.code, 0, name);
      assert.match(r.stderr, /values don't meet the specifications of the schema/);
      assert.match(r.stderr, error);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Real installs

/** A namespace where admission enforces the "restricted" Pod Security Standard. */
async function restrictedNamespace(cp: ControlPlane, name: string): Promise<void> {
  const r = await kubeRequest(cp, "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    },
  });
  assert.ok(r.status === 201 || r.status === 409, JSON.stringify(r.body));
}

async function get(cp: ControlPlane, path: string): Promise<Manifest> {
  const r = await kubeRequest(cp, "GET", path);
  assert.equal(r.status, 200, `GET ${path}: ${JSON.stringify(r.body)}`);
  return r.body as Manifest;
}

/** The decoded data of a Secret. */
async function secretData(cp: ControlPlane, ns: string, name: string) {
  const s = await get(cp, `/api/v1/namespaces/${ns}/secrets/${name}`);
  return Object.fromEntries(
    Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, b64(v)]),
  );
}

/**
 * The environment the Deployment's container gets, resolved as the kubelet would: envFrom
 * ConfigMaps, secretKeyRefs, status.podIP (127.0.0.1 here) and $(VAR) references.
 */
async function podEnvironment(cp: ControlPlane, ns: string): Promise<Record<string, string>> {
  const dep = await get(cp, `/apis/apps/v1/namespaces/${ns}/deployments/${FULL}`);
  const c = dep.spec.template.spec.containers[0];
  const out: Record<string, string> = {};
  for (const from of c.envFrom as Array<{ configMapRef: { name: string } }>) {
    const cm = await get(cp, `/api/v1/namespaces/${ns}/configmaps/${from.configMapRef.name}`);
    Object.assign(out, cm.data);
  }
  for (const e of c.env as EnvVar[]) {
    if (e.value !== undefined) {
      out[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) => out[v] ?? m);
    } else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      out[e.name] = (await secretData(cp, ns, name))[key];
    } else if (e.valueFrom?.fieldRef?.fieldPath === "status.podIP") {
      out[e.name] = "127.0.0.1";
    } else {
      throw new Error(`unexpected env ${JSON.stringify(e)}`);
    }
  }
  return out;
}

/**
 * Starts the REAL dashboard with the pod's environment (listening on this host instead of the
 * pod's 0.0.0.0:8080/9090, DATA_DIR in `dataDir`), signs in as admin with `password`, and stops.
 */
async function signInAsPod(
  podEnv: Record<string, string>,
  dataDir: string,
  password: string,
): Promise<void> {
  const cfg = loadConfig({
    ...podEnv,
    HTTP_ADDR: "127.0.0.1:0",
    GRPC_ADDR: "127.0.0.1:0",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
  });
  const d = await startDashboard(cfg);
  const client = Deno.createHttpClient({ caCerts: d.httpCaPem ? [d.httpCaPem] : undefined });
  try {
    const res = await fetch(`${d.url}/api/auth/login`, {
      client,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }),
    } as RequestInit);
    const body = await res.text();
    assert.equal(res.status, 200, body);
  } finally {
    await d.stop();
    client.close();
  }
  // ENCRYPTION_KEY came from the Secret: no key file was created.
  await assert.rejects(Deno.stat(`${dataDir}/encryption.key`), Deno.errors.NotFound);
}

/** Runs the exact command NOTES prints for the admin password; returns its output. */
async function runNotesPasswordCommand(cp: ControlPlane, notes: string): Promise<string> {
  const line = notes.split("\n").map((l) => l.trim()).find((l) =>
    l.startsWith("kubectl ") && l.includes(" get secret ") && l.includes("base64 -d")
  );
  assert.ok(line, `NOTES names the command that reads the password:\n${notes}`);
  const out = await new Deno.Command("bash", {
    args: ["-c", line],
    env: {
      PATH: `${cp.binDir}:/usr/bin:/bin`,
      KUBECONFIG: cp.kubeconfigPath,
      HOME: await Deno.makeTempDir({ prefix: "notes-home-" }),
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.equal(out.code, 0, dec.decode(out.stderr));
  return dec.decode(out.stdout).trim();
}

Deno.test("dashboard chart: installs in both storage modes; upgrades keep the generated secrets", async (t) => {
  const cp = await sharedControlPlane();
  const pg = await freshPostgresDb();
  try {
    const modes: Array<{
      name: string;
      ns: string;
      values: Record<string, unknown>;
      replicas: number;
      objects: string[];
    }> = [
      {
        name: "PGlite",
        ns: "kd-pglite",
        values: base(),
        replicas: 1,
        objects: [`/api/v1/namespaces/kd-pglite/persistentvolumeclaims/${FULL}`],
      },
      {
        name: "PostgreSQL, 3 replicas, Ingress, gRPC LoadBalancer",
        ns: "kd-postgres",
        values: {
          replicas: 3,
          database: { url: pg.url },
          publicUrl: PUBLIC_URL,
          grpcPublicAddr: "agents.example.com:9090",
          ingress: {
            enabled: true,
            className: "nginx",
            host: "dash.example.com",
            tls: { secretName: "dash-tls" },
          },
          service: {
            http: { type: "ClusterIP", port: 8080 },
            grpc: {
              type: "LoadBalancer",
              port: 9090,
              annotations: { "example.com/lb": "internal" },
            },
          },
        },
        replicas: 3,
        objects: [
          `/apis/policy/v1/namespaces/kd-postgres/poddisruptionbudgets/${FULL}`,
          `/apis/networking.k8s.io/v1/namespaces/kd-postgres/ingresses/${FULL}`,
          `/api/v1/namespaces/kd-postgres/secrets/${DB_SECRET}`,
        ],
      },
    ];
    for (const m of modes) {
      await t.step(m.name, async () => {
        const { ns } = m;
        await restrictedNamespace(cp, ns);
        const helm = (verb: string, values: unknown) =>
          cp.helm([verb, RELEASE, CHART, "--namespace", ns, "--values", "-"], {
            stdin: JSON.stringify(values),
          });
        const inst = await helm("install", m.values);
        assert.equal(inst.code, 0, inst.stderr);
        assert.doesNotMatch(inst.stderr, /PodSecurity|would violate/, "restricted admits the pod");

        // The objects exist, as the API server validated and stored them.
        for (
          const path of [
            `/apis/apps/v1/namespaces/${ns}/deployments/${FULL}`,
            `/api/v1/namespaces/${ns}/configmaps/${FULL}`,
            `/api/v1/namespaces/${ns}/services/${FULL}`,
            `/api/v1/namespaces/${ns}/services/${FULL}-grpc`,
            `/api/v1/namespaces/${ns}/serviceaccounts/${FULL}`,
            `/api/v1/namespaces/${ns}/secrets/${ENC_SECRET}`,
            `/api/v1/namespaces/${ns}/secrets/${PW_SECRET}`,
            ...m.objects,
          ]
        ) {
          await get(cp, path);
        }
        // The controller-manager made the pods: the restricted namespace admitted them.
        await eventually(`${m.replicas} pods created`, async () => {
          const pods = await kubeRequest(
            cp,
            "GET",
            `/api/v1/namespaces/${ns}/pods?labelSelector=app.kubernetes.io/instance=${RELEASE}`,
          );
          return (pods.body as { items: unknown[] }).items.length === m.replicas;
        });
        const pods = (await kubeRequest(
          cp,
          "GET",
          `/api/v1/namespaces/${ns}/pods?labelSelector=app.kubernetes.io/instance=${RELEASE}`,
        )).body as { items: Manifest[] };
        for (const p of pods.items) {
          assert.equal(p.spec.automountServiceAccountToken, false);
          assert.ok(
            !p.spec.volumes.some((v: { projected?: unknown }) => v.projected),
            "no ServiceAccount token volume",
          );
        }

        const before = {
          key: await secretData(cp, ns, ENC_SECRET),
          password: await secretData(cp, ns, PW_SECRET),
        };
        assert.equal(await runNotesPasswordCommand(cp, inst.stdout), before.password.password);

        // The real dashboard accepts the pod's environment and the generated password.
        const dataDir = await Deno.makeTempDir({ prefix: "kd-chart-data-" });
        await signInAsPod(await podEnvironment(cp, ns), dataDir, before.password.password);

        // An upgrade with other values keeps both generated values.
        const up = await helm("upgrade", { ...m.values, logLevel: "debug" });
        assert.equal(up.code, 0, up.stderr);
        const cm = await get(cp, `/api/v1/namespaces/${ns}/configmaps/${FULL}`);
        assert.equal(cm.data.LOG_LEVEL, "debug", "the upgrade did apply");
        assert.deepEqual(await secretData(cp, ns, ENC_SECRET), before.key);
        assert.deepEqual(await secretData(cp, ns, PW_SECRET), before.password);
        assert.equal(await runNotesPasswordCommand(cp, up.stdout), before.password.password);
        if (m.name.startsWith("PostgreSQL")) {
          // A replica on the same database with the kept key opens the CA it sealed (a new key
          // could not), and the admin's password still signs in.
          const other = await Deno.makeTempDir({ prefix: "kd-chart-data-" });
          await signInAsPod(await podEnvironment(cp, ns), other, before.password.password);
        }

        // Uninstall leaves the generated Secrets (and PGlite's claim); a reinstall adopts them.
        const un = await cp.helm(["uninstall", RELEASE, "--namespace", ns]);
        assert.equal(un.code, 0, un.stderr);
        assert.match(un.stdout, new RegExp(`${ENC_SECRET}`), "helm reports what it keeps");
        assert.deepEqual(await secretData(cp, ns, ENC_SECRET), before.key);
        assert.deepEqual(await secretData(cp, ns, PW_SECRET), before.password);
        const again = await helm("install", m.values);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(await secretData(cp, ns, ENC_SECRET), before.key);
        assert.deepEqual(await secretData(cp, ns, PW_SECRET), before.password);
        assert.equal((await cp.helm(["uninstall", RELEASE, "--namespace", ns])).code, 0);
      });
    }
  } finally {
    await pg.drop();
  }
});

// ---------------------------------------------------------------------------------------------
// Served by the dashboard

Deno.test("dashboard chart: the dashboard serves it, packed, beside the agent's", async (t) => {
  const cp = await sharedControlPlane();
  const dash = await startTestDashboard();
  try {
    const file = `kube-dashboard-${VERSION}.tgz`;
    const path = `/api/agents/charts/${file}`;
    let bytes = new Uint8Array();

    await t.step(`GET ${path}, no credentials: the packed chart`, async () => {
      const res = await dash.fetch(path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/gzip");
      bytes = new Uint8Array(await res.arrayBuffer());
      assert.deepEqual(bytes, await packChart(DASHBOARD_CHART.dir, DASHBOARD_CHART.name));
      assert.deepEqual(bytes, await chartBytes(DASHBOARD_CHART));
      const again = new Uint8Array(await (await dash.fetch(path)).arrayBuffer());
      assert.deepEqual(again, bytes, "the same bytes on every request");
      // ...and the agent's chart is still the agent's.
      const agent = await dash.fetch(`/api/agents/charts/dashboard-agent-${VERSION}.tgz`);
      assert.deepEqual(new Uint8Array(await agent.arrayBuffer()), await chartBytes(AGENT_CHART));
    });

    await t.step("the archive holds the chart, and nothing else", async () => {
      const dir = await Deno.makeTempDir({ prefix: "kd-chart-dl-" });
      await Deno.writeFile(`${dir}/${file}`, bytes);
      const list = await new Deno.Command("tar", {
        args: ["-tzf", `${dir}/${file}`],
        stdout: "piped",
      })
        .output();
      const names = new TextDecoder().decode(list.stdout).trim().split("\n").sort();
      const want: string[] = [];
      const walk = async (rel: string) => {
        for await (const e of Deno.readDir(`${CHART}/${rel}`)) {
          if (e.isDirectory) await walk(`${rel}${e.name}/`);
          else want.push(`kube-dashboard/${rel}${e.name}`);
        }
      };
      await walk("");
      assert.deepEqual(names, want.sort());
    });

    await t.step("helm renders it from the dashboard's URL", async () => {
      const caFile = await Deno.makeTempFile({ prefix: "kd-ca-", suffix: ".pem" });
      await Deno.writeTextFile(caFile, dash.d.httpCaPem!);
      const url = `${dash.d.url}${path}`;
      const show = await cp.helm(["show", "chart", url, "--ca-file", caFile]);
      assert.equal(show.code, 0, show.stderr);
      assert.equal((parseYaml(show.stdout) as { version: string }).version, VERSION);
      const r = await cp.helm(
        ["template", RELEASE, url, "--ca-file", caFile, "--namespace", NS, "--values", "-"],
        { stdin: JSON.stringify(base({ replicas: 3, database: { url: PG_URL } })) },
      );
      assert.equal(r.code, 0, r.stderr);
      const ms = manifests(r.stdout);
      checkInvariants(ms, "served");
      checkPostgres(ms, { replicas: 3, peerUrl: "https://$(POD_IP):8080" });
    });

    await t.step("unknown names are 404 and list what is served", async () => {
      const res = await dash.fetch(`/api/agents/charts/kube-dashboard-0.0.1.tgz`);
      assert.equal(res.status, 404);
      const body = await res.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, "not_found");
      assert.match(body.error.message, new RegExp(`dashboard-agent-${VERSION}\\.tgz`));
      assert.match(body.error.message, new RegExp(`kube-dashboard-${VERSION}\\.tgz`));
    });
  } finally {
    await dash.stop();
  }
});
