#!/usr/bin/env node
// Builds dist/: index.js (ESM), index.cjs (CommonJS), dream-api.global.js (a plain <script>
// defining `DreamAPISDK`), and the .d.ts files (tsc). No runtime dependency is bundled in,
// because there is none.
import { execFileSync } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
const source = await readFile(new URL("../src/index.ts", import.meta.url), "utf8");
if (!source.includes(`export const VERSION = "${version}";`)) {
  throw new Error(`src/index.ts VERSION differs from package.json version ${version}`);
}

await rm(`${root}/dist`, { recursive: true, force: true });
const common = {
  entryPoints: [`${root}/src/index.ts`],
  bundle: true,
  target: "es2020",
  platform: "neutral",
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
};
await build({ ...common, format: "esm", outfile: `${root}/dist/index.js` });
await build({ ...common, format: "cjs", outfile: `${root}/dist/index.cjs`, platform: "node" });
await build({ ...common, format: "iife", globalName: "DreamAPISDK", outfile: `${root}/dist/dream-api.global.js`, platform: "browser" });
execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, "-p", `${root}/tsconfig.build.json`], { stdio: "inherit" });
console.log("built dist/ (esm, cjs, global, d.ts)");
