// Issue 9 item 7: the original service's own client (@dream-api/sdk 0.1.37), transpiled
// unchanged from the reference sources, against dream-api. Shared by the test files beside it:
// the client, and the contract of the original's types.ts, field by field.
//
// DREAMAPI_ORIGINAL_SDK_BUNDLE is the esbuild output of dream-sdk/src/index.ts (made by
// tests/sdk/test_original_sdk.py); the rest of the environment is the SDK suites'
// (sdk/typescript/test/support.mjs).
import assert from "node:assert/strict";
import { env } from "../../../sdk/typescript/test/support.mjs";

export const { DreamAPI, DreamAPIException } = await import(process.env.DREAMAPI_ORIGINAL_SDK_BUNDLE);

/** A backend: the secret key and (as the original's server clients send it) the publishable key. */
export const secret = () => new DreamAPI({ secretKey: env.secretKey, publishableKey: env.publishableKey, baseUrl: env.baseUrl, signupUrl: env.baseUrl });
/** A browser-only app: the publishable key alone. */
export const browser = () => new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl, signupUrl: env.baseUrl });

// An optional field (`field?: T` in types.ts) may be absent or null: the original's own server
// sent null for a value it did not have (e.g. a product's `imageUrl: t.imageUrl || null`,
// api-multi/src/routes/products.ts), so its clients already handle null there. A required field
// must have its type.
const optional = (check) => (value) => value === undefined || value === null || check(value);
const string = (value) => typeof value === "string";
const number = (value) => typeof value === "number" && Number.isFinite(value);
const boolean = (value) => typeof value === "boolean";
// types.ts says `limit: number` for a tier, but the original's server sent "unlimited" for a tier
// without a limit (api-multi/src/config/configLoader.ts, routes/dashboard.ts), as for usage.
const numberOrUnlimited = (value) => number(value) || value === "unlimited";
const stringArray = (value) => Array.isArray(value) && value.every(string);

const CONTRACT = {
  Customer: { id: string, email: string, firstName: optional(string), lastName: optional(string), plan: string, publishableKey: string, createdAt: number },
  Usage: { userId: string, plan: string, usageCount: number, limit: numberOrUnlimited, remaining: numberOrUnlimited, periodStart: string, periodEnd: string },
  Tier: { name: string, displayName: string, price: number, limit: numberOrUnlimited, priceId: string, productId: string, features: optional(stringArray), popular: optional(boolean) },
  Product: {
    id: optional(string), name: string, displayName: optional(string), description: optional(string), price: number, currency: optional(string),
    priceId: string, productId: string, imageUrl: optional(string), inventory: optional(number), soldOut: optional(boolean),
    features: optional(stringArray),
  },
  CheckoutResult: { url: string, sessionId: optional(string) },
  PortalResult: { url: string },
  DashboardMetrics: {
    activeSubscriptions: number, cancelingSubscriptions: number, mrr: number, totalRevenue: optional(number), totalSales: optional(number),
    avgOrderValue: optional(number), usageThisPeriod: number, customers: Array.isArray, tiers: Array.isArray, products: optional(Array.isArray),
    orders: optional(Array.isArray), webhookStatus: (v) => v !== null && typeof v === "object",
  },
  DashboardCustomer: { id: string, email: string, plan: string, usage: number, limit: numberOrUnlimited, status: string, renewsAt: optional(string) },
  Order: { customer: string, email: string, amount: number, paymentId: string, date: string },
  WebhookStatus: { url: string, lastEvent: optional(string), recentEvents: Array.isArray },
  WebhookEvent: { type: string, timestamp: string },
  Totals: { totalRevenue: number, totalCustomers: number, totalMRR: number },
  Deleted: { id: string, email: string },
};

/**
 * The fields of `value` that break what the original's types.ts promises for `type` (a
 * superset is fine: extra fields of ours are allowed), as "Type.field=value".
 */
export function deviations(type, value) {
  if (value === null || typeof value !== "object") return [`${type}: not an object: ${JSON.stringify(value)}`];
  return Object.entries(CONTRACT[type]).filter(([field, check]) => !check(value[field]))
    .map(([field]) => `${type}.${field}=${JSON.stringify(value[field])}`);
}

export function conforms(type, value) {
  const wrong = deviations(type, value);
  assert.deepEqual(wrong, [], `breaks the original's types.ts: ${wrong.join(", ")}`);
}
