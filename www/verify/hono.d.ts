// Types for @tollgate/verify/hono.
import type { Context, MiddlewareHandler } from "hono";
import type { Claims, Verifier, VerifierOptions } from "./index.js";

/** Verifier options (or a shared `verifier`) and the scopes this route requires. */
export type TollgateOptions =
  | (VerifierOptions & { scopes?: string[]; verifier?: undefined })
  | { verifier: Verifier; scopes?: string[] };

/** What the middleware sets: `c.get("claims")`. */
export interface TollgateVariables<C extends object = Record<string, unknown>> {
  claims: Claims<C>;
}

/**
 * Verifies `Authorization: Bearer`, sets `claims`, or answers with the RFC 6750 refusal.
 * `options` may be a function of the context (read once per isolate, e.g. from `c.env`).
 */
export function tollgate<C extends object = Record<string, unknown>>(
  options: TollgateOptions | ((c: Context) => TollgateOptions),
): MiddlewareHandler<{ Variables: TollgateVariables<C> }>;
