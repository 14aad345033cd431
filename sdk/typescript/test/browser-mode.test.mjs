// Browser mode: only the publishable key in the client, the end user acting through their token.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createEndUser, env, loadSdk, noServer, rawRequest, tokenFor } from "./support.mjs";

const { DreamAPI, DreamAPIException } = await loadSdk();
const browser = () => new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl });

describe("what a publishable key may do alone", { skip: noServer }, () => {
  test("listTiers works with the publishable key", async () => {
    assert.equal(browser().isFrontendOnly(), true);
    assert.equal(new DreamAPI({ secretKey: env.secretKey, baseUrl: env.baseUrl }).isFrontendOnly(), false);
    const { tiers } = await browser().products.listTiers();
    assert.ok(tiers.some((t) => t.name === env.paidTier));
  });

  test("secret-key calls are refused with 403 secret_key_required", async () => {
    await assert.rejects(browser().customers.create({ email: "nobody@example.com" }),
      (error) => error instanceof DreamAPIException && error.status === 403 && error.code === "secret_key_required");
    await assert.rejects(browser().customers.list(), (error) => error.status === 403);
  });

  test("naming an end user by id is refused in the client, before any request", async () => {
    await assert.rejects(browser().usage.track({ userId: "usr_x" }), (error) => error.code === "secret_key_required");
  });
});

describe("the end user's calls with the publishable key and their token", { skip: noServer }, () => {
  test("track, check, createCheckout and openPortal", async () => {
    const customer = await createEndUser();
    const api = browser();
    api.setUserToken(await tokenFor(customer.id));
    const tracked = await api.usage.track();
    assert.equal(tracked.usage.usageCount, 1);
    const checked = await api.usage.check();
    assert.equal(checked.usageCount, 1);
    assert.equal(checked.plan, "free");
    assert.equal(checked.userId, customer.id);
    const checkout = await api.billing.createCheckout({ tier: env.paidTier, successUrl: `${env.appOrigin}/ok`, cancelUrl: `${env.appOrigin}/no` });
    assert.match(checkout.url, /^https?:\/\//);
    const portal = await api.billing.openPortal({ returnUrl: `${env.appOrigin}/account` });
    assert.match(portal.url, /^https?:\/\//);
  });

  test("changePlan with the publishable key and the token: a free end user needs a checkout first", async () => {
    const customer = await createEndUser();
    const api = browser();
    api.setUserToken(await tokenFor(customer.id));
    await assert.rejects(api.billing.changePlan({ tier: env.paidTier }),
      (error) => error.status === 409 && error.code === "checkout_required");
    assert.equal((await api.billing.changePlan({ tier: "free" })).changed, "none");
  });

  test("redirects off the project's allowed origins are refused", async () => {
    const customer = await createEndUser();
    const api = browser();
    api.setUserToken(await tokenFor(customer.id));
    await assert.rejects(api.billing.createCheckout({ tier: env.paidTier, successUrl: "https://evil.example/ok" }),
      (error) => error.status === 400);
  });

  test("X-User-Id with a publishable key is a 403, and counts nothing", async () => {
    const customer = await createEndUser();
    const answer = await rawRequest("POST", "/api/data", { key: env.publishableKey, headers: { "X-User-Id": customer.id } });
    assert.equal(answer.status, 403, answer.text);
    const usage = await rawRequest("GET", "/api/usage", { key: env.secretKey, headers: { "X-User-Id": customer.id } });
    assert.equal(usage.json.usageCount, 0);
  });

  test("the X-Publishable-Key header the original client sends is accepted", async () => {
    const customer = await createEndUser();
    const token = await tokenFor(customer.id);
    const answer = await rawRequest("GET", "/api/usage", { headers: { "X-Publishable-Key": env.publishableKey, "X-Clerk-Token": token } });
    assert.equal(answer.status, 200, answer.text);
  });

  test("another project's token with this publishable key is refused", async () => {
    const other = await rawRequest("POST", "/api/customers", { key: env.otherSecretKey, body: { email: "outsider@example.com" } });
    const token = (await rawRequest("POST", "/api/auth/refresh", { key: env.otherSecretKey, body: { customerId: other.json.customer.id } })).json.token;
    await assert.rejects(browser().usage.track({ userToken: token }), (error) => error.status === 401);
  });
});
