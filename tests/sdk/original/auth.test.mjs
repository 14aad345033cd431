// The original client's auth helpers: the hosted pages' URLs, and the session it keeps from a
// token in the page's URL (`?__clerk_jwt=`, as its sign-up worker sent it back).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createEndUser, env, noServer, rawRequest, tokenFor } from "../../../sdk/typescript/test/support.mjs";
import { browser } from "./contract.mjs";

const redirect = () => `${env.appOrigin}/dashboard`;

async function status(url) {
  return (await fetch(url, { redirect: "manual" })).status;
}

describe("the original client's auth helpers", { skip: noServer }, () => {
  test("getSignUpUrl and getSignInUrl open dream-api's hosted pages", async () => {
    const api = browser();
    const signUp = api.auth.getSignUpUrl({ redirect: redirect() });
    const signIn = api.auth.getSignInUrl({ redirect: redirect() });
    assert.equal(signUp, `${env.baseUrl}/signup?pk=${env.publishableKey}&redirect=${encodeURIComponent(redirect())}`);
    assert.equal(new URL(signIn).pathname, "/signin");
    assert.equal(await status(signUp), 200);
    assert.equal(await status(signIn), 200);
  });

  test("getCustomerPortalUrl opens /account and getRefreshUrl opens /refresh (sign-in first without a session)", async () => {
    const api = browser();
    const account = api.auth.getCustomerPortalUrl({ returnUrl: redirect() });
    const refresh = api.auth.getRefreshUrl({ redirect: redirect() });
    assert.equal(new URL(account).pathname, "/account");
    assert.equal(new URL(refresh).pathname, "/refresh");
    for (const url of [account, refresh]) {
      const page = await fetch(url, { redirect: "manual" });
      assert.equal(page.status, 200, url);
      assert.match(await page.text(), /type="password"/, "without a hosted session the page asks to sign in");
    }
  });

  test("init, isSignedIn, getUser, refreshToken and signOut with a dream-api token in the page", async () => {
    const customer = await createEndUser();
    const token = await tokenFor(customer.id);
    // A page the browser landed on with the token, as the original's sign-up worker sent it.
    const items = new Map();
    globalThis.localStorage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v), removeItem: (k) => items.delete(k) };
    let cleaned;
    globalThis.window = {
      location: { search: `?__clerk_jwt=${token}`, pathname: "/dashboard", href: `${env.appOrigin}/dashboard?__clerk_jwt=${token}`, origin: env.appOrigin },
      history: { replaceState: (_s, _t, url) => (cleaned = url) },
    };
    globalThis.document = { cookie: "" };
    try {
      const api = browser();
      assert.equal(api.auth.constructor.hasAuthParams(), true, "the page came back from the sign-up");
      await api.auth.init();
      assert.equal(cleaned, "/dashboard");
      assert.equal(api.auth.isSignedIn(), true);
      // The original decodes the token: `sub`, `email`, `plan` and `publishableKey` claims.
      assert.deepEqual(api.auth.getUser(), { id: customer.id, email: customer.email, plan: "free", publishableKey: env.publishableKey });
      // The token it keeps is the one the API accepts for this end user.
      assert.equal((await api.usage.track()).usage.userId, customer.id);
      await api.auth.refreshToken();
      await api.auth.signOut();
      assert.equal(api.auth.isSignedIn(), false);
      assert.equal(items.size, 0);
      // A reload without the token in the URL starts signed out.
      const reloaded = browser();
      globalThis.window.location.search = "";
      await reloaded.auth.init();
      assert.equal(reloaded.auth.isSignedIn(), false);
    } finally {
      delete globalThis.window;
      delete globalThis.localStorage;
      delete globalThis.document;
    }
    assert.equal((await rawRequest("GET", "/api/usage", { key: env.secretKey, headers: { "X-User-Id": customer.id } })).json.usageCount, 1);
  });
});
