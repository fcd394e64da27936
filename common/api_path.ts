// The Kubernetes API paths the dashboard proxies and the agent requests: /api, /apis, /version and
// /openapi, with or without a query. Both ends check it (with their own further rules).

const PROXY_PATH = /^\/(api|apis|version|openapi)(\/|\?|$)/;

/** Whether a path (optionally with its query) is one of the Kubernetes API's. */
export function isProxyPath(pathAndQuery: string): boolean {
  return PROXY_PATH.test(pathAndQuery);
}
