// The page-side mapping of a cluster client's failure to the status a page answers with: the
// backend's ClusterUnavailableError carries it (the one client path's contract in web/deps.ts).
import assert from "node:assert/strict";
import { clientFailureStatus } from "./cluster_reader.ts";
import { ClusterUnavailableError } from "../../backend/cluster/client.ts";

Deno.test("clientFailureStatus answers with the status the client failed with", () => {
  const cases: [string, unknown, number][] = [
    [
      "agent not connected",
      new ClusterUnavailableError(503, "ServiceUnavailable", "no agent"),
      503,
    ],
    ["kubeconfig unreachable", new ClusterUnavailableError(502, "ServiceUnavailable", "x"), 502],
    ["agent refusal", new ClusterUnavailableError(429, "TooManyRequests", "busy"), 429],
    ["a plain error", new Error("boom"), 502],
    ["a status that is no HTTP error", Object.assign(new Error("x"), { status: 200 }), 502],
    ["a status that is not a number", Object.assign(new Error("x"), { status: "503" }), 502],
    ["null", null, 502],
  ];
  for (const [name, err, want] of cases) assert.equal(clientFailureStatus(err), want, name);
});
