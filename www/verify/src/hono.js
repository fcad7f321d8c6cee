// Hono middleware: `tollgate({ jwks | jwksUrl, issuer, audience, scopes })` verifies the
// bearer token, puts the claims in the context (`c.get("claims")`) and answers refusals
// with the core's RFC 6750 response. Hono's own `jwt`/`jwk` middleware refuse every RFC
// 9068 token (`typ: at+jwt`); this one is built for them. Runtime-independent: the entries
// hono-*.js give it their Verifier.

/** The middleware factory over one `Verifier` class. */
export function defineTollgate(Verifier) {
  /**
   * @param {object | ((c: object) => object)} options Verifier options plus `scopes`
   *   (required on this route) and `verifier` (a shared Verifier, so routes share one key
   *   cache); or a function of the context returning them, read once per isolate (`c.env`).
   */
  return function tollgate(options) {
    const resolve = typeof options === "function" ? options : () => options;
    let verifier;
    let scopes;
    return async function tollgateMiddleware(c, next) {
      if (verifier === undefined) {
        const { verifier: shared, scopes: required, ...verifierOptions } = resolve(c) ?? {};
        verifier = shared ?? new Verifier(verifierOptions);
        scopes = required;
      }
      const { claims, response } = await verifier.authenticate(c.req.raw, { scopes, waitUntil: waitUntil(c) });
      if (response) return response;
      c.set("claims", claims);
      await next();
    };
  };
}

/** The isolate's `waitUntil`, where there is one (Hono throws outside Workers). */
function waitUntil(c) {
  try {
    const ctx = c.executionCtx;
    return ctx.waitUntil.bind(ctx);
  } catch {
    return undefined;
  }
}
