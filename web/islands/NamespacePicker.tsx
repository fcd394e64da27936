// Namespace filter for namespaced lists: a GET form (works without script: pick, then Show);
// with script it navigates as soon as the choice changes.
import { useEffect, useState } from "preact/hooks";
import { btn, inputClass } from "../components/ui.tsx";

export default function NamespacePicker(
  { namespaces, current, action }: { namespaces: string[]; current: string; action: string },
) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  const list = current && !namespaces.includes(current) ? [current, ...namespaces] : namespaces;
  return (
    <form method="get" action={action} class="flex items-center gap-2">
      <label for="ns-picker" class="text-sm text-slate-500 dark:text-slate-400">Namespace</label>
      <select
        id="ns-picker"
        name="ns"
        class={`${inputClass} !w-52`}
        value={current}
        onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          location.assign(v ? `${action}?ns=${encodeURIComponent(v)}` : action);
        }}
      >
        <option value="">All namespaces</option>
        {list.map((n) => <option key={n} value={n}>{n}</option>)}
      </select>
      {!mounted && <button type="submit" class={`${btn.secondary} ${btn.small}`}>Show</button>}
    </form>
  );
}
