// Types for @tollgate/verify (hand-written; the runtime is the wasm build of tollgate-core).
// Checked by `tsc --noEmit` against test/types (see test/types.test.mjs).

/**
 * One JSON Web Key, as loose as jose's `JWK` type so its key sets are accepted as they
 * are; the verifier itself takes only OKP Ed25519 public keys (`JwksError` otherwise).
 */
export interface JsonWebKey {
  kty?: string;
  crv?: string;
  x?: string;
  kid?: string;
  /** `EdDSA` or `Ed25519` (RFC 9864), if given. */
  alg?: string;
  use?: string;
  key_ops?: string[];
  [member: string]: unknown;
}

/** A JSON Web Key Set of Ed25519 public keys, as `tollgate jwks` prints it. */
export interface Jwks {
  keys: JsonWebKey[];
}

interface PolicyOptions {
  /** Accepted `iss` value(s); omitted: any issuer. */
  issuer?: string | string[];
  /** Accepted `aud` value(s); the token must name at least one. Omitted: any audience. */
  audience?: string | string[];
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat` (default 0). */
  clockTolerance?: number;
  /** `realm` for the `WWW-Authenticate` challenges (default: none). */
  realm?: string;
}

/** Keys embedded in the Worker: every rotation is a redeploy. */
export interface EmbeddedKeysOptions extends PolicyOptions {
  /** The issuer's public keys: the JWKS object or its JSON text. */
  jwks: Jwks | string;
  jwksUrl?: undefined;
}

/** Keys fetched from the issuer and cached per isolate: rotations need no redeploy. */
export interface RemoteKeysOptions extends PolicyOptions {
  /** The issuer's `/.well-known/jwks.json`. */
  jwksUrl: string | URL;
  /** A bootstrap set, used until the first fetch. */
  jwks?: Jwks | string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Told of every failed fetch; the last good set stays in use (default: `console.warn`). */
  onJwksError?: (error: JwksError) => void;
}

export type VerifierOptions = EmbeddedKeysOptions | RemoteKeysOptions;

export interface VerifyOptions {
  /** Seconds since the epoch (default: the runtime's clock); fractions are dropped. */
  now?: number;
  /** Scopes the token must all grant (space-delimited `scope` claim). */
  scopes?: string[];
  /** `ctx.waitUntil` in Workers: lets a background key refresh outlive the request. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** The claims every accepted token carries (RFC 9068 §2.2): the verifier refuses others. */
export interface RegisteredClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  nbf?: number;
  scope?: string;
}

/** The verified claims: the registered ones and `C`, your own (unchecked by the verifier). */
export type Claims<C extends object = Record<string, unknown>> = RegisteredClaims & C;

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
  /** The JSON body to answer with, or null for a bare challenge. */
  readonly body: string | null;
}

export type JwksErrorCode =
  | "jwks_malformed"
  | "jwks_empty"
  | "jwk_unsupported"
  | "jwk_invalid"
  | "jwk_weak"
  | "jwk_private"
  | "jwk_duplicate_kid"
  | "jwk_missing_kid"
  | "jwks_unavailable";

/** A key set the verifier refuses to use, or (`jwks_unavailable`) could not fetch. */
export class JwksError extends Error {
  readonly name: "JwksError";
  readonly code: JwksErrorCode;
}

export type AuthenticateResult<C extends object = Record<string, unknown>> =
  | { claims: Claims<C>; response?: undefined; error?: undefined }
  | { claims?: undefined; response: Response; error: VerifyError };

export class Verifier {
  /** Throws `JwksError` for an unusable key set, `TypeError` for wrong option types. */
  constructor(options: VerifierOptions);
  /** Resolves once a key set is loaded (fetches it with only `jwksUrl`). */
  ready(): Promise<void>;
  /** Verifies synchronously, in wasm; throws `VerifyError` on refusal. */
  verify<C extends object = Record<string, unknown>>(token: string, options?: VerifyOptions): Claims<C>;
  /** Same answers as `verify`; the signature is checked by WebCrypto where it has Ed25519. */
  verifyAsync<C extends object = Record<string, unknown>>(token: string, options?: VerifyOptions): Promise<Claims<C>>;
  /** Reads `Authorization: Bearer`; on refusal, `response` is the ready RFC 6750 answer. */
  authenticate<C extends object = Record<string, unknown>>(
    request: Request,
    options?: VerifyOptions,
  ): Promise<AuthenticateResult<C>>;
}
