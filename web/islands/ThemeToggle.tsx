// Cycles the colour theme: system → light → dark. The choice lives in localStorage; the head
// script /static/theme.js applies it before first paint.
import { useEffect, useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { btn } from "../components/ui.tsx";

type Theme = "system" | "light" | "dark";
const KEY = "kd-theme";
const NEXT: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };
const LABEL: Record<Theme, string> = {
  system: "System theme",
  light: "Light theme",
  dark: "Dark theme",
};

export function applyTheme(theme: Theme): void {
  const dark = theme === "dark" ||
    (theme === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.classList.toggle("dark", dark);
}

export default function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>("system");
  useEffect(() => {
    const saved = localStorage.getItem(KEY);
    if (saved === "light" || saved === "dark") setTheme(saved);
    const mq = matchMedia("(prefers-color-scheme: dark)");
    const onChange = () => applyTheme((localStorage.getItem(KEY) as Theme) ?? "system");
    mq.addEventListener("change", onChange);
    return () => mq.removeEventListener("change", onChange);
  }, []);
  const cycle = () => {
    const next = NEXT[theme];
    setTheme(next);
    if (next === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, next);
    applyTheme(next);
  };
  return (
    <button
      type="button"
      class={btn.icon}
      onClick={cycle}
      title={`${LABEL[theme]} (click to change)`}
      aria-label={`${LABEL[theme]}: switch to ${LABEL[NEXT[theme]].toLowerCase()}`}
    >
      <Icon name={theme === "dark" ? "moon" : theme === "light" ? "sun" : "monitor"} />
    </button>
  );
}
