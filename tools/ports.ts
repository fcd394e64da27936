// Free loopback ports for tests, the dev cluster and the benchmarks: each is bound once to port
// 0 and released, so the caller can hand it to a server (a race with other processes remains,
// which callers that start servers retry on).
export function freePorts(n: number): number[] {
  const listeners = Array.from(
    { length: n },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of listeners) l.close();
  return ports;
}
