// Tiers from scripts: createTier, updateTier, deleteTier (secret key, the dashboard's rules), and
// what listTiers then shows to everyone.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, loadSdk, noServer } from "./support.mjs";

const { DreamAPI } = await loadSdk();
const server = () => new DreamAPI({ secretKey: env.secretKey, baseUrl: env.baseUrl });
const browser = () => new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl });
const suffix = () => Math.random().toString(36).slice(2, 8);

describe("tier management", { skip: noServer }, () => {
  test("an unlimited free tier: \"unlimited\" and empty Stripe ids, managed and listed alike", async () => {
    const id = `max-${suffix()}`;
    const { success, tier } = await server().products.createTier({ name: id, displayName: "Max", limit: null, features: ["All of it"] });
    assert.equal(success, true);
    assert.deepEqual(
      [tier.id, tier.name, tier.displayName, tier.price, tier.currency, tier.interval, tier.limit, tier.features, tier.popular, tier.priceId, tier.productId, tier.default],
      [id, id, "Max", 0, "usd", "month", "unlimited", ["All of it"], false, "", "", false],
    );
    assert.equal(typeof tier.order, "number");
    assert.deepEqual(tier.entitlements, { api_calls: "unlimited" });
    const listed = (await browser().products.listTiers()).tiers.find((t) => t.name === id);
    const { order, default: isDefault, ...asListed } = tier;
    assert.deepEqual(listed, asListed, "a managed tier is the listed tier plus order and default");
    assert.equal(listed.billingMode, "subscription");
  });

  test("a paid tier gets a Stripe price; updateTier changes it; a yearly price", async () => {
    const id = `team-${suffix()}`;
    const { tier } = await server().products.createTier({ name: id, displayName: "Team", price: 4900, limit: 5000, popular: true });
    assert.match(tier.priceId, /^price_/);
    assert.match(tier.productId, /^prod_/);
    const { tier: changed } = await server().products.updateTier(id, { displayName: "Team+", price: 49000, interval: "year", limit: 60000 });
    assert.deepEqual([changed.displayName, changed.price, changed.interval, changed.limit, changed.productId], ["Team+", 49000, "year", 60000, tier.productId]);
    assert.notEqual(changed.priceId, tier.priceId);
    const listed = (await server().products.listTiers()).tiers.find((t) => t.name === id);
    assert.deepEqual([listed.displayName, listed.price, listed.interval, listed.limit, listed.priceId, listed.popular], ["Team+", 49000, "year", 60000, changed.priceId, true]);
  });

  test("deleteTier with end users on it needs moveUsersTo; they move there", async () => {
    const id = `gone-${suffix()}`;
    await server().products.createTier({ name: id, limit: 10 });
    const { customer } = await server().customers.create({ email: `${id}@example.com`, plan: id });
    await assert.rejects(server().products.deleteTier(id), (error) => error.status === 409 || error.status === 400);
    await assert.rejects(server().products.deleteTier(id, { moveUsersTo: "no-such-tier" }), (error) => error.status === 400);
    const deleted = await server().products.deleteTier(id, { moveUsersTo: "free" });
    assert.deepEqual(deleted, { success: true, deleted: true, id });
    assert.equal((await server().customers.get(customer.id)).customer.plan, "free");
    assert.ok(!(await server().products.listTiers()).tiers.some((t) => t.name === id));
    await assert.rejects(server().products.updateTier(id, { limit: 1 }), (error) => error.status === 404 && error.code === "unknown_tier");
  });

  test("bad input names the field; a duplicate id is a conflict; the publishable key and outsiders are refused", async () => {
    await assert.rejects(server().products.createTier({ name: "Not A Slug!" }), (error) => error.status === 400 && Boolean(error.fields?.name));
    await assert.rejects(server().products.createTier({ name: env.paidTier }), (error) => [400, 409].includes(error.status));
    await assert.rejects(browser().products.createTier({ name: `pk-${suffix()}` }), (error) => [401, 403].includes(error.status));
    const outsider = new DreamAPI({ secretKey: env.otherSecretKey, baseUrl: env.baseUrl });
    await assert.rejects(outsider.products.updateTier(env.paidTier, { limit: 1 }), (error) => error.status === 404);
    await assert.rejects(outsider.products.deleteTier(env.paidTier), (error) => error.status === 404);
    const paid = (await server().products.listTiers()).tiers.find((t) => t.name === env.paidTier);
    assert.equal(paid.limit, 500);
  });
});
