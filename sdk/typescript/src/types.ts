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
  /** Epoch milliseconds. */
  updatedAt?: number;
  /** `createdAt` as ISO 8601 text. */
  created?: string;
  /** `updatedAt` as ISO 8601 text. */
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
  /** Calls per period, or "unlimited" (as the original service sent it). */
  limit: number | "unlimited";
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
  /** What the tier grants, by feature key. */
  entitlements?: Entitlements;
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
  /** Where the image is served (`GET /api/assets/…`); null without one. */
  imageUrl?: string | null;
  /** Units that can still be bought; null: unlimited. */
  inventory?: number | null;
  soldOut?: boolean;
  features?: string[];
}

/** A product as its owner sees it (secret key): the listing's fields plus the stock counters. */
export interface ProductDetail extends Product {
  id: string;
  displayName: string;
  description: string;
  currency: string;
  imageUrl: string | null;
  inventory: number | null;
  soldOut: boolean;
  features: string[];
  /** Archived products (false) are not listed or sold. */
  active: boolean;
  order: number;
  /** Units on hand; null: unlimited. */
  stock: number | null;
  /** Units held by open checkouts. */
  reserved: number;
  sold: number;
  /** A full refund puts the units back in stock. */
  restockOnRefund: boolean;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  updatedAt: string;
}

export interface ProductResult {
  success: boolean;
  product: ProductDetail;
}

/** `POST /api/products`. */
export interface CreateProductParams {
  /** The product's id in your catalogue (fixed once created). */
  name: string;
  /** Minor units. */
  price: number;
  displayName?: string;
  description?: string;
  /** Default "usd". */
  currency?: string;
  /** Units on hand; null or absent: unlimited. */
  inventory?: number | null;
  features?: string[];
  active?: boolean;
  order?: number;
  restockOnRefund?: boolean;
}

/** `PATCH /api/products/{id}`: anything but `name`; a new price or currency makes a new Stripe Price. */
export type UpdateProductParams = Partial<Omit<CreateProductParams, "name">>;

/** `POST /api/products/{id}/image`. */
export interface ProductImageParams {
  /** The file name sent with the image (default: the File's name, else "image"). */
  filename?: string;
}

/**
 * A tier as `POST/PATCH /api/tiers` answer it (secret key): a `Tier` as `GET /api/tiers` lists it
 * (`priceId`/`productId` "" without a Stripe price, `limit` a number or "unlimited") plus its place
 * in the list and whether new end users start on it.
 */
export interface ManagedTier extends Tier {
  /** The tier id, e.g. "pro" (also in `name`, as the original's clients read it). */
  id: string;
  currency: string;
  interval: "month" | "year";
  features: string[];
  popular: boolean;
  entitlements: Entitlements;
  order: number;
  /** New end users start on this tier. */
  default: boolean;
}

export interface TierResult {
  success: boolean;
  tier: ManagedTier;
}

/** `POST /api/tiers`. */
export interface CreateTierParams {
  /** The tier id, e.g. "pro" (fixed once created). */
  name: string;
  displayName?: string;
  /** Minor units per interval; 0 = free (default). */
  price?: number;
  currency?: string;
  interval?: "month" | "year";
  /** Calls per usage period; null or absent: unlimited. */
  limit?: number | null;
  features?: string[];
  popular?: boolean;
  order?: number;
  /** Days of free trial a first subscription starts with (0: none, the default; at most 730). */
  trialDays?: number;
  /** Whether the trial's checkout asks for a card (default true). */
  trialRequiresCard?: boolean;
}

/** `PATCH /api/tiers/{id}`: anything but the id. */
export type UpdateTierParams = Partial<Omit<CreateTierParams, "name">>;

export interface DeleteTierParams {
  /** Required when end users are on the tier: the tier they move to. */
  moveUsersTo?: string;
}

export interface TierDeleteResult {
  success: boolean;
  deleted: boolean;
  id: string;
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

/** `POST /api/cart/checkout`: the stock is held until `expiresAt` (ISO 8601). */
export interface CartCheckoutResult extends CheckoutResult {
  sessionId: string;
  expiresAt: string;
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
  /** Monthly recurring revenue in minor units of `currency`. */
  mrr: number;
  /** All time: paid invoices plus the store's paid orders minus their refunds, minor units of `currency`. */
  totalRevenue: number;
  /** Paid invoices, all time (minor units of `currency`). */
  subscriptionRevenue: number;
  /** The store's paid orders minus their refunds, all time (minor units of `currency`). */
  storeRevenue: number;
  /** The store's orders, all time, in every currency (refunded ones included). */
  totalSales: number;
  /** The average amount paid per order in `currency`, before refunds (minor units). */
  avgOrderValue: number;
  usageThisPeriod: number;
  /** The newest end users. */
  customers: DashboardCustomer[];
  /** The project's tiers, as `products.listTiers()` lists them. */
  tiers: Tier[];
  /** The store's products, archived ones too, with their stock counters. */
  products: ProductDetail[];
  /** The newest orders. */
  orders: Order[];
  webhookStatus: WebhookStatus;
  projectId: string;
  mode: "test" | "live";
  /** The currency of `mrr` and the revenue figures. */
  currency: string;
  trialingSubscriptions: number;
  mrrByCurrency: Record<string, number>;
  revenueThisMonth: number;
  customersTotal: number;
  customersNewThisMonth: number;
}

export interface DashboardCustomer {
  id: string;
  email: string;
  plan: string;
  /** Tracked calls this period. */
  usage: number;
  /** Calls per period, or "unlimited". */
  limit: number | "unlimited";
  /** The latest subscription's state ("none" without one). */
  status: string;
  /** ISO 8601; null or absent without an ongoing subscription. */
  renewsAt?: string | null;
  externalId: string | null;
  /** ISO 8601. */
  createdAt: string;
}

export interface DashboardTotals {
  totalRevenue: number;
  totalCustomers: number;
  totalMRR: number;
  mode: "test" | "live";
  currency: string;
  totalRevenueThisMonth: number;
  activeSubscriptions: number;
  cancelingSubscriptions: number;
  /** Each of the developer's projects in this mode. */
  projects: ProjectTotals[];
}

export interface ProjectTotals {
  id: string;
  name: string;
  mrr: number;
  revenue: number;
  customers: number;
  activeSubscriptions: number;
}

export interface Order {
  /** The buyer's name, else their e-mail. */
  customer: string;
  email: string;
  /** Minor units. */
  amount: number;
  /** The Stripe PaymentIntent (pi_…). */
  paymentId: string;
  /** When it was paid (ISO 8601). */
  date: string;
  /** ord_… */
  id: string;
  status: "paid" | "partially_refunded" | "refunded";
  name: string;
  amountRefunded: number;
  currency: string;
  sessionId: string;
  items: OrderLine[];
}

export interface OrderLine {
  productId: string;
  priceId: string;
  name: string;
  quantity: number;
  unitAmount: number;
  amount: number;
}

export interface OrderPage {
  orders: Order[];
  pagination: Pagination;
}

/** `GET /api/orders` filters. */
export interface ListOrdersParams {
  page?: number;
  /** At most 100 (default 50). */
  limit?: number;
  /** Paid at or after (ISO 8601). */
  since?: string;
  /** Paid before (ISO 8601). */
  until?: string;
  status?: "paid" | "partially_refunded" | "refunded";
  /** E-mail, name, order id, payment id or product name. */
  search?: string;
}

export interface WebhookStatus {
  url: string;
  /** ISO 8601; null or absent before the first event. */
  lastEvent?: string | null;
  recentEvents: WebhookStatusEvent[];
  failedEvents: number;
}

/** One of the latest Stripe events the project received (`WebhookStatus.recentEvents`). */
export interface WebhookStatusEvent {
  type: string;
  timestamp: string;
  status: "pending" | "processing" | "processed" | "ignored" | "failed";
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
