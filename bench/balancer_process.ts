// The replicas benchmark's TCP balancer (testing/tcp_balancer.ts) in a process of its own, as a
// real one would be: its relaying of 10,000 agents' connections then costs neither the process
// that measures latencies nor the dashboards, and its own CPU and memory can be read from /proc.
// Listens with SO_REUSEPORT, on the port given as the first argument (several such processes
// share one port, each under its own limit of open files) or on a free one. Prints
// {"address": "127.0.0.1:<port>"} as one JSON line on stdout once it listens; every line on stdin
// replaces the backend list (comma-separated host:port); it exits when stdin closes. Spawned by
// bench/replicas.ts.
import { TcpBalancer } from "../testing/tcp_balancer.ts";
import { lines } from "../common/lines.ts";

const lb = await TcpBalancer.start([], { port: Number(Deno.args[0] ?? 0), reusePort: true });
console.log(JSON.stringify({ address: lb.address }));
for await (const line of lines(Deno.stdin.readable)) {
  lb.set(line.split(",").map((s) => s.trim()).filter(Boolean));
}
await lb.close();
