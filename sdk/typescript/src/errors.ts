/** The JSON error body every dream-api endpoint answers with (`{error, message, code}`). */
export interface DreamAPIError {
  /** Short title, e.g. "Tier limit reached" (the original service put its code here). */
  error: string;
  /** What is wrong, for a human. */
  message: string;
  /** Stable machine-readable code, e.g. "tier_limit_reached". */
  code?: string;
  /** Validation errors: messages per field. */
  fields?: Record<string, string[]>;
  status?: number;
  [key: string]: unknown;
}

export interface ErrorDetails {
  /** Response headers, when there was a response. */
  headers?: Headers;
  /** Seconds the server asked us to wait (429/503 `Retry-After`). */
  retryAfter?: number;
  /** The request that failed. */
  request?: { method: string; url: string };
  cause?: unknown;
}

/**
 * The one error the SDK throws. `status` is the HTTP status (0 when no response arrived:
 * `code` is then `timeout`, `network_error` or `aborted`), `code` the API's machine-readable
 * code, `body` the parsed response body.
 */
export class DreamAPIException extends Error {
  public readonly status: number;
  public readonly code: string;
  /** The title of the error body (`error`). */
  public readonly error: string;
  public readonly body: DreamAPIError;
  public readonly fields?: Record<string, string[]>;
  public readonly retryAfter?: number;
  public readonly headers?: Headers;
  public readonly request?: { method: string; url: string };

  constructor(body: DreamAPIError, status: number = 500, details: ErrorDetails = {}) {
    super(body.message || body.error || `HTTP ${status}`);
    this.name = "DreamAPIException";
    this.status = status;
    this.body = body;
    this.code = body.code || body.error;
    this.error = body.error;
    this.fields = body.fields;
    this.retryAfter = details.retryAfter;
    this.headers = details.headers;
    this.request = details.request;
    if (details.cause !== undefined) (this as { cause?: unknown }).cause = details.cause;
  }
}

export function isDreamAPIException(value: unknown): value is DreamAPIException {
  return value instanceof DreamAPIException;
}
