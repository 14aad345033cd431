/**
 * Responses in the contract's shape (the original client's `types.ts`) also from dream-api
 * servers older than that contract: each rule only fills a field the server left out, from
 * the same information under dream-api's earlier name. A server that sends the contract's
 * field is never overridden.
 */
import type { Customer, Tier, Usage } from "./types";

type Loose<T> = Partial<Record<keyof T, unknown>> & Record<string, unknown>;

export function normalizeCustomer(customer: Customer): Customer {
  const raw = customer as unknown as Loose<Customer>;
  if (typeof raw.createdAt === "string") {
    const ms = Date.parse(raw.createdAt);
    if (!Number.isNaN(ms)) return { ...customer, createdAt: ms };
  }
  return customer;
}

export function normalizeUsage(usage: Usage): Usage {
  const raw = usage as unknown as Loose<Usage>;
  const out: Record<string, unknown> = { ...raw };
  if (out.usageCount === undefined && typeof raw.count === "number") out.usageCount = raw.count;
  if (out.count === undefined && typeof out.usageCount === "number") out.count = out.usageCount;
  if (raw.limit === null) out.limit = "unlimited";
  if (raw.remaining === null) out.remaining = "unlimited";
  return out as unknown as Usage;
}

export function normalizeTier(tier: Tier): Tier {
  const raw = tier as unknown as Loose<Tier>;
  if (raw.displayName !== undefined) return tier;
  // Before the contract, dream-api's `id` was the identifier and `name` the display name.
  return {
    ...tier,
    name: typeof raw.id === "string" ? raw.id : tier.name,
    displayName: tier.name,
    priceId: raw.priceId === null ? "" : tier.priceId,
    productId: typeof raw.productId === "string" ? raw.productId : "",
    limit: raw.limit === null ? "unlimited" : tier.limit,
  };
}
