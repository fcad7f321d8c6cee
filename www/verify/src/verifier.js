// The runtime-independent API, over either wasm build: `full` (Ed25519 in wasm too, for
// `verify` and as the fallback) or `webcrypto` (no Ed25519 in wasm). Each entry loads its
// wasm first. Decisions are tollgate-core's: this file moves values, hands the signature
// equation to the runtime's native Ed25519, keeps a remote key set fresh, and turns the
// core's refusal into an HTTP Response.
import { JwksError, VerifyError } from "../pkg/errors.js";
import { webCryptoKeys } from "./native.js";
import { RemoteJwks } from "./remote.js";

/**
 * The `Verifier` class over one wasm build.
 * @param {Function} WasmVerifier the build's `Verifier`
 * @param {{ full: boolean, nativeKeys?: (raw: Uint8Array[]) => object }} build `full`: the
 *   build has `verify`/`authenticate`; `nativeKeys`: the runtime's Ed25519 (default WebCrypto)
 */
export function defineVerifier(WasmVerifier, { full, nativeKeys = webCryptoKeys }) {
  const inWasm = (run) =>
    full
      ? run
      : () => {
          throw new TypeError("this build has no Ed25519 in wasm: import @tollgate/verify, or use a runtime with Ed25519 in WebCrypto");
        };

  /**
   * Every check in wasm but the equation, which the runtime computes; all in wasm without
   * it. Refusals before the equation throw synchronously; the rest is one promise (no
   * async functions on the way: each would cost workerd a few microseconds).
   */
  function check({ wasm, native }, prepare, whole) {
    if (native.unavailable()) return inWasm(whole)(wasm);
    const pending = prepare(wasm);
    return native.verify(pending.keyIndex, pending.signature(), pending.signingInput()).then((valid) => {
      if (valid !== undefined) return wasm.finish(pending, valid);
      pending.free();
      return inWasm(whole)(wasm);
    });
  }

  return class Verifier {
    #options;
    /** The key set in use: `{ wasm, native }`, replaced whole by a refresh. */
    #current = null;
    #remote = null;

    /**
     * @param {{ jwks?: object | string, jwksUrl?: string | URL, issuer?: string | string[], audience?: string | string[],
     *   clockTolerance?: number, realm?: string, fetch?: typeof fetch, onJwksError?: (e: Error) => void }} options
     */
    constructor(options) {
      if (options === null || typeof options !== "object") throw new TypeError("Verifier options must be an object");
      const { jwksUrl, fetch, onJwksError, ...policy } = options;
      this.#options = policy;
      if (jwksUrl !== undefined && jwksUrl !== null) {
        this.#remote = new RemoteJwks(jwksUrl, (text) => this.#install(text), { fetch, onJwksError });
        // An embedded set is the bootstrap: used until the first fetch replaces it.
        if (policy.jwks !== undefined) this.#install(policy.jwks);
      } else {
        this.#install(policy.jwks);
      }
    }

    /** Resolves once a key set is loaded (at once unless only `jwksUrl` was given). */
    async ready() {
      await this.#keys();
    }

    /** Verifies in wasm, synchronously; throws `VerifyError` on refusal. */
    verify(token, { now, scopes } = {}) {
      const current = this.#current;
      if (current === null) throw new JwksError("jwks_unavailable", "no key set yet: await verifier.ready() first");
      this.#remote?.refreshIfDue();
      return inWasm((wasm) => wasm.verify(token, now, scopes))(current.wasm);
    }

    /** The same answers as `verify`, with the signature equation computed by WebCrypto. */
    verifyAsync(token, { now, scopes, waitUntil } = {}) {
      return this.#run(
        (wasm) => wasm.prepare(token, now, scopes),
        (wasm) => wasm.verify(token, now, scopes),
        waitUntil,
      );
    }

    /** Reads `Authorization: Bearer`; on refusal, `response` is the ready RFC 6750 answer. */
    authenticate(request, { now, scopes, waitUntil } = {}) {
      const header = request.headers.get("authorization");
      return this.#run(
        (wasm) => wasm.prepareAuthorization(header, now, scopes),
        (wasm) => wasm.authenticate(header, now, scopes),
        waitUntil,
      ).then(
        (claims) => ({ claims }),
        (error) => {
          if (!(error instanceof VerifyError)) throw error;
          return { error, response: refusal(error) };
        },
      );
    }

    #install(jwks) {
      const wasm = new WasmVerifier({ ...this.#options, jwks });
      this.#current = { wasm, native: nativeKeys(wasm.keys()) };
    }

    async #keys(waitUntil) {
      if (this.#current === null) await this.#remote.first();
      else this.#remote?.refreshIfDue(waitUntil);
      return this.#current;
    }

    /** The promise of `check` on the current set; fetches or refetches keys when needed. */
    #run(prepare, whole, waitUntil) {
      const current = this.#current;
      if (current === null) return this.#keys(waitUntil).then((set) => this.#retrying(set, prepare, whole));
      this.#remote?.refreshIfDue(waitUntil);
      try {
        return Promise.resolve(check(current, prepare, whole));
      } catch (error) {
        return this.#unknownKid(error, prepare, whole);
      }
    }

    #retrying(set, prepare, whole) {
      try {
        return check(set, prepare, whole);
      } catch (error) {
        return this.#unknownKid(error, prepare, whole);
      }
    }

    /** A `kid` the set lacks: one refetch (at most one per 30 s), then one more try. */
    async #unknownKid(error, prepare, whole) {
      const unknownKid = error instanceof VerifyError && error.code === "unknown_kid";
      if (!unknownKid || this.#remote === null || !(await this.#remote.refetchForUnknownKid())) throw error;
      return check(this.#current, prepare, whole);
    }
  };
}

/** The core's RFC 6750 answer as a Response: status, challenge and body as the wasm gave them. */
export function refusal(error) {
  const headers = { "www-authenticate": error.wwwAuthenticate };
  // No token sent: a bare challenge and no body (RFC 6750 §3.1).
  if (error.body !== null) headers["content-type"] = "application/json";
  return new Response(error.body, { status: error.status, headers });
}
