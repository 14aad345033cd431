/**
 * Compile-time check: every field of every schema in the generated OpenAPI types
 * (generated/openapi.ts) has a place in the SDK's public types. A field or a schema added to the
 * API without the SDK fails `npm run typecheck` (after `npm run generate`), naming it, e.g.
 * "Customer.externalId". Field types are not compared: the public types follow the original
 * client's contract, which the server's schema may describe more loosely.
 */
import type { DreamAPIError } from "./errors";
import type { components } from "./generated/openapi";
import type {
  ChangePlanParams,
  CheckoutParams,
  CheckoutResult,
  CreateCustomerParams,
  Customer,
  CustomerPage,
  CustomerResult,
  DeleteCustomerResult,
  Pagination,
  PlanChangeResult,
  PlanSubscription,
  PortalParams,
  PortalResult,
  Revoked,
  SignedIn,
  Tier,
  UpdateCustomerParams,
  Usage,
  UsageTrackResult,
} from "./types";

type Schemas = components["schemas"];

/** Which public type covers each schema of the API. */
interface Coverage {
  ChangedEnum: string;
  ChangePlanRequestRequest: ChangePlanParams;
  CheckoutRequestRequest: CheckoutParams;
  CheckoutUrl: CheckoutResult;
  CodeExchangeRequest: { code: string; redirectUri: string; codeVerifier?: string };
  Customer: Customer;
  CustomerCreateRequest: CreateCustomerParams;
  CustomerEnvelope: CustomerResult;
  CustomerPage: CustomerPage;
  Deleted: DeleteCustomerResult;
  Error: DreamAPIError;
  IntervalEnum: string;
  Pagination: Pagination;
  PatchedCustomerUpdateRequest: UpdateCustomerParams;
  PlanChange: PlanChangeResult;
  PlanSubscription: PlanSubscription;
  PortalRequestRequest: PortalParams;
  PortalUrl: PortalResult;
  Revoked: Revoked;
  SignedIn: SignedIn;
  Tier: Tier;
  TierList: { tiers: Tier[] };
  TokenRefreshRequest: { customerId?: string; token?: string };
  TokenRevokeRequest: { customerId?: string; token?: string };
  Tracked: UsageTrackResult;
  Usage: Usage;
  UsageSummary: Usage;
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
