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
  CheckoutParams,
  CheckoutResult,
  CreateCustomerParams,
  Customer,
  CustomerPage,
  CustomerResult,
  DeleteCustomerResult,
  FeatureCheck,
  Meter,
  Pagination,
  PortalParams,
  PortalResult,
  Revoked,
  SignedIn,
  Tier,
  TrackParams,
  UpdateCustomerParams,
  Usage,
  UsageTrackResult,
} from "./types";

type Schemas = components["schemas"];

/** Which public type covers each schema of the API. */
interface Coverage {
  BillingModeEnum: string;
  CheckoutRequestRequest: CheckoutParams;
  CheckoutSession: CheckoutResult;
  CodeExchangeRequest: { code: string; redirectUri: string; codeVerifier?: string };
  Customer: Customer;
  CustomerCreateRequest: CreateCustomerParams;
  CustomerDeleted: DeleteCustomerResult;
  CustomerEnvelope: CustomerResult;
  CustomerPage: CustomerPage;
  DeletedCustomer: { id: string; email: string; externalId?: string | null };
  Error: DreamAPIError;
  FeatureCheck: FeatureCheck;
  IntervalEnum: string;
  Meter: Meter;
  Pagination: Pagination;
  PatchedCustomerUpdateRequest: UpdateCustomerParams;
  PortalRequestRequest: PortalParams;
  PortalSession: PortalResult;
  Revoked: Revoked;
  SignedIn: SignedIn;
  Tier: Tier;
  TierLimitError: DreamAPIError;
  TierList: { tiers: Tier[] };
  TokenRefreshRequest: { customerId?: string; token?: string };
  TokenRevokeRequest: { customerId?: string; token?: string };
  TrackRequest: TrackParams;
  TypeEnum: string;
  Usage: Usage;
  UsageReport: Usage;
  UsageTracked: UsageTrackResult;
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
