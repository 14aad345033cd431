// Sign-in without a backend: the hosted page with PKCE, the code exchanged with the publishable
// key and the verifier, the token used, refreshed and revoked by signOut.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { env, loadSdk, noServer, pkceMissing, rawRequest, signInOnHostedPage } from "./support.mjs";

const { DreamAPI } = await loadSdk();
const waiting = noServer || (await pkceMissing());

function memoryStorage() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)), removeItem: (k) => items.delete(k), items };
}

describe("PKCE sign-in in browser mode", { skip: waiting }, () => {
  test("signIn → hosted page → handleCallback → track → refresh → signOut", async () => {
    const storage = memoryStorage();
    const api = new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl, storage });
    let hosted;
    await api.auth.signIn({ redirect: `${env.appOrigin}/callback?from=sdk`, navigate: (url) => (hosted = url) });
    assert.ok(new URL(hosted).searchParams.get("code_challenge"));
    const landed = await signInOnHostedPage(hosted);
    assert.ok(landed.startsWith(`${env.appOrigin}/callback?from=sdk&code=`), landed);

    const signedIn = await api.auth.handleCallback({ url: landed });
    assert.equal(signedIn.customer.email, env.userEmail);
    assert.equal(api.auth.isSignedIn(), true);
    assert.equal(api.auth.getUser().email, env.userEmail);

    const tracked = await api.usage.track();
    assert.ok(tracked.usage.usageCount >= 1);

    const before = await api.auth.getToken();
    await api.auth.refreshToken();
    const after = await api.auth.getToken();
    assert.notEqual(after, before);
    assert.ok((await api.usage.check()).usageCount >= 1);

    // A restored client (e.g. a reload) keeps the session from storage.
    const reloaded = new DreamAPI({ publishableKey: env.publishableKey, baseUrl: env.baseUrl, storage });
    assert.equal(reloaded.auth.isSignedIn(), true);

    await api.auth.signOut();
    assert.equal(api.auth.isSignedIn(), false);
    const refused = await rawRequest("GET", "/api/usage", { key: env.secretKey, headers: { "X-User-Token": after } });
    assert.equal(refused.status, 401, "the token still works after signOut");
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
});
