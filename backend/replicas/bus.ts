// The replica bus: events between the dashboard replicas that share one PostgreSQL database, so
// that a change made through one replica reaches every replica's caches and live streams within
// a second. One channel (LISTEN/NOTIFY), JSON payloads {from: <replica id>, events: [...]}
// carrying ids only, never a secret. An event is applied on this replica at once and published;
// a replica ignores its own echo and, with a warning, anything it cannot read (an unknown event
// from a newer replica, a malformed payload). When the listening connection comes back after a
// gap, events may have been lost: every cache is dropped and the live streams hear of every
// cluster instead. PGlite (one process) takes the same path, in process.
import { z } from "zod";
import type { Db } from "../store/db.ts";
import type { ClusterEvent, ClusterManager } from "../cluster/manager.ts";
import type { AuthService } from "../auth/service.ts";
import type { ClusterAccess } from "../cluster/access.ts";
import type { OpenStreams } from "../cluster/open_streams.ts";
import type { AgentHub } from "../agents/hub.ts";
import { log } from "../../common/log.ts";

/** The one notification channel of the dashboard replicas. */
export const EVENTS_CHANNEL = "dashboard_events";

/**
 * What one replica tells the others. `cluster_status`: a cluster's stored status changed (the
 * /api/clusters/events streams); `cluster_changed`: its kubeconfig or settings were edited (drop
 * its cached client); `cluster_removed`: it was deleted (removal listeners: its agent stream,
 * its open exec streams); `auth_changed`: a user, session or API token changed (token cache,
 * open streams rechecked); `access_changed`: a role binding changed (bindings cache).
 */
export type ReplicaEvent =
  | { type: "cluster_status" | "cluster_changed" | "cluster_removed"; id: string }
  | { type: "auth_changed" | "access_changed" };

/** What the bus does with events on this replica. */
export interface BusHandlers {
  /** Applies one event: this replica's own at once, another replica's on arrival. */
  apply(event: ReplicaEvent): void;
  /** After a gap in which other replicas' events may have been lost. */
  resync(): void | Promise<void>;
}

/** NOTIFY refuses payloads of 8000 bytes and more; events are packed below this. */
export const MAX_PAYLOAD_BYTES = 7_900;
/** A payload that cannot be sent is tried again after these delays, then dropped (logged). */
const RETRY_DELAYS_MS = [250, 500, 1_000];
/** How long stop() waits for queued events to go out. */
const STOP_FLUSH_MS = 3_000;
/** Enough of a rejected payload to recognise it in the log. */
const LOGGED_PAYLOAD_CHARS = 200;

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const eventSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.enum(["cluster_status", "cluster_changed", "cluster_removed"]),
    id: uuid,
  }),
  z.strictObject({ type: z.enum(["auth_changed", "access_changed"]) }),
]);
/** The envelope; its events are read one by one, so one unknown event spoils no other. */
const envelopeSchema = z.strictObject({
  from: z.string().min(1).max(64),
  events: z.array(z.unknown()).min(1).max(1_000),
});

const encoder = new TextEncoder();

function keyOf(e: ReplicaEvent): string {
  return "id" in e ? `${e.type} ${e.id}` : e.type;
}

export class ReplicaBus {
  /** Published events not sent yet, in order, each once. */
  #pending: ReplicaEvent[] = [];
  #pendingKeys = new Set<string>();
  #sending?: Promise<void>;
  #unlisten?: () => Promise<void>;
  #stopped = false;

  constructor(
    private readonly db: Db,
    /** This replica's id: its own events come back with it and are ignored. */
    readonly replicaId: string,
    private readonly handlers: BusHandlers,
  ) {}

  /** Listens on the channel; resolves once the other replicas' events can arrive. */
  async start(): Promise<void> {
    this.#unlisten = await this.db.listen(
      EVENTS_CHANNEL,
      (payload) => this.#receive(payload),
      () => void this.#resync(),
    );
  }

  /**
   * Applies an event on this replica at once and sends it to the others (in order, a few
   * events per NOTIFY while one is under way). Never throws.
   */
  publish(event: ReplicaEvent): void {
    this.#apply(event, "local");
    if (this.#stopped) return;
    const key = keyOf(event);
    if (this.#pendingKeys.has(key)) return; // the one queued says it already
    this.#pendingKeys.add(key);
    this.#pending.push(event);
    this.#sending ??= this.#send();
  }

  /** Resolves when every event published so far has been sent (or given up on). */
  async flushed(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  /**
   * Sends what is still queued (waiting at most STOP_FLUSH_MS: the database may be gone) and
   * stops listening; later events apply here only.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.flushed(),
      new Promise((r) => timer = setTimeout(r, STOP_FLUSH_MS)),
    ]);
    clearTimeout(timer);
    await this.#unlisten?.().catch((err) => log.warn("unlisten failed", { err }));
  }

  /** Sends the queue, one NOTIFY at a time (so in order); clears #sending as it ends. */
  async #send(): Promise<void> {
    try {
      // Events published in the same turn go out together (and #sending is set by now).
      await Promise.resolve();
      while (this.#pending.length) {
        const payload = this.#takePayload();
        for (let attempt = 0;; attempt++) {
          try {
            await this.db.notify(EVENTS_CHANNEL, payload);
            break;
          } catch (err) {
            if (attempt >= RETRY_DELAYS_MS.length) {
              log.warn("could not send events to the other replicas; their caches expire alone", {
                err,
              });
              break;
            }
            await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
          }
        }
      }
    } finally {
      // Synchronously with the loop's last check: an event published after it starts a new send.
      this.#sending = undefined;
    }
  }

  /** The next queued events that fit in one payload (always at least one). */
  #takePayload(): string {
    const head = `{"from":${JSON.stringify(this.replicaId)},"events":[`;
    let size = encoder.encode(head).length + 2;
    const parts: string[] = [];
    while (this.#pending.length) {
      const json = JSON.stringify(this.#pending[0]);
      const more = encoder.encode(json).length + (parts.length ? 1 : 0);
      if (parts.length && size + more > MAX_PAYLOAD_BYTES) break;
      size += more;
      parts.push(json);
      this.#pendingKeys.delete(keyOf(this.#pending.shift()!));
    }
    return `${head}${parts.join(",")}]}`;
  }

  #receive(payload: string): void {
    if (this.#stopped) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      parsed = undefined;
    }
    const envelope = envelopeSchema.safeParse(parsed);
    if (!envelope.success) {
      log.warn("ignoring a malformed notification on the replica channel", {
        payload: payload.slice(0, LOGGED_PAYLOAD_CHARS),
      });
      return;
    }
    const { from, events } = envelope.data;
    if (from === this.replicaId) return; // this replica's own, applied when published
    for (const raw of events) {
      const event = eventSchema.safeParse(raw);
      if (event.success) this.#apply(event.data, from);
      else {
        log.warn("ignoring an unknown or malformed replica event", {
          from: from.slice(0, 64),
          event: JSON.stringify(raw).slice(0, LOGGED_PAYLOAD_CHARS),
        });
      }
    }
  }

  #apply(event: ReplicaEvent, from: string): void {
    try {
      this.handlers.apply(event);
    } catch (err) {
      log.error("applying a replica event failed", { err, type: event.type, from });
    }
  }

  async #resync(): Promise<void> {
    if (this.#stopped) return;
    log.info("replica channel reconnected; dropping caches in case events were missed");
    try {
      await this.handlers.resync();
    } catch (err) {
      log.warn("dropping caches after the replica channel reconnected failed", { err });
    }
  }
}

/** The parts of a dashboard the events act on. */
export interface ReplicaParts {
  manager: Pick<ClusterManager, "announce" | "apply" | "resync">;
  auth: Pick<AuthService, "announce" | "forget">;
  access: Pick<ClusterAccess, "announce" | "forget">;
  streams: Pick<OpenStreams, "recheckNow">;
  hub: Pick<AgentHub, "endDeleted">;
}

const CLUSTER_EVENT_TYPES = {
  status: "cluster_status",
  changed: "cluster_changed",
  removed: "cluster_removed",
} as const;
const CLUSTER_EVENT_KINDS = {
  cluster_status: "status",
  cluster_changed: "changed",
  cluster_removed: "removed",
} as const;

/** What each event does on a replica. */
export function dashboardHandlers(parts: ReplicaParts): BusHandlers {
  const { manager, auth, access, streams, hub } = parts;
  const recheckStreams = () => void streams.recheckNow();
  return {
    apply(event) {
      switch (event.type) {
        case "cluster_status":
        case "cluster_removed":
          manager.apply({ kind: CLUSTER_EVENT_KINDS[event.type], id: event.id });
          break;
        case "cluster_changed":
          manager.apply({ kind: "changed", id: event.id });
          // Its labels or settings may have changed who holds which role on it.
          recheckStreams();
          break;
        case "auth_changed":
          auth.forget();
          // Deleting a user deletes their bindings too.
          access.forget();
          recheckStreams();
          break;
        case "access_changed":
          access.forget();
          recheckStreams();
          break;
      }
    },
    async resync() {
      auth.forget();
      access.forget();
      try {
        await manager.resync();
        // Agent streams of clusters deleted while events were missed.
        await hub.endDeleted();
      } finally {
        recheckStreams();
      }
    },
  };
}

/**
 * Starts the bus for a dashboard and sends every change of its manager, auth service and
 * access through it; stop() it before closing the store.
 */
export async function startReplicaEvents(
  db: Db,
  replicaId: string,
  parts: ReplicaParts,
): Promise<ReplicaBus> {
  const bus = new ReplicaBus(db, replicaId, dashboardHandlers(parts));
  await bus.start();
  parts.manager.announce = (e: ClusterEvent) =>
    bus.publish({ type: CLUSTER_EVENT_TYPES[e.kind], id: e.id });
  parts.auth.announce = () => bus.publish({ type: "auth_changed" });
  parts.access.announce = () => bus.publish({ type: "access_changed" });
  return bus;
}
