// Applies the saved colour theme before first paint (loaded synchronously in <head>; an external
// file because the Content-Security-Policy allows no inline scripts).
(() => {
  try {
    const t = localStorage.getItem("kd-theme");
    const dark = t === "dark" ||
      (t !== "light" && matchMedia("(prefers-color-scheme: dark)").matches);
    document.documentElement.classList.toggle("dark", dark);
  } catch (_) {
    // Storage may be unavailable (privacy mode); the light theme stays.
  }
})();
