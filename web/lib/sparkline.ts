// A sparkline's geometry: samples scaled into a width × height box (0 at the bottom, the largest
// value at the top, evenly spaced left to right, the newest at the right edge) as SVG polyline
// points. Pure, shared by the pod page's metrics island and its tests.

/** The [x, y] of each value (nulls are skipped; their slot keeps its place on the x axis). */
export function sparklineCoords(
  values: readonly (number | null)[],
  width: number,
  height: number,
  pad = 1,
): [number, number][] {
  const max = Math.max(0, ...values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const n = values.length;
  const inner = height - 2 * pad;
  const round = (v: number) => Math.round(v * 100) / 100;
  const out: [number, number][] = [];
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    const x = n === 1 ? width : (i / (n - 1)) * width;
    const y = max === 0 ? height - pad : height - pad - (Math.max(0, v) / max) * inner;
    out.push([round(x), round(y)]);
  });
  return out;
}

/** The `points` attribute of an SVG polyline: "x,y x,y …" (one point is drawn as a short dash). */
export function sparklinePoints(
  values: readonly (number | null)[],
  width: number,
  height: number,
  pad = 1,
): string {
  const c = sparklineCoords(values, width, height, pad);
  if (c.length === 1) c.unshift([Math.max(0, c[0][0] - 4), c[0][1]]);
  return c.map(([x, y]) => `${x},${y}`).join(" ");
}
