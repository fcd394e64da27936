// Unit tests for the status an agent cluster shows, derived from its control stream and the last
// time anything was heard from it (heartbeat interval H): connected while live and heard within
// 2.5 H; reconnecting up to 9 H of silence; offline after; pending before it ever connected.
import assert from "node:assert/strict";
import { deriveAgentStatus } from "./liveness.ts";

Deno.test("deriveAgentStatus", () => {
  const H = 10_000;
  const now = 1_000_000;
  const cases: Array<{
    name: string;
    live: boolean;
    silentMs: number | null;
    heartbeatMs?: number;
    want: ReturnType<typeof deriveAgentStatus>;
  }> = [
    { name: "never connected", live: false, silentMs: null, want: "pending" },
    { name: "never heard, even if live", live: true, silentMs: null, want: "pending" },
    { name: "live, just heard", live: true, silentMs: 0, want: "connected" },
    { name: "live, one beat late", live: true, silentMs: 2 * H, want: "connected" },
    { name: "live, at the deadline", live: true, silentMs: 2.5 * H, want: "connected" },
    { name: "live, past the deadline", live: true, silentMs: 2.5 * H + 1, want: "reconnecting" },
    { name: "stream gone, just heard", live: false, silentMs: 0, want: "reconnecting" },
    { name: "stream gone, 5 H", live: false, silentMs: 5 * H, want: "reconnecting" },
    { name: "stream gone, at 9 H", live: false, silentMs: 9 * H, want: "reconnecting" },
    { name: "stream gone, past 9 H", live: false, silentMs: 9 * H + 1, want: "offline" },
    { name: "live but silent past 9 H", live: true, silentMs: 9 * H + 1, want: "offline" },
    { name: "clock skew (heard in the future)", live: true, silentMs: -500, want: "connected" },
    {
      name: "1 s heartbeats: 3 s silent",
      live: true,
      silentMs: 3_000,
      heartbeatMs: 1_000,
      want: "reconnecting",
    },
    {
      name: "1 s heartbeats: 10 s silent",
      live: false,
      silentMs: 10_000,
      heartbeatMs: 1_000,
      want: "offline",
    },
  ];
  for (const c of cases) {
    const heard = c.silentMs === null ? null : now - c.silentMs;
    assert.equal(deriveAgentStatus(c.live, heard, now, c.heartbeatMs ?? H), c.want, c.name);
  }
});
