import { DreamAPIException, type DreamAPIError } from "./errors";

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** Options every call accepts as its last argument. */
export interface RequestOptions {
  /** Secret-key mode: the end user this call acts for (our `usr_…` id or your own external id). */
  userId?: string;
  /** The end user's token for this call only (instead of the client's current one). */
  userToken?: string;
  /** Sent as `Idempotency-Key`: a retried write with the same key is applied once. */
  idempotencyKey?: string;
  /** Cancels the call (and its retries). */
  signal?: AbortSignal;
  /** Per-attempt timeout in milliseconds (default: the client's `timeoutMs`). */
  timeoutMs?: number;
  /** Retries for 429/503 (default: the client's `maxRetries`). */
  maxRetries?: number;
}

export interface HttpConfig {
  baseUrl: string;
  fetch: typeof fetch;
  timeoutMs: number;
  maxRetries: number;
  maxRetryDelayMs: number;
  headers: Record<string, string>;
}

export interface HttpRequest {
  method: Method;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers: Record<string, string>;
  options?: RequestOptions;
}

const RETRY_STATUSES = new Set([429, 503]);
const BASE_BACKOFF_MS = 500;

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}

function backoffMs(attempt: number, cap: number): number {
  const exponential = Math.min(cap, BASE_BACKOFF_MS * 2 ** attempt);
  return exponential / 2 + Math.random() * (exponential / 2);
}

function abortedError(request: { method: string; url: string }, cause?: unknown): DreamAPIException {
  return new DreamAPIException({ error: "aborted", code: "aborted", message: "The request was aborted." }, 0, { request, cause });
}

/** Waits before a retry; an abort of the caller's signal ends the wait with the SDK's error. */
function sleep(ms: number, request: { method: string; url: string }, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(request, signal.reason));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(request, signal?.reason));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorBody(status: number, body: unknown): DreamAPIError {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const object = body as Record<string, unknown>;
    return {
      ...object,
      error: typeof object.error === "string" ? object.error : `HTTP ${status}`,
      message: typeof object.message === "string" ? object.message : typeof object.error === "string" ? object.error : `HTTP ${status}`,
    } as DreamAPIError;
  }
  const text = typeof body === "string" ? body.slice(0, 200) : "";
  return { error: `HTTP ${status}`, message: text || `The server answered HTTP ${status}.`, code: `http_${status}` };
}

/**
 * fetch with timeouts, retries for 429/503 (honouring `Retry-After`) and one error type.
 * A 429 or 503 means the server did not apply the request, so it is retried for every method;
 * a network failure or timeout is retried only where repeating cannot apply a write twice
 * (GET, or a write that carries an idempotency key).
 */
export class HttpClient {
  constructor(private readonly config: HttpConfig) {}

  get baseUrl(): string {
    return this.config.baseUrl;
  }

  url(path: string, query?: HttpRequest["query"]): string {
    const url = new URL(this.config.baseUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  async request<T>(request: HttpRequest): Promise<T> {
    const options = request.options ?? {};
    const url = this.url(request.path, request.query);
    const headers: Record<string, string> = { Accept: "application/json", ...this.config.headers, ...request.headers };
    let body: string | FormData | undefined;
    if (typeof FormData !== "undefined" && request.body instanceof FormData) {
      body = request.body; // multipart: fetch sets the Content-Type with its boundary
    } else if (request.body !== undefined && request.body !== null) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(request.body);
    }
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    const maxRetries = options.maxRetries ?? this.config.maxRetries;
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const replaySafe = request.method === "GET" || Boolean(options.idempotencyKey);
    const described = { method: request.method, url };

    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      const onAbort = () => controller.abort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      let response: Response;
      let parsed: unknown;
      try {
        if (options.signal?.aborted) throw options.signal.reason;
        response = await this.config.fetch(url, { method: request.method, headers, body, signal: controller.signal });
        parsed = await readBody(response);
      } catch (cause) {
        const aborted = options.signal?.aborted === true;
        if (aborted) throw abortedError(described, cause);
        const code = timedOut ? "timeout" : "network_error";
        if (replaySafe && attempt < maxRetries) {
          await sleep(backoffMs(attempt, this.config.maxRetryDelayMs), described, options.signal);
          continue;
        }
        const message = timedOut
          ? `No answer from ${url} within ${timeoutMs} ms.`
          : `Could not reach ${url}: ${cause instanceof Error ? cause.message : String(cause)}`;
        throw new DreamAPIException({ error: code, message, code }, 0, { request: described, cause });
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      }

      if (response.ok) return parsed as T;
      const retryAfter = parseRetryAfter(response.headers.get("Retry-After"));
      if (RETRY_STATUSES.has(response.status) && attempt < maxRetries) {
        const waitMs = retryAfter !== undefined ? retryAfter * 1000 : backoffMs(attempt, this.config.maxRetryDelayMs);
        if (waitMs <= this.config.maxRetryDelayMs) {
          await sleep(waitMs, described, options.signal);
          continue;
        }
      }
      throw new DreamAPIException(errorBody(response.status, parsed), response.status, {
        headers: response.headers,
        retryAfter,
        request: described,
      });
    }
  }
}
