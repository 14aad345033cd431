/**
 * Verify dream-api's webhook deliveries (servers: Node >= 18, Deno, Bun, edge runtimes).
 *
 * Each delivery is a POST with a JSON body and `DreamAPI-Signature: t=<epoch s>,v1=<hex>`,
 * where `v1` is the HMAC-SHA256 of `${t}.${raw body}` keyed with the endpoint's signing
 * secret (`whsec_…`). Right after a secret rotation the header carries one `v1` per valid
 * secret. Verify the raw body (before any JSON parsing), and refuse a `t` more than five
 * minutes away from your clock.
 *
 * @example
 * const event = await verifyWebhook(await request.text(), request.headers.get("DreamAPI-Signature"), secret);
 * if (event.type === "usage.threshold_reached") notify(event.data);
 */
import type { WebhookEvent } from "./types";

export const WEBHOOK_SIGNATURE_HEADER = "DreamAPI-Signature";
const DEFAULT_TOLERANCE_S = 300;

/** The delivery is not signed by this secret, is too old, or is not an event. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookSignatureError";
  }
}

export interface VerifyWebhookOptions {
  /** How far `t` may be from now, seconds (default 300). */
  toleranceSeconds?: number;
  /** Now, epoch ms (default `Date.now()`), for tests. */
  now?: number;
  /** A WebCrypto implementation where `globalThis.crypto` is missing (Node 18). */
  crypto?: Crypto;
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The `v1` signature of `payload` sent at `timestamp` (what dream-api computes). */
export async function webhookSignature(payload: string | Uint8Array, secret: string, timestamp: number,
                                       cryptoImpl?: Crypto): Promise<string> {
  const subtle = (cryptoImpl ?? globalThis.crypto)?.subtle;
  if (!subtle) throw new WebhookSignatureError("No WebCrypto: pass options.crypto (Node 18: require('node:crypto').webcrypto).");
  const encoder = new TextEncoder();
  const body = typeof payload === "string" ? encoder.encode(payload) : payload;
  const prefix = encoder.encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const key = await subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await subtle.sign("HMAC", key, signed));
}

/** The delivery's event when `header` signs `payload` with `secret`; throws WebhookSignatureError otherwise. */
export async function verifyWebhook<Data = Record<string, unknown>>(
  payload: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent<Data>> {
  if (!header) throw new WebhookSignatureError(`No ${WEBHOOK_SIGNATURE_HEADER} header.`);
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const item of header.split(",")) {
    const [name, value = ""] = item.trim().split("=", 2);
    if (name === "t" && /^\d+$/.test(value)) timestamp = Number(value);
    else if (name === "v1" && value) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) {
    throw new WebhookSignatureError(`${WEBHOOK_SIGNATURE_HEADER} has no t= and v1= values.`);
  }
  const now = (options.now ?? Date.now()) / 1000;
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_S)) {
    throw new WebhookSignatureError("The delivery's timestamp is too far from now (a replay, or a wrong clock).");
  }
  const expected = await webhookSignature(payload, secret, timestamp, options.crypto);
  if (!candidates.some((candidate) => constantTimeEqual(expected, candidate))) {
    throw new WebhookSignatureError("The signature does not match this secret and body.");
  }
  const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    throw new WebhookSignatureError("The body is not JSON.");
  }
  if (!event || typeof event !== "object" || Array.isArray(event)) throw new WebhookSignatureError("The body is not a JSON object.");
  return event as WebhookEvent<Data>;
}
