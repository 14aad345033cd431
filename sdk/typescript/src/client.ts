import { DreamAPIException } from "./errors";
import { HttpClient, type Method, type RequestOptions } from "./http";
import type { Customer, DreamAPIConfig, SignedIn, TokenStorage } from "./types";

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_MAX_RETRY_DELAY_MS = 20_000;
const DEFAULT_REFRESH_MARGIN_S = 60;

export interface StoredSession {
  token: string;
  /** Epoch ms; 0 when unknown. */
  expiresAt: number;
  customer?: Customer;
}

class MemoryStorage implements TokenStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.has(key) ? (this.items.get(key) as string) : null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

function webStorage(name: "localStorage" | "sessionStorage"): TokenStorage | undefined {
  try {
    const storage = (globalThis as Record<string, unknown>)[name] as TokenStorage | undefined;
    return storage ?? undefined;
  } catch {
    return undefined; // e.g. storage disabled by the browser's privacy settings
  }
}

function resolveStorage(option: DreamAPIConfig["storage"]): TokenStorage {
  if (option === undefined || option === "memory") return new MemoryStorage();
  if (typeof option === "string") return webStorage(option) ?? new MemoryStorage();
  return option;
}

function browserOrigin(): string | undefined {
  const location = (globalThis as { location?: { origin?: string } }).location;
  return location?.origin && location.origin !== "null" ? location.origin : undefined;
}

function base64UrlDecode(segment: string): string {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(segment.length / 4) * 4, "=");
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The claims of a JWT, unverified (for expiry and display only: the server verifies). */
export function decodeJwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1]));
    return claims && typeof claims === "object" ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export type UserAuth = "none" | "optional" | "required";

export interface CallSpec {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Whether the call acts for an end user. */
  user?: UserAuth;
  options?: RequestOptions;
}

/** Keys, the HTTP layer and the end user's session, shared by every resource. */
export class DreamClient {
  readonly secretKey?: string;
  readonly publishableKey?: string;
  readonly baseUrl: string;
  readonly signupUrl: string;
  readonly http: HttpClient;
  readonly storage: TokenStorage;
  readonly cryptoImpl?: Crypto;
  private readonly refreshMarginMs: number;
  private readonly sessionKey: string;
  private refreshing: Promise<string> | null = null;
  private listeners = new Set<(session: StoredSession | null) => void>();

  constructor(config: DreamAPIConfig) {
    if (!config.secretKey && !config.publishableKey) {
      throw new Error("DreamAPI: Either secretKey or publishableKey is required");
    }
    const baseUrl = (config.baseUrl ?? browserOrigin() ?? "").replace(/\/+$/, "");
    if (!baseUrl) throw new Error("DreamAPI: baseUrl is required (the address of your dream-api server)");
    const fetchImpl = config.fetch ?? (globalThis.fetch ? globalThis.fetch.bind(globalThis) : undefined);
    if (!fetchImpl) throw new Error("DreamAPI: no fetch implementation: pass config.fetch");
    this.secretKey = config.secretKey;
    this.publishableKey = config.publishableKey;
    this.baseUrl = baseUrl;
    this.signupUrl = (config.signupUrl ?? baseUrl).replace(/\/+$/, "");
    this.http = new HttpClient({
      baseUrl,
      fetch: fetchImpl,
      timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: config.maxRetries ?? DEFAULT_MAX_RETRIES,
      maxRetryDelayMs: config.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS,
      headers: config.headers ?? {},
    });
    this.storage = resolveStorage(config.storage);
    this.cryptoImpl = config.crypto;
    this.refreshMarginMs = (config.refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_S) * 1000;
    this.sessionKey = `dreamapi.session.${config.publishableKey ?? "server"}`;
  }

  /** Browser mode: only the publishable key, end users act through their token. */
  isFrontendOnly(): boolean {
    return !this.secretKey;
  }

  getPublishableKey(): string | undefined {
    return this.publishableKey;
  }

  // --- the end user's session ---------------------------------------------------------------

  getSession(): StoredSession | null {
    const raw = this.storage.getItem(this.sessionKey);
    if (!raw) return null;
    try {
      const session = JSON.parse(raw) as StoredSession;
      return typeof session.token === "string" ? session : null;
    } catch {
      return null;
    }
  }

  setSession(session: StoredSession | null): void {
    if (session) this.storage.setItem(this.sessionKey, JSON.stringify(session));
    else this.storage.removeItem(this.sessionKey);
    for (const listener of this.listeners) listener(session);
  }

  onSessionChange(listener: (session: StoredSession | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setUserToken(token: string): void {
    const claims = decodeJwtClaims(token);
    const expiresAt = typeof claims?.exp === "number" ? claims.exp * 1000 : 0;
    const previous = this.getSession();
    this.setSession({ token, expiresAt, customer: previous?.token === token ? previous.customer : undefined });
  }

  clearUserToken(): void {
    this.setSession(null);
  }

  sessionFrom(signedIn: SignedIn): StoredSession {
    const session = { token: signedIn.token, expiresAt: Date.now() + signedIn.expiresIn * 1000, customer: signedIn.customer };
    this.setSession(session);
    return session;
  }

  /** The current token, refreshed first when it expires within the refresh margin. */
  async freshToken(): Promise<string | null> {
    const session = this.getSession();
    if (!session) return null;
    if (!session.expiresAt || session.expiresAt - Date.now() > this.refreshMarginMs) return session.token;
    return this.refreshSession();
  }

  /** One refresh at a time: concurrent calls wait for the same new token. */
  refreshSession(): Promise<string> {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        const session = this.getSession();
        if (!session) {
          throw new DreamAPIException({ error: "auth_required", code: "auth_required", message: "No end user is signed in." }, 401);
        }
        try {
          const signedIn = await this.call<SignedIn>("POST", "/api/auth/refresh", { body: { token: session.token } });
          return this.sessionFrom(signedIn).token;
        } catch (error) {
          if (error instanceof DreamAPIException && error.status === 401) this.setSession(null);
          throw error;
        }
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  // --- requests -----------------------------------------------------------------------------

  keyHeader(): Record<string, string> {
    return { Authorization: `Bearer ${this.secretKey ?? this.publishableKey}` };
  }

  async call<T>(method: Method, path: string, spec: CallSpec = {}): Promise<T> {
    const options = spec.options ?? {};
    const headers = this.keyHeader();
    const user = spec.user ?? "none";
    if (user !== "none") {
      if (options.userId) {
        if (!this.secretKey) {
          throw new DreamAPIException({
            error: "Secret key required", code: "secret_key_required",
            message: "Naming an end user by id needs the secret key; in a browser, sign the end user in (auth.signIn) instead.",
          }, 403);
        }
        headers["X-User-Id"] = options.userId;
      } else {
        const token = options.userToken ?? (await this.freshToken());
        if (token) headers["X-User-Token"] = token;
        else if (user === "required") {
          throw new DreamAPIException({
            error: "auth_required", code: "auth_required",
            message: this.secretKey
              ? "Name the end user: pass { userId } or { userToken }, or call setUserToken() first."
              : "User token required: sign the end user in (auth.signIn) or call setUserToken() first.",
          }, 401);
        }
      }
    }
    return this.http.request<T>({ method, path, query: spec.query, body: spec.body, headers, options });
  }

  get<T>(path: string, spec?: CallSpec): Promise<T> {
    return this.call<T>("GET", path, spec);
  }

  post<T>(path: string, spec?: CallSpec): Promise<T> {
    return this.call<T>("POST", path, spec);
  }

  patch<T>(path: string, spec?: CallSpec): Promise<T> {
    return this.call<T>("PATCH", path, spec);
  }

  delete<T>(path: string, spec?: CallSpec): Promise<T> {
    return this.call<T>("DELETE", path, spec);
  }
}
