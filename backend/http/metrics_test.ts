// The Prometheus text the dashboard serves: request counters and duration histograms per method,
// route and status, with label values escaped, as repeated requests accumulate them.
import assert from "node:assert/strict";
import { Metrics } from "./metrics.ts";

Deno.test("request series: counted per method, route and status; durations bucketed", async () => {
  const m = new Metrics();
  const observed: [string, string, number, number][] = [
    ["GET", "/api/clusters/:id/k8s/*", 200, 0.004],
    ["GET", "/api/clusters/:id/k8s/*", 200, 0.02],
    ["GET", "/api/clusters/:id/k8s/*", 404, 0.003],
    ["POST", '/odd"route\\', 201, 3],
  ];
  for (const [method, route, status, seconds] of observed) {
    m.observeRequest(method, route, status, seconds);
  }
  const lines = (await m.render()).split("\n");
  const want = [
    'dashboard_http_requests_total{method="GET",route="/api/clusters/:id/k8s/*",status="200"} 2',
    'dashboard_http_requests_total{method="GET",route="/api/clusters/:id/k8s/*",status="404"} 1',
    'dashboard_http_requests_total{method="POST",route="/odd\\"route\\\\",status="201"} 1',
    'dashboard_http_request_duration_seconds_bucket{method="GET",route="/api/clusters/:id/k8s/*",le="0.005"} 2',
    'dashboard_http_request_duration_seconds_bucket{method="GET",route="/api/clusters/:id/k8s/*",le="0.025"} 3',
    'dashboard_http_request_duration_seconds_bucket{method="GET",route="/api/clusters/:id/k8s/*",le="+Inf"} 3',
    'dashboard_http_request_duration_seconds_count{method="GET",route="/api/clusters/:id/k8s/*"} 3',
    'dashboard_http_request_duration_seconds_bucket{method="POST",route="/odd\\"route\\\\",le="2.5"} 0',
    'dashboard_http_request_duration_seconds_bucket{method="POST",route="/odd\\"route\\\\",le="5"} 1',
  ];
  for (const line of want) assert.ok(lines.includes(line), `missing: ${line}\n${lines.join("\n")}`);
});
