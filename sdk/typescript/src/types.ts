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
  deleted: { id: string; email: string };
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
  feature?: string;
}

export interface UsageTrackResult {
  success: boolean;
  usage: Usage;
}

export interface TrackParams {
  /** Count against a named feature instead of the default counter. */
  feature?: string;
  /** How many uses this call counts (default 1). */
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
  /** Days of free trial a first subscription to this tier starts with (0: none). */
  trialDays?: number | null;
  /** Whether the trial's checkout asks for a card. */
  trialRequiresCard?: boolean;
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

export interface ChangePlanParams {
  /** The tier to move to, e.g. "pro". The end user's current tier withdraws a pending change. */
  tier: string;
}

export interface PlanSubscription {
  /** The Stripe subscription (sub_…). */
  id: string;
  status: string;
  /** ISO 8601, or null. */
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
  /** ISO 8601; null without a trial. */
  trialEnd: string | null;
}

/** What `POST /api/change-plan` did. */
export interface PlanChangeResult {
  success: true;
  /**
   * "now": the end user is on `plan` from now (an upgrade, charged the prorated difference);
   * "at_period_end": `pendingPlan` takes over at `effectiveAt` (a downgrade, or the default free tier);
   * "unscheduled": a pending change was withdrawn; "none": nothing to do.
   */
  changed: "now" | "at_period_end" | "unscheduled" | "none";
  /** The tier the end user is on now. */
  plan: string;
  previousPlan: string;
  pendingPlan: string | null;
  /** ISO 8601: when `pendingPlan` takes over, or now. */
  effectiveAt: string;
  /** Charged now for an upgrade, in minor units of `currency`. */
  amountCharged: number;
  currency: string;
  invoiceId: string | null;
  subscription: PlanSubscription | null;
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
