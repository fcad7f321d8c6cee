// verify (all in wasm) and verifyAsync (the equation by Node's WebCrypto) give every token
// the same answer: the hostile corpus, fresh signed tokens and 100,000 mutations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Verifier } from "@tollgate/verify";
import { nativeSupport } from "../../src/native.js";
import { compare } from "./compare.js";
import { at, corpus, tokens, verifierOptions } from "./generate.mjs";

test("differential: verify and verifyAsync agree on the corpus and 100,000 mutations (Node)", async (t) => {
  const all = tokens();
  assert.ok(all.length >= corpus.cases.length + 100_000);
  const { mismatches, codes } = await compare(new Verifier(verifierOptions), all, at);
  t.diagnostic(`${all.length} tokens: ${JSON.stringify(codes)}`);
  assert.equal(nativeSupport(), true, "Node's WebCrypto computed the equation");
  assert.deepEqual(mismatches.slice(0, 5), []);
  // The mix reaches every phase: accepted tokens, signature and claims refusals.
  for (const code of ["accepted", "malformed", "alg_not_allowed", "unknown_kid", "invalid_signature", "expired"]) {
    assert.ok(codes[code] > 100, `${code}: ${codes[code]}`);
  }
});
