// The original client with the secret key (a backend): customers, tiers, usage with the end
// user's token (X-Clerk-Token), checkout and portal.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createEndUser, env, noServer, tokenFor, unique } from "../../../sdk/typescript/test/support.mjs";
import { conforms, DreamAPIException, secret } from "./contract.mjs";

describe("the original client with the secret key", { skip: noServer }, () => {
  test("customers.create, get, update, delete answer the Customer of types.ts", async () => {
    const api = secret();
    const email = unique("orig");
    const { customer } = await api.customers.create({ email, password: "violet-harbour-lantern-42", firstName: "Ada", lastName: "L", plan: "free" });
    conforms("Customer", customer);
    assert.deepEqual([customer.email, customer.firstName, customer.plan, customer.publishableKey], [email, "Ada", "free", env.publishableKey]);
    assert.ok(Math.abs(customer.createdAt - Date.now()) < 10 * 60_000, "createdAt is epoch milliseconds");

    const got = (await api.customers.get(customer.id)).customer;
    conforms("Customer", got);
    assert.equal(got.id, customer.id);
    const updated = (await api.customers.update(customer.id, { plan: env.smallTier })).customer;
    conforms("Customer", updated);
    assert.equal(updated.plan, env.smallTier);

    const deleted = await api.customers.delete(customer.id);
    assert.equal(deleted.success, true);
    conforms("Deleted", deleted.deleted);
    assert.deepEqual([deleted.deleted.id, deleted.deleted.email], [customer.id, email]);
    await assert.rejects(api.customers.get(customer.id), (error) => error instanceof DreamAPIException && error.status === 404);
  });

  test("customers.create with bad input is a DreamAPIException 400", async () => {
    await assert.rejects(secret().customers.create({ email: "not-an-email" }), (error) => error instanceof DreamAPIException && error.status === 400);
  });

  test("products.listTiers answers Tier[] of types.ts", async () => {
    const { tiers } = await secret().products.listTiers();
    assert.ok(tiers.length >= 3, JSON.stringify(tiers));
    tiers.forEach((tier) => conforms("Tier", tier));
    const paid = tiers.find((tier) => tier.name === env.paidTier);
    assert.deepEqual([paid.displayName, paid.price, paid.limit], ["Pro", 1500, 500]);
    assert.match(paid.priceId, /^price_/);
    assert.match(paid.productId, /^prod_/);
  });

  test("usage.track and usage.check with the end user's token (X-Clerk-Token)", async () => {
    const api = secret();
    const customer = await createEndUser();
    api.setUserToken(await tokenFor(customer.id));
    const tracked = await api.usage.track();
    assert.equal(tracked.success, true);
    conforms("Usage", tracked.usage);
    assert.equal(tracked.usage.usageCount, 1);
    const checked = await api.usage.check();
    conforms("Usage", checked);
    assert.deepEqual([checked.userId, checked.plan, checked.usageCount], [customer.id, "free", 1]);
    assert.equal(checked.remaining, checked.limit - 1);
    api.clearUserToken();
    await assert.rejects(api.usage.track(), (error) => error instanceof DreamAPIException && error.status === 401);
  });

  test("usage at the limit is a DreamAPIException with status 403", async () => {
    const api = secret();
    const customer = await createEndUser({ plan: env.smallTier });
    api.setUserToken(await tokenFor(customer.id));
    await api.usage.track();
    await api.usage.track();
    await assert.rejects(api.usage.track(), (error) => {
      assert.ok(error instanceof DreamAPIException);
      assert.equal(error.status, 403);
      assert.equal(error.message.length > 0, true);
      return true;
    });
    assert.equal((await api.usage.check()).usageCount, 2);
  });

  test("billing.createCheckout and billing.openPortal", async () => {
    const api = secret();
    const customer = await createEndUser();
    api.setUserToken(await tokenFor(customer.id));
    const checkout = await api.billing.createCheckout({ tier: env.paidTier, successUrl: `${env.appOrigin}/ok`, cancelUrl: `${env.appOrigin}/no` });
    conforms("CheckoutResult", checkout);
    assert.match(checkout.sessionId, /^cs_/);
    const portal = await api.billing.openPortal({ returnUrl: `${env.appOrigin}/account` });
    conforms("PortalResult", portal);
    assert.match(portal.url, /^https?:\/\//);
  });
});
