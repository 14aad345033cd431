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
  CartCheckoutResult,
  CheckFeatureParams,
  ChangePlanParams,
  CheckoutParams,
  CheckoutResult,
  CreateCustomerParams,
  CreateProductParams,
  CreateTierParams,
  Customer,
  CustomerPage,
  CustomerResult,
  DashboardMetrics,
  DashboardTotals,
  DeleteCustomerResult,
  DeleteTierParams,
  DreamAPIConfig,
  FeatureCheck,
  ListCustomersParams,
  ListOrdersParams,
  Order,
  OrderPage,
  PlanChangeResult,
  PortalParams,
  PortalResult,
  Product,
  ProductImageParams,
  ProductResult,
  Tier,
  TierDeleteResult,
  TierResult,
  TrackParams,
  UpdateCustomerParams,
  UpdateProductParams,
  UpdateTierParams,
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
export { entitlementsFromClaims, featureLimit, hasFeature } from "./entitlements";
export { WEBHOOK_SIGNATURE_HEADER, WebhookSignatureError, verifyWebhook, webhookSignature } from "./webhooks";
export type { VerifyWebhookOptions } from "./webhooks";

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
   * Counts one use (or `amount` of `feature`, all or nothing) for the end user; at the limit it
   * throws a DreamAPIException with status 403 and code "tier_limit_reached". With
   * `idempotencyKey` a retry of the call (by you, or by the SDK after a network failure) gets
   * the first answer and counts nothing.
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

  /**
   * The end user's usage this period, without counting: of `feature`, or of the default meter
   * with every meter in `features` (when the project defines features).
   */
  async check(options: RequestOptions & { feature?: string } = {}): Promise<Usage> {
    const { feature, ...rest } = options;
    const response = await this.client.get<Usage | { usage: Usage }>("/api/usage", {
      query: { feature }, user: "required", options: rest,
    });
    const usage = "usage" in response && response.usage ? response.usage : (response as Usage);
    return normalizeUsage(usage);
  }

  /**
   * Whether the end user may use `feature` now (`amount` more of a metered one), without
   * counting (`GET /api/check`); works for on/off features too.
   */
  checkFeature(params: CheckFeatureParams & RequestOptions = {}): Promise<FeatureCheck> {
    const { feature, amount, ...options } = params;
    return this.client.get<FeatureCheck>("/api/check", { query: { feature, amount }, user: "required", options });
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
  cartCheckout(params: CartCheckoutParams, options?: RequestOptions): Promise<CartCheckoutResult> {
    const body = {
      items: params.items,
      email: params.customerEmail,
      name: params.customerName,
      successUrl: params.successUrl,
      cancelUrl: params.cancelUrl,
    };
    return this.client.post<CartCheckoutResult>("/api/cart/checkout", { body, options });
  }

  // --- the catalogue, from scripts (secret key) ----------------------------------------------

  /** A product with its stock counters (`productId`: the prd_… id or the product's name). */
  get(productId: string, options?: RequestOptions): Promise<ProductResult> {
    return this.client.get<ProductResult>(`/api/products/${enc(productId)}`, { options });
  }

  /** Adds a product (and its Stripe Product and Price on the connected account). */
  create(params: CreateProductParams, options?: RequestOptions): Promise<ProductResult> {
    return this.client.post<ProductResult>("/api/products", { body: params, options });
  }

  /** Changes a product; a new price or currency makes a new Stripe Price. */
  update(productId: string, params: UpdateProductParams, options?: RequestOptions): Promise<ProductResult> {
    return this.client.patch<ProductResult>(`/api/products/${enc(productId)}`, { body: params, options });
  }

  /** Stops listing and selling a product; orders stay (`update(id, {active: true})` brings it back). */
  archive(productId: string, options?: RequestOptions): Promise<ProductResult> {
    return this.client.delete<ProductResult>(`/api/products/${enc(productId)}`, { options });
  }

  /** Sets the product's image: a PNG, JPEG, WebP or GIF (a Blob or File), sent as multipart. */
  uploadImage(productId: string, image: Blob, params: ProductImageParams = {}, options?: RequestOptions): Promise<ProductResult> {
    const form = new FormData();
    const filename = params.filename ?? (image as Blob & { name?: string }).name ?? "image";
    form.append("image", image, filename);
    return this.client.post<ProductResult>(`/api/products/${enc(productId)}/image`, { body: form, options });
  }

  deleteImage(productId: string, options?: RequestOptions): Promise<ProductResult> {
    return this.client.delete<ProductResult>(`/api/products/${enc(productId)}/image`, { options });
  }

  // --- tiers, from scripts (secret key; the dashboard's rules) ---------------------------------

  createTier(params: CreateTierParams, options?: RequestOptions): Promise<TierResult> {
    return this.client.post<TierResult>("/api/tiers", { body: params, options });
  }

  updateTier(tierId: string, params: UpdateTierParams, options?: RequestOptions): Promise<TierResult> {
    return this.client.patch<TierResult>(`/api/tiers/${enc(tierId)}`, { body: params, options });
  }

  /** Deletes a tier; when end users are on it, `moveUsersTo` names the tier they move to. */
  deleteTier(tierId: string, params: DeleteTierParams = {}, options?: RequestOptions): Promise<TierDeleteResult> {
    return this.client.delete<TierDeleteResult>(`/api/tiers/${enc(tierId)}`, { query: { ...params }, options });
  }

  /** The public address of a product image (`GET /api/assets/{key}`). */
  assetUrl(key: string): string {
    return `${this.client.baseUrl}/api/assets/${key.split("/").map(enc).join("/")}`;
  }
}

class OrderAPI {
  constructor(private readonly client: DreamClient) {}

  /** One page of the store's orders, newest first. */
  list(params: ListOrdersParams = {}, options?: RequestOptions): Promise<OrderPage> {
    return this.client.get<OrderPage>("/api/orders", { query: { ...params }, options });
  }

  /** Every order matching the filters, page after page. */
  async *iterate(params: Omit<ListOrdersParams, "page"> = {}, options?: RequestOptions): AsyncGenerator<Order> {
    for (let page = 1; ; page++) {
      const result = await this.list({ ...params, page }, options);
      yield* result.orders;
      if (!result.pagination.hasMore || result.orders.length === 0) return;
    }
  }
}

class DashboardAPI {
  constructor(private readonly client: DreamClient) {}

  /** The project's metrics in the key's mode (the original's DashboardMetrics, and more). */
  get(options?: RequestOptions): Promise<DashboardMetrics> {
    return this.client.get<DashboardMetrics>("/api/dashboard", { options });
  }

  /** Totals over every project of the key's developer, in the key's mode. */
  getTotals(options?: RequestOptions): Promise<DashboardTotals> {
    return this.client.get<DashboardTotals>("/api/dashboard/totals", { options });
  }
}

export default DreamAPI;
