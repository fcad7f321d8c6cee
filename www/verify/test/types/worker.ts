// A TypeScript Worker using @tollgate/verify as a user would; `tsc -p test/types` must
// accept it. Each `@ts-expect-error` is a misuse the types must refuse.
import { Hono } from "hono";
import type { JSONWebKeySet } from "jose";
import { JwksError, Verifier, VerifyError, type Claims, type Jwks, type VerifyErrorCode } from "@tollgate/verify";
import { tollgate } from "@tollgate/verify/hono";

interface Env {
  TOLLGATE_JWKS: string;
  TOLLGATE_JWKS_URL: string;
  TOLLGATE_ISSUER: string;
  TOLLGATE_AUDIENCE: string;
}

/** Claims this API's issuer adds. */
interface MyClaims {
  tenant: string;
  tier: number;
}

// What jose describes as a key set is a key set here.
declare const fromJose: JSONWebKeySet;
const bootstrap: Jwks = fromJose;

let verifier: Verifier | undefined;

function claimsOf(claims: Claims<MyClaims>): { sub: string; tenant: string; tier: number; scope?: string } {
  // RFC 9068 claims are present on every accepted token.
  const { sub, iss, jti, client_id, exp, iat } = claims;
  const aud: string | string[] = claims.aud;
  void [iss, jti, client_id, exp, iat, aud];
  // @ts-expect-error nbf is optional
  const nbf: number = claims.nbf;
  void nbf;
  return { sub, tenant: claims.tenant, tier: claims.tier, scope: claims.scope };
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    verifier ??= new Verifier({
      jwksUrl: env.TOLLGATE_JWKS_URL,
      jwks: bootstrap,
      issuer: env.TOLLGATE_ISSUER,
      audience: [env.TOLLGATE_AUDIENCE],
      clockTolerance: 5,
      onJwksError: (error) => console.warn(error.code),
    });
    const result = await verifier.authenticate<MyClaims>(request, {
      scopes: ["orders:read"],
      waitUntil: (promise) => ctx.waitUntil(promise),
    });
    if (result.response) {
      const code: VerifyErrorCode = result.error.code;
      void code;
      return result.response;
    }
    try {
      const direct = verifier.verify<MyClaims>("header.payload.signature", { now: 1_780_000_000 });
      const later: Claims<MyClaims> = await verifier.verifyAsync<MyClaims>("header.payload.signature");
      void [direct.tenant, later.tier];
    } catch (error) {
      if (error instanceof VerifyError) {
        const status: 400 | 401 | 403 = error.status;
        const body: string | null = error.body;
        return new Response(body, { status, headers: { "www-authenticate": error.wwwAuthenticate } });
      }
      if (error instanceof JwksError && error.code === "jwks_unavailable") return new Response(null, { status: 503 });
      throw error;
    }
    return Response.json(claimsOf(result.claims));
  },
} satisfies ExportedHandler<Env>;

// @ts-expect-error a verifier needs jwks or jwksUrl
new Verifier({ issuer: "https://auth.example.com" });
// @ts-expect-error scopes are an array
void verifier?.verify("t", { scopes: "orders:read" });

// Hono: per-route scopes, claims typed in the context.
const app = new Hono<{ Bindings: Env }>();
app.get(
  "/orders",
  tollgate<MyClaims>((c) => ({ jwks: c.env.TOLLGATE_JWKS, issuer: c.env.TOLLGATE_ISSUER, scopes: ["orders:read"] })),
  (c) => {
    const claims = c.get("claims");
    const tenant: string = claims.tenant;
    return c.json({ tenant, client: claims.client_id });
  },
);
const shared = new Verifier({ jwksUrl: "https://auth.example.com/.well-known/jwks.json" });
app.post("/orders", tollgate({ verifier: shared, scopes: ["orders:write"] }), (c) => c.json({ by: c.get("claims").sub }));
export { app };
