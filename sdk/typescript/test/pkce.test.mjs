// Sign-in without a backend: the hosted page with PKCE, the code exchanged with the publishable
// key and the verifier, the token used, refreshed, renewed with the plan through /refresh, and
// revoked by signOut.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, loadSdk, noServer, openHostedPage, rawRequest, signInOnHostedPage } from "./support.mjs";

const { DreamAPI, AuthHelpers } = await loadSdk();

function memoryStorage() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)), removeItem: (k) => items.delete(k), items };
}

describe("PKCE sign-in in browser mode", { skip: noServer }, () => {
  test("signIn → hosted page → handleCallback → track → refresh → refreshPlan (/refresh) → signOut", async () => {
    const storage = memoryStorage();
    const api = new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl, storage });
    const changes = [];
    const stop = api.auth.onChange((session) => changes.push(session ? session.customer?.email ?? "token" : null));
    let hosted;
    const returned = await api.auth.signIn({ redirect: `${env.appOrigin}/callback?from=sdk`, navigate: (url) => (hosted = url) });
    assert.equal(returned, hosted);
    const query = new URL(hosted).searchParams;
    assert.equal(new URL(hosted).pathname, "/signin");
    assert.equal(query.get("code_challenge_method"), "S256");
    assert.equal(query.get("code_challenge").length, 43);
    assert.equal(api.auth.isSignedIn(), false);

    const jar = new Map();
    const landed = await signInOnHostedPage(hosted, env.userEmail, env.userPassword, jar);
    assert.ok(landed.startsWith(`${env.appOrigin}/callback?from=sdk&code=`), landed);
    assert.equal(AuthHelpers.hasAuthParams(landed), true);

    const signedIn = await api.auth.handleCallback({ url: landed });
    assert.equal(signedIn.customer.email, env.userEmail);
    assert.ok(signedIn.expiresIn > 0);
    assert.equal(api.auth.isSignedIn(), true);
    assert.deepEqual(api.auth.getUser(), { id: signedIn.customer.id, email: env.userEmail, plan: "free", publishableKey: env.publishableKey });
    assert.equal(api.auth.getSession().token, signedIn.token);
    assert.deepEqual(changes, [env.userEmail]);
    // The code was used: the same URL again is refused.
    await assert.rejects(api.auth.handleCallback({ url: landed }), (error) => error.status === 400);

    const tracked = await api.usage.track();
    assert.ok(tracked.usage.usageCount >= 1);

    const before = await api.auth.getToken();
    await api.auth.refreshToken();
    const after = await api.auth.getToken();
    assert.notEqual(after, before);
    assert.ok((await api.usage.check()).usageCount >= 1);

    // A plan change (here by the developer) reaches the token through /refresh, with PKCE again.
    await rawRequest("PATCH", `/api/customers/${signedIn.customer.id}`, { key: env.secretKey, body: { plan: env.paidTier } });
    let refreshUrl;
    await api.auth.refreshPlan({ redirect: `${env.appOrigin}/callback`, navigate: (url) => (refreshUrl = url) });
    assert.equal(new URL(refreshUrl).pathname, "/refresh");
    const back = await openHostedPage(refreshUrl, jar);
    assert.ok(back.startsWith(`${env.appOrigin}/callback?code=`), back);
    await api.auth.init({ url: back }); // init finishes a sign-in this tab started
    assert.equal(api.auth.getUser().plan, env.paidTier);
    assert.equal((await api.usage.check()).plan, env.paidTier);

    // A restored client (e.g. a reload) keeps the session from storage.
    const reloaded = new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl, storage });
    assert.equal(reloaded.auth.isSignedIn(), true);
    const latest = await api.auth.getToken();

    await api.auth.signOut();
    assert.equal(api.auth.isSignedIn(), false);
    assert.equal(api.auth.getUser(), null);
    assert.equal(changes.at(-1), null);
    stop();
    for (const token of [after, latest]) {
      const refused = await rawRequest("GET", "/api/usage", { key: env.secretKey, headers: { "X-User-Token": token } });
      assert.equal(refused.status, 401, "a token still works after signOut");
    }
  });

  test("init without a code, or with a code this tab did not ask for, changes nothing", async () => {
    const api = new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl, storage: memoryStorage() });
    await api.auth.init({ url: `${env.appOrigin}/callback` });
    await api.auth.init({ url: `${env.appOrigin}/callback?code=somebody-elses` });
    assert.equal(api.auth.isSignedIn(), false);
    await assert.rejects(api.auth.handleCallback({ url: `${env.appOrigin}/callback?code=x` }),
      (error) => error.code === "pkce_verifier_missing");
  });

  test("a code is exchanged once, and only with its verifier", async () => {
    const api = new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl, storage: memoryStorage() });
    let hosted;
    await api.auth.signIn({ redirect: `${env.appOrigin}/callback`, navigate: (url) => (hosted = url) });
    const landed = await signInOnHostedPage(hosted);
    const code = new URL(landed).searchParams.get("code");
    await assert.rejects(api.auth.exchangeCode({ code, redirectUri: `${env.appOrigin}/callback`, codeVerifier: "w".repeat(43) }),
      (error) => error.status === 400);
    await assert.rejects(api.auth.exchangeCode({ code, redirectUri: `${env.appOrigin}/callback` }),
      (error) => error.status === 400 || error.status === 403);
  });

  test("signUp sends the browser to the hosted sign-up page with a challenge", async () => {
    const api = new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl, storage: memoryStorage() });
    let hosted;
    await api.auth.signUp({ redirect: `${env.appOrigin}/welcome`, navigate: (url) => (hosted = url) });
    const url = new URL(hosted);
    assert.equal(url.pathname, "/signup");
    assert.equal(url.searchParams.get("redirect"), `${env.appOrigin}/welcome`);
    assert.equal(url.searchParams.get("code_challenge").length, 43);
    const page = await fetch(hosted);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Create your account/);
  });
});
