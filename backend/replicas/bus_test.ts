// The replica bus against a real PostgreSQL: two replicas (two Db handles, two pools and two
// listening connections) on one database. Delivery of every event type, in order and packed below
// NOTIFY's limit; a replica's own echo ignored; unreadable payloads ignored with a warning; and
// after the listening connection is lost (its backend terminated, or the network cut while events
// went by) the replica drops its caches and hears events again. Also Db.listen/notify on both
// stores, and what each event does to a dashboard's parts (dashboardHandlers).
import assert from "node:assert/strict";
import type { Db } from "../store/db.ts";
import { openPostgres } from "../store/postgres_db.ts";
import { storeCases } from "../../testing/stores.ts";
import { freshPostgresDb } from "../../tools/testpg.ts";
import { eventually } from "../../testing/eventually.ts";
import { capturedLogs } from "../../testing/logs.ts";
import { TcpBalancer } from "../../testing/tcp_balancer.ts";
import {
  type BusHandlers,
  dashboardHandlers,
  EVENTS_CHANNEL,
  MAX_PAYLOAD_BYTES,
  ReplicaBus,
  type ReplicaEvent,
  type ReplicaParts,
} from "./bus.ts";
import type { ClusterEvent } from "../cluster/manager.ts";

const CLUSTER = "0b7e3f52-6a43-4a8e-9d55-1f0c2d1e9a01";
const OTHER_CLUSTER = "5d1f7c0e-2b9a-4c61-8e3d-7a4b6c9e0f12";

/** Records what a bus applies and how often it resynchronised. */
function recorder(): BusHandlers & { events: ReplicaEvent[]; resyncs: number } {
  const r = {
    events: [] as ReplicaEvent[],
    resyncs: 0,
    apply: (e: ReplicaEvent) => void r.events.push(e),
    resync: () => void r.resyncs++,
  };
  return r;
}

/** Waits until a raw listener on db has seen `count` more payloads than `seen` holds now. */
function payloadsSeen(seen: string[], count: number) {
  const target = seen.length + count;
  return eventually(`${count} payload(s) on the channel`, () => seen.length >= target, 5_000);
}

Deno.test("Db.listen and Db.notify deliver payloads until unlisten, on both stores", async (t) => {
  for (const store of storeCases) {
    await t.step(store.name, async () => {
      const { db, cleanup } = await store.open();
      try {
        const got: string[] = [];
        const unlisten = await db.listen("bus_test", (p) => got.push(p));
        await db.notify("bus_test", "one");
        await db.notify("other_channel", "not for us");
        await db.notify("bus_test", "two ✓");
        await eventually("both payloads", () => got.length === 2, 5_000);
        assert.deepEqual(got, ["one", "two ✓"]);
        await unlisten();
        await db.notify("bus_test", "after");
        await new Promise((r) => setTimeout(r, 200));
        assert.deepEqual(got, ["one", "two ✓"], "nothing after unlisten");
        await assert.rejects(db.listen('x"; DROP TABLE users; --', () => {}), /invalid/);
        await assert.rejects(db.notify("Upper", "x"), /invalid/);
      } finally {
        await cleanup();
      }
    });
  }
});

Deno.test("ReplicaBus between two replicas on one PostgreSQL", async (t) => {
  const fresh = await freshPostgresDb();
  const dbA = openPostgres(fresh.url);
  const admin = openPostgres(fresh.url, { max: 1 });
  // Replica B reaches the database through a TCP balancer the test can cut.
  const pgAddr = new URL(fresh.url).host;
  const lb = await TcpBalancer.start([pgAddr]);
  const urlB = new URL(fresh.url);
  urlB.host = lb.address;
  const dbB = openPostgres(urlB.toString());
  const a = recorder();
  const b = recorder();
  const busA = new ReplicaBus(dbA, "replica-a", a);
  const busB = new ReplicaBus(dbB, "replica-b", b);
  /** Every payload on the channel as replica A's listening connection receives it. */
  const onA: string[] = [];
  let unlistenRaw: (() => Promise<void>) | undefined;
  try {
    await busA.start();
    await busB.start();
    unlistenRaw = await dbA.listen(EVENTS_CHANNEL, (p) => onA.push(p));

    await t.step(
      "every event type reaches the other replica; the sender applies it once",
      async () => {
        const cases: ReplicaEvent[] = [
          { type: "cluster_status", id: CLUSTER },
          { type: "cluster_changed", id: CLUSTER },
          { type: "cluster_removed", id: OTHER_CLUSTER },
          { type: "auth_changed" },
          { type: "access_changed" },
        ];
        for (const event of cases) {
          a.events.length = b.events.length = 0;
          const echoes = payloadsSeen(onA, 1);
          busA.publish(event);
          assert.deepEqual(a.events, [event], `${event.type}: applied by the sender at once`);
          await eventually(`${event.type} on B`, () => b.events.length === 1, 5_000);
          assert.deepEqual(b.events, [event]);
          await echoes; // A's own echo has arrived (and the bus saw it first)...
          assert.deepEqual(a.events, [event], `${event.type}: ...and was ignored`);
          const payload = JSON.parse(onA.at(-1)!);
          assert.deepEqual(payload, { from: "replica-a", events: [event] }, "ids only");
        }
      },
    );

    await t.step(
      "events go in order, packed below NOTIFY's limit, each once per batch",
      async () => {
        b.events.length = 0;
        const seenBefore = onA.length;
        const ids = Array.from({ length: 600 }, () => crypto.randomUUID());
        for (const id of ids) busA.publish({ type: "cluster_status", id });
        busA.publish({ type: "cluster_status", id: ids[0] }); // still queued: not sent again
        busA.publish({ type: "auth_changed" });
        await busA.flushed();
        await eventually("601 events on B", () => b.events.length === 601, 5_000);
        assert.deepEqual(b.events, [
          ...ids.map((id) => ({ type: "cluster_status", id })),
          { type: "auth_changed" },
        ]);
        const payloads = onA.slice(seenBefore);
        assert(payloads.length >= 2, `several payloads (${payloads.length})`);
        for (const p of payloads) {
          assert(new TextEncoder().encode(p).length <= MAX_PAYLOAD_BYTES, "below the limit");
        }
      },
    );

    await t.step("unreadable payloads are ignored with a warning; good events go on", async () => {
      b.events.length = 0;
      const bad: Array<{ name: string; payload: string }> = [
        { name: "not JSON", payload: "hello" },
        { name: "no envelope", payload: JSON.stringify({ type: "auth_changed" }) },
        { name: "no events", payload: JSON.stringify({ from: "replica-x", events: [] }) },
        {
          name: "unknown event",
          payload: JSON.stringify({ from: "replica-x", events: [{ type: "reboot" }] }),
        },
        {
          name: "an id that is no UUID",
          payload: JSON.stringify({
            from: "replica-x",
            events: [{ type: "cluster_removed", id: "../../etc" }],
          }),
        },
        {
          name: "an extra field",
          payload: JSON.stringify({
            from: "replica-x",
            events: [{ type: "auth_changed", token: "kdt_secret" }],
          }),
        },
      ];
      const lines = await capturedLogs(async () => {
        for (const { payload } of bad) await dbA.notify(EVENTS_CHANNEL, payload);
        // One unknown event (a newer replica's) spoils no other in its payload.
        await dbA.notify(
          EVENTS_CHANNEL,
          JSON.stringify({
            from: "replica-x",
            events: [{ type: "future_event", id: CLUSTER }, { type: "access_changed" }],
          }),
        );
        await eventually("the good event on B", () => b.events.length === 1, 5_000);
      });
      assert.deepEqual(b.events, [{ type: "access_changed" }]);
      const warnings = lines.filter((l) => l.level === "warn");
      // Both replicas (A and B) receive each one and warn.
      assert.equal(warnings.length, 2 * (bad.length + 1), JSON.stringify(warnings));
    });

    await t.step("a terminated listening connection comes back and resynchronises", async () => {
      const before = { a: a.resyncs, b: b.resyncs };
      const [{ n }] = await admin.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'listen%'`,
      );
      assert(n >= 2, `both listening connections terminated (${n})`);
      await eventually(
        "both replicas resynchronised",
        () => a.resyncs === before.a + 1 && b.resyncs === before.b + 1,
        10_000,
      );
      b.events.length = 0;
      busA.publish({ type: "cluster_changed", id: CLUSTER });
      await eventually("events again on B", () => b.events.length === 1, 5_000);
    });

    await t.step("events sent while the network was cut are replaced by a resync", async () => {
      const before = b.resyncs;
      b.events.length = 0;
      lb.remove(pgAddr);
      assert(lb.dropConnections(pgAddr) >= 1, "B's connections cut");
      busA.publish({ type: "cluster_removed", id: CLUSTER });
      await busA.flushed();
      await new Promise((r) => setTimeout(r, 500));
      lb.add(pgAddr);
      await eventually("B resynchronised", () => b.resyncs === before + 1, 15_000);
      assert.deepEqual(b.events, [], "the event sent during the cut was lost: hence the resync");
      busA.publish({ type: "access_changed" });
      await eventually("events again on B", () => b.events.length === 1, 5_000);
    });
  } finally {
    await unlistenRaw?.();
    await busA.stop();
    await busB.stop();
    await dbA.close();
    await dbB.close();
    await admin.close();
    await lb.close();
    await fresh.drop();
  }
});

Deno.test("ReplicaBus.stop sends what is queued; later events apply locally only", async () => {
  const fresh = await freshPostgresDb();
  const db: Db = openPostgres(fresh.url);
  const seen: string[] = [];
  const unlisten = await db.listen(EVENTS_CHANNEL, (p) => seen.push(p));
  const r = recorder();
  const bus = new ReplicaBus(db, "replica-a", r);
  try {
    await bus.start();
    bus.publish({ type: "auth_changed" });
    await bus.stop();
    bus.publish({ type: "access_changed" });
    await eventually("the queued event sent", () => seen.length === 1, 5_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(seen.length, 1);
    assert.deepEqual(r.events, [{ type: "auth_changed" }, { type: "access_changed" }]);
  } finally {
    await unlisten();
    await db.close();
    await fresh.drop();
  }
});

Deno.test("dashboardHandlers: what each event does to a dashboard's parts", async (t) => {
  const calls: string[] = [];
  const parts: ReplicaParts = {
    manager: {
      announce: () => {},
      apply: (e: ClusterEvent) => void calls.push(`manager.${e.kind} ${e.id}`),
      resync: () => {
        calls.push("manager.resync");
        return Promise.resolve();
      },
    },
    auth: { announce: () => {}, forget: () => void calls.push("auth.forget") },
    access: { announce: () => {}, forget: () => void calls.push("access.forget") },
    streams: {
      recheckNow: () => {
        calls.push("streams.recheckNow");
        return Promise.resolve();
      },
    },
    hub: {
      endDeleted: () => {
        calls.push("hub.endDeleted");
        return Promise.resolve();
      },
    },
  };
  const handlers = dashboardHandlers(parts);
  const cases: Array<{ event: ReplicaEvent; does: string[] }> = [
    { event: { type: "cluster_status", id: CLUSTER }, does: [`manager.status ${CLUSTER}`] },
    {
      event: { type: "cluster_changed", id: CLUSTER },
      does: [`manager.changed ${CLUSTER}`, "streams.recheckNow"],
    },
    { event: { type: "cluster_removed", id: CLUSTER }, does: [`manager.removed ${CLUSTER}`] },
    {
      event: { type: "auth_changed" },
      does: ["auth.forget", "access.forget", "streams.recheckNow"],
    },
    { event: { type: "access_changed" }, does: ["access.forget", "streams.recheckNow"] },
  ];
  for (const { event, does } of cases) {
    await t.step(event.type, () => {
      calls.length = 0;
      handlers.apply(event);
      assert.deepEqual(calls, does);
    });
  }
  await t.step("resync after a gap", async () => {
    calls.length = 0;
    await handlers.resync();
    assert.deepEqual(calls, [
      "auth.forget",
      "access.forget",
      "manager.resync",
      "hub.endDeleted",
      "streams.recheckNow",
    ]);
  });
});
