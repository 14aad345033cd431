import { decodeJwtClaims, type DreamClient, type StoredSession } from "./client";
import { entitlementsFromClaims, hasFeature } from "./entitlements";
import { DreamAPIException } from "./errors";
import type { RequestOptions } from "./http";
import { codeChallengeS256, createCodeVerifier } from "./pkce";
import type { AuthUrlOptions, ClerkUser, Revoked, SignedIn, TokenEntitlements, TokenStorage } from "./types";

/** How long a started sign-in may take before its verifier is thrown away (the code lives 5 min). */
const PENDING_TTL_MS = 30 * 60 * 1000;

export interface SignInOptions {
  /** Where to come back to (default: the current page). Must be on the project's allowed origins. */
  redirect?: string;
  /** Called with the hosted page's URL instead of `window.location.assign` (tests, SSR, popups). */
  navigate?: (url: string) => void;
}

export interface CallbackOptions {
  /** The URL the browser landed on (default: `window.location.href`). */
  url?: string;
}

interface PendingSignIn {
  verifier: string;
  redirectUri: string;
  createdAt: number;
}

type BrowserWindow = {
  location: { href: string; origin: string; assign(url: string): void };
  history?: { replaceState(data: unknown, unused: string, url?: string): void };
};

function browserWindow(): BrowserWindow | undefined {
  const candidate = (globalThis as { window?: BrowserWindow }).window;
  return candidate?.location ? candidate : undefined;
}

function sessionStorageOr(fallback: TokenStorage): TokenStorage {
  try {
    return ((globalThis as { sessionStorage?: TokenStorage }).sessionStorage ?? fallback) as TokenStorage;
  } catch {
    return fallback;
  }
}

/** The URL without its `code` parameter: the redirect the hosted page was given. */
export function withoutCode(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.delete("code");
  return parsed.toString();
}

/**
 * End-user sign-in without a backend: the hosted pages with PKCE, the token kept by the client
 * (memory, or the configured storage) and refreshed before it expires. Also the original
 * client's URL helpers, and the secret-key calls a backend uses (exchangeCode, refresh, revoke).
 */
export class AuthHelpers {
  private readonly pendingStorage: TokenStorage;
  private readonly pendingKey: string;

  constructor(private readonly client: DreamClient) {
    // The verifier must survive the round trip to the hosted page: sessionStorage when there is
    // one (same tab, gone when it closes), else the client's own storage.
    this.pendingStorage = sessionStorageOr(client.storage);
    this.pendingKey = `dreamapi.pkce.${client.publishableKey ?? "server"}`;
  }

  // --- URLs of the hosted pages (the original client's helpers) -----------------------------

  getSignUpUrl(options: AuthUrlOptions): string {
    return this.pageUrl("/signup", options.redirect);
  }

  getSignInUrl(options: AuthUrlOptions): string {
    return this.pageUrl("/signin", options.redirect);
  }

  /** The hosted account page (name, password, sign out everywhere, delete account). */
  getCustomerPortalUrl(options?: { returnUrl?: string }): string {
    return this.pageUrl("/account", options?.returnUrl ?? browserWindow()?.location.href ?? "/");
  }

  /** The hosted refresh page: comes back with a fresh code (e.g. as a checkout's successUrl). */
  getRefreshUrl(options: AuthUrlOptions): string {
    return this.pageUrl("/refresh", options.redirect);
  }

  private pageUrl(path: string, redirect: string, extra: Record<string, string> = {}): string {
    const pk = this.client.publishableKey;
    if (!pk) throw new Error("DreamAPI: publishableKey required for auth URLs");
    const params = new URLSearchParams({ pk, redirect: this.absolute(redirect), ...extra });
    return `${this.client.signupUrl}${path}?${params.toString()}`;
  }

  private absolute(path: string): string {
    if (/^https?:\/\//i.test(path)) return path;
    const win = browserWindow();
    return win ? new URL(path, win.location.href).toString() : path;
  }

  // --- browser sign-in with PKCE -------------------------------------------------------------

  /** Sends the browser to the hosted sign-up page; `handleCallback()` finishes on return. */
  signUp(options: SignInOptions = {}): Promise<string> {
    return this.start("/signup", options);
  }

  /** Sends the browser to the hosted sign-in page; `handleCallback()` finishes on return. */
  signIn(options: SignInOptions = {}): Promise<string> {
    return this.start("/signin", options);
  }

  /** Sends the browser to the hosted /refresh page (after a plan change), with PKCE. */
  refreshPlan(options: SignInOptions = {}): Promise<string> {
    return this.start("/refresh", options);
  }

  private async start(path: string, options: SignInOptions): Promise<string> {
    const win = browserWindow();
    const redirect = options.redirect ?? (win ? withoutCode(win.location.href) : undefined);
    if (!redirect) throw new Error("DreamAPI: pass { redirect } outside a browser");
    const redirectUri = this.absolute(redirect);
    const verifier = createCodeVerifier(this.client.cryptoImpl);
    const challenge = await codeChallengeS256(verifier, this.client.cryptoImpl);
    const pending: PendingSignIn = { verifier, redirectUri, createdAt: Date.now() };
    this.pendingStorage.setItem(this.pendingKey, JSON.stringify(pending));
    const url = this.pageUrl(path, redirectUri, { code_challenge: challenge, code_challenge_method: "S256" });
    const navigate = options.navigate ?? (win ? (target: string) => win.location.assign(target) : undefined);
    if (navigate) navigate(url);
    return url;
  }

  /**
   * On the page the hosted flow returned to: exchanges `?code=` (with the publishable key and
   * the PKCE verifier kept by `signIn()`), keeps the token, and removes `code` from the address
   * bar. Returns null when the URL has no code.
   */
  async handleCallback(options: CallbackOptions = {}): Promise<SignedIn | null> {
    const win = browserWindow();
    const landed = options.url ?? win?.location.href;
    if (!landed) throw new Error("DreamAPI: pass { url } outside a browser");
    const code = new URL(landed).searchParams.get("code");
    if (!code) return null;
    const pending = this.takePending();
    const redirectUri = pending?.redirectUri ?? withoutCode(landed);
    if (!pending && !this.client.secretKey) {
      throw new DreamAPIException({
        error: "Sign-in not started here", code: "pkce_verifier_missing",
        message: "This page got a sign-in code but holds no PKCE verifier for it: start with auth.signIn() in this tab.",
      }, 400);
    }
    const signedIn = await this.exchangeCode({ code, redirectUri, codeVerifier: pending?.verifier });
    this.client.sessionFrom(signedIn);
    if (win?.history && options.url === undefined) win.history.replaceState(null, "", withoutCode(landed));
    return signedIn;
  }

  private takePending(): PendingSignIn | null {
    const raw = this.pendingStorage.getItem(this.pendingKey);
    this.pendingStorage.removeItem(this.pendingKey);
    if (!raw) return null;
    try {
      const pending = JSON.parse(raw) as PendingSignIn;
      return Date.now() - pending.createdAt < PENDING_TTL_MS ? pending : null;
    } catch {
      return null;
    }
  }

  /** Restores the stored session and, when the page carries a code, finishes the sign-in. */
  async init(options: CallbackOptions = {}): Promise<void> {
    const landed = options.url ?? browserWindow()?.location.href;
    if (landed && new URL(landed).searchParams.get("code") && this.pendingStorage.getItem(this.pendingKey)) {
      await this.handleCallback(options);
    }
  }

  isSignedIn(): boolean {
    const session = this.client.getSession();
    return Boolean(session && (!session.expiresAt || session.expiresAt > Date.now()));
  }

  /** The signed-in end user ({id, email, plan, publishableKey}), or null. */
  getUser(): ClerkUser | null {
    const session = this.client.getSession();
    if (!session) return null;
    const claims = decodeJwtClaims(session.token) ?? {};
    const customer = session.customer;
    return {
      id: customer?.id ?? String(claims.sub ?? ""),
      email: customer?.email ?? String(claims.email ?? ""),
      plan: customer?.plan ?? String(claims.plan ?? "free"),
      publishableKey: customer?.publishableKey ?? String(claims.pk ?? this.client.publishableKey ?? ""),
    };
  }

  /**
   * The signed-in end user's entitlements from their token ({plan, features, version}), or
   * null: read without a call, for showing or hiding what their plan has (the API still
   * enforces every limit). After a plan change, `refresh()` or `auth.refresh()` brings new ones.
   */
  entitlements(): TokenEntitlements | null {
    const session = this.client.getSession();
    return session ? entitlementsFromClaims(session.token) : null;
  }

  /** Whether the signed-in end user's plan grants `feature` (see `hasFeature`); false when signed out. */
  hasFeature(feature: string): boolean {
    const entitlements = this.entitlements();
    return entitlements !== null && hasFeature(entitlements, feature);
  }

  getSession(): StoredSession | null {
    return this.client.getSession();
  }

  /** The current token (refreshed first if it is about to expire), or null. */
  getToken(): Promise<string | null> {
    return this.client.freshToken();
  }

  /** Calls `listener` whenever the signed-in end user changes (sign-in, refresh, sign-out). */
  onChange(listener: (session: StoredSession | null) => void): () => void {
    return this.client.onSessionChange(listener);
  }

  /** A new token now (tokens are also refreshed automatically before they expire). */
  async refreshToken(): Promise<void> {
    await this.client.refreshSession();
  }

  /** Signs the end user out: forgets the token here and revokes it (every device) on the server. */
  async signOut(): Promise<void> {
    const session = this.client.getSession();
    this.client.setSession(null);
    if (!session) return;
    if (this.client.secretKey && session.customer?.id) {
      await this.revoke({ customerId: session.customer.id });
    } else {
      await this.client.post<Revoked>("/api/auth/revoke", { body: { token: session.token }, user: "optional",
                                                                  options: { userToken: session.token } });
    }
  }

  // --- backend calls (secret key) ------------------------------------------------------------

  /** `POST /api/auth/exchange`: a sign-in code for the end user and a token. */
  exchangeCode(params: { code: string; redirectUri: string; codeVerifier?: string }, options?: RequestOptions): Promise<SignedIn> {
    const body: Record<string, string> = { code: params.code, redirectUri: params.redirectUri };
    if (params.codeVerifier) body.codeVerifier = params.codeVerifier;
    return this.client.post<SignedIn>("/api/auth/exchange", { body, options });
  }

  /** `POST /api/auth/refresh`: a new token for an end user, named by id or by a previous token. */
  refresh(params: { customerId: string } | { token: string }, options?: RequestOptions): Promise<SignedIn> {
    return this.client.post<SignedIn>("/api/auth/refresh", { body: params, options });
  }

  /** `POST /api/auth/revoke`: every token of the end user stops working. */
  revoke(params: { customerId: string } | { token: string }, options?: RequestOptions): Promise<Revoked> {
    return this.client.post<Revoked>("/api/auth/revoke", { body: params, options });
  }

  /** True when the URL carries a sign-in code (the original client's static helper). */
  static hasAuthParams(url?: string): boolean {
    const href = url ?? browserWindow()?.location.href;
    return Boolean(href && new URL(href).searchParams.get("code"));
  }
}
