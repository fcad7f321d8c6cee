// The example Worker in real workerd: 200 for a good token, RFC 6750 answers otherwise.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { startWorker } from "./harness.mjs";

const ISSUER = "https://auth.tollgate.test";
const AUDIENCE = "https://api.tollgate.test";
// Tokens signed by tollgate-core itself (crates/wasm/tests/answers.rs).
const answers = JSON.parse(readFileSync(new URL("../../verify/test/fixtures/answers.json", import.meta.url), "utf8"));

describe("example Worker in workerd", () => {
  let worker, key, jwks;

  before(async () => {
    const pair = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "jose-1", alg: "EdDSA", use: "sig" };
    // Both the jose key and the core's fixture keys, as a rotated set would be.
    jwks = { keys: [jwk, ...answers.jwks.keys] };
    worker = await startWorker({ jwks: JSON.stringify(jwks), issuer: ISSUER, audience: AUDIENCE });
  });

  after(() => worker?.stop());

  const mint = (claims = {}, header = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ client_id: "partner-7", scope: "orders:read orders:write", ...claims })
      .setProtectedHeader({ alg: "EdDSA", kid: "jose-1", typ: "at+jwt", ...header })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject("partner-7")
      .setJti(crypto.randomUUID())
      .setIssuedAt(now - 5)
      .setExpirationTime(claims.exp ?? now + 300)
      .sign(key);
  };
  const get = (path, authorization) =>
    fetch(`${worker.url}${path}`, { headers: authorization ? { authorization } : {} });
  const challenge = (response) => response.headers.get("www-authenticate");

  test("GET /healthz is public", async () => {
    const response = await get("/healthz");
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
  });

  test("a good token (signed by jose) gets 200 and the orders", async () => {
    const response = await get("/api/orders", `Bearer ${await mint()}`);
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.client_id, "partner-7");
    assert.equal(body.scope, "orders:read orders:write");
    assert.ok(Array.isArray(body.orders) && body.orders.length > 0);
  });

  test("a good token signed by tollgate-core gets 200", async () => {
    const { token } = answers.tokens.find((t) => t.name === "signed_by_core");
    const response = await get("/api/orders", `Bearer ${token}`);
    assert.equal(response.status, 200);
    assert.equal((await response.json()).client_id, "partner-42");
  });

  test("no token: 401 with a bare Bearer challenge", async () => {
    const response = await get("/api/orders");
    assert.equal(response.status, 401);
    assert.equal(challenge(response), "Bearer");
    assert.equal(await response.text(), "");
  });

  test("an expired token: 401 invalid_token", async () => {
    const response = await get("/api/orders", `Bearer ${await mint({ exp: Math.floor(Date.now() / 1000) - 60 })}`);
    assert.equal(response.status, 401);
    assert.equal(challenge(response), 'Bearer error="invalid_token", error_description="token has expired"');
    assert.deepEqual(await response.json(), { error: "invalid_token", error_description: "token has expired" });
  });

  test("a forged signature: 401 invalid_token", async () => {
    const [h, p, s] = (await mint()).split(".");
    const forged = `${h}.${p}.${s.startsWith("A") ? "B" : "A"}${s.slice(1)}`;
    const response = await get("/api/orders", `Bearer ${forged}`);
    assert.equal(response.status, 401);
    assert.equal(challenge(response), 'Bearer error="invalid_token", error_description="token signature is invalid"');
  });

  test("an unknown key: 401 invalid_token", async () => {
    const response = await get("/api/orders", `Bearer ${await mint({}, { kid: "someone-else" })}`);
    assert.equal(response.status, 401);
    assert.equal(challenge(response), 'Bearer error="invalid_token", error_description="token signing key is unknown"');
  });

  test("the wrong audience: 401 invalid_token", async () => {
    const token = await new SignJWT({ client_id: "partner-7", scope: "orders:read", jti: "x" })
      .setProtectedHeader({ alg: "EdDSA", kid: "jose-1", typ: "at+jwt" })
      .setIssuer(ISSUER)
      .setAudience("https://elsewhere.test")
      .setSubject("partner-7")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(key);
    const response = await get("/api/orders", `Bearer ${token}`);
    assert.equal(response.status, 401);
    assert.match(challenge(response), /^Bearer error="invalid_token", error_description="token audience is not accepted"$/);
  });

  test("a token without orders:read: 403 insufficient_scope", async () => {
    const response = await get("/api/orders", `Bearer ${await mint({ scope: "orders:write" })}`);
    assert.equal(response.status, 403);
    assert.equal(
      challenge(response),
      'Bearer error="insufficient_scope", error_description="token lacks a required scope", scope="orders:read"',
    );
  });

  test("a malformed Authorization header: 400 invalid_request", async () => {
    const response = await get("/api/orders", "Bearer two tokens");
    assert.equal(response.status, 400);
    assert.equal(
      challenge(response),
      'Bearer error="invalid_request", error_description="the Authorization header is not a valid Bearer credential"',
    );
  });

  test("another scheme counts as no token: 401 bare challenge", async () => {
    const response = await get("/api/orders", "Basic cGFydG5lcjpzZWNyZXQ=");
    assert.equal(response.status, 401);
    assert.equal(challenge(response), "Bearer");
  });

  test("the core's answers, replayed in workerd at the real clock", async () => {
    // Only the rows whose outcome does not depend on the fixture's fixed `now`.
    for (const name of ["second_key", "wrong_issuer", "wrong_audience", "unknown_kid", "payload_swapped", "not_a_jwt"]) {
      const { token, answer } = answers.tokens.find((t) => t.name === name);
      const response = await get("/api/orders", `Bearer ${token}`);
      assert.equal(response.status, answer.status ?? 200, name);
      assert.equal(challenge(response), answer.www_authenticate ?? null, name);
    }
  });
});

describe("misconfiguration", () => {
  test("a JWKS the core refuses: 500, with the cause logged, not sent", async () => {
    const worker = await startWorker({ jwks: '{"keys":[]}', issuer: ISSUER, audience: AUDIENCE });
    try {
      const response = await fetch(`${worker.url}/api/orders`);
      assert.equal(response.status, 500);
      assert.deepEqual(await response.json(), { error: "server_misconfigured" });
      assert.equal((await fetch(`${worker.url}/healthz`)).status, 200);
    } finally {
      await worker.stop();
    }
  });
});
