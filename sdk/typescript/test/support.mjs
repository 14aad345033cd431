// Shared by the live test files: the server and keys from the environment, probes that tell
// which parts of the API the server has (so a test waiting for an endpoint skips, with the
// reason, only while the server answers 404 for that route), and a hosted sign-in driver.
//
// Environment (set by tests/sdk in the repository, or by hand against ./dev run):
//   DREAMAPI_BASE_URL, DREAMAPI_SECRET_KEY, DREAMAPI_PUBLISHABLE_KEY, DREAMAPI_PROJECT_ID,
//   DREAMAPI_PAID_TIER (a tier with a Stripe price), DREAMAPI_SMALL_TIER (a free tier with a
//   limit of 2), DREAMAPI_APP_ORIGIN (an allowed redirect/CORS origin),
//   DREAMAPI_USER_EMAIL / DREAMAPI_USER_PASSWORD (a confirmed end user, for hosted sign-in),
//   DREAMAPI_OTHER_SECRET_KEY (another project's key, for outsider tests).
import { randomUUID } from "node:crypto";

export const env = {
  baseUrl: process.env.DREAMAPI_BASE_URL ?? "",
  secretKey: process.env.DREAMAPI_SECRET_KEY ?? "",
  publishableKey: process.env.DREAMAPI_PUBLISHABLE_KEY ?? "",
  projectId: process.env.DREAMAPI_PROJECT_ID ?? "",
  paidTier: process.env.DREAMAPI_PAID_TIER ?? "pro",
  smallTier: process.env.DREAMAPI_SMALL_TIER ?? "",
  appOrigin: process.env.DREAMAPI_APP_ORIGIN ?? "",
  userEmail: process.env.DREAMAPI_USER_EMAIL ?? "",
  userPassword: process.env.DREAMAPI_USER_PASSWORD ?? "",
  otherSecretKey: process.env.DREAMAPI_OTHER_SECRET_KEY ?? "",
};

/** Why the live tests cannot run at all, or false. */
export const noServer = env.baseUrl && env.secretKey && env.publishableKey ? false : "DREAMAPI_BASE_URL and keys are not set";

export const unique = (prefix = "sdk") => `${prefix}-${randomUUID().slice(0, 8)}@example.com`;

async function raw(method, path, { key, headers = {}, body } = {}) {
  const response = await fetch(env.baseUrl + path, {
    method,
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
    redirect: "manual",
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, json, text, headers: response.headers };
}

export { raw as rawRequest };

/**
 * False when the server has the route, else the skip reason. A route is missing when the
 * server answers 404 "No endpoint at …" (an unknown object is a 404 with another code).
 */
export async function routeMissing(method, path, options = {}) {
  if (noServer) return noServer;
  const answer = await raw(method, path, { key: env.secretKey, ...options });
  const missing = answer.status === 404 && (answer.json?.message ?? answer.text).startsWith?.("No endpoint");
  return missing ? `the server has no ${method} ${path.split("?")[0]} yet (404)` : false;
}

/** A hosted page is missing when it answers 404 (pages are HTML, no JSON body). */
export async function pageMissing(path) {
  if (noServer) return noServer;
  const url = `${path}?${new URLSearchParams({ pk: env.publishableKey, redirect: `${env.appOrigin}/back` })}`;
  const answer = await raw("GET", url);
  return answer.status === 404 ? `the server has no ${path} page yet (404)` : false;
}

/** A token for an end user, minted with the secret key (`POST /api/auth/refresh {customerId}`). */
export async function tokenFor(customerId) {
  const answer = await raw("POST", "/api/auth/refresh", { key: env.secretKey, body: { customerId } });
  if (answer.status !== 200) throw new Error(`refresh: ${answer.status} ${answer.text}`);
  return answer.json.token;
}

export async function createEndUser(extra = {}) {
  const answer = await raw("POST", "/api/customers", { key: env.secretKey, body: { email: unique(), ...extra } });
  if (answer.status !== 201) throw new Error(`create: ${answer.status} ${answer.text}`);
  return answer.json.customer;
}

/**
 * Browser mode (publishable key + end-user token on /api/usage…): false when the server has it.
 * Before it, the server refuses a publishable key there with 403 `secret_key_required`.
 */
export async function browserModeMissing() {
  if (noServer) return noServer;
  const customer = await createEndUser();
  const token = await tokenFor(customer.id);
  const answer = await raw("GET", "/api/usage", { key: env.publishableKey, headers: { "X-User-Token": token } });
  return answer.status === 403 && answer.json?.code === "secret_key_required"
    ? "the server does not accept a publishable key + end-user token on /api/usage yet (403 secret_key_required)"
    : false;
}

/** PKCE exchange with the publishable key: before it, 403 `secret_key_required`. */
export async function pkceMissing() {
  if (noServer) return noServer;
  const answer = await raw("POST", "/api/auth/exchange", {
    key: env.publishableKey,
    body: { code: "probe", redirectUri: `${env.appOrigin}/back`, codeVerifier: "v".repeat(43) },
  });
  return answer.status === 403 && answer.json?.code === "secret_key_required"
    ? "the server does not exchange codes with a publishable key + PKCE verifier yet (403 secret_key_required)"
    : false;
}

/**
 * The original client's response shapes (customer publishableKey/epoch createdAt, usage userId…):
 * the serializer that renders a response also documents it, so the live schema says whether
 * the server has them.
 */
export async function originalShapesMissing() {
  if (noServer) return noServer;
  const schema = (await raw("GET", "/api/schema/?format=json")).json;
  const customer = schema?.components?.schemas?.Customer?.properties ?? {};
  return "publishableKey" in customer ? false : "the server's Customer has no publishableKey yet (original response shapes)";
}

function cookiesFrom(headers, jar) {
  for (const line of headers.getSetCookie?.() ?? []) {
    const [pair] = line.split(";");
    const [name, value] = pair.split("=");
    jar.set(name.trim(), value);
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
}

/**
 * Plays the end user on a hosted page (/signin): opens the URL the SDK built, submits e-mail and
 * password, and returns the URL the page sends the browser back to (with `?code=`).
 */
export async function signInOnHostedPage(url, email = env.userEmail, password = env.userPassword) {
  const jar = new Map();
  const page = await fetch(url, { redirect: "manual" });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`GET ${url}: ${page.status} ${html.slice(0, 300)}`);
  const cookie = cookiesFrom(page.headers, jar);
  const csrf = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html)?.[1];
  const form = new URLSearchParams({ csrfmiddlewaretoken: csrf ?? "", email, password });
  const posted = await fetch(url, {
    method: "POST", redirect: "manual", body: form,
    headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded", Referer: url },
  });
  const location = posted.headers.get("Location");
  if (posted.status !== 303 || !location) {
    throw new Error(`sign-in did not redirect: ${posted.status} ${(await posted.text()).slice(0, 500)}`);
  }
  return location;
}

export async function loadSdk() {
  return import("../dist/index.js");
}

/** The original client sends the publishable key as X-Publishable-Key: before it, 401. */
export async function publishableKeyHeaderMissing() {
  if (noServer) return noServer;
  const answer = await raw("GET", "/api/tiers", { headers: { "X-Publishable-Key": env.publishableKey } });
  return answer.status === 401 ? "the server does not read the X-Publishable-Key header yet (401)" : false;
}

/** The original client sends the end user's token as X-Clerk-Token: before it, 400 end_user_required. */
export async function clerkTokenHeaderMissing() {
  if (noServer) return noServer;
  const customer = await createEndUser();
  const token = await tokenFor(customer.id);
  const answer = await raw("GET", "/api/usage", { key: env.secretKey, headers: { "X-Clerk-Token": token } });
  return answer.status === 400 && answer.json?.code === "end_user_required"
    ? "the server does not read the X-Clerk-Token header yet (400 end_user_required)"
    : false;
}

let schemaCache;
/** False when the live schema's component has the field, else the reason. */
export async function schemaLacks(component, field) {
  if (noServer) return noServer;
  schemaCache ??= (await raw("GET", "/api/schema/?format=json")).json;
  const properties = schemaCache?.components?.schemas?.[component]?.properties ?? {};
  return field in properties ? false : `the server's ${component} has no ${field} yet (original response shapes)`;
}

/** Press Pay on the (stand-in's) hosted Checkout page, as a browser would. */
export async function payOnCheckoutPage(url) {
  const page = await (await fetch(url)).text();
  const action = page.match(/<form method="post" action="([^"]+\/pay)"/)?.[1];
  if (!action) throw new Error(`no pay form on ${url}`);
  const paid = await fetch(new URL(action.replaceAll("&amp;", "&"), url), {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "email=payer%40example.com", redirect: "manual",
  });
  if (paid.status !== 303) throw new Error(`paying ${url}: ${paid.status}`);
}

/** Poll ``condition`` (async) until it holds, for up to ``timeoutMs``. */
export async function waitFor(condition, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("condition not reached in time");
}
