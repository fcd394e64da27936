// Server rendering of whole pages: the HTML document around a page (CSS, the island script,
// the theme script, the islands' props block). No inline script or style anywhere (CSP); every
// <script> and the stylesheet carry the response's CSP nonce (the policy admits nothing else).
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { islandData, nonceAttr, renderIslands } from "./islands.tsx";
import { readManifest } from "./assets.ts";

export interface DocumentOptions {
  title: string;
  body: VNode;
  /** Extra classes for <body>. */
  bodyClass?: string;
  /**
   * This response's CSP nonce (`c.get("secureHeadersNonce")`, set by the secure-headers
   * middleware): put on every <script> and the stylesheet. Empty when no CSP applies.
   */
  nonce: string;
  /**
   * A page path the browser moves on to at once (`<meta http-equiv="refresh">`): a same-site
   * navigation, which carries the SameSite=Strict session cookie where a redirect at the end of
   * a cross-site chain would not. Give only a safe local path (`safeNext`).
   */
  refreshTo?: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderDocument(
  { title, body, bodyClass = "", nonce, refreshTo }: DocumentOptions,
): string {
  const { result: html, islands } = renderIslands(() => renderToString(body));
  const manifest = readManifest();
  const n = nonceAttr(nonce);
  const css = manifest ? `<link rel="stylesheet"${n} href="/static/build/${manifest.css}">` : "";
  const js = manifest && islands.length
    ? `<script type="module"${n} src="/static/build/${manifest.js}"></script>`
    : "";
  const refresh = refreshTo
    ? `<meta http-equiv="refresh" content="0; url=${escapeHtml(refreshTo)}">`
    : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${refresh}
<title>${escapeHtml(title)} · Kube Dashboard</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
${css}
<script${n} src="/static/theme.js"></script>
${js}
</head>
<body class="h-full bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100 ${
    escapeHtml(bodyClass)
  }">
${html}
${islandData(islands, nonce)}
</body>
</html>`;
}
