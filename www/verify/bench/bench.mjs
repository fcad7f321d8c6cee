// `npm run bench`: @tollgate/verify vs jose (jwtVerify + createLocalJWKSet) on the same
// token, one verify at a time, in this Node process and inside workerd; cold start; size.
// Not a test: the figures go into README.md. Needs `npm run build` first.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createLocalJWKSet, jwtVerify } from "jose";
import { Miniflare } from "miniflare";
import { Verifier } from "@tollgate/verify";

Object.assign(process.env, {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
});

const ROUNDS = 9;
const N = 1000;
const root = fileURLToPath(new URL("..", import.meta.url));
const fx = JSON.parse(readFileSync(new URL("../test/fixtures/answers.json", import.meta.url), "utf8"));
const token = fx.tokens.find((t) => t.name === "signed_by_core").token;
const policy = { issuer: fx.issuer, audience: fx.audience };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const row = (where, what, usPerVerify) => rows.push({ where, what, us: usPerVerify });

/**
 * Median µs per call of each function, the rounds interleaved (A B C A B C ...) so that
 * load from other processes falls on every contender alike.
 */
async function timeLoops(fns) {
  for (const fn of Object.values(fns)) for (let i = 0; i < 200; i++) await fn(); // warm-up: let V8 tier up
  const samples = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(fns)) {
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await fn();
      samples[name].push(((performance.now() - t0) * 1000) / N);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
}

// Node: the same process, the same token, the real clock.
const ours = new Verifier({ jwks: fx.jwks, ...policy });
const jwks = createLocalJWKSet(fx.jwks);
const joseOptions = { ...policy, typ: "at+jwt", algorithms: ["EdDSA"] };
const node = await timeLoops({
  "@tollgate/verify verify()": () => ours.verify(token),
  "@tollgate/verify verifyAsync()": () => ours.verifyAsync(token),
  "jose jwtVerify": () => jwtVerify(token, jwks, joseOptions),
});
for (const [what, us] of Object.entries(node)) row(`Node ${process.version}`, what, us);

// workerd: bench/worker.js loops inside the isolate; performance.now() there is only
// coarse, so the Node side times whole requests and subtracts an empty one.
const mf = new Miniflare({
  modules: true,
  scriptPath: `${root}bench/worker.js`,
  modulesRoot: root,
  modulesRules: [
    { type: "ESModule", include: ["**/*.js"] },
    { type: "CompiledWasm", include: ["**/*.wasm"] },
  ],
  compatibilityDate: "2026-04-01",
  bindings: { JWKS: JSON.stringify(fx.jwks), ISSUER: fx.issuer, AUDIENCE: fx.audience },
  host: "127.0.0.1",
  port: 0,
  cf: false,
});
const started = performance.now();
const url = await mf.ready;
const ready = performance.now() - started;
async function request(impl, n) {
  const t0 = performance.now();
  const response = await fetch(`${url}?impl=${impl}&n=${n}&token=${token}`);
  const { ok } = await response.json();
  if (ok !== n) throw new Error(`${impl}: ${ok} of ${n} verified`);
  return performance.now() - t0;
}
const firstRequest = await request("wasm", 1);
const warm = [];
for (let i = 0; i < 5; i++) warm.push(await request("wasm", 1));
const warmRequest = median(warm);
const names = { wasm: "@tollgate/verify verify()", async: "@tollgate/verify verifyAsync()", jose: "jose jwtVerify" };
const impls = Object.keys(names);
for (const impl of impls) await request(impl, 500); // warm-up
const samples = Object.fromEntries(impls.map((impl) => [impl, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const impl of impls) samples[impl].push(((await request(impl, N)) - (await request(impl, 0))) * (1000 / N));
}
for (const impl of impls) row("workerd (Miniflare)", names[impl], median(samples[impl]));
await mf.dispose();

// Cold start in fresh Node processes.
const colds = [0, 1, 2, 3, 4].map(() =>
  JSON.parse(execFileSync(process.execPath, [`${root}bench/cold.mjs`], { encoding: "utf8" })),
);
const cold = Object.fromEntries(Object.keys(colds[0]).map((k) => [k, median(colds.map((c) => c[k])).toFixed(2)]));

const wasm = readFileSync(`${root}pkg/tollgate_wasm_bg.wasm`);
// Ratio to jose in the same runtime and run: above 1 is faster than jose.
const jose = Object.fromEntries(rows.filter((r) => r.what.startsWith("jose")).map((r) => [r.where, r.us]));
console.table(
  rows.map(({ where, what, us }) => ({
    where,
    what,
    "µs/verify": us.toFixed(1),
    "ops/s": Math.round(1e6 / us),
    "× jose": (jose[where] / us).toFixed(2),
  })),
);
console.log("Cold start, Node (ms, median of 5 processes):", cold);
console.log(
  `Cold start, workerd: runtime ready in ${ready.toFixed(0)} ms; first request ${firstRequest.toFixed(1)} ms, warm request ${warmRequest.toFixed(1)} ms`,
);
console.log(`.wasm: ${wasm.length} bytes raw, ${gzipSync(wasm, { level: 9 }).length} gzip -9`);
