// One cold start in a fresh process: compile, instantiate, build the Verifier, first verify.
// Prints JSON milliseconds; run by bench.mjs.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const fx = JSON.parse(readFileSync(new URL("../test/fixtures/answers.json", import.meta.url), "utf8"));
const bytes = readFileSync(new URL("../pkg/tollgate_wasm_bg.wasm", import.meta.url));
const glue = await import("../pkg/tollgate_wasm.js");
const Verifier = (await import("../src/full.js")).fullVerifier();

const t0 = performance.now();
const module = new WebAssembly.Module(bytes);
const t1 = performance.now();
glue.initSync({ module });
const t2 = performance.now();
const verifier = new Verifier({ jwks: fx.jwks, issuer: fx.issuer, audience: fx.audience });
const t3 = performance.now();
verifier.verify(fx.tokens[0].token);
const t4 = performance.now();
console.log(JSON.stringify({ compile: t1 - t0, instantiate: t2 - t1, verifier: t3 - t2, first: t4 - t3 }));
