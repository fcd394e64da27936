// A Kubernetes LabelSelector (a workload's spec.selector: matchLabels and matchExpressions) as the
// `labelSelector=` query string the API reads, the way the apiserver and kubectl write it:
// requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. Pure.

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** The selector as a query string; "" selects everything. Throws on an invalid requirement. */
export function selectorString(sel: LabelSelector): string {
  const reqs: [string, string][] = Object.entries(sel.matchLabels ?? {}).map((
    [k, v],
  ) => [k, `${k}=${v}`]);
  for (const e of sel.matchExpressions ?? []) {
    const values = [...new Set(e.values ?? [])].sort();
    switch (e.operator) {
      case "In":
      case "NotIn":
        if (!values.length) {
          throw new Error(`${e.key} ${e.operator}: the operator needs at least one value`);
        }
        reqs.push([e.key, `${e.key} ${e.operator.toLowerCase()} (${values.join(",")})`]);
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length) throw new Error(`${e.key} ${e.operator}: the operator takes no values`);
        reqs.push([e.key, `${e.operator === "Exists" ? "" : "!"}${e.key}`]);
        break;
      default:
        throw new Error(`${e.key}: unknown operator ${JSON.stringify(e.operator)}`);
    }
  }
  // Stable sort: by key, a key's requirements in the order they were written.
  return reqs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((r) => r[1]).join(",");
}
