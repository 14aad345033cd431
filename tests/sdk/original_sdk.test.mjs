// Issue 9 item 7: the original service's own client (@dream-api/sdk 0.1.37), transpiled
// unchanged from the reference sources, against dream-api: every method it has, in secret-key
// mode and in browser mode (publishable key + the end user's token), and every field its
// types.ts promises, with the type it promises.
//
// DREAMAPI_ORIGINAL_SDK_BUNDLE is the esbuild output of dream-sdk/src/index.ts (made by
// tests/sdk/test_original_sdk.py); the rest of the environment is the SDK suites' (support.mjs).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  browserModeMissing, clerkTokenHeaderMissing, createEndUser, env, noServer, pageMissing, publishableKeyHeaderMissing,
  rawRequest, routeMissing, schemaLacks, tokenFor, unique,
} from "../../sdk/typescript/test/support.mjs";

const { DreamAPI, DreamAPIException } = await import(process.env.DREAMAPI_ORIGINAL_SDK_BUNDLE);

const secret = () => new DreamAPI({ secretKey: env.secretKey, publishableKey: env.publishableKey, baseUrl: env.baseUrl, signupUrl: env.baseUrl });
const browser = () => new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl, signupUrl: env.baseUrl });

const gates = {
  customerShape: await schemaLacks("Customer", "publishableKey"),
  usageShape: await schemaLacks("UsageSummary", "userId"),
  tierShape: await schemaLacks("Tier", "displayName"),
  clerkToken: await clerkTokenHeaderMissing(),
  pkHeader: await publishableKeyHeaderMissing(),
  browserMode: await browserModeMissing(),
  products: await routeMissing("GET", "/api/products"),
  cart: await routeMissing("POST", "/api/cart/checkout", { body: { items: [] } }),
  dashboard: await routeMissing("GET", "/api/dashboard"),
  totals: await routeMissing("GET", "/api/dashboard/totals"),
  account: await pageMissing("/account"),
  refresh: await pageMissing("/refresh"),
};
const any = (...reasons) => reasons.find(Boolean) || false;

// --- the types.ts contract, field by field ------------------------------------------------------

const optional = (check) => (value) => value === undefined || check(value);
const string = (value) => typeof value === "string";
const number = (value) => typeof value === "number" && Number.isFinite(value);
const boolean = (value) => typeof value === "boolean";
const numberOrUnlimited = (value) => number(value) || value === "unlimited";
const stringArray = (value) => Array.isArray(value) && value.every(string);

const CONTRACT = {
  Customer: { id: string, email: string, firstName: optional(string), lastName: optional(string), plan: string, publishableKey: string, createdAt: number },
  Usage: { userId: string, plan: string, usageCount: number, limit: numberOrUnlimited, remaining: numberOrUnlimited, periodStart: string, periodEnd: string },
  Tier: { name: string, displayName: string, price: number, limit: number, priceId: string, productId: string, features: optional(stringArray), popular: optional(boolean) },
  Product: {
    id: optional(string), name: string, displayName: optional(string), description: optional(string), price: number, currency: optional(string),
    priceId: string, productId: string, imageUrl: optional(string), inventory: optional((v) => v === null || number(v)), soldOut: optional(boolean),
    features: optional(stringArray),
  },
  CheckoutResult: { url: string, sessionId: optional(string) },
  PortalResult: { url: string },
  DashboardMetrics: {
    activeSubscriptions: number, cancelingSubscriptions: number, mrr: number, totalRevenue: optional(number), totalSales: optional(number),
    avgOrderValue: optional(number), usageThisPeriod: number, customers: Array.isArray, tiers: Array.isArray, products: optional(Array.isArray),
    orders: optional(Array.isArray), webhookStatus: (v) => v !== null && typeof v === "object",
  },
  DashboardCustomer: { id: string, email: string, plan: string, usage: number, limit: number, status: string, renewsAt: optional(string) },
  Order: { customer: string, email: string, amount: number, paymentId: string, date: string },
  WebhookStatus: { url: string, lastEvent: optional(string), recentEvents: Array.isArray },
  Totals: { totalRevenue: number, totalCustomers: number, totalMRR: number },
};

function conforms(type, value) {
  assert.ok(value !== null && typeof value === "object", `${type}: not an object: ${JSON.stringify(value)}`);
  const wrong = Object.entries(CONTRACT[type]).filter(([field, check]) => !check(value[field]))
    .map(([field]) => `${field}=${JSON.stringify(value[field])}`);
  assert.deepEqual(wrong, [], `${type} breaks the original's types.ts: ${wrong.join(", ")}`);
}

// --- secret-key mode ----------------------------------------------------------------------------

describe("the original client with the secret key", { skip: noServer }, () => {
  test("customers.create, get, update, delete work", async () => {
    const api = secret();
    const email = unique("orig");
    const { customer } = await api.customers.create({ email, firstName: "Ada", lastName: "L", plan: "free" });
    assert.equal(customer.email, email);
    assert.equal((await api.customers.get(customer.id)).customer.id, customer.id);
    assert.equal((await api.customers.update(customer.id, { plan: env.smallTier || "free" })).customer.plan, env.smallTier || "free");
    const deleted = await api.customers.delete(customer.id);
    assert.equal(deleted.success, true);
    await assert.rejects(api.customers.get(customer.id), (error) => error instanceof DreamAPIException && error.status === 404);
  });

  test("customers answer with the Customer of types.ts; delete with {success, deleted: {id, email}}", { skip: gates.customerShape }, async () => {
    const api = secret();
    const email = unique("origshape");
    const { customer } = await api.customers.create({ email, password: "violet-harbour-lantern-42" });
    conforms("Customer", customer);
    conforms("Customer", (await api.customers.get(customer.id)).customer);
    conforms("Customer", (await api.customers.update(customer.id, { plan: "free" })).customer);
    const deleted = await api.customers.delete(customer.id);
    assert.equal(deleted.success, true);
    assert.deepEqual(deleted.deleted, { id: customer.id, email });
  });

  test("products.listTiers answers Tier[] of types.ts", { skip: gates.tierShape }, async () => {
    const { tiers } = await secret().products.listTiers();
    assert.ok(tiers.length >= 2);
    tiers.forEach((tier) => conforms("Tier", tier));
    assert.ok(tiers.some((tier) => tier.name === env.paidTier && tier.priceId.startsWith("price_")));
  });

  test("usage.track and usage.check with the end user's token (X-Clerk-Token)", { skip: gates.clerkToken }, async () => {
    const api = secret();
    const customer = await createEndUser();
    api.setUserToken(await tokenFor(customer.id));
    const tracked = await api.usage.track();
    assert.equal(tracked.success, true);
    assert.equal(tracked.usage.usageCount, 1);
    const checked = await api.usage.check();
    assert.equal(checked.usageCount, 1);
    if (!gates.usageShape) {
      conforms("Usage", tracked.usage);
      conforms("Usage", checked);
      assert.equal(checked.userId, customer.id);
    }
    api.clearUserToken();
    await assert.rejects(api.usage.track(), (error) => error.status === 401);
  });

  test("usage at the limit is a DreamAPIException with status 403", { skip: any(gates.clerkToken, !env.smallTier && "no small tier") }, async () => {
    const api = secret();
    const customer = await createEndUser({ plan: env.smallTier });
    api.setUserToken(await tokenFor(customer.id));
    await api.usage.track();
    await api.usage.track();
    await assert.rejects(api.usage.track(), (error) => error instanceof DreamAPIException && error.status === 403);
  });

  test("billing.createCheckout and billing.openPortal", { skip: gates.clerkToken }, async () => {
    const api = secret();
    const customer = await createEndUser();
    api.setUserToken(await tokenFor(customer.id));
    const checkout = await api.billing.createCheckout({ tier: env.paidTier, successUrl: `${env.appOrigin}/ok`, cancelUrl: `${env.appOrigin}/no` });
    conforms("CheckoutResult", checkout);
    conforms("PortalResult", await api.billing.openPortal({ returnUrl: `${env.appOrigin}/account` }));
  });

  test("products.list answers Product[] of types.ts", { skip: gates.products }, async () => {
    const { products } = await secret().products.list();
    products.forEach((product) => conforms("Product", product));
  });

  test("products.cartCheckout", { skip: any(gates.products, gates.cart) }, async () => {
    const { products } = await secret().products.list();
    if (!products.length) return assert.fail("the store has no product to put in a cart");
    const result = await secret().products.cartCheckout({
      items: [{ priceId: products[0].priceId, quantity: 1 }], customerEmail: "buyer@example.com", customerName: "Buyer",
      successUrl: `${env.appOrigin}/thanks`, cancelUrl: `${env.appOrigin}/cart`,
    });
    conforms("CheckoutResult", result);
  });

  test("dashboard.get answers DashboardMetrics of types.ts", { skip: gates.dashboard }, async () => {
    const metrics = await secret().dashboard.get();
    conforms("DashboardMetrics", metrics);
    conforms("WebhookStatus", metrics.webhookStatus);
    metrics.customers.forEach((customer) => conforms("DashboardCustomer", customer));
    metrics.tiers.forEach((tier) => conforms("Tier", tier));
    (metrics.orders ?? []).forEach((order) => conforms("Order", order));
  });

  test("dashboard.getTotals", { skip: gates.totals }, async () => {
    conforms("Totals", await secret().dashboard.getTotals());
  });
});

// --- browser mode -------------------------------------------------------------------------------

describe("the original client with only the publishable key", { skip: noServer }, () => {
  test("products.listTiers with X-Publishable-Key", { skip: gates.pkHeader }, async () => {
    const { tiers } = await browser().products.listTiers();
    assert.ok(tiers.some((tier) => tier.name === env.paidTier));
    if (!gates.tierShape) tiers.forEach((tier) => conforms("Tier", tier));
  });

  test("usage, checkout and portal with the end user's token", { skip: any(gates.pkHeader, gates.clerkToken, gates.browserMode) }, async () => {
    const api = browser();
    const customer = await createEndUser();
    api.setUserToken(await tokenFor(customer.id));
    const tracked = await api.usage.track();
    assert.equal(tracked.usage.usageCount, 1);
    const checked = await api.usage.check();
    if (!gates.usageShape) conforms("Usage", checked);
    conforms("CheckoutResult", await api.billing.createCheckout({ tier: env.paidTier, successUrl: `${env.appOrigin}/ok`, cancelUrl: `${env.appOrigin}/no` }));
    conforms("PortalResult", await api.billing.openPortal({ returnUrl: `${env.appOrigin}/account` }));
  });

  test("secret-key calls are refused, and nothing is created", async () => {
    const email = unique("refused");
    await assert.rejects(browser().customers.create({ email }), (error) => error instanceof DreamAPIException && [401, 403].includes(error.status));
    const found = await rawRequest("GET", `/api/customers?search=${encodeURIComponent(email)}`, { key: env.secretKey });
    assert.equal(found.json.customers.length, 0);
  });

  test("products.list and cartCheckout", { skip: any(gates.pkHeader, gates.products, gates.cart) }, async () => {
    const { products } = await browser().products.list();
    products.forEach((product) => conforms("Product", product));
    if (products.length) {
      conforms("CheckoutResult", await browser().products.cartCheckout({ items: [{ priceId: products[0].priceId, quantity: 1 }] }));
    }
  });

  test("a token of another project is refused", { skip: any(gates.pkHeader, gates.clerkToken, gates.browserMode, !env.otherSecretKey && "no outsider") }, async () => {
    const other = await rawRequest("POST", "/api/customers", { key: env.otherSecretKey, body: { email: unique("outsider") } });
    const token = (await rawRequest("POST", "/api/auth/refresh", { key: env.otherSecretKey, body: { customerId: other.json.customer.id } })).json.token;
    const api = browser();
    api.setUserToken(token);
    await assert.rejects(api.usage.track(), (error) => error.status === 401);
  });
});

// --- the auth helpers ---------------------------------------------------------------------------

describe("the original client's auth helpers", { skip: noServer }, () => {
  const redirect = () => `${env.appOrigin}/dashboard`;

  test("getSignUpUrl and getSignInUrl open dream-api's hosted pages", async () => {
    for (const url of [browser().auth.getSignUpUrl({ redirect: redirect() }), browser().auth.getSignInUrl({ redirect: redirect() })]) {
      assert.ok(url.startsWith(`${env.baseUrl}/sign`), url);
      assert.equal((await fetch(url, { redirect: "manual" })).status, 200, url);
    }
  });

  test("getCustomerPortalUrl opens /account", { skip: gates.account }, async () => {
    const url = browser().auth.getCustomerPortalUrl({ returnUrl: redirect() });
    assert.ok([200, 302, 303].includes((await fetch(url, { redirect: "manual" })).status));
  });

  test("getRefreshUrl opens /refresh", { skip: gates.refresh }, async () => {
    const url = browser().auth.getRefreshUrl({ redirect: redirect() });
    assert.ok([200, 302, 303].includes((await fetch(url, { redirect: "manual" })).status));
  });

  test("init, isSignedIn, getUser, refreshToken and signOut with a dream-api token in the page", async () => {
    const customer = await createEndUser();
    const token = await tokenFor(customer.id);
    // A page the browser landed on with the token, as the original's sign-up worker sent it.
    const items = new Map();
    globalThis.localStorage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v), removeItem: (k) => items.delete(k) };
    let cleaned;
    globalThis.window = {
      location: { search: `?__clerk_jwt=${token}`, pathname: "/dashboard", href: `${env.appOrigin}/dashboard?__clerk_jwt=${token}`, origin: env.appOrigin },
      history: { replaceState: (_s, _t, url) => (cleaned = url) },
    };
    try {
      const api = browser();
      await api.auth.init();
      assert.equal(cleaned, "/dashboard");
      assert.equal(api.auth.isSignedIn(), true);
      const user = api.auth.getUser();
      assert.equal(user.id, customer.id);
      assert.equal(user.plan, "free");
      await api.auth.refreshToken();
      await api.auth.signOut();
      assert.equal(api.auth.isSignedIn(), false);
      assert.equal(items.size, 0);
    } finally {
      delete globalThis.window;
      delete globalThis.localStorage;
    }
  });
});
