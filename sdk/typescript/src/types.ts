/**
 * Public types: the original client's `types.ts` contract (every field it promises, same
 * names and types) plus dream-api's own fields. `schema-check.ts` fails the type check when
 * the generated OpenAPI types (`generated/openapi.ts`) have a field these types lack.
 */
import type { RequestOptions } from "./http";

export type { RequestOptions };

/** Where a browser session (token) and the PKCE verifier between redirect and callback are kept. */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface DreamAPIConfig {
  /** Secret key (sk_test_… / sk_live_…): servers only. */
  secretKey?: string;
  /** Publishable key (pk_test_… / pk_live_…): safe in a browser. */
  publishableKey?: string;
  /** Your dream-api server, e.g. "https://api.example.com". Required outside a browser. */
  baseUrl?: string;
  /** Where the hosted sign-up pages live (default: `baseUrl`). */
  signupUrl?: string;
  /** Accepted for compatibility with the original client; dream-api needs no Clerk. */
  clerkBaseUrl?: string;
  /** Per-attempt timeout, ms (default 30000). */
  timeoutMs?: number;
  /** Retries for 429/503 and replay-safe network failures (default 2). */
  maxRetries?: number;
  /** Longest wait before a retry, ms; a longer `Retry-After` fails at once (default 20000). */
  maxRetryDelayMs?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /**
   * Where to keep the signed-in end user's session: "memory" (default), "localStorage",
   * "sessionStorage", or any object with getItem/setItem/removeItem.
   */
  storage?: "memory" | "localStorage" | "sessionStorage" | TokenStorage;
  /** Refresh the end-user token when it expires within this many seconds (default 60). */
  refreshMarginSeconds?: number;
  /** A WebCrypto implementation for PKCE where `globalThis.crypto` is missing (Node 18). */
  crypto?: Crypto;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
}

export interface Customer {
  id: string;
  email: string;
  firstName?: string;
  lastName?: string;
  plan: string;
  publishableKey: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Your own id for this end user, when you set one. */
  externalId?: string | null;
  metadata?: Record<string, unknown>;
  emailVerified?: boolean;
  updatedAt?: number | string;
  /** createdAt as ISO 8601 (UTC). */
  created?: string;
  /** updatedAt as ISO 8601 (UTC). */
  updated?: string;
}

export interface CreateCustomerParams {
  email: string;
  password?: string;
  firstName?: string;
  lastName?: string;
  plan?: string;
  externalId?: string;
  metadata?: Record<string, unknown>;
}

export interface UpdateCustomerParams {
  plan?: string;
  firstName?: string;
  lastName?: string;
  metadata?: Record<string, unknown>;
}

export interface ListCustomersParams {
  search?: string;
  page?: number;
  limit?: number;
}

export interface Pagination {
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
}

export interface CustomerPage {
  customers: Customer[];
  pagination: Pagination;
}

export interface CustomerResult {
  success?: boolean;
  customer: Customer;
}

export interface DeleteCustomerResult {
  success: boolean;
  message?: string;
  deleted: { id: string; email: string; externalId?: string | null };
  /** The deleted end user's id (dream-api before the original's `deleted` object). */
  id?: string;
}

export interface Usage {
  userId: string;
  plan: string;
  usageCount: number;
  limit: number | "unlimited";
  remaining: number | "unlimited";
  periodStart: string;
  periodEnd: string;
  /** dream-api's name for usageCount. */
  count?: number;
  /** The meter counted or read, when the call named one (`api_calls` is the default meter). */
  feature?: string;
  /** `GET /api/usage`: every meter of the project by feature key, when it defines features. */
  features?: Record<string, Meter>;
}

/** One meter in `Usage.features`; `limit` 0 when the end user's plan does not include it. */
export interface Meter {
  usageCount: number;
  limit: number | "unlimited";
  remaining: number | "unlimited";
}

/**
 * What a plan grants, by feature key: a metered feature's limit per usage period (or
 * "unlimited"), an on/off feature's true/false. `api_calls` is the default meter. The
 * `entitlements` of a tier, and the `features` claim of the end user's token.
 */
export type Entitlements = Record<string, number | "unlimited" | boolean>;

/** `GET /api/check`: may the end user use a feature now? The usage fields only for a metered one. */
export interface FeatureCheck {
  userId: string;
  plan: string;
  feature: string;
  type: "metered" | "boolean";
  allowed: boolean;
  usageCount?: number;
  limit?: number | "unlimited";
  remaining?: number | "unlimited";
  periodStart?: string;
  periodEnd?: string;
}

export interface CheckFeatureParams {
  /** A feature key (default: the default meter, `api_calls`). */
  feature?: string;
  /** Metered features: whether this many more uses would fit (default 1). */
  amount?: number;
}

/** The entitlements in an end-user token (its `plan`, `features` and `ent_ver` claims). */
export interface TokenEntitlements {
  plan: string;
  features: Entitlements;
  /** Goes up with every plan change: a `plan.changed` webhook with a higher one means refresh. */
  version: number;
}

export type WebhookEventType =
  | "usage.threshold_reached"
  | "usage.limit_reached"
  | "customer.created"
  | "customer.deleted"
  | "plan.changed"
  | "subscription.past_due"
  | "trial.ending"
  | "order.completed";

/** A verified webhook delivery (`verifyWebhook`). */
export interface WebhookEvent<Data = Record<string, unknown>> {
  id: string;
  object: "event";
  type: WebhookEventType | string;
  /** Epoch seconds. */
  created: number;
  mode: "test" | "live";
  projectId: string;
  data: Data;
}

export interface UsageTrackResult {
  success: boolean;
  usage: Usage;
}

export interface TrackParams {
  /** Count a metered feature instead of the default meter (`api_calls`). */
  feature?: string;
  /** How many uses this call counts, all or nothing (1–1,000,000; default 1). */
  amount?: number;
}

export interface Tier {
  /** The tier's identifier, e.g. "pro" (what `createCheckout({tier})` takes). */
  name: string;
  /** The name shown to people, e.g. "Pro". */
  displayName: string;
  /** Price in minor units (2900 = $29.00). */
  price: number;
  /** Calls per period; -1 or null for unlimited. */
  limit: number;
  /** Stripe price id ("" for a free tier). */
  priceId: string;
  /** Stripe product id ("" for a free tier). */
  productId: string;
  features?: string[];
  popular?: boolean;
  id?: string;
  currency?: string;
  interval?: "month" | "year";
  description?: string;
  billingMode?: string;
  trialDays?: number | null;
  /** What the tier grants, by feature key. */
  entitlements?: Entitlements;
}

export interface Product {
  id?: string;
  name: string;
  displayName?: string;
  description?: string;
  /** Price in minor units. */
  price: number;
  currency?: string;
  priceId: string;
  productId: string;
  imageUrl?: string;
  inventory?: number | null;
  soldOut?: boolean;
  features?: string[];
}

export interface CheckoutParams {
  tier?: string;
  priceId?: string;
  successUrl?: string;
  cancelUrl?: string;
}

export interface PortalParams {
  returnUrl?: string;
}

export interface CartCheckoutParams {
  items: Array<{ priceId: string; quantity: number }>;
  customerEmail?: string;
  customerName?: string;
  successUrl?: string;
  cancelUrl?: string;
}

export interface CheckoutResult {
  url: string;
  sessionId?: string;
}

export interface PortalResult {
  url: string;
}

export interface DashboardMetrics {
  activeSubscriptions: number;
  cancelingSubscriptions: number;
  mrr: number;
  totalRevenue?: number;
  totalSales?: number;
  avgOrderValue?: number;
  usageThisPeriod: number;
  customers: DashboardCustomer[];
  tiers: Tier[];
  products?: Product[];
  orders?: Order[];
  webhookStatus: WebhookStatus;
}

export interface DashboardCustomer {
  id: string;
  email: string;
  plan: string;
  usage: number;
  limit: number;
  status: string;
  renewsAt?: string;
}

export interface DashboardTotals {
  totalRevenue: number;
  totalCustomers: number;
  totalMRR: number;
}

export interface Order {
  customer: string;
  email: string;
  amount: number;
  paymentId: string;
  date: string;
}

export interface OrderPage {
  orders: Order[];
  pagination?: Pagination;
}

export interface WebhookStatus {
  url: string;
  lastEvent?: string;
  recentEvents: Array<{ type: string; timestamp: string }>;
}

/** `POST /api/auth/exchange` and `/api/auth/refresh`. */
export interface SignedIn {
  success?: boolean;
  customer: Customer;
  token: string;
  /** Seconds. */
  expiresIn: number;
}

export interface Revoked {
  success: boolean;
  customerId?: string;
  revokedAt?: string;
}

/** The signed-in end user, as the original client's `getUser()` returned it. */
export interface ClerkUser {
  id: string;
  email: string;
  plan: string;
  publishableKey: string;
}

export type EndUser = ClerkUser;

export interface AuthUrlOptions {
  /** Where the hosted page sends the end user back (absolute, or relative to the page in a browser). */
  redirect: string;
}
