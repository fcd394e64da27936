// Test helpers for the dashboard's side of tunnel lines: an AgentSession on an in-memory control
// call, and a tunnel line whose other end (the agent's) the test drives frame by frame.
import type { TunnelDown } from "../proto/gen/agent/v1/TunnelDown.ts";
import type { TunnelUp, TunnelUp__Output } from "../proto/gen/agent/v1/TunnelUp.ts";
import { duplexPair, type FakeCall } from "./duplex.ts";
import { AgentSession, type ControlCall } from "../backend/agents/sessions.ts";
import type { TunnelCall, TunnelLine } from "../backend/agents/tunnels.ts";

/** A live session for cluster c1 whose control call goes nowhere. */
export function testSession(): AgentSession {
  const { a } = duplexPair<unknown, unknown>();
  return new AgentSession("c1", "one", "test", a as unknown as ControlCall);
}

/** The dashboard's line (`line`) and the agent's end of it (`agent`). */
export function testLine(): { line: TunnelLine; agent: FakeCall<TunnelDown, TunnelUp> } {
  const { a, b } = duplexPair<TunnelDown, TunnelUp>();
  const call = a as unknown as TunnelCall;
  return { line: { call, frames: a.frames() as AsyncIterator<TunnelUp__Output> }, agent: b };
}

/** What the agent received, once `n` frames are in (fewer if the line ends first). */
export async function received(
  agent: FakeCall<TunnelDown, TunnelUp>,
  n: number,
): Promise<TunnelDown[]> {
  const got: TunnelDown[] = [];
  const frames = agent.frames();
  while (got.length < n) {
    const r = await frames.next();
    if (r.done) break;
    got.push(r.value);
  }
  return got;
}
