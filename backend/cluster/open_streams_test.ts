// OpenStreams: the per-caller bound, and each reason a stream must end (its cluster deleted, its
// token no longer valid, shutdown) aborting exactly the streams it concerns, with the status a
// stream still opening is answered with.
import assert from "node:assert/strict";
import { OpenStreams, StreamEnded } from "./open_streams.ts";

Deno.test("OpenStreams bounds each caller, not everyone", () => {
  const open = new OpenStreams(() => Promise.resolve(true), { perCaller: 2, recheckMs: 60_000 });
  const a1 = open.open("c1", "kdt_a");
  const a2 = open.open("c2", "kdt_a");
  assert(a1 && a2);
  assert.equal(open.open("c1", "kdt_a"), null, "a third stream for the same caller is refused");
  const b1 = open.open("c1", "kdt_b");
  assert(b1, "another caller still may");
  a1.release();
  a1.release(); // twice is harmless
  const a3 = open.open("c1", "kdt_a");
  assert(a3, "a released slot is free again");
  for (const t of [a2, a3, b1]) t.release();
  assert.equal(open.size, 0);
});

Deno.test("OpenStreams ends the streams each event concerns", async (t) => {
  const valid = new Set(["kdt_a", "kdt_b"]);
  /** "<cluster> <token>": the person may no longer hold streams on that cluster. */
  const denied = new Set<string>();
  const open = new OpenStreams(
    (tok, cl) => Promise.resolve(valid.has(tok) && !denied.has(`${cl} ${tok}`)),
    {
      perCaller: 10,
      recheckMs: 60_000,
    },
  );
  const cases: Array<{
    name: string;
    act: () => Promise<void> | void;
    ends: (s: { cluster: string; token: string }) => boolean;
    reason: RegExp;
    /** The status a stream still opening is answered with (stream_proxy.ts). */
    status: number;
  }> = [
    {
      name: "cluster deleted",
      act: () => open.closeCluster("c1", "the cluster was deleted"),
      ends: (s) => s.cluster === "c1",
      reason: /deleted/,
      status: 404,
    },
    {
      name: "token no longer valid",
      act: async () => {
        valid.delete("kdt_b");
        await open.recheck();
      },
      ends: (s) => s.token === "kdt_b",
      reason: /no longer valid/,
      status: 403,
    },
    {
      name: "role on one cluster removed",
      act: async () => {
        denied.add("c2 kdt_a");
        await open.recheck();
      },
      ends: (s) => s.cluster === "c2" && s.token === "kdt_a",
      reason: /may no longer open streams on this cluster/,
      status: 403,
    },
    {
      name: "shutdown",
      act: () => open.closeAll("stopping"),
      ends: () => true,
      reason: /stopping/,
      status: 503,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      valid.add("kdt_b");
      denied.clear();
      const streams = [
        { cluster: "c1", token: "kdt_a" },
        { cluster: "c2", token: "kdt_a" },
        { cluster: "c2", token: "kdt_b" },
      ].map((s) => ({ ...s, ticket: open.open(s.cluster, s.token)! }));
      await c.act();
      for (const s of streams) {
        assert.equal(s.ticket.signal.aborted, c.ends(s), `${s.cluster}/${s.token}`);
        if (s.ticket.signal.aborted) {
          const why = s.ticket.signal.reason;
          assert.ok(why instanceof StreamEnded, `${why}`);
          assert.match(why.message, c.reason);
          assert.equal(why.status, c.status);
        }
        s.ticket.release();
      }
    });
  }
});

Deno.test("OpenStreams.recheckNow: one recheck at a time, and one more after a change", async () => {
  let valid = true;
  let checks = 0;
  let release: (() => void) | undefined;
  const open = new OpenStreams(async () => {
    checks++;
    // The first check stalls: it read the state before the change below.
    const read = valid;
    if (checks === 1) await new Promise<void>((r) => release = r);
    return read;
  }, { perCaller: 10, recheckMs: 60_000 });
  const ticket = open.open("c1", "kdt_a")!;
  const first = open.recheckNow();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(checks, 1, "under way");
  valid = false; // e.g. the user was disabled on another replica
  const second = open.recheckNow();
  const third = open.recheckNow();
  assert.equal(checks, 1, "not overlapped");
  release!();
  await Promise.all([first, second, third]);
  assert.equal(checks, 2, "exactly one more recheck, for both calls made meanwhile");
  assert(ticket.signal.aborted, "ended by the recheck that followed the change");
  ticket.release();
  await open.recheckNow(); // nothing open: nothing to check
  assert.equal(checks, 2);
});
