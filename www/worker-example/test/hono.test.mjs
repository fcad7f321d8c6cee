// @tollgate/verify/hono with real Hono in workerd (the example's wrangler.hono.toml):
// RFC 9068 tokens accepted, claims in the context, per-route scopes, RFC 6750 refusals.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { startWorker } from "./harness.mjs";

const ISSUER = "https://auth.tollgate.test";
const AUDIENCE = "https://api.tollgate.test";

describe("Hono middleware in workerd", () => {
  let worker, key;

  before(async () => {
    const pair = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "hono-1", alg: "Ed25519", use: "sig" };
    worker = await startWorker({ jwks: { keys: [jwk] }, issuer: ISSUER, audience: AUDIENCE, config: "wrangler.hono.toml" });
  });

  after(() => worker?.stop());

  const mint = (scope, header = {}) =>
    new SignJWT({ client_id: "partner-9", scope })
      .setProtectedHeader({ alg: "EdDSA", kid: "hono-1", typ: "at+jwt", ...header })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject("partner-9")
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(key);
  const call = async (method, token) =>
    fetch(`${worker.url}/api/orders`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

  test("an RFC 9068 token (typ at+jwt) gets 200, the claims read from the context", async () => {
    const response = await call("GET", await mint("orders:read"));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { client_id: "partner-9", scope: "orders:read", orders: [] });
  });

  test("alg Ed25519 (RFC 9864) is accepted like EdDSA", async () => {
    const response = await call("GET", await mint("orders:read", { alg: "Ed25519" }));
    assert.equal(response.status, 200);
  });

  test("per-route scopes: POST needs orders:write, answered 403 with the scope", async () => {
    const response = await call("POST", await mint("orders:read"));
    assert.equal(response.status, 403);
    assert.equal(
      response.headers.get("www-authenticate"),
      'Bearer error="insufficient_scope", error_description="token lacks a required scope", scope="orders:write"',
    );
    assert.deepEqual(await response.json(), { error: "insufficient_scope", error_description: "token lacks a required scope" });
    const written = await call("POST", await mint("orders:read orders:write"));
    assert.equal(written.status, 201);
    assert.deepEqual(await written.json(), { created: true, by: "partner-9" });
  });

  test("no token: 401 with a bare challenge; typ JWT: 401 invalid_type", async () => {
    const bare = await call("GET");
    assert.equal(bare.status, 401);
    assert.equal(bare.headers.get("www-authenticate"), "Bearer");
    assert.equal(await bare.text(), "");
    const jwt = await call("GET", await mint("orders:read", { typ: "JWT" }));
    assert.equal(jwt.status, 401);
    assert.match(jwt.headers.get("www-authenticate"), /^Bearer error="invalid_token", error_description="token type is not at\+jwt"$/);
  });

  test("public routes are untouched", async () => {
    const response = await fetch(`${worker.url}/healthz`);
    assert.deepEqual([response.status, await response.json()], [200, { ok: true }]);
  });
});
