// Types for @tollgate/verify (hand-written; the runtime is the wasm build of tollgate-core).

/** A JSON Web Key Set of Ed25519 public keys, as `tollgate jwks` prints it. */
export interface Jwks {
  keys: Array<{ kty: "OKP"; crv: "Ed25519"; x: string; kid?: string; alg?: "EdDSA"; use?: "sig" }>;
}

export interface VerifierOptions {
  /** The issuer's public keys: the JWKS object or its JSON text. */
  jwks: Jwks | string;
  /** Accepted `iss` value(s); omitted: any issuer. */
  issuer?: string | string[];
  /** Accepted `aud` value(s); the token must name at least one. Omitted: any audience. */
  audience?: string | string[];
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat` (default 0). */
  clockTolerance?: number;
  /** `realm` for the `WWW-Authenticate` challenges (default: none). */
  realm?: string;
}

export interface VerifyOptions {
  /** Seconds since the epoch (default: the runtime's clock); fractions are dropped. */
  now?: number;
  /** Scopes the token must all grant (space-delimited `scope` claim). */
  scopes?: string[];
}

/** The verified claims of an RFC 9068 access token, plus any other claim it carries. */
export interface Claims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  client_id?: string;
  scope?: string;
  [claim: string]: unknown;
}

export type VerifyErrorCode =
  | "malformed"
  | "too_large"
  | "alg_not_allowed"
  | "crit_unsupported"
  | "unknown_kid"
  | "invalid_signature"
  | "expired"
  | "not_yet_valid"
  | "issued_in_future"
  | "invalid_issuer"
  | "invalid_audience"
  | "invalid_type"
  | "missing_claim"
  | "insufficient_scope"
  | "missing_token"
  | "invalid_request";

/** A refused token or request. Branch on `code`; `message` is for people. */
export class VerifyError extends Error {
  readonly name: "VerifyError";
  readonly code: VerifyErrorCode;
  /** 400, 401 or 403, per RFC 6750 §3.1. */
  readonly status: 400 | 401 | 403;
  /** The RFC 6750 error, or null when the request carried no token. */
  readonly bearerError: "invalid_request" | "invalid_token" | "insufficient_scope" | null;
  /** The exact `WWW-Authenticate` header value to answer with. */
  readonly wwwAuthenticate: string;
}

export type JwksErrorCode =
  | "jwks_malformed"
  | "jwks_empty"
  | "jwk_unsupported"
  | "jwk_invalid"
  | "jwk_weak"
  | "jwk_private"
  | "jwk_duplicate_kid"
  | "jwk_missing_kid";

/** A key set the verifier refuses to use, thrown by `new Verifier`. */
export class JwksError extends Error {
  readonly name: "JwksError";
  readonly code: JwksErrorCode;
}

export type AuthenticateResult =
  | { claims: Claims; response?: undefined; error?: undefined }
  | { claims?: undefined; response: Response; error: VerifyError };

export class Verifier {
  /** Throws `JwksError` for an unusable key set, `TypeError` for wrong option types. */
  constructor(options: VerifierOptions);
  /** Verifies synchronously; throws `VerifyError` on refusal. */
  verify(token: string, options?: VerifyOptions): Claims;
  /** Same answers as `verify`, as a promise. */
  verifyAsync(token: string, options?: VerifyOptions): Promise<Claims>;
  /** Reads `Authorization: Bearer`; on refusal, `response` is the ready RFC 6750 answer. */
  authenticate(request: Request, options?: VerifyOptions): Promise<AuthenticateResult>;
}
