// Key rotation without redeploy, in workerd against a real `tollgate serve`: the example
// Worker fetches the JWKS (through a counting proxy on 127.0.0.1) and caches it; a rotated-in
// key is picked up by one refetch; made-up kids cost at most one fetch per 30 s; an
// unreachable issuer changes nothing for tokens the cached keys verify.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { eventually, serve, tempStore, tokenRequest } from "../../../tests/e2e/issuer.mjs";
import { startWorker } from "./harness.mjs";

const ISSUER = "https://issuer.tollgate.test";
const AUDIENCE = "https://api.tollgate.test";

/** Forwards GET /.well-known/jwks.json to the issuer, counting; `down` answers 503. */
async function countingProxy(target) {
  const proxy = { fetches: 0, down: false };
  const server = createServer(async (request, response) => {
    proxy.fetches++;
    if (proxy.down || request.url !== "/.well-known/jwks.json") {
      response.writeHead(503).end();
      return;
    }
    const upstream = await fetch(`${target}${request.url}`);
    response.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type"),
      "cache-control": upstream.headers.get("cache-control"),
    });
    response.end(await upstream.text());
  });
  await new Promise((ready) => server.listen(0, "127.0.0.1", ready));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () => new Promise((done) => server.close(done));
  return proxy;
}

describe("remote JWKS in workerd against tollgate serve", () => {
  let store, issuer, proxy, worker, client;

  before(async () => {
    store = tempStore();
    // `serve` creates the store and its master key; the CLI registers the client beside it.
    issuer = await serve(store, ["--issuer", ISSUER]);
    client = await store.cliJson("client", "create", "--audience", AUDIENCE, "--scope", "orders:read");
    proxy = await countingProxy(issuer.url);
    worker = await startWorker({ jwksUrl: `${proxy.url}/.well-known/jwks.json`, issuer: ISSUER, audience: AUDIENCE });
  });

  after(async () => {
    await worker?.stop();
    await proxy?.close();
    await issuer?.stop();
    store?.remove();
  });

  const mint = async () => {
    const basic = { id: client.client_id, secret: client.client_secret };
    const { status, body } = await tokenRequest(`${issuer.url}/oauth/token`, { grant_type: "client_credentials" }, basic);
    assert.equal(status, 200);
    return body.access_token;
  };
  const orders = (token) => fetch(`${worker.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
  let first;

  test("the issuer's JWKS max-age is within the bounds the cache applies", async () => {
    const response = await fetch(`${issuer.url}/.well-known/jwks.json`);
    const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get("cache-control"))?.[1]);
    assert.ok(maxAge >= 60 && maxAge <= 86_400, `max-age=${maxAge}`);
  });

  test("fetched on first need, then served from the isolate's cache", async () => {
    first = await mint();
    for (let i = 0; i < 5; i++) assert.equal((await orders(first)).status, 200);
    assert.equal(proxy.fetches, 1);
  });

  test("after keys rotate, the new kid is picked up by exactly one refetch", async () => {
    const oldKid = decodeProtectedHeader(first).kid;
    await store.cli("keys", "rotate", "--activate-after", "0");
    const rotated = await eventually(async () => {
      const token = await mint();
      return decodeProtectedHeader(token).kid !== oldKid && token;
    });
    assert.equal((await orders(rotated)).status, 200);
    assert.equal((await orders(first)).status, 200, "the old key is still published");
    assert.equal(proxy.fetches, 2);
  });

  test("made-up kids: refused, and no refetch within 30 s of the last one", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    for (let i = 0; i < 5; i++) {
      const forged = await new SignJWT({ client_id: "x", scope: "orders:read" })
        .setProtectedHeader({ alg: "EdDSA", kid: `made-up-${i}`, typ: "at+jwt" })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject("x")
        .setJti(`j${i}`)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(privateKey);
      const response = await orders(forged);
      assert.equal(response.status, 401);
      assert.match(response.headers.get("www-authenticate"), /token signing key is unknown/);
    }
    assert.equal(proxy.fetches, 2);
  });

  test("a rotation's lead is at least the JWKS max-age, so no cache misses a key about to sign", async () => {
    const response = await fetch(`${issuer.url}/.well-known/jwks.json`);
    const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get("cache-control"))[1]);
    const key = await store.cliJson("keys", "rotate", "--activate-after", "60");
    assert.ok(key.activate_at - key.created_at >= maxAge, JSON.stringify(key));
    assert.equal(key.state, "pending");
  });

  test("issuer unreachable: tokens the cached keys verify still get 200, nothing waits", async () => {
    proxy.down = true;
    const rotated = await mint();
    for (const token of [first, rotated]) assert.equal((await orders(token)).status, 200);
    assert.equal(proxy.fetches, 2);
  });
});
