// An API protected by @tollgate/verify: GET /api/orders needs a token with orders:read;
// GET /healthz is public. Keys, issuer and audience come from the Worker's vars: the keys
// embedded (TOLLGATE_JWKS) or fetched from the issuer (TOLLGATE_JWKS_URL, cached per
// isolate; TOLLGATE_JWKS, if also set, is the bootstrap set).
import { JwksError, Verifier } from "@tollgate/verify/webcrypto";

const ORDERS = [
  { id: "ord_1001", status: "shipped", total: 129.5 },
  { id: "ord_1002", status: "pending", total: 42 },
];

// Built once per isolate and reused: it holds the decoded keys (and their cache).
let verifier;

function verifierFor(env) {
  verifier ??= new Verifier({
    jwks: env.TOLLGATE_JWKS || undefined,
    jwksUrl: env.TOLLGATE_JWKS_URL || undefined,
    issuer: env.TOLLGATE_ISSUER,
    audience: env.TOLLGATE_AUDIENCE,
    clockTolerance: 5,
  });
  return verifier;
}

async function orders(request, env, ctx) {
  const { claims, response } = await verifierFor(env).authenticate(request, {
    scopes: ["orders:read"],
    // Lets a background refresh of a fetched key set finish after the response.
    waitUntil: (promise) => ctx.waitUntil(promise),
  });
  if (response) return response;
  return Response.json({ client_id: claims.client_id, scope: claims.scope, orders: ORDERS });
}

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    const route = `${request.method} ${pathname}`;
    try {
      switch (route) {
        case "GET /healthz":
          return Response.json({ ok: true });
        case "GET /api/orders":
          return await orders(request, env, ctx);
        default:
          return Response.json({ error: "not_found" }, { status: 404 });
      }
    } catch (error) {
      // A bad TOLLGATE_JWKS is the operator's mistake, an unreachable issuer with no key set
      // yet an outage: say so in the logs, not to clients.
      if (!(error instanceof JwksError || error instanceof TypeError)) throw error;
      if (error.code === "jwks_unavailable") {
        console.error(`tollgate: no key set could be fetched yet: ${error.message}`);
        return Response.json({ error: "temporarily_unavailable" }, { status: 503, headers: { "retry-after": "30" } });
      }
      console.error(`tollgate: configuration error: ${error.code ?? error.name}: ${error.message}`);
      return Response.json({ error: "server_misconfigured" }, { status: 500 });
    }
  },
};
