// Table-driven tests of the page-route param rules (params.ts): every segment an API path is
// built from must be a Kubernetes name, never a path fragment.
import assert from "node:assert/strict";
import {
  InvalidParamError,
  isGroupVersion,
  type ResourceParams,
  validateResourceParams,
} from "./params.ts";

const ok: ResourceParams = { group: "core", version: "v1", resource: "pods" };

Deno.test("validateResourceParams accepts Kubernetes names", async (t) => {
  const cases: ResourceParams[] = [
    ok,
    { group: "apps", version: "v1", resource: "deployments", nsQuery: "" },
    { group: "apps", version: "v1", resource: "deployments", nsQuery: "kube-system" },
    { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles" },
    { group: "example.com", version: "v1beta1", resource: "widgets" },
    { group: "example.com", version: "v2alpha1", resource: "widgets" },
    { ...ok, ns: "default", name: "web-0" },
    { ...ok, ns: "_", name: "node-1.example.com" },
    { ...ok, ns: "_", name: "system:controller:job-controller" },
    { ...ok, ns: "default", name: "a".repeat(253) },
  ];
  for (const p of cases) {
    await t.step(JSON.stringify(p).slice(0, 100), () => {
      assert.deepEqual(validateResourceParams(p), p);
    });
  }
});

Deno.test("validateResourceParams refuses path fragments, naming the segment", async (t) => {
  const cases: Array<[Partial<ResourceParams>, string]> = [
    [{ version: "v1/../../logs/syslog" }, "API version"],
    [{ version: "../v1" }, "API version"],
    [{ version: "" }, "API version"],
    [{ version: "V1" }, "API version"],
    [{ version: "v1%2F.." }, "API version"],
    [{ version: "v1\u0000" }, "API version"],
    [{ group: "apps/../../debug" }, "API group"],
    [{ group: ".." }, "API group"],
    [{ group: "Apps" }, "API group"],
    [{ group: "apps." }, "API group"],
    [{ group: "" }, "API group"],
    [{ resource: "pods/../../metrics" }, "resource"],
    [{ resource: "pods/log" }, "resource"],
    [{ resource: ".." }, "resource"],
    [{ ns: "../../logs" }, "namespace"],
    [{ ns: "Default" }, "namespace"],
    [{ ns: "" }, "namespace"],
    [{ nsQuery: "a/b" }, "namespace"],
    [{ name: "" }, "object name"],
    [{ name: "." }, "object name"],
    [{ name: ".." }, "object name"],
    [{ name: "a/b" }, "object name"],
    [{ name: "..\\..\\x" }, "object name"],
    [{ name: "x%2e%2e" }, "object name"],
    [{ name: "x\ny" }, "object name"],
    [{ name: "x\u007fy" }, "object name"],
    [{ name: "a".repeat(254) }, "object name"],
  ];
  for (const [bad, param] of cases) {
    await t.step(`${JSON.stringify(bad).slice(0, 80)} → ${param}`, () => {
      const p = { ...ok, ...(bad.name !== undefined ? { ns: "default" } : {}), ...bad };
      assert.throws(
        () => validateResourceParams(p),
        (err: unknown) =>
          err instanceof InvalidParamError && err.param === param &&
          // deno-lint-ignore no-control-regex
          err.message.includes("is not valid") && !/[\u0000-\u001f]/.test(err.message),
      );
    });
  }
});

Deno.test("isGroupVersion: discovery group versions", async (t) => {
  const cases: Array<[string, boolean]> = [
    ["v1", true],
    ["apps/v1", true],
    ["rbac.authorization.k8s.io/v1", true],
    ["apps/../../logs", false],
    ["../v1", false],
    ["core/v1", false],
    ["apps/v1/x", false],
    ["", false],
    ["undefined", true],
  ];
  for (const [gv, want] of cases) {
    await t.step(`${gv} → ${want}`, () => assert.equal(isGroupVersion(gv), want));
  }
});
