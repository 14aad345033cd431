// The built SDK in Deno and in an edge runtime (Vercel's edge-runtime: only the Web APIs an
// edge function has, no Node), against the live server: the same journey as check.js in each.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { env, noServer } from "./support.mjs";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const require = createRequire(import.meta.url);
const EXPECTED = {
  customer: ["usr_", true], tracked: 1, usageCount: 1, tiers: true, badKey: [true, 401], challenge: 43,
  webhook: "evt_runtime", deleted: true,
};

describe("other runtimes", { skip: noServer }, () => {
  test("Deno runs the ESM build", async () => {
    const deno = here("../node_modules/.bin/deno");
    const { stdout } = await promisify(execFile)(deno, ["run", "--quiet", "--no-prompt", "--allow-net", "--allow-env",
      "--allow-read", here("./runtimes/deno.mjs")], {
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", RT_baseUrl: env.baseUrl, RT_secretKey: env.secretKey,
        RT_publishableKey: env.publishableKey, RT_paidTier: env.paidTier },
      timeout: 60_000,
    });
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").pop()), EXPECTED);
  });

  test("an edge runtime runs the browser bundle with Web APIs only", async () => {
    const { EdgeRuntime } = require("edge-runtime");
    const bundle = await readFile(here("../dist/dream-api.global.js"), "utf8");
    const check = await readFile(here("./runtimes/check.js"), "utf8");
    const runtime = new EdgeRuntime({ initialCode: `${bundle}\n${check}` });
    assert.equal(runtime.evaluate("typeof process"), "undefined"); // no Node here
    const settings = { baseUrl: env.baseUrl, secretKey: env.secretKey, publishableKey: env.publishableKey,
      paidTier: env.paidTier, runtime: "edge" };
    const result = await runtime.evaluate(`runtimeCheck(DreamAPISDK, ${JSON.stringify(settings)})`);
    assert.deepEqual(JSON.parse(JSON.stringify(result)), EXPECTED);
  });
});
