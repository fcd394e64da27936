// Shared client state for islands on the same page (one module instance: islands are chunks of
// one bundle): a ticking clock, the clusters list kept live from the server's event stream
// (GET /api/clusters/events, SSE) with polling as fallback, and the Add Cluster dialog's state.
import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import type { Cluster } from "../lib/types.ts";
import { SseParser } from "../lib/sse.ts";
import { api, ApiError, isAbort, openStream, readText, sleep } from "./api.ts";

/** Milliseconds since epoch, updated every second while any island uses it. */
export const clock = signal(Date.now());
let clockUsers = 0;
let clockTimer: ReturnType<typeof setInterval> | undefined;

/**
 * The current time for "12 s ago" labels: the server's time on the first render (so hydration
 * matches the HTML), then the browser's clock every second.
 */
export function useNow(serverNow: number): number {
  const [mounted, setMounted] = useState(false);
  useEffect(() => {
    setMounted(true);
    if (clockUsers++ === 0) {
      clock.value = Date.now();
      clockTimer = setInterval(() => (clock.value = Date.now()), 1000);
    }
    return () => {
      if (--clockUsers === 0) clearInterval(clockTimer);
    };
  }, []);
  return mounted ? clock.value : serverNow;
}

/** Every cluster the page knows, kept live. */
export const clusters = signal<Cluster[]>([]);
let seeded = false;

/**
 * Seeds the store from server-rendered props. In the browser the first caller wins (later
 * islands join the live list); on the server every render seeds its own request's data
 * (rendering is synchronous, so requests cannot interleave).
 */
export function seedClusters(items: Cluster[]): void {
  const browser = typeof document !== "undefined";
  if (seeded && browser) return;
  seeded = browser;
  clusters.value = items;
}

export function upsertCluster(c: Cluster): void {
  const list = clusters.value;
  const i = list.findIndex((x) => x.id === c.id);
  const next = i < 0 ? [...list, c] : list.map((x, j) => (j === i ? { ...x, ...c } : x));
  clusters.value = next.sort((a, b) => a.name.localeCompare(b.name));
}

export function removeCluster(id: string): void {
  clusters.value = clusters.value.filter((c) => c.id !== id);
}

/** "live" while the event stream is open, "polling" when the server has none, "offline" on errors. */
export const liveMode = signal<"connecting" | "live" | "polling" | "offline">("connecting");

let streamUsers = 0;
let streamAbort: AbortController | undefined;

async function poll(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const { items } = await api<{ items: Cluster[] }>("/api/clusters", { signal });
      clusters.value = items;
      liveMode.value = "polling";
    } catch (err) {
      if (isAbort(err)) return;
      liveMode.value = "offline";
    }
    await sleep(5000, signal);
  }
}

async function stream(signal: AbortSignal): Promise<void> {
  let backoff = 1000;
  while (!signal.aborted) {
    try {
      const res = await openStream("/api/clusters/events", signal, "text/event-stream");
      liveMode.value = "live";
      backoff = 1000;
      // Resync once connected: events only report changes from now on.
      api<{ items: Cluster[] }>("/api/clusters", { signal }).then((
        { items },
      ) => (clusters.value = items)).catch(() => {});
      const parser = new SseParser();
      await readText(res, (text) => {
        for (const ev of parser.push(text)) {
          try {
            if (ev.event === "cluster") upsertCluster(JSON.parse(ev.data));
            else if (ev.event === "deleted") removeCluster(JSON.parse(ev.data).id);
          } catch {
            // A malformed event is skipped; the next resync corrects the list.
          }
        }
      });
    } catch (err) {
      if (isAbort(err)) return;
      if (
        err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401 &&
        err.status !== 429
      ) {
        // No event stream on this server (yet): poll instead.
        return await poll(signal);
      }
      liveMode.value = "offline";
    }
    await sleep(backoff, signal);
    backoff = Math.min(backoff * 2, 30_000);
  }
}

/** Keeps `clusters` live while the calling island is mounted. */
export function useClusterEvents(): void {
  useEffect(() => {
    if (streamUsers++ === 0) {
      streamAbort = new AbortController();
      stream(streamAbort.signal);
    }
    return () => {
      if (--streamUsers === 0) streamAbort?.abort();
    };
  }, []);
}

/** Which tab of the Add Cluster dialog is open (null: closed). */
export const addClusterDialog = signal<null | "kubeconfig" | "agent">(null);
