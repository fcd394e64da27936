// fetch() wrappers for the dashboard's REST API and Kubernetes proxy (same origin, cookie
// session). Errors carry the server's own message; a 401 sends the browser to the login page.
import { errorMessage } from "../lib/k8s/objects.ts";

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body?: unknown) {
    super(message);
  }
}

export function loginRedirect(): void {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sends a request; returns parsed JSON (or text), throws ApiError with the server's message. */
export async function api<T = unknown>(
  path: string,
  init: RequestInit & { json?: unknown; noRedirect?: boolean } = {},
): Promise<T> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  if (!headers.has("accept")) headers.set("accept", "application/json");
  const res = await fetch(path, { ...init, headers, body, credentials: "same-origin" });
  const data = await readBody(res);
  if (res.status === 401 && !init.noRedirect) {
    loginRedirect();
    throw new ApiError(401, "your session has ended; log in again", data);
  }
  if (!res.ok) throw new ApiError(res.status, errorMessage(data, res.status), data);
  return data as T;
}

/**
 * PATCHes `path` with a patch of the given content type (merge, strategic merge or JSON patch);
 * returns the patched object, throws ApiError with the API's message.
 */
export function patchObject<T = unknown>(
  path: string,
  patch: { contentType: string; body: unknown },
): Promise<T> {
  return api<T>(path, {
    method: "PATCH",
    headers: { "content-type": patch.contentType },
    body: JSON.stringify(patch.body),
  });
}

/** Opens a streaming GET; the caller reads res.body. Throws ApiError for non-2xx answers. */
export async function openStream(
  path: string,
  signal: AbortSignal,
  accept = "application/json",
): Promise<Response> {
  const res = await fetch(path, { headers: { accept }, signal, credentials: "same-origin" });
  if (res.status === 401) {
    loginRedirect();
    throw new ApiError(401, "your session has ended; log in again");
  }
  if (!res.ok || !res.body) {
    throw new ApiError(res.status, errorMessage(await readBody(res), res.status));
  }
  return res;
}

/** Reads a text stream chunk by chunk until it ends or the signal aborts. */
export async function readText(res: Response, onText: (text: string) => void): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (value) onText(value);
    }
  } finally {
    reader.releaseLock();
  }
}

export const isAbort = (err: unknown) => err instanceof DOMException && err.name === "AbortError";

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
