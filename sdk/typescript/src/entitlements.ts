/**
 * The entitlements in an end-user token: what the end user's plan grants, readable without a
 * call. The token's `features` claim maps each feature key to a metered feature's limit per
 * period ("unlimited" for none) or an on/off feature's true/false; `ent_ver` goes up with
 * every plan change.
 *
 * These helpers read claims; they do not verify a signature. In a browser that is enough to
 * show or hide a button (the API still enforces every limit). On a server, verify the token
 * first (ES256 with the project's JWKS at `/.well-known/jwks/<project id>.json`, e.g. with
 * `jose`), then pass its verified claims here.
 */
import { decodeJwtClaims } from "./client";
import type { Entitlements, TokenEntitlements } from "./types";

type Claims = Record<string, unknown>;

function claimsOf(source: string | Claims): Claims {
  return typeof source === "string" ? decodeJwtClaims(source) ?? {} : source;
}

/** The plan, features and entitlement version of a token (or of its claims). */
export function entitlementsFromClaims(source: string | Claims): TokenEntitlements {
  const claims = claimsOf(source);
  const features: Entitlements = {};
  const raw = claims.features;
  if (raw && typeof raw === "object") {
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof value === "boolean" || typeof value === "number" || value === "unlimited") features[key] = value;
    }
  }
  const version = typeof claims.ent_ver === "number" ? claims.ent_ver : 1;
  return { plan: typeof claims.plan === "string" ? claims.plan : "", features, version };
}

/** A token, its claims, or `entitlementsFromClaims`'s result: each keeps the map in `features`. */
type Source = string | Claims | TokenEntitlements;

function featuresOf(source: Source): Entitlements {
  return entitlementsFromClaims(source as string | Claims).features;
}

/**
 * Whether the plan grants `feature`: an on/off feature that is on, or a metered one with a
 * limit above 0 (or unlimited). A feature the token does not list is not granted.
 */
export function hasFeature(source: Source, feature: string): boolean {
  const value = featuresOf(source)[feature];
  if (value === undefined) return false;
  if (typeof value === "boolean") return value;
  return value === "unlimited" || value > 0;
}

/** A metered feature's limit per period ("unlimited"), 0 when not granted, null for an on/off one. */
export function featureLimit(source: Source, feature: string): number | "unlimited" | null {
  const value = featuresOf(source)[feature];
  if (value === undefined) return 0;
  return typeof value === "boolean" ? null : value;
}
