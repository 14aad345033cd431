// verifyWebhook: dream-api's signature scheme (HMAC-SHA256 over `${t}.${body}`), offline.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { loadSdk } from "./support.mjs";

const { verifyWebhook, WebhookSignatureError, WEBHOOK_SIGNATURE_HEADER } = await loadSdk();

const secret = "whsec_test0123456789abcdefghijklmnopqrstuvwx";
const body = JSON.stringify({ id: "evt_1", object: "event", type: "usage.threshold_reached", created: 1795900000,
  mode: "test", projectId: "prj_1", data: { threshold: 80 } });
const sign = (payload, key, t) => createHmac("sha256", key).update(`${t}.${payload}`).digest("hex");
const now = 1795900000 * 1000;
const header = (t = 1795900000, keys = [secret], payload = body) => [`t=${t}`, ...keys.map((k) => `v1=${sign(payload, k, t)}`)].join(",");
const refused = (pattern) => (error) => error instanceof WebhookSignatureError && pattern.test(error.message);

test("a delivery signed with the secret verifies and parses", async () => {
  assert.equal(WEBHOOK_SIGNATURE_HEADER, "DreamAPI-Signature");
  const event = await verifyWebhook(body, header(), secret, { now });
  assert.equal(event.type, "usage.threshold_reached");
  assert.equal(event.data.threshold, 80);
  const bytes = await verifyWebhook(new TextEncoder().encode(body), header(), secret, { now });
  assert.equal(bytes.id, "evt_1");
});

test("another secret, a changed body, a missing or malformed header are refused", async () => {
  await assert.rejects(verifyWebhook(body, header(), "whsec_other", { now }), refused(/does not match/));
  await assert.rejects(verifyWebhook(body.replace("80", "81"), header(), secret, { now }), refused(/does not match/));
  await assert.rejects(verifyWebhook(body, null, secret, { now }), refused(/No DreamAPI-Signature/));
  await assert.rejects(verifyWebhook(body, "v1=abc", secret, { now }), refused(/no t= and v1=/));
});

test("an old or future timestamp is refused (5 minutes by default)", async () => {
  await assert.rejects(verifyWebhook(body, header(1795900000 - 301), secret, { now }), refused(/too far/));
  await assert.rejects(verifyWebhook(body, header(1795900000 + 301), secret, { now }), refused(/too far/));
  await verifyWebhook(body, header(1795900000 - 299), secret, { now });
  await verifyWebhook(body, header(1795900000 - 3000), secret, { now, toleranceSeconds: 3600 });
});

test("during a secret rotation either secret verifies", async () => {
  const rotated = header(1795900000, ["whsec_new", secret]);
  assert.equal((await verifyWebhook(body, rotated, secret, { now })).id, "evt_1");
  assert.equal((await verifyWebhook(body, rotated, "whsec_new", { now })).id, "evt_1");
});
