// The remote key set in Node, against a real HTTP server on 127.0.0.1: first need, one
// fetch in flight, the unknown-kid refetch and its cooldown, failures keeping the last
// good set, the bootstrap set, and the max-age bounds.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { JwksError, Verifier, VerifyError } from "@tollgate/verify";
import { cacheSeconds } from "../src/remote.js";
import { answers } from "./helpers.mjs";

const token = (name) => answers.tokens.find((t) => t.name === name).token;
const only = (kid) => JSON.stringify({ keys: answers.jwks.keys.filter((k) => k.kid === kid) });
const policy = { issuer: answers.issuer, audience: answers.audience };

describe("jwksUrl", () => {
  let server, url;
  const jwks = { status: 200, body: only("edge-a"), cacheControl: "public, max-age=300", fetches: 0 };

  before(async () => {
    server = createServer((request, response) => {
      jwks.fetches++;
      response.writeHead(jwks.status, { "content-type": "application/json", "cache-control": jwks.cacheControl });
      response.end(jwks.body);
    });
    await new Promise((ready) => server.listen(0, "127.0.0.1", ready));
    url = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;
  });
  after(() => new Promise((done) => server.close(done)));

  const reset = (body = only("edge-a")) => Object.assign(jwks, { status: 200, body, fetches: 0 });

  test("fetched once on first need, even by concurrent requests; then cached", async () => {
    reset();
    const verifier = new Verifier({ ...policy, jwksUrl: url });
    assert.throws(() => verifier.verify(token("signed_by_core")), (e) => e instanceof JwksError && e.code === "jwks_unavailable");
    const first = await Promise.all([1, 2, 3].map(() => verifier.verifyAsync(token("signed_by_core"))));
    assert.deepEqual(first.map((c) => c.sub), ["partner-42", "partner-42", "partner-42"]);
    assert.equal(verifier.verify(token("signed_by_core")).sub, "partner-42");
    assert.equal(jwks.fetches, 1);
  });

  test("an unknown kid: one refetch picks a new key up; then none for 30 s", async () => {
    reset();
    const verifier = new Verifier({ ...policy, jwksUrl: url });
    await verifier.ready();
    jwks.body = JSON.stringify(answers.jwks); // the issuer publishes edge-b
    assert.equal((await verifier.verifyAsync(token("second_key"))).jti, "other");
    assert.equal(jwks.fetches, 2);
    for (let i = 0; i < 3; i++) {
      await assert.rejects(verifier.verifyAsync(token("unknown_kid")), (e) => e instanceof VerifyError && e.code === "unknown_kid");
    }
    assert.equal(jwks.fetches, 2);
  });

  test("a failed fetch keeps the last good set and is reported", async () => {
    reset();
    const reported = [];
    const verifier = new Verifier({ ...policy, jwksUrl: url, onJwksError: (e) => reported.push(e.code) });
    await verifier.ready();
    jwks.status = 503;
    await assert.rejects(verifier.verifyAsync(token("second_key")), (e) => e.code === "unknown_kid");
    assert.deepEqual(reported, ["jwks_unavailable"]);
    assert.equal((await verifier.verifyAsync(token("signed_by_core"))).sub, "partner-42");
  });

  test("an unusable or oversized set is refused as a fetch failure, the last good set kept", async () => {
    for (const bad of ['{"keys":[]}', JSON.stringify({ keys: answers.jwks.keys, pad: "x".repeat(70_000) })]) {
      reset();
      const reported = [];
      const verifier = new Verifier({ ...policy, jwksUrl: url, onJwksError: (e) => reported.push(e.code) });
      await verifier.ready();
      jwks.body = bad;
      await assert.rejects(verifier.verifyAsync(token("second_key")), (e) => e.code === "unknown_kid");
      assert.equal(reported.length, 1);
      assert.equal((await verifier.verifyAsync(token("signed_by_core"))).sub, "partner-42");
    }
  });

  test("an embedded set is the bootstrap: used at once, replaced by one background fetch", async () => {
    reset(JSON.stringify(answers.jwks));
    const verifier = new Verifier({ ...policy, jwksUrl: url, jwks: only("edge-a") });
    // Known kid: answered from the bootstrap set; the refresh it starts goes to waitUntil.
    const background = [];
    const claims = await verifier.verifyAsync(token("signed_by_core"), { waitUntil: (p) => background.push(p) });
    assert.equal(claims.sub, "partner-42");
    assert.equal(background.length, 1);
    await Promise.all(background);
    // edge-b came with the fetched set: no further fetch.
    assert.equal((await verifier.verifyAsync(token("second_key"))).jti, "other");
    assert.equal(jwks.fetches, 1);
  });

  test("max-age is bounded to [60 s, 24 h]", () => {
    assert.equal(cacheSeconds("public, max-age=300"), 300);
    assert.equal(cacheSeconds("max-age=5"), 60);
    assert.equal(cacheSeconds("max-age=999999"), 86_400);
    assert.equal(cacheSeconds("no-store"), 60);
    assert.equal(cacheSeconds(null), 60);
    assert.equal(cacheSeconds("s-maxage=600"), 60);
  });
});
