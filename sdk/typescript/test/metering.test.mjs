// Metering v2 against a live dream-api: features and amounts, idempotent tracking, feature
// checks, entitlements in tiers and tokens. The project has a metered feature (3 per period on
// the free tier) and an on/off one (on the paid tier only): DREAMAPI_METERED_FEATURE,
// DREAMAPI_SWITCH_FEATURE.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { createEndUser, env, loadSdk, noServer, tokenFor } from "./support.mjs";

const { DreamAPI, DreamAPIException, decodeJwtClaims, entitlementsFromClaims, featureLimit, hasFeature } = await loadSdk();
const metered = process.env.DREAMAPI_METERED_FEATURE ?? "";
const onOff = process.env.DREAMAPI_SWITCH_FEATURE ?? "";
// With a server, the project's features are part of its set-up: missing names fail, not skip.
if (!noServer && !(metered && onOff)) throw new Error("DREAMAPI_METERED_FEATURE and DREAMAPI_SWITCH_FEATURE must be set");
const api = () => new DreamAPI({ secretKey: env.secretKey, baseUrl: env.baseUrl });

describe("features and meters", { skip: noServer }, () => {
  test("track counts an amount of a feature, all or nothing", async () => {
    const customer = await createEndUser();
    const { usage } = await api().usage.track({ userId: customer.id, feature: metered, amount: 2 });
    assert.deepEqual([usage.feature, usage.usageCount, usage.limit, usage.remaining], [metered, 2, 3, 1]);
    await assert.rejects(api().usage.track({ userId: customer.id, feature: metered, amount: 2 }), (error) => {
      assert.ok(error instanceof DreamAPIException);
      assert.equal(error.status, 403);
      assert.equal(error.code, "tier_limit_reached");
      assert.equal(error.body.feature, metered);
      return true;
    });
    const check = await api().usage.check({ userId: customer.id, feature: metered });
    assert.equal(check.usageCount, 2);
  });

  test("an idempotency key makes a retry count nothing", async () => {
    const customer = await createEndUser();
    const idempotencyKey = randomUUID();
    const first = await api().usage.track({ userId: customer.id, feature: metered, idempotencyKey });
    const retry = await api().usage.track({ userId: customer.id, feature: metered, idempotencyKey });
    assert.deepEqual(retry, first);
    assert.equal((await api().usage.check({ userId: customer.id, feature: metered })).usageCount, 1);
  });

  test("check reports every meter; checkFeature answers without counting", async () => {
    const customer = await createEndUser();
    await api().usage.track({ userId: customer.id });
    const usage = await api().usage.check({ userId: customer.id });
    assert.equal(usage.features.api_calls.usageCount, 1);
    assert.deepEqual(usage.features[metered], { usageCount: 0, limit: 3, remaining: 3 });
    const switchCheck = await api().usage.checkFeature({ userId: customer.id, feature: onOff });
    assert.deepEqual([switchCheck.type, switchCheck.allowed], ["boolean", false]);
    const meterCheck = await api().usage.checkFeature({ userId: customer.id, feature: metered, amount: 4 });
    assert.deepEqual([meterCheck.type, meterCheck.allowed, meterCheck.remaining], ["metered", false, 3]);
    await assert.rejects(api().usage.checkFeature({ userId: customer.id, feature: "no-such-feature" }),
      (error) => error.status === 404 && error.code === "unknown_feature");
  });

  test("tiers list their entitlements", async () => {
    const { tiers } = await api().products.listTiers();
    const paid = tiers.find((t) => t.name === env.paidTier);
    assert.equal(paid.entitlements[onOff], true);
    assert.equal(typeof paid.entitlements.api_calls, "number");
  });

  test("the token carries the entitlements; a plan change shows in a refreshed token", async () => {
    const customer = await createEndUser();
    const before = entitlementsFromClaims(await tokenFor(customer.id));
    assert.equal(before.plan, "free");
    assert.equal(hasFeature(before, onOff), false);
    assert.equal(featureLimit(before, metered), 3);
    await api().customers.update(customer.id, { plan: env.paidTier });
    const token = await tokenFor(customer.id);
    const after = entitlementsFromClaims(decodeJwtClaims(token));
    assert.equal(after.plan, env.paidTier);
    assert.equal(hasFeature(token, onOff), true);
    assert.equal(after.version, before.version + 1);

    const browser = new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl });
    assert.equal(browser.auth.hasFeature(onOff), false); // nobody signed in
    browser.setUserToken(token);
    assert.equal(browser.auth.hasFeature(onOff), true);
    assert.equal(browser.auth.entitlements().features[metered], 10);
  });
});
