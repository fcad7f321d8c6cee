// verify / verifyAsync against the core's answers, jose in both directions, and bad input.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createLocalJWKSet, jwtVerify } from "jose";
import { JwksError, Verifier, VerifyError } from "@tollgate/verify";
import { answers, joseKey, joseToken, options } from "./helpers.mjs";

const verifier = new Verifier(options);
const at = { now: answers.now };

function refusal(fn) {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected a refusal");
}

describe("the core's answers, through the JS API", () => {
  for (const { name, token, scopes, answer } of answers.tokens) {
    test(name, async () => {
      if (answer.claims) {
        assert.deepEqual(verifier.verify(token, { ...at, scopes }), answer.claims);
        assert.deepEqual(await verifier.verifyAsync(token, { ...at, scopes }), answer.claims);
        return;
      }
      const error = refusal(() => verifier.verify(token, { ...at, scopes }));
      assert.ok(error instanceof VerifyError && error instanceof Error);
      assert.equal(error.name, "VerifyError");
      assert.equal(error.code, answer.code);
      assert.equal(error.message, answer.message);
      assert.equal(error.status, answer.status);
      assert.equal(error.bearerError, answer.bearer_error);
      assert.equal(error.wwwAuthenticate, answer.www_authenticate);
      await assert.rejects(verifier.verifyAsync(token, { ...at, scopes }), (e) => e instanceof VerifyError && e.code === answer.code);
    });
  }

  test("extra claims come back as JSON.parse would give them", () => {
    const claims = verifier.verify(answers.tokens[0].token, at);
    assert.equal(Object.getPrototypeOf(claims), Object.prototype);
    assert.deepEqual([claims.tenant, claims.tier, claims.ratio], ["acme ☂", 2, 0.25]);
  });
});

describe("key sets the core refuses", () => {
  for (const { name, jwks, code } of answers.jwks_cases) {
    test(name, () => {
      const error = refusal(() => new Verifier({ ...options, jwks }));
      assert.ok(error instanceof JwksError, String(error));
      assert.equal(error.code, code);
    });
  }

  test("the JWKS may be an object or its JSON text", () => {
    const fromText = new Verifier({ ...options, jwks: JSON.stringify(answers.jwks) });
    assert.equal(fromText.verify(answers.tokens[0].token, at).sub, "partner-42");
  });
});

describe("interoperability with jose", () => {
  test("a token jose signs with a fresh Ed25519 key verifies here", async () => {
    const key = await joseKey();
    const ours = new Verifier({ ...options, jwks: key.jwks });
    const token = await joseToken(key);
    const claims = ours.verify(token, { scopes: ["orders:read"] });
    assert.equal(claims.client_id, "partner-7");
    assert.equal(claims.iss, answers.issuer);
  });

  test("a jose token past exp (beyond tolerance) is refused as expired", async () => {
    const key = await joseKey();
    const ours = new Verifier({ ...options, jwks: key.jwks });
    const token = await joseToken(key, { exp: Math.floor(Date.now() / 1000) - 60 });
    assert.equal(refusal(() => ours.verify(token)).code, "expired");
  });

  test("a jose token with typ JWT is refused as invalid_type", async () => {
    const key = await joseKey();
    const ours = new Verifier({ ...options, jwks: key.jwks });
    const token = await joseToken(key, {}, { typ: "JWT" });
    assert.equal(refusal(() => ours.verify(token)).code, "invalid_type");
  });

  test("a __proto__ claim stays an own property, never a prototype", async () => {
    const key = await joseKey();
    const ours = new Verifier({ ...options, jwks: key.jwks });
    const hostile = JSON.parse('{"__proto__": {"admin": true}, "nested": {"__proto__": {"admin": true}}}');
    const claims = ours.verify(await joseToken(key, hostile));
    assert.equal(Object.getPrototypeOf(claims), Object.prototype);
    assert.equal(claims.admin, undefined);
    assert.deepEqual(Object.getOwnPropertyDescriptor(claims, "__proto__").value, { admin: true });
    assert.equal(Object.getPrototypeOf(claims.nested), Object.prototype);
    assert.equal(claims.nested.admin, undefined);
  });

  test("jose verifies the token tollgate-core signed", async () => {
    const { token, answer } = answers.tokens.find((t) => t.name === "signed_by_core");
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(answers.jwks), {
      issuer: answers.issuer,
      audience: answers.audience,
      typ: "at+jwt",
      algorithms: ["EdDSA"],
      currentDate: new Date(answers.now * 1000),
    });
    assert.equal(protectedHeader.alg, "EdDSA");
    assert.deepEqual(payload, answer.claims);
  });
});

describe("time and arguments", () => {
  const { token } = answers.tokens.find((t) => t.name === "signed_by_core");

  test("now defaults to the runtime clock", () => {
    // exp is in 2096: valid today, and refused once the clock is past it (5 s tolerance).
    assert.equal(verifier.verify(token).sub, "partner-42");
    assert.equal(refusal(() => verifier.verify(token, { now: 4_000_000_005 })).code, "expired");
  });

  test("fractional now counts whole seconds", () => {
    assert.equal(refusal(() => verifier.verify(token, { now: 4_000_000_005.5 })).code, "expired");
    assert.equal(verifier.verify(token, { now: 4_000_000_004.9 }).sub, "partner-42");
  });

  test("clockTolerance is in seconds", () => {
    const lenient = new Verifier({ ...options, clockTolerance: 30 });
    assert.equal(lenient.verify(token, { now: 4_000_000_029 }).sub, "partner-42");
    assert.equal(refusal(() => lenient.verify(token, { now: 4_000_000_030 })).code, "expired");
  });

  test("issuer and audience accept arrays", () => {
    const several = new Verifier({ ...options, issuer: ["https://x.test", answers.issuer], audience: [answers.audience] });
    assert.equal(several.verify(token, at).sub, "partner-42");
  });

  test("wrong argument types are TypeErrors, not refusals", () => {
    for (const bad of [
      () => new Verifier(),
      () => new Verifier({ ...options, jwks: 42 }),
      () => new Verifier({ ...options, issuer: 7 }),
      () => new Verifier({ ...options, audience: ["ok", 1] }),
      () => new Verifier({ ...options, clockTolerance: -1 }),
      () => new Verifier({ ...options, clockTolerance: "5" }),
      () => verifier.verify(undefined),
      () => verifier.verify(token, { now: "now" }),
      () => verifier.verify(token, { now: NaN }),
      () => verifier.verify(token, { scopes: "orders:read" }),
    ]) {
      assert.throws(bad, TypeError);
    }
  });
});
