// The whole journey on real processes: the tollgate binary mints tokens, the example Worker
// checks them in workerd, third-party clients and verifiers interoperate.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { startWorker } from "../../www/worker-example/test/harness.mjs";
import { eventually, serve, tempStore, tokenRequest } from "./issuer.mjs";

const ISSUER = "https://issuer.tollgate.test";
const AUDIENCE = "https://api.tollgate.test";
const PYTHON = process.env.PYTHON ?? "python3";

describe("client → issuer → token → Worker → API", () => {
  let store, issuer, worker, reader, writer, shortLived, refresher;

  before(async () => {
    store = tempStore({ TOLLGATE_TOKEN_PATHS: "/connect/token,/oauth/v2/token,/v2/auth/oauth2-token" });
    // The first `serve` creates the store and its master key; the CLI then reads the key.
    issuer = await serve(store, ["--issuer", ISSUER]);
    const create = (...args) => store.cliJson("client", "create", "--audience", AUDIENCE, ...args);
    reader = await create("--id", "partner-reader", "--scope", "orders:read orders:write");
    writer = await create("--id", "partner-writer", "--scope", "orders:write");
    shortLived = await create("--id", "partner-brief", "--scope", "orders:read", "--ttl", "2");
    refresher = await create("--id", "caspio-style", "--scope", "orders:read", "--refresh", "--ttl", "86400");
    worker = await startWorker({ jwks: await store.cli("jwks"), issuer: ISSUER, audience: AUDIENCE });
  });

  after(async () => {
    await worker?.stop();
    await issuer?.stop();
    store?.remove();
  });

  const basic = (client) => ({ id: client.client_id, secret: client.client_secret });
  const orders = (token) =>
    fetch(`${worker.url}/api/orders`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  test("client_secret_basic on /oauth/token: the Worker answers 200", async () => {
    const { status, body, headers } = await tokenRequest(
      `${issuer.url}/oauth/token`,
      { grant_type: "client_credentials" },
      basic(reader),
    );
    assert.equal(status, 200);
    assert.equal(body.token_type, "Bearer");
    assert.equal(headers.get("cache-control"), "no-store");
    const response = await orders(body.access_token);
    assert.equal(response.status, 200);
    assert.equal((await response.json()).client_id, reader.client_id);
  });

  test("client_secret_post on every alias path: the Worker answers 200", async () => {
    for (const path of ["/connect/token", "/oauth/v2/token", "/v2/auth/oauth2-token"]) {
      const { status, body } = await tokenRequest(`${issuer.url}${path}`, {
        grant_type: "client_credentials",
        client_id: reader.client_id,
        client_secret: reader.client_secret,
      });
      assert.equal(status, 200, path);
      assert.equal((await orders(body.access_token)).status, 200, path);
    }
  });

  test("a token without the needed scope gets 403 insufficient_scope", async () => {
    const { body } = await tokenRequest(`${issuer.url}/oauth/token`, { grant_type: "client_credentials" }, basic(writer));
    const response = await orders(body.access_token);
    assert.equal(response.status, 403);
    assert.match(response.headers.get("www-authenticate"), /^Bearer .*error="insufficient_scope".*scope="orders:read"/);
  });

  test("a 2-second token is refused with 401 invalid_token once it expires", async () => {
    const { body } = await tokenRequest(`${issuer.url}/oauth/token`, { grant_type: "client_credentials" }, basic(shortLived));
    assert.equal(body.expires_in, 2);
    assert.equal((await orders(body.access_token)).status, 200);
    // The example Worker allows 5 s of clock skew (clockTolerance: 5): wait past exp + 5.
    const { exp } = decodeJwt(body.access_token);
    await new Promise((r) => setTimeout(r, (exp + 5 + 1) * 1000 - Date.now()));
    const response = await orders(body.access_token);
    assert.equal(response.status, 401);
    assert.match(response.headers.get("www-authenticate"), /^Bearer .*error="invalid_token"/);
  });

  test("no token gets 401 with a bare Bearer challenge", async () => {
    const response = await orders(null);
    assert.equal(response.status, 401);
    assert.doesNotMatch(response.headers.get("www-authenticate"), /error=/);
    assert.match(response.headers.get("www-authenticate"), /^Bearer/);
  });

  test("jose verifies an issued token against the served JWKS", async () => {
    const { body } = await tokenRequest(`${issuer.url}/oauth/token`, { grant_type: "client_credentials" }, basic(reader));
    const jwks = createRemoteJWKSet(new URL(`${issuer.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: "at+jwt",
      algorithms: ["EdDSA"],
    });
    assert.equal(protectedHeader.alg, "EdDSA");
    assert.equal(payload.client_id, reader.client_id);
    assert.equal(payload.sub, reader.client_id);
  });

  test("requests-oauthlib gets a token, PyJWT verifies it, and so does jose", async () => {
    const { stdout } = await promisify(execFile)(PYTHON, [
      "fetch_token.py",
      `${issuer.url}/oauth/token`,
      reader.client_id,
      reader.client_secret,
      ISSUER,
      AUDIENCE,
    ]);
    const { access_token: token, pyjwt_client_id } = JSON.parse(stdout);
    assert.equal(pyjwt_client_id, reader.client_id);
    const jwks = createRemoteJWKSet(new URL(`${issuer.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(token, jwks, { issuer: ISSUER, audience: AUDIENCE });
    assert.equal(payload.client_id, reader.client_id);
    assert.equal((await orders(token)).status, 200);
  });

  test("a refresh-enabled client refreshes Caspio style, and reuse is refused", async () => {
    const first = await tokenRequest(
      `${issuer.url}/oauth/token`,
      { grant_type: "client_credentials", client_id: refresher.client_id, client_secret: refresher.client_secret },
    );
    assert.equal(first.status, 200);
    assert.ok(first.body.refresh_token, "a refresh token is issued");
    assert.equal(first.body.expires_in, 86400);
    const refreshed = await tokenRequest(
      `${issuer.url}/oauth/token`,
      { grant_type: "refresh_token", refresh_token: first.body.refresh_token },
      basic(refresher),
    );
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body.refresh_token, first.body.refresh_token);
    assert.equal((await orders(refreshed.body.access_token)).status, 200);
    const reused = await tokenRequest(
      `${issuer.url}/oauth/token`,
      { grant_type: "refresh_token", refresh_token: first.body.refresh_token },
      basic(refresher),
    );
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, "invalid_grant");
  });

  test("key rotation: a Worker holding both keys accepts tokens from before and after", async () => {
    const mint = async () =>
      (await tokenRequest(`${issuer.url}/oauth/token`, { grant_type: "client_credentials" }, basic(reader))).body
        .access_token;
    const before = await mint();
    const oldKid = decodeProtectedHeader(before).kid;
    await store.cli("keys", "rotate", "--activate-after", "0");
    const jwks = JSON.parse(await store.cli("jwks"));
    assert.equal(jwks.keys.length, 2, "both keys are published");
    // The running server picks the new active key up by itself.
    const afterToken = await eventually(async () => {
      const token = await mint();
      return decodeProtectedHeader(token).kid !== oldKid && token;
    });
    const rotated = await startWorker({ jwks: JSON.stringify(jwks), issuer: ISSUER, audience: AUDIENCE });
    try {
      for (const token of [before, afterToken]) {
        const response = await fetch(`${rotated.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.status, 200);
      }
      // The same tokens also verify locally against the two-key set.
      const local = createLocalJWKSet(jwks);
      for (const token of [before, afterToken]) await jwtVerify(token, local, { issuer: ISSUER, audience: AUDIENCE });
    } finally {
      await rotated.stop();
    }
    // The Worker still holding only the old key refuses the new token.
    assert.equal((await orders(afterToken)).status, 401);
  });
});
