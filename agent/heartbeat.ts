// Heartbeats on the control stream from the agent's side: a Ping every interval (the
// dashboard's interval, from StreamAccepted), RTT from the Pong, and a deadline: when nothing
// has been heard from the dashboard for 2.5 intervals the stream is considered dead.

import type { Ping } from "../proto/gen/agent/v1/Ping.ts";
import { PingTracker } from "../proto/ping.ts";

export class Heartbeat {
  private timer?: ReturnType<typeof setInterval>;
  readonly pings = new PingTracker();
  lastHeard = Date.now();

  constructor(
    private readonly send: (ping: Ping) => void,
    private readonly onDead: () => void,
  ) {}

  start(intervalMs: number): void {
    this.stop();
    this.lastHeard = Date.now();
    this.timer = setInterval(() => {
      if (Date.now() - this.lastHeard > 2.5 * intervalMs) {
        this.stop();
        this.onDead();
        return;
      }
      this.send(this.pings.next());
    }, intervalMs);
  }

  heard(): void {
    this.lastHeard = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
