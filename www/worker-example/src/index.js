// An API protected by @tollgate/verify: GET /api/orders needs a token with orders:read;
// GET /healthz is public. Keys, issuer and audience come from the Worker's vars.
import { JwksError, Verifier } from "@tollgate/verify";

const ORDERS = [
  { id: "ord_1001", status: "shipped", total: 129.5 },
  { id: "ord_1002", status: "pending", total: 42 },
];

// Built once per isolate and reused: it holds only the decoded keys.
let verifier;

function verifierFor(env) {
  verifier ??= new Verifier({
    jwks: env.TOLLGATE_JWKS,
    issuer: env.TOLLGATE_ISSUER,
    audience: env.TOLLGATE_AUDIENCE,
    clockTolerance: 5,
  });
  return verifier;
}

async function orders(request, env) {
  const { claims, response } = await verifierFor(env).authenticate(request, { scopes: ["orders:read"] });
  if (response) return response;
  return Response.json({ client_id: claims.client_id, scope: claims.scope, orders: ORDERS });
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    const route = `${request.method} ${pathname}`;
    try {
      switch (route) {
        case "GET /healthz":
          return Response.json({ ok: true });
        case "GET /api/orders":
          return await orders(request, env);
        default:
          return Response.json({ error: "not_found" }, { status: 404 });
      }
    } catch (error) {
      // A bad TOLLGATE_JWKS is the operator's mistake: say so in the logs, not to clients.
      if (!(error instanceof JwksError || error instanceof TypeError)) throw error;
      console.error(`tollgate: configuration error: ${error.code ?? error.name}: ${error.message}`);
      return Response.json({ error: "server_misconfigured" }, { status: 500 });
    }
  },
};
