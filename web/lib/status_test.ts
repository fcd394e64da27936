import assert from "node:assert/strict";
import { clusterStatus, HEARTBEAT_STALE_MS, lastSeen, phaseTone } from "./status.ts";

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

Deno.test("clusterStatus derives label, tone and usability", () => {
  type Row = [string, Parameters<typeof clusterStatus>[0], string, string, boolean];
  const cases: Row[] = [
    [
      "kubeconfig connected",
      { connection_type: "kubeconfig", status: "connected", last_error: null },
      "Reachable",
      "green",
      true,
    ],
    [
      "kubeconfig unreachable",
      { connection_type: "kubeconfig", status: "unreachable", last_error: "dial tcp: refused" },
      "Unreachable",
      "red",
      false,
    ],
    [
      "kubeconfig pending",
      { connection_type: "kubeconfig", status: "pending", last_error: null },
      "Checking",
      "gray",
      false,
    ],
    [
      "agent connected",
      {
        connection_type: "agent",
        status: "connected",
        last_error: null,
        last_heartbeat_at: iso(12_000),
      },
      "Connected",
      "green",
      true,
    ],
    [
      "agent connected, no heartbeat field",
      { connection_type: "agent", status: "connected", last_error: null },
      "Connected",
      "green",
      true,
    ],
    [
      "agent stale heartbeat",
      {
        connection_type: "agent",
        status: "connected",
        last_error: null,
        last_heartbeat_at: iso(HEARTBEAT_STALE_MS + 1000),
      },
      "No heartbeat",
      "amber",
      true,
    ],
    [
      "agent reconnecting",
      { connection_type: "agent", status: "reconnecting", last_error: null },
      "Reconnecting",
      "amber",
      false,
    ],
    [
      "agent offline",
      { connection_type: "agent", status: "offline", last_error: "stream closed" },
      "Offline",
      "red",
      false,
    ],
    [
      "agent pending",
      { connection_type: "agent", status: "pending", last_error: null },
      "Waiting for agent",
      "blue",
      false,
    ],
    [
      "unknown status",
      { connection_type: "agent", status: "weird", last_error: null },
      "weird",
      "gray",
      false,
    ],
    [
      "empty status",
      { connection_type: "kubeconfig", status: "", last_error: null },
      "Unknown",
      "gray",
      false,
    ],
  ];
  for (const [name, input, label, tone, usable] of cases) {
    const got = clusterStatus(input, NOW);
    assert.equal(got.label, label, name);
    assert.equal(got.tone, tone, name);
    assert.equal(got.usable, usable, name);
    assert.ok(got.detail.endsWith("."), name);
  }
  assert.match(
    clusterStatus({
      connection_type: "kubeconfig",
      status: "unreachable",
      last_error: "dial tcp: refused",
    }, NOW).detail,
    /dial tcp: refused/,
  );
  assert.match(
    clusterStatus({
      connection_type: "agent",
      status: "connected",
      last_error: null,
      last_heartbeat_at: iso(6 * 60_000),
    }, NOW)
      .detail,
    /6 min ago/,
  );
});

Deno.test("lastSeen picks heartbeat for agents and check time for kubeconfig clusters", () => {
  assert.deepEqual(
    lastSeen({
      connection_type: "agent",
      status: "connected",
      last_error: null,
      last_heartbeat_at: iso(12_000),
    }, NOW),
    { label: "Last heartbeat", value: "12 s ago", at: iso(12_000) },
  );
  assert.deepEqual(
    lastSeen({
      connection_type: "kubeconfig",
      status: "connected",
      last_error: null,
      last_checked_at: iso(180_000),
    }, NOW),
    { label: "Last checked", value: "3 min ago", at: iso(180_000) },
  );
  assert.equal(
    lastSeen({ connection_type: "agent", status: "pending", last_error: null }, NOW).value,
    "never",
  );
});

Deno.test("phaseTone", () => {
  const cases: [string, string | null][] = [
    ["Running", "green"],
    ["Completed", "green"],
    ["Pending", "amber"],
    ["ContainerCreating", "amber"],
    ["Init:0/1", "amber"],
    ["Terminating", "amber"],
    ["CrashLoopBackOff", "red"],
    ["ImagePullBackOff", "red"],
    ["Error", "red"],
    ["Warning", "red"],
    ["ClusterIP", null],
    ["", null],
  ];
  for (const [v, want] of cases) assert.equal(phaseTone(v), want, v);
});
