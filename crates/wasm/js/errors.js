// The errors the wasm verifier throws. wasm-bindgen copies this file next to its glue, and
// @tollgate/verify re-exports these exact classes so `instanceof` holds.

/** A token or request refused by the verifier; `code` is stable, `message` is for people. */
export class VerifyError extends Error {
  constructor(code, message, status, bearerError, wwwAuthenticate, body) {
    super(message);
    this.name = "VerifyError";
    /** Machine code from tollgate-core, e.g. "expired", or "missing_token". */
    this.code = code;
    /** HTTP status per RFC 6750 §3.1: 400, 401 or 403. */
    this.status = status;
    /** RFC 6750 error ("invalid_token", ...), or null when no token was sent. */
    this.bearerError = bearerError ?? null;
    /** The exact `WWW-Authenticate` value to answer with. */
    this.wwwAuthenticate = wwwAuthenticate;
    /** The JSON body of the RFC 6750 answer, or null for a bare challenge. */
    this.body = body ?? null;
  }
}

/** A key set the verifier cannot use; `code` is tollgate-core's key error code. */
export class JwksError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "JwksError";
    this.code = code;
  }
}
