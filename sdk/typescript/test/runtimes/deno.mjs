// Deno: the ESM build, as a Deno app imports it. Prints the journey's result as JSON.
import * as SDK from "../../dist/index.js";

const code = await Deno.readTextFile(new URL("./check.js", import.meta.url));
const runtimeCheck = new Function(`${code}; return runtimeCheck;`)();
const env = Object.fromEntries(
  ["baseUrl", "secretKey", "publishableKey", "paidTier"].map((name) => [name, Deno.env.get(`RT_${name}`) ?? ""]),
);
console.log(JSON.stringify(await runtimeCheck(SDK, { ...env, runtime: "deno" })));
