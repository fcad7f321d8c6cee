// verify (all in wasm) and verifyAsync (the equation by workerd's WebCrypto), of the full
// build and of @tollgate/verify/webcrypto, give every token the same answer inside
// workerd: the same tokens as differential.test.mjs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { at, corpus, tokens, verifierOptions } from "./generate.mjs";
import { startTestWorker } from "../workerd.mjs";

let worker;
before(async () => {
  worker = await startTestWorker("test/workers/differential.js");
});
after(() => worker?.stop());

for (const build of ["full", "webcrypto"])
test(`differential: verify and verifyAsync (${build} build) agree on the corpus and 100,000 mutations (workerd)`, async (t) => {
  const all = tokens();
  assert.ok(all.length >= corpus.cases.length + 100_000);
  const codes = {};
  const BATCH = 10_000;
  for (let i = 0; i < all.length; i += BATCH) {
    const response = await fetch(worker.url, {
      method: "POST",
      body: JSON.stringify({ options: verifierOptions, at, tokens: all.slice(i, i + BATCH), build }),
    });
    assert.equal(response.status, 200);
    const result = await response.json();
    assert.equal(result.native, true, "workerd's WebCrypto computed the equation");
    assert.deepEqual(result.mismatches.slice(0, 5), []);
    for (const [code, n] of Object.entries(result.codes)) codes[code] = (codes[code] ?? 0) + n;
  }
  t.diagnostic(`${all.length} tokens: ${JSON.stringify(codes)}`);
  for (const code of ["accepted", "malformed", "alg_not_allowed", "unknown_kid", "invalid_signature", "expired"]) {
    assert.ok(codes[code] > 100, `${code}: ${codes[code]}`);
  }
});
