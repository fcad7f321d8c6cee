// The same API on Hono, with @tollgate/verify/hono: one verifier (one key cache) shared
// by routes that each require their own scopes; the claims are in the context.
import { Hono } from "hono";
import { Verifier } from "@tollgate/verify/webcrypto";
import { tollgate } from "@tollgate/verify/hono";

let verifier;
// Read once per isolate, from the Worker's vars.
const shared = (c) => {
  verifier ??= new Verifier({
    jwks: c.env.TOLLGATE_JWKS || undefined,
    jwksUrl: c.env.TOLLGATE_JWKS_URL || undefined,
    issuer: c.env.TOLLGATE_ISSUER,
    audience: c.env.TOLLGATE_AUDIENCE,
    clockTolerance: 5,
  });
  return verifier;
};

const app = new Hono();

app.get("/healthz", (c) => c.json({ ok: true }));

app.get("/api/orders", tollgate((c) => ({ verifier: shared(c), scopes: ["orders:read"] })), (c) => {
  const claims = c.get("claims");
  return c.json({ client_id: claims.client_id, scope: claims.scope, orders: [] });
});

app.post("/api/orders", tollgate((c) => ({ verifier: shared(c), scopes: ["orders:write"] })), (c) =>
  c.json({ created: true, by: c.get("claims").client_id }, 201),
);

export default app;
