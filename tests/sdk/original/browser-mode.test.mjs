// The original client with only the publishable key (X-Publishable-Key), acting for an end user
// through their token (X-Clerk-Token), as every browser-only app built on it does.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createEndUser, env, noServer, rawRequest, tokenFor, unique } from "../../../sdk/typescript/test/support.mjs";
import { browser, conforms, DreamAPIException } from "./contract.mjs";

describe("the original client with only the publishable key", { skip: noServer }, () => {
  test("products.listTiers with X-Publishable-Key", async () => {
    const { tiers } = await browser().products.listTiers();
    tiers.forEach((tier) => conforms("Tier", tier));
    assert.ok(tiers.some((tier) => tier.name === env.paidTier));
  });

  test("usage, checkout and portal with the end user's token", async () => {
    const api = browser();
    const customer = await createEndUser();
    api.setUserToken(await tokenFor(customer.id));
    const tracked = await api.usage.track();
    conforms("Usage", tracked.usage);
    assert.equal(tracked.usage.usageCount, 1);
    const checked = await api.usage.check();
    conforms("Usage", checked);
    assert.equal(checked.userId, customer.id);
    conforms("CheckoutResult", await api.billing.createCheckout({ tier: env.paidTier, successUrl: `${env.appOrigin}/ok`, cancelUrl: `${env.appOrigin}/no` }));
    conforms("PortalResult", await api.billing.openPortal({ returnUrl: `${env.appOrigin}/account` }));
  });

  test("a redirect off the project's allowed origins is refused", async () => {
    const api = browser();
    api.setUserToken(await tokenFor((await createEndUser()).id));
    await assert.rejects(api.billing.createCheckout({ tier: env.paidTier, successUrl: "https://evil.example/ok" }),
      (error) => error instanceof DreamAPIException && error.status === 400);
  });

  test("without a token the client refuses before sending; secret-key calls are refused, and nothing is created", async () => {
    await assert.rejects(browser().usage.track(), (error) => error instanceof DreamAPIException && error.status === 401);
    const email = unique("refused");
    await assert.rejects(browser().customers.create({ email }), (error) => error instanceof DreamAPIException && [401, 403].includes(error.status));
    await assert.rejects(browser().dashboard.get(), (error) => error instanceof DreamAPIException && [401, 403].includes(error.status));
    const found = await rawRequest("GET", `/api/customers?search=${encodeURIComponent(email)}`, { key: env.secretKey });
    assert.equal(found.json.customers.length, 0);
  });

  test("a token of another project is refused, and counts nothing", async () => {
    const other = await rawRequest("POST", "/api/customers", { key: env.otherSecretKey, body: { email: unique("outsider") } });
    const token = (await rawRequest("POST", "/api/auth/refresh", { key: env.otherSecretKey, body: { customerId: other.json.customer.id } })).json.token;
    const api = browser();
    api.setUserToken(token);
    await assert.rejects(api.usage.track(), (error) => error.status === 401);
    const usage = await rawRequest("GET", "/api/usage", { key: env.otherSecretKey, headers: { "X-User-Id": other.json.customer.id } });
    assert.equal(usage.json.usageCount, 0);
  });
});
