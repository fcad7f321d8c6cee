// authenticate(request): the RFC 6750 responses, exactly as the core's answers say.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Verifier, VerifyError } from "@tollgate/verify";
import { answers, options } from "./helpers.mjs";

const request = (authorization) =>
  new Request("https://api.tollgate.test/api/orders", authorization == null ? {} : { headers: { authorization } });

describe("authenticate", () => {
  for (const { name, realm, authorization, scopes, answer } of answers.headers) {
    test(name, async () => {
      const verifier = new Verifier({ ...options, realm: realm ?? undefined });
      const result = await verifier.authenticate(request(authorization), { now: answers.now, scopes });
      if (answer.claims) {
        assert.deepEqual(result, { claims: answer.claims });
        return;
      }
      const { error, response } = result;
      assert.ok(error instanceof VerifyError);
      assert.equal(error.code, answer.code);
      assert.ok(response instanceof Response);
      assert.equal(response.status, answer.status);
      assert.equal(response.headers.get("www-authenticate"), answer.www_authenticate);
      if (answer.bearer_error === null) {
        // No token sent: nothing but the bare challenge (RFC 6750 §3.1).
        assert.equal(await response.text(), "");
      } else {
        assert.equal(response.headers.get("content-type"), "application/json");
        assert.deepEqual(await response.json(), { error: answer.bearer_error, error_description: answer.message });
      }
    });
  }

  test("the four RFC 6750 shapes", async () => {
    const verifier = new Verifier(options);
    const good = answers.tokens.find((t) => t.name === "signed_by_core").token;
    const expired = answers.tokens.find((t) => t.name === "expired").token;
    const answer = async (authorization, scopes) => {
      const { response } = await verifier.authenticate(request(authorization), { now: answers.now, scopes });
      return [response.status, response.headers.get("www-authenticate")];
    };
    assert.deepEqual(await answer(null), [401, "Bearer"]);
    assert.deepEqual(await answer(`Bearer ${expired}`), [
      401,
      'Bearer error="invalid_token", error_description="token has expired"',
    ]);
    assert.deepEqual(await answer(`Bearer ${good}`, ["orders:write", "admin"]), [
      403,
      'Bearer error="insufficient_scope", error_description="token lacks a required scope", scope="orders:write admin"',
    ]);
    assert.deepEqual(await answer("Bearer two tokens"), [
      400,
      'Bearer error="invalid_request", error_description="the Authorization header is not a valid Bearer credential"',
    ]);
  });

  test("two Authorization headers are one malformed value", async () => {
    const verifier = new Verifier(options);
    const headers = new Headers();
    headers.append("authorization", "Bearer a");
    headers.append("authorization", "Bearer b");
    const { error } = await verifier.authenticate(new Request("https://x.test/", { headers }));
    assert.equal(error.code, "invalid_request");
  });
});
