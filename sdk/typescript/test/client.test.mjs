// The client's own behaviour against a scripted local HTTP server (no dream-api needed):
// retries and Retry-After, timeouts, the error class, idempotency keys, headers per mode,
// token refresh before expiry, PKCE, the URL helpers, and the bundles' shapes.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { loadSdk } from "./support.mjs";

const sdk = await loadSdk();
const { DreamAPI, DreamAPIException, codeChallengeS256, createCodeVerifier, parseRetryAfter } = sdk;

/** A server that answers from a queue of scripted responses and records every request. */
function scriptedServer() {
  const state = { queue: [], requests: [] };
  const server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    state.requests.push({ method: request.method, url: request.url, headers: request.headers, body, at: Date.now() });
    const next = state.queue.shift() ?? { status: 500, body: { error: "Unscripted", message: "no scripted answer", code: "unscripted" } };
    if (next.delayMs) await new Promise((resolve) => setTimeout(resolve, next.delayMs));
    if (next.destroy) return request.socket.destroy();
    response.writeHead(next.status, { "Content-Type": "application/json", ...(next.headers ?? {}) });
    response.end(typeof next.body === "string" ? next.body : JSON.stringify(next.body ?? {}));
  });
  return {
    state,
    async start() {
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${server.address().port}`;
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
    script(...answers) {
      state.queue.push(...answers);
    },
    reset() {
      state.queue.length = 0;
      state.requests.length = 0;
    },
  };
}

const fake = scriptedServer();
let baseUrl;
before(async () => {
  baseUrl = await fake.start();
});
after(() => fake.stop());

const usage = { userId: "usr_1", plan: "free", usageCount: 1, limit: 10, remaining: 9, periodStart: "a", periodEnd: "b" };
const tokenWith = (claims) =>
  ["e30", Buffer.from(JSON.stringify(claims)).toString("base64url"), "sig"].join(".");

describe("retries", () => {
  test("a 429 is retried after its Retry-After", async () => {
    fake.reset();
    fake.script({ status: 429, headers: { "Retry-After": "1" }, body: { error: "Too many", message: "slow down", code: "rate_limited" } },
      { status: 200, body: { success: true, usage } });
    const api = new DreamAPI({ secretKey: "sk_test_x", baseUrl });
    const result = await api.usage.track({ userId: "usr_1" });
    assert.equal(result.usage.usageCount, 1);
    assert.equal(fake.state.requests.length, 2);
    const waited = fake.state.requests[1].at - fake.state.requests[0].at;
    assert.ok(waited >= 950, `waited ${waited} ms`);
  });

  test("a 503 is retried with backoff, then the error is thrown with its body", async () => {
    fake.reset();
    const down = { status: 503, body: { error: "Unavailable", message: "database down", code: "service_unavailable" } };
    fake.script(down, down, down);
    const api = new DreamAPI({ secretKey: "sk_test_x", baseUrl, maxRetries: 2 });
    await assert.rejects(api.customers.get("usr_1"), (error) => {
      assert.ok(error instanceof DreamAPIException);
      assert.equal(error.status, 503);
      assert.equal(error.code, "service_unavailable");
      assert.equal(error.body.message, "database down");
      return true;
    });
    assert.equal(fake.state.requests.length, 3);
  });

  test("a Retry-After longer than maxRetryDelayMs fails at once, with retryAfter", async () => {
    fake.reset();
    fake.script({ status: 429, headers: { "Retry-After": "120" }, body: { error: "Too many", message: "m", code: "rate_limited" } });
    const api = new DreamAPI({ secretKey: "sk_test_x", baseUrl, maxRetryDelayMs: 5000 });
    await assert.rejects(api.usage.check({ userId: "usr_1" }), (error) => error.status === 429 && error.retryAfter === 120);
    assert.equal(fake.state.requests.length, 1);
  });

  test("other errors are not retried", async () => {
    fake.reset();
    fake.script({ status: 403, body: { error: "Tier limit reached", message: "Please upgrade", code: "tier_limit_reached" } });
    const api = new DreamAPI({ secretKey: "sk_test_x", baseUrl });
    await assert.rejects(api.usage.track({ userId: "usr_1" }), (error) => {
      assert.equal(error.status, 403);
      assert.equal(error.code, "tier_limit_reached");
      assert.equal(error.error, "Tier limit reached");
      assert.equal(error.message, "Please upgrade");
      return true;
    });
    assert.equal(fake.state.requests.length, 1);
  });

  test("a dropped connection is retried for a write only when it has an idempotency key", async () => {
    fake.reset();
    fake.script({ destroy: true });
    const api = new DreamAPI({ secretKey: "sk_test_x", baseUrl });
    await assert.rejects(api.billing.createCheckout({ tier: "pro" }, { userId: "usr_1" }),
      (error) => error.status === 0 && error.code === "network_error");
    assert.equal(fake.state.requests.length, 1);

    fake.reset();
    fake.script({ destroy: true }, { status: 200, body: { url: "https://checkout", sessionId: "cs_1" } });
    const result = await api.billing.createCheckout({ tier: "pro" }, { userId: "usr_1", idempotencyKey: "order-7" });
    assert.equal(result.sessionId, "cs_1");
    assert.equal(fake.state.requests.length, 2);
    assert.ok(fake.state.requests.every((r) => r.headers["idempotency-key"] === "order-7"));
  });

  test("Retry-After as an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now), 5);
    assert.equal(parseRetryAfter("3", now), 3);
    assert.equal(parseRetryAfter("soon", now), undefined);
  });
});

describe("timeouts and cancellation", () => {
  test("a request without an answer in timeoutMs fails with code timeout", async () => {
    fake.reset();
    fake.script({ status: 200, delayMs: 1500, body: { tiers: [] } });
    const api = new DreamAPI({ publishableKey: "pk_test_x", baseUrl, timeoutMs: 200, maxRetries: 0 });
    await assert.rejects(api.products.listTiers(), (error) => error.status === 0 && error.code === "timeout");
  });

  test("an aborted signal stops the call with code aborted", async () => {
    fake.reset();
    fake.script({ status: 200, delayMs: 1500, body: { tiers: [] } });
    const api = new DreamAPI({ publishableKey: "pk_test_x", baseUrl });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(api.products.listTiers({ signal: controller.signal }), (error) => error.code === "aborted");
  });
});

describe("headers per mode", () => {
  test("secret-key mode names the end user with X-User-Id", async () => {
    fake.reset();
    fake.script({ status: 200, body: { success: true, usage } });
    const api = new DreamAPI({ secretKey: "sk_test_abc", baseUrl });
    await api.usage.track({ userId: "usr_42" });
    const { headers, method, url } = fake.state.requests[0];
    assert.equal(method, "POST");
    assert.equal(url, "/api/data");
    assert.equal(headers.authorization, "Bearer sk_test_abc");
    assert.equal(headers["x-user-id"], "usr_42");
    assert.equal(headers["x-user-token"], undefined);
  });

  test("browser mode sends the publishable key and the end user's token, never an id", async () => {
    fake.reset();
    fake.script({ status: 200, body: usage });
    const api = new DreamAPI({ publishableKey: "pk_test_abc", baseUrl });
    api.setUserToken(tokenWith({ sub: "usr_1", exp: Math.floor(Date.now() / 1000) + 3600 }));
    const checked = await api.usage.check();
    assert.equal(checked.remaining, 9);
    const { headers } = fake.state.requests[0];
    assert.equal(headers.authorization, "Bearer pk_test_abc");
    assert.ok(headers["x-user-token"].startsWith("e30."));
    await assert.rejects(api.usage.track({ userId: "usr_1" }), (error) => error.code === "secret_key_required");
  });

  test("a call for an end user without one is refused before any request", async () => {
    fake.reset();
    const api = new DreamAPI({ publishableKey: "pk_test_abc", baseUrl });
    await assert.rejects(api.usage.track(), (error) => error.status === 401 && error.code === "auth_required");
    assert.equal(fake.state.requests.length, 0);
  });

  test("feature and amount are sent as the body of /api/data", async () => {
    fake.reset();
    fake.script({ status: 200, body: { success: true, usage } });
    const api = new DreamAPI({ secretKey: "sk_test_abc", baseUrl });
    await api.usage.track({ userId: "usr_1", feature: "exports", amount: 3, idempotencyKey: "k1" });
    assert.deepEqual(JSON.parse(fake.state.requests[0].body), { feature: "exports", amount: 3 });
    assert.equal(fake.state.requests[0].headers["idempotency-key"], "k1");
  });

  test("changePlan posts the tier for the named end user and returns what changed", async () => {
    fake.reset();
    const answer = { success: true, changed: "at_period_end", plan: "pro", previousPlan: "pro", pendingPlan: "basic",
      effectiveAt: "2026-12-01T00:00:00Z", amountCharged: 0, currency: "usd", invoiceId: null, subscription: null };
    fake.script({ status: 200, body: answer });
    const api = new DreamAPI({ secretKey: "sk_test_abc", baseUrl });
    const result = await api.billing.changePlan({ tier: "basic" }, { userId: "usr_42", idempotencyKey: "c1" });
    assert.deepEqual(result, answer);
    const { method, url, headers, body } = fake.state.requests[0];
    assert.equal(`${method} ${url}`, "POST /api/change-plan");
    assert.deepEqual(JSON.parse(body), { tier: "basic" });
    assert.equal(headers["x-user-id"], "usr_42");
    assert.equal(headers["idempotency-key"], "c1");
    await assert.rejects(new DreamAPI({ publishableKey: "pk_test_abc", baseUrl }).billing.changePlan({ tier: "pro" }),
      (error) => error.code === "auth_required");
    assert.equal(fake.state.requests.length, 1);
  });

  test("a GET sends no Content-Type (no CORS preflight for simple reads)", async () => {
    fake.reset();
    fake.script({ status: 200, body: { tiers: [] } });
    await new DreamAPI({ publishableKey: "pk_test_abc", baseUrl }).products.listTiers();
    assert.equal(fake.state.requests[0].headers["content-type"], undefined);
  });

  test("an image is sent as multipart with its file name; a 503 sends it again", async () => {
    fake.reset();
    const product = { id: "prd_1", name: "mug", price: 900, imageUrl: `${baseUrl}/api/assets/prj_1/a.png` };
    fake.script({ status: 503, headers: { "Retry-After": "0" }, body: { error: "Unavailable", message: "later", code: "unavailable" } },
      { status: 200, body: { success: true, product } });
    const api = new DreamAPI({ secretKey: "sk_test_x", baseUrl });
    const { product: uploaded } = await api.products.uploadImage("prd_1", new Blob([Buffer.from("PNGDATA")], { type: "image/png" }), { filename: "mug.png" });
    assert.equal(uploaded.imageUrl, product.imageUrl);
    assert.equal(fake.state.requests.length, 2);
    for (const request of fake.state.requests) {
      assert.equal(request.url, "/api/products/prd_1/image");
      assert.match(request.headers["content-type"], /^multipart\/form-data; boundary=/);
      assert.match(request.body, /name="image"; filename="mug.png"\r\nContent-Type: image\/png\r\n\r\nPNGDATA/);
    }
  });

  test("deleteTier sends moveUsersTo as a query parameter; a left-out limit is not sent", async () => {
    fake.reset();
    const tier = { id: "max", name: "max", displayName: "Max", price: 0, limit: null };
    fake.script({ status: 200, body: { success: true, deleted: true, id: "old" } }, { status: 200, body: { success: true, tier } });
    const api = new DreamAPI({ secretKey: "sk_test_x", baseUrl });
    await api.products.deleteTier("old", { moveUsersTo: "free" });
    await api.products.updateTier("max", { displayName: "Max" });
    assert.equal(fake.state.requests[0].url, "/api/tiers/old?moveUsersTo=free");
    assert.equal(fake.state.requests[0].method, "DELETE");
    assert.deepEqual(JSON.parse(fake.state.requests[1].body), { displayName: "Max" });
  });
});

describe("the end user's session", () => {
  test("a token about to expire is refreshed once before the call, for concurrent calls too", async () => {
    fake.reset();
    const soon = tokenWith({ sub: "usr_1", exp: Math.floor(Date.now() / 1000) + 10 });
    const fresh = tokenWith({ sub: "usr_1", exp: Math.floor(Date.now() / 1000) + 3600 });
    fake.script({ status: 200, body: { success: true, customer: { id: "usr_1" }, token: fresh, expiresIn: 3600 } },
      { status: 200, body: usage }, { status: 200, body: usage });
    const api = new DreamAPI({ publishableKey: "pk_test_abc", baseUrl });
    api.setUserToken(soon);
    await Promise.all([api.usage.check(), api.usage.check()]);
    const [refresh, ...calls] = fake.state.requests;
    assert.equal(refresh.url, "/api/auth/refresh");
    assert.deepEqual(JSON.parse(refresh.body), { token: soon });
    assert.equal(calls.length, 2);
    assert.ok(calls.every((call) => call.headers["x-user-token"] === fresh));
  });

  test("storage keeps the session across clients; signOut forgets it and revokes the token", async () => {
    fake.reset();
    const items = new Map();
    const storage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v), removeItem: (k) => items.delete(k) };
    const token = tokenWith({ sub: "usr_9", email: "x@example.com", plan: "pro", pk: "pk_test_abc", exp: Math.floor(Date.now() / 1000) + 3600 });
    new DreamAPI({ publishableKey: "pk_test_abc", baseUrl, storage }).setUserToken(token);
    const again = new DreamAPI({ publishableKey: "pk_test_abc", baseUrl, storage });
    assert.equal(again.auth.isSignedIn(), true);
    assert.deepEqual(again.auth.getUser(), { id: "usr_9", email: "x@example.com", plan: "pro", publishableKey: "pk_test_abc" });
    fake.script({ status: 200, body: { success: true } });
    await again.auth.signOut();
    assert.equal(again.auth.isSignedIn(), false);
    assert.equal(items.size, 0);
    const revoke = fake.state.requests[0];
    assert.equal(revoke.url, "/api/auth/revoke");
    assert.equal(revoke.headers["x-user-token"], token);
  });
});

describe("PKCE and the hosted pages", () => {
  test("the S256 challenge of RFC 7636's example verifier", async () => {
    assert.equal(await codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    const verifier = createCodeVerifier();
    assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(verifier, createCodeVerifier());
  });

  test("signIn builds the hosted URL with a challenge; handleCallback exchanges with the verifier", async () => {
    fake.reset();
    let visited;
    const api = new DreamAPI({ publishableKey: "pk_test_abc", baseUrl });
    await api.auth.signIn({ redirect: "https://app.example.test/cb?next=%2Fhome", navigate: (url) => (visited = url) });
    const url = new URL(visited);
    assert.equal(url.origin + url.pathname, `${baseUrl}/signin`);
    assert.equal(url.searchParams.get("pk"), "pk_test_abc");
    assert.equal(url.searchParams.get("redirect"), "https://app.example.test/cb?next=%2Fhome");
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    const challenge = url.searchParams.get("code_challenge");

    const token = tokenWith({ sub: "usr_5", exp: Math.floor(Date.now() / 1000) + 3600 });
    fake.script({ status: 200, body: { success: true, customer: { id: "usr_5", email: "e@example.com", plan: "free" }, token, expiresIn: 3600 } });
    const signedIn = await api.auth.handleCallback({ url: "https://app.example.test/cb?next=%2Fhome&code=abc" });
    assert.equal(signedIn.customer.id, "usr_5");
    const body = JSON.parse(fake.state.requests[0].body);
    assert.equal(body.code, "abc");
    assert.equal(body.redirectUri, "https://app.example.test/cb?next=%2Fhome");
    assert.equal(await codeChallengeS256(body.codeVerifier), challenge);
    assert.equal(fake.state.requests[0].headers.authorization, "Bearer pk_test_abc");
    assert.equal(api.auth.isSignedIn(), true);
    assert.equal(await api.auth.getToken(), token);

    // The verifier is used once: a replayed callback has none and is refused before any request.
    await assert.rejects(api.auth.handleCallback({ url: "https://app.example.test/cb?code=abc" }),
      (error) => error.code === "pkce_verifier_missing");
    assert.equal(fake.state.requests.length, 1);
  });

  test("the original client's URL helpers", () => {
    const api = new DreamAPI({ publishableKey: "pk_test_abc", baseUrl: "https://api.example.com/" });
    const redirect = "https://app.example.test/dashboard";
    const q = `pk=pk_test_abc&redirect=${encodeURIComponent(redirect)}`;
    assert.equal(api.auth.getSignUpUrl({ redirect }), `https://api.example.com/signup?${q}`);
    assert.equal(api.auth.getSignInUrl({ redirect }), `https://api.example.com/signin?${q}`);
    assert.equal(api.auth.getCustomerPortalUrl({ returnUrl: redirect }), `https://api.example.com/account?${q}`);
    assert.equal(api.auth.getRefreshUrl({ redirect }), `https://api.example.com/refresh?${q}`);
    const hosted = new DreamAPI({ publishableKey: "pk_test_abc", baseUrl: "https://api.example.com", signupUrl: "https://id.example.com" });
    assert.ok(hosted.auth.getSignInUrl({ redirect }).startsWith("https://id.example.com/signin?"));
    assert.throws(() => new DreamAPI({ secretKey: "sk_test_x", baseUrl }).auth.getSignUpUrl({ redirect }), /publishableKey required/);
  });

  test("a client needs a key and a server address", () => {
    assert.throws(() => new DreamAPI({ baseUrl }), /Either secretKey or publishableKey is required/);
    assert.throws(() => new DreamAPI({ secretKey: "sk_test_x" }), /baseUrl is required/);
  });
});

describe("responses from servers before the original's shapes", () => {
  test("count, null limits, ISO createdAt and tier names are given in the contract's shape", async () => {
    fake.reset();
    fake.script(
      { status: 200, body: { success: true, usage: { count: 3, limit: null, remaining: null, periodStart: "a", periodEnd: "b" } } },
      { status: 201, body: { success: true, customer: { id: "usr_1", email: "e@example.com", plan: "free", createdAt: "2026-01-02T03:04:05Z" } } },
      { status: 200, body: { tiers: [{ id: "pro", name: "Pro", price: 900, limit: 10, priceId: "price_1" }, { id: "free", name: "Free", price: 0, limit: null, priceId: null }] } },
    );
    const api = new DreamAPI({ secretKey: "sk_test_x", baseUrl });
    const { usage: tracked } = await api.usage.track({ userId: "usr_1" });
    assert.equal(tracked.usageCount, 3);
    assert.equal(tracked.limit, "unlimited");
    assert.equal(tracked.remaining, "unlimited");
    const { customer } = await api.customers.create({ email: "e@example.com" });
    assert.equal(customer.createdAt, Date.parse("2026-01-02T03:04:05Z"));
    const { tiers } = await api.products.listTiers();
    assert.deepEqual(tiers.map((t) => [t.name, t.displayName, t.priceId, t.productId, t.limit]),
      [["pro", "Pro", "price_1", "", 10], ["free", "Free", "", "", "unlimited"]]);
  });
});

describe("the package", () => {
  test("ESM, CommonJS and the global bundle export the same client, with no runtime import", async () => {
    const require = createRequire(import.meta.url);
    const cjs = require("../dist/index.cjs");
    assert.equal(typeof cjs.DreamAPI, "function");
    assert.equal(cjs.default, cjs.DreamAPI);
    assert.deepEqual(Object.keys(cjs).sort(), Object.keys(sdk).sort());
    for (const file of ["index.js", "index.cjs", "dream-api.global.js"]) {
      const code = await readFile(new URL(`../dist/${file}`, import.meta.url), "utf8");
      assert.doesNotMatch(code, /\bimport\s*\(|\bfrom\s*["']|require\(["'](?!node:crypto'\)\.webcrypto)/, `${file} imports something`);
    }
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
    assert.equal(pkg.dependencies, undefined);
    assert.equal(sdk.VERSION, pkg.version);
  });
});

describe("cancelling during a retry wait", () => {
  test("an abort while waiting on Retry-After ends with the SDK's error, code aborted", async () => {
    fake.reset();
    fake.script({ status: 503, headers: { "Retry-After": "5" }, body: { error: "Unavailable", message: "m", code: "service_unavailable" } });
    const api = new DreamAPI({ publishableKey: "pk_test_x", baseUrl });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await assert.rejects(api.products.listTiers({ signal: controller.signal }),
      (error) => error instanceof DreamAPIException && error.code === "aborted" && error.status === 0);
    assert.ok(Date.now() - started < 2000);
  });
});
