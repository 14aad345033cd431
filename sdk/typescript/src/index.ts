/**
 * dream-api's official TypeScript client: the original `@dream-api/sdk` surface
 * (`customers`, `usage`, `billing`, `products`, `dashboard`, `auth`) for browsers (publishable
 * key + the end user's token), servers (secret key), Node >= 18, Deno and edge runtimes.
 *
 * @example
 * const api = new DreamAPI({ secretKey: process.env.DREAM_API_SECRET_KEY, baseUrl: "https://api.example.com" });
 * const { customer } = await api.customers.create({ email: "sharon@example.com" });
 * const { usage } = await api.usage.track({ userId: customer.id });
 */
import { AuthHelpers } from "./auth";
import { DreamClient } from "./client";
import type { RequestOptions } from "./http";
import { normalizeCustomer, normalizeTier, normalizeUsage } from "./normalize";
import type {
  CartCheckoutParams,
  ChangePlanParams,
  CheckoutParams,
  CheckoutResult,
  CreateCustomerParams,
  Customer,
  CustomerPage,
  CustomerResult,
  DashboardMetrics,
  DashboardTotals,
  DeleteCustomerResult,
  DreamAPIConfig,
  ListCustomersParams,
  Order,
  OrderPage,
  PlanChangeResult,
  PortalParams,
  PortalResult,
  Product,
  Tier,
  TrackParams,
  UpdateCustomerParams,
  Usage,
  UsageTrackResult,
} from "./types";

export * from "./types";
export { DreamAPIException, isDreamAPIException } from "./errors";
export type { DreamAPIError, ErrorDetails } from "./errors";
export { AuthHelpers, withoutCode } from "./auth";
export type { SignInOptions, CallbackOptions } from "./auth";
export type { StoredSession } from "./client";
export { decodeJwtClaims } from "./client";
export { codeChallengeS256, createCodeVerifier } from "./pkce";
export { parseRetryAfter } from "./http";

export const VERSION = "1.0.0";

const enc = encodeURIComponent;

export class DreamAPI {
  /** Hosted sign-up/sign-in (PKCE), the end user's session, and the URL helpers. */
  public readonly auth: AuthHelpers;
  /** End users (secret key). */
  public readonly customers: CustomerAPI;
  /** Count and read usage for the end user. */
  public readonly usage: UsageAPI;
  /** Stripe Checkout and the billing portal for the end user. */
  public readonly billing: BillingAPI;
  /** Tiers, store products and the guest cart. */
  public readonly products: ProductAPI;
  /** The store's orders (secret key). */
  public readonly orders: OrderAPI;
  /** The project's metrics (secret key). */
  public readonly dashboard: DashboardAPI;

  private readonly client: DreamClient;

  constructor(config: DreamAPIConfig) {
    this.client = new DreamClient(config);
    this.auth = new AuthHelpers(this.client);
    this.customers = new CustomerAPI(this.client);
    this.usage = new UsageAPI(this.client);
    this.billing = new BillingAPI(this.client);
    this.products = new ProductAPI(this.client);
    this.orders = new OrderAPI(this.client);
    this.dashboard = new DashboardAPI(this.client);
  }

  /** Acts for this end user from now on (a token from the hosted sign-in). */
  setUserToken(token: string): void {
    this.client.setUserToken(token);
  }

  /** Forgets the end user's token (local only: `auth.signOut()` also revokes it). */
  clearUserToken(): void {
    this.client.clearUserToken();
  }

  /** True with only a publishable key (browser mode). */
  isFrontendOnly(): boolean {
    return this.client.isFrontendOnly();
  }
}

class CustomerAPI {
  constructor(private readonly client: DreamClient) {}

  async create(params: CreateCustomerParams, options?: RequestOptions): Promise<CustomerResult> {
    const result = await this.client.post<CustomerResult>("/api/customers", { body: params, options });
    return { ...result, customer: normalizeCustomer(result.customer) };
  }

  async get(customerId: string, options?: RequestOptions): Promise<CustomerResult> {
    const result = await this.client.get<CustomerResult>(`/api/customers/${enc(customerId)}`, { options });
    return { ...result, customer: normalizeCustomer(result.customer) };
  }

  async update(customerId: string, params: UpdateCustomerParams, options?: RequestOptions): Promise<CustomerResult> {
    const result = await this.client.patch<CustomerResult>(`/api/customers/${enc(customerId)}`, { body: params, options });
    return { ...result, customer: normalizeCustomer(result.customer) };
  }

  delete(customerId: string, options?: RequestOptions): Promise<DeleteCustomerResult> {
    return this.client.delete<DeleteCustomerResult>(`/api/customers/${enc(customerId)}`, { options });
  }

  /** One page of end users (`search` matches the e-mail). */
  async list(params: ListCustomersParams = {}, options?: RequestOptions): Promise<CustomerPage> {
    const page = await this.client.get<CustomerPage>("/api/customers", { query: { ...params }, options });
    return { ...page, customers: page.customers.map(normalizeCustomer) };
  }

  /** Every end user, page after page: `for await (const customer of api.customers.iterate())`. */
  async *iterate(params: Omit<ListCustomersParams, "page"> = {}, options?: RequestOptions): AsyncGenerator<Customer> {
    for (let page = 1; ; page++) {
      const result = await this.list({ ...params, page }, options);
      yield* result.customers;
      if (!result.pagination.hasMore || result.customers.length === 0) return;
    }
  }
}

class UsageAPI {
  constructor(private readonly client: DreamClient) {}

  /**
   * Counts one use (or `amount` of `feature`) for the end user; at the limit it throws a
   * DreamAPIException with status 403 and code "tier_limit_reached".
   */
  async track(params: TrackParams & RequestOptions = {}): Promise<UsageTrackResult> {
    const { feature, amount, ...options } = params;
    const body = feature !== undefined || amount !== undefined ? { feature, amount } : undefined;
    const response = await this.client.post<UsageTrackResult | Usage>("/api/data", { body, user: "required", options });
    if (response && typeof response === "object" && "usage" in response) {
      return { success: response.success ?? true, usage: normalizeUsage(response.usage) };
    }
    return { success: true, usage: normalizeUsage(response as Usage) };
  }

  /** The end user's usage this period, without counting. */
  async check(options: RequestOptions & { feature?: string } = {}): Promise<Usage> {
    const { feature, ...rest } = options;
    const response = await this.client.get<Usage | { usage: Usage }>("/api/usage", {
      query: { feature }, user: "required", options: rest,
    });
    const usage = "usage" in response && response.usage ? response.usage : (response as Usage);
    return normalizeUsage(usage);
  }
}

class BillingAPI {
  constructor(private readonly client: DreamClient) {}

  /** A Stripe Checkout URL to subscribe the end user to `tier`. */
  createCheckout(params: CheckoutParams, options?: RequestOptions): Promise<CheckoutResult> {
    return this.client.post<CheckoutResult>("/api/create-checkout", { body: params, user: "required", options });
  }

  /** A Stripe billing-portal URL for the end user. */
  openPortal(params: PortalParams = {}, options?: RequestOptions): Promise<PortalResult> {
    return this.client.post<PortalResult>("/api/customer-portal", { body: params, user: "required", options });
  }

  /**
   * Move the end user's subscription to `tier`: an upgrade now (the prorated difference is charged),
   * a downgrade or the default free tier at the end of the period; their current tier withdraws a
   * pending change. 409 `checkout_required` when they have no subscription yet.
   */
  changePlan(params: ChangePlanParams, options?: RequestOptions): Promise<PlanChangeResult> {
    return this.client.post<PlanChangeResult>("/api/change-plan", { body: params, user: "required", options });
  }
}

class ProductAPI {
  constructor(private readonly client: DreamClient) {}

  async listTiers(options?: RequestOptions): Promise<{ tiers: Tier[] }> {
    const result = await this.client.get<{ tiers: Tier[] }>("/api/tiers", { options });
    return { ...result, tiers: result.tiers.map(normalizeTier) };
  }

  list(options?: RequestOptions): Promise<{ products: Product[] }> {
    return this.client.get<{ products: Product[] }>("/api/products", { options });
  }

  /** A guest checkout for a cart of one-off products; 409 when stock is short. */
  cartCheckout(params: CartCheckoutParams, options?: RequestOptions): Promise<CheckoutResult> {
    const body = {
      items: params.items,
      email: params.customerEmail,
      name: params.customerName,
      successUrl: params.successUrl,
      cancelUrl: params.cancelUrl,
    };
    return this.client.post<CheckoutResult>("/api/cart/checkout", { body, options });
  }

  /** Catalogue management from scripts (secret key). */
  create(params: Record<string, unknown>, options?: RequestOptions): Promise<{ product: Product }> {
    return this.client.post("/api/products", { body: params, options });
  }

  update(productId: string, params: Record<string, unknown>, options?: RequestOptions): Promise<{ product: Product }> {
    return this.client.patch(`/api/products/${enc(productId)}`, { body: params, options });
  }

  delete(productId: string, options?: RequestOptions): Promise<{ success: boolean }> {
    return this.client.delete(`/api/products/${enc(productId)}`, { options });
  }

  createTier(params: Record<string, unknown>, options?: RequestOptions): Promise<{ tier: Tier }> {
    return this.client.post("/api/tiers", { body: params, options });
  }

  updateTier(name: string, params: Record<string, unknown>, options?: RequestOptions): Promise<{ tier: Tier }> {
    return this.client.patch(`/api/tiers/${enc(name)}`, { body: params, options });
  }

  deleteTier(name: string, options?: RequestOptions): Promise<{ success: boolean }> {
    return this.client.delete(`/api/tiers/${enc(name)}`, { options });
  }

  /** The public address of a product image (`GET /api/assets/{key}`). */
  assetUrl(key: string): string {
    return `${this.client.baseUrl}/api/assets/${key.split("/").map(enc).join("/")}`;
  }
}

class OrderAPI {
  constructor(private readonly client: DreamClient) {}

  list(params: { page?: number; limit?: number } = {}, options?: RequestOptions): Promise<OrderPage> {
    return this.client.get<OrderPage>("/api/orders", { query: { ...params }, options });
  }

  async *iterate(params: { limit?: number } = {}, options?: RequestOptions): AsyncGenerator<Order> {
    for (let page = 1; ; page++) {
      const result = await this.list({ ...params, page }, options);
      yield* result.orders;
      if (!result.pagination?.hasMore || result.orders.length === 0) return;
    }
  }
}

class DashboardAPI {
  constructor(private readonly client: DreamClient) {}

  get(options?: RequestOptions): Promise<DashboardMetrics> {
    return this.client.get<DashboardMetrics>("/api/dashboard", { options });
  }

  getTotals(options?: RequestOptions): Promise<DashboardTotals> {
    return this.client.get<DashboardTotals>("/api/dashboard/totals", { options });
  }
}

export default DreamAPI;
