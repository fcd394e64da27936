// The OpenID provider as the dashboard talks to it: its discovery document (read at start, and
// again every hour and after a failed sign-in, keeping the last good one), the authorization
// request (code flow with PKCE S256, state and nonce), the code exchange at the token endpoint and
// the ID token check: signature against the provider's JWKS (jose; keys re-read when a token
// names an unknown key, so rotation needs no restart), issuer, audience, authorized party, expiry,
// issue time and nonce. Every call to the provider has a timeout.
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import { z } from "zod";
import type { OidcConfig } from "./config.ts";
import { encodeBase64Url } from "../../crypto/encoding.ts";

/** How long one request to the provider may take. */
export const PROVIDER_TIMEOUT_MS = 10_000;
/** How often the discovery document is read again while the dashboard runs. */
const REDISCOVER_MS = 60 * 60_000;
/**
 * The shortest time between two reads after failed sign-ins: anyone can make a sign-in fail (a
 * made-up code), and must not make the dashboard read the provider's document each time.
 */
const MIN_REDISCOVER_MS = 60_000;
/**
 * The shortest time between two reads of the provider's keys (a token naming an unknown key makes
 * one): a flood of forged tokens cannot make the dashboard hammer the provider.
 */
const JWKS_COOLDOWN_MS = 30_000;
/** Allowed clock difference with the provider for exp, iat and nbf. */
const CLOCK_TOLERANCE_S = 60;
/** Signature algorithms accepted when the provider lists none: the OpenID default. */
const DEFAULT_ALGORITHMS = ["RS256"];
/** Never accepted, whatever the provider lists: unsigned, or keyed with a shared secret. */
const REFUSED_ALGORITHMS = /^(none|HS\d+)$/i;

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  end_session_endpoint: z.url().optional(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  code_challenge_methods_supported: z.array(z.string()).optional(),
});
export type Discovery = z.infer<typeof discoverySchema>;

const tokenResponseSchema = z.object({ id_token: z.string().min(1) });

/** The provider could not be reached or answered what no OpenID provider should. */
export class ProviderError extends Error {}

/** The ID token is not one this dashboard may accept (its reason is safe to show). */
export class IdTokenRefused extends Error {}

async function fetchWithTimeout(url: string, init: RequestInit = {}): Promise<Response> {
  return await fetch(url, { ...init, signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
}

/** Reads and checks `issuer`'s discovery document. */
export async function discover(issuer: string): Promise<Discovery> {
  const url = `${issuer}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const res = await fetchWithTimeout(url, { headers: { accept: "application/json" } });
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProviderError(`${url} answered ${res.status}`);
    }
    body = await res.json();
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    throw new ProviderError(`cannot read ${url}: ${(err as Error).message}`);
  }
  const parsed = discoverySchema.safeParse(body);
  if (!parsed.success) {
    throw new ProviderError(`${url} is not an OpenID discovery document: ${parsed.error.message}`);
  }
  if (parsed.data.issuer.replace(/\/+$/, "") !== issuer) {
    throw new ProviderError(
      `${url} names the issuer ${JSON.stringify(parsed.data.issuer)}, not ${issuer}: ` +
        "set OIDC_ISSUER_URL to the provider's issuer exactly",
    );
  }
  return parsed.data;
}

export class OidcProvider {
  #discovery: Discovery;
  #jwks: ReturnType<typeof createRemoteJWKSet>;
  #refreshing: Promise<void> | undefined;
  #readAt = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    readonly config: OidcConfig,
    discovery: Discovery,
    private readonly log: (message: string) => void,
    private readonly limits: { jwksCooldownMs: number; minRediscoverMs: number },
  ) {
    this.#discovery = discovery;
    this.#jwks = this.#keySet(discovery);
  }

  /** Reads the discovery document (throws ProviderError when it cannot) and starts. */
  static async start(
    config: OidcConfig,
    log: (message: string) => void,
    /** Tests shorten the limits. */
    opts: { jwksCooldownMs?: number; minRediscoverMs?: number } = {},
  ): Promise<OidcProvider> {
    const provider = new OidcProvider(config, await discover(config.issuerUrl), log, {
      jwksCooldownMs: opts.jwksCooldownMs ?? JWKS_COOLDOWN_MS,
      minRediscoverMs: opts.minRediscoverMs ?? MIN_REDISCOVER_MS,
    });
    const timer = setInterval(() => provider.refresh(), REDISCOVER_MS);
    Deno.unrefTimer(timer);
    provider.#timer = timer;
    return provider;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  get discovery(): Discovery {
    return this.#discovery;
  }

  #keySet(d: Discovery) {
    return createRemoteJWKSet(new URL(d.jwks_uri), {
      timeoutDuration: PROVIDER_TIMEOUT_MS,
      cooldownDuration: this.limits.jwksCooldownMs,
    });
  }

  /**
   * Reads the discovery document again (one read at a time, at most one a minute); a failure is
   * logged and the last good document kept: a provider that is away does not stop the dashboard.
   */
  refresh(): Promise<void> {
    if (!this.#refreshing && Date.now() - this.#readAt < this.limits.minRediscoverMs) {
      return Promise.resolve();
    }
    this.#readAt = Date.now();
    this.#refreshing ??= discover(this.config.issuerUrl).then((d) => {
      if (d.jwks_uri !== this.#discovery.jwks_uri) this.#jwks = this.#keySet(d);
      this.#discovery = d;
    }, (err) => this.log((err as Error).message)).finally(() => this.#refreshing = undefined);
    return this.#refreshing;
  }

  /** The URL that starts a sign-in at the provider (PKCE: the S256 challenge of `verifier`). */
  async authorizationUrl(
    p: { state: string; nonce: string; verifier: string; redirectUri: string },
  ): Promise<string> {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(p.verifier));
    const url = new URL(this.#discovery.authorization_endpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", this.config.clientId);
    url.searchParams.set("redirect_uri", p.redirectUri);
    url.searchParams.set("scope", this.config.scopes.join(" "));
    url.searchParams.set("state", p.state);
    url.searchParams.set("nonce", p.nonce);
    url.searchParams.set("code_challenge", encodeBase64Url(new Uint8Array(digest)));
    url.searchParams.set("code_challenge_method", "S256");
    return url.toString();
  }

  /** The provider's end-session endpoint for this client, when it has one. */
  endSessionUrl(postLogoutRedirect: string): string | null {
    const endpoint = this.#discovery.end_session_endpoint;
    if (!endpoint) return null;
    const url = new URL(endpoint);
    url.searchParams.set("client_id", this.config.clientId);
    url.searchParams.set("post_logout_redirect_uri", postLogoutRedirect);
    return url.toString();
  }

  /** Exchanges an authorization code for the ID token (throws ProviderError). */
  async exchangeCode(code: string, verifier: string, redirectUri: string): Promise<string> {
    const { clientId, clientSecret } = this.config;
    const form = new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    const headers = new Headers({
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    });
    const methods = this.#discovery.token_endpoint_auth_methods_supported ??
      ["client_secret_basic"];
    if (clientSecret === undefined) {
      form.set("client_id", clientId);
    } else if (methods.includes("client_secret_basic")) {
      // RFC 6749 2.3.1: both parts form-encoded before Basic.
      const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
      headers.set("authorization", `Basic ${btoa(`${enc(clientId)}:${enc(clientSecret)}`)}`);
    } else {
      form.set("client_id", clientId);
      form.set("client_secret", clientSecret);
    }
    let res: Response;
    try {
      res = await fetchWithTimeout(this.#discovery.token_endpoint, {
        method: "POST",
        headers,
        body: form,
      });
    } catch (err) {
      throw new ProviderError(`cannot reach the token endpoint: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      // The provider's own error code (invalid_grant, invalid_client, …), never the body as is.
      const code = /"error"\s*:\s*"([A-Za-z0-9_.-]{1,64})"/.exec(text)?.[1] ?? "no error code";
      throw new ProviderError(`the token endpoint refused the code (${res.status}, ${code})`);
    }
    const parsed = tokenResponseSchema.safeParse(JSON.parse(text || "null"));
    if (!parsed.success) throw new ProviderError("the token endpoint gave no ID token");
    return parsed.data.id_token;
  }

  /**
   * Checks an ID token for this client and the sign-in that asked for it (`nonce`); returns its
   * claims or throws IdTokenRefused. `now` is for tests.
   */
  async verifyIdToken(idToken: string, nonce: string, now?: Date): Promise<JWTPayload> {
    const algorithms = (this.#discovery.id_token_signing_alg_values_supported ?? DEFAULT_ALGORITHMS)
      .filter((a) => !REFUSED_ALGORITHMS.test(a));
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.#jwks, {
        issuer: this.#discovery.issuer,
        audience: this.config.clientId,
        algorithms,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ["sub", "exp", "iat"],
        currentDate: now,
      }));
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new IdTokenRefused(`the ID token is not valid (${e.code ?? "error"}: ${e.message})`);
    }
    // OpenID Connect Core 3.1.3.7: with several audiences, azp must name this client.
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (
      (audiences.length > 1 || payload.azp !== undefined) && payload.azp !== this.config.clientId
    ) {
      throw new IdTokenRefused("the ID token was issued to another client (azp)");
    }
    if (payload.nonce !== nonce) {
      throw new IdTokenRefused("the ID token's nonce is not this sign-in's");
    }
    return payload;
  }
}
