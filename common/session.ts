// The names of the dashboard's cookies. The session cookie: set by the login handler (or the
// single-sign-on callback), read by the API's authentication and by the web pages.
export const SESSION_COOKIE = "kd_session";

/**
 * The single-sign-on flow cookie: the sealed state, nonce and PKCE verifier of one sign-in with
 * the OpenID provider, set by /auth/oidc/start and read back by /auth/oidc/callback (10 min).
 */
export const SSO_FLOW_COOKIE = "kd_sso";
/** How long a single-sign-on flow may take, from the start to the provider's redirect back. */
export const SSO_FLOW_SECONDS = 600;
