// The single-sign-on flow the web pages run (web/deps.ts SingleSignOn): `start` makes a sign-in's
// secrets (state, nonce, PKCE verifier), seals them with the page it returns to into the flow
// cookie (AES-GCM under a key derived from ENCRYPTION_KEY, ten minutes) and points the browser at
// the provider; `finish` takes the provider's redirect back: the cookie must open and its state
// match (the sign-in is this browser's own), then the code is exchanged, the ID token checked,
// the person's identity read and their account created or updated, and a session started. Every
// outcome is in the audit trail. Each failure is an SsoError with the status and the words the
// error page shows: what happened and what to do.
import { deriveKey } from "../../crypto/derive.ts";
import { encodeBase64, encodeBase64Url } from "../../crypto/encoding.ts";
import { SecretBox } from "../../crypto/secretbox.ts";
import { safeNext } from "../../../web/lib/validate.ts";
import type { AuditEntry } from "../../audit/store.ts";
import { SSO_FLOW_SECONDS } from "../../../common/session.ts";
import { UserDisabledError } from "../service.ts";
import { IdTokenRefused, type OidcProvider, ProviderError } from "./provider.ts";
import { identityFromClaims, NotAllowed } from "./identity.ts";
import { type SsoAccounts, UsernameTaken } from "./accounts.ts";

/** The path the provider sends the browser back to (the redirect URI to register). */
export const CALLBACK_PATH = "/auth/oidc/callback";
/** The additional data flow cookies are sealed with. */
const FLOW_AAD = "sso-flow";
/** A flow cookie longer than this is not one of ours (no work spent on it). */
const MAX_FLOW_COOKIE = 2048;

/** A sign-in that did not finish: the status and title of the error page, the message its text. */
export class SsoError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    /** The audit trail's outcome. */
    readonly outcome: "failure" | "refused" | "disabled" = "failure",
  ) {
    super(message);
  }
}

/** What one sign-in keeps in its flow cookie. */
interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
  /** Expiry, ms since the epoch. */
  exp: number;
}

const random = () => encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));

function decodeBase64Url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function isFlow(v: unknown): v is Flow {
  const f = v as Flow;
  return typeof f === "object" && f !== null && typeof f.state === "string" &&
    typeof f.nonce === "string" && typeof f.verifier === "string" &&
    typeof f.next === "string" && typeof f.exp === "number";
}

export interface SsoFlowDeps {
  provider: OidcProvider;
  accounts: SsoAccounts;
  /** ENCRYPTION_KEY (base64): the flow cookie's key is derived from it. */
  encryptionKeyB64: string;
  /** PUBLIC_URL: the redirect URI and where sign-out at the provider returns. */
  publicUrl: string;
  audit: (e: AuditEntry) => void | Promise<void>;
  log: (message: string) => void;
  /** The clock (tests). */
  now?: () => number;
}

export class SsoFlow {
  readonly name: string;
  readonly #redirectUri: string;
  readonly #now: () => number;

  private constructor(private readonly deps: SsoFlowDeps, private readonly box: SecretBox) {
    this.name = deps.provider.config.providerName;
    this.#redirectUri = `${deps.publicUrl}${CALLBACK_PATH}`;
    this.#now = deps.now ?? Date.now;
  }

  static async create(deps: SsoFlowDeps): Promise<SsoFlow> {
    const key = await deriveKey(deps.encryptionKeyB64, "dashboard-sso-flow");
    return new SsoFlow(deps, await SecretBox.fromBase64(encodeBase64(key)));
  }

  /** The redirect URI this dashboard sends (register it at the provider). */
  get redirectUri(): string {
    return this.#redirectUri;
  }

  async start(next: string): Promise<{ location: string; flowCookie: string }> {
    const flow: Flow = {
      state: random(),
      nonce: random(),
      verifier: random(),
      next: safeNext(next),
      exp: this.#now() + SSO_FLOW_SECONDS * 1000,
    };
    const sealed = await this.box.seal(JSON.stringify(flow), FLOW_AAD);
    return {
      location: await this.deps.provider.authorizationUrl({
        state: flow.state,
        nonce: flow.nonce,
        verifier: flow.verifier,
        redirectUri: this.#redirectUri,
      }),
      flowCookie: encodeBase64Url(sealed),
    };
  }

  async #openFlow(cookie: string | undefined): Promise<Flow> {
    const again = "Start again from the sign-in page.";
    if (!cookie) {
      throw new SsoError(
        400,
        "Sign-in not started here",
        "This browser has no sign-in in progress (it took more than ten minutes, cookies are " +
          `blocked, or the link came from elsewhere). ${again}`,
      );
    }
    let flow: unknown;
    try {
      if (cookie.length > MAX_FLOW_COOKIE) throw new Error("too long");
      flow = JSON.parse(await this.box.open(decodeBase64Url(cookie), FLOW_AAD));
    } catch {
      flow = null;
    }
    if (!isFlow(flow)) {
      throw new SsoError(
        400,
        "Sign-in not started here",
        `The sign-in cookie is not valid. ${again}`,
      );
    }
    if (flow.exp < this.#now()) {
      throw new SsoError(
        400,
        "Sign-in expired",
        `The sign-in took more than ten minutes. ${again}`,
      );
    }
    return flow;
  }

  async finish(
    query: Record<string, string>,
    flowCookie: string | undefined,
    client: string,
  ): Promise<{ token: string; expiresAt: Date; next: string }> {
    let username: string | null = null;
    const audit = (status: number, outcome: string, userId: string | null = null) =>
      this.deps.audit({
        userId,
        username,
        source: client,
        clusterId: null,
        verb: "login",
        path: CALLBACK_PATH,
        status,
        outcome,
      });
    try {
      const result = await this.#finish(query, flowCookie, (u) => username = u);
      await audit(200, "success", result.userId);
      return result;
    } catch (err) {
      const e = err instanceof SsoError ? err : new SsoError(
        500,
        "Sign-in failed",
        `The sign-in could not be completed (${(err as Error).message}). Try again.`,
      );
      if (!(err instanceof SsoError)) {
        this.deps.log(`single sign-on failed: ${(err as Error).message}`);
      }
      await audit(e.status, e.outcome);
      throw e;
    }
  }

  async #finish(
    query: Record<string, string>,
    flowCookie: string | undefined,
    named: (username: string) => void,
  ): Promise<{ token: string; expiresAt: Date; next: string; userId: string }> {
    const name = this.name;
    if (query.error) {
      // The provider's own code (access_denied, login_required, …); its description is free text.
      const code = /^[A-Za-z0-9_.-]{1,64}$/.test(query.error) ? query.error : "error";
      throw new SsoError(
        401,
        "Sign-in cancelled",
        `${name} did not sign you in (${code}). Try again, or ask your administrator.`,
      );
    }
    const flow = await this.#openFlow(flowCookie);
    if (!query.state || query.state !== flow.state) {
      throw new SsoError(
        400,
        "Sign-in not started here",
        "The answer from the provider belongs to another sign-in. Start again from the sign-in page.",
      );
    }
    if (!query.code) {
      throw new SsoError(502, "Sign-in failed", `${name} sent no authorization code. Try again.`);
    }
    const { provider, accounts } = this.deps;
    let claims;
    try {
      const idToken = await provider.exchangeCode(query.code, flow.verifier, this.#redirectUri);
      claims = await provider.verifyIdToken(idToken, flow.nonce, new Date(this.#now()));
    } catch (err) {
      if (err instanceof ProviderError) {
        this.deps.log(`single sign-on: ${err.message}`);
        void provider.refresh();
        throw new SsoError(
          502,
          `${name} is not answering`,
          `The dashboard could not complete the sign-in with ${name} (${err.message}). Try again ` +
            "in a moment; an account with a password can still sign in on the sign-in page.",
        );
      }
      if (err instanceof IdTokenRefused) {
        this.deps.log(`single sign-on: refused an ID token: ${err.message}`);
        void provider.refresh();
        throw new SsoError(401, "Sign-in refused", `${err.message}. Try again.`);
      }
      throw err;
    }
    // The name the token gives, for the audit trail also when the person is not let in.
    const claimed = claims[provider.config.usernameClaim] ?? claims.email;
    if (typeof claimed === "string") named(claimed.toLowerCase().slice(0, 63));
    let identity;
    try {
      identity = identityFromClaims(claims, provider.config);
    } catch (err) {
      if (!(err instanceof NotAllowed)) throw err;
      this.deps.log(
        `single sign-on: refused ${claimed ?? claims.sub}: ${err.message} ` +
          `(OIDC_ALLOWED_GROUPS=${provider.config.allowedGroups.join(",")})`,
      );
      // Whatever access they had ends now (sessions and API tokens).
      if (await accounts.endAccess(provider.discovery.issuer, String(claims.sub))) {
        this.deps.log(`single sign-on: ended the access of subject ${claims.sub}: ${err.message}`);
      }
      throw new SsoError(403, "Not allowed", `${err.message}.`, "refused");
    }
    named(identity.username);
    if (identity.droppedGroups) {
      this.deps.log(
        `single sign-on: ${identity.username}: ${identity.droppedGroups} group(s) left out ` +
          "(names the dashboard cannot carry, or beyond the first 256)",
      );
    }
    try {
      const session = await accounts.signIn(identity);
      return { ...session, next: flow.next, userId: session.user.id };
    } catch (err) {
      if (err instanceof UserDisabledError) {
        throw new SsoError(
          403,
          "Account disabled",
          "Your dashboard account is disabled. Ask a dashboard admin to enable it.",
          "disabled",
        );
      }
      if (err instanceof UsernameTaken) {
        throw new SsoError(409, "Username taken", `${err.message}.`);
      }
      throw err;
    }
  }

  /** The provider's end-session URL (it sends the browser back to the sign-in page), if any. */
  endSessionUrl(): string | null {
    return this.deps.provider.endSessionUrl(`${this.deps.publicUrl}/login`);
  }
}
