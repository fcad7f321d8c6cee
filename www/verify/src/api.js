// The runtime-independent API; each entry (node.js, workerd.js, default.js) loads the
// wasm first. Decisions are tollgate-core's: this file only moves values and builds the
// HTTP Response from the answer the wasm gives.
import { Verifier as WasmVerifier } from "../pkg/tollgate_wasm.js";
import { JwksError, VerifyError } from "../pkg/errors.js";

export { JwksError, VerifyError };

export class Verifier {
  #wasm;

  /** @param {{ jwks: object | string, issuer?: string | string[], audience?: string | string[], clockTolerance?: number, realm?: string }} options */
  constructor(options) {
    this.#wasm = new WasmVerifier(options);
  }

  verify(token, { now, scopes } = {}) {
    return this.#wasm.verify(token, now, scopes);
  }

  async verifyAsync(token, options) {
    return this.verify(token, options);
  }

  async authenticate(request, { now, scopes } = {}) {
    try {
      return { claims: this.#wasm.authenticate(request.headers.get("authorization"), now, scopes) };
    } catch (error) {
      if (!(error instanceof VerifyError)) throw error;
      return { error, response: refusal(error) };
    }
  }
}

/** The RFC 6750 response for a refusal: status and challenge as the wasm computed them. */
function refusal(error) {
  const headers = { "www-authenticate": error.wwwAuthenticate };
  // No token sent: a bare challenge and no error details (RFC 6750 §3.1).
  if (error.bearerError === null) return new Response(null, { status: error.status, headers });
  const body = JSON.stringify({ error: error.bearerError, error_description: error.message });
  headers["content-type"] = "application/json";
  return new Response(body, { status: error.status, headers });
}
