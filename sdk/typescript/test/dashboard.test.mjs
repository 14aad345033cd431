// The project's metrics: GET /api/dashboard and /api/dashboard/totals.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, loadSdk, routeMissing } from "./support.mjs";

const { DreamAPI } = await loadSdk();
const server = () => new DreamAPI({ secretKey: env.secretKey, baseUrl: env.baseUrl });

describe("dashboard.get", { skip: await routeMissing("GET", "/api/dashboard") }, () => {
  test("the original's DashboardMetrics fields", async () => {
    const metrics = await server().dashboard.get();
    for (const field of ["activeSubscriptions", "cancelingSubscriptions", "mrr", "usageThisPeriod"]) {
      assert.equal(typeof metrics[field], "number", field);
    }
    assert.ok(Array.isArray(metrics.customers));
    assert.ok(Array.isArray(metrics.tiers));
    assert.equal(typeof metrics.webhookStatus, "object");
    assert.ok(Array.isArray(metrics.webhookStatus.recentEvents));
  });

  test("refused with the publishable key", async () => {
    const browser = new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl });
    await assert.rejects(browser.dashboard.get(), (error) => error.status === 403 || error.status === 401);
  });
});

describe("dashboard.getTotals", { skip: await routeMissing("GET", "/api/dashboard/totals") }, () => {
  test("totalRevenue, totalCustomers, totalMRR", async () => {
    const totals = await server().dashboard.getTotals();
    for (const field of ["totalRevenue", "totalCustomers", "totalMRR"]) assert.equal(typeof totals[field], "number", field);
    assert.ok(totals.totalCustomers >= 1);
  });
});
