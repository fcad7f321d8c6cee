// Types for @tollgate/verify/webcrypto: the same API, no Ed25519 in wasm. `verify()` (sync)
// throws a TypeError there; verifyAsync and authenticate need Ed25519 in WebCrypto.
export * from "./index.js";
