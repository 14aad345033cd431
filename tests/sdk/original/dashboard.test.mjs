// The original client's dashboard calls (secret key) after real activity: end users on a
// limited and an unlimited tier, tracked calls, a subscription paid on the Stripe stand-in's page.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, eventually, noServer, payOnCheckoutPage, rawRequest, unique } from "../../../sdk/typescript/test/support.mjs";
import { conforms, deviations, secret } from "./contract.mjs";

describe("the original client's dashboard calls", { skip: noServer }, () => {
  test("dashboard.get answers DashboardMetrics of types.ts; dashboard.getTotals its totals", async () => {
    const unlimited = await rawRequest("POST", "/api/tiers", { key: env.secretKey, body: { name: "max", displayName: "Max", limit: null } });
    assert.equal(unlimited.status, 201, unlimited.text);
    const api = secret();
    const { customer: payer } = await api.customers.create({ email: unique("payer") });
    const { customer: heavy } = await api.customers.create({ email: unique("heavy"), plan: "max" });
    await rawRequest("POST", "/api/data", { key: env.secretKey, headers: { "X-User-Id": heavy.id } });
    const checkout = await rawRequest("POST", "/api/create-checkout", { key: env.secretKey, headers: { "X-User-Id": payer.id }, body: { tier: env.paidTier } });
    await payOnCheckoutPage(checkout.json.url);

    const metrics = await eventually(async () => {
      const snapshot = await api.dashboard.get();
      return snapshot.activeSubscriptions === 1 && snapshot.totalRevenue === 1500 ? snapshot : null;
    });
    assert.equal(metrics.mrr, 1500);
    // Every object of the answer, all deviations at once (sorted, each kind once).
    const wrong = [
      ...deviations("DashboardMetrics", metrics),
      ...deviations("WebhookStatus", metrics.webhookStatus),
      ...metrics.webhookStatus.recentEvents.flatMap((event) => deviations("WebhookEvent", event)),
      ...metrics.customers.flatMap((customer) => deviations("DashboardCustomer", customer)),
      ...metrics.tiers.flatMap((tier) => deviations("Tier", tier).map((d) => `${d} (tier ${tier.name})`)),
      ...(metrics.orders ?? []).flatMap((order) => deviations("Order", order)),
      ...(metrics.products ?? []).flatMap((product) => deviations("Product", product)),
    ];
    assert.deepEqual([...new Set(wrong)].sort(), [], "GET /api/dashboard breaks the original's types.ts");
    const paying = metrics.customers.find((customer) => customer.id === payer.id);
    assert.deepEqual([paying.plan, paying.status], [env.paidTier, "active"]);
    assert.equal(metrics.customers.find((customer) => customer.id === heavy.id).usage, 1);

    const totals = await api.dashboard.getTotals();
    conforms("Totals", totals);
    assert.deepEqual([totals.totalRevenue, totals.totalMRR], [1500, 1500]);
    assert.ok(totals.totalCustomers >= 2);
  });
});
