// The URL helpers lead to pages the server has.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, loadSdk, noServer } from "./support.mjs";

const { DreamAPI } = await loadSdk();
const api = () => new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl });
const redirect = () => `${env.appOrigin}/back`;

async function opens(url) {
  const response = await fetch(url, { redirect: "manual" });
  return response.status;
}

describe("hosted pages", { skip: noServer }, () => {
  test("getSignUpUrl and getSignInUrl open the hosted pages", async () => {
    assert.equal(await opens(api().auth.getSignUpUrl({ redirect: redirect() })), 200);
    assert.equal(await opens(api().auth.getSignInUrl({ redirect: redirect() })), 200);
  });

  test("getCustomerPortalUrl opens /account", async () => {
    const status = await opens(api().auth.getCustomerPortalUrl({ returnUrl: redirect() }));
    assert.ok([200, 302, 303].includes(status), String(status));
  });

  test("getRefreshUrl opens /refresh", async () => {
    const status = await opens(api().auth.getRefreshUrl({ redirect: redirect() }));
    assert.ok([200, 302, 303].includes(status), String(status));
  });
});
