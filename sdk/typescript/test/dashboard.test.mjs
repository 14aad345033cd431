// The project's metrics: GET /api/dashboard and /api/dashboard/totals, after real activity (end
// users, tracked calls, a subscription paid on the Stripe stand-in's page).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, eventually, loadSdk, noServer, payOnCheckoutPage, unique } from "./support.mjs";

const { DreamAPI } = await loadSdk();
const server = () => new DreamAPI({ secretKey: env.secretKey, baseUrl: env.baseUrl });

const isNumber = (value) => typeof value === "number" && Number.isFinite(value);
const isDate = (value) => typeof value === "string" && !Number.isNaN(Date.parse(value));

describe("dashboard", { skip: noServer }, () => {
  test("get and getTotals after end users, usage, a paid subscription and a paid cart", async () => {
    const { customer: payer } = await server().customers.create({ email: unique("payer"), externalId: `payer-${Date.now()}` });
    const { customer: user } = await server().customers.create({ email: unique("user") });
    for (let i = 0; i < 3; i++) await server().usage.track({ userId: user.id });
    await server().products.createTier({ name: "max", displayName: "Max", limit: null });
    const { customer: heavy } = await server().customers.create({ email: unique("heavy"), plan: "max" });
    const checkout = await server().billing.createCheckout({ tier: env.paidTier, successUrl: `${env.appOrigin}/ok` }, { userId: payer.id });
    await payOnCheckoutPage(checkout.url);
    const { product } = await server().products.create({ name: "mug", displayName: "Mug", price: 1200, inventory: 5 });
    const cart = await server().products.cartCheckout({ items: [{ priceId: product.priceId, quantity: 2 }], customerEmail: unique("buyer") });
    await payOnCheckoutPage(cart.url);

    const metrics = await eventually(async () => {
      const snapshot = await server().dashboard.get();
      // Stripe's events arrive one by one: the subscription, its paid invoice, the paid cart.
      return snapshot.activeSubscriptions === 1 && snapshot.totalRevenue === 1500 + 2400 ? snapshot : null;
    });
    assert.deepEqual([metrics.projectId, metrics.mode, metrics.currency], [env.projectId, "test", "usd"]);
    assert.deepEqual([metrics.cancelingSubscriptions, metrics.trialingSubscriptions, metrics.mrr], [0, 0, 1500]);
    assert.deepEqual(metrics.mrrByCurrency, { usd: 1500 });
    assert.deepEqual([metrics.subscriptionRevenue, metrics.storeRevenue, metrics.totalRevenue], [1500, 2400, 3900]);
    assert.deepEqual([metrics.totalSales, metrics.avgOrderValue], [1, 2400]);
    assert.equal(metrics.revenueThisMonth, 3900);
    assert.ok(metrics.usageThisPeriod >= 3);
    assert.ok(metrics.customersTotal >= 2 && metrics.customersNewThisMonth >= 2);

    const paying = metrics.customers.find((c) => c.id === payer.id);
    assert.deepEqual([paying.email, paying.externalId, paying.plan, paying.status], [payer.email, payer.externalId, env.paidTier, "active"]);
    assert.ok(isDate(paying.renewsAt) && Date.parse(paying.renewsAt) > Date.now(), paying.renewsAt);
    assert.ok(isDate(paying.createdAt));
    const counted = metrics.customers.find((c) => c.id === user.id);
    assert.deepEqual([counted.plan, counted.usage, counted.status, counted.externalId], ["free", 3, "none", null]);
    assert.ok(isNumber(counted.limit));
    assert.equal(metrics.customers.find((c) => c.id === heavy.id).limit, "unlimited");

    // Tiers, products and orders read exactly as their own calls give them.
    assert.deepEqual(metrics.tiers, (await server().products.listTiers()).tiers);
    const paid = metrics.tiers.find((t) => t.name === env.paidTier);
    assert.deepEqual([paid.displayName, paid.price, paid.currency, paid.interval, paid.limit, paid.popular], ["Pro", 1500, "usd", "month", 500, false]);
    assert.match(paid.priceId, /^price_/);
    assert.deepEqual([metrics.tiers.find((t) => t.name === "max").limit, metrics.tiers.find((t) => t.name === "max").priceId], ["unlimited", ""]);
    assert.deepEqual(metrics.products, [(await server().products.get(product.id)).product]);
    assert.equal(metrics.products[0].sold, 2);
    assert.deepEqual(metrics.orders, (await server().orders.list()).orders);
    assert.deepEqual(metrics.orders.map((o) => [o.amount, o.items[0].productId]), [[2400, product.id]]);

    const hooks = metrics.webhookStatus;
    assert.match(hooks.url, /\/webhook\/stripe$/);
    assert.ok(isDate(hooks.lastEvent));
    assert.equal(hooks.failedEvents, 0);
    assert.ok(hooks.recentEvents.some((event) => event.type === "invoice.paid"), JSON.stringify(hooks.recentEvents));
    for (const event of hooks.recentEvents) assert.ok(typeof event.type === "string" && isDate(event.timestamp) && typeof event.status === "string");

    const totals = await server().dashboard.getTotals();
    assert.deepEqual([totals.mode, totals.currency, totals.totalMRR, totals.totalRevenue, totals.activeSubscriptions, totals.cancelingSubscriptions],
      ["test", "usd", 1500, 3900, 1, 0]);
    assert.equal(totals.totalRevenueThisMonth, 3900);
    assert.ok(totals.totalCustomers >= 2);
    const project = totals.projects.find((p) => p.id === env.projectId);
    assert.deepEqual([project.mrr, project.revenue, project.activeSubscriptions], [1500, 3900, 1]);
    assert.ok(project.customers >= 2 && typeof project.name === "string");
  });

  test("refused with the publishable key; another developer's key sees its own project only", async () => {
    const browser = new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl });
    await assert.rejects(browser.dashboard.get(), (error) => [401, 403].includes(error.status));
    await assert.rejects(browser.dashboard.getTotals(), (error) => [401, 403].includes(error.status));
    const outsider = new DreamAPI({ secretKey: env.otherSecretKey, baseUrl: env.baseUrl });
    await server().customers.create({ email: unique("mine") });
    const theirs = await outsider.dashboard.get();
    assert.notEqual(theirs.projectId, env.projectId);
    assert.equal(theirs.customers.length, 0);
    const totals = await outsider.dashboard.getTotals();
    assert.ok(!totals.projects.some((p) => p.id === env.projectId));
    assert.equal(totals.totalCustomers, 0);
  });
});
