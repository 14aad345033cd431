// Every method a backend uses, with the secret key, against a live dream-api.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, eventually, loadSdk, noServer, payOnCheckoutPage, rawRequest, tokenFor, unique } from "./support.mjs";

const { DreamAPI, DreamAPIException } = await loadSdk();
const api = () => new DreamAPI({ secretKey: env.secretKey, baseUrl: env.baseUrl });
const suffix = () => Math.random().toString(36).slice(2, 10);

describe("customers", { skip: noServer }, () => {
  test("create, get, update, list, iterate, delete", async () => {
    const email = unique("crud");
    const { customer } = await api().customers.create({ email, firstName: "Ada", lastName: "L", plan: "free", metadata: { team: "a" } });
    assert.match(customer.id, /^usr_/);
    assert.equal(customer.email, email);
    assert.equal(customer.plan, "free");
    assert.equal(typeof customer.createdAt, "number");
    assert.ok(Math.abs(customer.createdAt - Date.now()) < 10 * 60_000);

    assert.equal((await api().customers.get(customer.id)).customer.email, email);
    const updated = await api().customers.update(customer.id, { firstName: "Grace", metadata: { team: "b" } });
    assert.equal(updated.customer.firstName, "Grace");
    assert.deepEqual(updated.customer.metadata, { team: "b" });

    const page = await api().customers.list({ search: email });
    assert.deepEqual(page.customers.map((c) => c.id), [customer.id]);
    assert.equal(page.pagination.total, 1);

    const more = [];
    for (let i = 0; i < 3; i++) more.push((await api().customers.create({ email: unique("iter") })).customer.id);
    const seen = [];
    for await (const c of api().customers.iterate({ search: "iter-", limit: 2 })) seen.push(c.id);
    for (const id of more) assert.ok(seen.includes(id), `iterate missed ${id}`);
    assert.equal(new Set(seen).size, seen.length);

    const deleted = await api().customers.delete(customer.id);
    assert.equal(deleted.success, true);
    await assert.rejects(api().customers.get(customer.id), (error) => error instanceof DreamAPIException && error.status === 404);
  });

  test("the original's delete answer: {success, message, deleted: {id, email}} (and our externalId)", async () => {
    const email = unique("del");
    const { customer } = await api().customers.create({ email, externalId: `app-${suffix()}` });
    const deleted = await api().customers.delete(customer.id);
    assert.equal(deleted.success, true);
    assert.equal(typeof deleted.message, "string");
    assert.equal(deleted.deleted.id, customer.id);
    assert.equal(deleted.deleted.email, email);
    assert.equal(deleted.deleted.externalId, customer.externalId);
  });

  test("the original's customer fields: publishableKey, createdAt in epoch ms; created as ISO text", async () => {
    const raw = await rawRequest("POST", "/api/customers", { key: env.secretKey, body: { email: unique("shape") } });
    const customer = raw.json.customer;
    assert.equal(customer.publishableKey, env.publishableKey);
    assert.equal(typeof customer.createdAt, "number");
    assert.equal(typeof customer.updatedAt, "number");
    assert.ok(Math.abs(Date.parse(customer.created) - customer.createdAt) < 1000, JSON.stringify(customer));
  });

  test("an end user named by the app's externalId", async () => {
    const externalId = `app-${suffix()}`;
    const { customer } = await api().customers.create({ email: unique("ext"), externalId });
    assert.equal(customer.externalId, externalId);
    assert.equal((await api().customers.get(externalId)).customer.id, customer.id);
    assert.equal((await api().usage.track({ userId: externalId })).usage.userId, customer.id);
    assert.equal((await api().usage.check({ userId: customer.id })).usageCount, 1);
  });

  test("bad input is a 400 naming the field", async () => {
    await assert.rejects(api().customers.create({ email: "not-an-email" }), (error) => {
      assert.equal(error.status, 400);
      assert.ok(error.fields?.email?.length, JSON.stringify(error.body));
      return true;
    });
  });

  test("another project's secret key sees none of this project's customers", async () => {
    const { customer } = await api().customers.create({ email: unique("mine") });
    const outsider = new DreamAPI({ secretKey: env.otherSecretKey, baseUrl: env.baseUrl });
    await assert.rejects(outsider.customers.get(customer.id), (error) => error.status === 404);
    await assert.rejects(outsider.customers.delete(customer.id), (error) => error.status === 404);
    assert.equal((await api().customers.get(customer.id)).customer.id, customer.id);
  });

  test("a revoked or unknown key is a 401 invalid_api_key", async () => {
    const bad = new DreamAPI({ secretKey: "sk_test_" + "x".repeat(32), baseUrl: env.baseUrl });
    await assert.rejects(bad.customers.list(), (error) => error.status === 401 && error.code === "invalid_api_key");
  });
});

describe("usage", { skip: noServer }, () => {
  test("track and check, naming the end user by id and by token", async () => {
    const { customer } = await api().customers.create({ email: unique("use") });
    const first = await api().usage.track({ userId: customer.id });
    assert.equal(first.success, true);
    assert.equal(first.usage.usageCount, 1);
    assert.equal(typeof first.usage.periodStart, "string");
    const token = await tokenFor(customer.id);
    const second = await api().usage.track({ userToken: token });
    assert.equal(second.usage.usageCount, 2);

    const client = api();
    client.setUserToken(token);
    const checked = await client.usage.check();
    assert.equal(checked.usageCount, 2);
    assert.equal(checked.plan, "free");
    assert.equal(typeof checked.limit === "number" ? checked.remaining : 0, typeof checked.limit === "number" ? checked.limit - 2 : 0);
    client.clearUserToken();
    await assert.rejects(client.usage.check(), (error) => error.code === "auth_required");
  });

  test("the original's usage fields on track and check", async () => {
    const { customer } = await api().customers.create({ email: unique("ushape") });
    const tracked = await rawRequest("POST", "/api/data", { key: env.secretKey, headers: { "X-User-Id": customer.id } });
    const checked = await rawRequest("GET", "/api/usage", { key: env.secretKey, headers: { "X-User-Id": customer.id } });
    for (const usage of [tracked.json.usage, checked.json]) {
      assert.equal(usage.userId, customer.id);
      assert.equal(usage.plan, "free");
      assert.equal(usage.usageCount, 1);
      for (const field of ["limit", "remaining"]) assert.ok(typeof usage[field] === "number" || usage[field] === "unlimited");
      assert.equal(typeof usage.periodStart, "string");
      assert.equal(typeof usage.periodEnd, "string");
    }
  });

  test("at the limit: DreamAPIException 403 tier_limit_reached", async () => {
    const { customer } = await api().customers.create({ email: unique("limit"), plan: env.smallTier });
    await api().usage.track({ userId: customer.id });
    await api().usage.track({ userId: customer.id });
    await assert.rejects(api().usage.track({ userId: customer.id }), (error) => {
      assert.ok(error instanceof DreamAPIException);
      assert.equal(error.status, 403);
      assert.equal(error.code, "tier_limit_reached");
      return true;
    });
    assert.equal((await api().usage.check({ userId: customer.id })).usageCount, 2);
  });

  test("an unknown end user is a 404", async () => {
    await assert.rejects(api().usage.check({ userId: "usr_doesnotexist" }), (error) => error.status === 404);
  });
});

describe("tiers and billing", { skip: noServer }, () => {
  test("listTiers names the paid tier with its Stripe price", async () => {
    const { tiers } = await api().products.listTiers();
    const paid = tiers.find((t) => t.name === env.paidTier);
    assert.ok(paid, JSON.stringify(tiers));
    assert.ok(paid.price > 0);
    assert.match(paid.priceId, /^price_/);
    assert.equal(typeof paid.displayName, "string");
    assert.ok(Array.isArray(paid.features));
  });

  test("createCheckout and openPortal for an end user; an idempotency key gives the same session", async () => {
    const { customer } = await api().customers.create({ email: unique("pay") });
    const params = { tier: env.paidTier, successUrl: `${env.appOrigin}/ok`, cancelUrl: `${env.appOrigin}/cancel` };
    const key = `sdk-${Date.now()}`;
    const first = await api().billing.createCheckout(params, { userId: customer.id, idempotencyKey: key });
    assert.match(first.url, /^https?:\/\//);
    assert.ok(first.sessionId);
    const again = await api().billing.createCheckout(params, { userId: customer.id, idempotencyKey: key });
    assert.equal(again.sessionId, first.sessionId);

    const portal = await api().billing.openPortal({ returnUrl: `${env.appOrigin}/account` }, { userId: customer.id });
    assert.match(portal.url, /^https?:\/\//);
  });

  test("changePlan: no subscription needs a checkout; a subscriber cancels to free at period end, then withdraws it",
    async () => {
      const { customer } = await api().customers.create({ email: unique("change") });
      await assert.rejects(api().billing.changePlan({ tier: env.paidTier }, { userId: customer.id }),
        (error) => error.status === 409 && error.code === "checkout_required");
      const { url } = await api().billing.createCheckout({ tier: env.paidTier }, { userId: customer.id });
      await payOnCheckoutPage(url);
      await eventually(async () => (await api().usage.check({ userId: customer.id })).plan === env.paidTier);

      const toFree = await api().billing.changePlan({ tier: "free" }, { userId: customer.id });
      assert.equal(toFree.changed, "at_period_end");
      assert.equal(toFree.plan, env.paidTier);
      assert.equal(toFree.pendingPlan, "free");
      assert.equal(toFree.subscription.cancelAtPeriodEnd, true);
      assert.ok(Date.parse(toFree.effectiveAt) > Date.now());
      const back = await api().billing.changePlan({ tier: env.paidTier }, { userId: customer.id });
      assert.equal(back.changed, "unscheduled");
      assert.equal(back.pendingPlan, null);
      await assert.rejects(api().billing.changePlan({ tier: "no-such-tier" }, { userId: customer.id }),
        (error) => error.status === 404 && error.code === "unknown_tier");
    });

  test("checkout for an unknown tier is a 404 unknown_tier", async () => {
    const { customer } = await api().customers.create({ email: unique("tier") });
    await assert.rejects(api().billing.createCheckout({ tier: "no-such-tier" }, { userId: customer.id }),
      (error) => error.status === 404 && error.code === "unknown_tier");
  });
});

describe("end-user tokens from a backend", { skip: noServer }, () => {
  test("refresh by id and by token, revoke, and a bad code", async () => {
    const { customer } = await api().customers.create({ email: unique("tok") });
    const byId = await api().auth.refresh({ customerId: customer.id });
    assert.equal(byId.customer.id, customer.id);
    assert.ok(byId.expiresIn > 0);
    const byToken = await api().auth.refresh({ token: byId.token });
    assert.equal((await api().usage.check({ userToken: byToken.token })).usageCount, 0);

    const revoked = await api().auth.revoke({ customerId: customer.id });
    assert.equal(revoked.success, true);
    await assert.rejects(api().usage.check({ userToken: byToken.token }), (error) => error.status === 401);

    await assert.rejects(api().auth.exchangeCode({ code: "nope", redirectUri: `${env.appOrigin}/cb` }),
      (error) => error.status === 400 && error.code === "invalid_code");
  });
});
