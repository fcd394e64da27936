// The tunnel lines of one control-stream session. The agent keeps `idleTarget` lines open and
// idle so that the dashboard can hand a request to one at once instead of announcing it and
// waiting for a new call; lines whose request finished cleanly become idle again. The dashboard
// decides how many idle lines it keeps (it ends the extra ones), so the agent never closes an
// idle line the dashboard might be using. Lines for announced requests are opened on demand.
import { type Exchange, type ExchangeWork, type TunnelCall, TunnelLine } from "./tunnel.ts";

export class TunnelPool {
  private readonly lines = new Set<TunnelLine>();
  private stopped = false;

  constructor(
    private readonly openCall: () => TunnelCall,
    private readonly idleTarget: number,
    private readonly onWork: (tunnel: Exchange, work: ExchangeWork) => void,
  ) {}

  get idleCount(): number {
    let n = 0;
    for (const l of this.lines) if (l.idle) n++;
    return n;
  }

  /** Opens idle lines until `idleTarget` are idle. */
  replenish(): void {
    for (let n = this.idleCount; n < this.idleTarget && !this.stopped; n++) this.open("");
  }

  /** A new line for a request announced on the control stream. */
  announced(requestId: string, hasBody: boolean): Exchange {
    return this.open(requestId, hasBody).announced;
  }

  /** Ends every line (the control stream ended); running requests are aborted. */
  stop(reason: string): void {
    this.stopped = true;
    for (const l of [...this.lines]) l.close(reason);
  }

  private open(requestId: string, hasBody = false): TunnelLine {
    const line = new TunnelLine(this.openCall(), requestId, {
      work: (tunnel, work) => {
        this.replenish();
        this.onWork(tunnel, work);
      },
      closed: (l) => this.lines.delete(l),
    }, hasBody);
    if (this.stopped) line.close("the control stream ended");
    else this.lines.add(line);
    return line;
  }
}
