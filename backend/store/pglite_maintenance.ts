// PGlite runs PostgreSQL as one standalone backend: there is no checkpointer and no autovacuum.
// Without them its write-ahead log only grows until a clean shutdown (and a crash replays all of
// it at the next start), and dead row versions from status updates stay in tables and indexes.
// This does their work on a timer: a CHECKPOINT lets PostgreSQL recycle old WAL segments, and a
// VACUUM reclaims dead rows and keeps transaction-id freezing going.
import type { PGlite } from "@electric-sql/pglite";
import { log } from "../../common/log.ts";

export interface MaintenanceIntervals {
  checkpointMs: number;
  vacuumMs: number;
}

/** PostgreSQL's own checkpoint_timeout (5 min); a VACUUM of the dashboard's tables hourly. */
export const PGLITE_MAINTENANCE: MaintenanceIntervals = {
  checkpointMs: 5 * 60_000,
  vacuumMs: 60 * 60_000,
};

/**
 * Runs CHECKPOINT and VACUUM on pg at the given intervals until the returned stop() (which waits
 * for a run in progress). A failed run is logged and tried again at the next interval.
 */
export function startPgliteMaintenance(
  pg: Pick<PGlite, "exec">,
  intervals: MaintenanceIntervals = PGLITE_MAINTENANCE,
): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const every = (ms: number, sql: string) => {
    const timer = setInterval(() => {
      running = running.then(async () => {
        if (stopped) return;
        const started = performance.now();
        try {
          await pg.exec(sql);
          log.debug("pglite maintenance", { sql, ms: Math.round(performance.now() - started) });
        } catch (err) {
          log.warn("pglite maintenance failed; retrying at the next interval", { sql, err });
        }
      });
    }, ms);
    Deno.unrefTimer(timer);
    return timer;
  };
  const timers = [every(intervals.checkpointMs, "CHECKPOINT"), every(intervals.vacuumMs, "VACUUM")];
  return async () => {
    stopped = true;
    timers.forEach(clearInterval);
    await running;
  };
}
