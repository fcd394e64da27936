import { sharedControlPlane } from "./tools/testenv.ts";
import { startTestDashboard } from "./backend/testing/harness.ts";
import { connectCluster } from "./backend/testing/clusters.ts";
const cp = await sharedControlPlane();
for (let round = 0; round < 4; round++) {
  const t = await startTestDashboard({ heartbeatSeconds: 10 });
  const ag = await connectCluster(t, cp, "agent", `ag${round}`);
  for (let i = 0; i < 50; i++) {
    const r = await t.fetch(`/api/clusters/${ag.id}/k8s/api/v1/namespaces/default/configmaps`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    await r.arrayBuffer();
  }
  if (round % 2) await ag.close();
  await t.stop();
  if (!(round % 2)) await ag.close();
  console.log("round ok", round);
}
await cp.stop();
