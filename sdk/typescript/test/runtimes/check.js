// One journey through the built SDK, run unchanged inside other JavaScript runtimes (Deno, and
// Vercel's edge-runtime, which has only the Web APIs an edge function has): see
// ../runtimes.test.mjs. A plain script (no import/export) so an edge runtime can evaluate it
// after the global bundle; `SDK` is the module (Deno) or the bundle's global (edge).
async function runtimeCheck(SDK, env) {
  const out = {};
  const api = new SDK.DreamAPI({ secretKey: env.secretKey, baseUrl: env.baseUrl });
  const email = `rt-${env.runtime}-${Date.now()}@example.com`;
  const { customer } = await api.customers.create({ email });
  out.customer = [customer.id.slice(0, 4), customer.email === email];
  out.tracked = (await api.usage.track({ userId: customer.id })).usage.usageCount;
  out.usageCount = (await api.usage.check({ userId: customer.id })).usageCount;
  const browser = new SDK.DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl });
  out.tiers = (await browser.products.listTiers()).tiers.some((tier) => tier.name === env.paidTier);
  try {
    await new SDK.DreamAPI({ secretKey: env.secretKey.slice(0, -4) + "0000", baseUrl: env.baseUrl }).customers.get(customer.id);
    out.badKey = "no error";
  } catch (error) {
    out.badKey = [SDK.isDreamAPIException(error), error.status];
  }
  out.challenge = (await SDK.codeChallengeS256(SDK.createCodeVerifier())).length;
  const payload = '{"id":"evt_runtime","object":"event","type":"customer.created","data":{}}';
  const t = Math.floor(Date.now() / 1000);
  const signature = await SDK.webhookSignature(payload, "whsec_runtime", t);
  out.webhook = (await SDK.verifyWebhook(payload, `t=${t},v1=${signature}`, "whsec_runtime")).id;
  out.deleted = (await api.customers.delete(customer.id)).success;
  return out;
}
