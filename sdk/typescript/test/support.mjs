// Shared by the live test files: the server and keys from the environment, raw requests, the
// hosted sign-in and the stand-in's checkout page played as a person would, and a PNG.
//
// Environment (set by tests/sdk in the repository, or by hand against ./dev run):
//   DREAMAPI_BASE_URL, DREAMAPI_SECRET_KEY, DREAMAPI_PUBLISHABLE_KEY, DREAMAPI_PROJECT_ID,
//   DREAMAPI_PAID_TIER (a tier with a Stripe price), DREAMAPI_SMALL_TIER (a free tier with a
//   limit of 2), DREAMAPI_APP_ORIGIN (an allowed redirect/CORS origin),
//   DREAMAPI_USER_EMAIL / DREAMAPI_USER_PASSWORD (a confirmed end user, for hosted sign-in),
//   DREAMAPI_OTHER_SECRET_KEY (another project's key, for outsider tests).
import { randomUUID } from "node:crypto";
import { deflateSync } from "node:zlib";

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
 * password, and returns the URL the page sends the browser back to (with `?code=`). `jar` keeps
 * the hosted session's cookies for the next hosted page (/refresh, /account).
 */
export async function signInOnHostedPage(url, email = env.userEmail, password = env.userPassword, jar = new Map()) {
  const page = await fetch(url, { redirect: "manual", headers: { Cookie: cookiesFrom(new Headers(), jar) } });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`GET ${url}: ${page.status} ${html.slice(0, 300)}`);
  const cookie = cookiesFrom(page.headers, jar);
  const csrf = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html)?.[1];
  const form = new URLSearchParams({ csrfmiddlewaretoken: csrf ?? "", email, password });
  const posted = await fetch(url, {
    method: "POST", redirect: "manual", body: form,
    headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded", Referer: url },
  });
  cookiesFrom(posted.headers, jar);
  const location = posted.headers.get("Location");
  if (posted.status !== 303 || !location) {
    throw new Error(`sign-in did not redirect: ${posted.status} ${(await posted.text()).slice(0, 500)}`);
  }
  return location;
}

export async function loadSdk() {
  return import("../dist/index.js");
}

/** Opens a hosted page with the cookies of an earlier sign-in; returns where it redirects to. */
export async function openHostedPage(url, jar) {
  const answer = await fetch(url, { redirect: "manual", headers: { Cookie: cookiesFrom(new Headers(), jar) } });
  cookiesFrom(answer.headers, jar);
  const location = answer.headers.get("Location");
  if (![302, 303].includes(answer.status) || !location) {
    throw new Error(`${url} did not redirect: ${answer.status} ${(await answer.text()).slice(0, 300)}`);
  }
  return new URL(location, url).toString();
}

/** Presses "Pay" on the Stripe stand-in's Checkout page; returns where it sends the buyer. */
export async function payOnCheckoutPage(checkoutUrl, email = "buyer@example.com") {
  const page = await fetch(checkoutUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`GET ${checkoutUrl}: ${page.status} ${html.slice(0, 300)}`);
  const action = /<form method="post" action="([^"]+\/pay)"/.exec(html)?.[1];
  if (!action) throw new Error(`no Pay form on ${checkoutUrl}`);
  const paid = await fetch(new URL(action.replaceAll("&amp;", "&"), checkoutUrl), {
    method: "POST", redirect: "manual", body: new URLSearchParams({ email }),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (paid.status !== 303) throw new Error(`paying did not redirect: ${paid.status} ${(await paid.text()).slice(0, 300)}`);
  return paid.headers.get("Location");
}

/** Polls `check` until it returns a truthy value (webhooks arrive asynchronously). */
export async function eventually(check, { timeoutMs = 15_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`still false after ${timeoutMs} ms: ${check}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A valid width × height RGB PNG of one colour (the server decodes what it stores). */
export function pngBytes(width = 4, height = 4, rgb = [59, 91, 219]) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, no filter, no interlace
  const row = Buffer.from([0, ...Array.from({ length: width }, () => rgb).flat()]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk("IHDR", header), pngChunk("IDAT", pixels), pngChunk("IEND", Buffer.alloc(0))]);
}
