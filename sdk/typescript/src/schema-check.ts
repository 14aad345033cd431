/**
 * Compile-time check: every field of every schema in the generated OpenAPI types
 * (generated/openapi.ts) has a place in the SDK's public types, and every query parameter of
 * every operation one in the params of the method that sends it. A field or a schema added to the
 * API without the SDK fails `npm run typecheck` (after `npm run generate`), naming it, e.g.
 * "Customer.externalId". Field types are not compared: the public types follow the original
 * client's contract, which the server's schema may describe more loosely.
 */
import type { DreamAPIError } from "./errors";
import type { components, operations } from "./generated/openapi";
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
  DashboardCustomer,
  DashboardMetrics,
  DashboardTotals,
  DeleteCustomerResult,
  DeleteTierParams,
  FeatureCheck,
  ListCustomersParams,
  ListOrdersParams,
  ManagedTier,
  Meter,
  Order,
  OrderLine,
  OrderPage,
  Pagination,
  PlanChangeResult,
  PlanSubscription,
  PortalParams,
  PortalResult,
  Product,
  ProductDetail,
  ProductResult,
  ProjectTotals,
  Revoked,
  SignedIn,
  Tier,
  TierDeleteResult,
  TierResult,
  TrackParams,
  UpdateCustomerParams,
  UpdateProductParams,
  UpdateTierParams,
  Usage,
  UsageTrackResult,
  WebhookStatus,
  WebhookStatusEvent,
} from "./types";

type Schemas = components["schemas"];

/** Which public type covers each schema of the API. */
interface Coverage {
  BillingModeEnum: string;
  /** The SDK takes the original's `customerEmail`/`customerName` and sends them as `email`/`name`. */
  CartCheckoutRequest: Omit<CartCheckoutParams, "customerEmail" | "customerName"> & {
    email?: CartCheckoutParams["customerEmail"];
    name?: CartCheckoutParams["customerName"];
  };
  CartCheckoutResult: CartCheckoutResult;
  CartItemRequest: CartCheckoutParams["items"][number];
  ChangedEnum: string;
  ChangePlanRequestRequest: ChangePlanParams;
  CheckoutRequestRequest: CheckoutParams;
  CheckoutSession: CheckoutResult;
  CodeExchangeRequest: { code: string; redirectUri: string; codeVerifier?: string };
  Customer: Customer;
  CustomerCreateRequest: CreateCustomerParams;
  CustomerDeleted: DeleteCustomerResult;
  CustomerEnvelope: CustomerResult;
  CustomerPage: CustomerPage;
  DashboardCustomer: DashboardCustomer;
  DashboardCustomerStatusEnum: string;
  DashboardMetrics: DashboardMetrics;
  DashboardTotals: DashboardTotals;
  DeletedCustomer: DeleteCustomerResult["deleted"];
  Error: DreamAPIError;
  FeatureCheck: FeatureCheck;
  IntervalEnum: string;
  ManagedTier: ManagedTier;
  Meter: Meter;
  ModeEnum: string;
  Order: Order;
  OrderLine: OrderLine;
  OrderPage: OrderPage;
  OrderPagination: Pagination;
  OrderStatusEnum: string;
  Pagination: Pagination;
  PatchedCustomerUpdateRequest: UpdateCustomerParams;
  PatchedProductUpdateRequest: UpdateProductParams;
  PatchedTierUpdateRequest: UpdateTierParams;
  PlanChange: PlanChangeResult;
  PlanSubscription: PlanSubscription;
  PortalRequestRequest: PortalParams;
  PortalSession: PortalResult;
  Product: Product;
  ProductDetail: ProductDetail;
  ProductEnvelope: ProductResult;
  /** The multipart part of `products.uploadImage(productId, image)`. */
  ProductImageRequest: { image: Blob };
  ProductList: { products: Product[] };
  ProductWriteRequest: CreateProductParams;
  ProjectTotals: ProjectTotals;
  Revoked: Revoked;
  SignedIn: SignedIn;
  Tier: Tier;
  TierDeleted: TierDeleteResult;
  TierEnvelope: TierResult;
  SuccessEnum: boolean;
  /** The 403 at the limit: an error body (open to extra keys) with the usage. */
  TierLimitError: DreamAPIError;
  TierList: { tiers: Tier[] };
  /** `id` is another way to send `name`: the SDK sends `name`. */
  TierWriteRequest: CreateTierParams & { id?: string };
  TokenRefreshRequest: { customerId?: string; token?: string };
  TokenRevokeRequest: { customerId?: string; token?: string };
  TrackRequest: TrackParams;
  TypeEnum: string;
  Usage: Usage;
  UsageReport: Usage;
  UsageTracked: UsageTrackResult;
  WebhookEvent: WebhookStatusEvent;
  WebhookEventStatusEnum: string;
  WebhookStatus: WebhookStatus;
}

type MissingFields<Generated, Public> = Generated extends string | number | boolean
  ? never
  : Exclude<keyof Generated, keyof Public>;

type Gaps = {
  [K in keyof Schemas & keyof Coverage & string]: MissingFields<Schemas[K], Coverage[K]> extends never
    ? never
    : `${K}.${MissingFields<Schemas[K], Coverage[K]> & string}`;
}[keyof Schemas & keyof Coverage & string];

type UncoveredSchemas = Exclude<keyof Schemas, keyof Coverage>;

type AssertNone<T extends never> = T;

export type SchemaFieldsWithoutSdkType = AssertNone<Gaps>;
export type SchemasWithoutSdkType = AssertNone<UncoveredSchemas>;

/** Which params of an SDK method take each operation's query parameters. */
interface QueryCoverage {
  customers_list: ListCustomersParams;
  orders_list: ListOrdersParams;
  tiers_delete: DeleteTierParams;
  usage_check: CheckFeatureParams;
  /** `usage.check({feature})`. */
  usage_get: { feature?: string };
}

type QueryOf<Operation> = Operation extends { parameters: { query?: infer Query } } ? NonNullable<Query> : never;

type OperationsWithQuery = {
  [K in keyof operations]: [QueryOf<operations[K]>] extends [never] ? never : K;
}[keyof operations];

type QueryGaps = {
  [K in keyof QueryCoverage & OperationsWithQuery & string]: Exclude<keyof QueryOf<operations[K]>, keyof QueryCoverage[K]> extends never
    ? never
    : `${K}?${Exclude<keyof QueryOf<operations[K]>, keyof QueryCoverage[K]> & string}`;
}[keyof QueryCoverage & OperationsWithQuery & string];

export type QueryParametersWithoutSdkType = AssertNone<QueryGaps>;
export type OperationsWithQueryWithoutSdkType = AssertNone<Exclude<OperationsWithQuery, keyof QueryCoverage>>;
