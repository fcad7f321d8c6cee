// The core's hostile token corpus (crates/core/tests/fixtures/hostile.json), replayed
// through the JS API: every token must get exactly the code the core gives it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { Verifier, VerifyError } from "@tollgate/verify";

const core = new URL("../../../crates/core/tests/", import.meta.url);
const fixture = new URL("fixtures/hostile.json", core);
// Skipped only where the corpus itself is absent (a partial checkout); a corpus without
// its fixture is a failure.
const absent = !existsSync(new URL("hostile.rs", core)) && !existsSync(fixture);

test("hostile corpus: same codes as tollgate-core", { skip: absent && "no core corpus in this tree" }, () => {
  const corpus = JSON.parse(readFileSync(fixture, "utf8"));
  // Only the settings the JS API exposes; the rest must be the defaults.
  assert.equal(corpus.max_token_size, 8192);
  assert.equal(corpus.token_type, "at+jwt");
  const verifier = new Verifier({
    jwks: corpus.jwks,
    issuer: corpus.issuer,
    audience: corpus.audience,
    clockTolerance: corpus.clock_tolerance,
  });
  const wrong = [];
  for (const { name, code, token } of corpus.cases) {
    let got = null;
    try {
      verifier.verify(token, { now: corpus.now, scopes: corpus.required_scopes });
    } catch (error) {
      if (!(error instanceof VerifyError)) throw error;
      got = error.code;
      // Only insufficient_scope is a 403; every other refusal is invalid_token / 401.
      const expected = got === "insufficient_scope" ? [403, "insufficient_scope"] : [401, "invalid_token"];
      assert.deepEqual([error.status, error.bearerError], expected, name);
    }
    if (got !== code) wrong.push(`${name}: expected ${code}, got ${got}`);
  }
  assert.ok(corpus.cases.length >= 40, `only ${corpus.cases.length} cases`);
  assert.deepEqual(wrong, []);
});
